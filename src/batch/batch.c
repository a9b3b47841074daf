/*
 * batch.c — columns (init, validity, reserve, gather, constant expansion)
 * and reference-counted batches whose buffers live in one arena.
 *
 * Column and batch functions do not fail: their internal allocations retry
 * once when the test failure injector fails one (it is single-shot), so a
 * half-built column is never seen.  Only wd_batch_new / wd_batch_new_empty
 * / wd_batch_gather can return NULL, when the batch struct itself cannot be
 * allocated under the injector.
 *
 * Exports: wd_col_init, wd_col_valid_alloc, wd_col_set_null,
 * wd_col_reserve, wd_col_null_count, wd_col_gather, wd_col_expand_const,
 * wd_col_append, wd_str_copy, wd_batch_new, wd_batch_new_empty,
 * wd_batch_retain, wd_batch_release, wd_batch_borrow, wd_batch_seal,
 * wd_batch_gather, wd_batch_expand_consts, wd_batch_bytes,
 * wd_schema_make, wd_field_is_hidden, wd_batch_dump.
 */
#include "batch/batch.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"

#define BATCH_ARENA_CHUNK (64u * 1024u)

/* ---- allocation helpers ------------------------------------------------ */

static void *balloc(wd_arena *a, size_t n)
{
    void *p = wd_arena_alloc(a, n);
    if (WD_UNLIKELY(!p)) p = wd_arena_alloc(a, n);
    if (WD_UNLIKELY(!p)) wd_panic("out of memory in a batch arena (%zu bytes)", n);
    return p;
}

static void *bcalloc(wd_arena *a, size_t n)
{
    void *p = balloc(a, n);
    memset(p, 0, n);
    return p;
}

static void *brealloc(wd_arena *a, void *p, size_t old_n, size_t new_n)
{
    void *q = wd_arena_realloc(a, p, old_n, new_n);
    if (WD_UNLIKELY(!q)) q = wd_arena_realloc(a, p, old_n, new_n);
    if (WD_UNLIKELY(!q)) wd_panic("out of memory in a batch arena (%zu bytes)", new_n);
    return q;
}

static size_t mul_size(size_t a, size_t b)
{
    size_t r;
    if (__builtin_mul_overflow(a, b, &r)) wd_panic("column buffer size overflow");
    return r;
}

/* ---- columns ----------------------------------------------------------- */

/* Empty column of type t with buffers for cap rows (LIST: offsets for cap
 * rows and a child with room for cap elements; NULL type: validity all 0,
 * since every value of that type is null). */
void wd_col_init(wd_col *c, const wd_type *t, uint32_t cap, wd_arena *a)
{
    memset(c, 0, sizeof *c);
    if (!t) t = WD_TYPE_NULL;
    c->type = t;
    c->cap = cap;
    switch (t->id) {
    case WD_T_NULL:
        c->valid = bcalloc(a, cap ? cap : 1);
        break;
    case WD_T_STRUCT:
        c->child = balloc(a, mul_size(t->nfields ? t->nfields : 1, sizeof(wd_col)));
        for (uint32_t i = 0; i < t->nfields; i++) wd_col_init(&c->child[i], t->fields[i].type, cap, a);
        break;
    case WD_T_LIST: {
        uint32_t *off = balloc(a, mul_size((size_t)cap + 1, sizeof(uint32_t)));
        off[0] = 0;
        c->data = off;
        c->child = balloc(a, sizeof(wd_col));
        wd_col_init(c->child, t->elem, cap, a);
        break;
    }
    default: {
        size_t w = wd_type_width(t->id);
        if (w && cap) c->data = balloc(a, mul_size(w, cap));
        break;
    }
    }
}

/* Bytes the validity buffer holds. */
static size_t valid_size(const wd_col *c)
{
    size_t n = c->cap > c->len ? c->cap : c->len;
    return n ? n : 1;
}

uint8_t *wd_col_valid_alloc(wd_col *c, wd_arena *a)
{
    if (!c->valid) {
        size_t n = valid_size(c);
        c->valid = balloc(a, n);
        memset(c->valid, 1, n);
    }
    return c->valid;
}

