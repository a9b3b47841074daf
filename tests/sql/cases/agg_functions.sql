CREATE TABLE clicks (
    "user" TEXT,
    page TEXT,
    ts TIMESTAMP,
    amount BIGINT,
    WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH (connector = 'single_file', path = '../data/clicks.jsonl', format = 'json', type = 'source');
SELECT window.start AS ws, count(*) AS n, count(DISTINCT "user") AS users, sum(amount) AS s, avg(amount) AS a,
       min(page) AS first_page_alpha, max(page) AS last_page_alpha, bool_and(amount > 1) AS all_big, bool_or(amount > 40) AS any_huge,
       bit_and(amount) AS band, bit_or(amount) AS bor, stddev_samp(amount) AS sd, stddev_pop(amount) AS sdp,
       var_samp(amount) AS vs, var_pop(amount) AS vp, first_value(page) AS fv, last_value(page) AS lv,
       array_agg("user") AS users_seen, approx_distinct(page) AS pages, tumble(interval '20 seconds') AS window
FROM clicks GROUP BY window;
