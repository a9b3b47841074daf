-- sort
-- idle_micros (a number of microseconds, or an interval text) is accepted
-- on a source and does not change its rows.
CREATE TABLE e (id BIGINT, ts TIMESTAMP, wm TIMESTAMP)
WITH (connector = 'single_file', path = '../data/wm.jsonl', format = 'json', type = 'source',
      event_time_field = 'ts', idle_micros = '500000');
CREATE TABLE n WITH (connector = 'nexmark', event_count = '2', paced = 'false',
                     base_time = '2024-01-01T00:00:00Z', idle_micros = '2 seconds');
SELECT id, _timestamp AS t FROM e
UNION ALL SELECT coalesce(person.id, auction.id), _timestamp AS t FROM n;
