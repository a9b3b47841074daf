-- q17: per auction per day price statistics (an updating aggregate).
CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '10000000', event_count = '${EVENTS}', paced = 'false', base_time = '2024-01-01T00:00:00Z');
CREATE TABLE bh WITH (connector = 'blackhole');
INSERT INTO bh
SELECT bid.auction AS auction, date_trunc('day', bid.datetime) AS day,
       count(*) AS total_bids,
       count(*) FILTER (WHERE bid.price < 10000) AS rank1_bids,
       count(*) FILTER (WHERE bid.price >= 10000 AND bid.price < 1000000) AS rank2_bids,
       count(*) FILTER (WHERE bid.price >= 1000000) AS rank3_bids,
       min(bid.price) AS min_price, max(bid.price) AS max_price,
       avg(bid.price) AS avg_price, sum(bid.price) AS sum_price
FROM nexmark WHERE bid IS NOT NULL
GROUP BY 1, 2;
