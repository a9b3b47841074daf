/*
 * test_checkpoint.c — epochs in a store (state/checkpoint.h) and the
 * checkpoint coordinator (control/coordinator.h): manifests make epochs
 * complete, loading verifies files and falls back past damaged epochs,
 * another query's state is refused, key ranges select files on rescale,
 * and the coordinator completes, abandons and finishes epochs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>

#include <cmocka.h>

#include "common/alloc.h"
#include "control/coordinator.h"
#include "state/checkpoint.h"
#include "state/snapshot.h"
#include "state/store.h"

static char dir[64];

static int setup(void **state)
{
    strcpy(dir, "/tmp/wadi-ckpt-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static wd_store *open_store(void)
{
    wd_store *st = NULL;
    wd_error err = {0};
    assert_int_equal(wd_store_open(dir, &st, &err), 0);
    return st;
}

/* Write epoch e: operator 3 "agg" at parallelism 2, keyed records with
 * key hashes 0x10000000 * (i + 1), one global record per subtask. */
static void write_epoch(wd_store *st, uint64_t e, const char *query)
{
    wd_ckpt_files files = {0};
    wd_error err = {0};
    for (uint32_t s = 0; s < 2; s++) {
        wd_snap_out w;
        wd_snap_out_init(&w, e, s, 2);
        assert_int_equal(wd_snap_table_begin(&w, "groups", WD_SNAP_KEYED, &err), 0);
        for (uint32_t i = 0; i < 15; i++) {
            uint32_t kh = 0x10000000u * (i + 1);
            if (wd_khash_partition(kh, 2) != s) continue;
            uint64_t v = e * 100 + i;
            wd_snap_put(&w, kh, &v, sizeof v);
        }
        assert_int_equal(wd_snap_table_begin(&w, "pos", WD_SNAP_GLOBAL, &err), 0);
        uint64_t pos = e * 10 + s;
        wd_snap_put(&w, 0, &pos, sizeof pos);
        assert_int_equal(wd_ckpt_write_op(st, 3, "agg", &w, &files, &err), 0);
        wd_snap_out_free(&w);
    }
    wd_ckpt_opinfo ops[] = {{3, "agg", 2}};
    wd_ckpt_manifest m = {.epoch = e, .query = query, .ops = ops, .nops = 1, .files = &files};
    assert_int_equal(wd_ckpt_manifest_write(st, &m, &err), 0);
    wd_ckpt_files_free(&files);
}

/* Count the records subtask s of p restores, and sum their values. */
static void read_back(wd_ckpt_loaded *l, uint32_t s, uint32_t p, uint32_t *nkeyed,
                      uint64_t *sum, uint32_t *nglobal)
{
    wd_snap_in r;
    wd_error err = {0};
    assert_int_equal(wd_ckpt_loaded_reader(l, 3, "agg", s, p, &r, &err), 0);
    assert_int_equal(r.old_parallelism, 2);
    wd_snap_rec rec;
    *nkeyed = 0;
    *sum = 0;
    wd_snap_in_open(&r, "groups");
    int rc;
    while ((rc = wd_snap_in_next(&r, &rec, &err)) == 1) {
        uint64_t v;
        wd_rd rd;
        wd_rd_init(&rd, rec.data, rec.len);
        v = wd_rd_u64(&rd);
        assert_true(wd_rd_done(&rd));
        assert_int_equal(wd_khash_partition(rec.khash, p), s);
        (*nkeyed)++;
        *sum += v;
    }
    assert_int_equal(rc, 0);
    *nglobal = 0;
    wd_snap_in_open(&r, "pos");
    while ((rc = wd_snap_in_next(&r, &rec, &err)) == 1) (*nglobal)++;
    assert_int_equal(rc, 0);
    wd_snap_in_free(&r);
}

static void test_load_newest_and_rescale(void **state)
{
    wd_store *st = open_store();
    write_epoch(st, 1, "q1");
    write_epoch(st, 2, "q1");
    wd_ckpt_loaded *l = NULL;
    wd_error err = {0};
    assert_int_equal(wd_ckpt_load(st, "q1", false, &l, &err), 0);
    assert_non_null(l);
    assert_int_equal(wd_ckpt_loaded_epoch(l), 2);
    /* every key exactly once, whatever the parallelism */
    for (uint32_t p = 1; p <= 3; p++) {
        uint32_t total = 0, ng;
        uint64_t sum = 0;
        for (uint32_t s = 0; s < p; s++) {
            uint32_t nk;
            uint64_t sm;
            read_back(l, s, p, &nk, &sm, &ng);
            total += nk;
            sum += sm;
            assert_int_equal(ng, 2); /* every old subtask's global record */
        }
        assert_int_equal(total, 15);
        assert_int_equal(sum, 15 * 200 + 105);
    }
    /* a different operator name: the plan changed */
    wd_snap_in r;
    assert_int_equal(wd_ckpt_loaded_reader(l, 3, "join", 0, 1, &r, &err), WD_EINVALID);
    wd_snap_in_free(&r);
    wd_ckpt_loaded_free(l);
    wd_store_close(st);
}

