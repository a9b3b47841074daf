/*
 * test_json.c — unit tests for the JSON-lines codec (src/batch/json.c):
 * decoding of every type, nested structs and lists, escapes and unicode,
 * range errors, missing/null/unknown keys, malformed and truncated lines,
 * unstructured mode, canonical re-encoding, timestamp text, Debezium
 * encoding and decoding (change records into rows with retraction flags).
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

#include "batch/batch.h"
#include "batch/json.h"
#include "common/alloc.h"
#include "connectors/connector.h"
#include "common/buf.h"

static wd_arena A;

static int setup(void **state)
{
    (void)state;
    wd_arena_init(&A, 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    wd_arena_free(&A);
    return 0;
}

#define F(n, t) {(n), (t), true}
#define FNN(n, t) {(n), (t), false}
#define SCHEMA(...)                                                                           \
    ({                                                                                        \
        wd_field fs_[] = {__VA_ARGS__};                                                       \
        wd_schema_make(&A, sizeof fs_ / sizeof fs_[0], fs_);                                  \
    })

/* Decode line into b (a fresh batch when *bp is NULL); returns the code. */
static int dec(const wd_type *s, const wd_json_opts *o, const char *line, wd_batch **bp,
               wd_error *e)
{
    if (!*bp) *bp = wd_batch_new(s, 4);
    wd_json_decoder *d = wd_json_decoder_new(s, o);
    assert_non_null(d);
    wd_err_clear(e);
    int rc = wd_json_decode(d, line, strlen(line), *bp, e);
    if (rc == 0) wd_batch_ts(*bp)[(*bp)->nrows - 1] = 0;
    wd_json_decoder_free(d);
    return rc;
}

/* Decode one line and encode the row back; returns a static string. */
static const char *roundtrip(const wd_type *s, const char *line)
{
    static char out[4096];
    wd_batch *b = NULL;
    wd_error e;
    int rc = dec(s, NULL, line, &b, &e);
    if (rc) {
        snprintf(out, sizeof out, "ERROR %s", e.msg);
    } else {
        wd_batch_seal(b);
        wd_buf buf = WD_BUF_INIT;
        wd_json_encode_row(b, 0, &buf);
        snprintf(out, sizeof out, "%s", buf.len ? buf.data : "");
        wd_buf_free(&buf);
    }
    wd_batch_release(b);
    return out;
}

/* The error message of decoding line, or "" on success. */
static const char *errmsg(const wd_type *s, const char *line)
{
    static wd_error e;
    wd_batch *b = NULL;
    int rc = dec(s, NULL, line, &b, &e);
    wd_batch_release(b);
    if (rc == 0) return "";
    assert_int_equal(rc, WD_EDATA);
    return e.msg;
}

static void test_scalars(void **state)
{
    (void)state;
    const wd_type *s = SCHEMA(F("b", WD_TYPE_BOOL), F("i16", WD_TYPE_INT16),
                              F("i32", WD_TYPE_INT32), F("i64", WD_TYPE_INT64),
                              F("u16", WD_TYPE_UINT16), F("u64", WD_TYPE_UINT64),
                              F("f32", WD_TYPE_FLOAT32), F("f64", WD_TYPE_FLOAT64),
                              F("d", wd_type_decimal(&A, 10, 2)), F("t", WD_TYPE_TEXT),
                              F("by", WD_TYPE_BYTES), F("ts", WD_TYPE_TIMESTAMP),
                              F("dt", WD_TYPE_DATE), F("iv", WD_TYPE_INTERVAL),
                              F("j", WD_TYPE_JSON));
    const char *line =
        "{\"b\":true,\"i16\":-32768,\"i32\":2147483647,\"i64\":-9223372036854775808,"
        "\"u16\":65535,\"u64\":18446744073709551615,\"f32\":1.5,\"f64\":-0.1,"
        "\"d\":\"12.34\",\"t\":\"hello\",\"by\":\"aGVsbG8=\","
        "\"ts\":\"2023-10-09T17:13:40.2Z\",\"dt\":\"2023-10-09\",\"iv\":\"5 seconds\","
        "\"j\":{\"x\": [1, {\"y\":null}]}}";
    wd_batch *b = NULL;
    wd_error e;
    assert_int_equal(dec(s, NULL, line, &b, &e), 0);
    assert_int_equal(b->nrows, 1);
    assert_int_equal(WD_COL_GET(&b->cols[0], uint8_t, 0), 1);
    assert_int_equal(WD_COL_GET(&b->cols[1], int16_t, 0), -32768);
    assert_int_equal(WD_COL_GET(&b->cols[2], int32_t, 0), 2147483647);
    assert_true(WD_COL_GET(&b->cols[3], int64_t, 0) == INT64_MIN);
    assert_int_equal(WD_COL_GET(&b->cols[4], uint16_t, 0), 65535);
    assert_true(WD_COL_GET(&b->cols[5], uint64_t, 0) == UINT64_MAX);
    assert_true(WD_COL_GET(&b->cols[6], float, 0) == 1.5f);
    assert_true(WD_COL_GET(&b->cols[7], double, 0) == -0.1);
    assert_true(WD_COL_GET(&b->cols[8], wd_i128, 0) == 1234);
    wd_str t = WD_COL_GET(&b->cols[9], wd_str, 0);
    assert_int_equal(t.len, 5);
    assert_memory_equal(t.ptr, "hello", 5);
    wd_str by = WD_COL_GET(&b->cols[10], wd_str, 0);
    assert_int_equal(by.len, 5);
    assert_memory_equal(by.ptr, "hello", 5);
    int64_t ts;
    assert_int_equal(wd_ts_parse("2023-10-09T17:13:40.2Z", 22, &ts), 0);
    assert_true(WD_COL_GET(&b->cols[11], int64_t, 0) == ts);
    assert_int_equal(WD_COL_GET(&b->cols[12], int32_t, 0), 19639);
    wd_interval iv = WD_COL_GET(&b->cols[13], wd_interval, 0);
    assert_true(iv.months == 0 && iv.days == 0 && iv.nanos == 5 * WD_NS_PER_SEC);
    wd_str j = WD_COL_GET(&b->cols[14], wd_str, 0);
    assert_int_equal(j.len, strlen("{\"x\": [1, {\"y\":null}]}"));
    assert_memory_equal(j.ptr, "{\"x\": [1, {\"y\":null}]}", j.len);
    wd_batch_release(b);

    /* and the canonical encoding of the same row */
    assert_string_equal(
        roundtrip(s, line),
        "{\"b\":true,\"i16\":-32768,\"i32\":2147483647,\"i64\":-9223372036854775808,"
        "\"u16\":65535,\"u64\":18446744073709551615,\"f32\":1.5,\"f64\":-0.1,"
        "\"d\":12.34,\"t\":\"hello\",\"by\":\"aGVsbG8=\","
        "\"ts\":\"2023-10-09T17:13:40.200\",\"dt\":\"2023-10-09\",\"iv\":\"00:00:05\","
        "\"j\":{\"x\": [1, {\"y\":null}]}}");
}

