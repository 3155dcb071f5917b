//! HTTPS for the web UI: TLS terminated here with rustls (ring, the crypto ureq already brings) and the
//! plain HTTP proxied to the server's own listener on loopback, so one tiny_http server, one route
//! table and one worker pool serve both. Browsers need a secure context for desktop notifications,
//! which `http://ringbook.local` is not.
//!
//! - Each TLS connection gets a loopback connection to the HTTP listener and two copy threads (client
//!   to server and back); a connection idle in both directions for the I/O timeout is closed, and at
//!   most [`MAX_CONNECTIONS`] run at once, so a flood can't exhaust threads.
//! - The proxied connection's loopback port is registered with the real client's address
//!   ([`client_of`]), so the server sees who is really asking (API key IP allowlists, the login rate
//!   limit) and knows the request came over TLS. A plain-HTTP client can't claim that: the marker
//!   header is set only by the server, never taken from the request.
//! - The certificate is self-signed on first start (for the host name, `ringbook.local`, `localhost`
//!   and the box's addresses) and kept in the database; an admin may upload their own. A new one takes
//!   effect for the next connection, without a restart.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{
    IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::thread;
use std::time::{Duration, Instant};

use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{ServerConfig, ServerConnection};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::store::tls::CertRow;
use crate::store::{self, Reader, Store};

/// Most TLS connections served at once (each holds two threads). More are closed at once.
pub const MAX_CONNECTIONS: usize = 128;

/// The pause after a failed `accept`, such as one out of file descriptors.
const ACCEPT_RETRY: Duration = Duration::from_millis(50);
/// How often a copy thread wakes to check whether the connection has gone idle.
const POLL: Duration = Duration::from_secs(5);
/// The header the server sets on requests that arrived over TLS (lower case, as `Request` keeps
/// header names). Any copy a client sends is dropped first.
pub const MARK: &str = "x-ringbook-via-tls";

/// The name the appliance answers to on the local network (avahi), always in the self-signed
/// certificate.
pub const LOCAL_NAME: &str = "ringbook.local";

fn provider() -> Arc<CryptoProvider> {
    static P: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    P.get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

/// The certificate served now; replaced by [`install`].
fn live() -> &'static RwLock<Option<Arc<CertifiedKey>>> {
    static L: RwLock<Option<Arc<CertifiedKey>>> = RwLock::new(None);
    &L
}

/// Loopback port of each proxied connection → the real client's address.
fn peers() -> &'static Mutex<HashMap<u16, SocketAddr>> {
    static P: OnceLock<Mutex<HashMap<u16, SocketAddr>>> = OnceLock::new();
    P.get_or_init(|| Mutex::new(HashMap::new()))
}

static ACTIVE: AtomicUsize = AtomicUsize::new(0);

#[derive(Debug)]
struct Resolver;

impl ResolvesServerCert for Resolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        live().read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// What the Settings page shows about the certificate.
#[derive(Clone, Debug)]
pub struct CertInfo {
    pub self_signed: bool,
    pub since: i64,
    /// SHA-256 of the certificate, as browsers show it, so a user can compare before trusting it.
    pub fingerprint: String,
}

