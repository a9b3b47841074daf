-- q20: bids joined with their auction, category 10 only (an updating join).
CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '10000000', event_count = '${EVENTS}', paced = 'false', base_time = '2024-01-01T00:00:00Z');
CREATE TABLE bh WITH (connector = 'blackhole');
INSERT INTO bh
SELECT b.auction, b.bidder, b.price, b.channel, b.url, b.datetime,
       a.item_name, a.description, a.initial_bid, a.reserve, a.expires, a.seller, a.category
FROM (SELECT bid.auction AS auction, bid.bidder AS bidder, bid.price AS price, bid.channel AS channel,
             bid.url AS url, bid.datetime AS datetime FROM nexmark WHERE bid IS NOT NULL) AS b
JOIN (SELECT auction.id AS id, auction.item_name AS item_name, auction.description AS description,
             auction.initial_bid AS initial_bid, auction.reserve AS reserve, auction.expires AS expires,
             auction.seller AS seller, auction.category AS category
      FROM nexmark WHERE auction IS NOT NULL AND auction.category = 10) AS a
ON b.auction = a.id;
