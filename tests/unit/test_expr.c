/*
 * test_expr.c — unit tests for src/expr: evaluation of expression trees
 * built with the constructors and wd_func_resolve over hand-made batches.
 * Covers three-valued logic, overflow and division errors, CASE laziness,
 * COALESCE, IN with NULLs, casts (values and error messages), comparisons
 * of text/timestamps/decimals, LIKE, constant folding, overload resolution
 * and its errors, greatest/least, math functions, printing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "expr/expr.h"
#include "expr/func.h"

static wd_arena A; /* plan arena: types and trees */
static wd_arena R; /* results */
static wd_batch *B;

/* Batch: $0 BIGINT [1, NULL, 0, 9223372036854775807]
 *        $1 TEXT   ['abc', 'Hello', NULL, 'a_c%']
 *        $2 BOOL   [true, false, NULL, true]
 *        $3 DOUBLE [1.5, -2.0, 0.0, NULL]
 *        $4 INT    [1, 2, 3, 300000]
 *        $5 DECIMAL(10,2) [1.25, -3.50, NULL, 100.00] */
enum { NROWS = 4 };

static int setup(void **state)
{
    (void)state;
    wd_arena_init(&A, 0);
    wd_arena_init(&R, 0);
    wd_field f[] = {
        {"i", WD_TYPE_INT64, true},  {"s", WD_TYPE_TEXT, true},
        {"b", WD_TYPE_BOOL, true},   {"d", WD_TYPE_FLOAT64, true},
        {"n", WD_TYPE_INT32, true},  {"m", wd_type_decimal(&A, 10, 2), true},
    };
    const wd_type *schema = wd_schema_make(&A, 6, f);
    B = wd_batch_new(schema, NROWS);
    wd_col *c = B->cols;
    int64_t iv[] = {1, 0, 0, INT64_MAX};
    const char *sv[] = {"abc", "Hello", "", "a_c%"};
    uint8_t bv[] = {1, 0, 0, 1};
    double dv[] = {1.5, -2.0, 0.0, 0};
    int32_t nv[] = {1, 2, 3, 300000};
    wd_i128 mv[] = {125, -350, 0, 10000};
    for (uint32_t r = 0; r < NROWS; r++) {
        WD_COL_VALS(&c[0], int64_t)[r] = iv[r];
        WD_COL_VALS(&c[1], wd_str)[r] = wd_str_copy(&B->arena, sv[r], strlen(sv[r]));
        WD_COL_VALS(&c[2], uint8_t)[r] = bv[r];
        WD_COL_VALS(&c[3], double)[r] = dv[r];
        WD_COL_VALS(&c[4], int32_t)[r] = nv[r];
        WD_COL_VALS(&c[5], wd_i128)[r] = mv[r];
        wd_batch_ts(B)[r] = r;
    }
    B->nrows = NROWS;
    wd_batch_seal(B);
    wd_col_set_null(&c[0], 1, &B->arena);
    wd_col_set_null(&c[1], 2, &B->arena);
    wd_col_set_null(&c[2], 2, &B->arena);
    wd_col_set_null(&c[3], 3, &B->arena);
    wd_col_set_null(&c[5], 2, &B->arena);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    wd_batch_release(B);
    wd_arena_free(&A);
    wd_arena_free(&R);
    return 0;
}

/* ---- helpers ------------------------------------------------------------ */

static wd_expr *col(int i) { return wd_expr_col(&A, i, B->schema->fields[i].type); }
static wd_expr *i64(int64_t v) { return wd_expr_lit_i64(&A, v); }
static wd_expr *f64(double v) { return wd_expr_lit_f64(&A, v); }
static wd_expr *txt(const char *s) { return wd_expr_lit_text(&A, s, strlen(s)); }
static wd_expr *bl(bool v) { return wd_expr_lit_bool(&A, v); }
static wd_expr *nul(void) { return wd_expr_lit_null(&A, WD_TYPE_NULL); }

static wd_error E;

/* Resolve name(args) and build the call with the implicit casts. */
static wd_expr *callv(const char *name, uint32_t n, wd_expr **args)
{
    const wd_type *t[16], *casts[16];
    for (uint32_t i = 0; i < n; i++) t[i] = args[i]->type;
    const wd_func *fn;
    const wd_type *ret;
    wd_err_clear(&E);
    int rc = wd_func_resolve(name, t, n, &A, &fn, &ret, casts, &E);
    if (rc) {
        fprintf(stderr, "resolve %s: %s\n", name, E.msg);
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++)
        if (casts[i]) args[i] = wd_expr_cast(&A, args[i], casts[i]);
    return wd_expr_call(&A, fn, ret, n, args);
}
#define CALL(name, ...)                                                    \
    callv(name, sizeof((wd_expr *[]){__VA_ARGS__}) / sizeof(wd_expr *), \
          (wd_expr *[]){__VA_ARGS__})
static wd_expr *node(wd_expr_kind k, const wd_type *t, uint32_t n, wd_expr **args)
{
    return wd_expr_node(&A, k, t, n, args);
}
#define NODE(k, t, ...) \
    node(k, t, sizeof((wd_expr *[]){__VA_ARGS__}) / sizeof(wd_expr *), (wd_expr *[]){__VA_ARGS__})

static wd_col OUT;

/* Evaluate e over B; returns the rc (err in E). */
static int run(wd_expr *e)
{
    assert_non_null(e);
    const wd_expr *es[1] = {e};
    wd_eval *ev = wd_eval_new(es, 1);
    wd_err_clear(&E);
    memset(&OUT, 0, sizeof OUT);
    int rc = wd_eval_run(ev, 0, B, &R, &OUT, &E);
    wd_eval_free(ev);
    return rc;
}

