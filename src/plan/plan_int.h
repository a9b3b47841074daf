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
    /* As a sink: */
    wd_node *sink_node;
    const wd_type *sink_schema;  /* declared schema or the first insert's */
} wd_table;

typedef enum wd_rel_kind {
    WD_REL_SCAN,
    WD_REL_CALC,
    WD_REL_UNION,
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
    /* planner memo */
    wd_node *node;
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
    /* CTE scopes, innermost last */
    uint32_t nctes, capctes;
    const wd_ast_cte **ctes;
    uint32_t depth;
    wd_graph *g;
} wd_plan_ctx;

/* analyze.c */
int wd_an_statement(wd_plan_ctx *c, const wd_ast_stmt *s);
wd_table *wd_an_find_table(wd_plan_ctx *c, const char *name);

/* planner.c */
wd_node *wd_pl_rel(wd_plan_ctx *c, wd_rel *r);
int wd_pl_sink(wd_plan_ctx *c, wd_table *t, wd_rel *r, wd_pos pos);
int wd_pl_stdout(wd_plan_ctx *c, wd_rel *r);

#endif
