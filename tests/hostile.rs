//! Slow and hostile clients against the real binary: held-open idle and slowloris connections while
//! lookups run, oversized bodies, huge headers, invalid UTF-8, path traversal on the web UI's assets,
//! and SQL and markup payloads in the text fields of the JSON APIs. Each must get a clear answer (or
//! a clean close where HTTP itself is broken), lookups must keep working, and nothing stored may
//! change except what a request was answered 2xx for, stored verbatim and shown escaped.

mod common;
use common::*;

use std::collections::BTreeSet;
use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const CSV: &str = "first_name,last_name,company,office,mobile\n\
                   Anna,Müller,Müller & Söhne GmbH,030 1234567,0171 2345678\n\
                   Bernd,Schulz,,+49 30 9876543,\n";

fn json_post(srv: &Server, path: &str, key: &str, body: &Value) -> Response {
    srv.request(
        "POST",
        path,
        &[("X-Api-Key", key), ("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    )
}

fn keyed_get(srv: &Server, path: &str, key: &str) -> Response {
    srv.request("GET", path, &[("X-Api-Key", key)], b"")
}

/// The server's thread count and resident memory in KiB, from /proc.
fn threads_and_rss(pid: u32) -> (usize, usize) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("Threads:"), field("VmRSS:"))
}

/// A connection to `addr` from the loopback address `from` (any of 127.0.0.0/8 works on Linux), so
/// that one test can be several clients.
fn connect_from(from: &str, addr: std::net::SocketAddr) -> TcpStream {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    let local: std::net::SocketAddr = format!("{from}:0").parse().unwrap();
    s.bind(&local.into()).unwrap();
    s.connect(&addr.into()).expect("a connection opens");
    s.into()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

#[test]
fn lookups_keep_answering_while_500_idle_and_slowloris_connections_are_held() {
    let (srv, key) = berlin_office_with(CSV, "lookup");
    let (threads_before, rss_before) = threads_and_rss(srv.child.id());

    // 250 connections that send nothing, and 250 that send a request's headers one line every
    // 500 ms and never finish them (slowloris), from five addresses: ringbook keeps at most 256
    // from one (see the next test).
    let mut idle = Vec::new();
    let mut slow = Vec::new();
    for i in 0..500 {
        let mut s = connect_from(&format!("127.0.0.{}", 2 + i % 5), srv.addr);
        if i % 2 == 1 {
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: slow\r\n")
                .unwrap();
            slow.push(s);
        } else {
            idle.push(s);
        }
    }
    let stop = Arc::new(AtomicBool::new(false));
    let dripper = {
        let stop = stop.clone();
        thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                for s in &mut slow {
                    let _ = s.write_all(format!("X-Slow-{n}: 1\r\n").as_bytes());
                }
                n += 1;
                thread::sleep(Duration::from_millis(500));
            }
            slow
        })
    };
    thread::sleep(Duration::from_millis(500));
    let (threads_held, _) = threads_and_rss(srv.child.id());

    // 2,000 lookups: 1,000 over 4 keep-alive connections, 1,000 each on a new connection.
    let target = format!("/api/v1/lookup?number=%2B49301234567&key={key}");
    let mut latencies = Vec::with_capacity(2000);
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let (addr, target) = (srv.addr, target.clone());
            thread::spawn(move || {
                let mut s = TcpStream::connect(addr).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                let mut r = BufReader::new(s.try_clone().unwrap());
                let mut out = Vec::with_capacity(250);
                for _ in 0..250 {
                    let t = Instant::now();
                    s.write_all(format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
                        .unwrap();
                    let resp = read_response(&mut r).expect("a keep-alive lookup answers");
                    out.push((resp.status, t.elapsed()));
                }
                out
            })
        })
        .collect();
    let mut failed = 0;
    for c in clients {
        for (status, d) in c.join().unwrap() {
            failed += usize::from(status != 200);
            latencies.push(d);
        }
    }
    for _ in 0..1000 {
        let t = Instant::now();
        match srv.try_raw(
            format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        ) {
            Ok(r) if r.status == 200 => {}
            _ => failed += 1,
        }
        latencies.push(t.elapsed());
    }
    let (threads_during, rss_during) = threads_and_rss(srv.child.id());
    stop.store(true, Ordering::Relaxed);
    let slow = dripper.join().unwrap();

    latencies.sort();
    let (p50, p99, max) = (
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        latencies[latencies.len() - 1],
    );
    eprintln!(
        "hostile: 2000 lookups beside 250 idle + 250 slowloris connections: p50 {p50:?}, p99 {p99:?}, \
         max {max:?}, failed {failed}; server threads {threads_before} -> {threads_held} (held) -> \
         {threads_during}; RSS {rss_before} KiB -> {rss_during} KiB"
    );
    assert_eq!(failed, 0, "every lookup must be answered");
    assert!(
        p99 < Duration::from_millis(200),
        "lookup p99 {p99:?} with 500 held connections"
    );
    assert!(
        rss_during < 256 * 1024,
        "the server grew to {rss_during} KiB holding 500 connections"
    );
    // The slow connections are still open (nothing answered them) and the idle ones too.
    assert_eq!(slow.len() + idle.len(), 500);
    assert_eq!(srv.get("/healthz").status, 200);
}

/// What a connection's client sees once ringbook has closed it: `None` while it is open, else
/// whatever answer came before the close.
fn closed(s: &mut TcpStream) -> Option<String> {
    s.set_nonblocking(true).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let shut = loop {
        match s.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break !got.is_empty(),
            Err(_) => break true,
        }
    };
    s.set_nonblocking(false).unwrap();
    shut.then(|| String::from_utf8_lossy(&got).into_owned())
}

