//! Whether a new password is good enough to set: long enough, and not mostly something a guesser
//! tries first.
//!
//! OWASP ASVS (2.1.7) and NIST SP 800-63B (5.1.1.2) ask that a new password be refused when it is
//! known to be common or breached, or is made of dictionary words, repeated or sequential
//! characters, or words from the service's own context, and that there be no composition rules
//! (2.1.9). ringbook checks this on the box: it must work with the internet down, and a breached-
//! password list can't ship inside the binary (`breached` asks an online one when it can). zxcvbn,
//! the library that does this best, was measured for it: its word lists added 7.3 MB of resident
//! memory for the rest of the process's life once the first password was checked, and over 1 MB to
//! the binary, on a box whose idle server is 19 MB. So the check is this module's, and deliberately
//! simple.
//!
//! It counts the characters a guesser could not predict. Lower-cased, with look-alike digits read
//! as the letters they stand for when looking for words (`p4ssw0rd`), each of these counts as one
//! character, however long it is:
//! - a common word ([`COMMON`]), or the user's own name, or "ringbook";
//! - a run of three or more characters that count up or down (`1234`, `cba`), repeat (`aaa`), or
//!   follow a row of the keyboard (`qwertz`, `asdf`, `yxcvb`);
//! - a part of three or more characters that already appeared earlier (`winterwinter`).
//!
//! A password needs [`MIN_LENGTH`] characters in all, and still [`MIN_UNPREDICTABLE`] once these
//! count as one. A few unrelated words pass easily (`correct horse battery`); `Passwort2025!`,
//! `qwertzuiop123` and `owner-owner-owner` for the user `owner` don't.

use std::fmt;

/// The shortest password a web UI user may set: 12 characters, as OWASP ASVS 4.0 asks (2.1.1). A
/// password set before the limit was raised from 10 keeps working; the limit applies whenever one
/// is set.
pub const MIN_LENGTH: usize = 12;

/// The longest password that may be set: 128 characters, as ASVS asks (2.1.2), so that hashing a
/// huge form field can't tie up a core. A passphrase of a dozen words fits easily. The forms don't
/// say `maxlength`: a browser cuts a pasted password to it without a word, and the user would then
/// log in with a password they never saw (ASVS 2.1.3); the server refuses it and says why instead.
pub const MAX_LENGTH: usize = 128;

/// Characters a password needs once its common words, runs and repeats count as one each.
pub const MIN_UNPREDICTABLE: usize = 8;

/// Words people build passwords from, most often in the offices ringbook serves (German and
/// English). Lower-case, as compared; a word must be 4 characters or more, so a short one doesn't
/// match inside unrelated words.
const COMMON: &[&str] = &[
    "password",
    "passwort",
    "kennwort",
    "geheim",
    "secret",
    "admin",
    "administrator",
    "welcome",
    "willkommen",
    "letmein",
    "login",
    "qwerty",
    "qwertz",
    "hallo",
    "hello",
    "iloveyou",
    "ichliebedich",
    "sommer",
    "summer",
    "winter",
    "herbst",
    "autumn",
    "spring",
    "fruehling",
    "frühling",
    "januar",
    "january",
    "februar",
    "february",
    "dezember",
    "december",
    "fussball",
    "football",
    "dragon",
    "monkey",
    "master",
    "shadow",
    "sunshine",
    "princess",
    "changeme",
    "default",
    "telefon",
    "phone",
    "office",
    "buero",
    "büro",
    "firma",
    "company",
    "test",
    "abc123",
    "1q2w3e4r",
    "1qaz2wsx",
    "trustno1",
    "ringbook",
];

/// Keyboard rows (German QWERTZ, US QWERTY, French AZERTY), for runs like `asdf`.
const ROWS: &[&str] = &[
    "1234567890ß",
    "qwertzuiopü",
    "asdfghjklöä",
    "yxcvbnm",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "azertyuiop",
    "qsdfghjklm",
    "wxcvbn",
];

/// Why a password can't be set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weak {
    TooShort,
    TooLong,
    /// Fewer than [`MIN_UNPREDICTABLE`] characters are left once the pattern that covers most of
    /// it (and any others) count as one.
    Guessable(Pattern),
    /// Listed as seen in a known data breach (`breached`, when the box can ask).
    Breached,
}

