/*
 * test_window_fn.c — the window-function operator driven directly with
 * hand-built batches and a capturing output: ROW_NUMBER / RANK /
 * DENSE_RANK with ties, DESC and NULLS ordering, several partitions,
 * several timestamps fired by one watermark, LAG / LEAD with defaults and
 * offsets beyond the partition, running sums with peers, top-N (memory
 * bound and equality with the unlimited operator and a brute force), late
 * rows, flushing at end, bad specs; the row sort against a brute force;
 * and a printed micro-benchmark (top-5 over 10M rows in 1000 partitions).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch/batch.h"
#include "batch/sort.h"
#include "common/alloc.h"
#include "common/timeutil.h"
#include "ops/aggregate.h"
#include "ops/op.h"

/* Input columns of every test. */
enum { C_P, C_O, C_T, C_D, C_TS, NIN };

/* ---- a test aggregate: sum(BIGINT) -------------------------------------- */

typedef struct tsum {
    int64_t sum, n;
} tsum;

static uint32_t tsum_size(const wd_type *arg) { return sizeof(tsum); }

static void tsum_init(const wd_agg_spec *s, uint8_t *st, uint32_t stride, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) memset(st + (size_t)i * stride + s->offset, 0, sizeof(tsum));
}

static void tsum_update(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *base, uint32_t stride,
                        const uint32_t *slots, const wd_col *arg, const uint32_t *rows, uint32_t n,
                        int sign)
{
    for (uint32_t i = 0; i < n; i++) {
        tsum *t = (tsum *)(base + (size_t)slots[i] * stride + s->offset);
        if (!arg) { /* count(*) */
            t->sum += sign;
            t->n += sign;
            continue;
        }
        if (!wd_col_valid(arg, rows[i])) continue;
        t->sum += sign * WD_COL_GET(arg, int64_t, rows[i]);
        t->n += sign;
    }
}

static void tsum_finalize(const wd_agg_spec *s, const uint8_t *st, wd_col *out, uint32_t row,
                          wd_arena *a)
{
    const tsum *t = (const tsum *)(st + s->offset);
    if (!t->n) {
        wd_col_set_null(out, row, a);
        return;
    }
    ((int64_t *)out->data)[row] = t->sum;
}

static const wd_agg_fn tsum_fn = {
    .name = "sum",
    .min_args = 1,
    .max_args = 1,
    .state_size = tsum_size,
    .init = tsum_init,
    .update = tsum_update,
    .finalize = tsum_finalize,
};

/* ---- harness ---------------------------------------------------------- */

typedef struct cell {
    bool null;
    int64_t i;
    char s[24];
} cell;

typedef struct orow {
    cell c[NIN + 4]; /* input columns but _timestamp, then calls */
    int64_t ts;
    uint32_t seq;    /* position in the event log */
} orow;

typedef struct capture {
    orow *rows;
    uint32_t n, cap;
    int64_t wms[16];
    uint32_t nwm;
    uint32_t wm_after_rows[16]; /* rows captured before each watermark */
    uint32_t batches;
    uint32_t max_batch;
} capture;

typedef struct harness {
    wd_arena arena;
    const wd_type *in_schema;
    const wd_type *in_schemas[1];
    wd_node node;
    wd_winfn_spec spec;
    wd_wf_call calls[4];
    wd_sort_key order[3];
    int part[2];
    wd_op op;
    capture cap;
    bool record; /* keep rows (off in the benchmark) */
    uint64_t rows_seen;
} harness;

static void read_cell(const wd_col *c, uint32_t r, cell *out)
{
    memset(out, 0, sizeof *out);
    if (!wd_col_valid(c, r)) {
        out->null = true;
        return;
    }
    if (c->type->id == WD_T_TEXT) {
        wd_str s = WD_COL_GET(c, wd_str, r);
        uint32_t n = s.len < sizeof out->s - 1 ? s.len : (uint32_t)sizeof out->s - 1;
        memcpy(out->s, s.ptr, n);
    } else if (c->type->id == WD_T_STRUCT) { /* its first field */
        cell f;
        read_cell(&c->child[0], r, &f);
        out->i = f.i;
    } else if (c->type->id == WD_T_LIST) { /* TEXT elements joined by ',' */
        const uint32_t *off = c->data;
        size_t k = 0;
        for (uint32_t e = off[r]; e < off[r + 1]; e++) {
            wd_str s = WD_COL_GET(c->child, wd_str, e);
            if (e > off[r] && k + 1 < sizeof out->s) out->s[k++] = ',';
            for (uint32_t j = 0; j < s.len && k + 1 < sizeof out->s; j++) out->s[k++] = s.ptr[j];
        }
    } else {
        out->i = WD_COL_GET(c, int64_t, r);
    }
}

static int cap_batch(void *ctx, wd_batch *b, wd_error *err)
{
    harness *h = ctx;
    capture *c = &h->cap;
    c->batches++;
    if (b->nrows > c->max_batch) c->max_batch = b->nrows;
    h->rows_seen += b->nrows;
    if (!h->record) return 0;
    uint32_t nf = b->schema->nfields;
    for (uint32_t r = 0; r < b->nrows; r++) {
        if (c->n == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 256;
            c->rows = wd_realloc(c->rows, c->cap * sizeof *c->rows);
        }
        orow *o = &c->rows[c->n];
        memset(o, 0, sizeof *o);
        for (uint32_t f = 0; f + 1 < nf; f++) read_cell(&b->cols[f], r, &o->c[f]);
        o->ts = wd_batch_ts(b)[r];
        o->seq = c->n;
        c->n++;
    }
    return 0;
}

static int cap_wm(void *ctx, int64_t wm, wd_error *err)
{
    harness *h = ctx;
    if (h->cap.nwm < 16) {
        h->cap.wm_after_rows[h->cap.nwm] = (uint32_t)h->rows_seen;
        h->cap.wms[h->cap.nwm++] = wm;
    }
    return 0;
}

static harness *h_new(void)
{
    harness *h = wd_calloc(1, sizeof *h);
    wd_arena_init(&h->arena, 0);
    wd_field f[NIN - 1] = {{"p", WD_TYPE_INT64, true},
                           {"o", WD_TYPE_INT64, true},
                           {"t", WD_TYPE_TEXT, true},
                           {"d", WD_TYPE_INT64, true}};
    h->in_schema = wd_schema_make(&h->arena, NIN - 1, f);
    h->in_schemas[0] = h->in_schema;
    h->record = true;
    return h;
}

/* Call k: result type of its column. */
static const wd_type *call_type(const harness *h, uint32_t k)
{
    const wd_wf_call *c = &h->calls[k];
    if (c->kind == WD_WF_LAG || c->kind == WD_WF_LEAD) return h->in_schema->fields[c->arg_col].type;
    return WD_TYPE_INT64;
}

