CREATE TABLE src (id BIGINT) WITH (connector = 'single_file', path = '../data/does_not_exist.jsonl', format = 'json', type = 'source');
SELECT id FROM src;
