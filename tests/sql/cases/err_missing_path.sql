CREATE TABLE src (x BIGINT) WITH (connector = 'single_file', format = 'json', type = 'source');
SELECT x FROM src;
