//! SQL for the web UI's HTTPS certificate: one row with the certificate, its chain and its private key
//! (all DER), self-signed on first start or uploaded by an admin. See `http::tls`.

use rusqlite::{params, OptionalExtension};

use super::{Reader, Result, Tx};

/// The stored certificate. `chain` holds the intermediate certificates, each as a 4-byte big-endian
/// length and its DER, in the order they are sent.
#[derive(Clone, Debug)]
pub struct CertRow {
    pub cert: Vec<u8>,
    pub chain: Vec<u8>,
    pub key: Vec<u8>,
    pub self_signed: bool,
    pub created_at: i64,
}

/// Replaces the certificate (there is only ever one).
pub fn put_cert(tx: &Tx, c: &CertRow) -> Result<()> {
    tx.execute(
        "INSERT INTO tls_cert(id, cert_der, chain_der, key_der, self_signed, created_at)
         VALUES (1, ?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(id) DO UPDATE SET cert_der = excluded.cert_der, chain_der = excluded.chain_der,
             key_der = excluded.key_der, self_signed = excluded.self_signed,
             created_at = excluded.created_at",
        params![c.cert, c.chain, c.key, c.self_signed, c.created_at],
    )?;
    Ok(())
}

impl Reader {
    /// The certificate HTTPS serves, if one was made or uploaded yet.
    pub fn tls_cert(&self) -> Result<Option<CertRow>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT cert_der, chain_der, key_der, self_signed, created_at FROM tls_cert WHERE id = 1",
                [],
                |r| {
                    Ok(CertRow {
                        cert: r.get(0)?,
                        chain: r.get(1)?,
                        key: r.get(2)?,
                        self_signed: r.get(3)?,
                        created_at: r.get(4)?,
                    })
                },
            )
            .optional()?)
    }
}