/// One device holding far more connections than any client needs (a phone whose firmware leaks
/// them, or a slowloris client opening more and more) would take every descriptor the service has,
/// and ringbook would have to restart. Past 256 from one address, the ones quiet the longest are
/// closed, a request half sent is told why, and no other client loses any.
#[test]
fn a_client_holding_more_than_256_connections_loses_the_quietest_and_no_one_else_any() {
    let (srv, key) = berlin_office_with(CSV, "lookup");
    let wait_for = |what: &str, done: &mut dyn FnMut() -> bool| {
        let start = Instant::now();
        while !done() {
            assert!(start.elapsed() < Duration::from_secs(10), "{what}");
            thread::sleep(Duration::from_millis(50));
        }
    };
    // Takes the connections ringbook has closed out of `socks`, with what each was answered.
    let take_closed = |socks: &mut Vec<TcpStream>| {
        let mut answers = Vec::new();
        socks.retain_mut(|s| match closed(s) {
            Some(a) => {
                answers.push(a);
                false
            }
            None => true,
        });
        answers
    };
    // Another client's 200 idle connections, under the limit.
    let mut others: Vec<_> = (0..200)
        .map(|_| connect_from("127.0.0.6", srv.addr))
        .collect();
    // 300 idle connections from one address, then, once ringbook has seen them, 100 that each
    // start a request and never finish it.
    let mut idle: Vec<_> = (0..300)
        .map(|_| connect_from("127.0.0.7", srv.addr))
        .collect();
    wait_for("44 of 300 idle connections are closed", &mut || {
        take_closed(&mut idle);
        idle.len() <= 256
    });
    thread::sleep(Duration::from_millis(1200));
    let start_request = |_| {
        let mut s = connect_from("127.0.0.7", srv.addr);
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: slow\r\n")
            .unwrap();
        s
    };
    let mut slow: Vec<_> = (0..100).map(start_request).collect();
    wait_for("144 of 300 idle connections are closed", &mut || {
        take_closed(&mut idle);
        idle.len() <= 156
    });
    thread::sleep(Duration::from_millis(1200));
    take_closed(&mut idle);
    assert_eq!(idle.len(), 156, "the idle ones go first");
    assert!(
        take_closed(&mut slow).is_empty(),
        "the newer connections stay"
    );
    // 200 more half-sent requests: the rest of the idle ones go, then the oldest half-sent ones,
    // each with a 503 that says why.
    let mut newer: Vec<_> = (0..200).map(start_request).collect();
    let mut answers = Vec::new();
    wait_for(
        "the last 156 idle and 44 half-sent connections are closed",
        &mut || {
            take_closed(&mut idle);
            answers.extend(take_closed(&mut slow));
            idle.is_empty() && answers.len() >= 44
        },
    );
    thread::sleep(Duration::from_millis(1200));
    answers.extend(take_closed(&mut slow));
    assert_eq!(answers.len(), 44, "exactly as many as were over 256");
    for a in &answers {
        assert!(
            a.starts_with("HTTP/1.1 503 ")
                && a.contains("127.0.0.7 held more than 256 connections to ringbook at once"),
            "{a:?}"
        );
    }
    assert!(
        take_closed(&mut newer).is_empty(),
        "the newest half-sent requests stay"
    );
    assert!(
        take_closed(&mut others).is_empty(),
        "another client's connections are never touched"
    );
    assert_eq!(
        keyed_get(&srv, "/api/v1/lookup?number=%2B49301234567", &key).status,
        200
    );
    let log = srv.log_text();
    assert!(
        log.contains("from 127.0.0.7, which held") && !log.contains("from 127.0.0.6"),
        "the log names the client that held too many:\n{log}"
    );
}

/// `http.connections_per_client` sets the limit: refused outside 16–2000, and 24 keeps a client to 24
/// connections, with the log naming the limit.
#[test]
fn the_connection_limit_per_client_is_a_setting() {
    let db = Db::new("hostile-limit");
    db.berlin();
    for bad in ["8", "5000", "many"] {
        let out = db.cli(&["settings", "set", "http.connections_per_client", bad]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains("from 16 to 2000"),
            "{bad}: {err}"
        );
    }
    db.ok(&["settings", "set", "http.connections_per_client", "24"]);
    let srv = Server::start(db);
    let mut socks: Vec<_> = (0..40)
        .map(|_| connect_from("127.0.0.9", srv.addr))
        .collect();
    let start = Instant::now();
    loop {
        socks.retain_mut(|s| closed(s).is_none());
        if socks.len() <= 24 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{} of 40 connections still open after 10 s; the limit is 24",
            socks.len()
        );
        thread::sleep(Duration::from_millis(50));
    }
    thread::sleep(Duration::from_millis(1200));
    socks.retain_mut(|s| closed(s).is_none());
    assert_eq!(socks.len(), 24, "the client keeps exactly 24");
    let log = srv.log_text();
    assert!(
        log.contains("from 127.0.0.9, which held")
            && log.contains("ringbook keeps at most 24 connections per client address"),
        "the log names the client and the limit:\n{log}"
    );
}

