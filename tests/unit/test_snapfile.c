/*
 * test_snapfile.c — unit tests for src/state/snapfile.c: round trips of
 * keyed, global, empty and multi-block tables; what encode computes and
 * refuses; precise messages for each kind of damage; every byte of a file
 * flipped and every truncation refused (never a crash: this also runs
 * under ASan); files whose checksums are right but whose content lies;
 * random garbage; allocation failure; and the encode / decode throughput
 * on about 100 MB of records (printed).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_util.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "state/snapfile.h"
#include "state/snapshot.h"

/* ---- helpers ------------------------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) { return xorshift64(&rng_state); }

static wd_snapfile_info make_info(wd_snap_kind kind, const char *table)
{
    wd_snapfile_info info;
    memset(&info, 0, sizeof info);
    info.epoch = 42;
    snprintf(info.op, sizeof info.op, "n7:aggregate");
    info.subtask = 1;
    info.parallelism = 3;
    snprintf(info.table, sizeof info.table, "%s", table);
    info.kind = kind;
    return info;
}

/* n records with key hashes in [lo, hi] and lengths 0..maxlen of
 * somewhat compressible bytes, through snapshot.c's writer. */
static void fill_table(wd_snap_out *w, const char *name, wd_snap_kind kind, size_t n,
                       uint32_t lo, uint32_t hi, size_t maxlen)
{
    assert_int_equal(wd_snap_table_begin(w, name, kind, NULL), 0);
    uint8_t rec[4096];
    for (size_t i = 0; i < n; i++) {
        uint32_t kh = lo + (uint32_t)(rnd() % ((uint64_t)hi - lo + 1));
        size_t len = maxlen ? rnd() % (maxlen + 1) : 0;
        for (size_t k = 0; k < len; k++)
            rec[k] = (uint8_t)((i * 7 + k) % 11 + (k % 5 == 0 ? rnd() % 3 : 0));
        wd_snap_put(w, kh, rec, len);
    }
}

static wd_snap_table *table_of(wd_snap_out *w, const char *name)
{
    for (uint32_t i = 0; i < w->ntables; i++)
        if (strcmp(w->tables[i].name, name) == 0) return &w->tables[i];
    fail_msg("no table %s", name);
    return NULL;
}

static void encode_ok(const wd_snapfile_info *info, const wd_buf *data, wd_buf *file)
{
    wd_error err;
    wd_err_clear(&err);
    int rc = wd_snapfile_encode(info, data->data, data->len, file, &err);
    if (rc != 0) fail_msg("encode: %s", err.msg);
}

/* Decode and expect exactly data back with info's fields. */
static void check_round_trip(const wd_buf *file, const wd_snapfile_info *want, const wd_buf *data)
{
    wd_error err;
    wd_err_clear(&err);
    wd_snapfile_info got;
    void *recs = (void *)1;
    size_t rlen = 99;
    int rc = wd_snapfile_decode(file->data, file->len, &got, &recs, &rlen, &err);
    if (rc != 0) fail_msg("decode: %s", err.msg);
    assert_non_null(recs);
    assert_int_equal(rlen, data->len);
    if (rlen) assert_memory_equal(recs, data->data, rlen);
    wd_free(recs);
    assert_int_equal(got.epoch, want->epoch);
    assert_string_equal(got.op, want->op);
    assert_string_equal(got.table, want->table);
    assert_int_equal(got.subtask, want->subtask);
    assert_int_equal(got.parallelism, want->parallelism);
    assert_int_equal(got.kind, want->kind);
    assert_int_equal(got.raw_bytes, data->len);
}

/* Decode must fail with WD_ECORRUPT (and no output); returns the message. */
static const char *expect_corrupt(const void *file, size_t len)
{
    static wd_error err;
    wd_err_clear(&err);
    wd_snapfile_info info;
    void *recs = (void *)1;
    size_t rlen = 99;
    int rc = wd_snapfile_decode(file, len, &info, &recs, &rlen, &err);
    if (rc != WD_ECORRUPT)
        fail_msg("decode of %zu damaged bytes returned %d (%s)", len, rc, err.msg);
    assert_null(recs);
    assert_int_equal(rlen, 0);
    assert_true(strncmp(err.msg, "snapshot file: ", 15) == 0);
    return err.msg;
}

