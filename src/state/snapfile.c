/*
 * snapfile.c — the snapshot file format: header, zstd blocks, trailer
 * (snapfile.h).
 *
 * Encoding walks the records block by block, right before compressing
 * each block, so the data is read from memory once while still in cache;
 * blocks are compressed straight into the output buffer (no staging copy)
 * with one zstd context per file.  Decoding checks each level before it
 * trusts it: header fields under the header checksum, each block's sizes
 * and checksum before decompressing it, the file checksum and totals in
 * the trailer, and finally the records themselves against the header.
 *
 * Exports: wd_snapfile_encode, wd_snapfile_decode, wd_snapfile_peek.
 */
#include "state/snapfile.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>
#include <xxhash.h>
#include <zstd.h>

#include "common/alloc.h"

#define MAGIC "WADISNAP"
#define BOM 0x01020304u
#define BOM_SWAPPED 0x04030201u
#define LEVEL 1

/* Header field offsets. */
enum {
    H_MAGIC = 0,
    H_VERSION = 8,
    H_BOM = 12,
    H_EPOCH = 16,
    H_OP = 24,
    H_SUBTASK = 88,
    H_PAR = 92,
    H_TABLE = 96,
    H_KIND = 128,
    H_KMIN = 132,
    H_KMAX = 136,
    H_BLOCK = 140,
    H_NRECS = 144,
    H_RAW = 152,
    H_SUM = 160,
    HEADER = 168,
};
_Static_assert(HEADER == WD_SNAPFILE_HEADER_SIZE, "header size");
_Static_assert(H_SUBTASK - H_OP == sizeof(((wd_snapfile_info *)0)->op), "op field size");
_Static_assert(H_KIND - H_TABLE == WD_SNAP_NAME_MAX, "table field size");

#define BLOCK_HDR 16   /* u32 raw_len, u32 comp_len, u64 checksum */
#define TRAILER 40     /* an empty block header, u64 raw, u64 nrecs, u64 checksum */
#define REC_HDR 8      /* u32 khash, u32 len */

static inline void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static inline uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static inline uint64_t get64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* ---- records ------------------------------------------------------------------ */

/* What walking records finds. */
typedef struct rec_walk {
    size_t off;          /* offset of the next record header */
    uint64_t nrecs;
    uint32_t kmin, kmax;
} rec_walk;

static void walk_init(rec_walk *w)
{
    w->off = 0;
    w->nrecs = 0;
    w->kmin = UINT32_MAX;
    w->kmax = 0;
}

/* Walk the records that start before `upto`; false when one overruns len. */
static bool walk_records(rec_walk *w, const uint8_t *p, size_t len, size_t upto)
{
    size_t off = w->off;
    uint64_t n = w->nrecs;
    uint32_t kmin = w->kmin, kmax = w->kmax;
    bool ok = true;
    while (off < upto) {
        if (len - off < REC_HDR) {
            ok = false;
            break;
        }
        uint32_t kh = get32(p + off), rl = get32(p + off + 4);
        if (len - off - REC_HDR < rl) {
            ok = false;
            break;
        }
        if (kh < kmin) kmin = kh;
        if (kh > kmax) kmax = kh;
        n++;
        off += REC_HDR + (size_t)rl;
    }
    w->off = off;
    w->nrecs = n;
    w->kmin = kmin;
    w->kmax = kmax;
    return ok;
}

/* The key range a header records: the hashes seen for a keyed table with
 * records, else everything. */
static void walk_range(const rec_walk *w, wd_snap_kind kind, uint32_t *kmin, uint32_t *kmax)
{
    if (kind == WD_SNAP_KEYED && w->nrecs > 0) {
        *kmin = w->kmin;
        *kmax = w->kmax;
    } else {
        *kmin = 0;
        *kmax = UINT32_MAX;
    }
}

/* ---- encoding ----------------------------------------------------------------- */

static bool name_ok(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    return n > 0 && n < cap;
}

static void put_name(uint8_t *d, const char *s, size_t cap)
{
    size_t n = strnlen(s, cap - 1);
    memset(d, 0, cap);
    memcpy(d, s, n);
}