/* A keyed table whose file holds no key of a subtask's range is still seen
 * (empty) by that subtask: "no keys here" is not "no table". */
static void test_keyed_table_out_of_range(void **state)
{
    wd_store *st = open_store();
    wd_error err = {0};
    wd_ckpt_files files = {0};
    wd_snap_out w;
    wd_snap_out_init(&w, 1, 0, 1);
    assert_int_equal(wd_snap_table_begin(&w, "groups", WD_SNAP_KEYED, &err), 0);
    uint64_t v = 7;
    wd_snap_put(&w, 0x10, &v, sizeof v); /* subtask 0's range at any parallelism */
    assert_int_equal(wd_ckpt_write_op(st, 3, "agg", &w, &files, &err), 0);
    wd_snap_out_free(&w);
    wd_ckpt_opinfo ops[] = {{3, "agg", 1}};
    wd_ckpt_manifest m = {.epoch = 1, .query = "q", .ops = ops, .nops = 1, .files = &files};
    assert_int_equal(wd_ckpt_manifest_write(st, &m, &err), 0);
    wd_ckpt_files_free(&files);
    wd_ckpt_loaded *l = NULL;
    assert_int_equal(wd_ckpt_load(st, "q", false, &l, &err), 0);
    for (uint32_t s = 0; s < 3; s++) {
        wd_snap_in r;
        assert_int_equal(wd_ckpt_loaded_reader(l, 3, "agg", s, 3, &r, &err), 0);
        assert_true(wd_snap_in_has(&r, "groups"));
        wd_snap_rec rec;
        uint32_t n = 0;
        wd_snap_in_open(&r, "groups");
        while (wd_snap_in_next(&r, &rec, &err) == 1) n++;
        assert_int_equal(n, s == 0 ? 1 : 0);
        wd_snap_in_free(&r);
    }
    wd_ckpt_loaded_free(l);
    wd_store_close(st);
}

static void test_incomplete_and_damaged_epochs(void **state)
{
    wd_store *st = open_store();
    write_epoch(st, 1, "q1");
    write_epoch(st, 2, "q1");
    wd_error err = {0};
    /* epoch 3: files but no manifest (a crash mid-checkpoint) */
    assert_int_equal(wd_store_put(st, "epoch-00000003/n3-s0-groups.snap", "x", 1, &err), 0);
    /* damage a file of epoch 2 */
    char path[128];
    snprintf(path, sizeof path, "%s/epoch-00000002/n3-s1-groups.snap", dir);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, -12, SEEK_END);
    fputc(0x5a, f);
    fclose(f);
    wd_ckpt_loaded *l = NULL;
    assert_int_equal(wd_ckpt_load(st, "q1", false, &l, &err), 0);
    assert_non_null(l);
    assert_int_equal(wd_ckpt_loaded_epoch(l), 1);
    wd_ckpt_loaded_free(l);
    /* the damaged and the incomplete epochs are gone */
    uint64_t *ep;
    uint32_t n;
    assert_int_equal(wd_ckpt_list(st, &ep, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ep[0], 1);
    wd_free(ep);
    void *data;
    size_t len;
    assert_int_equal(wd_store_get(st, "epoch-00000003/n3-s0-groups.snap", &data, &len, &err), 1);
    wd_store_close(st);
}

static void test_other_query_refused(void **state)
{
    wd_store *st = open_store();
    write_epoch(st, 1, "q1");
    wd_ckpt_loaded *l = NULL;
    wd_error err = {0};
    assert_int_equal(wd_ckpt_load(st, "q2", false, &l, &err), WD_EINVALID);
    assert_null(l);
    assert_non_null(strstr(err.msg, "another query"));
    assert_non_null(strstr(err.hint, "--force"));
    wd_err_clear(&err);
    assert_int_equal(wd_ckpt_load(st, "q2", true, &l, &err), 0);
    assert_null(l);
    uint64_t *ep;
    uint32_t n;
    assert_int_equal(wd_ckpt_list(st, &ep, &n, &err), 0);
    assert_int_equal(n, 0);
    wd_free(ep);
    wd_store_close(st);
}

