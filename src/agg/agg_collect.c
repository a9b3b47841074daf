/*
 * agg_collect.c — array_agg and approx_distinct.
 *
 * array_agg(x): LIST of x's type, the values in arrival order with NULL
 * elements kept (PostgreSQL); NULL when no row arrived.  The elements are
 * kept encoded (agg_int.h) in one growable buffer in the ctx arena, so
 * any element type works and the state row holds 24 bytes.  A long-lived
 * (updating) array_agg grows its arena: the old buffer is wasted on each
 * doubling unless it was the arena's last allocation.  Not retractable.
 * Checkpoints save the count and the encoded elements (array_agg_save).
 *
 * approx_distinct(x): BIGINT estimate of the number of distinct non-NULL
 * values: HyperLogLog with precision 12 (4096 one-byte registers in the
 * state row; standard error about 1.6%), small-range correction by linear
 * counting.  Value hashes are xxHash3 with a fixed seed, so states are
 * comparable across runs.  merge takes the register-wise maximum.  Not
 * retractable.
 *
 * Exports (to agg.c): wd_agg__collect.
 */
#include "agg/agg_int.h"

#include <math.h>

/* ---- array_agg: { wd_agg_vbuf elems; int64 count } ------------------------------------------- */

static const wd_type *array_agg_resolve(wd_arena *a, const wd_type *arg, wd_error *err)
{
    if (!arg) return wd_agg__type_error(err, "array_agg", arg, "one argument of any type");
    const wd_type *t = wd_type_list(a, arg);
    if (!t) wd_err(err, WD_ENOMEM, "out of memory");
    return t;
}

static uint32_t array_agg_size(const wd_type *arg) { return 24; }

/* Room for extra more bytes in b (arena a): at least doubling. */
static uint8_t *vbuf_room(wd_agg_vbuf *b, wd_arena *a, size_t extra)
{
    size_t need = (size_t)b->len + extra;
    if (WD_UNLIKELY(need > UINT32_MAX)) wd_panic("array_agg state of %zu bytes", need);
    if (need > b->cap) {
        size_t nc = b->cap ? (size_t)b->cap * 2 : 64;
        while (nc < need) nc *= 2;
        if (nc > UINT32_MAX) nc = UINT32_MAX;
        b->ptr = wd_agg__realloc(a, b->ptr, b->cap, nc);
        b->cap = (uint32_t)nc;
    }
    return b->ptr + b->len;
}

static void array_agg_update(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *base, uint32_t stride,
                             const uint32_t *slots, const wd_col *arg, const uint32_t *rows,
                             uint32_t n, int sign)
{
    if (!arg || sign < 0) return;
    const uint32_t off = s->offset;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t *p = WD_AGG_ST(base, stride, slots[i], off);
        wd_agg_vbuf *b = (wd_agg_vbuf *)p;
        size_t sz = wd_agg__enc_size(arg, rows[i]);
        wd_agg__enc_write(vbuf_room(b, c->arena, sz), arg, rows[i]);
        b->len += (uint32_t)sz;
        (*(int64_t *)(p + 16))++;
    }
}

static void array_agg_merge(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *dst, const uint8_t *src)
{
    const wd_agg_vbuf *x = (const wd_agg_vbuf *)src;
    if (!x->len) return;
    wd_agg_vbuf *b = (wd_agg_vbuf *)dst;
    memcpy(vbuf_room(b, c->arena, x->len), x->ptr, x->len);
    b->len += x->len;
    *(int64_t *)(dst + 16) += *(const int64_t *)(src + 16);
}

static void array_agg_finalize(const wd_agg_spec *s, const uint8_t *st, wd_col *out, uint32_t row,
                               wd_arena *a)
{
    int64_t k = *(const int64_t *)(st + 16);
    if (k <= 0 || out->type->id != WD_T_LIST) {
        wd_agg__out_null(out, row, a);
        return;
    }
    wd_agg__out_row(out, row, a);
    uint32_t start = ((uint32_t *)out->data)[row];
    if (WD_UNLIKELY((uint64_t)start + (uint64_t)k > UINT32_MAX)) wd_panic("array_agg too large");
    wd_col_reserve(out->child, start + (uint32_t)k, a);
    const uint8_t *p = ((const wd_agg_vbuf *)st)->ptr;
    for (int64_t e = 0; e < k; e++) p = wd_agg__dec(out->child, start + (uint32_t)e, p, a);
    ((uint32_t *)out->data)[row + 1] = start + (uint32_t)k;
    if (out->child->len < start + (uint32_t)k) out->child->len = start + (uint32_t)k;
}

/* Checkpoints: {int64 count; u32 len; the count encoded elements}. */
static void array_agg_save(const wd_agg_spec *s, const uint8_t *st, wd_buf *b)
{
    const wd_agg_vbuf *v = (const wd_agg_vbuf *)st;
    int64_t k = *(const int64_t *)(st + 16);
    wd_snap_put_i64(b, k);
    wd_snap_put_bytes(b, v->ptr, v->len);
}

