/*
 * test_common.c — unit tests for src/common: error values and their caret
 * formatting, the counting allocator and its failure injector, arenas,
 * growable buffers with JSON escaping, and "did you mean" suggestions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/suggest.h"

/* ---- errors ------------------------------------------------------------ */

static void test_strerror(void **state)
{
    (void)state;
    assert_string_equal(wd_strerror(WD_EOK), "ok");
    assert_string_equal(wd_strerror(WD_ESYNTAX), "syntax error");
    assert_string_equal(wd_strerror(WD_EOPTION), "bad option");
    assert_string_equal(wd_strerror(WD_EINTERNAL), "internal error");
    assert_string_equal(wd_strerror(-999), "unknown error");
    assert_string_equal(wd_strerror(42), "unknown error");
}

static void test_err_first_wins(void **state)
{
    (void)state;
    wd_error e;
    wd_err_clear(&e);
    assert_int_equal(e.code, 0);
    assert_int_equal(wd_err(&e, WD_ENAME, "unknown column '%s'", "foo"), WD_ENAME);
    assert_int_equal(e.code, WD_ENAME);
    assert_string_equal(e.msg, "unknown column 'foo'");
    assert_int_equal(e.pos.line, 0);
    /* a second error keeps the first message */
    wd_pos p = {3, 4};
    assert_int_equal(wd_err_at(&e, WD_ETYPE, p, "generic context"), WD_ETYPE);
    assert_int_equal(e.code, WD_ENAME);
    assert_string_equal(e.msg, "unknown column 'foo'");
    assert_int_equal(e.pos.line, 0);
    wd_err_hint(&e, "did you mean '%s'?", "food");
    assert_string_equal(e.hint, "did you mean 'food'?");
    wd_err_clear(&e);
    assert_int_equal(e.code, 0);
    assert_string_equal(e.msg, "");
    assert_string_equal(e.hint, "");
    /* NULL err: just the code */
    assert_int_equal(wd_err(NULL, WD_EIO, "x"), WD_EIO);
    assert_int_equal(wd_err_at(NULL, WD_EIO, p, "x"), WD_EIO);
    wd_err_hint(NULL, "nothing");
    wd_err_clear(NULL);
    /* position recorded */
    wd_err_at(&e, WD_ESYNTAX, p, "expected %s", "')'");
    assert_int_equal(e.pos.line, 3);
    assert_int_equal(e.pos.col, 4);
    /* long messages are truncated, not overflowed */
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    wd_err_clear(&e);
    wd_err(&e, WD_EDATA, "%s", big);
    assert_int_equal(strlen(e.msg), sizeof e.msg - 1);
    wd_err_hint(&e, "%s", big);
    assert_int_equal(strlen(e.hint), sizeof e.hint - 1);
}

