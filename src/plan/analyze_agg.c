/*
 * analyze_agg.c — GROUP BY, windows, aggregates and window functions.
 *
 * An aggregate query becomes three rels:
 *   pre calc  [keys…, aggregate arguments…, FILTER conditions…, _timestamp]
 *   aggregate [keys…, window?, aggregates…, _timestamp]   (ops/aggregate.h)
 *   post calc the SELECT list and HAVING over the aggregate's output.
 * SELECT items and HAVING are analyzed over the input with aggregate calls
 * and window calls turned into placeholders, then rewritten: a placeholder
 * becomes a reference to the aggregate's output column, an expression equal
 * to a GROUP BY key becomes a reference to that key, and any other input
 * column is an error ("must appear in GROUP BY …").
 *
 * Window functions work the same way around the window-function operator:
 *   pre calc  [input columns…, partition/order/argument expressions…, _timestamp]
 *   winfn     [pre columns…, one column per call, _timestamp]
 *   post calc the SELECT list.
 * Over an input without a window only ROW_NUMBER is accepted, as the
 * updating top-N: the winfn rel is marked updating and positioned at its
 * OVER clause; the enclosing query's `row_num <= N` (wd_an_detect_topn)
 * gives it its limit, and the planner refuses it without one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expr/func.h"
#include "plan/plan_int.h"

#define FAIL_AT(c, pos, code, ...) (wd_err_at((c)->err, (code), (pos), __VA_ARGS__), (void *)0)

/* A growable list of expressions. */
typedef struct exprs {
    uint32_t n, cap;
    wd_expr **v;
} exprs;

static uint32_t push(wd_plan_ctx *c, exprs *l, wd_expr *e)
{
    if (l->n == l->cap) {
        uint32_t nc = l->cap ? l->cap * 2 : 8;
        wd_expr **v = wd_arena_alloc(c->a, sizeof(wd_expr *) * nc);
        if (l->n) memcpy(v, l->v, sizeof(wd_expr *) * l->n);
        l->v = v;
        l->cap = nc;
    }
    l->v[l->n] = e;
    return l->n++;
}

/* Index of an equal expression in l, or push it. */
static uint32_t intern(wd_plan_ctx *c, exprs *l, wd_expr *e)
{
    for (uint32_t i = 0; i < l->n; i++)
        if (wd_expr_equal(l->v[i], e)) return i;
    return push(c, l, e);
}

/* ---- aggregate queries ------------------------------------------------------ */

typedef struct agg_call {
    const wd_agg_fn *fn;
    bool distinct;
    int arg;         /* index in pre (after keys) or -1 */
    int filter;      /* index in pre or -1 */
    const wd_type *ret;
    const wd_type *arg_type;
} agg_call;

typedef struct agg_ctx {
    const wd_scope *in;
    exprs keys;             /* GROUP BY keys (over the input) */
    exprs pre;              /* pre-calc columns after the keys */
    wd_win_kind win;
    int64_t width, slide, gap;
    wd_pos win_pos;
    const char *win_alias;  /* the SELECT alias of the window (… AS window) */
    uint32_t ncalls, capcalls;
    agg_call *calls;
} agg_ctx;

bool wd_an_is_window_call(const wd_ast_expr *e)
{
    return e && e->kind == WD_AX_CALL && !e->over &&
           (!strcmp(e->name, "tumble") || !strcmp(e->name, "hop") || !strcmp(e->name, "session"));
}

bool wd_an_has_wf(const wd_ast_expr *e)
{
    if (!e) return false;
    if (e->kind == WD_AX_CALL && e->over) return true;
    for (uint32_t i = 0; i < e->nargs; i++)
        if (wd_an_has_wf(e->args[i])) return true;
    return false;
}

/* A constant INTERVAL argument of a window function, as nanoseconds. */
static int window_width(wd_plan_ctx *c, const wd_ast_expr *arg, const char *fn, int64_t *out)
{
    wd_scope none = {0};
    wd_expr *e = wd_an_expr(c, &none, arg);
    if (!e) return -1;
    if (e->type->id != WD_T_INTERVAL || !wd_expr_is_const(e))
        return wd_err_at(c->err, WD_ETYPE, arg->pos,
                         "%s() takes constant intervals, e.g. interval '10 seconds'", fn);
    wd_col v;
    if (wd_expr_eval_const(e, c->a, &v, c->err) < 0) return -1;
    wd_interval iv = WD_COL_GET(&v, wd_interval, 0);
    if (iv.months)
        return wd_err_at(c->err, WD_EPLAN, arg->pos,
                         "%s(): intervals of months or years have no fixed length and cannot "
                         "size a window", fn);
    int64_t ns = wd_interval_ns(iv);
    if (ns <= 0)
        return wd_err_at(c->err, WD_EPLAN, arg->pos, "%s(): the interval must be positive", fn);
    *out = ns;
    return 0;
}

