-- q4: average closing price per category — bids between an auction's start
-- and its expiry (an interval join bounded by a column), the max per
-- auction, then the average per category (updating).
CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '10000000', event_count = '${EVENTS}', paced = 'false', base_time = '2024-01-01T00:00:00Z');
CREATE TABLE bh WITH (connector = 'blackhole');
INSERT INTO bh
SELECT q.category, avg(q.final) AS avg_final FROM (
    SELECT max(b.price) AS final, a.category AS category
    FROM (SELECT auction.id AS id, auction.category AS category, auction.datetime AS datetime, auction.expires AS expires
          FROM nexmark WHERE auction IS NOT NULL) AS a
    JOIN (SELECT bid.auction AS auction, bid.price AS price, bid.datetime AS datetime FROM nexmark WHERE bid IS NOT NULL) AS b
    ON a.id = b.auction AND b.datetime BETWEEN a.datetime AND a.expires
    GROUP BY a.id, a.category) AS q
GROUP BY q.category;
