/*
 * test_batch.c — unit tests for src/batch: types (spelling, equality,
 * widths, classes, field lookup), columns (init, nulls, reserve, gather of
 * ints / text / struct / list, constant expansion) and batches (refcounts,
 * borrowing keeps the parent alive, gather, seal, schema).  Meant to run
 * under ASan so that leaks and use-after-free show.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "batch/batch.h"
#include "batch/types.h"

/* ---- types -------------------------------------------------------------- */

static void test_type_format(void **state)
{
    (void)state;
    wd_arena a;
    wd_arena_init(&a, 0);
    struct {
        const wd_type *t;
        const char *s;
    } prims[] = {
        {WD_TYPE_NULL, "NULL"},
        {WD_TYPE_BOOL, "BOOLEAN"},
        {WD_TYPE_INT16, "SMALLINT"},
        {WD_TYPE_INT32, "INT"},
        {WD_TYPE_INT64, "BIGINT"},
        {WD_TYPE_UINT16, "SMALLINT UNSIGNED"},
        {WD_TYPE_UINT32, "INT UNSIGNED"},
        {WD_TYPE_UINT64, "BIGINT UNSIGNED"},
        {WD_TYPE_FLOAT32, "REAL"},
        {WD_TYPE_FLOAT64, "DOUBLE"},
        {WD_TYPE_TEXT, "TEXT"},
        {WD_TYPE_BYTES, "BYTEA"},
        {WD_TYPE_TIMESTAMP, "TIMESTAMP"},
        {WD_TYPE_DATE, "DATE"},
        {WD_TYPE_INTERVAL, "INTERVAL"},
        {WD_TYPE_JSON, "JSON"},
    };
    for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++) {
        assert_string_equal(wd_type_name(prims[i].t), prims[i].s);
        assert_ptr_equal(wd_type_of(prims[i].t->id), prims[i].t);
    }
    assert_null(wd_type_of(WD_T_DECIMAL));
    assert_null(wd_type_of(WD_T_STRUCT));
    assert_null(wd_type_of(WD_T_LIST));
    assert_null(wd_type_of(WD_T__COUNT));

    const wd_type *dec = wd_type_decimal(&a, 10, 2);
    assert_string_equal(wd_type_name(dec), "DECIMAL(10,2)");
    const wd_type *lst = wd_type_list(&a, WD_TYPE_INT64);
    assert_string_equal(wd_type_name(lst), "BIGINT[]");
    wd_field f[] = {{"a", WD_TYPE_INT64, true}, {"b", WD_TYPE_TEXT, false}};
    const wd_type *st = wd_type_struct(&a, 2, f);
    assert_string_equal(wd_type_name(st), "STRUCT<a BIGINT, b TEXT>");
    const wd_type *lst2 = wd_type_list(&a, st);
    assert_string_equal(wd_type_name(lst2), "STRUCT<a BIGINT, b TEXT>[]");
    wd_field f2[] = {{"s", st, true}, {"l", wd_type_list(&a, lst), true}};
    const wd_type *nested = wd_type_struct(&a, 2, f2);
    assert_string_equal(wd_type_name(nested),
                        "STRUCT<s STRUCT<a BIGINT, b TEXT>, l BIGINT[][]>");
    assert_string_equal(wd_type_name(wd_type_struct(&a, 0, NULL)), "STRUCT<>");

    /* four names at once stay valid */
    const char *n1 = wd_type_name(WD_TYPE_INT64), *n2 = wd_type_name(WD_TYPE_TEXT);
    const char *n3 = wd_type_name(dec), *n4 = wd_type_name(lst);
    assert_string_equal(n1, "BIGINT");
    assert_string_equal(n2, "TEXT");
    assert_string_equal(n3, "DECIMAL(10,2)");
    assert_string_equal(n4, "BIGINT[]");

    /* bounded formatting */
    char small[8];
    size_t want = wd_type_format(st, small, sizeof small);
    assert_int_equal(want, strlen("STRUCT<a BIGINT, b TEXT>"));
    assert_string_equal(small, "STRUCT<");
    assert_int_equal(wd_type_format(st, NULL, 0), want);
    assert_string_equal(wd_type_name(NULL), "?");

    /* decimal clamping */
    assert_string_equal(wd_type_name(wd_type_decimal(&a, 99, 50)), "DECIMAL(38,38)");
    assert_string_equal(wd_type_name(wd_type_decimal(&a, 0, -1)), "DECIMAL(1,0)");
    wd_arena_free(&a);
}

