/*
 * join.c — the join operator (wd_op_join_vt, contract in ops/join.h):
 * equi-joins in three modes (updating, interval, windowed) with an
 * optional residual predicate.
 *
 * State.  A "table" maps each distinct key tuple to a dense slot
 * (wd_groups over the key columns; the planner casts both inputs' keys to
 * common types, so one table serves both sides) and keeps per slot the
 * head of a doubly linked list of stored rows for each side.  A stored
 * row is a 40-byte record (jrec: payload offset and length, _timestamp,
 * a mode-dependent word — match count and TTL stamp when updating, the
 * interval time when interval — list links and key slot) plus its payload
 * columns encoded with wd_value_encode into the side's byte store.  Both
 * live in chunks (records: fixed chunks of 2048, so ids stay valid and
 * nothing is copied as state grows; bytes: chunks doubling up to 1 MiB),
 * so a row costs its encoded size plus 40 bytes and a share of the key
 * table.  Bytes freed by retractions and expiry are garbage until the
 * store is rewritten (when garbage passes half of it and 1 MiB); freed
 * records are reused.  Input batches are never retained.  Updating and
 * interval joins use one table; a windowed join keeps one table per
 * timestamp ("bucket") and frees it when it fires.  Keys whose rows are
 * all gone are dropped from a table by rebuilding it when they outnumber
 * the live ones.
 *
 * Processing an input batch of side S against the other side O:
 *   1. slots of every row (one wd_groups_lookup); S's state is changed in
 *      row order: an insert is encoded and linked, a retraction unlinks
 *      one stored row of the same key with identical encoded payload (its
 *      record is kept until the end of the batch: its time and match count
 *      are still read) or is ignored when there is none;
 *   2. candidate pairs (row, stored O row of the same key) are generated
 *      in chunks, in row order; with a residual a chunk's pairs are built
 *      into one batch of the output layout and filtered in one call;
 *   3. the chunk is applied in row order and output rows are queued; they
 *      are built into batches of up to WD_BATCH_ROWS rows: the S side is
 *      gathered from the input batch (views: the output borrows it), the O
 *      side decoded from the store.
 *
 * Updating semantics.  An insert emits its joined rows; a retraction
 * retracts the joined rows of the stored row it removes (with that row's
 * time, so a retraction repeats exactly what was emitted).  Outer sides
 * count the current matches of each stored row: a row emitted with NULLs
 * has that row retracted just before its first joined row, and is
 * re-emitted just after its last joined row is retracted; a row without a
 * match emits (or, when retracted, retracts) its NULL row.  Rows of a NULL
 * key are not stored: outer sides pass them through with NULLs, inner
 * sides drop them.  Within the output the retraction of a row always comes
 * before the insert that replaces it.  TTL: a row is kept for ttl_ns of
 * processing time after it was inserted or (outer sides) its match count
 * last changed; rows are checked every ttl_ns / 4 on tick, so one goes
 * after ttl_ns … 1.25·ttl_ns, and dropped silently (its partners' counts
 * are left as they are, as if it were still there).
 *
 * Interval semantics.  Pairs are emitted when the second row arrives;
 * bounds are inclusive.  Rows sit in a min-heap per side by the watermark
 * that releases them (left: time + hi, right: time - lo); a row goes when
 * the watermark passes that bound, and every row at the end of input.  A
 * row arriving after its bound has passed still joins the rows in state
 * but is not kept.  Outer sides (append-only, as Flink's): a stored row
 * also waits in a second heap, by _timestamp, until its first match; a row
 * released while still waiting is emitted with NULLs and its own time, as
 * is at once a row of a NULL key or time, or one not kept that matched
 * nothing.  The watermark passed on stays below the oldest waiting row, so
 * these rows are never behind it.
 *
 * Windowed semantics.  Rows are buffered in the bucket of their
 * _timestamp (rows at or before the current watermark are late: dropped
 * and counted); when the watermark reaches a bucket (or at end of input)
 * its rows are joined key by key, outer rows without a match emitted with
 * NULLs, and the bucket is released.
 *
 * Checkpoints.  Every stored row is one keyed record tagged with its key's
 * shuffle hash, so a restore at another parallelism re-splits rows by key;
 * restore rebuilds keys, lists in their old order, heaps and buckets (see
 * the checkpoint section).
 *
 * Exports: wd_op_join_vt, wd_op_join_stats.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "agg/agg.h"
#include "ops/join.h"
#include "ops/ttl.h"
#include "state/snapshot.h"

/* window_agg.c: a group table holding only the given slots. */
wd_groups *wd_op__agg_regroup(const wd_groups *g, const wd_type *const *kt, uint32_t nkeys,
                              const uint32_t *live, uint32_t n, uint32_t *newslot);

#define NONE UINT32_MAX
#define SLOT_FREE UINT32_MAX        /* record on the free list */
#define SLOT_DEAD (UINT32_MAX - 1)  /* unlinked, awaiting release (batch end or heap) */
#define OUT_ROWS WD_BATCH_ROWS      /* rows per output batch */
#define CHUNK 1024u                 /* candidate pairs per residual evaluation */
#define BYTES_SLACK (1u << 20)      /* garbage a byte store may hold before compaction */
#define KEYS_SLACK 4096u            /* dead keys a table may hold beyond its live ones */
#define POOL_MAX 4u                 /* released bucket tables kept for reuse */
#define REC_SHIFT 11u               /* records per record chunk: 2^REC_SHIFT */
#define REC_CHUNK (1u << REC_SHIFT)
#define BCHUNK_MIN 4096u            /* first byte chunk; later ones double up to */
#define BCHUNK_MAX (1u << 20)       /* this (a larger row gets a chunk of its own) */

/* Output row flags. */
#define EF_RETRACT 1u
#define EF_NULL0 2u /* left side NULL */
#define EF_NULL1 4u /* right side NULL */

/* Per-row disposition of an input batch. */
enum { K_SKIP, K_INS, K_RET, K_NULL_INS, K_NULL_RET };

/* ---- state ------------------------------------------------------------------ */

typedef struct jrec {
    uint64_t off;         /* payload encoding in the side's byte store */
    int64_t ts;           /* _timestamp */
    union {
        struct {
            uint32_t nmatch; /* outer sides: current matches */
            uint32_t stamp;  /* TTL: stamp() of the last update, 0 = before the first tick */
        } u;
        int64_t t;           /* INTERVAL: the row's interval time */
    } a;
    uint32_t next, prev;  /* list of the key's rows on this side (NONE ends) */
    uint32_t len;         /* payload bytes */
    uint32_t slot;        /* key slot, or SLOT_FREE / SLOT_DEAD */
} jrec;

/* A chunk of a side's byte store. */
typedef struct jchunk {
    uint8_t *p;
    uint32_t used, cap;
} jchunk;

/* A min-heap of record ids of one side (see the interval section), each
 * with its key beside it: sifting reads no record. */
typedef struct jheap {
    uint32_t *v;
    int64_t *k;
    uint32_t n, cap, kcap;
} jheap;

/* Rows of one side: records in fixed chunks (ids are stable, nothing is
 * copied as they grow), payload bytes in chunks of growing size. */
typedef struct jside {
    jrec **rch;           /* record chunks of REC_CHUNK records */
    uint32_t nrch, caprch;
    uint32_t nrec;        /* records ever handed out (free ones included) */
    uint32_t freel;       /* free records, chained through next */
    uint64_t rows;        /* linked records */
    jchunk *bch;          /* byte chunks; the last one is filled */
    uint32_t nbch, capbch;
    uint64_t blen, bcap, garbage; /* bytes written, held, no longer referenced */
    jheap release;        /* INTERVAL: every stored row, by the bound that releases it */
    jheap hold;           /* INTERVAL, outer side: the rows without a match yet, by _timestamp */
    uint32_t *hpos;       /* INTERVAL, outer side: per record, its place in hold; NONE once
                             the row has matched (its 'matched' flag) */
    uint32_t caphpos;
} jside;

typedef struct jtable {
    wd_groups *g;
    uint32_t *head[2];    /* per slot, per side: first record or NONE */
    uint8_t *nullkey;     /* per slot: the key has a NULL part (windowed) */
    uint32_t cap;         /* slots the arrays hold */
    uint32_t nslots;      /* slots initialised */
    uint32_t live;        /* slots with a row on either side */
    jside side[2];
} jtable;

typedef struct jbucket {
    int64_t ts;
    jtable t;
} jbucket;

/* A queued output row: row[s] is an input row (the side being processed)
 * or a record id (stored side); flags EF_*. */
typedef struct jemit {
    uint32_t row[2];
    int64_t ts;
    uint32_t flags;
} jemit;

/* A candidate pair (i, o), or the end of row i's pairs when o == NONE. */
typedef struct jitem {
    uint32_t i, o;
} jitem;

typedef struct join {
    wd_join_mode mode;
    bool outer[2];
    uint32_t nkeys, npay[2], base[2]; /* base: first output column of a side */
    const wd_type **key_types;
    const wd_type *out_schema;
    int time_col[2];
    int64_t lo, hi;
    bool lo_residual;                /* the residual checks the lower bound */
    wd_eval *ev;                     /* residual, or NULL */
    uint8_t *nullenc;                /* an all-NULL encoded payload */

    jtable t;                        /* UPDATING, INTERVAL */
    jbucket **buckets;               /* WINDOWED: ascending ts */
    uint32_t nbuckets, capbuckets;
    jbucket *pool[POOL_MAX];
    uint32_t npool;

    /* per-batch scratch */
    uint32_t *slots, *eff;
    uint8_t *kind;
    int64_t *rts, *rt;
    uint32_t scap;
    uint32_t *deferred;
    uint32_t ndef, capdef;
    jitem *items;                    /* CHUNK */
    jemit *cand;                     /* CHUNK */
    uint32_t *cidx, *sel;            /* CHUNK */
    uint8_t *pass;                   /* CHUNK */
    jemit *em;
    uint32_t nem, capem;
    uint8_t *enc;
    size_t enccap;
    wd_arena scratch;

    /* TTL (processing time) */
    int64_t ttl, unit, now, t0, last_scan;

    int64_t wm_out;                  /* INTERVAL: the last watermark passed on */

    uint64_t fp;                     /* checkpoints: join_fingerprint */
} join;