#[test]
fn idle_connections_are_closed_after_the_io_timeout() {
    let db = Db::new("hostile-idle");
    let srv = Server::start_with(db, &[("RINGBOOK_IO_TIMEOUT", "2")]);
    let mut s = TcpStream::connect(srv.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let t = Instant::now();
    let mut buf = Vec::new();
    // The server answers a request it never got with a 408, or just closes; either ends the read.
    let _ = s.read_to_end(&mut buf);
    let waited = t.elapsed();
    assert!(
        waited < Duration::from_secs(10),
        "an idle connection was kept {waited:?} with a 2 s I/O timeout"
    );
    let text = String::from_utf8_lossy(&buf);
    assert!(buf.is_empty() || text.starts_with("HTTP/1.1 408"), "{text}");
}

/// A flood of connections that uses up the process's file descriptors must not leave ringbook running
/// but deaf. tiny_http's accept thread ends its loop when `accept` fails (the workers hear that and
/// exit), but panics when the descriptor after it, its clone of the stream, is the one missing; then
/// the listener is closed, the process lives on, and a service manager never restarts it. Which of
/// the two happens depends on whether the limit leaves an odd or even number free, so two limits one
/// apart are tried. Either way the process must exit with status 70, so the service restarts it.
#[test]
fn a_server_out_of_file_descriptors_exits_for_its_supervisor_instead_of_going_deaf() {
    for limit in [128, 129] {
        let db = Db::new("hostile-nofile");
        db.ok(&["settings", "set", "web.https_port", "0"]);
        let addr = format!("127.0.0.1:{}", free_port());
        let log = db.dir.path().join("server.log");
        let mut child = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ulimit -n {limit} && exec \"$0\" --db \"$1\" --listen {addr}"
            ))
            .arg(BIN)
            .arg(&db.path)
            .env("RUST_LOG", "info")
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let healthz = || -> bool {
            let Ok(mut s) = TcpStream::connect(&addr) else {
                return false;
            };
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: r\r\nConnection: close\r\n\r\n");
            let mut text = String::new();
            let _ = s.read_to_string(&mut text);
            text.starts_with("HTTP/1.1 200")
        };
        let up = Instant::now();
        while !healthz() {
            if up.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "limit {limit}: /healthz never answered; log:\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
        // Each held connection takes two of the server's descriptors; 200 are more than 128 allow.
        let mut held = Vec::new();
        for _ in 0..200 {
            match TcpStream::connect_timeout(&addr.parse().unwrap(), Duration::from_secs(1)) {
                Ok(s) => held.push(s),
                Err(_) => break,
            }
        }
        let flood = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if flood.elapsed() > Duration::from_secs(10) {
                let answers = healthz();
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "limit {limit}: after {} connections the server still runs 10 s later \
                     (answering /healthz: {answers}); log:\n{}",
                    held.len(),
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            thread::sleep(Duration::from_millis(20));
        };
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        assert_eq!(status.code(), Some(70), "limit {limit}; log:\n{text}");
        assert!(
            text.contains("the HTTP server stopped")
                || text.contains("exiting so that the service manager restarts ringbook"),
            "limit {limit}: the log does not say why ringbook stopped:\n{text}"
        );
    }
}

/// Many connections opened at once, as when a ring group's phones all look the caller up on the first
/// ring. tiny_http's pool can queue some of them, and before the listener's heartbeat sent bursts the
/// last of 64 waited up to 3 s (in 4 of 10 fresh servers). The queueing is a race, so the test runs
/// three fresh servers: one of them finding it is likely (the old heartbeat failed 2 runs of 4), and
/// each must answer all within 1.5 s (the bursts take about 0.25 s at worst).
#[test]
fn a_burst_of_new_connections_is_answered_within_a_second_and_a_half() {
    for round in 0..3 {
        let srv = Server::start(Db::new("hostile-burst"));
        let start = Instant::now();
        let mut conns: Vec<TcpStream> = (0..64)
            .map(|_| {
                let mut s = TcpStream::connect(srv.addr).unwrap();
                s.write_all(b"GET /healthz HTTP/1.1\r\nHost: ringbook\r\n\r\n")
                    .unwrap();
                s
            })
            .collect();
        let mut slowest = Duration::ZERO;
        for s in &mut conns {
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let mut first = [0u8; 12];
            s.read_exact(&mut first).unwrap();
            assert_eq!(&first, b"HTTP/1.1 200");
            slowest = slowest.max(start.elapsed());
        }
        assert!(
            slowest < Duration::from_millis(1500),
            "round {round}: the last of 64 new connections was answered after {slowest:?}"
        );
    }
}

