-- q11: bids per bidder per session (10 s gap).
CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '10000000', event_count = '${EVENTS}', paced = 'false', base_time = '2024-01-01T00:00:00Z');
CREATE TABLE bh WITH (connector = 'blackhole');
INSERT INTO bh
SELECT bid.bidder AS bidder, count(*) AS bid_count, session(interval '10 seconds') AS window
FROM nexmark WHERE bid IS NOT NULL
GROUP BY 1, window;
