/*
 * graph.c — the dataflow graph: nodes and edges in the graph's arena, edge
 * queries, fusion of forward-connected nodes into chains, and EXPLAIN text.
 *
 * Exports: wd_graph_new, wd_graph_free, wd_graph_add_node, wd_graph_connect,
 * wd_graph_in_edges, wd_graph_out_edges, wd_graph_chains,
 * wd_graph_chains_in, wd_graph_explain.
 */
#include "plan/graph.h"

#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

/* Create an empty graph with its own arena.  Free with wd_graph_free. */
wd_graph *wd_graph_new(void)
{
    wd_graph *g = wd_calloc(1, sizeof *g);
    if (!g) return NULL;
    wd_arena_init(&g->arena, 0);
    return g;
}

/* Free g, its arena and everything allocated in it.  NULL is a no-op. */
void wd_graph_free(wd_graph *g)
{
    if (!g) return;
    wd_arena_free(&g->arena);
    wd_free(g);
}

/*
 * Add a node of kind with a copy of name.  The node is zeroed except for
 * id (its index), kind, name, unnest_col = -1 and parallelism = 1 (the
 * planner overrides it).  Returns NULL only under allocation-failure
 * injection.
 */
wd_node *wd_graph_add_node(wd_graph *g, wd_node_kind kind, const char *name)
{
    if (g->nnodes == g->capnodes) {
        uint32_t cap = g->capnodes ? g->capnodes * 2 : 8;
        wd_node **n = wd_arena_realloc(&g->arena, g->nodes, g->capnodes * sizeof *n,
                                       cap * sizeof *n);
        if (!n) return NULL;
        g->nodes = n;
        g->capnodes = cap;
    }
    wd_node *n = wd_arena_calloc(&g->arena, sizeof *n);
    if (!n) return NULL;
    n->id = g->nnodes;
    n->kind = kind;
    n->name = wd_arena_strdup(&g->arena, name ? name : "?");
    n->parallelism = 1;
    n->unnest_col = -1;
    g->nodes[g->nnodes++] = n;
    return n;
}

/* Add an edge from → to (logical input to_input of `to`).  SHUFFLE keys
 * are set by the caller on the returned edge.  The pointer stays valid
 * until the next wd_graph_connect (the edge array grows). */
wd_edge *wd_graph_connect(wd_graph *g, const wd_node *from, const wd_node *to,
                          uint32_t to_input, wd_edge_kind kind)
{
    if (g->nedges == g->capedges) {
        uint32_t cap = g->capedges ? g->capedges * 2 : 8;
        wd_edge *e = wd_arena_realloc(&g->arena, g->edges, g->capedges * sizeof *e,
                                      cap * sizeof *e);
        if (!e) return NULL;
        g->edges = e;
        g->capedges = cap;
    }
    wd_edge *e = &g->edges[g->nedges++];
    memset(e, 0, sizeof *e);
    e->from = from->id;
    e->to = to->id;
    e->to_input = to_input;
    e->kind = kind;
    return e;
}

/* Edges into node, in edge order: returns how many there are and stores
 * pointers to the first max of them in out (out may be NULL when max = 0). */
uint32_t wd_graph_in_edges(const wd_graph *g, uint32_t node, const wd_edge **out, uint32_t max)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < g->nedges; i++) {
        if (g->edges[i].to != node) continue;
        if (n < max) out[n] = &g->edges[i];
        n++;
    }
    return n;
}

/* Edges out of node, in edge order (same conventions as wd_graph_in_edges). */
uint32_t wd_graph_out_edges(const wd_graph *g, uint32_t node, const wd_edge **out, uint32_t max)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < g->nedges; i++) {
        if (g->edges[i].from != node) continue;
        if (n < max) out[n] = &g->edges[i];
        n++;
    }
    return n;
}

/* ---- chains -------------------------------------------------------------- */

/*
 * Fuse into chains, allocating in a.  Node n joins the chain of its
 * upstream u when n is not a source, has exactly one input edge, that edge
 * is FORWARD from u, u has exactly one output edge and both have the same
 * parallelism.  Each node then has at most one fused predecessor and one
 * fused successor, so chains are paths; they are numbered in the order of
 * their head's node id.
 */
