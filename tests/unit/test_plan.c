/*
 * test_plan.c — unit tests for the planner (src/plan: wd_plan_compile and
 * the dataflow graph it builds): the shape of the graph for simple queries
 * (node kinds, edges, parallelism, column pruning, calc merging, chain
 * fusion, filters and projections pushed below joins), planner errors with code, line, column, message and hint, and a
 * robustness pass that feeds wd_plan_compile thousands of token-level
 * mutations of the golden SQL corpus (the .sql files of tests/sql/cases,
 * read relative to the repository root, where `make test` runs) plus an
 * allocation-failure sweep: every call returns 0 or a negative code with a
 * message, never crashes and never leaks (the suite runs under ASan+UBSan).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "plan/graph.h"
#include "plan/plan.h"
#include "sql/sql_int.h"

#define NEXMARK "CREATE TABLE n WITH (connector = 'nexmark', event_count = '10');\n"

static int compile_p(const char *sql, uint32_t p, wd_graph **g, wd_error *err)
{
    wd_plan_opts o = {.parallelism = p};
    wd_err_clear(err);
    *g = (wd_graph *)(uintptr_t)1; /* must be overwritten either way */
    int rc = wd_plan_compile(sql, strlen(sql), &o, g, err);
    if (rc == 0) {
        assert_non_null(*g);
    } else {
        assert_null(*g);
    }
    return rc;
}

static wd_graph *compile_ok(const char *sql, uint32_t p)
{
    wd_graph *g;
    wd_error err;
    int rc = compile_p(sql, p, &g, &err);
    if (rc != 0) fail_msg("compile failed (%d): %s\n%s", rc, err.msg, sql);
    return g;
}

static uint32_t count_kind(const wd_graph *g, wd_node_kind k)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < g->nnodes; i++) n += g->nodes[i]->kind == k;
    return n;
}

static const wd_node *first_kind(const wd_graph *g, wd_node_kind k)
{
    for (uint32_t i = 0; i < g->nnodes; i++)
        if (g->nodes[i]->kind == k) return g->nodes[i];
    return NULL;
}

/* Kinds of the nodes in id order, one letter each: S W C K(sink) U. */
static void kinds(const wd_graph *g, char *out)
{
    static const char letter[] = {'S', 'W', 'C', 'K', 'U', '?'};
    uint32_t i = 0;
    for (; i < g->nnodes; i++) {
        assert_int_equal(g->nodes[i]->id, i);
        out[i] = letter[g->nodes[i]->kind <= WD_N__OTHER ? g->nodes[i]->kind : WD_N__OTHER];
    }
    out[i] = 0;
}

/* Every node's parallelism is p and every edge joins existing nodes. */
static void check_consistent(const wd_graph *g, uint32_t p)
{
    for (uint32_t i = 0; i < g->nnodes; i++) {
        const wd_node *n = g->nodes[i];
        assert_int_equal(n->parallelism, p);
        assert_non_null(n->name);
        if (n->kind == WD_N_SINK) {
            assert_null(n->out_schema);
            const wd_edge *out[1];
            assert_int_equal(wd_graph_out_edges(g, n->id, out, 1), 0);
        } else {
            assert_non_null(n->out_schema);
        }
        if (n->kind == WD_N_SOURCE) {
            const wd_edge *in[1];
            assert_int_equal(wd_graph_in_edges(g, n->id, in, 1), 0);
            assert_non_null(n->conn);
        }
    }
    for (uint32_t i = 0; i < g->nedges; i++) {
        assert_true(g->edges[i].from < g->nnodes);
        assert_true(g->edges[i].to < g->nnodes);
        assert_int_equal(g->edges[i].kind, WD_E_FORWARD);
    }
}

/* ---- graph shape ---------------------------------------------------------- */

static void test_shape_simple(void **state)
{
    (void)state;
    wd_graph *g = compile_ok(NEXMARK "SELECT bid FROM n WHERE bid IS NOT NULL;", 1);
    char k[64];
    kinds(g, k);
    assert_string_equal(k, "SWCK");
    assert_int_equal(g->nedges, 3);
    check_consistent(g, 1);
    const wd_node *src = first_kind(g, WD_N_SOURCE);
    assert_string_equal(src->name, "source:nexmark");
    assert_string_equal(src->conn->name, "nexmark");
    assert_int_equal(src->bounded, src->conn->bounded);
    assert_int_equal(src->ninputs, 0);
    /* column pruning: person, auction, bid, _timestamp — only bid is read */
    assert_int_equal(src->out_schema->nfields, 4);
    assert_non_null(src->needed);
    assert_false(src->needed[0]);
    assert_false(src->needed[1]);
    assert_true(src->needed[2]);
    assert_true(src->needed[3]);
    const wd_node *calc = first_kind(g, WD_N_CALC);
    assert_non_null(calc->filter);
    assert_int_equal(calc->nexprs, 2); /* bid, _timestamp */
    assert_int_equal(calc->unnest_col, -1);
    assert_string_equal(calc->out_schema->fields[0].name, "bid");
    const wd_node *wm = first_kind(g, WD_N_WATERMARK);
    assert_non_null(wm->wm_expr);
    const wd_node *sink = first_kind(g, WD_N_SINK);
    assert_string_equal(sink->name, "sink:stdout");
    assert_null(sink->sink_conn);
    assert_non_null(sink->in_schemas);
    assert_int_equal(sink->in_schemas[0]->nfields, 2);
    /* one chain of four operators */
    wd_chains cs;
    wd_graph_chains(g, &cs);
    assert_int_equal(cs.n, 1);
    assert_int_equal(cs.chains[0].nnodes, 4);
    assert_int_equal(cs.chains[0].parallelism, 1);
    for (uint32_t i = 0; i < 4; i++) {
        assert_ptr_equal(cs.chains[0].nodes[i], g->nodes[i]);
        assert_int_equal(cs.chain_of[i], 0);
    }
    wd_graph_free(g);
}

