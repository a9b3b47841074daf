/*
 * updating_agg.c — the aggregate operator without a window (GROUP BY keys
 * only): an updating aggregate whose output carries retractions.  Reached
 * through wd_op_aggregate_vt (window_agg.c), which dispatches here when
 * spec->win is WD_WIN_NONE.
 *
 * State: one group table for the whole operator; per group a state row, a
 * copy of the state as last emitted (to produce its retraction), a hidden
 * row count (inserts minus retractions: the group is empty at 0), the
 * processing time of its last update, and flags (dirty, emitted, expired).
 * Changed groups are listed when they become dirty, so a flush touches
 * only them.
 *
 * Emission: on_tick, at most every flush_ns (default 1 s; the first tick
 * flushes), and at end of input.  Per dirty group: a retraction of the
 * row emitted before (if any), then the new row when the group still has
 * rows; a group emptied by retractions emits only its retraction.  In each
 * output batch the retractions come first, then the inserts, so a key's
 * retraction always precedes its new row.  Output _timestamp: the highest
 * input _timestamp seen so far (the change is "as of" that event time).
 *
 * TTL (ttl_ns > 0): a group not updated for ttl_ns of processing time
 * (the tick clock) is dropped silently — no retraction — like Flink's
 * state TTL; if its key comes back it starts afresh.  Groups are scanned
 * every ttl_ns / 4, so a group goes after ttl_ns … 1.25·ttl_ns (plus one
 * tick).  Expired keys are dropped from the group table when they
 * outnumber the live ones.
 *
 * Out-of-line state (text copies, distinct sets) of live groups lives in
 * arenas that are only freed with the operator; fixed-size aggregates
 * (count, sum, avg, min/max of numbers) have none.
 *
 * Checkpoints: see the section at the end (snapshot / restore).
 *
 * Exports: wd_op__updating_agg_vt (for window_agg.c only).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ops/aggregate.h"
#include "ops/ttl.h"

#define F_DIRTY 1u
#define F_EMITTED 2u
#define F_EXPIRED 4u

typedef struct upd {
    wd_agg_spec *aggs;           /* copy of the spec's calls, layout applied */
    uint32_t naggs, nkeys, stride;
    bool destroy;
    const wd_type **key_types;
    const wd_type *out_schema;
    int64_t flush_ns, ttl_ns;
    uint64_t fp;                 /* wd_agg_fingerprint (0: cannot be checkpointed) */
    bool plain;                  /* state rows are plain bytes: saved as plain_bytes */
    uint32_t plain_bytes;

    wd_groups *g;
    uint8_t *states;             /* cap rows; n initialised */
    /* per group: its last emitted aggregate values, encoded (wd_value_encode),
     * so that its retraction can be written: up to 12 bytes inline (a count,
     * a sum), else a pointer into parena (see prev_bytes) */
    struct prev { uint32_t len; uint8_t b[12]; } *prev;
    int64_t *cnt;
    uint32_t *lastupd;           /* stamp() of the last update; 0: before the first tick */
    int64_t t0;                  /* time of the first tick */
    int64_t unit;                /* of stamps: ttl/16 (1 s without a TTL) */
    uint8_t *flags;
    uint32_t cap, n;
    uint32_t nexpired;
    uint32_t *dirty;
    uint32_t ndirty, capdirty;
    wd_arena arena, parena;
    wd_agg_ctx ctx;

    int64_t now;                 /* last tick (INT64_MIN before the first) */
    int64_t last_flush, last_scan;
    int64_t max_ts;

    uint32_t *slots;
    uint32_t scap;
    uint32_t *ret, *ins;         /* per output chunk */
} upd;

/* Time since the first tick in units of ttl/16, plus one (0 before it):
 * 4 bytes a group instead of a full timestamp, at the cost of expiring
 * within 1/16 of the TTL. */
static uint32_t stamp(const upd *u) { return wd_ttl_stamp(u->t0, u->now, u->unit); }

/* The bytes of a group's remembered values (see struct prev). */
static uint8_t *prev_bytes(struct prev *pv)
{
    if (pv->len <= sizeof pv->b) return pv->b;
    uint8_t *p;
    memcpy(&p, pv->b + 4, sizeof p);
    return p;
}

static void rows_init(const upd *u, uint8_t *base, uint32_t from, uint32_t to)
{
    if (to <= from) return;
    for (uint32_t k = 0; k < u->naggs; k++)
        u->aggs[k].fn->init(&u->aggs[k], base + (size_t)from * u->stride + u->aggs[k].offset,
                            u->stride, to - from);
}