static void ok(wd_expr *e)
{
    int rc = run(e);
    if (rc) fprintf(stderr, "error: %s\n", E.msg);
    assert_int_equal(rc, 0);
}

static bool isnull(uint32_t r) { return !wd_col_valid(&OUT, r); }
static int64_t geti(uint32_t r) { return WD_COL_GET(&OUT, int64_t, r); }
static double getd(uint32_t r) { return WD_COL_GET(&OUT, double, r); }
static int getb(uint32_t r) { return isnull(r) ? 2 : WD_COL_GET(&OUT, uint8_t, r); }

/* Text of row r of OUT (via CAST to TEXT), "NULL" for null. */
static const char *text_of(uint32_t r)
{
    static char buf[256];
    if (isnull(r)) return "NULL";
    if (OUT.type->id == WD_T_TEXT || OUT.type->id == WD_T_JSON) {
        wd_str s = WD_COL_GET(&OUT, wd_str, r);
        snprintf(buf, sizeof buf, "%.*s", (int)s.len, s.ptr);
        return buf;
    }
    wd_kctx k = {&R, &E, NULL, WD_TYPE_TEXT, 0, {0, 0}};
    wd_col t;
    wd_col_init(&t, WD_TYPE_TEXT, 1, &R);
    wd_col one = OUT;
    uint32_t idx = r;
    wd_col g;
    wd_col_gather(&g, &one, &idx, 1, &R);
    if (OUT.flags & WD_COL_CONST) g = one;
    assert_int_equal(wd_cast_col(&k, &g, 1, &t, false), 0);
    wd_str s = WD_COL_GET(&t, wd_str, 0);
    snprintf(buf, sizeof buf, "%.*s", (int)s.len, s.ptr);
    return buf;
}

/* Constant expression → its text. */
static const char *cval(wd_expr *e)
{
    assert_non_null(e);
    wd_err_clear(&E);
    memset(&OUT, 0, sizeof OUT);
    int rc = wd_expr_eval_const(e, &R, &OUT, &E);
    if (rc) fprintf(stderr, "const error: %s\n", E.msg);
    assert_int_equal(rc, 0);
    assert_true(OUT.flags & WD_COL_CONST);
    return text_of(0);
}

/* Constant expression that must fail: its error message. */
static const char *cerr(wd_expr *e, int code)
{
    assert_non_null(e);
    wd_err_clear(&E);
    int rc = wd_expr_eval_const(e, &R, &OUT, &E);
    if (rc != code) fprintf(stderr, "expected %d, got %d (%s)\n", code, rc, E.msg);
    assert_int_equal(rc, code);
    return E.msg;
}

static wd_expr *cast(wd_expr *e, const wd_type *t) { return wd_expr_cast(&A, e, t); }

/* ---- tests -------------------------------------------------------------- */

static void test_arith(void **state)
{
    (void)state;
    ok(CALL("+", col(4), i64(10))); /* INT + BIGINT → BIGINT */
    assert_int_equal(OUT.type->id, WD_T_INT64);
    assert_int_equal(geti(0), 11);
    assert_int_equal(geti(3), 300010);
    assert_int_equal(run(CALL("*", col(0), i64(2))), WD_EOVERFLOW); /* row 3 */
    assert_string_equal(E.msg, "integer overflow: 9223372036854775807 * 2");
    ok(CALL("-", i64(0), col(4)));
    assert_int_equal(geti(3), -300000);
    assert_false(OUT.flags & WD_COL_CONST);
}

static void test_overflow(void **state)
{
    (void)state;
    assert_int_equal(run(CALL("+", col(0), i64(1))), WD_EOVERFLOW);
    assert_string_equal(E.msg, "integer overflow: 9223372036854775807 + 1");
    /* null rows never raise: row 1 is NULL */
    ok(CALL("-", col(0), i64(1)));
    assert_true(isnull(1));
    assert_int_equal(geti(3), INT64_MAX - 1);
    assert_string_equal(cerr(CALL("neg", i64(INT64_MIN)), WD_EOVERFLOW),
                        "integer overflow: -(-9223372036854775808)");
    cerr(CALL("abs", i64(INT64_MIN)), WD_EOVERFLOW);
    cerr(CALL("/", i64(INT64_MIN), i64(-1)), WD_EOVERFLOW);
    assert_string_equal(cval(CALL("%", i64(INT64_MIN), i64(-1))), "0");
    cerr(CALL("*", f64(1e308), f64(10)), WD_EOVERFLOW);
    /* the position of the call is reported */
    wd_expr *e = CALL("+", col(0), i64(1));
    e->pos.line = 3;
    e->pos.col = 14;
    assert_int_equal(run(e), WD_EOVERFLOW);
    assert_int_equal(E.pos.line, 3);
    assert_int_equal(E.pos.col, 14);
}

static void test_divzero(void **state)
{
    (void)state;
    assert_int_equal(run(CALL("/", i64(10), col(0))), WD_EDIVZERO); /* row 2 is 0 */
    assert_string_equal(E.msg, "division by zero");
    cerr(CALL("%", i64(1), i64(0)), WD_EDIVZERO);
    cerr(CALL("/", f64(1), f64(0)), WD_EDIVZERO);
    assert_string_equal(cval(CALL("/", i64(7), i64(-2))), "-3");
    assert_string_equal(cval(CALL("%", i64(-7), i64(2))), "-1");
    assert_string_equal(cval(CALL("/", f64(1), f64(4))), "0.25");
}

