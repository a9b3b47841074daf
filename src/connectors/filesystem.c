/*
 * filesystem.c — the `filesystem` sink: a directory of part files.
 *
 * Each subtask writes lines (wd_line_enc, shared with single_file: JSON,
 * Debezium JSON or raw) to its current part, a hidden in-progress file
 * ".<final>.inprogress", and rolls it when it reaches
 * rolling_policy.file_size bytes or, when rows arrive, is older than
 * rolling_policy.interval.  A part's final name is
 * "<prefix>-<subtask>-<seq><suffix>" (file_naming.prefix / .suffix,
 * default "part" and ".json"); sequence numbers continue after the highest
 * one already in the directory, so no name is ever used twice.
 *
 * Without checkpoints a rolled part is renamed to its final name at once
 * (and the current one at the end of input, by flush).
 *
 * Under checkpoints (spec->two_phase): a rolled part, and at a checkpoint
 * the current one, becomes *pending* (".<final>.pending", still hidden)
 * and the snapshot records it — epoch, pending name, size, final name —
 * with the number of the next part.  commit(epoch) renames the pending
 * parts of epochs ≤ epoch to their final names (a part renamed already is
 * fine).  restore takes over the records of its own old subtask index and,
 * when the parallelism shrank, of the old indexes i ≥ p with i ≡ subtask
 * (mod p), so that each old subtask's pending parts are committed by
 * exactly one new subtask; for each it publishes the recorded pending
 * parts, then deletes the hidden files that index left (in-progress parts,
 * pending parts of later epochs) and hides the visible parts numbered from
 * the recorded next part on as ".<final>.discarded" (parts published after
 * the checkpoint, which only happens when restore fell back to an older
 * checkpoint: the replay writes their rows again; they are kept, hidden,
 * so that a published name is never used again).  Part numbers continue
 * after every one in the directory; a name that was only ever hidden may
 * be used again after a crash during restore.  Files are fsynced before a
 * rename and the directory after, so a reader globbing "*.json" sees only
 * whole, committed parts.
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
#include "common/fileio.h"
#include "common/timeutil.h"
#include "connectors/connector.h"
#include "connectors/single_file.h"
#include "state/snapshot.h"

#define FS_TABLE "filesystem"
#define FS_SNAP_V1 1u /* version, parts: (epoch, final name) */
#define FS_SNAP_VERSION 2u
#define FS_NAME_MAX 256            /* a part's file name */
#define FS_PATH_MAX 4096
#define FS_BUF_BYTES (1u << 20)
#define FS_INPROGRESS ".inprogress"
#define FS_PENDING ".pending"
#define FS_DISCARDED ".discarded"

static const wd_opt_def fs_opts[] = {
    {"path", WD_OPT_STRING, NULL, true, NULL,
     "the directory to write part files into (created if missing)"},
    {"rolling_policy.file_size", WD_OPT_STRING, "128MiB", false, NULL,
     "start a new part file once one reaches this size: bytes, or with a unit "
     "('64KB', '128MB', '1GiB'; K, M, G count 1024s)"},
    {"rolling_policy.interval", WD_OPT_DURATION, NULL, false, NULL,
     "start a new part file once one is this old, checked as rows arrive (default: only by "
     "size)"},
    {"file_naming.prefix", WD_OPT_STRING, "part", false, NULL,
     "part files are named PREFIX-SUBTASK-SEQ SUFFIX"},
    {"file_naming.suffix", WD_OPT_STRING, ".json", false, NULL, "see file_naming.prefix"},
};

typedef struct fs_pending {
    uint64_t epoch;           /* UINT64_MAX: closed since the last checkpoint */
    uint64_t size;
    char final[FS_NAME_MAX];  /* the file name it gets on commit */
} fs_pending;

