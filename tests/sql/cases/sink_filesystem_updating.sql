-- file: out/sink_filesystem_updating/changes-0-0.jsonl
-- changelog
CREATE TABLE clicks (
    "user" TEXT,
    page TEXT,
    ts TIMESTAMP,
    amount BIGINT,
    WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH (connector = 'single_file', path = '../data/clicks.jsonl', format = 'json', type = 'source');
CREATE TABLE out WITH (connector = 'filesystem', path = 'out/sink_filesystem_updating', format = 'debezium_json',
                       file_naming.prefix = 'changes', file_naming.suffix = '.jsonl');
INSERT INTO out SELECT page, count(*) AS n, sum(amount) AS total FROM clicks GROUP BY page;
