/*
 * blackhole.c — the `blackhole` sink: counts the rows it receives and
 * discards them (benchmarks, and pipelines run for their side effects).
 *
 * Exports: wd_conn_blackhole, wd_blackhole_rows.
 */
#include "connectors/blackhole.h"

#include "common/alloc.h"

typedef struct bh_sink {
    wd_sink base;
    uint64_t rows;
} bh_sink;

static int bh_write(wd_sink *sink, const wd_batch *b, wd_error *err)
{
    ((bh_sink *)sink)->rows += b->nrows;
    return 0;
}

static int bh_flush(wd_sink *sink, wd_error *err) { return 0; }

static void bh_close(wd_sink *sink) { wd_free(sink); }

static const wd_sink_vt bh_vt = {.write = bh_write, .flush = bh_flush, .close = bh_close};

uint64_t wd_blackhole_rows(const wd_sink *s)
{
    if (!s || s->vt != &bh_vt) return 0;
    return ((const bh_sink *)s)->rows;
}

static int bh_open(const wd_sink_spec *spec, wd_sink **out, wd_error *err)
{
    bh_sink *s = wd_calloc(1, sizeof *s);
    if (!s) {
        *out = NULL;
        return wd_err(err, WD_ENOMEM, "out of memory");
    }
    s->base.vt = &bh_vt;
    *out = &s->base;
    return 0;
}

const wd_connector wd_conn_blackhole = {
    .name = "blackhole",
    .doc = "discards every row (counting them)",
    .opts = NULL,
    .nopts = 0,
    .source = false,
    .sink = true,
    .bounded = false,
    .fixed_schema = NULL,
    .validate = NULL,
    .open_source = NULL,
    .open_sink = bh_open,
};