static void test_type_eq(void **state)
{
    (void)state;
    wd_arena a;
    wd_arena_init(&a, 0);
    assert_true(wd_type_eq(WD_TYPE_INT64, WD_TYPE_INT64));
    assert_false(wd_type_eq(WD_TYPE_INT64, WD_TYPE_INT32));
    assert_false(wd_type_eq(WD_TYPE_INT64, NULL));
    assert_true(wd_type_eq(NULL, NULL));
    assert_true(wd_type_eq(wd_type_decimal(&a, 10, 2), wd_type_decimal(&a, 10, 2)));
    assert_false(wd_type_eq(wd_type_decimal(&a, 10, 2), wd_type_decimal(&a, 10, 3)));
    assert_true(wd_type_eq(wd_type_list(&a, WD_TYPE_TEXT), wd_type_list(&a, WD_TYPE_TEXT)));
    assert_false(wd_type_eq(wd_type_list(&a, WD_TYPE_TEXT), wd_type_list(&a, WD_TYPE_JSON)));
    char name[8];
    strcpy(name, "a");
    wd_field f1[] = {{name, WD_TYPE_INT64, true}, {"b", WD_TYPE_TEXT, false}};
    const wd_type *s1 = wd_type_struct(&a, 2, f1);
    strcpy(name, "zzz"); /* names were copied */
    assert_string_equal(s1->fields[0].name, "a");
    wd_field f2[] = {{"a", WD_TYPE_INT64, false}, {"b", WD_TYPE_TEXT, true}};
    wd_field f3[] = {{"a", WD_TYPE_INT64, false}, {"c", WD_TYPE_TEXT, true}};
    wd_field f4[] = {{"a", WD_TYPE_INT64, false}};
    assert_true(wd_type_eq(s1, wd_type_struct(&a, 2, f2))); /* nullability ignored */
    assert_false(wd_type_eq(s1, wd_type_struct(&a, 2, f3)));
    assert_false(wd_type_eq(s1, wd_type_struct(&a, 1, f4)));

    assert_int_equal(wd_type_field_index(s1, "b"), 1);
    assert_int_equal(wd_type_field_index(s1, "A"), 0);
    assert_int_equal(wd_type_field_index(s1, "x"), -1);
    assert_int_equal(wd_type_field_index(WD_TYPE_INT64, "a"), -1);
    assert_int_equal(wd_type_field_index(NULL, "a"), -1);

    assert_int_equal(wd_type_width(WD_T_BOOL), 1);
    assert_int_equal(wd_type_width(WD_T_INT16), 2);
    assert_int_equal(wd_type_width(WD_T_UINT32), 4);
    assert_int_equal(wd_type_width(WD_T_DATE), 4);
    assert_int_equal(wd_type_width(WD_T_INT64), 8);
    assert_int_equal(wd_type_width(WD_T_TIMESTAMP), 8);
    assert_int_equal(wd_type_width(WD_T_FLOAT64), 8);
    assert_int_equal(wd_type_width(WD_T_DECIMAL), 16);
    assert_int_equal(wd_type_width(WD_T_TEXT), sizeof(wd_str));
    assert_int_equal(wd_type_width(WD_T_INTERVAL), sizeof(wd_interval));
    assert_int_equal(wd_type_width(WD_T_LIST), 4);
    assert_int_equal(wd_type_width(WD_T_STRUCT), 0);

    assert_true(wd_type_is_int(WD_T_INT16));
    assert_true(wd_type_is_int(WD_T_UINT64));
    assert_false(wd_type_is_int(WD_T_FLOAT32));
    assert_true(wd_type_is_signed(WD_T_INT64));
    assert_false(wd_type_is_signed(WD_T_UINT16));
    assert_true(wd_type_is_float(WD_T_FLOAT64));
    assert_true(wd_type_is_numeric(WD_T_DECIMAL));
    assert_false(wd_type_is_numeric(WD_T_TEXT));
    assert_true(wd_type_is_stringy(WD_T_JSON));
    assert_true(wd_type_is_stringy(WD_T_BYTES));
    assert_false(wd_type_is_stringy(WD_T_TIMESTAMP));
    wd_arena_free(&a);
}

