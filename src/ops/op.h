/*
 * op.h — the operator interface.
 *
 * An operator is a table of functions (wd_op_vt) plus a runtime instance
 * (wd_op) created per subtask from the immutable plan node.  The runtime
 * calls on_batch / on_watermark / on_end (and snapshot / restore / commit
 * for checkpoints); an operator passes
 * results on with wd_op_emit*, which calls the next operator of the chain
 * directly or hands the message to the chain's output router (queues to
 * downstream subtasks).  Sources are driven by the runtime through their
 * connector (connectors/connector.h) and feed the chain head.
 *
 * Batches given to on_batch are borrowed for the call; an operator that
 * keeps one retains it (batch.h).  Operators never block: backpressure is
 * applied by the runtime when it pushes into a full queue.
 */
#ifndef WD_OP_H
#define WD_OP_H

#include <stdbool.h>
#include <stdint.h>

#include "batch/batch.h"
#include "common/error.h"
#include "plan/graph.h"

typedef struct wd_op wd_op;
struct wd_snap_out;
struct wd_snap_in;

/*
 * A watermark value that means "this input has had no data for a while":
 * the receiver leaves the input out of its minimum until it sends again.
 * It bypasses operators' on_watermark (they never see it) and is forwarded.
 */
#define WD_WATERMARK_IDLE (INT64_MIN + 1)

/* Where the last operator of a chain sends its messages (runtime-owned). */
typedef struct wd_op_out {
    int (*batch)(void *ctx, wd_batch *b, wd_error *err);
    int (*watermark)(void *ctx, int64_t wm, wd_error *err);
    int (*barrier)(void *ctx, uint64_t epoch, wd_error *err);
    int (*end)(void *ctx, wd_error *err);
    void *ctx;
} wd_op_out;

typedef struct wd_op_vt {
    const char *name;
    /* Keeps no state between messages (calc, union): nothing to checkpoint.
     * An operator that is neither stateless nor has snapshot cannot run in
     * a checkpointed job. */
    bool stateless;
    /* Create runtime state (op->state). */
    int (*open)(wd_op *op, wd_error *err);
    /* A batch on logical input `input`. */
    int (*on_batch)(wd_op *op, uint32_t input, wd_batch *b, wd_error *err);
    /* The combined watermark (minimum over inputs) advanced to wm.  NULL: forward. */
    int (*on_watermark)(wd_op *op, int64_t wm, wd_error *err);
    /* Every input ended: flush what is pending (fire windows …), then the
     * runtime forwards the end.  NULL: nothing to flush. */
    int (*on_end)(wd_op *op, wd_error *err);
    /* Called periodically (~every 50 ms) on processing time.  NULL: none. */
    int (*on_tick)(wd_op *op, int64_t now_ns, wd_error *err);
    /*
     * Checkpoints (state/snapshot.h).  snapshot: write the operator's state
     * as it is between two messages, when a barrier (or the end of input)
     * passes; the runtime then forwards the barrier.  restore: after open,
     * before any message, from the tables of the restored epoch (already
     * filtered to this subtask's key range).  commit: the epoch is complete
     * (every subtask's snapshot is durable): a two-phase sink makes that
     * epoch's output visible.  NULL: stateless / nothing to commit.
     */
    int (*snapshot)(wd_op *op, struct wd_snap_out *w, wd_error *err);
    int (*restore)(wd_op *op, struct wd_snap_in *r, wd_error *err);
    int (*commit)(wd_op *op, uint64_t epoch, wd_error *err);
    void (*close)(wd_op *op);
} wd_op_vt;

/*
 * Counters of one operator instance, added per batch with relaxed atomics
 * and read by metrics while the job runs.  Bytes (wd_batch_bytes) are only
 * counted where batches cross the subtask's edge: bytes_in on the chain
 * head by the runtime, bytes_out by the last operator (wd_op_emit at the
 * end of a chain, a sink for what it writes).  watermark is the last one
 * the operator received; watermark_out the last one the end of a chain
 * passed on (INT64_MIN: none yet).
 */
typedef struct wd_op_metrics {
    _Atomic uint64_t rows_in, rows_out, batches_in, batches_out;
    _Atomic uint64_t bytes_in, bytes_out;
    _Atomic uint64_t late_dropped;
    _Atomic int64_t watermark, watermark_out;
} wd_op_metrics;

struct wd_op {
    const wd_op_vt *vt;
    const wd_node *node;     /* the plan node (immutable) */
    uint32_t subtask;
    uint32_t parallelism;
    wd_op *next;             /* next operator in the chain, or NULL */
    wd_op_out out;           /* used when next is NULL */
    void *state;             /* the operator's runtime state */
    int64_t watermark;       /* last watermark seen (INT64_MIN at start;
                                restored by the runtime before restore()) */
    bool checkpointing;      /* the job takes checkpoints: sinks write two-phase */
    wd_op_metrics metrics;
};

/* Pass a batch / watermark / barrier / end to what follows op. */
int wd_op_emit(wd_op *op, wd_batch *b, wd_error *err);
int wd_op_emit_watermark(wd_op *op, int64_t wm, wd_error *err);
int wd_op_emit_barrier(wd_op *op, uint64_t epoch, wd_error *err);
int wd_op_emit_end(wd_op *op, wd_error *err);

/* Deliver to op itself (runtime → chain head, and operator → next): these
 * call the vt function or do the default (forward) when it is NULL. */
int wd_op_push_batch(wd_op *op, uint32_t input, wd_batch *b, wd_error *err);
int wd_op_push_watermark(wd_op *op, int64_t wm, wd_error *err);
int wd_op_push_barrier(wd_op *op, uint64_t epoch, wd_error *err);
int wd_op_push_end(wd_op *op, wd_error *err);

/* Built-in operators. */
extern const wd_op_vt wd_op_calc_vt, wd_op_watermark_vt, wd_op_sink_vt, wd_op_union_vt;

#endif
