/*
 * join_snap.c — checkpoints of the join operator (private to src/ops:
 * wd_op_join_vt's snapshot and restore, join_int.h).
 *
 * Two tables.  join_meta (global): one record per subtask, the format
 * version and the join's fingerprint (wd_op__join_fingerprint), so that
 * restore refuses the state of another join and notices a checkpoint
 * without it (keyed tables may legitimately be absent: a subtask is given
 * only the keyed files whose key range meets its own), then the TTL clock
 * (first tick, last tick, last scan, stamp unit).  join_rows (keyed): one
 * record per stored row, tagged with its key's hash — the high half of
 * the wd_hash_rows hash of the key columns, which the group table keeps
 * (wd_groups_khash) and the shuffle routes by — laid out as
 *
 *   u8 side | i64 bucket time (windowed) | key (the group table's encoding)
 *   | u32 match count, u32 TTL stamp (updating) or u8 matched (interval;
 *   1 once the row has matched, kept on outer sides only, 0 on inner ones)
 *   | u32 row length | the row (the byte store's encoding, join_int.h:
 *   _timestamp and the interval time are in it)
 *
 * Rows are written side by side, key by key, each list from its head
 * (walking the key table and the records; nothing is allocated but the
 * table's buffer, sized once from the stores' totals).  Restore checks
 * each row's bytes against the side's layout, links it at the head of its
 * key's list and then reverses every list, so the lists come back in their
 * old order (a retraction then removes the same stored row as it would
 * have: rows of equal payload may differ in time and match count).
 * Interval rows go back in their release queue; rows of an outer side not
 * matched yet on its hold heap.  TTL stamps are relative to their
 * subtask's first tick: restore continues the latest old clock (the tick
 * clock is the wall clock, so time spent stopped counts towards the TTL,
 * as the updating aggregate does) and converts each row's stamp from its
 * old subtask's clock to that one.  A windowed join's match counts are
 * recomputed when its bucket fires, so they are not saved.
 *
 * Exports (join_int.h): wd_op__join_fingerprint, wd_op__join_snapshot,
 * wd_op__join_restore.
 */
#include "ops/join_int.h"

#include "common/buf.h"
#include "ops/ttl.h"
#include "state/snapshot.h"

#define JT_META "join_meta"
#define JT_ROWS "join_rows"
#define JSNAP_VERSION 3u /* 3: rows in the store's row encoding, with their times */
#define KH_CHUNK 256u

/* What the saved state depends on: the mode, the join type, the key and
 * payload types of both inputs, the payload columns that are the key's,
 * and (interval) the time columns. */
uint64_t wd_op__join_fingerprint(const wd_node *node, const wd_join_spec *sp)
{
    wd_buf b = WD_BUF_INIT;
    bool iv = sp->mode == WD_JM_INTERVAL;
    wd_buf_printf(&b, "join v%u mode %d type %d keys %u time %d %d", JSNAP_VERSION,
                  (int)sp->mode, (int)sp->type, sp->nkeys, iv ? sp->left_time_col : -1,
                  iv ? sp->right_time_col : -1);
    for (uint32_t s = 0; s < 2; s++) {
        const wd_type *in = node->in_schemas[s];
        wd_buf_printf(&b, "|%u:", in->nfields);
        for (uint32_t f = 0; f < in->nfields; f++) wd_snap_describe_type(&b, in->fields[f].type);
        /* columns that come from the key are not in the saved rows */
        for (uint32_t c = 0; sp->pay_key[s] && c + sp->nkeys + 1 < in->nfields; c++)
            if (sp->pay_key[s][c] >= 0) wd_buf_printf(&b, " k%u=%d", c, (int)sp->pay_key[s][c]);
    }
    uint64_t h = wd_snap_fingerprint(&b);
    wd_buf_free(&b);
    return h;
}

/* Bytes of a row record without its key and row. */
static size_t rec_fixed(const join *j)
{
    /* side, the bucket time (windowed), match count and stamp (updating)
     * or the matched flag (interval), row length */
    return 1 + (j->mode == WD_JM_WINDOWED ? 8 : 0) + (j->mode == WD_JM_UPDATING ? 8 : 0) +
           (j->mode == WD_JM_INTERVAL ? 1 : 0) + 4;
}

/* About the bytes table t's rows take as records (to size the buffer once). */
static size_t snap_estimate(const join *j, const jtable *t)
{
    uint64_t rows = t->side[0].rows + t->side[1].rows;
    if (!rows) return 0;
    uint64_t bytes = 0;
    for (uint32_t s = 0; s < 2; s++)
        for (uint32_t c = 0; c < t->side[s].nbch; c++)
            if (t->side[s].bch[c].p) bytes += t->side[s].bch[c].used;
    size_t kl = t->nslots ? wd_groups_key_size(t->g, 0) : 0;
    return (size_t)(rows * (8 + rec_fixed(j) + kl) + bytes);
}

