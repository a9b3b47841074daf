/*
 * store_s3.c — the S3 backend of checkpoint stores (store.h): PUT, GET,
 * ListObjectsV2 and DELETE of objects under a bucket and prefix, through
 * libcurl's easy interface with its SigV4 signing.
 *
 * Each request takes an easy handle from a small pool (so connections are
 * kept alive and several threads can work at once), runs with a 3 s
 * connect and a 60 s total timeout, and is retried 3 times, after 100, 400
 * and 1,600 ms, when it failed in a way that may pass: no connection, a
 * timeout, a broken transfer, HTTP 5xx or 429.  The query strings built
 * here are already in SigV4's canonical form (parameters sorted, values
 * percent-encoded), so the signature is right whatever libcurl does with
 * them.
 *
 * Exports: wd_store_s3_open, wd_store_s3_close, wd_store_s3_put,
 * wd_store_s3_get, wd_store_s3_list, wd_store_s3_delete.
 */
#include "state/store_int.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/buf.h"

#define CONNECT_TIMEOUT_MS 3000
#define TOTAL_TIMEOUT_MS 60000
#define RETRIES 3
static const int backoff_ms[RETRIES] = {100, 400, 1600};

struct wd_store_s3 {
    const char *url;           /* the store, for messages (borrowed) */
    char *prefix;              /* "" or ending in '/' */
    char *base;                /* the bucket's URL, without trailing '/' */
    bool path_style;           /* base is endpoint "/" bucket */
    char *endpoint;            /* scheme://host[:port], for messages */
    char *sigv4;               /* "aws:amz:REGION:s3" */
    char *key_id, *secret;
    struct curl_slist *hdrs;   /* every request */
    struct curl_slist *hdrs_put;
    pthread_mutex_t mu;        /* guards the pool */
    CURL **pool;
    size_t npool, cap;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

/* ---- small helpers ----------------------------------------------------------------- */

/* Append s percent-encoded as S3 wants it: unreserved characters as they
 * are, '/' too when keep_slash, everything else %XX. */
static void put_encoded(wd_buf *b, const char *s, size_t n, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && keep_slash)) {
            wd_buf_putc(b, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            wd_buf_put(b, e, 3);
        }
    }
}

/*
 * The text of the next element <tag>…</tag> in [p, end), or NULL; *next
 * gets the position after it.  Enough XML for S3's answers, which have no
 * attributes on these elements and no CDATA.
 */
static const char *xml_find(const char *p, const char *end, const char *tag, size_t *len,
                            const char **next)
{
    size_t tl = strlen(tag);
    char open[64], close[64];
    if (tl + 4 > sizeof open) return NULL;
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *a = memmem(p, (size_t)(end - p), open, tl + 2);
    if (!a) return NULL;
    a += tl + 2;
    const char *z = memmem(a, (size_t)(end - a), close, tl + 3);
    if (!z) return NULL;
    *len = (size_t)(z - a);
    if (next) *next = z + tl + 3;
    return a;
}

/* Append XML text s (n bytes) with its entities replaced; false when an
 * entity is malformed. */
static bool xml_unescape(wd_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '&') {
            wd_buf_putc(b, s[i]);
            continue;
        }
        const char *semi = memchr(s + i, ';', n - i);
        if (!semi) return false;
        size_t el = (size_t)(semi - (s + i)) + 1;
        const char *e = s + i;
        if (el == 5 && memcmp(e, "&amp;", 5) == 0) wd_buf_putc(b, '&');
        else if (el == 4 && memcmp(e, "&lt;", 4) == 0) wd_buf_putc(b, '<');
        else if (el == 4 && memcmp(e, "&gt;", 4) == 0) wd_buf_putc(b, '>');
        else if (el == 6 && memcmp(e, "&quot;", 6) == 0) wd_buf_putc(b, '"');
        else if (el == 6 && memcmp(e, "&apos;", 6) == 0) wd_buf_putc(b, '\'');
        else if (el > 3 && e[1] == '#') {
            bool hexa = e[2] == 'x' || e[2] == 'X';
            unsigned long cp = 0;
            size_t k = hexa ? 3 : 2;
            if (k >= el - 1) return false;
            for (; k < el - 1; k++) {
                char c = e[k];
                int d = c >= '0' && c <= '9' ? c - '0'
                        : hexa && c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : hexa && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                       : -1;
                if (d < 0) return false;
                cp = cp * (hexa ? 16 : 10) + (unsigned long)d;
                if (cp > 0x10FFFF) return false;
            }
            if (cp == 0) return false;
            char u[4];
            wd_buf_put(b, u, wd_utf8_put((uint32_t)cp, u));
        } else {
            return false;
        }
        i += el - 1;
    }
    return true;
}

