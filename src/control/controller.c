/*
 * controller.c — the controller of one distributed job (control.h).
 *
 * Threads: the caller's (wd_ctl_run: the state machine), a listener that
 * accepts every connection on the RPC port and reads its first message
 * (a worker's hello, a node's registration, a node's report that a worker
 * exited), one reader per connected worker, and the checkpoint
 * coordinator's trigger.  Shared state is under c->mu; the state machine
 * waits on c->cv, woken by any report, and also looks every 100 ms (heartbeat
 * timeouts, child processes that exited).
 *
 * A run is one attempt: every worker of it is started, said hello, given
 * StartJob with the epoch to restore and every peer's data address, and
 * answered JobStarted; then the coordinator starts taking epochs.  Any
 * loss — a connection closed, a worker silent past the heartbeat timeout,
 * a child process or a node's worker that exited, a worker that failed
 * with a network error — ends the run: every worker is told to shut down
 * (and killed if it does not), and a new run restores the last complete
 * epoch.  A failure of the job itself (a SQL runtime error) is not retried.
 *
 * Exports: wd_ctl_new, wd_ctl_run, wd_ctl_stop, wd_ctl_state,
 * wd_ctl_totals, wd_ctl_metrics, wd_ctl_free, wd_ctl_state_name.
 */
#include "control/control.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "control/coordinator.h"
#include "control/metrics.h"
#include "control/process.h"
#include "control/proto.h"
#include "plan/plan.h"
#include "runtime/net.h"
#include "runtime/runtime.h"
#include "state/checkpoint.h"
#include "state/store.h"

#define HELLO_TIMEOUT_NS (30 * WD_NS_PER_SEC)
#define START_TIMEOUT_NS (60 * WD_NS_PER_SEC)
#define NODES_TIMEOUT_NS (60 * WD_NS_PER_SEC)
#define NODES_REGROUP_NS (5 * WD_NS_PER_SEC)
#define NODE_ALIVE_NS (6 * WD_NS_PER_SEC)  /* nodes re-register every 2 s */
#define LAST_TIMEOUT_NS (120 * WD_NS_PER_SEC)
#define SEND_TIMEOUT_NS (5 * WD_NS_PER_SEC)
#define RPC_TIMEOUT_NS (5 * WD_NS_PER_SEC)
#define EXIT_GRACE_NS (3 * WD_NS_PER_SEC)
#define STABLE_NS (60 * WD_NS_PER_SEC)   /* a run this long resets the restart count */
#define MAX_BACKOFF_NS (10 * WD_NS_PER_SEC)
#define MAX_NODES 64

typedef struct wslot {
    struct wd_controller *c;
    uint32_t index;
    int fd;                  /* -1 until its hello */
    pthread_mutex_t send_mu;
    pthread_t rd;
    bool rd_started;
    bool started, ended;
    uint64_t committed;      /* the last epoch it confirmed committing (Commit last) */
    pid_t pid;               /* process scheduler */
    int node;                /* node scheduler: index in c->nodes */
    char data_addr[160];
    int64_t last_seen;
    bool lost;
    bool exited;             /* its process is known to be gone */
    char why[320];
} wslot;

typedef struct node {
    char id[128];
    char rpc_addr[160];
    char ctl_addr[160];      /* the controller's address as the node reaches it */
    int64_t last_seen;
} node;

struct wd_controller {
    wd_ctl_opts o;
    char *sql, *state_url, *query, *exe;
    wd_graph *g;
    uint32_t ntasks;
    wd_ckpt_opinfo *opinfo;
    uint32_t nops;
    wd_store *store;

    int lfd;
    char addr[160];          /* process scheduler: where workers reach us */
    pthread_t listener;
    bool listener_started;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    _Atomic bool quit, stop_req;
    wd_ctl_job_state state;
    uint64_t run;
    wslot *w;
    uint32_t nw;
    wd_coord *coord;
    int fail_code;           /* the run's first Failed report */
    char fail_msg[1024];
    node nodes[MAX_NODES];
    uint32_t nnodes;
    uint32_t restarts;       /* since the job last ran for STABLE_NS */
    uint32_t total_restarts;
    uint32_t nchains;
    uint32_t *chain_base;    /* per chain: the index of its subtask 0 */
    wd_task_metrics *tm;     /* (mu) every subtask's last reported counters */
    int64_t started_ns;
    wd_coord_stats ckpt;     /* (mu) the coordinator's, as last read */
};


const char *wd_ctl_state_name(wd_ctl_job_state s)
{
    static const char *const names[] = {"Created", "Scheduling", "Running", "Recovering",
                                        "Stopping", "Stopped", "Finished", "Failed"};
    return s <= WD_JS_FAILED ? names[s] : "?";
}

static void set_state(wd_controller *c, wd_ctl_job_state s, const char *why)
{
    pthread_mutex_lock(&c->mu);
    wd_ctl_job_state old = c->state;
    c->state = s;
    pthread_mutex_unlock(&c->mu);
    /* the usual path is logged with -v; recoveries, stops and failures always */
    wd_log_level lvl = s == WD_JS_FAILED || s == WD_JS_RECOVERING ? WD_LOG_WARN
                       : s == WD_JS_STOPPING || old == WD_JS_RECOVERING ? WD_LOG_INFO
                                                                          : WD_LOG_DEBUG;
    if (old != s)
        wd_log(lvl, "job: %s -> %s%s%s", wd_ctl_state_name(old), wd_ctl_state_name(s),
               why ? ": " : "", why ? why : "");
}

