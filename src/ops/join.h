/*
 * join.h — the plan spec of the join operator: updating joins (state kept
 * for a TTL), windowed joins (both inputs windowed the same way; state
 * released when the watermark passes the window), and interval joins (one
 * side's time bounded by the other's; state released by the watermark).
 *
 * The planner puts a calc in front of each input that lays it out as
 *   [key columns…, payload columns…, _timestamp]
 * with the keys of both inputs cast to common types, so that equal keys
 * hash and compare equal (runtime.h's wd_hash_rows).  Both inputs are
 * shuffled by their keys.
 */
#ifndef WD_OPS_JOIN_H
#define WD_OPS_JOIN_H

#include "ops/op.h"

typedef enum wd_join_type {
    WD_JT_INNER,
    WD_JT_LEFT,   /* every left row appears; NULLs for the right side until a match */
    WD_JT_RIGHT,
    WD_JT_FULL,
} wd_join_type;

typedef enum wd_join_mode {
    WD_JM_UPDATING, /* no window: output is updating (retractions) */
    WD_JM_WINDOWED, /* keys include the window column; emitted when the window closes */
    WD_JM_INTERVAL, /* right time in [left time + lo, left time + hi] */
} wd_join_mode;

/*
 * Join operator.  Input 0 is the left side, input 1 the right side, each
 * laid out as [nkeys key columns, payload columns, _timestamp].
 * Output: the left payload columns, then the right payload columns, then
 * _timestamp (the later of the two rows' event times; for outer rows
 * without a match, the row's own).  Rows of a NULL key never match (SQL
 * equality), but outer sides still emit them with NULLs.
 *
 * residual (may be NULL): a BOOLEAN over the output row layout (left
 * payload ++ right payload ++ _timestamp) that a matching pair must also
 * satisfy; a pair failing it is not a match (outer rows then get NULLs).
 *
 * UPDATING: inputs may themselves carry retractions.  A new row emits its
 * matches (inner) — for outer joins a row first emitted with NULLs is
 * retracted when its first match arrives, and re-emitted with NULLs when
 * its last match is retracted.  Rows not updated for ttl_ns (processing
 * time, checked on tick) are dropped from state silently.  Output carries
 * retractions (batch->retract).
 *
 * WINDOWED: rows arrive stamped with their window's end - 1 ns (they come
 * from windowed aggregates); rows are buffered per timestamp and, when the
 * combined watermark reaches it, joined (inner/outer) and released.
 *
 * INTERVAL: left row l and right row r match when
 *   l.time + lo_ns <= r.time <= l.time + hi_ns  (times: left_time_col,
 *   right_time_col, which may be the _timestamp columns); emitted as soon
 *   as both rows are there; a left row is released once the watermark
 *   passes l.time + hi_ns, a right row once it passes r.time - lo_ns, and
 *   every row at the end of input.  With lo_residual the upper bound is
 *   l.upper + hi_ns (a second left column) and the lower one,
 *   l.time + lo_ns <= r.time, is part of the residual.  Outer types are
 *   append-only (inputs must not carry retractions): a row of an outer
 *   side that has matched nothing when it is released is emitted once with
 *   NULLs (at once for a NULL key or time, or a row arriving after its
 *   bound that matches nothing), and the watermark passed on is held below
 *   the _timestamp of every row that may still be emitted so.
 */
typedef struct wd_join_spec {
    wd_join_mode mode;
    wd_join_type type;
    uint32_t nkeys;
    const wd_expr *residual;
    int64_t ttl_ns;               /* UPDATING (0: none) */
    int left_time_col, right_time_col; /* INTERVAL: columns of each input */
    int64_t lo_ns, hi_ns;         /* INTERVAL */
    bool lo_residual;             /* INTERVAL: the lower bound uses another left
                                     column than the upper one (b.t BETWEEN a.t
                                     AND a.expires): left_time_col is the upper
                                     bound's column and the residual checks the
                                     lower bound; lo_ns still releases right rows */
    const int32_t *pay_key[2];    /* per side, per payload column: the key column
                                     it always equals (the same expression, of a
                                     type whose equal values are identical), or -1;
                                     NULL: none.  Such a column is not stored: a
                                     stored row's value comes from its key */
} wd_join_spec;

extern const wd_op_vt wd_op_join_vt;

/* State held by one join instance (tests, metrics): rows buffered per side
 * (0 left, 1 right), keys with rows, bytes of state (capacities). */
typedef struct wd_join_stats {
    uint64_t rows[2];
    uint64_t keys;
    uint64_t bytes;
} wd_join_stats;
void wd_op_join_stats(const wd_op *op, wd_join_stats *out);

#endif
