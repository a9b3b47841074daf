/*
 * snapshot.h — operator state as tables of records, for checkpoints.
 *
 * At a checkpoint barrier each stateful operator (and each source and
 * two-phase sink) writes its state into a wd_snap_out: named tables of
 * records.  A record is a byte string the operator encodes itself
 * (wd_snap_put / wd_snap_rec_begin, read back with wd_rd) plus a 32-bit
 * key hash, the high half of the key's wd_hash_rows hash — the bits that
 * shuffles partition by (wd_khash_partition).  Records are written in the
 * host's byte order; snapshot files record it and refuse another.
 *
 * Tables are of two kinds:
 *  - WD_SNAP_KEYED: state that belongs to a key.  On restore each subtask
 *    receives, from every old subtask's snapshot, exactly the records whose
 *    key hash falls in its own range; at an unchanged parallelism that is
 *    its own old snapshot.  This is what makes rescaling work.
 *  - WD_SNAP_GLOBAL: per-subtask state that is not keyed (a source's
 *    position, a sink's pending files, an operator's watermark).  Every new
 *    subtask receives every old subtask's records, each tagged with the old
 *    subtask index, and combines them (a source resumes its share of the
 *    positions, a sink commits only what its own old index left, …).
 *
 * The runtime collects the wd_snap_out of every operator of a subtask,
 * writes it as snapshot files (snapfile.h) through a store (store.h), and
 * on restore builds each operator's wd_snap_in from the verified files of
 * the epoch it restores.
 */
#ifndef WD_SNAPSHOT_H
#define WD_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/buf.h"
#include "common/rd.h"
#include "common/error.h"

struct wd_type;

#define WD_SNAP_NAME_MAX 32

typedef enum wd_snap_kind { WD_SNAP_KEYED = 1, WD_SNAP_GLOBAL = 2 } wd_snap_kind;

/* The subtask among p that owns key hash kh (the high 32 bits of a
 * wd_hash_rows hash): the same ranges wd_hash_partition uses. */
static inline uint32_t wd_khash_partition(uint32_t kh, uint32_t p)
{
    return (uint32_t)(((uint64_t)kh * p) >> 32);
}

/* ---- writing -------------------------------------------------------------- */

/* One table being written: records laid out as
 * [u32 key hash][u32 length][bytes] one after another. */
typedef struct wd_snap_table {
    char name[WD_SNAP_NAME_MAX];
    wd_snap_kind kind;
    wd_buf data;
    uint64_t nrecs;
} wd_snap_table;

typedef struct wd_snap_out {
    uint64_t epoch;          /* the checkpoint being taken */
    uint32_t subtask, parallelism;
    wd_snap_table *tables;
    uint32_t ntables, cap;
    wd_snap_table *cur;      /* the table records go to */
    size_t rec_start;        /* wd_snap_rec_begin: offset of the open record */
    wd_snap_table *spare;    /* tables of an earlier snapshot: their buffers
                                serve the tables of the same names */
    uint32_t nspare, spare_cap;
} wd_snap_out;

void wd_snap_out_init(wd_snap_out *w, uint64_t epoch, uint32_t subtask, uint32_t parallelism);
/*
 * Start w over for another snapshot, keeping the memory of its tables for
 * the tables of the new one: a subtask that snapshots every epoch then
 * writes into pages it already has, instead of faulting in (and having the
 * kernel zero) as much fresh memory as its state every time.
 */
void wd_snap_out_recycle(wd_snap_out *w, uint64_t epoch, uint32_t subtask, uint32_t parallelism);
void wd_snap_out_free(wd_snap_out *w);
/* Bytes of records written so far over every table. */
size_t wd_snap_out_bytes(const wd_snap_out *w);

/*
 * Select table `name` (created on first use; a name is at most 31 bytes of
 * [a-z0-9_]) for the records that follow.  A table selected but left empty
 * is still written, so restore can tell "empty" from "absent".
 */
int wd_snap_table_begin(wd_snap_out *w, const char *name, wd_snap_kind kind, wd_error *err);

/* Append one record of len bytes to the current table. */
void wd_snap_put(wd_snap_out *w, uint32_t khash, const void *rec, size_t len);

/*
 * Build a record in place: wd_snap_rec_begin returns the table's buffer to
 * append the record's bytes to (wd_buf_put, wd_snap_put_u64, …), and
 * wd_snap_rec_end closes the record.  No other record may be started in
 * between.
 */
