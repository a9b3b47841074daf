/*
 * test_ckpt_agg.c — checkpoints of the aggregate operator (ops/aggregate.h):
 * snapshot in the middle of a deterministic input, restore into fresh
 * instances, feed the rest, and compare with one uninterrupted run.
 *
 * The harness is test_window_agg.c's: a plan node with a spec, operator
 * instances whose output callbacks capture the rows, batches / watermarks /
 * ticks / end pushed by hand.  Input is a script of messages (batch i, then
 * a watermark — the largest time so far minus a lag, so some rows are late
 * — or a tick for the updating aggregate).
 *
 * Windowed (tumble, hop, session; count, sum, min, max, avg,
 * count(DISTINCT)): the rows emitted before the snapshot plus the rows of
 * the restored instances equal the uninterrupted run's (a multiset), at
 * 1→1 (twice in a row), 2→1 (two instances fed the rows whose
 * wd_hash_partition(hash, 2) is their index, both snapshotted, restored into
 * one), 1→2 and 2→2.  Updating (with retractions in the input, with a
 * TTL): the changelogs fold to the same rows.  The final snapshot (after
 * end of input) restores to an instance for which every row is late;
 * state written by another aggregate is refused.  Group keys: every group's key
 * hash is the shuffle's (wd_hash_rows) for integer, text, float, struct,
 * list and multi-column keys, and saved keys give the same groups back.
 * States that own memory (min/max of text, first/last_value, array_agg,
 * DISTINCT sets, HyperLogLog, stddev) load into another arena, give the
 * same results and keep aggregating.  Corrupt state (tables cut short at
 * every length, records shortened, lengthened, re-keyed, bytes flipped)
 * makes restore fail with WD_ECORRUPT or restore something that runs —
 * never a crash (the ASan build checks reads).  A snapshot of an updating
 * count over 1,000,000 keys prints its time and size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_util.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agg/agg.h"
#include "batch/batch.h"
#include "common/alloc.h"
#include "ops/aggregate.h"
#include "ops/op.h"
#include "plan/graph.h"
#include "runtime/runtime.h"
#include "state/snapshot.h"

/* ---- harness (after test_window_agg.c) ------------------------------------------------ */

enum { A_COUNT, A_SUM, A_MIN, A_MAX, A_AVG, A_DCNT, A_N };
/* A_DCNT is count(DISTINCT v): out-of-line state in the aggregate arenas */
static const char *const agg_names[A_N] = {"count", "sum", "min", "max", "avg", "count"};
#define ALL_AGGS ((1u << A_N) - 1)

/* One captured output row. */
typedef struct orow {
    int64_t key;
    bool key_null;
    int64_t ws, we, ts;
    bool retract;
    double v[A_N];
    bool null[A_N];
} orow;

typedef struct harness {
    wd_arena arena;
    wd_node node;
    const wd_type *in_schema;
    const wd_type *in_schemas[1];
    wd_aggregate_spec spec;
    wd_agg_spec aggs[A_N];
    int aidx[A_N];          /* column of each aggregate kind in the output, -1 absent */
    uint32_t naggs;
    wd_op op;
    orow *rows;
    uint32_t nrows, caprows;
    bool capture;           /* false: count rows only (benchmarks) */
    uint64_t out_rows;
} harness;

static double read_num(const wd_col *c, uint32_t r)
{
    switch (c->type->id) {
    case WD_T_INT64: return (double)((const int64_t *)c->data)[r];
    case WD_T_FLOAT64: return ((const double *)c->data)[r];
    default: fail_msg("unexpected result type %d", (int)c->type->id); return 0;
    }
}

static int cap_batch(void *ctx, wd_batch *b, wd_error *err)
{
    harness *h = ctx;
    h->out_rows += b->nrows;
    if (!h->capture) return 0;
    bool windowed = h->spec.win != WD_WIN_NONE;
    uint32_t base = h->spec.nkeys + (windowed ? 1 : 0);
    const int64_t *ts = wd_batch_ts(b);
    for (uint32_t i = 0; i < b->nrows; i++) {
        if (h->nrows == h->caprows) {
            h->caprows = h->caprows ? h->caprows * 2 : 1024;
            h->rows = realloc(h->rows, sizeof(orow) * h->caprows);
        }
        orow *o = &h->rows[h->nrows++];
        memset(o, 0, sizeof *o);
        if (h->spec.nkeys) {
            o->key_null = !wd_col_valid(&b->cols[0], i);
            if (!o->key_null) o->key = ((const int64_t *)b->cols[0].data)[i];
        }
        if (windowed) {
            const wd_col *w = &b->cols[h->spec.nkeys];
            o->ws = ((const int64_t *)w->child[0].data)[i];
            o->we = ((const int64_t *)w->child[1].data)[i];
            o->ts = ts[i];
        }
        o->retract = b->retract && b->retract[i];
        for (int a = 0; a < A_N; a++) {
            if (h->aidx[a] < 0) continue;
            const wd_col *c = &b->cols[base + (uint32_t)h->aidx[a]];
            o->null[a] = !wd_col_valid(c, i);
            if (!o->null[a]) o->v[a] = read_num(c, i);
        }
    }
    return 0;
}

static int cap_wm(void *ctx, int64_t wm, wd_error *err) { return 0; }
static int cap_end(void *ctx, wd_error *err) { return 0; }

/*
 * A harness over input (k BIGINT, v BIGINT, _timestamp) grouping by k when
 * nkeys is 1 (none when 0), computing the aggregates of mask (bits A_*),
 * as subtask `subtask` of `par`.
 */
