-- sort
CREATE TABLE customers (id BIGINT, name TEXT, tier TEXT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
    WITH (connector = 'single_file', path = '../data/customers.jsonl', format = 'json', type = 'source');
CREATE TABLE orders (oid BIGINT, customer_id BIGINT, amount BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
    WITH (connector = 'single_file', path = '../data/orders.jsonl', format = 'json', type = 'source');
SELECT c.n AS customers, o.n AS orders, o.window.start AS ws FROM
  (SELECT count(*) AS n, tumble(interval '10 seconds') AS window FROM customers GROUP BY window) c
  JOIN (SELECT count(*) AS n, tumble(interval '10 seconds') AS window FROM orders GROUP BY window) o
  ON c.window = o.window;
