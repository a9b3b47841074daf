CREATE TABLE numbers (i BIGINT, b BIGINT, s SMALLINT, d DOUBLE, t TEXT, flag BOOLEAN, m DECIMAL(8,3)) WITH (connector = 'single_file', path = '../data/numbers.jsonl', format = 'json', type = 'source');
SELECT i, b, s, d, t, flag, m, m * 2 AS m2, s + 1 AS s1, i / 2 AS half, d * 2 AS dd FROM numbers;
