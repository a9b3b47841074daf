-- q15: per-day bid statistics (an updating aggregate).
CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '10000000', event_count = '${EVENTS}', paced = 'false', base_time = '2024-01-01T00:00:00Z');
CREATE TABLE bh WITH (connector = 'blackhole');
INSERT INTO bh
SELECT date_trunc('day', bid.datetime) AS day,
       count(*) AS total_bids,
       count(*) FILTER (WHERE bid.price < 10000) AS rank1_bids,
       count(*) FILTER (WHERE bid.price >= 10000 AND bid.price < 1000000) AS rank2_bids,
       count(*) FILTER (WHERE bid.price >= 1000000) AS rank3_bids,
       count(DISTINCT bid.bidder) AS total_bidders,
       count(DISTINCT bid.bidder) FILTER (WHERE bid.price < 10000) AS rank1_bidders,
       count(DISTINCT bid.auction) AS total_auctions
FROM nexmark WHERE bid IS NOT NULL
GROUP BY 1;
