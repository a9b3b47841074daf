-- Date, timestamp and interval arithmetic (PostgreSQL's results and
-- interval output, '+' marking a positive field after a negative one).
CREATE TABLE t (id BIGINT, ts TIMESTAMP, d DATE, secs BIGINT, txt TEXT)
WITH (connector = 'single_file', path = '../data/times.jsonl', format = 'json', type = 'source');

SELECT id,
       d + 1 AS d_plus, 1 + d AS plus_d, d - 60 AS d_minus, d - DATE '2024-01-01' AS d_diff,
       d + INTERVAL '1 day 2 hours' AS d_iv, INTERVAL '1 month' + d AS iv_d,
       d - INTERVAL '1 year' AS d_minus_year,
       INTERVAL '1 day' + ts AS iv_ts, ts - INTERVAL '1 month' AS ts_minus_month,
       ts - TIMESTAMP '2024-02-29 13:45:30' AS ts_diff,
       INTERVAL '1 day' + INTERVAL '2 hours' AS iv_sum, INTERVAL '1 hour' - INTERVAL '1 day' AS iv_sub,
       INTERVAL '1 month' - INTERVAL '3 days' AS iv_mixed, INTERVAL '3 days' - INTERVAL '1 month' AS iv_mixed2,
       -INTERVAL '1 day 2 hours' AS iv_neg, INTERVAL '2 hours' * 3 AS iv_mul,
       4 * INTERVAL '1 month' AS mul_iv, INTERVAL '1 day' * 1.5 AS iv_mul_d,
       0.5 * INTERVAL '1 hour' AS d_mul_iv, INTERVAL '1 day' / 4 AS iv_div
FROM t;
