/*
 * json_encode.c — the JSON-lines encoder (see json.h for the output form).
 *
 * Writes into a wd_buf with reserve-then-write fast paths: a
 * two-digits-at-a-time integer formatter, a printf-free timestamp
 * formatter, shortest round-trip doubles by exact integer scaling (printf
 * only for the rare rest), and a string escaper that copies runs of safe
 * bytes with one memcpy after a word-at-a-time scan.
 *
 * Exports: wd_json_encode_row, wd_json_encode_row_opts,
 * wd_json_encode_value, wd_json_encode_debezium.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch/json.h"
#include "common/timeutil.h"

typedef unsigned __int128 u128;

/* SWAR: a byte of w equals b / is below n (exact as "any such byte"). */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
static inline uint64_t has_zero(uint64_t w) { return (w - ONES) & ~w & HIGHS; }
static inline uint64_t has_byte(uint64_t w, uint8_t b) { return has_zero(w ^ (ONES * b)); }
static inline uint64_t has_less(uint64_t w, uint8_t n) { return (w - ONES * n) & ~w & HIGHS; }

static const double p10d[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                              1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                              1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Room for n more bytes (and the NUL); returns the write position. */
static inline char *ob_room(wd_buf *b, size_t n)
{
    if (b->len + n + 1 > b->cap) wd_buf_reserve(b, n + 1);
    return b->data + b->len;
}
static inline void ob_done(wd_buf *b, char *o)
{
    b->len = (size_t)(o - b->data);
    b->data[b->len] = 0;
}
static inline void ob_lit(wd_buf *b, const char *s, size_t n)
{
    char *o = ob_room(b, n);
    memcpy(o, s, n);
    ob_done(b, o + n);
}
#define OB_LIT(b, s) ob_lit((b), (s), sizeof(s) - 1)

static const char digits2[201] = "00010203040506070809101112131415161718192021222324"
                                 "25262728293031323334353637383940414243444546474849"
                                 "50515253545556575859606162636465666768697071727374"
                                 "75767778798081828384858687888990919293949596979899";

/* Unsigned decimal into o (at least 40 bytes); returns the end. */
static char *fmt_u128(u128 v, char *o)
{
    char tmp[48];
    char *p = tmp + sizeof tmp;
    while (v >= 10000000000000000000ULL) {
        uint64_t low = (uint64_t)(v % 10000000000000000000ULL);
        v /= 10000000000000000000ULL;
        for (int i = 0; i < 19; i++) {
            *--p = (char)('0' + low % 10);
            low /= 10;
        }
    }
    uint64_t u = (uint64_t)v;
    while (u >= 100) {
        unsigned r = (unsigned)(u % 100);
        u /= 100;
        p -= 2;
        memcpy(p, digits2 + r * 2, 2);
    }
    if (u >= 10) {
        p -= 2;
        memcpy(p, digits2 + u * 2, 2);
    } else {
        *--p = (char)('0' + u);
    }
    size_t n = (size_t)(tmp + sizeof tmp - p);
    memcpy(o, p, n);
    return o + n;
}

static inline char *fmt_u64(uint64_t u, char *o)
{
    char tmp[24];
    char *p = tmp + sizeof tmp;
    while (u >= 100) {
        unsigned r = (unsigned)(u % 100);
        u /= 100;
        p -= 2;
        memcpy(p, digits2 + r * 2, 2);
    }
    if (u >= 10) {
        p -= 2;
        memcpy(p, digits2 + u * 2, 2);
    } else {
        *--p = (char)('0' + u);
    }
    size_t n = (size_t)(tmp + sizeof tmp - p);
    memcpy(o, p, n);
    return o + n;
}

static inline char *fmt_i64(int64_t v, char *o)
{
    if (v < 0) {
        *o++ = '-';
        return fmt_u64((uint64_t)0 - (uint64_t)v, o);
    }
    return fmt_u64((uint64_t)v, o);
}

/* Turn printf's "1e+21" / "1e-07" into "1e21" / "1e-7". */
static size_t tidy_exponent(char *s, size_t n)
{
    char *e = memchr(s, 'e', n);
    if (!e) return n;
    char *q = e + 1, *w = e + 1;
    if (*q == '+') q++;
    else if (*q == '-') *w++ = *q++;
    while (*q == '0' && q[1]) q++;
    while (*q) *w++ = *q++;
    *w = 0;
    return (size_t)(w - s);
}

/* Shortest round-trip text of a finite double, ".0" kept for integers. */
static size_t fmt_double(double v, char *out)
{
    if (fabs(v) < 1e16 && v == (double)(int64_t)v) {
        char *o = out;
        if (v == 0 && signbit(v)) *o++ = '-';
        o = fmt_i64((int64_t)v, o);
        memcpy(o, ".0", 3);
        return (size_t)(o + 2 - out);
    }
    /* fast path: v is m / 10^k for an integer m < 2^53, k <= 15; then that
     * decimal text reads back as v (both are the correctly rounded m/10^k),
     * and the smallest such k gives the shortest text */
    double av = fabs(v);
    if (av >= 1e-5 && av < 1e15) {
        for (int k = 1; k <= 15; k++) {
            double m = nearbyint(av * p10d[k]);
            if (m >= 9007199254740992.0) break;
            if (m / p10d[k] != av) continue;
            uint64_t um = (uint64_t)m, p = (uint64_t)p10d[k];
            char *o = out;
            if (v < 0) *o++ = '-';
            o = fmt_u64(um / p, o);
            *o++ = '.';
            uint64_t frac = um % p;
            char fd[24];
            for (int i = k - 1; i >= 0; i--) {
                fd[i] = (char)('0' + frac % 10);
                frac /= 10;
            }
            int len = k;
            while (len > 1 && fd[len - 1] == '0') len--;
            memcpy(o, fd, (size_t)len);
            o += len;
            *o = 0;
            return (size_t)(o - out);
        }
    }
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(out, 40, "%.*g", prec, v);
        if (strtod(out, NULL) == v) break;
    }
    size_t len = tidy_exponent(out, (size_t)n);
    if (!memchr(out, '.', len) && !memchr(out, 'e', len)) {
        memcpy(out + len, ".0", 3);
        len += 2;
    }
    return len;
}