static void test_nested(void **state)
{
    (void)state;
    wd_field inner[] = {F("a", WD_TYPE_INT32), F("b", WD_TYPE_TEXT),
                        F("l", wd_type_list(&A, WD_TYPE_INT64))};
    const wd_type *st = wd_type_struct(&A, 3, inner);
    wd_field pf[] = {F("x", WD_TYPE_INT32)};
    const wd_type *pt = wd_type_struct(&A, 1, pf);
    const wd_type *s = SCHEMA(F("id", WD_TYPE_INT64), F("s", st),
                              F("ls", wd_type_list(&A, pt)),
                              F("ll", wd_type_list(&A, wd_type_list(&A, WD_TYPE_TEXT))));
    assert_string_equal(
        roundtrip(s, "{\"id\":1,\"s\":{\"b\":\"q\",\"l\":[1,2,3],\"zz\":[{}]},"
                     "\"ls\":[{\"x\":1},{},null,{\"X\":4}],\"ll\":[[\"a\"],[],null,[\"b\",null]]}"),
        "{\"id\":1,\"s\":{\"a\":null,\"b\":\"q\",\"l\":[1,2,3]},"
        "\"ls\":[{\"x\":1},{\"x\":null},null,{\"x\":4}],\"ll\":[[\"a\"],[],null,[\"b\",null]]}");
    assert_string_equal(roundtrip(s, "{\"s\":null,\"ls\":[],\"ll\":null}"),
                        "{\"id\":null,\"s\":null,\"ls\":[],\"ll\":null}");
    assert_string_equal(errmsg(s, "{\"s\":{\"l\":[1,\"x\"]}}"),
                        "field 's.l[1]': expected an integer, found \"x\"");
    assert_string_equal(errmsg(s, "{\"s\":[1]}"), "field 's': expected an object, found an array");

    /* several rows: list offsets stay right across rows and failed lines */
    wd_batch *b = NULL;
    wd_error e;
    assert_int_equal(dec(s, NULL, "{\"s\":{\"l\":[1,2]}}", &b, &e), 0);
    assert_int_not_equal(dec(s, NULL, "{\"s\":{\"l\":[7,8,9,10]},\"id\":\"bad\"}", &b, &e), 0);
    assert_int_equal(b->nrows, 1);
    assert_int_equal(dec(s, NULL, "{\"s\":{\"l\":[3]}}", &b, &e), 0);
    for (int i = 0; i < 20; i++) assert_int_equal(dec(s, NULL, "{\"s\":{\"l\":[4,5,6]}}", &b, &e), 0);
    assert_int_equal(b->nrows, 22);
    wd_batch_seal(b);
    wd_buf buf = WD_BUF_INIT;
    wd_json_encode_value(&b->cols[1], 1, &buf);
    assert_string_equal(buf.data, "{\"a\":null,\"b\":null,\"l\":[3]}");
    wd_buf_reset(&buf);
    wd_json_encode_value(&b->cols[1], 21, &buf);
    assert_string_equal(buf.data, "{\"a\":null,\"b\":null,\"l\":[4,5,6]}");
    wd_buf_free(&buf);
    wd_batch_release(b);
}

static void test_escapes_unicode(void **state)
{
    (void)state;
    const wd_type *s = SCHEMA(F("t", WD_TYPE_TEXT));
    wd_batch *b = NULL;
    wd_error e;
    assert_int_equal(
        dec(s, NULL, "{\"t\":\"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\u20ac\\ud83d\\ude00\\u0001é\"}", &b, &e),
        0);
    wd_str t = WD_COL_GET(&b->cols[0], wd_str, 0);
    const char *want = "a\"b\\c/d\n\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\x01\xc3\xa9";
    assert_int_equal(t.len, strlen(want));
    assert_memory_equal(t.ptr, want, t.len);
    wd_batch_seal(b);
    wd_buf buf = WD_BUF_INIT;
    wd_json_encode_row(b, 0, &buf);
    assert_string_equal(buf.data,
                        "{\"t\":\"a\\\"b\\\\c/d\\n\\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\\u0001\xc3\xa9\"}");
    wd_buf_free(&buf);
    wd_batch_release(b);

    /* escaped keys and case-insensitive keys */
    assert_string_equal(roundtrip(s, "{\"\\u0074\":\"x\"}"), "{\"t\":\"x\"}");
    assert_string_equal(roundtrip(s, "{\"T\":\"y\"}"), "{\"t\":\"y\"}");
    /* numbers and booleans into TEXT keep their JSON text */
    assert_string_equal(roundtrip(s, "{\"t\":12.50}"), "{\"t\":\"12.50\"}");
    assert_string_equal(roundtrip(s, "{\"t\":false}"), "{\"t\":\"false\"}");
    /* long strings with and without escapes (the word-at-a-time paths) */
    char line[600], expect[700];
    memset(line, 0, sizeof line);
    strcpy(line, "{\"t\":\"");
    for (int i = 0; i < 500; i++) line[6 + i] = (char)('a' + i % 26);
    strcat(line, "\\n\"}");
    snprintf(expect, sizeof expect, "%s", line);
    assert_string_equal(roundtrip(s, line), expect);

    /* bad strings */
    assert_true(strstr(errmsg(s, "{\"t\":\"\\ud83d\"}"), "unpaired surrogate"));
    assert_true(strstr(errmsg(s, "{\"t\":\"\\ude00x\"}"), "unpaired surrogate"));
    assert_true(strstr(errmsg(s, "{\"t\":\"\\x\"}"), "bad escape"));
    assert_true(strstr(errmsg(s, "{\"t\":\"\\u12G4\"}"), "bad \\u escape"));
    assert_true(strstr(errmsg(s, "{\"t\":\"a\tb\"}"), "control character"));
    assert_true(strstr(errmsg(s, "{\"t\":\"\xff\"}"), "invalid UTF-8"));
    assert_true(strstr(errmsg(s, "{\"t\":\"\xc0\xaf\"}"), "invalid UTF-8"));
    assert_true(strstr(errmsg(s, "{\"t\":\"\xed\xa0\x80\"}"), "invalid UTF-8"));
    assert_string_equal(errmsg(s, "{\"t\":[1]}"), "field 't': expected a string, found an array");
}