static void test_three_valued(void **state)
{
    (void)state;
    /* every pair of TRUE / FALSE / NULL */
    wd_expr *v[3] = {bl(false), bl(true), nul()};
    int and_t[3][3] = {{0, 0, 0}, {0, 1, 2}, {0, 2, 2}};
    int or_t[3][3] = {{0, 1, 2}, {1, 1, 1}, {2, 1, 2}};
    for (int x = 0; x < 3; x++)
        for (int y = 0; y < 3; y++) {
            wd_expr *a = NODE(WD_EX_AND, WD_TYPE_BOOL, v[x], v[y]);
            wd_expr *o = NODE(WD_EX_OR, WD_TYPE_BOOL, v[x], v[y]);
            ok(a);
            assert_int_equal(getb(0), and_t[x][y]);
            assert_int_equal(getb(3), and_t[x][y]);
            ok(o);
            assert_int_equal(getb(0), or_t[x][y]);
        }
    /* column forms: $2 = [T, F, NULL, T] */
    ok(NODE(WD_EX_AND, WD_TYPE_BOOL, col(2), nul()));
    assert_int_equal(getb(0), 2);
    assert_int_equal(getb(1), 0);
    assert_int_equal(getb(2), 2);
    ok(NODE(WD_EX_OR, WD_TYPE_BOOL, col(2), nul()));
    assert_int_equal(getb(0), 1);
    assert_int_equal(getb(1), 2);
    ok(NODE(WD_EX_NOT, WD_TYPE_BOOL, col(2)));
    assert_int_equal(getb(0), 0);
    assert_int_equal(getb(1), 1);
    assert_int_equal(getb(2), 2);
    int want[6][4] = {
        {0, 0, 1, 0}, {1, 1, 0, 1}, {1, 0, 0, 1}, {0, 1, 0, 0}, {0, 1, 1, 0}, {1, 0, 1, 1},
    };
    for (int k = 0; k < 6; k++) {
        ok(NODE((wd_expr_kind)(WD_EX_IS_NULL + k), WD_TYPE_BOOL, col(2)));
        assert_null(OUT.valid);
        for (int r = 0; r < 4; r++) assert_int_equal(getb((uint32_t)r), want[k][r]);
    }
    /* AND is lazy: FALSE rows do not evaluate the rest ($0 = 0 only in row 2) */
    wd_expr *guard = CALL("<>", col(0), i64(0));
    ok(NODE(WD_EX_AND, WD_TYPE_BOOL, guard, CALL(">", CALL("/", i64(10), col(0)), i64(1))));
    assert_int_equal(getb(0), 1);
    assert_int_equal(getb(1), 2);
    assert_int_equal(getb(2), 0);
    assert_int_equal(getb(3), 0);
}

static void test_case(void **state)
{
    (void)state;
    /* CASE WHEN $0 = 0 THEN 0 ELSE 10 / $0 END: no division by zero */
    wd_expr *e = NODE(WD_EX_CASE, WD_TYPE_INT64, CALL("=", col(0), i64(0)), i64(0),
                      CALL("/", i64(10), col(0)));
    e->flags |= WD_EXF_ELSE;
    ok(e);
    assert_int_equal(geti(0), 10);
    assert_true(isnull(1));
    assert_int_equal(geti(2), 0);
    assert_int_equal(geti(3), 0);
    /* no ELSE: unmatched rows are NULL; text results */
    e = NODE(WD_EX_CASE, WD_TYPE_TEXT, col(2), col(1), CALL(">", col(4), i64(2)), txt("big"));
    ok(e);
    assert_string_equal(text_of(0), "abc");
    assert_string_equal(text_of(1), "NULL");
    assert_string_equal(text_of(2), "big");
    assert_string_equal(text_of(3), "a_c%");
    /* constant CASE folds to a constant */
    e = NODE(WD_EX_CASE, WD_TYPE_INT64, bl(false), i64(1), i64(2));
    e->flags |= WD_EXF_ELSE;
    ok(e);
    assert_true(OUT.flags & WD_COL_CONST);
    assert_int_equal(geti(2), 2);
}

static void test_coalesce(void **state)
{
    (void)state;
    ok(NODE(WD_EX_COALESCE, WD_TYPE_INT64, col(0), i64(-1)));
    assert_int_equal(geti(0), 1);
    assert_int_equal(geti(1), -1);
    assert_int_equal(geti(2), 0);
    /* lazy: 10 / $0 is evaluated only where $0 is null → no error */
    wd_expr *x = CALL("/", i64(1), CALL("-", col(0), col(0)));
    ok(NODE(WD_EX_COALESCE, WD_TYPE_INT64, i64(5), x));
    assert_int_equal(geti(3), 5);
    ok(NODE(WD_EX_COALESCE, WD_TYPE_TEXT, nul(), col(1), txt("z")));
    assert_string_equal(text_of(2), "z");
    assert_string_equal(text_of(1), "Hello");
}

