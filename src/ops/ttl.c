/*
 * ttl.c — the global record of operators that expire state on the tick
 * clock (ops/ttl.h): its format version, layout fingerprint and clock.
 *
 * Exports: wd_ttl_meta_write, wd_ttl_meta_read.
 */
#include "ops/ttl.h"

#include "state/snapshot.h"

int wd_ttl_meta_write(wd_snap_out *o, const char *table, uint32_t version, uint64_t fp,
                      int64_t t0, int64_t now, int64_t last_scan, int64_t unit, wd_error *err)
{
    int rc = wd_snap_table_begin(o, table, WD_SNAP_GLOBAL, err);
    if (rc < 0) return rc;
    wd_buf *b = wd_snap_rec_begin(o, 0);
    wd_snap_put_u32(b, version);
    wd_snap_put_u64(b, fp);
    wd_snap_put_i64(b, t0);
    wd_snap_put_i64(b, now);
    wd_snap_put_i64(b, last_scan);
    wd_snap_put_i64(b, unit);
    wd_snap_rec_end(o);
    return 0;
}

int wd_ttl_meta_read(wd_snap_in *r, const char *table, const char *what, const char *changed,
                     uint32_t version, uint64_t fp, wd_ttl_clock *clk, uint32_t nclk,
                     wd_ttl_clock *merged, int64_t *last_scan, wd_error *err)
{
    if (!wd_snap_in_has(r, table))
        return wd_err(err, WD_ECORRUPT, "%s: the checkpoint has no '%s' state table", what,
                      table);
    wd_snap_rec rec;
    int rc;
    bool any = false;
    int64_t t0 = INT64_MAX, now = INT64_MIN, scan = INT64_MIN;
    wd_snap_in_open(r, table);
    while ((rc = wd_snap_in_next(r, &rec, err)) == 1) {
        wd_rd d;
        wd_rd_init(&d, rec.data, rec.len);
        uint32_t ver = wd_rd_u32(&d);
        uint64_t f = wd_rd_u64(&d);
        wd_ttl_clock c = {.have = true};
        c.t0 = wd_rd_i64(&d);
        c.now = wd_rd_i64(&d);
        int64_t ls = wd_rd_i64(&d);
        c.unit = wd_rd_i64(&d);
        if (!wd_rd_done(&d) || !wd_ttl_clock_ok(&c) || !wd_ttl_time_ok(ls) ||
            rec.from_subtask >= nclk || clk[rec.from_subtask].have)
            return wd_snap_bad_record(r, err);
        if (ver != version)
            return wd_err(err, WD_ECORRUPT,
                          "%s: the checkpoint holds %s state in format %u; this build reads "
                          "format %u",
                          what, what, ver, version);
        if (f != fp)
            return wd_err(err, WD_ECORRUPT,
                          "%s: the checkpoint holds the state of another %s (%s)", what, what,
                          changed);
        clk[rec.from_subtask] = c;
        if (c.now != INT64_MIN) {
            if (c.t0 < t0) t0 = c.t0;
            if (c.now > now) now = c.now;
        }
        if (ls > scan) scan = ls;
        any = true;
    }
    if (rc < 0) return rc;
    if (!any) return wd_err(err, WD_ECORRUPT, "%s: state table '%s' is empty", what, table);
    *merged = (wd_ttl_clock){.have = true, .t0 = now == INT64_MIN ? 0 : t0, .now = now};
    *last_scan = scan;
    return 0;
}
