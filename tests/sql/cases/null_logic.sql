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

SELECT id, age IS NULL AS no_age, city IS NOT NULL AS has_city, (age > 30) IS TRUE AS t, (age > 30) IS NOT FALSE AS nf, (age > 30 AND city = 'x') AS a3, (age > 30 OR city IS NULL) AS o3, NOT (age > 30) AS n3 FROM people;
