/*
 * test_ckpt_connectors.c — connectors under checkpoints: sources rewind,
 * two-phase sinks commit exactly once.
 *
 * Sources: nexmark and impulse snapshotted mid-stream at parallelism 2 and
 * restored at 1, 2 and 3 produce, before + after, exactly the events of an
 * uninterrupted run (same contents and timestamps, none twice, none
 * missing, never behind the watermark they reported), with the recorded
 * base time rather than the restart's clock; the single_file source
 * resumes mid-file.  Sinks: single_file and filesystem written two-phase
 * through checkpoints, commits, crashes (an instance dropped without
 * commit, a crash in the middle of an append, a repeated restore, a
 * restore of an older checkpoint) and rescaling (a lower parallelism
 * commits the other old subtask's output exactly once; a higher one
 * continues it); the filesystem sink rolling by size and age, without
 * checkpoints too; corrupt records are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "batch/batch.h"
#include "batch/json.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/timeutil.h"
#include "connectors/connector.h"
#include "connectors/single_file.h"
#include "state/snapshot.h"

#define BASE_MS 1672531200000LL /* 2023-01-01T00:00:00Z */
#define BASE_NS (BASE_MS * WD_NS_PER_MS)

static wd_arena A;
static char tmp[256];

static int setup(void **state)
{
    (void)state;
    wd_arena_init(&A, 0);
    const char *t = getenv("TMPDIR");
    snprintf(tmp, sizeof tmp, "%s/wdckptXXXXXX", t && *t ? t : "/tmp");
    assert_non_null(mkdtemp(tmp));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    wd_arena_free(&A);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    return system(cmd) == 0 ? 0 : -1;
}

static wd_opt opt(const char *k, const char *v) { return (wd_opt){k, v, {0, 0}, {0, 0}}; }

/* Snapshot sources (or sinks) old[0..p) into w[0..p) at epoch. */
static void snap_sources(wd_source **old, uint32_t p, wd_snap_out *w, uint64_t epoch)
{
    wd_error err = {0};
    for (uint32_t i = 0; i < p; i++) {
        wd_snap_out_init(&w[i], epoch, i, p);
        assert_int_equal(old[i]->vt->snapshot(old[i], &w[i], &err), 0);
    }
}

/* A reader for new subtask j of q over the snapshots w[0..p). */
static void reader(wd_snap_in *r, const wd_snap_out *w, uint32_t p, uint32_t j, uint32_t q)
{
    wd_snap_in_init(r, w[0].epoch, j, q, p);
    for (uint32_t i = 0; i < p; i++) assert_int_equal(wd_snap_in_add_out(r, &w[i]), 0);
}

/* ====================================================================== */
/* nexmark                                                                 */
/* ====================================================================== */

#define NX_EVENTS 3000

static const wd_type *nx_schema(void)
{
    static const wd_type *s;
    if (!s) {
        const wd_type *t = wd_conn_nexmark.fixed_schema(&A);
        s = wd_schema_make(&A, t->nfields, t->fields);
    }
    return s;
}

/* A nexmark source: rate 1000/s (event n at base + n ms unless the options
 * differ), NX_EVENTS events, unpaced. */
static wd_source *nx_open(uint32_t subtask, uint32_t par, const char *base, const char *seed,
                          const char *rate)
{
    static wd_opt kv[8];
    static wd_options o;
    uint32_t n = 0;
    kv[n++] = opt("event_rate", rate ? rate : "1000");
    kv[n++] = opt("paced", "false");
    kv[n++] = opt("event_count", "3000");
    if (base) kv[n++] = opt("base_time", base);
    if (seed) kv[n++] = opt("seed", seed);
    o = (wd_options){n, kv};
    wd_source_spec spec = {.schema = nx_schema(), .opts = &o, .subtask = subtask,
                           .parallelism = par, .batch_rows = 50};
    wd_source *s = NULL;
    wd_error err = {0};
    int rc = wd_conn_nexmark.open_source(&spec, &s, &err);
    if (rc) fprintf(stderr, "nexmark: %s\n", err.msg);
    assert_int_equal(rc, 0);
    return s;
}

/* The rows an uninterrupted run produces, as JSON by event number. */
static char **nx_reference(void)
{
    char **ref = calloc(NX_EVENTS, sizeof *ref);
    assert_non_null(ref);
    wd_source *s = nx_open(0, 1, "1672531200000", "3", NULL);
    wd_buf j = WD_BUF_INIT;
    for (;;) {
        wd_batch *b = NULL;
        int64_t wait;
        int rc = s->vt->next(s, &b, &wait, NULL);
        if (rc == WD_SRC_END) break;
        assert_int_equal(rc, WD_SRC_BATCH);
        for (uint32_t r = 0; r < b->nrows; r++) {
            int64_t n = (wd_batch_ts(b)[r] - BASE_NS) / WD_NS_PER_MS;
            assert_true(n >= 0 && n < NX_EVENTS && !ref[n]);
            wd_buf_reset(&j);
            wd_json_encode_row(b, r, &j);
            ref[n] = strdup(j.data);
        }
        wd_batch_release(b);
    }
    s->vt->close(s);
    wd_buf_free(&j);
    for (int n = 0; n < NX_EVENTS; n++) assert_non_null(ref[n]);
    return ref;
}

/*
 * Take up to nb batches from s (all when nb < 0): every row must be the
 * reference's event with its timestamp, seen for the first time, after
 * the watermark reported before the batch (which is exact: the batch's
 * first row is the next event of the subtask).
 */
static void nx_drain(wd_source *s, int nb, char **ref, uint8_t *seen)
{
    wd_buf j = WD_BUF_INIT;
    for (int k = 0; nb < 0 || k < nb; k++) {
        int64_t wm = s->vt->watermark(s);
        wd_batch *b = NULL;
        int64_t wait;
        wd_error err = {0};
        int rc = s->vt->next(s, &b, &wait, &err);
        if (rc == WD_SRC_END) {
            assert_int_equal(s->vt->watermark(s), INT64_MAX);
            break;
        }
        assert_int_equal(rc, WD_SRC_BATCH);
        const int64_t *ts = wd_batch_ts(b);
        assert_int_equal(ts[0], wm + 1);
        for (uint32_t r = 0; r < b->nrows; r++) {
            assert_true(ts[r] > wm);
            assert_true(ts[r] >= BASE_NS && (ts[r] - BASE_NS) % WD_NS_PER_MS == 0);
            int64_t n = (ts[r] - BASE_NS) / WD_NS_PER_MS;
            assert_true(n < NX_EVENTS);
            assert_int_equal(seen[n], 0);
            seen[n] = 1;
            wd_buf_reset(&j);
            wd_json_encode_row(b, r, &j);
            assert_string_equal(j.data, ref[n]);
        }
        wd_batch_release(b);
    }
    wd_buf_free(&j);
}

/* 2 subtasks → K batches each (uneven) → snapshot → restore at 1, 2, 3 →
 * to the end: exactly the uninterrupted run's events.  The restored
 * subtasks are opened without base_time (the wall clock), with another
 * seed and another rate: what the checkpoint recorded must win. */
