-- q2: bids on a few auctions.
CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '10000000', event_count = '${EVENTS}', paced = 'false', base_time = '2024-01-01T00:00:00Z');
CREATE TABLE bh WITH (connector = 'blackhole');
INSERT INTO bh
SELECT bid.auction, bid.price
FROM nexmark WHERE bid IS NOT NULL AND bid.auction % 123 = 0;
