-- sort
-- Interval joins bounded by a column of the view (Nexmark q4's form), left
-- and full: a click counts between the view and its expiry; a view is
-- released, with NULLs when nothing matched, once the watermark passes its
-- expiry (view 2 waits until 20 s, view 5 until 30 s; each is matched by a
-- click after rows of other users); the full join adds each click outside
-- every [ts, expires] of its user's views once with NULLs.  The same as
-- DuckDB's
--   SELECT 'left' AS j, v.vid, c.cid FROM views v LEFT JOIN clicks c
--   ON c.user_id = v.user_id AND c.ts BETWEEN v.ts AND v.expires
-- and the same with FULL JOIN.
CREATE TABLE views (vid BIGINT, user_id BIGINT, ts TIMESTAMP, expires TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
    WITH (connector = 'single_file', path = '../data/ad_views.jsonl', format = 'json', type = 'source');
CREATE TABLE clicks (cid BIGINT, user_id BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
    WITH (connector = 'single_file', path = '../data/ad_clicks.jsonl', format = 'json', type = 'source');
SELECT 'left' AS j, v.vid, c.cid FROM views v LEFT JOIN clicks c
  ON c.user_id = v.user_id AND c.ts BETWEEN v.ts AND v.expires;
SELECT 'full' AS j, v.vid, c.cid FROM views v FULL JOIN clicks c
  ON c.user_id = v.user_id AND c.ts BETWEEN v.ts AND v.expires;
