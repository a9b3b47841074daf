/*
 * test_impulse.c — the impulse source: counters per subtask, message_count
 * per subtask, event_time_interval (micros or interval text), wall-clock
 * event time, pacing and exact watermarks, option errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "batch/batch.h"
#include "common/timeutil.h"
#include "connectors/connector.h"

#define BASE_NS (1672531200000LL * WD_NS_PER_MS) /* 2023-01-01T00:00:00Z */

static wd_arena schema_arena;
static const wd_type *schema;

static int setup(void **state)
{
    (void)state;
    wd_arena_init(&schema_arena, 0);
    const wd_type *t = wd_conn_impulse.fixed_schema(&schema_arena);
    schema = wd_schema_make(&schema_arena, t->nfields, t->fields);
    return schema ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    wd_arena_free(&schema_arena);
    return 0;
}

static wd_source *open_src(const wd_opt *kv, uint32_t n, uint32_t subtask, uint32_t par,
                           uint32_t rows)
{
    static wd_options o;
    o = (wd_options){n, kv};
    wd_source_spec spec = {.schema = schema, .opts = &o, .subtask = subtask,
                           .parallelism = par, .batch_rows = rows};
    wd_source *s = NULL;
    wd_error err = {0};
    int rc = wd_conn_impulse.open_source(&spec, &s, &err);
    if (rc) fprintf(stderr, "open: %s\n", err.msg);
    assert_int_equal(rc, 0);
    return s;
}

/* Next batch, sleeping through IDLE answers; NULL at the end. */
static wd_batch *next_batch(wd_source *s, int *idles)
{
    for (;;) {
        wd_batch *b = NULL;
        int64_t wait = -1;
        int rc = s->vt->next(s, &b, &wait, NULL);
        if (rc == WD_SRC_END) return NULL;
        if (rc == WD_SRC_BATCH) return b;
        assert_int_equal(rc, WD_SRC_IDLE);
        assert_true(wait > 0);
        if (idles) (*idles)++;
        struct timespec ts = {wait / WD_NS_PER_SEC, wait % WD_NS_PER_SEC};
        nanosleep(&ts, NULL);
    }
}

static void test_schema(void **state)
{
    (void)state;
    const wd_type *t = wd_conn_impulse.fixed_schema(&schema_arena);
    assert_int_equal(t->nfields, 2);
    assert_string_equal(t->fields[0].name, "counter");
    assert_string_equal(t->fields[1].name, "subtask_index");
    assert_int_equal(t->fields[0].type->id, WD_T_UINT64);
    assert_int_equal(t->fields[1].type->id, WD_T_UINT64);
}

static void test_counter_interval_micros(void **state)
{
    (void)state;
    /* fast rate, 1 s of event time per message, 2500 messages for subtask 1 of 2 */
    wd_opt kv[] = {{"event_rate", "1000000000", {0, 0}, {0, 0}},
                   {"event_time_interval", "1000000", {0, 0}, {0, 0}},
                   {"message_count", "2500", {0, 0}, {0, 0}},
                   {"base_time", "2023-01-01T00:00:00Z", {0, 0}, {0, 0}}};
    wd_source *s = open_src(kv, 4, 1, 2, 1000);
    assert_int_equal(s->vt->watermark(s), BASE_NS - 1);
    uint64_t k = 0;
    wd_batch *b;
    while ((b = next_batch(s, NULL))) {
        assert_true(b->nrows <= 1000);
        const uint64_t *cnt = b->cols[0].data, *sub = b->cols[1].data;
        const int64_t *ts = wd_batch_ts(b);
        assert_int_equal(b->cols[0].len, b->nrows);
        for (uint32_t r = 0; r < b->nrows; r++, k++) {
            assert_int_equal(cnt[r], k);
            assert_int_equal(sub[r], 1);
            assert_int_equal(ts[r], BASE_NS + (int64_t)k * WD_NS_PER_SEC);
        }
        if (k < 2500)
            assert_int_equal(s->vt->watermark(s), BASE_NS + (int64_t)k * WD_NS_PER_SEC - 1);
        wd_batch_release(b);
    }
    assert_int_equal(k, 2500); /* message_count is per subtask */
    assert_int_equal(s->vt->watermark(s), INT64_MAX);
    s->vt->close(s);
}

