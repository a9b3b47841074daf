-- Every digest over TEXT and over BYTEA (the same bytes give the same
-- digest), the empty string, NULL.
CREATE TABLE strings (id BIGINT, s TEXT, u TEXT, n BIGINT, d TEXT)
WITH (connector = 'single_file', path = '../data/strings.jsonl', format = 'json', type = 'source');

SELECT id,
       md5(CAST(u AS BYTEA)) AS md5_b,
       sha224(u) AS sha224_t, sha224(CAST(u AS BYTEA)) AS sha224_b,
       sha256(CAST(u AS BYTEA)) AS sha256_b,
       sha384(u) AS sha384_t, sha384(CAST(u AS BYTEA)) AS sha384_b,
       sha512(d) AS sha512_t, sha512(CAST(d AS BYTEA)) AS sha512_b
FROM strings;
