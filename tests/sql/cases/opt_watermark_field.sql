-- args: --explain
-- watermark_field names the column holding the watermark (wm, $2): the
-- watermark operator uses it as is instead of _timestamp - 1 s; the event
-- time comes from event_time_field (ts, $1).
CREATE TABLE e (id BIGINT, ts TIMESTAMP, wm TIMESTAMP)
WITH (connector = 'single_file', path = '../data/wm.jsonl', format = 'json', type = 'source',
      event_time_field = 'ts', watermark_field = 'wm');
SELECT id, _timestamp AS t FROM e;
