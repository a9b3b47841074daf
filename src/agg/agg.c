/*
 * agg.c — the aggregate registry and the batch driver: wd_agg_find,
 * wd_agg_foreach, wd_agg_layout and wd_agg_apply (FILTER, DISTINCT and
 * per-row insert/retract signs, in chunks of CHUNK rows kept on the stack),
 * plus what every aggregate shares: the zeroing init, the DISTINCT-aware
 * merge entry point and resolve() error messages.
 *
 * DISTINCT: a spec with distinct = true gets 8 more bytes of state (the
 * last 8 of s->size) pointing at a value set in the ctx arena: an open
 * addressing table of encoded values with a count each.  A row reaches
 * the aggregate's update only when its value's count goes 0 → 1 (insert)
 * or 1 → 0 (retraction), so retraction works for DISTINCT of every
 * retractable aggregate.  Merging two DISTINCT states unions the sets and
 * feeds the values new to the destination through update.  NULL values
 * are never put in a set (except for aggregates that keep NULLs, such as
 * array_agg, where NULL counts as one value).  Checkpoints save a set as
 * its live values with their counts (wd_agg__distinct_save).
 *
 * Exports: wd_agg_find, wd_agg_foreach, wd_agg_layout, wd_agg_apply and,
 * to src/agg, wd_agg__init_zero, wd_agg__merge_entry, wd_agg__type_error,
 * wd_agg__distinct_save, wd_agg__distinct_load.
 */
#include "agg/agg_int.h"

#include <stdio.h>
#include <strings.h>

#include "common/error.h"

#define CHUNK 1024

static const wd_agg_def *const *const tables[] = {wd_agg__basic, wd_agg__minmax, wd_agg__stats,
                                                   wd_agg__collect};
#define NTABLES (sizeof tables / sizeof tables[0])

/* The aggregate called name (case-insensitive), or NULL. */
const wd_agg_fn *wd_agg_find(const char *name)
{
    if (!name) return NULL;
    for (size_t t = 0; t < NTABLES; t++)
        for (const wd_agg_def *const *d = tables[t]; *d; d++)
            if (strcasecmp((*d)->pub.name, name) == 0) return &(*d)->pub;
    return NULL;
}

/* Call visit(f, arg) for every aggregate, in registry order. */
void wd_agg_foreach(void (*visit)(const wd_agg_fn *f, void *arg), void *arg)
{
    for (size_t t = 0; t < NTABLES; t++)
        for (const wd_agg_def *const *d = tables[t]; *d; d++) visit(&(*d)->pub, arg);
}

static uint32_t round8(uint32_t n) { return (n + 7u) & ~7u; }

/*
 * Set specs[i].offset and .size (the aggregate's state_size rounded to 8,
 * plus 8 for the DISTINCT set pointer) and return the stride (a multiple
 * of 8; 0 when n is 0).
 */
uint32_t wd_agg_layout(wd_agg_spec *specs, uint32_t n)
{
    uint64_t off = 0;
    for (uint32_t i = 0; i < n; i++) {
        wd_agg_spec *s = &specs[i];
        uint32_t sz = s->fn && s->fn->state_size ? round8(s->fn->state_size(s->arg_type)) : 0;
        if (s->distinct && s->arg_col >= 0) sz += 8;
        s->offset = (uint32_t)off;
        s->size = sz;
        off += sz;
        if (WD_UNLIKELY(off > UINT32_MAX / 2)) wd_panic("aggregate state row of %llu bytes",
                                                       (unsigned long long)off);
    }
    return (uint32_t)off;
}

/* Record "NAME(TYPE) is not defined; NAME takes WHAT" (NAME(*) without an
 * argument) as WD_ETYPE in err; returns NULL for resolve() to return. */
const wd_type *wd_agg__type_error(wd_error *err, const char *name, const wd_type *arg,
                                  const char *what)
{
    if (!arg)
        wd_err(err, WD_ETYPE, "%s(*) is not defined; %s takes %s", name, name, what);
    else
        wd_err(err, WD_ETYPE, "%s(%s) is not defined; %s takes %s", name, wd_type_name(arg), name,
               what);
    return NULL;
}

