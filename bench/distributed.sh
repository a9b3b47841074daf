#!/bin/bash
# make bench (distributed): worker processes and the TCP data plane.
#  1. q0 and q5 unpaced at -p 2: in one process vs over two worker processes
#     (--workers 2; q5's shuffle sends every batch across a TCP connection):
#     events/s (median of RUNS, interleaved) and the ratio.
#  2. Scaling: q5 in one process at -p 1 and -p 2: events/s, how many CPUs
#     were busy (user + system time over wall time: a -p 1 job already keeps
#     more than one core busy, its chains being pipelined), and events per
#     CPU-second — the per-core efficiency, which a noisy machine does not
#     distort the way it distorts wall time.
#  3. Recovery: an updating count over 1 M keys at -p 2 --workers 2 with a
#     checkpoint every second; one worker is killed with SIGKILL; the time
#     from the kill to the job running again on restored state, and to the
#     first checkpoint completed after it (output flowing again).
# Environment: EVENTS (default 20000000), RUNS (default 3).
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh

echo "wadi $(git rev-parse --short HEAD 2>/dev/null || echo '?') — $(nproc) cores — EVENTS=$EVENTS RUNS=$RUNS"
echo "1. one process vs two worker processes at -p 2, events/s, median of $RUNS runs (interleaved)"
printf '%-6s %10s %14s %16s %7s\n' query events "one process" "--workers 2" ratio
for q in q0 q5; do
    : >"$tmp/a"; : >"$tmp/b"
    for _ in $(seq "$RUNS"); do
        rate "$q" "$EVENTS" -p 2 >>"$tmp/a"
        rate "$q" "$EVENTS" -p 2 --workers 2 >>"$tmp/b"
    done
    a=$(median <"$tmp/a"); b=$(median <"$tmp/b")
    printf '%-6s %10s %14.0f %16.0f %7.2f\n' "$q" "$EVENTS" "$a" "$b" "$(echo "$b / $a" | bc -l)"
done

echo "2. scaling of q5 in one process: events/s, CPUs busy, events per CPU-second (median of $RUNS)"
# wall time, and user + system CPU time, of one run
cpu_run() { # parallelism
    sed "s/\${EVENTS}/$EVENTS/" bench/nexmark/q5.sql >"$tmp/q.sql"
    /usr/bin/time -f "%e %U %S" "$wadi" run -p "$1" "$tmp/q.sql" 2>&1 >/dev/null | tail -1
}
for p in 1 2; do
    : >"$tmp/w"; : >"$tmp/c"
    for _ in $(seq "$RUNS"); do
        read -r e u s < <(cpu_run "$p")
        echo "$e" >>"$tmp/w"
        echo "$u + $s" | bc -l >>"$tmp/c"
    done
    w=$(median <"$tmp/w"); c=$(median <"$tmp/c")
    printf '  -p %s: %.2f M events/s, %.2f CPUs busy, %.2f M events per CPU-second\n' "$p" \
        "$(echo "$EVENTS / $w / 1000000" | bc -l)" "$(echo "$c / $w" | bc -l)" \
        "$(echo "$EVENTS / $c / 1000000" | bc -l)"
done

echo "3. recovery of 1 M keys of updating state over 2 workers: SIGKILL of one worker"
cat >"$tmp/u.sql" <<'EOF'
CREATE TABLE impulse WITH (connector = 'impulse', event_rate = '2000000');
CREATE TABLE bh WITH (connector = 'blackhole');
INSERT INTO bh SELECT counter % 1000000 AS k, count(*) AS n FROM impulse GROUP BY 1;
EOF
( exec "$wadi" run -v -p 2 --workers 2 -s "$tmp/state" --checkpoint-interval 1s "$tmp/u.sql" ) \
    >/dev/null 2>"$tmp/u.err" &
pid=$!
for _ in $(seq 200); do
    [ "$(grep -c 'complete:' "$tmp/u.err")" -ge 4 ] && break
    sleep 0.1
done
grep 'complete:' "$tmp/u.err" | tail -1 | sed 's/^wadi: /  before: /'
before=$(grep -c 'complete:' "$tmp/u.err")
w=$(pgrep -P "$pid" | tail -1)
s=$(now)
kill -KILL "$w"
running="" flowing=""
for _ in $(seq 500); do
    if [ -z "$running" ] && grep -q 'Recovering -> Scheduling' "$tmp/u.err" &&
        [ "$(grep -c 'Scheduling -> Running' "$tmp/u.err")" -ge 2 ]; then
        running=$(echo "$(now) - $s" | bc -l)
    fi
    if [ -n "$running" ] && [ "$(grep -c 'complete:' "$tmp/u.err")" -gt "$before" ]; then
        flowing=$(echo "$(now) - $s" | bc -l)
        break
    fi
    sleep 0.02
done
kill -INT "$pid"; wait "$pid" 2>/dev/null || true
grep -m1 'Running -> Recovering' "$tmp/u.err" | sed 's/^wadi: warning: /  /'
printf '  kill -> running on restored state: %.2f s; -> first checkpoint after recovery complete: %.2f s\n' \
    "${running:-0}" "${flowing:-0}"
