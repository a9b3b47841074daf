/*
 * pushdown.c — filters and projections pushed below joins, between
 * analysis and planning (wd_pl_pushdown).
 *
 * The analyzer builds a join before it knows what its consumers read: each
 * input's calc passes every column of that input on, and a WHERE over the
 * join stays above it.  A join stores and shuffles what its inputs carry,
 * so this pass trims them:
 *
 *   - Filters.  A conjunct of a filter right above a join (its only
 *     consumer) that reads the columns of one side only moves into that
 *     side's input calc, where it runs before the shuffle — unless that
 *     side is NULL-extended by an outer join (its columns are NULL in rows
 *     the filter must see).  Only conjuncts that cannot fail move
 *     (comparisons, IS, IN, AND/OR/NOT of columns and literals): a row the
 *     join would never have matched must not make the job fail.
 *   - Projections.  Walking the rels from the outputs down (every consumer
 *     of a rel before the rel), each rel learns which of its columns some
 *     consumer reads.  A join keeps of each input only the payload columns
 *     its consumers, its residual and its interval bounds read; the rest
 *     leave its input calcs.  The join rel itself becomes a calc over the
 *     narrower join that puts NULLs where the dropped columns were, so its
 *     consumers' column numbers stay valid (the planner merges that calc
 *     into the one above).  An input that carries retractions keeps every
 *     column: a retraction finds its stored row by the whole payload.
 *   - Key copies.  A payload column that is the same expression as a key
 *     (b.auction, the key of ON b.auction = a.id) is marked in the spec
 *     (pay_key): the join stores the key once and reads the column back
 *     from it.
 *
 * Exports (plan_int.h): wd_pl_pushdown, wd_pl_cannot_fail.
 */
#include <string.h>

#include "expr/func.h"
#include "plan/plan_int.h"

typedef struct pd {
    wd_plan_ctx *c;
    wd_rel **order;      /* every rel once, consumers before what they read */
    uint32_t n, cap;
    bool cycle;
} pd;

/* Depth-first from r: post-order into p->order (reversed later). */
static void visit(pd *p, wd_rel *r)
{
    r->pd_refs++;
    if (r->pd_state == 2) return;
    if (r->pd_state == 1) {
        p->cycle = true; /* the planner reports it */
        return;
    }
    r->pd_state = 1;
    for (uint32_t i = 0; i < r->nin; i++) visit(p, r->in[i]);
    r->pd_state = 2;
    if (p->n == p->cap) {
        uint32_t nc = p->cap ? p->cap * 2 : 32;
        wd_rel **o = wd_arena_alloc(p->c->a, sizeof(wd_rel *) * nc);
        if (p->n) memcpy(o, p->order, sizeof(wd_rel *) * p->n);
        p->order = o;
        p->cap = nc;
    }
    p->order[p->n++] = r;
    r->pd_used = wd_arena_calloc(p->c->a, r->schema->nfields);
}

/* Mark in used[] every input column e reads. */
static void mark_cols(const wd_expr *e, bool *used, uint32_t n)
{
    if (!e) return;
    if (e->kind == WD_EX_COL && e->col >= 0 && (uint32_t)e->col < n) used[e->col] = true;
    for (uint32_t i = 0; i < e->nargs; i++) mark_cols(e->args[i], used, n);
}

/* Which sides of a join's output (left payload [0, nl), right payload
 * [nl, nl + nr), then _timestamp) e reads: bit 1 left, 2 right, 4 time. */
static int join_sides(const wd_expr *e, uint32_t nl, uint32_t nr)
{
    int s = 0;
    if (e->kind == WD_EX_COL) s |= (uint32_t)e->col < nl ? 1 : (uint32_t)e->col < nl + nr ? 2 : 4;
    for (uint32_t i = 0; i < e->nargs; i++) s |= join_sides(e->args[i], nl, nr);
    return s;
}

/* Can e never fail (so it may run on rows that would not have reached it)? */
bool wd_pl_cannot_fail(const wd_expr *e)
{
    static const char *const cmp[] = {"=", "<>", "!=", "<", "<=", ">", ">="};
    switch (e->kind) {
    case WD_EX_COL:
    case WD_EX_LIT: return true;
    case WD_EX_CALL: {
        if (!e->fn || (e->fn->flags & WD_FN_VOLATILE)) return false;
        bool ok = false;
        for (size_t i = 0; i < sizeof cmp / sizeof cmp[0]; i++) ok |= !strcmp(e->fn->name, cmp[i]);
        if (!ok) return false;
        break;
    }
    case WD_EX_AND:
    case WD_EX_OR:
    case WD_EX_NOT:
    case WD_EX_IS_NULL:
    case WD_EX_IS_NOT_NULL:
    case WD_EX_IS_TRUE:
    case WD_EX_IS_FALSE:
    case WD_EX_IS_NOT_TRUE:
    case WD_EX_IS_NOT_FALSE:
    case WD_EX_IN:
    case WD_EX_FIELD:
    case WD_EX_COALESCE: break;
    default: return false;
    }
    for (uint32_t i = 0; i < e->nargs; i++)
        if (!wd_pl_cannot_fail(e->args[i])) return false;
    return true;
}

