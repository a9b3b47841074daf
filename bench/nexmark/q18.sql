-- q18: the last bid of each bidder on each auction, per 10 s window
-- (ROW_NUMBER dedup over windowed bids: the streaming form the engine
-- supports; the unwindowed, updating form needs an updating top-N).
CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '10000000', event_count = '${EVENTS}', paced = 'false', base_time = '2024-01-01T00:00:00Z');
CREATE TABLE bh WITH (connector = 'blackhole');
INSERT INTO bh
SELECT auction, bidder, price, datetime FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY window, bidder, auction ORDER BY datetime DESC) AS rank_number
    FROM (SELECT bid.auction AS auction, bid.bidder AS bidder, bid.price AS price, bid.datetime AS datetime,
                 tumble(interval '10 seconds') AS window
          FROM nexmark WHERE bid IS NOT NULL GROUP BY 1, 2, 3, 4, window))
WHERE rank_number <= 1;
