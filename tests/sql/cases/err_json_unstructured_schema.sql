CREATE TABLE raw (line TEXT) WITH (connector = 'single_file', path = '../data/events.jsonl', type = 'source', json.unstructured = 'true');
SELECT line FROM raw;