/* The records of side s of table t (bts: its bucket's time, windowed). */
static void snap_side(const join *j, const jtable *t, uint32_t s, int64_t bts, wd_snap_out *o)
{
    const uint32_t n = t->nslots;
    const size_t fixed = rec_fixed(j);
    const jside *sd = &t->side[s];
    const jlayout *L = &j->lay[s];
    uint32_t kh[KH_CHUNK];
    for (uint32_t s0 = 0; s0 < n; s0 += KH_CHUNK) {
        uint32_t m = n - s0 < KH_CHUNK ? n - s0 : KH_CHUNK;
        wd_groups_khash(t->g, s0, m, kh);
        for (uint32_t i = 0; i < m; i++) {
            uint32_t slot = s0 + i, id = t->head[s][slot];
            if (id == NONE) continue;
            size_t kl = wd_groups_key_size(t->g, slot);
            for (; id != NONE; id = R(sd, id)->next) {
                const jrec *r = R(sd, id);
                const uint8_t *row = RB(sd, r);
                uint32_t len = (uint32_t)jrow_len(L, row);
                wd_buf *b = wd_snap_rec_begin(o, kh[i]);
                uint8_t *p = wd_buf_room(b, fixed + kl + len);
                *p++ = (uint8_t)s;
                if (j->mode == WD_JM_WINDOWED) {
                    memcpy(p, &bts, 8);
                    p += 8;
                }
                p = wd_groups_key_write(t->g, slot, p);
                if (j->mode == WD_JM_UPDATING) {
                    uint32_t nm = j->outer[s] ? A(sd, id)[AX_NMATCH] : 0;
                    memcpy(p, &nm, 4);
                    memcpy(p + 4, &r->w, 4);
                    p += 8;
                } else if (j->mode == WD_JM_INTERVAL) {
                    *p++ = j->outer[s] && A(sd, id)[AX_HPOS] == NONE;
                }
                memcpy(p, &len, 4);
                memcpy(p + 4, row, len);
                wd_buf_commit(b, p + 4 + len);
                wd_snap_rec_end(o);
            }
        }
    }
}

int wd_op__join_snapshot(wd_op *op, wd_snap_out *o, wd_error *err)
{
    join *j = op->state;
    int rc = wd_ttl_meta_write(o, JT_META, JSNAP_VERSION, j->fp, j->t0, j->now, j->last_scan,
                               j->unit, err);
    if (rc < 0) return rc;
    rc = wd_snap_table_begin(o, JT_ROWS, WD_SNAP_KEYED, err);
    if (rc < 0) return rc;
    size_t est = 0;
    if (j->mode == WD_JM_WINDOWED)
        for (uint32_t i = 0; i < j->nbuckets; i++) est += snap_estimate(j, &j->buckets[i]->t);
    else
        est = snap_estimate(j, &j->t);
    if (est) wd_buf_reserve(&o->cur->data, est);
    for (uint32_t s = 0; s < 2; s++) {
        if (j->mode == WD_JM_WINDOWED)
            for (uint32_t i = 0; i < j->nbuckets; i++)
                snap_side(j, &j->buckets[i]->t, s, j->buckets[i]->ts, o);
        else
            snap_side(j, &j->t, s, 0, o);
    }
    return 0;
}

/* The join_meta records: this join's, in this format; the old subtasks'
 * clocks into clk[0..nclk), and this instance's clock continues the latest
 * of them. */
static int restore_meta(join *j, wd_snap_in *r, wd_ttl_clock *clk, uint32_t nclk, wd_error *err)
{
    wd_ttl_clock m;
    int64_t scan;
    int rc = wd_ttl_meta_read(r, JT_META, "join", "its kind, keys or columns changed",
                              JSNAP_VERSION, j->fp, clk, nclk, &m, &scan, err);
    if (rc < 0) return rc;
    if (j->ttl) {
        j->now = m.now;
        j->t0 = m.t0;
        j->last_scan = scan;
    }
    return 0;
}

/* Stamp st of a row saved under old clock o, in this instance's clock. */
static uint32_t restamp(const join *j, const wd_ttl_clock *o, uint32_t st)
{
    return j->ttl ? wd_ttl_restamp(o, j->t0, j->now, j->unit, st) : 0;
}

/* A restored row of side s: well-formed, and (interval) with its time. */
static bool row_ok(const join *j, uint32_t s, const uint8_t *p, size_t n)
{
    const jlayout *L = &j->lay[s];
    if (!jrow_check(L, p, n)) return false;
    if (j->mode != WD_JM_INTERVAL) return true;
    int tc = j->time_col[s] - (int)j->nkeys;
    return tc < 0 || (uint32_t)tc >= L->ncols || !((p[tc >> 3] >> (tc & 7)) & 1);
}

