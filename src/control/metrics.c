/*
 * metrics.c — a job's counters as Prometheus text, JSON and a progress
 * line (metrics.h).
 *
 * The subtask families are one table: name, type, help and which field of
 * wd_task_metrics they show, so adding a counter is one row.  Durations
 * are nanoseconds inside wadi and seconds outside (Prometheus' base unit),
 * printed exactly rather than through a double.
 *
 * Exports: wd_metrics_prometheus, wd_metrics_status_json,
 * wd_metrics_progress, wd_metrics_output_watermark, wd_metrics_sum.
 */
#include "control/metrics.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/timeutil.h"

/* ---- Prometheus ----------------------------------------------------------- */

typedef enum value_kind {
    V_COUNT,     /* a uint64 as it is */
    V_SECONDS,   /* a uint64 of nanoseconds, shown in seconds */
    V_QUEUE,     /* a uint64, for subtasks with an input queue only */
    V_WATERMARK, /* the watermark in seconds since the epoch, when there is one */
    V_LAG,       /* now - watermark in seconds, when there is one */
} value_kind;

typedef struct family {
    const char *name, *type, *help;
    size_t field; /* offset in wd_task_metrics */
    value_kind kind;
} family;

#define FIELD(f) offsetof(wd_task_metrics, f)

static const family families[] = {
    {"wadi_subtask_rows_in_total", "counter",
     "Rows that entered the subtask: from its input queue, or read by its source.",
     FIELD(rows_in), V_COUNT},
    {"wadi_subtask_rows_out_total", "counter",
     "Rows the subtask sent downstream, or a sink subtask wrote.", FIELD(rows_out), V_COUNT},
    {"wadi_subtask_bytes_in_total", "counter", "Bytes of the rows that entered the subtask.",
     FIELD(bytes_in), V_COUNT},
    {"wadi_subtask_bytes_out_total", "counter", "Bytes of the rows the subtask sent or wrote.",
     FIELD(bytes_out), V_COUNT},
    {"wadi_subtask_batches_in_total", "counter", "Batches that entered the subtask.",
     FIELD(batches_in), V_COUNT},
    {"wadi_subtask_batches_out_total", "counter", "Batches the subtask sent or wrote.",
     FIELD(batches_out), V_COUNT},
    {"wadi_subtask_late_rows_dropped_total", "counter",
     "Rows dropped because they arrived behind the watermark.", FIELD(late_dropped), V_COUNT},
    {"wadi_subtask_bad_rows_dropped_total", "counter",
     "Rows the subtask's source dropped as bad data (bad_data = 'drop').", FIELD(bad_dropped),
     V_COUNT},
    {"wadi_subtask_backpressure_seconds_total", "counter",
     "Time the subtask waited for room in full downstream queues.", FIELD(backpressure_ns),
     V_SECONDS},
    {"wadi_subtask_queue_rows", "gauge", "Rows waiting in the subtask's input queue.",
     FIELD(queue_rows), V_QUEUE},
    {"wadi_subtask_queue_capacity_rows", "gauge", "Capacity of the subtask's input queue in rows.",
     FIELD(queue_cap), V_QUEUE},
    {"wadi_subtask_watermark_timestamp_seconds", "gauge",
     "The subtask's watermark: event time, in seconds since the epoch.", FIELD(watermark),
     V_WATERMARK},
    {"wadi_subtask_watermark_lag_seconds", "gauge",
     "Wall clock minus the subtask's watermark, in seconds.", FIELD(watermark), V_LAG},
};

static uint64_t field_u64(const wd_task_metrics *m, size_t off)
{
    uint64_t v;
    memcpy(&v, (const char *)m + off, sizeof v);
    return v;
}

/* s with backslash and newline escaped, and the double quote when quoted
 * (a label value) — the exposition format's two escapings. */
static void put_escaped(wd_buf *out, const char *s, int quoted)
{
    for (; *s; s++) {
        if (*s == '\\') wd_buf_puts(out, "\\\\");
        else if (*s == '\n') wd_buf_puts(out, "\\n");
        else if (*s == '"' && quoted) wd_buf_puts(out, "\\\"");
        else wd_buf_putc(out, *s);
    }
}

/* ns as seconds, exactly: "12", "0.25", "-1.000000001". */
static void put_seconds(wd_buf *out, int64_t ns)
{
    uint64_t a = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    uint64_t frac = a % (uint64_t)WD_NS_PER_SEC;
    wd_buf_printf(out, "%s%" PRIu64, ns < 0 ? "-" : "", a / (uint64_t)WD_NS_PER_SEC);
    if (!frac) return;
    char digits[16];
    int len = snprintf(digits, sizeof digits, "%09" PRIu64, frac);
    while (len > 0 && digits[len - 1] == '0') len--;
    wd_buf_printf(out, ".%.*s", len, digits);
}

