//! The header guard: a connection whose request header never ends is answered 431 and closed.
//!
//! tiny_http 0.12 reads a request's header into memory, line by line, before ringbook sees the
//! request, and nothing caps it: one connection sending an endless header line grew the server by
//! 150 MB a second over loopback (measured on the release build), so a couple of them exhaust a Pi's
//! memory within seconds. Its API has no hook between accepting a connection and handing out a
//! request, so this thread watches the connections from outside. At each scan it asks the kernel
//! (`TCP_INFO`) how many bytes have arrived on each connection on the HTTP port and how many of
//! ringbook's own bytes the client has acknowledged. A connection that has read more than
//! [`HEADER_CAP`] (what arrived, less what still waits unread) since ringbook last sent it anything,
//! while no worker was reading a request body from it, can only be in the middle of a header (or a
//! target) that ringbook would refuse anyway: it gets its 431 from here and is shut down, which
//! ends tiny_http's read with an error and frees what that read held. The client gets the 431 and
//! then a reset, since it is still sending.
//!
//! Bodies are read by ringbook's own workers, capped ([`super::MAX_BODY`]) or streamed to disk, so
//! they are told apart from headers by [`reading`], which brackets every body read.
//!
//! A scan costs a few system calls a descriptor (0.3 ms with 64 keep-alive connections and 3 ms
//! with 564 here; 0.5% and 3.4% of a core if it ran every [`TICK`]). So the guard scans once a
//! second, and at the next tick whenever the process's memory grew by [`GROWTH`] within one: a
//! flood is found by the memory it takes. Measured with this: the guard thread took 0.06% of a
//! core on an idle server, 0.09% with 64 keep-alive connections and 0.35% with 564. What a flood can take before it is cut is about two
//! ticks of what one core parses (150 MB/s here, so some 30 MB), a slower one at most
//! [`SCAN_EVERY`] times [`GROWTH`], and [`HEADER_CAP`] a connection: bounded, where it wasn't.
//! Requests with a body cost two lock operations.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::{Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use socket2::{SockAddr, SockRef};

/// How often the connections are looked at.
pub const TICK: Duration = Duration::from_millis(100);

/// Ticks between scans of the connections when the process's memory holds still. A header that
/// grows fast is found at the next tick by the memory it takes ([`GROWTH`]); one that grows slower
/// than that waits for this scan, so it takes at most this many ticks of [`GROWTH`].
const SCAN_EVERY: u32 = 10;

/// Growth of the resident memory within one tick that has the connections scanned at once.
const GROWTH: u64 = 4 << 20;

/// Bytes a connection may take in without ringbook answering or reading a body: four times the
/// largest header ringbook accepts ([`super::MAX_HEADER_BYTES`] and [`super::MAX_TARGET`]), so a
/// header just past the limits still gets its precise 414 or 431 from the worker, and a client
/// that sends a few requests ahead of their answers is left alone.
pub const HEADER_CAP: u64 = 4 * (super::MAX_HEADER_BYTES + super::MAX_TARGET) as u64;

/// `TCP_ESTABLISHED` in the kernel's `tcp_states.h` (libc has no name for it).
const TCP_ESTABLISHED: u8 = 1;

/// Connections cut since the start, for `/metrics`.
pub static CUT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Per client address of a connection (as tiny_http reports it): a count that is odd while a worker
/// reads a request body from it, and grows by two with every body read.
static BODIES: Mutex<BTreeMap<SocketAddr, u64>> = Mutex::new(BTreeMap::new());

fn bodies() -> MutexGuard<'static, BTreeMap<SocketAddr, u64>> {
    BODIES.lock().unwrap_or_else(|e| e.into_inner())
}

/// Marks a body read on the connection from `peer` until the value is dropped. Not nested: one
/// request's body is read by one worker at a time.
pub fn reading(peer: Option<&SocketAddr>) -> Reading {
    if let Some(&peer) = peer {
        *bodies().entry(peer).or_insert(0) |= 1;
    }
    Reading(peer.copied())
}

