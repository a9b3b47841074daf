/*
 * main.c — the `wadi` command: a thin client of the library.
 *
 *   wadi run [-p N] [--workers K] [--explain] [--metrics-port [ADDR:]PORT] FILE.sql | -
 *   wadi controller [-p N] [--workers K] [--nodes N] FILE.sql
 *   wadi node --controller HOST:PORT
 *   wadi worker …            (started by a scheduler)
 *   wadi version
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cli/monitor.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "connectors/connector.h"
#include "control/control.h"
#include "control/metrics.h"
#include "expr/func.h"
#include "plan/plan.h"
#include "runtime/runtime.h"
#include "state/store.h"

#define WADI_VERSION "0.1.0"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: wadi <command> [options]\n"
            "\n"
            "commands:\n"
            "  run [-p N] [-s STATE] FILE.sql|-    run a pipeline; a bare SELECT prints\n"
            "                                      JSON lines to stdout\n"
            "  controller [run options] FILE.sql   run a pipeline on the workers of\n"
            "                                      `wadi node` daemons (RPC port 9190)\n"
            "  node --controller HOST:PORT         start workers on this host when the\n"
            "                                      controller asks (RPC port 9290)\n"
            "  functions                           print the function reference (Markdown)\n"
            "  connectors                          print the connector reference (Markdown)\n"
            "  version                             print the version\n"
            "\n"
            "run options:\n"
            "  -p, --parallelism N   subtasks per operator (default 1)\n"
            "  --explain             print the dataflow graph and exit\n"
            "  --batch-rows N        rows per source batch (default 1024)\n"
            "  -s, --state-dir URL   take checkpoints in URL (a directory or\n"
            "                        s3://bucket/prefix) and resume from the last one;\n"
            "                        SIGINT/SIGTERM then stop after a final checkpoint\n"
            "  --checkpoint-interval DURATION\n"
            "                        time between checkpoints (default 10s)\n"
            "  --checkpoint-keep N   complete checkpoints to keep (default 3)\n"
            "  --force               discard state written by a different query\n"
            "  -w, --workers K       spread the subtasks over K worker processes\n"
            "                        (default 1: everything in this process)\n"
            "  --scheduler KIND      process (child processes; default) or node\n"
            "                        (workers of `wadi node` daemons)\n"
            "  --listen HOST:PORT    the controller's RPC address (node scheduler:\n"
            "                        :9190; process scheduler: an ephemeral loopback port)\n"
            "  --nodes N             node scheduler: nodes to wait for (default 1)\n"
            "  --max-restarts N      recoveries after a lost worker (default 10)\n"
            "  --metrics-port [ADDR:]PORT\n"
            "                        serve /metrics (Prometheus) and /status (JSON) over\n"
            "                        HTTP on ADDR (default 127.0.0.1), port PORT\n"
            "  --progress, --no-progress\n"
            "                        a summary line on stderr every 5 s (default: when\n"
            "                        stderr is a terminal)\n"
            "  -v, --verbose         log every checkpoint\n"
            "\n"
            "node options:\n"
            "  --controller HOST:PORT  the controller (default 127.0.0.1:9190)\n"
            "  --listen HOST:PORT      the node's RPC address (default :9290)\n"
            "  --advertise HOST        the address the controller reaches this node at\n"
            "  --id NAME               the node's name (default its address)\n"
            "  --slots N               workers at once (default 16)\n"
            "  --admin-port PORT       /status and /metrics over HTTP (default 9291; 0: off)\n"
            "\n"
            "wadi controller serves /metrics and /status on 0.0.0.0:9191 unless\n"
            "--metrics-port says otherwise.\n");
}

static int read_all(const char *path, wd_buf *out)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) return -errno;
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) wd_buf_put(out, tmp, n);
    int bad = ferror(f);
    if (f != stdin) fclose(f);
    if (!out->data) wd_buf_put(out, "", 0);
    return bad ? -EIO : 0;
}

static void print_error(const wd_error *err, const char *file, const char *text)
{
    wd_buf b = WD_BUF_INIT;
    size_t need = wd_err_format(err, file, text, NULL, 0);
    wd_buf_reserve(&b, need + 1);
    wd_err_format(err, file, text, b.data, need + 1);
    fprintf(stderr, "%s\n", b.data);
    wd_buf_free(&b);
}

/*
 * SIGINT and SIGTERM are taken by one thread (they are blocked everywhere
 * else) that calls stop(ctx) once: a final checkpoint when the job takes
 * checkpoints, else a cancel.  SIGUSR1 only ends that thread when the job
 * is over.
 */