static size_t fmt_float(float v, char *out)
{
    if (fabsf(v) < 1e7f && v == (float)(int32_t)v) {
        char *o = out;
        if (v == 0 && signbit(v)) *o++ = '-';
        o = fmt_i64((int64_t)v, o);
        memcpy(o, ".0", 3);
        return (size_t)(o + 2 - out);
    }
    int n = 0;
    for (int prec = 6; prec <= 9; prec++) {
        n = snprintf(out, 40, "%.*g", prec, (double)v);
        if (strtof(out, NULL) == v) break;
    }
    size_t len = tidy_exponent(out, (size_t)n);
    if (!memchr(out, '.', len) && !memchr(out, 'e', len)) {
        memcpy(out + len, ".0", 3);
        len += 2;
    }
    return len;
}

static inline char *put2(char *o, unsigned v)
{
    memcpy(o, digits2 + v * 2, 2);
    return o + 2;
}

/* The text of wd_ts_format without printf (years 0..9999; others use it). */
static size_t fmt_ts(int64_t ns, char *out)
{
    int64_t secs = ns / WD_NS_PER_SEC, frac = ns % WD_NS_PER_SEC;
    if (frac < 0) {
        frac += WD_NS_PER_SEC;
        secs--;
    }
    int64_t days = secs / 86400, sod = secs % 86400;
    if (sod < 0) {
        sod += 86400;
        days--;
    }
    int64_t y;
    unsigned m, d;
    wd_civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) return wd_ts_format(ns, out);
    char *o = out;
    o = put2(o, (unsigned)(y / 100));
    o = put2(o, (unsigned)(y % 100));
    *o++ = '-';
    o = put2(o, m);
    *o++ = '-';
    o = put2(o, d);
    *o++ = 'T';
    o = put2(o, (unsigned)(sod / 3600));
    *o++ = ':';
    o = put2(o, (unsigned)(sod / 60 % 60));
    *o++ = ':';
    o = put2(o, (unsigned)(sod % 60));
    if (frac) {
        int digits = frac % 1000000 == 0 ? 3 : frac % 1000 == 0 ? 6 : 9;
        uint64_t f = (uint64_t)frac / (digits == 3 ? 1000000u : digits == 6 ? 1000u : 1u);
        *o++ = '.';
        for (int i = digits - 1; i >= 0; i--) {
            o[i] = (char)('0' + f % 10);
            f /= 10;
        }
        o += digits;
    }
    *o = 0;
    return (size_t)(o - out);
}

static const char hexdig[] = "0123456789abcdef";