/* ---- columns ------------------------------------------------------------ */

static void test_col_basic(void **state)
{
    (void)state;
    wd_arena a;
    wd_arena_init(&a, 0);
    wd_col c;
    wd_col_init(&c, WD_TYPE_INT64, 4, &a);
    assert_int_equal(c.len, 0);
    assert_int_equal(c.cap, 4);
    assert_null(c.valid);
    int64_t *v = WD_COL_VALS(&c, int64_t);
    for (int i = 0; i < 4; i++) v[i] = i * 10;
    c.len = 4;
    assert_int_equal(wd_col_null_count(&c), 0);
    wd_col_set_null(&c, 2, &a);
    assert_non_null(c.valid);
    assert_true(wd_col_valid(&c, 1));
    assert_false(wd_col_valid(&c, 2));
    assert_int_equal(wd_col_null_count(&c), 1);
    /* reserve keeps values and validity */
    wd_col_reserve(&c, 100, &a);
    assert_true(c.cap >= 100);
    v = WD_COL_VALS(&c, int64_t);
    for (int i = 4; i < 100; i++) v[i] = i * 10;
    c.len = 100;
    assert_int_equal(WD_COL_GET(&c, int64_t, 3), 30);
    assert_int_equal(WD_COL_GET(&c, int64_t, 99), 990);
    assert_false(wd_col_valid(&c, 2));
    assert_true(wd_col_valid(&c, 99));
    assert_int_equal(wd_col_null_count(&c), 1);
    assert_ptr_equal(wd_col_valid_alloc(&c, &a), c.valid);

    /* reserve from empty */
    wd_col e;
    wd_col_init(&e, WD_TYPE_TEXT, 0, &a);
    wd_col_reserve(&e, 3, &a);
    WD_COL_VALS(&e, wd_str)[2] = wd_str_copy(&a, "xyz", 3);
    e.len = 3;
    assert_memory_equal(WD_COL_GET(&e, wd_str, 2).ptr, "xyz", 3);
    wd_str empty = wd_str_copy(&a, NULL, 0);
    assert_int_equal(empty.len, 0);

    /* constant columns */
    wd_col k;
    wd_col_init(&k, WD_TYPE_INT32, 1, &a);
    WD_COL_VALS(&k, int32_t)[0] = 7;
    k.flags = WD_COL_CONST;
    k.len = 1000;
    assert_int_equal(WD_COL_GET(&k, int32_t, 999), 7);
    assert_int_equal(wd_col_null_count(&k), 0);
    wd_col_set_null(&k, 500, &a);
    assert_false(wd_col_valid(&k, 3));
    assert_int_equal(wd_col_null_count(&k), 1000);

    /* NULL-typed columns are all null */
    wd_col nc;
    wd_col_init(&nc, WD_TYPE_NULL, 3, &a);
    nc.len = 3;
    assert_int_equal(wd_col_null_count(&nc), 3);
    wd_col_reserve(&nc, 10, &a);
    nc.len = 10;
    assert_int_equal(wd_col_null_count(&nc), 10);
    wd_arena_free(&a);
}

