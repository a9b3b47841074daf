/*
 * runtime.h — running a dataflow graph in this process.
 *
 * wd_job_start fuses the graph into chains and starts one thread per
 * subtask of every chain.  Chains exchange Batch / Watermark / Barrier /
 * EndOfData messages through bounded queues (measured in rows, which is
 * what gives backpressure).  A subtask with several input channels takes
 * the minimum watermark over channels that are not idle and ends when
 * every channel has ended.  The job finishes when every subtask has ended
 * (bounded sources) or fails with the first error any subtask reports;
 * the other subtasks are then cancelled.
 */
#ifndef WD_RUNTIME_H
#define WD_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "plan/graph.h"

typedef struct wd_job wd_job;

struct wd_store;
struct wd_ckpt_files;

/*
 * One worker's part of a distributed job (control/worker.c sets it up).
 * Every worker plans the same graph and builds the same subtask table;
 * it runs the subtasks wd_worker_of gives it and reaches the others over
 * the data plane.  Checkpoints are coordinated by the controller: the
 * worker restores restore_epoch, reports its subtasks' snapshots through
 * ack/fail, and is told to inject and commit (wd_job_inject,
 * wd_job_commit).
 */
typedef struct wd_job_dist {
    uint32_t self, nworkers;
    uint64_t run;                 /* the controller's attempt number */
    int listen_fd;                /* this worker's data listener */
    const char *const *peers;     /* every worker's data address (host:port) */
    int64_t connect_timeout_ns;   /* for the whole data plane (0: 10 s) */
    uint64_t restore_epoch;       /* the epoch to restore (0: none) */
    void *ctx;
    void (*ack)(void *ctx, uint64_t epoch, uint32_t task, struct wd_ckpt_files *files,
                uint64_t state_bytes, int64_t sync_ns);
    void (*fail)(void *ctx, uint64_t epoch, uint32_t task, const wd_error *e);
} wd_job_dist;

/* The worker (of nworkers) that runs subtask s of a chain of parallelism p:
 * contiguous ranges, so forward edges between equal parallelisms stay in
 * one worker. */
static inline uint32_t wd_worker_of(uint32_t s, uint32_t p, uint32_t nworkers)
{
    return (uint32_t)((uint64_t)s * nworkers / p);
}

typedef struct wd_job_opts {
    uint32_t batch_rows;  /* rows per source batch (0: WD_BATCH_ROWS) */
    int64_t linger_ns;    /* max wait to fill a batch (0: 50 ms) */
    uint64_t queue_rows;  /* capacity of each input queue in rows (0: 65536) */
    /*
     * Checkpoints (none when store is NULL): the job restores the newest
     * complete epoch in the store (refusing one of another query unless
     * force), then takes an epoch every checkpoint_interval_ns (0: 10 s),
     * keeping the newest checkpoint_keep (0: 3).
     */
    struct wd_store *store;
    const char *query;    /* fingerprint of the query (recorded, compared) */
    bool force;
    int64_t checkpoint_interval_ns;
    uint32_t checkpoint_keep;
    const wd_job_dist *dist;  /* NULL: the whole job runs in this process */
} wd_job_opts;

/* Start running g (which must outlive the job). */
int wd_job_start(const wd_graph *g, const wd_job_opts *opts, wd_job **out, wd_error *err);

/*
 * Wait until the job finishes (0) or fails (the first error, with err
 * filled: message prefixed by the operator's name is the caller's choice).
 */
int wd_job_wait(wd_job *j, wd_error *err);

/* Ask every subtask to stop soon (SIGINT); wd_job_wait then returns WD_ESTOPPED
 * unless the job had already finished. */
void wd_job_cancel(wd_job *j);

/*
 * Stop after a final checkpoint (SIGINT / SIGTERM under checkpoints):
 * sources stop after the final barrier, the epoch completes, two-phase
 * sinks commit it, then the job is cancelled.  0 when the checkpoint is
 * complete (a restart resumes from it with nothing lost or repeated), or
 * WD_EIO with err saying why not (the job is cancelled either way).
 * Without checkpoints it is wd_job_cancel.
 */
int wd_job_stop_checkpoint(wd_job *j, int64_t timeout_ns, wd_error *err);

/* Distributed jobs: start epoch `epoch` at this worker's sources (and
 * acknowledge it for subtasks that have ended), as the controller asks. */
void wd_job_inject(wd_job *j, uint64_t epoch, bool stop);

/*
 * Epoch `epoch` is complete: this worker's subtasks commit it (two-phase
 * sinks).  With wait, return once every subtask has committed (0) or
 * timeout_ns passed (WD_EIO).
 */
int wd_job_commit(wd_job *j, uint64_t epoch, bool wait, int64_t timeout_ns, wd_error *err);

