CREATE TABLE nexmark WITH (connector = 'nexmark', event_count = '10', paced = 'false');
SELECT bid.price, row_number() OVER (ORDER BY bid.price) AS r FROM nexmark;
