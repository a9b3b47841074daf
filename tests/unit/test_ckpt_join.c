/*
 * test_ckpt_join.c — checkpoints of the join (ops/join.h), window-function
 * (ops/aggregate.h: wd_op_winfn_vt) and watermark operators: snapshot in
 * the middle of a deterministic input, restore into fresh instances, feed
 * the rest, and compare with one uninterrupted run.
 *
 * The harness is test_join.c's and test_window_fn.c's cut down: a plan node
 * with a spec, operator instances whose output callbacks capture the rows,
 * batches / watermarks / ticks / end pushed by hand.  Input is a script of
 * messages (a batch of one side's rows, a watermark: the largest time so far
 * minus a lag).
 *
 * Joins: updating inner, left and full (inputs with retractions, NULL keys
 * and NULL payloads, payloads repeated with other times, so that which
 * stored row a retraction removes matters; one with a residual), interval
 * inner, left, right (with a residual) and full (rows released by the
 * watermark, outer ones emitted with NULLs then unless they matched before
 * or after the cut, rows past their bound), windowed inner and full (rows
 * buffered per window, retractions before the window fires).  Window functions: a
 * top-N by ROW_NUMBER, one by RANK with ties, and ROW_NUMBER + LAG without
 * a limit.  For each, at several cut points, the rows emitted before the
 * snapshot plus those of the restored instances equal the uninterrupted
 * run's (updating output folded: retractions applied, never retracting what
 * is not there), at 1→1 (twice in a row), 2→1 (two instances fed the rows
 * whose wd_hash_partition(hash of the key, 2) is their index, both
 * snapshotted, restored into one), 1→2 and 2→2.  The final snapshot (after
 * end of input) restores to an instance that emits nothing more.
 *
 * An updating join with a TTL drops the same rows at the same ticks after
 * a restore as without one, counts time spent stopped, and keeps each
 * row's age through a 2→1 rescale of subtasks whose clocks started apart.
 * Every keyed record carries the shuffle's hash of its key, for a BIGINT
 * key and for a (TEXT, INT) key whose restored rows, split over 2 and 3
 * subtasks, meet every partner the shuffle sends them.  Corrupt state
 * (tables cut short at every length, records shortened, lengthened,
 * re-keyed, bytes flipped, a table missing, state of another join) makes
 * restore fail with WD_ECORRUPT or restore something that runs — never a
 * crash (the ASan build checks reads); restoring into an instance that
 * holds rows is refused.  The watermark operator: its maximum survives a
 * restore (the smallest of the old subtasks' at another parallelism).  A
 * snapshot of an updating join holding 1,000,000 rows prints its time and
 * size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch/batch.h"
#include "batch/sort.h"
#include "common/alloc.h"
#include "expr/expr.h"
#include "expr/func.h"
#include "ops/aggregate.h"
#include "ops/join.h"
#include "ops/op.h"
#include "plan/graph.h"
#include "runtime/runtime.h"
#include "state/snapshot.h"

#define NUL INT64_MIN /* a NULL value in the rows below */
#define MAXF 8        /* fields of a captured output row */

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void) { return xorshift64(&rng_state); }

/* ---- shapes: which operator, configured how ----------------------------------------- */

typedef enum { S_JOIN, S_WINFN } op_kind;
typedef enum { W_TOPN_RN, W_TOPN_RANK, W_PLAIN, W_UPD_TOPN, W_UPD_TOPN_HIDDEN } wf_kind;

typedef struct shape {
    const char *name;
    op_kind op;
    wd_join_mode mode;
    wd_join_type type;
    bool residual;
    int64_t ttl;
    wf_kind wf;
} shape;

/* ---- input rows and scripts ---------------------------------------------------------- */

/* One input row.  Joins: side, key k, payload v (and its text "L<v>" /
 * "R<v>"), time.  Window functions: partition p = k, order o = v, text
 * "s<v % 7>", d a unique id, time. */
typedef struct irow {
    uint8_t side;
    bool knull, vnull, ret;
    int64_t k, v, ts, d;
} irow;

enum { M_BATCH, M_WM };
typedef struct msg {
    uint8_t kind;
    uint8_t side;
    uint32_t from, n;
    int64_t t;
} msg;

typedef struct script {
    irow *rows;
    uint32_t nrows;
    msg *m;
    uint32_t n, cap;
} script;

static void sc_msg(script *s, msg m)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->m = realloc(s->m, sizeof(msg) * s->cap);
    }
    s->m[s->n++] = m;
}

static void sc_free(script *s)
{
    free(s->rows);
    free(s->m);
    memset(s, 0, sizeof *s);
}

/*
 * A deterministic input of about n rows in batches of one side (joins) of
 * up to bs rows.  Updating joins: keys below nk (some NULL), payloads below
 * 12 (some NULL), so equal payloads with other times are common, and one
 * row in five retracts a live row of its side.  Windowed joins and window
 * functions: rows stamped with a window end - 1 among the open ones (a few
 * late), watermarks two windows behind; windowed joins retract too.
 * Interval joins: inserts over a rising time, the watermark lag behind.
 */
static script gen(const shape *sh, uint32_t n, uint32_t bs, uint32_t nk, uint64_t seed)
{
    rng_state = seed;
    script s = {0};
    s.rows = calloc(n + bs, sizeof(irow));
    uint32_t *live[2] = {malloc(sizeof(uint32_t) * (n + bs)), malloc(sizeof(uint32_t) * (n + bs))};
    uint32_t nlive[2] = {0, 0};
    bool windowed = sh->op == S_WINFN || sh->mode == WD_JM_WINDOWED;
    bool retracts = sh->op == S_JOIN && sh->mode != WD_JM_INTERVAL;
    int64_t t0 = 1000, maxts = INT64_MIN, lastwm = INT64_MIN, win = 10;
    uint32_t chunk = 0;
    while (s.nrows < n) {
        uint8_t side = sh->op == S_JOIN ? (uint8_t)(rnd() % 2) : 0;
        uint32_t m = 1 + (uint32_t)(rnd() % bs), from = s.nrows;
        for (uint32_t i = 0; i < m; i++) {
            irow *r = &s.rows[s.nrows];
            if (retracts && nlive[side] && rnd() % 5 == 0) {
                uint32_t pick = (uint32_t)(rnd() % nlive[side]);
                *r = s.rows[live[side][pick]];
                r->ret = true;
                live[side][pick] = live[side][--nlive[side]];
                s.nrows++;
                continue;
            }
            r->side = side;
            r->k = (int64_t)(rnd() % nk);
            r->knull = rnd() % 25 == 0;
            r->v = (int64_t)(rnd() % 12);
            r->vnull = rnd() % 30 == 0;
            r->d = s.nrows;
            if (windowed) {
                int64_t w = win + (int64_t)(rnd() % 3) - 1;
                if (rnd() % 50 == 0) w = win - 3; /* late: dropped */
                r->ts = w * 100 + 99;
            } else {
                r->ts = t0 + (int64_t)(rnd() % 80);
            }
            if (sh->op == S_WINFN) r->v = (int64_t)(rnd() % (sh->wf == W_TOPN_RANK ? 6 : 40));
            if (r->ts > maxts) maxts = r->ts;
            live[side][nlive[side]++] = s.nrows;
            s.nrows++;
        }
        sc_msg(&s, (msg){M_BATCH, side, from, s.nrows - from, 0});
        t0 += 7;
        if (++chunk % 3 == 0) win++;
        int64_t wm = windowed ? (win - 2) * 100 + 99 : maxts - 60;
        if (rnd() % 2 == 0 && wm > lastwm) {
            sc_msg(&s, (msg){M_WM, 0, 0, 0, wm});
            lastwm = wm;
        }
    }
    free(live[0]);
    free(live[1]);
    return s;
}

/* The key hash the shuffle computes for a row (wd_hash_rows of the key). */
static uint64_t row_hash(const irow *r)
{
    int64_t k = r->knull ? 0 : r->k;
    uint8_t valid = r->knull ? 0 : 1;
    wd_col c = {.type = WD_TYPE_INT64, .len = 1, .valid = &valid, .data = &k};
    uint64_t h;
    wd_hash_rows(&c, 1, 1, &h);
    return h;
}

/* ---- the harness ----------------------------------------------------------------------- */

/* One captured output row: up to MAXF integer fields (NUL for NULL). */
typedef struct orow {
    int64_t f[MAXF];
    bool retract;
} orow;