/* Open the operator for h->spec (parts, order, calls, limit set by the
 * caller in h->part / h->order / h->calls).  Returns open's result. */
static int h_open(harness *h, uint32_t npart, uint32_t norder, uint32_t ncalls, int64_t limit,
                  wd_error *err)
{
    wd_field f[NIN - 1 + 4];
    for (uint32_t i = 0; i + 1 < NIN; i++) f[i] = h->in_schema->fields[i];
    for (uint32_t k = 0; k < ncalls; k++) {
        f[NIN - 1 + k].name = wd_arena_printf(&h->arena, "c%u", k);
        f[NIN - 1 + k].type = call_type(h, k);
        f[NIN - 1 + k].nullable = true;
    }
    h->spec.npart = npart;
    h->spec.part_cols = h->part;
    h->spec.norder = norder;
    h->spec.order = h->order;
    h->spec.ncalls = ncalls;
    h->spec.calls = h->calls;
    h->spec.limit = limit;
    h->node.name = "window_fn";
    h->node.kind = WD_N__OTHER;
    h->node.parallelism = 1;
    h->node.ninputs = 1;
    h->node.in_schemas = h->in_schemas;
    h->node.out_schema = wd_schema_make(&h->arena, NIN - 1 + ncalls, f);
    h->node.vt = &wd_op_winfn_vt;
    h->node.spec = &h->spec;
    h->op.vt = &wd_op_winfn_vt;
    h->op.node = &h->node;
    h->op.parallelism = 1;
    h->op.watermark = INT64_MIN;
    h->op.out.batch = cap_batch;
    h->op.out.watermark = cap_wm;
    h->op.out.ctx = h;
    return wd_op_winfn_vt.open(&h->op, err);
}

static void h_free(harness *h)
{
    if (h->op.state) wd_op_winfn_vt.close(&h->op);
    wd_free(h->cap.rows);
    wd_arena_free(&h->arena);
    wd_free(h);
}

#define NUL INT64_MIN /* a NULL in row literals */

typedef struct irow {
    int64_t p, o;
    const char *t; /* NULL: NULL */
    int64_t d, ts;
} irow;

static wd_batch *make_batch(const harness *h, const irow *rows, uint32_t n)
{
    wd_batch *b = wd_batch_new(h->in_schema, n);
    int64_t *p = b->cols[C_P].data, *o = b->cols[C_O].data, *d = b->cols[C_D].data;
    wd_str *t = b->cols[C_T].data;
    int64_t *ts = b->cols[C_TS].data;
    for (uint32_t i = 0; i < n; i++) {
        p[i] = rows[i].p == NUL ? 0 : rows[i].p;
        o[i] = rows[i].o == NUL ? 0 : rows[i].o;
        d[i] = rows[i].d == NUL ? 0 : rows[i].d;
        if (rows[i].p == NUL) wd_col_set_null(&b->cols[C_P], i, &b->arena);
        if (rows[i].o == NUL) wd_col_set_null(&b->cols[C_O], i, &b->arena);
        if (rows[i].d == NUL) wd_col_set_null(&b->cols[C_D], i, &b->arena);
        if (rows[i].t) t[i] = wd_str_copy(&b->arena, rows[i].t, strlen(rows[i].t));
        else wd_col_set_null(&b->cols[C_T], i, &b->arena);
        ts[i] = rows[i].ts;
    }
    b->nrows = n;
    wd_batch_seal(b);
    return b;
}

static int h_push(harness *h, const irow *rows, uint32_t n)
{
    wd_batch *b = make_batch(h, rows, n);
    wd_error err = {0};
    int rc = wd_op_push_batch(&h->op, 0, b, &err);
    wd_batch_release(b); /* the operator must have copied or retained what it keeps */
    return rc;
}

static int h_wm(harness *h, int64_t wm)
{
    wd_error err = {0};
    return wd_op_push_watermark(&h->op, wm, &err);
}

static int h_end(harness *h)
{
    wd_error err = {0};
    return wd_op_push_end(&h->op, &err);
}

/* Output column of call k. */
#define CALL(k) (NIN - 1 + (k))

static void expect_i(const cell *c, int64_t v)
{
    if (v == NUL) {
        assert_true(c->null);
    } else {
        assert_false(c->null);
        assert_int_equal(c->i, v);
    }
}

/* ---- tests: ranking ----------------------------------------------------- */

static void test_ranks_ties_nulls(void **state)
{
    harness *h = h_new();
    h->order[0] = (wd_sort_key){C_O, false, false}; /* ASC NULLS LAST */
    h->calls[0].kind = WD_WF_ROW_NUMBER;
    h->calls[1].kind = WD_WF_RANK;
    h->calls[2].kind = WD_WF_DENSE_RANK;
    wd_error err = {0};
    assert_int_equal(h_open(h, 0, 1, 3, 0, &err), 0);
    irow in[] = {{1, 10, "a", 0, 99}, {1, 20, "b", 0, 99}, {1, 20, "c", 0, 99},
                 {1, 30, "d", 0, 99}, {1, NUL, "e", 0, 99}, {1, 5, "f", 0, 99}};
    assert_int_equal(h_push(h, in, 3), 0);
    assert_int_equal(h_push(h, in + 3, 3), 0);
    assert_int_equal(h->cap.n, 0);
    assert_int_equal(h_wm(h, 99), 0);
    assert_int_equal(h->cap.n, 6);
    const char *want_t = "fabcde";
    int64_t rn[] = {1, 2, 3, 4, 5, 6}, rk[] = {1, 2, 3, 3, 5, 6}, dr[] = {1, 2, 3, 3, 4, 5};
    for (uint32_t i = 0; i < 6; i++) {
        orow *o = &h->cap.rows[i];
        assert_int_equal(o->c[C_T].s[0], want_t[i]);
        expect_i(&o->c[CALL(0)], rn[i]);
        expect_i(&o->c[CALL(1)], rk[i]);
        expect_i(&o->c[CALL(2)], dr[i]);
        assert_int_equal(o->ts, 99);
    }
    assert_int_equal(h->cap.nwm, 1);
    assert_int_equal(h->cap.wms[0], 99);
    assert_int_equal(h->cap.wm_after_rows[0], 6); /* rows before the watermark */
    h_free(h);
}

