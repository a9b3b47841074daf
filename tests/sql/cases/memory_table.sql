CREATE TABLE clicks (
    "user" TEXT,
    page TEXT,
    ts TIMESTAMP,
    amount BIGINT,
    WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH (connector = 'single_file', path = '../data/clicks.jsonl', format = 'json', type = 'source');
CREATE TABLE buys ("user" TEXT, amount BIGINT);
INSERT INTO buys SELECT "user", amount FROM clicks WHERE page = 'buy';
SELECT "user", count(*) AS n, sum(amount) AS total, tumble(interval '1 minute') AS window FROM buys GROUP BY 1, window;
