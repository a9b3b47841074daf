/*
 * calc.c — the stateless operator: filter, projection and unnest, fused.
 *
 * Per batch: evaluate the filter to a selection; gather only the input
 * columns the projection reads for the selected rows (string bytes stay
 * where they are: the output batch borrows the input); evaluate each output
 * expression; with unnest, repeat every other column once per element of
 * the unnested array.
 */
#include <string.h>

#include "ops/op.h"

typedef struct calc_state {
    wd_eval *ev;
    bool *used;          /* input columns read by filter or projections */
    uint32_t nin;
    uint32_t *sel;       /* selection buffer */
    uint32_t selcap;
    wd_arena scratch;    /* filter temporaries, reset per batch */
} calc_state;

static void mark_used(const wd_expr *e, bool *used, uint32_t n)
{
    if (e->kind == WD_EX_COL && (uint32_t)e->col < n) used[e->col] = true;
    for (uint32_t i = 0; i < e->nargs; i++) mark_used(e->args[i], used, n);
}

static int calc_open(wd_op *op, wd_error *err)
{
    const wd_node *n = op->node;
    calc_state *st = wd_calloc(1, sizeof *st);
    const wd_expr **all = wd_malloc(sizeof(wd_expr *) * (n->nexprs + 1));
    uint32_t k = 0;
    all[k++] = n->filter; /* slot 0 even when NULL: not evaluated then */
    for (uint32_t i = 0; i < n->nexprs; i++) all[k++] = n->exprs[i];
    st->ev = wd_eval_new(n->filter ? all : all + 1, n->filter ? k : k - 1);
    wd_free(all);
    st->nin = n->in_schemas[0]->nfields;
    st->used = wd_calloc(st->nin, 1);
    for (uint32_t i = 0; i < n->nexprs; i++) mark_used(n->exprs[i], st->used, st->nin);
    wd_arena_init(&st->scratch, 0);
    op->state = st;
    return 0;
}

static void calc_close(wd_op *op)
{
    calc_state *st = op->state;
    if (!st) return;
    wd_eval_free(st->ev);
    wd_free(st->used);
    wd_free(st->sel);
    wd_arena_free(&st->scratch);
    wd_free(st);
}

/* Rows sel[0..n) of the used columns of in, as a batch borrowing in. */
static wd_batch *gather_used(calc_state *st, wd_batch *in, const uint32_t *sel, uint32_t n)
{
    wd_batch *b = wd_batch_new_empty(in->schema);
    wd_batch_borrow(b, in);
    for (uint32_t i = 0; i < st->nin; i++)
        if (st->used[i]) wd_col_gather(&b->cols[i], &in->cols[i], sel, n, &b->arena);
    if (in->retract) {
        b->retract = wd_batch_alloc(b, n);
        for (uint32_t i = 0; i < n; i++) b->retract[i] = in->retract[sel[i]];
    }
    b->nrows = n;
    return b;
}

/* Expand the unnest column: one row per element, other columns repeated. */
static wd_batch *unnest(wd_op *op, wd_batch *out)
{
    int u = op->node->unnest_col;
    wd_col *lc = &out->cols[u];
    uint32_t total = 0;
    for (uint32_t i = 0; i < out->nrows; i++) {
        if (!wd_col_valid(lc, i)) continue;
        const uint32_t *off = lc->data;
        uint32_t r = wd_col_idx(lc, i);
        total += off[r + 1] - off[r];
    }
    wd_batch *b = wd_batch_new_empty(out->schema);
    wd_batch_borrow(b, out);
    uint32_t *rows = wd_batch_alloc(b, sizeof(uint32_t) * (total + 1));
    uint32_t *elems = wd_batch_alloc(b, sizeof(uint32_t) * (total + 1));
    uint32_t k = 0;
    for (uint32_t i = 0; i < out->nrows; i++) {
        if (!wd_col_valid(lc, i)) continue;
        const uint32_t *off = lc->data;
        uint32_t r = wd_col_idx(lc, i);
        for (uint32_t e = off[r]; e < off[r + 1]; e++) {
            rows[k] = i;
            elems[k++] = e;
        }
    }
    for (uint32_t c = 0; c < out->schema->nfields; c++) {
        if ((int)c == u) wd_col_gather(&b->cols[c], &lc->child[0], elems, total, &b->arena);
        else wd_col_gather(&b->cols[c], &out->cols[c], rows, total, &b->arena);
    }
    if (out->retract) {
        b->retract = wd_batch_alloc(b, total + 1);
        for (uint32_t i = 0; i < total; i++) b->retract[i] = out->retract[rows[i]];
    }
    b->nrows = total;
    return b;
}

static int calc_batch(wd_op *op, uint32_t input, wd_batch *in, wd_error *err)
{
    calc_state *st = op->state;
    const wd_node *n = op->node;
    wd_batch *src = in;
    bool own_src = false;
    uint32_t slot = 0;
    if (in->nrows == 0) return 0;
    if (n->filter) {
        if (st->selcap < in->nrows) {
            wd_free(st->sel);
            st->selcap = in->nrows;
            st->sel = wd_malloc(sizeof(uint32_t) * st->selcap);
        }
        wd_arena_reset(&st->scratch);
        int cnt = wd_eval_filter(st->ev, 0, in, &st->scratch, st->sel, err);
        if (cnt < 0) return cnt;
        slot = 1;
        if (cnt == 0) return 0;
        if ((uint32_t)cnt < in->nrows) {
            src = gather_used(st, in, st->sel, (uint32_t)cnt);
            own_src = true;
        }
    }
    wd_batch *out = wd_batch_new_empty(n->out_schema);
    wd_batch_borrow(out, src);
    out->nrows = src->nrows;
    out->retract = src->retract;
    int rc = 0;
    for (uint32_t i = 0; i < n->nexprs; i++) {
        wd_col *c = &out->cols[i];
        rc = wd_eval_run(st->ev, slot + i, src, &out->arena, c, err);
        if (rc < 0) goto done;
        if (c->flags & WD_COL_CONST) {
            wd_col tmp = *c;
            wd_col_expand_const(c, &tmp, out->nrows, &out->arena);
        }
    }
    if (n->unnest_col >= 0) {
        wd_batch *u = unnest(op, out);
        wd_batch_release(out);
        out = u;
    }
    if (out->nrows) rc = wd_op_emit(op, out, err);
done:
    wd_batch_release(out);
    if (own_src) wd_batch_release(src);
    return rc;
}

const wd_op_vt wd_op_calc_vt = {
    .stateless = true,
    .name = "calc",
    .open = calc_open,
    .on_batch = calc_batch,
    .close = calc_close,
};

/* ---- union: merges inputs; the runtime takes the minimum watermark ---- */

static int union_batch(wd_op *op, uint32_t input, wd_batch *b, wd_error *err)
{
    return wd_op_emit(op, b, err);
}

const wd_op_vt wd_op_union_vt = {
    .stateless = true,
    .name = "union",
    .on_batch = union_batch,
};
