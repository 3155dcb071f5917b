//! The client side of `scripts/crash-test.sh`: drives journal events into a running ringbook from
//! many keep-alive connections, records every event that was acknowledged with a 2xx, and kills the
//! server with SIGKILL when a chosen number of events has been acknowledged.
//!
//! A 2xx from `POST /api/v1/events` promises the event is committed (see ARCHITECTURE.md,
//! invariants). The script restarts ringbook afterwards and checks that every event written to
//! `--out` is in the database. The events are calls of three events each (ringing, answered, hangup)
//! under call ids unique to the round, so none is a repeat the journal could skip.
//!
//! Output: one line per acknowledged event, `CALL_ID<TAB>KIND<TAB>CALL_ROW_ID`, written after every
//! connection has stopped; and a one-line summary on stdout.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;

#[derive(Parser, Debug)]
#[command(about = "Drives journal events into ringbook and kills it mid-stream (crash test)")]
struct Args {
    /// Server address, e.g. 127.0.0.1:8080.
    #[arg(long)]
    addr: SocketAddr,
    /// An API key with the journal scope.
    #[arg(long)]
    key: String,
    /// Events to send in total, as whole calls of three events (rounded down to a multiple of 3).
    #[arg(long, default_value_t = 20_000)]
    events: u64,
    /// Concurrent clients, each with its own keep-alive connection.
    #[arg(long, default_value_t = 32)]
    threads: usize,
    /// Prefix of the call ids, unique per round.
    #[arg(long, default_value = "crash")]
    prefix: String,
    /// Where to write the acknowledged events.
    #[arg(long)]
    out: PathBuf,
    /// The server's process id, killed with SIGKILL once --kill-after events are acknowledged.
    #[arg(long)]
    kill_pid: Option<u32>,
    /// How many acknowledged events to wait for before the kill.
    #[arg(long, default_value_t = 0)]
    kill_after: u64,
    /// Spread the calls' own times over this many seconds before now (an accelerated clock: a day of
    /// calls sent in a minute). 0 sends no time, so the server stamps each event on arrival.
    #[arg(long, default_value_t = 0)]
    span_secs: u64,
}

/// What the clients share.
struct Shared {
    args: Args,
    /// Events handed out to clients so far.
    issued: AtomicU64,
    acked: AtomicU64,
    /// Answers other than 2xx (a bug unless the server was dying).
    refused: AtomicU64,
    killed: AtomicBool,
    acks: Mutex<Vec<String>>,
}

const KINDS: [&str; 3] = ["ringing", "answered", "hangup"];
/// Seconds after the ringing at which each event of a call happens, with `--span-secs`.
const OFFSETS: [u64; 3] = [0, 5, 65];
/// The Unix time the run started, the end of the `--span-secs` window.
static EPOCH: AtomicU64 = AtomicU64::new(0);

