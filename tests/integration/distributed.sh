#!/bin/bash
# Distributed execution with the process scheduler (`wadi run --workers K`):
#  1. results across worker processes (every shuffle crossing TCP) equal the
#     same query in one process, for aggregates and joins;
#  2. workers killed with SIGKILL: the controller recovers the job by itself
#     from its last checkpoint; then a SIGINT stop (final checkpoint) and a
#     resume over three workers at -p 3; the two-phase sinks' output equals
#     an undisturbed run (nothing lost, nothing repeated);
#  3. without checkpoints a lost worker fails the job with the reason;
#  4. garbage sent to the controller's port is refused, the job goes on,
#     and the controller's /metrics has every worker's subtasks;
#  5. bad options are clear errors;
#  6. a blocked sink stalls the sources of the other worker too (credit
#     flow control), counted as backpressure, and the job then completes.
# Usage: distributed.sh WADI_BINARY
set -u
wadi=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
fold=$(cd "$(dirname "$0")/../sql" && pwd)/fold.js
tmp=$(mktemp -d)
trap 'pkill -KILL -P $$ 2>/dev/null; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib/common.sh"
# The worker processes of the controller started under `timeout` as pid $1.
workers_of() { local c; c=$(pgrep -P "$1" | head -1); [ -n "$c" ] && pgrep -P "$c"; }

# ---- 1. the same results in one process and across workers --------------------
cat >"$tmp/q1.sql" <<'EOF'
CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '100000', event_count = '300000',
                           paced = 'false', base_time = '2026-01-01T00:00:00Z');
CREATE VIEW bids AS SELECT bid.auction AS auction, bid.bidder AS bidder, bid.price AS price,
    bid.extra AS extra FROM nexmark WHERE bid IS NOT NULL;
CREATE VIEW auctions AS SELECT auction.id AS id, auction.seller AS seller, auction.category AS category
    FROM nexmark WHERE auction IS NOT NULL;
SELECT b.auction, count(*) AS n, max(b.price) AS top, min(a.seller) AS seller, min(b.extra) AS extra,
       tumble(interval '1 second') AS w
FROM bids b JOIN auctions a ON b.auction = a.id
GROUP BY b.auction, w;
EOF
timeout 120 "$wadi" run -p 3 "$tmp/q1.sql" 2>"$tmp/q1a.err" | sort >"$tmp/q1a.out" ||
    fail "one process: $(head -c 300 "$tmp/q1a.err")"
timeout 120 "$wadi" run -p 3 --workers 2 "$tmp/q1.sql" 2>"$tmp/q1b.err" | sort >"$tmp/q1b.out" ||
    fail "two workers: $(head -c 300 "$tmp/q1b.err")"
n=$(wc -l <"$tmp/q1a.out")
[ "$n" -gt 1000 ] || fail "query 1 gave only $n rows"
if cmp -s "$tmp/q1a.out" "$tmp/q1b.out"; then echo "ok: $n rows, the same at -p 3 in one process and over 2 workers"
else fail "-p 3 --workers 2 differs from one process: $(comm -3 "$tmp/q1a.out" "$tmp/q1b.out" | head -3)"; fi
timeout 120 "$wadi" run -p 3 --workers 3 "$tmp/q1.sql" 2>"$tmp/q1c.err" | sort >"$tmp/q1c.out" ||
    fail "three workers: $(head -c 300 "$tmp/q1c.err")"
cmp -s "$tmp/q1a.out" "$tmp/q1c.out" || fail "-p 3 --workers 3 differs from one process"

# ---- 2. recovery from lost workers, exactly once -------------------------------------
. "$(dirname "$0")/lib/eo_query.sh"
mkdir -p "$tmp/ref" "$tmp/eo"
query "$tmp/ref" >"$tmp/ref.sql"
query "$tmp/eo" >"$tmp/eo.sql"
timeout 120 "$wadi" run -p 2 "$tmp/ref.sql" >/dev/null 2>"$tmp/ref.err" ||
    fail "undisturbed run: $(head -c 300 "$tmp/ref.err")"
committed "$tmp/ref" >"$tmp/ref.lines"

timeout -s KILL 180 "$wadi" run -p 2 --workers 2 -s "$tmp/state" --checkpoint-interval 300ms \
    "$tmp/eo.sql" >/dev/null 2>"$tmp/eo.err" &
