/*
 * planner.c — rels to dataflow-graph nodes, and wd_plan_compile.
 *
 * A scan becomes source → [calc for generated columns and event time] →
 * watermark; a calc becomes a calc node (a calc over a calc with no filter
 * in between is merged by substitution); a union becomes a union node fed
 * by every input; each sink table becomes one sink node fed by every
 * INSERT into it.  Every node runs at the job's parallelism with forward
 * edges, so a stateless query fuses into one chain per subtask.
 */
#include <string.h>

#include "common/buf.h"
#include "expr/func.h"
#include "ops/op.h"
#include "plan/plan_int.h"
#include "sql/sql.h"

/* A source with no data for this long is idle (option idle_micros). */
#define WD_DEFAULT_IDLE_NS (5 * WD_NS_PER_SEC)

static wd_node *add_node(wd_plan_ctx *c, wd_node_kind k, const char *name, const wd_op_vt *vt,
                         const wd_type *out)
{
    wd_node *n = wd_graph_add_node(c->g, k, name);
    n->vt = vt;
    n->parallelism = c->parallelism;
    n->out_schema = out;
    n->ninputs = 1;
    return n;
}

/* Connect from → to: forward when the parallelism matches, else rebalanced. */
static void connect(wd_plan_ctx *c, wd_node *from, wd_node *to)
{
    wd_graph_connect(c->g, from, to, 0,
                     from->parallelism == to->parallelism ? WD_E_FORWARD : WD_E_REBALANCE);
    if (!to->in_schemas) {
        to->in_schemas = wd_arena_alloc(&c->g->arena, sizeof(wd_type *));
        to->in_schemas[0] = from->out_schema;
    }
}

static const char *calc_label(wd_plan_ctx *c, const wd_expr *filter, uint32_t n,
                              const wd_expr *const *exprs, int unnest)
{
    wd_buf b = WD_BUF_INIT;
    if (filter) {
        wd_buf_puts(&b, "filter: ");
        wd_expr_print(filter, &b);
        wd_buf_puts(&b, " ");
    }
    wd_buf_puts(&b, "project: ");
    for (uint32_t i = 0; i + 1 < n; i++) {
        if (i) wd_buf_puts(&b, ", ");
        if ((int)i == unnest) wd_buf_puts(&b, "unnest(");
        wd_expr_print(exprs[i], &b);
        if ((int)i == unnest) wd_buf_puts(&b, ")");
    }
    const char *s = wd_arena_strdup(c->a, b.data ? b.data : "");
    wd_buf_free(&b);
    return s;
}