int wd_snapfile_encode(const wd_snapfile_info *info, const void *records, size_t len,
                       wd_buf *out, wd_error *err)
{
    if (info->kind != WD_SNAP_KEYED && info->kind != WD_SNAP_GLOBAL)
        return wd_err(err, WD_EINVALID, "snapshot file: unknown table kind %d", (int)info->kind);
    if (!name_ok(info->op, sizeof info->op) || !name_ok(info->table, sizeof info->table))
        return wd_err(err, WD_EINVALID,
                      "snapshot file: empty or unterminated operator or table name");
    if (info->parallelism == 0 || info->subtask >= info->parallelism)
        return wd_err(err, WD_EINVALID,
                      "snapshot file: subtask %" PRIu32 " of parallelism %" PRIu32, info->subtask,
                      info->parallelism);
    const uint8_t *src = records;
    size_t start = out->len;
    wd_buf_reserve(out, HEADER);
    out->len += HEADER;

    ZSTD_CCtx *cc = len ? ZSTD_createCCtx() : NULL;
    if (len && !cc) {
        out->len = start;
        return wd_err(err, WD_ENOMEM, "snapshot file: out of memory for the compressor");
    }
    rec_walk w;
    walk_init(&w);
    int rc = 0;
    for (size_t off = 0; off < len;) {
        size_t n = len - off < WD_SNAPFILE_BLOCK ? len - off : WD_SNAPFILE_BLOCK;
        if (!walk_records(&w, src, len, off + n)) {
            rc = wd_err(err, WD_ECORRUPT,
                        "state table '%s': the record at offset %zu overruns the table (%zu bytes)",
                        info->table, w.off, len);
            break;
        }
        size_t bound = ZSTD_compressBound(n);
        wd_buf_reserve(out, BLOCK_HDR + bound);
        uint8_t *bh = (uint8_t *)out->data + out->len;
        size_t c = ZSTD_compressCCtx(cc, bh + BLOCK_HDR, bound, src + off, n, LEVEL);
        if (ZSTD_isError(c)) {
            rc = wd_err(err, WD_EINTERNAL, "snapshot file: compression failed: %s",
                        ZSTD_getErrorName(c));
            break;
        }
        put32(bh, (uint32_t)n);
        put32(bh + 4, (uint32_t)c);
        put64(bh + 8, XXH3_64bits(bh + BLOCK_HDR, c));
        out->len += BLOCK_HDR + c;
        off += n;
    }
    ZSTD_freeCCtx(cc);
    if (rc < 0) {
        out->len = start;
        if (out->data) out->data[start] = 0;
        return rc;
    }

    uint8_t *h = (uint8_t *)out->data + start;
    uint32_t kmin, kmax;
    walk_range(&w, info->kind, &kmin, &kmax);
    memcpy(h + H_MAGIC, MAGIC, 8);
    put32(h + H_VERSION, WD_SNAPFILE_VERSION);
    put32(h + H_BOM, BOM);
    put64(h + H_EPOCH, info->epoch);
    put_name(h + H_OP, info->op, sizeof info->op);
    put32(h + H_SUBTASK, info->subtask);
    put32(h + H_PAR, info->parallelism);
    put_name(h + H_TABLE, info->table, sizeof info->table);
    put32(h + H_KIND, (uint32_t)info->kind);
    put32(h + H_KMIN, kmin);
    put32(h + H_KMAX, kmax);
    put32(h + H_BLOCK, WD_SNAPFILE_BLOCK);
    put64(h + H_NRECS, w.nrecs);
    put64(h + H_RAW, (uint64_t)len);
    put64(h + H_SUM, XXH3_64bits(h, H_SUM));

    wd_buf_reserve(out, TRAILER);
    uint8_t *t = (uint8_t *)out->data + out->len;
    memset(t, 0, BLOCK_HDR);
    put64(t + 16, (uint64_t)len);
    put64(t + 24, w.nrecs);
    out->len += TRAILER - 8;
    put64(t + 32, XXH3_64bits(out->data + start, out->len - start));
    out->len += 8;
    out->data[out->len] = 0;
    return 0;
}

/* ---- decoding ----------------------------------------------------------------- */

#define CORRUPT(...) wd_err(err, WD_ECORRUPT, "snapshot file: " __VA_ARGS__)