static void test_nexmark_rescale(void **state)
{
    (void)state;
    char **ref = nx_reference();
    for (uint32_t q = 1; q <= 3; q++) {
        uint8_t *seen = calloc(NX_EVENTS, 1);
        wd_source *old[2], *neu[3];
        for (uint32_t i = 0; i < 2; i++) {
            old[i] = nx_open(i, 2, "1672531200000", "3", NULL);
            nx_drain(old[i], 4 + 3 * (int)i, ref, seen);
        }
        wd_snap_out w[2];
        snap_sources(old, 2, w, 7);
        /* the old subtasks could go on (a crash loses what they do next) */
        uint8_t *lost = calloc(NX_EVENTS, 1);
        for (uint32_t i = 0; i < 2; i++) {
            nx_drain(old[i], 2, ref, lost);
            old[i]->vt->close(old[i]);
        }
        free(lost);
        for (uint32_t j = 0; j < q; j++) {
            neu[j] = nx_open(j, q, NULL, NULL, "10");
            wd_snap_in r;
            reader(&r, w, 2, j, q);
            wd_error err = {0};
            assert_int_equal(neu[j]->vt->restore(neu[j], &r, &err), 0);
            wd_snap_in_free(&r);
            /* the watermark is never ahead of the events still to come */
            assert_true(neu[j]->vt->watermark(neu[j]) >= BASE_NS - 1);
        }
        /* interleave the new subtasks, then each to its end */
        for (uint32_t j = 0; j < q; j++) nx_drain(neu[j], 3, ref, seen);
        for (uint32_t j = 0; j < q; j++) {
            nx_drain(neu[j], -1, ref, seen);
            neu[j]->vt->close(neu[j]);
        }
        for (int n = 0; n < NX_EVENTS; n++) {
            if (seen[n] != 1) fprintf(stderr, "q %u: event %d seen %u times\n", q, n, seen[n]);
            assert_int_equal(seen[n], 1);
        }
        for (uint32_t i = 0; i < 2; i++) wd_snap_out_free(&w[i]);
        free(seen);
    }
    for (int n = 0; n < NX_EVENTS; n++) free(ref[n]);
    free(ref);
}

/* A snapshot restored twice (a crash while restoring) and a chain of
 * rescales 2 → 3 → 1 still produce every event once. */
static void test_nexmark_chain(void **state)
{
    (void)state;
    char **ref = nx_reference();
    uint8_t *seen = calloc(NX_EVENTS, 1);
    wd_source *a[2], *b[3], *c[1];
    wd_snap_out wa[2], wb[3];
    for (uint32_t i = 0; i < 2; i++) {
        a[i] = nx_open(i, 2, "1672531200000", "3", NULL);
        nx_drain(a[i], 1 + (int)i, ref, seen);
    }
    snap_sources(a, 2, wa, 1);
    for (uint32_t i = 0; i < 2; i++) a[i]->vt->close(a[i]);
    for (uint32_t j = 0; j < 3; j++) {
        for (int twice = 0; twice < 2; twice++) {
            if (twice) b[j]->vt->close(b[j]);
            b[j] = nx_open(j, 3, NULL, NULL, NULL);
            wd_snap_in r;
            reader(&r, wa, 2, j, 3);
            assert_int_equal(b[j]->vt->restore(b[j], &r, NULL), 0);
            wd_snap_in_free(&r);
        }
        nx_drain(b[j], 2 + (int)j, ref, seen);
    }
    snap_sources(b, 3, wb, 2);
    for (uint32_t j = 0; j < 3; j++) b[j]->vt->close(b[j]);
    c[0] = nx_open(0, 1, NULL, NULL, NULL);
    wd_snap_in r;
    reader(&r, wb, 3, 0, 1);
    assert_int_equal(c[0]->vt->restore(c[0], &r, NULL), 0);
    wd_snap_in_free(&r);
    nx_drain(c[0], -1, ref, seen);
    c[0]->vt->close(c[0]);
    for (int n = 0; n < NX_EVENTS; n++) assert_int_equal(seen[n], 1);
    for (uint32_t i = 0; i < 2; i++) wd_snap_out_free(&wa[i]);
    for (uint32_t i = 0; i < 3; i++) wd_snap_out_free(&wb[i]);
    free(seen);
    for (int n = 0; n < NX_EVENTS; n++) free(ref[n]);
    free(ref);
}

/* ====================================================================== */
/* impulse                                                                 */
/* ====================================================================== */

#define IMP_COUNT 700

static const wd_type *imp_schema(void)
{
    static const wd_type *s;
    if (!s) {
        const wd_type *t = wd_conn_impulse.fixed_schema(&A);
        s = wd_schema_make(&A, t->nfields, t->fields);
    }
    return s;
}

/* An impulse source: message k of a stream at base + k ms (interval mode)
 * or at the scheduled wall clock (interval NULL). */
static wd_source *imp_open(uint32_t subtask, uint32_t par, const char *interval,
                           const char *base, const char *rate)
{
    static wd_opt kv[6];
    static wd_options o;
    uint32_t n = 0;
    kv[n++] = opt("event_rate", rate);
    kv[n++] = opt("message_count", "700");
    if (interval) kv[n++] = opt("event_time_interval", interval);
    if (base) kv[n++] = opt("base_time", base);
    o = (wd_options){n, kv};
    wd_source_spec spec = {.schema = imp_schema(), .opts = &o, .subtask = subtask,
                           .parallelism = par, .batch_rows = 64};
    wd_source *s = NULL;
    wd_error err = {0};
    int rc = wd_conn_impulse.open_source(&spec, &s, &err);
    if (rc) fprintf(stderr, "impulse: %s\n", err.msg);
    assert_int_equal(rc, 0);
    return s;
}

/* Up to nb batches (all when nb < 0), sleeping through IDLE: each row
 * (subtask_index, counter) of a stream < 2 seen once, at base + counter ms,
 * after the watermark. */
static void imp_drain(wd_source *s, int nb, uint8_t (*seen)[IMP_COUNT])
{
    for (int k = 0; nb < 0 || k < nb;) {
        int64_t wm = s->vt->watermark(s);
        wd_batch *b = NULL;
        int64_t wait = 0;
        int rc = s->vt->next(s, &b, &wait, NULL);
        if (rc == WD_SRC_END) {
            assert_int_equal(s->vt->watermark(s), INT64_MAX);
            break;
        }
        if (rc == WD_SRC_IDLE) {
            struct timespec t = {0, wait < 1000000 ? wait : 1000000};
            nanosleep(&t, NULL);
            continue;
        }
        assert_int_equal(rc, WD_SRC_BATCH);
        const uint64_t *cnt = b->cols[0].data, *sub = b->cols[1].data;
        const int64_t *ts = wd_batch_ts(b);
        for (uint32_t r = 0; r < b->nrows; r++) {
            assert_true(sub[r] < 2 && cnt[r] < IMP_COUNT);
            assert_int_equal(seen[sub[r]][cnt[r]], 0);
            seen[sub[r]][cnt[r]] = 1;
            assert_int_equal(ts[r], BASE_NS + (int64_t)cnt[r] * WD_NS_PER_MS);
            assert_true(ts[r] > wm);
        }
        wd_batch_release(b);
        k++;
    }
}

