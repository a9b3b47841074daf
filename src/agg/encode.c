/*
 * encode.c — the normalised value encoding of src/agg (group keys,
 * DISTINCT sets, first/last_value and array_agg states), value hashing,
 * decimal helpers and allocation helpers.  The format is described in
 * agg_int.h.
 *
 * Exports (private to src/agg): wd_agg__enc_size, wd_agg__enc_write,
 * wd_agg__dec, wd_agg__enc_check, wd_agg__hash_bytes, wd_agg__hash_value, wd_agg__pow10,
 * wd_agg__dec_to_double, wd_agg__alloc, wd_agg__realloc, wd_agg__malloc,
 * wd_agg__grow, wd_agg__vbuf_set; (agg.h) wd_value_enc_size, wd_value_encode,
 * wd_value_decode, wd_value_check.
 */
#include "agg/agg_int.h"

#include <xxhash.h>

#include "common/error.h"

#define AGG_SEED 0x4147475345454431ULL /* fixed: HLL states depend on it */

/* ---- allocation -------------------------------------------------------------------- */

/* n bytes from arena a; never NULL (retries once after an injected failure). */
void *wd_agg__alloc(wd_arena *a, size_t n)
{
    void *p = wd_arena_alloc(a, n);
    if (WD_UNLIKELY(!p)) p = wd_arena_alloc(a, n);
    if (WD_UNLIKELY(!p)) wd_panic("out of memory in an aggregate arena (%zu bytes)", n);
    return p;
}

/* wd_arena_realloc that never returns NULL. */
void *wd_agg__realloc(wd_arena *a, void *p, size_t old_n, size_t new_n)
{
    void *q = wd_arena_realloc(a, p, old_n, new_n);
    if (WD_UNLIKELY(!q)) q = wd_arena_realloc(a, p, old_n, new_n);
    if (WD_UNLIKELY(!q)) wd_panic("out of memory in an aggregate arena (%zu bytes)", new_n);
    return q;
}

/* wd_malloc that never returns NULL; free with wd_free. */
void *wd_agg__malloc(size_t n)
{
    void *p = wd_malloc(n);
    if (WD_UNLIKELY(!p)) p = wd_malloc(n);
    if (WD_UNLIKELY(!p)) wd_panic("out of memory (%zu bytes)", n);
    return p;
}

/* wd_realloc that never returns NULL. */
void *wd_agg__grow(void *p, size_t n)
{
    void *q = wd_realloc(p, n);
    if (WD_UNLIKELY(!q)) q = wd_realloc(p, n);
    if (WD_UNLIKELY(!q)) wd_panic("out of memory (%zu bytes)", n);
    return q;
}

/* b = copy of p[0..n) in arena a, reusing b's buffer when it is large enough. */
void wd_agg__vbuf_set(wd_agg_vbuf *b, wd_arena *a, const void *p, size_t n)
{
    if (WD_UNLIKELY(n > UINT32_MAX)) wd_panic("aggregate value of %zu bytes", n);
    if (n > b->cap) {
        size_t cap = n < 32 ? 32 : (n + 15) & ~(size_t)15;
        if (cap > UINT32_MAX) cap = n;
        b->ptr = wd_agg__alloc(a, cap);
        b->cap = (uint32_t)cap;
    }
    if (n) memcpy(b->ptr, p, n);
    b->len = (uint32_t)n;
}

/* ---- decimals ------------------------------------------------------------------------ */

/* 10^k for k in 0..38 (clamped). */
wd_i128 wd_agg__pow10(int k)
{
    if (k <= 0) return 1;
    if (k > 38) k = 38;
    wd_i128 v = 1;
    for (int i = 0; i < k; i++) v *= 10;
    return v;
}

/* DECIMAL value v (times 10^scale) as a double. */
double wd_agg__dec_to_double(wd_i128 v, int scale)
{
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,
                                 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
                                 1e20, 1e21, 1e22, 1e23, 1e24, 1e25, 1e26, 1e27, 1e28, 1e29,
                                 1e30, 1e31, 1e32, 1e33, 1e34, 1e35, 1e36, 1e37, 1e38};
    if (scale < 0) scale = 0;
    if (scale > 38) scale = 38;
    return (double)v / p10[scale];
}

