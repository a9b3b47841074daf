/*
 * plan_int.h — what the analyzer and the planner share: tables, views and
 * relational nodes ("rels") with typed expressions.
 *
 * The analyzer (analyze.c) turns statements into rels; the planner
 * (planner.c) turns rels into dataflow-graph nodes.  A rel's schema is a
 * batch schema (fields + trailing _timestamp); quals[i] is the table
 * qualifier under which field i can be named (NULL for none).
 */
#ifndef WD_PLAN_INT_H
#define WD_PLAN_INT_H

#include "expr/expr.h"
#include "ops/aggregate.h"
#include "ops/join.h"
#include "plan/graph.h"
#include "plan/plan.h"
#include "sql/ast.h"

typedef struct wd_table {
    const char *name;
    wd_pos pos;
    const wd_connector *conn;
    wd_options opts;
    bool as_source, as_sink;     /* what the connector and `type` allow */
    /* Columns: fields[0..nphys) come from the connector; generated ones
     * follow; the schema ends with _timestamp.  NULL schema: a sink whose
     * columns come from what is inserted. */
    const wd_type *schema;
    uint32_t nphys;
    const wd_expr **gen;         /* per field: generated expression or NULL */
    int event_col;               /* field giving event time, or -1 */
    const wd_expr *wm;           /* watermark expression, or NULL: default */
    bool updating;               /* a changelog source (format = 'debezium_json') */
    /* A memory table (no connector): what is inserted is what is read. */
    bool memory;
    struct wd_rel *mem;          /* UNION of the inserts */
    /* As a sink: */
    wd_node *sink_node;
    const wd_type *sink_schema;  /* declared schema or the first insert's */
} wd_table;

typedef enum wd_rel_kind {
    WD_REL_SCAN,
    WD_REL_CALC,
    WD_REL_UNION,
    WD_REL_AGG,      /* aggregate: input is a calc laid out as aggregate.h says */
    WD_REL_WINFN,    /* window functions over windowed input, or the updating top-N */
    WD_REL_JOIN,     /* two inputs laid out as ops/join.h says */
} wd_rel_kind;

typedef struct wd_rel wd_rel;
struct wd_rel {
    wd_rel_kind kind;
    wd_pos pos;
    const wd_type *schema;
    const char **quals;
    uint32_t nin;
    wd_rel **in;
    /* SCAN */
    wd_table *table;
    bool *needed;                /* per field of table->schema */
    /* CALC */
    const wd_expr *filter;
    uint32_t nexprs;
    const wd_expr **exprs;       /* one per schema field, _timestamp last */
    int unnest_col;
    /* AGG, WINFN */
    wd_aggregate_spec *agg;
    wd_winfn_spec *winfn;
    wd_join_spec *join;
    bool updating;               /* output carries retractions */
    /* planner memo */
    wd_node *node;
    bool planning;               /* cycle guard (memory tables) */
    /* pushdown.c */
    uint32_t pd_refs;            /* consumers */
    uint8_t pd_state;            /* 0 unseen, 1 being visited, 2 done */
    bool *pd_used;               /* per schema field: some consumer reads it */
};

typedef struct wd_view {
    const char *name;
    wd_pos pos;
    wd_ast_query *query;
} wd_view;

typedef struct wd_setting {
    const char *name;
    const wd_expr *value;
} wd_setting;

typedef struct wd_plan_ctx {
    wd_arena *a;                 /* the graph's arena: everything lives here */
    wd_error *err;
    uint32_t parallelism;
    uint32_t ntables, captables;
    wd_table **tables;
    uint32_t nviews, capviews;
    wd_view **views;
    uint32_t nsettings, capsettings;
    wd_setting *settings;
    struct agg_ctx *agg;         /* set while analyzing an aggregate query's SELECT/HAVING */
    struct wf_ctx *wf;           /* set while analyzing a SELECT with window functions */
    int64_t updating_ttl_ns;     /* SET updating_ttl */
    /* outputs to plan once every statement is analyzed: INSERT (table) or
     * bare SELECT (table NULL) */
    uint32_t nouts, capouts;
    struct wd_pending_out {
        wd_table *table;
        struct wd_rel *rel;
        wd_pos pos;
    } *outs;
    /* CTE scopes, innermost last */
    uint32_t nctes, capctes;
    const wd_ast_cte **ctes;
    uint32_t depth;
    wd_graph *g;
} wd_plan_ctx;