static void row_destroy(const upd *u, uint8_t *row)
{
    if (!u->destroy) return;
    for (uint32_t k = 0; k < u->naggs; k++)
        if (u->aggs[k].fn->flags & WD_AGG_DESTROY)
            u->aggs[k].fn->destroy(&u->aggs[k], row + u->aggs[k].offset);
}

static inline uint8_t *srow(const upd *u, uint8_t *base, uint32_t g)
{
    return base + (size_t)g * u->stride;
}

/* Reset group g's state row to empty. */
static void row_reset(const upd *u, uint8_t *base, uint32_t g)
{
    row_destroy(u, srow(u, base, g));
    rows_init(u, base, g, g + 1);
}

static void reserve_groups(upd *u, uint32_t need)
{
    if (need > u->cap) {
        uint32_t nc = u->cap ? u->cap : 64;
        while (nc < need) nc = nc > UINT32_MAX / 2 ? need : nc * 2;
        u->states = wd_realloc(u->states, (size_t)nc * u->stride);
        u->prev = wd_realloc(u->prev, (size_t)nc * sizeof *u->prev);
        u->cnt = wd_realloc(u->cnt, (size_t)nc * sizeof(int64_t));
        u->lastupd = wd_realloc(u->lastupd, (size_t)nc * sizeof(uint32_t));
        u->flags = wd_realloc(u->flags, nc);
        u->cap = nc;
    }
    if (need > u->n) {
        rows_init(u, u->states, u->n, need);
        memset(u->prev + u->n, 0, (size_t)(need - u->n) * sizeof *u->prev);
        for (uint32_t i = u->n; i < need; i++) {
            u->cnt[i] = 0;
            u->lastupd[i] = stamp(u);
            u->flags[i] = 0;
        }
        u->n = need;
    }
}

static int upd_open(wd_op *op, wd_error *err)
{
    const wd_aggregate_spec *sp = op->node->spec;
    const wd_node *node = op->node;
    if (!node->in_schemas || !node->out_schema)
        return wd_err(err, WD_EINTERNAL, "aggregate: node has no schemas");
    const wd_type *in = node->in_schemas[0];
    if (in->nfields < sp->nkeys + 1 || node->out_schema->nfields != sp->nkeys + sp->naggs + 1)
        return wd_err(err, WD_EINTERNAL, "aggregate: schemas do not match the spec");
    upd *u = wd_calloc(1, sizeof *u);
    op->state = u;
    u->naggs = sp->naggs;
    u->nkeys = sp->nkeys;
    u->aggs = wd_calloc(sp->naggs ? sp->naggs : 1, sizeof(wd_agg_spec));
    if (sp->naggs) memcpy(u->aggs, sp->aggs, sp->naggs * sizeof(wd_agg_spec));
    u->stride = wd_agg_layout(u->aggs, u->naggs);
    if (u->stride == 0) u->stride = 8;
    for (uint32_t k = 0; k < u->naggs; k++)
        if (u->aggs[k].fn->flags & WD_AGG_DESTROY) u->destroy = true;
    u->key_types = wd_calloc(u->nkeys ? u->nkeys : 1, sizeof(wd_type *));
    for (uint32_t k = 0; k < u->nkeys; k++) u->key_types[k] = in->fields[k].type;
    u->out_schema = node->out_schema;
    u->fp = wd_agg_fingerprint(u->aggs, u->naggs, u->stride, u->key_types, u->nkeys);
    u->plain = u->fp && wd_agg_row_plain(u->aggs, u->naggs, &u->plain_bytes);
    u->flush_ns = sp->flush_ns > 0 ? sp->flush_ns : WD_NS_PER_SEC;
    u->ttl_ns = sp->ttl_ns > 0 ? sp->ttl_ns : 0;
    u->unit = u->ttl_ns >= 16 ? u->ttl_ns / 16 : (u->ttl_ns ? 1 : WD_NS_PER_SEC);
    u->g = wd_groups_new(u->key_types, u->nkeys);
    wd_arena_init(&u->arena, 0);
    wd_arena_init(&u->parena, 0);
    u->ctx.arena = &u->arena;
    u->now = INT64_MIN;
    u->last_flush = INT64_MIN;
    u->last_scan = INT64_MIN;
    u->max_ts = INT64_MIN;
    u->ret = wd_malloc(sizeof(uint32_t) * WD_BATCH_ROWS);
    u->ins = wd_malloc(sizeof(uint32_t) * WD_BATCH_ROWS);
    return 0;
}

