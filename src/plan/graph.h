/*
 * graph.h — the dataflow graph: what the planner produces and the runtime
 * executes.
 *
 * Nodes are operators with a parallelism; edges are forward (subtask i to
 * subtask i) or shuffle (rows routed by the hash of key expressions, by
 * range over the 64-bit hash space, so state can be re-split when the
 * parallelism changes).  Forward-connected nodes of equal parallelism whose
 * only input/output is that edge are fused into a chain: one thread per
 * subtask runs the whole chain as function calls.
 *
 * The graph is immutable once built and lives in its own arena.  Node
 * specs hold only plan data (expressions, types, options); runtime state
 * is created by each operator's open (ops/op.h).
 */
#ifndef WD_GRAPH_H
#define WD_GRAPH_H

#include <stdbool.h>
#include <stdint.h>

#include "batch/batch.h"
#include "common/buf.h"
#include "connectors/connector.h"
#include "expr/expr.h"

typedef enum wd_node_kind {
    WD_N_SOURCE,    /* connector source; no inputs */
    WD_N_WATERMARK, /* assigns _timestamp-based watermarks from an expression */
    WD_N_CALC,      /* filter + projection (+ unnest), stateless */
    WD_N_SINK,      /* connector sink; no outputs */
    WD_N_UNION,     /* merges inputs of one schema */
    WD_N__OTHER     /* operators registered by later modules (windows, joins) */
} wd_node_kind;

typedef enum wd_edge_kind {
    WD_E_FORWARD,   /* subtask i → subtask i (equal parallelism) */
    WD_E_SHUFFLE,   /* by hash of keys, range-partitioned */
    WD_E_BROADCAST, /* every row to every subtask */
    WD_E_REBALANCE, /* round-robin (parallelism change without keys) */
} wd_edge_kind;

struct wd_op_vt;

typedef struct wd_node {
    uint32_t id;
    wd_node_kind kind;
    const char *name;            /* "source:nexmark", "calc", "sink:stdout" … */
    const char *label;           /* one-line detail for EXPLAIN */
    uint32_t parallelism;
    const wd_type *out_schema;   /* rows it emits (with _timestamp); NULL for sinks */
    uint32_t ninputs;            /* logical inputs (a join has 2) */
    const wd_type **in_schemas;  /* per logical input */
    const struct wd_op_vt *vt;   /* the operator implementation */
    bool updating;               /* its output carries retractions */

    /* WD_N_SOURCE */
    const wd_connector *conn;
    wd_options opts;
    const bool *needed;          /* per field of out_schema (NULL = all) */
    bool bounded;

    /* WD_N_WATERMARK: watermark = max over rows of wm_expr (a TIMESTAMP);
     * idle_ns: a subtask with no rows for that long is idle (0 = never). */
    const wd_expr *wm_expr;
    int64_t idle_ns;

    /* WD_N_CALC: rows where filter is true (filter may be NULL), projected
     * by exprs (one per out_schema field, _timestamp last).  unnest_col >= 0:
     * exprs[unnest_col] is a LIST whose elements each make one output row. */
    const wd_expr *filter;
    uint32_t nexprs;
    const wd_expr *const *exprs;
    int unnest_col;

    /* WD_N_SINK */
    const wd_connector *sink_conn; /* NULL: stdout for a bare SELECT */

    /* Later operators keep their spec here. */
    const void *spec;
} wd_node;

typedef struct wd_edge {
    uint32_t from, to;           /* node ids */
    uint32_t to_input;           /* logical input of `to` */
    wd_edge_kind kind;
    uint32_t nkeys;              /* SHUFFLE: key expressions over from's output */
    const wd_expr *const *keys;
} wd_edge;

typedef struct wd_graph {
    wd_arena arena;              /* everything of the graph and its plan */
    uint32_t nnodes, capnodes;
    wd_node **nodes;
    uint32_t nedges, capedges;
    wd_edge *edges;
    int64_t checkpoint_interval_ns; /* SET checkpoint_interval (0: not set) */
} wd_graph;

wd_graph *wd_graph_new(void);
void wd_graph_free(wd_graph *g);

/* Add a node (zeroed, id assigned, unnest_col = -1) and return it. */
wd_node *wd_graph_add_node(wd_graph *g, wd_node_kind kind, const char *name);
/* Connect from → to (logical input to_input). */
wd_edge *wd_graph_connect(wd_graph *g, const wd_node *from, const wd_node *to,
                          uint32_t to_input, wd_edge_kind kind);

/* Edges into / out of a node (count returned, array filled up to max). */
uint32_t wd_graph_in_edges(const wd_graph *g, uint32_t node, const wd_edge **out, uint32_t max);
uint32_t wd_graph_out_edges(const wd_graph *g, uint32_t node, const wd_edge **out, uint32_t max);

/* ---- chains -------------------------------------------------------------- */

typedef struct wd_chain {
    uint32_t id;
    uint32_t nnodes;
    const wd_node **nodes;       /* head first */
    uint32_t parallelism;
} wd_chain;

typedef struct wd_chains {
    uint32_t n;
    wd_chain *chains;
    uint32_t *chain_of;          /* node id → chain id */
} wd_chains;

/* Fuse the graph into chains (arena of g).  Deterministic. */
void wd_graph_chains(wd_graph *g, wd_chains *out);
/* The same, allocating in arena a (for users holding a const graph, such as
 * the runtime and EXPLAIN). */
void wd_graph_chains_in(const wd_graph *g, wd_arena *a, wd_chains *out);

/* EXPLAIN: operators, chains, parallelism, edges. */
void wd_graph_explain(const wd_graph *g, wd_buf *out);

#endif
