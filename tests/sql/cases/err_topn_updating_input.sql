-- ROW_NUMBER over an updating input (an updating aggregate): refused at
-- its OVER clause.
CREATE TABLE bids (auction BIGINT, bidder TEXT, price BIGINT, ts TIMESTAMP, WATERMARK FOR ts)
    WITH (connector = 'single_file', path = '../data/bids.jsonl', format = 'json', type = 'source');
SELECT * FROM (
    SELECT auction, n, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY n DESC) AS rn
    FROM (SELECT auction, count(*) AS n FROM bids GROUP BY auction))
WHERE rn <= 1;
