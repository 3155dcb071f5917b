//! Encrypted backups: the database copy the Settings page downloads, sealed with a passphrase.
//!
//! A backup holds every secret ringbook keeps in order to talk to others, because it must be able to
//! send them: the CRM's token, the AMI secret, the HTTPS private key, desk phones' web passwords and
//! the authenticator keys of the second factor. Unlike the database, a backup leaves the box, on a
//! laptop or a USB stick. So the download is encrypted with a passphrase the admin types for it, and
//! a restore asks for it again. A plain database file (an older backup, or the file copied off the
//! box) still restores.
//!
//! The format, all integers big-endian:
//!
//! ```text
//! "RBBACKUP" | version (1 byte, 1) | argon2id memory KiB (u32) | passes (u32) | lanes (u32) |
//! salt (16 bytes) | chunk size (u32) | chunk 0 | chunk 1 | ... | last chunk
//! ```
//!
//! The key is argon2id of the passphrase and the salt, with the costs the header names. Each chunk is
//! `chunk size` bytes of the database (the last one shorter, possibly empty) sealed with
//! ChaCha20-Poly1305 and followed by its 16-byte tag. The nonce is the chunk's index with a flag for
//! the last chunk, and the header is the associated data of every chunk, so the file can't be
//! reordered, cut short at a chunk boundary or given other costs without the check failing (the
//! STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár). Chunks let a backup of hundreds
//! of MB be sealed and opened as it streams, in 64 KiB of memory.

use std::fmt;
use std::io::{self, Read, Write};

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305};

/// The first bytes of an encrypted backup.
pub const MAGIC: &[u8; 8] = b"RBBACKUP";
const VERSION: u8 = 1;
const SALT_LEN: usize = 16;
const HEADER_LEN: usize = MAGIC.len() + 1 + 4 + 4 + 4 + SALT_LEN + 4;
/// Plain bytes per chunk.
const CHUNK: usize = 64 * 1024;
const TAG: usize = 16;

/// The cost of deriving the key: argon2id with 64 MiB and 3 passes, once per download or restore
/// (0.26–0.46 s measured on two x86 cores; more on a Pi). A backup can be attacked offline for as
/// long as anyone likes, so this is costlier than a login's hash, which has the rate limit on its
/// side too.
const COST: Cost = Cost {
    memory_kib: 64 * 1024,
    passes: 3,
    lanes: 1,
};

/// The most a backup's header may ask for: a file from elsewhere must not make a restore allocate
/// gigabytes or run for minutes before its passphrase is even checked.
const MAX_MEMORY_KIB: u32 = 256 * 1024;
const MAX_PASSES: u32 = 16;
const MAX_LANES: u32 = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cost {
    memory_kib: u32,
    passes: u32,
    lanes: u32,
}

/// Why a backup can't be made or opened.
#[derive(Debug)]
pub enum BackupError {
    Io(io::Error),
    /// Made by a newer ringbook, in a format this one doesn't know.
    Version(u8),
    /// The header asks for a key derivation this box won't run, or a chunk size it doesn't use.
    Parameters,
    /// The first chunk didn't open: the passphrase is wrong (or the file's start was changed).
    WrongPassphrase,
    /// A later chunk didn't open: the file was changed after it was made, or cut short inside a
    /// chunk (which looks the same).
    Damaged {
        at: u64,
    },
    /// The file ends before its last chunk: an incomplete download.
    Truncated,
    /// The operating system's random source or the key derivation failed.
    Crypto(String),
}

impl fmt::Display for BackupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackupError::Io(e) => write!(f, "the backup could not be read or written: {e}"),
            BackupError::Version(v) => write!(
                f,
                "the backup is in format {v}, which this version of ringbook doesn't know; update ringbook first"
            ),
            BackupError::Parameters => write!(
                f,
                "the backup's header asks for settings ringbook never uses; it is not a ringbook backup, or it was changed"
            ),
            BackupError::WrongPassphrase => write!(
                f,
                "the passphrase is wrong, or the file is not the backup it was made for"
            ),
            BackupError::Damaged { at } => write!(
                f,
                "the backup was changed, damaged or cut short after it was made (near byte {at}); use another copy or download a new one"
            ),
            BackupError::Truncated => write!(
                f,
                "the backup ends early: it was not downloaded or copied completely"
            ),
            BackupError::Crypto(e) => write!(f, "the backup's key could not be made: {e}"),
        }
    }
}

