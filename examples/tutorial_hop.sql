-- The tutorial's sliding window: the average bid price over the last 10
-- seconds, every 2 seconds (results appear as each window closes).
CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '100');

SELECT avg(bid.price) as avg_price
FROM nexmark
WHERE bid IS NOT NULL
GROUP BY hop(interval '2 seconds', interval '10 seconds');