static void test_err_format(void **state)
{
    (void)state;
    char out[512];
    wd_error e;
    wd_err_clear(&e);
    const char *sql = "SELECT a,\n  bidd FROM t\nWHERE x";
    wd_pos p = {2, 3};
    wd_err_at(&e, WD_ENAME, p, "unknown column 'bidd'");
    wd_err_hint(&e, "did you mean 'bid'?");
    size_t n = wd_err_format(&e, "q.sql", sql, out, sizeof out);
    assert_string_equal(out, "q.sql:2:3: unknown column 'bidd'\n"
                             "    bidd FROM t\n"
                             "    ^\n"
                             "hint: did you mean 'bid'?");
    assert_int_equal(n, strlen(out));

    /* no file */
    wd_err_format(&e, NULL, sql, out, sizeof out);
    assert_string_equal(out, "2:3: unknown column 'bidd'\n"
                             "    bidd FROM t\n"
                             "    ^\n"
                             "hint: did you mean 'bid'?");
    /* no text: no source line */
    wd_err_format(&e, NULL, NULL, out, sizeof out);
    assert_string_equal(out, "2:3: unknown column 'bidd'\nhint: did you mean 'bid'?");

    /* no position: just the message */
    wd_err_clear(&e);
    wd_err(&e, WD_EIO, "cannot open 'x'");
    wd_err_format(&e, NULL, sql, out, sizeof out);
    assert_string_equal(out, "cannot open 'x'");
    wd_err_format(&e, "f.sql", sql, out, sizeof out);
    assert_string_equal(out, "f.sql: cannot open 'x'");

    /* tabs keep the caret aligned; CRLF line endings are cut */
    wd_err_clear(&e);
    wd_pos pt = {1, 4};
    wd_err_at(&e, WD_ESYNTAX, pt, "oops");
    wd_err_format(&e, NULL, "\t\tab\r\nnext", out, sizeof out);
    assert_string_equal(out, "1:4: oops\n  \t\tab\n  \t\t ^");

    /* UTF-8: a multi-byte character takes one column of caret */
    wd_err_clear(&e);
    wd_pos pu = {1, 5};
    wd_err_at(&e, WD_ESYNTAX, pu, "here");
    wd_err_format(&e, NULL, "'\xc3\xa9' x", out, sizeof out);
    assert_string_equal(out, "1:5: here\n  '\xc3\xa9' x\n     ^");

    /* line past the end of the text: no source line */
    wd_err_clear(&e);
    wd_pos pf = {9, 1};
    wd_err_at(&e, WD_ESYNTAX, pf, "eof");
    wd_err_format(&e, NULL, "one line", out, sizeof out);
    assert_string_equal(out, "9:1: eof");

    /* column past the end of the line: caret just after it */
    wd_err_clear(&e);
    wd_pos pe = {1, 4};
    wd_err_at(&e, WD_ESYNTAX, pe, "eol");
    wd_err_format(&e, NULL, "ab", out, sizeof out);
    assert_string_equal(out, "1:4: eol\n  ab\n    ^");
    wd_err_clear(&e);
    wd_pos ph = {1, 2000000000};
    wd_err_at(&e, WD_ESYNTAX, ph, "far");
    wd_err_format(&e, NULL, "ab", out, sizeof out);
    assert_string_equal(out, "1:2000000000: far\n  ab\n    ^");
    wd_err_clear(&e);
    wd_err_at(&e, WD_ESYNTAX, pe, "eol");

    /* truncation: returns the wanted length, output NUL-terminated */
    char small[8];
    size_t want = wd_err_format(&e, NULL, "ab", small, sizeof small);
    assert_int_equal(want, strlen("1:4: eol\n  ab\n    ^"));
    assert_string_equal(small, "1:4: eo");
    assert_int_equal(wd_err_format(&e, NULL, "ab", NULL, 0), want);

    /* no message recorded: the code's text */
    wd_error e2 = {0};
    e2.code = WD_EDIVZERO;
    wd_err_format(&e2, NULL, NULL, out, sizeof out);
    assert_string_equal(out, "division by zero");
}

/* ---- allocator ---------------------------------------------------------- */

static void test_alloc_counts(void **state)
{
    (void)state;
    int64_t base = wd_alloc_live_bytes();
    char *p = wd_malloc(100);
    assert_non_null(p);
    assert_int_equal(((uintptr_t)p) % 16, 0);
    assert_int_equal(wd_alloc_live_bytes() - base, 100);
    p = wd_realloc(p, 1000);
    assert_int_equal(wd_alloc_live_bytes() - base, 1000);
    p = wd_realloc(p, 10);
    assert_int_equal(wd_alloc_live_bytes() - base, 10);
    int *z = wd_calloc(10, sizeof(int));
    for (int i = 0; i < 10; i++) assert_int_equal(z[i], 0);
    assert_int_equal(wd_alloc_live_bytes() - base, 10 + 10 * (int64_t)sizeof(int));
    wd_free(z);
    wd_free(p);
    wd_free(NULL);
    assert_int_equal(wd_alloc_live_bytes(), base);

    char *s = wd_strdup("hello");
    assert_string_equal(s, "hello");
    char *t = wd_strndup("hello world", 5);
    assert_string_equal(t, "hello");
    char *u = wd_strndup("hi", 10);
    assert_string_equal(u, "hi");
    assert_null(wd_strdup(NULL));
    wd_free(s);
    wd_free(t);
    wd_free(u);
    void *r = wd_realloc(NULL, 7);
    assert_non_null(r);
    void *zero = wd_malloc(0);
    assert_non_null(zero);
    wd_free(zero);
    wd_free(r);
    assert_int_equal(wd_alloc_live_bytes(), base);
}

