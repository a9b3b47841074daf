CREATE TABLE src (id BIGINT, tags TEXT[]) WITH (connector = 'single_file', path = '../data/people.jsonl', type = 'source');
CREATE TABLE out (id BIGINT, tags BIGINT) WITH (connector = 'single_file', path = 'sink_err.json', type = 'sink');
INSERT INTO out SELECT id, tags FROM src;