static void test_desc_nulls_partitions(void **state)
{
    /* DESC NULLS FIRST (SQL's default for DESC), then o2 ascending via t */
    harness *h = h_new();
    h->part[0] = C_P;
    h->order[0] = (wd_sort_key){C_O, true, true};
    h->order[1] = (wd_sort_key){C_T, false, false};
    h->calls[0].kind = WD_WF_RANK;
    h->calls[1].kind = WD_WF_ROW_NUMBER;
    wd_error err = {0};
    assert_int_equal(h_open(h, 1, 2, 2, 0, &err), 0);
    irow in[] = {
        {2, 1, "x", 0, 50}, {NUL, 7, "n1", 0, 50}, {1, 5, "b", 0, 50}, {2, NUL, "y", 0, 50},
        {1, 5, "a", 0, 50}, {1, 9, "c", 0, 50},   {2, 3, "z", 0, 50},  {NUL, 8, "n2", 0, 50},
        {1, NUL, "d", 0, 50},
    };
    assert_int_equal(h_push(h, in, 9), 0);
    assert_int_equal(h_end(h), 0);
    assert_int_equal(h->cap.n, 9);
    /* partitions 1, 2, NULL (ascending, NULLs last) */
    struct { int64_t p; const char *t; int64_t rank, rn; } want[] = {
        {1, "d", 1, 1}, {1, "c", 2, 2}, {1, "a", 3, 3}, {1, "b", 4, 4},
        {2, "y", 1, 1}, {2, "z", 2, 2}, {2, "x", 3, 3},
        {NUL, "n2", 1, 1}, {NUL, "n1", 2, 2},
    };
    for (uint32_t i = 0; i < 9; i++) {
        orow *o = &h->cap.rows[i];
        expect_i(&o->c[C_P], want[i].p);
        assert_string_equal(o->c[C_T].s, want[i].t);
        /* "a" and "b" tie on o = 5: the second key orders them */
        expect_i(&o->c[CALL(0)], want[i].rank);
        expect_i(&o->c[CALL(1)], want[i].rn);
    }
    h_free(h);

    /* DESC NULLS LAST, no partition */
    h = h_new();
    h->order[0] = (wd_sort_key){C_O, true, false};
    h->calls[0].kind = WD_WF_DENSE_RANK;
    assert_int_equal(h_open(h, 0, 1, 1, 0, &err), 0);
    assert_int_equal(h_push(h, in, 9), 0);
    assert_int_equal(h_end(h), 0);
    int64_t o_want[] = {9, 8, 7, 5, 5, 3, 1, NUL, NUL};
    int64_t d_want[] = {1, 2, 3, 4, 4, 5, 6, 7, 7};
    for (uint32_t i = 0; i < 9; i++) {
        expect_i(&h->cap.rows[i].c[C_O], o_want[i]);
        expect_i(&h->cap.rows[i].c[CALL(0)], d_want[i]);
    }
    h_free(h);
}

static void test_timestamps_in_order(void **state)
{
    harness *h = h_new();
    h->order[0] = (wd_sort_key){C_O, false, false};
    h->calls[0].kind = WD_WF_ROW_NUMBER;
    wd_error err = {0};
    assert_int_equal(h_open(h, 0, 1, 1, 0, &err), 0);
    /* one batch mixing three timestamps, then another for two of them */
    irow a[] = {{0, 3, "a", 0, 300}, {0, 2, "b", 0, 100}, {0, 1, "c", 0, 200},
                {0, 9, "d", 0, 100}, {0, 0, "e", 0, 300}};
    irow b[] = {{0, 5, "f", 0, 200}, {0, 1, "g", 0, 100}};
    assert_int_equal(h_push(h, a, 5), 0);
    assert_int_equal(h_push(h, b, 2), 0);
    assert_int_equal(h_wm(h, 250), 0);
    /* 100: g(1) b(2) d(9); 200: c(1) f(5) */
    const char *want = "gbdcf";
    int64_t ts[] = {100, 100, 100, 200, 200}, rn[] = {1, 2, 3, 1, 2};
    assert_int_equal(h->cap.n, 5);
    for (uint32_t i = 0; i < 5; i++) {
        assert_int_equal(h->cap.rows[i].c[C_T].s[0], want[i]);
        assert_int_equal(h->cap.rows[i].ts, ts[i]);
        expect_i(&h->cap.rows[i].c[CALL(0)], rn[i]);
    }
    assert_int_equal(h->cap.nwm, 1);
    assert_int_equal(h->cap.wm_after_rows[0], 5);
    uint64_t held, live;
    wd_op_winfn_stats(&h->op, &held, &live);
    assert_int_equal(held, 2); /* the 300 rows */
    assert_int_equal(h_end(h), 0);
    assert_int_equal(h->cap.n, 7);
    assert_int_equal(h->cap.rows[5].c[C_T].s[0], 'e');
    assert_int_equal(h->cap.rows[6].c[C_T].s[0], 'a');
    assert_int_equal(h->cap.rows[6].ts, 300);
    wd_op_winfn_stats(&h->op, &held, &live);
    assert_int_equal(held, 0);
    h_free(h);
}

/* ---- tests: lag / lead -------------------------------------------------- */

static void test_lag_lead(void **state)
{
    harness *h = h_new();
    h->part[0] = C_P;
    h->order[0] = (wd_sort_key){C_O, false, false};
    h->calls[0] = (wd_wf_call){.kind = WD_WF_LAG, .arg_col = C_O, .offset = 1, .default_col = -1};
    h->calls[1] = (wd_wf_call){.kind = WD_WF_LEAD, .arg_col = C_O, .offset = 2, .default_col = C_D};
    h->calls[2] = (wd_wf_call){.kind = WD_WF_LAG, .arg_col = C_O, .offset = 10, .default_col = C_D};
    h->calls[3] = (wd_wf_call){.kind = WD_WF_LEAD, .arg_col = C_T, .offset = 1, .default_col = -1};
    wd_error err = {0};
    assert_int_equal(h_open(h, 1, 1, 4, 0, &err), 0);
    irow in[] = {{1, 10, "a", -1, 7}, {2, 5, "x", -2, 7}, {1, 20, "b", -3, 7},
                 {1, 30, "c", -4, 7}, {1, 40, NULL, -5, 7}, {2, 6, "y", -6, 7}};
    assert_int_equal(h_push(h, in, 6), 0);
    assert_int_equal(h_end(h), 0);
    assert_int_equal(h->cap.n, 6);
    struct { int64_t o, lag1, lead2, lag10; const char *lead_t; } want[] = {
        {10, NUL, 30, -1, "b"}, {20, 10, 40, -3, "c"}, {30, 20, -4, -4, NULL},
        {40, 30, -5, -5, NULL}, {5, NUL, -2, -2, "y"}, {6, 5, -6, -6, NULL},
    };
    for (uint32_t i = 0; i < 6; i++) {
        orow *o = &h->cap.rows[i];
        expect_i(&o->c[C_O], want[i].o);
        expect_i(&o->c[CALL(0)], want[i].lag1);
        expect_i(&o->c[CALL(1)], want[i].lead2);
        expect_i(&o->c[CALL(2)], want[i].lag10);
        if (want[i].lead_t) assert_string_equal(o->c[CALL(3)].s, want[i].lead_t);
        else assert_true(o->c[CALL(3)].null);
    }
    h_free(h);

    /* negative offsets read the other way; huge offsets do not overflow */
    h = h_new();
    h->order[0] = (wd_sort_key){C_O, false, false};
    h->calls[0] = (wd_wf_call){.kind = WD_WF_LAG, .arg_col = C_O, .offset = -1, .default_col = -1};
    h->calls[1] = (wd_wf_call){.kind = WD_WF_LEAD, .arg_col = C_O, .offset = INT64_MIN,
                               .default_col = C_D};
    h->calls[2] = (wd_wf_call){.kind = WD_WF_LAG, .arg_col = C_O, .offset = 0, .default_col = -1};
    assert_int_equal(h_open(h, 0, 1, 3, 0, &err), 0);
    assert_int_equal(h_push(h, in, 3), 0);
    assert_int_equal(h_end(h), 0);
    int64_t o_w[] = {5, 10, 20}, l_w[] = {10, 20, NUL}, d_w[] = {-2, -1, -3};
    for (uint32_t i = 0; i < 3; i++) {
        expect_i(&h->cap.rows[i].c[CALL(0)], l_w[i]);
        expect_i(&h->cap.rows[i].c[CALL(1)], d_w[i]);
        expect_i(&h->cap.rows[i].c[CALL(2)], o_w[i]);
    }
    h_free(h);
}

