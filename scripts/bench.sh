#!/usr/bin/env bash
# One benchmark table for ringbook, from one run on this machine. Builds in release mode, loads demo
# contacts (1,000,000 by default, about 2,000,000 numbers), drives the lookup endpoints with ringbook's
# own load generator over 64 keep-alive connections, runs the same load against nginx serving a small
# static file as the practical ceiling, and against tiny_http alone (ringbook's HTTP server with no
# lookup behind it, `loadgen --serve-floor`) as the fixed choice's own ceiling, and prints a Markdown
# table; the same figures go to bench-output/bench.json so runs can be compared across commits.
#
#   scripts/bench.sh                      # full run
#   BENCH_CONTACTS=100000 BENCH_CALLS=100000 BENCH_SECONDS=5 scripts/bench.sh   # quicker
#
# The same database also gets a year of demo calls (1,000,000 by default) for the call-log and report
# timings, which are read from each page's Server-Timing header (server time, not the network). The
# mixed-load row is the lookup p99 at half load while journal events stream in and weekly reports run
# (after a reference row without the reports; both state the CPU the machine left idle);
# the full- and half-load rows also state the server's CPU time per lookup, and the half-load rows
# (ringbook's and nginx's) the CPU left idle, since on two cores shared with the load generator a
# half-load p99 is mostly a matter of how busy the cores are, and the thread switches per request,
# which is where a thread per connection and a handoff to a worker cost more than an event loop;
# the drain row is the lookup p99 at half load while the outbox drains a backlog to a slow fake CRM
# (50 ms an answer), to set beside the plain half-load p99.
# The slow-client row holds 500 idle and slowloris connections (from ten loopback addresses:
# ringbook keeps at most 256 from one) during lookups at 5,000/s. The outbox drain row comes from
# src/bin/drainbench.rs.
#
# The demo database is kept in bench-output/ between runs (delete it to rebuild).
set -euo pipefail
cd "$(dirname "$0")/.."

CONTACTS=${BENCH_CONTACTS:-1000000}
CALLS=${BENCH_CALLS:-1000000}
RUN_SECONDS=${BENCH_SECONDS:-10}
# Seconds of load before each lookup run's measurement starts (the load generator's --warmup).
WARMUP=2
CONNECTIONS=${BENCH_CONNECTIONS:-64}
OUT=bench-output
mkdir -p "$OUT"

need=()
command -v nginx >/dev/null 2>&1 || need+=(nginx)
command -v python3 >/dev/null 2>&1 || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
    echo "== installing: ${need[*]}" >&2
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}" >&2
    # Debian starts the packaged nginx on port 80; the benchmark runs its own on loopback only.
    $SUDO systemctl stop nginx >/dev/null 2>&1 || $SUDO service nginx stop >/dev/null 2>&1 || true
fi

