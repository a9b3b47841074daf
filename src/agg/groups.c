/*
 * groups.c — the group table: key tuples → dense slots 0, 1, 2 …
 *
 * Open addressing with linear probing over a power-of-two slot array,
 * grown (doubled) before the load passes 50%.  The probe position is the
 * top `bits` bits of the key's 64-bit hash (wd_hash_rows), so a slot keeps
 * only 32 bits of hash and growing never needs the keys.
 *
 * Three modes:
 *  - no keys: one group, slot 0, created by the first row;
 *  - one integer-like key (ints, BOOL, DATE, TIMESTAMP): slots hold the
 *    value itself (16 bytes: value, group + 1, hash high half), compared
 *    directly; NULL is its own group outside the slot array; a per-group
 *    array keeps the values for decoding;
 *  - anything else: each key tuple is encoded into normalised bytes (see
 *    agg_int.h) appended to one growable buffer; a slot holds 32 low bits
 *    of hash and group + 1; equality is the hash bits plus memcmp of the
 *    encodings, whose offsets live in a per-group array.
 *
 * Memory: everything through wd_malloc (amortised doubling); nothing per
 * row.  wd_groups_clear keeps every buffer.
 *
 * Checkpoints: a group's key hash is the high half of the hash the table
 * probes with — wd_hash_rows of the key columns, which is what shuffles
 * route by — kept per group in generic mode and recomputed from the value
 * in integer mode (integers hash by value whatever their width, so an
 * INT64 column of the values hashes the same).  Saved keys are the
 * normalised encoding of the key tuple (integer keys encoded in their own
 * width); they come back through decoding and an ordinary lookup.
 *
 * Exports: wd_groups_new, wd_groups_free, wd_groups_clear,
 * wd_groups_lookup, wd_groups_count, wd_groups_keys, wd_groups_bytes,
 * wd_groups_khash, wd_groups_key_size, wd_groups_key_write,
 * wd_groups_key_check, wd_groups_decode_keys.
 */
#include "agg/agg_int.h"

#include "common/error.h"
#include "runtime/runtime.h"

#define MIN_BITS 4
#define PREFETCH_AHEAD 16

enum { MODE_NONE, MODE_INT, MODE_GENERIC };

/*
 * The home slot of a key in a table of 2^bits slots, from the high 32 bits
 * of its hash.  Those bits also choose the key's subtask (range
 * partitioning, runtime.h), so within one subtask of p they span only 1/p
 * of their range: taking their top bits directly would crowd every key
 * into 1/p of the table.  A Fibonacci multiply first spreads any range
 * over all slots.
 */
static inline size_t home(uint32_t hi, uint32_t bits)
{
    return (size_t)((uint32_t)(hi * 0x9E3779B1u) >> (32 - bits));
}

typedef struct int_slot {
    int64_t v;
    uint32_t gid1; /* group + 1; 0 = empty */
    uint32_t hi;   /* hash >> 32 */
} int_slot;

typedef struct gen_slot {
    uint32_t tag;  /* low 32 bits of hash */
    uint32_t gid1; /* group + 1; 0 = empty */
} gen_slot;

struct wd_groups {
    uint32_t nkeys;
    int mode;
    const wd_type **types;
    uint32_t kw;        /* MODE_INT: bytes of a saved non-NULL key */
    uint32_t count;     /* groups */
    uint32_t gcap;      /* capacity of the per-group arrays */
    uint32_t bits;      /* log2 of the slot count (0: no slots yet) */
    void *slots;        /* int_slot[] or gen_slot[] */
    /* MODE_INT */
    int64_t *gval;      /* value per group */
    uint32_t null_gid1; /* group of the NULL key + 1, 0 = none yet */
    /* MODE_GENERIC */
    uint32_t *ghi;      /* hash >> 32 per group (for regrowing) */
    uint64_t *koff;     /* koff[g] .. koff[g + 1]: encoding of group g */
    wd_agg_bytes keys;  /* every group's encoding, in group order */
    /* scratch, reused across calls */
    uint64_t *hbuf;
    uint32_t hcap;
    wd_agg_bytes enc;   /* encodings of one call's rows */
    uint64_t *eoff;     /* eoff[i]: row i's encoding in enc */
    uint32_t ecap;
};

