-- json.timestamp_format on a source (epoch numbers read as seconds; RFC
-- 3339 strings still accepted) and on a stdout sink (written as epoch
-- milliseconds).
CREATE TABLE e (id BIGINT, ts TIMESTAMP)
WITH (connector = 'single_file', path = '../data/epochs.jsonl', format = 'json', type = 'source',
      json.timestamp_format = 'unix_seconds');
CREATE TABLE o WITH (connector = 'stdout', format = 'json', json.timestamp_format = 'unix_millis');
INSERT INTO o SELECT id, ts, CAST(ts AS TEXT) AS text FROM e;
