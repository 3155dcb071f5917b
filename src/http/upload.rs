//! The one streamed request body: a backup uploaded to [`super::UPLOAD_PATH`]. It can be as large as
//! a year of calls makes the database (hundreds of MB, up to [`super::MAX_UPLOAD`]), while the
//! appliance runs in a few hundred MB of memory, so it is never read into memory: the handler checks
//! the session first and then reads the body as a stream ([`super::Ctx::take_upload`]), writing the
//! file to disk as it arrives.
//!
//! tiny_http only lends a request's body reader (`as_reader(&mut self)`), so a scoped thread reads
//! the socket and hands chunks to the handler through a small bounded channel: at most
//! [`CHUNKS`] × [`CHUNK`] bytes are in memory at a time. Whatever the handler does not read (a
//! refused upload) is read and dropped here, so the connection stays in step and tiny_http's own
//! drain, which allocates the whole rest of the body at once, finds nothing left.

use std::io::{self, ErrorKind, Read};

use crossbeam_channel::{Receiver, Sender};

/// Bytes read from the socket at a time.
const CHUNK: usize = 64 * 1024;
/// Chunks waiting for the handler at most.
const CHUNKS: usize = 4;

/// The upload's body as the handler reads it.
pub struct UploadBody {
    rx: Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    at: usize,
}

impl Read for UploadBody {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at >= self.chunk.len() {
            match self.rx.recv() {
                Ok(Ok(c)) => {
                    self.chunk = c;
                    self.at = 0;
                }
                Ok(Err(e)) => return Err(e),
                // The pump is done: the whole body was read.
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.chunk.len() - self.at);
        out[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// A body reader for the handler and the sender the pump feeds it through.
pub fn channel() -> (Sender<io::Result<Vec<u8>>>, UploadBody) {
    let (tx, rx) = crossbeam_channel::bounded(CHUNKS);
    (
        tx,
        UploadBody {
            rx,
            chunk: Vec::new(),
            at: 0,
        },
    )
}

/// Reads the request body (tiny_http stops it at its `Content-Length`) into `tx` until it ends;
/// once the handler has dropped its end, reads on and drops the rest.
pub fn pump(body: &mut dyn Read, tx: Sender<io::Result<Vec<u8>>>) {
    let mut buf = vec![0u8; CHUNK];
    let mut open = true;
    loop {
        match body.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                if open && tx.send(Ok(buf[..n].to_vec())).is_err() {
                    open = false;
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                if open {
                    let _ = tx.send(Err(e));
                }
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_arrives_whole_and_in_order() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let (tx, mut body) = channel();
        let mut src = &data[..];
        let got = std::thread::scope(|s| {
            s.spawn(move || pump(&mut src, tx));
            let mut got = Vec::new();
            body.read_to_end(&mut got).unwrap();
            got
        });
        assert_eq!(got, data);
    }

    #[test]
    fn a_handler_that_stops_reading_does_not_stop_the_drain() {
        let data = vec![7u8; 1_000_000];
        let (tx, body) = channel();
        let mut src = &data[..];
        drop(body);
        pump(&mut src, tx);
        assert!(src.is_empty(), "the rest was read and dropped");
    }
}
