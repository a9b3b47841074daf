#!/bin/bash
# Checks that bench/nexmark/q7.sql (the benchmark's q7: an interval join of
# the bids with each window's maximum) and q7_windowed.sql (the earlier
# group-by + windowed join) produce the same rows, and that both equal q7
# computed by DuckDB from the same bids.  A bounded run: EVENTS (default
# 3,000,000) nexmark events at RATE (default 10,000) events/s of event time
# (30 windows; bids 100 us apart, so some fall exactly on a window's end),
# at -p P (default 1).  Needs build/wadi and node with tests/diff's modules
# (make deps).  Exit 0 when all three agree.
set -eu
cd "$(dirname "$0")/.."
EVENTS=${EVENTS:-3000000}
RATE=${RATE:-10000}
P=${P:-1}
wadi=$PWD/build/wadi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
to_file() { # query.sql out.json -> a bounded copy writing JSON lines to out.json
    sed -e "s/\${EVENTS}/$EVENTS/" -e "s/event_rate = '10000000'/event_rate = '$RATE'/" \
        -e "s|CREATE TABLE bh WITH (connector = 'blackhole');|CREATE TABLE bh (auction BIGINT, price BIGINT, bidder BIGINT, datetime TIMESTAMP) WITH (connector = 'single_file', path = '$2', format = 'json', type = 'sink');|" \
        "bench/nexmark/$1"
}
to_file q7.sql "$tmp/new.json" > "$tmp/new.sql"
to_file q7_windowed.sql "$tmp/old.json" > "$tmp/old.sql"
cat > "$tmp/bids.sql" <<SQL
CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '$RATE', event_count = '$EVENTS', paced = 'false', base_time = '2024-01-01T00:00:00Z');
CREATE TABLE bids (auction BIGINT, price BIGINT, bidder BIGINT, datetime TIMESTAMP) WITH (connector = 'single_file', path = '$tmp/bids.json', format = 'json', type = 'sink');
INSERT INTO bids SELECT bid.auction, bid.price, bid.bidder, bid.datetime FROM nexmark WHERE bid IS NOT NULL;
SQL
for q in new old bids; do "$wadi" run -p "$P" "$tmp/$q.sql"; done
NODE_PATH=${NODE_PATH:-tests/diff/node_modules} node bench/q7_check.js "$tmp"
