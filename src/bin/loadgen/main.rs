//! ringbook's own load generator for `scripts/bench.sh`.
//!
//! Opens N keep-alive connections, shared by a few event-loop threads (`driver`), and sends requests
//! from a list of request targets (paths with query) for a fixed time, either as fast as the server
//! answers (closed loop) or paced to a total rate (each connection sends on a fixed schedule and
//! latency is measured from the scheduled time, so a stalled server can't hide its queueing delay).
//! Prints one JSON object: requests, errors, rate, latency percentiles and the slowest answer of each
//! second, in microseconds.
//!
//! Targets come from a file (one path per line) so the same generator drives ringbook and nginx.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;

mod driver;

use driver::{Hist, Plan, Requests};

#[derive(Parser, Debug)]
#[command(about = "Keep-alive HTTP load generator for ringbook's benchmarks")]
struct Args {
    /// Instead of sending load, write a lookup targets file sampled from this ringbook database.
    #[arg(long)]
    make_lookup_targets: Option<std::path::PathBuf>,
    /// Instead of sending load, write lookup targets for libphonenumber's example number of every
    /// region it knows (the worst case for the number library's memory, which grows per region).
    #[arg(long)]
    make_world_targets: bool,
    /// Instead of sending load, run the lookups of the targets file in this process, on one thread
    /// and without HTTP, against this ringbook database: what the store and number work of a lookup
    /// costs this machine today, apart from the server's HTTP and threads. A shared machine's speed
    /// drifts between runs; this figure drifts with it, and the server's figures can be read against it.
    #[arg(long)]
    direct_lookups: Option<std::path::PathBuf>,
    /// Instead of sending load, serve HTTP on --addr the way ringbook does (tiny_http on ringbook's
    /// listener, with its default number of workers), answering every request at once with the same
    /// short text written in one buffer, as ringbook writes an answer. The bench sends the lookup load
    /// to it: what the fixed HTTP server alone reaches on this machine, with no lookup work at all.
    #[arg(long)]
    serve_floor: bool,
    /// How many targets to write with --make-lookup-targets.
    #[arg(long, default_value_t = 20_000)]
    count: usize,
    /// Server address, e.g. 127.0.0.1:8080.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// File with one request target (path and query) per line (written by --make-lookup-targets).
    #[arg(long, default_value = "targets.txt")]
    targets: std::path::PathBuf,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Threads that share the connections, each waiting for its share's answers at once.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Seconds to run (after the warm-up).
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Seconds of load before measuring starts (connections open, caches warm).
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Total requests per second to pace at; 0 sends as fast as answers come back.
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// Extra header line sent with every request, e.g. "X-Api-Key: rbk_...".
    #[arg(long)]
    header: Vec<String>,
    /// HTTP method; POST sends the target line's text after a TAB as the body.
    #[arg(long, default_value = "GET")]
    method: String,
    /// Instead of the targets file, POST unique call events to /api/v1/events: each connection plays
    /// calls of three events (ringing, answered, hangup), so nothing is a repeat the journal could skip.
    #[arg(long)]
    synth_events: bool,
}

/// `--synth-events`: each connection plays calls of three events (ringing, answered, hangup).
struct SynthEvents {
    addr: SocketAddr,
    /// The extra header lines, each ending in CRLF.
    extra: String,
    /// Distinct per run, so events of an earlier run against the same database are not repeats.
    run: u64,
}

impl Requests for SynthEvents {
    fn write(&self, conn: usize, n: u64, out: &mut Vec<u8>) {
        let call = n / 3;
        let event = ["ringing", "answered", "hangup"][(n % 3) as usize];
        let body = format!(
            r#"{{"event":"{event}","call_id":"bench-{}-{conn}-{call}","direction":"in","remote":"+4930{:08}","extension":"{}"}}"#,
            self.run,
            (conn as u64 * 1_000_003 + call * 7919) % 100_000_000,
            200 + conn % 50
        );
        let _ = write!(
            out,
            "POST /api/v1/events HTTP/1.1\r\nHost: {}\r\n{}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            self.extra,
            body.len()
        );
    }
}

/// The targets file's requests; each connection starts at a place of its own in the list.
struct Targets(Vec<Vec<u8>>);

impl Requests for Targets {
    fn write(&self, conn: usize, n: u64, out: &mut Vec<u8>) {
        let i = conn.wrapping_mul(7919).wrapping_add(n as usize + 1);
        out.extend_from_slice(&self.0[i % self.0.len()]);
    }
}

