-- runtime = '1' bounds the source to one second of event time: at 10
-- events/s, 10 events 100 ms apart (event 0 a person, 1-3 auctions, then
-- bids), generated at once with paced = 'false'.
CREATE TABLE n WITH (connector = 'nexmark', event_rate = '10', runtime = '1', paced = 'false',
                     base_time = '2024-01-01T00:00:00Z');
SELECT _timestamp AS t, person IS NOT NULL AS p, auction IS NOT NULL AS a, bid IS NOT NULL AS b FROM n;
