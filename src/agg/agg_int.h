/*
 * agg_int.h — what the files of src/agg share: the private aggregate
 * definition (the public wd_agg_fn plus the real merge), the normalised
 * value encoding used by group keys, DISTINCT sets and out-of-line states,
 * value hashing, and allocation helpers that never return NULL.
 *
 * State rows are 8-byte aligned (wd_agg_layout rounds every offset and the
 * stride to 8 and callers allocate state rows from an arena or wd_malloc),
 * so states read values of up to 8 bytes through typed pointers; 16-byte
 * values (DECIMAL, INTERVAL, __int128 sums) go through memcpy.
 *
 * Checkpoints: a state that is plain bytes (counts, sums, HyperLogLog
 * registers …) is saved as its bytes; one that owns memory (a text copy, an
 * array_agg list, first/last_value's encoded value) has save / load hooks
 * that write and read what it owns (agg.h, wd_agg_row_save).  DISTINCT
 * sets are handled by agg.c for every aggregate.
 */
#ifndef WD_AGG_INT_H
#define WD_AGG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "agg/agg.h"
#include "common/buf.h"
#include "state/snapshot.h"

/* ---- aggregate definitions -------------------------------------------------- */

/*
 * One aggregate.  pub.merge is wd_agg__merge_entry for every aggregate: it
 * handles DISTINCT states (a union of the value sets) and otherwise calls
 * `merge` below.  A wd_agg_fn pointer of this module can be cast to
 * wd_agg_def (pub is the first member).
 */
typedef struct wd_agg_def {
    wd_agg_fn pub;
    void (*merge)(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *dst, const uint8_t *src);
    bool keeps_nulls; /* update looks at NULL values (array_agg, first/last_value) */
    /*
     * Checkpoints, for states that own memory (NULL, NULL: the state is
     * plain bytes and saved as they are).  save appends state st to b;
     * load reads it back into st (initialised by init) from r, allocating
     * what it owns from c, and returns false when the bytes do not decode
     * (st is then left valid, as init or partly loaded, never pointing at
     * freed or foreign memory).  Both see the aggregate's own state only,
     * never a DISTINCT set.
     */
    void (*save)(const wd_agg_spec *s, const uint8_t *st, wd_buf *b);
    bool (*load)(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *st, wd_rd *r);
} wd_agg_def;

/*
 * The definition of an aggregate of one argument (count: MIN_ARGS 0): every
 * aggregate shares init (zeroed state) and the public merge entry (which
 * handles DISTINCT before calling MERGE).  KEEPS_NULLS, SAVE and LOAD: see
 * wd_agg_def (SAVE and LOAD are NULL for plain-bytes states).
 */
#define WD_AGG_DEF(NAME, MIN_ARGS, FLAGS, DOC, RESOLVE, SIZE, UPDATE, FINALIZE, MERGE,        \
                   KEEPS_NULLS, SAVE, LOAD)                                                  \
    {                                                                                        \
        .pub = {.name = NAME,                                                                \
                .min_args = MIN_ARGS,                                                        \
                .max_args = 1,                                                               \
                .flags = FLAGS,                                                              \
                .doc = DOC,                                                                  \
                .resolve = RESOLVE,                                                          \
                .state_size = SIZE,                                                          \
                .init = wd_agg__init_zero,                                                   \
                .update = UPDATE,                                                            \
                .merge = wd_agg__merge_entry,                                                \
                .finalize = FINALIZE},                                                       \
        .merge = MERGE, .keeps_nulls = KEEPS_NULLS, .save = SAVE, .load = LOAD,              \
    }

static inline const wd_agg_def *wd_agg__def(const wd_agg_spec *s)
{
    return (const wd_agg_def *)s->fn;
}

/* The shared pub.init (zeroes s->size bytes per state: every state starts
 * as all-zero) and pub.merge (see wd_agg_def). */
void wd_agg__init_zero(const wd_agg_spec *s, uint8_t *st, uint32_t stride, uint32_t n);
void wd_agg__merge_entry(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *dst, const uint8_t *src);

/* Checkpoints of DISTINCT sets (agg.c): append the set of DISTINCT state st
 * (its live values and their counts) to b; read one back into st (whose
 * set pointer is NULL), allocating from c — false when it does not decode. */
void wd_agg__distinct_save(const wd_agg_spec *s, const uint8_t *st, wd_buf *b);
bool wd_agg__distinct_load(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *st, wd_rd *r);

/* The aggregates of each file, NULL-terminated lists. */
extern const wd_agg_def *const wd_agg__basic[];   /* agg_basic.c */
extern const wd_agg_def *const wd_agg__minmax[];  /* agg_minmax.c */
extern const wd_agg_def *const wd_agg__stats[];   /* agg_stats.c */
extern const wd_agg_def *const wd_agg__collect[]; /* agg_collect.c */

/* Record a resolve() type error: "NAME(TYPE) is not defined; NAME takes WHAT". */
const wd_type *wd_agg__type_error(wd_error *err, const char *name, const wd_type *arg,
                                  const char *what);

/* ---- state access -------------------------------------------------------------- */

#define WD_AGG_ST(base, stride, slot, off) ((base) + (size_t)(slot) * (stride) + (off))

