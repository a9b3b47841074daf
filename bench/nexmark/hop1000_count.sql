-- The same aggregates over a hop window with 1,000 slides per width.
CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '1000000', event_count = '${EVENTS}', paced = 'false', base_time = '2024-01-01T00:00:00Z');
CREATE TABLE bh WITH (connector = 'blackhole');
INSERT INTO bh
SELECT count(*) AS c, avg(bid.price) AS avg_price, hop(interval '10 milliseconds', interval '10 seconds') AS window
FROM nexmark WHERE bid IS NOT NULL GROUP BY window;
