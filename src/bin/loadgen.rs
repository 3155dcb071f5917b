//! ringbook's own load generator for `scripts/bench.sh`.
//!
//! Opens N keep-alive connections, each on its own thread, and sends requests from a list of request
//! targets (paths with query) for a fixed time, either as fast as the server answers (closed loop) or
//! paced to a total rate (each connection sends on a fixed schedule and latency is measured from the
//! scheduled time, so a stalled server can't hide its queueing delay). Prints one JSON object:
//! requests, errors, rate, and latency percentiles in microseconds.
//!
//! Targets come from a file (one path per line) so the same generator drives ringbook and nginx.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;

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

/// The request for the `n`th event of connection `conn` in `--synth-events` mode.
fn synth_event(args: &Args, extra: &str, run: u64, conn: usize, n: u64) -> Vec<u8> {
    let call = n / 3;
    let event = ["ringing", "answered", "hangup"][(n % 3) as usize];
    let body = format!(
        r#"{{"event":"{event}","call_id":"bench-{run}-{conn}-{call}","direction":"in","remote":"+4930{:08}","extension":"{}"}}"#,
        (conn as u64 * 1_000_003 + call * 7919) % 100_000_000,
        200 + conn % 50
    );
    format!(
        "POST /api/v1/events HTTP/1.1\r\nHost: {}\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        args.addr,
        body.len()
    )
    .into_bytes()
}

/// Latency histogram with 1 µs resolution up to 100 ms and 1 ms beyond, to 10 s.
struct Hist {
    fine: Vec<u64>,
    coarse: Vec<u64>,
    n: u64,
}

impl Hist {
    fn new() -> Hist {
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
    fn merge(&mut self, o: &Hist) {
        for (a, b) in self.fine.iter_mut().zip(&o.fine) {
            *a += b;
        }
        for (a, b) in self.coarse.iter_mut().zip(&o.coarse) {
            *a += b;
        }
        self.n += o.n;
    }
    fn percentile(&self, p: f64) -> u64 {
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

struct Outcome {
    hist: Hist,
    errors: u64,
    non_2xx: u64,
}

fn read_response(
    r: &mut BufReader<TcpStream>,
    line: &mut String,
    body: &mut Vec<u8>,
) -> std::io::Result<u16> {
    line.clear();
    if r.read_line(line)? == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "closed",
        ));
    }
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut len = 0usize;
    loop {
        line.clear();
        r.read_line(line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
    }
    body.resize(len, 0);
    r.read_exact(body)?;
    Ok(status)
}

fn connect(addr: SocketAddr) -> std::io::Result<(TcpStream, BufReader<TcpStream>)> {
    let s = TcpStream::connect(addr)?;
    s.set_nodelay(true)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let r = BufReader::with_capacity(16 * 1024, s.try_clone()?);
    Ok((s, r))
}

fn run_connection(
    args: &Args,
    requests: &[Vec<u8>],
    idx: usize,
    stop: &AtomicBool,
    start: Instant,
    measure_from: Instant,
) -> Outcome {
    let extra: String = args.header.iter().map(|h| format!("{h}\r\n")).collect();
    // Distinct per run, so events of an earlier run against the same database are not repeats.
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let mut synth_n = 0u64;
    let mut out = Outcome {
        hist: Hist::new(),
        errors: 0,
        non_2xx: 0,
    };
    let mut conn = connect(args.addr).ok();
    let (mut line, mut body) = (String::new(), Vec::new());
    let interval = if args.rate > 0.0 {
        Some(Duration::from_secs_f64(args.connections as f64 / args.rate))
    } else {
        None
    };
    // Spread the paced connections over one interval so they don't fire in lockstep.
    let mut next = start
        + interval
            .map(|i| i.mul_f64(idx as f64 / args.connections as f64))
            .unwrap_or_default();
    let mut i = idx.wrapping_mul(7919);
    while !stop.load(Ordering::Relaxed) {
        let sent_at = match interval {
            Some(iv) => {
                let now = Instant::now();
                if next > now {
                    thread::sleep(next - now);
                }
                let t = next;
                next += iv;
                t
            }
            None => Instant::now(),
        };
        if stop.load(Ordering::Relaxed) {
            break;
        }
        i = i.wrapping_add(1);
        let synth;
        let req = if args.synth_events {
            synth = synth_event(args, &extra, run, idx, synth_n);
            synth_n += 1;
            &synth
        } else {
            &requests[i % requests.len()]
        };
        let Some((w, r)) = conn.as_mut() else {
            out.errors += 1;
            thread::sleep(Duration::from_millis(10));
            conn = connect(args.addr).ok();
            continue;
        };
        let result = w
            .write_all(req)
            .and_then(|_| read_response(r, &mut line, &mut body));
        match result {
            Ok(status) if sent_at >= measure_from => {
                out.hist.add(sent_at.elapsed().as_micros() as u64);
                if !(200..300).contains(&status) {
                    out.non_2xx += 1;
                }
            }
            Ok(_) => {}
            Err(_) => {
                if sent_at >= measure_from {
                    out.errors += 1;
                }
                conn = connect(args.addr).ok();
            }
        }
    }
    out
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

fn main() {
    let args = Args::parse();
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
    let text = if args.synth_events {
        "/api/v1/events".to_string()
    } else {
        std::fs::read_to_string(&args.targets).unwrap_or_else(|e| {
            eprintln!("loadgen: {} could not be read: {e}", args.targets.display());
            std::process::exit(2)
        })
    };
    let mut extra = String::new();
    for h in &args.header {
        extra.push_str(h);
        extra.push_str("\r\n");
    }
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
    let args = Arc::new(args);
    let requests = Arc::new(requests);
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let measure_from = start + Duration::from_secs_f64(args.warmup);
    let handles: Vec<_> = (0..args.connections)
        .map(|i| {
            let (args, requests, stop) = (args.clone(), requests.clone(), stop.clone());
            thread::spawn(move || run_connection(&args, &requests, i, &stop, start, measure_from))
        })
        .collect();
    thread::sleep(Duration::from_secs_f64(args.warmup + args.seconds));
    stop.store(true, Ordering::Relaxed);
    let elapsed = measure_from.elapsed().as_secs_f64();
    let mut hist = Hist::new();
    let (mut errors, mut non_2xx, mut starved) = (0, 0, 0);
    for h in handles {
        if let Ok(o) = h.join() {
            if o.hist.n <= 1 {
                starved += 1;
            }
            hist.merge(&o.hist);
            errors += o.errors;
            non_2xx += o.non_2xx;
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