/* Parse tumble/hop/session(…) into kind and sizes. */
static int window_spec(wd_plan_ctx *c, const wd_ast_expr *e, wd_win_kind *kind, int64_t *width,
                       int64_t *slide, int64_t *gap)
{
    const char *n = e->name;
    uint32_t want = !strcmp(n, "hop") ? 2 : 1;
    if (e->nargs != want || e->star || e->distinct)
        return wd_err_at(c->err, WD_ESYNTAX, e->pos, "%s() takes %s", n,
                         want == 2 ? "two intervals: hop(slide, width)" : "one interval");
    *width = *slide = *gap = 0;
    if (!strcmp(n, "tumble")) {
        *kind = WD_WIN_TUMBLE;
        return window_width(c, e->args[0], n, width);
    }
    if (!strcmp(n, "session")) {
        *kind = WD_WIN_SESSION;
        return window_width(c, e->args[0], n, gap);
    }
    *kind = WD_WIN_HOP;
    if (window_width(c, e->args[0], n, slide) < 0 || window_width(c, e->args[1], n, width) < 0)
        return -1;
    if (*width % *slide)
        return wd_err_at(c->err, WD_EPLAN, e->args[1]->pos,
                         "hop(): the width must be a multiple of the slide");
    if (*width == *slide) *kind = WD_WIN_TUMBLE;
    return 0;
}

wd_expr *wd_an_window_call(wd_plan_ctx *c, const wd_scope *sc, const wd_ast_expr *e)
{
    agg_ctx *ac = c->agg;
    wd_win_kind k;
    int64_t w, s, g;
    if (window_spec(c, e, &k, &w, &s, &g) < 0) return NULL;
    if (ac->win == WD_WIN_NONE)
        return FAIL_AT(c, e->pos, WD_EPLAN, "%s() is selected but the query does not GROUP BY it",
                       e->name);
    if (k != ac->win || w != ac->width || s != ac->slide || g != ac->gap)
        return FAIL_AT(c, e->pos, WD_EPLAN, "this %s() differs from the window in GROUP BY",
                       e->name);
    wd_expr *r = wd_expr_col(c->a, 0, wd_window_type());
    r->flags |= WD_EXF_WINREF;
    r->pos = e->pos;
    return r;
}

wd_expr *wd_an_window_name(wd_plan_ctx *c, const char *name, wd_pos pos)
{
    agg_ctx *ac = c->agg;
    if (!ac || ac->win == WD_WIN_NONE || !ac->win_alias || strcasecmp(ac->win_alias, name))
        return NULL;
    wd_expr *r = wd_expr_col(c->a, 0, wd_window_type());
    r->flags |= WD_EXF_WINREF;
    r->pos = pos;
    return r;
}

wd_expr *wd_an_agg_call(wd_plan_ctx *c, const wd_scope *sc, const wd_ast_expr *e)
{
    agg_ctx *ac = c->agg;
    const wd_agg_fn *fn = wd_agg_find(e->name);
    if (!fn) return FAIL_AT(c, e->pos, WD_ENAME, "unknown aggregate function '%s'", e->name);
    if (e->star && strcmp(e->name, "count"))
        return FAIL_AT(c, e->pos, WD_ESYNTAX, "%s(*) is only valid for count(*)", e->name);
    uint32_t nargs = e->star ? 0 : e->nargs;
    if ((int)nargs < fn->min_args || (int)nargs > fn->max_args || nargs > 1)
        return FAIL_AT(c, e->pos, WD_ESYNTAX, "%s() takes %s", e->name,
                       fn->min_args == 0 ? "one argument or *" : "one argument");
    agg_call call = {.fn = fn, .distinct = e->distinct, .arg = -1, .filter = -1};
    /* arguments and FILTER are analyzed over the input; no nested aggregates */
    c->agg = NULL;
    wd_expr *arg = NULL, *filt = NULL;
    if (nargs) {
        arg = wd_an_expr(c, sc, e->args[0]);
        if (arg && arg->type->id == WD_T_NULL) arg = wd_an_coerce(c, arg, WD_TYPE_TEXT, e->pos, "NULL");
    }
    if (e->filter && (!nargs || arg))
        filt = wd_an_need_bool(c, wd_an_expr(c, sc, e->filter), "FILTER condition");
    c->agg = ac;
    if ((nargs && !arg) || (e->filter && !filt)) {
        if (c->err && c->err->code == 0) wd_err_at(c->err, WD_EPLAN, e->pos, "bad aggregate");
        if (strstr(c->err->msg, "is not allowed here"))
            wd_err_hint(c->err, "aggregate calls cannot be nested");
        return NULL;
    }
    wd_error e2 = {0};
    call.arg_type = arg ? arg->type : NULL;
    call.ret = fn->resolve(c->a, call.arg_type, &e2);
    if (!call.ret) {
        wd_err_at(c->err, e2.code ? e2.code : WD_ETYPE, e->pos, "%s",
                  e2.msg[0] ? e2.msg : "aggregate argument of the wrong type");
        return NULL;
    }
    if (arg) call.arg = (int)intern(c, &ac->pre, arg);
    if (filt) call.filter = (int)intern(c, &ac->pre, filt);
    uint32_t k;
    for (k = 0; k < ac->ncalls; k++) {
        agg_call *o = &ac->calls[k];
        if (o->fn == call.fn && o->distinct == call.distinct && o->arg == call.arg &&
            o->filter == call.filter)
            break;
    }
    if (k == ac->ncalls) {
        if (ac->ncalls == ac->capcalls) {
            uint32_t nc = ac->capcalls ? ac->capcalls * 2 : 8;
            agg_call *v = wd_arena_alloc(c->a, sizeof *v * nc);
            if (ac->ncalls) memcpy(v, ac->calls, sizeof *v * ac->ncalls);
            ac->calls = v;
            ac->capcalls = nc;
        }
        ac->calls[ac->ncalls++] = call;
    }
    wd_expr *r = wd_expr_col(c->a, (int)k, call.ret);
    r->flags |= WD_EXF_AGGREF;
    r->pos = e->pos;
    return r;
}

