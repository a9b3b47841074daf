/*
 * test_wire.c — the columnar wire encoding of batches (src/batch/wire.c)
 * and control frames (src/control/proto.c): round trips of every type
 * (nulls, constants, strings, structs, lists, retractions, row subsets),
 * and malformed input — every truncation and every flipped byte of an
 * encoded batch decodes to WD_ECORRUPT or a well-formed batch, never a
 * crash (the ASan+UBSan build checks the "never").
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "batch/batch.h"
#include "batch/json.h"
#include "batch/wire.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "control/proto.h"

static wd_arena A;

static const char *const LINES[] = {
    "{\"i\":1,\"s\":\"alpha\",\"f\":1.5,\"b\":true,\"l\":[1,2,3],\"st\":{\"x\":1,\"y\":\"p\"},\"d\":\"12.25\"}",
    "{\"i\":null,\"s\":null,\"f\":null,\"b\":null,\"l\":null,\"st\":null,\"d\":null}",
    "{\"i\":-7,\"s\":\"\",\"f\":-0.25,\"b\":false,\"l\":[],\"st\":{\"x\":null,\"y\":\"\"},\"d\":\"-1.5\"}",
    "{\"i\":9223372036854775807,\"s\":\"gr\\u00fc\\u00dfe \\\"q\\\"\",\"f\":1e300,\"b\":true,\"l\":[null,5],\"st\":{\"x\":3,\"y\":null},\"d\":\"0\"}",
};
#define NL (sizeof LINES / sizeof LINES[0])

static const wd_type *schema(void)
{
    wd_field sf[] = {{"x", WD_TYPE_INT32, true}, {"y", WD_TYPE_TEXT, true}};
    wd_field f[] = {
        {"i", WD_TYPE_INT64, true},
        {"s", WD_TYPE_TEXT, true},
        {"f", WD_TYPE_FLOAT64, true},
        {"b", WD_TYPE_BOOL, true},
        {"l", wd_type_list(&A, WD_TYPE_INT64), true},
        {"st", wd_type_struct(&A, 2, sf), true},
        {"d", wd_type_decimal(&A, 10, 2), true},
    };
    return wd_schema_make(&A, sizeof f / sizeof f[0], f);
}

/* A batch of the test lines repeated to n rows, with retractions. */
static wd_batch *make(const wd_type *s, uint32_t n)
{
    wd_batch *b = wd_batch_new(s, n);
    wd_json_decoder *d = wd_json_decoder_new(s, NULL);
    assert_non_null(d);
    for (uint32_t r = 0; r < n; r++) {
        wd_error e;
        wd_err_clear(&e);
        const char *l = LINES[r % NL];
        assert_int_equal(wd_json_decode(d, l, strlen(l), b, &e), 0);
        wd_batch_ts(b)[r] = (int64_t)r * 1000;
    }
    wd_json_decoder_free(d);
    b->retract = wd_arena_calloc(&b->arena, n);
    for (uint32_t r = 0; r < n; r += 3) b->retract[r] = 1;
    wd_batch_seal(b);
    return b;
}

static void rows_json(const wd_batch *b, const uint32_t *idx, uint32_t n, wd_buf *out)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = idx ? idx[i] : i;
        wd_buf_printf(out, "%d ", b->retract ? b->retract[r] : 0);
        wd_json_encode_row(b, r, out);
        wd_buf_putc(out, '\n');
    }
}

static void test_roundtrip(void **state)
{
    const wd_type *s = schema();
    wd_batch *b = make(s, 37);
    wd_buf enc = WD_BUF_INIT, want = WD_BUF_INIT, got = WD_BUF_INIT;
    wd_batch_wire_encode(b, NULL, 0, &enc);
    wd_batch *d;
    wd_error e;
    wd_err_clear(&e);
    assert_int_equal(wd_batch_wire_decode(s, enc.data, enc.len, &d, &e), 0);
    assert_int_equal(d->nrows, 37);
    rows_json(b, NULL, 37, &want);
    rows_json(d, NULL, 37, &got);
    assert_string_equal(want.data, got.data);
    wd_batch_release(d);

    /* a subset of rows, in another order (a shuffle's target) */
    uint32_t idx[] = {36, 1, 2, 17, 5, 5};
    wd_buf_reset(&enc);
    wd_buf_reset(&want);
    wd_buf_reset(&got);
    wd_batch_wire_encode(b, idx, 6, &enc);
    assert_int_equal(wd_batch_wire_decode(s, enc.data, enc.len, &d, &e), 0);
    rows_json(b, idx, 6, &want);
    rows_json(d, NULL, 6, &got);
    assert_string_equal(want.data, got.data);
    wd_batch_release(d);

    /* an empty batch */
    wd_buf_reset(&enc);
    wd_batch_wire_encode(b, idx, 0, &enc);
    assert_int_equal(wd_batch_wire_decode(s, enc.data, enc.len, &d, &e), 0);
    assert_int_equal(d->nrows, 0);
    wd_batch_release(d);
    wd_batch_release(b);
    wd_buf_free(&enc);
    wd_buf_free(&want);
    wd_buf_free(&got);
}