fn fingerprint(der: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The stored certificate's summary, if there is one.
pub fn info(reader: &Reader) -> Result<Option<CertInfo>, store::StoreError> {
    Ok(reader.tls_cert()?.map(|c| CertInfo {
        self_signed: c.self_signed,
        since: c.created_at,
        fingerprint: fingerprint(&c.cert),
    }))
}

fn frame_chain(chain: &[CertificateDer<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in chain {
        out.extend_from_slice(&(c.len() as u32).to_be_bytes());
        out.extend_from_slice(c);
    }
    out
}

fn unframe_chain(mut b: &[u8]) -> Vec<CertificateDer<'static>> {
    let mut out = Vec::new();
    while b.len() >= 4 {
        let n = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
        let Some(der) = b.get(4..4 + n) else { break };
        out.push(CertificateDer::from(der.to_vec()));
        b = &b[4 + n..];
    }
    out
}

/// Loads the key and insists it belongs to the first certificate.
fn checked_pair(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<CertifiedKey, String> {
    let signing = provider()
        .key_provider
        .load_private_key(key)
        .map_err(|e| format!("the private key can't be used: {e}"))?;
    let ck = CertifiedKey::new(chain, signing);
    match ck.keys_match() {
        Ok(()) => Ok(ck),
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => Err(
            "the private key does not belong to the certificate: upload the key that was made together with it"
                .into(),
        ),
        Err(e) => Err(format!("the certificate could not be checked against the key: {e}")),
    }
}

/// The names and addresses the self-signed certificate is made for.
fn own_names(listen: IpAddr) -> Vec<String> {
    let mut names = vec![LOCAL_NAME.to_string(), "localhost".to_string()];
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default();
    let host = host.trim().to_ascii_lowercase();
    let dns_ok = |h: &str| {
        !h.is_empty()
            && h.len() <= 63
            && h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    };
    if dns_ok(&host) && host != "localhost" {
        names.push(host.clone());
        if !host.contains('.') {
            names.push(format!("{host}.local"));
        }
    }
    let mut ips = vec![
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(Ipv6Addr::LOCALHOST),
    ];
    if !listen.is_unspecified() {
        ips.push(listen);
    }
    // The address the box reaches the network from: connecting a UDP socket sends nothing, it only
    // picks the route and with it the local address.
    for probe in ["192.0.2.1:9", "[2001:db8::1]:9"] {
        let bind = if probe.starts_with('[') {
            "[::]:0"
        } else {
            "0.0.0.0:0"
        };
        if let Ok(s) = UdpSocket::bind(bind) {
            if s.connect(probe).is_ok() {
                if let Ok(a) = s.local_addr() {
                    ips.push(a.ip());
                }
            }
        }
    }
    for ip in ips {
        let s = ip.to_string();
        if !names.contains(&s) {
            names.push(s);
        }
    }
    names.dedup();
    names
}

/// Makes a new self-signed certificate for this box.
pub fn self_signed(listen: IpAddr) -> Result<CertRow, String> {
    let names = own_names(listen);
    let mut params = rcgen::CertificateParams::new(names.clone())
        .or_else(|_| rcgen::CertificateParams::new(names[..2].to_vec()))
        .map_err(|e| format!("the certificate could not be made: {e}"))?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, LOCAL_NAME);
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "ringbook (self-signed)");
    let key = rcgen::KeyPair::generate().map_err(|e| format!("no key could be made: {e}"))?;
    let cert = params
        .self_signed(&key)
        .map_err(|e| format!("the certificate could not be signed: {e}"))?;
    Ok(CertRow {
        cert: cert.der().to_vec(),
        chain: Vec::new(),
        key: key.serialize_der(),
        self_signed: true,
        created_at: store::now(),
    })
}

/// Reads an uploaded certificate (with any intermediates after it) and private key, both PEM, and
/// checks that they belong together. Nothing is stored here.
pub fn parse_upload(cert_pem: &[u8], key_pem: &[u8]) -> Result<CertRow, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("the certificate file is not readable PEM: {e}"))?;
    if certs.is_empty() {
        return Err(
            "the certificate file holds no certificate (a PEM block starting with -----BEGIN CERTIFICATE-----)"
                .into(),
        );
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|_| {
        "the key file holds no private key (a PEM block such as -----BEGIN PRIVATE KEY-----); it must not be encrypted with a passphrase"
            .to_string()
    })?;
    // Store the key as PKCS#8 where it is; other forms (PKCS#1, SEC1) are kept as given with
    // their own tag so they load the same way again.
    let key_der = key.secret_der().to_vec();
    let stored_key = match &key {
        PrivateKeyDer::Pkcs8(_) => key_der,
        PrivateKeyDer::Pkcs1(_) => [b"P1:".as_slice(), &key_der].concat(),
        PrivateKeyDer::Sec1(_) => [b"S1:".as_slice(), &key_der].concat(),
        _ => {
            return Err("this kind of private key is not supported; use an RSA or ECDSA key".into())
        }
    };
    checked_pair(certs.clone(), key)?;
    Ok(CertRow {
        cert: certs[0].to_vec(),
        chain: frame_chain(&certs[1..]),
        key: stored_key,
        self_signed: false,
        created_at: store::now(),
    })
}