/* A copy of e with column references shifted by -off. */
static wd_expr *shift(wd_plan_ctx *c, const wd_expr *e, int off)
{
    wd_expr *x = wd_arena_alloc(c->a, sizeof *x);
    *x = *e;
    if (e->kind == WD_EX_COL) x->col = e->col - off;
    if (e->nargs) {
        x->args = wd_arena_alloc(c->a, sizeof(wd_expr *) * e->nargs);
        for (uint32_t i = 0; i < e->nargs; i++) x->args[i] = shift(c, e->args[i], off);
    }
    return x;
}

/* A copy of e with column references mapped through map[]. */
static wd_expr *remap(wd_plan_ctx *c, const wd_expr *e, const uint32_t *map)
{
    wd_expr *x = wd_arena_alloc(c->a, sizeof *x);
    *x = *e;
    if (e->kind == WD_EX_COL) x->col = (int)map[e->col];
    if (e->nargs) {
        x->args = wd_arena_alloc(c->a, sizeof(wd_expr *) * e->nargs);
        for (uint32_t i = 0; i < e->nargs; i++) x->args[i] = remap(c, e->args[i], map);
    }
    return x;
}

static const wd_expr *and2(wd_plan_ctx *c, const wd_expr *a, const wd_expr *b)
{
    if (!a) return b;
    wd_expr *both[2] = {(wd_expr *)a, (wd_expr *)b};
    return wd_expr_node(c->a, WD_EX_AND, WD_TYPE_BOOL, 2, both);
}

static void split_and(const wd_expr *e, const wd_expr **out, uint32_t *n, uint32_t cap)
{
    if (e->kind == WD_EX_AND) {
        for (uint32_t i = 0; i < e->nargs; i++) split_and(e->args[i], out, n, cap);
        return;
    }
    if (*n < cap) out[(*n)++] = e;
}

/* Move the conjuncts of calc r's filter that one side of join j (r's only
 * input, read by r alone) can take into that side's input calc. */
static void push_filter(pd *p, wd_rel *r, wd_rel *j)
{
    wd_plan_ctx *c = p->c;
    enum { CAP = 64 };
    const wd_expr *conj[CAP];
    uint32_t n = 0;
    split_and(r->filter, conj, &n, CAP);
    if (n == CAP) return; /* too many to be sure every one was seen */
    uint32_t nl = j->in[0]->schema->nfields - j->join->nkeys - 1;
    uint32_t nr = j->in[1]->schema->nfields - j->join->nkeys - 1;
    bool outer[2] = {j->join->type == WD_JT_LEFT || j->join->type == WD_JT_FULL,
                     j->join->type == WD_JT_RIGHT || j->join->type == WD_JT_FULL};
    const wd_expr *keep = NULL;
    for (uint32_t i = 0; i < n; i++) {
        int s = join_sides(conj[i], nl, nr);
        int side = s == 1 ? 0 : s == 2 ? 1 : -1;
        if (side < 0 || outer[1 - side] || !wd_pl_cannot_fail(conj[i])) {
            keep = and2(c, keep, conj[i]);
            continue;
        }
        /* side calc layout: [keys…, payload…, _timestamp]; its filter reads
         * its input, whose column i is payload column i */
        wd_rel *sc = j->in[side];
        sc->filter = and2(c, sc->filter, shift(c, conj[i], side ? (int)nl : 0));
    }
    r->filter = keep;
}

/* Types whose equal values are identical: a column equal to a key may be
 * read back from the key. */
static bool identity_eq(const wd_type *t)
{
    wd_type_id id = t->id;
    return wd_type_is_int(id) || id == WD_T_BOOL || id == WD_T_DATE || id == WD_T_TIMESTAMP ||
           id == WD_T_TEXT || id == WD_T_BYTES;
}

/* Spec sp of join j: the payload columns of each input that are copies of
 * a key (the same expression in its input calc) — the join need not store
 * them.  Not an interval join's time column: the row carries its time. */
