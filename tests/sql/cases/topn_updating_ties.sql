-- changelog
-- args: -p 2 --batch-rows 1
-- Ties on the ORDER BY keys (price only) are broken by the rows' columns,
-- so the top 2 does not depend on arrival order: the folded result is
-- DuckDB's QUALIFY row_number() OVER (PARTITION BY auction ORDER BY price
-- DESC NULLS FIRST, auction, bidder, price, ts) <= 2, at -p 2 with a row
-- per batch.
CREATE TABLE bids (auction BIGINT, bidder TEXT, price BIGINT, ts TIMESTAMP, WATERMARK FOR ts)
    WITH (connector = 'single_file', path = '../data/bids.jsonl', format = 'json', type = 'source');
SELECT auction, bidder, price, ts FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS row_num
    FROM bids)
WHERE row_num <= 2;
