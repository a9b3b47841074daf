CREATE TABLE nexmark WITH (connector = 'nexmark', event_count = '10', paced = 'false');
SELECT bid.price FROM nexmark
ORDER BY bid.price DESC;
