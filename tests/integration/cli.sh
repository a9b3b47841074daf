#!/bin/bash
# The `wadi` command line: usage and exit statuses (0 ok, 1 failed, 2 bad
# usage), `run` with a file, with standard input (-), with --explain, bad
# -p values and a missing file; `version`, `functions`, `connectors`.
# Usage: cli.sh WADI_BINARY
set -u
wadi=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# run NAME WANT_STATUS args… : runs wadi with stdout → out, stderr → err
run() {
    local name=$1 want=$2; shift 2
    timeout -s KILL 30 "$wadi" "$@" >out 2>err
    local rc=$?
    if [ "$rc" -ne "$want" ]; then
        fail "$name: exit status $rc, want $want; stderr: $(head -c 300 err)"
        return 1
    fi
    if grep -q -E 'Sanitizer|runtime error' err; then
        fail "$name: sanitizer report: $(grep -m1 -E 'Sanitizer|runtime error' err)"
        return 1
    fi
    return 0
}
# expect NAME FILE PATTERN : grep -E PATTERN FILE must match
expect() {
    if ! grep -q -E -- "$3" "$2"; then
        fail "$1: $2 does not match /$3/: $(head -c 300 "$2")"
        return 1
    fi
}
ok() { echo "ok: $1"; }

cat >q.sql <<'EOF'
CREATE TABLE impulse WITH (connector = 'impulse', event_rate = '1000000', message_count = '3');
SELECT counter, counter * 10 AS tens FROM impulse;
EOF
want='{"counter":0,"tens":0}
{"counter":1,"tens":10}
{"counter":2,"tens":20}'

# no arguments: usage on stderr, status 2, nothing on stdout
if run "no arguments" 2; then
    expect "no arguments" err '^usage: wadi' && [ ! -s out ] && ok "no arguments"
    [ -s out ] && fail "no arguments: printed on stdout"
fi

# unknown command
if run "unknown command" 2 frobnicate; then
    expect "unknown command" err 'frobnicate|usage' && ok "unknown command"
fi

# run without a file, with two files
run "run without a file" 2 run && expect "run without a file" err 'expected one SQL file' &&
    ok "run without a file"
run "run with two files" 2 run q.sql q.sql && ok "run with two files"

# an unknown option of run
run "run --bogus" 2 run --bogus q.sql && expect "run --bogus" err 'usage' && ok "run --bogus"

# a missing file: status 1 and a message naming it
if run "missing file" 1 run no-such-file.sql; then
    expect "missing file" err 'no-such-file\.sql' && expect "missing file" err 'No such file' &&
        ok "missing file"
fi

# -p out of range or not a number: status 2
for p in 0 -1 1025 x 2x ''; do
    run "run -p '$p'" 2 run -p "$p" q.sql && expect "run -p '$p'" err '-p takes a number' &&
        ok "run -p '$p'"
done
run "run --batch-rows 0" 2 run --batch-rows 0 q.sql && ok "run --batch-rows 0"

# a plain run, -p long form, --batch-rows
if run "run q.sql" 0 run q.sql; then
    [ "$(cat out)" = "$want" ] && ok "run q.sql" || fail "run q.sql: output $(cat out)"
fi
if run "run --parallelism=1 --batch-rows 1" 0 run --parallelism=1 --batch-rows 1 q.sql; then
    [ "$(cat out)" = "$want" ] && ok "run --parallelism=1 --batch-rows 1" ||
        fail "run --batch-rows 1: output $(cat out)"
fi

# SQL from standard input with -
if timeout -s KILL 30 "$wadi" run - <q.sql >out 2>err; then
    [ "$(cat out)" = "$want" ] && ok "run - (stdin)" || fail "run -: output $(cat out)"
else
    fail "run -: exit status $?: $(head -c 300 err)"
fi
# errors in standard input are reported against <stdin>
echo 'SELECT nope FROM nowhere;' | timeout -s KILL 30 "$wadi" run - >out 2>err
rc=$?
if [ "$rc" -eq 1 ] && grep -q "^<stdin>:1:18: unknown table 'nowhere'" err; then
    ok "run - with an error"
else
    fail "run - with an error: status $rc: $(head -c 300 err)"
fi
# an empty script: nothing to run
: | timeout -s KILL 30 "$wadi" run - >out 2>err
rc=$?
[ "$rc" -eq 1 ] && grep -q 'nothing to run' err && ok "empty script" ||
    fail "empty script: status $rc: $(head -c 300 err)"

# --explain: the chains, status 0, and nothing is run
if run "--explain" 0 run --explain -p 2 q.sql; then
    expect "--explain" out '^chain 0 \(parallelism 2\):' &&
        expect "--explain" out 'source:impulse' && expect "--explain" out 'sink:stdout' &&
        expect "--explain" out '^edges:' && ! grep -q counter\": out && ok "--explain"
fi
# --explain of an unbounded pipeline returns at once
cat >unbounded.sql <<'EOF'
CREATE TABLE n WITH (connector = 'nexmark', event_rate = '10');
SELECT bid FROM n;
EOF
run "--explain unbounded" 0 run --explain unbounded.sql && ok "--explain unbounded"

# a planning error: file:line:col, the source line, a caret
cat >bad.sql <<'EOF'
CREATE TABLE n WITH (connector = 'nexmark', event_count = '1');
SELECT bid.prce FROM n;
EOF
if run "planning error" 1 run bad.sql; then
    expect "planning error" err "^bad\.sql:2:12: unknown field 'prce'" &&
        expect "planning error" err '^  SELECT bid\.prce FROM n;$' &&
        expect "planning error" err '^             \^$' && ok "planning error"
fi

# run --help: usage on stdout, status 0
run "run --help" 0 run --help && expect "run --help" out '^usage: wadi' && ok "run --help"

# version
if run "version" 0 version; then
    expect "version" out '^(wadi )?[0-9]+\.[0-9]+\.[0-9]+' && ok "version"
fi

# the generated references
run "functions" 0 functions && expect "functions" out '^\| `abs\(NUMERIC\)` \|' && ok "functions"
run "connectors" 0 connectors && expect "connectors" out '^### `nexmark`' && ok "connectors"

if [ "$fails" -ne 0 ]; then
    echo "cli: $fails failed"
    exit 1
fi
echo "cli: all passed"