static void key_copies(wd_plan_ctx *c, const wd_rel *j, wd_join_spec *sp)
{
    uint32_t nk = sp->nkeys;
    for (uint32_t s = 0; s < 2; s++) {
        const wd_rel *sc = j->in[s];
        uint32_t np = sc->schema->nfields - nk - 1;
        int tc = sp->mode == WD_JM_INTERVAL
                     ? (s ? sp->right_time_col : sp->left_time_col) - (int)nk
                     : -1;
        int32_t *pk = NULL;
        for (uint32_t i = 0; i < np && sc->exprs; i++) {
            const wd_expr *e = sc->exprs[nk + i];
            if ((int)i == tc || !identity_eq(e->type)) continue;
            for (uint32_t k = 0; k < nk; k++) {
                if (!wd_expr_equal(e, sc->exprs[k])) continue;
                if (!pk) {
                    pk = wd_arena_alloc(c->a, sizeof(int32_t) * np);
                    for (uint32_t x = 0; x < np; x++) pk[x] = -1;
                }
                pk[i] = (int32_t)k;
                break;
            }
        }
        sp->pay_key[s] = pk;
    }
}

/*
 * Join j (a WD_REL_JOIN whose pd_used is complete): drop the payload
 * columns nothing reads from its input calcs, and turn j into a calc over
 * the narrower join.  Marks what the input calcs keep as used.
 */
static void prune_join(pd *p, wd_rel *j)
{
    wd_plan_ctx *c = p->c;
    const wd_join_spec *sp = j->join;
    uint32_t nk = sp->nkeys;
    uint32_t np[2], base[2] = {0, 0};
    bool *keep[2];
    bool any = false;
    for (uint32_t s = 0; s < 2; s++) np[s] = j->in[s]->schema->nfields - nk - 1;
    base[1] = np[0];
    uint32_t nout = np[0] + np[1];
    bool *need = wd_arena_calloc(c->a, nout + 1);
    for (uint32_t i = 0; i < nout; i++) need[i] = j->pd_used[i];
    mark_cols(sp->residual, need, nout);
    for (uint32_t s = 0; s < 2; s++) {
        wd_rel *sc = j->in[s];
        keep[s] = need + base[s];
        if (sp->mode == WD_JM_INTERVAL) {
            int tc = (s ? sp->right_time_col : sp->left_time_col) - (int)nk;
            if (tc >= 0 && (uint32_t)tc < np[s]) keep[s][tc] = true;
        }
        bool all = sc->updating || !sc->exprs;
        for (uint32_t i = 0; i < np[s]; i++) {
            if (all) keep[s][i] = true;
            any |= !keep[s][i];
        }
    }
    if (!any) {
        for (uint32_t s = 0; s < 2; s++)
            memset(j->in[s]->pd_used, 1, j->in[s]->schema->nfields);
        key_copies(c, j, j->join);
        return;
    }
    /* old output column → new one */
    uint32_t *map = wd_arena_alloc(c->a, sizeof(uint32_t) * (nout + 1));
    uint32_t nnew = 0;
    for (uint32_t i = 0; i < nout; i++) map[i] = need[i] ? nnew++ : UINT32_MAX;
    map[nout] = nnew;
    wd_field *of = wd_arena_calloc(c->a, sizeof *of * (nnew + 1));
    const char **oq = wd_arena_calloc(c->a, sizeof(char *) * (nnew + 1));
    for (uint32_t i = 0; i < nout; i++)
        if (need[i]) {
            of[map[i]] = j->schema->fields[i];
            oq[map[i]] = j->quals ? j->quals[i] : NULL;
        }
    wd_join_spec *ns = wd_arena_alloc(c->a, sizeof *ns);
    *ns = *sp;
    if (sp->residual) ns->residual = remap(c, sp->residual, map);
    /* the input calcs: [keys…, kept payload…, _timestamp] */
    for (uint32_t s = 0; s < 2; s++) {
        wd_rel *sc = j->in[s];
        uint32_t m = nk;
        const wd_expr **ex = wd_arena_alloc(c->a, sizeof(wd_expr *) * (nk + np[s] + 1));
        wd_field *f = wd_arena_calloc(c->a, sizeof *f * (nk + np[s] + 1));
        for (uint32_t k = 0; k < nk; k++) {
            ex[k] = sc->exprs[k];
            f[k] = sc->schema->fields[k];
        }
        int *newcol = wd_arena_alloc(c->a, sizeof(int) * (np[s] + 1));
        for (uint32_t i = 0; i < np[s]; i++) {
            newcol[i] = -1;
            if (!keep[s][i]) continue;
            newcol[i] = (int)m;
            ex[m] = sc->exprs[nk + i];
            f[m++] = sc->schema->fields[nk + i];
        }
        ex[m] = sc->exprs[nk + np[s]];
        sc->exprs = ex;
        sc->nexprs = m + 1;
        sc->schema = wd_schema_make(c->a, m, f);
        sc->quals = wd_arena_calloc(c->a, sizeof(char *) * (m + 1));
        sc->pd_used = wd_arena_alloc(c->a, m + 1);
        memset(sc->pd_used, 1, m + 1);
        if (sp->mode == WD_JM_INTERVAL) {
            int *tc = s ? &ns->right_time_col : &ns->left_time_col;
            if (*tc >= (int)nk && *tc < (int)(nk + np[s])) *tc = newcol[*tc - (int)nk];
            else *tc = (int)m; /* _timestamp */
        }
    }
    wd_rel *nj = wd_an_new_rel(c, WD_REL_JOIN, j->pos);
    nj->nin = 2;
    nj->in = j->in;
    nj->join = ns;
    nj->schema = wd_schema_make(c->a, nnew, of);
    nj->quals = oq;
    nj->updating = j->updating;
    key_copies(c, nj, ns);
    /* j: a calc putting the kept columns back in place, NULLs elsewhere */
    const wd_expr **ex = wd_arena_alloc(c->a, sizeof(wd_expr *) * (nout + 1));
    for (uint32_t i = 0; i < nout; i++)
        ex[i] = need[i] ? (const wd_expr *)wd_expr_col(c->a, (int)map[i], j->schema->fields[i].type)
                        : (const wd_expr *)wd_expr_lit_null(c->a, j->schema->fields[i].type);
    ex[nout] = wd_expr_col(c->a, (int)nnew, WD_TYPE_TIMESTAMP);
    j->kind = WD_REL_CALC;
    j->in = wd_arena_alloc(c->a, sizeof(wd_rel *));
    j->in[0] = nj;
    j->nin = 1;
    j->join = NULL;
    j->exprs = ex;
    j->nexprs = nout + 1;
    j->filter = NULL;
    j->unnest_col = -1;
}

