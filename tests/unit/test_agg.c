/*
 * test_agg.c — unit tests of src/agg: the group table (integer, text,
 * multi-column, struct and list keys, NULL keys, growth to a million
 * groups, clear, decoding keys back) and every aggregate on hand-built
 * batches: NULLs, constant columns, FILTER, DISTINCT, retraction (insert
 * then retract gives back the earlier result), merge of partial states,
 * overflow to NULL, resolve() type errors and HyperLogLog accuracy.
 *
 * With WD_AGG_BENCH=1 in the environment, also times grouping 10M rows
 * over 1M distinct BIGINT keys with count(*) and prints rows/s and bytes
 * per group.
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
#include "runtime/runtime.h"

static wd_arena A;
static wd_error E;

static int setup(void **state)
{
    (void)state;
    wd_arena_init(&A, 0);
    wd_err_clear(&E);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    wd_arena_free(&A);
    return 0;
}

/* ---- column builders ---------------------------------------------------------------- */

#define NUL INT64_MIN /* marks a NULL in builder arrays */

static wd_col col_i64(const int64_t *v, uint32_t n)
{
    wd_col c;
    wd_col_init(&c, WD_TYPE_INT64, n, &A);
    for (uint32_t i = 0; i < n; i++) {
        if (v[i] == NUL)
            wd_col_set_null(&c, i, &A);
        else
            ((int64_t *)c.data)[i] = v[i];
    }
    c.len = n;
    return c;
}

static wd_col col_typed_int(const wd_type *t, const int64_t *v, uint32_t n)
{
    wd_col c;
    wd_col_init(&c, t, n, &A);
    for (uint32_t i = 0; i < n; i++) {
        if (v[i] == NUL) {
            wd_col_set_null(&c, i, &A);
            continue;
        }
        switch (t->id) {
        case WD_T_BOOL: ((uint8_t *)c.data)[i] = (uint8_t)v[i]; break;
        case WD_T_INT16: ((int16_t *)c.data)[i] = (int16_t)v[i]; break;
        case WD_T_UINT16: ((uint16_t *)c.data)[i] = (uint16_t)v[i]; break;
        case WD_T_INT32:
        case WD_T_DATE: ((int32_t *)c.data)[i] = (int32_t)v[i]; break;
        case WD_T_UINT32: ((uint32_t *)c.data)[i] = (uint32_t)v[i]; break;
        default: ((int64_t *)c.data)[i] = v[i]; break;
        }
    }
    c.len = n;
    return c;
}

static wd_col col_f64(const double *v, const uint8_t *nulls, uint32_t n)
{
    wd_col c;
    wd_col_init(&c, WD_TYPE_FLOAT64, n, &A);
    for (uint32_t i = 0; i < n; i++) {
        ((double *)c.data)[i] = v[i];
        if (nulls && nulls[i]) wd_col_set_null(&c, i, &A);
    }
    c.len = n;
    return c;
}

/* Text column; NULL entries are SQL NULLs. */
static wd_col col_text_t(const wd_type *t, const char *const *v, uint32_t n)
{
    wd_col c;
    wd_col_init(&c, t, n, &A);
    for (uint32_t i = 0; i < n; i++) {
        if (!v[i]) {
            /* wd_hash_rows reads the views of NULL rows: keep them empty */
            ((wd_str *)c.data)[i] = wd_str_make(NULL, 0);
            wd_col_set_null(&c, i, &A);
        } else {
            ((wd_str *)c.data)[i] = wd_str_make(v[i], (uint32_t)strlen(v[i]));
        }
    }
    c.len = n;
    return c;
}

static wd_col col_text(const char *const *v, uint32_t n) { return col_text_t(WD_TYPE_TEXT, v, n); }

static wd_col col_bool(const int64_t *v, uint32_t n) { return col_typed_int(WD_TYPE_BOOL, v, n); }

static wd_col col_dec(const wd_type *t, const int64_t *v, uint32_t n)
{
    wd_col c;
    wd_col_init(&c, t, n, &A);
    for (uint32_t i = 0; i < n; i++) {
        if (v[i] == NUL)
            wd_col_set_null(&c, i, &A);
        else
            ((wd_i128 *)c.data)[i] = v[i];
    }
    c.len = n;
    return c;
}

static wd_col col_const_i64(int64_t v, bool null, uint32_t n)
{
    wd_col c;
    wd_col_init(&c, WD_TYPE_INT64, 1, &A);
    ((int64_t *)c.data)[0] = v;
    if (null) wd_col_set_null(&c, 0, &A);
    c.flags |= WD_COL_CONST;
    c.len = n;
    return c;
}

static wd_batch mk_batch(wd_col *cols, uint32_t ncols, uint32_t n)
{
    wd_field f[8];
    for (uint32_t i = 0; i < ncols; i++) {
        f[i].name = "c";
        f[i].type = cols[i].type;
        f[i].nullable = true;
    }
    wd_batch b;
    memset(&b, 0, sizeof b);
    b.nrows = n;
    b.schema = wd_type_struct(&A, ncols, f);
    b.cols = cols;
    return b;
}

/* ---- aggregate harness -------------------------------------------------------------- */

typedef struct harness {
    wd_agg_spec spec;
    uint32_t stride, ngroups;
    uint8_t *st;
    wd_arena arena;
    wd_agg_ctx ctx;
} harness;

/* An aggregate over column 0 (arg_type NULL: count(*)), FILTER on column
 * `filter` (or -1), ngroups states. */
static void h_init(harness *h, const char *name, const wd_type *arg_type, bool distinct, int filter,
                   uint32_t ngroups)
{
    memset(h, 0, sizeof *h);
    h->spec.fn = wd_agg_find(name);
    assert_non_null(h->spec.fn);
    h->spec.arg_type = arg_type;
    wd_err_clear(&E);
    h->spec.ret = h->spec.fn->resolve(&A, arg_type, &E);
    if (!h->spec.ret) fail_msg("resolve %s: %s", name, E.msg);
    h->spec.distinct = distinct;
    h->spec.arg_col = arg_type ? 0 : -1;
    h->spec.arg2_col = -1;
    h->spec.filter_col = filter;
    h->stride = wd_agg_layout(&h->spec, 1);
    assert_int_equal(h->stride % 8, 0);
    h->ngroups = ngroups;
    h->st = wd_malloc((size_t)h->stride * ngroups + 8);
    h->spec.fn->init(&h->spec, h->st + h->spec.offset, h->stride, ngroups);
    wd_arena_init(&h->arena, 0);
    h->ctx.arena = &h->arena;
}

static void h_free(harness *h)
{
    wd_free(h->st);
    wd_arena_free(&h->arena);
}

static void h_apply(harness *h, wd_batch *b, const uint32_t *slots, int sign)
{
    wd_agg_apply(&h->spec, 1, &h->ctx, h->st, h->stride, b, slots, sign);
}

/* Finalize every group into a new column of the result type. */
static wd_col h_out(harness *h)
{
    wd_col out;
    wd_col_init(&out, h->spec.ret, h->ngroups, &A);
    for (uint32_t g = 0; g < h->ngroups; g++)
        h->spec.fn->finalize(&h->spec, h->st + (size_t)g * h->stride + h->spec.offset, &out, g, &A);
    out.len = h->ngroups;
    return out;
}

/* Run name over arg (all rows group 0 unless slots given) and return the result column. */
static wd_col run1(const char *name, wd_col *arg, uint32_t n, const uint32_t *slots,
                   uint32_t ngroups)
{
    harness h;
    h_init(&h, name, arg ? arg->type : NULL, false, -1, ngroups);
    uint32_t *sl = wd_malloc(sizeof *sl * (n ? n : 1));
    for (uint32_t i = 0; i < n; i++) sl[i] = slots ? slots[i] : 0;
    wd_col dummy = col_const_i64(0, false, n);
    wd_batch b = mk_batch(arg ? arg : &dummy, 1, n);
    h_apply(&h, &b, sl, 1);
    wd_col out = h_out(&h);
    wd_free(sl);
    h_free(&h);
    return out;
}

static int64_t I64(const wd_col *c, uint32_t r) { return ((const int64_t *)c->data)[r]; }
static double F64(const wd_col *c, uint32_t r) { return ((const double *)c->data)[r]; }
static bool ISNULL(const wd_col *c, uint32_t r) { return !wd_col_valid(c, r); }

/* ---- group table ----------------------------------------------------------------------- */