typedef struct harness {
    const shape *sh;
    wd_arena arena;
    wd_node node;
    const wd_type *in_schemas[2];
    wd_op op;
    wd_join_spec jspec;
    wd_winfn_spec wspec;
    wd_wf_call calls[2];
    wd_sort_key order[1];
    int part[1];
    uint32_t nf; /* fields of an output row */
    orow *rows;
    uint32_t nrows, caprows;
    bool capture;
    uint64_t out_rows;
} harness;

static int64_t num_or_nul(const wd_col *c, uint32_t i)
{
    return wd_col_valid(c, i) ? ((const int64_t *)c->data)[i] : NUL;
}

/* The number after the prefix of a text value ("L12" → 12), checked. */
static int64_t text_num(const wd_col *c, uint32_t i, char prefix)
{
    if (!wd_col_valid(c, i)) return NUL;
    const wd_str *s = (const wd_str *)c->data + i;
    char buf[32];
    if (s->len == 0 || s->len >= sizeof buf || s->ptr[0] != prefix)
        fail_msg("bad text value '%.*s'", (int)s->len, s->ptr);
    memcpy(buf, s->ptr + 1, s->len - 1);
    buf[s->len - 1] = 0;
    return strtoll(buf, NULL, 10);
}

static int cap_batch(void *ctx, wd_batch *b, wd_error *err)
{
    harness *h = ctx;
    h->out_rows += b->nrows;
    if (!h->capture) return 0;
    const int64_t *ts = wd_batch_ts(b);
    for (uint32_t i = 0; i < b->nrows; i++) {
        if (h->nrows == h->caprows) {
            h->caprows = h->caprows ? h->caprows * 2 : 256;
            h->rows = realloc(h->rows, sizeof(orow) * h->caprows);
        }
        orow *o = &h->rows[h->nrows++];
        memset(o, 0, sizeof *o);
        if (h->sh->op == S_JOIN) {
            /* (lv, ls, rv, rs, _timestamp): the text repeats the number */
            o->f[0] = num_or_nul(&b->cols[0], i);
            o->f[1] = num_or_nul(&b->cols[2], i);
            int64_t lt = text_num(&b->cols[1], i, 'L'), rt = text_num(&b->cols[3], i, 'R');
            if (lt != o->f[0] || rt != o->f[1])
                fail_msg("text (%lld, %lld) does not match (%lld, %lld)", (long long)lt,
                         (long long)rt, (long long)o->f[0], (long long)o->f[1]);
            o->f[2] = ts[i];
        } else {
            /* (p, o, t, d, calls…, _timestamp) */
            o->f[0] = num_or_nul(&b->cols[0], i);
            o->f[1] = num_or_nul(&b->cols[1], i);
            o->f[2] = text_num(&b->cols[2], i, 's');
            o->f[3] = num_or_nul(&b->cols[3], i);
            for (uint32_t k = 0; k < h->wspec.ncalls; k++)
                o->f[4 + k] = num_or_nul(&b->cols[4 + k], i);
            o->f[4 + h->wspec.ncalls] = ts[i];
        }
        o->retract = b->retract && b->retract[i];
    }
    return 0;
}

static int cap_wm(void *ctx, int64_t wm, wd_error *err) { return 0; }
static int cap_end(void *ctx, wd_error *err) { return 0; }

/* Residual lv <= rv + slack (columns of the join's output layout). */
static const wd_expr *residual_expr(wd_arena *a, int64_t slack)
{
    const wd_type *t[2] = {WD_TYPE_INT64, WD_TYPE_INT64}, *casts[2];
    const wd_func *plus, *le;
    const wd_type *ret;
    wd_error err = {0};
    assert_int_equal(wd_func_resolve("+", t, 2, a, &plus, &ret, casts, &err), 0);
    wd_expr *x[2] = {wd_expr_col(a, 2, WD_TYPE_INT64), wd_expr_lit_i64(a, slack)};
    wd_expr *sum = wd_expr_call(a, plus, ret, 2, x);
    assert_int_equal(wd_func_resolve("<=", t, 2, a, &le, &ret, casts, &err), 0);
    wd_expr *y[2] = {wd_expr_col(a, 0, WD_TYPE_INT64), sum};
    return wd_expr_call(a, le, ret, 2, y);
}

/* An opened instance of sh: subtask sub of par. */
static harness *mk(const shape *sh, uint32_t sub, uint32_t par)
{
    harness *h = calloc(1, sizeof *h);
    h->sh = sh;
    h->capture = true;
    wd_arena_init(&h->arena, 0);
    h->node.kind = WD_N__OTHER;
    h->node.parallelism = par;
    h->op.subtask = sub;
    h->op.parallelism = par;
    h->op.watermark = INT64_MIN;
    h->op.out = (wd_op_out){.batch = cap_batch, .watermark = cap_wm, .end = cap_end, .ctx = h};
    if (sh->op == S_JOIN) {
        wd_field lf[3] = {{"k", WD_TYPE_INT64, true}, {"lv", WD_TYPE_INT64, true},
                          {"ls", WD_TYPE_TEXT, true}};
        wd_field rf[3] = {{"k", WD_TYPE_INT64, true}, {"rv", WD_TYPE_INT64, true},
                          {"rs", WD_TYPE_TEXT, true}};
        wd_field of[4] = {{"lv", WD_TYPE_INT64, true}, {"ls", WD_TYPE_TEXT, true},
                          {"rv", WD_TYPE_INT64, true}, {"rs", WD_TYPE_TEXT, true}};
        h->in_schemas[0] = wd_schema_make(&h->arena, 3, lf);
        h->in_schemas[1] = wd_schema_make(&h->arena, 3, rf);
        h->jspec = (wd_join_spec){.mode = sh->mode, .type = sh->type, .nkeys = 1,
                                  .left_time_col = 3, .right_time_col = 3, .lo_ns = -40,
                                  .hi_ns = 60, .ttl_ns = sh->ttl};
        if (sh->residual) h->jspec.residual = residual_expr(&h->arena, 3);
        h->node.name = "join";
        h->node.ninputs = 2;
        h->node.out_schema = wd_schema_make(&h->arena, 4, of);
        h->node.vt = &wd_op_join_vt;
        h->node.spec = &h->jspec;
        h->node.updating = sh->mode == WD_JM_UPDATING;
        h->nf = 3;
    } else {
        wd_field f[6] = {{"p", WD_TYPE_INT64, true}, {"o", WD_TYPE_INT64, true},
                         {"t", WD_TYPE_TEXT, true},  {"d", WD_TYPE_INT64, true},
                         {"c0", WD_TYPE_INT64, true}, {"c1", WD_TYPE_INT64, true}};
        h->in_schemas[0] = wd_schema_make(&h->arena, 4, f);
        h->part[0] = 0;
        uint32_t ncalls = 1;
        int64_t limit = 0;
        switch (sh->wf) {
        case W_TOPN_RN:
            h->order[0] = (wd_sort_key){1, true, true}; /* o DESC NULLS FIRST */
            h->calls[0] = (wd_wf_call){.kind = WD_WF_ROW_NUMBER};
            limit = 3;
            break;
        case W_TOPN_RANK:
            h->order[0] = (wd_sort_key){1, false, false};
            h->calls[0] = (wd_wf_call){.kind = WD_WF_RANK};
            limit = 2;
            break;
        case W_PLAIN:
            h->order[0] = (wd_sort_key){1, false, false};
            h->calls[0] = (wd_wf_call){.kind = WD_WF_ROW_NUMBER};
            h->calls[1] = (wd_wf_call){.kind = WD_WF_LAG, .arg_col = 1, .offset = 1,
                                       .default_col = -1};
            ncalls = 2;
            break;
        case W_UPD_TOPN: /* updating: row numbers retracted when they change */
        case W_UPD_TOPN_HIDDEN:
            h->order[0] = (wd_sort_key){1, sh->wf == W_UPD_TOPN, sh->wf == W_UPD_TOPN};
            h->calls[0] = (wd_wf_call){.kind = WD_WF_ROW_NUMBER};
            limit = sh->wf == W_UPD_TOPN ? 3 : 2;
            break;
        }
        bool upd = sh->wf == W_UPD_TOPN || sh->wf == W_UPD_TOPN_HIDDEN;
        h->wspec = (wd_winfn_spec){.npart = 1, .part_cols = h->part, .norder = 1,
                                   .order = h->order, .ncalls = ncalls, .calls = h->calls,
                                   .limit = limit, .updating = upd,
                                   .rank_hidden = sh->wf == W_UPD_TOPN_HIDDEN, .ttl_ns = sh->ttl};
        h->node.name = upd ? "top_n" : "window_fn";
        h->node.ninputs = 1;
        h->node.out_schema = wd_schema_make(&h->arena, 4 + ncalls, f);
        h->node.vt = upd ? &wd_op_topn_vt : &wd_op_winfn_vt;
        h->node.updating = upd;
        h->node.spec = &h->wspec;
        h->nf = 5 + ncalls;
    }
    h->node.in_schemas = h->in_schemas;
    h->op.vt = h->node.vt;
    h->op.node = &h->node;
    wd_error err = {0};
    if (h->op.vt->open(&h->op, &err) != 0) fail_msg("open: %s", err.msg);
    return h;
}

