CREATE TABLE nexmark WITH (connector = 'nexmark', event_count = '10', paced = 'false');
SELECT bid.auction FROM nexmark
UNION
SELECT auction.id FROM nexmark;
