#!/bin/bash
# Checkpoints meet faults and bad input, and say so:
#  - a failing store (injected write errors, as on a full disk): the job
#    runs on, the checkpoint is abandoned with a message, the output is
#    complete, and a restart resumes from the last good checkpoint;
#  - a corrupted or truncated snapshot file: detected, the previous
#    checkpoint is used (with a message), the committed output is the same
#    as an undisturbed run's;
#  - another query on the same state directory: refused unless --force.
# Usage: checkpoint_faults.sh WADI_BINARY
set -u
wadi=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d)
trap 'pkill -KILL -P $$ 2>/dev/null; rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

query() { # output dir, events
    cat <<EOF
CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '20000', event_count = '$2',
                           base_time = '2026-01-01T00:00:00Z');
CREATE TABLE out WITH (connector = 'filesystem', path = '$1', format = 'json');
INSERT INTO out SELECT k, n, window.end AS e FROM (
    SELECT bid.auction % 20 AS k, count(*) AS n, tumble(interval '250 milliseconds') AS window
    FROM nexmark WHERE bid IS NOT NULL GROUP BY k, window);
EOF
}
query "$tmp/ref" 40000 >"$tmp/ref.sql"
"$wadi" run "$tmp/ref.sql" 2>/dev/null || fail "undisturbed run failed"
sort "$tmp"/ref/*.json >"$tmp/ref.lines"
same() { cmp -s "$tmp/ref.lines" <(cat "$1"/*.json 2>/dev/null | sort); }

# A store that fails every write after the first 6: checkpoints are abandoned,
# the job goes on and ends with its output.
query "$tmp/o1" 40000 >"$tmp/q1.sql"
WADI_STORE_FAIL_PUT_AFTER=6 "$wadi" run -s "$tmp/s1" --checkpoint-interval 100ms "$tmp/q1.sql" \
    2>"$tmp/e1"
rc=$?
if [ "$rc" -ne 0 ] && ! grep -q "injected write error" "$tmp/e1"; then
    fail "failing store: exit $rc without saying why: $(tail -c 300 "$tmp/e1")"
elif ! grep -q "abandoned" "$tmp/e1"; then
    fail "failing store: no checkpoint reported abandoned: $(tail -c 300 "$tmp/e1")"
else
    echo "ok: failing store -> $(grep -m1 abandoned "$tmp/e1")"
fi

# Corrupt the newest checkpoint of a stopped job: the previous one is used.
query "$tmp/o2" 40000 >"$tmp/q2.sql"
( trap - INT; exec "$wadi" run -s "$tmp/s2" --checkpoint-interval 100ms "$tmp/q2.sql" ) 2>"$tmp/e2" &
pid=$!
sleep 1
kill -INT "$pid"
wait "$pid" || fail "stop with a final checkpoint failed: $(tail -c 300 "$tmp/e2")"
newest=$(ls -d "$tmp"/s2/epoch-* | tail -1)
snap=$(ls "$newest"/*.snap | head -1)
printf 'garbage' | dd of="$snap" bs=1 seek=200 conv=notrunc 2>/dev/null
"$wadi" run -s "$tmp/s2" "$tmp/q2.sql" 2>"$tmp/e3"
rc=$?
if [ "$rc" -ne 0 ]; then
    fail "after a corrupted snapshot: exit $rc: $(tail -c 300 "$tmp/e3")"
elif ! grep -q "cannot be used" "$tmp/e3" || ! grep -q "falling back" "$tmp/e3"; then
    fail "a corrupted snapshot was not reported: $(head -c 300 "$tmp/e3")"
elif ! same "$tmp/o2"; then
    fail "after a corrupted snapshot the output differs from an undisturbed run"
else
    echo "ok: corrupted snapshot -> $(grep -m1 'cannot be used' "$tmp/e3" | cut -c1-160)"
fi

# A truncated file, likewise.
query "$tmp/o4" 40000 >"$tmp/q4.sql"
( trap - INT; exec "$wadi" run -s "$tmp/s4" --checkpoint-interval 100ms "$tmp/q4.sql" ) 2>"$tmp/e4" &
pid=$!
sleep 1
kill -INT "$pid"
wait "$pid"
newest=$(ls -d "$tmp"/s4/epoch-* | tail -1)
snap=$(ls "$newest"/*.snap | head -1)
truncate -s 100 "$snap"
if "$wadi" run -s "$tmp/s4" "$tmp/q4.sql" 2>"$tmp/e5" && grep -q "truncated\|cannot be used" "$tmp/e5" &&
    same "$tmp/o4"; then
    echo "ok: truncated snapshot -> fell back, output as undisturbed"
else
    fail "truncated snapshot: $(head -c 300 "$tmp/e5")"
fi

# Another query on that state directory.
query "$tmp/o4" 50000 >"$tmp/other.sql"
if "$wadi" run -s "$tmp/s4" "$tmp/other.sql" 2>"$tmp/e6"; then
    fail "another query ran on the state of a different one"
elif ! grep -q "belongs to another query" "$tmp/e6" || ! grep -q -- "--force" "$tmp/e6"; then
    fail "another query: unclear refusal: $(cat "$tmp/e6")"
else
    echo "ok: another query -> $(head -1 "$tmp/e6")"
fi

if grep -h -q -E 'Sanitizer|runtime error' "$tmp"/e*; then
    fail "sanitizer report: $(grep -h -m1 -E 'Sanitizer|runtime error' "$tmp"/e*)"
fi
if [ "$fails" -ne 0 ]; then
    echo "checkpoint_faults: $fails failed"
    exit 1
fi
echo "checkpoint_faults: all passed"
