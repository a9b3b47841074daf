/*
 * eval.c — vectorised evaluation of wd_expr trees (expr.h): wd_eval_new,
 * wd_eval_free, wd_eval_run, wd_eval_filter, wd_expr_eval_const.
 *
 * Trees are evaluated column at a time.  A column reference is a view of
 * the input column; a literal is its constant column; a call evaluates its
 * arguments and runs the kernel once over all rows (n = 1 and a constant
 * result when every argument is constant and the function is not
 * volatile).  Constant subtrees are evaluated once over a single row.
 *
 * Lazy forms (CASE, COALESCE, AND, OR) evaluate an operand only on the rows
 * that still need it: those rows are gathered into a sub-context whose
 * input columns are gathered on first use, so that e.g. the ELSE of
 * CASE WHEN x = 0 THEN 0 ELSE 10 / x END never sees x = 0.
 *
 * Per-call-site kernel state lives in the wd_eval (one slot per distinct
 * call node), freed with the function's free_state.
 */
#include <stdlib.h>
#include <string.h>

#include "expr/expr_int.h"

struct wd_eval {
    const wd_expr **exprs;
    uint32_t n;
    const wd_expr **nodes; /* every distinct node, sorted by address */
    uint8_t *cst;          /* nodes[i] is a constant subtree */
    void **state;          /* kernel state per node */
    uint32_t nnodes;
    int64_t now_ns;
};

/* ---- compile ----------------------------------------------------------- */

typedef struct nodevec {
    const wd_expr **v;
    uint32_t n, cap;
} nodevec;

static void collect(nodevec *nv, const wd_expr *e, int depth)
{
    if (!e || depth > 10000) return;
    if (nv->n == nv->cap) {
        nv->cap = nv->cap ? nv->cap * 2 : 32;
        nv->v = wd_realloc(nv->v, nv->cap * sizeof *nv->v);
    }
    nv->v[nv->n++] = e;
    for (uint32_t i = 0; i < e->nargs; i++) collect(nv, e->args[i], depth + 1);
}

static int ptr_cmp(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (const wd_expr *const *)a, y = (uintptr_t) * (const wd_expr *const *)b;
    return (x > y) - (x < y);
}

wd_eval *wd_eval_new(const wd_expr *const *exprs, uint32_t n)
{
    wd_eval *ev = wd_calloc(1, sizeof *ev);
    if (!ev) return NULL;
    ev->n = n;
    ev->exprs = wd_calloc(n ? n : 1, sizeof *ev->exprs);
    nodevec nv = {0};
    for (uint32_t i = 0; i < n; i++) {
        ev->exprs[i] = exprs[i];
        collect(&nv, exprs[i], 0);
    }
    if (nv.n) qsort(nv.v, nv.n, sizeof *nv.v, ptr_cmp);
    uint32_t u = 0;
    for (uint32_t i = 0; i < nv.n; i++)
        if (!u || nv.v[u - 1] != nv.v[i]) nv.v[u++] = nv.v[i];
    ev->nodes = nv.v;
    ev->nnodes = u;
    ev->cst = wd_calloc(u ? u : 1, 1);
    ev->state = wd_calloc(u ? u : 1, sizeof *ev->state);
    for (uint32_t i = 0; i < u; i++) ev->cst[i] = wd_expr_is_const(nv.v[i]);
    return ev;
}

void wd_eval_free(wd_eval *ev)
{
    if (!ev) return;
    for (uint32_t i = 0; i < ev->nnodes; i++) {
        const wd_expr *e = ev->nodes[i];
        if (ev->state[i] && e->kind == WD_EX_CALL && e->fn && e->fn->free_state)
            e->fn->free_state(ev->state[i]);
    }
    wd_free(ev->state);
    wd_free(ev->cst);
    wd_free(ev->nodes);
    wd_free(ev->exprs);
    wd_free(ev);
}