static harness *h_new(wd_win_kind win, uint32_t nkeys, int64_t width, int64_t slide, int64_t gap,
                      unsigned mask, uint32_t subtask, uint32_t par)
{
    harness *h = calloc(1, sizeof *h);
    wd_arena_init(&h->arena, 0);
    wd_field in_f[2] = {{"k", WD_TYPE_INT64, true}, {"v", WD_TYPE_INT64, true}};
    h->in_schema = wd_schema_make(&h->arena, 2, in_f);
    h->in_schemas[0] = h->in_schema;
    wd_field out_f[2 + A_N];
    uint32_t nf = 0;
    if (nkeys) out_f[nf++] = (wd_field){"k", WD_TYPE_INT64, true};
    if (win != WD_WIN_NONE) out_f[nf++] = (wd_field){"window", wd_window_type(), false};
    for (int a = 0; a < A_N; a++) {
        h->aidx[a] = -1;
        if (!(mask & (1u << a))) continue;
        const wd_agg_fn *fn = wd_agg_find(agg_names[a]);
        assert_non_null(fn);
        wd_agg_spec *s = &h->aggs[h->naggs];
        memset(s, 0, sizeof *s);
        s->fn = fn;
        s->arg_type = a == A_COUNT ? NULL : WD_TYPE_INT64;
        s->arg_col = a == A_COUNT ? -1 : 1;
        s->distinct = a == A_DCNT;
        s->arg2_col = -1;
        s->filter_col = -1;
        wd_error err = {0};
        s->ret = fn->resolve(&h->arena, s->arg_type, &err);
        assert_non_null(s->ret);
        h->aidx[a] = (int)h->naggs;
        out_f[nf++] = (wd_field){agg_names[a], s->ret, true};
        h->naggs++;
    }
    wd_agg_layout(h->aggs, h->naggs);
    h->spec = (wd_aggregate_spec){.win = win, .width_ns = width, .slide_ns = slide, .gap_ns = gap,
                                  .nkeys = nkeys, .naggs = h->naggs, .aggs = h->aggs};
    h->node.kind = WD_N__OTHER;
    h->node.name = "aggregate";
    h->node.parallelism = par;
    h->node.ninputs = 1;
    h->node.in_schemas = h->in_schemas;
    h->node.out_schema = wd_schema_make(&h->arena, nf, out_f);
    h->node.vt = &wd_op_aggregate_vt;
    h->node.spec = &h->spec;
    h->node.updating = win == WD_WIN_NONE;
    h->op.vt = &wd_op_aggregate_vt;
    h->op.node = &h->node;
    h->op.subtask = subtask;
    h->op.parallelism = par;
    h->op.watermark = INT64_MIN;
    h->op.out = (wd_op_out){.batch = cap_batch, .watermark = cap_wm, .end = cap_end, .ctx = h};
    h->capture = true;
    return h;
}

static void h_open(harness *h)
{
    wd_error err = {0};
    assert_int_equal(h->op.vt->open(&h->op, &err), 0);
}

static void h_free(harness *h)
{
    h->op.vt->close(&h->op);
    wd_arena_free(&h->arena);
    free(h->rows);
    free(h);
}

/* ---- input ------------------------------------------------------------------------------- */

typedef struct rrow {
    int64_t k, v, ts;
    bool knull, vnull, retract;
} rrow;

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void) { return xorshift64(&rng_state); }

/* Random rows: times in [t0, t0 + span), sorted then shuffled locally (out
 * of order, bounded); a few NULL keys and values. */
static rrow *random_rows(uint32_t n, uint32_t nkeys, int64_t t0, int64_t span)
{
    rrow *r = calloc(n ? n : 1, sizeof(rrow));
    for (uint32_t i = 0; i < n; i++) {
        r[i].ts = t0 + (int64_t)(rnd() % (uint64_t)span);
        r[i].k = nkeys ? (int64_t)(rnd() % nkeys) : 0;
        r[i].knull = nkeys && rnd() % 50 == 0;
        r[i].v = (int64_t)(rnd() % 201) - 100;
        r[i].vnull = rnd() % 10 == 0;
    }
    for (uint32_t i = 1; i < n; i++) {
        rrow x = r[i];
        uint32_t j = i;
        while (j > 0 && r[j - 1].ts > x.ts) {
            r[j] = r[j - 1];
            j--;
        }
        r[j] = x;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t j = i + (uint32_t)(rnd() % 40);
        if (j < n) {
            rrow x = r[i];
            r[i] = r[j];
            r[j] = x;
        }
    }
    return r;
}

/* Retractions of earlier rows mixed into rows (updating input): about one
 * row in four is followed, some rows later, by its retraction. */
static rrow *with_retractions(const rrow *in, uint32_t n, uint32_t *nout)
{
    rrow *out = calloc(2 * n + 1, sizeof(rrow));
    uint32_t m = 0;
    uint32_t *pend = malloc(sizeof(uint32_t) * (n + 1));
    uint32_t np = 0;
    for (uint32_t i = 0; i < n; i++) {
        out[m++] = in[i];
        if (rnd() % 4 == 0) pend[np++] = i;
        if (np && rnd() % 3 == 0) {
            uint32_t j = (uint32_t)(rnd() % np);
            out[m] = in[pend[j]];
            out[m++].retract = true;
            pend[j] = pend[--np];
        }
    }
    free(pend);
    *nout = m;
    return out;
}

/* The script: batch i (rows [i·bs, …)), then a watermark or a tick. */
typedef enum { M_BATCH, M_WM, M_TICK } mkind;
typedef struct msg {
    mkind kind;
    uint32_t from, n;       /* M_BATCH */
    int64_t t;              /* M_WM: watermark; M_TICK: processing time */
} msg;

typedef struct script {
    const rrow *rows;
    msg *m;
    uint32_t n;
} script;

/* Windowed: watermark after each batch = largest time so far - lag.
 * Updating (lag < 0): a tick every batch, 100 ns apart. */
static script make_script(const rrow *rows, uint32_t n, uint32_t bs, int64_t lag)
{
    script s = {rows, calloc(2 * (n / bs + 2), sizeof(msg)), 0};
    int64_t mx = INT64_MIN, last = INT64_MIN, now = 1000;
    for (uint32_t off = 0; off < n; off += bs) {
        uint32_t m = n - off < bs ? n - off : bs;
        s.m[s.n++] = (msg){M_BATCH, off, m, 0};
        for (uint32_t i = off; i < off + m; i++)
            if (rows[i].ts > mx) mx = rows[i].ts;
        if (lag < 0) {
            s.m[s.n++] = (msg){M_TICK, 0, 0, now};
            now += 100;
        } else if (mx - lag > last) {
            last = mx - lag;
            s.m[s.n++] = (msg){M_WM, 0, 0, last};
        }
    }
    return s;
}

static uint64_t key_hash(const rrow *r)
{
    int64_t k = r->k;
    uint8_t valid = r->knull ? 0 : 1;
    wd_col c = {.type = WD_TYPE_INT64, .len = 1, .valid = &valid, .data = &k};
    uint64_t h;
    wd_hash_rows(&c, 1, 1, &h);
    return h;
}

/* Push rows[from, from + n) whose key goes to subtask `sub` of nh (all
 * when nh is 1) into h. */
static void push_rows(harness *h, const rrow *rows, uint32_t from, uint32_t n, uint32_t sub,
                      uint32_t nh)
{
    wd_batch *b = wd_batch_new(h->in_schema, n ? n : 1);
    int64_t *kc = b->cols[0].data, *vc = b->cols[1].data, *tc = b->cols[2].data;
    b->retract = wd_batch_alloc(b, n ? n : 1);
    uint32_t m = 0;
    bool any_retract = false;
    for (uint32_t i = from; i < from + n; i++) {
        const rrow *r = &rows[i];
        if (nh > 1 && wd_hash_partition(key_hash(r), nh) != sub) continue;
        kc[m] = r->k;
        if (r->knull) wd_col_set_null(&b->cols[0], m, &b->arena);
        vc[m] = r->v;
        if (r->vnull) wd_col_set_null(&b->cols[1], m, &b->arena);
        tc[m] = r->ts;
        b->retract[m] = r->retract;
        any_retract |= r->retract;
        m++;
    }
    if (!any_retract) b->retract = NULL;
    b->nrows = m;
    wd_batch_seal(b);
    wd_error err = {0};
    if (m) assert_int_equal(wd_op_push_batch(&h->op, 0, b, &err), 0);
    wd_batch_release(b);
}

