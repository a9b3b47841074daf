/*
 * op.c — message passing between the operators of a chain: emit (to the
 * next operator, or to the chain's output router) and push (deliver to an
 * operator: its vt function, or the default of forwarding), with metrics.
 *
 * When an operator's function fails, the first (innermost) failing
 * operator of the current thread is remembered so that the runtime can
 * prefix the error with its name (wd_op__take_failed, runtime_int.h).
 *
 * Exports: wd_op_emit, wd_op_emit_watermark, wd_op_emit_barrier,
 * wd_op_emit_end, wd_op_push_batch, wd_op_push_watermark,
 * wd_op_push_barrier, wd_op_push_end, wd_op__take_failed.
 */
#include "ops/op.h"

#include <stdatomic.h>

#include "common/error.h"

/* The innermost operator whose function failed on this thread (or NULL). */
static _Thread_local const wd_op *tl_failed;

static inline void note_failure(const wd_op *op)
{
    if (!tl_failed) tl_failed = op;
}

/* Return and clear the operator that failed first on this thread since
 * the last call (NULL when none): the runtime names it in the error. */
const wd_op *wd_op__take_failed(void)
{
    const wd_op *op = tl_failed;
    tl_failed = NULL;
    return op;
}

static inline void count(_Atomic uint64_t *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* ---- emit: what follows op ------------------------------------------------ */

/*
 * Pass batch b (borrowed for the call) to op->next as its input 0, or to
 * op->out.batch at the end of a chain (no-op without one).  Counts rows
 * and batches out, and bytes when b leaves the chain.  Returns the
 * receiver's result.
 */
int wd_op_emit(wd_op *op, wd_batch *b, wd_error *err)
{
    if (!b) return 0;
    count(&op->metrics.rows_out, b->nrows);
    count(&op->metrics.batches_out, 1);
    if (op->next) return wd_op_push_batch(op->next, 0, b, err);
    if (!op->out.batch) return 0;
    count(&op->metrics.bytes_out, wd_batch_bytes(b));
    return op->out.batch(op->out.ctx, b, err);
}

/* Pass watermark wm to what follows op (recorded as watermark_out when it
 * leaves the chain). */
int wd_op_emit_watermark(wd_op *op, int64_t wm, wd_error *err)
{
    if (op->next) return wd_op_push_watermark(op->next, wm, err);
    if (!op->out.watermark) return 0;
    if (wm != WD_WATERMARK_IDLE)
        atomic_store_explicit(&op->metrics.watermark_out, wm, memory_order_relaxed);
    return op->out.watermark(op->out.ctx, wm, err);
}

/* Pass checkpoint barrier epoch to what follows op. */
int wd_op_emit_barrier(wd_op *op, uint64_t epoch, wd_error *err)
{
    if (op->next) return wd_op_push_barrier(op->next, epoch, err);
    if (op->out.barrier) return op->out.barrier(op->out.ctx, epoch, err);
    return 0;
}

/* Pass end-of-data to what follows op. */
int wd_op_emit_end(wd_op *op, wd_error *err)
{
    if (op->next) return wd_op_push_end(op->next, err);
    if (op->out.end) return op->out.end(op->out.ctx, err);
    return 0;
}

/* ---- push: deliver to op ------------------------------------------------- */

/*
 * Deliver batch b (borrowed) on logical input `input` of op: vt->on_batch,
 * or forward it unchanged when op has none.  Counts rows and batches in.
 */
int wd_op_push_batch(wd_op *op, uint32_t input, wd_batch *b, wd_error *err)
{
    if (!b) return 0;
    count(&op->metrics.rows_in, b->nrows);
    count(&op->metrics.batches_in, 1);
    if (op->vt && op->vt->on_batch) {
        int rc = op->vt->on_batch(op, input, b, err);
        if (rc < 0) note_failure(op);
        return rc;
    }
    return wd_op_emit(op, b, err);
}

/*
 * Deliver watermark wm to op when it advances op->watermark (watermarks
 * are monotone; an older one is ignored).  op->watermark and the metric
 * are updated first, then vt->on_watermark runs (which forwards what it
 * wants), or the watermark is forwarded.
 */
int wd_op_push_watermark(wd_op *op, int64_t wm, wd_error *err)
{
    if (wm == WD_WATERMARK_IDLE) return wd_op_emit_watermark(op, wm, err);
    if (wm <= op->watermark) return 0;
    op->watermark = wm;
    atomic_store_explicit(&op->metrics.watermark, wm, memory_order_relaxed);
    if (op->vt && op->vt->on_watermark) {
        int rc = op->vt->on_watermark(op, wm, err);
        if (rc < 0) note_failure(op);
        return rc;
    }
    return wd_op_emit_watermark(op, wm, err);
}

/* Deliver checkpoint barrier epoch to op: forwarded (the runtime has
 * already snapshotted every operator of the chain, see snapshot in op.h). */
int wd_op_push_barrier(wd_op *op, uint64_t epoch, wd_error *err)
{
    return wd_op_emit_barrier(op, epoch, err);
}

/* Deliver end-of-data to op: vt->on_end flushes (when set), then the end
 * is forwarded. */
int wd_op_push_end(wd_op *op, wd_error *err)
{
    if (op->vt && op->vt->on_end) {
        int rc = op->vt->on_end(op, err);
        if (rc < 0) {
            note_failure(op);
            return rc;
        }
    }
    return wd_op_emit_end(op, err);
}