/* 2 subtasks (two streams of 700 messages) → snapshot → 1, 2 or 3
 * subtasks: every message of both streams once, nothing else. */
static void test_impulse_rescale(void **state)
{
    (void)state;
    for (uint32_t q = 1; q <= 3; q++) {
        uint8_t seen[2][IMP_COUNT];
        memset(seen, 0, sizeof seen);
        wd_source *old[2], *neu[3];
        for (uint32_t i = 0; i < 2; i++) {
            old[i] = imp_open(i, 2, "1000", "1672531200000", "1e8");
            imp_drain(old[i], 2 + 3 * (int)i, seen);
        }
        wd_snap_out w[2];
        snap_sources(old, 2, w, 3);
        for (uint32_t i = 0; i < 2; i++) old[i]->vt->close(old[i]);
        for (uint32_t j = 0; j < q; j++) {
            /* another base time and rate in the options: the records win */
            neu[j] = imp_open(j, q, "1000", "1999999999999", "1e9");
            wd_snap_in r;
            reader(&r, w, 2, j, q);
            assert_int_equal(neu[j]->vt->restore(neu[j], &r, NULL), 0);
            wd_snap_in_free(&r);
        }
        for (uint32_t j = 0; j < q; j++) {
            imp_drain(neu[j], -1, seen);
            neu[j]->vt->close(neu[j]);
        }
        for (int s = 0; s < 2; s++)
            for (int k = 0; k < IMP_COUNT; k++) assert_int_equal(seen[s][k], 1);
        for (uint32_t i = 0; i < 2; i++) wd_snap_out_free(&w[i]);
    }
}

/* Wall-clock event time: the restored stream keeps its recorded time base
 * (message k at base + k * 1 µs), not the clock of the restart. */
static void test_impulse_wall_clock_base(void **state)
{
    (void)state;
    wd_source *s = imp_open(0, 1, NULL, NULL, "1e6");
    int64_t t0 = INT64_MIN;
    uint64_t k = 0;
    while (k < 100) {
        wd_batch *b = NULL;
        int64_t wait = 0;
        int rc = s->vt->next(s, &b, &wait, NULL);
        if (rc == WD_SRC_IDLE) {
            struct timespec t = {0, wait};
            nanosleep(&t, NULL);
            continue;
        }
        assert_int_equal(rc, WD_SRC_BATCH);
        const uint64_t *cnt = b->cols[0].data;
        for (uint32_t r = 0; r < b->nrows; r++, k++) {
            assert_int_equal(cnt[r], k);
            if (k == 0) t0 = wd_batch_ts(b)[0];
            assert_int_equal(wd_batch_ts(b)[r], t0 + (int64_t)k * 1000);
        }
        wd_batch_release(b);
    }
    wd_snap_out w;
    snap_sources(&s, 1, &w, 1);
    s->vt->close(s);
    struct timespec pause = {0, 20 * 1000 * 1000};
    nanosleep(&pause, NULL);
    s = imp_open(0, 1, NULL, NULL, "1e6");
    wd_snap_in r;
    reader(&r, &w, 1, 0, 1);
    assert_int_equal(s->vt->restore(s, &r, NULL), 0);
    wd_snap_in_free(&r);
    assert_int_equal(s->vt->watermark(s), t0 + (int64_t)k * 1000 - 1);
    wd_batch *b = NULL;
    int64_t wait = 0;
    int rc;
    while ((rc = s->vt->next(s, &b, &wait, NULL)) == WD_SRC_IDLE) {
        struct timespec t = {0, wait};
        nanosleep(&t, NULL);
    }
    assert_int_equal(rc, WD_SRC_BATCH);
    assert_int_equal(((const uint64_t *)b->cols[0].data)[0], k);
    assert_int_equal(wd_batch_ts(b)[0], t0 + (int64_t)k * 1000);
    wd_batch_release(b);
    s->vt->close(s);
    wd_snap_out_free(&w);
}

/* A record that does not decode is refused. */
static void test_source_corrupt_records(void **state)
{
    (void)state;
    const char *tables[2] = {"nexmark", "impulse"};
    for (int t = 0; t < 2; t++) {
        wd_source *s = t == 0 ? nx_open(0, 1, "1672531200000", NULL, NULL)
                              : imp_open(0, 1, "1000", "1672531200000", "1e6");
        for (int variant = 0; variant < 3; variant++) {
            wd_snap_out w;
            wd_snap_out_init(&w, 1, 0, 1);
            assert_int_equal(wd_snap_table_begin(&w, tables[t], WD_SNAP_GLOBAL, NULL), 0);
            if (variant == 0) {
                uint32_t junk[3] = {2, 7, 99};
                wd_snap_put(&w, 0, junk, sizeof junk);
            } else {
                /* a real record, cut short or with a byte too many */
                wd_snap_out good;
                wd_snap_out_init(&good, 1, 0, 1);
                assert_int_equal(s->vt->snapshot(s, &good, NULL), 0);
                const wd_snap_table *gt = &good.tables[0];
                const uint8_t *rec = (const uint8_t *)gt->data.data + 8;
                uint32_t len;
                memcpy(&len, gt->data.data + 4, 4);
                uint8_t buf[512] = {0};
                assert_true(len + 1 <= sizeof buf);
                memcpy(buf, rec, len);
                wd_snap_put(&w, 0, buf, variant == 1 ? len - 3 : len + 1);
                wd_snap_out_free(&good);
            }
            wd_snap_in r;
            reader(&r, &w, 1, 0, 1);
            wd_error err = {0};
            assert_int_equal(s->vt->restore(s, &r, &err), WD_ECORRUPT);
            wd_snap_in_free(&r);
            wd_snap_out_free(&w);
        }
        s->vt->close(s);
    }
}

/* ====================================================================== */
/* single_file source                                                      */
/* ====================================================================== */

static const wd_type *row_schema(void)
{
    static const wd_type *s;
    if (!s) {
        wd_field f[] = {{"id", WD_TYPE_INT64, false}};
        s = wd_schema_make(&A, 1, f);
    }
    return s;
}

static int sf_src_open(const char *path, uint32_t subtask, uint32_t par, wd_source **out)
{
    static wd_opt kv[4];
    static wd_options o;
    kv[0] = opt("type", "source");
    kv[1] = opt("path", path);
    o = (wd_options){2, kv};
    wd_source_spec spec = {row_schema(), &o, subtask, par, NULL, 3, 0};
    return wd_conn_single_file.open_source(&spec, out, NULL);
}

/* ids of the next batch appended to got (count in *n); 0 at the end. */
static int sf_src_batch(wd_source *s, int64_t *got, int *n, wd_error *err)
{
    wd_batch *b = NULL;
    int64_t wait;
    int rc = s->vt->next(s, &b, &wait, err);
    if (rc != WD_SRC_BATCH) return rc;
    for (uint32_t r = 0; r < b->nrows; r++) got[(*n)++] = ((const int64_t *)b->cols[0].data)[r];
    wd_batch_release(b);
    return rc;
}

