/*
 * json.c — the JSON-lines decoder (see json.h for the rules).
 *
 * The decoder is a single-pass scanner: it walks the bytes of one line and
 * writes each value straight into its column, guided by a tree of nodes
 * built once from the schema (one node per type position, with a field
 * lookup table per STRUCT).  No tree of the document is ever built.  Field
 * lookup tries "the field after the last one matched" first (keys usually
 * come in schema order), then an exact hash, then an ASCII-case-folded hash.
 *
 * The encoder lives in json_encode.c.
 *
 * Debezium change records (wd_json_decode_debezium) are read with the same
 * object decoder: the envelope is scanned once, and `before` / `after` are
 * decoded straight into row slots as they are met (see dbz_* below).
 *
 * Exports: wd_json_opts_from, wd_json_check_schema, wd_json_decoder_new,
 * wd_json_decoder_free, wd_json_decode, wd_json_decode_debezium,
 * wd_json_valid.
 */
#include "batch/json.h"
#include "common/buf.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/alloc.h"
#include "common/timeutil.h"
#include "connectors/connector.h"

#define JSON_MAX_NEST 256 /* nesting depth accepted in skipped/raw values */
#define PATH_MAX_DEPTH 32 /* path components kept for messages */

typedef unsigned __int128 u128;

/* ====================================================================== */
/* options                                                                 */
/* ====================================================================== */

int wd_json_opts_from(const struct wd_options *o, wd_json_opts *out, wd_error *err)
{
    wd_json_opts def = WD_JSON_OPTS_INIT;
    *out = def;
    if (!o) return 0;
    const char *v = wd_opt_get(o, "json.unstructured");
    if (v) {
        if (!strcasecmp(v, "true")) {
            out->unstructured = true;
        } else if (!strcasecmp(v, "false")) {
            out->unstructured = false;
        } else {
            wd_err(err, WD_EOPTION, "option 'json.unstructured': '%s' is not a boolean", v);
            wd_err_hint(err, "accepted values: true, false");
            return WD_EOPTION;
        }
    }
    v = wd_opt_get(o, "json.timestamp_format");
    if (v) {
        if (!strcasecmp(v, "rfc3339")) {
            out->ts_format = WD_JSON_TS_RFC3339;
        } else if (!strcasecmp(v, "unix_millis") || !strcasecmp(v, "unixmillis")) {
            out->ts_format = WD_JSON_TS_UNIX_MILLIS;
        } else if (!strcasecmp(v, "unix_seconds") || !strcasecmp(v, "unixseconds")) {
            out->ts_format = WD_JSON_TS_UNIX_SECONDS;
        } else if (!strcasecmp(v, "unix_micros") || !strcasecmp(v, "unixmicros")) {
            out->ts_format = WD_JSON_TS_UNIX_MICROS;
        } else if (!strcasecmp(v, "unix_nanos") || !strcasecmp(v, "unixnanos")) {
            out->ts_format = WD_JSON_TS_UNIX_NANOS;
        } else {
            wd_err(err, WD_EOPTION, "option 'json.timestamp_format': unknown format '%s'", v);
            wd_err_hint(err,
                        "accepted values: rfc3339, unix_millis, unix_seconds, unix_micros, "
                        "unix_nanos");
            return WD_EOPTION;
        }
    }
    return 0;
}

/* ====================================================================== */
/* decoder set-up                                                          */
/* ====================================================================== */

typedef struct jnode jnode;
struct jnode {
    const wd_type *t;
    jnode *elem;            /* LIST: the element node */
    jnode *kids;            /* STRUCT: one node per field */
    uint32_t nf;            /* STRUCT: fields read from JSON */
    const wd_field *fields; /* STRUCT */
    uint32_t *nlen;         /* STRUCT: strlen of each field name */
    uint16_t *hx, *hl;      /* exact / case-folded hash: field index + 1 */
    uint32_t mask;
    uint32_t *seen;         /* per field: gen of the object that set it */
    uint32_t gen;
};

struct wd_json_decoder {
    wd_arena arena;      /* nodes and tables */
    const wd_type *schema;
    wd_json_opts opts;
    jnode root;
    wd_buf scratch;      /* decoded keys and string values, number text */
    const char *path_name[PATH_MAX_DEPTH]; /* NULL: a list index */
    uint32_t path_idx[PATH_MAX_DEPTH];
    int depth;
    /* The retract array this decoder last allocated, for which batch, and
     * its room in rows (see retract_room). */
    const wd_batch *rt_batch;
    const uint8_t *rt;
    uint32_t rt_cap;
};

static inline uint32_t hash_exact(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

static inline uint8_t lower(uint8_t ch) { return (ch >= 'A' && ch <= 'Z') ? ch + 32 : ch; }

static inline uint32_t hash_fold(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ lower((uint8_t)s[i])) * 16777619u;
    return h;
}

/* nf: the STRUCT fields to read (the top level leaves out _timestamp). */
static void node_build(wd_json_decoder *d, jnode *nd, const wd_type *t, uint32_t nf)
{
    memset(nd, 0, sizeof *nd);
    nd->t = t;
    if (t->id == WD_T_LIST) {
        nd->elem = wd_arena_calloc(&d->arena, sizeof(jnode));
        node_build(d, nd->elem, t->elem, t->elem->nfields);
    } else if (t->id == WD_T_STRUCT) {
        nd->nf = nf;
        nd->fields = t->fields;
        nd->kids = wd_arena_calloc(&d->arena, sizeof(jnode) * (nf ? nf : 1));
        nd->nlen = wd_arena_calloc(&d->arena, sizeof(uint32_t) * (nf ? nf : 1));
        nd->seen = wd_arena_calloc(&d->arena, sizeof(uint32_t) * (nf ? nf : 1));
        uint32_t size = 8;
        while (size < nf * 2) size <<= 1;
        nd->mask = size - 1;
        nd->hx = wd_arena_calloc(&d->arena, sizeof(uint16_t) * size);
        nd->hl = wd_arena_calloc(&d->arena, sizeof(uint16_t) * size);
        for (uint32_t i = 0; i < nf; i++) {
            const char *name = t->fields[i].name ? t->fields[i].name : "";
            size_t n = strlen(name);
            nd->nlen[i] = (uint32_t)n;
            node_build(d, &nd->kids[i], t->fields[i].type, t->fields[i].type->nfields);
            uint32_t h = hash_exact(name, n) & nd->mask;
            while (nd->hx[h]) h = (h + 1) & nd->mask;
            nd->hx[h] = (uint16_t)(i + 1);
            /* case-folded: the first field wins among case-insensitive twins */
            h = hash_fold(name, n) & nd->mask;
            bool dup = false;
            while (nd->hl[h]) {
                uint32_t j = nd->hl[h] - 1u;
                if (nd->nlen[j] == n && !strncasecmp(t->fields[j].name, name, n)) dup = true;
                h = (h + 1) & nd->mask;
            }
            if (!dup) nd->hl[h] = (uint16_t)(i + 1);
        }
    }
}