/* Name scope of a FROM clause: one entry per visible field of rel. */
typedef struct wd_scope {
    uint32_t n;
    const char **quals;
    const wd_type *schema;
    wd_rel *rel;
} wd_scope;

/* Plan-private expression flags: references the analyzer rewrites before
 * planning (an aggregate call, the window, a window-function call). */
#define WD_EXF_AGGREF 0x100u
#define WD_EXF_WINREF 0x200u
#define WD_EXF_WFREF 0x400u

/* analyze.c */
int wd_an_statement(wd_plan_ctx *c, const wd_ast_stmt *s);
wd_table *wd_an_find_table(wd_plan_ctx *c, const char *name);
wd_expr *wd_an_expr(wd_plan_ctx *c, const wd_scope *sc, const wd_ast_expr *e);
wd_scope wd_an_scope(wd_plan_ctx *c, wd_rel *r, const char *qual);
wd_expr *wd_an_coerce(wd_plan_ctx *c, wd_expr *e, const wd_type *t, wd_pos pos, const char *what);
wd_expr *wd_an_need_bool(wd_plan_ctx *c, wd_expr *e, const char *what);
int wd_an_unify(wd_plan_ctx *c, wd_expr **es, uint32_t n, const char *what, const wd_type **out);
wd_rel *wd_an_new_rel(wd_plan_ctx *c, wd_rel_kind k, wd_pos pos);
wd_rel *wd_an_cast_rel(wd_plan_ctx *c, wd_rel *r, const wd_type *schema, wd_pos pos,
                       const char *what);
bool wd_an_has_aggregate(const wd_ast_expr *e);
bool wd_an_in_list(const char *n, const char *const *l, size_t k);
const char *wd_an_item_name(wd_plan_ctx *c, const wd_ast_expr *e, uint32_t i);
void wd_an_mark_needed(const wd_scope *sc, uint32_t idx);

/* pushdown.c: filters and projections pushed below joins, before planning */
int wd_pl_pushdown(wd_plan_ctx *c);
/* True when e cannot raise an error (comparisons, IS, IN, AND/OR/NOT of
 * columns and literals): it may run on rows a filter would have dropped. */
bool wd_pl_cannot_fail(const wd_expr *e);

/* analyze_agg.c: GROUP BY, windows, aggregates, window functions */
wd_expr *wd_an_agg_call(wd_plan_ctx *c, const wd_scope *sc, const wd_ast_expr *e);
wd_expr *wd_an_window_call(wd_plan_ctx *c, const wd_scope *sc, const wd_ast_expr *e);
wd_expr *wd_an_wf_call(wd_plan_ctx *c, const wd_scope *sc, const wd_ast_expr *e);
bool wd_an_is_window_call(const wd_ast_expr *e);
/* The window of the aggregate query being analyzed when name is its SELECT
 * alias (so `window.start` works next to `tumble(…) AS window`), else NULL. */
wd_expr *wd_an_window_name(wd_plan_ctx *c, const char *name, wd_pos pos);
bool wd_an_has_wf(const wd_ast_expr *e);
/* SELECT with GROUP BY or aggregates over rel `in` (WHERE filter already analyzed). */
wd_rel *wd_an_select_agg(wd_plan_ctx *c, const wd_ast_select *s, wd_rel *in, const wd_expr *where);
/* SELECT with window functions over rel `in`. */
wd_rel *wd_an_select_winfn(wd_plan_ctx *c, const wd_ast_select *s, wd_rel *in, const wd_expr *where);
/* analyze_join.c: JOIN … ON / USING of two analyzed inputs. */
wd_rel *wd_an_join(wd_plan_ctx *c, const struct wd_ast_from *f, wd_rel *left, wd_rel *right);
/* Recognise WHERE rank <= N over a single ranking window function: a
 * top-N.  Sets the winfn spec's limit (the smallest bound among the
 * filter's conjuncts) and rank_hidden (nothing but such bounds reads it). */
void wd_an_detect_topn(wd_rel *r);

/* planner.c */
wd_node *wd_pl_rel(wd_plan_ctx *c, wd_rel *r);
int wd_pl_sink(wd_plan_ctx *c, wd_table *t, wd_rel *r, wd_pos pos);
int wd_pl_stdout(wd_plan_ctx *c, wd_rel *r);

#endif
