CREATE TABLE nexmark WITH (connector = 'nexmark', event_count = '200', paced = 'false', base_time = '1704067200000');
SELECT person.id, person.name, person.city, person.state, person.datetime FROM nexmark WHERE person IS NOT NULL;
