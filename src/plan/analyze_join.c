/*
 * analyze_join.c — JOIN … ON / USING: keys, residual predicates and the
 * kind of join.
 *
 * The ON condition is analyzed over both inputs (left columns first, then
 * right ones) and split into conjuncts:
 *   - left-expr = right-expr: an equi-key (cast to a common type);
 *   - right.time >= / <= left.time ± constant interval, on both ends: the
 *     bounds of an interval join;
 *   - anything else: the residual predicate, evaluated on matching pairs.
 * A join needs at least one key.  When both inputs are windowed (their
 * window columns are among the keys) it is a windowed join; with interval
 * bounds, an interval join; otherwise an updating join whose state expires
 * after updating_ttl.
 *
 * Each input gets a calc laid out as ops/join.h says: [keys…, payload…,
 * _timestamp]; the join's output is left payload ++ right payload.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "expr/func.h"
#include "ops/aggregate.h"
#include "ops/join.h"
#include "plan/plan_int.h"

#define FAIL_AT(c, pos, code, ...) (wd_err_at((c)->err, (code), (pos), __VA_ARGS__), (void *)0)

/* Which inputs an expression reads: bit 1 left, bit 2 right. */
static int sides(const wd_expr *e, uint32_t nl)
{
    if (e->kind == WD_EX_COL) return (uint32_t)e->col < nl ? 1 : 2;
    int s = 0;
    for (uint32_t i = 0; i < e->nargs; i++) s |= sides(e->args[i], nl);
    return s;
}

/* Re-base an expression over one input: subtract `off` from column refs. */
static wd_expr *rebase(wd_plan_ctx *c, const wd_expr *e, int off)
{
    if (e->kind == WD_EX_COL) {
        wd_expr *r = wd_expr_col(c->a, e->col - off, e->type);
        r->pos = e->pos;
        return r;
    }
    wd_expr *x = wd_arena_alloc(c->a, sizeof *x);
    *x = *e;
    if (e->nargs) {
        x->args = wd_arena_alloc(c->a, sizeof(wd_expr *) * e->nargs);
        for (uint32_t i = 0; i < e->nargs; i++) x->args[i] = rebase(c, e->args[i], off);
    }
    return x;
}

static void split_and(const wd_expr *e, const wd_expr **out, uint32_t *n, uint32_t cap)
{
    if (e->kind == WD_EX_AND) {
        for (uint32_t i = 0; i < e->nargs; i++) split_and(e->args[i], out, n, cap);
        return;
    }
    if (*n < cap) out[(*n)++] = e;
}

static bool is_op(const wd_expr *e, const char *op)
{
    return e->kind == WD_EX_CALL && e->fn && e->nargs == 2 && !strcmp(e->fn->name, op);
}

/* e is `col`, `col + interval` or `col - interval` (a constant without
 * months): *col and *off (ns) are set. */
static bool col_plus(const wd_expr *e, int *col, int64_t *off)
{
    if (e->kind == WD_EX_COL && e->type->id == WD_T_TIMESTAMP) {
        *col = e->col;
        *off = 0;
        return true;
    }
    bool plus = is_op(e, "+"), minus = is_op(e, "-");
    if (!plus && !minus) return false;
    const wd_expr *a = e->args[0], *b = e->args[1];
    if (a->kind != WD_EX_COL || a->type->id != WD_T_TIMESTAMP || b->kind != WD_EX_LIT ||
        b->type->id != WD_T_INTERVAL || !wd_col_valid(&b->lit, 0))
        return false;
    wd_interval iv = WD_COL_GET(&b->lit, wd_interval, 0);
    if (iv.months) return false;
    *col = a->col;
    *off = minus ? -wd_interval_ns(iv) : wd_interval_ns(iv);
    return true;
}

/*
 * A bound of the right time by the left time: right >= left + lo (lower)
 * or right <= left + hi (upper), in either orientation.  Returns 1 for a
 * lower bound, 2 for an upper one, 0 when e is not such a bound.
 */
