/*
 * agg.h — aggregate functions and the group table they accumulate in.
 *
 * Aggregation is vectorised: an operator maps each input row to a group
 * slot (wd_groups), then calls every aggregate's `update` once per batch
 * with the slots and the argument column.  A group's aggregate states lie
 * side by side in one fixed-size "state row" (DuckDB's layout): aggregate k
 * of group g lives at base + g * stride + offset[k].  Out-of-line state
 * (distinct sets, array_agg lists, copies of text for min/max) is allocated
 * through the wd_agg_ctx and released by `destroy` (or with the arena of a
 * window when the window closes).
 *
 * Aggregates with `retract` can also remove values: updating aggregates
 * use it for retractions, sliding (hop) windows to drop the pane leaving
 * the window in O(1) instead of re-merging every pane.
 *
 * Checkpoints: a state row can be saved into a snapshot record and loaded
 * back (wd_agg_row_save / wd_agg_row_load), out-of-line state included;
 * a group table gives each group's key hash (the bits shuffles partition
 * by) and its key as bytes, and takes keys back from those bytes.
 */
#ifndef WD_AGG_H
#define WD_AGG_H

#include <stdbool.h>
#include <stdint.h>

#include "batch/batch.h"
#include "common/buf.h"
#include "common/error.h"
#include "state/snapshot.h"

typedef struct wd_agg_fn wd_agg_fn;

/* One aggregate call of a plan (immutable). */
typedef struct wd_agg_spec {
    const wd_agg_fn *fn;
    const wd_type *arg_type;  /* NULL for count(*) */
    const wd_type *ret;       /* result type (from fn->resolve) */
    bool distinct;            /* count(DISTINCT x), sum(DISTINCT x) … */
    int arg_col;              /* input column of the argument, -1 for count(*) */
    int arg2_col;             /* second argument (e.g. a separator), or -1 */
    int filter_col;           /* BOOLEAN input column of FILTER (WHERE …), or -1 */
    uint32_t offset;          /* of its state within a state row (set by wd_agg_layout) */
    uint32_t size;            /* bytes of state */
} wd_agg_spec;

/* Where aggregates allocate out-of-line state. */
typedef struct wd_agg_ctx {
    wd_arena *arena;          /* lives as long as the states (a window, or the operator) */
} wd_agg_ctx;

/* Flags. */
#define WD_AGG_RETRACT 1u     /* `retract` is implemented (sum, count, avg, …) */
#define WD_AGG_DESTROY 2u     /* `destroy` must run before the state is dropped */

struct wd_agg_fn {
    const char *name;         /* lower case: "count", "sum" … */
    int8_t min_args, max_args;/* count(*) is min_args 0 */
    uint32_t flags;
    const char *doc;
    /* Result type for an argument type (NULL for count(*)); NULL + err when
     * the type is not accepted ("sum(TEXT) is not defined; sum takes a
     * numeric or interval argument"). */
    const wd_type *(*resolve)(wd_arena *a, const wd_type *arg, wd_error *err);
    /* Bytes of state for this argument type (8-byte aligned by the layout). */
    uint32_t (*state_size)(const wd_type *arg);
    /* Initialise n states at st, st + stride, … */
    void (*init)(const wd_agg_spec *s, uint8_t *st, uint32_t stride, uint32_t n);
    /*
     * Add (sign = +1) or remove (sign = -1, only with WD_AGG_RETRACT) rows
     * rows[0..n) of arg (NULL for count(*); may be CONST) into the states of
     * slots[0..n): state of row rows[i] is base + slots[i] * stride + s->offset.
     * NULL argument values are skipped (SQL semantics).
     */
    void (*update)(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *base, uint32_t stride,
                   const uint32_t *slots, const wd_col *arg, const uint32_t *rows, uint32_t n,
                   int sign);
    /* dst += src (both point at this aggregate's state). */
    void (*merge)(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *dst, const uint8_t *src);
    /* Write the result of state st as row `row` of out (out initialised with
     * s->ret and room for the row). */
    void (*finalize)(const wd_agg_spec *s, const uint8_t *st, wd_col *out, uint32_t row,
                     wd_arena *a);
    void (*destroy)(const wd_agg_spec *s, uint8_t *st);
};

/* The aggregate called name (lower case), or NULL. */
const wd_agg_fn *wd_agg_find(const char *name);
/* Visit every aggregate (docs). */
void wd_agg_foreach(void (*visit)(const wd_agg_fn *f, void *arg), void *arg);

/* Assign offsets/sizes; returns the state-row stride (8-byte aligned). */
uint32_t wd_agg_layout(wd_agg_spec *specs, uint32_t n);

/*
 * Apply a batch to state rows: for each aggregate, honour its FILTER column
 * and DISTINCT, then call update with sign (+1 insert, -1 retract; per-row
 * signs come from in->retract when sign is 0).  cols are the input
 * columns (the pre-projected batch); slots[i] is row i's group.
 */
void wd_agg_apply(const wd_agg_spec *specs, uint32_t nspecs, wd_agg_ctx *c, uint8_t *base,
                  uint32_t stride, const wd_batch *in, const uint32_t *slots, int sign);

/* ---- value encoding ---------------------------------------------------------- */

/*
 * One value as normalised bytes (the encoding of group keys: equal values ⇔
 * equal bytes), for operators that keep values outside batches (the last
 * emitted row of an updating aggregate).  Decoding writes row `row` of c,
 * copying strings into a; LIST columns must be written in row order.
 */
