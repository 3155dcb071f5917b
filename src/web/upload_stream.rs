//! A `multipart/form-data` reader that streams: the restore form's backup goes from the socket to a
//! file on disk without the whole upload ever being in memory (a year of calls makes a database of
//! hundreds of MB; the appliance runs in 512 MB).
//!
//! Only what a browser's upload form needs (RFC 7578): parts in order, each with a
//! `Content-Disposition: form-data; name=...` head, no nested multiparts. The body is read as if it
//! began with CRLF, so the first boundary is found like every other, `CRLF--boundary`, and the
//! preamble is skipped as a part nobody asked for.

use std::io::{self, Read, Write};

/// Bytes asked from the reader at a time.
const READ: usize = 64 * 1024;
/// Longest part head (`Content-Disposition`, `Content-Type`) accepted.
const MAX_HEAD: usize = 8 * 1024;

/// What went wrong, in words for the person who sent the form.
#[derive(Debug)]
pub enum UploadError {
    /// The form is not what the upload forms send (not multipart, no boundary, malformed).
    Form(String),
    /// The upload stopped before its end (the browser went away, the connection broke).
    CutOff(String),
    /// Writing the file part failed (a full disk).
    Write(io::Error),
}

impl std::fmt::Display for UploadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UploadError::Form(why) | UploadError::CutOff(why) => f.write_str(why),
            UploadError::Write(e) => write!(f, "the upload could not be saved: {e}"),
        }
    }
}

fn form(why: &str) -> UploadError {
    UploadError::Form(why.to_string())
}

/// One part's head.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PartHead {
    pub name: String,
    pub filename: Option<String>,
}

/// Reads the parts of one upload in order.
pub struct Multipart<R> {
    inner: R,
    /// `CRLF--boundary`.
    delim: Vec<u8>,
    /// Read and not yet used.
    buf: Vec<u8>,
    /// What one read fills.
    scratch: Vec<u8>,
    eof: bool,
    /// The current part's data has been read up to its delimiter.
    at_delim: bool,
}

/// The boundary of a `multipart/form-data` content type.
fn boundary(content_type: &str) -> Result<String, UploadError> {
    if !content_type
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
    {
        return Err(form(
            "the form was not sent as a file upload; use the form on the Settings page",
        ));
    }
    content_type
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim_matches('"').to_string())
        .filter(|b| !b.is_empty() && b.len() <= 200)
        .ok_or_else(|| form("the upload has no boundary; send it again from the form"))
}

/// Where `needle` starts in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    let mut from = 0;
    while from + needle.len() <= hay.len() {
        let i = from + hay[from..].iter().position(|&b| b == first)?;
        if hay.len() - i < needle.len() {
            return None;
        }
        if &hay[i..i + needle.len()] == needle {
            return Some(i);
        }
        from = i + 1;
    }
    None
}

