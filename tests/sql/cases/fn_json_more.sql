-- JSON functions and operators not covered by json_ops.sql: typed getters,
-- array indexes (0-based, negative from the end), json_length without a
-- path, keys holding null, malformed JSON text, JSON nested in TEXT.
CREATE TABLE docs (id BIGINT, j JSON, t TEXT)
WITH (connector = 'single_file', path = '../data/json.jsonl', format = 'json', type = 'source');

SELECT id,
       json_get(j, 'b', 1) AS b1,
       json_get_json(j, 'c') AS c_json,
       json_get_float(j, 'c', 'f') AS f, json_get_float(j, 'a') AS a_float,
       json_get_bool(j, 'c', 'e') AS e, json_get_bool(j, 'a') AS a_bool,
       json_get_int(j, 'c', 'f') AS f_int, json_get_str(j, 1) AS s1,
       json_length(j) AS len, json_contains(j, 'n') AS has_n,
       j -> 'b' AS b, j -> 'b' -> -1 AS b_last, j -> 0 AS first, j ->> 1 AS second_text,
       j ->> 'n' AS n_text, j ->> 'c' AS c_text,
       json_get_str(t, 'x', 1, 'y') AS deep, json_contains(t, 'x') AS t_has_x,
       json_get(t, 'x') AS t_x, json_length(t, 'x') AS t_len
FROM docs;
