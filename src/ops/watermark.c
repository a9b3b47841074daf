/*
 * watermark.c — the watermark operator that follows every source.
 *
 * It evaluates the table's watermark expression (by default
 * `_timestamp - INTERVAL '1 second'`) over each batch, forwards the batch,
 * and then emits a watermark when the maximum over the rows seen so far
 * advanced: watermarks never go backwards.  Checkpoints keep that maximum
 * (restored at another parallelism: the smallest of the old subtasks').
 *
 * Exports: wd_op_watermark_vt.
 */
#include <stdbool.h>
#include <stdint.h>

#include "ops/op.h"
#include "state/snapshot.h"

typedef struct wm_state {
    wd_eval *ev;
    int64_t max;         /* highest watermark value computed so far */
    int64_t last_data;   /* monotonic time of the last batch */
    bool idle;           /* WD_WATERMARK_IDLE sent, no data since */
    wd_arena scratch;
} wm_state;

static int wm_open(wd_op *op, wd_error *err)
{
    wm_state *st = wd_calloc(1, sizeof *st);
    const wd_expr *e = op->node->wm_expr;
    st->ev = wd_eval_new(&e, 1);
    st->max = INT64_MIN;
    st->last_data = wd_mono_ns();
    wd_arena_init(&st->scratch, 0);
    op->state = st;
    return 0;
}

static void wm_close(wd_op *op)
{
    wm_state *st = op->state;
    if (!st) return;
    wd_eval_free(st->ev);
    wd_arena_free(&st->scratch);
    wd_free(st);
}

static int wm_batch(wd_op *op, uint32_t input, wd_batch *b, wd_error *err)
{
    wm_state *st = op->state;
    wd_col c;
    st->last_data = wd_mono_ns();
    st->idle = false;
    wd_arena_reset(&st->scratch);
    int rc = wd_eval_run(st->ev, 0, b, &st->scratch, &c, err);
    if (rc < 0) return rc;
    int64_t max = st->max;
    uint32_t n = (c.flags & WD_COL_CONST) ? 1 : b->nrows;
    const int64_t *v = c.data;
    for (uint32_t i = 0; i < n; i++)
        if (wd_col_valid(&c, i) && v[i] > max) max = v[i];
    rc = wd_op_emit(op, b, err);
    if (rc < 0) return rc;
    if (max > st->max) {
        st->max = max;
        rc = wd_op_emit_watermark(op, max, err);
    }
    return rc;
}

/* A source without data for idle_ns stops holding back the watermark of
 * what it feeds (Flink's idleness); its next batch makes it active again. */
static int wm_tick(wd_op *op, int64_t now_ns, wd_error *err)
{
    wm_state *st = op->state;
    int64_t idle = op->node->idle_ns;
    if (idle <= 0 || st->idle || wd_mono_ns() - st->last_data < idle) return 0;
    st->idle = true;
    return wd_op_emit_watermark(op, WD_WATERMARK_IDLE, err);
}

/* Checkpoints: one WD_SNAP_GLOBAL record, the maximum (INT64_MIN before
 * any row). */
#define WM_MAX "wm_max"

static int wm_snapshot(wd_op *op, wd_snap_out *w, wd_error *err)
{
    wm_state *st = op->state;
    int rc = wd_snap_table_begin(w, WM_MAX, WD_SNAP_GLOBAL, err);
    if (rc == 0) wd_snap_put(w, 0, &st->max, sizeof st->max);
    return rc;
}

/* This subtask's own maximum when the parallelism is unchanged, else the
 * smallest of the old subtasks' (never ahead of any of the sources whose
 * rows it may now read: a watermark may only be late, never early). */
static int wm_restore(wd_op *op, wd_snap_in *r, wd_error *err)
{
    wm_state *st = op->state;
    int rc = wd_snap_in_own_or_min(r, WM_MAX, &st->max, err);
    if (rc == 0)
        return wd_err(err, WD_ECORRUPT, "watermark: the checkpoint has no '%s' state", WM_MAX);
    return rc < 0 ? rc : 0;
}

const wd_op_vt wd_op_watermark_vt = {
    .name = "watermark",
    .open = wm_open,
    .on_batch = wm_batch,
    .on_tick = wm_tick,
    .snapshot = wm_snapshot,
    .restore = wm_restore,
    .close = wm_close,
};
