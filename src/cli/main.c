/*
 * main.c — the `wadi` command: a thin client of the library.
 *
 *   wadi run [-p N] [--explain] FILE.sql | -
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

#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "plan/plan.h"
#include "runtime/runtime.h"

#define WADI_VERSION "0.1.0"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: wadi <command> [options]\n"
            "\n"
            "commands:\n"
            "  run [-p N] [--explain] FILE.sql|-   run a pipeline in this process; a bare\n"
            "                                      SELECT prints JSON lines to stdout\n"
            "  version                             print the version\n"
            "\n"
            "run options:\n"
            "  -p, --parallelism N   subtasks per operator (default 1)\n"
            "  --explain             print the dataflow graph and exit\n"
            "  --batch-rows N        rows per source batch (default 1024)\n");
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

/* Signals are taken by one thread that cancels the job. */
typedef struct sigctx {
    wd_job *job;
    sigset_t set;
    volatile int stopped;
} sigctx;

static void *signal_thread(void *arg)
{
    sigctx *sc = arg;
    int sig;
    if (sigwait(&sc->set, &sig) == 0 && sig != SIGUSR1) {
        sc->stopped = 1;
        wd_job_cancel(sc->job);
    }
    return NULL;
}

static int cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"parallelism", required_argument, NULL, 'p'},
        {"explain", no_argument, NULL, 'e'},
        {"batch-rows", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    wd_plan_opts popts = {.parallelism = 1};
    wd_job_opts jopts = {0};
    bool explain = false;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "p:h", longopts, NULL)) != -1) {
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
        case 'e': explain = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "wadi run: expected one SQL file (or - for standard input)\n");
        usage(stderr);
        return 2;
    }
    const char *path = argv[optind];
    wd_buf sql = WD_BUF_INIT;
    int rc = read_all(path, &sql);
    if (rc < 0) {
        fprintf(stderr, "wadi run: cannot read %s: %s\n", path, strerror(-rc));
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

    sigctx sc = {0};
    sigemptyset(&sc.set);
    sigaddset(&sc.set, SIGINT);
    sigaddset(&sc.set, SIGTERM);
    sigaddset(&sc.set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &sc.set, NULL);
    signal(SIGPIPE, SIG_IGN);

    wd_job *job = NULL;
    rc = wd_job_start(g, &jopts, &job, &err);
    if (rc == 0) {
        sc.job = job;
        pthread_t st;
        pthread_create(&st, NULL, signal_thread, &sc);
        rc = wd_job_wait(job, &err);
        pthread_kill(st, SIGUSR1);
        pthread_join(st, NULL);
        wd_job_stats stats;
        wd_job_get_stats(job, &stats);
        if (stats.bad_rows_dropped)
            fprintf(stderr, "wadi: %llu bad rows dropped (bad_data = 'drop')\n",
                    (unsigned long long)stats.bad_rows_dropped);
        wd_job_free(job);
    }
    int code = 0;
    if (rc < 0) {
        if (sc.stopped && rc == WD_ESTOPPED) {
            code = 0;
        } else if (err.pos.line > 0) {
            print_error(&err, fname, sql.data); /* a runtime error with its SQL position */
            code = 1;
        } else {
            fprintf(stderr, "wadi: error: %s\n", err.msg[0] ? err.msg : wd_strerror(rc));
            if (err.hint[0]) fprintf(stderr, "hint: %s\n", err.hint);
            code = 1;
        }
    }
    fflush(stdout);
    wd_graph_free(g);
    wd_buf_free(&sql);
    return code;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "run")) return cmd_run(argc - 1, argv + 1);
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