/* Rewrite an expression analyzed over the input into one over the
 * aggregate's output [keys…, window?, aggs…, _timestamp]. */
static wd_expr *post_rewrite(wd_plan_ctx *c, agg_ctx *ac, const wd_scope *in, wd_expr *e)
{
    uint32_t nk = ac->keys.n, wcol = nk, a0 = nk + (ac->win != WD_WIN_NONE);
    if (e->flags & WD_EXF_AGGREF) {
        wd_expr *r = wd_expr_col(c->a, (int)(a0 + (uint32_t)e->col), e->type);
        r->pos = e->pos;
        return r;
    }
    if (e->flags & WD_EXF_WINREF) {
        wd_expr *r = wd_expr_col(c->a, (int)wcol, e->type);
        r->pos = e->pos;
        return r;
    }
    for (uint32_t i = 0; i < nk; i++)
        if (wd_expr_equal(e, ac->keys.v[i])) {
            wd_expr *r = wd_expr_col(c->a, (int)i, e->type);
            r->pos = e->pos;
            return r;
        }
    if (e->kind == WD_EX_COL) {
        const char *name = e->col >= 0 && (uint32_t)e->col < in->n ? in->schema->fields[e->col].name : "?";
        if (wd_field_is_hidden(name)) {
            /* the event time of an aggregate's output row */
            return wd_expr_col(c->a, (int)(a0 + ac->ncalls), WD_TYPE_TIMESTAMP);
        }
        wd_err_at(c->err, WD_EPLAN, e->pos,
                  "column '%s' must appear in GROUP BY or be used in an aggregate function", name);
        return NULL;
    }
    if (e->nargs == 0) return e;
    wd_expr *x = wd_arena_alloc(c->a, sizeof *x);
    *x = *e;
    x->args = wd_arena_alloc(c->a, sizeof(wd_expr *) * e->nargs);
    for (uint32_t i = 0; i < e->nargs; i++)
        if (!(x->args[i] = post_rewrite(c, ac, in, e->args[i]))) return NULL;
    return x;
}

/* The SELECT item a GROUP BY entry refers to: a position or an alias. */
static const wd_ast_expr *group_target(wd_plan_ctx *c, const wd_ast_select *s, const wd_scope *sc,
                                       const wd_ast_expr *g)
{
    if (g->kind == WD_AX_INT) {
        long k = strtol(g->text, NULL, 10);
        if (k < 1 || (uint32_t)k > s->nitems)
            return FAIL_AT(c, g->pos, WD_EPLAN, "GROUP BY position %s is not in the SELECT list "
                                                "(1 to %u)", g->text, s->nitems);
        const wd_ast_expr *t = s->items[k - 1].expr;
        if (t->kind == WD_AX_STAR)
            return FAIL_AT(c, g->pos, WD_EPLAN, "GROUP BY %ld refers to '*'", k);
        return t;
    }
    if (g->kind == WD_AX_NAME && g->nparts == 1) {
        /* a SELECT alias of a window (… AS window) names that window, even
         * over an input column `window` of an inner windowed query */
        for (uint32_t i = 0; i < s->nitems; i++)
            if (s->items[i].alias && !strcasecmp(s->items[i].alias, g->parts[0]) &&
                wd_an_is_window_call(s->items[i].expr))
                return s->items[i].expr;
        /* otherwise an input column wins over a SELECT alias, as in PostgreSQL */
        for (uint32_t i = 0; i < sc->n; i++)
            if (!strcasecmp(sc->schema->fields[i].name, g->parts[0])) return g;
        for (uint32_t i = 0; i < s->nitems; i++)
            if (s->items[i].alias && !strcasecmp(s->items[i].alias, g->parts[0]))
                return s->items[i].expr;
    }
    return g;
}

static wd_rel *calc_over(wd_plan_ctx *c, wd_rel *in, const wd_expr *filter, exprs *cols,
                         const char *const *names, wd_pos pos)
{
    wd_rel *r = wd_an_new_rel(c, WD_REL_CALC, pos);
    r->nin = 1;
    r->in = wd_arena_alloc(c->a, sizeof(wd_rel *));
    r->in[0] = in;
    r->filter = filter;
    uint32_t n = cols->n;
    wd_field *f = wd_arena_calloc(c->a, sizeof *f * (n + 1));
    for (uint32_t i = 0; i < n; i++) {
        f[i].name = names ? names[i] : wd_arena_printf(c->a, "_c%u", i);
        f[i].type = cols->v[i]->type;
        f[i].nullable = true;
    }
    r->schema = wd_schema_make(c->a, n, f);
    r->nexprs = n + 1;
    r->exprs = wd_arena_alloc(c->a, sizeof(wd_expr *) * (n + 1));
    if (n) memcpy(r->exprs, cols->v, sizeof(wd_expr *) * n); /* cols->v is NULL when n = 0 */
    uint32_t ts = wd_schema_ts_index(in->schema);
    r->exprs[n] = wd_expr_col(c->a, (int)ts, WD_TYPE_TIMESTAMP);
    r->quals = wd_arena_calloc(c->a, sizeof(char *) * (n + 1));
    r->updating = in->updating;
    if (filter) wd_an_detect_topn(r); /* WHERE row_num <= N before a GROUP BY, … */
    return r;
}