/* s[0..n) as a JSON string literal; runs of safe bytes copied at once. */
static void enc_str(wd_buf *b, const char *s, size_t n)
{
    char *o = ob_room(b, n + 2);
    *o++ = '"';
    const char *p = s, *end = s + n;
    for (;;) {
        const char *run = p;
        while (end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            if (has_byte(w, '"') | has_byte(w, '\\') | (has_less(w, 0x20) & ~w & HIGHS)) break;
            p += 8;
        }
        while (p < end) {
            uint8_t ch = (uint8_t)*p;
            if (ch == '"' || ch == '\\' || ch < 0x20) break;
            p++;
        }
        memcpy(o, run, (size_t)(p - run));
        o += p - run;
        if (p >= end) break;
        /* an escape: up to 6 bytes more than the 1 reserved */
        size_t at = (size_t)(o - b->data);
        b->len = at;
        o = ob_room(b, 6 + (size_t)(end - p) + 1);
        uint8_t ch = (uint8_t)*p++;
        *o++ = '\\';
        switch (ch) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hexdig[ch >> 4];
            *o++ = hexdig[ch & 15];
        }
    }
    *o++ = '"';
    ob_done(b, o);
}

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void enc_base64(wd_buf *b, const uint8_t *s, size_t n)
{
    char *o = ob_room(b, (n + 2) / 3 * 4 + 2);
    *o++ = '"';
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        *o++ = b64chars[v >> 18];
        *o++ = b64chars[(v >> 12) & 63];
        *o++ = b64chars[(v >> 6) & 63];
        *o++ = b64chars[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)s[i] << 16;
        *o++ = b64chars[v >> 18];
        *o++ = b64chars[(v >> 12) & 63];
        *o++ = '=';
        *o++ = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
        *o++ = b64chars[v >> 18];
        *o++ = b64chars[(v >> 12) & 63];
        *o++ = b64chars[(v >> 6) & 63];
        *o++ = '=';
    }
    *o++ = '"';
    ob_done(b, o);
}

static void enc_decimal(wd_buf *b, wd_i128 v, int scale)
{
    char digits[48];
    u128 mag = v < 0 ? (u128)0 - (u128)v : (u128)v;
    size_t n = (size_t)(fmt_u128(mag, digits) - digits);
    char *o = ob_room(b, n + (size_t)scale + 4);
    if (v < 0) *o++ = '-';
    if (scale <= 0) {
        memcpy(o, digits, n);
        o += n;
    } else if (n > (size_t)scale) {
        memcpy(o, digits, n - (size_t)scale);
        o += n - (size_t)scale;
        *o++ = '.';
        memcpy(o, digits + n - (size_t)scale, (size_t)scale);
        o += scale;
    } else {
        *o++ = '0';
        *o++ = '.';
        for (size_t i = n; i < (size_t)scale; i++) *o++ = '0';
        memcpy(o, digits, n);
        o += n;
    }
    ob_done(b, o);
}

static void enc_value(const wd_col *c, uint32_t row, const wd_json_opts *opts, wd_buf *b);

static void enc_fields(const wd_type *t, const wd_col *cols, uint32_t nf, uint32_t row,
                       const wd_json_opts *opts, wd_buf *b)
{
    wd_buf_putc_fast(b, '{');
    bool first = true;
    for (uint32_t i = 0; i < nf; i++) {
        const char *name = t->fields[i].name ? t->fields[i].name : "";
        if (name[0] == '_' && wd_field_is_hidden(name)) continue;
        if (!first) wd_buf_putc_fast(b, ',');
        first = false;
        enc_str(b, name, strlen(name));
        wd_buf_putc_fast(b, ':');
        enc_value(&cols[i], row, opts, b);
    }
    wd_buf_putc_fast(b, '}');
}

