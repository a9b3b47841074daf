/*
 * test_topn.c — the updating top-N (wd_op_topn_vt) driven directly: random
 * input (NULL partition and order keys, ties on the order keys and whole
 * identical rows, batches of every size) checked after every batch against
 * a brute force — the changes emitted so far, applied in order (never
 * retracting what is not there), are the first N rows of each partition
 * with their row numbers — for top-1 and top-3, ascending and descending,
 * row number visible and hidden, with and without partitions; within one
 * batch's output retractions come first, and with the row number hidden
 * no row is retracted and inserted again; memory stays bounded by the
 * limit; the TTL forgets idle partitions without retracting; an updating
 * input, constant columns and bad specs; and a printed micro-benchmark
 * (top-1 over 10M rows in 100,000 partitions).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch/batch.h"
#include "common/alloc.h"
#include "ops/aggregate.h"
#include "ops/op.h"

#define NUL INT64_MIN /* a NULL value */

/* An input row: partition p, order key o, text "s<s>", d; event time ts. */
typedef struct row {
    int64_t p, o, s, d, ts;
} row;

/* An output row: the input row and its row number. */
typedef struct orow {
    row r;
    int64_t rn;
} orow;

typedef struct tn {
    wd_arena arena;
    const wd_type *in[1];
    wd_node node;
    wd_winfn_spec spec;
    wd_wf_call call;
    wd_sort_key order[2];
    int part[1];
    wd_op op;
    /* the folded output */
    orow *live;
    uint32_t nlive, cap;
    /* the last input batch's output: retractions seen after an insert,
     * rows retracted and inserted again */
    bool ins_seen, bad_order, reinserted;
    orow *batch;
    uint32_t nbatch, capbatch;
    bool record;
    uint64_t out_rows;
} tn;

static uint64_t rs = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

static int64_t cell(const wd_col *c, uint32_t i)
{
    if (!wd_col_valid(c, i)) return NUL;
    if (c->type->id == WD_T_TEXT) {
        wd_str s = WD_COL_GET(c, wd_str, i);
        char buf[24];
        assert_true(s.len >= 2 && s.len < sizeof buf && s.ptr[0] == 's');
        memcpy(buf, s.ptr + 1, s.len - 1);
        buf[s.len - 1] = 0;
        return strtoll(buf, NULL, 10);
    }
    return WD_COL_GET(c, int64_t, i);
}

static bool row_eq(const orow *a, const orow *b) { return !memcmp(a, b, sizeof *a); }

static int out_batch(void *ctx, wd_batch *b, wd_error *err)
{
    tn *t = ctx;
    t->out_rows += b->nrows;
    if (!t->record) return 0;
    const int64_t *ts = wd_batch_ts(b);
    for (uint32_t i = 0; i < b->nrows; i++) {
        orow o = {{cell(&b->cols[0], i), cell(&b->cols[1], i), cell(&b->cols[2], i),
                   cell(&b->cols[3], i), ts[i]},
                  cell(&b->cols[4], i)};
        bool ret = b->retract && b->retract[i];
        if (ret && t->ins_seen) t->bad_order = true;
        t->ins_seen |= !ret;
        if (!ret)
            for (uint32_t k = 0; k < t->nbatch; k++) t->reinserted |= row_eq(&t->batch[k], &o);
        if (ret) {
            if (t->nbatch == t->capbatch) {
                t->capbatch = t->capbatch ? t->capbatch * 2 : 64;
                t->batch = realloc(t->batch, sizeof(orow) * t->capbatch);
            }
            t->batch[t->nbatch++] = o;
            uint32_t k = 0;
            while (k < t->nlive && !row_eq(&t->live[k], &o)) k++;
            if (k == t->nlive)
                fail_msg("retraction of a row not there (p %lld o %lld d %lld rn %lld)",
                         (long long)o.r.p, (long long)o.r.o, (long long)o.r.d, (long long)o.rn);
            t->live[k] = t->live[--t->nlive];
        } else {
            if (t->nlive == t->cap) {
                t->cap = t->cap ? t->cap * 2 : 64;
                t->live = realloc(t->live, sizeof(orow) * t->cap);
            }
            t->live[t->nlive++] = o;
        }
    }
    return 0;
}

static int out_wm(void *ctx, int64_t wm, wd_error *err) { return 0; }

/* An operator: top limit by o (desc: DESC NULLS FIRST, else ASC NULLS
 * LAST) then d, per p unless global; hidden: the row number not read. */
