-- q19: the top 10 bids of each auction, per 10 s window (ROW_NUMBER top-N
-- over windowed bids).
CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '10000000', event_count = '${EVENTS}', paced = 'false', base_time = '2024-01-01T00:00:00Z');
CREATE TABLE bh WITH (connector = 'blackhole');
INSERT INTO bh
SELECT auction, bidder, price, datetime, rank_number FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY window, auction ORDER BY price DESC) AS rank_number
    FROM (SELECT bid.auction AS auction, bid.bidder AS bidder, bid.price AS price, bid.datetime AS datetime,
                 tumble(interval '10 seconds') AS window
          FROM nexmark WHERE bid IS NOT NULL GROUP BY 1, 2, 3, 4, window))
WHERE rank_number <= 10;