/// The value of `key="..."` (or unquoted) in a `Content-Disposition` line.
fn disposition_param(line: &str, key: &str) -> Option<String> {
    line.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(key)
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

impl<R: Read> Multipart<R> {
    /// Starts reading an upload sent with `content_type`.
    pub fn new(content_type: &str, inner: R) -> Result<Multipart<R>, UploadError> {
        let b = boundary(content_type)?;
        let mut delim = b"\r\n--".to_vec();
        delim.extend_from_slice(b.as_bytes());
        Ok(Multipart {
            inner,
            delim,
            buf: b"\r\n".to_vec(),
            scratch: vec![0; READ],
            eof: false,
            at_delim: false,
        })
    }

    /// Reads more into the buffer; false at the end of the body.
    fn fill(&mut self) -> Result<bool, UploadError> {
        if self.eof {
            return Ok(false);
        }
        let n = loop {
            match self.inner.read(&mut self.scratch) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(UploadError::CutOff(format!(
                        "the upload stopped before its end ({e}); send it again"
                    )))
                }
            }
        };
        self.buf.extend_from_slice(&self.scratch[..n]);
        if n == 0 {
            self.eof = true;
        }
        Ok(n > 0)
    }

    /// Copies the current part's data to `out` up to its delimiter, at most `cap` bytes (more is a
    /// [`UploadError::Form`] with `too_long`). Returns the bytes copied.
    fn copy_to(
        &mut self,
        out: &mut dyn Write,
        cap: u64,
        too_long: &str,
    ) -> Result<u64, UploadError> {
        let mut total = 0u64;
        let mut emit = |data: &[u8], total: &mut u64| -> Result<(), UploadError> {
            *total += data.len() as u64;
            if *total > cap {
                return Err(form(too_long));
            }
            out.write_all(data).map_err(UploadError::Write)
        };
        loop {
            if let Some(i) = find(&self.buf, &self.delim) {
                emit(&self.buf[..i], &mut total)?;
                self.buf.drain(..i + self.delim.len());
                self.at_delim = true;
                return Ok(total);
            }
            // Keep what could be the start of the delimiter; the rest is data.
            let keep = self.delim.len() - 1;
            if self.buf.len() > keep {
                let upto = self.buf.len() - keep;
                emit(&self.buf[..upto], &mut total)?;
                self.buf.drain(..upto);
            }
            if !self.fill()? {
                return Err(UploadError::CutOff(
                    "the upload is cut off; send it again".into(),
                ));
            }
        }
    }

    /// The next part's head, or `None` after the last part.
    pub fn next_part(&mut self) -> Result<Option<PartHead>, UploadError> {
        if !self.at_delim {
            // The preamble, or a part the caller did not read: skipped.
            self.copy_to(&mut io::sink(), u64::MAX, "")?;
        }
        self.at_delim = false;
        while self.buf.len() < 2 {
            if !self.fill()? {
                return Err(UploadError::CutOff(
                    "the upload is cut off; send it again".into(),
                ));
            }
        }
        if self.buf.starts_with(b"--") {
            return Ok(None);
        }
        // Transport padding after the boundary is allowed (RFC 2046 §5.1.1).
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i;
            }
            if self.buf.len() > MAX_HEAD {
                return Err(form("the upload is malformed"));
            }
            if !self.fill()? {
                return Err(UploadError::CutOff(
                    "the upload is cut off; send it again".into(),
                ));
            }
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).to_string();
        self.buf.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        if !lines.next().is_some_and(|l| l.trim().is_empty()) {
            return Err(form("the upload is malformed"));
        }
        let disposition = lines
            .find(|l| {
                l.to_ascii_lowercase()
                    .trim_start()
                    .starts_with("content-disposition:")
            })
            .ok_or_else(|| form("the upload is malformed"))?;
        Ok(Some(PartHead {
            name: disposition_param(disposition, "name").unwrap_or_default(),
            filename: disposition_param(disposition, "filename"),
        }))
    }

    /// The current part as text, at most `cap` bytes (a form field such as the CSRF token).
    pub fn text(&mut self, cap: u64) -> Result<String, UploadError> {
        let mut v = Vec::new();
        self.copy_to(&mut v, cap, "a form field of the upload is too long")?;
        Ok(String::from_utf8_lossy(&v).into_owned())
    }

    /// Copies the current part (a file) to `out`, at most `cap` bytes; returns its size.
    pub fn copy(&mut self, out: &mut dyn Write, cap: u64) -> Result<u64, UploadError> {
        self.copy_to(out, cap, "the uploaded file is too large")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TYPE: &str = "multipart/form-data; boundary=----b0undary";

    fn body(parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = b"preamble to ignore".to_vec();
        for (name, data) in parts {
            b.extend_from_slice(b"\r\n------b0undary\r\n");
            b.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{name}.db\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            );
            b.extend_from_slice(data);
        }
        b.extend_from_slice(b"\r\n------b0undary--\r\n");
        b
    }

    /// Reads one byte at a time: every boundary and head is split across reads somewhere.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() || out.is_empty() {
                return Ok(0);
            }
            out[0] = self.0[0];
            self.0 = &self.0[1..];
            Ok(1)
        }
    }

    fn parts<R: Read>(mut m: Multipart<R>) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        while let Some(h) = m.next_part().unwrap() {
            let mut data = Vec::new();
            m.copy(&mut data, u64::MAX).unwrap();
            out.push((h.name, data));
        }
        out
    }

    #[test]
    fn parts_come_out_whole_however_the_bytes_arrive() {
        // Data that holds CR, LF, dashes and most of the delimiter, but not all of it.
        let file: Vec<u8> = (0..200_000u32)
            .map(|i| b"\r\n------b0undar-x"[i as usize % 17])
            .collect();
        let b = body(&[("csrf", b"tok3n"), ("backup", &file), ("empty", b"")]);
        let want = vec![
            ("csrf".to_string(), b"tok3n".to_vec()),
            ("backup".to_string(), file.clone()),
            ("empty".to_string(), Vec::new()),
        ];
        assert_eq!(parts(Multipart::new(TYPE, &b[..]).unwrap()), want);
        assert_eq!(parts(Multipart::new(TYPE, Trickle(&b)).unwrap()), want);
    }

    #[test]
    fn a_cut_off_or_foreign_upload_is_refused_in_words() {
        let b = body(&[("backup", b"0123456789")]);
        let mut m = Multipart::new(TYPE, &b[..b.len() - 20]).unwrap();
        assert!(m.next_part().unwrap().is_some());
        let e = m.copy(&mut Vec::new(), u64::MAX).unwrap_err();
        assert!(e.to_string().contains("cut off"), "{e}");

        let e = Multipart::new("application/x-www-form-urlencoded", &b[..])
            .err()
            .unwrap();
        assert!(e.to_string().contains("not sent as a file upload"), "{e}");
        let e = Multipart::new("multipart/form-data", &b[..]).err().unwrap();
        assert!(e.to_string().contains("no boundary"), "{e}");

        let mut m = Multipart::new(TYPE, &b[..]).unwrap();
        m.next_part().unwrap();
        let e = m.copy(&mut Vec::new(), 5).unwrap_err();
        assert!(e.to_string().contains("too large"), "{e}");
    }

    #[test]
    fn names_and_file_names_are_read_from_the_disposition() {
        let b = body(&[("backup", b"x")]);
        let mut m = Multipart::new(TYPE, &b[..]).unwrap();
        assert_eq!(
            m.next_part().unwrap(),
            Some(PartHead {
                name: "backup".into(),
                filename: Some("backup.db".into())
            })
        );
    }
}
