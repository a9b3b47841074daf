CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '100', event_count = '3000', paced = 'false', base_time = '2024-01-01T00:00:00Z');
SELECT avg(bid.price) as avg_price
FROM nexmark
WHERE bid IS NOT NULL
GROUP BY hop(interval '2 seconds', interval '10 seconds');
