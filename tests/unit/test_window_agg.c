/*
 * test_window_agg.c — the aggregate operator (ops/aggregate.h) driven
 * directly: a plan node with a spec, an operator instance whose output
 * callbacks capture the rows, and batches / watermarks / ticks / end pushed
 * by hand.
 *
 * Tumble: keys and windows, out-of-order rows within the watermark, late
 * rows dropped and counted, no rows for empty windows, negative times,
 * end of input.  Hop: compared with a brute-force reference on random data
 * (count/sum/min/max/avg, several widths and slides, with and without
 * keys); slide == width equals tumble.  Session: bridged sessions merge;
 * random data against a reference.  Updating: retraction pairs, a group
 * emptied by retractions, flushing only on tick / end, TTL.  Key tables
 * rebuilt when dead keys pile up; times at the ends of the int64 range.
 * A micro benchmark (printed, not asserted) runs with WD_BENCH=1 (or
 * WD_BENCH=text: only the runs whose name contains text).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agg/agg.h"
#include "batch/batch.h"
#include "common/alloc.h"
#include "ops/aggregate.h"
#include "ops/op.h"
#include "plan/graph.h"

/* ---- harness ------------------------------------------------------------------------ */

enum { A_COUNT, A_SUM, A_MIN, A_MAX, A_AVG, A_DCNT, A_N };
/* A_DCNT is count(DISTINCT v): out-of-line state in the aggregate arenas */
static const char *const agg_names[A_N] = {"count", "sum", "min", "max", "avg", "count"};

/* One captured output row. */
typedef struct orow {
    int64_t key;
    bool key_null;
    int64_t ws, we, ts;
    bool retract;
    double v[A_N];
    bool null[A_N];
} orow;

typedef struct harness {
    wd_arena arena;
    wd_node node;
    const wd_type *in_schema;
    const wd_type *in_schemas[1];
    wd_aggregate_spec spec;
    wd_agg_spec aggs[A_N];
    int aidx[A_N];          /* column of each aggregate kind in the output, -1 absent */
    uint32_t naggs;
    wd_op op;
    orow *rows;
    uint32_t nrows, caprows;
    uint32_t batches;
    int64_t last_wm;
    uint32_t wms, ends;
    bool order_ok;          /* watermark never precedes rows stamped at or before it */
    bool capture;           /* false: count rows only (benchmarks) */
    uint64_t out_rows;
} harness;

/* Benchmarks leave count(DISTINCT) out: its merges copy value sets. */
static bool g_plain_aggs;

static double read_num(const wd_col *c, uint32_t r)
{
    switch (c->type->id) {
    case WD_T_INT64: return (double)((const int64_t *)c->data)[r];
    case WD_T_INT32: return ((const int32_t *)c->data)[r];
    case WD_T_FLOAT64: return ((const double *)c->data)[r];
    case WD_T_DECIMAL: {
        wd_i128 v;
        memcpy(&v, (const char *)c->data + (size_t)r * 16, 16);
        return (double)v / pow(10, c->type->scale);
    }
    default: fail_msg("unexpected result type %d", (int)c->type->id); return 0;
    }
}

static int cap_batch(void *ctx, wd_batch *b, wd_error *err)
{
    harness *h = ctx;
    h->batches++;
    h->out_rows += b->nrows;
    assert_true(b->nrows <= WD_BATCH_ROWS);
    if (!h->capture) return 0;
    bool windowed = h->spec.win != WD_WIN_NONE;
    uint32_t base = h->spec.nkeys + (windowed ? 1 : 0);
    const int64_t *ts = wd_batch_ts(b);
    for (uint32_t i = 0; i < b->nrows; i++) {
        if (h->nrows == h->caprows) {
            h->caprows = h->caprows ? h->caprows * 2 : 1024;
            h->rows = realloc(h->rows, sizeof(orow) * h->caprows);
        }
        orow *o = &h->rows[h->nrows++];
        memset(o, 0, sizeof *o);
        if (h->spec.nkeys) {
            o->key_null = !wd_col_valid(&b->cols[0], i);
            if (!o->key_null) o->key = ((const int64_t *)b->cols[0].data)[i];
        }
        if (windowed) {
            const wd_col *w = &b->cols[h->spec.nkeys];
            o->ws = ((const int64_t *)w->child[0].data)[i];
            o->we = ((const int64_t *)w->child[1].data)[i];
            assert_int_equal(ts[i], o->we - 1);
            /* rows come before the watermark that fires them */
            if (h->last_wm != INT64_MIN && ts[i] <= h->last_wm) h->order_ok = false;
        }
        o->ts = ts[i];
        o->retract = b->retract && b->retract[i];
        for (int a = 0; a < A_N; a++) {
            if (h->aidx[a] < 0) continue;
            const wd_col *c = &b->cols[base + (uint32_t)h->aidx[a]];
            o->null[a] = !wd_col_valid(c, i);
            if (!o->null[a]) o->v[a] = read_num(c, i);
        }
    }
    return 0;
}

static int cap_wm(void *ctx, int64_t wm, wd_error *err)
{
    harness *h = ctx;
    assert_true(wm > h->last_wm || h->last_wm == INT64_MIN);
    h->last_wm = wm;
    h->wms++;
    return 0;
}

static int cap_end(void *ctx, wd_error *err)
{
    harness *h = ctx;
    h->ends++;
    return 0;
}

/*
 * A harness over input (k BIGINT [, v BIGINT], _timestamp) grouping by k
 * when nkeys is 1 (none when 0), computing count(*), sum(v), min(v),
 * max(v), avg(v), count(DISTINCT v).
 */