impl std::error::Error for BackupError {}

impl From<io::Error> for BackupError {
    fn from(e: io::Error) -> Self {
        BackupError::Io(e)
    }
}

/// Whether a file that starts with `head` is an encrypted backup.
pub fn is_sealed(head: &[u8]) -> bool {
    head.starts_with(MAGIC)
}

/// The size of the sealed form of `plain_len` bytes: header, data, and one tag per chunk (there is
/// always a last chunk, empty when the data fills the chunks before it exactly).
pub fn sealed_len(plain_len: u64) -> u64 {
    HEADER_LEN as u64 + plain_len + TAG as u64 * (plain_len / CHUNK as u64 + 1)
}

/// Reads `len` bytes from `inner` and yields them sealed with `passphrase` (see the module doc), as
/// they are read. `len` must be exactly what `inner` holds: it decides which chunk is the last.
pub fn seal<R: Read>(inner: R, len: u64, passphrase: &str) -> Result<Sealer<R>, BackupError> {
    seal_with(inner, len, passphrase, COST)
}

fn seal_with<R: Read>(
    inner: R,
    len: u64,
    passphrase: &str,
    cost: Cost,
) -> Result<Sealer<R>, BackupError> {
    let mut salt = [0u8; SALT_LEN];
    getrandom::getrandom(&mut salt).map_err(|e| BackupError::Crypto(e.to_string()))?;
    let header = header(cost, &salt);
    let key = derive(passphrase, &salt, cost)?;
    Ok(Sealer {
        inner,
        key,
        remaining: len,
        index: 0,
        out: header.to_vec(),
        header,
        pos: 0,
        done: false,
    })
}

fn header(cost: Cost, salt: &[u8; SALT_LEN]) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    let mut at = 0;
    let mut put = |bytes: &[u8]| {
        h[at..at + bytes.len()].copy_from_slice(bytes);
        at += bytes.len();
    };
    put(MAGIC);
    put(&[VERSION]);
    put(&cost.memory_kib.to_be_bytes());
    put(&cost.passes.to_be_bytes());
    put(&cost.lanes.to_be_bytes());
    put(salt);
    put(&(CHUNK as u32).to_be_bytes());
    h
}

fn derive(passphrase: &str, salt: &[u8], cost: Cost) -> Result<LessSafeKey, BackupError> {
    let params = argon2::Params::new(cost.memory_kib, cost.passes, cost.lanes, Some(32))
        .map_err(|_| BackupError::Parameters)?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = [0u8; 32];
    argon
        .hash_password_into(passphrase.as_bytes(), salt, &mut key)
        .map_err(|e| BackupError::Crypto(e.to_string()))?;
    let key = UnboundKey::new(&CHACHA20_POLY1305, &key)
        .map_err(|_| BackupError::Crypto("the cipher refused the key".into()))?;
    Ok(LessSafeKey::new(key))
}

/// The nonce of chunk `index`: the index, and whether it is the last chunk.
fn nonce(index: u64, last: bool) -> Nonce {
    let mut n = [0u8; 12];
    n[0] = u8::from(last);
    n[4..].copy_from_slice(&index.to_be_bytes());
    Nonce::assume_unique_for_key(n)
}

/// See [`seal`].
pub struct Sealer<R> {
    inner: R,
    key: LessSafeKey,
    header: [u8; HEADER_LEN],
    /// Plain bytes not read from `inner` yet.
    remaining: u64,
    index: u64,
    /// Sealed bytes ready to hand out (the header first), from `pos`.
    out: Vec<u8>,
    pos: usize,
    done: bool,
}

impl<R: Read> Sealer<R> {
    /// Seals the next chunk into `out`.
    fn next_chunk(&mut self) -> io::Result<()> {
        let take = self.remaining.min(CHUNK as u64) as usize;
        let last = self.remaining < CHUNK as u64;
        self.out.clear();
        self.out.resize(take, 0);
        self.inner.read_exact(&mut self.out).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("the database copy ended before its length: {e}"),
            )
        })?;
        self.remaining -= take as u64;
        self.key
            .seal_in_place_append_tag(
                nonce(self.index, last),
                Aad::from(&self.header[..]),
                &mut self.out,
            )
            .map_err(|_| io::Error::other("a chunk of the backup could not be sealed"))?;
        self.index += 1;
        self.pos = 0;
        self.done = last;
        Ok(())
    }
}