static void test_shape_parallel(void **state)
{
    (void)state;
    wd_graph *g = compile_ok(NEXMARK "SELECT bid.price * 2 AS p FROM n;", 4);
    check_consistent(g, 4);
    wd_chains cs;
    wd_graph_chains(g, &cs);
    assert_int_equal(cs.n, 1);
    assert_int_equal(cs.chains[0].parallelism, 4);
    wd_graph_free(g);
    /* SET parallelism in the script wins over the default of the options */
    g = compile_ok("SET parallelism = 3;\n" NEXMARK "SELECT bid.price FROM n;", 0);
    check_consistent(g, 3);
    wd_graph_free(g);
    /* parallelism 0 in the options means 1 */
    g = compile_ok(NEXMARK "SELECT bid.price FROM n;", 0);
    check_consistent(g, 1);
    wd_graph_free(g);
}

static void test_calc_merge(void **state)
{
    (void)state;
    char k[64];
    /* a projection over a projection: one calc with substituted expressions */
    wd_graph *g = compile_ok(NEXMARK "CREATE VIEW v AS SELECT bid.price AS p, bid.auction AS a FROM n;\n"
                                     "SELECT p * 2 AS x, a FROM v;",
                             1);
    kinds(g, k);
    assert_string_equal(k, "SWCK");
    const wd_node *c = first_kind(g, WD_N_CALC);
    assert_null(c->filter);
    assert_int_equal(c->nexprs, 3);
    assert_string_equal(c->out_schema->fields[0].name, "x");
    assert_string_equal(c->out_schema->fields[1].name, "a");
    wd_graph_free(g);

    /* inner filter, outer projection: merged, the filter kept */
    g = compile_ok(NEXMARK "CREATE VIEW v AS SELECT bid.price AS p FROM n WHERE bid IS NOT NULL;\n"
                           "SELECT p + 1 AS q FROM v;",
                   1);
    kinds(g, k);
    assert_string_equal(k, "SWCK");
    assert_non_null(first_kind(g, WD_N_CALC)->filter);
    wd_graph_free(g);

    /* inner projection, outer filter: merged, the filter substituted */
    g = compile_ok(NEXMARK "SELECT p FROM (SELECT bid.price AS p FROM n) WHERE p > 10;", 1);
    kinds(g, k);
    assert_string_equal(k, "SWCK");
    assert_non_null(first_kind(g, WD_N_CALC)->filter);
    wd_graph_free(g);

    /* both filter, the outer one cannot fail: merged, both filters kept */
    g = compile_ok(NEXMARK "CREATE VIEW v AS SELECT bid.price AS p FROM n WHERE bid IS NOT NULL;\n"
                           "SELECT p FROM v WHERE p > 10;",
                   1);
    kinds(g, k);
    assert_string_equal(k, "SWCK");
    assert_int_equal(first_kind(g, WD_N_CALC)->filter->kind, WD_EX_AND);
    wd_graph_free(g);

    /* both filter, the outer one can fail: two calcs (it sees only the
     * inner's rows) */
    g = compile_ok(NEXMARK "CREATE VIEW v AS SELECT bid.price AS p FROM n WHERE bid IS NOT NULL;\n"
                           "SELECT p FROM v WHERE 100 / p > 10;",
                   1);
    kinds(g, k);
    assert_string_equal(k, "SWCCK");
    assert_non_null(g->nodes[2]->filter);
    assert_non_null(g->nodes[3]->filter);
    wd_chains cs;
    wd_graph_chains(g, &cs);
    assert_int_equal(cs.n, 1);
    assert_int_equal(cs.chains[0].nnodes, 5);
    wd_graph_free(g);

    /* an unnest inside is not merged into the outer calc */
    g = compile_ok(NEXMARK "SELECT u + 1 AS v FROM (SELECT unnest([bid.price, 1]) AS u FROM n);", 1);
    kinds(g, k);
    assert_string_equal(k, "SWCCK");
    assert_int_equal(g->nodes[2]->unnest_col, 0);
    assert_int_equal(g->nodes[3]->unnest_col, -1);
    wd_graph_free(g);

    /* three projections deep: merged at least once, all in one chain (the
     * planner merges one level per calc today; deeper merging is allowed) */
    g = compile_ok(NEXMARK "SELECT c FROM (SELECT b * 2 AS c FROM (SELECT bid.price + 1 AS b FROM n));",
                   1);
    assert_true(count_kind(g, WD_N_CALC) >= 1 && count_kind(g, WD_N_CALC) <= 2);
    wd_graph_chains(g, &cs);
    assert_int_equal(cs.n, 1);
    wd_graph_free(g);
}