static void enc_value(const wd_col *c, uint32_t row, const wd_json_opts *opts, wd_buf *b)
{
    if (!wd_col_valid(c, row)) {
        OB_LIT(b, "null");
        return;
    }
    uint32_t i = wd_col_idx(c, row);
    char *o;
    switch (c->type->id) {
    case WD_T_BOOL:
        if (((const uint8_t *)c->data)[i])
            OB_LIT(b, "true");
        else
            OB_LIT(b, "false");
        return;
    case WD_T_INT16:
        o = ob_room(b, 24);
        ob_done(b, fmt_i64(((const int16_t *)c->data)[i], o));
        return;
    case WD_T_INT32:
        o = ob_room(b, 24);
        ob_done(b, fmt_i64(((const int32_t *)c->data)[i], o));
        return;
    case WD_T_INT64:
        o = ob_room(b, 24);
        ob_done(b, fmt_i64(((const int64_t *)c->data)[i], o));
        return;
    case WD_T_UINT16:
        o = ob_room(b, 24);
        ob_done(b, fmt_u64(((const uint16_t *)c->data)[i], o));
        return;
    case WD_T_UINT32:
        o = ob_room(b, 24);
        ob_done(b, fmt_u64(((const uint32_t *)c->data)[i], o));
        return;
    case WD_T_UINT64:
        o = ob_room(b, 24);
        ob_done(b, fmt_u64(((const uint64_t *)c->data)[i], o));
        return;
    case WD_T_FLOAT32: {
        float v = ((const float *)c->data)[i];
        if (!isfinite(v)) {
            OB_LIT(b, "null");
            return;
        }
        o = ob_room(b, 48);
        ob_done(b, o + fmt_float(v, o));
        return;
    }
    case WD_T_FLOAT64: {
        double v = ((const double *)c->data)[i];
        if (!isfinite(v)) {
            OB_LIT(b, "null");
            return;
        }
        o = ob_room(b, 48);
        ob_done(b, o + fmt_double(v, o));
        return;
    }
    case WD_T_DECIMAL:
        enc_decimal(b, ((const wd_i128 *)c->data)[i], c->type->scale);
        return;
    case WD_T_TEXT: {
        wd_str s = ((const wd_str *)c->data)[i];
        enc_str(b, s.ptr, s.len);
        return;
    }
    case WD_T_BYTES: {
        wd_str s = ((const wd_str *)c->data)[i];
        enc_base64(b, (const uint8_t *)s.ptr, s.len);
        return;
    }
    case WD_T_JSON: {
        wd_str s = ((const wd_str *)c->data)[i];
        if (!s.len) {
            OB_LIT(b, "null");
            return;
        }
        ob_lit(b, s.ptr, s.len);
        return;
    }
    case WD_T_TIMESTAMP: {
        int64_t ns = ((const int64_t *)c->data)[i];
        wd_json_ts_format f = opts ? opts->ts_format : WD_JSON_TS_RFC3339;
        o = ob_room(b, 48);
        switch (f) {
        case WD_JSON_TS_UNIX_MILLIS: o = fmt_i64(ns / WD_NS_PER_MS - (ns % WD_NS_PER_MS < 0), o); break;
        case WD_JSON_TS_UNIX_SECONDS: o = fmt_i64(ns / WD_NS_PER_SEC - (ns % WD_NS_PER_SEC < 0), o); break;
        case WD_JSON_TS_UNIX_MICROS: o = fmt_i64(ns / WD_NS_PER_US - (ns % WD_NS_PER_US < 0), o); break;
        case WD_JSON_TS_UNIX_NANOS: o = fmt_i64(ns, o); break;
        default:
            *o++ = '"';
            o += fmt_ts(ns, o);
            *o++ = '"';
        }
        ob_done(b, o);
        return;
    }
    case WD_T_DATE:
        o = ob_room(b, 48);
        *o++ = '"';
        o += wd_date_format(((const int32_t *)c->data)[i], o);
        *o++ = '"';
        ob_done(b, o);
        return;
    case WD_T_INTERVAL: {
        char tmp[128];
        size_t n = wd_interval_format(((const wd_interval *)c->data)[i], tmp, sizeof tmp);
        if (n >= sizeof tmp) n = sizeof tmp - 1;
        enc_str(b, tmp, n);
        return;
    }
    case WD_T_STRUCT:
        enc_fields(c->type, c->child, c->type->nfields, i, opts, b);
        return;
    case WD_T_LIST: {
        const uint32_t *off = c->data;
        wd_buf_putc_fast(b, '[');
        for (uint32_t k = off[i]; k < off[i + 1]; k++) {
            if (k > off[i]) wd_buf_putc_fast(b, ',');
            enc_value(c->child, k, opts, b);
        }
        wd_buf_putc_fast(b, ']');
        return;
    }
    default:
        OB_LIT(b, "null");
        return;
    }
}

void wd_json_encode_value(const wd_col *c, uint32_t row, wd_buf *out)
{
    enc_value(c, row, NULL, out);
}

void wd_json_encode_row_opts(const wd_batch *b, uint32_t row, const wd_json_opts *opts,
                             wd_buf *out)
{
    enc_fields(b->schema, b->cols, b->schema->nfields, row, opts, out);
}

void wd_json_encode_row(const wd_batch *b, uint32_t row, wd_buf *out)
{
    enc_fields(b->schema, b->cols, b->schema->nfields, row, NULL, out);
}

void wd_json_encode_debezium(const wd_batch *b, uint32_t row, wd_buf *out)
{
    if (b->retract && b->retract[row]) {
        OB_LIT(out, "{\"before\":");
        wd_json_encode_row(b, row, out);
        OB_LIT(out, ",\"after\":null,\"op\":\"d\"}");
    } else {
        OB_LIT(out, "{\"before\":null,\"after\":");
        wd_json_encode_row(b, row, out);
        OB_LIT(out, ",\"op\":\"c\"}");
    }
}