typedef struct sigwatch {
    sigset_t set;
    void (*stop)(void *ctx);
    void *ctx;
    volatile int stopped;
    pthread_t th;
} sigwatch;

/* Block the signals (before any other thread starts). */
static void sig_block(sigwatch *w)
{
    sigemptyset(&w->set);
    sigaddset(&w->set, SIGINT);
    sigaddset(&w->set, SIGTERM);
    sigaddset(&w->set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &w->set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static void *sig_main(void *arg)
{
    sigwatch *w = arg;
    int sig;
    if (sigwait(&w->set, &sig) == 0 && sig != SIGUSR1) {
        w->stopped = 1;
        w->stop(w->ctx);
    }
    return NULL;
}

static void sig_start(sigwatch *w, void (*stop)(void *ctx), void *ctx)
{
    w->stop = stop;
    w->ctx = ctx;
    pthread_create(&w->th, NULL, sig_main, w);
}

static void sig_end(sigwatch *w)
{
    pthread_kill(w->th, SIGUSR1);
    pthread_join(w->th, NULL);
}

#define STOP_TIMEOUT_NS (120 * 1000000000LL)

/* A job in this process stops after a final checkpoint. */
typedef struct jobstop {
    wd_job *job;
    int rc;
    wd_error err;
} jobstop;

static void stop_job(void *ctx)
{
    jobstop *js = ctx;
    js->rc = wd_job_stop_checkpoint(js->job, STOP_TIMEOUT_NS, &js->err);
}

static void stop_ctl(void *ctx) { wd_ctl_stop(ctx); }

static void report_dropped(uint64_t bad, uint64_t late)
{
    if (bad)
        fprintf(stderr, "wadi: %llu bad row%s dropped (bad_data = 'drop')\n",
                (unsigned long long)bad, bad == 1 ? "" : "s");
    if (late)
        fprintf(stderr, "wadi: %llu late row%s dropped (behind the watermark)\n",
                (unsigned long long)late, late == 1 ? "" : "s");
}

/* A job's error: with its SQL position when it has one; returns 1. */
static int report_error(int rc, const wd_error *err, const char *fname, const wd_buf *sql)
{
    if (err->pos.line > 0) {
        print_error(err, fname, sql->data);
    } else {
        fprintf(stderr, "wadi: error: %s\n", err->msg[0] ? err->msg : wd_strerror(rc));
        if (err->hint[0]) fprintf(stderr, "hint: %s\n", err->hint);
    }
    return 1;
}

/*
 * --metrics-port: "PORT", "ADDR:PORT" or "[IPv6]:PORT" into o.  addr is
 * room for the address.  Returns 0, or -1 when it is none of those.
 */
static int parse_listen(const char *arg, char *addr, size_t addr_n, monitor_opts *o)
{
    const char *colon = strrchr(arg, ':');
    const char *port = colon ? colon + 1 : arg;
    char *end;
    long p = strtol(port, &end, 10);
    if (!*port || *end || p < 0 || p > 65535) return -1;
    o->port = (uint16_t)p;
    o->http = true;
    if (!colon) return 0;
    size_t n = (size_t)(colon - arg);
    if (n >= 2 && arg[0] == '[' && arg[n - 1] == ']') arg++, n -= 2;
    if (n == 0 || n >= addr_n) return -1;
    memcpy(addr, arg, n);
    addr[n] = 0;
    o->bind_addr = addr;
    return 0;
}

/* The query's fingerprint: SHA-256 of its text, in hex. */
static void fingerprint(const wd_buf *sql, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    EVP_Digest(sql->data, sql->len, md, &n, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static long parse_count(const char *cmd, const char *opt, const char *v, long lo, long hi)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || end == v || n < lo || n > hi) {
        fprintf(stderr, "wadi %s: %s takes a number from %ld to %ld, not '%s'\n", cmd, opt, lo, hi, v);
        return -1;
    }
    return n;
}

static uint32_t read_ctl(void *src, wd_task_metrics *tm, uint32_t cap, wd_job_info *info)
{
    return wd_ctl_metrics(src, tm, cap, info);
}

/* Run the job through a controller and its workers. */
static int run_distributed(const wd_ctl_opts *co, const char *fname, const wd_buf *sql,
                           const monitor_opts *mopts)
{
    sigwatch sw = {0};
    sig_block(&sw);
    wd_error err = {0};
    wd_controller *c = NULL;
    monitor *mon = NULL;
    int rc = monitor_start(mopts, &mon, &err);
    if (rc == 0) rc = wd_ctl_new(co, &c, &err);
    if (rc == 0) {
        wd_job_info info;
        monitor_attach_reader(mon, read_ctl, c, wd_ctl_metrics(c, NULL, 0, &info));
        sig_start(&sw, stop_ctl, c);
        rc = wd_ctl_run(c, &err);
        sig_end(&sw);
        wd_metrics_totals t = wd_ctl_totals(c);
        report_dropped(t.bad, t.late);
    }
    monitor_stop(mon);
    wd_ctl_free(c);
    fflush(stdout);
    if (rc == 0 || (rc == WD_ESTOPPED && sw.stopped)) return 0;
    return report_error(rc, &err, fname, sql);
}

static int cmd_run(int argc, char **argv, bool controller)
{
    const char *cmd = controller ? "controller" : "run";
    static const struct option longopts[] = {
        {"parallelism", required_argument, NULL, 'p'},
        {"explain", no_argument, NULL, 'e'},
        {"batch-rows", required_argument, NULL, 'b'},
        {"state-dir", required_argument, NULL, 's'},
        {"checkpoint-interval", required_argument, NULL, 'i'},
        {"checkpoint-keep", required_argument, NULL, 'k'},
        {"force", no_argument, NULL, 'f'},
        {"verbose", no_argument, NULL, 'v'},
        {"workers", required_argument, NULL, 'w'},
        {"scheduler", required_argument, NULL, 'S'},
        {"listen", required_argument, NULL, 'L'},
        {"nodes", required_argument, NULL, 'N'},
        {"max-restarts", required_argument, NULL, 'R'},
        {"metrics-port", required_argument, NULL, 'm'},
        {"progress", no_argument, NULL, 'P'},
        {"no-progress", no_argument, NULL, 'Q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    wd_ctl_opts co = {.scheduler = controller ? WD_SCHED_NODE : WD_SCHED_PROCESS, .workers = 1};
    long v;
    wd_plan_opts popts = {.parallelism = 1};
    wd_job_opts jopts = {0};
    bool explain = false;
    const char *state_url = NULL;
    monitor_opts mopts = {.progress = isatty(STDERR_FILENO)};
    char metrics_addr[256];
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "p:s:w:vh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'p': {
            char *end;
            long p = strtol(optarg, &end, 10);
            if (*end || p < 1 || p > 1024) {
                fprintf(stderr, "wadi run: -p takes a number from 1 to 1024, not '%s'\n", optarg);
                return 2;
            }
            popts.parallelism = (uint32_t)p;
            break;
        }
        case 'b': {
            char *end;
            long r = strtol(optarg, &end, 10);
            if (*end || r < 1 || r > 1 << 20) {
                fprintf(stderr, "wadi run: --batch-rows takes a number from 1 to 1048576\n");
                return 2;
            }
            jopts.batch_rows = (uint32_t)r;
            break;
        }
        case 's': state_url = optarg; break;
        case 'i': {
            wd_interval iv;
            if (wd_interval_parse(optarg, strlen(optarg), "s", &iv) < 0 || iv.months || iv.days ||
                iv.nanos < WD_NS_PER_MS) {
                fprintf(stderr,
                        "wadi run: --checkpoint-interval takes a duration such as 10s or "
                        "500ms, not '%s'\n",
                        optarg);
                return 2;
            }
            jopts.checkpoint_interval_ns = iv.nanos;
            break;
        }
        case 'k': {
            char *end;
            long k = strtol(optarg, &end, 10);
            if (*end || k < 1 || k > 1000) {
                fprintf(stderr, "wadi run: --checkpoint-keep takes a number from 1 to 1000\n");
                return 2;
            }
            jopts.checkpoint_keep = (uint32_t)k;
            break;
        }
        case 'f': jopts.force = true; break;
        case 'w':
            if ((v = parse_count(cmd, "--workers", optarg, 1, 1024)) < 0) return 2;
            co.workers = (uint32_t)v;
            break;
        case 'S':
            if (!strcmp(optarg, "process")) co.scheduler = WD_SCHED_PROCESS;
            else if (!strcmp(optarg, "node")) co.scheduler = WD_SCHED_NODE;
            else {
                fprintf(stderr, "wadi %s: --scheduler is process or node, not '%s'\n", cmd, optarg);
                return 2;
            }
            break;
        case 'L': co.listen = optarg; break;
        case 'N':
            if ((v = parse_count(cmd, "--nodes", optarg, 1, 64)) < 0) return 2;
            co.nodes = (uint32_t)v;
            break;
        case 'R':
            if ((v = parse_count(cmd, "--max-restarts", optarg, 1, 1000000)) < 0) return 2;
            co.max_restarts = (uint32_t)v;
            break;
        case 'v': wd_log_set_level(WD_LOG_DEBUG); break;
        case 'e': explain = true; break;
        case 'm':
            if (parse_listen(optarg, metrics_addr, sizeof metrics_addr, &mopts) < 0) {
                fprintf(stderr,
                        "wadi run: --metrics-port takes a port (0 to 65535) or ADDR:PORT, "
                        "not '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'P': mopts.progress = true; break;
        case 'Q': mopts.progress = false; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "wadi %s: expected one SQL file (or - for standard input)\n", cmd);
        usage(stderr);
        return 2;
    }
    const char *path = argv[optind];
    wd_buf sql = WD_BUF_INIT;
    int rc = read_all(path, &sql);
    if (rc < 0) {
        fprintf(stderr, "wadi %s: cannot read %s: %s\n", cmd, path, strerror(-rc));
        wd_buf_free(&sql);
        return 1;
    }
    const char *fname = strcmp(path, "-") ? path : "<stdin>";
    wd_error err = {0};
    wd_graph *g = NULL;
    if (wd_plan_compile(sql.data, sql.len, &popts, &g, &err) < 0) {
        print_error(&err, fname, sql.data);
        wd_buf_free(&sql);
        return 1;
    }
    if (explain) {
        wd_buf out = WD_BUF_INIT;
        wd_graph_explain(g, &out);
        fwrite(out.data, 1, out.len, stdout);
        wd_buf_free(&out);
        wd_graph_free(g);
        wd_buf_free(&sql);
        return 0;
    }
    if (co.workers > 1 || co.scheduler == WD_SCHED_NODE) {
        char query_fp[65];
        fingerprint(&sql, query_fp);
        co.sql = sql.data;
        co.parallelism = popts.parallelism;
        co.batch_rows = jopts.batch_rows;
        co.state_url = state_url;
        co.query = query_fp;
        co.force = jopts.force;
        co.checkpoint_interval_ns = jopts.checkpoint_interval_ns;
        co.checkpoint_keep = jopts.checkpoint_keep;
        wd_graph_free(g);
        if (controller && !mopts.http) { /* the controller's admin port */
            mopts.http = true;
            mopts.bind_addr = "0.0.0.0";
            mopts.port = 9191;
        }
        int code = run_distributed(&co, fname, &sql, &mopts);
        wd_buf_free(&sql);
        return code;
    }

    sigwatch sw = {0};
    sig_block(&sw);
    jobstop js = {0};

    wd_store *store = NULL;
    char query_fp[65];
    if (state_url) {
        rc = wd_store_open(state_url, &store, &err);
        if (rc < 0) {
            fprintf(stderr, "wadi: error: %s\n", err.msg);
            wd_graph_free(g);
            wd_buf_free(&sql);
            return 1;
        }
        fingerprint(&sql, query_fp);
        if (!jopts.checkpoint_interval_ns) jopts.checkpoint_interval_ns = g->checkpoint_interval_ns;
        jopts.store = store;
        jopts.query = query_fp;
    }

    monitor *mon = NULL;
    if (monitor_start(&mopts, &mon, &err) < 0) {
        fprintf(stderr, "wadi: error: %s\n", err.msg);
        wd_store_close(store);
        wd_graph_free(g);
        wd_buf_free(&sql);
        return 1;
    }
    wd_job *job = NULL;
    rc = wd_job_start(g, &jopts, &job, &err);
    if (rc == 0) {
        monitor_attach(mon, job);
        js.job = job;
        sig_start(&sw, stop_job, &js);
        rc = wd_job_wait(job, &err);
        sig_end(&sw);
        wd_job_stats stats;
        wd_job_get_stats(job, &stats);
        report_dropped(stats.bad_rows_dropped, stats.late_rows_dropped);
        monitor_stop(mon);
        mon = NULL;
        wd_job_free(job);
    }
    monitor_stop(mon);
    wd_store_close(store);
    int code = 0;
    if (sw.stopped && js.rc < 0) {
        fprintf(stderr, "wadi: error: %s\n", js.err.msg);
        code = 1;
    } else if (rc < 0 && !(sw.stopped && rc == WD_ESTOPPED)) {
        code = report_error(rc, &err, fname, &sql);
    }
    fflush(stdout);
    wd_graph_free(g);
    wd_buf_free(&sql);
    return code;
}

static void print_function(const wd_func *f, void *arg)
{
    wd_buf *b = arg;
    wd_buf_puts(b, "| `");
    wd_func_signature(f, b);
    wd_buf_puts(b, "` | ");
    for (const char *p = f->doc ? f->doc : ""; *p; p++) {
        if (*p == '|') wd_buf_putc(b, '\\');
        wd_buf_putc(b, *p);
    }
    wd_buf_puts(b, " |\n");
}

/* The function catalog as a Markdown table (docs/functions.md is made by it). */
static int cmd_functions(void)
{
    wd_buf b = WD_BUF_INIT;
    wd_buf_puts(&b, "# Functions and operators\n\n"
                    "Generated by `wadi functions` from the function catalog: one row per\n"
                    "registration (overloads are separate rows). NUMERIC stands for any\n"
                    "numeric type, ANY for any type, ANY[] for any array, ELEMENT for the\n"
                    "array's element type, SAME for the type of the first argument.\n\n"
                    "| signature | description |\n|---|---|\n");
    wd_func_foreach(print_function, &b);
    fwrite(b.data, 1, b.len, stdout);
    wd_buf_free(&b);
    return 0;
}

static const char *const opt_kinds[] = {"text", "integer", "number", "boolean", "duration",
                                         "timestamp", "one of"};

static void print_opts(wd_buf *b, const wd_opt_def *d, size_t n)
{
    wd_buf_puts(b, "| option | kind | default | required | description |\n|---|---|---|---|---|\n");
    for (size_t i = 0; i < n; i++) {
        wd_buf_printf(b, "| `%s` | %s", d[i].name, opt_kinds[d[i].kind]);
        if (d[i].kind == WD_OPT_ENUM) {
            wd_buf_puts(b, " ");
            for (const char *c = d[i].choices; *c; c++) {
                if (c == d[i].choices || c[-1] == '|') wd_buf_putc(b, '`');
                if (*c == '|') wd_buf_puts(b, "`, ");
                else wd_buf_putc(b, *c);
            }
            wd_buf_putc(b, '`');
        }
        wd_buf_printf(b, " | %s | %s | %s |\n", d[i].def ? d[i].def : "", d[i].required ? "yes" : "",
                      d[i].doc ? d[i].doc : "");
    }
}

/* The connectors and their options as Markdown (the reference part of
 * docs/connectors.md is made by it). */
static int cmd_connectors(void)
{
    wd_buf b = WD_BUF_INIT;
    size_t n, nc;
    const wd_connector *const *all = wd_connectors(&n);
    for (size_t i = 0; i < n; i++) {
        const wd_connector *c = all[i];
        wd_buf_printf(&b, "### `%s`\n\n%s\n\nRole: %s%s%s.\n\n", c->name, c->doc ? c->doc : "",
                      c->source ? "source" : "", c->source && c->sink ? " and " : "",
                      c->sink ? "sink" : "");
        if (c->nopts) print_opts(&b, c->opts, c->nopts);
        else wd_buf_puts(&b, "No options of its own.\n");
        wd_buf_puts(&b, "\n");
    }
    const wd_opt_def *common = wd_options_common(&nc);
    wd_buf_puts(&b, "### Options of every table\n\n");
    print_opts(&b, common, nc);
    fwrite(b.data, 1, b.len, stdout);
    wd_buf_free(&b);
    return 0;
}

static int cmd_worker(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"controller", required_argument, NULL, 'c'},
        {"run", required_argument, NULL, 'r'},
        {"worker", required_argument, NULL, 'w'},
        {"verbose", no_argument, NULL, 'v'},
        {NULL, 0, NULL, 0},
    };
    const char *ctl = NULL;
    unsigned long long run = 0;
    long index = -1;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c': ctl = optarg; break;
        case 'r': run = strtoull(optarg, NULL, 10); break;
        case 'w': index = parse_count("worker", "--worker", optarg, 0, 1023); break;
        case 'v': wd_log_set_level(WD_LOG_DEBUG); break;
        default: return 2;
        }
    }
    if (!ctl || !run || index < 0) {
        fprintf(stderr, "wadi worker: started by a scheduler with --controller, --run and --worker\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    wd_error err = {0};
    int rc = wd_worker_main(ctl, run, (uint32_t)index, &err);
    fflush(stdout);
    if (rc < 0) {
        fprintf(stderr, "wadi worker %ld: error: %s\n", index, err.msg);
        return 1;
    }
    return 0;
}

static _Atomic bool node_stop;
static void on_node_signal(int sig) { atomic_store(&node_stop, true); }

static int cmd_node(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"controller", required_argument, NULL, 'c'},
        {"listen", required_argument, NULL, 'L'},
        {"advertise", required_argument, NULL, 'a'},
        {"id", required_argument, NULL, 'i'},
        {"slots", required_argument, NULL, 's'},
        {"admin-port", required_argument, NULL, 'A'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    wd_node_opts o = {.controller = "127.0.0.1:9190", .listen = ":9290", .admin_port = 9291};
    long v;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c': o.controller = optarg; break;
        case 'L': o.listen = optarg; break;
        case 'a': o.advertise = optarg; break;
        case 'i': o.id = optarg; break;
        case 's':
            if ((v = parse_count("node", "--slots", optarg, 1, 256)) < 0) return 2;
            o.slots = (uint32_t)v;
            break;
        case 'A':
            if ((v = parse_count("node", "--admin-port", optarg, 0, 65535)) < 0) return 2;
            o.admin_port = (uint16_t)v;
            break;
        case 'v': wd_log_set_level(WD_LOG_DEBUG); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    struct sigaction sa = {.sa_handler = on_node_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    wd_error err = {0};
    if (wd_node_main(&o, &node_stop, &err) < 0) {
        fprintf(stderr, "wadi node: error: %s\n", err.msg);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "run")) return cmd_run(argc - 1, argv + 1, false);
    if (!strcmp(cmd, "controller")) return cmd_run(argc - 1, argv + 1, true);
    if (!strcmp(cmd, "node")) return cmd_node(argc - 1, argv + 1);
    if (!strcmp(cmd, "worker")) return cmd_worker(argc - 1, argv + 1);
    if (!strcmp(cmd, "functions")) return cmd_functions();
    if (!strcmp(cmd, "connectors")) return cmd_connectors();
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("wadi %s\n", WADI_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "wadi: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