/* "HTTP 403 AccessDenied (Access Denied)" from a status and an S3 error
 * body, into out. */
static void describe_http(long status, const wd_buf *body, char *out, size_t n)
{
    const char *end = body->data ? body->data + body->len : NULL;
    size_t cl = 0, ml = 0;
    const char *code = end ? xml_find(body->data, end, "Code", &cl, NULL) : NULL;
    const char *msg = end ? xml_find(body->data, end, "Message", &ml, NULL) : NULL;
    if (cl > 64) cl = 64;
    if (ml > 200) ml = 200;
    if (code && msg)
        snprintf(out, n, "HTTP %ld %.*s (%.*s)", status, (int)cl, code, (int)ml, msg);
    else if (code)
        snprintf(out, n, "HTTP %ld %.*s", status, (int)cl, code);
    else
        snprintf(out, n, "HTTP %ld", status);
}

/* True when the error body's <Code> is `code`. */
static bool has_code(const wd_buf *body, const char *code)
{
    if (!body->data) return false;
    size_t cl;
    const char *c = xml_find(body->data, body->data + body->len, "Code", &cl, NULL);
    return c && cl == strlen(code) && memcmp(c, code, cl) == 0;
}

/* ---- the client ------------------------------------------------------------------ */

static char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? (char *)v : NULL;
}