size_t wd_value_enc_size(const wd_col *c, uint32_t row);
uint8_t *wd_value_encode(uint8_t *dst, const wd_col *c, uint32_t row);
const uint8_t *wd_value_decode(wd_col *c, uint32_t row, const uint8_t *p, wd_arena *a);
/* Bytes of the one value of type t encoded at p (at most n bytes), or 0
 * when they are not a well-formed encoding of one: check restored bytes
 * before decoding them. */
size_t wd_value_check(const wd_type *t, const uint8_t *p, size_t n);

/* ---- group table ---------------------------------------------------------- */

/*
 * Maps key tuples to dense slots 0, 1, 2 …  Keys are stored encoded
 * (normalised bytes: equal keys ⇔ equal bytes) in the table's arena, so the
 * table never points into batches.  Decoding gives the key columns back.
 */
typedef struct wd_groups wd_groups;

/* A table for keys of the given types (nkeys may be 0: one group). */
wd_groups *wd_groups_new(const wd_type *const *key_types, uint32_t nkeys);
void wd_groups_free(wd_groups *g);
/* Forget every group (keep memory for reuse). */
void wd_groups_clear(wd_groups *g);

/*
 * Find or insert the group of each row 0..n of the key columns (NULL keys
 * form their own group, as GROUP BY does); slots[i] gets its slot and
 * *nnew how many groups were created (their slots are the highest ones).
 * hashes may be NULL (computed here).
 */
void wd_groups_lookup(wd_groups *g, const wd_col *keys, uint32_t n, const uint64_t *hashes,
                      uint32_t *slots, uint32_t *nnew);

/* Number of groups. */
uint32_t wd_groups_count(const wd_groups *g);

/* Make room for n groups at once (a sizing hint; never required). */
void wd_groups_reserve(wd_groups *g, uint32_t n);

/* Append the keys of slots[0..n) as rows of cols[0..nkeys) (initialised by
 * the caller with the key types, room for n rows, arena a). */
void wd_groups_keys(const wd_groups *g, const uint32_t *slots, uint32_t n, wd_col *cols,
                    wd_arena *a);

/* Bytes held (metrics, memory reports). */
size_t wd_groups_bytes(const wd_groups *g);

/* ---- checkpoints ------------------------------------------------------------ */

/*
 * A fingerprint of a state layout: the aggregates (names, argument and
 * result types, DISTINCT, offsets and sizes), the stride, the key types and
 * the save format.  Snapshots record it and restore refuses state of
 * another layout.  0 when some spec's function is not one of this
 * module's (wd_agg_find): such states cannot be saved.
 */
uint64_t wd_agg_fingerprint(const wd_agg_spec *specs, uint32_t n, uint32_t stride,
                            const wd_type *const *key_types, uint32_t nkeys);

/*
 * True when every state of a row is plain bytes (no DISTINCT set, no
 * owned memory): the row's save format is then its first *bytes bytes
 * as they are, which a caller may copy itself (a snapshot loop over many
 * groups); wd_agg_row_save / wd_agg_row_load write and read the same.
 */
bool wd_agg_row_plain(const wd_agg_spec *specs, uint32_t n, uint32_t *bytes);

/* Append the states of state row `row` (specs[0..n), laid out by
 * wd_agg_layout) to b: plain states as their bytes, owned memory and
 * DISTINCT sets as what they hold. */
void wd_agg_row_save(const wd_agg_spec *specs, uint32_t n, const uint8_t *row, wd_buf *b);

/*
 * Read a row saved by wd_agg_row_save from r into `row` (initialised by
 * the aggregates' init), allocating out-of-line state from c.  Returns
 * false when the bytes do not decode; the row then holds initialised or
 * loaded states only (never pointers from the record), so it may be
 * destroyed as usual.
 */
bool wd_agg_row_load(const wd_agg_spec *specs, uint32_t n, uint8_t *row, wd_agg_ctx *c,
                     wd_rd *r);

/*
 * The key hash of groups from .. from + n - 1 into out: the high 32 bits
 * of the wd_hash_rows hash of their key columns, the hash shuffles route
 * by (wd_hash_partition), so wd_khash_partition sends a group's record to
 * the subtask that receives its key.  0 for the one group of a table
 * without keys.
 */
void wd_groups_khash(const wd_groups *g, uint32_t from, uint32_t n, uint32_t *out);

/* Group gid's key as bytes (the normalised encoding of its key tuple, which
 * delimits itself): its size, and writing it at dst (returns the byte
 * after it).  Nothing for a table without keys. */
size_t wd_groups_key_size(const wd_groups *g, uint32_t gid);
uint8_t *wd_groups_key_write(const wd_groups *g, uint32_t gid, uint8_t *dst);

/* True when p[0..n) starts with a well-formed key of g's key types; *len
 * gets its size (0 for a table without keys). */
bool wd_groups_key_check(const wd_groups *g, const uint8_t *p, size_t n, size_t *len);

/*
 * Decode n keys (keys[i], each accepted by wd_groups_key_check) into key
 * columns cols[0..nkeys) (initialised here, n rows, buffers in arena a)
 * and their wd_hash_rows hashes into hashes[0..n), for wd_groups_lookup.
 * Returns 0, or WD_ECORRUPT when some key's hash does not have khash[i]
 * as its high half (0 without keys): the record is not what it claims.
 */
int wd_groups_decode_keys(const wd_groups *g, const uint8_t *const *keys, const uint32_t *khash,
                          uint32_t n, wd_col *cols, uint64_t *hashes, wd_arena *a);

#endif
