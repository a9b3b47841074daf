/*
 * rows.h — rows that operators keep out of their input batches, shared by
 * the window-function operator (window_fn.c) and the updating top-N
 * (topn.c):
 *
 *  - Candidate slots.  Kept rows live in a store (a batch of the input
 *    schema whose rows were copied in).  While a run of input rows is
 *    offered to the kept rows, the rows admitted get slots base, base + 1,
 *    … (base: the store's row count) before they are copied: slot base + k
 *    is input row pend[k], so a slot names a row of the store or of the
 *    input.  wd_slot_cmp is a top-N's row order over slots.
 *  - Row records.  A kept row as a keyed snapshot record: a fixed-size
 *    prefix of the operator's own, then every input column encoded
 *    (wd_value_encode), tagged with the high half of the wd_hash_rows hash
 *    of its partition columns — what the shuffle in front of the operator
 *    routes by.  wd_rows_restore reads such records back into batches,
 *    checking each record and each row's hash, and hands them to the
 *    operator.
 */
#ifndef WD_OPS_ROWS_H
#define WD_OPS_ROWS_H

#include <stdint.h>

#include "batch/batch.h"
#include "batch/sort.h"
#include "state/snapshot.h"

/* Slots of the store rows and of the input rows being offered. */
typedef struct wd_slots {
    const wd_col *store;       /* store columns: slots [0, base) */
    uint32_t base;
    const wd_col *in;          /* input columns: slot base + k is row pend[k] */
    const uint32_t *pend;
    const wd_sort_key *okeys;  /* ORDER BY: ranks and peers */
    uint32_t norder;
    const wd_sort_key *fkeys;  /* ORDER BY, then columns: the row order */
    uint32_t nfull;
} wd_slots;

/* The columns holding slot and its row in them. */
static inline const wd_col *wd_slot_row(const wd_slots *c, uint32_t slot, uint32_t *row)
{
    if (slot < c->base) {
        *row = slot;
        return c->store;
    }
    *row = c->pend[slot - c->base];
    return c->in;
}

/* Order keys of two slots. */
static inline int wd_slot_keys_cmp(const wd_slots *c, uint32_t a, uint32_t b)
{
    uint32_t ra, rb;
    const wd_col *ca = wd_slot_row(c, a, &ra), *cb = wd_slot_row(c, b, &rb);
    return wd_row_cmp2(ca, ra, cb, rb, c->okeys, c->norder);
}

/* The row order: ORDER BY keys, then the columns of fkeys, then arrival
 * (slots grow with arrival; only identical rows get that far). */
static inline int wd_slot_cmp(const wd_slots *c, uint32_t a, uint32_t b)
{
    uint32_t ra, rb;
    const wd_col *ca = wd_slot_row(c, a, &ra), *cb = wd_slot_row(c, b, &rb);
    int r = wd_row_cmp2(ca, ra, cb, rb, c->fkeys, c->nfull);
    return r ? r : (a > b) - (a < b);
}

/* Describe, for a layout fingerprint (wd_snap_fingerprint), what kept
 * rows depend on: the input types, the partition columns and the order
 * keys. */
void wd_rows_describe(wd_buf *b, const wd_type *in, const int *part, uint32_t npart,
                      const wd_sort_key *order, uint32_t norder);

/* The most prefix bytes a row record may carry. */
#define WD_ROWS_PREFIX_MAX 8u

/* Write row r of x (every column) as a record of the current table of o,
 * with key hash kh, after the plen bytes at prefix. */
void wd_rows_snap(wd_snap_out *o, const wd_batch *x, uint32_t r, uint32_t kh, const void *prefix,
                  uint32_t plen);

/* What a restored row's record carried besides its columns. */
typedef struct wd_rows_meta {
    uint32_t from;                          /* the old subtask that wrote it */
    uint8_t prefix[WD_ROWS_PREFIX_MAX];
} wd_rows_meta;

/* Takes a batch of restored rows (borrowed for the call) and their
 * meta[0..b->nrows). */
typedef int (*wd_rows_feed)(void *ctx, wd_batch *b, const wd_rows_meta *meta, wd_error *err);

/*
 * Read every record of keyed table `table` of r that belongs to this
 * subtask: a prefix of plen bytes, then one encoded value per field of
 * schema.  Rows are decoded into batches of schema (up to 1,024 rows) and
 * handed to feed once their partition columns part_cols[0..npart) are
 * checked to hash to the record's key hash.  Returns 0, WD_ECORRUPT for a
 * record that does not decode or carries another key hash, WD_ENOMEM, or
 * what feed returns.
 */
int wd_rows_restore(wd_snap_in *r, const char *table, const wd_type *schema, const int *part_cols,
                    uint32_t npart, uint32_t plen, wd_rows_feed feed, void *ctx, wd_error *err);

#endif
