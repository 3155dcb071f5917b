#!/usr/bin/env bash
# Soak test: does ringbook's memory stay flat under a steady working mix, or does something grow?
# An appliance runs for months; a few kilobytes kept per request add up. The benchmark's RSS figures
# are peaks over a minute and can't see that.
#
#   scripts/soak.sh                     # 10 minutes
#   SOAK_SECONDS=120 scripts/soak.sh
#
# How: the release build on a fresh database with 20,000 demo contacts and 20,000 calls, an admin and
# an API key. For SOAK_SECONDS it gets, at once:
# - lookups at 2,000/s on 16 keep-alive connections (the project's load generator);
# - call events at 300/s on 8 connections (unique calls, so the journal keeps growing);
# - a staff browser walking the call log, missed calls, weekly reports and contacts, while every
#   5 seconds four more browsers log in at once (scripts/soak/browse.py). A login's password hash
#   is the largest block ringbook allocates, and once stayed behind in every worker that made one.
# The server's resident memory and threads are sampled every 10 seconds.
#
# Passes when no request failed, the memory at the end is within SOAK_GROWTH_MB (default 8) of the
# memory after the first minute (when the caches are warm), and the memory still held once the load
# has stopped is within SOAK_MAX_MB (default 80, the loaded-memory target). The second catches
# memory kept a little at a time; the third memory kept in the first minute, as the logins' was.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_TOTAL=${SOAK_SECONDS:-600}
GROWTH_MB=${SOAK_GROWTH_MB:-8}
MAX_MB=${SOAK_MAX_MB:-80}
[ "$SECONDS_TOTAL" -ge 90 ] || { echo "soak: SOAK_SECONDS must be 90 or more (the first minute warms the caches)" >&2; exit 2; }
command -v python3 >/dev/null 2>&1 || { echo "soak: python3 is needed" >&2; exit 2; }
command -v curl >/dev/null 2>&1 || { echo "soak: curl is needed" >&2; exit 2; }

echo "== building (release)" >&2
cargo build --release --locked --bin ringbook --bin loadgen >&2
BIN=$PWD/target/release/ringbook
LOADGEN=$PWD/target/release/loadgen

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ringbook-soak.XXXXXX")
SERVER_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
    [ -n "${SOAK_KEEP:-}" ] && echo "kept $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
jget() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
status_field() { awk -v f="$1" '$1 == f {print $2}' "/proc/$SERVER_PID/status"; }

export RUST_LOG=error
DB=$WORK/soak.db
PASSWORD="soak test passphrase $RANDOM$RANDOM"
echo "== a fresh database: 20,000 demo contacts and 20,000 calls" >&2
"$BIN" --db "$DB" settings set number.country DE >/dev/null
"$BIN" --db "$DB" settings set number.area_code 30 >/dev/null
"$BIN" --db "$DB" demo-data --contacts 20000 --calls 20000 >/dev/null
printf '%s\n' "$PASSWORD" | "$BIN" --db "$DB" user add soak --role admin >/dev/null
KEY=$("$BIN" --db "$DB" apikey create --name soak --scopes lookup,journal 2>/dev/null)
"$LOADGEN" --make-lookup-targets "$DB" --count 20000 --targets "$WORK/targets.txt" >&2

ADDR=127.0.0.1:$(free_port)
"$BIN" --db "$DB" --listen "$ADDR" 2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 200); do curl -sf "http://$ADDR/healthz" >/dev/null && break; sleep 0.05; done
start_kb=$(status_field VmRSS:)

echo "== soaking for $SECONDS_TOTAL s" >&2
"$LOADGEN" --addr "$ADDR" --targets "$WORK/targets.txt" --connections 16 --rate 2000 \
    --seconds "$SECONDS_TOTAL" --warmup 0 --header "X-Api-Key: $KEY" >"$WORK/lookups.json" &