static harness *h_new(wd_win_kind win, uint32_t nkeys, int64_t width, int64_t slide, int64_t gap)
{
    harness *h = calloc(1, sizeof *h);
    wd_arena_init(&h->arena, 0);
    wd_field in_f[2] = {{"k", WD_TYPE_INT64, true}, {"v", WD_TYPE_INT64, true}};
    h->in_schema = wd_schema_make(&h->arena, 2, in_f);
    h->in_schemas[0] = h->in_schema;
    wd_field out_f[2 + A_N];
    uint32_t nf = 0;
    if (nkeys) out_f[nf++] = (wd_field){"k", WD_TYPE_INT64, true};
    if (win != WD_WIN_NONE) out_f[nf++] = (wd_field){"window", wd_window_type(), false};
    for (int a = 0; a < A_N; a++) {
        h->aidx[a] = -1;
        if (g_plain_aggs && a == A_DCNT) continue;
        const wd_agg_fn *fn = wd_agg_find(agg_names[a]);
        assert_non_null(fn);
        wd_agg_spec *s = &h->aggs[h->naggs];
        memset(s, 0, sizeof *s);
        s->fn = fn;
        s->arg_type = a == A_COUNT ? NULL : WD_TYPE_INT64;
        s->arg_col = a == A_COUNT ? -1 : 1;
        s->distinct = a == A_DCNT;
        s->arg2_col = -1;
        s->filter_col = -1;
        wd_error err = {0};
        s->ret = fn->resolve(&h->arena, s->arg_type, &err);
        assert_non_null(s->ret);
        h->aidx[a] = (int)h->naggs;
        out_f[nf++] = (wd_field){agg_names[a], s->ret, true};
        h->naggs++;
    }
    wd_agg_layout(h->aggs, h->naggs);
    h->spec = (wd_aggregate_spec){.win = win, .width_ns = width, .slide_ns = slide, .gap_ns = gap,
                                  .nkeys = nkeys, .naggs = h->naggs, .aggs = h->aggs};
    h->node.kind = WD_N__OTHER;
    h->node.name = "aggregate";
    h->node.parallelism = 1;
    h->node.ninputs = 1;
    h->node.in_schemas = h->in_schemas;
    h->node.out_schema = wd_schema_make(&h->arena, nf, out_f);
    h->node.vt = &wd_op_aggregate_vt;
    h->node.spec = &h->spec;
    h->node.updating = win == WD_WIN_NONE;
    h->op.vt = &wd_op_aggregate_vt;
    h->op.node = &h->node;
    h->op.parallelism = 1;
    h->op.watermark = INT64_MIN;
    h->op.out = (wd_op_out){.batch = cap_batch, .watermark = cap_wm, .end = cap_end, .ctx = h};
    h->last_wm = INT64_MIN;
    h->order_ok = true;
    h->capture = true;
    return h;
}

static void h_open(harness *h)
{
    wd_error err = {0};
    assert_int_equal(h->op.vt->open(&h->op, &err), 0);
}

static void h_free(harness *h)
{
    h->op.vt->close(&h->op);
    wd_arena_free(&h->arena);
    free(h->rows);
    free(h);
}

/* Push rows (k, v, ts); knull/vnull/retract may be NULL. */
static void h_push(harness *h, uint32_t n, const int64_t *k, const bool *knull, const int64_t *v,
                   const bool *vnull, const int64_t *ts, const bool *retract)
{
    wd_batch *b = wd_batch_new(h->in_schema, n ? n : 1);
    int64_t *kc = b->cols[0].data, *vc = b->cols[1].data, *tc = b->cols[2].data;
    for (uint32_t i = 0; i < n; i++) {
        kc[i] = k ? k[i] : 0;
        if (knull && knull[i]) wd_col_set_null(&b->cols[0], i, &b->arena);
        vc[i] = v ? v[i] : 0;
        if (vnull && vnull[i]) wd_col_set_null(&b->cols[1], i, &b->arena);
        tc[i] = ts[i];
    }
    if (retract) {
        b->retract = wd_batch_alloc(b, n ? n : 1);
        for (uint32_t i = 0; i < n; i++) b->retract[i] = retract[i];
    }
    b->nrows = n;
    wd_batch_seal(b);
    wd_error err = {0};
    assert_int_equal(wd_op_push_batch(&h->op, 0, b, &err), 0);
    wd_batch_release(b);
}

static void h_wm(harness *h, int64_t wm)
{
    wd_error err = {0};
    assert_int_equal(wd_op_push_watermark(&h->op, wm, &err), 0);
}

static void h_end(harness *h)
{
    wd_error err = {0};
    assert_int_equal(wd_op_push_end(&h->op, &err), 0);
}

static void h_tick(harness *h, int64_t now)
{
    wd_error err = {0};
    assert_int_equal(h->op.vt->on_tick(&h->op, now, &err), 0);
}

static int cmp_orow(const void *a, const void *b)
{
    const orow *x = a, *y = b;
    if (x->key_null != y->key_null) return x->key_null ? -1 : 1;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    if (x->ws != y->ws) return x->ws < y->ws ? -1 : 1;
    if (x->retract != y->retract) return x->retract ? -1 : 1;
    return 0;
}

static const orow *find_row(const harness *h, int64_t key, int64_t ws)
{
    for (uint32_t i = 0; i < h->nrows; i++)
        if (!h->rows[i].key_null && h->rows[i].key == key && h->rows[i].ws == ws) return &h->rows[i];
    return NULL;
}

static bool close_to(double a, double b) { return fabs(a - b) <= 1e-9 * (fabs(a) + fabs(b) + 1); }

/* ---- tumble ---------------------------------------------------------------------------- */

