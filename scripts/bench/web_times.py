"""Times ringbook's web pages by their Server-Timing header, for scripts/bench.sh.

    web_times.py ADDR USER PASSWORD MODE [SECONDS]

MODE `pages` logs in and requests each call-log and report page repeatedly, printing one JSON object of
p50/p95 server times in milliseconds. MODE `reports` logs in and requests weekly reports in a loop for
SECONDS (the report half of the mixed load), printing how many it ran.
"""
import http.client
import json
import os
import re
import sys
import time
import urllib.parse

addr, user, password, mode = sys.argv[1:5]
seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 10.0
host, port = addr.rsplit(":", 1)
conn = http.client.HTTPConnection(host, int(port), timeout=60)
jar = {}


def request(method, path, body=None, headers=None):
    h = dict(headers or {})
    if jar:
        h["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    for k, v in r.getheaders():
        if k.lower() == "set-cookie":
            name, _, rest = v.partition("=")
            jar[name.strip()] = rest.split(";", 1)[0]
    return r, data


def server_ms(r):
    m = re.search(r"dur=([0-9.]+)", r.getheader("Server-Timing") or "")
    return float(m.group(1)) if m else None


r, page = request("GET", "/login")
csrf = re.search(rb'name="csrf" value="([^"]+)"', page).group(1).decode()
body = urllib.parse.urlencode({"csrf": csrf, "name": user, "password": password})
r, _ = request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded"})
if r.status != 303:
    sys.exit(f"web_times: login failed with {r.status}")

# Weeks of the past year, so reports don't all read the same pages.
today = time.gmtime()
weeks = []
for back in range(1, 50):
    t = time.gmtime(time.time() - back * 7 * 86400)
    y, w, _ = __import__("datetime").date(t.tm_year, t.tm_mon, t.tm_mday).isocalendar()
    weeks.append(f"{y:04d}-W{w:02d}")

if mode == "reports":
    n = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        r, _ = request("GET", f"/reports?week={weeks[n % len(weeks)]}")
        n += 1
    print(json.dumps({"reports": n}))
    sys.exit(0)


def disk_read():
    """Bytes the server has read from the disk so far (not from the OS page cache), if bench.sh
    named its process: a page row's p95 can be a first read of pages the kernel had evicted."""
    pid = os.environ.get("WEB_TIMES_SERVER_PID")
    if not pid:
        return None
    with open(f"/proc/{pid}/io") as f:
        for line in f:
            if line.startswith("read_bytes:"):
                return int(line.split()[1])
    return None


def measure(paths, rounds):
    before = disk_read()
    times = []
    for i in range(rounds):
        r, _ = request("GET", paths[i % len(paths)])
        if r.status != 200:
            sys.exit(f"web_times: {paths[i % len(paths)]} answered {r.status}")
        ms = server_ms(r)
        if ms is not None:
            times.append(ms)
    times.sort()
    if not times:
        sys.exit("web_times: no Server-Timing header in the answers")
    pick = lambda p: round(times[min(len(times) - 1, int(p * len(times)))], 2)
    after = disk_read()
    disk_mb = None if before is None or after is None else round((after - before) / 1e6, 1)
    return {"p50": pick(0.50), "p95": pick(0.95), "n": len(times), "disk_mb": disk_mb}


out = {
    "calllog": measure(["/calls"], 60),
    # The web form's filters (`dir`, `status`), a status no demo call has (every call is read past
    # unless an index gives that status in time order) among them.
    "calllog_filtered": measure(
        ["/calls?dir=in&status=missed", "/calls?dir=out", "/calls?status=answered&dir=in", "/calls?status=busy"], 60
    ),
    "calllog_search": measure(["/calls?q=0301", "/calls?q=Demo", "/calls?q=%2B4930"], 30),
    # Names: one nobody has (the whole index is asked and nothing found), two words, a common one.
    "calllog_name": measure(["/calls?q=Zyxwvu", "/calls?q=Anna%20Sch", "/calls?q=Bianchi"], 30),
    # The contact search (admin UI; the 3CX template's search runs the same query): a name nobody has,
    # two words, common surnames early and late in the name order (read in name order from their
    # terms), and one letter (a short prefix that matches thousands walks the name order).
    "contacts_name": measure(
        ["/contacts?q=Zyxwvu", "/contacts?q=Anna%20Sch", "/contacts?q=Bianchi", "/contacts?q=Santos", "/contacts?q=m"], 50
    ),
    "report_employee": measure([f"/reports?week={w}" for w in weeks], 30),
    "report_contact": measure([f"/reports?week={w}&by=contact" for w in weeks], 30),
}
print(json.dumps(out))
