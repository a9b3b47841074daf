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

SELECT id, CAST(id AS TEXT) AS t, id::DOUBLE AS d, CAST(score AS BIGINT) AS sb, CAST('12' AS INT) + 1 AS parsed, CAST(joined AS DATE) AS day, CAST(age AS DECIMAL(10,2)) AS dec, TRY_CAST(name AS BIGINT) AS tc FROM people;