static void test_col_gather_prims(void **state)
{
    (void)state;
    wd_arena a;
    wd_arena_init(&a, 0);
    const wd_type *types[] = {WD_TYPE_BOOL,      WD_TYPE_INT16,    WD_TYPE_INT32,
                              WD_TYPE_INT64,     WD_TYPE_UINT16,   WD_TYPE_FLOAT32,
                              WD_TYPE_FLOAT64,   WD_TYPE_TEXT,     WD_TYPE_TIMESTAMP,
                              WD_TYPE_DATE,      WD_TYPE_INTERVAL, wd_type_decimal(&a, 20, 3),
                              WD_TYPE_NULL};
    const uint32_t idx[] = {4, 0, 4, 2};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        wd_col c, d;
        wd_col_init(&c, types[t], 5, &a);
        size_t w = wd_type_width(types[t]->id);
        unsigned char *bytes = c.data;
        for (size_t i = 0; i < 5 * w; i++) bytes[i] = (unsigned char)(i / w + 1);
        c.len = 5;
        if (types[t]->id != WD_T_NULL) wd_col_set_null(&c, 2, &a);
        wd_col_gather(&d, &c, idx, 4, &a);
        assert_int_equal(d.len, 4);
        assert_ptr_equal(d.type, types[t]);
        for (uint32_t i = 0; i < 4; i++) {
            assert_int_equal(wd_col_valid(&d, i), wd_col_valid(&c, idx[i]));
            if (w) assert_memory_equal((char *)d.data + i * w, (char *)c.data + idx[i] * w, w);
        }
        if (types[t]->id == WD_T_NULL) assert_int_equal(wd_col_null_count(&d), 4);
        else assert_int_equal(wd_col_null_count(&d), 1);
        /* shallow copy */
        wd_col s;
        wd_col_gather(&s, &c, NULL, 3, &a);
        assert_int_equal(s.len, 3);
        assert_ptr_equal(s.data, c.data);
        /* empty gather */
        wd_col z;
        wd_col_gather(&z, &c, idx, 0, &a);
        assert_int_equal(z.len, 0);
    }

    /* text: views are gathered, bytes stay */
    wd_col t, u;
    wd_col_init(&t, WD_TYPE_TEXT, 3, &a);
    const char *words[] = {"alpha", "beta", "gamma"};
    for (int i = 0; i < 3; i++)
        WD_COL_VALS(&t, wd_str)[i] = wd_str_copy(&a, words[i], strlen(words[i]));
    t.len = 3;
    const uint32_t ti[] = {2, 2, 0};
    wd_col_gather(&u, &t, ti, 3, &a);
    assert_memory_equal(WD_COL_GET(&u, wd_str, 0).ptr, "gamma", 5);
    assert_ptr_equal(WD_COL_GET(&u, wd_str, 1).ptr, WD_COL_GET(&t, wd_str, 2).ptr);
    assert_int_equal(WD_COL_GET(&u, wd_str, 2).len, 5);

    /* constant column: gathered stays constant */
    wd_col k, kg, ke;
    wd_col_init(&k, WD_TYPE_TEXT, 1, &a);
    WD_COL_VALS(&k, wd_str)[0] = wd_str_make("same", 4);
    k.flags = WD_COL_CONST;
    k.len = 10;
    wd_col_gather(&kg, &k, ti, 3, &a);
    assert_true(kg.flags & WD_COL_CONST);
    assert_int_equal(kg.len, 3);
    wd_col_expand_const(&ke, &k, 6, &a);
    assert_false(ke.flags & WD_COL_CONST);
    assert_int_equal(ke.len, 6);
    for (uint32_t i = 0; i < 6; i++) assert_memory_equal(WD_COL_VALS(&ke, wd_str)[i].ptr, "same", 4);
    assert_null(ke.valid);
    /* null constant */
    wd_col_set_null(&k, 0, &a);
    wd_col_expand_const(&ke, &k, 6, &a);
    assert_int_equal(wd_col_null_count(&ke), 6);
    /* non-constant: shallow */
    wd_col_expand_const(&ke, &t, 2, &a);
    assert_int_equal(ke.len, 2);
    assert_ptr_equal(ke.data, t.data);
    wd_arena_free(&a);
}

/* STRUCT<a BIGINT, b TEXT> */
static const wd_type *point_type(wd_arena *a)
{
    wd_field f[] = {{"a", WD_TYPE_INT64, true}, {"b", WD_TYPE_TEXT, true}};
    return wd_type_struct(a, 2, f);
}

