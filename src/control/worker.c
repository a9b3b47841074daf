/*
 * worker.c — a worker process: one part of a distributed job
 * (`wadi worker`, started by a scheduler, never by hand).
 *
 * It listens for its peers' data connections, connects to the controller
 * and says hello (run, index, data address), then waits for StartJob: it
 * plans the job's SQL itself (the plan is deterministic, so every worker
 * builds the same subtask table), starts its own subtasks with the data
 * plane connected (runtime.h, wd_job_dist) and answers JobStarted.  From
 * then on it forwards its subtasks' checkpoint acknowledgements, sends a
 * heartbeat with its counters every second, and does what the controller
 * says: inject an epoch, commit one, shut down.  When its subtasks have
 * all ended it says TasksEnded; when one fails it says Failed.
 *
 * A controller that goes silent for WORKER_SILENCE_NS (it sends a
 * heartbeat every second) or closes the connection makes the worker
 * cancel its subtasks and exit: workers never outlive their controller.
 *
 * Exports: wd_worker_main.
 */
#include "control/control.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "control/proto.h"
#include "plan/plan.h"
#include "runtime/net.h"
#include "runtime/runtime.h"
#include "state/checkpoint.h"
#include "state/store.h"

#define HELLO_TIMEOUT_NS (10 * WD_NS_PER_SEC)
#define START_TIMEOUT_NS (60 * WD_NS_PER_SEC)
#define SEND_TIMEOUT_NS (10 * WD_NS_PER_SEC)
#define WORKER_SILENCE_NS (15 * WD_NS_PER_SEC)
#define COMMIT_TIMEOUT_NS (120 * WD_NS_PER_SEC)

typedef struct worker {
    int fd;
    pthread_mutex_t send_mu;
    bool send_failed;
    wd_job *job;
    _Atomic bool quit;
    pthread_t waiter, beat;
    bool waiter_started, beat_started;
} worker;

static void send_env(worker *w, const wd_env *e)
{
    wd_error err;
    wd_err_clear(&err);
    pthread_mutex_lock(&w->send_mu);
    if (!w->send_failed && wd_ctl_send(w->fd, e, SEND_TIMEOUT_NS, &err) < 0) {
        w->send_failed = true;
        wd_log(WD_LOG_WARN, "worker: cannot reach the controller: %s", err.msg);
    }
    pthread_mutex_unlock(&w->send_mu);
}

/* Report the worker's failure: err's message and hint (or rc's name). */
static void send_failed(worker *w, int rc, const wd_error *err)
{
    char msg[sizeof err->msg + sizeof err->hint + 16];
    snprintf(msg, sizeof msg, "%s%s%s", err->msg[0] ? err->msg : wd_strerror(rc),
             err->hint[0] ? "\nhint: " : "", err->hint);
    Wadi__V1__Failed f = WADI__V1__FAILED__INIT;
    f.code = rc;
    f.message = msg;
    WD_ENV(e, failed, FAILED, &f);
    send_env(w, &e);
}

/* ---- checkpoint reports (the uploader thread) -------------------------------- */

static void on_ack(void *ctx, uint64_t epoch, uint32_t task, wd_ckpt_files *files,
                   uint64_t state_bytes, int64_t sync_ns)
{
    Wadi__V1__Ack a = WADI__V1__ACK__INIT;
    a.epoch = epoch;
    a.task = task;
    a.n_keys = files->n;
    a.keys = files->keys;
    a.n_sizes = files->n;
    a.sizes = files->bytes;
    a.state_bytes = state_bytes;
    a.sync_ns = sync_ns;
    WD_ENV(e, ack, ACK, &a);
    send_env(ctx, &e);
}

static void on_fail(void *ctx, uint64_t epoch, uint32_t task, const wd_error *err)
{
    Wadi__V1__AckFailed a = WADI__V1__ACK_FAILED__INIT;
    a.epoch = epoch;
    a.task = task;
    a.message = (char *)err->msg;
    WD_ENV(e, ack_failed, ACK_FAILED, &a);
    send_env(ctx, &e);
}

/* ---- threads ---------------------------------------------------------------------- */