static bool array_agg_load(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *st, wd_rd *r)
{
    int64_t k = wd_rd_i64(r);
    uint32_t n;
    const uint8_t *p = wd_rd_bytes(r, &n);
    if (r->bad || k < 0 || (uint64_t)k > n) return false;
    const wd_type *t = s->arg_type ? s->arg_type : WD_TYPE_NULL;
    size_t off = 0;
    for (int64_t e = 0; e < k; e++) {
        size_t m = wd_agg__enc_check(t, p + off, n - off);
        if (!m) return false;
        off += m;
    }
    if (off != n) return false;
    if (n) wd_agg__vbuf_set((wd_agg_vbuf *)st, c->arena, p, n);
    *(int64_t *)(st + 16) = k;
    return true;
}

static const wd_agg_def array_agg_def =
    WD_AGG_DEF("array_agg", 1, 0,
               "The values (NULLs included) as a list, in arrival order; NULL when no row.",
               array_agg_resolve, array_agg_size, array_agg_update, array_agg_finalize,
               array_agg_merge, true, array_agg_save, array_agg_load);

/* ---- approx_distinct: uint8 registers[4096] ------------------------------------------------- */

#define HLL_P 12
#define HLL_M (1u << HLL_P)

static const wd_type *approx_distinct_resolve(wd_arena *a, const wd_type *arg, wd_error *err)
{
    if (arg) return WD_TYPE_INT64;
    return wd_agg__type_error(err, "approx_distinct", arg, "one argument of any type");
}

static uint32_t hll_size(const wd_type *arg) { return HLL_M; }

static inline void hll_add(uint8_t *reg, uint64_t h)
{
    uint32_t idx = (uint32_t)(h >> (64 - HLL_P));
    uint64_t w = (h << HLL_P) | ((uint64_t)1 << (HLL_P - 1));
    uint8_t rho = (uint8_t)(__builtin_clzll(w) + 1);
    if (rho > reg[idx]) reg[idx] = rho;
}

static void hll_update(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *base, uint32_t stride,
                       const uint32_t *slots, const wd_col *arg, const uint32_t *rows, uint32_t n,
                       int sign)
{
    if (!arg || sign < 0 || arg->type->id == WD_T_NULL) return;
    const uint32_t off = s->offset;
    const uint32_t cm = wd_agg__cmask(arg);
    const uint8_t *va = arg->valid;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = rows[i];
        if (va && !va[r & cm]) continue;
        hll_add(WD_AGG_ST(base, stride, slots[i], off), wd_agg__hash_value(arg, r));
    }
}

static void hll_merge(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *dst, const uint8_t *src)
{
    for (uint32_t j = 0; j < HLL_M; j++)
        if (src[j] > dst[j]) dst[j] = src[j];
}

/* Ertl's sigma and tau ("New cardinality estimation algorithms for
 * HyperLogLog sketches", 2017). */
static double hll_sigma(double x)
{
    if (x >= 1.0) return INFINITY;
    double y = 1.0, z = x, zo;
    do {
        x *= x;
        zo = z;
        z += x * y;
        y += y;
    } while (z != zo);
    return z;
}

static double hll_tau(double x)
{
    if (x <= 0.0 || x >= 1.0) return 0.0;
    double y = 1.0, z = 1.0 - x, zo;
    do {
        x = sqrt(x);
        zo = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
    } while (z != zo);
    return z / 3.0;
}

/* Ertl's improved estimator over the register histogram: unbiased from 0 to
 * far beyond 2^32 without empirical bias tables or a switch-over point. */
static void hll_finalize(const wd_agg_spec *s, const uint8_t *st, wd_col *out, uint32_t row,
                         wd_arena *a)
{
    enum { Q = 64 - HLL_P };
    uint32_t hist[Q + 2] = {0};
    for (uint32_t j = 0; j < HLL_M; j++) hist[st[j] <= Q + 1 ? st[j] : Q + 1]++;
    double m = HLL_M;
    double z = m * hll_tau(1.0 - hist[Q + 1] / m);
    for (int k = Q; k >= 1; k--) z = 0.5 * (z + hist[k]);
    z += m * hll_sigma(hist[0] / m);
    double e = (0.5 / log(2.0)) * m * m / z;
    wd_agg__out_row(out, row, a);
    ((int64_t *)out->data)[row] = hist[0] == HLL_M ? 0 : (int64_t)llround(e);
}

static const wd_agg_def approx_distinct_def =
    WD_AGG_DEF("approx_distinct", 1, 0,
               "Estimated number of distinct non-NULL values (HyperLogLog, 4096 registers, " "about 1.6% standard error). BIGINT.",
               approx_distinct_resolve, hll_size, hll_update, hll_finalize, hll_merge, false, NULL,
               NULL);

const wd_agg_def *const wd_agg__collect[] = {&array_agg_def, &approx_distinct_def, NULL};
