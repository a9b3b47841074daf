#!/bin/bash
# Golden SQL tests.  Each case is tests/sql/cases/NAME.sql, run from
# tests/sql/cases with `wadi run`, plus what it is expected to produce:
#   NAME.out   expected standard output (exit status 0)
#   NAME.err   expected standard error, and a non-zero exit status
#   NAME.file  expected contents of the file the case names with
#              `-- file: PATH` (a sink's output), compared after the run
# Header lines in the .sql file:
#   -- args: -p 2          extra arguments to wadi run
#   -- sort                compare outputs as sorted lines
#   -- changelog           the output is Debezium JSON: compare the final
#                          table it describes (tests/sql/fold.js), sorted
#   -- file: out/x.json    see NAME.file
# Usage: run.sh WADI_BINARY [FILTER]   (UPDATE=1 rewrites expectations)
set -u
wadi=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
filter=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/cases" || exit 1
pass=0; fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for sql in *.sql; do
    name=${sql%.sql}
    [ -n "$filter" ] && [[ "$name" != *$filter* ]] && continue
    args=$(sed -n 's/^-- args: //p' "$sql" | head -1)
    sortout=$(grep -c '^-- sort' "$sql")
    changelog=$(grep -c '^-- changelog' "$sql")
    file=$(sed -n 's/^-- file: //p' "$sql" | head -1)
    [ -n "$file" ] && rm -f "$file"
    # shellcheck disable=SC2086
    timeout 60 "$wadi" run $args "$sql" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    ok=1; why=""
    norm() {
        if [ "$changelog" -gt 0 ]; then node "$here/fold.js" < "$1"
        elif [ "$sortout" -gt 0 ]; then LC_ALL=C sort "$1"
        else cat "$1"; fi
    }
    if [ -n "${UPDATE:-}" ]; then
        if [ $rc -eq 0 ]; then norm "$tmp/out" > "$name.out"; rm -f "$name.err"
        else sed "s|$wadi|wadi|g" "$tmp/err" > "$name.err"; rm -f "$name.out"; fi
        [ -n "$file" ] && [ -f "$file" ] && norm "$file" > "$name.file"
    fi
    if [ -f "$name.err" ]; then
        if [ $rc -eq 0 ]; then ok=0; why="expected an error, exit status was 0"
        elif [ $rc -ge 124 ]; then ok=0; why="exit status $rc (timeout or crash)"
        elif ! diff -u "$name.err" "$tmp/err" >"$tmp/diff"; then ok=0; why="stderr differs"; fi
    else
        if [ $rc -ne 0 ]; then ok=0; why="exit status $rc: $(head -c 400 "$tmp/err")"
        elif [ -f "$name.out" ] && ! diff -u "$name.out" <(norm "$tmp/out") >"$tmp/diff"; then ok=0; why="stdout differs"
        elif [ -n "$file" ] && ! diff -u "$name.file" <(norm "$file") >"$tmp/diff"; then ok=0; why="$file differs"; fi
        if [ ! -f "$name.out" ] && [ -z "$file" ]; then ok=0; why="no expectation file"; fi
    fi
    # sanitizer reports fail a case even when the output matched
    if grep -q -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$tmp/err"; then ok=0; why="sanitizer report: $(grep -m1 -E 'Sanitizer|runtime error' "$tmp/err")"; fi
    [ -n "$file" ] && rm -f "$file"
    if [ $ok = 1 ]; then pass=$((pass+1)); else
        fail=$((fail+1)); echo "FAIL sql/$name: $why"; [ -f "$tmp/diff" ] && head -20 "$tmp/diff"; fi
    rm -f "$tmp/diff"
done
echo "sql: $pass passed, $fail failed"