int wd_json_check_schema(const wd_type *schema, const wd_json_opts *opts, wd_error *err)
{
    if (!schema || schema->id != WD_T_STRUCT || schema->nfields < 1)
        return wd_err(err, WD_ETYPE, "JSON decoding needs a batch schema");
    if (schema->nfields - 1 > 65000)
        return wd_err(err, WD_ETYPE, "too many fields for JSON decoding");
    if (opts && opts->unstructured) {
        if (schema->nfields != 2 || schema->fields[0].type->id != WD_T_JSON) {
            wd_err(err, WD_ETYPE,
                   "json.unstructured needs exactly one column, of type JSON (named 'value')");
            wd_err_hint(err, "declare the table as (value JSON)");
            return WD_ETYPE;
        }
    }
    return 0;
}

wd_json_decoder *wd_json_decoder_new(const wd_type *schema, const wd_json_opts *opts)
{
    if (wd_json_check_schema(schema, opts, NULL)) return NULL;
    wd_json_decoder *d = wd_calloc(1, sizeof *d);
    if (!d) return NULL;
    wd_arena_init(&d->arena, 4096);
    d->schema = schema;
    if (opts) {
        d->opts = *opts;
    } else {
        wd_json_opts def = WD_JSON_OPTS_INIT;
        d->opts = def;
    }
    node_build(d, &d->root, schema, schema->nfields - 1);
    wd_buf_reserve(&d->scratch, 256);
    return d;
}

void wd_json_decoder_free(wd_json_decoder *d)
{
    if (!d) return;
    wd_arena_free(&d->arena);
    wd_buf_free(&d->scratch);
    wd_free(d);
}

/* ====================================================================== */
/* scanner                                                                 */
/* ====================================================================== */

typedef struct jctx {
    const char *p, *end, *line;
    wd_json_decoder *d;
    wd_arena *a;
    wd_error *err;
} jctx;

/* The current value's path ("bid.price", "items[2].id") into out. */
static void path_format(const wd_json_decoder *d, char *out, size_t n)
{
    size_t len = 0;
    out[0] = 0;
    int depth = d->depth < PATH_MAX_DEPTH ? d->depth : PATH_MAX_DEPTH;
    for (int i = 0; i < depth && len + 1 < n; i++) {
        int w;
        if (d->path_name[i])
            w = snprintf(out + len, n - len, "%s%s", i ? "." : "", d->path_name[i]);
        else
            w = snprintf(out + len, n - len, "[%u]", d->path_idx[i]);
        if (w < 0) break;
        len += (size_t)w;
        if (len >= n) {
            len = n - 1;
            break;
        }
    }
}

static int jfail(jctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int jfail(jctx *c, const char *fmt, ...)
{
    if (!c->err || c->err->code) return WD_EDATA;
    char msg[320], path[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    path_format(c->d, path, sizeof path);
    if (path[0]) return wd_err(c->err, WD_EDATA, "field '%s': %s", path, msg);
    return wd_err(c->err, WD_EDATA, "%s", msg);
}

static int jsyntax(jctx *c, const char *what)
{
    if (c->p >= c->end) return jfail(c, "invalid JSON: %s (the line ends early)", what);
    return jfail(c, "invalid JSON at column %zu: %s", (size_t)(c->p - c->line) + 1, what);
}

static inline void path_push_name(wd_json_decoder *d, const char *name)
{
    if (d->depth < PATH_MAX_DEPTH) d->path_name[d->depth] = name;
    d->depth++;
}
static inline void path_push_idx(wd_json_decoder *d, uint32_t i)
{
    if (d->depth < PATH_MAX_DEPTH) {
        d->path_name[d->depth] = NULL;
        d->path_idx[d->depth] = i;
    }
    d->depth++;
}

static inline void skip_ws(jctx *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

/* SWAR: a byte of w is zero / has its high bit / is below 0x20. */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
static inline uint64_t has_zero(uint64_t w) { return (w - ONES) & ~w & HIGHS; }
static inline uint64_t has_byte(uint64_t w, uint8_t b) { return has_zero(w ^ (ONES * b)); }
static inline uint64_t has_less(uint64_t w, uint8_t n) { return (w - ONES * n) & ~w & HIGHS; }

static inline int hexval(char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

static int hex4(const char *p, const char *end, uint32_t *out)
{
    if (end - p < 4) return -1;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0) return -1;
        v = v << 4 | (uint32_t)h;
    }
    *out = v;
    return 0;
}

/* Length of a valid UTF-8 sequence at p (first byte >= 0x80), or 0. */
static size_t utf8_seq(const uint8_t *p, const uint8_t *end)
{
    uint8_t b0 = p[0];
    size_t avail = (size_t)(end - p);
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        return (avail >= 2 && (p[1] & 0xC0) == 0x80) ? 2 : 0;
    }
    if (b0 >= 0xE0 && b0 <= 0xEF) {
        if (avail < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0;
        if (b0 == 0xE0 && p[1] < 0xA0) return 0;  /* overlong */
        if (b0 == 0xED && p[1] >= 0xA0) return 0; /* surrogates */
        return 3;
    }
    if (b0 >= 0xF0 && b0 <= 0xF4) {
        if (avail < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
            (p[3] & 0xC0) != 0x80)
            return 0;
        if (b0 == 0xF0 && p[1] < 0x90) return 0; /* overlong */
        if (b0 == 0xF4 && p[1] >= 0x90) return 0; /* > U+10FFFF */
        return 4;
    }
    return 0;
}

/*
 * Scan a string at c->p (the opening quote): validate escapes, surrogate
 * pairs and UTF-8; leave c->p after the closing quote.  *s, *n: the raw
 * bytes between the quotes; *esc: whether they contain escapes.
 */
static int scan_string(jctx *c, const char **s, size_t *n, bool *esc)
{
    const char *p = c->p + 1, *end = c->end;
    bool e = false;
    for (;;) {
        while (end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            if ((w & HIGHS) | has_byte(w, '"') | has_byte(w, '\\') | has_less(w, 0x20)) break;
            p += 8;
        }
        if (p >= end) {
            c->p = end;
            return jsyntax(c, "unterminated string");
        }
        uint8_t ch = (uint8_t)*p;
        if (ch == '"') break;
        if (ch == '\\') {
            e = true;
            if (end - p < 2) {
                c->p = end;
                return jsyntax(c, "unterminated string");
            }
            char x = p[1];
            if (x == 'u') {
                uint32_t u;
                if (hex4(p + 2, end, &u)) {
                    c->p = p;
                    return jsyntax(c, "bad \\u escape in string");
                }
                p += 6;
                if (u >= 0xD800 && u <= 0xDBFF) {
                    uint32_t lo;
                    if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, end, &lo) ||
                        lo < 0xDC00 || lo > 0xDFFF) {
                        c->p = p;
                        return jsyntax(c, "unpaired surrogate in \\u escape");
                    }
                    p += 6;
                } else if (u >= 0xDC00 && u <= 0xDFFF) {
                    c->p = p - 6;
                    return jsyntax(c, "unpaired surrogate in \\u escape");
                }
                continue;
            }
            if (x == '"' || x == '\\' || x == '/' || x == 'b' || x == 'f' || x == 'n' ||
                x == 'r' || x == 't') {
                p += 2;
                continue;
            }
            c->p = p;
            return jsyntax(c, "bad escape in string");
        }
        if (ch < 0x20) {
            c->p = p;
            return jsyntax(c, "control character in string");
        }
        if (ch >= 0x80) {
            size_t k = utf8_seq((const uint8_t *)p, (const uint8_t *)end);
            if (!k) {
                c->p = p;
                return jsyntax(c, "invalid UTF-8 in string");
            }
            p += k;
            continue;
        }
        p++;
    }
    *s = c->p + 1;
    *n = (size_t)(p - (c->p + 1));
    *esc = e;
    c->p = p + 1;
    return 0;
}