static void test_groups_int(void **state)
{
    (void)state;
    const wd_type *kt[] = {WD_TYPE_INT64};
    wd_groups *g = wd_groups_new(kt, 1);
    int64_t v[] = {5, 7, NUL, 5, -1, NUL, 7, 0, INT64_MAX, INT64_MIN + 1};
    wd_col k = col_i64(v, 10);
    uint32_t slots[10], nnew;
    wd_groups_lookup(g, &k, 10, NULL, slots, &nnew);
    assert_int_equal(nnew, 7);
    assert_int_equal(wd_groups_count(g), 7);
    assert_int_equal(slots[0], slots[3]);
    assert_int_equal(slots[2], slots[5]);
    assert_int_equal(slots[1], slots[6]);
    assert_int_not_equal(slots[0], slots[1]);
    assert_int_not_equal(slots[2], slots[7]);
    /* again, with precomputed hashes: the same slots, nothing new */
    uint64_t h[10];
    wd_hash_rows(&k, 1, 10, h);
    uint32_t s2[10];
    wd_groups_lookup(g, &k, 10, h, s2, &nnew);
    assert_int_equal(nnew, 0);
    assert_memory_equal(slots, s2, sizeof slots);
    /* decode round trip, appended after an existing row */
    wd_col out;
    wd_col_init(&out, WD_TYPE_INT64, 2, &A);
    ((int64_t *)out.data)[0] = 42;
    out.len = 1;
    wd_groups_keys(g, slots, 10, &out, &A);
    assert_int_equal(out.len, 11);
    assert_int_equal(I64(&out, 0), 42);
    for (uint32_t i = 0; i < 10; i++) {
        if (v[i] == NUL) {
            assert_true(ISNULL(&out, i + 1));
        } else {
            assert_false(ISNULL(&out, i + 1));
            assert_int_equal(I64(&out, i + 1), v[i]);
        }
    }
    assert_true(wd_groups_bytes(g) > 0);
    /* clear keeps memory, forgets groups */
    size_t bytes = wd_groups_bytes(g);
    wd_groups_clear(g);
    assert_int_equal(wd_groups_count(g), 0);
    assert_int_equal(wd_groups_bytes(g), bytes);
    wd_groups_lookup(g, &k, 10, NULL, s2, &nnew);
    assert_int_equal(nnew, 7);
    assert_int_equal(s2[0], 0);
    wd_groups_free(g);
}

static void test_groups_small_ints(void **state)
{
    (void)state;
    /* INT32, DATE, BOOL, UINT16 keys go through the integer path */
    const wd_type *types[] = {WD_TYPE_INT32, WD_TYPE_DATE, WD_TYPE_BOOL, WD_TYPE_UINT16,
                              WD_TYPE_UINT64};
    for (size_t t = 0; t < sizeof types / sizeof *types; t++) {
        const wd_type *kt[] = {types[t]};
        wd_groups *g = wd_groups_new(kt, 1);
        int64_t v[] = {1, 0, NUL, 1, 0, NUL};
        wd_col k = col_typed_int(types[t], v, 6);
        uint32_t slots[6], nnew;
        wd_groups_lookup(g, &k, 6, NULL, slots, &nnew);
        assert_int_equal(nnew, 3);
        assert_int_equal(slots[0], slots[3]);
        assert_int_equal(slots[2], slots[5]);
        wd_col out;
        wd_col_init(&out, types[t], 3, &A);
        uint32_t ids[] = {0, 1, 2};
        wd_groups_keys(g, ids, 3, &out, &A);
        wd_col back = out;
        uint32_t s2[3];
        wd_groups_lookup(g, &back, 3, NULL, s2, &nnew);
        assert_int_equal(nnew, 0);
        assert_int_equal(s2[0], 0);
        assert_int_equal(s2[1], 1);
        assert_int_equal(s2[2], 2);
        wd_groups_free(g);
    }
}

static void test_groups_text(void **state)
{
    (void)state;
    const wd_type *kt[] = {WD_TYPE_TEXT};
    wd_groups *g = wd_groups_new(kt, 1);
    const char *v[] = {"a", "ab", "", NULL, "abc", "a", "ab", NULL, "", "b"};
    wd_col k = col_text(v, 10);
    /* an embedded NUL must not collide with a prefix */
    ((wd_str *)k.data)[9] = wd_str_make("a\0", 2);
    uint32_t slots[10], nnew;
    wd_groups_lookup(g, &k, 10, NULL, slots, &nnew);
    assert_int_equal(nnew, 6);
    assert_int_equal(slots[0], slots[5]);
    assert_int_equal(slots[1], slots[6]);
    assert_int_equal(slots[2], slots[8]);
    assert_int_equal(slots[3], slots[7]);
    assert_int_not_equal(slots[2], slots[3]); /* '' is not NULL */
    assert_int_not_equal(slots[0], slots[9]);
    wd_col out;
    wd_col_init(&out, WD_TYPE_TEXT, 10, &A);
    wd_groups_keys(g, slots, 10, &out, &A);
    for (uint32_t i = 0; i < 10; i++) {
        if (i == 3 || i == 7) {
            assert_true(ISNULL(&out, i));
            continue;
        }
        const wd_str *s = &((wd_str *)out.data)[i], *w = &((wd_str *)k.data)[i];
        assert_int_equal(s->len, w->len);
        assert_memory_equal(s->ptr, w->ptr, s->len);
        assert_true(s->len == 0 || s->ptr != w->ptr); /* copied into the arena */
    }
    wd_groups_free(g);
}

static void test_groups_multi(void **state)
{
    (void)state;
    const wd_type *kt[] = {WD_TYPE_INT32, WD_TYPE_TEXT, WD_TYPE_FLOAT64};
    wd_groups *g = wd_groups_new(kt, 3);
    int64_t a[] = {1, 1, 1, NUL, NUL, 1, 1};
    const char *b[] = {"x", "x", "y", "x", "x", NULL, "x"};
    double c[] = {0.5, 0.5, 0.5, 0.5, 0.5, 0.5, -0.0};
    wd_col k[3] = {col_typed_int(WD_TYPE_INT32, a, 7), col_text(b, 7), col_f64(c, NULL, 7)};
    ((double *)k[2].data)[1] = 0.5;
    uint32_t slots[7], nnew;
    wd_groups_lookup(g, k, 7, NULL, slots, &nnew);
    assert_int_equal(nnew, 5);
    assert_int_equal(slots[0], slots[1]);
    assert_int_equal(slots[3], slots[4]);
    assert_int_not_equal(slots[0], slots[2]);
    assert_int_not_equal(slots[0], slots[5]);
    assert_int_not_equal(slots[0], slots[6]);
    /* -0.0 and 0.0 are one group */
    double z[] = {0.0};
    int64_t one[] = {1};
    const char *x[] = {"x"};
    wd_col k2[3] = {col_typed_int(WD_TYPE_INT32, one, 1), col_text(x, 1), col_f64(z, NULL, 1)};
    uint32_t s2;
    wd_groups_lookup(g, k2, 1, NULL, &s2, &nnew);
    assert_int_equal(nnew, 0);
    assert_int_equal(s2, slots[6]);
    /* decode */
    wd_col out[3];
    for (int i = 0; i < 3; i++) wd_col_init(&out[i], kt[i], 1, &A);
    wd_groups_keys(g, slots, 7, out, &A);
    for (int i = 0; i < 3; i++) assert_int_equal(out[i].len, 7);
    assert_true(ISNULL(&out[0], 3));
    assert_true(ISNULL(&out[1], 5));
    assert_int_equal(((int32_t *)out[0].data)[2], 1);
    assert_int_equal(((wd_str *)out[1].data)[2].len, 1);
    assert_memory_equal(((wd_str *)out[1].data)[2].ptr, "y", 1);
    assert_true(F64(&out[2], 0) == 0.5);
    wd_groups_free(g);
}

static void test_groups_struct_list(void **state)
{
    (void)state;
    wd_field f[2] = {{"a", WD_TYPE_INT64, true}, {"b", WD_TYPE_TEXT, true}};
    const wd_type *st = wd_type_struct(&A, 2, f);
    const wd_type *lt = wd_type_list(&A, WD_TYPE_INT64);
    const wd_type *kt[] = {st, lt};
    wd_groups *g = wd_groups_new(kt, 2);
    enum { N = 6 };
    wd_col k[2];
    wd_col_init(&k[0], st, N, &A);
    int64_t av[N] = {1, 1, NUL, 1, 2, 1};
    const char *bv[N] = {"p", "p", "p", NULL, "p", "p"};
    k[0].child[0] = col_i64(av, N);
    k[0].child[1] = col_text(bv, N);
    k[0].len = N;
    wd_col_set_null(&k[0], 5, &A); /* a NULL struct: its children are undefined */
    wd_col_init(&k[1], lt, N, &A);
    int64_t elems[] = {1, 2, 1, 2, 1, 2, 1, 2, 3, 7};
    k[1].child[0] = col_i64(elems, 10);
    uint32_t *off = k[1].data;
    uint32_t offs[N + 1] = {0, 2, 4, 6, 8, 9, 10};
    memcpy(off, offs, sizeof offs);
    k[1].len = N;
    /* rows 0 and 1: ({1,p}, [1,2]) twice */
    uint32_t slots[N], nnew;
    wd_groups_lookup(g, k, N, NULL, slots, &nnew);
    assert_int_equal(nnew, 5);
    assert_int_equal(slots[0], slots[1]);
    wd_col out[2];
    wd_col_init(&out[0], st, 1, &A);
    wd_col_init(&out[1], lt, 1, &A);
    wd_groups_keys(g, slots, N, out, &A);
    assert_int_equal(out[0].len, N);
    assert_int_equal(out[1].len, N);
    assert_true(ISNULL(&out[0], 5));
    assert_true(ISNULL(&out[0].child[0], 2));
    assert_true(ISNULL(&out[0].child[1], 3));
    assert_int_equal(I64(&out[0].child[0], 4), 2);
    const uint32_t *oo = out[1].data;
    assert_int_equal(oo[4], 8);
    assert_int_equal(oo[5], 9);
    assert_int_equal(I64(out[1].child, 8), 3);
    /* the decoded keys find the same groups */
    uint32_t s2[N];
    wd_groups_lookup(g, out, N, NULL, s2, &nnew);
    assert_int_equal(nnew, 0);
    assert_memory_equal(slots, s2, sizeof slots);
    wd_groups_free(g);
}