static tn *tn_new(int64_t limit, bool desc, bool hidden, bool global, int64_t ttl)
{
    tn *t = calloc(1, sizeof *t);
    wd_arena_init(&t->arena, 0);
    wd_field f[5] = {{"p", WD_TYPE_INT64, true}, {"o", WD_TYPE_INT64, true},
                     {"s", WD_TYPE_TEXT, true},  {"d", WD_TYPE_INT64, true},
                     {"rn", WD_TYPE_INT64, true}};
    t->in[0] = wd_schema_make(&t->arena, 4, f);
    t->part[0] = 0;
    t->order[0] = (wd_sort_key){1, desc, desc};
    t->order[1] = (wd_sort_key){3, false, false};
    t->call = (wd_wf_call){.kind = WD_WF_ROW_NUMBER, .ret = WD_TYPE_INT64};
    t->spec = (wd_winfn_spec){.npart = global ? 0 : 1, .part_cols = t->part, .norder = 2,
                              .order = t->order, .ncalls = 1, .calls = &t->call, .limit = limit,
                              .updating = true, .rank_hidden = hidden, .ttl_ns = ttl};
    t->node = (wd_node){.kind = WD_N__OTHER, .name = "top_n", .parallelism = 1, .ninputs = 1,
                        .in_schemas = t->in, .out_schema = wd_schema_make(&t->arena, 5, f),
                        .vt = &wd_op_topn_vt, .spec = &t->spec, .updating = true};
    t->op = (wd_op){.vt = &wd_op_topn_vt, .node = &t->node, .parallelism = 1,
                    .watermark = INT64_MIN};
    t->op.out = (wd_op_out){.batch = out_batch, .watermark = out_wm, .ctx = t};
    t->record = true;
    wd_error err = {0};
    if (wd_op_topn_vt.open(&t->op, &err) != 0) fail_msg("open: %s", err.msg);
    return t;
}

static void tn_free(tn *t)
{
    wd_op_topn_vt.close(&t->op);
    wd_arena_free(&t->arena);
    free(t->live);
    free(t->batch);
    free(t);
}

static wd_batch *mk_batch(const tn *t, const row *r, uint32_t n)
{
    wd_batch *b = wd_batch_new(t->in[0], n ? n : 1);
    for (uint32_t i = 0; i < n; i++) {
        int64_t v[4] = {r[i].p, r[i].o, r[i].s, r[i].d};
        for (uint32_t c = 0; c < 4; c++) {
            if (v[c] == NUL) {
                wd_col_set_null(&b->cols[c], i, &b->arena);
            } else if (c == 2) {
                char buf[24];
                int len = snprintf(buf, sizeof buf, "s%lld", (long long)v[c]);
                ((wd_str *)b->cols[c].data)[i] = wd_str_copy(&b->arena, buf, (size_t)len);
            } else {
                ((int64_t *)b->cols[c].data)[i] = v[c];
            }
        }
        ((int64_t *)b->cols[4].data)[i] = r[i].ts;
    }
    b->nrows = n;
    wd_batch_seal(b);
    return b;
}

static int push(tn *t, const row *r, uint32_t n)
{
    t->ins_seen = t->bad_order = t->reinserted = false;
    t->nbatch = 0;
    wd_batch *b = mk_batch(t, r, n);
    wd_error err = {0};
    int rc = wd_op_push_batch(&t->op, 0, b, &err);
    wd_batch_release(b); /* the operator copies what it keeps */
    return rc;
}

/* ---- the brute force ------------------------------------------------------------ */

static const tn *cur; /* for the comparators */

static int cmp_null_last(int64_t a, int64_t b)
{
    if (a == b) return 0;
    if (a == NUL) return 1;
    if (b == NUL) return -1;
    return a < b ? -1 : 1;
}

/* The operator's row order within a partition. */
static int cmp_order(const void *x, const void *y)
{
    const row *a = x, *b = y;
    if (cur->spec.npart && a->p != b->p) return cmp_null_last(a->p, b->p);
    int c;
    if (cur->order[0].desc) { /* DESC NULLS FIRST */
        c = a->o == b->o ? 0 : a->o == NUL ? -1 : b->o == NUL ? 1 : a->o > b->o ? -1 : 1;
    } else {
        c = cmp_null_last(a->o, b->o);
    }
    if (c || (c = cmp_null_last(a->d, b->d))) return c;
    /* then every column */
    if ((c = cmp_null_last(a->p, b->p)) || (c = cmp_null_last(a->o, b->o)) ||
        (c = cmp_null_last(a->s, b->s)) || (c = cmp_null_last(a->d, b->d)))
        return c;
    return cmp_null_last(a->ts, b->ts);
}