fn main() {
    let args = Args::parse();
    let shared = Arc::new(Shared {
        args,
        issued: AtomicU64::new(0),
        acked: AtomicU64::new(0),
        refused: AtomicU64::new(0),
        killed: AtomicBool::new(false),
        acks: Mutex::new(Vec::new()),
    });
    let start = Instant::now();
    let now_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    EPOCH.store(now_unix, Ordering::Relaxed);
    let handles: Vec<_> = (0..shared.args.threads)
        .map(|t| {
            let s = shared.clone();
            thread::spawn(move || client(&s, t))
        })
        .collect();
    let mut failed_clients = 0;
    for h in handles {
        if h.join().is_err() {
            failed_clients += 1;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let acks = shared.acks.lock().map(|a| a.join("")).unwrap_or_default();
    if let Err(e) = std::fs::write(&shared.args.out, acks) {
        eprintln!(
            "crashdriver: {} could not be written: {e}",
            shared.args.out.display()
        );
        std::process::exit(1);
    }
    let acked = shared.acked.load(Ordering::Relaxed);
    println!(
        "acked={acked} refused={} killed={} seconds={elapsed:.2} rate={:.0}",
        shared.refused.load(Ordering::Relaxed),
        shared.killed.load(Ordering::Relaxed),
        acked as f64 / elapsed.max(1e-9),
    );
    if failed_clients > 0 {
        eprintln!("crashdriver: {failed_clients} client threads panicked");
        std::process::exit(1);
    }
}

fn connect(addr: SocketAddr) -> Option<(TcpStream, BufReader<TcpStream>)> {
    let s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    s.set_nodelay(true).ok()?;
    let r = BufReader::new(s.try_clone().ok()?);
    Some((s, r))
}

/// One client: calls of three events on one keep-alive connection, until the events run out or the
/// server is gone. A failed request is retried once on a new connection (it may have been a
/// connection the server closed); if that fails too, the server is gone and the client stops.
fn client(s: &Shared, t: usize) {
    let Some(mut conn) = connect(s.args.addr) else {
        return;
    };
    let mut call = 0u64;
    'calls: loop {
        let call_id = format!("{}-{t}-{call}", s.args.prefix);
        // A Berlin number unique to the call, so every call gets its own contact lookup.
        let remote = format!(
            "+4930{}",
            2_000_000 + (t as u64 * 100_003 + call) % 7_000_000
        );
        // With --span-secs, calls are laid out evenly over the window, interleaved across clients, and
        // each ends 65 s after it rang, before the window's end.
        let calls_total = (s.args.events / 3).max(1);
        let ring_at = (s.args.span_secs > 0).then(|| {
            let slot = (call * s.args.threads as u64 + t as u64) % calls_total;
            EPOCH.load(Ordering::Relaxed) - s.args.span_secs - 120
                + slot * s.args.span_secs / calls_total
        });
        // A whole call is claimed at once, so the run ends with complete calls only (a call left
        // without its hangup would never be pushed upstream, which the outage test counts).
        if s.issued.fetch_add(3, Ordering::Relaxed) + 3 > s.args.events {
            break 'calls;
        }
        for (kind, offset) in KINDS.iter().zip(OFFSETS) {
            let time = ring_at
                .map(|r| format!(r#","time":{}"#, r + offset))
                .unwrap_or_default();
            let body = format!(
                r#"{{"event":"{kind}","call_id":"{call_id}","direction":"in","remote":"{remote}","extension":"201"{time}}}"#
            );
            let req = format!(
                "POST /api/v1/events HTTP/1.1\r\nHost: {}\r\nX-Api-Key: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                s.args.addr,
                s.args.key,
                body.len()
            );
            let answer = match send(&mut conn, req.as_bytes()) {
                Some(a) => a,
                None => {
                    // Sent at most once more: an event the server committed but never answered is
                    // simply not counted as acknowledged.
                    let Some(c) = connect(s.args.addr) else {
                        break 'calls;
                    };
                    conn = c;
                    match send(&mut conn, req.as_bytes()) {
                        Some(a) => a,
                        None => break 'calls,
                    }
                }
            };
            let (status, body) = answer;
            if (200..300).contains(&status) {
                let row = call_row(&body).unwrap_or(0);
                if let Ok(mut a) = s.acks.lock() {
                    a.push(format!("{call_id}\t{kind}\t{row}\n"));
                }
                let n = s.acked.fetch_add(1, Ordering::Relaxed) + 1;
                if n == s.args.kill_after {
                    kill(s);
                }
            } else {
                s.refused.fetch_add(1, Ordering::Relaxed);
                if s.refused.load(Ordering::Relaxed) <= 3 {
                    eprintln!(
                        "crashdriver: {call_id} {kind} answered {status}: {}",
                        String::from_utf8_lossy(&body)
                    );
                }
            }
        }
        call += 1;
    }
}

fn kill(s: &Shared) {
    let Some(pid) = s.args.kill_pid else { return };
    if s.killed.swap(true, Ordering::Relaxed) {
        return;
    }
    match Command::new("kill").arg("-9").arg(pid.to_string()).status() {
        Ok(st) if st.success() => {}
        other => eprintln!("crashdriver: kill -9 {pid} failed: {other:?}"),
    }
}

/// The `call_id` of the answer `{"events":[{"call_id":N,...}]}`.
fn call_row(body: &[u8]) -> Option<i64> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("events")?.get(0)?.get("call_id")?.as_i64()
}

/// Sends one request and reads its answer (status and body); `None` if the connection failed.
fn send(conn: &mut (TcpStream, BufReader<TcpStream>), req: &[u8]) -> Option<(u16, Vec<u8>)> {
    conn.0.write_all(req).ok()?;
    let r = &mut conn.1;
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let status: u16 = line.split_whitespace().nth(1)?.parse().ok()?;
    let mut len = 0usize;
    loop {
        line.clear();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.trim().eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some((status, body))
}
