-- q3: people in OR, ID or CA who sell category-10 auctions (an updating
-- inner join of auctions and people).
CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '10000000', event_count = '${EVENTS}', paced = 'false', base_time = '2024-01-01T00:00:00Z');
CREATE TABLE bh WITH (connector = 'blackhole');
INSERT INTO bh
SELECT p.name, p.city, p.state, a.id
FROM (SELECT auction.id AS id, auction.seller AS seller, auction.category AS category
      FROM nexmark WHERE auction IS NOT NULL) AS a
JOIN (SELECT person.id AS id, person.name AS name, person.city AS city, person.state AS state
      FROM nexmark WHERE person IS NOT NULL) AS p
ON a.seller = p.id
WHERE a.category = 10 AND (p.state = 'OR' OR p.state = 'ID' OR p.state = 'CA');
