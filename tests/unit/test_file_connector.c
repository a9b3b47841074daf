/*
 * test_file_connector.c — unit tests for the single_file source and sink,
 * and the stdout and blackhole sinks: batching, bad_data = fail (with
 * "file:line:" messages) and drop, event_time_field, offsets, missing
 * files, subtasks, Debezium change records as a source (retraction flags
 * across batches), sink output (JSON, Debezium, per-subtask files).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch/batch.h"
#include "batch/json.h"
#include "common/alloc.h"
#include "connectors/blackhole.h"
#include "connectors/connector.h"
#include "connectors/single_file.h"
#include "connectors/stdout.h"

static wd_arena A;
static char dir[256];

static int setup(void **state)
{
    (void)state;
    wd_arena_init(&A, 0);
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/wdfileXXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    wd_arena_free(&A);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) return -1;
    return 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_file(const char *path)
{
    static char buf[8192];
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static const wd_type *schema(void)
{
    wd_field f[] = {{"id", WD_TYPE_INT64, false},
                    {"name", WD_TYPE_TEXT, true},
                    {"ts", WD_TYPE_TIMESTAMP, true}};
    return wd_schema_make(&A, 3, f);
}

/* Open a source over path with extra options (key, value pairs, NULL-ended). */
static int open_src(const char *path, uint32_t batch_rows, uint32_t subtask, wd_source **out,
                    wd_error *err, ...)
{
    static wd_opt kv[16];
    static wd_options o;
    uint32_t n = 0;
    kv[n++] = (wd_opt){"connector", "single_file", {0, 0}, {0, 0}};
    kv[n++] = (wd_opt){"type", "source", {0, 0}, {0, 0}};
    kv[n++] = (wd_opt){"path", path, {0, 0}, {0, 0}};
    va_list ap;
    va_start(ap, err);
    const char *k;
    while ((k = va_arg(ap, const char *))) {
        kv[n++] = (wd_opt){k, va_arg(ap, const char *), {0, 0}, {0, 0}};
    }
    va_end(ap);
    o.n = n;
    o.kv = kv;
    assert_int_equal(wd_options_check(&wd_conn_single_file, &o, NULL), 0);
    wd_source_spec spec = {schema(), &o, subtask, 2, NULL, batch_rows, 0};
    wd_err_clear(err);
    return wd_conn_single_file.open_source(&spec, out, err);
}

static const char *LINES = "{\"id\":1,\"name\":\"a\",\"ts\":\"2023-10-09T17:13:40Z\"}\n"
                           "\n"
                           "{\"id\":2,\"name\":\"b\",\"ts\":1696871621000}\r\n"
                           "   \n"
                           "{\"id\":3,\"ts\":\"2023-10-09T17:13:42Z\"}\n"
                           "{\"id\":4,\"name\":\"d\",\"ts\":\"2023-10-09T17:13:43Z\"}\n"
                           "{\"id\":5,\"name\":\"e\",\"ts\":\"2023-10-09T17:13:44Z\"}\n"
                           "{\"id\":6,\"name\":\"f\",\"ts\":\"2023-10-09T17:13:45Z\"}\n"
                           "{\"id\":7,\"name\":\"g\",\"ts\":\"2023-10-09T17:13:46Z\"}";

static void test_source_batches(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/in.json", dir);
    write_file(path, LINES);
    wd_source *s;
    wd_error e;
    assert_int_equal(open_src(path, 3, 0, &s, &e, "event_time_field", "ts", NULL), 0);
    uint32_t sizes[8], nb = 0;
    int64_t want_id = 1;
    int64_t t0 = 1696871620LL * WD_NS_PER_SEC;
    for (;;) {
        wd_batch *b = NULL;
        int64_t wait = 0;
        int rc = s->vt->next(s, &b, &wait, &e);
        if (rc == WD_SRC_END) break;
        assert_int_equal(rc, WD_SRC_BATCH);
        sizes[nb++] = b->nrows;
        for (uint32_t r = 0; r < b->nrows; r++) {
            assert_true(WD_COL_GET(&b->cols[0], int64_t, r) == want_id);
            assert_true(wd_batch_ts(b)[r] == t0 + (want_id - 1) * WD_NS_PER_SEC);
            want_id++;
        }
        assert_int_equal(b->cols[0].len, b->nrows);
        wd_batch_release(b);
    }
    assert_int_equal(nb, 3);
    assert_int_equal(sizes[0], 3);
    assert_int_equal(sizes[1], 3);
    assert_int_equal(sizes[2], 1);
    assert_int_equal(s->vt->dropped(s), 0);
    assert_true(wd_single_file_offset(s) == strlen(LINES));
    s->vt->close(s);

    /* subtask 1 of 2 reads nothing */
    assert_int_equal(open_src(path, 3, 1, &s, &e, NULL), 0);
    wd_batch *b = NULL;
    int64_t wait;
    assert_int_equal(s->vt->next(s, &b, &wait, &e), WD_SRC_END);
    assert_null(b);
    s->vt->close(s);
}