static void test_interval_text(void **state)
{
    (void)state;
    wd_opt kv[] = {{"event_rate", "1e9", {0, 0}, {0, 0}},
                   {"event_time_interval", "100ms", {0, 0}, {0, 0}},
                   {"message_count", "10", {0, 0}, {0, 0}},
                   {"base_time", "1672531200000", {0, 0}, {0, 0}}};
    wd_source *s = open_src(kv, 4, 0, 1, 0);
    wd_batch *b = next_batch(s, NULL);
    assert_non_null(b);
    assert_int_equal(b->nrows, 10);
    assert_int_equal(wd_batch_ts(b)[9], BASE_NS + 900 * WD_NS_PER_MS);
    wd_batch_release(b);
    assert_null(next_batch(s, NULL));
    s->vt->close(s);
}

static void test_wall_clock_paced(void **state)
{
    (void)state;
    /* 200 messages/s over 2 subtasks: 100/s each; 20 messages ≈ 190 ms */
    wd_opt kv[] = {{"event_rate", "200", {0, 0}, {0, 0}}, {"message_count", "20", {0, 0}, {0, 0}}};
    int64_t w0 = wd_now_ns(), m0 = wd_mono_ns();
    wd_source *s = open_src(kv, 2, 0, 2, 0);
    int idles = 0;
    uint64_t k = 0;
    int64_t prev = INT64_MIN;
    wd_batch *b;
    while ((b = next_batch(s, &idles))) {
        const uint64_t *cnt = b->cols[0].data;
        const int64_t *ts = wd_batch_ts(b);
        for (uint32_t r = 0; r < b->nrows; r++, k++) {
            assert_int_equal(cnt[r], k);
            assert_true(ts[r] > prev);
            prev = ts[r];
            assert_true(ts[r] >= w0 && ts[r] <= wd_now_ns());
        }
        wd_batch_release(b);
    }
    int64_t el = wd_mono_ns() - m0;
    assert_int_equal(k, 20);
    assert_true(idles > 0);
    assert_true(el >= 180 * WD_NS_PER_MS && el < 3 * WD_NS_PER_SEC);
    /* scheduled 10 ms apart */
    assert_true(prev - w0 >= 185 * WD_NS_PER_MS);
    s->vt->close(s);
}

static void test_options(void **state)
{
    (void)state;
    wd_error err = {0};
    wd_options none = {0, NULL};
    assert_int_equal(wd_conn_impulse.validate(&none, true, &err), WD_EOPTION);
    wd_err_clear(&err);
    assert_int_equal(wd_options_check(&wd_conn_impulse, &none, &err), WD_EOPTION); /* required */
    wd_err_clear(&err);
    wd_opt bad[] = {{"event_rate", "10", {0, 0}, {0, 0}}, {"event_time_interval", "soon", {0, 0}, {0, 0}}};
    wd_options o = {2, bad};
    assert_int_equal(wd_conn_impulse.validate(&o, true, &err), WD_EOPTION);
    wd_err_clear(&err);
    wd_opt neg[] = {{"event_rate", "-1", {0, 0}, {0, 0}}};
    o = (wd_options){1, neg};
    assert_int_equal(wd_conn_impulse.validate(&o, true, &err), WD_EOPTION);
    wd_err_clear(&err);
    wd_opt ok[] = {{"event_rate", "10", {0, 0}, {0, 0}},
                   {"event_time_interval", "1 second", {0, 0}, {0, 0}},
                   {"message_count", "5", {0, 0}, {0, 0}}};
    o = (wd_options){3, ok};
    assert_int_equal(wd_conn_impulse.validate(&o, true, &err), 0);
    assert_int_equal(wd_options_check(&wd_conn_impulse, &o, &err), 0);
    assert_int_equal(wd_conn_impulse.validate(&o, false, &err), WD_EOPTION);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema),
        cmocka_unit_test(test_counter_interval_micros),
        cmocka_unit_test(test_interval_text),
        cmocka_unit_test(test_wall_clock_paced),
        cmocka_unit_test(test_options),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