/* Every state starts all-zero: counts 0, "no value yet", no DISTINCT set. */
void wd_agg__init_zero(const wd_agg_spec *s, uint8_t *st, uint32_t stride, uint32_t n)
{
    uint32_t sz = s->size;
    if (!sz && s->fn->state_size) sz = round8(s->fn->state_size(s->arg_type));
    for (uint32_t i = 0; i < n; i++) memset(st + (size_t)i * stride, 0, sz);
}

/* ---- DISTINCT sets ------------------------------------------------------------------ */

typedef struct dset_ent {
    uint64_t hash;
    uint64_t off;   /* of the encoding in bytes */
    uint32_t len;   /* 0: empty entry (encodings are never empty) */
    uint32_t _pad;
    int64_t count;  /* live occurrences */
} dset_ent;

typedef struct dset {
    dset_ent *ents;
    uint32_t cap;   /* power of two */
    uint32_t n;     /* used entries */
    uint8_t *bytes;
    uint64_t blen, bcap;
} dset;

static inline dset **dset_ptr(const wd_agg_spec *s, uint8_t *st)
{
    return (dset **)(st + s->size - 8);
}

static dset *dset_new(wd_arena *a)
{
    dset *d = wd_agg__alloc(a, sizeof *d);
    d->cap = 8;
    d->n = 0;
    d->ents = wd_agg__alloc(a, sizeof *d->ents * d->cap);
    memset(d->ents, 0, sizeof *d->ents * d->cap);
    d->bcap = 64;
    d->blen = 0;
    d->bytes = wd_agg__alloc(a, d->bcap);
    return d;
}

static void dset_grow(dset *d, wd_arena *a)
{
    uint32_t nc = d->cap * 2;
    dset_ent *ne = wd_agg__alloc(a, sizeof *ne * nc);
    memset(ne, 0, sizeof *ne * nc);
    for (uint32_t i = 0; i < d->cap; i++) {
        if (!d->ents[i].len) continue;
        uint32_t p = (uint32_t)(d->ents[i].hash >> 32) & (nc - 1);
        while (ne[p].len) p = (p + 1) & (nc - 1);
        ne[p] = d->ents[i];
    }
    d->ents = ne;
    d->cap = nc;
}

/* The entry of encoding e[0..n) with hash h, inserted (count 0) if absent. */
static dset_ent *dset_get(dset *d, wd_arena *a, const uint8_t *e, uint32_t n, uint64_t h)
{
    uint32_t mask = d->cap - 1;
    uint32_t p = (uint32_t)(h >> 32) & mask;
    for (;;) {
        dset_ent *x = &d->ents[p];
        if (!x->len) break;
        if (x->hash == h && x->len == n && memcmp(d->bytes + x->off, e, n) == 0) return x;
        p = (p + 1) & mask;
    }
    if ((d->n + 1) * 2 > d->cap) {
        if (WD_UNLIKELY(d->cap >= (1u << 31))) wd_panic("DISTINCT set too large");
        dset_grow(d, a);
        mask = d->cap - 1;
        p = (uint32_t)(h >> 32) & mask;
        while (d->ents[p].len) p = (p + 1) & mask;
    }
    if (d->blen + n > d->bcap) {
        uint64_t nc = d->bcap * 2;
        while (nc < d->blen + n) nc *= 2;
        d->bytes = wd_agg__realloc(a, d->bytes, d->bcap, nc);
        d->bcap = nc;
    }
    memcpy(d->bytes + d->blen, e, n);
    dset_ent *x = &d->ents[p];
    x->hash = h;
    x->off = d->blen;
    x->len = n;
    x->count = 0;
    d->blen += n;
    d->n++;
    return x;
}

/*
 * Keep among rows[0..*n) / sl[0..*n) (all of sign sgn) only the rows whose
 * value's count crosses 0 (see the banner); compacts both arrays.
 */