/* Reverse every key's list of both sides (restore links rows at the head). */
static void lists_reverse(jtable *t)
{
    for (uint32_t s = 0; s < 2; s++) {
        jside *sd = &t->side[s];
        for (uint32_t slot = 0; slot < t->nslots; slot++) {
            uint32_t id = t->head[s][slot], prev = NONE;
            while (id != NONE) {
                jrec *r = R(sd, id);
                uint32_t next = r->next;
                r->next = prev;
                if (t->interval) A(sd, id)[AX_PREV] = next;
                prev = id;
                id = next;
            }
            t->head[s][slot] = prev;
        }
    }
}

/* One join_rows record into its table. */
static int restore_row(join *j, const wd_snap_rec *rec, const wd_ttl_clock *clk, uint32_t nclk,
                       wd_col *cols, wd_arena *a, wd_snap_in *r, wd_error *err)
{
    wd_rd d;
    wd_rd_init(&d, rec->data, rec->len);
    uint8_t s = wd_rd_u8(&d);
    int64_t bts = j->mode == WD_JM_WINDOWED ? wd_rd_i64(&d) : 0;
    if (d.bad || s > 1) return wd_snap_bad_record(r, err);
    jtable *t = j->mode == WD_JM_WINDOWED ? &bucket_get(j, bts)->t : &j->t;
    size_t kl = 0;
    const uint8_t *kp = d.p;
    if (!wd_groups_key_check(t->g, kp, (size_t)(d.end - d.p), &kl) || !wd_rd_take(&d, kl))
        return wd_snap_bad_record(r, err);
    uint32_t nmatch = j->mode == WD_JM_UPDATING ? wd_rd_u32(&d) : 0;
    uint32_t st = j->mode == WD_JM_UPDATING ? wd_rd_u32(&d) : 0;
    uint8_t matched = j->mode == WD_JM_INTERVAL ? wd_rd_u8(&d) : 0;
    uint32_t len = wd_rd_u32(&d);
    const uint8_t *row = wd_rd_take(&d, len);
    uint64_t h;
    wd_arena_reset(a);
    if (!row || !wd_rd_done(&d) || matched > (j->outer[s] ? 1 : 0) || !row_ok(j, s, row, len) ||
        rec->from_subtask >= nclk || !clk[rec->from_subtask].have ||
        wd_groups_decode_keys(t->g, &kp, &rec->khash, 1, cols, &h, a) < 0)
        return wd_snap_bad_record(r, err);
    bool nullkey = false;
    for (uint32_t k = 0; k < j->nkeys; k++) nullkey |= !wd_col_valid(&cols[k], 0);
    if (nullkey && (j->mode != WD_JM_WINDOWED || !j->outer[s]))
        return wd_snap_bad_record(r, err); /* such rows are never stored */
    uint32_t slot, nnew = 0;
    wd_groups_lookup(t->g, cols, 1, &h, &slot, &nnew);
    table_sync(t);
    if (nullkey) t->nullkey[slot] = 1;
    jside *sd = &t->side[s];
    uint32_t id = rec_alloc(sd);
    memcpy(bytes_reserve(sd, len, &R(sd, id)->off), row, len);
    if (j->mode == WD_JM_UPDATING) {
        R(sd, id)->w = restamp(j, &clk[rec->from_subtask], st);
        if (j->outer[s]) A(sd, id)[AX_NMATCH] = nmatch;
    }
    link_rec(t, s, id, slot);
    if (j->mode == WD_JM_INTERVAL) interval_track(j, s, id, matched);
    return 0;
}

int wd_op__join_restore(wd_op *op, wd_snap_in *r, wd_error *err)
{
    join *j = op->state;
    if (j->nbuckets || (j->t.g && (j->t.nslots || j->t.side[0].nrec || j->t.side[1].nrec)))
        return wd_err(err, WD_EINTERNAL, "join: restore into an operator that holds state");
    uint32_t nclk = r->old_parallelism ? r->old_parallelism : 1;
    wd_ttl_clock *clk = wd_calloc(nclk, sizeof *clk);
    wd_col *cols = wd_calloc(j->nkeys ? j->nkeys : 1, sizeof *cols);
    if (!clk || !cols) {
        wd_free(clk);
        wd_free(cols);
        return wd_err(err, WD_ENOMEM, "join: out of memory");
    }
    int rc = restore_meta(j, r, clk, nclk, err);
    wd_arena a;
    wd_arena_init(&a, 0);
    wd_snap_rec rec;
    wd_snap_in_open(r, JT_ROWS);
    while (rc == 0 && (rc = wd_snap_in_next(r, &rec, err)) == 1)
        rc = restore_row(j, &rec, clk, nclk, cols, &a, r, err);
    wd_arena_free(&a);
    wd_free(cols);
    wd_free(clk);
    if (j->mode == WD_JM_WINDOWED)
        for (uint32_t i = 0; i < j->nbuckets; i++) lists_reverse(&j->buckets[i]->t);
    else
        lists_reverse(&j->t);
    return rc;
}
