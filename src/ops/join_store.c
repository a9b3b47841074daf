/*
 * join_store.c — the join's row store (private to src/ops; join_int.h
 * has the layout of a row and of the records).
 *
 * Rows are encoded a batch at a time, column by column (sizes, then the
 * null bitmaps and times, then each fixed-width column, then the variable
 * part row by row), straight into the side's byte store; they are decoded
 * column by column into output columns.  Equal payloads encode to equal
 * bytes (NULLs as zeros, floats with one zero and one NaN), which is what
 * lets a retraction find its row with memcmp.
 *
 * Records live in chunks of REC_CHUNK (ids are stable, nothing is copied
 * as a side grows), with their auxiliary words in parallel chunks.  Bytes
 * live in chunks doubling from 4 KiB to 1 MiB (a larger row gets a chunk
 * of its own); each chunk counts its rows still stored, and a chunk whose
 * rows are all gone is freed at once — rows released in arrival order (an
 * interval join's) free their memory without copying anything.  When gone
 * rows still hold most of a store, it is rewritten by walking the key
 * lists.  Large chunks are prefaulted in one call (wd_alloc_prefault).
 *
 * Exports (join_int.h): jlayout_*, jrow_*, side_*, rec_alloc, rec_free,
 * bytes_reserve, bytes_drop, store_compact, jgrow.
 */
#include "ops/join_int.h"

#include "common/alloc.h"
#include "common/error.h"

#define BCHUNK_MIN 4096u            /* first byte chunk; later ones double up to */
#define BCHUNK_MAX (1u << 20)       /* this (a larger row gets a chunk of its own) */
#define BYTES_SLACK (1u << 20)      /* a store smaller than this is never rewritten */
#define CHUNKS_SLACK 64u            /* freed chunk entries kept before a rewrite */
#define PREFAULT_MIN (64u << 10)    /* chunks from this size on are prefaulted */

void jgrow(void *pp, uint32_t *cap, uint32_t need, size_t sz)
{
    if (need <= *cap) return;
    uint64_t nc = *cap ? *cap : 64;
    while (nc < need) nc += nc / 2;
    if (nc > UINT32_MAX - 2) nc = UINT32_MAX - 2;
    if (WD_UNLIKELY(nc < need)) wd_panic("join: more than 2^32 entries");
    void **p = pp;
    *p = wd_realloc(*p, (size_t)nc * sz);
    if (WD_UNLIKELY(!*p)) wd_panic("join: out of memory (%zu bytes)", (size_t)nc * sz);
    *cap = (uint32_t)nc;
}

static void *xmalloc(size_t n)
{
    void *p = wd_malloc(n);
    if (WD_UNLIKELY(!p)) wd_panic("join: out of memory (%zu bytes)", n);
    return p;
}

/* ---- layout ---------------------------------------------------------------------- */

static bool is_text(wd_type_id id)
{
    return id == WD_T_TEXT || id == WD_T_BYTES || id == WD_T_JSON;
}

void jlayout_init(jlayout *L, const wd_type *in, uint32_t nkeys, const int32_t *pay_key,
                  int time_col)
{
    memset(L, 0, sizeof *L);
    uint32_t n = in->nfields - nkeys - 1;
    L->ncols = n;
    L->types = xmalloc(sizeof(wd_type *) * (n + 1));
    L->kind = xmalloc(n + 1);
    L->width = xmalloc(n + 1);
    L->fo = xmalloc(sizeof(uint32_t) * (n + 1));
    L->nb = (n + 7) / 8;
    uint32_t off = L->nb + 8;
    L->allfixed = true;
    for (uint32_t c = 0; c < n; c++) {
        const wd_type *t = in->fields[nkeys + c].type;
        L->types[c] = t;
        L->fo[c] = 0;
        L->width[c] = 0;
        if (pay_key && pay_key[c] >= 0) {
            L->kind[c] = JC_KEY;
            L->nkeycols++;
        } else if (is_text(t->id)) {
            L->kind[c] = JC_TEXT;
            L->allfixed = false;
        } else if (t->id == WD_T_STRUCT || t->id == WD_T_LIST) {
            L->kind[c] = JC_GENERIC;
            L->allfixed = false;
        } else {
            L->kind[c] = JC_FIXED;
            L->width[c] = (uint8_t)wd_type_width(t->id);
            L->fo[c] = off;
            off += L->width[c];
        }
    }
    L->fixed = off;
    L->key = L->nkeycols ? pay_key : NULL;
    L->timeoff = L->nb; /* _timestamp */
    if (time_col >= (int)nkeys && (uint32_t)time_col < nkeys + n)
        L->timeoff = L->fo[time_col - (int)nkeys];
}

