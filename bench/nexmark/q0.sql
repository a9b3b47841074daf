-- q0: pass-through of bids.
CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '10000000', event_count = '${EVENTS}', paced = 'false', base_time = '2024-01-01T00:00:00Z');
CREATE TABLE bh WITH (connector = 'blackhole');
INSERT INTO bh
SELECT bid.auction, bid.bidder, bid.price, bid.channel, bid.url, bid.datetime, bid.extra
FROM nexmark WHERE bid IS NOT NULL;