static void test_shape_generated(void **state)
{
    (void)state;
    char k[64];
    /* generated columns and an event-time column: source, calc, watermark */
    wd_graph *g = compile_ok(
        "CREATE TABLE t (a BIGINT, ts TIMESTAMP, g BIGINT GENERATED ALWAYS AS (a * 2),\n"
        "  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)\n"
        "  WITH (connector = 'single_file', path = 'x.json', type = 'source');\n"
        "SELECT g FROM t;",
        2);
    kinds(g, k);
    assert_string_equal(k, "SCWCK");
    check_consistent(g, 2);
    const wd_node *src = g->nodes[0];
    assert_string_equal(src->name, "source:single_file");
    assert_true(src->bounded);
    assert_int_equal(src->out_schema->nfields, 3); /* a, ts, _timestamp */
    assert_int_equal(g->nodes[1]->nexprs, 4);      /* a, ts, g, _timestamp */
    wd_graph_free(g);

    /* a plain single_file source: no derive calc */
    g = compile_ok("CREATE TABLE t (a BIGINT) WITH (connector = 'single_file', path = 'x', "
                   "type = 'source');\nSELECT a FROM t;",
                   1);
    kinds(g, k);
    assert_string_equal(k, "SWCK");
    wd_graph_free(g);
}

static void test_shape_union_and_sinks(void **state)
{
    (void)state;
    char k[64];
    wd_graph *g = compile_ok(NEXMARK "SELECT bid.price AS p FROM n UNION ALL SELECT auction.id FROM n;", 3);
    check_consistent(g, 3);
    assert_int_equal(count_kind(g, WD_N_UNION), 1);
    assert_int_equal(count_kind(g, WD_N_SOURCE), 2);
    assert_int_equal(count_kind(g, WD_N_SINK), 1);
    const wd_node *u = first_kind(g, WD_N_UNION);
    const wd_edge *in[4];
    assert_int_equal(wd_graph_in_edges(g, u->id, in, 4), 2);
    wd_chains cs;
    wd_graph_chains(g, &cs);
    /* union + sink, and one chain per input */
    assert_int_equal(cs.n, 3);
    uint32_t fused = 0;
    for (uint32_t i = 0; i < cs.n; i++) {
        assert_int_equal(cs.chains[i].parallelism, 3);
        fused += cs.chains[i].nnodes;
    }
    assert_int_equal(fused, g->nnodes);
    const wd_node *sink = first_kind(g, WD_N_SINK);
    assert_int_equal(cs.chain_of[u->id], cs.chain_of[sink->id]);
    wd_graph_free(g);

    /* two INSERTs into one sink: one sink node with two inputs */
    g = compile_ok(NEXMARK "CREATE TABLE o WITH (connector = 'blackhole');\n"
                           "INSERT INTO o SELECT bid.price AS p FROM n;\n"
                           "INSERT INTO o SELECT auction.reserve FROM n;",
                   1);
    assert_int_equal(count_kind(g, WD_N_SINK), 1);
    sink = first_kind(g, WD_N_SINK);
    assert_string_equal(sink->name, "sink:blackhole");
    assert_non_null(sink->sink_conn);
    assert_int_equal(wd_graph_in_edges(g, sink->id, in, 4), 2);
    assert_string_equal(sink->in_schemas[0]->fields[0].name, "p");
    wd_graph_chains(g, &cs);
    assert_int_equal(cs.n, 3);
    assert_int_equal(cs.chains[cs.chain_of[sink->id]].nnodes, 1);
    wd_graph_free(g);

    /* two bare SELECTs: two independent pipelines, two stdout sinks */
    g = compile_ok(NEXMARK "SELECT bid.price FROM n;\nSELECT auction.id FROM n;", 1);
    kinds(g, k);
    assert_string_equal(k, "SWCKSWCK");
    wd_graph_chains(g, &cs);
    assert_int_equal(cs.n, 2);
    wd_graph_free(g);

    /* a sink with declared columns: the insert is cast to them */
    g = compile_ok(NEXMARK "CREATE TABLE o (price TEXT, a DOUBLE) WITH (connector = 'blackhole');\n"
                           "INSERT INTO o SELECT bid.price, bid.auction FROM n;",
                   1);
    sink = first_kind(g, WD_N_SINK);
    assert_int_equal(sink->in_schemas[0]->nfields, 3);
    assert_string_equal(sink->in_schemas[0]->fields[0].name, "price");
    wd_graph_free(g);

    /* EXPLAIN of a graph names every operator */
    g = compile_ok(NEXMARK "SELECT bid.price FROM n;", 2);
    wd_buf b = WD_BUF_INIT;
    wd_graph_explain(g, &b);
    assert_non_null(b.data);
    assert_non_null(strstr(b.data, "chain 0 (parallelism 2):"));
    assert_non_null(strstr(b.data, "source:nexmark"));
    assert_non_null(strstr(b.data, "sink:stdout"));
    wd_buf_free(&b);
    wd_graph_free(g);
}

/* ---- joins: filters and projections pushed below them ---------------------- */

static const wd_node *join_node(const wd_graph *g)
{
    for (uint32_t i = 0; i < g->nnodes; i++)
        if (!strcmp(g->nodes[i]->name, "join")) return g->nodes[i];
    fail_msg("no join node");
    return NULL;
}

/* The node feeding input `in` of node n. */
static const wd_node *input_of(const wd_graph *g, const wd_node *n, uint32_t in)
{
    const wd_edge *e[4];
    uint32_t ne = wd_graph_in_edges(g, n->id, e, 4);
    for (uint32_t i = 0; i < ne; i++)
        if (e[i]->to_input == in) return g->nodes[e[i]->from];
    fail_msg("no input %u", in);
    return NULL;
}

/* The only node reading n's output. */
static const wd_node *consumer_of(const wd_graph *g, const wd_node *n)
{
    const wd_edge *e[2];
    assert_int_equal(wd_graph_out_edges(g, n->id, e, 2), 1);
    return g->nodes[e[0]->to];
}

