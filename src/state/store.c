/*
 * store.c — checkpoint stores (store.h): URL and key checks, the local
 * directory store, the put failure injector, and dispatch to the S3
 * backend (store_s3.c).
 *
 * Exports: wd_store_open, wd_store_close, wd_store_url, wd_store_put,
 * wd_store_get, wd_store_list, wd_store_keys_free, wd_store_delete,
 * wd_store_delete_prefix, wd_store_fail_put_after.
 */
#include "state/store_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/fileio.h"
#include "common/buf.h"

#define KEY_MAX 1024
#define TMP_PREFIX ".tmp-"

struct wd_store {
    char *url;          /* as opened, without trailing '/' */
    char *root;         /* local: the directory, without trailing '/' */
    wd_store_s3 *s3;    /* S3 store, else NULL */
};

/* ---- the put failure injector -------------------------------------------------- */

static pthread_once_t inject_once = PTHREAD_ONCE_INIT;
static atomic_long puts_started;
static atomic_long fail_from = -1;   /* puts numbered from here on fail; -1: none */

static void inject_init(void)
{
    const char *v = getenv("WADI_STORE_FAIL_PUT_AFTER");
    if (!v || !*v) return;
    char *end;
    long n = strtol(v, &end, 10);
    if (*end == 0 && n >= 0) atomic_store(&fail_from, n);
}

void wd_store_fail_put_after(long n)
{
    pthread_once(&inject_once, inject_init);
    atomic_store(&fail_from, n < 0 ? -1 : atomic_load(&puts_started) + n);
}

static bool inject_put_failure(void)
{
    pthread_once(&inject_once, inject_init);
    long k = atomic_fetch_add(&puts_started, 1);
    long from = atomic_load(&fail_from);
    return from >= 0 && k >= from;
}

/* ---- keys ------------------------------------------------------------------------ */

/*
 * Check key: components separated by single '/', none empty or starting
 * with '.' (which also rules out "." and ".."), no control characters.  A
 * prefix (is_prefix) may also be empty or end with '/'.
 */
static int check_key(const wd_store *s, const char *key, bool is_prefix, wd_error *err)
{
    size_t n = strlen(key);
    const char *what = is_prefix ? "prefix" : "key";
    if (n == 0 && !is_prefix)
        return wd_err(err, WD_EINVALID, "checkpoint store %s: empty key", s->url);
    if (n > KEY_MAX)
        return wd_err(err, WD_EINVALID, "checkpoint store %s: %s of %zu bytes is too long", s->url,
                      what, n);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)key[i];
        bool start = i == 0 || key[i - 1] == '/';
        if (c < 0x20 || c == 0x7f)
            return wd_err(err, WD_EINVALID, "checkpoint store %s: control character in %s '%s'",
                          s->url, what, key);
        if (start && (c == '.' || c == '/'))
            return wd_err(err, WD_EINVALID,
                          "checkpoint store %s: bad %s '%s' (an empty component, or one starting "
                          "with '.')",
                          s->url, what, key);
    }
    if (n > 0 && key[n - 1] == '/' && !is_prefix)
        return wd_err(err, WD_EINVALID, "checkpoint store %s: bad key '%s' (ends with '/')", s->url,
                      key);
    return 0;
}

static int keys_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void wd_store_keys_free(char **keys, size_t n)
{
    if (!keys) return;
    for (size_t i = 0; i < n; i++) wd_free(keys[i]);
    wd_free(keys);
}

/* A growing list of keys. */
typedef struct keyvec {
    char **v;
    size_t n, cap;
} keyvec;

static int keyvec_push(keyvec *k, const char *s, size_t len)
{
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 16;
        char **v = wd_realloc(k->v, cap * sizeof *v);
        if (!v) return WD_ENOMEM;
        k->v = v;
        k->cap = cap;
    }
    char *d = wd_strndup(s, len);
    if (!d) return WD_ENOMEM;
    k->v[k->n++] = d;
    return 0;
}

/* ---- the local store ------------------------------------------------------------ */

static const char *errstr(int e, char *buf, size_t n) { return strerror_r(e, buf, n); }

static int io_err(const wd_store *s, const char *what, const char *key, int e, wd_error *err)
{
    char b[128];
    return wd_err(err, WD_EIO, "checkpoint store %s: cannot %s %s: %s", s->url, what, key,
                  errstr(e, b, sizeof b));
}

/* fsync a directory, so that an entry created or renamed in it lasts. */
static int sync_dir(const char *path)
{
    int rc = wd_fsync_dir(path);
    int e = errno;
    /* some file systems cannot sync directories: nothing more to do there */
    if (rc < 0 && (e == EINVAL || e == EROFS)) rc = 0;
    errno = e;
    return rc;
}