static bool int_like(wd_type_id id)
{
    return wd_type_is_int(id) || id == WD_T_BOOL || id == WD_T_DATE || id == WD_T_TIMESTAMP;
}

/*
 * A table for keys of key_types[0..nkeys) (the type pointers must outlive
 * the table).  Never NULL (panics on real memory exhaustion).
 */
static void grow_slots(wd_groups *g);

wd_groups *wd_groups_new(const wd_type *const *key_types, uint32_t nkeys)
{
    wd_groups *g = wd_agg__malloc(sizeof *g);
    memset(g, 0, sizeof *g);
    g->nkeys = nkeys;
    if (nkeys) {
        g->types = wd_agg__malloc(sizeof *g->types * nkeys);
        for (uint32_t k = 0; k < nkeys; k++) g->types[k] = key_types[k] ? key_types[k] : WD_TYPE_NULL;
    }
    if (nkeys == 0)
        g->mode = MODE_NONE;
    else if (nkeys == 1 && int_like(g->types[0]->id))
        g->mode = MODE_INT;
    else
        g->mode = MODE_GENERIC;
    if (g->mode == MODE_INT)
        g->kw = 1 + (uint32_t)(g->types[0]->id == WD_T_BOOL ? 1 : wd_type_width(g->types[0]->id));
    return g;
}

/* Free g and everything it holds (NULL is fine). */
void wd_groups_free(wd_groups *g)
{
    if (!g) return;
    wd_free(g->types);
    wd_free(g->slots);
    wd_free(g->gval);
    wd_free(g->ghi);
    wd_free(g->koff);
    wd_free(g->keys.p);
    wd_free(g->hbuf);
    wd_free(g->enc.p);
    wd_free(g->eoff);
    wd_free(g);
}

static size_t slot_size(const wd_groups *g)
{
    return g->mode == MODE_INT ? sizeof(int_slot) : sizeof(gen_slot);
}

/* Forget every group; buffers are kept (the slot array is zeroed). */
void wd_groups_clear(wd_groups *g)
{
    if (g->slots) memset(g->slots, 0, slot_size(g) << g->bits);
    g->count = 0;
    g->null_gid1 = 0;
    g->keys.len = 0;
}

/* Size the slot table for n groups at once (a hint: no rehash on the way). */
void wd_groups_reserve(wd_groups *g, uint32_t n)
{
    if (g->mode == MODE_NONE || n == 0) return;
    while (((uint64_t)1 << g->bits) < (uint64_t)n * 2 + 2 && g->bits < 31) grow_slots(g);
}

/* Number of groups (slots 0 .. count-1 are in use). */
uint32_t wd_groups_count(const wd_groups *g) { return g->count; }

/* Bytes held by g's buffers (capacities, not only what is in use). */
size_t wd_groups_bytes(const wd_groups *g)
{
    size_t n = sizeof *g + sizeof *g->types * g->nkeys;
    if (g->slots) n += slot_size(g) << g->bits;
    if (g->gval) n += sizeof *g->gval * g->gcap;
    if (g->ghi) n += sizeof *g->ghi * g->gcap;
    if (g->koff) n += sizeof *g->koff * ((size_t)g->gcap + 1);
    n += g->keys.cap + g->enc.cap;
    n += sizeof *g->hbuf * g->hcap + sizeof *g->eoff * ((size_t)g->ecap + (g->eoff ? 1 : 0));
    return n;
}

/* Room in the per-group arrays for one more group. */
static void reserve_group(wd_groups *g)
{
    if (g->count < g->gcap) return;
    if (WD_UNLIKELY(g->count == UINT32_MAX - 1)) wd_panic("group table: too many groups");
    uint64_t nc = g->gcap ? (uint64_t)g->gcap * 2 : 64;
    if (nc > UINT32_MAX - 1) nc = UINT32_MAX - 1;
    if (g->mode == MODE_INT) {
        g->gval = wd_agg__grow(g->gval, sizeof *g->gval * nc);
    } else {
        g->ghi = wd_agg__grow(g->ghi, sizeof *g->ghi * nc);
        g->koff = wd_agg__grow(g->koff, sizeof *g->koff * (nc + 1));
        if (g->gcap == 0) g->koff[0] = 0;
    }
    g->gcap = (uint32_t)nc;
}