LOOKUPS=$!
"$LOADGEN" --addr "$ADDR" --synth-events --connections 8 --rate 300 \
    --seconds "$SECONDS_TOTAL" --warmup 0 --header "X-Api-Key: $KEY" >"$WORK/events.json" &
EVENTS=$!
python3 scripts/soak/browse.py "$ADDR" soak "$PASSWORD" "$SECONDS_TOTAL" >"$WORK/browse.json" &
BROWSE=$!

samples="| second | RSS MB | threads |\n|---|---|---|\n"
minute_kb=""
max_kb=0
for t in $(seq 10 10 "$SECONDS_TOTAL"); do
    sleep 10
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "soak: the server died; its log:" >&2; tail -20 "$WORK/server.log" >&2; exit 1; }
    kb=$(status_field VmRSS:)
    threads=$(status_field Threads:)
    [ "$t" -eq 60 ] && minute_kb=$kb
    [ "$kb" -gt "$max_kb" ] && max_kb=$kb
    samples+="| $t | $(python3 -c "print(round($kb / 1024, 1))") | $threads |\n"
done
for job in "$LOOKUPS:lookups" "$EVENTS:call events" "$BROWSE:browser"; do
    wait "${job%%:*}" || { echo "soak: FAILED: the ${job#*:} load stopped with an error" >&2; exit 1; }
done
end_kb=$(status_field VmRSS:)
sleep 2
held_kb=$(status_field VmRSS:)

lookups=$(cat "$WORK/lookups.json")
events=$(cat "$WORK/events.json")
browse=$(cat "$WORK/browse.json")
lookup_failed=$(( $(jget "$lookups" errors) + $(jget "$lookups" non_2xx) ))
event_failed=$(( $(jget "$events" errors) + $(jget "$events" non_2xx) ))
browse_failed=$(jget "$browse" failed)
mb() { python3 -c "print(round($1 / 1024, 1))"; }
growth_kb=$((end_kb - minute_kb))

printf '%b' "$samples"
printf '\n| measure | result | expected |\n|---|---|---|\n'
printf '| lookups | %s (%s/s, p99 %s ms), %s failed | 0 failed |\n' "$(jget "$lookups" requests)" \
    "$(python3 -c "print(round($(jget "$lookups" rate)))")" "$(python3 -c "print(round($(jget "$lookups" p99_us) / 1000, 2))")" "$lookup_failed"
printf '| call events | %s (%s/s), %s failed | 0 failed |\n' "$(jget "$events" requests)" \
    "$(python3 -c "print(round($(jget "$events" rate)))")" "$event_failed"
printf '| pages / logins | %s / %s, %s failed | 0 failed |\n' "$(jget "$browse" pages)" "$(jget "$browse" logins)" "$browse_failed"
printf '| RSS at start / after a minute / peak / end | %s / %s / %s / %s MB | |\n' "$(mb "$start_kb")" "$(mb "$minute_kb")" "$(mb "$max_kb")" "$(mb "$end_kb")"
printf '| growth after the first minute | %s MB | at most %s MB |\n' "$(mb "$growth_kb")" "$GROWTH_MB"
printf '| held 2 s after the load stopped | %s MB | at most %s MB |\n' "$(mb "$held_kb")" "$MAX_MB"

if [ "$lookup_failed" -ne 0 ] || [ "$event_failed" -ne 0 ] || [ "$browse_failed" -ne 0 ]; then
    echo "soak: FAILED: requests failed (browser: $(jget "$browse" first_failures))" >&2
    exit 1
fi
if [ "$growth_kb" -gt $((GROWTH_MB * 1024)) ]; then
    echo "soak: FAILED: memory grew $(mb "$growth_kb") MB after the first minute" >&2
    exit 1
fi
if [ "$held_kb" -gt $((MAX_MB * 1024)) ]; then
    echo "soak: FAILED: the server still held $(mb "$held_kb") MB once the load had stopped" >&2
    exit 1
fi
echo "soak: ok" >&2
