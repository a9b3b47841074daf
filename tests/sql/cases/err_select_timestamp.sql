CREATE TABLE events ("user" TEXT, ts TIMESTAMP) WITH (connector = 'single_file', path = '../data/events.jsonl', type = 'source');
SELECT "user", _timestamp FROM events;
