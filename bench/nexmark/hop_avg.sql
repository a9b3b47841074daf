-- The tutorial's sliding average: avg bid price over 10 s, every 2 s.
CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '10000000', event_count = '${EVENTS}', paced = 'false', base_time = '2024-01-01T00:00:00Z');
CREATE TABLE bh WITH (connector = 'blackhole');
INSERT INTO bh
SELECT avg(bid.price) AS avg_price
FROM nexmark WHERE bid IS NOT NULL
GROUP BY hop(interval '2 seconds', interval '10 seconds');
