/*
 * test_parser.c — unit tests for the SQL front end (src/sql: lexer, parser,
 * AST dump): the S-expression dump of many valid inputs (every construct,
 * precedence, the tutorial queries verbatim, keywords used as names,
 * comments, several statements, options, types), error cases with code,
 * line, column and message, the nesting limit, statement texts, failure
 * injection, and a robustness pass over thousands of truncated, mutated and
 * random inputs that must never crash (the suite runs under ASan+UBSan).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "sql/sql.h"

typedef struct ok_case {
    const char *sql;
    const char *dump;
} ok_case;

static const ok_case ok_cases[] = {
    {"SELECT bid FROM nexmark WHERE bid IS NOT NULL;",
     "(select (items (name bid)) (from (table nexmark)) (where (is not null (name bid))))"},
    {"SELECT avg(bid.price) as avg_price\n"
      "FROM nexmark\n"
      "WHERE bid IS NOT NULL\n"
      "GROUP BY hop(interval '2 seconds', interval '10 seconds');",
     "(select (items (as (call avg (name bid price)) avg_price)) (from (table nexmark)) (where (is not null (name bid))) (group (call hop (interval '2 seconds') (interval '10 seconds'))))"},
    {"SELECT * FROM (\n"
      "    SELECT *, ROW_NUMBER() OVER (\n"
      "        PARTITION BY window\n"
      "        ORDER BY count DESC) AS row_num\n"
      "    FROM (SELECT count(*) AS count, bid.auction AS auction,\n"
      "        hop(interval '2 seconds', interval '60 seconds') AS window\n"
      "            FROM nexmark WHERE bid is not null\n"
      "            GROUP BY 2, window)) WHERE row_num <= 5",
     "(select (items (star)) (from (derived (select (items (star) (as (call row_number (over (partition (name window)) (order-by (desc (name count))))) row_num)) (from (derived (select (items (as (call count *) count) (as (name bid auction) auction) (as (call hop (interval '2 seconds') (interval '60 seconds')) window)) (from (table nexmark)) (where (is not null (name bid))) (group (int 2) (name window)))))))) (where (binary <= (name row_num) (int 5))))"},
    {"CREATE TABLE nexmark WITH (connector = 'nexmark', event_rate = '100');",
     "(create-table nexmark (with (connector 'nexmark') (event_rate '100')))"},
    {"CREATE TABLE IF NOT EXISTS t (id BIGINT NOT NULL PRIMARY KEY, name TEXT NULL, price DECIMAL(10,2), ts TIMESTAMP, tags TEXT[], m ARRAY<STRUCT<a INT, b: VARCHAR(3)>>, u INT UNSIGNED, d DOUBLE PRECISION, k TEXT METADATA FROM 'key', g BIGINT GENERATED ALWAYS AS (id + 1) STORED, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND, PRIMARY KEY (id, name)) WITH (connector = 'kafka', 'bootstrap_servers' = 'x:9092', json.unstructured = true, rolling_policy.file_size = 100, n = -3, fmt = json)",
     "(create-table t if-not-exists (columns (col id bigint not-null primary-key) (col name text) (col price decimal(10,2)) (col ts timestamp) (col tags text[]) (col m struct<a int, b text(3)>[]) (col u int unsigned) (col d double) (col k text (metadata 'key')) (col g bigint (generated (binary + (name id) (int 1))))) (primary-key id name) (watermark ts (binary - (name ts) (interval '5' second))) (with (connector 'kafka') (bootstrap_servers 'x:9092') (json.unstructured 'true') (rolling_policy.file_size '100') (n '-3') (fmt 'json')))"},
    {"CREATE TABLE t (a BOOL, b INT2, c INTEGER, d INT4, e INT8, f SMALLINT UNSIGNED, g BIGINT UNSIGNED, h INTEGER UNSIGNED, i REAL, j FLOAT4, k FLOAT, l FLOAT8, m NUMERIC(5), n VARCHAR, o CHAR VARYING(4), p STRING, q BYTEA, r TIMESTAMP WITHOUT TIME ZONE, s DATE, t INTERVAL, u JSON, v BIGINT[][], w STRUCT<x BIGINT, y STRUCT<z TEXT>>, x TIMESTAMP(6), y TINYINT)",
     "(create-table t (columns (col a boolean) (col b smallint) (col c int) (col d int) (col e bigint) (col f smallint unsigned) (col g bigint unsigned) (col h int unsigned) (col i real) (col j real) (col k real) (col l double) (col m decimal(5)) (col n text) (col o text(4)) (col p text) (col q bytea) (col r timestamp) (col s date) (col t interval) (col u json) (col v bigint[][]) (col w struct<x bigint, y struct<z text>>) (col x timestamp(6)) (col y smallint)))"},
    {"CREATE TABLE t (a INT, WATERMARK FOR a) WITH ('format' = 'json') AS SELECT 1",
     "(create-table t (columns (col a int)) (watermark a) (with (format 'json')) (as (select (items (int 1)))))"},
    {"SELECT 1 + 2 * 3 - -4, a || b || c, NOT a = b AND c OR d, 10 % 3 / 2",
     "(select (items (binary - (binary + (int 1) (binary * (int 2) (int 3))) (unary - (int 4))) (binary || (binary || (name a) (name b)) (name c)) (binary or (binary and (unary not (binary = (name a) (name b))) (name c)) (name d)) (binary / (binary % (int 10) (int 3)) (int 2))))"},
    {"SELECT a IS DISTINCT FROM b, a IS NOT DISTINCT FROM b, a IS TRUE, a IS NOT FALSE, a IS NULL",
     "(select (items (binary is distinct from (name a) (name b)) (binary is not distinct from (name a) (name b)) (is true (name a)) (is not false (name a)) (is null (name a))))"},
    {"SELECT x NOT BETWEEN 1 AND 2 AND y, x BETWEEN a + 1 AND b * 2",
     "(select (items (binary and (not between (name x) (int 1) (int 2)) (name y)) (between (name x) (binary + (name a) (int 1)) (binary * (name b) (int 2)))))"},
    {"SELECT z NOT IN (1, 2), z IN (SELECT 1), s NOT LIKE 'a%', s ILIKE 'b', s NOT ILIKE 'c'",
     "(select (items (not in (name z) (int 1) (int 2)) (in (name z) (select (items (int 1)))) (binary not like (name s) (str 'a%')) (binary ilike (name s) (str 'b')) (binary not ilike (name s) (str 'c'))))"},
    {"SELECT a->'x'->>'y' = 'z', c::int[], (a).b, a[1][2].c",
     "(select (items (binary = (binary ->> (binary -> (name a) (str 'x')) (str 'y')) (str 'z')) (cast (name c) int[]) (field (name a) b) (field (subscript (subscript (name a) (int 1)) (int 2)) c)))"},
    {"SELECT CAST(x AS BIGINT), TRY_CAST(x AS double), EXTRACT(year FROM ts), TIMESTAMP '2023-01-01 00:00:00', DATE '2023-01-01'",
     "(select (items (cast (name x) bigint) (try_cast (name x) double) (extract year (name ts)) (typed timestamp '2023-01-01 00:00:00') (typed date '2023-01-01')))"},
    {"SELECT ARRAY[1, 2], [3, 4], ROW(1, 'a'), (1, 2), EXISTS (SELECT 1), (SELECT max(x) FROM t)",
     "(select (items (array (int 1) (int 2)) (array (int 3) (int 4)) (row (int 1) (str 'a')) (row (int 1) (int 2)) (exists (select (items (int 1)))) (subquery (select (items (call max (name x))) (from (table t))))))"},
    {"SELECT CASE WHEN a THEN 1 WHEN b THEN 2 ELSE 3 END, CASE x WHEN 1 THEN 'a' END",
     "(select (items (case (when (name a) (int 1)) (when (name b) (int 2)) (else (int 3))) (case (name x) (when (int 1) (str 'a')))))"},
    {"SELECT E'a\\nb''c', 'it''s', .5, 1e6, 1.5E-3, 1., 007",
     "(select (items (str 'a\\x0ab''c') (str 'it''s') (num .5) (num 1e6) (num 1.5E-3) (num 1.) (int 007)))"},
    {"SELECT count(DISTINCT x) FILTER (WHERE x > 0), sum(x) OVER (PARTITION BY a ORDER BY b ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)",
     "(select (items (call count distinct (name x) (filter (binary > (name x) (int 0)))) (call sum (name x) (over (partition (name a)) (order-by (asc (name b))) (rows unbounded-preceding current-row)))))"},
    {"SELECT avg(x) OVER (ORDER BY t RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND 2 FOLLOWING), last(x) OVER (ROWS 3 PRECEDING)",
     "(select (items (call avg (name x) (over (order-by (asc (name t))) (range (preceding (interval '1' hour)) (following (int 2))))) (call last (name x) (over (rows (preceding (int 3)) current-row)))))"},
    {"SELECT substring(s FROM 2 FOR 3), substring(s FROM 2), substring(s, 1, 2), position('a' IN s), trim(BOTH 'x' FROM s), trim(leading FROM s), trim(trailing 'y' FROM s), trim(s), left(s, 2), right(s, 1)",
     "(select (items (call substr (name s) (int 2) (int 3)) (call substr (name s) (int 2)) (call substring (name s) (int 1) (int 2)) (call strpos (name s) (str 'a')) (call btrim (name s) (str 'x')) (call ltrim (name s)) (call rtrim (name s) (str 'y')) (call btrim (name s)) (call left (name s) (int 2)) (call right (name s) (int 1))))"},
    {"SELECT t.*, \"Quoted\"\"x\".y, interval, timestamp, date, key, value, type, name, window.start, window.end, first, last, filter, over, partition, rows, range, row, year, language FROM t",
     "(select (items (star t) (name Quoted\"x y) (name interval) (name timestamp) (name date) (name key) (name value) (name type) (name name) (name window start) (name window end) (name first) (name last) (name filter) (name over) (name partition) (name rows) (name range) (name row) (name year) (name language)) (from (table t)))"},
    {"SELECT a FROM t; SELECT b;;  INSERT INTO out SELECT * FROM t; INSERT INTO o (a, b) VALUES (1, 2), (3, 4);",
     "(select (items (name a)) (from (table t)))\n"
      "(select (items (name b)))\n"
      "(insert out (select (items (star)) (from (table t))))\n"
      "(insert o (cols a b) (values (row (int 1) (int 2)) (row (int 3) (int 4))))"},
    {"CREATE VIEW v AS SELECT 1; SET updating_ttl = interval '1 hour'; SET x TO on; DROP TABLE IF EXISTS t; DROP VIEW v",
     "(create-view v (select (items (int 1))))\n"
      "(set updating_ttl (interval '1 hour'))\n"
      "(set x (name on))\n"
      "(drop table t if-exists)\n"
      "(drop view v)"},
    {"WITH a AS (SELECT 1), b AS (SELECT 2) SELECT * FROM a UNION ALL SELECT * FROM b INTERSECT SELECT 3 EXCEPT SELECT 4 ORDER BY 1 DESC NULLS LAST LIMIT 10 OFFSET 2",
     "(query (with (cte a (select (items (int 1)))) (cte b (select (items (int 2))))) (except (union all (select (items (star)) (from (table a))) (intersect (select (items (star)) (from (table b))) (select (items (int 3))))) (select (items (int 4)))) (order-by (desc (int 1) nulls-last)) (limit (int 10)) (offset (int 2)))"},
    {"(SELECT 1) UNION (SELECT 2 ORDER BY 1 LIMIT 1)",
     "(union (select (items (int 1))) (query (select (items (int 2))) (order-by (asc (int 1))) (limit (int 1))))"},
    {"SELECT * FROM a JOIN b ON a.x = b.x LEFT OUTER JOIN c USING (x, y) CROSS JOIN d, e AS f, unnest(arr) u, (SELECT 1) AS s, \"T\" x RIGHT JOIN g ON true FULL JOIN h ON false INNER JOIN i ON 1 = 1",
     "(select (items (star)) (from (join cross (join left (join inner (table a) (table b) (on (binary = (name a x) (name b x)))) (table c) (using x y)) (table d)) (table e f) (func unnest (name arr) (alias u)) (derived (select (items (int 1))) s) (join inner (join full (join right (table T x) (table g) (on (bool true))) (table h) (on (bool false))) (table i) (on (binary = (int 1) (int 1))))))"},
    {"SELECT a b, c AS end, d AS window FROM t -- comment\n"
      "/* block /* nested */ */ WHERE x = 1",
     "(select (items (as (name a) b) (as (name c) end) (as (name d) window)) (from (table t)) (where (binary = (name x) (int 1))))"},
    {"SELECT * FROM (t1 JOIN t2 ON t1.a = t2.a)",
     "(select (items (star)) (from (join inner (table t1) (table t2) (on (binary = (name t1 a) (name t2 a))))))"},
    {"SELECT interval '5' seconds AS x, interval '1' minute, hop(INTERVAL '1 minute', INTERVAL '5 minutes')",
     "(select (items (as (interval '5' second) x) (interval '1' minute) (call hop (interval '1 minute') (interval '5 minutes'))))"},
    {"SELECT DISTINCT a, count(*) FROM t GROUP BY a HAVING count(*) > 1 ORDER BY a ASC NULLS FIRST, 2",
     "(query (select distinct (items (name a) (call count *)) (from (table t)) (group (name a)) (having (binary > (call count *) (int 1)))) (order-by (asc (name a) nulls-first) (asc (int 2))))"},
    {"SELECT a == b, a != b, a <> b, a >= b, a <= b, NULL, TRUE, FALSE, -x::bigint",
     "(select (items (binary = (name a) (name b)) (binary <> (name a) (name b)) (binary <> (name a) (name b)) (binary >= (name a) (name b)) (binary <= (name a) (name b)) (null) (bool true) (bool false) (unary - (cast (name x) bigint))))"},
    {"VALUES (1, 'a'), (2, 'b')",
     "(values (row (int 1) (str 'a')) (row (int 2) (str 'b')))"},
    {"SELECT tumble(interval '1 minute') AS w, session(interval '30 seconds') FROM t GROUP BY w",
     "(select (items (as (call tumble (interval '1 minute')) w) (call session (interval '30 seconds'))) (from (table t)) (group (name w)))"},
    {"INSERT INTO t (SELECT 1)",
     "(insert t (select (items (int 1))))"},
    {"SET a.b = 'c'",
     "(set a.b (str 'c'))"},
};

