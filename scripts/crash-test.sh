#!/usr/bin/env bash
# Crash test: is every acknowledged journal event still there after a hard kill?
#
#   scripts/crash-test.sh [ROUNDS]          # default 100 rounds
#   scripts/crash-test.sh --mode outbox [ROUNDS]   # kill during an outbox drain instead
#
# Each round starts ringbook (release build) on a fresh database with a journal key, drives
# CRASH_EVENTS (20,000) journal events from CRASH_THREADS (32) concurrent keep-alive clients
# (src/bin/crashdriver.rs), which record every event answered with a 2xx, sends SIGKILL to the
# server after a random number of acknowledged events, restarts it, and checks that every
# acknowledged event (and the call it was filed under) is in the database and that
# PRAGMA integrity_check is ok. Prints lost/acknowledged per round and a total; exits non-zero if
# anything was lost or the database is damaged.
#
# The outbox mode: each round journals CRASH_CALLS (2,000) finished calls while a fake CRM
# (src/bin/fakecrm.rs) answers 503, so every call waits in the outbox for the Propstack connector; then
# the fake comes back, and ringbook is killed with SIGKILL once a random number of calls has arrived
# upstream. After the restart the script waits for the drain to finish and checks that every call
# arrived upstream (lost = calls the fake never accepted), that no row was dead-lettered, and
# PRAGMA integrity_check. A call can arrive twice only if its 2xx came back but was not yet recorded
# when the process died; the worker records at least every 32 deliveries, so the script also fails on
# more than 32 repeats in a round.
#
# What this proves and what not: SIGKILL ends the process at any point, also in the middle of a
# group commit, so a 2xx sent before COMMIT returned, or a torn transaction, shows up as a lost
# event or a failed integrity check. It doesn't cut the power: data in the OS page cache survives a
# killed process. Power loss needs the real device (or a VM whose disk drops unsynced writes).
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=journal
ROUNDS=100
while [ $# -gt 0 ]; do
    case "$1" in
        --mode) MODE=$2; shift 2 ;;
        --mode=*) MODE=${1#--mode=}; shift ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        *) ROUNDS=$1; shift ;;
    esac
done

if [ "$MODE" != journal ] && [ "$MODE" != outbox ]; then
    echo "crash-test: unknown mode '$MODE'; use journal (default) or outbox" >&2
    exit 2
fi

EVENTS=${CRASH_EVENTS:-20000}
THREADS=${CRASH_THREADS:-32}

command -v python3 >/dev/null 2>&1 || { echo "crash-test: python3 is needed to check the database" >&2; exit 2; }

echo "== building (release)" >&2
cargo build --release --locked --bin ringbook --bin crashdriver --bin fakecrm >&2
BIN=$PWD/target/release/ringbook
DRIVER=$PWD/target/release/crashdriver
FAKE=$PWD/target/release/fakecrm

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ringbook-crash.XXXXXX")
SERVER_PID=""
FAKE_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill -9 "$SERVER_PID" 2>/dev/null || true; fi
    if [ -n "$FAKE_PID" ]; then kill "$FAKE_PID" 2>/dev/null || true; fi
    [ -n "${CRASH_KEEP:-}" ] && echo "kept $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# A template database: Berlin number model and one journal key. Each round starts from a copy.
export RUST_LOG=warn
TEMPLATE=$WORK/template.db
"$BIN" --db "$TEMPLATE" settings set number.country DE >/dev/null
"$BIN" --db "$TEMPLATE" settings set number.area_code 30 >/dev/null
"$BIN" --db "$TEMPLATE" settings set number.outside_prefix 0 >/dev/null
KEY=$("$BIN" --db "$TEMPLATE" apikey create --name crash-test --scopes journal 2>/dev/null)

start_server() { # DB ADDR LOG -> sets SERVER_PID, waits for /healthz
    "$BIN" --db "$1" --listen "$2" 2>>"$3" >/dev/null &
    SERVER_PID=$!
    local host=${2%:*} port=${2##*:}
    for _ in $(seq 1 400); do
        if python3 - "$host" "$port" <<'EOF' 2>/dev/null; then return 0; fi
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1)
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
sys.exit(0 if s.recv(16).startswith(b"HTTP/1.1 200") else 1)
EOF
        sleep 0.05
    done
    echo "crash-test: ringbook did not answer /healthz; its log:" >&2
    cat "$3" >&2
    return 1
}

# Checks the database against the acknowledged events; prints "LOST INTEGRITY".
check_db() { # DB ACKED
    python3 - "$1" "$2" <<'EOF'
import sqlite3, sys
db, acked_file = sys.argv[1:]
con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
integrity = ",".join(r[0] for r in con.execute("PRAGMA integrity_check"))
events = set(con.execute("SELECT source_key, kind FROM call_events WHERE source = 'api'"))
calls = {r[0] for r in con.execute("SELECT id FROM calls")}
lost = 0
shown = 0
for line in open(acked_file, encoding="utf-8"):
    call_id, kind, row = line.rstrip("\n").split("\t")
    if (call_id, kind) not in events or int(row) not in calls:
        lost += 1
        if shown < 5:
            shown += 1
            print(f"lost: {call_id} {kind} (call {row})", file=sys.stderr)
print(lost, integrity.replace(" ", "_"))
EOF
}

if [ "$MODE" = outbox ]; then
    CALLS=${CRASH_CALLS:-2000}
    jget() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
    sql() { python3 -c 'import sqlite3,sys; c=sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True); print(c.execute(sys.argv[2]).fetchone()[0])' "$1" "$2"; }
    total_calls=0 total_lost=0 total_dups=0 failed=0
    printf '%-6s %10s %12s %8s %8s %6s  %s\n' round killed_at upstream_then delivered lost repeats integrity
    for round in $(seq 1 "$ROUNDS"); do
        DB=$WORK/round.db LOG=$WORK/round.log
        rm -f "$DB" "$DB-wal" "$DB-shm" "$LOG"
        python3 -c 'import sqlite3,sys; sqlite3.connect(sys.argv[1]).backup(sqlite3.connect(sys.argv[2]))' "$TEMPLATE" "$DB"
        FPORT=$(free_port)
        "$FAKE" --listen "127.0.0.1:$FPORT" --mode down >/dev/null 2>>"$LOG" &
        FAKE_PID=$!
        FAKE_URL=http://127.0.0.1:$FPORT
        for _ in $(seq 100); do curl -sf "$FAKE_URL/_stats" >/dev/null 2>&1 && break; sleep 0.05; done
        "$BIN" --db "$DB" settings set sync.propstack.url "$FAKE_URL" >/dev/null
        "$BIN" --db "$DB" settings set sync.propstack.api_key crash-test >/dev/null
        "$BIN" --db "$DB" settings set sync.backoff_max 1s >/dev/null
        "$BIN" --db "$DB" settings set sync.rate_per_minute 0 >/dev/null
        ADDR=127.0.0.1:$(free_port)
        start_server "$DB" "$ADDR" "$LOG"
        "$DRIVER" --addr "$ADDR" --key "$KEY" --events $((CALLS * 3)) --threads "$THREADS" \
            --prefix "o$round" --out "$WORK/acked.tsv" >/dev/null 2>>"$LOG"
        # The CRM comes back; kill ringbook once a random share of the calls has arrived upstream.
        KILL_AT=$(( (RANDOM * 32768 + RANDOM) % (CALLS - 1) + 1 ))
        curl -sf -X POST "$FAKE_URL/_mode/up" >/dev/null
        deadline=$(( $(date +%s) + 120 ))
        while [ "$(jget "$(curl -sf "$FAKE_URL/_stats")" unique)" -lt "$KILL_AT" ] && [ "$(date +%s)" -lt "$deadline" ]; do
            sleep 0.002
        done
        { kill -9 "$SERVER_PID" || true; wait "$SERVER_PID" || true; } 2>/dev/null
        SERVER_PID=""
        upstream_then=$(jget "$(curl -sf "$FAKE_URL/_stats")" unique)
        start_server "$DB" "$ADDR" "$LOG"
        deadline=$(( $(date +%s) + 120 ))
        while [ "$(jget "$(curl -sf "$FAKE_URL/_stats")" unique)" -lt "$CALLS" ] && [ "$(date +%s)" -lt "$deadline" ]; do
            sleep 0.1
        done
        sleep 0.5
        stats=$(curl -sf "$FAKE_URL/_stats")
        { kill -9 "$SERVER_PID" || true; wait "$SERVER_PID" || true; } 2>/dev/null
        SERVER_PID=""
        kill "$FAKE_PID" 2>/dev/null || true; wait "$FAKE_PID" 2>/dev/null || true
        FAKE_PID=""
        delivered=$(jget "$stats" unique)
        dups=$(jget "$stats" duplicates)
        lost=$((CALLS - delivered))
        dead=$(sql "$DB" "SELECT count(*) FROM outbox WHERE state = 'dead'")
        integrity=$(sql "$DB" "PRAGMA integrity_check")
        total_calls=$((total_calls + CALLS)) total_lost=$((total_lost + lost)) total_dups=$((total_dups + dups))
        if [ "$lost" -ne 0 ] || [ "$dead" -ne 0 ] || [ "$dups" -gt 32 ] || [ "$integrity" != ok ]; then
            failed=$((failed + 1))
            tail -5 "$LOG" >&2
        fi
        printf '%-6s %10s %12s %8s %8s %6s  %s\n' "$round" "$KILL_AT" "$upstream_then" "$delivered" "$lost" "$dups" "$integrity"
    done
    echo
    echo "total: lost $total_lost / $total_calls calls over $ROUNDS rounds; repeats $total_dups; failed rounds: $failed"
    [ "$total_lost" -eq 0 ] && [ "$failed" -eq 0 ] || exit 1
    exit 0
fi

total_acked=0
total_lost=0
bad_integrity=0
printf '%-6s %10s %12s %10s %8s %10s  %s\n' round killed_at acknowledged events/s lost recovery integrity
for round in $(seq 1 "$ROUNDS"); do
    DB=$WORK/round.db
    LOG=$WORK/round.log
    ACKED=$WORK/acked.tsv
    rm -f "$DB" "$DB-wal" "$DB-shm" "$LOG" "$ACKED"
    # SQLite's backup API, not cp: the CLI may leave the key in the template's WAL file.
    python3 -c 'import sqlite3,sys; sqlite3.connect(sys.argv[1]).backup(sqlite3.connect(sys.argv[2]))' "$TEMPLATE" "$DB"
    ADDR=127.0.0.1:$(free_port)
    start_server "$DB" "$ADDR" "$LOG"
    # A random moment: after 1 .. EVENTS-1 acknowledged events, while up to THREADS more are in flight.
    KILL_AFTER=$(( (RANDOM * 32768 + RANDOM) % (EVENTS - 1) + 1 ))
    # (The braces keep bash's "Killed" notice for the server out of the table.)
    {
        "$DRIVER" --addr "$ADDR" --key "$KEY" --events "$EVENTS" --threads "$THREADS" \
            --prefix "r$round" --out "$ACKED" --kill-pid "$SERVER_PID" --kill-after "$KILL_AFTER" \
            >"$WORK/driver.out" 2>>"$LOG"
        # The driver has killed it; if it never got that many answers, kill it now all the same.
        kill -9 "$SERVER_PID" || true
        wait "$SERVER_PID" || true
    } 2>/dev/null
    SERVER_PID=""
    acked=$(wc -l <"$ACKED")
    rate=$(sed -n 's/.* rate=\([0-9]*\).*/\1/p' "$WORK/driver.out")

    # Restart on the same file: SQLite recovers the WAL; time it until /healthz answers.
    t0=$(date +%s%N)
    start_server "$DB" "$ADDR" "$LOG"
    recovery_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    read -r lost integrity < <(check_db "$DB" "$ACKED")
    { kill -9 "$SERVER_PID" || true; wait "$SERVER_PID" || true; } 2>/dev/null
    SERVER_PID=""
    if [ "$acked" -eq 0 ]; then
        echo "crash-test: no event was acknowledged in round $round; the log says:" >&2
        tail -5 "$LOG" >&2
        exit 1
    fi

    total_acked=$((total_acked + acked))
    total_lost=$((total_lost + lost))
    [ "$integrity" = ok ] || bad_integrity=$((bad_integrity + 1))
    printf '%-6s %10s %12s %10s %8s %8sms  %s\n' "$round" "$KILL_AFTER" "$acked" "${rate:-?}" "$lost" "$recovery_ms" "$integrity"
done

echo
echo "total: lost $total_lost / acknowledged $total_acked over $ROUNDS rounds; integrity failures: $bad_integrity"
if [ "$total_lost" -ne 0 ] || [ "$bad_integrity" -ne 0 ]; then
    exit 1
fi
