/*
 * topn.c — the updating top-N (wd_op_topn_vt, contract in ops/aggregate.h):
 * ROW_NUMBER() OVER (PARTITION BY … ORDER BY …) over an unwindowed,
 * append-only input, filtered by row_number <= limit.  Flink calls it a
 * Rank operator; Nexmark q9 (the winning bid of each auction) is one.
 *
 * State: a group table over the PARTITION BY columns (wd_groups: partition
 * ids, key hashes for checkpoints, rebuilt without expired keys); per
 * partition the store slots of its kept rows, best first (one inline slot
 * when the limit is 1, else an array of at most limit); a store of the
 * kept rows (a batch of the input schema, text copied in: input batches are
 * never retained).  A row that leaves the top N stays in the store as
 * garbage until the store is compacted (when it holds more than twice the
 * live rows plus COMPACT_SLACK), so memory is O(partitions x limit).
 *
 * Per input batch: each row is offered to its partition (wd_slots: rows
 * admitted get slots after the store's rows before they are copied).  The
 * first time a batch touches a partition, its kept slots are saved: that is
 * what is downstream, since every batch ends by emitting the difference
 * between the saved and the current slots:
 *   - row number visible: position by position, a changed slot retracts
 *     the old row with its old number and inserts the new one with its new
 *     number (a row pushed down from 2 to 3 is retracted and inserted);
 *   - row number hidden: retract the rows no longer kept, insert the rows
 *     newly kept (a row that entered and left within the batch emits
 *     nothing), every row numbered 1.
 * Retractions come first in the output, so a row is never inserted twice
 * downstream.  Ties on the ORDER BY keys are broken by the rows' columns
 * (then arrival, which only identical rows reach), so which rows are kept
 * does not depend on how upstream subtasks interleave.
 *
 * Updating input is refused: a retracted top row would need the rows
 * below the limit to replace it, which a bounded state does not have.
 *
 * TTL (ttl_ns > 0): a partition that receives no row for ttl_ns of
 * processing time (the tick clock of ops/ttl.h) is dropped silently — its
 * emitted rows are not retracted, as Flink's state TTL does; a later row of
 * its key starts a fresh top N.  Partitions are scanned every ttl_ns / 4.
 *
 * Checkpoints: see the section at the end.
 *
 * Exports: wd_op_topn_vt, wd_op_topn_stats.
 */
#include <string.h>

#include "common/alloc.h"
#include "ops/aggregate.h"
#include "ops/rows.h"
#include "ops/ttl.h"
#include "runtime/runtime.h"
#include "state/snapshot.h"

#define OUT_ROWS WD_BATCH_ROWS
#define COMPACT_SLACK 4096u /* garbage rows the store may hold beyond its live rows */
#define STORE_CAP0 256u

/* ---- state ------------------------------------------------------------------ */

typedef struct tn_part {
    uint32_t n;        /* rows kept; 0: expired (or not yet filled) */
    uint32_t cap;      /* of k.many */
    uint32_t stamp;    /* TTL: tick stamp of its last row (0: before the first tick) */
    uint32_t mark;     /* touched by the current batch: index + 1 in dirty */
    union {
        uint32_t one;  /* limit 1 */
        uint32_t *many;
    } k;
} tn_part;

/* A partition the current batch touched, and its slots before it. */
typedef struct tn_dirty {
    uint32_t part, old, nold; /* old: offset in olds */
} tn_dirty;

/* One row of the output: store slot, row number. */
typedef struct tn_change {
    uint32_t slot;
    int64_t rank;
} tn_change;

typedef struct tn_state {
    const wd_winfn_spec *spec;
    const wd_type *in_schema, *out_schema;
    uint32_t nin;               /* input fields, _timestamp included */
    uint32_t limit;
    bool hidden;
    wd_sort_key *fkeys;         /* ORDER BY keys, then every input column */
    uint32_t nfull;
    const wd_type **ptypes;     /* partition column types */
    wd_groups *g;
    tn_part *parts;
    uint32_t nparts, capparts;  /* nparts = wd_groups_count(g) */
    wd_batch *store;
    uint64_t live;              /* rows kept over every partition */
    /* per input batch */
    uint32_t *gid, *pend;
    uint32_t scap;
    wd_col *pcols;
    tn_dirty *dirty;
    uint32_t ndirty, capdirty;
    uint32_t *olds;
    uint32_t nolds, capolds;
    tn_change *ret, *ins;
    uint32_t nret, nins, capch;
    /* TTL */
    int64_t ttl_ns, unit, t0, now, last_scan;
    uint64_t fp;                /* checkpoints: tn_fingerprint */
} tn_state;