static void test_groups_nokeys(void **state)
{
    (void)state;
    wd_groups *g = wd_groups_new(NULL, 0);
    uint32_t slots[4] = {9, 9, 9, 9}, nnew;
    wd_groups_lookup(g, NULL, 0, NULL, slots, &nnew);
    assert_int_equal(nnew, 0);
    assert_int_equal(wd_groups_count(g), 0);
    wd_groups_lookup(g, NULL, 4, NULL, slots, &nnew);
    assert_int_equal(nnew, 1);
    assert_int_equal(slots[3], 0);
    wd_groups_lookup(g, NULL, 4, NULL, slots, &nnew);
    assert_int_equal(nnew, 0);
    assert_int_equal(wd_groups_count(g), 1);
    wd_groups_keys(g, slots, 4, NULL, &A);
    wd_groups_clear(g);
    assert_int_equal(wd_groups_count(g), 0);
    wd_groups_free(g);
}

static void test_groups_growth(void **state)
{
    (void)state;
    const wd_type *kt[] = {WD_TYPE_INT64};
    wd_groups *g = wd_groups_new(kt, 1);
    enum { B = 1024 };
    const uint32_t NG = 1000000;
    wd_col k;
    wd_col_init(&k, WD_TYPE_INT64, B, &A);
    uint32_t slots[B], nnew, total = 0;
    for (uint32_t base = 0; base < NG; base += B) {
        uint32_t m = NG - base < B ? NG - base : B;
        for (uint32_t i = 0; i < m; i++) ((int64_t *)k.data)[i] = (int64_t)(base + i) * 7919;
        k.len = m;
        wd_groups_lookup(g, &k, m, NULL, slots, &nnew);
        total += nnew;
        assert_int_equal(slots[0], base);
    }
    assert_int_equal(total, NG);
    assert_int_equal(wd_groups_count(g), NG);
    /* every key is found again at its slot */
    for (uint32_t base = 0; base < NG; base += 97 * B) {
        for (uint32_t i = 0; i < B; i++) ((int64_t *)k.data)[i] = (int64_t)(base + i) * 7919;
        k.len = B;
        wd_groups_lookup(g, &k, B, NULL, slots, &nnew);
        assert_int_equal(nnew, 0);
        for (uint32_t i = 0; i < B; i++) assert_int_equal(slots[i], base + i);
    }
    /* ≤ 50% load: 2^21 slots of 16 bytes + 8 bytes of value per group */
    assert_true(wd_groups_bytes(g) <= ((size_t)1 << 21) * 16 + (size_t)(1 << 20) * 8 + 65536);
    wd_groups_free(g);

    /* text keys take the encoded path */
    const wd_type *tt[] = {WD_TYPE_TEXT};
    g = wd_groups_new(tt, 1);
    char *buf = wd_malloc((size_t)B * 16);
    wd_col_init(&k, WD_TYPE_TEXT, B, &A);
    const uint32_t NT = 200000;
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t base = 0; base < NT; base += B) {
            uint32_t m = NT - base < B ? NT - base : B;
            for (uint32_t i = 0; i < m; i++) {
                int len = snprintf(buf + i * 16, 16, "key-%u", base + i);
                ((wd_str *)k.data)[i] = wd_str_make(buf + i * 16, (uint32_t)len);
            }
            k.len = m;
            wd_groups_lookup(g, &k, m, NULL, slots, &nnew);
            assert_int_equal(nnew, pass == 0 ? m : 0);
            for (uint32_t i = 0; i < m; i++) assert_int_equal(slots[i], base + i);
        }
    }
    wd_col out;
    wd_col_init(&out, WD_TYPE_TEXT, 4, &A);
    uint32_t ids[] = {0, 199999};
    wd_groups_keys(g, ids, 2, &out, &A);
    assert_int_equal(((wd_str *)out.data)[1].len, 10);
    assert_memory_equal(((wd_str *)out.data)[1].ptr, "key-199999", 10);
    wd_free(buf);
    wd_groups_free(g);
}

/* ---- aggregates --------------------------------------------------------------------------- */

static void test_registry(void **state)
{
    (void)state;
    static const char *names[] = {
        "count", "sum", "avg", "mean", "min", "max", "bool_and", "bool_or", "bit_and", "bit_or",
        "stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop", "first_value",
        "last_value", "array_agg", "approx_distinct"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        const wd_agg_fn *f = wd_agg_find(names[i]);
        assert_non_null(f);
        assert_string_equal(f->name, names[i]);
        assert_non_null(f->doc);
        assert_non_null(f->resolve);
        assert_non_null(f->update);
        assert_non_null(f->merge);
        assert_non_null(f->finalize);
        assert_non_null(f->init);
    }
    assert_ptr_equal(wd_agg_find("COUNT"), wd_agg_find("count"));
    assert_null(wd_agg_find("median_of_nothing"));
    assert_null(wd_agg_find(NULL));
    assert_true(wd_agg_find("sum")->flags & WD_AGG_RETRACT);
    assert_false(wd_agg_find("min")->flags & WD_AGG_RETRACT);
}

static void count_visit(const wd_agg_fn *f, void *arg)
{
    (void)f;
    (*(int *)arg)++;
}

static void test_foreach_layout(void **state)
{
    (void)state;
    int n = 0;
    wd_agg_foreach(count_visit, &n);
    assert_int_equal(n, 20);
    wd_agg_spec s[3];
    memset(s, 0, sizeof s);
    s[0].fn = wd_agg_find("count");
    s[0].arg_col = -1;
    s[1].fn = wd_agg_find("bool_and");
    s[1].arg_type = WD_TYPE_BOOL;
    s[1].arg_col = 0;
    s[1].distinct = true;
    s[2].fn = wd_agg_find("sum");
    s[2].arg_type = WD_TYPE_INT32;
    s[2].arg_col = 1;
    uint32_t stride = wd_agg_layout(s, 3);
    assert_int_equal(s[0].offset, 0);
    assert_int_equal(s[0].size, 8);
    assert_int_equal(s[1].offset, 8);
    assert_int_equal(s[1].size, 24); /* 16 + the DISTINCT set pointer */
    assert_int_equal(s[2].offset, 32);
    assert_int_equal(stride, 32 + s[2].size);
    assert_int_equal(stride % 8, 0);
    assert_int_equal(wd_agg_layout(s, 0), 0);
}

