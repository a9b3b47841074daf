/*
 * join.c — the join operator (wd_op_join_vt, contract in ops/join.h):
 * equi-joins in three modes (updating, interval, windowed) with an
 * optional residual predicate.
 *
 * State.  A "table" maps each distinct key tuple to a dense slot
 * (wd_groups over the key columns; the planner casts both inputs' keys to
 * common types, so one table serves both sides) and keeps per slot the
 * head of a list of stored rows for each side.  A stored row is a 16-byte
 * record (where its bytes are, the next row of its key, a mode-dependent
 * word: the TTL stamp when updating, the key slot when interval) with 0–2
 * auxiliary words (an outer side's match count; an interval row's previous
 * row and hold-heap place), plus its bytes in the side's byte store: a
 * null bitmap, its _timestamp, its fixed-width columns, then its strings
 * with varint lengths (join_int.h, join_store.c).  Rows are encoded a
 * batch at a time, column by column, and decoded column by column into
 * output batches; input batches are never retained.  Updating and interval
 * joins use one table; a windowed join keeps one table per timestamp
 * ("bucket") and frees it when it fires.  Keys whose rows are all gone are
 * dropped from a table by rebuilding it when they outnumber the live ones.
 *
 * Processing an input batch of side S against the other side O:
 *   1. slots of every row (one wd_groups_lookup); what each row does; the
 *      rows to keep are encoded into S's store and the retractions into
 *      scratch, each in one columnar pass; then S's state is changed in row
 *      order: an insert is linked, a retraction unlinks one stored row of
 *      the same key with identical payload (its record is kept until the
 *      end of the batch: its match count is still read) or is ignored when
 *      there is none;
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
 * bounds are inclusive.  Rows wait for the watermark that releases them
 * (left: time + hi, right: time - lo) in a FIFO when they arrive in that
 * order (the usual case: a source's rows come in time order) or else a
 * min-heap; a row goes when the watermark passes its bound, and every row
 * at the end of input.  A row arriving after its bound has passed still
 * joins the rows in state but is not kept.  Outer sides (append-only, as
 * Flink's): a stored row also waits in a second heap, by _timestamp, until
 * its first match; a row released while still waiting is emitted with
 * NULLs and its own time, as is at once a row of a NULL key or time, or
 * one not kept that matched nothing.  The watermark passed on stays below
 * the oldest waiting row, so these rows are never behind it.
 *
 * Windowed semantics.  Rows are buffered in the bucket of their
 * _timestamp (rows at or before the current watermark are late: dropped
 * and counted); when the watermark reaches a bucket (or at end of input)
 * its rows are joined key by key, outer rows without a match emitted with
 * NULLs, and the bucket is released.
 *
 * Checkpoints: join_snap.c.
 *
 * Exports: wd_op_join_vt, wd_op_join_stats.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ops/join_int.h"
#include "ops/ttl.h"

/* window_agg.c: a group table holding only the given slots. */
wd_groups *wd_op__agg_regroup(const wd_groups *g, const wd_type *const *kt, uint32_t nkeys,
                              const uint32_t *live, uint32_t n, uint32_t *newslot);

#define OUT_ROWS WD_BATCH_ROWS      /* rows per output batch */
#define CHUNK 1024u                 /* candidate pairs per residual evaluation */
#define KEYS_SLACK 4096u            /* dead keys a table may hold beyond its live ones */
#define RET_ENC 256u                /* retractions encoded at a time */

/* Output row flags. */
#define EF_RETRACT 1u
#define EF_NULL0 2u /* left side NULL */
#define EF_NULL1 4u /* right side NULL */

/* Per-row disposition of an input batch. */
enum { K_SKIP, K_INS, K_RET, K_NULL_INS, K_NULL_RET };

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

/* TTL stamp: time since the first tick in units of ttl/16, plus one. */
static uint32_t stamp(const join *j) { return j->ttl ? wd_ttl_stamp(j->t0, j->now, j->unit) : 0; }

/* The _timestamp of stored row id of side s of table t. */
static inline int64_t rec_ts(const join *j, const jtable *t, uint32_t s, uint32_t id)
{
    const jside *sd = &t->side[s];
    return jrow_ts(&j->lay[s], RB(sd, R(sd, id)));
}

/* ---- tables ---------------------------------------------------------------------- */