static inline uint32_t *kept(const tn_state *st, tn_part *p)
{
    return st->limit == 1 ? &p->k.one : p->k.many;
}

static uint32_t stamp_now(const tn_state *st)
{
    return st->ttl_ns ? wd_ttl_stamp(st->t0, st->now, st->unit) : 0;
}

static void *grow(void *p, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap) return p;
    uint32_t nc = *cap ? *cap : 64;
    while (nc < need) nc = nc > UINT32_MAX / 2 ? need : nc * 2;
    p = wd_realloc(p, (size_t)nc * elem);
    if (!p) wd_panic("top-N: out of memory");
    *cap = nc;
    return p;
}

/* Parts for every group of the table (new ones empty). */
static void parts_reserve(tn_state *st, uint32_t n)
{
    if (n <= st->nparts) return;
    st->parts = grow(st->parts, &st->capparts, n, sizeof *st->parts);
    memset(st->parts + st->nparts, 0, (size_t)(n - st->nparts) * sizeof *st->parts);
    st->nparts = n;
}

static void part_clear(tn_state *st, tn_part *p)
{
    if (st->limit > 1) wd_free(p->k.many);
    memset(p, 0, sizeof *p);
}

/* ---- admitting rows ------------------------------------------------------------ */

/*
 * Offer slot to partition p.  Returns true when it is kept; *evicted gets
 * 1 when the last kept row left for it.  kept stays sorted by wd_slot_cmp.
 */
static bool offer(const tn_state *st, const wd_slots *c, tn_part *p, uint32_t slot,
                  uint32_t *evicted)
{
    uint32_t *kv = kept(st, p), n = p->n;
    *evicted = 0;
    if (n == st->limit && wd_slot_cmp(c, slot, kv[n - 1]) > 0) return false;
    if (st->limit == 1) {
        *evicted = n;
        kv[0] = slot;
        p->n = 1;
        return true;
    }
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (wd_slot_cmp(c, kv[mid], slot) < 0) lo = mid + 1;
        else hi = mid;
    }
    if (n == st->limit) {
        n--;
        *evicted = 1;
    } else if (n == p->cap) {
        uint32_t nc = p->cap ? p->cap * 2 : 4;
        if (nc > st->limit) nc = st->limit;
        kv = wd_realloc(p->k.many, (size_t)nc * sizeof *kv);
        if (!kv) wd_panic("top-N: out of memory");
        p->k.many = kv;
        p->cap = nc;
    }
    memmove(kv + lo + 1, kv + lo, (size_t)(n - lo) * sizeof *kv);
    kv[lo] = slot;
    p->n = n + 1;
    return true;
}

/* Remember partition pi's kept slots before the batch changes them. */
static void touch(tn_state *st, uint32_t pi)
{
    tn_part *p = &st->parts[pi];
    st->dirty = grow(st->dirty, &st->capdirty, st->ndirty + 1, sizeof *st->dirty);
    st->olds = grow(st->olds, &st->capolds, st->nolds + p->n, sizeof *st->olds);
    if (p->n) memcpy(st->olds + st->nolds, kept(st, p), (size_t)p->n * sizeof *st->olds);
    st->dirty[st->ndirty++] = (tn_dirty){pi, st->nolds, p->n};
    st->nolds += p->n;
    p->mark = st->ndirty;
}

/* Rewrite the store with only the kept rows, partition by partition in
 * kept order (so identical rows keep their relative slot order). */
