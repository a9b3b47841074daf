-- Time functions not covered by time_funcs.sql: the clock (as properties:
-- its value changes), date_trunc and date_part over every unit and type.
CREATE TABLE t (id BIGINT, ts TIMESTAMP, d DATE, secs BIGINT, txt TEXT)
WITH (connector = 'single_file', path = '../data/times.jsonl', format = 'json', type = 'source');

SELECT id,
       now() > TIMESTAMP '2020-01-01 00:00:00' AS now_ok,
       current_timestamp() > TIMESTAMP '2020-01-01 00:00:00' AS cts_ok,
       current_date() >= DATE '2024-01-01' AS cd_ok,
       now() - current_timestamp() < INTERVAL '1 hour' AS clocks_agree,
       date_trunc('year', ts) AS tr_year, date_trunc('quarter', ts) AS tr_quarter,
       date_trunc('month', ts) AS tr_month, date_trunc('week', ts) AS tr_week,
       date_trunc('day', ts) AS tr_day, date_trunc('hour', ts) AS tr_hour,
       date_trunc('second', ts) AS tr_sec, date_trunc('millisecond', ts) AS tr_ms,
       date_trunc('microsecond', ts) AS tr_us, date_trunc('month', d) AS tr_date,
       date_part('year', ts) AS p_year, date_part('hour', ts) AS p_hour,
       date_part('minute', ts) AS p_min, date_part('day', d) AS p_day,
       date_part('month', d) AS p_month,
       date_part('day', INTERVAL '1 day 5 hours') AS pi_day,
       date_part('hour', INTERVAL '1 day 5 hours') AS pi_hour,
       date_part('minute', INTERVAL '90 minutes') AS pi_min
FROM t;