static void test_col_gather_struct(void **state)
{
    (void)state;
    wd_arena a;
    wd_arena_init(&a, 0);
    const wd_type *st = point_type(&a);
    wd_col c, d;
    wd_col_init(&c, st, 4, &a);
    assert_non_null(c.child);
    for (int i = 0; i < 4; i++) {
        WD_COL_VALS(&c.child[0], int64_t)[i] = 100 + i;
        char tmp[8];
        int n = snprintf(tmp, sizeof tmp, "s%d", i);
        WD_COL_VALS(&c.child[1], wd_str)[i] = wd_str_copy(&a, tmp, (size_t)n);
    }
    c.len = c.child[0].len = c.child[1].len = 4;
    wd_col_set_null(&c, 1, &a);
    wd_col_set_null(&c.child[1], 3, &a);
    const uint32_t idx[] = {3, 1, 0};
    wd_col_gather(&d, &c, idx, 3, &a);
    assert_int_equal(d.len, 3);
    assert_int_equal(d.child[0].len, 3);
    assert_int_equal(WD_COL_GET(&d.child[0], int64_t, 0), 103);
    assert_int_equal(WD_COL_GET(&d.child[0], int64_t, 2), 100);
    assert_false(wd_col_valid(&d.child[1], 0));
    assert_true(wd_col_valid(&d, 0));
    assert_false(wd_col_valid(&d, 1));
    assert_memory_equal(WD_COL_GET(&d.child[1], wd_str, 2).ptr, "s0", 2);
    /* reserve grows children */
    wd_col_reserve(&c, 50, &a);
    assert_true(c.child[0].cap >= 50);
    assert_true(c.child[1].cap >= 50);
    assert_int_equal(WD_COL_GET(&c.child[0], int64_t, 3), 103);
    wd_arena_free(&a);
}

/* Fill a BIGINT[] column: rows {1,2}, {}, {3}, NULL, {4,5,6}. */
static void fill_list(wd_col *c, wd_arena *a)
{
    const wd_type *lt = wd_type_list(a, WD_TYPE_INT64);
    wd_col_init(c, lt, 5, a);
    uint32_t *off = c->data;
    const int64_t vals[] = {1, 2, 3, 4, 5, 6};
    const uint32_t ends[] = {2, 2, 3, 3, 6};
    wd_col_reserve(c->child, 6, a);
    for (int i = 0; i < 6; i++) WD_COL_VALS(c->child, int64_t)[i] = vals[i];
    c->child->len = 6;
    for (int i = 0; i < 5; i++) off[i + 1] = ends[i];
    c->len = 5;
    wd_col_set_null(c, 3, a);
}

static void test_col_gather_list(void **state)
{
    (void)state;
    wd_arena a;
    wd_arena_init(&a, 0);
    wd_col c, d;
    fill_list(&c, &a);
    const uint32_t idx[] = {4, 0, 1, 3, 2, 4};
    wd_col_gather(&d, &c, idx, 6, &a);
    const uint32_t *off = d.data;
    const uint32_t want_off[] = {0, 3, 5, 5, 5, 6, 9};
    assert_memory_equal(off, want_off, sizeof want_off);
    assert_int_equal(d.child->len, 9);
    const int64_t want[] = {4, 5, 6, 1, 2, 3, 4, 5, 6};
    for (int i = 0; i < 9; i++) assert_int_equal(WD_COL_GET(d.child, int64_t, i), want[i]);
    assert_false(wd_col_valid(&d, 3));
    assert_true(wd_col_valid(&d, 4));

    /* a list of structs */
    const wd_type *st = point_type(&a);
    wd_col ls, lg;
    wd_col_init(&ls, wd_type_list(&a, st), 2, &a);
    wd_col_reserve(ls.child, 3, &a);
    for (int i = 0; i < 3; i++) {
        WD_COL_VALS(&ls.child->child[0], int64_t)[i] = i;
        WD_COL_VALS(&ls.child->child[1], wd_str)[i] = wd_str_make("x", 1);
    }
    uint32_t *lo = ls.data;
    lo[1] = 1;
    lo[2] = 3;
    ls.len = 2;
    const uint32_t li[] = {1};
    wd_col_gather(&lg, &ls, li, 1, &a);
    assert_int_equal(lg.child->len, 2);
    assert_int_equal(lg.child->child[0].len, 2);
    assert_int_equal(WD_COL_GET(&lg.child->child[0], int64_t, 0), 1);
    assert_int_equal(WD_COL_GET(&lg.child->child[0], int64_t, 1), 2);

    /* constant list expanded */
    wd_col k = c, ke;
    k.flags = WD_COL_CONST;
    k.valid = NULL;
    k.len = 4; /* physical row 0 = {1,2} */
    wd_col_expand_const(&ke, &k, 4, &a);
    assert_int_equal(ke.child->len, 8);
    assert_int_equal(((uint32_t *)ke.data)[4], 8);
    assert_int_equal(WD_COL_GET(ke.child, int64_t, 7), 2);
    wd_arena_free(&a);
}

