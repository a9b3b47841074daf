CREATE TABLE clicks (
    "user" TEXT,
    page TEXT,
    ts TIMESTAMP,
    amount BIGINT,
    WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH (connector = 'single_file', path = '../data/clicks.jsonl', format = 'json', type = 'source');
SELECT page, n, rank() OVER (PARTITION BY window ORDER BY n DESC) AS r, dense_rank() OVER (PARTITION BY window ORDER BY n DESC) AS dr,
       lag(n) OVER (PARTITION BY window ORDER BY n DESC) AS prev, lead(n, 1, 0) OVER (PARTITION BY window ORDER BY n DESC) AS next,
       sum(n) OVER (PARTITION BY window ORDER BY n DESC) AS running
FROM (SELECT page, count(*) AS n, tumble(interval '30 seconds') AS window FROM clicks GROUP BY page, window);