static inline int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

static inline int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r)) return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static inline int64_t sat_sub(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_sub_overflow(a, b, &r)) return b < 0 ? INT64_MAX : INT64_MIN;
    return r;
}

/* Grow *p (elements of size sz, capacity *cap) to hold need, by 1.5x. */
static void grow(void *pp, uint32_t *cap, uint32_t need, size_t sz)
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

/* TTL stamp: time since the first tick in units of ttl/16, plus one. */
static uint32_t stamp(const join *j) { return j->ttl ? wd_ttl_stamp(j->t0, j->now, j->unit) : 0; }

/* ---- sides: records and byte stores -------------------------------------------- */

static inline jrec *R(const jside *s, uint32_t id)
{
    return &s->rch[id >> REC_SHIFT][id & (REC_CHUNK - 1)];
}

/* The payload bytes of record r. */
static inline const uint8_t *RB(const jside *s, const jrec *r)
{
    return s->bch[r->off >> 32].p + (uint32_t)r->off;
}

static uint32_t rec_alloc(jside *s)
{
    uint32_t id;
    if (s->freel != NONE) {
        id = s->freel;
        s->freel = R(s, id)->next;
    } else {
        if (WD_UNLIKELY(s->nrec >= SLOT_DEAD - 1)) wd_panic("join: more than 2^32 rows on a side");
        if ((s->nrec >> REC_SHIFT) >= s->nrch) {
            grow(&s->rch, &s->caprch, s->nrch + 1, sizeof(jrec *));
            s->rch[s->nrch] = wd_malloc(sizeof(jrec) * REC_CHUNK);
            if (WD_UNLIKELY(!s->rch[s->nrch])) wd_panic("join: out of memory");
            s->nrch++;
        }
        id = s->nrec++;
    }
    jrec *r = R(s, id);
    memset(r, 0, sizeof *r);
    r->next = r->prev = NONE;
    return id;
}

static void rec_free(jside *s, uint32_t id)
{
    jrec *r = R(s, id);
    r->slot = SLOT_FREE;
    r->next = s->freel;
    s->freel = id;
}

/* Room for need bytes at the end of the byte store; *off gets their place. */
static uint8_t *bytes_reserve(jside *s, uint32_t need, uint64_t *off)
{
    jchunk *c = s->nbch ? &s->bch[s->nbch - 1] : NULL;
    if (!c || c->cap - c->used < need) {
        uint32_t sz = c ? (c->cap < BCHUNK_MAX / 2 ? c->cap * 2 : BCHUNK_MAX) : BCHUNK_MIN;
        if (sz < need) sz = need;
        grow(&s->bch, &s->capbch, s->nbch + 1, sizeof(jchunk));
        c = &s->bch[s->nbch++];
        c->p = wd_malloc(sz);
        if (WD_UNLIKELY(!c->p)) wd_panic("join: out of memory (%u bytes)", sz);
        c->used = 0;
        c->cap = sz;
        s->bcap += sz;
    }
    *off = ((uint64_t)(s->nbch - 1) << 32) | c->used;
    uint8_t *p = c->p + c->used;
    c->used += need;
    s->blen += need;
    return p;
}

static void bytes_free(jchunk *ch, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) wd_free(ch[i].p);
    wd_free(ch);
}

/* Encode payload columns cols[0..np) of row into the store as record id's bytes. */
static int store_bytes(jside *s, uint32_t id, const wd_col *cols, uint32_t np, uint32_t row,
                       wd_error *err)
{
    size_t need = 0;
    for (uint32_t c = 0; c < np; c++) need += wd_value_enc_size(&cols[c], row);
    if (WD_UNLIKELY(need > UINT32_MAX / 2))
        return wd_err(err, WD_EDATA, "join: a row of %zu bytes is too large to keep", need);
    jrec *r = R(s, id);
    uint8_t *w = bytes_reserve(s, (uint32_t)need, &r->off);
    for (uint32_t c = 0; c < np; c++) w = wd_value_encode(w, &cols[c], row);
    r->len = (uint32_t)need;
    return 0;
}

/* Rewrite the byte store without garbage when it is mostly garbage. */
static void store_compact(jside *s, bool force)
{
    if (!force && (s->garbage < BYTES_SLACK || s->garbage * 2 < s->blen)) return;
    jchunk *old = s->bch;
    uint32_t nold = s->nbch;
    s->bch = NULL;
    s->nbch = s->capbch = 0;
    s->blen = s->bcap = s->garbage = 0;
    for (uint32_t id = 0; id < s->nrec; id++) {
        jrec *r = R(s, id);
        if (r->slot >= SLOT_DEAD) continue;
        const uint8_t *src = old[r->off >> 32].p + (uint32_t)r->off;
        uint8_t *d = bytes_reserve(s, r->len, &r->off);
        memcpy(d, src, r->len);
    }
    bytes_free(old, nold);
}

static void side_init(jside *s)
{
    memset(s, 0, sizeof *s);
    s->freel = NONE;
}

/* Forget every row; record chunks are kept for reuse. */
static void side_clear(jside *s)
{
    s->nrec = 0;
    s->freel = NONE;
    s->rows = 0;
    bytes_free(s->bch, s->nbch);
    s->bch = NULL;
    s->nbch = s->capbch = 0;
    s->blen = s->bcap = s->garbage = 0;
    s->release.n = s->hold.n = 0;
}

static void side_free(jside *s)
{
    for (uint32_t i = 0; i < s->nrch; i++) wd_free(s->rch[i]);
    wd_free(s->rch);
    bytes_free(s->bch, s->nbch);
    wd_free(s->release.v);
    wd_free(s->release.k);
    wd_free(s->hold.v);
    wd_free(s->hold.k);
    wd_free(s->hpos);
    side_init(s);
}

static size_t side_bytes(const jside *s)
{
    return (size_t)s->nrch * REC_CHUNK * sizeof(jrec) + (size_t)s->caprch * sizeof(jrec *) +
           s->bcap + (size_t)s->capbch * sizeof(jchunk) +
           ((size_t)s->release.cap + s->hold.cap + s->caphpos) * sizeof(uint32_t) +
           ((size_t)s->release.kcap + s->hold.kcap) * sizeof(int64_t);
}

/* ---- tables ---------------------------------------------------------------------- */

static void table_init(jtable *t, const wd_type *const *kt, uint32_t nkeys)
{
    memset(t, 0, sizeof *t);
    t->g = wd_groups_new(kt, nkeys);
    side_init(&t->side[0]);
    side_init(&t->side[1]);
}

static void table_free(jtable *t)
{
    wd_groups_free(t->g);
    wd_free(t->head[0]);
    wd_free(t->head[1]);
    wd_free(t->nullkey);
    side_free(&t->side[0]);
    side_free(&t->side[1]);
    memset(t, 0, sizeof *t);
}

/* Forget every key and row, keeping the memory. */
static void table_clear(jtable *t)
{
    wd_groups_clear(t->g);
    t->nslots = 0;
    t->live = 0;
    side_clear(&t->side[0]);
    side_clear(&t->side[1]);
}

/* Per-slot arrays for the table's slot count. */
static void table_sync(jtable *t)
{
    uint32_t n = wd_groups_count(t->g);
    if (n <= t->nslots) return;
    if (n > t->cap) {
        uint32_t c0 = t->cap, c1 = t->cap, c2 = t->cap;
        grow(&t->head[0], &c0, n, sizeof(uint32_t));
        grow(&t->head[1], &c1, n, sizeof(uint32_t));
        grow(&t->nullkey, &c2, n, 1);
        t->cap = c0;
    }
    for (uint32_t i = t->nslots; i < n; i++) {
        t->head[0][i] = t->head[1][i] = NONE;
        t->nullkey[i] = 0;
    }
    t->nslots = n;
}

static void link_rec(jtable *t, uint32_t s, uint32_t id, uint32_t slot)
{
    jside *sd = &t->side[s];
    jrec *r = R(sd, id);
    if (t->head[0][slot] == NONE && t->head[1][slot] == NONE) t->live++;
    r->slot = slot;
    r->prev = NONE;
    r->next = t->head[s][slot];
    if (r->next != NONE) R(sd, r->next)->prev = id;
    t->head[s][slot] = id;
    sd->rows++;
}

/* Unlink record id from its key's list; it becomes SLOT_DEAD, its bytes garbage. */
static void unlink_rec(jtable *t, uint32_t s, uint32_t id)
{
    jside *sd = &t->side[s];
    jrec *r = R(sd, id);
    uint32_t slot = r->slot;
    if (r->prev != NONE) R(sd, r->prev)->next = r->next;
    else t->head[s][slot] = r->next;
    if (r->next != NONE) R(sd, r->next)->prev = r->prev;
    if (t->head[0][slot] == NONE && t->head[1][slot] == NONE) t->live--;
    r->slot = SLOT_DEAD;
    r->next = r->prev = NONE;
    sd->garbage += r->len;
    sd->rows--;
}