/*
 * Create the directories of path[0 .. n) from component `from` on (the
 * offset of the first one that may be missing), syncing the parent of each
 * directory created.  -1 with errno and path cut at the failing directory.
 */
static int make_dirs(char *path, size_t n, size_t from)
{
    for (size_t i = from; i <= n; i++) {
        if (i < n && path[i] != '/') continue;
        if (i == 0 || path[i - 1] == '/') continue;  /* leading or doubled '/' */
        char c = path[i];
        path[i] = 0;
        if (mkdir(path, 0755) == 0) {
            char *sl = strrchr(path, '/');
            int rc;
            if (sl && sl != path) {
                *sl = 0;
                rc = sync_dir(path);
                *sl = '/';
            } else {
                rc = sync_dir(sl ? "/" : ".");
            }
            if (rc < 0) return -1;
        } else if (errno != EEXIST) {
            return -1;
        } else {
            struct stat st;
            if (stat(path, &st) < 0) return -1;
            if (!S_ISDIR(st.st_mode)) {
                errno = ENOTDIR;
                return -1;
            }
        }
        path[i] = c;
    }
    return 0;
}

/* root + "/" + key into buf; false when it does not fit. */
static bool local_path(const wd_store *s, const char *key, char *buf, size_t n)
{
    int k = snprintf(buf, n, "%s/%s", s->root, key);
    return k >= 0 && (size_t)k < n;
}

static int local_put(wd_store *s, const char *key, const void *data, size_t len, bool inject,
                     wd_error *err)
{
    char path[PATH_MAX], tmp[PATH_MAX], dir[PATH_MAX];
    if (!local_path(s, key, path, sizeof path))
        return wd_err(err, WD_EINVALID, "checkpoint store %s: key %s makes too long a path",
                      s->url, key);
    size_t rootlen = strlen(s->root);
    char *slash = strrchr(path, '/');
    size_t dlen = (size_t)(slash - path);
    memcpy(dir, path, dlen);
    dir[dlen] = 0;
    if (dlen > rootlen && make_dirs(dir, dlen, rootlen + 1) < 0) {
        char b[128];
        const char *why = errstr(errno, b, sizeof b);
        return wd_err(err, WD_EIO, "checkpoint store %s: cannot write %s: cannot create %s: %s",
                      s->url, key, dir, why);
    }
    static atomic_ulong seq;
    int k = snprintf(tmp, sizeof tmp, "%s/" TMP_PREFIX "%ld-%lu-%.100s", dir, (long)getpid(),
                     atomic_fetch_add(&seq, 1), slash + 1);
    if (k < 0 || (size_t)k >= sizeof tmp)
        return wd_err(err, WD_EINVALID, "checkpoint store %s: key %s makes too long a path",
                      s->url, key);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return io_err(s, "write", key, errno, err);
    int e = 0;
    const char *injected = NULL;
    if (inject) {
        /* fail for real halfway through, so cleanup is what is tested */
        if (wd_write_all(fd, data, len / 2) < 0) e = errno;
        injected = "injected write error";
    } else if (wd_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
        e = errno;
    }
    if (close(fd) < 0 && !e && !injected) e = errno;
    if (!e && !injected && rename(tmp, path) < 0) e = errno;
    if (e || injected) {
        unlink(tmp);
        if (injected && !e)
            return wd_err(err, WD_EIO, "checkpoint store %s: cannot write %s: %s", s->url, key,
                          injected);
        return io_err(s, "write", key, e, err);
    }
    if (sync_dir(dir) < 0) return io_err(s, "write", key, errno, err);
    return 0;
}

static int local_get(wd_store *s, const char *key, void **data, size_t *len, wd_error *err)
{
    char path[PATH_MAX];
    if (!local_path(s, key, path, sizeof path)) return 1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR) return 1;
        return io_err(s, "read", key, errno, err);
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return io_err(s, "read", key, e, err);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return 1;
    }
    size_t size = (size_t)st.st_size, got = 0;
    uint8_t *buf = wd_malloc(size ? size : 1);
    if (!buf) {
        close(fd);
        return wd_err(err, WD_ENOMEM, "out of memory reading %s", key);
    }
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            close(fd);
            wd_free(buf);
            return io_err(s, "read", key, e, err);
        }
        if (r == 0) break;
        got += (size_t)r;
    }
    close(fd);
    *data = buf;
    *len = got;
    return 0;
}

