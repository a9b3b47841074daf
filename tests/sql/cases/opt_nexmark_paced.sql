-- paced (the default): with no base_time, event n is due at start + n /
-- event_rate of the wall clock and is not emitted before, so now() is
-- never earlier than an event's time.  0.2 s in all.
CREATE TABLE n WITH (connector = 'nexmark', event_rate = '50', event_count = '10');
SELECT now() >= _timestamp AS on_time FROM n;
