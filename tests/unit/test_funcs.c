/*
 * test_funcs.c — unit tests of the scalar function library: text, regex,
 * hash, json, array and time functions.
 *
 * Each test builds input columns by hand (NULLs, constant arguments, empty
 * strings, multi-byte UTF-8, malformed input), finds the registration in
 * its group's table by name and parameter types, and calls its kernel the
 * way the evaluator does (out initialised with the return type, validity
 * pre-computed for STRICT functions), then checks outputs and errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "expr/func.h"

static wd_arena A;
static wd_error E;
static int64_t NOW = 1700000000123456789LL;

/* ---- harness -------------------------------------------------------------------- */

/* The registration named name in table t whose parameters are exactly p[0..np)
 * (np < 0: the first variadic registration of that name). */
static const wd_func *find_in(const wd_func *t, size_t tn, const char *name, int np,
                              const uint16_t *p)
{
    for (size_t i = 0; i < tn; i++) {
        const wd_func *f = &t[i];
        if (strcmp(f->name, name) != 0) continue;
        if (np < 0) {
            if (f->nargs < 0) return f;
            continue;
        }
        if (f->nargs != np) continue;
        bool ok = true;
        for (int j = 0; j < np && j < 4; j++)
            if (f->params[j] != p[j]) ok = false;
        if (ok) return f;
    }
    return NULL;
}

static const wd_func *find_fn(const char *name, int np, ...)
{
    uint16_t p[4] = {0};
    va_list ap;
    va_start(ap, np);
    for (int i = 0; i < np && i < 4; i++) p[i] = (uint16_t)va_arg(ap, int);
    va_end(ap);
    const wd_func *f = NULL;
#define TRY(g) if (!f) f = find_in(wd_funcs_##g, wd_funcs_##g##_n, name, np, p);
    TRY(text) TRY(regex) TRY(hash) TRY(json) TRY(array) TRY(time)
#undef TRY
    if (!f) fail_msg("no registration %s/%d", name, np);
    return f;
}

/* Call f on args (n rows) like the evaluator: returns the kernel's code. */
static int call(const wd_func *f, wd_col *args, uint32_t na, uint32_t n, wd_col *out)
{
    const wd_type *types[8];
    for (uint32_t i = 0; i < na; i++) types[i] = args[i].type;
    const wd_type *ret;
    if (f->resolve) {
        ret = f->resolve(&A, types, na, &E);
        assert_non_null(ret);
    } else if (f->ret == WD_P_SAME) {
        ret = types[0];
    } else if (f->ret == WD_P_ELEM) {
        ret = types[0]->elem;
    } else {
        ret = wd_type_of((wd_type_id)f->ret);
    }
    wd_col_init(out, ret, n, &A);
    out->len = n;
    if (f->flags & WD_FN_STRICT)
        for (uint32_t a = 0; a < na; a++)
            for (uint32_t i = 0; i < n; i++)
                if (!wd_col_valid(&args[a], i)) wd_col_set_null(out, i, &A);
    void *state = NULL;
    wd_err_clear(&E);
    wd_kctx k = {&A, &E, &state, ret, NOW, {1, 1}};
    int rc = f->kernel(&k, args, na, n, out);
    if (f->free_state && state) f->free_state(state);
    return rc;
}

/* Text column: NULL entries are nulls. */
static wd_col tcol(uint32_t n, const char *const *v)
{
    wd_col c;
    wd_col_init(&c, WD_TYPE_TEXT, n, &A);
    c.len = n;
    for (uint32_t i = 0; i < n; i++) {
        if (v[i]) WD_COL_VALS(&c, wd_str)[i] = wd_str_make(v[i], (uint32_t)strlen(v[i]));
        else {
            WD_COL_VALS(&c, wd_str)[i] = wd_str_make(NULL, 0);
            wd_col_set_null(&c, i, &A);
        }
    }
    return c;
}

static wd_col tconst(const char *s)
{
    wd_col c = tcol(1, &s);
    c.flags |= WD_COL_CONST;
    return c;
}

static wd_col jconst(const char *s)
{
    wd_col c = tconst(s);
    c.type = WD_TYPE_JSON;
    return c;
}

/* Fixed-width column of type t from n values of width w (nullmask bit i = null). */
static wd_col vcol(const wd_type *t, uint32_t n, const void *v, uint32_t nullmask)
{
    wd_col c;
    wd_col_init(&c, t, n, &A);
    c.len = n;
    memcpy(c.data, v, wd_type_width(t->id) * n);
    for (uint32_t i = 0; i < n; i++)
        if (nullmask & (1u << i)) wd_col_set_null(&c, i, &A);
    return c;
}

static wd_col vconst(const wd_type *t, const void *v)
{
    wd_col c = vcol(t, 1, v, 0);
    c.flags |= WD_COL_CONST;
    return c;
}

static wd_col iconst(int64_t v) { return vconst(WD_TYPE_INT64, &v); }
static wd_col fconst(double v) { return vconst(WD_TYPE_FLOAT64, &v); }
static wd_col ivconst(int32_t m, int32_t d, int64_t ns)
{
    wd_interval iv = {m, d, ns};
    return vconst(WD_TYPE_INTERVAL, &iv);
}
static wd_col tsconst(const char *s)
{
    int64_t ts = 0;
    assert_int_equal(wd_ts_parse(s, strlen(s), &ts), 0);
    return vconst(WD_TYPE_TIMESTAMP, &ts);
}
static int64_t ts_of(const char *s)
{
    int64_t ts = 0;
    assert_int_equal(wd_ts_parse(s, strlen(s), &ts), 0);
    return ts;
}

static int LINE;
#define check_str(c, i, w) (LINE = __LINE__, check_str_((c), (i), (w)))
#define check_null(c, i) (LINE = __LINE__, check_null_((c), (i)))
#define check_i64(c, i, w) (LINE = __LINE__, check_i64_((c), (i), (w)))
#define check_bool(c, i, w) (LINE = __LINE__, check_bool_((c), (i), (w)))
#define check_f64(c, i, w) (LINE = __LINE__, check_f64_((c), (i), (w)))

static void check_str_(const wd_col *c, uint32_t i, const char *want)
{
    if (!want) {
        if (wd_col_valid(c, i)) {
            wd_str s = WD_COL_GET(c, wd_str, i);
            fail_msg("line %d row %u: want NULL, got '%.*s'", LINE, i, (int)s.len, s.ptr);
        }
        return;
    }
    if (!wd_col_valid(c, i)) fail_msg("line %d row %u: want '%s', got NULL", LINE, i, want);
    wd_str s = WD_COL_GET(c, wd_str, i);
    if (s.len != strlen(want) || (s.len && memcmp(s.ptr, want, s.len) != 0))
        fail_msg("line %d row %u: want '%s', got '%.*s'", LINE, i, want, (int)s.len, s.ptr);
}

static void check_null_(const wd_col *c, uint32_t i)
{
    if (wd_col_valid(c, i)) fail_msg("line %d row %u: want NULL", LINE, i);
}

static void check_i64_(const wd_col *c, uint32_t i, int64_t want)
{
    if (!wd_col_valid(c, i)) fail_msg("line %d row %u: want %lld, got NULL", LINE, i, (long long)want);
    if (WD_COL_GET(c, int64_t, i) != want)
        fail_msg("line %d row %u: want %lld, got %lld", LINE, i, (long long)want,
                 (long long)WD_COL_GET(c, int64_t, i));
}

static void check_bool_(const wd_col *c, uint32_t i, bool want)
{
    if (!wd_col_valid(c, i)) fail_msg("line %d row %u: want %d, got NULL", LINE, i, want);
    if (WD_COL_GET(c, uint8_t, i) != want)
        fail_msg("line %d row %u: want %d, got %d", LINE, i, want, WD_COL_GET(c, uint8_t, i));
}

static void check_f64_(const wd_col *c, uint32_t i, double want)
{
    if (!wd_col_valid(c, i)) fail_msg("line %d row %u: want %g, got NULL", LINE, i, want);
    double got = WD_COL_GET(c, double, i);
    if (fabs(got - want) > 1e-9 * (fabs(want) + 1)) fail_msg("line %d row %u: want %.9g, got %.9g", LINE, i, want, got);
}

/* One-row string call helpers. */
static void str1(const char *fn, const char *in, const char *want)
{
    wd_col a = tconst(in), out;
    assert_int_equal(call(find_fn(fn, 1, WD_T_TEXT), &a, 1, 1, &out), 0);
    check_str(&out, 0, want);
}

#define T WD_T_TEXT
#define I WD_T_INT64

/* ---- text ------------------------------------------------------------------------ */