static void h_free(harness *h)
{
    h->op.vt->close(&h->op);
    wd_arena_free(&h->arena);
    free(h->rows);
    free(h);
}

/* Push the rows [from, from + n) of side `side` whose key goes to subtask
 * sub of nh (every row when nh is 1). */
static void push_rows(harness *h, const irow *rows, uint32_t from, uint32_t n, uint8_t side,
                      uint32_t sub, uint32_t nh)
{
    wd_batch *b = wd_batch_new(h->in_schemas[side], n ? n : 1);
    b->retract = wd_batch_alloc(b, n ? n : 1);
    bool any_ret = false;
    uint32_t m = 0;
    for (uint32_t i = from; i < from + n; i++) {
        const irow *r = &rows[i];
        if (nh > 1 && wd_hash_partition(row_hash(r), nh) != sub) continue;
        char buf[32];
        int len;
        ((int64_t *)b->cols[0].data)[m] = r->knull ? 0 : r->k;
        if (r->knull) wd_col_set_null(&b->cols[0], m, &b->arena);
        ((int64_t *)b->cols[1].data)[m] = r->vnull ? 0 : r->v;
        if (r->vnull) wd_col_set_null(&b->cols[1], m, &b->arena);
        if (h->sh->op == S_JOIN) {
            len = snprintf(buf, sizeof buf, "%c%lld", side ? 'R' : 'L', (long long)r->v);
            if (r->vnull) wd_col_set_null(&b->cols[2], m, &b->arena);
            else ((wd_str *)b->cols[2].data)[m] = wd_str_copy(&b->arena, buf, (size_t)len);
            ((int64_t *)b->cols[3].data)[m] = r->ts;
        } else {
            len = snprintf(buf, sizeof buf, "s%lld", (long long)(r->v % 7));
            ((wd_str *)b->cols[2].data)[m] = wd_str_copy(&b->arena, buf, (size_t)len);
            ((int64_t *)b->cols[3].data)[m] = r->d;
            ((int64_t *)b->cols[4].data)[m] = r->ts;
        }
        b->retract[m] = r->ret;
        any_ret |= r->ret;
        m++;
    }
    if (!any_ret) b->retract = NULL;
    b->nrows = m;
    wd_batch_seal(b);
    wd_error err = {0};
    if (m && wd_op_push_batch(&h->op, side, b, &err) != 0) fail_msg("push: %s", err.msg);
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
            case M_BATCH: push_rows(hs[j], s->rows, m->from, m->n, m->side, j, nh); break;
            case M_WM: assert_int_equal(wd_op_push_watermark(&hs[j]->op, m->t, &err), 0); break;
            }
        }
    }
}

static void end_all(harness **hs, uint32_t nh)
{
    wd_error err = {0};
    for (uint32_t j = 0; j < nh; j++) assert_int_equal(wd_op_push_end(&hs[j]->op, &err), 0);
}

/* ---- snapshot / restore ------------------------------------------------------------------ */

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

typedef struct rowset {
    orow *r;
    uint32_t n, cap, nf;
} rowset;

static int cmp_nf; /* fields compared by cmp_orow */

static int cmp_orow(const void *a, const void *b)
{
    const orow *x = a, *y = b;
    for (int i = 0; i < cmp_nf; i++)
        if (x->f[i] != y->f[i]) return x->f[i] < y->f[i] ? -1 : 1;
    return 0;
}

/* Append h's rows, in order. */
static void rs_add(rowset *s, const harness *h)
{
    s->nf = h->nf;
    for (uint32_t i = 0; i < h->nrows; i++) {
        if (s->n == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 1024;
            s->r = realloc(s->r, sizeof(orow) * s->cap);
        }
        s->r[s->n++] = h->rows[i];
    }
}

/*
 * The changelog folded: each row with its net count (rows of count 0
 * dropped), after checking that, applied in order, it never retracts a row
 * that is not there.  Rows gathered old subtasks first, then new ones, in
 * each subtask's order, are such an order (a key lives in one subtask).
 */
static void rs_fold(rowset *s)
{
    cmp_nf = (int)s->nf;
    uint32_t *idx = malloc(sizeof(uint32_t) * (s->n + 1));
    for (uint32_t i = 0; i < s->n; i++) idx[i] = i;
    /* stable sort of indexes by row, so each row's changes keep their order */
    for (uint32_t w = 1; w < s->n; w *= 2) {
        uint32_t *tmp = malloc(sizeof(uint32_t) * (s->n + 1));
        for (uint32_t lo = 0; lo < s->n; lo += 2 * w) {
            uint32_t mid = lo + w < s->n ? lo + w : s->n;
            uint32_t hi = lo + 2 * w < s->n ? lo + 2 * w : s->n;
            uint32_t a = lo, b = mid, o = lo;
            while (a < mid && b < hi)
                tmp[o++] = cmp_orow(&s->r[idx[b]], &s->r[idx[a]]) < 0 ? idx[b++] : idx[a++];
            while (a < mid) tmp[o++] = idx[a++];
            while (b < hi) tmp[o++] = idx[b++];
        }
        memcpy(idx, tmp, sizeof(uint32_t) * s->n);
        free(tmp);
    }
    orow *out = malloc(sizeof(orow) * (s->n + 1));
    uint32_t m = 0;
    for (uint32_t i = 0; i < s->n;) {
        uint32_t j = i;
        int64_t c = 0;
        for (; j < s->n && cmp_orow(&s->r[idx[i]], &s->r[idx[j]]) == 0; j++) {
            c += s->r[idx[j]].retract ? -1 : 1;
            if (c < 0) fail_msg("a retraction of a row that is not there (%lld, %lld, %lld)",
                                (long long)s->r[idx[j]].f[0], (long long)s->r[idx[j]].f[1],
                                (long long)s->r[idx[j]].f[2]);
        }
        for (int64_t k = 0; k < c; k++) {
            out[m] = s->r[idx[i]];
            out[m++].retract = false;
        }
        i = j;
    }
    free(s->r);
    free(idx);
    s->r = out;
    s->n = m;
    s->cap = m + 1;
}

static void rs_expect_equal(const rowset *got, const rowset *want, const char *what)
{
    if (got->n != want->n) fail_msg("%s: %u rows, want %u", what, got->n, want->n);
    cmp_nf = (int)want->nf;
    for (uint32_t i = 0; i < want->n; i++)
        if (cmp_orow(&got->r[i], &want->r[i]) != 0)
            fail_msg("%s: row %u: got (%lld, %lld, %lld, %lld), want (%lld, %lld, %lld, %lld)",
                     what, i, (long long)got->r[i].f[0], (long long)got->r[i].f[1],
                     (long long)got->r[i].f[2], (long long)got->r[i].f[3],
                     (long long)want->r[i].f[0], (long long)want->r[i].f[1],
                     (long long)want->r[i].f[2], (long long)want->r[i].f[3]);
}

static void rs_free(rowset *s) { free(s->r); }

/* ---- the checkpoint scenarios --------------------------------------------------------------- */

/* The uninterrupted run. */
static void reference(const shape *sh, const script *sc, rowset *want)
{
    harness *h = mk(sh, 0, 1);
    run(&h, 1, sc, 0, sc->n);
    end_all(&h, 1);
    rs_add(want, h);
    rs_fold(want);
    h_free(h);
}

/* 1→1 twice: snapshot at c1, restore, run to c2, snapshot, restore, run to
 * the end. */
