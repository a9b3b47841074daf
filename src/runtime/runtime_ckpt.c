/*
 * runtime_ckpt.c — checkpoints of a job running in this process.
 *
 * The job drives a checkpoint coordinator (control/coordinator.h) whose
 * participants are its subtasks.  Starting epoch e (the inject hook) asks
 * every running source subtask to snapshot its chain and send barrier e
 * after its current batch; other subtasks snapshot when the barrier has
 * arrived on all their live channels (alignment, runtime.c).  A snapshot
 * copies the state of every operator of the chain into memory on the
 * subtask's thread (wd_snap_out: the "synchronous" part, a copy of the
 * operators' arrays) and hands it to the uploader thread, which encodes
 * and writes the snapshot files and acknowledges the epoch to the
 * coordinator.  When the epoch is complete the coordinator's complete hook
 * publishes it and each subtask commits its operators (two-phase sinks) on
 * its own thread at its next poll.
 *
 * A subtask whose input has ended takes a final snapshot and acknowledges
 * every later epoch with it: that state is consistent with any later cut,
 * since everything it will ever see has been seen.  When every subtask has
 * ended the job takes a last epoch (marked finished) and commits.
 *
 * Restore happens at start, after the operators are opened: the newest
 * verified epoch is loaded (state/checkpoint.h), each operator's
 * watermark is set from what it recorded, then its restore hook runs with
 * the records of its key range.
 *
 * Exports (runtime_int.h): wd_rt_ckpt_open, wd_rt_ckpt_start,
 * wd_rt_ckpt_free, wd_rt_snapshot, wd_rt_task_ended, wd_rt_poll,
 * wd_rt_finish, wd_rt_hold; (runtime.h) wd_job_stop_checkpoint,
 * wd_job_restored_epoch, wd_job_inject, wd_job_commit.
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "control/coordinator.h"
#include "runtime/runtime_int.h"
#include "state/checkpoint.h"
#include "state/snapshot.h"

#define WM_TABLE "wd_watermark"
#define DEFAULT_INTERVAL_NS (10 * WD_NS_PER_SEC)
#define FINISH_TIMEOUT_NS (300 * WD_NS_PER_SEC)

typedef struct rt_opsnap {
    uint32_t node;
    const char *name;
    wd_snap_out out;
} rt_opsnap;

/* The snapshot of one subtask's chain. */
typedef struct rt_snap {
    rt_opsnap *ops;
    uint32_t n;
    uint32_t inited;         /* ops[0..inited) hold memory (reused by take) */
    uint64_t bytes;
    int64_t sync_ns;
} rt_snap;

typedef struct upjob {
    struct upjob *next;
    uint64_t epoch;
    uint32_t who;
    rt_snap *snap;
    bool borrowed;           /* a task's final snapshot: not freed here */
} upjob;

typedef struct rt_uploader {
    wd_job *job;
    pthread_t th;
    bool started, quit;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    upjob *head, *tail;
} rt_uploader;


/* Whether the job takes checkpoints: its own coordinator, or the
 * controller's (a distributed job). */
static bool ckpt_on(const wd_job *j)
{
    return j->coord || (j->opts.dist && j->opts.store);
}

static void snap_free(rt_snap *s)
{
    if (!s) return;
    for (uint32_t i = 0; i < s->inited; i++) wd_snap_out_free(&s->ops[i].out);
    wd_free(s->ops);
    wd_free(s);
}

/* ---- the uploader ------------------------------------------------------------ */

static void upload(wd_job *j, upjob *u)
{
    wd_ckpt_files files = {0};
    wd_error err;
    wd_err_clear(&err);
    int rc = 0;
    for (uint32_t i = 0; i < u->snap->n && rc == 0; i++) {
        wd_snap_out o = u->snap->ops[i].out; /* shallow: this epoch's number */
        o.epoch = u->epoch;
        rc = wd_ckpt_write_op(j->opts.store, u->snap->ops[i].node, u->snap->ops[i].name, &o,
                              &files, &err);
    }
    const wd_job_dist *d = j->opts.dist;
    if (rc < 0) {
        wd_log(WD_LOG_ERROR, "checkpoint %" PRIu64 ": %s", u->epoch, err.msg);
        wd_ckpt_files_free(&files);
        if (d) d->fail(d->ctx, u->epoch, u->who, &err);
        else wd_coord_fail(j->coord, u->epoch, u->who, &err);
    } else if (d) {
        d->ack(d->ctx, u->epoch, u->who, &files, u->snap->bytes, u->snap->sync_ns);
        wd_ckpt_files_free(&files);
    } else {
        wd_coord_ack(j->coord, u->epoch, u->who, &files, u->snap->bytes, u->snap->sync_ns);
    }
}