static void expect_msg(const void *file, size_t len, const char *want)
{
    const char *msg = expect_corrupt(file, len);
    if (!strstr(msg, want)) fail_msg("message '%s' does not contain '%s'", msg, want);
}

/* Offsets of the format, as snapfile.h documents it. */
enum { HDR = WD_SNAPFILE_HEADER_SIZE, H_VERSION = 8, H_BOM = 12, H_NRECS = 144, H_RAW = 152,
       H_SUM = 160, BLOCK_HDR = 16, TRAILER = 40 };

static uint32_t get32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static void put32(void *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(void *p, uint64_t v) { memcpy(p, &v, 8); }

/* Recompute both checksums of a file edited in place (header and trailer
 * positions as given). */
static void reseal(uint8_t *f, size_t len)
{
    put64(f + H_SUM, XXH3_64bits(f, H_SUM));
    put64(f + len - 8, XXH3_64bits(f, len - 8));
}

/* Offset of block k (1-based) of a file. */
static size_t block_at(const uint8_t *f, size_t len, unsigned k)
{
    size_t pos = HDR;
    for (unsigned i = 1; i < k; i++) {
        assert_true(pos + BLOCK_HDR <= len);
        pos += BLOCK_HDR + get32(f + pos + 4);
    }
    return pos;
}

/* ---- round trips ------------------------------------------------------------------ */

static void test_keyed_round_trip(void **state)
{
    (void)state;
    wd_snap_out w;
    wd_snap_out_init(&w, 42, 1, 3);
    fill_table(&w, "groups", WD_SNAP_KEYED, 1000, 0x10000000, 0x5fffffff, 60);
    wd_snap_table *t = table_of(&w, "groups");
    wd_snapfile_info info = make_info(WD_SNAP_KEYED, "groups");
    info.nrecs = 12345;  /* ignored: encode computes these */
    info.khash_min = 1;
    wd_buf file = WD_BUF_INIT;
    encode_ok(&info, &t->data, &file);
    check_round_trip(&file, &info, &t->data);

    /* what the header records */
    wd_snapfile_info got;
    assert_int_equal(wd_snapfile_peek(file.data, HDR, &got, NULL), 0);
    assert_int_equal(got.nrecs, 1000);
    assert_int_equal(got.raw_bytes, t->data.len);
    uint32_t lo = UINT32_MAX, hi = 0;
    for (size_t off = 0; off < t->data.len;) {
        uint32_t kh = get32(t->data.data + off), l = get32(t->data.data + off + 4);
        if (kh < lo) lo = kh;
        if (kh > hi) hi = kh;
        off += 8 + l;
    }
    assert_int_equal(got.khash_min, lo);
    assert_int_equal(got.khash_max, hi);
    assert_true(got.khash_min >= 0x10000000 && got.khash_max <= 0x5fffffff);

    /* the decoded records read back through snapshot.c */
    void *recs;
    size_t rlen;
    assert_int_equal(wd_snapfile_decode(file.data, file.len, &got, &recs, &rlen, NULL), 0);
    wd_snap_in in;
    wd_snap_in_init(&in, 42, 0, 1, 3);
    assert_int_equal(wd_snap_in_add(&in, got.table, got.kind, got.subtask, recs, rlen), 0);
    wd_snap_in_open(&in, "groups");
    wd_snap_rec r;
    int n = 0, rc;
    while ((rc = wd_snap_in_next(&in, &r, NULL)) == 1) n++;
    assert_int_equal(rc, 0);
    assert_int_equal(n, 1000);
    wd_snap_in_free(&in);
    wd_free(recs);

    wd_buf_free(&file);
    wd_snap_out_free(&w);
}

static void test_global_and_empty(void **state)
{
    (void)state;
    wd_snap_out w;
    wd_snap_out_init(&w, 42, 1, 3);
    fill_table(&w, "positions", WD_SNAP_GLOBAL, 5, 7, 9, 30);
    assert_int_equal(wd_snap_table_begin(&w, "none", WD_SNAP_KEYED, NULL), 0);
    assert_int_equal(wd_snap_table_begin(&w, "none_global", WD_SNAP_GLOBAL, NULL), 0);
    const char *names[] = {"positions", "none", "none_global"};
    for (int i = 0; i < 3; i++) {
        wd_snap_table *t = table_of(&w, names[i]);
        wd_snapfile_info info = make_info(t->kind, names[i]);
        wd_buf file = WD_BUF_INIT;
        encode_ok(&info, &t->data, &file);
        check_round_trip(&file, &info, &t->data);
        wd_snapfile_info got;
        assert_int_equal(wd_snapfile_peek(file.data, file.len, &got, NULL), 0);
        /* global or empty: the whole key range */
        assert_int_equal(got.khash_min, 0);
        assert_int_equal(got.khash_max, UINT32_MAX);
        assert_int_equal(got.nrecs, i == 0 ? 5 : 0);
        if (i > 0) assert_int_equal(file.len, HDR + TRAILER);  /* no blocks */
        wd_buf_free(&file);
    }
    wd_snap_out_free(&w);
}

/* Several blocks: records straddle block boundaries, one record is larger
 * than a block, some are empty. */
static void test_multi_block(void **state)
{
    (void)state;
    wd_snap_out w;
    wd_snap_out_init(&w, 9, 0, 1);
    fill_table(&w, "rows", WD_SNAP_KEYED, 20000, 0, UINT32_MAX, 200);
    static uint8_t big[3 * 1024 * 1024 + 17];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i * 31 + (i >> 9));
    wd_snap_put(&w, 5, big, sizeof big);
    wd_snap_put(&w, 6, NULL, 0);
    fill_table(&w, "rows", WD_SNAP_KEYED, 3000, 0, 10, 100);
    wd_snap_table *t = table_of(&w, "rows");
    assert_true(t->data.len > 5 * WD_SNAPFILE_BLOCK);
    wd_snapfile_info info = make_info(WD_SNAP_KEYED, "rows");
    info.subtask = 0;
    info.parallelism = 1;
    wd_buf file = WD_BUF_INIT;
    encode_ok(&info, &t->data, &file);
    check_round_trip(&file, &info, &t->data);
    /* blocks of exactly 1 MiB but the last */
    size_t nblocks = (t->data.len + WD_SNAPFILE_BLOCK - 1) / WD_SNAPFILE_BLOCK;
    for (unsigned k = 1; k <= nblocks; k++) {
        size_t pos = block_at((uint8_t *)file.data, file.len, k);
        uint32_t raw = get32(file.data + pos);
        size_t last = t->data.len - (nblocks - 1) * WD_SNAPFILE_BLOCK;
        assert_int_equal(raw, k < nblocks ? WD_SNAPFILE_BLOCK : last);
    }
    size_t tr = block_at((uint8_t *)file.data, file.len, (unsigned)nblocks + 1);
    assert_int_equal(tr + TRAILER, file.len);
    wd_buf_free(&file);
    wd_snap_out_free(&w);
}