static void distinct_filter(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *base, uint32_t stride,
                            const wd_col *arg, uint32_t *rows, uint32_t *sl, uint32_t *n, int sgn,
                            wd_agg_bytes *scratch)
{
    bool keep_nulls = wd_agg__def(s)->keeps_nulls;
    uint32_t k = 0;
    for (uint32_t i = 0; i < *n; i++) {
        uint32_t r = rows[i];
        if (!keep_nulls && !wd_col_valid(arg, r)) continue;
        size_t sz = wd_agg__enc_size(arg, r);
        if (WD_UNLIKELY(sz > UINT32_MAX)) continue;
        scratch->len = 0;
        uint8_t *e = wd_agg__bytes_reserve(scratch, sz);
        wd_agg__enc_write(e, arg, r);
        uint64_t h = wd_agg__hash_bytes(e, sz);
        uint8_t *st = WD_AGG_ST(base, stride, sl[i], s->offset);
        dset **dp = dset_ptr(s, st);
        if (!*dp) {
            if (sgn < 0) continue;
            *dp = dset_new(c->arena);
        }
        dset_ent *x = dset_get(*dp, c->arena, e, (uint32_t)sz, h);
        bool pass;
        if (sgn > 0) {
            pass = x->count == 0;
            wd_agg__add64(&x->count, 1);
        } else if (x->count > 0) {
            pass = --x->count == 0;
        } else {
            pass = false;
        }
        if (pass) {
            rows[k] = r;
            sl[k] = sl[i];
            k++;
        }
    }
    *n = k;
}

/* Merge for a DISTINCT state: union the sets; values new to dst go
 * through update (decoded into a one-row column). */
static void merge_distinct(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *dst, const uint8_t *src)
{
    dset *ds = *dset_ptr(s, dst);
    dset *ss = *dset_ptr(s, (uint8_t *)(uintptr_t)src);
    if (!ss || ss->n == 0) return;
    if (!ds) ds = *dset_ptr(s, dst) = dset_new(c->arena);
    const wd_type *t = s->arg_type ? s->arg_type : WD_TYPE_NULL;
    wd_arena tmp;
    wd_arena_init(&tmp, 0);
    wd_col one;
    uint32_t zero = 0;
    uint8_t *base = dst - s->offset;
    for (uint32_t i = 0; i < ss->cap; i++) {
        const dset_ent *y = &ss->ents[i];
        if (!y->len || y->count <= 0) continue;
        const uint8_t *e = ss->bytes + y->off;
        dset_ent *x = dset_get(ds, c->arena, e, y->len, y->hash);
        bool fresh = x->count <= 0;
        wd_agg__add64(&x->count, y->count);
        if (!fresh) continue;
        wd_col_init(&one, t, 1, &tmp);
        wd_agg__dec(&one, 0, e, &tmp);
        s->fn->update(s, c, base, 0, &zero, &one, &zero, 1, +1);
        if (tmp.total > (1u << 20)) wd_arena_reset(&tmp);
    }
    wd_arena_free(&tmp);
}

/* Save the live values of DISTINCT state st: {u32 n; n × (int64 count; u32
 * len; encoding)}. */
void wd_agg__distinct_save(const wd_agg_spec *s, const uint8_t *st, wd_buf *b)
{
    const dset *d = *dset_ptr(s, (uint8_t *)(uintptr_t)st);
    uint32_t n = 0;
    if (d)
        for (uint32_t i = 0; i < d->cap; i++) n += d->ents[i].len && d->ents[i].count > 0;
    wd_snap_put_u32(b, n);
    if (!n) return;
    for (uint32_t i = 0; i < d->cap; i++) {
        const dset_ent *x = &d->ents[i];
        if (!x->len || x->count <= 0) continue;
        wd_snap_put_i64(b, x->count);
        wd_snap_put_bytes(b, d->bytes + x->off, x->len);
    }
}

/* Read a set saved by wd_agg__distinct_save into st (set pointer NULL). */
bool wd_agg__distinct_load(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *st, wd_rd *r)
{
    uint32_t n = wd_rd_u32(r);
    if (r->bad) return false;
    const wd_type *t = s->arg_type ? s->arg_type : WD_TYPE_NULL;
    dset **dp = dset_ptr(s, st);
    for (uint32_t i = 0; i < n; i++) {
        int64_t cnt = wd_rd_i64(r);
        uint32_t len;
        const uint8_t *e = wd_rd_bytes(r, &len);
        if (r->bad || cnt <= 0 || !len || wd_agg__enc_check(t, e, len) != len) return false;
        if (!*dp) *dp = dset_new(c->arena);
        dset_ent *x = dset_get(*dp, c->arena, e, len, wd_agg__hash_bytes(e, len));
        if (x->count != 0) return false; /* the same value twice */
        x->count = cnt;
    }
    return true;
}