static void *uploader_main(void *arg)
{
    rt_uploader *up = arg;
    pthread_mutex_lock(&up->mu);
    for (;;) {
        while (!up->head && !up->quit) pthread_cond_wait(&up->cv, &up->mu);
        if (!up->head) break;
        upjob *u = up->head;
        up->head = u->next;
        if (!up->head) up->tail = NULL;
        pthread_mutex_unlock(&up->mu);
        upload(up->job, u);
        pthread_mutex_lock(&up->mu);
        if (!u->borrowed) {
            /* its memory serves the subtask's next snapshot (take) */
            task *t = up->job->all[u->who];
            if (!t->spare) t->spare = u->snap;
            else snap_free(u->snap);
        }
        wd_free(u);
    }
    pthread_mutex_unlock(&up->mu);
    return NULL;
}

/* Queue snap for writing as epoch's snapshot of participant who. */
static int submit(wd_job *j, uint64_t epoch, uint32_t who, rt_snap *snap, bool borrowed)
{
    upjob *u = wd_calloc(1, sizeof *u);
    if (!u) return WD_ENOMEM;
    u->epoch = epoch;
    u->who = who;
    u->snap = snap;
    u->borrowed = borrowed;
    rt_uploader *up = j->up;
    pthread_mutex_lock(&up->mu);
    if (up->tail)
        up->tail->next = u;
    else
        up->head = u;
    up->tail = u;
    pthread_cond_signal(&up->cv);
    pthread_mutex_unlock(&up->mu);
    return 0;
}

/* ---- snapshots ------------------------------------------------------------------ */

/* Whether chain position k of t has state to snapshot. */
static bool has_state(const task *t, uint32_t k)
{
    if (k == 0 && t->is_source) return t->src && t->src->vt->snapshot;
    const wd_op *op = &t->ops[k];
    return k >= t->first && op->vt && op->vt->snapshot;
}

/* Copy the state of every operator of t's chain. */
static int take(task *t, uint64_t epoch, rt_snap **out, wd_error *err)
{
    int64_t t0 = wd_mono_ns();
    const wd_chain *ch = t->chain;
    /* the previous snapshot's memory, once written, if the uploader gave it back */
    pthread_mutex_lock(&t->job->up->mu);
    rt_snap *s = t->spare;
    t->spare = NULL;
    pthread_mutex_unlock(&t->job->up->mu);
    if (s) {
        s->n = 0;
        s->bytes = 0;
    } else {
        s = wd_calloc(1, sizeof *s);
        if (s) s->ops = wd_calloc(ch->nnodes, sizeof *s->ops);
    }
    if (!s || !s->ops) {
        snap_free(s);
        return wd_err(err, WD_ENOMEM, "out of memory");
    }
    for (uint32_t k = 0; k < ch->nnodes; k++) {
        if (!has_state(t, k)) continue;
        wd_op *op = &t->ops[k];
        rt_opsnap *o = &s->ops[s->n];
        o->node = op->node->id;
        o->name = op->node->name;
        if (s->n < s->inited) {
            wd_snap_out_recycle(&o->out, epoch, t->subtask, ch->parallelism);
        } else {
            wd_snap_out_init(&o->out, epoch, t->subtask, ch->parallelism);
            s->inited++;
        }
        s->n++;
        int rc = wd_snap_table_begin(&o->out, WM_TABLE, WD_SNAP_GLOBAL, err);
        if (rc == 0) {
            wd_snap_put(&o->out, 0, &op->watermark, sizeof op->watermark);
            rc = (k == 0 && t->is_source) ? t->src->vt->snapshot(t->src, &o->out, err)
                                          : op->vt->snapshot(op, &o->out, err);
        }
        if (rc < 0) {
            t->fail_op = op;
            snap_free(s);
            return rc;
        }
        s->bytes += wd_snap_out_bytes(&o->out);
    }
    s->sync_ns = wd_mono_ns() - t0;
    *out = s;
    return 0;
}

int wd_rt_snapshot(task *t, uint64_t epoch, wd_error *err)
{
    wd_job *j = t->job;
    if (!ckpt_on(j) || epoch <= t->acked_epoch) return 0;
    rt_snap *s;
    int rc = take(t, epoch, &s, err);
    if (rc < 0) return rc;
    t->acked_epoch = epoch;
    if (submit(j, epoch, t->index, s, false) < 0) {
        snap_free(s);
        return wd_err(err, WD_ENOMEM, "out of memory");
    }
    return 0;
}