/* ---- encoding ------------------------------------------------------------------------ */

static inline float norm_f32(float f)
{
    if (f == 0.0f) return 0.0f;
    if (f != f) return __builtin_nanf("");
    return f;
}

static inline double norm_f64(double d)
{
    if (d == 0.0) return 0.0;
    if (d != d) return __builtin_nan("");
    return d;
}

/* Size of the value at physical index j of c (validity not yet checked). */
static size_t enc_size_phys(const wd_col *c, uint32_t j)
{
    if (c->valid && !c->valid[j]) return 1;
    switch (c->type->id) {
    case WD_T_NULL: return 1;
    case WD_T_TEXT:
    case WD_T_BYTES:
    case WD_T_JSON: return 1 + 4 + (size_t)((const wd_str *)c->data)[j].len;
    case WD_T_STRUCT: {
        size_t n = 1;
        for (uint32_t f = 0; f < c->type->nfields; f++) n += wd_agg__enc_size(&c->child[f], j);
        return n;
    }
    case WD_T_LIST: {
        const uint32_t *off = c->data;
        size_t n = 1 + 4;
        for (uint32_t e = off[j]; e < off[j + 1]; e++) n += wd_agg__enc_size(c->child, e);
        return n;
    }
    default: return 1 + wd_type_width(c->type->id);
    }
}

/* Bytes of the encoding of logical row `row` of c. */
size_t wd_agg__enc_size(const wd_col *c, uint32_t row)
{
    return enc_size_phys(c, wd_col_idx(c, row));
}

/* Write the encoding of logical row `row` of c at d (wd_agg__enc_size bytes);
 * returns the byte after it. */
uint8_t *wd_agg__enc_write(uint8_t *d, const wd_col *c, uint32_t row)
{
    uint32_t j = wd_col_idx(c, row);
    if ((c->valid && !c->valid[j]) || c->type->id == WD_T_NULL) {
        *d = 0;
        return d + 1;
    }
    *d++ = 1;
    switch (c->type->id) {
    case WD_T_BOOL: *d = ((const uint8_t *)c->data)[j] ? 1 : 0; return d + 1;
    case WD_T_INT16:
    case WD_T_UINT16: memcpy(d, (const uint16_t *)c->data + j, 2); return d + 2;
    case WD_T_INT32:
    case WD_T_UINT32:
    case WD_T_DATE: memcpy(d, (const uint32_t *)c->data + j, 4); return d + 4;
    case WD_T_INT64:
    case WD_T_UINT64:
    case WD_T_TIMESTAMP: memcpy(d, (const uint64_t *)c->data + j, 8); return d + 8;
    case WD_T_FLOAT32: {
        float f = norm_f32(((const float *)c->data)[j]);
        memcpy(d, &f, 4);
        return d + 4;
    }
    case WD_T_FLOAT64: {
        double f = norm_f64(((const double *)c->data)[j]);
        memcpy(d, &f, 8);
        return d + 8;
    }
    case WD_T_DECIMAL:
    case WD_T_INTERVAL: memcpy(d, (const char *)c->data + (size_t)j * 16, 16); return d + 16;
    case WD_T_TEXT:
    case WD_T_BYTES:
    case WD_T_JSON: {
        const wd_str *s = (const wd_str *)c->data + j;
        memcpy(d, &s->len, 4);
        if (s->len) memcpy(d + 4, s->ptr, s->len);
        return d + 4 + s->len;
    }
    case WD_T_STRUCT:
        for (uint32_t f = 0; f < c->type->nfields; f++) d = wd_agg__enc_write(d, &c->child[f], j);
        return d;
    case WD_T_LIST: {
        const uint32_t *off = c->data;
        uint32_t k = off[j + 1] - off[j];
        memcpy(d, &k, 4);
        d += 4;
        for (uint32_t e = off[j]; e < off[j + 1]; e++) d = wd_agg__enc_write(d, c->child, e);
        return d;
    }
    case WD_T_NULL:
    case WD_T__COUNT: break;
    }
    return d;
}

/* Mark row null in c and, for structs, in every child (so that decoded
 * columns never hold undefined child values). */