static void test_alloc_inject(void **state)
{
    (void)state;
    wd_alloc_fail_after(1);
    assert_null(wd_malloc(8));
    void *p = wd_malloc(8); /* single-shot: off again */
    assert_non_null(p);
    wd_alloc_fail_after(3);
    void *a = wd_malloc(8), *b = wd_calloc(1, 8);
    assert_non_null(a);
    assert_non_null(b);
    void *c = wd_realloc(p, 100); /* third: fails, p untouched */
    assert_null(c);
    c = wd_realloc(p, 100);
    assert_non_null(c);
    wd_free(a);
    wd_free(b);
    wd_free(c);
    /* arenas consult the injector too */
    wd_arena ar;
    wd_arena_init(&ar, 0);
    assert_non_null(wd_arena_alloc(&ar, 8));
    wd_alloc_fail_after(1);
    assert_null(wd_arena_alloc(&ar, 8));
    assert_non_null(wd_arena_alloc(&ar, 8));
    wd_alloc_fail_after(1);
    assert_null(wd_arena_strdup(&ar, "x"));
    wd_alloc_fail_after(1);
    assert_null(wd_arena_printf(&ar, "%d", 5));
    wd_alloc_fail_after(0);
    wd_arena_free(&ar);
}

/* ---- arenas ------------------------------------------------------------- */

static void test_arena_basic(void **state)
{
    (void)state;
    wd_arena a;
    wd_arena_init(&a, 1024);
    assert_int_equal(a.chunk_size, 1024);
    assert_int_equal(a.total, 0);
    char *prev = NULL;
    for (int i = 0; i < 1000; i++) {
        size_t n = (size_t)(i % 37) + 1;
        char *p = wd_arena_alloc(&a, n);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        memset(p, i & 0xff, n);
        if (prev) assert_true(p != prev);
        prev = p;
    }
    assert_true(a.total >= 1024);
    int *z = wd_arena_calloc(&a, 64 * sizeof(int));
    for (int i = 0; i < 64; i++) assert_int_equal(z[i], 0);
    char *s = wd_arena_strdup(&a, "abc");
    assert_string_equal(s, "abc");
    s = wd_arena_strndup(&a, "abcdef", 2);
    assert_string_equal(s, "ab");
    s = wd_arena_printf(&a, "%s-%d", "x", 42);
    assert_string_equal(s, "x-42");
    assert_null(wd_arena_strdup(&a, NULL));
    wd_arena_free(&a);
    assert_null(a.head);
    assert_int_equal(a.total, 0);
    /* an arena can be used again after free */
    assert_non_null(wd_arena_alloc(&a, 10));
    wd_arena_free(&a);
}

static void test_arena_big(void **state)
{
    (void)state;
    wd_arena a;
    wd_arena_init(&a, 1024);
    char *small = wd_arena_alloc(&a, 16);
    char *cur_before = a.cur;
    /* a big request gets its own chunk; the current chunk keeps its space */
    char *big = wd_arena_alloc(&a, 100000);
    assert_non_null(big);
    assert_int_equal((uintptr_t)big % 16, 0);
    memset(big, 7, 100000);
    assert_ptr_equal(a.cur, cur_before);
    char *small2 = wd_arena_alloc(&a, 16);
    assert_ptr_equal(small2, small + 16);
    assert_true(a.total >= 100000 + 1024);
    /* a big allocation into an empty arena */
    wd_arena b;
    wd_arena_init(&b, 0);
    char *bb = wd_arena_alloc(&b, 1 << 20);
    memset(bb, 1, 1 << 20);
    char *bs = wd_arena_alloc(&b, 10);
    memset(bs, 2, 10);
    assert_int_equal(bb[(1 << 20) - 1], 1);
    wd_arena_free(&b);
    wd_arena_free(&a);
}