static void test_case_and_length(void **st)
{
    const char *v[] = {"HeLLo É", NULL, "", "stra\xc3\x9f" "e"};
    wd_col a = tcol(4, v), out;
    assert_int_equal(call(find_fn("lower", 1, T), &a, 1, 4, &out), 0);
    check_str(&out, 0, "hello É");
    check_null(&out, 1);
    check_str(&out, 2, "");
    assert_int_equal(call(find_fn("upper", 1, T), &a, 1, 4, &out), 0);
    check_str(&out, 0, "HELLO É");
    check_str(&out, 3, "STRA\xc3\x9f" "E"); /* ß unchanged: ASCII-only mapping */
    str1("initcap", "hello wORLD foo_bar 3x", "Hello World Foo_Bar 3x");

    const char *w[] = {"h\xc3\xa9llo", "", "日本語", NULL, "\xff\xfe"};
    wd_col b = tcol(5, w);
    const char *lens[] = {"length", "char_length", "character_length"};
    for (int f = 0; f < 3; f++) {
        assert_int_equal(call(find_fn(lens[f], 1, T), &b, 1, 5, &out), 0);
        check_i64(&out, 0, 5);
        check_i64(&out, 1, 0);
        check_i64(&out, 2, 3);
        check_null(&out, 3);
        check_i64(&out, 4, 2); /* invalid UTF-8: one character per stray byte */
    }
    assert_int_equal(call(find_fn("octet_length", 1, T), &b, 1, 5, &out), 0);
    check_i64(&out, 0, 6);
    check_i64(&out, 2, 9);
    assert_int_equal(call(find_fn("bit_length", 1, T), &b, 1, 5, &out), 0);
    check_i64(&out, 0, 48);
}

static void sub3(const char *s, int64_t start, int64_t cnt, const char *want)
{
    wd_col a[3] = {tconst(s), iconst(start), iconst(cnt)}, out;
    assert_int_equal(call(find_fn("substr", 3, T, I, I), a, 3, 1, &out), 0);
    check_str(&out, 0, want);
}

static void test_substr(void **st)
{
    sub3("h\xc3\xa9llo", 2, 3, "\xc3\xa9ll");
    sub3("hello", 0, 3, "he");
    sub3("hello", -5, 3, "");
    sub3("hello", 5, 10, "o");
    sub3("hello", 9, 1, "");
    sub3("", 1, 1, "");
    sub3("hello", INT64_MIN, 0, "");
    sub3("hello", 2, INT64_MAX, "ello");
    wd_col a[2] = {tconst("hello"), iconst(-1)}, out;
    assert_int_equal(call(find_fn("substring", 2, T, I), a, 2, 1, &out), 0);
    check_str(&out, 0, "hello");
    a[1] = iconst(4);
    assert_int_equal(call(find_fn("substr", 2, T, I), a, 2, 1, &out), 0);
    check_str(&out, 0, "lo");
    wd_col b[3] = {tconst("hello"), iconst(2), iconst(-1)};
    assert_int_equal(call(find_fn("substr", 3, T, I, I), b, 3, 1, &out), WD_EINVALID);
    assert_non_null(strstr(E.msg, "negative substring length"));

    /* left / right */
    const char *v[] = {"h\xc3\xa9llo"};
    wd_col l[2] = {tcol(1, v), iconst(2)};
    assert_int_equal(call(find_fn("left", 2, T, I), l, 2, 1, &out), 0);
    check_str(&out, 0, "h\xc3\xa9");
    l[1] = iconst(-2);
    assert_int_equal(call(find_fn("left", 2, T, I), l, 2, 1, &out), 0);
    check_str(&out, 0, "h\xc3\xa9l");
    l[1] = iconst(2);
    assert_int_equal(call(find_fn("right", 2, T, I), l, 2, 1, &out), 0);
    check_str(&out, 0, "lo");
    l[1] = iconst(-2);
    assert_int_equal(call(find_fn("right", 2, T, I), l, 2, 1, &out), 0);
    check_str(&out, 0, "llo");
    l[1] = iconst(-100);
    assert_int_equal(call(find_fn("right", 2, T, I), l, 2, 1, &out), 0);
    check_str(&out, 0, "");
}

static void test_concat(void **st)
{
    const char *v[] = {"a", NULL, "x"};
    const char *w[] = {NULL, NULL, "y\xc3\xa9"};
    int64_t iv[] = {1, 2, 3};
    wd_col a[3] = {tcol(3, v), tcol(3, w), vcol(WD_TYPE_INT64, 3, iv, 1u << 1)}, out;
    const wd_func *f = find_fn("concat", -1);
    assert_int_equal(call(f, a, 3, 3, &out), 0);
    check_str(&out, 0, "a1");
    check_str(&out, 1, ""); /* every argument null: '' (never NULL) */
    check_str(&out, 2, "xy\xc3\xa9" "3");

    wd_col b[4] = {tconst(", "), tcol(3, v), tcol(3, w), vcol(WD_TYPE_INT64, 3, iv, 0)};
    f = find_fn("concat_ws", -1);
    assert_int_equal(call(f, b, 4, 3, &out), 0);
    check_str(&out, 0, "a, 1");
    check_str(&out, 1, "2");
    check_str(&out, 2, "x, y\xc3\xa9, 3");
    b[0] = tconst(NULL);
    assert_int_equal(call(f, b, 4, 3, &out), 0);
    check_null(&out, 0);
    check_null(&out, 2);
    /* the separator must be text */
    const wd_type *ts[2] = {WD_TYPE_INT64, WD_TYPE_TEXT};
    wd_err_clear(&E);
    assert_null(f->resolve(&A, ts, 2, &E));
    assert_int_equal(E.code, WD_ETYPE);
}

static void trim2(const char *fn, const char *s, const char *set, const char *want)
{
    wd_col a[2] = {tconst(s), tconst(set)}, out;
    assert_int_equal(call(find_fn(fn, 2, T, T), a, 2, 1, &out), 0);
    check_str(&out, 0, want);
}

static void test_trim_replace_search(void **st)
{
    str1("trim", "  hi there  ", "hi there");
    str1("btrim", "   ", "");
    str1("ltrim", "  hi  ", "hi  ");
    str1("rtrim", "  hi  ", "  hi");
    trim2("ltrim", "xxhixx", "x", "hixx");
    trim2("rtrim", "xxhixx", "x", "xxhi");
    trim2("btrim", "\xc3\xa9\xc3\xa9" "a\xc3\xa9", "\xc3\xa9", "a");
    trim2("trim", "abcba", "ab", "c");
    trim2("rtrim", "a\xc3\xa9", "\xa9", "a\xc3\xa9"); /* a byte is not a character */
    trim2("rtrim", "\x80\x80\x80\x80", "x", "\x80\x80\x80\x80");

    wd_col r[3] = {tconst("abcabc"), tconst("b"), tconst("XY")}, out;
    const wd_func *rep = find_fn("replace", 3, T, T, T);
    assert_int_equal(call(rep, r, 3, 1, &out), 0);
    check_str(&out, 0, "aXYcaXYc");
    r[1] = tconst("");
    assert_int_equal(call(rep, r, 3, 1, &out), 0);
    check_str(&out, 0, "abcabc");
    r[1] = tconst("abc");
    r[2] = tconst("");
    assert_int_equal(call(rep, r, 3, 1, &out), 0);
    check_str(&out, 0, "");

    const char *hay[] = {"h\xc3\xa9llo", "abc", "abc", NULL};
    const char *nd[] = {"l", "z", "", "a"};
    wd_col s[2] = {tcol(4, hay), tcol(4, nd)};
    assert_int_equal(call(find_fn("strpos", 2, T, T), s, 2, 4, &out), 0);
    check_i64(&out, 0, 3);
    check_i64(&out, 1, 0);
    check_i64(&out, 2, 1);
    check_null(&out, 3);

    const char *pre[] = {"h\xc3\xa9", "x", "", "a"};
    wd_col sw[2] = {tcol(4, hay), tcol(4, pre)};
    assert_int_equal(call(find_fn("starts_with", 2, T, T), sw, 2, 4, &out), 0);
    check_bool(&out, 0, true);
    check_bool(&out, 1, false);
    check_bool(&out, 2, true);
    check_null(&out, 3);
    const char *suf[] = {"llo", "abcd", "", "a"};
    wd_col ew[2] = {tcol(4, hay), tcol(4, suf)};
    assert_int_equal(call(find_fn("ends_with", 2, T, T), ew, 2, 4, &out), 0);
    check_bool(&out, 0, true);
    check_bool(&out, 1, false);
    check_bool(&out, 2, true);
}

