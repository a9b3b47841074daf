/*
 * agg_minmax.c — min, max, first_value, last_value.
 *
 * min / max: of integers, floats, DECIMAL, TEXT, BYTEA, BOOLEAN, DATE,
 * TIMESTAMP and INTERVAL; the result has the argument's type.  Floats order
 * NaN above every number (PostgreSQL); text and bytes compare bytewise
 * (the C collation); intervals by their length with a month as 30 days (as
 * PostgreSQL compares them).  The current text value is copied into the
 * ctx arena, reusing its buffer when the new value fits.  Not retractable.
 *
 * first_value / last_value: the value of the first / last row to arrive,
 * NULL included (DataFusion's RESPECT NULLS default), of any type.  Values
 * up to 16 bytes are kept in the state; text, structs and lists are kept
 * encoded in a reusable ctx-arena buffer.  merge(dst, src) takes src as
 * the later part of the stream.  Not retractable.
 *
 * Checkpoints: states holding text or encoded values save and load what
 * they point at (mm_save / fl_save); the others are plain bytes.
 *
 * Exports (to agg.c): wd_agg__minmax.
 */
#include "agg/agg_int.h"

/* ---- min / max ------------------------------------------------------------------------ */

/*
 * State by kind (has = a value was seen):
 *   MK_I64 { int64 v; int64 has }     ints (but UINT64), BOOL, DATE, TIMESTAMP
 *   MK_U64 { uint64 v; int64 has }    UINT64
 *   MK_F64 { double v; int64 has }    REAL, DOUBLE
 *   MK_DEC { __int128 v; int64 has }  DECIMAL
 *   MK_IVL { wd_interval v; int64 has } INTERVAL
 *   MK_STR { wd_agg_vbuf v; int64 has } TEXT, BYTEA
 */
enum { MK_I64, MK_U64, MK_F64, MK_DEC, MK_IVL, MK_STR, MK_BAD };

static int mm_kind(const wd_type *t)
{
    if (!t) return MK_BAD;
    switch (t->id) {
    case WD_T_BOOL:
    case WD_T_INT16:
    case WD_T_INT32:
    case WD_T_INT64:
    case WD_T_UINT16:
    case WD_T_UINT32:
    case WD_T_DATE:
    case WD_T_TIMESTAMP: return MK_I64;
    case WD_T_UINT64: return MK_U64;
    case WD_T_FLOAT32:
    case WD_T_FLOAT64: return MK_F64;
    case WD_T_DECIMAL: return MK_DEC;
    case WD_T_INTERVAL: return MK_IVL;
    case WD_T_TEXT:
    case WD_T_BYTES: return MK_STR;
    default: return MK_BAD;
    }
}

#define MM_ACCEPTS                                                                            \
    "a number, TEXT, BYTEA, BOOLEAN, DATE, TIMESTAMP or INTERVAL argument"

static const wd_type *min_resolve(wd_arena *a, const wd_type *arg, wd_error *err)
{
    if (mm_kind(arg) != MK_BAD) return arg;
    return wd_agg__type_error(err, "min", arg, MM_ACCEPTS);
}

static const wd_type *max_resolve(wd_arena *a, const wd_type *arg, wd_error *err)
{
    if (mm_kind(arg) != MK_BAD) return arg;
    return wd_agg__type_error(err, "max", arg, MM_ACCEPTS);
}

static uint32_t mm_size(const wd_type *arg)
{
    int k = mm_kind(arg);
    return k == MK_DEC || k == MK_IVL || k == MK_STR ? 24 : 16;
}

/* Comparable key of an interval: its length with months of 30 days. */
static inline wd_i128 ivl_key(wd_interval v)
{
    return ((wd_i128)v.months * 30 + v.days) * (wd_i128)WD_NS_PER_DAY + v.nanos;
}

static inline int str_cmp(const void *a, uint32_t an, const void *b, uint32_t bn)
{
    uint32_t m = an < bn ? an : bn;
    int c = m ? memcmp(a, b, m) : 0;
    if (c) return c;
    return an < bn ? -1 : an > bn;
}

/* "x is better than the current value" for min (MAX = 0) and max (MAX = 1). */
#define BETTER_NUM(MAX, x, cur) ((MAX) ? (x) > (cur) : (x) < (cur))
#define BETTER_F64(MAX, x, cur)                                                               \
    ((MAX) ? ((x) > (cur) || ((x) != (x) && (cur) == (cur)))                                  \
           : ((x) < (cur) || ((cur) != (cur) && (x) == (x))))