void wd_col_set_null(wd_col *c, uint32_t i, wd_arena *a)
{
    uint32_t p = wd_col_idx(c, i);
    if (WD_UNLIKELY(p >= valid_size(c)))
        wd_panic("wd_col_set_null: row %u beyond capacity %u", i, c->cap);
    wd_col_valid_alloc(c, a)[p] = 0;
}

/* Grow buffers to at least cap rows (at least doubling). */
void wd_col_reserve(wd_col *c, uint32_t cap, wd_arena *a)
{
    if (cap <= c->cap) return;
    size_t oldcap = c->cap;
    size_t newcap = oldcap * 2 > cap ? oldcap * 2 : cap;
    if (newcap > UINT32_MAX) newcap = UINT32_MAX;
    const wd_type *t = c->type ? c->type : WD_TYPE_NULL;
    if (t->id == WD_T_LIST) {
        uint32_t *off = brealloc(a, c->data, c->data ? (oldcap + 1) * 4 : 0,
                                 mul_size(newcap + 1, sizeof(uint32_t)));
        if (!c->data) off[0] = 0;
        c->data = off;
    } else if (t->id == WD_T_STRUCT) {
        for (uint32_t i = 0; i < t->nfields; i++) wd_col_reserve(&c->child[i], (uint32_t)newcap, a);
    } else {
        size_t w = wd_type_width(t->id);
        if (w) c->data = brealloc(a, c->data, c->data ? w * oldcap : 0, mul_size(w, newcap));
    }
    if (c->valid) {
        size_t oldv = valid_size(c);
        if (newcap > oldv) {
            /* NULL-typed columns are all null; others start valid */
            uint8_t fill = t->id == WD_T_NULL ? 0 : 1;
            c->valid = brealloc(a, c->valid, oldv, newcap);
            memset(c->valid + oldv, fill, newcap - oldv);
        }
    }
    c->cap = (uint32_t)newcap;
}

uint32_t wd_col_null_count(const wd_col *c)
{
    if (!c->valid) return 0;
    if (c->flags & WD_COL_CONST) return c->valid[0] ? 0 : c->len;
    uint32_t k = 0;
    for (uint32_t i = 0; i < c->len; i++) k += !c->valid[i];
    return k;
}

static void gather_fixed(void *dst, const void *src, size_t w, const uint32_t *idx, uint32_t n)
{
    switch (w) {
    case 1: {
        uint8_t *d = dst;
        const uint8_t *s = src;
        for (uint32_t i = 0; i < n; i++) d[i] = s[idx[i]];
        break;
    }
    case 2: {
        uint16_t *d = dst;
        const uint16_t *s = src;
        for (uint32_t i = 0; i < n; i++) d[i] = s[idx[i]];
        break;
    }
    case 4: {
        uint32_t *d = dst;
        const uint32_t *s = src;
        for (uint32_t i = 0; i < n; i++) d[i] = s[idx[i]];
        break;
    }
    case 8: {
        uint64_t *d = dst;
        const uint64_t *s = src;
        for (uint32_t i = 0; i < n; i++) d[i] = s[idx[i]];
        break;
    }
    case 16: {
        char *d = dst;
        const char *s = src;
        for (uint32_t i = 0; i < n; i++) memcpy(d + (size_t)i * 16, s + (size_t)idx[i] * 16, 16);
        break;
    }
    default: {
        char *d = dst;
        const char *s = src;
        for (uint32_t i = 0; i < n; i++) memcpy(d + (size_t)i * w, s + (size_t)idx[i] * w, w);
        break;
    }
    }
}

/*
 * dst = rows idx[0..n) of src.  A constant src stays constant (buffers
 * shared, len n); idx == NULL is a shallow copy of the first n rows that
 * shares src's buffers.  Otherwise every buffer is new in a, except string
 * bytes, which stay where src's views point.
 */
