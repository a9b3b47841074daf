/*
 * metrics.h — a job's counters as text: the Prometheus exposition format,
 * a JSON status document and a one-line progress summary.
 *
 * Input is what the runtime reports (runtime.h): one wd_task_metrics per
 * subtask and a wd_job_info for the job.  These functions only format;
 * they keep no state and may run on any thread.  now_ns is the wall clock
 * (ns since the epoch) that watermark lags and ages are measured against.
 */
#ifndef WD_METRICS_H
#define WD_METRICS_H

#include <stdint.h>

#include "common/buf.h"
#include "runtime/runtime.h"

/* The content type of wd_metrics_prometheus's output. */
#define WD_METRICS_PROMETHEUS_TYPE "text/plain; version=0.0.4; charset=utf-8"

/*
 * Append the Prometheus text exposition (format 0.0.4) of n subtasks' and
 * the job's counters to out: every family with its HELP and TYPE lines,
 * samples labelled chain="…", chain_index="…", subtask="…" (label values
 * escaped).  job may be NULL (no job-level families).
 */
void wd_metrics_prometheus(const wd_task_metrics *m, uint32_t n, int64_t now_ns,
                           const wd_job_info *job, wd_buf *out);

/* Append the job's status as one JSON object: state, totals, watermark,
 * last checkpoint and every subtask's counters. */
void wd_metrics_status_json(const wd_task_metrics *m, uint32_t n, int64_t now_ns,
                            const wd_job_info *job, wd_buf *out);

/* What the previous progress line counted (zeroed before the first). */
typedef struct wd_progress {
    int64_t at_ns;          /* wall clock of the previous line (0: none) */
    uint64_t rows_in, rows_out;
} wd_progress;

/*
 * Append one progress line (with its newline) and remember its totals in
 * *p: time since the job started, rows read by sources and written by
 * sinks per second since the previous line (or since the start), the
 * output watermark (the least over sinks) and its lag, the last
 * checkpoint and its age:
 *   [00:01:05] in 1.23 M rows/s  out 0.41 M rows/s  watermark
 *   2026-12-04 21:40:03 (lag 1.2 s)  checkpoint 12 (0.3 s ago)
 */
void wd_metrics_progress(wd_progress *p, const wd_task_metrics *m, uint32_t n, int64_t now_ns,
                         const wd_job_info *job, wd_buf *out);

/* The least watermark over sink subtasks that have one (INT64_MIN: none). */
int64_t wd_metrics_output_watermark(const wd_task_metrics *m, uint32_t n);

/* Sums over subtasks: rows read by sources, rows written by sinks, late
 * and bad rows dropped, backpressure time. */
typedef struct wd_metrics_totals {
    uint64_t source_rows, sink_rows, late, bad, backpressure_ns;
} wd_metrics_totals;
wd_metrics_totals wd_metrics_sum(const wd_task_metrics *m, uint32_t n);

#endif
