/*
 * runtime.c — running a dataflow graph in this process (runtime.h).
 *
 * Threading model: the graph is fused into chains; every chain runs as
 * `parallelism` subtasks, one pthread each.  A subtask owns its operator
 * instances (wd_op, opened in wd_job_start, closed when the thread exits)
 * and, unless it runs a source, one bounded input queue (runtime_int.h)
 * fed by every upstream subtask that sends to it.  Nothing else is shared
 * between subtasks except the queues, the job's stop flag, its first
 * error (under the job mutex) and atomic metrics.
 *
 * Source subtasks loop on the connector's next(); other subtasks pop their
 * queue.  Each input channel (one upstream subtask on one edge) has its
 * own watermark and end flag: the subtask forwards the minimum watermark
 * over channels that have not ended when it advances, and ends when every
 * channel has ended.  The last operator of a chain hands its output to a
 * router (wd_op_out) that pushes into the downstream subtasks' queues:
 * FORWARD to the same subtask index, SHUFFLE by the hash of the edge's key
 * expressions (range partitioned), BROADCAST to all, REBALANCE round
 * robin per batch; watermarks, barriers and ends go to every subtask of
 * the edge.  Pushing into a full queue blocks: that is the backpressure.
 *
 * Every wait (queue push/pop, idle sleep) is bounded by 50 ms slices and
 * woken by wd_job_cancel, so a cancel stops every thread promptly.  The
 * first subtask to fail records its error, prefixed with the failing
 * operator's node name, and cancels the others.
 *
 * Exports: wd_job_start, wd_job_wait, wd_job_cancel, wd_job_get_stats,
 * wd_job_free.
 */
#include "runtime/runtime.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "batch/batch.h"
#include "common/alloc.h"
#include "common/timeutil.h"
#include "expr/expr.h"
#include "ops/op.h"
#include "runtime/runtime_int.h"

#define DEFAULT_LINGER_NS (50 * WD_NS_PER_MS)

/* ---- small helpers ------------------------------------------------------ */


static bool job_stopping(const wd_job *j)
{
    return atomic_load_explicit(&j->stop, memory_order_acquire);
}

/* Sleep up to ns, returning early when the job is cancelled. */
static void job_sleep(wd_job *j, int64_t ns)
{
    int64_t deadline = wd_mono_ns() + ns;
    pthread_mutex_lock(&j->mu);
    while (!job_stopping(j)) {
        int64_t left = deadline - wd_mono_ns();
        if (left <= 0) break;
        wd_cond_wait_ns(&j->cv, &j->mu, left > TICK_NS ? TICK_NS : left);
    }
    pthread_mutex_unlock(&j->mu);
}

/* Set the stop flag and wake every waiter. */
static void job_stop(wd_job *j)
{
    atomic_store_explicit(&j->stop, true, memory_order_release);
    wd_dp_stop(j);
    for (uint32_t i = 0; i < j->ntasks; i++)
        if (j->all[i]->has_queue) wd_queue_cancel(&j->all[i]->q);
    pthread_mutex_lock(&j->mu);
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
}

/* Copy e into dst with its message prefixed by name (unless it already is). */
static void error_named(wd_error *dst, const wd_error *e, int rc, const char *name)
{
    wd_err_clear(dst);
    const char *msg = e->code ? e->msg : wd_strerror(rc);
    size_t nl = name ? strlen(name) : 0;
    if (!name || (strncmp(msg, name, nl) == 0 && msg[nl] == ':'))
        wd_err_at(dst, rc, e->pos, "%s", msg);
    else
        wd_err_at(dst, rc, e->pos, "%s: %s", name, msg);
    if (e->code && e->hint[0]) wd_err_hint(dst, "%s", e->hint);
}

/* Record the first failure of the job and cancel everyone. */
void wd_rt_fail(wd_job *j, int rc, const wd_error *e, const char *name)
{
    pthread_mutex_lock(&j->mu);
    if (!j->failed) {
        j->failed = true;
        j->rc = rc;
        error_named(&j->error, e, rc, name);
    }
    pthread_mutex_unlock(&j->mu);
    job_stop(j);
}

/* ---- output routing ------------------------------------------------------- */

static uint32_t edge_index(const task *t, const route *r)
{
    return (uint32_t)(r->edge - t->job->g->edges);
}

/* Send m from t to subtask to: its queue, or the data plane when to runs
 * in another worker.  On success a batch's reference is taken over. */
static int send_msg(task *t, task *to, route *r, wd_msg *m)
{
    m->channel = r->channel;
    m->input = r->edge->to_input;
    if (to->remote) return wd_dp_send(t, to, r->channel, edge_index(t, r), m);
    return wd_queue_push(&to->q, m);
}

