/*
 * snapfile.h — the snapshot file: one state table of one operator subtask
 * at one epoch, compressed and checksummed.
 *
 * Layout (every integer in the writer's byte order, which the byte-order
 * mark records; a reader of the other order refuses the file):
 *
 *   header   "WADISNAP", u32 format version, u32 byte-order mark 0x01020304,
 *            u64 epoch, char op[64], u32 subtask, u32 parallelism,
 *            char table[32], u32 kind, u32 khash_min, u32 khash_max,
 *            u32 block size, u64 record count, u64 raw bytes,
 *            u64 XXH3 of the header's preceding bytes            (168 bytes)
 *   blocks   [u32 raw_len][u32 comp_len][u64 XXH3 of the compressed bytes]
 *            then comp_len bytes: one zstd frame of at most 1 MiB of the
 *            table's records (records may straddle blocks)
 *   trailer  [u32 0][u32 0][u64 0], u64 raw bytes, u64 record count,
 *            u64 XXH3 of every byte of the file before it          (40 bytes)
 *
 * Decoding verifies all of it — both checksum levels, every size, the
 * decompressed lengths, the record framing, the record count and the key
 * hash range against the header — and reports damage as WD_ECORRUPT with
 * a message saying what and where ("snapshot file: bad checksum in block
 * 2").  No input makes it read out of bounds or allocate more than the
 * file can describe.
 *
 * Exports: wd_snapfile_encode, wd_snapfile_decode, wd_snapfile_peek.
 */
#ifndef WD_SNAPFILE_H
#define WD_SNAPFILE_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "state/snapshot.h"

#define WD_SNAPFILE_VERSION 1
#define WD_SNAPFILE_BLOCK (1u << 20)    /* raw bytes per block, at most */
#define WD_SNAPFILE_HEADER_SIZE 168     /* what wd_snapfile_peek needs */

typedef struct wd_snapfile_info {
    uint64_t epoch;
    char op[64];                 /* operator (node) name, NUL-terminated */
    uint32_t subtask, parallelism;
    char table[WD_SNAP_NAME_MAX];
    wd_snap_kind kind;
    /* Range of the key hashes present: keyed tables with records; 0 ..
     * UINT32_MAX for global or empty tables. */
    uint32_t khash_min, khash_max;
    uint64_t nrecs;              /* records in the table */
    uint64_t raw_bytes;          /* bytes of records (uncompressed) */
} wd_snapfile_info;

/*
 * Append to out the snapshot file of one table.  info gives epoch, op,
 * subtask, parallelism, table and kind; khash_min/max, nrecs and raw_bytes
 * are computed here by walking records (len bytes laid out as snapshot.c
 * writes them: [u32 khash][u32 len][bytes]…), whatever info holds.  A
 * record overrunning the data is WD_ECORRUPT; bad info (unknown kind, a
 * subtask outside the parallelism, an empty name) is WD_EINVALID.  On
 * error out is left as it was.
 */
int wd_snapfile_encode(const wd_snapfile_info *info, const void *records, size_t len,
                       wd_buf *out, wd_error *err);

/*
 * Verify file (len bytes) completely and give back its header in *info and
 * its records in *records (wd_malloc'd, to wd_free; never NULL on success,
 * even when empty) and *rlen: exactly the bytes given to encode.  Any
 * damage is WD_ECORRUPT, with *records NULL.
 */
int wd_snapfile_decode(const void *file, size_t len, wd_snapfile_info *info, void **records,
                       size_t *rlen, wd_error *err);

/*
 * Read and verify the header only (len may be just the first
 * WD_SNAPFILE_HEADER_SIZE bytes): enough to skip a file whose key range
 * does not overlap the restoring subtask's.  WD_ECORRUPT when the header
 * is damaged; the blocks are not checked.
 */
int wd_snapfile_peek(const void *file, size_t len, wd_snapfile_info *info, wd_error *err);

#endif
