-- args: --batch-rows 6
-- The changes themselves (not folded) of a top-2 whose row number is not
-- selected: after each batch, a retraction of each bid that left an
-- auction's top 2 and an insert of each bid that entered it, retractions
-- first; a bid that only moves from first to second emits nothing, nor
-- does one that enters and leaves within a batch.
CREATE TABLE bids (auction BIGINT, bidder TEXT, price BIGINT, ts TIMESTAMP, WATERMARK FOR ts)
    WITH (connector = 'single_file', path = '../data/bids.jsonl', format = 'json', type = 'source');
SELECT auction, bidder, price FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC NULLS LAST, ts) AS row_num
    FROM bids)
WHERE row_num <= 2;
