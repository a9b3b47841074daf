-- An updating count over 1 M distinct keys (state size per key).
CREATE TABLE impulse WITH (connector = 'impulse', event_rate = '1000000000', message_count = '${EVENTS}');
CREATE TABLE bh WITH (connector = 'blackhole');
INSERT INTO bh
SELECT counter % 1000000 AS k, count(*) AS n FROM impulse GROUP BY 1;