/// What most of a guessable password is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pattern {
    CommonWord,
    UserName,
    Run,
    Repeat,
}

impl fmt::Display for Weak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Weak::TooShort => write!(f, "the password must have at least {MIN_LENGTH} characters"),
            Weak::TooLong => write!(f, "the password may have at most {MAX_LENGTH} characters"),
            Weak::Guessable(p) => write!(
                f,
                "the password is too easy to guess: most of it is {}; a few unrelated words make a strong password",
                match p {
                    Pattern::CommonWord => "a common word",
                    Pattern::UserName => "the user name",
                    Pattern::Run => "a run like 1234, abcd or qwertz",
                    Pattern::Repeat => "a part repeated",
                }
            ),
            Weak::Breached => f.write_str(
                "this password has been seen in known data breaches (Have I Been Pwned), so guessers try it early; choose another",
            ),
        }
    }
}

/// Checks a password someone wants to set for the user `user_name`.
pub fn check(password: &str, user_name: &str) -> Result<(), Weak> {
    unpredictable(password, user_name).map(|_| ())
}

/// How strong a password that may be set is, for the meter under each password field (ASVS
/// 2.1.8). The grade is the count of characters a guesser could not predict, the same count
/// [`check`] requires [`MIN_UNPREDICTABLE`] of; this module's one measure, so the meter and the
/// refusal never disagree. (Only a password seen in a breach, asked of `breached` on submit, can
/// still be refused after the meter passed it.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strength {
    /// 8 to 11 unpredictable characters: accepted, and a little longer would be better.
    Fair,
    /// 12 to 15.
    Good,
    /// 16 or more: a passphrase of three or four unrelated words.
    Strong,
}

/// The [`Strength`] of a password [`check`] accepts, or why it refuses it.
pub fn strength(password: &str, user_name: &str) -> Result<Strength, Weak> {
    Ok(match unpredictable(password, user_name)? {
        ..=11 => Strength::Fair,
        12..=15 => Strength::Good,
        _ => Strength::Strong,
    })
}

/// The characters of an acceptable password that a guesser could not predict (see the module
/// doc), or why it is refused.
fn unpredictable(password: &str, user_name: &str) -> Result<usize, Weak> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(Weak::TooShort);
    }
    if length > MAX_LENGTH {
        return Err(Weak::TooLong);
    }
    let chars: Vec<char> = password.to_lowercase().chars().collect();
    // For each character, the pattern that makes it predictable, if any. The first character of a
    // word, run or repeat stays unmarked: the pattern as a whole counts as one.
    let mut marked: Vec<Option<Pattern>> = vec![None; chars.len()];
    mark_words(&chars, user_name, &mut marked);
    mark_runs(&chars, &mut marked);
    mark_repeats(&chars, &mut marked);
    let predictable = marked.iter().filter(|m| m.is_some()).count();
    let left = chars.len() - predictable;
    if left >= MIN_UNPREDICTABLE {
        return Ok(left);
    }
    let most = [
        Pattern::CommonWord,
        Pattern::UserName,
        Pattern::Run,
        Pattern::Repeat,
    ]
    .into_iter()
    .max_by_key(|p| marked.iter().filter(|m| **m == Some(*p)).count())
    .unwrap_or(Pattern::Repeat);
    Err(Weak::Guessable(most))
}

/// Marks common words and the user's name, also where digits stand in for letters.
fn mark_words(chars: &[char], user_name: &str, marked: &mut [Option<Pattern>]) {
    let plain: Vec<char> = chars.iter().map(|&c| unleet(c)).collect();
    let words = COMMON.iter().map(|w| {
        (
            w.chars().map(unleet).collect::<Vec<_>>(),
            Pattern::CommonWord,
        )
    });
    // The whole name, and each part of it ("anna.mueller", "Anna Müller"), of three letters or more.
    // A user name has at most 64 characters (`users::create`); the meter's requests may carry any
    // text, and a megabyte of it split into parts would cost a page worker a noticeable time.
    let name: String = user_name
        .trim()
        .chars()
        .take(64)
        .collect::<String>()
        .to_lowercase();
    let names = std::iter::once(name.as_str())
        .chain(name.split(|c: char| !c.is_alphanumeric()))
        .map(|part| part.chars().map(unleet).collect::<Vec<_>>())
        .filter(|part| part.len() >= 3)
        .map(|part| (part, Pattern::UserName));
    for (word, pattern) in words.chain(names) {
        let mut i = 0;
        while i + word.len() <= plain.len() {
            if plain[i..i + word.len()] == word[..] {
                for m in &mut marked[i + 1..i + word.len()] {
                    m.get_or_insert(pattern);
                }
                i += word.len();
            } else {
                i += 1;
            }
        }
    }
}