/* Encode appends to what out already holds; errors leave out unchanged. */
static void test_encode_appends_and_refuses(void **state)
{
    (void)state;
    wd_snap_out w;
    wd_snap_out_init(&w, 1, 0, 1);
    fill_table(&w, "t", WD_SNAP_KEYED, 50, 0, 1000, 20);
    wd_snap_table *t = table_of(&w, "t");
    wd_snapfile_info info = make_info(WD_SNAP_KEYED, "t");
    wd_buf file = WD_BUF_INIT;
    wd_buf_puts(&file, "prefix");
    encode_ok(&info, &t->data, &file);
    assert_memory_equal(file.data, "prefix", 6);
    wd_buf rest = WD_BUF_INIT;
    wd_buf_put(&rest, file.data + 6, file.len - 6);
    check_round_trip(&rest, &info, &t->data);

    wd_error err;
    size_t before = rest.len;
    /* a record overrunning the table */
    wd_err_clear(&err);
    assert_int_equal(wd_snapfile_encode(&info, t->data.data, t->data.len - 1, &rest, &err),
                     WD_ECORRUPT);
    assert_non_null(strstr(err.msg, "overruns the table"));
    assert_int_equal(rest.len, before);
    /* global tables are checked the same way */
    wd_snapfile_info ginfo = make_info(WD_SNAP_GLOBAL, "t");
    assert_int_equal(wd_snapfile_encode(&ginfo, t->data.data, t->data.len - 1, &rest, NULL),
                     WD_ECORRUPT);
    assert_int_equal(rest.len, before);
    /* a truncated record header */
    uint8_t half[6] = {0};
    wd_err_clear(&err);
    assert_int_equal(wd_snapfile_encode(&info, half, sizeof half, &rest, &err), WD_ECORRUPT);
    assert_int_equal(rest.len, before);
    /* bad info */
    wd_snapfile_info bad = info;
    bad.kind = (wd_snap_kind)7;
    assert_int_equal(wd_snapfile_encode(&bad, t->data.data, t->data.len, &rest, NULL), WD_EINVALID);
    bad = info;
    bad.subtask = 3;
    assert_int_equal(wd_snapfile_encode(&bad, t->data.data, t->data.len, &rest, NULL), WD_EINVALID);
    bad = info;
    bad.parallelism = 0;
    bad.subtask = 0;
    assert_int_equal(wd_snapfile_encode(&bad, t->data.data, t->data.len, &rest, NULL), WD_EINVALID);
    bad = info;
    bad.table[0] = 0;
    assert_int_equal(wd_snapfile_encode(&bad, t->data.data, t->data.len, &rest, NULL), WD_EINVALID);
    bad = info;
    memset(bad.op, 'x', sizeof bad.op);  /* unterminated */
    assert_int_equal(wd_snapfile_encode(&bad, t->data.data, t->data.len, &rest, NULL), WD_EINVALID);
    assert_int_equal(rest.len, before);

    /* garbage after the name in info does not reach the file */
    wd_snapfile_info a = info, b = info;
    memset(a.op, 0xAA, sizeof a.op);
    memset(b.op, 0x55, sizeof b.op);
    strcpy(a.op, "n7:aggregate");
    strcpy(b.op, "n7:aggregate");
    wd_buf fa = WD_BUF_INIT, fb = WD_BUF_INIT;
    encode_ok(&a, &t->data, &fa);
    encode_ok(&b, &t->data, &fb);
    assert_int_equal(fa.len, fb.len);
    assert_memory_equal(fa.data, fb.data, fa.len);
    wd_buf_free(&fa);
    wd_buf_free(&fb);

    wd_buf_free(&rest);
    wd_buf_free(&file);
    wd_snap_out_free(&w);
}