#define MM_LOOP(T, ST, MAX, BETTER)                                                           \
    do {                                                                                      \
        const T *v = arg->data;                                                               \
        for (uint32_t i = 0; i < n; i++) {                                                    \
            uint32_t r = rows[i] & cm;                                                        \
            if (va && !va[r]) continue;                                                       \
            uint8_t *p = WD_AGG_ST(base, stride, slots[i], off);                              \
            ST x = (ST)v[r];                                                                  \
            ST *cur = (ST *)p;                                                                \
            int64_t *has = (int64_t *)(p + 8);                                                \
            if (!*has || BETTER(MAX, x, *cur)) {                                              \
                *cur = x;                                                                     \
                *has = 1;                                                                     \
            }                                                                                 \
        }                                                                                     \
    } while (0)

static void mm_update(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *base, uint32_t stride,
                      const uint32_t *slots, const wd_col *arg, const uint32_t *rows, uint32_t n,
                      int sign, const int MAX)
{
    if (!arg || sign < 0) return;
    const uint32_t off = s->offset;
    const uint32_t cm = wd_agg__cmask(arg);
    const uint8_t *va = arg->valid;
    switch (arg->type->id) {
    case WD_T_BOOL: MM_LOOP(uint8_t, int64_t, MAX, BETTER_NUM); return;
    case WD_T_INT16: MM_LOOP(int16_t, int64_t, MAX, BETTER_NUM); return;
    case WD_T_INT32:
    case WD_T_DATE: MM_LOOP(int32_t, int64_t, MAX, BETTER_NUM); return;
    case WD_T_UINT16: MM_LOOP(uint16_t, int64_t, MAX, BETTER_NUM); return;
    case WD_T_UINT32: MM_LOOP(uint32_t, int64_t, MAX, BETTER_NUM); return;
    case WD_T_INT64:
    case WD_T_TIMESTAMP:
        if (!va && cm) { /* fast path */
            const int64_t *v = arg->data;
            for (uint32_t i = 0; i < n; i++) {
                uint8_t *p = WD_AGG_ST(base, stride, slots[i], off);
                int64_t x = v[rows[i]], *cur = (int64_t *)p, *has = (int64_t *)(p + 8);
                if (!*has || BETTER_NUM(MAX, x, *cur)) {
                    *cur = x;
                    *has = 1;
                }
            }
            return;
        }
        MM_LOOP(int64_t, int64_t, MAX, BETTER_NUM);
        return;
    case WD_T_UINT64: MM_LOOP(uint64_t, uint64_t, MAX, BETTER_NUM); return;
    case WD_T_FLOAT32: MM_LOOP(float, double, MAX, BETTER_F64); return;
    case WD_T_FLOAT64:
        if (!va && cm) { /* fast path */
            const double *v = arg->data;
            for (uint32_t i = 0; i < n; i++) {
                uint8_t *p = WD_AGG_ST(base, stride, slots[i], off);
                double x = v[rows[i]], *cur = (double *)p;
                int64_t *has = (int64_t *)(p + 8);
                if (!*has || BETTER_F64(MAX, x, *cur)) {
                    *cur = x;
                    *has = 1;
                }
            }
            return;
        }
        MM_LOOP(double, double, MAX, BETTER_F64);
        return;
    case WD_T_DECIMAL: {
        const char *v = arg->data;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t r = rows[i] & cm;
            if (va && !va[r]) continue;
            uint8_t *p = WD_AGG_ST(base, stride, slots[i], off);
            wd_i128 x = wd_agg__ld128(v + (size_t)r * 16);
            int64_t *has = (int64_t *)(p + 16);
            if (!*has || BETTER_NUM(MAX, x, wd_agg__ld128(p))) {
                wd_agg__st128(p, x);
                *has = 1;
            }
        }
        return;
    }
    case WD_T_INTERVAL: {
        const wd_interval *v = arg->data;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t r = rows[i] & cm;
            if (va && !va[r]) continue;
            uint8_t *p = WD_AGG_ST(base, stride, slots[i], off);
            wd_interval cur;
            memcpy(&cur, p, sizeof cur);
            int64_t *has = (int64_t *)(p + 16);
            if (!*has || BETTER_NUM(MAX, ivl_key(v[r]), ivl_key(cur))) {
                memcpy(p, &v[r], sizeof cur);
                *has = 1;
            }
        }
        return;
    }
    case WD_T_TEXT:
    case WD_T_BYTES: {
        const wd_str *v = arg->data;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t r = rows[i] & cm;
            if (va && !va[r]) continue;
            uint8_t *p = WD_AGG_ST(base, stride, slots[i], off);
            wd_agg_vbuf *cur = (wd_agg_vbuf *)p;
            int64_t *has = (int64_t *)(p + 16);
            if (!*has || BETTER_NUM(MAX, str_cmp(v[r].ptr, v[r].len, cur->ptr, cur->len), 0)) {
                wd_agg__vbuf_set(cur, c->arena, v[r].ptr, v[r].len);
                *has = 1;
            }
        }
        return;
    }
    default: return;
    }
}

