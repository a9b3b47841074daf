-- args: --batch-rows 5
CREATE TABLE clicks ("user" TEXT, page TEXT, ts TIMESTAMP, amount BIGINT, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (connector = 'single_file', path = '../data/clicks_late.jsonl', format = 'json', type = 'source');
SELECT count(*) AS n, sum(amount) AS total, tumble(interval '5 seconds') AS window FROM clicks GROUP BY window;
