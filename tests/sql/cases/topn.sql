CREATE TABLE clicks (
    "user" TEXT,
    page TEXT,
    ts TIMESTAMP,
    amount BIGINT,
    WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH (connector = 'single_file', path = '../data/clicks.jsonl', format = 'json', type = 'source');
SELECT * FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY window ORDER BY n DESC, page) AS row_num
    FROM (SELECT count(*) AS n, page, tumble(interval '20 seconds') AS window FROM clicks GROUP BY 2, window))
WHERE row_num <= 2;