/* Rebuild the group table without keys that have no rows left. */
static void table_compact(jtable *t, const wd_type *const *kt, uint32_t nkeys)
{
    uint32_t n = t->nslots;
    if (n <= (uint64_t)t->live * 2 + KEYS_SLACK) return;
    uint32_t *live = wd_malloc(sizeof(uint32_t) * (t->live + 1));
    uint32_t *newslot = wd_malloc(sizeof(uint32_t) * (t->live + 1));
    uint32_t *remap = wd_malloc(sizeof(uint32_t) * n);
    uint32_t nl = 0;
    for (uint32_t i = 0; i < n; i++)
        if (t->head[0][i] != NONE || t->head[1][i] != NONE) live[nl++] = i;
    wd_groups *ng = wd_op__agg_regroup(t->g, kt, nkeys, live, nl, newslot);
    uint32_t cap = nl + nl / 2 + 64;
    uint32_t *h0 = wd_malloc(sizeof(uint32_t) * cap), *h1 = wd_malloc(sizeof(uint32_t) * cap);
    uint8_t *nk = wd_malloc(cap);
    for (uint32_t i = 0; i < nl; i++) {
        remap[live[i]] = newslot[i];
        h0[newslot[i]] = t->head[0][live[i]];
        h1[newslot[i]] = t->head[1][live[i]];
        nk[newslot[i]] = t->nullkey[live[i]];
    }
    for (uint32_t s = 0; s < 2; s++) {
        jside *sd = &t->side[s];
        for (uint32_t id = 0; id < sd->nrec; id++)
            if (R(sd, id)->slot < SLOT_DEAD) R(sd, id)->slot = remap[R(sd, id)->slot];
    }
    wd_groups_free(t->g);
    wd_free(t->head[0]);
    wd_free(t->head[1]);
    wd_free(t->nullkey);
    t->g = ng;
    t->head[0] = h0;
    t->head[1] = h1;
    t->nullkey = nk;
    t->cap = cap;
    t->nslots = nl;
    wd_free(live);
    wd_free(newslot);
    wd_free(remap);
}

static size_t table_bytes(const jtable *t)
{
    return wd_groups_bytes(t->g) + (size_t)t->cap * (2 * sizeof(uint32_t) + 1) +
           side_bytes(&t->side[0]) + side_bytes(&t->side[1]);
}

/* ---- interval heaps ---------------------------------------------------------------- */

/*
 * Two min-heaps of record ids per side.  The release heap holds every
 * stored row by the watermark bound past which it goes.  The hold heap
 * (outer sides only) holds the stored rows that have not matched yet, by
 * _timestamp: such a row may still be emitted with NULLs, so the
 * watermark passed on stays below the oldest of them.  A row leaves the
 * hold heap when it first matches, so hold rows keep their place in hpos.
 */

/* The watermark bound past which record id of side s is released. */
static inline int64_t rel_bound(const join *j, const jside *sd, uint32_t s, uint32_t id)
{
    int64_t t = R(sd, id)->a.t;
    return s == 0 ? sat_add(t, j->hi) : sat_sub(t, j->lo);
}

static inline int64_t heap_key(const join *j, const jside *sd, uint32_t s, const jheap *h,
                               uint32_t id)
{
    return h == &sd->hold ? R(sd, id)->ts : rel_bound(j, sd, s, id);
}

/* Put record id, of key k, at position i of h. */
static inline void heap_set(jside *sd, jheap *h, uint32_t i, uint32_t id, int64_t k)
{
    h->v[i] = id;
    h->k[i] = k;
    if (h == &sd->hold) sd->hpos[id] = i;
}

/* Record id of key k at position i of h, moved up to its place. */
static void heap_sift_up(jside *sd, jheap *h, uint32_t i, uint32_t id, int64_t k)
{
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (h->k[p] <= k) break;
        heap_set(sd, h, i, h->v[p], h->k[p]);
        i = p;
    }
    heap_set(sd, h, i, id, k);
}

/* Record id of key k at position i of h, moved down to its place. */
static void heap_sift_down(jside *sd, jheap *h, uint32_t i, uint32_t id, int64_t k)
{
    uint32_t n = h->n;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && h->k[c + 1] < h->k[c]) c++;
        if (h->k[c] >= k) break;
        heap_set(sd, h, i, h->v[c], h->k[c]);
        i = c;
    }
    heap_set(sd, h, i, id, k);
}

/* Add id at the end of h, unordered (heap_push orders it, heap_build all). */
static uint32_t heap_append(const join *j, jside *sd, uint32_t s, jheap *h, uint32_t id)
{
    grow(&h->v, &h->cap, h->n + 1, sizeof(uint32_t));
    grow(&h->k, &h->kcap, h->n + 1, sizeof(int64_t));
    heap_set(sd, h, h->n, id, heap_key(j, sd, s, h, id));
    return h->n++;
}

static void heap_push(const join *j, jside *sd, uint32_t s, jheap *h, uint32_t id)
{
    uint32_t i = heap_append(j, sd, s, h, id);
    heap_sift_up(sd, h, i, id, h->k[i]);
}

/* Take the entry at position i out of h. */
static uint32_t heap_remove(jside *sd, jheap *h, uint32_t i)
{
    uint32_t id = h->v[i], last = h->v[--h->n];
    int64_t lk = h->k[h->n];
    if (h == &sd->hold) sd->hpos[id] = NONE;
    if (i < h->n) {
        heap_sift_down(sd, h, i, last, lk);
        if (h->v[i] == last) heap_sift_up(sd, h, i, last, lk);
    }
    return id;
}

/* Order a heap whose entries were appended unordered (restore): O(n). */
static void heap_build(jside *sd, jheap *h)
{
    for (uint32_t i = h->n / 2; i-- > 0;) heap_sift_down(sd, h, i, h->v[i], h->k[i]);
}

/* Stored row id of outer side s: unmatched rows wait in the hold heap. */
static void hold_track(const join *j, jside *sd, uint32_t s, uint32_t id, bool matched)
{
    grow(&sd->hpos, &sd->caphpos, id + 1, sizeof(uint32_t));
    sd->hpos[id] = NONE;
    if (!matched) heap_push(j, sd, s, &sd->hold, id);
}

/* Row id of outer side s has matched (or is gone): it holds nothing back. */
static inline void hold_drop(const join *j, jside *sd, uint32_t s, uint32_t id)
{
    if (sd->hpos[id] != NONE) heap_remove(sd, &sd->hold, sd->hpos[id]);
}

/* ---- building output rows ---------------------------------------------------------- */

/* Null row r of c, and of a struct's children (their values were gathered). */
static void null_deep(wd_col *c, uint32_t r, wd_arena *a)
{
    wd_col_set_null(c, r, a);
    if (c->type->id == WD_T_STRUCT)
        for (uint32_t f = 0; f < c->type->nfields; f++) null_deep(&c->child[f], r, a);
}

/*
 * Rows e[0..n) in the output layout.  Side in_side (0, 1, or -1 for none)
 * comes from input batch `in` (e.row = input row), gathered; the other
 * side(s) are decoded from the stores of table t (e.row = record id).
 * retract: fill retract flags.  NULL only under the allocation injector.
 */
static wd_batch *build_rows(const join *j, const jemit *e, uint32_t n, wd_batch *in, int in_side,
                            const jtable *t, bool retract)
{
    wd_batch *out = wd_batch_new_empty(j->out_schema);
    if (!out) return NULL;
    wd_arena *a = &out->arena;
    for (uint32_t s = 0; s < 2; s++) {
        uint32_t base = j->base[s], np = j->npay[s];
        uint32_t nf = s ? EF_NULL1 : EF_NULL0;
        if (np == 0) continue;
        if ((int)s == in_side) {
            uint32_t *idx = wd_arena_alloc(a, sizeof(uint32_t) * (n ? n : 1));
            for (uint32_t k = 0; k < n; k++) idx[k] = e[k].row[s];
            wd_batch_borrow(out, in);
            for (uint32_t c = 0; c < np; c++) {
                const wd_col *src = &in->cols[j->nkeys + c];
                wd_col *dst = &out->cols[base + c];
                if (src->flags & WD_COL_CONST) wd_col_expand_const(dst, src, n, a);
                else wd_col_gather(dst, src, idx, n, a);
                for (uint32_t k = 0; k < n; k++)
                    if (e[k].flags & nf) null_deep(dst, k, a);
            }
        } else {
            for (uint32_t c = 0; c < np; c++)
                wd_col_init(&out->cols[base + c], out->schema->fields[base + c].type, n, a);
            const jside *sd = &t->side[s];
            for (uint32_t k = 0; k < n; k++) {
                const uint8_t *p =
                    (e[k].flags & nf) ? j->nullenc : RB(sd, R(sd, e[k].row[s]));
                for (uint32_t c = 0; c < np; c++)
                    p = wd_value_decode(&out->cols[base + c], k, p, a);
            }
        }
    }
    uint32_t tsc = wd_schema_ts_index(out->schema);
    wd_col_init(&out->cols[tsc], WD_TYPE_TIMESTAMP, n, a);
    int64_t *ts = out->cols[tsc].data;
    for (uint32_t k = 0; k < n; k++) ts[k] = e[k].ts;
    if (retract) {
        out->retract = wd_arena_alloc(a, n ? n : 1);
        for (uint32_t k = 0; k < n; k++) out->retract[k] = (e[k].flags & EF_RETRACT) ? 1 : 0;
    }
    out->nrows = n;
    wd_batch_seal(out);
    return out;
}

