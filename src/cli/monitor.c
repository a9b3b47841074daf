/*
 * monitor.c — the HTTP endpoint and progress lines of `wadi run`
 * (monitor.h).
 *
 * Both read the job the same way: under the monitor's mutex, they copy
 * every subtask's counters and the job's state — from a job in this
 * process (wd_job_metrics, wd_job_get_info) or from a controller, which
 * has them from its workers' heartbeats (wd_ctl_metrics) — then format
 * them (control/metrics.h).  The mutex also keeps the job from being let
 * go (monitor_stop) while a request reads it.
 */
#include "cli/monitor.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "control/http.h"
#include "control/metrics.h"

#define DEFAULT_PROGRESS_NS (5 * WD_NS_PER_SEC)
#define PROGRESS_SLICE_NS (50 * WD_NS_PER_MS) /* how soon the line thread sees a stop */

struct monitor {
    monitor_opts o;
    wd_http *http;
    pthread_mutex_t mu;
    monitor_read read;        /* (mu) NULL until attached */
    void *src;
    wd_task_metrics *tm;      /* (mu) room for every subtask */
    uint32_t ntm;
    _Atomic bool stopping;
    pthread_t progress;
    bool progress_started;
    wd_progress last;
};

/* Read the job's counters into m->tm (mu held); the number of subtasks. */
static uint32_t collect(monitor *m, wd_job_info *info)
{
    uint32_t n = m->read(m->src, m->tm, m->ntm, info);
    return n < m->ntm ? n : m->ntm;
}

static void on_request(void *ctx, const char *path, wd_http_reply *reply)
{
    monitor *m = ctx;
    bool metrics = strcmp(path, "/metrics") == 0, status = strcmp(path, "/status") == 0;
    if (!metrics && !status) {
        reply->status = 404;
        wd_buf_puts(&reply->body, "not found: try /metrics or /status\n");
        return;
    }
    pthread_mutex_lock(&m->mu);
    if (!m->read) {
        pthread_mutex_unlock(&m->mu);
        reply->status = 503;
        wd_buf_puts(&reply->body, "the job is not running yet\n");
        return;
    }
    wd_job_info info;
    uint32_t n = collect(m, &info);
    if (metrics) {
        reply->content_type = WD_METRICS_PROMETHEUS_TYPE;
        wd_metrics_prometheus(m->tm, n, wd_now_ns(), &info, &reply->body);
    } else {
        reply->content_type = "application/json";
        wd_metrics_status_json(m->tm, n, wd_now_ns(), &info, &reply->body);
    }
    pthread_mutex_unlock(&m->mu);
}

/* A progress line every progress_ns until stopped (checked every slice). */
static void *progress_main(void *arg)
{
    monitor *m = arg;
    wd_buf line = WD_BUF_INIT;
    int64_t next = wd_mono_ns() + m->o.progress_ns;
    while (!atomic_load(&m->stopping)) {
        struct timespec slice = {0, PROGRESS_SLICE_NS};
        nanosleep(&slice, NULL);
        if (wd_mono_ns() < next) continue;
        next += m->o.progress_ns;
        wd_job_info info;
        pthread_mutex_lock(&m->mu);
        uint32_t n = collect(m, &info);
        wd_buf_reset(&line);
        wd_metrics_progress(&m->last, m->tm, n, wd_now_ns(), &info, &line);
        pthread_mutex_unlock(&m->mu);
        fputs(line.data, stderr);
    }
    wd_buf_free(&line);
    return NULL;
}

/* Start monitoring (see monitor.h). */
int monitor_start(const monitor_opts *o, monitor **out, wd_error *err)
{
    *out = NULL;
    monitor *m = wd_calloc(1, sizeof *m);
    if (!m) return wd_err(err, WD_ENOMEM, "out of memory");
    m->o = *o;
    if (!m->o.progress_ns) m->o.progress_ns = DEFAULT_PROGRESS_NS;
    pthread_mutex_init(&m->mu, NULL);
    if (o->http) {
        wd_error e;
        wd_err_clear(&e);
        m->http = wd_http_start(o->bind_addr, o->port, on_request, m, &e);
        if (!m->http) {
            int rc = wd_err(err, e.code ? e.code : WD_EIO, "metrics endpoint: %s", e.msg);
            monitor_stop(m);
            return rc;
        }
        wd_log(WD_LOG_INFO, "metrics at http://%s:%u/metrics",
               o->bind_addr ? o->bind_addr : "127.0.0.1", (unsigned)wd_http_port(m->http));
    }
    *out = m;
    return 0;
}

static uint32_t read_job(void *src, wd_task_metrics *tm, uint32_t cap, wd_job_info *info)
{
    wd_job_get_info(src, info);
    return wd_job_metrics(src, tm, cap);
}

/* Report what read gives from now on (see monitor.h). */
void monitor_attach_reader(monitor *m, monitor_read read, void *src, uint32_t ntasks)
{
    wd_task_metrics *tm = wd_calloc(ntasks ? ntasks : 1, sizeof *tm);
    if (!tm) return; /* nothing to report into: the endpoint keeps answering 503 */
    pthread_mutex_lock(&m->mu);
    m->read = read;
    m->src = src;
    m->tm = tm;
    m->ntm = ntasks;
    pthread_mutex_unlock(&m->mu);
    if (m->o.progress)
        m->progress_started = pthread_create(&m->progress, NULL, progress_main, m) == 0;
}

/* Report on j (see monitor.h). */
void monitor_attach(monitor *m, wd_job *j)
{
    monitor_attach_reader(m, read_job, j, wd_job_metrics(j, NULL, 0));
}

/* Stop and free (see monitor.h). */
void monitor_stop(monitor *m)
{
    if (!m) return;
    wd_http_stop(m->http); /* no request runs after this */
    atomic_store(&m->stopping, true);
    if (m->progress_started) pthread_join(m->progress, NULL);
    wd_free(m->tm);
    pthread_mutex_destroy(&m->mu);
    wd_free(m);
}