impl<R: Read> Read for Sealer<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.out.len() {
            if self.done {
                return Ok(0);
            }
            self.next_chunk()?;
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Opens a sealed backup from `input` with `passphrase` and writes the database to `out`, checking
/// every chunk before it is written. Returns the database's size.
pub fn open<R: Read, W: Write>(
    input: R,
    passphrase: &str,
    out: &mut W,
) -> Result<u64, BackupError> {
    open_within(input, passphrase, out, MAX_MEMORY_KIB, MAX_PASSES)
}

/// The fuzz harness's way in (`fuzz/src/lib.rs`, target `backup_open`): a fuzzer picks the header's
/// key costs, and at a real backup's 64 MiB every input would spend its time deriving a key, so it
/// opens with far lower ceilings and seals with [`fuzzing::FUZZ_MEMORY_KIB`] and
/// [`fuzzing::FUZZ_PASSES`]. Nothing else calls these.
#[doc(hidden)]
pub mod fuzzing {
    use super::*;

    /// Key costs low enough for a fuzzer's thousands of inputs a second.
    pub const FUZZ_MEMORY_KIB: u32 = 64;
    pub const FUZZ_PASSES: u32 = 1;

    pub fn seal_cheap(plain: &[u8], passphrase: &str) -> Vec<u8> {
        let cost = Cost {
            memory_kib: FUZZ_MEMORY_KIB,
            passes: FUZZ_PASSES,
            lanes: 1,
        };
        let mut out = Vec::new();
        seal_with(plain, plain.len() as u64, passphrase, cost)
            .and_then(|mut s| s.read_to_end(&mut out).map_err(BackupError::Io))
            .expect("sealing bytes in memory");
        out
    }

    pub fn open_cheap(file: &[u8], passphrase: &str) -> Result<Vec<u8>, BackupError> {
        let mut out = Vec::new();
        open_within(file, passphrase, &mut out, FUZZ_MEMORY_KIB, FUZZ_PASSES).map(|_| out)
    }
}

fn open_within<R: Read, W: Write>(
    mut input: R,
    passphrase: &str,
    out: &mut W,
    max_memory_kib: u32,
    max_passes: u32,
) -> Result<u64, BackupError> {
    let mut header = [0u8; HEADER_LEN];
    if read_full(&mut input, &mut header)? < HEADER_LEN || !is_sealed(&header) {
        return Err(BackupError::Truncated);
    }
    if header[8] != VERSION {
        return Err(BackupError::Version(header[8]));
    }
    let word = |at: usize| u32::from_be_bytes(header[at..at + 4].try_into().expect("4 bytes"));
    let cost = Cost {
        memory_kib: word(9),
        passes: word(13),
        lanes: word(17),
    };
    let salt = &header[21..21 + SALT_LEN];
    if word(21 + SALT_LEN) as usize != CHUNK
        || cost.memory_kib > max_memory_kib
        || cost.passes > max_passes
        || cost.lanes > MAX_LANES
    {
        return Err(BackupError::Parameters);
    }
    let key = derive(passphrase, salt, cost)?;
    // A full-size chunk is the last one only if nothing follows it, so one chunk is read ahead.
    let mut this = vec![0u8; CHUNK + TAG];
    let mut next = vec![0u8; CHUNK + TAG];
    let mut this_len = read_full(&mut input, &mut this)?;
    let mut index = 0u64;
    let mut written = 0u64;
    loop {
        if this_len < TAG {
            return Err(BackupError::Truncated);
        }
        let next_len = if this_len == this.len() {
            read_full(&mut input, &mut next)?
        } else {
            0
        };
        let last = next_len == 0;
        // A full chunk with nothing after it is either the true last chunk or a file cut at a
        // chunk boundary; a failed open leaves the buffer unspecified, so keep a copy to tell.
        let full_copy = (last && this_len == this.len()).then(|| this.clone());
        let aad = || Aad::from(&header[..]);
        let Ok(plain) = key.open_in_place(nonce(index, last), aad(), &mut this[..this_len]) else {
            let cut = full_copy.is_some_and(|mut c| {
                key.open_in_place(nonce(index, false), aad(), &mut c)
                    .is_ok()
            });
            return Err(if cut {
                BackupError::Truncated
            } else if index == 0 {
                BackupError::WrongPassphrase
            } else {
                BackupError::Damaged {
                    at: HEADER_LEN as u64 + index * (CHUNK + TAG) as u64,
                }
            });
        };
        out.write_all(plain)?;
        written += plain.len() as u64;
        if last {
            return Ok(written);
        }
        std::mem::swap(&mut this, &mut next);
        this_len = next_len;
        index += 1;
    }
}

/// Reads until `buf` is full or the input ends; returns how much was read.
fn read_full<R: Read>(input: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match input.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    /// Sealed at the fuzz harness's low costs, so the tests don't spend seconds on key derivation;
    /// the header carries the costs, and `open` takes them.
    fn sealed(plain: &[u8], passphrase: &str) -> Vec<u8> {
        fuzzing::seal_cheap(plain, passphrase)
    }

    fn opened(file: &[u8], passphrase: &str) -> Result<Vec<u8>, BackupError> {
        let mut out = Vec::new();
        open(file, passphrase, &mut out).map(|_| out)
    }

    #[test]
    fn round_trips_every_length_around_a_chunk() {
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 17] {
            let plain = data(len);
            let file = sealed(&plain, "blue tram at nine");
            assert_eq!(file.len() as u64, sealed_len(len as u64), "{len}");
            assert!(is_sealed(&file));
            assert_eq!(opened(&file, "blue tram at nine").unwrap(), plain, "{len}");
        }
    }

