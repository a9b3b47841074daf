/*
 * test_runtime.c — the in-process runtime: chain fusion and EXPLAIN, end to
 * end runs through forward / shuffle / broadcast / rebalance edges at
 * several parallelisms, watermark minimum over channels, end of data,
 * backpressure through a tiny queue, operator errors, cancel, and key
 * hashing.
 *
 * Uses a test-only source (K batches of R int64 rows per subtask, with
 * timestamps and a per-subtask watermark) and test-only operators that
 * record what they see.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch/batch.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "expr/expr.h"
#include "ops/op.h"
#include "plan/graph.h"
#include "runtime/runtime.h"
#include "runtime/runtime_int.h"
#include "state/snapshot.h"
#include "state/store.h"

/* ---- test source ------------------------------------------------------- */

typedef struct src_cfg {
    uint32_t batches;     /* per subtask */
    uint32_t rows;        /* per batch */
    bool unbounded;       /* never ends; alternates batches and long idles */
    int64_t wm_cap[4];    /* per subtask: highest watermark it reports (0: none) */
    uint32_t end_after[4]; /* per subtask: 1 + a subtask that must end first (0: none) */
    int sleep_us;         /* per batch: a slow source (subtask 1: 8×) */
} src_cfg;

static src_cfg g_src;
static _Atomic int g_ended[4];

typedef struct tsrc {
    wd_source base;
    const wd_type *schema;
    uint32_t sub;
    uint64_t i;
    int64_t wm;
} tsrc;

static int tsrc_next(wd_source *s, wd_batch **out, int64_t *wait_ns, wd_error *err)
{
    tsrc *t = (tsrc *)s;
    if (!g_src.unbounded && t->i >= g_src.batches) {
        uint32_t gate = g_src.end_after[t->sub & 3];
        if (gate && !atomic_load(&g_ended[gate - 1])) {
            *wait_ns = WD_NS_PER_MS;
            return WD_SRC_IDLE;
        }
        atomic_store(&g_ended[t->sub & 3], 1);
        return WD_SRC_END;
    }
    if (g_src.unbounded && (t->i & 1)) {
        t->i++;
        *wait_ns = 10 * WD_NS_PER_SEC; /* the runtime caps idle sleeps */
        return WD_SRC_IDLE;
    }
    if (g_src.sleep_us) usleep((useconds_t)(g_src.sleep_us * (1 + 7 * (t->sub & 1))));
    uint32_t R = g_src.rows;
    wd_batch *b = wd_batch_new(t->schema, R);
    int64_t *id = b->cols[0].data, *key = b->cols[1].data, *ts = b->cols[2].data;
    for (uint32_t r = 0; r < R; r++) {
        int64_t v = (int64_t)((t->sub * 1000000ull + t->i) * R + r);
        id[r] = v;
        key[r] = v % 13;
        ts[r] = (int64_t)t->i * 1000;
    }
    b->nrows = R;
    wd_batch_seal(b);
    int64_t cap = g_src.wm_cap[t->sub < 4 ? t->sub : 3];
    if (cap) {
        int64_t w = (int64_t)t->i * 100;
        if (w > cap) w = cap;
        if (w > t->wm) t->wm = w;
    }
    t->i++;
    *out = b;
    return WD_SRC_BATCH;
}

static int64_t tsrc_wm(wd_source *s)
{
    tsrc *t = (tsrc *)s;
    return t->wm ? t->wm : INT64_MIN;
}

static uint64_t tsrc_dropped(wd_source *s) { return 0; }
static void tsrc_close(wd_source *s) { wd_free(s); }

/* Checkpoints: the next batch number of each subtask (a global record). */
static int tsrc_snapshot(wd_source *s, wd_snap_out *w, wd_error *err)
{
    tsrc *t = (tsrc *)s;
    int rc = wd_snap_table_begin(w, "pos", WD_SNAP_GLOBAL, err);
    if (rc == 0) wd_snap_put(w, 0, &t->i, sizeof t->i);
    return rc;
}

static int tsrc_restore(wd_source *s, wd_snap_in *r, wd_error *err)
{
    tsrc *t = (tsrc *)s;
    wd_snap_rec rec;
    int rc;
    wd_snap_in_open(r, "pos");
    while ((rc = wd_snap_in_next(r, &rec, err)) == 1) {
        wd_rd d;
        wd_rd_init(&d, rec.data, rec.len);
        uint64_t i = wd_rd_u64(&d);
        if (!wd_rd_done(&d)) return wd_snap_bad_record(r, err);
        if (rec.from_subtask == t->sub) t->i = i;
    }
    return rc;
}

static const wd_source_vt tsrc_vt = {.next = tsrc_next,
                                     .watermark = tsrc_wm,
                                     .dropped = tsrc_dropped,
                                     .snapshot = tsrc_snapshot,
                                     .restore = tsrc_restore,
                                     .close = tsrc_close};

static int tsrc_open(const wd_source_spec *spec, wd_source **out, wd_error *err)
{
    tsrc *t = wd_calloc(1, sizeof *t);
    t->base.vt = &tsrc_vt;
    t->schema = spec->schema;
    t->sub = spec->subtask;
    *out = &t->base;
    return 0;
}

static const wd_connector test_conn = {
    .name = "test",
    .source = true,
    .open_source = tsrc_open,
};

/* ---- recording operator ---------------------------------------------- */

#define MAX_ROWS 200000

typedef struct recorder {
    pthread_mutex_t mu;
    uint32_t n;
    int64_t ids[MAX_ROWS];
    int64_t keys[MAX_ROWS];
    uint32_t subs[MAX_ROWS];
    uint32_t ends;
    uint32_t rows_at_end;
    uint32_t wms;
    int64_t max_wm;
    bool wm_regressed;
    int64_t wm_seen_by_sub[4];
    int sleep_us;         /* per batch: a slow consumer */
    int fail_at;          /* fail on this batch (1-based; 0 = never) */
    bool fail_open;
    uint32_t batches;
    uint32_t ticks;
} recorder;

