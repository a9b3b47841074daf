/*
 * aggregate.h — plan specs of the stateful operators that group rows:
 * windowed aggregates (tumble, hop, session), updating aggregates, and
 * window functions (row_number, rank, lag … OVER (PARTITION BY window …)),
 * with the top-N form of the latter.
 *
 * The planner puts a calc in front of each of them that computes their
 * input columns, so specs refer to input columns by index.
 */
#ifndef WD_OPS_AGGREGATE_H
#define WD_OPS_AGGREGATE_H

#include "agg/agg.h"
#include "batch/sort.h"
#include "ops/op.h"

typedef enum wd_win_kind {
    WD_WIN_NONE,    /* no window: an updating aggregate */
    WD_WIN_TUMBLE,  /* [k·width, (k+1)·width) */
    WD_WIN_HOP,     /* width a multiple of slide; every slide a window of width */
    WD_WIN_SESSION, /* per key: rows closer than gap join one session */
} wd_win_kind;

/*
 * Aggregate operator.
 * Input:  key columns [0, nkeys), then whatever the aggregates read
 *         (spec->aggs[k].arg_col / filter_col), then _timestamp last.
 * Output: key columns, then the window (STRUCT<start TIMESTAMP, end
 *         TIMESTAMP>) when win != WD_WIN_NONE, then one column per
 *         aggregate, then _timestamp.
 * Windowed: a window's rows are emitted once, when the watermark passes its
 * end (all at end of input), stamped end - 1 ns; rows later than the
 * watermark are dropped and counted (op metrics late_dropped).
 * Updating (WD_WIN_NONE): output carries retractions (batch->retract); a
 * group's change is emitted as a retraction of its previous row plus the
 * new row, at most every flush_ns (on_tick) and at end of input; groups not
 * updated for ttl_ns are dropped.
 * Checkpoints: the vt's snapshot / restore write and read the state as
 * state tables (state/snapshot.h): a global record with what is not keyed
 * and one keyed record per group (window bucket, hop key, open session or
 * updating group) tagged with its key hash, so a restore at another
 * parallelism gives each subtask the groups of its keys.  A restore
 * refuses (WD_ECORRUPT) state that does not decode or that another
 * aggregate (other functions, keys or window) wrote.
 */
typedef struct wd_aggregate_spec {
    wd_win_kind win;
    int64_t width_ns;          /* TUMBLE, HOP */
    int64_t slide_ns;          /* HOP */
    int64_t gap_ns;            /* SESSION */
    uint32_t nkeys;
    uint32_t naggs;
    wd_agg_spec *aggs;
    int64_t ttl_ns;            /* WD_WIN_NONE */
    int64_t flush_ns;          /* WD_WIN_NONE */
} wd_aggregate_spec;

extern const wd_op_vt wd_op_aggregate_vt;

/* The STRUCT<start TIMESTAMP, end TIMESTAMP> type of window columns. */
const wd_type *wd_window_type(void);

typedef enum wd_wf_kind {
    WD_WF_ROW_NUMBER,
    WD_WF_RANK,
    WD_WF_DENSE_RANK,
    WD_WF_LAG,          /* arg_col, offset, default_col (or -1) */
    WD_WF_LEAD,
    WD_WF_AGG,          /* agg over the partition (frame: the whole partition,
                           or up to the current row when ORDER BY is given) */
} wd_wf_kind;

typedef struct wd_wf_call {
    wd_wf_kind kind;
    int arg_col;
    int64_t offset;     /* LAG / LEAD (default 1) */
    int default_col;    /* LAG / LEAD default value column, or -1 */
    wd_agg_spec agg;    /* WD_WF_AGG */
    const wd_type *ret;
} wd_wf_call;

/* wd_sort_key (an ORDER BY item: column, direction, NULLS FIRST/LAST) is
 * defined in batch/sort.h with the row comparator and sort. */

/*
 * Window-function operator over windowed input: rows arrive stamped with
 * their window's end - 1 ns; rows of one timestamp are buffered until the
 * watermark reaches it, then each partition (partition columns; the window
 * column is normally one of them) is ordered and the functions computed.
 * Output: the input columns, then one column per call, then _timestamp.
 * limit > 0 (WHERE row_number <= limit above a single ROW_NUMBER/RANK/
 * DENSE_RANK): only rows ranked <= limit are kept, and only that many rows
 * per partition are ever buffered (a bounded heap), not the whole window.
 */
typedef struct wd_winfn_spec {
    uint32_t npart;
    const int *part_cols;
    uint32_t norder;
    const wd_sort_key *order;
    uint32_t ncalls;
    const wd_wf_call *calls;
    int64_t limit;
    /* Over an unwindowed input (wd_op_topn_vt, below). */
    bool updating;
    bool rank_hidden;   /* nothing reads the row number but `<= limit` */
    int64_t ttl_ns;     /* forget a partition without rows for this long; 0: never */
} wd_winfn_spec;

extern const wd_op_vt wd_op_winfn_vt;

/*
 * The updating top-N: ROW_NUMBER() OVER (PARTITION BY … ORDER BY …) over
 * an unwindowed, append-only input, kept to row numbers <= limit (spec:
 * one ROW_NUMBER call, limit > 0, updating).  Rows are ordered by the
 * ORDER BY keys, then by every input column (_timestamp included), so the
 * rows kept do not depend on arrival order.  Per partition it keeps the
 * limit first rows, and after each input batch emits the difference with
 * what it emitted before: a retraction of each row that left the top N and
 * an insert of each row that entered it, retractions first.  With the row
 * number visible, a row whose number changed is retracted with its old
 * number and inserted with its new one; with rank_hidden, rows only
 * entering or leaving count (their row-number column holds 1).  Input
 * retractions are refused (WD_EUNSUPPORTED).  Output: the input columns,
 * the row number, _timestamp (each row's own).  A partition that receives
 * no row for ttl_ns of processing time (on_tick) is forgotten without a
 * retraction.  Checkpoints: each kept row a keyed record tagged with its
 * partition's shuffle hash, restored at any parallelism; state of another
 * layout is refused (WD_ECORRUPT).
 */
extern const wd_op_vt wd_op_topn_vt;

/* What an open wd_op_topn_vt instance holds (tests, memory reports). */
typedef struct wd_topn_stats {
    uint64_t partitions;   /* partitions holding rows */
    uint64_t rows;         /* rows kept (at most limit per partition) */
    uint64_t stored;       /* rows in the store, evicted ones not yet compacted away included */
} wd_topn_stats;
void wd_op_topn_stats(const wd_op *op, wd_topn_stats *out);

/* window_agg.c: a group table holding the groups live[0..n) of g, in that
 * order; newslot[i] gets live[i]'s slot in it (updating aggregates and the
 * top-N drop expired keys with it). */
wd_groups *wd_op__agg_regroup(const wd_groups *g, const wd_type *const *kt, uint32_t nkeys,
                              const uint32_t *live, uint32_t n, uint32_t *newslot);

/*
 * Rows an open wd_op_winfn_vt instance holds, for tests and memory
 * reports: *held counts buffered rows (with a limit, rows evicted from the
 * top-N but not yet compacted away included), *live the rows that can
 * still be emitted.  Either pointer may be NULL.
 */
void wd_op_winfn_stats(const wd_op *op, uint64_t *held, uint64_t *live);

#endif
