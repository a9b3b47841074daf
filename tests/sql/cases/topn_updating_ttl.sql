-- changelog
-- The TTL forgets a partition that gets no row for updating_ttl: key 'a'
-- has rows at 0-0.2 s (its best: counter 0) and again from 3.5 s, long
-- after the 1 s TTL, so its later rows start a new top-1 (counter 39) and
-- counter 0 is never retracted; key 'b', fed every 0.1 s, keeps its state
-- (its best: counter 34).  Without the TTL, 'a' would end with counter 0
-- alone.
SET updating_ttl = interval '1 second';
CREATE TABLE i WITH (connector = 'impulse', event_rate = '10', message_count = '40');
SELECT k, counter FROM (
    SELECT k, counter, ROW_NUMBER() OVER (PARTITION BY k ORDER BY v DESC) AS rn
    FROM (SELECT CASE WHEN counter < 3 OR counter >= 35 THEN 'a' ELSE 'b' END AS k, counter,
                 CASE WHEN counter < 3 THEN 100 - counter ELSE counter END AS v
          FROM i))
WHERE rn <= 1;
