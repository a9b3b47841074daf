/*
 * single_file.c — the `single_file` connector: a bounded source that reads
 * a file of JSON lines (or raw text lines), and a sink that writes one.
 *
 * Options: path (required), type ('source' | 'sink'), format ('json', the
 * default; 'debezium_json'; 'raw_string', with one TEXT column),
 * bad_data ('fail' | 'drop'), event_time_field, json.*.
 *
 * Source: reads with large buffered read()s, any line length; skips blank
 * lines; fills batches of spec->batch_rows rows; `_timestamp` is the
 * event_time_field column (TIMESTAMP; a null value is bad data) or the
 * wall-clock time of ingestion.  bad_data = 'fail' ends with WD_EDATA
 * "PATH:LINE: field 'x': …"; 'drop' skips the line and counts it
 * (vt->dropped).  The file is read by subtask 0 only: with parallelism > 1
 * the other subtasks end at once (a line-delimited file has no cheap split
 * points; the runtime's shuffle spreads the rows).  With format =
 * 'debezium_json' each line is a change record (wd_json_decode_debezium)
 * that becomes one or two rows with retraction flags (b->retract, NULL in
 * a batch of inserts only); both rows of an update land in the same batch,
 * and with event_time_field each row's time is its own column's value.
 *
 * Sink: one line per row; Debezium JSON when the input is updating or
 * format = 'debezium_json' (a retraction reaching a plain JSON sink is
 * written as Debezium too, so it is never silently lost).  Subtask 0
 * writes `path`, subtask N > 0 writes `path-N` (no locking, no
 * interleaving); output is buffered and written at flush and close.
 *
 * Exports: wd_conn_single_file, wd_single_file_offset,
 * wd_single_file_sink_path.
 */
#include "connectors/single_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "batch/json.h"
#include "common/alloc.h"
#include "common/timeutil.h"
#include "state/snapshot.h"

#define READ_CHUNK (256u * 1024u)
#define MAX_LINE (1u << 30)
#define SINK_FLUSH_BYTES (1u << 20)

static const wd_opt_def sf_opts[] = {
    {"path", WD_OPT_STRING, NULL, true, NULL, "the file to read (source) or write (sink)"},
};

typedef enum sf_format { SF_JSON, SF_DEBEZIUM, SF_RAW } sf_format;

/* format option → sf_format; WD_EOPTION for anything else. */
static int sf_format_of(const wd_options *o, bool as_source, sf_format *out, wd_error *err)
{
    const char *f = wd_opt_get(o, "format");
    if (!f || !strcasecmp(f, "json")) {
        *out = SF_JSON;
    } else if (!strcasecmp(f, "raw_string")) {
        *out = SF_RAW;
    } else if (!strcasecmp(f, "debezium_json")) {
        *out = SF_DEBEZIUM;
    } else {
        wd_err(err, WD_EOPTION, "format '%s' is not supported by connector 'single_file' as a %s",
               f, as_source ? "source" : "sink");
        wd_err_hint(err, "accepted formats: json, debezium_json, raw_string");
        return WD_EOPTION;
    }
    return 0;
}

static int sf_validate(const wd_options *o, bool as_source, wd_error *err)
{
    sf_format f;
    int rc = sf_format_of(o, as_source, &f, err);
    if (rc) return rc;
    const char *path = wd_opt_get(o, "path");
    if (!path || !*path)
        return wd_err(err, WD_EOPTION, "connector 'single_file' needs a non-empty option 'path'");
    wd_json_opts jo;
    return wd_json_opts_from(o, &jo, err);
}

/* The one non-hidden TEXT column a raw_string table must have, or -1. */
static int raw_column(const wd_type *schema, wd_error *err)
{
    if (schema->nfields != 2 || schema->fields[0].type->id != WD_T_TEXT) {
        wd_err(err, WD_ETYPE, "format 'raw_string' needs exactly one column, of type TEXT");
        wd_err_hint(err, "declare the table as (value TEXT)");
        return -1;
    }
    return 0;
}

