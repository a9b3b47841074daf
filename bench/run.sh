#!/bin/bash
# make bench: Nexmark queries unpaced into a blackhole sink at -p 1 and -p 2,
# and the generator alone; events/s (median of RUNS runs) and the ratio of
# each query to the generator at the same parallelism.
# Environment: EVENTS (default 20000000 per run), RUNS (default 3), QUERIES.
set -eu
cd "$(dirname "$0")/.."
wadi=build/wadi
EVENTS=${EVENTS:-20000000}
RUNS=${RUNS:-3}
QUERIES=${QUERIES:-"gen q0 q1 q2 q22"}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

run_one() { # query p -> events/s
    sed "s/\${EVENTS}/$EVENTS/" "bench/nexmark/$1.sql" > "$tmp/q.sql"
    for _ in $(seq "$RUNS"); do
        s=$(date +%s.%N)
        "$wadi" run -p "$2" "$tmp/q.sql" >/dev/null
        e=$(date +%s.%N)
        echo "$EVENTS / ($e - $s)" | bc -l
    done | median
}

echo "wadi $(git rev-parse --short HEAD 2>/dev/null || echo '?') — $(nproc) cores — EVENTS=$EVENTS RUNS=$RUNS"
if [ -x build/bench/gen_bench ]; then
    echo "generator outside the engine (one core, events/s):"
    build/bench/gen_bench "$EVENTS" bid | sed 's/^/  /'
    build/bench/gen_bench "$EVENTS" all | sed 's/^/  /'
fi
printf '%-6s %4s %16s %10s\n' query p "events/s" "vs gen"
for p in 1 2; do
    gen=""
    for q in $QUERIES; do
        r=$(run_one "$q" "$p")
        [ "$q" = gen ] && gen=$r
        ratio=$([ -n "$gen" ] && echo "$r / $gen" | bc -l || echo 0)
        printf '%-6s %4s %16.0f %10.2f\n' "$q" "$p" "$r" "$ratio"
    done
done
