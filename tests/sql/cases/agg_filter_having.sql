CREATE TABLE clicks (
    "user" TEXT,
    page TEXT,
    ts TIMESTAMP,
    amount BIGINT,
    WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH (connector = 'single_file', path = '../data/clicks.jsonl', format = 'json', type = 'source');
SELECT "user", count(*) AS n, count(*) FILTER (WHERE page = 'buy') AS buys, sum(amount) FILTER (WHERE amount > 5) AS big, tumble(interval '30 seconds') AS window
FROM clicks GROUP BY 1, window HAVING count(*) > 3;
