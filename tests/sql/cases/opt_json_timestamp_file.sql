-- file: opt_json_timestamp_file.json
-- Epoch numbers are milliseconds by default; a file sink writes them with
-- json.timestamp_format = 'unix_nanos'; the event time as micros.
CREATE TABLE e (id BIGINT, ts TIMESTAMP)
WITH (connector = 'single_file', path = '../data/epochs.jsonl', format = 'json', type = 'source',
      event_time_field = 'ts');
CREATE TABLE out WITH (connector = 'single_file', path = 'opt_json_timestamp_file.json',
                       format = 'json', type = 'sink', json.timestamp_format = 'unix_nanos');
INSERT INTO out SELECT id, ts, _timestamp - INTERVAL '1 microsecond' AS before FROM e;
