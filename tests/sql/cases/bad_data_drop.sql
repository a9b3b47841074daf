CREATE TABLE src (id BIGINT, name TEXT) WITH (connector = 'single_file', path = '../data/bad.jsonl', format = 'json', type = 'source', bad_data = 'drop');
SELECT id, name FROM src;