static void min_update(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *base, uint32_t stride,
                       const uint32_t *slots, const wd_col *arg, const uint32_t *rows, uint32_t n,
                       int sign)
{
    mm_update(s, c, base, stride, slots, arg, rows, n, sign, 0);
}

static void max_update(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *base, uint32_t stride,
                       const uint32_t *slots, const wd_col *arg, const uint32_t *rows, uint32_t n,
                       int sign)
{
    mm_update(s, c, base, stride, slots, arg, rows, n, sign, 1);
}

static void mm_merge(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *dst, const uint8_t *src,
                     const int MAX)
{
    int k = mm_kind(s->arg_type);
    size_t hoff = k == MK_DEC || k == MK_IVL || k == MK_STR ? 16 : 8;
    if (!*(const int64_t *)(src + hoff)) return;
    bool take = !*(const int64_t *)(dst + hoff);
    if (!take) {
        switch (k) {
        case MK_I64: take = BETTER_NUM(MAX, *(const int64_t *)src, *(const int64_t *)dst); break;
        case MK_U64: take = BETTER_NUM(MAX, *(const uint64_t *)src, *(const uint64_t *)dst); break;
        case MK_F64: take = BETTER_F64(MAX, *(const double *)src, *(const double *)dst); break;
        case MK_DEC: take = BETTER_NUM(MAX, wd_agg__ld128(src), wd_agg__ld128(dst)); break;
        case MK_IVL: {
            wd_interval x, y;
            memcpy(&x, src, sizeof x);
            memcpy(&y, dst, sizeof y);
            take = BETTER_NUM(MAX, ivl_key(x), ivl_key(y));
            break;
        }
        case MK_STR: {
            const wd_agg_vbuf *x = (const wd_agg_vbuf *)src, *y = (const wd_agg_vbuf *)dst;
            take = BETTER_NUM(MAX, str_cmp(x->ptr, x->len, y->ptr, y->len), 0);
            break;
        }
        default: break;
        }
    }
    if (!take) return;
    if (k == MK_STR) {
        const wd_agg_vbuf *x = (const wd_agg_vbuf *)src;
        wd_agg__vbuf_set((wd_agg_vbuf *)dst, c->arena, x->ptr, x->len);
    } else {
        memcpy(dst, src, hoff);
    }
    *(int64_t *)(dst + hoff) = 1;
}

static void min_merge(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *dst, const uint8_t *src)
{
    mm_merge(s, c, dst, src, 0);
}

static void max_merge(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *dst, const uint8_t *src)
{
    mm_merge(s, c, dst, src, 1);
}

static void mm_finalize(const wd_agg_spec *s, const uint8_t *st, wd_col *out, uint32_t row,
                        wd_arena *a)
{
    int k = mm_kind(s->arg_type);
    size_t hoff = k == MK_DEC || k == MK_IVL || k == MK_STR ? 16 : 8;
    if (k == MK_BAD || !*(const int64_t *)(st + hoff)) {
        wd_agg__out_null(out, row, a);
        return;
    }
    wd_agg__out_row(out, row, a);
    void *d = out->data;
    switch (out->type->id) {
    case WD_T_BOOL: ((uint8_t *)d)[row] = (uint8_t)*(const int64_t *)st; break;
    case WD_T_INT16: ((int16_t *)d)[row] = (int16_t)*(const int64_t *)st; break;
    case WD_T_UINT16: ((uint16_t *)d)[row] = (uint16_t)*(const int64_t *)st; break;
    case WD_T_INT32:
    case WD_T_DATE: ((int32_t *)d)[row] = (int32_t)*(const int64_t *)st; break;
    case WD_T_UINT32: ((uint32_t *)d)[row] = (uint32_t)*(const int64_t *)st; break;
    case WD_T_INT64:
    case WD_T_TIMESTAMP:
    case WD_T_UINT64: ((int64_t *)d)[row] = *(const int64_t *)st; break;
    case WD_T_FLOAT32: ((float *)d)[row] = (float)*(const double *)st; break;
    case WD_T_FLOAT64: ((double *)d)[row] = *(const double *)st; break;
    case WD_T_DECIMAL:
    case WD_T_INTERVAL: memcpy((char *)d + (size_t)row * 16, st, 16); break;
    case WD_T_TEXT:
    case WD_T_BYTES: {
        const wd_agg_vbuf *b = (const wd_agg_vbuf *)st;
        ((wd_str *)d)[row] = wd_str_copy(a, (const char *)b->ptr, b->len);
        break;
    }
    default: wd_col_set_null(out, row, a); break;
    }
}