static void test_integers(void **state)
{
    (void)state;
    const wd_type *s = SCHEMA(F("x", WD_TYPE_INT16), F("price", WD_TYPE_INT64),
                              F("u", WD_TYPE_UINT32));
    assert_string_equal(roundtrip(s, "{\"x\":7.0,\"price\":\"42\",\"u\":1e2}"),
                        "{\"x\":7,\"price\":42,\"u\":100}");
    assert_string_equal(roundtrip(s, "{\"price\":9223372036854775807}"),
                        "{\"x\":null,\"price\":9223372036854775807,\"u\":null}");
    assert_string_equal(errmsg(s, "{\"price\":\"abc\"}"),
                        "field 'price': expected an integer, found \"abc\"");
    assert_string_equal(errmsg(s, "{\"price\":1.5}"), "field 'price': expected an integer, found 1.5");
    assert_string_equal(errmsg(s, "{\"price\":9223372036854775808}"),
                        "field 'price': 9223372036854775808 is out of range for BIGINT");
    assert_string_equal(errmsg(s, "{\"price\":123456789012345678901234567890123456789012}"),
                        "field 'price': 123456789012345678901234567890123456789012 is out of range "
                        "for BIGINT");
    assert_string_equal(errmsg(s, "{\"x\":40000}"), "field 'x': 40000 is out of range for SMALLINT");
    assert_string_equal(errmsg(s, "{\"u\":-1}"), "field 'u': -1 is out of range for INT UNSIGNED");
    assert_string_equal(errmsg(s, "{\"x\":true}"), "field 'x': expected an integer, found true");
    assert_string_equal(errmsg(s, "{\"x\":{\"a\":1}}"),
                        "field 'x': expected an integer, found an object");
    assert_true(strstr(errmsg(s, "{\"x\":01}"), "invalid JSON"));
    assert_true(strstr(errmsg(s, "{\"x\":1e999999999999}"), "out of range"));
}

static void test_floats(void **state)
{
    (void)state;
    const wd_type *s = SCHEMA(F("f", WD_TYPE_FLOAT64));
    const char *cases[][2] = {
        {"3", "3.0"},          {"3.0", "3.0"},       {"-0.0", "-0.0"},
        {"0.1", "0.1"},        {"1e21", "1e21"},     {"1.5e-7", "1.5e-7"},
        {"123.456", "123.456"}, {"\"2.5\"", "2.5"},  {"\"NaN\"", "null"},
        {"\"-Infinity\"", "null"}, {"1e16", "1e16"}, {"0.30000000000000004", "0.30000000000000004"},
        {"2.2250738585072014e-308", "2.2250738585072014e-308"},
        {"12345678901234567890", "1.2345678901234567e19"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char line[128], want[128];
        snprintf(line, sizeof line, "{\"f\":%s}", cases[i][0]);
        snprintf(want, sizeof want, "{\"f\":%s}", cases[i][1]);
        assert_string_equal(roundtrip(s, line), want);
    }
    assert_string_equal(errmsg(s, "{\"f\":\"x1\"}"), "field 'f': expected a number, found \"x1\"");
    assert_true(strstr(errmsg(s, "{\"f\":1e400}"), "out of range"));
    const wd_type *s32 = SCHEMA(F("f", WD_TYPE_FLOAT32));
    assert_string_equal(roundtrip(s32, "{\"f\":0.1}"), "{\"f\":0.1}");
    assert_string_equal(roundtrip(s32, "{\"f\":16777216}"), "{\"f\":16777216.0}");
    assert_true(strstr(errmsg(s32, "{\"f\":1e39}"), "out of range for REAL") ||
                strstr(errmsg(s32, "{\"f\":1e39}"), "out of range"));
}

/* Random doubles and timestamps: the text reads back exactly; timestamps
 * match wd_ts_format. */
static void test_float_and_ts_text(void **state)
{
    (void)state;
    const wd_type *s = SCHEMA(F("f", WD_TYPE_FLOAT64), F("ts", WD_TYPE_TIMESTAMP));
    wd_batch *b = wd_batch_new(s, 1);
    b->nrows = 1;
    wd_batch_seal(b);
    wd_buf buf = WD_BUF_INIT;
    uint64_t rng = 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < 200000; i++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        double v;
        switch (i % 4) {
        case 0: memcpy(&v, &rng, 8); break;                          /* any bits */
        case 1: v = (double)(int64_t)(rng % 2000000) / 100.0; break; /* prices */
        case 2: v = (double)(rng % 100000) / 1000.0 - 50; break;
        default: v = ldexp((double)(rng >> 11), -(int)(rng % 80)); break;
        }
        WD_COL_VALS(&b->cols[0], double)[0] = v;
        wd_buf_reset(&buf);
        wd_json_encode_value(&b->cols[0], 0, &buf);
        if (!isfinite(v)) {
            assert_string_equal(buf.data, "null");
        } else {
            char *end;
            double back = strtod(buf.data, &end);
            if (back != v || *end) fail_msg("%.17g printed as %s", v, buf.data);
            assert_true(strchr(buf.data, '.') || strchr(buf.data, 'e'));
        }
        int64_t ts = (int64_t)(rng % 8000000000000000000ULL) - 4000000000000000000LL;
        if (i % 3 == 0) ts -= ts % WD_NS_PER_MS;
        WD_COL_VALS(&b->cols[1], int64_t)[0] = ts;
        wd_buf_reset(&buf);
        wd_json_encode_value(&b->cols[1], 0, &buf);
        char want[48];
        want[0] = '"';
        size_t n = wd_ts_format(ts, want + 1);
        want[n + 1] = '"';
        want[n + 2] = 0;
        assert_string_equal(buf.data, want);
    }
    wd_buf_free(&buf);
    wd_batch_release(b);
}

