-- The to_timestamp family (numbers of each unit, RFC 3339 text truncated
-- to each unit), from_unixtime, to_date, make_date, date_bin.
CREATE TABLE t (id BIGINT, ts TIMESTAMP, d DATE, secs BIGINT, txt TEXT)
WITH (connector = 'single_file', path = '../data/times.jsonl', format = 'json', type = 'source');

SELECT id,
       to_timestamp(CAST(secs AS DOUBLE) + 0.5) AS tts_double,
       to_timestamp(txt) AS tts_text,
       to_timestamp_seconds(secs) AS s_int, to_timestamp_millis(secs * 1000 + 123) AS ms_int,
       to_timestamp_micros(secs * 1000000 + 123456) AS us_int,
       to_timestamp_nanos(secs * 1000000000 + 123456789) AS ns_int,
       to_timestamp_seconds(txt) AS s_text, to_timestamp_millis(txt) AS ms_text,
       to_timestamp_micros(txt) AS us_text, to_timestamp_nanos(txt) AS ns_text,
       from_unixtime(secs - 1699913600) AS fu,
       to_date(CAST(d AS TEXT)) AS td, make_date(2024, 2, 29) AS md,
       date_bin(INTERVAL '15 minutes', ts) AS bin15,
       date_bin(INTERVAL '15 minutes', ts, TIMESTAMP '2024-01-01 00:07:00') AS bin15_origin
FROM t;