void table_init(jtable *t, const join *j)
{
    memset(t, 0, sizeof *t);
    t->g = wd_groups_new(j->key_types, j->nkeys);
    t->interval = j->mode == WD_JM_INTERVAL;
    for (uint32_t s = 0; s < 2; s++) {
        uint32_t naux = j->mode == WD_JM_INTERVAL ? (j->outer[s] ? 2 : 1)
                        : j->mode == WD_JM_UPDATING && j->outer[s] ? 1
                                                                  : 0;
        side_init(&t->side[s], naux);
    }
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
void table_sync(jtable *t)
{
    uint32_t n = wd_groups_count(t->g);
    if (n <= t->nslots) return;
    if (n > t->cap) {
        uint32_t c0 = t->cap, c1 = t->cap, c2 = t->cap;
        jgrow(&t->head[0], &c0, n, sizeof(uint32_t));
        jgrow(&t->head[1], &c1, n, sizeof(uint32_t));
        jgrow(&t->nullkey, &c2, n, 1);
        t->cap = c0;
    }
    for (uint32_t i = t->nslots; i < n; i++) {
        t->head[0][i] = t->head[1][i] = NONE;
        t->nullkey[i] = 0;
    }
    t->nslots = n;
}

/* Link record id at the head of its key's list on side s. */
void link_rec(jtable *t, uint32_t s, uint32_t id, uint32_t slot)
{
    jside *sd = &t->side[s];
    jrec *r = R(sd, id);
    if (t->head[0][slot] == NONE && t->head[1][slot] == NONE) t->live++;
    r->next = t->head[s][slot];
    if (t->interval) {
        r->w = slot;
        A(sd, id)[AX_PREV] = NONE;
        if (r->next != NONE) A(sd, r->next)[AX_PREV] = id;
    }
    t->head[s][slot] = id;
    sd->rows++;
}

/* Unlink record id (after prev, or first) from key slot's list on side s;
 * its bytes are gone, the record stays (the caller frees it). */
static void unlink_rec(jtable *t, uint32_t s, uint32_t id, uint32_t prev, uint32_t slot)
{
    jside *sd = &t->side[s];
    jrec *r = R(sd, id);
    if (prev != NONE) R(sd, prev)->next = r->next;
    else t->head[s][slot] = r->next;
    if (t->interval) {
        if (r->next != NONE) A(sd, r->next)[AX_PREV] = prev;
        r->w = SLOT_DEAD;
    }
    if (t->head[0][slot] == NONE && t->head[1][slot] == NONE) t->live--;
    r->next = NONE;
    bytes_drop(sd, r);
    sd->rows--;
}

/* INTERVAL: unlink record id of side s (its links and slot are in it). */
static void unlink_id(jtable *t, uint32_t s, uint32_t id)
{
    jside *sd = &t->side[s];
    unlink_rec(t, s, id, A(sd, id)[AX_PREV], R(sd, id)->w);
}

/* Rebuild the group table without keys that have no rows left. */
static void table_compact(jtable *t, const wd_type *const *kt, uint32_t nkeys)
{
    uint32_t n = t->nslots;
    if (n <= (uint64_t)t->live * 2 + KEYS_SLACK) return;
    uint32_t *live = wd_malloc(sizeof(uint32_t) * (t->live + 1));
    uint32_t *newslot = wd_malloc(sizeof(uint32_t) * (t->live + 1));
    uint32_t *remap = t->interval ? wd_malloc(sizeof(uint32_t) * n) : NULL;
    uint32_t nl = 0;
    for (uint32_t i = 0; i < n; i++)
        if (t->head[0][i] != NONE || t->head[1][i] != NONE) live[nl++] = i;
    wd_groups *ng = wd_op__agg_regroup(t->g, kt, nkeys, live, nl, newslot);
    uint32_t cap = nl + nl / 2 + 64;
    uint32_t *h0 = wd_malloc(sizeof(uint32_t) * cap), *h1 = wd_malloc(sizeof(uint32_t) * cap);
    uint8_t *nk = wd_malloc(cap);
    for (uint32_t i = 0; i < nl; i++) {
        if (remap) remap[live[i]] = newslot[i];
        h0[newslot[i]] = t->head[0][live[i]];
        h1[newslot[i]] = t->head[1][live[i]];
        nk[newslot[i]] = t->nullkey[live[i]];
    }
    for (uint32_t s = 0; remap && s < 2; s++) {
        jside *sd = &t->side[s];
        for (uint32_t id = 0; id < sd->nrec; id++)
            if (R(sd, id)->w < SLOT_DEAD) R(sd, id)->w = remap[R(sd, id)->w];
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

/* ---- interval queues ---------------------------------------------------------------- */

/*
 * Per side, every stored row waits in the release queue by the watermark
 * bound past which it goes: rows arriving in bound order are appended to
 * a FIFO, the others go to a min-heap.  The hold heap (outer sides only)
 * holds the stored rows that have not matched yet, by _timestamp: such a
 * row may still be emitted with NULLs, so the watermark passed on stays
 * below the oldest of them; a row leaves it when it first matches, so hold
 * rows keep their place (AX_HPOS).  Entries carry their keys, so ordering
 * never reads the records.
 */

/* Put entry e at position i of h (pos: the side whose hold heap h is). */
static inline void heap_set(jheap *h, jside *pos, uint32_t i, jhent e)
{
    h->v[i] = e;
    if (pos) A(pos, e.id)[AX_HPOS] = i;
}

static void heap_sift_up(jheap *h, jside *pos, uint32_t i, jhent e)
{
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (h->v[p].key <= e.key) break;
        heap_set(h, pos, i, h->v[p]);
        i = p;
    }
    heap_set(h, pos, i, e);
}

static void heap_sift_down(jheap *h, jside *pos, uint32_t i, jhent e)
{
    uint32_t n = h->n;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && h->v[c + 1].key < h->v[c].key) c++;
        if (h->v[c].key >= e.key) break;
        heap_set(h, pos, i, h->v[c]);
        i = c;
    }
    heap_set(h, pos, i, e);
}

