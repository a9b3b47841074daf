-- sort
CREATE TABLE clicks (
    "user" TEXT,
    page TEXT,
    ts TIMESTAMP,
    amount BIGINT,
    WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH (connector = 'single_file', path = '../data/clicks.jsonl', format = 'json', type = 'source');
-- sort
SELECT 'a' AS src, count(*) AS n, tumble(interval '30 seconds') AS window FROM clicks WHERE "user" = 'ann' GROUP BY window
UNION ALL
SELECT 'b' AS src, count(*) AS n, tumble(interval '30 seconds') AS window FROM clicks WHERE "user" <> 'ann' GROUP BY window;