#define N_OK (sizeof ok_cases / sizeof ok_cases[0])

/* Parse sql; on success append its dump to out.  Returns the parse code. */
static int parse_dump(const char *sql, size_t len, wd_buf *out, wd_error *err)
{
    wd_arena a;
    wd_arena_init(&a, 0);
    wd_ast_script *s = NULL;
    wd_err_clear(err);
    int rc = wd_sql_parse(sql, len, &a, &s, err);
    if (rc == 0) {
        assert_non_null(s);
        wd_ast_dump_script(s, out);
    } else {
        assert_null(s);
        assert_int_equal(err->code, rc);
    }
    wd_arena_free(&a);
    return rc;
}

static void test_ok_cases(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t i = 0; i < N_OK; i++) {
        wd_buf b = WD_BUF_INIT;
        wd_error err;
        int rc = parse_dump(ok_cases[i].sql, strlen(ok_cases[i].sql), &b, &err);
        if (rc != 0) {
            fprintf(stderr, "case %zu: %s\n  error %d:%d: %s\n", i, ok_cases[i].sql,
                    err.pos.line, err.pos.col, err.msg);
            bad++;
        } else if (strcmp(b.data ? b.data : "", ok_cases[i].dump) != 0) {
            fprintf(stderr, "case %zu: %s\n  want: %s\n  got:  %s\n", i, ok_cases[i].sql,
                    ok_cases[i].dump, b.data ? b.data : "");
            bad++;
        }
        wd_buf_free(&b);
    }
    assert_int_equal(bad, 0);
}

