-- args: -p 3
-- sort
-- seed = '42' changes the generated values (compare nexmark_bids, seed 0)
-- but not the event kinds or ids; the same events at any parallelism.
CREATE TABLE n WITH (connector = 'nexmark', event_count = '12', seed = '42', paced = 'false',
                     base_time = '2024-01-01T00:00:00Z');
SELECT person.id AS pid, person.name, auction.id AS aid, auction.reserve, bid.auction, bid.price FROM n;