static void test_type_errors(void **state)
{
    (void)state;
    struct {
        const char *fn;
        const wd_type *t;
        const char *msg;
    } cases[] = {
        {"sum", WD_TYPE_TEXT, "sum(TEXT) is not defined; sum takes a numeric or interval argument"},
        {"avg", WD_TYPE_INTERVAL, "avg(INTERVAL) is not defined; avg takes a numeric argument"},
        {"mean", WD_TYPE_BOOL, "mean(BOOLEAN) is not defined"},
        {"min", WD_TYPE_JSON, "min(JSON) is not defined; min takes a number, TEXT"},
        {"max", NULL, "max(*) is not defined"},
        {"bool_and", WD_TYPE_INT64, "bool_and(BIGINT) is not defined; bool_and takes a BOOLEAN"},
        {"bool_or", WD_TYPE_TEXT, "bool_or(TEXT) is not defined"},
        {"bit_and", WD_TYPE_FLOAT64, "bit_and(DOUBLE) is not defined; bit_and takes an integer"},
        {"bit_or", NULL, NULL}, /* DECIMAL(10,2) */
        {"stddev", WD_TYPE_TEXT, "stddev(TEXT) is not defined; stddev takes a numeric argument"},
        {"var_pop", WD_TYPE_TIMESTAMP, "var_pop(TIMESTAMP) is not defined"},
        {"sum", NULL, "sum(*) is not defined"},
        {"array_agg", NULL, "array_agg(*) is not defined"},
    };
    const wd_type *dec = wd_type_decimal(&A, 10, 2);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const wd_type *t = cases[i].msg ? cases[i].t : dec;
        wd_err_clear(&E);
        const wd_type *r = wd_agg_find(cases[i].fn)->resolve(&A, t, &E);
        assert_null(r);
        assert_int_equal(E.code, WD_ETYPE);
        if (cases[i].msg && strncmp(E.msg, cases[i].msg, strlen(cases[i].msg)) != 0)
            fail_msg("%s: got '%s'", cases[i].fn, E.msg);
    }
    /* accepted */
    assert_ptr_equal(wd_agg_find("count")->resolve(&A, NULL, &E), WD_TYPE_INT64);
    assert_ptr_equal(wd_agg_find("count")->resolve(&A, WD_TYPE_JSON, &E), WD_TYPE_INT64);
    assert_ptr_equal(wd_agg_find("sum")->resolve(&A, WD_TYPE_INT16, &E), WD_TYPE_INT64);
    assert_ptr_equal(wd_agg_find("sum")->resolve(&A, WD_TYPE_FLOAT32, &E), WD_TYPE_FLOAT64);
    assert_ptr_equal(wd_agg_find("sum")->resolve(&A, WD_TYPE_INTERVAL, &E), WD_TYPE_INTERVAL);
    const wd_type *sd = wd_agg_find("sum")->resolve(&A, dec, &E);
    assert_int_equal(sd->id, WD_T_DECIMAL);
    assert_int_equal(sd->precision, 38);
    assert_int_equal(sd->scale, 2);
    const wd_type *ad = wd_agg_find("avg")->resolve(&A, dec, &E);
    assert_int_equal(ad->scale, 6);
    assert_ptr_equal(wd_agg_find("avg")->resolve(&A, WD_TYPE_INT64, &E), WD_TYPE_FLOAT64);
    assert_ptr_equal(wd_agg_find("min")->resolve(&A, WD_TYPE_TEXT, &E), WD_TYPE_TEXT);
    assert_ptr_equal(wd_agg_find("bit_or")->resolve(&A, WD_TYPE_INT32, &E), WD_TYPE_INT32);
    const wd_type *lt = wd_agg_find("array_agg")->resolve(&A, WD_TYPE_TEXT, &E);
    assert_int_equal(lt->id, WD_T_LIST);
    assert_ptr_equal(lt->elem, WD_TYPE_TEXT);
    assert_ptr_equal(wd_agg_find("approx_distinct")->resolve(&A, WD_TYPE_JSON, &E), WD_TYPE_INT64);
}

static void test_count(void **state)
{
    (void)state;
    int64_t v[] = {1, NUL, 3, NUL, 5, 6};
    uint32_t sl[] = {0, 0, 1, 1, 2, 0};
    wd_col c = col_i64(v, 6);
    wd_col star = run1("count", NULL, 6, sl, 4);
    assert_int_equal(I64(&star, 0), 3);
    assert_int_equal(I64(&star, 1), 2);
    assert_int_equal(I64(&star, 2), 1);
    assert_int_equal(I64(&star, 3), 0); /* count of nothing is 0, not NULL */
    assert_false(ISNULL(&star, 3));
    wd_col cx = run1("count", &c, 6, sl, 3);
    assert_int_equal(I64(&cx, 0), 2);
    assert_int_equal(I64(&cx, 1), 1);
    assert_int_equal(I64(&cx, 2), 1);
    /* constant arguments */
    wd_col k = col_const_i64(3, false, 5);
    wd_col r = run1("count", &k, 5, NULL, 1);
    assert_int_equal(I64(&r, 0), 5);
    wd_col kn = col_const_i64(3, true, 5);
    r = run1("count", &kn, 5, NULL, 1);
    assert_int_equal(I64(&r, 0), 0);
    /* a NULL-typed argument counts nothing */
    wd_col nc;
    wd_col_init(&nc, WD_TYPE_NULL, 3, &A);
    nc.len = 3;
    r = run1("count", &nc, 3, NULL, 1);
    assert_int_equal(I64(&r, 0), 0);
}

static void test_filter(void **state)
{
    (void)state;
    int64_t v[] = {1, 2, 3, 4, 5};
    int64_t f[] = {1, 0, NUL, 1, 1};
    wd_col cols[2] = {col_i64(v, 5), col_bool(f, 5)};
    wd_batch b = mk_batch(cols, 2, 5);
    uint32_t sl[5] = {0, 0, 0, 0, 1};
    harness h;
    h_init(&h, "sum", WD_TYPE_INT64, false, 1, 2);
    h_apply(&h, &b, sl, 1);
    wd_col out = h_out(&h);
    assert_int_equal(I64(&out, 0), 5); /* rows 0 and 3: FALSE and NULL filtered out */
    assert_int_equal(I64(&out, 1), 5);
    h_free(&h);
    h_init(&h, "count", NULL, false, 1, 2);
    h_apply(&h, &b, sl, 1);
    out = h_out(&h);
    assert_int_equal(I64(&out, 0), 2);
    assert_int_equal(I64(&out, 1), 1);
    h_free(&h);
}

static void test_sum_avg(void **state)
{
    (void)state;
    int64_t v[] = {1, 2, NUL, 4, -10};
    uint32_t sl[] = {0, 0, 0, 1, 1};
    wd_col c = col_i64(v, 5);
    wd_col s = run1("sum", &c, 5, sl, 3);
    assert_int_equal(I64(&s, 0), 3);
    assert_int_equal(I64(&s, 1), -6);
    assert_true(ISNULL(&s, 2)); /* no rows: NULL */
    wd_col a = run1("avg", &c, 5, sl, 3);
    assert_true(F64(&a, 0) == 1.5);
    assert_true(F64(&a, 1) == -3.0);
    assert_true(ISNULL(&a, 2));
    wd_col m = run1("mean", &c, 5, sl, 3);
    assert_true(F64(&m, 0) == 1.5);
    /* all NULL: NULL */
    int64_t nn[] = {NUL, NUL};
    wd_col cn = col_i64(nn, 2);
    s = run1("sum", &cn, 2, NULL, 1);
    assert_true(ISNULL(&s, 0));
    /* every small int type */
    const wd_type *ts[] = {WD_TYPE_INT16, WD_TYPE_INT32, WD_TYPE_UINT16, WD_TYPE_UINT32,
                           WD_TYPE_UINT64};
    int64_t w[] = {100, 200, NUL, 300};
    for (size_t i = 0; i < sizeof ts / sizeof *ts; i++) {
        wd_col ci = col_typed_int(ts[i], w, 4);
        s = run1("sum", &ci, 4, NULL, 1);
        assert_int_equal(I64(&s, 0), 600);
    }
    /* overflow of BIGINT: NULL; coming back into range: the value */
    int64_t big[] = {INT64_MAX, INT64_MAX, -INT64_MAX};
    wd_col cb = col_i64(big, 2);
    s = run1("sum", &cb, 2, NULL, 1);
    assert_true(ISNULL(&s, 0));
    cb = col_i64(big, 3);
    s = run1("sum", &cb, 3, NULL, 1);
    assert_int_equal(I64(&s, 0), INT64_MAX);
    a = run1("avg", &cb, 2, NULL, 1);
    assert_true(F64(&a, 0) == (double)INT64_MAX);
    /* constant column */
    wd_col k = col_const_i64(7, false, 4);
    s = run1("sum", &k, 4, NULL, 1);
    assert_int_equal(I64(&s, 0), 28);
    /* floats: compensated */
    double f[] = {1e16, 1.0, -1e16, 0.5};
    uint8_t fn[] = {0, 0, 0, 0};
    wd_col cf = col_f64(f, fn, 4);
    s = run1("sum", &cf, 4, NULL, 1);
    assert_true(F64(&s, 0) == 1.5);
    a = run1("avg", &cf, 4, NULL, 1);
    assert_true(F64(&a, 0) == 0.375);
    fn[1] = 1;
    cf = col_f64(f, fn, 4);
    s = run1("sum", &cf, 4, NULL, 1);
    assert_true(F64(&s, 0) == 0.5);
    /* REAL */
    wd_col cr;
    wd_col_init(&cr, WD_TYPE_FLOAT32, 2, &A);
    ((float *)cr.data)[0] = 1.5f;
    ((float *)cr.data)[1] = 2.25f;
    cr.len = 2;
    s = run1("sum", &cr, 2, NULL, 1);
    assert_true(F64(&s, 0) == 3.75);
}

static wd_i128 DEC(const wd_col *c, uint32_t r) { return ((const wd_i128 *)c->data)[r]; }

