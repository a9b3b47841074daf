#!/bin/sh
# Install what wadi's build and tests need, when missing:
#  - Debian packages: as root this runs apt-get; otherwise it prints the
#    command to run;
#  - the node modules of the differential tests (DuckDB, tests/diff) and of
#    the S3 store test (s3rver, tests/s3): `npm ci` from each directory's
#    package-lock.json.
set -e
cd "$(dirname "$0")/.."

apt_deps() {
    PKGS="build-essential pkg-config clang libclang-rt-14-dev libpcre2-dev libssl-dev libjansson-dev libxxhash-dev libzstd-dev libcurl4-openssl-dev libprotobuf-c-dev protobuf-c-compiler libmicrohttpd-dev libcmocka-dev curl bc time"
    missing=""
    for p in $PKGS; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
    # Node.js (for the differential tests' batch engine) may come from elsewhere.
    if ! command -v node >/dev/null 2>&1; then missing="$missing nodejs npm"
    elif ! command -v npm >/dev/null 2>&1; then missing="$missing npm"; fi
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" = 0 ]; then
        echo "deps: installing$missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null || return 1
        apt-get install -y -qq $missing >/dev/null
    else
        echo "deps: missing packages; run:"
        echo "  sudo apt-get install -y$missing"
        return 1
    fi
}

# DIR/node_modules, from the lock file, when MODULE (a file under
# node_modules) is missing; again when the lock file has changed since the
# last install.
node_deps() { # dir, module file
    dir=$1
    if [ -f "$dir/node_modules/$2" ] &&
       [ -f "$dir/node_modules/.package-lock.json" ] &&
       [ -z "$(find "$dir/package-lock.json" -newer "$dir/node_modules/.package-lock.json")" ]; then
        return 0
    fi
    if ! command -v npm >/dev/null 2>&1; then
        echo "deps: npm is missing: cannot install $dir's node modules"
        return 1
    fi
    echo "deps: installing $dir's node modules (npm ci)"
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >/dev/null
}

rc=0
apt_deps || rc=1
node_deps tests/diff @duckdb/node-api/package.json || rc=1
node_deps tests/s3 s3rver/package.json || rc=1
exit $rc