void jlayout_free(jlayout *L)
{
    wd_free(L->types);
    wd_free(L->kind);
    wd_free(L->width);
    wd_free(L->fo);
    memset(L, 0, sizeof *L);
}

/* ---- encoding -------------------------------------------------------------------- */

static inline uint32_t varint_size(uint32_t v)
{
    return v < (1u << 7) ? 1 : v < (1u << 14) ? 2 : v < (1u << 21) ? 3 : v < (1u << 28) ? 4 : 5;
}

static inline uint8_t *varint_put(uint8_t *p, uint32_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* The varint at p (at most n bytes) into *v; the byte after it, or NULL. */
static inline const uint8_t *varint_get(const uint8_t *p, size_t n, uint32_t *v)
{
    uint32_t r = 0;
    for (uint32_t i = 0; i < 5 && i < n; i++) {
        r |= (uint32_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            if (i == 4 && p[i] > 0x0f) return NULL;       /* more than 32 bits */
            if (i > 0 && p[i] == 0) return NULL;          /* not the shortest form */
            *v = r;
            return p + i + 1;
        }
    }
    return NULL;
}

static inline bool null_bit(const uint8_t *p, uint32_t c) { return (p[c >> 3] >> (c & 7)) & 1; }

uint64_t jrow_sizes(const jlayout *L, const wd_col *cols, const uint32_t *rows, uint32_t n,
                    uint32_t *size)
{
    if (L->allfixed) {
        for (uint32_t k = 0; k < n; k++) size[k] = L->fixed;
        return L->fixed;
    }
    uint64_t max = 0;
    for (uint32_t k = 0; k < n; k++) {
        uint64_t sz = L->fixed;
        for (uint32_t c = 0; c < L->ncols; c++) {
            const wd_col *col = &cols[c];
            if (L->kind[c] == JC_FIXED || L->kind[c] == JC_KEY) continue;
            if (L->kind[c] == JC_GENERIC) {
                sz += wd_value_enc_size(col, rows[k]);
                continue;
            }
            uint32_t r = wd_col_idx(col, rows[k]);
            if (col->valid && !col->valid[r]) continue;
            uint32_t len = ((const wd_str *)col->data)[r].len;
            sz += varint_size(len) + (uint64_t)len;
        }
        size[k] = sz > UINT32_MAX ? UINT32_MAX : (uint32_t)sz;
        if (sz > max) max = sz;
    }
    return max;
}

static inline uint64_t norm_bits(wd_type_id id, uint64_t v)
{
    if (id == WD_T_FLOAT64) {
        double d;
        memcpy(&d, &v, 8);
        if (d == 0.0) d = 0.0;
        if (d != d) d = __builtin_nan("");
        memcpy(&v, &d, 8);
    } else if (id == WD_T_FLOAT32) {
        float f;
        uint32_t u = (uint32_t)v;
        memcpy(&f, &u, 4);
        if (f == 0.0f) f = 0.0f;
        if (f != f) f = __builtin_nanf("");
        memcpy(&u, &f, 4);
        v = u;
    } else if (id == WD_T_BOOL) {
        v = (v & 0xff) ? 1 : 0;
    }
    return v;
}

/* Fixed-width column c of rows[0..n) into dst[k] + fo (and the null bits). */
static void enc_fixed(const jlayout *L, uint32_t c, const wd_col *col, const uint32_t *rows,
                      uint32_t n, uint8_t *const *dst)
{
    const uint32_t w = L->width[c], fo = L->fo[c];
    const bool cst = col->flags & WD_COL_CONST;
    const uint8_t *va = col->valid;
    const uint8_t *data = col->data;
    const wd_type_id id = col->type->id;
    const uint8_t bit = (uint8_t)(1u << (c & 7));
    const uint32_t byte = c >> 3;
    if (w == 0) {
        for (uint32_t k = 0; k < n; k++) dst[k][byte] |= bit; /* the NULL type */
        return;
    }
    if (w == 8 && id != WD_T_FLOAT64) {
        for (uint32_t k = 0; k < n; k++) {
            uint32_t r = cst ? 0 : rows[k];
            uint64_t v;
            memcpy(&v, data + (size_t)r * 8, 8);
            if (va && !va[r]) {
                v = 0;
                dst[k][byte] |= bit;
            }
            memcpy(dst[k] + fo, &v, 8);
        }
        return;
    }
    for (uint32_t k = 0; k < n; k++) {
        uint32_t r = cst ? 0 : rows[k];
        uint8_t *d = dst[k] + fo;
        if (va && !va[r]) {
            memset(d, 0, w);
            dst[k][byte] |= bit;
            continue;
        }
        if (w > 8) {
            memcpy(d, data + (size_t)r * w, w);
            continue;
        }
        uint64_t v = 0;
        memcpy(&v, data + (size_t)r * w, w);
        v = norm_bits(id, v);
        memcpy(d, &v, w);
    }
}

void jrow_encode(const jlayout *L, const wd_col *cols, const int64_t *ts, const uint32_t *rows,
                 uint32_t n, uint8_t *const *dst)
{
    for (uint32_t k = 0; k < n; k++) {
        memset(dst[k], 0, L->nb);
        memcpy(dst[k] + L->nb, &ts[rows[k]], 8);
    }
    for (uint32_t c = 0; c < L->ncols; c++)
        if (L->kind[c] == JC_FIXED) enc_fixed(L, c, &cols[c], rows, n, dst);
    if (L->allfixed) return;
    for (uint32_t k = 0; k < n; k++) {
        uint8_t *p = dst[k] + L->fixed;
        for (uint32_t c = 0; c < L->ncols; c++) {
            const wd_col *col = &cols[c];
            if (L->kind[c] == JC_FIXED || L->kind[c] == JC_KEY) continue;
            if (L->kind[c] == JC_GENERIC) {
                if (!wd_col_valid(col, rows[k])) dst[k][c >> 3] |= (uint8_t)(1u << (c & 7));
                p = wd_value_encode(p, col, rows[k]);
                continue;
            }
            uint32_t r = wd_col_idx(col, rows[k]);
            if (col->valid && !col->valid[r]) {
                dst[k][c >> 3] |= (uint8_t)(1u << (c & 7));
                continue;
            }
            const wd_str *s = (const wd_str *)col->data + r;
            p = varint_put(p, s->len);
            if (s->len) memcpy(p, s->ptr, s->len);
            p += s->len;
        }
    }
}

size_t jrow_len(const jlayout *L, const uint8_t *p)
{
    if (L->allfixed) return L->fixed;
    const uint8_t *q = p + L->fixed;
    for (uint32_t c = 0; c < L->ncols; c++) {
        if (L->kind[c] == JC_FIXED || L->kind[c] == JC_KEY) continue;
        if (L->kind[c] == JC_GENERIC) {
            q += wd_value_check(L->types[c], q, SIZE_MAX / 2);
            continue;
        }
        if (null_bit(p, c)) continue;
        uint32_t len = 0;
        q = varint_get(q, 5, &len);
        q += len;
    }
    return (size_t)(q - p);
}

bool jrow_same(const jlayout *L, const uint8_t *a, size_t alen, const uint8_t *b)
{
    uint32_t f0 = L->nb + 8;
    if (memcmp(a, b, L->nb) != 0 || memcmp(a + f0, b + f0, L->fixed - f0) != 0) return false;
    if (L->allfixed) return true;
    return jrow_len(L, b) == alen && memcmp(a + L->fixed, b + L->fixed, alen - L->fixed) == 0;
}

static bool float_canonical(wd_type_id id, const uint8_t *p)
{
    uint64_t v = 0;
    memcpy(&v, p, id == WD_T_FLOAT64 ? 8 : 4);
    return norm_bits(id, v) == v && (id != WD_T_FLOAT64 || v != 0x8000000000000000ULL) &&
           (id != WD_T_FLOAT32 || v != 0x80000000u);
}

bool jrow_check(const jlayout *L, const uint8_t *p, size_t n)
{
    if (n < L->fixed) return false;
    for (uint32_t c = 0; c < L->nb * 8; c++)
        if ((c >= L->ncols || L->kind[c] == JC_KEY) && null_bit(p, c)) return false;
    for (uint32_t c = 0; c < L->ncols; c++) {
        if (L->kind[c] != JC_FIXED) continue;
        const uint8_t *v = p + L->fo[c];
        uint32_t w = L->width[c];
        wd_type_id id = L->types[c]->id;
        if (w == 0) {
            if (!null_bit(p, c)) return false;
        } else if (null_bit(p, c)) {
            for (uint32_t i = 0; i < w; i++)
                if (v[i]) return false;
        } else if (id == WD_T_BOOL) {
            if (v[0] > 1) return false;
        } else if (id == WD_T_FLOAT32 || id == WD_T_FLOAT64) {
            if (!float_canonical(id, v)) return false;
        }
    }
    const uint8_t *q = p + L->fixed, *end = p + n;
    for (uint32_t c = 0; c < L->ncols; c++) {
        if (L->kind[c] == JC_FIXED || L->kind[c] == JC_KEY) continue;
        if (L->kind[c] == JC_GENERIC) {
            size_t k = wd_value_check(L->types[c], q, (size_t)(end - q));
            if (!k || (q[0] == 0) != null_bit(p, c)) return false;
            q += k;
            continue;
        }
        if (null_bit(p, c)) continue;
        uint32_t len;
        q = varint_get(q, (size_t)(end - q), &len);
        if (!q || len > (size_t)(end - q)) return false;
        q += len;
    }
    return q == end;
}

/* ---- decoding -------------------------------------------------------------------- */

static void dec_null(wd_col *col, uint32_t k, wd_arena *a)
{
    if (!col->valid) wd_col_valid_alloc(col, a);
    col->valid[k] = 0;
}

void jrow_decode(const jlayout *L, const uint8_t *const *rows, uint32_t n, wd_col *out,
                 wd_arena *a)
{
    static const uint8_t null_value = 0; /* wd_value_decode: a NULL, children too */
    for (uint32_t c = 0; c < L->ncols; c++) {
        wd_col *col = &out[c];
        if (L->kind[c] == JC_KEY) continue;
        wd_col_init(col, L->types[c], n, a);
        if (L->kind[c] != JC_FIXED) continue;
        uint32_t w = L->width[c], fo = L->fo[c];
        if (w == 0) continue; /* the NULL type: wd_col_init made it all NULL */
        uint8_t *d = col->data;
        for (uint32_t k = 0; k < n; k++) {
            const uint8_t *p = rows[k];
            if (!p || null_bit(p, c)) {
                memset(d + (size_t)k * w, 0, w);
                dec_null(col, k, a);
            } else {
                memcpy(d + (size_t)k * w, p + fo, w);
            }
        }
    }
    if (!L->allfixed) {
        for (uint32_t k = 0; k < n; k++) {
            const uint8_t *p = rows[k], *q = p ? p + L->fixed : NULL;
            for (uint32_t c = 0; c < L->ncols; c++) {
                wd_col *col = &out[c];
                if (L->kind[c] == JC_FIXED || L->kind[c] == JC_KEY) continue;
                if (L->kind[c] == JC_GENERIC) {
                    if (q) q = wd_value_decode(col, k, q, a);
                    else wd_value_decode(col, k, &null_value, a);
                    continue;
                }
                wd_str *s = (wd_str *)col->data + k;
                if (!p || null_bit(p, c)) {
                    *s = wd_str_make("", 0);
                    dec_null(col, k, a);
                    continue;
                }
                uint32_t len = 0;
                q = varint_get(q, 5, &len);
                *s = wd_str_copy(a, (const char *)q, len);
                q += len;
            }
        }
    }
    for (uint32_t c = 0; c < L->ncols; c++)
        if (L->kind[c] != JC_KEY) out[c].len = n;
}

/* ---- records ----------------------------------------------------------------------- */

void side_init(jside *s, uint32_t naux)
{
    memset(s, 0, sizeof *s);
    s->freel = NONE;
    s->naux = naux;
}

uint32_t rec_alloc(jside *s)
{
    uint32_t id;
    if (s->freel != NONE) {
        id = s->freel;
        s->freel = R(s, id)->next;
    } else {
        if (WD_UNLIKELY(s->nrec >= SLOT_DEAD - 1)) wd_panic("join: more than 2^32 rows on a side");
        if ((s->nrec >> REC_SHIFT) >= s->nrch) {
            uint32_t c0 = s->caprch;
            jgrow(&s->rch, &s->caprch, s->nrch + 1, sizeof(jrec *));
            if (s->naux) jgrow(&s->ach, &c0, s->nrch + 1, sizeof(uint32_t *));
            s->rch[s->nrch] = xmalloc(sizeof(jrec) * REC_CHUNK);
            if (s->naux) s->ach[s->nrch] = xmalloc(sizeof(uint32_t) * s->naux * REC_CHUNK);
            s->nrch++;
        }
        id = s->nrec++;
    }
    jrec *r = R(s, id);
    r->off = 0;
    r->next = NONE;
    r->w = 0;
    if (s->naux) memset(A(s, id), 0, sizeof(uint32_t) * s->naux);
    return id;
}

void rec_free(jside *s, uint32_t id)
{
    jrec *r = R(s, id);
    r->w = SLOT_FREE;
    r->next = s->freel;
    s->freel = id;
}

/* ---- byte stores --------------------------------------------------------------------- */

uint8_t *bytes_reserve(jside *s, uint32_t need, uint64_t *off)
{
    jchunk *c = s->nbch ? &s->bch[s->nbch - 1] : NULL;
    if (WD_UNLIKELY(!c || c->cap - c->used < need)) {
        uint32_t sz = c ? (c->cap < BCHUNK_MAX / 2 ? c->cap * 2 : BCHUNK_MAX) : BCHUNK_MIN;
        if (sz < need) sz = need;
        if (c && c->live == 0 && c->p) { /* the filled chunk's rows are all gone */
            wd_free(c->p);
            c->p = NULL;
            s->bcap -= c->cap;
            s->dead -= c->rows;
            s->livech--;
        }
        jgrow(&s->bch, &s->capbch, s->nbch + 1, sizeof(jchunk));
        c = &s->bch[s->nbch++];
        c->p = xmalloc(sz);
        if (sz >= PREFAULT_MIN) wd_alloc_prefault(c->p, sz);
        c->used = c->rows = c->live = 0;
        c->cap = sz;
        s->bcap += sz;
        s->livech++;
    }
    *off = ((uint64_t)(s->nbch - 1) << 32) | c->used;
    uint8_t *p = c->p + c->used;
    c->used += need;
    c->rows++;
    c->live++;
    return p;
}

void bytes_drop(jside *s, const jrec *r)
{
    uint32_t ci = (uint32_t)(r->off >> 32);
    jchunk *c = &s->bch[ci];
    c->live--;
    s->dead++;
    if (c->live == 0 && ci + 1 < s->nbch) {
        wd_free(c->p);
        c->p = NULL;
        s->bcap -= c->cap;
        s->dead -= c->rows;
        s->livech--;
    }
}

static void chunks_free(jchunk *ch, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) wd_free(ch[i].p);
    wd_free(ch);
}