static void compact(tn_state *st)
{
    uint32_t k = 0, live = (uint32_t)st->live;
    uint32_t *idx = wd_malloc((size_t)(live ? live : 1) * sizeof *idx);
    if (!idx) wd_panic("top-N: out of memory");
    for (uint32_t i = 0; i < st->nparts; i++) {
        tn_part *p = &st->parts[i];
        uint32_t *kv = kept(st, p);
        for (uint32_t j = 0; j < p->n; j++) {
            idx[k] = kv[j];
            kv[j] = k++;
        }
    }
    wd_batch *ns = wd_batch_new(st->in_schema, k > STORE_CAP0 ? k : STORE_CAP0);
    if (!ns) wd_panic("top-N: out of memory");
    for (uint32_t f = 0; f < st->nin; f++)
        wd_col_append(&ns->cols[f], &st->store->cols[f], idx, k, &ns->arena, true);
    ns->nrows = k;
    wd_batch_release(st->store);
    st->store = ns;
    wd_free(idx);
}

/* Room for m changes of each kind. */
static void changes_reserve(tn_state *st, uint32_t m)
{
    if (m <= st->capch) return;
    uint32_t cap = st->capch;
    st->ret = grow(st->ret, &cap, m, sizeof *st->ret);
    cap = st->capch;
    st->ins = grow(st->ins, &cap, m, sizeof *st->ins);
    st->capch = cap;
}

/* The changes of dirty partition d: old slots against kept ones. */
static void diff(tn_state *st, const wd_slots *c, const tn_dirty *d)
{
    tn_part *p = &st->parts[d->part];
    const uint32_t *o = d->nold ? st->olds + d->old : NULL, *nw = kept(st, p);
    uint32_t no = d->nold, nn = p->n;
    changes_reserve(st, (st->nret > st->nins ? st->nret : st->nins) + no + nn);
    if (!st->hidden) {
        for (uint32_t i = 0; i < no || i < nn; i++) {
            bool ho = i < no, hn = i < nn;
            if (ho && hn && o[i] == nw[i]) continue;
            if (ho) st->ret[st->nret++] = (tn_change){o[i], (int64_t)i + 1};
            if (hn) st->ins[st->nins++] = (tn_change){nw[i], (int64_t)i + 1};
        }
        return;
    }
    /* both sorted in the row order, each slot once: a merge */
    uint32_t i = 0, j = 0;
    while (i < no && j < nn) {
        if (o[i] == nw[j]) {
            i++, j++;
        } else if (wd_slot_cmp(c, o[i], nw[j]) < 0) {
            st->ret[st->nret++] = (tn_change){o[i++], 1};
        } else {
            st->ins[st->nins++] = (tn_change){nw[j++], 1};
        }
    }
    while (i < no) st->ret[st->nret++] = (tn_change){o[i++], 1};
    while (j < nn) st->ins[st->nins++] = (tn_change){nw[j++], 1};
}

/* Emit changes x[0..n) (retractions when retract), OUT_ROWS at a time. */
static int emit_rows(wd_op *op, tn_state *st, const tn_change *x, uint32_t n, bool retract,
                     wd_error *err)
{
    uint32_t nin1 = st->nin - 1;
    uint32_t idx[OUT_ROWS];
    for (uint32_t off = 0; off < n; off += OUT_ROWS) {
        uint32_t m = n - off < OUT_ROWS ? n - off : OUT_ROWS;
        for (uint32_t i = 0; i < m; i++) idx[i] = x[off + i].slot;
        wd_batch *b = wd_batch_new_empty(st->out_schema);
        if (!b) return wd_err(err, WD_ENOMEM, "top-N: out of memory");
        wd_batch_borrow(b, st->store);
        for (uint32_t f = 0; f < nin1; f++)
            wd_col_gather(&b->cols[f], &st->store->cols[f], idx, m, &b->arena);
        wd_col *rk = &b->cols[nin1];
        wd_col_init(rk, st->out_schema->fields[nin1].type, m, &b->arena);
        for (uint32_t i = 0; i < m; i++) ((int64_t *)rk->data)[i] = x[off + i].rank;
        rk->len = m;
        wd_col_gather(&b->cols[nin1 + 1], &st->store->cols[nin1], idx, m, &b->arena);
        b->retract = wd_batch_alloc(b, m);
        memset(b->retract, retract, m);
        b->nrows = m;
        int rc = wd_op_emit(op, b, err);
        wd_batch_release(b);
        if (rc < 0) return rc;
    }
    return 0;
}

