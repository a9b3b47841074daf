CREATE TABLE t (id BIGINT, amount MONEY) WITH (connector = 'single_file', path = '../data/numbers.jsonl', type = 'source');
SELECT id FROM t;
