CREATE TABLE people (id BIGINT NOT NULL, name TEXT, tags ARRAY<TEXT>) WITH (connector = 'single_file', path = '../data/people.jsonl', type = 'source');
SELECT id, E'a\tb' AS esc, [1, 2][2] AS second, ROW(1, 'a') AS r, id IS DISTINCT FROM 2 AS d,
       position('o' IN name) AS p, substring(name FROM 2 FOR 2) AS s, trim(BOTH 'A' FROM name) AS t,
       tags, TIMESTAMP '2024-01-01 00:00:00' AS ts, DATE '2024-01-01' AS dt,
       name ~ '^[A-Z]' AS upper_start, name ~* '^a' AS a_any, name !~ 'o' AS no_o
FROM people WHERE id < 4;
