-- q12: bids per bidder per 10 s of processing time: the event time of the
-- rows is the time they are processed (a generated column), so the tumble
-- runs on processing time.
CREATE TABLE nexmark (
    proc_time TIMESTAMP GENERATED ALWAYS AS (now()),
    WATERMARK FOR proc_time
) WITH (connector = 'nexmark', event_rate = '10000000', event_count = '${EVENTS}', paced = 'false', base_time = '2024-01-01T00:00:00Z');
CREATE TABLE bh WITH (connector = 'blackhole');
INSERT INTO bh
SELECT bid.bidder AS bidder, count(*) AS bid_count, tumble(interval '10 seconds') AS window
FROM nexmark WHERE bid IS NOT NULL
GROUP BY 1, window;
