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

SELECT id, abs(-id) AS a, ceil(score) AS c, floor(score) AS f, round(score) AS r, round(score, 1) AS r1, trunc(score) AS t, power(id, 2) AS p, sqrt(id) AS s, ln(id) AS l, log10(id * 10) AS lg, exp(0) AS e, mod(id, 2) AS m, id % 3 AS m3, greatest(id, age, 30) AS g, least(id, age) AS le FROM people;