static void test_decimals(void **state)
{
    (void)state;
    const wd_type *s = SCHEMA(F("d", wd_type_decimal(&A, 10, 2)),
                              F("z", wd_type_decimal(&A, 38, 0)));
    const char *cases[][2] = {
        {"12.345", "12.35"}, {"-12.345", "-12.35"}, {"12.344999", "12.34"},
        {"\"-0.005\"", "-0.01"}, {"0.001", "0.00"}, {"1e3", "1000.00"},
        {"1.5E-1", "0.15"}, {"7", "7.00"}, {"0.1", "0.10"}, {"99999999.99", "99999999.99"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char line[128], want[128];
        snprintf(line, sizeof line, "{\"d\":%s}", cases[i][0]);
        snprintf(want, sizeof want, "{\"d\":%s,\"z\":null}", cases[i][1]);
        assert_string_equal(roundtrip(s, line), want);
    }
    assert_string_equal(errmsg(s, "{\"d\":100000000}"),
                        "field 'd': 100000000 is out of range for DECIMAL(10,2)");
    assert_string_equal(roundtrip(s, "{\"z\":\"99999999999999999999999999999999999999\"}"),
                        "{\"d\":null,\"z\":99999999999999999999999999999999999999}");
    assert_true(strstr(errmsg(s, "{\"z\":\"100000000000000000000000000000000000000\"}"),
                       "out of range"));
    assert_true(strstr(errmsg(s, "{\"z\":1e99999999999}"), "out of range"));
    assert_string_equal(roundtrip(s, "{\"z\":1e-99999999999}"), "{\"d\":null,\"z\":0}");
    assert_string_equal(errmsg(s, "{\"d\":\"12,5\"}"),
                        "field 'd': expected a decimal number, found \"12,5\"");
}

static void test_timestamps(void **state)
{
    (void)state;
    const wd_type *s = SCHEMA(F("ts", WD_TYPE_TIMESTAMP));
    assert_string_equal(roundtrip(s, "{\"ts\":\"2023-10-09T17:13:40Z\"}"),
                        "{\"ts\":\"2023-10-09T17:13:40\"}");
    assert_string_equal(roundtrip(s, "{\"ts\":\"2023-10-09T17:13:40.200Z\"}"),
                        "{\"ts\":\"2023-10-09T17:13:40.200\"}");
    assert_string_equal(roundtrip(s, "{\"ts\":\"2023-10-09 19:13:40.123456+02:00\"}"),
                        "{\"ts\":\"2023-10-09T17:13:40.123456\"}");
    /* epoch numbers: milliseconds by default */
    assert_string_equal(roundtrip(s, "{\"ts\":1696871620200}"),
                        "{\"ts\":\"2023-10-09T17:13:40.200\"}");
    assert_string_equal(roundtrip(s, "{\"ts\":1696871620200.5}"),
                        "{\"ts\":\"2023-10-09T17:13:40.200500\"}");
    assert_string_equal(errmsg(s, "{\"ts\":\"yesterday\"}"),
                        "field 'ts': expected an RFC 3339 timestamp, found \"yesterday\"");
    assert_true(strstr(errmsg(s, "{\"ts\":99999999999999999999}"), "out of range"));

    /* unix_seconds: numbers are seconds, also when written */
    wd_json_opts o = {false, WD_JSON_TS_UNIX_SECONDS};
    wd_batch *b = NULL;
    wd_error e;
    assert_int_equal(dec(s, &o, "{\"ts\":1696871620.5}", &b, &e), 0);
    assert_int_equal(dec(s, &o, "{\"ts\":\"2023-10-09T17:13:40Z\"}", &b, &e), 0);
    wd_batch_seal(b);
    assert_true(WD_COL_GET(&b->cols[0], int64_t, 0) == 1696871620500000000LL);
    wd_buf buf = WD_BUF_INIT;
    wd_json_encode_row_opts(b, 0, &o, &buf);
    assert_string_equal(buf.data, "{\"ts\":1696871620}");
    wd_buf_reset(&buf);
    wd_json_opts om = {false, WD_JSON_TS_UNIX_MILLIS};
    wd_json_encode_row_opts(b, 1, &om, &buf);
    assert_string_equal(buf.data, "{\"ts\":1696871620000}");
    wd_buf_free(&buf);
    wd_batch_release(b);

    const wd_type *sd = SCHEMA(F("d", WD_TYPE_DATE), F("i", WD_TYPE_INTERVAL));
    assert_string_equal(roundtrip(sd, "{\"d\":19639,\"i\":\"1 day 2 hours\"}"),
                        "{\"d\":\"2023-10-09\",\"i\":\"1 day 02:00:00\"}");
    assert_string_equal(errmsg(sd, "{\"d\":\"2023-13-01\"}"),
                        "field 'd': expected a date (YYYY-MM-DD), found \"2023-13-01\"");
    assert_string_equal(errmsg(sd, "{\"i\":5}"), "field 'i': expected an interval string, found 5");
}

static void test_bytes_bool_json(void **state)
{
    (void)state;
    const wd_type *s = SCHEMA(F("by", WD_TYPE_BYTES), F("b", WD_TYPE_BOOL), F("j", WD_TYPE_JSON));
    assert_string_equal(roundtrip(s, "{\"by\":[104,105],\"b\":\"TRUE\",\"j\":\"s\"}"),
                        "{\"by\":\"aGk=\",\"b\":true,\"j\":\"s\"}");
    assert_string_equal(roundtrip(s, "{\"by\":\"_-8\",\"b\":false,\"j\":null}"),
                        "{\"by\":\"/+8=\",\"b\":false,\"j\":null}");
    assert_string_equal(roundtrip(s, "{\"by\":\"\",\"j\":[1,2]}"),
                        "{\"by\":\"\",\"b\":null,\"j\":[1,2]}");
    assert_string_equal(errmsg(s, "{\"by\":\"a\"}"), "field 'by': expected base64 text, found \"a\"");
    assert_true(strstr(errmsg(s, "{\"by\":[256]}"), "expected base64 text or an array of bytes"));
    assert_string_equal(errmsg(s, "{\"b\":1}"), "field 'b': expected a boolean, found 1");
    assert_true(strstr(errmsg(s, "{\"j\":[1,}"), "invalid JSON"));
}

static void test_missing_null_unknown(void **state)
{
    (void)state;
    wd_field inner[] = {FNN("p", WD_TYPE_INT32)};
    const wd_type *s = SCHEMA(FNN("id", WD_TYPE_INT64), F("name", WD_TYPE_TEXT),
                              F("bid", wd_type_struct(&A, 1, inner)));
    assert_string_equal(roundtrip(s, "{\"id\":1}"), "{\"id\":1,\"name\":null,\"bid\":null}");
    assert_string_equal(
        roundtrip(s, "{\"zz\":{\"a\":[1,{\"b\":\"}\"}]},\"ID\":2,\"name\":null,\"q\":true}"),
        "{\"id\":2,\"name\":null,\"bid\":null}");
    assert_string_equal(errmsg(s, "{\"name\":\"x\"}"), "missing field 'id'");
    assert_string_equal(errmsg(s, "{\"id\":null}"), "field 'id': null for a NOT NULL field");
    assert_string_equal(errmsg(s, "{\"id\":1,\"bid\":{}}"), "missing field 'bid.p'");
    assert_string_equal(errmsg(s, "{\"id\":1,\"bid\":{\"p\":null}}"),
                        "field 'bid.p': null for a NOT NULL field");
    /* exact case wins over a case-insensitive twin */
    const wd_type *s2 = SCHEMA(F("a", WD_TYPE_INT32), F("A", WD_TYPE_INT32));
    assert_string_equal(roundtrip(s2, "{\"A\":1,\"a\":2}"), "{\"a\":2,\"A\":1}");
    /* the hidden _timestamp is never read; duplicated keys: the last wins */
    const wd_type *s3 = SCHEMA(F("x", WD_TYPE_INT32));
    assert_string_equal(roundtrip(s3, "{\"_timestamp\":5,\"x\":1,\"x\":3}"), "{\"x\":3}");
}

static void test_malformed(void **state)
{
    (void)state;
    const wd_type *s = SCHEMA(F("x", WD_TYPE_INT32), F("t", WD_TYPE_TEXT));
    const char *bad[] = {
        "", "   ", "{", "}", "[1]", "\"x\"", "null", "{\"x\":1,}", "{\"x\" 1}", "{x:1}",
        "{\"x\":1} x", "{\"x\":1}{}", "{\"x\":tru}", "{\"x\":nul}", "{\"t\":\"abc}",
        "{\"x\":-}", "{\"x\":1.}", "{\"x\":1e}", "{\"x\":+1}", "{\"x\":1,\"t\":\"a\"",
        "{\"q\":[1,2}", "{\"q\":{\"a\"}}", "{\"q\":'a'}", "{,}", "{\"x\":1 \"t\":\"a\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *m = errmsg(s, bad[i]);
        if (!m[0]) fail_msg("accepted malformed line %s", bad[i]);
    }
    assert_string_equal(errmsg(s, "{\"x\":1} x"),
                        "invalid JSON at column 9: unexpected characters after the JSON value");
    assert_string_equal(errmsg(s, "[1]"), "expected a JSON object, found [1]");
    /* deep nesting in an ignored key: an error, not a stack overflow */
    char deep[3000];
    size_t k = 0;
    k += (size_t)snprintf(deep, sizeof deep, "{\"q\":");
    for (int i = 0; i < 1000; i++) deep[k++] = '[';
    deep[k] = 0;
    assert_true(strstr(errmsg(s, deep), "nested too deeply"));
}

/* Every strict prefix of a valid line fails; none crashes; the batch keeps
 * only whole rows.  Then byte mutations: never a crash. */
static void test_truncated_and_mutated(void **state)
{
    (void)state;
    wd_field inner[] = {F("a", WD_TYPE_INT32), F("l", wd_type_list(&A, WD_TYPE_TEXT))};
    const wd_type *s = SCHEMA(F("i", WD_TYPE_INT64), F("f", WD_TYPE_FLOAT64),
                              F("d", wd_type_decimal(&A, 12, 3)), F("t", WD_TYPE_TEXT),
                              F("ts", WD_TYPE_TIMESTAMP), F("j", WD_TYPE_JSON),
                              F("s", wd_type_struct(&A, 2, inner)), F("by", WD_TYPE_BYTES),
                              F("b", WD_TYPE_BOOL));
    const char *line =
        "{\"i\":-123,\"f\":1.25e3,\"d\":\"4.5\",\"t\":\"h\\u00e9\\n\\ud83d\\ude00 x\","
        "\"ts\":\"2023-10-09T17:13:40.2Z\",\"j\":{\"k\":[true,false,null]},"
        "\"s\":{\"a\":1,\"l\":[\"p\",null,\"q\"]},\"by\":\"AAEC\",\"b\":false,\"zz\":[{}]}";
    size_t n = strlen(line);
    wd_json_decoder *d = wd_json_decoder_new(s, NULL);
    wd_batch *b = wd_batch_new(s, 2);
    wd_error e;
    uint32_t good = 0;
    for (size_t cut = 0; cut <= n; cut++) {
        char *copy = malloc(cut ? cut : 1); /* exact size: ASan sees overreads */
        memcpy(copy, line, cut);
        wd_err_clear(&e);
        int rc = wd_json_decode(d, copy, cut, b, &e);
        if (cut < n) {
            assert_int_equal(rc, WD_EDATA);
            assert_true(e.msg[0] != 0);
        } else {
            assert_int_equal(rc, 0);
            wd_batch_ts(b)[b->nrows - 1] = 0;
            good++;
        }
        assert_int_equal(b->nrows, good);
        free(copy);
    }
    /* mutations */
    uint64_t rng = 88172645463325252ULL;
    for (int iter = 0; iter < 20000; iter++) {
        char buf[512];
        memcpy(buf, line, n);
        int flips = 1 + iter % 3;
        for (int k = 0; k < flips; k++) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            size_t at = rng % n;
            static const char pool[] = "{}[]\",:\\0123456789.eE-+ truefalsn\x80\xff";
            buf[at] = pool[(rng >> 32) % (sizeof pool - 1)];
        }
        char *copy = malloc(n);
        memcpy(copy, buf, n);
        wd_err_clear(&e);
        uint32_t before = b->nrows;
        int rc = wd_json_decode(d, copy, n, b, &e);
        if (rc == 0) {
            assert_int_equal(b->nrows, before + 1);
            wd_batch_ts(b)[b->nrows - 1] = 0;
        } else {
            assert_int_equal(b->nrows, before);
            assert_true(e.msg[0] != 0);
        }
        free(copy);
    }
    /* every row decoded is encodable */
    wd_batch_seal(b);
    wd_buf out = WD_BUF_INIT;
    for (uint32_t r = 0; r < b->nrows; r++) {
        wd_buf_reset(&out);
        wd_json_encode_row(b, r, &out);
        assert_true(out.len > 2);
    }
    wd_buf_free(&out);
    wd_batch_release(b);
    wd_json_decoder_free(d);
}

