/*
 * cast.c — CAST between types: wd_cast_allowed and wd_cast_col (func.h).
 *
 * Semantics follow PostgreSQL where Arroyo/DataFusion do not differ:
 *   - numeric → integer: range-checked ("cannot cast 300000 to SMALLINT:
 *     out of range", WD_EOVERFLOW); DOUBLE → integer rounds half to even
 *     (rint, as PostgreSQL's float8 → int); DECIMAL → integer rounds half
 *     away from zero (as PostgreSQL's numeric → int).
 *   - → DECIMAL(p,s): rounded half away from zero to s digits; more than
 *     p digits is out of range.  DOUBLE → DECIMAL goes through its 15-digit
 *     text, as PostgreSQL does.
 *   - TEXT → scalar: strict parsing, surrounding white space allowed;
 *     failure is WD_ECAST "cannot cast 'abc' to BIGINT".
 *   - → TEXT: canonical forms (true/false, shortest round-trip floats,
 *     DECIMAL with its scale, timestamps via wd_ts_format, BYTES as \x hex,
 *     STRUCT/LIST as JSON text).
 *   - TIMESTAMP ↔ integer: nanoseconds since the epoch (DataFusion's
 *     TIMESTAMP(ns)); TIMESTAMP ↔ DATE truncates to / starts the day (UTC).
 *   - NULL-typed input → all nulls of any type.
 * TRY_CAST turns every per-value failure into a null.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_int.h"

/* ---- allowed ----------------------------------------------------------- */

static bool is_num(wd_type_id id) { return wd_type_is_numeric(id); }
static bool is_intish(wd_type_id id) { return wd_type_is_int(id) || id == WD_T_BOOL; }
static bool is_scalar(wd_type_id id) { return id != WD_T_STRUCT && id != WD_T_LIST; }

bool wd_cast_allowed(const wd_type *from, const wd_type *to)
{
    if (!from || !to) return false;
    wd_type_id f = from->id, t = to->id;
    if (f == WD_T_NULL || wd_type_eq(from, to)) return true;
    if (t == WD_T_NULL) return false;
    if (t == WD_T_TEXT) return true;
    if (f == WD_T_TEXT) return is_scalar(t);
    if (t == WD_T_JSON) return is_num(f) || f == WD_T_BOOL || !is_scalar(f);
    if (f == WD_T_JSON) return is_num(t) || t == WD_T_BOOL;
    if (is_num(f) && is_num(t)) return true;
    if (f == WD_T_BOOL) return wd_type_is_int(t);
    if (t == WD_T_BOOL) return wd_type_is_int(f);
    if (f == WD_T_TIMESTAMP) return t == WD_T_DATE || wd_type_is_int(t);
    if (t == WD_T_TIMESTAMP) return f == WD_T_DATE || wd_type_is_int(f);
    if (f == WD_T_LIST && t == WD_T_LIST) return wd_cast_allowed(from->elem, to->elem);
    if (f == WD_T_STRUCT && t == WD_T_STRUCT) {
        if (from->nfields != to->nfields) return false;
        for (uint32_t i = 0; i < from->nfields; i++)
            if (!wd_cast_allowed(from->fields[i].type, to->fields[i].type)) return false;
        return true;
    }
    return false;
}

/* ---- numeric values ---------------------------------------------------- */



enum { NUM_INT, NUM_DEC, NUM_FLT };

typedef struct num {
    int kind;
    int scale;   /* NUM_DEC */
    wd_i128 i;   /* NUM_INT, NUM_DEC */
    double d;    /* NUM_FLT */
} num;

static num read_num(const wd_col *c, uint32_t k)
{
    num v = {NUM_INT, 0, 0, 0};
    switch (c->type->id) {
    case WD_T_BOOL: v.i = ((const uint8_t *)c->data)[k] != 0; break;
    case WD_T_INT16: v.i = ((const int16_t *)c->data)[k]; break;
    case WD_T_INT32: v.i = ((const int32_t *)c->data)[k]; break;
    case WD_T_INT64:
    case WD_T_TIMESTAMP: v.i = ((const int64_t *)c->data)[k]; break;
    case WD_T_DATE: v.i = ((const int32_t *)c->data)[k]; break;
    case WD_T_UINT16: v.i = ((const uint16_t *)c->data)[k]; break;
    case WD_T_UINT32: v.i = ((const uint32_t *)c->data)[k]; break;
    case WD_T_UINT64: v.i = ((const uint64_t *)c->data)[k]; break;
    case WD_T_FLOAT32: v.kind = NUM_FLT; v.d = ((const float *)c->data)[k]; break;
    case WD_T_FLOAT64: v.kind = NUM_FLT; v.d = ((const double *)c->data)[k]; break;
    case WD_T_DECIMAL:
        v.kind = NUM_DEC;
        v.scale = c->type->scale;
        v.i = ((const wd_i128 *)c->data)[k];
        break;
    default: break;
    }
    return v;
}