/* Send batch b (the caller's reference is kept; the queue gets its own). */
static int send_batch(task *t, task *to, route *r, wd_batch *b)
{
    if (to->remote) return wd_dp_send_rows(t, to, r->channel, edge_index(t, r), b, NULL, 0);
    wd_msg m = {.kind = WD_MSG_BATCH, .batch = b};
    wd_batch_retain(b);
    int rc = send_msg(t, to, r, &m);
    if (rc < 0) wd_batch_release(b);
    return rc;
}

/* Grow the shuffle scratch arrays to n rows. */
static int scratch_reserve(task *t, uint32_t n)
{
    if (n <= t->scap) return 0;
    uint32_t cap = t->scap ? t->scap : 1024;
    while (cap < n) cap *= 2;
    uint64_t *h = wd_realloc(t->hashes, (size_t)cap * sizeof *h);
    if (!h) return WD_ENOMEM;
    t->hashes = h;
    uint32_t *p = wd_realloc(t->part, (size_t)cap * sizeof *p);
    if (!p) return WD_ENOMEM;
    t->part = p;
    uint32_t *x = wd_realloc(t->idx, (size_t)cap * sizeof *x);
    if (!x) return WD_ENOMEM;
    t->idx = x;
    t->scap = cap;
    return 0;
}

static int route_shuffle(task *t, route *r, wd_batch *b, wd_error *err)
{
    uint32_t n = b->nrows, nt = r->ntargets;
    uint32_t nkeys = r->edge->nkeys;
    if (nt == 1) return send_batch(t, r->targets[0], r, b);
    int rc = scratch_reserve(t, n);
    if (rc < 0) return wd_err(err, rc, "shuffle: out of memory");
    wd_arena_reset(&t->scratch);
    wd_col *keys = nkeys ? wd_arena_calloc(&t->scratch, nkeys * sizeof *keys) : NULL;
    if (nkeys && !keys) return wd_err(err, WD_ENOMEM, "shuffle: out of memory");
    for (uint32_t k = 0; k < nkeys; k++) {
        rc = wd_eval_run(r->ev, k, b, &t->scratch, &keys[k], err);
        if (rc < 0) return rc;
    }
    wd_hash_rows(keys, nkeys, n, t->hashes);
    memset(r->counts, 0, nt * sizeof *r->counts);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t p = wd_hash_partition(t->hashes[i], nt);
        t->part[i] = p;
        r->counts[p]++;
    }
    for (uint32_t p = 0; p < nt; p++)
        if (r->counts[p] == n) return send_batch(t, r->targets[p], r, b);
    uint32_t off = 0;
    for (uint32_t p = 0; p < nt; p++) {
        r->offs[p] = off;
        off += r->counts[p];
    }
    for (uint32_t i = 0; i < n; i++) t->idx[r->offs[t->part[i]]++] = i;
    off = 0;
    for (uint32_t p = 0; p < nt; p++) {
        uint32_t c = r->counts[p];
        if (c == 0) continue;
        task *to = r->targets[p];
        if (to->remote) {
            /* encoded straight from b: no gather */
            rc = wd_dp_send_rows(t, to, r->channel, edge_index(t, r), b, t->idx + off, c);
            off += c;
            if (rc < 0) return rc;
            continue;
        }
        wd_batch *nb = wd_batch_gather(b, t->idx + off, c);
        off += c;
        if (!nb) return wd_err(err, WD_ENOMEM, "shuffle: out of memory");
        wd_msg m = {.kind = WD_MSG_BATCH, .batch = nb};
        rc = send_msg(t, to, r, &m);
        if (rc < 0) {
            wd_batch_release(nb);
            return rc;
        }
    }
    return 0;
}

static int out_batch(void *ctx, wd_batch *b, wd_error *err)
{
    task *t = ctx;
    if (b->nrows == 0) return 0;
    for (uint32_t i = 0; i < t->nroutes; i++) {
        route *r = &t->routes[i];
        int rc = 0;
        switch (r->edge->kind) {
        case WD_E_FORWARD:
            rc = send_batch(t, r->targets[0], r, b);
            break;
        case WD_E_SHUFFLE:
            rc = route_shuffle(t, r, b, err);
            break;
        case WD_E_BROADCAST:
            for (uint32_t k = 0; k < r->ntargets && rc == 0; k++)
                rc = send_batch(t, r->targets[k], r, b);
            break;
        case WD_E_REBALANCE:
            rc = send_batch(t, r->targets[r->rr], r, b);
            r->rr = (r->rr + 1) % r->ntargets;
            break;
        }
        if (rc < 0) return rc;
    }
    return 0;
}

/* Send a control message to every target of every route. */
static int out_control(task *t, wd_msg_kind kind, int64_t wm, uint64_t epoch)
{
    for (uint32_t i = 0; i < t->nroutes; i++) {
        route *r = &t->routes[i];
        for (uint32_t k = 0; k < r->ntargets; k++) {
            wd_msg m = {.kind = kind, .wm = wm, .epoch = epoch};
            int rc = send_msg(t, r->targets[k], r, &m);
            if (rc < 0) return rc;
        }
    }
    return 0;
}

