/*
 * sort.c — SQL value order, the multi-column row comparator, and a sort of
 * row indexes (normalised 64-bit prefix of the first key + LSD radix sort,
 * comparator merge sort only for runs the prefix cannot decide).
 *
 * Exports: wd_value_cmp, wd_row_cmp, wd_row_cmp2, wd_sort_rows.
 */
#include "batch/sort.h"

#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

/* ---- values --------------------------------------------------------------- */

static inline int cmp_i64(int64_t a, int64_t b) { return (a > b) - (a < b); }
static inline int cmp_u64(uint64_t a, uint64_t b) { return (a > b) - (a < b); }

/* NaN equals NaN and sorts above every number; -0.0 = 0.0. */
static inline int cmp_f64(double a, double b)
{
    int na = a != a, nb = b != b;
    if (na | nb) return na - nb;
    return (a > b) - (a < b);
}

/* An interval's length for ordering: a month is 30 days, a day 24 hours. */
static inline wd_i128 interval_span(wd_interval v)
{
    return ((wd_i128)v.months * 30 + v.days) * (wd_i128)WD_NS_PER_DAY + v.nanos;
}

static inline int cmp_str(wd_str a, wd_str b)
{
    uint32_t m = a.len < b.len ? a.len : b.len;
    int c = m ? memcmp(a.ptr, b.ptr, m) : 0;
    if (c) return c < 0 ? -1 : 1;
    return (a.len > b.len) - (a.len < b.len);
}

static int value_cmp_at(const wd_col *x, uint32_t i, const wd_col *y, uint32_t j);

/* Both values valid; i and j are physical indexes. */
static int value_cmp_phys(const wd_col *x, uint32_t i, const wd_col *y, uint32_t j)
{
    wd_type_id t = x->type ? x->type->id : WD_T_NULL;
    wd_type_id u = y->type ? y->type->id : WD_T_NULL;
    if (WD_UNLIKELY(t != u)) return (t > u) - (t < u); /* never for one schema */
#define XV(T) (((const T *)x->data)[i])
#define YV(T) (((const T *)y->data)[j])
    switch (t) {
    case WD_T_NULL: return 0;
    case WD_T_BOOL: return (int)(XV(uint8_t) != 0) - (int)(YV(uint8_t) != 0);
    case WD_T_INT16: return cmp_i64(XV(int16_t), YV(int16_t));
    case WD_T_INT32:
    case WD_T_DATE: return cmp_i64(XV(int32_t), YV(int32_t));
    case WD_T_INT64:
    case WD_T_TIMESTAMP: return cmp_i64(XV(int64_t), YV(int64_t));
    case WD_T_UINT16: return cmp_u64(XV(uint16_t), YV(uint16_t));
    case WD_T_UINT32: return cmp_u64(XV(uint32_t), YV(uint32_t));
    case WD_T_UINT64: return cmp_u64(XV(uint64_t), YV(uint64_t));
    case WD_T_FLOAT32: return cmp_f64(XV(float), YV(float));
    case WD_T_FLOAT64: return cmp_f64(XV(double), YV(double));
    case WD_T_DECIMAL: {
        wd_i128 a, b;
        memcpy(&a, (const char *)x->data + (size_t)i * sizeof a, sizeof a);
        memcpy(&b, (const char *)y->data + (size_t)j * sizeof b, sizeof b);
        return (a > b) - (a < b);
    }
    case WD_T_TEXT:
    case WD_T_BYTES:
    case WD_T_JSON: return cmp_str(XV(wd_str), YV(wd_str));
    case WD_T_INTERVAL: {
        wd_i128 a = interval_span(XV(wd_interval)), b = interval_span(YV(wd_interval));
        return (a > b) - (a < b);
    }
    case WD_T_STRUCT:
        if (!x->child || !y->child) return 0;
        for (uint32_t f = 0; f < x->type->nfields; f++) {
            int c = value_cmp_at(&x->child[f], i, &y->child[f], j);
            if (c) return c;
        }
        return 0;
    case WD_T_LIST: {
        if (!x->data || !y->data || !x->child || !y->child) return 0;
        const uint32_t *xo = x->data, *yo = y->data;
        uint32_t xn = xo[i + 1] - xo[i], yn = yo[j + 1] - yo[j];
        uint32_t m = xn < yn ? xn : yn;
        for (uint32_t e = 0; e < m; e++) {
            int c = value_cmp_at(x->child, xo[i] + e, y->child, yo[j] + e);
            if (c) return c;
        }
        return (xn > yn) - (xn < yn);
    }
    case WD_T__COUNT: break;
    }
#undef XV
#undef YV
    return 0;
}

