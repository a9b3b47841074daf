/*
 * window_agg.c — the aggregate operator (wd_op_aggregate_vt): tumbling,
 * hopping and session windows here; the updating aggregate (no window)
 * lives in updating_agg.c and is dispatched to from this file's table.
 *
 * State layout.
 *  - A *bucket* is one time range [start, start + size) with its own group
 *    table (wd_groups), state rows (stride bytes per group, grown
 *    geometrically) and an arena for out-of-line aggregate state.  Buckets
 *    are kept in an array sorted by start.  A tumbling window is one
 *    bucket (size = width); a hopping window is made of panes, buckets of
 *    size = slide.  A row updates exactly one bucket: per batch, rows are
 *    routed to buckets (a batch that falls in one bucket, the usual case,
 *    is applied as it is; otherwise each bucket gets a gathered sub-batch)
 *    and aggregated with one wd_agg_apply per bucket.
 *  - Hop: a window [s, s + width) is panes s, s + slide … s + width - slide.
 *    Per key, the panes holding the key that lie in the current window form
 *    a queue, threaded through the panes themselves (pane slot → the same
 *    key's slot in its next pane).  The queue is aggregated with the
 *    "two stacks" sliding-window scheme: the older part (front) holds
 *    suffix aggregates (front element i = merge of elements i … end of
 *    front), the newer part (back) is summed into one running state per key.
 *    Window result = merge(front head, back sum).  A pane entering a window
 *    costs one merge per key; a pane leaving costs O(1) amortised per key
 *    (when the front is empty the back is turned into suffix aggregates,
 *    one merge per element, each element flipped once).  Only `merge` is
 *    needed, so min/max and every other aggregate get the same bound as
 *    sum/count; `retract` is not used.
 *    Complexity: O(1) per input row (the pane update, as for a tumble),
 *    O(1) amortised merges per (key, pane) for entering and leaving, and
 *    O(1) per emitted row (at most two merges and one finalize).  None of
 *    it grows with width/slide.  A global hop (no keys) costs O(1) per
 *    fired window.  A key seen in one pane costs O(1) for the row plus one
 *    output row per window containing the pane (width/slide of them: that
 *    is the output).
 *  - Session: one group table for keys; per key a short list of open
 *    sessions (first, last row time; the session is [first, last + gap)),
 *    state rows in one pool with a free list, and a min-heap of sessions by
 *    end.  A row joins the session it is within gap of, extending it; a
 *    session that then reaches another one absorbs it (states merged after
 *    the batch is applied, in the order the merges happened).
 *
 * Time.  A window (bucket, session) fires when the watermark reaches its
 * end - 1 ns; its rows are stamped end - 1.  A row whose window has fired
 * (hop: whose pane's first window has fired) is late: it is dropped and
 * counted in op->metrics.late_dropped.  "Fired" goes by the watermark and,
 * after a restore, by what the checkpointed instances had fired.  Rows so
 * close to the ends of the int64 range that window bounds would overflow
 * are dropped the same way.  At end of input every window fires.  Windows
 * without rows emit nothing.
 *
 * Memory: group tables of the hop running state and of sessions only ever
 * grow while keys arrive; they are rebuilt with the live keys when dead
 * keys outnumber them.  Out-of-line session state (text copies, distinct
 * sets) lives in one arena that is reset whenever no session is open.
 *
 * Checkpoints (vt snapshot / restore): buckets, the hop running state and
 * open sessions are written as keyed records, one per group, by walking
 * the arrays; the windows fired so far go in a global record and also
 * count as late after a restore.  Tables and the rules for restoring at
 * another parallelism: see the section "checkpoints" below.
 *
 * Exports: wd_op_aggregate_vt, wd_window_type, wd_op__agg_regroup (shared
 * with updating_agg.c).
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ops/aggregate.h"
#include "state/snapshot.h"

/* updating_agg.c: the operator for WD_WIN_NONE. */
extern const wd_op_vt wd_op__updating_agg_vt;

#define NONE UINT32_MAX
#define OUT_ROWS WD_BATCH_ROWS

/* ---- the window type ------------------------------------------------------ */

static const wd_field win_fields[2] = {
    {"start", &wd_type_timestamp_, false},
    {"end", &wd_type_timestamp_, false},
};
static const wd_type win_type = {.id = WD_T_STRUCT, .nfields = 2, .fields = win_fields};

/* The STRUCT<start TIMESTAMP, end TIMESTAMP> type of window columns (static). */
const wd_type *wd_window_type(void) { return &win_type; }

/* ---- group-table rebuild (shared with updating_agg.c and topn.c) ----------- */

/*
 * A new group table with the keys of slots live[0..n) of g (key types kt,
 * nkeys of them); newslot[i] receives the new slot of live[i].  g is left
 * as it is (the caller frees it).  Used to drop dead keys from tables that
 * only grow.
 */
wd_groups *wd_op__agg_regroup(const wd_groups *g, const wd_type *const *kt, uint32_t nkeys,
                              const uint32_t *live, uint32_t n, uint32_t *newslot)
{
    wd_groups *ng = wd_groups_new(kt, nkeys);
    wd_arena a;
    wd_arena_init(&a, 0);
    for (uint32_t off = 0; off < n;) {
        uint32_t m = n - off > 4096 ? 4096 : n - off;
        wd_col *cols = wd_arena_alloc(&a, sizeof(wd_col) * (nkeys ? nkeys : 1));
        for (uint32_t k = 0; k < nkeys; k++) wd_col_init(&cols[k], kt[k], m, &a);
        wd_groups_keys(g, live + off, m, cols, &a);
        uint32_t nnew = 0;
        wd_groups_lookup(ng, cols, m, NULL, newslot + off, &nnew);
        wd_arena_reset(&a);
        off += m;
    }
    wd_arena_free(&a);
    return ng;
}

/* ---- aggregate definitions -------------------------------------------------- */

typedef struct aggdef {
    wd_agg_spec *aggs;           /* copy of the spec's calls, layout applied */
    uint32_t naggs, nkeys, stride;
    bool destroy;                /* some aggregate has WD_AGG_DESTROY */
    const wd_type **key_types;
    uint64_t fp;                 /* wd_agg_fingerprint (0: cannot be checkpointed) */
    bool plain;                  /* state rows are plain bytes: saved as plain_bytes */
    uint32_t plain_bytes;
} aggdef;

static void aggdef_init(aggdef *d, const wd_aggregate_spec *sp, const wd_type *in)
{
    d->naggs = sp->naggs;
    d->nkeys = sp->nkeys;
    d->aggs = wd_calloc(sp->naggs ? sp->naggs : 1, sizeof(wd_agg_spec));
    if (sp->naggs) memcpy(d->aggs, sp->aggs, sp->naggs * sizeof(wd_agg_spec));
    d->stride = wd_agg_layout(d->aggs, d->naggs);
    if (d->stride == 0) d->stride = 8;
    for (uint32_t k = 0; k < d->naggs; k++)
        if (d->aggs[k].fn->flags & WD_AGG_DESTROY) d->destroy = true;
    d->key_types = wd_calloc(d->nkeys ? d->nkeys : 1, sizeof(wd_type *));
    for (uint32_t k = 0; k < d->nkeys; k++) d->key_types[k] = in->fields[k].type;
    d->fp = wd_agg_fingerprint(d->aggs, d->naggs, d->stride, d->key_types, d->nkeys);
    d->plain = d->fp && wd_agg_row_plain(d->aggs, d->naggs, &d->plain_bytes);
}

static void aggdef_free(aggdef *d)
{
    wd_free(d->aggs);
    wd_free(d->key_types);
}

/* Initialise state rows [from, to) of base. */
static void states_init(const aggdef *d, uint8_t *base, uint32_t from, uint32_t to)
{
    if (to <= from) return;
    for (uint32_t k = 0; k < d->naggs; k++)
        d->aggs[k].fn->init(&d->aggs[k], base + (size_t)from * d->stride + d->aggs[k].offset,
                            d->stride, to - from);
}

static void state_destroy(const aggdef *d, uint8_t *row)
{
    if (!d->destroy) return;
    for (uint32_t k = 0; k < d->naggs; k++)
        if (d->aggs[k].fn->flags & WD_AGG_DESTROY)
            d->aggs[k].fn->destroy(&d->aggs[k], row + d->aggs[k].offset);
}

/* dst += src for every aggregate. */
static void state_merge(const aggdef *d, wd_agg_ctx *c, uint8_t *dst, const uint8_t *src)
{
    for (uint32_t k = 0; k < d->naggs; k++)
        d->aggs[k].fn->merge(&d->aggs[k], c, dst + d->aggs[k].offset, src + d->aggs[k].offset);
}

/* Make room for `need` state rows in *base (capacity *cap, geometric). */
static void states_reserve(const aggdef *d, uint8_t **base, uint32_t *cap, uint32_t need)
{
    if (need <= *cap) return;
    uint32_t nc = *cap ? *cap : 16;
    while (nc < need) nc = nc > UINT32_MAX / 2 ? need : nc * 2;
    *base = wd_realloc(*base, (size_t)nc * d->stride);
    *cap = nc;
}

static void *grow_array(void *p, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap) return p;
    uint32_t nc = *cap ? *cap : 16;
    while (nc < need) nc = nc > UINT32_MAX / 2 ? need : nc * 2;
    *cap = nc;
    return wd_realloc(p, (size_t)nc * elem);
}