/* ====================================================================== */
/* source                                                                  */
/* ====================================================================== */

typedef struct sf_source {
    wd_source base;
    char *path;
    int fd;
    char *buf;            /* unread bytes are buf[beg..end) */
    size_t cap, beg, end;
    size_t scanned;       /* bytes after beg known to hold no newline */
    bool eof, done;
    uint64_t line;        /* number of the last line read (1-based) */
    uint64_t pos;         /* file offset of buf[beg] */
    uint64_t offset;      /* file offset after the last line of the last batch */
    uint64_t offset_line; /* the number of that line */
    uint64_t dropped;
    wd_json_decoder *dec;
    const wd_type *schema;
    uint32_t batch_rows;
    int ts_field;         /* event_time_field column, or -1 */
    const char *ts_name;
    bool drop, raw, debezium;
} sf_source;

/* The next line into *line, *n (newline and a trailing CR removed).
 * Returns 1, 0 at the end of the file, or WD_EIO. */
static int sf_next_line(sf_source *s, const char **line, size_t *n, wd_error *err)
{
    for (;;) {
        char *from = s->buf + s->beg + s->scanned;
        char *nl = memchr(from, '\n', s->end - s->beg - s->scanned);
        size_t len;
        if (nl) {
            len = (size_t)(nl - (s->buf + s->beg));
            *line = s->buf + s->beg;
            s->beg += len + 1;
            s->pos += len + 1;
        } else if (s->eof) {
            if (s->beg == s->end) return 0;
            len = s->end - s->beg;
            *line = s->buf + s->beg;
            s->beg = s->end;
            s->pos += len;
        } else {
            s->scanned = s->end - s->beg;
            if (s->beg > 0) {
                memmove(s->buf, s->buf + s->beg, s->end - s->beg);
                s->end -= s->beg;
                s->beg = 0;
            }
            if (s->cap - s->end < READ_CHUNK / 4) {
                if (s->cap >= MAX_LINE)
                    return wd_err(err, WD_EDATA, "%s:%llu: line longer than %u bytes", s->path,
                                  (unsigned long long)s->line + 1, MAX_LINE);
                size_t ncap = s->cap * 2;
                char *nb = wd_realloc(s->buf, ncap);
                if (!nb) return wd_err(err, WD_ENOMEM, "reading %s: out of memory", s->path);
                s->buf = nb;
                s->cap = ncap;
            }
            ssize_t r;
            do {
                r = read(s->fd, s->buf + s->end, s->cap - s->end);
            } while (r < 0 && errno == EINTR);
            if (r < 0) return wd_err(err, WD_EIO, "reading %s: %s", s->path, strerror(errno));
            if (r == 0)
                s->eof = true;
            else
                s->end += (size_t)r;
            continue;
        }
        s->scanned = 0;
        s->line++;
        if (len && (*line)[len - 1] == '\r') len--;
        *n = len;
        return 1;
    }
}

static bool blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r') return false;
    return true;
}

/* One line into the next row(s) of b: 0, or WD_EDATA with the message in
 * e (b->nrows unchanged). */
static int sf_decode(sf_source *s, const char *line, size_t n, wd_batch *b, wd_error *e)
{
    if (s->raw) {
        uint32_t row = b->nrows;
        if (n > UINT32_MAX) return wd_err(e, WD_EDATA, "line too long");
        wd_col *c = &b->cols[0];
        if (row >= c->cap) wd_col_reserve(c, row + 1, &b->arena);
        if (row >= b->cols[1].cap) wd_col_reserve(&b->cols[1], row + 1, &b->arena);
        WD_COL_VALS(c, wd_str)[row] = wd_str_copy(&b->arena, line, n);
        if (c->valid) c->valid[row] = 1;
        wd_batch_ts(b)[row] = wd_now_ns();
        b->nrows = row + 1;
        return 0;
    }
    uint32_t first = b->nrows;
    int rc = s->debezium ? wd_json_decode_debezium(s->dec, line, n, b, e)
                         : wd_json_decode(s->dec, line, n, b, e);
    if (rc) return rc;
    if (s->ts_field >= 0) {
        const wd_col *c = &b->cols[s->ts_field];
        for (uint32_t row = first; row < b->nrows; row++) {
            if (!wd_col_valid(c, row)) {
                const char *part = !s->debezium                   ? ""
                                   : b->retract && b->retract[row] ? "before."
                                                                   : "after.";
                b->nrows = first;
                return wd_err(e, WD_EDATA,
                              "field '%s%s': the event time (event_time_field) is null", part,
                              s->ts_name);
            }
            wd_batch_ts(b)[row] = WD_COL_VALS(c, int64_t)[row];
        }
    } else {
        int64_t now = wd_now_ns();
        for (uint32_t row = first; row < b->nrows; row++) wd_batch_ts(b)[row] = now;
    }
    return 0;
}

