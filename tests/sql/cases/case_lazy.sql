CREATE TABLE numbers (i BIGINT, b BIGINT, s SMALLINT, d DOUBLE, t TEXT, flag BOOLEAN, m DECIMAL(8,3)) WITH (connector = 'single_file', path = '../data/numbers.jsonl', format = 'json', type = 'source');
SELECT i, CASE WHEN i = 0 THEN 0 ELSE 10 / i END AS safe FROM numbers;
