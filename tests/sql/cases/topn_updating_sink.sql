-- file: topn_out.json
-- changelog
-- args: --batch-rows 7
-- An updating top-1 written by a debezium_json sink (the file's changes,
-- folded, are the winning bid of each auction).
CREATE TABLE bids (auction BIGINT, bidder TEXT, price BIGINT, ts TIMESTAMP, WATERMARK FOR ts)
    WITH (connector = 'single_file', path = '../data/bids.jsonl', format = 'json', type = 'source');
CREATE TABLE winners WITH (connector = 'single_file', path = 'topn_out.json', format = 'debezium_json', type = 'sink');
INSERT INTO winners
SELECT auction, bidder, price FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC NULLS LAST, ts) AS row_num
    FROM bids)
WHERE row_num = 1;