/* Double the slot array (or make the first one) and reinsert every group. */
static void grow_slots(wd_groups *g)
{
    uint32_t nb = g->bits ? g->bits + 1 : MIN_BITS;
    if (WD_UNLIKELY(nb > 32)) wd_panic("group table: too many groups");
    size_t n = (size_t)1 << nb, mask = n - 1;
    if (g->mode == MODE_INT) {
        int_slot *ns = wd_agg__malloc(sizeof *ns * n);
        memset(ns, 0, sizeof *ns * n);
        int_slot *os = g->slots;
        size_t on = g->bits ? (size_t)1 << g->bits : 0;
        for (size_t i = 0; i < on; i++) {
            if (!os[i].gid1) continue;
            size_t p = home(os[i].hi, nb);
            while (ns[p].gid1) p = (p + 1) & mask;
            ns[p] = os[i];
        }
        wd_free(os);
        g->slots = ns;
    } else {
        gen_slot *ns = wd_agg__malloc(sizeof *ns * n);
        memset(ns, 0, sizeof *ns * n);
        gen_slot *os = g->slots;
        size_t on = g->bits ? (size_t)1 << g->bits : 0;
        for (size_t i = 0; i < on; i++) {
            if (!os[i].gid1) continue;
            size_t p = home(g->ghi[os[i].gid1 - 1], nb);
            while (ns[p].gid1) p = (p + 1) & mask;
            ns[p] = os[i];
        }
        wd_free(os);
        g->slots = ns;
    }
    g->bits = nb;
}

/* True when one more group would push the load past 50%. */
static inline bool needs_growth(const wd_groups *g)
{
    return g->bits == 0 || ((uint64_t)g->count + 1) * 2 > ((uint64_t)1 << g->bits);
}

static inline int64_t int_key(const wd_col *c, uint32_t j)
{
    switch (c->type->id) {
    case WD_T_BOOL: return ((const uint8_t *)c->data)[j] ? 1 : 0;
    case WD_T_INT16: return ((const int16_t *)c->data)[j];
    case WD_T_UINT16: return ((const uint16_t *)c->data)[j];
    case WD_T_INT32:
    case WD_T_DATE: return ((const int32_t *)c->data)[j];
    case WD_T_UINT32: return ((const uint32_t *)c->data)[j];
    default: return ((const int64_t *)c->data)[j]; /* INT64, UINT64, TIMESTAMP */
    }
}

static void lookup_int(wd_groups *g, const wd_col *key, uint32_t n, const uint64_t *h,
                       uint32_t *slots, uint32_t *nnew)
{
    const uint32_t cm = wd_agg__cmask(key);
    const uint8_t *va = key->valid;
    const wd_type_id tid = key->type->id;
    const int64_t *v64 = (tid == WD_T_INT64 || tid == WD_T_UINT64 || tid == WD_T_TIMESTAMP) &&
                                 cm
                             ? key->data
                             : NULL;
    uint32_t made = 0;
    if (needs_growth(g)) grow_slots(g);
    for (uint32_t i = 0; i < n; i++) {
        if (i + PREFETCH_AHEAD < n) {
            size_t pp = home((uint32_t)(h[i + PREFETCH_AHEAD] >> 32), g->bits);
            __builtin_prefetch((const int_slot *)g->slots + pp);
        }
        uint32_t r = i & cm;
        if (va && !va[r]) {
            if (!g->null_gid1) {
                reserve_group(g);
                g->gval[g->count] = 0;
                g->null_gid1 = ++g->count;
                made++;
            }
            slots[i] = g->null_gid1 - 1;
            continue;
        }
        int64_t v = v64 ? v64[i] : int_key(key, r);
        uint64_t hh = h[i];
        int_slot *s = g->slots;
        size_t mask = ((size_t)1 << g->bits) - 1;
        size_t p = home((uint32_t)(hh >> 32), g->bits);
        for (;;) {
            if (s[p].gid1 == 0) {
                if (needs_growth(g)) {
                    grow_slots(g);
                    s = g->slots;
                    mask = ((size_t)1 << g->bits) - 1;
                    p = home((uint32_t)(hh >> 32), g->bits);
                    continue;
                }
                reserve_group(g);
                g->gval[g->count] = v;
                s[p].v = v;
                s[p].hi = (uint32_t)(hh >> 32);
                s[p].gid1 = ++g->count;
                made++;
                slots[i] = g->count - 1;
                break;
            }
            if (s[p].v == v) {
                slots[i] = s[p].gid1 - 1;
                break;
            }
            p = (p + 1) & mask;
        }
    }
    *nnew = made;
}