typedef struct fs_sink {
    wd_sink base;
    char *dir, *prefix, *suffix;
    wd_line_enc enc;
    uint32_t subtask;
    bool two_phase;
    bool swept;               /* hidden leftovers of this subtask handled */
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

/* dir/name */
static void fs_path(const fs_sink *s, const char *name, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", s->dir, name);
}

/* dir/.final<what> */
static void fs_hidden(const fs_sink *s, const char *final, const char *what, char *out, size_t n)
{
    snprintf(out, n, "%s/.%s%s", s->dir, final, what);
}

static int fs_sync_dir(fs_sink *s, wd_error *err)
{
    if (wd_fsync_dir(s->dir) < 0)
        return wd_err(err, WD_EIO, "filesystem sink: cannot sync %s: %s", s->dir, strerror(errno));
    return 0;
}

typedef enum fs_kind { FS_VISIBLE, FS_HIDDEN, FS_KEPT } fs_kind;

/* A decimal number at *p (before end) into *v, *p moved past it; false
 * when there is none or it does not fit 64 bits. */
static bool fs_digits(const char **p, const char *end, uint64_t *v)
{
    const char *d = *p;
    uint64_t x = 0;
    while (d < end && *d >= '0' && *d <= '9') {
        if (x > (UINT64_MAX - 9) / 10) return false;
        x = x * 10 + (uint64_t)(*d++ - '0');
    }
    if (d == *p) return false;
    *p = d;
    *v = x;
    return true;
}

/*
 * Is name a file of old subtask i — "PREFIX-i-SEQ SUFFIX", or hidden
 * ".PREFIX-i-SEQ SUFFIX.inprogress" / ".pending" (FS_HIDDEN) or
 * ".discarded" (FS_KEPT)?  *seq gets SEQ and *kind the kind.
 */
static bool fs_parse(const fs_sink *s, const char *name, uint32_t i, uint64_t *seq, fs_kind *kind)
{
    size_t n = strlen(name);
    *kind = FS_VISIBLE;
    if (name[0] == '.') {
        static const char *const tails[3] = {FS_INPROGRESS, FS_PENDING, FS_DISCARDED};
        size_t t = 0, tl = 0;
        while (t < 3 && !(n > (tl = strlen(tails[t])) && !strcmp(name + n - tl, tails[t]))) t++;
        if (t == 3) return false;
        *kind = t == 2 ? FS_KEPT : FS_HIDDEN;
        n -= tl;
        name++, n--;
    }
    size_t pl = strlen(s->prefix), sl = strlen(s->suffix);
    if (n < pl + 4 + sl || strncmp(name, s->prefix, pl) != 0 || name[pl] != '-') return false;
    const char *p = name + pl + 1, *end = name + n - sl;
    if (strncmp(end, s->suffix, sl) != 0) return false;
    uint64_t sub, q;
    if (!fs_digits(&p, end, &sub) || p == end || *p != '-' || sub != i) return false;
    p++;
    if (!fs_digits(&p, end, &q) || p != end) return false;
    *seq = q;
    return true;
}

/*
 * Go over the files of old subtask i: delete its hidden in-progress and
 * pending parts when del_hidden; hide its visible parts numbered ≥ from
 * as ".NAME.discarded" (kept, never deleted, so that no published name is
 * ever used again); raise s->seq past every number this subtask's own
 * files use.
 */
static int fs_scan(fs_sink *s, uint32_t i, bool del_hidden, uint64_t from, wd_error *err)
{
    DIR *d = opendir(s->dir);
    if (!d)
        return wd_err(err, WD_EIO, "filesystem sink: cannot list %s: %s", s->dir, strerror(errno));
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) && rc == 0) {
        uint64_t q;
        fs_kind kind;
        if (!fs_parse(s, e->d_name, i, &q, &kind)) continue;
        if (i == s->subtask && q >= s->seq) s->seq = q + 1;
        if (kind == FS_HIDDEN && del_hidden) {
            if (unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT)
                rc = wd_err(err, WD_EIO, "filesystem sink: cannot delete %s/%s: %s", s->dir,
                            e->d_name, strerror(errno));
        } else if (kind == FS_VISIBLE && q >= from) {
            char to[FS_NAME_MAX + 16];
            snprintf(to, sizeof to, ".%s%s", e->d_name, FS_DISCARDED);
            if (renameat(dirfd(d), e->d_name, dirfd(d), to) < 0 && errno != ENOENT)
                rc = wd_err(err, WD_EIO, "filesystem sink: cannot hide %s/%s: %s", s->dir,
                            e->d_name, strerror(errno));
        }
    }
    closedir(d);
    return rc;
}