static void test_tumble_basic(void **state)
{
    harness *h = h_new(WD_WIN_TUMBLE, 1, 10, 0, 0);
    h_open(h);
    /* window [0,10): key 1 rows 5 then 1 (out of order), key 2 row 3;
     * window [10,20): key 1 row 12; window [30,40): key 2 row 31 */
    int64_t k[] = {1, 2, 1, 1, 2}, v[] = {50, 7, 10, 4, 9}, ts[] = {5, 3, 12, 1, 31};
    h_push(h, 5, k, NULL, v, NULL, ts, NULL);
    assert_int_equal(h->nrows, 0);
    h_wm(h, 8); /* nothing ends at or before 8 */
    assert_int_equal(h->nrows, 0);
    assert_int_equal(h->last_wm, 8);
    h_wm(h, 9); /* [0,10) fires: end - 1 = 9 */
    assert_int_equal(h->nrows, 2);
    assert_int_equal(h->last_wm, 9);
    const orow *r = find_row(h, 1, 0);
    assert_non_null(r);
    assert_int_equal(r->we, 10);
    assert_int_equal(r->ts, 9);
    assert_true(r->v[A_COUNT] == 2 && r->v[A_SUM] == 54);
    if (h->aidx[A_MIN] >= 0) assert_true(r->v[A_MIN] == 4 && r->v[A_MAX] == 50);
    assert_true(close_to(r->v[A_AVG], 27));
    r = find_row(h, 2, 0);
    assert_true(r && r->v[A_COUNT] == 1 && r->v[A_SUM] == 7);
    /* [20,30) has no rows: nothing for it */
    h_wm(h, 35);
    assert_int_equal(h->nrows, 3);
    r = find_row(h, 1, 10);
    assert_true(r && r->v[A_COUNT] == 1 && r->v[A_SUM] == 10);
    assert_null(find_row(h, 1, 20));
    assert_null(find_row(h, 2, 20));
    h_end(h);
    assert_int_equal(h->nrows, 4);
    r = find_row(h, 2, 30);
    assert_true(r && r->we == 40 && r->ts == 39 && r->v[A_SUM] == 9);
    assert_int_equal(h->ends, 1);
    assert_true(h->order_ok);
    assert_int_equal(atomic_load(&h->op.metrics.late_dropped), 0);
    h_free(h);
}

static void test_tumble_late(void **state)
{
    harness *h = h_new(WD_WIN_TUMBLE, 1, 10, 0, 0);
    h_open(h);
    int64_t k[] = {1, 1, 1}, v[] = {1, 2, 3}, ts[] = {2, 12, 15};
    h_push(h, 3, k, NULL, v, NULL, ts, NULL);
    h_wm(h, 12);
    assert_int_equal(h->nrows, 1); /* [0,10) */
    /* 7: its window fired → late; 11: <= watermark but [10,20) is open → kept;
     * 9 and 0: late */
    int64_t k2[] = {1, 1, 1, 1}, v2[] = {100, 200, 300, 400}, ts2[] = {7, 11, 9, 0};
    h_push(h, 4, k2, NULL, v2, NULL, ts2, NULL);
    assert_int_equal(atomic_load(&h->op.metrics.late_dropped), 3);
    h_end(h);
    assert_int_equal(h->nrows, 2);
    const orow *r = find_row(h, 1, 0);
    assert_true(r->v[A_COUNT] == 1 && r->v[A_SUM] == 1);
    r = find_row(h, 1, 10);
    assert_true(r->v[A_COUNT] == 3 && r->v[A_SUM] == 205);
    h_free(h);
}

static void test_tumble_negative(void **state)
{
    harness *h = h_new(WD_WIN_TUMBLE, 0, 10, 0, 0);
    h_open(h);
    int64_t v[] = {1, 2, 3, 4, 5}, ts[] = {-1, -10, -11, 0, -20};
    h_push(h, 5, NULL, NULL, v, NULL, ts, NULL);
    h_wm(h, -11);
    assert_int_equal(h->nrows, 1); /* [-20,-10) */
    assert_int_equal(h->rows[0].ws, -20);
    assert_int_equal(h->rows[0].we, -10);
    assert_true(h->rows[0].v[A_SUM] == 8);
    h_end(h);
    assert_int_equal(h->nrows, 3);
    assert_int_equal(h->rows[1].ws, -10);
    assert_true(h->rows[1].v[A_SUM] == 3);
    assert_int_equal(h->rows[2].ws, 0);
    assert_true(h->rows[2].v[A_SUM] == 4);
    h_free(h);
}

static void test_tumble_many_groups(void **state)
{
    /* more groups than one output batch holds; null keys form a group */
    harness *h = h_new(WD_WIN_TUMBLE, 1, 1000, 0, 0);
    h_open(h);
    enum { N = 5000 };
    int64_t *k = malloc(sizeof(int64_t) * N), *v = malloc(sizeof(int64_t) * N),
            *ts = malloc(sizeof(int64_t) * N);
    bool *kn = calloc(N, 1);
    for (int i = 0; i < N; i++) {
        k[i] = i % 3000;
        v[i] = i;
        ts[i] = i % 1000;
        kn[i] = i % 1000 == 999;
    }
    h_push(h, N, k, kn, v, NULL, ts, NULL);
    h_end(h);
    assert_true(h->batches >= 3);
    uint32_t nulls = 0;
    int64_t total = 0;
    for (uint32_t i = 0; i < h->nrows; i++) {
        nulls += h->rows[i].key_null;
        total += (int64_t)h->rows[i].v[A_COUNT];
    }
    assert_int_equal(nulls, 1);
    assert_int_equal(total, N);
    free(k), free(v), free(ts), free(kn);
    h_free(h);
}

/* ---- brute force for hop / session ---------------------------------------------------- */

typedef struct rrow {
    int64_t k, v, ts;
    bool vnull;
} rrow;

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Feed rows in batches of bs, watermark after each batch = the minimum time of
 * every later row - 1 (so nothing is late though rows arrive out of order). */
