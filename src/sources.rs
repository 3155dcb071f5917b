//! The call sources ringbook connects to itself: the Asterisk manager interface and the FRITZ!Box call
//! monitor. HTTP sources (phones, 3CX, CTI pushes) come to us and need none of this.
//!
//! [`start`] runs a supervisor thread from `serve`. Every few seconds it reads the settings and starts,
//! restarts or stops one client thread per configured source (`ami.host`, `fritzbox.host`), so a
//! changed setting takes effect without a restart. Each client connects, hands the stream to its
//! vendor's session (`vendors::asterisk::client`, `vendors::fritzbox`), and when the connection ends
//! or can't be made it waits with exponential backoff ([`Backoff`]: 0.5 s doubling to 60 s, back to
//! the start once a connection has lasted a minute) before it tries again, so a PBX that is away is
//! not hammered and one that comes back is reached soon.
//!
//! The live state of every source (connected or not, since when, the last error, the last event) is
//! kept in a registry that [`status`] reads, for the dashboard and `/healthz`.
//!
//! What this module does not do: parse any vendor protocol, or decide anything about calls. Sessions
//! turn their protocol into `CallEvent`s and give them to [`Intake::ingest`], which is
//! `journal::ingest`: the events are committed before the session reads on.

use std::collections::BTreeMap;
use std::io::{self, BufRead, ErrorKind};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::journal::{self, CallEvent, JournalError};
use crate::number::NumberModel;
use crate::settings::{self, Settings};
use crate::store::{self, Reader, Store};
use crate::vendors::{asterisk, fritzbox};

/// How far a source's clock may be from ours before its times are ignored and ours are used (a box
/// whose clock was never set, or whose time zone is wrong).
pub const MAX_CLOCK_SKEW: i64 = 600;

/// The source's own time if it is close enough to ours to be trusted (design §5: "server time unless
/// the source gives a trustworthy one").
pub fn trusted_time(source_time: i64, now: i64) -> Option<i64> {
    ((source_time - now).abs() <= MAX_CLOCK_SKEW).then_some(source_time)
}

// ---------------------------------------------------------------------------------------------------
// Reading lines from a socket with a read timeout

/// The longest line a source may send.
pub const MAX_LINE: usize = 16 * 1024;

/// Whether an I/O error is only a read timeout.
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

/// Reads lines from a stream that has a read timeout. A timeout is not an error: [`LineReader::line`]
/// returns `Ok(None)` and keeps the part of a line read so far, so the caller can check its stop flag
/// and send keep-alives between reads. Lines end with `\n` or `\r\n`; bytes that are not UTF-8 become
/// U+FFFD; a line longer than [`MAX_LINE`] ends the connection.
pub struct LineReader<R> {
    inner: R,
    partial: Vec<u8>,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(inner: R) -> LineReader<R> {
        LineReader {
            inner,
            partial: Vec::new(),
        }
    }

    /// The next line without its line end; `Ok(None)` on a timeout; an error when the stream ended.
    pub fn line(&mut self) -> io::Result<Option<String>> {
        loop {
            let available = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) if is_timeout(&e) => return Ok(None),
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                return Err(io::Error::new(
                    ErrorKind::UnexpectedEof,
                    "the other side closed the connection",
                ));
            }
            let (done, used) = match available.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    self.partial.extend_from_slice(&available[..i]);
                    (true, i + 1)
                }
                None => {
                    self.partial.extend_from_slice(available);
                    (false, available.len())
                }
            };
            self.inner.consume(used);
            if self.partial.len() > MAX_LINE {
                return Err(io::Error::new(
                    ErrorKind::InvalidData,
                    format!("the other side sent a line longer than {MAX_LINE} bytes"),
                ));
            }
            if done {
                if self.partial.last() == Some(&b'\r') {
                    self.partial.pop();
                }
                let text = String::from_utf8_lossy(&self.partial).into_owned();
                self.partial.clear();
                return Ok(Some(text));
            }
        }
    }

    /// Whether more bytes are already waiting: sessions write the events of everything that arrived
    /// together in one journal batch, once this is false.
    pub fn has_buffered(&self) -> bool
    where
        R: Buffered,
    {
        self.inner.buffered() > 0
    }
}

/// How many bytes a reader holds in its buffer.
pub trait Buffered {
    fn buffered(&self) -> usize;
}

impl<T: io::Read> Buffered for io::BufReader<T> {
    fn buffered(&self) -> usize {
        self.buffer().len()
    }
}

impl Buffered for &[u8] {
    fn buffered(&self) -> usize {
        self.len()
    }
}

// ---------------------------------------------------------------------------------------------------
// Handing events to the journal

