-- sort
-- A left interval join: each view once per click of its user within 10 s
-- after it (bounds inclusive: view 2 at 1 s with click 5 at 11 s, view 13
-- with click 9 at the same time), and a view without one once with NULLs,
-- when the watermark passes the end of its interval or the input ends: a
-- NULL user (4), clicks just after the interval (5, 6), users without
-- clicks (8, 9), a click before the view (11, 12).  Views 1 and 3 share a
-- user and click 4 matches both, after other rows arrived; views 2 and 7
-- share click 5.  The same as DuckDB's
--   SELECT v.vid, v.user_id, c.cid, c.ts FROM views v LEFT JOIN clicks c
--   ON c.user_id = v.user_id AND c.ts BETWEEN v.ts AND v.ts + INTERVAL 10 SECOND
CREATE TABLE views (vid BIGINT, user_id BIGINT, ts TIMESTAMP, expires TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
    WITH (connector = 'single_file', path = '../data/ad_views.jsonl', format = 'json', type = 'source');
CREATE TABLE clicks (cid BIGINT, user_id BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
    WITH (connector = 'single_file', path = '../data/ad_clicks.jsonl', format = 'json', type = 'source');
SELECT v.vid, v.user_id, c.cid, c.ts AS click_ts FROM views v LEFT JOIN clicks c ON c.user_id = v.user_id
  AND c.ts BETWEEN v.ts AND v.ts + INTERVAL '10' SECOND;
