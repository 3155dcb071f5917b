//! The connection guard: a request header that never ends is answered 431 and closed, and no client
//! address holds more than `http.connections_per_client` connections ([`PER_CLIENT`] unless set).
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
//! tiny_http also has no limit on connections: each takes a thread and two descriptors for as long
//! as its client keeps it, and at the descriptor limit the server stops and must be restarted. So
//! the same scan counts each client address's connections, and past the limit (the setting
//! `http.connections_per_client`, [`PER_CLIENT`] by default) closes the ones quiet the longest (a
//! half-sent request gets a 503 that says why). A device that leaks connections, or a slowloris
//! client opening more and more, costs ringbook that many connections, not its service. A flood
//! faster than the guard can close (thousands of connections a second from one address, or from
//! many addresses) can still reach the limit, and then ringbook restarts as before.
//!
//! A scan costs a few system calls a descriptor (0.3 ms with 64 keep-alive connections and 3 ms
//! with 564 here; 0.5% and 3.4% of a core if it ran every [`TICK`]). So the guard scans once a
//! second, and at the next tick whenever the process's memory grew by [`GROWTH`] or the machine's
//! TCP sockets by [`NEW_SOCKETS`] within one: a flood is found by what it takes. While connections
//! arrive in numbers it scans every [`HOT_TICK`]. Measured with the once-a-second scan: the guard
//! thread took 0.06% of a core on an idle server, 0.09% with 64 keep-alive connections and 0.35%
//! with 564. What a header flood can take before it is cut is about two ticks of what one core
//! parses (150 MB/s here, so some 30 MB), a slower one at most [`SCAN_EVERY`] times [`GROWTH`], and
//! [`HEADER_CAP`] a connection: bounded, where it wasn't. Requests with a body cost two lock
//! operations.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::{Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use socket2::{SockAddr, SockRef};

/// How often the connections are looked at.
pub const TICK: Duration = Duration::from_millis(100);

/// The tick for [`HOT_FOR`] after connections arrived in numbers ([`NEW_SOCKETS`] within a tick) or a
/// scan had to close some: tiny_http accepts thousands of connections a second (a whole listen
/// queue at once), so at [`TICK`] a flood from one address could reach the descriptor limit
/// between two scans.
const HOT_TICK: Duration = Duration::from_millis(10);

/// How long the guard keeps to [`HOT_TICK`] after the last sign of a flood. Connections closed by
/// the guard and new ones from a flood can cancel out in the socket count, so a quiet count alone
/// doesn't say the flood is over.
const HOT_FOR: Duration = Duration::from_secs(2);

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

/// Connections one client address may hold at once (for HTTPS, the real client's) unless the setting
/// `http.connections_per_client` says otherwise. A phone holds one or two, a browser six, a PBX's
/// pool some dozens; past this, the client's connections that have been quiet the longest are
/// closed. Without a limit, one device that leaks connections (or one slowloris client) takes every
/// descriptor the service has, about 2,000 connections under its `LimitNOFILE=4096`, and ringbook
/// must restart to serve anyone again. An office whose phones reach ringbook through one address
/// (a NAT router or a reverse proxy) shares one limit among all of them and may need it higher.
pub const PER_CLIENT: usize = 256;

/// TCP sockets the machine may gain within one tick before the connections are scanned at once, so
/// a client opening many is noticed within a tick, not at the next regular scan. Counted by the
/// kernel for the whole network namespace (`/proc/self/net/sockstat`), including connections still
/// waiting to be accepted; the process's own threads or memory wouldn't show them, since
/// tiny_http hands a new connection to an idle thread it kept from earlier ones.
const NEW_SOCKETS: u64 = 32;

/// Connections cut since the start for a header past [`HEADER_CAP`], for `/metrics`.
pub static CUT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Connections closed since the start because their client held more than the limit, for
/// `/metrics`.
pub static CROWDED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

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