void wd_col_gather(wd_col *dst, const wd_col *src, const uint32_t *idx, uint32_t n, wd_arena *a)
{
    if ((src->flags & WD_COL_CONST) || !idx) {
        *dst = *src;
        dst->len = n;
        if (!(src->flags & WD_COL_CONST)) dst->cap = n;
        return;
    }
    const wd_type *t = src->type ? src->type : WD_TYPE_NULL;
    memset(dst, 0, sizeof *dst);
    dst->type = t;
    dst->len = n;
    dst->cap = n;
    if (src->valid) {
        dst->valid = balloc(a, n ? n : 1);
        gather_fixed(dst->valid, src->valid, 1, idx, n);
    }
    switch (t->id) {
    case WD_T_NULL:
        if (!dst->valid) dst->valid = bcalloc(a, n ? n : 1);
        break;
    case WD_T_STRUCT:
        dst->child = balloc(a, mul_size(t->nfields ? t->nfields : 1, sizeof(wd_col)));
        for (uint32_t f = 0; f < t->nfields; f++)
            wd_col_gather(&dst->child[f], &src->child[f], idx, n, a);
        break;
    case WD_T_LIST: {
        const uint32_t *so = src->data;
        uint32_t *off = balloc(a, mul_size((size_t)n + 1, sizeof(uint32_t)));
        uint64_t total = 0;
        off[0] = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (so) total += so[idx[i] + 1] - so[idx[i]];
            if (WD_UNLIKELY(total > UINT32_MAX)) wd_panic("list column over 2^32 elements");
            off[i + 1] = (uint32_t)total;
        }
        uint32_t *eidx = balloc(a, mul_size(total ? total : 1, sizeof(uint32_t)));
        uint32_t k = 0;
        for (uint32_t i = 0; i < n && so; i++)
            for (uint32_t e = so[idx[i]]; e < so[idx[i] + 1]; e++) eidx[k++] = e;
        dst->data = off;
        dst->child = balloc(a, sizeof(wd_col));
        if (src->child) {
            wd_col_gather(dst->child, src->child, eidx, (uint32_t)total, a);
        } else {
            wd_col_init(dst->child, t->elem, 0, a);
        }
        break;
    }
    default: {
        size_t w = wd_type_width(t->id);
        if (w) {
            dst->data = balloc(a, mul_size(w, n ? n : 1));
            if (src->data) gather_fixed(dst->data, src->data, w, idx, n);
        }
        break;
    }
    }
}

/*
 * A constant src: its physical row 0 repeated n times.  A non-constant src
 * with at least n rows: a shallow copy of its first n rows.  A non-constant
 * src with fewer rows (e.g. the child of a constant STRUCT, which holds one
 * physical row) is treated as constant: its row 0 is repeated, or, with no
 * row at all, every row is null.
 */
void wd_col_expand_const(wd_col *dst, const wd_col *src, uint32_t n, wd_arena *a)
{
    if (!(src->flags & WD_COL_CONST) && src->len >= n) {
        wd_col_gather(dst, src, NULL, n, a);
        return;
    }
    if (!(src->flags & WD_COL_CONST) && src->len == 0) {
        wd_col_init(dst, src->type, n, a);
        memset(wd_col_valid_alloc(dst, a), 0, n ? n : 1);
        dst->len = n;
        return;
    }
    wd_col one = *src;
    one.flags &= ~WD_COL_CONST;
    one.len = 1;
    uint32_t *zeros = bcalloc(a, mul_size(n ? n : 1, sizeof(uint32_t)));
    wd_col_gather(dst, &one, zeros, n, a);
}

/* Append rows of src to dst (see batch.h).  List element indexes use
 * scratch allocated here, one per call. */