int wd_rt_task_ended(task *t, wd_error *err)
{
    wd_job *j = t->job;
    if (!ckpt_on(j)) return 0;
    pthread_mutex_lock(&j->mu);
    uint64_t tag = j->inflight > t->acked_epoch ? j->inflight : j->inflight + 1;
    pthread_mutex_unlock(&j->mu);
    rt_snap *s;
    int rc = take(t, tag, &s, err);
    if (rc < 0) return rc;
    pthread_mutex_lock(&j->mu);
    t->final = s;
    t->ended = true;
    uint64_t e = j->inflight;
    if (e > t->acked_epoch) {
        t->acked_epoch = e;
        rc = submit(j, e, t->index, s, true);
    }
    pthread_mutex_unlock(&j->mu);
    return rc < 0 ? wd_err(err, rc, "out of memory") : 0;
}

int wd_rt_hold(task *t, const wd_msg *m)
{
    if (t->nheld == t->held_cap) {
        uint32_t cap = t->held_cap ? t->held_cap * 2 : 16;
        wd_msg *h = wd_realloc(t->held, cap * sizeof *h);
        if (!h) return WD_ENOMEM;
        t->held = h;
        t->held_cap = cap;
    }
    t->held[t->nheld++] = *m;
    return 0;
}

/* Commit epoch e on t's operators. */
static int commit_task(task *t, uint64_t e, wd_error *err)
{
    for (uint32_t k = t->first; k < t->chain->nnodes; k++) {
        wd_op *op = &t->ops[k];
        if (!op->vt || !op->vt->commit) continue;
        int rc = op->vt->commit(op, e, err);
        if (rc < 0) {
            t->fail_op = op;
            return rc;
        }
    }
    __atomic_store_n(&t->committed, e, __ATOMIC_RELEASE);
    return 0;
}

int wd_rt_poll(task *t, wd_error *err)
{
    wd_job *j = t->job;
    if (!ckpt_on(j)) return 0;
    uint64_t c = atomic_load_explicit(&j->committed, memory_order_acquire);
    if (c <= t->committed) return 0;
    return commit_task(t, c, err);
}

/* ---- coordinator hooks ------------------------------------------------------ */

void wd_job_inject(wd_job *j, uint64_t epoch, bool stop)
{
    pthread_mutex_lock(&j->mu);
    j->inflight = epoch;
    for (uint32_t i = 0; i < j->ntasks; i++) {
        task *t = j->all[i];
        if (t->remote) continue;
        if (t->ended) {
            t->acked_epoch = epoch;
            if (submit(j, epoch, t->index, t->final, true) < 0) {
                wd_error e;
                wd_err_clear(&e);
                wd_err(&e, WD_ENOMEM, "out of memory");
                if (j->opts.dist) j->opts.dist->fail(j->opts.dist->ctx, epoch, t->index, &e);
                else wd_coord_fail(j->coord, epoch, t->index, &e);
            }
        } else if (t->is_source) {
            atomic_store(&t->inject_stop, stop);
            atomic_store_explicit(&t->inject_epoch, epoch, memory_order_release);
        }
    }
    pthread_mutex_unlock(&j->mu);
}

static void hook_inject(void *ctx, uint64_t epoch, bool stop) { wd_job_inject(ctx, epoch, stop); }

static void hook_complete(void *ctx, uint64_t epoch)
{
    wd_job *j = ctx;
    atomic_store_explicit(&j->committed, epoch, memory_order_release);
}

/* ---- restore ----------------------------------------------------------------- */

static int restore_op(wd_job *j, task *t, uint32_t k, wd_error *err)
{
    wd_op *op = &t->ops[k];
    bool is_src = k == 0 && t->is_source;
    if (is_src ? !t->src->vt->restore : (k < t->first || !op->vt || !op->vt->restore)) return 0;
    wd_snap_in r;
    int rc = wd_ckpt_loaded_reader(j->loaded, op->node->id, op->node->name, t->subtask,
                                   t->chain->parallelism, &r, err);
    if (rc < 0 || r.nparts == 0) {
        wd_snap_in_free(&r);
        return rc;
    }
    /* the operator's watermark as it was (never ahead of any old subtask's) */
    int64_t wm = INT64_MIN;
    rc = wd_snap_in_own_or_min(&r, WM_TABLE, &wm, err);
    if (rc >= 0) {
        op->watermark = wm;
        atomic_store(&op->metrics.watermark, wm);
        rc = is_src ? t->src->vt->restore(t->src, &r, err) : op->vt->restore(op, &r, err);
    }
    wd_snap_in_free(&r);
    if (rc < 0 && err->code) {
        wd_error e = *err;
        wd_err_clear(err);
        wd_err(err, rc, "restoring checkpoint %" PRIu64 ": %s", wd_ckpt_loaded_epoch(j->loaded),
               e.msg);
    }
    return rc < 0 ? rc : 0;
}

