//! Hex text for bytes: digests, signatures, token hashes and cursors. One encoder, so that each of
//! them doesn't format every byte through `format!` into a string of its own.

const LOWER: &[u8; 16] = b"0123456789abcdef";
const UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Lower-case hex, two digits a byte: what ringbook stores and sends unless a protocol says otherwise.
pub fn lower(bytes: &[u8]) -> String {
    encode(bytes, LOWER)
}

/// Upper-case hex, for services that index by it (Pwned Passwords).
pub fn upper(bytes: &[u8]) -> String {
    encode(bytes, UPPER)
}

fn encode(bytes: &[u8], digits: &[u8; 16]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(digits[usize::from(b >> 4)]));
        s.push(char::from(digits[usize::from(b & 0x0f)]));
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_byte_is_two_digits_high_nibble_first() {
        assert_eq!(super::lower(&[]), "");
        assert_eq!(super::lower(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(super::upper(&[0x00, 0x0f, 0xa5, 0xff]), "000FA5FF");
        let all: Vec<u8> = (0..=255).collect();
        let expected: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(super::lower(&all), expected);
    }
}
