-- changelog
-- args: --batch-rows 4
-- The highest bid of each auction over an append-only stream (Nexmark q9's
-- shape): an updating top-1 whose row number is not selected.  A bid that
-- beats the top one retracts it; bids with the same price go to the
-- earlier one, and exact ties (price and time) to the smaller row.  NULL
-- auctions form one partition; NULL prices go last.  The folded result is
-- DuckDB's QUALIFY row_number() … = 1 on the same rows.
CREATE TABLE bids (auction BIGINT, bidder TEXT, price BIGINT, ts TIMESTAMP, WATERMARK FOR ts)
    WITH (connector = 'single_file', path = '../data/bids.jsonl', format = 'json', type = 'source');
SELECT auction, bidder, price, ts FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC NULLS LAST, ts) AS row_num
    FROM bids)
WHERE row_num <= 1;
