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

SELECT id, tags[1] AS first_tag, tags[5] AS missing, array_length(tags) AS n, cardinality(tags) AS c, array_contains(tags, 'dev') AS is_dev, ARRAY[id, id * 10] AS pair FROM people;
