-- changelog
-- An interval join whose upper bound is another column of the left side
-- (Nexmark q4: bids between the auction's start and its expiry), the max
-- bid per auction, then the average per category.  The join keeps a bid
-- only while an auction could still take it and releases an auction when
-- the watermark passes its expiry.
CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '10000', event_count = '30000', paced = 'false', base_time = '2024-01-01T00:00:00Z');
SELECT q.category, avg(q.final) AS avg_final, count(*) AS auctions FROM (
    SELECT max(b.price) AS final, a.category AS category
    FROM (SELECT auction.id AS id, auction.category AS category, auction.datetime AS datetime, auction.expires AS expires
          FROM nexmark WHERE auction IS NOT NULL) AS a
    JOIN (SELECT bid.auction AS auction, bid.price AS price, bid.datetime AS datetime FROM nexmark WHERE bid IS NOT NULL) AS b
    ON a.id = b.auction AND b.datetime BETWEEN a.datetime AND a.expires
    GROUP BY a.id, a.category) AS q
GROUP BY q.category;
