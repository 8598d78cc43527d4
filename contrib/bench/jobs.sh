#!/bin/sh
# The scheduled jobs over a large installation: how long each runs, and how much it delays
# mail arriving while it runs (jobs work in bounded steps in the single writer).
#
#   cargo bench --bench search -- --tickets 1000000 --data-dir /var/tmp/sb1m   # once
#   cargo build --release
#   sh contrib/bench/jobs.sh /var/tmp/sb1m/ticketd.sqlite3 [WORK_DIR]
#   JOBS="owner-digest" sh contrib/bench/jobs.sh ...      # only some jobs
#
# The database is copied into WORK_DIR (default /var/tmp/ticketd-jobs-bench) and left
# there; the original is not touched. Every one of its 50 queues (queue-0 .. queue-49) gets
# an AdminCc, a service level, idle escalation and a stalled policy, so every job has the
# most to do. ticketd runs on a frozen clock a day after the newest ticket. For each job it
# prints the run's duration (from `tkt admin jobs`) and the latency of mailgate deliveries
# made one after another while the job runs, beside the same deliveries with no job.
set -eu

source_db=${1:?usage: jobs.sh DATABASE [WORK_DIR]}
work=${2:-/var/tmp/ticketd-jobs-bench}
bin=${BIN_DIR:-target/release}
mkdir -p "$work/data"
cp "$source_db" "$work/data/ticketd.sqlite3"
rm -f "$work/data/ticketd.sqlite3-wal" "$work/data/ticketd.sqlite3-shm"

newest=$(sqlite3 "$work/data/ticketd.sqlite3" "SELECT MAX(created) FROM tickets")
now=$(date -u -d "$(echo "${newest%Z}" | tr T ' ') UTC + 1 day" +%Y-%m-%dT%H:%M:%SZ)

# SLA due dates for the active tickets of the last 30 days, as ticketd would have set
# them: the `slas` job then has real work (a warning or a breach for each)
sqlite3 "$work/data/ticketd.sqlite3" "UPDATE tickets SET due = strftime('%Y-%m-%dT%H:%M:%SZ', created, '+2 days')
  WHERE status IN ('new', 'open', 'stalled') AND created > strftime('%Y-%m-%dT%H:%M:%SZ', '$newest', '-30 days');"

config="$work/ticketd.toml"
{
    printf '[server]\ndata_dir = "%s/data"\n\n' "$work"
    printf '[mail]\ntag = "bench.test"\nfrom = "tickets@bench.test"\noutbound = "file:%s/outgoing"\n\n' "$work"
    printf '[calendars.office]\nholidays = ["2026-12-25"]\n\n'
    printf '[service_levels.standard]\ncalendar = "office"\nresponse = "4h business"\n'
    printf 'resolve = "5 business days"\nwarn_before = "1h business"\n\n'
    n=0
    while [ $n -lt 50 ]; do
        printf '[[queues]]\nname = "queue-%s"\naddress = "q%s@bench.test"\n' $n $n
        printf 'comment_address = "q%s-comment@bench.test"\n' $n
        printf 'admin_cc = ["lead%s@bench.test"]\nfinal_priority = 90\nservice_level = "standard"\n' $n
        printf '[queues.escalation]\nidle_after = "7 days"\nstep = 10\n'
        printf '[queues.stalled]\nafter = "30 days"\naction = "remind"\n\n'
        n=$((n + 1))
    done
} > "$config"

socket="$work/data/ticketd.sock"
"$bin/ticketd" --config "$config" --now "$now" > "$work/ticketd.log" 2>&1 &
daemon=$!
trap 'kill $daemon 2>/dev/null || true' EXIT
while [ ! -S "$socket" ]; do sleep 0.1; done
tkt() { "$bin/tkt" --url "unix:$socket" --timeout 3600 "$@"; }

ms() { echo $(($(date +%s%N) / 1000000)); }

# deliveries one after another until the file $1 exists; prints count, median, max (ms)
deliver_until() {
    stop=$1
    i=0
    : > "$work/latencies"
    while [ ! -e "$stop" ]; do
        i=$((i + 1))
        start=$(ms)
        printf 'From: load%s@example.net\nTo: q1@bench.test\nSubject: load %s\nMessage-ID: <load.%s.%s@bench>\n\nbody\n' \
            $i $i $i "$start" | "$bin/mailgate" --url "unix:$socket" --queue queue-1 > /dev/null
        echo $(($(ms) - start)) >> "$work/latencies"
    done
    sort -n "$work/latencies" | awk '{a[NR]=$1} END {printf "%d deliveries, median %d ms, max %d ms\n", NR, a[int((NR+1)/2)], a[NR]}'
}

baseline() {
    rm -f "$work/stop"
    (sleep 5; touch "$work/stop") &
    printf '%-16s %s\n' "no job" "$(deliver_until "$work/stop")"
}

baseline
for job in ${JOBS:-slas escalate stalled untaken-digest owner-digest}; do
    rm -f "$work/stop"
    ( tkt admin jobs run "$job" > "$work/run.$job"; touch "$work/stop" ) &
    runner=$!
    load=$(deliver_until "$work/stop")
    wait $runner
    printf '%-16s %s | during: %s\n' "$job" "$(cat "$work/run.$job")" "$load"
done
baseline
echo "log: $work/ticketd.log"
