/*
 * test_store.c — unit tests for src/state/store.c and store_s3.c.
 *
 * The same tests run against a local directory store (local_*) and, when
 * WADI_TEST_S3_URL is set (s3://bucket/prefix, with AWS_ENDPOINT_URL and
 * credentials for the server: tests/integration/s3_store.sh starts one),
 * against an S3 store (s3_*; skipped with a message otherwise): put / get
 * / overwrite / empty and large objects, missing keys, nested keys and
 * sorted listings, delete and delete_prefix, bad keys, injected put
 * failures leaving no object, paginated listings, concurrent use.  Then
 * what only the local store has (directories created, no temporary files
 * left, clear errors under a regular file) and what only S3 has (an
 * unreachable endpoint fails fast and clearly — always run, against a
 * closed port; bad credentials; a missing bucket).
 *
 * WADI_TEST_FILTER=pattern runs only the matching tests (cmocka's filter).
 * WADI_TEST_S3_CLOSED_ENDPOINT=http://127.0.0.1:PORT makes the unreachable
 * test use that endpoint instead of a port it closes itself.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/error.h"
#include "state/store.h"

/* ---- fixtures ------------------------------------------------------------------- */

typedef struct fx {
    wd_store *st;
    bool s3;
    char dir[64];    /* local: the temporary directory holding the store */
    char root[128];  /* local: the store's directory */
} fx;

