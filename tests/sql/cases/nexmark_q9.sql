-- changelog
-- Nexmark q9, the winning bid of each auction (bench/nexmark/q9.sql with
-- fewer auction columns): the bids placed between the auction's start and
-- its expiry (an interval join bounded by a column), then ROW_NUMBER() per
-- auction by price (highest first, the earlier bid on a tie) kept to row
-- 1 — an updating top-1.  The folded result is DuckDB's for the same join
-- and ROW_NUMBER over the same events (one row per auction that received a
-- bid in time).
CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '10000', event_count = '30000', paced = 'false', base_time = '2024-01-01T00:00:00Z');
SELECT id, seller, category, bidder, price, bid_datetime FROM (
    SELECT a.*, b.bidder, b.price, b.datetime AS bid_datetime,
           ROW_NUMBER() OVER (PARTITION BY a.id ORDER BY b.price DESC, b.datetime ASC) AS row_num
    FROM (SELECT auction.id AS id, auction.seller AS seller, auction.category AS category,
                 auction.datetime AS datetime, auction.expires AS expires
          FROM nexmark WHERE auction IS NOT NULL) AS a
    JOIN (SELECT bid.auction AS auction, bid.bidder AS bidder, bid.price AS price,
                 bid.datetime AS datetime
          FROM nexmark WHERE bid IS NOT NULL) AS b
    ON a.id = b.auction AND b.datetime BETWEEN a.datetime AND a.expires)
WHERE row_num <= 1;
