#!/usr/bin/env python3
"""The web UI over a large installation: server time of the daily pages, and first
contentful paint in headless Chromium.

    cargo bench --bench search -- --tickets 1000000 --data-dir /var/tmp/sb1m   # once
    cargo build --release
    python3 contrib/bench/web.py /var/tmp/sb1m/ticketd.sqlite3 [WORK_DIR]

The database is copied into WORK_DIR (default /var/tmp/ticketd-web-bench) and left there;
the original is not touched. ticketd serves its 50 queues with the web UI on a free port;
staff-1@tickets.example gets a password, and ticket 1 gets comments until its history
holds 200 transactions (the issue's "ticket display with 200 transactions").

Server time is the time from sending a request to the last byte of its answer over
localhost, with a logged-in session, each page RUNS times after a warm-up; the table
gives the median and the 90th percentile. First contentful paint is read from the
browser's own Performance API (`first-contentful-paint`) for each page loaded fresh in
headless Chromium driven through chromedriver's WebDriver API (python3's standard library
only: no selenium needed). Needs /usr/bin/chromium and /usr/bin/chromedriver for that
part; without them it is skipped and says so.
"""

import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request

RUNS = int(os.environ.get("RUNS", "21"))
BIN = os.environ.get("BIN_DIR", "target/release")
PASSWORD = "bench-password-1"
STAFF = "staff-1@tickets.example"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup(source, work):
    os.makedirs(f"{work}/data", exist_ok=True)
    shutil.copy(source, f"{work}/data/ticketd.sqlite3")
    for suffix in ("-wal", "-shm"):
        try:
            os.remove(f"{work}/data/ticketd.sqlite3{suffix}")
        except FileNotFoundError:
            pass
    port = free_port()
    lines = [
        f'[server]\ndata_dir = "{work}/data"\nsearch_time_limit_secs = 60\n',
        f'[mail]\ntag = "bench.test"\nfrom = "tickets@bench.test"\noutbound = "file:{work}/outgoing"\n',
        f'[web]\nlisten = "127.0.0.1:{port}"\npublic_url = "http://127.0.0.1:{port}"\n',
    ]
    for n in range(50):
        lines.append(
            f'[[queues]]\nname = "queue-{n}"\naddress = "queue-{n}@tickets.example"\n'
            f'comment_address = "queue-{n}-comment@tickets.example"\n'
        )
    with open(f"{work}/ticketd.toml", "w") as f:
        f.write("\n".join(lines))
    return port


