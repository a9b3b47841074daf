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

SELECT id, regexp_like(name, '^[A-Z][a-z]+$') AS proper, regexp_replace(name, '[aeiou]', '_', 'g') AS masked, regexp_extract(name, '([A-Z])([a-z]+)', 2) AS tail FROM people;
