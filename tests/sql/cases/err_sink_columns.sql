CREATE TABLE src (id BIGINT, name TEXT) WITH (connector = 'single_file', path = '../data/people.jsonl', type = 'source');
CREATE TABLE out (id BIGINT) WITH (connector = 'single_file', path = 'sink_err.json', type = 'sink');
INSERT INTO out SELECT id, name FROM src;