/* ---- tests: running aggregates ----------------------------------------- */

static void test_running_sum_peers(void **state)
{
    harness *h = h_new();
    h->part[0] = C_P;
    h->order[0] = (wd_sort_key){C_O, false, false};
    wd_agg_spec sum = {.fn = &tsum_fn, .arg_type = WD_TYPE_INT64, .ret = WD_TYPE_INT64,
                       .arg_col = C_O, .arg2_col = -1, .filter_col = -1};
    wd_agg_spec cnt = {.fn = &tsum_fn, .ret = WD_TYPE_INT64, .arg_col = -1, .arg2_col = -1,
                       .filter_col = -1};
    h->calls[0] = (wd_wf_call){.kind = WD_WF_AGG, .agg = sum, .default_col = -1};
    h->calls[1] = (wd_wf_call){.kind = WD_WF_AGG, .agg = cnt, .default_col = -1};
    wd_error err = {0};
    assert_int_equal(h_open(h, 1, 1, 2, 0, &err), 0);
    irow in[] = {{1, 2, "a", 0, 5}, {1, 1, "b", 0, 5}, {2, 4, "x", 0, 5}, {1, 2, "c", 0, 5},
                 {1, 3, "d", 0, 5}, {1, NUL, "e", 0, 5}, {2, NUL, "y", 0, 5}};
    assert_int_equal(h_push(h, in, 7), 0);
    assert_int_equal(h_end(h), 0);
    assert_int_equal(h->cap.n, 7);
    /* p=1: 1 | 2 2 (peers) | 3 | NULL ; p=2: 4 | NULL */
    int64_t s_w[] = {1, 5, 5, 8, 8, 4, 4}, c_w[] = {1, 3, 3, 4, 5, 1, 2};
    for (uint32_t i = 0; i < 7; i++) {
        expect_i(&h->cap.rows[i].c[CALL(0)], s_w[i]);
        expect_i(&h->cap.rows[i].c[CALL(1)], c_w[i]);
    }
    h_free(h);

    /* without ORDER BY: the whole partition */
    h = h_new();
    h->part[0] = C_P;
    h->calls[0] = (wd_wf_call){.kind = WD_WF_AGG, .agg = sum, .default_col = -1};
    h->calls[1] = (wd_wf_call){.kind = WD_WF_RANK};
    assert_int_equal(h_open(h, 1, 0, 2, 0, &err), 0);
    assert_int_equal(h_push(h, in, 7), 0);
    assert_int_equal(h_end(h), 0);
    for (uint32_t i = 0; i < 7; i++) {
        orow *o = &h->cap.rows[i];
        expect_i(&o->c[CALL(0)], o->c[C_P].i == 1 ? 8 : 4);
        expect_i(&o->c[CALL(1)], 1); /* every row is a peer */
    }
    /* without ORDER BY rows still come in a fixed order: by their values */
    assert_string_equal(h->cap.rows[0].c[C_T].s, "b");
    assert_string_equal(h->cap.rows[4].c[C_T].s, "e");
    assert_string_equal(h->cap.rows[5].c[C_T].s, "x");
    h_free(h);
}

/* ---- tests: top-N -------------------------------------------------------- */

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

#define TN_ROWS 100000u
#define TN_PARTS 97u
#define TN_BATCH 1000u

/* Random rows in TN_PARTS partitions (and a NULL one), order values below
 * vrange; vrange 0: rising values (i / 3), so that under DESC nearly every
 * row displaces a kept one and the store fills with evicted rows. */
static irow *topn_input(uint32_t n, uint32_t vrange)
{
    irow *in = wd_malloc(n * sizeof *in);
    static char names[64][8];
    for (int i = 0; i < 64; i++) snprintf(names[i], sizeof names[i], "s%d", i);
    for (uint32_t i = 0; i < n; i++) {
        uint64_t r = rnd();
        in[i].p = (r % 50 == 0) ? NUL : (int64_t)(r % TN_PARTS);
        in[i].o = ((r >> 20) % 40 == 0) ? NUL
                  : vrange ? (int64_t)((r >> 24) % vrange) : (int64_t)(i / 3);
        in[i].t = names[(r >> 40) % 64];
        in[i].d = (int64_t)i;
        in[i].ts = 1000;
    }
    return in;
}

/* Run in through a top-N (limit) and an unlimited operator with call kind;
 * check they agree, the memory bound held, and return the top-N harness. */