static int parse_header(const uint8_t *p, size_t len, wd_snapfile_info *info, uint32_t *block,
                        wd_error *err)
{
    if (memcmp(p, MAGIC, len < 8 ? len : 8) != 0) return CORRUPT("not a snapshot file (bad magic)");
    if (len < HEADER) return CORRUPT("truncated in the header (%zu of %d bytes)", len, HEADER);
    uint32_t bom = get32(p + H_BOM);
    if (bom == BOM_SWAPPED) return CORRUPT("written on a machine of the other byte order");
    if (bom != BOM) return CORRUPT("bad byte-order mark 0x%08" PRIx32, bom);
    uint32_t version = get32(p + H_VERSION);
    if (version > WD_SNAPFILE_VERSION)
        return CORRUPT("written by a newer format version %" PRIu32 " (this build reads %d)",
                       version, WD_SNAPFILE_VERSION);
    if (version < 1) return CORRUPT("bad format version %" PRIu32, version);
    if (XXH3_64bits(p, H_SUM) != get64(p + H_SUM)) return CORRUPT("bad header checksum");

    memset(info, 0, sizeof *info);
    info->epoch = get64(p + H_EPOCH);
    memcpy(info->op, p + H_OP, sizeof info->op);
    memcpy(info->table, p + H_TABLE, sizeof info->table);
    info->subtask = get32(p + H_SUBTASK);
    info->parallelism = get32(p + H_PAR);
    uint32_t kind = get32(p + H_KIND);
    info->khash_min = get32(p + H_KMIN);
    info->khash_max = get32(p + H_KMAX);
    *block = get32(p + H_BLOCK);
    info->nrecs = get64(p + H_NRECS);
    info->raw_bytes = get64(p + H_RAW);
    /* Fields a checksum-valid header can still get wrong only if the writer
     * was broken; checked so nothing below relies on them blindly. */
    if (!name_ok(info->op, sizeof info->op) || !name_ok(info->table, sizeof info->table))
        return CORRUPT("bad operator or table name in the header");
    if (kind != WD_SNAP_KEYED && kind != WD_SNAP_GLOBAL)
        return CORRUPT("unknown table kind %" PRIu32 " in the header", kind);
    info->kind = (wd_snap_kind)kind;
    if (info->parallelism == 0 || info->subtask >= info->parallelism)
        return CORRUPT("subtask %" PRIu32 " of parallelism %" PRIu32 " in the header",
                       info->subtask, info->parallelism);
    if (*block == 0 || *block > WD_SNAPFILE_BLOCK)
        return CORRUPT("bad block size %" PRIu32 " in the header", *block);
    if (info->khash_min > info->khash_max ||
        ((kind == WD_SNAP_GLOBAL || info->nrecs == 0) &&
         (info->khash_min != 0 || info->khash_max != UINT32_MAX)))
        return CORRUPT("bad key hash range %08" PRIx32 "..%08" PRIx32 " in the header",
                       info->khash_min, info->khash_max);
    if (info->nrecs > info->raw_bytes / REC_HDR)
        return CORRUPT("%" PRIu64 " records cannot fit in %" PRIu64 " bytes", info->nrecs,
                       info->raw_bytes);
    return 0;
}

int wd_snapfile_peek(const void *file, size_t len, wd_snapfile_info *info, wd_error *err)
{
    uint32_t block;
    wd_snapfile_info tmp;
    int rc = parse_header(file, len, &tmp, &block, err);
    if (rc == 0) *info = tmp;
    return rc;
}

/*
 * First pass over the blocks after the header: their framing (sizes,
 * truncation, where the trailer is) and checksums, so that a damaged file
 * is described precisely, nothing is allocated for data the file does not
 * hold, and no damaged block reaches the decompressor.
 * *trailer gets the trailer's offset.
 */
static int scan_blocks(const uint8_t *p, size_t len, const wd_snapfile_info *info,
                       uint32_t block, size_t *trailer, wd_error *err)
{
    size_t pos = HEADER;
    uint64_t got = 0;
    uint32_t nb = 0;
    for (;;) {
        if (len - pos < BLOCK_HDR)
            return nb ? CORRUPT("truncated after block %" PRIu32, nb)
                      : CORRUPT("truncated after the header");
        uint32_t raw = get32(p + pos), comp = get32(p + pos + 4);
        if (raw == 0 && comp == 0) break;
        nb++;
        if (raw == 0 || raw > block || comp == 0 || comp > ZSTD_compressBound(raw))
            return CORRUPT("block %" PRIu32 " has bad sizes (%" PRIu32 " bytes, %" PRIu32
                           " compressed)", nb, raw, comp);
        if (raw > info->raw_bytes - got)
            return CORRUPT("block %" PRIu32 " goes past the %" PRIu64
                           " bytes the header announces", nb, info->raw_bytes);
        if (len - pos - BLOCK_HDR < comp) return CORRUPT("truncated in block %" PRIu32, nb);
        if (XXH3_64bits(p + pos + BLOCK_HDR, comp) != get64(p + pos + 8))
            return CORRUPT("bad checksum in block %" PRIu32, nb);
        got += raw;
        pos += BLOCK_HDR + comp;
    }
    if (get64(p + pos + 8) != 0) return CORRUPT("bad trailer after block %" PRIu32, nb);
    if (len - pos < TRAILER) return CORRUPT("truncated in the trailer");
    if (got != info->raw_bytes)
        return CORRUPT("the blocks hold %" PRIu64 " bytes, the header announces %" PRIu64, got,
                       info->raw_bytes);
    if (len - pos != TRAILER)
        return CORRUPT("%zu bytes of garbage after the trailer", len - pos - TRAILER);
    *trailer = pos;
    return 0;
}

