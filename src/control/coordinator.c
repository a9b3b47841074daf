/*
 * coordinator.c — the checkpoint coordinator (coordinator.h).
 *
 * One mutex guards everything; hooks are called without it.  The trigger
 * thread wakes every interval (or when asked to quit), starts an epoch
 * when none is in flight and abandons one that has run past the timeout.
 * The participant whose ack completes an epoch writes the manifest on its
 * own thread (an uploader, never a subtask's), then calls the complete
 * hook and prunes.
 *
 * Exports: wd_coord_new, wd_coord_start, wd_coord_free, wd_coord_trigger,
 * wd_coord_ack, wd_coord_fail, wd_coord_last, wd_coord_wait,
 * wd_coord_last_complete, wd_coord_get_stats.
 */
#include "control/coordinator.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/log.h"
#include "common/timeutil.h"

#define DEFAULT_TIMEOUT_NS (600 * WD_NS_PER_SEC)

struct wd_coord {
    wd_coord_opts o;
    wd_coord_hooks h;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t th;
    bool started, quit;
    bool last_requested;      /* STOP / FINISH asked: no more periodic epochs */

    uint64_t next_epoch;
    /* the epoch in flight (0: none) */
    uint64_t epoch;
    wd_epoch_kind kind;
    int64_t begun_ns, begun_wall_ms;
    bool *acked;
    uint32_t nacked;
    wd_ckpt_files files;
    uint64_t state_bytes;
    int64_t sync_ns;
    bool writing;             /* the manifest is being written */

    _Atomic uint64_t last_complete;
    uint64_t last_abandoned;
    wd_coord_stats stats;
};