/* Each statement's text, parsed alone, gives the same tree. */
static void test_stmt_text(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_OK; i++) {
        wd_arena a;
        wd_arena_init(&a, 0);
        wd_ast_script *s = NULL;
        wd_error err;
        wd_err_clear(&err);
        assert_int_equal(wd_sql_parse(ok_cases[i].sql, strlen(ok_cases[i].sql), &a, &s, &err), 0);
        for (uint32_t k = 0; k < s->nstmts; k++) {
            const wd_ast_stmt *st = s->stmts[k];
            assert_non_null(st->text);
            assert_int_equal(strlen(st->text), st->text_len);
            assert_true(st->text_len > 0 && st->text[st->text_len - 1] != ';');
            wd_buf one = WD_BUF_INIT, again = WD_BUF_INIT;
            wd_ast_dump_stmt(st, &one);
            wd_error e2;
            assert_int_equal(parse_dump(st->text, st->text_len, &again, &e2), 0);
            assert_string_equal(one.data, again.data);
            wd_buf_free(&one);
            wd_buf_free(&again);
        }
        wd_arena_free(&a);
    }
}

static void test_script_shape(void **state)
{
    (void)state;
    const char *sql = "  ;; SELECT 1;\n\n  -- c\n  select\n 2 ;  ";
    wd_arena a;
    wd_arena_init(&a, 0);
    wd_ast_script *s = NULL;
    wd_error err;
    wd_err_clear(&err);
    assert_int_equal(wd_sql_parse(sql, strlen(sql), &a, &s, &err), 0);
    assert_int_equal(s->nstmts, 2);
    assert_string_equal(s->stmts[0]->text, "SELECT 1");
    assert_string_equal(s->stmts[1]->text, "select\n 2");
    assert_int_equal(s->stmts[1]->pos.line, 4);
    assert_int_equal(s->stmts[1]->pos.col, 3);
    /* positions of names and parts */
    const wd_ast_expr *e = s->stmts[1]->query->select->items[0].expr;
    assert_int_equal(e->kind, WD_AX_INT);
    assert_int_equal(e->pos.line, 5);
    assert_int_equal(e->pos.col, 2);
    /* an empty script is fine */
    assert_int_equal(wd_sql_parse("", 0, &a, &s, &err), 0);
    assert_int_equal(s->nstmts, 0);
    assert_int_equal(wd_sql_parse(" -- x\n ; /* y */", 16, &a, &s, &err), 0);
    assert_int_equal(s->nstmts, 0);
    /* the length is honoured: text after len is not read */
    assert_int_equal(wd_sql_parse("SELECT 1 garbage(", 8, &a, &s, &err), 0);
    assert_int_equal(s->nstmts, 1);
    wd_arena_free(&a);
}

