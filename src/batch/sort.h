/*
 * sort.h — ordering rows of columns: ORDER BY keys, a multi-column row
 * comparator and a sort of row indexes.
 *
 * Value order (ascending) is SQL's, as PostgreSQL defines it: numbers by
 * value (floats: -0.0 = 0.0, NaN equal to NaN and above every number),
 * TEXT / BYTES / JSON bytewise (memcmp, then the shorter first), BOOL
 * false < true, TIMESTAMP / DATE by time, INTERVAL by its length with a
 * month counted as 30 days, STRUCT field by field, LIST element by element
 * then the shorter first; a NULL inside a STRUCT or LIST sorts after every
 * value.  Where top-level NULLs go is each key's choice (nulls_first),
 * independent of its direction; the planner applies SQL's default (NULLS
 * LAST for ASC, NULLS FIRST for DESC).
 *
 * Both sides of a comparison must have the same types (columns of one
 * schema).  CONST columns are accepted everywhere.
 *
 * Exports: wd_sort_key, wd_value_cmp, wd_row_cmp, wd_row_cmp2, wd_sort_rows.
 */
#ifndef WD_SORT_H
#define WD_SORT_H

#include <stdbool.h>
#include <stdint.h>

#include "batch/batch.h"

/* One ORDER BY item: column index, direction, where NULLs go. */
typedef struct wd_sort_key {
    int col;
    bool desc;
    bool nulls_first;
} wd_sort_key;

/*
 * Compare logical row a of column x with row b of column y (same type),
 * ascending, in the value order above; NULLs (top-level too) last.
 * Returns < 0, 0 or > 0.
 */
int wd_value_cmp(const wd_col *x, uint32_t a, const wd_col *y, uint32_t b);

/*
 * Compare row a of the columns ca with row b of the columns cb on keys
 * (keys[k].col indexes both column arrays): the first key that differs
 * decides, honouring desc and nulls_first; 0 when every key is equal (two
 * NULLs are equal, as GROUP BY and PARTITION BY treat them).
 */
int wd_row_cmp2(const wd_col *ca, uint32_t a, const wd_col *cb, uint32_t b,
                const wd_sort_key *keys, uint32_t nkeys);

/* wd_row_cmp2 with both rows in one set of columns (one batch). */
int wd_row_cmp(const wd_col *cols, const wd_sort_key *keys, uint32_t nkeys, uint32_t a,
               uint32_t b);

/*
 * Sort the row indexes idx[0..n) of cols by keys; rows whose keys are all
 * equal come in ascending index order, so the result is deterministic (a
 * stable sort of ascending indexes).  nkeys may be 0 (indexes ascending).
 *
 * The first key is sorted through a 64-bit normalised prefix (integers,
 * timestamps, dates, booleans and floats exactly; the first 8 bytes of
 * text; a saturated value of decimals and intervals) with an LSD radix
 * sort that skips constant bytes; only runs of equal prefixes that the
 * prefix cannot decide, or that have further keys, go through the
 * comparator (a merge sort).  Scratch memory: about 16 bytes per row,
 * allocated once per call.
 */
void wd_sort_rows(const wd_col *cols, const wd_sort_key *keys, uint32_t nkeys, uint32_t *idx,
                  uint32_t n);

#endif
