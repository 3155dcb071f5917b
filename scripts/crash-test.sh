#!/usr/bin/env bash
# Crash test: is every acknowledged journal event still there after a hard kill?
#
#   scripts/crash-test.sh [ROUNDS]          # default 100 rounds
#   scripts/crash-test.sh --mode outbox     # the outbox-drain mode (not built yet, see below)
#
# Each round starts ringbook (release build) on a fresh database with a journal key, drives
# CRASH_EVENTS (20,000) journal events from CRASH_THREADS (32) concurrent keep-alive clients
# (src/bin/crashdriver.rs), which record every event answered with a 2xx, sends SIGKILL to the
# server after a random number of acknowledged events, restarts it, and checks that every
# acknowledged event (and the call it was filed under) is in the database and that
# PRAGMA integrity_check is ok. Prints lost/acknowledged per round and a total; exits non-zero if
# anything was lost or the database is damaged.
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

if [ "$MODE" = outbox ]; then
    # Placeholder on purpose: the outbox and its sync worker are being built in the sync task.
    # Until then this mode does nothing and says so, rather than pretending to pass.
    echo "crash-test: mode 'outbox' (kill during an outbox drain, check nothing is lost upstream)" >&2
    echo "crash-test: NOT BUILT YET: it needs the outbox and the fake upstream CRM from the sync work." >&2
    exit 2
fi
if [ "$MODE" != journal ]; then
    echo "crash-test: unknown mode '$MODE'; use journal (default) or outbox" >&2
    exit 2
fi

EVENTS=${CRASH_EVENTS:-20000}
THREADS=${CRASH_THREADS:-32}

command -v python3 >/dev/null 2>&1 || { echo "crash-test: python3 is needed to check the database" >&2; exit 2; }

echo "== building (release)" >&2
cargo build --release --locked --bin ringbook --bin crashdriver >&2
BIN=$PWD/target/release/ringbook
DRIVER=$PWD/target/release/crashdriver

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ringbook-crash.XXXXXX")
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill -9 "$SERVER_PID" 2>/dev/null || true; fi
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