static inline void em_push(join *j, uint32_t r0, uint32_t r1, int64_t ts, uint32_t flags)
{
    if (j->nem == j->capem) grow(&j->em, &j->capem, j->nem + 1, sizeof(jemit));
    jemit *e = &j->em[j->nem++];
    e->row[0] = r0;
    e->row[1] = r1;
    e->ts = ts;
    e->flags = flags;
}

/* Queue an output row with side S's row srow and side 1-S's row orow. */
static inline void em_side(join *j, uint32_t S, uint32_t srow, uint32_t orow, int64_t ts,
                           uint32_t flags)
{
    if (S == 0) em_push(j, srow, orow, ts, flags);
    else em_push(j, orow, srow, ts, flags);
}

static inline uint32_t null_flag(uint32_t s) { return s ? EF_NULL1 : EF_NULL0; }

/* Emit queued rows in batches of OUT_ROWS (all of them when `all`). */
static int flush_em(wd_op *op, join *j, wd_batch *in, int in_side, const jtable *t, bool all,
                    wd_error *err)
{
    uint32_t off = 0;
    int rc = 0;
    while (j->nem - off >= (all ? 1u : OUT_ROWS)) {
        uint32_t m = j->nem - off < OUT_ROWS ? j->nem - off : OUT_ROWS;
        bool anyret = false;
        for (uint32_t k = 0; k < m && !anyret; k++) anyret = j->em[off + k].flags & EF_RETRACT;
        wd_batch *b = build_rows(j, j->em + off, m, in, in_side, t, anyret);
        if (!b) {
            rc = wd_err(err, WD_ENOMEM, "join: out of memory");
            break;
        }
        rc = wd_op_emit(op, b, err);
        wd_batch_release(b);
        off += m;
        if (rc < 0) break;
    }
    if (rc < 0) {
        j->nem = 0;
        return rc;
    }
    if (off && j->nem > off) memmove(j->em, j->em + off, sizeof(jemit) * (j->nem - off));
    j->nem -= off;
    return 0;
}

/*
 * Evaluate the residual over candidates cand[0..np) (pairs built like
 * output rows); pass[cidx[k]] = 1 for those that satisfy it.
 */
static int residual(join *j, uint32_t np, wd_batch *in, int in_side, const jtable *t,
                    wd_error *err)
{
    if (np == 0) return 0;
    wd_batch *b = build_rows(j, j->cand, np, in, in_side, t, false);
    if (!b) return wd_err(err, WD_ENOMEM, "join: out of memory");
    wd_arena_reset(&j->scratch);
    int cnt = wd_eval_filter(j->ev, 0, b, &j->scratch, j->sel, err);
    wd_batch_release(b);
    if (cnt < 0) return cnt;
    for (int k = 0; k < cnt; k++) j->pass[j->cidx[j->sel[k]]] = 1;
    return 0;
}

/* ---- updating and interval joins ----------------------------------------------------- */

static void scratch_reserve(join *j, uint32_t n)
{
    if (n <= j->scap) return;
    uint32_t c = j->scap, c1 = j->scap, c2 = j->scap, c3 = j->scap, c4 = j->scap;
    grow(&j->slots, &c, n, sizeof(uint32_t));
    grow(&j->eff, &c1, n, sizeof(uint32_t));
    grow(&j->kind, &c2, n, 1);
    grow(&j->rts, &c3, n, sizeof(int64_t));
    grow(&j->rt, &c4, n, sizeof(int64_t));
    j->scap = c;
}

static bool key_null(const join *j, const wd_batch *in, uint32_t i)
{
    for (uint32_t k = 0; k < j->nkeys; k++)
        if (!wd_col_valid(&in->cols[k], i)) return true;
    return false;
}

/* Encode row i's payload of side s into j->enc; returns its length. */
static size_t enc_row(join *j, const wd_batch *in, uint32_t np, uint32_t i)
{
    const wd_col *cols = in->cols + j->nkeys;
    size_t need = 0;
    for (uint32_t c = 0; c < np; c++) need += wd_value_enc_size(&cols[c], i);
    if (need > j->enccap) {
        j->enccap = need + need / 2 + 64;
        wd_free(j->enc);
        j->enc = wd_malloc(j->enccap);
        if (WD_UNLIKELY(!j->enc)) wd_panic("join: out of memory");
    }
    uint8_t *w = j->enc;
    for (uint32_t c = 0; c < np; c++) w = wd_value_encode(w, &cols[c], i);
    return need;
}

/* A stored row of side s and key slot whose payload encodes to enc[0..len), or NONE. */
static uint32_t find_same(const join *j, const jtable *t, uint32_t s, uint32_t slot, size_t len)
{
    const jside *sd = &t->side[s];
    for (uint32_t id = t->head[s][slot]; id != NONE; id = R(sd, id)->next)
        if (R(sd, id)->len == len && memcmp(RB(sd, R(sd, id)), j->enc, len) == 0)
            return id;
    return NONE;
}

/* Step 1 for updating / interval joins: change side S's state row by row. */
static int ui_state(wd_op *op, join *j, uint32_t S, const wd_batch *in, wd_error *err)
{
    jtable *t = &j->t;
    jside *ss = &t->side[S];
    uint32_t n = in->nrows;
    const int64_t *ts = wd_batch_ts(in);
    const wd_col *tc = j->mode == WD_JM_INTERVAL ? &in->cols[j->time_col[S]] : NULL;
    int64_t wm = op->watermark;
    uint32_t st = stamp(j);
    for (uint32_t i = 0; i < n; i++) {
        bool ret = in->retract && in->retract[i];
        j->eff[i] = NONE;
        j->rts[i] = ts[i];
        if (key_null(j, in, i) || (tc && !wd_col_valid(tc, i))) {
            j->kind[i] = j->outer[S] ? (ret ? K_NULL_RET : K_NULL_INS) : K_SKIP;
            continue;
        }
        j->rt[i] = tc ? WD_COL_GET(tc, int64_t, i) : 0;
        uint32_t slot = j->slots[i];
        if (ret) {
            size_t len = enc_row(j, in, j->npay[S], i);
            uint32_t id = find_same(j, t, S, slot, len);
            if (id == NONE) {
                j->kind[i] = K_SKIP; /* never stored, or expired */
                continue;
            }
            unlink_rec(t, S, id);
            if (tc && j->outer[S]) hold_drop(j, ss, S, id);
            grow(&j->deferred, &j->capdef, j->ndef + 1, sizeof(uint32_t));
            j->deferred[j->ndef++] = id;
            j->kind[i] = K_RET;
            j->eff[i] = id;
            j->rts[i] = R(ss, id)->ts;
            if (tc) j->rt[i] = R(ss, id)->a.t;
            continue;
        }
        j->kind[i] = K_INS;
        if (tc) {
            int64_t bound = S == 0 ? sat_add(j->rt[i], j->hi) : sat_sub(j->rt[i], j->lo);
            if (wm != INT64_MIN && wm > bound) continue; /* joins, but is not kept */
        }
        uint32_t id = rec_alloc(ss);
        int rc = store_bytes(ss, id, in->cols + j->nkeys, j->npay[S], i, err);
        if (rc < 0) {
            rec_free(ss, id);
            return rc;
        }
        jrec *r = R(ss, id);
        r->ts = ts[i];
        if (tc) r->a.t = j->rt[i];
        else r->a.u.stamp = st;
        link_rec(t, S, id, slot);
        if (tc) {
            heap_push(j, ss, S, &ss->release, id);
            if (j->outer[S]) hold_track(j, ss, S, id, false);
        }
        j->eff[i] = id;
    }
    return 0;
}

/* Does the pair (row of side S at time st, stored row of the other side at
 * time ot) satisfy the interval bounds? */
static inline bool in_bounds(const join *j, uint32_t S, int64_t st, int64_t ot)
{
    wd_i128 d = S == 0 ? (wd_i128)ot - st : (wd_i128)st - ot; /* right time - left time */
    return (j->lo_residual || d >= j->lo) && d <= j->hi;
}