void wd_col_append(wd_col *dst, const wd_col *src, const uint32_t *idx, uint32_t n, wd_arena *a,
                   bool copy)
{
    if (n == 0) return;
    uint32_t at = dst->len;
    wd_col_reserve(dst, at + n, a);
    if (src->valid) {
        uint8_t *v = wd_col_valid_alloc(dst, a);
        for (uint32_t i = 0; i < n; i++) v[at + i] = src->valid[idx ? idx[i] : i];
    } else if (dst->valid) {
        memset(dst->valid + at, dst->type->id == WD_T_NULL ? 0 : 1, n);
    }
    const wd_type *t = dst->type ? dst->type : WD_TYPE_NULL;
    switch (t->id) {
    case WD_T_NULL:
        wd_col_valid_alloc(dst, a);
        memset(dst->valid + at, 0, n);
        break;
    case WD_T_STRUCT:
        for (uint32_t f = 0; f < t->nfields; f++) {
            dst->child[f].len = at; /* children follow their parent row for row */
            wd_col_append(&dst->child[f], &src->child[f], idx, n, a, copy);
        }
        break;
    case WD_T_LIST: {
        const uint32_t *so = src->data;
        uint32_t *d = dst->data;
        uint64_t total = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t r = idx ? idx[i] : i;
            total += so ? so[r + 1] - so[r] : 0;
        }
        if (WD_UNLIKELY(d[at] + total > UINT32_MAX)) wd_panic("list column over 2^32 elements");
        size_t esz = mul_size(total ? total : 1, sizeof(uint32_t));
        uint32_t *eidx = wd_malloc(esz);
        if (WD_UNLIKELY(!eidx)) eidx = wd_malloc(esz);
        if (WD_UNLIKELY(!eidx)) wd_panic("out of memory appending a list column");
        uint32_t k = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t r = idx ? idx[i] : i;
            if (so)
                for (uint32_t e = so[r]; e < so[r + 1]; e++) eidx[k++] = e;
            d[at + i + 1] = d[at] + k;
        }
        if (src->child) wd_col_append(dst->child, src->child, eidx, k, a, copy);
        wd_free(eidx);
        break;
    }
    case WD_T_TEXT:
    case WD_T_BYTES:
    case WD_T_JSON: {
        const wd_str *s = src->data;
        wd_str *d = dst->data;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t r = idx ? idx[i] : i;
            wd_str v = s[r];
            if (src->valid && !src->valid[r]) v = wd_str_make("", 0); /* a NULL's view: unset */
            d[at + i] = copy && v.len ? wd_str_copy(a, v.ptr, v.len) : v;
        }
        break;
    }
    default: {
        size_t w = wd_type_width(t->id);
        if (!w) break;
        char *d = (char *)dst->data + (size_t)at * w;
        const char *s = src->data;
        if (!idx) {
            memcpy(d, s, (size_t)n * w);
        } else if (w == 8) {
            for (uint32_t i = 0; i < n; i++) memcpy(d + (size_t)i * 8, s + (size_t)idx[i] * 8, 8);
        } else {
            for (uint32_t i = 0; i < n; i++) memcpy(d + (size_t)i * w, s + (size_t)idx[i] * w, w);
        }
        break;
    }
    }
    dst->len = at + n;
}

wd_str wd_str_copy(wd_arena *a, const char *p, size_t n)
{
    if (n == 0 || !p) return wd_str_make("", 0);
    if (n > UINT32_MAX) n = UINT32_MAX;
    char *d = balloc(a, n);
    memcpy(d, p, n);
    return wd_str_make(d, (uint32_t)n);
}

/* ---- batches ----------------------------------------------------------- */

static wd_batch *batch_alloc(const wd_type *schema)
{
    if (!schema || schema->id != WD_T_STRUCT || schema->nfields == 0)
        wd_panic("batch schema must be a STRUCT with a _timestamp field");
    wd_batch *b = wd_calloc(1, sizeof *b);
    if (!b) return NULL;
    atomic_init(&b->refs, 1);
    b->schema = schema;
    wd_arena_init(&b->arena, BATCH_ARENA_CHUNK);
    return b;
}

wd_batch *wd_batch_new(const wd_type *schema, uint32_t cap)
{
    wd_batch *b = batch_alloc(schema);
    if (!b) return NULL;
    b->cols = balloc(&b->arena, mul_size(schema->nfields, sizeof(wd_col)));
    for (uint32_t i = 0; i < schema->nfields; i++)
        wd_col_init(&b->cols[i], schema->fields[i].type, cap, &b->arena);
    return b;
}

/* Columns zeroed but for their type. */
wd_batch *wd_batch_new_empty(const wd_type *schema)
{
    wd_batch *b = batch_alloc(schema);
    if (!b) return NULL;
    b->cols = bcalloc(&b->arena, mul_size(schema->nfields, sizeof(wd_col)));
    for (uint32_t i = 0; i < schema->nfields; i++) b->cols[i].type = schema->fields[i].type;
    return b;
}

void wd_batch_retain(wd_batch *b)
{
    if (b) atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
}