/* Wait on c->cv for at most ns (c->mu held). */
static void wait_cv(wd_controller *c, int64_t ns) { wd_cond_wait_ns(&c->cv, &c->mu, ns); }

static void wake(wd_controller *c)
{
    pthread_mutex_lock(&c->mu);
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

/* Mark worker s lost (c->mu held). */
static void lose(wd_controller *c, wslot *s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void lose(wd_controller *c, wslot *s, const char *fmt, ...)
{
    if (s->lost) return;
    s->lost = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->why, sizeof s->why, fmt, ap);
    va_end(ap);
    pthread_cond_broadcast(&c->cv);
}

static void send_to(wslot *s, const wd_env *e)
{
    pthread_mutex_lock(&s->send_mu);
    if (s->fd >= 0) {
        wd_error err;
        wd_err_clear(&err);
        if (wd_ctl_send(s->fd, e, SEND_TIMEOUT_NS, &err) < 0)
            wd_log(WD_LOG_DEBUG, "controller: cannot send to worker %u: %s", s->index, err.msg);
    }
    pthread_mutex_unlock(&s->send_mu);
}

static void send_all(wd_controller *c, const wd_env *e)
{
    for (uint32_t i = 0; i < c->nw; i++) send_to(&c->w[i], e);
}

/* ---- coordinator hooks ------------------------------------------------------------ */

static void hook_inject(void *ctx, uint64_t epoch, bool stop)
{
    Wadi__V1__Inject m = WADI__V1__INJECT__INIT;
    m.epoch = epoch;
    m.stop = stop;
    WD_ENV(e, inject, INJECT, &m);
    send_all(ctx, &e);
}

static void hook_complete(void *ctx, uint64_t epoch)
{
    Wadi__V1__Commit m = WADI__V1__COMMIT__INIT;
    m.epoch = epoch;
    WD_ENV(e, commit, COMMIT, &m);
    send_all(ctx, &e);
}

/* ---- a worker's connection ----------------------------------------------------------- */

static void on_ack(wd_controller *c, const Wadi__V1__Ack *a)
{
    if (!c->coord || a->n_keys != a->n_sizes) return;
    wd_ckpt_files f = {0};
    f.keys = wd_calloc(a->n_keys ? a->n_keys : 1, sizeof *f.keys);
    f.bytes = wd_calloc(a->n_keys ? a->n_keys : 1, sizeof *f.bytes);
    if (!f.keys || !f.bytes) {
        wd_ckpt_files_free(&f);
        return;
    }
    f.cap = (uint32_t)(a->n_keys ? a->n_keys : 1);
    for (size_t i = 0; i < a->n_keys; i++) {
        f.keys[f.n] = wd_strdup(a->keys[i]);
        if (!f.keys[f.n]) break;
        f.bytes[f.n++] = a->sizes[i];
    }
    if (a->task < c->ntasks) wd_coord_ack(c->coord, a->epoch, a->task, &f, a->state_bytes, a->sync_ns);
    wd_ckpt_files_free(&f);
}

/* A subtask's counters from a heartbeat (c->mu held). */
static void keep_metrics(wd_controller *c, const Wadi__V1__TaskMetrics *p)
{
    if (p->chain_index >= c->nchains) return;
    uint32_t i = c->chain_base[p->chain_index] + p->subtask;
    uint32_t end = p->chain_index + 1 < c->nchains ? c->chain_base[p->chain_index + 1] : c->ntasks;
    if (i >= end) return;
    wd_task_metrics *m = &c->tm[i];
    snprintf(m->chain, sizeof m->chain, "%s", p->chain);
    m->chain_index = p->chain_index;
    m->subtask = p->subtask;
    m->parallelism = p->parallelism;
    m->flags = p->flags;
    m->rows_in = p->rows_in;
    m->rows_out = p->rows_out;
    m->bytes_in = p->bytes_in;
    m->bytes_out = p->bytes_out;
    m->batches_in = p->batches_in;
    m->batches_out = p->batches_out;
    m->late_dropped = p->late_dropped;
    m->bad_dropped = p->bad_dropped;
    m->backpressure_ns = p->backpressure_ns;
    m->queue_rows = p->queue_rows;
    m->queue_cap = p->queue_cap;
    m->watermark = p->watermark;
}

static void *reader_main(void *arg)
{
    wslot *s = arg;
    wd_controller *c = s->c;
    int64_t timeout = c->o.heartbeat_timeout_ns ? c->o.heartbeat_timeout_ns : 10 * WD_NS_PER_SEC;
    for (;;) {
        wd_env *m;
        wd_error err;
        wd_err_clear(&err);
        int rc = wd_ctl_recv(s->fd, timeout, &c->quit, &m, &err);
        if (rc < 0) {
            pthread_mutex_lock(&c->mu);
            if (rc != WD_ESTOPPED)
                lose(c, s, "worker %u: %s", s->index,
                     strstr(err.msg, "timed out") ? "no heartbeat within the timeout" : err.msg);
            pthread_mutex_unlock(&c->mu);
            return NULL;
        }
        if (m->msg_case == WADI__V1__ENVELOPE__MSG_ACK) {
            on_ack(c, m->ack);
        } else if (m->msg_case == WADI__V1__ENVELOPE__MSG_ACK_FAILED) {
            wd_error e;
            wd_err_clear(&e);
            wd_err(&e, WD_EIO, "%s", m->ack_failed->message);
            if (c->coord && m->ack_failed->task < c->ntasks)
                wd_coord_fail(c->coord, m->ack_failed->epoch, m->ack_failed->task, &e);
        }
        pthread_mutex_lock(&c->mu);
        s->last_seen = wd_mono_ns();
        switch (m->msg_case) {
        case WADI__V1__ENVELOPE__MSG_JOB_STARTED: s->started = true; break;
        case WADI__V1__ENVELOPE__MSG_TASKS_ENDED: s->ended = true; break;
        case WADI__V1__ENVELOPE__MSG_COMMITTED:
            if (m->committed->epoch > s->committed) s->committed = m->committed->epoch;
            break;
        case WADI__V1__ENVELOPE__MSG_FAILED:
            if (!c->fail_code) {
                c->fail_code = m->failed->code ? m->failed->code : WD_EINTERNAL;
                snprintf(c->fail_msg, sizeof c->fail_msg, "%s", m->failed->message);
            }
            break;
        case WADI__V1__ENVELOPE__MSG_HEARTBEAT:
            for (size_t i = 0; i < m->heartbeat->n_tasks; i++)
                keep_metrics(c, m->heartbeat->tasks[i]);
            break;
        default: break;
        }
        pthread_cond_broadcast(&c->cv);
        pthread_mutex_unlock(&c->mu);
        wd_env_free(m);
    }
}

/* ---- the RPC listener --------------------------------------------------------------- */

static void reply(int fd, bool ok, const char *msg)
{
    Wadi__V1__Reply r = WADI__V1__REPLY__INIT;
    r.ok = ok;
    r.message = (char *)(msg ? msg : "");
    WD_ENV(e, reply, REPLY, &r);
    wd_error err;
    wd_err_clear(&err);
    wd_ctl_send(fd, &e, SEND_TIMEOUT_NS, &err);
}

/* A worker's hello: attach it to its slot of the current run. */
static bool attach(wd_controller *c, int fd, const Wadi__V1__WorkerHello *h)
{
    pthread_mutex_lock(&c->mu);
    bool ok = h->run == c->run && c->w && h->worker < c->nw && c->w[h->worker].fd < 0 &&
              c->state == WD_JS_SCHEDULING;
    if (ok) {
        wslot *s = &c->w[h->worker];
        s->fd = fd;
        s->last_seen = wd_mono_ns();
        snprintf(s->data_addr, sizeof s->data_addr, "%s", h->data_addr);
        s->rd_started = pthread_create(&s->rd, NULL, reader_main, s) == 0;
        if (!s->rd_started) lose(c, s, "worker %u: cannot start a reader thread", s->index);
        wd_log(WD_LOG_DEBUG, "worker %u of run %" PRIu64 " connected (pid %u on %s, data %s)",
               h->worker, h->run, h->pid, h->host, h->data_addr);
        pthread_cond_broadcast(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
    return ok;
}

static void on_register(wd_controller *c, int fd, const Wadi__V1__NodeRegister *r)
{
    char host[128];
    if (wd_net_local_host(fd, host, sizeof host) < 0) snprintf(host, sizeof host, "127.0.0.1");
    uint16_t port = 0;
    char lh[128];
    wd_net_split(c->addr, lh, sizeof lh, &port);
    pthread_mutex_lock(&c->mu);
    node *n = NULL;
    for (uint32_t i = 0; i < c->nnodes && !n; i++)
        if (!strcmp(c->nodes[i].id, r->node_id)) n = &c->nodes[i];
    if (!n && c->nnodes < MAX_NODES) {
        n = &c->nodes[c->nnodes++];
        snprintf(n->id, sizeof n->id, "%s", r->node_id);
        wd_log(WD_LOG_INFO, "node %s registered (%s)", r->node_id, r->rpc_addr);
    }
    if (n) {
        snprintf(n->rpc_addr, sizeof n->rpc_addr, "%s", r->rpc_addr);
        snprintf(n->ctl_addr, sizeof n->ctl_addr, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host,
                 port);
        n->last_seen = wd_mono_ns();
        pthread_cond_broadcast(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
    reply(fd, n != NULL, n ? "" : "too many nodes");
}

static void on_exited(wd_controller *c, int fd, const Wadi__V1__WorkerExited *x)
{
    pthread_mutex_lock(&c->mu);
    if (x->run == c->run && c->w && x->worker < c->nw) {
        c->w[x->worker].exited = true;
        lose(c, &c->w[x->worker], "worker %u on node %s %s", x->worker, x->node_id, x->status);
    }
    pthread_mutex_unlock(&c->mu);
    reply(fd, true, NULL);
}

static void *listener_main(void *arg)
{
    wd_controller *c = arg;
    while (!atomic_load(&c->quit)) {
        int fd;
        wd_error err;
        wd_err_clear(&err);
        if (wd_net_accept(c->lfd, 100 * WD_NS_PER_MS, &fd, &err) <= 0) continue;
        wd_env *m = NULL;
        if (wd_ctl_recv(fd, RPC_TIMEOUT_NS, &c->quit, &m, &err) < 0) {
            char peer[96];
            wd_net_peer_name(fd, peer, sizeof peer);
            wd_log(WD_LOG_WARN, "controller: dropped a connection from %s: %s", peer, err.msg);
            wd_net_close(&fd);
            continue;
        }
        bool keep = false;
        switch (m->msg_case) {
        case WADI__V1__ENVELOPE__MSG_WORKER_HELLO:
            keep = attach(c, fd, m->worker_hello);
            if (!keep) {
                Wadi__V1__Shutdown sd = WADI__V1__SHUTDOWN__INIT;
                sd.reason = "not a worker of the current run";
                WD_ENV(e, shutdown, SHUTDOWN, &sd);
                wd_ctl_send(fd, &e, SEND_TIMEOUT_NS, &err);
            }
            break;
        case WADI__V1__ENVELOPE__MSG_NODE_REGISTER: on_register(c, fd, m->node_register); break;
        case WADI__V1__ENVELOPE__MSG_WORKER_EXITED: on_exited(c, fd, m->worker_exited); break;
        default: reply(fd, false, "unexpected message"); break;
        }
        wd_env_free(m);
        if (!keep) wd_net_close(&fd);
    }
    return NULL;
}

/* ---- schedulers ------------------------------------------------------------------------- */

static int spawn_process(wd_controller *c, wslot *s, wd_error *err)
{
    int e = wd_spawn_worker(c->exe, c->addr, c->run, s->index, &s->pid);
    if (e) return wd_err(err, WD_EIO, "cannot start a worker process (%s): %s", c->exe, strerror(e));
    return 0;
}

/* A copy of worker s's node (its entry may move while we call it). */
static node node_of(wd_controller *c, const wslot *s)
{
    pthread_mutex_lock(&c->mu);
    node n = c->nodes[s->node];
    pthread_mutex_unlock(&c->mu);
    return n;
}

static int start_on_node(wd_controller *c, wslot *s, wd_error *err)
{
    node n = node_of(c, s);
    Wadi__V1__StartWorker sw = WADI__V1__START_WORKER__INIT;
    sw.run = c->run;
    sw.worker = s->index;
    sw.controller_addr = n.ctl_addr;
    WD_ENV(e, start_worker, START_WORKER, &sw);
    wd_env *r;
    int rc = wd_ctl_call(n.rpc_addr, &e, RPC_TIMEOUT_NS, &r, err);
    if (rc < 0) return rc;
    bool ok = r->msg_case == WADI__V1__ENVELOPE__MSG_REPLY && r->reply->ok;
    if (!ok)
        rc = wd_err(err, WD_ENET, "node %s refused to start worker %u: %s", n.id, s->index,
                    r->msg_case == WADI__V1__ENVELOPE__MSG_REPLY ? r->reply->message : "?");
    wd_env_free(r);
    return rc;
}

static void stop_on_node(wd_controller *c, wslot *s)
{
    node n = node_of(c, s);
    Wadi__V1__StopWorker sw = WADI__V1__STOP_WORKER__INIT;
    sw.run = c->run;
    sw.worker = s->index;
    WD_ENV(e, stop_worker, STOP_WORKER, &sw);
    wd_env *r = NULL;
    wd_error err;
    wd_err_clear(&err);
    if (wd_ctl_call(n.rpc_addr, &e, RPC_TIMEOUT_NS, &r, &err) < 0)
        wd_log(WD_LOG_WARN, "cannot ask node %s to stop worker %u: %s", n.id, s->index, err.msg);
    wd_env_free(r);
}

/* Process scheduler: notice children that exited (c->mu held). */
static void reap(wd_controller *c)
{
    for (uint32_t i = 0; i < c->nw; i++) {
        wslot *s = &c->w[i];
        if (s->pid <= 0 || s->exited) continue;
        int st;
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            s->exited = true;
            char why[64];
            wd_wait_status_text(st, why, sizeof why);
            lose(c, s, "worker %u (pid %d) %s", i, (int)s->pid, why);
        }
    }
}

/* ---- one run ----------------------------------------------------------------------------- */

typedef enum outcome { R_FINISHED, R_STOPPED, R_LOST, R_FAILED } outcome;

/* A reason the run cannot go on (c->mu held): a loss, or a failure. */
static bool broken(wd_controller *c, outcome *o, char *why, size_t cap)
{
    if (c->fail_code) {
        /* a worker that lost a peer reports a network error: that is a loss */
        *o = c->fail_code == WD_ENET ? R_LOST : R_FAILED;
        snprintf(why, cap, "%s", c->fail_msg);
        return true;
    }
    for (uint32_t i = 0; i < c->nw; i++)
        if (c->w[i].lost) {
            *o = R_LOST;
            snprintf(why, cap, "%s", c->w[i].why);
            return true;
        }
    return false;
}

/* Wait until pred holds for every worker, the run breaks, or the timeout. */
static int wait_all(wd_controller *c, bool (*pred)(const wslot *, uint64_t), uint64_t arg,
                    int64_t timeout_ns, const char *what, outcome *o, char *why, size_t cap)
{
    int64_t deadline = wd_mono_ns() + timeout_ns;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        if (c->o.scheduler == WD_SCHED_PROCESS) reap(c);
        if (broken(c, o, why, cap)) break;
        uint32_t ok = 0;
        for (uint32_t i = 0; i < c->nw; i++) ok += pred(&c->w[i], arg);
        if (ok == c->nw) {
            pthread_mutex_unlock(&c->mu);
            return 0;
        }
        if (wd_mono_ns() > deadline) {
            *o = R_LOST;
            snprintf(why, cap, "%u of %u workers %s within %d s", c->nw - ok, c->nw, what,
                     (int)(timeout_ns / WD_NS_PER_SEC));
            break;
        }
        wait_cv(c, 100 * WD_NS_PER_MS);
    }
    pthread_mutex_unlock(&c->mu);
    return -1;
}

static bool p_hello(const wslot *s, uint64_t a) { return s->fd >= 0; }
static bool p_started(const wslot *s, uint64_t a) { return s->started; }
static bool p_committed(const wslot *s, uint64_t e) { return s->committed >= e; }

/* Nodes heard from within NODE_ALIVE_NS (c->mu held); their indexes in live. */
static uint32_t live_nodes(wd_controller *c, uint32_t *live)
{
    uint32_t n = 0;
    int64_t now = wd_mono_ns();
    for (uint32_t i = 0; i < c->nnodes; i++)
        if (now - c->nodes[i].last_seen < NODE_ALIVE_NS) live[n++] = i;
    return n;
}

/*
 * Node scheduler: worker i goes to live node i mod n.  The first attempt
 * waits for --nodes nodes; a recovery waits a little for them, then uses
 * the nodes that are left (a lost node's workers move to the others).
 */
static int place_on_nodes(wd_controller *c, wd_error *err)
{
    uint32_t want = c->o.nodes ? c->o.nodes : 1, live[MAX_NODES], n;
    int64_t deadline = wd_mono_ns() + (c->restarts ? NODES_REGROUP_NS : NODES_TIMEOUT_NS);
    pthread_mutex_lock(&c->mu);
    while ((n = live_nodes(c, live)) < want && wd_mono_ns() < deadline &&
           !atomic_load(&c->stop_req))
        wait_cv(c, 100 * WD_NS_PER_MS);
    pthread_mutex_unlock(&c->mu);
    if (n < want && (n == 0 || !c->restarts))
        return wd_err(err, WD_ENET, "%u of %u nodes registered within %d s", n, want,
                      (int)(NODES_TIMEOUT_NS / WD_NS_PER_SEC));
    if (n < want)
        wd_log(WD_LOG_WARN, "%u of %u nodes are left: placing the workers on them", n, want);
    for (uint32_t i = 0; i < c->nw; i++) c->w[i].node = (int)live[i % n];
    return 0;
}

/*
 * Give worker s until deadline to exit after Shutdown, then make it: a
 * child process is killed, a node is asked to kill its worker (whose exit
 * the node reports, or whose connection closes).
 */
static void ensure_gone(wd_controller *c, wslot *s, int64_t deadline)
{
    if (s->exited) return;
    if (c->o.scheduler == WD_SCHED_PROCESS) {
        if (s->pid <= 0) return;
        int st;
        while (waitpid(s->pid, &st, WNOHANG) == 0) {
            if (wd_mono_ns() >= deadline) {
                kill(s->pid, SIGKILL);
                waitpid(s->pid, &st, 0);
                break;
            }
            struct timespec ts = {0, 10 * WD_NS_PER_MS};
            nanosleep(&ts, NULL);
        }
        s->exited = true;
        return;
    }
    pthread_mutex_lock(&c->mu);
    while (s->rd_started && !s->lost && wd_mono_ns() < deadline) wait_cv(c, 50 * WD_NS_PER_MS);
    bool gone = s->lost;
    pthread_mutex_unlock(&c->mu);
    if (!gone) stop_on_node(c, s);
}

/* Tell every worker to shut down, make sure they are gone, free the run. */
static void teardown(wd_controller *c)
{
    Wadi__V1__Shutdown sd = WADI__V1__SHUTDOWN__INIT;
    sd.reason = "";
    WD_ENV(e, shutdown, SHUTDOWN, &sd);
    send_all(c, &e);
    int64_t deadline = wd_mono_ns() + EXIT_GRACE_NS;
    for (uint32_t i = 0; i < c->nw; i++) {
        wslot *s = &c->w[i];
        ensure_gone(c, s, deadline);
        /* its reader sees the connection close, or is cut off */
        pthread_mutex_lock(&s->send_mu);
        if (s->fd >= 0) shutdown(s->fd, SHUT_RDWR);
        pthread_mutex_unlock(&s->send_mu);
    }
    for (uint32_t i = 0; i < c->nw; i++)
        if (c->w[i].rd_started) pthread_join(c->w[i].rd, NULL);
    if (c->coord) {
        pthread_mutex_lock(&c->mu);
        wd_coord *coord = c->coord;
        wd_coord_get_stats(coord, &c->ckpt);
        c->coord = NULL;
        pthread_mutex_unlock(&c->mu);
        wd_coord_free(coord);
    }
    pthread_mutex_lock(&c->mu);
    for (uint32_t i = 0; i < c->nw; i++) {
        wslot *s = &c->w[i];
        wd_net_close(&s->fd);
        pthread_mutex_destroy(&s->send_mu);
    }
    wd_free(c->w);
    c->w = NULL;
    c->nw = 0;
    pthread_mutex_unlock(&c->mu);
}

/* The last checkpoint of the run (STOP or FINISH): take it, have it committed. */
static outcome last_epoch(wd_controller *c, wd_epoch_kind kind, char *why, size_t cap)
{
    outcome o = kind == WD_EPOCH_STOP ? R_STOPPED : R_FINISHED;
    if (!c->coord) return o;
    wd_error err;
    wd_err_clear(&err);
    int64_t e = wd_coord_last(c->coord, kind, LAST_TIMEOUT_NS, &err);
    if (e < 0) {
        snprintf(why, cap, "the final checkpoint failed: %s", err.msg);
        return kind == WD_EPOCH_STOP ? R_FAILED : R_LOST;
    }
    Wadi__V1__Commit m = WADI__V1__COMMIT__INIT;
    m.epoch = (uint64_t)e;
    m.last = true;
    WD_ENV(env, commit, COMMIT, &m);
    send_all(c, &env);
    outcome bad;
    if (wait_all(c, p_committed, (uint64_t)e, LAST_TIMEOUT_NS, "committed the last checkpoint",
                 &bad, why, cap) < 0)
        return kind == WD_EPOCH_STOP ? R_FAILED : bad;
    return o;
}

static outcome run_once(wd_controller *c, char *why, size_t cap)
{
    wd_error err;
    wd_err_clear(&err);
    outcome o = R_FAILED;
    pthread_mutex_lock(&c->mu);
    c->run++;
    c->fail_code = 0;
    c->fail_msg[0] = 0;
    c->nw = c->o.workers;
    c->w = wd_calloc(c->nw, sizeof *c->w);
    for (uint32_t i = 0; c->w && i < c->nw; i++) {
        c->w[i] = (wslot){.c = c, .index = i, .fd = -1};
        pthread_mutex_init(&c->w[i].send_mu, NULL);
    }
    pthread_mutex_unlock(&c->mu);
    if (!c->w) {
        snprintf(why, cap, "out of memory");
        return R_FAILED;
    }
    set_state(c, WD_JS_SCHEDULING, NULL);

    /* the epoch every worker restores */
    uint64_t restore = 0;
    if (c->store) {
        wd_ckpt_loaded *l = NULL;
        if (wd_ckpt_load(c->store, c->query, c->o.force && c->run == 1, &l, &err) < 0) {
            snprintf(why, cap, "%s%s%s", err.msg, err.hint[0] ? "\nhint: " : "", err.hint);
            return R_FAILED;
        }
        restore = l ? wd_ckpt_loaded_epoch(l) : 0;
        wd_ckpt_loaded_free(l);
        if (restore)
            wd_log(WD_LOG_INFO, "attempt %" PRIu64 ": restoring checkpoint %" PRIu64,
                   c->run & 0xffffffffu, restore);
    }
    if (c->o.scheduler == WD_SCHED_NODE && place_on_nodes(c, &err) < 0) {
        snprintf(why, cap, "%s", err.msg);
        return R_FAILED;
    }
    for (uint32_t i = 0; i < c->nw; i++) {
        int rc = c->o.scheduler == WD_SCHED_PROCESS ? spawn_process(c, &c->w[i], &err)
                                                    : start_on_node(c, &c->w[i], &err);
        if (rc < 0) {
            snprintf(why, cap, "%s", err.msg);
            return c->o.scheduler == WD_SCHED_NODE ? R_LOST : R_FAILED;
        }
    }
    if (wait_all(c, p_hello, 0, HELLO_TIMEOUT_NS, "connected", &o, why, cap) < 0) return o;

    /* every worker's part */
    char **peers = wd_calloc(c->nw, sizeof *peers);
    if (!peers) return R_FAILED;
    for (uint32_t i = 0; i < c->nw; i++) peers[i] = c->w[i].data_addr;
    for (uint32_t i = 0; i < c->nw; i++) {
        Wadi__V1__StartJob s = WADI__V1__START_JOB__INIT;
        s.run = c->run;
        s.worker = i;
        s.workers = c->nw;
        s.sql = c->sql;
        s.parallelism = c->o.parallelism;
        s.batch_rows = c->o.batch_rows;
        s.queue_rows = c->o.queue_rows;
        s.state_url = c->state_url ? c->state_url : "";
        s.query = c->query ? c->query : "";
        s.restore_epoch = restore;
        s.n_peers = c->nw;
        s.peers = peers;
        WD_ENV(e, start_job, START_JOB, &s);
        send_to(&c->w[i], &e);
    }
    wd_free(peers);
    if (wait_all(c, p_started, 0, START_TIMEOUT_NS, "started", &o, why, cap) < 0) return o;

    if (c->store) {
        wd_coord_opts co = {
            .store = c->store,
            .query = c->query,
            .interval_ns = c->o.checkpoint_interval_ns ? c->o.checkpoint_interval_ns
                                                       : 10 * WD_NS_PER_SEC,
            .keep = c->o.checkpoint_keep,
            .participants = c->ntasks,
            .ops = c->opinfo,
            .nops = c->nops,
            .next_epoch = restore + 1,
        };
        wd_coord_hooks h = {.ctx = c, .inject = hook_inject, .complete = hook_complete};
        wd_coord *coord;
        if (wd_coord_new(&co, &h, &coord, &err) < 0) {
            snprintf(why, cap, "%s", err.msg);
            return R_FAILED;
        }
        pthread_mutex_lock(&c->mu);
        c->coord = coord;
        pthread_mutex_unlock(&c->mu);
        if (wd_coord_start(coord, &err) < 0) {
            snprintf(why, cap, "%s", err.msg);
            return R_FAILED;
        }
    }
    set_state(c, WD_JS_RUNNING, NULL);
    int64_t started = wd_mono_ns(), next_beat = 0;
    for (;;) {
        pthread_mutex_lock(&c->mu);
        if (c->o.scheduler == WD_SCHED_PROCESS) reap(c);
        bool brk = broken(c, &o, why, cap);
        uint32_t ended = 0;
        for (uint32_t i = 0; i < c->nw; i++) ended += c->w[i].ended;
        bool stop = atomic_load(&c->stop_req);
        if (!brk && !stop && ended < c->nw) wait_cv(c, 100 * WD_NS_PER_MS);
        pthread_mutex_unlock(&c->mu);
        if (wd_mono_ns() - started > STABLE_NS) c->restarts = 0;
        if (brk) return o;
        if (stop) {
            set_state(c, WD_JS_STOPPING, NULL);
            return last_epoch(c, WD_EPOCH_STOP, why, cap);
        }
        if (ended == c->nw) return last_epoch(c, WD_EPOCH_FINISH, why, cap);
        if (wd_mono_ns() >= next_beat) {
            Wadi__V1__Heartbeat hb = WADI__V1__HEARTBEAT__INIT;
            WD_ENV(e, heartbeat, HEARTBEAT, &hb);
            send_all(c, &e);
            next_beat = wd_mono_ns() + WD_NS_PER_SEC;
        }
    }
}

/* ---- the job --------------------------------------------------------------------------- */

int wd_ctl_run(wd_controller *c, wd_error *err)
{
    uint32_t max = c->o.max_restarts ? c->o.max_restarts : 10;
    for (;;) {
        char why[1024] = "";
        outcome o = run_once(c, why, sizeof why);
        teardown(c);
        switch (o) {
        case R_FINISHED: set_state(c, WD_JS_FINISHED, NULL); return 0;
        case R_STOPPED: set_state(c, WD_JS_STOPPED, NULL); return WD_ESTOPPED;
        case R_FAILED:
            set_state(c, WD_JS_FAILED, why);
            return wd_err(err, WD_EIO, "%s", why);
        case R_LOST: break;
        }
        if (atomic_load(&c->stop_req)) {
            set_state(c, WD_JS_STOPPED, why);
            return WD_ESTOPPED;
        }
        if (!c->store) {
            set_state(c, WD_JS_FAILED, why);
            return wd_err(err, WD_EIO, "%s; the job takes no checkpoints (-s), so it cannot "
                                       "recover", why);
        }
        c->total_restarts++;
        if (++c->restarts > max) {
            set_state(c, WD_JS_FAILED, why);
            return wd_err(err, WD_EIO, "%s; gave up after %u restarts", why, max);
        }
        set_state(c, WD_JS_RECOVERING, why);
        int64_t backoff = (int64_t)100 * WD_NS_PER_MS << (c->restarts - 1 < 7 ? c->restarts - 1 : 7);
        if (backoff > MAX_BACKOFF_NS) backoff = MAX_BACKOFF_NS;
        if (c->restarts == 1) backoff = 0;
        int64_t until = wd_mono_ns() + backoff;
        while (wd_mono_ns() < until && !atomic_load(&c->stop_req)) {
            struct timespec ts = {0, 20 * WD_NS_PER_MS};
            nanosleep(&ts, NULL);
        }
    }
}

int wd_ctl_new(const wd_ctl_opts *o, wd_controller **out, wd_error *err)
{
    *out = NULL;
    wd_controller *c = wd_calloc(1, sizeof *c);
    if (!c) return wd_err(err, WD_ENOMEM, "out of memory");
    c->o = *o;
    c->lfd = -1;
    pthread_mutex_init(&c->mu, NULL);
    wd_cond_init_mono(&c->cv);
    *out = c;
    /* runs are numbered from a random base: reports about a run of an
     * earlier controller (a node's worker that exited after a restart)
     * never match one of ours */
    uint64_t seed = (uint64_t)wd_now_ns() ^ ((uint64_t)getpid() << 20);
    c->run = (seed * 0x9E3779B97F4A7C15ull) & 0xffffffff00000000ull;
    c->sql = wd_strdup(o->sql);
    c->query = o->query ? wd_strdup(o->query) : NULL;
    c->state_url = o->state_url ? wd_strdup(o->state_url) : NULL;
    c->exe = wd_strdup(o->exe ? o->exe : "/proc/self/exe");
    if (!c->sql || !c->exe) return wd_err(err, WD_ENOMEM, "out of memory");
    if (!c->o.workers) c->o.workers = 1;
    if (!c->o.parallelism) c->o.parallelism = 1;
    if (c->o.workers > c->o.parallelism)
        return wd_err(err, WD_EINVALID, "%u workers for parallelism %u: each worker needs a subtask",
                      c->o.workers, c->o.parallelism);
    wd_plan_opts po = {.parallelism = c->o.parallelism};
    int rc = wd_plan_compile(c->sql, strlen(c->sql), &po, &c->g, err);
    if (rc < 0) return rc;
    wd_arena a;
    wd_arena_init(&a, 0);
    wd_chains ch;
    wd_graph_chains_in(c->g, &a, &ch);
    c->nchains = ch.n;
    c->chain_base = wd_calloc(ch.n ? ch.n : 1, sizeof *c->chain_base);
    for (uint32_t i = 0; c->chain_base && i < ch.n; i++) {
        c->chain_base[i] = c->ntasks;
        c->ntasks += ch.chains[i].parallelism;
    }
    c->tm = wd_calloc(c->ntasks ? c->ntasks : 1, sizeof *c->tm);
    for (uint32_t i = 0; c->tm && i < c->ntasks; i++) c->tm[i].watermark = INT64_MIN;
    c->started_ns = wd_now_ns();
    c->nops = c->g->nnodes;
    c->opinfo = wd_calloc(c->nops ? c->nops : 1, sizeof *c->opinfo);
    if (!c->opinfo || !c->chain_base || !c->tm) {
        wd_arena_free(&a);
        return wd_err(err, WD_ENOMEM, "out of memory");
    }
    for (uint32_t n = 0; n < c->nops; n++)
        c->opinfo[n] = (wd_ckpt_opinfo){c->g->nodes[n]->id, c->g->nodes[n]->name,
                                        ch.chains[ch.chain_of[n]].parallelism};
    wd_arena_free(&a);
    if (c->state_url) {
        rc = wd_store_open(c->state_url, &c->store, err);
        if (rc < 0) return rc;
        if (!c->o.checkpoint_interval_ns) c->o.checkpoint_interval_ns = c->g->checkpoint_interval_ns;
    }
    const char *listen = o->listen ? o->listen
                                   : o->scheduler == WD_SCHED_PROCESS ? "127.0.0.1:0" : ":9190";
    char host[128];
    uint16_t port;
    if (!wd_net_split(listen, host, sizeof host, &port))
        return wd_err(err, WD_EINVALID, "'%s' is not an address to listen on (host:port)", listen);
    rc = wd_net_listen(host, port, &c->lfd, &port, err);
    if (rc < 0) return rc;
    snprintf(c->addr, sizeof c->addr, "%s:%u", host[0] ? host : "127.0.0.1", port);
    if (pthread_create(&c->listener, NULL, listener_main, c) != 0)
        return wd_err(err, WD_EINTERNAL, "cannot start the controller's listener");
    c->listener_started = true;
    wd_log(WD_LOG_DEBUG, "controller listening on %s", c->addr);
    return 0;
}

void wd_ctl_stop(wd_controller *c)
{
    atomic_store(&c->stop_req, true);
    wake(c);
}

wd_ctl_job_state wd_ctl_state(wd_controller *c)
{
    pthread_mutex_lock(&c->mu);
    wd_ctl_job_state s = c->state;
    pthread_mutex_unlock(&c->mu);
    return s;
}

wd_metrics_totals wd_ctl_totals(wd_controller *c)
{
    pthread_mutex_lock(&c->mu);
    wd_metrics_totals t = wd_metrics_sum(c->tm, c->ntasks);
    pthread_mutex_unlock(&c->mu);
    return t;
}

uint32_t wd_ctl_metrics(wd_controller *c, wd_task_metrics *out, uint32_t cap, wd_job_info *info)
{
    memset(info, 0, sizeof *info);
    pthread_mutex_lock(&c->mu);
    if (out) memcpy(out, c->tm, (cap < c->ntasks ? cap : c->ntasks) * sizeof *out);
    switch (c->state) {
    case WD_JS_FINISHED: info->state = WD_JOB_FINISHED; break;
    case WD_JS_FAILED: info->state = WD_JOB_FAILED; break;
    case WD_JS_STOPPING:
    case WD_JS_STOPPED: info->state = WD_JOB_STOPPING; break;
    default: info->state = WD_JOB_RUNNING; break;
    }
    info->started_ns = c->started_ns;
    snprintf(info->phase, sizeof info->phase, "%s", wd_ctl_state_name(c->state));
    info->attempt = (uint32_t)(c->run & 0xffffffffu);
    info->restarts = c->total_restarts;
    wd_coord_stats st = c->ckpt;
    /* c->mu keeps the attempt's coordinator from being freed (teardown);
     * its hooks are never called under its own lock, so this order is safe */
    if (c->coord) wd_coord_get_stats(c->coord, &st);
    pthread_mutex_unlock(&c->mu);
    if (!c->store) return c->ntasks;
    info->checkpointing = 1;
    info->ckpt_epoch = st.last_epoch;
    info->ckpt_completed = st.completed;
    info->ckpt_failed = st.failed;
    info->ckpt_duration_ns = st.last_duration_ns;
    info->ckpt_done_ns = st.last_done_ns;
    return c->ntasks;
}

void wd_ctl_free(wd_controller *c)
{
    if (!c) return;
    atomic_store(&c->quit, true);
    if (c->listener_started) pthread_join(c->listener, NULL);
    if (c->w) teardown(c);
    wd_net_close(&c->lfd);
    wd_store_close(c->store);
    wd_graph_free(c->g);
    wd_free(c->opinfo);
    wd_free(c->chain_base);
    wd_free(c->tm);
    wd_free(c->sql);
    wd_free(c->query);
    wd_free(c->state_url);
    wd_free(c->exe);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    wd_free(c);
}