static void lookup_generic(wd_groups *g, const wd_col *keys, uint32_t n, const uint64_t *h,
                           uint32_t *slots, uint32_t *nnew)
{
    /* encode every row's key tuple into g->enc */
    if (n + 1 > g->ecap) {
        uint32_t nc = g->ecap ? g->ecap : 64;
        while (nc < n + 1) nc = nc > UINT32_MAX / 2 ? UINT32_MAX : nc * 2;
        g->eoff = wd_agg__grow(g->eoff, sizeof *g->eoff * ((size_t)nc + 1));
        g->ecap = nc;
    }
    g->enc.len = 0;
    for (uint32_t i = 0; i < n; i++) {
        size_t sz = 0;
        for (uint32_t k = 0; k < g->nkeys; k++) sz += wd_agg__enc_size(&keys[k], i);
        uint8_t *d = wd_agg__bytes_reserve(&g->enc, sz);
        g->eoff[i] = g->enc.len;
        for (uint32_t k = 0; k < g->nkeys; k++) d = wd_agg__enc_write(d, &keys[k], i);
        g->enc.len += sz;
    }
    g->eoff[n] = g->enc.len;

    uint32_t made = 0;
    if (needs_growth(g)) grow_slots(g);
    for (uint32_t i = 0; i < n; i++) {
        if (i + PREFETCH_AHEAD < n) {
            size_t pp = home((uint32_t)(h[i + PREFETCH_AHEAD] >> 32), g->bits);
            __builtin_prefetch((const gen_slot *)g->slots + pp);
        }
        const uint8_t *e = g->enc.p + g->eoff[i];
        size_t elen = g->eoff[i + 1] - g->eoff[i];
        uint64_t hh = h[i];
        uint32_t tag = (uint32_t)hh;
        gen_slot *s = g->slots;
        size_t mask = ((size_t)1 << g->bits) - 1;
        size_t p = home((uint32_t)(hh >> 32), g->bits);
        for (;;) {
            if (s[p].gid1 == 0) {
                if (needs_growth(g)) {
                    grow_slots(g);
                    s = g->slots;
                    mask = ((size_t)1 << g->bits) - 1;
                    p = home((uint32_t)(hh >> 32), g->bits);
                    continue;
                }
                reserve_group(g);
                uint32_t gid = g->count;
                uint8_t *d = wd_agg__bytes_reserve(&g->keys, elen);
                memcpy(d, e, elen);
                g->keys.len += elen;
                g->koff[gid + 1] = g->keys.len;
                g->ghi[gid] = (uint32_t)(hh >> 32);
                s[p].tag = tag;
                s[p].gid1 = ++g->count;
                made++;
                slots[i] = gid;
                break;
            }
            if (s[p].tag == tag) {
                uint32_t gid = s[p].gid1 - 1;
                size_t klen = g->koff[gid + 1] - g->koff[gid];
                if (klen == elen && memcmp(g->keys.p + g->koff[gid], e, elen) == 0) {
                    slots[i] = gid;
                    break;
                }
            }
            p = (p + 1) & mask;
        }
    }
    *nnew = made;
}