int wd_coord_new(const wd_coord_opts *o, const wd_coord_hooks *h, wd_coord **out,
                 wd_error *err)
{
    *out = NULL;
    wd_coord *c = wd_calloc(1, sizeof *c);
    if (!c) return wd_err(err, WD_ENOMEM, "out of memory");
    c->o = *o;
    c->h = *h;
    if (!c->o.timeout_ns) c->o.timeout_ns = DEFAULT_TIMEOUT_NS;
    if (!c->o.keep) c->o.keep = 3;
    c->next_epoch = o->next_epoch ? o->next_epoch : 1;
    atomic_init(&c->last_complete, c->next_epoch - 1);
    c->acked = wd_calloc(o->participants ? o->participants : 1, sizeof *c->acked);
    if (!c->acked) {
        wd_free(c);
        return wd_err(err, WD_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&c->mu, NULL);
    wd_cond_init_mono(&c->cv);
    *out = c;
    return 0;
}

/* Forget the epoch in flight (under mu). */
static void abandon(wd_coord *c, const char *why)
{
    if (!c->epoch) return;
    wd_log(WD_LOG_WARN, "checkpoint %" PRIu64 " abandoned: %s%s", c->epoch, why,
           atomic_load(&c->last_complete) ? "" : " (no complete checkpoint yet)");
    c->last_abandoned = c->epoch;
    c->stats.failed++;
    c->epoch = 0;
    wd_ckpt_files_free(&c->files);
    pthread_cond_broadcast(&c->cv);
}

/* Start an epoch (under mu); the caller calls the inject hook after unlocking. */
static uint64_t begin(wd_coord *c, wd_epoch_kind kind)
{
    uint64_t e = c->next_epoch++;
    c->epoch = e;
    c->kind = kind;
    c->begun_ns = wd_mono_ns();
    c->begun_wall_ms = (wd_now_ns() / WD_NS_PER_MS);
    memset(c->acked, 0, c->o.participants * sizeof *c->acked);
    c->nacked = 0;
    c->state_bytes = 0;
    c->sync_ns = 0;
    return e;
}

uint64_t wd_coord_trigger(wd_coord *c, wd_epoch_kind kind)
{
    pthread_mutex_lock(&c->mu);
    uint64_t e = 0;
    if (!c->epoch && (kind != WD_EPOCH_PERIODIC || !c->last_requested)) e = begin(c, kind);
    pthread_mutex_unlock(&c->mu);
    if (e) c->h.inject(c->h.ctx, e, kind == WD_EPOCH_STOP);
    return e;
}

static void *trigger_main(void *arg)
{
    wd_coord *c = arg;
    pthread_mutex_lock(&c->mu);
    int64_t next = wd_mono_ns() + c->o.interval_ns;
    while (!c->quit) {
        int64_t now = wd_mono_ns();
        int64_t wait = next - now;
        if (c->epoch && c->begun_ns + c->o.timeout_ns - now < wait)
            wait = c->begun_ns + c->o.timeout_ns - now;
        if (wait > 0) {
            wd_cond_wait_ns(&c->cv, &c->mu, wait);
            continue;
        }
        now = wd_mono_ns();
        if (c->epoch && !c->writing && now - c->begun_ns >= c->o.timeout_ns)
            abandon(c, "not complete within the checkpoint timeout");
        if (now >= next) {
            next = now + c->o.interval_ns;
            if (!c->epoch && !c->last_requested) {
                uint64_t e = begin(c, WD_EPOCH_PERIODIC);
                pthread_mutex_unlock(&c->mu);
                c->h.inject(c->h.ctx, e, false);
                pthread_mutex_lock(&c->mu);
            }
        }
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

int wd_coord_start(wd_coord *c, wd_error *err)
{
    if (c->o.interval_ns <= 0) return 0;
    if (pthread_create(&c->th, NULL, trigger_main, c) != 0)
        return wd_err(err, WD_EINTERNAL, "cannot start the checkpoint coordinator");
    c->started = true;
    return 0;
}

void wd_coord_free(wd_coord *c)
{
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    c->quit = true;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    if (c->started) pthread_join(c->th, NULL);
    wd_ckpt_files_free(&c->files);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    wd_free(c->acked);
    wd_free(c);
}

/* Every participant has acknowledged c->epoch: write the manifest (mu is
 * released meanwhile; `writing` keeps the epoch from being abandoned). */
static void complete(wd_coord *c)
{
    uint64_t e = c->epoch;
    wd_ckpt_files files = c->files;
    memset(&c->files, 0, sizeof c->files);
    wd_ckpt_manifest m = {
        .epoch = e,
        .query = c->o.query,
        .finished = c->kind == WD_EPOCH_FINISH,
        .started_ms = c->begun_wall_ms,
        .duration_ms = (wd_mono_ns() - c->begun_ns) / WD_NS_PER_MS,
        .ops = c->o.ops,
        .nops = c->o.nops,
        .files = &files,
    };
    c->writing = true;
    pthread_mutex_unlock(&c->mu);
    wd_error err;
    wd_err_clear(&err);
    int rc = wd_ckpt_manifest_write(c->o.store, &m, &err);
    uint64_t bytes = 0;
    for (uint32_t i = 0; i < files.n; i++) bytes += files.bytes[i];
    wd_ckpt_files_free(&files);
    pthread_mutex_lock(&c->mu);
    c->writing = false;
    if (rc < 0) {
        abandon(c, err.msg);
        return;
    }
    int64_t dur = wd_mono_ns() - c->begun_ns;
    c->stats.completed++;
    c->stats.last_epoch = e;
    c->stats.last_bytes = bytes;
    c->stats.last_state_bytes = c->state_bytes;
    c->stats.last_duration_ns = dur;
    c->stats.last_sync_ns = c->sync_ns;
    c->stats.last_done_ns = wd_now_ns();
    atomic_store(&c->last_complete, e);
    c->epoch = 0;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    wd_log(WD_LOG_DEBUG,
           "checkpoint %" PRIu64 " complete: %.1f MB of state in %.1f MB of files, %" PRId64
           " ms (longest subtask snapshot %" PRId64 " ms)",
           e, (double)c->stats.last_state_bytes / 1e6, (double)bytes / 1e6,
           (int64_t)(dur / WD_NS_PER_MS), (int64_t)(c->stats.last_sync_ns / WD_NS_PER_MS));
    c->h.complete(c->h.ctx, e);
    wd_ckpt_prune(c->o.store, c->o.keep, e + 1);
    pthread_mutex_lock(&c->mu);
}

void wd_coord_ack(wd_coord *c, uint64_t epoch, uint32_t who, wd_ckpt_files *files,
                  uint64_t state_bytes, int64_t sync_ns)
{
    pthread_mutex_lock(&c->mu);
    if (epoch != c->epoch || who >= c->o.participants || c->acked[who]) {
        pthread_mutex_unlock(&c->mu);
        wd_ckpt_files_free(files);
        return;
    }
    if (wd_ckpt_files_take(&c->files, files) < 0) {
        wd_ckpt_files_free(files);
        abandon(c, "out of memory");
        pthread_mutex_unlock(&c->mu);
        return;
    }
    c->acked[who] = true;
    c->nacked++;
    c->state_bytes += state_bytes;
    if (sync_ns > c->sync_ns) c->sync_ns = sync_ns;
    if (c->nacked == c->o.participants) complete(c);
    pthread_mutex_unlock(&c->mu);
}

void wd_coord_fail(wd_coord *c, uint64_t epoch, uint32_t who, const wd_error *e)
{
    pthread_mutex_lock(&c->mu);
    if (epoch == c->epoch && !c->writing) abandon(c, e && e->code ? e->msg : "snapshot failed");
    pthread_mutex_unlock(&c->mu);
}

/* Wait (under mu) until epoch e is no longer in flight or the deadline. */
static void wait_done(wd_coord *c, uint64_t e, int64_t until)
{
    while (c->epoch == e && !c->quit) {
        int64_t left = until - wd_mono_ns();
        if (left <= 0) break;
        wd_cond_wait_ns(&c->cv, &c->mu, left);
    }
}

int64_t wd_coord_last(wd_coord *c, wd_epoch_kind kind, int64_t timeout_ns, wd_error *err)
{
    int64_t until = wd_mono_ns() + timeout_ns;
    pthread_mutex_lock(&c->mu);
    c->last_requested = true;
    if (c->epoch) wait_done(c, c->epoch, until);
    if (c->epoch && !c->writing) abandon(c, "superseded by the final checkpoint");
    while (c->writing) wait_done(c, c->epoch, until);
    uint64_t e = begin(c, kind);
    pthread_mutex_unlock(&c->mu);
    c->h.inject(c->h.ctx, e, kind == WD_EPOCH_STOP);
    int rc = wd_coord_wait(c, e, until - wd_mono_ns(), err);
    return rc < 0 ? rc : (int64_t)e;
}

int wd_coord_wait(wd_coord *c, uint64_t epoch, int64_t timeout_ns, wd_error *err)
{
    pthread_mutex_lock(&c->mu);
    wait_done(c, epoch, wd_mono_ns() + (timeout_ns > 0 ? timeout_ns : 0));
    bool done = atomic_load(&c->last_complete) >= epoch && c->last_abandoned != epoch;
    bool inflight = c->epoch == epoch;
    pthread_mutex_unlock(&c->mu);
    if (done) return 0;
    return wd_err(err, WD_EIO, "checkpoint %" PRIu64 " %s", epoch,
                  inflight ? "did not complete in time" : "failed");
}

uint64_t wd_coord_last_complete(const wd_coord *c) { return atomic_load(&c->last_complete); }

void wd_coord_get_stats(wd_coord *c, wd_coord_stats *out)
{
    pthread_mutex_lock(&c->mu);
    *out = c->stats;
    pthread_mutex_unlock(&c->mu);
}
