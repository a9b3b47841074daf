-- Math functions not covered by math_funcs.sql: trigonometry, logarithms
-- with a base, DECIMAL overloads of ceil/floor/round/trunc (scale kept),
-- sign, pi, random (a property only), unary minus, NULL propagation.
CREATE TABLE m (id BIGINT, x DOUBLE, y DOUBLE, "dec" DECIMAL(10, 3), i BIGINT)
WITH (connector = 'single_file', path = '../data/math.jsonl', format = 'json', type = 'source');

SELECT id,
       acos(x) AS acos, asin(x) AS asin, atan(x) AS atan, atan2(x, y) AS atan2,
       cos(x) AS cos, sin(x) AS sin, tan(x) AS tan,
       degrees(x) AS deg, radians(y * 90) AS rad,
       cbrt(y * 4) AS cbrt, exp(y) AS exp, pow(y, 3) AS pow,
       log(y + 8) AS log10, log(2.0, y + 6) AS log_b, log2(y + 2) AS log2,
       sign(x) AS sign, sign(y) AS sign0, pi() AS pi, -x AS neg_x, -i AS neg_i,
       ceil("dec") AS ceil_d, ceiling("dec") AS ceiling_d, ceiling(x) AS ceiling_x,
       floor("dec") AS floor_d, round("dec") AS round_d, round("dec", 1) AS round_d1,
       trunc("dec") AS trunc_d, trunc("dec", 2) AS trunc_d2, trunc(x * 3.14159, 3) AS trunc_x3,
       abs("dec") AS abs_d, mod(i, 2) AS mod_i, i / 2 AS div_i,
       greatest(x, y, NULL) AS g, least(x, y) AS l, nullif(i, 0) AS ni,
       random() >= 0 AND random() < 1 AS rnd_ok
FROM m;
