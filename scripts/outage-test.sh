#!/usr/bin/env bash
# Outage test: the office's CRM is down for a (simulated) day, then comes back. Is every call delivered,
# exactly once per idempotency key, and is nothing given up on?
#
#   scripts/outage-test.sh              # 50,000 calls over a simulated 24 h
#   OUTAGE_CALLS=5000 scripts/outage-test.sh
#
# How: a fake CRM (src/bin/fakecrm.rs) answers 503 to everything. ringbook (release build, fresh
# database, the Propstack connector pointed at the fake) journals OUTAGE_CALLS finished calls whose own
# times are spread over the last 24 hours (src/bin/crashdriver.rs --span-secs), three events each,
# from 32 concurrent clients. Then the fake comes back up and the script waits until every call has
# arrived, and checks: every call delivered, no idempotency key accepted twice, no outbox row
# dead-lettered, PRAGMA integrity_check ok.
#
# The accelerated clock: a day of calls is sent in about a minute, so ringbook's sync timings are
# scaled by OUTAGE_ACCEL (60) as well: the backoff cap 5 min -> 5 s and the rate limit 600/min ->
# 36,000/min. Everything else (max attempts, timeouts) is the default, so the test also shows that a
# long outage with default retry settings dead-letters nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

CALLS=${OUTAGE_CALLS:-50000}
ACCEL=${OUTAGE_ACCEL:-60}
THREADS=${OUTAGE_THREADS:-32}
WAIT_SECS=${OUTAGE_WAIT_SECS:-900}

command -v python3 >/dev/null 2>&1 || { echo "outage-test: python3 is needed to check the database" >&2; exit 2; }
command -v curl >/dev/null 2>&1 || { echo "outage-test: curl is needed" >&2; exit 2; }

echo "== building (release)" >&2
cargo build --release --locked --bin ringbook --bin crashdriver --bin fakecrm >&2
BIN=$PWD/target/release/ringbook
DRIVER=$PWD/target/release/crashdriver
FAKE=$PWD/target/release/fakecrm

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ringbook-outage.XXXXXX")
SERVER_PID=""
FAKE_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
    [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null || true
    [ -n "${OUTAGE_KEEP:-}" ] && echo "kept $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
jget() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
sql() { python3 -c 'import sqlite3,sys; c=sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True); print(c.execute(sys.argv[2]).fetchone()[0])' "$DB" "$1"; }

FPORT=$(free_port)
"$FAKE" --listen "127.0.0.1:$FPORT" --mode down >"$WORK/fake.out" 2>&1 &
FAKE_PID=$!
FAKE_URL=http://127.0.0.1:$FPORT
for _ in $(seq 100); do curl -sf "$FAKE_URL/_stats" >/dev/null && break; sleep 0.05; done

export RUST_LOG=error
DB=$WORK/outage.db
"$BIN" --db "$DB" settings set number.country DE >/dev/null
"$BIN" --db "$DB" settings set number.area_code 30 >/dev/null
"$BIN" --db "$DB" settings set sync.propstack.url "$FAKE_URL" >/dev/null
"$BIN" --db "$DB" settings set sync.propstack.api_key outage-test >/dev/null
"$BIN" --db "$DB" settings set sync.backoff_max "$((300 / ACCEL))s" >/dev/null
"$BIN" --db "$DB" settings set sync.rate_per_minute "$((600 * ACCEL))" >/dev/null
KEY=$("$BIN" --db "$DB" apikey create --name outage-test --scopes journal 2>/dev/null)

ADDR=127.0.0.1:$(free_port)
"$BIN" --db "$DB" --listen "$ADDR" 2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 200); do curl -sf "http://$ADDR/healthz" >/dev/null && break; sleep 0.05; done

echo "== the CRM is down; journaling $CALLS calls spread over the last 24 h" >&2
t0=$(date +%s%N)
"$DRIVER" --addr "$ADDR" --key "$KEY" --events $((CALLS * 3)) --threads "$THREADS" --prefix outage \
    --span-secs 86400 --out "$WORK/acked.tsv" >"$WORK/driver.out"
journal_s=$(python3 -c "print(round(($(date +%s%N) - $t0) / 1e9, 1))")
acked_events=$(wc -l <"$WORK/acked.tsv")
sleep 2
during=$(curl -sf "$FAKE_URL/_stats")
queued=$(sql "SELECT count(*) FROM outbox WHERE state = 'pending'")
rss_queued_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status")

echo "== the CRM is back; waiting for the queue to drain" >&2
curl -sf -X POST "$FAKE_URL/_mode/up" >/dev/null
t1=$(date +%s%N)
deadline=$(( $(date +%s) + WAIT_SECS ))
while :; do
    stats=$(curl -sf "$FAKE_URL/_stats")
    unique=$(jget "$stats" unique)
    [ "$unique" -ge "$CALLS" ] && break
    if [ "$(date +%s)" -ge "$deadline" ]; then
        echo "outage-test: only $unique of $CALLS calls arrived within ${WAIT_SECS}s" >&2
        break
    fi
    sleep 0.5
done
drain_s=$(python3 -c "print(round(($(date +%s%N) - $t1) / 1e9, 1))")
sleep 3 # anything still in flight, and any re-send, lands now
stats=$(curl -sf "$FAKE_URL/_stats")
unique=$(jget "$stats" unique)
dups=$(jget "$stats" duplicates)
no_key=$(jget "$stats" no_key)
dead=$(sql "SELECT count(*) FROM outbox WHERE state = 'dead'")
pending=$(sql "SELECT count(*) FROM outbox WHERE state = 'pending'")
calls_in_db=$(sql "SELECT count(*) FROM calls")
integrity=$(sql "PRAGMA integrity_check")

printf '\n| measure | result | expected |\n|---|---|---|\n'
printf '| calls journaled during the outage | %s (%s events acknowledged, %s s) | %s |\n' "$calls_in_db" "$acked_events" "$journal_s" "$CALLS"
printf '| requests the down CRM refused | %s | few (the connector pauses) |\n' "$(jget "$during" refused)"
printf '| outbox rows queued at the end of the outage | %s | %s calls, and a contact look-up per unknown caller |\n' "$queued" "$CALLS"
printf '| ringbook RSS with the queue full | %s MB | |\n' "$((rss_queued_kb / 1024))"
printf '| drain after recovery | %s s (%s calls/s) | |\n' "$drain_s" "$(python3 -c "print(round($unique / max($drain_s, 0.1)))")"
printf '| calls delivered (distinct keys) | %s | %s |\n' "$unique" "$CALLS"
printf '| contact look-ups answered (GET) | %s | |\n' "$(jget "$stats" reads)"
printf '| keys accepted twice | %s | 0 |\n' "$dups"
printf '| pushes without a key | %s | 0 |\n' "$no_key"
printf '| dead-lettered rows | %s | 0 |\n' "$dead"
printf '| rows still pending | %s | 0 |\n' "$pending"
printf '| integrity_check | %s | ok |\n' "$integrity"

if [ "$unique" -ne "$CALLS" ] || [ "$dups" -ne 0 ] || [ "$dead" -ne 0 ] || [ "$pending" -ne 0 ] \
    || [ "$no_key" -ne 0 ] || [ "$calls_in_db" -ne "$CALLS" ] || [ "$integrity" != ok ]; then
    echo "outage-test: FAILED" >&2
    exit 1
fi
echo "outage-test: ok" >&2