static int cmp_orow(const void *x, const void *y)
{
    const orow *a = x, *b = y;
    int c = cmp_order(&a->r, &b->r);
    return c ? c : (a->rn > b->rn) - (a->rn < b->rn);
}

/* The output the rows seen[0..n) should have left. */
static orow *expected(const tn *t, const row *seen, uint32_t n, uint32_t *m)
{
    cur = t;
    row *s = malloc(sizeof(row) * (n + 1));
    memcpy(s, seen, sizeof(row) * n);
    qsort(s, n, sizeof(row), cmp_order);
    orow *o = malloc(sizeof(orow) * (n + 1));
    uint32_t k = 0;
    int64_t rn = 0;
    for (uint32_t i = 0; i < n; i++) {
        rn = i > 0 && (!t->spec.npart || s[i].p == s[i - 1].p) ? rn + 1 : 1;
        if (rn <= t->spec.limit) o[k++] = (orow){s[i], t->spec.rank_hidden ? 1 : rn};
    }
    free(s);
    *m = k;
    return o;
}

static void expect_live(tn *t, const row *seen, uint32_t n, const char *what)
{
    uint32_t m;
    orow *want = expected(t, seen, n, &m);
    cur = t;
    qsort(t->live, t->nlive, sizeof(orow), cmp_orow);
    if (t->nlive != m) fail_msg("%s: %u rows live, want %u", what, t->nlive, m);
    for (uint32_t i = 0; i < m; i++)
        if (!row_eq(&t->live[i], &want[i]))
            fail_msg("%s: row %u: (p %lld o %lld d %lld rn %lld), want (p %lld o %lld d %lld "
                     "rn %lld)", what, i, (long long)t->live[i].r.p, (long long)t->live[i].r.o,
                     (long long)t->live[i].r.d, (long long)t->live[i].rn,
                     (long long)want[i].r.p, (long long)want[i].r.o, (long long)want[i].r.d,
                     (long long)want[i].rn);
    free(want);
}

/* ---- tests ------------------------------------------------------------------------ */

/* n random rows over nk partitions in batches of 1..bs, checked after each. */
static void random_run(int64_t limit, bool desc, bool hidden, bool global, uint32_t n,
                       uint32_t bs, uint32_t nk, uint64_t seed)
{
    rs = seed;
    tn *t = tn_new(limit, desc, hidden, global, 0);
    row *seen = malloc(sizeof(row) * (n + bs));
    uint32_t ns = 0;
    char what[96];
    while (ns < n) {
        uint32_t m = 1 + (uint32_t)(rnd() % bs);
        for (uint32_t i = 0; i < m; i++) {
            row *r = &seen[ns + i];
            r->p = rnd() % 20 == 0 ? NUL : (int64_t)(rnd() % nk);
            r->o = rnd() % 15 == 0 ? NUL : (int64_t)(rnd() % 12);
            r->s = rnd() % 10 == 0 ? NUL : (int64_t)(rnd() % 3);
            r->d = (int64_t)(rnd() % 4);
            r->ts = (int64_t)(rnd() % 6) * 1000; /* ties on the order keys, identical rows */
        }
        assert_int_equal(push(t, seen + ns, m), 0);
        ns += m;
        snprintf(what, sizeof what, "top-%lld%s%s%s after %u rows", (long long)limit,
                 desc ? " desc" : "", hidden ? " hidden" : "", global ? " global" : "", ns);
        expect_live(t, seen, ns, what);
        if (t->bad_order) fail_msg("%s: an insert before a retraction in one batch", what);
        if (hidden && t->reinserted) fail_msg("%s: a row retracted and inserted again", what);
    }
    wd_topn_stats st;
    wd_op_topn_stats(&t->op, &st);
    assert_int_equal(st.rows, t->nlive);
    assert_true(st.rows <= st.partitions * (uint64_t)limit);
    assert_true(st.stored <= 2 * st.rows + 4096);
    free(seen);
    tn_free(t);
}

static void test_top1(void **state)
{
    random_run(1, true, true, false, 3000, 40, 25, 1);
    random_run(1, false, true, false, 3000, 3, 25, 2);
    random_run(1, true, false, false, 2000, 40, 5, 3);
}