/* The epoch the job restored at start (0: none) and whether that epoch
 * had finished the job. */
uint64_t wd_job_restored_epoch(const wd_job *j, bool *finished);

/* Total rows received by sinks, rows dropped as bad data, late rows. */
typedef struct wd_job_stats {
    uint64_t source_rows;
    uint64_t sink_rows;
    uint64_t bad_rows_dropped;
    uint64_t late_rows_dropped;
} wd_job_stats;
void wd_job_get_stats(const wd_job *j, wd_job_stats *out);

/* ---- metrics (runtime_metrics.c) ---------------------------------------- */

/* wd_task_metrics.flags */
#define WD_TASK_SOURCE 1u /* the chain starts with a source */
#define WD_TASK_SINK 2u   /* the chain ends with a sink */
#define WD_TASK_EXITED 4u /* the subtask's thread has ended */

/*
 * The counters of one subtask, as read while the job runs.  A plain,
 * fixed-size struct without pointers: workers will send it to a
 * controller as it is.
 *   rows/batches/bytes_in   what entered the chain: popped from its input
 *                           queue, or read from its source
 *   rows/batches/bytes_out  what left it: sent to downstream subtasks, or
 *                           handed to its sink's connector
 *   late_dropped            rows behind the watermark dropped by its operators
 *   bad_dropped             rows its source dropped as bad data
 *   backpressure_ns         time spent waiting to push into full queues
 *   queue_rows, queue_cap   its input queue's fill and capacity in rows
 *                           (0, 0 for a source)
 *   watermark               the last watermark the chain passed on (a sink:
 *                           received); INT64_MIN when there is none yet
 */
typedef struct wd_task_metrics {
    char chain[64];      /* node names, head first, joined by '>' ("...": cut) */
    uint32_t chain_index, subtask, parallelism, flags;
    uint64_t rows_in, rows_out, bytes_in, bytes_out, batches_in, batches_out;
    uint64_t late_dropped, bad_dropped, backpressure_ns, queue_rows, queue_cap;
    int64_t watermark;
} wd_task_metrics;

/*
 * Fill out[0 .. min(n, cap)) with the counters of the job's n subtasks
 * (chain by chain, subtask by subtask; in a worker of a distributed job,
 * its own subtasks) and return n.  Safe while the job
 * runs; each counter is read once with a relaxed load, so the set is not
 * one instant's but every value is one the counter had.
 */
uint32_t wd_job_metrics(const wd_job *j, wd_task_metrics *out, uint32_t cap);

typedef enum wd_job_state {
    WD_JOB_RUNNING,
    WD_JOB_STOPPING, /* cancelled or stopping after a final checkpoint */
    WD_JOB_FINISHED, /* every subtask ended normally */
    WD_JOB_FAILED,
} wd_job_state;

/* The name of a state: "running", "stopping", "finished", "failed". */
const char *wd_job_state_name(wd_job_state s);

/* The job as a whole (plain, like wd_task_metrics). */
typedef struct wd_job_info {
    uint32_t state;             /* wd_job_state */
    uint32_t checkpointing;     /* 1: the job takes checkpoints */
    int64_t started_ns;         /* wall clock when it started */
    uint64_t ckpt_epoch;        /* newest complete epoch (0: none yet) */
    uint64_t ckpt_completed, ckpt_failed; /* epochs since the start */
    int64_t ckpt_duration_ns;   /* that epoch's: start → manifest written */
    int64_t ckpt_done_ns;       /* wall clock when it completed (0: unknown) */
    /* a distributed job: the controller's state ("Recovering", …; "" in one
     * process), its attempt and the restarts so far */
    char phase[16];
    uint32_t attempt, restarts;
} wd_job_info;

/* Fill *out; safe while the job runs. */
void wd_job_get_info(const wd_job *j, wd_job_info *out);

void wd_job_free(wd_job *j);

/* ---- key hashing (shuffles, keyed state) ------------------------------ */

/*
 * Hash rows 0..n of the key columns into hashes[] (xxHash3 with a fixed
 * seed, combined across columns; NULL hashes to a fixed value).  Stable
 * across processes and runs: state files and remote shuffles rely on it.
 */
void wd_hash_rows(const wd_col *keys, uint32_t nkeys, uint32_t n, uint64_t *hashes);

/*
 * The subtask owning hash h among p: range partitioning of the high 32 bits
 * of the hash space (the key hash snapshots record, state/snapshot.h, so
 * restored keyed state lands where the shuffle sends its keys).
 */
static inline uint32_t wd_hash_partition(uint64_t h, uint32_t p)
{
    return (uint32_t)(((h >> 32) * p) >> 32);
}

#endif