static void test_unstructured(void **state)
{
    (void)state;
    const wd_type *s = SCHEMA(F("value", WD_TYPE_JSON));
    wd_json_opts o = {true, WD_JSON_TS_RFC3339};
    assert_int_equal(wd_json_check_schema(s, &o, NULL), 0);
    wd_batch *b = NULL;
    wd_error e;
    assert_int_equal(dec(s, &o, "  {\"a\": [1, 2]}  ", &b, &e), 0);
    assert_int_equal(dec(s, &o, "[1,\"x\"]", &b, &e), 0);
    assert_int_equal(dec(s, &o, "{\"a\":", &b, &e), WD_EDATA);
    assert_int_equal(dec(s, &o, "{} {}", &b, &e), WD_EDATA);
    assert_int_equal(b->nrows, 2);
    wd_batch_seal(b);
    wd_buf buf = WD_BUF_INIT;
    wd_json_encode_row(b, 0, &buf);
    assert_string_equal(buf.data, "{\"value\":{\"a\": [1, 2]}}");
    wd_buf_reset(&buf);
    wd_json_encode_row(b, 1, &buf);
    assert_string_equal(buf.data, "{\"value\":[1,\"x\"]}");
    wd_buf_free(&buf);
    wd_batch_release(b);

    const wd_type *s2 = SCHEMA(F("value", WD_TYPE_JSON), F("x", WD_TYPE_INT32));
    wd_err_clear(&e);
    assert_int_equal(wd_json_check_schema(s2, &o, &e), WD_ETYPE);
    assert_true(strstr(e.msg, "json.unstructured"));
    assert_null(wd_json_decoder_new(s2, &o));

    assert_true(wd_json_valid(" [1, {\"a\": null}] ", 18));
    assert_false(wd_json_valid("[1", 2));
    assert_false(wd_json_valid("1 2", 3));
}

