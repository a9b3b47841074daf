/*
 * node.c — the node daemon (`wadi node`): starts workers on this host
 * when the controller asks.
 *
 * It registers with the controller (NodeRegister, a unary call to the
 * controller's RPC port) at start and every REGISTER_EVERY_NS after, so a
 * restarted controller learns its nodes again; it serves StartWorker and
 * StopWorker calls on its own RPC port; and it reports each worker it
 * started that exits (WorkerExited), so the controller recovers at once
 * instead of waiting for a heartbeat timeout.  Its admin port (9291) serves
 * /status (the workers it runs) and /metrics.  Workers are child
 * processes (`wadi worker …`); on SIGINT/SIGTERM the node kills them and
 * exits.
 *
 * Exports: wd_node_main.
 */
#include "control/control.h"

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "control/http.h"
#include "control/metrics.h"
#include "control/process.h"
#include "control/proto.h"
#include "runtime/net.h"

#define REGISTER_EVERY_NS (2 * WD_NS_PER_SEC)
#define RPC_TIMEOUT_NS (5 * WD_NS_PER_SEC)
#define MAX_CHILDREN 256

typedef struct child {
    pid_t pid;
    uint64_t run;
    uint32_t worker;
} child;

typedef struct nd {
    const wd_node_opts *o;
    char id[208], rpc_addr[200];
    pthread_mutex_t mu;      /* kids, for the admin endpoint's thread */
    child kids[MAX_CHILDREN];
    uint32_t nkids;
    uint64_t started, exited;
} nd;

/* The admin endpoint: /status (JSON) and /metrics (Prometheus). */
static void on_admin(void *ctx, const char *path, wd_http_reply *r)
{
    nd *n = ctx;
    bool metrics = !strcmp(path, "/metrics");
    if (!metrics && strcmp(path, "/status")) {
        r->status = 404;
        wd_buf_puts(&r->body, "not found: try /status or /metrics\n");
        return;
    }
    pthread_mutex_lock(&n->mu);
    if (metrics) {
        r->content_type = WD_METRICS_PROMETHEUS_TYPE;
        wd_buf_printf(&r->body,
                      "# HELP wadi_node_workers Worker processes this node runs.\n"
                      "# TYPE wadi_node_workers gauge\nwadi_node_workers %u\n"
                      "# HELP wadi_node_workers_started_total Workers this node started.\n"
                      "# TYPE wadi_node_workers_started_total counter\n"
                      "wadi_node_workers_started_total %llu\n"
                      "# HELP wadi_node_workers_exited_total Workers that exited.\n"
                      "# TYPE wadi_node_workers_exited_total counter\n"
                      "wadi_node_workers_exited_total %llu\n",
                      n->nkids, (unsigned long long)n->started, (unsigned long long)n->exited);
    } else {
        r->content_type = "application/json";
        wd_buf_puts(&r->body, "{\"node\":");
        wd_buf_json_str(&r->body, n->id, strlen(n->id));
        wd_buf_puts(&r->body, ",\"controller\":");
        wd_buf_json_str(&r->body, n->o->controller, strlen(n->o->controller));
        wd_buf_puts(&r->body, ",\"workers\":[");
        for (uint32_t i = 0; i < n->nkids; i++)
            wd_buf_printf(&r->body, "%s{\"attempt\":%llu,\"worker\":%u,\"pid\":%d}", i ? "," : "",
                          (unsigned long long)(n->kids[i].run & 0xffffffffu), n->kids[i].worker,
                          (int)n->kids[i].pid);
        wd_buf_puts(&r->body, "]}\n");
    }
    pthread_mutex_unlock(&n->mu);
}


static void send_reply(int fd, bool ok, const char *msg, uint32_t pid)
{
    Wadi__V1__Reply r = WADI__V1__REPLY__INIT;
    r.ok = ok;
    r.message = (char *)(msg ? msg : "");
    r.pid = pid;
    WD_ENV(e, reply, REPLY, &r);
    wd_error err;
    wd_err_clear(&err);
    wd_ctl_send(fd, &e, RPC_TIMEOUT_NS, &err);
}

