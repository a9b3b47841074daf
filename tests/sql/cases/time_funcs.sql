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

SELECT id, joined, date_trunc('minute', joined) AS minute, date_part('second', joined) AS sec, EXTRACT(year FROM joined) AS y, joined + interval '1 hour' AS later, joined - INTERVAL '5' SECOND AS earlier, to_timestamp(1700000000) AS tts, from_unixtime(0) AS epoch FROM people;
