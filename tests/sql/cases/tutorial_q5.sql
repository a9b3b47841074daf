CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '100', event_count = '3000', paced = 'false', base_time = '2024-01-01T00:00:00Z');
SELECT * FROM (
    SELECT *, ROW_NUMBER() OVER (
        PARTITION BY window
        ORDER BY count DESC) AS row_num
    FROM (SELECT count(*) AS count, bid.auction AS auction,
        hop(interval '2 seconds', interval '60 seconds') AS window
            FROM nexmark WHERE bid is not null
            GROUP BY 2, window)) WHERE row_num <= 5
