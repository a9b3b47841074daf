-- file: out/sink_filesystem/part-0-0.json
CREATE TABLE src (id BIGINT, name TEXT, age INT) WITH (connector = 'single_file', path = '../data/people.jsonl', format = 'json', type = 'source');
CREATE TABLE out WITH (connector = 'filesystem', path = 'out/sink_filesystem', format = 'json');
INSERT INTO out SELECT id, upper(name) AS who, age FROM src WHERE age IS NULL OR age > 20;
