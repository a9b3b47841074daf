/*
 * join_int.h — what the join operator's files share (private to src/ops):
 * the row store (join_store.c), the operator (join.c) and its checkpoints
 * (join_snap.c).  The design is in join.c's banner.
 *
 * A side's stored row is a record (jrec: where its bytes are, the next row
 * of its key, one mode-dependent word) plus, for some modes, auxiliary
 * words (jside.naux per record), plus the row's bytes in the side's byte
 * store, encoded as the side's layout (jlayout) says:
 *
 *   null bitmap (1 bit per payload column) | _timestamp (8 bytes)
 *   | fixed-width columns at fixed offsets (0 when NULL)
 *   | variable part: per TEXT / BYTES / JSON column a varint length and the
 *     bytes (nothing when NULL), per STRUCT / LIST column its
 *     wd_value_encode encoding, in column order
 *
 * so a row costs its values, a bit per column, its length varints and the
 * record; a row of fixed-width columns only is always L->fixed bytes.
 */
#ifndef WD_OPS_JOIN_INT_H
#define WD_OPS_JOIN_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "agg/agg.h"
#include "ops/join.h"

#define NONE UINT32_MAX
#define SLOT_FREE UINT32_MAX        /* INTERVAL: record on the free list */
#define SLOT_DEAD (UINT32_MAX - 1)  /* INTERVAL: unlinked, awaiting release by its heap */
#define REC_SHIFT 11u               /* records per record chunk: 2^REC_SHIFT */
#define REC_CHUNK (1u << REC_SHIFT)

/* ---- row layout -------------------------------------------------------------- */

enum { JC_FIXED, JC_TEXT, JC_GENERIC, JC_KEY /* not stored: the key's value */ };

typedef struct jlayout {
    uint32_t ncols;         /* payload columns */
    const wd_type **types;  /* per column */
    uint8_t *kind;          /* per column: JC_* */
    uint8_t *width;         /* JC_FIXED: value bytes (0 for the NULL type) */
    uint32_t *fo;           /* JC_FIXED: offset in the row */
    uint32_t nb;            /* null bitmap bytes */
    uint32_t fixed;         /* bytes before the variable part */
    bool allfixed;          /* no variable part */
    uint32_t timeoff;       /* INTERVAL: offset of the time column's 8 bytes */
    const int32_t *key;     /* per column: JC_KEY's key column (spec pay_key), or NULL */
    uint32_t nkeycols;      /* JC_KEY columns */
} jlayout;

/* Layout of the payload columns of in_schema (after nkeys keys; the last
 * field is _timestamp); pay_key (spec, may be NULL) marks the columns that
 * are not stored.  time_col (a TIMESTAMP column of in_schema, or -1) sets
 * timeoff. */
void jlayout_init(jlayout *L, const wd_type *in_schema, uint32_t nkeys, const int32_t *pay_key,
                  int time_col);
void jlayout_free(jlayout *L);

static inline int64_t jrow_ts(const jlayout *L, const uint8_t *p)
{
    int64_t v;
    memcpy(&v, p + L->nb, 8);
    return v;
}

static inline int64_t jrow_time(const jlayout *L, const uint8_t *p)
{
    int64_t v;
    memcpy(&v, p + L->timeoff, 8);
    return v;
}

/* Bytes of each of rows[0..n) of the payload columns cols[0..ncols) into
 * size[]; the largest of them is returned. */
uint64_t jrow_sizes(const jlayout *L, const wd_col *cols, const uint32_t *rows, uint32_t n,
                    uint32_t *size);

/* Encode rows[0..n) (payload cols, times ts[row]) at dst[0..n), each with
 * room for its jrow_sizes bytes. */
void jrow_encode(const jlayout *L, const wd_col *cols, const int64_t *ts, const uint32_t *rows,
                 uint32_t n, uint8_t *const *dst);

/* Bytes of the row at p. */
size_t jrow_len(const jlayout *L, const uint8_t *p);

/* Do the rows at a (alen bytes) and b hold the same payload (times aside)? */
bool jrow_same(const jlayout *L, const uint8_t *a, size_t alen, const uint8_t *b);

/* Is p[0..n) one well-formed row (restored bytes, before anything reads them)? */
bool jrow_check(const jlayout *L, const uint8_t *p, size_t n);

/* Columns out[0..ncols) (initialised here, in a; JC_KEY ones left to the
 * caller) = the payloads of rows rows[0..n); a NULL row gives NULLs in
 * every column. */
void jrow_decode(const jlayout *L, const uint8_t *const *rows, uint32_t n, wd_col *out,
                 wd_arena *a);

/* ---- records and byte stores ---------------------------------------------------- */

typedef struct jrec {
    uint64_t off;      /* the row's bytes: chunk << 32 | offset */
    uint32_t next;     /* next row of the key on this side (NONE ends) */
    uint32_t w;        /* UPDATING: TTL stamp of the last update (0 = before the first
                          tick); WINDOWED: matches when the bucket fires; INTERVAL:
                          key slot, or SLOT_FREE / SLOT_DEAD */
} jrec;

/* Auxiliary words per record, by mode: UPDATING outer side: [match count];
 * INTERVAL: [prev row of the key, place in the hold heap (outer side;
 * NONE once matched)]. */
#define AX_NMATCH 0
#define AX_PREV 0
#define AX_HPOS 1

/* A chunk of a byte store. */
typedef struct jchunk {
    uint8_t *p;        /* NULL once every row in it is gone */
    uint32_t used, cap;
    uint32_t rows, live; /* rows written here, rows still stored */
} jchunk;

/* A heap entry: a record and the time it is ordered by. */
typedef struct jhent {
    int64_t key;
    uint32_t id;
} jhent;