/// Starts the guard for the HTTP listener on `port`, keeping each client address to `per_client`
/// connections.
pub fn start(port: u16, per_client: usize) {
    if let Err(e) = crate::vital::spawn("http-guard", move || watch(port, per_client)) {
        log::error!("the connection guard could not start: {e}");
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

/// What the guard remembers of a connection between scans.
#[derive(Default)]
struct Track {
    mark: Mark,
    /// The sum of the connection's counts at the last scan: it grows whenever any of them does.
    counts: u64,
    /// The scan at which the counts last grew, or the connection was first seen.
    moved: u64,
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

fn watch(port: u16, per_client: usize) {
    // A connection seen for the first time is judged from its start, so a flood that began within
    // the last tick is not forgiven its first tick.
    let mut tracks: HashMap<SocketAddr, Track> = HashMap::new();
    let statm = std::fs::File::open("/proc/self/statm").ok();
    let sockstat = std::fs::File::open("/proc/self/net/sockstat").ok();
    let (mut rss, mut sockets) = (resident(statm.as_ref()), tcp_sockets(sockstat.as_ref()));
    let (mut ticks, mut scans) = (0, 0u64);
    let mut hot_until: Option<std::time::Instant> = None;
    loop {
        let hot = hot_until.is_some_and(|t| t > std::time::Instant::now());
        thread::sleep(if hot { HOT_TICK } else { TICK });
        // A scan costs a few system calls a descriptor; the memory and socket figures one read each.
        let (now_rss, now_sockets) = (resident(statm.as_ref()), tcp_sockets(sockstat.as_ref()));
        let arriving = now_sockets.saturating_sub(sockets) >= NEW_SOCKETS;
        let grew = now_rss.saturating_sub(rss) >= GROWTH;
        (rss, sockets) = (now_rss, now_sockets);
        ticks += 1;
        if !grew && !arriving && !hot && ticks < SCAN_EVERY {
            continue;
        }
        ticks = 0;
        scans += 1;
        let conns = connections(port);
        let counts = bodies().clone();
        let mut cut: Vec<(SocketAddr, u64)> = Vec::new();
        // The connections left open by the header check, as the per-client limit sees them.
        let (mut held, mut left): (Vec<Held>, Vec<&Conn>) = (Vec::new(), Vec::new());
        for c in &conns {
            let t = tracks.entry(c.peer).or_default();
            let body = counts.get(&c.peer).copied().unwrap_or(0);
            let sum = c.taken.wrapping_add(c.sent).wrapping_add(body);
            if t.moved == 0 || sum != t.counts {
                (t.counts, t.moved) = (sum, scans);
            }
            if let Some(over) = judge(&mut t.mark, c.taken, c.sent, body) {
                // Marks count what arrived, read or not; what still waits unread is no part of a
                // header in memory. Asked only here, since it costs a call a connection.
                let over = over.saturating_sub(unread(c.fd));
                if over > HEADER_CAP && shut(c.fd, c.peer, port, Some(&refusal(over))) {
                    // The HTTPS proxy's connection stands for its real client.
                    cut.push((super::tls::client_of(c.peer).0, over));
                    continue;
                }
            }
            held.push(Held {
                client: super::tls::client_of(c.peer).0.ip(),
                moved: t.moved,
                reading: body & 1 == 1,
                asking: c.taken > t.mark.taken,
            });
            left.push(c);
        }
        let live: HashSet<SocketAddr> = conns.iter().map(|c| c.peer).collect();
        tracks.retain(|p, _| live.contains(p));
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
        let crowded = close_crowds(&held, &left, port, per_client);
        if arriving || crowded || !cut.is_empty() {
            hot_until = Some(std::time::Instant::now() + HOT_FOR);
        }
    }
}

/// A connection as the per-client limit sees it.
#[derive(Clone, Copy, Debug)]
struct Held {
    /// The real client (the HTTPS proxy's connections stand for theirs).
    client: IpAddr,
    /// The scan at which its counts last grew.
    moved: u64,
    /// A worker is reading a request body from it.
    reading: bool,
    /// Bytes have arrived since ringbook last answered it: a request is on its way in.
    asking: bool,
}

/// Which of `held` to close so that no client holds more than `limit`: from each client over it,
/// the connections quiet the longest (of those quiet as long, the first listed, which for
/// descriptors in order is mostly the oldest), never one a body is being read from.
fn crowded(held: &[Held], limit: usize) -> Vec<usize> {
    let mut by_client: HashMap<IpAddr, Vec<usize>> = HashMap::new();
    for (i, h) in held.iter().enumerate() {
        by_client.entry(h.client).or_default().push(i);
    }
    let mut out = Vec::new();
    for mut of_one in by_client.into_values() {
        let Some(excess) = of_one.len().checked_sub(limit).filter(|&n| n > 0) else {
            continue;
        };
        of_one.retain(|&i| !held[i].reading);
        of_one.sort_by_key(|&i| (held[i].moved, i));
        out.extend(of_one.into_iter().take(excess));
    }
    out.sort_unstable();
    out
}

/// Closes what [`crowded`] picks, and says whether there was any. A connection with a request on its
/// way in gets a 503 that says why; an idle one is just closed, as an idle keep-alive connection may
/// be.
fn close_crowds(held: &[Held], conns: &[&Conn], port: u16, limit: usize) -> bool {
    let pick = crowded(held, limit);
    if pick.is_empty() {
        return false;
    }
    let mut per_client: BTreeMap<IpAddr, (usize, usize)> = BTreeMap::new();
    for h in held {
        per_client.entry(h.client).or_default().1 += 1;
    }
    for i in pick {
        let (h, c) = (&held[i], conns[i]);
        let answer = h.asking.then(|| crowd_refusal(h.client, limit));
        if shut(c.fd, c.peer, port, answer.as_deref()) {
            per_client.entry(h.client).or_default().0 += 1;
        }
    }
    for (client, (closed, had)) in per_client.into_iter().filter(|(_, (n, _))| *n > 0) {
        CROWDED.fetch_add(closed as u64, std::sync::atomic::Ordering::Relaxed);
        log::warn!(
            "closed {closed} connection(s) from {client}, which held {had} at once; ringbook keeps \
             at most {limit} connections per client address (http.connections_per_client) and \
             closes the ones quiet the longest"
        );
    }
    true
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
    let mut buf = [0u8; 128];
    let pages = read_fresh(statm, &mut buf)
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0);
    // SAFETY: sysconf only reads a system constant.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * page.max(0) as u64
}

/// TCP sockets allocated in the network namespace, from `sockstat` kept open as for [`resident`]
/// (the `alloc` figure of its `TCP:` line); 0 where it can't be read, which leaves the guard to its
/// other triggers.
fn tcp_sockets(sockstat: Option<&std::fs::File>) -> u64 {
    let mut buf = [0u8; 512];
    read_fresh(sockstat, &mut buf)
        .and_then(alloc_in)
        .unwrap_or(0)
}

/// The `alloc` figure of the `TCP:` line in the text of a `sockstat`.
fn alloc_in(sockstat: &str) -> Option<u64> {
    let line = sockstat.lines().find(|l| l.starts_with("TCP:"))?;
    let mut words = line.split_whitespace();
    words.find(|w| *w == "alloc")?;
    words.next()?.parse().ok()
}

/// A procfs file's text, read from its start (which has procfs make it anew).
fn read_fresh<'a>(file: Option<&std::fs::File>, buf: &'a mut [u8]) -> Option<&'a str> {
    use std::os::unix::fs::FileExt;
    let n = file?.read_at(buf, 0).ok()?;
    std::str::from_utf8(&buf[..n]).ok()
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

/// Sends `answer` (if any) on the connection behind `fd` and shuts it down, if it still is the
/// connection from `peer` on `port`. Works on a copy of the descriptor, so tiny_http's own stays
/// valid (its next read fails or ends and it closes it) and a number reused since the scan is never
/// touched.
fn shut(fd: RawFd, peer: SocketAddr, port: u16, answer: Option<&[u8]>) -> bool {
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
    if let Some(answer) = answer {
        // Without waiting: a client that doesn't read has its answer dropped, not the guard held
        // up.
        let _ = sock.send_with_flags(answer, libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL);
        // A reset when tiny_http closes it, not an orderly close: a client still sending would
        // otherwise sit blocked in its send against a zero window, and the kernel keep the orphan
        // for a minute.
        let _ = sock.set_linger(Some(Duration::ZERO));
    }
    let _ = sock.shutdown(std::net::Shutdown::Both);
    true
}

/// The whole 431 response, as the workers would word it.
fn refusal(over: u64) -> Vec<u8> {
    whole_answer(
        "431 Request Header Fields Too Large",
        format!(
            "the request's header went on past {} KiB without ending; ringbook takes at most {} \
             fields and {} KiB, and closed the connection",
            over / 1024,
            super::MAX_HEADER_FIELDS,
            super::MAX_HEADER_BYTES / 1024
        ),
    )
}

/// The whole 503 response for a connection closed by the per-client limit.
fn crowd_refusal(client: IpAddr, limit: usize) -> Vec<u8> {
    whole_answer(
        "503 Service Unavailable",
        format!(
            "{client} held more than {limit} connections to ringbook at once, the most one \
             client address may hold; this one had been quiet the longest and was closed"
        ),
    )
}

/// A whole HTTP/1.1 answer with a JSON error, which closes the connection.
fn whole_answer(status: &str, message: String) -> Vec<u8> {
    let body = serde_json::json!({ "error": message }).to_string();
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nX-Content-Type-Options: \
         nosniff\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
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
    fn a_crowding_client_loses_its_longest_quiet_connections_and_no_one_else_any() {
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let h = |client, moved, reading| Held {
            client,
            moved,
            reading,
            asking: false,
        };
        // Client a holds 5 with a limit of 3; b holds 3 and loses none.
        let held = [
            h(a, 7, false), // 0
            h(b, 1, false), // 1
            h(a, 2, false), // 2: the quietest of a's
            h(a, 5, true),  // 3: quiet, but a body is being read from it
            h(b, 1, false), // 4
            h(a, 5, false), // 5: as quiet as 6, listed first
            h(a, 5, false), // 6
            h(b, 9, false), // 7
        ];
        assert_eq!(crowded(&held, 3), vec![2, 5]);
        assert_eq!(crowded(&held, 5), Vec::<usize>::new());
        // Every connection a body is being read from is spared, even if that leaves too many.
        let reading = [h(a, 1, true), h(a, 2, true), h(a, 3, false)];
        assert_eq!(crowded(&reading, 1), vec![2]);
    }

    #[test]
    fn the_tcp_socket_count_is_read_from_sockstat() {
        let text =
            "sockets: used 190\nTCP: inuse 12 orphan 0 tw 3 alloc 4117 mem 2\nUDP: inuse 4 mem 1\n";
        assert_eq!(alloc_in(text), Some(4117));
        assert_eq!(alloc_in("sockets: used 1\n"), None);
        // This machine's own, read the way the guard reads it.
        let f = std::fs::File::open("/proc/self/net/sockstat").unwrap();
        let before = tcp_sockets(Some(&f));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let held: Vec<_> = (0..100)
            .map(|_| std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap())
            .collect();
        // 200 ends made here; other tests may close a few of theirs meanwhile.
        let after = tcp_sockets(Some(&f));
        assert!(after >= before + 100, "{before} -> {after}");
        drop(held);
    }

    #[test]
    fn the_crowd_refusal_is_a_whole_503_that_names_the_client() {
        let r = String::from_utf8(crowd_refusal("192.0.2.9".parse().unwrap(), PER_CLIENT)).unwrap();
        let (head, body) = r.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 "), "{head}");
        assert!(head.contains("Connection: close"), "{head}");
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        let msg = v["error"].as_str().unwrap();
        assert!(
            msg.contains("192.0.2.9") && msg.contains(&format!("more than {PER_CLIENT}")),
            "{msg}"
        );
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
