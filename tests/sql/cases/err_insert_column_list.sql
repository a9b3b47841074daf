CREATE TABLE nexmark WITH (connector = 'nexmark', event_count = '10', paced = 'false');
CREATE TABLE out (a BIGINT, b BIGINT) WITH (connector = 'blackhole');
INSERT INTO out (b, a) SELECT bid.auction, bid.price FROM nexmark;