static void split(const char *s, const char *d, int64_t n, const char *want)
{
    wd_col a[3] = {tconst(s), tconst(d), iconst(n)}, out;
    assert_int_equal(call(find_fn("split_part", 3, T, T, I), a, 3, 1, &out), 0);
    check_str(&out, 0, want);
}

static void test_split_pad_misc(void **st)
{
    split("a,b,c", ",", 2, "b");
    split("a,b,c", ",", -1, "c");
    split("a,b,c", ",", -3, "a");
    split("a,b,c", ",", -4, "");
    split("a,b,c", ",", 5, "");
    split("a::b", "::", 2, "b");
    split("abc", "", 1, "abc");
    split("abc", "", 2, "");
    split("", ",", 1, "");
    wd_col a[3] = {tconst("a,b"), tconst(","), iconst(0)}, out;
    assert_int_equal(call(find_fn("split_part", 3, T, T, I), a, 3, 1, &out), WD_EINVALID);
    assert_non_null(strstr(E.msg, "zero"));

    wd_col p[3] = {tconst("hi"), iconst(5), tconst("xy")};
    assert_int_equal(call(find_fn("lpad", 3, T, I, T), p, 3, 1, &out), 0);
    check_str(&out, 0, "xyxhi");
    assert_int_equal(call(find_fn("rpad", 3, T, I, T), p, 3, 1, &out), 0);
    check_str(&out, 0, "hixyx");
    assert_int_equal(call(find_fn("rpad", 2, T, I), p, 2, 1, &out), 0);
    check_str(&out, 0, "hi   ");
    p[0] = tconst("hello");
    p[1] = iconst(3);
    assert_int_equal(call(find_fn("lpad", 2, T, I), p, 2, 1, &out), 0);
    check_str(&out, 0, "hel");
    p[0] = tconst("日本");
    p[1] = iconst(4);
    p[2] = tconst("*");
    assert_int_equal(call(find_fn("lpad", 3, T, I, T), p, 3, 1, &out), 0);
    check_str(&out, 0, "**日本");
    p[2] = tconst("");
    assert_int_equal(call(find_fn("lpad", 3, T, I, T), p, 3, 1, &out), 0);
    check_str(&out, 0, "日本");
    p[1] = iconst(INT64_MAX);
    p[2] = tconst("ab");
    assert_int_equal(call(find_fn("lpad", 3, T, I, T), p, 3, 1, &out), WD_EINVALID);

    wd_col r[2] = {tconst("ab"), iconst(3)};
    const wd_func *rep = find_fn("repeat", 2, T, I);
    assert_int_equal(call(rep, r, 2, 1, &out), 0);
    check_str(&out, 0, "ababab");
    r[1] = iconst(-1);
    assert_int_equal(call(rep, r, 2, 1, &out), 0);
    check_str(&out, 0, "");
    r[1] = iconst(1LL << 40);
    assert_int_equal(call(rep, r, 2, 1, &out), WD_EINVALID);

    str1("reverse", "h\xc3\xa9llo", "oll\xc3\xa9h");
    str1("reverse", "", "");
    str1("reverse", "a\xff\xc3", "\xc3\xff" "a");

    const char *as[] = {"\xc3\xa9", "", "A", "\xff"};
    wd_col ac = tcol(4, as);
    assert_int_equal(call(find_fn("ascii", 1, T), &ac, 1, 4, &out), 0);
    check_i64(&out, 0, 233);
    check_i64(&out, 1, 0);
    check_i64(&out, 2, 65);
    check_i64(&out, 3, 255);

    int64_t cps[] = {233, 0x1F600, 65};
    wd_col cc = vcol(WD_TYPE_INT64, 3, cps, 0);
    assert_int_equal(call(find_fn("chr", 1, I), &cc, 1, 3, &out), 0);
    check_str(&out, 0, "\xc3\xa9");
    check_str(&out, 1, "\xf0\x9f\x98\x80");
    check_str(&out, 2, "A");
    wd_col c0 = iconst(0);
    assert_int_equal(call(find_fn("chr", 1, I), &c0, 1, 1, &out), WD_EINVALID);
    c0 = iconst(0xD800);
    assert_int_equal(call(find_fn("chr", 1, I), &c0, 1, 1, &out), WD_EINVALID);

    wd_col t[3] = {tconst("12345"), tconst("143"), tconst("ax")};
    assert_int_equal(call(find_fn("translate", 3, T, T, T), t, 3, 1, &out), 0);
    check_str(&out, 0, "a2x5");
    t[0] = tconst("h\xc3\xa9llo");
    t[1] = tconst("\xc3\xa9l");
    t[2] = tconst("EL");
    assert_int_equal(call(find_fn("translate", 3, T, T, T), t, 3, 1, &out), 0);
    check_str(&out, 0, "hELLo");

    int64_t hv[] = {255, -1, 0};
    wd_col hc = vcol(WD_TYPE_INT64, 3, hv, 0);
    assert_int_equal(call(find_fn("to_hex", 1, I), &hc, 1, 3, &out), 0);
    check_str(&out, 0, "ff");
    check_str(&out, 1, "ffffffffffffffff");
    check_str(&out, 2, "0");
}

/* ---- regex ------------------------------------------------------------------------- */

static void test_regex(void **st)
{
    const char *v[] = {"Hello", "say hello", NULL, "\xff\xfe hello", ""};
    wd_col a[3] = {tcol(5, v), tconst("^h"), tconst("i")}, out;
    assert_int_equal(call(find_fn("regexp_like", 2, T, T), a, 2, 5, &out), 0);
    check_bool(&out, 0, false);
    check_bool(&out, 1, false);
    check_null(&out, 2);
    a[1] = tconst("hel+o");
    assert_int_equal(call(find_fn("regexp_like", 2, T, T), a, 2, 5, &out), 0);
    check_bool(&out, 0, false);
    check_bool(&out, 1, true);
    check_bool(&out, 3, true); /* invalid UTF-8 subject matches safely */
    check_bool(&out, 4, false);
    assert_int_equal(call(find_fn("regexp_like", 3, T, T, T), a, 3, 5, &out), 0);
    check_bool(&out, 0, true);
    assert_int_equal(call(find_fn("~*", 2, T, T), a, 2, 5, &out), 0);
    check_bool(&out, 0, true);
    assert_int_equal(call(find_fn("!~", 2, T, T), a, 2, 5, &out), 0);
    check_bool(&out, 0, true);
    check_bool(&out, 1, false);
    assert_int_equal(call(find_fn("~", 2, T, T), a, 2, 5, &out), 0);
    check_bool(&out, 1, true);

    /* invalid pattern and flag */
    a[1] = tconst("a(b");
    assert_int_equal(call(find_fn("regexp_like", 2, T, T), a, 2, 5, &out), WD_EINVALID);
    assert_non_null(strstr(E.msg, "'a(b'"));
    assert_non_null(strstr(E.msg, "offset"));
    a[1] = tconst("a");
    a[2] = tconst("z");
    assert_int_equal(call(find_fn("regexp_like", 3, T, T, T), a, 3, 5, &out), WD_EINVALID);
    assert_non_null(strstr(E.msg, "'z'"));
    a[2] = tconst("g"); /* g only for regexp_replace */
    assert_int_equal(call(find_fn("regexp_like", 3, T, T, T), a, 3, 5, &out), WD_EINVALID);

    /* per-row patterns exercise the cache */
    const char *subj[] = {"abc", "abc", "xyz", "abc", "q"};
    const char *pats[] = {"b", "^b", "y$", "b", "("};
    wd_col p[2] = {tcol(4, subj), tcol(4, pats)};
    assert_int_equal(call(find_fn("regexp_like", 2, T, T), p, 2, 4, &out), 0);
    check_bool(&out, 0, true);
    check_bool(&out, 1, false);
    check_bool(&out, 2, false);
    check_bool(&out, 3, true);
    p[0] = tcol(5, subj);
    p[1] = tcol(5, pats);
    assert_int_equal(call(find_fn("regexp_like", 2, T, T), p, 2, 5, &out), WD_EINVALID);
}

static void repl(const char *s, const char *p, const char *r, const char *flags,
                 const char *want)
{
    wd_col a[4] = {tconst(s), tconst(p), tconst(r), tconst(flags)}, out;
    const wd_func *f = flags ? find_fn("regexp_replace", 4, T, T, T, T)
                             : find_fn("regexp_replace", 3, T, T, T);
    assert_int_equal(call(f, a, flags ? 4 : 3, 1, &out), 0);
    check_str(&out, 0, want);
}