static void test_in(void **state)
{
    (void)state;
    ok(NODE(WD_EX_IN, WD_TYPE_BOOL, col(0), i64(0), i64(1)));
    assert_int_equal(getb(0), 1);
    assert_int_equal(getb(1), 2);
    assert_int_equal(getb(2), 1);
    assert_int_equal(getb(3), 0);
    /* x IN (1, NULL) is NULL when no match */
    ok(NODE(WD_EX_IN, WD_TYPE_BOOL, col(0), i64(1), nul()));
    assert_int_equal(getb(0), 1);
    assert_int_equal(getb(2), 2);
    wd_expr *e = NODE(WD_EX_IN, WD_TYPE_BOOL, col(0), i64(1), nul());
    e->flags |= WD_EXF_NEG;
    ok(e);
    assert_int_equal(getb(0), 0);
    assert_int_equal(getb(2), 2);
    e = NODE(WD_EX_IN, WD_TYPE_BOOL, col(0), i64(5));
    e->flags |= WD_EXF_NEG;
    ok(e);
    assert_int_equal(getb(0), 1);
    /* INT column against BIGINT and text */
    ok(NODE(WD_EX_IN, WD_TYPE_BOOL, col(4), i64(300000)));
    assert_int_equal(getb(3), 1);
    ok(NODE(WD_EX_IN, WD_TYPE_BOOL, col(1), txt("Hello"), txt("x")));
    assert_int_equal(getb(1), 1);
    assert_int_equal(getb(0), 0);
}

static void test_casts(void **state)
{
    (void)state;
    assert_string_equal(cerr(cast(i64(300000), WD_TYPE_INT16), WD_EOVERFLOW),
                        "cannot cast 300000 to SMALLINT: out of range");
    assert_string_equal(cerr(cast(txt("abc"), WD_TYPE_INT64), WD_ECAST),
                        "cannot cast 'abc' to BIGINT");
    wd_expr *t = cast(txt("abc"), WD_TYPE_INT64);
    t->flags |= WD_EXF_TRY;
    assert_string_equal(cval(t), "NULL");
    assert_string_equal(cval(cast(txt("  42 "), WD_TYPE_INT64)), "42");
    assert_string_equal(cval(cast(txt("-7"), WD_TYPE_INT16)), "-7");
    cerr(cast(txt("1.5"), WD_TYPE_INT32), WD_ECAST);
    cerr(cast(txt("99999999999999999999"), WD_TYPE_INT64), WD_EOVERFLOW);
    assert_string_equal(cval(cast(f64(2.5), WD_TYPE_INT32)), "2"); /* rint */
    assert_string_equal(cval(cast(f64(3.5), WD_TYPE_INT32)), "4");
    assert_string_equal(cval(cast(f64(-2.7), WD_TYPE_INT64)), "-3");
    cerr(cast(f64(1e300), WD_TYPE_INT64), WD_EOVERFLOW);
    cerr(cast(f64(NAN), WD_TYPE_INT64), WD_EOVERFLOW);
    /* floats to text */
    assert_string_equal(cval(cast(f64(0.1), WD_TYPE_TEXT)), "0.1");
    assert_string_equal(cval(cast(f64(1e20), WD_TYPE_TEXT)), "1e+20");
    assert_string_equal(cval(cast(f64(100), WD_TYPE_TEXT)), "100");
    assert_string_equal(cval(cast(f64(-1.5e-7), WD_TYPE_TEXT)), "-1.5e-07");
    assert_string_equal(cval(cast(f64(123456.789), WD_TYPE_TEXT)), "123456.789");
    assert_string_equal(cval(cast(f64(1.0 / 3), WD_TYPE_TEXT)), "0.3333333333333333");
    assert_string_equal(cval(cast(f64(INFINITY), WD_TYPE_TEXT)), "Infinity");
    assert_string_equal(cval(cast(f64(NAN), WD_TYPE_TEXT)), "NaN");
    assert_string_equal(cval(cast(cast(f64(0.1), WD_TYPE_FLOAT32), WD_TYPE_TEXT)), "0.1");
    /* text to floats */
    assert_string_equal(cval(cast(txt(" 1e3 "), WD_TYPE_FLOAT64)), "1000");
    assert_string_equal(cval(cast(txt("-Infinity"), WD_TYPE_FLOAT64)), "-Infinity");
    cerr(cast(txt("1.2.3"), WD_TYPE_FLOAT64), WD_ECAST);
    cerr(cast(txt("0x10"), WD_TYPE_FLOAT64), WD_ECAST);
    /* booleans */
    assert_string_equal(cval(cast(bl(true), WD_TYPE_TEXT)), "true");
    assert_string_equal(cval(cast(txt("yes"), WD_TYPE_BOOL)), "true");
    assert_string_equal(cval(cast(txt("F"), WD_TYPE_BOOL)), "false");
    cerr(cast(txt("maybe"), WD_TYPE_BOOL), WD_ECAST);
    assert_string_equal(cval(cast(bl(true), WD_TYPE_INT32)), "1");
    assert_string_equal(cval(cast(i64(5), WD_TYPE_BOOL)), "true");
    /* decimals */
    const wd_type *d52 = wd_type_decimal(&A, 5, 2);
    assert_string_equal(cval(cast(txt("1.005"), d52)), "1.01");
    assert_string_equal(cval(cast(txt("-1.005"), d52)), "-1.01");
    assert_string_equal(cval(cast(txt("12e-1"), d52)), "1.20");
    cerr(cast(txt("1000"), d52), WD_EOVERFLOW);
    assert_string_equal(cval(cast(i64(123), d52)), "123.00");
    assert_string_equal(cval(cast(f64(2.675), d52)), "2.68"); /* via 15 digits */
    assert_string_equal(cval(cast(cast(txt("2.5"), d52), WD_TYPE_INT32)), "3");
    assert_string_equal(cval(cast(cast(txt("-2.5"), d52), WD_TYPE_INT32)), "-3");
    assert_string_equal(cval(cast(cast(txt("0.25"), d52), WD_TYPE_FLOAT64)), "0.25");
    assert_string_equal(cval(cast(cast(txt("9.99"), d52), wd_type_decimal(&A, 5, 1))), "10.0");
    assert_string_equal(cval(cast(cast(txt("-0.05"), d52), WD_TYPE_TEXT)), "-0.05");
    /* temporal */
    assert_string_equal(cval(cast(txt("2023-10-09 17:13:40"), WD_TYPE_TIMESTAMP)),
                        "2023-10-09T17:13:40");
    assert_string_equal(cval(cast(cast(txt("2023-10-09T17:13:40Z"), WD_TYPE_TIMESTAMP), WD_TYPE_DATE)),
                        "2023-10-09");
    assert_string_equal(cval(cast(cast(txt("1970-01-02"), WD_TYPE_DATE), WD_TYPE_TIMESTAMP)),
                        "1970-01-02T00:00:00");
    assert_string_equal(cval(cast(cast(txt("1970-01-01T00:00:01Z"), WD_TYPE_TIMESTAMP), WD_TYPE_INT64)),
                        "1000000000");
    assert_string_equal(cval(cast(cast(txt("1969-12-31T23:00:00Z"), WD_TYPE_TIMESTAMP), WD_TYPE_DATE)),
                        "1969-12-31");
    cerr(cast(txt("yesterday-ish"), WD_TYPE_TIMESTAMP), WD_ECAST);
    assert_string_equal(cval(cast(cast(txt("1 hour 30 minutes"), WD_TYPE_INTERVAL), WD_TYPE_TEXT)),
                        "01:30:00");
    /* JSON, BYTES, NULL */
    assert_string_equal(cval(cast(txt("{\"a\": [1, 2]}"), WD_TYPE_JSON)), "{\"a\": [1, 2]}");
    cerr(cast(txt("{\"a\": }"), WD_TYPE_JSON), WD_ECAST);
    assert_string_equal(cval(cast(cast(txt("AB"), WD_TYPE_BYTES), WD_TYPE_TEXT)), "\\x4142");
    assert_string_equal(cval(cast(nul(), WD_TYPE_INT64)), "NULL");
    assert_string_equal(cval(cast(i64(300000), WD_TYPE_INT32)), "300000");
    cerr(cast(i64(-1), WD_TYPE_UINT32), WD_EOVERFLOW);
    assert_true(wd_cast_allowed(WD_TYPE_TEXT, WD_TYPE_TIMESTAMP));
    assert_false(wd_cast_allowed(WD_TYPE_DATE, WD_TYPE_INT64));
    assert_false(wd_cast_allowed(WD_TYPE_BOOL, WD_TYPE_TIMESTAMP));
    /* column cast: errors name the offending value, nulls pass */
    assert_int_equal(run(cast(col(4), WD_TYPE_INT16)), WD_EOVERFLOW);
    assert_string_equal(E.msg, "cannot cast 300000 to SMALLINT: out of range");
    ok(cast(col(5), WD_TYPE_TEXT));
    assert_string_equal(text_of(0), "1.25");
    assert_string_equal(text_of(1), "-3.50");
    assert_string_equal(text_of(2), "NULL");
    /* ROW and ARRAY as JSON text */
    wd_field f[] = {{"a", WD_TYPE_INT64, true}, {"b", WD_TYPE_TEXT, true}};
    const wd_type *st = wd_type_struct(&A, 2, f);
    assert_string_equal(cval(cast(NODE(WD_EX_ROW, st, i64(1), txt("x\"y")), WD_TYPE_TEXT)),
                        "{\"a\":1,\"b\":\"x\\\"y\"}");
    const wd_type *lt = wd_type_list(&A, WD_TYPE_INT64);
    assert_string_equal(cval(cast(NODE(WD_EX_ARRAY, lt, i64(1), nul(), i64(3)), WD_TYPE_TEXT)),
                        "[1,null,3]");
}