/* ---- batches ------------------------------------------------------------ */

static const wd_type *bid_schema(wd_arena *a)
{
    wd_field f[] = {{"auction", WD_TYPE_INT64, false},
                    {"channel", WD_TYPE_TEXT, true},
                    {"tags", wd_type_list(a, WD_TYPE_TEXT), true},
                    {"pt", point_type(a), true}};
    return wd_schema_make(a, 4, f);
}

static void test_schema(void **state)
{
    (void)state;
    wd_arena a;
    wd_arena_init(&a, 0);
    const wd_type *s = bid_schema(&a);
    assert_int_equal(s->nfields, 5);
    assert_string_equal(s->fields[4].name, "_timestamp");
    assert_ptr_equal(s->fields[4].type, WD_TYPE_TIMESTAMP);
    assert_false(s->fields[4].nullable);
    assert_int_equal(wd_schema_ts_index(s), 4);
    assert_true(wd_field_is_hidden("_timestamp"));
    assert_false(wd_field_is_hidden("timestamp"));
    assert_false(wd_field_is_hidden(NULL));
    /* already ending in _timestamp: not doubled */
    const wd_type *s2 = wd_schema_make(&a, s->nfields, s->fields);
    assert_int_equal(s2->nfields, 5);
    assert_true(wd_type_eq(s, s2));
    const wd_type *e = wd_schema_make(&a, 0, NULL);
    assert_int_equal(e->nfields, 1);
    wd_arena_free(&a);
}

/* A batch of n rows of bid_schema. */
static wd_batch *make_bids(const wd_type *schema, uint32_t n)
{
    wd_batch *b = wd_batch_new(schema, n);
    assert_non_null(b);
    assert_int_equal(b->refs, 1);
    assert_int_equal(b->nrows, 0);
    int64_t *auction = WD_COL_VALS(&b->cols[0], int64_t);
    wd_str *chan = WD_COL_VALS(&b->cols[1], wd_str);
    wd_col *tags = &b->cols[2];
    uint32_t *toff = tags->data;
    wd_col *pt = &b->cols[3];
    int64_t *ts = wd_batch_ts(b);
    uint32_t ne = 0;
    for (uint32_t i = 0; i < n; i++) {
        auction[i] = 1000 + i;
        char tmp[32];
        int k = snprintf(tmp, sizeof tmp, "channel-%u", i);
        chan[i] = wd_str_copy(&b->arena, tmp, (size_t)k);
        for (uint32_t j = 0; j < i % 3; j++) {
            wd_col_reserve(tags->child, ne + 1, &b->arena);
            WD_COL_VALS(tags->child, wd_str)[ne++] = wd_str_copy(&b->arena, tmp, (size_t)k);
        }
        toff[i + 1] = ne;
        WD_COL_VALS(&pt->child[0], int64_t)[i] = -(int64_t)i;
        WD_COL_VALS(&pt->child[1], wd_str)[i] = wd_str_make("static", 6);
        ts[i] = 1696871620000000000LL + i;
        if (i % 4 == 1) wd_col_set_null(&b->cols[1], i, &b->arena);
    }
    b->nrows = n;
    wd_batch_seal(b);
    return b;
}

static void test_batch_refcount(void **state)
{
    (void)state;
    wd_arena a;
    wd_arena_init(&a, 0);
    const wd_type *schema = bid_schema(&a);
    wd_batch *b = make_bids(schema, 100);
    for (uint32_t i = 0; i < schema->nfields; i++) assert_int_equal(b->cols[i].len, 100);
    assert_int_equal(b->cols[3].child[0].len, 100);
    assert_int_equal(b->cols[2].child->len, 99); /* 0+1+2 repeated: 33*3 */
    wd_batch_retain(b);
    assert_int_equal(b->refs, 2);
    wd_batch_release(b);
    assert_int_equal(b->refs, 1);
    wd_batch_release(b);
    wd_batch_release(NULL);

    /* many batches made and freed (arena chunk recycling) */
    int64_t base = wd_alloc_live_bytes();
    for (int i = 0; i < 300; i++) {
        wd_batch *x = make_bids(schema, WD_BATCH_ROWS);
        wd_batch_release(x);
    }
    int64_t after = wd_alloc_live_bytes();
    assert_true(after - base < 8 * 1024 * 1024); /* bounded: only recycled chunks */

    wd_batch *e = wd_batch_new_empty(schema);
    assert_ptr_equal(e->cols[1].type, WD_TYPE_TEXT);
    assert_null(e->cols[1].data);
    wd_batch_release(e);
    wd_arena_free(&a);
}

