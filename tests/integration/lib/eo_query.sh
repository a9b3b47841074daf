# Shared by the exactly-once tests (exactly_once.sh, distributed.sh,
# multihost.sh): a deterministic stateful query over nexmark — a windowed
# aggregate and an updating LEFT JOIN — written by two-phase filesystem
# sinks, and the committed output of a run as sorted lines.
# Source it; it needs $fold (tests/sql/fold.js).

# event_rate 40000/s paced, 400000 events: about 10 s of wall clock per run.
events=400000
query() { # output dir
    cat <<EOF
CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '40000', event_count = '$events',
                           base_time = '2026-01-01T00:00:00Z');
CREATE TABLE per_second WITH (connector = 'filesystem', path = '$1/windows', format = 'json',
                              rolling_policy.file_size = '1500');
CREATE TABLE sales WITH (connector = 'filesystem', path = '$1/joined', format = 'debezium_json',
                         rolling_policy.file_size = '1500');
CREATE VIEW bids AS SELECT bid.auction AS auction, bid.bidder AS bidder, bid.price AS price
    FROM nexmark WHERE bid IS NOT NULL;
CREATE VIEW auctions AS SELECT auction.id AS id, auction.seller AS seller, auction.category AS category
    FROM nexmark WHERE auction IS NOT NULL;
INSERT INTO per_second
SELECT k, n, total, top, window.end AS ends FROM (
    SELECT auction % 50 AS k, count(*) AS n, sum(price) AS total, max(price) AS top,
           tumble(interval '1 second') AS window
    FROM bids GROUP BY k, window);
INSERT INTO sales
SELECT b.auction, b.bidder, b.price, a.seller, a.category
FROM bids b LEFT JOIN auctions a ON b.auction = a.id WHERE b.price % 5 = 0;
EOF
}

# The committed output of a run: every line of every visible part file.
committed() { # dir
    cat "$1"/windows/*.json 2>/dev/null | sort
    # the changelog in the order it was written: by modification time, and
    # by sequence number within a subtask (part-SUBTASK-SEQ.json)
    find "$1/joined" -name '*.json' -printf '%T@ %f\n' 2>/dev/null |
        sed 's/^\([^ ]*\) part-\([0-9]*\)-\([0-9]*\)\.json$/\1 \2 \3/' |
        sort -k1,1g -k2,2n -k3,3n |
        while read -r _ sub seq; do cat "$1/joined/part-$sub-$seq.json"; done |
        node "$fold" | sort
}

