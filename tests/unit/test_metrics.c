/*
 * test_metrics.c — metrics: batch byte sizes (exact, and sampled for long
 * string columns), the Prometheus exposition
 * (families with HELP and TYPE, label escaping, exact seconds, which
 * samples apply to which subtask), the JSON status, the progress line,
 * the HTTP server (answers, 404, a port in use), and wd_job_metrics on
 * real jobs: counters read while the job runs only grow, rows and bytes
 * agree across a queue, and a slow consumer behind a tiny queue shows as
 * backpressure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "batch/batch.h"
#include "control/http.h"
#include "control/metrics.h"
#include "ops/op.h"
#include "plan/plan.h"
#include "runtime/runtime.h"

/* ---- wd_batch_bytes ---------------------------------------------------- */

static void test_batch_bytes(void **state)
{
    wd_arena a;
    wd_arena_init(&a, 0);
    wd_field f[2] = {{"n", WD_TYPE_INT32, true}, {"s", WD_TYPE_TEXT, true}};
    const wd_type *schema = wd_schema_make(&a, 2, f);
    wd_batch *b = wd_batch_new(schema, 4);
    int32_t *n = b->cols[0].data;
    wd_str *s = b->cols[1].data;
    const char *words[4] = {"a", "bcd", "", "efgh"};
    for (int i = 0; i < 4; i++) {
        n[i] = i;
        s[i] = wd_str_make(words[i], (uint32_t)strlen(words[i]));
        wd_batch_ts(b)[i] = 0;
    }
    b->nrows = 4;
    wd_batch_seal(b);
    /* int32 + text lengths + timestamps */
    assert_int_equal(wd_batch_bytes(b), 4 * 4 + (1 + 3 + 0 + 4) + 4 * 8);
    /* a null string counts its validity byte per row, not its (undefined) view */
    s[3] = wd_str_make(NULL, 1u << 30);
    wd_col_set_null(&b->cols[1], 3, &b->arena);
    assert_int_equal(wd_batch_bytes(b), 4 * 4 + 4 + (1 + 3 + 0) + 4 * 8);
    /* a row subset; retractions add a byte per row */
    uint32_t idx[2] = {1, 2};
    wd_batch *g = wd_batch_gather(b, idx, 2);
    assert_int_equal(wd_batch_bytes(g), 2 * 4 + 2 + 3 + 2 * 8);
    g->retract = wd_batch_alloc(g, 2);
    assert_int_equal(wd_batch_bytes(g), 2 * 4 + 2 + 3 + 2 * 8 + 2);
    wd_batch_release(g);
    wd_batch_release(b);

    /* a long string column is measured on a sample: exact when uniform */
    b = wd_batch_new(schema, 1000);
    for (int i = 0; i < 1000; i++) {
        ((int32_t *)b->cols[0].data)[i] = i;
        ((wd_str *)b->cols[1].data)[i] = wd_str_make("abcd", 4);
        wd_batch_ts(b)[i] = 0;
    }
    b->nrows = 1000;
    wd_batch_seal(b);
    assert_int_equal(wd_batch_bytes(b), 1000 * (4 + 4 + 8));
    wd_batch_release(b);
    wd_arena_free(&a);
}

/* ---- formatting ---------------------------------------------------------- */

#define NOW (1700000000LL * WD_NS_PER_SEC)

/* A source subtask and a sink subtask whose chain name needs escaping. */
static void sample_metrics(wd_task_metrics m[2])
{
    m[0] = (wd_task_metrics){.chain = "source:impulse>calc", .flags = WD_TASK_SOURCE,
                             .parallelism = 2, .rows_in = 42, .rows_out = 40, .bytes_in = 1008,
                             .backpressure_ns = 1500000000, .watermark = INT64_MIN};
    m[1] = (wd_task_metrics){.chain = "a\"b\\c\nd", .flags = WD_TASK_SINK, .chain_index = 1,
                             .subtask = 1, .parallelism = 2, .rows_in = 40, .rows_out = 40,
                             .bad_dropped = 3, .late_dropped = 7, .queue_rows = 5, .queue_cap = 8,
                             .watermark = NOW - 2260 * WD_NS_PER_MS};
}

static const wd_job_info sample_job = {
    .state = WD_JOB_RUNNING,
    .checkpointing = 1,
    .started_ns = NOW - 65 * WD_NS_PER_SEC,
    .ckpt_epoch = 12,
    .ckpt_completed = 11,
    .ckpt_failed = 1,
    .ckpt_duration_ns = 250 * WD_NS_PER_MS,
    .ckpt_done_ns = NOW - 300 * WD_NS_PER_MS,
};