int wd_rt_ckpt_open(wd_job *j, wd_error *err)
{
    if (!j->opts.store) return 0;
    for (uint32_t i = 0; i < j->ntasks; i++) {
        task *t = j->all[i];
        if (t->remote) continue;
        if (t->is_source && (!t->src->vt->snapshot || !t->src->vt->restore))
            return wd_err(err, WD_EUNSUPPORTED,
                          "%s: this source cannot resume from a checkpoint, so the job cannot "
                          "take checkpoints",
                          t->chain->nodes[0]->name);
        for (uint32_t k = t->first; k < t->chain->nnodes; k++) {
            const wd_op *op = &t->ops[k];
            if (op->vt && !op->vt->stateless && (!op->vt->snapshot || !op->vt->restore))
                return wd_err(err, WD_EUNSUPPORTED,
                              "%s: this operator cannot be checkpointed yet, so the job cannot "
                              "take checkpoints",
                              op->node->name);
        }
    }
    const wd_job_dist *d = j->opts.dist;
    int rc = wd_ckpt_load(j->opts.store, j->opts.query, j->opts.force, &j->loaded, err);
    if (rc < 0) return rc;
    uint64_t got = j->loaded ? wd_ckpt_loaded_epoch(j->loaded) : 0;
    if (d && got != d->restore_epoch)
        return wd_err(err, WD_EINVALID,
                      "the controller restores checkpoint %" PRIu64 ", but the newest in %s is %" PRIu64,
                      d->restore_epoch, wd_store_url(j->opts.store), got);
    if (j->loaded) {
        for (uint32_t i = 0; i < j->ntasks && rc == 0; i++)
            for (uint32_t k = 0; !j->all[i]->remote && k < j->all[i]->chain->nnodes && rc == 0; k++)
                rc = restore_op(j, j->all[i], k, err);
        if (rc < 0) return rc;
        wd_log(WD_LOG_INFO, "restored checkpoint %" PRIu64 " (%.1f MB) from %s%s",
               wd_ckpt_loaded_epoch(j->loaded), (double)wd_ckpt_loaded_bytes(j->loaded) / 1e6,
               wd_store_url(j->opts.store),
               wd_ckpt_loaded_finished(j->loaded) ? "; the job had already finished" : "");
        j->restored = wd_ckpt_loaded_epoch(j->loaded);
        j->restored_finished = wd_ckpt_loaded_finished(j->loaded);
        wd_ckpt_loaded_free(j->loaded); /* the operators hold their own copies now */
        j->loaded = NULL;
    }
    /* the operators as manifests record them */
    const wd_graph *g = j->g;
    j->opinfo = wd_arena_calloc(&j->arena, g->nnodes * sizeof *j->opinfo);
    if (!j->opinfo) return wd_err(err, WD_ENOMEM, "out of memory");
    for (uint32_t n = 0; n < g->nnodes; n++) {
        const wd_chain *ch = &j->chains.chains[j->chains.chain_of[n]];
        j->opinfo[n] = (wd_ckpt_opinfo){g->nodes[n]->id, g->nodes[n]->name, ch->parallelism};
    }
    j->nopinfo = g->nnodes;

    rt_uploader *up = wd_calloc(1, sizeof *up);
    if (!up) return wd_err(err, WD_ENOMEM, "out of memory");
    up->job = j;
    pthread_mutex_init(&up->mu, NULL);
    pthread_cond_init(&up->cv, NULL);
    j->up = up;
    if (pthread_create(&up->th, NULL, uploader_main, up) != 0)
        return wd_err(err, WD_EINTERNAL, "cannot start the checkpoint uploader");
    up->started = true;

    uint64_t restored = j->restored;
    atomic_store(&j->committed, restored);
    for (uint32_t i = 0; i < j->ntasks; i++) {
        j->all[i]->acked_epoch = restored;
        j->all[i]->committed = restored;
    }
    j->inflight = restored;
    if (d) return 0; /* the controller coordinates */
    wd_coord_opts co = {
        .store = j->opts.store,
        .query = j->opts.query,
        .interval_ns = j->opts.checkpoint_interval_ns ? j->opts.checkpoint_interval_ns
                                                      : DEFAULT_INTERVAL_NS,
        .keep = j->opts.checkpoint_keep,
        .participants = j->ntasks,
        .ops = j->opinfo,
        .nops = j->nopinfo,
        .next_epoch = restored + 1,
    };
    wd_coord_hooks h = {.ctx = j, .inject = hook_inject, .complete = hook_complete};
    return wd_coord_new(&co, &h, &j->coord, err);
}