static void check_1_1(const shape *sh, const script *sc, const rowset *want, uint32_t c1,
                      uint32_t c2)
{
    rowset got = {0};
    harness *a = mk(sh, 0, 1);
    run(&a, 1, sc, 0, c1);
    wd_snap_out o;
    snap(a, &o);
    rs_add(&got, a);
    int64_t wm = a->op.watermark;
    h_free(a);
    harness *b = mk(sh, 0, 1);
    restore_ok(b, &o, 1, wm);
    wd_snap_out_free(&o);
    run(&b, 1, sc, c1, c2);
    snap(b, &o);
    rs_add(&got, b);
    wm = b->op.watermark;
    h_free(b);
    harness *c = mk(sh, 0, 1);
    restore_ok(c, &o, 1, wm);
    wd_snap_out_free(&o);
    run(&c, 1, sc, c2, sc->n);
    end_all(&c, 1);
    rs_add(&got, c);
    h_free(c);
    rs_fold(&got);
    char what[64];
    snprintf(what, sizeof what, "%s 1->1 at %u, %u", sh->name, c1, c2);
    rs_expect_equal(&got, want, what);
    rs_free(&got);
}

/* Old parallelism pa, new pb (1 or 2 each), snapshot at cut. */
static void check_rescale(const shape *sh, const script *sc, const rowset *want, uint32_t cut,
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
        rs_add(&got, old[i]);
        h_free(old[i]);
    }
    for (uint32_t i = 0; i < pb; i++) {
        nw[i] = mk(sh, i, pb);
        restore_ok(nw[i], outs, pa, wm);
    }
    for (uint32_t i = 0; i < pa; i++) wd_snap_out_free(&outs[i]);
    run(nw, pb, sc, cut, sc->n);
    end_all(nw, pb);
    for (uint32_t i = 0; i < pb; i++) {
        rs_add(&got, nw[i]);
        h_free(nw[i]);
    }
    rs_fold(&got);
    char what[64];
    snprintf(what, sizeof what, "%s %u->%u at %u", sh->name, pa, pb, cut);
    rs_expect_equal(&got, want, what);
    rs_free(&got);
}

/* Every keyed record of o carries the shuffle's hash of its key: that of
 * one of the input rows (keys are small, so all are checked). */
static void check_khashes(const wd_snap_out *o, const script *sc)
{
    uint32_t *kh = malloc(sizeof(uint32_t) * (sc->nrows + 1));
    for (uint32_t i = 0; i < sc->nrows; i++) kh[i] = (uint32_t)(row_hash(&sc->rows[i]) >> 32);
    for (uint32_t t = 0; t < o->ntables; t++) {
        const wd_snap_table *x = &o->tables[t];
        if (x->kind != WD_SNAP_KEYED) continue;
        size_t off = 0;
        while (off < x->data.len) {
            uint32_t hdr[2];
            memcpy(hdr, x->data.data + off, 8);
            bool found = false;
            for (uint32_t i = 0; i < sc->nrows && !found; i++)
                found = kh[i] == hdr[0];
            if (!found) fail_msg("table %s: key hash %08x is no key's", x->name, hdr[0]);
            off += 8 + hdr[1];
        }
    }
    free(kh);
}

/* The final snapshot (after end of input) restores to an instance that
 * emits nothing more at its end. */
static void check_final(const shape *sh, const script *sc)
{
    harness *a = mk(sh, 0, 1);
    run(&a, 1, sc, 0, sc->n);
    end_all(&a, 1);
    wd_snap_out o;
    snap(a, &o);
    int64_t wm = a->op.watermark;
    h_free(a);
    harness *b = mk(sh, 0, 1);
    restore_ok(b, &o, 1, wm);
    end_all(&b, 1);
    assert_int_equal(b->out_rows, 0);
    h_free(b);
    wd_snap_out_free(&o);
}

/* Every scenario on one shape, at several cut points. */
static void check_shape(const shape *sh, uint32_t n, uint32_t bs, uint32_t nk, uint64_t seed)
{
    script sc = gen(sh, n, bs, nk, seed);
    rowset want = {0};
    reference(sh, &sc, &want);
    assert_true(want.n > 0);
    uint32_t cuts[] = {1, sc.n / 3, sc.n / 2 + 1, sc.n - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        uint32_t c = cuts[i];
        check_1_1(sh, &sc, &want, c, c + (sc.n - c) / 2);
        check_rescale(sh, &sc, &want, c, 2, 1);
        check_rescale(sh, &sc, &want, c, 1, 2);
        check_rescale(sh, &sc, &want, c, 2, 2);
    }
    /* the key hashes of a snapshot in the middle */
    harness *h = mk(sh, 0, 1);
    run(&h, 1, &sc, 0, sc.n / 2);
    wd_snap_out o;
    snap(h, &o);
    check_khashes(&o, &sc);
    wd_snap_out_free(&o);
    h_free(h);
    check_final(sh, &sc);
    rs_free(&want);
    sc_free(&sc);
}

static const shape SH_INNER = {"updating inner", S_JOIN, WD_JM_UPDATING, WD_JT_INNER, false, 0, 0};
static const shape SH_LEFT = {"updating left", S_JOIN, WD_JM_UPDATING, WD_JT_LEFT, false, 0, 0};
static const shape SH_LEFT_RES = {"updating left, residual", S_JOIN, WD_JM_UPDATING, WD_JT_LEFT,
                                  true, 0, 0};
static const shape SH_FULL = {"updating full", S_JOIN, WD_JM_UPDATING, WD_JT_FULL, false, 0, 0};
static const shape SH_INTERVAL = {"interval", S_JOIN, WD_JM_INTERVAL, WD_JT_INNER, false, 0, 0};
static const shape SH_IV_LEFT = {"interval left", S_JOIN, WD_JM_INTERVAL, WD_JT_LEFT, false, 0, 0};
static const shape SH_IV_RIGHT_RES = {"interval right, residual", S_JOIN, WD_JM_INTERVAL,
                                      WD_JT_RIGHT, true, 0, 0};
static const shape SH_IV_FULL = {"interval full", S_JOIN, WD_JM_INTERVAL, WD_JT_FULL, false, 0, 0};
static const shape SH_WIN_INNER = {"windowed inner", S_JOIN, WD_JM_WINDOWED, WD_JT_INNER, false,
                                   0, 0};
static const shape SH_WIN_FULL = {"windowed full", S_JOIN, WD_JM_WINDOWED, WD_JT_FULL, false, 0,
                                  0};
static const shape SH_TOPN_RN = {"top-N row_number", S_WINFN, 0, 0, false, 0, W_TOPN_RN};
static const shape SH_TOPN_RANK = {"top-N rank", S_WINFN, 0, 0, false, 0, W_TOPN_RANK};
static const shape SH_WF_PLAIN = {"row_number + lag", S_WINFN, 0, 0, false, 0, W_PLAIN};
static const shape SH_UPD_TOPN = {"updating top-3", S_WINFN, 0, 0, false, 0, W_UPD_TOPN};
static const shape SH_UPD_TOPN_HIDDEN = {"updating top-2, row number hidden", S_WINFN, 0, 0,
                                         false, 0, W_UPD_TOPN_HIDDEN};

static void test_updating_inner(void **state)
{
    check_shape(&SH_INNER, 1500, 40, 30, 11);
    check_shape(&SH_INNER, 600, 8, 3, 12); /* few keys: long lists per key */
}

static void test_updating_left(void **state)
{
    check_shape(&SH_LEFT, 1500, 40, 30, 21);
    check_shape(&SH_LEFT_RES, 1500, 40, 30, 22);
}

static void test_updating_full(void **state)
{
    check_shape(&SH_FULL, 1500, 40, 30, 31);
    check_shape(&SH_FULL, 600, 8, 3, 32);
}

static void test_interval(void **state) { check_shape(&SH_INTERVAL, 2000, 40, 20, 41); }

/* Outer interval joins: which stored rows have matched survives, so rows
 * released after the restore are emitted with NULLs exactly when they
 * would have been. */
static void test_interval_outer(void **state)
{
    check_shape(&SH_IV_LEFT, 2000, 40, 20, 42);
    check_shape(&SH_IV_RIGHT_RES, 2000, 40, 20, 43);
    check_shape(&SH_IV_FULL, 2000, 40, 20, 44);
    check_shape(&SH_IV_FULL, 600, 8, 3, 45); /* few keys: long lists per key */
}

