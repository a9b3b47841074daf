/*
 * batch.h — columns and batches, the unit of data that flows between
 * operators.
 *
 * A batch is a schema (a STRUCT type whose last field is the hidden event
 * time `_timestamp` TIMESTAMP NOT NULL) plus one column per field, all of
 * nrows rows.  Every buffer of a batch comes from the batch's arena, which
 * is freed in one step when the last reference is released.
 *
 * Columns are Arrow-like, with two deliberate differences (see
 * docs/architecture.md): validity is one byte per row (1 = valid), and text
 * values are views (wd_str) so that filters and projections move 16 bytes
 * per string instead of copying it.  A view may point into the batch's own
 * arena, into static memory, or into a parent batch that this batch
 * borrows (wd_batch_borrow keeps the parent alive).
 *
 * Ownership: a function given a batch borrows it for the call.  To keep a
 * batch (queue it, buffer it in state) take a reference with
 * wd_batch_retain and drop it with wd_batch_release.  A batch handed to a
 * consumer is never modified again.
 */
#ifndef WD_BATCH_H
#define WD_BATCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "batch/types.h"

/* Column flags. */
#define WD_COL_CONST 1u /* one physical value (index 0) stands for every row */

typedef struct wd_col {
    const wd_type *type;
    uint32_t len;          /* logical rows */
    uint32_t flags;        /* WD_COL_* */
    uint8_t *valid;        /* NULL: no nulls; else 1 byte per row, 1 = valid */
    void *data;            /* values (see types.h); LIST: uint32 offsets */
    struct wd_col *child;  /* STRUCT: type->nfields children; LIST: 1 child */
    uint32_t cap;          /* rows the buffers can hold (builders) */
} wd_col;

typedef struct wd_batch {
    _Atomic uint32_t refs;
    uint32_t nrows;
    const wd_type *schema;     /* STRUCT; last field is _timestamp */
    wd_col *cols;              /* schema->nfields columns */
    uint8_t *retract;          /* NULL: all rows are inserts; else 1 = retraction
                                  (updating streams) */
    wd_arena arena;            /* every buffer of this batch */
    struct wd_batch **parents; /* batches whose memory columns borrow */
    uint32_t nparents, capparents;
} wd_batch;

/* Default rows per batch built by sources. */
#define WD_BATCH_ROWS 1024

/* ---- columns ---------------------------------------------------------- */

static inline bool wd_col_valid(const wd_col *c, uint32_t i)
{
    return !c->valid || c->valid[(c->flags & WD_COL_CONST) ? 0 : i];
}
/* Physical index of logical row i (0 for constant columns). */
static inline uint32_t wd_col_idx(const wd_col *c, uint32_t i)
{
    return (c->flags & WD_COL_CONST) ? 0 : i;
}
#define WD_COL_VALS(c, T) ((T *)(c)->data)
#define WD_COL_GET(c, T, i) (((const T *)(c)->data)[wd_col_idx((c), (i))])

/*
 * Initialise c as an empty column of type t with room for cap rows, buffers
 * from arena a (children recursively; a LIST child starts with room for cap
 * elements).  Validity is not allocated: call wd_col_valid_alloc before
 * writing a null.  len is set to 0.
 */
void wd_col_init(wd_col *c, const wd_type *t, uint32_t cap, wd_arena *a);

/* Allocate the validity buffer (all rows valid up to cap) if absent; return it. */
uint8_t *wd_col_valid_alloc(wd_col *c, wd_arena *a);

/* Mark row i null (allocating validity if needed).  Children of a null
 * struct row are left as they are (their values are undefined). */
void wd_col_set_null(wd_col *c, uint32_t i, wd_arena *a);

/* Grow c's buffers to hold at least cap rows (children of STRUCT too). */
void wd_col_reserve(wd_col *c, uint32_t cap, wd_arena *a);

/* Number of null rows. */
uint32_t wd_col_null_count(const wd_col *c);

/*
 * dst = src rows idx[0..n): views and list children are gathered, string
 * bytes are not copied (the caller borrows src's batch).  dst is
 * initialised here in arena a.  idx == NULL means rows 0..n (a shallow copy).
 */
void wd_col_gather(wd_col *dst, const wd_col *src, const uint32_t *idx, uint32_t n,
                   wd_arena *a);

/* Expand a constant column into n physical rows (dst initialised in a). */
void wd_col_expand_const(wd_col *dst, const wd_col *src, uint32_t n, wd_arena *a);

/*
 * Append rows idx[0..n) (rows 0..n when idx is NULL) of the non-constant
 * column src to the builder column dst (same type), whose buffers live in
 * arena a, growing them as needed.  copy: text bytes are copied into a, so
 * dst never points into src; otherwise views are kept and the caller keeps
 * src's batch alive (wd_batch_borrow).
 */
void wd_col_append(wd_col *dst, const wd_col *src, const uint32_t *idx, uint32_t n, wd_arena *a,
                   bool copy);

/* Copy a string into arena a and return the view. */
wd_str wd_str_copy(wd_arena *a, const char *p, size_t n);
static inline wd_str wd_str_make(const char *p, uint32_t n)
{
    wd_str s = {p, n, 0};
    return s;
}

/* ---- batches ---------------------------------------------------------- */

/* A new batch of schema with room for cap rows in each column; nrows = 0. */
wd_batch *wd_batch_new(const wd_type *schema, uint32_t cap);

/* A batch with no columns allocated (cols zeroed): for operators that fill
 * columns by gathering or borrowing. */
wd_batch *wd_batch_new_empty(const wd_type *schema);

void wd_batch_retain(wd_batch *b);
void wd_batch_release(wd_batch *b);

/* b's columns may point into parent's memory: keep parent alive as long as b. */
void wd_batch_borrow(wd_batch *b, wd_batch *parent);

/* Arena memory that lives as long as b. */
static inline void *wd_batch_alloc(wd_batch *b, size_t n) { return wd_arena_alloc(&b->arena, n); }

/* The _timestamp column's values. */
static inline int64_t *wd_batch_ts(const wd_batch *b)
{
    return (int64_t *)b->cols[b->schema->nfields - 1].data;
}

/* Set every column's len to b->nrows (after a builder filled rows). */
void wd_batch_seal(wd_batch *b);

/* Rows idx[0..n) of b as a new batch that borrows b (retract flags too). */
wd_batch *wd_batch_gather(wd_batch *b, const uint32_t *idx, uint32_t n);

/*
 * The bytes of b's data (metrics): the value buffers of its rows (a
 * constant column counts one value), validity and retract bytes, list
 * offsets; TEXT / BYTES / JSON count their values' lengths, not their
 * views.  The cost does not grow with the rows: a string column of more
 * than 16 rows is measured on 16 of them spread over the column (the
 * result is then an estimate, the same for the same batch).
 */
uint64_t wd_batch_bytes(const wd_batch *b); /* NULL: 0 */

/* in with every constant column expanded: a new batch that borrows in (a
 * reference for the caller, NULL when it cannot be allocated), or in itself
 * when no column is constant. */
wd_batch *wd_batch_expand_consts(wd_batch *in);

/* Index of the hidden _timestamp field in a schema. */
static inline uint32_t wd_schema_ts_index(const wd_type *schema) { return schema->nfields - 1; }

/* Make a schema: fields plus the trailing _timestamp field. */
const wd_type *wd_schema_make(wd_arena *a, uint32_t nfields, const wd_field *fields);

/* True for the hidden `_timestamp` field name. */
bool wd_field_is_hidden(const char *name);

/* Debug: print a batch as a table to stderr. */
void wd_batch_dump(const wd_batch *b);

#endif
