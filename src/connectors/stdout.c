/*
 * stdout.c — the `stdout` sink: each row as one JSON line on standard
 * output (Debezium JSON for updating streams or format = 'debezium_json').
 *
 * A batch is encoded into the subtask's own buffer, then written under a
 * process-wide mutex with write(2) in pieces of whole lines of at most
 * PIPE_BUF bytes, so that lines never interleave — neither those of
 * several subtasks of this process nor those of other worker processes
 * sharing the same standard output (a pipe writes each such piece
 * atomically) — and consumers see rows as soon as a batch ends.
 *
 * Exports: wd_conn_stdout, wd_stdout_sink_open.
 */
#include "connectors/stdout.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <limits.h>
#include <unistd.h>

#include "batch/json.h"
#include "common/alloc.h"
#include "common/fileio.h"

static pthread_mutex_t stdout_mu = PTHREAD_MUTEX_INITIALIZER;

typedef struct so_sink {
    wd_sink base;
    wd_buf buf;
    bool debezium;
    wd_json_opts jo;
} so_sink;

static int so_write(wd_sink *sink, const wd_batch *b, wd_error *err)
{
    so_sink *s = (so_sink *)sink;
    wd_buf_reset(&s->buf);
    for (uint32_t r = 0; r < b->nrows; r++) {
        if (s->debezium || (b->retract && b->retract[r]))
            wd_json_encode_debezium(b, r, &s->buf);
        else
            wd_json_encode_row_opts(b, r, &s->jo, &s->buf);
        wd_buf_putc_fast(&s->buf, '\n');
    }
    if (!s->buf.len) return 0;
    pthread_mutex_lock(&stdout_mu);
    int rc = fflush(stdout) ? -1 : 0;
    const char *p = s->buf.data, *end = p + s->buf.len;
    while (rc == 0 && p < end) {
        /* whole lines, at most PIPE_BUF bytes (one longer line alone) */
        const char *cut = p;
        for (const char *nl; cut < end; cut = nl + 1) {
            nl = memchr(cut, '\n', (size_t)(end - cut));
            if (!nl || (nl + 1 - p > PIPE_BUF && cut > p)) break;
        }
        if (cut == p) cut = end;
        rc = wd_write_all(STDOUT_FILENO, p, (size_t)(cut - p));
        p = cut;
    }
    int e = errno;
    pthread_mutex_unlock(&stdout_mu);
    if (rc < 0) return wd_err(err, WD_EIO, "writing to stdout: %s", strerror(e));
    return 0;
}

static int so_flush(wd_sink *sink, wd_error *err)
{
    pthread_mutex_lock(&stdout_mu);
    int ferr = fflush(stdout);
    int e = errno;
    pthread_mutex_unlock(&stdout_mu);
    if (ferr) return wd_err(err, WD_EIO, "writing to stdout: %s", strerror(e));
    return 0;
}

static void so_close(wd_sink *sink)
{
    so_sink *s = (so_sink *)sink;
    if (!s) return;
    wd_buf_free(&s->buf);
    wd_free(s);
}

static const wd_sink_vt so_vt = {.write = so_write, .flush = so_flush, .close = so_close};

int wd_stdout_sink_open(const wd_sink_spec *spec, wd_sink **out, wd_error *err)
{
    *out = NULL;
    wd_json_opts jo = WD_JSON_OPTS_INIT;
    bool debezium = spec->updating;
    if (spec->opts) {
        const char *f = wd_opt_get(spec->opts, "format");
        if (f && !strcasecmp(f, "debezium_json")) {
            debezium = true;
        } else if (f && strcasecmp(f, "json")) {
            wd_err(err, WD_EOPTION, "format '%s' is not supported by connector 'stdout'", f);
            wd_err_hint(err, "accepted formats: json, debezium_json");
            return WD_EOPTION;
        }
        int rc = wd_json_opts_from(spec->opts, &jo, err);
        if (rc) return rc;
    }
    so_sink *s = wd_calloc(1, sizeof *s);
    if (!s) return wd_err(err, WD_ENOMEM, "out of memory");
    s->base.vt = &so_vt;
    s->debezium = debezium;
    s->jo = jo;
    *out = &s->base;
    return 0;
}

static int so_validate(const wd_options *o, bool as_source, wd_error *err)
{
    const char *f = wd_opt_get(o, "format");
    if (f && strcasecmp(f, "json") && strcasecmp(f, "debezium_json")) {
        wd_err(err, WD_EOPTION, "format '%s' is not supported by connector 'stdout'", f);
        wd_err_hint(err, "accepted formats: json, debezium_json");
        return WD_EOPTION;
    }
    wd_json_opts jo;
    return wd_json_opts_from(o, &jo, err);
}

const wd_connector wd_conn_stdout = {
    .name = "stdout",
    .doc = "prints each row as one JSON line on standard output",
    .opts = NULL,
    .nopts = 0,
    .source = false,
    .sink = true,
    .bounded = false,
    .fixed_schema = NULL,
    .validate = so_validate,
    .open_source = NULL,
    .open_sink = wd_stdout_sink_open,
};
