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

SELECT id, name LIKE 'A%' AS la, name ILIKE 'a%' AS ia, name NOT LIKE '%o%' AS nl, age BETWEEN 20 AND 40 AS b, age NOT BETWEEN 20 AND 40 AS nb, city IN ('Lisbon', 'Faro') AS i, city NOT IN ('Lisbon', 'Faro') AS ni FROM people;