/* ---- buckets (tumbling windows, hop panes) ------------------------------- */

typedef struct bucket {
    int64_t start;
    wd_groups *groups;
    uint8_t *states;
    uint32_t cap, n;             /* state rows allocated / initialised */
    wd_arena arena;              /* out-of-line aggregate state */
    wd_agg_ctx ctx;
    /* hop, once the pane is complete: per slot, the key's running slot and
     * the key's element in its next pane (NULL: none yet) */
    uint32_t *rslot;
    struct bucket **nextb;
    uint32_t *nexts;
    uint32_t lcap;               /* capacity of rslot/nextb/nexts while restoring */
    /* per-batch routing */
    uint32_t tcount, tpos;
} bucket;

/* Hop running state of one key: its queue of pane elements. */
typedef struct rkey {
    bucket *hb, *sb, *tb;        /* head (oldest), split (first back), tail */
    uint32_t hs, ss, ts;         /* their slots */
    uint32_t nfront, nback;
    uint32_t apos;               /* index in active */
} rkey;

typedef struct sess {
    int64_t first, last;         /* row times; the session is [first, last + gap) */
    uint32_t key;                /* slot in the session group table */
    uint32_t next;               /* next open session of the key, or NONE */
    uint32_t hpos;               /* index in the heap */
} sess;

typedef struct winagg {
    aggdef d;
    const wd_type *out_schema;
    wd_win_kind kind;            /* TUMBLE (also hop with slide == width), HOP, SESSION */
    int64_t width, slide, gap;
    int64_t bsize;               /* bucket size: width (tumble) or slide (hop) */
    int64_t ts_lo, ts_hi;        /* rows outside are dropped (overflow guard) */
    int64_t fired;               /* every window with end - 1 <= fired has fired */

    bucket **bk;                 /* sorted by start */
    uint32_t nbk, capbk;
    uint32_t npushed;            /* hop: bk[0..npushed) are in the running state */

    /* per-batch scratch */
    bucket **rowb;
    uint32_t *sel, *slots;
    uint32_t scap;
    bucket **touched;
    uint32_t captouched;

    /* output chunk scratch (OUT_ROWS each) */
    uint32_t *oids;
    const uint8_t **optr;
    int64_t *ows, *owe;
    uint8_t *tmp;                /* hop: OUT_ROWS temporary state rows */
    bool *tmpused;
    wd_arena scratch;
    wd_agg_ctx sctx;             /* over scratch */

    /* hop running state */
    wd_groups *rg;
    rkey *rk;
    uint8_t *rback;
    uint32_t rcap, rn;           /* rk/rback capacity / initialised */
    uint32_t *active;
    uint32_t nactive, capactive;
    int64_t next_s;              /* next window start that may fire */
    bucket **fb;
    uint32_t *fs;
    uint32_t fcap;

    /* sessions */
    wd_groups *sg;
    uint32_t *khead;
    uint32_t kcap, nlivekeys;
    sess *ss;
    uint8_t *sstates;
    uint32_t sscap, sstcap, sn;  /* sess capacity, state capacity, high-water */
    uint32_t *freel;
    uint32_t nfree, capfree;
    uint32_t *heap;
    uint32_t nheap, capheap;
    uint32_t *mg;                /* pairs (absorbed, into) of this batch */
    uint32_t nmg, capmg;
    wd_arena sarena;
    wd_agg_ctx sactx;
    /* a fired bucket kept for the next one: its group table, state rows and
     * arena are reused instead of being allocated (and page-faulted) anew */
    struct bucket *spare;
    uint32_t last_groups;        /* groups of the last bucket freed: the size hint */
    bool closing;
} winagg;

static bucket *bucket_new(winagg *w, int64_t start)
{
    if (w->spare) {
        bucket *b = w->spare;
        w->spare = NULL;
        b->start = start;
        return b;
    }
    bucket *b = wd_calloc(1, sizeof *b);
    b->start = start;
    b->groups = wd_groups_new(w->d.key_types, w->d.nkeys);
    wd_groups_reserve(b->groups, w->last_groups);
    wd_arena_init(&b->arena, 0);
    b->ctx.arena = &b->arena;
    return b;
}

static void bucket_free(winagg *w, bucket *b)
{
    if (w->d.destroy)
        for (uint32_t i = 0; i < b->n; i++) state_destroy(&w->d, b->states + (size_t)i * w->d.stride);
    w->last_groups = wd_groups_count(b->groups);
    if (!w->spare && !w->closing) {
        /* keep it for the next bucket: emptied, capacity kept */
        wd_groups_clear(b->groups);
        wd_arena_reset(&b->arena);
        wd_free(b->rslot);
        wd_free(b->nextb);
        wd_free(b->nexts);
        b->rslot = NULL;
        b->nextb = NULL;
        b->nexts = NULL;
        b->lcap = 0;
        b->n = 0;
        b->tcount = b->tpos = 0;
        w->spare = b;
        return;
    }
    wd_groups_free(b->groups);
    wd_free(b->states);
    wd_free(b->rslot);
    wd_free(b->nextb);
    wd_free(b->nexts);
    wd_arena_free(&b->arena);
    wd_free(b);
}

/* The bucket starting at start, created when absent. */
static bucket *bucket_get(winagg *w, int64_t start)
{
    uint32_t lo = 0, hi = w->nbk;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (w->bk[mid]->start < start) lo = mid + 1;
        else hi = mid;
    }
    if (lo < w->nbk && w->bk[lo]->start == start) return w->bk[lo];
    /* a pane that is still being filled is never older than a pushed one */
    if (lo < w->npushed) wd_panic("window_agg: row routed before a pushed pane");
    w->bk = grow_array(w->bk, &w->capbk, w->nbk + 1, sizeof(bucket *));
    memmove(w->bk + lo + 1, w->bk + lo, (w->nbk - lo) * sizeof(bucket *));
    w->bk[lo] = bucket_new(w, start);
    w->nbk++;
    return w->bk[lo];
}

/* Remove bk[i] from the array (does not free it). */
static void bucket_remove(winagg *w, uint32_t i)
{
    memmove(w->bk + i, w->bk + i + 1, (w->nbk - i - 1) * sizeof(bucket *));
    w->nbk--;
}

/* Aggregate every row of batch (all of which belong to b) into b. */
static void bucket_apply(winagg *w, bucket *b, const wd_batch *in)
{
    uint32_t nnew = 0;
    wd_groups_lookup(b->groups, in->cols, in->nrows, NULL, w->slots, &nnew);
    uint32_t cnt = wd_groups_count(b->groups);
    if (cnt > b->n) {
        states_reserve(&w->d, &b->states, &b->cap, cnt);
        states_init(&w->d, b->states, b->n, cnt);
        b->n = cnt;
    }
    wd_agg_apply(w->d.aggs, w->d.naggs, &b->ctx, b->states, w->d.stride, in, w->slots, 1);
}

static void scratch_reserve(winagg *w, uint32_t n)
{
    if (n <= w->scap) return;
    uint32_t c = n < 1024 ? 1024 : n;
    wd_free(w->rowb);
    wd_free(w->sel);
    wd_free(w->slots);
    w->rowb = wd_malloc(sizeof(bucket *) * c);
    w->sel = wd_malloc(sizeof(uint32_t) * c);
    w->slots = wd_malloc(sizeof(uint32_t) * c);
    w->scap = c;
}

/* Rows whose window ends at or before this are late: the watermark, or
 * what restored state says has fired already (see win_restore). */
static inline int64_t late_wm(const wd_op *op, const winagg *w)
{
    return w->fired > op->watermark ? w->fired : op->watermark;
}

static void count_late(wd_op *op, uint64_t n)
{
    if (n) atomic_fetch_add_explicit(&op->metrics.late_dropped, n, memory_order_relaxed);
}

/* Route the rows of in to their buckets (tumble windows or hop panes). */
static int buckets_batch(wd_op *op, winagg *w, wd_batch *in)
{
    uint32_t n = in->nrows;
    const int64_t *ts = wd_batch_ts(in);
    const int64_t wm = late_wm(op, w), size = w->bsize;
    scratch_reserve(w, n);
    uint32_t nlate = 0, ntouched = 0;
    bucket *last = NULL;
    int64_t last_start = 0;
    bool have_last = false;
    for (uint32_t i = 0; i < n; i++) {
        int64_t t = ts[i];
        if (WD_UNLIKELY(t < w->ts_lo || t > w->ts_hi)) {
            w->rowb[i] = NULL;
            nlate++;
            continue;
        }
        int64_t m = t % size;
        if (m < 0) m += size;
        int64_t start = t - m;
        if (!have_last || start != last_start) {
            have_last = true;
            last_start = start;
            /* late when the bucket's first window has fired: the bucket
             * ends no later than the watermark */
            if (start + size - 1 <= wm) {
                last = NULL;
            } else {
                last = bucket_get(w, start);
                if (last->tcount == 0) {
                    w->touched = grow_array(w->touched, &w->captouched, ntouched + 1,
                                            sizeof(bucket *));
                    w->touched[ntouched++] = last;
                }
            }
        }
        w->rowb[i] = last;
        if (last) last->tcount++;
        else nlate++;
    }
    count_late(op, nlate);
    if (ntouched == 1 && nlate == 0) {
        bucket_apply(w, w->touched[0], in);
        w->touched[0]->tcount = 0;
        return 0;
    }
    uint32_t pos = 0;
    for (uint32_t j = 0; j < ntouched; j++) {
        w->touched[j]->tpos = pos;
        pos += w->touched[j]->tcount;
    }
    for (uint32_t i = 0; i < n; i++)
        if (w->rowb[i]) w->sel[w->rowb[i]->tpos++] = i;
    pos = 0;
    for (uint32_t j = 0; j < ntouched; j++) {
        bucket *b = w->touched[j];
        wd_batch *sub = wd_batch_gather(in, w->sel + pos, b->tcount);
        pos += b->tcount;
        b->tcount = 0;
        bucket_apply(w, b, sub);
        wd_batch_release(sub);
    }
    return 0;
}