static void topn_case(wd_wf_kind kind, int64_t limit, uint32_t vrange, bool desc)
{
    irow *in = topn_input(TN_ROWS, vrange);
    harness *t = h_new(), *u = h_new();
    harness *hs[2] = {t, u};
    for (int k = 0; k < 2; k++) {
        hs[k]->part[0] = C_P;
        hs[k]->order[0] = (wd_sort_key){C_O, desc, desc};
        hs[k]->calls[0].kind = kind;
        wd_error err = {0};
        assert_int_equal(h_open(hs[k], 1, 1, 1, k == 0 ? limit : 0, &err), 0);
    }
    uint64_t max_held = 0;
    for (uint32_t off = 0; off < TN_ROWS; off += TN_BATCH) {
        for (int k = 0; k < 2; k++) assert_int_equal(h_push(hs[k], in + off, TN_BATCH), 0);
        uint64_t held, live;
        wd_op_winfn_stats(&t->op, &held, &live);
        if (held > max_held) max_held = held;
        assert_true(held <= 2 * live + 4096 + TN_BATCH);
        if (kind == WD_WF_ROW_NUMBER) assert_true(live <= (TN_PARTS + 1) * (uint64_t)limit);
    }
    uint64_t held, live;
    wd_op_winfn_stats(&t->op, &held, &live);
    if (kind == WD_WF_ROW_NUMBER) assert_int_equal(live, (TN_PARTS + 1) * (uint64_t)limit);
    /* the unlimited operator holds every row */
    wd_op_winfn_stats(&u->op, &held, NULL);
    assert_int_equal(held, TN_ROWS);
    for (int k = 0; k < 2; k++) assert_int_equal(h_wm(hs[k], 1000), 0);

    /* top-N == unlimited filtered by rank <= limit, row for row */
    uint32_t j = 0;
    for (uint32_t i = 0; i < u->cap.n; i++) {
        const orow *x = &u->cap.rows[i];
        if (x->c[CALL(0)].i > limit) continue;
        assert_true(j < t->cap.n);
        const orow *y = &t->cap.rows[j++];
        assert_int_equal(x->c[C_D].i, y->c[C_D].i); /* same input row */
        assert_int_equal(x->c[C_P].null, y->c[C_P].null);
        assert_int_equal(x->c[C_P].i, y->c[C_P].i);
        assert_int_equal(x->c[C_O].i, y->c[C_O].i);
        assert_string_equal(x->c[C_T].s, y->c[C_T].s); /* text copied out of the input */
        assert_int_equal(x->c[CALL(0)].i, y->c[CALL(0)].i);
    }
    assert_int_equal(j, t->cap.n);
    assert_int_equal(t->cap.nwm, 1);
    wd_op_winfn_stats(&t->op, &held, NULL);
    assert_int_equal(held, 0);

    if (kind == WD_WF_ROW_NUMBER) {
        /* brute force: per partition, the limit best (o, then arrival) */
        uint32_t got = 0;
        for (int64_t p = -1; p < (int64_t)TN_PARTS; p++) {
            /* selection of the best `limit` rows by scanning */
            uint32_t chosen[16];
            uint32_t nch = 0;
            for (int64_t r = 0; r < limit; r++) {
                int64_t best = -1;
                for (uint32_t i = 0; i < TN_ROWS; i++) {
                    bool in_p = p < 0 ? in[i].p == NUL : in[i].p == p;
                    if (!in_p) continue;
                    bool taken = false;
                    for (uint32_t c = 0; c < nch; c++) taken |= chosen[c] == i;
                    if (taken) continue;
                    if (best < 0) {
                        best = i;
                        continue;
                    }
                    int64_t a = in[i].o, b = in[best].o;
                    bool better;
                    if (a == b) /* ties: by the other columns, t then d */
                        better = strcmp(in[i].t, in[best].t) < 0 ||
                                 (strcmp(in[i].t, in[best].t) == 0 && in[i].d < in[best].d);
                    else if (a == NUL || b == NUL)
                        better = (a == NUL) == desc;
                    else
                        better = desc ? a > b : a < b;
                    if (better) best = i;
                }
                if (best >= 0) chosen[nch++] = (uint32_t)best;
            }
            /* find these rows in the output, in order, partition p */
            for (uint32_t c = 0; c < nch; c++) {
                bool found = false;
                for (uint32_t i = 0; i < t->cap.n && !found; i++)
                    if (t->cap.rows[i].c[C_D].i == (int64_t)chosen[c]) {
                        found = true;
                        assert_int_equal(t->cap.rows[i].c[CALL(0)].i, c + 1);
                    }
                assert_true(found);
                got++;
            }
        }
        assert_int_equal(got, t->cap.n);
    }
    char vals[32];
    if (vrange) snprintf(vals, sizeof vals, "< %u", vrange);
    else snprintf(vals, sizeof vals, "rising");
    printf("  top-N %s limit %lld (values %s%s): %u rows out, at most %llu rows held\n",
           kind == WD_WF_ROW_NUMBER ? "row_number" : kind == WD_WF_RANK ? "rank" : "dense_rank",
           (long long)limit, vals, desc ? ", desc" : "", t->cap.n,
           (unsigned long long)max_held);
    h_free(t);
    h_free(u);
    wd_free(in);
}

static void test_topn_row_number(void **state)
{
    topn_case(WD_WF_ROW_NUMBER, 2, 1000000, false);
    topn_case(WD_WF_ROW_NUMBER, 2, 30, true); /* many ties: other columns decide */
    topn_case(WD_WF_ROW_NUMBER, 3, 0, true);  /* every row displaces one: compaction */
}

static void test_topn_rank(void **state)
{
    topn_case(WD_WF_RANK, 2, 1000000, false);
    topn_case(WD_WF_RANK, 3, 20, true);
    topn_case(WD_WF_RANK, 2, 3, false);
    topn_case(WD_WF_RANK, 4, 0, true);
}

static void test_topn_dense_rank(void **state)
{
    topn_case(WD_WF_DENSE_RANK, 2, 1000000, true);
    topn_case(WD_WF_DENSE_RANK, 3, 20, false);
    topn_case(WD_WF_DENSE_RANK, 2, 0, true);
}

/* The output does not depend on the order rows arrive in, ties included:
 * the same rows forwards and backwards give the same rows, row numbers and
 * order, with and without a limit. */
static void test_arrival_order_independent(void **state)
{
    uint32_t n = 20000;
    irow *in = topn_input(n, 5), *rev = wd_malloc(n * sizeof *rev);
    for (uint32_t i = 0; i < n; i++) rev[i] = in[n - 1 - i];
    for (int64_t limit = 0; limit <= 3; limit += 3) {
        harness *hs[2] = {h_new(), h_new()};
        for (int k = 0; k < 2; k++) {
            hs[k]->part[0] = C_P;
            hs[k]->order[0] = (wd_sort_key){C_O, false, false};
            hs[k]->calls[0].kind = WD_WF_ROW_NUMBER;
            wd_error err = {0};
            assert_int_equal(h_open(hs[k], 1, 1, 1, limit, &err), 0);
            const irow *src = k ? rev : in;
            for (uint32_t off = 0; off < n; off += 500)
                assert_int_equal(h_push(hs[k], src + off, 500), 0);
            assert_int_equal(h_end(hs[k]), 0);
        }
        assert_int_equal(hs[0]->cap.n, hs[1]->cap.n);
        assert_int_equal(hs[0]->cap.n, limit ? 98 * 3 : n);
        for (uint32_t i = 0; i < hs[0]->cap.n; i++) {
            const orow *x = &hs[0]->cap.rows[i], *y = &hs[1]->cap.rows[i];
            assert_int_equal(x->c[C_D].i, y->c[C_D].i);
            assert_int_equal(x->c[CALL(0)].i, y->c[CALL(0)].i);
        }
        h_free(hs[0]);
        h_free(hs[1]);
    }
    wd_free(in);
    wd_free(rev);
}