static void test_growth(void **state)
{
    (void)state;
    const wd_type *s = SCHEMA(F("x", WD_TYPE_INT32), F("l", wd_type_list(&A, WD_TYPE_INT32)));
    wd_json_decoder *d = wd_json_decoder_new(s, NULL);
    wd_batch *b = wd_batch_new(s, 1);
    wd_error e;
    for (int i = 0; i < 300; i++) {
        char line[64];
        snprintf(line, sizeof line, "{\"x\":%d,\"l\":[%d,%d]}", i, i, -i);
        assert_int_equal(wd_json_decode(d, line, strlen(line), b, &e), 0);
        wd_batch_ts(b)[b->nrows - 1] = i;
    }
    wd_batch_seal(b);
    assert_int_equal(b->nrows, 300);
    assert_int_equal(WD_COL_GET(&b->cols[0], int32_t, 299), 299);
    wd_buf buf = WD_BUF_INIT;
    wd_json_encode_row(b, 299, &buf);
    assert_string_equal(buf.data, "{\"x\":299,\"l\":[299,-299]}");
    wd_buf_free(&buf);
    wd_batch_release(b);
    wd_json_decoder_free(d);
}

static void test_debezium(void **state)
{
    (void)state;
    const wd_type *s = SCHEMA(F("k", WD_TYPE_TEXT), F("n", WD_TYPE_INT64));
    wd_batch *b = NULL;
    wd_error e;
    assert_int_equal(dec(s, NULL, "{\"k\":\"a\",\"n\":1}", &b, &e), 0);
    assert_int_equal(dec(s, NULL, "{\"k\":\"a\",\"n\":2}", &b, &e), 0);
    wd_batch_seal(b);
    b->retract = wd_batch_alloc(b, 2);
    b->retract[0] = 1;
    b->retract[1] = 0;
    wd_buf buf = WD_BUF_INIT;
    wd_json_encode_debezium(b, 0, &buf);
    assert_string_equal(buf.data, "{\"before\":{\"k\":\"a\",\"n\":1},\"after\":null,\"op\":\"d\"}");
    wd_buf_reset(&buf);
    wd_json_encode_debezium(b, 1, &buf);
    assert_string_equal(buf.data, "{\"before\":null,\"after\":{\"k\":\"a\",\"n\":2},\"op\":\"c\"}");
    wd_buf_free(&buf);
    wd_batch_release(b);
}

/* ---- Debezium change records ------------------------------------------ */

static const wd_type *dbz_schema(void)
{
    return SCHEMA(FNN("id", WD_TYPE_INT64), F("name", WD_TYPE_TEXT),
                  F("tags", wd_type_list(&A, WD_TYPE_INT32)));
}

/* Decode a Debezium record with d into b; on success stamp the new rows. */
static int dbz(wd_json_decoder *d, wd_batch *b, const char *line, wd_error *e)
{
    wd_err_clear(e);
    uint32_t before = b->nrows;
    int rc = wd_json_decode_debezium(d, line, strlen(line), b, e);
    if (rc == 0) {
        assert_true(b->nrows > before && b->nrows <= before + 2);
        for (uint32_t r = before; r < b->nrows; r++) wd_batch_ts(b)[r] = r;
    } else {
        assert_int_equal(rc, WD_EDATA);
        assert_int_equal(b->nrows, before);
    }
    return rc;
}

/* Row r as a Debezium event (after sealing), in a static buffer. */
static const char *dbz_row(const wd_batch *b, uint32_t r)
{
    static char out[512];
    wd_buf buf = WD_BUF_INIT;
    wd_json_encode_debezium(b, r, &buf);
    snprintf(out, sizeof out, "%s", buf.len ? buf.data : "");
    wd_buf_free(&buf);
    return out;
}

#define INS(row) "{\"before\":null,\"after\":" row ",\"op\":\"c\"}"
#define DEL(row) "{\"before\":" row ",\"after\":null,\"op\":\"d\"}"

