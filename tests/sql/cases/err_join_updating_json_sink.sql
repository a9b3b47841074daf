CREATE TABLE customers (id BIGINT, name TEXT, tier TEXT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
    WITH (connector = 'single_file', path = '../data/customers.jsonl', format = 'json', type = 'source');
CREATE TABLE orders (oid BIGINT, customer_id BIGINT, amount BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
    WITH (connector = 'single_file', path = '../data/orders.jsonl', format = 'json', type = 'source');
CREATE TABLE out (oid BIGINT, name TEXT) WITH (connector = 'single_file', path = 'x.json', type = 'sink');
INSERT INTO out SELECT o.oid, c.name FROM orders o LEFT JOIN customers c ON o.customer_id = c.id;