/// See [`reading`].
pub struct Reading(Option<SocketAddr>);

impl Drop for Reading {
    fn drop(&mut self) {
        if let Some(peer) = self.0 {
            let mut b = bodies();
            let n = b.entry(peer).or_insert(1);
            *n = (*n | 1) + 1;
        }
    }
}

/// Starts the guard for the HTTP listener on `port`.
pub fn start(port: u16) {
    if let Err(e) = crate::vital::spawn("http-guard", move || watch(port)) {
        log::error!("the header guard could not start: {e}");
    }
}

/// One connection on the HTTP port, as the kernel counts it.
struct Conn {
    fd: RawFd,
    peer: SocketAddr,
    /// Bytes that have arrived on the connection, read or not.
    taken: u64,
    /// Bytes of ringbook's the client has acknowledged.
    sent: u64,
}

/// A connection's counts when ringbook last answered it or read a body from it.
#[derive(Clone, Copy, Default, Debug, PartialEq)]
struct Mark {
    taken: u64,
    sent: u64,
    bodies: u64,
}

/// How far past its mark a connection has gone with neither an answer nor a body read, if that is
/// more than [`HEADER_CAP`]; otherwise the mark moves up to now when either happened.
fn judge(mark: &mut Mark, taken: u64, sent: u64, bodies: u64) -> Option<u64> {
    if sent != mark.sent || bodies != mark.bodies || bodies & 1 == 1 {
        *mark = Mark {
            taken,
            sent,
            bodies,
        };
        return None;
    }
    let over = taken.saturating_sub(mark.taken);
    (over > HEADER_CAP).then_some(over)
}

fn watch(port: u16) {
    // A connection seen for the first time is judged from its start, so a flood that began within
    // the last tick is not forgiven its first tick.
    let mut marks: HashMap<SocketAddr, Mark> = HashMap::new();
    let statm = std::fs::File::open("/proc/self/statm").ok();
    let (mut rss, mut ticks) = (resident(statm.as_ref()), 0);
    loop {
        thread::sleep(TICK);
        // A scan costs a few system calls a descriptor; the memory figure costs one read.
        let now = resident(statm.as_ref());
        let grew = now.saturating_sub(rss) >= GROWTH;
        rss = now;
        ticks += 1;
        if !grew && ticks < SCAN_EVERY {
            continue;
        }
        ticks = 0;
        let conns = connections(port);
        let counts = bodies().clone();
        let mut cut: Vec<(SocketAddr, u64)> = Vec::new();
        for c in &conns {
            let mark = marks.entry(c.peer).or_default();
            let body = counts.get(&c.peer).copied().unwrap_or(0);
            if let Some(over) = judge(mark, c.taken, c.sent, body) {
                // Marks count what arrived, read or not; what still waits unread is no part of a
                // header in memory. Asked only here, since it costs a call a connection.
                let over = over.saturating_sub(unread(c.fd));
                if over > HEADER_CAP && shut(c.fd, c.peer, port, over) {
                    // The HTTPS proxy's connection stands for its real client.
                    cut.push((super::tls::client_of(c.peer).0, over));
                }
            }
        }
        let live: HashSet<SocketAddr> = conns.iter().map(|c| c.peer).collect();
        marks.retain(|p, _| live.contains(p));
        bodies().retain(|p, n| live.contains(p) || *n & 1 == 1);
        if !cut.is_empty() {
            CUT.fetch_add(cut.len() as u64, std::sync::atomic::Ordering::Relaxed);
            let mut from: Vec<String> = Vec::new();
            for (p, _) in &cut {
                let ip = p.ip().to_string();
                if !from.contains(&ip) && from.len() < 5 {
                    from.push(ip);
                }
            }
            let most = cut.iter().map(|(_, n)| n).max().copied().unwrap_or(0);
            log::warn!(
                "closed {} connection(s) from {} whose request header went on past {} KiB without \
                 ending (up to {} KiB); ringbook takes at most {} KiB of header",
                cut.len(),
                from.join(", "),
                HEADER_CAP / 1024,
                most / 1024,
                super::MAX_HEADER_BYTES / 1024,
            );
        }
    }
}

