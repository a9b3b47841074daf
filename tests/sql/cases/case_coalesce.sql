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

SELECT id, CASE WHEN age >= 40 THEN 'senior' WHEN age >= 25 THEN 'mid' ELSE 'junior' END AS band, CASE city WHEN 'Lisbon' THEN 1 WHEN 'Porto' THEN 2 END AS code, coalesce(city, name, 'none') AS place, nullif(city, 'Lisbon') AS not_lisbon FROM people;