/* Write the buffered lines to the current part. */
static int fs_drain(fs_sink *s, wd_error *err)
{
    if (wd_write_all(s->fd, s->buf.data, s->buf.len) < 0) {
        int e = errno;
        wd_buf_reset(&s->buf);
        return wd_err(err, WD_EIO, "filesystem sink: writing %s: %s", s->part_final, strerror(e));
    }
    s->part_bytes += s->buf.len;
    wd_buf_reset(&s->buf);
    return 0;
}

/* A fresh start (nothing restored): hidden leftovers of an earlier run of
 * this subtask are not ours to keep. */
static int fs_sweep_once(fs_sink *s, wd_error *err)
{
    if (s->swept) return 0;
    s->swept = true;
    return fs_scan(s, s->subtask, true, UINT64_MAX, err);
}

static int fs_open_part(fs_sink *s, wd_error *err)
{
    int rc = fs_sweep_once(s, err);
    if (rc < 0) return rc;
    snprintf(s->part_final, sizeof s->part_final, "%s-%u-%llu%s", s->prefix, s->subtask,
             (unsigned long long)s->seq++, s->suffix);
    char p[FS_PATH_MAX];
    fs_hidden(s, s->part_final, FS_INPROGRESS, p, sizeof p);
    s->fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (s->fd < 0)
        return wd_err(err, WD_EIO, "filesystem sink: cannot create %s: %s", p, strerror(errno));
    s->part_bytes = 0;
    s->part_opened = wd_mono_ns();
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
    if (s->two_phase && s->npend == s->pcap) {
        uint32_t cap = s->pcap ? s->pcap * 2 : 8;
        fs_pending *p = wd_realloc(s->pend, cap * sizeof *p);
        if (!p) return wd_err(err, WD_ENOMEM, "out of memory");
        s->pend = p;
        s->pcap = cap;
    }
    char from[FS_PATH_MAX], to[FS_PATH_MAX];
    fs_hidden(s, s->part_final, FS_INPROGRESS, from, sizeof from);
    if (s->two_phase)
        fs_hidden(s, s->part_final, FS_PENDING, to, sizeof to);
    else
        fs_path(s, s->part_final, to, sizeof to);
    if (rename(from, to) < 0)
        return wd_err(err, WD_EIO, "filesystem sink: cannot rename %s: %s", from, strerror(errno));
    if (s->two_phase) {
        fs_pending *p = &s->pend[s->npend++];
        p->epoch = UINT64_MAX;
        p->size = s->part_bytes;
        snprintf(p->final, sizeof p->final, "%s", s->part_final);
    }
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
    if (s->fd >= 0 && s->roll_ns > 0 && wd_mono_ns() - s->part_opened >= s->roll_ns)
        return fs_close_part(s, err);
    return 0;
}

/* End of input without checkpoints: the last part becomes visible. */
static int fs_flush(wd_sink *sink, wd_error *err)
{
    fs_sink *s = (fs_sink *)sink;
    return s->two_phase ? 0 : fs_close_part(s, err);
}

/*
 * Rename pending part `pending` (hidden name, size bytes) to `final`.  A
 * part published already (no pending file, the final one there) is fine;
 * a size other than the recorded one is not the part the checkpoint saw.
 */
