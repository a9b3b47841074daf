/*
 * coordinator.h — the checkpoint coordinator: the controller's core.
 *
 * It owns the epochs of one job.  Every `interval` it starts an epoch
 * through the inject hook (the runtime asks every source subtask to
 * record its position and send a barrier); every participating subtask
 * acknowledges the epoch with the files its snapshot wrote (or reports
 * that it could not write them); when every participant has acknowledged,
 * the coordinator writes the epoch's manifest — from then on the epoch is
 * complete and a restart resumes from it — calls the complete hook (the
 * runtime tells two-phase sinks to commit) and prunes old epochs.
 *
 * One epoch is in flight at a time; one that does not complete within the
 * timeout, or that a participant failed to write, is abandoned (logged)
 * and the last complete epoch stays the one to restore.  The coordinator
 * knows nothing of threads, queues or processes: the in-process runtime
 * and, later, the distributed controller drive it through the same calls.
 */
#ifndef WD_COORDINATOR_H
#define WD_COORDINATOR_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "state/checkpoint.h"
#include "state/store.h"

typedef struct wd_coord wd_coord;

typedef struct wd_coord_hooks {
    void *ctx;
    /* Start epoch `epoch`; with stop, sources produce nothing after it. */
    void (*inject)(void *ctx, uint64_t epoch, bool stop);
    /* Epoch `epoch` is complete (its manifest is durable). */
    void (*complete)(void *ctx, uint64_t epoch);
} wd_coord_hooks;

typedef struct wd_coord_opts {
    wd_store *store;              /* borrowed */
    const char *query;            /* fingerprint recorded in manifests */
    int64_t interval_ns;          /* between epochs; 0: only on request */
    int64_t timeout_ns;           /* an epoch older than this is abandoned (0: 10 min) */
    uint32_t keep;                /* complete epochs to keep (0: 3) */
    uint32_t participants;        /* acknowledgements that complete an epoch */
    const wd_ckpt_opinfo *ops;    /* the plan's operators, for manifests */
    uint32_t nops;
    uint64_t next_epoch;          /* the first epoch to start (last restored + 1) */
} wd_coord_opts;

int wd_coord_new(const wd_coord_opts *o, const wd_coord_hooks *h, wd_coord **out,
                 wd_error *err);
/* Start the periodic trigger (a thread).  Not needed for manual epochs. */
int wd_coord_start(wd_coord *c, wd_error *err);
/* Stop the trigger and free (an epoch in flight is abandoned). */
void wd_coord_free(wd_coord *c);

typedef enum wd_epoch_kind {
    WD_EPOCH_PERIODIC,
    WD_EPOCH_STOP,     /* sources produce nothing after this barrier */
    WD_EPOCH_FINISH,   /* every input has ended: the job's last epoch */
} wd_epoch_kind;

/* Start an epoch now; 0 when one is in flight or the job is stopping. */
uint64_t wd_coord_trigger(wd_coord *c, wd_epoch_kind kind);

/*
 * Participant `who` (0 … participants-1) has written its snapshot of
 * epoch: its files (taken over, files is left empty), the bytes of state
 * and how long the snapshot took on its thread.  Thread-safe; an ack of
 * an abandoned epoch is ignored.
 */
void wd_coord_ack(wd_coord *c, uint64_t epoch, uint32_t who, wd_ckpt_files *files,
                  uint64_t state_bytes, int64_t sync_ns);
/* Participant `who` could not write epoch: the epoch is abandoned. */
void wd_coord_fail(wd_coord *c, uint64_t epoch, uint32_t who, const wd_error *e);

/*
 * Take a last checkpoint of the given kind (STOP or FINISH) and wait for
 * it: the periodic trigger stops, an epoch in flight is waited for (up to
 * the timeout), then the last one starts.  Returns its epoch (> 0) when it
 * is complete; WD_EIO when it failed or timed out (err says why; the
 * previous complete epoch is what a restart resumes from).
 */
int64_t wd_coord_last(wd_coord *c, wd_epoch_kind kind, int64_t timeout_ns, wd_error *err);

/* Wait until epoch is complete (0), abandoned or the timeout passed (WD_EIO). */
int wd_coord_wait(wd_coord *c, uint64_t epoch, int64_t timeout_ns, wd_error *err);

/* The newest complete epoch (0: none yet). */
uint64_t wd_coord_last_complete(const wd_coord *c);

typedef struct wd_coord_stats {
    uint64_t completed, failed;   /* epochs */
    uint64_t last_epoch;
    uint64_t last_bytes;          /* files' bytes of the last complete epoch */
    uint64_t last_state_bytes;    /* uncompressed state */
    int64_t last_duration_ns;     /* start → manifest written */
    int64_t last_sync_ns;         /* the longest subtask's snapshot time */
    int64_t last_done_ns;         /* wall clock when it completed */
} wd_coord_stats;
void wd_coord_get_stats(wd_coord *c, wd_coord_stats *out);

#endif