/* Wait for the subtasks: TasksEnded, or Failed with the first error. */
static void *waiter_main(void *arg)
{
    worker *w = arg;
    wd_error err;
    wd_err_clear(&err);
    int rc = wd_job_wait(w->job, &err);
    if (rc == 0) {
        Wadi__V1__TasksEnded t = WADI__V1__TASKS_ENDED__INIT;
        WD_ENV(e, tasks_ended, TASKS_ENDED, &t);
        send_env(w, &e);
    } else if (!atomic_load(&w->quit)) {
        send_failed(w, rc, &err);
    }
    return NULL;
}

/* The counters of this worker's subtasks, as heartbeat messages. */
static void *beat_main(void *arg)
{
    worker *w = arg;
    uint32_t n = wd_job_metrics(w->job, NULL, 0);
    wd_task_metrics *tm = wd_calloc(n ? n : 1, sizeof *tm);
    Wadi__V1__TaskMetrics *pm = wd_calloc(n ? n : 1, sizeof *pm);
    Wadi__V1__TaskMetrics **pp = wd_calloc(n ? n : 1, sizeof *pp);
    if (!tm || !pm || !pp) n = 0;
    while (!atomic_load(&w->quit)) {
        Wadi__V1__Heartbeat h = WADI__V1__HEARTBEAT__INIT;
        wd_job_metrics(w->job, tm, n);
        for (uint32_t i = 0; i < n; i++) {
            const wd_task_metrics *m = &tm[i];
            Wadi__V1__TaskMetrics *p = &pm[i];
            wadi__v1__task_metrics__init(p);
            p->chain = (char *)m->chain;
            p->chain_index = m->chain_index;
            p->subtask = m->subtask;
            p->parallelism = m->parallelism;
            p->flags = m->flags;
            p->rows_in = m->rows_in;
            p->rows_out = m->rows_out;
            p->bytes_in = m->bytes_in;
            p->bytes_out = m->bytes_out;
            p->batches_in = m->batches_in;
            p->batches_out = m->batches_out;
            p->late_dropped = m->late_dropped;
            p->bad_dropped = m->bad_dropped;
            p->backpressure_ns = m->backpressure_ns;
            p->queue_rows = m->queue_rows;
            p->queue_cap = m->queue_cap;
            p->watermark = m->watermark;
            pp[i] = p;
        }
        h.n_tasks = n;
        h.tasks = pp;
        WD_ENV(e, heartbeat, HEARTBEAT, &h);
        send_env(w, &e);
        for (int i = 0; i < 20 && !atomic_load(&w->quit); i++) {
            struct timespec ts = {0, 50 * WD_NS_PER_MS};
            nanosleep(&ts, NULL);
        }
    }
    wd_free(tm);
    wd_free(pm);
    wd_free(pp);
    return NULL;
}

/* ---- the job -------------------------------------------------------------------- */

typedef struct started {
    wd_graph *g;
    wd_store *store;
    wd_job_dist dist;
    char **peers;
    uint32_t npeers;
} started;

static int start_job(worker *w, const Wadi__V1__StartJob *s, int lfd, started *st, wd_error *err)
{
    wd_plan_opts popts = {.parallelism = s->parallelism ? s->parallelism : 1};
    int rc = wd_plan_compile(s->sql, strlen(s->sql), &popts, &st->g, err);
    if (rc < 0) return rc;
    wd_job_opts jo = {.batch_rows = s->batch_rows, .queue_rows = s->queue_rows};
    if (s->state_url[0]) {
        rc = wd_store_open(s->state_url, &st->store, err);
        if (rc < 0) return rc;
        jo.store = st->store;
        jo.query = s->query;
    }
    if (s->n_peers != s->workers || s->worker >= s->workers)
        return wd_err(err, WD_EINVALID, "StartJob names %zu peers for %u workers", s->n_peers,
                      s->workers);
    st->dist = (wd_job_dist){
        .self = s->worker,
        .nworkers = s->workers,
        .run = s->run,
        .listen_fd = lfd,
        .peers = (const char *const *)s->peers,
        .restore_epoch = s->restore_epoch,
        .ctx = w,
        .ack = on_ack,
        .fail = on_fail,
    };
    jo.dist = &st->dist;
    return wd_job_start(st->g, &jo, &w->job, err);
}

