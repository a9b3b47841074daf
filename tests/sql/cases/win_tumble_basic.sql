CREATE TABLE clicks (
    "user" TEXT,
    page TEXT,
    ts TIMESTAMP,
    amount BIGINT,
    WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH (connector = 'single_file', path = '../data/clicks.jsonl', format = 'json', type = 'source');
SELECT "user", count(*) AS n, count(amount) AS with_amount, sum(amount) AS total, min(amount) AS lo, max(amount) AS hi, avg(amount) AS mean, tumble(interval '10 seconds') AS window
FROM clicks GROUP BY "user", window;