/* Emit what the batch changed: every retraction, then every insert. */
static int emit_changes(wd_op *op, tn_state *st, wd_error *err)
{
    wd_slots c = {st->store->cols, st->store->nrows, NULL, NULL,
                  st->spec->order, st->spec->norder, st->fkeys, st->nfull};
    st->nret = st->nins = 0;
    for (uint32_t i = 0; i < st->ndirty; i++) diff(st, &c, &st->dirty[i]);
    int rc = emit_rows(op, st, st->ret, st->nret, true, err);
    if (rc == 0) rc = emit_rows(op, st, st->ins, st->nins, false, err);
    return rc;
}

/*
 * Offer every row of b to its partition and copy the admitted ones into
 * the store; then, when emit, send the changes.  stamps: each row's TTL
 * stamp (restore), else the clock's.
 */
static int admit(wd_op *op, tn_state *st, wd_batch *b, const uint32_t *stamps, bool emit,
                 wd_error *err)
{
    uint32_t n = b->nrows;
    if (n == 0) return 0;
    if (st->scap < n) {
        st->scap = n;
        st->gid = wd_realloc(st->gid, (size_t)n * sizeof *st->gid);
        st->pend = wd_realloc(st->pend, (size_t)n * sizeof *st->pend);
        if (!st->gid || !st->pend) wd_panic("top-N: out of memory");
    }
    for (uint32_t k = 0; k < st->spec->npart; k++) st->pcols[k] = b->cols[st->spec->part_cols[k]];
    uint32_t nnew = 0;
    wd_groups_lookup(st->g, st->pcols, n, NULL, st->gid, &nnew);
    parts_reserve(st, wd_groups_count(st->g));
    wd_slots c = {st->store->cols, st->store->nrows, b->cols, st->pend,
                  st->spec->order, st->spec->norder, st->fkeys, st->nfull};
    uint32_t now = stamp_now(st), npend = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t pi = st->gid[i], slot = c.base + npend, ev;
        if (WD_UNLIKELY(slot == UINT32_MAX)) wd_panic("top-N: store over 2^32 rows");
        tn_part *p = &st->parts[pi];
        uint32_t s = stamps ? stamps[i] : now;
        if (s > p->stamp || !stamps) p->stamp = s;
        if (emit && !p->mark) touch(st, pi);
        st->pend[npend] = i;
        if (!offer(st, &c, p, slot, &ev)) continue;
        npend++;
        st->live = st->live + 1 - ev;
    }
    wd_batch *s = st->store;
    for (uint32_t f = 0; f < st->nin; f++)
        wd_col_append(&s->cols[f], &b->cols[f], st->pend, npend, &s->arena, true);
    s->nrows += npend;
    int rc = 0;
    if (emit) {
        rc = emit_changes(op, st, err);
        for (uint32_t i = 0; i < st->ndirty; i++) st->parts[st->dirty[i].part].mark = 0;
        st->ndirty = st->nolds = 0;
    }
    if (s->nrows > 2 * st->live + COMPACT_SLACK) compact(st);
    return rc;
}

static int tn_batch(wd_op *op, uint32_t input, wd_batch *in, wd_error *err)
{
    tn_state *st = op->state;
    if (in->nrows == 0) return 0;
    if (in->retract)
        for (uint32_t i = 0; i < in->nrows; i++)
            if (in->retract[i])
                return wd_err(err, WD_EUNSUPPORTED,
                              "top-N: an updating input (with retractions) is not supported");
    if (in->schema->nfields != st->nin)
        return wd_err(err, WD_EINTERNAL, "top-N: batch has %u columns, expected %u",
                      in->schema->nfields, st->nin);
    wd_batch *b = wd_batch_expand_consts(in);
    if (!b) return wd_err(err, WD_ENOMEM, "top-N: out of memory");
    int rc = admit(op, st, b, NULL, true, err);
    if (b != in) wd_batch_release(b);
    return rc;
}

/* ---- TTL ----------------------------------------------------------------------- */

/* Drop partitions without a row for ttl_ns; rebuild the group table when
 * dropped keys outnumber live ones. */