static void heap_push(jheap *h, jside *pos, int64_t key, uint32_t id)
{
    jgrow(&h->v, &h->cap, h->n + 1, sizeof(jhent));
    h->n++;
    heap_sift_up(h, pos, h->n - 1, (jhent){key, id});
}

/* Take the entry at position i out of h; returns its record. */
static uint32_t heap_remove(jheap *h, jside *pos, uint32_t i)
{
    uint32_t id = h->v[i].id;
    jhent last = h->v[--h->n];
    if (pos) A(pos, id)[AX_HPOS] = NONE;
    if (i < h->n) {
        heap_sift_down(h, pos, i, last);
        if (h->v[i].id == last.id) heap_sift_up(h, pos, i, last);
    }
    return id;
}

static void relq_push(jrelq *q, int64_t key, uint32_t id)
{
    if (q->n > q->head && key < q->q[q->n - 1].key) {
        heap_push(&q->h, NULL, key, id);
        return;
    }
    if (q->head == q->n) q->head = q->n = 0;
    if (q->n == q->cap && q->head > 0 && q->head >= q->cap / 2) {
        memmove(q->q, q->q + q->head, sizeof(jhent) * (q->n - q->head));
        q->n -= q->head;
        q->head = 0;
    }
    jgrow(&q->q, &q->cap, q->n + 1, sizeof(jhent));
    q->q[q->n++] = (jhent){key, id};
}

/* The smallest bound in q into *key; false when q is empty. */
static bool relq_min(const jrelq *q, int64_t *key)
{
    bool f = q->n > q->head, h = q->h.n > 0;
    if (!f && !h) return false;
    *key = !h || (f && q->q[q->head].key <= q->h.v[0].key) ? q->q[q->head].key : q->h.v[0].key;
    return true;
}

static uint32_t relq_pop(jrelq *q)
{
    bool f = q->n > q->head;
    if (f && (q->h.n == 0 || q->q[q->head].key <= q->h.v[0].key)) return q->q[q->head++].id;
    return heap_remove(&q->h, NULL, 0);
}

void interval_track(join *j, uint32_t s, uint32_t id, bool matched)
{
    jside *sd = &j->t.side[s];
    const uint8_t *p = RB(sd, R(sd, id));
    int64_t t = jrow_time(&j->lay[s], p);
    relq_push(&sd->release, s == 0 ? sat_add(t, j->hi) : sat_sub(t, j->lo), id);
    if (!j->outer[s]) return;
    A(sd, id)[AX_HPOS] = NONE;
    if (!matched) heap_push(&sd->hold, sd, jrow_ts(&j->lay[s], p), id);
}

