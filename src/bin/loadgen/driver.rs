//! The load generator's connections, driven from epoll loops.
//!
//! The generator shares the machine with the server it measures. With a blocking thread per
//! connection it cost about 16 µs of CPU per lookup at full load, most of it the kernel putting each
//! thread to sleep and waking it for its answer: a quarter of a two-core machine that the server
//! then didn't have. Here each thread keeps a share of the connections open and non-blocking and
//! waits for all of them at once, the way `wrk` does, so one wake-up serves every answer that arrived
//! meanwhile (about 10.5 µs per lookup at full load; paced at half load the two cost about the same,
//! since answers then arrive one at a time).
//!
//! A connection is opened with a blocking `connect`, which on loopback returns within a tenth of a
//! millisecond; a connect that stalled would hold up every connection of its loop.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long an answer may take before the connection counts as failed and is opened again.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a loop with nothing due looks at the stop flag.
const STOP_CHECK: Duration = Duration::from_millis(20);
/// How long to wait before connecting again after a connect failed.
const RECONNECT_PAUSE: Duration = Duration::from_millis(10);

/// Writes the request bytes for the `n`th request (counted from 0) of connection `conn`.
pub trait Requests: Sync {
    fn write(&self, conn: usize, n: u64, out: &mut Vec<u8>);
}

/// What every connection of a run shares.
pub struct Plan<'a> {
    pub addr: SocketAddr,
    pub requests: &'a dyn Requests,
    /// All connections of the run, over every loop: paced connections spread their first send over
    /// one interval by their index in this count.
    pub connections: usize,
    /// Each connection's time between requests when paced; `None` sends as soon as the answer is in.
    pub interval: Option<Duration>,
    pub start: Instant,
    /// Answers to requests due before this are not counted (the warm-up).
    pub measure_from: Instant,
}

/// Latency histogram with 1 µs resolution up to 100 ms and 1 ms beyond, to 10 s.
pub struct Hist {
    fine: Vec<u64>,
    coarse: Vec<u64>,
    pub n: u64,
}

impl Hist {
    pub fn new() -> Hist {
        Hist {
            fine: vec![0; 100_000],
            coarse: vec![0; 10_000],
            n: 0,
        }
    }

    fn add(&mut self, us: u64) {
        if us < 100_000 {
            self.fine[us as usize] += 1;
        } else {
            self.coarse[((us / 1000) as usize).min(9_999)] += 1;
        }
        self.n += 1;
    }

    pub fn merge(&mut self, o: &Hist) {
        for (a, b) in self.fine.iter_mut().zip(&o.fine) {
            *a += b;
        }
        for (a, b) in self.coarse.iter_mut().zip(&o.coarse) {
            *a += b;
        }
        self.n += o.n;
    }

    pub fn percentile(&self, p: f64) -> u64 {
        if self.n == 0 {
            return 0;
        }
        let want = ((self.n as f64) * p).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (us, c) in self.fine.iter().enumerate() {
            seen += c;
            if seen >= want {
                return us as u64;
            }
        }
        for (ms, c) in self.coarse.iter().enumerate() {
            seen += c;
            if seen >= want {
                return ms as u64 * 1000;
            }
        }
        10_000_000
    }
}

/// What one loop counted.
pub struct Outcome {
    pub hist: Hist,
    pub errors: u64,
    pub non_2xx: u64,
    /// Connections that got at most one measured answer.
    pub starved: u64,
    /// The slowest answer to a request due in each second of the measurement: a p99 made by one
    /// stall of every connection shows as one bad second, a slow server as many.
    pub max_us_by_second: Vec<u64>,
}

/// One keep-alive connection.
struct Conn {
    /// The connection's number in the whole run.
    idx: usize,
    stream: Option<TcpStream>,
    /// The answer read so far.
    inbuf: Vec<u8>,
    /// The request being sent, and how much of it is out.
    outbuf: Vec<u8>,
    written: usize,
    /// Whether the loop waits for the socket to take more of `outbuf`.
    wants_write: bool,
    /// When the request in flight was due (paced) or sent (as fast as answers come).
    in_flight: Option<Instant>,
    /// When the next paced request is due.
    next_due: Instant,
    /// Requests started so far.
    sent: u64,
    /// When to connect again after a connect failed.
    retry_at: Option<Instant>,
    measured: u64,
}