/* ---- coordinator ------------------------------------------------------------ */

typedef struct hooks_seen {
    uint64_t injected, completed;
    bool stop;
} hooks_seen;

static void on_inject(void *ctx, uint64_t e, bool stop)
{
    hooks_seen *h = ctx;
    h->injected = e;
    h->stop = stop;
}

static void on_complete(void *ctx, uint64_t e)
{
    hooks_seen *h = ctx;
    h->completed = e;
}

static void ack(wd_coord *c, wd_store *st, uint64_t e, uint32_t who)
{
    wd_snap_out w;
    wd_error err = {0};
    wd_ckpt_files files = {0};
    wd_snap_out_init(&w, e, who, 2);
    assert_int_equal(wd_snap_table_begin(&w, "pos", WD_SNAP_GLOBAL, &err), 0);
    wd_snap_put(&w, 0, &e, sizeof e);
    assert_int_equal(wd_ckpt_write_op(st, 1, "src", &w, &files, &err), 0);
    wd_snap_out_free(&w);
    wd_coord_ack(c, e, who, &files, 8, 1000);
    assert_int_equal(files.n, 0);
}

static void test_coordinator(void **state)
{
    wd_store *st = open_store();
    hooks_seen h = {0};
    wd_ckpt_opinfo ops[] = {{1, "src", 2}};
    wd_coord_opts o = {.store = st, .query = "q", .participants = 2, .ops = ops, .nops = 1,
                       .keep = 2, .next_epoch = 5};
    wd_coord_hooks hk = {.ctx = &h, .inject = on_inject, .complete = on_complete};
    wd_coord *c = NULL;
    wd_error err = {0};
    assert_int_equal(wd_coord_new(&o, &hk, &c, &err), 0);
    assert_int_equal(wd_coord_last_complete(c), 4);

    uint64_t e = wd_coord_trigger(c, WD_EPOCH_PERIODIC);
    assert_int_equal(e, 5);
    assert_int_equal(h.injected, 5);
    assert_int_equal(wd_coord_trigger(c, WD_EPOCH_PERIODIC), 0); /* one in flight */
    ack(c, st, 5, 0);
    assert_int_equal(h.completed, 0);
    ack(c, st, 5, 0); /* a repeated ack changes nothing */
    assert_int_equal(h.completed, 0);
    ack(c, st, 5, 1);
    assert_int_equal(h.completed, 5);
    assert_int_equal(wd_coord_last_complete(c), 5);

    /* a failed participant abandons the epoch; the last complete one stays */
    e = wd_coord_trigger(c, WD_EPOCH_PERIODIC);
    assert_int_equal(e, 6);
    ack(c, st, 6, 0);
    wd_error fe = {0};
    wd_err(&fe, WD_EIO, "disk full");
    wd_coord_fail(c, 6, 1, &fe);
    ack(c, st, 6, 1); /* too late: ignored */
    assert_int_equal(wd_coord_last_complete(c), 5);
    assert_int_equal(wd_coord_wait(c, 6, 0, &err), WD_EIO);

    /* two more complete epochs: keep = 2 prunes epoch 5 */
    for (uint64_t k = 7; k <= 8; k++) {
        assert_int_equal(wd_coord_trigger(c, WD_EPOCH_PERIODIC), k);
        ack(c, st, k, 0);
        ack(c, st, k, 1);
    }
    uint64_t *ep;
    uint32_t n;
    assert_int_equal(wd_ckpt_list(st, &ep, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(ep[0], 8);
    assert_int_equal(ep[1], 7);
    wd_free(ep);
    wd_coord_stats stats;
    wd_coord_get_stats(c, &stats);
    assert_int_equal(stats.completed, 3);
    assert_int_equal(stats.failed, 1);
    wd_coord_free(c);
    wd_store_close(st);
}

/* wd_coord_last acknowledged from another thread, as an uploader would. */
typedef struct acker {
    wd_coord *c;
    wd_store *st;
    hooks_seen *h;
} acker;

static void *ack_main(void *arg)
{
    acker *a = arg;
    while (__atomic_load_n(&a->h->injected, __ATOMIC_ACQUIRE) == 0) usleep(1000);
    uint64_t e = a->h->injected;
    ack(a->c, a->st, e, 0);
    ack(a->c, a->st, e, 1);
    return NULL;
}

static void test_coordinator_stop(void **state)
{
    wd_store *st = open_store();
    hooks_seen h = {0};
    wd_ckpt_opinfo ops[] = {{1, "src", 2}};
    wd_coord_opts o = {.store = st, .query = "q", .participants = 2, .ops = ops, .nops = 1};
    wd_coord_hooks hk = {.ctx = &h, .inject = on_inject, .complete = on_complete};
    wd_coord *c = NULL;
    wd_error err = {0};
    assert_int_equal(wd_coord_new(&o, &hk, &c, &err), 0);
    acker a = {c, st, &h};
    pthread_t th;
    pthread_create(&th, NULL, ack_main, &a);
    int64_t e = wd_coord_last(c, WD_EPOCH_STOP, 5000000000LL, &err);
    pthread_join(th, NULL);
    assert_int_equal(e, 1);
    assert_true(h.stop);
    assert_int_equal(wd_coord_last_complete(c), 1);
    /* after the last epoch no periodic epoch starts */
    assert_int_equal(wd_coord_trigger(c, WD_EPOCH_PERIODIC), 0);
    wd_coord_free(c);

    /* nobody acknowledges: the stop times out with a clear error */
    memset(&h, 0, sizeof h);
    o.next_epoch = 2;
    assert_int_equal(wd_coord_new(&o, &hk, &c, &err), 0);
    e = wd_coord_last(c, WD_EPOCH_STOP, 100000000LL, &err);
    assert_int_equal(e, WD_EIO);
    assert_non_null(strstr(err.msg, "checkpoint 2"));
    wd_coord_free(c);
    wd_store_close(st);
}

/* A recycled snapshot keeps its tables' memory for the tables of the same
 * names, writes only the tables selected again, and holds the new records. */
static void test_snapshot_recycle(void **state)
{
    wd_snap_out w;
    wd_snap_out_init(&w, 1, 0, 1);
    wd_error err;
    wd_err_clear(&err);
    assert_int_equal(wd_snap_table_begin(&w, "big", WD_SNAP_KEYED, &err), 0);
    char rec[1000];
    memset(rec, 'x', sizeof rec);
    for (int i = 0; i < 100; i++) wd_snap_put(&w, (uint32_t)i, rec, sizeof rec);
    assert_int_equal(wd_snap_table_begin(&w, "small", WD_SNAP_GLOBAL, &err), 0);
    wd_snap_put(&w, 0, "s", 1);
    const char *big_mem = w.tables[0].data.data;
    size_t big_cap = w.tables[0].data.cap;

    wd_snap_out_recycle(&w, 2, 1, 2);
    assert_int_equal(w.ntables, 0);
    assert_int_equal(w.epoch, 2);
    assert_int_equal(w.subtask, 1);
    assert_int_equal(wd_snap_out_bytes(&w), 0);
    /* "small" first this time: each name gets its own old buffer back */
    assert_int_equal(wd_snap_table_begin(&w, "small", WD_SNAP_GLOBAL, &err), 0);
    wd_snap_put(&w, 0, "t", 1);
    assert_int_equal(wd_snap_table_begin(&w, "big", WD_SNAP_KEYED, &err), 0);
    wd_snap_put(&w, 7, rec, 10);
    assert_int_equal(w.ntables, 2);
    assert_ptr_equal(w.tables[1].data.data, big_mem);
    assert_int_equal(w.tables[1].data.cap, big_cap);
    assert_int_equal(w.tables[1].nrecs, 1);
    assert_int_equal(w.tables[0].nrecs, 1);
    assert_int_equal(wd_snap_out_bytes(&w), (4 + 4 + 1) + (4 + 4 + 10));

    /* a table not selected again is not written, its memory stays spare */
    wd_snap_out_recycle(&w, 3, 0, 1);
    assert_int_equal(wd_snap_table_begin(&w, "big", WD_SNAP_KEYED, &err), 0);
    assert_int_equal(w.ntables, 1);
    assert_int_equal(w.nspare, 1);
    wd_snap_out_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_load_newest_and_rescale, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keyed_table_out_of_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_incomplete_and_damaged_epochs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_query_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_coordinator, setup, teardown),
        cmocka_unit_test(test_snapshot_recycle),
        cmocka_unit_test_setup_teardown(test_coordinator_stop, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
