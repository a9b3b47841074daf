/*
 * filesystem.c — the `filesystem` sink: a directory of part files.
 *
 * Each subtask writes lines (wd_line_enc: JSON, Debezium JSON or raw) to
 * its current part, a hidden in-progress file ".<prefix>-<subtask>-<seq>
 * <suffix>.inprogress", and rolls it when it exceeds
 * rolling_policy.file_size bytes or is older than rolling_policy.interval.
 *
 * Without checkpoints a rolled part is renamed to its final name
 * "<prefix>-<subtask>-<seq><suffix>" at once (and the current one at the
 * end of input).  Under checkpoints (two-phase): a rolled part, and at a
 * checkpoint the current one, becomes *pending* (".<final>.pending",
 * still hidden) and is recorded in the snapshot with the epoch it belongs
 * to; commit(epoch) renames the pending parts of epochs ≤ epoch to their
 * final names; restore renames the pending parts the restored epoch
 * recorded (they were committed, or are about to be) and deletes every
 * other hidden file of the subtasks it takes over — output written after
 * the checkpoint, which the replay writes again.  Files are fsynced before
 * a rename and the directory after, so a reader globbing "*.json" sees
 * only whole, committed parts.
 *
 * Exports: wd_conn_filesystem.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/timeutil.h"
#include "connectors/connector.h"
#include "connectors/single_file.h"
#include "state/snapshot.h"

#define FS_TABLE "filesystem"
#define FS_SNAP_VERSION 1u
#define FS_NAME_MAX 512
#define FS_BUF_BYTES (1u << 20)

static const wd_opt_def fs_opts[] = {
    {"path", WD_OPT_STRING, NULL, true, NULL, "the directory to write part files into"},
    {"rolling_policy.file_size", WD_OPT_STRING, "128MiB", false, NULL,
     "start a new part file once one reaches this size (bytes, or with KiB/MiB/GiB)"},
    {"rolling_policy.interval", WD_OPT_DURATION, NULL, false, NULL,
     "start a new part file once one is this old (default: only by size)"},
    {"file_naming.prefix", WD_OPT_STRING, "part", false, NULL,
     "part files are named PREFIX-SUBTASK-SEQ SUFFIX"},
    {"file_naming.suffix", WD_OPT_STRING, ".json", false, NULL, "see file_naming.prefix"},
};

typedef struct fs_pending {
    uint64_t epoch;           /* UINT64_MAX: closed since the last checkpoint */
    char final[FS_NAME_MAX];  /* the file name it gets on commit */
} fs_pending;

typedef struct fs_sink {
    wd_sink base;
    char *dir, *prefix, *suffix;
    wd_line_enc enc;
    uint32_t subtask, parallelism;
    bool two_phase, restored;
    uint64_t roll_bytes;
    int64_t roll_ns;
    uint64_t seq;             /* number of the next part */
    int fd;                   /* the current part, or -1 */
    uint64_t part_bytes;
    int64_t part_opened;      /* monotonic ns */
    char part_final[FS_NAME_MAX];
    wd_buf buf;
    fs_pending *pend;
    uint32_t npend, pcap;
} fs_sink;

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * WD_NS_PER_SEC + ts.tv_nsec;
}

/* dir/name */
static void fs_path(const fs_sink *s, const char *name, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", s->dir, name);
}

static void fs_inprogress(const fs_sink *s, const char *final, char *out, size_t n)
{
    char name[FS_NAME_MAX + 16];
    snprintf(name, sizeof name, ".%s.inprogress", final);
    fs_path(s, name, out, n);
}

static void fs_pending_path(const fs_sink *s, const char *final, char *out, size_t n)
{
    char name[FS_NAME_MAX + 16];
    snprintf(name, sizeof name, ".%s.pending", final);
    fs_path(s, name, out, n);
}