/* Logical rows; NULL after every value. */
static int value_cmp_at(const wd_col *x, uint32_t i, const wd_col *y, uint32_t j)
{
    i = wd_col_idx(x, i);
    j = wd_col_idx(y, j);
    int nx = x->valid && !x->valid[i], ny = y->valid && !y->valid[j];
    if (nx | ny) return nx - ny;
    return value_cmp_phys(x, i, y, j);
}

/* Compare row a of x with row b of y (same type), ascending, NULLs last. */
int wd_value_cmp(const wd_col *x, uint32_t a, const wd_col *y, uint32_t b)
{
    return value_cmp_at(x, a, y, b);
}

/* ---- rows ----------------------------------------------------------------- */

/* Compare row a of ca with row b of cb on keys (see sort.h). */
int wd_row_cmp2(const wd_col *ca, uint32_t a, const wd_col *cb, uint32_t b,
                const wd_sort_key *keys, uint32_t nkeys)
{
    for (uint32_t k = 0; k < nkeys; k++) {
        const wd_col *x = &ca[keys[k].col], *y = &cb[keys[k].col];
        uint32_t i = wd_col_idx(x, a), j = wd_col_idx(y, b);
        int nx = x->valid && !x->valid[i], ny = y->valid && !y->valid[j];
        if (nx | ny) {
            if (nx & ny) continue;
            /* exactly one NULL: its place does not depend on the direction */
            return (nx ? -1 : 1) * (keys[k].nulls_first ? 1 : -1);
        }
        int c = value_cmp_phys(x, i, y, j);
        if (c) return keys[k].desc ? -c : c;
    }
    return 0;
}

/* Compare rows a and b of one set of columns on keys. */
int wd_row_cmp(const wd_col *cols, const wd_sort_key *keys, uint32_t nkeys, uint32_t a,
               uint32_t b)
{
    return wd_row_cmp2(cols, a, cols, b, keys, nkeys);
}

/* ---- sorting ------------------------------------------------------------- */

typedef struct sort_ctx {
    const wd_col *cols;
    const wd_sort_key *keys;
    uint32_t nkeys;
} sort_ctx;

/* Total order: keys, then the row index. */
static inline int full_cmp(const sort_ctx *c, uint32_t a, uint32_t b)
{
    int r = wd_row_cmp2(c->cols, a, c->cols, b, c->keys, c->nkeys);
    if (r) return r;
    return (a > b) - (a < b);
}

/* Sort v[0..n) by full_cmp: insertion-sorted blocks, then bottom-up merges
 * through tmp (n entries). */
static void merge_sort(const sort_ctx *c, uint32_t *v, uint32_t n, uint32_t *tmp)
{
    enum { BLOCK = 16 };
    for (uint32_t s = 0; s < n; s += BLOCK) {
        uint32_t e = s + BLOCK < n ? s + BLOCK : n;
        for (uint32_t i = s + 1; i < e; i++) {
            uint32_t x = v[i], j = i;
            while (j > s && full_cmp(c, v[j - 1], x) > 0) {
                v[j] = v[j - 1];
                j--;
            }
            v[j] = x;
        }
    }
    uint32_t *src = v, *dst = tmp;
    for (uint32_t w = BLOCK; w < n; w *= 2) {
        for (uint32_t s = 0; s < n; s += 2 * w) {
            uint32_t m = s + w < n ? s + w : n, e = s + 2 * w < n ? s + 2 * w : n;
            uint32_t i = s, j = m, k = s;
            if (m < e && full_cmp(c, src[m - 1], src[m]) <= 0) { /* already in order */
                memcpy(dst + s, src + s, (size_t)(e - s) * sizeof *v);
                continue;
            }
            while (i < m && j < e)
                dst[k++] = full_cmp(c, src[i], src[j]) <= 0 ? src[i++] : src[j++];
            while (i < m) dst[k++] = src[i++];
            while (j < e) dst[k++] = src[j++];
        }
        uint32_t *t = src;
        src = dst;
        dst = t;
        if (w > UINT32_MAX / 2) break;
    }
    if (src != v) memcpy(v, src, (size_t)n * sizeof *v);
}

