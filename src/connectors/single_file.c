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
 * Checkpoints (source): the byte offset and line number after the last
 * line of the last batch; restore seeks there.
 *
 * Sink: one line per row; Debezium JSON when the input is updating or
 * format = 'debezium_json' (a retraction reaching a plain JSON sink is
 * written as Debezium too, so it is never silently lost).  Subtask 0
 * writes `path`, subtask N > 0 writes `path-N` (no locking, no
 * interleaving); output is buffered and written at flush and close.
 * Under checkpoints (spec->two_phase) the sink writes two-phase: rows
 * become visible only when the checkpoint after them is complete (see
 * "Two-phase writing" below).  The line encoding is shared with the
 * filesystem sink (wd_line_enc_*).
 *
 * Exports: wd_conn_single_file, wd_single_file_offset,
 * wd_single_file_sink_path, wd_line_enc_check, wd_line_enc_init,
 * wd_line_enc_row.
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
#include "common/fileio.h"
#include "common/timeutil.h"
#include "state/snapshot.h"

#define READ_CHUNK (256u * 1024u)
#define MAX_LINE (1u << 30)
#define SINK_FLUSH_BYTES (1u << 20)

static const wd_opt_def sf_opts[] = {
    {"path", WD_OPT_STRING, NULL, true, NULL, "the file to read (source) or write (sink)"},
};

typedef enum sf_format { SF_JSON, SF_DEBEZIUM, SF_RAW } sf_format;

/* format option → sf_format; WD_EOPTION for anything else (naming conn). */
static int sf_format_of(const wd_options *o, const char *conn, bool as_source, sf_format *out,
                        wd_error *err)
{
    const char *f = wd_opt_get(o, "format");
    if (!f || !strcasecmp(f, "json")) {
        *out = SF_JSON;
    } else if (!strcasecmp(f, "raw_string")) {
        *out = SF_RAW;
    } else if (!strcasecmp(f, "debezium_json")) {
        *out = SF_DEBEZIUM;
    } else {
        wd_err(err, WD_EOPTION, "format '%s' is not supported by connector '%s' as a %s", f,
               conn, as_source ? "source" : "sink");
        wd_err_hint(err, "accepted formats: json, debezium_json, raw_string");
        return WD_EOPTION;
    }
    return 0;
}