static bool int_bounds(wd_type_id id, wd_i128 *lo, wd_i128 *hi)
{
    switch (id) {
    case WD_T_BOOL: *lo = 0; *hi = 1; return true;
    case WD_T_INT16: *lo = INT16_MIN; *hi = INT16_MAX; return true;
    case WD_T_INT32: *lo = INT32_MIN; *hi = INT32_MAX; return true;
    case WD_T_INT64:
    case WD_T_TIMESTAMP: *lo = INT64_MIN; *hi = INT64_MAX; return true;
    case WD_T_DATE: *lo = INT32_MIN; *hi = INT32_MAX; return true;
    case WD_T_UINT16: *lo = 0; *hi = UINT16_MAX; return true;
    case WD_T_UINT32: *lo = 0; *hi = UINT32_MAX; return true;
    case WD_T_UINT64: *lo = 0; *hi = UINT64_MAX; return true;
    default: return false;
    }
}

static void store_int(wd_col *o, uint32_t r, wd_i128 v)
{
    switch (o->type->id) {
    case WD_T_BOOL: ((uint8_t *)o->data)[r] = v != 0; break;
    case WD_T_INT16: ((int16_t *)o->data)[r] = (int16_t)v; break;
    case WD_T_INT32:
    case WD_T_DATE: ((int32_t *)o->data)[r] = (int32_t)v; break;
    case WD_T_INT64:
    case WD_T_TIMESTAMP: ((int64_t *)o->data)[r] = (int64_t)v; break;
    case WD_T_UINT16: ((uint16_t *)o->data)[r] = (uint16_t)v; break;
    case WD_T_UINT32: ((uint32_t *)o->data)[r] = (uint32_t)v; break;
    case WD_T_UINT64: ((uint64_t *)o->data)[r] = (uint64_t)v; break;
    default: break;
    }
}

/* Failure kinds of one value. */
enum { CV_OK = 0, CV_SYNTAX = 1, CV_RANGE = 2 };

/* Write numeric v into row r of o (numeric or BOOL type). */
static int write_num(wd_col *o, uint32_t r, num v)
{
    wd_type_id t = o->type->id;
    wd_i128 lo, hi;
    if (t == WD_T_BOOL) {
        if (v.kind == NUM_FLT) return CV_SYNTAX;
        ((uint8_t *)o->data)[r] = v.i != 0;
        return CV_OK;
    }
    if (int_bounds(t, &lo, &hi)) {
        wd_i128 x;
        if (v.kind == NUM_INT) {
            x = v.i;
        } else if (v.kind == NUM_DEC) {
            x = wd_x_i128_round_div(v.i, v.scale);
        } else {
            if (!isfinite(v.d)) return CV_RANGE;
            double rd = rint(v.d);
            if (rd < -1.8e19 || rd > 1.9e19) return CV_RANGE;
            x = (wd_i128)rd;
        }
        if (x < lo || x > hi) return CV_RANGE;
        store_int(o, r, x);
        return CV_OK;
    }
    if (t == WD_T_FLOAT64 || t == WD_T_FLOAT32) {
        double d;
        if (v.kind == NUM_INT)
            d = (double)v.i;
        else if (v.kind == NUM_DEC)
            d = (double)v.i / (double)wd_x_pow10(v.scale);
        else
            d = v.d;
        if (t == WD_T_FLOAT32) {
            float f = (float)d;
            if (isinf(f) && !isinf(d)) return CV_RANGE;
            ((float *)o->data)[r] = f;
        } else {
            ((double *)o->data)[r] = d;
        }
        return CV_OK;
    }
    if (t == WD_T_DECIMAL) {
        int s = o->type->scale, p = o->type->precision;
        wd_i128 x;
        if (v.kind == NUM_FLT) {
            if (!isfinite(v.d)) return CV_RANGE;
            char buf[64];
            int len = snprintf(buf, sizeof buf, "%.15g", v.d);
            int rc = wd_x_parse_dec(buf, (size_t)len, s, &x);
            if (rc) return CV_RANGE;
        } else {
            int from = v.kind == NUM_DEC ? v.scale : 0;
            if (s >= from) {
                if (__builtin_mul_overflow(v.i, wd_x_pow10(s - from), &x)) return CV_RANGE;
            } else {
                x = wd_x_i128_round_div(v.i, from - s);
            }
        }
        if (x != 0 && wd_x_i128_digits(x) > p) return CV_RANGE;
        ((wd_i128 *)o->data)[r] = x;
        return CV_OK;
    }
    return CV_SYNTAX;
}