static int out_watermark(void *ctx, int64_t wm, wd_error *err)
{
    return out_control(ctx, WD_MSG_WATERMARK, wm, 0);
}

static int out_barrier(void *ctx, uint64_t epoch, wd_error *err)
{
    return out_control(ctx, WD_MSG_BARRIER, 0, epoch);
}

static int out_end(void *ctx, wd_error *err) { return out_control(ctx, WD_MSG_END, 0, 0); }

/* ---- subtask loops ------------------------------------------------------ */

/* on_tick for every operator of the chain. */
static int tick(task *t, wd_error *err)
{
    int64_t now = wd_now_ns();
    for (uint32_t k = t->first; k < t->chain->nnodes; k++) {
        wd_op *op = &t->ops[k];
        if (!op->vt || !op->vt->on_tick) continue;
        int rc = op->vt->on_tick(op, now, err);
        if (rc < 0) {
            t->fail_op = op;
            return rc;
        }
    }
    return 0;
}

static int source_watermark(task *t, wd_error *err)
{
    if (!t->src->vt->watermark) return 0;
    int64_t wm = t->src->vt->watermark(t->src);
    wd_op *op = &t->ops[0];
    if (wm == INT64_MIN || wm <= op->watermark) return 0;
    op->watermark = wm;
    atomic_store_explicit(&op->metrics.watermark, wm, memory_order_relaxed);
    return wd_op_emit_watermark(op, wm, err);
}

/* A source: start the epoch the coordinator asked for, if any — snapshot
 * the chain, then send the barrier (after the last batch of the epoch). */
static int source_inject(task *t, wd_error *err)
{
    uint64_t e = atomic_load_explicit(&t->inject_epoch, memory_order_acquire);
    if (e <= t->acked_epoch) return 0;
    int rc = wd_rt_snapshot(t, e, err);
    if (rc == 0) rc = wd_op_emit_barrier(&t->ops[0], e, err);
    if (atomic_load(&t->inject_stop)) t->producing_stopped = true;
    return rc;
}

static int run_source(task *t, wd_error *err)
{
    wd_op *op = &t->ops[0];
    wd_source *s = t->src;
    int64_t next_tick = wd_mono_ns() + TICK_NS;
    for (;;) {
        if (job_stopping(t->job)) return WD_ESTOPPED;
        int rc = wd_rt_poll(t, err);
        if (rc == 0) rc = source_inject(t, err);
        if (rc < 0) return rc;
        if (t->producing_stopped) {
            /* stopped by a final checkpoint: wait for the cancel */
            job_sleep(t->job, TICK_NS);
            continue;
        }
        wd_batch *b = NULL;
        int64_t wait = 0;
        t->fail_op = op;
        int r = s->vt->next(s, &b, &wait, err);
        if (s->vt->dropped)
            atomic_store_explicit(&t->dropped, s->vt->dropped(s), memory_order_relaxed);
        if (r < 0) {
            if (b) wd_batch_release(b);
            return r;
        }
        switch (r) {
        case WD_SRC_BATCH:
            if (b) {
                atomic_fetch_add_explicit(&op->metrics.bytes_in, wd_batch_bytes(b),
                                          memory_order_relaxed);
                rc = wd_op_emit(op, b, err);
                wd_batch_release(b);
            }
            if (rc == 0) rc = source_watermark(t, err);
            break;
        case WD_SRC_IDLE:
            rc = source_watermark(t, err);
            break;
        case WD_SRC_END:
            if (b) wd_batch_release(b);
            rc = source_inject(t, err);
            if (rc == 0) rc = wd_op_emit_end(op, err);
            if (rc == 0) rc = wd_rt_task_ended(t, err);
            return rc;
        default:
            if (b) wd_batch_release(b);
            return wd_err(err, WD_EINTERNAL, "source returned unknown status %d", r);
        }
        if (rc < 0) return rc;
        int64_t now = wd_mono_ns();
        if (now >= next_tick) {
            rc = tick(t, err);
            if (rc < 0) return rc;
            next_tick = now + TICK_NS;
        }
        if (r == WD_SRC_IDLE) {
            if (wait <= 0) wait = WD_NS_PER_MS;
            int64_t until_tick = next_tick - wd_mono_ns();
            if (wait > until_tick) wait = until_tick > 0 ? until_tick : 0;
            if (wait > TICK_NS) wait = TICK_NS;
            if (wait > 0) job_sleep(t->job, wait);
        }
    }
}

/* Push the minimum watermark over live channels into the chain when it
 * advanced. */