static void feed(harness *h, rrow *rows, uint32_t n, uint32_t bs)
{
    int64_t *sufmin = malloc(sizeof(int64_t) * (n + 1));
    sufmin[n] = INT64_MAX;
    for (uint32_t i = n; i-- > 0;) sufmin[i] = rows[i].ts < sufmin[i + 1] ? rows[i].ts : sufmin[i + 1];
    int64_t *k = malloc(sizeof(int64_t) * bs), *v = malloc(sizeof(int64_t) * bs),
            *ts = malloc(sizeof(int64_t) * bs);
    bool *vn = malloc(bs);
    for (uint32_t off = 0; off < n; off += bs) {
        uint32_t m = n - off < bs ? n - off : bs;
        for (uint32_t i = 0; i < m; i++) {
            k[i] = rows[off + i].k;
            v[i] = rows[off + i].v;
            ts[i] = rows[off + i].ts;
            vn[i] = rows[off + i].vnull;
        }
        h_push(h, m, k, NULL, v, vn, ts, NULL);
        if (off + m < n && sufmin[off + m] != INT64_MIN) h_wm(h, sufmin[off + m] - 1);
    }
    h_end(h);
    free(sufmin), free(k), free(v), free(ts), free(vn);
}

/* Random rows: times in [t0, t0 + span), locally shuffled. */
static rrow *random_rows(uint32_t n, uint32_t nkeys, int64_t t0, int64_t span)
{
    rrow *r = malloc(sizeof(rrow) * n);
    for (uint32_t i = 0; i < n; i++) {
        r[i].ts = t0 + (int64_t)(rnd() % (uint64_t)span);
        r[i].k = nkeys ? (int64_t)(rnd() % nkeys) : 0;
        r[i].v = (int64_t)(rnd() % 201) - 100;
        r[i].vnull = rnd() % 10 == 0;
    }
    /* sort by time, then shuffle within blocks: out of order, bounded */
    for (uint32_t i = 1; i < n; i++) {
        rrow x = r[i];
        uint32_t j = i;
        while (j > 0 && r[j - 1].ts > x.ts) {
            r[j] = r[j - 1];
            j--;
        }
        r[j] = x;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t j = i + (uint32_t)(rnd() % 40);
        if (j < n) {
            rrow x = r[i];
            r[i] = r[j];
            r[j] = x;
        }
    }
    return r;
}

/* Accumulate row x into reference output o. */
static void ref_add(orow *o, const rrow *x)
{
    o->v[A_COUNT] += 1;
    if (x->vnull) return;
    double v = (double)x->v;
    if (o->null[A_SUM]) {
        o->null[A_SUM] = o->null[A_MIN] = o->null[A_MAX] = o->null[A_AVG] = false;
        o->v[A_SUM] = o->v[A_MIN] = o->v[A_MAX] = v;
        o->v[A_AVG] = 1; /* the count of values, until finished */
        return;
    }
    o->v[A_SUM] += v;
    if (v < o->v[A_MIN]) o->v[A_MIN] = v;
    if (v > o->v[A_MAX]) o->v[A_MAX] = v;
    o->v[A_AVG] += 1;
}

static void ref_begin(orow *o, int64_t key, int64_t ws, int64_t we)
{
    memset(o, 0, sizeof *o);
    o->key = key;
    o->ws = ws;
    o->we = we;
    o->null[A_SUM] = o->null[A_MIN] = o->null[A_MAX] = o->null[A_AVG] = true;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* count(DISTINCT v) of the rows r[i] with pick(i) (vals: scratch of n). */
static double ref_distinct(const rrow *r, uint32_t n, int64_t key, int64_t lo, int64_t hi,
                           int64_t *vals)
{
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++)
        if (r[i].k == key && r[i].ts >= lo && r[i].ts < hi && !r[i].vnull) vals[m++] = r[i].v;
    qsort(vals, m, sizeof *vals, cmp_i64);
    uint32_t d = 0;
    for (uint32_t i = 0; i < m; i++) d += i == 0 || vals[i] != vals[i - 1];
    return d;
}

static void ref_finish(orow *o)
{
    if (!o->null[A_AVG]) o->v[A_AVG] = o->v[A_SUM] / o->v[A_AVG];
}

static void compare(harness *h, orow *ref, uint32_t nref)
{
    qsort(ref, nref, sizeof(orow), cmp_orow);
    qsort(h->rows, h->nrows, sizeof(orow), cmp_orow);
    assert_int_equal(h->nrows, nref);
    for (uint32_t i = 0; i < nref; i++) {
        const orow *a = &h->rows[i], *b = &ref[i];
        if (a->key != b->key || a->ws != b->ws || a->we != b->we)
            fail_msg("row %u: got key %lld [%lld,%lld) want key %lld [%lld,%lld)", i,
                     (long long)a->key, (long long)a->ws, (long long)a->we, (long long)b->key,
                     (long long)b->ws, (long long)b->we);
        for (int x = 0; x < A_N; x++) {
            if (h->aidx[x] < 0) continue;
            if (a->null[x] != b->null[x] || (!a->null[x] && !close_to(a->v[x], b->v[x])))
                fail_msg("row %u key %lld [%lld,%lld) %s: got %s%g want %s%g", i, (long long)a->key,
                         (long long)a->ws, (long long)a->we, agg_names[x], a->null[x] ? "NULL " : "",
                         a->v[x], b->null[x] ? "NULL " : "", b->v[x]);
        }
    }
}

static int64_t floordiv(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

/* Reference hop: every window [s, s + W) (s multiple of S) with rows of a key. */
static orow *ref_hop(const rrow *r, uint32_t n, int64_t W, int64_t S, uint32_t *nout)
{
    uint32_t cap = 1024, m = 0;
    orow *out = malloc(sizeof(orow) * cap);
    int64_t *vals = malloc(sizeof(int64_t) * (n ? n : 1));
    int64_t tmin = INT64_MAX, tmax = INT64_MIN, kmax = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (r[i].ts < tmin) tmin = r[i].ts;
        if (r[i].ts > tmax) tmax = r[i].ts;
        if (r[i].k > kmax) kmax = r[i].k;
    }
    for (int64_t s = floordiv(tmin, S) * S - W + S; s <= tmax; s += S) {
        for (int64_t key = 0; key <= kmax; key++) {
            orow o;
            ref_begin(&o, key, s, s + W);
            for (uint32_t i = 0; i < n; i++)
                if (r[i].k == key && r[i].ts >= s && r[i].ts < s + W) ref_add(&o, &r[i]);
            if (o.v[A_COUNT] == 0) continue;
            ref_finish(&o);
            o.v[A_DCNT] = ref_distinct(r, n, key, s, s + W, vals);
            if (m == cap) out = realloc(out, sizeof(orow) * (cap *= 2));
            out[m++] = o;
        }
    }
    *nout = m;
    free(vals);
    return out;
}

