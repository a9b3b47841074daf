-- The first query of the tutorial: every bid of a Nexmark stream at
-- 100 events per second, printed as JSON lines until you press Ctrl-C.
CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '100');

SELECT bid FROM nexmark WHERE bid IS NOT NULL;