/* Checkpoints: TEXT / BYTEA states are saved as {int64 has; u32 len; bytes}
 * (the copy lives in the ctx arena), every other kind as its state bytes. */
static void mm_save(const wd_agg_spec *s, const uint8_t *st, wd_buf *b)
{
    if (mm_kind(s->arg_type) != MK_STR) {
        wd_buf_put(b, st, mm_size(s->arg_type));
        return;
    }
    const wd_agg_vbuf *v = (const wd_agg_vbuf *)st;
    int64_t has = *(const int64_t *)(st + 16) ? 1 : 0;
    wd_snap_put_i64(b, has);
    if (has) wd_snap_put_bytes(b, v->ptr, v->len);
}

static bool mm_load(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *st, wd_rd *r)
{
    if (mm_kind(s->arg_type) != MK_STR) {
        uint32_t n = mm_size(s->arg_type);
        const void *p = wd_rd_take(r, n);
        if (!p) return false;
        memcpy(st, p, n);
        return true;
    }
    int64_t has = wd_rd_i64(r);
    if (r->bad || (has != 0 && has != 1)) return false;
    if (!has) return true;
    uint32_t n;
    const void *p = wd_rd_bytes(r, &n);
    if (r->bad) return false;
    wd_agg__vbuf_set((wd_agg_vbuf *)st, c->arena, p, n);
    *(int64_t *)(st + 16) = 1;
    return true;
}

static const wd_agg_def min_def =
    WD_AGG_DEF("min", 1, 0,
               "Smallest non-NULL value (NULL when there are none); same type as the " "argument.",
               min_resolve, mm_size, min_update, mm_finalize, min_merge, false, mm_save, mm_load);

static const wd_agg_def max_def =
    WD_AGG_DEF("max", 1, 0,
               "Largest non-NULL value (NULL when there are none); same type as the " "argument.",
               max_resolve, mm_size, max_update, mm_finalize, max_merge, false, mm_save, mm_load);

/* ---- first_value / last_value -------------------------------------------------------------- */

/* State: { uint8 set @0; uint8 null @1; payload @8: the value's bytes (inline
 * types) or a wd_agg_vbuf holding its encoding }: 24 bytes. */
static bool fl_inline(const wd_type *t)
{
    if (!t) return false;
    switch (t->id) {
    case WD_T_NULL:
    case WD_T_TEXT:
    case WD_T_BYTES:
    case WD_T_JSON:
    case WD_T_STRUCT:
    case WD_T_LIST:
    case WD_T__COUNT: return false;
    default: return true;
    }
}

static const wd_type *first_resolve(wd_arena *a, const wd_type *arg, wd_error *err)
{
    if (arg) return arg;
    return wd_agg__type_error(err, "first_value", arg, "one argument of any type");
}

static const wd_type *last_resolve(wd_arena *a, const wd_type *arg, wd_error *err)
{
    if (arg) return arg;
    return wd_agg__type_error(err, "last_value", arg, "one argument of any type");
}

static uint32_t fl_size(const wd_type *arg) { return 24; }

/* Store logical row r of arg into state p. */
static inline void fl_store(uint8_t *p, const wd_col *arg, uint32_t r, bool inl, size_t w,
                            wd_arena *a)
{
    p[0] = 1;
    if (!wd_col_valid(arg, r) || arg->type->id == WD_T_NULL) {
        p[1] = 1;
        return;
    }
    p[1] = 0;
    if (inl) {
        memcpy(p + 8, (const char *)arg->data + (size_t)wd_col_idx(arg, r) * w, w);
        return;
    }
    wd_agg_vbuf *b = (wd_agg_vbuf *)(p + 8);
    size_t sz = wd_agg__enc_size(arg, r);
    if (sz > b->cap) {
        if (WD_UNLIKELY(sz > UINT32_MAX)) wd_panic("first/last_value of %zu bytes", sz);
        size_t cap = sz < 32 ? 32 : (sz + 15) & ~(size_t)15;
        b->ptr = wd_agg__alloc(a, cap);
        b->cap = (uint32_t)cap;
    }
    wd_agg__enc_write(b->ptr, arg, r);
    b->len = (uint32_t)sz;
}