/* Hand-checked top-N with ties across batches and two timestamps. */
static void test_topn_small(void **state)
{
    harness *h = h_new();
    h->part[0] = C_P;
    h->order[0] = (wd_sort_key){C_O, true, true};
    h->calls[0].kind = WD_WF_RANK;
    wd_error err = {0};
    assert_int_equal(h_open(h, 1, 1, 1, 2, &err), 0);
    irow a[] = {{1, 5, "a", 0, 10}, {1, 7, "b", 0, 10}, {1, 7, "c", 0, 10}, {2, 1, "x", 0, 20}};
    irow b[] = {{1, 9, "d", 0, 10}, {1, 6, "e", 0, 10}, {2, 2, "y", 0, 20}, {2, 2, "z", 0, 20}};
    assert_int_equal(h_push(h, a, 4), 0);
    assert_int_equal(h_push(h, b, 4), 0);
    assert_int_equal(h_end(h), 0);
    /* ts 10, p 1: 9 (1), 7 7 (2 2); ts 20, p 2: 2 2 (1 1) */
    const char *want[] = {"d", "b", "c", "y", "z"};
    int64_t rk[] = {1, 2, 2, 1, 1};
    assert_int_equal(h->cap.n, 5);
    for (uint32_t i = 0; i < 5; i++) {
        assert_string_equal(h->cap.rows[i].c[C_T].s, want[i]);
        expect_i(&h->cap.rows[i].c[CALL(0)], rk[i]);
    }
    h_free(h);
}

/* ---- tests: q5's shape: STRUCT window partition, LIST columns ------------ */

typedef struct qrow {
    int64_t wstart, auction, cnt; /* cnt NUL: NULL */
    const char *tags;             /* comma-separated; NULL: a NULL list */
} qrow;

#define W_NS (10 * WD_NS_PER_SEC)

static const wd_type *q5_schema(wd_arena *a)
{
    wd_field wf[2] = {{"start", WD_TYPE_TIMESTAMP, false}, {"end", WD_TYPE_TIMESTAMP, false}};
    wd_field f[4] = {{"window", wd_type_struct(a, 2, wf), false},
                     {"auction", WD_TYPE_INT64, false},
                     {"count", WD_TYPE_INT64, true},
                     {"tags", wd_type_list(a, WD_TYPE_TEXT), true}};
    return wd_schema_make(a, 4, f);
}

static wd_batch *q5_batch(const wd_type *schema, const qrow *rows, uint32_t n)
{
    wd_batch *b = wd_batch_new(schema, n);
    wd_col *w = &b->cols[0], *tags = &b->cols[3];
    uint32_t *off = tags->data, ne = 0;
    wd_col_reserve(tags->child, 64, &b->arena);
    for (uint32_t i = 0; i < n; i++) {
        ((int64_t *)w->child[0].data)[i] = rows[i].wstart;
        ((int64_t *)w->child[1].data)[i] = rows[i].wstart + W_NS;
        ((int64_t *)b->cols[1].data)[i] = rows[i].auction;
        ((int64_t *)b->cols[2].data)[i] = rows[i].cnt == NUL ? 0 : rows[i].cnt;
        if (rows[i].cnt == NUL) wd_col_set_null(&b->cols[2], i, &b->arena);
        wd_batch_ts(b)[i] = rows[i].wstart + W_NS - 1;
        if (!rows[i].tags) {
            wd_col_set_null(tags, i, &b->arena);
        } else {
            for (const char *p = rows[i].tags; *p;) {
                const char *q = strchr(p, ',');
                size_t len = q ? (size_t)(q - p) : strlen(p);
                ((wd_str *)tags->child->data)[ne++] = wd_str_copy(&b->arena, p, len);
                p += len + (q != NULL);
            }
        }
        off[i + 1] = ne;
    }
    b->nrows = n;
    wd_batch_seal(b);
    return b;
}

static void test_q5_shape(void **state)
{
    static const qrow a[] = {{0, 1, 5, "a,b"}, {0, 2, 9, "c"}, {0, 3, 5, ""},
                             {0, 4, 1, "d,e,f"}, {0, 5, 7, NULL}};
    static const qrow b[] = {{0, 6, 9, "g"}, {2 * WD_NS_PER_SEC, 1, 3, "k"},
                             {0, 7, 2, "h"}, {2 * WD_NS_PER_SEC, 2, 4, "l"},
                             {2 * WD_NS_PER_SEC, 3, 4, "m,n"}, {0, 8, 12, "i,j"},
                             {2 * WD_NS_PER_SEC, 4, NUL, "o"}};
    wd_error err = {0};
    for (int topn = 1; topn >= 0; topn--) {
        harness *h = h_new();
        h->in_schema = q5_schema(&h->arena);
        h->in_schemas[0] = h->in_schema;
        h->part[0] = 0;                                  /* PARTITION BY window */
        h->order[0] = (wd_sort_key){2, true, true};      /* ORDER BY count DESC */
        h->calls[0].kind = WD_WF_ROW_NUMBER;
        h->calls[1] = (wd_wf_call){.kind = WD_WF_LAG, .arg_col = 3, .offset = 1, .default_col = -1};
        assert_int_equal(h_open(h, 1, 1, topn ? 1 : 2, topn ? 3 : 0, &err), 0);
        wd_batch *x = q5_batch(h->in_schema, a, 5), *y = q5_batch(h->in_schema, b, 7);
        assert_int_equal(wd_op_push_batch(&h->op, 0, x, &err), 0);
        assert_int_equal(wd_op_push_batch(&h->op, 0, y, &err), 0);
        wd_batch_release(x);
        wd_batch_release(y);
        assert_int_equal(h_wm(h, W_NS - 1), 0); /* the first window only */
        uint32_t first = h->cap.n;
        assert_int_equal(first, topn ? 3 : 8);
        assert_int_equal(h_end(h), 0);
        struct { int64_t w, auction, rn; const char *tags, *lag; } want[] = {
            {0, 8, 1, "i,j", NULL}, {0, 2, 2, "c", "i,j"}, {0, 6, 3, "g", "c"},
            {0, 5, 4, NULL, "g"}, {0, 1, 5, "a,b", NULL}, {0, 3, 6, "", "a,b"},
            {0, 7, 7, "h", ""}, {0, 4, 8, "d,e,f", "h"},
            {2, 4, 1, "o", NULL}, {2, 2, 2, "l", "o"}, {2, 3, 3, "m,n", "l"}, {2, 1, 4, "k", "m,n"},
        };
        uint32_t j = 0;
        for (uint32_t i = 0; i < 12; i++) {
            if (topn && want[i].rn > 3) continue;
            const orow *o = &h->cap.rows[j++];
            assert_int_equal(o->c[0].i, want[i].w * WD_NS_PER_SEC);
            assert_int_equal(o->c[1].i, want[i].auction);
            assert_int_equal(o->ts, want[i].w * WD_NS_PER_SEC + W_NS - 1);
            expect_i(&o->c[CALL(0)], want[i].rn);
            if (want[i].tags) assert_string_equal(o->c[3].s, want[i].tags);
            else assert_true(o->c[3].null);
            if (topn) continue;
            if (want[i].lag) assert_string_equal(o->c[CALL(1)].s, want[i].lag);
            else assert_true(o->c[CALL(1)].null);
        }
        assert_int_equal(j, h->cap.n);
        h_free(h);
    }
}