static void test_ast_fields(void **state)
{
    (void)state;
    const char *sql = "SELECT \"MiXed\".Col, E'\\x41\\\\', interval '3' HOURS, "
                      "count(*), t.* FROM x; DROP VIEW IF EXISTS v; "
                      "CREATE TABLE k (a TEXT[][], b ARRAY<INT>[], c DECIMAL(10, 2))";
    wd_arena a;
    wd_arena_init(&a, 0);
    wd_ast_script *s = NULL;
    wd_error err;
    wd_err_clear(&err);
    assert_int_equal(wd_sql_parse(sql, strlen(sql), &a, &s, &err), 0);
    const wd_ast_select *sel = s->stmts[0]->query->select;
    const wd_ast_expr *n = sel->items[0].expr;
    assert_int_equal(n->kind, WD_AX_NAME);
    assert_int_equal(n->nparts, 2);
    assert_string_equal(n->parts[0], "MiXed");
    assert_string_equal(n->parts[1], "col");
    assert_int_equal(n->part_pos[1].col, 16);
    const wd_ast_expr *str = sel->items[1].expr;
    assert_int_equal(str->kind, WD_AX_STRING);
    assert_int_equal(str->len, 2);
    assert_memory_equal(str->str, "A\\", 2);
    const wd_ast_expr *iv = sel->items[2].expr;
    assert_int_equal(iv->kind, WD_AX_INTERVAL);
    assert_string_equal(iv->str, "3");
    assert_string_equal(iv->unit, "hour");
    const wd_ast_expr *c = sel->items[3].expr;
    assert_int_equal(c->kind, WD_AX_CALL);
    assert_true(c->star);
    assert_int_equal(c->nargs, 0);
    const wd_ast_expr *st = sel->items[4].expr;
    assert_int_equal(st->kind, WD_AX_STAR);
    assert_int_equal(st->nparts, 1);
    const wd_ast_stmt *d = s->stmts[1];
    assert_int_equal(d->kind, WD_AS_DROP);
    assert_true(d->is_view);
    assert_true(d->if_not_exists);
    const wd_ast_stmt *ct = s->stmts[2];
    assert_int_equal(ct->ncols, 3);
    assert_string_equal(ct->cols[0].type->name, "text");
    assert_int_equal(ct->cols[0].type->array_dims, 2);
    assert_string_equal(ct->cols[1].type->name, "int");
    assert_int_equal(ct->cols[1].type->array_dims, 2);
    assert_string_equal(ct->cols[2].type->name, "decimal");
    assert_int_equal(ct->cols[2].type->nparams, 2);
    assert_int_equal(ct->cols[2].type->params[0], 10);
    assert_int_equal(ct->cols[2].type->params[1], 2);
    wd_arena_free(&a);
}

