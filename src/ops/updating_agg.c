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
 * Exports: wd_op__updating_agg_vt (for window_agg.c only).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ops/aggregate.h"

/* window_agg.c */
wd_groups *wd_op__agg_regroup(const wd_groups *g, const wd_type *const *kt, uint32_t nkeys,
                              const uint32_t *live, uint32_t n, uint32_t *newslot);

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
static uint32_t stamp(const upd *u)
{
    if (u->now == INT64_MIN) return 0;
    return (uint32_t)((u->now - u->t0) / u->unit) + 1;
}

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

/* The updating aggregate: see the banner; dispatched to by wd_op_aggregate_vt. */
const wd_op_vt wd_op__updating_agg_vt = {
    .name = "aggregate",
    .open = upd_open,
    .on_batch = upd_batch,
    .on_end = upd_end,
    .on_tick = upd_tick,
    .close = upd_close,
};
