-- Comparison and pattern operators not covered elsewhere: != <> == <=,
-- IS [NOT] DISTINCT FROM with NULLs, NOT ILIKE, LIKE escapes, ASCII-only
-- case folding, || with NULL, comparisons of dates, timestamps, intervals,
-- booleans and decimals of different scales, greatest/least over text.
CREATE TABLE strings (id BIGINT, s TEXT, u TEXT, n BIGINT, d TEXT)
WITH (connector = 'single_file', path = '../data/strings.jsonl', format = 'json', type = 'source');

SELECT id,
       n != 255 AS ne1, n <> -1 AS ne2, n <= 0 AS le, n == 255 AS eqeq,
       s IS NOT DISTINCT FROM 'hello world' AS not_distinct,
       n IS DISTINCT FROM NULL AS distinct_null,
       s NOT ILIKE 'HELLO%' AS not_ilike,
       u ILIKE 'NAÏVE%' AS ilike_ascii_only,
       d LIKE 'a_b%' AS like_underscore,
       'x%y' LIKE 'x\%y' AS like_escape, 'xzy' LIKE 'x\%y' AS like_escape_no,
       s || NULL AS concat_null,
       u < s AS text_lt,
       DATE '2024-01-01' < DATE '2024-01-02' AS date_lt,
       TIMESTAMP '2024-01-01 00:00:00.001' > TIMESTAMP '2024-01-01 00:00:00' AS ts_gt,
       INTERVAL '1 day' > INTERVAL '23 hours' AS iv_gt,
       TRUE > FALSE AS bool_gt,
       CAST(1.10 AS DECIMAL(5, 2)) = CAST(1.1 AS DECIMAL(4, 1)) AS dec_eq,
       greatest('b', s) AS g, least(n, 0) AS l, nullif(s, 'hello world') AS ni
FROM strings;
