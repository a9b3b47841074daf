-- q7: the highest bid of each 10 s tumbling window, and the bids of that
-- window with that price (the benchmark's definition: an interval join of
-- the bids with the per-window maximum, keyed by price, each bid matched
-- to the window [end - 10 s, end) it falls in).
CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '10000000', event_count = '${EVENTS}', paced = 'false', base_time = '2024-01-01T00:00:00Z');
CREATE TABLE bh WITH (connector = 'blackhole');
INSERT INTO bh
SELECT b.auction, b.price, b.bidder, b.datetime
FROM (SELECT bid.auction AS auction, bid.price AS price, bid.bidder AS bidder, bid.datetime AS datetime
      FROM nexmark WHERE bid IS NOT NULL) AS b
JOIN (SELECT maxprice, window.end AS window_end
      FROM (SELECT max(bid.price) AS maxprice, tumble(interval '10 seconds') AS window
            FROM nexmark WHERE bid IS NOT NULL GROUP BY window)) AS m
ON b.price = m.maxprice
   AND b.datetime >= m.window_end - INTERVAL '10' SECOND AND b.datetime < m.window_end;