/// Runs connections `conns` of `plan` until `stop` is set.
pub fn run(plan: &Plan, conns: impl Iterator<Item = usize>, stop: &AtomicBool) -> Outcome {
    // Sleeps end within a microsecond of when they were asked to, not the default 50 µs later: a
    // paced request is measured from when it was due, so a late wake-up would count as latency.
    // SAFETY: prctl with PR_SET_TIMERSLACK reads no memory; it only sets this thread's slack.
    unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1_000 as libc::c_ulong) };
    let epoll = Epoll::new().expect("the kernel can make an epoll instance");
    let mut conns: Vec<Conn> = conns
        .map(|idx| Conn {
            idx,
            stream: None,
            inbuf: Vec::with_capacity(16 * 1024),
            outbuf: Vec::with_capacity(1024),
            written: 0,
            wants_write: false,
            in_flight: None,
            // Paced connections spread over one interval so they don't fire in lockstep.
            next_due: plan.start
                + plan
                    .interval
                    .map(|i| i.mul_f64(idx as f64 / plan.connections.max(1) as f64))
                    .unwrap_or_default(),
            sent: 0,
            retry_at: Some(plan.start),
            measured: 0,
        })
        .collect();
    let mut out = Outcome {
        hist: Hist::new(),
        errors: 0,
        non_2xx: 0,
        starved: 0,
        max_us_by_second: Vec::new(),
    };
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; conns.len().max(1)];
    let mut buf = vec![0u8; 16 * 1024];
    while !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        let mut wake = now + STOP_CHECK;
        for (slot, c) in conns.iter_mut().enumerate() {
            if c.stream.is_none() {
                match c.retry_at {
                    Some(at) if at > now => wake = wake.min(at),
                    _ => c.connect(plan, &epoll, slot, &mut out, now),
                }
                continue;
            }
            match c.in_flight {
                Some(at) if now.duration_since(at) > ANSWER_TIMEOUT => {
                    c.fail(plan, &mut out, now);
                    wake = now;
                }
                Some(_) => {}
                None => match plan.interval {
                    Some(_) if c.next_due > now => wake = wake.min(c.next_due),
                    Some(interval) => {
                        let due = c.next_due;
                        c.next_due += interval;
                        c.send(plan, &epoll, slot, due, &mut out);
                    }
                    None => c.send(plan, &epoll, slot, now, &mut out),
                },
            }
        }
        let n = epoll.wait(&mut events, wake.saturating_duration_since(Instant::now()));
        for ev in &events[..n] {
            let slot = ev.u64 as usize;
            let c = &mut conns[slot];
            if c.stream.is_none() {
                continue;
            }
            if ev.events & libc::EPOLLOUT as u32 != 0 && c.wants_write {
                c.flush(&epoll, slot, plan, &mut out);
            }
            if ev.events & (libc::EPOLLIN | libc::EPOLLERR | libc::EPOLLHUP) as u32 != 0 {
                if let Some(status) = c.read(&mut buf, plan, &mut out) {
                    let due = c.in_flight.take().unwrap_or(plan.start);
                    if due >= plan.measure_from {
                        let us = due.elapsed().as_micros() as u64;
                        out.hist.add(us);
                        let second = due.duration_since(plan.measure_from).as_secs() as usize;
                        if out.max_us_by_second.len() <= second {
                            out.max_us_by_second.resize(second + 1, 0);
                        }
                        out.max_us_by_second[second] = out.max_us_by_second[second].max(us);
                        c.measured += 1;
                        if !(200..300).contains(&status) {
                            out.non_2xx += 1;
                        }
                    }
                    if plan.interval.is_none() && !stop.load(Ordering::Relaxed) {
                        c.send(plan, &epoll, slot, Instant::now(), &mut out);
                    }
                }
            }
        }
    }
    out.starved = conns.iter().filter(|c| c.measured <= 1).count() as u64;
    out
}