static void fl_update(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *base, uint32_t stride,
                      const uint32_t *slots, const wd_col *arg, const uint32_t *rows, uint32_t n,
                      int sign, bool last)
{
    if (!arg || sign < 0) return;
    const uint32_t off = s->offset;
    bool inl = fl_inline(arg->type);
    size_t w = inl ? wd_type_width(arg->type->id) : 0;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t *p = WD_AGG_ST(base, stride, slots[i], off);
        if (!last && p[0]) continue;
        fl_store(p, arg, rows[i], inl, w, c->arena);
    }
}

static void first_update(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *base, uint32_t stride,
                         const uint32_t *slots, const wd_col *arg, const uint32_t *rows,
                         uint32_t n, int sign)
{
    fl_update(s, c, base, stride, slots, arg, rows, n, sign, false);
}

static void last_update(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *base, uint32_t stride,
                        const uint32_t *slots, const wd_col *arg, const uint32_t *rows,
                        uint32_t n, int sign)
{
    fl_update(s, c, base, stride, slots, arg, rows, n, sign, true);
}

static void fl_copy(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *dst, const uint8_t *src)
{
    dst[0] = 1;
    dst[1] = src[1];
    if (src[1]) return;
    if (fl_inline(s->arg_type)) {
        memcpy(dst + 8, src + 8, 16);
    } else {
        const wd_agg_vbuf *x = (const wd_agg_vbuf *)(src + 8);
        wd_agg__vbuf_set((wd_agg_vbuf *)(dst + 8), c->arena, x->ptr, x->len);
    }
}

static void first_merge(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *dst, const uint8_t *src)
{
    if (!dst[0] && src[0]) fl_copy(s, c, dst, src);
}

static void last_merge(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *dst, const uint8_t *src)
{
    if (src[0]) fl_copy(s, c, dst, src);
}

static void fl_finalize(const wd_agg_spec *s, const uint8_t *st, wd_col *out, uint32_t row,
                        wd_arena *a)
{
    if (!st[0] || st[1] || out->type->id == WD_T_NULL) {
        wd_agg__out_null(out, row, a);
        return;
    }
    if (fl_inline(out->type)) {
        wd_agg__out_row(out, row, a);
        size_t w = wd_type_width(out->type->id);
        memcpy((char *)out->data + (size_t)row * w, st + 8, w);
        return;
    }
    const wd_agg_vbuf *b = (const wd_agg_vbuf *)(st + 8);
    wd_agg__dec(out, row, b->ptr, a);
}

/* Checkpoints: inline types as the state bytes; the others as {u8 set;
 * u8 null; the encoded value (u32 len; bytes) when set and not NULL}. */
static void fl_save(const wd_agg_spec *s, const uint8_t *st, wd_buf *b)
{
    if (fl_inline(s->arg_type)) {
        wd_buf_put(b, st, 24);
        return;
    }
    wd_snap_put_u8(b, st[0] ? 1 : 0);
    wd_snap_put_u8(b, st[1] ? 1 : 0);
    if (st[0] && !st[1]) {
        const wd_agg_vbuf *v = (const wd_agg_vbuf *)(st + 8);
        wd_snap_put_bytes(b, v->ptr, v->len);
    }
}

static bool fl_load(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *st, wd_rd *r)
{
    if (fl_inline(s->arg_type)) {
        const uint8_t *p = wd_rd_take(r, 24);
        if (!p || p[0] > 1 || p[1] > 1) return false;
        memcpy(st, p, 24);
        return true;
    }
    uint8_t set = wd_rd_u8(r), null = wd_rd_u8(r);
    if (r->bad || set > 1 || null > 1) return false;
    if (set && !null) {
        uint32_t n;
        const uint8_t *p = wd_rd_bytes(r, &n);
        const wd_type *t = s->arg_type ? s->arg_type : WD_TYPE_NULL;
        if (r->bad || wd_agg__enc_check(t, p, n) != n) return false;
        wd_agg__vbuf_set((wd_agg_vbuf *)(st + 8), c->arena, p, n);
    }
    st[0] = set;
    st[1] = null;
    return true;
}

static const wd_agg_def first_def =
    WD_AGG_DEF("first_value", 1, 0,
               "Value of the first row to arrive (NULL included); any type.",
               first_resolve, fl_size, first_update, fl_finalize, first_merge, true, fl_save,
               fl_load);

static const wd_agg_def last_def =
    WD_AGG_DEF("last_value", 1, 0,
               "Value of the last row to arrive (NULL included); any type.",
               last_resolve, fl_size, last_update, fl_finalize, last_merge, true, fl_save, fl_load);

const wd_agg_def *const wd_agg__minmax[] = {&min_def, &max_def, &first_def, &last_def, NULL};