/* ---- text parsing ------------------------------------------------------ */

static void trim(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)**s)) (*s)++, (*n)--;
    while (*n && isspace((unsigned char)(*s)[*n - 1])) (*n)--;
}

/* Integer text → v; CV_* */
static int parse_int(const char *s, size_t n, wd_i128 *v)
{
    trim(&s, &n);
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    if (i == n) return CV_SYNTAX;
    wd_i128 x = 0;
    bool big = false;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return CV_SYNTAX;
        if (x > wd_x_pow10(30))
            big = true;
        else
            x = x * 10 + (s[i] - '0');
    }
    if (big) return CV_RANGE;
    *v = neg ? -x : x;
    return CV_OK;
}

/*
 * Decimal text ([sign] digits [. digits] [e [sign] digits]) → value at
 * `scale`, rounded half away from zero.  Returns CV_*; an integer part too
 * large for 38 digits is CV_RANGE.  Used by DOUBLE → DECIMAL as well.
 */
int wd_x_parse_dec(const char *s, size_t n, int scale, wd_i128 *out)
{
    trim(&s, &n);
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    char dig[128];
    int nd = 0, frac = 0, sig = 0;
    bool any = false, dot = false, dropped_nonzero = false;
    long extra = 0; /* integer digits dropped beyond the buffer */
    for (; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (dot) return CV_SYNTAX;
            dot = true;
            continue;
        }
        if (c < '0' || c > '9') break;
        any = true;
        if (nd == 0 && c == '0') {
            if (dot) frac++;
            continue; /* leading zero */
        }
        if (nd < (int)sizeof dig) {
            dig[nd++] = c;
            if (dot) frac++;
        } else {
            if (!dot) extra++;
            if (c != '0') dropped_nonzero = true;
        }
        sig++;
    }
    (void)sig;
    (void)dropped_nonzero;
    if (!any) return CV_SYNTAX;
    long e = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
        if (i == n) return CV_SYNTAX;
        for (; i < n; i++) {
            if (s[i] < '0' || s[i] > '9') return CV_SYNTAX;
            if (e < 100000) e = e * 10 + (s[i] - '0');
        }
        if (eneg) e = -e;
    }
    if (i != n) return CV_SYNTAX;
    /* value = dig × 10^(e + extra - frac); want round(value × 10^scale) */
    long shift = e + extra - frac + scale;
    long kept = nd + shift; /* digits of the result before rounding */
    wd_i128 x = 0;
    if (nd == 0) {
        *out = 0;
        return CV_OK;
    }
    if (shift >= 0) {
        if (kept > 38) return CV_RANGE;
        for (int k = 0; k < nd; k++) x = x * 10 + (dig[k] - '0');
        x *= wd_x_pow10((int)shift);
    } else {
        if (kept > 38) return CV_RANGE;
        for (long k = 0; k < kept; k++) x = x * 10 + (dig[k] - '0');
        if (kept >= 0 && kept < nd && dig[kept] >= '5') x += 1;
    }
    *out = neg ? -x : x;
    return CV_OK;
}