/* Serve the controller until told to shut down or it is gone. */
static int serve(worker *w)
{
    for (;;) {
        wd_env *m;
        wd_error err;
        wd_err_clear(&err);
        int rc = wd_ctl_recv(w->fd, WORKER_SILENCE_NS, NULL, &m, &err);
        if (rc < 0) {
            wd_log(WD_LOG_WARN, "worker: lost the controller (%s); stopping", err.msg);
            return 1;
        }
        switch (m->msg_case) {
        case WADI__V1__ENVELOPE__MSG_INJECT:
            wd_job_inject(w->job, m->inject->epoch, m->inject->stop);
            break;
        case WADI__V1__ENVELOPE__MSG_COMMIT: {
            uint64_t e = m->commit->epoch;
            bool last = m->commit->last;
            rc = wd_job_commit(w->job, e, last, COMMIT_TIMEOUT_NS, &err);
            if (rc < 0) {
                send_failed(w, rc, &err);
            } else if (last) {
                Wadi__V1__Committed c = WADI__V1__COMMITTED__INIT;
                c.epoch = e;
                WD_ENV(r, committed, COMMITTED, &c);
                send_env(w, &r);
            }
            break;
        }
        case WADI__V1__ENVELOPE__MSG_SHUTDOWN:
            wd_env_free(m);
            return 0;
        default: break; /* heartbeats */
        }
        wd_env_free(m);
    }
}

int wd_worker_main(const char *controller, uint64_t run, uint32_t index, wd_error *err)
{
    int lfd = -1;
    uint16_t port;
    int rc = wd_net_listen(NULL, 0, &lfd, &port, err);
    if (rc < 0) return rc;
    worker w = {.fd = -1};
    pthread_mutex_init(&w.send_mu, NULL);
    started st = {0};
    wd_env *m = NULL;
    rc = wd_net_connect(controller, HELLO_TIMEOUT_NS, &w.fd, err);
    if (rc < 0) goto out;

    char host[128], addr[160], me[128];
    if (wd_net_local_host(w.fd, host, sizeof host) < 0) snprintf(host, sizeof host, "127.0.0.1");
    snprintf(addr, sizeof addr, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
    if (gethostname(me, sizeof me) < 0) me[0] = 0;
    Wadi__V1__WorkerHello h = WADI__V1__WORKER_HELLO__INIT;
    h.run = run;
    h.worker = index;
    h.data_addr = addr;
    h.pid = (uint32_t)getpid();
    h.host = me;
    WD_ENV(he, worker_hello, WORKER_HELLO, &h);
    rc = wd_ctl_send(w.fd, &he, SEND_TIMEOUT_NS, err);
    if (rc == 0) rc = wd_ctl_recv(w.fd, START_TIMEOUT_NS, NULL, &m, err);
    if (rc < 0) goto out;
    if (m->msg_case == WADI__V1__ENVELOPE__MSG_SHUTDOWN) goto out;
    if (m->msg_case != WADI__V1__ENVELOPE__MSG_START_JOB || m->start_job->run != run ||
        m->start_job->worker != index) {
        rc = wd_err(err, WD_ENET, "the controller did not send this worker's job");
        goto out;
    }
    rc = start_job(&w, m->start_job, lfd, &st, err);
    if (rc < 0) {
        send_failed(&w, rc, err);
        goto out;
    }
    Wadi__V1__JobStarted js = WADI__V1__JOB_STARTED__INIT;
    WD_ENV(se, job_started, JOB_STARTED, &js);
    send_env(&w, &se);
    w.waiter_started = pthread_create(&w.waiter, NULL, waiter_main, &w) == 0;
    w.beat_started = pthread_create(&w.beat, NULL, beat_main, &w) == 0;
    rc = serve(&w);
    atomic_store(&w.quit, true);
    wd_job_cancel(w.job);
    if (w.waiter_started) pthread_join(w.waiter, NULL);
    if (w.beat_started) pthread_join(w.beat, NULL);

out:
    wd_env_free(m);
    if (w.job) wd_job_free(w.job);
    wd_graph_free(st.g);
    wd_store_close(st.store);
    wd_net_close(&w.fd);
    wd_net_close(&lfd);
    pthread_mutex_destroy(&w.send_mu);
    return rc < 0 ? rc : 0;
}