static void expire(tn_state *st)
{
    uint32_t now = stamp_now(st), empty = 0;
    for (uint32_t i = 0; i < st->nparts; i++) {
        tn_part *p = &st->parts[i];
        if (p->n == 0) {
            empty++;
            continue;
        }
        if (p->stamp == 0) { /* filled before the first tick */
            p->stamp = now;
            continue;
        }
        if ((int64_t)(now - p->stamp) * st->unit < st->ttl_ns) continue;
        st->live -= p->n;
        part_clear(st, p);
        empty++;
    }
    if (empty <= st->nparts - empty + 4096) return;
    uint32_t nl = 0;
    uint32_t *live = wd_malloc(sizeof(uint32_t) * (st->nparts - empty + 1));
    uint32_t *slot = wd_malloc(sizeof(uint32_t) * (st->nparts - empty + 1));
    tn_part *np = wd_calloc(st->nparts - empty + 1, sizeof *np);
    if (!live || !slot || !np) wd_panic("top-N: out of memory");
    for (uint32_t i = 0; i < st->nparts; i++)
        if (st->parts[i].n) live[nl++] = i;
    wd_groups *ng = wd_op__agg_regroup(st->g, st->ptypes, st->spec->npart, live, nl, slot);
    for (uint32_t i = 0; i < nl; i++) np[slot[i]] = st->parts[live[i]];
    wd_groups_free(st->g);
    wd_free(st->parts);
    st->g = ng;
    st->parts = np;
    st->nparts = st->capparts = nl;
    wd_free(live);
    wd_free(slot);
}

static int tn_tick(wd_op *op, int64_t now, wd_error *err)
{
    tn_state *st = op->state;
    if (st->ttl_ns && wd_ttl_tick(&st->t0, &st->now, &st->last_scan, st->ttl_ns, now)) expire(st);
    return 0;
}

/* ---- the operator ------------------------------------------------------------ */

static void tn_close(wd_op *op);
static uint64_t tn_fingerprint(const tn_state *st);

/* Check the spec against the schemas. */
static int tn_check(const wd_node *n, wd_error *err)
{
    const wd_winfn_spec *s = n->spec;
    if (!s || n->ninputs < 1 || !n->in_schemas || !n->in_schemas[0] || !n->out_schema)
        return wd_err(err, WD_EPLAN, "top-N: no spec or schemas");
    const wd_type *in = n->in_schemas[0], *out = n->out_schema;
    uint32_t nin = in->nfields;
    if (in->id != WD_T_STRUCT || nin == 0 || out->nfields != nin + 1)
        return wd_err(err, WD_EPLAN, "top-N: output schema has %u fields, expected %u",
                      out->nfields, nin + 1);
    for (uint32_t f = 0; f + 1 < nin; f++)
        if (!wd_type_eq(in->fields[f].type, out->fields[f].type))
            return wd_err(err, WD_EPLAN, "top-N: output column %u is not the input's", f);
    if (s->ncalls != 1 || !s->calls || s->calls[0].kind != WD_WF_ROW_NUMBER ||
        out->fields[nin - 1].type->id != WD_T_INT64)
        return wd_err(err, WD_EPLAN, "top-N: needs exactly one ROW_NUMBER (a BIGINT column)");
    if (s->limit <= 0) return wd_err(err, WD_EPLAN, "top-N: the limit must be positive");
    if ((s->npart && !s->part_cols) || (s->norder && !s->order))
        return wd_err(err, WD_EPLAN, "top-N: incomplete spec");
    for (uint32_t k = 0; k < s->npart; k++)
        if (s->part_cols[k] < 0 || (uint32_t)s->part_cols[k] + 1 >= nin)
            return wd_err(err, WD_EPLAN, "top-N: partition column %d out of range",
                          s->part_cols[k]);
    for (uint32_t k = 0; k < s->norder; k++)
        if (s->order[k].col < 0 || (uint32_t)s->order[k].col + 1 >= nin)
            return wd_err(err, WD_EPLAN, "top-N: order column %d out of range", s->order[k].col);
    return 0;
}