int wd_store_s3_open(const char *url, const char *bucket, const char *prefix, wd_store_s3 **out,
                     wd_error *err)
{
    *out = NULL;
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK)
        return wd_err(err, WD_EIO, "checkpoint store %s: cannot initialise libcurl: %s", url,
                      curl_easy_strerror(curl_init_rc));
    const char *id = env("AWS_ACCESS_KEY_ID"), *secret = env("AWS_SECRET_ACCESS_KEY");
    if (!id || !secret)
        return wd_err(err, WD_EINVALID,
                      "checkpoint store %s: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be "
                      "set",
                      url);
    const char *region = env("AWS_REGION");
    if (!region) region = env("AWS_DEFAULT_REGION");
    if (!region) region = "us-east-1";
    for (const char *r = region; *r; r++)
        if (!((*r >= 'a' && *r <= 'z') || (*r >= '0' && *r <= '9') || *r == '-'))
            return wd_err(err, WD_EINVALID, "checkpoint store %s: bad region '%s'", url, region);
    const char *ep = env("AWS_ENDPOINT_URL_S3");
    if (!ep) ep = env("AWS_ENDPOINT_URL");
    if (ep && strncmp(ep, "http://", 7) != 0 && strncmp(ep, "https://", 8) != 0)
        return wd_err(err, WD_EINVALID,
                      "checkpoint store %s: endpoint '%s' is not an http:// or https:// URL", url,
                      ep);
    const char *token = env("AWS_SESSION_TOKEN");

    wd_store_s3 *c = wd_calloc(1, sizeof *c);
    if (!c) return wd_err(err, WD_ENOMEM, "out of memory");
    c->url = url;
    pthread_mutex_init(&c->mu, NULL);
    wd_buf b = WD_BUF_INIT;
    if (ep) {
        size_t n = strlen(ep);
        while (n > 0 && ep[n - 1] == '/') n--;
        c->endpoint = wd_strndup(ep, n);
        wd_buf_put(&b, ep, n);
        wd_buf_putc(&b, '/');
        put_encoded(&b, bucket, strlen(bucket), false);
        c->path_style = true;
    } else {
        wd_buf_printf(&b, "https://%s.s3.%s.amazonaws.com", bucket, region);
        c->endpoint = wd_strdup(b.data);
    }
    c->base = wd_strdup(b.data);
    wd_buf_reset(&b);
    wd_buf_printf(&b, "aws:amz:%s:s3", region);
    c->sigv4 = wd_strdup(b.data);
    c->key_id = wd_strdup(id);
    c->secret = wd_strdup(secret);
    c->prefix = wd_strdup(prefix);
    /* S3 accepts an unsigned payload: snapshot files carry their own
     * checksums, and hashing 100 MB per checkpoint would cost a core. */
    c->hdrs = curl_slist_append(NULL, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
    if (c->hdrs) c->hdrs = curl_slist_append(c->hdrs, "Expect:");
    if (token && c->hdrs) {
        wd_buf_reset(&b);
        wd_buf_printf(&b, "x-amz-security-token: %s", token);
        c->hdrs = curl_slist_append(c->hdrs, b.data);
    }
    c->hdrs_put = curl_slist_append(NULL, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
    if (c->hdrs_put) c->hdrs_put = curl_slist_append(c->hdrs_put, "Expect:");
    if (c->hdrs_put)
        c->hdrs_put = curl_slist_append(c->hdrs_put, "Content-Type: application/octet-stream");
    if (token && c->hdrs_put) {
        wd_buf_reset(&b);
        wd_buf_printf(&b, "x-amz-security-token: %s", token);
        c->hdrs_put = curl_slist_append(c->hdrs_put, b.data);
    }
    wd_buf_free(&b);
    if (!c->endpoint || !c->base || !c->sigv4 || !c->key_id || !c->secret || !c->prefix ||
        !c->hdrs || !c->hdrs_put) {
        wd_store_s3_close(c);
        return wd_err(err, WD_ENOMEM, "out of memory");
    }
    *out = c;
    return 0;
}

void wd_store_s3_close(wd_store_s3 *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->npool; i++) curl_easy_cleanup(c->pool[i]);
    wd_free(c->pool);
    curl_slist_free_all(c->hdrs);
    curl_slist_free_all(c->hdrs_put);
    pthread_mutex_destroy(&c->mu);
    wd_free(c->prefix);
    wd_free(c->base);
    wd_free(c->endpoint);
    wd_free(c->sigv4);
    wd_free(c->key_id);
    wd_free(c->secret);
    wd_free(c);
}

static CURL *take_handle(wd_store_s3 *c)
{
    pthread_mutex_lock(&c->mu);
    CURL *h = c->npool ? c->pool[--c->npool] : NULL;
    pthread_mutex_unlock(&c->mu);
    return h ? h : curl_easy_init();
}

static void give_handle(wd_store_s3 *c, CURL *h)
{
    pthread_mutex_lock(&c->mu);
    if (c->npool == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 4;
        CURL **p = wd_realloc(c->pool, cap * sizeof *p);
        if (!p) {
            pthread_mutex_unlock(&c->mu);
            curl_easy_cleanup(h);
            return;
        }
        c->pool = p;
        c->cap = cap;
    }
    c->pool[c->npool++] = h;
    pthread_mutex_unlock(&c->mu);
}

/* ---- requests ------------------------------------------------------------------- */

typedef struct body_reader {
    const char *p;
    size_t len, off;
} body_reader;

static size_t read_cb(char *buf, size_t size, size_t n, void *ud)
{
    body_reader *r = ud;
    size_t want = size * n, left = r->len - r->off;
    if (want > left) want = left;
    if (want) memcpy(buf, r->p + r->off, want);
    r->off += want;
    return want;
}