static int time_bound(const wd_expr *e, uint32_t nl, int *lc, int *rc, int64_t *off)
{
    const char *ops[] = {">=", "<=", ">", "<"};
    int which = -1;
    for (int i = 0; i < 4; i++)
        if (is_op(e, ops[i])) which = i;
    if (which < 0) return 0;
    int ca, cb;
    int64_t oa, ob;
    if (!col_plus(e->args[0], &ca, &oa) || !col_plus(e->args[1], &cb, &ob)) return 0;
    bool a_left = (uint32_t)ca < nl, b_left = (uint32_t)cb < nl;
    if (a_left == b_left) return 0;
    /* normalise to: right (op) left + off */
    bool ge = which == 0 || which == 2;
    int64_t d;
    if (!a_left) { /* right + oa op left + ob  ⇒  right op left + (ob - oa) */
        *rc = ca;
        *lc = cb;
        d = ob - oa;
    } else { /* left + oa op right + ob  ⇒  right (flipped op) left + (oa - ob) */
        *rc = cb;
        *lc = ca;
        d = oa - ob;
        ge = !ge;
    }
    /* strict bounds on nanosecond time: one nanosecond inside */
    if (which >= 2) d += ge ? 1 : -1;
    *off = d;
    return ge ? 1 : 2;
}

/* A calc over one input laid out [keys…, payload…, _timestamp]. */
static wd_rel *side_calc(wd_plan_ctx *c, wd_rel *in, wd_expr **keys, uint32_t nkeys, wd_pos pos)
{
    wd_rel *r = wd_an_new_rel(c, WD_REL_CALC, pos);
    r->nin = 1;
    r->in = wd_arena_alloc(c->a, sizeof(wd_rel *));
    r->in[0] = in;
    uint32_t np = in->schema->nfields - 1, n = nkeys + np;
    wd_field *f = wd_arena_calloc(c->a, sizeof *f * (n + 1));
    r->nexprs = n + 1;
    r->exprs = wd_arena_alloc(c->a, sizeof(wd_expr *) * (n + 1));
    for (uint32_t i = 0; i < nkeys; i++) {
        r->exprs[i] = keys[i];
        f[i].name = wd_arena_printf(c->a, "_key%u", i);
        f[i].type = keys[i]->type;
        f[i].nullable = true;
    }
    for (uint32_t i = 0; i < np; i++) {
        r->exprs[nkeys + i] = wd_expr_col(c->a, (int)i, in->schema->fields[i].type);
        f[nkeys + i] = in->schema->fields[i];
    }
    r->exprs[n] = wd_expr_col(c->a, (int)np, WD_TYPE_TIMESTAMP);
    r->schema = wd_schema_make(c->a, n, f);
    r->quals = wd_arena_calloc(c->a, sizeof(char *) * (n + 1));
    r->updating = in->updating;
    return r;
}

/* The kind of window that produced column col of r (following plain
 * column references through projections), or -1 when unknown. */
static int window_kind(const wd_rel *r, int col)
{
    for (int depth = 0; r && depth < 64; depth++) {
        if (r->kind == WD_REL_AGG) return (int)r->agg->win;
        if (r->kind != WD_REL_CALC || !r->exprs || col < 0 || (uint32_t)col >= r->nexprs ||
            r->exprs[col]->kind != WD_EX_COL)
            return -1;
        col = r->exprs[col]->col;
        r = r->in[0];
    }
    return -1;
}

static bool has_window(const wd_rel *r)
{
    for (uint32_t i = 0; i + 1 < r->schema->nfields; i++)
        if (wd_type_eq(r->schema->fields[i].type, wd_window_type())) return true;
    return false;
}

