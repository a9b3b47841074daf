CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = 'fast');
SELECT bid FROM nexmark;
