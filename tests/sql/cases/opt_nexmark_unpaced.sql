-- paced = 'false': events are generated at once while event time still
-- advances by 1 / event_rate (10 s here), so later events are ahead of the
-- wall clock.
CREATE TABLE n WITH (connector = 'nexmark', event_rate = '0.1', event_count = '3', paced = 'false');
SELECT _timestamp > now() AS ahead FROM n;