static void test_windowed(void **state)
{
    check_shape(&SH_WIN_INNER, 2000, 40, 20, 51);
    check_shape(&SH_WIN_FULL, 2000, 40, 20, 52);
}

static void test_topn(void **state)
{
    check_shape(&SH_TOPN_RN, 3000, 60, 15, 61);
    check_shape(&SH_TOPN_RANK, 3000, 60, 15, 62);
    check_shape(&SH_WF_PLAIN, 2000, 60, 15, 63);
}

/* The updating top-N: what it emitted before the snapshot plus what the
 * restored instances emit folds to the uninterrupted run's result. */
static void test_updating_topn(void **state)
{
    check_shape(&SH_UPD_TOPN, 3000, 60, 15, 64);
    check_shape(&SH_UPD_TOPN_HIDDEN, 3000, 60, 15, 65);
    check_shape(&SH_UPD_TOPN, 800, 5, 3, 66); /* few keys, small batches */
}

/* ---- TTL ------------------------------------------------------------------------------------ */

static uint64_t side_rows(const harness *h, uint32_t s)
{
    wd_join_stats st;
    wd_op_join_stats(&h->op, &st);
    return st.rows[s];
}

static void tick(harness *h, int64_t now)
{
    wd_error err = {0};
    assert_int_equal(h->op.vt->on_tick(&h->op, now, &err), 0);
}

/* One row on side s, key k, payload v, at time ts. */
static void push_one(harness *h, uint8_t s, int64_t k, int64_t v, int64_t ts)
{
    irow r = {s, false, false, false, k, v, ts, 0};
    push_rows(h, &r, 0, 1, s, 0, 1);
}

/*
 * An updating left join with a TTL of 1000 (ticks every 50, left rows
 * every 150, right rows — which refresh the left rows they match — every
 * 250): snapshotted at 1200 and restored, it drops the same rows at the
 * same ticks and emits the same rows as the uninterrupted run.  Restored
 * after a long stop (the tick clock is the wall clock), every row has
 * outlived the TTL at the first scan.
 */
static void test_ttl_continues(void **state)
{
    shape sh = {"ttl", S_JOIN, WD_JM_UPDATING, WD_JT_LEFT, false, 1000, 0};
    harness *u = mk(&sh, 0, 1), *a = mk(&sh, 0, 1);
    wd_snap_out o;
    rowset got = {0}, want = {0};
    bool dropped = false;
    for (int64_t t = 0; t <= 3000; t += 50) {
        if (t == 1200) {
            snap(a, &o);
            rs_add(&got, a);
            int64_t wm = a->op.watermark;
            h_free(a);
            a = mk(&sh, 0, 1);
            restore_ok(a, &o, 1, wm);
        }
        tick(u, t);
        tick(a, t);
        for (uint32_t s = 0; s < 2; s++) {
            if (t % (s ? 250 : 150)) continue;
            push_one(u, (uint8_t)s, t / 150 % 4, t, t);
            push_one(a, (uint8_t)s, t / 150 % 4, t, t);
        }
        for (uint32_t s = 0; s < 2; s++)
            if (side_rows(u, s) != side_rows(a, s))
                fail_msg("at %lld: side %u holds %llu rows, uninterrupted %llu", (long long)t, s,
                         (unsigned long long)side_rows(a, s), (unsigned long long)side_rows(u, s));
        dropped |= t > 1200 && side_rows(u, 0) < (uint64_t)(t / 150 + 1);
    }
    assert_true(dropped); /* the TTL did drop rows after the restore */
    rs_add(&got, a);
    rs_add(&want, u);
    rs_fold(&got);
    rs_fold(&want);
    rs_expect_equal(&got, &want, "ttl");
    rs_free(&got);
    rs_free(&want);
    h_free(u);
    h_free(a);
    /* a long stop: the first scan after it drops everything */
    harness *c = mk(&sh, 0, 1);
    restore_ok(c, &o, 1, INT64_MIN);
    assert_true(side_rows(c, 0) > 0);
    tick(c, 100000);
    assert_int_equal(side_rows(c, 0) + side_rows(c, 1), 0);
    h_free(c);
    wd_snap_out_free(&o);
}

/* 2→1 with clocks started at other times (0 and 600): each row keeps its
 * age.  A left row stored at 100 by the first subtask goes at the first
 * scan after the restore (1350, a scan period (250) after the old
 * subtasks' last scan, 1100; at 1000 it was not yet older than the TTL of
 * 1000); one stored at 700 by the second is still there at 1600 and gone
 * by 2100.  Were the clocks restarted, both would outlive 2100. */
static void test_ttl_rescale(void **state)
{
    shape sh = {"ttl", S_JOIN, WD_JM_UPDATING, WD_JT_LEFT, false, 1000, 0};
    harness *old[2] = {mk(&sh, 0, 2), mk(&sh, 1, 2)};
    int64_t key[2] = {-1, -1};
    for (int64_t k = 0; key[0] < 0 || key[1] < 0; k++) {
        irow r = {0, false, false, false, k, 0, 0, 0};
        uint32_t sub = wd_hash_partition(row_hash(&r), 2);
        if (key[sub] < 0) key[sub] = k;
    }
    for (int64_t t = 0; t <= 1200; t += 50) {
        tick(old[0], t);
        if (t >= 600) tick(old[1], t);
        if (t == 100) push_one(old[0], 0, key[0], 1, t);
        if (t == 700) push_one(old[1], 0, key[1], 2, t);
    }
    assert_int_equal(side_rows(old[0], 0), 1);
    assert_int_equal(side_rows(old[1], 0), 1);
    wd_snap_out outs[2];
    for (uint32_t i = 0; i < 2; i++) {
        snap(old[i], &outs[i]);
        h_free(old[i]);
    }
    harness *h = mk(&sh, 0, 1);
    restore_ok(h, outs, 2, INT64_MIN);
    assert_int_equal(side_rows(h, 0), 2);
    for (int64_t t = 1250; t <= 2100; t += 50) {
        tick(h, t);
        if (t == 1250) assert_int_equal(side_rows(h, 0), 2);
        if (t == 1400 || t == 1600) assert_int_equal(side_rows(h, 0), 1);
    }
    assert_int_equal(side_rows(h, 0), 0);
    h_free(h);
    for (uint32_t i = 0; i < 2; i++) wd_snap_out_free(&outs[i]);
}

/*
 * An updating top-2 with a TTL of 1000 (ticks every 50; a row every 100
 * for one of 6 keys, each key idle for a while in turn): snapshotted at
 * 1200 and restored — once into one subtask, once split over two — it
 * forgets the same partitions at the same ticks as the uninterrupted run,
 * and the outputs fold to the same rows (a forgotten partition's rows stay
 * downstream; its next row starts a new top 2).
 */
static void test_topn_ttl(void **state)
{
    shape sh = {"topn ttl", S_WINFN, 0, 0, false, 1000, W_UPD_TOPN_HIDDEN};
    for (uint32_t pb = 1; pb <= 2; pb++) {
        harness *u = mk(&sh, 0, 1), *a[2] = {mk(&sh, 0, 1), NULL};
        uint32_t na = 1;
        rowset got = {0}, want = {0};
        bool forgot = false;
        for (int64_t t = 0; t <= 4000; t += 50) {
            if (t == 1200) {
                wd_snap_out o;
                snap(a[0], &o);
                rs_add(&got, a[0]);
                h_free(a[0]);
                for (uint32_t i = 0; i < pb; i++) {
                    a[i] = mk(&sh, i, pb);
                    restore_ok(a[i], &o, 1, INT64_MIN);
                }
                na = pb;
                wd_snap_out_free(&o);
            }
            tick(u, t);
            for (uint32_t i = 0; i < na; i++) tick(a[i], t);
            if (t % 100 == 0) {
                int64_t k = (t / 100) % 6;
                if ((t / 1500) % 6 == k) k = (k + 1) % 6; /* key k idles for 1.5 TTLs */
                irow r = {0, false, false, false, k, (t * 7919) % 40, t, t};
                push_rows(u, &r, 0, 1, 0, 0, 1);
                for (uint32_t i = 0; i < na; i++) push_rows(a[i], &r, 0, 1, 0, i, na);
            }
            wd_topn_stats su, sa = {0};
            wd_op_topn_stats(&u->op, &su);
            for (uint32_t i = 0; i < na; i++) {
                wd_topn_stats x;
                wd_op_topn_stats(&a[i]->op, &x);
                sa.partitions += x.partitions;
                sa.rows += x.rows;
            }
            if (su.partitions != sa.partitions || su.rows != sa.rows)
                fail_msg("at %lld (1->%u): %llu partitions, %llu rows; uninterrupted %llu, %llu",
                         (long long)t, pb, (unsigned long long)sa.partitions,
                         (unsigned long long)sa.rows, (unsigned long long)su.partitions,
                         (unsigned long long)su.rows);
            forgot |= t > 1200 && su.partitions < 6;
        }
        assert_true(forgot);
        for (uint32_t i = 0; i < na; i++) {
            rs_add(&got, a[i]);
            h_free(a[i]);
        }
        rs_add(&want, u);
        rs_fold(&got);
        rs_fold(&want);
        rs_expect_equal(&got, &want, "topn ttl");
        rs_free(&got);
        rs_free(&want);
        h_free(u);
    }
}