/* Register (or say we are still here); the first address seen decides rpc_addr. */
static void register_node(nd *n, uint16_t port, bool *said)
{
    const wd_node_opts *o = n->o;
    if (!n->rpc_addr[0]) {
        /* find the address the controller reaches us at */
        int fd;
        wd_error err;
        wd_err_clear(&err);
        if (wd_net_connect(o->controller, RPC_TIMEOUT_NS, &fd, &err) < 0) {
            if (!*said) wd_log(WD_LOG_WARN, "node: cannot reach the controller: %s", err.msg);
            *said = true;
            return;
        }
        char host[128];
        if (o->advertise) snprintf(host, sizeof host, "%s", o->advertise);
        else if (wd_net_local_host(fd, host, sizeof host) < 0) snprintf(host, sizeof host, "127.0.0.1");
        wd_net_close(&fd);
        snprintf(n->rpc_addr, sizeof n->rpc_addr, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host,
                 port);
        if (!n->id[0]) snprintf(n->id, sizeof n->id, "%s", n->rpc_addr);
    }
    Wadi__V1__NodeRegister r = WADI__V1__NODE_REGISTER__INIT;
    r.node_id = n->id;
    r.rpc_addr = n->rpc_addr;
    r.slots = o->slots ? o->slots : 16;
    WD_ENV(e, node_register, NODE_REGISTER, &r);
    wd_env *rep = NULL;
    wd_error err;
    wd_err_clear(&err);
    if (wd_ctl_call(o->controller, &e, RPC_TIMEOUT_NS, &rep, &err) < 0) {
        if (!*said) wd_log(WD_LOG_WARN, "node: cannot register with %s: %s", o->controller, err.msg);
        *said = true;
    } else {
        if (*said) wd_log(WD_LOG_INFO, "node %s: registered with %s", n->id, o->controller);
        *said = false;
    }
    wd_env_free(rep);
}

static void start_worker(nd *n, int fd, const Wadi__V1__StartWorker *s)
{
    const wd_node_opts *o = n->o;
    if (n->nkids >= (o->slots ? o->slots : 16) || n->nkids >= MAX_CHILDREN) {
        send_reply(fd, false, "no free slot on this node", 0);
        return;
    }
    const char *exe = o->exe ? o->exe : "/proc/self/exe";
    pid_t pid;
    int e = wd_spawn_worker(exe, s->controller_addr, s->run, s->worker, &pid);
    if (e) {
        char msg[256];
        snprintf(msg, sizeof msg, "cannot start %s: %s", exe, strerror(e));
        send_reply(fd, false, msg, 0);
        return;
    }
    pthread_mutex_lock(&n->mu);
    n->kids[n->nkids++] = (child){pid, s->run, s->worker};
    n->started++;
    pthread_mutex_unlock(&n->mu);
    wd_log(WD_LOG_INFO, "node %s: started worker %u of run %" PRIu64 " (pid %d)", n->id, s->worker,
           s->run, (int)pid);
    send_reply(fd, true, NULL, (uint32_t)pid);
}

static void stop_worker(nd *n, int fd, const Wadi__V1__StopWorker *s)
{
    bool found = false;
    for (uint32_t i = 0; i < n->nkids; i++)
        if (n->kids[i].run == s->run && n->kids[i].worker == s->worker) {
            kill(n->kids[i].pid, SIGKILL);
            found = true;
        }
    send_reply(fd, true, found ? NULL : "no such worker", 0);
}