static void test_single_file_source_resume(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/in.jsonl", tmp);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 20; i++) fprintf(f, "{\"id\":%d}\n%s", i, i % 4 == 1 ? "\n" : "");
    fprintf(f, "{\"id\":\"bad\"}\n");
    fclose(f);
    /* old run at parallelism 2: subtask 0 reads, subtask 1 has nothing */
    wd_source *old[2];
    assert_int_equal(sf_src_open(path, 0, 2, &old[0]), 0);
    assert_int_equal(sf_src_open(path, 1, 2, &old[1]), 0);
    int64_t got[64];
    int n = 0;
    for (int k = 0; k < 3; k++) assert_int_equal(sf_src_batch(old[0], got, &n, NULL), WD_SRC_BATCH);
    assert_int_equal(n, 9);
    assert_int_equal(sf_src_batch(old[1], got, &n, NULL), WD_SRC_END);
    wd_snap_out w[2];
    snap_sources(old, 2, w, 4);
    assert_int_equal(sf_src_batch(old[0], got, &n, NULL), WD_SRC_BATCH); /* lost in a crash */
    n = 9;
    for (int i = 0; i < 2; i++) old[i]->vt->close(old[i]);
    /* new run at parallelism 1, twice (a crash while restoring) */
    for (int twice = 0; twice < 2; twice++) {
        wd_source *s;
        assert_int_equal(sf_src_open(path, 0, 1, &s), 0);
        wd_snap_in r;
        reader(&r, w, 2, 0, 1);
        assert_int_equal(s->vt->restore(s, &r, NULL), 0);
        wd_snap_in_free(&r);
        int m = n, rc;
        wd_error err = {0};
        while ((rc = sf_src_batch(s, got, &m, &err)) == WD_SRC_BATCH) {
        }
        /* the bad last line is reported with its real line number (the
         * batch it would have ended, ids 18 and 19, fails with it) */
        assert_int_equal(rc, WD_EDATA);
        char want[400];
        snprintf(want, sizeof want, "%s:26: ", path);
        assert_true(strncmp(err.msg, want, strlen(want)) == 0);
        assert_int_equal(m, 18);
        for (int i = 0; i < 18; i++) assert_int_equal(got[i], i);
        s->vt->close(s);
    }
    /* a file shorter than the recorded offset is not the file that was read */
    f = fopen(path, "w");
    fputs("{\"id\":1}\n", f);
    fclose(f);
    wd_source *s;
    assert_int_equal(sf_src_open(path, 0, 1, &s), 0);
    wd_snap_in r;
    reader(&r, w, 2, 0, 1);
    wd_error err = {0};
    assert_int_equal(s->vt->restore(s, &r, &err), WD_ECORRUPT);
    wd_snap_in_free(&r);
    s->vt->close(s);
    for (int i = 0; i < 2; i++) wd_snap_out_free(&w[i]);
}

/* ====================================================================== */
/* sinks: helpers                                                          */
/* ====================================================================== */

/* Rows with ids lo … hi-1. */
static wd_batch *rows(int64_t lo, int64_t hi)
{
    wd_batch *b = wd_batch_new(row_schema(), (uint32_t)(hi - lo));
    for (int64_t i = lo; i < hi; i++) {
        ((int64_t *)b->cols[0].data)[i - lo] = i;
        wd_batch_ts(b)[i - lo] = 0;
    }
    b->nrows = (uint32_t)(hi - lo);
    wd_batch_seal(b);
    return b;
}

static void put(wd_sink *k, int64_t lo, int64_t hi)
{
    wd_batch *b = rows(lo, hi);
    wd_error err = {0};
    int rc = k->vt->write(k, b, &err);
    if (rc) fprintf(stderr, "write: %s\n", err.msg);
    assert_int_equal(rc, 0);
    wd_batch_release(b);
}

static void snap(wd_sink *k, wd_snap_out *w, uint64_t epoch, uint32_t subtask, uint32_t par)
{
    wd_snap_out_init(w, epoch, subtask, par);
    wd_error err = {0};
    int rc = k->vt->snapshot(k, w, &err);
    if (rc) fprintf(stderr, "snapshot: %s\n", err.msg);
    assert_int_equal(rc, 0);
}

static void commit(wd_sink *k, uint64_t epoch)
{
    wd_error err = {0};
    int rc = k->vt->commit(k, epoch, &err);
    if (rc) fprintf(stderr, "commit: %s\n", err.msg);
    assert_int_equal(rc, 0);
}

/* Restore k (new subtask j of q) from w[0..p); an unexpected failure
 * (err NULL) is printed. */
static int restore(wd_sink *k, const wd_snap_out *w, uint32_t p, uint32_t j, uint32_t q,
                   wd_error *err)
{
    wd_error mine = {0};
    wd_snap_in r;
    reader(&r, w, p, j, q);
    int rc = k->vt->restore(k, &r, err ? err : &mine);
    if (rc && !err) fprintf(stderr, "restore: %s\n", mine.msg);
    wd_snap_in_free(&r);
    return rc;
}

/* Whole file text (malloc'd), or NULL when absent. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    wd_buf b = WD_BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) wd_buf_put(&b, chunk, n);
    fclose(f);
    char *s = strdup(b.data ? b.data : "");
    wd_buf_free(&b);
    return s;
}

/* The lines {"id":lo} … {"id":hi-1}, appended to out. */
static void want_ids(wd_buf *out, int64_t lo, int64_t hi)
{
    for (int64_t i = lo; i < hi; i++) wd_buf_printf(out, "{\"id\":%lld}\n", (long long)i);
}

static void assert_file(const char *path, int64_t lo, int64_t hi)
{
    char *got = slurp(path);
    assert_non_null(got);
    wd_buf w = WD_BUF_INIT;
    want_ids(&w, lo, hi);
    assert_string_equal(got, w.data ? w.data : "");
    free(got);
    wd_buf_free(&w);
}

/* Number of entries of dir whose name starts with '.' (not . and ..). */
static int hidden_files(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void make_dir(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tmp, name);
    assert_int_equal(mkdir(out, 0755), 0);
}

/* ====================================================================== */
/* single_file sink                                                        */
/* ====================================================================== */

static wd_sink *sf_sink_open(const char *path, uint32_t subtask, uint32_t par, bool two_phase)
{
    static wd_opt kv[3];
    static wd_options o;
    kv[0] = opt("type", "sink");
    kv[1] = opt("path", path);
    o = (wd_options){2, kv};
    wd_sink_spec spec = {row_schema(), &o, subtask, par, false, two_phase};
    wd_sink *k = NULL;
    wd_error err = {0};
    int rc = wd_conn_single_file.open_sink(&spec, &k, &err);
    if (rc) fprintf(stderr, "open: %s\n", err.msg);
    assert_int_equal(rc, 0);
    return k;
}

/* The task's scenario: write, snapshot(1), write, commit(1), write,
 * snapshot(2), write, crash (no commit); restore from epoch 2 → the rows
 * through epoch 2, once; a repeated restore gives the same. */
