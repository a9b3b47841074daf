CREATE TABLE e (id BIGINT) WITH (connector = 'single_file', path = '../data/wm.jsonl',
    type = 'source', idle_micros = 'soon');
SELECT id FROM e;