static int fs_sync_dir(fs_sink *s, wd_error *err)
{
    int fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) < 0) {
        int e = errno;
        if (fd >= 0) close(fd);
        return wd_err(err, WD_EIO, "filesystem sink: cannot sync %s: %s", s->dir, strerror(e));
    }
    close(fd);
    return 0;
}

/* Write the buffered lines to the current part. */
static int fs_drain(fs_sink *s, wd_error *err)
{
    size_t off = 0;
    while (off < s->buf.len) {
        ssize_t w = write(s->fd, s->buf.data + off, s->buf.len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {
            int e = errno;
            wd_buf_reset(&s->buf);
            return wd_err(err, WD_EIO, "filesystem sink: writing %s: %s", s->part_final,
                          strerror(e));
        }
        off += (size_t)w;
    }
    s->part_bytes += s->buf.len;
    wd_buf_reset(&s->buf);
    return 0;
}

static int fs_sweep(fs_sink *s, uint32_t i, wd_error *err);

static int fs_open_part(fs_sink *s, wd_error *err)
{
    if (!s->restored) {
        /* a fresh start: hidden leftovers of an earlier run are not ours */
        s->restored = true;
        int rc = fs_sweep(s, s->subtask, err);
        if (rc < 0) return rc;
    }
    snprintf(s->part_final, sizeof s->part_final, "%s-%u-%llu%s", s->prefix, s->subtask,
             (unsigned long long)s->seq++, s->suffix);
    char p[FS_NAME_MAX * 2];
    fs_inprogress(s, s->part_final, p, sizeof p);
    s->fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (s->fd < 0)
        return wd_err(err, WD_EIO, "filesystem sink: cannot create %s: %s", p, strerror(errno));
    s->part_bytes = 0;
    s->part_opened = mono_ns();
    return 0;
}

/*
 * Close the current part: fsync, then rename it to its final name (no
 * checkpoints) or to its pending name, remembered until commit.
 */
static int fs_close_part(fs_sink *s, wd_error *err)
{
    if (s->fd < 0) return 0;
    int rc = fs_drain(s, err);
    if (rc == 0 && fsync(s->fd) < 0)
        rc = wd_err(err, WD_EIO, "filesystem sink: cannot sync %s: %s", s->part_final,
                    strerror(errno));
    close(s->fd);
    s->fd = -1;
    if (rc < 0) return rc;
    char from[FS_NAME_MAX * 2], to[FS_NAME_MAX * 2];
    fs_inprogress(s, s->part_final, from, sizeof from);
    if (s->two_phase) {
        if (s->npend == s->pcap) {
            uint32_t cap = s->pcap ? s->pcap * 2 : 8;
            fs_pending *p = wd_realloc(s->pend, cap * sizeof *p);
            if (!p) return wd_err(err, WD_ENOMEM, "out of memory");
            s->pend = p;
            s->pcap = cap;
        }
        fs_pending *p = &s->pend[s->npend++];
        p->epoch = UINT64_MAX;
        snprintf(p->final, sizeof p->final, "%s", s->part_final);
        fs_pending_path(s, s->part_final, to, sizeof to);
    } else {
        fs_path(s, s->part_final, to, sizeof to);
    }
    if (rename(from, to) < 0)
        return wd_err(err, WD_EIO, "filesystem sink: cannot rename %s: %s", from, strerror(errno));
    return fs_sync_dir(s, err);
}

static int fs_write(wd_sink *sink, const wd_batch *b, wd_error *err)
{
    fs_sink *s = (fs_sink *)sink;
    for (uint32_t r = 0; r < b->nrows; r++) {
        if (s->fd < 0) {
            int rc = fs_open_part(s, err);
            if (rc < 0) return rc;
        }
        wd_line_enc_row(&s->enc, b, r, &s->buf);
        bool roll = s->part_bytes + s->buf.len >= s->roll_bytes;
        if (roll || s->buf.len >= FS_BUF_BYTES) {
            int rc = roll ? fs_close_part(s, err) : fs_drain(s, err);
            if (rc < 0) return rc;
        }
    }
    if (s->fd >= 0 && s->roll_ns > 0 && mono_ns() - s->part_opened >= s->roll_ns)
        return fs_close_part(s, err);
    return 0;
}

/* End of input without checkpoints: the last part becomes visible. */
static int fs_flush(wd_sink *sink, wd_error *err)
{
    fs_sink *s = (fs_sink *)sink;
    return s->two_phase ? 0 : fs_close_part(s, err);
}

/* Does name belong to old subtask i: "[.]PREFIX-i-…"? */
static bool fs_owned_by(const fs_sink *s, const char *name, uint32_t i, uint64_t *seq)
{
    if (name[0] == '.') name++;
    size_t pl = strlen(s->prefix);
    if (strncmp(name, s->prefix, pl) != 0 || name[pl] != '-') return false;
    char *end;
    unsigned long sub = strtoul(name + pl + 1, &end, 10);
    if (end == name + pl + 1 || *end != '-' || sub != i) return false;
    unsigned long long q = strtoull(end + 1, &end, 10);
    if (seq) *seq = q;
    return true;
}

/*
 * Delete the hidden files (in-progress and pending parts) of old subtask
 * i, except the pending parts in keep; note the highest sequence number of
 * this subtask's own files so no name is used twice.
 */
static int fs_sweep(fs_sink *s, uint32_t i, wd_error *err)
{
    DIR *d = opendir(s->dir);
    if (!d) return wd_err(err, WD_EIO, "filesystem sink: cannot list %s: %s", s->dir, strerror(errno));
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) && rc == 0) {
        uint64_t q = 0;
        if (!fs_owned_by(s, e->d_name, i, &q)) continue;
        if (i == s->subtask && q + 1 > s->seq) s->seq = q + 1;
        if (e->d_name[0] != '.') continue;
        char p[FS_NAME_MAX * 2];
        fs_path(s, e->d_name, p, sizeof p);
        if (unlink(p) < 0 && errno != ENOENT)
            rc = wd_err(err, WD_EIO, "filesystem sink: cannot delete %s: %s", p, strerror(errno));
    }
    closedir(d);
    return rc;
}

