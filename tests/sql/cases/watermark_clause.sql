CREATE TABLE events (
    "user" TEXT,
    url TEXT,
    ts TIMESTAMP,
    amount BIGINT,
    cents BIGINT GENERATED ALWAYS AS (amount * 100),
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (connector = 'single_file', path = '../data/events.jsonl', format = 'json', type = 'source');
SELECT "user", amount, cents, _timestamp AS event_time FROM events WHERE cents > 800;