static int advance_watermark(task *t, wd_error *err)
{
    int64_t min = INT64_MAX;
    bool any = false;
    for (uint32_t c = 0; c < t->nchan; c++) {
        if (t->ch_ended[c] || t->ch_idle[c]) continue;
        any = true;
        if (t->ch_wm[c] < min) min = t->ch_wm[c];
    }
    if (!any || min == INT64_MIN) return 0;
    if (min <= t->ops[0].watermark) return 0;
    return wd_op_push_watermark(&t->ops[0], min, err);
}

static int handle_msg(task *t, wd_msg *m, bool *done, wd_error *err);

/*
 * Aligned barriers: once a channel has delivered the barrier of an epoch,
 * its later messages are held (wd_rt_hold) until the barrier has arrived
 * on every live channel; then the chain is snapshotted, the barrier goes
 * on, and the held messages are handled in their order (they may hold the
 * next epoch's barrier, which starts the next alignment).
 */
static int check_barrier(task *t, bool *done, wd_error *err)
{
    if (t->nbarrier == 0) return 0;
    for (uint32_t c = 0; c < t->nchan; c++)
        if (!t->ch_ended[c] && !t->ch_barrier[c]) return 0;
    uint64_t epoch = t->barrier_epoch;
    memset(t->ch_barrier, 0, t->nchan * sizeof *t->ch_barrier);
    t->nbarrier = 0;
    int rc = wd_rt_snapshot(t, epoch, err);
    if (rc == 0) rc = wd_op_push_barrier(&t->ops[0], epoch, err);
    wd_msg *held = t->held;
    uint32_t n = t->nheld;
    t->held = NULL;
    t->nheld = t->held_cap = 0;
    uint32_t i = 0;
    for (; i < n && rc == 0; i++) rc = handle_msg(t, &held[i], done, err);
    for (; i < n; i++)
        if (held[i].kind == WD_MSG_BATCH) wd_batch_release(held[i].batch);
    wd_free(held);
    return rc;
}

/* Handle one message; *done is set when every channel has ended. */
static int handle_msg(task *t, wd_msg *m, bool *done, wd_error *err)
{
    wd_op *head = &t->ops[0];
    if (m->channel >= t->nchan) {
        if (m->kind == WD_MSG_BATCH && m->batch) wd_batch_release(m->batch);
        return wd_err(err, WD_EINTERNAL, "message on unknown channel %u", m->channel);
    }
    uint32_t c = m->channel;
    int rc = 0;
    if (t->ch_barrier[c]) {
        rc = wd_rt_hold(t, m);
        if (rc < 0) {
            if (m->kind == WD_MSG_BATCH) wd_batch_release(m->batch);
            return wd_err(err, rc, "out of memory");
        }
        return 0;
    }
    switch (m->kind) {
    case WD_MSG_BATCH:
        t->ch_idle[c] = false;
        atomic_fetch_add_explicit(&head->metrics.bytes_in, wd_batch_bytes(m->batch),
                                  memory_order_relaxed);
        rc = wd_op_push_batch(head, m->input, m->batch, err);
        wd_batch_release(m->batch);
        return rc;
    case WD_MSG_WATERMARK:
        if (t->ch_ended[c]) return 0;
        if (m->wm == WD_WATERMARK_IDLE) {
            /* an idle channel no longer holds the minimum back */
            t->ch_idle[c] = true;
            return advance_watermark(t, err);
        }
        t->ch_idle[c] = false;
        if (m->wm <= t->ch_wm[c]) return 0;
        t->ch_wm[c] = m->wm;
        return advance_watermark(t, err);
    case WD_MSG_BARRIER:
        if (t->ch_ended[c]) return 0;
        t->ch_barrier[c] = true;
        t->nbarrier++;
        t->barrier_epoch = m->epoch;
        return check_barrier(t, done, err);
    case WD_MSG_END:
        if (t->ch_ended[c]) return 0;
        t->ch_ended[c] = true;
        t->nended++;
        if (t->nended == t->nchan) {
            *done = true;
            rc = wd_op_push_end(head, err);
            if (rc == 0) rc = wd_rt_task_ended(t, err);
            return rc;
        }
        rc = advance_watermark(t, err);
        if (rc == 0) rc = check_barrier(t, done, err);
        return rc;
    }
    return 0;
}

static int run_stream(task *t, wd_error *err)
{
    t->fail_op = &t->ops[0];
    if (t->nchan == 0) {
        int rc = wd_op_push_end(&t->ops[0], err);
        return rc < 0 ? rc : wd_rt_task_ended(t, err);
    }
    int64_t next_tick = wd_mono_ns() + TICK_NS;
    bool done = false;
    while (!done) {
        wd_msg m;
        int r = wd_queue_pop(&t->q, &m, next_tick - wd_mono_ns());
        if (r < 0) return r;
        if (r == 1) {
            if (m.remote) wd_dp_consumed(t, &m);
            int rc = handle_msg(t, &m, &done, err);
            if (rc < 0) return rc;
        }
        if (!done) {
            int rc = wd_rt_poll(t, err);
            if (rc < 0) return rc;
        }
        int64_t now = wd_mono_ns();
        if (!done && now >= next_tick) {
            int rc = tick(t, err);
            if (rc < 0) return rc;
            next_tick = now + TICK_NS;
        }
    }
    return 0;
}