def tkt(socket_path, *args, stdin=None):
    return subprocess.run(
        [f"{BIN}/tkt", "--url", f"unix:{socket_path}", "--timeout", "3600", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


class Session:
    """A logged-in browser-less session: the cookie, sent by hand."""

    def __init__(self, port):
        self.port = port
        conn = http.client.HTTPConnection("127.0.0.1", port)
        body = urllib.parse.urlencode({"user": STAFF, "password": PASSWORD})
        conn.request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded"})
        answer = conn.getresponse()
        answer.read()
        cookie = answer.getheader("Set-Cookie") or ""
        if answer.status != 303 or "ticketd_session=" not in cookie:
            sys.exit(f"login failed: {answer.status} {cookie!r}")
        self.cookie = cookie.split(";")[0]
        self.conn = http.client.HTTPConnection("127.0.0.1", port)

    def get(self, path):
        started = time.perf_counter()
        self.conn.request("GET", path, headers={"Cookie": self.cookie})
        answer = self.conn.getresponse()
        body = answer.read()
        took = (time.perf_counter() - started) * 1000
        if answer.status != 200:
            sys.exit(f"GET {path}: {answer.status}\n{body[:500]!r}")
        return took, len(body)


def server_times(session, pages):
    rows = []
    for name, path in pages:
        session.get(path)  # warm-up
        times = sorted(session.get(path)[0] for _ in range(RUNS))
        size = session.get(path)[1]
        p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
        rows.append((name, statistics.median(times), p90, size))
    return rows


def webdriver(port, method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request(method, path, json.dumps(body) if body is not None else None, {"Content-Type": "application/json"})
    answer = json.loads(conn.getresponse().read() or b"{}")
    return answer.get("value")


def first_paints(web_port, pages):
    if not (os.path.exists("/usr/bin/chromium") and os.path.exists("/usr/bin/chromedriver")):
        print("SKIPPED: first contentful paint needs /usr/bin/chromium and /usr/bin/chromedriver")
        return []
    driver_port = free_port()
    driver = subprocess.Popen(
        ["/usr/bin/chromedriver", f"--port={driver_port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", driver_port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        caps = {
            "capabilities": {
                "alwaysMatch": {
                    "goog:chromeOptions": {
                        "binary": "/usr/bin/chromium",
                        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                 "--window-size=1280,900"],
                    }
                }
            }
        }
        session = webdriver(driver_port, "POST", "/session", caps)["sessionId"]
        base = f"http://127.0.0.1:{web_port}"
        go = lambda url: webdriver(driver_port, "POST", f"/session/{session}/url", {"url": url})
        run = lambda script: webdriver(driver_port, "POST", f"/session/{session}/execute/sync",
                                       {"script": script, "args": []})
        go(f"{base}/login")
        run(f"document.querySelector('input[name=user]').value = {json.dumps(STAFF)};"
            f"document.querySelector('input[name=password]').value = {json.dumps(PASSWORD)};"
            "document.querySelector('form#login').submit();")
        time.sleep(1)
        rows = []
        for name, path in pages:
            paints = []
            for _ in range(max(5, RUNS // 3)):
                go(f"{base}{path}")
                for _ in range(50):
                    fcp = run("const e = performance.getEntriesByName('first-contentful-paint')[0];"
                              "return e ? e.startTime : null;")
                    if fcp is not None:
                        paints.append(fcp)
                        break
                    time.sleep(0.05)
            rows.append((name, statistics.median(paints) if paints else float("nan")))
        webdriver(driver_port, "DELETE", f"/session/{session}")
        return rows
    finally:
        driver.terminate()
        driver.wait()


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    source = sys.argv[1]
    work = sys.argv[2] if len(sys.argv) > 2 else "/var/tmp/ticketd-web-bench"
    port = setup(source, work)
    socket_path = f"{work}/data/ticketd.sock"
    log = open(f"{work}/ticketd.log", "w")
    daemon = subprocess.Popen([f"{BIN}/ticketd", "--config", f"{work}/ticketd.toml"], stdout=log, stderr=log)
    try:
        while not os.path.exists(socket_path):
            if daemon.poll() is not None:
                sys.exit(f"ticketd stopped; see {work}/ticketd.log")
            time.sleep(0.1)
        tkt(socket_path, "user", "password", STAFF, stdin=PASSWORD + "\n")
        history = json.loads(tkt(socket_path, "show", "1", "--json"))["transactions"]
        for n in range(len(history), 200):
            tkt(socket_path, "comment", "1", "-m", f"Bench comment {n}.\n\n> a quoted line\n> another\n")
        session = Session(port)
        ticket = 1
        pages = [
            ("home (at a glance)", "/"),
            ("ticket display, 200 transactions", f"/ticket/{ticket}"),
            ("search results: a queue's active tickets", "/search?" + urllib.parse.urlencode(
                {"q": "Queue = 'queue-3' AND Status = '__Active__' ORDER BY Priority DESC"})),
            ("search results: the simple search `server`", "/search?q=server"),
            ("reply form quoting a message", f"/ticket/{ticket}/update?action=correspond&quote={history[0]['id']}"),
        ]
        print(f"tickets: {tkt(socket_path, 'report', '', '--by', 'Status').strip()}")
        print(f"\nserver time, {RUNS} runs each (ms)\n")
        print("| page | median | p90 | bytes |\n|---|---|---|---|")
        for name, median, p90, size in server_times(session, pages):
            print(f"| {name} | {median:.1f} | {p90:.1f} | {size} |")
        paints = first_paints(port, pages[:3])
        if paints:
            print("\nfirst contentful paint in headless Chromium (ms, median)\n")
            print("| page | FCP |\n|---|---|")
            for name, fcp in paints:
                print(f"| {name} | {fcp:.0f} |")
    finally:
        daemon.terminate()
        daemon.wait()


if __name__ == "__main__":
    main()