static void upd_close(wd_op *op)
{
    upd *u = op->state;
    if (!u) return;
    if (u->destroy)
        for (uint32_t i = 0; i < u->n; i++) row_destroy(u, srow(u, u->states, i));
    wd_groups_free(u->g);
    wd_free(u->states);
    wd_free(u->prev);
    wd_free(u->cnt);
    wd_free(u->lastupd);
    wd_free(u->flags);
    wd_free(u->dirty);
    wd_free(u->slots);
    wd_free(u->ret);
    wd_free(u->ins);
    wd_arena_free(&u->arena);
    wd_arena_free(&u->parena);
    wd_free(u->aggs);
    wd_free(u->key_types);
    wd_free(u);
    op->state = NULL;
}

static int upd_batch(wd_op *op, uint32_t input, wd_batch *in, wd_error *err)
{
    upd *u = op->state;
    uint32_t n = in->nrows;
    if (n == 0) return 0;
    if (n > u->scap) {
        wd_free(u->slots);
        u->scap = n < 1024 ? 1024 : n;
        u->slots = wd_malloc(sizeof(uint32_t) * u->scap);
    }
    uint32_t nnew = 0;
    wd_groups_lookup(u->g, in->cols, n, NULL, u->slots, &nnew);
    reserve_groups(u, wd_groups_count(u->g));
    const int64_t *ts = wd_batch_ts(in);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t g = u->slots[i];
        u->cnt[g] += (in->retract && in->retract[i]) ? -1 : 1;
        if (ts[i] > u->max_ts) u->max_ts = ts[i];
        uint8_t f = u->flags[g];
        if (!(f & F_DIRTY)) {
            if (f & F_EXPIRED) u->nexpired--;
            u->flags[g] = (uint8_t)((f & ~F_EXPIRED) | F_DIRTY);
            u->lastupd[g] = stamp(u);
            if (u->ndirty == u->capdirty) {
                u->capdirty = u->capdirty ? u->capdirty * 2 : 256;
                u->dirty = wd_realloc(u->dirty, sizeof(uint32_t) * u->capdirty);
            }
            u->dirty[u->ndirty++] = g;
        }
    }
    wd_agg_apply(u->aggs, u->naggs, &u->ctx, u->states, u->stride, in, u->slots, 0);
    return 0;
}

/* Remember row r of out's aggregate columns as group g's last emitted values. */
static void remember(upd *u, uint32_t g, const wd_batch *out, uint32_t r)
{
    size_t need = 0;
    for (uint32_t k = 0; k < u->naggs; k++) need += wd_value_enc_size(&out->cols[u->nkeys + k], r);
    struct prev *pv = &u->prev[g];
    uint8_t *w = pv->b;
    if (need > sizeof pv->b) {
        /* out of line: b holds {uint32 capacity, pointer}; the old bytes stay
         * in the arena until the operator closes, values of a size that fits
         * are rewritten in place */
        uint32_t cap = 0;
        if (pv->len > sizeof pv->b) {
            memcpy(&cap, pv->b, 4);
            w = prev_bytes(pv);
        }
        if (need > cap) {
            cap = (uint32_t)need;
            w = wd_arena_alloc(&u->parena, cap);
            memcpy(pv->b, &cap, 4);
            memcpy(pv->b + 4, &w, sizeof w);
        }
    }
    pv->len = (uint32_t)need;
    for (uint32_t k = 0; k < u->naggs; k++) w = wd_value_encode(w, &out->cols[u->nkeys + k], r);
}

/* Emit one output batch: retractions of ret[0..nr) (their last emitted
 * rows), then the current rows of ins[0..ni), which become their groups'
 * last emitted rows. */
