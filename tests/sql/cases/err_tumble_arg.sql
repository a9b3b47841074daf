CREATE TABLE nexmark WITH (connector = 'nexmark', event_count = '10', paced = 'false');
SELECT count(*) AS c FROM nexmark GROUP BY tumble(5);
