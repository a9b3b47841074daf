/*
 * hash.c — key hashing for shuffles and keyed state: xxHash3 with a fixed
 * seed, stable across processes and runs.
 *
 * Value hashes: integers (signed, unsigned, BOOL, DATE, TIMESTAMP) by their
 * 64-bit value, so INT32 5 and INT64 5 hash equal; floats as doubles by
 * their bits with -0.0 made 0.0 and every NaN one NaN; DECIMAL by its
 * 128-bit value; text, bytes and JSON by content; INTERVAL by its three
 * fields; STRUCT and LIST recursively; NULL to a fixed constant.  Columns
 * are combined by hashing the pair (hash so far, column hash).
 *
 * Exports: wd_hash_rows.
 */
#include "runtime/runtime.h"

#include <string.h>
#include <xxhash.h>

#include "batch/batch.h"

#define SEED 0x5741444931ULL          /* fixed: changing it re-keys all state */
#define NULL_HASH 0x9e3779b97f4a7c15ULL
#define LIST_SEED 0x2545f4914f6cdd1dULL

static inline uint64_t h_u64(uint64_t v) { return XXH3_64bits_withSeed(&v, sizeof v, SEED); }

static inline uint64_t h_combine(uint64_t a, uint64_t b)
{
    uint64_t p[2] = {a, b};
    return XXH3_64bits_withSeed(p, sizeof p, SEED);
}

static inline uint64_t h_f64(double d)
{
    if (d == 0.0) d = 0.0; /* -0.0 → 0.0 */
    uint64_t bits;
    if (d != d) {
        bits = 0x7ff8000000000000ULL; /* one NaN */
    } else {
        memcpy(&bits, &d, sizeof bits);
    }
    return XXH3_64bits_withSeed(&bits, sizeof bits, SEED ^ 0xf1);
}

/* Hash of the value at physical index j of c (validity already checked by
 * the caller for top-level rows; checked here for children). */
static uint64_t h_value(const wd_col *c, uint32_t j);

static uint64_t h_value_at(const wd_col *c, uint32_t j)
{
    uint32_t k = (c->flags & WD_COL_CONST) ? 0 : j;
    if (c->valid && !c->valid[k]) return NULL_HASH;
    return h_value(c, k);
}

static uint64_t h_value(const wd_col *c, uint32_t j)
{
    switch (c->type->id) {
    case WD_T_NULL: return NULL_HASH;
    case WD_T_BOOL: return h_u64(((const uint8_t *)c->data)[j] ? 1 : 0);
    case WD_T_INT16: return h_u64((uint64_t)(int64_t)((const int16_t *)c->data)[j]);
    case WD_T_INT32: return h_u64((uint64_t)(int64_t)((const int32_t *)c->data)[j]);
    case WD_T_INT64:
    case WD_T_TIMESTAMP: return h_u64((uint64_t)((const int64_t *)c->data)[j]);
    case WD_T_UINT16: return h_u64(((const uint16_t *)c->data)[j]);
    case WD_T_UINT32: return h_u64(((const uint32_t *)c->data)[j]);
    case WD_T_UINT64: return h_u64(((const uint64_t *)c->data)[j]);
    case WD_T_DATE: return h_u64((uint64_t)(int64_t)((const int32_t *)c->data)[j]);
    case WD_T_FLOAT32: return h_f64((double)((const float *)c->data)[j]);
    case WD_T_FLOAT64: return h_f64(((const double *)c->data)[j]);
    case WD_T_DECIMAL: {
        wd_i128 v;
        memcpy(&v, (const char *)c->data + (size_t)j * sizeof v, sizeof v);
        if (v >= INT64_MIN && v <= INT64_MAX) return h_u64((uint64_t)(int64_t)v);
        return XXH3_64bits_withSeed(&v, sizeof v, SEED);
    }
    case WD_T_TEXT:
    case WD_T_BYTES:
    case WD_T_JSON: {
        const wd_str *s = &((const wd_str *)c->data)[j];
        return XXH3_64bits_withSeed(s->len ? s->ptr : "", s->len, SEED);
    }
    case WD_T_INTERVAL: {
        const wd_interval *iv = &((const wd_interval *)c->data)[j];
        uint64_t p[2] = {((uint64_t)(uint32_t)iv->months << 32) | (uint32_t)iv->days,
                         (uint64_t)iv->nanos};
        return XXH3_64bits_withSeed(p, sizeof p, SEED ^ 0x1a);
    }
    case WD_T_STRUCT: {
        uint64_t h = SEED ^ c->type->nfields;
        for (uint32_t f = 0; f < c->type->nfields; f++)
            h = h_combine(h, h_value_at(&c->child[f], j));
        return h;
    }
    case WD_T_LIST: {
        const uint32_t *off = (const uint32_t *)c->data;
        uint64_t h = LIST_SEED ^ (off[j + 1] - off[j]);
        for (uint32_t e = off[j]; e < off[j + 1]; e++) h = h_combine(h, h_value_at(c->child, e));
        return h;
    }
    case WD_T__COUNT: break;
    }
    return NULL_HASH;
}

/* Hash of every row of one column into out[0..n). */
static void hash_col(const wd_col *c, uint32_t n, uint64_t *out)
{
    if (c->flags & WD_COL_CONST) {
        uint64_t h = (c->valid && !c->valid[0]) ? NULL_HASH : h_value(c, 0);
        for (uint32_t i = 0; i < n; i++) out[i] = h;
        return;
    }
    /* Fast paths for the common key types; the rest go through h_value. */
    switch (c->type->id) {
    case WD_T_INT64:
    case WD_T_TIMESTAMP: {
        const int64_t *v = c->data;
        for (uint32_t i = 0; i < n; i++) out[i] = h_u64((uint64_t)v[i]);
        break;
    }
    case WD_T_INT32: {
        const int32_t *v = c->data;
        for (uint32_t i = 0; i < n; i++) out[i] = h_u64((uint64_t)(int64_t)v[i]);
        break;
    }
    case WD_T_TEXT: {
        /* the values of NULL rows are undefined: never read them */
        const wd_str *v = c->data;
        for (uint32_t i = 0; i < n; i++)
            out[i] = (c->valid && !c->valid[i])
                         ? NULL_HASH
                         : XXH3_64bits_withSeed(v[i].len ? v[i].ptr : "", v[i].len, SEED);
        break;
    }
    default:
        for (uint32_t i = 0; i < n; i++) out[i] = h_value_at(c, i);
        break;
    }
    if (c->valid)
        for (uint32_t i = 0; i < n; i++)
            if (!c->valid[i]) out[i] = NULL_HASH;
}

/*
 * Hash rows 0..n of the key columns into hashes[] (see runtime.h).  One
 * key column: its value hash; several: h = XXH3(h, column hash) from the
 * first column's hash on.  No allocation.
 */
void wd_hash_rows(const wd_col *keys, uint32_t nkeys, uint32_t n, uint64_t *hashes)
{
    if (nkeys == 0) {
        for (uint32_t i = 0; i < n; i++) hashes[i] = NULL_HASH;
        return;
    }
    hash_col(&keys[0], n, hashes);
    for (uint32_t k = 1; k < nkeys; k++)
        for (uint32_t i = 0; i < n; i++) hashes[i] = h_combine(hashes[i], h_value_at(&keys[k], i));
}
