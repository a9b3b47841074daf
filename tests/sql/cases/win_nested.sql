CREATE TABLE clicks (
    "user" TEXT,
    page TEXT,
    ts TIMESTAMP,
    amount BIGINT,
    WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH (connector = 'single_file', path = '../data/clicks.jsonl', format = 'json', type = 'source');
SELECT "user", count(*) AS windows, sum(c) AS clicks, max(c) AS busiest, tumble(interval '30 seconds') AS window
FROM (SELECT "user", count(*) AS c, tumble(interval '10 seconds') AS window FROM clicks GROUP BY 1, window)
GROUP BY 1, window;