echo "== building (release)" >&2
cargo build --release --locked --bins >&2
BIN=$PWD/target/release/ringbook
LOADGEN=$PWD/target/release/loadgen

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
# The machine's CPU counters (idle and iowait, and the total without guest time, which user time
# already counts; jiffies, all cores) and the idle share since a snapshot.
cpu_stat() { awk '/^cpu / {t = 0; for (i = 2; i <= 9; i++) t += $i; print $5 + $6, t}' /proc/stat; }
idle_pct_since() { cpu_stat | awk -v a="$1" 'BEGIN {split(a, s, " ")} {printf "%.0f", 100 * ($1 - s[1]) / ($2 - s[2])}'; }
# The CPU time so far of the given processes, all their threads (user and system, in clock ticks).
cpu_ticks() { for p in "$@"; do awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$p/stat"; done | awk '{t += $1} END {print t + 0}'; }
# How often so far the threads of the given processes were switched out: voluntarily (to wait for
# a socket, a lock or a queue) or preempted. Handing a request to a thread that sleeps costs one.
# A thread that exits between the glob and the read is left out, not an error.
switches() { for p in "$@"; do cat "/proc/$p"/task/*/status 2>/dev/null || true; done | awk '/ctxt_switches/ {n += $2} END {print n + 0}'; }
# The processes whose parent is $1 (nginx's workers).
children_of() {
    python3 -c '
import os, sys
for p in filter(str.isdigit, os.listdir("/proc")):
    try:
        if open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[1] == sys.argv[1]:
            print(p)
    except OSError:
        pass' "$1"
}
# A counter's growth per request over a paced or closed-loop run: ($3 - $2) times $4 over the run's
# requests ($1 is the load generator's result), warm-up included and counted at the measured rate
# (a paced warm-up sends at that rate; a closed-loop one runs close to it).
per_request() {
    python3 -c "import json,sys; r=json.loads(sys.argv[1]); print(round((int(sys.argv[3]) - int(sys.argv[2])) * float(sys.argv[4]) / (r['rate'] * ($RUN_SECONDS + $WARMUP)), 1))" "$1" "$2" "$3" "$4"
}
# CPU in µs per request: ticks of the given processes (the server by default) since $2.
us_per_request() {
    local result=$1 t0=$2
    shift 2
    per_request "$result" "$t0" "$(cpu_ticks "${@:-$SERVER}")" "$((1000000 / $(getconf CLK_TCK)))"
}

DB=$OUT/bench-$CONTACTS.db
export RUST_LOG=warn
if [ ! -f "$DB" ]; then
    echo "== loading $CONTACTS demo contacts into $DB" >&2
    rm -f "$DB" "$DB-wal" "$DB-shm"
    "$BIN" --db "$DB" settings set number.country DE >/dev/null
    "$BIN" --db "$DB" settings set number.area_code 30 >/dev/null
    "$BIN" --db "$DB" settings set number.outside_prefix 0 >/dev/null
    "$BIN" --db "$DB" demo-data --contacts "$CONTACTS" >&2
fi
HAVE_CALLS=$(python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute('select count(*) from calls').fetchone()[0])" "$DB")
if [ "$HAVE_CALLS" -lt "$CALLS" ]; then
    echo "== journaling $((CALLS - HAVE_CALLS)) demo calls into $DB" >&2
    "$BIN" --db "$DB" demo-data --contacts 0 --calls $((CALLS - HAVE_CALLS)) --seed $((HAVE_CALLS + 1)) >&2
fi
# The mixed-load row journals a few thousand calls into this database on every run, so a kept
# database holds more than BENCH_CALLS; the page rows state the count they ran against.
CALLS_NOW=$(python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute('select count(*) from calls').fetchone()[0])" "$DB")
WEB_USER="bench$(date +%s)"
WEB_PASSWORD="bench-$(date +%s%N)-password"
echo "$WEB_PASSWORD" | "$BIN" --db "$DB" user add "$WEB_USER" --role admin >/dev/null
JKEY=$("$BIN" --db "$DB" apikey create --name "bench journal $(date +%s)" --scopes journal 2>/dev/null)
NUMBERS=$(python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute('select count(*) from phones').fetchone()[0])" "$DB")
KEY=$("$BIN" --db "$DB" apikey create --name "bench $(date +%s)" --scopes lookup 2>/dev/null)
TARGETS=$OUT/lookup-targets.txt
"$LOADGEN" --make-lookup-targets "$DB" --targets "$TARGETS" --count 50000 2>/dev/null

PORT=$(free_port)
ADDR=127.0.0.1:$PORT

# Cold start: from exec to the first answered lookup, with the OS page cache warm (as after a restart).
COLD_MS=$(python3 - "$BIN" "$DB" "$ADDR" "$KEY" "$(head -1 "$TARGETS")" <<'EOF'
import socket, subprocess, sys, time
binary, db, addr, key, target = sys.argv[1:]
host, port = addr.split(":")
t0 = time.monotonic()
p = subprocess.Popen([binary, "--db", db, "--listen", addr], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
while True:
    try:
        s = socket.create_connection((host, int(port)), timeout=1)
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nX-Api-Key: {key}\r\nConnection: close\r\n\r\n".encode())
        if s.recv(64).startswith(b"HTTP/1.1 200"):
            break
    except OSError:
        pass
    if time.monotonic() - t0 > 30:
        sys.exit("no answer within 30 s")
    time.sleep(0.001)
print(round((time.monotonic() - t0) * 1000, 1))
p.kill()
EOF
)
sleep 0.3

# A slow CRM (50 ms an answer) for the drain row; the webhook connector is turned on only for that row
# and off again at the end, so the demo database stays as it was.
FAKE_PID=""
FPORT=$(free_port)
"$PWD/target/release/fakecrm" --listen "127.0.0.1:$FPORT" --mode slow >/dev/null 2>&1 &
FAKE_PID=$!
"$BIN" --db "$DB" settings set sync.webhook.url "" >/dev/null

# How much of the database the OS page cache holds before the first request, and whether the kernel
# pages out memory that has sat idle (DAMON's proactive reclaim, as some VM hosts configure it): both
# decide whether a page row reads from memory or from disk, so the table states them.
cached_pct() {
    fincore --bytes --noheadings --output RES,SIZE "$DB" 2>/dev/null | awk '$2 > 0 {printf "%.0f", 100 * $1 / $2}' || true
}
DB_CACHED_PCT=$(cached_pct)
DB_CACHED_PCT=${DB_CACHED_PCT:-None}
# A server that has answered lookups all day has its indexes in memory; one whose database sat idle
# behind other work (a build, fuzzing) may not, and then the full-load row measures the disk: 824
# lookups/s with 10% cached, against 24,000-33,000 warm. Reading the file once gives every run the same
# start; the table states both shares.
cat "$DB" "$DB-wal" >/dev/null 2>&1 || true
DB_WARM_PCT=$(cached_pct)
DB_WARM_PCT=${DB_WARM_PCT:-None}
RECLAIM=false
for d in /sys/kernel/mm/damon/admin/kdamonds/*; do
    if [ "$(cat "$d/state" 2>/dev/null)" = on ] && grep -qs pageout "$d"/contexts/*/schemes/*/action; then RECLAIM=true; fi
done
[ "$(cat /sys/module/damon_reclaim/parameters/enabled 2>/dev/null)" = Y ] && RECLAIM=true
DB_MB=$(( $(stat -c %s "$DB") / 1048576 ))

"$BIN" --db "$DB" --listen "$ADDR" 2>"$OUT/server.log" &
SERVER=$!
NGINX_PID="" FLOOR_PID=""
cleanup() {
    kill "$SERVER" 2>/dev/null || true
    [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null || true
    [ -n "$FLOOR_PID" ] && kill "$FLOOR_PID" 2>/dev/null || true
    [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null || true
    "$BIN" --db "$DB" settings set sync.webhook.url "" >/dev/null 2>&1 || true
    "$BIN" --db "$DB" settings set sync.rate_per_minute 600 >/dev/null 2>&1 || true
}
trap cleanup EXIT
for _ in $(seq 100); do curl -sf "http://$ADDR/healthz" >/dev/null && break; sleep 0.05; done
curl -sf -H "X-Api-Key: $KEY" "http://$ADDR$(head -1 "$TARGETS")" >/dev/null || true
sleep 1
IDLE_RSS_KB=$(rss_kb "$SERVER")

echo "== starting nginx with a static file" >&2
NGX=$PWD/$OUT/nginx
mkdir -p "$NGX/www" "$NGX/logs"
printf 'Anna Muster (Example GmbH)' > "$NGX/www/static.txt"
NPORT=$(free_port)
cat > "$NGX/nginx.conf" <<EOF
worker_processes auto;
pid $NGX/nginx.pid;
error_log $NGX/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    server {
        listen 127.0.0.1:$NPORT;
        root $NGX/www;
    }
}
EOF
nginx -c "$NGX/nginx.conf" -p "$NGX" -g 'daemon off;' &
NGINX_PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$NPORT/static.txt" >/dev/null && break; sleep 0.05; done
echo "/static.txt" > "$OUT/static-targets.txt"

# tiny_http alone: ringbook's HTTP server (the same crate, listener, heartbeat and worker count) with no
# lookup behind it, answering the same requests with a fixed text. The fixed choice's own ceiling on
# this machine: what is left between it and ringbook is the lookups' work.
echo "== starting tiny_http alone (ringbook's HTTP server, nothing behind it)" >&2
TPORT=$(free_port)
"$LOADGEN" --serve-floor --addr "127.0.0.1:$TPORT" &
FLOOR_PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$TPORT/" >/dev/null && break; sleep 0.05; done

# Full load, ringbook and nginx in three alternating pairs. A shared or virtual machine's speed can
# drift by 10% within minutes, and the two runs of a pair see the same machine: the ratio is the
# median of the pairs' ratios, and the rates are the median runs (the table also shows the range).
FULL_RUNS=$OUT/full-runs.jsonl NGINX_RUNS=$OUT/nginx-runs.jsonl FULL_CPU=""
FLOOR_RUNS=$OUT/floor-runs.jsonl FLOOR_CPU=""
: >"$FULL_RUNS"; : >"$NGINX_RUNS"; : >"$FLOOR_RUNS"
for pair in 1 2 3; do
    echo "== lookups at full load, $CONNECTIONS connections, ${RUN_SECONDS}s (pair $pair of 3)" >&2
    T0=$(cpu_ticks "$SERVER")
    RUN=$("$LOADGEN" --addr "$ADDR" --targets "$TARGETS" --connections "$CONNECTIONS" --seconds "$RUN_SECONDS" --warmup "$WARMUP" --header "X-Api-Key: $KEY")
    FULL_CPU="$FULL_CPU $(us_per_request "$RUN" "$T0")"
    echo "$RUN" >>"$FULL_RUNS"
    echo "== nginx static file, same load (pair $pair of 3)" >&2
    "$LOADGEN" --addr "127.0.0.1:$NPORT" --targets "$OUT/static-targets.txt" --connections "$CONNECTIONS" --seconds "$RUN_SECONDS" --warmup "$WARMUP" >>"$NGINX_RUNS"
    echo "== tiny_http alone, same requests (pair $pair of 3)" >&2
    T0=$(cpu_ticks "$FLOOR_PID")
    RUN=$("$LOADGEN" --addr "127.0.0.1:$TPORT" --targets "$TARGETS" --connections "$CONNECTIONS" --seconds "$RUN_SECONDS" --warmup "$WARMUP" --header "X-Api-Key: $KEY")
    FLOOR_CPU="$FLOOR_CPU $(us_per_request "$RUN" "$T0" "$FLOOR_PID")"
    echo "$RUN" >>"$FLOOR_RUNS"
done
LOADED_RSS_KB=$(hwm_kb "$SERVER")
PAIRS=$(python3 - "$FULL_RUNS" "$NGINX_RUNS" "$FULL_CPU" "$FLOOR_RUNS" "$FLOOR_CPU" <<'PY'
import json, statistics, sys
full = [json.loads(l) for l in open(sys.argv[1])]
ngx = [json.loads(l) for l in open(sys.argv[2])]
cpu = [float(x) for x in sys.argv[3].split()]
floor = [json.loads(l) for l in open(sys.argv[4])]
floor_cpu = [float(x) for x in sys.argv[5].split()]
median_run = lambda runs: sorted(range(len(runs)), key=lambda i: runs[i]["rate"])[len(runs) // 2]
m, n, f = median_run(full), median_run(ngx), median_run(floor)
print(json.dumps({
    "full": full[m], "cpu_us": cpu[m], "nginx": ngx[n], "floor": floor[f], "floor_cpu_us": floor_cpu[f],
    "ratio": round(statistics.median(a["rate"] / g["rate"] for a, g in zip(full, ngx)), 2),
    "floor_ratio": round(statistics.median(a["rate"] / g["rate"] for a, g in zip(floor, ngx)), 2),
    "full_rates": [round(a["rate"]) for a in full], "nginx_rates": [round(g["rate"]) for g in ngx],
    "floor_rates": [round(a["rate"]) for a in floor],
    "errors": sum(a["errors"] + a["non_2xx"] for a in full),
    "floor_errors": sum(a["errors"] + a["non_2xx"] for a in floor),
}))
PY
)
FULL_RATE=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['full']['rate'])" "$PAIRS")

# The same lookups without the server: one thread of the load generator runs them against the database
# directly. The store and number work of a lookup on this machine today, to read the server's CPU per
# lookup against: on a shared host both move together, and what the server adds is HTTP and threads.
echo "== the same lookups in one thread, without HTTP" >&2
DIRECT=$("$LOADGEN" --direct-lookups "$DB" --targets "$TARGETS")

HALF_RATE=$(python3 -c "print(round($FULL_RATE / 2))")
echo "== lookups at half load ($HALF_RATE/s)" >&2
STAT0=$(cpu_stat)
T0=$(cpu_ticks "$SERVER") SW0=$(switches "$SERVER")
HALF=$("$LOADGEN" --addr "$ADDR" --targets "$TARGETS" --connections "$CONNECTIONS" --seconds "$RUN_SECONDS" --warmup "$WARMUP" --rate "$HALF_RATE" --header "X-Api-Key: $KEY")
HALF_CPU_US=$(us_per_request "$HALF" "$T0")
HALF_SWITCHES=$(per_request "$HALF" "$SW0" "$(switches "$SERVER")" 1)
HALF_IDLE=$(idle_pct_since "$STAT0")
# The same paced half load against nginx: the latency floor of this machine and load generator (both
# share the two cores with the server), to read ringbook's half-load p99 against.
echo "== nginx static file at the same half load ($HALF_RATE/s)" >&2
# Its CPU and switches a request are the same measures for its master and workers, for what ringbook's
# threads cost against one event loop per core.
mapfile -t NGINX_PIDS < <(children_of "$NGINX_PID")
NGINX_PIDS+=("$NGINX_PID")
STAT0=$(cpu_stat)
T0=$(cpu_ticks "${NGINX_PIDS[@]}") SW0=$(switches "${NGINX_PIDS[@]}")
NGINX_HALF=$("$LOADGEN" --addr "127.0.0.1:$NPORT" --targets "$OUT/static-targets.txt" --connections "$CONNECTIONS" --seconds "$RUN_SECONDS" --warmup "$WARMUP" --rate "$HALF_RATE")
NGINX_HALF_CPU_US=$(us_per_request "$NGINX_HALF" "$T0" "${NGINX_PIDS[@]}")
NGINX_HALF_SWITCHES=$(per_request "$NGINX_HALF" "$SW0" "$(switches "${NGINX_PIDS[@]}")" 1)
NGINX_HALF_IDLE=$(idle_pct_since "$STAT0")
kill "$NGINX_PID" 2>/dev/null || true
NGINX_PID=""

# And tiny_http alone at the same paced half load: the fixed HTTP server's own latency floor here.
echo "== tiny_http alone at the same half load ($HALF_RATE/s)" >&2
STAT0=$(cpu_stat)
T0=$(cpu_ticks "$FLOOR_PID") SW0=$(switches "$FLOOR_PID")
FLOOR_HALF=$("$LOADGEN" --addr "127.0.0.1:$TPORT" --targets "$TARGETS" --connections "$CONNECTIONS" --seconds "$RUN_SECONDS" --warmup "$WARMUP" --rate "$HALF_RATE" --header "X-Api-Key: $KEY")
FLOOR_HALF_CPU_US=$(us_per_request "$FLOOR_HALF" "$T0" "$FLOOR_PID")
FLOOR_HALF_SWITCHES=$(per_request "$FLOOR_HALF" "$SW0" "$(switches "$FLOOR_PID")" 1)
FLOOR_HALF_IDLE=$(idle_pct_since "$STAT0")
kill "$FLOOR_PID" 2>/dev/null || true
FLOOR_PID=""

echo "== call log and weekly report server times ($CALLS_NOW calls)" >&2
PAGES=$(WEB_TIMES_SERVER_PID=$SERVER python3 scripts/bench/web_times.py "$ADDR" "$WEB_USER" "$WEB_PASSWORD" pages)

# The mixed row runs twice: once with lookups and journal events alone, then with weekly reports on
# top. Both state how much of the machine's CPU was left idle, so a p99 that rises with the reports
# can be read as the cores running out (the load generators share them) or as something else.
echo "== lookups at half load while journal events stream in (no reports)" >&2
STAT0=$(cpu_stat)
"$LOADGEN" --addr "$ADDR" --synth-events --connections 8 --rate 1000 --seconds "$((RUN_SECONDS + 1))" --header "X-Api-Key: $JKEY" >"$OUT/mixed-ingest.json" &
INGEST_PID=$!
NOREPORTS=$("$LOADGEN" --addr "$ADDR" --targets "$TARGETS" --connections "$CONNECTIONS" --seconds "$RUN_SECONDS" --rate "$HALF_RATE" --header "X-Api-Key: $KEY")
NOREPORTS_IDLE=$(idle_pct_since "$STAT0")
wait "$INGEST_PID"
NOREPORTS_INGEST=$(cat "$OUT/mixed-ingest.json")

echo "== lookups at half load while journal events stream in and weekly reports run" >&2
STAT0=$(cpu_stat)
python3 scripts/bench/web_times.py "$ADDR" "$WEB_USER" "$WEB_PASSWORD" reports "$((RUN_SECONDS + 3))" >"$OUT/mixed-reports.json" &
REPORTS_PID=$!
"$LOADGEN" --addr "$ADDR" --synth-events --connections 8 --rate 1000 --seconds "$((RUN_SECONDS + 1))" --header "X-Api-Key: $JKEY" >"$OUT/mixed-ingest.json" &
INGEST_PID=$!
MIXED=$("$LOADGEN" --addr "$ADDR" --targets "$TARGETS" --connections "$CONNECTIONS" --seconds "$RUN_SECONDS" --rate "$HALF_RATE" --header "X-Api-Key: $KEY")
MIXED_IDLE=$(idle_pct_since "$STAT0")
wait "$INGEST_PID" "$REPORTS_PID"
MIXED_INGEST=$(cat "$OUT/mixed-ingest.json")
MIXED_REPORTS=$(cat "$OUT/mixed-reports.json")

echo "== lookups at half load while the outbox drains to a slow CRM" >&2
"$BIN" --db "$DB" settings set sync.rate_per_minute 0 >/dev/null
"$BIN" --db "$DB" settings set sync.webhook.url "http://127.0.0.1:$FPORT/hook" >/dev/null
# The last two days of demo calls as a backlog (far more than a 50 ms CRM takes in one run).
BACKFILL=$("$BIN" --db "$DB" outbox backfill webhook --since "$(( $(date +%s) - 2 * 86400 ))")
echo "   $BACKFILL" >&2
# The sync worker re-reads settings changed by another process within 2 s.
sleep 3
DRAINING=$("$LOADGEN" --addr "$ADDR" --targets "$TARGETS" --connections "$CONNECTIONS" --seconds "$RUN_SECONDS" --rate "$HALF_RATE" --header "X-Api-Key: $KEY")
DRAINED=$(curl -sf "http://127.0.0.1:$FPORT/_stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['unique'])")
"$BIN" --db "$DB" settings set sync.webhook.url "" >/dev/null

echo "== lookups at 5,000/s while 500 idle and slowloris connections are held" >&2
PRE_SLOW_RSS_KB=$(rss_kb "$SERVER")
python3 - "$ADDR" 500 "$((RUN_SECONDS + 6))" >"$OUT/slow-clients.txt" <<'PYEOF' &
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
n, secs = int(sys.argv[2]), float(sys.argv[3])
socks = []
for i in range(n):
    # From ten loopback addresses: ringbook keeps at most 256 connections from one.
    s = socket.create_connection((host, int(port)), source_address=(f"127.0.0.{2 + i % 10}", 0))
    if i % 2:  # slowloris: a request line and a header byte now and then, never finished
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    socks.append(s)
print(len(socks), flush=True)
end = time.monotonic() + secs
while time.monotonic() < end:
    time.sleep(2)
    for i, s in enumerate(socks):
        if i % 2:
            try:
                s.sendall(b"X")
            except OSError:
                pass
PYEOF
SLOW_PID=$!
sleep 3
SLOW_THREADS=$(ls "/proc/$SERVER/task" | wc -l)
# What the held connections cost, before the lookups add their own buffers.
HELD_RSS_KB=$(rss_kb "$SERVER")
SLOW=$("$LOADGEN" --addr "$ADDR" --targets "$TARGETS" --connections "$CONNECTIONS" --seconds "$RUN_SECONDS" --rate 5000 --header "X-Api-Key: $KEY")
SLOW_RSS_KB=$(rss_kb "$SERVER")
wait "$SLOW_PID" || true

# The number library compiles a region's patterns the first time it sees a number of that region and
# keeps them, so this row shows the memory once every region has been seen: the worst case for a
# box that runs for years (an office hears from a few dozen countries).
echo "== lookups of one example number from each region libphonenumber knows" >&2
WORLD_TARGETS=$OUT/world-targets.txt
"$LOADGEN" --make-world-targets --targets "$WORLD_TARGETS" 2>/dev/null
WORLD_REGIONS=$(wc -l <"$WORLD_TARGETS")
PRE_WORLD_RSS_KB=$(rss_kb "$SERVER")
WORLD=$("$LOADGEN" --addr "$ADDR" --targets "$WORLD_TARGETS" --connections "$CONNECTIONS" --seconds 3 --header "X-Api-Key: $KEY")
WORLD_RSS_KB=$(rss_kb "$SERVER")


kill "$SERVER" 2>/dev/null || true
wait "$SERVER" 2>/dev/null || true

# Durable journal ingest: unique call events over the same connections, each answered only after its
# COMMIT. First with group commit, then the same binary committing every event alone.
ingest_run() {
    local batch=$1 db=$OUT/ingest-$1.db port
    rm -f "$db" "$db-wal" "$db-shm"
    "$BIN" --db "$db" settings set number.area_code 30 >/dev/null
    local key
    key=$("$BIN" --db "$db" apikey create --name bench --scopes journal 2>/dev/null)
    port=$(free_port)
    "$BIN" --db "$db" --listen "127.0.0.1:$port" --writer-batch "$batch" 2>>"$OUT/server.log" &
    SERVER=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.05; done
    "$LOADGEN" --addr "127.0.0.1:$port" --synth-events --connections "$CONNECTIONS" --seconds "$RUN_SECONDS" --header "X-Api-Key: $key"
    kill "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
}
echo "== durable ingest, group commit" >&2
INGEST=$(ingest_run 1024)
echo "== durable ingest, one commit per event (baseline)" >&2
BASELINE=$(ingest_run 1)

echo "== outbox drain to a local fake CRM" >&2
DRAIN='{"drain_per_s": null, "rss_queued_mb": null}'
if [ -x "$PWD/target/release/drainbench" ]; then
    DRAIN_LINE=$("$PWD/target/release/drainbench" 2>>"$OUT/server.log" | tail -1)
    DRAIN=$(python3 -c "import json,sys; print(json.dumps({k: float(v) for k, v in (p.split('=') for p in sys.argv[1].split())}))" "$DRAIN_LINE")
fi

BINARY_BYTES=$(stat -c %s "$BIN")

python3 - "$OUT/bench.json" <<EOF
import json, sys
pairs, half = json.loads('''$PAIRS'''), json.loads('''$HALF''')
full, ngx = pairs["full"], pairs["nginx"]
ngx_half = json.loads('''$NGINX_HALF''')
floor, floor_half = pairs["floor"], json.loads('''$FLOOR_HALF''')
ing, base = json.loads('''$INGEST'''), json.loads('''$BASELINE''')
pages, mixed, slow = json.loads('''$PAGES'''), json.loads('''$MIXED'''), json.loads('''$SLOW''')
world = json.loads('''$WORLD''')
direct = json.loads('''$DIRECT''')
draining = json.loads('''$DRAINING''')
noreports, noreports_ingest = json.loads('''$NOREPORTS'''), json.loads('''$NOREPORTS_INGEST''')
mixed_ingest, mixed_reports = json.loads('''$MIXED_INGEST'''), json.loads('''$MIXED_REPORTS''')
drain = json.loads('''$DRAIN''')
fig = {
    "contacts": $CONTACTS, "numbers": $NUMBERS, "connections": $CONNECTIONS, "seconds": $RUN_SECONDS,
    "cores": $(nproc), "db_mb": $DB_MB, "db_cached_pct": $DB_CACHED_PCT, "db_warm_pct": $DB_WARM_PCT,
    "proactive_reclaim": $( [ "$RECLAIM" = true ] && echo True || echo False ),
    "lookups_per_s": round(full["rate"]), "lookup_p50_ms": full["p50_us"] / 1000, "lookup_p99_ms": full["p99_us"] / 1000,
    "lookup_errors": pairs["errors"],
    "lookups_per_s_runs": pairs["full_rates"], "nginx_static_per_s_runs": pairs["nginx_rates"],
    "lookup_server_cpu_us": pairs["cpu_us"],
    "direct_lookup_us": direct["us_per_lookup"], "direct_lookup_errors": direct["failed"],
    "half_load_per_s": round(half["rate"]), "half_load_p99_ms": half["p99_us"] / 1000,
    "half_load_server_cpu_us": $HALF_CPU_US, "half_load_cpu_idle_pct": $HALF_IDLE,
    "half_load_switches_per_lookup": $HALF_SWITCHES,
    "nginx_half_load_cpu_us": $NGINX_HALF_CPU_US, "nginx_half_load_switches_per_request": $NGINX_HALF_SWITCHES,
    "nginx_static_per_s": round(ngx["rate"]), "ratio_to_nginx": pairs["ratio"],
    "nginx_half_load_p99_ms": ngx_half["p99_us"] / 1000, "nginx_half_load_cpu_idle_pct": $NGINX_HALF_IDLE,
    "tiny_http_alone_per_s": round(floor["rate"]), "tiny_http_alone_per_s_runs": pairs["floor_rates"],
    "tiny_http_alone_cpu_us": pairs["floor_cpu_us"], "tiny_http_alone_ratio_to_nginx": pairs["floor_ratio"],
    "tiny_http_alone_errors": pairs["floor_errors"],
    "tiny_http_alone_half_load_p99_ms": floor_half["p99_us"] / 1000,
    "tiny_http_alone_half_load_cpu_us": $FLOOR_HALF_CPU_US,
    "tiny_http_alone_half_load_switches_per_request": $FLOOR_HALF_SWITCHES,
    "tiny_http_alone_half_load_cpu_idle_pct": $FLOOR_HALF_IDLE,
    "idle_rss_mb": round($IDLE_RSS_KB / 1024, 1), "loaded_rss_mb": round($LOADED_RSS_KB / 1024, 1),
    "binary_mib": round($BINARY_BYTES / 1048576, 2), "cold_start_ms": $COLD_MS,
    "ingest_events_per_s": round(ing["rate"]), "ingest_p99_ms": ing["p99_us"] / 1000,
    "ingest_errors": ing["errors"] + ing["non_2xx"],
    "baseline_events_per_s": round(base["rate"]), "ingest_ratio": round(ing["rate"] / max(base["rate"], 1), 1),
    "calls": $CALLS_NOW,
    "calllog_p50_ms": pages["calllog"]["p50"], "calllog_p95_ms": pages["calllog"]["p95"],
    "calllog_filtered_p95_ms": pages["calllog_filtered"]["p95"], "calllog_search_p95_ms": pages["calllog_search"]["p95"],
    "calllog_name_p50_ms": pages["calllog_name"]["p50"], "calllog_name_p95_ms": pages["calllog_name"]["p95"],
    "contacts_name_p50_ms": pages["contacts_name"]["p50"], "contacts_name_p95_ms": pages["contacts_name"]["p95"],
    "pages_disk_mb": {k: v.get("disk_mb") for k, v in pages.items()},
    "report_p50_ms": pages["report_employee"]["p50"], "report_p95_ms": pages["report_employee"]["p95"],
    "report_contact_p95_ms": pages["report_contact"]["p95"],
    "noreports_lookup_p99_ms": noreports["p99_us"] / 1000, "noreports_ingest_per_s": round(noreports_ingest["rate"]),
    "noreports_cpu_idle_pct": $NOREPORTS_IDLE, "mixed_cpu_idle_pct": $MIXED_IDLE,
    "mixed_lookup_p99_ms": mixed["p99_us"] / 1000, "mixed_lookup_per_s": round(mixed["rate"]),
    "mixed_ingest_per_s": round(mixed_ingest["rate"]), "mixed_reports": mixed_reports["reports"],
    "draining_lookup_p99_ms": draining["p99_us"] / 1000, "draining_lookup_per_s": round(draining["rate"]),
    "drained_to_slow_crm": $DRAINED, "draining_errors": draining["errors"] + draining["non_2xx"],
    "mixed_errors": mixed["errors"] + mixed["non_2xx"] + mixed_ingest["errors"] + mixed_ingest["non_2xx"]
        + noreports["errors"] + noreports["non_2xx"] + noreports_ingest["errors"] + noreports_ingest["non_2xx"],
    "slow_clients_lookup_p99_ms": slow["p99_us"] / 1000, "slow_clients_lookup_per_s": round(slow["rate"]),
    "slow_clients_threads": $SLOW_THREADS, "slow_clients_rss_mb": round($SLOW_RSS_KB / 1024, 1),
    "held_connections_rss_mb": round(($HELD_RSS_KB - $PRE_SLOW_RSS_KB) / 1024, 1),
    "slow_clients_errors": slow["errors"] + slow["non_2xx"],
    "world_regions": $WORLD_REGIONS, "world_lookup_per_s": round(world["rate"]),
    "world_errors": world["errors"] + world["non_2xx"],
    "world_rss_before_mb": round($PRE_WORLD_RSS_KB / 1024, 1), "world_rss_mb": round($WORLD_RSS_KB / 1024, 1),
    "drain_per_s": drain.get("drain_per_s"), "drain_rss_queued_mb": drain.get("rss_queued_mb"),
    # The slowest answer of each second of the paced rows: one bad second is a stall, many a slow server.
    # nginx's at the same half load are what this machine and the load generator add to any server.
    "max_ms_by_second": {
        name: [round(us / 1000, 1) for us in run.get("max_us_by_second", [])]
        for name, run in (("half_load", half), ("nginx_half_load", ngx_half),
                          ("tiny_http_alone_half_load", floor_half),
                          ("noreports", noreports), ("mixed", mixed),
                          ("draining", draining), ("slow_clients", slow))
    },
}
json.dump(fig, open(sys.argv[1], "w"), indent=2)


def disk(page):
    """What the server read from the disk during a page row: the kernel may have evicted the pages a
    row reads first (see the reclaim note above the table), and those reads set its p95."""
    mb = fig["pages_disk_mb"].get(page)
    return "" if mb is None else f"; {mb} MB read from disk"


rows = [
    (f'lookups/s (64 keep-alive connections; the median of 3 runs, {min(fig["lookups_per_s_runs"]):,}–{max(fig["lookups_per_s_runs"]):,})', f'{fig["lookups_per_s"]:,}', "≥ 30,000"),
    (f'lookup p50 / p99 at full load (server CPU {fig["lookup_server_cpu_us"]} µs a lookup)', f'{fig["lookup_p50_ms"]:.2f} / {fig["lookup_p99_ms"]:.2f} ms', ""),
    ("the same lookups in one thread, without HTTP (this machine's store and number work today)", f'{fig["direct_lookup_us"]} µs a lookup; the server adds {fig["lookup_server_cpu_us"] - fig["direct_lookup_us"]:.1f} µs' + (f' ({fig["direct_lookup_errors"]} failed)' if fig["direct_lookup_errors"] else ''), ""),
    (f'nginx static file, same load (each run right after one of ringbook\'s; median of 3, {min(fig["nginx_static_per_s_runs"]):,}–{max(fig["nginx_static_per_s_runs"]):,})', f'{fig["nginx_static_per_s"]:,}/s', ""),
    ("ratio to nginx (the median of the 3 pairs' ratios)", f'{fig["ratio_to_nginx"]:.2f}', "≥ 0.5"),
    (f'tiny_http alone, the same requests (ringbook\'s HTTP server and workers with no lookup behind them; median of 3, {min(fig["tiny_http_alone_per_s_runs"]):,}–{max(fig["tiny_http_alone_per_s_runs"]):,}; server CPU {fig["tiny_http_alone_cpu_us"]} µs a request)', f'{fig["tiny_http_alone_per_s"]:,}/s, {fig["tiny_http_alone_ratio_to_nginx"]:.2f}× nginx' + (f' ({fig["tiny_http_alone_errors"]} errors)' if fig["tiny_http_alone_errors"] else ''), ""),
    (f'lookup p99 at half load ({fig["half_load_per_s"]:,}/s; server CPU {fig["half_load_server_cpu_us"]} µs and {fig["half_load_switches_per_lookup"]} thread switches a lookup, CPU idle {fig["half_load_cpu_idle_pct"]}%)', f'{fig["half_load_p99_ms"]:.2f} ms', "≤ 1 ms"),
    (f'nginx p99 at the same paced half load (this machine\'s floor; {fig["nginx_half_load_cpu_us"]} µs and {fig["nginx_half_load_switches_per_request"]} switches a request, CPU idle {fig["nginx_half_load_cpu_idle_pct"]}%)', f'{fig["nginx_half_load_p99_ms"]:.2f} ms', ""),
    (f'tiny_http alone p99 at the same half load ({fig["tiny_http_alone_half_load_cpu_us"]} µs and {fig["tiny_http_alone_half_load_switches_per_request"]} switches a request, CPU idle {fig["tiny_http_alone_half_load_cpu_idle_pct"]}%)', f'{fig["tiny_http_alone_half_load_p99_ms"]:.2f} ms', ""),
    ("idle RSS", f'{fig["idle_rss_mb"]} MB', "≤ 20 MB"),
    ("loaded RSS (peak)", f'{fig["loaded_rss_mb"]} MB', "≤ 80 MB"),
    ("stripped binary", f'{fig["binary_mib"]} MiB', "≤ 10 MiB"),
    ("cold start to first lookup", f'{fig["cold_start_ms"]} ms', "≤ 200 ms"),
    ("lookup errors", str(fig["lookup_errors"]), "0"),
    ("durable ingest events/s (group commit)", f'{fig["ingest_events_per_s"]:,} (p99 {fig["ingest_p99_ms"]:.1f} ms)', "≥ 10,000"),
    ("one commit per event (baseline)", f'{fig["baseline_events_per_s"]:,}/s', ""),
    ("group commit / baseline", f'{fig["ingest_ratio"]}×', "≥ 20×"),
    ("ingest errors", str(fig["ingest_errors"]), "0"),
    (f'lookup p99 at half load + {fig["noreports_ingest_per_s"]:,} events/s, no reports (CPU idle {fig["noreports_cpu_idle_pct"]}%)', f'{fig["noreports_lookup_p99_ms"]:.2f} ms', ""),
    (f'lookup p99 under mixed load ({fig["mixed_lookup_per_s"]:,} lookups/s + {fig["mixed_ingest_per_s"]:,} events/s + {fig["mixed_reports"]} weekly reports; CPU idle {fig["mixed_cpu_idle_pct"]}%)', f'{fig["mixed_lookup_p99_ms"]:.2f} ms', "≤ 20 ms"),
    ("mixed-load errors", str(fig["mixed_errors"]), "0"),
    (f'lookup p99 at half load while {fig["drained_to_slow_crm"]:,} outbox rows drain to a slow CRM (50 ms an answer)', f'{fig["draining_lookup_p99_ms"]:.2f} ms', "as at half load"),
    (f'call-log page, {fig["calls"]:,} calls (server p50 / p95)', f'{fig["calllog_p50_ms"]} / {fig["calllog_p95_ms"]} ms', "≤ 20 ms"),
    ("call log filtered / searched (server p95)", f'{fig["calllog_filtered_p95_ms"]} / {fig["calllog_search_p95_ms"]} ms', "≤ 20 ms"),
    (f'call log searched by name, {fig["contacts"]:,} contacts (server p50 / p95{disk("calllog_name")})', f'{fig["calllog_name_p50_ms"]} / {fig["calllog_name_p95_ms"]} ms', "≤ 20 ms"),
    (f'contact search by name, {fig["contacts"]:,} contacts (server p50 / p95{disk("contacts_name")})', f'{fig["contacts_name_p50_ms"]} / {fig["contacts_name_p95_ms"]} ms', "≤ 20 ms"),
    ("weekly report by employee (server p50 / p95)", f'{fig["report_p50_ms"]} / {fig["report_p95_ms"]} ms', "≤ 100 ms"),
    ("weekly report by contact (server p95)", f'{fig["report_contact_p95_ms"]} ms', "≤ 100 ms"),
    ("lookup p99 at 5,000/s with 500 idle + slowloris connections", f'{fig["slow_clients_lookup_p99_ms"]:.2f} ms ({fig["slow_clients_threads"]} threads; the 500 connections cost {fig["held_connections_rss_mb"]} MB, RSS {fig["slow_clients_rss_mb"]} MB)', "≤ 10 ms"),
    (f'lookups of one example number from each of {fig["world_regions"]} regions (memory once all are seen)', f'{fig["world_lookup_per_s"]:,}/s, {fig["world_errors"]} errors, RSS {fig["world_rss_before_mb"]} → {fig["world_rss_mb"]} MB', "MemoryMax 512 MB"),
    ("outbox drain to a local fake CRM", "not measured" if fig["drain_per_s"] is None else f'{fig["drain_per_s"]:,.0f} calls/s (RSS {fig["drain_rss_queued_mb"]} MB with 100k queued)', "≥ 1,000/s"),
]
print(f'ringbook benchmark: {fig["contacts"]:,} contacts, {fig["numbers"]:,} numbers, {fig["connections"]} connections, {fig["seconds"]} s per run\n')
cached = "unknown" if fig["db_cached_pct"] is None else f'{fig["db_cached_pct"]}%'
warm = "unknown" if fig["db_warm_pct"] is None else f'{fig["db_warm_pct"]}%'
print(f'{fig["cores"]} cores; {cached} of the {fig["db_mb"]:,} MB database in the OS page cache at the start, {warm} after reading it once.'
      + (" This kernel pages out memory left idle for a while (DAMON reclaim), so a page row for data"
         " not read recently includes disk reads." if fig["proactive_reclaim"] else "") + "\n")
print("| measure | result | target |\n|---|---|---|")
for r in rows:
    print(f"| {r[0]} | {r[1]} | {r[2]} |")
EOF