static int emit_changes(wd_op *op, upd *u, uint32_t nr, uint32_t ni, wd_error *err)
{
    uint32_t m = nr + ni;
    if (m == 0) return 0;
    wd_batch *out = wd_batch_new(u->out_schema, m);
    if (!out) return wd_err(err, WD_ENOMEM, "aggregate: out of memory");
    wd_groups_keys(u->g, u->ret, nr, out->cols, &out->arena);
    wd_groups_keys(u->g, u->ins, ni, out->cols, &out->arena);
    for (uint32_t r = 0; r < nr; r++) {
        const uint8_t *p = prev_bytes(&u->prev[u->ret[r]]);
        for (uint32_t k = 0; k < u->naggs; k++)
            p = wd_value_decode(&out->cols[u->nkeys + k], r, p, &out->arena);
    }
    for (uint32_t k = 0; k < u->naggs; k++) {
        const wd_agg_spec *s = &u->aggs[k];
        wd_col *c = &out->cols[u->nkeys + k];
        for (uint32_t r = 0; r < ni; r++)
            s->fn->finalize(s, srow(u, u->states, u->ins[r]) + s->offset, c, nr + r, &out->arena);
    }
    for (uint32_t r = 0; r < ni; r++) remember(u, u->ins[r], out, nr + r);
    int64_t *ts = wd_batch_ts(out);
    for (uint32_t r = 0; r < m; r++) ts[r] = u->max_ts;
    out->retract = wd_batch_alloc(out, m);
    memset(out->retract, 1, nr);
    memset(out->retract + nr, 0, ni);
    out->nrows = m;
    wd_batch_seal(out);
    int rc = wd_op_emit(op, out, err);
    wd_batch_release(out);
    return rc;
}

/* Emit the changes of every dirty group. */
static int flush(wd_op *op, upd *u, wd_error *err)
{
    uint32_t i = 0;
    while (i < u->ndirty) {
        uint32_t nr = 0, ni = 0, from = i;
        while (i < u->ndirty && nr + ni + 2 <= WD_BATCH_ROWS) {
            uint32_t g = u->dirty[i++];
            if (!(u->flags[g] & F_DIRTY)) continue; /* expired since */
            if (u->flags[g] & F_EMITTED) u->ret[nr++] = g;
            if (u->cnt[g] > 0) u->ins[ni++] = g;
        }
        int rc = emit_changes(op, u, nr, ni, err);
        if (rc < 0) return rc;
        /* what was emitted becomes the row to retract next time */
        for (uint32_t j = from; j < i; j++) {
            uint32_t g = u->dirty[j];
            if (!(u->flags[g] & F_DIRTY)) continue;
            u->flags[g] &= (uint8_t)~F_DIRTY;
            if (u->cnt[g] > 0) {
                u->flags[g] |= F_EMITTED; /* its values were remembered */
            } else {
                u->flags[g] &= (uint8_t)~F_EMITTED;
                u->prev[g].len = 0;
                /* every row is gone: start from a clean state */
                if (u->cnt[g] == 0) row_reset(u, u->states, g);
            }
        }
    }
    u->ndirty = 0;
    return 0;
}

/* Drop expired keys from the group table (moving the live groups). */
static void compact(upd *u)
{
    uint32_t old = u->n, nl = 0;
    uint32_t *live = wd_malloc(sizeof(uint32_t) * (old ? old : 1));
    for (uint32_t g = 0; g < old; g++)
        if (!(u->flags[g] & F_EXPIRED)) {
            live[nl++] = g;
        } else {
            row_destroy(u, srow(u, u->states, g));
        }
    uint32_t *newslot = wd_malloc(sizeof(uint32_t) * (nl ? nl : 1));
    wd_groups *ng = wd_op__agg_regroup(u->g, u->key_types, u->nkeys, live, nl, newslot);
    uint32_t cap = nl ? nl : 1;
    uint8_t *st = wd_malloc((size_t)cap * u->stride);
    struct prev *pv = wd_malloc(sizeof *pv * cap);
    int64_t *cnt = wd_malloc(sizeof(int64_t) * cap);
    uint32_t *lu = wd_malloc(sizeof(uint32_t) * cap);
    uint8_t *fl = wd_malloc(cap);
    uint32_t *remap = wd_malloc(sizeof(uint32_t) * (old ? old : 1));
    for (uint32_t i = 0; i < nl; i++) {
        uint32_t o = live[i], nw = newslot[i];
        remap[o] = nw;
        memcpy(st + (size_t)nw * u->stride, srow(u, u->states, o), u->stride);
        pv[nw] = u->prev[o];
        cnt[nw] = u->cnt[o];
        lu[nw] = u->lastupd[o];
        fl[nw] = u->flags[o];
    }
    uint32_t nd = 0;
    for (uint32_t j = 0; j < u->ndirty; j++) {
        uint32_t g = u->dirty[j];
        if (u->flags[g] & F_DIRTY) u->dirty[nd++] = remap[g];
    }
    u->ndirty = nd;
    wd_groups_free(u->g);
    wd_free(u->states);
    wd_free(u->prev);
    wd_free(u->cnt);
    wd_free(u->lastupd);
    wd_free(u->flags);
    u->g = ng;
    u->states = st;
    u->prev = pv;
    u->cnt = cnt;
    u->lastupd = lu;
    u->flags = fl;
    u->cap = cap;
    u->n = nl;
    u->nexpired = 0;
    wd_free(live);
    wd_free(newslot);
    wd_free(remap);
}