/* Steps 2 and 3 for updating / interval joins. */
static int ui_pairs(wd_op *op, join *j, uint32_t S, wd_batch *in, wd_error *err)
{
    jtable *t = &j->t;
    uint32_t O = 1 - S;
    jside *os = &t->side[O], *ss = &t->side[S];
    const bool interval = j->mode == WD_JM_INTERVAL;
    const uint32_t n = in->nrows;
    const uint32_t stn = stamp(j);
    uint32_t ci = 0, co = NONE, cnt = 0;
    bool started = false;
    int rc;
    while (ci < n) {
        /* a chunk of candidate pairs and row ends, in row order */
        uint32_t ni = 0;
        while (ci < n && ni < CHUNK) {
            uint8_t k = j->kind[ci];
            if (k == K_SKIP) {
                ci++;
                continue;
            }
            if (k == K_INS || k == K_RET) {
                if (!started) {
                    co = t->head[O][j->slots[ci]];
                    started = true;
                }
                while (co != NONE && ni < CHUNK) {
                    const jrec *r = R(os, co);
                    if (!interval || in_bounds(j, S, j->rt[ci], r->a.t))
                        j->items[ni++] = (jitem){ci, co};
                    co = r->next;
                }
                if (co != NONE || ni == CHUNK) break;
            }
            j->items[ni++] = (jitem){ci, NONE};
            ci++;
            started = false;
        }
        /* the residual over the chunk's pairs, in one evaluation */
        if (j->ev) {
            uint32_t np = 0;
            for (uint32_t q = 0; q < ni; q++) {
                j->pass[q] = 0;
                if (j->items[q].o == NONE) continue;
                uint32_t i = j->items[q].i, o = j->items[q].o;
                jemit *c = &j->cand[np];
                c->row[S] = i;
                c->row[O] = o;
                c->ts = max64(j->rts[i], R(os, o)->ts);
                c->flags = 0;
                j->cidx[np++] = q;
            }
            rc = residual(j, np, in, (int)S, t, err);
            if (rc < 0) return rc;
        }
        /* apply in row order */
        for (uint32_t q = 0; q < ni; q++) {
            uint32_t i = j->items[q].i, o = j->items[q].o;
            uint8_t k = j->kind[i];
            if (o != NONE) {
                if (j->ev && !j->pass[q]) continue;
                jrec *orr = R(os, o);
                int64_t tt = max64(j->rts[i], orr->ts);
                if (k == K_INS) {
                    if (interval) {
                        if (j->outer[O]) hold_drop(j, os, O, o);
                    } else if (j->outer[O]) {
                        if (orr->a.u.nmatch == 0)
                            em_side(j, S, i, o, orr->ts, EF_RETRACT | null_flag(S));
                        if (orr->a.u.nmatch < UINT32_MAX) orr->a.u.nmatch++;
                        orr->a.u.stamp = stn;
                    }
                    em_side(j, S, i, o, tt, 0);
                    cnt++;
                } else {
                    em_side(j, S, i, o, tt, EF_RETRACT);
                    if (!interval && j->outer[O] && orr->a.u.nmatch > 0) {
                        if (--orr->a.u.nmatch == 0) em_side(j, S, i, o, orr->ts, null_flag(S));
                        orr->a.u.stamp = stn;
                    }
                }
            } else {
                uint32_t e = j->eff[i];
                switch (k) {
                case K_INS:
                    if (!j->outer[S]) break;
                    if (!interval) {
                        if (e != NONE) R(ss, e)->a.u.nmatch = cnt;
                        if (cnt == 0) em_side(j, S, i, 0, j->rts[i], null_flag(O));
                    } else if (e != NONE) {
                        if (cnt) hold_drop(j, ss, S, e);
                    } else if (cnt == 0) {
                        /* not kept (its interval has closed) and unmatched */
                        em_side(j, S, i, 0, j->rts[i], null_flag(O));
                    }
                    break;
                case K_RET:
                    if (!interval && j->outer[S] && R(ss, e)->a.u.nmatch == 0)
                        em_side(j, S, i, 0, j->rts[i], EF_RETRACT | null_flag(O));
                    break;
                case K_NULL_INS: em_side(j, S, i, 0, j->rts[i], null_flag(O)); break;
                case K_NULL_RET: em_side(j, S, i, 0, j->rts[i], EF_RETRACT | null_flag(O)); break;
                default: break;
                }
                cnt = 0;
            }
        }
        if (j->nem >= OUT_ROWS) {
            rc = flush_em(op, j, in, (int)S, t, false, err);
            if (rc < 0) return rc;
        }
    }
    return flush_em(op, j, in, (int)S, t, true, err);
}

static int ui_batch(wd_op *op, join *j, uint32_t S, wd_batch *in, wd_error *err)
{
    uint32_t n = in->nrows;
    scratch_reserve(j, n);
    uint32_t nnew = 0;
    wd_groups_lookup(j->t.g, in->cols, n, NULL, j->slots, &nnew);
    table_sync(&j->t);
    j->ndef = 0;
    int rc = ui_state(op, j, S, in, err);
    if (rc == 0) rc = ui_pairs(op, j, S, in, err);
    /* retracted records were kept for their time and count; interval
     * records are released by the heap */
    if (j->mode != WD_JM_INTERVAL)
        for (uint32_t d = 0; d < j->ndef; d++) rec_free(&j->t.side[S], j->deferred[d]);
    j->ndef = 0;
    store_compact(&j->t.side[S], false);
    table_compact(&j->t, j->key_types, j->nkeys);
    return rc;
}

/*
 * INTERVAL: release the rows whose bound the watermark wm has passed
 * (every row when wm is INT64_MAX: the end of input).  A released row of
 * an outer side that never matched is emitted with NULLs for the other
 * side, with its own _timestamp.
 */
static int interval_release(wd_op *op, join *j, int64_t wm, wd_error *err)
{
    jtable *t = &j->t;
    int rc = 0;
    for (uint32_t s = 0; s < 2; s++) {
        jside *sd = &t->side[s];
        j->ndef = 0;
        while (sd->release.n &&
               (wm == INT64_MAX || wm > sd->release.k[0])) {
            uint32_t id = heap_remove(sd, &sd->release, 0);
            grow(&j->deferred, &j->capdef, j->ndef + 1, sizeof(uint32_t));
            j->deferred[j->ndef++] = id;
            if (!j->outer[s] || R(sd, id)->slot >= SLOT_DEAD || sd->hpos[id] == NONE) continue;
            hold_drop(j, sd, s, id);
            em_side(j, s, id, 0, R(sd, id)->ts, null_flag(1 - s));
            if (rc == 0 && j->nem >= OUT_ROWS) rc = flush_em(op, j, NULL, -1, t, false, err);
        }
        if (rc == 0) rc = flush_em(op, j, NULL, -1, t, true, err);
        for (uint32_t d = 0; d < j->ndef; d++) {
            uint32_t id = j->deferred[d];
            if (R(sd, id)->slot < SLOT_DEAD) unlink_rec(t, s, id);
            rec_free(sd, id);
        }
        j->ndef = 0;
        j->nem = 0;
        store_compact(sd, false);
    }
    table_compact(&j->t, j->key_types, j->nkeys);
    return rc;
}

/* INTERVAL: the watermark to pass on after wm: held below the _timestamp
 * of every outer row that may still be emitted with NULLs. */
static int64_t interval_out_watermark(const join *j, int64_t wm)
{
    for (uint32_t s = 0; s < 2; s++) {
        const jside *sd = &j->t.side[s];
        if (j->outer[s] && sd->hold.n) {
            int64_t held = sat_sub(sd->hold.k[0], 1);
            if (held < wm) wm = held;
        }
    }
    return wm;
}

/* TTL: drop rows not updated for ttl (no output). */
static void ttl_expire(join *j)
{
    uint32_t now = stamp(j);
    for (uint32_t s = 0; s < 2; s++) {
        jside *sd = &j->t.side[s];
        for (uint32_t id = 0; id < sd->nrec; id++) {
            jrec *r = R(sd, id);
            if (r->slot >= SLOT_DEAD) continue;
            if (r->a.u.stamp == 0) { /* stored before the first tick */
                r->a.u.stamp = now;
                continue;
            }
            if ((int64_t)(now - r->a.u.stamp) * j->unit < j->ttl) continue;
            unlink_rec(&j->t, s, id);
            rec_free(sd, id);
        }
        store_compact(sd, false);
    }
    table_compact(&j->t, j->key_types, j->nkeys);
}

/* ---- windowed joins ---------------------------------------------------------------- */

static jbucket *bucket_get(join *j, int64_t ts)
{
    uint32_t lo = 0, hi = j->nbuckets;
    while (lo < hi) {
        uint32_t m = (lo + hi) / 2;
        if (j->buckets[m]->ts < ts) lo = m + 1;
        else hi = m;
    }
    if (lo < j->nbuckets && j->buckets[lo]->ts == ts) return j->buckets[lo];
    jbucket *b;
    if (j->npool) {
        b = j->pool[--j->npool];
    } else {
        b = wd_malloc(sizeof *b);
        if (WD_UNLIKELY(!b)) wd_panic("join: out of memory");
        table_init(&b->t, j->key_types, j->nkeys);
    }
    b->ts = ts;
    grow(&j->buckets, &j->capbuckets, j->nbuckets + 1, sizeof(jbucket *));
    memmove(j->buckets + lo + 1, j->buckets + lo, sizeof(jbucket *) * (j->nbuckets - lo));
    j->buckets[lo] = b;
    j->nbuckets++;
    return b;
}

static void bucket_release(join *j, jbucket *b)
{
    if (j->npool < POOL_MAX) {
        table_clear(&b->t);
        j->pool[j->npool++] = b;
        return;
    }
    table_free(&b->t);
    wd_free(b);
}

/* Buffer rows of one timestamp (all of b) in bucket bk. */
static int win_store(join *j, jbucket *bk, uint32_t S, const wd_batch *b, wd_error *err)
{
    jtable *t = &bk->t;
    jside *ss = &t->side[S];
    uint32_t n = b->nrows;
    scratch_reserve(j, n);
    uint32_t nnew = 0;
    wd_groups_lookup(t->g, b->cols, n, NULL, j->slots, &nnew);
    table_sync(t);
    const int64_t *ts = wd_batch_ts(b);
    for (uint32_t i = 0; i < n; i++) {
        bool nk = key_null(j, b, i);
        if (nk && !j->outer[S]) continue;
        uint32_t slot = j->slots[i];
        if (nk) t->nullkey[slot] = 1;
        if (b->retract && b->retract[i]) {
            size_t len = enc_row(j, b, j->npay[S], i);
            uint32_t id = find_same(j, t, S, slot, len);
            if (id != NONE) {
                unlink_rec(t, S, id);
                rec_free(ss, id);
            }
            continue;
        }
        uint32_t id = rec_alloc(ss);
        int rc = store_bytes(ss, id, b->cols + j->nkeys, j->npay[S], i, err);
        if (rc < 0) {
            rec_free(ss, id);
            return rc;
        }
        R(ss, id)->ts = ts[i];
        link_rec(t, S, id, slot);
    }
    return 0;
}

static int cmp_ts_idx(const int64_t *ts, uint32_t a, uint32_t b)
{
    return ts[a] < ts[b] ? -1 : ts[a] > ts[b] ? 1 : (a < b ? -1 : a > b);
}