/// The letter a digit or sign in a password most often stands for.
fn unleet(c: char) -> char {
    match c {
        '0' => 'o',
        '1' | '!' => 'i',
        '3' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' => 't',
        _ => c,
    }
}

/// Marks runs of three or more characters with the same step: counting (`1234`, `zyx`), the same
/// character (`aaa`), or along a keyboard row.
fn mark_runs(chars: &[char], marked: &mut [Option<Pattern>]) {
    let mut start = 0;
    while start + 2 < chars.len() {
        let mut end = start + 1;
        if let Some(step) = step(chars[start], chars[start + 1]) {
            while end + 1 < chars.len() && step_fits(step, chars[end], chars[end + 1]) {
                end += 1;
            }
        }
        if end - start >= 2 {
            for m in &mut marked[start + 1..=end] {
                m.get_or_insert(Pattern::Run);
            }
            start = end + 1;
        } else {
            start += 1;
        }
    }
}

/// How `b` follows `a` in a run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Same,
    Counting(i8),
    Row(i8),
}

fn step(a: char, b: char) -> Option<Step> {
    if a == b {
        return Some(Step::Same);
    }
    if a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric() {
        let d = b as i32 - a as i32;
        if d == 1 || d == -1 {
            return Some(Step::Counting(d as i8));
        }
    }
    row_step(a, b).map(Step::Row)
}

fn step_fits(s: Step, a: char, b: char) -> bool {
    match s {
        Step::Same => a == b,
        Step::Counting(d) => {
            a.is_ascii_alphanumeric()
                && b.is_ascii_alphanumeric()
                && b as i32 - a as i32 == i32::from(d)
        }
        Step::Row(d) => row_step(a, b) == Some(d),
    }
}

/// +1 if `b` is right of `a` on some keyboard row, -1 if left of it.
fn row_step(a: char, b: char) -> Option<i8> {
    ROWS.iter().find_map(|row| {
        let mut prev = None;
        for c in row.chars() {
            if prev == Some(a) && c == b {
                return Some(1);
            }
            if prev == Some(b) && c == a {
                return Some(-1);
            }
            prev = Some(c);
        }
        None
    })
}