/// Writes lookup targets: stored numbers in the input forms phones and PBXs really send (E.164, a `+`
/// lost to a space, `00`, national, a SIP URI), a fifth of them through `lookup.txt`, plus one miss in
/// five.
fn make_lookup_targets(
    db: &std::path::Path,
    out: &std::path::Path,
    count: usize,
) -> Result<usize, String> {
    let reader = ringbook::store::Store::reader_only(db).map_err(|e| e.to_string())?;
    let numbers = reader.sample_e164(count).map_err(|e| e.to_string())?;
    if numbers.is_empty() {
        return Err("the database has no numbers; run 'ringbook demo-data' first".into());
    }
    let mut rng = ringbook::demo::Rng::new(7);
    let mut lines = Vec::with_capacity(count);
    for i in 0..count {
        let e164 = &numbers[i % numbers.len()];
        let digits = &e164[1..];
        let number = match rng.below(10) {
            0..=1 => format!("%2B{digits}"),
            2 => format!("%20{digits}"),
            3 => format!("00{digits}"),
            4 if digits.starts_with("49") => format!("0{}", &digits[2..]),
            5 => format!("sip:%2B{digits}@pbx.local;user=phone"),
            6 | 7 => format!("%2B{digits}"),
            // A miss: a Berlin number unlikely to be stored.
            _ => format!("%2B4930{}", rng.digits(8)),
        };
        let path = if i % 5 == 0 {
            "/lookup.txt?number="
        } else {
            "/api/v1/lookup?number="
        };
        lines.push(format!("{path}{number}"));
    }
    std::fs::write(out, lines.join("\n") + "\n").map_err(|e| e.to_string())?;
    Ok(lines.len())
}

/// The `number` parameter of a lookup target, decoded as the server decodes it (`%2B4930...` →
/// `+4930...`).
fn target_number(target: &str) -> Option<String> {
    let (_, query) = target.split_once('?')?;
    let value = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("number="))?;
    Some(ringbook::http::percent_decode(value))
}

/// Runs every target's lookup once to warm up, then three more times, on this thread. Returns the
/// median round's time per lookup, the hits and the lookups that failed.
fn direct_lookups(
    db: &std::path::Path,
    targets: &std::path::Path,
) -> Result<serde_json::Value, String> {
    let reader = ringbook::store::Store::reader_only(db).map_err(|e| e.to_string())?;
    let model = ringbook::settings::Settings::load(&reader)
        .map_err(|e| e.to_string())?
        .number_model();
    let text = std::fs::read_to_string(targets)
        .map_err(|e| format!("{} could not be read: {e}", targets.display()))?;
    let numbers: Vec<String> = text.lines().filter_map(target_number).collect();
    if numbers.is_empty() {
        return Err(format!("{} holds no lookup targets", targets.display()));
    }
    let (mut hits, mut failed) = (0, 0);
    let mut rounds_ns = Vec::new();
    for round in 0..4 {
        let t = Instant::now();
        for n in &numbers {
            match ringbook::lookup::lookup(&reader, &model, n) {
                Ok(o) if round == 0 && !o.matches.is_empty() => hits += 1,
                Err(_) if round == 0 => failed += 1,
                _ => {}
            }
        }
        if round > 0 {
            rounds_ns.push(t.elapsed().as_nanos() as f64 / numbers.len() as f64);
        }
    }
    rounds_ns.sort_by(f64::total_cmp);
    Ok(serde_json::json!({
        "lookups": numbers.len(),
        "hits": hits,
        "failed": failed,
        "us_per_lookup": (rounds_ns[1] / 10.0).round() / 100.0,
        "rounds_us": rounds_ns.iter().map(|ns| (ns / 10.0).round() / 100.0).collect::<Vec<_>>(),
    }))
}

/// Writes one `/api/v1/lookup` target per region libphonenumber knows, with its example number.
fn make_world_targets(out: &std::path::Path) -> Result<usize, String> {
    use rlibphonenumber::{PhoneNumberFormat, PHONE_NUMBER_UTIL};
    let lines: Vec<String> = PHONE_NUMBER_UTIL
        .get_supported_regions()
        .filter_map(|r| PHONE_NUMBER_UTIL.get_example_number(r).ok())
        .map(|n| {
            let e164 = PHONE_NUMBER_UTIL.format(&n, PhoneNumberFormat::E164);
            format!("/api/v1/lookup?number=%2B{}", e164.trim_start_matches('+'))
        })
        .collect();
    std::fs::write(out, lines.join("\n") + "\n").map_err(|e| e.to_string())?;
    Ok(lines.len())
}

