/*
 * checkpoint.h — epochs of a job in a checkpoint store.
 *
 * Layout in the store (store.h: a directory or s3://bucket/prefix):
 *
 *   epoch-00000007/n4-s1-groups.snap   one file per operator (plan node 4)
 *                                      × subtask (1) × table ("groups")
 *   epoch-00000007/_manifest.json      written last: the epoch is complete
 *
 * The manifest records the epoch, the query's fingerprint, each operator's
 * name and parallelism at that epoch, every file with its size, and
 * whether the job had finished (its input ended).  An epoch without a
 * manifest is incomplete and never read.
 *
 * Loading picks the newest complete epoch, reads and verifies every file
 * of it (snapfile.h checksums) before anything is restored, and falls back
 * to the previous complete epoch — with a log line saying why — when one
 * is damaged.  Restored state is therefore either a whole verified epoch
 * or nothing.
 */
#ifndef WD_CHECKPOINT_H
#define WD_CHECKPOINT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "state/snapshot.h"
#include "state/store.h"

/* Files written for one epoch by one or more subtasks. */
typedef struct wd_ckpt_files {
    char **keys;
    uint64_t *bytes;
    uint32_t n, cap;
} wd_ckpt_files;

void wd_ckpt_files_free(wd_ckpt_files *f);
/* Move every file of src to the end of dst (src is left empty). */
int wd_ckpt_files_take(wd_ckpt_files *dst, wd_ckpt_files *src);

/*
 * Write every table of w (operator `node_id` called name, subtask
 * w->subtask of w->parallelism, epoch w->epoch) as snapshot files; the
 * keys and sizes are appended to files.
 */
int wd_ckpt_write_op(wd_store *st, uint32_t node_id, const char *name, const wd_snap_out *w,
                     wd_ckpt_files *files, wd_error *err);

/* One operator of the plan, as the manifest records it. */
typedef struct wd_ckpt_opinfo {
    uint32_t node;
    const char *name;
    uint32_t parallelism;
} wd_ckpt_opinfo;

typedef struct wd_ckpt_manifest {
    uint64_t epoch;
    const char *query;        /* fingerprint of the query text */
    bool finished;            /* taken at the end of input */
    int64_t started_ms, duration_ms;  /* wall clock */
    const wd_ckpt_opinfo *ops;
    uint32_t nops;
    const wd_ckpt_files *files;
} wd_ckpt_manifest;

/* Write epoch m->epoch's manifest: from now on the epoch is complete. */
int wd_ckpt_manifest_write(wd_store *st, const wd_ckpt_manifest *m, wd_error *err);

/* Complete epochs in the store, newest first (*epochs wd_malloc'd). */
int wd_ckpt_list(wd_store *st, uint64_t **epochs, uint32_t *n, wd_error *err);

/*
 * Delete every epoch older than the newest `keep` complete ones, and every
 * incomplete epoch other than those above `keep_from` (which may still be
 * in flight).  Failures are logged, not returned: old files only cost space.
 */
void wd_ckpt_prune(wd_store *st, uint32_t keep, uint64_t keep_from);

/* ---- restoring -------------------------------------------------------------- */

typedef struct wd_ckpt_loaded wd_ckpt_loaded;

/*
 * Load the newest usable complete epoch: *out NULL when the store holds
 * none.  A query fingerprint different from the epoch's is refused
 * (WD_EINVALID, "the state in … belongs to another query") unless force,
 * which loads nothing.  Epochs above the loaded one (incomplete, or
 * damaged) are deleted, so that new epochs can reuse their numbers.
 */
int wd_ckpt_load(wd_store *st, const char *query, bool force, wd_ckpt_loaded **out,
                 wd_error *err);
void wd_ckpt_loaded_free(wd_ckpt_loaded *l);

uint64_t wd_ckpt_loaded_epoch(const wd_ckpt_loaded *l);
bool wd_ckpt_loaded_finished(const wd_ckpt_loaded *l);
uint64_t wd_ckpt_loaded_bytes(const wd_ckpt_loaded *l);

/*
 * The state of operator node_id (called name) for subtask `subtask` of
 * `parallelism`: r is initialised and given every table part that can hold
 * records of that subtask (keyed files whose key-hash range overlaps its
 * range, every global file); a keyed file outside the range is given empty,
 * so wd_snap_in_has still sees its table.  Returns 0 (r has no parts when the epoch has
 * no state for that operator), or WD_EINVALID when the node's name differs
 * (the plan changed).  The parts borrow l's memory.
 */
int wd_ckpt_loaded_reader(const wd_ckpt_loaded *l, uint32_t node_id, const char *name,
                          uint32_t subtask, uint32_t parallelism, wd_snap_in *r, wd_error *err);

#endif
