CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '100', event_count = '50', base_time = '2024-01-01T00:00:00Z');
SELECT bid FROM nexmark WHERE bid IS NOT NULL;
