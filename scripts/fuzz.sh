#!/usr/bin/env bash
# Fuzzing: every cargo-fuzz target for a set time, then schemathesis against the running binary.
#
#   scripts/fuzz.sh                         # each target 10 minutes, then schemathesis
#   FUZZ_SECONDS=30 scripts/fuzz.sh         # a quick pass
#   FUZZ_TARGETS="number import" scripts/fuzz.sh
#   FUZZ_RUNS=10000000 FUZZ_SECONDS=7200 scripts/fuzz.sh   # stop each target at 10M inputs
#   FUZZ_SKIP_SCHEMATHESIS=1 scripts/fuzz.sh   # libFuzzer only
#   FUZZ_SKIP_LIBFUZZER=1 scripts/fuzz.sh      # schemathesis only
#   FUZZ_SANITIZER=address scripts/fuzz.sh     # with AddressSanitizer (slower)
#   FUZZ_CHUNK=1000000 scripts/fuzz.sh         # inputs per fuzzing process (default 500,000)
#
# The targets are in fuzz/ (a crate of its own, built with the nightly toolchain and cargo-fuzz, both
# installed here if missing). Each run starts from the committed seeds in fuzz/corpus/<target>/ and
# keeps what it finds in fuzz/work/<target>/ (not committed). A crash stops that target and leaves
# its input in fuzz/artifacts/<target>/; `cargo +nightly fuzz run --fuzz-dir fuzz -s none TARGET FILE`
# replays it (or copy it into fuzz/corpus/<target>/ and run `cargo test --test fuzz_corpus`).
# Prints one line per target: inputs run (not counting the corpus replayed at each process's start),
# inputs per second of wall time, crashes.
#
# No sanitizer by default: ringbook is safe Rust, so what fuzzing finds is panics (and overflows,
# with debug assertions on), which need none; the C in the build (SQLite) isn't instrumented by
# cargo-fuzz either way. Without AddressSanitizer the targets run several times faster.
#
# schemathesis (from PyPI, in a virtualenv under target/) then reads GET /api/openapi.json from a
# ringbook started on a fresh database with an admin key, and sends generated requests to every
# documented operation; it reports 5xx answers and answers that don't match the document.
#
# Exits non-zero if a target crashed or schemathesis found a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH=${FUZZ_SECONDS:-600}
SANITIZER=${FUZZ_SANITIZER:-none}
# libFuzzer stops at whichever limit comes first; -1 is its "no limit on inputs".
RUNS=${FUZZ_RUNS:--1}
# At most this many inputs in one fuzzing process (see the loop below for why).
CHUNK=${FUZZ_CHUNK:-500000}
ALL_TARGETS=$(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^ringbook-fuzz$')
TARGETS=${FUZZ_TARGETS:-$ALL_TARGETS}
OUT=fuzz/work
mkdir -p "$OUT"
status=0

if [ -z "${FUZZ_SKIP_LIBFUZZER:-}" ]; then
    if ! cargo +nightly --version >/dev/null 2>&1; then
        echo "== installing the nightly toolchain" >&2
        rustup toolchain install nightly --profile minimal
    fi
    if ! cargo fuzz --version >/dev/null 2>&1; then
        echo "== installing cargo-fuzz" >&2
        cargo install cargo-fuzz --locked
    fi
    echo "== building the fuzz targets (nightly, coverage, debug assertions, sanitizer: $SANITIZER)" >&2
    cargo +nightly fuzz build --fuzz-dir fuzz --target-dir target/fuzz -s "$SANITIZER" >&2

    # Run the built targets directly: `cargo fuzz run` would rebuild whenever the tree changed.
    FUZZ_BIN=target/fuzz/$(rustc +nightly -vV | sed -n 's/^host: //p')/release
    printf '%-16s %12s %10s %8s  %s\n' target executions exec/s crashes note
    for t in $TARGETS; do
        mkdir -p "$OUT/$t" "fuzz/artifacts/$t"
        log=$OUT/$t.log
        : >"$log"
        # The target runs as a series of processes of at most CHUNK inputs each, every one starting
        # from the corpus the ones before it grew. The http_* targets keep one store per process, and
        # what the inputs add to it (contacts, calls) slows each later input: http_threecx fell from
        # about 6,900 to 760 inputs/s over 2.8M inputs in one process. A fresh process starts on a
        # fresh store. Only the inputs run after a process has read its corpus (libFuzzer's INITED
        # line) count towards the total, so the corpus's replays at each start aren't counted again.
        execs=0
        crashes=0
        note=""
        started=$SECONDS
        while :; do
            left_time=$((SECONDS_EACH - (SECONDS - started)))
            [ "$left_time" -gt 0 ] || break
            chunk=$CHUNK
            if [ "$RUNS" -ge 0 ]; then
                [ "$execs" -lt "$RUNS" ] || break
                [ $((RUNS - execs)) -ge "$chunk" ] || chunk=$((RUNS - execs))
            fi
            part=$OUT/$t.part.log
            # -rss_limit_mb: the http_* targets keep a growing SQLite store in this process.
            # -detect_leaks=0: those targets' server threads still hold their memory when libFuzzer
            # exits, which LeakSanitizer (with FUZZ_SANITIZER=address) would report as leaks.
            # libFuzzer's -runs counts the corpus replays too, so they are added to the chunk (with some
            # to spare: it may replay a few more inputs than there are files).
            set +e
            "$FUZZ_BIN/$t" -artifact_prefix="fuzz/artifacts/$t/" -max_total_time="$left_time" \
                -runs="$((chunk + 100 + $(find "$OUT/$t" "fuzz/corpus/$t" -type f | wc -l)))" \
                -print_final_stats=1 -rss_limit_mb=4096 -detect_leaks=0 -timeout=30 \
                "$OUT/$t" "fuzz/corpus/$t" >"$part" 2>&1
            rc=$?
            set -e
            cat "$part" >>"$log"
            inited=$(sed -n 's/^#\([0-9]*\)[[:space:]]*INITED.*/\1/p' "$part" | tail -1)
            units=$(sed -n 's/^stat::number_of_executed_units: *//p' "$part" | tail -1)
            if [ -z "$units" ]; then
                # A crash ends the run before the final stats; take the last status line instead.
                units=$(grep -o '^#[0-9]*' "$part" | tail -1 | tr -d '#')
            fi
            ran=$((${units:-0} - ${inited:-0}))
            [ "$ran" -gt 0 ] || ran=0
            execs=$((execs + ran))
            if [ "$rc" -ne 0 ]; then
                crashes=1
                artifact=$(grep -o 'Test unit written to [^ ]*' "$part" | tail -1 | sed 's/Test unit written to //')
                why=$(grep -m1 -E "panicked at|ERROR: (AddressSanitizer|libFuzzer)" "$part" || true)
                note="${artifact:-see $log}: ${why}"
                status=1
                break
            fi
            # A process that read its corpus and ran nothing more is out of time.
            [ "$ran" -gt 0 ] || break
        done
        rm -f "$OUT/$t.part.log"
        elapsed=$((SECONDS - started))
        speed=$((execs / (elapsed > 0 ? elapsed : 1)))
        printf '%-16s %12s %10s %8s  %s\n' "$t" "$execs" "$speed" "$crashes" "$note"
    done
fi

if [ -z "${FUZZ_SKIP_SCHEMATHESIS:-}" ]; then
    echo "== building ringbook (debug) for schemathesis" >&2
    cargo build --locked --bin ringbook >&2
    BIN=$PWD/target/debug/ringbook
    VENV=target/schemathesis-venv
    # The config file below is schemathesis 4's format ([auth.openapi.*], [[operations]]); a new major
    # version may read it differently, so stay on 4.x until this script is checked against the next.
    SCHEMATHESIS_VERSION='schemathesis>=4.0,<5'
    if ! "$VENV/bin/python" -c 'import sys, importlib.metadata as m; sys.exit(m.version("schemathesis").split(".")[0] != "4")' 2>/dev/null; then
        echo "== installing $SCHEMATHESIS_VERSION into $VENV" >&2
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install -q "$SCHEMATHESIS_VERSION" >&2
    fi
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/ringbook-schemathesis.XXXXXX")
    SERVER_PID=""
    cleanup() {
        if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi
        rm -rf "$WORK"
    }
    trap cleanup EXIT
    DB=$WORK/ringbook.db
    export RUST_LOG=warn
    "$BIN" --db "$DB" settings set number.country DE >/dev/null
    "$BIN" --db "$DB" settings set number.area_code 30 >/dev/null
    "$BIN" --db "$DB" settings set number.outside_prefix 0 >/dev/null
    printf 'first_name,last_name,company,office,mobile\nAnna,Müller,Müller & Söhne,030 1234567,0171 2345678\nBernd,Schulz,,+49 30 9876543,\n' >"$WORK/c.csv"
    "$BIN" --db "$DB" import contacts "$WORK/c.csv" >/dev/null
    KEY=$("$BIN" --db "$DB" apikey create --name schemathesis --scopes admin 2>/dev/null)
    CTI_TOKEN=schemathesis-cti-token-0123456789
    "$BIN" --db "$DB" settings set cti.token "$CTI_TOKEN" >/dev/null
    # The key for every security scheme the document names, and the CTI token for the {token} paths.
    cat >"$WORK/schemathesis.toml" <<EOF
[auth.openapi.bearer]
bearer = "$KEY"
[auth.openapi.apiKeyHeader]
api_key = "$KEY"
[auth.openapi.apiKeyQuery]
api_key = "$KEY"
[auth.openapi.tokenCrm]
api_key = "$KEY"
[parameters]
token = "$CTI_TOKEN"

# Every check, except: "schema-valid input must be accepted" can't hold where validity is semantic
# (a number libphonenumber reads, a time within a day, a cursor from an earlier page), which JSON
# Schema can't express.
[checks]
positive_data_acceptance.enabled = false
EOF
    # The vendor-compatible endpoints read their input leniently on purpose (3CX templates and PBX
    # pushes vary in types and empty fields), so "schema-violating input was accepted" is expected
    # there; ringbook's own API (/api/v1) is held to it.
    for tag in "3CX" "Propstack seed" "CRM Senior seed" "CTI pushes"; do
        printf '\n[[operations]]\ninclude-tag = "%s"\nchecks.negative_data_rejection.enabled = false\n' "$tag" >>"$WORK/schemathesis.toml"
    done
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    "$BIN" --db "$DB" --listen "127.0.0.1:$PORT" 2>"$WORK/server.log" &
    SERVER_PID=$!
    for _ in $(seq 1 200); do
        curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
        sleep 0.05
    done
    echo "== schemathesis against http://127.0.0.1:$PORT/api/openapi.json" >&2
    set +e
    "$VENV/bin/schemathesis" --config-file "$WORK/schemathesis.toml" run "http://127.0.0.1:$PORT/api/openapi.json" \
        --url "http://127.0.0.1:$PORT" \
        --max-examples "${FUZZ_SCHEMATHESIS_EXAMPLES:-50}" \
        --workers 1 --generation-database none \
        --report junit --report-dir "$OUT/schemathesis" \
        ${FUZZ_SCHEMATHESIS_ARGS:-}
    st=$?
    set -e
    if [ "$st" -ne 0 ]; then
        echo "schemathesis: failures found (exit $st); report in $OUT/schemathesis, server log:" >&2
        tail -20 "$WORK/server.log" >&2
        status=1
    else
        echo "schemathesis: no failures"
    fi
fi
exit $status