static void test_single_file_sink_two_phase(void **state)
{
    (void)state;
    char dir[300], path[400];
    make_dir(dir, sizeof dir, "sf1");
    snprintf(path, sizeof path, "%s/out.json", dir);
    /* an earlier run's file: a fresh two-phase run starts it empty */
    FILE *f = fopen(path, "w");
    fputs("old\n", f);
    fclose(f);

    wd_sink *k = sf_sink_open(path, 0, 1, true);
    put(k, 0, 10);
    wd_snap_out w1, w2;
    snap(k, &w1, 1, 0, 1);
    assert_file(path, 0, 0); /* nothing visible before the commit */
    put(k, 10, 20);
    commit(k, 1);
    assert_file(path, 0, 10);
    commit(k, 1); /* again: nothing more */
    assert_file(path, 0, 10);
    put(k, 20, 30);
    snap(k, &w2, 2, 0, 1);
    put(k, 30, 40);
    assert_int_equal(k->vt->flush(k, NULL), 0); /* rows after the checkpoint on disk */
    k->vt->close(k);                           /* crash: epoch 2 never committed */
    assert_file(path, 0, 10);
    assert_true(hidden_files(dir) >= 2);       /* pending-2 and the staging file */

    for (int twice = 0; twice < 2; twice++) {
        k = sf_sink_open(path, 0, 1, true);
        assert_int_equal(restore(k, &w2, 1, 0, 1, NULL), 0);
        assert_file(path, 0, 30);
        assert_int_equal(hidden_files(dir), 1); /* the new staging file only */
        if (twice == 0) k->vt->close(k);       /* crash right after restoring */
    }
    /* the replay continues: epoch 3 holds the rows after epoch 2 */
    put(k, 30, 45);
    wd_snap_out w3;
    snap(k, &w3, 3, 0, 1);
    commit(k, 3);
    assert_file(path, 0, 45);
    k->vt->close(k);
    assert_int_equal(hidden_files(dir), 0);

    /* restoring the older epoch 2 (a newer one could not be read) cuts the
     * rows committed after it */
    k = sf_sink_open(path, 0, 1, true);
    assert_int_equal(restore(k, &w2, 1, 0, 1, NULL), 0);
    assert_file(path, 0, 30);
    k->vt->close(k);
    wd_snap_out_free(&w1);
    wd_snap_out_free(&w2);
    wd_snap_out_free(&w3);
}

/* A crash in the middle of an append (the file holds part of the pending
 * output): restore cuts it back and appends it whole, once. */
static void test_single_file_sink_torn_append(void **state)
{
    (void)state;
    char dir[300], path[400], pend[500];
    make_dir(dir, sizeof dir, "sf2");
    snprintf(path, sizeof path, "%s/out.json", dir);
    wd_sink *k = sf_sink_open(path, 0, 1, true);
    put(k, 0, 5);
    wd_snap_out w1, w2;
    snap(k, &w1, 1, 0, 1);
    commit(k, 1);
    put(k, 5, 50);
    snap(k, &w2, 2, 0, 1);
    k->vt->close(k);
    /* half of the pending output of epoch 2 already appended */
    snprintf(pend, sizeof pend, "%s/.out.json.pending-2", dir);
    char *p = slurp(pend);
    assert_non_null(p);
    FILE *f = fopen(path, "a");
    fwrite(p, 1, strlen(p) / 2, f);
    fclose(f);
    free(p);
    k = sf_sink_open(path, 0, 1, true);
    assert_int_equal(restore(k, &w2, 1, 0, 1, NULL), 0);
    assert_file(path, 0, 50);
    k->vt->close(k);
    /* the pending file gone and the file shorter than committed: refused */
    assert_int_equal(truncate(path, 10), 0);
    k = sf_sink_open(path, 0, 1, true);
    wd_error err = {0};
    assert_int_equal(restore(k, &w2, 1, 0, 1, &err), WD_ECORRUPT);
    k->vt->close(k);
    wd_snap_out_free(&w1);
    wd_snap_out_free(&w2);
}

/* Parallelism 2 → 1: subtask 0 also commits old subtask 1's file; → 2
 * again: subtask 1 continues that file where it ended. */
static void test_single_file_sink_rescale(void **state)
{
    (void)state;
    char dir[300], path[400], path1[420];
    make_dir(dir, sizeof dir, "sf3");
    snprintf(path, sizeof path, "%s/out.json", dir);
    wd_single_file_sink_path(path, 1, path1, sizeof path1);
    wd_sink *k[2];
    wd_snap_out w[2];
    for (uint32_t i = 0; i < 2; i++) {
        k[i] = sf_sink_open(path, i, 2, true);
        put(k[i], 100 * i, 100 * i + 10);
        snap(k[i], &w[i], 1, i, 2);
        put(k[i], 100 * i + 10, 100 * i + 20); /* lost */
        assert_int_equal(k[i]->vt->flush(k[i], NULL), 0);
        k[i]->vt->close(k[i]);
    }
    wd_sink *one = sf_sink_open(path, 0, 1, true);
    assert_int_equal(restore(one, w, 2, 0, 1, NULL), 0);
    assert_file(path, 0, 10);
    assert_file(path1, 100, 110);
    put(one, 10, 20);
    wd_snap_out w2;
    snap(one, &w2, 2, 0, 1);
    commit(one, 2);
    one->vt->close(one);
    assert_file(path, 0, 20);
    assert_file(path1, 100, 110);
    assert_int_equal(hidden_files(dir), 0);
    for (uint32_t i = 0; i < 2; i++) {
        k[i] = sf_sink_open(path, i, 2, true);
        assert_int_equal(restore(k[i], &w2, 1, i, 2, NULL), 0);
        put(k[i], 100 * i + 20, 100 * i + 25);
        wd_snap_out w3;
        snap(k[i], &w3, 3, i, 2);
        commit(k[i], 3);
        k[i]->vt->close(k[i]);
        wd_snap_out_free(&w3);
    }
    {
        /* subtask 0: 0…19 then 20…24; subtask 1's file kept its 100…109 */
        wd_buf want = WD_BUF_INIT;
        want_ids(&want, 0, 25);
        char *got = slurp(path);
        assert_string_equal(got, want.data);
        free(got);
        wd_buf_reset(&want);
        want_ids(&want, 100, 110);
        want_ids(&want, 120, 125);
        got = slurp(path1);
        assert_string_equal(got, want.data);
        free(got);
        wd_buf_free(&want);
    }
    for (uint32_t i = 0; i < 2; i++) wd_snap_out_free(&w[i]);
    wd_snap_out_free(&w2);
}

static void test_single_file_sink_corrupt(void **state)
{
    (void)state;
    char dir[300], path[400];
    make_dir(dir, sizeof dir, "sf4");
    snprintf(path, sizeof path, "%s/out.json", dir);
    wd_sink *k = sf_sink_open(path, 0, 1, true);
    put(k, 0, 3);
    wd_snap_out good;
    snap(k, &good, 1, 0, 1);
    k->vt->close(k);
    const wd_snap_table *t = &good.tables[0];
    uint32_t len;
    memcpy(&len, t->data.data + 4, 4);
    const uint8_t *rec = (const uint8_t *)t->data.data + 8;
    for (int variant = 0; variant < 4; variant++) {
        uint8_t buf[512];
        assert_true(len + 1 <= sizeof buf);
        memcpy(buf, rec, len);
        uint32_t n = len;
        if (variant == 0) n = len - 5;      /* cut short */
        if (variant == 1) buf[n++] = 0;     /* a byte too many */
        if (variant == 2) buf[len - 9] ^= 1; /* sizes that do not add up */
        if (variant == 3) {                  /* a pending name with a '/' */
            char *dot = memchr(buf, '.', len);
            assert_non_null(dot);
            dot[1] = '/';
        }
        wd_snap_out w;
        wd_snap_out_init(&w, 1, 0, 1);
        assert_int_equal(wd_snap_table_begin(&w, "single_file_sink", WD_SNAP_GLOBAL, NULL), 0);
        wd_snap_put(&w, 0, buf, n);
        k = sf_sink_open(path, 0, 1, true);
        wd_error err = {0};
        assert_int_equal(restore(k, &w, 1, 0, 1, &err), WD_ECORRUPT);
        k->vt->close(k);
        wd_snap_out_free(&w);
    }
    wd_snap_out_free(&good);
}

