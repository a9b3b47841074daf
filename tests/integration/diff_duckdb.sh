#!/bin/bash
# Differential test: wadi's windowed (tumble, hop, session) and updating
# aggregates, its joins (inner, left, right and full, updating and
# interval; windowed) and its updating top-N against DuckDB on the same
# generated input (tests/diff).
# Usage: diff_duckdb.sh WADI_BINARY [diff.js options, e.g. --cases a,b]
# Passes when every case matches at -p 1 and -p 2.  Skips (exit 0) only when
# node is not installed; `make deps` installs it and the DuckDB module.
set -u
wadi=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
cd "$(dirname "$0")/../diff" || exit 1
if ! command -v node >/dev/null 2>&1; then
    echo "SKIP diff_duckdb: node is not installed (make deps installs it)"
    exit 0
fi
if [ ! -d node_modules/@duckdb/node-api ]; then
    echo "diff_duckdb: tests/diff/node_modules is missing: run make deps (npm ci --prefix tests/diff)"
    exit 1
fi
node selftest.js || exit 1
# a larger young generation: the comparison allocates many small objects
exec node --max-semi-space-size=64 diff.js "$wadi" -p 1,2 "$@"