/* ---- damage ---------------------------------------------------------------------- */

/* A file of three blocks (compressible records) and a one-block file of
 * varied records, for the damage tests. */
static void make_small_files(wd_buf *three, wd_buf *one, wd_buf *data3, wd_buf *data1)
{
    wd_snap_out w;
    wd_snap_out_init(&w, 5, 0, 2);
    assert_int_equal(wd_snap_table_begin(&w, "a", WD_SNAP_KEYED, NULL), 0);
    uint8_t rec[100];
    memset(rec, 'z', sizeof rec);
    for (int i = 0; i < 25000; i++) wd_snap_put(&w, 1000 + (uint32_t)(i % 3), rec, sizeof rec);
    fill_table(&w, "b", WD_SNAP_KEYED, 40, 100, 200000, 40);
    wd_snapfile_info ia = make_info(WD_SNAP_KEYED, "a"), ib = make_info(WD_SNAP_KEYED, "b");
    wd_buf_put(data3, table_of(&w, "a")->data.data, table_of(&w, "a")->data.len);
    wd_buf_put(data1, table_of(&w, "b")->data.data, table_of(&w, "b")->data.len);
    assert_true(data3->len > 2 * WD_SNAPFILE_BLOCK && data3->len < 3 * WD_SNAPFILE_BLOCK);
    encode_ok(&ia, data3, three);
    encode_ok(&ib, data1, one);
    wd_snap_out_free(&w);
}

