CREATE TABLE numbers (i BIGINT, b BIGINT, s SMALLINT, d DOUBLE, t TEXT, flag BOOLEAN, m DECIMAL(8,3)) WITH (connector = 'single_file', path = '../data/numbers.jsonl', format = 'json', type = 'source');
SELECT b + 1 FROM numbers;