impl Conn {
    fn connect(
        &mut self,
        plan: &Plan,
        epoll: &Epoll,
        slot: usize,
        out: &mut Outcome,
        now: Instant,
    ) {
        let opened = TcpStream::connect(plan.addr).and_then(|s| {
            s.set_nodelay(true)?;
            s.set_nonblocking(true)?;
            epoll.add(s.as_raw_fd(), slot)?;
            Ok(s)
        });
        match opened {
            Ok(s) => {
                self.stream = Some(s);
                self.retry_at = None;
                self.inbuf.clear();
            }
            Err(_) => {
                if now >= plan.measure_from {
                    out.errors += 1;
                }
                self.retry_at = Some(now + RECONNECT_PAUSE);
            }
        }
    }

    /// Starts the connection's next request, measured from `due`.
    fn send(&mut self, plan: &Plan, epoll: &Epoll, slot: usize, due: Instant, out: &mut Outcome) {
        self.outbuf.clear();
        plan.requests.write(self.idx, self.sent, &mut self.outbuf);
        self.sent += 1;
        self.written = 0;
        self.in_flight = Some(due);
        self.flush(epoll, slot, plan, out);
    }

    /// Writes what the socket takes of the request; the rest waits for the socket to be writable.
    fn flush(&mut self, epoll: &Epoll, slot: usize, plan: &Plan, out: &mut Outcome) {
        let Some(stream) = self.stream.as_mut() else {
            return;
        };
        while self.written < self.outbuf.len() {
            match stream.write(&self.outbuf[self.written..]) {
                Ok(0) => return self.fail(plan, out, Instant::now()),
                Ok(n) => self.written += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(_) => return self.fail(plan, out, Instant::now()),
            }
        }
        let wants_write = self.written < self.outbuf.len();
        if wants_write != self.wants_write {
            self.wants_write = wants_write;
            if epoll
                .watch_writes(stream.as_raw_fd(), slot, wants_write)
                .is_err()
            {
                self.fail(plan, out, Instant::now());
            }
        }
    }