/* Close the task's operators and source (idempotent). */
static void task_close(task *t)
{
    for (uint32_t k = 0; k < t->chain->nnodes; k++) {
        if (!t->opened[k]) continue;
        t->opened[k] = false;
        if (t->ops[k].vt && t->ops[k].vt->close) t->ops[k].vt->close(&t->ops[k]);
    }
    if (t->src) {
        if (t->src->vt->close) t->src->vt->close(t->src);
        t->src = NULL;
    }
}

static void *task_main(void *arg)
{
    task *t = arg;
    wd_job *j = t->job;
    wd_error err;
    wd_err_clear(&err);
    (void)wd_op__take_failed();
    wd_queue_count_waits(&t->backpressure_ns);
    int rc = t->is_source ? run_source(t, &err) : run_stream(t, &err);
    const wd_op *failed = wd_op__take_failed();
    if (rc == 0) {
        t->finished = true;
    } else if (!(rc == WD_ESTOPPED && job_stopping(j))) {
        const wd_op *op = failed ? failed : t->fail_op;
        wd_rt_fail(j, rc, &err, op && op->node ? op->node->name : NULL);
    }
    /* under checkpoints the operators stay open for the final commit */
    if (!j->opts.store) task_close(t);
    atomic_store(&t->exited, true);
    return NULL;
}

/* ---- setup --------------------------------------------------------------- */

static int setup_channels(wd_job *j, wd_error *err)
{
    const wd_graph *g = j->g;
    j->chan_base = wd_arena_calloc(&j->arena, (g->nedges ? g->nedges : 1) * sizeof *j->chan_base);
    if (!j->chan_base) return wd_err(err, WD_ENOMEM, "out of memory");
    for (uint32_t c = 0; c < j->chains.n; c++) {
        const wd_chain *ch = &j->chains.chains[c];
        const wd_node *head = ch->nodes[0];
        uint32_t nchan = 0;
        for (uint32_t e = 0; e < g->nedges; e++) {
            const wd_edge *ed = &g->edges[e];
            if (ed->to != head->id) continue;
            if (ed->from >= g->nnodes)
                return wd_err(err, WD_EPLAN, "edge %u from unknown node %u", e, ed->from);
            if (head->kind == WD_N_SOURCE)
                return wd_err(err, WD_EPLAN, "source node %s has an input", head->name);
            const wd_chain *up = &j->chains.chains[j->chains.chain_of[ed->from]];
            if (up == ch)
                return wd_err(err, WD_EPLAN, "edge %s -> %s forms a cycle",
                              g->nodes[ed->from]->name, head->name);
            if (up->nodes[up->nnodes - 1]->id != ed->from)
                return wd_err(err, WD_EPLAN, "edge from %s leaves the middle of a chain",
                              g->nodes[ed->from]->name);
            j->chan_base[e] = nchan;
            if (ed->kind == WD_E_FORWARD) {
                if (up->parallelism != ch->parallelism)
                    return wd_err(err, WD_EPLAN,
                                  "forward edge %s -> %s joins parallelism %u to %u",
                                  g->nodes[ed->from]->name, head->name, up->parallelism,
                                  ch->parallelism);
                nchan += 1;
            } else {
                nchan += up->parallelism;
            }
        }
        for (uint32_t s = 0; s < ch->parallelism; s++) {
            task *t = j->chain_tasks[c][s];
            t->nchan = nchan;
            t->ch_src = wd_arena_calloc(&j->arena, (nchan ? nchan : 1) * sizeof *t->ch_src);
            if (!t->ch_src) return wd_err(err, WD_ENOMEM, "out of memory");
        }
        /* who sends on each channel */
        for (uint32_t e = 0; e < g->nedges; e++) {
            const wd_edge *ed = &g->edges[e];
            if (ed->to != head->id) continue;
            uint32_t uc = j->chains.chain_of[ed->from];
            for (uint32_t s = 0; s < ch->parallelism; s++) {
                task *t = j->chain_tasks[c][s];
                if (ed->kind == WD_E_FORWARD) {
                    t->ch_src[j->chan_base[e]] = j->chain_tasks[uc][s];
                } else {
                    for (uint32_t u = 0; u < j->chains.chains[uc].parallelism; u++)
                        t->ch_src[j->chan_base[e] + u] = j->chain_tasks[uc][u];
                }
            }
        }
    }
    return 0;
}

