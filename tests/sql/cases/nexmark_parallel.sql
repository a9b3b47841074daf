-- args: -p 2
-- sort
CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '1000', event_count = '100', paced = 'false', base_time = '2024-01-01T00:00:00Z');
SELECT bid.auction, bid.bidder, bid.price, bid.channel, bid.datetime FROM nexmark WHERE bid IS NOT NULL AND bid.price > 1000000;