typedef struct err_case {
    const char *sql;
    int code, line, col;
    const char *msg;   /* substring of the message */
} err_case;

static const err_case err_cases[] = {
    {"SELECT (a FROM t", WD_ESYNTAX, 1, 11, "expected ')' but found 'FROM'"},
    {"SELECT", WD_ESYNTAX, 1, 7, "unexpected end of input, expected an expression"},
    {"SELECT a FROM", WD_ESYNTAX, 1, 14, "unexpected end of input, expected a table name"},
    {"SELECT a FROM t WHERE", WD_ESYNTAX, 1, 22, "expected an expression"},
    {"SELECT 'abc", WD_ESYNTAX, 1, 8, "unterminated string literal"},
    {"SELECT\n  \"abc", WD_ESYNTAX, 2, 3, "unterminated quoted identifier"},
    {"SELECT 1 /* x /* y */", WD_ESYNTAX, 1, 10, "unterminated /* comment"},
    {"CREATE TABLE t (a FOO)", WD_ESYNTAX, 1, 19, "unknown type 'foo'"},
    {"SELECT a FROM t x y", WD_ESYNTAX, 1, 19, "expected ';' or end of input but found 'y'"},
    {"SELECT 1 +", WD_ESYNTAX, 1, 11, "unexpected end of input, expected an expression"},
    {"CREATE TABLE t WITH (a = \"b\")", WD_ESYNTAX, 1, 26, "expected an option value"},
    {"SELECT a,\n  b FROM t WHERE a = = 1", WD_ESYNTAX, 2, 22, "expected an expression but found '='"},
    {"SELECT 1 ? 2", WD_ESYNTAX, 1, 10, "unexpected character '?'"},
    {"SELECT 12abc", WD_ESYNTAX, 1, 8, "invalid number"},
    {"SELECT from FROM t", WD_ESYNTAX, 1, 8, "expected an expression but found 'from'"},
    {"CASE", WD_ESYNTAX, 1, 1, "expected a statement"},
    {"SELECT CASE END", WD_ESYNTAX, 1, 13, "expected an expression but found 'END'"},
    {"SELECT CASE x END", WD_ESYNTAX, 1, 15, "expected WHEN but found 'END'"},
    {"SELECT x IS FOO", WD_ESYNTAX, 1, 13, "expected NULL, TRUE, FALSE or DISTINCT FROM"},
    {"SELECT count(*", WD_ESYNTAX, 1, 15, "unexpected end of input, expected ')'"},
    {"UPDATE t SET a = 1", WD_ESYNTAX, 1, 1, "found 'UPDATE'"},
    {"VALUES (1, 2), (3)", WD_ESYNTAX, 1, 16, "VALUES row has 1 values"},
    {"SELECT \"\"", WD_ESYNTAX, 1, 8, "zero-length quoted identifier"},
    {"INSERT t SELECT 1", WD_ESYNTAX, 1, 8, "expected INTO but found 't'"},
    {"SELECT a FROM t JOIN u", WD_ESYNTAX, 1, 23, "expected ON or USING"},
    {"SELECT CAST(a AS) FROM t", WD_ESYNTAX, 1, 17, "expected a type name but found ')'"},
    {"SELECT a FROM t; SELECT b FROM", WD_ESYNTAX, 1, 31, "expected a table name"},
    {"SELECT 1;\nSELECT 2 2", WD_ESYNTAX, 2, 10, "expected ';' or end of input but found '2'"},
    {"CREATE TABLE t (a INT", WD_ESYNTAX, 1, 22, "unexpected end of input, expected ',' or ')'"},
    {"CREATE TABLE t (a INT) WITH (x 'y')", WD_ESYNTAX, 1, 32, "expected '=' but found ''y''"},
    {"SET x 1", WD_ESYNTAX, 1, 7, "expected '=' or TO"},
    {"DROP INDEX i", WD_ESYNTAX, 1, 6, "expected TABLE or VIEW after DROP"},
    {"SELECT a NOT 1", WD_ESYNTAX, 1, 10, "expected ';' or end of input but found 'NOT'"},
    {"SELECT 1 -- no end\n FROM", WD_ESYNTAX, 2, 6, "unexpected end of input, expected a table name"},
    {"SELECT 'é' x y", WD_ESYNTAX, 1, 14, "found 'y'"},   /* columns count code points */
    {"SELECT a BETWEEN 1 OR 2", WD_ESYNTAX, 1, 20, "expected AND but found 'OR'"},
    {"SELECT a IN 1", WD_ESYNTAX, 1, 13, "expected '(' after IN but found '1'"},
    {"SELECT x FROM t ORDER BY", WD_ESYNTAX, 1, 25, "expected an expression"},
    {"SELECT a.", WD_ESYNTAX, 1, 10, "expected a name after '.'"},
    {"SELECT 'x' 'y'", WD_ESYNTAX, 1, 12, "found ''y''"},
    {"SELECT \x01", WD_ESYNTAX, 1, 8, "unexpected character (byte 0x01)"},
    {"SELECT 1 LIMIT 1 LIMIT 2", WD_ESYNTAX, 1, 18, "LIMIT given twice"},
    {"CREATE TABLE t (a INT, WATERMARK FOR a, WATERMARK FOR a)", WD_ESYNTAX, 1, 41,
     "only one WATERMARK"},
};

