-- changelog
-- args: --batch-rows 5
-- An updating aggregate over an updating top-2 (the filter in the
-- aggregate's own WHERE): count and sum of each auction's two best bids,
-- updated as bids displace them.
CREATE TABLE bids (auction BIGINT, bidder TEXT, price BIGINT, ts TIMESTAMP, WATERMARK FOR ts)
    WITH (connector = 'single_file', path = '../data/bids.jsonl', format = 'json', type = 'source');
SELECT auction, count(*) AS bids, sum(price) AS total FROM (
    SELECT auction, price,
           ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC NULLS LAST, ts) AS rn
    FROM bids)
WHERE rn <= 2
GROUP BY auction;