/* Drop groups not updated for ttl_ns (no retraction). */
static void expire(upd *u)
{
    for (uint32_t g = 0; g < u->n; g++) {
        uint8_t f = u->flags[g];
        if (f & F_EXPIRED) continue;
        uint32_t now = stamp(u);
        if (u->lastupd[g] == 0) { /* updated before the first tick */
            u->lastupd[g] = now;
            continue;
        }
        if ((int64_t)(now - u->lastupd[g]) * u->unit < u->ttl_ns) continue;
        row_reset(u, u->states, g);
        u->prev[g].len = 0;
        u->cnt[g] = 0;
        u->flags[g] = F_EXPIRED;
        u->nexpired++;
    }
    if (u->nexpired > (u->n - u->nexpired) + 4096) compact(u);
}

static int upd_tick(wd_op *op, int64_t now, wd_error *err)
{
    upd *u = op->state;
    if (u->now == INT64_MIN) u->t0 = now;
    u->now = now;
    if (u->last_flush == INT64_MIN || now - u->last_flush >= u->flush_ns) {
        u->last_flush = now;
        int rc = flush(op, u, err);
        if (rc < 0) return rc;
    }
    if (u->ttl_ns) {
        int64_t every = u->ttl_ns / 4 > 0 ? u->ttl_ns / 4 : 1;
        if (u->last_scan == INT64_MIN) u->last_scan = now;
        else if (now - u->last_scan >= every) {
            u->last_scan = now;
            expire(u);
        }
    }
    return 0;
}

static int upd_end(wd_op *op, wd_error *err) { return flush(op, op->state, err); }

/* ---- checkpoints ------------------------------------------------------------ */

/*
 * State tables (state/snapshot.h):
 *   agg_global  GLOBAL  one record: {u32 version, u32 kind (WD_WIN_NONE),
 *                       u64 layout fingerprint, i64 t0, now, last_flush,
 *                       last_scan, max_ts, unit}
 *   agg_groups  KEYED   one record per group that holds anything: {u8 flags
 *                       (dirty, emitted), u32 stamp of the last update,
 *                       i64 row count, key, the last emitted values (u32
 *                       len; bytes) when emitted, states}
 * Expired groups and groups left empty by a flush are not written: they
 * hold nothing (a key that comes back starts afresh either way).
 *
 * Restoring from several old subtasks: keys are disjoint; the output
 * timestamp (max_ts), the processing times of the last tick, flush and
 * TTL scan are combined by their maximum.  Update stamps are relative to
 * each subtask's first tick, so they are converted through the processing
 * time they stand for (the tick clock is the wall clock: time spent
 * stopped counts towards the TTL, as it does while running).
 */

#define T_GLOBAL "agg_global"
#define T_GROUPS "agg_groups"
#define SNAP_VERSION 1u
#define LOAD_CHUNK 1024