/*
 * Stable LSD radix sort of (key[i], val[i]) by key, 8 bits a pass; passes
 * whose byte is the same for every entry are skipped.  k2 / v2 are scratch
 * of n entries.  The result ends in key / val.
 */
static void radix_sort(uint64_t *key, uint32_t *val, uint64_t *k2, uint32_t *v2, uint32_t n)
{
    uint32_t (*hist)[256] = wd_calloc(8, sizeof *hist);
    for (uint32_t i = 0; i < n; i++) {
        uint64_t x = key[i];
        for (int b = 0; b < 8; b++) hist[b][(x >> (8 * b)) & 0xff]++;
    }
    uint64_t *ks = key, *kd = k2;
    uint32_t *vs = val, *vd = v2;
    for (int b = 0; b < 8; b++) {
        uint32_t *h = hist[b];
        if (h[(ks[0] >> (8 * b)) & 0xff] == n) continue; /* one byte value: nothing moves */
        uint32_t sum = 0;
        for (int d = 0; d < 256; d++) {
            uint32_t c = h[d];
            h[d] = sum;
            sum += c;
        }
        for (uint32_t i = 0; i < n; i++) {
            uint32_t d = (uint32_t)(ks[i] >> (8 * b)) & 0xff;
            uint32_t p = h[d]++;
            kd[p] = ks[i];
            vd[p] = vs[i];
        }
        uint64_t *kt = ks;
        ks = kd;
        kd = kt;
        uint32_t *vt = vs;
        vs = vd;
        vd = vt;
    }
    if (ks != key) {
        memcpy(key, ks, (size_t)n * sizeof *key);
        memcpy(val, vs, (size_t)n * sizeof *val);
    }
    wd_free(hist);
}

static inline uint64_t sat_i128(wd_i128 v)
{
    int64_t s = v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : (int64_t)v;
    return (uint64_t)s ^ (1ull << 63);
}

static inline uint64_t f64_prefix(double d)
{
    if (d != d) return UINT64_MAX;
    if (d == 0.0) d = 0.0;
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return (bits >> 63) ? ~bits : bits | (1ull << 63);
}

/*
 * Normalised prefix of the first key's value at physical row j (valid):
 * ascending unsigned order of prefixes never contradicts the value order
 * (a < b implies prefix(a) <= prefix(b)).  For the types of prefix_exact,
 * equal prefixes also mean equal values.
 */
static inline uint64_t value_prefix(const wd_col *c, uint32_t j)
{
    switch (c->type->id) {
    case WD_T_BOOL: return ((const uint8_t *)c->data)[j] != 0;
    case WD_T_INT16: return (uint64_t)(int64_t)((const int16_t *)c->data)[j] ^ (1ull << 63);
    case WD_T_INT32:
    case WD_T_DATE: return (uint64_t)(int64_t)((const int32_t *)c->data)[j] ^ (1ull << 63);
    case WD_T_INT64:
    case WD_T_TIMESTAMP: return (uint64_t)((const int64_t *)c->data)[j] ^ (1ull << 63);
    case WD_T_UINT16: return ((const uint16_t *)c->data)[j];
    case WD_T_UINT32: return ((const uint32_t *)c->data)[j];
    case WD_T_UINT64: return ((const uint64_t *)c->data)[j];
    case WD_T_FLOAT32: return f64_prefix(((const float *)c->data)[j]);
    case WD_T_FLOAT64: return f64_prefix(((const double *)c->data)[j]);
    case WD_T_DECIMAL: {
        wd_i128 v;
        memcpy(&v, (const char *)c->data + (size_t)j * sizeof v, sizeof v);
        return sat_i128(v);
    }
    case WD_T_INTERVAL: return sat_i128(interval_span(((const wd_interval *)c->data)[j]));
    case WD_T_TEXT:
    case WD_T_BYTES:
    case WD_T_JSON: {
        wd_str s = ((const wd_str *)c->data)[j];
        uint64_t p = 0;
        for (uint32_t i = 0; i < 8; i++) p = (p << 8) | (i < s.len ? (uint8_t)s.ptr[i] : 0);
        return p;
    }
    default: return 0;
    }
}