static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && p[n] == '\n') return true;
    return false;
}

/*
 * Every line is a HELP, a TYPE or a sample; every family has HELP then
 * TYPE before its samples, once; every sample belongs to the family
 * declared last; label values have no raw newline or unescaped quote.
 * Returns the number of families.
 */
static int check_exposition(const char *text)
{
    char family[128] = "";
    char seen[64][128];
    int nfam = 0;
    bool help = false;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        assert_non_null(nl);
        char line[512];
        size_t len = (size_t)(nl - p);
        assert_true(len < sizeof line);
        memcpy(line, p, len);
        line[len] = 0;
        p = nl + 1;
        char name[128], type[32];
        if (sscanf(line, "# HELP %127s", name) == 1) {
            for (int i = 0; i < nfam; i++) assert_string_not_equal(seen[i], name);
            assert_true(nfam < 64);
            strcpy(seen[nfam++], name);
            strcpy(family, name);
            help = true;
            continue;
        }
        if (sscanf(line, "# TYPE %127s %31s", name, type) == 2) {
            assert_true(help);
            assert_string_equal(name, family);
            assert_true(!strcmp(type, "counter") || !strcmp(type, "gauge"));
            help = false;
            continue;
        }
        assert_true(line[0] != '#');
        size_t nl_name = strcspn(line, "{ ");
        assert_true(nl_name == strlen(family) && !strncmp(line, family, nl_name));
        const char *v = line + nl_name;
        if (*v == '{') {
            /* walk the label set, honouring escapes */
            bool in_str = false;
            for (v++; *v && (in_str || *v != '}'); v++) {
                if (in_str && *v == '\\') v++;
                else if (*v == '"') in_str = !in_str;
            }
            assert_int_equal(*v, '}');
            v++;
        }
        assert_int_equal(*v, ' ');
        char *end;
        strtod(v + 1, &end);
        assert_true(end > v + 1 && *end == 0);
    }
    return nfam;
}

/* Labels of the two sample subtasks, as they must be printed. */
#define SRC "{chain=\"source:impulse>calc\",chain_index=\"0\",subtask=\"0\"} "
#define ODD "{chain=\"a\\\"b\\\\c\\nd\",chain_index=\"1\",subtask=\"1\"} " /* escaped */

static void test_prometheus(void **state)
{
    wd_task_metrics m[2];
    sample_metrics(m);
    wd_buf out = WD_BUF_INIT;
    wd_metrics_prometheus(m, 2, NOW, &sample_job, &out);
    int nfam = check_exposition(out.data);
    assert_true(nfam >= 20);
    /* whole lines: values exact, seconds exact, label values escaped */
    static const char *const lines[] = {
        "# TYPE wadi_subtask_rows_in_total counter",
        "wadi_subtask_rows_in_total" SRC "42",
        "wadi_subtask_rows_out_total" ODD "40",
        "wadi_subtask_backpressure_seconds_total" SRC "1.5",
        "wadi_subtask_bad_rows_dropped_total" ODD "3",
        "wadi_subtask_late_rows_dropped_total" ODD "7",
        "wadi_subtask_queue_rows" ODD "5",
        "wadi_subtask_queue_capacity_rows" ODD "8",
        "wadi_subtask_watermark_lag_seconds" ODD "2.26",
        "wadi_subtask_watermark_timestamp_seconds" ODD "1699999997.74",
        "wadi_job_state{state=\"running\"} 1",
        "wadi_job_state{state=\"failed\"} 0",
        "wadi_job_start_time_seconds 1699999935",
        "wadi_checkpoint_last_epoch 12",
        "wadi_checkpoint_last_duration_seconds 0.25",
        "wadi_checkpoints_completed_total 11",
        "wadi_checkpoints_failed_total 1",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        if (!has_line(out.data, lines[i])) fail_msg("missing line: %s", lines[i]);
    }
    /* no queue for a source, no watermark samples without one */
    assert_null(strstr(out.data, "wadi_subtask_queue_rows{chain=\"source"));
    assert_null(strstr(out.data, "wadi_subtask_watermark_lag_seconds{chain=\"source"));

    /* a watermark ahead of the clock is a negative lag; without checkpoints
     * or a job there are no such families */
    m[1].watermark = NOW + WD_NS_PER_SEC / 2 + 1;
    wd_buf_reset(&out);
    wd_job_info job = {.state = WD_JOB_FAILED};
    wd_metrics_prometheus(m, 2, NOW, &job, &out);
    check_exposition(out.data);
    assert_true(has_line(out.data, "wadi_subtask_watermark_lag_seconds" ODD "-0.500000001"));
    assert_true(has_line(out.data, "wadi_job_state{state=\"failed\"} 1"));
    assert_null(strstr(out.data, "checkpoint"));
    wd_buf_reset(&out);
    wd_metrics_prometheus(m, 2, NOW, NULL, &out);
    check_exposition(out.data);
    assert_null(strstr(out.data, "wadi_job"));

    /* a chain name that fills its 64 bytes without a NUL is still one label */
    memset(m[0].chain, 'x', sizeof m[0].chain);
    wd_buf_reset(&out);
    wd_metrics_prometheus(m, 1, NOW, NULL, &out);
    check_exposition(out.data);
    wd_buf_free(&out);
}