static int upd_snapshot(wd_op *op, wd_snap_out *o, wd_error *err)
{
    upd *u = op->state;
    if (!u->fp)
        return wd_err(err, WD_EUNSUPPORTED,
                      "aggregate: its state cannot be checkpointed (a function outside the "
                      "aggregate catalog)");
    int rc = wd_snap_table_begin(o, T_GLOBAL, WD_SNAP_GLOBAL, err);
    if (rc < 0) return rc;
    wd_buf *b = wd_snap_rec_begin(o, 0);
    wd_snap_put_u32(b, SNAP_VERSION);
    wd_snap_put_u32(b, WD_WIN_NONE);
    wd_snap_put_u64(b, u->fp);
    wd_snap_put_i64(b, u->t0);
    wd_snap_put_i64(b, u->now);
    wd_snap_put_i64(b, u->last_flush);
    wd_snap_put_i64(b, u->last_scan);
    wd_snap_put_i64(b, u->max_ts);
    wd_snap_put_i64(b, u->unit);
    wd_snap_rec_end(o);

    if ((rc = wd_snap_table_begin(o, T_GROUPS, WD_SNAP_KEYED, err)) < 0) return rc;
    /* one reservation for the usual record size: no doubling on the way */
    size_t per = 8 + 1 + 4 + 8 + 9 + 4 + 12 + (u->plain ? u->plain_bytes : u->stride);
    if (u->n) wd_buf_reserve(&o->cur->data, (size_t)u->n * per);
    enum { CH = 256 };
    uint32_t kh[CH];
    for (uint32_t off = 0; off < u->n; off += CH) {
        uint32_t m = u->n - off < CH ? u->n - off : CH;
        wd_groups_khash(u->g, off, m, kh);
        for (uint32_t i = 0; i < m; i++) {
            uint32_t g = off + i;
            uint8_t f = u->flags[g];
            if ((f & F_EXPIRED) || (!(f & (F_DIRTY | F_EMITTED)) && u->cnt[g] == 0)) continue;
            f &= F_DIRTY | F_EMITTED;
            uint32_t plen = (f & F_EMITTED) ? u->prev[g].len : 0;
            /* + 12: an inline value is copied as its whole 12-byte slot */
            size_t need = 1 + 4 + 8 + wd_groups_key_size(u->g, g) + 4 + plen + 12 +
                          (u->plain ? u->plain_bytes : 0);
            wd_buf *buf = wd_snap_rec_begin(o, kh[i]);
            uint8_t *p = wd_buf_room(buf, need);
            *p++ = f;
            memcpy(p, &u->lastupd[g], 4);
            memcpy(p + 4, &u->cnt[g], 8);
            p = wd_groups_key_write(u->g, g, p + 12);
            if (f & F_EMITTED) {
                memcpy(p, &plen, 4);
                if (plen <= sizeof u->prev[g].b)
                    memcpy(p + 4, u->prev[g].b, sizeof u->prev[g].b);
                else
                    memcpy(p + 4, prev_bytes(&u->prev[g]), plen);
                p += 4 + plen;
            }
            const uint8_t *row = srow(u, u->states, g);
            if (u->plain) {
                if (u->plain_bytes) memcpy(p, row, u->plain_bytes);
                p += u->plain_bytes;
            }
            wd_buf_commit(buf, p);
            if (!u->plain) wd_agg_row_save(u->aggs, u->naggs, row, buf);
            wd_snap_rec_end(o);
        }
    }
    return 0;
}


/* Set group g's last emitted values to p[0..len) (as remember() keeps them). */
static int prev_set(upd *u, uint32_t g, const uint8_t *p, uint32_t len)
{
    struct prev *pv = &u->prev[g];
    uint8_t *w = pv->b;
    if (len > sizeof pv->b) {
        w = wd_arena_alloc(&u->parena, len);
        if (!w) return WD_ENOMEM;
        memcpy(pv->b, &len, 4);
        memcpy(pv->b + 4, &w, sizeof w);
    }
    pv->len = len;
    if (len) memcpy(w, p, len);
    return 0;
}

/* One parsed agg_groups record. */
typedef struct pend {
    uint8_t flags;
    uint32_t stamp, from;
    int64_t cnt;
    const uint8_t *prev, *row;
    uint32_t plen, rowlen;
} pend;

typedef struct loader {
    wd_groups *proto;            /* an empty table of the key types: checks keys */
    pend *p;
    const uint8_t **keys;
    uint32_t *khash, *slots;
    uint64_t *hashes;
    wd_col *cols;
    wd_arena a;
    uint32_t n;
    wd_ttl_clock *clk;           /* per old subtask */
    uint32_t nclk;
} loader;

static void loader_free(loader *L)
{
    wd_groups_free(L->proto);
    wd_free(L->p);
    wd_free(L->keys);
    wd_free(L->khash);
    wd_free(L->slots);
    wd_free(L->hashes);
    wd_free(L->cols);
    wd_free(L->clk);
    wd_arena_free(&L->a);
}

