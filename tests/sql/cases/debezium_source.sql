CREATE TABLE items (id BIGINT PRIMARY KEY, name TEXT, qty BIGINT) WITH (connector = 'single_file', path = '../data/changes.jsonl', format = 'debezium_json', type = 'source');
SELECT name, sum(qty) AS total, count(*) AS n FROM items GROUP BY name;