static void test_source_ingestion_time_and_long_lines(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/long.json", dir);
    /* a line much longer than the read buffer */
    size_t big = 700 * 1024;
    char *text = malloc(big + 200);
    int k = snprintf(text, 200, "{\"id\":1,\"name\":\"");
    memset(text + k, 'x', big);
    strcpy(text + k + big, "\"}\n{\"id\":2}\n");
    write_file(path, text);
    free(text);
    wd_source *s;
    wd_error e;
    assert_int_equal(open_src(path, 100, 0, &s, &e, NULL), 0);
    int64_t before = wd_now_ns();
    wd_batch *b = NULL;
    int64_t wait;
    assert_int_equal(s->vt->next(s, &b, &wait, &e), WD_SRC_BATCH);
    assert_int_equal(b->nrows, 2);
    assert_int_equal(WD_COL_GET(&b->cols[1], wd_str, 0).len, big);
    assert_true(wd_batch_ts(b)[0] >= before && wd_batch_ts(b)[1] <= wd_now_ns());
    wd_batch_release(b);
    assert_int_equal(s->vt->next(s, &b, &wait, &e), WD_SRC_END);
    s->vt->close(s);
}

static void test_source_bad_data(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/bad.json", dir);
    write_file(path, "{\"id\":1}\n"
                     "{\"id\":2}\n"
                     "{\"id\":\"x3\"}\n"
                     "{\"id\":4,\"ts\":null}\n"
                     "{\"id\":5\n"
                     "{\"name\":\"no id\"}\n"
                     "{\"id\":7,\"ts\":\"2023-10-09T17:13:40Z\"}\n");
    wd_source *s;
    wd_error e;
    /* fail: the message names the file, the line and the field */
    assert_int_equal(open_src(path, 10, 0, &s, &e, NULL), 0);
    wd_batch *b = NULL;
    int64_t wait;
    assert_int_equal(s->vt->next(s, &b, &wait, &e), WD_EDATA);
    assert_null(b);
    char want[400];
    snprintf(want, sizeof want, "%s:3: field 'id': expected an integer, found \"x3\"", path);
    assert_string_equal(e.msg, want);
    s->vt->close(s);

    /* drop: bad lines are counted; a null event time is bad data too */
    assert_int_equal(open_src(path, 10, 0, &s, &e, "bad_data", "drop", "event_time_field", "ts",
                              NULL),
                     0);
    assert_int_equal(s->vt->next(s, &b, &wait, &e), WD_SRC_BATCH);
    assert_int_equal(b->nrows, 1);
    assert_true(WD_COL_GET(&b->cols[0], int64_t, 0) == 7);
    wd_batch_release(b);
    assert_int_equal(s->vt->next(s, &b, &wait, &e), WD_SRC_END);
    assert_int_equal(s->vt->dropped(s), 6);
    s->vt->close(s);

    /* fail on a null event time */
    assert_int_equal(open_src(path, 10, 0, &s, &e, "event_time_field", "ts", NULL), 0);
    assert_int_equal(s->vt->next(s, &b, &wait, &e), WD_EDATA);
    snprintf(want, sizeof want, "%s:1: field 'ts': the event time (event_time_field) is null",
             path);
    assert_string_equal(e.msg, want);
    s->vt->close(s);
}

