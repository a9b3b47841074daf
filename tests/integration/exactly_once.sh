#!/bin/bash
# Exactly-once under failures: a deterministic nexmark source (event_count,
# base_time), a stateful query — a windowed aggregate and an updating join
# — written by two-phase `filesystem` sinks.  One run is undisturbed; the
# other takes a checkpoint every 300 ms, is killed with SIGKILL at random
# moments several times and resumed each time with the same command, is
# once stopped with SIGINT (final checkpoint) and resumed at another
# parallelism, and then runs to the end.  The committed output of both
# runs must be the same lines, after sorting: nothing lost, nothing
# repeated.
# Usage: exactly_once.sh WADI_BINARY
set -u
wadi=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
fold=$(cd "$(dirname "$0")/../sql" && pwd)/fold.js
tmp=$(mktemp -d)
trap 'pkill -KILL -P $$ 2>/dev/null; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib/common.sh"

# query DIR (400000 events, ~10 s paced) and committed DIR
. "$(dirname "$0")/lib/eo_query.sh"

mkdir -p "$tmp/ref" "$tmp/eo"
query "$tmp/ref" >"$tmp/ref.sql"
query "$tmp/eo" >"$tmp/eo.sql"

if ! timeout 120 "$wadi" run "$tmp/ref.sql" >"$tmp/ref.out" 2>"$tmp/ref.err"; then
    fail "undisturbed run: $(head -c 400 "$tmp/ref.err")"
fi
committed "$tmp/ref" >"$tmp/ref.lines"
nref=$(wc -l <"$tmp/ref.lines")
if [ "$nref" -lt 100 ]; then fail "undisturbed run wrote only $nref lines"; fi

state="$tmp/state"
run_eo() { # extra args…
    ( trap - INT TERM; exec timeout -s KILL 120 "$wadi" run -s "$state" \
        --checkpoint-interval 300ms "$@" "$tmp/eo.sql" ) >>"$tmp/eo.out" 2>>"$tmp/eo.err" &
    pid=$!
}
# The wadi process of the last run_eo, once it blocks SIGINT (it runs the job).
wadi_pid() {
    local n=0 w
    while [ $n -lt 100 ]; do
        w=$(pgrep -P "$pid" 2>/dev/null | head -1)
        [ -z "$w" ] && w=$pid
        local blk
        blk=$(sed -n 's/^SigBlk:[[:space:]]*//p' "/proc/$w/status" 2>/dev/null)
        if [ -n "$blk" ] && [ $((0x$blk & 2)) -ne 0 ]; then echo "$w"; return 0; fi
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.05
        n=$((n + 1))
    done
    return 1
}

RANDOM=7
kills=0
for round in 1 2 3 4; do
    case $round in 3) par=2 ;; *) par=1 ;; esac
    run_eo -p "$par"
    if ! w=$(wadi_pid); then
        wait "$pid"; rc=$?
        # a loaded machine may get through the input before the last rounds
        [ "$rc" -eq 0 ] && grep -q "had already finished" "$tmp/eo.err" && break
        fail "round $round: wadi did not start (exit $rc): $(tail -c 300 "$tmp/eo.err")"
        break
    fi
    sleep "$((1 + RANDOM % 2)).$((RANDOM % 10))"
    if [ "$round" -eq 2 ]; then
        kill -INT "$w"
        wait "$pid"; rc=$?
        [ "$rc" -eq 0 ] || fail "round $round: SIGINT stop exited $rc: $(tail -c 300 "$tmp/eo.err")"
        grep -q "stopped after checkpoint" "$tmp/eo.err" || fail "round $round: no final checkpoint reported"
    else
        kill -KILL "$w" 2>/dev/null && kills=$((kills + 1))
        wait "$pid" 2>/dev/null
    fi
done
# the last run, at parallelism 2, to the end
run_eo -p 2
wait "$pid"; rc=$?
[ "$rc" -eq 0 ] || fail "final run exited $rc: $(tail -c 400 "$tmp/eo.err")"
grep -q "restored checkpoint" "$tmp/eo.err" || fail "no run restored a checkpoint"

committed "$tmp/eo" >"$tmp/eo.lines"
neo=$(wc -l <"$tmp/eo.lines")
if ! cmp -s "$tmp/ref.lines" "$tmp/eo.lines"; then
    lost=$(comm -23 "$tmp/ref.lines" "$tmp/eo.lines" | wc -l)
    extra=$(comm -13 "$tmp/ref.lines" "$tmp/eo.lines" | wc -l)
    fail "after $kills kills and a stop: $nref lines expected, $neo committed ($lost lost, $extra extra or repeated)"
    comm -3 "$tmp/ref.lines" "$tmp/eo.lines" | head -5
else
    echo "ok: $nref lines, identical after $kills SIGKILLs, a SIGINT stop and a rescale 1 -> 2"
    [ "$kills" -ge 1 ] || fail "no run was killed"
fi
if ls -A "$tmp/eo/windows" "$tmp/eo/joined" | grep -q '^\.'; then
    fail "hidden in-progress or pending files left after the job finished: $(ls -A "$tmp/eo/windows" | grep '^\.' | head -3)"
fi
finish exactly_once "$tmp/eo.err" "$tmp/ref.err"