static void test_damage_messages(void **state)
{
    (void)state;
    wd_buf three = WD_BUF_INIT, one = WD_BUF_INIT, d3 = WD_BUF_INIT, d1 = WD_BUF_INIT;
    make_small_files(&three, &one, &d3, &d1);
    uint8_t *f = (uint8_t *)three.data;
    size_t len = three.len;
    uint8_t *c = wd_malloc(len);
    size_t b1 = block_at(f, len, 1), b2 = block_at(f, len, 2), b3 = block_at(f, len, 3),
           tr = block_at(f, len, 4);

    expect_msg(f, 0, "truncated in the header");
    expect_msg(f, 5, "truncated in the header");
    expect_msg(f, HDR - 1, "truncated in the header");
    expect_msg(f, HDR, "truncated after the header");
    expect_msg(f, b1 + 10, "truncated after the header");
    expect_msg(f, b1 + BLOCK_HDR + 3, "truncated in block 1");
    expect_msg(f, b2, "truncated after block 1");
    expect_msg(f, b3 + 5, "truncated after block 2");
    expect_msg(f, tr, "truncated after block 3");
    expect_msg(f, tr + 20, "truncated in the trailer");
    expect_msg(f, len - 1, "truncated in the trailer");
    expect_msg("PK\3\4 a zip file, say", 20, "not a snapshot file (bad magic)");

#define EDIT(stmt, want)          \
    do {                          \
        memcpy(c, f, len);        \
        stmt;                     \
        expect_msg(c, len, want); \
    } while (0)
    EDIT(c[0] ^= 1, "not a snapshot file (bad magic)");
    EDIT(put32(c + H_VERSION, 2), "written by a newer format version 2");
    EDIT(put32(c + H_VERSION, 0), "bad format version 0");
    EDIT(put32(c + H_BOM, 0x04030201), "written on a machine of the other byte order");
    EDIT(put32(c + H_BOM, 0x01020305), "bad byte-order mark");
    EDIT(c[100] ^= 0x40, "bad header checksum");
    EDIT(c[b2 + BLOCK_HDR + 7] ^= 0x10, "bad checksum in block 2");
    EDIT(c[b2 + 8] ^= 0x10, "bad checksum in block 2");
    EDIT(c[b3 + BLOCK_HDR] ^= 1, "bad checksum in block 3");
    EDIT(put32(c + b1, 0), "block 1 has bad sizes");
    EDIT(put32(c + b1, WD_SNAPFILE_BLOCK + 1), "block 1 has bad sizes");
    EDIT(put32(c + b2 + 4, 0), "block 2 has bad sizes");
    EDIT(put32(c + b2 + 4, 0xffffff), "block 2 has bad sizes");
    EDIT(put32(c + b2, get32(c + b2) - 1), "the blocks hold");
    EDIT(c[tr + 20] ^= 1, "bad file checksum");
    EDIT(c[len - 1] ^= 1, "bad file checksum");
    EDIT(c[tr + 8] ^= 1, "bad trailer after block 3");
#undef EDIT
    /* garbage after the trailer */
    wd_buf more = WD_BUF_INIT;
    wd_buf_put(&more, f, len);
    wd_buf_puts(&more, "x");
    expect_msg(more.data, more.len, "1 bytes of garbage after the trailer");
    wd_buf_free(&more);
    wd_free(c);
    wd_buf_free(&three);
    wd_buf_free(&one);
    wd_buf_free(&d3);
    wd_buf_free(&d1);
}

