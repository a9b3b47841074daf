/*
 * wire.c — the columnar wire encoding of batches (wire.h).
 *
 * Encoding walks each column once with a row mapping (an index list from
 * a shuffle, or the identity; every row maps to 0 under a constant
 * column), so a shuffle target's rows are encoded without a gather.
 * Decoding checks each count against the bytes left before it allocates:
 * a plain column of n rows must bring n values, so a frame cannot claim
 * more rows than it carries (constant columns, which carry one value, are
 * kept constant: no allocation by n).
 *
 * Exports: wd_batch_wire_encode, wd_batch_wire_decode.
 */
#include "batch/wire.h"

#include <string.h>

#include "common/alloc.h"
#include "common/rd.h"

#define MODE_PLAIN 0
#define MODE_CONST 1
#define MAX_ROWS (1u << 20)   /* the largest batch a source builds */
#define MAX_ELEMS (1u << 26)  /* list elements in one column of one batch */

typedef struct rowmap {
    const uint32_t *idx;
    uint32_t n;
    bool cst;
} rowmap;

static inline uint32_t phys(const rowmap *m, uint32_t i)
{
    return m->cst ? 0 : m->idx ? m->idx[i] : i;
}

static void put_u32(wd_buf *b, uint32_t v) { wd_buf_put(b, &v, 4); }
static void put_u8(wd_buf *b, uint8_t v) { wd_buf_put(b, &v, 1); }

static bool has_fixed_values(wd_type_id id)
{
    return id != WD_T_NULL && id != WD_T_STRUCT && id != WD_T_LIST && !wd_type_is_stringy(id);
}

static void encode_col(wd_buf *out, const wd_col *c, const wd_type *t, rowmap m)
{
    uint32_t n = m.n;
    bool cst = m.cst || (c->flags & WD_COL_CONST);
    m.cst = cst;
    if (cst && n > 0 && (has_fixed_values(t->id) || wd_type_is_stringy(t->id))) {
        put_u8(out, MODE_CONST);
        bool v = !c->valid || c->valid[0];
        put_u8(out, v);
        if (wd_type_is_stringy(t->id)) {
            wd_str s = v ? ((const wd_str *)c->data)[0] : (wd_str){0};
            put_u32(out, s.len);
            if (s.len) wd_buf_put(out, s.ptr, s.len);
        } else {
            size_t w = wd_type_width(t->id);
            if (v) wd_buf_put(out, c->data, w);
            else wd_buf_put(out, (const uint8_t[16]){0}, w);
        }
        return;
    }
    put_u8(out, MODE_PLAIN);
    bool nulls = false;
    if (c->valid && t->id != WD_T_NULL)
        for (uint32_t i = 0; i < n && !nulls; i++) nulls = !c->valid[phys(&m, i)];
    put_u8(out, nulls);
    if (nulls) {
        uint8_t *bits = wd_buf_room(out, (n + 7) / 8);
        memset(bits, 0, (n + 7) / 8);
        for (uint32_t i = 0; i < n; i++)
            if (c->valid[phys(&m, i)]) bits[i >> 3] |= (uint8_t)(1u << (i & 7));
        wd_buf_commit(out, bits + (n + 7) / 8);
    }
    switch (t->id) {
    case WD_T_NULL: return;
    case WD_T_STRUCT:
        for (uint32_t f = 0; f < t->nfields; f++) encode_col(out, &c->child[f], t->fields[f].type, m);
        return;
    case WD_T_LIST: {
        const uint32_t *off = c->data;
        uint32_t total = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t p = phys(&m, i), k = off[p + 1] - off[p];
            put_u32(out, k);
            total += k;
        }
        uint32_t *el = wd_malloc((total ? total : 1) * sizeof *el);
        if (!el) wd_panic("out of memory encoding a list column");
        uint32_t e = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t p = phys(&m, i);
            for (uint32_t k = off[p]; k < off[p + 1]; k++) el[e++] = k;
        }
        encode_col(out, c->child, t->elem, (rowmap){el, total, false});
        wd_free(el);
        return;
    }
    default: break;
    }
    if (wd_type_is_stringy(t->id)) {
        const wd_str *s = c->data;
        uint32_t *lens = (uint32_t *)wd_buf_room(out, (size_t)n * 4);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t p = phys(&m, i);
            bool v = !c->valid || c->valid[p];
            uint32_t l = v ? s[p].len : 0;
            memcpy(&lens[i], &l, 4);
        }
        wd_buf_commit(out, (uint8_t *)(lens + n));
        for (uint32_t i = 0; i < n; i++) {
            uint32_t p = phys(&m, i);
            if ((!c->valid || c->valid[p]) && s[p].len) wd_buf_put(out, s[p].ptr, s[p].len);
        }
        return;
    }
    size_t w = wd_type_width(t->id);
    uint8_t *d = wd_buf_room(out, w * n);
    const uint8_t *src = c->data;
    if (!m.idx) {
        if (n) memcpy(d, src, w * n);
    } else {
        for (uint32_t i = 0; i < n; i++) memcpy(d + w * i, src + w * m.idx[i], w);
    }
    wd_buf_commit(out, d + w * n);
}

