-- sort
-- args: --batch-rows 1
-- A left interval join into a tumble window, one row per batch so the
-- watermark advances row by row: a view without a click is emitted at its
-- own time 10 s after it, and the join holds its watermark back until
-- then, so the window still counts it (not dropped as late).  Joined rows
-- carry the later of the two times.  The same as DuckDB's
--   SELECT time_bucket(INTERVAL 10 SECOND, greatest(v.ts, coalesce(c.ts, v.ts))) AS w,
--          count(*), count(c.cid) FROM views v LEFT JOIN clicks c
--   ON c.user_id = v.user_id AND c.ts BETWEEN v.ts AND v.ts + INTERVAL 10 SECOND GROUP BY w
CREATE TABLE views (vid BIGINT, user_id BIGINT, ts TIMESTAMP, expires TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
    WITH (connector = 'single_file', path = '../data/ad_views.jsonl', format = 'json', type = 'source');
CREATE TABLE clicks (cid BIGINT, user_id BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
    WITH (connector = 'single_file', path = '../data/ad_clicks.jsonl', format = 'json', type = 'source');
SELECT window.start AS start, n, clicked FROM (
  SELECT tumble(interval '10 seconds') AS window, count(*) AS n, count(c.cid) AS clicked
  FROM views v LEFT JOIN clicks c ON c.user_id = v.user_id
    AND c.ts BETWEEN v.ts AND v.ts + INTERVAL '10' SECOND
  GROUP BY window);