static int tn_open(wd_op *op, wd_error *err)
{
    int rc = tn_check(op->node, err);
    if (rc < 0) return rc;
    const wd_winfn_spec *s = op->node->spec;
    tn_state *st = wd_calloc(1, sizeof *st);
    if (!st) return wd_err(err, WD_ENOMEM, "top-N: out of memory");
    op->state = st;
    st->spec = s;
    st->in_schema = op->node->in_schemas[0];
    st->out_schema = op->node->out_schema;
    st->nin = st->in_schema->nfields;
    st->limit = s->limit >= UINT32_MAX ? UINT32_MAX - 1 : (uint32_t)s->limit;
    st->hidden = s->rank_hidden;
    st->nfull = s->norder + st->nin;
    st->fkeys = wd_calloc(st->nfull, sizeof *st->fkeys);
    st->ptypes = wd_calloc(s->npart ? s->npart : 1, sizeof *st->ptypes);
    st->pcols = wd_calloc(s->npart ? s->npart : 1, sizeof *st->pcols);
    st->store = wd_batch_new(st->in_schema, STORE_CAP0);
    if (!st->fkeys || !st->ptypes || !st->pcols || !st->store) {
        tn_close(op);
        return wd_err(err, WD_ENOMEM, "top-N: out of memory");
    }
    for (uint32_t k = 0; k < s->norder; k++) st->fkeys[k] = s->order[k];
    for (uint32_t f = 0; f < st->nin; f++) st->fkeys[s->norder + f].col = (int)f;
    for (uint32_t k = 0; k < s->npart; k++)
        st->ptypes[k] = st->in_schema->fields[s->part_cols[k]].type;
    st->g = wd_groups_new(st->ptypes, s->npart);
    st->ttl_ns = s->ttl_ns > 0 ? s->ttl_ns : 0;
    st->unit = st->ttl_ns >= 16 ? st->ttl_ns / 16 : (st->ttl_ns ? 1 : WD_NS_PER_SEC);
    st->now = INT64_MIN;
    st->last_scan = INT64_MIN;
    st->fp = tn_fingerprint(st);
    return 0;
}

static void tn_close(wd_op *op)
{
    tn_state *st = op->state;
    if (!st) return;
    for (uint32_t i = 0; i < st->nparts; i++) part_clear(st, &st->parts[i]);
    wd_free(st->parts);
    if (st->g) wd_groups_free(st->g);
    if (st->store) wd_batch_release(st->store);
    wd_free(st->fkeys);
    wd_free(st->ptypes);
    wd_free(st->pcols);
    wd_free(st->gid);
    wd_free(st->pend);
    wd_free(st->dirty);
    wd_free(st->olds);
    wd_free(st->ret);
    wd_free(st->ins);
    wd_free(st);
    op->state = NULL;
}

void wd_op_topn_stats(const wd_op *op, wd_topn_stats *out)
{
    memset(out, 0, sizeof *out);
    const tn_state *st = op ? op->state : NULL;
    if (!st) return;
    for (uint32_t i = 0; i < st->nparts; i++) out->partitions += st->parts[i].n > 0;
    out->rows = st->live;
    out->stored = st->store->nrows;
}

/* ---- checkpoints ------------------------------------------------------------------ */

/*
 * Two tables.  topn_meta (global): one record per subtask — the format
 * version and the operator's fingerprint (input types, partition and order
 * keys, limit, whether the row number is visible), so restore refuses the
 * state of another operator, then the TTL clock (first tick, last tick,
 * last scan, stamp unit).  topn_rows (keyed): one record per kept row (a
 * row record of ops/rows.h: its partition's TTL stamp as a 4-byte prefix,
 * then its columns), tagged with the partition's key hash.
 *
 * What is downstream is exactly the kept rows (every batch ends by
 * emitting), so restore rebuilds the partitions by offering the rows again
 * without emitting anything: the kept rows of a partition are its best, so
 * all of them are kept again, in the same order.  Stamps saved under an old
 * subtask's clock are converted to the restored instance's (ops/ttl.h).
 */
#define TN_META "topn_meta"
#define TN_ROWS "topn_rows"
#define TN_SNAP_VERSION 1u

static uint64_t tn_fingerprint(const tn_state *st)
{
    const wd_winfn_spec *s = st->spec;
    wd_buf b = WD_BUF_INIT;
    wd_buf_printf(&b, "topn v%u ", TN_SNAP_VERSION);
    wd_rows_describe(&b, st->in_schema, s->part_cols, s->npart, s->order, s->norder);
    wd_buf_printf(&b, "|limit %u hidden %d", st->limit, (int)st->hidden);
    uint64_t h = wd_snap_fingerprint(&b);
    wd_buf_free(&b);
    return h;
}