static void test_decimal_interval(void **state)
{
    (void)state;
    const wd_type *dt = wd_type_decimal(&A, 10, 2);
    int64_t v[] = {150, 275, NUL, -25}; /* 1.50 2.75 NULL -0.25 */
    wd_col c = col_dec(dt, v, 4);
    wd_col s = run1("sum", &c, 4, NULL, 1);
    assert_int_equal(s.type->scale, 2);
    assert_true(DEC(&s, 0) == 400);
    wd_col a = run1("avg", &c, 4, NULL, 1); /* 4.00 / 3 = 1.333333 at scale 6 */
    assert_int_equal(a.type->scale, 6);
    assert_true(DEC(&a, 0) == 1333333);
    int64_t v2[] = {-100, -100, -101}; /* avg -1.003333… → -1.003333 */
    wd_col c2 = col_dec(dt, v2, 3);
    a = run1("avg", &c2, 3, NULL, 1);
    assert_true(DEC(&a, 0) == -1003333);
    int64_t v3[] = {1, 2}; /* 0.015 → 0.015000 exactly; half-away rounding test */
    wd_col c3 = col_dec(dt, v3, 2);
    a = run1("avg", &c3, 2, NULL, 1);
    assert_true(DEC(&a, 0) == 15000);
    /* beyond 38 digits: NULL */
    const wd_type *wide = wd_type_decimal(&A, 38, 0);
    wd_col cw;
    wd_col_init(&cw, wide, 3, &A);
    wd_i128 big = 1;
    for (int i = 0; i < 37; i++) big *= 10;
    big *= 9; /* 9e37 */
    for (int i = 0; i < 3; i++) ((wd_i128 *)cw.data)[i] = big;
    cw.len = 3;
    s = run1("sum", &cw, 3, NULL, 1);
    assert_true(ISNULL(&s, 0));
    s = run1("sum", &cw, 1, NULL, 1);
    assert_true(DEC(&s, 0) == big);
    /* interval */
    wd_col ci;
    wd_col_init(&ci, WD_TYPE_INTERVAL, 3, &A);
    wd_interval iv[] = {{1, 2, 3000}, {0, 5, -1000}, {2, 0, 0}};
    memcpy(ci.data, iv, sizeof iv);
    ci.len = 3;
    wd_col_set_null(&ci, 2, &A);
    s = run1("sum", &ci, 3, NULL, 1);
    wd_interval r = ((wd_interval *)s.data)[0];
    assert_int_equal(r.months, 1);
    assert_int_equal(r.days, 7);
    assert_int_equal(r.nanos, 2000);
}

static void test_minmax(void **state)
{
    (void)state;
    int64_t v[] = {5, NUL, -3, 9, 9, NUL};
    uint32_t sl[] = {0, 0, 0, 1, 1, 2};
    wd_col c = col_i64(v, 6);
    wd_col mn = run1("min", &c, 6, sl, 3), mx = run1("max", &c, 6, sl, 3);
    assert_int_equal(I64(&mn, 0), -3);
    assert_int_equal(I64(&mx, 0), 5);
    assert_int_equal(I64(&mn, 1), 9);
    assert_true(ISNULL(&mn, 2));
    assert_true(ISNULL(&mx, 2));
    /* small types keep their width */
    const wd_type *ts[] = {WD_TYPE_INT16, WD_TYPE_INT32, WD_TYPE_DATE, WD_TYPE_UINT32,
                           WD_TYPE_TIMESTAMP, WD_TYPE_UINT64, WD_TYPE_BOOL};
    int64_t w[] = {1, 0, NUL, 1, 0};
    for (size_t i = 0; i < sizeof ts / sizeof *ts; i++) {
        wd_col ci = col_typed_int(ts[i], w, 5);
        mn = run1("min", &ci, 5, NULL, 1);
        mx = run1("max", &ci, 5, NULL, 1);
        assert_ptr_equal(mn.type, ts[i]);
        wd_col both[2] = {mn, mx};
        for (int j = 0; j < 2; j++) {
            int64_t got;
            switch (ts[i]->id) {
            case WD_T_BOOL: got = ((uint8_t *)both[j].data)[0]; break;
            case WD_T_INT16: got = ((int16_t *)both[j].data)[0]; break;
            case WD_T_INT32:
            case WD_T_DATE: got = ((int32_t *)both[j].data)[0]; break;
            case WD_T_UINT32: got = ((uint32_t *)both[j].data)[0]; break;
            default: got = ((int64_t *)both[j].data)[0]; break;
            }
            assert_int_equal(got, j);
        }
    }
    /* unsigned compare for UINT64 */
    int64_t u[] = {(int64_t)UINT64_MAX, 1};
    wd_col cu = col_typed_int(WD_TYPE_UINT64, u, 2);
    mx = run1("max", &cu, 2, NULL, 1);
    assert_true(((uint64_t *)mx.data)[0] == UINT64_MAX);
    /* floats: NaN is the largest */
    double f[] = {2.0, NAN, -1.0};
    wd_col cf = col_f64(f, NULL, 3);
    mn = run1("min", &cf, 3, NULL, 1);
    mx = run1("max", &cf, 3, NULL, 1);
    assert_true(F64(&mn, 0) == -1.0);
    assert_true(isnan(F64(&mx, 0)));
    double fn[] = {NAN, NAN};
    cf = col_f64(fn, NULL, 2);
    mn = run1("min", &cf, 2, NULL, 1);
    assert_true(isnan(F64(&mn, 0)));
    /* text is copied: changing the input afterwards changes nothing */
    char b1[] = "pear", b2[] = "apple", b3[] = "apples";
    const char *tv[] = {b1, b2, NULL, b3};
    wd_col ct = col_text(tv, 4);
    harness h;
    h_init(&h, "min", WD_TYPE_TEXT, false, -1, 1);
    harness hx;
    h_init(&hx, "max", WD_TYPE_TEXT, false, -1, 1);
    wd_batch b = mk_batch(&ct, 1, 4);
    uint32_t z[4] = {0, 0, 0, 0};
    h_apply(&h, &b, z, 1);
    h_apply(&hx, &b, z, 1);
    b2[0] = 'X';
    b1[0] = 'X';
    wd_col o = h_out(&h), ox = h_out(&hx);
    assert_int_equal(((wd_str *)o.data)[0].len, 5);
    assert_memory_equal(((wd_str *)o.data)[0].ptr, "apple", 5);
    assert_memory_equal(((wd_str *)ox.data)[0].ptr, "pear", 4);
    h_free(&h);
    h_free(&hx);
    /* decimal and interval */
    const wd_type *dt = wd_type_decimal(&A, 20, 3);
    int64_t dv[] = {-5000, 12, NUL};
    wd_col cd = col_dec(dt, dv, 3);
    mn = run1("min", &cd, 3, NULL, 1);
    mx = run1("max", &cd, 3, NULL, 1);
    assert_true(DEC(&mn, 0) == -5000);
    assert_true(DEC(&mx, 0) == 12);
    wd_col ci;
    wd_col_init(&ci, WD_TYPE_INTERVAL, 3, &A);
    wd_interval iv[] = {{1, 0, 0}, {0, 31, 0}, {0, 0, 5}}; /* 1 mon < 31 days */
    memcpy(ci.data, iv, sizeof iv);
    ci.len = 3;
    mx = run1("max", &ci, 3, NULL, 1);
    mn = run1("min", &ci, 3, NULL, 1);
    assert_int_equal(((wd_interval *)mx.data)[0].days, 31);
    assert_int_equal(((wd_interval *)mn.data)[0].nanos, 5);
    /* retraction is ignored (not retractable) */
    assert_false(wd_agg_find("max")->flags & WD_AGG_RETRACT);
}

static void test_bool_bit(void **state)
{
    (void)state;
    int64_t v[] = {1, 1, NUL, 0, 1, NUL};
    uint32_t sl[] = {0, 0, 0, 1, 1, 2};
    wd_col c = col_bool(v, 6);
    wd_col ba = run1("bool_and", &c, 6, sl, 3), bo = run1("bool_or", &c, 6, sl, 3);
    assert_int_equal(((uint8_t *)ba.data)[0], 1);
    assert_int_equal(((uint8_t *)ba.data)[1], 0);
    assert_int_equal(((uint8_t *)bo.data)[1], 1);
    assert_true(ISNULL(&ba, 2));
    assert_true(ISNULL(&bo, 2));
    int64_t w[] = {0x0f, 0x3c, NUL, 0x06, NUL};
    uint32_t s2[] = {0, 0, 0, 1, 2};
    wd_col ci = col_typed_int(WD_TYPE_INT32, w, 5);
    wd_col an = run1("bit_and", &ci, 5, s2, 3), orr = run1("bit_or", &ci, 5, s2, 3);
    assert_ptr_equal(an.type, WD_TYPE_INT32);
    assert_int_equal(((int32_t *)an.data)[0], 0x0c);
    assert_int_equal(((int32_t *)orr.data)[0], 0x3f);
    assert_int_equal(((int32_t *)an.data)[1], 0x06);
    assert_true(ISNULL(&an, 2));
    int64_t neg[] = {-1, -2};
    wd_col cn = col_typed_int(WD_TYPE_INT16, neg, 2);
    an = run1("bit_and", &cn, 2, NULL, 1);
    assert_int_equal(((int16_t *)an.data)[0], -2);
}