/* ---- output --------------------------------------------------------------- */

/*
 * Emit m rows (m <= OUT_ROWS): keys of oids[r] in group table g, window
 * {ows[r], owe[r]}, aggregates finalized from state rows optr[r], stamped
 * owe[r] - 1.
 */
static int emit_chunk(wd_op *op, winagg *w, const wd_groups *g, uint32_t m, wd_error *err)
{
    if (m == 0) return 0;
    const aggdef *d = &w->d;
    wd_batch *out = wd_batch_new(w->out_schema, m);
    if (!out) return wd_err(err, WD_ENOMEM, "aggregate: out of memory");
    wd_groups_keys(g, w->oids, m, out->cols, &out->arena);
    wd_col *wc = &out->cols[d->nkeys];
    int64_t *ws = wc->child[0].data, *we = wc->child[1].data;
    memcpy(ws, w->ows, m * sizeof(int64_t));
    memcpy(we, w->owe, m * sizeof(int64_t));
    for (uint32_t k = 0; k < d->naggs; k++) {
        const wd_agg_spec *s = &d->aggs[k];
        wd_col *c = &out->cols[d->nkeys + 1 + k];
        for (uint32_t r = 0; r < m; r++) s->fn->finalize(s, w->optr[r] + s->offset, c, r, &out->arena);
    }
    int64_t *ts = wd_batch_ts(out);
    for (uint32_t r = 0; r < m; r++) ts[r] = w->owe[r] - 1;
    out->nrows = m;
    wd_batch_seal(out);
    int rc = wd_op_emit(op, out, err);
    wd_batch_release(out);
    return rc;
}

/* Emit every group of bucket b as window [b->start, b->start + width). */
static int fire_bucket(wd_op *op, winagg *w, bucket *b, wd_error *err)
{
    uint32_t cnt = wd_groups_count(b->groups);
    int64_t end = b->start + w->width;
    for (uint32_t off = 0; off < cnt; off += OUT_ROWS) {
        uint32_t m = cnt - off < OUT_ROWS ? cnt - off : OUT_ROWS;
        for (uint32_t r = 0; r < m; r++) {
            w->oids[r] = off + r;
            w->optr[r] = b->states + (size_t)(off + r) * w->d.stride;
            w->ows[r] = b->start;
            w->owe[r] = end;
        }
        int rc = emit_chunk(op, w, b->groups, m, err);
        if (rc < 0) return rc;
    }
    return 0;
}

/* Tumble: fire every bucket whose end - 1 <= wm, in start order. */
static int tumble_fire(wd_op *op, winagg *w, int64_t wm, wd_error *err)
{
    while (w->nbk && w->bk[0]->start + w->width - 1 <= wm) {
        bucket *b = w->bk[0];
        bucket_remove(w, 0);
        int rc = fire_bucket(op, w, b, err);
        bucket_free(w, b);
        if (rc < 0) return rc;
    }
    return 0;
}

/* ---- hop: running state ---------------------------------------------------- */

static inline uint8_t *pstate(const winagg *w, const bucket *b, uint32_t s)
{
    return b->states + (size_t)s * w->d.stride;
}

static inline uint8_t *rback(const winagg *w, uint32_t r)
{
    return w->rback + (size_t)r * w->d.stride;
}

static void active_add(winagg *w, uint32_t r)
{
    w->active = grow_array(w->active, &w->capactive, w->nactive + 1, sizeof(uint32_t));
    w->rk[r].apos = w->nactive;
    w->active[w->nactive++] = r;
}

static void active_del(winagg *w, uint32_t r)
{
    uint32_t p = w->rk[r].apos, last = w->active[--w->nactive];
    w->active[p] = last;
    w->rk[last].apos = p;
}

/* Make room for and initialise running slots up to cnt. */
static void running_reserve(winagg *w, uint32_t cnt)
{
    if (cnt <= w->rn) return;
    if (cnt > w->rcap) {
        uint32_t cap = w->rcap;
        w->rk = grow_array(w->rk, &cap, cnt, sizeof(rkey));
        w->rback = wd_realloc(w->rback, (size_t)cap * w->d.stride);
        w->rcap = cap;
    }
    memset(w->rk + w->rn, 0, (cnt - w->rn) * sizeof(rkey));
    states_init(&w->d, w->rback, w->rn, cnt);
    w->rn = cnt;
}

/* Append complete pane p to the queue of every key it holds. */
static void hop_push(winagg *w, bucket *p)
{
    uint32_t m = wd_groups_count(p->groups);
    const aggdef *d = &w->d;
    wd_arena_reset(&w->scratch);
    uint32_t *ids = wd_arena_alloc(&w->scratch, sizeof(uint32_t) * (m ? m : 1));
    wd_col *cols = wd_arena_alloc(&w->scratch, sizeof(wd_col) * (d->nkeys ? d->nkeys : 1));
    for (uint32_t j = 0; j < m; j++) ids[j] = j;
    for (uint32_t k = 0; k < d->nkeys; k++) wd_col_init(&cols[k], d->key_types[k], m, &w->scratch);
    wd_groups_keys(p->groups, ids, m, cols, &w->scratch);
    p->rslot = wd_malloc(sizeof(uint32_t) * (m ? m : 1));
    p->nextb = wd_malloc(sizeof(bucket *) * (m ? m : 1));
    p->nexts = wd_malloc(sizeof(uint32_t) * (m ? m : 1));
    uint32_t nnew = 0;
    wd_groups_lookup(w->rg, cols, m, NULL, p->rslot, &nnew);
    wd_arena_reset(&w->scratch);
    running_reserve(w, wd_groups_count(w->rg));
    for (uint32_t j = 0; j < m; j++) {
        uint32_t r = p->rslot[j];
        rkey *K = &w->rk[r];
        p->nextb[j] = NULL;
        p->nexts[j] = 0;
        if (K->nfront + K->nback == 0) {
            K->hb = p;
            K->hs = j;
            active_add(w, r);
        } else {
            K->tb->nextb[K->ts] = p;
            K->tb->nexts[K->ts] = j;
        }
        K->tb = p;
        K->ts = j;
        if (K->nback == 0) {
            K->sb = p;
            K->ss = j;
        }
        /* the back sum's out-of-line state lives with its oldest pane,
         * which outlives the sum (the sum is reset when the back flips) */
        state_merge(d, &K->sb->ctx, rback(w, r), pstate(w, p, j));
        K->nback++;
    }
}

/* Turn key r's back into suffix aggregates: the front. */
static void hop_flip(winagg *w, uint32_t r)
{
    rkey *K = &w->rk[r];
    uint32_t n = K->nback;
    if (n > w->fcap) {
        uint32_t c = w->fcap;
        w->fb = grow_array(w->fb, &c, n, sizeof(bucket *));
        w->fs = wd_realloc(w->fs, (size_t)c * sizeof(uint32_t));
        w->fcap = c;
    }
    bucket *b = K->sb;
    uint32_t s = K->ss;
    for (uint32_t i = 0; i < n; i++) {
        w->fb[i] = b;
        w->fs[i] = s;
        bucket *nb = b->nextb[s];
        s = b->nexts[s];
        b = nb;
    }
    for (uint32_t i = n - 1; i-- > 0;)
        state_merge(&w->d, &w->fb[i]->ctx, pstate(w, w->fb[i], w->fs[i]),
                    pstate(w, w->fb[i + 1], w->fs[i + 1]));
    K->nfront = n;
    K->nback = 0;
    K->sb = NULL;
    state_destroy(&w->d, rback(w, r));
    states_init(&w->d, w->rback, r, r + 1);
}

/* Pane p (the oldest pushed) leaves the window: drop it from every queue. */
static void hop_evict(winagg *w, bucket *p)
{
    uint32_t m = wd_groups_count(p->groups);
    for (uint32_t j = 0; j < m; j++) {
        uint32_t r = p->rslot[j];
        rkey *K = &w->rk[r];
        if (K->nfront == 0) hop_flip(w, r);
        if (K->hb != p || K->hs != j) wd_panic("window_agg: pane queue out of order");
        K->hb = p->nextb[j];
        K->hs = p->nexts[j];
        K->nfront--;
        if (K->nfront + K->nback == 0) active_del(w, r);
    }
}