static int fs_publish(fs_sink *s, const char *pending, const char *final, uint64_t size,
                      bool check_size, wd_error *err)
{
    char from[FS_PATH_MAX], to[FS_PATH_MAX];
    fs_path(s, pending, from, sizeof from);
    fs_path(s, final, to, sizeof to);
    struct stat st;
    bool done = lstat(from, &st) < 0;
    if (done && (errno != ENOENT || lstat(to, &st) < 0))
        return wd_err(err, WD_ECORRUPT, "filesystem sink: the pending part %s is missing: %s", from,
                      strerror(errno));
    if (check_size && (uint64_t)st.st_size != size)
        return wd_err(err, WD_ECORRUPT,
                      "filesystem sink: %s has %llu bytes, the checkpoint recorded %llu",
                      done ? to : from, (unsigned long long)st.st_size, (unsigned long long)size);
    if (!done && rename(from, to) < 0)
        return wd_err(err, WD_EIO, "filesystem sink: cannot publish %s: %s", final,
                      strerror(errno));
    return 0;
}

/* Record: version, next part number, pending parts (epoch, pending name,
 * size, final name) each. */
static int fs_snapshot(wd_sink *sink, wd_snap_out *w, wd_error *err)
{
    fs_sink *s = (fs_sink *)sink;
    int rc = fs_close_part(s, err);
    if (rc == 0) rc = wd_snap_table_begin(w, FS_TABLE, WD_SNAP_GLOBAL, err);
    if (rc < 0) return rc;
    wd_buf *b = wd_snap_rec_begin(w, 0);
    wd_snap_put_u32(b, FS_SNAP_VERSION);
    wd_snap_put_u64(b, s->seq);
    wd_snap_put_u32(b, s->npend);
    for (uint32_t i = 0; i < s->npend; i++) {
        fs_pending *p = &s->pend[i];
        if (p->epoch == UINT64_MAX) p->epoch = w->epoch;
        char name[FS_NAME_MAX + 16];
        snprintf(name, sizeof name, ".%s%s", p->final, FS_PENDING);
        wd_snap_put_u64(b, p->epoch);
        wd_snap_put_bytes(b, name, (uint32_t)strlen(name));
        wd_snap_put_u64(b, p->size);
        wd_snap_put_bytes(b, p->final, (uint32_t)strlen(p->final));
    }
    wd_snap_rec_end(w);
    return 0;
}

static int fs_commit(wd_sink *sink, uint64_t epoch, wd_error *err)
{
    fs_sink *s = (fs_sink *)sink;
    uint32_t k = 0, published = 0;
    int rc = 0;
    for (uint32_t i = 0; i < s->npend; i++) {
        if (rc == 0 && s->pend[i].epoch <= epoch) {
            char pending[FS_NAME_MAX + 16];
            snprintf(pending, sizeof pending, ".%s%s", s->pend[i].final, FS_PENDING);
            rc = fs_publish(s, pending, s->pend[i].final, s->pend[i].size, true, err);
            if (rc == 0) {
                published++;
                continue;
            }
        }
        s->pend[k++] = s->pend[i];
    }
    s->npend = k;
    if (rc < 0 || published == 0) return rc;
    return fs_sync_dir(s, err);
}

/* A file name recorded in a snapshot: a plain name, hidden or not. */
static bool fs_name_ok(const char *n, uint32_t len, bool hidden)
{
    return n && len > 1 && len < FS_NAME_MAX && (n[0] == '.') == hidden &&
           !memchr(n, '/', len) && !memchr(n, 0, len);
}

/*
 * Take over old subtask i from its record: publish its pending parts,
 * delete what it wrote after the checkpoint.
 */