#define AUCTIONS_Q "(SELECT auction.id AS id, auction.seller AS seller, auction.category AS category, " \
                 "auction.item_name AS item FROM n WHERE auction IS NOT NULL)"
#define PEOPLE_Q "(SELECT person.id AS id, person.name AS name, person.state AS state FROM n " \
               "WHERE person IS NOT NULL)"

static void test_join_pushdown(void **state)
{
    (void)state;
    /* inner join: one-sided conjuncts that cannot fail go below the join;
     * one reading both sides or able to fail stays; payload columns nothing
     * reads leave the inputs */
    wd_graph *g = compile_ok(NEXMARK "SELECT p.name, a.id FROM " AUCTIONS_Q " AS a JOIN " PEOPLE_Q
                                     " AS p ON a.seller = p.id WHERE a.category = 10 AND "
                                     "p.state IN ('OR', 'CA') AND a.id > p.id AND 100 / a.id > 1;",
                             1);
    const wd_node *j = join_node(g);
    /* [key, payload…, _timestamp]: a keeps id, p keeps id and name */
    assert_int_equal(j->in_schemas[0]->nfields, 1 + 1 + 1);
    assert_string_equal(j->in_schemas[0]->fields[1].name, "id");
    assert_int_equal(j->in_schemas[1]->nfields, 1 + 2 + 1);
    assert_string_equal(j->in_schemas[1]->fields[1].name, "id");
    assert_string_equal(j->in_schemas[1]->fields[2].name, "name");
    for (uint32_t s = 0; s < 2; s++) {
        const wd_node *c = input_of(g, j, s);
        assert_int_equal(c->kind, WD_N_CALC);
        assert_non_null(c->filter);
        assert_int_equal(c->filter->kind, WD_EX_AND); /* IS NOT NULL and the pushed one */
    }
    const wd_node *after = consumer_of(g, j);
    assert_int_equal(after->kind, WD_N_CALC);
    assert_non_null(after->filter);
    assert_int_equal(after->filter->kind, WD_EX_AND); /* a.id > p.id, 100 / a.id > 1 */
    assert_int_equal(after->filter->nargs, 2);
    wd_graph_free(g);

    /* a LEFT join: the left side's conjunct goes down, the right side's
     * (its columns are NULL in rows the filter must see) stays */
    g = compile_ok(NEXMARK "SELECT p.name, a.id FROM " AUCTIONS_Q " AS a LEFT JOIN " PEOPLE_Q
                           " AS p ON a.seller = p.id WHERE a.category = 10 AND p.state = 'OR';",
                   1);
    j = join_node(g);
    assert_int_equal(input_of(g, j, 0)->filter->kind, WD_EX_AND);
    assert_int_equal(input_of(g, j, 1)->filter->kind, WD_EX_IS_NOT_NULL);
    after = consumer_of(g, j);
    assert_non_null(after->filter);
    assert_int_equal(after->filter->kind, WD_EX_CALL); /* p.state = 'OR' */
    /* p.state stays in the join for that filter */
    assert_int_equal(j->in_schemas[1]->nfields, 1 + 2 + 1);
    wd_graph_free(g);

    /* an updating input keeps every column (retractions match whole rows) */
    g = compile_ok(NEXMARK "SELECT c.n, p.name FROM (SELECT auction.seller AS seller, count(*) AS n, "
                           "max(auction.id) AS last FROM n WHERE auction IS NOT NULL GROUP BY 1) AS c "
                           "JOIN " PEOPLE_Q " AS p ON c.seller = p.id;",
                   1);
    j = join_node(g);
    assert_int_equal(j->in_schemas[0]->nfields, 1 + 3 + 1);
    assert_int_equal(j->in_schemas[1]->nfields, 1 + 1 + 1);
    wd_graph_free(g);
}

/* ---- errors --------------------------------------------------------------- */

typedef struct err_case {
    const char *sql;
    int code;
    int line, col;    /* 0: not checked */
    const char *msg;  /* substring of err.msg */
    const char *hint; /* substring of err.hint, or NULL for no check */
} err_case;

#define PEOPLE                                                                                    \
    "CREATE TABLE people (id BIGINT NOT NULL, name TEXT, age INT, tags TEXT[])\n"                 \
    "  WITH (connector = 'single_file', path = 'p.json', type = 'source');\n"