/* Decode the escapes of a string scan_string validated; returns the length. */
static size_t unescape(const char *s, size_t n, char *out)
{
    const char *end = s + n;
    char *o = out;
    while (s < end) {
        const char *bs = memchr(s, '\\', (size_t)(end - s));
        if (!bs) {
            memcpy(o, s, (size_t)(end - s));
            o += end - s;
            break;
        }
        memcpy(o, s, (size_t)(bs - s));
        o += bs - s;
        s = bs + 1;
        char x = *s++;
        switch (x) {
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            uint32_t u = 0, lo = 0;
            hex4(s, end, &u);
            s += 4;
            if (u >= 0xD800 && u <= 0xDBFF) {
                hex4(s + 2, end, &lo);
                s += 6;
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
            }
            o += wd_utf8_put(u, o);
            break;
        }
        default: *o++ = x; break; /* " \ / */
        }
    }
    return (size_t)(o - out);
}

/* At '"' of an object key: the key (escapes resolved into the decoder's
 * scratch buffer when it has any) in *key / *klen. */
static int read_key(jctx *c, const char **key, size_t *klen)
{
    if (c->p >= c->end || *c->p != '"') return jsyntax(c, "expected a key");
    bool esc;
    int rc = scan_string(c, key, klen, &esc);
    if (rc || !esc) return rc;
    wd_buf *sb = &c->d->scratch;
    wd_buf_reset(sb);
    wd_buf_reserve(sb, *klen + 1);
    *klen = unescape(*key, *klen, sb->data);
    *key = sb->data;
    return 0;
}

/* A scanned JSON number. */
typedef struct jnum {
    const char *s, *e;  /* the token */
    bool neg;
    const char *ip;     /* integer digits */
    size_t il;
    const char *fp;     /* fraction digits */
    size_t fl;
    int64_t exp;        /* exponent, clamped to ±10^7 */
} jnum;