static int fs_take_over(fs_sink *s, wd_snap_in *r, uint32_t i, const wd_snap_rec *rec,
                        wd_error *err)
{
    wd_rd d;
    wd_rd_init(&d, rec->data, rec->len);
    uint32_t ver = wd_rd_u32(&d);
    uint64_t next = ver == FS_SNAP_VERSION ? wd_rd_u64(&d) : UINT64_MAX;
    uint32_t n = wd_rd_u32(&d);
    if (d.bad || (ver != FS_SNAP_VERSION && ver != FS_SNAP_V1) || n > rec->len / 12)
        return wd_snap_bad_record(r, err);
    for (uint32_t k = 0; k < n; k++) {
        (void)wd_rd_u64(&d); /* the epoch: ≤ the restored one, complete */
        char pending[FS_NAME_MAX + 16], final[FS_NAME_MAX];
        uint32_t plen = 0, flen;
        const char *pn = NULL;
        uint64_t size = 0;
        if (ver == FS_SNAP_VERSION) {
            pn = wd_rd_bytes(&d, &plen);
            size = wd_rd_u64(&d);
        }
        const char *fn = wd_rd_bytes(&d, &flen);
        uint64_t q;
        fs_kind kind;
        if (!fs_name_ok(fn, flen, false) || (ver == FS_SNAP_VERSION && !fs_name_ok(pn, plen, true)))
            return wd_snap_bad_record(r, err);
        memcpy(final, fn, flen);
        final[flen] = 0;
        if (!fs_parse(s, final, i, &q, &kind) || q >= next) return wd_snap_bad_record(r, err);
        /* the pending name is the one this sink gives that part */
        snprintf(pending, sizeof pending, ".%s%s", final, FS_PENDING);
        if (pn && (strlen(pending) != plen || memcmp(pending, pn, plen) != 0))
            return wd_snap_bad_record(r, err);
        int rc = fs_publish(s, pending, final, size, ver == FS_SNAP_VERSION, err);
        if (rc < 0) return rc;
    }
    if (!wd_rd_done(&d)) return wd_snap_bad_record(r, err);
    return fs_scan(s, i, true, next, err);
}

/*
 * Restore: this subtask (j of p) takes over every old subtask i with
 * i mod p = j — its own old index, and when the parallelism shrank the
 * indexes no new subtask has.  Its own index without a record (the
 * parallelism grew) only loses its hidden leftovers.
 */
static int fs_restore(wd_sink *sink, wd_snap_in *r, wd_error *err)
{
    fs_sink *s = (fs_sink *)sink;
    if (!s->two_phase) return 0;
    s->swept = true;
    bool own = false;
    wd_snap_rec rec;
    int rc;
    wd_snap_in_open(r, FS_TABLE);
    while ((rc = wd_snap_in_next(r, &rec, err)) == 1) {
        if (rec.from_subtask % r->parallelism != s->subtask) continue;
        own |= rec.from_subtask == s->subtask;
        if ((rc = fs_take_over(s, r, rec.from_subtask, &rec, err)) < 0) return rc;
    }
    if (rc < 0) return rc;
    if (!own && (rc = fs_scan(s, s->subtask, true, UINT64_MAX, err)) < 0) return rc;
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

/* "128MiB", "64 KB", "1000" → bytes (K, M, G: 1024s); -1 when not a size. */
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
        if (strcasecmp(rest, "") && strcasecmp(rest, "b") && strcasecmp(rest, "ib")) return -1;
    }
    double bytes = v * m;
    return bytes >= 1 && bytes < 9e18 ? (int64_t)bytes : -1;
}

/* A part of a file name: no '/', short. */
static bool fs_part_ok(const char *n) { return !strchr(n, '/') && strlen(n) < 100; }