static void test_source_errors(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/nope.json", dir);
    wd_source *s = NULL;
    wd_error e;
    assert_int_equal(open_src(path, 10, 0, &s, &e, NULL), WD_EIO);
    assert_null(s);
    assert_non_null(strstr(e.msg, path));
    assert_non_null(strstr(e.msg, "No such file"));

    assert_int_equal(open_src(path, 10, 0, &s, &e, "format", "avro", NULL), WD_EOPTION);
    assert_non_null(strstr(e.msg, "format 'avro'"));
    assert_non_null(strstr(e.hint, "json"));
    assert_int_equal(open_src(path, 10, 0, &s, &e, "event_time_field", "nme", NULL), WD_EOPTION);
    assert_int_equal(open_src(path, 10, 0, &s, &e, "event_time_field", "name", NULL), WD_EOPTION);
    assert_non_null(strstr(e.msg, "not TIMESTAMP"));

    wd_opt kv[] = {{"path", path, {0, 0}, {0, 0}}, {"format", "debezium_json", {0, 0}, {0, 0}}};
    wd_options o = {2, kv};
    wd_err_clear(&e);
    assert_int_equal(wd_conn_single_file.validate(&o, true, &e), 0);
    wd_err_clear(&e);
    assert_int_equal(wd_conn_single_file.validate(&o, false, &e), 0);
    kv[1].val = "avro";
    assert_int_equal(wd_conn_single_file.validate(&o, true, &e), WD_EOPTION);
    assert_non_null(strstr(e.hint, "debezium_json"));
}

static void test_source_raw_string(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/raw.txt", dir);
    write_file(path, "hello\nnot json {\n");
    wd_field f[] = {{"value", WD_TYPE_TEXT, true}};
    const wd_type *sch = wd_schema_make(&A, 1, f);
    wd_opt kv[] = {{"path", path, {0, 0}, {0, 0}}, {"format", "raw_string", {0, 0}, {0, 0}}};
    wd_options o = {2, kv};
    wd_source_spec spec = {sch, &o, 0, 1, NULL, 0, 0};
    wd_source *s;
    wd_error e = {0};
    assert_int_equal(wd_conn_single_file.open_source(&spec, &s, &e), 0);
    wd_batch *b = NULL;
    int64_t wait;
    assert_int_equal(s->vt->next(s, &b, &wait, &e), WD_SRC_BATCH);
    assert_int_equal(b->nrows, 2);
    wd_str v = WD_COL_GET(&b->cols[0], wd_str, 1);
    assert_int_equal(v.len, 10);
    assert_memory_equal(v.ptr, "not json {", 10);
    wd_batch_release(b);
    s->vt->close(s);
}

/* Debezium change records: an update's two rows stay in one batch (which
 * may pass batch_rows by one); a batch of inserts only has no flags. */