/* Analyze the SELECT list (and HAVING) over the input, then rewrite them. */
static int select_items(wd_plan_ctx *c, const wd_ast_select *s, const wd_scope *sc, exprs *out,
                        const char ***names_out)
{
    const char **names = wd_arena_calloc(c->a, sizeof(char *) * (s->nitems + 1));
    for (uint32_t i = 0; i < s->nitems; i++) {
        const wd_ast_select_item *it = &s->items[i];
        if (it->expr->kind == WD_AX_STAR)
            return wd_err_at(c->err, WD_EPLAN, it->expr->pos,
                             "'*' cannot be selected in an aggregate query: name the columns");
        wd_expr *e = wd_an_expr(c, sc, it->expr);
        if (!e) return -1;
        if (e->type->id == WD_T_NULL) e = wd_an_coerce(c, e, WD_TYPE_TEXT, it->expr->pos, "NULL");
        push(c, out, e);
        names[i] = it->alias ? it->alias : wd_an_item_name(c, it->expr, i + 1);
        if (!it->alias && wd_an_is_window_call(it->expr)) names[i] = "window";
        if (wd_field_is_hidden(names[i]))
            return wd_err_at(c->err, WD_ENAME, it->alias ? it->alias_pos : it->expr->pos,
                             "'%s' is the name of the hidden event-time column", names[i]);
    }
    for (uint32_t i = 0; i < s->nitems; i++)
        for (uint32_t j = 0; j < i; j++)
            if (!strcasecmp(names[i], names[j])) {
                names[i] = wd_arena_printf(c->a, "%s_%u", names[i], i + 1);
                j = (uint32_t)-1;
            }
    *names_out = names;
    return 0;
}

wd_rel *wd_an_select_agg(wd_plan_ctx *c, const wd_ast_select *s, wd_rel *in, const wd_expr *where)
{
    wd_scope sc = wd_an_scope(c, in, NULL);
    agg_ctx ac = {.in = &sc, .win = WD_WIN_NONE};
    /* GROUP BY: keys and at most one window */
    for (uint32_t i = 0; i < s->ngroup; i++) {
        const wd_ast_expr *g = group_target(c, s, &sc, s->group[i]);
        if (!g) return NULL;
        if (wd_an_has_aggregate(g))
            return FAIL_AT(c, s->group[i]->pos, WD_EPLAN, "aggregate functions are not allowed "
                                                          "in GROUP BY");
        if (wd_an_is_window_call(g)) {
            if (ac.win != WD_WIN_NONE)
                return FAIL_AT(c, s->group[i]->pos, WD_EPLAN, "only one window per GROUP BY");
            if (window_spec(c, g, &ac.win, &ac.width, &ac.slide, &ac.gap) < 0) return NULL;
            ac.win_pos = g->pos;
            continue;
        }
        wd_expr *k = wd_an_expr(c, &sc, g);
        if (!k) return NULL;
        if (k->type->id == WD_T_NULL) k = wd_an_coerce(c, k, WD_TYPE_TEXT, g->pos, "NULL");
        intern(c, &ac.keys, k);
    }
    /* SELECT list and HAVING, with aggregates as placeholders; the window's
     * alias may be used in them (window.start) */
    for (uint32_t i = 0; i < s->nitems; i++)
        if (s->items[i].alias && wd_an_is_window_call(s->items[i].expr))
            ac.win_alias = s->items[i].alias;
    c->agg = &ac;
    exprs items = {0};
    const char **names = NULL;
    int rc = select_items(c, s, &sc, &items, &names);
    wd_expr *having = NULL;
    if (rc == 0 && s->having)
        having = wd_an_need_bool(c, wd_an_expr(c, &sc, s->having), "HAVING condition");
    c->agg = NULL;
    if (rc < 0 || (s->having && !having)) return NULL;

    if (in->updating) {
        /* retractions in the input: only an updating aggregate whose
         * functions can take values back may consume them */
        if (ac.win != WD_WIN_NONE)
            return FAIL_AT(c, ac.win_pos, WD_EUNSUPPORTED,
                           "a window over an updating input is not supported yet");
        for (uint32_t i = 0; i < ac.ncalls; i++)
            if (!(ac.calls[i].fn->flags & WD_AGG_RETRACT) || ac.calls[i].distinct)
                return FAIL_AT(c, s->pos, WD_EUNSUPPORTED,
                               "%s%s() cannot take an updating input: it cannot retract values",
                               ac.calls[i].fn->name, ac.calls[i].distinct ? " DISTINCT" : "");
    }
    /* pre calc: keys, then arguments and filters */
    exprs pre = {0};
    for (uint32_t i = 0; i < ac.keys.n; i++) push(c, &pre, ac.keys.v[i]);
    for (uint32_t i = 0; i < ac.pre.n; i++) push(c, &pre, ac.pre.v[i]);
    wd_rel *prel = calc_over(c, in, where, &pre, NULL, s->pos);

    /* aggregate */
    wd_aggregate_spec *spec = wd_arena_calloc(c->a, sizeof *spec);
    spec->win = ac.win;
    spec->width_ns = ac.width;
    spec->slide_ns = ac.slide;
    spec->gap_ns = ac.gap;
    spec->nkeys = ac.keys.n;
    spec->naggs = ac.ncalls;
    spec->aggs = wd_arena_calloc(c->a, sizeof(wd_agg_spec) * (ac.ncalls + 1));
    spec->ttl_ns = c->updating_ttl_ns;
    spec->flush_ns = WD_NS_PER_SEC;
    for (uint32_t i = 0; i < ac.ncalls; i++) {
        wd_agg_spec *a = &spec->aggs[i];
        a->fn = ac.calls[i].fn;
        a->arg_type = ac.calls[i].arg_type;
        a->ret = ac.calls[i].ret;
        a->distinct = ac.calls[i].distinct;
        a->arg_col = ac.calls[i].arg >= 0 ? (int)ac.keys.n + ac.calls[i].arg : -1;
        a->arg2_col = -1;
        a->filter_col = ac.calls[i].filter >= 0 ? (int)ac.keys.n + ac.calls[i].filter : -1;
    }
    wd_agg_layout(spec->aggs, spec->naggs);
    uint32_t nout = ac.keys.n + (ac.win != WD_WIN_NONE) + ac.ncalls;
    wd_field *f = wd_arena_calloc(c->a, sizeof *f * (nout + 1));
    uint32_t k = 0;
    for (uint32_t i = 0; i < ac.keys.n; i++, k++) {
        f[k].name = wd_arena_printf(c->a, "_key%u", i);
        f[k].type = ac.keys.v[i]->type;
        f[k].nullable = true;
    }
    if (ac.win != WD_WIN_NONE) {
        f[k].name = "window";
        f[k].type = wd_window_type();
        k++;
    }
    for (uint32_t i = 0; i < ac.ncalls; i++, k++) {
        f[k].name = wd_arena_printf(c->a, "_agg%u", i);
        f[k].type = ac.calls[i].ret;
        f[k].nullable = true;
    }
    wd_rel *ar = wd_an_new_rel(c, WD_REL_AGG, s->pos);
    ar->nin = 1;
    ar->in = wd_arena_alloc(c->a, sizeof(wd_rel *));
    ar->in[0] = prel;
    ar->agg = spec;
    ar->schema = wd_schema_make(c->a, nout, f);
    ar->quals = wd_arena_calloc(c->a, sizeof(char *) * (nout + 1));
    ar->updating = ac.win == WD_WIN_NONE;

    /* post calc: SELECT list and HAVING over the aggregate's output */
    for (uint32_t i = 0; i < items.n; i++)
        if (!(items.v[i] = post_rewrite(c, &ac, &sc, items.v[i]))) return NULL;
    if (having && !(having = post_rewrite(c, &ac, &sc, having))) return NULL;
    wd_rel *post = calc_over(c, ar, having, &items, names, s->pos);
    return post;
}