ctl=$!
kills=0
RANDOM=11
for round in 1 2; do
    sleep "$((2 + RANDOM % 2)).$((RANDOM % 10))"
    # a worker of the current run: a child of the controller
    w=$(workers_of "$ctl" | sed -n "${round}p;1p" | tail -1)
    [ -n "$w" ] && kill -KILL "$w" 2>/dev/null && kills=$((kills + 1))
done
# then stop it with SIGINT (a final checkpoint) and resume it over three
# workers at -p 3 (a rescale across processes)
sleep 1.5
c=$(pgrep -P "$ctl" | head -1)
stopped=0
if [ -n "$c" ] && kill -INT "$c" 2>/dev/null; then
    wait "$ctl"; rc=$?
    [ "$rc" -eq 0 ] || fail "SIGINT stop exited $rc: $(tail -c 400 "$tmp/eo.err")"
    if grep -q "Stopping" "$tmp/eo.err"; then
        stopped=1
        timeout -s KILL 180 "$wadi" run -p 3 --workers 3 -s "$tmp/state" --checkpoint-interval 300ms \
            "$tmp/eo.sql" >/dev/null 2>>"$tmp/eo.err"
        rc=$?
    fi
else
    wait "$ctl"; rc=$?
fi
[ "$rc" -eq 0 ] || fail "the job did not finish after recovering (exit $rc): $(tail -c 400 "$tmp/eo.err")"
nrec=$(grep -c "Running -> Recovering" "$tmp/eo.err")
[ "$nrec" -ge 1 ] || fail "no recovery logged after $kills kills"
grep -q "restoring checkpoint" "$tmp/eo.err" || fail "no run restored a checkpoint"
committed "$tmp/eo" >"$tmp/eo.lines"
nref=$(wc -l <"$tmp/ref.lines")
if cmp -s "$tmp/ref.lines" "$tmp/eo.lines"; then
    echo "ok: $nref lines, identical after $kills worker SIGKILLs, $nrec recoveries and $stopped stop and resume at -p 3 over 3 workers"
else
    fail "after $kills kills: $nref lines expected, $(wc -l <"$tmp/eo.lines") committed" \
         "($(comm -23 "$tmp/ref.lines" "$tmp/eo.lines" | wc -l) lost," \
         "$(comm -13 "$tmp/ref.lines" "$tmp/eo.lines" | wc -l) extra)"
fi
[ "$nref" -gt 1000 ] || fail "the reference wrote only $nref lines"
if ls -A "$tmp/eo/windows" "$tmp/eo/joined" | grep -q '^\.'; then
    fail "hidden in-progress or pending files left after the job finished"
fi

# ---- 3. no checkpoints: a lost worker is a clear failure ----------------------------------
timeout -s KILL 60 "$wadi" run -p 2 --workers 2 "$tmp/ref.sql" >/dev/null 2>"$tmp/nock.err" &
ctl=$!
sleep 1.5
kill -KILL $(workers_of "$ctl" | tail -1) 2>/dev/null
wait "$ctl"; rc=$?
[ "$rc" -eq 1 ] || fail "a lost worker without checkpoints: exit $rc, expected 1"
grep -q "cannot recover" "$tmp/nock.err" || fail "no reason given: $(tail -c 300 "$tmp/nock.err")"

# ---- 4. garbage on the controller's port ---------------------------------------------------
port=$((20000 + RANDOM % 20000))
sed 's/paced = .false.,//' "$tmp/q1.sql" >"$tmp/q4.sql"
mport=$((port + 1))
timeout 120 "$wadi" run -p 2 --workers 2 --listen "127.0.0.1:$port" --metrics-port "$mport" \
    "$tmp/q4.sql" >"$tmp/q4.out" 2>"$tmp/q4.err" &
ctl=$!
sleep 0.5
printf 'GET / HTTP/1.0\r\n\r\n' >/dev/tcp/127.0.0.1/$port 2>/dev/null
printf 'WDC1\x07\x00\x00\x00\x10\x00\x00\x00' >/dev/tcp/127.0.0.1/$port 2>/dev/null
printf 'WDC1\x01\x00\x00\x00\xff\xff\xff\x7f' >/dev/tcp/127.0.0.1/$port 2>/dev/null
# the controller's /metrics has the counters of the subtasks of both workers
sleep 1.5
curl -s -m 5 "http://127.0.0.1:$mport/metrics" >"$tmp/q4.metrics"
nsub=$(grep -c '^wadi_subtask_rows_in_total{' "$tmp/q4.metrics")
nbusy=$(grep '^wadi_subtask_rows_in_total{' "$tmp/q4.metrics" | awk '$2 > 0' | wc -l)
[ "$nsub" -ge 4 ] && [ "$nbusy" -ge 4 ] ||
    fail "/metrics over workers: $nsub subtask series, $nbusy with rows: $(head -c 300 "$tmp/q4.metrics")"