static void test_top3(void **state)
{
    random_run(3, true, false, false, 3000, 40, 25, 4);
    random_run(3, false, true, false, 3000, 40, 25, 5);
    random_run(3, true, true, false, 2000, 1, 4, 6);
    random_run(3, false, false, false, 2000, 200, 3, 7);
}

static void test_global_and_large_limit(void **state)
{
    random_run(5, true, false, true, 1500, 30, 1, 8);
    random_run(40, false, true, false, 2000, 30, 6, 9); /* partitions below the limit */
}

/* Within a batch a row that enters and leaves emits nothing; with the row
 * number hidden, a row pushed down emits nothing either. */
static void test_no_needless_changes(void **state)
{
    row a[] = {{1, 10, 0, 0, 1}, {1, 20, 0, 1, 2}};   /* top-2 of p 1: 20, 10 */
    row b[] = {{1, 15, 0, 2, 3}, {1, 30, 0, 3, 4}, {1, 5, 0, 4, 5}};
    for (int hidden = 0; hidden < 2; hidden++) {
        tn *t = tn_new(2, true, hidden, false, 0);
        assert_int_equal(push(t, a, 2), 0);
        assert_int_equal(t->out_rows, 2);
        t->out_rows = 0;
        /* 15 enters and is pushed out by 30 in the same batch; 10 leaves; 20 moves
         * from 1 to 2 */
        assert_int_equal(push(t, b, 3), 0);
        assert_int_equal(t->out_rows, hidden ? 2 : 4);
        tn_free(t);
    }
}

/* A partition without rows for the TTL is forgotten (no retraction): a
 * worse row for it afterwards starts a new top 1.  One fed every tick stays. */
static void test_ttl(void **state)
{
    tn *t = tn_new(1, true, true, false, 1000);
    wd_error err = {0};
    row top = {1, 100, 0, 0, 1}, worse = {1, 1, 0, 1, 2};
    for (int64_t now = 0; now <= 3000; now += 50) {
        assert_int_equal(wd_op_topn_vt.on_tick(&t->op, now, &err), 0);
        if (now == 100) assert_int_equal(push(t, &top, 1), 0);
        row keep = {2, now, 0, 0, now};
        assert_int_equal(push(t, &keep, 1), 0);
        if (now == 800) { /* not expired yet: the worse row is not kept */
            uint32_t before = t->nlive;
            assert_int_equal(push(t, &worse, 1), 0);
            assert_int_equal(t->nlive, before);
        }
    }
    wd_topn_stats st;
    wd_op_topn_stats(&t->op, &st);
    assert_int_equal(st.partitions, 1); /* p 1 went, p 2 stays */
    uint32_t before = t->nlive;
    assert_int_equal(push(t, &worse, 1), 0);
    assert_int_equal(t->nbatch, 0);          /* nothing retracted */
    assert_int_equal(t->nlive, before + 1);  /* the old top is still downstream */
    tn_free(t);
}

/* Expired partitions leave the group table once they outnumber live ones. */
static void test_ttl_many(void **state)
{
    tn *t = tn_new(2, false, false, false, 1000);
    t->record = false;
    wd_error err = {0};
    row *r = malloc(sizeof(row) * 10000);
    for (uint32_t i = 0; i < 10000; i++) r[i] = (row){i, i % 7, 1, 0, i};
    assert_int_equal(wd_op_topn_vt.on_tick(&t->op, 0, &err), 0);
    assert_int_equal(push(t, r, 10000), 0);
    for (int64_t now = 50; now <= 3000; now += 50)
        assert_int_equal(wd_op_topn_vt.on_tick(&t->op, now, &err), 0);
    wd_topn_stats st;
    wd_op_topn_stats(&t->op, &st);
    assert_int_equal(st.partitions, 0);
    assert_int_equal(st.rows, 0);
    /* and the operator works on */
    t->record = true;
    assert_int_equal(push(t, r, 3), 0);
    assert_int_equal(t->nlive, 3);
    free(r);
    tn_free(t);
}