/* Checksums right, content wrong: what only the deeper checks catch. */
static void test_sealed_lies(void **state)
{
    (void)state;
    wd_buf three = WD_BUF_INIT, one = WD_BUF_INIT, d3 = WD_BUF_INIT, d1 = WD_BUF_INIT;
    make_small_files(&three, &one, &d3, &d1);
    uint8_t *f = (uint8_t *)one.data;
    size_t len = one.len;
    uint8_t *c = wd_malloc(len);
    size_t tr = len - TRAILER;
    uint64_t nrecs, raw;
    memcpy(&nrecs, f + H_NRECS, 8);
    memcpy(&raw, f + H_RAW, 8);
#define LIE(stmt, want)           \
    do {                          \
        memcpy(c, f, len);        \
        stmt;                     \
        reseal(c, len);           \
        expect_msg(c, len, want); \
    } while (0)
    /* record count: header and trailer agree, the records do not */
    LIE((put64(c + H_NRECS, nrecs + 1), put64(c + tr + 24, nrecs + 1)),
        "holds 40 records, the header says 41");
    /* header and trailer disagree */
    LIE(put64(c + tr + 24, nrecs + 1), "the trailer counts 41 records");
    LIE(put64(c + tr + 16, raw - 1), "the trailer counts 40 records in");
    /* key range */
    LIE(put32(c + 132, 0), "has key hashes");
    LIE((put32(c + 132, 0), put32(c + 136, UINT32_MAX)), "has key hashes");
    LIE(put32(c + 132, 0xffffffff), "bad key hash range");
    /* the header announces fewer bytes than the blocks hold */
    LIE((put64(c + H_RAW, raw - 1), put64(c + tr + 16, raw - 1)), "goes past the");
    /* more bytes than the blocks hold */
    LIE((put64(c + H_RAW, raw + 1), put64(c + tr + 16, raw + 1)), "the blocks hold");
    /* more than the file can possibly hold: refused before allocating */
    LIE((put64(c + H_RAW, (uint64_t)1 << 50), put64(c + tr + 16, (uint64_t)1 << 50)),
        "the blocks hold");
    LIE(put64(c + H_NRECS, raw), "records cannot fit");
    LIE(put32(c + 128, 3), "unknown table kind 3");
    LIE(put32(c + 88, 3), "subtask 3 of parallelism 3");
    LIE(put32(c + 140, 0), "bad block size 0");
    LIE(memset(c + 96, 'x', 32), "bad operator or table name");
    LIE(c[24] = 0, "bad operator or table name");
#undef LIE
    /* a block whose content is not zstd, under a valid block checksum */
    memcpy(c, f, len);
    size_t b1 = HDR;
    uint32_t comp = get32(c + b1 + 4);
    memset(c + b1 + BLOCK_HDR, 0x5a, comp);
    put64(c + b1 + 8, XXH3_64bits(c + b1 + BLOCK_HDR, comp));
    reseal(c, len);
    expect_msg(c, len, "block 1 does not decompress");
    wd_free(c);

    /* records whose framing is broken, in a file that is otherwise right:
     * the file of a valid table, its one block replaced by the compressed
     * damaged records, everything resealed */
    wd_buf bad = WD_BUF_INIT;
    wd_buf_put(&bad, d1.data, d1.len);
    put32(bad.data + 4, get32(bad.data + 4) + 1);  /* the first record overruns */
    size_t bound = ZSTD_compressBound(bad.len);
    uint8_t *g = wd_malloc(HDR + BLOCK_HDR + bound + TRAILER);
    memcpy(g, f, HDR);
    size_t cl = ZSTD_compress(g + HDR + BLOCK_HDR, bound, bad.data, bad.len, 1);
    assert_false(ZSTD_isError(cl));
    put32(g + HDR, (uint32_t)bad.len);
    put32(g + HDR + 4, (uint32_t)cl);
    put64(g + HDR + 8, XXH3_64bits(g + HDR + BLOCK_HDR, cl));
    size_t glen = HDR + BLOCK_HDR + cl + TRAILER;
    memcpy(g + glen - TRAILER, f + tr, TRAILER);
    reseal(g, glen);
    /* the block decompresses to what the header announces; the records lie */
    expect_msg(g, glen, "table 'b': the record at offset");
    expect_msg(g, glen, "overruns the table");
    wd_free(g);
    wd_buf_free(&bad);

    wd_buf_free(&three);
    wd_buf_free(&one);
    wd_buf_free(&d3);
    wd_buf_free(&d1);
}

/* Every byte flipped (two ways) and every truncation: always WD_ECORRUPT. */
static void sweep(const wd_buf *file)
{
    size_t len = file->len;
    uint8_t *c = wd_malloc(len);
    const uint8_t masks[] = {0xff, 0x01, 0x80};
    for (size_t m = 0; m < sizeof masks; m++)
        for (size_t i = 0; i < len; i++) {
            memcpy(c, file->data, len);
            c[i] ^= masks[m];
            expect_corrupt(c, len);
        }
    for (size_t n = 0; n < len; n++) {
        /* a fresh allocation of exactly n bytes: ASan sees any overread */
        uint8_t *t = wd_malloc(n ? n : 1);
        memcpy(t, file->data, n);
        expect_corrupt(t, n);
        wd_free(t);
    }
    wd_free(c);
}