/* Sort idx[0..n) by ts (insertion sort on small runs, merge above). */
static void sort_by_ts(uint32_t *idx, uint32_t *tmp, uint32_t n, const int64_t *ts)
{
    if (n <= 16) {
        for (uint32_t i = 1; i < n; i++) {
            uint32_t v = idx[i], k = i;
            while (k > 0 && cmp_ts_idx(ts, idx[k - 1], v) > 0) {
                idx[k] = idx[k - 1];
                k--;
            }
            idx[k] = v;
        }
        return;
    }
    uint32_t h = n / 2;
    sort_by_ts(idx, tmp, h, ts);
    sort_by_ts(idx + h, tmp, n - h, ts);
    uint32_t a = 0, b = h, o = 0;
    while (a < h && b < n) tmp[o++] = cmp_ts_idx(ts, idx[a], idx[b]) <= 0 ? idx[a++] : idx[b++];
    while (a < h) tmp[o++] = idx[a++];
    while (b < n) tmp[o++] = idx[b++];
    memcpy(idx, tmp, sizeof(uint32_t) * n);
}

static int win_batch(wd_op *op, join *j, uint32_t S, wd_batch *in, wd_error *err)
{
    uint32_t n = in->nrows;
    const int64_t *ts = wd_batch_ts(in);
    int64_t wm = op->watermark;
    bool one = true;
    uint32_t late = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (wm != INT64_MIN && ts[i] <= wm) late++;
        if (ts[i] != ts[0]) one = false;
    }
    if (late) atomic_fetch_add_explicit(&op->metrics.late_dropped, late, memory_order_relaxed);
    if (one && !late) return win_store(j, bucket_get(j, ts[0]), S, in, err);
    /* rows of several timestamps (or late ones): one gathered batch per timestamp */
    uint32_t *idx = wd_malloc(sizeof(uint32_t) * 2 * (n + 1));
    if (WD_UNLIKELY(!idx)) return wd_err(err, WD_ENOMEM, "join: out of memory");
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++)
        if (!(wm != INT64_MIN && ts[i] <= wm)) idx[m++] = i;
    sort_by_ts(idx, idx + n + 1, m, ts);
    int rc = 0;
    for (uint32_t a = 0; a < m && rc == 0;) {
        uint32_t b = a + 1;
        while (b < m && ts[idx[b]] == ts[idx[a]]) b++;
        wd_batch *part = wd_batch_gather(in, idx + a, b - a);
        if (!part) {
            rc = wd_err(err, WD_ENOMEM, "join: out of memory");
            break;
        }
        rc = win_store(j, bucket_get(j, ts[idx[a]]), S, part, err);
        wd_batch_release(part);
        a = b;
    }
    wd_free(idx);
    return rc;
}

/* Join a bucket's rows key by key and emit them (all inserts). */
static int win_fire(wd_op *op, join *j, jbucket *bk, wd_error *err)
{
    jtable *t = &bk->t;
    jside *l = &t->side[0], *r = &t->side[1];
    uint32_t ns = t->nslots;
    uint32_t slot = 0, cl = NONE, cr = NONE;
    bool started = false;
    int rc;
    for (uint32_t s = 0; s < 2; s++)
        for (uint32_t id = 0; id < t->side[s].nrec; id++) R(&t->side[s], id)->a.u.nmatch = 0;
    for (;;) {
        uint32_t np = 0;
        while (slot < ns && np < CHUNK) {
            if (!started) {
                if (t->nullkey[slot] || t->head[0][slot] == NONE || t->head[1][slot] == NONE) {
                    slot++;
                    continue;
                }
                cl = t->head[0][slot];
                cr = t->head[1][slot];
                started = true;
            }
            while (np < CHUNK && cl != NONE) {
                jemit *c = &j->cand[np];
                c->row[0] = cl;
                c->row[1] = cr;
                c->ts = max64(R(l, cl)->ts, R(r, cr)->ts);
                c->flags = 0;
                j->cidx[np] = np;
                np++;
                cr = R(r, cr)->next;
                if (cr == NONE) {
                    cl = R(l, cl)->next;
                    cr = t->head[1][slot];
                }
            }
            if (cl == NONE) {
                slot++;
                started = false;
            }
        }
        if (np == 0) break;
        if (j->ev) {
            memset(j->pass, 0, np);
            rc = residual(j, np, NULL, -1, t, err);
            if (rc < 0) return rc;
        }
        for (uint32_t q = 0; q < np; q++) {
            if (j->ev && !j->pass[q]) continue;
            const jemit *c = &j->cand[q];
            R(l, c->row[0])->a.u.nmatch++;
            R(r, c->row[1])->a.u.nmatch++;
            em_push(j, c->row[0], c->row[1], c->ts, 0);
        }
        if (j->nem >= OUT_ROWS) {
            rc = flush_em(op, j, NULL, -1, t, false, err);
            if (rc < 0) return rc;
        }
    }
    for (uint32_t s = 0; s < 2; s++) {
        if (!j->outer[s]) continue;
        jside *sd = &t->side[s];
        for (uint32_t sl = 0; sl < ns; sl++)
            for (uint32_t id = t->head[s][sl]; id != NONE; id = R(sd, id)->next)
                if (R(sd, id)->a.u.nmatch == 0)
                    em_push(j, s ? 0 : id, s ? id : 0, R(sd, id)->ts, null_flag(1 - s));
        if (j->nem >= OUT_ROWS) {
            rc = flush_em(op, j, NULL, -1, t, false, err);
            if (rc < 0) return rc;
        }
    }
    return flush_em(op, j, NULL, -1, t, true, err);
}

/* Fire (and release) the buckets at or before wm. */
static int win_fire_upto(wd_op *op, join *j, int64_t wm, wd_error *err)
{
    uint32_t k = 0;
    int rc = 0;
    while (k < j->nbuckets && j->buckets[k]->ts <= wm) {
        rc = win_fire(op, j, j->buckets[k], err);
        bucket_release(j, j->buckets[k]);
        k++;
        if (rc < 0) break;
    }
    if (k) memmove(j->buckets, j->buckets + k, sizeof(jbucket *) * (j->nbuckets - k));
    j->nbuckets -= k;
    return rc;
}

/* ---- the operator ---------------------------------------------------------------- */

static void join_close(wd_op *op);
static uint64_t join_fingerprint(const wd_node *node, const wd_join_spec *sp);

static int join_open(wd_op *op, wd_error *err)
{
    const wd_node *node = op->node;
    const wd_join_spec *sp = node ? node->spec : NULL;
    if (!sp || node->ninputs != 2 || !node->in_schemas || !node->in_schemas[0] ||
        !node->in_schemas[1] || !node->out_schema)
        return wd_err(err, WD_EINTERNAL, "join: node has no spec or schemas");
    const wd_type *in[2] = {node->in_schemas[0], node->in_schemas[1]};
    uint32_t nk = sp->nkeys;
    for (uint32_t s = 0; s < 2; s++)
        if (in[s]->nfields < nk + 1)
            return wd_err(err, WD_EINTERNAL, "join: input %u has fewer columns than keys", s);
    uint32_t np0 = in[0]->nfields - nk - 1, np1 = in[1]->nfields - nk - 1;
    if (node->out_schema->nfields != np0 + np1 + 1)
        return wd_err(err, WD_EINTERNAL, "join: output schema does not match the inputs");
    for (uint32_t k = 0; k < nk; k++)
        if (!wd_type_eq(in[0]->fields[k].type, in[1]->fields[k].type))
            return wd_err(err, WD_EINTERNAL, "join: key %u has type %s on the left", k,
                          wd_type_name(in[0]->fields[k].type));
    if (sp->mode == WD_JM_INTERVAL) {
        for (uint32_t s = 0; s < 2; s++) {
            int c = s ? sp->right_time_col : sp->left_time_col;
            if (c < 0 || (uint32_t)c >= in[s]->nfields ||
                in[s]->fields[c].type->id != WD_T_TIMESTAMP)
                return wd_err(err, WD_EINTERNAL, "join: bad interval time column %d of input %u",
                              c, s);
        }
    }
    if (sp->mode != WD_JM_UPDATING && sp->mode != WD_JM_WINDOWED && sp->mode != WD_JM_INTERVAL)
        return wd_err(err, WD_EINTERNAL, "join: unknown mode %d", (int)sp->mode);
    if (sp->type > WD_JT_FULL)
        return wd_err(err, WD_EINTERNAL, "join: unknown join type %d", (int)sp->type);

    join *j = wd_calloc(1, sizeof *j);
    if (!j) return wd_err(err, WD_ENOMEM, "join: out of memory");
    op->state = j;
    j->mode = sp->mode;
    j->outer[0] = sp->type == WD_JT_LEFT || sp->type == WD_JT_FULL;
    j->outer[1] = sp->type == WD_JT_RIGHT || sp->type == WD_JT_FULL;
    j->nkeys = nk;
    j->npay[0] = np0;
    j->npay[1] = np1;
    j->base[0] = 0;
    j->base[1] = np0;
    j->out_schema = node->out_schema;
    j->time_col[0] = sp->left_time_col;
    j->time_col[1] = sp->right_time_col;
    j->lo = sp->lo_ns;
    j->hi = sp->hi_ns;
    j->lo_residual = sp->lo_residual;
    j->key_types = wd_calloc(nk ? nk : 1, sizeof(wd_type *));
    for (uint32_t k = 0; k < nk; k++) j->key_types[k] = in[0]->fields[k].type;
    j->nullenc = wd_calloc((np0 > np1 ? np0 : np1) + 1, 1);
    if (sp->residual) {
        const wd_expr *e = sp->residual;
        j->ev = wd_eval_new(&e, 1);
    }
    if (j->mode != WD_JM_WINDOWED) table_init(&j->t, j->key_types, nk);
    j->items = wd_malloc(sizeof(jitem) * CHUNK);
    j->cand = wd_malloc(sizeof(jemit) * CHUNK);
    j->cidx = wd_malloc(sizeof(uint32_t) * CHUNK);
    j->sel = wd_malloc(sizeof(uint32_t) * CHUNK);
    j->pass = wd_malloc(CHUNK);
    wd_arena_init(&j->scratch, 0);
    j->ttl = sp->mode == WD_JM_UPDATING && sp->ttl_ns > 0 ? sp->ttl_ns : 0;
    j->unit = j->ttl >= 16 ? j->ttl / 16 : 1;
    j->now = INT64_MIN;
    j->last_scan = INT64_MIN;
    j->wm_out = INT64_MIN;
    j->fp = join_fingerprint(node, sp);
    if (!j->key_types || !j->nullenc || (sp->residual && !j->ev) || !j->items || !j->cand ||
        !j->cidx || !j->sel || !j->pass) {
        join_close(op);
        return wd_err(err, WD_ENOMEM, "join: out of memory");
    }
    return 0;
}