static void test_status_json(void **state)
{
    wd_task_metrics m[2];
    sample_metrics(m);
    wd_buf out = WD_BUF_INIT;
    wd_metrics_status_json(m, 2, NOW, &sample_job, &out);
    json_error_t je;
    json_t *o = json_loads(out.data, 0, &je);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "state")), "running");
    assert_int_equal(json_integer_value(json_object_get(o, "source_rows")), 42);
    assert_int_equal(json_integer_value(json_object_get(o, "sink_rows")), 40);
    assert_int_equal(json_integer_value(json_object_get(o, "bad_rows_dropped")), 3);
    assert_string_equal(json_string_value(json_object_get(o, "watermark")), "2023-11-14 22:13:17");
    assert_true(json_real_value(json_object_get(o, "watermark_lag_seconds")) == 2.26);
    json_t *ck = json_object_get(o, "checkpoint");
    assert_int_equal(json_integer_value(json_object_get(ck, "epoch")), 12);
    json_t *subs = json_object_get(o, "subtasks");
    assert_int_equal(json_array_size(subs), 2);
    json_t *s1 = json_array_get(subs, 1);
    assert_string_equal(json_string_value(json_object_get(s1, "chain")), "a\"b\\c\nd");
    assert_int_equal(json_integer_value(json_object_get(s1, "queue_capacity")), 8);
    assert_true(json_is_null(json_object_get(json_array_get(subs, 0), "watermark")));
    json_decref(o);
    wd_buf_free(&out);
}

static void test_progress_line(void **state)
{
    wd_task_metrics m[2];
    sample_metrics(m);
    m[0].rows_in = 1230000 * 65; /* since the start: 1.23 M rows/s */
    m[1].rows_out = 41000 * 65;
    wd_progress p = {0};
    wd_buf out = WD_BUF_INIT;
    wd_metrics_progress(&p, m, 2, NOW, &sample_job, &out);
    assert_string_equal(out.data, "[00:01:05] in 1.23 M rows/s  out 41.0 K rows/s  watermark "
                                  "2023-11-14 22:13:17 (lag 2.3 s)  checkpoint 12 (0.3 s ago)\n");
    /* the next line counts from this one */
    m[0].rows_in += 500;
    m[1].rows_out += 5;
    m[1].watermark = INT64_MIN;
    wd_buf_reset(&out);
    wd_job_info job = {.state = WD_JOB_RUNNING, .started_ns = NOW - 3 * 3600 * WD_NS_PER_SEC};
    wd_metrics_progress(&p, m, 2, NOW + 5 * WD_NS_PER_SEC, &job, &out);
    assert_string_equal(out.data, "[03:00:05] in 100 rows/s  out 1 rows/s\n");
    wd_buf_free(&out);
}

/* ---- HTTP ------------------------------------------------------------------ */

static void answer(void *ctx, const char *path, wd_http_reply *reply)
{
    if (strcmp(path, "/hello") != 0) {
        reply->status = 404;
        return;
    }
    reply->content_type = "text/x-test";
    wd_buf_printf(&reply->body, "hello %s\n", (const char *)ctx);
}

/* GET path from 127.0.0.1:port with a plain socket; the whole response. */
static void http_get(uint16_t port, const char *method, const char *path, char *out, size_t n)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    char req[256];
    int len = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                       method, path);
    assert_int_equal(write(fd, req, (size_t)len), len);
    size_t got = 0;
    ssize_t r;
    while (got + 1 < n && (r = read(fd, out + got, n - 1 - got)) > 0) got += (size_t)r;
    out[got] = 0;
    close(fd);
}