/* Emit window [s, s + width) from the running state of the active keys. */
static int hop_emit(wd_op *op, winagg *w, int64_t s, wd_error *err)
{
    const aggdef *d = &w->d;
    int64_t end = s + w->width;
    for (uint32_t off = 0; off < w->nactive; off += OUT_ROWS) {
        uint32_t m = w->nactive - off < OUT_ROWS ? w->nactive - off : OUT_ROWS;
        for (uint32_t i = 0; i < m; i++) {
            uint32_t r = w->active[off + i];
            const rkey *K = &w->rk[r];
            w->oids[i] = r;
            w->ows[i] = s;
            w->owe[i] = end;
            w->tmpused[i] = false;
            if (K->nfront == 0) {
                w->optr[i] = rback(w, r);
            } else if (K->nback == 0) {
                w->optr[i] = pstate(w, K->hb, K->hs);
            } else {
                uint8_t *t = w->tmp + (size_t)i * d->stride;
                states_init(d, w->tmp, i, i + 1);
                state_merge(d, &w->sctx, t, pstate(w, K->hb, K->hs));
                state_merge(d, &w->sctx, t, rback(w, r));
                w->tmpused[i] = true;
                w->optr[i] = t;
            }
        }
        int rc = emit_chunk(op, w, w->rg, m, err);
        for (uint32_t i = 0; i < m; i++)
            if (w->tmpused[i]) state_destroy(d, w->tmp + (size_t)i * d->stride);
        wd_arena_reset(&w->scratch);
        if (rc < 0) return rc;
    }
    return 0;
}

/* Rebuild the running group table with the active keys only. */
static void hop_compact(winagg *w)
{
    uint32_t old = wd_groups_count(w->rg);
    uint32_t na = w->nactive;
    uint32_t *newslot = wd_malloc(sizeof(uint32_t) * (na ? na : 1));
    uint32_t *remap = wd_malloc(sizeof(uint32_t) * (old ? old : 1));
    wd_groups *ng = wd_op__agg_regroup(w->rg, w->d.key_types, w->d.nkeys, w->active, na, newslot);
    for (uint32_t i = 0; i < old; i++) remap[i] = NONE;
    for (uint32_t i = 0; i < na; i++) remap[w->active[i]] = newslot[i];
    rkey *nk = wd_calloc(na ? na : 1, sizeof(rkey));
    uint8_t *nback = wd_malloc((size_t)(na ? na : 1) * w->d.stride);
    for (uint32_t i = 0; i < old; i++) {
        if (remap[i] == NONE) {
            state_destroy(&w->d, rback(w, i));
            continue;
        }
        nk[remap[i]] = w->rk[i];
        nk[remap[i]].apos = remap[i];
        memcpy(nback + (size_t)remap[i] * w->d.stride, rback(w, i), w->d.stride);
    }
    for (uint32_t i = 0; i < na; i++) w->active[i] = i;
    for (uint32_t b = 0; b < w->npushed; b++) {
        bucket *p = w->bk[b];
        uint32_t m = wd_groups_count(p->groups);
        for (uint32_t j = 0; j < m; j++) p->rslot[j] = remap[p->rslot[j]];
    }
    wd_groups_free(w->rg);
    wd_free(w->rk);
    wd_free(w->rback);
    w->rg = ng;
    w->rk = nk;
    w->rback = nback;
    w->rcap = na ? na : 1;
    w->rn = na;
    wd_free(newslot);
    wd_free(remap);
}

/* Hop: fire every window whose end - 1 <= wm, in start order. */
static int hop_fire(wd_op *op, winagg *w, int64_t wm, wd_error *err)
{
    const int64_t W = w->width, S = w->slide;
    for (;;) {
        int64_t s;
        if (w->nactive == 0) {
            if (w->npushed == w->nbk) break;
            s = w->bk[w->npushed]->start - W + S;
            if (s < w->next_s) s = w->next_s;
        } else {
            s = w->next_s;
        }
        if (s + W - 1 > wm) break;
        /* panes up to the window's last one are complete: push them */
        while (w->npushed < w->nbk && w->bk[w->npushed]->start <= s + W - S) {
            hop_push(w, w->bk[w->npushed]);
            w->npushed++;
        }
        if (w->nactive) {
            int rc = hop_emit(op, w, s, err);
            if (rc < 0) return rc;
        }
        if (w->npushed && w->bk[0]->start == s) {
            bucket *p = w->bk[0];
            hop_evict(w, p);
            bucket_remove(w, 0);
            w->npushed--;
            bucket_free(w, p);
        }
        w->next_s = s + S;
    }
    if (wd_groups_count(w->rg) > 2 * w->nactive + 4096) hop_compact(w);
    return 0;
}

/* ---- sessions ------------------------------------------------------------------- */

static inline uint8_t *sstate(const winagg *w, uint32_t id)
{
    return w->sstates + (size_t)id * w->d.stride;
}

static inline bool heap_less(const winagg *w, uint32_t a, uint32_t b)
{
    return w->ss[a].last < w->ss[b].last;
}

static void heap_set(winagg *w, uint32_t pos, uint32_t id)
{
    w->heap[pos] = id;
    w->ss[id].hpos = pos;
}

static void heap_up(winagg *w, uint32_t pos)
{
    uint32_t id = w->heap[pos];
    while (pos > 0) {
        uint32_t parent = (pos - 1) / 2;
        if (!heap_less(w, id, w->heap[parent])) break;
        heap_set(w, pos, w->heap[parent]);
        pos = parent;
    }
    heap_set(w, pos, id);
}

static void heap_down(winagg *w, uint32_t pos)
{
    uint32_t id = w->heap[pos];
    for (;;) {
        uint32_t c = 2 * pos + 1;
        if (c >= w->nheap) break;
        if (c + 1 < w->nheap && heap_less(w, w->heap[c + 1], w->heap[c])) c++;
        if (!heap_less(w, w->heap[c], id)) break;
        heap_set(w, pos, w->heap[c]);
        pos = c;
    }
    heap_set(w, pos, id);
}

static void heap_push(winagg *w, uint32_t id)
{
    w->heap = grow_array(w->heap, &w->capheap, w->nheap + 1, sizeof(uint32_t));
    heap_set(w, w->nheap++, id);
    heap_up(w, w->nheap - 1);
}

static void heap_del(winagg *w, uint32_t id)
{
    uint32_t pos = w->ss[id].hpos;
    uint32_t last = w->heap[--w->nheap];
    if (pos == w->nheap) return;
    heap_set(w, pos, last);
    heap_down(w, pos);
    heap_up(w, w->ss[last].hpos);
}

/* A fresh session (state initialised). */
static uint32_t sess_alloc(winagg *w)
{
    uint32_t id;
    if (w->nfree) {
        id = w->freel[--w->nfree];
    } else {
        id = w->sn++;
        uint32_t c = w->sscap;
        w->ss = grow_array(w->ss, &c, w->sn, sizeof(sess));
        w->sscap = c;
        states_reserve(&w->d, &w->sstates, &w->sstcap, w->sn);
    }
    states_init(&w->d, w->sstates, id, id + 1);
    return id;
}

static void sess_release(winagg *w, uint32_t id)
{
    state_destroy(&w->d, sstate(w, id));
    w->freel = grow_array(w->freel, &w->capfree, w->nfree + 1, sizeof(uint32_t));
    w->freel[w->nfree++] = id;
}

/* Remove session id from its key's list. */
static void sess_unlink(winagg *w, uint32_t id)
{
    uint32_t k = w->ss[id].key;
    uint32_t *pp = &w->khead[k];
    while (*pp != id) pp = &w->ss[*pp].next;
    *pp = w->ss[id].next;
    if (w->khead[k] == NONE) w->nlivekeys--;
}

static inline bool sess_overlap(int64_t f1, int64_t l1, int64_t f2, int64_t l2, int64_t gap)
{
    return f1 < l2 + gap && f2 < l1 + gap;
}