/* ---- keys of several columns ------------------------------------------------------------- */

/* A join on (TEXT, INT) keys: left rows, snapshot at parallelism 1,
 * restored into two subtasks, then right rows routed by the shuffle's hash
 * of their keys: every match is found, so each stored row went to the
 * subtask its key's hash names.  The key hash of every record is that of
 * one of the rows' keys. */
typedef struct mkh {
    wd_arena arena;
    wd_node node;
    const wd_type *in[2];
    wd_join_spec spec;
    wd_op op;
    uint64_t out;
} mkh;

static int mk_batch(void *ctx, wd_batch *b, wd_error *err)
{
    ((mkh *)ctx)->out += b->nrows;
    return 0;
}

static mkh *mk2(uint32_t sub, uint32_t par)
{
    mkh *h = calloc(1, sizeof *h);
    wd_arena_init(&h->arena, 0);
    wd_field lf[3] = {{"k1", WD_TYPE_TEXT, true}, {"k2", WD_TYPE_INT32, true},
                      {"lv", WD_TYPE_INT64, true}};
    wd_field rf[3] = {{"k1", WD_TYPE_TEXT, true}, {"k2", WD_TYPE_INT32, true},
                      {"rv", WD_TYPE_INT64, true}};
    wd_field of[2] = {{"lv", WD_TYPE_INT64, true}, {"rv", WD_TYPE_INT64, true}};
    h->in[0] = wd_schema_make(&h->arena, 3, lf);
    h->in[1] = wd_schema_make(&h->arena, 3, rf);
    h->spec = (wd_join_spec){.mode = WD_JM_UPDATING, .type = WD_JT_INNER, .nkeys = 2};
    h->node = (wd_node){.kind = WD_N__OTHER, .name = "join", .parallelism = par, .ninputs = 2,
                        .in_schemas = h->in, .out_schema = wd_schema_make(&h->arena, 2, of),
                        .vt = &wd_op_join_vt, .spec = &h->spec, .updating = true};
    h->op = (wd_op){.vt = &wd_op_join_vt, .node = &h->node, .subtask = sub, .parallelism = par,
                    .watermark = INT64_MIN};
    h->op.out = (wd_op_out){.batch = mk_batch, .watermark = cap_wm, .end = cap_end, .ctx = h};
    wd_error err = {0};
    assert_int_equal(h->op.vt->open(&h->op, &err), 0);
    return h;
}

static void mk2_free(mkh *h)
{
    h->op.vt->close(&h->op);
    wd_arena_free(&h->arena);
    free(h);
}

enum { MK_ROWS = 3000 };

/* Row i's key on side s: ("key<i % 97>", i % 13, NULL for every 50th). */
static wd_batch *mk2_rows(const mkh *h, uint32_t s, uint32_t from, uint32_t n, uint64_t *hashes)
{
    wd_batch *b = wd_batch_new(h->in[s], n);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = from + i;
        char buf[16];
        int len = snprintf(buf, sizeof buf, "key%u", (r * 7 + s) % 97);
        ((wd_str *)b->cols[0].data)[i] = wd_str_copy(&b->arena, buf, (size_t)len);
        ((int32_t *)b->cols[1].data)[i] = (int32_t)(r % 13) - 6;
        if (r % 50 == 0) wd_col_set_null(&b->cols[1], i, &b->arena);
        ((int64_t *)b->cols[2].data)[i] = r;
        ((int64_t *)b->cols[3].data)[i] = r;
    }
    b->nrows = n;
    wd_batch_seal(b);
    if (hashes) wd_hash_rows(b->cols, 2, n, hashes); /* what the shuffle computes */
    return b;
}

/* Push the rows of b whose hash goes to subtask sub of par into h. */
static void mk2_push(mkh *h, uint32_t s, wd_batch *b, const uint64_t *hashes, uint32_t sub,
                     uint32_t par)
{
    uint32_t *idx = calloc(b->nrows + 1, sizeof(uint32_t)), m = 0;
    for (uint32_t i = 0; i < b->nrows; i++)
        if (wd_hash_partition(hashes[i], par) == sub) idx[m++] = i;
    wd_batch *g = wd_batch_gather(b, idx, m);
    wd_error err = {0};
    if (m) assert_int_equal(wd_op_push_batch(&h->op, s, g, &err), 0);
    wd_batch_release(g);
    free(idx);
}

static void test_multi_column_keys(void **state)
{
    uint64_t *hl = malloc(sizeof(uint64_t) * MK_ROWS), *hr = malloc(sizeof(uint64_t) * MK_ROWS);
    /* reference: one instance */
    mkh *a = mk2(0, 1);
    wd_batch *L = mk2_rows(a, 0, 0, MK_ROWS, hl), *Rb = mk2_rows(a, 1, 0, MK_ROWS, hr);
    mk2_push(a, 0, L, hl, 0, 1);
    wd_snap_out o;
    wd_snap_out_init(&o, 7, 0, 1);
    wd_error err = {0};
    assert_int_equal(a->op.vt->snapshot(&a->op, &o, &err), 0);
    mk2_push(a, 1, Rb, hr, 0, 1);
    uint64_t want = a->out;
    assert_true(want > 0);
    mk2_free(a);
    /* every record's key hash is one of the left rows' */
    for (uint32_t t = 0; t < o.ntables; t++) {
        const wd_snap_table *x = &o.tables[t];
        if (x->kind != WD_SNAP_KEYED) continue;
        assert_int_equal(x->nrecs, MK_ROWS - MK_ROWS / 50); /* rows of a NULL key are not kept */
        for (size_t off = 0; off < x->data.len;) {
            uint32_t hdr[2];
            memcpy(hdr, x->data.data + off, 8);
            bool found = false;
            for (uint32_t i = 0; i < MK_ROWS && !found; i++)
                found = (uint32_t)(hl[i] >> 32) == hdr[0];
            assert_true(found);
            off += 8 + hdr[1];
        }
    }
    /* 1→2 and 1→3: the right rows find every left row where the shuffle sends them */
    for (uint32_t par = 2; par <= 3; par++) {
        uint64_t got = 0, rows = 0;
        for (uint32_t sub = 0; sub < par; sub++) {
            mkh *b = mk2(sub, par);
            wd_snap_in in;
            wd_snap_in_init(&in, 7, sub, par, 1);
            assert_int_equal(wd_snap_in_add_out(&in, &o), 0);
            assert_int_equal(b->op.vt->restore(&b->op, &in, &err), 0);
            wd_snap_in_free(&in);
            wd_join_stats st;
            wd_op_join_stats(&b->op, &st);
            rows += st.rows[0];
            mk2_push(b, 1, Rb, hr, sub, par);
            got += b->out;
            mk2_free(b);
        }
        assert_int_equal(rows, MK_ROWS - MK_ROWS / 50);
        assert_int_equal(got, want);
    }
    wd_batch_release(L);
    wd_batch_release(Rb);
    wd_snap_out_free(&o);
    free(hl);
    free(hr);
}

/* Restore refuses to run into an instance that already holds rows. */
static void test_restore_into_state(void **state)
{
    harness *a = mk(&SH_INNER, 0, 1);
    irow r = {0, false, false, false, 1, 5, 10, 0};
    push_rows(a, &r, 0, 1, 0, 0, 1);
    wd_snap_out o;
    snap(a, &o);
    wd_error err = {0};
    assert_int_equal(restore_from(a, &o, 1, &err), WD_EINTERNAL);
    wd_snap_out_free(&o);
    h_free(a);
}

