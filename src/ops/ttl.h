/*
 * ttl.h — the processing-time clock that updating aggregates, joins and
 * the updating top-N measure their TTL with.  A stamp counts units (ttl /
 * 16) since the operator's first tick, plus one, so it fits 32 bits; 0
 * means "before the first tick".  Checkpoints save each subtask's clock
 * (first tick t0, last tick now, unit); a restore converts saved stamps to
 * the clock of the restored instance, which continues the latest of the
 * old ones (the tick clock is the wall clock: time spent stopped counts
 * towards the TTL).
 *
 * Joins and the top-N also share the global record that carries the clock
 * (wd_ttl_meta_write / wd_ttl_meta_read, ttl.c).
 */
#ifndef WD_TTL_H
#define WD_TTL_H

#include <stdbool.h>
#include <stdint.h>

#include "batch/types.h"
#include "common/error.h"

struct wd_snap_out;
struct wd_snap_in;

typedef struct wd_ttl_clock {
    bool have;                /* restore: an old subtask's clock was read */
    int64_t t0, now, unit;    /* now: INT64_MIN before the first tick */
} wd_ttl_clock;

/* The stamp of `now` on a clock started at t0. */
static inline uint32_t wd_ttl_stamp(int64_t t0, int64_t now, int64_t unit)
{
    if (now == INT64_MIN) return 0;
    return (uint32_t)((now - t0) / unit) + 1;
}

/* A tick time as saved: the wall clock in ns, or none yet (differences of
 * two never overflow). */
static inline bool wd_ttl_time_ok(int64_t t)
{
    return t == INT64_MIN || (t >= 0 && t <= INT64_MAX / 2);
}

/* A saved clock that can be trusted. */
static inline bool wd_ttl_clock_ok(const wd_ttl_clock *c)
{
    return c->unit > 0 && wd_ttl_time_ok(c->now) &&
           (c->now == INT64_MIN || (c->t0 >= 0 && c->t0 <= c->now));
}

/*
 * Stamp st saved under old clock o, on the clock (t0, now, unit): the same
 * moment, at least the first tick and at most now; 0 stays 0.
 */
static inline uint32_t wd_ttl_restamp(const wd_ttl_clock *o, int64_t t0, int64_t now,
                                      int64_t unit, uint32_t st)
{
    if (st == 0 || o->now == INT64_MIN || now == INT64_MIN) return 0;
    wd_i128 at = (wd_i128)o->t0 + (wd_i128)(st - 1) * o->unit;
    wd_i128 s = (at - t0) / unit + 1;
    wd_i128 cur = wd_ttl_stamp(t0, now, unit);
    if (s < 1) s = 1;
    if (s > cur) s = cur;
    return (uint32_t)s;
}

/*
 * Advance a tick clock (first tick *t0, last tick *cur, INT64_MIN before
 * the first) to now; a tick earlier than the last is ignored (the clock
 * went back: wait).  Returns true when a TTL scan is due: every ttl / 4,
 * *last_scan being the last one (the first tick starts the period).
 */
static inline bool wd_ttl_tick(int64_t *t0, int64_t *cur, int64_t *last_scan, int64_t ttl,
                               int64_t now)
{
    if (*cur == INT64_MIN) *t0 = now;
    if (now < *cur) return false;
    *cur = now;
    int64_t every = ttl / 4 > 0 ? ttl / 4 : 1;
    if (*last_scan == INT64_MIN || now - *last_scan >= every) {
        bool due = *last_scan != INT64_MIN;
        *last_scan = now;
        return due;
    }
    return false;
}

/*
 * The operator's global record in table `table` of o: {u32 version, u64
 * layout fingerprint, i64 t0, now, last_scan, unit}.
 */
int wd_ttl_meta_write(struct wd_snap_out *o, const char *table, uint32_t version, uint64_t fp,
                      int64_t t0, int64_t now, int64_t last_scan, int64_t unit, wd_error *err);

/*
 * Read every old subtask's record of global table `table`: clk[from] gets
 * the clock of old subtask from (nclk of them); *merged the clock the
 * restored instance continues (the earliest first tick, the latest tick)
 * and *last_scan the latest scan.  A record of another version or
 * fingerprint is refused with WD_ECORRUPT, naming `what` ("join") and what
 * may have changed (`changed`, e.g. "its kind, keys or columns changed");
 * so are a missing or empty table and records that do not decode.
 */
int wd_ttl_meta_read(struct wd_snap_in *r, const char *table, const char *what,
                     const char *changed, uint32_t version, uint64_t fp, wd_ttl_clock *clk,
                     uint32_t nclk, wd_ttl_clock *merged, int64_t *last_scan, wd_error *err);

#endif
