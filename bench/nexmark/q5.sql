-- q5: hot items — the auction with the most bids in each hop(2 s, 10 s) window.
CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '10000000', event_count = '${EVENTS}', paced = 'false', base_time = '2024-01-01T00:00:00Z');
CREATE TABLE bh WITH (connector = 'blackhole');
INSERT INTO bh
SELECT auction, num, window.start AS starttime FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY window ORDER BY num DESC) AS row_num
    FROM (SELECT count(*) AS num, bid.auction AS auction,
                 hop(interval '2 seconds', interval '10 seconds') AS window
          FROM nexmark WHERE bid IS NOT NULL
          GROUP BY 2, window))
WHERE row_num <= 1;
