/*
 * runtime_int.h — what the files of src/runtime share beyond runtime.h:
 * the bounded message queue between chains.  Not an interface for other
 * modules.
 */
#ifndef WD_RUNTIME_INT_H
#define WD_RUNTIME_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "batch/batch.h"
#include "ops/op.h"

typedef enum wd_msg_kind {
    WD_MSG_BATCH,
    WD_MSG_WATERMARK,
    WD_MSG_BARRIER,
    WD_MSG_END,
} wd_msg_kind;

/* A message between chains.  A queued batch holds one reference, which the
 * consumer releases after use. */
typedef struct wd_msg {
    wd_msg_kind kind;
    uint32_t channel; /* sender's index among the receiving subtask's channels */
    uint32_t input;   /* logical input of the receiving chain's head node */
    wd_batch *batch;  /* WD_MSG_BATCH */
    int64_t wm;       /* WD_MSG_WATERMARK */
    uint64_t epoch;   /* WD_MSG_BARRIER */
} wd_msg;

/*
 * A bounded multi-producer single-consumer queue whose capacity is in rows.
 * A message other than a batch (and an empty batch) counts as one row, so
 * control messages are never starved; a message bigger than the capacity
 * is accepted when the queue is empty.  Waits are interruptible by
 * wd_queue_cancel and by *stop (checked at least every 50 ms).
 */
typedef struct wd_queue {
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    wd_msg *ring;
    uint32_t cap, head, count; /* ring slots, first slot, messages */
    uint64_t rows, cap_rows;
    bool cancelled;
    const _Atomic bool *stop;  /* optional external stop flag */
    uint64_t pushes_blocked;   /* pushes that had to wait (metrics, tests) */
} wd_queue;

/* Initialise q with a capacity of cap_rows rows (0: 65536); stop may be NULL.
 * Returns 0 or WD_ENOMEM. */
int wd_queue_init(wd_queue *q, uint64_t cap_rows, const _Atomic bool *stop);

/* Release every queued batch and free q's memory. */
void wd_queue_destroy(wd_queue *q);

/*
 * Append m, blocking while the queue is full.  On success the queue owns
 * m->batch's reference (the caller retained it for the queue).  Returns 0,
 * or WD_ESTOPPED when cancelled (the caller still owns the reference).
 */
int wd_queue_push(wd_queue *q, const wd_msg *m);

/*
 * Take the oldest message into *m, waiting at most timeout_ns.  Returns 1
 * with a message (the caller owns its batch reference), 0 on timeout, or
 * WD_ESTOPPED when cancelled.
 */
int wd_queue_pop(wd_queue *q, wd_msg *m, int64_t timeout_ns);

/* Wake every waiter and make further pushes and pops return WD_ESTOPPED. */
void wd_queue_cancel(wd_queue *q);

/* Rows currently queued (for metrics; racy by nature). */
uint64_t wd_queue_rows(wd_queue *q);

/* ---- shared with ops/op.c ---------------------------------------------- */

/* The innermost operator that failed on this thread since the last call. */
const wd_op *wd_op__take_failed(void);

#endif