static int sf_next(wd_source *src, wd_batch **out, int64_t *wait_ns, wd_error *err)
{
    sf_source *s = (sf_source *)src;
    *out = NULL;
    if (s->done) return WD_SRC_END;
    wd_batch *b = NULL;
    for (;;) {
        const char *line = NULL;
        size_t n = 0;
        int rc = sf_next_line(s, &line, &n, err);
        if (rc < 0) {
            if (b) wd_batch_release(b);
            s->done = true;
            return rc;
        }
        if (rc == 0) {
            s->done = true;
            break;
        }
        if (blank(line, n)) continue;
        if (!b) {
            b = wd_batch_new(s->schema, s->batch_rows);
            if (!b) return wd_err(err, WD_ENOMEM, "reading %s: out of memory", s->path);
        }
        wd_error e = {0};
        if (sf_decode(s, line, n, b, &e)) {
            if (s->drop) {
                s->dropped++;
                continue;
            }
            wd_batch_release(b);
            s->done = true;
            wd_err(err, WD_EDATA, "%s:%llu: %s", s->path, (unsigned long long)s->line, e.msg);
            return WD_EDATA;
        }
        if (b->nrows >= s->batch_rows) break;
    }
    if (b && b->nrows) {
        s->offset = s->pos;
        s->offset_line = s->line;
        wd_batch_seal(b);
        *out = b;
        return WD_SRC_BATCH;
    }
    if (b) wd_batch_release(b);
    return WD_SRC_END;
}

static int64_t sf_watermark(wd_source *src) { return INT64_MIN; }

static uint64_t sf_dropped(wd_source *src) { return ((sf_source *)src)->dropped; }

static void sf_close(wd_source *src)
{
    sf_source *s = (sf_source *)src;
    if (!s) return;
    if (s->fd >= 0) close(s->fd);
    wd_json_decoder_free(s->dec);
    wd_free(s->buf);
    wd_free(s->path);
    wd_free(s);
}

/* Checkpoints: the byte offset (and line number) after the last batch. */
static int sf_snapshot(wd_source *src, wd_snap_out *w, wd_error *err)
{
    sf_source *s = (sf_source *)src;
    int rc = wd_snap_table_begin(w, "single_file", WD_SNAP_GLOBAL, err);
    if (rc < 0) return rc;
    wd_buf *b = wd_snap_rec_begin(w, 0);
    wd_snap_put_u64(b, s->offset);
    wd_snap_put_u64(b, s->offset_line);
    wd_snap_rec_end(w);
    return 0;
}

/* Only subtask 0 reads the file: resume at the offset old subtask 0 recorded. */
static int sf_restore(wd_source *src, wd_snap_in *r, wd_error *err)
{
    sf_source *s = (sf_source *)src;
    wd_snap_rec rec;
    int rc;
    wd_snap_in_open(r, "single_file");
    while ((rc = wd_snap_in_next(r, &rec, err)) == 1) {
        wd_rd d;
        wd_rd_init(&d, rec.data, rec.len);
        uint64_t off = wd_rd_u64(&d), line = wd_rd_u64(&d);
        if (!wd_rd_done(&d)) return wd_snap_bad_record(r, err);
        if (rec.from_subtask != 0 || s->fd < 0) continue;
        if (lseek(s->fd, (off_t)off, SEEK_SET) < 0)
            return wd_err(err, WD_EIO, "%s: cannot resume at byte %llu: %s", s->path,
                          (unsigned long long)off, strerror(errno));
        s->beg = s->end = s->scanned = 0;
        s->eof = false;
        s->pos = s->offset = off;
        s->line = s->offset_line = line;
    }
    return rc;
}