/* Rename the pending part `final` to its final name (done already: fine). */
static int fs_publish(fs_sink *s, const char *final, wd_error *err)
{
    char from[FS_NAME_MAX * 2], to[FS_NAME_MAX * 2];
    fs_pending_path(s, final, from, sizeof from);
    fs_path(s, final, to, sizeof to);
    if (rename(from, to) == 0) return 0;
    if (errno == ENOENT && access(to, F_OK) == 0) return 0;
    return wd_err(err, WD_EIO, "filesystem sink: cannot publish %s: %s", final, strerror(errno));
}

static int fs_snapshot(wd_sink *sink, wd_snap_out *w, wd_error *err)
{
    fs_sink *s = (fs_sink *)sink;
    int rc = fs_close_part(s, err);
    if (rc == 0) rc = wd_snap_table_begin(w, FS_TABLE, WD_SNAP_GLOBAL, err);
    if (rc < 0) return rc;
    wd_buf *b = wd_snap_rec_begin(w, 0);
    wd_snap_put_u32(b, FS_SNAP_VERSION);
    wd_snap_put_u32(b, s->npend);
    for (uint32_t i = 0; i < s->npend; i++) {
        if (s->pend[i].epoch == UINT64_MAX) s->pend[i].epoch = w->epoch;
        wd_snap_put_u64(b, s->pend[i].epoch);
        wd_snap_put_bytes(b, s->pend[i].final, (uint32_t)strlen(s->pend[i].final));
    }
    wd_snap_rec_end(w);
    return 0;
}