static int local_delete(wd_store *s, const char *key, wd_error *err)
{
    char path[PATH_MAX];
    if (!local_path(s, key, path, sizeof path)) return 0;
    if (unlink(path) < 0 && errno != ENOENT && errno != ENOTDIR && errno != EISDIR)
        return io_err(s, "delete", key, errno, err);
    return 0;
}

/* A walk over the local store for list and delete_prefix. */
typedef struct walk {
    wd_store *s;
    const char *prefix;
    size_t plen;
    bool del;        /* delete what matches (and emptied directories) */
    keyvec *keys;    /* else collect matching keys here */
    wd_buf path;     /* the current path: root "/" rel */
    size_t rootlen;  /* length of root "/" */
    wd_error *err;
} walk;

static int walk_dir(walk *w)
{
    DIR *d = opendir(w->path.data);
    if (!d) {
        if (errno == ENOENT || errno == ENOTDIR) return 0;
        return io_err(w->s, "list", w->path.data, errno, w->err);
    }
    size_t base = w->path.len;
    int rc = 0;
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (!e) {
            if (errno) rc = io_err(w->s, "list", w->path.data, errno, w->err);
            break;
        }
        const char *name = e->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
        w->path.len = base;
        wd_buf_puts(&w->path, name);
        size_t rlen = w->path.len - w->rootlen;
        int type = e->d_type;
        if (type == DT_UNKNOWN || type == DT_LNK) {
            struct stat st;
            if (stat(w->path.data, &st) < 0) continue;  /* vanished, or a dangling link */
            type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
        }
        const char *rel = w->path.data + w->rootlen;
        size_t m = rlen < w->plen ? rlen : w->plen;
        if (memcmp(rel, w->prefix, m) != 0) continue;
        if (type == DT_DIR) {
            if (name[0] == '.') continue;
            /* keys under it are rel "/" …: can any begin with the prefix? */
            if (w->plen > rlen && w->prefix[rlen] != '/') continue;
            bool covered = w->plen <= rlen + 1;
            wd_buf_putc(&w->path, '/');
            rc = walk_dir(w);
            if (rc < 0) break;
            if (w->del && covered) {
                w->path.data[w->path.len - 1] = 0;
                if (rmdir(w->path.data) < 0 && errno != ENOTEMPTY && errno != EEXIST &&
                    errno != ENOENT) {
                    rc = io_err(w->s, "delete", w->path.data + w->rootlen, errno, w->err);
                    break;
                }
            }
        } else if (type == DT_REG) {
            if (rlen < w->plen) continue;
            if (name[0] == '.') {
                /* a temporary file: never listed; deleted with its prefix */
                if (w->del && strncmp(name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0)
                    unlink(w->path.data);
                continue;
            }
            if (w->del) {
                if (unlink(w->path.data) < 0 && errno != ENOENT) {
                    rc = io_err(w->s, "delete", rel, errno, w->err);
                    break;
                }
            } else if (keyvec_push(w->keys, rel, rlen) < 0) {
                rc = wd_err(w->err, WD_ENOMEM, "out of memory listing %s", w->s->url);
                break;
            }
        }
    }
    closedir(d);
    w->path.len = base;
    w->path.data[base] = 0;
    return rc;
}

static int local_walk(wd_store *s, const char *prefix, bool del, keyvec *keys, wd_error *err)
{
    walk w = {.s = s, .prefix = prefix, .plen = strlen(prefix), .del = del, .keys = keys,
              .path = WD_BUF_INIT, .err = err};
    wd_buf_printf(&w.path, "%s/", s->root);
    w.rootlen = w.path.len;
    int rc = walk_dir(&w);
    wd_buf_free(&w.path);
    return rc;
}

/* ---- the interface ----------------------------------------------------------------- */