/* What r's consumers read (r->pd_used, complete) → what r reads of its inputs. */
static void propagate(pd *p, wd_rel *r)
{
    switch (r->kind) {
    case WD_REL_SCAN: break;
    case WD_REL_CALC: {
        wd_rel *in = r->in[0];
        uint32_t n = in->schema->nfields;
        if (!r->exprs) {
            memset(in->pd_used, 1, n);
            break;
        }
        for (uint32_t i = 0; i < r->nexprs; i++)
            if (r->pd_used[i] || i + 1 == r->nexprs || (int)i == r->unnest_col)
                mark_cols(r->exprs[i], in->pd_used, n);
        mark_cols(r->filter, in->pd_used, n);
        break;
    }
    case WD_REL_UNION:
        for (uint32_t i = 0; i < r->nin; i++) {
            uint32_t n = r->in[i]->schema->nfields;
            for (uint32_t f = 0; f < n && f < r->schema->nfields; f++)
                r->in[i]->pd_used[f] |= r->pd_used[f];
            r->in[i]->pd_used[n - 1] = true;
        }
        break;
    case WD_REL_AGG:
    case WD_REL_WINFN:
        memset(r->in[0]->pd_used, 1, r->in[0]->schema->nfields);
        break;
    case WD_REL_JOIN: prune_join(p, r); break;
    }
}

int wd_pl_pushdown(wd_plan_ctx *c)
{
    pd p = {.c = c};
    for (uint32_t i = 0; i < c->nouts; i++) visit(&p, c->outs[i].rel);
    if (p.cycle) return 0;
    /* consumers first: the reverse of the post-order */
    for (uint32_t a = 0, b = p.n ? p.n - 1 : 0; a < b; a++, b--) {
        wd_rel *t = p.order[a];
        p.order[a] = p.order[b];
        p.order[b] = t;
    }
    for (uint32_t i = 0; i < c->nouts; i++)
        memset(c->outs[i].rel->pd_used, 1, c->outs[i].rel->schema->nfields);
    for (uint32_t i = 0; i < p.n; i++) {
        wd_rel *r = p.order[i];
        if (r->kind == WD_REL_CALC && r->filter && r->unnest_col < 0 &&
            r->in[0]->kind == WD_REL_JOIN && r->in[0]->pd_refs == 1)
            push_filter(&p, r, r->in[0]);
    }
    for (uint32_t i = 0; i < p.n; i++) propagate(&p, p.order[i]);
    return 0;
}