/* pub.merge of every aggregate: DISTINCT union, or the aggregate's merge. */
void wd_agg__merge_entry(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *dst, const uint8_t *src)
{
    if (s->distinct && s->arg_col >= 0) {
        merge_distinct(s, c, dst, src);
        return;
    }
    wd_agg__def(s)->merge(s, c, dst, src);
}

/* ---- applying a batch --------------------------------------------------------------- */

static inline bool filter_true(const wd_col *f, uint32_t r)
{
    uint32_t j = wd_col_idx(f, r);
    return (!f->valid || f->valid[j]) && ((const uint8_t *)f->data)[j];
}

/* The input column i of in, or NULL when i is out of range. */
static const wd_col *input_col(const wd_batch *in, int i)
{
    if (i < 0 || !in->schema || (uint32_t)i >= in->schema->nfields) return NULL;
    return &in->cols[i];
}

/*
 * Apply in's rows to the states (see agg.h).  Rows whose FILTER column is
 * not TRUE are skipped; DISTINCT passes a value on only when it enters or
 * leaves the set; with sign 0, rows flagged in in->retract are applied
 * with -1, the others with +1.  Retractions are dropped for aggregates
 * without WD_AGG_RETRACT.  Specs whose columns do not exist in `in` are
 * skipped.
 */
void wd_agg_apply(const wd_agg_spec *specs, uint32_t nspecs, wd_agg_ctx *c, uint8_t *base,
                  uint32_t stride, const wd_batch *in, const uint32_t *slots, int sign)
{
    uint32_t nrows = in->nrows;
    uint32_t ins_rows[CHUNK], ins_sl[CHUNK], ret_rows[CHUNK], ret_sl[CHUNK];
    wd_agg_bytes scratch = {NULL, 0, 0};
    const uint8_t *rf = sign == 0 ? in->retract : NULL;
    if (sign > 0) sign = 1;
    for (uint32_t k = 0; k < nspecs; k++) {
        const wd_agg_spec *s = &specs[k];
        if (!s->fn || !s->fn->update) continue;
        const wd_col *arg = NULL;
        if (s->arg_col >= 0) {
            arg = input_col(in, s->arg_col);
            if (!arg) continue;
        }
        const wd_col *filt = NULL;
        if (s->filter_col >= 0) {
            filt = input_col(in, s->filter_col);
            if (!filt || filt->type->id != WD_T_BOOL) continue;
        }
        bool retractable = (s->fn->flags & WD_AGG_RETRACT) != 0;
        bool distinct = s->distinct && arg;
        for (uint32_t start = 0; start < nrows; start += CHUNK) {
            uint32_t m = nrows - start < CHUNK ? nrows - start : CHUNK;
            uint32_t ni = 0, nr = 0;
            if (!filt && !rf) {
                uint32_t *r = sign < 0 ? ret_rows : ins_rows;
                uint32_t *q = sign < 0 ? ret_sl : ins_sl;
                for (uint32_t j = 0; j < m; j++) r[j] = start + j;
                memcpy(q, slots + start, sizeof *q * m);
                if (sign < 0)
                    nr = m;
                else
                    ni = m;
            } else {
                for (uint32_t j = 0; j < m; j++) {
                    uint32_t r = start + j;
                    if (filt && !filter_true(filt, r)) continue;
                    bool neg = rf ? rf[r] != 0 : sign < 0;
                    if (neg) {
                        ret_rows[nr] = r;
                        ret_sl[nr++] = slots[r];
                    } else {
                        ins_rows[ni] = r;
                        ins_sl[ni++] = slots[r];
                    }
                }
            }
            if (distinct) {
                /* in row order across both lists would need interleaving;
                 * inserts first then retractions gives the same net counts */
                if (ni) distinct_filter(s, c, base, stride, arg, ins_rows, ins_sl, &ni, +1, &scratch);
                if (nr && retractable)
                    distinct_filter(s, c, base, stride, arg, ret_rows, ret_sl, &nr, -1, &scratch);
            }
            if (ni) s->fn->update(s, c, base, stride, ins_sl, arg, ins_rows, ni, +1);
            if (nr && retractable) s->fn->update(s, c, base, stride, ret_sl, arg, ret_rows, nr, -1);
        }
    }
    wd_free(scratch.p);
}