static void test_err_cases(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t i = 0; i < sizeof err_cases / sizeof err_cases[0]; i++) {
        const err_case *c = &err_cases[i];
        wd_buf b = WD_BUF_INIT;
        wd_error err;
        int rc = parse_dump(c->sql, strlen(c->sql), &b, &err);
        if (rc != c->code || err.pos.line != c->line || err.pos.col != c->col ||
            !strstr(err.msg, c->msg)) {
            fprintf(stderr, "err case %zu: %s\n  want %d at %d:%d \"%s\"\n  got  %d at %d:%d \"%s\"\n",
                    i, c->sql, c->code, c->line, c->col, c->msg, rc, err.pos.line,
                    err.pos.col, err.msg);
            bad++;
        }
        wd_buf_free(&b);
    }
    assert_int_equal(bad, 0);
}

static void test_hints(void **state)
{
    (void)state;
    wd_buf b = WD_BUF_INIT;
    wd_error err;
    const char *q = "CREATE TABLE t WITH (connector = \"kafka\")";
    assert_int_equal(parse_dump(q, strlen(q), &b, &err), WD_ESYNTAX);
    assert_non_null(strstr(err.hint, "single quotes"));
    q = "SELECT a FROM t WHERE select = 1";
    assert_int_equal(parse_dump(q, strlen(q), &b, &err), WD_ESYNTAX);
    assert_non_null(strstr(err.hint, "reserved"));
    /* err may be NULL */
    wd_arena a;
    wd_arena_init(&a, 0);
    wd_ast_script *s = NULL;
    assert_int_equal(wd_sql_parse("SELECT (", 8, &a, &s, NULL), WD_ESYNTAX);
    assert_int_equal(wd_sql_parse("SELECT 'x", 9, &a, &s, NULL), WD_ESYNTAX);
    wd_arena_free(&a);
    wd_buf_free(&b);
}