/* Run messages [from, to) of s on hs[0..nh) (the rows split by key). */
static void run(harness **hs, uint32_t nh, const script *s, uint32_t from, uint32_t to)
{
    wd_error err = {0};
    for (uint32_t i = from; i < to; i++) {
        const msg *m = &s->m[i];
        for (uint32_t j = 0; j < nh; j++) {
            switch (m->kind) {
            case M_BATCH: push_rows(hs[j], s->rows, m->from, m->n, j, nh); break;
            case M_WM: assert_int_equal(wd_op_push_watermark(&hs[j]->op, m->t, &err), 0); break;
            case M_TICK: assert_int_equal(hs[j]->op.vt->on_tick(&hs[j]->op, m->t, &err), 0); break;
            }
        }
    }
}

static void end_all(harness **hs, uint32_t nh)
{
    wd_error err = {0};
    for (uint32_t j = 0; j < nh; j++) assert_int_equal(wd_op_push_end(&hs[j]->op, &err), 0);
}

/* ---- snapshot / restore ------------------------------------------------------------------- */

static void snap(harness *h, wd_snap_out *o) { op_snap(&h->op, o); }

static int restore_from(harness *h, const wd_snap_out *outs, uint32_t nold, wd_error *err)
{
    return op_restore(&h->op, outs, nold, err);
}

static void restore_ok(harness *h, const wd_snap_out *outs, uint32_t nold, int64_t wm)
{
    op_restore_ok(&h->op, outs, nold, wm);
}

/* ---- comparing outputs ------------------------------------------------------------------- */

static bool close_to(double a, double b) { return fabs(a - b) <= 1e-9 * (fabs(a) + fabs(b) + 1); }

static int cmp_vals(const orow *x, const orow *y)
{
    for (int a = 0; a < A_N; a++) {
        if (x->null[a] != y->null[a]) return x->null[a] ? -1 : 1;
        if (!x->null[a] && !close_to(x->v[a], y->v[a])) return x->v[a] < y->v[a] ? -1 : 1;
    }
    return 0;
}

static int cmp_orow(const void *a, const void *b)
{
    const orow *x = a, *y = b;
    if (x->key_null != y->key_null) return x->key_null ? -1 : 1;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    if (x->ws != y->ws) return x->ws < y->ws ? -1 : 1;
    if (x->we != y->we) return x->we < y->we ? -1 : 1;
    if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
    return cmp_vals(x, y);
}

/* A multiset of output rows gathered from several harnesses. */
typedef struct rowset {
    orow *r;
    uint32_t n, cap;
} rowset;

static void rs_add(rowset *s, const harness *h)
{
    for (uint32_t i = 0; i < h->nrows; i++) {
        if (s->n == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 1024;
            s->r = realloc(s->r, sizeof(orow) * s->cap);
        }
        s->r[s->n++] = h->rows[i];
    }
}

static void rs_sort(rowset *s) { qsort(s->r, s->n, sizeof(orow), cmp_orow); }

/* An updating changelog folded: each (key, values) with its net count;
 * rows whose count is 0 dropped. */
static void rs_fold(rowset *s)
{
    rs_sort(s);
    uint32_t m = 0;
    for (uint32_t i = 0; i < s->n;) {
        uint32_t j = i;
        int64_t c = 0;
        for (; j < s->n && cmp_orow(&s->r[i], &s->r[j]) == 0; j++) c += s->r[j].retract ? -1 : 1;
        if (c != 0) {
            s->r[m] = s->r[i];
            s->r[m].retract = false;
            s->r[m].ts = c; /* the net count, compared with the rest */
            m++;
        }
        i = j;
    }
    s->n = m;
}

static void rs_expect_equal(rowset *got, rowset *want, const char *what)
{
    if (got->n != want->n) fail_msg("%s: %u rows, want %u", what, got->n, want->n);
    for (uint32_t i = 0; i < want->n; i++) {
        const orow *a = &got->r[i], *b = &want->r[i];
        if (cmp_orow(a, b) != 0)
            fail_msg("%s: row %u: got key %lld%s [%lld,%lld) ts %lld count %g sum %g, want key "
                     "%lld%s [%lld,%lld) ts %lld count %g sum %g",
                     what, i, (long long)a->key, a->key_null ? " (NULL)" : "", (long long)a->ws,
                     (long long)a->we, (long long)a->ts, a->v[A_COUNT], a->v[A_SUM],
                     (long long)b->key, b->key_null ? " (NULL)" : "", (long long)b->ws,
                     (long long)b->we, (long long)b->ts, b->v[A_COUNT], b->v[A_SUM]);
    }
}

static void rs_free(rowset *s) { free(s->r); }

/* ---- the checkpoint scenarios --------------------------------------------------------------- */

typedef struct shape {
    wd_win_kind win;
    uint32_t nkeys;
    int64_t width, slide, gap, ttl;
    unsigned mask;
} shape;

static harness *mk(const shape *sh, uint32_t sub, uint32_t par)
{
    harness *h = h_new(sh->win, sh->nkeys, sh->width, sh->slide, sh->gap, sh->mask, sub, par);
    h->spec.flush_ns = 250;
    h->spec.ttl_ns = sh->ttl;
    h_open(h);
    return h;
}

/* Gather (and for updating output fold) the rows of hs[0..n) into s. */
static void gather(rowset *s, harness **hs, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) rs_add(s, hs[i]);
}

static void finish(rowset *s, bool updating)
{
    if (updating)
        rs_fold(s);
    else
        rs_sort(s);
}

/* The uninterrupted run. */
static void reference(const shape *sh, const script *sc, rowset *want)
{
    harness *h = mk(sh, 0, 1);
    run(&h, 1, sc, 0, sc->n);
    end_all(&h, 1);
    gather(want, &h, 1);
    finish(want, sh->win == WD_WIN_NONE);
    h_free(h);
}

/* 1→1 twice: snapshot at c1, restore, run to c2, snapshot, restore, run to
 * the end. */
