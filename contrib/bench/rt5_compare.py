#!/usr/bin/env python3
"""RT 5 against ticketd: server time of the ticket display and the search results page,
on the same machine, with the same tickets in both.

    apt-get install -y request-tracker5 rt5-db-sqlite rt5-standalone   # once, as root; see below
    python3 contrib/bench/rt5_compare.py [--tickets 2000] [--runs 11] [--work /var/tmp/rt5bench]

Needs: root (RT's packaged files are root's), Debian 12's request-tracker5 (RT 5.0.3) with
rt5-db-sqlite and rt5-standalone (which brings Starlet), ticketd's release binaries
(ticketd and tkt; BIN_DIR, default WORK/bin, falling back to target/release) and python3
(standard library only). The apt install asks debconf questions; to keep it
non-interactive, preseed them first (the packaged database it makes is not used here):

    echo 'request-tracker5 request-tracker5/dbconfig-install boolean true
    request-tracker5 request-tracker5/database-type select sqlite3' | debconf-set-selections
    DEBIAN_FRONTEND=noninteractive apt-get install -y request-tracker5 rt5-db-sqlite rt5-standalone

What it does (everything lives under WORK, except the mbox files RT writes into its
packaged VarPath /var/lib/request-tracker5; nothing in /etc is changed):

1. Makes the data once, from a fixed seed, into WORK/data.json: TICKETS tickets over 10
   queues (queue-1 .. queue-10), subjects and bodies of random words, 200 customers as
   requestors, about half new, a fifth open, the rest resolved; ticket 1 gets 99 replies
   and 99 comments, so that with its Create and the automatic new -> open it holds 200
   transactions in both systems.
2. ticketd: WORK/ticketd (config, data dir); loads the data through `tkt` over the socket
   as root, and makes staff-1@tickets.example a privileged user with a password.
3. RT 5: WORK/rt (RT_SiteConfig.pm, SQLite database rtdb, Mason cache, sessions), chosen
   with RT_SITE_CONFIG / RT_SITE_CONFIG_DIR; `rt-setup-database-5 --action init`, then a
   Perl loader (WORK/rt/load.pl, RT's own API, the scrips running as usual) makes the
   same queues, tickets, statuses and history, and a privileged user staff-1 holding the
   same global rights ticketd's default grants give privileged staff (not SuperUser). RT
   sends its mail to an mbox file (MailCommand 'mbox') and does not record outgoing mail
   as transactions (RecordOutgoingEmail 0), so ticket 1's history is the same 200 entries.
   Loading RT takes minutes (about 0.25 s a ticket on 2 cores); both loads are skipped when
   WORK already holds them (delete WORK/ticketd or WORK/rt to redo one).
4. Serves RT with its packaged rt-server, i.e. Plack with Starlet (prefork), deployment
   environment, 2 workers and keep-alive; ticketd with [web] on a free port.
5. Logs in to each over HTTP as staff-1 and times, interleaved (RT then ticketd, run by run,
   so both see the same machine load), each page RUNS times after WARMUP requests:
   - RT /Ticket/Display.html?id=1 against ticketd /ticket/1. RT's default ShowHistory is
     'delay': Display.html comes without the history, which the browser then fetches from
     /Helpers/TicketHistory?id=1; both are timed, and their sum is the comparable number.
   - RT /Search/Results.html?Query=Queue = 'queue-1' AND Status = '__Active__' against
     ticketd /search?q=<the same TicketSQL>; both show the first page of 50 rows, each in
     its default columns and order (RT also counts all hits for its "Found N tickets").
   - The same two again logged in to RT as root (SuperUser, which skips RT's rights checks).
   Server time is from sending the request to the last byte of the answer over localhost.
   Server CPU time is what the server's processes and threads used meanwhile, read from
   /proc/*/task/*/schedstat of its process group: steadier than wall time when the machine
   is busy with other work. Prints markdown tables: medians, p90s, RT/ticketd ratios and
   page sizes. RT and ticketd are stopped at the end, also on errors.
"""

import argparse
import http.client
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse

RT_SERVER = "/usr/share/request-tracker5/libexec/rt-server"
RT_SETUP = "/usr/sbin/rt-setup-database-5"
RT_LIB = "/usr/share/request-tracker5/lib"
QUEUES = 10
CUSTOMERS = 200
HISTORY = 198  # replies and comments on ticket 1: + Create + the new -> open = 200
STAFF = "staff-1@tickets.example"  # ticketd's login; RT's is "staff-1" with this email
PASSWORD = "bench-password-1"
QUERY = "Queue = 'queue-1' AND Status = '__Active__'"
WARMUP = 10  # RT's Starlet workers compile Mason components on first use

WORDS = """
account address agent alert answer archive backup bandwidth battery billing boot branch
browser budget build cable cache calendar camera certificate change channel charge client
cluster config connection contract cookie copy cost crash customer dashboard data database
deadline delivery desk device disk display document domain download driver email error
export fail fault feature file firewall folder form gateway group hardware header help
host image import install invoice issue keyboard laptop latency license link login mail
manager memory message meeting migration mobile modem monitor mouse network notice office
order outage package password patch payment permission phone policy port power printer
problem profile project proxy queue quota record refund release remote report request
reset restore router schedule screen script search server service session setup share
signal software space speed storage subscription support switch system ticket timeout
token traffic update upgrade upload user version video virtual voice volume vpn warning
website wifi window wireless account slow broken missing again today urgent please
cannot still after before when since every always never maybe quickly new old other
""".split()


def words(rng, low, high):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


def make_data(path, tickets, seed=5):
    """The tickets, the same for both systems: JSON, so the Perl loader can read it too."""
    rng = random.Random(seed)
    data = {"queues": [f"queue-{n}" for n in range(1, QUEUES + 1)], "tickets": [], "history": []}
    for i in range(1, tickets + 1):
        roll = rng.random()
        status = "new" if roll < 0.5 or i == 1 else "open" if roll < 0.7 else "resolved"
        body = "\n\n".join(words(rng, 10, 40) + "." for _ in range(rng.randint(1, 4)))
        data["tickets"].append({
            "queue": f"queue-{(i - 1) % QUEUES + 1}",
            "subject": words(rng, 4, 9).capitalize(),
            "requestor": f"customer-{rng.randint(1, CUSTOMERS)}@example.com",
            "body": body + "\n",
            "status": status,
        })
    for n in range(HISTORY):
        text = words(rng, 20, 80).capitalize() + ".\n"
        if n % 3 == 0:
            text = f"> {words(rng, 5, 12)}\n> {words(rng, 5, 12)}\n\n" + text
        data["history"].append({"type": "reply" if n % 2 == 0 else "comment", "text": text})
    with open(path, "w") as f:
        json.dump(data, f)
    return data


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, what, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{what} stopped (exit {proc.returncode}); see its log")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{what} did not listen on {port} within {seconds} s")


def stop(proc):
    """Stop a server we started: its whole process group (Starlet forks its workers)."""
    if proc and proc.poll() is None:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()


# ---------------------------------------------------------------- ticketd

