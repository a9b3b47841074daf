/*
 * window_fn.c — the window-function operator (wd_op_winfn_vt, contract in
 * ops/aggregate.h): ROW_NUMBER, RANK, DENSE_RANK, LAG, LEAD and running
 * aggregates OVER (PARTITION BY … ORDER BY …) over windowed input, and the
 * top-N form (WHERE rank <= limit) that keeps only the rows that can still
 * rank within the limit.
 *
 * Rows arrive stamped with their window's end - 1 ns and are buffered per
 * timestamp in a "bucket":
 *   - without a limit an input batch whose rows all belong to the bucket is
 *     retained as it is; rows of batches that mix timestamps (or hold late
 *     rows) are appended to the bucket's store, a batch of the input schema
 *     (text views stay views: the store borrows the input batch).  When the
 *     bucket fires, its batches are concatenated once;
 *   - with a limit each partition keeps the store slots of its candidates,
 *     a bounded max-heap for ROW_NUMBER, an ascending array for RANK and
 *     DENSE_RANK (ties can make that longer than the limit).  Only admitted
 *     rows are copied into the store, text bytes included, so the input
 *     batches are never retained; evicted rows stay in the store as garbage
 *     until it is compacted (when it holds more than twice the live rows plus
 *     COMPACT_SLACK), so memory is O(partitions x limit).
 * When the watermark reaches a bucket's timestamp (or at end of input), its
 * rows are grouped by partition (hash + equality), partitions are ordered by
 * their key values (ascending, NULLs last), rows within each by the ORDER BY
 * keys, the functions are computed over that order and the rows emitted:
 * input columns, one column per call, _timestamp.  Then the watermark is
 * passed on.  Rows tied on the ORDER BY keys are ordered by their columns'
 * values (then arrival, which only identical rows reach), so ROW_NUMBER and
 * the output order do not depend on how upstream subtasks interleave.
 *
 * Frames: PostgreSQL's default.  With ORDER BY a running aggregate covers the
 * partition up to the current row and its peers (RANGE UNBOUNDED PRECEDING);
 * without, the whole partition, and every row is a peer of every other
 * (RANK and DENSE_RANK are then 1).
 *
 * Checkpoints write the rows of unfired buckets (a top-N's candidates
 * only) as keyed records tagged with their partition's shuffle hash and
 * restore them by feeding them back in (see the checkpoint section).
 *
 * Exports: wd_op_winfn_vt, wd_op_winfn_stats.
 */
#include <string.h>

#include "batch/sort.h"
#include "common/alloc.h"
#include "ops/aggregate.h"
#include "ops/rows.h"
#include "runtime/runtime.h"
#include "state/snapshot.h"

#define OUT_ROWS 1024        /* rows per emitted batch */
#define COMPACT_SLACK 4096u  /* garbage rows a top-N store may hold beyond its live rows */
#define STORE_CAP0 256u      /* initial rows of a store */

/* ---- state ------------------------------------------------------------------ */

typedef struct wf_part {
    uint64_t hash;
    uint32_t *kept;     /* store slots: max-heap (ROW_NUMBER) or ascending (RANK, DENSE_RANK) */
    uint32_t nkept, cap;
    uint32_t ngroups;   /* DENSE_RANK: distinct order values among kept */
} wf_part;

typedef struct wf_bucket {
    int64_t ts;
    wd_batch *store;    /* rows appended (input schema): top-N candidates, or
                           the parts of input batches shared with other
                           timestamps or late rows (no limit) */
    /* no limit: input batches whose rows all belong here, retained */
    wd_batch **batches;
    uint32_t nbatches, capbatches;
    /* top-N */
    wf_part *parts;
    uint32_t nparts, capparts;
    uint32_t *table;    /* open addressing over parts: index + 1, 0 = empty */
    uint32_t tmask;
    uint64_t live;      /* sum of nkept */
    wd_arena arena;     /* kept arrays */
} wf_bucket;

typedef struct wf_state {
    const wd_winfn_spec *spec;
    const wd_type *in_schema, *out_schema;
    uint32_t nin;              /* input fields, _timestamp included */
    wd_sort_key *pkeys;        /* partition columns, ascending, NULLs last */
    wd_sort_key *fkeys;        /* row order in a partition: ORDER BY keys, then
                                  every input column ascending (ties broken by
                                  content, so the output does not depend on the
                                  order rows arrived in) */
    uint32_t nfull;
    bool topn;
    wd_wf_kind rank_kind;      /* the call of a top-N */
    bool need_peers;           /* some call looks at peer groups */
    bool has_views;            /* the input schema holds text / bytes / json */
    wd_agg_spec *aggs;         /* per call: a copy laid out at offset 0 (WD_WF_AGG) */
    uint32_t *strides;
    wf_bucket **buckets;       /* ascending timestamps */
    uint32_t nbuckets, capbuckets;
    /* per input batch scratch */
    uint64_t *hashes;
    uint32_t *rows, *pend;
    uint32_t scap;
    wd_col *pcols;             /* partition columns of the batch being hashed */
    uint64_t fp;               /* checkpoints: wf_fingerprint */
} wf_state;

/* ---- appending rows to a column ---------------------------------------------- */

static bool type_has_views(const wd_type *t)
{
    if (!t) return false;
    if (wd_type_is_stringy(t->id)) return true;
    if (t->id == WD_T_LIST) return type_has_views(t->elem);
    if (t->id == WD_T_STRUCT)
        for (uint32_t f = 0; f < t->nfields; f++)
            if (type_has_views(t->fields[f].type)) return true;
    return false;
}

/* Append n NULL rows to dst (values zeroed, lists empty). */
static void col_append_nulls(wd_col *dst, uint32_t n, wd_arena *a)
{
    if (n == 0) return;
    uint32_t at = dst->len;
    wd_col_reserve(dst, at + n, a);
    memset(wd_col_valid_alloc(dst, a) + at, 0, n);
    const wd_type *t = dst->type ? dst->type : WD_TYPE_NULL;
    if (t->id == WD_T_STRUCT) {
        for (uint32_t f = 0; f < t->nfields; f++) {
            dst->child[f].len = at;
            col_append_nulls(&dst->child[f], n, a);
        }
    } else if (t->id == WD_T_LIST) {
        uint32_t *d = dst->data;
        for (uint32_t i = 0; i < n; i++) d[at + i + 1] = d[at];
    } else {
        size_t w = wd_type_width(t->id);
        if (w) memset((char *)dst->data + (size_t)at * w, 0, (size_t)n * w);
    }
    dst->len = at + n;
}

