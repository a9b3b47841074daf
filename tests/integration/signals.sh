#!/bin/bash
# `wadi run` stops cleanly on a signal: an unbounded pipeline receiving
# SIGINT or SIGTERM exits with status 0 within 5 s (at -p 1 and -p 2;
# 10 s under the sanitizers), and
# a bare SELECT whose standard output is closed early (`| head`) ends
# promptly without crashing or hanging.
# Usage: signals.sh WADI_BINARY
set -u
wadi=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

cat >"$tmp/pipe.sql" <<'EOF'
CREATE TABLE n WITH (connector = 'nexmark', event_rate = '1000');
CREATE TABLE bh WITH (connector = 'blackhole');
INSERT INTO bh SELECT bid.price FROM n WHERE bid IS NOT NULL;
EOF
cat >"$tmp/select.sql" <<'EOF'
CREATE TABLE n WITH (connector = 'nexmark', event_rate = '1000');
SELECT bid.auction, bid.price FROM n WHERE bid IS NOT NULL;
EOF

# Wait up to $2 tenths of a second for process $1 to exit; 0 if it did.
wait_exit() {
    local pid=$1 n=$2
    while [ "$n" -gt 0 ]; do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}

# Tenths of a second a stopped pipeline may take to exit: 5 s (10 s under
# the sanitizers, whose exit-time leak check is slow on a loaded machine).
limit=50
[ -n "${ASAN_OPTIONS:-}" ] && limit=100

# True once process $1 blocks SIGINT: wadi has planned the job and waits
# for signals (before that, SIGINT would kill it by its default action).
blocks_sigint() {
    local blk
    blk=$(sed -n 's/^SigBlk:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null) || return 1
    [ -n "$blk" ] && [ $((0x$blk & 2)) -ne 0 ]
}

# Start the unbounded pipeline, let it run, send the signal, expect 0 in time.
stop_with() { # signal, extra args…
    local sig=$1; shift
    local what="SIG$sig $*"
    # A background job of a non-interactive shell ignores SIGINT unless the
    # disposition is restored before exec.  The outer timeout is a backstop.
    ( trap - INT TERM; exec timeout -s KILL 60 "$wadi" run "$@" "$tmp/pipe.sql" ) \
        >"$tmp/out" 2>"$tmp/err" &
    local pid=$! wpid="" n=0
    # wait until wadi runs the job (at most 10 s), then let it work a little
    while [ $n -lt 100 ]; do
        wpid=$(pgrep -P "$pid" 2>/dev/null | head -1)
        [ -n "$wpid" ] && blocks_sigint "$wpid" && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
        n=$((n + 1))
    done
    sleep 0.5
    if ! kill -0 "$pid" 2>/dev/null; then
        wait "$pid"
        fail "$what: the pipeline ended before the signal (status $?): $(head -c 300 "$tmp/err")"
        return
    fi
    # timeout forwards the signal to wadi
    kill -s "$sig" "$pid"
    if ! wait_exit "$pid" "$limit"; then
        fail "$what: still running $((limit / 10)) s after the signal"
        if [ -n "$wpid" ] && command -v gdb >/dev/null; then
            echo "threads of the stuck process:"
            timeout 30 gdb -p "$wpid" -batch -ex "thread apply all bt 12" 2>/dev/null |
                grep -E '^(Thread|#)' | head -80
        fi
        kill -s KILL "$pid" "$wpid" 2>/dev/null
        wait "$pid" 2>/dev/null
        return
    fi
    wait "$pid"
    local rc=$?
    [ "$rc" -eq 0 ] || fail "$what: exit status $rc, want 0: $(head -c 300 "$tmp/err")"
    if grep -q -E 'Sanitizer|runtime error' "$tmp/err"; then
        fail "$what: sanitizer report: $(grep -m1 -E 'Sanitizer|runtime error' "$tmp/err")"
    fi
    [ "$rc" -eq 0 ] && echo "ok: $what -> exit 0"
}

stop_with INT
stop_with TERM
stop_with INT -p 2
stop_with TERM -p 2

# A closed standard output: `wadi run … | head -n 3` must end promptly
# (EPIPE or SIGPIPE), with status 0 or 1, never a crash or a hang.
broken_pipe() { # extra args…
    local what="stdout closed early $*"
    set -o pipefail
    timeout -s KILL 10 "$wadi" run "$@" "$tmp/select.sql" 2>"$tmp/err" | head -n 3 >"$tmp/head"
    local rcs=("${PIPESTATUS[@]}")
    set +o pipefail
    local rc=${rcs[0]}
    if [ "$rc" -eq 137 ]; then
        fail "$what: still running 10 s after its output was closed"
    elif [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ] && [ "$rc" -ne 141 ]; then
        fail "$what: exit status $rc: $(head -c 300 "$tmp/err")"
    elif grep -q -E 'Sanitizer|runtime error' "$tmp/err"; then
        fail "$what: sanitizer report: $(grep -m1 -E 'Sanitizer|runtime error' "$tmp/err")"
    elif [ "$(wc -l <"$tmp/head")" -ne 3 ] || ! grep -q '^{"auction":' "$tmp/head"; then
        fail "$what: unexpected output: $(head -c 300 "$tmp/head")"
    else
        echo "ok: $what -> exit $rc"
    fi
}

broken_pipe
broken_pipe -p 2

if [ "$fails" -ne 0 ]; then
    echo "signals: $fails failed"
    exit 1
fi
echo "signals: all passed"
