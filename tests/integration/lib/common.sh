# Shared by integration tests: fail() counts a failure, finish NAME FILES…
# fails on any sanitizer report in FILES, prints the verdict and exits.
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

finish() { # name, stderr files…
    local name=$1; shift
    if grep -q -E 'Sanitizer|runtime error' "$@" 2>/dev/null; then
        fail "sanitizer report: $(grep -h -m1 -E 'Sanitizer|runtime error' "$@" 2>/dev/null)"
    fi
    if [ "$fails" -ne 0 ]; then
        echo "$name: $fails failed"
        exit 1
    fi
    echo "$name: all passed"
    exit 0
}
