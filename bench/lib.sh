# Shared by the bench scripts (source it from the repository's root, under
# `set -eu`): the binary, EVENTS and RUNS, a scratch directory removed (with
# any child left running) on exit, and the helpers below.
wadi=$PWD/build/wadi
EVENTS=${EVENTS:-20000000}
RUNS=${RUNS:-3}
tmp=$(mktemp -d)
trap 'pkill -KILL -P $$ 2>/dev/null || true; rm -rf "$tmp"' EXIT

# The median of the numbers on standard input.
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now() { date +%s.%N; }

# events/s of one run of bench/nexmark/$1.sql with $2 events and extra
# args; its stderr is left in $tmp/err, a state directory in $tmp/state is
# removed first.
rate() {
    local q=$1 n=$2; shift 2
    sed "s/\${EVENTS}/$n/" "bench/nexmark/$q.sql" >"$tmp/q.sql"
    rm -rf "$tmp/state"
    local s e
    s=$(now)
    "$wadi" run "$@" "$tmp/q.sql" >/dev/null 2>"$tmp/err"
    e=$(now)
    echo "$n / ($e - $s)" | bc -l
}