static fx the_fx;
static unsigned fx_seq;

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void rm_rf(const char *path) { nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

static int setup_local(void **state)
{
    fx *f = &the_fx;
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/wadi-store-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    /* a store whose directory does not exist yet, two levels down */
    if (snprintf(f->root, sizeof f->root, "%s/state/job", f->dir) >= (int)sizeof f->root) return -1;
    wd_error err;
    wd_err_clear(&err);
    if (wd_store_open(f->root, &f->st, &err) != 0) {
        fprintf(stderr, "open %s: %s\n", f->root, err.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown_local(void **state)
{
    fx *f = *state;
    wd_store_close(f->st);
    rm_rf(f->dir);
    return 0;
}

static const char *s3_url(void)
{
    const char *u = getenv("WADI_TEST_S3_URL");
    return u && *u ? u : NULL;
}

static int setup_s3(void **state)
{
    fx *f = &the_fx;
    memset(f, 0, sizeof *f);
    *state = NULL;
    const char *base = s3_url();
    if (!base) return 0;
    char url[512];
    snprintf(url, sizeof url, "%s/t%ld-%u", base, (long)getpid(), ++fx_seq);
    wd_error err;
    wd_err_clear(&err);
    if (wd_store_open(url, &f->st, &err) != 0) {
        fprintf(stderr, "open %s: %s\n", url, err.msg);
        return -1;
    }
    f->s3 = true;
    *state = f;
    return 0;
}

static int teardown_s3(void **state)
{
    fx *f = *state;
    if (!f) return 0;
    wd_error err;
    wd_err_clear(&err);
    int rc = wd_store_delete_prefix(f->st, "", &err);
    if (rc) fprintf(stderr, "cleanup: %s\n", err.msg);
    wd_store_close(f->st);
    return rc ? -1 : 0;
}

#define NEED_STORE(f)                                                        \
    fx *f = *state;                                                          \
    if (!f) {                                                                \
        printf("SKIP: no S3 server (set WADI_TEST_S3_URL; see "              \
               "tests/integration/s3_store.sh)\n");                           \
        skip();                                                              \
    }

/* ---- helpers ------------------------------------------------------------------- */

static void put_ok(wd_store *st, const char *key, const void *data, size_t len)
{
    wd_error err;
    wd_err_clear(&err);
    int rc = wd_store_put(st, key, data, len, &err);
    if (rc != 0) fail_msg("put %s: %s", key, err.msg);
}

static void put_str(wd_store *st, const char *key, const char *s) { put_ok(st, key, s, strlen(s)); }

static void expect_content(wd_store *st, const char *key, const void *want, size_t len)
{
    wd_error err;
    wd_err_clear(&err);
    void *d = NULL;
    size_t n = 99;
    int rc = wd_store_get(st, key, &d, &n, &err);
    if (rc != 0) fail_msg("get %s: %d %s", key, rc, err.msg);
    assert_non_null(d);
    assert_int_equal(n, len);
    if (len) assert_memory_equal(d, want, len);
    wd_free(d);
}

static void expect_str(wd_store *st, const char *key, const char *s)
{
    expect_content(st, key, s, strlen(s));
}

static void expect_absent(wd_store *st, const char *key)
{
    wd_error err;
    wd_err_clear(&err);
    void *d = (void *)1;
    size_t n = 99;
    int rc = wd_store_get(st, key, &d, &n, &err);
    if (rc != 1) fail_msg("get %s: want absent, got %d %s", key, rc, err.msg);
    assert_null(d);
    assert_int_equal(n, 0);
}

/* List prefix and compare with want (NULL-terminated, sorted). */
static void expect_list(wd_store *st, const char *prefix, const char *const *want)
{
    wd_error err;
    wd_err_clear(&err);
    char **keys;
    size_t n;
    int rc = wd_store_list(st, prefix, &keys, &n, &err);
    if (rc != 0) fail_msg("list '%s': %s", prefix, err.msg);
    size_t w = 0;
    while (want[w]) w++;
    if (n != w) {
        for (size_t i = 0; i < n; i++) fprintf(stderr, "  listed: %s\n", keys[i]);
        fail_msg("list '%s': %zu keys, want %zu", prefix, n, w);
    }
    for (size_t i = 0; i < n; i++) assert_string_equal(keys[i], want[i]);
    wd_store_keys_free(keys, n);
}

static size_t count_list(wd_store *st, const char *prefix)
{
    char **keys;
    size_t n;
    wd_error err;
    wd_err_clear(&err);
    if (wd_store_list(st, prefix, &keys, &n, &err) != 0) fail_msg("list: %s", err.msg);
    for (size_t i = 1; i < n; i++) assert_true(strcmp(keys[i - 1], keys[i]) < 0);
    wd_store_keys_free(keys, n);
    return n;
}

/* Files and directories under path whose name starts with '.'. */
static int count_dot_files(const char *path)
{
    DIR *d = opendir(path);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (e->d_name[0] == '.') n++;
        char sub[1024];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        struct stat st;
        if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode)) n += count_dot_files(sub);
    }
    closedir(d);
    return n;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- tests for every store -------------------------------------------------------- */

static void put_get(void **state)
{
    NEED_STORE(f);
    put_str(f->st, "a.snap", "hello");
    expect_str(f->st, "a.snap", "hello");
    /* overwrite, shorter */
    put_str(f->st, "a.snap", "hi");
    expect_str(f->st, "a.snap", "hi");
    /* empty object */
    put_ok(f->st, "empty", "", 0);
    expect_content(f->st, "empty", "", 0);
    /* binary, with zeros */
    uint8_t bin[256];
    for (int i = 0; i < 256; i++) bin[i] = (uint8_t)i;
    put_ok(f->st, "bin", bin, sizeof bin);
    expect_content(f->st, "bin", bin, sizeof bin);
    /* large: several MB */
    size_t big = 5u << 20;
    uint8_t *b = wd_malloc(big);
    for (size_t i = 0; i < big; i++) b[i] = (uint8_t)(i * 2654435761u >> 13);
    put_ok(f->st, "epoch-00000001/big.snap", b, big);
    expect_content(f->st, "epoch-00000001/big.snap", b, big);
    wd_free(b);
    /* keys with characters URLs and XML escape */
    const char *odd = "odd/a b+c&d=e%f;g<h>'\"\xc3\xa9~.snap";
    put_str(f->st, odd, "odd");
    expect_str(f->st, odd, "odd");
    const char *want[] = {odd, NULL};
    expect_list(f->st, "odd/", want);
}

static void missing(void **state)
{
    NEED_STORE(f);
    expect_absent(f->st, "nope");
    expect_absent(f->st, "no/such/dir/key");
    put_str(f->st, "dir/x", "1");
    expect_absent(f->st, "dir");       /* a "directory" is not an object */
    expect_absent(f->st, "dir/x/y");   /* under an object */
    wd_error err;
    wd_err_clear(&err);
    assert_int_equal(wd_store_delete(f->st, "nope", &err), 0);
    assert_int_equal(wd_store_delete(f->st, "no/such/dir/key", &err), 0);
    assert_int_equal(wd_store_delete_prefix(f->st, "nothing/", &err), 0);
    const char *none[] = {NULL};
    expect_list(f->st, "nothing/", none);
    expect_list(f->st, "zzz", none);
}

static void list_nested(void **state)
{
    NEED_STORE(f);
    put_str(f->st, "epoch-00000010/_manifest.json", "{}");
    put_str(f->st, "epoch-00000001/n4-s1-groups.snap", "b");
    put_str(f->st, "epoch-00000001/n4-s0-groups.snap", "a");
    put_str(f->st, "epoch-00000002/deep/er/x.snap", "x");
    put_str(f->st, "other", "o");
    put_str(f->st, "epochal", "e");
    const char *all[] = {"epoch-00000001/n4-s0-groups.snap", "epoch-00000001/n4-s1-groups.snap",
                         "epoch-00000002/deep/er/x.snap", "epoch-00000010/_manifest.json",
                         "epochal", "other", NULL};
    expect_list(f->st, "", all);
    const char *epochs[] = {"epoch-00000001/n4-s0-groups.snap",
                            "epoch-00000001/n4-s1-groups.snap", "epoch-00000002/deep/er/x.snap",
                            "epoch-00000010/_manifest.json", NULL};
    expect_list(f->st, "epoch-", epochs);
    const char *one[] = {"epoch-00000001/n4-s0-groups.snap", "epoch-00000001/n4-s1-groups.snap",
                         NULL};
    expect_list(f->st, "epoch-00000001/", one);
    expect_list(f->st, "epoch-00000001", one);
    const char *s1[] = {"epoch-00000001/n4-s1-groups.snap", NULL};
    expect_list(f->st, "epoch-00000001/n4-s1", s1);
    const char *deep[] = {"epoch-00000002/deep/er/x.snap", NULL};
    expect_list(f->st, "epoch-00000002/de", deep);
    expect_list(f->st, "epoch-00000002/deep/er/x.snap", deep);
    const char *e0[] = {"epoch-00000001/n4-s0-groups.snap", "epoch-00000001/n4-s1-groups.snap",
                        "epoch-00000002/deep/er/x.snap", NULL};
    expect_list(f->st, "epoch-0000000", e0);
}

static void delete_keys(void **state)
{
    NEED_STORE(f);
    put_str(f->st, "epoch-00000001/a", "1");
    put_str(f->st, "epoch-00000001/b", "2");
    put_str(f->st, "epoch-00000001/sub/c", "3");
    put_str(f->st, "epoch-00000002/a", "4");
    put_str(f->st, "epoch-00000003/a", "5");
    put_str(f->st, "keep", "6");
    wd_error err;
    wd_err_clear(&err);
    assert_int_equal(wd_store_delete(f->st, "epoch-00000001/b", &err), 0);
    expect_absent(f->st, "epoch-00000001/b");
    expect_str(f->st, "epoch-00000001/a", "1");
    assert_int_equal(wd_store_delete(f->st, "epoch-00000001/b", &err), 0);  /* again */

    assert_int_equal(wd_store_delete_prefix(f->st, "epoch-00000001/", &err), 0);
    const char *rest[] = {"epoch-00000002/a", "epoch-00000003/a", "keep", NULL};
    expect_list(f->st, "", rest);
    /* a prefix ending mid-name */
    assert_int_equal(wd_store_delete_prefix(f->st, "epoch-0000000", &err), 0);
    const char *keep[] = {"keep", NULL};
    expect_list(f->st, "", keep);
    expect_str(f->st, "keep", "6");
    /* the store works on after everything under it was deleted */
    assert_int_equal(wd_store_delete_prefix(f->st, "", &err), 0);
    const char *none[] = {NULL};
    expect_list(f->st, "", none);
    put_str(f->st, "epoch-00000001/a", "again");
    expect_str(f->st, "epoch-00000001/a", "again");
}

static void bad_keys(void **state)
{
    NEED_STORE(f);
    const char *bad[] = {"", "/a", "a//b", "a/", "../x", "a/../b", "a/./b", ".hidden",
                         "d/.tmp-1-2-x", "a\nb", NULL};
    for (int i = 0; bad[i]; i++) {
        wd_error err;
        wd_err_clear(&err);
        if (wd_store_put(f->st, bad[i], "x", 1, &err) != WD_EINVALID)
            fail_msg("put '%s' was accepted", bad[i]);
        assert_non_null(strstr(err.msg, wd_store_url(f->st)));
        void *d;
        size_t n;
        assert_int_equal(wd_store_get(f->st, bad[i], &d, &n, NULL), WD_EINVALID);
        assert_int_equal(wd_store_delete(f->st, bad[i], NULL), WD_EINVALID);
    }
    char **keys;
    size_t n;
    assert_int_equal(wd_store_list(f->st, "../", &keys, &n, NULL), WD_EINVALID);
    assert_int_equal(wd_store_list(f->st, "/", &keys, &n, NULL), WD_EINVALID);
    assert_int_equal(wd_store_delete_prefix(f->st, "a//", NULL), WD_EINVALID);
    const char *none[] = {NULL};
    expect_list(f->st, "", none);
}

static void injected_failure(void **state)
{
    NEED_STORE(f);
    put_str(f->st, "epoch-00000001/old", "old content");
    wd_store_fail_put_after(0);
    wd_error err;
    wd_err_clear(&err);
    uint8_t data[10000];
    memset(data, 'x', sizeof data);
    int rc = wd_store_put(f->st, "epoch-00000001/new.snap", data, sizeof data, &err);
    assert_int_equal(rc, WD_EIO);
    printf("injected: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "injected write error"));
    assert_non_null(strstr(err.msg, "epoch-00000001/new.snap"));
    assert_non_null(strstr(err.msg, wd_store_url(f->st)));
    expect_absent(f->st, "epoch-00000001/new.snap");
    /* a failed overwrite leaves the old object whole */
    wd_err_clear(&err);
    assert_int_equal(wd_store_put(f->st, "epoch-00000001/old", data, sizeof data, &err), WD_EIO);
    expect_str(f->st, "epoch-00000001/old", "old content");
    const char *only_old[] = {"epoch-00000001/old", NULL};
    expect_list(f->st, "", only_old);
    if (!f->s3) assert_int_equal(count_dot_files(f->root), 0);

    /* two more succeed, then they fail again */
    wd_store_fail_put_after(2);
    put_str(f->st, "p1", "1");
    put_str(f->st, "p2", "2");
    assert_int_equal(wd_store_put(f->st, "p3", "3", 1, NULL), WD_EIO);
    assert_int_equal(wd_store_put(f->st, "p4", "4", 1, NULL), WD_EIO);
    wd_store_fail_put_after(-1);
    put_str(f->st, "p5", "5");
    const char *keys[] = {"epoch-00000001/old", "p1", "p2", "p5", NULL};
    expect_list(f->st, "", keys);
}

/* More keys than one listing page (S3 returns at most 1,000 a page). */
static void many_keys(void **state)
{
    NEED_STORE(f);
    enum { N = 1010 };
    char key[64];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "many/k%05d", i);
        put_ok(f->st, key, key, strlen(key));
    }
    put_str(f->st, "manz", "z");
    char **keys;
    size_t n;
    wd_error err;
    wd_err_clear(&err);
    assert_int_equal(wd_store_list(f->st, "many/", &keys, &n, &err), 0);
    assert_int_equal(n, N);
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "many/k%05d", i);
        assert_string_equal(keys[i], key);
    }
    wd_store_keys_free(keys, n);
    assert_int_equal(count_list(f->st, "man"), N + 1);
    assert_int_equal(wd_store_delete_prefix(f->st, "many/", &err), 0);
    assert_int_equal(count_list(f->st, ""), 1);
}

