-- file: sink_merge.json
-- sort
CREATE TABLE src (id BIGINT, name TEXT) WITH (connector = 'single_file', path = '../data/people.jsonl', type = 'source');
CREATE TABLE out WITH (connector = 'single_file', path = 'sink_merge.json', type = 'sink');
INSERT INTO out SELECT id, name FROM src WHERE id < 3;
INSERT INTO out SELECT id + 100, lower(name) FROM src WHERE id >= 3;
