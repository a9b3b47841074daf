CREATE TABLE events (
    "user" TEXT,
    ts TIMESTAMP,
    amount BIGINT
) WITH (connector = 'single_file', path = '../data/events.jsonl', format = 'json', type = 'source', event_time_field = 'ts');
SELECT "user", _timestamp AS event_time FROM events;
