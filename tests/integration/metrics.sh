#!/bin/bash
# `wadi run --metrics-port`: an unbounded Nexmark aggregate at -p 2 serves
# /metrics in the Prometheus text format (every family with HELP and TYPE,
# row counters that grow between two scrapes) and /status as JSON; another
# path is 404; a second run asking for the same port fails at once with a
# message naming it; --progress prints a summary line on stderr, and the
# job still stops cleanly on SIGINT.  A bounded job with the endpoint ends
# by itself (no progress line without a terminal).
# Usage: metrics.sh WADI_BINARY
set -u
wadi=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill -s KILL "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $1"; }

cat >"$tmp/q.sql" <<'EOF'
CREATE TABLE n WITH (connector = 'nexmark', event_rate = '20000');
CREATE TABLE bh WITH (connector = 'blackhole');
INSERT INTO bh
SELECT bid.auction, count(*) AS bids FROM n WHERE bid IS NOT NULL
GROUP BY bid.auction, tumble(interval '1 second');
EOF

# Start the job on any free port (the machine is shared); the port is in
# its first log line.  A background job of a non-interactive shell ignores
# SIGINT unless the disposition is restored before exec.
( trap - INT TERM; exec timeout -s KILL 120 "$wadi" run -p 2 --metrics-port 0 --progress \
    "$tmp/q.sql" ) >"$tmp/out" 2>"$tmp/err" &
pid=$!
port=""
for _ in $(seq 100); do
    port=$(sed -n 's|^wadi: metrics at http://127\.0\.0\.1:\([0-9]*\)/metrics$|\1|p' "$tmp/err")
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$port" ]; then
    echo "FAIL: no metrics port announced: $(head -c 300 "$tmp/err")"
    exit 1
fi
url=http://127.0.0.1:$port

# Sum of one family's samples in a scrape.
family_sum() { # file, family
    awk -v f="$2" '$1 ~ "^"f"[{ ]" || $1 == f { s += $NF } END { printf "%d\n", s }' "$1"
}

# 1. the families, each with HELP and TYPE
sleep 1
curl -s -D "$tmp/h1" -o "$tmp/m1" "$url/metrics" || fail "first scrape failed"
grep -qi '^Content-Type: text/plain; version=0.0.4' "$tmp/h1" ||
    fail "content type: $(grep -i content-type "$tmp/h1")"
missing=""
for f in wadi_job_state wadi_job_start_time_seconds wadi_subtask_rows_in_total \
    wadi_subtask_rows_out_total wadi_subtask_bytes_in_total wadi_subtask_bytes_out_total \
    wadi_subtask_batches_in_total wadi_subtask_batches_out_total \
    wadi_subtask_backpressure_seconds_total wadi_subtask_queue_rows \
    wadi_subtask_queue_capacity_rows wadi_subtask_watermark_lag_seconds \
    wadi_subtask_late_rows_dropped_total wadi_subtask_bad_rows_dropped_total; do
    grep -q "^# HELP $f " "$tmp/m1" && grep -q "^# TYPE $f \(counter\|gauge\)$" "$tmp/m1" &&
        grep -q "^$f[{ ]" "$tmp/m1" || missing="$missing $f"
done
[ -z "$missing" ] && ok "every family, with HELP and TYPE" || fail "families missing:$missing"
grep -q '^wadi_job_state{state="running"} 1$' "$tmp/m1" && ok "job state" ||
    fail "job state: $(grep '^wadi_job_state' "$tmp/m1")"
n=$(grep -c '^wadi_subtask_rows_in_total{chain="[^"]*",chain_index="[0-9]*",subtask="[01]"} [0-9]*$' "$tmp/m1")
[ "$n" = 4 ] && ok "4 subtasks labelled" || fail "rows_in samples: $n, want 4"
bad=$(grep -v -E '^(# (HELP|TYPE) [a-z_]+ .*|[a-z_]+(\{[^}]*\})? -?[0-9.e+]+)$' "$tmp/m1" | head -3)
[ -z "$bad" ] && ok "every line parses" || fail "lines that do not parse: $bad"

# 2. rows counters grow between two scrapes
sleep 1.5
curl -s -o "$tmp/m2" "$url/metrics" || fail "second scrape failed"
for f in wadi_subtask_rows_in_total wadi_subtask_rows_out_total wadi_subtask_bytes_in_total; do
    a=$(family_sum "$tmp/m1" "$f")
    b=$(family_sum "$tmp/m2" "$f")
    [ "$b" -gt "$a" ] && ok "$f grows ($a -> $b)" || fail "$f did not grow: $a -> $b"
done

# 3. /status is JSON; another path is 404
curl -s -D "$tmp/h3" -o "$tmp/status" "$url/status"
grep -qi '^Content-Type: application/json' "$tmp/h3" && grep -q '"state":"running"' "$tmp/status" &&
    grep -q '"subtasks":\[{"chain":' "$tmp/status" && ok "/status" ||
    fail "/status: $(head -c 300 "$tmp/status")"
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/nope")
[ "$code" = 404 ] && ok "404 elsewhere" || fail "GET /nope: $code, want 404"

# 4. the port is taken: a clear error, status 1, at once
timeout -s KILL 20 "$wadi" run --metrics-port "$port" "$tmp/q.sql" >"$tmp/out2" 2>"$tmp/err2"
rc=$?
if [ "$rc" = 1 ] && grep -q "metrics endpoint: cannot listen on 127.0.0.1 port $port: Address already in use" "$tmp/err2"; then
    ok "port in use"
else
    fail "port in use: status $rc: $(head -c 300 "$tmp/err2")"
fi

# 5. a progress line within ~5 s of the start (10 s of slack for a loaded machine)
for _ in $(seq 150); do
    grep -q -E '^\[00:00:[0-9]{2}\] in [0-9.]+ (K |M )?rows/s  out [0-9.]+ (K |M )?rows/s' "$tmp/err" && break
    sleep 0.1
done
grep -q -E '^\[00:00:[0-9]{2}\] in ' "$tmp/err" && ok "progress line: $(grep -m1 '^\[' "$tmp/err")" ||
    fail "no progress line: $(head -c 300 "$tmp/err")"

# 6. SIGINT still stops it cleanly
kill -s INT "$pid"
wait "$pid"
rc=$?
pid=""
[ "$rc" = 0 ] && ok "stopped by SIGINT" || fail "exit status $rc after SIGINT: $(tail -c 300 "$tmp/err")"
if grep -q -E 'Sanitizer|runtime error' "$tmp/err" "$tmp/err2"; then
    fail "sanitizer report: $(grep -h -m1 -E 'Sanitizer|runtime error' "$tmp/err" "$tmp/err2")"
fi

# 7. a bounded job with the endpoint ends by itself, with its output
cat >"$tmp/bounded.sql" <<'EOF'
CREATE TABLE impulse WITH (connector = 'impulse', event_rate = '1000000', message_count = '3');
SELECT counter FROM impulse;
EOF
timeout -s KILL 30 "$wadi" run --metrics-port 0 "$tmp/bounded.sql" >"$tmp/out4" 2>"$tmp/err4"
rc=$?
if [ "$rc" = 0 ] && [ "$(wc -l <"$tmp/out4")" = 3 ] && ! grep -q '^\[' "$tmp/err4" &&
    ! grep -q -E 'Sanitizer|runtime error' "$tmp/err4"; then
    ok "bounded job with the endpoint"
else
    fail "bounded job: status $rc: $(head -c 300 "$tmp/err4")"
fi

if [ "$fails" -ne 0 ]; then
    echo "metrics: $fails failed"
    exit 1
fi
echo "metrics: all passed"