static void test_http(void **state)
{
    wd_error err = {0};
    wd_http *h = wd_http_start("127.0.0.1", 0, answer, "world", &err);
    assert_non_null(h);
    uint16_t port = wd_http_port(h);
    assert_true(port > 0);
    char resp[4096];
    http_get(port, "GET", "/hello?x=1", resp, sizeof resp);
    assert_non_null(strstr(resp, "HTTP/1.1 200"));
    assert_non_null(strstr(resp, "Content-Type: text/x-test"));
    assert_non_null(strstr(resp, "\r\n\r\nhello world\n"));
    http_get(port, "GET", "/other", resp, sizeof resp);
    assert_non_null(strstr(resp, "HTTP/1.1 404"));
    http_get(port, "POST", "/hello", resp, sizeof resp);
    assert_non_null(strstr(resp, "HTTP/1.1 405"));

    /* the port is taken: a message naming it */
    wd_error e2 = {0};
    assert_null(wd_http_start("127.0.0.1", port, answer, "x", &e2));
    char want[64];
    snprintf(want, sizeof want, "port %u: Address already in use", (unsigned)port);
    assert_non_null(strstr(e2.msg, want));
    wd_http_stop(h);
    wd_http_stop(NULL);
}

/* ---- wd_job_metrics ------------------------------------------------------ */

#define ROWS_PER_SUBTASK 1280

static int slow_batch(wd_op *op, uint32_t input, wd_batch *b, wd_error *err)
{
    usleep(2000);
    return wd_op_sink_vt.on_batch(op, input, b, err);
}

static wd_op_vt slow_sink_vt;

/*
 * An impulse source (ROWS_PER_SUBTASK per subtask) into a blackhole at
 * parallelism 2, the sink cut off into a chain of its own by a rebalance
 * edge (so it has an input queue), made slow when slow is set.
 */
static wd_graph *queued_job_graph(bool slow)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "CREATE TABLE impulse WITH (connector = 'impulse', event_rate = '1000000', "
             "message_count = '%d');\n"
             "CREATE TABLE bh WITH (connector = 'blackhole');\n"
             "INSERT INTO bh SELECT counter, subtask_index FROM impulse;\n",
             ROWS_PER_SUBTASK);
    wd_plan_opts po = {.parallelism = 2};
    wd_graph *g = NULL;
    wd_error err = {0};
    assert_int_equal(wd_plan_compile(sql, strlen(sql), &po, &g, &err), 0);
    for (uint32_t e = 0; e < g->nedges; e++)
        if (g->nodes[g->edges[e].to]->kind == WD_N_SINK) g->edges[e].kind = WD_E_REBALANCE;
    if (slow) {
        slow_sink_vt = wd_op_sink_vt;
        slow_sink_vt.on_batch = slow_batch;
        for (uint32_t i = 0; i < g->nnodes; i++)
            if (g->nodes[i]->kind == WD_N_SINK) g->nodes[i]->vt = &slow_sink_vt;
    }
    return g;
}

/* The job of queued_job_graph(slow) started, with batches of 64 rows and
 * input queues of queue_rows rows; *g is its graph. */
static wd_job *start_queued_job(bool slow, uint64_t queue_rows, wd_graph **g)
{
    *g = queued_job_graph(slow);
    wd_job_opts o = {.batch_rows = 64, .queue_rows = queue_rows};
    wd_job *j = NULL;
    wd_error err = {0};
    assert_int_equal(wd_job_start(*g, &o, &j, &err), 0);
    return j;
}

/* Totals over the subtasks whose flags include flag. */
static uint64_t total(const wd_task_metrics *m, uint32_t n, uint32_t flag, size_t field)
{
    uint64_t s = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t v;
        memcpy(&v, (const char *)&m[i] + field, sizeof v);
        if (m[i].flags & flag) s += v;
    }
    return s;
}