/// Marks each part of three or more characters that already appeared, whole, before it.
fn mark_repeats(chars: &[char], marked: &mut [Option<Pattern>]) {
    let mut i = 3;
    while i + 3 <= chars.len() {
        let longest = (0..i)
            .map(|j| {
                (0..)
                    .take_while(|&k| {
                        j + k < i && i + k < chars.len() && chars[j + k] == chars[i + k]
                    })
                    .count()
            })
            .max()
            .unwrap_or(0);
        if longest >= 3 {
            for m in &mut marked[i + 1..i + longest] {
                m.get_or_insert(Pattern::Repeat);
            }
            i += longest;
        } else {
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guessable(p: &str, user: &str) -> Option<Pattern> {
        match check(p, user) {
            Err(Weak::Guessable(p)) => Some(p),
            _ => None,
        }
    }

    #[test]
    fn unrelated_words_and_random_characters_pass() {
        for p in [
            "correct horse battery",
            "eva's long password",
            "a brand new passphrase",
            "Tr0ub4dor&3xyz",
            "MeinHundBello7",
            "Hamburg-2025-Büro",
            "k8#Vq2!mZ0pL",
            "anna.mueller1",
        ] {
            assert_eq!(check(p, "anna"), Ok(()), "{p}");
        }
    }

    #[test]
    fn short_passwords_are_refused_before_anything_else() {
        assert_eq!(check("k8#Vq2!mZ0p", "x"), Err(Weak::TooShort));
        assert_eq!(check("aaaaaaaaaaa", "x"), Err(Weak::TooShort));
        // Characters, not bytes: twelve umlauts are twelve characters.
        assert_ne!(check("äöüäöüßäöüäö", "x"), Err(Weak::TooShort));
    }

    #[test]
    fn common_words_count_as_one_character_also_in_disguise() {
        for p in [
            "Password1234!",
            "passwordpassword",
            "P4ssw0rd2025!",
            "Sommer2026!!",
            "Willkommen123",
        ] {
            assert_eq!(guessable(p, "anna"), Some(Pattern::CommonWord), "{p}");
        }
    }

    #[test]
    fn the_users_own_name_counts_as_one_character() {
        assert_eq!(
            guessable("owner-owner-owner", "owner"),
            Some(Pattern::UserName)
        );
        assert_eq!(
            guessable("Mueller2025!", "mueller"),
            Some(Pattern::UserName)
        );
        // Each part of a longer name counts too.
        assert_eq!(
            guessable("Mueller2025Mueller", "anna.mueller"),
            Some(Pattern::UserName)
        );
        // The same password for another user is fine: only the name made it guessable.
        assert_eq!(check("Mueller#Kx2025!", "anna"), Ok(()));
        // A two-letter name would match inside too much to mean anything.
        assert_eq!(check("xo-k8#Vq2!mZ0pL", "xo"), Ok(()));
    }

    #[test]
    fn runs_along_digits_letters_and_keyboard_rows_count_as_one() {
        for p in [
            "123456789012",
            "abcdefghijkl",
            "qwertzuiopü1",
            "yxcvbnm,.-12",
            "0987654321ab",
            "zzzzzzzzzzzz",
            "azertyuiop12",
        ] {
            assert_eq!(guessable(p, "x"), Some(Pattern::Run), "{p}");
        }
    }

    #[test]
    fn repeated_parts_count_as_one() {
        for p in ["k8#Vk8#Vk8#V", "9fK#9fK#9fK#", "Xy7!qXy7!qXy7!q"] {
            assert_eq!(guessable(p, "x"), Some(Pattern::Repeat), "{p}");
        }
    }

    #[test]
    fn the_longest_password_is_128_characters() {
        let words = "correct horse battery staple ";
        let longest: String = words.chars().cycle().skip(3).take(MAX_LENGTH).collect();
        assert_eq!(check(&longest, "x"), Ok(()), "{longest}");
        assert_eq!(check(&format!("{longest}!"), "x"), Err(Weak::TooLong));
        // 128 of one letter is still one run, whatever its length.
        assert_eq!(
            check(&"a".repeat(MAX_LENGTH), "x"),
            Err(Weak::Guessable(Pattern::Run))
        );
    }

    #[test]
    fn the_message_says_what_to_do() {
        let m = check("passwordpassword", "x").unwrap_err().to_string();
        assert!(
            m.contains("common word") && m.contains("unrelated words"),
            "{m}"
        );
        let m = check("short", "x").unwrap_err().to_string();
        assert!(m.contains("12 characters"), "{m}");
    }

    #[test]
    fn strength_grades_what_check_accepts_by_what_a_guesser_cant_predict() {
        // 10 of 13 characters left once the user's name counts as one.
        assert_eq!(strength("anna.mueller1", "anna"), Ok(Strength::Fair));
        assert_eq!(strength("anna.mueller1", "x"), Ok(Strength::Good));
        assert_eq!(strength("k8#Vq2!mZ0pL", "x"), Ok(Strength::Good));
        assert_eq!(strength("correct horse battery", "x"), Ok(Strength::Strong));
        // Adding a predictable tail makes a password longer, not stronger.
        assert_eq!(strength("k8#Vq2!mZ0pL123456", "x"), Ok(Strength::Good));
        for p in [
            "short",
            "passwordpassword",
            "qwertz123456",
            "owner-owner-owner",
        ] {
            assert_eq!(strength(p, "owner").err(), check(p, "owner").err(), "{p}");
            assert!(strength(p, "owner").is_err(), "{p}");
        }
    }
}