static void test_debezium_decode(void **state)
{
    (void)state;
    const wd_type *s = dbz_schema();
    wd_json_decoder *d = wd_json_decoder_new(s, NULL);
    wd_batch *b = wd_batch_new(s, 2); /* small: the columns and flags grow */
    wd_error e;
    /* c with extra keys (source, ts_ms, transaction) */
    assert_int_equal(
        dbz(d, b,
            "{\"before\":null,\"after\":{\"id\":1,\"name\":\"a\",\"tags\":[1,2]},"
            "\"source\":{\"version\":\"2.4\",\"db\":\"x\",\"arr\":[1,{\"y\":null}]},"
            "\"op\":\"c\",\"ts_ms\":1696871620000,\"transaction\":null}",
            &e),
        0);
    /* r (snapshot): an insert; with only inserts there are no flags */
    assert_int_equal(dbz(d, b, " {\"after\":{\"id\":2},\"op\":\"r\"} ", &e), 0);
    assert_null(b->retract);
    /* u: retraction of before, then insert of after; earlier rows are 0 */
    assert_int_equal(dbz(d, b,
                         "{\"before\":{\"id\":1,\"name\":\"a\",\"tags\":[1,2]},"
                         "\"after\":{\"id\":1,\"name\":\"b\",\"tags\":[3]},\"op\":\"u\"}",
                         &e),
                     0);
    assert_non_null(b->retract);
    /* d */
    assert_int_equal(
        dbz(d, b, "{\"before\":{\"id\":2},\"after\":null,\"op\":\"d\",\"ts_ms\":5}", &e), 0);
    /* the Kafka Connect envelope with a schema */
    assert_int_equal(
        dbz(d, b,
            "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"field\":\"before\"}],"
            "\"op\":\"x\"},\"payload\":{\"before\":{\"id\":1,\"name\":\"b\",\"tags\":[3]},"
            "\"after\":{\"id\":1,\"name\":\"c\",\"tags\":[]},\"source\":{},\"op\":\"u\"}}",
            &e),
        0);
    /* u without before (REPLICA IDENTITY DEFAULT): only the insert */
    assert_int_equal(dbz(d, b, "{\"before\":null,\"after\":{\"id\":3},\"op\":\"u\"}", &e), 0);
    assert_int_equal(dbz(d, b, "{\"op\":\"u\",\"after\":{\"id\":4,\"tags\":[4]}}", &e), 0);
    /* after before before, op first: the rows still come retraction first */
    assert_int_equal(dbz(d, b,
                         "{\"op\":\"u\",\"after\":{\"id\":7,\"tags\":[7]},"
                         "\"before\":{\"id\":6,\"tags\":[6,6]}}",
                         &e),
                     0);
    /* c with a before (ignored), a repeated key (the last counts), an
     * escaped key */
    assert_int_equal(dbz(d, b,
                         "{\"before\":{\"id\":0,\"tags\":[0]},\"after\":{\"id\":9,\"tags\":[9]},"
                         "\"op\":\"c\"}",
                         &e),
                     0);
    assert_int_equal(
        dbz(d, b, "{\"after\":{\"id\":10},\"after\":{\"id\":11,\"tags\":[11]},\"\\u006fp\":\"c\"}",
            &e),
        0);
    /* d with an after (ignored) */
    assert_int_equal(
        dbz(d, b, "{\"after\":{\"id\":12,\"tags\":[1,2,3]},\"before\":{\"id\":13},\"op\":\"d\"}",
            &e),
        0);
    /* a plain line into a batch with flags: an insert */
    const char *plain = "{\"id\":14,\"tags\":[14]}";
    assert_int_equal(wd_json_decode(d, plain, strlen(plain), b, &e), 0);
    wd_batch_ts(b)[b->nrows - 1] = 0;

    wd_batch_seal(b);
    const char *want[] = {
        INS("{\"id\":1,\"name\":\"a\",\"tags\":[1,2]}"),
        INS("{\"id\":2,\"name\":null,\"tags\":null}"),
        DEL("{\"id\":1,\"name\":\"a\",\"tags\":[1,2]}"),
        INS("{\"id\":1,\"name\":\"b\",\"tags\":[3]}"),
        DEL("{\"id\":2,\"name\":null,\"tags\":null}"),
        DEL("{\"id\":1,\"name\":\"b\",\"tags\":[3]}"),
        INS("{\"id\":1,\"name\":\"c\",\"tags\":[]}"),
        INS("{\"id\":3,\"name\":null,\"tags\":null}"),
        INS("{\"id\":4,\"name\":null,\"tags\":[4]}"),
        DEL("{\"id\":6,\"name\":null,\"tags\":[6,6]}"),
        INS("{\"id\":7,\"name\":null,\"tags\":[7]}"),
        INS("{\"id\":9,\"name\":null,\"tags\":[9]}"),
        INS("{\"id\":11,\"name\":null,\"tags\":[11]}"),
        DEL("{\"id\":13,\"name\":null,\"tags\":null}"),
        INS("{\"id\":14,\"name\":null,\"tags\":[14]}"),
    };
    uint32_t n = sizeof want / sizeof want[0];
    assert_int_equal(b->nrows, n);
    for (uint32_t r = 0; r < n; r++) {
        assert_string_equal(dbz_row(b, r), want[r]);
        assert_int_equal(b->retract[r], strstr(want[r], "\"op\":\"d\"") ? 1 : 0);
    }
    wd_batch_release(b);

    /* unstructured: before/after are kept as JSON text */
    const wd_type *su = SCHEMA(F("value", WD_TYPE_JSON));
    wd_json_opts o = {true, WD_JSON_TS_RFC3339};
    wd_json_decoder *du = wd_json_decoder_new(su, &o);
    b = wd_batch_new(su, 1);
    assert_int_equal(dbz(du, b, "{\"before\":{\"a\": 1},\"after\":{\"a\":[2]},\"op\":\"u\"}", &e),
                     0);
    wd_batch_seal(b);
    assert_string_equal(dbz_row(b, 0), "{\"before\":{\"value\":{\"a\": 1}},\"after\":null,\"op\":\"d\"}");
    assert_string_equal(dbz_row(b, 1), "{\"before\":null,\"after\":{\"value\":{\"a\":[2]}},\"op\":\"c\"}");
    wd_batch_release(b);
    wd_json_decoder_free(du);
    wd_json_decoder_free(d);
}