static void test_const_columns(void **state)
{
    wd_field f[] = {{"k", WD_TYPE_INT64, true}, {"t", WD_TYPE_TEXT, true}};
    const wd_type *s = wd_schema_make(&A, 2, f);
    wd_batch *b = wd_batch_new_empty(s);
    b->nrows = 5;
    static const int64_t k = 42;
    static const wd_str t = {.ptr = "const", .len = 5};
    b->cols[0] = (wd_col){.type = WD_TYPE_INT64, .len = 5, .flags = WD_COL_CONST, .data = (void *)&k};
    b->cols[1] = (wd_col){.type = WD_TYPE_TEXT, .len = 5, .flags = WD_COL_CONST, .data = (void *)&t};
    wd_col_init(&b->cols[2], WD_TYPE_TIMESTAMP, 5, &b->arena);
    for (int i = 0; i < 5; i++) ((int64_t *)b->cols[2].data)[i] = i;
    b->cols[2].len = 5;
    wd_buf enc = WD_BUF_INIT, want = WD_BUF_INIT, got = WD_BUF_INIT;
    wd_batch_wire_encode(b, NULL, 0, &enc);
    assert_true(enc.len < 80); /* one value each, not five */
    wd_batch *d;
    wd_error e;
    wd_err_clear(&e);
    assert_int_equal(wd_batch_wire_decode(s, enc.data, enc.len, &d, &e), 0);
    rows_json(b, NULL, 5, &want);
    rows_json(d, NULL, 5, &got);
    assert_string_equal(want.data, got.data);
    wd_batch_release(d);
    wd_batch_release(b);
    wd_buf_free(&enc);
    wd_buf_free(&want);
    wd_buf_free(&got);
}

static void test_malformed(void **state)
{
    const wd_type *s = schema();
    wd_batch *b = make(s, 9);
    wd_buf enc = WD_BUF_INIT;
    wd_batch_wire_encode(b, NULL, 0, &enc);
    wd_batch_release(b);
    uint8_t *copy = wd_malloc(enc.len);
    uint32_t bad = 0;
    for (size_t cut = 0; cut < enc.len; cut++) {
        wd_batch *d = NULL;
        wd_error e;
        wd_err_clear(&e);
        int rc = wd_batch_wire_decode(s, enc.data, cut, &d, &e);
        assert_int_equal(rc, WD_ECORRUPT);
        assert_null(d);
        assert_non_null(strstr(e.msg, "malformed batch frame"));
    }
    for (size_t i = 0; i < enc.len; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            memcpy(copy, enc.data, enc.len);
            copy[i] ^= (uint8_t)(1u << bit);
            wd_batch *d = NULL;
            wd_error e;
            wd_err_clear(&e);
            int rc = wd_batch_wire_decode(s, copy, enc.len, &d, &e);
            if (rc == 0) {
                /* still well-formed: it must be usable */
                wd_buf j = WD_BUF_INIT;
                rows_json(d, NULL, d->nrows, &j);
                wd_buf_free(&j);
                wd_batch_release(d);
            } else {
                assert_int_equal(rc, WD_ECORRUPT);
                bad++;
            }
        }
    }
    assert_true(bad > enc.len / 2);
    /* a header claiming a huge batch */
    uint8_t huge[5] = {0xff, 0xff, 0xff, 0x7f, 0};
    wd_batch *d = NULL;
    wd_error e;
    wd_err_clear(&e);
    assert_int_equal(wd_batch_wire_decode(s, huge, sizeof huge, &d, &e), WD_ECORRUPT);
    wd_free(copy);
    wd_buf_free(&enc);
}

static void test_control_frames(void **state)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    Wadi__V1__Inject in = WADI__V1__INJECT__INIT;
    in.epoch = 77;
    in.stop = true;
    WD_ENV(env, inject, INJECT, &in);
    wd_error e;
    wd_err_clear(&e);
    assert_int_equal(wd_ctl_send(sv[0], &env, WD_NS_PER_SEC, &e), 0);
    wd_env *m = NULL;
    assert_int_equal(wd_ctl_recv(sv[1], WD_NS_PER_SEC, NULL, &m, &e), 0);
    assert_int_equal(m->msg_case, WADI__V1__ENVELOPE__MSG_INJECT);
    assert_int_equal(m->inject->epoch, 77);
    assert_true(m->inject->stop);
    wd_env_free(m);

    /* bad magic, another version, an oversized length, garbage payload, EOF */
    static const uint8_t frames[][12] = {
        {'H', 'T', 'T', 'P', 1, 0, 0, 0, 0, 0, 0, 0},
        {'W', 'D', 'C', '1', 9, 0, 0, 0, 0, 0, 0, 0},
        {'W', 'D', 'C', '1', 1, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f},
        {'W', 'D', 'C', '1', 1, 0, 0, 0, 3, 0, 0, 0},
    };
    static const char *const want[] = {"bad magic", "version 9", "control frame of", "malformed"};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(write(sv[0], frames[i], 12), 12);
        if (i == 3) assert_int_equal(write(sv[0], "\xff\xff\xff", 3), 3);
        wd_err_clear(&e);
        m = NULL;
        assert_int_equal(wd_ctl_recv(sv[1], WD_NS_PER_SEC, NULL, &m, &e), WD_ENET);
        assert_null(m);
        assert_non_null(strstr(e.msg, want[i]));
        if (i < 3) { /* resynchronise: a fresh pair */
            close(sv[0]);
            close(sv[1]);
            assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        }
    }
    close(sv[0]);
    wd_err_clear(&e);
    assert_int_equal(wd_ctl_recv(sv[1], WD_NS_PER_SEC, NULL, &m, &e), WD_ENET);
    assert_non_null(strstr(e.msg, "connection closed"));
    close(sv[1]);
}

int main(void)
{
    wd_arena_init(&A, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_const_columns),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_control_frames),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    wd_arena_free(&A);
    return rc;
}
