//! Time-based one-time passwords (RFC 6238) for the web UI's second factor: the six-digit codes of
//! every authenticator app (Google Authenticator, Aegis, FreeOTP, 1Password, Microsoft Authenticator).
//!
//! The parameters are the ones every app assumes when a QR code doesn't say otherwise, and the ones
//! our QR code states: HMAC-SHA1, 30-second steps, 6 digits, a 160-bit secret (RFC 4226 §4 asks for
//! at least 128 bits and recommends 160). SHA-1's collision weakness does not touch HMAC-SHA1.
//!
//! A code is accepted for the step before and after the current one as well, so a phone's clock may
//! be 30 seconds off and a code typed as it changes still works. The step a code was accepted for is
//! stored per user and a code for that step or an earlier one is refused, so an overheard code can't
//! be used a second time (ASVS 2.8.4).

use ring::hmac;

/// Seconds a code lasts.
pub const STEP: i64 = 30;
/// Bytes of a secret: 160 bits, 32 characters of base32.
pub const SECRET_BYTES: usize = 20;
/// Steps either side of the current one that are still accepted.
const WINDOW: i64 = 1;

/// A new random secret.
pub fn new_secret() -> Vec<u8> {
    let mut s = vec![0u8; SECRET_BYTES];
    getrandom::getrandom(&mut s).expect("the OS random number generator failed");
    s
}

/// The time step of a Unix time.
pub fn step_of(unix: i64) -> i64 {
    unix.div_euclid(STEP)
}

/// The six-digit code of a step (RFC 4226's HOTP with the step as counter, RFC 6238 §4).
pub fn code_for_step(secret: &[u8], step: i64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let mac = hmac::sign(&key, &(step as u64).to_be_bytes());
    let h = mac.as_ref();
    // Dynamic truncation (RFC 4226 §5.3): four bytes at the offset the last nibble names.
    let at = (h[h.len() - 1] & 0x0f) as usize;
    let n = u32::from_be_bytes([h[at] & 0x7f, h[at + 1], h[at + 2], h[at + 3]]);
    format!("{:06}", n % 1_000_000)
}

/// The code an app shows at a Unix time.
pub fn code_at(secret: &[u8], unix: i64) -> String {
    code_for_step(secret, step_of(unix))
}

/// The step a typed code belongs to, if it is the code of a step within the window around `unix`
/// and later than `used` (the last step a code was accepted for). Spaces and dashes that people
/// copy along with a code are ignored. Every step in the window is computed and compared in full,
/// so the time taken says nothing about which digits were right.
pub fn verify(secret: &[u8], typed: &str, unix: i64, used: i64) -> Option<i64> {
    let typed: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if typed.len() != 6 || !typed.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_of(unix);
    let mut found = None;
    for step in now - WINDOW..=now + WINDOW {
        let same =
            crate::auth::same_secret(code_for_step(secret, step).as_bytes(), typed.as_bytes());
        if same && step > used && found.is_none() {
            found = Some(step);
        }
    }
    found
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding: how authenticator apps take a secret, typed or in a QR code.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32[((acc >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(BASE32[((acc << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Reads base32 (any case, spaces and padding ignored); `None` for any other character.
pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|c| *c != b' ' && *c != b'=') {
        let v = BASE32.iter().position(|x| *x == c.to_ascii_uppercase())? as u32;
        acc = (acc << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// The `otpauth://` URI an app reads from the QR code (the Key URI format of Google Authenticator,
/// which every app follows): the label "issuer:account" and the parameters spelled out.
pub fn uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let enc = crate::provision::url_encode;
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period={STEP}",
        enc(issuer),
        enc(account),
        base32(secret),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 rows (the eight-digit codes' last six digits), with its key.
    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        let key = b"12345678901234567890";
        for (t, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            assert_eq!(code_at(key, t), code, "T = {t}");
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_only_once() {
        let key = b"12345678901234567890";
        let t = 1_111_111_111;
        let now = step_of(t);
        assert_eq!(verify(key, &code_at(key, t), t, 0), Some(now));
        assert_eq!(verify(key, &code_at(key, t - 30), t, 0), Some(now - 1));
        assert_eq!(verify(key, &code_at(key, t + 30), t, 0), Some(now + 1));
        assert_eq!(verify(key, &code_at(key, t - 60), t, 0), None);
        assert_eq!(verify(key, &code_at(key, t + 60), t, 0), None);
        // Used once: the same step is refused, and so is an earlier one.
        assert_eq!(verify(key, &code_at(key, t), t, now), None);
        assert_eq!(verify(key, &code_at(key, t - 30), t, now), None);
        assert_eq!(verify(key, &code_at(key, t + 30), t, now), Some(now + 1));
        // Typed with a space or dash; nonsense.
        let c = code_at(key, t);
        assert_eq!(
            verify(key, &format!("{} {}", &c[..3], &c[3..]), t, 0),
            Some(now)
        );
        for bad in ["", "12345", "1234567", "abcdef", "０５０４７１"] {
            assert_eq!(verify(key, bad, t, 0), None, "{bad}");
        }
    }

    #[test]
    fn base32_follows_rfc_4648_and_reads_back() {
        // RFC 4648 §10, without the padding.
        for (plain, enc) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32(plain.as_bytes()), enc);
            assert_eq!(from_base32(enc).unwrap(), plain.as_bytes());
        }
        assert_eq!(
            from_base32("mzxw 6ytb oi======").unwrap(),
            b"foobar".to_vec()
        );
        assert_eq!(from_base32("MZ1W"), None);
        let s = new_secret();
        assert_eq!(base32(&s).len(), 32);
        assert_eq!(from_base32(&base32(&s)).unwrap(), s);
        assert_ne!(new_secret(), s);
    }

    #[test]
    fn the_uri_names_the_parameters_apps_need() {
        let u = uri("ringbook Office", "anna b", b"12345678901234567890");
        assert_eq!(
            u,
            "otpauth://totp/ringbook%20Office:anna%20b?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ringbook%20Office&algorithm=SHA1&digits=6&period=30"
        );
    }
}