wd_buf *wd_snap_rec_begin(wd_snap_out *w, uint32_t khash);
void wd_snap_rec_end(wd_snap_out *w);

static inline void wd_snap_put_u8(wd_buf *b, uint8_t v) { wd_buf_put(b, &v, 1); }
static inline void wd_snap_put_u32(wd_buf *b, uint32_t v) { wd_buf_put(b, &v, 4); }
static inline void wd_snap_put_u64(wd_buf *b, uint64_t v) { wd_buf_put(b, &v, 8); }
static inline void wd_snap_put_i64(wd_buf *b, int64_t v) { wd_buf_put(b, &v, 8); }
static inline void wd_snap_put_f64(wd_buf *b, double v) { wd_buf_put(b, &v, 8); }
/* A length (u32) followed by the bytes. */
static inline void wd_snap_put_bytes(wd_buf *b, const void *p, uint32_t n)
{
    wd_buf_put(b, &n, 4);
    if (n) wd_buf_put(b, p, n);
}

/* ---- reading a record ------------------------------------------------------ */

/* wd_rd, the bounds-checked record cursor: common/rd.h */

/* ---- restoring ------------------------------------------------------------- */

/* One old subtask's records of one table (borrowed: verified file data). */
typedef struct wd_snap_part {
    char table[WD_SNAP_NAME_MAX];
    wd_snap_kind kind;
    uint32_t from_subtask;   /* the old subtask that wrote it */
    const uint8_t *data;
    size_t len;
} wd_snap_part;

typedef struct wd_snap_rec {
    uint32_t khash;
    uint32_t from_subtask;   /* the old subtask that wrote the record */
    const uint8_t *data;
    uint32_t len;
} wd_snap_rec;

typedef struct wd_snap_in {
    uint64_t epoch;              /* the epoch being restored */
    uint32_t subtask, parallelism;       /* the restoring subtask, now */
    uint32_t old_parallelism;            /* the operator's parallelism then */
    wd_snap_part *parts;
    uint32_t nparts, cap;
    /* cursor */
    const char *table;
    uint32_t part;
    size_t off;
} wd_snap_in;

void wd_snap_in_init(wd_snap_in *r, uint64_t epoch, uint32_t subtask, uint32_t parallelism,
                     uint32_t old_parallelism);
void wd_snap_in_free(wd_snap_in *r);
/* Add one old subtask's table data (borrowed; must outlive r). */
int wd_snap_in_add(wd_snap_in *r, const char *table, wd_snap_kind kind, uint32_t from_subtask,
                   const void *data, size_t len);
/* Add every table of an old subtask's in-memory snapshot (tests, and
 * restoring from what this process just wrote). */
int wd_snap_in_add_out(wd_snap_in *r, const wd_snap_out *w);

/* True when some old subtask wrote table `name`. */
bool wd_snap_in_has(const wd_snap_in *r, const char *table);

/* Start reading table `name` (no records when absent). */
void wd_snap_in_open(wd_snap_in *r, const char *table);

/*
 * The next record of the open table that belongs to this subtask: keyed
 * records in its key range, every global record.  Returns 1 with *rec
 * filled, 0 at the end, WD_ECORRUPT when the framing is broken.
 */
int wd_snap_in_next(wd_snap_in *r, wd_snap_rec *rec, wd_error *err);

/* Report a record that does not decode (WD_ECORRUPT naming the table). */
int wd_snap_bad_record(const wd_snap_in *r, wd_error *err);

/*
 * One int64 per old subtask in global table `table` (a watermark, a
 * maximum): this subtask's own when the parallelism is unchanged, else the
 * smallest of them (never ahead of any).  Returns 1 with *out set, 0 when
 * the table has no record, WD_ECORRUPT for a record that is not one int64.
 */
int wd_snap_in_own_or_min(wd_snap_in *r, const char *table, int64_t *out, wd_error *err);

/* ---- layout fingerprints ------------------------------------------------------ */

/*
 * An operator records a fingerprint of what its saved state depends on (a
 * format version, its column types, its functions …) and refuses to
 * restore state with another one.  It describes that in text (types with
 * wd_snap_describe_type) and hashes the text: never 0.
 */
void wd_snap_describe_type(wd_buf *b, const struct wd_type *t);
uint64_t wd_snap_fingerprint(const wd_buf *desc);

#endif
