CREATE TABLE clicks (
    "user" TEXT,
    page TEXT,
    ts TIMESTAMP,
    amount BIGINT,
    WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH (connector = 'single_file', path = '../data/clicks.jsonl', format = 'json', type = 'source');
CREATE TABLE out ("user" TEXT, n BIGINT) WITH (connector = 'single_file', path = 'out_err.json', format = 'json', type = 'sink');
INSERT INTO out SELECT "user", count(*) FROM clicks GROUP BY "user";