static const err_case err_cases[] = {
    /* names */
    {"CREATE TABLE bid (auction BIGINT, price BIGINT) WITH (connector = 'single_file', path = "
     "'x', type = 'source');\nSELECT auction,\n       prce\nFROM bid;",
     WD_ENAME, 3, 8, "unknown column 'prce' in table 'bid' (did you mean 'price'?)",
     "available columns: auction, price"},
    {NEXMARK "SELECT bid.prce FROM n;", WD_ENAME, 2, 12,
     "unknown field 'prce' in 'bid' (did you mean 'price'?)", "fields of 'bid'"},
    {"SELECT a FROM nope;", WD_ENAME, 1, 15, "unknown table 'nope'", "CREATE TABLE nope"},
    {NEXMARK "INSERT INTO nowhere SELECT bid FROM n;", WD_ENAME, 2, 13, "unknown table 'nowhere'",
     NULL},
    {NEXMARK "SELECT lenght(bid.url) FROM n;", WD_ENAME, 2, 8, "lenght", NULL},
    {NEXMARK "CREATE TABLE n WITH (connector = 'nexmark');\nSELECT bid FROM n;", WD_ENAME, 2, 14,
     "already exists", NULL},
    /* types */
    {NEXMARK "SELECT bid.price + 'x' FROM n;", WD_ETYPE, 2, 8, "no function +(BIGINT, TEXT)",
     NULL},
    {NEXMARK "SELECT bid FROM n WHERE bid.price;", WD_ETYPE, 2, 29,
     "WHERE condition must be BOOLEAN, not BIGINT", NULL},
    {PEOPLE "SELECT upper(age) FROM people;", WD_ETYPE, 3, 8, "upper", NULL},
    /* aggregates and windows */
    {PEOPLE "SELECT id FROM people WHERE count(*) > 1;", WD_EPLAN, 3, 29,
     "aggregate functions are not allowed in WHERE", NULL},
    {PEOPLE "SELECT name, age FROM people GROUP BY name;", WD_EPLAN, 3, 14,
     "column 'age' must appear in GROUP BY or be used in an aggregate function", NULL},
    {PEOPLE "SELECT sum(count(*)) FROM people;", WD_EPLAN, 3, 12, "is not allowed here", NULL},
    {PEOPLE "SELECT sum(name) FROM people;", WD_ETYPE, 3, 8, "sum(TEXT) is not defined", NULL},
    {PEOPLE "SELECT name FROM people GROUP BY name, tumble(interval '1 minute'),\n"
            "  tumble(interval '2 minutes');",
     WD_EPLAN, 4, 3, "only one window per GROUP BY", NULL},
    /* not supported */
    {PEOPLE "SELECT a.id FROM people a JOIN people b ON a.age > b.age;", WD_EPLAN, 3, 44,
     "a streaming join needs an equality between the two sides", NULL},
    {PEOPLE "SELECT a.id FROM people a JOIN people b ON a.id = b.name;", WD_ETYPE, 3, 44,
     "cannot compare BIGINT with TEXT", "CAST"},
    {PEOPLE "SELECT a.id FROM people a, people b;", WD_EUNSUPPORTED, 3, 28,
     "comma joins are not supported", NULL},
    {PEOPLE "SELECT id FROM people ORDER BY age;", WD_EUNSUPPORTED, 3, 32,
     "ORDER BY is not supported in a streaming query", NULL},
    {PEOPLE "SELECT id FROM people LIMIT 10;", WD_EUNSUPPORTED, 3, 29, "LIMIT is not supported",
     NULL},
    {PEOPLE "SELECT id, row_number() OVER (PARTITION BY name ORDER BY age) AS r FROM people;",
     WD_EUNSUPPORTED, 3, 30, "only supported as a top-N", "WHERE row_num <= N"},
    {PEOPLE "SELECT id, rank() OVER (PARTITION BY name ORDER BY age) AS r FROM people;",
     WD_EPLAN, 3, 24, "window functions need windowed input", "only the top-N form"},
    {PEOPLE "SELECT * FROM (SELECT id, row_number() OVER (ORDER BY age) AS r FROM people) "
            "WHERE r > 2;",
     WD_EUNSUPPORTED, 3, 45, "only supported as a top-N", NULL},
    {PEOPLE "SELECT * FROM (SELECT name, n, row_number() OVER (PARTITION BY name ORDER BY n) AS r "
            "FROM (SELECT name, count(*) AS n FROM people GROUP BY name)) WHERE r <= 1;",
     WD_EUNSUPPORTED, 3, 50, "ROW_NUMBER() over an updating input", "cannot replace a top row"},
    {PEOPLE "SELECT tumble(interval '1 minute') AS w FROM people;", WD_EPLAN, 3, 8,
     "tumble() defines a window: it belongs in GROUP BY", NULL},
    {PEOPLE "SELECT DISTINCT name FROM people;", WD_EUNSUPPORTED, 3, 1,
     "SELECT DISTINCT is not supported yet", NULL},
    {PEOPLE "SELECT id FROM people UNION SELECT id FROM people;", WD_EUNSUPPORTED, 3, 1,
     "use UNION ALL", NULL},
    {PEOPLE "SELECT id FROM people WHERE id IN (SELECT id FROM people);", WD_EUNSUPPORTED, 3, 29,
     "subqueries in expressions", NULL},
    {PEOPLE "SELECT 1 AS one;", WD_EUNSUPPORTED, 3, 1, "SELECT without FROM", NULL},
    {"CREATE TABLE m (a BIGINT);\nSELECT a FROM m;", WD_EPLAN, 1, 1,
     "a memory table is read, but nothing is inserted into it", NULL},
    {PEOPLE "CREATE TABLE o (id BIGINT) WITH (connector = 'blackhole');\n"
            "INSERT INTO o (id) SELECT id FROM people;",
     WD_EUNSUPPORTED, 4, 13, "INSERT with a column list is not supported yet", NULL},
    /* sinks and sources */
    {NEXMARK "CREATE TABLE m WITH (connector = 'nexmark');\nINSERT INTO m SELECT * FROM n;",
     WD_EPLAN, 3, 13, "table 'm' is a source (connector 'nexmark'); it cannot be written to", NULL},
    {NEXMARK "CREATE TABLE o (a BIGINT) WITH (connector = 'blackhole');\n"
             "INSERT INTO o SELECT bid.price, bid.auction FROM n;",
     WD_EPLAN, 3, 13, "INSERT INTO o: the query has 2 columns but the table has 1",
     "columns of o: a BIGINT"},
    {NEXMARK "CREATE VIEW v AS SELECT bid FROM n;\nINSERT INTO v SELECT bid FROM n;", WD_EPLAN, 3,
     13, "cannot INSERT INTO view 'v'", NULL},
    {NEXMARK "CREATE TABLE o WITH (connector = 'blackhole');\nSELECT * FROM o;", WD_EPLAN, 3, 15,
     "table 'o' is a sink (connector 'blackhole'); it cannot be read from", NULL},
    /* options */
    /* column not checked: it is the value's (57) today, docs/connectors.md shows the key's */
    {"CREATE TABLE n WITH (connector = 'nexmark', evnt_rate = '5');\nSELECT bid FROM n;",
     WD_EOPTION, 1, 0, "unknown option 'evnt_rate' for connector 'nexmark' (did you mean "
                        "'event_rate'?)",
     NULL},
    {"CREATE TABLE n WITH (connector = 'nexmerk');\nSELECT bid FROM n;", WD_EOPTION, 1, 34,
     "nexmerk", NULL},
    {"CREATE TABLE n WITH (connector = 'impulse');\nSELECT counter FROM n;", WD_EOPTION, 1, 14,
     "missing required option 'event_rate' for connector 'impulse'", "messages per second"},
    /* the script */
    {NEXMARK, WD_EPLAN, 0, 0, "the script has no INSERT INTO or SELECT: nothing to run", NULL},
    {"", WD_EPLAN, 0, 0, "nothing to run", NULL},
    {NEXMARK "SELECT bid FROM n WHERE;", WD_ESYNTAX, 2, 24, "", NULL},
};