static void check_1_1(const shape *sh, const script *sc, rowset *want, uint32_t c1, uint32_t c2)
{
    rowset got = {0};
    harness *a = mk(sh, 0, 1);
    run(&a, 1, sc, 0, c1);
    wd_snap_out o;
    snap(a, &o);
    gather(&got, &a, 1);
    int64_t wm = a->op.watermark;
    h_free(a);
    harness *b = mk(sh, 0, 1);
    restore_ok(b, &o, 1, wm);
    wd_snap_out_free(&o);
    run(&b, 1, sc, c1, c2);
    snap(b, &o);
    gather(&got, &b, 1);
    wm = b->op.watermark;
    h_free(b);
    harness *c = mk(sh, 0, 1);
    restore_ok(c, &o, 1, wm);
    wd_snap_out_free(&o);
    run(&c, 1, sc, c2, sc->n);
    end_all(&c, 1);
    gather(&got, &c, 1);
    h_free(c);
    finish(&got, sh->win == WD_WIN_NONE);
    rs_expect_equal(&got, want, "1->1");
    rs_free(&got);
}

/* Old parallelism pa, new pb (1 or 2 each), snapshot at cut. */
static void check_rescale(const shape *sh, const script *sc, rowset *want, uint32_t cut,
                          uint32_t pa, uint32_t pb)
{
    rowset got = {0};
    harness *old[2], *nw[2];
    wd_snap_out outs[2];
    int64_t wm = INT64_MAX;
    for (uint32_t i = 0; i < pa; i++) old[i] = mk(sh, i, pa);
    run(old, pa, sc, 0, cut);
    for (uint32_t i = 0; i < pa; i++) {
        snap(old[i], &outs[i]);
        if (old[i]->op.watermark < wm) wm = old[i]->op.watermark;
    }
    gather(&got, old, pa);
    for (uint32_t i = 0; i < pa; i++) h_free(old[i]);
    for (uint32_t i = 0; i < pb; i++) {
        nw[i] = mk(sh, i, pb);
        restore_ok(nw[i], outs, pa, wm);
    }
    for (uint32_t i = 0; i < pa; i++) wd_snap_out_free(&outs[i]);
    run(nw, pb, sc, cut, sc->n);
    end_all(nw, pb);
    gather(&got, nw, pb);
    for (uint32_t i = 0; i < pb; i++) h_free(nw[i]);
    finish(&got, sh->win == WD_WIN_NONE);
    char what[32];
    snprintf(what, sizeof what, "%u->%u", pa, pb);
    rs_expect_equal(&got, want, what);
    rs_free(&got);
}

/* Every scenario on one shape and input, at several cut points. */
static void check_shape(const shape *sh, const rrow *rows, uint32_t n, uint32_t bs, int64_t lag)
{
    script sc = make_script(rows, n, bs, lag);
    rowset want = {0};
    reference(sh, &sc, &want);
    assert_true(want.n > 0);
    uint32_t cuts[] = {1, sc.n / 3, sc.n / 2 + 1, sc.n - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        uint32_t c = cuts[i];
        check_1_1(sh, &sc, &want, c, c + (sc.n - c) / 2);
        if (sh->nkeys) {
            check_rescale(sh, &sc, &want, c, 2, 1);
            check_rescale(sh, &sc, &want, c, 1, 2);
            check_rescale(sh, &sc, &want, c, 2, 2);
        }
    }
    rs_free(&want);
    free(sc.m);
}

static void test_tumble(void **state)
{
    rrow *r = random_rows(3000, 40, -5000, 20000);
    shape keyed = {WD_WIN_TUMBLE, 1, 700, 0, 0, 0, ALL_AGGS};
    check_shape(&keyed, r, 3000, 100, 300);
    shape global = {WD_WIN_TUMBLE, 0, 1000, 0, 0, 0, ALL_AGGS};
    check_shape(&global, r, 3000, 128, 200);
    free(r);
}

static void test_hop(void **state)
{
    rrow *r = random_rows(3000, 30, -3000, 20000);
    shape keyed = {WD_WIN_HOP, 1, 1000, 250, 0, 0, ALL_AGGS};
    check_shape(&keyed, r, 3000, 100, 300);
    shape fine = {WD_WIN_HOP, 1, 600, 50, 0, 0, ALL_AGGS};
    check_shape(&fine, r, 3000, 64, 120);
    shape global = {WD_WIN_HOP, 0, 900, 300, 0, 0, ALL_AGGS};
    check_shape(&global, r, 3000, 128, 100);
    free(r);
}

static void test_session(void **state)
{
    rrow *r = random_rows(3000, 60, 0, 60000);
    shape keyed = {WD_WIN_SESSION, 1, 0, 0, 150, 0, ALL_AGGS};
    check_shape(&keyed, r, 3000, 100, 400);
    shape global = {WD_WIN_SESSION, 0, 0, 0, 40, 0, ALL_AGGS};
    check_shape(&global, r, 3000, 100, 100);
    free(r);
}

static void test_updating(void **state)
{
    rrow *base = random_rows(3000, 200, 0, 30000);
    shape keyed = {WD_WIN_NONE, 1, 0, 0, 0, 0, ALL_AGGS};
    check_shape(&keyed, base, 3000, 100, -1);
    uint32_t n;
    rrow *r = with_retractions(base, 3000, &n);
    check_shape(&keyed, r, n, 100, -1);
    shape global = {WD_WIN_NONE, 0, 0, 0, 0, 0, ALL_AGGS};
    check_shape(&global, r, n, 100, -1);
    /* a TTL shorter than the input: groups expire and come back fresh */
    shape ttl = {WD_WIN_NONE, 1, 0, 0, 0, 1500, ALL_AGGS};
    check_shape(&ttl, r, n, 64, -1);
    free(r);
    free(base);
}

/* At the end of input the final snapshot holds fired-everything: a job
 * restored from it emits nothing more, whatever arrives. */
static void test_final_snapshot(void **state)
{
    rrow *r = random_rows(500, 10, 0, 5000);
    wd_win_kind kinds[] = {WD_WIN_TUMBLE, WD_WIN_HOP, WD_WIN_SESSION};
    for (int i = 0; i < 3; i++) {
        shape sh = {kinds[i], 1, 400, 100, 50, 0, ALL_AGGS};
        script sc = make_script(r, 500, 50, 100);
        harness *a = mk(&sh, 0, 1);
        run(&a, 1, &sc, 0, sc.n);
        end_all(&a, 1);
        assert_true(a->nrows > 0);
        wd_snap_out o;
        snap(a, &o);
        int64_t wm = a->op.watermark;
        h_free(a);
        harness *b = mk(&sh, 0, 1);
        restore_ok(b, &o, 1, wm);
        wd_snap_out_free(&o);
        run(&b, 1, &sc, 0, sc.n);
        end_all(&b, 1);
        assert_int_equal(b->nrows, 0);
        assert_int_equal(atomic_load(&b->op.metrics.late_dropped), 500);
        h_free(b);
        free(sc.m);
    }
    free(r);
}

/* ---- corrupt state ----------------------------------------------------------------------- */

/* A snapshot of sh over the first half of a random input (plus its
 * script, for running restored instances). */