static void test_compare(void **state)
{
    (void)state;
    ok(CALL("<", col(1), txt("b")));
    assert_int_equal(getb(0), 1);
    assert_int_equal(getb(1), 1); /* 'H' < 'b' byte-wise */
    assert_int_equal(getb(2), 2);
    assert_string_equal(cval(CALL("=", txt("ab"), txt("ab"))), "true");
    assert_string_equal(cval(CALL("<", txt("ab"), txt("abc"))), "true");
    /* timestamps */
    wd_expr *t1 = cast(txt("2023-01-01T00:00:00Z"), WD_TYPE_TIMESTAMP);
    wd_expr *t2 = cast(txt("2023-01-01T00:00:01Z"), WD_TYPE_TIMESTAMP);
    assert_string_equal(cval(CALL("<", t1, t2)), "true");
    assert_string_equal(cval(CALL(">=", t1, t2)), "false");
    /* date vs timestamp unify to timestamp */
    assert_string_equal(cval(CALL("=", cast(txt("2023-01-01"), WD_TYPE_DATE), t1)), "true");
    /* decimals of different scales, decimal vs integer */
    ok(CALL(">", col(5), i64(1)));
    assert_int_equal(getb(0), 1);
    assert_int_equal(getb(1), 0);
    assert_int_equal(getb(2), 2);
    assert_int_equal(getb(3), 1);
    ok(CALL("=", col(5), cast(txt("1.250"), wd_type_decimal(&A, 6, 3))));
    assert_int_equal(getb(0), 1);
    /* int vs double */
    ok(CALL("<=", col(4), col(3)));
    assert_int_equal(getb(0), 1);
    assert_int_equal(getb(1), 0);
    assert_int_equal(getb(3), 2);
    /* is [not] distinct from */
    ok(CALL("is distinct from", col(0), nul()));
    assert_null(OUT.valid);
    assert_int_equal(getb(0), 1);
    assert_int_equal(getb(1), 0);
    ok(CALL("is not distinct from", col(0), i64(1)));
    assert_int_equal(getb(0), 1);
    assert_int_equal(getb(1), 0);
    /* NaN equals NaN and is greater than everything (PostgreSQL) */
    assert_string_equal(cval(CALL("=", f64(NAN), f64(NAN))), "true");
    assert_string_equal(cval(CALL(">", f64(NAN), f64(INFINITY))), "true");
    assert_string_equal(cval(CALL("=", bl(true), bl(true))), "true");
}

