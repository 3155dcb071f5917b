//! The listening socket, with read and write timeouts that accepted connections inherit.
//!
//! tiny_http has no timeout settings and accepts connections itself. On Linux an accepted socket
//! inherits `SO_RCVTIMEO`/`SO_SNDTIMEO` from its listener, so setting them here gives every connection
//! an idle and stall timeout. The same timeout also applies to the blocking `accept()` itself, and
//! tiny_http ends its accept loop on the first error; [`keep_accept_alive`] therefore connects to the
//! listener well within the timeout, so an idle server never sees an accept time out.
//!
//! The same heartbeat works around a second tiny_http flaw: its connection thread pool can queue a
//! newly accepted connection behind busy keep-alive connections when several arrive at once (a woken
//! pool thread still counts as idle for a moment), and nothing picks the queued one up until a thread
//! frees, which for a keep-alive connection can be the whole idle timeout. tiny_http ignores a
//! `Connection: close` in responses, so the server can't free threads itself. Each heartbeat
//! connection makes the pool start or wake one thread, which takes the oldest queued connection
//! first. One heartbeat per tick frees one queued connection per tick: 64 connections opened at once
//! (a ring group whose phones all look the caller up on the first ring, a PBX opening its pool) were
//! measured waiting up to 3 s for their first answer. So while connections are queued the heartbeat
//! sends a burst per tick ([`BURST`]). It can't see tiny_http's queue, but a thread that takes a queued
//! keep-alive connection stays with it, so each heartbeat then leaves one more thread behind: a tick
//! that finds the process with more threads than the last one sends a burst.
//!
//! The heartbeat also notices a third flaw. When the process is out of file descriptors or threads,
//! tiny_http's accept thread either ends its loop (which the workers hear, and exit on) or panics on
//! an `unwrap` (its stream clone or its pool's `thread::spawn`), which nobody hears: the listener is
//! closed and the process lives on, deaf, so a service manager never restarts it. Under a limit of
//! 256 descriptors, 113 idle connections did that (each connection takes two). A heartbeat that is
//! refused means nothing listens any more, so the process exits with status 70, as the workers do
//! when the accept loop ends, and the service manager starts it again.

use std::io::ErrorKind;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use socket2::{Domain, Socket, Type};

pub fn bind(addr: SocketAddr, io_timeout: Duration) -> std::io::Result<TcpListener> {
    let sock = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    sock.set_reuse_address(true)?;
    sock.bind(&addr.into())?;
    sock.listen(1024)?;
    sock.set_read_timeout(Some(io_timeout))?;
    sock.set_write_timeout(Some(io_timeout))?;
    sock.set_nodelay(true)?;
    Ok(sock.into())
}

/// Heartbeats per tick while the process gains threads: each frees at most one queued connection.
/// A burst that finds nothing queued costs only its loopback connections, which the pool's idle
/// threads close at once. An idle server's thread count holds still, so it sends one per tick.
const BURST: usize = 16;

/// Heartbeats refused in a row before the process gives up on its listener. A loopback connection is
/// refused only when no socket listens on the port (a full accept queue drops it instead, and the
/// connect times out), so one would do; three rule out anything fleeting at the cost of two ticks.
const DEAF_AFTER: u32 = 3;

/// Opens and closes a connection to the listener every `every`, so that `accept()` never waits as long
/// as the inherited timeout, and [`BURST`] of them while the process gains threads. Exits the process
/// once the listener refuses [`DEAF_AFTER`] of them in a row.
pub fn keep_accept_alive(local: SocketAddr, every: Duration) {
    let target = match local {
        SocketAddr::V4(a) if a.ip().is_unspecified() => {
            SocketAddr::from((Ipv4Addr::LOCALHOST, a.port()))
        }
        SocketAddr::V6(a) if a.ip().is_unspecified() => {
            SocketAddr::from((Ipv6Addr::LOCALHOST, a.port()))
        }
        other => other,
    };
    let spawned = thread::Builder::new()
        .name("accept-keepalive".into())
        .spawn(move || {
            let mut threads = thread_count();
            let mut refused = 0;
            loop {
                thread::sleep(every);
                let now = thread_count();
                let heartbeats = if now > threads { BURST } else { 1 };
                threads = now;
                for _ in 0..heartbeats {
                    match TcpStream::connect_timeout(&target, Duration::from_secs(2)) {
                        Ok(_) => refused = 0,
                        Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
                            refused += 1;
                            if refused >= DEAF_AFTER {
                                log::error!(
                                    "nothing accepts connections on {target} any more: the HTTP \
                                     library's accept thread has ended (most likely the process \
                                     ran out of file descriptors or threads under a flood of \
                                     connections); exiting so that the service manager restarts \
                                     ringbook"
                                );
                                std::process::exit(crate::vital::RESTART);
                            }
                            break;
                        }
                        Err(e) => {
                            // Not "in a row" any more: a timeout means a full listen queue, which
                            // only a listener has.
                            refused = 0;
                            log::warn!(
                                "the listener's keep-alive connection to {target} failed: {e}"
                            );
                            break;
                        }
                    }
                }
            }
        });
    if let Err(e) = spawned {
        log::error!("the accept keep-alive thread could not start: {e}");
    }
}

/// The number of threads in this process (`/proc/self/stat`, field 20); 0 where that can't be read,
/// which leaves the heartbeat at one per tick.
fn thread_count() -> usize {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| {
            // Fields after the command name, which is in parentheses and may hold spaces.
            let (_, rest) = stat.rsplit_once(')')?;
            rest.split_whitespace().nth(17)?.parse().ok()
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The burst is keyed to the thread count, so it must count what the kernel counts.
    #[test]
    fn thread_count_counts_this_process_threads() {
        let tasks = || std::fs::read_dir("/proc/self/task").unwrap().count();
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let waiting = thread::spawn(move || {
            let _ = rx.recv();
        });
        // Other tests start and end threads meanwhile: compare only when nothing changed around the read.
        let mut compared = false;
        for _ in 0..100 {
            let (before, counted, after) = (tasks(), thread_count(), tasks());
            if before == after {
                assert_eq!(counted, before);
                assert!(counted >= 2, "the test's own thread and the waiting one");
                compared = true;
                break;
            }
        }
        drop(tx);
        waiting.join().unwrap();
        assert!(compared, "the thread count never held still");
    }
}