static int fs_commit(wd_sink *sink, uint64_t epoch, wd_error *err)
{
    fs_sink *s = (fs_sink *)sink;
    uint32_t k = 0;
    int rc = 0;
    for (uint32_t i = 0; i < s->npend; i++) {
        if (rc == 0 && s->pend[i].epoch <= epoch) {
            rc = fs_publish(s, s->pend[i].final, err);
            if (rc == 0) continue;
        }
        s->pend[k++] = s->pend[i];
    }
    s->npend = k;
    return rc < 0 ? rc : fs_sync_dir(s, err);
}

/*
 * Take over old subtask i when this subtask is i mod the new parallelism:
 * its recorded pending parts are published, everything else it left
 * hidden is deleted.
 */
static int fs_restore(wd_sink *sink, wd_snap_in *r, wd_error *err)
{
    fs_sink *s = (fs_sink *)sink;
    s->restored = true;
    wd_snap_rec rec;
    int rc;
    wd_snap_in_open(r, FS_TABLE);
    while ((rc = wd_snap_in_next(r, &rec, err)) == 1) {
        if (rec.from_subtask % r->parallelism != s->subtask) continue;
        wd_rd d;
        wd_rd_init(&d, rec.data, rec.len);
        uint32_t ver = wd_rd_u32(&d), n = wd_rd_u32(&d);
        if (d.bad || ver != FS_SNAP_VERSION) return wd_snap_bad_record(r, err);
        for (uint32_t i = 0; i < n && rc >= 0; i++) {
            (void)wd_rd_u64(&d);
            uint32_t len;
            const char *name = wd_rd_bytes(&d, &len);
            char final[FS_NAME_MAX];
            if (!name || len == 0 || len >= sizeof final || memchr(name, '/', len) ||
                name[0] == '.')
                return wd_snap_bad_record(r, err);
            memcpy(final, name, len);
            final[len] = 0;
            rc = fs_publish(s, final, err);
        }
        if (rc < 0) return rc;
        if (!wd_rd_done(&d)) return wd_snap_bad_record(r, err);
    }
    if (rc < 0) return rc;
    /* hidden leftovers of every old subtask this one takes over */
    for (uint32_t i = s->subtask; i < (r->old_parallelism > s->subtask ? r->old_parallelism : 0);
         i += r->parallelism)
        if ((rc = fs_sweep(s, i, err)) < 0) return rc;
    if ((rc = fs_sweep(s, s->subtask, err)) < 0) return rc;
    return fs_sync_dir(s, err);
}

static void fs_close(wd_sink *sink)
{
    fs_sink *s = (fs_sink *)sink;
    if (!s) return;
    if (s->fd >= 0) close(s->fd); /* an unfinished part stays hidden */
    wd_buf_free(&s->buf);
    wd_free(s->pend);
    wd_free(s->dir);
    wd_free(s->prefix);
    wd_free(s->suffix);
    wd_free(s);
}

static const wd_sink_vt fs_vt = {.write = fs_write,
                                 .flush = fs_flush,
                                 .snapshot = fs_snapshot,
                                 .commit = fs_commit,
                                 .restore = fs_restore,
                                 .close = fs_close};

/* "128MiB", "64 KB", "1000" → bytes; -1 when not a size. */
static int64_t fs_parse_size(const char *t)
{
    char *end;
    double v = strtod(t, &end);
    if (end == t || !(v > 0)) return -1;
    while (*end == ' ') end++;
    double m = 1;
    if (*end) {
        char u = (char)(*end | 0x20);
        m = u == 'k' ? 1024.0 : u == 'm' ? 1048576.0 : u == 'g' ? 1073741824.0 : 0;
        if (m == 0) return -1;
        const char *rest = end + 1;
        if (!strcasecmp(rest, "") || !strcasecmp(rest, "b") || !strcasecmp(rest, "ib")) {
        } else {
            return -1;
        }
    }
    double bytes = v * m;
    return bytes >= 1 && bytes < 9e18 ? (int64_t)bytes : -1;
}

static bool fs_name_ok(const char *n) { return !strchr(n, '/') && strlen(n) < 100; }