int wd_store_open(const char *url, wd_store **out, wd_error *err)
{
    *out = NULL;
    pthread_once(&inject_once, inject_init);
    size_t n = strlen(url), keep = 1;
    const char *scheme = strstr(url, "://");
    if (scheme) keep = (size_t)(scheme - url) + 3;  /* "s3://" stays whole */
    while (n > keep && url[n - 1] == '/') n--;
    if (n == 0) return wd_err(err, WD_EINVALID, "checkpoint store: empty location");
    wd_store *s = wd_calloc(1, sizeof *s);
    if (!s || !(s->url = wd_strndup(url, n))) {
        wd_free(s);
        return wd_err(err, WD_ENOMEM, "out of memory");
    }
    int rc = 0;
    if (strncmp(s->url, "s3://", 5) == 0) {
        const char *b = s->url + 5;
        const char *sl = strchr(b, '/');
        size_t bl = sl ? (size_t)(sl - b) : strlen(b);
        if (bl == 0) {
            rc = wd_err(err, WD_EINVALID, "checkpoint store %s: no bucket name", s->url);
            goto fail;
        }
        char *bucket = wd_strndup(b, bl);
        wd_buf prefix = WD_BUF_INIT;
        if (sl) {
            const char *p = sl;
            while (*p == '/') p++;
            if (*p) {
                wd_buf_puts(&prefix, p);
                wd_buf_putc(&prefix, '/');
            }
        }
        if (prefix.len && check_key(s, prefix.data, true, err) < 0) {
            rc = WD_EINVALID;
        } else {
            rc = wd_store_s3_open(s->url, bucket, prefix.len ? prefix.data : "", &s->s3, err);
        }
        wd_free(bucket);
        wd_buf_free(&prefix);
        if (rc < 0) goto fail;
    } else if (strstr(s->url, "://")) {
        rc = wd_err(err, WD_EINVALID,
                    "checkpoint store %s: unknown kind of location (a directory or "
                    "s3://bucket/prefix)",
                    s->url);
        goto fail;
    } else {
        if (n >= PATH_MAX - KEY_MAX - 64) {
            rc = wd_err(err, WD_EINVALID, "checkpoint store %s: path too long", s->url);
            goto fail;
        }
        s->root = wd_strdup(s->url);
        char dir[PATH_MAX];
        memcpy(dir, s->root, n + 1);
        if (make_dirs(dir, n, 0) < 0) {
            char b[128];
            const char *why = errstr(errno, b, sizeof b);
            rc = wd_err(err, WD_EIO, "checkpoint store %s: cannot create directory %s: %s",
                        s->url, dir, why);
            goto fail;
        }
    }
    *out = s;
    return 0;
fail:
    wd_store_close(s);
    return rc;
}

void wd_store_close(wd_store *s)
{
    if (!s) return;
    if (s->s3) wd_store_s3_close(s->s3);
    wd_free(s->root);
    wd_free(s->url);
    wd_free(s);
}

const char *wd_store_url(const wd_store *s) { return s->url; }

int wd_store_put(wd_store *s, const char *key, const void *data, size_t len, wd_error *err)
{
    int rc = check_key(s, key, false, err);
    if (rc < 0) return rc;
    bool inject = inject_put_failure();
    if (s->s3) {
        if (inject)
            return wd_err(err, WD_EIO, "checkpoint store %s: cannot write %s: injected write error",
                          s->url, key);
        return wd_store_s3_put(s->s3, key, data, len, err);
    }
    return local_put(s, key, data, len, inject, err);
}

int wd_store_get(wd_store *s, const char *key, void **data, size_t *len, wd_error *err)
{
    *data = NULL;
    *len = 0;
    int rc = check_key(s, key, false, err);
    if (rc < 0) return rc;
    return s->s3 ? wd_store_s3_get(s->s3, key, data, len, err) : local_get(s, key, data, len, err);
}

int wd_store_list(wd_store *s, const char *prefix, char ***keys, size_t *n, wd_error *err)
{
    *keys = NULL;
    *n = 0;
    int rc = check_key(s, prefix, true, err);
    if (rc < 0) return rc;
    if (s->s3) {
        rc = wd_store_s3_list(s->s3, prefix, keys, n, err);
    } else {
        keyvec k = {0};
        rc = local_walk(s, prefix, false, &k, err);
        if (rc < 0) {
            wd_store_keys_free(k.v, k.n);
            return rc;
        }
        *keys = k.v;
        *n = k.n;
    }
    if (rc == 0 && *n > 1) qsort(*keys, *n, sizeof **keys, keys_cmp);
    return rc;
}

int wd_store_delete(wd_store *s, const char *key, wd_error *err)
{
    int rc = check_key(s, key, false, err);
    if (rc < 0) return rc;
    return s->s3 ? wd_store_s3_delete(s->s3, key, err) : local_delete(s, key, err);
}

int wd_store_delete_prefix(wd_store *s, const char *prefix, wd_error *err)
{
    int rc = check_key(s, prefix, true, err);
    if (rc < 0) return rc;
    if (!s->s3) return local_walk(s, prefix, true, NULL, err);
    char **keys;
    size_t n;
    rc = wd_store_s3_list(s->s3, prefix, &keys, &n, err);
    for (size_t i = 0; i < n && rc == 0; i++) rc = wd_store_s3_delete(s->s3, keys[i], err);
    wd_store_keys_free(keys, n);
    return rc;
}