static void corrupt_source(const shape *sh, rrow **rows, script *sc, wd_snap_out *o,
                           int64_t *wm)
{
    *rows = random_rows(400, 8, 0, 4000);
    *sc = make_script(*rows, 400, 40, sh->win == WD_WIN_NONE ? -1 : 150);
    harness *a = mk(sh, 0, 1);
    run(&a, 1, sc, 0, sc->n / 2 + 1);
    snap(a, o);
    *wm = a->op.watermark;
    h_free(a);
}

/* Restore from a copy of o whose table t has data[0..len) replaced by
 * (bytes, len); then, when it worked, run the rest and end: never a crash. */
static int try_restore(const shape *sh, const wd_snap_out *o, uint32_t t, const void *bytes,
                       size_t len, const script *sc, int64_t wm)
{
    wd_snap_in in;
    wd_snap_in_init(&in, 7, 0, 1, 1);
    for (uint32_t i = 0; i < o->ntables; i++) {
        const wd_snap_table *x = &o->tables[i];
        if (i == t)
            assert_int_equal(wd_snap_in_add(&in, x->name, x->kind, 0, bytes, len), 0);
        else
            assert_int_equal(wd_snap_in_add(&in, x->name, x->kind, 0, x->data.data, x->data.len),
                             0);
    }
    harness *h = mk(sh, 0, 1);
    h->op.watermark = wm;
    wd_error err = {0};
    int rc = h->op.vt->restore(&h->op, &in, &err);
    wd_snap_in_free(&in);
    if (rc == 0) {
        run(&h, 1, sc, sc->n / 2 + 1, sc->n);
        end_all(&h, 1);
    } else {
        assert_int_equal(rc, WD_ECORRUPT);
        assert_true(err.msg[0] != 0);
    }
    h_free(h);
    return rc;
}

/* Whether len falls on a record boundary of table t. */
static bool at_boundary(const wd_snap_table *t, size_t len)
{
    size_t off = 0;
    while (off < len) {
        uint32_t hdr[2];
        memcpy(hdr, t->data.data + off, 8);
        off += 8 + hdr[1];
    }
    return off == len;
}

static void corrupt_one(const shape *sh)
{
    rrow *rows;
    script sc;
    wd_snap_out o;
    int64_t wm;
    corrupt_source(sh, &rows, &sc, &o, &wm);
    for (uint32_t t = 0; t < o.ntables; t++) {
        const wd_snap_table *x = &o.tables[t];
        size_t len = x->data.len;
        uint8_t *copy = malloc(len + 16);
        /* cut short at every length: broken framing is WD_ECORRUPT, a cut
         * at a record boundary is a shorter but well-formed table */
        for (size_t cut = 0; cut < len; cut += (len > 4000 ? 7 : 1)) {
            memcpy(copy, x->data.data, cut);
            int rc = try_restore(sh, &o, t, copy, cut, &sc, wm);
            if (!at_boundary(x, cut)) assert_int_equal(rc, WD_ECORRUPT);
        }
        if (x->nrecs == 0) {
            free(copy);
            continue;
        }
        /* the first record one byte short, one byte long, re-keyed */
        uint32_t hdr[2];
        memcpy(hdr, x->data.data, 8);
        if (hdr[1] > 0) {
            memcpy(copy, x->data.data, len);
            memmove(copy + 8 + hdr[1] - 1, copy + 8 + hdr[1], len - 8 - hdr[1]);
            uint32_t l = hdr[1] - 1;
            memcpy(copy + 4, &l, 4);
            assert_int_equal(try_restore(sh, &o, t, copy, len - 1, &sc, wm), WD_ECORRUPT);
        }
        memcpy(copy, x->data.data, 8 + hdr[1]);
        copy[8 + hdr[1]] = 0x5a;
        memcpy(copy + 8 + hdr[1] + 1, x->data.data + 8 + hdr[1], len - 8 - hdr[1]);
        uint32_t l = hdr[1] + 1;
        memcpy(copy + 4, &l, 4);
        assert_int_equal(try_restore(sh, &o, t, copy, len + 1, &sc, wm), WD_ECORRUPT);
        if (x->kind == WD_SNAP_KEYED && sh->nkeys) {
            memcpy(copy, x->data.data, len);
            uint32_t kh = hdr[0] ^ 0x1000;
            memcpy(copy, &kh, 4);
            assert_int_equal(try_restore(sh, &o, t, copy, len, &sc, wm), WD_ECORRUPT);
        }
        /* random bytes flipped: fails cleanly or restores something that runs */
        for (int k = 0; k < 300; k++) {
            memcpy(copy, x->data.data, len);
            int nflip = 1 + (int)(rnd() % 3);
            for (int f = 0; f < nflip; f++) copy[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
            try_restore(sh, &o, t, copy, len, &sc, wm);
        }
        free(copy);
    }
    /* a table missing altogether */
    for (uint32_t t = 0; t < o.ntables; t++) {
        wd_snap_in in;
        wd_snap_in_init(&in, 7, 0, 1, 1);
        for (uint32_t i = 0; i < o.ntables; i++)
            if (i != t)
                wd_snap_in_add(&in, o.tables[i].name, o.tables[i].kind, 0, o.tables[i].data.data,
                               o.tables[i].data.len);
        harness *h = mk(sh, 0, 1);
        wd_error err = {0};
        assert_int_equal(h->op.vt->restore(&h->op, &in, &err), WD_ECORRUPT);
        wd_snap_in_free(&in);
        h_free(h);
    }
    wd_snap_out_free(&o);
    free(sc.m);
    free(rows);
}

static void test_corrupt(void **state)
{
    shape shapes[] = {
        {WD_WIN_TUMBLE, 1, 500, 0, 0, 0, ALL_AGGS},
        {WD_WIN_HOP, 1, 600, 200, 0, 0, ALL_AGGS},
        {WD_WIN_SESSION, 1, 0, 0, 100, 0, ALL_AGGS},
        {WD_WIN_NONE, 1, 0, 0, 0, 0, ALL_AGGS},
        {WD_WIN_NONE, 0, 0, 0, 0, 0, ALL_AGGS},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) corrupt_one(&shapes[i]);
}

/* State written for another query (other aggregates, another window) is
 * refused, not misread. */
static void test_other_layout(void **state)
{
    rrow *rows;
    script sc;
    wd_snap_out o;
    int64_t wm;
    shape a = {WD_WIN_TUMBLE, 1, 500, 0, 0, 0, ALL_AGGS};
    corrupt_source(&a, &rows, &sc, &o, &wm);
    shape others[] = {
        {WD_WIN_TUMBLE, 1, 500, 0, 0, 0, (1u << A_COUNT) | (1u << A_SUM)},
        {WD_WIN_TUMBLE, 1, 600, 0, 0, 0, ALL_AGGS},
        {WD_WIN_HOP, 1, 1000, 500, 0, 0, ALL_AGGS},
        {WD_WIN_NONE, 1, 0, 0, 0, 0, ALL_AGGS},
        {WD_WIN_TUMBLE, 0, 500, 0, 0, 0, ALL_AGGS},
    };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        harness *h = mk(&others[i], 0, 1);
        wd_error err = {0};
        assert_int_equal(restore_from(h, &o, 1, &err), WD_ECORRUPT);
        h_free(h);
    }
    wd_snap_out_free(&o);
    free(sc.m);
    free(rows);
}

