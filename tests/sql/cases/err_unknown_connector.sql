CREATE TABLE src (x BIGINT) WITH (connector = 'kafak', topic = 't');
SELECT x FROM src;