static void test_like(void **state)
{
    (void)state;
    struct {
        const char *s, *p;
        int want;
    } cases[] = {
        {"abc", "abc", 1},   {"abc", "a%", 1},     {"abc", "%c", 1},   {"abc", "%b%", 1},
        {"abc", "a_c", 1},   {"abc", "a_", 0},     {"abc", "_bc", 1},  {"abc", "%", 1},
        {"", "%", 1},        {"", "_", 0},         {"abc", "ABC", 0},  {"a%c", "a\\%c", 1},
        {"abc", "a\\%c", 0}, {"a_c", "a\\_c", 1},  {"abbbc", "a%b%c", 1}, {"abcbd", "a%bd", 1},
        {"héllo", "h_llo", 1}, {"mississippi", "%ss%ss%", 1}, {"ab", "a%%%b", 1},
        {"abc", "abc\\", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = cval(CALL("like", txt(cases[i].s), txt(cases[i].p)));
        if (strcmp(got, cases[i].want ? "true" : "false"))
            fprintf(stderr, "'%s' LIKE '%s' gave %s\n", cases[i].s, cases[i].p, got);
        assert_string_equal(got, cases[i].want ? "true" : "false");
    }
    assert_string_equal(cval(CALL("ilike", txt("HeLLo"), txt("hello"))), "true");
    assert_string_equal(cval(CALL("not like", txt("abc"), txt("a%"))), "false");
    assert_string_equal(cval(CALL("not ilike", txt("abc"), txt("X%"))), "true");
    ok(CALL("like", col(1), txt("%l%")));
    assert_int_equal(getb(0), 0);
    assert_int_equal(getb(1), 1);
    assert_int_equal(getb(2), 2);
    ok(CALL("||", col(1), txt("!")));
    assert_string_equal(text_of(1), "Hello!");
    assert_string_equal(text_of(2), "NULL");
}

static void test_const_fold(void **state)
{
    (void)state;
    wd_expr *e = CALL("+", CALL("*", i64(6), i64(7)), col(4));
    ok(e);
    assert_int_equal(geti(0), 43);
    wd_expr *c = CALL("*", i64(6), i64(7));
    assert_true(wd_expr_is_const(c));
    assert_false(wd_expr_is_const(e));
    ok(c);
    assert_true(OUT.flags & WD_COL_CONST);
    assert_int_equal(geti(3), 42);
    /* volatile calls are not constant and give one value per row */
    wd_expr *r = CALL("random");
    assert_false(wd_expr_is_const(r));
    ok(r);
    assert_false(OUT.flags & WD_COL_CONST);
    for (uint32_t i = 0; i < NROWS; i++) assert_true(getd(i) >= 0 && getd(i) < 1);
    assert_true(getd(0) != getd(1));
    /* strict call with a NULL constant is all null */
    ok(CALL("+", col(0), cast(nul(), WD_TYPE_INT64)));
    for (uint32_t i = 0; i < NROWS; i++) assert_true(isnull(i));
    /* filter */
    const wd_expr *es[1] = {CALL(">", col(4), i64(1))};
    wd_eval *ev = wd_eval_new(es, 1);
    uint32_t sel[NROWS];
    assert_int_equal(wd_eval_filter(ev, 0, B, &R, sel, &E), 3);
    assert_int_equal(sel[0], 1);
    assert_int_equal(sel[2], 3);
    wd_eval_free(ev);
    es[0] = col(2);
    ev = wd_eval_new(es, 1);
    assert_int_equal(wd_eval_filter(ev, 0, B, &R, sel, &E), 2);
    assert_int_equal(sel[1], 3);
    wd_eval_free(ev);
}

static void test_resolve(void **state)
{
    (void)state;
    const wd_type *t[3], *casts[3], *ret;
    const wd_func *fn;
    t[0] = WD_TYPE_INT32;
    t[1] = WD_TYPE_INT64;
    assert_int_equal(wd_func_resolve("+", t, 2, &A, &fn, &ret, casts, &E), 0);
    assert_int_equal(ret->id, WD_T_INT64);
    assert_non_null(casts[0]);
    assert_int_equal(casts[0]->id, WD_T_INT64);
    assert_null(casts[1]);
    t[0] = WD_TYPE_INT64;
    t[1] = WD_TYPE_FLOAT64;
    assert_int_equal(wd_func_resolve("=", t, 2, &A, &fn, &ret, casts, &E), 0);
    assert_int_equal(casts[0]->id, WD_T_FLOAT64);
    assert_int_equal(ret->id, WD_T_BOOL);
    /* exact overload wins: sqrt(DOUBLE) needs no cast */
    t[0] = WD_TYPE_FLOAT64;
    assert_int_equal(wd_func_resolve("sqrt", t, 1, &A, &fn, &ret, casts, &E), 0);
    assert_null(casts[0]);
    t[0] = WD_TYPE_INT32;
    assert_int_equal(wd_func_resolve("sqrt", t, 1, &A, &fn, &ret, casts, &E), 0);
    assert_int_equal(casts[0]->id, WD_T_FLOAT64);
    /* round(DECIMAL) keeps DECIMAL */
    t[0] = wd_type_decimal(&A, 10, 2);
    assert_int_equal(wd_func_resolve("round", t, 1, &A, &fn, &ret, casts, &E), 0);
    assert_int_equal(ret->id, WD_T_DECIMAL);
    assert_null(casts[0]);
    /* errors */
    wd_err_clear(&E);
    t[0] = WD_TYPE_TEXT;
    assert_int_equal(wd_func_resolve("abs", t, 1, &A, &fn, &ret, casts, &E), WD_ETYPE);
    assert_string_equal(E.msg, "no function abs(TEXT); accepted: abs(NUMERIC)");
    wd_err_clear(&E);
    assert_int_equal(wd_func_resolve("sqrtt", t, 1, &A, &fn, &ret, casts, &E), WD_ENAME);
    assert_string_equal(E.msg, "unknown function 'sqrtt' (did you mean 'sqrt'?)");
    wd_err_clear(&E);
    assert_int_equal(wd_func_resolve("zzzzzzzz", t, 1, &A, &fn, &ret, casts, &E), WD_ENAME);
    assert_string_equal(E.msg, "unknown function 'zzzzzzzz'");
    wd_err_clear(&E);
    t[0] = WD_TYPE_FLOAT64;
    t[1] = WD_TYPE_FLOAT64;
    t[2] = WD_TYPE_FLOAT64;
    assert_int_equal(wd_func_resolve("sqrt", t, 3, &A, &fn, &ret, casts, &E), WD_ETYPE);
    assert_non_null(strstr(E.msg, "wrong number of arguments"));
    assert_non_null(strstr(E.msg, "sqrt(DOUBLE)"));
    wd_err_clear(&E);
    t[0] = wd_type_struct(&A, 0, NULL);
    t[1] = t[0];
    assert_int_equal(wd_func_resolve("+", t, 2, &A, &fn, &ret, casts, &E), WD_ETYPE);
    assert_true(wd_func_exists("like"));
    assert_false(wd_func_exists("nope"));
}

static void test_common_type(void **state)
{
    (void)state;
    assert_int_equal(wd_type_common(&A, WD_TYPE_INT16, WD_TYPE_INT32)->id, WD_T_INT32);
    assert_int_equal(wd_type_common(&A, WD_TYPE_INT64, WD_TYPE_FLOAT32)->id, WD_T_FLOAT64);
    assert_int_equal(wd_type_common(&A, WD_TYPE_FLOAT32, WD_TYPE_FLOAT32)->id, WD_T_FLOAT32);
    assert_int_equal(wd_type_common(&A, WD_TYPE_UINT16, WD_TYPE_INT16)->id, WD_T_INT32);
    assert_int_equal(wd_type_common(&A, WD_TYPE_UINT32, WD_TYPE_INT32)->id, WD_T_INT64);
    const wd_type *u = wd_type_common(&A, WD_TYPE_UINT64, WD_TYPE_INT64);
    assert_int_equal(u->id, WD_T_DECIMAL);
    assert_int_equal(u->precision, 20);
    const wd_type *d = wd_type_common(&A, wd_type_decimal(&A, 10, 2), wd_type_decimal(&A, 5, 4));
    assert_int_equal(d->precision, 12);
    assert_int_equal(d->scale, 4);
    d = wd_type_common(&A, wd_type_decimal(&A, 10, 2), WD_TYPE_INT64);
    assert_int_equal(d->precision, 21);
    assert_int_equal(d->scale, 2);
    assert_int_equal(wd_type_common(&A, WD_TYPE_NULL, WD_TYPE_TEXT)->id, WD_T_TEXT);
    assert_int_equal(wd_type_common(&A, WD_TYPE_DATE, WD_TYPE_TIMESTAMP)->id, WD_T_TIMESTAMP);
    assert_null(wd_type_common(&A, WD_TYPE_TEXT, WD_TYPE_INT64));
    assert_true(wd_type_implicit(WD_TYPE_INT32, WD_TYPE_INT64));
    assert_true(wd_type_implicit(WD_TYPE_INT64, WD_TYPE_FLOAT64));
    assert_false(wd_type_implicit(WD_TYPE_INT64, WD_TYPE_INT32));
    assert_false(wd_type_implicit(WD_TYPE_TEXT, WD_TYPE_INT32));
}

static void test_decimal_arith(void **state)
{
    (void)state;
    ok(CALL("+", col(5), col(5)));
    assert_int_equal(OUT.type->id, WD_T_DECIMAL);
    assert_int_equal(OUT.type->precision, 11);
    assert_string_equal(text_of(0), "2.50");
    assert_string_equal(text_of(2), "NULL");
    ok(CALL("*", col(5), col(5)));
    assert_string_equal(text_of(1), "12.2500");
    ok(CALL("/", col(5), i64(3)));
    assert_string_equal(text_of(0), "0.416667");
    assert_string_equal(text_of(1), "-1.166667");
    ok(CALL("+", col(5), f64(0.5)));
    assert_int_equal(OUT.type->id, WD_T_FLOAT64);
    assert_true(fabs(getd(0) - 1.75) < 1e-12);
    ok(CALL("-", col(5), i64(1)));
    assert_string_equal(text_of(3), "99.00");
}

static void test_greatest_least(void **state)
{
    (void)state;
    assert_string_equal(cval(CALL("greatest", i64(1), nul(), i64(3), i64(2))), "3");
    assert_string_equal(cval(CALL("least", i64(1), nul(), f64(0.5))), "0.5");
    assert_string_equal(cval(CALL("greatest", nul(), cast(nul(), WD_TYPE_INT64))), "NULL");
    ok(CALL("greatest", col(0), col(4)));
    assert_int_equal(geti(0), 1);
    assert_int_equal(geti(1), 2);
    assert_int_equal(geti(3), INT64_MAX);
    ok(CALL("least", col(1), txt("b")));
    assert_string_equal(text_of(0), "abc");
    assert_string_equal(text_of(2), "b");
    assert_string_equal(cval(CALL("nullif", i64(1), i64(1))), "NULL");
    assert_string_equal(cval(CALL("nullif", i64(1), i64(2))), "1");
    assert_string_equal(cval(CALL("nullif", i64(1), nul())), "1");
}

static void test_math(void **state)
{
    (void)state;
    assert_string_equal(cval(CALL("abs", i64(-5))), "5");
    assert_string_equal(cval(CALL("abs", f64(-2.5))), "2.5");
    assert_string_equal(cval(CALL("sqrt", i64(16))), "4");
    assert_string_equal(cerr(CALL("sqrt", f64(-1)), WD_EINVALID),
                        "cannot take square root of a negative number");
    assert_string_equal(cval(CALL("log", f64(1000))), "3");
    assert_string_equal(cval(CALL("ln", f64(1))), "0");
    assert_string_equal(cval(CALL("log", f64(2), f64(8))), "3");
    cerr(CALL("ln", f64(0)), WD_EINVALID);
    assert_string_equal(cval(CALL("round", f64(2.5))), "2");
    assert_string_equal(cval(CALL("round", f64(2.345), i64(2))), "2.35");
    assert_string_equal(cval(CALL("round", cast(txt("2.5"), wd_type_decimal(&A, 4, 1)))), "3.0");
    assert_string_equal(cval(CALL("round", cast(txt("-2.45"), wd_type_decimal(&A, 4, 2)), i64(1))),
                        "-2.50");
    assert_string_equal(cval(CALL("trunc", f64(-2.7))), "-2");
    assert_string_equal(cval(CALL("ceil", f64(1.1))), "2");
    assert_string_equal(cval(CALL("floor", f64(-1.1))), "-2");
    assert_string_equal(cval(CALL("floor", cast(txt("-1.10"), wd_type_decimal(&A, 4, 2)))), "-2.00");
    assert_string_equal(cval(CALL("power", i64(2), i64(10))), "1024");
    cerr(CALL("power", f64(0), f64(-1)), WD_EINVALID);
    cerr(CALL("exp", f64(1000)), WD_EOVERFLOW);
    assert_string_equal(cval(CALL("mod", i64(7), i64(3))), "1");
    assert_string_equal(cval(CALL("sign", f64(-3))), "-1");
    assert_string_equal(cval(CALL("degrees", CALL("pi"))), "180");
    assert_true(fabs(atof(cval(CALL("cbrt", f64(27)))) - 3) < 1e-12);
    cerr(CALL("asin", f64(2)), WD_EINVALID);
    ok(CALL("abs", col(3)));
    assert_true(getd(1) == 2.0);
    assert_true(isnull(3));
}

static void test_struct_array_print(void **state)
{
    (void)state;
    wd_field f[] = {{"a", WD_TYPE_INT64, true}, {"s", WD_TYPE_TEXT, true}};
    const wd_type *st = wd_type_struct(&A, 2, f);
    wd_expr *row = NODE(WD_EX_ROW, st, col(0), col(1));
    wd_expr *fld = NODE(WD_EX_FIELD, WD_TYPE_TEXT, row);
    fld->col = 1;
    ok(fld);
    assert_string_equal(text_of(0), "abc");
    assert_string_equal(text_of(2), "NULL");
    const wd_type *lt = wd_type_list(&A, WD_TYPE_INT64);
    ok(NODE(WD_EX_ARRAY, lt, col(0), i64(7)));
    assert_string_equal(text_of(1), "[null,7]");
    assert_string_equal(text_of(2), "[0,7]");
    wd_buf b = WD_BUF_INIT;
    wd_expr *e = CALL("+", col(3), i64(1));
    wd_expr_print(e, &b);
    assert_string_equal(b.data, "($3 + CAST(1 AS DOUBLE))");
    wd_buf_reset(&b);
    wd_expr *c = NODE(WD_EX_CASE, WD_TYPE_TEXT, col(2), txt("it's"), nul());
    c->flags |= WD_EXF_ELSE;
    wd_expr_print(c, &b);
    assert_string_equal(b.data, "CASE WHEN $2 THEN 'it''s' ELSE NULL END");
    wd_buf_reset(&b);
    wd_expr_print(CALL("lower", col(1)), &b);
    assert_string_equal(b.data, "lower($1)");
    wd_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arith),         cmocka_unit_test(test_overflow),
        cmocka_unit_test(test_divzero),       cmocka_unit_test(test_three_valued),
        cmocka_unit_test(test_case),          cmocka_unit_test(test_coalesce),
        cmocka_unit_test(test_in),            cmocka_unit_test(test_casts),
        cmocka_unit_test(test_compare),       cmocka_unit_test(test_like),
        cmocka_unit_test(test_const_fold),    cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_common_type),   cmocka_unit_test(test_decimal_arith),
        cmocka_unit_test(test_greatest_least), cmocka_unit_test(test_math),
        cmocka_unit_test(test_struct_array_print),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