int wd_rt_ckpt_start(wd_job *j, wd_error *err)
{
    return j->coord ? wd_coord_start(j->coord, err) : 0;
}

void wd_rt_ckpt_free(wd_job *j)
{
    /* the uploader finishes what it holds (it reports to the coordinator),
     * then the coordinator's trigger stops, then what it may still have
     * queued is dropped */
    rt_uploader *up = j->up;
    if (up) {
        pthread_mutex_lock(&up->mu);
        up->quit = true;
        pthread_cond_signal(&up->cv);
        pthread_mutex_unlock(&up->mu);
        if (up->started) pthread_join(up->th, NULL);
        up->started = false;
    }
    if (j->coord) {
        wd_coord_free(j->coord);
        j->coord = NULL;
    }
    if (up) {
        for (upjob *u = up->head, *n; u; u = n) {
            n = u->next;
            if (!u->borrowed) snap_free(u->snap);
            wd_free(u);
        }
        pthread_cond_destroy(&up->cv);
        pthread_mutex_destroy(&up->mu);
        wd_free(up);
        j->up = NULL;
    }
    for (uint32_t i = 0; i < j->ntasks; i++) {
        if (!j->all[i]) continue;
        snap_free(j->all[i]->final);
        j->all[i]->final = NULL;
        snap_free(j->all[i]->spare);
        j->all[i]->spare = NULL;
    }
    wd_ckpt_loaded_free(j->loaded);
    j->loaded = NULL;
}

int wd_rt_finish(wd_job *j, wd_error *err)
{
    int64_t e = wd_coord_last(j->coord, WD_EPOCH_FINISH, FINISH_TIMEOUT_NS, err);
    if (e < 0) return (int)e;
    return wd_job_commit(j, (uint64_t)e, true, FINISH_TIMEOUT_NS, err);
}

int wd_job_commit(wd_job *j, uint64_t e, bool wait, int64_t timeout_ns, wd_error *err)
{
    uint64_t c = atomic_load(&j->committed);
    while (c < e && !atomic_compare_exchange_weak(&j->committed, &c, e)) {}
    if (!wait) return 0;
    int64_t until = wd_mono_ns() + timeout_ns;
    /* every subtask commits on its thread; ones already gone commit here */
    for (;;) {
        bool all = true;
        for (uint32_t i = 0; i < j->ntasks; i++) {
            task *t = j->all[i];
            if (t->remote || __atomic_load_n(&t->committed, __ATOMIC_ACQUIRE) >= e) continue;
            if (atomic_load(&t->exited)) {
                int rc = commit_task(t, e, err);
                if (rc < 0) return rc;
            } else {
                all = false;
            }
        }
        if (all) return 0;
        if (wd_mono_ns() > until)
            return wd_err(err, WD_EIO, "checkpoint %" PRIu64 "'s output was not committed in time", e);
        struct timespec ts = {0, 5 * WD_NS_PER_MS};
        nanosleep(&ts, NULL);
    }
}

int wd_job_stop_checkpoint(wd_job *j, int64_t timeout_ns, wd_error *err)
{
    if (!j->coord) {
        wd_job_cancel(j);
        return 0;
    }
    int64_t until = wd_mono_ns() + timeout_ns;
    int64_t e = wd_coord_last(j->coord, WD_EPOCH_STOP, timeout_ns, err);
    int rc = e < 0 ? (int)e : wd_job_commit(j, (uint64_t)e, true, until - wd_mono_ns(), err);
    wd_job_cancel(j);
    if (rc == 0)
        wd_log(WD_LOG_INFO, "stopped after checkpoint %" PRId64 " in %s", e,
               wd_store_url(j->opts.store));
    return rc;
}

uint64_t wd_job_restored_epoch(const wd_job *j, bool *finished)
{
    if (finished) *finished = j->restored_finished;
    return j->restored;
}