/// The established connections on the HTTP port, one entry each (tiny_http holds two descriptors
/// for each).
fn connections(port: u16) -> Vec<Conn> {
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return Vec::new();
    };
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    // Cheapest test first: the peer's address fails fast on anything that isn't a connected
    // socket, and the second of a connection's two descriptors ends before `TCP_INFO`. The port
    // comes before `seen`, so an outgoing connection (to a CRM) can't hide an incoming one that
    // happens to come from the same address and port.
    for entry in dir.flatten() {
        let Some(fd) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        let Some(peer) = peer_of(fd) else { continue };
        if local_port(fd) != Some(port) || !seen.insert(peer) {
            continue;
        }
        let Some(info) = tcp_info(fd) else { continue };
        if info.tcpi_state != TCP_ESTABLISHED {
            continue;
        }
        out.push(Conn {
            fd,
            peer,
            taken: info.tcpi_bytes_received,
            sent: info.tcpi_bytes_acked,
        });
    }
    out
}

/// The process's resident memory in bytes, from `statm` (kept open: procfs makes the figures anew
/// on every read from the start, and the open is most of the cost); 0 where it can't be read, which
/// leaves the guard to its regular scans.
fn resident(statm: Option<&std::fs::File>) -> u64 {
    use std::os::unix::fs::FileExt;
    let mut buf = [0u8; 128];
    let Some(n) = statm.and_then(|f| f.read_at(&mut buf, 0).ok()) else {
        return 0;
    };
    let pages = std::str::from_utf8(&buf[..n])
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0);
    // SAFETY: sysconf only reads a system constant.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * page.max(0) as u64
}

/// Bytes that have arrived on `fd` and wait unread.
fn unread(fd: RawFd) -> u64 {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int to the pointer given; a closed descriptor fails with EBADF.
    if unsafe { libc::ioctl(fd, libc::FIONREAD, &mut n) } != 0 {
        return 0;
    }
    n.max(0) as u64
}

fn tcp_info(fd: RawFd) -> Option<libc::tcp_info> {
    // SAFETY: tcp_info is plain integers, for which all zeroes is a valid value.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
    // SAFETY: the kernel writes at most `len` bytes to `info`; any descriptor that isn't a TCP
    // socket (or no longer open) fails instead.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&mut info as *mut libc::tcp_info).cast(),
            &mut len,
        )
    };
    (rc == 0).then_some(info)
}

fn local_port(fd: RawFd) -> Option<u16> {
    address(fd, libc::getsockname).map(|a| a.port())
}

fn peer_of(fd: RawFd) -> Option<SocketAddr> {
    address(fd, libc::getpeername)
}

/// The socket address that `call` (`getsockname` or `getpeername`) reports for `fd`.
fn address(
    fd: RawFd,
    call: unsafe extern "C" fn(
        libc::c_int,
        *mut libc::sockaddr,
        *mut libc::socklen_t,
    ) -> libc::c_int,
) -> Option<SocketAddr> {
    // SAFETY: both calls write at most `len` bytes of address to the storage given, and fail on a
    // descriptor that is closed or not a socket.
    let (_, addr) = unsafe {
        SockAddr::try_init(|storage, len| {
            if call(fd, storage.cast(), len) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        })
    }
    .ok()?;
    addr.as_socket()
}

