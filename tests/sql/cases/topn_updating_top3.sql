-- changelog
-- args: --batch-rows 3
-- The three best bids of each auction with their row numbers: a bid that
-- enters the top 3 pushes the ones below it down (each retracted with its
-- old number and inserted with its new one) and the third out.  DESC puts
-- NULL prices first (PostgreSQL's default).  The folded result is DuckDB's
-- QUALIFY row_number() … <= 3 on the same rows.
CREATE TABLE bids (auction BIGINT, bidder TEXT, price BIGINT, ts TIMESTAMP, WATERMARK FOR ts)
    WITH (connector = 'single_file', path = '../data/bids.jsonl', format = 'json', type = 'source');
SELECT * FROM (
    SELECT auction, bidder, price, ts,
           ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC, ts) AS row_num
    FROM bids)
WHERE row_num <= 3;