static void test_stats(void **state)
{
    (void)state;
    int64_t v[] = {2, 4, 4, 4, 5, 5, 7, 9, NUL};
    wd_col c = col_i64(v, 9);
    wd_col sp = run1("stddev_pop", &c, 9, NULL, 1);
    assert_true(fabs(F64(&sp, 0) - 2.0) < 1e-12);
    wd_col vs = run1("var_samp", &c, 9, NULL, 1);
    assert_true(fabs(F64(&vs, 0) - 32.0 / 7.0) < 1e-12);
    wd_col va = run1("variance", &c, 9, NULL, 1);
    assert_true(fabs(F64(&va, 0) - 32.0 / 7.0) < 1e-12);
    wd_col vp = run1("var_pop", &c, 9, NULL, 1);
    assert_true(fabs(F64(&vp, 0) - 4.0) < 1e-12);
    wd_col sd = run1("stddev", &c, 9, NULL, 1);
    assert_true(fabs(F64(&sd, 0) - sqrt(32.0 / 7.0)) < 1e-12);
    wd_col ss = run1("stddev_samp", &c, 9, NULL, 1);
    assert_true(F64(&ss, 0) == F64(&sd, 0));
    /* one value: samp NULL, pop 0 */
    wd_col one = col_i64(v, 1);
    wd_col r = run1("var_samp", &one, 1, NULL, 1);
    assert_true(ISNULL(&r, 0));
    r = run1("var_pop", &one, 1, NULL, 1);
    assert_true(F64(&r, 0) == 0.0);
    /* large offset: Welford keeps precision */
    double f[] = {1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16};
    wd_col cf = col_f64(f, NULL, 4);
    r = run1("var_samp", &cf, 4, NULL, 1);
    assert_true(fabs(F64(&r, 0) - 30.0) < 1e-6);
    /* decimal input */
    const wd_type *dt = wd_type_decimal(&A, 10, 1);
    int64_t dv[] = {20, 40, 40, 40, 50, 50, 70, 90};
    wd_col cd = col_dec(dt, dv, 8);
    r = run1("stddev_pop", &cd, 8, NULL, 1);
    assert_true(fabs(F64(&r, 0) - 2.0) < 1e-12);
}

static void test_first_last(void **state)
{
    (void)state;
    int64_t v[] = {NUL, 1, 2, 3, NUL};
    uint32_t sl[] = {0, 0, 1, 1, 1};
    wd_col c = col_i64(v, 5);
    wd_col f = run1("first_value", &c, 5, sl, 3), l = run1("last_value", &c, 5, sl, 3);
    assert_true(ISNULL(&f, 0)); /* NULLs are respected */
    assert_int_equal(I64(&l, 0), 1);
    assert_int_equal(I64(&f, 1), 2);
    assert_true(ISNULL(&l, 1));
    assert_true(ISNULL(&f, 2));
    const char *t[] = {"first", "second", "third"};
    wd_col ct = col_text(t, 3);
    f = run1("first_value", &ct, 3, NULL, 1);
    l = run1("last_value", &ct, 3, NULL, 1);
    assert_memory_equal(((wd_str *)f.data)[0].ptr, "first", 5);
    assert_int_equal(((wd_str *)l.data)[0].len, 5);
    assert_memory_equal(((wd_str *)l.data)[0].ptr, "third", 5);
    /* a struct argument */
    wd_field fl[2] = {{"a", WD_TYPE_INT64, true}, {"b", WD_TYPE_TEXT, true}};
    const wd_type *st = wd_type_struct(&A, 2, fl);
    wd_col cs;
    wd_col_init(&cs, st, 2, &A);
    int64_t av[] = {10, 20};
    cs.child[0] = col_i64(av, 2);
    const char *bv[] = {"x", NULL};
    cs.child[1] = col_text(bv, 2);
    cs.len = 2;
    l = run1("last_value", &cs, 2, NULL, 1);
    assert_int_equal(I64(&l.child[0], 0), 20);
    assert_true(ISNULL(&l.child[1], 0));
    f = run1("first_value", &cs, 2, NULL, 1);
    assert_int_equal(I64(&f.child[0], 0), 10);
    assert_memory_equal(((wd_str *)f.child[1].data)[0].ptr, "x", 1);
    /* decimal inline */
    const wd_type *dt = wd_type_decimal(&A, 30, 0);
    int64_t dv[] = {123, 456};
    wd_col cd = col_dec(dt, dv, 2);
    l = run1("last_value", &cd, 2, NULL, 1);
    assert_true(DEC(&l, 0) == 456);
}

static void test_array_agg(void **state)
{
    (void)state;
    int64_t v[] = {3, NUL, 1, 7};
    uint32_t sl[] = {0, 0, 0, 1};
    wd_col c = col_i64(v, 4);
    wd_col r = run1("array_agg", &c, 4, sl, 3);
    const uint32_t *off = r.data;
    assert_int_equal(off[0], 0);
    assert_int_equal(off[1], 3);
    assert_int_equal(off[2], 4);
    assert_int_equal(off[3], 4);
    assert_true(ISNULL(&r, 2)); /* no rows: NULL */
    assert_false(ISNULL(&r, 0));
    assert_int_equal(I64(r.child, 0), 3);
    assert_true(ISNULL(r.child, 1));
    assert_int_equal(I64(r.child, 2), 1);
    assert_int_equal(I64(r.child, 3), 7);
    /* many text values grow the buffer; they are copied */
    enum { N = 3000 };
    const char **tv = wd_malloc(sizeof *tv * N);
    char (*bufs)[12] = wd_malloc(12 * N);
    for (int i = 0; i < N; i++) {
        snprintf(bufs[i], 12, "v%d", i);
        tv[i] = bufs[i];
    }
    wd_col ct = col_text(tv, N);
    r = run1("array_agg", &ct, N, NULL, 1);
    memset(bufs, 0, 12 * N);
    off = r.data;
    assert_int_equal(off[1], N);
    assert_int_equal(((wd_str *)r.child->data)[2999].len, 5);
    assert_memory_equal(((wd_str *)r.child->data)[2999].ptr, "v2999", 5);
    wd_free(tv);
    wd_free(bufs);
}

static void test_approx_distinct(void **state)
{
    (void)state;
    enum { N = 100000 };
    int64_t *v = wd_malloc(sizeof *v * N * 2);
    for (int i = 0; i < N * 2; i++) v[i] = (i % N) * 1000003LL + 17; /* every value twice */
    wd_col c = col_i64(v, N * 2);
    wd_col r = run1("approx_distinct", &c, N * 2, NULL, 1);
    double est = (double)I64(&r, 0);
    if (fabs(est - N) / N > 0.03) fail_msg("approx_distinct %f for %d", est, N);
    /* small counts are (nearly) exact */
    int64_t small[] = {1, 2, 3, 3, 2, NUL, 9, 10, 11, 12, 13, 14};
    c = col_i64(small, 12);
    r = run1("approx_distinct", &c, 12, NULL, 1);
    assert_int_equal(I64(&r, 0), 9);
    c = col_i64(small, 0);
    r = run1("approx_distinct", &c, 0, NULL, 1);
    assert_int_equal(I64(&r, 0), 0);
    /* text */
    const char *t[] = {"a", "b", "a", "c", NULL};
    wd_col ct = col_text(t, 5);
    r = run1("approx_distinct", &ct, 5, NULL, 1);
    assert_int_equal(I64(&r, 0), 3);
    wd_free(v);
}