static const wd_source_vt sf_source_vt = {.next = sf_next,
                                          .watermark = sf_watermark,
                                          .dropped = sf_dropped,
                                          .snapshot = sf_snapshot,
                                          .restore = sf_restore,
                                          .close = sf_close};

uint64_t wd_single_file_offset(const wd_source *s)
{
    if (!s || s->vt != &sf_source_vt) return 0;
    return ((const sf_source *)s)->offset;
}

static int sf_open_source(const wd_source_spec *spec, wd_source **out, wd_error *err)
{
    *out = NULL;
    const wd_options *o = spec->opts;
    sf_format fmt;
    int rc = sf_format_of(o, true, &fmt, err);
    if (rc) return rc;
    const char *path = wd_opt_get(o, "path");
    if (!path || !*path)
        return wd_err(err, WD_EOPTION, "connector 'single_file' needs a non-empty option 'path'");
    wd_json_opts jo;
    if ((rc = wd_json_opts_from(o, &jo, err))) return rc;
    const char *bad = wd_opt_get(o, "bad_data");
    bool drop = false;
    if (bad && !strcasecmp(bad, "drop")) {
        drop = true;
    } else if (bad && strcasecmp(bad, "fail")) {
        wd_err(err, WD_EOPTION, "option 'bad_data': unknown value '%s'", bad);
        wd_err_hint(err, "accepted values: fail, drop");
        return WD_EOPTION;
    }
    int ts_field = -1;
    const char *etf = wd_opt_get(o, "event_time_field");
    if (etf && *etf) {
        ts_field = wd_type_field_index(spec->schema, etf);
        if (ts_field < 0 || (uint32_t)ts_field == wd_schema_ts_index(spec->schema)) {
            return wd_err(err, WD_EOPTION,
                          "option 'event_time_field': '%s' is not a column of the table", etf);
        }
        if (spec->schema->fields[ts_field].type->id != WD_T_TIMESTAMP)
            return wd_err(err, WD_EOPTION,
                          "option 'event_time_field': column '%s' is %s, not TIMESTAMP", etf,
                          wd_type_name(spec->schema->fields[ts_field].type));
    }
    if (fmt == SF_RAW) {
        if (raw_column(spec->schema, err) < 0) return WD_ETYPE;
        if (ts_field >= 0)
            return wd_err(err, WD_EOPTION,
                          "option 'event_time_field' needs a TIMESTAMP column; format "
                          "'raw_string' has one TEXT column");
    } else if ((rc = wd_json_check_schema(spec->schema, &jo, err))) {
        return rc;
    }

    sf_source *s = wd_calloc(1, sizeof *s);
    if (!s) return wd_err(err, WD_ENOMEM, "out of memory");
    s->base.vt = &sf_source_vt;
    s->fd = -1;
    s->path = wd_strdup(path);
    s->schema = spec->schema;
    s->batch_rows = spec->batch_rows ? spec->batch_rows : WD_BATCH_ROWS;
    s->ts_field = ts_field;
    s->ts_name = ts_field >= 0 ? spec->schema->fields[ts_field].name : NULL;
    s->drop = drop;
    s->raw = fmt == SF_RAW;
    s->debezium = fmt == SF_DEBEZIUM;
    if (spec->subtask != 0) {
        /* only subtask 0 reads the file */
        s->done = true;
        *out = &s->base;
        return 0;
    }
    if (!s->raw) {
        s->dec = wd_json_decoder_new(spec->schema, &jo);
        if (!s->dec) {
            sf_close(&s->base);
            return wd_err(err, WD_ENOMEM, "out of memory");
        }
    }
    s->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0) {
        int e = errno;
        sf_close(&s->base);
        return wd_err(err, WD_EIO, "cannot open '%s': %s", path, strerror(e));
    }
    s->cap = READ_CHUNK;
    s->buf = wd_malloc(s->cap);
    if (!s->buf) {
        sf_close(&s->base);
        return wd_err(err, WD_ENOMEM, "out of memory");
    }
    *out = &s->base;
    return 0;
}