static char *repeat(const char *pre, const char *unit, int n, const char *post)
{
    size_t lp = strlen(pre), lu = strlen(unit), lq = strlen(post);
    char *s = malloc(lp + lu * (size_t)n + lq + 1);
    assert_non_null(s);
    memcpy(s, pre, lp);
    for (int i = 0; i < n; i++) memcpy(s + lp + lu * (size_t)i, unit, lu);
    memcpy(s + lp + lu * (size_t)n, post, lq + 1);
    return s;
}

static void test_depth(void **state)
{
    (void)state;
    static const struct { const char *pre, *unit, *post; } deep[] = {
        {"SELECT ", "(", ""},           {"SELECT ", "NOT ", "1"},
        {"SELECT ", "- ", "1"},         {"SELECT ", "(SELECT ", ""},
        {"CREATE TABLE t (a ", "ARRAY<", ""}, {"SELECT * FROM ", "(", ""},
        {"SELECT 1", "+1", ""},         {"SELECT a", " AND a", ""},
        {"SELECT ", "[", ""},           {"SELECT ", "CASE WHEN ", ""},
        {"SELECT ", "f(", ""},          {"SELECT 1", "::int", ""},
        {"SELECT a", "[1]", ""},        {"SELECT ", "a IN (", ""},
        {"CREATE TABLE t (a ", "STRUCT<a ", ""}, {"SELECT * FROM t", " JOIN t ON true", ""},
        {"SELECT 1", " UNION SELECT 1", ""}, {"SELECT 1", " INTERSECT SELECT 1", ""},
        {"SELECT ", "EXISTS (SELECT ", ""}, {"SELECT ", "CAST(", ""},
        {"SELECT x", ".y", ""},         {"SELECT 1", "::int[]", ""},
    };
    for (size_t i = 0; i < sizeof deep / sizeof deep[0]; i++) {
        char *sql = repeat(deep[i].pre, deep[i].unit, 100000, deep[i].post);
        wd_buf b = WD_BUF_INIT;
        wd_error err;
        int rc = parse_dump(sql, strlen(sql), &b, &err);
        /* a.y.y.y… is one flat name, not a deep tree */
        if (i != 20) {
            if (rc != WD_ESYNTAX || !strstr(err.msg, "nested too deeply"))
                fprintf(stderr, "deep case %zu: rc %d msg %s\n", i, rc, err.msg);
            assert_int_equal(rc, WD_ESYNTAX);
            assert_non_null(strstr(err.msg, "nested too deeply"));
        } else {
            assert_int_equal(rc, 0);
        }
        wd_buf_free(&b);
        free(sql);
    }
    /* moderately deep input is fine */
    char *sql = repeat("SELECT ", "(", 300, "1");
    char *full = repeat(sql, ")", 300, "");
    wd_buf b = WD_BUF_INIT;
    wd_error err;
    assert_int_equal(parse_dump(full, strlen(full), &b, &err), 0);
    wd_buf_free(&b);
    free(sql);
    free(full);
}

/* Every allocation failing in turn: an error, never a crash. */
static void test_alloc_failure(void **state)
{
    (void)state;
    const char *sql = ok_cases[2].sql;
    int saw_nomem = 0;
    for (long n = 1; n < 400; n++) {
        wd_arena a;
        wd_arena_init(&a, 256);
        wd_ast_script *s = NULL;
        wd_error err;
        wd_err_clear(&err);
        wd_alloc_fail_after(n);
        int rc = wd_sql_parse(sql, strlen(sql), &a, &s, &err);
        wd_alloc_fail_after(0);
        if (rc == WD_ENOMEM) {
            saw_nomem = 1;
            assert_null(s);
        } else {
            assert_int_equal(rc, 0);
        }
        wd_arena_free(&a);
    }
    assert_true(saw_nomem);
}

