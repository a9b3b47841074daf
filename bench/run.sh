#!/bin/bash
# make bench: Nexmark queries unpaced into a blackhole sink at -p 1 and -p 2,
# and the generator alone: events/s (median of RUNS runs), the ratio of each
# query to the generator at the same parallelism, and peak RSS.
# Environment: EVENTS (default 20000000 per run), RUNS (default 3), QUERIES,
# STATEFUL (the queries run with EVENTS/4 events), PARALLELISM (default "1 2").
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
QUERIES=${QUERIES:-"gen q0 q1 q2 q22 q14 q5 q11 q12 hop_avg tumble_count hop1000_count q3 q8"}
STATEFUL=${STATEFUL:-"q15 q16 q17 updating_1m q20 q7 q18 q19 q4 q9"}
PARALLELISM=${PARALLELISM:-"1 2"}

run_one() { # query p events -> "events/s peak_rss_kib"
    sed "s/\${EVENTS}/$3/" "bench/nexmark/$1.sql" > "$tmp/q.sql"
    for _ in $(seq "$RUNS"); do
        s=$(now)
        /usr/bin/time -f "%M" -o "$tmp/rss" "$wadi" run -p "$2" "$tmp/q.sql" >/dev/null
        e=$(now)
        echo "$(echo "$3 / ($e - $s)" | bc -l) $(cat "$tmp/rss")"
    done | sort -g | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'
}

echo "wadi $(git rev-parse --short HEAD 2>/dev/null || echo '?') — $(nproc) cores — EVENTS=$EVENTS RUNS=$RUNS"
if [ -x build/bench/gen_bench ]; then
    echo "generator outside the engine (one core, events/s):"
    build/bench/gen_bench "$EVENTS" bid | sed 's/^/  /'
    build/bench/gen_bench "$EVENTS" all | sed 's/^/  /'
fi
printf '%-14s %3s %10s %14s %8s %10s\n' query p events "events/s" "vs gen" "peak RSS"
for p in $PARALLELISM; do
    gen=""
    for q in $QUERIES $STATEFUL; do
        n=$EVENTS
        case " $STATEFUL " in *" $q "*) n=$((EVENTS / 4)) ;; esac
        read -r r rss < <(run_one "$q" "$p" "$n")
        [ "$q" = gen ] && gen=$r
        ratio=$([ -n "$gen" ] && echo "$r / $gen" | bc -l || echo 0)
        printf '%-14s %3s %10s %14.0f %8.2f %8.1f MB\n' "$q" "$p" "$n" "$r" "$ratio" "$(echo "$rss / 1024" | bc -l)"
    done
done
