-- file: updating_out.json
CREATE TABLE clicks (
    "user" TEXT,
    page TEXT,
    ts TIMESTAMP,
    amount BIGINT,
    WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH (connector = 'single_file', path = '../data/clicks.jsonl', format = 'json', type = 'source');
CREATE TABLE out WITH (connector = 'single_file', path = 'updating_out.json', format = 'debezium_json', type = 'sink');
INSERT INTO out SELECT page, count(*) AS n FROM clicks GROUP BY page;