typedef struct jheap {
    jhent *v;
    uint32_t n, cap;
} jheap;

/* INTERVAL: rows by the watermark bound that releases them: a FIFO of
 * those that arrived in bound order, a heap of the others. */
typedef struct jrelq {
    jhent *q;          /* FIFO: q[head..n) */
    uint32_t head, n, cap;
    jheap h;
} jrelq;

/* Rows of one side. */
typedef struct jside {
    jrec **rch;           /* record chunks of REC_CHUNK records */
    uint32_t **ach;       /* their auxiliary words (naux per record), or NULL */
    uint32_t nrch, caprch;
    uint32_t naux;
    uint32_t nrec;        /* records ever handed out (free ones included) */
    uint32_t freel;       /* free records, chained through next */
    uint64_t rows;        /* linked records */
    uint64_t dead;        /* unlinked rows whose bytes a chunk still holds */
    jchunk *bch;          /* byte chunks; the last one is filled */
    uint32_t nbch, capbch, livech; /* livech: chunks still holding memory */
    uint64_t bcap;        /* bytes held by chunks */
    jrelq release;        /* INTERVAL: every stored row, by its release bound */
    jheap hold;           /* INTERVAL, outer side: rows without a match yet, by _timestamp */
} jside;

static inline jrec *R(const jside *s, uint32_t id)
{
    return &s->rch[id >> REC_SHIFT][id & (REC_CHUNK - 1)];
}

static inline uint32_t *A(const jside *s, uint32_t id)
{
    return &s->ach[id >> REC_SHIFT][(size_t)(id & (REC_CHUNK - 1)) * s->naux];
}

/* The bytes of record r. */
static inline uint8_t *RB(const jside *s, const jrec *r)
{
    return s->bch[r->off >> 32].p + (uint32_t)r->off;
}

void side_init(jside *s, uint32_t naux);
void side_clear(jside *s);  /* forget every row; record chunks are kept */
void side_free(jside *s);
size_t side_bytes(const jside *s);
uint32_t rec_alloc(jside *s);
void rec_free(jside *s, uint32_t id);
/* Room for need bytes at the end of the byte store for one row; *off gets
 * their place. */
uint8_t *bytes_reserve(jside *s, uint32_t need, uint64_t *off);
/* Record r's row left the store: its chunk is freed when that was its last. */
void bytes_drop(jside *s, const jrec *r);

/* One key table: keys → slots, per slot the head of each side's list. */
typedef struct jtable {
    wd_groups *g;
    uint32_t *head[2];    /* per slot, per side: first record or NONE */
    uint8_t *nullkey;     /* per slot: the key has a NULL part (windowed) */
    uint32_t cap;         /* slots the arrays hold */
    uint32_t nslots;      /* slots initialised */
    uint32_t live;        /* slots with a row on either side */
    bool interval;        /* records carry their slot and previous row */
    jside side[2];
} jtable;

/* Rewrite side s's byte store without its dead rows when they are most of
 * it (always when force), walking the key lists. */
void store_compact(jtable *t, uint32_t s, const jlayout *L, bool force);

/* Grow *p (elements of size sz, capacity *cap) to hold need, by 1.5x. */
void jgrow(void *pp, uint32_t *cap, uint32_t need, size_t sz);

/* ---- the operator's state ---------------------------------------------------------- */

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
    uint32_t slot;   /* the key's slot (for columns that come from the key) */
} jemit;

/* A candidate pair (i, o), or the end of row i's pairs when o == NONE. */
typedef struct jitem {
    uint32_t i, o;
} jitem;

#define POOL_MAX 4u /* released bucket tables kept for reuse */

typedef struct join {
    wd_join_mode mode;
    bool outer[2];
    uint32_t nkeys, npay[2], base[2]; /* base: first output column of a side */
    const wd_type **key_types;
    const wd_type *out_schema;
    jlayout lay[2];
    int time_col[2];
    int64_t lo, hi;
    bool lo_residual;                /* the residual checks the lower bound */
    wd_eval *ev;                     /* residual, or NULL */

    jtable t;                        /* UPDATING, INTERVAL */
    jbucket **buckets;               /* WINDOWED: ascending ts */
    uint32_t nbuckets, capbuckets;
    jbucket *pool[POOL_MAX];
    uint32_t npool;

    /* per-batch scratch */
    uint32_t *slots, *eff;
    uint32_t *rows, *size;           /* rows to encode, their sizes */
    uint8_t **dst;                   /* where each goes */
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
    uint8_t *enc;                    /* encoded retractions of a batch */
    size_t enccap;
    wd_arena scratch;

    /* TTL (processing time) */
    int64_t ttl, unit, now, t0, last_scan;

    int64_t wm_out;                  /* INTERVAL: the last watermark passed on */

    uint64_t fp;                     /* checkpoints: wd_op__join_fingerprint */
} join;

void table_init(jtable *t, const join *j);
void table_sync(jtable *t);
void link_rec(jtable *t, uint32_t s, uint32_t id, uint32_t slot);
jbucket *bucket_get(join *j, int64_t ts);
/* INTERVAL: put stored row id of side s in its release queue (and, on an
 * outer side, in the hold heap unless matched). */
void interval_track(join *j, uint32_t s, uint32_t id, bool matched);

/* join_snap.c */
uint64_t wd_op__join_fingerprint(const wd_node *node, const wd_join_spec *sp);
int wd_op__join_snapshot(wd_op *op, struct wd_snap_out *o, wd_error *err);
int wd_op__join_restore(wd_op *op, struct wd_snap_in *r, wd_error *err);

#endif
