#!/bin/bash
# make test: every test, first on the optimised gcc build, then on an
# ASan+UBSan clang build.  Ends with one line "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
total_pass=0; total_fail=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

count() { # name, pass, fail
    total_pass=$((total_pass + $2)); total_fail=$((total_fail + $3))
}

run_suite() { # build dir, make args…
    local b=$1; shift
    echo "== build ($b)"
    if ! make -s -j"$jobs" "$@" all unit >"$log/build" 2>&1; then
        cat "$log/build"; echo "build failed ($b)"; count "build" 0 1; return
    fi
    echo "== unit tests ($b)"
    for t in "$b"/tests/test_*; do
        [ -x "$t" ] || continue
        timeout 300 "$t" >"$log/unit" 2>&1
        rc=$?
        p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log/unit" | awk '{s+=$1} END {print s+0}')
        f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log/unit" | awk '{s+=$1} END {print s+0}')
        if [ $rc -ne 0 ] && [ "$f" = 0 ]; then f=1; fi
        if grep -q -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$log/unit"; then f=$((f+1)); fi
        [ "$f" != 0 ] && { echo "FAIL $(basename "$t"):"; grep -E 'FAILED|ERROR|error|Sanitizer' "$log/unit" | head -20; }
        count unit "$p" "$f"
    done
    echo "== sql golden tests ($b)"
    tests/sql/run.sh "$b/wadi" >"$log/sql" 2>&1
    grep -v '^sql: ' "$log/sql"
    p=$(sed -n 's/^sql: \([0-9]*\) passed, \([0-9]*\) failed/\1/p' "$log/sql")
    f=$(sed -n 's/^sql: \([0-9]*\) passed, \([0-9]*\) failed/\2/p' "$log/sql")
    count sql "${p:-0}" "${f:-1}"
    echo "== integration tests ($b)"
    for t in tests/integration/*.sh; do
        [ -x "$t" ] || continue
        if timeout 600 "$t" "$b/wadi" >"$log/int" 2>&1; then count int 1 0
        else echo "FAIL $(basename "$t"):"; tail -30 "$log/int"; count int 0 1; fi
    done
}

run_suite build
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
    run_suite build-asan SAN=1 CC=clang
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