static wd_node *plan_scan(wd_plan_ctx *c, wd_rel *r)
{
    wd_table *t = r->table;
    const wd_type *s = t->schema;
    uint32_t ts = wd_schema_ts_index(s);
    /* The source produces the physical columns + _timestamp. */
    wd_field *pf = wd_arena_calloc(c->a, sizeof *pf * (t->nphys + 1));
    for (uint32_t i = 0; i < t->nphys; i++) pf[i] = s->fields[i];
    const wd_type *phys = wd_schema_make(c->a, t->nphys, pf);
    bool *needed = wd_arena_calloc(c->a, t->nphys + 1);
    for (uint32_t i = 0; i < t->nphys; i++) needed[i] = r->needed[i];
    needed[t->nphys] = true;
    /* what generated columns, event time and watermark read */
    bool derive = t->event_col >= 0 || t->nphys + 1 != s->nfields;
    for (uint32_t i = t->nphys; i < ts; i++)
        if (r->needed[i]) {
            for (uint32_t k = 0; k < t->nphys; k++) needed[k] = true; /* conservative */
        }
    if (t->event_col >= 0) needed[t->event_col < (int)t->nphys ? t->event_col : 0] = true;
    if (t->wm)
        for (uint32_t k = 0; k < t->nphys; k++) needed[k] = true;

    wd_buf b = WD_BUF_INIT;
    for (uint32_t i = 0; i < t->opts.n; i++) {
        if (!strcmp(t->opts.kv[i].key, "connector")) continue;
        wd_buf_printf(&b, "%s%s=%s", b.len ? " " : "", t->opts.kv[i].key, t->opts.kv[i].val);
    }
    wd_node *src = add_node(c, WD_N_SOURCE, wd_arena_printf(c->a, "source:%s", t->conn->name), NULL,
                            phys);
    src->label = wd_arena_printf(c->a, "%s %s", t->name, b.data ? b.data : "");
    wd_buf_free(&b);
    src->ninputs = 0;
    src->conn = t->conn;
    src->opts = t->opts;
    src->needed = needed;
    src->bounded = t->conn->bounded;
    src->updating = t->updating;
    wd_node *last = src;

    if (derive) {
        /* generated columns, and _timestamp from the event-time column */
        const wd_expr **ex = wd_arena_alloc(c->a, sizeof(wd_expr *) * s->nfields);
        for (uint32_t i = 0; i < ts; i++)
            ex[i] = i < t->nphys ? wd_expr_col(c->a, (int)i, s->fields[i].type) : t->gen[i];
        ex[ts] = t->event_col >= 0 ? (const wd_expr *)wd_expr_col(c->a, t->event_col, WD_TYPE_TIMESTAMP)
                                   : (const wd_expr *)wd_expr_col(c->a, (int)t->nphys, WD_TYPE_TIMESTAMP);
        if (t->event_col >= (int)t->nphys) ex[ts] = t->gen[t->event_col];
        wd_node *calc = add_node(c, WD_N_CALC, "calc", &wd_op_calc_vt, s);
        calc->nexprs = s->nfields;
        calc->exprs = ex;
        calc->label = calc_label(c, NULL, s->nfields, ex, -1);
        calc->updating = t->updating;
        connect(c, last, calc);
        last = calc;
    }
    wd_node *wm = add_node(c, WD_N_WATERMARK, "watermark", &wd_op_watermark_vt, s);
    if (t->wm) {
        wm->wm_expr = t->wm;
    } else {
        /* default: _timestamp - 1 s */
        wd_expr *args[2] = {wd_expr_col(c->a, (int)ts, WD_TYPE_TIMESTAMP),
                            wd_expr_lit(c->a, WD_TYPE_INTERVAL)};
        ((wd_interval *)args[1]->lit.data)->nanos = WD_NS_PER_SEC;
        const struct wd_func *fn;
        const wd_type *ret, *casts[2];
        const wd_type *types[2] = {WD_TYPE_TIMESTAMP, WD_TYPE_INTERVAL};
        if (wd_func_resolve("-", types, 2, c->a, &fn, &ret, casts, c->err) < 0) return NULL;
        wm->wm_expr = wd_expr_call(c->a, fn, ret, 2, args);
    }
    int64_t idle = WD_DEFAULT_IDLE_NS;
    if (wd_opt_duration_ns(&t->opts, "idle_micros", &idle, c->err) < 0) return NULL;
    wm->idle_ns = idle;
    wm->updating = t->updating;
    {
        wd_buf lb = WD_BUF_INIT;
        wd_expr_print(wm->wm_expr, &lb);
        wm->label = wd_arena_strdup(c->a, lb.data ? lb.data : "");
        wd_buf_free(&lb);
    }
    connect(c, last, wm);
    return wm;
}

/* Substitute column references of e by the expressions producing them. */
static const wd_expr *subst(wd_plan_ctx *c, const wd_expr *e, const wd_expr *const *by)
{
    if (e->kind == WD_EX_COL) return by[e->col];
    if (e->nargs == 0) return e;
    wd_expr *x = wd_arena_alloc(c->a, sizeof *x);
    *x = *e;
    x->args = wd_arena_alloc(c->a, sizeof(wd_expr *) * e->nargs);
    for (uint32_t i = 0; i < e->nargs; i++) x->args[i] = (wd_expr *)subst(c, e->args[i], by);
    return x;
}

/* Only sinks that write changes (Debezium) can take an updating input. */
static bool sink_refuses_updates(const wd_table *t)
{
    const char *fmt = wd_opt_get(&t->opts, "format");
    if (!strcmp(t->conn->name, "blackhole")) return false;
    if (!strcmp(t->conn->name, "stdout")) return false;
    return !fmt || strcmp(fmt, "debezium_json") != 0;
}

static wd_node *pl_rel(wd_plan_ctx *c, wd_rel *r);

