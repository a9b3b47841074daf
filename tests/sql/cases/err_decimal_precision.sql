CREATE TABLE t (id BIGINT, amount DECIMAL(50, 2)) WITH (connector = 'single_file', path = '../data/numbers.jsonl', type = 'source');
SELECT id FROM t;