static int sf_validate(const wd_options *o, bool as_source, wd_error *err)
{
    sf_format f;
    int rc = sf_format_of(o, "single_file", as_source, &f, err);
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

/*
 * Only subtask 0 reads the file (the other subtasks end at once and record
 * offset 0): resume at the offset old subtask 0 recorded, whatever the old
 * parallelism was.  A file now shorter than that offset is not the file
 * that was read.
 */
static int sf_restore(wd_source *src, wd_snap_in *r, wd_error *err)
{
    sf_source *s = (sf_source *)src;
    wd_snap_rec rec;
    int rc;
    wd_snap_in_open(r, "single_file");
    while ((rc = wd_snap_in_next(r, &rec, err)) == 1) {
        wd_rd d;
        wd_rd_init(&d, rec.data, rec.len);
        uint64_t off = wd_rd_u64(&d);
        uint64_t line = wd_rd_u64(&d);
        if (!wd_rd_done(&d) || line > off || (rec.from_subtask != 0 && (off || line)))
            return wd_snap_bad_record(r, err);
        if (rec.from_subtask != 0 || s->fd < 0) continue;
        struct stat st;
        if (fstat(s->fd, &st) < 0)
            return wd_err(err, WD_EIO, "%s: %s", s->path, strerror(errno));
        if ((uint64_t)st.st_size < off)
            return wd_err(err, WD_ECORRUPT,
                          "%s has %llu bytes: it cannot be the file whose first %llu bytes the "
                          "checkpoint had read",
                          s->path, (unsigned long long)st.st_size, (unsigned long long)off);
        if (lseek(s->fd, (off_t)off, SEEK_SET) < 0)
            return wd_err(err, WD_EIO, "%s: cannot resume at byte %llu: %s", s->path,
                          (unsigned long long)off, strerror(errno));
        s->beg = s->end = s->scanned = 0;
        s->eof = s->done = false;
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
    int rc = sf_format_of(o, "single_file", true, &fmt, err);
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

int wd_line_enc_check(const wd_options *o, const char *conn, wd_error *err)
{
    sf_format fmt;
    int rc = sf_format_of(o, conn, false, &fmt, err);
    if (rc) return rc;
    wd_json_opts jo;
    return wd_json_opts_from(o, &jo, err);
}

int wd_line_enc_init(const wd_sink_spec *spec, const char *conn, wd_line_enc *e, wd_error *err)
{
    sf_format fmt;
    int rc = sf_format_of(spec->opts, conn, false, &fmt, err);
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

/*
 * Two-phase writing (under checkpoints).  Rows since the last checkpoint
 * go to a hidden staging file ".NAME.inprogress" next to the file NAME; a
 * checkpoint renames it ".NAME.pending-EPOCH" and records, per pending
 * file, its epoch, name and size and the length NAME has once it is
 * appended.  commit(epoch) appends the pending files of epochs ≤ epoch in
 * order, syncs, deletes them.  Appending is idempotent by those lengths:
 * a file that already has the length an append gives it got that append
 * before a crash; one that is shorter is cut back to where the append
 * starts and written again.  Restore commits what the restored checkpoint
 * left pending and cuts the file back to that length, so rows written
 * after the checkpoint vanish (the replay writes them again).
 *
 * The files are per subtask (NAME, NAME-1, …).  When the parallelism
 * shrinks, new subtask j also takes over the files of old subtasks i ≥ p
 * with i ≡ j (mod p): it commits their pending output and cuts them back,
 * and keeps recording their lengths, so that a later run at a higher
 * parallelism continues them where they ended.
 */
#define SF_SNAP_TABLE "single_file_sink"
#define SF_SNAP_VERSION 2u
#define SF_PATH_MAX 4096
#define SF_NAME_MAX 1024

typedef struct sf_pend {
    uint64_t epoch;
    uint64_t size;        /* bytes of the pending file */
    uint64_t after;       /* the file's length once it is appended */
} sf_pend;

/* A file taken over from an old subtask: complete, never written again. */
typedef struct sf_done {
    uint32_t index;
    uint64_t len;
} sf_done;

typedef struct sf_sink {
    wd_sink base;
    char *opt_path;       /* the path option: the files are its per-subtask names */
    char *path;           /* this subtask's file */
    int fd;               /* the file; two-phase: the staging file, or -1 */
    wd_buf buf;
    wd_line_enc enc;
    uint64_t rows;
    uint32_t subtask;
    /* two-phase (under checkpoints) */
    bool two_phase, started;
    int tfd;              /* the file itself */
    uint64_t staged;      /* bytes in the staging file */
    uint64_t committed;   /* the file's length after the last commit */
    uint64_t planned;     /* … once every pending file is appended */
    sf_pend *pend;
    uint32_t npend, pcap;
    sf_done *done;
    uint32_t ndone, dcap;
} sf_sink;

void wd_single_file_sink_path(const char *path, uint32_t subtask, char *out, size_t n)
{
    if (subtask == 0)
        snprintf(out, n, "%s", path);
    else
        snprintf(out, n, "%s-%u", path, subtask);
}

/* Length of the directory part of path, with its slash (0: none). */
static size_t sf_dirlen(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? (size_t)(slash - path) + 1 : 0;
}

/* The hidden file "DIR/.NAME<what>" of file path, what being ".inprogress"
 * or ".pending-EPOCH"; with base_only, just ".NAME<what>". */
static void sf_hidden(const char *path, const char *what, uint64_t epoch, bool base_only,
                      char *out, size_t n)
{
    size_t dl = sf_dirlen(path);
    char ep[32] = "";
    if (epoch != UINT64_MAX) snprintf(ep, sizeof ep, "-%llu", (unsigned long long)epoch);
    snprintf(out, n, "%.*s.%s%s%s", base_only ? 0 : (int)dl, path, path + dl, what, ep);
}

/* "DIR/name": a file next to path. */
static void sf_sibling(const char *path, const char *name, char *out, size_t n)
{
    snprintf(out, n, "%.*s%s", (int)sf_dirlen(path), path, name);
}

static int sf_sync_dir(const char *path, wd_error *err)
{
    char dir[SF_PATH_MAX];
    size_t dl = sf_dirlen(path);
    snprintf(dir, sizeof dir, "%.*s", dl ? (int)dl : 1, dl ? path : ".");
    if (wd_fsync_dir(dir) < 0)
        return wd_err(err, WD_EIO, "cannot sync the directory of '%s': %s", path,
                      strerror(errno));
    return 0;
}

/* Delete the staging file and every pending file of file path. */
static void sf_sweep(const char *path)
{
    char p[SF_PATH_MAX], prefix[SF_PATH_MAX], dir[SF_PATH_MAX];
    sf_hidden(path, ".inprogress", UINT64_MAX, false, p, sizeof p);
    unlink(p);
    sf_hidden(path, ".pending-", UINT64_MAX, true, prefix, sizeof prefix);
    size_t dl = sf_dirlen(path), pl = strlen(prefix);
    snprintf(dir, sizeof dir, "%.*s", dl ? (int)dl : 1, dl ? path : ".");
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strncmp(e->d_name, prefix, pl) == 0) unlinkat(dirfd(d), e->d_name, 0);
    closedir(d);
}

/*
 * Make pending file pname (p) part of file target (open as fd) whose
 * length is *len: appended at p->after - p->size unless the file already
 * has p->after bytes; then the file is synced and pname deleted.
 */
static int sf_apply(const char *target, int fd, const char *pname, const sf_pend *p,
                    uint64_t *len, wd_error *err)
{
    if (*len < p->after) {
        uint64_t at = p->after - p->size;
        int in = open(pname, O_RDONLY | O_CLOEXEC);
        if (in < 0)
            return wd_err(err, WD_ECORRUPT, "the pending output '%s' of '%s' is missing: %s",
                          pname, target, strerror(errno));
        int rc = 0;
        if (ftruncate(fd, (off_t)at) < 0)
            rc = wd_err(err, WD_EIO, "cannot truncate '%s': %s", target, strerror(errno));
        char buf[65536];
        uint64_t done = 0;
        while (rc == 0 && done < p->size) {
            size_t want = p->size - done < sizeof buf ? (size_t)(p->size - done) : sizeof buf;
            ssize_t n = read(in, buf, want);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                rc = wd_err(err, WD_ECORRUPT,
                            "the pending output '%s' has fewer bytes than the checkpoint recorded",
                            pname);
                break;
            }
            for (ssize_t off = 0; rc == 0 && off < n;) {
                ssize_t w = pwrite(fd, buf + off, (size_t)(n - off), (off_t)(at + done + off));
                if (w < 0 && errno == EINTR) continue;
                if (w <= 0)
                    rc = wd_err(err, WD_EIO, "writing '%s': %s", target, strerror(errno));
                else
                    off += w;
            }
            done += (uint64_t)n;
        }
        close(in);
        if (rc < 0) return rc;
        *len = p->after;
    }
    if (fsync(fd) < 0) return wd_err(err, WD_EIO, "cannot sync '%s': %s", target, strerror(errno));
    if (unlink(pname) < 0 && errno != ENOENT)
        return wd_err(err, WD_EIO, "cannot delete '%s': %s", pname, strerror(errno));
    return 0;
}

static int sf_open_staging(sf_sink *s, wd_error *err)
{
    char p[SF_PATH_MAX];
    sf_hidden(s->path, ".inprogress", UINT64_MAX, false, p, sizeof p);
    if (s->fd >= 0) close(s->fd);
    s->fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    s->staged = 0;
    if (s->fd < 0) return wd_err(err, WD_EIO, "cannot create '%s': %s", p, strerror(errno));
    return 0;
}

/* Before the first rows or checkpoint of a subtask that restored nothing:
 * the file starts empty, as without checkpoints. */
static int sf_start(sf_sink *s, wd_error *err)
{
    if (s->started) return 0;
    s->started = true;
    if (ftruncate(s->tfd, 0) < 0)
        return wd_err(err, WD_EIO, "cannot truncate '%s': %s", s->path, strerror(errno));
    s->committed = s->planned = 0;
    sf_sweep(s->path);
    return sf_open_staging(s, err);
}

/* Write the buffered bytes to the file (two-phase: the staging file). */
static int sf_drain(sf_sink *s, wd_error *err)
{
    if (s->two_phase && s->buf.len) {
        int rc = sf_start(s, err);
        if (rc < 0) return rc;
    }
    s->staged += s->buf.len;
    if (wd_write_all(s->fd, s->buf.data, s->buf.len) < 0) {
        int e = errno;
        wd_buf_reset(&s->buf);
        return wd_err(err, WD_EIO, "writing %s: %s", s->path, strerror(e));
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

static int sf_sink_snapshot(wd_sink *sink, wd_snap_out *w, wd_error *err)
{
    sf_sink *s = (sf_sink *)sink;
    if (!s->two_phase) return sf_drain(s, err);
    int rc = sf_start(s, err);
    if (rc == 0) rc = sf_drain(s, err);
    if (rc < 0) return rc;
    if (s->staged) {
        if (s->npend == s->pcap) {
            uint32_t cap = s->pcap ? s->pcap * 2 : 4;
            sf_pend *p = wd_realloc(s->pend, cap * sizeof *p);
            if (!p) return wd_err(err, WD_ENOMEM, "out of memory");
            s->pend = p;
            s->pcap = cap;
        }
        char from[SF_PATH_MAX], to[SF_PATH_MAX];
        sf_hidden(s->path, ".inprogress", UINT64_MAX, false, from, sizeof from);
        sf_hidden(s->path, ".pending", w->epoch, false, to, sizeof to);
        if (fsync(s->fd) < 0 || rename(from, to) < 0)
            return wd_err(err, WD_EIO, "cannot stage output of '%s': %s", s->path,
                          strerror(errno));
        if ((rc = sf_sync_dir(s->path, err)) < 0) return rc;
        s->pend[s->npend++] = (sf_pend){w->epoch, s->staged, s->planned + s->staged};
        s->planned += s->staged;
        if ((rc = sf_open_staging(s, err)) < 0) return rc;
    }
    if ((rc = wd_snap_table_begin(w, SF_SNAP_TABLE, WD_SNAP_GLOBAL, err)) < 0) return rc;
    /* version, files; per file: index, committed length, pending files */
    wd_buf *b = wd_snap_rec_begin(w, 0);
    wd_snap_put_u32(b, SF_SNAP_VERSION);
    wd_snap_put_u32(b, 1 + s->ndone);
    wd_snap_put_u32(b, s->subtask);
    wd_snap_put_u64(b, s->committed);
    wd_snap_put_u32(b, s->npend);
    for (uint32_t i = 0; i < s->npend; i++) {
        char name[SF_NAME_MAX];
        sf_hidden(s->path, ".pending", s->pend[i].epoch, true, name, sizeof name);
        wd_snap_put_u64(b, s->pend[i].epoch);
        wd_snap_put_bytes(b, name, (uint32_t)strlen(name));
        wd_snap_put_u64(b, s->pend[i].size);
        wd_snap_put_u64(b, s->pend[i].after);
    }
    for (uint32_t i = 0; i < s->ndone; i++) {
        wd_snap_put_u32(b, s->done[i].index);
        wd_snap_put_u64(b, s->done[i].len);
        wd_snap_put_u32(b, 0);
    }
    wd_snap_rec_end(w);
    return 0;
}

static int sf_sink_commit(wd_sink *sink, uint64_t epoch, wd_error *err)
{
    sf_sink *s = (sf_sink *)sink;
    if (!s->two_phase || s->npend == 0 || s->pend[0].epoch > epoch) return 0;
    struct stat st;
    if (fstat(s->tfd, &st) < 0)
        return wd_err(err, WD_EIO, "cannot read '%s': %s", s->path, strerror(errno));
    uint64_t len = (uint64_t)st.st_size;
    uint32_t k = 0;
    int rc = 0;
    for (uint32_t i = 0; i < s->npend; i++) {
        if (rc == 0 && s->pend[i].epoch <= epoch) {
            char p[SF_PATH_MAX];
            sf_hidden(s->path, ".pending", s->pend[i].epoch, false, p, sizeof p);
            rc = sf_apply(s->path, s->tfd, p, &s->pend[i], &len, err);
            if (rc == 0) {
                s->committed = s->pend[i].after;
                continue;
            }
        }
        s->pend[k++] = s->pend[i];
    }
    s->npend = k;
    return rc;
}

/*
 * Restore file `index` as the checkpoint recorded it: committed bytes,
 * then the pending files p[0..n) (recorded names in names[]).  The file
 * ends up exactly as long as the checkpoint's output; *len gets that.
 */
static int sf_restore_file(sf_sink *s, uint32_t index, uint64_t committed, const sf_pend *p,
                           char (*names)[SF_NAME_MAX], uint32_t n, uint64_t *len, wd_error *err)
{
    char path[SF_PATH_MAX];
    wd_single_file_sink_path(s->opt_path, index, path, sizeof path);
    bool own = index == s->subtask;
    int fd = own ? s->tfd : open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return wd_err(err, WD_EIO, "cannot open '%s': %s", path, strerror(errno));
    int rc = 0;
    struct stat st;
    uint64_t have = 0, want = n ? p[n - 1].after : committed;
    if (fstat(fd, &st) < 0)
        rc = wd_err(err, WD_EIO, "cannot read '%s': %s", path, strerror(errno));
    else if ((have = (uint64_t)st.st_size) < committed)
        rc = wd_err(err, WD_ECORRUPT,
                    "'%s' has %llu bytes, fewer than the %llu the checkpoint had committed", path,
                    (unsigned long long)have, (unsigned long long)committed);
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        char pname[SF_PATH_MAX];
        sf_sibling(path, names[i], pname, sizeof pname);
        rc = sf_apply(path, fd, pname, &p[i], &have, err);
    }
    /* rows committed after the checkpoint: the replay writes them again */
    if (rc == 0 && have > want && ftruncate(fd, (off_t)want) < 0)
        rc = wd_err(err, WD_EIO, "cannot truncate '%s': %s", path, strerror(errno));
    if (rc == 0 && fsync(fd) < 0)
        rc = wd_err(err, WD_EIO, "cannot sync '%s': %s", path, strerror(errno));
    if (!own) close(fd);
    if (rc < 0) return rc;
    sf_sweep(path); /* staging and pending files written after the checkpoint */
    *len = want;
    return sf_sync_dir(path, err);
}

static int sf_sink_restore(wd_sink *sink, wd_snap_in *r, wd_error *err)
{
    sf_sink *s = (sf_sink *)sink;
    if (!s->two_phase) return 0;
    sf_pend *p = NULL;
    char (*names)[SF_NAME_MAX] = NULL;
    uint32_t cap = 0;
    bool own_seen = false;
    wd_snap_rec rec;
    int rc;
    wd_snap_in_open(r, SF_SNAP_TABLE);
    while ((rc = wd_snap_in_next(r, &rec, err)) == 1) {
        wd_rd d;
        wd_rd_init(&d, rec.data, rec.len);
        uint32_t ver = wd_rd_u32(&d), nfiles = wd_rd_u32(&d);
        if (d.bad || ver != SF_SNAP_VERSION || nfiles > rec.len / 16) d.bad = true;
        for (uint32_t f = 0; f < nfiles && !d.bad && rc >= 0; f++) {
            uint32_t index = wd_rd_u32(&d);
            uint64_t committed = wd_rd_u64(&d);
            uint32_t n = wd_rd_u32(&d);
            if (d.bad || n > rec.len / 28) {
                d.bad = true;
                break;
            }
            if (n > cap) {
                sf_pend *np = wd_realloc(p, n * sizeof *np);
                if (np) p = np;
                char(*nn)[SF_NAME_MAX] = np ? wd_realloc(names, n * sizeof *nn) : NULL;
                if (!nn) {
                    rc = wd_err(err, WD_ENOMEM, "out of memory");
                    break;
                }
                names = nn;
                cap = n;
            }
            uint64_t at = committed;
            for (uint32_t i = 0; i < n && !d.bad; i++) {
                p[i].epoch = wd_rd_u64(&d);
                uint32_t len;
                const char *name = wd_rd_bytes(&d, &len);
                p[i].size = wd_rd_u64(&d);
                p[i].after = wd_rd_u64(&d);
                /* a hidden name in the file's directory, lengths that add up */
                if (!name || len < 2 || len >= SF_NAME_MAX || name[0] != '.' ||
                    memchr(name, '/', len) || memchr(name, 0, len) ||
                    p[i].after < at || p[i].after - at != p[i].size) {
                    d.bad = true;
                    break;
                }
                memcpy(names[i], name, len);
                names[i][len] = 0;
                at = p[i].after;
            }
            if (d.bad || index % r->parallelism != s->subtask) continue;
            bool dup = index == s->subtask ? own_seen : false;
            for (uint32_t i = 0; i < s->ndone; i++) dup |= s->done[i].index == index;
            if (dup) {
                d.bad = true;
                break;
            }
            uint64_t len = 0;
            if ((rc = sf_restore_file(s, index, committed, p, names, n, &len, err)) < 0) break;
            if (index == s->subtask) {
                own_seen = s->started = true;
                s->committed = s->planned = len;
                s->npend = 0;
            } else {
                if (s->ndone == s->dcap) {
                    uint32_t dc = s->dcap ? s->dcap * 2 : 4;
                    sf_done *nd = wd_realloc(s->done, dc * sizeof *nd);
                    if (!nd) {
                        rc = wd_err(err, WD_ENOMEM, "out of memory");
                        break;
                    }
                    s->done = nd;
                    s->dcap = dc;
                }
                s->done[s->ndone++] = (sf_done){index, len};
            }
        }
        if (rc < 0) break;
        if (!wd_rd_done(&d)) {
            rc = wd_snap_bad_record(r, err);
            break;
        }
    }
    wd_free(p);
    wd_free(names);
    if (rc < 0 || !s->started) return rc;
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
    if (s->tfd >= 0) close(s->tfd);
    if (s->two_phase && s->started && s->staged == 0) {
        char p[SF_PATH_MAX];
        sf_hidden(s->path, ".inprogress", UINT64_MAX, false, p, sizeof p);
        unlink(p); /* nothing staged since the last checkpoint */
    }
    wd_buf_free(&s->buf);
    wd_free(s->pend);
    wd_free(s->done);
    wd_free(s->opt_path);
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
    int rc = wd_line_enc_init(spec, "single_file", &enc, err);
    if (rc) return rc;
    const char *path = wd_opt_get(o, "path");
    if (!path || !*path)
        return wd_err(err, WD_EOPTION, "connector 'single_file' needs a non-empty option 'path'");
    if (strlen(path) + 16 > SF_PATH_MAX - 32)
        return wd_err(err, WD_EOPTION, "option 'path': '%.40s…' is too long", path);

    sf_sink *s = wd_calloc(1, sizeof *s);
    if (!s) return wd_err(err, WD_ENOMEM, "out of memory");
    s->base.vt = &sf_sink_vt;
    s->fd = s->tfd = -1;
    s->enc = enc;
    size_t n = strlen(path) + 16;
    s->path = wd_malloc(n);
    s->opt_path = wd_strdup(path);
    if (!s->path || !s->opt_path) {
        sf_sink_close(&s->base);
        return wd_err(err, WD_ENOMEM, "out of memory");
    }
    wd_single_file_sink_path(path, spec->subtask, s->path, n);
    s->subtask = spec->subtask;
    s->two_phase = spec->two_phase;
    /* two-phase: the file is kept as it is until restore (or the first rows) */
    int fd = open(s->path, O_WRONLY | O_CREAT | (s->two_phase ? 0 : O_TRUNC) | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        wd_err(err, WD_EIO, "cannot create '%s': %s", s->path, strerror(e));
        sf_sink_close(&s->base);
        return WD_EIO;
    }
    if (s->two_phase)
        s->tfd = fd;
    else
        s->fd = fd;
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