/* Report children that exited. */
static void reap(nd *n)
{
    for (uint32_t i = 0; i < n->nkids;) {
        child k = n->kids[i];
        int st;
        if (waitpid(k.pid, &st, WNOHANG) != k.pid) {
            i++;
            continue;
        }
        pthread_mutex_lock(&n->mu);
        n->kids[i] = n->kids[--n->nkids];
        n->exited++;
        pthread_mutex_unlock(&n->mu);
        char status[64];
        wd_wait_status_text(st, status, sizeof status);
        wd_log(WD_LOG_INFO, "node %s: worker %u of run %" PRIu64 " %s", n->id, k.worker, k.run,
               status);
        Wadi__V1__WorkerExited x = WADI__V1__WORKER_EXITED__INIT;
        x.node_id = n->id;
        x.run = k.run;
        x.worker = k.worker;
        x.status = status;
        WD_ENV(e, worker_exited, WORKER_EXITED, &x);
        wd_env *rep = NULL;
        wd_error err;
        wd_err_clear(&err);
        if (wd_ctl_call(n->o->controller, &e, RPC_TIMEOUT_NS, &rep, &err) < 0)
            wd_log(WD_LOG_WARN, "node %s: cannot report the exit to the controller: %s", n->id,
                   err.msg);
        wd_env_free(rep);
    }
}

int wd_node_main(const wd_node_opts *o, const _Atomic bool *stop, wd_error *err)
{
    nd *n = wd_calloc(1, sizeof *n);
    if (!n) return wd_err(err, WD_ENOMEM, "out of memory");
    n->o = o;
    pthread_mutex_init(&n->mu, NULL);
    if (o->id) snprintf(n->id, sizeof n->id, "%s", o->id);
    const char *listen = o->listen ? o->listen : ":9290";
    char host[128];
    uint16_t port;
    int lfd = -1;
    if (!wd_net_split(listen, host, sizeof host, &port)) {
        wd_free(n);
        return wd_err(err, WD_EINVALID, "'%s' is not an address to listen on (host:port)", listen);
    }
    int rc = wd_net_listen(host, port, &lfd, &port, err);
    if (rc < 0) {
        wd_free(n);
        return rc;
    }
    wd_http *admin = NULL;
    if (o->admin_port) {
        admin = wd_http_start(host[0] ? host : "0.0.0.0", o->admin_port, on_admin, n, err);
        if (!admin) {
            wd_net_close(&lfd);
            pthread_mutex_destroy(&n->mu);
            wd_free(n);
            return err->code ? err->code : WD_EIO;
        }
    }
    wd_log(WD_LOG_INFO, "node listening on %s:%u (admin %u); controller %s", host[0] ? host : "*",
           port, o->admin_port, o->controller);
    bool said = false;
    int64_t next_reg = 0;
    while (!atomic_load(stop)) {
        if (wd_mono_ns() >= next_reg) {
            register_node(n, port, &said);
            next_reg = wd_mono_ns() + REGISTER_EVERY_NS;
        }
        reap(n);
        int fd;
        wd_error e;
        wd_err_clear(&e);
        if (wd_net_accept(lfd, 100 * WD_NS_PER_MS, &fd, &e) <= 0) continue;
        wd_env *m = NULL;
        if (wd_ctl_recv(fd, RPC_TIMEOUT_NS, stop, &m, &e) < 0) {
            wd_log(WD_LOG_WARN, "node: dropped a connection: %s", e.msg);
        } else if (m->msg_case == WADI__V1__ENVELOPE__MSG_START_WORKER) {
            start_worker(n, fd, m->start_worker);
        } else if (m->msg_case == WADI__V1__ENVELOPE__MSG_STOP_WORKER) {
            stop_worker(n, fd, m->stop_worker);
        } else {
            send_reply(fd, false, "unexpected message", 0);
        }
        wd_env_free(m);
        wd_net_close(&fd);
    }
    for (uint32_t i = 0; i < n->nkids; i++) kill(n->kids[i].pid, SIGKILL);
    for (uint32_t i = 0; i < n->nkids; i++) waitpid(n->kids[i].pid, NULL, 0);
    wd_http_stop(admin);
    wd_net_close(&lfd);
    pthread_mutex_destroy(&n->mu);
    wd_free(n);
    return 0;
}