/* ====================================================================== */
/* sink                                                                    */
/* ====================================================================== */

/* ---- lines of the file sinks (single_file, filesystem) ---- */

int wd_line_enc_init(const wd_sink_spec *spec, wd_line_enc *e, wd_error *err)
{
    sf_format fmt;
    int rc = sf_format_of(spec->opts, false, &fmt, err);
    if (rc) return rc;
    if ((rc = wd_json_opts_from(spec->opts, &e->jo, err))) return rc;
    if (fmt == SF_RAW && raw_column(spec->schema, err) < 0) return WD_ETYPE;
    if (fmt == SF_RAW && spec->updating)
        return wd_err(err, WD_EPLAN, "format 'raw_string' cannot carry an updating stream");
    e->raw = fmt == SF_RAW;
    e->debezium = fmt == SF_DEBEZIUM || spec->updating;
    return 0;
}

void wd_line_enc_row(const wd_line_enc *e, const wd_batch *b, uint32_t r, wd_buf *out)
{
    if (e->raw) {
        const wd_col *c = &b->cols[0];
        if (wd_col_valid(c, r)) {
            wd_str v = WD_COL_GET(c, wd_str, r);
            wd_buf_put(out, v.ptr, v.len);
        }
    } else if (e->debezium || (b->retract && b->retract[r])) {
        wd_json_encode_debezium(b, r, out);
    } else {
        wd_json_encode_row_opts(b, r, &e->jo, out);
    }
    wd_buf_putc_fast(out, '\n');
}

typedef struct sf_sink {
    wd_sink base;
    char *path;
    int fd;               /* the file, or (two-phase) the staging file, or -1 */
    wd_buf buf;
    wd_line_enc enc;
    uint64_t rows;
    uint32_t subtask;
    /* two-phase (under checkpoints), see sf_sink_snapshot */
    bool two_phase, started;
    char *hidden;         /* "DIR/.NAME": staging and pending files start so */
    uint64_t staged;      /* bytes in the staging file */
    uint64_t target_len;  /* bytes of the file after the last commit */
    struct sf_pend { uint64_t epoch, size; } *pend;
    uint32_t npend, pcap;
} sf_sink;

void wd_single_file_sink_path(const char *path, uint32_t subtask, char *out, size_t n)
{
    if (subtask == 0)
        snprintf(out, n, "%s", path);
    else
        snprintf(out, n, "%s-%u", path, subtask);
}

static int sf_start(sf_sink *s, wd_error *err);
static int sf_open_staging(sf_sink *s, wd_error *err);