grep -q '^wadi_job_phase{phase="Running"} 1' "$tmp/q4.metrics" || fail "no job phase in /metrics"
curl -s -m 5 "http://127.0.0.1:$mport/status" | grep -q '"phase": *"Running"' ||
    fail "/status has no phase: $(curl -s -m 5 "http://127.0.0.1:$mport/status" | head -c 200)"
wait "$ctl"; rc=$?
[ "$rc" -eq 0 ] || fail "garbage on the controller's port broke the job (exit $rc): $(tail -c 300 "$tmp/q4.err")"
grep -q "bad magic" "$tmp/q4.err" || fail "bad magic not reported: $(head -c 300 "$tmp/q4.err")"
grep -q "version 7" "$tmp/q4.err" || fail "bad version not reported"
grep -q "control frame of" "$tmp/q4.err" || fail "oversized frame not reported"
[ "$(wc -l <"$tmp/q4.out")" -gt 1000 ] || fail "the job under garbage produced $(wc -l <"$tmp/q4.out") rows"

# ---- 5. bad options -------------------------------------------------------------------------
"$wadi" run -p 1 --workers 2 "$tmp/q1.sql" >/dev/null 2>"$tmp/o.err"
grep -q "2 workers for parallelism 1" "$tmp/o.err" || fail "more workers than subtasks: $(cat "$tmp/o.err")"
"$wadi" run --scheduler yarn "$tmp/q1.sql" >/dev/null 2>"$tmp/o.err"
grep -q "process or node" "$tmp/o.err" || fail "unknown scheduler: $(cat "$tmp/o.err")"

# ---- 6. a slow consumer backpressures remote producers ---------------------------------
cat >"$tmp/q6.sql" <<'EOF'
CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '1000000', event_count = '3000000',
                           paced = 'false', base_time = '2026-01-01T00:00:00Z');
SELECT b.bid.auction AS auction, b.bid.price AS price, a.auction.seller AS seller
FROM nexmark b JOIN nexmark a ON b.bid.auction = a.auction.id;
EOF
mport=$((port + 2))
# stdout is a pipe nobody reads for 4 s: the join's sink blocks
( timeout 120 "$wadi" run -p 2 --workers 2 --metrics-port "$mport" "$tmp/q6.sql" 2>"$tmp/q6.err" |
    { sleep 4; wc -l >"$tmp/q6.count"; } ) &
reader=$!
sleep 2.5
curl -s -m 5 "http://127.0.0.1:$mport/metrics" >"$tmp/q6.m1"
sleep 1
curl -s -m 5 "http://127.0.0.1:$mport/metrics" >"$tmp/q6.m2"
src_rows() { grep '^wadi_subtask_rows_in_total{chain="source' "$1" | awk '{s += $2} END {print s + 0}'; }
r1=$(src_rows "$tmp/q6.m1"); r2=$(src_rows "$tmp/q6.m2")
bp=$(grep '^wadi_subtask_backpressure_seconds_total{' "$tmp/q6.m2" | awk '{s += $2} END {print s + 0}')
[ "$r1" -gt 0 ] && [ "$r1" = "$r2" ] ||
    fail "sources went on while the sink was blocked: $r1 then $r2 rows read"
awk -v b="$bp" 'BEGIN {exit !(b > 0.5)}' || fail "no backpressure time counted while blocked: $bp s"
wait "$reader"
n=$(cat "$tmp/q6.count" 2>/dev/null || echo 0)
[ "$n" -gt 100000 ] || fail "the blocked job wrote $n rows once unblocked: $(tail -c 300 "$tmp/q6.err")"
[ "$r1" -lt 6000000 ] && echo "ok: sources stalled at $r1 rows while the sink was blocked ($bp s of backpressure); $n rows after"

finish distributed "$tmp"/*.err
