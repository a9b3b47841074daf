#!/bin/bash
# make bench (checkpoints): what checkpoints cost and how fast a job recovers.
#  1. q5 and q7 (or CKPT_QUERIES) unpaced at -p 1, without checkpoints and with a checkpoint
#     every second into a local state directory: events/s (median of RUNS)
#     and the ratio.
#  2. An updating count over 1 M keys: the size and duration of one
#     checkpoint of that state (from `wadi run -v`).
#  3. Recovery: the same state, paced; SIGKILL after a checkpoint, then the
#     same command again: the time from the restart to the restored state
#     and to the next complete checkpoint (output flowing again).
# Environment: EVENTS (default 20000000), RUNS (default 3).
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh

echo "wadi $(git rev-parse --short HEAD 2>/dev/null || echo '?') — $(nproc) cores — EVENTS=$EVENTS RUNS=$RUNS"
echo "1. checkpoint every second vs none (-p 1), events/s, median of $RUNS runs (interleaved)"
printf '%-6s %10s %14s %14s %7s %12s\n' query events "none" "every 1 s" ratio checkpoints
for q in ${CKPT_QUERIES:-q5 q7}; do
    n=$EVENTS
    case $q in q7 | q15 | q16 | q17 | q20) n=$((EVENTS / 4)) ;; esac
    : >"$tmp/a"; : >"$tmp/b"
    for _ in $(seq "$RUNS"); do
        rate "$q" "$n" >>"$tmp/a"
        rate "$q" "$n" -s "$tmp/state" --checkpoint-interval 1s -v >>"$tmp/b"
    done
    a=$(median <"$tmp/a"); b=$(median <"$tmp/b")
    k=$(grep -c "complete:" "$tmp/err" || true)
    printf '%-6s %10s %14.0f %14.0f %7.2f %12s\n' "$q" "$n" "$a" "$b" "$(echo "$b / $a" | bc -l)" "$k"
done

echo "2. one checkpoint of an updating count over 1 M keys"
cat >"$tmp/u.sql" <<'EOF'
CREATE TABLE impulse WITH (connector = 'impulse', event_rate = '2000000');
CREATE TABLE bh WITH (connector = 'blackhole');
INSERT INTO bh SELECT counter % 1000000 AS k, count(*) AS n FROM impulse GROUP BY 1;
EOF
rm -rf "$tmp/state"
( exec "$wadi" run -v -s "$tmp/state" --checkpoint-interval 1s "$tmp/u.sql" ) >/dev/null 2>"$tmp/u.err" &
pid=$!
# 1 M keys after 0.5 s at 2 M events/s; wait for three more checkpoints
for _ in $(seq 100); do
    [ "$(grep -c 'complete:' "$tmp/u.err")" -ge 4 ] && break
    sleep 0.1
done
grep 'complete:' "$tmp/u.err" | tail -1 | sed 's/^wadi: /  /'
echo "3. recovery of that state: SIGKILL, then the same command"
kill -KILL "$pid"; wait "$pid" 2>/dev/null || true
s=$(now)
( exec "$wadi" run -v -s "$tmp/state" --checkpoint-interval 1s "$tmp/u.sql" ) >/dev/null 2>"$tmp/r.err" &
pid=$!
restored="" flowing=""
for _ in $(seq 300); do
    if [ -z "$restored" ] && grep -q 'restored checkpoint' "$tmp/r.err"; then
        restored=$(echo "$(now) - $s" | bc -l)
    fi
    if grep -q 'complete:' "$tmp/r.err"; then
        flowing=$(echo "$(now) - $s" | bc -l)
        break
    fi
    sleep 0.02
done
kill -INT "$pid"; wait "$pid" 2>/dev/null || true
grep 'restored checkpoint' "$tmp/r.err" | sed 's/^wadi: /  /'
printf '  restart -> state restored: %.2f s; -> first new checkpoint complete: %.2f s\n' \
    "${restored:-0}" "${flowing:-0}"