/* Row id of outer side s has matched (or is gone): it holds nothing back. */
static inline void hold_drop(jside *sd, uint32_t id)
{
    uint32_t i = A(sd, id)[AX_HPOS];
    if (i != NONE) heap_remove(&sd->hold, sd, i);
}

/* ---- building output rows ---------------------------------------------------------- */

/* Null row r of c, and of a struct's children (their values were gathered). */
static void null_deep(wd_col *c, uint32_t r, wd_arena *a)
{
    wd_col_set_null(c, r, a);
    if (c->type->id == WD_T_STRUCT)
        for (uint32_t f = 0; f < c->type->nfields; f++) null_deep(&c->child[f], r, a);
}

/* The columns of layout L that come from the key (JC_KEY) for rows
 * e[0..n): decoded from key table t by slot, NULL in rows flagged nf. */
static void key_columns(const join *j, const jemit *e, uint32_t n, const jtable *t, uint32_t nf,
                        const jlayout *L, wd_col *out, wd_arena *a)
{
    uint32_t *slots = wd_arena_alloc(a, sizeof(uint32_t) * (n ? n : 1));
    for (uint32_t k = 0; k < n; k++) slots[k] = e[k].slot;
    wd_col *keys = wd_arena_alloc(a, sizeof(wd_col) * j->nkeys);
    for (uint32_t k = 0; k < j->nkeys; k++) wd_col_init(&keys[k], j->key_types[k], n, a);
    wd_groups_keys(t->g, slots, n, keys, a);
    for (uint32_t c = 0; c < L->ncols; c++) {
        if (L->kind[c] != JC_KEY) continue;
        wd_col_gather(&out[c], &keys[L->key[c]], NULL, n, a);
        for (uint32_t k = 0; k < n; k++)
            if (e[k].flags & nf) null_deep(&out[c], k, a);
    }
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
            const jside *sd = &t->side[s];
            const jlayout *L = &j->lay[s];
            const uint8_t **rows = wd_arena_alloc(a, sizeof(uint8_t *) * (n ? n : 1));
            for (uint32_t k = 0; k < n; k++)
                rows[k] = (e[k].flags & nf) ? NULL : RB(sd, R(sd, e[k].row[s]));
            jrow_decode(L, rows, n, &out->cols[base], a);
            if (L->nkeycols) key_columns(j, e, n, t, nf, L, &out->cols[base], a);
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

static inline void em_push(join *j, uint32_t r0, uint32_t r1, int64_t ts, uint32_t flags,
                           uint32_t slot)
{
    if (j->nem == j->capem) jgrow(&j->em, &j->capem, j->nem + 1, sizeof(jemit));
    jemit *e = &j->em[j->nem++];
    e->row[0] = r0;
    e->row[1] = r1;
    e->ts = ts;
    e->flags = flags;
    e->slot = slot;
}

/* Queue an output row with side S's row srow and side 1-S's row orow (key
 * slot slot). */
static inline void em_side(join *j, uint32_t S, uint32_t srow, uint32_t orow, int64_t ts,
                           uint32_t flags, uint32_t slot)
{
    if (S == 0) em_push(j, srow, orow, ts, flags, slot);
    else em_push(j, orow, srow, ts, flags, slot);
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

/* ---- storing a batch's rows -------------------------------------------------------- */

static void scratch_reserve(join *j, uint32_t n)
{
    if (n <= j->scap) return;
    uint32_t c[8] = {j->scap, j->scap, j->scap, j->scap, j->scap, j->scap, j->scap, j->scap};
    jgrow(&j->slots, &c[0], n, sizeof(uint32_t));
    jgrow(&j->eff, &c[1], n, sizeof(uint32_t));
    jgrow(&j->kind, &c[2], n, 1);
    jgrow(&j->rts, &c[3], n, sizeof(int64_t));
    jgrow(&j->rt, &c[4], n, sizeof(int64_t));
    jgrow(&j->rows, &c[5], n, sizeof(uint32_t));
    jgrow(&j->size, &c[6], n, sizeof(uint32_t));
    jgrow(&j->dst, &c[7], n, sizeof(uint8_t *));
    j->scap = c[0];
}

static bool key_null(const join *j, const wd_batch *in, uint32_t i)
{
    for (uint32_t k = 0; k < j->nkeys; k++)
        if (!wd_col_valid(&in->cols[k], i)) return true;
    return false;
}

/* Sizes of rows j->rows[0..m) of side s of `in` into j->size; an error
 * when one is too large to keep. */
static int row_sizes(join *j, uint32_t s, const wd_batch *in, uint32_t m, wd_error *err)
{
    uint64_t max = jrow_sizes(&j->lay[s], in->cols + j->nkeys, j->rows, m, j->size);
    if (WD_UNLIKELY(max > UINT32_MAX / 2))
        return wd_err(err, WD_EDATA, "join: a row of %llu bytes is too large to keep",
                      (unsigned long long)max);
    return 0;
}

/*
 * Store rows j->rows[0..m) of side s of `in` in side sd (of a table): a
 * record each (not linked; its id into eff[row]) and its bytes encoded.
 */
static int store_rows(join *j, jside *sd, uint32_t s, const wd_batch *in, uint32_t m,
                      wd_error *err)
{
    if (m == 0) return 0;
    int rc = row_sizes(j, s, in, m, err);
    if (rc < 0) return rc;
    for (uint32_t k = 0; k < m; k++) {
        uint32_t id = rec_alloc(sd);
        j->dst[k] = bytes_reserve(sd, j->size[k], &R(sd, id)->off);
        j->eff[j->rows[k]] = id;
    }
    jrow_encode(&j->lay[s], in->cols + j->nkeys, wd_batch_ts(in), j->rows, m, j->dst);
    return 0;
}

/* A stored row of side s and key slot with the payload of row p (len
 * bytes), or NONE; *prev gets the row before it in the list. */
static uint32_t find_same(const join *j, const jtable *t, uint32_t s, uint32_t slot,
                          const uint8_t *p, size_t len, uint32_t *prev)
{
    const jside *sd = &t->side[s];
    uint32_t pv = NONE;
    for (uint32_t id = t->head[s][slot]; id != NONE; pv = id, id = R(sd, id)->next)
        if (jrow_same(&j->lay[s], p, len, RB(sd, R(sd, id)))) {
            *prev = pv;
            return id;
        }
    return NONE;
}

/* Encode rows j->rows[from..from+m) of side s of `in` into j->enc
 * (retractions, to find their stored rows): row k at j->dst[k], j->size[k]
 * bytes (a row too large to have been stored is left out: NULL). */
static void encode_rows(join *j, uint32_t s, const wd_batch *in, uint32_t from, uint32_t m)
{
    uint32_t *size = j->size + from;
    uint8_t **dst = j->dst + from;
    const uint32_t *rows = j->rows + from;
    uint64_t max = jrow_sizes(&j->lay[s], in->cols + j->nkeys, rows, m, size);
    size_t total = 0;
    for (uint32_t k = 0; k < m; k++) total += size[k];
    if (total > j->enccap) {
        j->enccap = total + total / 2 + 64;
        wd_free(j->enc);
        j->enc = wd_malloc(j->enccap);
        if (WD_UNLIKELY(!j->enc)) wd_panic("join: out of memory");
    }
    uint8_t *p = j->enc;
    for (uint32_t k = 0; k < m; k++) {
        dst[k] = size[k] > UINT32_MAX / 2 ? NULL : p;
        p += size[k];
    }
    const wd_col *pay = in->cols + j->nkeys;
    if (max <= UINT32_MAX / 2) {
        jrow_encode(&j->lay[s], pay, wd_batch_ts(in), rows, m, dst);
        return;
    }
    for (uint32_t k = 0; k < m; k++)
        if (dst[k]) jrow_encode(&j->lay[s], pay, wd_batch_ts(in), rows + k, 1, dst + k);
}

/* The stored row that retraction kr (of j->rows[0..nret)) removes: its
 * place in key slot's list of side s (and the row before it), or NONE.
 * Retractions are encoded RET_ENC at a time, as they are reached. */
static uint32_t find_retracted(join *j, const jtable *t, uint32_t s, const wd_batch *in,
                               uint32_t kr, uint32_t nret, uint32_t *enc_end, uint32_t slot,
                               uint32_t *prev)
{
    if (kr == *enc_end) {
        uint32_t m = nret - kr < RET_ENC ? nret - kr : RET_ENC;
        encode_rows(j, s, in, kr, m);
        *enc_end = kr + m;
    }
    if (WD_UNLIKELY(!j->dst[kr])) return NONE;
    return find_same(j, t, s, slot, j->dst[kr], j->size[kr], prev);
}

/* Store the inserts j->rows[0..nins) of side s of `in` in sd, then list the
 * nret retractions (rows of kind K_RET) in j->rows, in row order, for
 * find_retracted. */
static int stage_rows(join *j, jside *sd, uint32_t s, const wd_batch *in, uint32_t nins,
                      uint32_t nret, wd_error *err)
{
    int rc = store_rows(j, sd, s, in, nins, err);
    if (rc < 0 || nret == 0) return rc;
    nret = 0;
    for (uint32_t i = 0; i < in->nrows; i++)
        if (j->kind[i] == K_RET) j->rows[nret++] = i;
    return 0;
}

/* ---- updating and interval joins ----------------------------------------------------- */

/* Step 1 for updating / interval joins: change side S's state. */
static int ui_state(wd_op *op, join *j, uint32_t S, const wd_batch *in, wd_error *err)
{
    jtable *t = &j->t;
    jside *ss = &t->side[S];
    const jlayout *L = &j->lay[S];
    uint32_t n = in->nrows;
    const int64_t *ts = wd_batch_ts(in);
    const wd_col *tc = j->mode == WD_JM_INTERVAL ? &in->cols[j->time_col[S]] : NULL;
    int64_t wm = op->watermark;
    uint32_t st = stamp(j);
    /* what each row does: inserts to keep into rows[0..nins), retractions
     * counted */
    uint32_t nins = 0, nret = 0;
    for (uint32_t i = 0; i < n; i++) {
        bool ret = in->retract && in->retract[i];
        j->eff[i] = NONE;
        j->rts[i] = ts[i];
        if (key_null(j, in, i) || (tc && !wd_col_valid(tc, i))) {
            j->kind[i] = j->outer[S] ? (ret ? K_NULL_RET : K_NULL_INS) : K_SKIP;
            continue;
        }
        j->rt[i] = tc ? WD_COL_GET(tc, int64_t, i) : 0;
        if (ret) {
            j->kind[i] = K_RET;
            nret++;
            continue;
        }
        j->kind[i] = K_INS;
        if (tc) {
            int64_t bound = S == 0 ? sat_add(j->rt[i], j->hi) : sat_sub(j->rt[i], j->lo);
            if (wm != INT64_MIN && wm > bound) continue; /* joins, but is not kept */
        }
        j->rows[nins++] = i;
    }
    int rc = stage_rows(j, ss, S, in, nins, nret, err);
    if (rc < 0) return rc;
    /* in row order: link the inserts, unlink what the retractions remove */
    uint32_t kr = 0, enc_end = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t slot = j->slots[i], id = j->eff[i];
        if (j->kind[i] == K_RET) {
            uint32_t prev;
            id = find_retracted(j, t, S, in, kr++, nret, &enc_end, slot, &prev);
            if (id == NONE) {
                j->kind[i] = K_SKIP; /* never stored, or expired */
                continue;
            }
            const uint8_t *p = RB(ss, R(ss, id));
            j->rts[i] = jrow_ts(L, p);
            if (tc) {
                j->rt[i] = jrow_time(L, p);
                if (j->outer[S]) hold_drop(ss, id);
            }
            unlink_rec(t, S, id, prev, slot);
            jgrow(&j->deferred, &j->capdef, j->ndef + 1, sizeof(uint32_t));
            j->deferred[j->ndef++] = id;
            j->eff[i] = id;
            continue;
        }
        if (j->kind[i] != K_INS || id == NONE) continue;
        if (!tc) R(ss, id)->w = st;
        link_rec(t, S, id, slot);
        if (tc) interval_track(j, S, id, false);
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
    const jlayout *LO = &j->lay[O];
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
                    if (!interval || in_bounds(j, S, j->rt[ci], jrow_time(LO, RB(os, r))))
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
                c->ts = max64(j->rts[i], rec_ts(j, t, O, o));
                c->flags = 0;
                c->slot = j->slots[i];
                j->cidx[np++] = q;
            }
            rc = residual(j, np, in, (int)S, t, err);
            if (rc < 0) return rc;
        }
        /* apply in row order */
        for (uint32_t q = 0; q < ni; q++) {
            uint32_t i = j->items[q].i, o = j->items[q].o, sl = j->slots[i];
            uint8_t k = j->kind[i];
            if (o != NONE) {
                if (j->ev && !j->pass[q]) continue;
                int64_t ots = rec_ts(j, t, O, o);
                int64_t tt = max64(j->rts[i], ots);
                if (k == K_INS) {
                    if (interval) {
                        if (j->outer[O]) hold_drop(os, o);
                    } else if (j->outer[O]) {
                        uint32_t *nm = &A(os, o)[AX_NMATCH];
                        if (*nm == 0) em_side(j, S, i, o, ots, EF_RETRACT | null_flag(S), sl);
                        if (*nm < UINT32_MAX) (*nm)++;
                        R(os, o)->w = stn;
                    }
                    em_side(j, S, i, o, tt, 0, sl);
                    cnt++;
                } else {
                    em_side(j, S, i, o, tt, EF_RETRACT, sl);
                    if (!interval && j->outer[O] && A(os, o)[AX_NMATCH] > 0) {
                        if (--A(os, o)[AX_NMATCH] == 0) em_side(j, S, i, o, ots, null_flag(S), sl);
                        R(os, o)->w = stn;
                    }
                }
            } else {
                uint32_t e = j->eff[i];
                switch (k) {
                case K_INS:
                    if (!j->outer[S]) break;
                    if (!interval) {
                        if (e != NONE) A(ss, e)[AX_NMATCH] = cnt;
                        if (cnt == 0) em_side(j, S, i, 0, j->rts[i], null_flag(O), sl);
                    } else if (e != NONE) {
                        if (cnt) hold_drop(ss, e);
                    } else if (cnt == 0) {
                        /* not kept (its interval has closed) and unmatched */
                        em_side(j, S, i, 0, j->rts[i], null_flag(O), sl);
                    }
                    break;
                case K_RET:
                    if (!interval && j->outer[S] && A(ss, e)[AX_NMATCH] == 0)
                        em_side(j, S, i, 0, j->rts[i], EF_RETRACT | null_flag(O), sl);
                    break;
                case K_NULL_INS: em_side(j, S, i, 0, j->rts[i], null_flag(O), sl); break;
                case K_NULL_RET:
                    em_side(j, S, i, 0, j->rts[i], EF_RETRACT | null_flag(O), sl);
                    break;
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
    /* retracted records were kept for their match count; interval records
     * are released by their queue */
    if (j->mode != WD_JM_INTERVAL)
        for (uint32_t d = 0; d < j->ndef; d++) rec_free(&j->t.side[S], j->deferred[d]);
    j->ndef = 0;
    store_compact(&j->t, S, &j->lay[S], false);
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
        int64_t bound;
        j->ndef = 0;
        while (relq_min(&sd->release, &bound) && (wm == INT64_MAX || wm > bound)) {
            uint32_t id = relq_pop(&sd->release);
            jgrow(&j->deferred, &j->capdef, j->ndef + 1, sizeof(uint32_t));
            j->deferred[j->ndef++] = id;
            if (!j->outer[s] || R(sd, id)->w >= SLOT_DEAD || A(sd, id)[AX_HPOS] == NONE) continue;
            hold_drop(sd, id);
            em_side(j, s, id, 0, rec_ts(j, t, s, id), null_flag(1 - s), R(sd, id)->w);
            if (rc == 0 && j->nem >= OUT_ROWS) rc = flush_em(op, j, NULL, -1, t, false, err);
        }
        if (rc == 0) rc = flush_em(op, j, NULL, -1, t, true, err);
        for (uint32_t d = 0; d < j->ndef; d++) {
            uint32_t id = j->deferred[d];
            if (R(sd, id)->w < SLOT_DEAD) unlink_id(t, s, id);
            rec_free(sd, id);
        }
        j->ndef = 0;
        j->nem = 0;
        store_compact(t, s, &j->lay[s], false);
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
            int64_t held = sat_sub(sd->hold.v[0].key, 1);
            if (held < wm) wm = held;
        }
    }
    return wm;
}

/* TTL: drop rows not updated for ttl (no output). */
static void ttl_expire(join *j)
{
    uint32_t now = stamp(j);
    jtable *t = &j->t;
    for (uint32_t s = 0; s < 2; s++) {
        jside *sd = &t->side[s];
        for (uint32_t slot = 0; slot < t->nslots; slot++) {
            uint32_t prev = NONE;
            for (uint32_t id = t->head[s][slot]; id != NONE;) {
                jrec *r = R(sd, id);
                uint32_t next = r->next;
                if (r->w == 0) { /* stored before the first tick */
                    r->w = now;
                    prev = id;
                } else if ((int64_t)(now - r->w) * j->unit < j->ttl) {
                    prev = id;
                } else {
                    unlink_rec(t, s, id, prev, slot);
                    rec_free(sd, id);
                }
                id = next;
            }
        }
        store_compact(t, s, &j->lay[s], false);
    }
    table_compact(t, j->key_types, j->nkeys);
}

/* ---- windowed joins ---------------------------------------------------------------- */

jbucket *bucket_get(join *j, int64_t ts)
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
        table_init(&b->t, j);
    }
    b->ts = ts;
    jgrow(&j->buckets, &j->capbuckets, j->nbuckets + 1, sizeof(jbucket *));
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
    uint32_t nins = 0, nret = 0;
    for (uint32_t i = 0; i < n; i++) {
        bool nk = key_null(j, b, i);
        j->kind[i] = K_SKIP;
        j->eff[i] = NONE;
        if (nk && !j->outer[S]) continue;
        if (nk) t->nullkey[j->slots[i]] = 1;
        if (b->retract && b->retract[i]) {
            j->kind[i] = K_RET;
            nret++;
        } else {
            j->kind[i] = K_INS;
            j->rows[nins++] = i;
        }
    }
    int rc = stage_rows(j, ss, S, b, nins, nret, err);
    if (rc < 0) return rc;
    uint32_t kr = 0, enc_end = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t slot = j->slots[i];
        if (j->kind[i] == K_INS) {
            link_rec(t, S, j->eff[i], slot);
        } else if (j->kind[i] == K_RET) {
            uint32_t prev;
            uint32_t id = find_retracted(j, t, S, b, kr++, nret, &enc_end, slot, &prev);
            if (id != NONE) {
                unlink_rec(t, S, id, prev, slot);
                rec_free(ss, id);
            }
        }
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
        for (uint32_t id = 0; id < t->side[s].nrec; id++) R(&t->side[s], id)->w = 0;
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
                c->ts = max64(rec_ts(j, t, 0, cl), rec_ts(j, t, 1, cr));
                c->flags = 0;
                c->slot = slot;
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
            R(l, c->row[0])->w++;
            R(r, c->row[1])->w++;
            em_push(j, c->row[0], c->row[1], c->ts, 0, c->slot);
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
                if (R(sd, id)->w == 0)
                    em_push(j, s ? 0 : id, s ? id : 0, rec_ts(j, t, s, id), null_flag(1 - s),
                            sl);
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
            if (c < (int)nk || (uint32_t)c >= in[s]->nfields ||
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
    for (uint32_t s = 0; s < 2; s++)
        jlayout_init(&j->lay[s], in[s], nk, sp->pay_key[s],
                     sp->mode == WD_JM_INTERVAL ? j->time_col[s] : -1);
    j->key_types = wd_calloc(nk ? nk : 1, sizeof(wd_type *));
    for (uint32_t k = 0; k < nk && j->key_types; k++) j->key_types[k] = in[0]->fields[k].type;
    if (sp->residual) {
        const wd_expr *e = sp->residual;
        j->ev = wd_eval_new(&e, 1);
    }
    if (j->mode != WD_JM_WINDOWED && j->key_types) table_init(&j->t, j);
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
    j->fp = wd_op__join_fingerprint(node, sp);
    if (!j->key_types || (sp->residual && !j->ev) || !j->items || !j->cand || !j->cidx ||
        !j->sel || !j->pass) {
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
    jlayout_free(&j->lay[0]);
    jlayout_free(&j->lay[1]);
    wd_free(j->key_types);
    wd_free(j->slots);
    wd_free(j->eff);
    wd_free(j->kind);
    wd_free(j->rts);
    wd_free(j->rt);
    wd_free(j->rows);
    wd_free(j->size);
    wd_free(j->dst);
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

/* The join operator: see ops/join.h for the contract, the banner for the design. */
const wd_op_vt wd_op_join_vt = {
    .name = "join",
    .open = join_open,
    .on_batch = join_batch,
    .on_watermark = join_watermark,
    .on_end = join_end,
    .on_tick = join_tick,
    .snapshot = wd_op__join_snapshot,
    .restore = wd_op__join_restore,
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
                  (size_t)j->scap * (5 * sizeof(uint32_t) + 1 + 2 * sizeof(int64_t) +
                                     sizeof(uint8_t *));
}