static void test_distinct(void **state)
{
    (void)state;
    int64_t v[] = {1, 2, 2, NUL, 3, 1, 5, 5};
    uint32_t sl[] = {0, 0, 0, 0, 0, 0, 1, 1};
    wd_col c = col_i64(v, 8);
    wd_batch b = mk_batch(&c, 1, 8);
    const char *fns[] = {"count", "sum", "avg", "array_agg"};
    for (int k = 0; k < 4; k++) {
        harness h;
        h_init(&h, fns[k], WD_TYPE_INT64, true, -1, 2);
        h_apply(&h, &b, sl, 1);
        h_apply(&h, &b, sl, 1); /* the same values again change nothing */
        wd_col o = h_out(&h);
        switch (k) {
        case 0:
            assert_int_equal(I64(&o, 0), 3);
            assert_int_equal(I64(&o, 1), 1);
            break;
        case 1:
            assert_int_equal(I64(&o, 0), 6);
            assert_int_equal(I64(&o, 1), 5);
            break;
        case 2: assert_true(F64(&o, 0) == 2.0); break;
        case 3: {
            /* array_agg(DISTINCT) keeps one NULL */
            const uint32_t *off = o.data;
            assert_int_equal(off[1] - off[0], 4);
            break;
        }
        }
        h_free(&h);
    }
    /* retraction: a value leaves the set only when its last copy goes */
    harness h;
    h_init(&h, "count", WD_TYPE_INT64, true, -1, 2);
    h_apply(&h, &b, sl, 1);
    int64_t rv[] = {2, 1};
    wd_col rc = col_i64(rv, 2);
    wd_batch rb = mk_batch(&rc, 1, 2);
    uint32_t rs[] = {0, 0};
    h_apply(&h, &rb, rs, -1);
    wd_col o = h_out(&h);
    assert_int_equal(I64(&o, 0), 3); /* 1 and 2 still have a copy each */
    h_apply(&h, &rb, rs, -1);
    o = h_out(&h);
    assert_int_equal(I64(&o, 0), 1); /* only 3 is left */
    h_apply(&h, &rb, rs, -1);        /* retracting absent values is harmless */
    o = h_out(&h);
    assert_int_equal(I64(&o, 0), 1);
    h_apply(&h, &rb, rs, 1);
    o = h_out(&h);
    assert_int_equal(I64(&o, 0), 3);
    /* merge of DISTINCT states: union */
    harness h2;
    h_init(&h2, "count", WD_TYPE_INT64, true, -1, 2);
    int64_t v2[] = {3, 4, 4, 9};
    wd_col c2 = col_i64(v2, 4);
    wd_batch b2 = mk_batch(&c2, 1, 4);
    uint32_t s2[] = {0, 0, 0, 0};
    h_apply(&h2, &b2, s2, 1);
    h.spec.fn->merge(&h.spec, &h.ctx, h.st + h.spec.offset, h2.st + h2.spec.offset);
    o = h_out(&h);
    assert_int_equal(I64(&o, 0), 5); /* {1,2,3} ∪ {3,4,9} */
    /* merged sets keep counting: retracting 3 once leaves the copy from h2 */
    int64_t three[] = {3};
    wd_col c3 = col_i64(three, 1);
    wd_batch b3 = mk_batch(&c3, 1, 1);
    h_apply(&h, &b3, s2, -1);
    o = h_out(&h);
    assert_int_equal(I64(&o, 0), 5);
    h_apply(&h, &b3, s2, -1);
    o = h_out(&h);
    assert_int_equal(I64(&o, 0), 4);
    h_free(&h);
    h_free(&h2);
    /* sum(DISTINCT) merge through update */
    h_init(&h, "sum", WD_TYPE_INT64, true, -1, 1);
    h_init(&h2, "sum", WD_TYPE_INT64, true, -1, 1);
    h_apply(&h, &b, (uint32_t[8]){0}, 1);
    h_apply(&h2, &b2, s2, 1);
    h.spec.fn->merge(&h.spec, &h.ctx, h.st + h.spec.offset, h2.st + h2.spec.offset);
    o = h_out(&h);
    assert_int_equal(I64(&o, 0), 1 + 2 + 3 + 5 + 4 + 9);
    h_free(&h);
    h_free(&h2);
    /* text values */
    const char *t[] = {"x", "y", "x", NULL, "y", "z"};
    wd_col ct = col_text(t, 6);
    wd_batch bt = mk_batch(&ct, 1, 6);
    h_init(&h, "count", WD_TYPE_TEXT, true, -1, 1);
    h_apply(&h, &bt, (uint32_t[6]){0}, 1);
    o = h_out(&h);
    assert_int_equal(I64(&o, 0), 3);
    h_free(&h);
}

/* Rows 0..n of x and y hold the same results (floats within 1e-9 relative). */
static void same_results(const char *name, const wd_col *x, const wd_col *y, uint32_t n)
{
    for (uint32_t g = 0; g < n; g++) {
        assert_int_equal(ISNULL(x, g), ISNULL(y, g));
        if (ISNULL(x, g)) continue;
        switch (x->type->id) {
        case WD_T_FLOAT64:
            if (fabs(F64(x, g) - F64(y, g)) > 1e-9 * (1 + fabs(F64(x, g))))
                fail_msg("%s: %.17g vs %.17g", name, F64(x, g), F64(y, g));
            break;
        case WD_T_BOOL: assert_int_equal(((uint8_t *)x->data)[g], ((uint8_t *)y->data)[g]); break;
        case WD_T_DECIMAL:
        case WD_T_INTERVAL:
            assert_memory_equal((char *)x->data + g * 16, (char *)y->data + g * 16, 16);
            break;
        default: assert_int_equal(I64(x, g), I64(y, g)); break;
        }
    }
}

/* Apply base then extra (+1) then extra (-1): the result must equal base's;
 * the same with per-row retract flags (sign 0), and with DISTINCT. */
static void check_retract(const char *name, wd_col *base, wd_col *extra, uint32_t nb, uint32_t ne)
{
    for (int distinct = 0; distinct < 2; distinct++) {
        harness h;
        h_init(&h, name, base->type, distinct, -1, 2);
        uint32_t *sb = wd_malloc(sizeof *sb * nb), *se = wd_malloc(sizeof *se * ne);
        for (uint32_t i = 0; i < nb; i++) sb[i] = i % 2;
        for (uint32_t i = 0; i < ne; i++) se[i] = i % 2;
        wd_batch b = mk_batch(base, 1, nb), e = mk_batch(extra, 1, ne);
        h_apply(&h, &b, sb, 1);
        wd_col before = h_out(&h);
        h_apply(&h, &e, se, 1);
        h_apply(&h, &e, se, -1);
        wd_col after = h_out(&h);
        same_results(name, &before, &after, 2);
        uint8_t *flags = wd_malloc(ne);
        memset(flags, 1, ne);
        h_apply(&h, &e, se, 1);
        e.retract = flags;
        h_apply(&h, &e, se, 0);
        wd_col again = h_out(&h);
        same_results(name, &before, &again, 2);
        wd_free(flags);
        wd_free(sb);
        wd_free(se);
        h_free(&h);
    }
}

static void test_retract(void **state)
{
    (void)state;
    int64_t bv[] = {3, 8, NUL, -2, 11, 4};
    int64_t ev[] = {100, NUL, -7, 5, 1};
    wd_col b = col_i64(bv, 6), e = col_i64(ev, 5);
    const char *fns[] = {"count", "sum", "avg", "stddev", "stddev_pop", "var_samp", "var_pop"};
    for (size_t i = 0; i < sizeof fns / sizeof *fns; i++) check_retract(fns[i], &b, &e, 6, 5);
    double fb[] = {0.1, 0.2, 0.3, 1e10}, fe[] = {1e15, -3.5, 7.25};
    wd_col cfb = col_f64(fb, NULL, 4), cfe = col_f64(fe, NULL, 3);
    check_retract("sum", &cfb, &cfe, 4, 3);
    check_retract("avg", &cfb, &cfe, 4, 3);
    /* squares span 1e30 vs 1e-2 above: beyond double-double; 1e12 is fine */
    double fe2[] = {1e6, -3.5, 7.25};
    wd_col cfe2 = col_f64(fe2, NULL, 3);
    check_retract("var_samp", &cfb, &cfe2, 4, 3);
    check_retract("stddev_pop", &cfb, &cfe2, 4, 3);
    int64_t bb[] = {1, 1, 0, 1}, be[] = {0, 0, NUL};
    wd_col cbb = col_bool(bb, 4), cbe = col_bool(be, 3);
    check_retract("bool_and", &cbb, &cbe, 4, 3);
    check_retract("bool_or", &cbb, &cbe, 4, 3);
    const wd_type *dt = wd_type_decimal(&A, 12, 2);
    int64_t db[] = {100, 250, 3}, de[] = {999, -1};
    wd_col cdb = col_dec(dt, db, 3), cde = col_dec(dt, de, 2);
    check_retract("sum", &cdb, &cde, 3, 2);
    check_retract("avg", &cdb, &cde, 3, 2);
    wd_col ib, ie;
    wd_col_init(&ib, WD_TYPE_INTERVAL, 2, &A);
    wd_col_init(&ie, WD_TYPE_INTERVAL, 2, &A);
    wd_interval iv[] = {{1, 2, 3}, {4, 5, 6}};
    memcpy(ib.data, iv, sizeof iv);
    memcpy(ie.data, iv, sizeof iv);
    ib.len = ie.len = 2;
    check_retract("sum", &ib, &ie, 2, 2);
    /* a group whose every row is retracted goes back to NULL */
    harness h;
    h_init(&h, "sum", WD_TYPE_INT64, false, -1, 1);
    wd_batch eb = mk_batch(&e, 1, 5);
    uint32_t z[5] = {0};
    h_apply(&h, &eb, z, 1);
    h_apply(&h, &eb, z, -1);
    wd_col o = h_out(&h);
    assert_true(ISNULL(&o, 0));
    h_free(&h);
    /* non-retractable aggregates ignore retractions from wd_agg_apply */
    h_init(&h, "max", WD_TYPE_INT64, false, -1, 1);
    h_apply(&h, &eb, z, 1);
    h_apply(&h, &eb, z, -1);
    o = h_out(&h);
    assert_int_equal(I64(&o, 0), 100);
    h_free(&h);
}

