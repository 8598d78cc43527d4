#!/bin/sh
# The embedded default, end to end: build, start ticketd (data in ./var), hand it one
# message through mailgate as Postfix would, and show the ticket that came out.
# The daemon keeps running afterwards; `kill $(cat var/ticketd.pid)` stops it.
#
# It builds the debug profile, which `cargo test --locked` reuses: a newcomer who runs
# both README commands compiles the dependencies once. `make` builds for production.
set -eu
cd "$(dirname "$0")/.."
for tool in cargo cc; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "quickstart: \`$tool\` is missing: install Rust 1.95 (rustup.rs) and a C compiler (Debian: apt-get install build-essential)" >&2
        exit 1
    fi
done
echo "Building ticketd, mailgate and tkt (the first build compiles every dependency: a few minutes)..."
cargo build --locked --bins
bin=target/debug
url=unix:var/ticketd.sock
mkdir -p var
if ! "$bin/tkt" --url "$url" search 'id = 0' >/dev/null 2>&1; then
    "$bin/ticketd" >>var/ticketd.log 2>&1 &
    echo $! >var/ticketd.pid
    tries=0
    until "$bin/tkt" --url "$url" search 'id = 0' >/dev/null 2>&1; do
        tries=$((tries + 1))
        if [ "$tries" -gt 100 ]; then echo "ticketd did not start; see var/ticketd.log" >&2; exit 1; fi
        sleep 0.1
    done
    echo "ticketd started (pid $(cat var/ticketd.pid)), data in ./var, log in var/ticketd.log"
fi
stamp=$(date +%s%N)
printf 'From: Zoe Example <zoe@example.net>\nTo: general@localhost\nSubject: Printer on fire (%s)\nMessage-ID: <%s@example.net>\n\nThe printer on floor 2 is on fire. Please send help.\n' \
    "$stamp" "$stamp" | "$bin/mailgate" --url "$url" --queue general
echo "mailgate exited $? (0: stored)"
id=$("$bin/tkt" --url "$url" search "Subject LIKE '$stamp'" | awk 'NR == 1 { print $1 }')
"$bin/tkt" --url "$url" show "$id"
echo
echo "The autoreply that went to zoe@example.net is in var/outgoing/:"
ls -t var/outgoing/*.eml | head -n 1
echo
echo "Try: $bin/tkt show $id    $bin/tkt reply $id -m 'On our way.'    $bin/tkt search ''"
echo "Stop the daemon: kill \$(cat var/ticketd.pid)"