void wd_batch_wire_encode(const wd_batch *b, const uint32_t *idx, uint32_t n, wd_buf *out)
{
    if (!idx) n = b->nrows;
    put_u32(out, n);
    put_u8(out, b->retract != NULL);
    if (b->retract) {
        uint8_t *r = wd_buf_room(out, n);
        for (uint32_t i = 0; i < n; i++) r[i] = b->retract[idx ? idx[i] : i] ? 1 : 0;
        wd_buf_commit(out, r + n);
    }
    rowmap m = {idx, n, false};
    for (uint32_t f = 0; f < b->schema->nfields; f++)
        encode_col(out, &b->cols[f], b->schema->fields[f].type, m);
}

/* ---- decoding ------------------------------------------------------------- */

static void *take_copy(wd_rd *r, size_t n, wd_arena *a)
{
    const void *p = wd_rd_take(r, n);
    if (!p) return NULL;
    void *d = wd_arena_alloc(a, n ? n : 1);
    if (d && n) memcpy(d, p, n);
    return d;
}

/* Decode one column of n rows into c; false when malformed or out of memory. */
static bool decode_col(wd_rd *r, wd_col *c, const wd_type *t, uint32_t n, wd_arena *a, int depth)
{
    if (depth > 64) return false;
    memset(c, 0, sizeof *c);
    c->type = t;
    c->len = n;
    c->cap = n;
    uint8_t mode = wd_rd_u8(r);
    if (mode == MODE_CONST) {
        if (n == 0 || !(has_fixed_values(t->id) || wd_type_is_stringy(t->id))) return false;
        c->flags = WD_COL_CONST;
        c->cap = 1;
        uint8_t v = wd_rd_u8(r);
        if (v > 1) return false;
        if (!v) {
            c->valid = wd_arena_calloc(a, 1);
            if (!c->valid) return false;
        }
        if (wd_type_is_stringy(t->id)) {
            uint32_t len;
            const void *p = wd_rd_bytes(r, &len);
            wd_str *s = wd_arena_alloc(a, sizeof *s);
            char *d = wd_arena_alloc(a, len ? len : 1);
            if (r->bad || !s || !d) return false;
            if (len) memcpy(d, p, len);
            *s = (wd_str){.ptr = d, .len = len};
            c->data = s;
        } else {
            c->data = take_copy(r, wd_type_width(t->id), a);
        }
        return !r->bad && c->data;
    }
    if (mode != MODE_PLAIN) return false;
    uint8_t nulls = wd_rd_u8(r);
    if (nulls > 1) return false;
    if (t->id == WD_T_NULL) {
        if (nulls) return false;
        c->valid = wd_arena_calloc(a, n ? n : 1);
        return !r->bad && c->valid;
    }
    if (nulls) {
        const uint8_t *bits = wd_rd_take(r, (n + 7) / 8);
        c->valid = bits ? wd_arena_alloc(a, n ? n : 1) : NULL;
        if (!c->valid) return false;
        for (uint32_t i = 0; i < n; i++) c->valid[i] = (bits[i >> 3] >> (i & 7)) & 1;
    }
    switch (t->id) {
    case WD_T_STRUCT:
        c->child = wd_arena_calloc(a, (t->nfields ? t->nfields : 1) * sizeof *c->child);
        if (!c->child) return false;
        for (uint32_t f = 0; f < t->nfields; f++)
            if (!decode_col(r, &c->child[f], t->fields[f].type, n, a, depth + 1)) return false;
        return true;
    case WD_T_LIST: {
        const uint8_t *cnt = wd_rd_take(r, (size_t)n * 4);
        uint32_t *off = cnt ? wd_arena_alloc(a, ((size_t)n + 1) * 4) : NULL;
        if (!off) return false;
        uint64_t total = 0;
        off[0] = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t k;
            memcpy(&k, cnt + 4 * (size_t)i, 4);
            total += k;
            if (total > MAX_ELEMS) return false;
            off[i + 1] = (uint32_t)total;
        }
        c->data = off;
        c->child = wd_arena_alloc(a, sizeof *c->child);
        return c->child && decode_col(r, c->child, t->elem, (uint32_t)total, a, depth + 1);
    }
    default: break;
    }
    if (wd_type_is_stringy(t->id)) {
        const uint8_t *lens = wd_rd_take(r, (size_t)n * 4);
        if (!lens) return false;
        uint64_t total = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t l;
            memcpy(&l, lens + 4 * (size_t)i, 4);
            total += l;
        }
        if (total > (uint64_t)(r->end - r->p)) return false;
        const char *bytes = take_copy(r, (size_t)total, a);
        wd_str *s = bytes ? wd_arena_alloc(a, (n ? n : 1) * sizeof *s) : NULL;
        if (!s) return false;
        size_t at = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t l;
            memcpy(&l, lens + 4 * (size_t)i, 4);
            s[i] = (wd_str){.ptr = bytes + at, .len = l};
            at += l;
        }
        c->data = s;
        return true;
    }
    size_t w = wd_type_width(t->id);
    if ((uint64_t)w * n > (uint64_t)(r->end - r->p)) return false;
    c->data = take_copy(r, w * n, a);
    return c->data != NULL;
}

int wd_batch_wire_decode(const wd_type *schema, const void *p, size_t len, wd_batch **out,
                         wd_error *err)
{
    *out = NULL;
    wd_rd r;
    wd_rd_init(&r, p, len);
    uint32_t n = wd_rd_u32(&r);
    uint8_t has_retract = wd_rd_u8(&r);
    if (r.bad || n > MAX_ROWS || has_retract > 1)
        return wd_err(err, WD_ECORRUPT, "malformed batch frame: bad header");
    wd_batch *b = wd_batch_new_empty(schema);
    if (!b) return wd_err(err, WD_ENOMEM, "out of memory");
    bool ok = true;
    if (has_retract) {
        b->retract = take_copy(&r, n, &b->arena);
        ok = b->retract != NULL;
    }
    for (uint32_t f = 0; ok && f < schema->nfields; f++)
        ok = decode_col(&r, &b->cols[f], schema->fields[f].type, n, &b->arena, 0);
    if (!ok || !wd_rd_done(&r)) {
        wd_batch_release(b);
        return wd_err(err, WD_ECORRUPT, "malformed batch frame (%zu bytes, %u rows)", len, n);
    }
    b->nrows = n;
    *out = b;
    return 0;
}