static void put_family_head(wd_buf *out, const char *name, const char *type, const char *help)
{
    wd_buf_printf(out, "# HELP %s ", name);
    put_escaped(out, help, 0);
    wd_buf_printf(out, "\n# TYPE %s %s\n", name, type);
}

static void put_labels(wd_buf *out, const wd_task_metrics *m)
{
    char chain[sizeof m->chain + 1];
    memcpy(chain, m->chain, sizeof m->chain);
    chain[sizeof m->chain] = 0; /* a struct from elsewhere may not end its string */
    wd_buf_puts(out, "{chain=\"");
    put_escaped(out, chain, 1);
    wd_buf_printf(out, "\",chain_index=\"%" PRIu32 "\",subtask=\"%" PRIu32 "\"}", m->chain_index,
                  m->subtask);
}

/* One sample of family f for subtask m, unless f does not apply to it. */
static void put_sample(wd_buf *out, const family *f, const wd_task_metrics *m, int64_t now_ns)
{
    if (f->kind == V_QUEUE && m->queue_cap == 0) return;
    if ((f->kind == V_WATERMARK || f->kind == V_LAG) && m->watermark == INT64_MIN) return;
    wd_buf_puts(out, f->name);
    put_labels(out, m);
    wd_buf_putc(out, ' ');
    uint64_t v = field_u64(m, f->field);
    switch (f->kind) {
    case V_COUNT:
    case V_QUEUE: wd_buf_printf(out, "%" PRIu64, v); break;
    case V_SECONDS: put_seconds(out, (int64_t)v); break;
    case V_WATERMARK: put_seconds(out, m->watermark); break;
    case V_LAG: put_seconds(out, now_ns - m->watermark); break;
    }
    wd_buf_putc(out, '\n');
}

static void put_job_value(wd_buf *out, const char *name, const char *type, const char *help,
                          const char *value_fmt, ...) __attribute__((format(printf, 5, 6)));

static void put_job_value(wd_buf *out, const char *name, const char *type, const char *help,
                          const char *value_fmt, ...)
{
    put_family_head(out, name, type, help);
    wd_buf_printf(out, "%s ", name);
    va_list ap;
    va_start(ap, value_fmt);
    wd_buf_vprintf(out, value_fmt, ap);
    va_end(ap);
    wd_buf_putc(out, '\n');
}

static void put_job_seconds(wd_buf *out, const char *name, const char *help, int64_t ns)
{
    put_family_head(out, name, "gauge", help);
    wd_buf_printf(out, "%s ", name);
    put_seconds(out, ns);
    wd_buf_putc(out, '\n');
}

static void put_job(wd_buf *out, const wd_job_info *job)
{
    put_family_head(out, "wadi_job_state", "gauge", "1 for the job's current state, else 0.");
    for (int s = WD_JOB_RUNNING; s <= WD_JOB_FAILED; s++)
        wd_buf_printf(out, "wadi_job_state{state=\"%s\"} %d\n", wd_job_state_name(s),
                      job->state == (uint32_t)s);
    if (job->phase[0]) {
        put_family_head(out, "wadi_job_phase", "gauge",
                        "The controller's state of a distributed job (Running, Recovering, ...).");
        wd_buf_printf(out, "wadi_job_phase{phase=\"%s\"} 1\n", job->phase);
        put_job_value(out, "wadi_job_restarts_total", "counter",
                      "Recoveries from lost workers since the job started.", "%u", job->restarts);
    }
    put_job_seconds(out, "wadi_job_start_time_seconds",
                    "When the job started, in seconds since the epoch.", job->started_ns);
    if (!job->checkpointing) return;
    put_job_value(out, "wadi_checkpoints_completed_total", "counter",
                  "Checkpoints completed since the job started.", "%" PRIu64,
                  job->ckpt_completed);
    put_job_value(out, "wadi_checkpoints_failed_total", "counter",
                  "Checkpoints abandoned since the job started.", "%" PRIu64, job->ckpt_failed);
    if (!job->ckpt_epoch) return;
    put_job_value(out, "wadi_checkpoint_last_epoch", "gauge",
                  "Epoch of the newest complete checkpoint.", "%" PRIu64, job->ckpt_epoch);
    if (!job->ckpt_done_ns) return; /* restored, none taken since */
    put_job_seconds(out, "wadi_checkpoint_last_duration_seconds",
                    "How long the newest checkpoint took, from its start to its manifest.",
                    job->ckpt_duration_ns);
    put_job_seconds(out, "wadi_checkpoint_last_completion_timestamp_seconds",
                    "When the newest checkpoint completed, in seconds since the epoch.",
                    job->ckpt_done_ns);
}