void wd_batch_release(wd_batch *b)
{
    if (!b) return;
    uint32_t old = atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel);
    if (WD_UNLIKELY(old == 0)) wd_panic("wd_batch_release of a freed batch");
    if (old != 1) return;
    for (uint32_t i = 0; i < b->nparents; i++) wd_batch_release(b->parents[i]);
    wd_arena_free(&b->arena);
    wd_free(b);
}

void wd_batch_borrow(wd_batch *b, wd_batch *parent)
{
    if (!b || !parent || parent == b) return;
    for (uint32_t i = 0; i < b->nparents; i++)
        if (b->parents[i] == parent) return;
    if (b->nparents == b->capparents) {
        uint32_t nc = b->capparents ? b->capparents * 2 : 4;
        b->parents = brealloc(&b->arena, b->parents, b->capparents * sizeof(wd_batch *),
                              nc * sizeof(wd_batch *));
        b->capparents = nc;
    }
    wd_batch_retain(parent);
    b->parents[b->nparents++] = parent;
}

static void seal_col(wd_col *c, uint32_t n)
{
    c->len = n;
    if (c->flags & WD_COL_CONST) return;
    const wd_type *t = c->type;
    if (!t) return;
    if (t->id == WD_T_STRUCT && c->child) {
        for (uint32_t i = 0; i < t->nfields; i++) seal_col(&c->child[i], n);
    } else if (t->id == WD_T_LIST && c->child && c->data && n <= c->cap) {
        /* the child holds the elements of rows 0..n */
        uint32_t ne = ((const uint32_t *)c->data)[n];
        seal_col(c->child, ne);
    }
}

/* Every column's len = b->nrows; a LIST column's child gets its element
 * count (offsets[nrows]), STRUCT children the row count. */
void wd_batch_seal(wd_batch *b)
{
    for (uint32_t i = 0; i < b->schema->nfields; i++) seal_col(&b->cols[i], b->nrows);
}

wd_batch *wd_batch_gather(wd_batch *b, const uint32_t *idx, uint32_t n)
{
    wd_batch *nb = wd_batch_new_empty(b->schema);
    if (!nb) return NULL;
    for (uint32_t i = 0; i < b->schema->nfields; i++)
        wd_col_gather(&nb->cols[i], &b->cols[i], idx, n, &nb->arena);
    if (b->retract) {
        if (idx) {
            nb->retract = balloc(&nb->arena, n ? n : 1);
            gather_fixed(nb->retract, b->retract, 1, idx, n);
        } else {
            nb->retract = b->retract;
        }
    }
    nb->nrows = n;
    wd_batch_borrow(nb, b);
    return nb;
}

/* Rows of a string column whose lengths are read; beyond, a sample. */
#define BYTES_SAMPLE 16u

/*
 * The bytes of n string values (nulls count 0): exact up to BYTES_SAMPLE
 * values, else estimated from BYTES_SAMPLE rows spread evenly over the
 * column, so that the cost per batch does not grow with its rows.
 */
static uint64_t str_bytes(const wd_str *s, uint32_t n, const uint8_t *valid)
{
    uint32_t step = n <= BYTES_SAMPLE ? 1 : n / BYTES_SAMPLE;
    uint64_t sum = 0;
    uint32_t seen = 0;
    for (uint32_t i = 0; i < n && seen < BYTES_SAMPLE; i += step, seen++)
        if (!valid || valid[i]) sum += s[i].len;
    return n <= BYTES_SAMPLE ? sum : sum * n / seen;
}

/*
 * Bytes of rows 0..n of c.  pvalid is the validity of an enclosing
 * STRUCT's rows (NULL: all valid): the children of a null struct row hold
 * no defined values, so their strings are not counted.
 */
static uint64_t col_bytes(const wd_col *c, uint32_t n, const uint8_t *pvalid)
{
    const wd_type *t = c->type;
    if (!t || n == 0) return 0;
    if (c->flags & WD_COL_CONST) n = 1;
    const uint8_t *valid = c->valid ? c->valid : pvalid;
    uint64_t bytes = c->valid ? n : 0;
    switch (t->id) {
    case WD_T_STRUCT:
        for (uint32_t f = 0; c->child && f < t->nfields; f++)
            bytes += col_bytes(&c->child[f], n, valid);
        break;
    case WD_T_LIST:
        if (!c->data) break;
        bytes += ((uint64_t)n + 1) * sizeof(uint32_t);
        if (c->child) bytes += col_bytes(c->child, ((const uint32_t *)c->data)[n], NULL);
        break;
    default:
        if (!wd_type_is_stringy(t->id)) {
            bytes += (uint64_t)wd_type_width(t->id) * n;
        } else if (c->data) {
            bytes += str_bytes(c->data, n, valid);
        }
        break;
    }
    return bytes;
}