static int seek_cb(void *ud, curl_off_t off, int origin)
{
    body_reader *r = ud;
    if (origin != SEEK_SET || off < 0 || (size_t)off > r->len) return CURL_SEEKFUNC_CANTSEEK;
    r->off = (size_t)off;
    return CURL_SEEKFUNC_OK;
}

static size_t write_cb(char *p, size_t size, size_t n, void *ud)
{
    wd_buf_put(ud, p, size * n);
    return size * n;
}

typedef struct s3_req {
    const char *method;   /* "GET", "PUT" or "DELETE" */
    const char *what;     /* for messages: "write", "read", "list", "delete" */
    const char *name;     /* the key or prefix, for messages */
    const char *url;
    const void *body;     /* PUT */
    size_t len;
    wd_buf resp;          /* the answer's body */
    long status;
} s3_req;

static bool transient(CURLcode cc)
{
    switch (cc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* Say why a transfer failed, into out. */
static void describe_curl(const wd_store_s3 *c, CURL *h, CURLcode cc, const char *ebuf,
                          char *out, size_t n)
{
    long oserr = 0;
    curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &oserr);
    char eb[128];
    const char *os = oserr ? strerror_r((int)oserr, eb, sizeof eb) : NULL;
    const char *detail = ebuf[0] ? ebuf : curl_easy_strerror(cc);
    switch (cc) {
    case CURLE_COULDNT_CONNECT:
        snprintf(out, n, "cannot connect to %s (%s)", c->endpoint, os ? os : detail);
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
        snprintf(out, n, "cannot resolve the host of %s (%s)", c->endpoint, detail);
        break;
    case CURLE_OPERATION_TIMEDOUT: {
        curl_off_t connected = 0;
        curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connected);
        if (connected == 0)
            snprintf(out, n, "cannot connect to %s (no answer within %d s)", c->endpoint,
                     CONNECT_TIMEOUT_MS / 1000);
        else
            snprintf(out, n, "%s did not complete the request within %d s", c->endpoint,
                     TOTAL_TIMEOUT_MS / 1000);
        break;
    }
    default:
        snprintf(out, n, "request to %s failed (%s)", c->endpoint, detail);
    }
}

/*
 * Run r, retrying transient failures.  0 once an HTTP answer that is not
 * transient came (r->status and r->resp say what it was: the caller
 * decides what a status means); WD_EIO when no such answer came.
 */
static int perform(wd_store_s3 *c, s3_req *r, wd_error *err)
{
    CURL *h = take_handle(c);
    if (!h)
        return wd_err(err, WD_ENOMEM, "checkpoint store %s: cannot create a curl handle", c->url);
    char ebuf[CURL_ERROR_SIZE];
    char why[600];
    int rc = 0;
    for (int attempt = 0;; attempt++) {
        curl_easy_reset(h);
        wd_buf_reset(&r->resp);
        ebuf[0] = 0;
        body_reader br = {r->body, r->len, 0};
        curl_easy_setopt(h, CURLOPT_URL, r->url);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)TOTAL_TIMEOUT_MS);
        curl_easy_setopt(h, CURLOPT_AWS_SIGV4, c->sigv4);
        curl_easy_setopt(h, CURLOPT_USERNAME, c->key_id);
        curl_easy_setopt(h, CURLOPT_PASSWORD, c->secret);
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &r->resp);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        if (strcmp(r->method, "PUT") == 0) {
            curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->hdrs_put);
            curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
            curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
            curl_easy_setopt(h, CURLOPT_READDATA, &br);
            curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, seek_cb);
            curl_easy_setopt(h, CURLOPT_SEEKDATA, &br);
            curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->len);
        } else {
            curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->hdrs);
            if (strcmp(r->method, "GET") != 0)
                curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
        }
        CURLcode cc = curl_easy_perform(h);
        r->status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
        bool again = cc != CURLE_OK ? transient(cc) : r->status >= 500 || r->status == 429;
        if (again && attempt < RETRIES) {
            sleep_ms(backoff_ms[attempt]);
            continue;
        }
        if (cc != CURLE_OK)
            describe_curl(c, h, cc, ebuf, why, sizeof why);
        else if (again)
            describe_http(r->status, &r->resp, why, sizeof why);
        if (cc != CURLE_OK || again) {
            char tries[32] = "";
            if (attempt) snprintf(tries, sizeof tries, " (after %d attempts)", attempt + 1);
            rc = wd_err(err, WD_EIO, "checkpoint store %s: cannot %s %s: %s%s", c->url, r->what,
                        r->name, why, tries);
        }
        break;
    }
    give_handle(c, h);
    return rc;
}