/* ---- window functions ------------------------------------------------------ */

typedef struct wf_ctx {
    exprs extra;                 /* computed pre-calc columns after the input's */
    uint32_t nin;                /* input columns (without _timestamp) */
    bool have_spec;
    exprs part, order;           /* of the (single) OVER clause */
    bool *desc, *nulls_first;
    uint32_t ncalls, capcalls;
    wd_wf_call *calls;
    wd_pos pos;
    bool unwindowed;             /* no window among the partition keys: a top-N */
} wf_ctx;

static int pre_col(wd_plan_ctx *c, wf_ctx *w, wd_expr *e)
{
    if (e->kind == WD_EX_COL && !(e->flags & ~0u) && (uint32_t)e->col < w->nin) return e->col;
    return (int)(w->nin + intern(c, &w->extra, e));
}

wd_expr *wd_an_wf_call(wd_plan_ctx *c, const wd_scope *sc, const wd_ast_expr *e)
{
    wf_ctx *w = c->wf;
    const wd_ast_window *ov = e->over;
    /* the OVER clause: one per SELECT (all calls share it) */
    exprs part = {0}, order = {0};
    c->wf = NULL;
    for (uint32_t i = 0; i < ov->npartition; i++) {
        wd_expr *x = wd_an_expr(c, sc, ov->partition[i]);
        if (!x) { c->wf = w; return NULL; }
        push(c, &part, x);
    }
    bool *desc = wd_arena_calloc(c->a, ov->norder + 1), *nf = wd_arena_calloc(c->a, ov->norder + 1);
    for (uint32_t i = 0; i < ov->norder; i++) {
        wd_expr *x = wd_an_expr(c, sc, ov->order[i].expr);
        if (!x) { c->wf = w; return NULL; }
        push(c, &order, x);
        desc[i] = ov->order[i].desc;
        nf[i] = ov->order[i].nulls ? ov->order[i].nulls == 1 : ov->order[i].desc;
    }
    c->wf = w;
    if (ov->frame.present)
        return FAIL_AT(c, ov->pos, WD_EUNSUPPORTED, "window frames (ROWS/RANGE …) are not supported yet");
    bool windowed = false;
    for (uint32_t i = 0; i < part.n; i++)
        windowed |= wd_type_eq(part.v[i]->type, wd_window_type());
    /* over a plain stream only ROW_NUMBER, as an updating top-N (whether
     * a row_num <= N filter follows is checked when it is planned) */
    if (!windowed && strcmp(e->name, "row_number") != 0) {
        wd_err_at(c->err, WD_EPLAN, ov->pos,
                  "window functions need windowed input: PARTITION BY the window of a "
                  "windowed aggregate (e.g. PARTITION BY window)");
        wd_err_hint(c->err, "over a stream without a window only the top-N form is supported: "
                            "ROW_NUMBER() OVER (PARTITION BY … ORDER BY …) AS row_num in a "
                            "subquery, and WHERE row_num <= N around it");
        return NULL;
    }
    if (!w->have_spec) {
        w->unwindowed = !windowed;
        w->have_spec = true;
        w->part = part;
        w->order = order;
        w->desc = desc;
        w->nulls_first = nf;
        w->pos = ov->pos;
    } else {
        bool same = part.n == w->part.n && order.n == w->order.n;
        for (uint32_t i = 0; same && i < part.n; i++) same = wd_expr_equal(part.v[i], w->part.v[i]);
        for (uint32_t i = 0; same && i < order.n; i++)
            same = wd_expr_equal(order.v[i], w->order.v[i]) && desc[i] == w->desc[i];
        if (!same)
            return FAIL_AT(c, ov->pos, WD_EUNSUPPORTED,
                           "window functions with different OVER clauses in one SELECT are not "
                           "supported yet");
    }
    wd_wf_call call = {.arg_col = -1, .default_col = -1, .offset = 1};
    const char *n = e->name;
    if (!strcmp(n, "row_number") || !strcmp(n, "rank") || !strcmp(n, "dense_rank")) {
        if (e->nargs) return FAIL_AT(c, e->pos, WD_ESYNTAX, "%s() takes no arguments", n);
        call.kind = !strcmp(n, "row_number") ? WD_WF_ROW_NUMBER
                    : !strcmp(n, "rank")     ? WD_WF_RANK
                                             : WD_WF_DENSE_RANK;
        call.ret = WD_TYPE_INT64;
    } else if (!strcmp(n, "lag") || !strcmp(n, "lead")) {
        if (e->nargs < 1 || e->nargs > 3)
            return FAIL_AT(c, e->pos, WD_ESYNTAX, "%s(value [, offset [, default]])", n);
        call.kind = !strcmp(n, "lag") ? WD_WF_LAG : WD_WF_LEAD;
        c->wf = NULL;
        wd_expr *v = wd_an_expr(c, sc, e->args[0]);
        wd_expr *off = v && e->nargs > 1 ? wd_an_expr(c, sc, e->args[1]) : NULL;
        wd_expr *def = v && e->nargs > 2 ? wd_an_expr(c, sc, e->args[2]) : NULL;
        c->wf = w;
        if (!v || (e->nargs > 1 && !off) || (e->nargs > 2 && !def)) return NULL;
        if (off) {
            wd_col oc;
            if (off->type->id != WD_T_INT64 || !wd_expr_is_const(off) ||
                wd_expr_eval_const(off, c->a, &oc, c->err) < 0 || !wd_col_valid(&oc, 0) ||
                WD_COL_GET(&oc, int64_t, 0) < 0)
                return FAIL_AT(c, e->args[1]->pos, WD_EPLAN, "%s(): the offset must be a "
                                                              "non-negative integer constant", n);
            call.offset = WD_COL_GET(&oc, int64_t, 0);
        }
        if (def) {
            def = wd_an_coerce(c, def, v->type, e->args[2]->pos, "default");
            if (!def) return NULL;
            call.default_col = pre_col(c, w, def);
        }
        call.arg_col = pre_col(c, w, v);
        call.ret = v->type;
    } else {
        const wd_agg_fn *fn = wd_agg_find(n);
        if (!fn)
            return FAIL_AT(c, e->pos, WD_ENAME, "unknown window function '%s'", n);
        if (e->distinct || e->filter)
            return FAIL_AT(c, e->pos, WD_EUNSUPPORTED, "DISTINCT and FILTER in window aggregates "
                                                        "are not supported yet");
        call.kind = WD_WF_AGG;
        wd_expr *v = NULL;
        if (!e->star) {
            if (e->nargs != 1) return FAIL_AT(c, e->pos, WD_ESYNTAX, "%s() takes one argument", n);
            c->wf = NULL;
            v = wd_an_expr(c, sc, e->args[0]);
            c->wf = w;
            if (!v) return NULL;
        }
        wd_error e2 = {0};
        const wd_type *ret = fn->resolve(c->a, v ? v->type : NULL, &e2);
        if (!ret) {
            wd_err_at(c->err, e2.code ? e2.code : WD_ETYPE, e->pos, "%s", e2.msg);
            return NULL;
        }
        call.agg.fn = fn;
        call.agg.arg_type = v ? v->type : NULL;
        call.agg.ret = ret;
        call.agg.arg_col = v ? pre_col(c, w, v) : -1;
        call.agg.arg2_col = -1;
        call.agg.filter_col = -1;
        wd_agg_layout(&call.agg, 1);
        call.ret = ret;
    }
    if (w->ncalls == w->capcalls) {
        uint32_t nc = w->capcalls ? w->capcalls * 2 : 4;
        wd_wf_call *v = wd_arena_alloc(c->a, sizeof *v * nc);
        if (w->ncalls) memcpy(v, w->calls, sizeof *v * w->ncalls);
        w->calls = v;
        w->capcalls = nc;
    }
    w->calls[w->ncalls] = call;
    wd_expr *r = wd_expr_col(c->a, (int)w->ncalls++, call.ret);
    r->flags |= WD_EXF_WFREF;
    r->pos = e->pos;
    return r;
}