wd_rel *wd_an_join(wd_plan_ctx *c, const wd_ast_from *f, wd_rel *left, wd_rel *right)
{
    if (f->join == WD_JOIN_CROSS)
        return FAIL_AT(c, f->pos, WD_EUNSUPPORTED,
                       "CROSS JOIN is not supported: a streaming join needs an equality between "
                       "the two sides (JOIN … ON a.k = b.k)");
    uint32_t nl = left->schema->nfields, nr = right->schema->nfields;
    /* the scope of ON: left fields, then right fields (both _timestamps) */
    wd_field *cf = wd_arena_calloc(c->a, sizeof *cf * (nl + nr));
    const char **cq = wd_arena_calloc(c->a, sizeof(char *) * (nl + nr));
    for (uint32_t i = 0; i < nl; i++) {
        cf[i] = left->schema->fields[i];
        cq[i] = left->quals ? left->quals[i] : NULL;
    }
    for (uint32_t i = 0; i < nr; i++) {
        cf[nl + i] = right->schema->fields[i];
        cq[nl + i] = right->quals ? right->quals[i] : NULL;
    }
    wd_rel comb = {.schema = wd_type_struct(c->a, nl + nr, cf), .quals = cq};
    wd_scope sc = wd_an_scope(c, &comb, NULL);
    /* the join passes every column of both inputs on */
    wd_scope ls = wd_an_scope(c, left, NULL), rs = wd_an_scope(c, right, NULL);
    for (uint32_t i = 0; i < nl; i++) wd_an_mark_needed(&ls, i);
    for (uint32_t i = 0; i < nr; i++) wd_an_mark_needed(&rs, i);

    const wd_expr *conj[64];
    uint32_t nconj = 0;
    wd_expr *on = NULL;
    if (f->nusing) {
        for (uint32_t u = 0; u < f->nusing; u++) {
            int li = wd_type_field_index(left->schema, f->using_cols[u]);
            int ri = wd_type_field_index(right->schema, f->using_cols[u]);
            if (li < 0 || ri < 0 || (uint32_t)li + 1 == nl || (uint32_t)ri + 1 == nr)
                return FAIL_AT(c, f->pos, WD_ENAME, "USING column '%s' is not a column of %s",
                               f->using_cols[u], li < 0 ? "the left side" : "the right side");
            wd_expr *args[2] = {wd_expr_col(c->a, li, left->schema->fields[li].type),
                                wd_expr_col(c->a, (int)nl + ri, right->schema->fields[ri].type)};
            const wd_type *t = wd_type_common(c->a, args[0]->type, args[1]->type);
            if (!t)
                return FAIL_AT(c, f->pos, WD_ETYPE, "USING column '%s': %s and %s cannot be compared",
                               f->using_cols[u], wd_type_name(args[0]->type), wd_type_name(args[1]->type));
            const struct wd_func *fn;
            const wd_type *ret, *casts[2] = {0};
            const wd_type *types[2] = {t, t};
            if (wd_func_resolve("=", types, 2, c->a, &fn, &ret, casts, c->err) < 0) return NULL;
            for (int k = 0; k < 2; k++)
                if (!wd_type_eq(args[k]->type, t)) args[k] = wd_expr_cast(c->a, args[k], t);
            if (nconj < 64) conj[nconj++] = wd_expr_call(c->a, fn, ret, 2, args);
        }
    } else if (f->on) {
        on = wd_an_need_bool(c, wd_an_expr(c, &sc, f->on), "JOIN condition");
        if (!on) return NULL;
        split_and(on, conj, &nconj, 64);
    } else {
        return FAIL_AT(c, f->pos, WD_ESYNTAX, "JOIN needs ON or USING");
    }

    /* keys, interval bounds, residual */
    wd_expr *lk[64], *rk[64];
    uint32_t nk = 0;
    const wd_expr *resid[64];
    uint32_t nres = 0;
    int lo_l = -1, lo_r = -1, hi_l = -1, hi_r = -1;
    int64_t lo = 0, hi = 0;
    bool window_key = false;
    for (uint32_t i = 0; i < nconj; i++) {
        const wd_expr *e = conj[i];
        if (is_op(e, "=") && nk < 64) {
            int sa = sides(e->args[0], nl), sb = sides(e->args[1], nl);
            if ((sa == 1 && sb == 2) || (sa == 2 && sb == 1)) {
                const wd_expr *l = sa == 1 ? e->args[0] : e->args[1];
                const wd_expr *r = sa == 1 ? e->args[1] : e->args[0];
                lk[nk] = rebase(c, l, 0);
                rk[nk] = rebase(c, r, (int)nl);
                if (wd_type_eq(lk[nk]->type, wd_window_type())) window_key = true;
                nk++;
                continue;
            }
        }
        int lc, rc;
        int64_t off;
        int b = time_bound(e, nl, &lc, &rc, &off);
        if (b == 1 && lo_l < 0) {
            lo_l = lc, lo_r = rc, lo = off;
            continue;
        }
        if (b == 2 && hi_l < 0) {
            hi_l = lc, hi_r = rc, hi = off;
            continue;
        }
        if (nres < 64) resid[nres++] = e;
    }
    if (nk == 0)
        return FAIL_AT(c, f->on ? f->on->pos : f->pos, WD_EPLAN,
                       "a streaming join needs an equality between the two sides in its ON "
                       "condition (e.g. ON a.id = b.id)");

    wd_join_spec *spec = wd_arena_calloc(c->a, sizeof *spec);
    spec->type = f->join == WD_JOIN_LEFT    ? WD_JT_LEFT
                 : f->join == WD_JOIN_RIGHT ? WD_JT_RIGHT
                 : f->join == WD_JOIN_FULL  ? WD_JT_FULL
                                            : WD_JT_INNER;
    spec->nkeys = nk;
    spec->ttl_ns = c->updating_ttl_ns;
    bool interval = lo_l >= 0 && hi_l >= 0 && lo_r == hi_r;
    /* b.t BETWEEN a.t AND a.expires: the upper bound by another left column */
    bool lo_residual = interval && lo_l != hi_l;
    if (window_key) {
        if (!has_window(left) || !has_window(right))
            return FAIL_AT(c, f->pos, WD_EPLAN, "a windowed join needs both sides windowed");
        for (uint32_t i = 0; i < nk; i++) {
            if (!wd_type_eq(lk[i]->type, wd_window_type())) continue;
            int kl = lk[i]->kind == WD_EX_COL ? window_kind(left, lk[i]->col) : -1;
            int kr = rk[i]->kind == WD_EX_COL ? window_kind(right, rk[i]->col) : -1;
            if (kl == WD_WIN_SESSION || kr == WD_WIN_SESSION)
                return FAIL_AT(c, lk[i]->pos, WD_EUNSUPPORTED,
                               "session windows cannot be joined: their bounds differ per key "
                               "and side; join tumble or hop windows");
        }
        spec->mode = WD_JM_WINDOWED;
    } else if (interval) {
        if (lo > hi && !lo_residual)
            return FAIL_AT(c, f->on->pos, WD_EPLAN, "the interval of this join is empty");
        spec->mode = WD_JM_INTERVAL;
        spec->lo_ns = lo;
        spec->hi_ns = hi;
        spec->lo_residual = lo_residual;
        if (lo_residual)
            for (uint32_t i = 0; i < nconj && nres < 64; i++) {
                int lc, rc;
                int64_t off;
                if (time_bound(conj[i], nl, &lc, &rc, &off) == 1) {
                    resid[nres++] = conj[i];
                    break;
                }
            }
    } else {
        spec->mode = WD_JM_UPDATING;
    }
    if (spec->mode != WD_JM_INTERVAL) {
        /* put back one-sided time bounds as residual conjuncts */
        for (uint32_t i = 0; i < nconj && nres < 64; i++) {
            int lc, rc;
            int64_t off;
            if (time_bound(conj[i], nl, &lc, &rc, &off)) resid[nres++] = conj[i];
        }
    }
    if (left->updating || right->updating) {
        if (spec->mode != WD_JM_UPDATING)
            return FAIL_AT(c, f->pos, WD_EUNSUPPORTED,
                           "windowed and interval joins of updating inputs are not supported");
    }
    if (spec->mode == WD_JM_WINDOWED && (lo_l >= 0 || hi_l >= 0))
        return FAIL_AT(c, f->pos, WD_EUNSUPPORTED, "time bounds in a windowed join are not supported");
    for (uint32_t i = 0; i < nk; i++) {
        if (lk[i]->type->id == WD_T_STRUCT && !wd_type_eq(lk[i]->type, wd_window_type()))
            continue;
        const wd_type *t = wd_type_common(c->a, lk[i]->type, rk[i]->type);
        if (!t)
            return FAIL_AT(c, lk[i]->pos, WD_ETYPE, "join keys of types %s and %s cannot be compared",
                           wd_type_name(lk[i]->type), wd_type_name(rk[i]->type));
        if (!wd_type_eq(lk[i]->type, t)) lk[i] = wd_expr_cast(c->a, lk[i], t);
        if (!wd_type_eq(rk[i]->type, t)) rk[i] = wd_expr_cast(c->a, rk[i], t);
    }

    /* residual over the join's output: left payload ++ right payload */
    const wd_expr *residual = NULL;
    for (uint32_t i = 0; i < nres; i++) {
        if (!resid[i]) continue;
        /* a reference to either _timestamp has no place in the output */
        wd_expr *x = rebase(c, resid[i], 0);
        wd_expr *stack[256];
        uint32_t sp = 0;
        stack[sp++] = x;
        while (sp) {
            wd_expr *y = stack[--sp];
            if (y->kind == WD_EX_COL) {
                if ((uint32_t)y->col == nl - 1 || (uint32_t)y->col == nl + nr - 1)
                    return FAIL_AT(c, resid[i]->pos, WD_EUNSUPPORTED,
                                   "this join condition on _timestamp is not supported");
                if ((uint32_t)y->col >= nl) y->col -= 1;
            }
            for (uint32_t k = 0; k < y->nargs && sp < 256; k++) stack[sp++] = y->args[k];
        }
        if (!residual) {
            residual = x;
        } else {
            wd_expr *both[2] = {(wd_expr *)residual, x};
            residual = wd_expr_node(c->a, WD_EX_AND, WD_TYPE_BOOL, 2, both);
        }
    }
    spec->residual = residual;

    wd_rel *lc = side_calc(c, left, lk, nk, f->pos);
    wd_rel *rc = side_calc(c, right, rk, nk, f->pos);
    if (spec->mode == WD_JM_INTERVAL) {
        /* the time columns, in the side calcs' layout */
        spec->left_time_col = (int)nk + (lo_residual ? hi_l : lo_l);
        spec->right_time_col = (int)nk + (lo_r - (int)nl);
    }

    wd_rel *j = wd_an_new_rel(c, WD_REL_JOIN, f->pos);
    j->nin = 2;
    j->in = wd_arena_alloc(c->a, sizeof(wd_rel *) * 2);
    j->in[0] = lc;
    j->in[1] = rc;
    j->join = spec;
    uint32_t nout = (nl - 1) + (nr - 1);
    wd_field *of = wd_arena_calloc(c->a, sizeof *of * (nout + 1));
    j->quals = wd_arena_calloc(c->a, sizeof(char *) * (nout + 1));
    for (uint32_t i = 0; i + 1 < nl; i++) {
        of[i] = left->schema->fields[i];
        of[i].nullable = true;
        j->quals[i] = left->quals ? left->quals[i] : NULL;
    }
    for (uint32_t i = 0; i + 1 < nr; i++) {
        of[nl - 1 + i] = right->schema->fields[i];
        of[nl - 1 + i].nullable = true;
        j->quals[nl - 1 + i] = right->quals ? right->quals[i] : NULL;
    }
    j->schema = wd_schema_make(c->a, nout, of);
    j->updating = spec->mode == WD_JM_UPDATING &&
                  (spec->type != WD_JT_INNER || left->updating || right->updating);
    return j;
}