/* ---- group keys and aggregate states ---------------------------------------------------- */

static wd_arena TA; /* test columns */

static wd_col tcol_text(const char *const *v, uint32_t n)
{
    wd_col c;
    wd_col_init(&c, WD_TYPE_TEXT, n, &TA);
    for (uint32_t i = 0; i < n; i++) {
        ((wd_str *)c.data)[i] = wd_str_make(v[i] ? v[i] : NULL, v[i] ? (uint32_t)strlen(v[i]) : 0);
        if (!v[i]) wd_col_set_null(&c, i, &TA);
    }
    c.len = n;
    return c;
}

/* An integer-like column of type t; nulls[i] marks NULL. */
static wd_col tcol_int(const wd_type *t, const int64_t *v, const bool *nulls, uint32_t n)
{
    wd_col c;
    wd_col_init(&c, t, n, &TA);
    for (uint32_t i = 0; i < n; i++) {
        switch (t->id) {
        case WD_T_BOOL: ((uint8_t *)c.data)[i] = v[i] != 0; break;
        case WD_T_INT16: ((int16_t *)c.data)[i] = (int16_t)v[i]; break;
        case WD_T_INT32:
        case WD_T_DATE: ((int32_t *)c.data)[i] = (int32_t)v[i]; break;
        case WD_T_FLOAT64: ((double *)c.data)[i] = (double)v[i]; break;
        default: ((int64_t *)c.data)[i] = v[i]; break;
        }
        if (nulls && nulls[i]) wd_col_set_null(&c, i, &TA);
    }
    c.len = n;
    return c;
}

/*
 * Keys of n rows of cols in a table: every group's key hash is the high
 * half of the shuffle's hash (wd_hash_rows) of its rows; saved keys give
 * the same groups back, in order; a wrong key hash or a cut key is refused.
 */
static void check_keys(const wd_type *const *kt, uint32_t nk, wd_col *cols, uint32_t n)
{
    wd_groups *g = wd_groups_new(kt, nk);
    uint32_t *slots = malloc(sizeof(uint32_t) * n), nnew;
    uint64_t *h = malloc(sizeof(uint64_t) * n);
    wd_groups_lookup(g, cols, n, NULL, slots, &nnew);
    wd_hash_rows(cols, nk, n, h);
    uint32_t ng = wd_groups_count(g);
    uint32_t *kh = malloc(sizeof(uint32_t) * (ng + 1));
    wd_groups_khash(g, 0, ng, kh);
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(kh[slots[i]], nk ? (uint32_t)(h[i] >> 32) : 0);
    /* saved keys, one after another */
    size_t total = 0;
    for (uint32_t s = 0; s < ng; s++) total += wd_groups_key_size(g, s);
    uint8_t *buf = malloc(total + 1), *p = buf;
    const uint8_t **keys = malloc(sizeof(uint8_t *) * (ng + 1));
    for (uint32_t s = 0; s < ng; s++) {
        keys[s] = p;
        p = wd_groups_key_write(g, s, p);
        size_t len = 99;
        assert_true(wd_groups_key_check(g, keys[s], (size_t)(buf + total - keys[s]), &len));
        assert_int_equal(len, wd_groups_key_size(g, s));
        if (len) assert_false(wd_groups_key_check(g, keys[s], len - 1, &len));
    }
    assert_true(p == buf + total);
    wd_groups *g2 = wd_groups_new(kt, nk);
    wd_col *c2 = calloc(nk + 1, sizeof(wd_col));
    uint64_t *h2 = malloc(sizeof(uint64_t) * (ng + 1));
    uint32_t *s2 = malloc(sizeof(uint32_t) * (ng + 1));
    wd_arena a;
    wd_arena_init(&a, 0);
    assert_int_equal(wd_groups_decode_keys(g2, keys, kh, ng, c2, h2, &a), 0);
    wd_groups_lookup(g2, c2, ng, h2, s2, &nnew);
    assert_int_equal(nnew, ng);
    for (uint32_t s = 0; s < ng; s++) {
        assert_int_equal(s2[s], s);
        uint8_t x[512], y[512];
        assert_true(wd_groups_key_size(g2, s) < sizeof x);
        size_t lx = (size_t)(wd_groups_key_write(g, s, x) - x);
        size_t ly = (size_t)(wd_groups_key_write(g2, s, y) - y);
        assert_int_equal(lx, ly);
        assert_memory_equal(x, y, lx);
    }
    if (ng) {
        kh[0] ^= 1;
        assert_int_equal(wd_groups_decode_keys(g2, keys, kh, 1, c2, h2, &a), WD_ECORRUPT);
    }
    wd_arena_free(&a);
    wd_groups_free(g);
    wd_groups_free(g2);
    free(slots), free(h), free(kh), free(buf), free(keys), free(c2), free(h2), free(s2);
}

static void test_group_keys(void **state)
{
    wd_arena_init(&TA, 0);
    enum { N = 12 };
    int64_t iv[N] = {5, -3, 5, 0, 70000, -3, 1, 9, 9, 0, 2, 123456789012345};
    bool nul[N] = {0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0};
    const wd_type *ints[] = {WD_TYPE_INT64, WD_TYPE_INT32, WD_TYPE_INT16, WD_TYPE_BOOL,
                             WD_TYPE_DATE, WD_TYPE_UINT64, WD_TYPE_TIMESTAMP};
    for (size_t t = 0; t < sizeof ints / sizeof ints[0]; t++) {
        wd_col c = tcol_int(ints[t], iv, nul, N);
        check_keys(&ints[t], 1, &c, N);
    }
    /* generic: text, int, double (-0.0 and 0.0 are one key) */
    const char *tv[N] = {"a", "b", "a", NULL, "", "b", "a", "zz", "a", NULL, "", "b"};
    wd_col m[3] = {tcol_text(tv, N), tcol_int(WD_TYPE_INT32, iv, nul, N),
                   tcol_int(WD_TYPE_FLOAT64, iv, NULL, N)};
    ((double *)m[2].data)[3] = -0.0;
    const wd_type *mt[] = {WD_TYPE_TEXT, WD_TYPE_INT32, WD_TYPE_FLOAT64};
    check_keys(mt, 3, m, N);
    check_keys(mt, 1, m, N);
    /* a struct and a list */
    wd_field f[2] = {{"a", WD_TYPE_INT64, true}, {"b", WD_TYPE_TEXT, true}};
    const wd_type *st = wd_type_struct(&TA, 2, f), *lt = wd_type_list(&TA, WD_TYPE_TEXT);
    wd_col sl[2];
    wd_col_init(&sl[0], st, N, &TA);
    sl[0].child[0] = tcol_int(WD_TYPE_INT64, iv, nul, N);
    sl[0].child[1] = tcol_text(tv, N);
    sl[0].len = N;
    wd_col_set_null(&sl[0], 7, &TA);
    wd_col_init(&sl[1], lt, N, &TA);
    sl[1].child[0] = tcol_text(tv, N);
    uint32_t *off = sl[1].data;
    for (uint32_t i = 0; i <= N; i++) off[i] = i < 6 ? i * 2 : N;
    sl[1].len = N;
    const wd_type *slt[] = {st, lt};
    check_keys(slt, 2, sl, N);
    /* no keys: one group, key hash 0 */
    check_keys(NULL, 0, NULL, N);
    wd_arena_free(&TA);
}