#define N_ERR (sizeof err_cases / sizeof err_cases[0])

static void test_errors(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t i = 0; i < N_ERR; i++) {
        const err_case *c = &err_cases[i];
        wd_graph *g;
        wd_error err;
        int rc = compile_p(c->sql, 1, &g, &err);
        if (rc == 0) wd_graph_free(g);
        if (rc != c->code || err.code != c->code || !strstr(err.msg, c->msg) ||
            (c->line && err.pos.line != c->line) || (c->col && err.pos.col != c->col) ||
            (c->hint && !strstr(err.hint, c->hint)) || !err.msg[0]) {
            print_error("case %zu: got %d at %d:%d: %s (hint: %s)\nwant %d at %d:%d: %s\n%s\n", i, rc,
                        err.pos.line, err.pos.col, err.msg, err.hint, c->code, c->line, c->col,
                        c->msg, c->sql);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

/* An error keeps its code and message when formatted for a person. */
static void test_error_format(void **state)
{
    (void)state;
    const char *sql = err_cases[0].sql;
    wd_graph *g;
    wd_error err;
    assert_int_equal(compile_p(sql, 1, &g, &err), WD_ENAME);
    char out[1024];
    size_t n = wd_err_format(&err, "q.sql", sql, out, sizeof out);
    assert_true(n < sizeof out);
    assert_non_null(strstr(out, "q.sql:3:8: unknown column 'prce'"));
    assert_non_null(strstr(out, "\n         prce\n         ^\n"));
    assert_non_null(strstr(out, "hint: available columns: auction, price"));
}

/* ---- robustness: token-level mutations of the golden corpus --------------- */

#define CASES_DIR "tests/sql/cases"

typedef struct corpus {
    char **texts;
    size_t *lens;
    size_t n;
} corpus;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void corpus_load(corpus *c)
{
    memset(c, 0, sizeof *c);
    DIR *d = opendir(CASES_DIR);
    if (!d) fail_msg("cannot open %s: run from the repository root", CASES_DIR);
    char **names = NULL;
    size_t nn = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l < 5 || strcmp(de->d_name + l - 4, ".sql")) continue;
        names = realloc(names, (nn + 1) * sizeof *names);
        names[nn++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, nn, sizeof *names, cmp_str);
    c->texts = calloc(nn ? nn : 1, sizeof *c->texts);
    c->lens = calloc(nn ? nn : 1, sizeof *c->lens);
    for (size_t i = 0; i < nn; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", CASES_DIR, names[i]);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        wd_buf b = WD_BUF_INIT;
        char tmp[4096];
        size_t k;
        while ((k = fread(tmp, 1, sizeof tmp, f)) > 0) wd_buf_put(&b, tmp, k);
        fclose(f);
        c->texts[c->n] = malloc(b.len + 1);
        memcpy(c->texts[c->n], b.data ? b.data : "", b.len);
        c->texts[c->n][b.len] = 0;
        c->lens[c->n] = b.len;
        c->n++;
        wd_buf_free(&b);
        free(names[i]);
    }
    free(names);
}

static void corpus_free(corpus *c)
{
    for (size_t i = 0; i < c->n; i++) free(c->texts[i]);
    free(c->texts);
    free(c->lens);
}

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return n ? (uint32_t)(rng_state % n) : 0;
}

typedef struct fuzz_stats {
    long total, ok, err;
} fuzz_stats;

static int count_lines(const char *s, size_t n)
{
    int l = 1;
    for (size_t i = 0; i < n; i++) l += s[i] == '\n';
    return l;
}

