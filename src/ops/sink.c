/*
 * sink.c — the operator at the end of every pipeline: hands batches to a
 * connector's sink (or to stdout for a bare SELECT) and flushes it when
 * the input ends.
 */
#include "ops/op.h"

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
    return s->vt->write(s, b, err);
}

static int sink_end(wd_op *op, wd_error *err)
{
    wd_sink *s = op->state;
    return s->vt->flush(s, err);
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
    .close = sink_close,
};