static int session_batch(wd_op *op, winagg *w, wd_batch *in)
{
    uint32_t n = in->nrows;
    const int64_t *ts = wd_batch_ts(in);
    const int64_t wm = late_wm(op, w), gap = w->gap;
    scratch_reserve(w, n);
    uint32_t *kslots = w->sel; /* key slot per row; then reused as selection */
    uint32_t nnew = 0;
    wd_groups_lookup(w->sg, in->cols, n, NULL, kslots, &nnew);
    uint32_t kc = wd_groups_count(w->sg);
    if (kc > w->kcap) {
        uint32_t old = w->kcap;
        w->khead = grow_array(w->khead, &w->kcap, kc, sizeof(uint32_t));
        for (uint32_t i = old; i < w->kcap; i++) w->khead[i] = NONE;
    }
    w->nmg = 0;
    uint32_t nlate = 0;
    for (uint32_t i = 0; i < n; i++) {
        int64_t t = ts[i];
        uint32_t k = kslots[i];
        if (WD_UNLIKELY(t < w->ts_lo || t > w->ts_hi)) {
            w->slots[i] = NONE;
            nlate++;
            continue;
        }
        uint32_t s = w->khead[k];
        while (s != NONE && !sess_overlap(t, t, w->ss[s].first, w->ss[s].last, gap)) s = w->ss[s].next;
        if (s == NONE) {
            if (t + gap - 1 <= wm) { /* its own session has ended already */
                w->slots[i] = NONE;
                nlate++;
                continue;
            }
            s = sess_alloc(w);
            sess *S = &w->ss[s];
            S->first = S->last = t;
            S->key = k;
            S->next = w->khead[k];
            if (w->khead[k] == NONE) w->nlivekeys++;
            w->khead[k] = s;
            heap_push(w, s);
        } else {
            sess *S = &w->ss[s];
            bool grew = t > S->last;
            if (t < S->first) S->first = t;
            if (grew) S->last = t;
            /* the extended session may now reach others of the key */
            for (uint32_t o = w->khead[k]; o != NONE;) {
                sess *O = &w->ss[o];
                uint32_t next = O->next;
                if (o != s && sess_overlap(S->first, S->last, O->first, O->last, gap)) {
                    if (O->first < S->first) S->first = O->first;
                    if (O->last > S->last) {
                        S->last = O->last;
                        grew = true;
                    }
                    w->mg = grow_array(w->mg, &w->capmg, 2 * (w->nmg + 1), sizeof(uint32_t));
                    w->mg[2 * w->nmg] = o;
                    w->mg[2 * w->nmg + 1] = s;
                    w->nmg++;
                    sess_unlink(w, o); /* s stays: the key stays live */
                    heap_del(w, o);
                    next = w->khead[k]; /* rescan: s grew */
                }
                o = next;
            }
            if (grew) heap_down(w, S->hpos);
        }
        w->slots[i] = s;
    }
    count_late(op, nlate);
    if (nlate == n) goto merges;
    if (nlate == 0) {
        wd_agg_apply(w->d.aggs, w->d.naggs, &w->sactx, w->sstates, w->d.stride, in, w->slots, 1);
    } else {
        uint32_t m = 0;
        for (uint32_t i = 0; i < n; i++)
            if (w->slots[i] != NONE) {
                w->sel[m] = i;
                w->slots[m] = w->slots[i];
                m++;
            }
        wd_batch *sub = wd_batch_gather(in, w->sel, m);
        wd_agg_apply(w->d.aggs, w->d.naggs, &w->sactx, w->sstates, w->d.stride, sub, w->slots, 1);
        wd_batch_release(sub);
    }
merges:
    for (uint32_t j = 0; j < w->nmg; j++) {
        uint32_t o = w->mg[2 * j], into = w->mg[2 * j + 1];
        state_merge(&w->d, &w->sactx, sstate(w, into), sstate(w, o));
        sess_release(w, o);
    }
    w->nmg = 0;
    return 0;
}

static void session_compact(winagg *w)
{
    uint32_t old = wd_groups_count(w->sg);
    uint32_t *live = wd_malloc(sizeof(uint32_t) * (w->nlivekeys ? w->nlivekeys : 1));
    uint32_t nl = 0;
    for (uint32_t k = 0; k < old; k++)
        if (w->khead[k] != NONE) live[nl++] = k;
    uint32_t *newslot = wd_malloc(sizeof(uint32_t) * (nl ? nl : 1));
    wd_groups *ng = wd_op__agg_regroup(w->sg, w->d.key_types, w->d.nkeys, live, nl, newslot);
    uint32_t *nh = wd_malloc(sizeof(uint32_t) * (nl ? nl : 1));
    for (uint32_t i = 0; i < nl; i++) {
        nh[newslot[i]] = w->khead[live[i]];
        for (uint32_t s = w->khead[live[i]]; s != NONE; s = w->ss[s].next) w->ss[s].key = newslot[i];
    }
    wd_groups_free(w->sg);
    wd_free(w->khead);
    w->sg = ng;
    w->khead = nh;
    w->kcap = nl ? nl : 1;
    if (!nl) w->khead[0] = NONE;
    wd_free(live);
    wd_free(newslot);
}

/* Fire every session whose end - 1 <= wm, in end order. */
static int session_fire(wd_op *op, winagg *w, int64_t wm, wd_error *err)
{
    int rc = 0;
    while (rc == 0 && w->nheap && w->ss[w->heap[0]].last + w->gap - 1 <= wm) {
        uint32_t m = 0;
        while (m < OUT_ROWS && w->nheap && w->ss[w->heap[0]].last + w->gap - 1 <= wm) {
            uint32_t id = w->heap[0];
            heap_del(w, id);
            w->fs = grow_array(w->fs, &w->fcap, m + 1, sizeof(uint32_t));
            w->fs[m] = id;
            w->oids[m] = w->ss[id].key;
            w->optr[m] = sstate(w, id);
            w->ows[m] = w->ss[id].first;
            w->owe[m] = w->ss[id].last + w->gap;
            m++;
        }
        rc = emit_chunk(op, w, w->sg, m, err);
        for (uint32_t i = 0; i < m; i++) {
            sess_unlink(w, w->fs[i]);
            sess_release(w, w->fs[i]);
        }
    }
    if (w->nheap == 0) {
        /* nothing open: out-of-line state can go, and so can every key */
        wd_arena_reset(&w->sarena);
        if (wd_groups_count(w->sg) > 4096) {
            wd_groups_clear(w->sg);
            for (uint32_t k = 0; k < w->kcap; k++) w->khead[k] = NONE;
        }
    } else if (wd_groups_count(w->sg) > 2 * w->nlivekeys + 4096) {
        session_compact(w);
    }
    return rc;
}

/* ---- operator --------------------------------------------------------------- */

static const wd_aggregate_spec *spec_of(const wd_op *op)
{
    return (const wd_aggregate_spec *)op->node->spec;
}

static bool is_updating(const wd_op *op)
{
    const wd_aggregate_spec *sp = spec_of(op);
    return sp && sp->win == WD_WIN_NONE;
}

static int win_open(wd_op *op, wd_error *err)
{
    const wd_aggregate_spec *sp = spec_of(op);
    if (!sp) return wd_err(err, WD_EINTERNAL, "aggregate: node has no spec");
    if (sp->win == WD_WIN_NONE) return wd_op__updating_agg_vt.open(op, err);
    const wd_node *node = op->node;
    if (!node->in_schemas || !node->out_schema)
        return wd_err(err, WD_EINTERNAL, "aggregate: node has no schemas");
    const wd_type *in = node->in_schemas[0];
    if (in->nfields < sp->nkeys + 1 || node->out_schema->nfields != sp->nkeys + sp->naggs + 2)
        return wd_err(err, WD_EINTERNAL, "aggregate: schemas do not match the spec");
    int64_t width = sp->width_ns, slide = sp->slide_ns, gap = sp->gap_ns;
    wd_win_kind kind = sp->win;
    int64_t reach; /* how far from a row time window bounds reach */
    switch (kind) {
    case WD_WIN_TUMBLE:
        if (width <= 0) return wd_err(err, WD_EPLAN, "tumble width must be positive");
        slide = width;
        reach = width;
        break;
    case WD_WIN_HOP:
        if (width <= 0 || slide <= 0)
            return wd_err(err, WD_EPLAN, "hop width and slide must be positive");
        if (width % slide != 0)
            return wd_err(err, WD_EPLAN, "hop width must be a multiple of its slide");
        if (width == slide) kind = WD_WIN_TUMBLE;
        reach = width;
        break;
    case WD_WIN_SESSION:
        if (gap <= 0) return wd_err(err, WD_EPLAN, "session gap must be positive");
        reach = gap;
        break;
    default:
        return wd_err(err, WD_EPLAN, "aggregate: unknown window kind %d", (int)kind);
    }
    if (reach > INT64_MAX / 8) return wd_err(err, WD_EPLAN, "window size is too large");
    winagg *w = wd_calloc(1, sizeof *w);
    op->state = w;
    aggdef_init(&w->d, sp, in);
    w->out_schema = node->out_schema;
    w->kind = kind;
    w->width = width;
    w->slide = slide;
    w->gap = gap;
    w->bsize = kind == WD_WIN_HOP ? slide : width;
    w->ts_lo = INT64_MIN + 3 * reach;
    w->ts_hi = INT64_MAX - 3 * reach;
    w->next_s = INT64_MIN;
    w->fired = INT64_MIN;
    w->oids = wd_malloc(sizeof(uint32_t) * OUT_ROWS);
    w->optr = wd_malloc(sizeof(uint8_t *) * OUT_ROWS);
    w->ows = wd_malloc(sizeof(int64_t) * OUT_ROWS);
    w->owe = wd_malloc(sizeof(int64_t) * OUT_ROWS);
    wd_arena_init(&w->scratch, 0);
    w->sctx.arena = &w->scratch;
    if (kind == WD_WIN_HOP) {
        w->tmp = wd_malloc((size_t)OUT_ROWS * w->d.stride);
        w->tmpused = wd_calloc(OUT_ROWS, sizeof(bool));
        w->rg = wd_groups_new(w->d.key_types, w->d.nkeys);
    }
    if (kind == WD_WIN_SESSION) {
        w->sg = wd_groups_new(w->d.key_types, w->d.nkeys);
        wd_arena_init(&w->sarena, 0);
        w->sactx.arena = &w->sarena;
    }
    return 0;
}

static int win_batch(wd_op *op, uint32_t input, wd_batch *in, wd_error *err)
{
    if (is_updating(op)) return wd_op__updating_agg_vt.on_batch(op, input, in, err);
    winagg *w = op->state;
    if (in->nrows == 0) return 0;
    if (in->retract) {
        for (uint32_t i = 0; i < in->nrows; i++)
            if (in->retract[i])
                return wd_err(err, WD_EUNSUPPORTED,
                              "a windowed aggregate cannot consume retractions (its input is "
                              "an updating stream)");
    }
    if (w->kind == WD_WIN_SESSION) return session_batch(op, w, in);
    return buckets_batch(op, w, in);
}

