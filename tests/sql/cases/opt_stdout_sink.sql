-- A stdout table as a sink: with its own columns the insert is cast to
-- them (BIGINT to TEXT and DOUBLE) and renamed.
CREATE TABLE e (id BIGINT, ts TIMESTAMP)
WITH (connector = 'single_file', path = '../data/epochs.jsonl', format = 'json', type = 'source');
CREATE TABLE o (label TEXT, half DOUBLE, at TIMESTAMP) WITH (connector = 'stdout');
INSERT INTO o SELECT id, id / 2, ts FROM e;
