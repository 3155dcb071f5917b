"""The staff's side of scripts/soak.sh: browse ringbook's pages and log in again and again.

    browse.py ADDR USER PASSWORD SECONDS

One logged-in browser walks the call log, the missed calls, both weekly reports and the contacts
for SECONDS, and every 5 seconds LOGINS browsers log in at once, each on its own connection, so the
logins land on different workers (a login's password hash is the largest block of memory ringbook
asks for). Prints one JSON object: pages and logins done, and the requests that failed.
"""
import http.client
import json
import re
import sys
import threading
import time
import urllib.parse

addr, user, password, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
LOGINS = 4
host, port = addr.rsplit(":", 1)
failed = []


class Browser:
    def __init__(self):
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)
        self.jar = {}

    def request(self, method, path, body=None, headers=None):
        h = dict(headers or {})
        if self.jar:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        self.conn.request(method, path, body=body, headers=h)
        r = self.conn.getresponse()
        data = r.read()
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                self.jar[name.strip()] = rest.split(";", 1)[0]
        return r, data

    def login(self):
        _, page = self.request("GET", "/login")
        csrf = re.search(rb'name="csrf" value="([^"]+)"', page).group(1).decode()
        body = urllib.parse.urlencode({"csrf": csrf, "name": user, "password": password})
        r, _ = self.request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded"})
        if r.status != 303:
            failed.append(f"login answered {r.status}")
        return self


def login_once():
    try:
        Browser().login().conn.close()
    except Exception as e:  # a refused or dropped connection is a failure to report, not to hide
        failed.append(f"login: {e}")


PAGES = ["/calls", "/calls/missed", "/reports", "/reports?by=contact", "/contacts", "/contacts?q=M%C3%BCller", "/calls?q=Schmidt", "/"]
staff = Browser().login()
pages = logins = 0
end = time.monotonic() + seconds
next_logins = time.monotonic()
while time.monotonic() < end:
    if time.monotonic() >= next_logins:
        threads = [threading.Thread(target=login_once) for _ in range(LOGINS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        logins += LOGINS
        next_logins += 5
    path = PAGES[pages % len(PAGES)]
    try:
        r, _ = staff.request("GET", path)
        if r.status != 200:
            failed.append(f"{path} answered {r.status}")
    except Exception as e:
        failed.append(f"{path}: {e}")
        staff = Browser().login()
    pages += 1
    time.sleep(0.1)
print(json.dumps({"pages": pages, "logins": logins, "failed": len(failed), "first_failures": failed[:5]}))