/* ====================================================================== */
/* filesystem sink                                                         */
/* ====================================================================== */

static int fs_sink_open(const char *dir, uint32_t subtask, uint32_t par, bool two_phase,
                        const char *size, const char *interval, wd_sink **out, wd_error *err)
{
    static wd_opt kv[6];
    static wd_options o;
    uint32_t n = 0;
    kv[n++] = opt("path", dir);
    kv[n++] = opt("format", "json");
    if (size) kv[n++] = opt("rolling_policy.file_size", size);
    if (interval) kv[n++] = opt("rolling_policy.interval", interval);
    o = (wd_options){n, kv};
    wd_error e2 = {0};
    if (!err) err = &e2;
    int rc = wd_options_check(&wd_conn_filesystem, &o, err);
    if (rc == 0) rc = wd_conn_filesystem.validate(&o, false, err);
    if (rc) return rc;
    wd_sink_spec spec = {row_schema(), &o, subtask, par, false, two_phase};
    return wd_conn_filesystem.open_sink(&spec, out, err);
}

static wd_sink *fs_open(const char *dir, uint32_t subtask, uint32_t par, bool two_phase,
                        const char *size)
{
    wd_sink *k = NULL;
    wd_error err = {0};
    int rc = fs_sink_open(dir, subtask, par, two_phase, size, NULL, &k, &err);
    if (rc) fprintf(stderr, "open: %s\n", err.msg);
    assert_int_equal(rc, 0);
    return k;
}

typedef struct part {
    uint32_t sub;
    uint64_t seq;
} part;

static int part_cmp(const void *x, const void *y)
{
    const part *a = x, *b = y;
    if (a->sub != b->sub) return a->sub < b->sub ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* The visible parts of dir, by subtask and number; *n gets the count,
 * *max_seq[sub] the highest number per subtask (when max_seq). */
static int list_parts(const char *dir, part *out, int cap)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        unsigned sub;
        unsigned long long seq;
        char tail[16];
        if (e->d_name[0] == '.') continue;
        assert_int_equal(sscanf(e->d_name, "part-%u-%llu%15s", &sub, &seq, tail), 3);
        assert_string_equal(tail, ".json");
        assert_true(n < cap);
        out[n++] = (part){sub, seq};
    }
    closedir(d);
    qsort(out, (size_t)n, sizeof *out, part_cmp);
    return n;
}

/* Concatenation of the visible parts of subtask sub in number order. */
static char *fs_output(const char *dir, uint32_t sub, int *nparts)
{
    part p[256];
    int n = list_parts(dir, p, 256);
    wd_buf out = WD_BUF_INIT;
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (p[i].sub != sub) continue;
        char path[600];
        snprintf(path, sizeof path, "%s/part-%u-%llu.json", dir, sub, (unsigned long long)p[i].seq);
        char *t = slurp(path);
        assert_non_null(t);
        assert_true(*t); /* no empty parts */
        wd_buf_puts(&out, t);
        free(t);
        k++;
    }
    if (nparts) *nparts = k;
    char *s = strdup(out.data ? out.data : "");
    wd_buf_free(&out);
    return s;
}

static void assert_parts(const char *dir, uint32_t sub, int64_t lo, int64_t hi, int min_parts)
{
    int n;
    char *got = fs_output(dir, sub, &n);
    wd_buf w = WD_BUF_INIT;
    want_ids(&w, lo, hi);
    assert_string_equal(got, w.data ? w.data : "");
    assert_true(n >= min_parts);
    free(got);
    wd_buf_free(&w);
}

/* Highest part number of subtask sub in dir, visible or hidden, or -1. */
static long long max_seq(const char *dir, uint32_t sub)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    long long m = -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        unsigned s;
        unsigned long long q;
        const char *n = e->d_name[0] == '.' ? e->d_name + 1 : e->d_name;
        if (sscanf(n, "part-%u-%llu", &s, &q) == 2 && s == sub && (long long)q > m)
            m = (long long)q;
    }
    closedir(d);
    return m;
}

/* The scenario of the single_file sink, with parts rolled every ~40 bytes
 * (about four rows): several parts per epoch. */
static void test_filesystem_two_phase(void **state)
{
    (void)state;
    char dir[300];
    snprintf(dir, sizeof dir, "%s/fs1/deep", tmp); /* created with its parent */
    wd_sink *k = fs_open(dir, 0, 1, true, "40");
    put(k, 0, 10);
    wd_snap_out w1, w2;
    snap(k, &w1, 1, 0, 1);
    assert_parts(dir, 0, 0, 0, 0); /* nothing visible before the commit */
    put(k, 10, 20);
    commit(k, 1);
    assert_parts(dir, 0, 0, 10, 2);
    commit(k, 1);
    assert_parts(dir, 0, 0, 10, 2);
    put(k, 20, 30);
    snap(k, &w2, 2, 0, 1);
    put(k, 30, 40);
    k->vt->close(k); /* crash: epoch 2 never committed */
    assert_parts(dir, 0, 0, 10, 2);
    assert_true(hidden_files(dir) >= 3); /* pending parts of 2, in-progress ones */
    part p[256];
    int n = list_parts(dir, p, 256);
    long long visible = p[n - 1].seq; /* the highest name a reader has seen */

    for (int twice = 0; twice < 2; twice++) {
        k = fs_open(dir, 0, 1, true, "40");
        assert_int_equal(restore(k, &w2, 1, 0, 1, NULL), 0);
        assert_parts(dir, 0, 0, 30, 5);
        assert_int_equal(hidden_files(dir), 0);
        if (twice == 0) k->vt->close(k);
    }
    n = list_parts(dir, p, 256);
    visible = p[n - 1].seq;
    put(k, 30, 45);
    wd_snap_out w3;
    snap(k, &w3, 3, 0, 1);
    commit(k, 3);
    k->vt->close(k);
    assert_parts(dir, 0, 0, 45, 8);
    assert_int_equal(hidden_files(dir), 0);
    /* the new parts are numbered after every published one */
    int m = list_parts(dir, p, 256);
    assert_true(m - n >= 3);
    for (int i = n; i < m; i++) assert_true((long long)p[i].seq > visible);
    visible = p[m - 1].seq;

    /* restoring the older epoch 2 hides the parts published after it,
     * whose names are not used again */
    k = fs_open(dir, 0, 1, true, "40");
    assert_int_equal(restore(k, &w2, 1, 0, 1, NULL), 0);
    assert_parts(dir, 0, 0, 30, 5);
    int discarded = m - n;
    assert_int_equal(hidden_files(dir), discarded);
    put(k, 30, 31);
    wd_snap_out w4;
    snap(k, &w4, 3, 0, 1);
    commit(k, 3);
    k->vt->close(k);
    assert_parts(dir, 0, 0, 31, 5);
    m = list_parts(dir, p, 256);
    assert_true((long long)p[m - 1].seq > visible);
    /* and a restore after that keeps them (and their numbers) */
    k = fs_open(dir, 0, 1, true, "40");
    assert_int_equal(restore(k, &w4, 1, 0, 1, NULL), 0);
    k->vt->close(k);
    assert_int_equal(hidden_files(dir), discarded);
    wd_snap_out_free(&w1);
    wd_snap_out_free(&w2);
    wd_snap_out_free(&w3);
    wd_snap_out_free(&w4);
}

