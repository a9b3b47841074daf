-- Over a stream without a window only ROW_NUMBER is supported (as a top-N).
CREATE TABLE bids (auction BIGINT, bidder TEXT, price BIGINT, ts TIMESTAMP, WATERMARK FOR ts)
    WITH (connector = 'single_file', path = '../data/bids.jsonl', format = 'json', type = 'source');
SELECT * FROM (
    SELECT auction, price, RANK() OVER (PARTITION BY auction ORDER BY price DESC) AS r FROM bids)
WHERE r <= 1;