/* ---- tests: late rows, end, errors -------------------------------------- */

static void test_late_rows_and_end(void **state)
{
    harness *h = h_new();
    h->calls[0].kind = WD_WF_ROW_NUMBER;
    wd_error err = {0};
    assert_int_equal(h_open(h, 0, 0, 1, 0, &err), 0);
    assert_int_equal(h_wm(h, 1000), 0);
    irow in[] = {{0, 1, "late", 0, 900}, {0, 2, "ok", 0, 2000}, {0, 3, "edge", 0, 1000}};
    assert_int_equal(h_push(h, in, 3), 0);
    assert_int_equal(h->op.metrics.late_dropped, 2);
    assert_int_equal(h->cap.n, 0);
    assert_int_equal(h_end(h), 0);
    assert_int_equal(h->cap.n, 1);
    assert_string_equal(h->cap.rows[0].c[C_T].s, "ok");
    expect_i(&h->cap.rows[0].c[CALL(0)], 1);
    assert_int_equal(h->cap.nwm, 1); /* only the one pushed */
    h_free(h);

    /* top-N late rows too; an empty watermark passes through */
    h = h_new();
    h->order[0] = (wd_sort_key){C_O, false, false};
    h->calls[0].kind = WD_WF_ROW_NUMBER;
    assert_int_equal(h_open(h, 0, 1, 1, 1, &err), 0);
    assert_int_equal(h_wm(h, 1000), 0);
    assert_int_equal(h_push(h, in, 3), 0);
    assert_int_equal(h->op.metrics.late_dropped, 2);
    assert_int_equal(h_wm(h, 1500), 0);
    assert_int_equal(h->cap.nwm, 2);
    assert_int_equal(h->cap.n, 0);
    assert_int_equal(h_wm(h, 2000), 0);
    assert_int_equal(h->cap.n, 1);
    h_free(h);
}

static void test_bad_specs(void **state)
{
    wd_error err = {0};
    harness *h = h_new();
    h->calls[0] = (wd_wf_call){.kind = WD_WF_LAG, .arg_col = C_O, .offset = 1, .default_col = -1};
    assert_int_equal(h_open(h, 0, 0, 1, 5, &err), WD_EPLAN); /* a limit over LAG */
    assert_null(h->op.state);
    h_free(h);

    h = h_new();
    h->part[0] = 42;
    h->calls[0].kind = WD_WF_ROW_NUMBER;
    wd_err_clear(&err);
    assert_int_equal(h_open(h, 1, 0, 1, 0, &err), WD_EPLAN);
    assert_non_null(strstr(err.msg, "partition column"));
    h_free(h);

    h = h_new();
    wd_agg_spec d = {.fn = &tsum_fn, .ret = WD_TYPE_INT64, .arg_col = C_O, .arg2_col = -1,
                     .filter_col = -1, .distinct = true};
    h->calls[0] = (wd_wf_call){.kind = WD_WF_AGG, .agg = d};
    wd_err_clear(&err);
    assert_int_equal(h_open(h, 0, 0, 1, 0, &err), WD_EUNSUPPORTED);
    h_free(h);

    /* retractions are refused, not misread */
    h = h_new();
    h->calls[0].kind = WD_WF_ROW_NUMBER;
    wd_err_clear(&err);
    assert_int_equal(h_open(h, 0, 0, 1, 0, &err), 0);
    irow in[] = {{0, 1, "a", 0, 5}};
    wd_batch *b = make_batch(h, in, 1);
    b->retract = wd_batch_alloc(b, 1);
    b->retract[0] = 1;
    assert_int_equal(wd_op_push_batch(&h->op, 0, b, &err), WD_EUNSUPPORTED);
    wd_batch_release(b);
    h_free(h);
}

/* Constant columns in the input are expanded; big windows go out in
 * batches of bounded size. */
static void test_const_and_chunks(void **state)
{
    harness *h = h_new();
    h->order[0] = (wd_sort_key){C_O, true, true};
    h->calls[0].kind = WD_WF_ROW_NUMBER;
    wd_error err = {0};
    assert_int_equal(h_open(h, 0, 1, 1, 0, &err), 0);
    uint32_t n = 5000;
    irow *in = wd_malloc(n * sizeof *in);
    for (uint32_t i = 0; i < n; i++) in[i] = (irow){0, (int64_t)i, "t", 0, 77};
    wd_batch *b = make_batch(h, in, n);
    /* make p a constant column holding 4 */
    wd_col *pc = &b->cols[C_P];
    ((int64_t *)pc->data)[0] = 4;
    pc->flags |= WD_COL_CONST;
    assert_int_equal(wd_op_push_batch(&h->op, 0, b, &err), 0);
    wd_batch_release(b);
    assert_int_equal(h_end(h), 0);
    assert_int_equal(h->cap.n, n);
    assert_true(h->cap.max_batch <= 1024);
    for (uint32_t i = 0; i < n; i++) {
        expect_i(&h->cap.rows[i].c[C_P], 4);
        expect_i(&h->cap.rows[i].c[C_O], (int64_t)(n - 1 - i));
        expect_i(&h->cap.rows[i].c[CALL(0)], i + 1);
    }
    wd_free(in);
    h_free(h);
}

/* ---- tests: the row sort -------------------------------------------------- */

static const wd_col *g_cols;
static const wd_sort_key *g_keys;
static uint32_t g_nkeys;

