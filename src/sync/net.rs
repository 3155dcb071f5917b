//! How ringbook reaches a CRM over the network: connect and read timeouts, an optional custom CA file for
//! a self-hosted CRM whose certificate no public CA signed, and an optional HTTP proxy.
//!
//! TLS is rustls with ring. The trusted roots are the webpki (Mozilla) roots, plus, when a connector has
//! `sync.<connector>.ca_file`, every certificate in that PEM file: the custom CA is added, never a
//! replacement, so a CRM that moves to a public certificate keeps working. Certificates are always
//! verified; there is deliberately no "accept any certificate" switch.

use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use crate::settings::{parse_duration, Settings};

/// The network settings of one connector, compared to know when its HTTP agent must be rebuilt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Net {
    pub connect: Duration,
    pub read: Duration,
    /// A PEM file of extra CA certificates, or empty.
    pub ca_file: String,
    /// `http://[user:password@]host:port` of a proxy, or empty for a direct connection.
    pub proxy: String,
}

impl Net {
    /// The network settings of `connector` (`propstack`, `crmsenior`, `webhook` or `contacts`).
    pub fn of(settings: &Settings, connector: &str) -> Net {
        let secs = |k: &str, d: u64| parse_duration(settings.get(k)).unwrap_or(d).max(1);
        Net {
            connect: Duration::from_secs(secs("sync.connect_timeout", 5)),
            read: Duration::from_secs(secs("sync.timeout", 10)),
            ca_file: settings
                .get(&format!("sync.{connector}.ca_file"))
                .trim()
                .to_string(),
            proxy: settings.get("sync.proxy").trim().to_string(),
        }
    }

    /// An HTTP agent with these settings. Fails when the CA file or the proxy can't be used; the message
    /// says which and why, and is kept on the outbox row so the admin sees it.
    pub fn agent(&self) -> Result<ureq::Agent, String> {
        let mut b = ureq::AgentBuilder::new()
            .timeout_connect(self.connect.min(self.read))
            .timeout(self.read)
            .user_agent(concat!("ringbook/", env!("CARGO_PKG_VERSION")));
        if !self.ca_file.is_empty() {
            b = b.tls_config(Arc::new(tls_config(&self.ca_file)?));
        }
        if !self.proxy.is_empty() {
            // The URL may hold a password: never repeated in a message.
            let p = ureq::Proxy::new(&self.proxy)
                .map_err(|e| format!("the proxy in sync.proxy can't be used: {e}"))?;
            b = b.proxy(p);
        }
        Ok(b.build())
    }
}

/// The certificates of a PEM file; an error names the file and what is wrong with it.
fn read_pem(path: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let iter = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("the CA file '{path}' can't be read: {e}"))?;
    let certs: Vec<CertificateDer<'static>> = iter
        .collect::<Result<_, _>>()
        .map_err(|e| format!("the CA file '{path}' is not valid PEM: {e}"))?;
    if certs.is_empty() {
        return Err(format!(
            "the CA file '{path}' holds no certificate (expected -----BEGIN CERTIFICATE-----)"
        ));
    }
    Ok(certs)
}

/// rustls' client configuration: the webpki roots plus the certificates of `ca_file`.
fn tls_config(ca_file: &str) -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for cert in read_pem(ca_file)? {
        roots
            .add(cert)
            .map_err(|e| format!("a certificate in the CA file '{ca_file}' can't be used: {e}"))?;
    }
    // The same provider and versions as ureq's own default configuration.
    rustls::ClientConfig::builder_with_provider(rustls::crypto::ring::default_provider().into())
        .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])
        .map(|b| b.with_root_certificates(roots).with_no_client_auth())
        .map_err(|e| format!("TLS can't be set up: {e}"))
}

/// Validates `sync.<connector>.ca_file`: empty, or an absolute path to a PEM file with at least one
/// certificate (checked now, so a typo is caught when it is set, not at the first call).
pub fn valid_ca_file(v: &str) -> Result<String, String> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(String::new());
    }
    if !std::path::Path::new(v).is_absolute() {
        return Err(format!(
            "'{v}' must be an absolute path to a PEM file, e.g. /etc/ringbook/crm-ca.pem"
        ));
    }
    read_pem(v)?;
    Ok(v.to_string())
}

/// Validates `sync.proxy`: empty, or an `http://host:port` URL ureq can use. Messages don't repeat the
/// value, which may hold a password.
pub fn valid_proxy(v: &str) -> Result<String, String> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(String::new());
    }
    if !v.starts_with("http://") {
        return Err(
            "the proxy must be an HTTP proxy URL such as http://proxy.office.lan:3128 (or empty for none)"
                .into(),
        );
    }
    ureq::Proxy::new(v).map_err(|e| format!("the proxy URL can't be used: {e}"))?;
    Ok(v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_and_ca_file_are_checked() {
        assert_eq!(valid_proxy(""), Ok(String::new()));
        assert!(valid_proxy("http://proxy.lan:3128").is_ok());
        assert!(valid_proxy("proxy.lan").is_err());
        assert_eq!(valid_ca_file(" "), Ok(String::new()));
        assert!(valid_ca_file("ca.pem").unwrap_err().contains("absolute"));
        let e = valid_ca_file("/nonexistent/ringbook-ca.pem").unwrap_err();
        assert!(e.contains("can't be read"), "{e}");
        let dir = std::env::temp_dir().join(format!("ringbook-net-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("empty.pem");
        std::fs::write(&f, "not a certificate\n").unwrap();
        let e = valid_ca_file(f.to_str().unwrap()).unwrap_err();
        assert!(e.contains("no certificate"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