static void set_null_deep(wd_col *c, uint32_t row, wd_arena *a)
{
    wd_col_set_null(c, row, a);
    if (c->type->id == WD_T_STRUCT) {
        for (uint32_t f = 0; f < c->type->nfields; f++) {
            wd_col *ch = &c->child[f];
            wd_col_reserve(ch, row + 1, a);
            if (ch->len < row + 1) ch->len = row + 1;
            set_null_deep(ch, row, a);
        }
    } else if (c->type->id == WD_T_LIST) {
        uint32_t *off = c->data;
        off[row + 1] = off[row];
    }
}

/* Decode one value at p into row `row` of c (see agg_int.h); returns the byte
 * after the value. */
const uint8_t *wd_agg__dec(wd_col *c, uint32_t row, const uint8_t *p, wd_arena *a)
{
    wd_col_reserve(c, row + 1, a);
    if (c->len < row + 1) c->len = row + 1;
    if (*p++ == 0 || c->type->id == WD_T_NULL) {
        set_null_deep(c, row, a);
        return p;
    }
    if (c->valid) c->valid[row] = 1;
    switch (c->type->id) {
    case WD_T_BOOL: ((uint8_t *)c->data)[row] = *p; return p + 1;
    case WD_T_INT16:
    case WD_T_UINT16: memcpy((uint16_t *)c->data + row, p, 2); return p + 2;
    case WD_T_INT32:
    case WD_T_UINT32:
    case WD_T_DATE:
    case WD_T_FLOAT32: memcpy((uint32_t *)c->data + row, p, 4); return p + 4;
    case WD_T_INT64:
    case WD_T_UINT64:
    case WD_T_TIMESTAMP:
    case WD_T_FLOAT64: memcpy((uint64_t *)c->data + row, p, 8); return p + 8;
    case WD_T_DECIMAL:
    case WD_T_INTERVAL: memcpy((char *)c->data + (size_t)row * 16, p, 16); return p + 16;
    case WD_T_TEXT:
    case WD_T_BYTES:
    case WD_T_JSON: {
        uint32_t n;
        memcpy(&n, p, 4);
        ((wd_str *)c->data)[row] = wd_str_copy(a, (const char *)p + 4, n);
        return p + 4 + n;
    }
    case WD_T_STRUCT:
        for (uint32_t f = 0; f < c->type->nfields; f++) p = wd_agg__dec(&c->child[f], row, p, a);
        return p;
    case WD_T_LIST: {
        uint32_t k;
        memcpy(&k, p, 4);
        p += 4;
        uint32_t *off = c->data;
        uint32_t start = off[row];
        if (WD_UNLIKELY((uint64_t)start + k > UINT32_MAX)) wd_panic("list of more than 2^32 elements");
        wd_col_reserve(c->child, start + k, a);
        for (uint32_t e = 0; e < k; e++) p = wd_agg__dec(c->child, start + e, p, a);
        off = c->data;
        off[row + 1] = start + k;
        if (c->child->len < start + k) c->child->len = start + k;
        return p;
    }
    case WD_T_NULL:
    case WD_T__COUNT: break;
    }
    return p;
}

/* The bytes of v as norm_f64 / norm_f32 leave them: false for -0.0 and for
 * any NaN but the one NaN. */
static bool f64_normal(const uint8_t *p)
{
    double d, n;
    memcpy(&d, p, 8);
    n = norm_f64(d);
    return memcmp(&n, p, 8) == 0;
}

static bool f32_normal(const uint8_t *p)
{
    float f, n;
    memcpy(&f, p, 4);
    n = norm_f32(f);
    return memcmp(&n, p, 4) == 0;
}

/* Bytes of one well-formed value of type t at p[0..n), or 0 (see agg_int.h).
 * Recursion follows the type, whose depth is fixed by the plan. */