static int fire(wd_op *op, winagg *w, int64_t wm, wd_error *err)
{
    int rc;
    switch (w->kind) {
    case WD_WIN_HOP: rc = hop_fire(op, w, wm, err); break;
    case WD_WIN_SESSION: rc = session_fire(op, w, wm, err); break;
    default: rc = tumble_fire(op, w, wm, err); break;
    }
    if (rc == 0 && wm > w->fired) w->fired = wm;
    return rc;
}

static int win_watermark(wd_op *op, int64_t wm, wd_error *err)
{
    if (is_updating(op)) return wd_op_emit_watermark(op, wm, err);
    int rc = fire(op, op->state, wm, err);
    if (rc < 0) return rc;
    return wd_op_emit_watermark(op, wm, err);
}

static int win_end(wd_op *op, wd_error *err)
{
    if (is_updating(op)) return wd_op__updating_agg_vt.on_end(op, err);
    return fire(op, op->state, INT64_MAX, err);
}

static int win_tick(wd_op *op, int64_t now_ns, wd_error *err)
{
    if (is_updating(op)) return wd_op__updating_agg_vt.on_tick(op, now_ns, err);
    return 0;
}

/* ---- checkpoints ------------------------------------------------------------ */

/*
 * State tables (state/snapshot.h):
 *   agg_global    GLOBAL  one record: {u32 version, u32 kind, i64 width,
 *                         slide, gap, u64 layout fingerprint, i64 fired,
 *                         i64 next_s}
 *   win_buckets   KEYED   tumble windows, and hop panes still being filled:
 *                         one record per (bucket, group) {i64 start, key,
 *                         states}
 *   win_hop_keys  KEYED   hop: one record per key of the running state:
 *                         {key, u32 nfront, u32 nback, per queued pane from
 *                         the oldest {i64 start, states}, then the back sum's
 *                         states when nback > 0}.  Front panes hold suffix
 *                         aggregates, back panes their own states, exactly
 *                         as in memory, so the two stacks resume as they were.
 *   win_sessions  KEYED   open sessions: {i64 first, i64 last, key, states}
 * A key is its group-table bytes (wd_groups_key_write), states a saved
 * state row (wd_agg_row_save); every record carries its key's hash
 * (wd_groups_khash), so a restoring subtask receives the keys it now owns.
 *
 * Restoring from several old subtasks (a change of parallelism): keys were
 * partitioned, so a (window, key) comes from one snapshot only, while
 * buckets and panes of one start come from several and are merged by their
 * start.  Snapshots are taken at aligned barriers behind a shuffle, so the
 * old subtasks had seen the same watermarks and fired the same windows;
 * fired and next_s are combined by their maximum (a window that any of
 * them fired stays fired: rows for it are late), and the restored panes
 * are checked to fit the two-stacks invariants before any row can reach
 * them.
 */

#define T_GLOBAL "agg_global"
#define T_BUCKETS "win_buckets"
#define T_HOPKEYS "win_hop_keys"
#define T_SESSIONS "win_sessions"
#define SNAP_VERSION 1u
#define LOAD_CHUNK 1024

/* Append the saved form of state row st to b. */
static void put_row(const aggdef *d, const uint8_t *st, wd_buf *b)
{
    if (!d->plain) {
        wd_agg_row_save(d->aggs, d->naggs, st, b);
        return;
    }
    uint8_t *p = wd_buf_room(b, d->plain_bytes);
    if (d->plain_bytes) memcpy(p, st, d->plain_bytes);
    wd_buf_commit(b, p + d->plain_bytes);
}

/* Records of every group of bucket b. */
static void snap_bucket(winagg *w, wd_snap_out *o, const bucket *b)
{
    enum { CH = 256 };
    uint32_t cnt = wd_groups_count(b->groups), kh[CH];
    for (uint32_t off = 0; off < cnt; off += CH) {
        uint32_t m = cnt - off < CH ? cnt - off : CH;
        wd_groups_khash(b->groups, off, m, kh);
        for (uint32_t i = 0; i < m; i++) {
            uint32_t g = off + i;
            wd_buf *buf = wd_snap_rec_begin(o, kh[i]);
            uint8_t *p = wd_buf_room(buf, 8 + wd_groups_key_size(b->groups, g));
            memcpy(p, &b->start, 8);
            wd_buf_commit(buf, wd_groups_key_write(b->groups, g, p + 8));
            put_row(&w->d, pstate(w, b, g), buf);
            wd_snap_rec_end(o);
        }
    }
}

/* The record of running key r: its queue of panes and its back sum. */
static void snap_hop_key(winagg *w, wd_snap_out *o, uint32_t r)
{
    const rkey *K = &w->rk[r];
    uint32_t kh;
    wd_groups_khash(w->rg, r, 1, &kh);
    wd_buf *buf = wd_snap_rec_begin(o, kh);
    uint8_t *p = wd_buf_room(buf, wd_groups_key_size(w->rg, r) + 8);
    p = wd_groups_key_write(w->rg, r, p);
    memcpy(p, &K->nfront, 4);
    memcpy(p + 4, &K->nback, 4);
    wd_buf_commit(buf, p + 8);
    const bucket *b = K->hb;
    uint32_t s = K->hs;
    for (uint32_t e = 0; e < K->nfront + K->nback; e++) {
        wd_snap_put_i64(buf, b->start);
        put_row(&w->d, pstate(w, b, s), buf);
        const bucket *nb = b->nextb[s];
        s = b->nexts[s];
        b = nb;
    }
    if (K->nback) put_row(&w->d, rback(w, r), buf);
    wd_snap_rec_end(o);
}

/* Records of the open sessions. */
static void snap_sessions(winagg *w, wd_snap_out *o)
{
    for (uint32_t i = 0; i < w->nheap; i++) {
        uint32_t id = w->heap[i];
        const sess *S = &w->ss[id];
        uint32_t kh;
        wd_groups_khash(w->sg, S->key, 1, &kh);
        wd_buf *buf = wd_snap_rec_begin(o, kh);
        uint8_t *p = wd_buf_room(buf, 16 + wd_groups_key_size(w->sg, S->key));
        memcpy(p, &S->first, 8);
        memcpy(p + 8, &S->last, 8);
        wd_buf_commit(buf, wd_groups_key_write(w->sg, S->key, p + 16));
        put_row(&w->d, sstate(w, id), buf);
        wd_snap_rec_end(o);
    }
}

/* Make room in the current table for about n records of a state row and a
 * key (one reservation instead of repeated doubling). */
static void snap_reserve(const winagg *w, wd_snap_out *o, uint64_t n, size_t extra)
{
    size_t per = 8 + 16 + extra + (w->d.plain ? w->d.plain_bytes : w->d.stride);
    if (n) wd_buf_reserve(&o->cur->data, (size_t)n * per);
}

static int win_snapshot(wd_op *op, wd_snap_out *o, wd_error *err)
{
    if (is_updating(op)) return wd_op__updating_agg_vt.snapshot(op, o, err);
    winagg *w = op->state;
    if (!w->d.fp)
        return wd_err(err, WD_EUNSUPPORTED,
                      "aggregate: its state cannot be checkpointed (a function outside the "
                      "aggregate catalog)");
    int rc = wd_snap_table_begin(o, T_GLOBAL, WD_SNAP_GLOBAL, err);
    if (rc < 0) return rc;
    wd_buf *b = wd_snap_rec_begin(o, 0);
    wd_snap_put_u32(b, SNAP_VERSION);
    wd_snap_put_u32(b, (uint32_t)w->kind);
    wd_snap_put_i64(b, w->width);
    wd_snap_put_i64(b, w->slide);
    wd_snap_put_i64(b, w->gap);
    wd_snap_put_u64(b, w->d.fp);
    wd_snap_put_i64(b, w->fired);
    wd_snap_put_i64(b, w->next_s);
    wd_snap_rec_end(o);

    if (w->kind == WD_WIN_SESSION) {
        if ((rc = wd_snap_table_begin(o, T_SESSIONS, WD_SNAP_KEYED, err)) < 0) return rc;
        snap_reserve(w, o, w->nheap, 8);
        snap_sessions(w, o);
        return 0;
    }
    /* tumble: every bucket; hop: the panes not yet in the running state */
    uint32_t from = w->kind == WD_WIN_HOP ? w->npushed : 0;
    if ((rc = wd_snap_table_begin(o, T_BUCKETS, WD_SNAP_KEYED, err)) < 0) return rc;
    uint64_t n = 0;
    for (uint32_t i = from; i < w->nbk; i++) n += wd_groups_count(w->bk[i]->groups);
    snap_reserve(w, o, n, 0);
    for (uint32_t i = from; i < w->nbk; i++) snap_bucket(w, o, w->bk[i]);
    if (w->kind != WD_WIN_HOP) return 0;
    if ((rc = wd_snap_table_begin(o, T_HOPKEYS, WD_SNAP_KEYED, err)) < 0) return rc;
    for (uint32_t i = 0; i < w->nactive; i++) snap_hop_key(w, o, w->active[i]);
    return 0;
}

/* Records waiting to be loaded, LOAD_CHUNK at a time: their keys are
 * decoded and looked up together. */