static void test_batch_borrow(void **state)
{
    (void)state;
    wd_arena a;
    wd_arena_init(&a, 0);
    const wd_type *schema = bid_schema(&a);
    wd_batch *parent = make_bids(schema, 10);
    parent->retract = wd_batch_alloc(parent, 10);
    for (int i = 0; i < 10; i++) parent->retract[i] = (uint8_t)(i & 1);
    const uint32_t idx[] = {9, 5, 4, 1};
    wd_batch *child = wd_batch_gather(parent, idx, 4);
    assert_non_null(child);
    assert_int_equal(parent->refs, 2);
    assert_int_equal(child->nparents, 1);
    /* borrowing twice is one reference */
    wd_batch_borrow(child, parent);
    assert_int_equal(parent->refs, 2);
    wd_batch_borrow(child, child);
    wd_batch_borrow(child, NULL);
    assert_int_equal(child->nparents, 1);

    /* the parent goes away; the child still reads its strings */
    wd_batch_release(parent);
    assert_int_equal(child->nrows, 4);
    assert_int_equal(WD_COL_GET(&child->cols[0], int64_t, 0), 1009);
    wd_str s = WD_COL_GET(&child->cols[1], wd_str, 0);
    assert_int_equal(s.len, strlen("channel-9"));
    assert_memory_equal(s.ptr, "channel-9", s.len);
    /* rows 9, 5 and 1 of the parent had a null channel */
    assert_false(wd_col_valid(&child->cols[1], 0));
    assert_false(wd_col_valid(&child->cols[1], 1));
    assert_true(wd_col_valid(&child->cols[1], 2));
    assert_false(wd_col_valid(&child->cols[1], 3));
    /* list: row 9 has 0 tags, 5 has 2, 4 has 1, 1 has 1 */
    const uint32_t *off = child->cols[2].data;
    const uint32_t want_off[] = {0, 0, 2, 3, 4};
    assert_memory_equal(off, want_off, sizeof want_off);
    wd_str tg = WD_COL_GET(child->cols[2].child, wd_str, 2);
    assert_memory_equal(tg.ptr, "channel-4", tg.len);
    assert_int_equal(WD_COL_GET(&child->cols[3].child[0], int64_t, 1), -5);
    assert_int_equal(wd_batch_ts(child)[3], 1696871620000000001LL);
    assert_int_equal(child->retract[0], 1);
    assert_int_equal(child->retract[2], 0);

    /* a grandchild keeps the chain alive */
    wd_batch *grand = wd_batch_gather(child, NULL, 2);
    wd_batch_release(child);
    s = WD_COL_GET(&grand->cols[1], wd_str, 1);
    assert_memory_equal(s.ptr, "channel-5", s.len);
    assert_int_equal(grand->retract[0], 1);
    wd_batch_release(grand);

    /* several parents, more than the initial capacity */
    wd_batch *multi = wd_batch_new(schema, 1);
    wd_batch *ps[10];
    for (int i = 0; i < 10; i++) {
        ps[i] = make_bids(schema, 3);
        wd_batch_borrow(multi, ps[i]);
        wd_batch_release(ps[i]);
    }
    assert_int_equal(multi->nparents, 10);
    assert_int_equal(ps[9]->refs, 1);
    wd_batch_release(multi);
    wd_arena_free(&a);
}

