-- sort
-- A right interval join, the bounds written the other way round: each
-- click once per view of its user at most 10 s before it, and a click
-- without one once with NULLs: a NULL user (2), a user without views (3),
-- clicks just after a view's interval (6, 7) or long after (10).  The same
-- as DuckDB's
--   SELECT v.vid, c.cid, c.user_id, c.ts FROM views v RIGHT JOIN clicks c
--   ON v.user_id = c.user_id AND v.ts >= c.ts - INTERVAL 10 SECOND AND v.ts <= c.ts
CREATE TABLE views (vid BIGINT, user_id BIGINT, ts TIMESTAMP, expires TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
    WITH (connector = 'single_file', path = '../data/ad_views.jsonl', format = 'json', type = 'source');
CREATE TABLE clicks (cid BIGINT, user_id BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
    WITH (connector = 'single_file', path = '../data/ad_clicks.jsonl', format = 'json', type = 'source');
SELECT v.vid, c.cid, c.user_id, c.ts AS click_ts FROM views v RIGHT JOIN clicks c ON v.user_id = c.user_id
  AND v.ts >= c.ts - INTERVAL '10' SECOND AND v.ts <= c.ts;
