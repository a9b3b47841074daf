-- Array functions not covered by arrays.sql: append/prepend/concat/cat,
-- has/position, array_to_string with and without null text, array_length
-- of a dimension, cardinality of nested arrays, NULL and empty arrays.
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

SELECT id,
       array_append(tags, name) AS appended,
       array_prepend(city, tags) AS prepended,
       array_concat(tags, ARRAY['x', 'y']) AS concat,
       array_cat(tags, tags) AS cat,
       array_has(tags, 'ops') AS has_ops,
       array_position(tags, 'ops') AS pos_ops,
       array_to_string(tags, '/') AS joined,
       array_to_string(ARRAY[name, NULL, city], ', ') AS skip_nulls,
       array_to_string(ARRAY[name, NULL, city], ', ', '?') AS null_text,
       array_length(tags, 1) AS len1,
       array_length(tags, 2) AS len2,
       cardinality(ARRAY[ARRAY[1, 2], ARRAY[3]]) AS nested,
       array_length(ARRAY[ARRAY[1, 2], ARRAY[3]]) AS outer_len,
       ARRAY[id, NULL][2] AS null_elem
FROM people;