static void join_close(wd_op *op)
{
    join *j = op->state;
    if (!j) return;
    if (j->t.g) table_free(&j->t);
    for (uint32_t b = 0; b < j->nbuckets; b++) {
        table_free(&j->buckets[b]->t);
        wd_free(j->buckets[b]);
    }
    for (uint32_t b = 0; b < j->npool; b++) {
        table_free(&j->pool[b]->t);
        wd_free(j->pool[b]);
    }
    wd_free(j->buckets);
    if (j->ev) wd_eval_free(j->ev);
    wd_free(j->key_types);
    wd_free(j->nullenc);
    wd_free(j->slots);
    wd_free(j->eff);
    wd_free(j->kind);
    wd_free(j->rts);
    wd_free(j->rt);
    wd_free(j->deferred);
    wd_free(j->items);
    wd_free(j->cand);
    wd_free(j->cidx);
    wd_free(j->sel);
    wd_free(j->pass);
    wd_free(j->em);
    wd_free(j->enc);
    wd_arena_free(&j->scratch);
    wd_free(j);
    op->state = NULL;
}

static int join_batch(wd_op *op, uint32_t input, wd_batch *in, wd_error *err)
{
    join *j = op->state;
    if (input > 1) return wd_err(err, WD_EINTERNAL, "join: no input %u", input);
    if (in->nrows == 0) return 0;
    if (j->mode == WD_JM_WINDOWED) return win_batch(op, j, input, in, err);
    return ui_batch(op, j, input, in, err);
}

static int join_watermark(wd_op *op, int64_t wm, wd_error *err)
{
    join *j = op->state;
    if (j->mode == WD_JM_WINDOWED) {
        int rc = win_fire_upto(op, j, wm, err);
        if (rc < 0) return rc;
    } else if (j->mode == WD_JM_INTERVAL) {
        int rc = interval_release(op, j, wm, err);
        if (rc < 0) return rc;
        wm = interval_out_watermark(j, wm);
        if (wm <= j->wm_out) return 0;
        j->wm_out = wm;
    }
    return wd_op_emit_watermark(op, wm, err);
}

static int join_end(wd_op *op, wd_error *err)
{
    join *j = op->state;
    if (j->mode == WD_JM_WINDOWED) return win_fire_upto(op, j, INT64_MAX, err);
    if (j->mode == WD_JM_INTERVAL) return interval_release(op, j, INT64_MAX, err);
    return 0;
}

static int join_tick(wd_op *op, int64_t now, wd_error *err)
{
    join *j = op->state;
    if (j->ttl && wd_ttl_tick(&j->t0, &j->now, &j->last_scan, j->ttl, now)) ttl_expire(j);
    return 0;
}

/* ---- checkpoints ------------------------------------------------------------------ */

/*
 * Two tables.  join_meta (global): one record per subtask, the format
 * version and the join's fingerprint (join_fingerprint), so that restore
 * refuses the state of another join and notices a checkpoint without it
 * (keyed tables may legitimately be absent: a subtask is given only the
 * keyed files whose key range meets its own), then the TTL clock (first
 * tick, last tick, last scan, stamp unit).  join_rows (keyed): one
 * record per stored row, tagged with its key's hash — the high half of
 * the wd_hash_rows hash of the key columns, which the group table keeps
 * (wd_groups_khash) and the shuffle routes by — laid out as
 *
 *   u8 side | i64 bucket time (windowed) | key (the group table's encoding)
 *   | i64 _timestamp | u32 match count, u32 TTL stamp (updating) or i64
 *   interval time, u8 matched (interval; 1 once the row has matched, kept
 *   on outer sides only, 0 on inner ones) | u32 payload length | payload
 *   (the byte store's encoding)
 *
 * Rows are written side by side, key by key, each list from its head
 * (walking the key table and the record chunks; nothing is allocated but
 * the table's buffer, sized once from the stores' totals).  Restore links
 * each row at the head of its key's list and then reverses every list, so
 * the lists come back in their old order (a retraction then removes the
 * same stored row as it would have: rows of equal payload may differ in
 * time and match count).  Interval release heaps are rebuilt in one
 * pass; rows of an outer side not matched yet go back on its hold heap.  TTL
 * stamps are relative to their subtask's first tick: restore continues the
 * latest old clock (the tick clock is the wall clock, so time spent stopped
 * counts towards the TTL, as the updating aggregate does) and converts
 * each row's stamp from its old subtask's clock to that one.  A windowed
 * join's match counts are recomputed when its bucket fires, so they are
 * not saved.
 */
#define JT_META "join_meta"
#define JT_ROWS "join_rows"
#define JSNAP_VERSION 2u /* 2: interval rows carry their matched flag */
#define KH_CHUNK 256u

/* What the saved state depends on: the mode, the join type, the key and
 * payload types of both inputs and (interval) the time columns. */
static uint64_t join_fingerprint(const wd_node *node, const wd_join_spec *sp)
{
    wd_buf b = WD_BUF_INIT;
    bool iv = sp->mode == WD_JM_INTERVAL;
    wd_buf_printf(&b, "join v%u mode %d type %d keys %u time %d %d", JSNAP_VERSION,
                  (int)sp->mode, (int)sp->type, sp->nkeys, iv ? sp->left_time_col : -1,
                  iv ? sp->right_time_col : -1);
    for (uint32_t s = 0; s < 2; s++) {
        const wd_type *in = node->in_schemas[s];
        wd_buf_printf(&b, "|%u:", in->nfields);
        for (uint32_t f = 0; f < in->nfields; f++) wd_snap_describe_type(&b, in->fields[f].type);
    }
    uint64_t h = wd_snap_fingerprint(&b);
    wd_buf_free(&b);
    return h;
}

/* Bytes of a row record without its key and payload. */
static size_t rec_fixed(const join *j)
{
    /* side, _timestamp, the mode's 8 bytes (bucket time; match count and
     * stamp; interval time) and the interval's matched flag, payload length */
    return 1 + 8 + 8 + (j->mode == WD_JM_INTERVAL ? 1 : 0) + 4;
}

/* About the bytes table t's rows take as records (to size the buffer once). */
static size_t snap_estimate(const join *j, const jtable *t)
{
    uint64_t rows = t->side[0].rows + t->side[1].rows;
    if (!rows) return 0;
    uint64_t pay = 0;
    for (uint32_t s = 0; s < 2; s++) pay += t->side[s].blen - t->side[s].garbage;
    size_t kl = t->nslots ? wd_groups_key_size(t->g, 0) : 0;
    return (size_t)(rows * (8 + rec_fixed(j) + kl) + pay);
}

/* The records of side s of table t (bts: its bucket's time, windowed). */
static void snap_side(const join *j, const jtable *t, uint32_t s, int64_t bts, wd_snap_out *o)
{
    const uint32_t n = t->nslots;
    const size_t fixed = rec_fixed(j);
    const bool win = j->mode == WD_JM_WINDOWED;
    const jside *sd = &t->side[s];
    uint32_t kh[KH_CHUNK];
    for (uint32_t s0 = 0; s0 < n; s0 += KH_CHUNK) {
        uint32_t m = n - s0 < KH_CHUNK ? n - s0 : KH_CHUNK;
        wd_groups_khash(t->g, s0, m, kh);
        for (uint32_t i = 0; i < m; i++) {
            uint32_t slot = s0 + i, id = t->head[s][slot];
            if (id == NONE) continue;
            size_t kl = wd_groups_key_size(t->g, slot);
            while (id != NONE) {
                const jrec *r = R(sd, id);
                wd_buf *b = wd_snap_rec_begin(o, kh[i]);
                uint8_t *p = wd_buf_room(b, fixed + kl + r->len);
                *p++ = (uint8_t)s;
                if (win) {
                    memcpy(p, &bts, 8);
                    p += 8;
                }
                p = wd_groups_key_write(t->g, slot, p);
                memcpy(p, &r->ts, 8);
                p += 8;
                if (j->mode == WD_JM_UPDATING) {
                    memcpy(p, &r->a.u.nmatch, 4);
                    memcpy(p + 4, &r->a.u.stamp, 4);
                    p += 8;
                } else if (j->mode == WD_JM_INTERVAL) {
                    memcpy(p, &r->a.t, 8);
                    p[8] = j->outer[s] && sd->hpos[id] == NONE;
                    p += 9;
                }
                memcpy(p, &r->len, 4);
                memcpy(p + 4, RB(sd, r), r->len);
                wd_buf_commit(b, p + 4 + r->len);
                wd_snap_rec_end(o);
                id = r->next;
            }
        }
    }
}