static int parse_float(const char *s, size_t n, double *out)
{
    trim(&s, &n);
    if (n == 0 || n > 400) return n ? CV_RANGE : CV_SYNTAX;
    char buf[408];
    memcpy(buf, s, n);
    buf[n] = 0;
    for (size_t i = 0; i < n; i++)
        if (buf[i] == 'x' || buf[i] == 'X' || buf[i] == '(') return CV_SYNTAX;
    char *end;
    errno = 0;
    double d = strtod(buf, &end);
    if (end != buf + n || end == buf) return CV_SYNTAX;
    if (errno == ERANGE && isinf(d)) return CV_RANGE;
    *out = d;
    return CV_OK;
}

static int parse_bool(const char *s, size_t n, uint8_t *out)
{
    trim(&s, &n);
    static const char *const t[] = {"t", "true", "y", "yes", "on", "1"};
    static const char *const f[] = {"f", "false", "n", "no", "off", "0"};
    for (size_t i = 0; i < 6; i++) {
        if (strlen(t[i]) == n && strncasecmp(s, t[i], n) == 0) return *out = 1, CV_OK;
        if (strlen(f[i]) == n && strncasecmp(s, f[i], n) == 0) return *out = 0, CV_OK;
    }
    return CV_SYNTAX;
}

/* ---- JSON validation (TEXT → JSON) ------------------------------------- */

typedef struct jp {
    const char *s, *e;
    int depth;
} jp;

static void jws(jp *p)
{
    while (p->s < p->e && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r')) p->s++;
}

static bool jvalue(jp *p);

static bool jstring(jp *p)
{
    p->s++; /* opening quote */
    while (p->s < p->e) {
        unsigned char c = (unsigned char)*p->s++;
        if (c == '"') return true;
        if (c < 0x20) return false;
        if (c == '\\') {
            if (p->s >= p->e) return false;
            char x = *p->s++;
            if (x == 'u') {
                for (int k = 0; k < 4; k++, p->s++)
                    if (p->s >= p->e || !isxdigit((unsigned char)*p->s)) return false;
            } else if (!strchr("\"\\/bfnrt", x) || !x) {
                return false;
            }
        }
    }
    return false;
}

static bool jnumber(jp *p)
{
    const char *s = p->s;
    if (s < p->e && *s == '-') s++;
    if (s >= p->e || !isdigit((unsigned char)*s)) return false;
    if (*s == '0')
        s++;
    else
        while (s < p->e && isdigit((unsigned char)*s)) s++;
    if (s < p->e && *s == '.') {
        s++;
        if (s >= p->e || !isdigit((unsigned char)*s)) return false;
        while (s < p->e && isdigit((unsigned char)*s)) s++;
    }
    if (s < p->e && (*s == 'e' || *s == 'E')) {
        s++;
        if (s < p->e && (*s == '+' || *s == '-')) s++;
        if (s >= p->e || !isdigit((unsigned char)*s)) return false;
        while (s < p->e && isdigit((unsigned char)*s)) s++;
    }
    p->s = s;
    return true;
}

static bool jlit(jp *p, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(p->e - p->s) < n || memcmp(p->s, w, n)) return false;
    p->s += n;
    return true;
}

static bool jvalue(jp *p)
{
    jws(p);
    if (p->s >= p->e) return false;
    char c = *p->s;
    if (c == '"') return jstring(p);
    if (c == '{' || c == '[') {
        if (++p->depth > 256) return false;
        char close = c == '{' ? '}' : ']';
        p->s++;
        jws(p);
        if (p->s < p->e && *p->s == close) {
            p->s++;
            p->depth--;
            return true;
        }
        for (;;) {
            if (c == '{') {
                jws(p);
                if (p->s >= p->e || *p->s != '"' || !jstring(p)) return false;
                jws(p);
                if (p->s >= p->e || *p->s != ':') return false;
                p->s++;
            }
            if (!jvalue(p)) return false;
            jws(p);
            if (p->s >= p->e) return false;
            if (*p->s == ',') {
                p->s++;
                continue;
            }
            if (*p->s != close) return false;
            p->s++;
            p->depth--;
            return true;
        }
    }
    if (c == 't') return jlit(p, "true");
    if (c == 'f') return jlit(p, "false");
    if (c == 'n') return jlit(p, "null");
    return jnumber(p);
}

static bool json_valid(const char *s, size_t n)
{
    jp p = {s, s + n, 0};
    if (!jvalue(&p)) return false;
    jws(&p);
    return p.s == p.e;
}

/* ---- the cast ---------------------------------------------------------- */