/* Write the buffered bytes to the file (two-phase: the staging file). */
static int sf_drain(sf_sink *s, wd_error *err)
{
    if (s->two_phase && s->buf.len) {
        int rc = sf_start(s, err);
        if (rc < 0) return rc;
    }
    s->staged += s->buf.len;
    size_t off = 0;
    while (off < s->buf.len) {
        ssize_t w = write(s->fd, s->buf.data + off, s->buf.len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {
            int e = errno;
            wd_buf_reset(&s->buf);
            return wd_err(err, WD_EIO, "writing %s: %s", s->path, strerror(e));
        }
        off += (size_t)w;
    }
    wd_buf_reset(&s->buf);
    return 0;
}

static int sf_write(wd_sink *sink, const wd_batch *b, wd_error *err)
{
    sf_sink *s = (sf_sink *)sink;
    for (uint32_t r = 0; r < b->nrows; r++) {
        wd_line_enc_row(&s->enc, b, r, &s->buf);
        if (s->buf.len >= SINK_FLUSH_BYTES) {
            int rc = sf_drain(s, err);
            if (rc) return rc;
        }
    }
    s->rows += b->nrows;
    return 0;
}

static int sf_flush(wd_sink *sink, wd_error *err) { return sf_drain((sf_sink *)sink, err); }

/*
 * Two-phase writing (under checkpoints).  Rows since the last checkpoint
 * go to a hidden staging file ".NAME.inprogress" next to the file; at a
 * checkpoint it becomes ".NAME.pending-EPOCH" and the snapshot records the
 * file's committed length and the pending sizes; commit appends pending
 * files of completed epochs, in order, to the file.  Restore redoes what
 * a crash interrupted — using the recorded lengths, so appending twice is
 * impossible — and cuts the file back to what the restored epoch
 * committed.
 */
static void sf_name(const sf_sink *s, const char *what, uint64_t epoch, char *out, size_t n)
{
    if (epoch == UINT64_MAX)
        snprintf(out, n, "%s.%s", s->hidden, what);
    else
        snprintf(out, n, "%s.%s-%llu", s->hidden, what, (unsigned long long)epoch);
}

/* Delete the staging and pending files; keep those of epochs in keep. */
static void sf_sweep(sf_sink *s)
{
    char p[4096];
    sf_name(s, "inprogress", UINT64_MAX, p, sizeof p);
    unlink(p);
    const char *slash = strrchr(s->hidden, '/');
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - s->hidden) : 1,
             slash ? s->hidden : ".");
    const char *base = slash ? slash + 1 : s->hidden;
    size_t bl = strlen(base);
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, base, bl) != 0 || strncmp(e->d_name + bl, ".pending-", 9) != 0)
            continue;
        uint64_t ep = strtoull(e->d_name + bl + 9, NULL, 10);
        bool keep = false;
        for (uint32_t i = 0; i < s->npend; i++) keep |= s->pend[i].epoch == ep;
        if (keep) continue;
        unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
}

/* Before the first rows or checkpoint of a run that restored nothing: the
 * file starts empty, as without checkpoints. */
static int sf_start(sf_sink *s, wd_error *err)
{
    if (s->started) return 0;
    s->started = true;
    if (ftruncate(s->fd, 0) < 0)
        return wd_err(err, WD_EIO, "cannot truncate '%s': %s", s->path, strerror(errno));
    s->target_len = 0;
    sf_sweep(s);
    return sf_open_staging(s, err);
}

static int sf_open_staging(sf_sink *s, wd_error *err)
{
    char p[4096];
    sf_name(s, "inprogress", UINT64_MAX, p, sizeof p);
    if (s->fd >= 0) close(s->fd);
    s->fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    s->staged = 0;
    if (s->fd < 0) return wd_err(err, WD_EIO, "cannot create '%s': %s", p, strerror(errno));
    return 0;
}

static int sf_sink_snapshot(wd_sink *sink, wd_snap_out *w, wd_error *err)
{
    sf_sink *s = (sf_sink *)sink;
    int rc = sf_start(s, err);
    if (rc == 0) rc = sf_drain(s, err);
    if (rc < 0) return rc;
    if (s->staged) {
        char from[4096], to[4096];
        sf_name(s, "inprogress", UINT64_MAX, from, sizeof from);
        sf_name(s, "pending", w->epoch, to, sizeof to);
        if (fsync(s->fd) < 0 || rename(from, to) < 0)
            return wd_err(err, WD_EIO, "cannot stage output of '%s': %s", s->path,
                          strerror(errno));
        if (s->npend == s->pcap) {
            uint32_t cap = s->pcap ? s->pcap * 2 : 4;
            struct sf_pend *p = wd_realloc(s->pend, cap * sizeof *p);
            if (!p) return wd_err(err, WD_ENOMEM, "out of memory");
            s->pend = p;
            s->pcap = cap;
        }
        s->pend[s->npend++] = (struct sf_pend){w->epoch, s->staged};
        if ((rc = sf_open_staging(s, err)) < 0) return rc;
    }
    if ((rc = wd_snap_table_begin(w, "single_file_sink", WD_SNAP_GLOBAL, err)) < 0) return rc;
    wd_buf *b = wd_snap_rec_begin(w, 0);
    wd_snap_put_u64(b, s->target_len);
    wd_snap_put_u32(b, s->npend);
    for (uint32_t i = 0; i < s->npend; i++) {
        wd_snap_put_u64(b, s->pend[i].epoch);
        wd_snap_put_u64(b, s->pend[i].size);
    }
    wd_snap_rec_end(w);
    return 0;
}

