-- sort
CREATE TABLE customers (id BIGINT, name TEXT, tier TEXT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
    WITH (connector = 'single_file', path = '../data/customers.jsonl', format = 'json', type = 'source');
CREATE TABLE orders (oid BIGINT, customer_id BIGINT, amount BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
    WITH (connector = 'single_file', path = '../data/orders.jsonl', format = 'json', type = 'source');
SELECT oid, name FROM (SELECT oid, customer_id AS id, amount FROM orders) o JOIN customers USING (id);