static bool prefix_exact(wd_type_id t)
{
    switch (t) {
    case WD_T_BOOL: case WD_T_INT16: case WD_T_INT32: case WD_T_INT64: case WD_T_UINT16:
    case WD_T_UINT32: case WD_T_UINT64: case WD_T_FLOAT32: case WD_T_FLOAT64:
    case WD_T_TIMESTAMP: case WD_T_DATE:
        return true;
    default:
        return false;
    }
}

/* Sort idx[0..n) by keys, ties by index (see sort.h). */
void wd_sort_rows(const wd_col *cols, const wd_sort_key *keys, uint32_t nkeys, uint32_t *idx,
                  uint32_t n)
{
    if (n < 2) return;
    sort_ctx sc = {cols, keys, nkeys};
    uint32_t *tmp = wd_malloc((size_t)n * sizeof *tmp);
    if (n <= 32) {
        merge_sort(&sc, idx, n, tmp);
        wd_free(tmp);
        return;
    }
    uint64_t *pk = wd_malloc((size_t)n * sizeof *pk), *pk2 = wd_malloc((size_t)n * sizeof *pk2);

    /* ascending indexes first: the radix sort is stable, so ties stay in
     * index order */
    bool asc = true;
    for (uint32_t i = 1; i < n && asc; i++) asc = idx[i - 1] < idx[i];
    if (!asc) {
        for (uint32_t i = 0; i < n; i++) pk[i] = idx[i];
        radix_sort(pk, idx, pk2, tmp, n);
    }
    if (nkeys == 0) goto done;

    /* NULLs of the first key to their end, order kept */
    const wd_col *c0 = &cols[keys[0].col];
    uint32_t nnull = 0;
    if (c0->valid) {
        uint32_t k = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (c0->valid[wd_col_idx(c0, idx[i])]) idx[k++] = idx[i];
            else tmp[nnull++] = idx[i];
        }
        if (nnull) {
            if (keys[0].nulls_first) {
                memmove(idx + nnull, idx, (size_t)k * sizeof *idx);
                memcpy(idx, tmp, (size_t)nnull * sizeof *idx);
            } else {
                memcpy(idx + k, tmp, (size_t)nnull * sizeof *idx);
            }
        }
    }
    uint32_t vs = keys[0].nulls_first ? nnull : 0, vn = n - nnull;
    uint32_t ns = keys[0].nulls_first ? 0 : vn;
    uint32_t *v = idx + vs;

    /* the valid rows: radix sort on the prefix */
    bool desc = keys[0].desc;
    for (uint32_t i = 0; i < vn; i++) {
        uint64_t p = value_prefix(c0, wd_col_idx(c0, v[i]));
        pk[i] = desc ? ~p : p;
    }
    if (vn > 1) radix_sort(pk, v, pk2, tmp, vn);

    /* runs of equal prefixes the prefix does not settle */
    bool settled = prefix_exact(c0->type->id) && nkeys == 1;
    if (!settled) {
        for (uint32_t s = 0; s < vn;) {
            uint32_t e = s + 1;
            while (e < vn && pk[e] == pk[s]) e++;
            if (e - s > 1) merge_sort(&sc, v + s, e - s, tmp);
            s = e;
        }
    }
    /* the NULL rows tie on the first key: the others decide */
    if (nnull > 1 && nkeys > 1) merge_sort(&sc, idx + ns, nnull, tmp);
done:
    wd_free(pk);
    wd_free(pk2);
    wd_free(tmp);
}