typedef struct worker {
    wd_store *st;
    int id;
    int failures;
    char msg[600];
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    char key[64], val[64];
    for (int i = 0; i < 25; i++) {
        snprintf(key, sizeof key, "epoch-00000001/w%d/k%d", w->id, i);
        snprintf(val, sizeof val, "value %d %d", w->id, i);
        wd_error err;
        wd_err_clear(&err);
        void *d = NULL;
        size_t n = 0;
        if (wd_store_put(w->st, key, val, strlen(val), &err) != 0 ||
            wd_store_get(w->st, key, &d, &n, &err) != 0 || n != strlen(val) ||
            memcmp(d, val, n) != 0) {
            w->failures++;
            snprintf(w->msg, sizeof w->msg, "%s: %s", key, err.msg);
        }
        wd_free(d);
    }
    return NULL;
}

static void concurrent(void **state)
{
    NEED_STORE(f);
    enum { T = 4 };
    pthread_t th[T];
    worker w[T];
    for (int i = 0; i < T; i++) {
        w[i] = (worker){.st = f->st, .id = i};
        assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < T; i++) {
        pthread_join(th[i], NULL);
        if (w[i].failures) fail_msg("worker %d: %d failures, last %s", i, w[i].failures, w[i].msg);
    }
    assert_int_equal(count_list(f->st, "epoch-00000001/"), T * 25);
}

