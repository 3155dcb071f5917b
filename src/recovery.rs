//! Recovery codes: how someone whose phone is lost, broken or wiped still logs in when their account
//! has a second factor. Turning the factor on gives the user [`COUNT`] codes to print or keep in a
//! password manager; each one stands in for the app's code once, on the login's code step.
//!
//! A code is 80 random bits, written as 16 characters of RFC 4648 base32 in groups of four
//! (`ABCD-EFGH-JKLM-NPQ2`). Only a salted SHA-256 of each is stored, so a copy of the database
//! doesn't reveal them. A plain hash is enough here, unlike for passwords: nobody chose these, and
//! 80 random bits can't be guessed from a hash the way a word can; argon2 would make each try at the
//! code step cost ten hashes of it. Reading is forgiving: case, spaces and dashes don't matter, and
//! `0`, `1` and `8`, which base32 doesn't use, are read as the `O`, `I` and `B` they were mistaken for.

use sha2::{Digest, Sha256};

/// How many codes a user gets at a time.
pub const COUNT: usize = 10;

/// Random bytes per code: 80 bits, 16 base32 characters.
const CODE_BYTES: usize = 10;

/// Characters of a code, without the dashes.
const CODE_CHARS: usize = CODE_BYTES * 8 / 5;

/// A code as the store keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

/// Makes [`COUNT`] new codes: what to show the user once, and what to store.
pub fn new_codes() -> (Vec<String>, Vec<Stored>) {
    (0..COUNT)
        .map(|_| {
            let mut raw = [0u8; CODE_BYTES];
            getrandom::getrandom(&mut raw).expect("the OS random number generator failed");
            let code = crate::totp::base32(&raw);
            let mut salt = vec![0u8; 16];
            getrandom::getrandom(&mut salt).expect("the OS random number generator failed");
            let hash = salted_hash(&salt, &code);
            (shown(&code), Stored { salt, hash })
        })
        .unzip()
}

/// A code in groups of four joined by dashes, as it is shown and printed.
fn shown(code: &str) -> String {
    code.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// What the user typed as a code, in the form that is hashed; `None` if it can't be one.
pub fn read(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\u{a0}' | '\t'))
        .map(|c| match c.to_ascii_uppercase() {
            '0' => 'O',
            '1' => 'I',
            '8' => 'B',
            c => c,
        })
        .collect();
    let valid = code.len() == CODE_CHARS
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b));
    valid.then_some(code)
}

fn salted_hash(salt: &[u8], code: &str) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(code.as_bytes());
    h.finalize().to_vec()
}

/// Whether `code` (as [`read`] returns it) is the one `stored` was made from.
pub fn matches(stored: &Stored, code: &str) -> bool {
    crate::auth::same_secret(&salted_hash(&stored.salt, code), &stored.hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_grouped_and_read_back() {
        let (shown, stored) = new_codes();
        assert_eq!(shown.len(), COUNT);
        assert_eq!(stored.len(), COUNT);
        for (code, s) in shown.iter().zip(&stored) {
            assert_eq!(code.len(), 19, "{code}");
            assert_eq!(code.matches('-').count(), 3, "{code}");
            let read = read(code).unwrap();
            assert!(matches(s, &read), "{code}");
            // Each code fits its own hash only.
            assert_eq!(stored.iter().filter(|o| matches(o, &read)).count(), 1);
        }
        let mut unique = shown.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), COUNT);
        // Two salts, so two users with the same code wouldn't share a hash.
        assert_ne!(stored[0].salt, stored[1].salt);
    }

    #[test]
    fn reading_forgives_case_spacing_and_lookalike_digits() {
        assert_eq!(
            read("abcd efgh ijkl mnop").as_deref(),
            Some("ABCDEFGHIJKLMNOP")
        );
        assert_eq!(
            read(" ABCD-EFGH-IJKL-MN23 ").as_deref(),
            Some("ABCDEFGHIJKLMN23")
        );
        assert_eq!(
            read("0BCD-1FGH-8JKL-MN23").as_deref(),
            Some("OBCDIFGHBJKLMN23")
        );
        for bad in [
            "",
            "123456",
            "ABCD-EFGH-IJKL-MNO",
            "ABCD-EFGH-IJKL-MNOPQ",
            "ABCD-EFGH-IJKL-MN9P",
            "ÄBCD-EFGH-IJKL-MNOP",
        ] {
            assert_eq!(read(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_wrong_code_does_not_match() {
        let (shown, stored) = new_codes();
        let mut other = read(&shown[0]).unwrap();
        let last = other.pop().unwrap();
        other.push(if last == 'A' { 'B' } else { 'A' });
        assert!(!matches(&stored[0], &other));
    }
}