static const char *agg_label(wd_plan_ctx *c, const wd_rel *r)
{
    wd_buf b = WD_BUF_INIT;
    if (r->kind == WD_REL_AGG) {
        const wd_aggregate_spec *s = r->agg;
        static const char *const kinds[] = {"updating", "tumble", "hop", "session"};
        wd_buf_printf(&b, "%s", kinds[s->win]);
        if (s->win == WD_WIN_TUMBLE)
            wd_buf_printf(&b, "(%lldms)", (long long)(s->width_ns / WD_NS_PER_MS));
        else if (s->win == WD_WIN_HOP)
            wd_buf_printf(&b, "(%lldms, %lldms)", (long long)(s->slide_ns / WD_NS_PER_MS),
                          (long long)(s->width_ns / WD_NS_PER_MS));
        else if (s->win == WD_WIN_SESSION)
            wd_buf_printf(&b, "(%lldms)", (long long)(s->gap_ns / WD_NS_PER_MS));
        wd_buf_printf(&b, " keys=%u", s->nkeys);
        for (uint32_t i = 0; i < s->naggs; i++)
            wd_buf_printf(&b, "%s%s%s($%d)", i ? ", " : " ", s->aggs[i].fn->name,
                          s->aggs[i].distinct ? " distinct" : "", s->aggs[i].arg_col);
    } else {
        const wd_winfn_spec *s = r->winfn;
        static const char *const kinds[] = {"row_number", "rank", "dense_rank", "lag", "lead",
                                            "agg"};
        wd_buf_printf(&b, "partition=%u order=%u", s->npart, s->norder);
        for (uint32_t i = 0; i < s->ncalls; i++) wd_buf_printf(&b, " %s", kinds[s->calls[i].kind]);
        if (s->limit > 0) wd_buf_printf(&b, " top-%lld", (long long)s->limit);
        if (s->updating) wd_buf_printf(&b, s->rank_hidden ? " updating, row number hidden"
                                                             : " updating");
    }
    const char *l = wd_arena_strdup(c->a, b.data ? b.data : "");
    wd_buf_free(&b);
    return l;
}

wd_node *wd_pl_rel(wd_plan_ctx *c, wd_rel *r)
{
    if (r->node) return r->node;
    if (r->planning) {
        wd_err_at(c->err, WD_EPLAN, r->pos,
                  "this query reads a memory table that its own result is inserted into");
        return NULL;
    }
    if (r->kind == WD_REL_UNION && r->nin == 0) {
        wd_err_at(c->err, WD_EPLAN, r->pos,
                  "a memory table is read, but nothing is inserted into it");
        return NULL;
    }
    r->planning = true;
    wd_node *res = pl_rel(c, r);
    r->planning = false;
    return res;
}

