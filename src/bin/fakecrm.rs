//! A stand-in for an office's cloud CRM, for `scripts/outage-test.sh` and `scripts/crash-test.sh --mode
//! outbox`: it accepts what ringbook's sync connectors push (any path, any method), answers per the
//! current mode, and counts what it accepted by `Idempotency-Key`, so a script can ask whether every
//! call arrived and whether any arrived twice.
//!
//! Control, on the same port:
//! - `POST /_mode/up` accepts (200 `{}`), `POST /_mode/down` answers 503 to everything, `POST
//!   /_mode/slow` accepts after 50 ms;
//! - `GET /_stats` answers `{"accepted":N,"unique":N,"duplicates":N,"refused":N,"no_key":N,"reads":N}`
//!   (`unique` counts pushes by key; GETs, such as contact look-ups, are only counted as `reads`);
//! - `GET /_duplicates` lists the keys accepted more than once, one per line.
//!
//! It is a test tool: nothing is persisted, and it trusts whoever talks to it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use clap::Parser;

#[derive(Parser, Debug)]
#[command(about = "A fake CRM that counts ringbook's deliveries by idempotency key")]
struct Args {
    /// Address to listen on (loopback only for tests).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// The mode to start in: up, down or slow.
    #[arg(long, default_value = "up")]
    mode: String,
    /// Worker threads answering requests.
    #[arg(long, default_value_t = 4)]
    threads: usize,
}

const UP: u8 = 0;
const DOWN: u8 = 1;
const SLOW: u8 = 2;

fn mode_of(s: &str) -> Option<u8> {
    match s {
        "up" => Some(UP),
        "down" => Some(DOWN),
        "slow" => Some(SLOW),
        _ => None,
    }
}

#[derive(Default)]
struct Counts {
    /// Times each key was accepted with a 2xx.
    keys: Mutex<HashMap<String, u32>>,
    accepted: AtomicU64,
    refused: AtomicU64,
    no_key: AtomicU64,
    /// GET requests (contact look-ups), not counted as deliveries.
    reads: AtomicU64,
}

fn main() {
    let args = Args::parse();
    let Some(start) = mode_of(&args.mode) else {
        eprintln!("fakecrm: --mode must be up, down or slow");
        std::process::exit(2);
    };
    let server = match tiny_http::Server::http(args.listen) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("fakecrm: cannot listen on {}: {e}", args.listen);
            std::process::exit(1);
        }
    };
    // The script reads the bound address (the port may have been 0) from the first line.
    println!("{}", server.server_addr());
    let mode = Arc::new(AtomicU8::new(start));
    let counts = Arc::new(Counts::default());
    let workers: Vec<_> = (0..args.threads.max(1))
        .map(|_| {
            let (server, mode, counts) = (server.clone(), mode.clone(), counts.clone());
            thread::spawn(move || serve(&server, &mode, &counts))
        })
        .collect();
    for w in workers {
        let _ = w.join();
    }
}

fn serve(server: &tiny_http::Server, mode: &AtomicU8, counts: &Counts) {
    let text = |code: u16, body: String| {
        tiny_http::Response::from_string(body)
            .with_status_code(code)
            .with_header(
                tiny_http::Header::from_bytes("Content-Type", "application/json").expect("header"),
            )
    };
    while let Ok(mut req) = server.recv() {
        let url = req.url().to_string();
        let mut body = Vec::new();
        let _ = req.as_reader().read_to_end(&mut body);
        if let Some(m) = url.strip_prefix("/_mode/") {
            let answer = match mode_of(m) {
                Some(v) => {
                    mode.store(v, Ordering::SeqCst);
                    text(200, format!("{{\"mode\":\"{m}\"}}"))
                }
                None => text(400, "{\"error\":\"mode must be up, down or slow\"}".into()),
            };
            let _ = req.respond(answer);
            continue;
        }
        if url == "/_stats" {
            let keys = counts.keys.lock().expect("counts");
            let duplicates: u64 = keys.values().map(|&n| u64::from(n.saturating_sub(1))).sum();
            let stats = format!(
                "{{\"accepted\":{},\"unique\":{},\"duplicates\":{},\"refused\":{},\"no_key\":{},\"reads\":{}}}",
                counts.accepted.load(Ordering::SeqCst),
                keys.len(),
                duplicates,
                counts.refused.load(Ordering::SeqCst),
                counts.no_key.load(Ordering::SeqCst),
                counts.reads.load(Ordering::SeqCst),
            );
            drop(keys);
            let _ = req.respond(text(200, stats));
            continue;
        }
        if url == "/_duplicates" {
            let keys = counts.keys.lock().expect("counts");
            let mut list: Vec<&String> = keys
                .iter()
                .filter(|(_, &n)| n > 1)
                .map(|(k, _)| k)
                .collect();
            list.sort();
            let out: String = list.iter().map(|k| format!("{k}\n")).collect();
            drop(keys);
            let _ = req.respond(text(200, out));
            continue;
        }
        // A connector's contact look-ups (Propstack's GET /v1/contacts) are reads, not deliveries:
        // answered with no contact and counted apart, so `unique` counts pushed calls only.
        if *req.method() == tiny_http::Method::Get && mode.load(Ordering::SeqCst) != DOWN {
            counts.reads.fetch_add(1, Ordering::Relaxed);
            let _ = req.respond(text(200, "{}".into()));
            continue;
        }
        match mode.load(Ordering::SeqCst) {
            DOWN => {
                counts.refused.fetch_add(1, Ordering::Relaxed);
                let _ = req.respond(text(503, "{\"error\":\"down for maintenance\"}".into()));
                continue;
            }
            SLOW => thread::sleep(Duration::from_millis(50)),
            _ => {}
        }
        let key = req
            .headers()
            .iter()
            .find(|h| h.field.equiv("Idempotency-Key"))
            .map(|h| h.value.as_str().to_string());
        // Counted before the answer goes out: a delivery the sender never hears about still counts
        // as received, exactly as a real CRM would have stored it.
        match key {
            Some(k) => *counts.keys.lock().expect("counts").entry(k).or_default() += 1,
            None => {
                counts.no_key.fetch_add(1, Ordering::Relaxed);
            }
        }
        counts.accepted.fetch_add(1, Ordering::Relaxed);
        let _ = req.respond(text(200, "{}".into()));
    }
}
