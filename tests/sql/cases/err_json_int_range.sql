-- b is 9223372036854775807 on line 1: out of INT's range
CREATE TABLE numbers (i BIGINT, b INT) WITH (connector = 'single_file', path = '../data/numbers.jsonl', format = 'json', type = 'source');
SELECT i, b FROM numbers;
