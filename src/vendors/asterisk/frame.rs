//! AMI frames: `Key: Value` lines ended by CRLF, one blank line ends a frame (see shared protocols:
//! pbx-apis.md §2.4). The connection opens with one banner line (`Asterisk Call Manager/13.0.0`) that
//! is not a frame.
//!
//! Quirks handled here, so nothing downstream sees them:
//! - AMI writes an empty caller or connected number or name as the literal `<unknown>`
//!   (`S_OR(..., "<unknown>")` in Asterisk's `manager_channels.c`); [`Frame::get`] returns it as empty.
//! - Channel events spell `Uniqueid`/`Linkedid`, CEL events `UniqueID`/`LinkedID`: names compare
//!   without regard to case.
//! - Bare `\n` line ends are taken as well as `\r\n`; bytes that are not UTF-8 (caller names from old
//!   trunks) become U+FFFD instead of ending the connection.
//! - A server that sends endless lines or frames is cut off (`sources::MAX_LINE`, [`MAX_FIELDS`]).

use std::io::{self, BufRead, ErrorKind};

use crate::sources::{Buffered, LineReader};

/// The most `Key: Value` lines in one frame.
pub const MAX_FIELDS: usize = 512;

/// One AMI frame: its fields in the order received. Keys may repeat (`ChanVariable`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frame {
    pub fields: Vec<(String, String)>,
}

impl Frame {
    /// Builds a frame from `Key: Value` pairs (tests, and actions we send).
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Frame {
        Frame {
            fields: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// The first value of `name` (case-insensitive), trimmed, with `<unknown>` read as empty. A missing
    /// field and an empty one are both `""`; use [`Frame::has`] to tell them apart.
    pub fn get(&self, name: &str) -> &str {
        match self.raw(name) {
            Some("<unknown>") => "",
            Some(v) => v,
            None => "",
        }
    }

    /// The value exactly as sent (trimmed), `<unknown>` included.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.raw(name).is_some()
    }

    /// `Event:` of an event frame, `""` for responses.
    pub fn event(&self) -> &str {
        self.get("Event")
    }

    /// The frame as AMI text (`Key: Value` lines), as kept in the journal's raw events.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for (k, v) in &self.fields {
            s.push_str(k);
            s.push_str(": ");
            s.push_str(v);
            s.push('\n');
        }
        s
    }

    /// The frame encoded for sending: CRLF line ends and the blank line that ends it.
    pub fn encode(&self) -> Vec<u8> {
        let mut s = String::new();
        for (k, v) in &self.fields {
            s.push_str(k);
            s.push_str(": ");
            s.push_str(v);
            s.push_str("\r\n");
        }
        s.push_str("\r\n");
        s.into_bytes()
    }

    /// Parses one line into the frame. Lines without a colon (the output of old `Command` actions,
    /// `--END COMMAND--`) carry nothing we read and are skipped.
    fn push_line(&mut self, line: &str) {
        if let Some((k, v)) = line.split_once(':') {
            let k = k.trim();
            if !k.is_empty() {
                self.fields.push((k.to_string(), v.trim().to_string()));
            }
        }
    }
}

/// Parses every frame of a text (a capture, a test script). The banner and lines starting with `###`
/// (the capture's own headings) are not frames and are skipped.
pub fn parse_all(text: &str) -> Vec<Frame> {
    let mut out = Vec::new();
    let mut cur = Frame::default();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if !cur.fields.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if line.starts_with("###") || line.starts_with("Asterisk Call Manager/") {
            continue;
        }
        cur.push_line(line);
    }
    if !cur.fields.is_empty() {
        out.push(cur);
    }
    out
}

/// Reads frames from a socket that has a read timeout. A timeout is not an error: [`FrameReader::next_frame`]
/// returns `Ok(None)` and keeps what it had read so far, so the caller can check its stop flag and
/// send keep-alives between reads.
pub struct FrameReader<R> {
    lines: LineReader<R>,
    frame: Frame,
}

impl<R: BufRead> FrameReader<R> {
    pub fn new(inner: R) -> FrameReader<R> {
        FrameReader {
            lines: LineReader::new(inner),
            frame: Frame::default(),
        }
    }

    /// Whether bytes are waiting in the buffer: the client batches the events of frames that arrived
    /// together and commits them once the buffer is drained.
    pub fn has_buffered(&self) -> bool
    where
        R: Buffered,
    {
        self.lines.has_buffered()
    }

    /// Reads the greeting line that opens every AMI connection; `Ok(None)` on a timeout.
    pub fn banner(&mut self) -> io::Result<Option<String>> {
        self.lines.line()
    }