/* One compile of s[0..n): 0 and a usable graph, or an error with a message. */
static void feed(const char *s, size_t n, uint32_t p, fuzz_stats *st)
{
    char *cp = malloc(n ? n : 1); /* exact size, no NUL: ASan catches over-reads */
    memcpy(cp, s, n);
    wd_plan_opts o = {.parallelism = p};
    wd_graph *g = NULL;
    wd_error err;
    wd_err_clear(&err);
    int rc = wd_plan_compile(cp, n, &o, &g, &err);
    st->total++;
    if (rc == 0) {
        st->ok++;
        assert_non_null(g);
        assert_true(g->nnodes > 0);
        wd_chains cs;
        wd_graph_chains(g, &cs);
        uint32_t sum = 0;
        for (uint32_t i = 0; i < cs.n; i++) sum += cs.chains[i].nnodes;
        assert_int_equal(sum, g->nnodes);
        wd_buf b = WD_BUF_INIT;
        wd_graph_explain(g, &b);
        wd_buf_free(&b);
        wd_graph_free(g);
    } else {
        st->err++;
        if (rc >= 0 || rc != err.code || !err.msg[0] || rc == WD_EINTERNAL || g != NULL ||
            err.pos.line < 0 || err.pos.line > count_lines(s, n) || err.pos.col < 0)
            fail_msg("bad result %d (code %d) at %d:%d: '%s' for:\n%.*s", rc, err.code,
                     err.pos.line, err.pos.col, err.msg, (int)n, s);
        /* the CLI formats it with the source text */
        char *z = malloc(n + 1);
        memcpy(z, s, n);
        z[n] = 0;
        char out[2048];
        wd_err_format(&err, "f.sql", z, out, sizeof out);
        free(z);
    }
    free(cp);
}

typedef struct piece {
    const char *p;
    size_t n;
    int kind; /* wd_tok_kind, or -1 for inserted text */
} piece;

static const char *const inserts[] = {
    "SELECT",  "FROM",     "WHERE",      "GROUP BY", "ORDER BY", "UNION ALL", "UNION",
    "JOIN",    "ON",       "AS",         "CAST(",    "(",        ")",         ",",
    ";",       "NULL",     "NOT",        "AND",      "OR",       "CASE",      "WHEN",
    "THEN",    "ELSE",     "END",        "INSERT INTO", "CREATE TABLE", "CREATE VIEW",
    "WITH",    "DISTINCT", "OVER (",     "PARTITION BY", "tumble(interval '1 second')",
    "count(*)", "unnest(",  "LIMIT 1",    "*",        ".",        "::",        "[",
    "]",       "->",       "->>",        "||",       "+",        "-",         "/",
    "=",       "<",        "IS",         "IN",       "BETWEEN",  "LIKE",      "INTERVAL",
    "TIMESTAMP", "ARRAY",  "ROW(",       "_timestamp", "TRY_CAST(", "BIGINT",  "TEXT",
    "STRUCT<a INT>", "JSON", "DECIMAL(50, 2)", "WATERMARK FOR", "GENERATED ALWAYS AS (",
    "connector = 'blackhole'", "type = 'sink'", "SET parallelism = 2", "EXTRACT(", "0",
    "-9223372036854775808", "1e400", "''", "'x'", "\"", "'", "/*", "--",
};

/* Build the text of a token list joined by spaces into b. */
static void join(const piece *ps, size_t n, wd_buf *b)
{
    b->len = 0;
    for (size_t i = 0; i < n; i++) {
        if (i) wd_buf_putc(b, ' ');
        wd_buf_put(b, ps[i].p, ps[i].n);
    }
    if (!b->data) wd_buf_put(b, "", 0);
}

static void test_fuzz_corpus(void **state)
{
    (void)state;
    corpus c;
    corpus_load(&c);
    assert_true(c.n >= 20);
    fuzz_stats st = {0};

    /* tokens of every file, and a pool of identifiers and literals */
    wd_arena a;
    wd_arena_init(&a, 0);
    wd_tok **toks = calloc(c.n, sizeof *toks);
    uint32_t *ntoks = calloc(c.n, sizeof *ntoks);
    piece *pool = NULL;
    size_t npool = 0;
    for (size_t i = 0; i < c.n; i++) {
        wd_error err;
        wd_err_clear(&err);
        assert_int_equal(wd_sql_lex(c.texts[i], c.lens[i], &a, &toks[i], &ntoks[i], &err), 0);
        for (uint32_t k = 0; k < ntoks[i]; k++) {
            const wd_tok *t = &toks[i][k];
            if (t->kind == WD_TK_IDENT || t->kind == WD_TK_QIDENT || t->kind == WD_TK_STRING ||
                t->kind == WD_TK_INT || t->kind == WD_TK_NUM) {
                pool = realloc(pool, (npool + 1) * sizeof *pool);
                pool[npool++] = (piece){c.texts[i] + t->start, t->end - t->start, (int)t->kind};
            }
        }
    }
    assert_true(npool > 100);

    /* the corpus itself, then every prefix ending at a token boundary */
    for (size_t i = 0; i < c.n; i++) {
        for (uint32_t k = 0; k < ntoks[i]; k++) {
            feed(c.texts[i], toks[i][k].start, 1, &st);
            feed(c.texts[i], toks[i][k].end, 1 + (k & 1), &st);
        }
        feed(c.texts[i], c.lens[i], 1, &st);
    }

    /* random token edits */
    wd_buf b = WD_BUF_INIT;
    size_t cap = 0;
    piece *ps = NULL;
    for (int round = 0; round < 20000; round++) {
        size_t f = rnd((uint32_t)c.n);
        uint32_t nt = ntoks[f] - 1; /* without EOF */
        if (nt == 0) continue;
        if (cap < (size_t)nt + 64) {
            cap = (size_t)nt + 64;
            ps = realloc(ps, cap * sizeof *ps);
        }
        size_t n = nt;
        for (uint32_t k = 0; k < nt; k++)
            ps[k] = (piece){c.texts[f] + toks[f][k].start, toks[f][k].end - toks[f][k].start,
                            (int)toks[f][k].kind};
        int muts = 1 + (int)rnd(3);
        for (int m = 0; m < muts && n > 0; m++) {
            size_t at = rnd((uint32_t)n);
            switch (rnd(6)) {
            case 0: /* delete */
                memmove(ps + at, ps + at + 1, (n - at - 1) * sizeof *ps);
                n--;
                break;
            case 1: /* duplicate */
                if (n + 1 < cap) {
                    memmove(ps + at + 1, ps + at, (n - at) * sizeof *ps);
                    n++;
                }
                break;
            case 2: { /* swap */
                size_t to = rnd((uint32_t)n);
                piece t = ps[at];
                ps[at] = ps[to];
                ps[to] = t;
                break;
            }
            case 3: { /* replace by an identifier or literal of the corpus, mostly of
                       * the same kind (more mutants get past the analyzer) */
                piece r = pool[rnd((uint32_t)npool)];
                for (int tries = 0; tries < 16 && rnd(4) && r.kind != ps[at].kind; tries++)
                    r = pool[rnd((uint32_t)npool)];
                ps[at] = r;
                break;
            }
            case 4: { /* insert a keyword or construct */
                const char *w = inserts[rnd(sizeof inserts / sizeof inserts[0])];
                if (n + 1 < cap) {
                    memmove(ps + at + 1, ps + at, (n - at) * sizeof *ps);
                    ps[at] = (piece){w, strlen(w), -1};
                    n++;
                }
                break;
            }
            default: /* truncate */
                n = at;
                break;
            }
        }
        join(ps, n, &b);
        feed(b.data, b.len, 1 + rnd(3), &st);
    }
    wd_buf_free(&b);
    free(ps);
    free(pool);
    free(toks);
    free(ntoks);
    wd_arena_free(&a);
    corpus_free(&c);
    print_message("plan fuzz: %ld compiles, %ld planned, %ld errors\n", st.total, st.ok, st.err);
    assert_true(st.total > 5000);
    assert_true(st.ok > 100);
    assert_true(st.err > 1000);
}

