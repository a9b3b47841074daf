/*
 * runtime_metrics.c — reading a running job's counters (runtime.h).
 *
 * Nothing here runs on the data path: the counters are the operators'
 * wd_op_metrics (added per batch with relaxed atomics by ops/op.c, bytes
 * at the chain's edges by the runtime), each subtask's dropped and
 * backpressure counters, and its input queue's fill.  These functions only
 * read them, from any thread, while the job runs.
 *
 * Exports: wd_job_metrics, wd_job_state_name, wd_job_get_info.
 */
#include "runtime/runtime.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "control/coordinator.h"
#include "runtime/runtime_int.h"

static uint64_t load(const _Atomic uint64_t *c)
{
    return atomic_load_explicit((_Atomic uint64_t *)c, memory_order_relaxed);
}

static int64_t load_i64(const _Atomic int64_t *c)
{
    return atomic_load_explicit((_Atomic int64_t *)c, memory_order_relaxed);
}

/* The chain's node names joined by '>' into out (size n), cut with "..."
 * when longer. */
static void chain_name(const wd_chain *ch, char *out, size_t n)
{
    char full[512];
    size_t len = 0;
    full[0] = 0;
    for (uint32_t k = 0; k < ch->nnodes && len < sizeof full; k++)
        len += (size_t)snprintf(full + len, sizeof full - len, "%s%s", k ? ">" : "",
                                ch->nodes[k]->name ? ch->nodes[k]->name : "?");
    if (strlen(full) < n) {
        memcpy(out, full, strlen(full) + 1);
    } else {
        memcpy(out, full, n - 4);
        memcpy(out + n - 4, "...", 4);
    }
}

/* Counters of one subtask (see wd_task_metrics). */
static void task_metrics(task *t, uint32_t chain_index, wd_task_metrics *m)
{
    const wd_chain *ch = t->chain;
    const wd_op *head = &t->ops[0], *last = &t->ops[ch->nnodes - 1];
    memset(m, 0, sizeof *m);
    chain_name(ch, m->chain, sizeof m->chain);
    m->chain_index = chain_index;
    m->subtask = t->subtask;
    m->parallelism = ch->parallelism;
    bool sink = last->node->kind == WD_N_SINK;
    m->flags = (t->is_source ? WD_TASK_SOURCE : 0) | (sink ? WD_TASK_SINK : 0) |
               (atomic_load(&t->exited) ? WD_TASK_EXITED : 0);
    /* a source is an operator without input: what it emits comes in */
    m->rows_in = load(t->is_source ? &head->metrics.rows_out : &head->metrics.rows_in);
    m->batches_in = load(t->is_source ? &head->metrics.batches_out : &head->metrics.batches_in);
    m->bytes_in = load(&head->metrics.bytes_in);
    /* a sink emits nothing: what it writes goes out */
    m->rows_out = load(sink ? &last->metrics.rows_in : &last->metrics.rows_out);
    m->batches_out = load(sink ? &last->metrics.batches_in : &last->metrics.batches_out);
    m->bytes_out = load(&last->metrics.bytes_out);
    for (uint32_t k = 0; k < ch->nnodes; k++)
        m->late_dropped += load(&t->ops[k].metrics.late_dropped);
    m->bad_dropped = load(&t->dropped);
    m->backpressure_ns = load(&t->backpressure_ns);
    if (t->has_queue) {
        m->queue_rows = wd_queue_rows(&t->q);
        m->queue_cap = t->q.cap_rows;
    }
    int64_t wm = load_i64(&last->metrics.watermark_out);
    m->watermark = wm != INT64_MIN ? wm : load_i64(&last->metrics.watermark);
}

/* Every subtask's counters (see runtime.h); a worker's own subtasks only. */
uint32_t wd_job_metrics(const wd_job *j, wd_task_metrics *out, uint32_t cap)
{
    uint32_t n = 0;
    for (uint32_t c = 0; c < j->chains.n; c++)
        for (uint32_t s = 0; s < j->chains.chains[c].parallelism; s++) {
            task *t = j->chain_tasks[c][s];
            if (t->remote) continue;
            if (n < cap) task_metrics(t, c, &out[n]);
            n++;
        }
    return n;
}

const char *wd_job_state_name(wd_job_state s)
{
    switch (s) {
    case WD_JOB_RUNNING: return "running";
    case WD_JOB_STOPPING: return "stopping";
    case WD_JOB_FINISHED: return "finished";
    case WD_JOB_FAILED: return "failed";
    }
    return "unknown";
}

static wd_job_state job_state(const wd_job *j)
{
    wd_job *mj = (wd_job *)j; /* the mutex guards `failed` */
    pthread_mutex_lock(&mj->mu);
    bool failed = j->failed;
    pthread_mutex_unlock(&mj->mu);
    if (failed) return WD_JOB_FAILED;
    bool finished = true;
    for (uint32_t i = 0; i < j->ntasks && finished; i++)
        finished = j->all[i]->remote || (atomic_load(&j->all[i]->exited) && j->all[i]->finished);
    if (finished) return WD_JOB_FINISHED;
    if (atomic_load(&j->stop)) return WD_JOB_STOPPING;
    return WD_JOB_RUNNING;
}

/* The job as a whole (see runtime.h). */
void wd_job_get_info(const wd_job *j, wd_job_info *out)
{
    memset(out, 0, sizeof *out);
    out->state = job_state(j);
    out->started_ns = j->started_ns;
    if (!j->coord) return;
    out->checkpointing = 1;
    wd_coord_stats st;
    wd_coord_get_stats(j->coord, &st);
    out->ckpt_epoch = st.last_epoch ? st.last_epoch : j->restored;
    out->ckpt_completed = st.completed;
    out->ckpt_failed = st.failed;
    out->ckpt_duration_ns = st.last_duration_ns;
    out->ckpt_done_ns = st.last_done_ns;
}