/* Rewrite over the window-function output [pre…, calls…, _timestamp]. */
static wd_expr *wf_rewrite(wd_plan_ctx *c, wf_ctx *w, wd_expr *e, uint32_t npre)
{
    if (e->flags & WD_EXF_WFREF) {
        wd_expr *r = wd_expr_col(c->a, (int)(npre + (uint32_t)e->col), e->type);
        r->pos = e->pos;
        return r;
    }
    if (e->kind == WD_EX_COL) {
        /* input columns keep their index; _timestamp moves to the end */
        if ((uint32_t)e->col == w->nin)
            return wd_expr_col(c->a, (int)(npre + w->ncalls), WD_TYPE_TIMESTAMP);
        return e;
    }
    if (e->nargs == 0) return e;
    wd_expr *x = wd_arena_alloc(c->a, sizeof *x);
    *x = *e;
    x->args = wd_arena_alloc(c->a, sizeof(wd_expr *) * e->nargs);
    for (uint32_t i = 0; i < e->nargs; i++) x->args[i] = wf_rewrite(c, w, e->args[i], npre);
    return x;
}

wd_rel *wd_an_select_winfn(wd_plan_ctx *c, const wd_ast_select *s, wd_rel *in, const wd_expr *where)
{
    wd_scope sc = wd_an_scope(c, in, NULL);
    wf_ctx w = {.nin = in->schema->nfields - 1};
    /* SELECT list: `*` expands to the input columns */
    exprs items = {0};
    uint32_t cap = s->nitems + sc.n + 1;
    const char **names = wd_arena_calloc(c->a, sizeof(char *) * cap);
    c->wf = &w;
    for (uint32_t i = 0; i < s->nitems; i++) {
        const wd_ast_select_item *it = &s->items[i];
        if (it->expr->kind == WD_AX_STAR) {
            for (uint32_t k = 0; k < w.nin; k++) {
                if (it->expr->nparts == 1 &&
                    !(sc.quals[k] && !strcasecmp(sc.quals[k], it->expr->parts[0])))
                    continue;
                wd_an_mark_needed(&sc, k);
                names[items.n] = sc.schema->fields[k].name;
                push(c, &items, wd_expr_col(c->a, (int)k, sc.schema->fields[k].type));
            }
            continue;
        }
        wd_expr *e = wd_an_expr(c, &sc, it->expr);
        if (!e) { c->wf = NULL; return NULL; }
        names[items.n] = it->alias ? it->alias : wd_an_item_name(c, it->expr, i + 1);
        push(c, &items, e);
    }
    c->wf = NULL;
    if (in->updating && w.unwindowed) {
        wd_err_at(c->err, WD_EUNSUPPORTED, w.pos,
                  "ROW_NUMBER() over an updating input (one with retractions) is not supported");
        wd_err_hint(c->err, "a top-N keeps only its best rows per partition: it cannot "
                            "replace a top row that the input retracts");
        return NULL;
    }
    if (in->updating)
        return FAIL_AT(c, s->pos, WD_EUNSUPPORTED,
                       "window functions over an updating input are not supported yet");
    for (uint32_t i = 0; i < items.n; i++)
        for (uint32_t j = 0; j < i; j++)
            if (!strcasecmp(names[i], names[j])) {
                names[i] = wd_arena_printf(c->a, "%s_%u", names[i], i + 1);
                j = (uint32_t)-1;
            }
    /* partition and order columns */
    int *pc = wd_arena_alloc(c->a, sizeof(int) * (w.part.n + 1));
    for (uint32_t i = 0; i < w.part.n; i++) pc[i] = pre_col(c, &w, w.part.v[i]);
    wd_sort_key *ok = wd_arena_alloc(c->a, sizeof *ok * (w.order.n + 1));
    for (uint32_t i = 0; i < w.order.n; i++) {
        ok[i].col = pre_col(c, &w, w.order.v[i]);
        ok[i].desc = w.desc[i];
        ok[i].nulls_first = w.nulls_first[i];
    }
    /* pre calc: input columns, then the extra expressions */
    exprs pre = {0};
    for (uint32_t i = 0; i < w.nin; i++)
        push(c, &pre, wd_expr_col(c->a, (int)i, in->schema->fields[i].type));
    for (uint32_t i = 0; i < w.extra.n; i++) push(c, &pre, w.extra.v[i]);
    const char **pnames = wd_arena_calloc(c->a, sizeof(char *) * (pre.n + 1));
    for (uint32_t i = 0; i < pre.n; i++)
        pnames[i] = i < w.nin ? in->schema->fields[i].name : wd_arena_printf(c->a, "_wf%u", i);
    for (uint32_t i = 0; i < w.nin; i++) wd_an_mark_needed(&sc, i);
    wd_rel *prel = calc_over(c, in, where, &pre, pnames, s->pos);

    wd_winfn_spec *spec = wd_arena_calloc(c->a, sizeof *spec);
    spec->npart = w.part.n;
    spec->part_cols = pc;
    spec->norder = w.order.n;
    spec->order = ok;
    spec->ncalls = w.ncalls;
    spec->calls = w.calls;
    spec->updating = w.unwindowed;
    spec->ttl_ns = c->updating_ttl_ns;
    uint32_t nout = pre.n + w.ncalls;
    wd_field *f = wd_arena_calloc(c->a, sizeof *f * (nout + 1));
    for (uint32_t i = 0; i < pre.n; i++) f[i] = prel->schema->fields[i];
    for (uint32_t i = 0; i < w.ncalls; i++) {
        f[pre.n + i].name = wd_arena_printf(c->a, "_call%u", i);
        f[pre.n + i].type = w.calls[i].ret;
        f[pre.n + i].nullable = true;
    }
    /* an unwindowed one is refused at the OVER clause unless it is a top-N */
    wd_rel *wr = wd_an_new_rel(c, WD_REL_WINFN, w.unwindowed ? w.pos : s->pos);
    wr->updating = w.unwindowed;
    wr->nin = 1;
    wr->in = wd_arena_alloc(c->a, sizeof(wd_rel *));
    wr->in[0] = prel;
    wr->winfn = spec;
    wr->schema = wd_schema_make(c->a, nout, f);
    wr->quals = wd_arena_calloc(c->a, sizeof(char *) * (nout + 1));

    for (uint32_t i = 0; i < items.n; i++) items.v[i] = wf_rewrite(c, &w, items.v[i], pre.n);
    return calc_over(c, wr, NULL, &items, names, s->pos);
}

