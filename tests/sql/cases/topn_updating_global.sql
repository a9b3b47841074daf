-- changelog
-- args: --batch-rows 4
-- A top-N without PARTITION BY: the three cheapest bids overall (NULL
-- prices last), with their row numbers.
CREATE TABLE bids (auction BIGINT, bidder TEXT, price BIGINT, ts TIMESTAMP, WATERMARK FOR ts)
    WITH (connector = 'single_file', path = '../data/bids.jsonl', format = 'json', type = 'source');
SELECT * FROM (
    SELECT bidder, price, ts, ROW_NUMBER() OVER (ORDER BY price, ts) AS row_num FROM bids)
WHERE row_num < 4;
