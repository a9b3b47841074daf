CREATE TABLE nexmark WITH (connector = 'nexmark', event_count = '10', paced = 'false');
SELECT DISTINCT bid.auction FROM nexmark;