static int fs_validate(const wd_options *o, bool as_source, wd_error *err)
{
    if (as_source) return wd_err(err, WD_EOPTION, "connector 'filesystem' is a sink only");
    const char *sz = wd_opt_get(o, "rolling_policy.file_size");
    if (sz && fs_parse_size(sz) < 0) {
        wd_err(err, WD_EOPTION, "option 'rolling_policy.file_size': '%s' is not a size", sz);
        wd_err_hint(err, "a number of bytes, or with KiB, MiB or GiB: '128MiB'");
        return WD_EOPTION;
    }
    const char *pre = wd_opt_get(o, "file_naming.prefix"), *suf = wd_opt_get(o, "file_naming.suffix");
    if ((pre && (!*pre || !fs_name_ok(pre) || pre[0] == '.')) || (suf && !fs_name_ok(suf)))
        return wd_err(err, WD_EOPTION,
                      "options 'file_naming.prefix' / 'file_naming.suffix' must be plain file "
                      "name parts (no '/', prefix not empty and not starting with '.')");
    return 0;
}

static int fs_open(const wd_sink_spec *spec, wd_sink **out, wd_error *err)
{
    *out = NULL;
    const wd_options *o = spec->opts;
    int rc = fs_validate(o, false, err);
    if (rc < 0) return rc;
    const char *dir = wd_opt_get(o, "path");
    if (!dir || !*dir)
        return wd_err(err, WD_EOPTION, "connector 'filesystem' needs a non-empty option 'path'");
    fs_sink *s = wd_calloc(1, sizeof *s);
    if (!s) return wd_err(err, WD_ENOMEM, "out of memory");
    s->base.vt = &fs_vt;
    s->fd = -1;
    s->subtask = spec->subtask;
    s->parallelism = spec->parallelism ? spec->parallelism : 1;
    s->two_phase = spec->two_phase;
    if ((rc = wd_line_enc_init(spec, &s->enc, err)) < 0) goto fail;
    const char *pre = wd_opt_get(o, "file_naming.prefix"), *suf = wd_opt_get(o, "file_naming.suffix");
    s->dir = wd_strdup(dir);
    s->prefix = wd_strdup(pre ? pre : "part");
    s->suffix = wd_strdup(suf ? suf : ".json");
    const char *sz = wd_opt_get(o, "rolling_policy.file_size");
    s->roll_bytes = (uint64_t)fs_parse_size(sz ? sz : "128MiB");
    if ((rc = wd_opt_duration_ns(o, "rolling_policy.interval", &s->roll_ns, err)) < 0) goto fail;
    if (!s->dir || !s->prefix || !s->suffix) {
        rc = wd_err(err, WD_ENOMEM, "out of memory");
        goto fail;
    }
    /* the directory, with its parents */
    for (char *p = s->dir + 1;; p++) {
        if (*p && *p != '/') continue;
        char c = *p;
        *p = 0;
        if (mkdir(s->dir, 0755) < 0 && errno != EEXIST) {
            rc = wd_err(err, WD_EIO, "filesystem sink: cannot create %s: %s", s->dir,
                        strerror(errno));
            *p = c;
            goto fail;
        }
        *p = c;
        if (!c) break;
    }
    if (!s->two_phase) {
        /* without checkpoints: continue after the parts already there */
        s->restored = true;
        if ((rc = fs_sweep(s, s->subtask, err)) < 0) goto fail;
    }
    wd_buf_reserve(&s->buf, FS_BUF_BYTES + 4096);
    *out = &s->base;
    return 0;
fail:
    fs_close(&s->base);
    return rc;
}

const wd_connector wd_conn_filesystem = {
    .name = "filesystem",
    .doc = "a directory of part files (JSON lines), rolled by size or age; exactly-once under "
           "checkpoints (a part becomes visible when its checkpoint completes)",
    .opts = fs_opts,
    .nopts = sizeof fs_opts / sizeof fs_opts[0],
    .source = false,
    .sink = true,
    .validate = fs_validate,
    .open_sink = fs_open,
};
