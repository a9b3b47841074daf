/*
 * plan.h — from SQL text to a dataflow graph.
 *
 * wd_plan_compile parses a script, registers its tables and views,
 * analyzes every INSERT and bare SELECT (names, types, functions) and
 * plans them into one dataflow graph.  Errors carry the position of the
 * offending SQL and a hint when there is a likely fix.
 */
#ifndef WD_PLAN_H
#define WD_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "plan/graph.h"

typedef struct wd_plan_opts {
    uint32_t parallelism; /* subtasks per operator (0: 1) */
} wd_plan_opts;

/*
 * Compile a whole script.  On success *out is a graph the caller frees
 * with wd_graph_free.  A script without INSERT or SELECT is an error.
 */
int wd_plan_compile(const char *sql, size_t len, const wd_plan_opts *opts, wd_graph **out,
                    wd_error *err);

#endif