    /// The next complete frame, `Ok(None)` if the read timed out first.
    pub fn next_frame(&mut self) -> io::Result<Option<Frame>> {
        loop {
            let Some(line) = self.lines.line()? else {
                return Ok(None);
            };
            if line.trim().is_empty() {
                if !self.frame.fields.is_empty() {
                    return Ok(Some(std::mem::take(&mut self.frame)));
                }
                continue;
            }
            self.frame.push_line(&line);
            if self.frame.fields.len() > MAX_FIELDS {
                return Err(io::Error::new(
                    ErrorKind::InvalidData,
                    format!("Asterisk sent a frame with more than {MAX_FIELDS} lines"),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufReader, Read};

    #[test]
    fn fields_read_as_documented() {
        let f = &parse_all(
            "Event: Newchannel\r\nCallerIDNum: <unknown>\r\nAccountCode: \r\nLinkedid: 17.0\r\nCause-txt: Normal Clearing\r\nChanVariable: a=1\r\nChanVariable: b=2\r\n\r\n",
        )[0];
        let cases: &[(&str, &str)] = &[
            ("Event", "Newchannel"),
            ("event", "Newchannel"),
            ("CallerIDNum", ""),
            ("AccountCode", ""),
            ("LinkedID", "17.0"),
            ("Cause-txt", "Normal Clearing"),
            ("ChanVariable", "a=1"),
            ("Missing", ""),
        ];
        for (k, want) in cases {
            assert_eq!(f.get(k), *want, "{k}");
        }
        assert_eq!(f.raw("CallerIDNum"), Some("<unknown>"));
        assert!(f.has("AccountCode"));
        assert!(!f.has("Missing"));
    }

    #[test]
    fn captures_parse_into_frames() {
        let text = include_str!("../../../tests/fixtures/asterisk-ami/answered_inbound.txt");
        let frames = parse_all(text);
        // The capture starts with the Originate action that was sent; the rest are received frames.
        assert_eq!(frames[0].get("Action"), "Originate");
        assert_eq!(frames[1].get("Response"), "Success");
        let count = |name: &str| frames.iter().filter(|f| f.event() == name).count();
        assert_eq!(count("DialBegin"), 2);
        assert_eq!(count("DialEnd"), 2);
        assert_eq!(count("Hangup"), 4);
        assert_eq!(count("Cdr"), 3);
        let ends: Vec<&Frame> = frames
            .iter()
            .filter(|f| f.event() == "CEL" && f.get("EventName") == "LINKEDID_END")
            .collect();
        assert_eq!(ends.len(), 1);
        assert_eq!(ends[0].get("LinkedID"), "1795325070.0");
    }

    /// A reader that hands out its bytes in small pieces and times out between them, as a socket with
    /// a read timeout does.
    struct Trickle {
        chunks: Vec<Option<Vec<u8>>>,
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.chunks.is_empty() {
                return Ok(0);
            }
            match self.chunks.remove(0) {
                None => Err(io::Error::new(ErrorKind::WouldBlock, "timeout")),
                Some(c) => {
                    let n = c.len().min(buf.len());
                    buf[..n].copy_from_slice(&c[..n]);
                    Ok(n)
                }
            }
        }
    }

    #[test]
    fn timeouts_keep_partial_lines() {
        let chunks = vec![
            Some(b"Asterisk Call Manager/13.0.0\r\nEvent: Hang".to_vec()),
            None,
            Some(b"up\r\nCause: 16\r".to_vec()),
            None,
            Some(b"\n\r\nEvent: X\n\n".to_vec()),
        ];
        let mut r = FrameReader::new(BufReader::new(Trickle { chunks }));
        assert_eq!(
            r.banner().unwrap().as_deref(),
            Some("Asterisk Call Manager/13.0.0")
        );
        assert_eq!(r.next_frame().unwrap(), None);
        assert_eq!(r.next_frame().unwrap(), None);
        let f = r.next_frame().unwrap().unwrap();
        assert_eq!(f.event(), "Hangup");
        assert_eq!(f.get("Cause"), "16");
        assert_eq!(r.next_frame().unwrap().unwrap().event(), "X");
        let end = r.next_frame().unwrap_err();
        assert_eq!(end.kind(), ErrorKind::UnexpectedEof);
    }

    #[test]
    fn oversized_input_is_refused() {
        let long = vec![b'a'; crate::sources::MAX_LINE + 10];
        let mut r = FrameReader::new(BufReader::new(&long[..]));
        assert_eq!(r.next_frame().unwrap_err().kind(), ErrorKind::InvalidData);
        let many = "K: v\n".repeat(MAX_FIELDS + 1);
        let mut r = FrameReader::new(BufReader::new(many.as_bytes()));
        assert_eq!(r.next_frame().unwrap_err().kind(), ErrorKind::InvalidData);
    }

    #[test]
    fn not_utf8_is_replaced() {
        let mut r = FrameReader::new(BufReader::new(&b"CallerIDName: M\xfcller\r\n\r\n"[..]));
        assert_eq!(
            r.next_frame().unwrap().unwrap().get("CallerIDName"),
            "M\u{fffd}ller"
        );
    }

    #[test]
    fn encodes_actions_with_crlf() {
        let f = Frame::from_pairs(&[("Action", "Ping"), ("ActionID", "p1")]);
        assert_eq!(f.encode(), b"Action: Ping\r\nActionID: p1\r\n\r\n");
    }
}