static wd_node *pl_rel(wd_plan_ctx *c, wd_rel *r)
{
    wd_node *n = NULL;
    switch (r->kind) {
    case WD_REL_SCAN:
        n = plan_scan(c, r);
        break;
    case WD_REL_CALC: {
        wd_rel *in = r->in[0];
        const wd_expr *filter = r->filter;
        const wd_expr *const *exprs = r->exprs;
        /* Merge with an input calc that is not shared and has no unnest, unless
         * both filter and the outer filter could fail: it must only see rows
         * the inner one kept. */
        while (in->kind == WD_REL_CALC && !in->node && in->unnest_col < 0 &&
               !(in->filter && filter && !wd_pl_cannot_fail(filter))) {
            const wd_expr **ex = wd_arena_alloc(c->a, sizeof(wd_expr *) * r->nexprs);
            for (uint32_t i = 0; i < r->nexprs; i++) ex[i] = subst(c, exprs[i], in->exprs);
            const wd_expr *f = filter ? subst(c, filter, in->exprs) : NULL;
            if (in->filter && f) {
                wd_expr *both[2] = {(wd_expr *)in->filter, (wd_expr *)f};
                f = wd_expr_node(c->a, WD_EX_AND, WD_TYPE_BOOL, 2, both);
            } else if (in->filter) {
                f = in->filter;
            }
            filter = f;
            exprs = ex;
            in = in->in[0];
        }
        wd_node *up = wd_pl_rel(c, in);
        if (!up) return NULL;
        n = add_node(c, WD_N_CALC, "calc", &wd_op_calc_vt, r->schema);
        n->parallelism = up->parallelism;
        n->updating = up->updating;
        n->filter = filter;
        n->nexprs = r->nexprs;
        n->exprs = exprs;
        n->unnest_col = r->unnest_col;
        n->label = calc_label(c, filter, r->nexprs, exprs, r->unnest_col);
        connect(c, up, n);
        break;
    }
    case WD_REL_AGG:
    case WD_REL_WINFN: {
        bool agg = r->kind == WD_REL_AGG;
        bool topn = !agg && r->winfn->updating;
        if (topn && (r->winfn->limit <= 0 || r->winfn->ncalls != 1)) {
            wd_err_at(c->err, WD_EUNSUPPORTED, r->pos,
                      "ROW_NUMBER() over a stream without a window is only supported as a "
                      "top-N: one ROW_NUMBER() in the SELECT, and an enclosing query that "
                      "keeps WHERE row_num <= N");
            wd_err_hint(c->err, "SELECT … FROM (SELECT …, ROW_NUMBER() OVER (PARTITION BY k "
                                "ORDER BY …) AS row_num FROM …) WHERE row_num <= N; or "
                                "PARTITION BY the window of a windowed aggregate");
            return NULL;
        }
        wd_node *up = wd_pl_rel(c, r->in[0]);
        if (!up) return NULL;
        uint32_t nkeys = agg ? r->agg->nkeys : r->winfn->npart;
        n = add_node(c, WD_N__OTHER, agg ? "aggregate" : topn ? "top_n" : "window_functions",
                     agg ? &wd_op_aggregate_vt : topn ? &wd_op_topn_vt : &wd_op_winfn_vt,
                     r->schema);
        n->spec = agg ? (const void *)r->agg : (const void *)r->winfn;
        n->updating = r->updating;
        /* no keys: every row must meet in one subtask */
        if (nkeys == 0) n->parallelism = 1;
        n->in_schemas = wd_arena_alloc(&c->g->arena, sizeof(wd_type *));
        n->in_schemas[0] = up->out_schema;
        wd_edge *e = wd_graph_connect(c->g, up, n, 0, WD_E_SHUFFLE);
        const wd_expr **keys = wd_arena_alloc(c->a, sizeof(wd_expr *) * (nkeys + 1));
        for (uint32_t i = 0; i < nkeys; i++) {
            int col = agg ? (int)i : r->winfn->part_cols[i];
            keys[i] = wd_expr_col(c->a, col, up->out_schema->fields[col].type);
        }
        e->nkeys = nkeys;
        e->keys = keys;
        n->label = agg_label(c, r);
        break;
    }
    case WD_REL_JOIN: {
        wd_node *ups[2];
        for (int i = 0; i < 2; i++)
            if (!(ups[i] = wd_pl_rel(c, r->in[i]))) return NULL;
        n = add_node(c, WD_N__OTHER, "join", &wd_op_join_vt, r->schema);
        n->spec = r->join;
        n->updating = r->updating;
        n->ninputs = 2;
        n->in_schemas = wd_arena_alloc(&c->g->arena, sizeof(wd_type *) * 2);
        static const char *const modes[] = {"updating", "windowed", "interval"};
        static const char *const types[] = {"inner", "left", "right", "full"};
        n->label = wd_arena_printf(c->a, "%s %s, %u key%s%s", modes[r->join->mode],
                                   types[r->join->type], r->join->nkeys,
                                   r->join->nkeys == 1 ? "" : "s",
                                   r->join->residual ? ", residual" : "");
        for (uint32_t i = 0; i < 2; i++) {
            n->in_schemas[i] = ups[i]->out_schema;
            wd_edge *e = wd_graph_connect(c->g, ups[i], n, i, WD_E_SHUFFLE);
            const wd_expr **keys = wd_arena_alloc(c->a, sizeof(wd_expr *) * r->join->nkeys);
            for (uint32_t k = 0; k < r->join->nkeys; k++)
                keys[k] = wd_expr_col(c->a, (int)k, ups[i]->out_schema->fields[k].type);
            e->nkeys = r->join->nkeys;
            e->keys = keys;
        }
        break;
    }
    case WD_REL_UNION: {
        n = add_node(c, WD_N_UNION, "union", &wd_op_union_vt, r->schema);
        n->label = wd_arena_printf(c->a, "%u inputs", r->nin);
        wd_node **ups = wd_arena_alloc(c->a, sizeof(wd_node *) * r->nin);
        for (uint32_t i = 0; i < r->nin; i++) {
            if (!(ups[i] = wd_pl_rel(c, r->in[i]))) return NULL;
            n->updating |= ups[i]->updating;
        }
        /* an updating input keeps its parallelism: retractions of a key must
         * stay in order, which a rebalance would not guarantee */
        for (uint32_t i = 0; i < r->nin; i++)
            if (ups[i]->updating) n->parallelism = ups[i]->parallelism;
        for (uint32_t i = 0; i < r->nin; i++) {
            if (ups[i]->updating && ups[i]->parallelism != n->parallelism) {
                wd_err_at(c->err, WD_EUNSUPPORTED, r->pos,
                          "UNION ALL of updating inputs of different parallelism is not "
                          "supported yet");
                return NULL;
            }
            connect(c, ups[i], n);
        }
        break;
    }
    }
    r->node = n;
    return n;
}