size_t wd_agg__enc_check(const wd_type *t, const uint8_t *p, size_t n)
{
    if (n < 1) return 0;
    if (p[0] == 0) return 1;
    if (p[0] != 1) return 0;
    size_t w;
    switch (t->id) {
    case WD_T_BOOL: return n >= 2 && p[1] <= 1 ? 2 : 0;
    case WD_T_INT16:
    case WD_T_UINT16: w = 2; break;
    case WD_T_INT32:
    case WD_T_UINT32:
    case WD_T_DATE: w = 4; break;
    case WD_T_INT64:
    case WD_T_UINT64:
    case WD_T_TIMESTAMP: w = 8; break;
    case WD_T_FLOAT32: return n >= 5 && f32_normal(p + 1) ? 5 : 0;
    case WD_T_FLOAT64: return n >= 9 && f64_normal(p + 1) ? 9 : 0;
    case WD_T_DECIMAL:
    case WD_T_INTERVAL: w = 16; break;
    case WD_T_TEXT:
    case WD_T_BYTES:
    case WD_T_JSON: {
        uint32_t len;
        if (n < 5) return 0;
        memcpy(&len, p + 1, 4);
        return n - 5 >= len ? 5 + (size_t)len : 0;
    }
    case WD_T_STRUCT: {
        size_t k = 1;
        for (uint32_t f = 0; f < t->nfields; f++) {
            size_t c = wd_agg__enc_check(t->fields[f].type, p + k, n - k);
            if (!c) return 0;
            k += c;
        }
        return k;
    }
    case WD_T_LIST: {
        uint32_t cnt;
        if (n < 5 || !t->elem) return 0;
        memcpy(&cnt, p + 1, 4);
        size_t k = 5;
        /* each element takes at least one byte: the loop ends within n */
        for (uint32_t e = 0; e < cnt; e++) {
            size_t c = wd_agg__enc_check(t->elem, p + k, n - k);
            if (!c) return 0;
            k += c;
        }
        return k;
    }
    case WD_T_NULL:
    case WD_T__COUNT:
    default: return 0;
    }
    return n - 1 >= w ? 1 + w : 0;
}

/* ---- hashing -------------------------------------------------------------------------- */

/* xxHash3 (fixed seed) of p[0..n). */
uint64_t wd_agg__hash_bytes(const void *p, size_t n)
{
    return XXH3_64bits_withSeed(n ? p : "", n, AGG_SEED);
}

static inline uint64_t h_combine(uint64_t a, uint64_t b)
{
    uint64_t p[2] = {a, b};
    return XXH3_64bits_withSeed(p, sizeof p, AGG_SEED);
}

/* Hash of logical row `row` of c: equal values (by the encoding) hash equal. */
uint64_t wd_agg__hash_value(const wd_col *c, uint32_t row)
{
    uint32_t j = wd_col_idx(c, row);
    if ((c->valid && !c->valid[j]) || c->type->id == WD_T_NULL) return 0x9e3779b97f4a7c15ULL;
    switch (c->type->id) {
    case WD_T_TEXT:
    case WD_T_BYTES:
    case WD_T_JSON: {
        const wd_str *s = (const wd_str *)c->data + j;
        return wd_agg__hash_bytes(s->ptr, s->len);
    }
    case WD_T_STRUCT: {
        uint64_t h = AGG_SEED ^ c->type->nfields;
        for (uint32_t f = 0; f < c->type->nfields; f++)
            h = h_combine(h, wd_agg__hash_value(&c->child[f], j));
        return h;
    }
    case WD_T_LIST: {
        const uint32_t *off = c->data;
        uint64_t h = AGG_SEED ^ (uint64_t)(off[j + 1] - off[j]) ^ 0x5a5aULL;
        for (uint32_t e = off[j]; e < off[j + 1]; e++)
            h = h_combine(h, wd_agg__hash_value(c->child, e));
        return h;
    }
    default: {
        uint8_t b[17];
        uint8_t *e = wd_agg__enc_write(b, c, row);
        return wd_agg__hash_bytes(b + 1, (size_t)(e - b - 1));
    }
    }
}

size_t wd_value_enc_size(const wd_col *c, uint32_t row) { return wd_agg__enc_size(c, row); }

uint8_t *wd_value_encode(uint8_t *dst, const wd_col *c, uint32_t row)
{
    return wd_agg__enc_write(dst, c, row);
}

const uint8_t *wd_value_decode(wd_col *c, uint32_t row, const uint8_t *p, wd_arena *a)
{
    return wd_agg__dec(c, row, p, a);
}

size_t wd_value_check(const wd_type *t, const uint8_t *p, size_t n)
{
    return wd_agg__enc_check(t, p, n);
}
