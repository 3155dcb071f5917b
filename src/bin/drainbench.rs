//! The outbox drain benchmark for `scripts/bench.sh`: how fast the real sync worker empties a queue of
//! 100,000 outbox rows into a local fake CRM, and how much memory the process holds while they wait.
//!
//! It uses a temporary database, the real store and journal (calls are ingested as events, so the
//! outbox rows are written by the journal's own hook, in the call's transaction) and the real sync
//! worker delivering to the webhook connector; the fake is a tiny_http server in this process that
//! answers every request with 200. Prints one line: `drain_per_s=<n> rss_queued_mb=<m>`, where
//! `rss_queued_mb` is the largest resident set seen from the end of the fill until the queue is empty.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;

use ringbook::journal::{self, CallEvent, Direction, EventKind};
use ringbook::settings::{self, Settings};
use ringbook::store::Store;

#[derive(Parser, Debug)]
#[command(about = "Measures the upstream-sync outbox drain rate to a local fake CRM")]
struct Args {
    /// Outbox rows to queue (three per call: ringing, answered, ended).
    #[arg(long, default_value_t = 100_000)]
    rows: usize,
    /// Give up after this many seconds of draining.
    #[arg(long, default_value_t = 600)]
    timeout: u64,
}

/// Resident memory of this process in MiB, from /proc (0 where there is none).
fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The fake CRM: answers 200 `{}` to everything, from a few threads.
fn fake_crm() -> String {
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind the fake CRM"));
    let url = format!(
        "http://{}/hook",
        server.server_addr().to_ip().expect("an IP listener")
    );
    for _ in 0..4 {
        let server = server.clone();
        std::thread::spawn(move || {
            while let Ok(mut req) = server.recv() {
                let mut sink = Vec::new();
                let _ = std::io::Read::read_to_end(req.as_reader(), &mut sink);
                let _ = req.respond(tiny_http::Response::from_string("{}"));
            }
        });
    }
    url
}

fn main() {
    let args = Args::parse();
    if let Err(e) = run(&args) {
        eprintln!("drainbench: {e}");
        std::process::exit(1);
    }
}

fn run(args: &Args) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("ringbook-drainbench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let result = bench(&dir, args);
    let _ = std::fs::remove_dir_all(&dir);
    let (rate, rss) = result?;
    println!("drain_per_s={rate:.0} rss_queued_mb={rss:.1}");
    Ok(())
}

fn bench(dir: &std::path::Path, args: &Args) -> Result<(f64, f64), String> {
    let store = Store::open(&dir.join("ringbook.db")).map_err(|e| e.to_string())?;
    let url = fake_crm();
    for (k, v) in [
        ("number.country", "DE"),
        ("number.area_code", "30"),
        ("sync.webhook.url", url.as_str()),
        ("sync.rate_per_minute", "0"),
    ] {
        settings::set(&store, k, v).map_err(|e| e.to_string())?;
    }
    let reader = store.reader().map_err(|e| e.to_string())?;
    let config =
        journal::Config::from_settings(&Settings::load(&reader).map_err(|e| e.to_string())?);
    // Fill: whole calls in batches, as a PBX's events would arrive; the worker is not running yet.
    let calls = args.rows.div_ceil(3);
    let t0 = 1_709_280_000i64;
    for chunk in (0..calls).collect::<Vec<_>>().chunks(300) {
        let mut events = Vec::with_capacity(chunk.len() * 3);
        for &i in chunk {
            let key = format!("bench-{i}");
            let at = t0 + i as i64;
            events.push(CallEvent {
                direction: Some(Direction::In),
                remote: Some(format!("+4930{:07}", i % 10_000_000)),
                extension: Some("10".into()),
                at: Some(at),
                ..CallEvent::new("bench", &key, EventKind::Ringing)
            });
            events.push(CallEvent {
                at: Some(at + 2),
                ..CallEvent::new("bench", &key, EventKind::Answered)
            });
            events.push(CallEvent {
                at: Some(at + 30),
                cause: Some("normalClearing".into()),
                ..CallEvent::new("bench", &key, EventKind::Hangup)
            });
        }
        journal::ingest(&store, &reader, &config, events).map_err(|e| e.to_string())?;
    }
    let queued = reader.outbox_counts().map_err(|e| e.to_string())?.0;
    let mut rss = rss_mb();
    eprintln!("drainbench: {queued} rows queued, RSS {rss:.1} MiB; draining");
    let start = Instant::now();
    ringbook::sync::start(store.clone()).map_err(|e| e.to_string())?;
    let deadline = start + Duration::from_secs(args.timeout);
    loop {
        std::thread::sleep(Duration::from_millis(50));
        rss = rss.max(rss_mb());
        let (pending, _, dead, _) = reader.outbox_counts().map_err(|e| e.to_string())?;
        if dead > 0 {
            return Err(format!("{dead} rows were dead-lettered"));
        }
        if pending == 0 {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!(
                "{pending} rows still pending after {} s",
                args.timeout
            ));
        }
    }
    let secs = start.elapsed().as_secs_f64();
    Ok((queued as f64 / secs, rss))
}
