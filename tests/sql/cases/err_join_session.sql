CREATE TABLE customers (id BIGINT, name TEXT, tier TEXT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
    WITH (connector = 'single_file', path = '../data/customers.jsonl', format = 'json', type = 'source');
CREATE TABLE orders (oid BIGINT, customer_id BIGINT, amount BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
    WITH (connector = 'single_file', path = '../data/orders.jsonl', format = 'json', type = 'source');
SELECT a.n, b.n FROM (SELECT customer_id AS k, count(*) AS n, session(interval '5 seconds') AS window FROM orders GROUP BY 1, window) a
JOIN (SELECT id AS k, count(*) AS n, session(interval '5 seconds') AS window FROM customers GROUP BY 1, window) b
ON a.k = b.k AND a.window = b.window;