/* The Prometheus text exposition (see metrics.h). */
void wd_metrics_prometheus(const wd_task_metrics *m, uint32_t n, int64_t now_ns,
                           const wd_job_info *job, wd_buf *out)
{
    if (job) put_job(out, job);
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++) {
        put_family_head(out, families[f].name, families[f].type, families[f].help);
        for (uint32_t i = 0; i < n; i++) put_sample(out, &families[f], &m[i], now_ns);
    }
}

/* ---- totals --------------------------------------------------------------- */

/* The least watermark over sinks (see metrics.h). */
int64_t wd_metrics_output_watermark(const wd_task_metrics *m, uint32_t n)
{
    int64_t wm = INT64_MAX;
    for (uint32_t i = 0; i < n; i++)
        if ((m[i].flags & WD_TASK_SINK) && m[i].watermark != INT64_MIN && m[i].watermark < wm)
            wm = m[i].watermark;
    return wm == INT64_MAX ? INT64_MIN : wm;
}

/* Sums over subtasks (see metrics.h). */
wd_metrics_totals wd_metrics_sum(const wd_task_metrics *m, uint32_t n)
{
    wd_metrics_totals t = {0};
    for (uint32_t i = 0; i < n; i++) {
        if (m[i].flags & WD_TASK_SOURCE) t.source_rows += m[i].rows_in;
        if (m[i].flags & WD_TASK_SINK) t.sink_rows += m[i].rows_out;
        t.late += m[i].late_dropped;
        t.bad += m[i].bad_dropped;
        t.backpressure_ns += m[i].backpressure_ns;
    }
    return t;
}

/* "2026-12-04 21:40:03" (UTC, whole seconds) into out (40 bytes). */
static void format_time(int64_t ns, char *out)
{
    int64_t s = ns / WD_NS_PER_SEC - (ns % WD_NS_PER_SEC < 0);
    wd_ts_format(s * WD_NS_PER_SEC, out);
    char *t = strchr(out, 'T');
    if (t) *t = ' ';
}

/* ---- JSON status ------------------------------------------------------------ */

static json_t *json_u64(uint64_t v) { return json_integer((json_int_t)v); }
static json_t *json_seconds(int64_t ns) { return json_real((double)ns / WD_NS_PER_SEC); }

static json_t *json_time(int64_t ns)
{
    if (ns == INT64_MIN) return json_null();
    char text[40];
    format_time(ns, text);
    return json_string(text);
}

static json_t *subtask_json(const wd_task_metrics *m, int64_t now_ns)
{
    char chain[sizeof m->chain + 1];
    memcpy(chain, m->chain, sizeof m->chain);
    chain[sizeof m->chain] = 0;
    json_t *o = json_object();
    json_object_set_new(o, "chain", json_string(chain));
    json_object_set_new(o, "chain_index", json_u64(m->chain_index));
    json_object_set_new(o, "subtask", json_u64(m->subtask));
    json_object_set_new(o, "parallelism", json_u64(m->parallelism));
    json_object_set_new(o, "rows_in", json_u64(m->rows_in));
    json_object_set_new(o, "rows_out", json_u64(m->rows_out));
    json_object_set_new(o, "bytes_in", json_u64(m->bytes_in));
    json_object_set_new(o, "bytes_out", json_u64(m->bytes_out));
    json_object_set_new(o, "batches_in", json_u64(m->batches_in));
    json_object_set_new(o, "batches_out", json_u64(m->batches_out));
    json_object_set_new(o, "late_rows_dropped", json_u64(m->late_dropped));
    json_object_set_new(o, "bad_rows_dropped", json_u64(m->bad_dropped));
    json_object_set_new(o, "backpressure_seconds", json_seconds((int64_t)m->backpressure_ns));
    if (m->queue_cap) {
        json_object_set_new(o, "queue_rows", json_u64(m->queue_rows));
        json_object_set_new(o, "queue_capacity", json_u64(m->queue_cap));
    }
    json_object_set_new(o, "watermark", json_time(m->watermark));
    if (m->watermark != INT64_MIN)
        json_object_set_new(o, "watermark_lag_seconds", json_seconds(now_ns - m->watermark));
    return o;
}