static void test_arena_realloc(void **state)
{
    (void)state;
    wd_arena a;
    wd_arena_init(&a, 4096);
    char *p = wd_arena_alloc(&a, 10);
    memcpy(p, "0123456789", 10);
    /* the last allocation grows in place */
    char *q = wd_arena_realloc(&a, p, 10, 100);
    assert_ptr_equal(p, q);
    assert_memory_equal(q, "0123456789", 10);
    memset(q + 10, 'x', 90);
    char *r = wd_arena_alloc(&a, 8);
    assert_ptr_equal(r, q + 112);
    /* no longer the last: copied */
    char *q2 = wd_arena_realloc(&a, q, 100, 200);
    assert_ptr_not_equal(q2, q);
    assert_memory_equal(q2, "0123456789", 10);
    assert_int_equal(q2[99], 'x');
    /* shrinking keeps the pointer */
    assert_ptr_equal(wd_arena_realloc(&a, q2, 200, 50), q2);
    /* grows in place up to the chunk end, then moves */
    char *g = wd_arena_alloc(&a, 16);
    size_t sz = 16;
    for (int i = 0; i < 20; i++) {
        size_t nsz = sz * 2;
        char *ng = wd_arena_realloc(&a, g, sz, nsz);
        assert_non_null(ng);
        memset(ng + sz, i, nsz - sz);
        g = ng;
        sz = nsz;
    }
    assert_int_equal(g[sz - 1], 19);
    /* NULL pointer: plain alloc */
    assert_non_null(wd_arena_realloc(&a, NULL, 0, 32));
    wd_arena_free(&a);
}

static void test_arena_reset(void **state)
{
    (void)state;
    wd_arena a;
    wd_arena_init(&a, 1024);
    for (int i = 0; i < 100; i++) wd_arena_alloc(&a, 100);
    wd_arena_alloc(&a, 50000);
    assert_true(a.total > 1024 * 5);
    wd_arena_reset(&a);
    assert_non_null(a.head);
    assert_int_equal(a.total, 1024);
    char *start = a.cur;
    char *p = wd_arena_alloc(&a, 10);
    assert_ptr_equal(p, start);
    memset(p, 0, 10);
    for (int i = 0; i < 100; i++) wd_arena_alloc(&a, 100);
    wd_arena_reset(&a);
    wd_arena_reset(&a);
    assert_int_equal(a.total, 1024);
    wd_arena_free(&a);

    /* reset of a never-used arena */
    wd_arena e;
    wd_arena_init(&e, 0);
    wd_arena_reset(&e);
    assert_null(e.head);
    assert_non_null(wd_arena_alloc(&e, 1));
    wd_arena_free(&e);
}

static void test_arena_recycle(void **state)
{
    (void)state;
    /* default-size chunks go through the free list: churn many arenas */
    for (int round = 0; round < 200; round++) {
        wd_arena a;
        wd_arena_init(&a, 0);
        for (int i = 0; i < 50; i++) {
            char *p = wd_arena_alloc(&a, 4000);
            memset(p, round & 0xff, 4000);
        }
        wd_arena_free(&a);
    }
    int64_t base = wd_alloc_live_bytes();
    wd_arena a;
    wd_arena_init(&a, 0);
    wd_arena_alloc(&a, 10);
    wd_arena_free(&a);
    /* recycled chunk: no net growth */
    assert_true(wd_alloc_live_bytes() <= base);
}

/* ---- buffers ------------------------------------------------------------ */