/* ---- allocation failures -------------------------------------------------- */

static const char *const mid_script =
    "SET parallelism = 2;\n"
    "CREATE TABLE n WITH (connector = 'nexmark', event_rate = '100', event_count = '50');\n"
    "CREATE TABLE t (a BIGINT NOT NULL, s TEXT, ts TIMESTAMP, tags TEXT[],\n"
    "  g BIGINT GENERATED ALWAYS AS (a * 2),\n"
    "  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)\n"
    "  WITH (connector = 'single_file', path = 'in.json', type = 'source', format = 'json');\n"
    "CREATE TABLE o (p TEXT, q DOUBLE) WITH (connector = 'single_file', path = 'out.json',\n"
    "  type = 'sink', format = 'json');\n"
    "CREATE VIEW v AS SELECT bid.price AS p, bid.auction AS q FROM n WHERE bid IS NOT NULL;\n"
    "INSERT INTO o SELECT p, q FROM v WHERE p > 10;\n"
    "INSERT INTO o SELECT upper(s) || 'x', CAST(g AS DOUBLE) / 3 FROM t;\n"
    "SELECT CASE WHEN a % 2 = 0 THEN 'even' ELSE 'odd' END AS parity,\n"
    "       regexp_replace(s, '[0-9]+', '#', 'g') AS r, unnest(tags) AS tag,\n"
    "       date_trunc('hour', ts) AS h, s ->> 'k' AS j\n"
    "FROM t WHERE s LIKE 'a%' AND a BETWEEN 1 AND 10\n"
    "UNION ALL SELECT 'p', 'q', 't', _timestamp AS h, NULL FROM n;\n";

/*
 * Each of the first 300 allocations of wd_plan_compile failing in turn (the
 * injector is single-shot): an error with a message, never a crash or a
 * leak.  For this script those are the graph and the SQL front end's
 * allocations; the analyzer and planner after them do not check allocation
 * results yet (alloc.h: only paths a test exercises do).
 */
static void test_alloc_failure(void **state)
{
    (void)state;
    size_t len = strlen(mid_script);
    wd_graph *g = NULL;
    wd_error err;
    wd_err_clear(&err);
    wd_plan_opts o = {.parallelism = 1};
    int rc = wd_plan_compile(mid_script, len, &o, &g, &err);
    if (rc != 0) fail_msg("mid script does not compile: %s at %d:%d", err.msg, err.pos.line, err.pos.col);
    wd_graph_free(g);

    int saw_nomem = 0;
    for (long n = 1; n <= 300; n++) {
        wd_err_clear(&err);
        g = NULL;
        wd_alloc_fail_after(n);
        rc = wd_plan_compile(mid_script, len, &o, &g, &err);
        wd_alloc_fail_after(0);
        if (rc == 0) {
            assert_non_null(g);
            wd_graph_free(g);
        } else {
            assert_true(rc < 0);
            assert_int_equal(rc, err.code);
            assert_null(g);
            assert_true(err.msg[0] != 0);
            saw_nomem |= rc == WD_ENOMEM;
        }
    }
    assert_true(saw_nomem);
    /* and nothing is left armed: a normal compile still works */
    g = compile_ok(mid_script, 1);
    wd_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shape_simple),   cmocka_unit_test(test_shape_parallel),
        cmocka_unit_test(test_calc_merge),     cmocka_unit_test(test_join_pushdown),     cmocka_unit_test(test_shape_generated),
        cmocka_unit_test(test_shape_union_and_sinks), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_error_format),   cmocka_unit_test(test_fuzz_corpus),
        cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