static void test_regex_replace_extract(void **st)
{
    repl("foo bar baz", "ba(.)", "X\\1", NULL, "foo Xr baz");
    repl("foo bar baz", "ba(.)", "X\\1", "g", "foo Xr Xz");
    repl("foo bar baz", "ba(.)", "<$1>", "g", "foo <r> <z>");
    repl("foo bar baz", "ba(?<last>.)", "${last}${1}$$\\\\", "g", "foo rr$\\ zz$\\");
    repl("foo", "x", "y", "g", "foo");
    repl("abc", "x*", "-", "g", "-a-b-c-");
    repl("ABC abc", "b", "_", "gi", "A_C a_c");
    repl("h\xc3\xa9llo", ".", "*", "g", "*****");
    repl("", "^$", "empty", NULL, "empty");
    repl("abc", "(b)", "$9", NULL, "ac"); /* missing group: empty */
    wd_col bad[4] = {tconst("abc"), tconst("[z-a]"), tconst("x"), tconst("g")}, out;
    assert_int_equal(call(find_fn("regexp_replace", 4, T, T, T, T), bad, 4, 1, &out),
                     WD_EINVALID);
    assert_non_null(strstr(E.msg, "[z-a]"));

    const char *v[] = {"abc123def", "no digits", NULL};
    wd_col e[3] = {tcol(3, v), tconst("([a-z]+)([0-9]+)"), iconst(2)};
    assert_int_equal(call(find_fn("regexp_extract", 3, T, T, I), e, 3, 3, &out), 0);
    check_str(&out, 0, "123");
    check_null(&out, 1);
    check_null(&out, 2);
    assert_int_equal(call(find_fn("regexp_extract", 2, T, T), e, 2, 3, &out), 0);
    check_str(&out, 0, "abc");
    e[2] = iconst(0);
    assert_int_equal(call(find_fn("regexp_extract", 3, T, T, I), e, 3, 3, &out), 0);
    check_str(&out, 0, "abc123");
    e[2] = iconst(3);
    assert_int_equal(call(find_fn("regexp_extract", 3, T, T, I), e, 3, 3, &out), WD_EINVALID);
    e[1] = tconst("(a)|(z)");
    e[2] = iconst(2);
    assert_int_equal(call(find_fn("regexp_extract", 3, T, T, I), e, 3, 3, &out), 0);
    check_str(&out, 0, ""); /* group did not take part */

    const char *m[] = {"abc123", "zzz", "x1"};
    wd_col mm[2] = {tcol(3, m), tconst("([a-z]+)([0-9]+)?")};
    assert_int_equal(call(find_fn("regexp_match", 2, T, T), mm, 2, 3, &out), 0);
    const uint32_t *off = out.data;
    assert_int_equal(off[0], 0);
    assert_int_equal(off[1], 2);
    assert_int_equal(off[2], 4);
    assert_int_equal(off[3], 6);
    check_str(out.child, 0, "abc");
    check_str(out.child, 1, "123");
    check_str(out.child, 2, "zzz");
    check_null(out.child, 3);
    check_str(out.child, 4, "x");
    check_str(out.child, 5, "1");
    mm[1] = tconst("q");
    assert_int_equal(call(find_fn("regexp_match", 2, T, T), mm, 2, 3, &out), 0);
    check_null(&out, 0);
    check_null(&out, 2);
}

/* ---- hash --------------------------------------------------------------------------- */