static void run_hop(uint32_t n, uint32_t nkeys, int64_t t0, int64_t span, int64_t W, int64_t S,
                    uint32_t bs, wd_win_kind kind)
{
    rrow *rows = random_rows(n, nkeys, t0, span);
    harness *h = h_new(kind, nkeys ? 1 : 0, W, kind == WD_WIN_HOP ? S : 0, 0);
    h_open(h);
    feed(h, rows, n, bs);
    assert_true(h->order_ok);
    assert_int_equal(atomic_load(&h->op.metrics.late_dropped), 0);
    uint32_t nref;
    orow *ref = ref_hop(rows, n, W, S, &nref);
    compare(h, ref, nref);
    free(ref);
    free(rows);
    h_free(h);
}

static void test_hop_random(void **state)
{
    /* n, keys, t0, span, width, slide, batch */
    run_hop(2000, 5, 0, 1000, 100, 10, 64, WD_WIN_HOP);
    run_hop(2000, 5, -777, 1000, 100, 25, 100, WD_WIN_HOP);
    run_hop(1500, 0, -500, 1000, 60, 20, 37, WD_WIN_HOP);  /* no keys */
    run_hop(800, 50, 0, 5000, 300, 10, 16, WD_WIN_HOP);    /* sparse keys */
    run_hop(600, 3, 0, 20000, 40, 20, 50, WD_WIN_HOP);     /* long empty gaps */
    run_hop(1000, 7, 0, 2000, 50, 1, 200, WD_WIN_HOP);     /* width/slide 50 */
    run_hop(1000, 4, 10, 1000, 70, 70, 64, WD_WIN_HOP);    /* slide == width */
    run_hop(1000, 4, -99, 1000, 70, 70, 64, WD_WIN_TUMBLE);
}

static void test_hop_equals_tumble(void **state)
{
    rrow *r = random_rows(3000, 9, -1234, 5000);
    harness *a = h_new(WD_WIN_HOP, 1, 100, 100, 0), *b = h_new(WD_WIN_TUMBLE, 1, 100, 0, 0);
    h_open(a);
    h_open(b);
    feed(a, r, 3000, 128);
    feed(b, r, 3000, 128);
    compare(a, b->rows, b->nrows);
    free(r);
    h_free(a);
    h_free(b);
}

static void test_hop_late(void **state)
{
    /* width 30, slide 10: pane [0,10) belongs to windows from [-20,10) on;
     * once the watermark passes 9 a row in it is late */
    harness *h = h_new(WD_WIN_HOP, 0, 30, 10, 0);
    h_open(h);
    int64_t v[] = {1, 2}, ts[] = {5, 15};
    h_push(h, 2, NULL, NULL, v, NULL, ts, NULL);
    h_wm(h, 9);
    assert_int_equal(h->nrows, 1); /* [-20,10) */
    assert_int_equal(h->rows[0].ws, -20);
    int64_t v2[] = {4, 8}, ts2[] = {3, 12};
    h_push(h, 2, NULL, NULL, v2, NULL, ts2, NULL);
    assert_int_equal(atomic_load(&h->op.metrics.late_dropped), 1);
    h_end(h);
    /* [-10,20): 1+2+8 ; [0,30): 1+2+8 ; [10,40): 2+8 */
    assert_int_equal(h->nrows, 4);
    assert_true(h->rows[1].ws == -10 && h->rows[1].v[A_SUM] == 11);
    assert_true(h->rows[2].ws == 0 && h->rows[2].v[A_SUM] == 11);
    assert_true(h->rows[3].ws == 10 && h->rows[3].v[A_SUM] == 10);
    h_free(h);
}

/* ---- session --------------------------------------------------------------------------- */

static void test_session_bridge(void **state)
{
    harness *h = h_new(WD_WIN_SESSION, 1, 0, 0, 50);
    h_open(h);
    int64_t k[] = {1, 1, 2}, v[] = {1, 2, 100}, ts[] = {0, 100, 10};
    h_push(h, 3, k, NULL, v, NULL, ts, NULL);
    /* key 1: [0,50) and [100,150); 60 joins the second: [60,150) */
    int64_t k2[] = {1}, v2[] = {4}, ts2[] = {60};
    h_push(h, 1, k2, NULL, v2, NULL, ts2, NULL);
    h_wm(h, 40);
    assert_int_equal(h->nrows, 0);
    /* 40 bridges [0,50) and [60,150): one session [0,150) */
    int64_t k3[] = {1, 1}, v3[] = {8, 16}, ts3[] = {40, 20};
    h_push(h, 2, k3, NULL, v3, NULL, ts3, NULL);
    h_wm(h, 59); /* key 2's [10,60) fires */
    assert_int_equal(h->nrows, 1);
    assert_true(h->rows[0].key == 2 && h->rows[0].ws == 10 && h->rows[0].we == 60);
    h_wm(h, 148);
    assert_int_equal(h->nrows, 1);
    h_wm(h, 149);
    assert_int_equal(h->nrows, 2);
    const orow *r = &h->rows[1];
    assert_true(r->key == 1 && r->ws == 0 && r->we == 150 && r->ts == 149);
    assert_true(r->v[A_COUNT] == 5 && r->v[A_SUM] == 31);
    /* a row for a fired session's time range that joins nothing is late */
    int64_t k4[] = {1, 3}, v4[] = {1, 64}, ts4[] = {30, 140};
    h_push(h, 2, k4, NULL, v4, NULL, ts4, NULL);
    assert_int_equal(atomic_load(&h->op.metrics.late_dropped), 1);
    h_end(h);
    assert_int_equal(h->nrows, 3);
    assert_true(h->rows[2].key == 3 && h->rows[2].ws == 140 && h->rows[2].v[A_SUM] == 64);
    h_free(h);
}