/* The bytes of b's data (see batch.h). */
uint64_t wd_batch_bytes(const wd_batch *b)
{
    if (!b) return 0;
    uint64_t bytes = b->retract ? b->nrows : 0;
    for (uint32_t i = 0; i < b->schema->nfields; i++)
        bytes += col_bytes(&b->cols[i], b->nrows, NULL);
    return bytes;
}

wd_batch *wd_batch_expand_consts(wd_batch *in)
{
    uint32_t nf = in->schema->nfields, k;
    for (k = 0; k < nf; k++)
        if (in->cols[k].flags & WD_COL_CONST) break;
    if (k == nf) return in;
    wd_batch *b = wd_batch_new_empty(in->schema);
    if (!b) return NULL;
    wd_batch_borrow(b, in);
    for (uint32_t f = 0; f < nf; f++)
        wd_col_expand_const(&b->cols[f], &in->cols[f], in->nrows, &b->arena);
    b->nrows = in->nrows;
    return b;
}

bool wd_field_is_hidden(const char *name) { return name && strcmp(name, "_timestamp") == 0; }

/* fields + `_timestamp TIMESTAMP NOT NULL`, unless the last field already is
 * `_timestamp` (then fields are taken as they are).  NULL only under the
 * allocation-failure injector. */
const wd_type *wd_schema_make(wd_arena *a, uint32_t nfields, const wd_field *fields)
{
    if (nfields && wd_field_is_hidden(fields[nfields - 1].name))
        return wd_type_struct(a, nfields, fields);
    wd_field *f = wd_arena_alloc(a, ((size_t)nfields + 1) * sizeof *f);
    if (!f) return NULL;
    if (nfields) memcpy(f, fields, nfields * sizeof *f);
    f[nfields].name = "_timestamp";
    f[nfields].type = WD_TYPE_TIMESTAMP;
    f[nfields].nullable = false;
    return wd_type_struct(a, nfields + 1, f);
}

/* ---- debugging dump ---------------------------------------------------- */

