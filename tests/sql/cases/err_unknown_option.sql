CREATE TABLE nexmark WITH (
    connector = 'nexmark',
    evnt_rate = '100'
);
SELECT bid FROM nexmark;