static int http_error(const wd_store_s3 *c, const s3_req *r, wd_error *err)
{
    char why[400];
    describe_http(r->status, &r->resp, why, sizeof why);
    return wd_err(err, WD_EIO, "checkpoint store %s: cannot %s %s: %s", c->url, r->what, r->name,
                  why);
}

/* The URL of object key. */
static void object_url(const wd_store_s3 *c, const char *key, wd_buf *u)
{
    wd_buf_puts(u, c->base);
    wd_buf_putc(u, '/');
    put_encoded(u, c->prefix, strlen(c->prefix), true);
    put_encoded(u, key, strlen(key), true);
}

int wd_store_s3_put(wd_store_s3 *c, const char *key, const void *data, size_t len, wd_error *err)
{
    wd_buf u = WD_BUF_INIT;
    object_url(c, key, &u);
    s3_req r = {.method = "PUT", .what = "write", .name = key, .url = u.data, .body = data,
                .len = len, .resp = WD_BUF_INIT};
    int rc = perform(c, &r, err);
    if (rc == 0 && (r.status < 200 || r.status > 299)) rc = http_error(c, &r, err);
    wd_buf_free(&r.resp);
    wd_buf_free(&u);
    return rc;
}

int wd_store_s3_get(wd_store_s3 *c, const char *key, void **data, size_t *len, wd_error *err)
{
    *data = NULL;
    *len = 0;
    wd_buf u = WD_BUF_INIT;
    object_url(c, key, &u);
    s3_req r = {.method = "GET", .what = "read", .name = key, .url = u.data, .resp = WD_BUF_INIT};
    int rc = perform(c, &r, err);
    wd_buf_free(&u);
    if (rc == 0 && r.status == 404 && !has_code(&r.resp, "NoSuchBucket")) {
        wd_buf_free(&r.resp);
        return 1;
    }
    if (rc == 0 && (r.status < 200 || r.status > 299)) rc = http_error(c, &r, err);
    if (rc < 0) {
        wd_buf_free(&r.resp);
        return rc;
    }
    if (!r.resp.data) {
        r.resp.data = wd_malloc(1);
        if (!r.resp.data) return wd_err(err, WD_ENOMEM, "out of memory");
    }
    *data = r.resp.data;
    *len = r.resp.len;
    return 0;
}

int wd_store_s3_delete(wd_store_s3 *c, const char *key, wd_error *err)
{
    wd_buf u = WD_BUF_INIT;
    object_url(c, key, &u);
    s3_req r = {.method = "DELETE", .what = "delete", .name = key, .url = u.data,
                .resp = WD_BUF_INIT};
    int rc = perform(c, &r, err);
    if (rc == 0 && !(r.status >= 200 && r.status <= 299) &&
        !(r.status == 404 && !has_code(&r.resp, "NoSuchBucket")))
        rc = http_error(c, &r, err);
    wd_buf_free(&r.resp);
    wd_buf_free(&u);
    return rc;
}

/* Collect the keys of one ListObjectsV2 page; *token gets the next page's
 * continuation token (empty when this was the last page). */
