CREATE TABLE nexmark WITH (connector = 'nexmark', event_count = '10000', paced = 'false', base_time = '2024-01-01T00:00:00Z');
CREATE TABLE bh WITH (connector = 'blackhole');
INSERT INTO bh SELECT bid.price FROM nexmark WHERE bid IS NOT NULL;