void store_compact(jtable *t, uint32_t s, const jlayout *L, bool force)
{
    jside *sd = &t->side[s];
    bool mostly_dead = sd->dead >= sd->rows && sd->bcap >= BYTES_SLACK;
    bool sparse = sd->nbch > 2 * sd->livech + CHUNKS_SLACK;
    if (!force && !mostly_dead && !sparse) return;
    jchunk *old = sd->bch;
    uint32_t nold = sd->nbch;
    sd->bch = NULL;
    sd->nbch = sd->capbch = sd->livech = 0;
    sd->bcap = sd->dead = 0;
    for (uint32_t slot = 0; slot < t->nslots; slot++)
        for (uint32_t id = t->head[s][slot]; id != NONE; id = R(sd, id)->next) {
            jrec *r = R(sd, id);
            const uint8_t *src = old[r->off >> 32].p + (uint32_t)r->off;
            size_t len = jrow_len(L, src);
            memcpy(bytes_reserve(sd, (uint32_t)len, &r->off), src, len);
        }
    chunks_free(old, nold);
}

void side_clear(jside *s)
{
    s->nrec = 0;
    s->freel = NONE;
    s->rows = s->dead = 0;
    chunks_free(s->bch, s->nbch);
    s->bch = NULL;
    s->nbch = s->capbch = s->livech = 0;
    s->bcap = 0;
    s->release.head = s->release.n = s->release.h.n = s->hold.n = 0;
}

void side_free(jside *s)
{
    for (uint32_t i = 0; i < s->nrch; i++) {
        wd_free(s->rch[i]);
        if (s->naux) wd_free(s->ach[i]);
    }
    wd_free(s->rch);
    wd_free(s->ach);
    chunks_free(s->bch, s->nbch);
    wd_free(s->release.q);
    wd_free(s->release.h.v);
    wd_free(s->hold.v);
    side_init(s, s->naux);
}

size_t side_bytes(const jside *s)
{
    return (size_t)s->nrch * REC_CHUNK * (sizeof(jrec) + sizeof(uint32_t) * s->naux) +
           (size_t)s->caprch * sizeof(jrec *) * (s->naux ? 2 : 1) + s->bcap +
           (size_t)s->capbch * sizeof(jchunk) +
           ((size_t)s->release.cap + s->release.h.cap + s->hold.cap) * sizeof(jhent);
}
