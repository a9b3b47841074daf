CREATE TABLE nexmark WITH (connector = 'nexmark', event_count = '60', paced = 'false', base_time = '2024-01-01T00:00:00Z');
SELECT bid.auction, bid.bidder, bid.price, bid.channel,
       split_part(bid.url, '/', 4) AS dir1,
       split_part(bid.url, '/', 5) AS dir2,
       split_part(bid.url, '/', 6) AS dir3
FROM nexmark WHERE bid IS NOT NULL;