static int fs_validate(const wd_options *o, bool as_source, wd_error *err)
{
    if (as_source) return wd_err(err, WD_EOPTION, "connector 'filesystem' is a sink only");
    int rc = wd_line_enc_check(o, "filesystem", err);
    if (rc < 0) return rc;
    const char *dir = wd_opt_get(o, "path");
    if (!dir || !*dir)
        return wd_err(err, WD_EOPTION, "connector 'filesystem' needs a non-empty option 'path'");
    if (strlen(dir) > FS_PATH_MAX - 2 * FS_NAME_MAX)
        return wd_err(err, WD_EOPTION, "option 'path': '%.40s…' is too long", dir);
    const char *sz = wd_opt_get(o, "rolling_policy.file_size");
    if (sz && fs_parse_size(sz) < 0) {
        wd_err(err, WD_EOPTION, "option 'rolling_policy.file_size': '%s' is not a size", sz);
        wd_err_hint(err, "a number of bytes, or with a unit: '64KB', '128MB', '1GiB'");
        return WD_EOPTION;
    }
    const char *pre = wd_opt_get(o, "file_naming.prefix"), *suf = wd_opt_get(o, "file_naming.suffix");
    if ((pre && (!*pre || !fs_part_ok(pre) || pre[0] == '.')) ||
        (suf && (!fs_part_ok(suf) || (*suf >= '0' && *suf <= '9'))))
        return wd_err(err, WD_EOPTION,
                      "options 'file_naming.prefix' / 'file_naming.suffix' must be plain file "
                      "name parts (no '/'; the prefix not empty and not starting with '.', the "
                      "suffix not starting with a digit)");
    return 0;
}

/* mkdir -p dir (dir is modified in place and restored). */
static int fs_mkdirs(char *dir, wd_error *err)
{
    for (char *p = dir + 1;; p++) {
        if (*p && *p != '/') continue;
        char c = *p;
        *p = 0;
        int bad = mkdir(dir, 0755) < 0 && errno != EEXIST;
        int e = errno;
        struct stat st;
        if (!bad && !c && (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))) bad = 1, e = ENOTDIR;
        if (bad) {
            wd_err(err, WD_EIO, "filesystem sink: cannot create %s: %s", dir, strerror(e));
            *p = c;
            return WD_EIO;
        }
        *p = c;
        if (!c) return 0;
    }
}

static int fs_open(const wd_sink_spec *spec, wd_sink **out, wd_error *err)
{
    *out = NULL;
    const wd_options *o = spec->opts;
    int rc = fs_validate(o, false, err);
    if (rc < 0) return rc;
    fs_sink *s = wd_calloc(1, sizeof *s);
    if (!s) return wd_err(err, WD_ENOMEM, "out of memory");
    s->base.vt = &fs_vt;
    s->fd = -1;
    s->subtask = spec->subtask;
    s->two_phase = spec->two_phase;
    if ((rc = wd_line_enc_init(spec, "filesystem", &s->enc, err)) < 0) goto fail;
    const char *pre = wd_opt_get(o, "file_naming.prefix"), *suf = wd_opt_get(o, "file_naming.suffix");
    const char *sz = wd_opt_get(o, "rolling_policy.file_size");
    s->dir = wd_strdup(wd_opt_get(o, "path"));
    s->prefix = wd_strdup(pre ? pre : "part");
    s->suffix = wd_strdup(suf ? suf : ".json");
    s->roll_bytes = (uint64_t)fs_parse_size(sz ? sz : "128MiB");
    if ((rc = wd_opt_duration_ns(o, "rolling_policy.interval", &s->roll_ns, err)) < 0) goto fail;
    if (!s->dir || !s->prefix || !s->suffix) {
        rc = wd_err(err, WD_ENOMEM, "out of memory");
        goto fail;
    }
    size_t dl = strlen(s->dir);
    while (dl > 1 && s->dir[dl - 1] == '/') s->dir[--dl] = 0;
    if ((rc = fs_mkdirs(s->dir, err)) < 0) goto fail;
    /* part numbers continue after those in the directory; without
     * checkpoints hidden leftovers go now, with them only once it is known
     * that nothing is restored (restore may still publish them) */
    if ((rc = fs_scan(s, s->subtask, !s->two_phase, UINT64_MAX, err)) < 0) goto fail;
    s->swept = !s->two_phase;
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