static void test_buf(void **state)
{
    (void)state;
    wd_buf b = WD_BUF_INIT;
    wd_buf_puts(&b, "hello");
    wd_buf_putc(&b, ' ');
    wd_buf_put(&b, "world!!", 5);
    assert_string_equal(b.data, "hello world");
    assert_int_equal(b.len, 11);
    wd_buf_printf(&b, " %d %s", 42, "x");
    assert_string_equal(b.data, "hello world 42 x");
    wd_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    char big[1000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    for (int i = 0; i < 10; i++) wd_buf_printf(&b, "%s|", big);
    assert_int_equal(b.len, 10000);
    assert_int_equal(b.data[999], '|');
    assert_int_equal(b.data[10000], 0);
    for (int i = 0; i < 100000; i++) wd_buf_putc_fast(&b, 'z');
    assert_int_equal(b.len, 110000);
    wd_buf_free(&b);
    assert_null(b.data);
    wd_buf_put(&b, "", 0);
    wd_buf_free(&b);
    wd_buf_printf(&b, "%s", "");
    assert_int_equal(b.len, 0);
    wd_buf_free(&b);

    /* a failed allocation inside a buffer is retried */
    wd_alloc_fail_after(1);
    wd_buf_puts(&b, "still works");
    assert_string_equal(b.data, "still works");
    wd_buf_free(&b);
}

static void json(const char *in, size_t n, const char *want)
{
    wd_buf b = WD_BUF_INIT;
    wd_buf_puts(&b, "x=");
    wd_buf_json_str(&b, in, n);
    assert_string_equal(b.data + 2, want);
    assert_int_equal(b.len, 2 + strlen(want));
    wd_buf_free(&b);
}

static void test_json_str(void **state)
{
    (void)state;
    json("", 0, "\"\"");
    json("abc", 3, "\"abc\"");
    json("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
    json("\n\t\r\b\f", 5, "\"\\n\\t\\r\\b\\f\"");
    json("\x01\x1f", 2, "\"\\u0001\\u001f\"");
    json("a\0b", 3, "\"a\\u0000b\"");
    json("caf\xc3\xa9 \xe2\x82\xac", 9, "\"caf\xc3\xa9 \xe2\x82\xac\"");
    json("\xff\xfe", 2, "\"\xff\xfe\"");
    json("/\x7f", 2, "\"/\x7f\"");
    /* many escapes in a long string */
    char in[3000];
    for (int i = 0; i < 3000; i++) in[i] = (i % 3 == 0) ? '\x02' : '"';
    wd_buf b = WD_BUF_INIT;
    wd_buf_json_str(&b, in, sizeof in);
    assert_int_equal(b.len, 2 + 1000 * 6 + 2000 * 2);
    assert_int_equal(b.data[b.len - 1], '"');
    wd_buf_free(&b);
}

/* ---- suggestions -------------------------------------------------------- */

static void test_suggest(void **state)
{
    (void)state;
    assert_int_equal(wd_edit_distance("", ""), 0);
    assert_int_equal(wd_edit_distance("abc", ""), 3);
    assert_int_equal(wd_edit_distance(NULL, "ab"), 2);
    assert_int_equal(wd_edit_distance("kitten", "sitting"), 3);
    assert_int_equal(wd_edit_distance("event_rate", "evnt_rate"), 1);
    assert_int_equal(wd_edit_distance("Event_Rate", "event_rate"), 0);
    assert_int_equal(wd_edit_distance("abcd", "abdc"), 1); /* transposition */
    assert_int_equal(wd_edit_distance("flaw", "lawn"), 2);
    char longa[300], longb[300];
    memset(longa, 'a', 299);
    longa[299] = 0;
    memcpy(longb, longa, 300);
    longb[150] = 'b';
    assert_int_equal(wd_edit_distance(longa, longb), 1);

    const char *cands[] = {"event_rate", "runtime", "first_event_rate", NULL, "format"};
    assert_string_equal(wd_suggest("evnt_rate", cands, 5), "event_rate");
    assert_string_equal(wd_suggest("runtim", cands, 5), "runtime");
    assert_string_equal(wd_suggest("fromat", cands, 5), "format");
    assert_null(wd_suggest("rate", cands, 5));
    assert_null(wd_suggest("xyz", cands, 5));
    assert_null(wd_suggest(NULL, cands, 5));
    assert_null(wd_suggest("x", NULL, 0));
    const char *one[] = {"a"};
    assert_string_equal(wd_suggest("b", one, 1), "a"); /* max(1, len/3) */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strerror),     cmocka_unit_test(test_err_first_wins),
        cmocka_unit_test(test_err_format),   cmocka_unit_test(test_alloc_counts),
        cmocka_unit_test(test_alloc_inject), cmocka_unit_test(test_arena_basic),
        cmocka_unit_test(test_arena_big),    cmocka_unit_test(test_arena_realloc),
        cmocka_unit_test(test_arena_reset),  cmocka_unit_test(test_arena_recycle),
        cmocka_unit_test(test_buf),          cmocka_unit_test(test_json_str),
        cmocka_unit_test(test_suggest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