/* Load the chunk: keys become new groups, then each group's values. */
static int flush_groups(upd *u, loader *L, const wd_snap_in *r, wd_error *err)
{
    if (!L->n) return 0;
    uint32_t base = wd_groups_count(u->g), nnew = 0;
    wd_arena_reset(&L->a);
    if (wd_groups_decode_keys(L->proto, L->keys, L->khash, L->n, L->cols, L->hashes, &L->a) < 0)
        return wd_snap_bad_record(r, err);
    wd_groups_lookup(u->g, L->cols, L->n, L->hashes, L->slots, &nnew);
    for (uint32_t i = 0; i < L->n; i++)
        if (L->slots[i] != base + i) return wd_snap_bad_record(r, err); /* a key twice */
    reserve_groups(u, wd_groups_count(u->g));
    for (uint32_t i = 0; i < L->n; i++) {
        const pend *x = &L->p[i];
        uint32_t g = L->slots[i];
        u->cnt[g] = x->cnt;
        u->flags[g] = x->flags;
        u->lastupd[g] = wd_ttl_restamp(&L->clk[x->from], u->t0, u->now, u->unit, x->stamp);
        if ((x->flags & F_EMITTED) && prev_set(u, g, x->prev, x->plen) < 0)
            return wd_err(err, WD_ENOMEM, "aggregate: out of memory");
        wd_rd rd;
        wd_rd_init(&rd, x->row, x->rowlen);
        if (!wd_agg_row_load(u->aggs, u->naggs, srow(u, u->states, g), &u->ctx, &rd) ||
            !wd_rd_done(&rd))
            return wd_snap_bad_record(r, err);
        if (x->flags & F_DIRTY) {
            if (u->ndirty == u->capdirty) {
                u->capdirty = u->capdirty ? u->capdirty * 2 : 256;
                u->dirty = wd_realloc(u->dirty, sizeof(uint32_t) * u->capdirty);
            }
            u->dirty[u->ndirty++] = g;
        }
    }
    L->n = 0;
    return 0;
}

/* Parse one agg_groups record into the chunk (flushing a full one). */
static int add_group(upd *u, loader *L, const wd_snap_rec *rec, const wd_snap_in *r,
                     wd_error *err)
{
    if (rec->from_subtask >= L->nclk || !L->clk[rec->from_subtask].have)
        return wd_snap_bad_record(r, err);
    wd_rd d;
    wd_rd_init(&d, rec->data, rec->len);
    pend x = {.from = rec->from_subtask};
    x.flags = wd_rd_u8(&d);
    x.stamp = wd_rd_u32(&d);
    x.cnt = wd_rd_i64(&d);
    size_t kl = 0;
    /* the row count moves by one per row: far from overflowing when sane */
    if (d.bad || (x.flags & ~(F_DIRTY | F_EMITTED)) || x.cnt < -(INT64_C(1) << 62) ||
        x.cnt > (INT64_C(1) << 62) ||
        !wd_groups_key_check(L->proto, d.p, (size_t)(d.end - d.p), &kl))
        return wd_snap_bad_record(r, err);
    const uint8_t *key = wd_rd_take(&d, kl);
    if (x.flags & F_EMITTED) {
        x.prev = wd_rd_bytes(&d, &x.plen);
        if (d.bad) return wd_snap_bad_record(r, err);
        /* the values are decoded when the retraction is written: check them */
        size_t off = 0;
        for (uint32_t k = 0; k < u->naggs; k++) {
            const wd_type *t = u->out_schema->fields[u->nkeys + k].type;
            size_t c = wd_value_check(t, x.prev + off, x.plen - off);
            if (!c) return wd_snap_bad_record(r, err);
            off += c;
        }
        if (off != x.plen) return wd_snap_bad_record(r, err);
    }
    x.row = d.p;
    x.rowlen = (uint32_t)(d.end - d.p);
    if (L->n == LOAD_CHUNK) {
        int rc = flush_groups(u, L, r, err);
        if (rc < 0) return rc;
    }
    L->p[L->n] = x;
    L->keys[L->n] = key;
    L->khash[L->n] = rec->khash;
    L->n++;
    return 0;
}


