-- Regular-expression functions and operators not covered by regex.sql:
-- flags, the match operators, group references in replacements, unset
-- groups, whole-match extraction, regexp_match arrays.
CREATE TABLE strings (id BIGINT, s TEXT, u TEXT, n BIGINT, d TEXT)
WITH (connector = 'single_file', path = '../data/strings.jsonl', format = 'json', type = 'source');

SELECT id,
       regexp_like(s, 'HELLO', 'i') AS like_i,
       regexp_like(s, 'HELLO', 'c') AS like_c,
       regexp_like(s, 'hello \s world', 'x') AS like_x,
       regexp_like(E'a\nb', '^b', 'm') AS like_m,
       regexp_like(E'a\nb', '^b') AS like_no_m,
       regexp_like(E'a\nb', 'a.b', 's') AS like_s,
       regexp_like(E'a\nb', 'a.b') AS like_no_s,
       s ~ 'o w' AS m,
       s ~* 'WORLD' AS mi,
       s !~ 'o w' AS nm,
       s !~* 'WORLD' AS nmi,
       regexp_replace(s, 'o', '0') AS first_only,
       regexp_replace(s, '(\w+) (\w+)', '\2 \1') AS swapped,
       regexp_replace(s, '(?<first>h)', '${first}${1}$1') AS named,
       regexp_replace(s, 'L', '_', 'gi') AS all_i,
       regexp_replace(u, '.', '*', 'g') AS per_char,
       regexp_extract(s, 'o(x)?') AS unset_group,
       regexp_extract(s, 'w(or)ld', 0) AS whole,
       regexp_match(s, '(\w+) (\w+)') AS groups,
       regexp_match(s, '(H)(E)', 'i') AS groups_i
FROM strings;