    /// Reads what has arrived; the status once the whole answer is in.
    fn read(&mut self, buf: &mut [u8], plan: &Plan, out: &mut Outcome) -> Option<u16> {
        loop {
            let stream = self.stream.as_mut()?;
            match stream.read(buf) {
                Ok(0) => {
                    self.fail(plan, out, Instant::now());
                    return None;
                }
                Ok(n) => {
                    self.inbuf.extend_from_slice(&buf[..n]);
                    if let Some((status, len)) = parse_response(&self.inbuf) {
                        self.inbuf.drain(..len);
                        return Some(status);
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => return None,
                Err(_) => {
                    self.fail(plan, out, Instant::now());
                    return None;
                }
            }
        }
    }

    /// Drops the connection (closing it takes it out of the epoll set); the loop opens it again.
    fn fail(&mut self, plan: &Plan, out: &mut Outcome, now: Instant) {
        if self
            .in_flight
            .take()
            .is_some_and(|due| due >= plan.measure_from)
        {
            out.errors += 1;
        }
        self.stream = None;
        self.wants_write = false;
        self.retry_at = Some(now);
    }
}

/// The status and full length of the HTTP answer at the start of `buf`, once all of it is there.
/// Answers without a Content-Length have no body (ringbook and nginx send one with every body).
fn parse_response(buf: &[u8]) -> Option<(u16, usize)> {
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&buf[..head_end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()?
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body_len: usize = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    let len = head_end + 4 + body_len;
    (buf.len() >= len).then_some((status, len))
}

/// An epoll instance whose events carry a connection's slot.
struct Epoll {
    fd: OwnedFd,
}

impl Epoll {
    fn new() -> io::Result<Epoll> {
        // SAFETY: epoll_create1 takes no pointers; a non-negative result is a new descriptor we own.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just returned by epoll_create1 and nothing else holds it.
        Ok(Epoll {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    fn ctl(&self, op: libc::c_int, fd: RawFd, events: libc::c_int, slot: usize) -> io::Result<()> {
        let mut ev = libc::epoll_event {
            events: events as u32,
            u64: slot as u64,
        };
        // SAFETY: `ev` lives across the call, and the kernel copies it before returning.
        if unsafe { libc::epoll_ctl(self.fd.as_raw_fd(), op, fd, &mut ev) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    fn add(&self, fd: RawFd, slot: usize) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_ADD, fd, libc::EPOLLIN, slot)
    }

    fn watch_writes(&self, fd: RawFd, slot: usize, on: bool) -> io::Result<()> {
        let events = if on {
            libc::EPOLLIN | libc::EPOLLOUT
        } else {
            libc::EPOLLIN
        };
        self.ctl(libc::EPOLL_CTL_MOD, fd, events, slot)
    }

    /// Waits up to `timeout` (to the nanosecond, so pacing stays exact) and returns how many of
    /// `events` were filled.
    fn wait(&self, events: &mut [libc::epoll_event], timeout: Duration) -> usize {
        let ts = libc::timespec {
            tv_sec: timeout.as_secs() as libc::time_t,
            tv_nsec: timeout.subsec_nanos() as libc::c_long,
        };
        // SAFETY: `events` is valid for `events.len()` entries and `ts` outlives the call; a null
        // signal mask leaves the thread's mask as it is.
        let n = unsafe {
            libc::epoll_pwait2(
                self.fd.as_raw_fd(),
                events.as_mut_ptr(),
                events.len() as libc::c_int,
                &ts,
                std::ptr::null(),
            )
        };
        // A negative result is EINTR: nothing arrived, and the loop looks again.
        n.max(0) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_complete_once_its_body_is_in() {
        let full = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\ncontent-length: 5\r\n\r\nBerta";
        assert_eq!(parse_response(full), Some((200, full.len())));
        assert_eq!(parse_response(&full[..full.len() - 1]), None);
        assert_eq!(parse_response(&full[..20]), None);
        let empty = b"HTTP/1.1 404 Not Found\r\n\r\nHTTP/1.1 200";
        assert_eq!(parse_response(empty), Some((404, 26)));
    }

    struct Fixed;
    impl Requests for Fixed {
        fn write(&self, _conn: usize, _n: u64, out: &mut Vec<u8>) {
            out.extend_from_slice(b"GET /x HTTP/1.1\r\nHost: t\r\n\r\n");
        }
    }

    /// Paced connections send on their schedule and every answer is counted, against a server
    /// that answers each request once it has read it.
    #[test]
    fn paced_connections_get_their_answers_counted() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for s in listener.incoming().flatten() {
                std::thread::spawn(move || {
                    let mut s = s;
                    let mut buf = [0u8; 4096];
                    let mut seen = Vec::new();
                    while let Ok(n) = s.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        seen.extend_from_slice(&buf[..n]);
                        while let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                            seen.drain(..end + 4);
                            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                        }
                    }
                });
            }
        });
        let stop = AtomicBool::new(false);
        let start = Instant::now();
        let plan = Plan {
            addr,
            requests: &Fixed,
            connections: 4,
            interval: Some(Duration::from_millis(10)),
            start,
            measure_from: start,
        };
        let out = std::thread::scope(|s| {
            let h = s.spawn(|| run(&plan, 0..4, &stop));
            std::thread::sleep(Duration::from_millis(500));
            stop.store(true, Ordering::Relaxed);
            h.join().unwrap()
        });
        // 4 connections at 100/s each for half a second: about 200 answers.
        assert!((150..=210).contains(&out.hist.n), "{} answers", out.hist.n);
        assert_eq!((out.errors, out.non_2xx, out.starved), (0, 0, 0));
        assert!(out.hist.percentile(0.5) < 100_000);
        // Half a second of measurement: every answer falls in the first second.
        assert_eq!(out.max_us_by_second.len(), 1);
        assert_eq!(out.max_us_by_second[0], out.hist.percentile(1.0));
    }
}