static void test_source_debezium(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/cdc.json", dir);
    write_file(path,
               "{\"before\":null,\"after\":{\"id\":1,\"name\":\"a\"},\"op\":\"c\",\"ts_ms\":1}\n"
               "{\"after\":{\"id\":2,\"name\":\"b\"},\"op\":\"r\",\"source\":{\"snapshot\":true}}\n"
               "\n"
               "{\"before\":{\"id\":1,\"name\":\"a\"},\"after\":{\"id\":1,\"name\":\"A\"},"
               "\"op\":\"u\"}\r\n"
               "{\"before\":{\"id\":2,\"name\":\"b\"},\"after\":null,\"op\":\"d\"}\n"
               "{\"before\":null,\"after\":{\"id\":3},\"op\":\"u\"}\n"
               "{\"after\":{\"id\":4,\"name\":\"d\"},\"op\":\"c\"}\n"
               "{\"schema\":{},\"payload\":{\"before\":{\"id\":4,\"name\":\"d\"},"
               "\"after\":{\"id\":4,\"name\":\"D\"},\"op\":\"u\"}}\n"
               "{\"after\":{\"id\":5},\"op\":\"c\"}");
    wd_source *s;
    wd_error e;
    assert_int_equal(open_src(path, 2, 0, &s, &e, "format", "debezium_json", NULL), 0);
    /* per batch: ids, with '-' marking a retraction */
    static const char *want[] = {"+1+2", "-1+1", "-2+3", "+4-4+4", "+5"};
    uint32_t nb = 0;
    int64_t before = wd_now_ns();
    for (;;) {
        wd_batch *b = NULL;
        int64_t wait = 0;
        int rc = s->vt->next(s, &b, &wait, &e);
        if (rc == WD_SRC_END) break;
        assert_int_equal(rc, WD_SRC_BATCH);
        assert_true(nb < 5);
        char got[64] = "";
        for (uint32_t r = 0; r < b->nrows; r++) {
            size_t l = strlen(got);
            snprintf(got + l, sizeof got - l, "%c%lld", b->retract && b->retract[r] ? '-' : '+',
                     (long long)WD_COL_GET(&b->cols[0], int64_t, r));
            assert_true(wd_batch_ts(b)[r] >= before);
        }
        assert_string_equal(got, want[nb]);
        /* flags exist exactly when the batch holds a retraction */
        assert_int_equal(b->retract != NULL, strchr(want[nb], '-') != NULL);
        assert_int_equal(b->cols[0].len, b->nrows);
        if (nb == 1) {
            assert_memory_equal(WD_COL_GET(&b->cols[1], wd_str, 0).ptr, "a", 1);
            assert_memory_equal(WD_COL_GET(&b->cols[1], wd_str, 1).ptr, "A", 1);
        }
        if (nb == 2) assert_false(wd_col_valid(&b->cols[1], 1));
        nb++;
        wd_batch_release(b);
    }
    assert_int_equal(nb, 5);
    assert_int_equal(s->vt->dropped(s), 0);
    s->vt->close(s);

    /* many records in big batches: flags allocated lazily mid-batch and
     * grown with the columns */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 500; i++) {
        if (i % 7 == 6)
            fprintf(f, "{\"before\":{\"id\":%d},\"after\":{\"id\":%d},\"op\":\"u\"}\n", i - 1, i);
        else if (i % 5 == 4)
            fprintf(f, "{\"before\":{\"id\":%d},\"op\":\"d\"}\n", i);
        else
            fprintf(f, "{\"after\":{\"id\":%d},\"op\":\"c\"}\n", i);
    }
    fclose(f);
    assert_int_equal(open_src(path, 300, 0, &s, &e, "format", "debezium_json", NULL), 0);
    int i = 0, half = 0; /* the record, and whether its insert half is next */
    for (;;) {
        wd_batch *b = NULL;
        int64_t wait = 0;
        int rc = s->vt->next(s, &b, &wait, &e);
        if (rc == WD_SRC_END) break;
        assert_int_equal(rc, WD_SRC_BATCH);
        assert_non_null(b->retract);
        for (uint32_t r = 0; r < b->nrows; r++) {
            int64_t id = WD_COL_GET(&b->cols[0], int64_t, r);
            if (i % 7 == 6 && !half) {
                assert_true(id == i - 1 && b->retract[r] == 1);
                half = 1;
                continue;
            }
            assert_true(id == i);
            assert_int_equal(b->retract[r], i % 7 != 6 && i % 5 == 4);
            half = 0;
            i++;
        }
        wd_batch_release(b);
    }
    assert_int_equal(i, 500);
    s->vt->close(s);
}