static int parse_list(wd_store_s3 *c, const s3_req *r, char ***keys, size_t *n, size_t *cap,
                      wd_buf *token, wd_error *err)
{
    const char *p = r->resp.data ? r->resp.data : "", *end = p + r->resp.len;
    if (!memmem(p, (size_t)(end - p), "<ListBucketResult", 17))
        return wd_err(err, WD_EIO, "checkpoint store %s: cannot list %s: unexpected answer", c->url,
                      r->name);
    size_t plen = strlen(c->prefix);
    wd_buf k = WD_BUF_INIT;
    const char *v, *next;
    size_t vl;
    int rc = 0;
    for (const char *q = p; (v = xml_find(q, end, "Key", &vl, &next)); q = next) {
        wd_buf_reset(&k);
        if (!xml_unescape(&k, v, vl)) {
            rc = wd_err(err, WD_EIO, "checkpoint store %s: cannot list %s: bad XML in a key",
                        c->url, r->name);
            break;
        }
        if (k.len < plen || memcmp(k.data, c->prefix, plen) != 0 || k.len == plen) continue;
        if (*n == *cap) {
            size_t nc = *cap ? *cap * 2 : 16;
            char **nk = wd_realloc(*keys, nc * sizeof *nk);
            if (!nk) {
                rc = wd_err(err, WD_ENOMEM, "out of memory");
                break;
            }
            *keys = nk;
            *cap = nc;
        }
        if (!((*keys)[*n] = wd_strndup(k.data + plen, k.len - plen))) {
            rc = wd_err(err, WD_ENOMEM, "out of memory");
            break;
        }
        (*n)++;
    }
    wd_buf_free(&k);
    wd_buf_reset(token);
    if (rc < 0) return rc;
    const char *t = xml_find(p, end, "IsTruncated", &vl, NULL);
    if (t && vl == 4 && memcmp(t, "true", 4) == 0) {
        const char *tok = xml_find(p, end, "NextContinuationToken", &vl, NULL);
        if (!tok || vl == 0 || !xml_unescape(token, tok, vl) || token->len == 0)
            return wd_err(err, WD_EIO,
                          "checkpoint store %s: cannot list %s: a truncated listing without a "
                          "continuation token",
                          c->url, r->name);
    }
    return 0;
}

int wd_store_s3_list(wd_store_s3 *c, const char *prefix, char ***keys, size_t *n, wd_error *err)
{
    *keys = NULL;
    *n = 0;
    size_t cap = 0;
    wd_buf u = WD_BUF_INIT, token = WD_BUF_INIT, full = WD_BUF_INIT;
    wd_buf_puts(&full, c->prefix);
    wd_buf_puts(&full, prefix);
    int rc = 0;
    for (;;) {
        /* parameters in canonical (sorted) order, values encoded */
        wd_buf_reset(&u);
        wd_buf_puts(&u, c->base);
        wd_buf_puts(&u, c->path_style ? "?" : "/?");
        if (token.len) {
            wd_buf_puts(&u, "continuation-token=");
            put_encoded(&u, token.data, token.len, false);
            wd_buf_putc(&u, '&');
        }
        wd_buf_puts(&u, "list-type=2&prefix=");
        put_encoded(&u, full.data ? full.data : "", full.len, false);
        s3_req r = {.method = "GET", .what = "list", .name = prefix[0] ? prefix : "keys",
                    .url = u.data, .resp = WD_BUF_INIT};
        rc = perform(c, &r, err);
        if (rc == 0 && r.status != 200) rc = http_error(c, &r, err);
        if (rc == 0) rc = parse_list(c, &r, keys, n, &cap, &token, err);
        wd_buf_free(&r.resp);
        if (rc < 0 || token.len == 0) break;
    }
    wd_buf_free(&u);
    wd_buf_free(&token);
    wd_buf_free(&full);
    if (rc < 0) {
        wd_store_keys_free(*keys, *n);
        *keys = NULL;
        *n = 0;
    }
    return rc;
}
