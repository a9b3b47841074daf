/*
 * value.c — single-value helpers shared by the expression files: decimal
 * arithmetic on wd_i128, the canonical text of every type (what CAST(x AS
 * TEXT) gives, and the JSON form of STRUCT/LIST values), generic row append
 * and generic comparison.  Declared in expr_int.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_int.h"

wd_i128 wd_x_pow10(int i)
{
    static wd_i128 tab[39];
    static int ready;
    if (!ready) {
        wd_i128 v = 1;
        for (int k = 0; k < 39; k++) {
            tab[k] = v;
            if (k < 38) v *= 10;
        }
        ready = 1; /* idempotent; a race writes the same values */
    }
    if (i < 0) return 1;
    if (i > 38) i = 38;
    return tab[i];
}

int wd_x_i128_digits(wd_i128 v)
{
    unsigned __int128 u = v < 0 ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
    int d = 1;
    while (d < 39 && u >= (unsigned __int128)wd_x_pow10(d)) d++;
    return d;
}

wd_i128 wd_x_i128_round_div(wd_i128 v, int k)
{
    if (k <= 0) return v;
    if (k > 38) return 0;
    wd_i128 p = wd_x_pow10(k);
    wd_i128 q = v / p, r = v % p;
    if (r < 0) r = -r;
    if (r * 2 >= p) q += (v < 0) ? -1 : 1;
    return q;
}

