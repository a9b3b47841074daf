-- q14: filtered bids with computed columns (count of 'c' in extra).
CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '10000000', event_count = '${EVENTS}', paced = 'false', base_time = '2024-01-01T00:00:00Z');
CREATE TABLE bh WITH (connector = 'blackhole');
INSERT INTO bh
SELECT bid.auction, bid.bidder, 0.908 * bid.price AS price,
       CASE WHEN extract(hour FROM bid.datetime) >= 8 AND extract(hour FROM bid.datetime) <= 18 THEN 'dayTime'
            WHEN extract(hour FROM bid.datetime) <= 6 OR extract(hour FROM bid.datetime) >= 20 THEN 'nightTime'
            ELSE 'otherTime' END AS bid_time_type,
       bid.datetime,
       length(bid.extra) - length(replace(bid.extra, 'c', '')) AS c_counts
FROM nexmark
WHERE bid IS NOT NULL AND 0.908 * bid.price > 1000000 AND 0.908 * bid.price < 50000000;