typedef struct loader {
    wd_groups *proto;            /* an empty table of the key types: checks keys */
    const uint8_t **keys;
    uint32_t *khash, *slots;
    uint64_t *hashes;
    int64_t *t1, *t2;            /* bucket start, or session first / last */
    const uint8_t **row;         /* saved states */
    uint32_t *rowlen;
    wd_col *cols;
    wd_arena a;
    uint32_t n;
} loader;

/* False when out of memory (loader_free it all the same). */
static bool loader_init(loader *L, const aggdef *d)
{
    memset(L, 0, sizeof *L);
    L->proto = wd_groups_new(d->key_types, d->nkeys);
    L->keys = wd_malloc(sizeof *L->keys * LOAD_CHUNK);
    L->khash = wd_malloc(sizeof *L->khash * LOAD_CHUNK);
    L->slots = wd_malloc(sizeof *L->slots * LOAD_CHUNK);
    L->hashes = wd_malloc(sizeof *L->hashes * LOAD_CHUNK);
    L->t1 = wd_malloc(sizeof *L->t1 * LOAD_CHUNK);
    L->t2 = wd_malloc(sizeof *L->t2 * LOAD_CHUNK);
    L->row = wd_malloc(sizeof *L->row * LOAD_CHUNK);
    L->rowlen = wd_malloc(sizeof *L->rowlen * LOAD_CHUNK);
    L->cols = wd_calloc(d->nkeys ? d->nkeys : 1, sizeof(wd_col));
    wd_arena_init(&L->a, 0);
    return L->keys && L->khash && L->slots && L->hashes && L->t1 && L->t2 && L->row &&
           L->rowlen && L->cols;
}

static void loader_free(loader *L)
{
    wd_groups_free(L->proto);
    wd_free(L->keys);
    wd_free(L->khash);
    wd_free(L->slots);
    wd_free(L->hashes);
    wd_free(L->t1);
    wd_free(L->t2);
    wd_free(L->row);
    wd_free(L->rowlen);
    wd_free(L->cols);
    wd_arena_free(&L->a);
}

/* Decode the chunk's keys (into L->cols / L->hashes) and find or insert
 * them in g; with must_be_new every one must be a new group of its own. */
static int loader_lookup(loader *L, wd_groups *g, bool must_be_new, const wd_snap_in *r,
                         wd_error *err)
{
    uint32_t base = wd_groups_count(g), nnew = 0;
    wd_arena_reset(&L->a);
    if (wd_groups_decode_keys(L->proto, L->keys, L->khash, L->n, L->cols, L->hashes, &L->a) < 0)
        return wd_snap_bad_record(r, err);
    wd_groups_lookup(g, L->cols, L->n, L->hashes, L->slots, &nnew);
    if (must_be_new)
        for (uint32_t i = 0; i < L->n; i++)
            if (L->slots[i] != base + i) return wd_snap_bad_record(r, err);
    return 0;
}

/* Load saved states (row[0..len)) into st, out-of-line state from c. */
static int load_row(const aggdef *d, uint8_t *st, wd_agg_ctx *c, const uint8_t *row, uint32_t len,
                    const wd_snap_in *r, wd_error *err)
{
    wd_rd rd;
    wd_rd_init(&rd, row, len);
    if (!wd_agg_row_load(d->aggs, d->naggs, st, c, &rd) || !wd_rd_done(&rd))
        return wd_snap_bad_record(r, err);
    return 0;
}

/* Room for and initialised state rows up to b's group count. */
static void bucket_fill(winagg *w, bucket *b)
{
    uint32_t cnt = wd_groups_count(b->groups);
    if (cnt <= b->n) return;
    states_reserve(&w->d, &b->states, &b->cap, cnt);
    states_init(&w->d, b->states, b->n, cnt);
    b->n = cnt;
}

/* A bucket start a row could have produced. */
static bool start_ok(const winagg *w, int64_t start)
{
    int64_t m = start % w->bsize;
    return m == 0 && start >= w->ts_lo - w->bsize && start <= w->ts_hi;
}

static int inconsistent(wd_error *err, const char *what)
{
    return wd_err(err, WD_ECORRUPT, "aggregate: restored hop state is inconsistent (%s)", what);
}

/* Load the chunk of win_buckets records (all of one start). */
static int flush_buckets(winagg *w, loader *L, const wd_snap_in *r, wd_error *err)
{
    if (!L->n) return 0;
    bucket *b = bucket_get(w, L->t1[0]);
    if (b->rslot) return inconsistent(err, "a pane both complete and being filled");
    int rc = loader_lookup(L, b->groups, true, r, err);
    if (rc < 0) return rc;
    bucket_fill(w, b);
    for (uint32_t i = 0; i < L->n && rc == 0; i++)
        rc = load_row(&w->d, pstate(w, b, L->slots[i]), &b->ctx, L->row[i], L->rowlen[i], r, err);
    L->n = 0;
    return rc;
}

static int restore_buckets(winagg *w, loader *L, wd_snap_in *r, wd_error *err)
{
    wd_snap_rec rec;
    int rc;
    wd_snap_in_open(r, T_BUCKETS);
    L->n = 0;
    while ((rc = wd_snap_in_next(r, &rec, err)) == 1) {
        wd_rd d;
        wd_rd_init(&d, rec.data, rec.len);
        int64_t start = wd_rd_i64(&d);
        size_t kl = 0;
        if (d.bad || !start_ok(w, start) ||
            !wd_groups_key_check(L->proto, d.p, (size_t)(d.end - d.p), &kl))
            return wd_snap_bad_record(r, err);
        if (L->n == LOAD_CHUNK || (L->n && L->t1[0] != start))
            if ((rc = flush_buckets(w, L, r, err)) < 0) return rc;
        L->t1[L->n] = start;
        L->keys[L->n] = d.p;
        L->khash[L->n] = rec.khash;
        L->row[L->n] = d.p + kl;
        L->rowlen[L->n] = (uint32_t)((size_t)(d.end - d.p) - kl);
        L->n++;
    }
    if (rc < 0) return rc;
    return flush_buckets(w, L, r, err);
}

/* Room for the pane links of b up to its group count. */
static void links_reserve(bucket *b)
{
    uint32_t need = wd_groups_count(b->groups);
    if (need <= b->lcap) return;
    uint32_t c = b->lcap;
    b->rslot = grow_array(b->rslot, &c, need, sizeof(uint32_t));
    b->nextb = wd_realloc(b->nextb, (size_t)c * sizeof(bucket *));
    b->nexts = wd_realloc(b->nexts, (size_t)c * sizeof(uint32_t));
    b->lcap = c;
}

/* One win_hop_keys record: the key's running slot, its queue rebuilt in
 * the (complete) panes, its back sum. */
static int restore_hop_key(winagg *w, loader *L, const wd_snap_rec *rec, const wd_snap_in *r,
                           wd_error *err)
{
    wd_rd d;
    wd_rd_init(&d, rec->data, rec->len);
    size_t kl = 0;
    if (!wd_groups_key_check(L->proto, d.p, (size_t)(d.end - d.p), &kl))
        return wd_snap_bad_record(r, err);
    L->keys[0] = wd_rd_take(&d, kl);
    L->khash[0] = rec->khash;
    L->n = 1;
    uint32_t nfront = wd_rd_u32(&d), nback = wd_rd_u32(&d);
    uint64_t total = (uint64_t)nfront + nback;
    if (d.bad || total == 0 || total > (uint64_t)(w->width / w->slide))
        return wd_snap_bad_record(r, err);
    int rc = loader_lookup(L, w->rg, true, r, err);
    if (rc < 0) return rc;
    uint32_t rs = L->slots[0];
    running_reserve(w, rs + 1);
    rkey *K = &w->rk[rs];
    bucket *pb = NULL;
    uint32_t pj = 0;
    int64_t prev = 0;
    for (uint32_t e = 0; e < total; e++) {
        int64_t start = wd_rd_i64(&d);
        if (d.bad || !start_ok(w, start) || (pb && start <= prev))
            return wd_snap_bad_record(r, err);
        prev = start;
        bucket *b = bucket_get(w, start);
        uint32_t base = wd_groups_count(b->groups), j, nnew;
        wd_groups_lookup(b->groups, L->cols, 1, L->hashes, &j, &nnew);
        if (j != base) return wd_snap_bad_record(r, err);
        bucket_fill(w, b);
        links_reserve(b);
        b->rslot[j] = rs;
        b->nextb[j] = NULL;
        b->nexts[j] = 0;
        if (!wd_agg_row_load(w->d.aggs, w->d.naggs, pstate(w, b, j), &b->ctx, &d))
            return wd_snap_bad_record(r, err);
        if (pb) {
            pb->nextb[pj] = b;
            pb->nexts[pj] = j;
        } else {
            K->hb = b;
            K->hs = j;
        }
        if (e == nfront) {
            K->sb = b;
            K->ss = j;
        }
        pb = b;
        pj = j;
    }
    K->tb = pb;
    K->ts = pj;
    K->nfront = nfront;
    K->nback = nback;
    active_add(w, rs);
    if (nback && !wd_agg_row_load(w->d.aggs, w->d.naggs, rback(w, rs), &K->sb->ctx, &d))
        return wd_snap_bad_record(r, err);
    if (!wd_rd_done(&d)) return wd_snap_bad_record(r, err);
    return 0;
}

/* After both hop tables: the complete panes must come first and lie where
 * the running state expects them, [next_s, next_s + width - 2·slide], and
 * every row that is not late must fall after them. */