/// Reads a stored key, tagged as [`parse_upload`] stores it.
fn stored_key(b: &[u8]) -> PrivateKeyDer<'static> {
    if let Some(k) = b.strip_prefix(b"P1:") {
        PrivateKeyDer::Pkcs1(k.to_vec().into())
    } else if let Some(k) = b.strip_prefix(b"S1:") {
        PrivateKeyDer::Sec1(k.to_vec().into())
    } else {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(b.to_vec()))
    }
}

fn row_key(row: &CertRow) -> Result<CertifiedKey, String> {
    let mut chain = vec![CertificateDer::from(row.cert.clone())];
    chain.extend(unframe_chain(&row.chain));
    checked_pair(chain, stored_key(&row.key))
}

/// Stores a checked certificate and serves it from the next connection on.
pub fn replace(store: &Store, row: CertRow) -> Result<(), String> {
    let ck = row_key(&row)?;
    let r = row.clone();
    store
        .write(move |tx| store::tls::put_cert(tx, &r))
        .map_err(|e| e.to_string())?;
    install(ck);
    Ok(())
}

fn install(ck: CertifiedKey) {
    *live().write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(ck));
}

/// Serves the stored certificate again (after a restore brought another one), if HTTPS is on.
pub fn reload(reader: &Reader) {
    if live().read().map(|l| l.is_none()).unwrap_or(true) {
        return;
    }
    match reader.tls_cert() {
        Ok(Some(row)) => match row_key(&row) {
            Ok(ck) => install(ck),
            Err(e) => log::warn!("the stored HTTPS certificate can't be used: {e}"),
        },
        Ok(None) => {}
        Err(e) => log::warn!("the HTTPS certificate could not be read: {e}"),
    }
}

/// The stored certificate, made and stored first if there is none (or the stored one is unusable).
fn ensure_cert(store: &Store, listen: IpAddr) -> Result<CertifiedKey, String> {
    let reader = store.reader().map_err(|e| e.to_string())?;
    if let Some(row) = reader.tls_cert().map_err(|e| e.to_string())? {
        match row_key(&row) {
            Ok(ck) => return Ok(ck),
            Err(e) => {
                log::warn!("the stored HTTPS certificate can't be used ({e}); making a new one")
            }
        }
    }
    let row = self_signed(listen)?;
    let ck = row_key(&row)?;
    store
        .write(move |tx| store::tls::put_cert(tx, &row))
        .map_err(|e| e.to_string())?;
    log::info!(
        "made a self-signed HTTPS certificate for {}",
        own_names(listen).join(", ")
    );
    Ok(ck)
}