class Ticketd:
    def __init__(self, work, bin_dir):
        self.dir = f"{work}/ticketd"
        self.bin = bin_dir
        self.socket = f"{self.dir}/data/ticketd.sock"
        self.port = free_port()
        self.proc = None

    def tkt(self, *args, stdin=None):
        return subprocess.run(
            [f"{self.bin}/tkt", "--url", f"unix:{self.socket}", "--timeout", "600", *args],
            input=stdin, capture_output=True, text=True, check=True,
        ).stdout

    def start(self):
        os.makedirs(f"{self.dir}/data", exist_ok=True)
        lines = [
            f'[server]\ndata_dir = "{self.dir}/data"\nsearch_time_limit_secs = 60\n',
            f'[mail]\ntag = "bench.test"\nfrom = "tickets@bench.test"\noutbound = "file:{self.dir}/outgoing"\n'
            'notification_limit_per_hour = 100000\n',
            f'[web]\nlisten = "127.0.0.1:{self.port}"\npublic_url = "http://127.0.0.1:{self.port}"\n',
        ]
        for n in range(1, QUEUES + 1):
            lines.append(f'[[queues]]\nname = "queue-{n}"\naddress = "queue-{n}@tickets.example"\n'
                         f'comment_address = "queue-{n}-comment@tickets.example"\n')
        with open(f"{self.dir}/ticketd.toml", "w") as f:
            f.write("\n".join(lines))
        log = open(f"{self.dir}/ticketd.log", "a")
        self.proc = subprocess.Popen([f"{self.bin}/ticketd", "--config", f"{self.dir}/ticketd.toml"],
                                     stdout=log, stderr=log, start_new_session=True)
        wait_for_port(self.port, self.proc, "ticketd")

    def load(self, data):
        marker = f"{self.dir}/loaded"
        if os.path.exists(marker):
            print(f"ticketd: data already loaded in {self.dir}")
            return
        started = time.time()
        self.tkt("user", "create", STAFF, "--privileged", "--real-name", "Staff One")
        self.tkt("user", "password", STAFF, stdin=PASSWORD + "\n")
        for i, t in enumerate(data["tickets"], 1):
            out = self.tkt("create", "--queue", t["queue"], "--subject", t["subject"],
                           "--requestor", t["requestor"], "-m", t["body"])
            if f"Ticket {i} created" not in out:
                sys.exit(f"ticketd: expected ticket {i}, got {out!r}")
            if t["status"] != "new":
                self.tkt("set", str(i), f"status={t['status']}")
        for h in data["history"]:
            self.tkt("reply" if h["type"] == "reply" else "comment", "1", "-m", h["text"])
        open(marker, "w").close()
        print(f"ticketd: loaded in {time.time() - started:.0f} s")

    def facts(self):
        txns = len(json.loads(self.tkt("show", "1", "--json"))["transactions"])
        return {"ticket 1 transactions": txns}


# ---------------------------------------------------------------- RT 5

RT_LOADER = r"""
use strict; use warnings;
use lib '%(lib)s';
use RT; RT::LoadConfig(); RT::Init();
use JSON::PP;
open my $fh, '<', $ARGV[0] or die $!; local $/; my $data = decode_json(<$fh>); close $fh;
my $system = RT->SystemUser;
my $root = RT::CurrentUser->new($system); $root->Load('root');

for my $name (@{ $data->{queues} }) {
    my $q = RT::Queue->new($system);
    my ($ok, $msg) = $q->Create(Name => $name, CorrespondAddress => "$name\@tickets.example",
                                CommentAddress => "$name-comment\@tickets.example");
    die "queue $name: $msg" unless $ok;
}
my $staff = RT::User->new($system);
my ($uid, $umsg) = $staff->Create(Name => 'staff-1', EmailAddress => '%(staff)s',
    RealName => 'Staff One', Privileged => 1, Password => '%(password)s');
die "staff-1: $umsg" unless $uid;
# The global rights ticketd's default grants give privileged staff.
my $privileged = RT::Group->new($system); $privileged->LoadSystemInternalGroup('Privileged');
for my $right (qw(SeeQueue CreateTicket ShowTicket ShowTicketComments ReplyToTicket
                  CommentOnTicket OwnTicket TakeTicket StealTicket ModifyTicket Watch
                  WatchAsAdminCc ShowTemplate)) {
    my ($ok, $msg) = $privileged->PrincipalObj->GrantRight(Right => $right, Object => RT->System);
    warn "grant $right: $msg\n" unless $ok;
}

my $n = 0;
for my $t (@{ $data->{tickets} }) {
    $n++;
    my $ticket = RT::Ticket->new($root);
    my $mime = MIME::Entity->build(Type => 'text/plain', Charset => 'UTF-8', Data => [ $t->{body} ]);
    my ($id, undef, $msg) = $ticket->Create(Queue => $t->{queue}, Subject => $t->{subject},
        Requestor => [ $t->{requestor} ], MIMEObj => $mime);
    die "ticket $n: $msg" unless $id == $n;
    if ($t->{status} ne 'new') {
        my ($ok, $smsg) = $ticket->SetStatus($t->{status});
        die "ticket $n status: $smsg" unless $ok;
    }
    print STDERR "rt: $n tickets\n" unless $n %% 250;
}
my $one = RT::Ticket->new($root); $one->Load(1);
for my $h (@{ $data->{history} }) {
    my $mime = MIME::Entity->build(Type => 'text/plain', Charset => 'UTF-8', Data => [ $h->{text} ]);
    my ($ok, $msg) = $h->{type} eq 'reply' ? $one->Correspond(MIMEObj => $mime)
                                           : $one->Comment(MIMEObj => $mime);
    die "ticket 1 history: $msg" unless $ok;
}
"""