static int join_snapshot(wd_op *op, wd_snap_out *o, wd_error *err)
{
    join *j = op->state;
    int rc = wd_ttl_meta_write(o, JT_META, JSNAP_VERSION, j->fp, j->t0, j->now, j->last_scan,
                               j->unit, err);
    if (rc < 0) return rc;
    rc = wd_snap_table_begin(o, JT_ROWS, WD_SNAP_KEYED, err);
    if (rc < 0) return rc;
    size_t est = 0;
    if (j->mode == WD_JM_WINDOWED)
        for (uint32_t i = 0; i < j->nbuckets; i++) est += snap_estimate(j, &j->buckets[i]->t);
    else
        est = snap_estimate(j, &j->t);
    if (est) wd_buf_reserve(&o->cur->data, est);
    for (uint32_t s = 0; s < 2; s++) {
        if (j->mode == WD_JM_WINDOWED)
            for (uint32_t i = 0; i < j->nbuckets; i++)
                snap_side(j, &j->buckets[i]->t, s, j->buckets[i]->ts, o);
        else
            snap_side(j, &j->t, s, 0, o);
    }
    return 0;
}


/* The join_meta records: this join's, in this format; the old subtasks'
 * clocks into clk[0..nclk), and this instance's clock continues the latest
 * of them. */
static int restore_meta(join *j, wd_snap_in *r, wd_ttl_clock *clk, uint32_t nclk, wd_error *err)
{
    wd_ttl_clock m;
    int64_t scan;
    int rc = wd_ttl_meta_read(r, JT_META, "join", "its kind, keys or columns changed",
                              JSNAP_VERSION, j->fp, clk, nclk, &m, &scan, err);
    if (rc < 0) return rc;
    if (j->ttl) {
        j->now = m.now;
        j->t0 = m.t0;
        j->last_scan = scan;
    }
    return 0;
}

/* Stamp st of a row saved under old clock o, in this instance's clock. */
static uint32_t restamp(const join *j, const wd_ttl_clock *o, uint32_t st)
{
    return j->ttl ? wd_ttl_restamp(o, j->t0, j->now, j->unit, st) : 0;
}

/* The payload of a side as restored: every column a well-formed encoding. */
static bool payload_ok(const wd_op *op, const join *j, uint32_t s, const uint8_t *p, size_t n)
{
    const wd_type *in = op->node->in_schemas[s];
    for (uint32_t c = 0; c < j->npay[s]; c++) {
        size_t k = wd_value_check(in->fields[j->nkeys + c].type, p, n);
        if (!k) return false;
        p += k;
        n -= k;
    }
    return n == 0;
}

/* Reverse every key's list of both sides (restore links rows at the head). */
static void lists_reverse(jtable *t)
{
    for (uint32_t s = 0; s < 2; s++) {
        jside *sd = &t->side[s];
        for (uint32_t slot = 0; slot < t->nslots; slot++) {
            uint32_t id = t->head[s][slot], prev = NONE;
            while (id != NONE) {
                jrec *r = R(sd, id);
                uint32_t next = r->next;
                r->next = prev;
                r->prev = next;
                prev = id;
                id = next;
            }
            t->head[s][slot] = prev;
        }
    }
}

/* One join_rows record into its table. */
static int restore_row(wd_op *op, join *j, const wd_snap_rec *rec, const wd_ttl_clock *clk,
                       uint32_t nclk, wd_col *cols, wd_arena *a, wd_snap_in *r, wd_error *err)
{
    wd_rd d;
    wd_rd_init(&d, rec->data, rec->len);
    uint8_t s = wd_rd_u8(&d);
    int64_t bts = j->mode == WD_JM_WINDOWED ? wd_rd_i64(&d) : 0;
    if (d.bad || s > 1) return wd_snap_bad_record(r, err);
    jtable *t = j->mode == WD_JM_WINDOWED ? &bucket_get(j, bts)->t : &j->t;
    size_t kl = 0;
    const uint8_t *kp = d.p;
    if (!wd_groups_key_check(t->g, kp, (size_t)(d.end - d.p), &kl) || !wd_rd_take(&d, kl))
        return wd_snap_bad_record(r, err);
    int64_t ts = wd_rd_i64(&d);
    uint32_t nmatch = j->mode == WD_JM_UPDATING ? wd_rd_u32(&d) : 0;
    uint32_t st = j->mode == WD_JM_UPDATING ? wd_rd_u32(&d) : 0;
    int64_t itime = j->mode == WD_JM_INTERVAL ? wd_rd_i64(&d) : 0;
    uint8_t matched = j->mode == WD_JM_INTERVAL ? wd_rd_u8(&d) : 0;
    uint32_t len = wd_rd_u32(&d);
    const uint8_t *pay = wd_rd_take(&d, len);
    uint64_t h;
    wd_arena_reset(a);
    if (!pay || !wd_rd_done(&d) || matched > (j->outer[s] ? 1 : 0) ||
        !payload_ok(op, j, s, pay, len) ||
        rec->from_subtask >= nclk || !clk[rec->from_subtask].have ||
        wd_groups_decode_keys(t->g, &kp, &rec->khash, 1, cols, &h, a) < 0)
        return wd_snap_bad_record(r, err);
    bool nullkey = false;
    for (uint32_t k = 0; k < j->nkeys; k++) nullkey |= !wd_col_valid(&cols[k], 0);
    if (nullkey && (j->mode != WD_JM_WINDOWED || !j->outer[s]))
        return wd_snap_bad_record(r, err); /* such rows are never stored */
    uint32_t slot, nnew = 0;
    wd_groups_lookup(t->g, cols, 1, &h, &slot, &nnew);
    table_sync(t);
    if (nullkey) t->nullkey[slot] = 1;
    jside *sd = &t->side[s];
    uint32_t id = rec_alloc(sd);
    jrec *jr = R(sd, id);
    memcpy(bytes_reserve(sd, len, &jr->off), pay, len);
    jr->len = len;
    jr->ts = ts;
    if (j->mode == WD_JM_INTERVAL) {
        jr->a.t = itime;
        heap_append(j, sd, s, &sd->release, id); /* ordered once every row is in */
        if (j->outer[s]) hold_track(j, sd, s, id, matched);
    } else {
        jr->a.u.nmatch = nmatch;
        jr->a.u.stamp = restamp(j, &clk[rec->from_subtask], st);
    }
    link_rec(t, s, id, slot);
    return 0;
}

static int join_restore(wd_op *op, wd_snap_in *r, wd_error *err)
{
    join *j = op->state;
    if (j->nbuckets || (j->t.g && (j->t.nslots || j->t.side[0].nrec || j->t.side[1].nrec)))
        return wd_err(err, WD_EINTERNAL, "join: restore into an operator that holds state");
    uint32_t nclk = r->old_parallelism ? r->old_parallelism : 1;
    wd_ttl_clock *clk = wd_calloc(nclk, sizeof *clk);
    wd_col *cols = wd_calloc(j->nkeys ? j->nkeys : 1, sizeof *cols);
    if (!clk || !cols) {
        wd_free(clk);
        wd_free(cols);
        return wd_err(err, WD_ENOMEM, "join: out of memory");
    }
    int rc = restore_meta(j, r, clk, nclk, err);
    wd_arena a;
    wd_arena_init(&a, 0);
    wd_snap_rec rec;
    wd_snap_in_open(r, JT_ROWS);
    while (rc == 0 && (rc = wd_snap_in_next(r, &rec, err)) == 1)
        rc = restore_row(op, j, &rec, clk, nclk, cols, &a, r, err);
    wd_arena_free(&a);
    wd_free(cols);
    wd_free(clk);
    if (j->mode == WD_JM_WINDOWED) {
        for (uint32_t i = 0; i < j->nbuckets; i++) lists_reverse(&j->buckets[i]->t);
    } else {
        lists_reverse(&j->t);
        if (j->mode == WD_JM_INTERVAL)
            for (uint32_t s = 0; s < 2; s++) {
                jside *sd = &j->t.side[s];
                heap_build(sd, &sd->release);
            }
    }
    return rc;
}

/* The join operator: see ops/join.h for the contract, the banner for the design. */
const wd_op_vt wd_op_join_vt = {
    .name = "join",
    .open = join_open,
    .on_batch = join_batch,
    .on_watermark = join_watermark,
    .on_end = join_end,
    .on_tick = join_tick,
    .snapshot = join_snapshot,
    .restore = join_restore,
    .close = join_close,
};

/* Rows and bytes of state held by a join instance (see ops/join.h). */
void wd_op_join_stats(const wd_op *op, wd_join_stats *out)
{
    memset(out, 0, sizeof *out);
    const join *j = op->state;
    if (!j) return;
    out->bytes = sizeof *j;
    if (j->t.g) {
        out->rows[0] = j->t.side[0].rows;
        out->rows[1] = j->t.side[1].rows;
        out->keys = j->t.live;
        out->bytes += table_bytes(&j->t);
    }
    for (uint32_t b = 0; b < j->nbuckets; b++) {
        const jtable *t = &j->buckets[b]->t;
        out->rows[0] += t->side[0].rows;
        out->rows[1] += t->side[1].rows;
        out->keys += t->live;
        out->bytes += table_bytes(t) + sizeof(jbucket);
    }
    out->bytes += (size_t)j->capem * sizeof(jemit) + j->enccap +
                  (size_t)j->scap * (2 * sizeof(uint32_t) + 1 + 2 * sizeof(int64_t));
}