/// `--serve-floor`: tiny_http with ringbook's listener (its socket options and heartbeat) and worker
/// count, and nothing behind it.
fn serve_floor(addr: SocketAddr) -> Result<(), String> {
    use ringbook::http::{listener, HEARTBEAT, IO_TIMEOUT};
    let listener =
        listener::bind(addr, IO_TIMEOUT).map_err(|e| format!("could not listen on {addr}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    listener::keep_accept_alive(local, HEARTBEAT);
    let server = std::sync::Arc::new(
        tiny_http::Server::from_listener(listener, None).map_err(|e| e.to_string())?,
    );
    let body = "Anna Muster (Example GmbH)";
    let answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let workers: Vec<_> = (0..ringbook::cli::DEFAULT_WORKERS)
        .map(|_| {
            let (server, answer) = (server.clone(), answer.clone());
            thread::spawn(move || {
                while let Ok(rq) = server.recv() {
                    let mut w = rq.into_writer();
                    let _ = w.write_all(answer.as_bytes()).and_then(|()| w.flush());
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.join();
    }
    Err("the server stopped accepting connections".into())
}

fn main() {
    let args = Args::parse();
    if args.serve_floor {
        if let Err(e) = serve_floor(args.addr) {
            eprintln!("loadgen: {e}");
        }
        std::process::exit(2)
    }
    if let Some(db) = &args.direct_lookups {
        match direct_lookups(db, &args.targets) {
            Ok(v) => println!("{v}"),
            Err(e) => {
                eprintln!("loadgen: {e}");
                std::process::exit(2)
            }
        }
        return;
    }
    let written = if args.make_world_targets {
        Some(make_world_targets(&args.targets))
    } else {
        args.make_lookup_targets
            .as_ref()
            .map(|db| make_lookup_targets(db, &args.targets, args.count))
    };
    match written {
        Some(Ok(n)) => {
            eprintln!(
                "loadgen: wrote {n} lookup targets to {}",
                args.targets.display()
            );
            return;
        }
        Some(Err(e)) => {
            eprintln!("loadgen: {e}");
            std::process::exit(2)
        }
        None => {}
    }
    let mut extra = String::new();
    for h in &args.header {
        extra.push_str(h);
        extra.push_str("\r\n");
    }
    let requests: Box<dyn Requests> = if args.synth_events {
        let run = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        Box::new(SynthEvents {
            addr: args.addr,
            extra,
            run,
        })
    } else {
        let text = std::fs::read_to_string(&args.targets).unwrap_or_else(|e| {
            eprintln!("loadgen: {} could not be read: {e}", args.targets.display());
            std::process::exit(2)
        });
        let requests: Vec<Vec<u8>> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let (target, body) = l.split_once('\t').unwrap_or((l, ""));
                let mut req = format!(
                    "{} {target} HTTP/1.1\r\nHost: {}\r\n{extra}",
                    args.method, args.addr
                );
                if args.method != "GET" {
                    req.push_str(&format!(
                        "Content-Type: application/json\r\nContent-Length: {}\r\n",
                        body.len()
                    ));
                }
                req.push_str("\r\n");
                req.push_str(body);
                req.into_bytes()
            })
            .collect();
        if requests.is_empty() {
            eprintln!("loadgen: no targets in {}", args.targets.display());
            std::process::exit(2);
        }
        Box::new(Targets(requests))
    };
    let start = Instant::now();
    let plan = Plan {
        addr: args.addr,
        requests: requests.as_ref(),
        connections: args.connections,
        interval: (args.rate > 0.0)
            .then(|| Duration::from_secs_f64(args.connections as f64 / args.rate)),
        start,
        measure_from: start + Duration::from_secs_f64(args.warmup),
    };
    let stop = AtomicBool::new(false);
    let threads = args.threads.clamp(1, args.connections.max(1));
    let (outcomes, elapsed): (Vec<driver::Outcome>, f64) = thread::scope(|s| {
        let loops: Vec<_> = (0..threads)
            .map(|t| {
                let (plan, stop) = (&plan, &stop);
                let conns = (t..args.connections).step_by(threads);
                s.spawn(move || driver::run(plan, conns, stop))
            })
            .collect();
        thread::sleep(Duration::from_secs_f64(args.warmup + args.seconds));
        stop.store(true, Ordering::Relaxed);
        let elapsed = plan.measure_from.elapsed().as_secs_f64();
        (
            loops.into_iter().filter_map(|h| h.join().ok()).collect(),
            elapsed,
        )
    });
    let mut hist = Hist::new();
    let (mut errors, mut non_2xx, mut starved) = (0, 0, 0);
    let mut max_us_by_second: Vec<u64> = Vec::new();
    for o in &outcomes {
        hist.merge(&o.hist);
        errors += o.errors;
        non_2xx += o.non_2xx;
        starved += o.starved;
        if max_us_by_second.len() < o.max_us_by_second.len() {
            max_us_by_second.resize(o.max_us_by_second.len(), 0);
        }
        for (m, &o) in max_us_by_second.iter_mut().zip(&o.max_us_by_second) {
            *m = (*m).max(o);
        }
    }
    let _ = writeln!(
        std::io::stdout(),
        "{}",
        serde_json::json!({
            "requests": hist.n,
            "errors": errors,
            "non_2xx": non_2xx,
            "seconds": elapsed,
            "rate": hist.n as f64 / elapsed,
            "p50_us": hist.percentile(0.50),
            "p90_us": hist.percentile(0.90),
            "p99_us": hist.percentile(0.99),
            "max_us": hist.percentile(1.0),
            "starved_connections": starved,
            "max_us_by_second": max_us_by_second,
        })
    );
}

#[cfg(test)]
mod tests {
    use super::target_number;

    #[test]
    fn target_numbers_are_decoded_as_the_server_decodes_them() {
        assert_eq!(
            target_number("/api/v1/lookup?number=%2B4930123").as_deref(),
            Some("+4930123")
        );
        assert_eq!(
            target_number("/lookup.txt?key=k&number=sip:%2B4930@pbx.local;user=phone").as_deref(),
            Some("sip:+4930@pbx.local;user=phone")
        );
        assert_eq!(
            target_number("/lookup.txt?number=%204930%2").as_deref(),
            Some(" 4930%2")
        );
        assert_eq!(target_number("/static.txt"), None);
    }
}