static void test_hash(void **st)
{
    const char *v[] = {"", "abc", NULL};
    wd_col a = tcol(3, v), out;
    assert_int_equal(call(find_fn("md5", 1, T), &a, 1, 3, &out), 0);
    check_str(&out, 0, "d41d8cd98f00b204e9800998ecf8427e");
    check_str(&out, 1, "900150983cd24fb0d6963f7d28e17f72");
    check_null(&out, 2);
    assert_int_equal(call(find_fn("sha256", 1, T), &a, 1, 3, &out), 0);
    check_str(&out, 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    check_str(&out, 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_int_equal(call(find_fn("sha224", 1, T), &a, 1, 3, &out), 0);
    check_str(&out, 1, "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7");
    assert_int_equal(call(find_fn("sha384", 1, T), &a, 1, 3, &out), 0);
    assert_int_equal(WD_COL_GET(&out, wd_str, 1).len, 96);
    assert_memory_equal(WD_COL_GET(&out, wd_str, 1).ptr, "cb00753f45a35e8b", 16);
    assert_int_equal(call(find_fn("sha512", 1, T), &a, 1, 3, &out), 0);
    assert_int_equal(WD_COL_GET(&out, wd_str, 0).len, 128);
    assert_memory_equal(WD_COL_GET(&out, wd_str, 0).ptr, "cf83e1357eefb8bd", 16);
    wd_col b = tconst("abc");
    b.type = WD_TYPE_BYTES;
    assert_int_equal(call(find_fn("md5", 1, WD_T_BYTES), &b, 1, 1, &out), 0);
    check_str(&out, 0, "900150983cd24fb0d6963f7d28e17f72");
}

/* ---- json ----------------------------------------------------------------------------- */

static const char *DOC =
    " {\"a\": {\"b\": [1, 2.5, \"x\\u00e9\\ud83d\\ude00\", true, null, {\"c\": []}]},"
    " \"k\\\"q\": 7, \"n\": -12, \"big\": 99999999999999999999, \"s\": \"plain\"} ";

/* Call a variadic json function on DOC with a path of text / integer steps:
 * path is a string of 's' (next key) and 'i' (next index). */
static int jcall(const char *fn, const char *doc, wd_col *out, const char *path, ...)
{
    wd_col args[6];
    uint32_t na = 0;
    args[na++] = jconst(doc);
    va_list ap;
    va_start(ap, path);
    for (const char *p = path; *p; p++) {
        if (*p == 's') args[na++] = tconst(va_arg(ap, const char *));
        else args[na++] = iconst(va_arg(ap, int));
    }
    va_end(ap);
    return call(find_fn(fn, -1), args, na, 1, out);
}

static void test_json(void **st)
{
    wd_col out;
    assert_int_equal(jcall("json_get", DOC, &out, "ssi", "a", "b", 2), 0);
    check_str(&out, 0, "\"x\\u00e9\\ud83d\\ude00\"");
    assert_int_equal(jcall("json_get_str", DOC, &out, "ssi", "a", "b", 2), 0);
    check_str(&out, 0, "x\xc3\xa9\xf0\x9f\x98\x80");
    assert_int_equal(jcall("json_get_str", DOC, &out, "s", "s"), 0);
    check_str(&out, 0, "plain");
    assert_int_equal(jcall("json_get_str", DOC, &out, "s", "n"), 0);
    check_null(&out, 0);
    assert_int_equal(jcall("json_get_json", DOC, &out, "ssi", "a", "b", 5), 0);
    check_str(&out, 0, "{\"c\": []}");
    assert_int_equal(jcall("json_get", DOC, &out, ""), 0);
    assert_int_equal(WD_COL_GET(&out, wd_str, 0).ptr[0], '{');
    assert_int_equal(jcall("json_get_int", DOC, &out, "s", "n"), 0);
    check_i64(&out, 0, -12);
    assert_int_equal(jcall("json_get_int", DOC, &out, "s", "k\"q"), 0);
    check_i64(&out, 0, 7);
    assert_int_equal(jcall("json_get_int", DOC, &out, "ssi", "a", "b", 1), 0);
    check_null(&out, 0);
    assert_int_equal(jcall("json_get_int", DOC, &out, "s", "big"), 0);
    check_null(&out, 0); /* beyond BIGINT */
    assert_int_equal(jcall("json_get_float", DOC, &out, "ssi", "a", "b", 1), 0);
    check_f64(&out, 0, 2.5);
    assert_int_equal(jcall("json_get_float", DOC, &out, "s", "n"), 0);
    check_f64(&out, 0, -12);
    assert_int_equal(jcall("json_get_float", DOC, &out, "s", "s"), 0);
    check_null(&out, 0);
    assert_int_equal(jcall("json_get_bool", DOC, &out, "ssi", "a", "b", 3), 0);
    check_bool(&out, 0, true);
    assert_int_equal(jcall("json_get_bool", DOC, &out, "ssi", "a", "b", 4), 0);
    check_null(&out, 0);
    assert_int_equal(jcall("json_get", DOC, &out, "ssi", "a", "b", -2), 0);
    check_str(&out, 0, "null");
    assert_int_equal(jcall("json_get", DOC, &out, "ssi", "a", "b", 6), 0);
    check_null(&out, 0);
    assert_int_equal(jcall("json_get", DOC, &out, "ssi", "a", "b", -7), 0);
    check_null(&out, 0);
    assert_int_equal(jcall("json_get", DOC, &out, "ss", "a", "zz"), 0);
    check_null(&out, 0);
    assert_int_equal(jcall("json_get", DOC, &out, "i", 0), 0); /* index on an object */
    check_null(&out, 0);
    assert_int_equal(jcall("json_contains", DOC, &out, "ss", "a", "b"), 0);
    check_bool(&out, 0, true);
    assert_int_equal(jcall("json_contains", DOC, &out, "ss", "a", "zz"), 0);
    check_bool(&out, 0, false);
    assert_int_equal(jcall("json_length", DOC, &out, ""), 0);
    check_i64(&out, 0, 5);
    assert_int_equal(jcall("json_length", DOC, &out, "ss", "a", "b"), 0);
    check_i64(&out, 0, 6);
    assert_int_equal(jcall("json_length", DOC, &out, "s", "n"), 0);
    check_null(&out, 0);

    /* operators, with TEXT documents */
    const char *docs[] = {"{\"a\": \"x\\ty\", \"b\": [10, 20]}", "[1, \"two\", null]",
                          "not json", NULL};
    wd_col d = tcol(4, docs);
    wd_col op[2] = {d, tconst("a")};
    assert_int_equal(call(find_fn("->", 2, WD_P_STRINGY, T), op, 2, 4, &out), 0);
    check_str(&out, 0, "\"x\\ty\"");
    check_null(&out, 1);
    check_null(&out, 2);
    check_null(&out, 3);
    assert_int_equal(call(find_fn("->>", 2, WD_P_STRINGY, T), op, 2, 4, &out), 0);
    check_str(&out, 0, "x\ty");
    op[1] = tconst("b");
    assert_int_equal(call(find_fn("->>", 2, WD_P_STRINGY, T), op, 2, 4, &out), 0);
    check_str(&out, 0, "[10, 20]");
    op[1] = iconst(1);
    assert_int_equal(call(find_fn("->>", 2, WD_P_STRINGY, I), op, 2, 4, &out), 0);
    check_null(&out, 0);
    check_str(&out, 1, "two");
    op[1] = iconst(2);
    assert_int_equal(call(find_fn("->>", 2, WD_P_STRINGY, I), op, 2, 4, &out), 0);
    check_null(&out, 1); /* JSON null → SQL NULL */
    assert_int_equal(call(find_fn("->", 2, WD_P_STRINGY, I), op, 2, 4, &out), 0);
    check_str(&out, 1, "null");

    /* malformed documents: NULL, never a crash */
    const char *bad[] = {"{\"a\": [1, 2", "{\"a\" 1}", "", "nul", "\"\\uZZZZ\"",
                         "{\"a\": \"\x01\"}", "{\"a\": 01}", "{\"a\": -}", "[1,]",
                         "{\"a\": 1} trailing", "\"\\ud800\"", "{\"b\": 1, \"a\": tru}"};
    size_t nb = sizeof bad / sizeof bad[0];
    for (size_t i = 0; i < nb; i++) {
        assert_int_equal(jcall("json_get", bad[i], &out, ""), 0);
        if (i == 10) check_str(&out, 0, "\"\\ud800\""); /* valid JSON text */
        else check_null(&out, 0);
        assert_int_equal(jcall("json_get_str", bad[i], &out, "s", "a"), 0);
        check_null(&out, 0);
        assert_int_equal(jcall("json_contains", bad[i], &out, "s", "a"), 0);
        if (i == 9) check_bool(&out, 0, true); /* text after the value is not read */
        else if (i == 10) check_bool(&out, 0, false); /* a string has no keys */
        else check_null(&out, 0);
    }
    assert_int_equal(jcall("json_get_str", "\"\\ud800x\"", &out, ""), 0);
    check_str(&out, 0, "\xef\xbf\xbdx"); /* lone surrogate → U+FFFD */
    /* deep nesting stops at the limit instead of overflowing the stack */
    char *deep = wd_arena_alloc(&A, 100001);
    memset(deep, '[', 100000);
    deep[100000] = 0;
    assert_int_equal(jcall("json_get", deep, &out, ""), 0);
    check_null(&out, 0);
    assert_int_equal(jcall("json_length", deep, &out, "i", 0), 0);
    check_null(&out, 0);

    /* argument checking */
    const wd_func *f = find_fn("json_get", -1);
    const wd_type *ts[2] = {WD_TYPE_JSON, WD_TYPE_FLOAT64};
    wd_err_clear(&E);
    assert_null(f->resolve(&A, ts, 2, &E));
    assert_int_equal(E.code, WD_ETYPE);
    ts[0] = WD_TYPE_INT64;
    ts[1] = WD_TYPE_TEXT;
    wd_err_clear(&E);
    assert_null(f->resolve(&A, ts, 2, &E));
}

/* Mutated documents (deterministic): every JSON function stays in bounds. */
static void test_json_mutations(void **st)
{
    static const char *fns[] = {"json_get", "json_get_str", "json_get_int", "json_get_float",
                                "json_get_bool", "json_contains", "json_length"};
    size_t dl = strlen(DOC);
    char *buf = wd_arena_alloc(&A, dl + 1);
    uint64_t seed = 88172645463325252ULL;
    static const char alphabet[] = "{}[]\",:\\u0aE-.+ tfn\x01\xff";
    for (int it = 0; it < 3000; it++) {
        memcpy(buf, DOC, dl + 1);
        for (int m = 0; m < 3; m++) {
            seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
            buf[seed % dl] = alphabet[(seed >> 32) % (sizeof alphabet - 1)];
        }
        size_t cut = (seed >> 16) % (dl + 1); /* and truncate sometimes */
        if (it % 3 == 0) buf[cut] = 0;
        wd_col out;
        const wd_func *f = find_fn(fns[it % 7], -1);
        wd_col args[4] = {jconst(buf), tconst("a"), tconst("b"), iconst((it % 9) - 4)};
        assert_int_equal(call(f, args, 1 + (uint32_t)(it % 4), 1, &out), 0);
    }
}

/* ---- arrays ----------------------------------------------------------------------------- */

/* LIST<BIGINT> rows: [1,2,3], [], NULL, [4,NULL] */
static wd_col int_lists(void)
{
    wd_col c;
    wd_col_init(&c, wd_type_list(&A, WD_TYPE_INT64), 4, &A);
    c.len = 4;
    uint32_t off[] = {0, 3, 3, 3, 5};
    memcpy(c.data, off, sizeof off);
    int64_t el[] = {1, 2, 3, 4, 0};
    wd_col_reserve(c.child, 5, &A);
    memcpy(c.child->data, el, sizeof el);
    c.child->len = 5;
    wd_col_set_null(c.child, 4, &A);
    wd_col_set_null(&c, 2, &A);
    return c;
}

static void test_array(void **st)
{
    wd_col l = int_lists(), out;
    wd_col a[2] = {l, iconst(2)};
    const wd_func *sub = find_fn("[]", 2, WD_P_LIST, I);
    assert_int_equal(call(sub, a, 2, 4, &out), 0);
    check_i64(&out, 0, 2);
    check_null(&out, 1);
    check_null(&out, 2);
    check_null(&out, 3); /* the element itself is NULL */
    a[1] = iconst(1);
    assert_int_equal(call(sub, a, 2, 4, &out), 0);
    check_i64(&out, 0, 1);
    check_i64(&out, 3, 4);
    a[1] = iconst(0);
    assert_int_equal(call(sub, a, 2, 4, &out), 0);
    check_null(&out, 0);
    a[1] = iconst(-1);
    assert_int_equal(call(sub, a, 2, 4, &out), 0);
    check_null(&out, 0);

    assert_int_equal(call(find_fn("array_length", 1, WD_P_LIST), &l, 1, 4, &out), 0);
    check_i64(&out, 0, 3);
    check_i64(&out, 1, 0);
    check_null(&out, 2);
    check_i64(&out, 3, 2);
    a[1] = iconst(2);
    assert_int_equal(call(find_fn("array_length", 2, WD_P_LIST, I), a, 2, 4, &out), 0);
    check_null(&out, 0);
    assert_int_equal(call(find_fn("cardinality", 1, WD_P_LIST), &l, 1, 4, &out), 0);
    check_i64(&out, 0, 3);
    check_i64(&out, 3, 2);

    /* nested: [[1,2,3],[],NULL,[4,NULL]] is one row of LIST<LIST<BIGINT>> */
    wd_col nest;
    wd_col_init(&nest, wd_type_list(&A, l.type), 1, &A);
    nest.len = 1;
    nest.child[0] = l;
    nest.child[0].valid = NULL;
    uint32_t noff[] = {0, 4};
    memcpy(nest.data, noff, sizeof noff);
    assert_int_equal(call(find_fn("cardinality", 1, WD_P_LIST), &nest, 1, 1, &out), 0);
    check_i64(&out, 0, 5);

    const wd_func *has = find_fn("array_has", 2, WD_P_LIST, WD_P_ELEM);
    a[1] = iconst(2);
    assert_int_equal(call(has, a, 2, 4, &out), 0);
    check_bool(&out, 0, true);
    check_bool(&out, 1, false);
    check_null(&out, 2);
    check_null(&out, 3); /* not found, list holds a NULL */
    a[1] = iconst(4);
    assert_int_equal(call(find_fn("array_contains", 2, WD_P_LIST, WD_P_ELEM), a, 2, 4, &out), 0);
    check_bool(&out, 3, true);
    a[1] = iconst(3);
    assert_int_equal(call(find_fn("array_position", 2, WD_P_LIST, WD_P_ELEM), a, 2, 4, &out), 0);
    check_i64(&out, 0, 3);
    check_null(&out, 1);
    check_null(&out, 3);

    a[1] = iconst(9);
    assert_int_equal(call(find_fn("array_append", 2, WD_P_LIST, WD_P_ELEM), a, 2, 4, &out), 0);
    const uint32_t *off = out.data;
    assert_int_equal(off[1], 4);
    assert_int_equal(off[2], 5);
    assert_int_equal(off[3], 6);
    assert_int_equal(off[4], 9);
    assert_int_equal(WD_COL_GET(out.child, int64_t, 3), 9);
    check_null(out.child, 7);
    assert_int_equal(WD_COL_GET(out.child, int64_t, 8), 9);

    wd_col pp[2] = {iconst(0), l};
    const wd_func *pre = find_fn("array_prepend", 2, WD_P_ANY, WD_P_LIST);
    assert_int_equal(call(pre, pp, 2, 4, &out), 0);
    off = out.data;
    assert_int_equal(off[1], 4);
    assert_int_equal(WD_COL_GET(out.child, int64_t, 0), 0);
    assert_int_equal(WD_COL_GET(out.child, int64_t, 1), 1);

    wd_col cc[2] = {l, l};
    assert_int_equal(call(find_fn("array_concat", 2, WD_P_LIST, WD_P_SAME), cc, 2, 4, &out), 0);
    off = out.data;
    assert_int_equal(off[1], 6);
    assert_int_equal(off[2], 6);
    check_null(&out, 2);
    assert_int_equal(off[4], 10);

    wd_col js[3] = {l, tconst("-"), tconst("?")};
    assert_int_equal(call(find_fn("array_to_string", 2, WD_P_LIST, T), js, 2, 4, &out), 0);
    check_str(&out, 0, "1-2-3");
    check_str(&out, 1, "");
    check_null(&out, 2);
    check_str(&out, 3, "4");
    assert_int_equal(call(find_fn("array_to_string", 3, WD_P_LIST, T, T), js, 3, 4, &out), 0);
    check_str(&out, 3, "4-?");
}

/* ---- time ------------------------------------------------------------------------------- */

static void trunc1(const char *unit, const char *ts, const char *want)
{
    wd_col a[2] = {tconst(unit), tsconst(ts)}, out;
    assert_int_equal(call(find_fn("date_trunc", 2, T, WD_T_TIMESTAMP), a, 2, 1, &out), 0);
    assert_int_equal(WD_COL_GET(&out, int64_t, 0), ts_of(want));
}

static void part1(const char *unit, const char *ts, double want)
{
    wd_col a[2] = {tconst(unit), tsconst(ts)}, out;
    assert_int_equal(call(find_fn("date_part", 2, T, WD_T_TIMESTAMP), a, 2, 1, &out), 0);
    check_f64(&out, 0, want);
}

static void test_time_trunc_part(void **st)
{
    const char *t = "2023-10-11T17:13:40.123456789Z";
    trunc1("microsecond", t, "2023-10-11T17:13:40.123456Z");
    trunc1("milliseconds", t, "2023-10-11T17:13:40.123Z");
    trunc1("second", t, "2023-10-11T17:13:40Z");
    trunc1("MINUTE", t, "2023-10-11T17:13:00Z");
    trunc1("hour", t, "2023-10-11T17:00:00Z");
    trunc1("day", t, "2023-10-11T00:00:00Z");
    trunc1("week", t, "2023-10-09T00:00:00Z");
    trunc1("month", t, "2023-10-01T00:00:00Z");
    trunc1("quarter", t, "2023-10-01T00:00:00Z");
    trunc1("Year", t, "2023-01-01T00:00:00Z");
    trunc1("day", "1969-12-31T23:59:59.999Z", "1969-12-31T00:00:00Z");
    trunc1("week", "1970-01-01T00:00:00Z", "1969-12-29T00:00:00Z");
    wd_col a[2] = {tconst("fortnight"), tsconst(t)}, out;
    assert_int_equal(call(find_fn("date_trunc", 2, T, WD_T_TIMESTAMP), a, 2, 1, &out),
                     WD_EINVALID);
    assert_non_null(strstr(E.msg, "'fortnight'"));
    assert_non_null(strstr(E.hint, "quarter"));
    /* a unit varying per row, and a NULL row that must not be checked */
    const char *units[] = {"day", NULL, "bogus"};
    int64_t tv[] = {ts_of(t), 0, 0};
    wd_col b[2] = {tcol(2, units), vcol(WD_TYPE_TIMESTAMP, 2, tv, 0)};
    assert_int_equal(call(find_fn("date_trunc", 2, T, WD_T_TIMESTAMP), b, 2, 2, &out), 0);
    check_null(&out, 1);
    b[0] = tcol(3, units);
    b[1] = vcol(WD_TYPE_TIMESTAMP, 3, tv, 0);
    assert_int_equal(call(find_fn("date_trunc", 2, T, WD_T_TIMESTAMP), b, 2, 3, &out),
                     WD_EINVALID);
    int32_t day = 19641; /* 2023-10-11 */
    wd_col dd[2] = {tconst("month"), vconst(WD_TYPE_DATE, &day)};
    assert_int_equal(call(find_fn("date_trunc", 2, T, WD_T_DATE), dd, 2, 1, &out), 0);
    assert_int_equal(WD_COL_GET(&out, int64_t, 0), ts_of("2023-10-01T00:00:00Z"));

    part1("year", t, 2023);
    part1("month", t, 10);
    part1("day", t, 11);
    part1("hour", t, 17);
    part1("minute", t, 13);
    part1("second", t, 40.123456789);
    part1("milliseconds", t, 40123.456789);
    part1("microsecond", t, 40123456.789);
    part1("nanosecond", t, 40123456789.0);
    part1("dow", t, 3);
    part1("isodow", "2023-10-15T00:00:00Z", 7);
    part1("dow", "2023-10-15T00:00:00Z", 0);
    part1("doy", t, 284);
    part1("quarter", t, 4);
    part1("week", t, 41);
    part1("week", "2021-01-01T00:00:00Z", 53);
    part1("isoyear", "2021-01-01T00:00:00Z", 2020);
    part1("epoch", "1970-01-01T00:00:01.5Z", 1.5);
    part1("epoch", "1969-12-31T23:59:59.5Z", -0.5);
    part1("century", t, 21);
    part1("decade", t, 202);
    part1("millennium", t, 3);
    wd_col dp[2] = {tconst("dow"), vconst(WD_TYPE_DATE, &day)};
    assert_int_equal(call(find_fn("date_part", 2, T, WD_T_DATE), dp, 2, 1, &out), 0);
    check_f64(&out, 0, 3);

    wd_col iv[2] = {tconst("hour"), ivconst(14, 3, (2 * 3600 + 30 * 60 + 5) * WD_NS_PER_SEC + 500 * WD_NS_PER_MS)};
    const wd_func *pi = find_fn("date_part", 2, T, WD_T_INTERVAL);
    assert_int_equal(call(pi, iv, 2, 1, &out), 0);
    check_f64(&out, 0, 2);
    iv[0] = tconst("minute");
    assert_int_equal(call(pi, iv, 2, 1, &out), 0);
    check_f64(&out, 0, 30);
    iv[0] = tconst("second");
    assert_int_equal(call(pi, iv, 2, 1, &out), 0);
    check_f64(&out, 0, 5.5);
    iv[0] = tconst("year");
    assert_int_equal(call(pi, iv, 2, 1, &out), 0);
    check_f64(&out, 0, 1);
    iv[0] = tconst("month");
    assert_int_equal(call(pi, iv, 2, 1, &out), 0);
    check_f64(&out, 0, 2);
    iv[0] = tconst("epoch");
    assert_int_equal(call(pi, iv, 2, 1, &out), 0);
    check_f64(&out, 0, 365.25 * 86400 + 2 * 30 * 86400 + 3 * 86400 + 9005.5);
    iv[0] = tconst("dow");
    assert_int_equal(call(pi, iv, 2, 1, &out), WD_EINVALID);
    assert_non_null(strstr(E.msg, "INTERVAL"));
}

static void test_time_arith(void **st)
{
    wd_col out;
    wd_col a[2] = {tsconst("2023-01-31T10:00:00Z"), ivconst(1, 1, WD_NS_PER_SEC)};
    assert_int_equal(call(find_fn("+", 2, WD_T_TIMESTAMP, WD_T_INTERVAL), a, 2, 1, &out), 0);
    assert_int_equal(WD_COL_GET(&out, int64_t, 0), ts_of("2023-03-01T10:00:01Z"));
    assert_int_equal(call(find_fn("-", 2, WD_T_TIMESTAMP, WD_T_INTERVAL), a, 2, 1, &out), 0);
    assert_int_equal(WD_COL_GET(&out, int64_t, 0), ts_of("2022-12-30T09:59:59Z"));
    wd_col r[2] = {a[1], a[0]};
    assert_int_equal(call(find_fn("+", 2, WD_T_INTERVAL, WD_T_TIMESTAMP), r, 2, 1, &out), 0);
    assert_int_equal(WD_COL_GET(&out, int64_t, 0), ts_of("2023-03-01T10:00:01Z"));
    a[1] = ivconst(0, 0, INT64_MAX);
    assert_int_equal(call(find_fn("+", 2, WD_T_TIMESTAMP, WD_T_INTERVAL), a, 2, 1, &out),
                     WD_EOVERFLOW);

    wd_col d[2] = {tsconst("2023-01-02T00:00:00Z"), tsconst("2023-01-01T12:00:00Z")};
    assert_int_equal(call(find_fn("-", 2, WD_T_TIMESTAMP, WD_T_TIMESTAMP), d, 2, 1, &out), 0);
    wd_interval iv = WD_COL_GET(&out, wd_interval, 0);
    assert_int_equal(iv.months, 0);
    assert_int_equal(iv.days, 0);
    assert_int_equal(iv.nanos, 12 * 3600 * WD_NS_PER_SEC);

    int32_t day = 19000, day2 = 18990;
    wd_col da[2] = {vconst(WD_TYPE_DATE, &day), iconst(5)};
    assert_int_equal(call(find_fn("+", 2, WD_T_DATE, I), da, 2, 1, &out), 0);
    assert_int_equal(WD_COL_GET(&out, int32_t, 0), 19005);
    assert_int_equal(call(find_fn("-", 2, WD_T_DATE, I), da, 2, 1, &out), 0);
    assert_int_equal(WD_COL_GET(&out, int32_t, 0), 18995);
    wd_col ad[2] = {iconst(5), vconst(WD_TYPE_DATE, &day)};
    assert_int_equal(call(find_fn("+", 2, I, WD_T_DATE), ad, 2, 1, &out), 0);
    assert_int_equal(WD_COL_GET(&out, int32_t, 0), 19005);
    da[1] = iconst(INT64_MAX);
    assert_int_equal(call(find_fn("+", 2, WD_T_DATE, I), da, 2, 1, &out), WD_EOVERFLOW);
    wd_col dd[2] = {vconst(WD_TYPE_DATE, &day), vconst(WD_TYPE_DATE, &day2)};
    assert_int_equal(call(find_fn("-", 2, WD_T_DATE, WD_T_DATE), dd, 2, 1, &out), 0);
    check_i64(&out, 0, 10);
    wd_col di[2] = {vconst(WD_TYPE_DATE, &day), ivconst(0, 0, 3600 * WD_NS_PER_SEC)};
    assert_int_equal(call(find_fn("+", 2, WD_T_DATE, WD_T_INTERVAL), di, 2, 1, &out), 0);
    assert_int_equal(WD_COL_GET(&out, int64_t, 0), 19000LL * WD_NS_PER_DAY + 3600 * WD_NS_PER_SEC);
    assert_int_equal(call(find_fn("-", 2, WD_T_DATE, WD_T_INTERVAL), di, 2, 1, &out), 0);
    assert_int_equal(WD_COL_GET(&out, int64_t, 0), 19000LL * WD_NS_PER_DAY - 3600 * WD_NS_PER_SEC);

    wd_col ii[2] = {ivconst(1, 2, 3), ivconst(4, 5, 6)};
    assert_int_equal(call(find_fn("+", 2, WD_T_INTERVAL, WD_T_INTERVAL), ii, 2, 1, &out), 0);
    iv = WD_COL_GET(&out, wd_interval, 0);
    assert_true(iv.months == 5 && iv.days == 7 && iv.nanos == 9);
    assert_int_equal(call(find_fn("-", 2, WD_T_INTERVAL, WD_T_INTERVAL), ii, 2, 1, &out), 0);
    iv = WD_COL_GET(&out, wd_interval, 0);
    assert_true(iv.months == -3 && iv.days == -3 && iv.nanos == -3);
    assert_int_equal(call(find_fn("neg", 1, WD_T_INTERVAL), ii, 1, 1, &out), 0);
    iv = WD_COL_GET(&out, wd_interval, 0);
    assert_true(iv.months == -1 && iv.days == -2 && iv.nanos == -3);
    ii[1] = ivconst(INT32_MAX, 0, 0);
    assert_int_equal(call(find_fn("+", 2, WD_T_INTERVAL, WD_T_INTERVAL), ii, 2, 1, &out),
                     WD_EOVERFLOW);

    wd_col mf[2] = {ivconst(1, 1, 0), fconst(1.5)};
    assert_int_equal(call(find_fn("*", 2, WD_T_INTERVAL, WD_T_FLOAT64), mf, 2, 1, &out), 0);
    iv = WD_COL_GET(&out, wd_interval, 0);
    assert_int_equal(iv.months, 1);
    assert_int_equal(iv.days, 16);
    assert_int_equal(iv.nanos, 12 * 3600 * WD_NS_PER_SEC);
    wd_col mi[2] = {iconst(3), ivconst(0, 1, 10)};
    assert_int_equal(call(find_fn("*", 2, I, WD_T_INTERVAL), mi, 2, 1, &out), 0);
    iv = WD_COL_GET(&out, wd_interval, 0);
    assert_true(iv.days == 3 && iv.nanos == 30);
    wd_col dv[2] = {ivconst(0, 1, 0), fconst(0)};
    assert_int_equal(call(find_fn("/", 2, WD_T_INTERVAL, WD_T_FLOAT64), dv, 2, 1, &out),
                     WD_EDIVZERO);
    dv[1] = fconst(2);
    assert_int_equal(call(find_fn("/", 2, WD_T_INTERVAL, WD_T_FLOAT64), dv, 2, 1, &out), 0);
    iv = WD_COL_GET(&out, wd_interval, 0);
    assert_true(iv.days == 0 && iv.nanos == 12 * 3600 * WD_NS_PER_SEC);
}

static void test_time_conv(void **st)
{
    wd_col out;
    assert_int_equal(call(find_fn("now", 0), NULL, 0, 3, &out), 0);
    assert_int_equal(WD_COL_GET(&out, int64_t, 2), NOW);
    assert_true(find_fn("now", 0)->flags & WD_FN_VOLATILE);
    assert_int_equal(call(find_fn("current_date", 0), NULL, 0, 1, &out), 0);
    assert_int_equal(WD_COL_GET(&out, int32_t, 0), (int32_t)(NOW / WD_NS_PER_DAY));

    wd_col f = fconst(1.5);
    assert_int_equal(call(find_fn("to_timestamp", 1, WD_T_FLOAT64), &f, 1, 1, &out), 0);
    assert_int_equal(WD_COL_GET(&out, int64_t, 0), 1500000000LL);
    f = fconst(1e300);
    assert_int_equal(call(find_fn("to_timestamp", 1, WD_T_FLOAT64), &f, 1, 1, &out), WD_EOVERFLOW);
    wd_col i = iconst(1700000000);
    assert_int_equal(call(find_fn("to_timestamp", 1, I), &i, 1, 1, &out), 0);
    assert_int_equal(WD_COL_GET(&out, int64_t, 0), 1700000000LL * WD_NS_PER_SEC);
    assert_int_equal(call(find_fn("from_unixtime", 1, I), &i, 1, 1, &out), 0);
    assert_int_equal(WD_COL_GET(&out, int64_t, 0), 1700000000LL * WD_NS_PER_SEC);
    assert_int_equal(call(find_fn("to_timestamp_seconds", 1, I), &i, 1, 1, &out), 0);
    assert_int_equal(WD_COL_GET(&out, int64_t, 0), 1700000000LL * WD_NS_PER_SEC);
    assert_int_equal(call(find_fn("to_timestamp_millis", 1, I), &i, 1, 1, &out), 0);
    assert_int_equal(WD_COL_GET(&out, int64_t, 0), 1700000000LL * WD_NS_PER_MS);
    assert_int_equal(call(find_fn("to_timestamp_micros", 1, I), &i, 1, 1, &out), 0);
    assert_int_equal(WD_COL_GET(&out, int64_t, 0), 1700000000LL * WD_NS_PER_US);
    assert_int_equal(call(find_fn("to_timestamp_nanos", 1, I), &i, 1, 1, &out), 0);
    assert_int_equal(WD_COL_GET(&out, int64_t, 0), 1700000000LL);
    i = iconst(INT64_MAX / 10);
    assert_int_equal(call(find_fn("to_timestamp_millis", 1, I), &i, 1, 1, &out), WD_EOVERFLOW);

    const char *v[] = {"2023-10-09T17:13:40.5Z", NULL};
    wd_col t = tcol(2, v);
    assert_int_equal(call(find_fn("to_timestamp", 1, T), &t, 1, 2, &out), 0);
    assert_int_equal(WD_COL_GET(&out, int64_t, 0), ts_of("2023-10-09T17:13:40.5Z"));
    check_null(&out, 1);
    assert_int_equal(call(find_fn("to_timestamp_seconds", 1, T), &t, 1, 2, &out), 0);
    assert_int_equal(WD_COL_GET(&out, int64_t, 0), ts_of("2023-10-09T17:13:40Z"));
    assert_int_equal(call(find_fn("to_timestamp_millis", 1, T), &t, 1, 2, &out), 0);
    assert_int_equal(WD_COL_GET(&out, int64_t, 0), ts_of("2023-10-09T17:13:40.5Z"));
    assert_int_equal(call(find_fn("to_timestamp_micros", 1, T), &t, 1, 1, &out), 0);
    assert_int_equal(call(find_fn("to_timestamp_nanos", 1, T), &t, 1, 1, &out), 0);
    t = tconst("yesterday-ish");
    assert_int_equal(call(find_fn("to_timestamp", 1, T), &t, 1, 1, &out), WD_EINVALID);
    assert_non_null(strstr(E.msg, "'yesterday-ish'"));
    t = tconst("2024-02-29");
    assert_int_equal(call(find_fn("to_date", 1, T), &t, 1, 1, &out), 0);
    assert_int_equal(WD_COL_GET(&out, int32_t, 0), 19782);
    t = tconst("2024-13-01");
    assert_int_equal(call(find_fn("to_date", 1, T), &t, 1, 1, &out), WD_EINVALID);

    wd_col md[3] = {iconst(2024), iconst(2), iconst(29)};
    assert_int_equal(call(find_fn("make_date", 3, I, I, I), md, 3, 1, &out), 0);
    assert_int_equal(WD_COL_GET(&out, int32_t, 0), 19782);
    md[0] = iconst(2023);
    assert_int_equal(call(find_fn("make_date", 3, I, I, I), md, 3, 1, &out), WD_EINVALID);

    wd_col b[3] = {ivconst(0, 0, 15 * 60 * WD_NS_PER_SEC), tsconst("2023-10-09T17:13:40Z"),
                   tsconst("2023-10-09T00:05:00Z")};
    const wd_func *bin = find_fn("date_bin", 2, WD_T_INTERVAL, WD_T_TIMESTAMP);
    assert_int_equal(call(bin, b, 2, 1, &out), 0);
    assert_int_equal(WD_COL_GET(&out, int64_t, 0), ts_of("2023-10-09T17:00:00Z"));
    assert_int_equal(call(find_fn("date_bin", 3, WD_T_INTERVAL, WD_T_TIMESTAMP, WD_T_TIMESTAMP),
                          b, 3, 1, &out), 0);
    assert_int_equal(WD_COL_GET(&out, int64_t, 0), ts_of("2023-10-09T17:05:00Z"));
    b[1] = tsconst("1969-12-31T23:59:00Z");
    assert_int_equal(call(bin, b, 2, 1, &out), 0);
    assert_int_equal(WD_COL_GET(&out, int64_t, 0), ts_of("1969-12-31T23:45:00Z"));
    b[0] = ivconst(1, 0, 0);
    assert_int_equal(call(bin, b, 2, 1, &out), WD_EINVALID);
    b[0] = ivconst(0, 0, 0);
    assert_int_equal(call(bin, b, 2, 1, &out), WD_EINVALID);
}

/* The catalog finds these registrations with the types the analyzer passes. */
static void resolve_ok(const char *name, uint32_t na, const wd_type *const *args,
                       const char *want_ret)
{
    const wd_func *fn = NULL;
    const wd_type *ret = NULL, *cast_to[6] = {0};
    wd_err_clear(&E);
    int rc = wd_func_resolve(name, args, na, &A, &fn, &ret, cast_to, &E);
    if (rc) fail_msg("resolve %s: %s", name, E.msg);
    assert_string_equal(wd_type_name(ret), want_ret);
}

static void test_resolve(void **st)
{
    const wd_type *lt = wd_type_list(&A, WD_TYPE_INT64);
    const wd_type *a1[] = {WD_TYPE_TEXT, WD_TYPE_INT64, WD_TYPE_FLOAT64};
    resolve_ok("concat", 3, a1, "TEXT");
    resolve_ok("concat_ws", 3, a1, "TEXT");
    const wd_type *a2[] = {WD_TYPE_JSON, WD_TYPE_TEXT};
    resolve_ok("->", 2, a2, "JSON");
    resolve_ok("->>", 2, a2, "TEXT");
    const wd_type *a3[] = {WD_TYPE_TEXT, WD_TYPE_TEXT, WD_TYPE_INT32};
    resolve_ok("json_get", 3, a3, "JSON");
    resolve_ok("json_get_int", 3, a3, "BIGINT");
    const wd_type *a4[] = {lt, WD_TYPE_INT32};
    resolve_ok("[]", 2, a4, "BIGINT");
    resolve_ok("array_has", 2, a4, "BOOLEAN");
    resolve_ok("array_append", 2, a4, wd_type_name(lt));
    const wd_type *a5[] = {WD_TYPE_TEXT, WD_TYPE_TIMESTAMP};
    resolve_ok("date_part", 2, a5, "DOUBLE");
    resolve_ok("date_trunc", 2, a5, "TIMESTAMP");
    const wd_type *a6[] = {WD_TYPE_TIMESTAMP, WD_TYPE_INTERVAL};
    resolve_ok("+", 2, a6, "TIMESTAMP");
    const wd_type *a7[] = {WD_TYPE_TEXT, WD_TYPE_TEXT};
    resolve_ok("regexp_match", 2, a7, "TEXT[]");
    resolve_ok("md5", 1, a7, "TEXT");
    const wd_type *a8[] = {WD_TYPE_TEXT, WD_TYPE_INT32, WD_TYPE_INT32};
    resolve_ok("substr", 3, a8, "TEXT");
}

/* Every registration has a kernel, a doc line and sane parameter counts. */
static void test_tables(void **st)
{
#define CHECK(g)                                                                    \
    for (size_t i = 0; i < wd_funcs_##g##_n; i++) {                                 \
        const wd_func *f = &wd_funcs_##g[i];                                        \
        assert_non_null(f->name);                                                   \
        assert_non_null(f->kernel);                                                 \
        assert_non_null(f->doc);                                                    \
        assert_true(f->nargs >= -1 && f->nargs <= 4);                               \
    }
    CHECK(text) CHECK(regex) CHECK(hash) CHECK(json) CHECK(array) CHECK(time)
#undef CHECK
}

static int setup(void **st)
{
    wd_arena_init(&A, 0);
    return 0;
}

static int teardown(void **st)
{
    wd_arena_free(&A);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables),
        cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_case_and_length),
        cmocka_unit_test(test_substr),
        cmocka_unit_test(test_concat),
        cmocka_unit_test(test_trim_replace_search),
        cmocka_unit_test(test_split_pad_misc),
        cmocka_unit_test(test_regex),
        cmocka_unit_test(test_regex_replace_extract),
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_json_mutations),
        cmocka_unit_test(test_array),
        cmocka_unit_test(test_time_trunc_part),
        cmocka_unit_test(test_time_arith),
        cmocka_unit_test(test_time_conv),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