static void test_flip_every_byte(void **state)
{
    (void)state;
    wd_buf three = WD_BUF_INIT, one = WD_BUF_INIT, d3 = WD_BUF_INIT, d1 = WD_BUF_INIT;
    make_small_files(&three, &one, &d3, &d1);
    printf("sweeping a %zu-byte file of 3 blocks and a %zu-byte file of 1 block\n", three.len,
           one.len);
    sweep(&one);
    sweep(&three);
    /* an empty table's file too */
    wd_snapfile_info ie = make_info(WD_SNAP_GLOBAL, "e");
    wd_buf empty = WD_BUF_INIT, ef = WD_BUF_INIT;
    encode_ok(&ie, &empty, &ef);
    sweep(&ef);
    wd_buf_free(&ef);
    wd_buf_free(&three);
    wd_buf_free(&one);
    wd_buf_free(&d3);
    wd_buf_free(&d1);
}

/* Random bytes, and random bytes behind a valid header. */
static void test_garbage(void **state)
{
    (void)state;
    wd_buf one = WD_BUF_INIT, three = WD_BUF_INIT, d3 = WD_BUF_INIT, d1 = WD_BUF_INIT;
    make_small_files(&three, &one, &d3, &d1);
    uint8_t *g = wd_malloc(4096);
    for (int it = 0; it < 3000; it++) {
        size_t n = rnd() % 4096;
        for (size_t i = 0; i < n; i++) g[i] = (uint8_t)rnd();
        if (it % 2 && n >= HDR) memcpy(g, one.data, HDR);
        if (it % 4 == 3 && n >= HDR + BLOCK_HDR) {
            /* a plausible block header: small sizes */
            put32(g + HDR, (uint32_t)(rnd() % 5000));
            put32(g + HDR + 4, (uint32_t)(rnd() % 64));
        }
        expect_corrupt(g, n);
        wd_snapfile_info info;
        int rc = wd_snapfile_peek(g, n, &info, NULL);
        assert_true(rc == 0 || rc == WD_ECORRUPT);
    }
    wd_free(g);
    wd_buf_free(&three);
    wd_buf_free(&one);
    wd_buf_free(&d3);
    wd_buf_free(&d1);
}

static void test_peek(void **state)
{
    (void)state;
    wd_buf three = WD_BUF_INIT, one = WD_BUF_INIT, d3 = WD_BUF_INIT, d1 = WD_BUF_INIT;
    make_small_files(&three, &one, &d3, &d1);
    wd_snapfile_info info;
    /* the header alone is enough, and the blocks are not looked at */
    assert_int_equal(wd_snapfile_peek(three.data, HDR, &info, NULL), 0);
    assert_string_equal(info.table, "a");
    assert_string_equal(info.op, "n7:aggregate");
    assert_int_equal(info.epoch, 42);
    assert_int_equal(info.nrecs, 25000);
    assert_int_equal(info.khash_min, 1000);
    assert_int_equal(info.khash_max, 1002);
    three.data[HDR + 20] ^= 1;
    assert_int_equal(wd_snapfile_peek(three.data, three.len, &info, NULL), 0);
    wd_error err;
    wd_err_clear(&err);
    assert_int_equal(wd_snapfile_peek(three.data, HDR - 1, &info, &err), WD_ECORRUPT);
    three.data[50] ^= 1;
    wd_err_clear(&err);
    assert_int_equal(wd_snapfile_peek(three.data, three.len, &info, &err), WD_ECORRUPT);
    assert_string_equal(err.msg, "snapshot file: bad header checksum");
    wd_buf_free(&three);
    wd_buf_free(&one);
    wd_buf_free(&d3);
    wd_buf_free(&d1);
}