/* ---- top-N ------------------------------------------------------------------- */

/* rank <= N, rank < N, rank = 1 (and the mirrored forms) → N, else 0 */
static int64_t rank_bound(const wd_expr *f, int *col)
{
    if (f->kind != WD_EX_CALL || f->nargs != 2 || !f->fn) return 0;
    const char *op = f->fn->name;
    const wd_expr *a = f->args[0], *b = f->args[1];
    bool flip = false;
    if (a->kind == WD_EX_LIT) {
        const wd_expr *t = a;
        a = b;
        b = t;
        flip = true;
    }
    if (a->kind != WD_EX_COL || b->kind != WD_EX_LIT || b->type->id != WD_T_INT64 ||
        !wd_col_valid(&b->lit, 0))
        return 0;
    int64_t v = WD_COL_GET(&b->lit, int64_t, 0);
    *col = a->col;
    if (!strcmp(op, "=")) return v == 1 ? 1 : 0;
    if (!strcmp(op, flip ? ">=" : "<=")) return v;
    if (!strcmp(op, flip ? ">" : "<")) return v - 1;
    return 0;
}

/* Whether e reads the rank: column col of the window functions' output,
 * through the projection calc when there is one. */
static bool reads_rank(const wd_expr *e, const wd_rel *calc, int col)
{
    if (e->kind == WD_EX_COL) {
        if (!calc) return e->col == col;
        return e->col >= 0 && (uint32_t)e->col < calc->nexprs &&
               reads_rank(calc->exprs[e->col], NULL, col);
    }
    for (uint32_t i = 0; i < e->nargs; i++)
        if (reads_rank(e->args[i], calc, col)) return true;
    return false;
}

