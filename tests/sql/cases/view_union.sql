-- sort
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

CREATE VIEW lisbon AS SELECT id, name FROM people WHERE city = 'Lisbon';
SELECT id, name FROM lisbon UNION ALL SELECT id * 100, upper(name) FROM people WHERE city = 'Porto';