/* Parse a JSON number at p; returns its end, or NULL when it is not one. */
static const char *num_parse(const char *p, const char *end, jnum *n)
{
    memset(n, 0, sizeof *n);
    n->s = p;
    if (p < end && *p == '-') {
        n->neg = true;
        p++;
    }
    n->ip = p;
    if (p >= end || *p < '0' || *p > '9') return NULL;
    if (*p == '0') {
        p++;
    } else {
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    n->il = (size_t)(p - n->ip);
    if (p < end && *p == '.') {
        p++;
        n->fp = p;
        while (p < end && *p >= '0' && *p <= '9') p++;
        n->fl = (size_t)(p - n->fp);
        if (!n->fl) return NULL;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        bool eneg = false;
        if (p < end && (*p == '+' || *p == '-')) eneg = *p++ == '-';
        if (p >= end || *p < '0' || *p > '9') return NULL;
        int64_t ev = 0;
        while (p < end && *p >= '0' && *p <= '9') {
            if (ev < 10000000) ev = ev * 10 + (*p - '0');
            p++;
        }
        n->exp = eneg ? -ev : ev;
    }
    n->e = p;
    return p;
}

static inline int num_digit(const jnum *n, size_t i)
{
    return i < n->il ? n->ip[i] - '0' : n->fp[i - n->il] - '0';
}

static u128 pow10_u128(int k)
{
    u128 v = 1;
    while (k-- > 0) v *= 10;
    return v;
}

/*
 * The number times 10^scale, exactly, rounded half away from zero.
 * Returns 0, or -1 when the magnitude reaches 10^38.  *dropped: whether
 * non-zero digits were rounded away.
 */
static int num_to_dec(const jnum *n, int scale, wd_i128 *out, bool *dropped)
{
    static const u128 lim = (u128)10000000000000000000ULL * 10000000000000000000ULL;
    size_t total = n->il + n->fl;
    int64_t shift = n->exp - (int64_t)n->fl + scale;
    int64_t keep = (int64_t)total + shift;
    u128 v = 0;
    bool drop = false;
    int rdigit = 0;
    for (size_t i = 0; i < total; i++) {
        int dg = num_digit(n, i);
        if ((int64_t)i < keep) {
            if (v > (lim - 1 - (u128)dg) / 10) return -1;
            v = v * 10 + (u128)dg;
        } else {
            if ((int64_t)i == keep) rdigit = dg;
            if (dg) drop = true;
        }
    }
    if (shift > 0 && v) {
        for (int64_t k = 0; k < shift; k++) {
            if (v > (lim - 1) / 10) return -1;
            v *= 10;
        }
    }
    if (rdigit >= 5) {
        v += 1;
        if (v >= lim) return -1;
    }
    *dropped = drop;
    *out = n->neg ? -(wd_i128)v : (wd_i128)v;
    return 0;
}

/* The number as an exact integer: 0, 1 (not integral), -1 (too large). */
static int num_to_int(const jnum *n, wd_i128 *out)
{
    if (!n->fl && !n->exp && n->il <= 18) {
        int64_t v = 0;
        for (size_t i = 0; i < n->il; i++) v = v * 10 + (n->ip[i] - '0');
        *out = n->neg ? -v : v;
        return 0;
    }
    bool dropped;
    if (num_to_dec(n, 0, out, &dropped)) return -1;
    return dropped ? 1 : 0;
}

static const double p10d[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                              1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                              1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* The number as a double (correctly rounded); -1 when it overflows. */
static int num_to_double(const jnum *n, double *out)
{
    size_t total = n->il + n->fl;
    if (total <= 15) {
        uint64_t m = 0;
        for (size_t i = 0; i < total; i++) m = m * 10 + (uint64_t)num_digit(n, i);
        int64_t e10 = n->exp - (int64_t)n->fl;
        if (e10 >= -22 && e10 <= 22) {
            double v = (double)m;
            v = e10 < 0 ? v / p10d[-e10] : v * p10d[e10];
            *out = n->neg ? -v : v;
            return 0;
        }
    }
    /* strtod needs a NUL-terminated copy; numbers are short in practice */
    size_t len = (size_t)(n->e - n->s);
    char tmp[512];
    char *txt = len < sizeof tmp ? tmp : wd_malloc(len + 1);
    if (!txt) return -1;
    memcpy(txt, n->s, len);
    txt[len] = 0;
    double v = strtod(txt, NULL);
    if (txt != tmp) wd_free(txt);
    if (isinf(v)) return -1;
    *out = v;
    return 0;
}

/* Skip any JSON value at c->p (after white space), validating it. */
static int skip_value(jctx *c, int depth)
{
    skip_ws(c);
    if (c->p >= c->end) return jsyntax(c, "expected a value");
    if (depth > JSON_MAX_NEST) return jsyntax(c, "nested too deeply");
    const char *s;
    size_t n;
    bool esc;
    int rc;
    switch (*c->p) {
    case '"':
        return scan_string(c, &s, &n, &esc);
    case '{':
        c->p++;
        skip_ws(c);
        if (c->p < c->end && *c->p == '}') {
            c->p++;
            return 0;
        }
        for (;;) {
            skip_ws(c);
            if (c->p >= c->end || *c->p != '"') return jsyntax(c, "expected a key");
            if ((rc = scan_string(c, &s, &n, &esc))) return rc;
            skip_ws(c);
            if (c->p >= c->end || *c->p != ':') return jsyntax(c, "expected ':'");
            c->p++;
            if ((rc = skip_value(c, depth + 1))) return rc;
            skip_ws(c);
            if (c->p < c->end && *c->p == ',') {
                c->p++;
                continue;
            }
            if (c->p < c->end && *c->p == '}') {
                c->p++;
                return 0;
            }
            return jsyntax(c, "expected ',' or '}'");
        }
    case '[':
        c->p++;
        skip_ws(c);
        if (c->p < c->end && *c->p == ']') {
            c->p++;
            return 0;
        }
        for (;;) {
            if ((rc = skip_value(c, depth + 1))) return rc;
            skip_ws(c);
            if (c->p < c->end && *c->p == ',') {
                c->p++;
                continue;
            }
            if (c->p < c->end && *c->p == ']') {
                c->p++;
                return 0;
            }
            return jsyntax(c, "expected ',' or ']'");
        }
    case 't':
        if (c->end - c->p >= 4 && !memcmp(c->p, "true", 4)) {
            c->p += 4;
            return 0;
        }
        return jsyntax(c, "unexpected characters");
    case 'f':
        if (c->end - c->p >= 5 && !memcmp(c->p, "false", 5)) {
            c->p += 5;
            return 0;
        }
        return jsyntax(c, "unexpected characters");
    case 'n':
        if (c->end - c->p >= 4 && !memcmp(c->p, "null", 4)) {
            c->p += 4;
            return 0;
        }
        return jsyntax(c, "unexpected characters");
    default: {
        jnum num;
        const char *e = num_parse(c->p, c->end, &num);
        if (!e) return jsyntax(c, "unexpected characters");
        c->p = e;
        return 0;
    }
    }
}

bool wd_json_valid(const char *s, size_t n)
{
    wd_json_decoder d;
    memset(&d, 0, sizeof d);
    jctx c = {s, s + n, s, &d, NULL, NULL};
    if (skip_value(&c, 0)) {
        wd_buf_free(&d.scratch);
        return false;
    }
    skip_ws(&c);
    wd_buf_free(&d.scratch);
    return c.p == c.end;
}

/* ====================================================================== */
/* typed decoding                                                          */
/* ====================================================================== */

static inline void set_valid(wd_col *col, uint32_t pos)
{
    if (col->valid) col->valid[pos] = 1;
}

static void ensure_cap(wd_col *col, uint32_t pos, wd_arena *a)
{
    if (pos < col->cap) return;
    uint32_t ncap = col->cap < 16 ? 16 : col->cap * 2;
    if (ncap <= pos) ncap = pos + 1;
    wd_col_reserve(col, ncap, a);
}

/* Row pos of col is NULL; nested fields too, nested lists empty. */
static void put_null(wd_col *col, uint32_t pos, wd_arena *a)
{
    wd_col_set_null(col, pos, a);
    if (col->type->id == WD_T_STRUCT) {
        for (uint32_t i = 0; i < col->type->nfields; i++) put_null(&col->child[i], pos, a);
    } else if (col->type->id == WD_T_LIST) {
        uint32_t *off = col->data;
        if (pos == 0) off[0] = 0;
        off[pos + 1] = off[pos];
    }
}

/* "expected X, found Y": Y is the value at start (skipped to find its end). */
static int mismatch(jctx *c, const char *start, const char *want)
{
    c->p = start;
    int rc = skip_value(c, 0);
    if (rc) return rc;
    if (*start == '{') return jfail(c, "expected %s, found an object", want);
    if (*start == '[') return jfail(c, "expected %s, found an array", want);
    size_t n = (size_t)(c->p - start);
    if (n > 48) return jfail(c, "expected %s, found %.40s...", want, start);
    return jfail(c, "expected %s, found %.*s", want, (int)n, start);
}

static int out_of_range(jctx *c, const char *start, const char *end, const wd_type *t)
{
    size_t n = (size_t)(end - start);
    if (n > 48) return jfail(c, "%.40s... is out of range for %s", start, wd_type_name(t));
    return jfail(c, "%.*s is out of range for %s", (int)n, start, wd_type_name(t));
}

/*
 * A string value's text at c->p: raw bytes when it has no escapes, else
 * decoded into the scratch buffer.  *start: the opening quote.
 */
static int string_text(jctx *c, const char **s, size_t *n)
{
    bool esc;
    int rc = scan_string(c, s, n, &esc);
    if (rc || !esc) return rc;
    wd_buf *sb = &c->d->scratch;
    wd_buf_reset(sb);
    wd_buf_reserve(sb, *n + 1);
    *n = unescape(*s, *n, sb->data);
    *s = sb->data;
    return 0;
}

/* A number, or a string that holds exactly one, at c->p. */
static int number_or_string(jctx *c, jnum *num, bool *from_string)
{
    *from_string = false;
    if (*c->p == '"') {
        const char *s;
        size_t n;
        int rc = string_text(c, &s, &n);
        if (rc) return rc;
        /* copy out of the line/scratch: num points into it */
        if (!n || num_parse(s, s + n, num) != s + n) return 1;
        *from_string = true;
        return 0;
    }
    const char *e = num_parse(c->p, c->end, num);
    if (!e) return 1;
    c->p = e;
    return 0;
}

static int decode_int(jctx *c, const wd_type *t, wd_col *col, uint32_t pos)
{
    const char *start = c->p;
    jnum num;
    bool fs;
    int rc = number_or_string(c, &num, &fs);
    if (rc < 0) return rc;
    if (rc > 0) return mismatch(c, start, "an integer");
    wd_i128 v;
    rc = num_to_int(&num, &v);
    if (rc > 0) return mismatch(c, start, "an integer");
    if (rc < 0) return out_of_range(c, start, c->p, t);
    wd_i128 lo, hi;
    switch (t->id) {
    case WD_T_INT16: lo = INT16_MIN; hi = INT16_MAX; break;
    case WD_T_INT32: lo = INT32_MIN; hi = INT32_MAX; break;
    case WD_T_INT64: lo = INT64_MIN; hi = INT64_MAX; break;
    case WD_T_UINT16: lo = 0; hi = UINT16_MAX; break;
    case WD_T_UINT32: lo = 0; hi = UINT32_MAX; break;
    default: lo = 0; hi = UINT64_MAX; break;
    }
    if (v < lo || v > hi) return out_of_range(c, start, c->p, t);
    switch (t->id) {
    case WD_T_INT16: WD_COL_VALS(col, int16_t)[pos] = (int16_t)v; break;
    case WD_T_INT32: WD_COL_VALS(col, int32_t)[pos] = (int32_t)v; break;
    case WD_T_INT64: WD_COL_VALS(col, int64_t)[pos] = (int64_t)v; break;
    case WD_T_UINT16: WD_COL_VALS(col, uint16_t)[pos] = (uint16_t)v; break;
    case WD_T_UINT32: WD_COL_VALS(col, uint32_t)[pos] = (uint32_t)v; break;
    default: WD_COL_VALS(col, uint64_t)[pos] = (uint64_t)v; break;
    }
    set_valid(col, pos);
    return 0;
}

static int decode_float(jctx *c, const wd_type *t, wd_col *col, uint32_t pos)
{
    const char *start = c->p;
    double v;
    if (*c->p == '"') {
        const char *s;
        size_t n;
        int rc = string_text(c, &s, &n);
        if (rc) return rc;
        jnum num;
        if (n == 3 && !memcmp(s, "NaN", 3)) {
            v = NAN;
        } else if (n == 8 && !memcmp(s, "Infinity", 8)) {
            v = INFINITY;
        } else if (n == 9 && !memcmp(s, "-Infinity", 9)) {
            v = -INFINITY;
        } else if (n && num_parse(s, s + n, &num) == s + n) {
            if (num_to_double(&num, &v)) return out_of_range(c, start, c->p, t);
        } else {
            return mismatch(c, start, "a number");
        }
    } else {
        jnum num;
        const char *e = num_parse(c->p, c->end, &num);
        if (!e) return mismatch(c, start, "a number");
        c->p = e;
        if (num_to_double(&num, &v)) return out_of_range(c, start, c->p, t);
    }
    if (t->id == WD_T_FLOAT32) {
        if (isfinite(v) && fabs(v) > FLT_MAX) return out_of_range(c, start, c->p, t);
        WD_COL_VALS(col, float)[pos] = (float)v;
    } else {
        WD_COL_VALS(col, double)[pos] = v;
    }
    set_valid(col, pos);
    return 0;
}

static int decode_decimal(jctx *c, const wd_type *t, wd_col *col, uint32_t pos)
{
    const char *start = c->p;
    jnum num;
    bool fs;
    int rc = number_or_string(c, &num, &fs);
    if (rc < 0) return rc;
    if (rc > 0) return mismatch(c, start, "a decimal number");
    wd_i128 v;
    bool dropped;
    if (num_to_dec(&num, t->scale, &v, &dropped)) return out_of_range(c, start, c->p, t);
    u128 mag = v < 0 ? (u128)(-v) : (u128)v;
    if (mag >= pow10_u128(t->precision ? t->precision : 38))
        return out_of_range(c, start, c->p, t);
    WD_COL_VALS(col, wd_i128)[pos] = v;
    set_valid(col, pos);
    return 0;
}

static int ts_from_number(jctx *c, const jnum *num, int64_t *out)
{
    int64_t mult;
    switch (c->d->opts.ts_format) {
    case WD_JSON_TS_UNIX_SECONDS: mult = WD_NS_PER_SEC; break;
    case WD_JSON_TS_UNIX_MICROS: mult = WD_NS_PER_US; break;
    case WD_JSON_TS_UNIX_NANOS: mult = 1; break;
    default: mult = WD_NS_PER_MS; break;
    }
    wd_i128 v;
    int rc = num_to_int(num, &v);
    if (rc == 0) {
        if (v > INT64_MAX / mult || v < INT64_MIN / mult) return -1;
        *out = (int64_t)v * mult;
        return 0;
    }
    if (rc < 0) return -1;
    /* a fraction: exact to the nanosecond via the decimal path */
    int digits = mult == WD_NS_PER_SEC ? 9 : mult == WD_NS_PER_MS ? 6 : mult == WD_NS_PER_US ? 3 : 0;
    bool dropped;
    if (num_to_dec(num, digits, &v, &dropped)) return -1;
    if (v > INT64_MAX || v < INT64_MIN) return -1;
    *out = (int64_t)v;
    return 0;
}

static int decode_timestamp(jctx *c, const wd_type *t, wd_col *col, uint32_t pos)
{
    const char *start = c->p;
    int64_t ns;
    if (*c->p == '"') {
        const char *s;
        size_t n;
        int rc = string_text(c, &s, &n);
        if (rc) return rc;
        if (wd_ts_parse(s, n, &ns)) return mismatch(c, start, "an RFC 3339 timestamp");
    } else {
        jnum num;
        const char *e = num_parse(c->p, c->end, &num);
        if (!e) return mismatch(c, start, "a timestamp");
        c->p = e;
        if (ts_from_number(c, &num, &ns)) return out_of_range(c, start, c->p, t);
    }
    WD_COL_VALS(col, int64_t)[pos] = ns;
    set_valid(col, pos);
    return 0;
}

static int decode_date(jctx *c, const wd_type *t, wd_col *col, uint32_t pos)
{
    const char *start = c->p;
    int32_t days;
    if (*c->p == '"') {
        const char *s;
        size_t n;
        int rc = string_text(c, &s, &n);
        if (rc) return rc;
        if (wd_date_parse(s, n, &days)) return mismatch(c, start, "a date (YYYY-MM-DD)");
    } else {
        jnum num;
        const char *e = num_parse(c->p, c->end, &num);
        if (!e) return mismatch(c, start, "a date");
        c->p = e;
        wd_i128 v;
        int rc = num_to_int(&num, &v);
        if (rc > 0) return mismatch(c, start, "a date");
        if (rc < 0 || v < INT32_MIN || v > INT32_MAX) return out_of_range(c, start, c->p, t);
        days = (int32_t)v;
    }
    WD_COL_VALS(col, int32_t)[pos] = days;
    set_valid(col, pos);
    return 0;
}

static int decode_interval(jctx *c, const wd_type *t, wd_col *col, uint32_t pos)
{
    const char *start = c->p;
    if (*c->p != '"') return mismatch(c, start, "an interval string");
    const char *s;
    size_t n;
    int rc = string_text(c, &s, &n);
    if (rc) return rc;
    wd_interval iv;
    if (wd_interval_parse(s, n, NULL, &iv)) return mismatch(c, start, "an interval");
    WD_COL_VALS(col, wd_interval)[pos] = iv;
    set_valid(col, pos);
    return 0;
}

static int decode_text(jctx *c, wd_col *col, uint32_t pos)
{
    const char *start = c->p;
    wd_str v;
    if (*c->p == '"') {
        const char *s;
        size_t n;
        bool esc;
        int rc = scan_string(c, &s, &n, &esc);
        if (rc) return rc;
        if (n > UINT32_MAX) return jfail(c, "string too long");
        if (!n) {
            v = wd_str_make("", 0);
        } else if (!esc) {
            v = wd_str_copy(c->a, s, n);
        } else {
            char *dst = wd_arena_alloc(c->a, n);
            v = wd_str_make(dst, (uint32_t)unescape(s, n, dst));
        }
    } else if (*c->p == '{' || *c->p == '[' || *c->p == 'n') {
        return mismatch(c, start, "a string");
    } else {
        /* numbers and booleans: their JSON text */
        int rc = skip_value(c, 0);
        if (rc) return rc;
        v = wd_str_copy(c->a, start, (size_t)(c->p - start));
    }
    WD_COL_VALS(col, wd_str)[pos] = v;
    set_valid(col, pos);
    return 0;
}

static int b64val(uint8_t ch)
{
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+' || ch == '-') return 62;
    if (ch == '/' || ch == '_') return 63;
    return -1;
}

/* Base64 (either alphabet, padding optional) into out; length or -1. */
static long b64_decode(const char *s, size_t n, uint8_t *out)
{
    while (n && s[n - 1] == '=') n--;
    if (n % 4 == 1) return -1;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64val((uint8_t)s[i]);
        if (v < 0) return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    return (long)o;
}

static int decode_bytes(jctx *c, wd_col *col, uint32_t pos)
{
    const char *start = c->p;
    wd_str v;
    if (*c->p == '"') {
        const char *s;
        size_t n;
        int rc = string_text(c, &s, &n);
        if (rc) return rc;
        if (n > UINT32_MAX) return jfail(c, "string too long");
        uint8_t *dst = n ? wd_arena_alloc(c->a, n) : NULL;
        long len = n ? b64_decode(s, n, dst) : 0;
        if (len < 0) return mismatch(c, start, "base64 text");
        v = wd_str_make(len ? (const char *)dst : "", (uint32_t)len);
    } else if (*c->p == '[') {
        /* an array of byte values: count first, then fill */
        int rc = skip_value(c, 0);
        if (rc) return rc;
        size_t cap = (size_t)(c->p - start) / 2 + 1;
        uint8_t *dst = wd_arena_alloc(c->a, cap);
        size_t len = 0;
        const char *q = start + 1, *end = c->p;
        jctx sub = *c;
        sub.p = q;
        sub.end = end;
        for (;;) {
            skip_ws(&sub);
            if (sub.p >= end || *sub.p == ']') break;
            jnum num;
            const char *e = num_parse(sub.p, end, &num);
            wd_i128 b;
            if (!e || num_to_int(&num, &b) || b < 0 || b > 255)
                return mismatch(c, start, "base64 text or an array of bytes");
            dst[len++] = (uint8_t)b;
            sub.p = e;
            skip_ws(&sub);
            if (sub.p < end && *sub.p == ',') sub.p++;
        }
        v = wd_str_make(len ? (const char *)dst : "", (uint32_t)len);
    } else {
        return mismatch(c, start, "base64 text");
    }
    WD_COL_VALS(col, wd_str)[pos] = v;
    set_valid(col, pos);
    return 0;
}

static int decode_json_raw(jctx *c, wd_col *col, uint32_t pos)
{
    const char *start = c->p;
    int rc = skip_value(c, 0);
    if (rc) return rc;
    size_t n = (size_t)(c->p - start);
    if (n > UINT32_MAX) return jfail(c, "value too long");
    WD_COL_VALS(col, wd_str)[pos] = wd_str_copy(c->a, start, n);
    set_valid(col, pos);
    return 0;
}

static int decode_value(jctx *c, jnode *nd, wd_col *col, uint32_t pos);

/* Find field key[0..n) of nd: expected index first, exact, then folded. */
static inline int lookup(const jnode *nd, const char *key, size_t n, uint32_t expect)
{
    if (expect < nd->nf && nd->nlen[expect] == n && !memcmp(nd->fields[expect].name, key, n))
        return (int)expect;
    uint32_t h = hash_exact(key, n) & nd->mask;
    while (nd->hx[h]) {
        uint32_t i = nd->hx[h] - 1u;
        if (nd->nlen[i] == n && !memcmp(nd->fields[i].name, key, n)) return (int)i;
        h = (h + 1) & nd->mask;
    }
    h = hash_fold(key, n) & nd->mask;
    while (nd->hl[h]) {
        uint32_t i = nd->hl[h] - 1u;
        if (nd->nlen[i] == n && !strncasecmp(nd->fields[i].name, key, n)) return (int)i;
        h = (h + 1) & nd->mask;
    }
    return -1;
}

/* An object at c->p into fields cols[0..nd->nf) at row pos. */
static int decode_object(jctx *c, jnode *nd, wd_col *cols, uint32_t pos)
{
    c->p++; /* '{' */
    uint32_t gen = ++nd->gen;
    if (gen == 0) {
        memset(nd->seen, 0, sizeof(uint32_t) * nd->nf);
        gen = nd->gen = 1;
    }
    uint32_t expect = 0;
    int rc;
    skip_ws(c);
    if (c->p < c->end && *c->p == '}') {
        c->p++;
    } else {
        for (;;) {
            skip_ws(c);
            const char *key;
            size_t klen;
            if ((rc = read_key(c, &key, &klen))) return rc;
            int fi = lookup(nd, key, klen, expect);
            skip_ws(c);
            if (c->p >= c->end || *c->p != ':') return jsyntax(c, "expected ':'");
            c->p++;
            if (fi < 0) {
                rc = skip_value(c, 0);
            } else {
                path_push_name(c->d, nd->fields[fi].name);
                rc = decode_value(c, &nd->kids[fi], &cols[fi], pos);
                if (rc == 1) {
                    rc = nd->fields[fi].nullable ? 0 : jfail(c, "null for a NOT NULL field");
                }
                c->d->depth--;
                nd->seen[fi] = gen;
                expect = (uint32_t)fi + 1;
            }
            if (rc) return rc;
            skip_ws(c);
            if (c->p < c->end && *c->p == ',') {
                c->p++;
                continue;
            }
            if (c->p < c->end && *c->p == '}') {
                c->p++;
                break;
            }
            return jsyntax(c, "expected ',' or '}'");
        }
    }
    for (uint32_t i = 0; i < nd->nf; i++) {
        if (nd->seen[i] == gen) continue;
        if (!nd->fields[i].nullable) {
            if (!c->err || c->err->code) return WD_EDATA;
            char path[160];
            path_push_name(c->d, nd->fields[i].name);
            path_format(c->d, path, sizeof path);
            c->d->depth--;
            return wd_err(c->err, WD_EDATA, "missing field '%s'", path);
        }
        put_null(&cols[i], pos, c->a);
    }
    return 0;
}

static int decode_list(jctx *c, jnode *nd, wd_col *col, uint32_t pos)
{
    uint32_t *off = col->data;
    if (pos == 0) off[0] = 0;
    uint32_t k = off[pos], first = k;
    wd_col *ch = col->child;
    c->p++; /* '[' */
    skip_ws(c);
    if (c->p < c->end && *c->p == ']') {
        c->p++;
    } else {
        for (;;) {
            if (k == UINT32_MAX) return jfail(c, "list too long");
            ensure_cap(ch, k, c->a);
            path_push_idx(c->d, k - first);
            int rc = decode_value(c, nd->elem, ch, k);
            c->d->depth--;
            if (rc < 0) return rc;
            k++;
            skip_ws(c);
            if (c->p < c->end && *c->p == ',') {
                c->p++;
                continue;
            }
            if (c->p < c->end && *c->p == ']') {
                c->p++;
                break;
            }
            return jsyntax(c, "expected ',' or ']'");
        }
    }
    off = col->data; /* (offsets do not move, but be safe after reserves) */
    off[pos + 1] = k;
    ch->len = k;
    set_valid(col, pos);
    return 0;
}

/* One value into col row pos.  Returns 0, 1 when it was JSON null (the row
 * is set NULL), or a negative error. */
static int decode_value(jctx *c, jnode *nd, wd_col *col, uint32_t pos)
{
    skip_ws(c);
    if (c->p >= c->end) return jsyntax(c, "expected a value");
    char ch = *c->p;
    if (ch == 'n') {
        if (c->end - c->p >= 4 && !memcmp(c->p, "null", 4)) {
            c->p += 4;
            put_null(col, pos, c->a);
            return 1;
        }
        return jsyntax(c, "unexpected characters");
    }
    const wd_type *t = nd->t;
    switch (t->id) {
    case WD_T_BOOL: {
        const char *start = c->p;
        bool v;
        if (ch == 't' && c->end - c->p >= 4 && !memcmp(c->p, "true", 4)) {
            c->p += 4;
            v = true;
        } else if (ch == 'f' && c->end - c->p >= 5 && !memcmp(c->p, "false", 5)) {
            c->p += 5;
            v = false;
        } else if (ch == '"') {
            const char *s;
            size_t n;
            int rc = string_text(c, &s, &n);
            if (rc) return rc;
            if (n == 4 && !strncasecmp(s, "true", 4))
                v = true;
            else if (n == 5 && !strncasecmp(s, "false", 5))
                v = false;
            else
                return mismatch(c, start, "a boolean");
        } else {
            return mismatch(c, start, "a boolean");
        }
        WD_COL_VALS(col, uint8_t)[pos] = v;
        set_valid(col, pos);
        return 0;
    }
    case WD_T_INT16:
    case WD_T_INT32:
    case WD_T_INT64:
    case WD_T_UINT16:
    case WD_T_UINT32:
    case WD_T_UINT64:
        return decode_int(c, t, col, pos);
    case WD_T_FLOAT32:
    case WD_T_FLOAT64:
        return decode_float(c, t, col, pos);
    case WD_T_DECIMAL:
        return decode_decimal(c, t, col, pos);
    case WD_T_TEXT:
        return decode_text(c, col, pos);
    case WD_T_BYTES:
        return decode_bytes(c, col, pos);
    case WD_T_TIMESTAMP:
        return decode_timestamp(c, t, col, pos);
    case WD_T_DATE:
        return decode_date(c, t, col, pos);
    case WD_T_INTERVAL:
        return decode_interval(c, t, col, pos);
    case WD_T_JSON:
        return decode_json_raw(c, col, pos);
    case WD_T_STRUCT: {
        if (ch != '{') return mismatch(c, c->p, "an object");
        int rc = decode_object(c, nd, col->child, pos);
        if (rc) return rc;
        set_valid(col, pos);
        return 0;
    }
    case WD_T_LIST:
        if (ch != '[') return mismatch(c, c->p, "an array");
        return decode_list(c, nd, col, pos);
    default: {
        /* NULL-typed column: only null fits */
        return mismatch(c, c->p, "null");
    }
    }
}

/*
 * Make b->retract hold flags for rows [0, rows), allocating it when absent
 * (the rows before b->nrows are then inserts, 0).  An array this decoder did
 * not allocate for b has unknown room: it is replaced by a copy of its
 * first b->nrows flags.  The room follows the columns' capacity so that
 * growth is amortised.  Returns 0 or WD_ENOMEM.
 */
static int retract_room(wd_json_decoder *d, wd_batch *b, uint32_t rows, wd_error *err)
{
    if (b->retract && b->retract == d->rt && b == d->rt_batch && rows <= d->rt_cap) return 0;
    uint32_t cap = b->cols[wd_schema_ts_index(b->schema)].cap; /* >= rows: reserved */
    if (cap < rows) cap = rows;
    uint8_t *r = wd_batch_alloc(b, cap);
    if (!r) return wd_err(err, WD_ENOMEM, "out of memory for retraction flags");
    if (b->retract)
        memcpy(r, b->retract, b->nrows);
    else
        memset(r, 0, b->nrows);
    b->retract = r;
    d->rt = r;
    d->rt_batch = b;
    d->rt_cap = cap;
    return 0;
}

int wd_json_decode(wd_json_decoder *d, const char *line, size_t n, wd_batch *b, wd_error *err)
{
    jctx c = {line, line + n, line, d, &b->arena, err};
    d->depth = 0;
    uint32_t row = b->nrows;
    if (row == UINT32_MAX) return wd_err(err, WD_EDATA, "batch full");
    for (uint32_t i = 0; i < b->schema->nfields; i++) ensure_cap(&b->cols[i], row, &b->arena);
    skip_ws(&c);
    if (c.p >= c.end) return wd_err(err, WD_EDATA, "empty line: expected a JSON object");
    int rc;
    if (d->opts.unstructured) {
        rc = decode_json_raw(&c, &b->cols[0], row);
        if (rc) return rc;
    } else {
        if (*c.p != '{') {
            const char *start = c.p;
            if ((rc = skip_value(&c, 0))) return rc;
            size_t len = (size_t)(c.p - start);
            return wd_err(err, WD_EDATA, "expected a JSON object, found %.*s%s",
                          (int)(len > 40 ? 40 : len), start, len > 40 ? "..." : "");
        }
        rc = decode_object(&c, &d->root, b->cols, row);
        if (rc) return rc;
    }
    skip_ws(&c);
    if (c.p != c.end) return jsyntax(&c, "unexpected characters after the JSON value");
    if (b->retract) {
        /* a batch that already carries retractions: this row is an insert */
        if ((rc = retract_room(d, b, row + 1, err))) return rc;
        b->retract[row] = 0;
    }
    b->nrows = row + 1;
    return 0;
}

/* ====================================================================== */
/* Debezium change records                                                 */
/* ====================================================================== */

/*
 * The envelope is scanned once.  `before` and `after` objects are decoded
 * into row slots in the order they are met (slot 0 is row b->nrows, slot 1
 * the next), since `op` usually comes after them.  When the slots do not
 * end up in the order the op needs (retraction first, then insert), or a
 * key was repeated, the wanted objects are decoded again from their
 * recorded spans, in row order (list offsets are written row after row).
 */

enum { DBZ_BEFORE = 0, DBZ_AFTER = 1 };

typedef struct dbz_part {
    const char *s, *e; /* the object's text; s == NULL: absent or null */
    int slot;          /* the slot it was decoded into, or -1 */
} dbz_part;

typedef struct dbz_rec {
    dbz_part part[2]; /* before, after */
    char op;          /* 'c', 'r', 'u', 'd'; 0 when absent */
    int nslots;       /* slots decoded so far */
    bool redo;        /* decode the wanted parts again from their spans */
} dbz_rec;

static const char *const dbz_names[2] = {"before", "after"};

/* The object at c->p into row pos (the part's name is on the path). */
static int dbz_decode_into(jctx *c, wd_batch *b, uint32_t pos)
{
    for (uint32_t i = 0; i < b->schema->nfields; i++) ensure_cap(&b->cols[i], pos, &b->arena);
    if (c->d->opts.unstructured) return decode_json_raw(c, &b->cols[0], pos);
    return decode_object(c, &c->d->root, b->cols, pos);
}

/* The value of key `before` or `after` at c->p. */
static int dbz_part_read(jctx *c, wd_batch *b, uint32_t row, dbz_rec *r, int which)
{
    dbz_part *pt = &r->part[which];
    int rc = 0;
    path_push_name(c->d, dbz_names[which]);
    if (*c->p == 'n' && c->end - c->p >= 4 && !memcmp(c->p, "null", 4)) {
        c->p += 4;
        if (pt->slot >= 0) r->redo = true; /* a repeated key emptied a slot */
        pt->s = NULL;
        pt->slot = -1;
    } else if (*c->p != '{') {
        rc = mismatch(c, c->p, "an object or null");
    } else {
        const char *start = c->p;
        if (pt->s || r->nslots >= 2) {
            /* a repeated key: the last one counts; check it, decode it later */
            rc = skip_value(c, 0);
            r->redo = true;
            pt->slot = -1;
        } else {
            rc = dbz_decode_into(c, b, row + (uint32_t)r->nslots);
            pt->slot = r->nslots++;
        }
        pt->s = start;
        pt->e = c->p;
    }
    c->d->depth--;
    return rc;
}

/* The value of key `op` at c->p. */
static int dbz_op_read(jctx *c, dbz_rec *r)
{
    const char *start = c->p;
    int rc;
    path_push_name(c->d, "op");
    if (*c->p != '"') {
        rc = mismatch(c, start, "\"c\", \"r\", \"u\" or \"d\"");
    } else {
        const char *s;
        size_t n;
        rc = string_text(c, &s, &n);
        if (!rc) {
            if (n == 1 && (s[0] == 'c' || s[0] == 'r' || s[0] == 'u' || s[0] == 'd'))
                r->op = s[0];
            else
                rc = jfail(c, "unknown operation %.*s%s (expected \"c\", \"r\", \"u\" or \"d\")",
                           (int)(c->p - start > 24 ? 24 : c->p - start), start,
                           c->p - start > 24 ? "..." : "");
        }
    }
    c->d->depth--;
    return rc;
}

static bool key_is(const char *key, size_t n, const char *name)
{
    return strlen(name) == n && !memcmp(key, name, n);
}

/* The record object at c->p ('{'); depth 1 inside "payload". */
static int dbz_object(jctx *c, wd_batch *b, uint32_t row, dbz_rec *r, int depth)
{
    int rc;
    c->p++;
    skip_ws(c);
    if (c->p < c->end && *c->p == '}') {
        c->p++;
        return 0;
    }
    for (;;) {
        skip_ws(c);
        const char *key;
        size_t klen;
        if ((rc = read_key(c, &key, &klen))) return rc;
        skip_ws(c);
        if (c->p >= c->end || *c->p != ':') return jsyntax(c, "expected ':'");
        c->p++;
        skip_ws(c);
        if (c->p >= c->end) return jsyntax(c, "expected a value");
        if (key_is(key, klen, "before"))
            rc = dbz_part_read(c, b, row, r, DBZ_BEFORE);
        else if (key_is(key, klen, "after"))
            rc = dbz_part_read(c, b, row, r, DBZ_AFTER);
        else if (key_is(key, klen, "op"))
            rc = dbz_op_read(c, r);
        else if (depth == 0 && *c->p == '{' && key_is(key, klen, "payload"))
            rc = dbz_object(c, b, row, r, 1);
        else
            rc = skip_value(c, 0);
        if (rc) return rc;
        skip_ws(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (c->p < c->end && *c->p == '}') {
            c->p++;
            return 0;
        }
        return jsyntax(c, "expected ',' or '}'");
    }
}

int wd_json_decode_debezium(wd_json_decoder *d, const char *line, size_t n, wd_batch *b,
                            wd_error *err)
{
    jctx c = {line, line + n, line, d, &b->arena, err};
    d->depth = 0;
    uint32_t row = b->nrows;
    if (row >= UINT32_MAX - 2) return wd_err(err, WD_EDATA, "batch full");
    skip_ws(&c);
    if (c.p >= c.end) return wd_err(err, WD_EDATA, "empty line: expected a Debezium JSON object");
    int rc;
    if (*c.p != '{') {
        const char *start = c.p;
        if ((rc = skip_value(&c, 0))) return rc;
        size_t len = (size_t)(c.p - start);
        return wd_err(err, WD_EDATA, "expected a Debezium JSON object, found %.*s%s",
                      (int)(len > 40 ? 40 : len), start, len > 40 ? "..." : "");
    }
    dbz_rec r = {{{NULL, NULL, -1}, {NULL, NULL, -1}}, 0, 0, false};
    if ((rc = dbz_object(&c, b, row, &r, 0))) return rc;
    skip_ws(&c);
    if (c.p != c.end) return jsyntax(&c, "unexpected characters after the JSON value");
    if (!r.op) return wd_err(err, WD_EDATA, "Debezium record without \"op\"");

    /* The rows the op makes, in order: a retraction of before, an insert
     * of after. */
    int want[2];
    uint8_t retr[2];
    uint32_t k = 0;
    const dbz_part *bef = &r.part[DBZ_BEFORE], *aft = &r.part[DBZ_AFTER];
    if (r.op == 'd') {
        if (!bef->s) return wd_err(err, WD_EDATA, "Debezium record with op \"d\" has no \"before\"");
        want[k] = DBZ_BEFORE;
        retr[k++] = 1;
    } else {
        if (!aft->s)
            return wd_err(err, WD_EDATA, "Debezium record with op \"%c\" has no \"after\"", r.op);
        /* an update without before (REPLICA IDENTITY DEFAULT) is an insert */
        if (r.op == 'u' && bef->s) {
            want[k] = DBZ_BEFORE;
            retr[k++] = 1;
        }
        want[k] = DBZ_AFTER;
        retr[k++] = 0;
    }
    bool redo = r.redo;
    for (uint32_t i = 0; i < k; i++) redo |= r.part[want[i]].slot != (int)i;
    if (redo) {
        for (uint32_t i = 0; i < k; i++) {
            const dbz_part *pt = &r.part[want[i]];
            jctx sc = c;
            sc.p = pt->s;
            sc.end = pt->e;
            d->depth = 0;
            path_push_name(d, dbz_names[want[i]]);
            rc = dbz_decode_into(&sc, b, row + i);
            d->depth = 0;
            if (rc) return rc;
        }
    }
    if (retr[0] || b->retract) {
        if ((rc = retract_room(d, b, row + k, err))) return rc;
        for (uint32_t i = 0; i < k; i++) b->retract[row + i] = retr[i];
    }
    b->nrows = row + k;
    return 0;
}