RT_FACTS = r"""
use strict; use warnings; use lib '%(lib)s';
use RT; RT::LoadConfig(); RT::Init();
my $t = RT::Ticket->new(RT->SystemUser); $t->Load(1);
print $t->Transactions->Count, "\n";
"""


class RT5:
    def __init__(self, work, workers):
        self.dir = f"{work}/rt"
        self.port = free_port()
        self.workers = workers
        self.proc = None
        self.env = dict(os.environ, RT_SITE_CONFIG=f"{self.dir}/RT_SiteConfig.pm",
                        RT_SITE_CONFIG_DIR=f"{self.dir}/RT_SiteConfig.d")

    def configure(self):
        for sub in ("RT_SiteConfig.d", "log", "mason_data", "sessions"):
            os.makedirs(f"{self.dir}/{sub}", exist_ok=True)
        with open(f"{self.dir}/RT_SiteConfig.pm", "w") as f:
            f.write(f"""# Written by contrib/bench/rt5_compare.py
Set($rtname, 'bench.test');
Set($Organization, 'bench.test');
Set($CorrespondAddress, 'rt@bench.test');
Set($CommentAddress, 'rt-comment@bench.test');
Set($Timezone, 'UTC');
Set($DatabaseType, 'SQLite');
Set($DatabaseName, '{self.dir}/rtdb');
Set($WebDomain, '127.0.0.1');
Set($WebPort, {self.port});
Set($WebPath, '');
Set($WebBaseURL, 'http://127.0.0.1:{self.port}');
Set($LogToSyslog, undef);
Set($LogToFile, undef);
Set($LogToSTDERR, 'warning');
Set($LogDir, '{self.dir}/log');
Set($MailCommand, 'mbox');
Set($RecordOutgoingEmail, 0);
Set($MasonDataDir, '{self.dir}/mason_data');
Set($MasonSessionDir, '{self.dir}/sessions');
1;
""")

    def perl(self, script, *args):
        path = f"{self.dir}/{script[0]}"
        with open(path, "w") as f:
            f.write(script[1] % {"lib": RT_LIB, "staff": STAFF, "password": PASSWORD})
        return subprocess.run(["perl", path, *args], env=self.env, check=True,
                              capture_output=True, text=True).stdout

    def load(self, data_path):
        marker = f"{self.dir}/loaded"
        if os.path.exists(marker):
            print(f"rt: data already loaded in {self.dir}")
            return
        if os.path.exists(f"{self.dir}/rtdb"):
            os.remove(f"{self.dir}/rtdb")
        subprocess.run([RT_SETUP, "--action", "init", "--skip-create"], env=self.env, check=True,
                       stdout=subprocess.DEVNULL)
        started = time.time()
        path = f"{self.dir}/load.pl"
        with open(path, "w") as f:
            f.write(RT_LOADER % {"lib": RT_LIB, "staff": STAFF, "password": PASSWORD})
        subprocess.run(["perl", path, data_path], env=self.env, check=True)
        open(marker, "w").close()
        print(f"rt: loaded in {time.time() - started:.0f} s")

    def start(self):
        log = open(f"{self.dir}/rt-server.log", "a")
        self.proc = subprocess.Popen(
            [RT_SERVER, "--port", str(self.port), "--host", "127.0.0.1",
             "--max-workers", str(self.workers), "--max-keepalive-reqs", "1000"],
            env=self.env, cwd=self.dir, stdout=log, stderr=log, start_new_session=True)
        wait_for_port(self.port, self.proc, "rt-server")

    def facts(self):
        return {"ticket 1 transactions": int(self.perl(("facts.pl", RT_FACTS)).strip())}


# ---------------------------------------------------------------- timing

