//! Whether a password someone wants to set has appeared in a known data breach (OWASP ASVS 2.1.7,
//! NIST SP 800-63B 5.1.1.2), asked of the Pwned Passwords range API with k-anonymity.
//!
//! `password` judges on the box what a guesser tries first, but a list of breached passwords can't
//! ship inside the binary (see its module doc). So this asks the list's keeper, only when a password
//! is being set (never while one is typed, never at a login). Only the first 5 hex digits of the
//! password's SHA-1 leave the box; the answer lists every breached hash under that prefix (some
//! 800 to 1,000, plus padding entries with a count of 0, so that its size gives nothing away), and
//! the rest of the hash is compared here.
//!
//! The box must keep working with the internet down. A check that can't be made (no route, no DNS,
//! a timeout, an answer that is not a range list) lets a password through on the local check alone
//! and logs why; nothing about the password is logged. `web.breached_passwords_url` empty turns the
//! check off.

use std::io::Read;
use std::time::Duration;

use crate::password::Weak;
use crate::settings::Settings;
use crate::store::Store;
use crate::sync::net::Net;

/// How long a check may take before the password is judged by the local check alone.
const TIMEOUT: Duration = Duration::from_secs(3);

/// The largest answer read: a real one is some 30 KB with padding.
const MAX_ANSWER: u64 = 1 << 20;

/// Refuses a password that the breach service lists as seen in a breach. Any failure to ask lets
/// it through (see the module doc).
pub fn check(store: &Store, password: &str) -> Result<(), Weak> {
    let settings = match store
        .reader()
        .map_err(|e| e.to_string())
        .and_then(|r| Settings::load(&r).map_err(|e| e.to_string()))
    {
        Ok(s) => s,
        Err(e) => {
            log::warn!("the breached-password check was skipped: the settings can't be read ({e})");
            return Ok(());
        }
    };
    let base = settings.get("web.breached_passwords_url").trim();
    if base.is_empty() {
        return Ok(());
    }
    match asked_in_time(&settings, base, password) {
        Ok(0) => Ok(()),
        Ok(n) => {
            log::info!("a new password was refused: it was seen {n} times in known data breaches");
            Err(Weak::Breached)
        }
        Err(why) => {
            log::warn!(
                "the breached-password check at {base} could not be made, so a new password was judged by the local check alone: {why}"
            );
            Ok(())
        }
    }
}

/// [`times_seen`], given up on after [`TIMEOUT`]. ureq's timeouts don't cover resolving the host
/// name, and a resolver whose DNS server never answers takes 10 s or more to fail: the question
/// runs on a thread of its own, left to end by itself if it is late.
fn asked_in_time(settings: &Settings, base: &str, password: &str) -> Result<u64, String> {
    let (tx, rx) = crossbeam_channel::bounded(1);
    let (settings, base, password) = (settings.clone(), base.to_string(), password.to_string());
    std::thread::Builder::new()
        .name("breach-check".into())
        .spawn(move || {
            let _ = tx.send(times_seen(&settings, &base, &password));
        })
        .map_err(|e| format!("no thread to ask on: {e}"))?;
    rx.recv_timeout(TIMEOUT)
        .unwrap_or_else(|_| Err(format!("no answer within {} s", TIMEOUT.as_secs())))
}

/// How often the service at `base` has seen `password` in breaches.
fn times_seen(settings: &Settings, base: &str, password: &str) -> Result<u64, String> {
    let hash = sha1_hex(password);
    let (prefix, suffix) = hash.split_at(5);
    let net = Net {
        connect: TIMEOUT,
        read: TIMEOUT,
        ca_file: String::new(),
        proxy: settings.get("sync.proxy").trim().to_string(),
    };
    let answer = net
        .agent()?
        .get(&format!("{base}/range/{prefix}"))
        .set("Add-Padding", "true")
        .call()
        .map_err(|e| match e {
            ureq::Error::Status(code, _) => format!("the service answered {code}"),
            // Not the error's own text: it names the URL, whose hash prefix the log must not keep.
            ureq::Error::Transport(t) => match t.message() {
                Some(m) => format!("{}: {m}", t.kind()),
                None => t.kind().to_string(),
            },
        })?;
    let mut body = String::new();
    answer
        .into_reader()
        .take(MAX_ANSWER)
        .read_to_string(&mut body)
        .map_err(|e| format!("the answer could not be read: {e}"))?;
    count_in(&body, suffix)
}

/// The count a range answer gives for `suffix`: lines of `SUFFIX:COUNT`, with the 35 hex digits of
/// the hash after its prefix; a suffix not listed, or listed as padding, counts 0. An answer with no
/// such line at all is not one (a captive portal's page, say).
fn count_in(body: &str, suffix: &str) -> Result<u64, String> {
    let mut entries = 0;
    for line in body.lines() {
        let Some((hex, count)) = line.trim().split_once(':') else {
            continue;
        };
        let Ok(count) = count.trim().parse::<u64>() else {
            continue;
        };
        if hex.len() != 35 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        entries += 1;
        if hex.eq_ignore_ascii_case(suffix) {
            return Ok(count);
        }
    }
    if entries == 0 {
        return Err("the answer was not a Pwned Passwords range list".into());
    }
    Ok(0)
}

/// The SHA-1 of the password's UTF-8 bytes in upper-case hex, as the service indexes it.
fn sha1_hex(password: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, password.as_bytes());
    crate::hex::upper(digest.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_the_services_upper_case_sha1() {
        // The service's own example: "password" is 5BAA6 + 1E4C9B93F3F0682250B6CF8331B7EE68FD8.
        assert_eq!(
            sha1_hex("password"),
            "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"
        );
        // UTF-8 bytes, not code points.
        assert_eq!(sha1_hex("Grüße"), sha1_hex("Gr\u{fc}\u{df}e"));
        assert_ne!(sha1_hex("Grüße"), sha1_hex("Grusse"));
    }

    #[test]
    fn a_range_answer_gives_the_count_of_the_suffix_and_padding_counts_nothing() {
        let body = "0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n\
                    1E4C9B93F3F0682250B6CF8331B7EE68FD8:10434004\r\n\
                    011053FD0102E94D6AE2F8B83D76FAF94F6:0\r\n";
        let own = "1E4C9B93F3F0682250B6CF8331B7EE68FD8";
        assert_eq!(count_in(body, own), Ok(10434004));
        assert_eq!(count_in(body, &own.to_lowercase()), Ok(10434004));
        assert_eq!(count_in(body, "011053FD0102E94D6AE2F8B83D76FAF94F6"), Ok(0));
        assert_eq!(count_in(body, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"), Ok(0));
        assert!(count_in("<html>Please log in to the hotel Wi-Fi</html>", own).is_err());
        assert!(count_in("", own).is_err());
    }
}