static inline wd_i128 wd_agg__ld128(const void *p)
{
    wd_i128 v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void wd_agg__st128(void *p, wd_i128 v) { memcpy(p, &v, sizeof v); }

/*
 * Wrapping arithmetic for counters and integer sums in states: two's
 * complement, the same instructions as + but never undefined.  A state
 * restored from a checkpoint holds whatever bytes the snapshot had, and
 * updating or merging even a corrupt one must not be undefined behaviour;
 * no real stream comes near the wrap.
 */
static inline void wd_agg__add64(int64_t *p, int64_t d)
{
    *p = (int64_t)((uint64_t)*p + (uint64_t)d);
}
static inline wd_i128 wd_agg__add128(wd_i128 a, wd_i128 b)
{
    return (wd_i128)((unsigned __int128)a + (unsigned __int128)b);
}

/* Mask applied to row numbers: 0 for constant columns (every row reads
 * physical index 0), all ones otherwise. */
static inline uint32_t wd_agg__cmask(const wd_col *c)
{
    return (c->flags & WD_COL_CONST) ? 0 : UINT32_MAX;
}

/* Prepare row `row` of a finalize output: room, len ≥ row + 1, valid. */
static inline void wd_agg__out_row(wd_col *out, uint32_t row, wd_arena *a)
{
    wd_col_reserve(out, row + 1, a);
    if (out->len < row + 1) out->len = row + 1;
    if (out->valid) out->valid[row] = 1;
}

/* Make row `row` of a finalize output NULL. */
static inline void wd_agg__out_null(wd_col *out, uint32_t row, wd_arena *a)
{
    wd_agg__out_row(out, row, a);
    wd_col_set_null(out, row, a);
    if (out->type->id == WD_T_LIST) ((uint32_t *)out->data)[row + 1] = ((uint32_t *)out->data)[row];
}

/* 10^k as __int128 for k in 0..38. */
wd_i128 wd_agg__pow10(int k);
/* A DECIMAL value (times 10^scale) as a double. */
double wd_agg__dec_to_double(wd_i128 v, int scale);

/* ---- allocation (never NULL: retry once after an injected failure, then panic) -- */

void *wd_agg__alloc(wd_arena *a, size_t n);
void *wd_agg__realloc(wd_arena *a, void *p, size_t old_n, size_t new_n);
void *wd_agg__malloc(size_t n);
void *wd_agg__grow(void *p, size_t n); /* wd_realloc that never fails */

/* A byte buffer in an arena whose capacity is reused: for copies of text
 * (min/max) and encoded values (first/last_value). */
typedef struct wd_agg_vbuf {
    uint8_t *ptr;
    uint32_t len;
    uint32_t cap;
} wd_agg_vbuf;

/* Make b hold p[0..n), reusing b's memory when it is large enough. */
void wd_agg__vbuf_set(wd_agg_vbuf *b, wd_arena *a, const void *p, size_t n);

/* ---- value encoding ------------------------------------------------------------- */

/*
 * Normalised bytes of one value (equal values ⇔ equal bytes):
 *   1 byte: 0 = NULL (nothing follows), 1 = valid; then
 *   fixed-width types: their bytes (BOOL as 0/1; floats with -0.0 as 0.0
 *   and every NaN one NaN); TEXT/BYTES/JSON: uint32 length + bytes;
 *   STRUCT: each field encoded; LIST: uint32 count + each element encoded.
 * row is a logical row (constant columns read index 0).
 */
size_t wd_agg__enc_size(const wd_col *c, uint32_t row);
uint8_t *wd_agg__enc_write(uint8_t *dst, const wd_col *c, uint32_t row);

/*
 * Decode one value from p into row `row` of c (growing c's buffers in a,
 * setting c->len to at least row + 1; strings are copied into a).  LIST
 * columns must be written in row order (offsets[row] must be final).
 * Returns the byte after the value.
 */
const uint8_t *wd_agg__dec(wd_col *c, uint32_t row, const uint8_t *p, wd_arena *a);

/*
 * Bytes of the one value of type t encoded at p (at most n bytes), or 0
 * when p[0..n) does not start with a well-formed, normalised encoding of
 * such a value (what wd_agg__enc_write writes): for checking restored
 * bytes before wd_agg__dec reads them.
 */
size_t wd_agg__enc_check(const wd_type *t, const uint8_t *p, size_t n);

/* Hash of encoded bytes, and of the value at logical row of c (stable,
 * fixed seed; equal values hash equal). */
uint64_t wd_agg__hash_bytes(const void *p, size_t n);
uint64_t wd_agg__hash_value(const wd_col *c, uint32_t row);

/* Growable malloc'd byte buffer (scratch space reused across calls). */
typedef struct wd_agg_bytes {
    uint8_t *p;
    size_t len, cap;
} wd_agg_bytes;

static inline uint8_t *wd_agg__bytes_reserve(wd_agg_bytes *b, size_t extra)
{
    if (WD_UNLIKELY(b->len + extra > b->cap)) {
        size_t nc = b->cap ? b->cap * 2 : 256;
        while (nc < b->len + extra) nc *= 2;
        b->p = wd_agg__grow(b->p, nc);
        b->cap = nc;
    }
    return b->p + b->len;
}

#endif