static int cmp_rrow_kts(const void *a, const void *b)
{
    const rrow *x = a, *y = b;
    if (x->k != y->k) return x->k < y->k ? -1 : 1;
    return (x->ts > y->ts) - (x->ts < y->ts);
}

static void run_session(uint32_t n, uint32_t nkeys, int64_t span, int64_t gap, uint32_t bs)
{
    rrow *rows = random_rows(n, nkeys, -span / 3, span);
    harness *h = h_new(WD_WIN_SESSION, 1, 0, 0, gap);
    h_open(h);
    feed(h, rows, n, bs);
    assert_int_equal(atomic_load(&h->op.metrics.late_dropped), 0);
    assert_true(h->order_ok);
    rrow *s = malloc(sizeof(rrow) * n);
    memcpy(s, rows, sizeof(rrow) * n);
    qsort(s, n, sizeof(rrow), cmp_rrow_kts);
    orow *ref = malloc(sizeof(orow) * n);
    int64_t *vals = malloc(sizeof(int64_t) * n);
    uint32_t m = 0;
    for (uint32_t i = 0; i < n;) {
        uint32_t j = i;
        orow o;
        ref_begin(&o, s[i].k, s[i].ts, 0);
        ref_add(&o, &s[i]);
        while (j + 1 < n && s[j + 1].k == s[i].k && s[j + 1].ts - s[j].ts < gap) {
            j++;
            ref_add(&o, &s[j]);
        }
        o.we = s[j].ts + gap;
        ref_finish(&o);
        o.v[A_DCNT] = ref_distinct(s, n, o.key, o.ws, o.we, vals);
        ref[m++] = o;
        i = j + 1;
    }
    compare(h, ref, m);
    free(ref), free(s), free(rows), free(vals);
    h_free(h);
}

static void test_session_random(void **state)
{
    run_session(2000, 10, 20000, 30, 64);
    run_session(2000, 3, 5000, 7, 100);
    run_session(1000, 200, 100000, 500, 33);
    run_session(500, 1, 100000, 1, 10);
}

/* ---- updating --------------------------------------------------------------------------- */

static void test_updating(void **state)
{
    harness *h = h_new(WD_WIN_NONE, 1, 0, 0, 0);
    h->spec.flush_ns = 100;
    h_open(h);
    int64_t k[] = {1, 1, 2}, v[] = {10, 20, 5}, ts[] = {100, 200, 150};
    h_push(h, 3, k, NULL, v, NULL, ts, NULL);
    h_wm(h, 1000);
    assert_int_equal(h->nrows, 0); /* nothing before a tick */
    assert_int_equal(h->last_wm, 1000);
    h_tick(h, 1000); /* the first tick flushes */
    assert_int_equal(h->nrows, 2);
    const orow *r = find_row(h, 1, 0);
    assert_true(r && !r->retract && r->v[A_COUNT] == 2 && r->v[A_SUM] == 30 && r->ts == 200);
    r = find_row(h, 2, 0);
    assert_true(r && !r->retract && r->v[A_SUM] == 5);
    /* key 1 gains a row; key 2 loses its only row */
    int64_t k2[] = {1, 2}, v2[] = {7, 5}, ts2[] = {300, 160};
    bool rt2[] = {false, true};
    h_push(h, 2, k2, NULL, v2, NULL, ts2, rt2);
    h_tick(h, 1050); /* too soon */
    assert_int_equal(h->nrows, 2);
    h_tick(h, 1100);
    assert_int_equal(h->nrows, 5);
    /* batch order: retractions first */
    const orow *o = &h->rows[2];
    assert_true(o[0].retract && o[1].retract && !o[2].retract);
    for (int i = 0; i < 2; i++) {
        if (o[i].key == 1) assert_true(o[i].v[A_SUM] == 30 && o[i].v[A_COUNT] == 2);
        else assert_true(o[i].key == 2 && o[i].v[A_SUM] == 5);
    }
    assert_true(o[2].key == 1 && o[2].v[A_SUM] == 37 && o[2].v[A_COUNT] == 3 && o[2].ts == 300);
    /* nothing changed: nothing emitted */
    h_tick(h, 1300);
    assert_int_equal(h->nrows, 5);
    /* key 2 comes back: an insert only (its retraction was emitted) */
    int64_t k3[] = {2, 1}, v3[] = {9, 7}, ts3[] = {310, 305};
    bool rt3[] = {false, true};
    h_push(h, 2, k3, NULL, v3, NULL, ts3, rt3);
    h_end(h);
    assert_int_equal(h->nrows, 8);
    o = &h->rows[5];
    assert_true(o[0].retract && o[0].key == 1 && o[0].v[A_SUM] == 37);
    assert_true(!o[1].retract && !o[2].retract);
    for (int i = 1; i < 3; i++) {
        if (o[i].key == 1) assert_true(o[i].v[A_SUM] == 30 && o[i].v[A_COUNT] == 2);
        else assert_true(o[i].key == 2 && o[i].v[A_SUM] == 9 && o[i].v[A_COUNT] == 1);
    }
    assert_int_equal(h->ends, 1);
    h_free(h);
}

