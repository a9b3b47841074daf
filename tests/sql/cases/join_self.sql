-- sort
CREATE TABLE customers (id BIGINT, name TEXT, tier TEXT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
    WITH (connector = 'single_file', path = '../data/customers.jsonl', format = 'json', type = 'source');
CREATE TABLE orders (oid BIGINT, customer_id BIGINT, amount BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
    WITH (connector = 'single_file', path = '../data/orders.jsonl', format = 'json', type = 'source');
SELECT a.oid AS first, b.oid AS second FROM orders a JOIN orders b ON a.customer_id = b.customer_id WHERE a.oid < b.oid;
