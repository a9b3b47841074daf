CREATE TABLE people (
    id BIGINT NOT NULL,
    name TEXT,
    age INT,
    city VARCHAR,
    score DOUBLE,
    joined TIMESTAMP,
    tags TEXT[],
    address STRUCT<street TEXT, zip TEXT>,
    payload JSON
) WITH (connector = 'single_file', path = '../data/people.jsonl', format = 'json', type = 'source');

WITH adults AS (SELECT id, name, age FROM people WHERE age >= 21) SELECT name, age * 2 AS double_age FROM (SELECT * FROM adults WHERE id > 1) AS a;
