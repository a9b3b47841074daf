-- args: --batch-rows 6
-- topn_updating_changes with the row number selected: a bid whose number
-- changes is retracted with its old number and inserted with its new one.
CREATE TABLE bids (auction BIGINT, bidder TEXT, price BIGINT, ts TIMESTAMP, WATERMARK FOR ts)
    WITH (connector = 'single_file', path = '../data/bids.jsonl', format = 'json', type = 'source');
SELECT auction, bidder, price, row_num FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC NULLS LAST, ts) AS row_num
    FROM bids)
WHERE row_num <= 2;