static int tn_snapshot(wd_op *op, wd_snap_out *o, wd_error *err)
{
    tn_state *st = op->state;
    int rc = wd_ttl_meta_write(o, TN_META, TN_SNAP_VERSION, st->fp, st->t0, st->now,
                               st->last_scan, st->unit, err);
    if (rc < 0) return rc;
    if ((rc = wd_snap_table_begin(o, TN_ROWS, WD_SNAP_KEYED, err)) < 0) return rc;
    uint32_t khnone = 0;
    if (st->spec->npart == 0) { /* the hash the restore check computes */
        uint64_t h;
        wd_hash_rows(NULL, 0, 1, &h);
        khnone = (uint32_t)(h >> 32);
    }
    enum { CH = 256 };
    uint32_t kh[CH];
    for (uint32_t off = 0; off < st->nparts; off += CH) {
        uint32_t m = st->nparts - off < CH ? st->nparts - off : CH;
        wd_groups_khash(st->g, off, m, kh);
        for (uint32_t i = 0; i < m; i++) {
            tn_part *p = &st->parts[off + i];
            const uint32_t *kv = kept(st, p);
            for (uint32_t j = 0; j < p->n; j++)
                wd_rows_snap(o, st->store, kv[j], st->spec->npart ? kh[i] : khnone, &p->stamp, 4);
        }
    }
    return 0;
}

typedef struct tn_loader {
    wd_op *op;
    const wd_ttl_clock *clk;
    uint32_t nclk;
    uint32_t stamps[1024];
} tn_loader;

/* Restored rows: offered again, nothing emitted. */
static int tn_feed(void *ctx, wd_batch *b, const wd_rows_meta *meta, wd_error *err)
{
    tn_loader *L = ctx;
    tn_state *st = L->op->state;
    if (b->nrows > sizeof L->stamps / sizeof L->stamps[0])
        return wd_err(err, WD_EINTERNAL, "top-N: %u restored rows at once", b->nrows);
    for (uint32_t i = 0; i < b->nrows; i++) {
        uint32_t s, from = meta[i].from;
        memcpy(&s, meta[i].prefix, 4);
        if (from >= L->nclk || !L->clk[from].have)
            return wd_err(err, WD_ECORRUPT, "state table '%s': a row from an unknown subtask",
                          TN_ROWS);
        L->stamps[i] = st->ttl_ns ? wd_ttl_restamp(&L->clk[from], st->t0, st->now, st->unit, s)
                                  : 0;
    }
    return admit(L->op, st, b, L->stamps, false, err);
}

static int tn_restore(wd_op *op, wd_snap_in *r, wd_error *err)
{
    tn_state *st = op->state;
    if (st->nparts)
        return wd_err(err, WD_EINTERNAL, "top-N: restore into an operator that holds state");
    tn_loader *L = wd_calloc(1, sizeof *L);
    uint32_t nclk = r->old_parallelism ? r->old_parallelism : 1;
    wd_ttl_clock *clk = wd_calloc(nclk, sizeof *clk);
    int rc = 0;
    if (!L || !clk) rc = wd_err(err, WD_ENOMEM, "top-N: out of memory");
    wd_ttl_clock m;
    int64_t scan;
    if (rc == 0)
        rc = wd_ttl_meta_read(r, TN_META, "top-N",
                              "its columns, partitions, order or limit changed", TN_SNAP_VERSION,
                              st->fp, clk, nclk, &m, &scan, err);
    if (rc == 0 && st->ttl_ns) {
        st->now = m.now;
        st->t0 = m.t0;
        st->last_scan = scan;
    }
    if (rc == 0) {
        *L = (tn_loader){.op = op, .clk = clk, .nclk = nclk};
        rc = wd_rows_restore(r, TN_ROWS, st->in_schema, st->spec->part_cols, st->spec->npart, 4,
                             tn_feed, L, err);
    }
    wd_free(clk);
    wd_free(L);
    return rc;
}

const wd_op_vt wd_op_topn_vt = {
    .name = "top_n",
    .open = tn_open,
    .on_batch = tn_batch,
    .on_tick = tn_tick,
    .snapshot = tn_snapshot,
    .restore = tn_restore,
    .close = tn_close,
};
