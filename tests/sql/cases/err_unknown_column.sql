CREATE TABLE bid (auction BIGINT, price BIGINT) WITH (connector = 'single_file', path = '../data/people.jsonl', type = 'source');
SELECT auction,
       prce
FROM bid;
