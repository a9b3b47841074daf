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

SELECT id, lower(name) AS l, length(name) AS len, char_length(name) AS cl, substr(name, 2, 3) AS sub, concat(name, '-', id) AS cc, name || '!' AS bang, trim(name) AS t, ltrim('  x') AS lt, rtrim(name) AS rt, replace(name, 'a', 'A') AS r, strpos(name, 'o') AS pos, starts_with(name, 'A') AS sw, lpad(CAST(id AS TEXT), 3, '0') AS lp, rpad(name, 7, '.') AS rp FROM people;