#define BOTH(name)                                              \
    static void local_##name(void **state) { name(state); }     \
    static void s3_##name(void **state) { name(state); }
BOTH(put_get)
BOTH(missing)
BOTH(list_nested)
BOTH(delete_keys)
BOTH(bad_keys)
BOTH(injected_failure)
BOTH(many_keys)
BOTH(concurrent)

/* ---- the local store only ---------------------------------------------------------- */

static void local_layout(void **state)
{
    fx *f = *state;
    /* the store's directory was created with its parent */
    struct stat st;
    assert_int_equal(stat(f->root, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    put_str(f->st, "epoch-00000003/agg_2-0-groups.snap", "g");
    char path[1024];
    snprintf(path, sizeof path, "%s/epoch-00000003/agg_2-0-groups.snap", f->root);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 1);
    assert_int_equal(count_dot_files(f->root), 0);

    /* a temporary file of an unfinished put (a crash) is never listed, and
     * goes with its prefix */
    snprintf(path, sizeof path, "%s/epoch-00000003/.tmp-1-1-x.snap", f->root);
    FILE *tf = fopen(path, "w");
    assert_non_null(tf);
    fputs("partial", tf);
    fclose(tf);
    const char *one[] = {"epoch-00000003/agg_2-0-groups.snap", NULL};
    expect_list(f->st, "", one);
    wd_error err;
    wd_err_clear(&err);
    assert_int_equal(wd_store_delete_prefix(f->st, "epoch-00000003/", &err), 0);
    snprintf(path, sizeof path, "%s/epoch-00000003", f->root);
    assert_int_equal(stat(path, &st), -1);  /* the emptied directory is gone */
    assert_int_equal(stat(f->root, &st), 0);  /* the root stays */

    /* a directory of another's making, not empty, is left alone */
    put_str(f->st, "epoch-00000004/a", "a");
    snprintf(path, sizeof path, "%s/epoch-00000004/.keep", f->root);
    tf = fopen(path, "w");
    fclose(tf);
    assert_int_equal(wd_store_delete_prefix(f->st, "epoch-", &err), 0);
    const char *none[] = {NULL};
    expect_list(f->st, "", none);
    assert_int_equal(stat(path, &st), 0);

    /* the url as given, without trailing '/' */
    wd_store *s2;
    char url[1024];
    snprintf(url, sizeof url, "%s//", f->root);
    assert_int_equal(wd_store_open(url, &s2, NULL), 0);
    assert_string_equal(wd_store_url(s2), f->root);
    expect_absent(s2, "epoch-00000004/a");
    wd_store_close(s2);
}

static void local_errors(void **state)
{
    fx *f = *state;
    wd_error err;
    wd_store *s2;
    /* a store under a regular file */
    char file[512], url[1024];
    snprintf(file, sizeof file, "%s/plain", f->dir);
    FILE *tf = fopen(file, "w");
    fclose(tf);
    snprintf(url, sizeof url, "%s/sub/store", file);
    wd_err_clear(&err);
    assert_int_equal(wd_store_open(url, &s2, &err), WD_EIO);
    printf("open under a file: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "checkpoint store "));
    assert_non_null(strstr(err.msg, url));
    assert_non_null(strstr(err.msg, "Not a directory"));

    /* writing where a key's directory is an object */
    put_str(f->st, "obj", "o");
    wd_err_clear(&err);
    assert_int_equal(wd_store_put(f->st, "obj/child", "c", 1, &err), WD_EIO);
    printf("put under an object: %s\n", err.msg);
    char want[1024];
    snprintf(want, sizeof want, "checkpoint store %s: cannot write obj/child: ", f->root);
    assert_true(strncmp(err.msg, want, strlen(want)) == 0);
    assert_non_null(strstr(err.msg, "Not a directory"));
    expect_str(f->st, "obj", "o");

    /* the store's directory replaced by a file under it */
    snprintf(url, sizeof url, "%s/gone", f->dir);
    assert_int_equal(wd_store_open(url, &s2, NULL), 0);
    rm_rf(url);
    tf = fopen(url, "w");
    fclose(tf);
    wd_err_clear(&err);
    assert_int_equal(wd_store_put(s2, "k", "v", 1, &err), WD_EIO);
    assert_non_null(strstr(err.msg, "cannot write k: Not a directory"));
    char **keys;
    size_t n;
    assert_int_equal(wd_store_list(s2, "", &keys, &n, NULL), 0);  /* nothing there */
    assert_int_equal(n, 0);
    wd_store_close(s2);

    /* locations that are not stores */
    wd_err_clear(&err);
    assert_int_equal(wd_store_open("gs://bucket/x", &s2, &err), WD_EINVALID);
    assert_non_null(strstr(err.msg, "gs://bucket/x"));
    assert_int_equal(wd_store_open("", &s2, NULL), WD_EINVALID);
    assert_int_equal(wd_store_open("s3://", &s2, NULL), WD_EINVALID);
    assert_int_equal(wd_store_open("s3:///x", &s2, NULL), WD_EINVALID);
}

/* ---- S3 only ----------------------------------------------------------------------- */

/* Set or unset (v NULL) an environment variable, remembering the old value. */
typedef struct saved_env {
    const char *name;
    char *old;
} saved_env;

static void env_set(saved_env *s, const char *name, const char *v)
{
    s->name = name;
    const char *o = getenv(name);
    s->old = o ? strdup(o) : NULL;
    if (v) setenv(name, v, 1);
    else unsetenv(name);
}

static void env_restore(saved_env *s)
{
    if (s->old) setenv(s->name, s->old, 1);
    else unsetenv(s->name);
    free(s->old);
}

/* A loopback port nothing listens on: bound, then closed. */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t l = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static void s3_unreachable(void **state)
{
    (void)state;
    char ep[128];
    const char *given = getenv("WADI_TEST_S3_CLOSED_ENDPOINT");
    if (given && *given) snprintf(ep, sizeof ep, "%s", given);
    else snprintf(ep, sizeof ep, "http://127.0.0.1:%d", closed_port());
    saved_env e[4];
    env_set(&e[0], "AWS_ENDPOINT_URL", ep);
    env_set(&e[1], "AWS_ENDPOINT_URL_S3", NULL);
    env_set(&e[2], "AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
    env_set(&e[3], "AWS_SECRET_ACCESS_KEY", "secret");
    wd_store *st;
    wd_error err;
    wd_err_clear(&err);
    assert_int_equal(wd_store_open("s3://wadi-test/p", &st, &err), 0);
    char want[300];
    snprintf(want, sizeof want,
             "checkpoint store s3://wadi-test/p: cannot write epoch-00000001/k: cannot connect to "
             "%s (Connection refused) (after 4 attempts)",
             ep);
    double t0 = now_s();
    assert_int_equal(wd_store_put(st, "epoch-00000001/k", "v", 1, &err), WD_EIO);
    double took = now_s() - t0;
    printf("unreachable: %s [%.1f s]\n", err.msg, took);
    assert_string_equal(err.msg, want);
    assert_true(took < 10.0);
    assert_true(took >= 2.0);  /* it did retry, with backoff */
    /* the other requests fail the same way (get and delete too: one path) */
    size_t n;
    char **keys;
    wd_err_clear(&err);
    assert_int_equal(wd_store_list(st, "epoch-", &keys, &n, &err), WD_EIO);
    assert_non_null(strstr(err.msg, "cannot list epoch-: cannot connect to"));
    wd_store_close(st);

    /* no credentials: refused at open */
    saved_env x;
    env_set(&x, "AWS_ACCESS_KEY_ID", NULL);
    wd_err_clear(&err);
    assert_int_equal(wd_store_open("s3://wadi-test/p", &st, &err), WD_EINVALID);
    assert_non_null(strstr(err.msg, "AWS_ACCESS_KEY_ID"));
    env_restore(&x);
    /* an endpoint that is not a URL */
    env_set(&x, "AWS_ENDPOINT_URL", "127.0.0.1:9");
    assert_int_equal(wd_store_open("s3://wadi-test/p", &st, NULL), WD_EINVALID);
    env_restore(&x);
    for (int i = 3; i >= 0; i--) env_restore(&e[i]);
}

static void s3_bad_credentials_and_bucket(void **state)
{
    NEED_STORE(f);
    (void)f;
    const char *base = s3_url();
    wd_store *st;
    wd_error err;
    saved_env e;

    /* an access key the server does not know */
    env_set(&e, "AWS_ACCESS_KEY_ID", "WADINOSUCHKEY");
    wd_err_clear(&err);
    assert_int_equal(wd_store_open(base, &st, &err), 0);
    assert_int_equal(wd_store_put(st, "k", "v", 1, &err), WD_EIO);
    printf("unknown key id: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "cannot write k: HTTP 403 InvalidAccessKeyId ("));
    wd_store_close(st);
    env_restore(&e);

    /* a wrong secret: only a server that checks SigV4 signatures sees it
     * (s3rver does not; s3_store.sh puts a checking proxy in front of it) */
    env_set(&e, "AWS_SECRET_ACCESS_KEY", "not-the-secret");
    wd_err_clear(&err);
    assert_int_equal(wd_store_open(base, &st, &err), 0);
    int rc = wd_store_put(st, "bad-secret-probe", "v", 1, &err);
    if (getenv("WADI_TEST_S3_VERIFIES_SIGNATURES")) {
        assert_int_equal(rc, WD_EIO);
        printf("wrong secret: %s\n", err.msg);
        assert_non_null(
            strstr(err.msg, "cannot write bad-secret-probe: HTTP 403 SignatureDoesNotMatch"));
    } else {
        printf("note: the server does not check signatures: wrong secret not tested\n");
        wd_store_delete(st, "bad-secret-probe", NULL);
    }
    wd_store_close(st);
    env_restore(&e);

    /* a bucket that does not exist: an error, not an absent key */
    wd_err_clear(&err);
    assert_int_equal(wd_store_open("s3://wadi-no-such-bucket/x", &st, &err), 0);
    char **keys;
    size_t n;
    assert_int_equal(wd_store_list(st, "", &keys, &n, &err), WD_EIO);
    printf("missing bucket: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "checkpoint store s3://wadi-no-such-bucket/x: cannot list "
                                    "keys: HTTP 404 NoSuchBucket"));
    void *d;
    wd_err_clear(&err);
    assert_int_equal(wd_store_get(st, "k", &d, &n, &err), WD_EIO);
    assert_non_null(strstr(err.msg, "NoSuchBucket"));
    wd_err_clear(&err);
    assert_int_equal(wd_store_put(st, "k", "v", 1, &err), WD_EIO);
    assert_non_null(strstr(err.msg, "NoSuchBucket"));
    wd_store_close(st);
}

int main(void)
{
    alarm(600); /* a hang is a failure */
    const char *filter = getenv("WADI_TEST_FILTER");
    if (filter && *filter) cmocka_set_test_filter(filter);
    if (!s3_url())
        printf("note: WADI_TEST_S3_URL is not set: the s3_* tests that need a server are "
               "skipped (tests/integration/s3_store.sh runs them against s3rver)\n");
#define L(name) cmocka_unit_test_setup_teardown(local_##name, setup_local, teardown_local)
#define S(name) cmocka_unit_test_setup_teardown(s3_##name, setup_s3, teardown_s3)
    const struct CMUnitTest tests[] = {
        L(put_get), L(missing), L(list_nested), L(delete_keys), L(bad_keys),
        L(injected_failure), L(many_keys), L(concurrent), L(layout), L(errors),
        cmocka_unit_test(s3_unreachable),
        S(put_get), S(missing), S(list_nested), S(delete_keys), S(bad_keys),
        S(injected_failure), S(many_keys), S(concurrent), S(bad_credentials_and_bucket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
