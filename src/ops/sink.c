/*
 * sink.c — the operator at the end of every pipeline: hands batches to a
 * connector's sink (or to stdout for a bare SELECT) and flushes it when
 * the input ends (counting the bytes it writes as the operator's
 * bytes_out).  Under checkpoints it passes snapshot / commit / restore
 * to sinks that write two-phase; the flush at the end of input is then
 * left to the final checkpoint's commit.
 */
#include "ops/op.h"

#include <stdatomic.h>

#include "connectors/stdout.h"

static int sink_open(wd_op *op, wd_error *err)
{
    const wd_node *n = op->node;
    wd_sink_spec spec = {
        .schema = n->in_schemas[0],
        .opts = n->sink_conn ? &n->opts : NULL,
        .subtask = op->subtask,
        .parallelism = op->parallelism,
        .updating = n->updating,
        .two_phase = op->checkpointing,
    };
    wd_sink *s = NULL;
    int rc = n->sink_conn ? n->sink_conn->open_sink(&spec, &s, err)
                          : wd_stdout_sink_open(&spec, &s, err);
    if (rc < 0) return rc;
    op->state = s;
    return 0;
}

static int sink_batch(wd_op *op, uint32_t input, wd_batch *b, wd_error *err)
{
    wd_sink *s = op->state;
    atomic_fetch_add_explicit(&op->metrics.bytes_out, wd_batch_bytes(b), memory_order_relaxed);
    return s->vt->write(s, b, err);
}

static int sink_end(wd_op *op, wd_error *err)
{
    wd_sink *s = op->state;
    if (op->checkpointing && s->vt->snapshot) return 0;
    return s->vt->flush(s, err);
}

static int sink_snapshot(wd_op *op, struct wd_snap_out *w, wd_error *err)
{
    wd_sink *s = op->state;
    return s->vt->snapshot ? s->vt->snapshot(s, w, err) : s->vt->flush(s, err);
}

static int sink_commit(wd_op *op, uint64_t epoch, wd_error *err)
{
    wd_sink *s = op->state;
    return s->vt->commit ? s->vt->commit(s, epoch, err) : 0;
}

static int sink_restore(wd_op *op, struct wd_snap_in *r, wd_error *err)
{
    wd_sink *s = op->state;
    return s->vt->restore ? s->vt->restore(s, r, err) : 0;
}

static int sink_watermark(wd_op *op, int64_t wm, wd_error *err)
{
    return 0;
}

static void sink_close(wd_op *op)
{
    wd_sink *s = op->state;
    if (s) s->vt->close(s);
}

const wd_op_vt wd_op_sink_vt = {
    .name = "sink",
    .open = sink_open,
    .on_batch = sink_batch,
    .on_watermark = sink_watermark,
    .on_end = sink_end,
    .snapshot = sink_snapshot,
    .restore = sink_restore,
    .commit = sink_commit,
    .close = sink_close,
};