int wd_pl_sink(wd_plan_ctx *c, wd_table *t, wd_rel *r, wd_pos pos)
{
    const wd_type *want = t->schema ? t->schema : t->sink_schema;
    if (want) {
        if (want->nfields != r->schema->nfields) {
            wd_err_at(c->err, WD_EPLAN, pos, "INSERT INTO %s: the query has %u columns but the "
                                             "table has %u",
                      t->name, r->schema->nfields - 1, want->nfields - 1);
            wd_buf b = WD_BUF_INIT;
            for (uint32_t i = 0; i + 1 < want->nfields; i++)
                wd_buf_printf(&b, "%s%s %s", i ? ", " : "", want->fields[i].name,
                              wd_type_name(want->fields[i].type));
            wd_err_hint(c->err, "columns of %s: %s", t->name, b.data ? b.data : "");
            wd_buf_free(&b);
            return -1;
        }
        /* name the sink's columns, cast to its types */
        r = wd_an_cast_rel(c, r, want, pos, wd_arena_printf(c->a, "INSERT INTO %s", t->name));
        if (!r) return -1;
    } else {
        t->sink_schema = r->schema;
        want = r->schema;
    }
    wd_node *up = wd_pl_rel(c, r);
    if (!up) return -1;
    if (up->updating && sink_refuses_updates(t)) {
        wd_err_at(c->err, WD_EPLAN, pos,
                  "INSERT INTO %s: the query's result is updating (it has retractions), but "
                  "the sink writes plain rows", t->name);
        wd_err_hint(c->err, "use format = 'debezium_json' for the sink, or aggregate over a "
                            "window instead");
        return -1;
    }
    if (!t->sink_node) {
        wd_node *s = add_node(c, WD_N_SINK, wd_arena_printf(c->a, "sink:%s", t->conn->name),
                              &wd_op_sink_vt, NULL);
        s->parallelism = up->parallelism;
        s->updating = up->updating;
        s->sink_conn = t->conn;
        s->opts = t->opts;
        s->label = t->name;
        s->in_schemas = wd_arena_alloc(&c->g->arena, sizeof(wd_type *));
        s->in_schemas[0] = want;
        t->sink_node = s;
    }
    if (up->updating) t->sink_node->updating = true;
    if (up->updating && up->parallelism != t->sink_node->parallelism) {
        wd_err_at(c->err, WD_EUNSUPPORTED, pos,
                  "INSERT INTO %s: updating inputs of different parallelism into one sink are "
                  "not supported yet", t->name);
        return -1;
    }
    connect(c, up, t->sink_node);
    return 0;
}

int wd_pl_stdout(wd_plan_ctx *c, wd_rel *r)
{
    wd_node *up = wd_pl_rel(c, r);
    if (!up) return -1;
    wd_node *s = add_node(c, WD_N_SINK, "sink:stdout", &wd_op_sink_vt, NULL);
    s->label = "results";
    s->parallelism = up->parallelism;
    s->updating = up->updating;
    s->in_schemas = wd_arena_alloc(&c->g->arena, sizeof(wd_type *));
    s->in_schemas[0] = r->schema;
    connect(c, up, s);
    return 0;
}

int wd_plan_compile(const char *sql, size_t len, const wd_plan_opts *opts, wd_graph **out,
                    wd_error *err)
{
    wd_graph *g = wd_graph_new();
    if (!g) {
        *out = NULL;
        return wd_err(err, WD_ENOMEM, "out of memory while planning");
    }
    wd_plan_ctx c = {0};
    c.g = g;
    c.a = &g->arena;
    c.err = err;
    c.parallelism = opts && opts->parallelism ? opts->parallelism : 1;
    wd_ast_script *script;
    int rc = wd_sql_parse(sql, len, c.a, &script, err);
    if (rc < 0) goto fail;
    c.updating_ttl_ns = 24 * 3600 * WD_NS_PER_SEC;
    for (uint32_t i = 0; i < script->nstmts; i++) {
        rc = wd_an_statement(&c, script->stmts[i]);
        if (rc < 0) goto fail;
    }
    rc = wd_pl_pushdown(&c);
    if (rc < 0) goto fail;
    for (uint32_t i = 0; i < c.nouts; i++) {
        struct wd_pending_out *o = &c.outs[i];
        rc = o->table ? wd_pl_sink(&c, o->table, o->rel, o->pos) : wd_pl_stdout(&c, o->rel);
        if (rc < 0) goto fail;
    }
    if (c.nouts == 0) {
        rc = wd_err(err, WD_EPLAN, "the script has no INSERT INTO or SELECT: nothing to run");
        goto fail;
    }
    *out = g;
    return 0;
fail:
    if (rc >= 0) rc = WD_EPLAN;
    if (err && !err->code) wd_err(err, rc, "planning failed");
    wd_graph_free(g);
    *out = NULL;
    return err && err->code ? err->code : rc;
}