static int64_t node_index(const wd_eval *ev, const wd_expr *e)
{
    uint32_t lo = 0, hi = ev->nnodes;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (ev->nodes[mid] == e) return mid;
        if ((uintptr_t)ev->nodes[mid] < (uintptr_t)e)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* ---- contexts ---------------------------------------------------------- */

typedef struct ctx {
    struct ctx *parent;
    const wd_col *base;  /* root: the input columns */
    uint32_t ncols;      /* columns of the root input */
    const uint32_t *idx; /* rows of parent (NULL at the root) */
    uint32_t nrows;
    wd_col *cache;       /* gathered columns (sub-contexts) */
    uint8_t *have;
    bool konst;          /* evaluating a constant subtree over one row */
} ctx;

typedef struct run {
    wd_eval *ev;
    wd_arena *a;
    wd_error *err;
} run;

static int get_col(run *R, ctx *C, int c, const wd_col **out)
{
    if (c < 0 || (uint32_t)c >= C->ncols || C->konst)
        return wd_err(R->err, WD_EINTERNAL, "expression reads column $%d of %u", c, C->ncols);
    if (!C->parent) {
        *out = &C->base[c];
        return 0;
    }
    if (!C->have[c]) {
        const wd_col *src;
        int rc = get_col(R, C->parent, c, &src);
        if (rc) return rc;
        if (src->flags & WD_COL_CONST) {
            C->cache[c] = *src;
            C->cache[c].len = C->nrows;
        } else {
            wd_col_gather(&C->cache[c], src, C->idx, C->nrows, R->a);
        }
        C->have[c] = 1;
    }
    *out = &C->cache[c];
    return 0;
}

static ctx *sub_ctx(run *R, ctx *C, const uint32_t *idx, uint32_t m)
{
    ctx *s = wd_arena_calloc(R->a, sizeof *s);
    s->parent = C;
    s->ncols = C->ncols;
    s->idx = idx;
    s->nrows = m;
    s->konst = C->konst;
    s->cache = wd_arena_calloc(R->a, (C->ncols ? C->ncols : 1) * sizeof *s->cache);
    s->have = wd_arena_calloc(R->a, C->ncols ? C->ncols : 1);
    return s;
}

static int ev_expr(run *R, ctx *C, const wd_expr *e, wd_col *out);

/* Initialise out as an n-row column of type t. */
static void col_new(run *R, wd_col *out, const wd_type *t, uint32_t n)
{
    wd_col_init(out, t, n ? n : 1, R->a);
    out->len = n;
}

static bool is_const(const wd_col *c) { return (c->flags & WD_COL_CONST) != 0; }

/* Cast c in place to type t when it has another type. */
static int coerce(run *R, const wd_expr *e, wd_col *c, const wd_type *t)
{
    if (wd_type_eq(c->type, t)) return 0;
    uint32_t n = is_const(c) ? 1 : c->len;
    wd_col out;
    col_new(R, &out, t, n);
    wd_kctx k = {R->a, R->err, NULL, t, R->ev->now_ns, e->pos};
    int rc = wd_cast_col(&k, c, n, &out, false);
    if (rc) return rc;
    if (is_const(c)) {
        out.flags |= WD_COL_CONST;
        out.len = c->len;
    }
    *c = out;
    return 0;
}

/* Boolean value of row i of c: 0 false, 1 true, 2 null. */
static inline int tv(const wd_col *c, uint32_t i)
{
    if (c->type->id == WD_T_NULL || !wd_col_valid(c, i)) return 2;
    return ((const uint8_t *)c->data)[wd_col_idx(c, i)] ? 1 : 0;
}

/* ---- calls and casts --------------------------------------------------- */

static int ev_call(run *R, ctx *C, const wd_expr *e, wd_col *out)
{
    const wd_func *fn = e->fn;
    if (!fn || !fn->kernel) return wd_err_at(R->err, WD_EINTERNAL, e->pos, "call without kernel");
    wd_col *args = wd_arena_calloc(R->a, (e->nargs ? e->nargs : 1) * sizeof *args);
    bool allc = !(fn->flags & WD_FN_VOLATILE);
    for (uint32_t i = 0; i < e->nargs; i++) {
        int rc = ev_expr(R, C, e->args[i], &args[i]);
        if (rc) return rc;
        if (!is_const(&args[i])) allc = false;
    }
    uint32_t n = allc ? 1 : C->nrows;
    col_new(R, out, e->type, n);
    if (fn->flags & WD_FN_STRICT) {
        bool need = false;
        for (uint32_t i = 0; i < e->nargs; i++) {
            const wd_col *a = &args[i];
            if (a->type->id == WD_T_NULL || (is_const(a) && !wd_col_valid(a, 0))) {
                wd_x_col_all_null(out, R->a);
                goto done;
            }
            if (a->valid && !is_const(a)) need = true;
        }
        if (need) {
            uint8_t *v = wd_col_valid_alloc(out, R->a);
            bool first = true;
            for (uint32_t i = 0; i < e->nargs; i++) {
                const wd_col *a = &args[i];
                if (!a->valid || is_const(a)) continue;
                if (first) {
                    memcpy(v, a->valid, n);
                    first = false;
                } else {
                    for (uint32_t r = 0; r < n; r++) v[r] &= a->valid[r];
                }
            }
        }
    }
    {
        int64_t si = node_index(R->ev, e);
        void *dummy = NULL;
        wd_kctx k = {R->a, R->err, si >= 0 ? &R->ev->state[si] : &dummy, e->type, R->ev->now_ns,
                     e->pos};
        int rc = fn->kernel(&k, args, e->nargs, n, out);
        if (rc) {
            if (R->err && !R->err->code)
                wd_err_at(R->err, rc, e->pos, "%s failed: %s", fn->name, wd_strerror(rc));
            return rc;
        }
        if (si < 0 && dummy && fn->free_state) fn->free_state(dummy);
    }
done:
    if (allc) {
        out->flags |= WD_COL_CONST;
        out->len = C->nrows;
    }
    return 0;
}

static int ev_cast(run *R, ctx *C, const wd_expr *e, wd_col *out)
{
    wd_col in;
    int rc = ev_expr(R, C, e->args[0], &in);
    if (rc) return rc;
    if (wd_type_eq(in.type, e->type)) {
        *out = in;
        return 0;
    }
    uint32_t n = is_const(&in) ? 1 : C->nrows;
    col_new(R, out, e->type, n);
    wd_kctx k = {R->a, R->err, NULL, e->type, R->ev->now_ns, e->pos};
    rc = wd_cast_col(&k, &in, n, out, (e->flags & WD_EXF_TRY) != 0);
    if (rc) return rc;
    if (is_const(&in)) {
        out->flags |= WD_COL_CONST;
        out->len = C->nrows;
    }
    return 0;
}

/* ---- boolean forms ----------------------------------------------------- */

static int ev_andor(run *R, ctx *C, const wd_expr *e, wd_col *out)
{
    bool is_and = e->kind == WD_EX_AND;
    uint32_t n = C->nrows;
    uint8_t *res = wd_arena_alloc(R->a, n ? n : 1);  /* decided value */
    uint8_t *nul = wd_arena_calloc(R->a, n ? n : 1); /* saw a null */
    uint32_t *und = wd_arena_alloc(R->a, (n ? n : 1) * sizeof *und);
    memset(res, is_and ? 1 : 0, n);
    uint32_t m = n;
    for (uint32_t i = 0; i < n; i++) und[i] = i;
    for (uint32_t j = 0; j < e->nargs && m > 0; j++) {
        ctx *s = m == n ? C : sub_ctx(R, C, und, m);
        wd_col r;
        int rc = ev_expr(R, s, e->args[j], &r);
        if (rc) return rc;
        uint32_t *next = m == n ? wd_arena_alloc(R->a, (n ? n : 1) * sizeof *next) : und;
        uint32_t k = 0;
        for (uint32_t t = 0; t < m; t++) {
            uint32_t row = und[t];
            int v = tv(&r, t);
            if (v == 2) {
                nul[row] = 1;
            } else if (v == (is_and ? 0 : 1)) {
                res[row] = (uint8_t)v;
                continue; /* decided */
            }
            next[k++] = row;
        }
        und = next;
        m = k;
    }
    col_new(R, out, WD_TYPE_BOOL, n);
    uint8_t *o = out->data;
    uint8_t *valid = NULL;
    for (uint32_t i = 0; i < n; i++) {
        o[i] = res[i];
        if (nul[i] && res[i] == (is_and ? 1 : 0)) {
            if (!valid) valid = wd_col_valid_alloc(out, R->a);
            valid[i] = 0;
            o[i] = 0;
        }
    }
    return 0;
}

static int ev_unary_bool(run *R, ctx *C, const wd_expr *e, wd_col *out)
{
    wd_col x;
    int rc = ev_expr(R, C, e->args[0], &x);
    if (rc) return rc;
    uint32_t n = is_const(&x) ? 1 : C->nrows;
    col_new(R, out, WD_TYPE_BOOL, n);
    uint8_t *o = out->data;
    switch (e->kind) {
    case WD_EX_NOT:
        for (uint32_t i = 0; i < n; i++) {
            int v = tv(&x, i);
            if (v == 2) {
                wd_col_set_null(out, i, R->a);
                o[i] = 0;
            } else {
                o[i] = (uint8_t)!v;
            }
        }
        break;
    case WD_EX_IS_NULL:
    case WD_EX_IS_NOT_NULL: {
        bool want = e->kind == WD_EX_IS_NULL;
        for (uint32_t i = 0; i < n; i++) {
            bool isnull = x.type->id == WD_T_NULL || !wd_col_valid(&x, i);
            o[i] = isnull == want;
        }
        break;
    }
    default: {
        /* IS [NOT] TRUE / FALSE */
        for (uint32_t i = 0; i < n; i++) {
            int v = tv(&x, i);
            switch (e->kind) {
            case WD_EX_IS_TRUE: o[i] = v == 1; break;
            case WD_EX_IS_FALSE: o[i] = v == 0; break;
            case WD_EX_IS_NOT_TRUE: o[i] = v != 1; break;
            default: o[i] = v != 0; break;
            }
        }
        break;
    }
    }
    if (is_const(&x)) {
        out->flags |= WD_COL_CONST;
        out->len = C->nrows;
    }
    return 0;
}

/* ---- CASE / COALESCE: pieces evaluated on row subsets ----------------- */

typedef struct piece {
    wd_col col;        /* values for rows pos[0..m) (CONST allowed) */
    const uint32_t *pos;
    uint32_t m;
} piece;

/* Build out (C->nrows rows of type t) from pieces; uncovered rows are null. */
static int assemble(run *R, ctx *C, const wd_expr *e, const wd_type *t, piece *p, uint32_t np,
                    wd_col *out)
{
    uint32_t n = C->nrows;
    for (uint32_t k = 0; k < np; k++) {
        int rc = coerce(R, e, &p[k].col, t);
        if (rc) return rc;
    }
    col_new(R, out, t, n);
    if (t->id == WD_T_NULL) {
        wd_x_col_all_null(out, R->a);
        return 0;
    }
    if (t->id != WD_T_STRUCT && t->id != WD_T_LIST) {
        size_t w = wd_type_width(t->id);
        uint8_t *valid = wd_col_valid_alloc(out, R->a);
        memset(valid, 0, n);
        memset(out->data, 0, w * n);
        for (uint32_t k = 0; k < np; k++) {
            const wd_col *c = &p[k].col;
            for (uint32_t j = 0; j < p[k].m; j++) {
                uint32_t row = p[k].pos ? p[k].pos[j] : j;
                if (!wd_col_valid(c, j)) continue;
                valid[row] = 1;
                memcpy((char *)out->data + (size_t)row * w,
                       (const char *)c->data + (size_t)wd_col_idx(c, j) * w, w);
            }
        }
        return 0;
    }
    /* nested types: append in row order */
    int32_t *src = wd_arena_alloc(R->a, (n ? n : 1) * sizeof *src);
    uint32_t *srow = wd_arena_alloc(R->a, (n ? n : 1) * sizeof *srow);
    for (uint32_t i = 0; i < n; i++) src[i] = -1;
    for (uint32_t k = 0; k < np; k++)
        for (uint32_t j = 0; j < p[k].m; j++) {
            uint32_t row = p[k].pos ? p[k].pos[j] : j;
            src[row] = (int32_t)k;
            srow[row] = j;
        }
    out->len = 0;
    wd_col nul = {0};
    nul.type = WD_TYPE_NULL;
    nul.len = 1;
    for (uint32_t i = 0; i < n; i++) {
        if (src[i] < 0)
            wd_x_col_append(out, &nul, 0, R->a);
        else
            wd_x_col_append(out, &p[src[i]].col, srow[i], R->a);
    }
    return 0;
}

static int ev_case(run *R, ctx *C, const wd_expr *e, wd_col *out)
{
    uint32_t n = C->nrows;
    bool has_else = (e->flags & WD_EXF_ELSE) && (e->nargs % 2 == 1);
    uint32_t pairs = e->nargs / 2;
    piece *p = wd_arena_calloc(R->a, (pairs + 1) * sizeof *p);
    uint32_t np = 0;
    uint32_t *rem = wd_arena_alloc(R->a, (n ? n : 1) * sizeof *rem);
    for (uint32_t i = 0; i < n; i++) rem[i] = i;
    uint32_t m = n;
    for (uint32_t w = 0; w < pairs && m > 0; w++) {
        ctx *s = m == n ? C : sub_ctx(R, C, rem, m);
        wd_col cond;
        int rc = ev_expr(R, s, e->args[2 * w], &cond);
        if (rc) return rc;
        uint32_t *sel = wd_arena_alloc(R->a, m * sizeof *sel);
        uint32_t *rest = wd_arena_alloc(R->a, m * sizeof *rest);
        uint32_t ns = 0, nr = 0;
        for (uint32_t t = 0; t < m; t++) {
            if (tv(&cond, t) == 1) {
                sel[ns++] = rem[t];
            } else {
                rest[nr++] = rem[t];
            }
        }
        if (ns) {
            /* evaluate THEN on the selected rows, relative to C */
            ctx *ts = (ns == n) ? C : sub_ctx(R, C, sel, ns);
            rc = ev_expr(R, ts, e->args[2 * w + 1], &p[np].col);
            if (rc) return rc;
            p[np].pos = sel;
            p[np].m = ns;
            np++;
        }
        rem = rest;
        m = nr;
    }
    if (has_else && m > 0) {
        ctx *s = m == n ? C : sub_ctx(R, C, rem, m);
        int rc = ev_expr(R, s, e->args[e->nargs - 1], &p[np].col);
        if (rc) return rc;
        p[np].pos = rem;
        p[np].m = m;
        np++;
    }
    return assemble(R, C, e, e->type, p, np, out);
}

static int ev_coalesce(run *R, ctx *C, const wd_expr *e, wd_col *out)
{
    uint32_t n = C->nrows;
    piece *p = wd_arena_calloc(R->a, (e->nargs + 1) * sizeof *p);
    uint32_t np = 0;
    uint32_t *rem = wd_arena_alloc(R->a, (n ? n : 1) * sizeof *rem);
    for (uint32_t i = 0; i < n; i++) rem[i] = i;
    uint32_t m = n;
    for (uint32_t j = 0; j < e->nargs && m > 0; j++) {
        ctx *s = m == n ? C : sub_ctx(R, C, rem, m);
        wd_col v;
        int rc = ev_expr(R, s, e->args[j], &v);
        if (rc) return rc;
        if (v.type->id == WD_T_NULL) continue;
        uint32_t *rest = wd_arena_alloc(R->a, m * sizeof *rest);
        uint32_t nr = 0;
        bool allv = !v.valid;
        if (!allv)
            for (uint32_t t = 0; t < m; t++)
                if (!wd_col_valid(&v, t)) rest[nr++] = rem[t];
        p[np].col = v;
        p[np].pos = rem;
        p[np].m = m;
        np++;
        rem = rest;
        m = nr;
    }
    return assemble(R, C, e, e->type, p, np, out);
}

/* ---- IN, FIELD, ROW, ARRAY -------------------------------------------- */

static int ev_in(run *R, ctx *C, const wd_expr *e, wd_col *out)
{
    if (e->nargs < 1) return wd_err_at(R->err, WD_EINTERNAL, e->pos, "IN without operand");
    uint32_t k = e->nargs;
    wd_col *v = wd_arena_calloc(R->a, k * sizeof *v);
    bool allc = true;
    const wd_type *ct = NULL;
    for (uint32_t i = 0; i < k; i++) {
        int rc = ev_expr(R, C, e->args[i], &v[i]);
        if (rc) return rc;
        if (!is_const(&v[i])) allc = false;
        if (v[i].type->id == WD_T_NULL) continue;
        const wd_type *t = ct ? wd_type_common(R->a, ct, v[i].type) : v[i].type;
        if (!t)
            return wd_err_at(R->err, WD_ETYPE, e->pos, "IN: cannot compare %s with %s",
                             wd_type_name(ct), wd_type_name(v[i].type));
        ct = t;
    }
    if (ct && !wd_x_type_comparable(ct))
        return wd_err_at(R->err, WD_ETYPE, e->pos, "IN: values of type %s cannot be compared",
                         wd_type_name(ct));
    for (uint32_t i = 0; ct && i < k; i++) {
        if (v[i].type->id == WD_T_NULL) continue;
        int rc = coerce(R, e, &v[i], ct);
        if (rc) return rc;
    }
    bool neg = (e->flags & WD_EXF_NEG) != 0;
    uint32_t n = allc ? 1 : C->nrows;
    col_new(R, out, WD_TYPE_BOOL, n);
    uint8_t *o = out->data;
    for (uint32_t r = 0; r < n; r++) {
        o[r] = 0;
        if (v[0].type->id == WD_T_NULL || !wd_col_valid(&v[0], r)) {
            wd_col_set_null(out, r, R->a);
            continue;
        }
        bool found = false, sawnull = false;
        for (uint32_t i = 1; i < k && !found; i++) {
            if (v[i].type->id == WD_T_NULL || !wd_col_valid(&v[i], r)) {
                sawnull = true;
                continue;
            }
            if (wd_x_val_cmp(&v[0], r, &v[i], r) == 0) found = true;
        }
        if (found)
            o[r] = !neg;
        else if (sawnull)
            wd_col_set_null(out, r, R->a);
        else
            o[r] = neg;
    }
    if (allc) {
        out->flags |= WD_COL_CONST;
        out->len = C->nrows;
    }
    return 0;
}

static int ev_field(run *R, ctx *C, const wd_expr *e, wd_col *out)
{
    wd_col s;
    int rc = ev_expr(R, C, e->args[0], &s);
    if (rc) return rc;
    if (s.type->id == WD_T_NULL) {
        col_new(R, out, e->type, 1);
        wd_x_col_all_null(out, R->a);
        out->flags |= WD_COL_CONST;
        out->len = C->nrows;
        return 0;
    }
    if (s.type->id != WD_T_STRUCT || e->col < 0 || (uint32_t)e->col >= s.type->nfields)
        return wd_err_at(R->err, WD_EINTERNAL, e->pos, "field %d of %s", e->col,
                         wd_type_name(s.type));
    *out = s.child[e->col];
    out->len = C->nrows;
    if (is_const(&s)) out->flags |= WD_COL_CONST;
    if (s.valid) {
        uint32_t n = is_const(&s) ? 1 : C->nrows;
        uint8_t *v = wd_arena_alloc(R->a, n ? n : 1);
        for (uint32_t i = 0; i < n; i++) v[i] = s.valid[i] && (!out->valid || out->valid[i]);
        out->valid = v;
    }
    return 0;
}

/* Expand a CONST column to n physical rows (for nested children). */
static void unconst(run *R, wd_col *c, uint32_t n)
{
    if (!is_const(c)) return;
    wd_col x;
    wd_col_expand_const(&x, c, n, R->a);
    x.flags &= ~WD_COL_CONST;
    x.len = n;
    *c = x;
}

static int ev_row(run *R, ctx *C, const wd_expr *e, wd_col *out)
{
    const wd_type *t = e->type;
    if (!t || t->id != WD_T_STRUCT || t->nfields != e->nargs)
        return wd_err_at(R->err, WD_EINTERNAL, e->pos, "ROW of %u values as %s", e->nargs,
                         t ? wd_type_name(t) : "?");
    wd_col *v = wd_arena_calloc(R->a, (e->nargs ? e->nargs : 1) * sizeof *v);
    bool allc = true;
    for (uint32_t i = 0; i < e->nargs; i++) {
        int rc = ev_expr(R, C, e->args[i], &v[i]);
        if (!rc) rc = coerce(R, e, &v[i], t->fields[i].type);
        if (rc) return rc;
        if (!is_const(&v[i])) allc = false;
    }
    uint32_t n = allc ? 1 : C->nrows;
    memset(out, 0, sizeof *out);
    out->type = t;
    out->len = n;
    out->cap = n;
    out->child = v;
    for (uint32_t i = 0; i < e->nargs; i++) {
        if (allc) {
            v[i].flags &= ~WD_COL_CONST;
            v[i].len = 1;
        } else {
            unconst(R, &v[i], n);
        }
    }
    if (allc) {
        out->flags |= WD_COL_CONST;
        out->len = C->nrows;
    }
    return 0;
}

static int ev_array(run *R, ctx *C, const wd_expr *e, wd_col *out)
{
    const wd_type *t = e->type;
    if (!t || t->id != WD_T_LIST)
        return wd_err_at(R->err, WD_EINTERNAL, e->pos, "array constructor of non-list type");
    uint32_t k = e->nargs;
    wd_col *v = wd_arena_calloc(R->a, (k ? k : 1) * sizeof *v);
    bool allc = true;
    for (uint32_t i = 0; i < k; i++) {
        int rc = ev_expr(R, C, e->args[i], &v[i]);
        if (!rc) rc = coerce(R, e, &v[i], t->elem);
        if (rc) return rc;
        if (!is_const(&v[i])) allc = false;
    }
    uint32_t n = allc ? 1 : C->nrows;
    col_new(R, out, t, n);
    uint64_t total = (uint64_t)n * k;
    if (total > UINT32_MAX)
        return wd_err_at(R->err, WD_EOVERFLOW, e->pos, "array constructor too large");
    wd_col_init(out->child, t->elem, total ? (uint32_t)total : 1, R->a);
    uint32_t *off = out->data;
    off[0] = 0;
    for (uint32_t r = 0; r < n; r++) {
        for (uint32_t i = 0; i < k; i++) wd_x_col_append(out->child, &v[i], r, R->a);
        off = out->data;
        off[r + 1] = out->child->len;
    }
    if (allc) {
        out->flags |= WD_COL_CONST;
        out->len = C->nrows;
    }
    return 0;
}

/* ---- dispatch ---------------------------------------------------------- */

static int ev_node(run *R, ctx *C, const wd_expr *e, wd_col *out)
{
    switch (e->kind) {
    case WD_EX_COL: {
        const wd_col *c;
        int rc = get_col(R, C, e->col, &c);
        if (rc) return rc;
        *out = *c;
        out->len = C->nrows;
        return 0;
    }
    case WD_EX_LIT:
        *out = e->lit;
        out->flags |= WD_COL_CONST;
        out->len = C->nrows;
        return 0;
    case WD_EX_CALL: return ev_call(R, C, e, out);
    case WD_EX_CAST: return ev_cast(R, C, e, out);
    case WD_EX_AND:
    case WD_EX_OR: return ev_andor(R, C, e, out);
    case WD_EX_NOT:
    case WD_EX_IS_NULL:
    case WD_EX_IS_NOT_NULL:
    case WD_EX_IS_TRUE:
    case WD_EX_IS_FALSE:
    case WD_EX_IS_NOT_TRUE:
    case WD_EX_IS_NOT_FALSE:
        if (e->nargs < 1) break;
        return ev_unary_bool(R, C, e, out);
    case WD_EX_CASE: return ev_case(R, C, e, out);
    case WD_EX_COALESCE: return ev_coalesce(R, C, e, out);
    case WD_EX_FIELD:
        if (e->nargs < 1) break;
        return ev_field(R, C, e, out);
    case WD_EX_IN: return ev_in(R, C, e, out);
    case WD_EX_ROW: return ev_row(R, C, e, out);
    case WD_EX_ARRAY: return ev_array(R, C, e, out);
    }
    return wd_err_at(R->err, WD_EINTERNAL, e->pos, "malformed expression (kind %d)", (int)e->kind);
}

static int ev_expr(run *R, ctx *C, const wd_expr *e, wd_col *out)
{
    if (!e) return wd_err(R->err, WD_EINTERNAL, "missing expression");
    if (!C->konst && e->kind != WD_EX_LIT && e->kind != WD_EX_COL) {
        int64_t i = node_index(R->ev, e);
        if (i >= 0 && R->ev->cst[i]) {
            /* constant subtree: once, over one row */
            ctx one = {0};
            one.nrows = 1;
            one.konst = true;
            int rc = ev_node(R, &one, e, out);
            if (rc) return rc;
            out->flags |= WD_COL_CONST;
            out->len = C->nrows;
            return 0;
        }
    }
    return ev_node(R, C, e, out);
}

/* ---- entry points ------------------------------------------------------ */

int wd_eval_run(wd_eval *ev, uint32_t i, const wd_batch *in, wd_arena *a, wd_col *out,
                wd_error *err)
{
    if (!ev || i >= ev->n) return wd_err(err, WD_EINVALID, "no expression %u", i);
    ev->now_ns = wd_now_ns();
    run R = {ev, a, err};
    ctx C = {0};
    C.base = in->cols;
    C.ncols = in->schema ? in->schema->nfields : 0;
    C.nrows = in->nrows;
    int rc = ev_expr(&R, &C, ev->exprs[i], out);
    if (rc && err && !err->code) wd_err(err, rc, "%s", wd_strerror(rc));
    return rc;
}

int wd_eval_filter(wd_eval *ev, uint32_t i, const wd_batch *in, wd_arena *scratch,
                   uint32_t *sel, wd_error *err)
{
    wd_col r;
    int rc = wd_eval_run(ev, i, in, scratch, &r, err);
    if (rc) return rc;
    uint32_t n = in->nrows, k = 0;
    if (r.type->id == WD_T_NULL) return 0;
    if (r.type->id != WD_T_BOOL)
        return wd_err(err, WD_ETYPE, "filter of type %s, not BOOLEAN", wd_type_name(r.type));
    const uint8_t *v = r.data;
    if (is_const(&r)) {
        if (!wd_col_valid(&r, 0) || !v[0]) return 0;
        for (uint32_t j = 0; j < n; j++) sel[j] = j;
        return (int)n;
    }
    if (r.valid) {
        for (uint32_t j = 0; j < n; j++) {
            sel[k] = j;
            k += (v[j] & r.valid[j]) != 0;
        }
    } else {
        for (uint32_t j = 0; j < n; j++) {
            sel[k] = j;
            k += v[j] != 0;
        }
    }
    return (int)k;
}

int wd_expr_eval_const(const wd_expr *e, wd_arena *a, wd_col *out, wd_error *err)
{
    const wd_expr *one[1] = {e};
    wd_eval *ev = wd_eval_new(one, 1);
    if (!ev) return wd_err(err, WD_ENOMEM, "out of memory");
    ev->now_ns = wd_now_ns();
    run R = {ev, a, err};
    ctx C = {0};
    C.nrows = 1;
    C.konst = true;
    int rc = ev_node(&R, &C, e, out);
    if (!rc) {
        out->flags |= WD_COL_CONST;
        out->len = 1;
    } else if (err && !err->code) {
        wd_err(err, rc, "%s", wd_strerror(rc));
    }
    wd_eval_free(ev);
    return rc;
}