static int setup_task(wd_job *j, task *t, wd_error *err)
{
    const wd_graph *g = j->g;
    const wd_chain *ch = t->chain;
    uint32_t n = ch->nnodes;
    t->ops = wd_arena_calloc(&j->arena, n * sizeof *t->ops);
    t->opened = wd_arena_calloc(&j->arena, n * sizeof *t->opened);
    if (!t->ops || !t->opened) return wd_err(err, WD_ENOMEM, "out of memory");
    for (uint32_t k = 0; k < n; k++) {
        wd_op *op = &t->ops[k];
        op->node = ch->nodes[k];
        op->vt = op->node->vt;
        op->subtask = t->subtask;
        op->parallelism = ch->parallelism;
        op->next = k + 1 < n ? &t->ops[k + 1] : NULL;
        op->watermark = INT64_MIN;
        op->checkpointing = j->opts.store != NULL;
        atomic_store(&op->metrics.watermark, INT64_MIN);
        atomic_store(&op->metrics.watermark_out, INT64_MIN);
    }
    wd_op *last = &t->ops[n - 1];
    last->out = (wd_op_out){out_batch, out_watermark, out_barrier, out_end, t};
    t->is_source = ch->nodes[0]->kind == WD_N_SOURCE;
    t->first = t->is_source ? 1 : 0;
    wd_arena_init(&t->scratch, 0);

    /* routes */
    const wd_node *ln = ch->nodes[n - 1];
    uint32_t nr = wd_graph_out_edges(g, ln->id, NULL, 0);
    t->routes = wd_arena_calloc(&j->arena, (nr ? nr : 1) * sizeof *t->routes);
    if (!t->routes) return wd_err(err, WD_ENOMEM, "out of memory");
    for (uint32_t e = 0; e < g->nedges; e++) {
        const wd_edge *ed = &g->edges[e];
        if (ed->from != ln->id) continue;
        if (ed->to >= g->nnodes) return wd_err(err, WD_EPLAN, "edge %u to unknown node", e);
        uint32_t dc = j->chains.chain_of[ed->to];
        const wd_chain *down = &j->chains.chains[dc];
        if (down->nodes[0]->id != ed->to)
            return wd_err(err, WD_EPLAN, "edge %s -> %s enters the middle of a chain", ln->name,
                          g->nodes[ed->to]->name);
        route *r = &t->routes[t->nroutes++];
        r->edge = ed;
        if (ed->kind == WD_E_FORWARD) {
            r->targets = &j->chain_tasks[dc][t->subtask];
            r->ntargets = 1;
            r->channel = j->chan_base[e];
        } else {
            r->targets = j->chain_tasks[dc];
            r->ntargets = down->parallelism;
            r->channel = j->chan_base[e] + t->subtask;
        }
        if (ed->kind == WD_E_SHUFFLE) {
            r->counts = wd_arena_calloc(&j->arena, r->ntargets * sizeof *r->counts);
            r->offs = wd_arena_calloc(&j->arena, r->ntargets * sizeof *r->offs);
            if (!r->counts || !r->offs) return wd_err(err, WD_ENOMEM, "out of memory");
            if (ed->nkeys > 0) {
                r->ev = wd_eval_new(ed->keys, ed->nkeys);
                if (!r->ev)
                    return wd_err(err, WD_ENOMEM, "%s: cannot compile shuffle keys", ln->name);
            }
        }
    }

    /* input */
    if (!t->is_source) {
        int rc = wd_queue_init(&t->q, j->opts.queue_rows, &j->stop);
        if (rc < 0) return wd_err(err, rc, "out of memory");
        t->has_queue = true;
    }
    return 0;
}

/* Per-channel state, once nchan is known. */
static int setup_inputs(wd_job *j, task *t, wd_error *err)
{
    if (t->is_source || t->nchan == 0) return 0;
    t->ch_wm = wd_arena_alloc(&j->arena, t->nchan * sizeof *t->ch_wm);
    t->ch_ended = wd_arena_calloc(&j->arena, t->nchan * sizeof *t->ch_ended);
    t->ch_idle = wd_arena_calloc(&j->arena, t->nchan * sizeof *t->ch_idle);
    t->ch_barrier = wd_arena_calloc(&j->arena, t->nchan * sizeof *t->ch_barrier);
    t->ch_unacked = wd_arena_calloc(&j->arena, t->nchan * sizeof *t->ch_unacked);
    if (!t->ch_wm || !t->ch_ended || !t->ch_idle || !t->ch_barrier || !t->ch_unacked)
        return wd_err(err, WD_ENOMEM, "out of memory");
    for (uint32_t c = 0; c < t->nchan; c++) t->ch_wm[c] = INT64_MIN;
    return 0;
}