size_t wd_x_i128_format(wd_i128 v, char *out)
{
    char tmp[48];
    size_t n = 0;
    unsigned __int128 u = v < 0 ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
    do {
        tmp[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    size_t o = 0;
    if (v < 0) out[o++] = '-';
    while (n) out[o++] = tmp[--n];
    out[o] = 0;
    return o;
}

size_t wd_x_dec_format(wd_i128 v, int scale, char *out)
{
    if (scale <= 0) return wd_x_i128_format(v, out);
    char digits[48];
    unsigned __int128 u = v < 0 ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    while (n <= (size_t)scale) digits[n++] = '0';
    size_t o = 0;
    if (v < 0) out[o++] = '-';
    while (n > (size_t)scale) out[o++] = digits[--n];
    out[o++] = '.';
    while (n) out[o++] = digits[--n];
    out[o] = 0;
    return o;
}

/*
 * Shortest digits that read back as the same value, laid out like
 * PostgreSQL's float output: fixed notation when -4 <= exponent < limit,
 * else d.ddde±XX.
 */
static size_t float_format(double d, int maxp, int limit, bool single, char *out)
{
    if (isnan(d)) return (size_t)sprintf(out, "NaN");
    if (isinf(d)) return (size_t)sprintf(out, d > 0 ? "Infinity" : "-Infinity");
    if (d == 0) return (size_t)sprintf(out, signbit(d) ? "-0" : "0");
    char e[48];
    int p;
    for (p = 1; p < maxp; p++) {
        snprintf(e, sizeof e, "%.*e", p - 1, d);
        if (single ? strtof(e, NULL) == (float)d : strtod(e, NULL) == d) break;
    }
    snprintf(e, sizeof e, "%.*e", p - 1, d);
    char *ep = strchr(e, 'e');
    int exp10 = ep ? atoi(ep + 1) : 0;
    if (exp10 < -4 || exp10 >= limit) {
        /* mantissa as printed by %e, exponent with at least two digits */
        size_t mlen = ep ? (size_t)(ep - e) : strlen(e);
        memcpy(out, e, mlen);
        return mlen + (size_t)sprintf(out + mlen, "e%c%02d", exp10 < 0 ? '-' : '+',
                                      exp10 < 0 ? -exp10 : exp10);
    }
    int dec = p - 1 - exp10;
    if (dec < 0) dec = 0;
    return (size_t)sprintf(out, "%.*f", dec, d);
}

size_t wd_x_f64_format(double d, char *out) { return float_format(d, 17, 15, false, out); }
size_t wd_x_f32_format(float f, char *out) { return float_format(f, 9, 6, true, out); }

static void put_quoted(wd_buf *b, const char *s, size_t n, bool json)
{
    if (json)
        wd_buf_json_str(b, s, n);
    else
        wd_buf_put(b, s, n);
}

void wd_x_val_text(wd_buf *b, const wd_col *c, uint32_t i, bool json)
{
    if (!wd_col_valid(c, i)) {
        if (json) wd_buf_puts(b, "null");
        return;
    }
    uint32_t k = wd_col_idx(c, i);
    char t[64];
    size_t n;
    switch (c->type->id) {
    case WD_T_NULL:
        if (json) wd_buf_puts(b, "null");
        return;
    case WD_T_BOOL: wd_buf_puts(b, ((const uint8_t *)c->data)[k] ? "true" : "false"); return;
    case WD_T_INT16: wd_buf_printf(b, "%d", ((const int16_t *)c->data)[k]); return;
    case WD_T_INT32: wd_buf_printf(b, "%d", ((const int32_t *)c->data)[k]); return;
    case WD_T_INT64: wd_buf_printf(b, "%lld", (long long)((const int64_t *)c->data)[k]); return;
    case WD_T_UINT16: wd_buf_printf(b, "%u", ((const uint16_t *)c->data)[k]); return;
    case WD_T_UINT32: wd_buf_printf(b, "%u", ((const uint32_t *)c->data)[k]); return;
    case WD_T_UINT64:
        wd_buf_printf(b, "%llu", (unsigned long long)((const uint64_t *)c->data)[k]);
        return;
    case WD_T_FLOAT32: {
        float f = ((const float *)c->data)[k];
        n = wd_x_f32_format(f, t);
        if (json && !isfinite(f))
            put_quoted(b, t, n, true);
        else
            wd_buf_put(b, t, n);
        return;
    }
    case WD_T_FLOAT64: {
        double d = ((const double *)c->data)[k];
        n = wd_x_f64_format(d, t);
        if (json && !isfinite(d))
            put_quoted(b, t, n, true);
        else
            wd_buf_put(b, t, n);
        return;
    }
    case WD_T_DECIMAL:
        n = wd_x_dec_format(((const wd_i128 *)c->data)[k], c->type->scale, t);
        wd_buf_put(b, t, n);
        return;
    case WD_T_TEXT: {
        wd_str s = ((const wd_str *)c->data)[k];
        put_quoted(b, s.ptr, s.len, json);
        return;
    }
    case WD_T_JSON: {
        wd_str s = ((const wd_str *)c->data)[k];
        wd_buf_put(b, s.ptr, s.len);
        return;
    }
    case WD_T_BYTES: {
        wd_str s = ((const wd_str *)c->data)[k];
        static const char hx[] = "0123456789abcdef";
        if (json) wd_buf_putc(b, '"');
        wd_buf_puts(b, json ? "\\\\x" : "\\x");
        for (uint32_t j = 0; j < s.len; j++) {
            unsigned char ch = (unsigned char)s.ptr[j];
            wd_buf_putc(b, hx[ch >> 4]);
            wd_buf_putc(b, hx[ch & 15]);
        }
        if (json) wd_buf_putc(b, '"');
        return;
    }
    case WD_T_TIMESTAMP:
        n = wd_ts_format(((const int64_t *)c->data)[k], t);
        put_quoted(b, t, n, json);
        return;
    case WD_T_DATE:
        n = wd_date_format(((const int32_t *)c->data)[k], t);
        put_quoted(b, t, n, json);
        return;
    case WD_T_INTERVAL:
        n = wd_interval_format(((const wd_interval *)c->data)[k], t, sizeof t);
        if (n >= sizeof t) n = sizeof t - 1;
        put_quoted(b, t, n, json);
        return;
    case WD_T_STRUCT: {
        wd_buf_putc(b, '{');
        for (uint32_t f = 0; f < c->type->nfields; f++) {
            if (f) wd_buf_putc(b, ',');
            const char *nm = c->type->fields[f].name ? c->type->fields[f].name : "";
            wd_buf_json_str(b, nm, strlen(nm));
            wd_buf_putc(b, ':');
            wd_x_val_text(b, &c->child[f], k, true);
        }
        wd_buf_putc(b, '}');
        return;
    }
    case WD_T_LIST: {
        const uint32_t *off = c->data;
        wd_buf_putc(b, '[');
        for (uint32_t j = off[k]; j < off[k + 1]; j++) {
            if (j > off[k]) wd_buf_putc(b, ',');
            wd_x_val_text(b, c->child, j, true);
        }
        wd_buf_putc(b, ']');
        return;
    }
    default: return;
    }
}

const char *wd_x_val_msg(const wd_col *c, uint32_t i, char *out, size_t n)
{
    wd_buf b = WD_BUF_INIT;
    if (!wd_col_valid(c, i)) {
        wd_buf_puts(&b, "NULL");
    } else if (wd_type_is_stringy(c->type->id) || c->type->id == WD_T_TIMESTAMP ||
               c->type->id == WD_T_DATE || c->type->id == WD_T_INTERVAL) {
        wd_buf_putc(&b, '\'');
        wd_x_val_text(&b, c, i, false);
        wd_buf_putc(&b, '\'');
    } else {
        wd_x_val_text(&b, c, i, false);
    }
    size_t len = b.len;
    if (len >= n) {
        len = n > 4 ? n - 4 : 0;
        memcpy(out, b.data, len);
        memcpy(out + len, "...", n > 4 ? 4 : 0);
        if (n <= 4 && n) out[0] = 0;
    } else {
        if (len) memcpy(out, b.data, len);
        out[len] = 0;
    }
    wd_buf_free(&b);
    return out;
}

void wd_x_col_all_null(wd_col *c, wd_arena *a)
{
    uint8_t *v = wd_col_valid_alloc(c, a);
    if (v && c->len) memset(v, 0, c->len);
    size_t w = wd_type_width(c->type->id);
    if (c->data && w && c->len) memset(c->data, 0, w * c->len);
    if (c->type->id == WD_T_LIST && c->data) memset(c->data, 0, 4u * ((size_t)c->len + 1));
}

void wd_x_col_append(wd_col *dst, const wd_col *src, uint32_t i, wd_arena *a)
{
    uint32_t r = dst->len;
    if (r + 1 > dst->cap) wd_col_reserve(dst, r + 1 + r / 2 + 8, a);
    dst->len = r + 1;
    bool valid = wd_col_valid(src, i) && src->type->id != WD_T_NULL;
    if (!valid) {
        wd_col_set_null(dst, r, a);
    } else if (dst->valid) {
        dst->valid[r] = 1;
    }
    uint32_t k = valid ? wd_col_idx(src, i) : 0;
    switch (dst->type->id) {
    case WD_T_NULL: return;
    case WD_T_STRUCT:
        for (uint32_t f = 0; f < dst->type->nfields; f++) {
            if (valid)
                wd_x_col_append(&dst->child[f], &src->child[f], k, a);
            else {
                wd_col nul = {0};
                nul.type = WD_TYPE_NULL;
                nul.len = 1;
                wd_x_col_append(&dst->child[f], &nul, 0, a);
            }
        }
        return;
    case WD_T_LIST: {
        uint32_t *off = dst->data;
        if (r == 0) off[0] = 0;
        uint32_t start = off[r];
        if (valid) {
            const uint32_t *so = src->data;
            for (uint32_t j = so[k]; j < so[k + 1]; j++) wd_x_col_append(dst->child, src->child, j, a);
        }
        off = dst->data; /* unchanged: child growth does not move offsets */
        off[r + 1] = valid ? dst->child->len : start;
        return;
    }
    default: {
        size_t w = wd_type_width(dst->type->id);
        char *d = (char *)dst->data + (size_t)r * w;
        if (valid)
            memcpy(d, (const char *)src->data + (size_t)k * w, w);
        else
            memset(d, 0, w);
        return;
    }
    }
}

static int cmp_i128(wd_i128 a, wd_i128 b) { return (a > b) - (a < b); }

static wd_i128 interval_key(wd_interval v)
{
    return ((wd_i128)v.months * 30 + v.days) * (wd_i128)WD_NS_PER_DAY + v.nanos;
}

bool wd_x_type_comparable(const wd_type *t)
{
    switch (t->id) {
    case WD_T_STRUCT:
        for (uint32_t f = 0; f < t->nfields; f++)
            if (!wd_x_type_comparable(t->fields[f].type)) return false;
        return true;
    case WD_T_LIST: return wd_x_type_comparable(t->elem);
    default: return t->id < WD_T__COUNT;
    }
}

int wd_x_val_cmp(const wd_col *a, uint32_t i, const wd_col *b, uint32_t j)
{
    uint32_t x = wd_col_idx(a, i), y = wd_col_idx(b, j);
#define CMPV(T) do { T p = ((const T *)a->data)[x], q = ((const T *)b->data)[y]; \
        return (p > q) - (p < q); } while (0)
    switch (a->type->id) {
    case WD_T_NULL: return 0;
    case WD_T_BOOL: CMPV(uint8_t);
    case WD_T_INT16: CMPV(int16_t);
    case WD_T_INT32: CMPV(int32_t);
    case WD_T_DATE: CMPV(int32_t);
    case WD_T_INT64: CMPV(int64_t);
    case WD_T_TIMESTAMP: CMPV(int64_t);
    case WD_T_UINT16: CMPV(uint16_t);
    case WD_T_UINT32: CMPV(uint32_t);
    case WD_T_UINT64: CMPV(uint64_t);
    case WD_T_FLOAT32: {
        /* PostgreSQL order: NaN equals NaN and sorts above every number */
        float p = ((const float *)a->data)[x], q = ((const float *)b->data)[y];
        if (isnan(p) || isnan(q)) return isnan(p) - isnan(q);
        return (p > q) - (p < q);
    }
    case WD_T_FLOAT64: {
        double p = ((const double *)a->data)[x], q = ((const double *)b->data)[y];
        if (isnan(p) || isnan(q)) return isnan(p) - isnan(q);
        return (p > q) - (p < q);
    }
    case WD_T_DECIMAL: {
        wd_i128 p = ((const wd_i128 *)a->data)[x], q = ((const wd_i128 *)b->data)[y];
        int sa = a->type->scale, sb = b->type->scale;
        if (sa == sb) return cmp_i128(p, q);
        /* different scales: compare p * 10^(sb-sa) with q; widen the smaller */
        if (sa < sb) {
            wd_i128 r;
            if (__builtin_mul_overflow(p, wd_x_pow10(sb - sa), &r)) return p < 0 ? -1 : 1;
            return cmp_i128(r, q);
        } else {
            wd_i128 r;
            if (__builtin_mul_overflow(q, wd_x_pow10(sa - sb), &r)) return q < 0 ? 1 : -1;
            return cmp_i128(p, r);
        }
    }
    case WD_T_TEXT:
    case WD_T_BYTES:
    case WD_T_JSON: {
        wd_str p = ((const wd_str *)a->data)[x], q = ((const wd_str *)b->data)[y];
        uint32_t m = p.len < q.len ? p.len : q.len;
        int c = m ? memcmp(p.ptr, q.ptr, m) : 0;
        if (c) return c < 0 ? -1 : 1;
        return (p.len > q.len) - (p.len < q.len);
    }
    case WD_T_INTERVAL:
        return cmp_i128(interval_key(((const wd_interval *)a->data)[x]),
                        interval_key(((const wd_interval *)b->data)[y]));
    case WD_T_STRUCT:
        for (uint32_t f = 0; f < a->type->nfields && f < b->type->nfields; f++) {
            const wd_col *ca = &a->child[f], *cb = &b->child[f];
            bool va = wd_col_valid(ca, x), vb = wd_col_valid(cb, y);
            if (!va || !vb) {
                if (va != vb) return va ? -1 : 1; /* nulls last */
                continue;
            }
            int c = wd_x_val_cmp(ca, x, cb, y);
            if (c) return c;
        }
        return 0;
    case WD_T_LIST: {
        const uint32_t *oa = a->data, *ob = b->data;
        uint32_t la = oa[x + 1] - oa[x], lb = ob[y + 1] - ob[y];
        for (uint32_t e = 0; e < la && e < lb; e++) {
            uint32_t ea = oa[x] + e, eb = ob[y] + e;
            bool va = wd_col_valid(a->child, ea), vb = wd_col_valid(b->child, eb);
            if (!va || !vb) {
                if (va != vb) return va ? -1 : 1;
                continue;
            }
            int c = wd_x_val_cmp(a->child, ea, b->child, eb);
            if (c) return c;
        }
        return (la > lb) - (la < lb);
    }
    default: return 0;
    }
#undef CMPV
}
