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
//! first; at 20 heartbeats a second a burst of 20 connections (a ring group, every phone rebooting
//! after a power cut) is fully served within a second.

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

/// Opens and closes a connection to the listener every `every`, so that `accept()` never waits as long
/// as the inherited timeout.
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
        .spawn(move || loop {
            thread::sleep(every);
            if let Err(e) = TcpStream::connect_timeout(&target, Duration::from_secs(2)) {
                log::warn!("the listener's keep-alive connection to {target} failed: {e}");
            }
        });
    if let Err(e) = spawned {
        log::error!("the accept keep-alive thread could not start: {e}");
    }
}