static int open_task(wd_job *j, task *t, wd_error *err)
{
    if (t->is_source) {
        const wd_node *sn = t->chain->nodes[0];
        if (!sn->conn || !sn->conn->open_source)
            return wd_err(err, WD_EPLAN, "%s: connector cannot be read", sn->name);
        wd_source_spec spec = {
            .schema = sn->out_schema,
            .opts = &sn->opts,
            .subtask = t->subtask,
            .parallelism = t->chain->parallelism,
            .needed = sn->needed,
            .batch_rows = j->opts.batch_rows,
            .linger_ns = j->opts.linger_ns,
        };
        wd_error e;
        wd_err_clear(&e);
        int rc = sn->conn->open_source(&spec, &t->src, &e);
        if (rc < 0 || !t->src) {
            t->src = NULL;
            if (rc >= 0) rc = WD_EINTERNAL;
            error_named(err, &e, rc, sn->name);
            return rc;
        }
    }
    for (uint32_t k = t->first; k < t->chain->nnodes; k++) {
        wd_op *op = &t->ops[k];
        if (!op->vt || !op->vt->open) {
            t->opened[k] = true;
            continue;
        }
        wd_error e;
        wd_err_clear(&e);
        int rc = op->vt->open(op, &e);
        if (rc < 0) {
            error_named(err, &e, rc, op->node->name);
            return rc;
        }
        t->opened[k] = true;
    }
    return 0;
}

static void job_destroy(wd_job *j)
{
    wd_dp_free(j);
    wd_rt_ckpt_free(j);
    for (uint32_t i = 0; i < j->ntasks; i++) {
        task *t = j->all[i];
        if (!t || t->remote) continue;
        wd_buf_free(&t->netbuf);
        for (uint32_t k = 0; k < t->nheld; k++)
            if (t->held[k].kind == WD_MSG_BATCH) wd_batch_release(t->held[k].batch);
        wd_free(t->held);
        if (t->ops && t->opened) task_close(t);
        for (uint32_t r = 0; r < t->nroutes; r++)
            if (t->routes[r].ev) wd_eval_free(t->routes[r].ev);
        if (t->has_queue) wd_queue_destroy(&t->q);
        wd_free(t->hashes);
        wd_free(t->part);
        wd_free(t->idx);
        wd_arena_free(&t->scratch);
    }
    pthread_cond_destroy(&j->cv);
    pthread_mutex_destroy(&j->mu);
    wd_arena_free(&j->arena);
    wd_free(j);
}

static void join_all(wd_job *j)
{
    if (j->joined) return;
    for (uint32_t i = 0; i < j->ntasks; i++)
        if (j->all[i]->started) pthread_join(j->all[i]->th, NULL);
    j->joined = true;
}

/*
 * Start running g (which must outlive the job): fuse it into chains,
 * create and open every subtask's operators and sources (errors here are
 * returned directly, prefixed with the node's name), then start one thread
 * per subtask.  opts may be NULL for the defaults.  On success *out is the
 * job, to be waited for and freed by the caller.
 */