/// How long a client trusts its cached settings (number model, journal rules, time zone, own lines).
const SETTINGS_TTL: Duration = Duration::from_secs(2);

/// A client thread's way into the journal: its own read connection and cached settings.
pub struct Intake {
    store: Store,
    reader: Reader,
    settings: Settings,
    model: NumberModel,
    own_lines: Vec<String>,
    loaded: Instant,
    generation: u64,
}

/// The E.164 numbers of the office's own lines.
fn own_lines(reader: &Reader) -> Result<Vec<String>, String> {
    let lines = reader.lines().map_err(|e| e.to_string())?;
    Ok(lines.into_iter().map(|l| l.e164).collect())
}

impl Intake {
    pub fn open(store: &Store) -> Result<Intake, String> {
        let reader = store.reader().map_err(|e| e.to_string())?;
        let settings = Settings::load(&reader).map_err(|e| e.to_string())?;
        Ok(Intake {
            store: store.clone(),
            model: settings.number_model(),
            own_lines: own_lines(&reader)?,
            settings,
            reader,
            loaded: Instant::now(),
            generation: settings::generation(),
        })
    }

    /// Reads the settings again if they may have changed.
    pub fn refresh(&mut self) {
        if self.loaded.elapsed() < SETTINGS_TTL && self.generation == settings::generation() {
            return;
        }
        self.loaded = Instant::now();
        self.generation = settings::generation();
        match Settings::load(&self.reader) {
            Ok(s) => {
                self.model = s.number_model();
                self.settings = s;
            }
            Err(e) => log::warn!("a call source could not reload the settings: {e}"),
        }
        match own_lines(&self.reader) {
            Ok(lines) => self.own_lines = lines,
            Err(e) => log::warn!("a call source could not reload the office's lines: {e}"),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn model(&self) -> &NumberModel {
        &self.model
    }

    /// The office's own main numbers and DIDs (E.164), reloaded with the settings. A source that
    /// sees one of them on the calling side of a call knows that side is the office.
    pub fn own_lines(&self) -> &[String] {
        &self.own_lines
    }

    /// Commits events through [`journal::ingest`]. An event the journal refuses is logged and left
    /// out, and the rest are committed: a PBX stream has nobody to answer a 400 to, and one odd
    /// event must not cost the others. Returns how many were taken; an error only if the store
    /// itself failed.
    pub fn ingest(&mut self, source: &str, mut events: Vec<CallEvent>) -> Result<usize, String> {
        self.refresh();
        let config = journal::Config::from_settings(&self.settings);
        loop {
            if events.is_empty() {
                return Ok(0);
            }
            match journal::ingest(&self.store, &self.reader, &config, events.clone()) {
                Ok(done) => return Ok(done.len()),
                Err(JournalError::Invalid { index, why }) if index < events.len() => {
                    let bad = events.remove(index);
                    log::warn!(
                        "{source}: an event for call '{}' was left out of the journal: {why}",
                        bad.key
                    );
                }
                Err(e) => return Err(format!("the journal could not store the events: {e}")),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Connection state for the dashboard

/// What a source is doing now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Not configured.
    Off,
    Connecting,
    Connected,
    /// The last attempt failed or the connection ended; the next one follows after the backoff.
    Waiting,
}

/// The live status of one source.
#[derive(Clone, Debug, Serialize)]
pub struct SourceStatus {
    /// `ami` or `fritzbox`.
    pub name: &'static str,
    /// `host:port`, empty while off.
    pub target: String,
    pub state: State,
    /// Unix seconds when the current state began.
    pub since: i64,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
    /// When the source last sent something that became a call event.
    pub last_event_at: Option<i64>,
    /// Call events taken in since ringbook started.
    pub events: u64,
    /// Connections made since ringbook started.
    pub connections: u64,
    /// Seconds until the next attempt, while waiting.
    pub retry_in: Option<u64>,
}

fn registry() -> &'static Mutex<BTreeMap<&'static str, SourceStatus>> {
    static R: OnceLock<Mutex<BTreeMap<&'static str, SourceStatus>>> = OnceLock::new();
    R.get_or_init(|| Mutex::new(BTreeMap::new()))
}

/// The status of every source ringbook knows, configured or not.
pub fn status() -> Vec<SourceStatus> {
    let map = match registry().lock() {
        Ok(m) => m,
        Err(p) => p.into_inner(),
    };
    SOURCES
        .iter()
        .map(|name| {
            map.get(name).cloned().unwrap_or(SourceStatus {
                name,
                target: String::new(),
                state: State::Off,
                since: 0,
                last_error: None,
                last_error_at: None,
                last_event_at: None,
                events: 0,
                connections: 0,
                retry_in: None,
            })
        })
        .collect()
}

const SOURCES: [&str; 2] = [asterisk::tracker::SOURCE, fritzbox::SOURCE];

/// Updates one source's entry in the registry.
#[derive(Clone)]
pub struct Reporter {
    name: &'static str,
}

impl Reporter {
    pub fn new(name: &'static str) -> Reporter {
        Reporter { name }
    }

    fn update(&self, f: impl FnOnce(&mut SourceStatus)) {
        let mut map = match registry().lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        let entry = map.entry(self.name).or_insert_with(|| SourceStatus {
            name: self.name,
            target: String::new(),
            state: State::Off,
            since: store::now(),
            last_error: None,
            last_error_at: None,
            last_event_at: None,
            events: 0,
            connections: 0,
            retry_in: None,
        });
        f(entry);
    }

    fn state(&self, state: State) {
        self.update(|s| {
            if s.state != state {
                s.state = state;
                s.since = store::now();
            }
            if state != State::Waiting {
                s.retry_in = None;
            }
        });
    }

    fn off(&self) {
        self.update(|s| s.target.clear());
        self.state(State::Off);
    }

    fn connecting(&self, target: &str) {
        self.update(|s| s.target = target.to_string());
        self.state(State::Connecting);
    }

    /// The session is established (for AMI: logged in).
    pub fn connected(&self) {
        self.update(|s| s.connections += 1);
        self.state(State::Connected);
    }

    fn failed(&self, why: &str, retry: Duration) {
        self.update(|s| {
            s.last_error = Some(why.to_string());
            s.last_error_at = Some(store::now());
        });
        self.state(State::Waiting);
        self.update(|s| s.retry_in = Some(retry.as_secs_f64().ceil() as u64));
    }

    /// `n` call events were committed.
    pub fn took(&self, n: usize) {
        if n > 0 {
            self.update(|s| {
                s.events += n as u64;
                s.last_event_at = Some(store::now());
            });
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// The client loop

/// Exponential backoff between connection attempts.
#[derive(Clone, Debug)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    pub const BASE: Duration = Duration::from_millis(500);
    pub const MAX: Duration = Duration::from_secs(60);
    /// A connection that lasted this long resets the backoff.
    pub const HEALTHY: Duration = Duration::from_secs(60);

    pub fn new(base: Duration, max: Duration) -> Backoff {
        Backoff {
            base,
            max,
            next: base,
        }
    }

    /// The wait before the next attempt; each call doubles the one after, up to the maximum.
    pub fn next_wait(&mut self) -> Duration {
        let d = self.next;
        self.next = (self.next * 2).min(self.max);
        d
    }

    pub fn reset(&mut self) {
        self.next = self.base;
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new(Backoff::BASE, Backoff::MAX)
    }
}

/// What a session gets besides its stream.
pub struct Link<'a> {
    stop: &'a AtomicBool,
    pub intake: &'a mut Intake,
    pub reporter: &'a Reporter,
}

impl Link<'_> {
    /// The source was reconfigured or switched off: end the session.
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Commits a session's events and counts them for the status.
    pub fn ingest(&mut self, source: &str, events: Vec<CallEvent>) -> Result<(), String> {
        let n = self.intake.ingest(source, events)?;
        self.reporter.took(n);
        Ok(())
    }
}

/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Sessions read with this timeout, so they see the stop flag soon.
pub const READ_TICK: Duration = Duration::from_millis(500);

/// Connects with a timeout and TCP keep-alive: the FRITZ!Box may be silent for hours, and a box that
/// lost power must still be noticed.
fn connect(target: &str) -> io::Result<TcpStream> {
    let mut last = io::Error::new(ErrorKind::NotFound, format!("{target} has no address"));
    for addr in target.to_socket_addrs()? {
        match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
            Ok(s) => {
                let sock = socket2::SockRef::from(&s);
                let ka = socket2::TcpKeepalive::new()
                    .with_time(Duration::from_secs(60))
                    .with_interval(Duration::from_secs(10));
                if let Err(e) = sock.set_tcp_keepalive(&ka) {
                    log::debug!("TCP keep-alive could not be set for {target}: {e}");
                }
                s.set_read_timeout(Some(READ_TICK))?;
                s.set_write_timeout(Some(Duration::from_secs(5)))?;
                return Ok(s);
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Sleeps up to `d`, waking early when stopped. Returns false if stopped.
fn wait(stop: &AtomicBool, d: Duration) -> bool {
    let until = Instant::now() + d;
    while Instant::now() < until {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        thread::sleep(Duration::from_millis(100).min(until - Instant::now()));
    }
    !stop.load(Ordering::Relaxed)
}

/// Runs one source until `stop` is set: connect, run the session, back off, again.
fn run_client<F>(
    name: &'static str,
    label: &str,
    target: String,
    store: Store,
    stop: Arc<AtomicBool>,
    mut session: F,
) where
    F: FnMut(TcpStream, &mut Link) -> Result<(), String>,
{
    let reporter = Reporter::new(name);
    let mut backoff = Backoff::default();
    let mut intake = loop {
        match Intake::open(&store) {
            Ok(i) => break i,
            Err(e) => {
                let d = backoff.next_wait();
                reporter.failed(&format!("the database could not be opened: {e}"), d);
                if !wait(&stop, d) {
                    return;
                }
            }
        }
    };
    while !stop.load(Ordering::Relaxed) {
        reporter.connecting(&target);
        let started = Instant::now();
        let result = match connect(&target) {
            Ok(stream) => {
                log::info!("{label}: connected to {target}");
                let mut link = Link {
                    stop: &stop,
                    intake: &mut intake,
                    reporter: &reporter,
                };
                session(stream, &mut link)
            }
            Err(e) => Err(format!("could not connect to {target}: {e}")),
        };
        if stop.load(Ordering::Relaxed) {
            break;
        }
        if started.elapsed() >= Backoff::HEALTHY {
            backoff.reset();
        }
        let d = backoff.next_wait();
        let why = match result {
            Ok(()) => format!("the connection to {target} ended"),
            Err(e) => e,
        };
        log::warn!("{label}: {why}; trying again in {:.1} s", d.as_secs_f64());
        reporter.failed(&why, d);
        if !wait(&stop, d) {
            break;
        }
    }
    // Switching the source off is recorded by the supervisor: a replacement thread may already run.
}

/// A running client thread and the configuration it runs with.
struct Running<C> {
    config: C,
    stop: Arc<AtomicBool>,
}

/// Starts, restarts or stops a client so that it runs with `want`.
fn reconcile<C, S>(name: &'static str, slot: &mut Option<Running<C>>, want: Option<C>, spawn: S)
where
    C: PartialEq + Clone,
    S: FnOnce(C, Arc<AtomicBool>) -> io::Result<()>,
{
    if slot.as_ref().map(|r| &r.config) == want.as_ref() {
        return;
    }
    if let Some(old) = slot.take() {
        old.stop.store(true, Ordering::Relaxed);
        if want.is_none() {
            log::info!("{name}: switched off");
            Reporter::new(name).off();
        }
    }
    if let Some(config) = want {
        let stop = Arc::new(AtomicBool::new(false));
        match spawn(config.clone(), stop.clone()) {
            Ok(()) => *slot = Some(Running { config, stop }),
            Err(e) => log::error!("a call source thread could not be started: {e}"),
        }
    }
}

/// How often the supervisor looks at the settings.
const SUPERVISE_EVERY: Duration = Duration::from_secs(2);

/// Starts the supervisor thread that runs the configured TCP sources. Called once from `serve`.
pub fn start(store: Store) -> io::Result<()> {
    for name in SOURCES {
        Reporter::new(name).off();
    }
    crate::vital::spawn("sources", move || {
        let reader = match store.background_reader() {
            Ok(r) => r,
            Err(e) => {
                log::error!(
                    "the call sources could not open the database and are not running: {e}"
                );
                return;
            }
        };
        let mut ami: Option<Running<asterisk::client::Config>> = None;
        let mut fritz: Option<Running<fritzbox::Config>> = None;
        loop {
            match Settings::load(&reader) {
                Ok(s) => {
                    reconcile(
                        asterisk::tracker::SOURCE,
                        &mut ami,
                        asterisk::client::Config::from_settings(&s),
                        |c, stop| {
                            let store = store.clone();
                            crate::vital::spawn("source-ami", move || {
                                let mut tracker = asterisk::tracker::Tracker::new();
                                let target = c.target();
                                run_client(
                                    asterisk::tracker::SOURCE,
                                    "AMI",
                                    target,
                                    store,
                                    stop,
                                    |stream, link| {
                                        asterisk::client::session(stream, &c, &mut tracker, link)
                                    },
                                )
                            })
                            .map(|_| ())
                        },
                    );
                    reconcile(
                        fritzbox::SOURCE,
                        &mut fritz,
                        fritzbox::Config::from_settings(&s),
                        |c, stop| {
                            let store = store.clone();
                            crate::vital::spawn("source-fritzbox", move || {
                                let mut tracker = fritzbox::Tracker::new();
                                let target = c.target();
                                run_client(
                                    fritzbox::SOURCE,
                                    "FRITZ!Box call monitor",
                                    target,
                                    store,
                                    stop,
                                    |stream, link| fritzbox::session(stream, &mut tracker, link),
                                )
                            })
                            .map(|_| ())
                        },
                    );
                }
                Err(e) => log::warn!("the call sources could not read the settings: {e}"),
            }
            thread::sleep(SUPERVISE_EVERY);
        }
    })
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufReader, Read};

    #[test]
    fn backoff_doubles_to_its_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(500), Duration::from_secs(4));
        let waits: Vec<u128> = (0..6).map(|_| b.next_wait().as_millis()).collect();
        assert_eq!(waits, [500, 1000, 2000, 4000, 4000, 4000]);
        b.reset();
        assert_eq!(b.next_wait().as_millis(), 500);
    }

    #[test]
    fn reconcile_starts_restarts_and_stops() {
        type Started = Vec<(u16, Arc<AtomicBool>)>;
        fn step(want: Option<u16>, slot: &mut Option<Running<u16>>, started: &mut Started) {
            reconcile("test-reconcile", slot, want, |c, stop| {
                started.push((c, stop));
                Ok(())
            });
        }
        let mut slot: Option<Running<u16>> = None;
        let mut started = Started::new();
        step(Some(5038), &mut slot, &mut started);
        step(Some(5038), &mut slot, &mut started);
        assert_eq!(started.len(), 1, "the same configuration keeps its thread");
        step(Some(5039), &mut slot, &mut started);
        assert_eq!(started.len(), 2);
        assert_eq!(started[1].0, 5039);
        assert!(
            started[0].1.load(Ordering::Relaxed),
            "the old thread is told to stop"
        );
        assert!(!started[1].1.load(Ordering::Relaxed));
        step(None, &mut slot, &mut started);
        assert!(started[1].1.load(Ordering::Relaxed));
        assert!(slot.is_none());
        let map = registry().lock().unwrap();
        assert_eq!(map.get("test-reconcile").unwrap().state, State::Off);
    }

    #[test]
    fn source_clocks_are_trusted_only_when_close() {
        let now = 1_800_000_000;
        let cases: &[(i64, Option<i64>)] = &[
            (now, Some(now)),
            (now - 600, Some(now - 600)),
            (now + 600, Some(now + 600)),
            (now - 601, None),
            (now + 3600, None),
            (0, None),
        ];
        for (t, want) in cases {
            assert_eq!(trusted_time(*t, now), *want, "{t}");
        }
    }

    #[test]
    fn the_registry_follows_a_source() {
        let r = Reporter::new("test-source");
        r.connecting("10.0.0.5:5038");
        r.connected();
        r.took(3);
        r.failed("the connection was closed", Duration::from_millis(1500));
        let map = registry().lock().unwrap();
        let s = map.get("test-source").unwrap();
        assert_eq!(s.state, State::Waiting);
        assert_eq!(s.target, "10.0.0.5:5038");
        assert_eq!(s.events, 3);
        assert_eq!(s.connections, 1);
        assert!(s.last_event_at.is_some());
        assert_eq!(s.last_error.as_deref(), Some("the connection was closed"));
        assert_eq!(s.retry_in, Some(2));
        drop(map);
        let all = status();
        assert_eq!(
            all.iter().map(|s| s.name).collect::<Vec<_>>(),
            ["ami", "fritzbox"]
        );
    }

    /// A reader that hands out its bytes in pieces and times out between them, as a socket with a
    /// read timeout does.
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
    fn lines_survive_timeouts_and_odd_bytes() {
        let chunks = vec![
            Some(b"22.11.26 06:00:01;RI".to_vec()),
            None,
            Some(b"NG;0;\r".to_vec()),
            None,
            Some(b"\nM\xfcller\nlast".to_vec()),
        ];
        let mut r = LineReader::new(BufReader::new(Trickle { chunks }));
        assert_eq!(r.line().unwrap(), None);
        assert_eq!(r.line().unwrap(), None);
        assert_eq!(r.line().unwrap().unwrap(), "22.11.26 06:00:01;RING;0;");
        assert_eq!(r.line().unwrap().unwrap(), "M\u{fffd}ller");
        assert!(r.has_buffered());
        assert_eq!(r.line().unwrap_err().kind(), ErrorKind::UnexpectedEof);
        let long = vec![b'x'; MAX_LINE + 1];
        let mut r = LineReader::new(&long[..]);
        assert_eq!(r.line().unwrap_err().kind(), ErrorKind::InvalidData);
    }
}
