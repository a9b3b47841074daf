-- An updating top-N into a plain json sink is refused when planned.
CREATE TABLE bids (auction BIGINT, bidder TEXT, price BIGINT, ts TIMESTAMP, WATERMARK FOR ts)
    WITH (connector = 'single_file', path = '../data/bids.jsonl', format = 'json', type = 'source');
CREATE TABLE winners (auction BIGINT, price BIGINT) WITH (connector = 'single_file', path = 'winners_err.json', format = 'json', type = 'sink');
INSERT INTO winners SELECT auction, price FROM (
    SELECT auction, price, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rn FROM bids)
WHERE rn <= 1;
