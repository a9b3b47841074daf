-- q7: the highest bid of each 10 s tumbling window, joined back to the bids
-- of that window (a windowed join of the bids and the window's maximum).
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
