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
    bool remote;      /* came over the network: its rows return credit */
} wd_msg;

/* The rows a message counts for, in queues and credit: a batch its rows,
 * anything else (and an empty batch) one. */
static inline uint64_t wd_msg_rows(const wd_msg *m)
{
    return m->kind == WD_MSG_BATCH && m->batch && m->batch->nrows ? m->batch->nrows : 1;
}

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
 * Append m whatever the rows queued: for messages from a remote channel,
 * whose sender's credit already bounds them (runtime_net.c).  Returns 0,
 * WD_ESTOPPED or WD_ENOMEM.
 */
int wd_queue_push_credited(wd_queue *q, const wd_msg *m);

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

/*
 * From now on, the time wd_queue_push spends waiting for room on the
 * calling thread is added to *ns (relaxed); NULL stops counting.  A
 * subtask's thread points it at the subtask's backpressure counter, so
 * every push site is measured without passing the counter along.
 */
void wd_queue_count_waits(_Atomic uint64_t *ns);

/* ---- subtasks and jobs (runtime.c, runtime_ckpt.c) ---------------------- */

#include "common/alloc.h"
#include "common/buf.h"
#include "common/timeutil.h"
#include "connectors/connector.h"
#include "expr/expr.h"
#include "plan/graph.h"
#include "runtime/runtime.h"

#define TICK_NS (50 * WD_NS_PER_MS)

typedef struct task task;

/* One out edge of a subtask's chain, as seen by that subtask. */
typedef struct route {
    const wd_edge *edge;
    task **targets;      /* FORWARD: the one same-index subtask; else all */
    uint32_t ntargets;
    uint32_t channel;    /* this subtask's channel index at each target */
    wd_eval *ev;         /* SHUFFLE: the key expressions */
    uint32_t rr;         /* REBALANCE: next target */
    uint32_t *counts;    /* SHUFFLE scratch, ntargets each */
    uint32_t *offs;
} route;

struct task {
    wd_job *job;
    const wd_chain *chain;
    uint32_t subtask;
    uint32_t worker;     /* the worker that runs it (0 in one process) */
    bool remote;         /* it runs in another worker: only its table entry here */
    wd_op *ops;          /* chain->nnodes operators */
    bool *opened;
    uint32_t first;      /* first op with behaviour: 1 for source chains */
    bool is_source;
    wd_source *src;

    /* input (non-source chains) */
    wd_queue q;
    bool has_queue;
    uint32_t nchan;
    int64_t *ch_wm;
    bool *ch_ended;
    bool *ch_idle;       /* the channel said it is idle (WD_WATERMARK_IDLE) */
    bool *ch_barrier;
    task **ch_src;       /* the subtask that sends on each channel */
    uint64_t *ch_unacked;/* remote channels: rows popped, credit not yet returned */
    uint32_t nended, nbarrier;
    uint64_t barrier_epoch;

    /* output */
    route *routes;
    uint32_t nroutes;
    wd_arena scratch;    /* shuffle key columns, reset per batch */
    uint64_t *hashes;
    uint32_t *part, *idx;
    uint32_t scap;

    wd_buf netbuf;       /* the frame being sent to a remote subtask */
    const wd_op *fail_op; /* fallback for naming an error */
    pthread_t th;
    bool started;
    bool finished;       /* ended normally */
    _Atomic bool exited; /* the thread is done with the task's operators */
    _Atomic uint64_t dropped;
    _Atomic uint64_t backpressure_ns; /* pushes waiting for room (wd_queue_count_waits) */

    /* checkpoints (runtime_ckpt.c) */
    uint32_t index;              /* in job->all: the coordinator's participant */
    wd_msg *held;                /* aligning: messages of channels past the barrier */
    uint32_t nheld, held_cap;
    _Atomic uint64_t inject_epoch; /* sources: the epoch to start */
    _Atomic bool inject_stop;    /* … and then produce nothing more */
    bool producing_stopped;
    uint64_t acked_epoch;        /* the last epoch this task snapshotted */
    uint64_t committed;          /* the last epoch committed on its operators */
    bool ended;                  /* (job mu) its final snapshot is taken */
    struct rt_snap *final;       /* that snapshot, acknowledged for later epochs */
    struct rt_snap *spare;       /* (uploader mu) the last one written: its memory is reused */
};

struct wd_job {
    const wd_graph *g;
    wd_job_opts opts;
    wd_arena arena;
    wd_chains chains;
    task ***chain_tasks; /* per chain: its parallelism subtasks */
    uint32_t ntasks;
    task **all;          /* every task */
    uint32_t *chan_base; /* per edge: first channel index at the target */
    _Atomic bool stop;
    int64_t started_ns;  /* wall clock at wd_job_start */
    pthread_mutex_t mu;  /* error and sleeps */
    pthread_cond_t cv;
    bool failed;
    int rc;
    wd_error error;
    bool joined;

    /* checkpoints (runtime_ckpt.c); store NULL: none */
    struct wd_ckpt_loaded *loaded;   /* the state being restored at start */
    uint64_t restored;               /* its epoch (0: none) */
    bool restored_finished;
    struct wd_coord *coord;
    struct wd_ckpt_opinfo *opinfo;
    uint32_t nopinfo;
    uint64_t inflight;               /* (mu) the epoch last injected */
    bool finish_done;
    _Atomic uint64_t committed;      /* the newest complete epoch */
    struct rt_uploader *up;

    struct wd_dp *dp;                /* the data plane (distributed jobs) */
};

/* runtime.c */
void wd_rt_fail(wd_job *j, int rc, const wd_error *e, const char *name);

/* runtime_net.c: the data plane of a distributed job. */
int wd_dp_start(wd_job *j, wd_error *err);      /* connect every peer (before threads) */
void wd_dp_stop(wd_job *j);                     /* wake every wait: the job stops */
void wd_dp_free(wd_job *j);                     /* flush, close, free */
/* Send m (a batch's reference is taken over on success) to remote task to. */
int wd_dp_send(task *from, task *to, uint32_t chan, uint32_t edge, wd_msg *m);
/* Send rows idx[0..n) of b (or all of b when idx is NULL) to remote task to. */
int wd_dp_send_rows(task *from, task *to, uint32_t chan, uint32_t edge, const wd_batch *b,
                    const uint32_t *idx, uint32_t n);
/* t popped m from a remote channel: return credit to its sender in steps. */
void wd_dp_consumed(task *t, const wd_msg *m);


/* runtime_ckpt.c: checkpoints of a job in this process. */
int wd_rt_ckpt_open(wd_job *j, wd_error *err);    /* after open_task: restore, coordinator */
int wd_rt_ckpt_start(wd_job *j, wd_error *err);   /* after threads start: periodic epochs */
void wd_rt_ckpt_free(wd_job *j);
int wd_rt_snapshot(task *t, uint64_t epoch, wd_error *err);  /* barrier passed: snapshot, submit */
int wd_rt_task_ended(task *t, wd_error *err);     /* end of input: final snapshot */
int wd_rt_poll(task *t, wd_error *err);           /* commit completed epochs */
int wd_rt_finish(wd_job *j, wd_error *err);       /* all ended: last epoch, commit */
int wd_rt_hold(task *t, const wd_msg *m);         /* keep m until the barrier completes */

/* ---- shared with ops/op.c ---------------------------------------------- */

/* The innermost operator that failed on this thread since the last call. */
const wd_op *wd_op__take_failed(void);

#endif