/* ---- robustness: truncated, mutated and random inputs --------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return n ? (uint32_t)(rng_state % n) : 0;
}

static const char *const vocab[] = {
    "SELECT ", "FROM ", "WHERE ", "(", ")", ",", ";", "'s'", "\"q\"", "1", "1.5", ".5e3",
    "a", "t.b", "*", "+", "-", "/", "%", "=", "<>", "<=", "||", "::", "->", "->>", "[",
    "]", "AND ", "OR ", "NOT ", "IS ", "NULL ", "IN ", "BETWEEN ", "LIKE ", "CASE ",
    "WHEN ", "THEN ", "ELSE ", "END ", "CAST(", " AS ", "INT", "BIGINT[]", "STRUCT<",
    ">", "ARRAY", "INTERVAL '1' SECOND ", "OVER (", "PARTITION BY ", "ORDER BY ",
    "GROUP BY ", "HAVING ", "LIMIT ", "UNION ALL ", "JOIN ", "ON ", "USING ", "WITH ",
    "CREATE TABLE ", "WITH (", "k = 'v'", "WATERMARK FOR ", "INSERT INTO ", "VALUES ",
    "SET ", "DROP ", "count(*)", "window", "hop(", "E'\\n'", "/* c */", "-- c\n",
    "EXTRACT(", "substring(", "trim(", "position(", "FILTER (", "ROWS BETWEEN ",
    "UNBOUNDED ", "PRECEDING ", "CURRENT ROW ", "EXISTS ", "DISTINCT ", ".", "*/", "/*",
    "'", "\"", "\n", " ",
};

static void feed(const char *s, size_t n, long *nok)
{
    wd_buf b = WD_BUF_INIT;
    wd_error err;
    int rc = parse_dump(s, n, &b, &err);
    if (rc == 0) {
        (*nok)++;
    } else {
        assert_int_equal(rc, WD_ESYNTAX);
        assert_true(err.msg[0] != 0);
        assert_true(err.pos.line >= 1 && err.pos.col >= 1);
    }
    wd_buf_free(&b);
}

static void test_robustness(void **state)
{
    (void)state;
    long nok = 0, total = 0;
    char buf[4096];
    /* every prefix of every valid case */
    for (size_t i = 0; i < N_OK; i++) {
        const char *s = ok_cases[i].sql;
        size_t n = strlen(s);
        for (size_t k = 0; k <= n; k++, total++) {
            char *cp = malloc(k ? k : 1);  /* exact size: ASan catches over-reads */
            memcpy(cp, s, k);
            feed(cp, k, &nok);
            free(cp);
        }
    }
    /* mutations: byte flips, deletions, duplications, token insertions */
    for (int round = 0; round < 6000; round++, total++) {
        const char *s = ok_cases[rnd(N_OK)].sql;
        size_t n = strlen(s);
        if (n >= sizeof buf / 2) n = sizeof buf / 2;
        memcpy(buf, s, n);
        int muts = 1 + (int)rnd(4);
        for (int m = 0; m < muts && n > 0; m++) {
            size_t at = rnd((uint32_t)n);
            switch (rnd(4)) {
            case 0:
                buf[at] = (char)rnd(256);
                break;
            case 1: {
                size_t len = 1 + rnd(8);
                if (at + len > n) len = n - at;
                memmove(buf + at, buf + at + len, n - at - len);
                n -= len;
                break;
            }
            case 2: {
                size_t len = 1 + rnd(16);
                if (at + len > n) len = n - at;
                if (n + len < sizeof buf) {
                    memmove(buf + at + len, buf + at, n - at);
                    n += len;
                }
                break;
            }
            default: {
                const char *w = vocab[rnd(sizeof vocab / sizeof vocab[0])];
                size_t len = strlen(w);
                if (n + len < sizeof buf) {
                    memmove(buf + at + len, buf + at, n - at);
                    memcpy(buf + at, w, len);
                    n += len;
                }
                break;
            }
            }
        }
        char *cp = malloc(n ? n : 1);
        memcpy(cp, buf, n);
        feed(cp, n, &nok);
        free(cp);
    }
    /* token soup */
    for (int round = 0; round < 4000; round++, total++) {
        size_t n = 0;
        int ntok = 1 + (int)rnd(40);
        for (int k = 0; k < ntok; k++) {
            const char *w = vocab[rnd(sizeof vocab / sizeof vocab[0])];
            size_t len = strlen(w);
            if (n + len >= sizeof buf) break;
            memcpy(buf + n, w, len);
            n += len;
        }
        char *cp = malloc(n ? n : 1);
        memcpy(cp, buf, n);
        feed(cp, n, &nok);
        free(cp);
    }
    assert_true(total > 10000);
    assert_true(nok > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok_cases),     cmocka_unit_test(test_stmt_text),
        cmocka_unit_test(test_script_shape), cmocka_unit_test(test_ast_fields),
        cmocka_unit_test(test_err_cases),    cmocka_unit_test(test_hints),
        cmocka_unit_test(test_depth),        cmocka_unit_test(test_alloc_failure),
        cmocka_unit_test(test_robustness),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