/// Answers 431 on the connection behind `fd` and shuts it down, if it still is the connection from
/// `peer` on `port`. Works on a copy of the descriptor, so tiny_http's own stays valid (its next
/// read fails and it closes it) and a number reused since the scan is never touched.
fn shut(fd: RawFd, peer: SocketAddr, port: u16, over: u64) -> bool {
    // SAFETY: F_DUPFD_CLOEXEC makes a new descriptor, which this function then owns and closes.
    let dup = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
    if dup < 0 {
        return false;
    }
    // SAFETY: `dup` was just made, and nothing else holds it.
    let own = unsafe { OwnedFd::from_raw_fd(dup) };
    if peer_of(own.as_raw_fd()) != Some(peer) || local_port(own.as_raw_fd()) != Some(port) {
        return false;
    }
    let sock = SockRef::from(&own);
    let answer = refusal(over);
    // Without waiting: a client that doesn't read has its answer dropped, not the guard held up.
    let _ = sock.send_with_flags(&answer, libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL);
    // A reset when tiny_http closes it, not an orderly close: a flooding client would otherwise sit
    // blocked in its send against a zero window, and the kernel keep the orphan for a minute.
    let _ = sock.set_linger(Some(Duration::ZERO));
    let _ = sock.shutdown(std::net::Shutdown::Both);
    true
}

/// The whole 431 response, as the workers would word it.
fn refusal(over: u64) -> Vec<u8> {
    let body = serde_json::json!({
        "error": format!(
            "the request's header went on past {} KiB without ending; ringbook takes at most {} \
             fields and {} KiB, and closed the connection",
            over / 1024,
            super::MAX_HEADER_FIELDS,
            super::MAX_HEADER_BYTES / 1024
        )
    })
    .to_string();
    format!(
        "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: application/json\r\n\
         X-Content-Type-Options: nosniff\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bytes_taken_without_an_answer_or_a_body_read_count() {
        let mut m = Mark::default();
        // A new connection that has only sent: judged from its start.
        assert_eq!(judge(&mut m, HEADER_CAP, 0, 0), None);
        assert_eq!(judge(&mut m, HEADER_CAP + 1, 0, 0), Some(HEADER_CAP + 1));
        // An answer moves the mark: what came before is forgiven.
        assert_eq!(judge(&mut m, 10 * HEADER_CAP, 500, 0), None);
        assert_eq!(judge(&mut m, 11 * HEADER_CAP, 500, 0), None);
        assert_eq!(
            judge(&mut m, 11 * HEADER_CAP + 1, 500, 0),
            Some(HEADER_CAP + 1)
        );
        // A body being read (odd) never counts, however long it runs, and one that was read
        // since the last look moves the mark too.
        assert_eq!(judge(&mut m, 50 * HEADER_CAP, 500, 1), None);
        assert_eq!(judge(&mut m, 90 * HEADER_CAP, 500, 1), None);
        assert_eq!(judge(&mut m, 95 * HEADER_CAP, 500, 2), None);
        assert_eq!(judge(&mut m, 95 * HEADER_CAP + 100, 500, 2), None);
        assert!(judge(&mut m, 97 * HEADER_CAP, 500, 2).is_some());
    }

    #[test]
    fn a_body_read_leaves_its_count_even_and_changed() {
        let peer: SocketAddr = "192.0.2.7:40000".parse().unwrap();
        let count = || bodies().get(&peer).copied();
        {
            let _r = reading(Some(&peer));
            assert_eq!(count(), Some(1));
        }
        assert_eq!(count(), Some(2));
        {
            let _r = reading(Some(&peer));
            assert_eq!(count(), Some(3));
        }
        assert_eq!(count(), Some(4));
        // Pruned by the guard while it was between reads: the next read still counts as a change.
        bodies().remove(&peer);
        drop(reading(Some(&peer)));
        assert_eq!(count(), Some(2));
    }

    #[test]
    fn the_refusal_is_a_whole_431_with_a_reason() {
        let r = String::from_utf8(refusal(300 * 1024)).unwrap();
        let (head, body) = r.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 431 "), "{head}");
        assert!(
            head.contains(&format!("Content-Length: {}", body.len())),
            "{head}"
        );
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        let msg = v["error"].as_str().unwrap();
        assert!(
            msg.contains("past 300 KiB") && msg.contains("ringbook takes at most"),
            "{msg}"
        );
    }
}