/* Parallelism 2 → 1: subtask 0 publishes old subtask 1's pending parts
 * too, once even when restore runs twice; → 3: subtask 2 has no record and
 * starts after what is there. */
static void test_filesystem_rescale(void **state)
{
    (void)state;
    char dir[300];
    make_dir(dir, sizeof dir, "fs2");
    wd_sink *k[3];
    wd_snap_out w[2];
    for (uint32_t i = 0; i < 2; i++) {
        k[i] = fs_open(dir, i, 2, true, "30");
        put(k[i], 100 * i, 100 * i + 10);
        snap(k[i], &w[i], 1, i, 2);
        put(k[i], 100 * i + 10, 100 * i + 20);
        k[i]->vt->close(k[i]);
    }
    for (int twice = 0; twice < 2; twice++) {
        k[0] = fs_open(dir, 0, 1, true, "30");
        assert_int_equal(restore(k[0], w, 2, 0, 1, NULL), 0);
        assert_parts(dir, 0, 0, 10, 3);
        assert_parts(dir, 1, 100, 110, 3);
        assert_int_equal(hidden_files(dir), 0);
        if (twice == 0) k[0]->vt->close(k[0]);
    }
    put(k[0], 10, 20);
    wd_snap_out w2;
    snap(k[0], &w2, 2, 0, 1);
    commit(k[0], 2);
    k[0]->vt->close(k[0]);
    assert_parts(dir, 0, 0, 20, 5);
    assert_parts(dir, 1, 100, 110, 3);
    long long top1 = max_seq(dir, 1);
    wd_snap_out w3[3];
    for (uint32_t j = 0; j < 3; j++) {
        k[j] = fs_open(dir, j, 3, true, "30");
        assert_int_equal(restore(k[j], &w2, 1, j, 3, NULL), 0);
        put(k[j], 1000 * (j + 1), 1000 * (j + 1) + 3);
        snap(k[j], &w3[j], 3, j, 3);
        commit(k[j], 3);
        k[j]->vt->close(k[j]);
    }
    assert_true(max_seq(dir, 1) > top1); /* subtask 1 did not reuse a name */
    assert_int_equal(hidden_files(dir), 0);
    char *got = fs_output(dir, 2, NULL);
    assert_string_equal(got, "{\"id\":3000}\n{\"id\":3001}\n{\"id\":3002}\n");
    free(got);
    for (uint32_t i = 0; i < 2; i++) wd_snap_out_free(&w[i]);
    wd_snap_out_free(&w2);
    for (uint32_t j = 0; j < 3; j++) wd_snap_out_free(&w3[j]);
}

/* Without checkpoints: parts are hidden until rolled or flushed; a second
 * run continues the numbering; rolling by age. */
static void test_filesystem_plain(void **state)
{
    (void)state;
    char dir[300];
    make_dir(dir, sizeof dir, "fs3");
    wd_sink *k = fs_open(dir, 0, 1, false, "64");
    put(k, 0, 3); /* 30 bytes: still in progress */
    assert_parts(dir, 0, 0, 0, 0);
    assert_int_equal(hidden_files(dir), 1);
    put(k, 3, 20);
    assert_int_equal(k->vt->flush(k, NULL), 0);
    k->vt->close(k);
    assert_parts(dir, 0, 0, 20, 3);
    assert_int_equal(hidden_files(dir), 0);
    long long top = max_seq(dir, 0);
    k = fs_open(dir, 0, 1, false, NULL);
    put(k, 20, 22);
    assert_int_equal(k->vt->flush(k, NULL), 0);
    k->vt->close(k);
    assert_int_equal(max_seq(dir, 0), top + 1);
    assert_parts(dir, 0, 0, 22, 4);

    /* rolling_policy.interval: a part older than 1 ms is closed when rows arrive */
    char dir2[300];
    make_dir(dir2, sizeof dir2, "fs4");
    wd_error err = {0};
    assert_int_equal(fs_sink_open(dir2, 0, 1, false, NULL, "1ms", &k, &err), 0);
    put(k, 0, 2);
    struct timespec pause = {0, 5 * 1000 * 1000};
    nanosleep(&pause, NULL);
    put(k, 2, 3);
    assert_parts(dir2, 0, 0, 3, 1);
    put(k, 3, 4);
    nanosleep(&pause, NULL);
    put(k, 4, 5);
    k->vt->close(k);
    assert_parts(dir2, 0, 0, 5, 2);
}

static void test_filesystem_options_and_corrupt(void **state)
{
    (void)state;
    char dir[300];
    make_dir(dir, sizeof dir, "fs5");
    wd_sink *k = NULL;
    wd_error err = {0};
    assert_int_equal(fs_sink_open(dir, 0, 1, false, "12 parsecs", NULL, &k, &err), WD_EOPTION);
    assert_non_null(strstr(err.msg, "rolling_policy.file_size"));
    wd_err_clear(&err);
    assert_int_equal(fs_sink_open(dir, 0, 1, false, NULL, "soon", &k, &err), WD_EOPTION);
    wd_err_clear(&err);
    static wd_opt kv[2];
    kv[0] = opt("path", dir);
    kv[1] = opt("format", "avro");
    wd_options o = {2, kv};
    assert_int_equal(wd_conn_filesystem.validate(&o, false, &err), WD_EOPTION);
    assert_non_null(strstr(err.msg, "'filesystem'"));
    wd_err_clear(&err);
    assert_int_equal(wd_conn_filesystem.validate(&o, true, &err), WD_EOPTION);
    wd_err_clear(&err);
    kv[1] = opt("file_naming.suffix", "1.json");
    assert_int_equal(wd_conn_filesystem.validate(&o, false, &err), WD_EOPTION);
    wd_err_clear(&err);
    for (const char *ok = "128MB|64 KiB|1000|1.5g"; *ok;) {
        char one[16];
        size_t n = strcspn(ok, "|");
        snprintf(one, sizeof one, "%.*s", (int)n, ok);
        kv[1] = opt("rolling_policy.file_size", one);
        assert_int_equal(wd_conn_filesystem.validate(&o, false, &err), 0);
        ok += n + (ok[n] == '|');
    }

    /* a pending part whose size is not the recorded one, a bad record */
    k = fs_open(dir, 0, 1, true, NULL);
    put(k, 0, 3);
    wd_snap_out w;
    snap(k, &w, 1, 0, 1);
    k->vt->close(k);
    char pend[500];
    snprintf(pend, sizeof pend, "%s/.part-0-0.json.pending", dir);
    FILE *f = fopen(pend, "a");
    assert_non_null(f);
    fputs("extra\n", f);
    fclose(f);
    k = fs_open(dir, 0, 1, true, NULL);
    assert_int_equal(restore(k, &w, 1, 0, 1, &err), WD_ECORRUPT);
    k->vt->close(k);
    wd_err_clear(&err);
    wd_snap_out bad;
    wd_snap_out_init(&bad, 1, 0, 1);
    assert_int_equal(wd_snap_table_begin(&bad, "filesystem", WD_SNAP_GLOBAL, NULL), 0);
    const wd_snap_table *t = &w.tables[0];
    uint32_t len;
    memcpy(&len, t->data.data + 4, 4);
    wd_snap_put(&bad, 0, t->data.data + 8, len - 2);
    k = fs_open(dir, 0, 1, true, NULL);
    assert_int_equal(restore(k, &bad, 1, 0, 1, &err), WD_ECORRUPT);
    k->vt->close(k);
    wd_snap_out_free(&bad);
    wd_snap_out_free(&w);
}

