CREATE TABLE clicks (
    "user" TEXT,
    page TEXT,
    ts TIMESTAMP,
    amount BIGINT,
    WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH (connector = 'single_file', path = '../data/clicks.jsonl', format = 'json', type = 'source');
SELECT upper("user") AS u, count(*) * 10 AS n10, sum(amount) / count(*) AS per_row, window.end - window.start AS width, tumble(interval '30 seconds') AS window
FROM clicks WHERE page <> 'help' GROUP BY upper("user"), window;