/* Append pending file `epoch` (size bytes) to the file at target_len. */
static int sf_append(sf_sink *s, uint64_t epoch, uint64_t size, wd_error *err)
{
    char p[4096];
    sf_name(s, "pending", epoch, p, sizeof p);
    int in = open(p, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return wd_err(err, WD_ECORRUPT, "the pending output '%s' is missing: %s", p,
                      strerror(errno));
    int out = open(s->path, O_WRONLY | O_CLOEXEC);
    int rc = 0;
    if (out < 0 || ftruncate(out, (off_t)s->target_len) < 0) {
        rc = wd_err(err, WD_EIO, "cannot write '%s': %s", s->path, strerror(errno));
    } else {
        char buf[65536];
        uint64_t done = 0;
        while (rc == 0 && done < size) {
            ssize_t n = read(in, buf, sizeof buf);
            if (n <= 0) {
                rc = wd_err(err, WD_ECORRUPT, "the pending output '%s' is shorter than recorded",
                            p);
                break;
            }
            if (pwrite(out, buf, (size_t)n, (off_t)(s->target_len + done)) != n)
                rc = wd_err(err, WD_EIO, "writing '%s': %s", s->path, strerror(errno));
            done += (uint64_t)n;
        }
        if (rc == 0 && fsync(out) < 0)
            rc = wd_err(err, WD_EIO, "cannot sync '%s': %s", s->path, strerror(errno));
    }
    if (out >= 0) close(out);
    close(in);
    if (rc < 0) return rc;
    s->target_len += size;
    unlink(p);
    return 0;
}

static int sf_sink_commit(wd_sink *sink, uint64_t epoch, wd_error *err)
{
    sf_sink *s = (sf_sink *)sink;
    uint32_t k = 0;
    int rc = 0;
    for (uint32_t i = 0; i < s->npend; i++) {
        if (rc == 0 && s->pend[i].epoch <= epoch) {
            rc = sf_append(s, s->pend[i].epoch, s->pend[i].size, err);
            if (rc == 0) continue;
        }
        s->pend[k++] = s->pend[i];
    }
    s->npend = k;
    return rc;
}

static int sf_sink_restore(wd_sink *sink, wd_snap_in *r, wd_error *err)
{
    sf_sink *s = (sf_sink *)sink;
    wd_snap_rec rec;
    int rc;
    wd_snap_in_open(r, "single_file_sink");
    while ((rc = wd_snap_in_next(r, &rec, err)) == 1) {
        if (rec.from_subtask != s->subtask) continue;
        wd_rd d;
        wd_rd_init(&d, rec.data, rec.len);
        uint64_t base = wd_rd_u64(&d);
        uint32_t n = wd_rd_u32(&d);
        if (d.bad || n > rec.len / 16) return wd_snap_bad_record(r, err);
        struct stat st;
        if (fstat(s->fd, &st) < 0)
            return wd_err(err, WD_EIO, "cannot read '%s': %s", s->path, strerror(errno));
        uint64_t have = (uint64_t)st.st_size;
        s->started = true;
        s->npend = 0;
        s->target_len = base;
        for (uint32_t i = 0; i < n && rc >= 0; i++) {
            uint64_t ep = wd_rd_u64(&d), size = wd_rd_u64(&d);
            if (d.bad) return wd_snap_bad_record(r, err);
            if (have >= s->target_len + size) {
                /* appended before the crash */
                char p[4096];
                sf_name(s, "pending", ep, p, sizeof p);
                unlink(p);
                s->target_len += size;
            } else {
                rc = sf_append(s, ep, size, err);
            }
        }
        if (rc < 0) return rc;
        if (!wd_rd_done(&d)) return wd_snap_bad_record(r, err);
        /* rows committed after the restored epoch are written again by the replay */
        if (ftruncate(s->fd, (off_t)s->target_len) < 0)
            return wd_err(err, WD_EIO, "cannot truncate '%s': %s", s->path, strerror(errno));
    }
    if (rc < 0) return rc;
    if (!s->started) return 0;
    sf_sweep(s);
    return sf_open_staging(s, err);
}

static void sf_sink_close(wd_sink *sink)
{
    sf_sink *s = (sf_sink *)sink;
    if (!s) return;
    if (s->fd >= 0) {
        if (!s->two_phase) sf_drain(s, NULL);
        close(s->fd);
    }
    if (s->two_phase && s->started && s->staged == 0 && s->hidden) {
        char p[4096];
        sf_name(s, "inprogress", UINT64_MAX, p, sizeof p);
        unlink(p); /* nothing staged since the last checkpoint */
    }
    wd_buf_free(&s->buf);
    wd_free(s->pend);
    wd_free(s->hidden);
    wd_free(s->path);
    wd_free(s);
}

static const wd_sink_vt sf_sink_vt = {.write = sf_write,
                                      .flush = sf_flush,
                                      .snapshot = sf_sink_snapshot,
                                      .commit = sf_sink_commit,
                                      .restore = sf_sink_restore,
                                      .close = sf_sink_close};

static int sf_open_sink(const wd_sink_spec *spec, wd_sink **out, wd_error *err)
{
    *out = NULL;
    const wd_options *o = spec->opts;
    wd_line_enc enc;
    int rc = wd_line_enc_init(spec, &enc, err);
    if (rc) return rc;
    const char *path = wd_opt_get(o, "path");
    if (!path || !*path)
        return wd_err(err, WD_EOPTION, "connector 'single_file' needs a non-empty option 'path'");

    sf_sink *s = wd_calloc(1, sizeof *s);
    if (!s) return wd_err(err, WD_ENOMEM, "out of memory");
    s->base.vt = &sf_sink_vt;
    s->enc = enc;
    size_t n = strlen(path) + 16;
    s->path = wd_malloc(n);
    if (!s->path) {
        wd_free(s);
        return wd_err(err, WD_ENOMEM, "out of memory");
    }
    wd_single_file_sink_path(path, spec->subtask, s->path, n);
    s->subtask = spec->subtask;
    s->two_phase = spec->two_phase;
    if (s->two_phase) {
        /* the file is kept as it is until restore (or the first rows) */
        const char *slash = strrchr(s->path, '/');
        size_t dl = slash ? (size_t)(slash - s->path) + 1 : 0;
        s->hidden = wd_malloc(strlen(s->path) + 2);
        if (s->hidden) sprintf(s->hidden, "%.*s.%s", (int)dl, s->path, s->path + dl);
    }
    s->fd = open(s->path, O_WRONLY | O_CREAT | (s->two_phase ? 0 : O_TRUNC) | O_CLOEXEC, 0644);
    if (s->fd < 0) {
        int e = errno;
        wd_err(err, WD_EIO, "cannot create '%s': %s", s->path, strerror(e));
        sf_sink_close(&s->base);
        return WD_EIO;
    }
    wd_buf_reserve(&s->buf, SINK_FLUSH_BYTES + 4096);
    *out = &s->base;
    return 0;
}

const wd_connector wd_conn_single_file = {
    .name = "single_file",
    .doc = "a file of JSON lines: a bounded source, or a sink writing one line per row",
    .opts = sf_opts,
    .nopts = sizeof sf_opts / sizeof sf_opts[0],
    .source = true,
    .sink = true,
    .bounded = true,
    .fixed_schema = NULL,
    .validate = sf_validate,
    .open_source = sf_open_source,
    .open_sink = sf_open_sink,
};
