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

SELECT id, payload->'a' AS a, payload->>'a' AS a_text, json_get(payload, 'c', 'd') AS cd, json_get_str(payload, 'c', 'd') AS cd_str, json_get_int(payload, 'a') AS a_int, json_contains(payload, 'b') AS has_b, json_length(payload, 'b') AS nb FROM people;
