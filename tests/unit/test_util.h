/*
 * test_util.h — what several unit tests share: a seeded xorshift PRNG,
 * and taking and restoring an operator's snapshot as the runtime does
 * (epoch 7; every old subtask's snapshot offered to the new one).
 * Include after cmocka.h.
 */
#ifndef WD_TEST_UTIL_H
#define WD_TEST_UTIL_H

#include <stdint.h>

#include "ops/op.h"
#include "state/snapshot.h"

/* The next number of the xorshift64 sequence in *state (never 0). */
static inline uint64_t xorshift64(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

/* Snapshot op into o, failing the test on an error. */
static inline void op_snap(wd_op *op, wd_snap_out *o)
{
    wd_snap_out_init(o, 7, op->subtask, op->parallelism);
    wd_error err = {0};
    if (op->vt->snapshot(op, o, &err) != 0) fail_msg("snapshot: %s", err.msg);
}

/* Restore op (opened, subtask op->subtask of op->parallelism) from the
 * snapshots outs[0..nold) of the old subtasks; the restore's code. */
static inline int op_restore(wd_op *op, const wd_snap_out *outs, uint32_t nold, wd_error *err)
{
    wd_snap_in in;
    wd_snap_in_init(&in, 7, op->subtask, op->parallelism, nold);
    for (uint32_t i = 0; i < nold; i++) assert_int_equal(wd_snap_in_add_out(&in, &outs[i]), 0);
    int rc = op->vt->restore(op, &in, err);
    wd_snap_in_free(&in);
    return rc;
}

/* The same with the watermark set first, as the runtime does (the old
 * subtasks' smallest); failing the test when restore fails. */
static inline void op_restore_ok(wd_op *op, const wd_snap_out *outs, uint32_t nold, int64_t wm)
{
    wd_error err = {0};
    op->watermark = wm;
    int rc = op_restore(op, outs, nold, &err);
    if (rc != 0) fail_msg("restore failed: %d %s", rc, err.msg);
}

#endif
