//! Replays every committed fuzz corpus file (`fuzz/corpus/<target>/`) through the same harness
//! functions the cargo-fuzz targets call (`fuzz/src/lib.rs`, included here), so an input that once
//! crashed a parser stays a regression test in `cargo test`, without the nightly toolchain.
//!
//! To keep a crash found by `scripts/fuzz.sh` as a test: fix it, then copy the input from
//! `fuzz/artifacts/<target>/` into `fuzz/corpus/<target>/` under a name that says what it was.

#[path = "../fuzz/src/lib.rs"]
mod harness;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn names_in(dir: &Path, strip_rs: bool) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{} can't be read: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter_map(|n| {
            if strip_rs {
                n.strip_suffix(".rs").map(str::to_string)
            } else {
                Some(n)
            }
        })
        .collect()
}

/// Runs every file of one target's corpus; fails naming each file that panicked.
fn replay(target: &str) {
    let run = harness::TARGETS
        .iter()
        .find(|(n, _)| *n == target)
        .map(|(_, f)| *f)
        .unwrap_or_else(|| panic!("{target} is not in fuzz/src/lib.rs TARGETS"));
    let dir = fuzz_dir().join("corpus").join(target);
    let files = names_in(&dir, false);
    assert!(
        !files.is_empty(),
        "fuzz/corpus/{target}/ holds no seed files"
    );
    let mut failed = Vec::new();
    for name in &files {
        let data = std::fs::read(dir.join(name)).expect("a corpus file reads");
        if std::panic::catch_unwind(|| run(&data)).is_err() {
            failed.push(name.clone());
        }
    }
    assert!(
        failed.is_empty(),
        "these fuzz/corpus/{target}/ inputs panic (details above): {failed:?}"
    );
}

macro_rules! corpus_tests {
    ($($target:ident),* $(,)?) => {
        $(
            #[test]
            fn $target() {
                replay(stringify!($target));
            }
        )*

        /// The targets tested here, the harness's list, the cargo-fuzz target files and the corpus
        /// folders must be the same set, so a new target can't go without its regression test.
        #[test]
        fn every_fuzz_target_has_a_corpus_and_a_replay_test() {
            let tested: BTreeSet<String> = [$(stringify!($target)),*].iter().map(|s| s.to_string()).collect();
            let harness: BTreeSet<String> = harness::TARGETS.iter().map(|(n, _)| n.to_string()).collect();
            let files = names_in(&fuzz_dir().join("fuzz_targets"), true);
            let corpora = names_in(&fuzz_dir().join("corpus"), false);
            assert_eq!(harness, tested, "fuzz/src/lib.rs TARGETS vs the tests in tests/fuzz_corpus.rs");
            assert_eq!(harness, files, "fuzz/src/lib.rs TARGETS vs fuzz/fuzz_targets/*.rs");
            assert_eq!(harness, corpora, "fuzz/src/lib.rs TARGETS vs fuzz/corpus/*/");
        }
    };
}

corpus_tests!(
    number,
    raw_query,
    phone_query,
    ami_frame,
    fritzbox_line,
    import,
    threecx_body,
    times,
    cti_form,
    totp_input,
    backup_open,
    http_api_json,
    http_threecx,
    http_propstack,
    http_crmsenior,
    http_cti,
    http_phones,
);