/// Starts HTTPS on `port` of `listen`'s address, proxying to the HTTP listener at `backend`. Returns
/// the bound address.
pub fn start(
    store: &Store,
    listen: IpAddr,
    port: u16,
    backend: SocketAddr,
    io_timeout: Duration,
) -> Result<SocketAddr, String> {
    install(ensure_cert(store, listen)?);
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(Resolver));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let config = Arc::new(config);
    let listener = TcpListener::bind(SocketAddr::new(listen, port))
        .map_err(|e| format!("HTTPS could not listen on port {port}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let backend = match backend {
        SocketAddr::V4(a) if a.ip().is_unspecified() => {
            SocketAddr::from((Ipv4Addr::LOCALHOST, a.port()))
        }
        SocketAddr::V6(a) if a.ip().is_unspecified() => {
            SocketAddr::from((Ipv6Addr::LOCALHOST, a.port()))
        }
        other => other,
    };
    crate::vital::spawn("https-accept", move || {
        for conn in listener.incoming() {
            let client = match conn {
                Ok(c) => c,
                Err(e) => {
                    // Out of descriptors, `accept` fails at once and the connection stays
                    // queued: without a pause this loop would spin on it.
                    log::debug!("an HTTPS connection could not be accepted: {e}");
                    thread::sleep(ACCEPT_RETRY);
                    continue;
                }
            };
            if ACTIVE.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
                ACTIVE.fetch_sub(1, Ordering::SeqCst);
                log::warn!("HTTPS connection refused: {MAX_CONNECTIONS} are open already");
                continue;
            }
            let config = config.clone();
            let spawned = thread::Builder::new()
                .name("https-conn".into())
                .spawn(move || {
                    if let Err(e) = proxy(client, backend, config, io_timeout) {
                        log::debug!("an HTTPS connection ended: {e}");
                    }
                    ACTIVE.fetch_sub(1, Ordering::SeqCst);
                });
            if let Err(e) = spawned {
                ACTIVE.fetch_sub(1, Ordering::SeqCst);
                log::warn!("an HTTPS connection thread could not start: {e}");
            }
        }
    })
    .map_err(|e| e.to_string())?;
    log::info!("ringbook listening on https://{local}/");
    Ok(local)
}

/// The real client of a connection the server accepted, and whether it came over TLS.
pub fn client_of(remote: SocketAddr) -> (SocketAddr, bool) {
    if !remote.ip().is_loopback() {
        return (remote, false);
    }
    match peers()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&remote.port())
    {
        Some(real) => (*real, true),
        None => (remote, false),
    }
}

/// Whether a request arrived over HTTPS (see [`MARK`]).
pub fn is_https(req: &super::Request) -> bool {
    req.header(MARK).is_some()
}

/// Adds `Secure` to the cookies of an answer sent over HTTPS, so the browser never sends them back
/// over plain HTTP.
pub fn secure_cookies(mut r: super::Response) -> super::Response {
    for (name, value) in r.headers.iter_mut() {
        if name.eq_ignore_ascii_case("set-cookie") && !value.contains("; Secure") {
            value.push_str("; Secure");
        }
    }
    r
}

/// Removes a proxied connection's registration when it ends.
struct Registered(u16);

impl Drop for Registered {
    fn drop(&mut self) {
        peers()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.0);
    }
}

/// Shared by the two copy threads of one connection.
struct Link {
    tls: Mutex<ServerConnection>,
    last: Mutex<Instant>,
    timeout: Duration,
}