#[test]
fn oversized_bodies_get_413_and_store_nothing() {
    let (srv, key) = berlin_office_with(CSV, "admin");
    let before = srv.db.ok(&["export", "contacts"]);
    // A declared length over the cap is refused before the body is read.
    for path in [
        "/api/v1/events",
        "/3cx/contacts",
        "/3cx/journal",
        "/lookup.txt",
    ] {
        let r = srv.raw(
            format!(
                "POST {path} HTTP/1.1\r\nHost: x\r\nX-Api-Key: {key}\r\nContent-Type: application/json\r\n\
                 Content-Length: 2000000\r\nConnection: close\r\n\r\n"
            )
            .as_bytes(),
        );
        assert_eq!(
            r.status,
            413,
            "{path}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert!(r.json()["error"].as_str().unwrap().contains("larger than"));
    }
    // A chunked body has no declared length: it is cut off at the cap while reading.
    let item = json!({"event": "ringing", "call_id": "big", "remote": "+49301234567"}).to_string();
    let mut body = String::from("[");
    while body.len() < 1024 * 1024 + 64 * 1024 {
        body.push_str(&item);
        body.push(',');
    }
    body.push_str(&item);
    body.push(']');
    let mut req = format!(
        "POST /api/v1/events HTTP/1.1\r\nHost: x\r\nX-Api-Key: {key}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body.as_bytes());
    req.extend_from_slice(b"\r\n0\r\n\r\n");
    let r = srv.raw(&req);
    assert_eq!(r.status, 413, "{}", String::from_utf8_lossy(&r.body));

    assert_eq!(srv.db.ok(&["export", "contacts"]), before);
    let calls = keyed_get(&srv, "/api/v1/calls", &key).json();
    assert_eq!(calls["calls"].as_array().unwrap().len(), 0, "{calls}");
    assert_eq!(srv.get("/healthz").status, 200);
}

#[test]
fn headers_past_the_limit_get_431_or_414_and_store_nothing() {
    // Every case stays under the header guard's 96 KiB, so the worker answers it with the precise
    // reason; past that, see `an_endless_header_is_cut_off_with_431_before_it_takes_the_memory`.
    let (srv, key) = berlin_office_with(CSV, "admin");
    let event = json!({"event": "ringing", "call_id": "hdr", "remote": "+49301234567"}).to_string();
    // A call event with `extra` header lines and `pad` after the path.
    let post = |extra: &str, pad: &str| {
        format!(
            "POST /api/v1/events{pad} HTTP/1.1\r\nHost: x\r\nX-Api-Key: {key}\r\n\
             Content-Type: application/json\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{event}",
            event.len()
        )
    };
    let many_fields = |n: usize, len: usize| -> String {
        (0..n)
            .map(|i| format!("X-Many-{i}: {}\r\n", "b".repeat(len)))
            .collect()
    };
    let cases = [
        (
            "one 20 KiB header",
            post(&format!("X-Long: {}\r\n", "a".repeat(20 * 1024)), ""),
            431,
        ),
        (
            "one 64 KiB header",
            post(&format!("X-Long: {}\r\n", "a".repeat(64 * 1024)), ""),
            431,
        ),
        (
            "120 short header fields",
            post(&many_fields(120, 1), ""),
            431,
        ),
        ("600 header fields", post(&many_fields(600, 100), ""), 431),
        (
            "a 9 KiB request target",
            post("", &format!("?pad={}", "c".repeat(9 * 1024))),
            414,
        ),
        (
            "a 64 KiB request target",
            post("", &format!("?pad={}", "c".repeat(64 * 1024))),
            414,
        ),
    ];
    for (what, req, status) in cases {
        let t = Instant::now();
        let r = srv.raw(req.as_bytes());
        let took = t.elapsed();
        eprintln!("hostile: {what}: {} after {took:?}", r.status);
        assert!(took < Duration::from_secs(15), "{what} hung for {took:?}");
        assert_eq!(
            r.status,
            status,
            "{what}: {}",
            String::from_utf8_lossy(&r.body)
        );
        let msg = r.json()["error"].as_str().unwrap_or_default().to_string();
        assert!(msg.contains("ringbook takes at most"), "{what}: {msg}");
    }
    let calls = keyed_get(&srv, "/api/v1/calls", &key).json();
    assert_eq!(calls["calls"].as_array().unwrap().len(), 0, "{calls}");

    // Just inside the limits (100 fields in all, a 6 KiB cookie, a 7 KiB target), the same event
    // is taken: the limits refuse only what no phone, PBX or browser sends.
    let inside = format!(
        "Cookie: c={}\r\n{}",
        "d".repeat(6 * 1024),
        many_fields(100 - 6, 1)
    );
    let r = srv.raw(post(&inside, &format!("?pad={}", "c".repeat(7 * 1024))).as_bytes());
    assert!(
        r.status < 300,
        "{}: {}",
        r.status,
        String::from_utf8_lossy(&r.body)
    );
    let calls = keyed_get(&srv, "/api/v1/calls", &key).json();
    assert_eq!(calls["calls"].as_array().unwrap().len(), 1, "{calls}");
    let r = keyed_get(&srv, "/api/v1/lookup?number=%2B49301234567", &key);
    assert_eq!(r.status, 200);
}

/// Sends `head`, then `a` bytes without end (up to `cap`), on a new connection; returns the bytes
/// sent and what the server answered before the connection ended.
fn flood_header(addr: std::net::SocketAddr, head: &str, cap: usize) -> (usize, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    let chunk = vec![b'a'; 64 * 1024];
    let mut sent = head.len();
    while sent < cap {
        match s.write(&chunk) {
            Ok(n) => sent += n,
            Err(_) => break,
        }
    }
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    (sent, String::from_utf8_lossy(&answer).into_owned())
}

#[test]
fn an_endless_header_is_cut_off_with_431_before_it_takes_the_memory() {
    // tiny_http reads a whole header into memory before ringbook sees the request; 200 MiB of one
    // header line would be 200 MB of server memory per connection without the header guard.
    let (srv, key) = berlin_office_with(CSV, "lookup");
    let pid = srv.child.id();
    let (_, rss_before) = threads_and_rss(pid);
    const FLOOD: usize = 200 * 1024 * 1024;

    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = done.clone();
        thread::spawn(move || {
            let mut peak = 0;
            while !done.load(Ordering::Relaxed) {
                peak = peak.max(threads_and_rss(pid).1);
                thread::sleep(Duration::from_millis(5));
            }
            peak
        })
    };
    let floods: Vec<_> = [
        "GET /api/v1/lookup?number=%2B49301234567 HTTP/1.1\r\nHost: x\r\nX-Endless: ",
        // An endless request target, and a header of endless short fields.
        "GET /api/v1/lookup?number=",
        "POST /api/v1/events HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nX-A: 1\r\nX-A: 1\r\nX-B: 1",
    ]
    .into_iter()
    .map(|head| {
        let addr = srv.addr;
        thread::spawn(move || flood_header(addr, head, FLOOD))
    })
    .collect();
    // Lookups keep being answered meanwhile.
    let mut lookups = 0;
    while !floods.iter().all(|f| f.is_finished()) {
        let r = keyed_get(&srv, "/api/v1/lookup?number=%2B49301234567", &key);
        assert_eq!(r.status, 200, "a lookup during the floods");
        lookups += 1;
    }
    let results: Vec<_> = floods.into_iter().map(|f| f.join().unwrap()).collect();
    done.store(true, Ordering::Relaxed);
    let peak = sampler.join().unwrap();
    eprintln!(
        "hostile: endless headers: sent {:?} bytes before the cut; {lookups} lookups meanwhile; \
         RSS {rss_before} KiB, peak {peak} KiB",
        results.iter().map(|r| r.0).collect::<Vec<_>>()
    );
    for (sent, answer) in &results {
        assert!(
            *sent < FLOOD,
            "a {sent}-byte header was taken in full without the connection being cut"
        );
        assert!(
            answer.starts_with("HTTP/1.1 431 ") && answer.contains("ringbook takes at most"),
            "a cut connection is told why: {answer:?}"
        );
    }
    assert!(
        peak < rss_before + 100 * 1024,
        "three endless headers grew the server from {rss_before} KiB to {peak} KiB"
    );
    assert!(
        srv.log_text()
            .contains("whose request header went on past 96 KiB without ending"),
        "the log says which connections were closed and why"
    );

    // Nothing a real client sends is cut: on one keep-alive connection, a 900 KiB body sent slowly
    // (each pause longer than the guard's tick), then a 60 KiB header sent slowly, which the
    // worker refuses with its own reason, then a lookup.
    let mut s = TcpStream::connect(srv.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    let body = format!(
        "{{\"event\":\"ringing\",\"call_id\":\"big\",\"remote\":\"+49301234567\",\"pad\":\"{}\"}}",
        "p".repeat(900 * 1024)
    );
    s.write_all(
        format!(
            "POST /api/v1/events?key={key} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )
    .unwrap();
    for piece in body.as_bytes().chunks(150 * 1024) {
        s.write_all(piece).unwrap();
        thread::sleep(Duration::from_millis(150));
    }
    let big = read_response(&mut r).expect("a slow 900 KiB body is answered, not cut");
    assert!(big.status < 500, "{}", big.status);
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: ")
        .unwrap();
    for _ in 0..6 {
        s.write_all(&[b'l'; 10 * 1024]).unwrap();
        thread::sleep(Duration::from_millis(150));
    }
    s.write_all(b"\r\n\r\n").unwrap();
    let long = read_response(&mut r).expect("a slow 60 KiB header is answered, not cut");
    assert_eq!(long.status, 431);
    let msg = long.json()["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(msg.contains("header has"), "the worker's own reason: {msg}");
    let mut s = TcpStream::connect(srv.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    s.write_all(
        format!("GET /api/v1/lookup?number=%2B49301234567&key={key} HTTP/1.1\r\nHost: x\r\n\r\n")
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(read_response(&mut r).unwrap().status, 200);
}

#[test]
fn invalid_utf8_gets_a_clear_error_and_stores_nothing() {
    let (srv, key) = berlin_office_with(CSV, "admin");
    let before = srv.db.ok(&["export", "contacts"]);

    // Raw bytes that aren't ASCII in the request line: HTTP has no place for them.
    let mut req = b"GET /api/v1/lookup?number=\xff\xfe HTTP/1.1\r\nHost: x\r\nX-Api-Key: ".to_vec();
    req.extend_from_slice(key.as_bytes());
    req.extend_from_slice(b"\r\nConnection: close\r\n\r\n");
    match srv.try_raw(&req) {
        Ok(r) => assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body)),
        Err(e) => eprintln!("hostile: a raw non-ASCII request line was closed: {e}"),
    }

    // Escapes that decode to invalid UTF-8: the number has letters, so a clear 400.
    let r = keyed_get(&srv, "/api/v1/lookup?number=%FF%FE030", &key);
    assert_eq!(r.status, 400);
    assert!(
        r.json()["error"].as_str().unwrap().contains("number"),
        "{}",
        r.text()
    );
    // PBXs and phones get their protocol's answer: an empty name, an empty pop-up.
    let r = keyed_get(&srv, "/lookup.txt?number=%FF%FE", &key);
    assert_eq!((r.status, r.body.len()), (200, 0));
    let r = keyed_get(&srv, "/lookup.txt/%C3%28", &key);
    assert_eq!((r.status, r.body.len()), (200, 0));

    // Bodies that are not UTF-8.
    for (method, path) in [
        ("POST", "/api/v1/events"),
        ("POST", "/3cx/contacts"),
        ("POST", "/3cx/journal"),
        ("POST", "/v1/calls/3cx"),
        ("POST", "/api/v1/calls/handled"),
    ] {
        let r = srv.request(
            method,
            path,
            &[("X-Api-Key", &key), ("Content-Type", "application/json")],
            b"{\"FirstName\":\"\xff\xfe\",\"event\":\"ringing\",\"call_id\":\"\xc3\x28\"}",
        );
        assert_eq!(
            r.status,
            400,
            "{path}: {}",
            String::from_utf8_lossy(&r.body)
        );
        let msg = r.json()["error"].as_str().unwrap().to_string();
        assert!(msg.contains("UTF-8"), "{path}: {msg}");
    }
    assert_eq!(srv.db.ok(&["export", "contacts"]), before);
    let calls = keyed_get(&srv, "/api/v1/calls", &key).json();
    assert_eq!(calls["calls"].as_array().unwrap().len(), 0, "{calls}");
}

#[test]
fn path_traversal_on_asset_paths_finds_nothing() {
    let srv = Server::start(Db::new("hostile-assets"));
    assert_eq!(srv.get("/assets/style.css").status, 200);
    for path in [
        "/assets/../Cargo.toml",
        "/assets/..%2fCargo.toml",
        "/assets/..%2FCargo.toml",
        "/assets/%2e%2e%2fCargo.toml",
        "/assets/%2e%2e/%2e%2e/etc/passwd",
        "/assets/..%5cCargo.toml",
        "/assets/%252e%252e%252fCargo.toml",
        "/assets/....//Cargo.toml",
        "/assets//etc/passwd",
        "/assets/%2fetc%2fpasswd",
        "/assets/style.css%00.toml",
        "/assets/style.css/../../Cargo.toml",
        "/assets/..%c0%afCargo.toml",
        "/assets/.%2e/src/main.rs",
        "/assets/app.js%3f../../Cargo.toml",
    ] {
        let r = srv.get(path);
        let body = String::from_utf8_lossy(&r.body);
        assert!(
            r.status == 404 || r.status == 400,
            "{path}: {} {body}",
            r.status
        );
        assert!(
            !body.contains("[package]") && !body.contains("root:") && !body.contains("fn main"),
            "{path} leaked a file: {body}"
        );
    }
}

/// Classic injection and markup payloads, none longer than the shortest field limit (64).
const PAYLOADS: &[&str] = &[
    "'; DROP TABLE contacts; --",
    "Robert'); DELETE FROM calls; --",
    "\" OR \"1\"=\"1\" --",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "]]><!-- &amp; &lt; -->",
    "${jndi:ldap://x/a}{{7*7}}%s%n",
];

/// The parts of what is stored that a hostile request must not touch.
fn snapshot(srv: &Server, key: &str, seed_call: i64) -> (BTreeSet<String>, Value, Value, Value) {
    let contacts: BTreeSet<String> = srv
        .db
        .ok(&["export", "contacts"])
        .lines()
        .map(str::to_string)
        .collect();
    (
        contacts,
        keyed_get(srv, "/api/v1/lookup?number=%2B49301234567", key).json(),
        keyed_get(srv, "/api/v1/lookup?number=%2B49309876543", key).json(),
        keyed_get(srv, &format!("/api/v1/calls/{seed_call}"), key).json(),
    )
}

/// The `name=value` pairs of a response's cookies, merged into `jar`.
fn keep_cookies(jar: &mut Vec<(String, String)>, r: &Response) {
    for (k, v) in &r.headers {
        if !k.eq_ignore_ascii_case("set-cookie") {
            continue;
        }
        if let Some((name, value)) = v.split(';').next().and_then(|p| p.split_once('=')) {
            jar.retain(|(n, _)| n != name);
            if !value.is_empty() {
                jar.push((name.to_string(), value.to_string()));
            }
        }
    }
}

fn cookie_header(jar: &[(String, String)]) -> String {
    jar.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A browser session for the web UI, logged in as `owner`: its `Cookie` header.
fn login(srv: &Server) -> String {
    let mut jar = Vec::new();
    let page = srv.get("/login");
    keep_cookies(&mut jar, &page);
    let html = page.text();
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    let csrf = &html[at..at + html[at..].find('"').unwrap()];
    let body = format!(
        "csrf={}&name=owner&password={}",
        enc(csrf),
        enc("correct horse battery")
    );
    let r = srv.request(
        "POST",
        "/login",
        &[
            ("Cookie", &cookie_header(&jar)),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        body.as_bytes(),
    );
    assert_eq!(r.status, 303, "login: {}", r.text());
    keep_cookies(&mut jar, &r);
    cookie_header(&jar)
}

/// Markup in a page is escaped: the payload's raw tags never appear, their escaped form does.
fn assert_escaped(page: &str, what: &str) {
    for raw in ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"] {
        assert!(!page.contains(raw), "{what} shows raw markup {raw}");
    }
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
            || page.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{what} doesn't show the payload escaped"
    );
}

#[test]
fn sql_and_markup_payloads_are_refused_or_stored_verbatim_and_shown_escaped() {
    let db = Db::new("hostile-payloads");
    db.berlin();
    db.import_csv(CSV);
    db.cli_with_stdin(
        &["user", "add", "owner", "--role", "admin"],
        "correct horse battery\n",
    );
    let key = db.key("admin");
    let srv = Server::start(db);
    let seed = json_post(
        &srv,
        "/api/v1/events",
        &key,
        &json!({"event": "ringing", "call_id": "seed", "direction": "in", "remote": "+49301234567"}),
    );
    assert_eq!(seed.status, 200, "{}", seed.text());
    let seed_call = seed.json()["events"][0]["call_id"].as_i64().unwrap();
    let before = snapshot(&srv, &key, seed_call);

    let mut created_contacts = 0;
    let mut stored_calls: Vec<i64> = vec![seed_call];
    let mut contact_ids = Vec::new();
    for (i, p) in PAYLOADS.iter().enumerate() {
        // Contacts from 3CX: names and company are free text, stored verbatim.
        let number = format!("+49305550{i:03}");
        let r = json_post(
            &srv,
            "/3cx/contacts",
            &key,
            &json!({"FirstName": p, "LastName": format!("Hostile{i}"), "Company": p, "Email": "", "Number": number}),
        );
        assert_eq!(r.status, 201, "{p}: {}", r.text());
        created_contacts += 1;
        let c = &r.json()["contacts"][0];
        assert_eq!(c["FirstName"], *p);
        assert_eq!(c["CompanyName"], *p);
        contact_ids.push(c["EntityId"].as_str().unwrap().to_string());
        let found = keyed_get(
            &srv,
            &format!("/api/v1/lookup?number={}", enc(&number)),
            &key,
        )
        .json();
        assert_eq!(found["matches"][0]["first_name"], *p, "{found}");

        // E-mail and number are checked: a clear 422, nothing stored.
        for (field, value) in [("Email", *p), ("Number", *p)] {
            let mut body = json!({"FirstName": "Eve", "LastName": format!("Refused{i}"), "Number": "+4930555999"});
            body[field] = json!(value);
            let r = json_post(&srv, "/3cx/contacts", &key, &body);
            assert_eq!(r.status, 422, "{field}={p}: {}", r.text());
            assert!(r.json()["error"].is_string());
        }

        // Journal events: every text field, alone, with the payload.
        for (f, field) in [
            "call_id",
            "group",
            "cause",
            "remote",
            "extension",
            "line",
            "agent",
            "source",
        ]
        .into_iter()
        .enumerate()
        {
            // A remote number of its own, so that no two test calls merge into one conversation.
            let remote = format!("+4930111{i}{f:03}");
            let leg_key = if field == "call_id" {
                p.to_string()
            } else {
                format!("h-{field}-{i}")
            };
            // A cause belongs to the end of a call.
            let kind = if field == "cause" {
                "hangup"
            } else {
                "ringing"
            };
            let mut ev =
                json!({"event": kind, "direction": "in", "call_id": leg_key, "remote": remote});
            ev[field] = json!(p);
            let r = json_post(&srv, "/api/v1/events", &key, &ev);
            match r.status {
                200 => {
                    let id = r.json()["events"][0]["call_id"].as_i64().unwrap();
                    stored_calls.push(id);
                    let detail = keyed_get(&srv, &format!("/api/v1/calls/{id}"), &key).json();
                    let leg = detail["legs"]
                        .as_array()
                        .and_then(|legs| legs.iter().find(|l| l["key"] == leg_key.as_str()))
                        .unwrap_or_else(|| panic!("{field}={p}: no leg {leg_key}: {detail}"));
                    let stored = match field {
                        "call_id" => &leg["key"],
                        "group" => &leg["group"],
                        "cause" => &leg["cause"],
                        "source" => &leg["source"],
                        other => panic!("{other}={p} was accepted: {detail}"),
                    };
                    assert_eq!(stored, *p, "{field}: {detail}");
                    // The raw event is kept as received.
                    let raw: Value =
                        serde_json::from_str(detail["events"][0]["payload"].as_str().unwrap())
                            .unwrap();
                    assert_eq!(raw[field], *p, "{field}: {detail}");
                }
                400 => assert!(r.json()["error"].is_string(), "{field}={p}"),
                other => panic!("{field}={p}: {other} {}", r.text()),
            }
        }

        // Lookups and searches with the payload: a clear refusal or an ordinary answer.
        let r = keyed_get(&srv, &format!("/api/v1/lookup?number={}", enc(p)), &key);
        assert_eq!(r.status, 400, "{p}");
        assert!(r.json()["error"].is_string());
        let r = keyed_get(&srv, &format!("/lookup.txt?number={}", enc(p)), &key);
        assert_eq!((r.status, r.body.len()), (200, 0), "{p}");
        let r = keyed_get(&srv, &format!("/3cx/search?q={}", enc(p)), &key);
        assert_eq!(r.status, 200, "{p}");
        assert!(r.json()["contacts"].is_array());
        let r = keyed_get(&srv, &format!("/snom/directory?q={}", enc(p)), &key);
        assert_eq!(r.status, 200, "{p}");
        assert!(!r.text().contains("<script>"), "{}", r.text());
    }

    // A call's description from the API, shown in the UI below.
    let r = srv.request(
        "PATCH",
        &format!("/api/v1/calls/{seed_call}"),
        &[("X-Api-Key", &key), ("Content-Type", "application/json")],
        json!({"description": PAYLOADS[3]}).to_string().as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["description"], PAYLOADS[3]);

    // Shown escaped: phone XML, and the web UI's pages.
    let xml = keyed_get(&srv, "/yealink/phonebook.xml", &key).text();
    assert!(
        !xml.contains("<script>") && xml.contains("&lt;script&gt;"),
        "{xml}"
    );
    let cookie = login(&srv);
    for path in [
        format!("/contacts/{}", contact_ids[3]),
        format!("/contacts/{}", contact_ids[4]),
        format!("/calls/{seed_call}"),
        "/contacts".to_string(),
    ] {
        let page = srv.request("GET", &path, &[("Cookie", &cookie)], b"");
        assert_eq!(page.status, 200, "{path}");
        assert_escaped(&page.text(), &path);
    }

    // Nothing else changed: the old contacts, lookups and call are as they were (apart from the
    // description set above), and only the answered contacts and calls were added.
    let after = snapshot(&srv, &key, seed_call);
    assert!(after.0.is_superset(&before.0), "an old contact changed");
    assert_eq!(after.0.len() - before.0.len(), created_contacts);
    assert_eq!(after.1, before.1);
    assert_eq!(after.2, before.2);
    let mut call_now = after.3.clone();
    call_now["description"] = before.3["description"].clone();
    assert_eq!(call_now, before.3);
    let listed = keyed_get(&srv, "/api/v1/calls?limit=500", &key).json();
    let mut listed: Vec<i64> = listed["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    listed.sort();
    stored_calls.sort();
    stored_calls.dedup();
    assert_eq!(listed, stored_calls);
}

/// ASVS V7 ("secrets never logged"): a run at debug level through key use, wrong keys, a login, a
/// wrong password and a session leaves no key, password, session or CSRF token in the log. (The
/// one-time setup code is the exception by design: the log is where the owner reads it.)
#[test]
fn secrets_never_reach_the_log() {
    const PASSWORD: &str = "correct horse battery";
    let db = Db::new("hostile-secrets");
    db.berlin();
    db.import_csv(CSV);
    db.cli_with_stdin(
        &["user", "add", "owner", "--role", "admin"],
        &format!("{PASSWORD}\n"),
    );
    let key = db.key("lookup,journal");
    let srv = Server::start_with(db, &[("RUST_LOG", "trace")]);

    // The key in every place a client may put it, and a wrong one.
    assert_eq!(
        keyed_get(&srv, "/api/v1/lookup?number=%2B49301234567", &key).status,
        200
    );
    let r = srv.get(&format!("/lookup.txt?number=%2B49301234567&key={key}"));
    assert_eq!(r.status, 200);
    let r = srv.request(
        "GET",
        "/api/v1/lookup?number=%2B49301234567",
        &[("Authorization", &format!("Bearer {key}"))],
        b"",
    );
    assert_eq!(r.status, 200);
    let wrong = format!("{key}x");
    assert_eq!(
        keyed_get(&srv, "/api/v1/lookup?number=1", &wrong).status,
        401
    );
    let r = srv.get(&format!(
        "/snom/event?ev=incoming&mac=000413000001&cid=c1&remote=%2B49301234567&local=201&key={key}"
    ));
    assert_eq!(r.status, 200);

    // A wrong password, then a login and a page with the session.
    let page = srv.get("/login");
    let html = page.text();
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    let csrf = html[at..at + html[at..].find('"').unwrap()].to_string();
    let mut jar = Vec::new();
    keep_cookies(&mut jar, &page);
    let post = |password: &str, jar: &[(String, String)]| {
        srv.request(
            "POST",
            "/login",
            &[
                ("Cookie", &cookie_header(jar)),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            format!("csrf={}&name=owner&password={}", enc(&csrf), enc(password)).as_bytes(),
        )
    };
    assert_eq!(post("wrong horse battery", &jar).status, 401);
    let ok = post(PASSWORD, &jar);
    assert_eq!(ok.status, 303);
    keep_cookies(&mut jar, &ok);
    let cookies = cookie_header(&jar);
    assert_eq!(
        srv.request("GET", "/calls", &[("Cookie", &cookies)], b"")
            .status,
        200
    );

    // A second factor turned on: its key must not reach the log either.
    let me = srv
        .request("GET", "/me", &[("Cookie", &cookies)], b"")
        .text();
    let totp_key = me
        .split("name=\"secret\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the account page offers a key")
        .to_string();
    let session_csrf = csrf_of(&me);
    let secret_bytes = ringbook::totp::from_base32(&totp_key).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let code = ringbook::totp::code_at(&secret_bytes, now);
    let r = srv.request(
        "POST",
        "/me/2fa",
        &[
            ("Cookie", &cookies),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        format!(
            "csrf={}&secret={totp_key}&code={code}&password={}",
            enc(&session_csrf),
            enc(PASSWORD)
        )
        .as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let shown = r.text();
    let recovery_code = shown
        .split("<li><code>")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("the recovery codes are shown")
        .to_string();

    let log = srv.log_text();
    let secret = key.rsplit('_').next().unwrap();
    let mut leaked = Vec::new();
    for (what, value) in [
        ("the API key", key.as_str()),
        ("the key's secret part", secret),
        ("a mistyped key", wrong.as_str()),
        ("the password", PASSWORD),
        ("a wrong password", "wrong horse battery"),
        ("the CSRF token", csrf.as_str()),
        ("the session's CSRF token", session_csrf.as_str()),
        ("the second factor's key", totp_key.as_str()),
        ("a recovery code", recovery_code.as_str()),
    ] {
        if log.contains(value) {
            leaked.push(what.to_string());
        }
    }
    for (name, value) in &jar {
        if value.len() >= 16 && log.contains(value.as_str()) {
            leaked.push(format!("the cookie {name}"));
        }
    }
    assert!(leaked.is_empty(), "the log holds {leaked:?}:\n{log}");
    assert!(!log.is_empty(), "the server logged nothing at trace level");
}

/// Logins on several connections at once leave no memory behind. A login's password hash takes
/// 19 MiB; glibc used to keep such a block in the arena of every worker that had hashed one, and
/// 16 logins on 4 connections left the server at 134 MB resident instead of 18.
#[test]
fn logins_on_many_workers_leave_no_memory_behind() {
    let db = Db::new("hostile-login-memory");
    db.cli_with_stdin(
        &["user", "add", "owner", "--role", "admin"],
        "correct horse battery\n",
    );
    let srv = Server::start(db);
    let pid = srv.child.id();
    login(&srv);
    let (_, before) = threads_and_rss(pid);
    for _ in 0..4 {
        thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| login(&srv));
            }
        });
    }
    let (_, after) = threads_and_rss(pid);
    assert!(
        after < before + 16 * 1024,
        "16 logins took the server from {before} KiB to {after} KiB resident"
    );
}

/// ASVS V2.2.1: after 10 failed logins from one address, even the right password is refused (429)
/// until the window has passed, and no session is handed out; a restart in between changes nothing.
#[test]
fn login_attempts_are_limited_per_address() {
    const PASSWORD: &str = "correct horse battery";
    let db = Db::new("hostile-ratelimit");
    db.cli_with_stdin(
        &["user", "add", "owner", "--role", "admin"],
        &format!("{PASSWORD}\n"),
    );
    let srv = Server::start(db);
    let page = srv.get("/login");
    let html = page.text();
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    let csrf = html[at..at + html[at..].find('"').unwrap()].to_string();
    let mut jar = Vec::new();
    keep_cookies(&mut jar, &page);
    let post = |srv: &Server, name: &str, password: &str| {
        srv.request(
            "POST",
            "/login",
            &[
                ("Cookie", &cookie_header(&jar)),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            format!("csrf={}&name={name}&password={}", enc(&csrf), enc(password)).as_bytes(),
        )
    };
    for i in 0..10 {
        // Unknown users count as well as wrong passwords.
        let name = if i % 2 == 0 { "owner" } else { "nobody" };
        assert_eq!(post(&srv, name, "guess").status, 401, "attempt {i}");
    }
    let got_a_session = |r: &Response| {
        r.headers.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case("set-cookie")
                && v.starts_with("rb_session=")
                && !v.starts_with("rb_session=;")
        })
    };
    let blocked = post(&srv, "owner", PASSWORD);
    assert_eq!(blocked.status, 429, "{}", blocked.text());
    assert!(!got_a_session(&blocked), "a blocked login got a session");

    // A client can make ringbook restart (a connection flood past the descriptor limit makes it
    // exit for systemd); the restart must not give it 10 more guesses.
    let srv = srv.kill_and_restart();
    let after_restart = post(&srv, "owner", PASSWORD);
    assert_eq!(
        after_restart.status,
        429,
        "a restart reset the limit: {}",
        after_restart.text()
    );
    assert!(!got_a_session(&after_restart));
    assert!(
        srv.log_text()
            .contains("clients with failed logins in the last five minutes, still counted: 1"),
        "{}",
        srv.log_text()
    );
}