static recorder *rec_new(void)
{
    recorder *r = wd_calloc(1, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    r->max_wm = INT64_MIN;
    return r;
}

static void rec_free(recorder *r)
{
    pthread_mutex_destroy(&r->mu);
    wd_free(r);
}

static int rec_open(wd_op *op, wd_error *err)
{
    recorder *r = (recorder *)op->node->spec;
    if (r->fail_open) return wd_err(err, WD_EIO, "cannot open the thing");
    op->state = r;
    return 0;
}

static int rec_batch(wd_op *op, uint32_t input, wd_batch *b, wd_error *err)
{
    recorder *r = op->state;
    if (r->sleep_us) usleep((useconds_t)r->sleep_us);
    pthread_mutex_lock(&r->mu);
    uint32_t nb = ++r->batches;
    bool fail = r->fail_at && (int)nb >= r->fail_at;
    const int64_t *id = b->cols[0].data, *key = b->cols[1].data;
    for (uint32_t i = 0; i < b->nrows && r->n < MAX_ROWS; i++) {
        r->ids[r->n] = id[i];
        r->keys[r->n] = key[i];
        r->subs[r->n] = op->subtask;
        r->n++;
    }
    pthread_mutex_unlock(&r->mu);
    if (fail) return wd_err(err, WD_EDATA, "boom at batch %u", nb);
    return wd_op_emit(op, b, err);
}

static int rec_wm(wd_op *op, int64_t wm, wd_error *err)
{
    recorder *r = op->state;
    pthread_mutex_lock(&r->mu);
    r->wms++;
    if (wm <= r->max_wm) r->wm_regressed = true;
    if (wm > r->max_wm) r->max_wm = wm;
    pthread_mutex_unlock(&r->mu);
    return wd_op_emit_watermark(op, wm, err);
}

static int rec_end(wd_op *op, wd_error *err)
{
    recorder *r = op->state;
    pthread_mutex_lock(&r->mu);
    r->ends++;
    r->rows_at_end = r->n;
    pthread_mutex_unlock(&r->mu);
    return 0;
}

static int rec_tick(wd_op *op, int64_t now, wd_error *err)
{
    recorder *r = op->state;
    pthread_mutex_lock(&r->mu);
    r->ticks++;
    pthread_mutex_unlock(&r->mu);
    return 0;
}

static const wd_op_vt rec_vt = {
    .name = "rec",
    .stateless = true, /* what it records lives outside the job */
    .open = rec_open,
    .on_batch = rec_batch,
    .on_watermark = rec_wm,
    .on_end = rec_end,
    .on_tick = rec_tick,
};

/* ---- graph helpers ----------------------------------------------------- */

static const wd_type *test_schema(wd_graph *g)
{
    wd_field f[2] = {{"id", WD_TYPE_INT64, false}, {"key", WD_TYPE_INT64, false}};
    return wd_schema_make(&g->arena, 2, f);
}

static wd_node *add_source(wd_graph *g, uint32_t par)
{
    wd_node *n = wd_graph_add_node(g, WD_N_SOURCE, "source:test");
    n->parallelism = par;
    n->conn = &test_conn;
    n->out_schema = test_schema(g);
    n->label = "rows=test";
    return n;
}

static wd_node *add_rec(wd_graph *g, const char *name, wd_node_kind kind, uint32_t par,
                        recorder *r)
{
    wd_node *n = wd_graph_add_node(g, kind, name);
    n->parallelism = par;
    n->vt = &rec_vt;
    n->spec = r;
    n->ninputs = 1;
    n->out_schema = kind == WD_N_SINK ? NULL : test_schema(g);
    return n;
}

static void set_shuffle_key(wd_graph *g, wd_edge *e)
{
    const wd_expr **k = wd_arena_alloc(&g->arena, sizeof *k);
    k[0] = wd_expr_col(&g->arena, 1, WD_TYPE_INT64);
    e->nkeys = 1;
    e->keys = (const wd_expr *const *)k;
}

static int run_job(wd_graph *g, const wd_job_opts *o, wd_error *err, wd_job_stats *st)
{
    wd_job *j = NULL;
    int rc = wd_job_start(g, o, &j, err);
    if (rc < 0) return rc;
    rc = wd_job_wait(j, err);
    if (st) wd_job_get_stats(j, st);
    wd_job_free(j);
    return rc;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Every expected id exactly once. */
static void check_exactly_once(recorder *r, uint32_t src_par)
{
    uint32_t want = src_par * g_src.batches * g_src.rows;
    assert_int_equal(r->n, want);
    int64_t *ids = wd_malloc(r->n * sizeof *ids);
    memcpy(ids, r->ids, r->n * sizeof *ids);
    qsort(ids, r->n, sizeof *ids, cmp_i64);
    for (uint32_t i = 1; i < r->n; i++) assert_true(ids[i] != ids[i - 1]);
    wd_free(ids);
}

/* Rows with equal keys arrived at one subtask. */
static void check_key_affinity(recorder *r)
{
    int sub_of_key[13];
    for (int k = 0; k < 13; k++) sub_of_key[k] = -1;
    for (uint32_t i = 0; i < r->n; i++) {
        int k = (int)r->keys[i];
        if (sub_of_key[k] < 0) sub_of_key[k] = (int)r->subs[i];
        assert_int_equal(sub_of_key[k], (int)r->subs[i]);
    }
}

static void reset_src(uint32_t batches, uint32_t rows)
{
    memset(&g_src, 0, sizeof g_src);
    for (int i = 0; i < 4; i++) atomic_store(&g_ended[i], 0);
    g_src.batches = batches;
    g_src.rows = rows;
}

/* ---- tests -------------------------------------------------------------- */

static void test_chains_and_explain(void **state)
{
    wd_graph *g = wd_graph_new();
    recorder *r = rec_new();
    wd_node *src = add_source(g, 2);
    wd_node *calc = add_rec(g, "calc", WD_N_CALC, 2, r);
    calc->label = "filter: ($1 > 3)";
    wd_node *agg = add_rec(g, "rec", WD_N__OTHER, 2, r);
    wd_node *sink = add_rec(g, "sink:test", WD_N_SINK, 2, r);
    wd_node *sink2 = add_rec(g, "sink:other", WD_N_SINK, 2, r);
    wd_graph_connect(g, src, calc, 0, WD_E_FORWARD);
    set_shuffle_key(g, wd_graph_connect(g, calc, agg, 0, WD_E_SHUFFLE));
    wd_graph_connect(g, agg, sink, 0, WD_E_FORWARD);
    wd_graph_connect(g, calc, sink2, 0, WD_E_FORWARD);

    const wd_edge *es[4];
    assert_int_equal(wd_graph_out_edges(g, calc->id, es, 4), 2);
    assert_int_equal(wd_graph_in_edges(g, agg->id, es, 4), 1);
    assert_int_equal(es[0]->kind, WD_E_SHUFFLE);
    assert_int_equal(wd_graph_in_edges(g, src->id, es, 4), 0);

    wd_chains cs;
    wd_graph_chains(g, &cs);
    assert_int_equal(cs.n, 3);
    assert_int_equal(cs.chains[0].nnodes, 2); /* source + calc */
    assert_ptr_equal(cs.chains[0].nodes[0], src);
    assert_ptr_equal(cs.chains[0].nodes[1], calc);
    assert_int_equal(cs.chains[1].nnodes, 2); /* rec + sink */
    assert_ptr_equal(cs.chains[1].nodes[0], agg);
    assert_int_equal(cs.chains[2].nnodes, 1); /* calc has two outputs: not fused */
    assert_int_equal(cs.chain_of[sink2->id], 2);
    assert_int_equal(cs.chains[0].parallelism, 2);

    wd_buf b = WD_BUF_INIT;
    wd_graph_explain(g, &b);
    assert_non_null(strstr(b.data, "chain 0 (parallelism 2):"));
    assert_non_null(strstr(b.data, "[0] source:test  rows=test"));
    assert_non_null(strstr(b.data, "[1] calc  filter: ($1 > 3)"));
    assert_non_null(strstr(b.data, "[3] sink:test"));
    assert_non_null(strstr(b.data, "shuffle by $1"));
    assert_non_null(strstr(b.data, "forward"));
    wd_buf_free(&b);

    /* Unequal parallelism is not fused. */
    wd_graph *g2 = wd_graph_new();
    wd_node *s2 = add_source(g2, 2);
    wd_node *k2 = add_rec(g2, "sink", WD_N_SINK, 1, r);
    wd_graph_connect(g2, s2, k2, 0, WD_E_REBALANCE);
    wd_graph_chains(g2, &cs);
    assert_int_equal(cs.n, 2);
    wd_graph_free(g2);
    wd_graph_free(g);
    rec_free(r);
}

static void test_single_chain(void **state)
{
    reset_src(10, 100);
    wd_graph *g = wd_graph_new();
    recorder *r = rec_new();
    wd_node *src = add_source(g, 1);
    wd_node *sink = add_rec(g, "sink:rec", WD_N_SINK, 1, r);
    wd_graph_connect(g, src, sink, 0, WD_E_FORWARD);
    wd_error err = {0};
    wd_job_stats st;
    assert_int_equal(run_job(g, NULL, &err, &st), 0);
    check_exactly_once(r, 1);
    assert_int_equal(r->ends, 1);
    assert_int_equal(r->rows_at_end, 1000);
    assert_int_equal(st.source_rows, 1000);
    assert_int_equal(st.sink_rows, 1000);
    assert_int_equal(st.bad_rows_dropped, 0);
    wd_graph_free(g);
    rec_free(r);
}

/* source(p_up) -shuffle(key)-> rec(p_down) -forward-> sink */
static void shuffle_case(uint32_t p_up, uint32_t p_down, wd_edge_kind kind)
{
    reset_src(20, 97);
    wd_graph *g = wd_graph_new();
    recorder *r = rec_new(), *rs = rec_new();
    wd_node *src = add_source(g, p_up);
    wd_node *mid = add_rec(g, "rec", WD_N__OTHER, p_down, r);
    wd_node *sink = add_rec(g, "sink:rec", WD_N_SINK, p_down, rs);
    wd_edge *e = wd_graph_connect(g, src, mid, 0, kind);
    if (kind == WD_E_SHUFFLE) set_shuffle_key(g, e);
    wd_graph_connect(g, mid, sink, 0, WD_E_FORWARD);
    wd_error err = {0};
    wd_job_stats st;
    wd_job_opts o = {.queue_rows = 1000};
    assert_int_equal(run_job(g, &o, &err, &st), 0);
    uint32_t copies = kind == WD_E_BROADCAST ? p_down : 1;
    if (copies == 1) {
        check_exactly_once(r, p_up);
        check_exactly_once(rs, p_up);
    } else {
        assert_int_equal(r->n, copies * p_up * g_src.batches * g_src.rows);
    }
    if (kind == WD_E_SHUFFLE) check_key_affinity(r);
    assert_int_equal(r->ends, p_down);
    assert_int_equal(rs->ends, p_down);
    assert_int_equal(st.source_rows, p_up * 20 * 97);
    assert_int_equal(st.sink_rows, copies * p_up * 20 * 97);
    wd_graph_free(g);
    rec_free(r);
    rec_free(rs);
}

static void test_shuffle_1_to_2(void **state) { shuffle_case(1, 2, WD_E_SHUFFLE); }
static void test_shuffle_2_to_2(void **state) { shuffle_case(2, 2, WD_E_SHUFFLE); }
static void test_shuffle_2_to_1(void **state) { shuffle_case(2, 1, WD_E_SHUFFLE); }
static void test_shuffle_3_to_4(void **state) { shuffle_case(3, 4, WD_E_SHUFFLE); }
static void test_rebalance_2_to_3(void **state) { shuffle_case(2, 3, WD_E_REBALANCE); }
static void test_broadcast_1_to_3(void **state) { shuffle_case(1, 3, WD_E_BROADCAST); }

/* A forward edge between chains (the source has two outputs, so neither is
 * fused): subtask i sees exactly source subtask i's rows. */
static void test_forward_between_chains(void **state)
{
    reset_src(10, 50);
    wd_graph *g = wd_graph_new();
    recorder *a = rec_new(), *b = rec_new();
    wd_node *src = add_source(g, 2);
    wd_node *na = add_rec(g, "sink:a", WD_N_SINK, 2, a);
    wd_node *nb = add_rec(g, "sink:b", WD_N_SINK, 2, b);
    wd_graph_connect(g, src, na, 0, WD_E_FORWARD);
    wd_graph_connect(g, src, nb, 0, WD_E_FORWARD);
    wd_chains cs;
    wd_graph_chains(g, &cs);
    assert_int_equal(cs.n, 3);
    wd_error err = {0};
    assert_int_equal(run_job(g, NULL, &err, NULL), 0);
    check_exactly_once(a, 2);
    check_exactly_once(b, 2);
    for (uint32_t i = 0; i < a->n; i++)
        assert_int_equal(a->subs[i], (uint32_t)(a->ids[i] / (1000000ll * 50)));
    assert_int_equal(a->ends, 2);
    wd_graph_free(g);
    rec_free(a);
    rec_free(b);
}

/* Source subtask 1's watermark stops at 500 while subtask 0's goes on to
 * 3900 and ends first: the downstream operator never sees more than 500,
 * and its end comes after every row of both. */
static void test_watermark_min(void **state)
{
    reset_src(40, 10);
    g_src.wm_cap[0] = 1000000;
    g_src.wm_cap[1] = 500;
    g_src.end_after[1] = 1;
    wd_graph *g = wd_graph_new();
    recorder *r = rec_new();
    wd_node *src = add_source(g, 2);
    wd_node *sink = add_rec(g, "sink:rec", WD_N_SINK, 1, r);
    set_shuffle_key(g, wd_graph_connect(g, src, sink, 0, WD_E_SHUFFLE));
    wd_error err = {0};
    assert_int_equal(run_job(g, NULL, &err, NULL), 0);
    assert_int_equal(r->max_wm, 500);
    assert_true(r->wms >= 1);
    assert_false(r->wm_regressed);
    assert_int_equal(r->ends, 1);
    assert_int_equal(r->rows_at_end, 2 * 40 * 10);
    wd_graph_free(g);
    rec_free(r);
}

/* Once a channel ends, the minimum is over the channels still live:
 * subtask 1 (capped at 500) ends first, then subtask 0's 3000 shows. */
static void test_watermark_after_channel_end(void **state)
{
    reset_src(40, 10);
    g_src.wm_cap[0] = 3000;
    g_src.wm_cap[1] = 500;
    g_src.end_after[0] = 2;
    wd_graph *g = wd_graph_new();
    recorder *r = rec_new();
    wd_node *src = add_source(g, 2);
    wd_node *sink = add_rec(g, "sink:rec", WD_N_SINK, 1, r);
    set_shuffle_key(g, wd_graph_connect(g, src, sink, 0, WD_E_SHUFFLE));
    wd_error err = {0};
    assert_int_equal(run_job(g, NULL, &err, NULL), 0);
    assert_int_equal(r->max_wm, 3000);
    assert_false(r->wm_regressed);
    wd_graph_free(g);
    rec_free(r);
}

/* A queue of 8 rows, batches of 64, a consumer sleeping 1 ms per batch:
 * everything arrives, nothing deadlocks. */
static void test_backpressure(void **state)
{
    reset_src(50, 64);
    wd_graph *g = wd_graph_new();
    recorder *r = rec_new();
    r->sleep_us = 1000;
    wd_node *src = add_source(g, 2);
    wd_node *sink = add_rec(g, "sink:rec", WD_N_SINK, 2, r);
    set_shuffle_key(g, wd_graph_connect(g, src, sink, 0, WD_E_SHUFFLE));
    wd_error err = {0};
    wd_job_opts o = {.queue_rows = 8};
    assert_int_equal(run_job(g, &o, &err, NULL), 0);
    check_exactly_once(r, 2);
    check_key_affinity(r);
    assert_int_equal(r->ends, 2);
    wd_graph_free(g);
    rec_free(r);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* An operator error fused into the source chain of an unbounded source. */
static void test_error_in_chain(void **state)
{
    reset_src(0, 10);
    g_src.unbounded = true;
    wd_graph *g = wd_graph_new();
    recorder *r = rec_new(), *rs = rec_new();
    r->fail_at = 3;
    wd_node *src = add_source(g, 1);
    wd_node *f = add_rec(g, "failer", WD_N__OTHER, 1, r);
    wd_node *sink = add_rec(g, "sink:rec", WD_N_SINK, 1, rs);
    wd_graph_connect(g, src, f, 0, WD_E_FORWARD);
    wd_graph_connect(g, f, sink, 0, WD_E_FORWARD);
    wd_error err = {0};
    int64_t t0 = now_ms();
    int rc = run_job(g, NULL, &err, NULL);
    assert_int_equal(rc, WD_EDATA);
    assert_int_equal(err.code, WD_EDATA);
    assert_string_equal(err.msg, "failer: boom at batch 3");
    assert_true(now_ms() - t0 < 5000);
    assert_int_equal(rs->ends, 0);
    wd_graph_free(g);
    rec_free(r);
    rec_free(rs);
}

/* An error downstream of a shuffle while upstreams push into small queues
 * (some of them blocked): the job fails with the message and joins. */
static void test_error_across_queue(void **state)
{
    reset_src(0, 64);
    g_src.unbounded = true;
    wd_graph *g = wd_graph_new();
    recorder *r = rec_new();
    r->fail_at = 20;
    r->sleep_us = 500;
    wd_node *src = add_source(g, 3);
    wd_node *f = add_rec(g, "sink:failing", WD_N_SINK, 2, r);
    set_shuffle_key(g, wd_graph_connect(g, src, f, 0, WD_E_SHUFFLE));
    wd_error err = {0};
    wd_job_opts o = {.queue_rows = 16};
    int64_t t0 = now_ms();
    int rc = run_job(g, &o, &err, NULL);
    assert_int_equal(rc, WD_EDATA);
    assert_non_null(strstr(err.msg, "sink:failing: boom at batch"));
    assert_true(now_ms() - t0 < 5000);
    wd_graph_free(g);
    rec_free(r);
}

static void test_open_error(void **state)
{
    reset_src(1, 1);
    wd_graph *g = wd_graph_new();
    recorder *r = rec_new();
    r->fail_open = true;
    wd_node *src = add_source(g, 1);
    wd_node *sink = add_rec(g, "sink:broken", WD_N_SINK, 1, r);
    wd_graph_connect(g, src, sink, 0, WD_E_FORWARD);
    wd_error err = {0};
    wd_job *j = NULL;
    assert_int_equal(wd_job_start(g, NULL, &j, &err), WD_EIO);
    assert_null(j);
    assert_string_equal(err.msg, "sink:broken: cannot open the thing");
    wd_graph_free(g);
    rec_free(r);
}

static void test_bad_forward(void **state)
{
    wd_graph *g = wd_graph_new();
    recorder *r = rec_new();
    wd_node *src = add_source(g, 2);
    wd_node *sink = add_rec(g, "sink:rec", WD_N_SINK, 3, r);
    wd_graph_connect(g, src, sink, 0, WD_E_FORWARD);
    wd_error err = {0};
    wd_job *j = NULL;
    assert_int_equal(wd_job_start(g, NULL, &j, &err), WD_EPLAN);
    assert_non_null(strstr(err.msg, "forward edge"));
    wd_graph_free(g);
    rec_free(r);
}

/* Cancel stops a job with an unbounded source (idle sleeps of 10 s) and a
 * slow downstream behind a shuffle promptly. */
static void test_cancel(void **state)
{
    reset_src(0, 32);
    g_src.unbounded = true;
    wd_graph *g = wd_graph_new();
    recorder *r = rec_new(), *r2 = rec_new();
    r2->sleep_us = 2000;
    wd_node *src = add_source(g, 2);
    wd_node *sink = add_rec(g, "sink:rec", WD_N_SINK, 2, r);
    wd_node *slow = add_rec(g, "sink:slow", WD_N_SINK, 1, r2);
    wd_graph_connect(g, src, sink, 0, WD_E_FORWARD);
    wd_graph_connect(g, src, slow, 0, WD_E_REBALANCE);
    wd_job *j = NULL;
    wd_error err = {0};
    wd_job_opts o = {.queue_rows = 64};
    assert_int_equal(wd_job_start(g, &o, &j, &err), 0);
    usleep(200 * 1000);
    wd_job_stats st;
    wd_job_get_stats(j, &st);
    assert_true(st.source_rows > 0);
    int64_t t0 = now_ms();
    wd_job_cancel(j);
    assert_int_equal(wd_job_wait(j, &err), WD_ESTOPPED);
    assert_true(now_ms() - t0 < 1000);
    assert_int_equal(r->ends, 0); /* no on_end after cancel */
    assert_true(r->ticks > 0);    /* on_tick ran while idle */
    wd_job_free(j);
    wd_graph_free(g);
    rec_free(r);
    rec_free(r2);
}

/* Freeing a running job cancels and joins it. */
static void test_free_running(void **state)
{
    reset_src(0, 16);
    g_src.unbounded = true;
    wd_graph *g = wd_graph_new();
    recorder *r = rec_new();
    wd_node *src = add_source(g, 1);
    wd_node *sink = add_rec(g, "sink:rec", WD_N_SINK, 2, r);
    set_shuffle_key(g, wd_graph_connect(g, src, sink, 0, WD_E_SHUFFLE));
    wd_job *j = NULL;
    wd_error err = {0};
    assert_int_equal(wd_job_start(g, NULL, &j, &err), 0);
    usleep(50 * 1000);
    wd_job_free(j);
    wd_graph_free(g);
    rec_free(r);
}

/* ---- checkpoints ------------------------------------------------------------ */

/* A keyed counter: rows per key (13 keys), checkpointed as keyed records;
 * at the end of input it adds its counts to g_counts. */
static _Atomic uint64_t g_counts[13];

typedef struct counter {
    uint64_t n[13];
    uint32_t kh[13];
} counter;

static int cnt_open(wd_op *op, wd_error *err)
{
    op->state = wd_calloc(1, sizeof(counter));
    return op->state ? 0 : WD_ENOMEM;
}

static int cnt_batch(wd_op *op, uint32_t input, wd_batch *b, wd_error *err)
{
    counter *c = op->state;
    uint64_t h[4096];
    assert_true(b->nrows <= 4096);
    wd_hash_rows(&b->cols[1], 1, b->nrows, h);
    const int64_t *key = b->cols[1].data;
    for (uint32_t i = 0; i < b->nrows; i++) {
        c->n[key[i]]++;
        c->kh[key[i]] = (uint32_t)(h[i] >> 32);
        /* the shuffle sent the key here */
        assert_int_equal(wd_hash_partition(h[i], op->parallelism), op->subtask);
    }
    return wd_op_emit(op, b, err);
}

static int cnt_end(wd_op *op, wd_error *err)
{
    counter *c = op->state;
    for (int k = 0; k < 13; k++) atomic_fetch_add(&g_counts[k], c->n[k]);
    return 0;
}

static int cnt_snapshot(wd_op *op, wd_snap_out *w, wd_error *err)
{
    counter *c = op->state;
    int rc = wd_snap_table_begin(w, "counts", WD_SNAP_KEYED, err);
    for (int64_t k = 0; k < 13 && rc == 0; k++) {
        if (!c->n[k]) continue;
        wd_buf *b = wd_snap_rec_begin(w, c->kh[k]);
        wd_snap_put_i64(b, k);
        wd_snap_put_u64(b, c->n[k]);
        wd_snap_rec_end(w);
    }
    return rc;
}

static int cnt_restore(wd_op *op, wd_snap_in *r, wd_error *err)
{
    counter *c = op->state;
    wd_snap_rec rec;
    int rc;
    wd_snap_in_open(r, "counts");
    while ((rc = wd_snap_in_next(r, &rec, err)) == 1) {
        wd_rd d;
        wd_rd_init(&d, rec.data, rec.len);
        int64_t k = wd_rd_i64(&d);
        uint64_t n = wd_rd_u64(&d);
        if (!wd_rd_done(&d) || k < 0 || k >= 13) return wd_snap_bad_record(r, err);
        c->n[k] += n;
        c->kh[k] = rec.khash;
    }
    return rc;
}

static void cnt_close(wd_op *op) { wd_free(op->state); }

static const wd_op_vt cnt_vt = {
    .name = "count",
    .open = cnt_open,
    .on_batch = cnt_batch,
    .on_end = cnt_end,
    .snapshot = cnt_snapshot,
    .restore = cnt_restore,
    .close = cnt_close,
};

/* source(2) -shuffle(key)-> count(p) -forward-> sink */
static wd_graph *ckpt_graph(uint32_t p, recorder *rs)
{
    wd_graph *g = wd_graph_new();
    wd_node *src = add_source(g, 2);
    wd_node *cnt = wd_graph_add_node(g, WD_N__OTHER, "count");
    cnt->parallelism = p;
    cnt->vt = &cnt_vt;
    cnt->ninputs = 1;
    cnt->out_schema = test_schema(g);
    wd_node *sink = add_rec(g, "sink:rec", WD_N_SINK, p, rs);
    set_shuffle_key(g, wd_graph_connect(g, src, cnt, 0, WD_E_SHUFFLE));
    wd_graph_connect(g, cnt, sink, 0, WD_E_FORWARD);
    return g;
}

/*
 * Crash (cancel without a checkpoint) after some periodic checkpoints,
 * resume; stop with a final checkpoint part way, resume at another
 * parallelism and run to the end: the counts equal those of one
 * uninterrupted run (every row counted exactly once) — which needs the
 * barriers of the fast and the slow source subtask aligned.  A last run
 * of the finished job adds nothing.
 */
static void test_checkpoint_stop_resume(void **state)
{
    char dir[] = "/tmp/wadi-rt-XXXXXX";
    assert_non_null(mkdtemp(dir));
    wd_store *st = NULL;
    wd_error err = {0};
    assert_int_equal(wd_store_open(dir, &st, &err), 0);
    reset_src(200, 50);
    g_src.sleep_us = 1000;
    for (int k = 0; k < 13; k++) atomic_store(&g_counts[k], 0);
    wd_job_opts o = {.queue_rows = 256, .store = st, .query = "q",
                     .checkpoint_interval_ns = 10 * WD_NS_PER_MS};

    /* runs 0-2: p = 2, each "crashes" after some checkpoints */
    recorder *rs;
    wd_graph *g;
    wd_job *j = NULL;
    for (int run = 0; run < 3; run++) {
        rs = rec_new();
        g = ckpt_graph(2, rs);
        assert_int_equal(wd_job_start(g, &o, &j, &err), 0);
        if (run > 0) assert_true(wd_job_restored_epoch(j, NULL) > 0);
        usleep(50 * 1000);
        wd_job_cancel(j);
        assert_int_equal(wd_job_wait(j, &err), WD_ESTOPPED);
        wd_job_free(j);
        wd_graph_free(g);
        rec_free(rs);
    }

    /* run 3: p = 2, resumes, then stopped after a while */
    rs = rec_new();
    g = ckpt_graph(2, rs);
    assert_int_equal(wd_job_start(g, &o, &j, &err), 0);
    assert_true(wd_job_restored_epoch(j, NULL) > 0);
    usleep(40 * 1000);
    assert_int_equal(wd_job_stop_checkpoint(j, 10 * WD_NS_PER_SEC, &err), 0);
    assert_int_equal(wd_job_wait(j, &err), WD_ESTOPPED);
    wd_job_free(j);
    wd_graph_free(g);
    uint32_t first = rs->n;
    rec_free(rs);
    assert_true(first > 0);
    for (int k = 0; k < 13; k++) assert_int_equal(atomic_load(&g_counts[k]), 0);

    /* run 2: p = 3, from the checkpoint to the end */
    rs = rec_new();
    g = ckpt_graph(3, rs);
    j = NULL;
    assert_int_equal(wd_job_start(g, &o, &j, &err), 0);
    bool finished = true;
    assert_true(wd_job_restored_epoch(j, &finished) > 0);
    assert_false(finished);
    assert_int_equal(wd_job_wait(j, &err), 0);
    wd_job_free(j);
    wd_graph_free(g);
    assert_true(rs->n > 0);
    rec_free(rs);
    uint64_t want[13] = {0}, total = 0;
    for (uint32_t sub = 0; sub < 2; sub++)
        for (uint64_t i = 0; i < 200; i++)
            for (uint32_t r = 0; r < 50; r++) want[((sub * 1000000ull + i) * 50 + r) % 13]++;
    for (int k = 0; k < 13; k++) {
        assert_int_equal(atomic_load(&g_counts[k]), want[k]);
        total += want[k];
    }
    assert_int_equal(total, 2 * 200 * 50);

    /* run 3: the job had finished: nothing new, the same final state */
    for (int k = 0; k < 13; k++) atomic_store(&g_counts[k], 0);
    rs = rec_new();
    g = ckpt_graph(1, rs);
    assert_int_equal(wd_job_start(g, &o, &j, &err), 0);
    assert_true(wd_job_restored_epoch(j, &finished) > 0);
    assert_true(finished);
    assert_int_equal(wd_job_wait(j, &err), 0);
    wd_job_free(j);
    wd_graph_free(g);
    assert_int_equal(rs->n, 0);
    rec_free(rs);
    for (int k = 0; k < 13; k++) assert_int_equal(atomic_load(&g_counts[k]), want[k]);

    /* an operator with state but no snapshot: a checkpointed job is refused */
    static const wd_op_vt nosnap_vt = {.name = "nosnap", .open = cnt_open, .on_batch = cnt_batch,
                                       .close = cnt_close};
    rs = rec_new();
    g = ckpt_graph(1, rs);
    g->nodes[1]->vt = &nosnap_vt;
    wd_err_clear(&err);
    assert_int_equal(wd_job_start(g, &o, &j, &err), WD_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "cannot be checkpointed"));
    wd_graph_free(g);
    rec_free(rs);

    /* another query's state is refused */
    o.query = "other";
    rs = rec_new();
    g = ckpt_graph(1, rs);
    wd_err_clear(&err);
    assert_int_equal(wd_job_start(g, &o, &j, &err), WD_EINVALID);
    assert_non_null(strstr(err.msg, "another query"));
    wd_graph_free(g);
    rec_free(rs);
    wd_store_close(st);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* ---- hashing ------------------------------------------------------------- */

static void test_hash(void **state)
{
    wd_arena a;
    wd_arena_init(&a, 0);
    wd_col c32, c64, cf, ct, ct2, cn, cc;
    wd_col_init(&c32, WD_TYPE_INT32, 4, &a);
    wd_col_init(&c64, WD_TYPE_INT64, 4, &a);
    for (int i = 0; i < 4; i++) {
        ((int32_t *)c32.data)[i] = i - 1;
        ((int64_t *)c64.data)[i] = i - 1;
    }
    c32.len = c64.len = 4;
    uint64_t h1[4], h2[4], h3[4];
    wd_hash_rows(&c32, 1, 4, h1);
    wd_hash_rows(&c64, 1, 4, h2);
    assert_memory_equal(h1, h2, sizeof h1);
    assert_true(h1[0] != h1[1] && h1[1] != h1[2]);

    wd_col_init(&cf, WD_TYPE_FLOAT64, 2, &a);
    ((double *)cf.data)[0] = 0.0;
    ((double *)cf.data)[1] = -0.0;
    cf.len = 2;
    wd_hash_rows(&cf, 1, 2, h1);
    assert_true(h1[0] == h1[1]);

    char s1[] = "hello", s2[] = "hello";
    wd_col_init(&ct, WD_TYPE_TEXT, 2, &a);
    wd_col_init(&ct2, WD_TYPE_TEXT, 2, &a);
    ((wd_str *)ct.data)[0] = wd_str_make(s1, 5);
    ((wd_str *)ct.data)[1] = wd_str_make(s1, 4);
    ((wd_str *)ct2.data)[0] = wd_str_make(s2, 5);
    ((wd_str *)ct2.data)[1] = wd_str_make(s2, 4);
    ct.len = ct2.len = 2;
    wd_hash_rows(&ct, 1, 2, h1);
    wd_hash_rows(&ct2, 1, 2, h2);
    assert_memory_equal(h1, h2, 2 * sizeof *h1);
    assert_true(h1[0] != h1[1]);

    /* NULLs hash equal whatever the type; multi-column combines. */
    wd_col_init(&cn, WD_TYPE_INT64, 2, &a);
    cn.len = 2;
    wd_col_set_null(&cn, 0, &a);
    wd_col_set_null(&cn, 1, &a);
    wd_col_set_null(&ct, 0, &a);
    wd_hash_rows(&cn, 1, 2, h1);
    wd_hash_rows(&ct, 1, 1, h2);
    assert_true(h1[0] == h1[1] && h1[0] == h2[0]);

    wd_col two[2] = {c64, c32};
    wd_hash_rows(two, 2, 4, h3);
    wd_hash_rows(&c64, 1, 4, h2);
    assert_true(h3[0] != h2[0]);
    wd_col two_b[2] = {c32, c64};
    wd_hash_rows(two_b, 2, 4, h1);
    assert_memory_equal(h1, h3, sizeof h3);

    /* A constant column hashes like its expanded value. */
    wd_col_init(&cc, WD_TYPE_INT64, 1, &a);
    ((int64_t *)cc.data)[0] = 1;
    cc.len = 3;
    cc.flags = WD_COL_CONST;
    wd_hash_rows(&cc, 1, 3, h1);
    wd_hash_rows(&c64, 1, 4, h2);
    assert_true(h1[0] == h2[2] && h1[1] == h2[2] && h1[2] == h2[2]);

    /* Stable: a fixed value has a fixed partition spread. */
    uint32_t cnt[4] = {0};
    wd_col big;
    wd_col_init(&big, WD_TYPE_INT64, 4000, &a);
    for (int i = 0; i < 4000; i++) ((int64_t *)big.data)[i] = i;
    big.len = 4000;
    uint64_t *hb = wd_malloc(4000 * sizeof *hb);
    wd_hash_rows(&big, 1, 4000, hb);
    for (int i = 0; i < 4000; i++) cnt[wd_hash_partition(hb[i], 4)]++;
    for (int p = 0; p < 4; p++) assert_true(cnt[p] > 800 && cnt[p] < 1200);
    wd_free(hb);
    wd_arena_free(&a);
}

/* ---- the queue ---------------------------------------------------------- */

static wd_batch *rows_batch(const wd_type *schema, uint32_t n)
{
    wd_batch *b = wd_batch_new(schema, n ? n : 1);
    b->nrows = n;
    wd_batch_seal(b);
    return b;
}

typedef struct pusher {
    wd_queue *q;
    wd_msg m;
    int rc;
    _Atomic int done;
} pusher;

static void *push_thread(void *arg)
{
    pusher *p = arg;
    p->rc = wd_queue_push(p->q, &p->m);
    atomic_store(&p->done, 1);
    return NULL;
}

static void test_queue(void **state)
{
    wd_arena a;
    wd_arena_init(&a, 0);
    wd_field f[1] = {{"x", WD_TYPE_INT64, false}};
    const wd_type *schema = wd_schema_make(&a, 1, f);
    wd_queue q;
    assert_int_equal(wd_queue_init(&q, 10, NULL), 0);
    wd_msg m, got;

    /* pop on an empty queue times out */
    assert_int_equal(wd_queue_pop(&q, &got, 10 * WD_NS_PER_MS), 0);

    /* a message bigger than the capacity goes into an empty queue */
    m = (wd_msg){.kind = WD_MSG_BATCH, .batch = rows_batch(schema, 25)};
    assert_int_equal(wd_queue_push(&q, &m), 0);
    assert_int_equal(wd_queue_rows(&q), 25);
    /* … and the next one waits until it is taken */
    pusher p = {.q = &q, .m = {.kind = WD_MSG_BATCH, .batch = rows_batch(schema, 4)}};
    pthread_t th;
    pthread_create(&th, NULL, push_thread, &p);
    usleep(100 * 1000);
    assert_int_equal(atomic_load(&p.done), 0);
    assert_int_equal(wd_queue_pop(&q, &got, WD_NS_PER_SEC), 1);
    assert_int_equal(got.batch->nrows, 25);
    wd_batch_release(got.batch);
    pthread_join(th, NULL);
    assert_int_equal(p.rc, 0);
    assert_int_equal(q.pushes_blocked, 1);

    /* control messages count one row each and keep their order */
    for (int i = 0; i < 6; i++) {
        m = (wd_msg){.kind = WD_MSG_WATERMARK, .wm = i, .channel = 3};
        assert_int_equal(wd_queue_push(&q, &m), 0);
    }
    assert_int_equal(wd_queue_rows(&q), 10);
    assert_int_equal(wd_queue_pop(&q, &got, 0), 1);
    assert_int_equal(got.kind, WD_MSG_BATCH);
    wd_batch_release(got.batch);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(wd_queue_pop(&q, &got, 0), 1);
        assert_int_equal(got.kind, WD_MSG_WATERMARK);
        assert_int_equal(got.wm, i);
        assert_int_equal(got.channel, 3);
    }

    /* the ring grows past its initial slots */
    wd_queue big;
    assert_int_equal(wd_queue_init(&big, 1000, NULL), 0);
    for (int i = 0; i < 300; i++) {
        m = (wd_msg){.kind = WD_MSG_END, .channel = (uint32_t)i};
        assert_int_equal(wd_queue_push(&big, &m), 0);
    }
    for (int i = 0; i < 300; i++) {
        assert_int_equal(wd_queue_pop(&big, &got, 0), 1);
        assert_int_equal(got.channel, (uint32_t)i);
    }
    /* queued batches are released on destroy */
    m = (wd_msg){.kind = WD_MSG_BATCH, .batch = rows_batch(schema, 3)};
    assert_int_equal(wd_queue_push(&big, &m), 0);
    wd_queue_destroy(&big);

    /* cancel wakes a blocked push, which then reports WD_ESTOPPED */
    m = (wd_msg){.kind = WD_MSG_BATCH, .batch = rows_batch(schema, 10)};
    assert_int_equal(wd_queue_push(&q, &m), 0);
    pusher p2 = {.q = &q, .m = {.kind = WD_MSG_BARRIER, .epoch = 7}};
    pthread_create(&th, NULL, push_thread, &p2);
    usleep(50 * 1000);
    assert_int_equal(atomic_load(&p2.done), 0);
    int64_t t0 = now_ms();
    wd_queue_cancel(&q);
    pthread_join(th, NULL);
    assert_true(now_ms() - t0 < 500);
    assert_int_equal(p2.rc, WD_ESTOPPED);
    assert_int_equal(wd_queue_pop(&q, &got, WD_NS_PER_SEC), WD_ESTOPPED);
    wd_queue_destroy(&q);

    /* an external stop flag is noticed without a wake-up */
    _Atomic bool stop = false;
    assert_int_equal(wd_queue_init(&q, 10, &stop), 0);
    atomic_store(&stop, true);
    t0 = now_ms();
    assert_int_equal(wd_queue_pop(&q, &got, 10 * WD_NS_PER_SEC), WD_ESTOPPED);
    assert_true(now_ms() - t0 < 500);
    wd_queue_destroy(&q);
    wd_arena_free(&a);
}

int main(void)
{
    alarm(120); /* a hang is a failure */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chains_and_explain),
        cmocka_unit_test(test_single_chain),
        cmocka_unit_test(test_shuffle_1_to_2),
        cmocka_unit_test(test_shuffle_2_to_2),
        cmocka_unit_test(test_shuffle_2_to_1),
        cmocka_unit_test(test_shuffle_3_to_4),
        cmocka_unit_test(test_rebalance_2_to_3),
        cmocka_unit_test(test_broadcast_1_to_3),
        cmocka_unit_test(test_forward_between_chains),
        cmocka_unit_test(test_watermark_min),
        cmocka_unit_test(test_watermark_after_channel_end),
        cmocka_unit_test(test_backpressure),
        cmocka_unit_test(test_error_in_chain),
        cmocka_unit_test(test_error_across_queue),
        cmocka_unit_test(test_open_error),
        cmocka_unit_test(test_bad_forward),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_free_running),
        cmocka_unit_test(test_checkpoint_stop_resume),
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_queue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