static int restore_hop_finish(wd_op *op, winagg *w, wd_error *err)
{
    uint32_t np = 0;
    while (np < w->nbk && w->bk[np]->rslot) np++;
    for (uint32_t i = np; i < w->nbk; i++)
        if (w->bk[i]->rslot) return inconsistent(err, "a complete pane after one being filled");
    int64_t late = late_wm(op, w);
    for (uint32_t i = 0; i < np; i++) {
        int64_t s = w->bk[i]->start;
        if (s + w->slide - 1 > late) return inconsistent(err, "a complete pane not yet fired");
        if (w->next_s == INT64_MIN || s < w->next_s || s > w->next_s + (w->width - 2 * w->slide))
            return inconsistent(err, "a complete pane outside the open windows");
    }
    w->npushed = np;
    return 0;
}

/* Load the chunk of win_sessions records. */
static int flush_sessions(winagg *w, loader *L, const wd_snap_in *r, wd_error *err)
{
    if (!L->n) return 0;
    int rc = loader_lookup(L, w->sg, false, r, err);
    if (rc < 0) return rc;
    uint32_t kc = wd_groups_count(w->sg);
    if (kc > w->kcap) {
        uint32_t old = w->kcap;
        w->khead = grow_array(w->khead, &w->kcap, kc, sizeof(uint32_t));
        for (uint32_t i = old; i < w->kcap; i++) w->khead[i] = NONE;
    }
    for (uint32_t i = 0; i < L->n && rc == 0; i++) {
        uint32_t k = L->slots[i], id = sess_alloc(w);
        sess *S = &w->ss[id];
        S->first = L->t1[i];
        S->last = L->t2[i];
        S->key = k;
        S->next = w->khead[k];
        if (w->khead[k] == NONE) w->nlivekeys++;
        w->khead[k] = id;
        heap_push(w, id);
        rc = load_row(&w->d, sstate(w, id), &w->sactx, L->row[i], L->rowlen[i], r, err);
    }
    L->n = 0;
    return rc;
}

static int restore_sessions(winagg *w, loader *L, wd_snap_in *r, wd_error *err)
{
    wd_snap_rec rec;
    int rc;
    wd_snap_in_open(r, T_SESSIONS);
    L->n = 0;
    while ((rc = wd_snap_in_next(r, &rec, err)) == 1) {
        wd_rd d;
        wd_rd_init(&d, rec.data, rec.len);
        int64_t first = wd_rd_i64(&d), last = wd_rd_i64(&d);
        size_t kl = 0;
        if (d.bad || first > last || first < w->ts_lo || last > w->ts_hi ||
            !wd_groups_key_check(L->proto, d.p, (size_t)(d.end - d.p), &kl))
            return wd_snap_bad_record(r, err);
        if (L->n == LOAD_CHUNK && (rc = flush_sessions(w, L, r, err)) < 0) return rc;
        L->t1[L->n] = first;
        L->t2[L->n] = last;
        L->keys[L->n] = d.p;
        L->khash[L->n] = rec.khash;
        L->row[L->n] = d.p + kl;
        L->rowlen[L->n] = (uint32_t)((size_t)(d.end - d.p) - kl);
        L->n++;
    }
    if (rc < 0) return rc;
    return flush_sessions(w, L, r, err);
}

/* The agg_global records of every old subtask: the same operator, fired
 * and next_s combined by their maximum. */
static int restore_global(winagg *w, wd_snap_in *r, wd_error *err)
{
    wd_snap_rec rec;
    int rc;
    bool any = false;
    int64_t fired = INT64_MIN, next_s = INT64_MIN;
    wd_snap_in_open(r, T_GLOBAL);
    while ((rc = wd_snap_in_next(r, &rec, err)) == 1) {
        wd_rd d;
        wd_rd_init(&d, rec.data, rec.len);
        uint32_t ver = wd_rd_u32(&d), kind = wd_rd_u32(&d);
        int64_t width = wd_rd_i64(&d), slide = wd_rd_i64(&d), gap = wd_rd_i64(&d);
        uint64_t fp = wd_rd_u64(&d);
        int64_t f = wd_rd_i64(&d), ns = wd_rd_i64(&d);
        if (!wd_rd_done(&d) || ver != SNAP_VERSION) return wd_snap_bad_record(r, err);
        if (kind != (uint32_t)w->kind || width != w->width || slide != w->slide || gap != w->gap ||
            fp != w->d.fp)
            return wd_err(err, WD_ECORRUPT,
                          "aggregate: the checkpoint holds state of a different aggregate (its "
                          "window, keys or functions changed)");
        /* next_s: a window start (hop only), where hop_fire may loop from */
        if (ns != INT64_MIN && (w->kind != WD_WIN_HOP || ns % w->slide != 0 ||
                                ns < w->ts_lo - w->width || ns > w->ts_hi))
            return wd_snap_bad_record(r, err);
        if (f > fired) fired = f;
        if (ns > next_s) next_s = ns;
        any = true;
    }
    if (rc < 0) return rc;
    if (!any) return wd_err(err, WD_ECORRUPT, "aggregate: state table '%s' is empty", T_GLOBAL);
    w->fired = fired;
    w->next_s = next_s;
    return 0;
}

static int win_restore(wd_op *op, wd_snap_in *r, wd_error *err)
{
    if (is_updating(op)) return wd_op__updating_agg_vt.restore(op, r, err);
    winagg *w = op->state;
    if (!w->d.fp)
        return wd_err(err, WD_EUNSUPPORTED,
                      "aggregate: its state cannot be checkpointed (a function outside the "
                      "aggregate catalog)");
    if (w->nbk || w->nheap || w->nactive)
        return wd_err(err, WD_EINTERNAL, "aggregate: restore into an operator that holds state");
    const char *need[2] = {T_GLOBAL, w->kind == WD_WIN_SESSION ? T_SESSIONS : T_BUCKETS};
    for (int i = 0; i < 2; i++)
        if (!wd_snap_in_has(r, need[i]))
            return wd_err(err, WD_ECORRUPT, "aggregate: the checkpoint has no '%s' state table",
                          need[i]);
    if (w->kind == WD_WIN_HOP && !wd_snap_in_has(r, T_HOPKEYS))
        return wd_err(err, WD_ECORRUPT, "aggregate: the checkpoint has no '%s' state table",
                      T_HOPKEYS);
    int rc = restore_global(w, r, err);
    if (rc < 0) return rc;
    loader L;
    if (!loader_init(&L, &w->d)) {
        loader_free(&L);
        return wd_err(err, WD_ENOMEM, "aggregate: out of memory");
    }
    switch (w->kind) {
    case WD_WIN_SESSION: rc = restore_sessions(w, &L, r, err); break;
    case WD_WIN_HOP: {
        /* the running state first: it marks the complete panes */
        wd_snap_rec rec;
        wd_snap_in_open(r, T_HOPKEYS);
        while ((rc = wd_snap_in_next(r, &rec, err)) == 1)
            if ((rc = restore_hop_key(w, &L, &rec, r, err)) < 0) break;
        if (rc == 0) rc = restore_buckets(w, &L, r, err);
        if (rc == 0) rc = restore_hop_finish(op, w, err);
        break;
    }
    default: rc = restore_buckets(w, &L, r, err); break;
    }
    loader_free(&L);
    return rc;
}

static void win_close(wd_op *op)
{
    if (is_updating(op)) {
        wd_op__updating_agg_vt.close(op);
        return;
    }
    winagg *w = op->state;
    if (!w) return;
    w->closing = true;
    for (uint32_t i = 0; i < w->nbk; i++) bucket_free(w, w->bk[i]);
    if (w->spare) bucket_free(w, w->spare);
    wd_free(w->bk);
    wd_free(w->rowb);
    wd_free(w->sel);
    wd_free(w->slots);
    wd_free(w->touched);
    wd_free(w->oids);
    wd_free(w->optr);
    wd_free(w->ows);
    wd_free(w->owe);
    wd_free(w->tmp);
    wd_free(w->tmpused);
    wd_arena_free(&w->scratch);
    if (w->rg) {
        for (uint32_t r = 0; r < w->rn; r++) state_destroy(&w->d, rback(w, r));
        wd_groups_free(w->rg);
    }
    wd_free(w->rk);
    wd_free(w->rback);
    wd_free(w->active);
    wd_free(w->fb);
    wd_free(w->fs);
    if (w->sg) {
        for (uint32_t i = 0; i < w->nheap; i++) state_destroy(&w->d, sstate(w, w->heap[i]));
        wd_groups_free(w->sg);
        wd_arena_free(&w->sarena);
    }
    wd_free(w->khead);
    wd_free(w->ss);
    wd_free(w->sstates);
    wd_free(w->freel);
    wd_free(w->heap);
    wd_free(w->mg);
    aggdef_free(&w->d);
    wd_free(w);
    op->state = NULL;
}

/*
 * The aggregate operator: spec in op->node->spec (wd_aggregate_spec);
 * input and output layouts, emission and lateness as aggregate.h says.
 */
const wd_op_vt wd_op_aggregate_vt = {
    .name = "aggregate",
    .open = win_open,
    .on_batch = win_batch,
    .on_watermark = win_watermark,
    .on_end = win_end,
    .on_tick = win_tick,
    .snapshot = win_snapshot,
    .restore = win_restore,
    .close = win_close,
};