static void test_updating_emptied_before_flush(void **state)
{
    /* inserted and retracted between flushes: never emitted, nothing to say */
    harness *h = h_new(WD_WIN_NONE, 1, 0, 0, 0);
    h_open(h);
    int64_t k[] = {4, 4}, v[] = {1, 1}, ts[] = {1, 2};
    bool rt[] = {false, true};
    h_push(h, 2, k, NULL, v, NULL, ts, rt);
    h_end(h);
    assert_int_equal(h->nrows, 0);
    h_free(h);
}

static void test_updating_ttl(void **state)
{
    harness *h = h_new(WD_WIN_NONE, 1, 0, 0, 0);
    h->spec.flush_ns = 10;
    h->spec.ttl_ns = 1000;
    h_open(h);
    int64_t k[] = {1, 2}, v[] = {1, 2}, ts[] = {1, 2};
    h_tick(h, 0);
    h_push(h, 2, k, NULL, v, NULL, ts, NULL);
    h_tick(h, 100);
    assert_int_equal(h->nrows, 2);
    for (int64_t t = 200; t <= 900; t += 100) {
        int64_t k1[] = {2}, v1[] = {1}, t1[] = {3};
        h_push(h, 1, k1, NULL, v1, NULL, t1, NULL);
        h_tick(h, t);
    }
    h_tick(h, 1500); /* key 1 not updated since 0: expired silently */
    uint32_t before = h->nrows;
    for (uint32_t i = 0; i < h->nrows; i++) assert_false(h->rows[i].key == 1 && h->rows[i].retract);
    /* key 1 comes back fresh: an insert, no retraction of the old row */
    int64_t k2[] = {1}, v2[] = {5}, t2[] = {9};
    h_push(h, 1, k2, NULL, v2, NULL, t2, NULL);
    h_end(h);
    assert_int_equal(h->nrows, before + 1);
    const orow *r = &h->rows[before];
    assert_true(r->key == 1 && !r->retract && r->v[A_COUNT] == 1 && r->v[A_SUM] == 5);
    h_free(h);
}

/* Every key in one row only: many dead keys, so the running group table is
 * rebuilt along the way; each row shows up in width/slide windows. */
static void test_hop_unique_keys(void **state)
{
    enum { N = 20000, W = 40, S = 10 };
    rrow *rows = random_rows(N, 0, 0, N * 2);
    for (uint32_t i = 0; i < N; i++) rows[i].k = i, rows[i].vnull = false;
    harness *h = h_new(WD_WIN_HOP, 1, W, S, 0);
    h_open(h);
    feed(h, rows, N, 256);
    assert_int_equal(h->nrows, N * (W / S));
    int64_t *seen = calloc(N, sizeof(int64_t));
    for (uint32_t i = 0; i < h->nrows; i++) {
        const orow *o = &h->rows[i];
        assert_true(o->key >= 0 && o->key < N);
        const rrow *r = &rows[o->key];
        assert_true(o->ws <= r->ts && r->ts < o->we && o->we - o->ws == W);
        assert_true(o->v[A_COUNT] == 1 && o->v[A_SUM] == (double)r->v);
        seen[o->key]++;
    }
    for (uint32_t i = 0; i < N; i++) assert_int_equal(seen[i], W / S);
    free(seen);
    free(rows);
    h_free(h);
}

/* Sessions over ever new keys: the key table is rebuilt while sessions are open. */
static void test_session_unique_keys(void **state)
{
    enum { N = 20000 };
    rrow *rows = random_rows(N, 0, 0, 4 * N);
    for (uint32_t i = 0; i < N; i++) rows[i].k = i / 2, rows[i].vnull = false;
    harness *h = h_new(WD_WIN_SESSION, 1, 0, 0, 50);
    h_open(h);
    feed(h, rows, N, 128);
    int64_t sum = 0, cnt = 0;
    for (uint32_t i = 0; i < N; i++) sum += rows[i].v;
    /* the two rows of a key form one or two sessions */
    assert_true(h->nrows >= N / 2 && h->nrows <= N);
    for (uint32_t i = 0; i < h->nrows; i++) {
        cnt += (int64_t)h->rows[i].v[A_COUNT];
        sum -= (int64_t)h->rows[i].v[A_SUM];
    }
    assert_int_equal(cnt, N);
    assert_int_equal(sum, 0);
    free(rows);
    h_free(h);
}

/* Many groups expire at once: the group table is rebuilt without them. */
static void test_updating_ttl_compact(void **state)
{
    enum { N = 10000 };
    harness *h = h_new(WD_WIN_NONE, 1, 0, 0, 0);
    h->spec.flush_ns = 10;
    h->spec.ttl_ns = 1000;
    h_open(h);
    int64_t *k = malloc(sizeof(int64_t) * N), *v = malloc(sizeof(int64_t) * N),
            *ts = malloc(sizeof(int64_t) * N);
    for (int i = 0; i < N; i++) k[i] = i, v[i] = i, ts[i] = i;
    h_tick(h, 0);
    h_push(h, N, k, NULL, v, NULL, ts, NULL);
    h_tick(h, 100);
    assert_int_equal(h->nrows, N);
    /* keep key 7 alive */
    for (int64_t t = 200; t <= 1600; t += 100) {
        int64_t k1[] = {7}, v1[] = {1}, t1[] = {N};
        h_push(h, 1, k1, NULL, v1, NULL, t1, NULL);
        h_tick(h, t);
    }
    uint32_t before = h->nrows;
    int64_t k2[] = {7, 3}, v2[] = {1, 3}, t2[] = {N, N};
    h_push(h, 2, k2, NULL, v2, NULL, t2, NULL);
    h_end(h);
    /* key 7: retraction + new row; key 3 (expired): a fresh insert */
    assert_int_equal(h->nrows, before + 3);
    for (uint32_t i = before; i < h->nrows; i++) {
        const orow *o = &h->rows[i];
        if (o->key == 3) assert_true(!o->retract && o->v[A_COUNT] == 1 && o->v[A_SUM] == 3);
        else assert_true(o->key == 7);
    }
    free(k), free(v), free(ts);
    h_free(h);
}

