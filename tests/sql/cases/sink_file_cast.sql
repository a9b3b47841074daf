-- file: sink_file_cast.json
CREATE TABLE src (id BIGINT, name TEXT, age INT) WITH (connector = 'single_file', path = '../data/people.jsonl', format = 'json', type = 'source');
CREATE TABLE out (id TEXT, who TEXT, age DOUBLE) WITH (connector = 'single_file', path = 'sink_file_cast.json', format = 'json', type = 'sink');
INSERT INTO out SELECT id, name, age FROM src;
