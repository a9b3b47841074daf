#!/bin/sh
# Install the Debian packages wadi's build and tests need, when missing.
# As root this runs apt-get; otherwise it prints the command to run.
set -e
PKGS="build-essential pkg-config clang libclang-rt-14-dev libpcre2-dev libssl-dev libjansson-dev libxxhash-dev libcmocka-dev bc"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# Node.js (for the differential tests' batch engine) may come from elsewhere.
command -v node >/dev/null 2>&1 || missing="$missing nodejs npm"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
    echo "deps: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq $missing >/dev/null
else
    echo "deps: missing packages; run:"
    echo "  sudo apt-get install -y$missing"
    exit 1
fi
