#!/bin/sh
# The embedded default, end to end: build, start ticketd (data in ./var), hand it one
# message through mailgate as Postfix would, and show the ticket that came out.
# The daemon keeps running afterwards; `kill $(cat var/ticketd.pid)` stops it.
set -eu
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
bin=target/release
mkdir -p var
if ! "$bin/tkt" --url unix:var/ticketd.sock search 'id = 0' >/dev/null 2>&1; then
    "$bin/ticketd" >>var/ticketd.log 2>&1 &
    echo $! >var/ticketd.pid
    tries=0
    until "$bin/tkt" --url unix:var/ticketd.sock search 'id = 0' >/dev/null 2>&1; do
        tries=$((tries + 1))
        if [ "$tries" -gt 100 ]; then echo "ticketd did not start; see var/ticketd.log" >&2; exit 1; fi
        sleep 0.1
    done
    echo "ticketd started (pid $(cat var/ticketd.pid)), data in ./var, log in var/ticketd.log"
fi
stamp=$(date +%s%N)
printf 'From: Zoe Example <zoe@example.net>\nTo: general@localhost\nSubject: Printer on fire (%s)\nMessage-ID: <%s@example.net>\n\nThe printer on floor 2 is on fire. Please send help.\n' \
    "$stamp" "$stamp" | "$bin/mailgate" --url unix:var/ticketd.sock --queue general
echo "mailgate exited $? (0: stored)"
id=$("$bin/tkt" --url unix:var/ticketd.sock search "Subject LIKE '$stamp'" | awk 'NR == 1 { print $1 }')
"$bin/tkt" --url unix:var/ticketd.sock show "$id"
echo
echo "The autoreply that went to zoe@example.net is in var/outgoing/:"
ls -t var/outgoing/*.eml | head -n 1