/* The conjuncts of f (nested ANDs flattened) into out[0..max); their count. */
static uint32_t conjuncts(const wd_expr *f, const wd_expr **out, uint32_t n, uint32_t max)
{
    if (f->kind != WD_EX_AND) {
        if (n < max) out[n] = f;
        return n + 1;
    }
    for (uint32_t i = 0; i < f->nargs; i++) n = conjuncts(f->args[i], out, n, max);
    return n;
}

void wd_an_detect_topn(wd_rel *r)
{
    wd_rel *in = r->in[0], *calc = NULL;
    /* through a projection down to the window functions */
    if (in->kind == WD_REL_CALC && !in->filter && in->unnest_col < 0) {
        calc = in;
        in = in->in[0];
    }
    if (in->kind != WD_REL_WINFN || in->winfn->ncalls != 1) return;
    wd_wf_kind k = in->winfn->calls[0].kind;
    if (!(k == WD_WF_ROW_NUMBER || k == WD_WF_RANK || k == WD_WF_DENSE_RANK)) return;
    int rank = (int)(in->schema->nfields - 1 - in->winfn->ncalls);
    enum { MAXC = 32 };
    const wd_expr *conj[MAXC];
    uint32_t n = conjuncts(r->filter, conj, 0, MAXC);
    if (n > MAXC) return;
    /* the smallest bound on the rank; whether anything else reads it */
    int64_t best = 0;
    bool other = false;
    for (uint32_t i = 0; i < n; i++) {
        int c2 = -1;
        int64_t b = rank_bound(conj[i], &c2);
        const wd_expr *x = calc && c2 >= 0 && (uint32_t)c2 < calc->nexprs ? calc->exprs[c2] : NULL;
        if (b > 0 && (calc ? x && x->kind == WD_EX_COL && x->col == rank : c2 == rank)) {
            best = best && best < b ? best : b;
            continue;
        }
        other |= reads_rank(conj[i], calc, rank);
    }
    if (best <= 0) return;
    for (uint32_t i = 0; i < r->nexprs && !other; i++) other = reads_rank(r->exprs[i], calc, rank);
    wd_winfn_spec *spec = in->winfn;
    if (spec->limit > 0) { /* a second reader (never seen: each FROM analyzes its own) */
        spec->limit = spec->limit > best ? spec->limit : best;
        spec->rank_hidden = false;
        return;
    }
    spec->limit = best;
    spec->rank_hidden = !other;
}