/* The value at row r of c as normalised bytes (for comparing results). */
static size_t enc(const wd_col *c, uint32_t r, uint8_t *out)
{
    size_t n = wd_value_enc_size(c, r);
    assert_true(n < 4096);
    wd_value_encode(out, c, r);
    return n;
}

enum { SG = 4, SN = 9 };

/* Specs over (t TEXT, i BIGINT, d DOUBLE): states that own memory. */
static uint32_t state_specs(wd_agg_spec *sp)
{
    static const struct {
        const char *fn;
        int col;
        bool distinct;
    } defs[SN] = {{"min", 0, false},       {"max", 0, false},       {"first_value", 0, false},
                  {"last_value", 1, false}, {"array_agg", 0, false}, {"count", 0, true},
                  {"sum", 1, true},         {"approx_distinct", 0, false}, {"stddev", 2, false}};
    const wd_type *types[3] = {WD_TYPE_TEXT, WD_TYPE_INT64, WD_TYPE_FLOAT64};
    for (uint32_t k = 0; k < SN; k++) {
        memset(&sp[k], 0, sizeof sp[k]);
        sp[k].fn = wd_agg_find(defs[k].fn);
        assert_non_null(sp[k].fn);
        sp[k].arg_type = types[defs[k].col];
        sp[k].arg_col = defs[k].col;
        sp[k].arg2_col = sp[k].filter_col = -1;
        sp[k].distinct = defs[k].distinct;
        wd_error err = {0};
        sp[k].ret = sp[k].fn->resolve(&TA, sp[k].arg_type, &err);
        assert_non_null(sp[k].ret);
    }
    uint32_t stride = wd_agg_layout(sp, SN);
    assert_false(wd_agg_row_plain(sp, SN, &(uint32_t){0}));
    return stride;
}

/* A batch of n rows (t, i, d) for groups slots[i] = i % SG. */
static wd_batch *state_batch(uint32_t n, uint32_t seed, uint32_t *slots)
{
    wd_field f[3] = {{"t", WD_TYPE_TEXT, true}, {"i", WD_TYPE_INT64, true},
                     {"d", WD_TYPE_FLOAT64, true}};
    wd_batch *b = wd_batch_new(wd_schema_make(&TA, 3, f), n);
    static const char *const words[] = {"pear", "apple", "fig", "",
                                        "banana", "kiwi", "a longer text value"};
    for (uint32_t i = 0; i < n; i++) {
        uint32_t x = (i * 7 + seed * 13) % 29;
        const char *w = words[x % 7];
        ((wd_str *)b->cols[0].data)[i] = wd_str_make(w, (uint32_t)strlen(w));
        if (x % 11 == 0) wd_col_set_null(&b->cols[0], i, &b->arena);
        ((int64_t *)b->cols[1].data)[i] = (int64_t)x - 10;
        ((double *)b->cols[2].data)[i] = (double)x * 0.25;
        slots[i] = i % SG;
    }
    b->nrows = n;
    wd_batch_seal(b);
    return b;
}

/* Finalize every state of rows [0, SG) into bytes (out[k][g]). */
static void state_results(const wd_agg_spec *sp, const uint8_t *rows, uint32_t stride,
                          uint8_t out[SN][SG][4096], size_t len[SN][SG])
{
    wd_arena a;
    wd_arena_init(&a, 0);
    for (uint32_t k = 0; k < SN; k++) {
        wd_col c;
        wd_col_init(&c, sp[k].ret, SG, &a);
        for (uint32_t g = 0; g < SG; g++)
            sp[k].fn->finalize(&sp[k], rows + (size_t)g * stride + sp[k].offset, &c, g, &a);
        c.len = SG;
        for (uint32_t g = 0; g < SG; g++) len[k][g] = enc(&c, g, out[k][g]);
    }
    wd_arena_free(&a);
}

static void init_rows(const wd_agg_spec *sp, uint8_t *rows, uint32_t stride)
{
    for (uint32_t k = 0; k < SN; k++) sp[k].fn->init(&sp[k], rows + sp[k].offset, stride, SG);
}

/*
 * States that own memory (text copies, lists, DISTINCT sets, encoded
 * values) saved and loaded into another arena: the original arena freed,
 * the loaded states give the same results and keep aggregating like the
 * originals; cut or damaged bytes are refused or load harmlessly.
 */