/* ---- corrupt state ----------------------------------------------------------------------- */

/* Restore from a copy of o whose table t has its data replaced by
 * (bytes, len) (t == ntables: table `skip` left out); then, when it
 * worked, run the rest of sc and end: never a crash. */
static int try_restore(const shape *sh, const wd_snap_out *o, uint32_t t, const void *bytes,
                       size_t len, uint32_t skip, const script *sc, uint32_t cut, int64_t wm)
{
    wd_snap_in in;
    wd_snap_in_init(&in, 7, 0, 1, 1);
    for (uint32_t i = 0; i < o->ntables; i++) {
        const wd_snap_table *x = &o->tables[i];
        if (i == skip) continue;
        if (i == t)
            assert_int_equal(wd_snap_in_add(&in, x->name, x->kind, 0, bytes, len), 0);
        else
            assert_int_equal(wd_snap_in_add(&in, x->name, x->kind, 0, x->data.data, x->data.len),
                             0);
    }
    harness *h = mk(sh, 0, 1);
    h->capture = false;
    h->op.watermark = wm;
    wd_error err = {0};
    int rc = h->op.vt->restore(&h->op, &in, &err);
    wd_snap_in_free(&in);
    if (rc == 0) {
        run(&h, 1, sc, cut, sc->n);
        end_all(&h, 1);
    } else {
        if (rc != WD_ECORRUPT) fail_msg("restore: %d (%s), want WD_ECORRUPT", rc, err.msg);
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

static void corrupt_one(const shape *sh, uint64_t seed)
{
    script sc = gen(sh, 400, 20, 8, seed);
    uint32_t cut = sc.n / 2 + 1;
    harness *a = mk(sh, 0, 1);
    run(&a, 1, &sc, 0, cut);
    wd_snap_out o;
    snap(a, &o);
    int64_t wm = a->op.watermark;
    h_free(a);
    assert_true(o.ntables >= 2);
    for (uint32_t t = 0; t < o.ntables; t++) {
        const wd_snap_table *x = &o.tables[t];
        size_t len = x->data.len;
        uint8_t *copy = malloc(len + 16);
        /* cut short at every length: broken framing is WD_ECORRUPT, a cut
         * at a record boundary is a shorter but well-formed table */
        for (size_t c = 0; c < len; c += (len > 3000 ? 5 : 1)) {
            memcpy(copy, x->data.data, c);
            int rc = try_restore(sh, &o, t, copy, c, UINT32_MAX, &sc, cut, wm);
            if (!at_boundary(x, c)) assert_int_equal(rc, WD_ECORRUPT);
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
            assert_int_equal(try_restore(sh, &o, t, copy, len - 1, UINT32_MAX, &sc, cut, wm),
                             WD_ECORRUPT);
        }
        memcpy(copy, x->data.data, 8 + hdr[1]);
        copy[8 + hdr[1]] = 0x5a;
        memcpy(copy + 8 + hdr[1] + 1, x->data.data + 8 + hdr[1], len - 8 - hdr[1]);
        uint32_t l = hdr[1] + 1;
        memcpy(copy + 4, &l, 4);
        assert_int_equal(try_restore(sh, &o, t, copy, len + 1, UINT32_MAX, &sc, cut, wm),
                         WD_ECORRUPT);
        if (x->kind == WD_SNAP_KEYED) {
            memcpy(copy, x->data.data, len);
            uint32_t kh = hdr[0] ^ 0x1000;
            memcpy(copy, &kh, 4);
            assert_int_equal(try_restore(sh, &o, t, copy, len, UINT32_MAX, &sc, cut, wm),
                             WD_ECORRUPT);
        }
        /* random bytes flipped: fails cleanly or restores something that runs */
        for (int k = 0; k < 200; k++) {
            memcpy(copy, x->data.data, len);
            int nflip = 1 + (int)(rnd() % 3);
            for (int f = 0; f < nflip; f++) copy[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
            try_restore(sh, &o, t, copy, len, UINT32_MAX, &sc, cut, wm);
        }
        free(copy);
    }
    /* a table missing altogether */
    for (uint32_t t = 0; t < o.ntables; t++) {
        if (o.tables[t].kind != WD_SNAP_GLOBAL) continue; /* keyed ones may be absent */
        assert_int_equal(try_restore(sh, &o, o.ntables, NULL, 0, t, &sc, cut, wm), WD_ECORRUPT);
    }
    wd_snap_out_free(&o);
    sc_free(&sc);
}

static void test_corrupt(void **state)
{
    const shape *shapes[] = {&SH_LEFT,     &SH_FULL,    &SH_INTERVAL, &SH_IV_FULL,
                             &SH_WIN_FULL, &SH_TOPN_RN, &SH_WF_PLAIN, &SH_UPD_TOPN};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) corrupt_one(shapes[i], 70 + i);
}

/* State written by another kind of join (or window function) is refused. */
static void test_other_layout(void **state)
{
    const shape *pairs[][2] = {{&SH_LEFT, &SH_INNER},        {&SH_INNER, &SH_INTERVAL},
                               {&SH_WIN_FULL, &SH_FULL},     {&SH_INTERVAL, &SH_WIN_INNER},
                               {&SH_INTERVAL, &SH_IV_LEFT},  {&SH_IV_FULL, &SH_IV_LEFT},
                               {&SH_TOPN_RN, &SH_TOPN_RANK}, {&SH_TOPN_RANK, &SH_WF_PLAIN},
                               {&SH_UPD_TOPN, &SH_UPD_TOPN_HIDDEN}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        script sc = gen(pairs[i][0], 300, 20, 8, 90 + i);
        harness *a = mk(pairs[i][0], 0, 1);
        run(&a, 1, &sc, 0, sc.n / 2);
        wd_snap_out o;
        snap(a, &o);
        int64_t wm = a->op.watermark;
        h_free(a);
        harness *b = mk(pairs[i][1], 0, 1);
        b->op.watermark = wm;
        wd_error err = {0};
        assert_int_equal(restore_from(b, &o, 1, &err), WD_ECORRUPT);
        h_free(b);
        wd_snap_out_free(&o);
        sc_free(&sc);
    }
}

/* ---- the watermark operator ------------------------------------------------------------------ */

typedef struct wmh {
    wd_arena arena;
    wd_node node;
    wd_op op;
    int64_t wms[64];
    uint32_t nwm;
} wmh;

static int wcap_batch(void *ctx, wd_batch *b, wd_error *err) { return 0; }
static int wcap_wm(void *ctx, int64_t wm, wd_error *err)
{
    wmh *h = ctx;
    if (h->nwm < 64) h->wms[h->nwm++] = wm;
    return 0;
}

static const wd_type *wm_schema(wd_arena *a)
{
    wd_field f[1] = {{"v", WD_TYPE_INT64, true}};
    return wd_schema_make(a, 1, f);
}

static wmh *wm_new(uint32_t sub, uint32_t par)
{
    wmh *h = calloc(1, sizeof *h);
    wd_arena_init(&h->arena, 0);
    h->node.kind = WD_N_WATERMARK;
    h->node.name = "watermark";
    h->node.parallelism = par;
    h->node.out_schema = wm_schema(&h->arena);
    h->node.wm_expr = wd_expr_col(&h->arena, 1, WD_TYPE_TIMESTAMP); /* _timestamp */
    h->node.vt = &wd_op_watermark_vt;
    h->op.vt = &wd_op_watermark_vt;
    h->op.node = &h->node;
    h->op.subtask = sub;
    h->op.parallelism = par;
    h->op.watermark = INT64_MIN;
    h->op.out = (wd_op_out){.batch = wcap_batch, .watermark = wcap_wm, .ctx = h};
    wd_error err = {0};
    assert_int_equal(h->op.vt->open(&h->op, &err), 0);
    return h;
}

static void wm_free(wmh *h)
{
    h->op.vt->close(&h->op);
    wd_arena_free(&h->arena);
    free(h);
}

static void wm_push(wmh *h, const int64_t *ts, uint32_t n)
{
    wd_batch *b = wd_batch_new(h->node.out_schema, n);
    for (uint32_t i = 0; i < n; i++) {
        ((int64_t *)b->cols[0].data)[i] = (int64_t)i;
        ((int64_t *)b->cols[1].data)[i] = ts[i];
    }
    b->nrows = n;
    wd_batch_seal(b);
    wd_error err = {0};
    assert_int_equal(wd_op_push_batch(&h->op, 0, b, &err), 0);
    wd_batch_release(b);
}

static int wm_restore(wmh *h, const wd_snap_out *outs, uint32_t nold)
{
    wd_error err = {0};
    return op_restore(&h->op, outs, nold, &err);
}

static void wm_snap(wmh *h, wd_snap_out *o) { op_snap(&h->op, o); }

static void test_watermark(void **state)
{
    /* 1→1: the maximum survives; a batch below it emits no watermark */
    wmh *a = wm_new(0, 1);
    int64_t t1[] = {100, 300, 200};
    wm_push(a, t1, 3);
    assert_int_equal(a->nwm, 1);
    assert_int_equal(a->wms[0], 300);
    wd_snap_out o[2];
    wm_snap(a, &o[0]);
    wm_free(a);
    wmh *b = wm_new(0, 1);
    assert_int_equal(wm_restore(b, o, 1), 0);
    int64_t t2[] = {250, 299};
    wm_push(b, t2, 2);
    assert_int_equal(b->nwm, 0);
    int64_t t3[] = {301};
    wm_push(b, t3, 1);
    assert_int_equal(b->nwm, 1);
    assert_int_equal(b->wms[0], 301);
    wm_free(b);
    wd_snap_out_free(&o[0]);

    /* 2→1 and 1→2: the smallest of the old subtasks' (never ahead of any) */
    wmh *x = wm_new(0, 2), *y = wm_new(1, 2);
    int64_t tx[] = {500}, ty[] = {400};
    wm_push(x, tx, 1);
    wm_push(y, ty, 1);
    wm_snap(x, &o[0]);
    wm_snap(y, &o[1]);
    wm_free(x);
    wm_free(y);
    wmh *z = wm_new(0, 1);
    assert_int_equal(wm_restore(z, o, 2), 0);
    int64_t tz[] = {450};
    wm_push(z, tz, 1);
    assert_int_equal(z->nwm, 1);
    assert_int_equal(z->wms[0], 450);
    int64_t tz2[] = {420};
    wm_push(z, tz2, 1);
    assert_int_equal(z->nwm, 1);
    wd_snap_out o1;
    wm_snap(z, &o1);
    wm_free(z);
    for (uint32_t s = 0; s < 2; s++) {
        wmh *w = wm_new(s, 2);
        assert_int_equal(wm_restore(w, &o1, 1), 0);
        int64_t t[] = {440};
        wm_push(w, t, 1);
        assert_int_equal(w->nwm, 0); /* 440 < 450 */
        wm_free(w);
    }
    wd_snap_out_free(&o1);
    /* an old subtask that saw nothing holds the restored maximum back */
    wmh *e = wm_new(1, 2);
    wd_snap_out_free(&o[1]);
    wm_snap(e, &o[1]);
    wm_free(e);
    z = wm_new(0, 1);
    assert_int_equal(wm_restore(z, o, 2), 0);
    int64_t tz3[] = {10};
    wm_push(z, tz3, 1);
    assert_int_equal(z->nwm, 1);
    wm_free(z);

    /* corrupt: a record of the wrong size, a table missing */
    wd_snap_in in;
    int64_t v = 5;
    wd_error err = {0};
    wmh *c = wm_new(0, 1);
    wd_snap_in_init(&in, 7, 0, 1, 1);
    uint8_t bad[12] = {0};
    memcpy(bad + 4, &(uint32_t){3}, 4);
    assert_int_equal(wd_snap_in_add(&in, o[0].tables[0].name, WD_SNAP_GLOBAL, 0, bad, 11), 0);
    assert_int_equal(c->op.vt->restore(&c->op, &in, &err), WD_ECORRUPT);
    wd_snap_in_free(&in);
    wd_snap_in_init(&in, 7, 0, 1, 1);
    assert_int_equal(wd_snap_in_add(&in, "something_else", WD_SNAP_GLOBAL, 0, &v, 0), 0);
    assert_int_equal(c->op.vt->restore(&c->op, &in, &err), WD_ECORRUPT);
    wd_snap_in_free(&in);
    wm_free(c);
    wd_snap_out_free(&o[0]);
    wd_snap_out_free(&o[1]);
}

/* ---- snapshot cost ------------------------------------------------------------------------ */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* An updating inner join holding 1,000,000 rows (500,000 a side over
 * 100,000 keys): snapshot time and bytes, restore time (printed), and the
 * restored instance holds the same rows and keys. */
static void test_snapshot_cost(void **state)
{
    enum { PER_SIDE = 500000, KEYS = 100000 };
    harness *h = mk(&SH_INNER, 0, 1);
    h->capture = false;
    wd_error err = {0};
    for (uint32_t off = 0; off < PER_SIDE; off += WD_BATCH_ROWS) {
        uint32_t m = PER_SIDE - off < WD_BATCH_ROWS ? PER_SIDE - off : WD_BATCH_ROWS;
        for (uint32_t s = 0; s < 2; s++) {
            wd_batch *b = wd_batch_new(h->in_schemas[s], WD_BATCH_ROWS);
            int64_t *k = b->cols[0].data, *v = b->cols[1].data, *ts = b->cols[3].data;
            wd_str *str = b->cols[2].data;
            for (uint32_t i = 0; i < m; i++) {
                uint64_t r = off + i;
                k[i] = (int64_t)((r * 2654435761u + s * 7) % KEYS);
                v[i] = (int64_t)r;
                str[i] = wd_str_make(s ? "R" : "L", 1); /* not the "L<v>" of the harness */
                ts[i] = (int64_t)r * 1000;
            }
            b->nrows = m;
            wd_batch_seal(b);
            if (wd_op_push_batch(&h->op, s, b, &err) != 0) fail_msg("%s", err.msg);
            wd_batch_release(b);
        }
    }
    wd_join_stats st;
    wd_op_join_stats(&h->op, &st);
    assert_int_equal(st.rows[0] + st.rows[1], 2 * PER_SIDE);
    wd_snap_out o;
    wd_snap_out_init(&o, 1, 0, 1);
    double t0 = now_s();
    assert_int_equal(h->op.vt->snapshot(&h->op, &o, &err), 0);
    double fresh = now_s() - t0;
    size_t bytes = wd_snap_out_bytes(&o);
    /* again into the same buffers (as the runtime reuses them between epochs):
     * without the page faults of fresh memory */
    double warm = 1e9;
    for (int rep = 0; rep < 3; rep++) {
        wd_snap_out_recycle(&o, 1, 0, 1);
        t0 = now_s();
        assert_int_equal(h->op.vt->snapshot(&h->op, &o, &err), 0);
        if (now_s() - t0 < warm) warm = now_s() - t0;
    }
    assert_int_equal(wd_snap_out_bytes(&o), bytes);
    h_free(h);
    harness *b = mk(&SH_INNER, 0, 1);
    b->capture = false;
    t0 = now_s();
    restore_ok(b, &o, 1, INT64_MIN);
    double rt = now_s() - t0;
    wd_join_stats st2;
    wd_op_join_stats(&b->op, &st2);
    assert_int_equal(st2.rows[0], st.rows[0]);
    assert_int_equal(st2.rows[1], st.rows[1]);
    assert_int_equal(st2.keys, st.keys);
    print_message("  updating join, %d rows over %d keys: snapshot %.1f ms into fresh buffers, "
                  "%.1f ms into reused ones; %.1f MB (%.1f bytes/row); restore %.1f ms\n",
                  2 * PER_SIDE, KEYS, fresh * 1e3, warm * 1e3, (double)bytes / 1e6,
                  (double)bytes / (2.0 * PER_SIDE), rt * 1e3);
    wd_snap_out_free(&o);
    h_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_updating_inner),
        cmocka_unit_test(test_updating_left),
        cmocka_unit_test(test_updating_full),
        cmocka_unit_test(test_interval),
        cmocka_unit_test(test_interval_outer),
        cmocka_unit_test(test_windowed),
        cmocka_unit_test(test_topn),
        cmocka_unit_test(test_updating_topn),
        cmocka_unit_test(test_topn_ttl),
        cmocka_unit_test(test_ttl_continues),
        cmocka_unit_test(test_ttl_rescale),
        cmocka_unit_test(test_multi_column_keys),
        cmocka_unit_test(test_restore_into_state),
        cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_other_layout),
        cmocka_unit_test(test_watermark),
        cmocka_unit_test(test_snapshot_cost),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