static void test_alloc_failure(void **state)
{
    (void)state;
    wd_buf three = WD_BUF_INIT, one = WD_BUF_INIT, d3 = WD_BUF_INIT, d1 = WD_BUF_INIT;
    make_small_files(&three, &one, &d3, &d1);
    int64_t base = wd_alloc_live_bytes();
    wd_snapfile_info info;
    void *recs;
    size_t rlen;
    wd_error err;
    wd_err_clear(&err);
    wd_alloc_fail_after(1);
    assert_int_equal(wd_snapfile_decode(three.data, three.len, &info, &recs, &rlen, &err),
                     WD_ENOMEM);
    assert_null(recs);
    assert_int_equal(wd_alloc_live_bytes(), base);
    wd_alloc_fail_after(0);
    wd_buf_free(&three);
    wd_buf_free(&one);
    wd_buf_free(&d3);
    wd_buf_free(&d1);
}

/* ---- throughput ------------------------------------------------------------------ */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * About 100 MB of records shaped like an aggregate's groups: a random key
 * hash, an encoded key (an id and a short category string) and a state row
 * of counters and sums.  Prints MB/s (of raw record bytes) of encode and
 * decode, best of three runs.
 */
static void test_throughput(void **state)
{
    (void)state;
    size_t target = 100u << 20;
    wd_snap_out w;
    wd_snap_out_init(&w, 1, 0, 1);
    assert_int_equal(wd_snap_table_begin(&w, "groups", WD_SNAP_KEYED, NULL), 0);
    wd_buf_reserve(&w.cur->data, target + 256);
    static const char *cats[] = {"electronics", "books", "garden", "toys", "sports", "music"};
    uint64_t id = 1000000;
    while (w.cur->data.len < target) {
        wd_buf *b = wd_snap_rec_begin(&w, (uint32_t)(rnd() >> 32));
        id += 1 + rnd() % 4;
        wd_snap_put_u64(b, id);
        const char *cat = cats[rnd() % 6];
        wd_snap_put_bytes(b, cat, (uint32_t)strlen(cat));
        wd_snap_put_u64(b, rnd() % 1000);                 /* count */
        wd_snap_put_i64(b, (int64_t)(rnd() % 10000000));  /* sum */
        wd_snap_put_f64(b, (double)(rnd() % 100000) / 7.0);
        wd_snap_put_i64(b, 1700000000000000000ll + (int64_t)(rnd() % 1000000000));
        wd_snap_rec_end(&w);
    }
    wd_snap_table *t = w.cur;
    double mb = (double)t->data.len / 1e6;
    wd_snapfile_info info = make_info(WD_SNAP_KEYED, "groups");
    wd_buf file = WD_BUF_INIT;
    double best_enc = 1e9, best_dec = 1e9;
    for (int run = 0; run < 3; run++) {
        wd_buf_reset(&file);
        double t0 = now_s();
        encode_ok(&info, &t->data, &file);
        double t1 = now_s();
        void *recs;
        size_t rlen;
        assert_int_equal(wd_snapfile_decode(file.data, file.len, &info, &recs, &rlen, NULL), 0);
        double t2 = now_s();
        assert_int_equal(rlen, t->data.len);
        if (run == 0) assert_memory_equal(recs, t->data.data, rlen);
        wd_free(recs);
        if (t1 - t0 < best_enc) best_enc = t1 - t0;
        if (t2 - t1 < best_dec) best_dec = t2 - t1;
    }
    printf("snapfile: %.1f MB of records -> %.1f MB file (ratio %.2f); encode %.0f MB/s, decode "
           "%.0f MB/s\n",
           mb, (double)file.len / 1e6, (double)t->data.len / (double)file.len, mb / best_enc,
           mb / best_dec);
    wd_buf_free(&file);
    wd_snap_out_free(&w);
}

int main(void)
{
    alarm(600); /* a hang is a failure */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keyed_round_trip),
        cmocka_unit_test(test_global_and_empty),
        cmocka_unit_test(test_multi_block),
        cmocka_unit_test(test_encode_appends_and_refuses),
        cmocka_unit_test(test_damage_messages),
        cmocka_unit_test(test_sealed_lies),
        cmocka_unit_test(test_flip_every_byte),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_peek),
        cmocka_unit_test(test_alloc_failure),
        cmocka_unit_test(test_throughput),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