/* Two partial states (rows split at cut) merged == one state over all rows. */
static void check_merge(const char *name, wd_col *c, uint32_t n, uint32_t cut)
{
    harness all, p1, p2;
    h_init(&all, name, c->type, false, -1, 1);
    h_init(&p1, name, c->type, false, -1, 1);
    h_init(&p2, name, c->type, false, -1, 1);
    uint32_t *z = wd_calloc(n ? n : 1, sizeof *z);
    uint32_t *rows1 = wd_malloc(sizeof *rows1 * (n ? n : 1)), *rows2 = wd_malloc(sizeof *rows2 * (n ? n : 1));
    for (uint32_t i = 0; i < n; i++) rows1[i] = i;
    wd_batch b = mk_batch(c, 1, n);
    h_apply(&all, &b, z, 1);
    /* partial states through update directly, on row subsets */
    p1.spec.fn->update(&p1.spec, &p1.ctx, p1.st, p1.stride, z, c, rows1, cut, 1);
    for (uint32_t i = cut; i < n; i++) rows2[i - cut] = i;
    p2.spec.fn->update(&p2.spec, &p2.ctx, p2.st, p2.stride, z, c, rows2, n - cut, 1);
    /* merge into an empty state first, then the second part */
    harness m;
    h_init(&m, name, c->type, false, -1, 1);
    m.spec.fn->merge(&m.spec, &m.ctx, m.st + m.spec.offset, p1.st + p1.spec.offset);
    m.spec.fn->merge(&m.spec, &m.ctx, m.st + m.spec.offset, p2.st + p2.spec.offset);
    wd_col x = h_out(&all), y = h_out(&m);
    assert_int_equal(ISNULL(&x, 0), ISNULL(&y, 0));
    if (!ISNULL(&x, 0)) {
        switch (x.type->id) {
        case WD_T_FLOAT64:
            if (fabs(F64(&x, 0) - F64(&y, 0)) > 1e-9 * (1 + fabs(F64(&x, 0))))
                fail_msg("%s merge: %.17g vs %.17g", name, F64(&x, 0), F64(&y, 0));
            break;
        case WD_T_BOOL: assert_int_equal(((uint8_t *)x.data)[0], ((uint8_t *)y.data)[0]); break;
        case WD_T_TEXT: {
            wd_str s = ((wd_str *)x.data)[0], t = ((wd_str *)y.data)[0];
            assert_int_equal(s.len, t.len);
            assert_memory_equal(s.ptr, t.ptr, s.len);
            break;
        }
        case WD_T_LIST: {
            const uint32_t *ox = x.data, *oy = y.data;
            assert_int_equal(ox[1], oy[1]);
            for (uint32_t e = 0; e < ox[1]; e++) {
                assert_int_equal(ISNULL(x.child, e), ISNULL(y.child, e));
                if (!ISNULL(x.child, e)) assert_int_equal(I64(x.child, e), I64(y.child, e));
            }
            break;
        }
        case WD_T_DECIMAL:
            assert_memory_equal(x.data, y.data, 16);
            break;
        case WD_T_INT32: assert_int_equal(((int32_t *)x.data)[0], ((int32_t *)y.data)[0]); break;
        default: assert_int_equal(I64(&x, 0), I64(&y, 0)); break;
        }
    }
    wd_free(z);
    wd_free(rows1);
    wd_free(rows2);
    h_free(&all);
    h_free(&p1);
    h_free(&p2);
    h_free(&m);
}

static void test_merge(void **state)
{
    (void)state;
    enum { N = 500 };
    int64_t v[N];
    for (int i = 0; i < N; i++) v[i] = (i % 13 == 0) ? NUL : (int64_t)((i * 7919) % 1000) - 300;
    wd_col c = col_i64(v, N);
    const char *fns[] = {"count",     "sum",        "avg",      "min",        "max",
                         "stddev",    "stddev_pop", "var_samp", "var_pop",    "first_value",
                         "last_value", "array_agg", "approx_distinct", "bit_or"};
    for (size_t i = 0; i < sizeof fns / sizeof *fns; i++) {
        check_merge(fns[i], &c, N, 200);
        check_merge(fns[i], &c, N, 0);
        check_merge(fns[i], &c, N, N);
    }
    int64_t bits[] = {0xff, 0x0f, NUL, 0x1f};
    wd_col cb = col_typed_int(WD_TYPE_INT32, bits, 4);
    check_merge("bit_and", &cb, 4, 2);
    check_merge("bit_and", &cb, 4, 0);
    int64_t bb[] = {1, 0, 1, NUL};
    wd_col cbb = col_bool(bb, 4);
    check_merge("bool_and", &cbb, 4, 1);
    check_merge("bool_or", &cbb, 4, 2);
    double f[] = {1e10, 3.0, -2.5, 1e-3, 42.0};
    wd_col cf = col_f64(f, NULL, 5);
    check_merge("sum", &cf, 5, 2);
    check_merge("var_pop", &cf, 5, 3);
    check_merge("max", &cf, 5, 3);
    const char *t[] = {"m", "zz", NULL, "a", "q"};
    wd_col ct = col_text(t, 5);
    check_merge("min", &ct, 5, 3);
    check_merge("max", &ct, 5, 1);
    check_merge("first_value", &ct, 5, 1);
    check_merge("last_value", &ct, 5, 4);
    const wd_type *dt = wd_type_decimal(&A, 12, 2);
    int64_t dv[] = {100, 250, 3, NUL, -77};
    wd_col cd = col_dec(dt, dv, 5);
    check_merge("sum", &cd, 5, 2);
    check_merge("avg", &cd, 5, 2);
    check_merge("min", &cd, 5, 4);
}

/* ---- measurement (WD_AGG_BENCH=1) ------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_bench(void **state)
{
    (void)state;
    if (!getenv("WD_AGG_BENCH")) skip();
    enum { B = 1024 };
    const uint64_t ROWS = 10000000, KEYS = 1000000;
    const wd_type *kt[] = {WD_TYPE_INT64};
    wd_groups *g = wd_groups_new(kt, 1);
    wd_agg_spec s;
    memset(&s, 0, sizeof s);
    s.fn = wd_agg_find("count");
    s.arg_col = -1;
    s.filter_col = -1;
    s.arg2_col = -1;
    s.ret = WD_TYPE_INT64;
    uint32_t stride = wd_agg_layout(&s, 1);
    uint32_t cap = 1024, n = 0;
    uint8_t *st = wd_malloc((size_t)cap * stride);
    wd_arena ar;
    wd_arena_init(&ar, 0);
    wd_agg_ctx ctx = {&ar};
    wd_col k;
    wd_col_init(&k, WD_TYPE_INT64, B, &A);
    k.len = B;
    wd_batch b = mk_batch(&k, 1, B);
    uint32_t slots[B], nnew;
    uint64_t x = 88172645463325252ULL;
    double t0 = now_s(), tl = 0;
    for (uint64_t done = 0; done < ROWS; done += B) {
        for (uint32_t i = 0; i < B; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            ((int64_t *)k.data)[i] = (int64_t)(x % KEYS);
        }
        double a0 = now_s();
        wd_groups_lookup(g, &k, B, NULL, slots, &nnew);
        tl += now_s() - a0;
        uint32_t cnt = wd_groups_count(g);
        if (cnt > cap) {
            while (cap < cnt) cap *= 2;
            st = wd_realloc(st, (size_t)cap * stride);
        }
        if (nnew) s.fn->init(&s, st + (size_t)n * stride + s.offset, stride, cnt - n);
        n = cnt;
        wd_agg_apply(&s, 1, &ctx, st, stride, &b, slots, 1);
    }
    double t1 = now_s();
    size_t gb = wd_groups_bytes(g);
    printf("bench: %llu rows, %u groups, %.2f s (lookup %.2f s), %.1f M rows/s; group table %zu "
           "bytes = %.1f bytes/group, + stride %u = %.1f bytes/group (states allocated: %.1f)\n",
           (unsigned long long)ROWS, n, t1 - t0, tl, ROWS / (t1 - t0) / 1e6, gb, (double)gb / n,
           stride, (double)gb / n + stride, (double)gb / n + (double)cap * stride / n);
    int64_t total = 0;
    for (uint32_t i = 0; i < n; i++) total += *(int64_t *)(st + (size_t)i * stride);
    assert_int_equal(total, (int64_t)((ROWS + B - 1) / B * B));
    wd_free(st);
    wd_arena_free(&ar);
    wd_groups_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_groups_int, setup, teardown),
        cmocka_unit_test_setup_teardown(test_groups_small_ints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_groups_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_groups_multi, setup, teardown),
        cmocka_unit_test_setup_teardown(test_groups_struct_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_groups_nokeys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_groups_growth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_registry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreach_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_type_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sum_avg, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decimal_interval, setup, teardown),
        cmocka_unit_test_setup_teardown(test_minmax, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bool_bit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_last, setup, teardown),
        cmocka_unit_test_setup_teardown(test_array_agg, setup, teardown),
        cmocka_unit_test_setup_teardown(test_approx_distinct, setup, teardown),
        cmocka_unit_test_setup_teardown(test_distinct, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retract, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bench, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
