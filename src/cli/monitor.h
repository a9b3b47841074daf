/*
 * monitor.h — what `wadi run` shows of a running job: an HTTP endpoint
 * (/metrics in the Prometheus format, /status as JSON) and a progress line
 * on stderr every few seconds.
 */
#ifndef WD_CLI_MONITOR_H
#define WD_CLI_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "runtime/runtime.h"

typedef struct monitor monitor;

typedef struct monitor_opts {
    bool http;                /* serve /metrics and /status */
    const char *bind_addr;    /* NULL: 127.0.0.1 */
    uint16_t port;            /* 0: any free port */
    bool progress;            /* print progress lines on stderr */
    int64_t progress_ns;      /* between lines (0: 5 s) */
} monitor_opts;

/*
 * Start monitoring (before the job starts, so that a port that cannot be
 * bound stops the run before anything happens).  Until monitor_attach the
 * endpoint answers 503.  Returns 0, or a negative code with err filled.
 */
int monitor_start(const monitor_opts *o, monitor **out, wd_error *err);

/* Report on j from now on (j must stay alive until monitor_stop). */
void monitor_attach(monitor *m, wd_job *j);

/* Report what read(src, …) gives (the counters of ntasks subtasks and the
 * job's state) from now on; src must stay alive until monitor_stop. */
typedef uint32_t (*monitor_read)(void *src, wd_task_metrics *tm, uint32_t cap, wd_job_info *info);
void monitor_attach_reader(monitor *m, monitor_read read, void *src, uint32_t ntasks);

/* Stop the endpoint and the progress lines and free m (NULL: nothing). */
void monitor_stop(monitor *m);

#endif