/* Times at the ends of the int64 range are dropped (window bounds would
 * overflow), never a crash; the rest is unaffected. */
static void test_extreme_times(void **state)
{
    wd_win_kind kinds[] = {WD_WIN_TUMBLE, WD_WIN_HOP, WD_WIN_SESSION};
    for (int i = 0; i < 3; i++) {
        harness *h = h_new(kinds[i], 1, 100, 20, 10);
        h_open(h);
        int64_t k[] = {1, 1, 1, 1}, v[] = {1, 2, 3, 4},
                ts[] = {INT64_MIN, INT64_MAX, INT64_MIN + 5, 7};
        h_push(h, 4, k, NULL, v, NULL, ts, NULL);
        h_wm(h, INT64_MAX - 1);
        h_end(h);
        assert_int_equal(atomic_load(&h->op.metrics.late_dropped), 3);
        assert_true(h->nrows >= 1);
        for (uint32_t r = 0; r < h->nrows; r++) assert_true(h->rows[r].v[A_SUM] == 4);
        h_free(h);
    }
}

static void test_bad_specs(void **state)
{
    harness *h = h_new(WD_WIN_HOP, 1, 100, 30, 0);
    wd_error err = {0};
    assert_true(h->op.vt->open(&h->op, &err) < 0);
    assert_non_null(strstr(err.msg, "multiple"));
    h->op.vt->close(&h->op);
    h->spec.win = WD_WIN_SESSION;
    h->spec.gap_ns = 0;
    wd_err_clear(&err);
    assert_true(h->op.vt->open(&h->op, &err) < 0);
    h->op.vt->close(&h->op);
    wd_arena_free(&h->arena);
    free(h->rows);
    free(h);
}

/* ---- micro benchmark (WD_BENCH=1) -------------------------------------------------------- */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Push total rows (1 µs apart, keys round robin over nkeys) and end. */
static double bench_run(harness *h, uint64_t total, uint32_t nkeys, uint64_t *out_rows)
{
    h->capture = false;
    h_open(h);
    double t0 = now_s();
    wd_error err = {0};
    for (uint64_t off = 0; off < total; off += WD_BATCH_ROWS) {
        wd_batch *b = wd_batch_new(h->in_schema, WD_BATCH_ROWS);
        int64_t *k = b->cols[0].data, *v = b->cols[1].data, *ts = b->cols[2].data;
        for (uint32_t i = 0; i < WD_BATCH_ROWS; i++) {
            uint64_t r = off + i;
            k[i] = nkeys ? (int64_t)(r * 2654435761u % nkeys) : 0;
            v[i] = (int64_t)(r & 1023);
            ts[i] = (int64_t)r * 1000;
        }
        b->nrows = WD_BATCH_ROWS;
        wd_batch_seal(b);
        wd_op_push_batch(&h->op, 0, b, &err);
        wd_batch_release(b);
        if ((off / WD_BATCH_ROWS) % 16 == 15) wd_op_push_watermark(&h->op, (int64_t)off * 1000 - 1, &err);
    }
    wd_op_push_end(&h->op, &err);
    double dt = now_s() - t0;
    *out_rows = h->out_rows;
    return dt;
}

static void test_bench(void **state)
{
    const char *e = getenv("WD_BENCH");
    if (!e || !*e) {
        print_message("  (benchmark skipped: set WD_BENCH=1)\n");
        return;
    }
    g_plain_aggs = true;
    const uint64_t N = 10 * 1000 * 1000;
    const int64_t W = WD_NS_PER_SEC; /* 1 s windows: 1M rows each */
    uint64_t outr;
    struct {
        const char *name;
        wd_win_kind kind;
        uint32_t nkeys;
        int64_t slide;
    } runs[] = {
        {"tumble 1s, count.. by key (1000 keys)", WD_WIN_TUMBLE, 1000, 0},
        {"tumble 1s, global", WD_WIN_TUMBLE, 0, 0},
        {"hop 1s/1ms (w/s=1000), global", WD_WIN_HOP, 0, W / 1000},
        {"tumble 1s, 10 keys", WD_WIN_TUMBLE, 10, 0},
        {"hop 1s/1ms (w/s=1000), 10 keys", WD_WIN_HOP, 10, W / 1000},
        {"hop 1s/1ms (w/s=1000), 1000 keys", WD_WIN_HOP, 1000, W / 1000},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        if (strcmp(e, "1") != 0 && !strstr(runs[i].name, e)) continue; /* WD_BENCH=filter */
        harness *h = h_new(runs[i].kind, runs[i].nkeys ? 1 : 0, W, runs[i].slide, 0);
        double dt = bench_run(h, N, runs[i].nkeys, &outr);
        print_message("  %-40s %5.0f ms  %6.1f Mrows/s  (%llu rows out)\n", runs[i].name,
                      dt * 1e3, (double)N / dt / 1e6, (unsigned long long)outr);
        h_free(h);
    }
    g_plain_aggs = false;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tumble_basic),
        cmocka_unit_test(test_tumble_late),
        cmocka_unit_test(test_tumble_negative),
        cmocka_unit_test(test_tumble_many_groups),
        cmocka_unit_test(test_hop_random),
        cmocka_unit_test(test_hop_equals_tumble),
        cmocka_unit_test(test_hop_late),
        cmocka_unit_test(test_session_bridge),
        cmocka_unit_test(test_session_random),
        cmocka_unit_test(test_updating),
        cmocka_unit_test(test_updating_emptied_before_flush),
        cmocka_unit_test(test_updating_ttl),
        cmocka_unit_test(test_hop_unique_keys),
        cmocka_unit_test(test_session_unique_keys),
        cmocka_unit_test(test_updating_ttl_compact),
        cmocka_unit_test(test_extreme_times),
        cmocka_unit_test(test_bad_specs),
        cmocka_unit_test(test_bench),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
