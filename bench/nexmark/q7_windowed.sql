-- q7 as first written (Arroyo's formulation): every bid grouped by
-- (auction, price, bidder, datetime, window) — a GROUP BY that also drops
-- identical bids of a window — then a windowed join with the window's
-- maximum.  Kept to compare with q7.sql, the benchmark's definition
-- (bench/q7_check.sh shows both give the same rows).
CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '10000000', event_count = '${EVENTS}', paced = 'false', base_time = '2024-01-01T00:00:00Z');
CREATE TABLE bh WITH (connector = 'blackhole');
INSERT INTO bh
SELECT b.auction, b.price, b.bidder, b.datetime
FROM (SELECT bid.auction AS auction, bid.price AS price, bid.bidder AS bidder, bid.datetime AS datetime,
             tumble(interval '10 seconds') AS window
      FROM nexmark WHERE bid IS NOT NULL GROUP BY 1, 2, 3, 4, window) AS b
JOIN (SELECT max(bid.price) AS maxprice, tumble(interval '10 seconds') AS window
      FROM nexmark WHERE bid IS NOT NULL GROUP BY window) AS m
ON b.window = m.window AND b.price = m.maxprice;