static void test_source_debezium_bad_data(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/cdc_bad.json", dir);
    write_file(path, "{\"after\":{\"id\":1,\"ts\":\"2023-10-09T17:13:40Z\"},\"op\":\"c\"}\n"
                     "{\"after\":{\"id\":2},\"op\":\"x\"}\n"
                     "{\"after\":{\"id\":3},\"op\":\"c\"\n"
                     "{\"after\":{\"id\":4}}\n"
                     "{\"before\":{\"id\":1},\"after\":{\"id\":1,\"ts\":\"2023-10-09T17:13:41Z\"},"
                     "\"op\":\"u\"}\n"
                     "{\"before\":{\"id\":1,\"ts\":\"2023-10-09T17:13:40Z\"},\"op\":\"d\"}\n"
                     "{\"after\":{\"id\":\"six\"},\"op\":\"c\"}\n");
    wd_source *s;
    wd_error e;
    /* fail: file, line and the problem */
    assert_int_equal(open_src(path, 10, 0, &s, &e, "format", "debezium_json", NULL), 0);
    wd_batch *b = NULL;
    int64_t wait;
    assert_int_equal(s->vt->next(s, &b, &wait, &e), WD_EDATA);
    assert_null(b);
    char want[400];
    snprintf(want, sizeof want,
             "%s:2: field 'op': unknown operation \"x\" (expected \"c\", \"r\", \"u\" or \"d\")",
             path);
    assert_string_equal(e.msg, want);
    s->vt->close(s);

    /* drop, with event_time_field: the update whose before has no time is
     * dropped whole */
    assert_int_equal(open_src(path, 10, 0, &s, &e, "format", "debezium_json", "bad_data", "drop",
                              "event_time_field", "ts", NULL),
                     0);
    assert_int_equal(s->vt->next(s, &b, &wait, &e), WD_SRC_BATCH);
    assert_int_equal(b->nrows, 2);
    assert_true(WD_COL_GET(&b->cols[0], int64_t, 0) == 1);
    assert_true(WD_COL_GET(&b->cols[0], int64_t, 1) == 1);
    assert_non_null(b->retract);
    assert_int_equal(b->retract[0], 0);
    assert_int_equal(b->retract[1], 1);
    int64_t t0 = 1696871620LL * WD_NS_PER_SEC;
    assert_true(wd_batch_ts(b)[0] == t0 && wd_batch_ts(b)[1] == t0);
    wd_batch_release(b);
    assert_int_equal(s->vt->next(s, &b, &wait, &e), WD_SRC_END);
    assert_int_equal(s->vt->dropped(s), 5);
    s->vt->close(s);

    /* fail on the null event time of a retraction */
    snprintf(path, sizeof path, "%s/cdc_ts.json", dir);
    write_file(path, "{\"before\":{\"id\":1},\"after\":{\"id\":1,\"ts\":0},\"op\":\"u\"}\n");
    assert_int_equal(open_src(path, 10, 0, &s, &e, "format", "debezium_json", "event_time_field",
                              "ts", NULL),
                     0);
    assert_int_equal(s->vt->next(s, &b, &wait, &e), WD_EDATA);
    snprintf(want, sizeof want,
             "%s:1: field 'before.ts': the event time (event_time_field) is null", path);
    assert_string_equal(e.msg, want);
    s->vt->close(s);
}

/* A batch of the test schema with three rows, the middle one retracted
 * when retract is set. */
static wd_batch *sample_batch(bool retract)
{
    const wd_type *sch = schema();
    wd_json_decoder *d = wd_json_decoder_new(sch, NULL);
    wd_batch *b = wd_batch_new(sch, 4);
    const char *lines[] = {"{\"id\":1,\"name\":\"a\\\"q\",\"ts\":\"2023-10-09T17:13:40.2Z\"}",
                           "{\"id\":2}", "{\"id\":3,\"name\":\"c\"}"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(wd_json_decode(d, lines[i], strlen(lines[i]), b, NULL), 0);
        wd_batch_ts(b)[i] = 0;
    }
    wd_batch_seal(b);
    if (retract) {
        b->retract = wd_batch_alloc(b, 3);
        memset(b->retract, 0, 3);
        b->retract[1] = 1;
    }
    wd_json_decoder_free(d);
    return b;
}

static int open_sink(const char *path, const char *format, bool updating, uint32_t subtask,
                     wd_sink **out, wd_error *err)
{
    static wd_opt kv[4];
    static wd_options o;
    uint32_t n = 0;
    kv[n++] = (wd_opt){"type", "sink", {0, 0}, {0, 0}};
    kv[n++] = (wd_opt){"path", path, {0, 0}, {0, 0}};
    if (format) kv[n++] = (wd_opt){"format", format, {0, 0}, {0, 0}};
    o.n = n;
    o.kv = kv;
    wd_sink_spec spec = {schema(), &o, subtask, 2, updating, false};
    wd_err_clear(err);
    return wd_conn_single_file.open_sink(&spec, out, err);
}

