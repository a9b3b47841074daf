/*
 * control.h — the distributed services: controller, worker, node daemon
 * (docs/operations.md).
 *
 * The controller owns one job: it plans the SQL (to know its subtasks),
 * starts workers through a scheduler — `process` (child processes of this
 * host) or `node` (a `wadi node` daemon per host starts them when asked) —
 * gives each its part, coordinates checkpoints across them
 * (control/coordinator.h), watches them (connection, heartbeats, process
 * exit) and, when one is lost, stops the others and restarts every
 * subtask from the last complete checkpoint, up to max_restarts times with
 * exponential backoff.  Its state machine:
 *
 *   Created → Scheduling → Running → Finished
 *                 ↑           ├→ Recovering → Scheduling …
 *                 │           ├→ Stopping → Stopped
 *                 └───────────┴→ Failed
 */
#ifndef WD_CONTROL_H
#define WD_CONTROL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "runtime/runtime.h"

typedef enum wd_sched_kind { WD_SCHED_PROCESS, WD_SCHED_NODE } wd_sched_kind;

typedef enum wd_ctl_job_state {
    WD_JS_CREATED,
    WD_JS_SCHEDULING,
    WD_JS_RUNNING,
    WD_JS_RECOVERING,
    WD_JS_STOPPING,
    WD_JS_STOPPED,
    WD_JS_FINISHED,
    WD_JS_FAILED,
} wd_ctl_job_state;

const char *wd_ctl_state_name(wd_ctl_job_state s);

typedef struct wd_ctl_opts {
    const char *sql;              /* the job's SQL text */
    uint32_t parallelism, workers, batch_rows;
    uint64_t queue_rows;
    const char *state_url;        /* NULL: no checkpoints (a lost worker fails the job) */
    const char *query;            /* fingerprint of the SQL */
    bool force;
    int64_t checkpoint_interval_ns;
    uint32_t checkpoint_keep;
    wd_sched_kind scheduler;
    const char *listen;           /* RPC address (process: "127.0.0.1:0"; node: ":9190") */
    const char *exe;              /* the wadi binary (process scheduler) */
    uint32_t nodes;               /* node scheduler: nodes to wait for (0: 1) */
    uint32_t max_restarts;        /* 0: 10 */
    int64_t heartbeat_timeout_ns; /* a worker silent this long is lost (0: 10 s) */
} wd_ctl_opts;

typedef struct wd_controller wd_controller;

/* Validate opts, plan the SQL and listen (errors name the problem). */
int wd_ctl_new(const wd_ctl_opts *o, wd_controller **out, wd_error *err);

/* Run the job until it finishes (0), is stopped (WD_ESTOPPED) or fails. */
int wd_ctl_run(wd_controller *c, wd_error *err);

/* Stop the job after a final checkpoint (thread-safe; from a signal thread). */
void wd_ctl_stop(wd_controller *c);

wd_ctl_job_state wd_ctl_state(wd_controller *c);

/*
 * Every subtask's counters as its worker last reported them (heartbeats,
 * every second) into out[0 .. min(n, cap)), and the job's state; returns
 * n, the job's subtasks (control/metrics.h formats them).
 */
uint32_t wd_ctl_metrics(wd_controller *c, wd_task_metrics *out, uint32_t cap, wd_job_info *info);

/* Sums over every subtask's last reported counters (control/metrics.h). */
struct wd_metrics_totals wd_ctl_totals(wd_controller *c);

void wd_ctl_free(wd_controller *c);

/* `wadi worker`: run worker `index` of run `run` for the controller at addr. */
int wd_worker_main(const char *controller, uint64_t run, uint32_t index, wd_error *err);

typedef struct wd_node_opts {
    const char *controller;       /* host:port of the controller */
    const char *listen;           /* RPC address (":9290") */
    const char *advertise;        /* host the controller reaches us at (NULL: from the connection) */
    const char *id;               /* NULL: hostname:port */
    const char *exe;              /* the wadi binary */
    uint32_t slots;               /* workers at once (0: 16) */
    uint16_t admin_port;          /* /status and /metrics over HTTP (0: none) */
} wd_node_opts;

/* `wadi node`: serve until *stop. */
int wd_node_main(const wd_node_opts *o, const _Atomic bool *stop, wd_error *err);

#endif