/* Constant columns are expanded; retractions in the input are refused. */
static void test_const_and_updating_input(void **state)
{
    tn *t = tn_new(1, true, false, false, 0);
    row r[] = {{7, 1, 0, 0, 1}, {7, 3, 0, 1, 2}, {7, 2, 0, 2, 3}};
    wd_batch *b = mk_batch(t, r, 3);
    wd_batch *c = wd_batch_new_empty(t->in[0]);
    wd_batch_borrow(c, b);
    for (uint32_t f = 0; f < 5; f++) wd_col_gather(&c->cols[f], &b->cols[f], NULL, 3, &c->arena);
    c->cols[0].flags |= WD_COL_CONST; /* p = 7 for every row */
    c->nrows = 3;
    wd_error err = {0};
    assert_int_equal(wd_op_push_batch(&t->op, 0, c, &err), 0);
    assert_int_equal(t->nlive, 1);
    assert_int_equal(t->live[0].r.o, 3);
    c->retract = wd_batch_alloc(c, 3);
    memset(c->retract, 0, 3);
    c->retract[1] = 1;
    assert_int_equal(wd_op_push_batch(&t->op, 0, c, &err), WD_EUNSUPPORTED);
    wd_batch_release(c);
    wd_batch_release(b);
    tn_free(t);
}

static void test_bad_specs(void **state)
{
    for (int k = 0; k < 5; k++) {
        tn *t = calloc(1, sizeof *t);
        wd_arena_init(&t->arena, 0);
        wd_field f[5] = {{"p", WD_TYPE_INT64, true}, {"o", WD_TYPE_INT64, true},
                         {"s", WD_TYPE_TEXT, true},  {"d", WD_TYPE_INT64, true},
                         {"rn", k == 4 ? WD_TYPE_TEXT : WD_TYPE_INT64, true}};
        t->in[0] = wd_schema_make(&t->arena, 4, f);
        t->part[0] = k == 2 ? 9 : 0;
        t->order[0] = (wd_sort_key){k == 3 ? 4 : 1, false, false};
        t->call = (wd_wf_call){.kind = k == 1 ? WD_WF_RANK : WD_WF_ROW_NUMBER};
        t->spec = (wd_winfn_spec){.npart = 1, .part_cols = t->part, .norder = 1,
                                  .order = t->order, .ncalls = 1, .calls = &t->call,
                                  .limit = k == 0 ? 0 : 2, .updating = true};
        t->node = (wd_node){.kind = WD_N__OTHER, .name = "top_n", .ninputs = 1,
                            .in_schemas = t->in, .out_schema = wd_schema_make(&t->arena, 5, f),
                            .vt = &wd_op_topn_vt, .spec = &t->spec};
        t->op = (wd_op){.vt = &wd_op_topn_vt, .node = &t->node, .parallelism = 1};
        wd_error err = {0};
        assert_int_equal(wd_op_topn_vt.open(&t->op, &err), WD_EPLAN);
        assert_null(t->op.state);
        wd_arena_free(&t->arena);
        free(t);
    }
}

/* Top-1 of 10M rows over 100,000 partitions (prices rising slowly, so a
 * few percent of rows displace their partition's top). */
static void test_bench(void **state)
{
    enum { N = 10000000, P = 100000, B = 1024 };
    tn *t = tn_new(1, true, true, false, 0);
    t->record = false;
    row r[B];
    wd_batch *b[8];
    rs = 42;
    struct timespec t0, t1;
    double total = 0;
    for (uint32_t off = 0; off < N; off += B * 8) {
        for (int k = 0; k < 8; k++) {
            for (uint32_t i = 0; i < B; i++) {
                uint64_t x = rnd();
                r[i] = (row){(int64_t)(x % P), (int64_t)((x >> 20) % 1000000), 1, 0,
                             (int64_t)(off + (uint32_t)k * B + i)};
            }
            b[k] = mk_batch(t, r, B);
        }
        clock_gettime(CLOCK_MONOTONIC, &t0);
        wd_error err = {0};
        for (int k = 0; k < 8; k++) assert_int_equal(wd_op_push_batch(&t->op, 0, b[k], &err), 0);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        total += (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
        for (int k = 0; k < 8; k++) wd_batch_release(b[k]);
    }
    wd_topn_stats st;
    wd_op_topn_stats(&t->op, &st);
    print_message("  top-1 of %d rows over %d partitions: %.0f ms (%.1f M rows/s), %llu rows "
                  "out, %llu stored\n", N, P, total * 1e3, N / total / 1e6,
                  (unsigned long long)t->out_rows, (unsigned long long)st.stored);
    tn_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_top1),
        cmocka_unit_test(test_top3),
        cmocka_unit_test(test_global_and_large_limit),
        cmocka_unit_test(test_no_needless_changes),
        cmocka_unit_test(test_ttl),
        cmocka_unit_test(test_ttl_many),
        cmocka_unit_test(test_const_and_updating_input),
        cmocka_unit_test(test_bad_specs),
        cmocka_unit_test(test_bench),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