static void test_batch_dump(void **state)
{
    (void)state;
    wd_arena a;
    wd_arena_init(&a, 0);
    wd_field f[] = {{"d", wd_type_decimal(&a, 10, 2), true},
                    {"iv", WD_TYPE_INTERVAL, true},
                    {"day", WD_TYPE_DATE, true},
                    {"raw", WD_TYPE_BYTES, true},
                    {"ok", WD_TYPE_BOOL, true},
                    {"n", WD_TYPE_NULL, true}};
    const wd_type *schema = wd_schema_make(&a, 6, f);
    wd_batch *b = wd_batch_new(schema, 2);
    WD_COL_VALS(&b->cols[0], wd_i128)[0] = -12345;
    WD_COL_VALS(&b->cols[0], wd_i128)[1] = 5;
    wd_interval iv = {1, 2, 3};
    WD_COL_VALS(&b->cols[1], wd_interval)[0] = iv;
    WD_COL_VALS(&b->cols[3], wd_str)[0] = wd_str_make("\x01\xff", 2);
    wd_col_set_null(&b->cols[1], 1, &b->arena);
    b->nrows = 2;
    wd_batch_seal(b);
    wd_batch_dump(b);
    wd_batch_dump(NULL);
    wd_batch_release(b);
    wd_batch *bids = make_bids(bid_schema(&a), 3);
    wd_batch_dump(bids);
    wd_batch_release(bids);
    wd_arena_free(&a);
}


/* Threads share a batch (retain/release) and churn their own batches, so
 * refcounts and the arena chunk free list are used concurrently. */
typedef struct thr_arg {
    wd_batch *shared;
    const wd_type *schema;
} thr_arg;

static void *thr_main(void *p)
{
    thr_arg *t = p;
    for (int i = 0; i < 200; i++) {
        wd_batch_retain(t->shared);
        wd_batch *mine = wd_batch_new(t->schema, 2000);
        WD_COL_VALS(&mine->cols[0], int64_t)[1999] = i;
        wd_batch *g = wd_batch_gather(t->shared, NULL, 5);
        wd_batch_borrow(mine, g);
        wd_batch_release(g);
        wd_batch_release(t->shared);
        wd_batch_release(mine);
    }
    return NULL;
}

static void test_batch_threads(void **state)
{
    (void)state;
    wd_arena a;
    wd_arena_init(&a, 0);
    const wd_type *schema = bid_schema(&a);
    wd_batch *shared = make_bids(schema, 10);
    thr_arg arg = {shared, schema};
    pthread_t th[8];
    for (int i = 0; i < 8; i++) assert_int_equal(pthread_create(&th[i], NULL, thr_main, &arg), 0);
    for (int i = 0; i < 8; i++) pthread_join(th[i], NULL);
    assert_int_equal(shared->refs, 1);
    wd_batch_release(shared);
    wd_arena_free(&a);
}

/* A child of a constant STRUCT (one physical row) expands like a constant. */
static void test_expand_struct_child(void **state)
{
    (void)state;
    wd_arena a;
    wd_arena_init(&a, 0);
    wd_col c, x, z;
    wd_col_init(&c, point_type(&a), 1, &a);
    WD_COL_VALS(&c.child[0], int64_t)[0] = 77;
    c.child[0].len = c.child[1].len = 1;
    c.flags = WD_COL_CONST;
    c.len = 50;
    wd_col_expand_const(&x, &c.child[0], 50, &a);
    assert_int_equal(x.len, 50);
    assert_int_equal(WD_COL_GET(&x, int64_t, 49), 77);
    wd_col_expand_const(&x, &c, 50, &a);
    assert_int_equal(WD_COL_GET(&x.child[0], int64_t, 49), 77);
    /* no physical row at all: nulls */
    wd_col_init(&z, WD_TYPE_INT64, 0, &a);
    wd_col_expand_const(&x, &z, 5, &a);
    assert_int_equal(x.len, 5);
    assert_int_equal(wd_col_null_count(&x), 5);
    wd_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_format),       cmocka_unit_test(test_type_eq),
        cmocka_unit_test(test_col_basic),         cmocka_unit_test(test_col_gather_prims),
        cmocka_unit_test(test_col_gather_struct), cmocka_unit_test(test_col_gather_list),
        cmocka_unit_test(test_schema),            cmocka_unit_test(test_batch_refcount),
        cmocka_unit_test(test_batch_borrow),      cmocka_unit_test(test_batch_dump),
        cmocka_unit_test(test_batch_threads),     cmocka_unit_test(test_expand_struct_child),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