/* ---- buckets ------------------------------------------------------------------ */

static wf_bucket *bucket_new(wf_state *st, int64_t ts)
{
    wf_bucket *b = wd_calloc(1, sizeof *b);
    b->ts = ts;
    b->store = wd_batch_new(st->in_schema, st->topn ? STORE_CAP0 : 0);
    wd_arena_init(&b->arena, 16 * 1024);
    return b;
}

static void bucket_free(wf_bucket *b)
{
    if (!b) return;
    for (uint32_t i = 0; i < b->nbatches; i++) wd_batch_release(b->batches[i]);
    wd_free(b->batches);
    wd_batch_release(b->store);
    wd_free(b->parts);
    wd_free(b->table);
    wd_arena_free(&b->arena);
    wd_free(b);
}

/* The bucket of timestamp ts, created in order when absent. */
static wf_bucket *bucket_get(wf_state *st, int64_t ts)
{
    uint32_t lo = 0, hi = st->nbuckets;
    if (hi && st->buckets[hi - 1]->ts == ts) return st->buckets[hi - 1];
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (st->buckets[mid]->ts < ts) lo = mid + 1;
        else hi = mid;
    }
    if (lo < st->nbuckets && st->buckets[lo]->ts == ts) return st->buckets[lo];
    if (st->nbuckets == st->capbuckets) {
        st->capbuckets = st->capbuckets ? st->capbuckets * 2 : 8;
        st->buckets = wd_realloc(st->buckets, st->capbuckets * sizeof *st->buckets);
    }
    memmove(st->buckets + lo + 1, st->buckets + lo, (st->nbuckets - lo) * sizeof *st->buckets);
    st->buckets[lo] = bucket_new(st, ts);
    st->nbuckets++;
    return st->buckets[lo];
}

/* ---- top-N candidates --------------------------------------------------------- */

static void heap_up(const wd_slots *c, uint32_t *h, uint32_t i)
{
    uint32_t x = h[i];
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (wd_slot_cmp(c, h[p], x) >= 0) break;
        h[i] = h[p];
        i = p;
    }
    h[i] = x;
}

static void heap_down(const wd_slots *c, uint32_t *h, uint32_t n, uint32_t i)
{
    uint32_t x = h[i];
    for (;;) {
        uint32_t l = 2 * i + 1;
        if (l >= n) break;
        uint32_t m = l + 1 < n && wd_slot_cmp(c, h[l + 1], h[l]) > 0 ? l + 1 : l;
        if (wd_slot_cmp(c, h[m], x) <= 0) break;
        h[i] = h[m];
        i = m;
    }
    h[i] = x;
}

/* Room for one more kept slot. */
static void kept_grow(wf_bucket *b, wf_part *p)
{
    if (p->nkept < p->cap) return;
    uint32_t nc = p->cap ? p->cap * 2 : 4;
    p->kept = wd_arena_realloc(&b->arena, p->kept, (size_t)p->cap * sizeof *p->kept,
                               (size_t)nc * sizeof *p->kept);
    if (!p->kept) wd_panic("window function: out of memory");
    p->cap = nc;
}