static int fail(wd_kctx *k, const wd_col *in, uint32_t i, wd_col *out, uint32_t r, bool try_cast,
                int why)
{
    if (try_cast) {
        wd_col_set_null(out, r, k->arena);
        return 0;
    }
    char v[160];
    wd_x_val_msg(in, i, v, sizeof v);
    if (why == CV_RANGE)
        return wd_err_at(k->err, WD_EOVERFLOW, k->pos, "cannot cast %s to %s: out of range", v,
                         wd_type_name(out->type));
    return wd_err_at(k->err, WD_ECAST, k->pos, "cannot cast %s to %s", v,
                     wd_type_name(out->type));
}

/* TEXT (or JSON text) value s → row r of o. */
static int from_text(wd_col *o, uint32_t r, wd_str s, wd_arena *a)
{
    const char *p = s.ptr;
    size_t n = s.len;
    wd_type_id t = o->type->id;
    switch (t) {
    case WD_T_TEXT:
    case WD_T_BYTES: ((wd_str *)o->data)[r] = s; return CV_OK;
    case WD_T_JSON:
        if (!json_valid(p, n)) return CV_SYNTAX;
        ((wd_str *)o->data)[r] = s;
        return CV_OK;
    case WD_T_BOOL: return parse_bool(p, n, &((uint8_t *)o->data)[r]);
    case WD_T_INT16:
    case WD_T_INT32:
    case WD_T_INT64:
    case WD_T_UINT16:
    case WD_T_UINT32:
    case WD_T_UINT64: {
        num v = {NUM_INT, 0, 0, 0};
        int rc = parse_int(p, n, &v.i);
        return rc ? rc : write_num(o, r, v);
    }
    case WD_T_FLOAT32:
    case WD_T_FLOAT64: {
        num v = {NUM_FLT, 0, 0, 0};
        int rc = parse_float(p, n, &v.d);
        return rc ? rc : write_num(o, r, v);
    }
    case WD_T_DECIMAL: {
        wd_i128 x;
        int rc = wd_x_parse_dec(p, n, o->type->scale, &x);
        if (rc) return rc;
        if (x != 0 && wd_x_i128_digits(x) > o->type->precision) return CV_RANGE;
        ((wd_i128 *)o->data)[r] = x;
        return CV_OK;
    }
    case WD_T_TIMESTAMP: {
        trim(&p, &n);
        return wd_ts_parse(p, n, &((int64_t *)o->data)[r]) ? CV_SYNTAX : CV_OK;
    }
    case WD_T_DATE: {
        trim(&p, &n);
        return wd_date_parse(p, n, &((int32_t *)o->data)[r]) ? CV_SYNTAX : CV_OK;
    }
    case WD_T_INTERVAL: {
        trim(&p, &n);
        return wd_interval_parse(p, n, NULL, &((wd_interval *)o->data)[r]) ? CV_SYNTAX : CV_OK;
    }
    default: return CV_SYNTAX;
    }
}