/* Restore from records that are random bytes or a valid record with bytes
 * flipped: every connector answers 0 or an error, never crashes (the
 * sanitizer build checks the reads). */
static void test_random_records(void **state)
{
    (void)state;
    char dir[300], path[400], fsdir[400], in[400];
    make_dir(dir, sizeof dir, "fuzz");
    snprintf(path, sizeof path, "%s/out.json", dir);
    snprintf(fsdir, sizeof fsdir, "%s/parts", dir);
    snprintf(in, sizeof in, "%s/in.jsonl", dir);
    FILE *f = fopen(in, "w");
    for (int i = 0; i < 50; i++) fprintf(f, "{\"id\":%d}\n", i);
    fclose(f);
    /* a valid record of each: a source mid-stream, sinks with pending output */
    enum { NX, IMP, SF_SRC, SF_SINK, FS_SINK, KINDS };
    static const char *const table[KINDS] = {"nexmark", "impulse", "single_file",
                                             "single_file_sink", "filesystem"};
    wd_snap_out good[KINDS];
    wd_source *src[3] = {nx_open(0, 1, "1672531200000", NULL, NULL),
                         imp_open(0, 1, "1000", "1672531200000", "1e9"), NULL};
    assert_int_equal(sf_src_open(in, 0, 1, &src[2]), 0);
    for (int k = 0; k < 3; k++) {
        wd_batch *b = NULL;
        int64_t wait;
        while (src[k]->vt->next(src[k], &b, &wait, NULL) == WD_SRC_IDLE) {
        }
        if (b) wd_batch_release(b);
        snap_sources(&src[k], 1, &good[k], 1);
    }
    wd_sink *k1 = sf_sink_open(path, 0, 1, true);
    put(k1, 0, 5);
    snap(k1, &good[SF_SINK], 1, 0, 1);
    k1->vt->close(k1);
    wd_sink *k2 = fs_open(fsdir, 0, 1, true, "20");
    put(k2, 0, 5);
    snap(k2, &good[FS_SINK], 1, 0, 1);
    k2->vt->close(k2);

    uint64_t rnd = 0x9e3779b97f4a7c15ULL;
    for (int iter = 0; iter < 3000; iter++) {
        int kind = iter % KINDS;
        uint8_t buf[600];
        uint32_t len;
        rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
        if ((rnd >> 60) & 1) {
            len = (uint32_t)(rnd >> 33) % 120;
            for (uint32_t i = 0; i < len; i++) {
                rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
                buf[i] = (uint8_t)(rnd >> 56);
            }
        } else {
            const wd_snap_table *t = NULL;
            for (uint32_t i = 0; i < good[kind].ntables; i++)
                if (!strcmp(good[kind].tables[i].name, table[kind])) t = &good[kind].tables[i];
            assert_non_null(t);
            memcpy(&len, t->data.data + 4, 4);
            assert_true(len <= sizeof buf);
            memcpy(buf, t->data.data + 8, len);
            int flips = 1 + (int)((rnd >> 40) % 3);
            for (int j = 0; j < flips && len; j++) {
                rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
                buf[(rnd >> 33) % len] ^= (uint8_t)(1u << ((rnd >> 20) % 8));
            }
            if ((rnd >> 10) % 4 == 0 && len) len -= (uint32_t)((rnd >> 12) % len);
        }
        wd_snap_out w;
        wd_snap_out_init(&w, 1, 0, 1);
        assert_int_equal(wd_snap_table_begin(&w, table[kind], WD_SNAP_GLOBAL, NULL), 0);
        wd_snap_put(&w, 0, buf, len);
        wd_snap_in r;
        reader(&r, &w, 1, 0, 1);
        wd_error err = {0};
        int rc;
        if (kind <= SF_SRC) {
            wd_source *s = kind == NX    ? nx_open(0, 1, "1672531200000", NULL, NULL)
                           : kind == IMP ? imp_open(0, 1, "1000", "1672531200000", "1e9")
                                         : NULL;
            if (kind == SF_SRC) assert_int_equal(sf_src_open(in, 0, 1, &s), 0);
            rc = s->vt->restore(s, &r, &err);
            if (rc == 0) {
                /* whatever it resumed, it can produce a batch */
                wd_batch *b = NULL;
                int64_t wait;
                int n = s->vt->next(s, &b, &wait, &err);
                assert_true(n == WD_SRC_BATCH || n == WD_SRC_END || n == WD_SRC_IDLE || n < 0);
                if (b) wd_batch_release(b);
            }
            s->vt->close(s);
        } else {
            wd_sink *k = kind == SF_SINK ? sf_sink_open(path, 0, 1, true)
                                         : fs_open(fsdir, 0, 1, true, "20");
            rc = k->vt->restore(k, &r, &err);
            k->vt->close(k);
        }
        assert_true(rc <= 0);
        wd_snap_in_free(&r);
        wd_snap_out_free(&w);
    }
    for (int k = 0; k < 3; k++) src[k]->vt->close(src[k]);
    for (int k = 0; k < KINDS; k++) wd_snap_out_free(&good[k]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nexmark_rescale),
        cmocka_unit_test(test_nexmark_chain),
        cmocka_unit_test(test_impulse_rescale),
        cmocka_unit_test(test_impulse_wall_clock_base),
        cmocka_unit_test(test_source_corrupt_records),
        cmocka_unit_test(test_single_file_source_resume),
        cmocka_unit_test(test_single_file_sink_two_phase),
        cmocka_unit_test(test_single_file_sink_torn_append),
        cmocka_unit_test(test_single_file_sink_rescale),
        cmocka_unit_test(test_single_file_sink_corrupt),
        cmocka_unit_test(test_filesystem_two_phase),
        cmocka_unit_test(test_filesystem_rescale),
        cmocka_unit_test(test_filesystem_plain),
        cmocka_unit_test(test_filesystem_options_and_corrupt),
        cmocka_unit_test(test_random_records),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
