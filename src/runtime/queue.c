/*
 * queue.c — the bounded MPSC message queue between chains (runtime_int.h):
 * a growable ring under one mutex, two condition variables on the
 * monotonic clock, capacity in rows.  Every wait is a timed wait of at most
 * 50 ms that rechecks the cancel state, so a stop flag set without a
 * wake-up (e.g. from a signal) is still noticed.
 *
 * A push that has to wait adds the time it waited to the calling thread's
 * counter (wd_queue_count_waits): that is a subtask's backpressure time.
 * A push that finds room reads no clock.
 *
 * Exports: wd_queue_init, wd_queue_destroy, wd_queue_push,
 * wd_queue_push_credited, wd_queue_pop, wd_queue_cancel, wd_queue_rows,
 * wd_queue_count_waits.
 */
#include "runtime/runtime_int.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/timeutil.h"

#define WAIT_SLICE_NS (50 * WD_NS_PER_MS)

static bool stopped(const wd_queue *q)
{
    return q->cancelled || (q->stop && atomic_load_explicit(q->stop, memory_order_acquire));
}

/* Where this thread's pushes add their waits (NULL: not counted). */
static _Thread_local _Atomic uint64_t *tl_wait_ns;

/* Count this thread's push waits into *ns (see runtime_int.h). */
void wd_queue_count_waits(_Atomic uint64_t *ns) { tl_wait_ns = ns; }

/* Initialise q (see runtime_int.h). */
int wd_queue_init(wd_queue *q, uint64_t cap_rows, const _Atomic bool *stop)
{
    memset(q, 0, sizeof *q);
    q->cap_rows = cap_rows ? cap_rows : 65536;
    q->stop = stop;
    q->cap = 64;
    q->ring = wd_malloc(q->cap * sizeof *q->ring);
    if (!q->ring) return WD_ENOMEM;
    pthread_mutex_init(&q->mu, NULL);
    wd_cond_init_mono(&q->not_empty);
    wd_cond_init_mono(&q->not_full);
    return 0;
}

/* Release queued batches and free q (no thread may use q any more). */
void wd_queue_destroy(wd_queue *q)
{
    if (!q->ring) return;
    for (uint32_t i = 0; i < q->count; i++) {
        wd_msg *m = &q->ring[(q->head + i) % q->cap];
        if (m->kind == WD_MSG_BATCH && m->batch) wd_batch_release(m->batch);
    }
    wd_free(q->ring);
    q->ring = NULL;
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
    pthread_mutex_destroy(&q->mu);
}

/* Double the ring (under the lock).  Returns 0 or WD_ENOMEM. */
static int grow(wd_queue *q)
{
    uint32_t cap = q->cap * 2;
    wd_msg *r = wd_malloc(cap * sizeof *r);
    if (!r) return WD_ENOMEM;
    for (uint32_t i = 0; i < q->count; i++) r[i] = q->ring[(q->head + i) % q->cap];
    wd_free(q->ring);
    q->ring = r;
    q->cap = cap;
    q->head = 0;
    return 0;
}

/* Append m under the lock and wake the consumer. */
static int append(wd_queue *q, const wd_msg *m, uint64_t rows)
{
    if (q->count == q->cap && grow(q) != 0) return WD_ENOMEM;
    q->ring[(q->head + q->count) % q->cap] = *m;
    q->count++;
    q->rows += rows;
    pthread_cond_signal(&q->not_empty);
    return 0;
}

/* Append m, blocking while full (see runtime_int.h). */
int wd_queue_push(wd_queue *q, const wd_msg *m)
{
    uint64_t rows = wd_msg_rows(m);
    pthread_mutex_lock(&q->mu);
    int64_t mark = 0;
    while (!stopped(q) && q->count > 0 && q->rows + rows > q->cap_rows) {
        if (!mark) {
            mark = wd_mono_ns();
            q->pushes_blocked++;
        }
        wd_cond_wait_ns(&q->not_full, &q->mu, WAIT_SLICE_NS);
        /* counted slice by slice: a subtask blocked for long shows it */
        int64_t now = wd_mono_ns();
        if (tl_wait_ns)
            atomic_fetch_add_explicit(tl_wait_ns, (uint64_t)(now - mark), memory_order_relaxed);
        mark = now;
    }
    if (stopped(q)) {
        pthread_mutex_unlock(&q->mu);
        return WD_ESTOPPED;
    }
    int rc = append(q, m, rows);
    pthread_mutex_unlock(&q->mu);
    return rc;
}

/* Append m without waiting for room (see runtime_int.h). */
int wd_queue_push_credited(wd_queue *q, const wd_msg *m)
{
    pthread_mutex_lock(&q->mu);
    int rc = stopped(q) ? WD_ESTOPPED : append(q, m, wd_msg_rows(m));
    pthread_mutex_unlock(&q->mu);
    return rc;
}

/* Take the oldest message, waiting at most timeout_ns (see runtime_int.h). */
int wd_queue_pop(wd_queue *q, wd_msg *m, int64_t timeout_ns)
{
    int64_t deadline = wd_mono_ns() + (timeout_ns > 0 ? timeout_ns : 0);
    pthread_mutex_lock(&q->mu);
    for (;;) {
        if (stopped(q)) {
            pthread_mutex_unlock(&q->mu);
            return WD_ESTOPPED;
        }
        if (q->count > 0) break;
        int64_t left = deadline - wd_mono_ns();
        if (left <= 0) {
            pthread_mutex_unlock(&q->mu);
            return 0;
        }
        wd_cond_wait_ns(&q->not_empty, &q->mu, left < WAIT_SLICE_NS ? left : WAIT_SLICE_NS);
    }
    *m = q->ring[q->head];
    q->head = (q->head + 1) % q->cap;
    q->count--;
    q->rows -= wd_msg_rows(m);
    /* Several producers may wait for room; the freed rows may fit more
     * than one of them. */
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->mu);
    return 1;
}

/* Make q stop (see runtime_int.h). */
void wd_queue_cancel(wd_queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->cancelled = true;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->mu);
}

/* Rows queued now. */
uint64_t wd_queue_rows(wd_queue *q)
{
    pthread_mutex_lock(&q->mu);
    uint64_t r = q->rows;
    pthread_mutex_unlock(&q->mu);
    return r;
}