class Session:
    """A logged-in session over one keep-alive connection; the cookie is sent by hand."""

    def __init__(self, port, login_path, form, cookie_name, server_pid):
        self.port = port
        self.server_pid = server_pid
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.request("POST", login_path, urllib.parse.urlencode(form),
                     {"Content-Type": "application/x-www-form-urlencoded"})
        answer = conn.getresponse()
        answer.read()
        cookie = answer.getheader("Set-Cookie") or ""
        if not cookie.startswith(cookie_name):
            sys.exit(f"login on {port} failed: {answer.status} {cookie!r}")
        self.cookie = cookie.split(";")[0]
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def get(self, path):
        """(wall ms, server CPU ms, body) of one request."""
        cpu = server_cpu_ms(self.server_pid)
        started = time.perf_counter()
        self.conn.request("GET", path, headers={"Cookie": self.cookie})
        answer = self.conn.getresponse()
        body = answer.read()
        took = (time.perf_counter() - started) * 1000
        cpu = server_cpu_ms(self.server_pid) - cpu
        if answer.status != 200:
            sys.exit(f"GET {path} on {self.port}: {answer.status}\n{body[:500]!r}")
        return took, cpu, body


def server_cpu_ms(pgid):
    """CPU time used so far by every thread of every process in a server's process group
    (ticketd's threads; RT's Starlet master and workers), from /proc/*/task/*/schedstat.
    Less disturbed than wall time by other work on the machine."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                if int(f.read().rsplit(")", 1)[1].split()[2]) != pgid:
                    continue
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                    total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total / 1e6


def p90(times):
    times = sorted(times)
    return times[min(len(times) - 1, int(len(times) * 0.9))]


def measure(pairs, runs):
    """pairs: (name, [(session, path), ...] for RT, [(session, path)] for ticketd). A side
    with several requests (RT's page and its delayed history) is timed as their sum."""
    results = []
    for name, rt_reqs, td_reqs in pairs:
        for _ in range(WARMUP):
            for s, p in rt_reqs + td_reqs:
                s.get(p)
        rt, td, parts = {"wall": [], "cpu": []}, {"wall": [], "cpu": []}, [[] for _ in rt_reqs]
        for _ in range(runs):
            for side, reqs in ((rt, rt_reqs), (td, td_reqs)):
                answers = [s.get(p) for s, p in reqs]
                side["wall"].append(sum(a[0] for a in answers))
                side["cpu"].append(sum(a[1] for a in answers))
                if side is rt:
                    for k, a in enumerate(answers):
                        parts[k].append(a[0])
        sizes = (sum(len(s.get(p)[2]) for s, p in rt_reqs), sum(len(s.get(p)[2]) for s, p in td_reqs))
        results.append((name, rt, td, sizes, parts))
    return results


def check_pages(rt, td, search_rt, search_td):
    """That each page shows what it should: the ticket, and the same number of hits."""
    body = rt.get("/Ticket/Display.html?id=1")[2].decode()
    if "<title>#1:" not in body:
        sys.exit("RT's Display.html?id=1 is not ticket 1:\n" + body[:400])
    body = rt.get(search_rt)[2].decode()
    found = re.search(r"<title>Found (\d+) ticket", body)
    rows = set(re.findall(r'href="/ticket/(\d+)"', td.get(search_td)[2].decode()))
    return int(found.group(1)) if found else None, len(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tickets", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", "11")))
    ap.add_argument("--work", default="/var/tmp/rt5bench")
    ap.add_argument("--rt-workers", type=int, default=2)
    args = ap.parse_args()
    if not os.path.exists(RT_SERVER):
        sys.exit(f"{RT_SERVER} is missing: install request-tracker5 rt5-db-sqlite rt5-standalone")
    bin_dir = os.environ.get("BIN_DIR") or (f"{args.work}/bin" if os.path.exists(f"{args.work}/bin/ticketd")
                                             else "target/release")
    os.makedirs(args.work, exist_ok=True)
    data_path = f"{args.work}/data.json"
    if os.path.exists(data_path):
        with open(data_path) as f:
            data = json.load(f)
        if len(data["tickets"]) != args.tickets:
            sys.exit(f"{data_path} holds {len(data['tickets'])} tickets, not {args.tickets}: "
                     f"use another --work or delete it (and the loaded systems)")
    else:
        data = make_data(data_path, args.tickets)

    td, rt = Ticketd(args.work, bin_dir), RT5(args.work, args.rt_workers)
    try:
        td.start()
        td.load(data)
        rt.configure()
        rt.load(data_path)
        rt.start()

        rt_s = Session(rt.port, "/NoAuth/Login.html", {"user": "staff-1", "pass": PASSWORD}, "RT_SID_",
                       rt.proc.pid)
        td_s = Session(td.port, "/login", {"user": STAFF, "password": PASSWORD}, "ticketd_session=",
                       td.proc.pid)
        search_rt = "/Search/Results.html?" + urllib.parse.urlencode({"Query": QUERY})
        search_td = "/search?" + urllib.parse.urlencode({"q": QUERY})
        found_rt, rows_td = check_pages(rt_s, td_s, search_rt, search_td)

        pairs = [
            ("ticket display, 200 transactions (RT: Display.html + its delayed history)",
             [(rt_s, "/Ticket/Display.html?id=1"), (rt_s, "/Helpers/TicketHistory?id=1")],
             [(td_s, "/ticket/1")]),
            ("search results: a queue's active tickets",
             [(rt_s, search_rt)], [(td_s, search_td)]),
        ]
        # The same, logged in to RT as root (SuperUser: RT skips its rights checks).
        rt_root = Session(rt.port, "/NoAuth/Login.html", {"user": "root", "pass": "password"}, "RT_SID_",
                          rt.proc.pid)
        pairs += [
            ("ticket display as RT's root (SuperUser)",
             [(rt_root, "/Ticket/Display.html?id=1"), (rt_root, "/Helpers/TicketHistory?id=1")],
             [(td_s, "/ticket/1")]),
            ("search results as RT's root (SuperUser)", [(rt_root, search_rt)], [(td_s, search_td)]),
        ]
        load_before = os.getloadavg()
        results = measure(pairs, args.runs)
        load_after = os.getloadavg()
        facts = (rt.facts(), td.facts())
    finally:
        stop(rt.proc)
        stop(td.proc)

    active = sum(1 for t in data["tickets"] if t["queue"] == "queue-1" and t["status"] != "resolved")
    print(f"\n{args.tickets} tickets over {QUEUES} queues; queue-1 has {active} active tickets "
          f"(RT's search found {found_rt}; ticketd's page lists {rows_td} ticket links); "
          f"ticket 1 transactions: RT {facts[0]['ticket 1 transactions']}, "
          f"ticketd {facts[1]['ticket 1 transactions']}")
    print(f"RT 5: rt-server (Plack + Starlet, {args.rt_workers} workers), SQLite; "
          f"{args.runs} runs after {WARMUP} warm-ups, interleaved; times in ms; "
          f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}\n")
    print("Server time (request sent to last byte received), ms:\n")
    print("| page | RT 5 median | ticketd median | ratio | RT 5 p90 | ticketd p90 | ratio (p90) |")
    print("|---|---|---|---|---|---|---|")
    for name, rt_t, td_t, sizes, parts in results:
        rm, tm = statistics.median(rt_t["wall"]), statistics.median(td_t["wall"])
        rp, tp = p90(rt_t["wall"]), p90(td_t["wall"])
        print(f"| {name} | {rm:.1f} | {tm:.1f} | {rm / tm:.0f}x | {rp:.1f} | {tp:.1f} | {rp / tp:.0f}x |")
        if len(parts) > 1:
            for label, t in zip(["Display.html alone", "/Helpers/TicketHistory alone"], parts):
                print(f"| &nbsp;&nbsp;RT {label} | {statistics.median(t):.1f} | | | {p90(t):.1f} | | |")
    print("\nServer CPU time per page (all server processes and threads, from /proc), ms, "
          "and page size:\n")
    print("| page | RT 5 CPU median | ticketd CPU median | ratio | bytes RT 5 | bytes ticketd |")
    print("|---|---|---|---|---|---|")
    for name, rt_t, td_t, sizes, parts in results:
        rc, tc = statistics.median(rt_t["cpu"]), statistics.median(td_t["cpu"])
        print(f"| {name} | {rc:.1f} | {tc:.1f} | {rc / tc:.0f}x | {sizes[0]} | {sizes[1]} |")

if __name__ == "__main__":
    main()