static void test_agg_states(void **state)
{
    wd_arena_init(&TA, 0);
    wd_agg_spec sp[SN];
    uint32_t stride = state_specs(sp);
    static uint8_t want[SN][SG][4096], got[SN][SG][4096];
    static size_t wl[SN][SG], gl[SN][SG];
    uint8_t *orig = malloc((size_t)stride * SG), *back = malloc((size_t)stride * SG);
    uint8_t *ref = malloc((size_t)stride * SG);
    wd_arena oa, ba, ra;
    wd_arena_init(&oa, 0);
    wd_arena_init(&ba, 0);
    wd_arena_init(&ra, 0);
    wd_agg_ctx oc = {&oa}, bc = {&ba}, rc = {&ra};
    uint32_t slots[200];
    init_rows(sp, orig, stride);
    init_rows(sp, ref, stride);
    wd_batch *b1 = state_batch(200, 1, slots);
    wd_agg_apply(sp, SN, &oc, orig, stride, b1, slots, 1);
    wd_agg_apply(sp, SN, &rc, ref, stride, b1, slots, 1);
    wd_buf saved[SG];
    for (uint32_t g = 0; g < SG; g++) {
        memset(&saved[g], 0, sizeof saved[g]);
        wd_agg_row_save(sp, SN, orig + (size_t)g * stride, &saved[g]);
    }
    state_results(sp, orig, stride, want, wl);
    wd_arena_free(&oa); /* the loaded states must not point here */
    init_rows(sp, back, stride);
    for (uint32_t g = 0; g < SG; g++) {
        wd_rd r;
        wd_rd_init(&r, saved[g].data, saved[g].len);
        assert_true(wd_agg_row_load(sp, SN, back + (size_t)g * stride, &bc, &r));
        assert_true(wd_rd_done(&r));
    }
    state_results(sp, back, stride, got, gl);
    for (uint32_t k = 0; k < SN; k++)
        for (uint32_t g = 0; g < SG; g++) {
            assert_int_equal(gl[k][g], wl[k][g]);
            assert_memory_equal(got[k][g], want[k][g], wl[k][g]);
        }
    /* more rows into the loaded states and into a reference that never
     * went through a checkpoint, then a merge of one group into another */
    wd_batch *b2 = state_batch(150, 2, slots);
    wd_agg_apply(sp, SN, &bc, back, stride, b2, slots, 1);
    wd_agg_apply(sp, SN, &rc, ref, stride, b2, slots, 1);
    for (uint32_t k = 0; k < SN; k++) {
        sp[k].fn->merge(&sp[k], &bc, back + sp[k].offset, back + stride + sp[k].offset);
        sp[k].fn->merge(&sp[k], &rc, ref + sp[k].offset, ref + stride + sp[k].offset);
    }
    state_results(sp, back, stride, got, gl);
    state_results(sp, ref, stride, want, wl);
    for (uint32_t k = 0; k < SN; k++)
        for (uint32_t g = 0; g < SG; g++) {
            assert_int_equal(gl[k][g], wl[k][g]);
            assert_memory_equal(got[k][g], want[k][g], wl[k][g]);
        }
    /* cut short: refused; bytes flipped: refused or loaded, never a crash */
    uint8_t *tmp = malloc((size_t)stride * SG);
    for (uint32_t g = 0; g < SG; g++) {
        for (size_t cut = 0; cut < saved[g].len; cut++) {
            wd_arena x;
            wd_arena_init(&x, 0);
            wd_agg_ctx xc = {&x};
            init_rows(sp, tmp, stride);
            wd_rd r;
            wd_rd_init(&r, saved[g].data, cut);
            assert_false(wd_agg_row_load(sp, SN, tmp, &xc, &r) && wd_rd_done(&r));
            wd_arena_free(&x);
        }
        uint8_t *copy = malloc(saved[g].len);
        for (int it = 0; it < 500; it++) {
            memcpy(copy, saved[g].data, saved[g].len);
            copy[rnd() % saved[g].len] ^= (uint8_t)(1u << (rnd() % 8));
            wd_arena x;
            wd_arena_init(&x, 0);
            wd_agg_ctx xc = {&x};
            init_rows(sp, tmp, stride);
            wd_rd r;
            wd_rd_init(&r, copy, saved[g].len);
            wd_agg_row_load(sp, SN, tmp, &xc, &r);
            /* whatever loaded finalizes, updates and merges without harm */
            state_results(sp, tmp, stride, got, gl);
            wd_agg_apply(sp, SN, &xc, tmp, stride, b2, slots, 1);
            for (uint32_t k = 0; k < SN; k++)
                sp[k].fn->merge(&sp[k], &xc, tmp + sp[k].offset, tmp + stride + sp[k].offset);
            wd_arena_free(&x);
        }
        free(copy);
        wd_buf_free(&saved[g]);
    }
    free(tmp);
    wd_batch_release(b1);
    wd_batch_release(b2);
    wd_arena_free(&ba);
    wd_arena_free(&ra);
    free(orig), free(back), free(ref);
    wd_arena_free(&TA);
}

/* ---- snapshot cost ------------------------------------------------------------------------ */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* An updating count(*) over 1,000,000 keys, flushed once, half of the keys
 * then updated again (dirty): snapshot time and bytes (printed), restore
 * (printed), and the restored instance continues correctly. */
static void test_snapshot_cost(void **state)
{
    enum { NK = 1000000 };
    shape sh = {WD_WIN_NONE, 1, 0, 0, 0, 0, 1u << A_COUNT};
    harness *h = mk(&sh, 0, 1);
    h->capture = false;
    wd_error err = {0};
    for (uint32_t pass = 0; pass < 2; pass++) {
        for (uint32_t off = 0; off < NK; off += WD_BATCH_ROWS) {
            uint32_t m = NK - off < WD_BATCH_ROWS ? NK - off : WD_BATCH_ROWS;
            if (pass == 1) m /= 2;
            wd_batch *b = wd_batch_new(h->in_schema, WD_BATCH_ROWS);
            int64_t *k = b->cols[0].data, *v = b->cols[1].data, *ts = b->cols[2].data;
            for (uint32_t i = 0; i < m; i++) {
                k[i] = (int64_t)(off + i);
                v[i] = 1;
                ts[i] = (int64_t)(off + i);
            }
            b->nrows = m;
            wd_batch_seal(b);
            assert_int_equal(wd_op_push_batch(&h->op, 0, b, &err), 0);
            wd_batch_release(b);
        }
        if (pass == 0) assert_int_equal(h->op.vt->on_tick(&h->op, 1000, &err), 0);
    }
    assert_int_equal(h->out_rows, NK);
    wd_snap_out o;
    double t0 = now_s();
    wd_snap_out_init(&o, 1, 0, 1);
    assert_int_equal(h->op.vt->snapshot(&h->op, &o, &err), 0);
    double dt = now_s() - t0;
    size_t bytes = wd_snap_out_bytes(&o);
    /* again into the same buffers (as the runtime reuses them between
     * epochs): without the page faults of fresh memory */
    double warm = 1e9;
    for (int rep = 0; rep < 3; rep++) {
        wd_snap_out_recycle(&o, 1, 0, 1);
        t0 = now_s();
        assert_int_equal(h->op.vt->snapshot(&h->op, &o, &err), 0);
        if (now_s() - t0 < warm) warm = now_s() - t0;
    }
    assert_int_equal(wd_snap_out_bytes(&o), bytes);
    h_free(h);
    harness *b = mk(&sh, 0, 1);
    b->capture = false;
    t0 = now_s();
    restore_ok(b, &o, 1, INT64_MIN);
    double rt = now_s() - t0;
    print_message("  updating count(*), %d keys: snapshot %.1f ms into fresh buffers, %.1f ms "
                  "into reused ones; %.1f MB (%.1f bytes/group); restore %.1f ms\n",
                  NK, dt * 1e3, warm * 1e3, (double)bytes / 1e6, (double)bytes / NK, rt * 1e3);
    wd_snap_out_free(&o);
    /* the dirty half: a retraction and a new row each */
    assert_int_equal(wd_op_push_end(&b->op, &err), 0);
    assert_int_equal(b->out_rows, NK);
    h_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tumble),
        cmocka_unit_test(test_hop),
        cmocka_unit_test(test_session),
        cmocka_unit_test(test_updating),
        cmocka_unit_test(test_final_snapshot),
        cmocka_unit_test(test_group_keys),
        cmocka_unit_test(test_agg_states),
        cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_other_layout),
        cmocka_unit_test(test_snapshot_cost),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