/* First position of kept whose order keys are above slot's. */
static uint32_t upper_bound(const wd_slots *c, const wf_part *p, uint32_t slot)
{
    uint32_t lo = 0, hi = p->nkept;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (wd_slot_keys_cmp(c, p->kept[mid], slot) <= 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Start of the tie group of the last kept row. */
static uint32_t last_group_start(const wd_slots *c, const wf_part *p)
{
    uint32_t g = p->nkept - 1;
    while (g > 0 && wd_slot_keys_cmp(c, p->kept[g - 1], p->kept[p->nkept - 1]) == 0) g--;
    return g;
}

/*
 * Offer slot to partition p (which keeps at least one row).  Returns true
 * when it is kept; *evicted gets the number of rows p dropped for it.
 *   ROW_NUMBER: the limit first rows in the row order (slot_cmp).
 *   RANK: every row with fewer than limit rows strictly better.
 *   DENSE_RANK: every row among the limit best distinct values.
 */
static bool offer(const wf_state *st, wf_bucket *b, const wd_slots *c, wf_part *p, uint32_t slot,
                  uint32_t *evicted)
{
    uint64_t limit = (uint64_t)st->spec->limit;
    *evicted = 0;
    if (st->rank_kind == WD_WF_ROW_NUMBER) {
        if (p->nkept < limit) {
            kept_grow(b, p);
            p->kept[p->nkept++] = slot;
            heap_up(c, p->kept, p->nkept - 1);
            return true;
        }
        if (wd_slot_cmp(c, slot, p->kept[0]) > 0) return false; /* slot is the newest */
        p->kept[0] = slot;
        heap_down(c, p->kept, p->nkept, 0);
        *evicted = 1;
        return true;
    }
    uint32_t n = p->nkept;
    bool dense = st->rank_kind == WD_WF_DENSE_RANK;
    if (dense) {
        if (p->ngroups >= limit && wd_slot_keys_cmp(c, slot, p->kept[n - 1]) > 0) return false;
    } else if (n >= limit && wd_slot_keys_cmp(c, p->kept[limit - 1], slot) < 0) {
        return false; /* limit rows strictly better */
    }
    uint32_t pos = upper_bound(c, p, slot);
    bool new_group = pos == 0 || wd_slot_keys_cmp(c, p->kept[pos - 1], slot) != 0;
    kept_grow(b, p);
    memmove(p->kept + pos + 1, p->kept + pos, (size_t)(n - pos) * sizeof *p->kept);
    p->kept[pos] = slot;
    p->nkept++;
    if (dense) {
        if (new_group && ++p->ngroups > limit) {
            uint32_t g = last_group_start(c, p);
            *evicted = p->nkept - g;
            p->nkept = g;
            p->ngroups--;
        }
    } else if (p->nkept > limit) {
        /* the last tie group now has limit rows strictly better: out */
        uint32_t g = last_group_start(c, p);
        if (g >= limit) {
            *evicted = p->nkept - g;
            p->nkept = g;
        }
    }
    return true;
}

/* The partition of input row r (hash h) in bucket b, created when new. */
static wf_part *part_get(const wf_state *st, wf_bucket *b, const wd_slots *c, uint64_t h,
                         uint32_t r, bool *created)
{
    if (!b->table || (b->nparts + 1) * 2 > b->tmask + 1) {
        uint32_t ncap = b->table ? (b->tmask + 1) * 2 : 16;
        uint32_t *nt = wd_calloc(ncap, sizeof *nt);
        for (uint32_t k = 0; k < b->nparts; k++) {
            uint32_t i = (uint32_t)b->parts[k].hash & (ncap - 1);
            while (nt[i]) i = (i + 1) & (ncap - 1);
            nt[i] = k + 1;
        }
        wd_free(b->table);
        b->table = nt;
        b->tmask = ncap - 1;
    }
    uint32_t i = (uint32_t)h & b->tmask;
    for (; b->table[i]; i = (i + 1) & b->tmask) {
        wf_part *p = &b->parts[b->table[i] - 1];
        if (p->hash != h) continue;
        uint32_t row;
        const wd_col *rc = wd_slot_row(c, p->kept[0], &row);
        if (wd_row_cmp2(c->in, r, rc, row, st->pkeys, st->spec->npart) == 0) {
            *created = false;
            return p;
        }
    }
    if (b->nparts == b->capparts) {
        b->capparts = b->capparts ? b->capparts * 2 : 16;
        b->parts = wd_realloc(b->parts, b->capparts * sizeof *b->parts);
    }
    wf_part *p = &b->parts[b->nparts];
    memset(p, 0, sizeof *p);
    p->hash = h;
    b->table[i] = ++b->nparts;
    *created = true;
    return p;
}

/* Rewrite the store with only the kept rows (arrival order kept, so the
 * slots' order, ties included, is unchanged). */
static void compact(wf_state *st, wf_bucket *b)
{
    uint32_t live = (uint32_t)b->live, k = 0;
    uint32_t *L = wd_malloc((live ? live : 1) * sizeof *L);
    for (uint32_t i = 0; i < b->nparts; i++)
        for (uint32_t j = 0; j < b->parts[i].nkept; j++) L[k++] = b->parts[i].kept[j];
    wd_sort_rows(NULL, NULL, 0, L, k);
    wd_batch *ns = wd_batch_new(st->in_schema, k ? k : 1);
    for (uint32_t f = 0; f < st->nin; f++)
        wd_col_append(&ns->cols[f], &b->store->cols[f], L, k, &ns->arena, true);
    ns->nrows = k;
    for (uint32_t i = 0; i < b->nparts; i++) {
        wf_part *p = &b->parts[i];
        for (uint32_t j = 0; j < p->nkept; j++) {
            uint32_t lo = 0, hi = k, s = p->kept[j];
            while (lo < hi) {
                uint32_t mid = lo + (hi - lo) / 2;
                if (L[mid] < s) lo = mid + 1;
                else hi = mid;
            }
            p->kept[j] = lo;
        }
    }
    wd_batch_release(b->store);
    b->store = ns;
    wd_free(L);
}

/* Offer input rows rows[0..n) (all of timestamp b->ts) to bucket b. */
static void topn_run(wf_state *st, wf_bucket *b, const wd_batch *in, const uint32_t *rows,
                     uint32_t n)
{
    wd_slots c = {b->store->cols, b->store->nrows, in->cols, st->pend,
                  st->spec->order, st->spec->norder, st->fkeys, st->nfull};
    uint32_t npend = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = rows[i], slot = c.base + npend, ev = 0;
        if (WD_UNLIKELY(slot == UINT32_MAX)) wd_panic("window function: store over 2^32 rows");
        st->pend[npend] = r;
        bool created;
        wf_part *p = part_get(st, b, &c, st->hashes[r], r, &created);
        if (created) {
            kept_grow(b, p);
            p->kept[p->nkept++] = slot;
            p->ngroups = 1;
        } else if (!offer(st, b, &c, p, slot, &ev)) {
            continue;
        }
        npend++;
        b->live = b->live + 1 - ev;
    }
    wd_batch *s = b->store;
    for (uint32_t f = 0; f < st->nin; f++)
        wd_col_append(&s->cols[f], &in->cols[f], st->pend, npend, &s->arena, true);
    s->nrows += npend;
    if (s->nrows > 2 * b->live + COMPACT_SLACK) compact(st, b);
}

/* ---- computing and emitting a bucket -------------------------------------- */

/* Rank-like call values over the ordered rows. */
static void compute_rank(wd_wf_kind kind, wd_col *out, uint32_t m, const uint32_t *pstart,
                         uint32_t np, const uint8_t *newpeer)
{
    int64_t *v = out->data;
    for (uint32_t p = 0; p < np; p++) {
        int64_t rank = 0, dense = 0;
        for (uint32_t i = pstart[p]; i < pstart[p + 1]; i++) {
            int64_t rn = (int64_t)(i - pstart[p]) + 1;
            if (kind == WD_WF_ROW_NUMBER) {
                v[i] = rn;
                continue;
            }
            if (i == pstart[p] || newpeer[i]) {
                rank = rn;
                dense++;
            }
            v[i] = kind == WD_WF_RANK ? rank : dense;
        }
    }
    out->len = m;
}

/* LAG / LEAD: the argument offset rows back / ahead within the partition,
 * else the default column's value at the current row, else NULL.  Built
 * as runs of appends; tmp holds m indexes. */
static void compute_shift(const wd_wf_call *call, const wd_batch *R, const uint32_t *ord,
                          uint32_t m, const uint32_t *pstart, uint32_t np, wd_col *out,
                          wd_arena *a, uint32_t *tmp)
{
    int64_t off = call->offset;
    int64_t lim = (int64_t)m + 1;
    if (off > lim) off = lim;
    if (off < -lim) off = -lim;
    if (call->kind == WD_WF_LEAD) off = -off; /* row i reads i - off */
    const wd_col *arg = &R->cols[call->arg_col];
    const wd_col *def = call->default_col >= 0 ? &R->cols[call->default_col] : NULL;
    int cls = -1; /* run class: 0 argument, 1 default, 2 NULL */
    uint32_t k = 0;
    for (uint32_t p = 0; p < np; p++) {
        int64_t s = pstart[p], e = pstart[p + 1];
        for (int64_t i = s; i < e; i++) {
            int64_t j = i - off;
            int c = j >= s && j < e ? 0 : def ? 1 : 2;
            if (c != cls && k) {
                if (cls == 0) wd_col_append(out, arg, tmp, k, a, false);
                else if (cls == 1) wd_col_append(out, def, tmp, k, a, false);
                else col_append_nulls(out, k, a);
                k = 0;
            }
            cls = c;
            tmp[k++] = c == 0 ? ord[j] : ord[i];
        }
    }
    if (k) {
        if (cls == 0) wd_col_append(out, arg, tmp, k, a, false);
        else if (cls == 1) wd_col_append(out, def, tmp, k, a, false);
        else col_append_nulls(out, k, a);
    }
}

/* A running aggregate: per partition one state, updated one peer group at a
 * time and finalised into every row of the group.  tmp holds m indexes. */
static void compute_agg(const wf_state *st, uint32_t k, const wd_batch *R, const uint32_t *ord,
                        uint32_t m, const uint32_t *pstart, uint32_t np, const uint8_t *newpeer,
                        wd_col *out, wd_arena *a, uint32_t *tmp)
{
    const wd_agg_spec *s = &st->aggs[k];
    const wd_agg_fn *fn = s->fn;
    uint32_t stride = st->strides[k];
    uint8_t *state = wd_arena_calloc(a, stride);
    uint32_t *zeros = wd_calloc(m ? m : 1, sizeof *zeros);
    wd_agg_ctx ctx = {a};
    const wd_col *arg = s->arg_col >= 0 ? &R->cols[s->arg_col] : NULL;
    const wd_col *filt = s->filter_col >= 0 ? &R->cols[s->filter_col] : NULL;
    out->len = m;
    for (uint32_t p = 0; p < np; p++) {
        fn->init(s, state, stride, 1);
        uint32_t e = pstart[p + 1];
        for (uint32_t g = pstart[p]; g < e;) {
            uint32_t h = g + 1;
            if (st->spec->norder)
                while (h < e && !newpeer[h]) h++;
            else
                h = e;
            uint32_t cnt = 0;
            for (uint32_t i = g; i < h; i++) {
                uint32_t r = ord[i];
                if (filt && !(wd_col_valid(filt, r) && WD_COL_GET(filt, uint8_t, r))) continue;
                tmp[cnt++] = r;
            }
            if (cnt) fn->update(s, &ctx, state, stride, zeros, arg, tmp, cnt, 1);
            for (uint32_t i = g; i < h; i++) fn->finalize(s, state, out, i, a);
            g = h;
        }
        if ((fn->flags & WD_AGG_DESTROY) && fn->destroy) fn->destroy(s, state);
    }
    wd_free(zeros);
}

/*
 * Emit the rows at positions pos[0..n) of the computed order, in batches
 * of at most OUT_ROWS rows: input columns gathered from R (row ord[pos]),
 * call columns from res (row pos), _timestamp from R.  pos NULL: 0..n.
 */
static int emit_chunks(wd_op *op, const wf_state *st, wd_batch *R, wd_batch *res,
                       const uint32_t *ord, const uint32_t *pos, uint32_t n, wd_error *err)
{
    uint32_t nin1 = st->nin - 1, ncalls = st->spec->ncalls;
    uint32_t *ridx = wd_malloc(OUT_ROWS * sizeof *ridx), *pidx = wd_malloc(OUT_ROWS * sizeof *pidx);
    int rc = 0;
    for (uint32_t off = 0; off < n && rc == 0; off += OUT_ROWS) {
        uint32_t cnt = n - off < OUT_ROWS ? n - off : OUT_ROWS;
        for (uint32_t i = 0; i < cnt; i++) {
            pidx[i] = pos ? pos[off + i] : off + i;
            ridx[i] = ord[pidx[i]];
        }
        bool whole = !pos && cnt == res->nrows; /* the call columns as they are */
        wd_batch *c = wd_batch_new_empty(st->out_schema);
        wd_batch_borrow(c, R);
        wd_batch_borrow(c, res);
        for (uint32_t f = 0; f < nin1; f++)
            wd_col_gather(&c->cols[f], &R->cols[f], ridx, cnt, &c->arena);
        for (uint32_t k = 0; k < ncalls; k++)
            wd_col_gather(&c->cols[nin1 + k], &res->cols[nin1 + k], whole ? NULL : pidx, cnt,
                          &c->arena);
        wd_col_gather(&c->cols[nin1 + ncalls], &R->cols[nin1], ridx, cnt, &c->arena);
        c->nrows = cnt;
        rc = wd_op_emit(op, c, err);
        wd_batch_release(c);
    }
    wd_free(ridx);
    wd_free(pidx);
    return rc;
}

/*
 * Compute every call over the rows of R in the order ord[0..m), partition p
 * being ord[pstart[p] .. pstart[p + 1]), and emit them.  Top-N: only rows
 * ranked within the limit.
 */
static int emit_rows(wd_op *op, wf_state *st, wd_batch *R, const uint32_t *ord, uint32_t m,
                     const uint32_t *pstart, uint32_t np, wd_error *err)
{
    const wd_winfn_spec *spec = st->spec;
    uint32_t nin1 = st->nin - 1;
    /* res holds the call columns (rows in computed order); others unused */
    wd_batch *res = wd_batch_new_empty(st->out_schema);
    wd_batch_borrow(res, R);
    wd_arena *a = &res->arena;
    uint32_t *tmp = wd_malloc((m ? m : 1) * sizeof *tmp);
    uint8_t *newpeer = NULL;
    if (st->need_peers) {
        /* newpeer[i]: position i starts a peer group (equal ORDER BY keys) */
        newpeer = wd_malloc(m ? m : 1);
        for (uint32_t p = 0; p < np; p++) {
            const wd_sort_key *ok = spec->order;
            uint32_t s0 = pstart[p], no = spec->norder;
            for (uint32_t i = s0; i < pstart[p + 1]; i++)
                newpeer[i] = i == s0 || (no && wd_row_cmp(R->cols, ok, no, ord[i - 1], ord[i]) != 0);
        }
    }
    for (uint32_t k = 0; k < spec->ncalls; k++) {
        const wd_wf_call *call = &spec->calls[k];
        wd_col *out = &res->cols[nin1 + k];
        const wd_type *t = st->out_schema->fields[nin1 + k].type;
        switch (call->kind) {
        case WD_WF_ROW_NUMBER:
        case WD_WF_RANK:
        case WD_WF_DENSE_RANK:
            wd_col_init(out, t, m, a);
            compute_rank(call->kind, out, m, pstart, np, newpeer);
            break;
        case WD_WF_LAG:
        case WD_WF_LEAD:
            wd_col_init(out, t, 0, a);
            compute_shift(call, R, ord, m, pstart, np, out, a, tmp);
            break;
        case WD_WF_AGG:
            wd_col_init(out, t, m, a);
            compute_agg(st, k, R, ord, m, pstart, np, newpeer, out, a, tmp);
            break;
        }
    }
    res->nrows = m;
    wd_free(newpeer);

    const uint32_t *pos = NULL;
    uint32_t n = m;
    if (st->topn) { /* rows ranked within the limit (all of them, by construction) */
        const int64_t *rank = res->cols[nin1].data;
        n = 0;
        for (uint32_t i = 0; i < m; i++)
            if (rank[i] <= spec->limit) tmp[n++] = i;
        if (n < m) pos = tmp;
    }
    int rc = emit_chunks(op, st, R, res, ord, pos, n, err);
    wd_free(tmp);
    wd_batch_release(res);
    return rc;
}

/* Partition id of every row of the store (all rows; no limit). */
static uint32_t group_all(const wf_state *st, const wd_batch *R, uint32_t *pid, uint32_t **reps_out)
{
    uint32_t n = R->nrows, npart = st->spec->npart, np = 0, caprep = 16;
    uint32_t *reps = wd_malloc(caprep * sizeof *reps);
    if (npart == 0) {
        memset(pid, 0, (size_t)n * sizeof *pid);
        reps[np++] = 0;
        *reps_out = reps;
        return np;
    }
    uint64_t *h = wd_malloc((size_t)n * sizeof *h);
    for (uint32_t k = 0; k < npart; k++) st->pcols[k] = R->cols[st->spec->part_cols[k]];
    wd_hash_rows(st->pcols, npart, n, h);
    uint32_t tcap = 16, *table = wd_calloc(tcap, sizeof *table);
    for (uint32_t r = 0; r < n; r++) {
        if ((np + 1) * 2 > tcap) {
            uint32_t nc = tcap * 2, *nt = wd_calloc(nc, sizeof *nt);
            for (uint32_t q = 0; q < np; q++) {
                uint32_t i = (uint32_t)h[reps[q]] & (nc - 1);
                while (nt[i]) i = (i + 1) & (nc - 1);
                nt[i] = q + 1;
            }
            wd_free(table);
            table = nt;
            tcap = nc;
        }
        uint32_t i = (uint32_t)h[r] & (tcap - 1), found = UINT32_MAX;
        for (; table[i]; i = (i + 1) & (tcap - 1)) {
            uint32_t q = table[i] - 1, rep = reps[q];
            if (h[rep] == h[r] && wd_row_cmp(R->cols, st->pkeys, npart, rep, r) == 0) {
                found = q;
                break;
            }
        }
        if (found == UINT32_MAX) {
            if (np == caprep) {
                caprep *= 2;
                reps = wd_realloc(reps, caprep * sizeof *reps);
            }
            reps[np] = r;
            table[i] = np + 1;
            found = np++;
        }
        pid[r] = found;
    }
    wd_free(table);
    wd_free(h);
    *reps_out = reps;
    return np;
}

/* Rows of a bucket without a limit, as one batch (a reference for the
 * caller): the one retained batch, or everything concatenated. */
static wd_batch *plain_rows(const wf_state *st, wf_bucket *b)
{
    uint64_t total = b->store->nrows;
    for (uint32_t i = 0; i < b->nbatches; i++) total += b->batches[i]->nrows;
    if (WD_UNLIKELY(total >= UINT32_MAX)) wd_panic("window function: a window over 2^32 rows");
    if (b->nbatches == 1 && b->store->nrows == 0) {
        wd_batch_retain(b->batches[0]);
        return b->batches[0];
    }
    if (b->nbatches == 0) {
        wd_batch_retain(b->store);
        return b->store;
    }
    wd_batch *R = wd_batch_new(st->in_schema, (uint32_t)total);
    for (uint32_t i = 0; i <= b->nbatches; i++) {
        wd_batch *x = i < b->nbatches ? b->batches[i] : b->store;
        for (uint32_t f = 0; f < st->nin; f++)
            wd_col_append(&R->cols[f], &x->cols[f], NULL, x->nrows, &R->arena, false);
        if (st->has_views && x->nrows) wd_batch_borrow(R, x);
    }
    R->nrows = (uint32_t)total;
    return R;
}

/* Order, compute and emit the rows of bucket b. */
static int fire_bucket(wd_op *op, wf_state *st, wf_bucket *b, wd_error *err)
{
    wd_batch *R = st->topn ? b->store : plain_rows(st, b);
    if (st->topn) wd_batch_retain(R);
    uint32_t n = R->nrows;
    if (n == 0) {
        wd_batch_release(R);
        return 0;
    }
    uint32_t *pid = wd_malloc((size_t)n * sizeof *pid);
    uint32_t *reps, np;
    if (st->topn) {
        memset(pid, 0xff, (size_t)n * sizeof *pid);
        np = b->nparts;
        reps = wd_malloc((np ? np : 1) * sizeof *reps);
        for (uint32_t p = 0; p < np; p++) {
            reps[p] = b->parts[p].kept[0];
            for (uint32_t j = 0; j < b->parts[p].nkept; j++) pid[b->parts[p].kept[j]] = p;
        }
    } else {
        np = group_all(st, R, pid, &reps);
    }
    /* partitions in key order; each partition's rows contiguous, by arrival */
    wd_sort_rows(R->cols, st->pkeys, st->spec->npart, reps, np);
    uint32_t *prank = wd_malloc((np ? np : 1) * sizeof *prank);
    uint32_t *pstart = wd_calloc((size_t)np + 1, sizeof *pstart);
    for (uint32_t i = 0; i < np; i++) prank[pid[reps[i]]] = i;
    for (uint32_t r = 0; r < n; r++)
        if (pid[r] != UINT32_MAX) pstart[prank[pid[r]] + 1]++;
    for (uint32_t p = 0; p < np; p++) pstart[p + 1] += pstart[p];
    uint32_t m = pstart[np];
    uint32_t *ord = wd_malloc((m ? m : 1) * sizeof *ord), *fill = reps; /* reps reused */
    memcpy(fill, pstart, (size_t)np * sizeof *fill);
    for (uint32_t r = 0; r < n; r++)
        if (pid[r] != UINT32_MAX) ord[fill[prank[pid[r]]]++] = r;
    if (st->nfull)
        for (uint32_t p = 0; p < np; p++)
            wd_sort_rows(R->cols, st->fkeys, st->nfull, ord + pstart[p],
                         pstart[p + 1] - pstart[p]);
    wd_free(pid);
    wd_free(prank);
    wd_free(reps);
    int rc = emit_rows(op, st, R, ord, m, pstart, np, err);
    wd_free(ord);
    wd_free(pstart);
    wd_batch_release(R);
    return rc;
}

/* Fire (and drop) the first k buckets, oldest first. */
static int fire_first(wd_op *op, wf_state *st, uint32_t k, wd_error *err)
{
    int rc = 0;
    uint32_t i = 0;
    for (; i < k && rc == 0; i++) {
        rc = fire_bucket(op, st, st->buckets[i], err);
        bucket_free(st->buckets[i]);
        st->buckets[i] = NULL;
    }
    if (i == 0) return rc;
    memmove(st->buckets, st->buckets + i, (st->nbuckets - i) * sizeof *st->buckets);
    st->nbuckets -= i;
    return rc;
}

/* ---- the operator ------------------------------------------------------------ */

static bool col_ok(int c, uint32_t n) { return c >= 0 && (uint32_t)c < n; }

/* Check the spec against the schemas and prepare per-call data. */
static int wf_prepare(wf_state *st, wd_error *err)
{
    const wd_winfn_spec *s = st->spec;
    const wd_type *in = st->in_schema, *out = st->out_schema;
    uint32_t nin = st->nin;
    if (!out || out->id != WD_T_STRUCT || out->nfields != nin + s->ncalls)
        return wd_err(err, WD_EPLAN, "window function: output schema has %u fields, expected %u",
                      out ? out->nfields : 0, nin + s->ncalls);
    for (uint32_t f = 0; f + 1 < nin; f++)
        if (!wd_type_eq(in->fields[f].type, out->fields[f].type))
            return wd_err(err, WD_EPLAN, "window function: output column %u is not the input's", f);
    if ((s->npart && !s->part_cols) || (s->norder && !s->order) || (s->ncalls && !s->calls))
        return wd_err(err, WD_EPLAN, "window function: incomplete spec");
    for (uint32_t k = 0; k < s->npart; k++)
        if (!col_ok(s->part_cols[k], nin))
            return wd_err(err, WD_EPLAN, "window function: partition column %d out of range",
                          s->part_cols[k]);
    for (uint32_t k = 0; k < s->norder; k++)
        if (!col_ok(s->order[k].col, nin))
            return wd_err(err, WD_EPLAN, "window function: order column %d out of range",
                          s->order[k].col);
    if (s->limit < 0) return wd_err(err, WD_EPLAN, "window function: negative limit");
    if (s->limit > 0) {
        if (s->ncalls != 1 || s->calls[0].kind > WD_WF_DENSE_RANK)
            return wd_err(err, WD_EPLAN, "window function: a limit needs exactly one "
                                         "ROW_NUMBER, RANK or DENSE_RANK");
        st->topn = true;
        st->rank_kind = s->calls[0].kind;
    }
    st->aggs = wd_calloc(s->ncalls ? s->ncalls : 1, sizeof *st->aggs);
    st->strides = wd_calloc(s->ncalls ? s->ncalls : 1, sizeof *st->strides);
    for (uint32_t k = 0; k < s->ncalls; k++) {
        const wd_wf_call *c = &s->calls[k];
        const wd_type *t = out->fields[nin - 1 + k].type;
        switch (c->kind) {
        case WD_WF_ROW_NUMBER:
        case WD_WF_RANK:
        case WD_WF_DENSE_RANK:
            if (t->id != WD_T_INT64)
                return wd_err(err, WD_EPLAN, "window function: rank column must be BIGINT, not %s",
                              wd_type_name(t));
            if (c->kind != WD_WF_ROW_NUMBER) st->need_peers = true;
            break;
        case WD_WF_LAG:
        case WD_WF_LEAD:
            if (!col_ok(c->arg_col, nin) ||
                (c->default_col >= 0 && !col_ok(c->default_col, nin)))
                return wd_err(err, WD_EPLAN, "window function: lag/lead column out of range");
            if (!wd_type_eq(in->fields[c->arg_col].type, t) ||
                (c->default_col >= 0 && !wd_type_eq(in->fields[c->default_col].type, t)))
                return wd_err(err, WD_EPLAN, "window function: lag/lead argument, default and "
                                             "result types differ");
            break;
        case WD_WF_AGG: {
            wd_agg_spec a = c->agg;
            if (!a.fn || !a.fn->init || !a.fn->update || !a.fn->finalize)
                return wd_err(err, WD_EPLAN, "window function: aggregate without implementation");
            if (a.distinct || a.arg2_col >= 0)
                return wd_err(err, WD_EUNSUPPORTED,
                              "%s(DISTINCT …) and two-argument aggregates are not supported as "
                              "window functions", a.fn->name ? a.fn->name : "aggregate");
            if ((a.arg_col >= 0 && !col_ok(a.arg_col, nin)) ||
                (a.filter_col >= 0 && !col_ok(a.filter_col, nin)))
                return wd_err(err, WD_EPLAN, "window function: aggregate column out of range");
            if (a.filter_col >= 0 && in->fields[a.filter_col].type->id != WD_T_BOOL)
                return wd_err(err, WD_EPLAN, "window function: FILTER column is not BOOLEAN");
            if (a.ret && !wd_type_eq(a.ret, t))
                return wd_err(err, WD_EPLAN, "window function: %s returns %s, column is %s",
                              a.fn->name, wd_type_name(a.ret), wd_type_name(t));
            const wd_type *at = a.arg_type ? a.arg_type
                                : a.arg_col >= 0 ? in->fields[a.arg_col].type : NULL;
            uint32_t size = a.fn->state_size ? a.fn->state_size(at) : 0;
            a.offset = 0;
            a.size = size;
            st->aggs[k] = a;
            st->strides[k] = size ? (size + 7u) & ~7u : 8u;
            if (s->norder) st->need_peers = true;
            break;
        }
        default:
            return wd_err(err, WD_EPLAN, "window function: unknown function kind %d", (int)c->kind);
        }
    }
    return 0;
}

static void wf_close(wd_op *op);
static uint64_t wf_fingerprint(const wf_state *st);

static int wf_open(wd_op *op, wd_error *err)
{
    const wd_node *n = op->node;
    if (!n->spec || n->ninputs < 1 || !n->in_schemas || !n->in_schemas[0] ||
        n->in_schemas[0]->id != WD_T_STRUCT || n->in_schemas[0]->nfields == 0)
        return wd_err(err, WD_EPLAN, "window function: no spec or input schema");
    wf_state *st = wd_calloc(1, sizeof *st);
    st->spec = n->spec;
    st->in_schema = n->in_schemas[0];
    st->out_schema = n->out_schema;
    st->nin = st->in_schema->nfields;
    op->state = st;
    int rc = wf_prepare(st, err);
    if (rc < 0) {
        wf_close(op);
        return rc;
    }
    uint32_t np = st->spec->npart;
    st->pkeys = wd_calloc(np ? np : 1, sizeof *st->pkeys);
    st->pcols = wd_calloc(np ? np : 1, sizeof *st->pcols);
    for (uint32_t k = 0; k < np; k++) st->pkeys[k].col = st->spec->part_cols[k];
    st->nfull = st->spec->norder + st->nin - 1;
    st->fkeys = wd_calloc(st->nfull ? st->nfull : 1, sizeof *st->fkeys);
    for (uint32_t k = 0; k < st->spec->norder; k++) st->fkeys[k] = st->spec->order[k];
    for (uint32_t f = 0; f + 1 < st->nin; f++) st->fkeys[st->spec->norder + f].col = (int)f;
    st->has_views = type_has_views(st->in_schema);
    st->fp = wf_fingerprint(st);
    return 0;
}

static void wf_close(wd_op *op)
{
    wf_state *st = op->state;
    if (!st) return;
    for (uint32_t i = 0; i < st->nbuckets; i++) bucket_free(st->buckets[i]);
    wd_free(st->buckets);
    wd_free(st->pkeys);
    wd_free(st->fkeys);
    wd_free(st->pcols);
    wd_free(st->aggs);
    wd_free(st->strides);
    wd_free(st->hashes);
    wd_free(st->rows);
    wd_free(st->pend);
    wd_free(st);
    op->state = NULL;
}

static int wf_batch(wd_op *op, uint32_t input, wd_batch *in, wd_error *err)
{
    wf_state *st = op->state;
    uint32_t n = in->nrows;
    if (n == 0) return 0;
    if (in->retract)
        for (uint32_t i = 0; i < n; i++)
            if (in->retract[i])
                return wd_err(err, WD_EUNSUPPORTED,
                              "window functions over an updating input are not supported");
    if (in->schema->nfields != st->nin)
        return wd_err(err, WD_EINTERNAL, "window function: batch has %u columns, expected %u",
                      in->schema->nfields, st->nin);
    wd_batch *b = wd_batch_expand_consts(in);
    if (!b) return wd_err(err, WD_ENOMEM, "window function: out of memory");
    if (st->scap < n) {
        st->scap = n;
        st->hashes = wd_realloc(st->hashes, (size_t)n * sizeof *st->hashes);
        st->rows = wd_realloc(st->rows, (size_t)n * sizeof *st->rows);
        st->pend = wd_realloc(st->pend, (size_t)n * sizeof *st->pend);
    }
    /* late rows out */
    const int64_t *ts = wd_batch_ts(b);
    uint32_t nk = 0;
    uint64_t late = 0;
    for (uint32_t i = 0; i < n; i++) {
        st->rows[nk] = i;
        bool ok = ts[i] > op->watermark;
        nk += ok;
        late += !ok;
    }
    if (late) atomic_fetch_add_explicit(&op->metrics.late_dropped, late, memory_order_relaxed);
    if (st->topn) {
        for (uint32_t k = 0; k < st->spec->npart; k++)
            st->pcols[k] = b->cols[st->spec->part_cols[k]];
        wd_hash_rows(st->pcols, st->spec->npart, n, st->hashes);
    }
    /* runs of one timestamp */
    for (uint32_t s = 0; s < nk;) {
        int64_t t = ts[st->rows[s]];
        uint32_t e = s + 1;
        while (e < nk && ts[st->rows[e]] == t) e++;
        wf_bucket *bk = bucket_get(st, t);
        if (st->topn) {
            topn_run(st, bk, b, st->rows + s, e - s);
        } else if (e - s == n) { /* the whole batch: keep it */
            if (bk->nbatches == bk->capbatches) {
                bk->capbatches = bk->capbatches ? bk->capbatches * 2 : 8;
                bk->batches = wd_realloc(bk->batches, bk->capbatches * sizeof *bk->batches);
            }
            wd_batch_retain(b);
            bk->batches[bk->nbatches++] = b;
        } else { /* part of it: copy those rows (views keep b alive) */
            wd_batch *sb = bk->store;
            for (uint32_t f = 0; f < st->nin; f++)
                wd_col_append(&sb->cols[f], &b->cols[f], st->rows + s, e - s, &sb->arena, false);
            sb->nrows += e - s;
            if (st->has_views) wd_batch_borrow(sb, b);
        }
        s = e;
    }
    if (b != in) wd_batch_release(b);
    return 0;
}

static int wf_watermark(wd_op *op, int64_t wm, wd_error *err)
{
    wf_state *st = op->state;
    uint32_t k = 0;
    while (k < st->nbuckets && st->buckets[k]->ts <= wm) k++;
    int rc = fire_first(op, st, k, err);
    if (rc < 0) return rc;
    return wd_op_emit_watermark(op, wm, err);
}

static int wf_end(wd_op *op, wd_error *err)
{
    wf_state *st = op->state;
    return fire_first(op, st, st->nbuckets, err);
}

/* Rows held by the instance (store rows, evicted top-N rows not yet
 * compacted away included) and rows live (for top-N: kept candidates). */
void wd_op_winfn_stats(const wd_op *op, uint64_t *held, uint64_t *live)
{
    const wf_state *st = op ? op->state : NULL;
    uint64_t h = 0, l = 0;
    for (uint32_t i = 0; st && i < st->nbuckets; i++) {
        const wf_bucket *b = st->buckets[i];
        uint64_t rows = b->store->nrows;
        for (uint32_t k = 0; k < b->nbatches; k++) rows += b->batches[k]->nrows;
        h += rows;
        l += st->topn ? b->live : rows;
    }
    if (held) *held = h;
    if (live) *live = l;
}

/* ---- checkpoints ------------------------------------------------------------------ */

/*
 * Two tables.  wf_meta (global): one record per subtask, the format version
 * and the operator's fingerprint (input types, partition and order keys,
 * calls, limit), so that restore refuses the state of another operator and
 * notices a checkpoint without it.  wf_rows (keyed): the rows buffered in
 * buckets not yet fired — for a top-N only the kept candidates — one record
 * each, its input columns encoded (wd_value_encode), tagged with the high
 * half of the wd_hash_rows hash of its PARTITION BY columns, which is what
 * the shuffle in front of the operator routes by.  Snapshot walks the
 * buckets' retained batches and stores, hashing each batch's rows at once
 * (a top-N's partitions keep that hash); it allocates one array of hashes,
 * nothing per row.  Restore (wd_rows_restore, ops/rows.h) checks each
 * record, decodes rows into batches, checks their hashes and feeds them
 * back in as input: the same admission logic rebuilds the buckets and
 * heaps (the rows a top-N kept are the best of their partitions, so it
 * keeps them all again), and the output does not depend on arrival order.
 */
#define WF_META "wf_meta"
#define WF_ROWS "wf_rows"
#define WF_SNAP_VERSION 1u

/* What the saved state depends on: the input types, the partition and
 * order keys, the calls and the limit. */
static uint64_t wf_fingerprint(const wf_state *st)
{
    const wd_winfn_spec *s = st->spec;
    wd_buf b = WD_BUF_INIT;
    wd_buf_printf(&b, "window_fn v%u ", WF_SNAP_VERSION);
    wd_rows_describe(&b, st->in_schema, s->part_cols, s->npart, s->order, s->norder);
    wd_buf_printf(&b, "|calls %u:", s->ncalls);
    for (uint32_t k = 0; k < s->ncalls; k++) wd_buf_printf(&b, "%d,", (int)s->calls[k].kind);
    wd_buf_printf(&b, "|limit %lld", (long long)s->limit);
    uint64_t h = wd_snap_fingerprint(&b);
    wd_buf_free(&b);
    return h;
}

/* Every row of x (no limit); h has room for its hashes. */
static void snap_batch(const wf_state *st, const wd_batch *x, uint64_t *h, wd_snap_out *o)
{
    uint32_t np = st->spec->npart;
    for (uint32_t k = 0; k < np; k++) st->pcols[k] = x->cols[st->spec->part_cols[k]];
    wd_hash_rows(st->pcols, np, x->nrows, h);
    for (uint32_t r = 0; r < x->nrows; r++) wd_rows_snap(o, x, r, (uint32_t)(h[r] >> 32), NULL, 0);
}

static int wf_snapshot(wd_op *op, wd_snap_out *o, wd_error *err)
{
    wf_state *st = op->state;
    int rc = wd_snap_table_begin(o, WF_META, WD_SNAP_GLOBAL, err);
    if (rc < 0) return rc;
    wd_buf *b = wd_snap_rec_begin(o, 0);
    wd_snap_put_u32(b, WF_SNAP_VERSION);
    wd_snap_put_u64(b, st->fp);
    wd_snap_rec_end(o);
    rc = wd_snap_table_begin(o, WF_ROWS, WD_SNAP_KEYED, err);
    if (rc < 0) return rc;
    if (st->topn) {
        for (uint32_t i = 0; i < st->nbuckets; i++) {
            const wf_bucket *bk = st->buckets[i];
            for (uint32_t p = 0; p < bk->nparts; p++) {
                const wf_part *pt = &bk->parts[p];
                for (uint32_t k = 0; k < pt->nkept; k++)
                    wd_rows_snap(o, bk->store, pt->kept[k], (uint32_t)(pt->hash >> 32), NULL, 0);
            }
        }
        return 0;
    }
    uint32_t most = 0;
    for (uint32_t i = 0; i < st->nbuckets; i++) {
        const wf_bucket *bk = st->buckets[i];
        if (bk->store->nrows > most) most = bk->store->nrows;
        for (uint32_t k = 0; k < bk->nbatches; k++)
            if (bk->batches[k]->nrows > most) most = bk->batches[k]->nrows;
    }
    if (!most) return 0;
    uint64_t *h = wd_malloc(sizeof *h * most);
    if (!h) return wd_err(err, WD_ENOMEM, "window function: out of memory");
    for (uint32_t i = 0; i < st->nbuckets; i++) {
        const wf_bucket *bk = st->buckets[i];
        for (uint32_t k = 0; k < bk->nbatches; k++) snap_batch(st, bk->batches[k], h, o);
        snap_batch(st, bk->store, h, o);
    }
    wd_free(h);
    return 0;
}

/* The wf_meta records: this operator's, in this format. */
static int wf_restore_meta(const wf_state *st, wd_snap_in *r, wd_error *err)
{
    if (!wd_snap_in_has(r, WF_META))
        return wd_err(err, WD_ECORRUPT, "window function: the checkpoint has no '%s' state table",
                      WF_META);
    wd_snap_rec rec;
    int rc;
    bool any = false;
    wd_snap_in_open(r, WF_META);
    while ((rc = wd_snap_in_next(r, &rec, err)) == 1) {
        wd_rd d;
        wd_rd_init(&d, rec.data, rec.len);
        uint32_t ver = wd_rd_u32(&d);
        uint64_t fp = wd_rd_u64(&d);
        if (!wd_rd_done(&d)) return wd_snap_bad_record(r, err);
        if (ver != WF_SNAP_VERSION || fp != st->fp)
            return wd_err(err, WD_ECORRUPT,
                          "window function: the checkpoint holds the state of another operator "
                          "(its columns, partitions, order or functions changed)");
        any = true;
    }
    if (rc < 0) return rc;
    if (!any)
        return wd_err(err, WD_ECORRUPT, "window function: state table '%s' is empty", WF_META);
    return 0;
}

/* Restored rows: fed back in as input. */
static int wf_feed(void *ctx, wd_batch *b, const wd_rows_meta *meta, wd_error *err)
{
    return wf_batch(ctx, 0, b, err);
}

static int wf_restore(wd_op *op, wd_snap_in *r, wd_error *err)
{
    wf_state *st = op->state;
    if (st->nbuckets)
        return wd_err(err, WD_EINTERNAL,
                      "window function: restore into an operator that holds state");
    int rc = wf_restore_meta(st, r, err);
    if (rc < 0) return rc;
    return wd_rows_restore(r, WF_ROWS, st->in_schema, st->spec->part_cols, st->spec->npart, 0,
                           wf_feed, op, err);
}

const wd_op_vt wd_op_winfn_vt = {
    .name = "window_fn",
    .open = wf_open,
    .on_batch = wf_batch,
    .on_watermark = wf_watermark,
    .on_end = wf_end,
    .snapshot = wf_snapshot,
    .restore = wf_restore,
    .close = wf_close,
};