static int ref_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    int c = wd_row_cmp(g_cols, g_keys, g_nkeys, x, y);
    return c ? c : (x > y) - (x < y);
}

static void test_sort_rows(void **state)
{
    harness *h = h_new();
    uint32_t n = 3000;
    irow *in = wd_malloc(n * sizeof *in);
    static const char *words[] = {"apple", "apple pie", "apples", "b", "", "applesauce1",
                                  "applesauce2", "zz"};
    for (uint32_t i = 0; i < n; i++) {
        uint64_t r = rnd();
        in[i].p = r % 7 == 0 ? NUL : (int64_t)(r % 5) - 2;
        in[i].o = (r >> 8) % 11 == 0 ? NUL : (int64_t)((r >> 16) % 100000) - 50000;
        in[i].t = (r >> 32) % 13 == 0 ? NULL : words[(r >> 40) % 8];
        in[i].d = (int64_t)(r >> 50) % 3;
        in[i].ts = 0;
    }
    wd_batch *b = make_batch(h, in, n);
    wd_sort_key sets[][3] = {
        {{C_O, false, false}},
        {{C_O, true, true}},
        {{C_T, false, true}, {C_D, true, false}},
        {{C_P, true, false}, {C_T, true, true}, {C_O, false, false}},
        {{C_D, false, false}},
    };
    uint32_t nk[] = {1, 1, 2, 3, 1};
    uint32_t *idx = wd_malloc(n * sizeof *idx), *ref = wd_malloc(n * sizeof *ref);
    for (uint32_t s = 0; s < 5; s++) {
        for (uint32_t i = 0; i < n; i++) idx[i] = ref[i] = (i * 7919u) % n; /* shuffled */
        g_cols = b->cols;
        g_keys = sets[s];
        g_nkeys = nk[s];
        qsort(ref, n, sizeof *ref, ref_cmp);
        wd_sort_rows(b->cols, sets[s], nk[s], idx, n);
        assert_memory_equal(idx, ref, n * sizeof *idx);
        /* small inputs take the comparator path */
        for (uint32_t i = 0; i < 20; i++) idx[i] = ref[i] = (i * 13u) % 20;
        qsort(ref, 20, sizeof *ref, ref_cmp);
        wd_sort_rows(b->cols, sets[s], nk[s], idx, 20);
        assert_memory_equal(idx, ref, 20 * sizeof *idx);
    }
    /* no keys: ascending indexes */
    for (uint32_t i = 0; i < n; i++) idx[i] = n - 1 - i;
    wd_sort_rows(b->cols, NULL, 0, idx, n);
    for (uint32_t i = 0; i < n; i++) assert_int_equal(idx[i], i);
    /* value order details */
    assert_true(wd_value_cmp(&b->cols[C_O], 0, &b->cols[C_O], 0) == 0);
    wd_free(idx);
    wd_free(ref);
    wd_free(in);
    wd_batch_release(b);
    h_free(h);
}

/* ---- micro-benchmark --------------------------------------------------- */

#if defined(__SANITIZE_ADDRESS__)
#define BENCH_ROWS 1000000u
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BENCH_ROWS 1000000u
#endif
#endif
#ifndef BENCH_ROWS
#define BENCH_ROWS 10000000u
#endif

static void bench_case(int64_t limit, uint32_t rows, uint32_t parts)
{
    harness *h = h_new();
    h->record = false;
    h->part[0] = C_P;
    h->order[0] = (wd_sort_key){C_O, true, true};
    h->calls[0].kind = WD_WF_ROW_NUMBER;
    wd_error err = {0};
    assert_int_equal(h_open(h, 1, 1, 1, limit, &err), 0);
    /* fresh batches of 1024 rows; only the operator's work is timed */
    enum { R = 1024 };
    int64_t busy = 0;
    uint64_t held_max = 0;
    for (uint32_t off = 0, k = 0; off < rows; off += R, k++) {
        wd_batch *b = wd_batch_new(h->in_schema, R);
        int64_t *p = b->cols[C_P].data, *o = b->cols[C_O].data, *d = b->cols[C_D].data;
        wd_str *t = b->cols[C_T].data;
        for (uint32_t i = 0; i < R; i++) {
            uint64_t r = rnd();
            p[i] = (int64_t)(r % parts);
            o[i] = (int64_t)((r >> 20) % 1000000);
            d[i] = off + i;
            t[i] = wd_str_make("auction", 7);
            wd_batch_ts(b)[i] = 5000;
        }
        b->nrows = R;
        wd_batch_seal(b);
        int64_t a0 = wd_mono_ns();
        assert_int_equal(wd_op_push_batch(&h->op, 0, b, &err), 0);
        busy += wd_mono_ns() - a0;
        wd_batch_release(b);
        if ((k & 255) == 0) {
            uint64_t held;
            wd_op_winfn_stats(&h->op, &held, NULL);
            if (held > held_max) held_max = held;
        }
    }
    int64_t t1 = wd_mono_ns();
    assert_int_equal(h_wm(h, 5000), 0);
    int64_t t2 = wd_mono_ns();
    if (limit) assert_int_equal(h->rows_seen, (uint64_t)limit * parts);
    else assert_int_equal(h->rows_seen, (rows + R - 1) / R * R);
    double s = (double)(busy + t2 - t1) / 1e9;
    printf("  bench %s over %u rows in %u partitions: %.3f s (ingest %.3f s, fire %.3f s), "
           "%.1f M rows/s, max held %llu rows\n",
           limit ? "top-5 row_number" : "row_number (no limit)", rows, parts, s,
           (double)busy / 1e9, (double)(t2 - t1) / 1e9, rows / s / 1e6,
           (unsigned long long)held_max);
    h_free(h);
}

static void test_bench(void **state)
{
    bench_case(5, BENCH_ROWS, 1000);
    bench_case(0, BENCH_ROWS / 10, 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranks_ties_nulls),
        cmocka_unit_test(test_desc_nulls_partitions),
        cmocka_unit_test(test_timestamps_in_order),
        cmocka_unit_test(test_lag_lead),
        cmocka_unit_test(test_running_sum_peers),
        cmocka_unit_test(test_topn_small),
        cmocka_unit_test(test_arrival_order_independent),
        cmocka_unit_test(test_q5_shape),
        cmocka_unit_test(test_topn_row_number),
        cmocka_unit_test(test_topn_rank),
        cmocka_unit_test(test_topn_dense_rank),
        cmocka_unit_test(test_late_rows_and_end),
        cmocka_unit_test(test_bad_specs),
        cmocka_unit_test(test_const_and_chunks),
        cmocka_unit_test(test_sort_rows),
        cmocka_unit_test(test_bench),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
