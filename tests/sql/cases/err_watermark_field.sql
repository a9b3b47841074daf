CREATE TABLE e (id BIGINT, ts TIMESTAMP, wm TEXT)
WITH (connector = 'single_file', path = '../data/wm.jsonl', type = 'source',
      watermark_field = 'wm');
SELECT id FROM e;