static void test_job_metrics(void **state)
{
    wd_graph *g;
    wd_job *j = start_queued_job(false, 256, &g);
    wd_error err = {0};
    assert_int_equal(wd_job_metrics(j, NULL, 0), 4);
    wd_task_metrics prev[4] = {0}, m[4];
    wd_job_info info;
    /* read while it runs: counters never go back */
    do {
        wd_job_get_info(j, &info);
        assert_int_equal(wd_job_metrics(j, m, 4), 4);
        for (int i = 0; i < 4; i++) {
            assert_true(m[i].rows_in >= prev[i].rows_in);
            assert_true(m[i].rows_out >= prev[i].rows_out);
            assert_true(m[i].bytes_out >= prev[i].bytes_out);
        }
        memcpy(prev, m, sizeof m);
        usleep(1000);
    } while (info.state == WD_JOB_RUNNING);
    assert_int_equal(wd_job_wait(j, &err), 0);
    wd_job_get_info(j, &info);
    assert_int_equal(info.state, WD_JOB_FINISHED);
    assert_int_equal(info.checkpointing, 0);
    assert_true(info.started_ns > 0);
    assert_int_equal(wd_job_metrics(j, m, 4), 4);

    /* two chains of two subtasks: the source's and the sink's */
    for (int i = 0; i < 4; i++) {
        assert_int_equal(m[i].chain_index, (uint32_t)i / 2);
        assert_int_equal(m[i].subtask, (uint32_t)i % 2);
        assert_int_equal(m[i].parallelism, 2);
        assert_true(m[i].flags & WD_TASK_EXITED);
    }
    assert_string_equal(m[0].chain, "source:impulse>watermark>calc");
    assert_string_equal(m[2].chain, "sink:blackhole");
    assert_int_equal(m[0].flags & (WD_TASK_SOURCE | WD_TASK_SINK), WD_TASK_SOURCE);
    assert_int_equal(m[2].flags & (WD_TASK_SOURCE | WD_TASK_SINK), WD_TASK_SINK);

    /* every row read, sent, received and written once */
    uint64_t rows = 2 * ROWS_PER_SUBTASK;
    assert_int_equal(total(m, 4, WD_TASK_SOURCE, offsetof(wd_task_metrics, rows_in)), rows);
    assert_int_equal(total(m, 4, WD_TASK_SOURCE, offsetof(wd_task_metrics, rows_out)), rows);
    assert_int_equal(total(m, 4, WD_TASK_SINK, offsetof(wd_task_metrics, rows_in)), rows);
    assert_int_equal(total(m, 4, WD_TASK_SINK, offsetof(wd_task_metrics, rows_out)), rows);
    uint64_t batches = total(m, 4, WD_TASK_SOURCE, offsetof(wd_task_metrics, batches_in));
    assert_true(batches >= rows / 64);
    assert_int_equal(total(m, 4, WD_TASK_SOURCE, offsetof(wd_task_metrics, batches_out)), batches);
    assert_int_equal(total(m, 4, WD_TASK_SINK, offsetof(wd_task_metrics, batches_in)), batches);
    /* the same batches cross the queue: the bytes sent are the bytes received */
    uint64_t sent = total(m, 4, WD_TASK_SOURCE, offsetof(wd_task_metrics, bytes_out));
    assert_true(sent >= rows * 3 * 8); /* two BIGINT columns and the timestamp */
    assert_int_equal(total(m, 4, WD_TASK_SINK, offsetof(wd_task_metrics, bytes_in)), sent);
    assert_int_equal(total(m, 4, WD_TASK_SINK, offsetof(wd_task_metrics, bytes_out)), sent);
    assert_true(total(m, 4, WD_TASK_SOURCE, offsetof(wd_task_metrics, bytes_in)) >= sent);
    /* queues: only the sink's, empty at the end */
    assert_int_equal(m[0].queue_cap, 0);
    assert_int_equal(m[2].queue_cap, 256);
    assert_int_equal(m[3].queue_rows, 0);
    assert_true(m[2].watermark != INT64_MIN);
    assert_int_equal(m[0].late_dropped + m[0].bad_dropped, 0);
    wd_job_free(j);
    wd_graph_free(g);
}

static void test_backpressure_metric(void **state)
{
    wd_graph *g;
    wd_job *j = start_queued_job(true, 8, &g);
    wd_error err = {0};
    assert_int_equal(wd_job_wait(j, &err), 0);
    wd_task_metrics m[4];
    assert_int_equal(wd_job_metrics(j, m, 4), 4);
    /* 20 batches per sink subtask at 2 ms each, behind a queue smaller
     * than one batch: the sources wait for most of that time */
    uint64_t bp = total(m, 4, WD_TASK_SOURCE, offsetof(wd_task_metrics, backpressure_ns));
    assert_true(bp > 10 * WD_NS_PER_MS);
    assert_int_equal(total(m, 4, WD_TASK_SINK, offsetof(wd_task_metrics, backpressure_ns)), 0);
    assert_int_equal(total(m, 4, WD_TASK_SINK, offsetof(wd_task_metrics, rows_out)),
                     2 * ROWS_PER_SUBTASK);
    wd_job_free(j);
    wd_graph_free(g);
}

int main(void)
{
    alarm(120); /* a hang is a failure */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_bytes),       cmocka_unit_test(test_prometheus),
        cmocka_unit_test(test_status_json),       cmocka_unit_test(test_progress_line),
        cmocka_unit_test(test_http),              cmocka_unit_test(test_job_metrics),
        cmocka_unit_test(test_backpressure_metric),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