/*
 * Slot of each row 0..n of keys[0..nkeys) into slots[], new groups counted
 * in *nnew (see agg.h).  hashes, when given, must be wd_hash_rows of the
 * same key columns.
 */
void wd_groups_lookup(wd_groups *g, const wd_col *keys, uint32_t n, const uint64_t *hashes,
                      uint32_t *slots, uint32_t *nnew)
{
    *nnew = 0;
    if (n == 0) return;
    if (g->mode == MODE_NONE) {
        if (g->count == 0) {
            g->count = 1;
            *nnew = 1;
        }
        memset(slots, 0, sizeof *slots * n);
        return;
    }
    if (!hashes) {
        if (n > g->hcap) {
            uint32_t nc = g->hcap ? g->hcap : 1024;
            while (nc < n) nc = nc > UINT32_MAX / 2 ? UINT32_MAX : nc * 2;
            wd_free(g->hbuf);
            g->hbuf = wd_agg__malloc(sizeof *g->hbuf * nc);
            g->hcap = nc;
        }
        wd_hash_rows(keys, g->nkeys, n, g->hbuf);
        hashes = g->hbuf;
    }
    if (g->mode == MODE_INT)
        lookup_int(g, keys, n, hashes, slots, nnew);
    else
        lookup_generic(g, keys, n, hashes, slots, nnew);
}

/* Write the keys of slots[0..n) after the rows already in cols (see agg.h). */
void wd_groups_keys(const wd_groups *g, const uint32_t *slots, uint32_t n, wd_col *cols,
                    wd_arena *a)
{
    if (g->mode == MODE_NONE || n == 0) return;
    if (g->mode == MODE_INT) {
        wd_col *c = &cols[0];
        uint32_t r0 = c->len;
        wd_col_reserve(c, r0 + n, a);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t gid = slots[i];
            uint32_t r = r0 + i;
            if (WD_UNLIKELY(gid >= g->count)) wd_panic("wd_groups_keys: slot %u of %u", gid, g->count);
            if (gid + 1 == g->null_gid1) {
                wd_col_set_null(c, r, a);
                continue;
            }
            if (c->valid) c->valid[r] = 1;
            int64_t v = g->gval[gid];
            switch (c->type->id) {
            case WD_T_BOOL: ((uint8_t *)c->data)[r] = (uint8_t)v; break;
            case WD_T_INT16: ((int16_t *)c->data)[r] = (int16_t)v; break;
            case WD_T_UINT16: ((uint16_t *)c->data)[r] = (uint16_t)v; break;
            case WD_T_INT32:
            case WD_T_DATE: ((int32_t *)c->data)[r] = (int32_t)v; break;
            case WD_T_UINT32: ((uint32_t *)c->data)[r] = (uint32_t)v; break;
            default: ((int64_t *)c->data)[r] = v; break;
            }
        }
        c->len = r0 + n;
        return;
    }
    /* each decode appends at cols[k].len and advances it by one row */
    for (uint32_t k = 0; k < g->nkeys; k++) wd_col_reserve(&cols[k], cols[k].len + n, a);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t gid = slots[i];
        if (WD_UNLIKELY(gid >= g->count)) wd_panic("wd_groups_keys: slot %u of %u", gid, g->count);
        const uint8_t *p = g->keys.p + g->koff[gid];
        for (uint32_t k = 0; k < g->nkeys; k++) p = wd_agg__dec(&cols[k], cols[k].len, p, a);
    }
}

/* ---- checkpoints -------------------------------------------------------------------- */