static void test_sink(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/out.json", dir);
    wd_sink *k;
    wd_error e;
    wd_batch *b = sample_batch(false);
    assert_int_equal(open_sink(path, NULL, false, 0, &k, &e), 0);
    assert_int_equal(k->vt->write(k, b, &e), 0);
    assert_int_equal(k->vt->write(k, b, &e), 0);
    assert_int_equal(k->vt->flush(k, &e), 0);
    k->vt->close(k);
    const char *row1 = "{\"id\":1,\"name\":\"a\\\"q\",\"ts\":\"2023-10-09T17:13:40.200\"}\n"
                       "{\"id\":2,\"name\":null,\"ts\":null}\n"
                       "{\"id\":3,\"name\":\"c\",\"ts\":null}\n";
    char want[1024];
    snprintf(want, sizeof want, "%s%s", row1, row1);
    assert_string_equal(read_file(path), want);
    wd_batch_release(b);

    /* updating input: Debezium; subtask 1 writes path-1 */
    b = sample_batch(true);
    assert_int_equal(open_sink(path, NULL, true, 1, &k, &e), 0);
    assert_int_equal(k->vt->write(k, b, &e), 0);
    k->vt->close(k); /* close flushes */
    char p1[320];
    wd_single_file_sink_path(path, 1, p1, sizeof p1);
    snprintf(want, sizeof want, "%s-1", path);
    assert_string_equal(p1, want);
    assert_string_equal(
        read_file(p1),
        "{\"before\":null,\"after\":{\"id\":1,\"name\":\"a\\\"q\",\"ts\":\"2023-10-09T17:13:40.200\"},"
        "\"op\":\"c\"}\n"
        "{\"before\":{\"id\":2,\"name\":null,\"ts\":null},\"after\":null,\"op\":\"d\"}\n"
        "{\"before\":null,\"after\":{\"id\":3,\"name\":\"c\",\"ts\":null},\"op\":\"c\"}\n");

    /* format debezium_json on insert-only input; a retraction reaching a
     * plain json sink is still written as Debezium */
    assert_int_equal(open_sink(path, "json", false, 0, &k, &e), 0);
    assert_int_equal(k->vt->write(k, b, &e), 0);
    k->vt->close(k);
    const char *got = read_file(path);
    assert_true(strncmp(got, "{\"id\":1,", 8) == 0);
    assert_non_null(strstr(got, "\n{\"before\":{\"id\":2,"));
    wd_batch_release(b);

    assert_int_equal(open_sink(path, "avro", false, 0, &k, &e), WD_EOPTION);
    snprintf(p1, sizeof p1, "%s/no/such/dir/x.json", dir);
    assert_int_equal(open_sink(p1, NULL, false, 0, &k, &e), WD_EIO);
    assert_non_null(strstr(e.msg, p1));
}

static void test_stdout_and_blackhole(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/stdout.txt", dir);
    wd_batch *b = sample_batch(true);
    wd_sink_spec spec = {schema(), NULL, 0, 1, false, false};
    wd_sink *k;
    wd_error e = {0};
    assert_int_equal(wd_stdout_sink_open(&spec, &k, &e), 0);
    fflush(stdout);
    int saved = dup(1);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0 && saved >= 0);
    dup2(fd, 1);
    close(fd);
    int rc = k->vt->write(k, b, &e);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    assert_int_equal(rc, 0);
    k->vt->close(k);
    assert_string_equal(
        read_file(path),
        "{\"id\":1,\"name\":\"a\\\"q\",\"ts\":\"2023-10-09T17:13:40.200\"}\n"
        "{\"before\":{\"id\":2,\"name\":null,\"ts\":null},\"after\":null,\"op\":\"d\"}\n"
        "{\"id\":3,\"name\":\"c\",\"ts\":null}\n");

    assert_int_equal(wd_conn_blackhole.open_sink(&spec, &k, &e), 0);
    assert_int_equal(k->vt->write(k, b, &e), 0);
    assert_int_equal(k->vt->write(k, b, &e), 0);
    assert_int_equal(k->vt->flush(k, &e), 0);
    assert_true(wd_blackhole_rows(k) == 6);
    k->vt->close(k);
    wd_batch_release(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_source_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_ingestion_time_and_long_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_bad_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_raw_string, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_debezium, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_debezium_bad_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stdout_and_blackhole, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