/* Second pass: decompress each block into out (raw_bytes long); then the
 * trailer's checksum and totals. */
static int read_blocks(const uint8_t *p, size_t trailer, const wd_snapfile_info *info,
                       uint8_t *out, wd_error *err)
{
    size_t pos = HEADER;
    uint64_t got = 0;
    uint32_t nb = 0;
    ZSTD_DCtx *dc = NULL;
    int rc = 0;
    while (pos < trailer) {
        uint32_t raw = get32(p + pos), comp = get32(p + pos + 4);
        const uint8_t *c = p + pos + BLOCK_HDR;
        nb++;
        if (!dc && !(dc = ZSTD_createDCtx())) {
            rc = wd_err(err, WD_ENOMEM, "snapshot file: out of memory for the decompressor");
            break;
        }
        size_t d = ZSTD_decompressDCtx(dc, out + got, raw, c, comp);
        if (ZSTD_isError(d)) {
            rc = CORRUPT("block %" PRIu32 " does not decompress (%s)", nb, ZSTD_getErrorName(d));
            break;
        }
        if (d != raw) {
            rc = CORRUPT("block %" PRIu32 " decompresses to %zu bytes, not %" PRIu32, nb, d, raw);
            break;
        }
        got += raw;
        pos += BLOCK_HDR + comp;
    }
    ZSTD_freeDCtx(dc);
    if (rc < 0) return rc;
    uint64_t traw = get64(p + pos + 16), tn = get64(p + pos + 24);
    if (XXH3_64bits(p, pos + 32) != get64(p + pos + 32)) return CORRUPT("bad file checksum");
    if (traw != info->raw_bytes || tn != info->nrecs)
        return CORRUPT("the trailer counts %" PRIu64 " records in %" PRIu64
                       " bytes, the header %" PRIu64 " in %" PRIu64,
                       tn, traw, info->nrecs, info->raw_bytes);
    return 0;
}

int wd_snapfile_decode(const void *file, size_t len, wd_snapfile_info *info, void **records,
                       size_t *rlen, wd_error *err)
{
    const uint8_t *p = file;
    *records = NULL;
    *rlen = 0;
    wd_snapfile_info hi;
    uint32_t block;
    int rc = parse_header(p, len, &hi, &block, err);
    if (rc < 0) return rc;
    size_t trailer = 0;
    rc = scan_blocks(p, len, &hi, block, &trailer, err);
    if (rc < 0) return rc;
    /* scan_blocks found blocks holding exactly raw_bytes in this file */
    uint8_t *out = wd_malloc(hi.raw_bytes ? (size_t)hi.raw_bytes : 1);
    if (!out) return wd_err(err, WD_ENOMEM, "out of memory");
    rc = read_blocks(p, trailer, &hi, out, err);
    if (rc == 0) {
        rec_walk w;
        walk_init(&w);
        size_t n = (size_t)hi.raw_bytes;
        uint32_t kmin, kmax;
        if (!walk_records(&w, out, n, n))
            rc = CORRUPT("table '%s': the record at offset %zu overruns the table", hi.table,
                         w.off);
        else if (w.nrecs != hi.nrecs)
            rc = CORRUPT("table '%s' holds %" PRIu64 " records, the header says %" PRIu64,
                         hi.table, w.nrecs, hi.nrecs);
        else if (walk_range(&w, hi.kind, &kmin, &kmax),
                 kmin != hi.khash_min || kmax != hi.khash_max)
            rc = CORRUPT("table '%s' has key hashes %08" PRIx32 "..%08" PRIx32
                         ", the header says %08" PRIx32 "..%08" PRIx32,
                         hi.table, kmin, kmax, hi.khash_min, hi.khash_max);
    }
    if (rc < 0) {
        wd_free(out);
        return rc;
    }
    *info = hi;
    *records = out;
    *rlen = (size_t)hi.raw_bytes;
    return 0;
}