/* The JSON status document (see metrics.h). */
void wd_metrics_status_json(const wd_task_metrics *m, uint32_t n, int64_t now_ns,
                            const wd_job_info *job, wd_buf *out)
{
    wd_metrics_totals t = wd_metrics_sum(m, n);
    json_t *o = json_object();
    json_object_set_new(o, "state", json_string(wd_job_state_name(job->state)));
    if (job->phase[0]) {
        json_object_set_new(o, "phase", json_string(job->phase));
        json_object_set_new(o, "attempt", json_integer(job->attempt));
        json_object_set_new(o, "restarts", json_integer(job->restarts));
    }
    json_object_set_new(o, "uptime_seconds", json_seconds(now_ns - job->started_ns));
    json_object_set_new(o, "source_rows", json_u64(t.source_rows));
    json_object_set_new(o, "sink_rows", json_u64(t.sink_rows));
    json_object_set_new(o, "late_rows_dropped", json_u64(t.late));
    json_object_set_new(o, "bad_rows_dropped", json_u64(t.bad));
    json_object_set_new(o, "backpressure_seconds", json_seconds((int64_t)t.backpressure_ns));
    int64_t wm = wd_metrics_output_watermark(m, n);
    json_object_set_new(o, "watermark", json_time(wm));
    if (wm != INT64_MIN)
        json_object_set_new(o, "watermark_lag_seconds", json_seconds(now_ns - wm));
    json_t *ck = json_null();
    if (job->checkpointing) {
        ck = json_object();
        json_object_set_new(ck, "epoch", json_u64(job->ckpt_epoch));
        json_object_set_new(ck, "completed", json_u64(job->ckpt_completed));
        json_object_set_new(ck, "failed", json_u64(job->ckpt_failed));
        if (job->ckpt_done_ns) {
            json_object_set_new(ck, "duration_seconds", json_seconds(job->ckpt_duration_ns));
            json_object_set_new(ck, "age_seconds", json_seconds(now_ns - job->ckpt_done_ns));
        }
    }
    json_object_set_new(o, "checkpoint", ck);
    json_t *subs = json_array();
    for (uint32_t i = 0; i < n; i++) json_array_append_new(subs, subtask_json(&m[i], now_ns));
    json_object_set_new(o, "subtasks", subs);
    char *text = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(9));
    json_decref(o);
    if (text) {
        wd_buf_puts(out, text);
        wd_buf_putc(out, '\n');
        free(text);
    }
}

/* ---- progress line --------------------------------------------------------- */

static void put_rate(wd_buf *out, double per_s)
{
    if (per_s < 1e3) wd_buf_printf(out, "%.0f rows/s", per_s);
    else if (per_s < 1e6) wd_buf_printf(out, "%.1f K rows/s", per_s / 1e3);
    else wd_buf_printf(out, "%.2f M rows/s", per_s / 1e6);
}

static void put_duration(wd_buf *out, int64_t ns)
{
    double s = (double)ns / WD_NS_PER_SEC;
    if (s < 120 && s > -120) wd_buf_printf(out, "%.1f s", s);
    else if (s < 7200 && s > -7200) wd_buf_printf(out, "%.1f min", s / 60);
    else if (s < 172800 && s > -172800) wd_buf_printf(out, "%.1f h", s / 3600);
    else wd_buf_printf(out, "%.1f d", s / 86400);
}

/* One progress line (see metrics.h). */
void wd_metrics_progress(wd_progress *p, const wd_task_metrics *m, uint32_t n, int64_t now_ns,
                         const wd_job_info *job, wd_buf *out)
{
    wd_metrics_totals t = wd_metrics_sum(m, n);
    int64_t up = now_ns - job->started_ns;
    if (up < 0) up = 0;
    int64_t secs = up / WD_NS_PER_SEC;
    wd_buf_printf(out, "[%02" PRId64 ":%02d:%02d] in ", secs / 3600, (int)(secs / 60 % 60),
                  (int)(secs % 60));
    int64_t since = p->at_ns ? p->at_ns : job->started_ns;
    double span = (double)(now_ns - since) / WD_NS_PER_SEC;
    if (span <= 0) span = 1e-9;
    put_rate(out, (double)(t.source_rows - p->rows_in) / span);
    wd_buf_puts(out, "  out ");
    put_rate(out, (double)(t.sink_rows - p->rows_out) / span);
    int64_t wm = wd_metrics_output_watermark(m, n);
    if (wm != INT64_MIN) {
        char text[40];
        format_time(wm, text);
        wd_buf_printf(out, "  watermark %s (lag ", text);
        put_duration(out, now_ns - wm);
        wd_buf_putc(out, ')');
    }
    if (job->checkpointing && job->ckpt_epoch) {
        wd_buf_printf(out, "  checkpoint %" PRIu64, job->ckpt_epoch);
        if (job->ckpt_done_ns) {
            wd_buf_puts(out, " (");
            put_duration(out, now_ns - job->ckpt_done_ns);
            wd_buf_puts(out, " ago)");
        }
    }
    wd_buf_putc(out, '\n');
    p->at_ns = now_ns;
    p->rows_in = t.source_rows;
    p->rows_out = t.sink_rows;
}