    #[test]
    fn the_data_does_not_appear_in_the_file_and_two_seals_differ() {
        let plain = b"SQLite format 3\0 sync.token=marker-secret-123".repeat(100);
        let a = sealed(&plain, "blue tram at nine");
        let b = sealed(&plain, "blue tram at nine");
        let has = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
        assert!(!has(&a, b"marker-secret"));
        assert!(!has(&a, b"SQLite format"));
        assert_ne!(a, b, "a fresh salt each time");
    }

    #[test]
    fn a_wrong_passphrase_is_told_apart_from_damage_and_truncation() {
        let plain = data(3 * CHUNK + 5);
        let file = sealed(&plain, "blue tram at nine");
        assert!(matches!(
            opened(&file, "blue tram at ten"),
            Err(BackupError::WrongPassphrase)
        ));
        // A byte changed in the third chunk.
        let mut damaged = file.clone();
        damaged[HEADER_LEN + 2 * (CHUNK + TAG) + 100] ^= 1;
        assert!(matches!(
            opened(&damaged, "blue tram at nine"),
            Err(BackupError::Damaged { .. })
        ));
        // Cut inside the last chunk: that looks like damage.
        assert!(matches!(
            opened(&file[..file.len() - 3], "blue tram at nine"),
            Err(BackupError::Damaged { .. })
        ));
        // Cut at a chunk boundary, right after the header, and inside the header.
        for cut in [
            HEADER_LEN + 3 * (CHUNK + TAG),
            HEADER_LEN + (CHUNK + TAG),
            HEADER_LEN,
            10,
        ] {
            assert!(
                matches!(
                    opened(&file[..cut], "blue tram at nine"),
                    Err(BackupError::Truncated)
                ),
                "cut at {cut}: {:?}",
                opened(&file[..cut], "blue tram at nine").err()
            );
        }
        // Two chunks swapped.
        let mut swapped = file.clone();
        let (a, b) = (HEADER_LEN, HEADER_LEN + CHUNK + TAG);
        let first = swapped[a..b].to_vec();
        let second = swapped[b..b + CHUNK + TAG].to_vec();
        swapped[a..b].copy_from_slice(&second);
        swapped[b..b + CHUNK + TAG].copy_from_slice(&first);
        assert!(opened(&swapped, "blue tram at nine").is_err());
    }

    #[test]
    fn the_header_is_checked_before_any_costly_work() {
        let file = sealed(&data(100), "blue tram at nine");
        // Lower costs written into the header: the key differs and nothing opens.
        let mut cheaper = file.clone();
        cheaper[13..17].copy_from_slice(&2u32.to_be_bytes());
        assert!(matches!(
            opened(&cheaper, "blue tram at nine"),
            Err(BackupError::WrongPassphrase)
        ));
        // Costs no ringbook asks for are refused before any key is derived.
        let mut greedy = file.clone();
        greedy[9..13].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            opened(&greedy, "blue tram at nine"),
            Err(BackupError::Parameters)
        ));
        let mut newer = file.clone();
        newer[8] = 2;
        assert!(matches!(
            opened(&newer, "blue tram at nine"),
            Err(BackupError::Version(2))
        ));
    }
}
