-- q9: the winning bid of each auction — the bids placed between the
-- auction's start and its expiry (an interval join bounded by a column),
-- then ROW_NUMBER() per auction by price, highest first (the earlier bid
-- on a tie), kept to row 1: an updating top-1.
CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '10000000', event_count = '${EVENTS}', paced = 'false', base_time = '2024-01-01T00:00:00Z');
CREATE TABLE bh WITH (connector = 'blackhole');
INSERT INTO bh
SELECT id, item_name, description, initial_bid, reserve, datetime, expires, seller, category,
       auction, bidder, price, bid_datetime
FROM (SELECT a.*, b.auction, b.bidder, b.price, b.datetime AS bid_datetime,
             ROW_NUMBER() OVER (PARTITION BY a.id ORDER BY b.price DESC, b.datetime ASC) AS row_num
      FROM (SELECT auction.id AS id, auction.item_name AS item_name, auction.description AS description,
                   auction.initial_bid AS initial_bid, auction.reserve AS reserve,
                   auction.datetime AS datetime, auction.expires AS expires,
                   auction.seller AS seller, auction.category AS category
            FROM nexmark WHERE auction IS NOT NULL) AS a
      JOIN (SELECT bid.auction AS auction, bid.bidder AS bidder, bid.price AS price, bid.datetime AS datetime
            FROM nexmark WHERE bid IS NOT NULL) AS b
      ON a.id = b.auction AND b.datetime BETWEEN a.datetime AND a.expires)
WHERE row_num <= 1;
