CREATE TABLE clicks (
    "user" TEXT,
    page TEXT,
    ts TIMESTAMP,
    amount BIGINT,
    WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH (connector = 'single_file', path = '../data/clicks.jsonl', format = 'json', type = 'source');
CREATE VIEW per_user AS SELECT "user", count(*) AS n, tumble(interval '10 seconds') AS window FROM clicks GROUP BY 1, window;
SELECT "user", n, window.start AS ws FROM per_user WHERE n >= 2;
