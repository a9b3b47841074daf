-- A top-N over a plain stream takes one ROW_NUMBER.
CREATE TABLE bids (auction BIGINT, bidder TEXT, price BIGINT, ts TIMESTAMP, WATERMARK FOR ts)
    WITH (connector = 'single_file', path = '../data/bids.jsonl', format = 'json', type = 'source');
SELECT * FROM (
    SELECT auction, price,
           ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS a,
           ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS b
    FROM bids)
WHERE a <= 1;