static void fmt_i128(wd_buf *o, wd_i128 v, unsigned scale)
{
    char tmp[64];
    int k = 0;
    bool neg = v < 0;
    unsigned __int128 u = neg ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
    do {
        tmp[k++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u && k < 60);
    while ((unsigned)k <= scale && k < 60) tmp[k++] = '0';
    if (neg) wd_buf_putc(o, '-');
    for (int i = k - 1; i >= 0; i--) {
        wd_buf_putc(o, tmp[i]);
        if (scale && i == (int)scale) wd_buf_putc(o, '.');
    }
}

static void fmt_value(wd_buf *o, const wd_col *c, uint32_t row, int depth)
{
    if (!wd_col_valid(c, row)) {
        wd_buf_puts(o, "NULL");
        return;
    }
    uint32_t p = wd_col_idx(c, row);
    const wd_type *t = c->type ? c->type : WD_TYPE_NULL;
    if (!c->data && t->id != WD_T_STRUCT && t->id != WD_T_NULL) {
        wd_buf_puts(o, "?");
        return;
    }
    switch (t->id) {
    case WD_T_NULL: wd_buf_puts(o, "NULL"); break;
    case WD_T_BOOL: wd_buf_puts(o, ((const uint8_t *)c->data)[p] ? "true" : "false"); break;
    case WD_T_INT16: wd_buf_printf(o, "%d", ((const int16_t *)c->data)[p]); break;
    case WD_T_INT32: wd_buf_printf(o, "%" PRId32, ((const int32_t *)c->data)[p]); break;
    case WD_T_INT64: wd_buf_printf(o, "%" PRId64, ((const int64_t *)c->data)[p]); break;
    case WD_T_UINT16: wd_buf_printf(o, "%u", ((const uint16_t *)c->data)[p]); break;
    case WD_T_UINT32: wd_buf_printf(o, "%" PRIu32, ((const uint32_t *)c->data)[p]); break;
    case WD_T_UINT64: wd_buf_printf(o, "%" PRIu64, ((const uint64_t *)c->data)[p]); break;
    case WD_T_FLOAT32: wd_buf_printf(o, "%g", (double)((const float *)c->data)[p]); break;
    case WD_T_FLOAT64: wd_buf_printf(o, "%g", ((const double *)c->data)[p]); break;
    case WD_T_DECIMAL: fmt_i128(o, ((const wd_i128 *)c->data)[p], t->scale); break;
    case WD_T_TEXT:
    case WD_T_JSON: {
        wd_str s = ((const wd_str *)c->data)[p];
        wd_buf_json_str(o, s.ptr ? s.ptr : "", s.ptr ? s.len : 0);
        break;
    }
    case WD_T_BYTES: {
        wd_str s = ((const wd_str *)c->data)[p];
        wd_buf_puts(o, "\\x");
        for (uint32_t i = 0; i < s.len && s.ptr; i++)
            wd_buf_printf(o, "%02x", (unsigned char)s.ptr[i]);
        break;
    }
    case WD_T_TIMESTAMP: {
        char tmp[40];
        wd_ts_format(((const int64_t *)c->data)[p], tmp);
        wd_buf_puts(o, tmp);
        break;
    }
    case WD_T_DATE: {
        char tmp[16];
        wd_date_format(((const int32_t *)c->data)[p], tmp);
        wd_buf_puts(o, tmp);
        break;
    }
    case WD_T_INTERVAL: {
        char tmp[128];
        wd_interval_format(((const wd_interval *)c->data)[p], tmp, sizeof tmp);
        wd_buf_puts(o, tmp);
        break;
    }
    case WD_T_STRUCT:
        wd_buf_putc(o, '{');
        for (uint32_t f = 0; f < t->nfields && c->child; f++) {
            if (f) wd_buf_puts(o, ", ");
            wd_buf_printf(o, "%s: ", t->fields[f].name);
            if (depth < 32) fmt_value(o, &c->child[f], p, depth + 1);
        }
        wd_buf_putc(o, '}');
        break;
    case WD_T_LIST: {
        const uint32_t *off = c->data;
        wd_buf_putc(o, '[');
        for (uint32_t e = off[p]; e < off[p + 1] && c->child; e++) {
            if (e > off[p]) wd_buf_puts(o, ", ");
            if (depth < 32) fmt_value(o, c->child, e, depth + 1);
        }
        wd_buf_putc(o, ']');
        break;
    }
    default: wd_buf_puts(o, "?"); break;
    }
}

void wd_batch_dump(const wd_batch *b)
{
    if (!b) {
        fputs("(null batch)\n", stderr);
        return;
    }
    wd_buf o = WD_BUF_INIT;
    wd_buf_printf(&o, "batch %p: %u rows, refs %u%s\n", (const void *)b, b->nrows,
                  (unsigned)atomic_load(&b->refs), b->retract ? ", updating" : "");
    for (uint32_t f = 0; f < b->schema->nfields; f++) {
        wd_buf_puts(&o, f ? " | " : "");
        wd_buf_printf(&o, "%s %s", b->schema->fields[f].name, wd_type_name(b->schema->fields[f].type));
    }
    if (b->retract) wd_buf_puts(&o, " | (op)");
    wd_buf_putc(&o, '\n');
    uint32_t lim = b->nrows > 1000 ? 1000 : b->nrows;
    for (uint32_t r = 0; r < lim; r++) {
        for (uint32_t f = 0; f < b->schema->nfields; f++) {
            wd_buf_puts(&o, f ? " | " : "");
            if (b->cols && r < b->cols[f].len) fmt_value(&o, &b->cols[f], r, 0);
            else wd_buf_puts(&o, "-");
        }
        if (b->retract) wd_buf_puts(&o, b->retract[r] ? " | -" : " | +");
        wd_buf_putc(&o, '\n');
    }
    if (lim < b->nrows) wd_buf_printf(&o, "… %u more rows\n", b->nrows - lim);
    fwrite(o.data, 1, o.len, stderr);
    wd_buf_free(&o);
}