int wd_cast_col(wd_kctx *k, const wd_col *in, uint32_t n, wd_col *out, bool try_cast)
{
    const wd_type *ft = in->type, *tt = out->type;
    wd_arena *a = k->arena;
    if (!wd_cast_allowed(ft, tt))
        return wd_err_at(k->err, WD_ECAST, k->pos, "cannot cast %s to %s", wd_type_name(ft),
                         wd_type_name(tt));
    out->len = n;
    if (ft->id == WD_T_NULL) {
        wd_x_col_all_null(out, a);
        return 0;
    }
    if (wd_type_eq(ft, tt) && ft->id != WD_T_STRUCT && ft->id != WD_T_LIST) {
        size_t w = wd_type_width(ft->id);
        for (uint32_t i = 0; i < n; i++) {
            if (!wd_col_valid(in, i)) {
                wd_col_set_null(out, i, a);
                continue;
            }
            memcpy((char *)out->data + (size_t)i * w,
                   (const char *)in->data + (size_t)wd_col_idx(in, i) * w, w);
        }
        return 0;
    }
    wd_type_id f = ft->id, t = tt->id;

    if (t == WD_T_LIST && f == WD_T_LIST) {
        /* cast the child values in one go, keep the offsets */
        uint32_t *off = out->data;
        const uint32_t *io = in->data;
        off[0] = 0;
        uint32_t total = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t ki = wd_col_idx(in, i);
            if (wd_col_valid(in, i)) total += io[ki + 1] - io[ki];
            off[i + 1] = total;
        }
        wd_col_init(out->child, tt->elem, total ? total : 1, a);
        wd_col src;
        wd_col_init(&src, ft->elem, total ? total : 1, a);
        for (uint32_t i = 0; i < n; i++) {
            if (!wd_col_valid(in, i)) {
                wd_col_set_null(out, i, a);
                continue;
            }
            uint32_t ki = wd_col_idx(in, i);
            for (uint32_t j = io[ki]; j < io[ki + 1]; j++) wd_x_col_append(&src, in->child, j, a);
        }
        wd_kctx sub = *k;
        sub.ret = tt->elem;
        return wd_cast_col(&sub, &src, total, out->child, try_cast);
    }
    if (t == WD_T_STRUCT && f == WD_T_STRUCT) {
        uint32_t np = (in->flags & WD_COL_CONST) ? 1 : n;
        for (uint32_t fi = 0; fi < tt->nfields; fi++) {
            wd_kctx sub = *k;
            sub.ret = tt->fields[fi].type;
            wd_col *oc = &out->child[fi];
            int rc;
            if (np == n) {
                rc = wd_cast_col(&sub, &in->child[fi], n, oc, try_cast);
            } else {
                wd_col ex;
                wd_col_expand_const(&ex, &in->child[fi], n, a);
                rc = wd_cast_col(&sub, &ex, n, oc, try_cast);
            }
            if (rc) return rc;
        }
        for (uint32_t i = 0; i < n; i++)
            if (!wd_col_valid(in, i)) wd_col_set_null(out, i, a);
        return 0;
    }

    wd_buf b = WD_BUF_INIT;
    int rc = 0;
    for (uint32_t i = 0; i < n && !rc; i++) {
        if (!wd_col_valid(in, i)) {
            wd_col_set_null(out, i, a);
            continue;
        }
        uint32_t ki = wd_col_idx(in, i);
        int why = CV_OK;
        if (t == WD_T_TEXT || (t == WD_T_JSON && f != WD_T_TEXT)) {
            if (f == WD_T_JSON) {
                ((wd_str *)out->data)[i] = ((const wd_str *)in->data)[ki];
            } else {
                wd_buf_reset(&b);
                wd_x_val_text(&b, in, i, t == WD_T_JSON);
                ((wd_str *)out->data)[i] = wd_str_copy(a, b.len ? b.data : "", b.len);
            }
        } else if (f == WD_T_TEXT) {
            why = from_text(out, i, ((const wd_str *)in->data)[ki], a);
        } else if (f == WD_T_JSON) {
            wd_str s = ((const wd_str *)in->data)[ki];
            const char *p = s.ptr;
            size_t len = s.len;
            trim(&p, &len);
            if (len >= 2 && p[0] == '"' && p[len - 1] == '"') p++, len -= 2;
            if (t == WD_T_BOOL || is_num(t))
                why = from_text(out, i, wd_str_make(p, (uint32_t)len), a);
            else
                why = CV_SYNTAX;
        } else if (f == WD_T_TIMESTAMP && t == WD_T_DATE) {
            int64_t ns = ((const int64_t *)in->data)[ki];
            int64_t d = ns / WD_NS_PER_DAY - (ns % WD_NS_PER_DAY < 0);
            if (d < INT32_MIN || d > INT32_MAX)
                why = CV_RANGE;
            else
                ((int32_t *)out->data)[i] = (int32_t)d;
        } else if (f == WD_T_DATE && t == WD_T_TIMESTAMP) {
            int64_t ns;
            if (__builtin_mul_overflow((int64_t)((const int32_t *)in->data)[ki], WD_NS_PER_DAY, &ns))
                why = CV_RANGE;
            else
                ((int64_t *)out->data)[i] = ns;
        } else if ((is_num(f) || is_intish(f) || f == WD_T_TIMESTAMP) &&
                   (is_num(t) || t == WD_T_BOOL || t == WD_T_TIMESTAMP)) {
            why = write_num(out, i, read_num(in, ki));
        } else {
            why = CV_SYNTAX;
        }
        if (why) rc = fail(k, in, i, out, i, try_cast, why);
    }
    wd_buf_free(&b);
    return rc;
}
