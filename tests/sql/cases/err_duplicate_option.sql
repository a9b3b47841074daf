CREATE TABLE nexmark WITH (
    connector = 'nexmark',
    event_rate = '10',
    event_rate = '20'
);
SELECT bid FROM nexmark;