/* Key hashes of groups from .. from + n - 1 (see agg.h). */
void wd_groups_khash(const wd_groups *g, uint32_t from, uint32_t n, uint32_t *out)
{
    if (n == 0) return;
    if (WD_UNLIKELY((uint64_t)from + n > g->count))
        wd_panic("wd_groups_khash: groups %u+%u of %u", from, n, g->count);
    if (g->mode == MODE_NONE) {
        memset(out, 0, sizeof *out * n);
        return;
    }
    if (g->mode == MODE_GENERIC) {
        memcpy(out, g->ghi + from, sizeof *out * n);
        return;
    }
    enum { CH = 256 };
    uint64_t h[CH];
    for (uint32_t off = 0; off < n; off += CH) {
        uint32_t m = n - off < CH ? n - off : CH;
        wd_col c = {.type = WD_TYPE_INT64, .len = m, .data = (void *)(g->gval + from + off)};
        wd_hash_rows(&c, 1, m, h);
        for (uint32_t i = 0; i < m; i++) out[off + i] = (uint32_t)(h[i] >> 32);
    }
    uint32_t ng = g->null_gid1;
    if (ng && ng - 1 >= from && ng - 1 < from + n) {
        int64_t zero = 0;
        uint8_t invalid = 0;
        wd_col c = {.type = WD_TYPE_INT64, .len = 1, .valid = &invalid, .data = &zero};
        wd_hash_rows(&c, 1, 1, h);
        out[ng - 1 - from] = (uint32_t)(h[0] >> 32);
    }
}

/* Bytes of group gid's saved key. */
size_t wd_groups_key_size(const wd_groups *g, uint32_t gid)
{
    switch (g->mode) {
    case MODE_NONE: return 0;
    case MODE_INT: return gid + 1 == g->null_gid1 ? 1 : g->kw;
    default: return (size_t)(g->koff[gid + 1] - g->koff[gid]);
    }
}

/* Write group gid's saved key at dst; returns the byte after it. */
uint8_t *wd_groups_key_write(const wd_groups *g, uint32_t gid, uint8_t *dst)
{
    if (g->mode == MODE_NONE) return dst;
    if (g->mode == MODE_GENERIC) {
        size_t n = (size_t)(g->koff[gid + 1] - g->koff[gid]);
        memcpy(dst, g->keys.p + g->koff[gid], n);
        return dst + n;
    }
    if (gid + 1 == g->null_gid1) {
        *dst = 0;
        return dst + 1;
    }
    *dst++ = 1;
    int64_t v = g->gval[gid];
    switch (g->types[0]->id) {
    case WD_T_BOOL: *dst = v ? 1 : 0; return dst + 1;
    case WD_T_INT16:
    case WD_T_UINT16: {
        uint16_t x = (uint16_t)v;
        memcpy(dst, &x, 2);
        return dst + 2;
    }
    case WD_T_INT32:
    case WD_T_UINT32:
    case WD_T_DATE: {
        uint32_t x = (uint32_t)v;
        memcpy(dst, &x, 4);
        return dst + 4;
    }
    default: memcpy(dst, &v, 8); return dst + 8;
    }
}

/* Whether p[0..n) starts with a well-formed key; *len its size. */
bool wd_groups_key_check(const wd_groups *g, const uint8_t *p, size_t n, size_t *len)
{
    size_t k = 0;
    for (uint32_t i = 0; i < g->nkeys; i++) {
        size_t c = wd_agg__enc_check(g->types[i], p + k, n - k);
        if (!c) return false;
        k += c;
    }
    *len = k;
    return true;
}

/* Decode saved keys into columns and hashes, checking their key hashes. */
int wd_groups_decode_keys(const wd_groups *g, const uint8_t *const *keys, const uint32_t *khash,
                          uint32_t n, wd_col *cols, uint64_t *hashes, wd_arena *a)
{
    if (g->nkeys == 0) {
        for (uint32_t i = 0; i < n; i++) {
            if (khash[i] != 0) return WD_ECORRUPT;
            hashes[i] = 0;
        }
        return 0;
    }
    for (uint32_t k = 0; k < g->nkeys; k++) wd_col_init(&cols[k], g->types[k], n, a);
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *p = keys[i];
        for (uint32_t k = 0; k < g->nkeys; k++) p = wd_agg__dec(&cols[k], i, p, a);
    }
    wd_hash_rows(cols, g->nkeys, n, hashes);
    for (uint32_t i = 0; i < n; i++)
        if ((uint32_t)(hashes[i] >> 32) != khash[i]) return WD_ECORRUPT;
    return 0;
}