/* The agg_global records: the same operator; clocks per old subtask. */
static int restore_global(upd *u, loader *L, wd_snap_in *r, wd_error *err)
{
    wd_snap_rec rec;
    int rc;
    bool any = false;
    int64_t t0 = INT64_MAX, now = INT64_MIN, lf = INT64_MIN, ls = INT64_MIN, mts = INT64_MIN;
    wd_snap_in_open(r, T_GLOBAL);
    while ((rc = wd_snap_in_next(r, &rec, err)) == 1) {
        wd_rd d;
        wd_rd_init(&d, rec.data, rec.len);
        uint32_t ver = wd_rd_u32(&d), kind = wd_rd_u32(&d);
        uint64_t fp = wd_rd_u64(&d);
        wd_ttl_clock c = {.have = true};
        c.t0 = wd_rd_i64(&d);
        c.now = wd_rd_i64(&d);
        int64_t f = wd_rd_i64(&d), s = wd_rd_i64(&d), m = wd_rd_i64(&d);
        c.unit = wd_rd_i64(&d);
        if (!wd_rd_done(&d) || ver != SNAP_VERSION || !wd_ttl_clock_ok(&c) ||
            !wd_ttl_time_ok(f) || !wd_ttl_time_ok(s) ||
            rec.from_subtask >= L->nclk || L->clk[rec.from_subtask].have)
            return wd_snap_bad_record(r, err);
        if (kind != WD_WIN_NONE || fp != u->fp)
            return wd_err(err, WD_ECORRUPT,
                          "aggregate: the checkpoint holds state of a different aggregate (its "
                          "keys or functions changed)");
        L->clk[rec.from_subtask] = c;
        if (c.now != INT64_MIN) {
            if (c.t0 < t0) t0 = c.t0;
            if (c.now > now) now = c.now;
        }
        if (f > lf) lf = f;
        if (s > ls) ls = s;
        if (m > mts) mts = m;
        any = true;
    }
    if (rc < 0) return rc;
    if (!any) return wd_err(err, WD_ECORRUPT, "aggregate: state table '%s' is empty", T_GLOBAL);
    u->now = now;
    u->t0 = now == INT64_MIN ? 0 : t0;
    u->last_flush = lf;
    u->last_scan = ls;
    u->max_ts = mts;
    return 0;
}

static int upd_restore(wd_op *op, wd_snap_in *r, wd_error *err)
{
    upd *u = op->state;
    if (!u->fp)
        return wd_err(err, WD_EUNSUPPORTED,
                      "aggregate: its state cannot be checkpointed (a function outside the "
                      "aggregate catalog)");
    if (u->n)
        return wd_err(err, WD_EINTERNAL, "aggregate: restore into an operator that holds state");
    const char *need[2] = {T_GLOBAL, T_GROUPS};
    for (int i = 0; i < 2; i++)
        if (!wd_snap_in_has(r, need[i]))
            return wd_err(err, WD_ECORRUPT, "aggregate: the checkpoint has no '%s' state table",
                          need[i]);
    loader L;
    memset(&L, 0, sizeof L);
    L.nclk = r->old_parallelism ? r->old_parallelism : 1;
    L.clk = wd_calloc(L.nclk, sizeof *L.clk);
    L.proto = wd_groups_new(u->key_types, u->nkeys);
    L.p = wd_malloc(sizeof *L.p * LOAD_CHUNK);
    L.keys = wd_malloc(sizeof *L.keys * LOAD_CHUNK);
    L.khash = wd_malloc(sizeof *L.khash * LOAD_CHUNK);
    L.slots = wd_malloc(sizeof *L.slots * LOAD_CHUNK);
    L.hashes = wd_malloc(sizeof *L.hashes * LOAD_CHUNK);
    L.cols = wd_calloc(u->nkeys ? u->nkeys : 1, sizeof(wd_col));
    wd_arena_init(&L.a, 0);
    int rc = 0;
    if (!L.clk || !L.p || !L.keys || !L.khash || !L.slots || !L.hashes || !L.cols)
        rc = wd_err(err, WD_ENOMEM, "aggregate: out of memory");
    if (rc == 0) rc = restore_global(u, &L, r, err);
    if (rc == 0) {
        wd_snap_rec rec;
        wd_snap_in_open(r, T_GROUPS);
        while ((rc = wd_snap_in_next(r, &rec, err)) == 1)
            if ((rc = add_group(u, &L, &rec, r, err)) < 0) break;
        if (rc == 0) rc = flush_groups(u, &L, r, err);
    }
    loader_free(&L);
    return rc;
}

/* The updating aggregate: see the banner; dispatched to by wd_op_aggregate_vt. */
const wd_op_vt wd_op__updating_agg_vt = {
    .name = "aggregate",
    .open = upd_open,
    .on_batch = upd_batch,
    .on_end = upd_end,
    .on_tick = upd_tick,
    .snapshot = upd_snapshot,
    .restore = upd_restore,
    .close = upd_close,
};
