-- sort
-- args: -p 2
-- A full interval join at parallelism 2: matched pairs once, and views
-- and clicks without a match each once with NULLs on the other side
-- (rows of NULL users among them).  The same as DuckDB's
--   SELECT v.vid, c.cid, coalesce(v.user_id, c.user_id) FROM views v FULL JOIN clicks c
--   ON c.user_id = v.user_id AND c.ts BETWEEN v.ts AND v.ts + INTERVAL 10 SECOND
CREATE TABLE views (vid BIGINT, user_id BIGINT, ts TIMESTAMP, expires TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
    WITH (connector = 'single_file', path = '../data/ad_views.jsonl', format = 'json', type = 'source');
CREATE TABLE clicks (cid BIGINT, user_id BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
    WITH (connector = 'single_file', path = '../data/ad_clicks.jsonl', format = 'json', type = 'source');
SELECT v.vid, c.cid, coalesce(v.user_id, c.user_id) AS user_id FROM views v FULL OUTER JOIN clicks c
  ON c.user_id = v.user_id AND c.ts BETWEEN v.ts AND v.ts + INTERVAL '10' SECOND;
