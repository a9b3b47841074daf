/*
 * gen_bench.c — micro-benchmark of the generated sources on one core:
 * nexmark events/s unpaced with only the bid column read, with every
 * column read, and impulse messages/s.  Batches are released as soon as
 * they are made (what a source costs, not a query).
 *
 *   gen_bench [events [bid|bid8k|all|none|impulse]]   (default 50,000,000, all)
 *   gen_bench --sample N   print the first N nexmark events as JSON
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch/batch.h"
#include "common/buf.h"
#include "common/timeutil.h"
#include "connectors/connector.h"
#include "connectors/nexmark.h"

/* CPU time of this thread, ns: robust against other load on the machine. */
static int64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * WD_NS_PER_SEC + ts.tv_nsec;
}

static int run(const wd_connector *conn, const wd_options *o, const bool *needed, uint32_t rows,
               const char *label)
{
    wd_arena a;
    wd_arena_init(&a, 0);
    const wd_type *t = conn->fixed_schema(&a);
    const wd_type *schema = wd_schema_make(&a, t->nfields, t->fields);
    wd_source_spec spec = {.schema = schema, .opts = o, .subtask = 0, .parallelism = 1,
                           .needed = needed, .batch_rows = rows};
    wd_source *s = NULL;
    wd_error err = {0};
    if (conn->open_source(&spec, &s, &err)) {
        fprintf(stderr, "%s: %s\n", label, err.msg);
        wd_arena_free(&a);
        return 1;
    }
    uint64_t n = 0, check = 0;
    int64_t t0 = wd_mono_ns(), c0 = cpu_ns();
    for (;;) {
        wd_batch *b = NULL;
        int64_t wait = 0;
        int rc = s->vt->next(s, &b, &wait, &err);
        if (rc == WD_SRC_END) break;
        if (rc != WD_SRC_BATCH) {
            fprintf(stderr, "%s: unexpected %d\n", label, rc);
            break;
        }
        n += b->nrows;
        check += (uint64_t)wd_batch_ts(b)[b->nrows - 1];
        wd_batch_release(b);
    }
    double secs = (double)(wd_mono_ns() - t0) / 1e9, cpu = (double)(cpu_ns() - c0) / 1e9;
    printf("%-34s %11llu events  wall %7.3f s %7.2f M/s  cpu %7.3f s %7.2f M/s  (%llx)\n", label,
           (unsigned long long)n, secs, (double)n / secs / 1e6, cpu, (double)n / cpu / 1e6,
           (unsigned long long)(check & 0xffff));
    s->vt->close(s);
    wd_arena_free(&a);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--sample") == 0) {
        uint64_t k = strtoull(argv[2], NULL, 10);
        for (uint64_t n = 0; n < k; n++) {
            wd_buf b = WD_BUF_INIT;
            wd_nexmark_event_json(0, 1672531200000LL * WD_NS_PER_MS, 100.0, n, &b);
            printf("%s\n", b.data);
            wd_buf_free(&b);
        }
        return 0;
    }
    const char *count = argc > 1 ? argv[1] : "50000000";
    wd_opt kv[] = {{"event_rate", "10000000", {0, 0}, {0, 0}},
                   {"paced", "false", {0, 0}, {0, 0}},
                   {"base_time", "1672531200000", {0, 0}, {0, 0}},
                   {"event_count", count, {0, 0}, {0, 0}}};
    wd_options o = {4, kv};
    bool bid_only[4] = {false, false, true, false};
    bool none[4] = {false, false, false, false};
    const char *only = argc > 2 ? argv[2] : "";
#define WANT(name) (!*only || strcmp(only, name) == 0)
    int rc = 0;
    if (WANT("bid"))
        rc |= run(&wd_conn_nexmark, &o, bid_only, WD_BATCH_ROWS, "nexmark bid only (1024 rows)");
    if (WANT("bid8k"))
        rc |= run(&wd_conn_nexmark, &o, bid_only, 8192, "nexmark bid only (8192 rows)");
    if (WANT("all"))
        rc |= run(&wd_conn_nexmark, &o, NULL, WD_BATCH_ROWS, "nexmark all columns (1024 rows)");
    if (WANT("none"))
        rc |= run(&wd_conn_nexmark, &o, none, WD_BATCH_ROWS, "nexmark no column (1024 rows)");
    wd_opt ikv[] = {{"event_rate", "1e15", {0, 0}, {0, 0}}, {"message_count", count, {0, 0}, {0, 0}}};
    wd_options io = {2, ikv};
    if (WANT("impulse"))
        rc |= run(&wd_conn_impulse, &io, NULL, WD_BATCH_ROWS, "impulse (1024 rows)");
    return rc;
}
