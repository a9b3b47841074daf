-- json.unstructured: every line is one JSON value in the column 'value',
-- embedded as it was read.
CREATE TABLE raw (value JSON)
WITH (connector = 'single_file', path = '../data/events.jsonl', format = 'json', type = 'source',
      json.unstructured = 'true');
SELECT value ->> 'user' AS u, json_get_int(value, 'amount') AS amount, value FROM raw;
