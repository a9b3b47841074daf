-- args: --explain -p 2
CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '100');
SELECT bid.price * 0.908 AS euro FROM nexmark WHERE bid.auction % 123 = 0;
