-- q8: people who registered and opened an auction in the same 10 s window
-- (a windowed join of two tumbling group-bys).
CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '10000000', event_count = '${EVENTS}', paced = 'false', base_time = '2024-01-01T00:00:00Z');
CREATE TABLE bh WITH (connector = 'blackhole');
INSERT INTO bh
SELECT p.id, p.name, p.window.start AS starttime
FROM (SELECT person.id AS id, person.name AS name, tumble(interval '10 seconds') AS window
      FROM nexmark WHERE person IS NOT NULL GROUP BY 1, 2, window) AS p
JOIN (SELECT auction.seller AS seller, tumble(interval '10 seconds') AS window
      FROM nexmark WHERE auction IS NOT NULL GROUP BY 1, window) AS a
ON p.id = a.seller AND p.window = a.window;