int wd_job_start(const wd_graph *g, const wd_job_opts *opts, wd_job **out, wd_error *err)
{
    *out = NULL;
    if (!g || g->nnodes == 0) return wd_err(err, WD_EPLAN, "empty dataflow graph");
    wd_job *j = wd_calloc(1, sizeof *j);
    if (!j) return wd_err(err, WD_ENOMEM, "out of memory");
    j->g = g;
    if (opts) j->opts = *opts;
    if (!j->opts.batch_rows) j->opts.batch_rows = WD_BATCH_ROWS;
    if (!j->opts.linger_ns) j->opts.linger_ns = DEFAULT_LINGER_NS;
    if (!j->opts.queue_rows) j->opts.queue_rows = 65536;
    atomic_init(&j->stop, false);
    j->started_ns = wd_now_ns();
    wd_arena_init(&j->arena, 0);
    pthread_mutex_init(&j->mu, NULL);
    wd_cond_init_mono(&j->cv);
    j->joined = true; /* nothing to join until threads start */

    int rc = 0;
    wd_graph_chains_in(g, &j->arena, &j->chains);
    uint32_t covered = 0;
    for (uint32_t c = 0; c < j->chains.n; c++) covered += j->chains.chains[c].nnodes;
    if (j->chains.n == 0 || covered != g->nnodes) {
        rc = wd_err(err, WD_EPLAN, "dataflow graph has a cycle");
        goto fail;
    }
    j->chain_tasks = wd_arena_calloc(&j->arena, j->chains.n * sizeof *j->chain_tasks);
    uint32_t ntasks = 0;
    for (uint32_t c = 0; c < j->chains.n; c++) ntasks += j->chains.chains[c].parallelism;
    j->all = wd_arena_calloc(&j->arena, ntasks * sizeof *j->all);
    if (!j->chain_tasks || !j->all) {
        rc = wd_err(err, WD_ENOMEM, "out of memory");
        goto fail;
    }
    for (uint32_t c = 0; c < j->chains.n; c++) {
        const wd_chain *ch = &j->chains.chains[c];
        j->chain_tasks[c] = wd_arena_calloc(&j->arena, ch->parallelism * sizeof(task *));
        if (!j->chain_tasks[c]) {
            rc = wd_err(err, WD_ENOMEM, "out of memory");
            goto fail;
        }
        for (uint32_t s = 0; s < ch->parallelism; s++) {
            task *t = wd_arena_calloc(&j->arena, sizeof *t);
            if (!t) {
                rc = wd_err(err, WD_ENOMEM, "out of memory");
                goto fail;
            }
            t->job = j;
            t->chain = ch;
            t->subtask = s;
            t->index = j->ntasks;
            atomic_init(&t->dropped, 0);
            if (j->opts.dist) {
                t->worker = wd_worker_of(s, ch->parallelism, j->opts.dist->nworkers);
                t->remote = t->worker != j->opts.dist->self;
            }
            j->chain_tasks[c][s] = t;
            j->all[j->ntasks++] = t;
        }
    }
    rc = setup_channels(j, err);
    for (uint32_t i = 0; rc == 0 && i < j->ntasks; i++)
        if (!j->all[i]->remote) rc = setup_task(j, j->all[i], err);
    for (uint32_t i = 0; rc == 0 && i < j->ntasks; i++)
        if (!j->all[i]->remote) rc = setup_inputs(j, j->all[i], err);
    for (uint32_t i = 0; rc == 0 && i < j->ntasks; i++)
        if (!j->all[i]->remote) rc = open_task(j, j->all[i], err);
    if (rc == 0) rc = wd_rt_ckpt_open(j, err);
    if (rc == 0 && j->opts.dist) rc = wd_dp_start(j, err);
    if (rc < 0) goto fail;

    j->joined = false;
    for (uint32_t i = 0; i < j->ntasks; i++) {
        task *t = j->all[i];
        if (t->remote) continue;
        if (pthread_create(&t->th, NULL, task_main, t) != 0) {
            rc = wd_err(err, WD_EINTERNAL, "cannot start a thread for %s",
                        t->chain->nodes[0]->name);
            job_stop(j);
            join_all(j);
            goto fail;
        }
        t->started = true;
    }
    rc = wd_rt_ckpt_start(j, err);
    if (rc < 0) {
        job_stop(j);
        join_all(j);
        goto fail;
    }
    *out = j;
    return 0;

fail:
    job_destroy(j);
    return rc;
}

/*
 * Wait until every subtask has exited.  Returns 0 when the job finished
 * (every subtask ended normally), the first error (err filled, message
 * prefixed with the failing operator's node name), or WD_ESTOPPED after
 * wd_job_cancel.  May be called more than once.
 */
int wd_job_wait(wd_job *j, wd_error *err)
{
    join_all(j);
    if (j->failed) {
        if (err && err->code == 0) *err = j->error;
        return j->rc;
    }
    for (uint32_t i = 0; i < j->ntasks; i++)
        if (!j->all[i]->remote && !j->all[i]->finished)
            return wd_err(err, WD_ESTOPPED, "job stopped");
    if (j->coord && !j->finish_done) {
        /* the input has ended everywhere: the last checkpoint, then commit */
        j->finish_done = true;
        wd_error e;
        wd_err_clear(&e);
        int rc = wd_rt_finish(j, &e);
        if (rc < 0) {
            j->failed = true;
            j->rc = rc;
            j->error = e;
            if (err && err->code == 0) *err = e;
            return rc;
        }
    }
    return 0;
}

/*
 * Ask every subtask to stop: blocked pushes, pops and sleeps wake, and
 * subtasks exit without running on_end.  Thread-safe; not
 * async-signal-safe (call it from a thread that waits for signals).
 */
void wd_job_cancel(wd_job *j)
{
    if (j) job_stop(j);
}

/* Totals over every subtask; safe to call while the job runs. */
void wd_job_get_stats(const wd_job *j, wd_job_stats *out)
{
    memset(out, 0, sizeof *out);
    for (uint32_t i = 0; i < j->ntasks; i++) {
        const task *t = j->all[i];
        if (t->remote) continue;
        out->bad_rows_dropped += atomic_load_explicit(&t->dropped, memory_order_relaxed);
        for (uint32_t k = 0; k < t->chain->nnodes; k++) {
            const wd_op *op = &t->ops[k];
            if (op->node->kind == WD_N_SOURCE)
                out->source_rows +=
                    atomic_load_explicit(&op->metrics.rows_out, memory_order_relaxed);
            if (op->node->kind == WD_N_SINK)
                out->sink_rows += atomic_load_explicit(&op->metrics.rows_in, memory_order_relaxed);
            out->late_rows_dropped +=
                atomic_load_explicit(&op->metrics.late_dropped, memory_order_relaxed);
        }
    }
}

/* Cancel the job if it still runs, join its threads and free it. */
void wd_job_free(wd_job *j)
{
    if (!j) return;
    if (!j->joined) {
        job_stop(j);
        join_all(j);
    }
    job_destroy(j);
}
