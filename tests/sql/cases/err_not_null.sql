-- age is null on line 3 of the file: NOT NULL makes that a bad row, and
-- bad_data = 'fail' (also the default) stops the pipeline naming the line.
CREATE TABLE people (id BIGINT NOT NULL, age INT NOT NULL)
WITH (connector = 'single_file', path = '../data/people.jsonl', format = 'json', type = 'source',
      bad_data = 'fail');
SELECT id, age FROM people;
