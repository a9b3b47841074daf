CREATE TABLE nexmark WITH (connector = 'nexmark', event_count = '10', paced = 'false');
SET checkpoint_interval = interval '0 seconds';
SELECT bid.price FROM nexmark WHERE bid IS NOT NULL;