impl Link {
    fn touch(&self) {
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
    }
    fn idle(&self) -> bool {
        self.last
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .elapsed()
            >= self.timeout
    }
    fn lock(&self) -> std::sync::MutexGuard<'_, ServerConnection> {
        self.tls.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

fn flush_tls(conn: &mut ServerConnection, mut out: &TcpStream) -> io::Result<()> {
    while conn.wants_write() {
        conn.write_tls(&mut out)?;
    }
    Ok(())
}

fn proxy(
    client: TcpStream,
    backend: SocketAddr,
    config: Arc<ServerConfig>,
    io_timeout: Duration,
) -> io::Result<()> {
    let real = client.peer_addr()?;
    client.set_nodelay(true)?;
    client.set_read_timeout(Some(POLL))?;
    client.set_write_timeout(Some(io_timeout))?;
    let server = TcpStream::connect_timeout(&backend, Duration::from_secs(5))?;
    server.set_nodelay(true)?;
    server.set_read_timeout(Some(POLL))?;
    server.set_write_timeout(Some(io_timeout))?;
    let port = server.local_addr()?.port();
    peers()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(port, real);
    let _registered = Registered(port);
    let conn = ServerConnection::new(config).map_err(io::Error::other)?;
    let link = Arc::new(Link {
        tls: Mutex::new(conn),
        last: Mutex::new(Instant::now()),
        timeout: io_timeout,
    });
    let back = {
        let (link, client, server) = (link.clone(), client.try_clone()?, server.try_clone()?);
        thread::Builder::new()
            .name("https-back".into())
            .spawn(move || {
                let _ = server_to_client(&link, &server, &client);
                let _ = client.shutdown(Shutdown::Both);
                let _ = server.shutdown(Shutdown::Both);
            })?
    };
    let result = client_to_server(&link, &client, &server);
    let _ = server.shutdown(Shutdown::Both);
    let _ = client.shutdown(Shutdown::Both);
    let _ = back.join();
    result
}

/// Reads TLS from the client, answers the handshake and passes the plain text on.
fn client_to_server(link: &Link, mut client: &TcpStream, mut server: &TcpStream) -> io::Result<()> {
    let mut buf = vec![0u8; 16 * 1024];
    let mut plain = Vec::with_capacity(16 * 1024);
    loop {
        let n = match client.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if is_timeout(&e) => {
                if link.idle() {
                    return Ok(());
                }
                continue;
            }
            Err(e) => return Err(e),
        };
        link.touch();
        let mut closed = false;
        {
            let mut conn = link.lock();
            let mut rd = &buf[..n];
            while !rd.is_empty() {
                conn.read_tls(&mut rd)?;
                if let Err(e) = conn.process_new_packets() {
                    // Tell the client why (an alert) before hanging up.
                    let _ = flush_tls(&mut conn, client);
                    return Err(io::Error::other(e));
                }
                let mut chunk = [0u8; 16 * 1024];
                loop {
                    match conn.reader().read(&mut chunk) {
                        Ok(0) => {
                            closed = true;
                            break;
                        }
                        Ok(m) => plain.extend_from_slice(&chunk[..m]),
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) => return Err(e),
                    }
                }
            }
            flush_tls(&mut conn, client)?;
        }
        if !plain.is_empty() {
            server.write_all(&plain)?;
            plain.clear();
        }
        if closed {
            let _ = server.shutdown(Shutdown::Write);
            return Ok(());
        }
    }
}

/// Reads the server's plain answers and sends them to the client encrypted.
fn server_to_client(link: &Link, mut server: &TcpStream, client: &TcpStream) -> io::Result<()> {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match server.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if is_timeout(&e) => {
                if link.idle() {
                    break;
                }
                continue;
            }
            Err(e) => return Err(e),
        };
        link.touch();
        let mut conn = link.lock();
        conn.writer().write_all(&buf[..n])?;
        flush_tls(&mut conn, client)?;
    }
    let mut conn = link.lock();
    conn.send_close_notify();
    flush_tls(&mut conn, client)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_signed_pairs_load_and_foreign_keys_are_refused() {
        let a = self_signed(IpAddr::V4(Ipv4Addr::LOCALHOST)).unwrap();
        let b = self_signed(IpAddr::V4(Ipv4Addr::LOCALHOST)).unwrap();
        assert!(row_key(&a).is_ok());
        let mixed = CertRow {
            key: b.key.clone(),
            ..a.clone()
        };
        let e = row_key(&mixed).expect_err("mismatched key refused");
        assert!(e.contains("does not belong"), "{e}");
    }

    #[test]
    fn chains_round_trip() {
        let certs = vec![
            CertificateDer::from(vec![1u8, 2, 3]),
            CertificateDer::from(vec![4u8; 300]),
        ];
        let back = unframe_chain(&frame_chain(&certs));
        assert_eq!(back, certs);
    }

    #[test]
    fn cookies_get_secure_once() {
        let r = super::super::Response::text(200, "")
            .with_header("Set-Cookie", "a=b; Path=/")
            .with_header("X-Other", "x");
        let r = secure_cookies(secure_cookies(r));
        assert_eq!(r.headers[0].1, "a=b; Path=/; Secure");
        assert_eq!(r.headers[1].1, "x");
    }
}