static void test_debezium_errors(void **state)
{
    (void)state;
    const wd_type *s = dbz_schema();
    wd_json_decoder *d = wd_json_decoder_new(s, NULL);
    wd_batch *b = wd_batch_new(s, 4);
    wd_error e;
    assert_int_equal(dbz(d, b, "{\"before\":{\"id\":1},\"op\":\"d\"}", &e), 0);
    static const struct {
        const char *line, *msg;
    } cases[] = {
        {"{\"after\":{\"id\":1}}", "Debezium record without \"op\""},
        {"{\"op\":\"x\",\"after\":{\"id\":1}}",
         "field 'op': unknown operation \"x\" (expected \"c\", \"r\", \"u\" or \"d\")"},
        {"{\"op\":\"create\",\"after\":{\"id\":1}}", "field 'op': unknown operation \"create\""},
        {"{\"op\":5,\"after\":{\"id\":1}}", "field 'op': expected \"c\", \"r\", \"u\" or \"d\", found 5"},
        {"{\"op\":null,\"after\":{\"id\":1}}", "field 'op': expected"},
        {"{\"op\":\"c\",\"before\":{\"id\":1}}", "Debezium record with op \"c\" has no \"after\""},
        {"{\"op\":\"r\",\"after\":null}", "Debezium record with op \"r\" has no \"after\""},
        {"{\"op\":\"u\"}", "Debezium record with op \"u\" has no \"after\""},
        {"{\"op\":\"u\",\"before\":{\"id\":1}}", "Debezium record with op \"u\" has no \"after\""},
        {"{\"op\":\"d\",\"after\":{\"id\":1}}", "Debezium record with op \"d\" has no \"before\""},
        {"{\"op\":\"c\",\"after\":[1]}", "field 'after': expected an object or null, found an array"},
        {"{\"op\":\"c\",\"after\":\"{}\"}", "field 'after': expected an object or null, found \"{}\""},
        {"{\"op\":\"c\",\"after\":{\"id\":\"x\"}}",
         "field 'after.id': expected an integer, found \"x\""},
        {"{\"op\":\"d\",\"before\":{\"id\":null}}", "field 'before.id': null for a NOT NULL field"},
        {"{\"op\":\"c\",\"after\":{\"name\":\"x\"}}", "missing field 'after.id'"},
        {"{\"op\":\"u\",\"after\":{\"id\":1},\"before\":{\"id\":2,\"tags\":{}}}",
         "field 'before.tags': expected an array, found an object"},
        {"{\"after\":{\"id\":1},\"after\":{\"id\":true},\"op\":\"c\"}",
         "field 'after.id': expected an integer, found true"},
        {"{\"payload\":{\"after\":{\"id\":1}}}", "Debezium record without \"op\""},
        {"[1]", "expected a Debezium JSON object, found [1]"},
        {"  ", "empty line: expected a Debezium JSON object"},
        {"{\"op\":\"c\",\"after\":{\"id\":1}} x", "unexpected characters after the JSON value"},
        {"{\"op\":\"c\",\"after\":{\"id\":1}", "the line ends early"},
        {"{\"op\":\"c\",\"after\":nul}", "invalid JSON"},
        {"{\"op\":\"c\",\"after\":{\"id\":1},\"source\":{\"a\":}}", "invalid JSON"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(dbz(d, b, cases[i].line, &e), WD_EDATA);
        if (!strstr(e.msg, cases[i].msg)) fail_msg("%s: got '%s'", cases[i].line, e.msg);
    }
    /* the rows and flags before the errors are intact */
    assert_int_equal(dbz(d, b, "{\"after\":{\"id\":2},\"op\":\"c\"}", &e), 0);
    wd_batch_seal(b);
    assert_int_equal(b->nrows, 2);
    assert_int_equal(b->retract[0], 1);
    assert_int_equal(b->retract[1], 0);
    assert_string_equal(dbz_row(b, 1), INS("{\"id\":2,\"name\":null,\"tags\":null}"));
    wd_batch_release(b);
    wd_json_decoder_free(d);
}

/* Every truncation of valid records fails cleanly; byte mutations do not
 * crash (run under ASan: each input is an exact-size heap copy). */
static void test_debezium_truncated_and_mutated(void **state)
{
    (void)state;
    const wd_type *s = dbz_schema();
    wd_json_decoder *d = wd_json_decoder_new(s, NULL);
    wd_batch *b = wd_batch_new(s, 1);
    wd_error e;
    static const char *recs[] = {
        "{\"before\":{\"id\":1,\"name\":\"a\\u00e9\",\"tags\":[1,2]},\"after\":{\"id\":1,"
        "\"name\":\"b\",\"tags\":[]},\"source\":{\"db\":\"x\"},\"op\":\"u\",\"ts_ms\":17}",
        "{\"schema\":{\"f\":[1,2]},\"payload\":{\"op\":\"d\",\"before\":{\"id\":2,\"tags\":[2]},"
        "\"after\":null}}",
        "{\"op\":\"u\",\"after\":{\"id\":7,\"tags\":[7]},\"before\":{\"id\":6,\"tags\":[6,6]}}",
        "{\"after\":{\"id\":10},\"after\":{\"id\":11},\"op\":\"r\"}",
    };
    static const char subst[] = {'"', '}', '{', ']', '[', ',', ':', '0', 'n', '\\', ' ', 'x'};
    uint32_t good = 0;
    for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++) {
        size_t len = strlen(recs[i]);
        assert_int_equal(dbz(d, b, recs[i], &e), 0);
        for (size_t n = 0; n < len; n++) {
            char *p = malloc(n ? n : 1);
            memcpy(p, recs[i], n);
            wd_err_clear(&e);
            uint32_t before = b->nrows;
            assert_int_equal(wd_json_decode_debezium(d, p, n, b, &e), WD_EDATA);
            assert_int_equal(b->nrows, before);
            assert_true(e.msg[0] != 0);
            free(p);
        }
        for (size_t k = 0; k < len; k++) {
            for (size_t j = 0; j < sizeof subst; j++) {
                char *p = malloc(len);
                memcpy(p, recs[i], len);
                p[k] = subst[j];
                wd_err_clear(&e);
                uint32_t before = b->nrows;
                int rc = wd_json_decode_debezium(d, p, len, b, &e);
                if (rc == 0) {
                    for (uint32_t r = before; r < b->nrows; r++) wd_batch_ts(b)[r] = 0;
                    good++;
                } else {
                    assert_int_equal(rc, WD_EDATA);
                    assert_int_equal(b->nrows, before);
                }
                free(p);
            }
        }
    }
    assert_true(good > 0);
    /* everything that was accepted can be written back */
    wd_batch_seal(b);
    wd_buf buf = WD_BUF_INIT;
    for (uint32_t r = 0; r < b->nrows; r++) {
        assert_true(b->retract == NULL || b->retract[r] <= 1);
        wd_json_encode_debezium(b, r, &buf);
    }
    wd_buf_free(&buf);
    wd_batch_release(b);
    wd_json_decoder_free(d);
}

static void test_opts_from(void **state)
{
    (void)state;
    wd_opt kv[] = {{"json.unstructured", "true", {0, 0}, {0, 0}},
                   {"json.timestamp_format", "unix_millis", {0, 0}, {0, 0}}};
    wd_options o = {2, kv};
    wd_json_opts jo;
    assert_int_equal(wd_json_opts_from(&o, &jo, NULL), 0);
    assert_true(jo.unstructured);
    assert_int_equal(jo.ts_format, WD_JSON_TS_UNIX_MILLIS);
    wd_opt bad[] = {{"json.timestamp_format", "iso", {0, 0}, {0, 0}}};
    wd_options ob = {1, bad};
    wd_error e;
    wd_err_clear(&e);
    assert_int_equal(wd_json_opts_from(&ob, &jo, &e), WD_EOPTION);
    assert_true(strstr(e.msg, "json.timestamp_format"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_scalars, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nested, setup, teardown),
        cmocka_unit_test_setup_teardown(test_escapes_unicode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_integers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_floats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_float_and_ts_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decimals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timestamps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bytes_bool_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_null_unknown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_and_mutated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unstructured, setup, teardown),
        cmocka_unit_test_setup_teardown(test_growth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_debezium, setup, teardown),
        cmocka_unit_test_setup_teardown(test_debezium_decode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_debezium_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_debezium_truncated_and_mutated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_opts_from, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