void wd_graph_chains_in(const wd_graph *g, wd_arena *a, wd_chains *out)
{
    uint32_t nn = g->nnodes;
    memset(out, 0, sizeof *out);
    if (nn == 0) return;
    uint32_t *nin = wd_arena_calloc(a, nn * sizeof *nin);
    uint32_t *nout = wd_arena_calloc(a, nn * sizeof *nout);
    int64_t *pred = wd_arena_alloc(a, nn * sizeof *pred); /* fused predecessor or -1 */
    int64_t *succ = wd_arena_alloc(a, nn * sizeof *succ); /* fused successor or -1 */
    out->chain_of = wd_arena_alloc(a, nn * sizeof *out->chain_of);
    if (!nin || !nout || !pred || !succ || !out->chain_of) {
        memset(out, 0, sizeof *out);
        return;
    }
    for (uint32_t i = 0; i < nn; i++) pred[i] = succ[i] = -1;
    for (uint32_t i = 0; i < g->nedges; i++) {
        const wd_edge *e = &g->edges[i];
        if (e->from < nn) nout[e->from]++;
        if (e->to < nn) nin[e->to]++;
    }
    for (uint32_t i = 0; i < g->nedges; i++) {
        const wd_edge *e = &g->edges[i];
        if (e->from >= nn || e->to >= nn || e->from == e->to) continue;
        const wd_node *u = g->nodes[e->from], *v = g->nodes[e->to];
        if (v->kind == WD_N_SOURCE || e->kind != WD_E_FORWARD) continue;
        if (nin[v->id] != 1 || nout[u->id] != 1) continue;
        if (u->parallelism != v->parallelism) continue;
        pred[v->id] = u->id;
        succ[u->id] = v->id;
    }
    uint32_t nchains = 0;
    for (uint32_t i = 0; i < nn; i++)
        if (pred[i] < 0) nchains++;
    out->chains = wd_arena_calloc(a, (nchains ? nchains : 1) * sizeof *out->chains);
    if (!out->chains) {
        memset(out, 0, sizeof *out);
        return;
    }
    for (uint32_t i = 0; i < nn; i++) out->chain_of[i] = UINT32_MAX;
    uint32_t c = 0;
    for (uint32_t head = 0; head < nn; head++) {
        if (pred[head] >= 0) continue;
        uint32_t len = 0;
        for (int64_t v = head; v >= 0 && len <= nn; v = succ[v]) len++;
        wd_chain *ch = &out->chains[c];
        ch->id = c;
        ch->nnodes = len;
        ch->nodes = wd_arena_alloc(a, len * sizeof *ch->nodes);
        ch->parallelism = g->nodes[head]->parallelism ? g->nodes[head]->parallelism : 1;
        if (!ch->nodes) {
            memset(out, 0, sizeof *out);
            return;
        }
        uint32_t k = 0;
        for (int64_t v = head; v >= 0 && k < len; v = succ[v]) {
            ch->nodes[k++] = g->nodes[v];
            out->chain_of[v] = c;
        }
        c++;
    }
    out->n = c;
    /* Nodes on a fused cycle (impossible in a DAG) stay unassigned; give
     * each its own chain slot so chain_of is always valid. */
    for (uint32_t i = 0; i < nn; i++)
        if (out->chain_of[i] == UINT32_MAX) out->chain_of[i] = 0;
}

/* Fuse g into chains allocated in g's arena (see wd_graph_chains_in). */
void wd_graph_chains(wd_graph *g, wd_chains *out) { wd_graph_chains_in(g, &g->arena, out); }

/* ---- EXPLAIN ------------------------------------------------------------- */

static const char *edge_kind_name(wd_edge_kind k)
{
    switch (k) {
    case WD_E_FORWARD: return "forward";
    case WD_E_SHUFFLE: return "shuffle";
    case WD_E_BROADCAST: return "broadcast";
    case WD_E_REBALANCE: return "rebalance";
    }
    return "?";
}

/*
 * Append a readable plan to out: one block per chain listing its operators
 * ([node id] name  label) with the chain's parallelism, then the edges
 * between chains with their kind and shuffle keys.
 */
void wd_graph_explain(const wd_graph *g, wd_buf *out)
{
    wd_arena a;
    wd_arena_init(&a, 0);
    wd_chains cs;
    wd_graph_chains_in(g, &a, &cs);
    for (uint32_t c = 0; c < cs.n; c++) {
        const wd_chain *ch = &cs.chains[c];
        wd_buf_printf(out, "chain %u (parallelism %u):\n", ch->id, ch->parallelism);
        for (uint32_t k = 0; k < ch->nnodes; k++) {
            const wd_node *n = ch->nodes[k];
            wd_buf_printf(out, "  [%u] %s", n->id, n->name ? n->name : "?");
            if (n->label && n->label[0]) wd_buf_printf(out, "  %s", n->label);
            if (n->updating) wd_buf_puts(out, "  (updating)");
            wd_buf_putc(out, '\n');
        }
    }
    bool any = false;
    for (uint32_t i = 0; i < g->nedges; i++) {
        const wd_edge *e = &g->edges[i];
        if (e->from >= g->nnodes || e->to >= g->nnodes) continue;
        uint32_t cf = cs.chain_of[e->from], ct = cs.chain_of[e->to];
        if (cf == ct && e->kind == WD_E_FORWARD) continue; /* fused */
        if (!any) wd_buf_puts(out, "edges:\n");
        any = true;
        const wd_node *f = g->nodes[e->from], *t = g->nodes[e->to];
        wd_buf_printf(out, "  chain %u [%u] %s -> chain %u [%u] %s", cf, f->id, f->name, ct,
                      t->id, t->name);
        if (t->ninputs > 1) wd_buf_printf(out, " (input %u)", e->to_input);
        wd_buf_printf(out, ": %s", edge_kind_name(e->kind));
        if (e->kind == WD_E_SHUFFLE) {
            wd_buf_puts(out, " by ");
            for (uint32_t k = 0; k < e->nkeys; k++) {
                if (k) wd_buf_puts(out, ", ");
                wd_expr_print(e->keys[k], out);
            }
            if (e->nkeys == 0) wd_buf_puts(out, "()");
        }
        wd_buf_putc(out, '\n');
    }
    if (!any) wd_buf_puts(out, "edges: none\n");
    wd_arena_free(&a);
}
