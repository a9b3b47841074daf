/*
 * timeutil.h — timestamps, dates and intervals as wadi stores them, and
 * their text forms.
 *
 * TIMESTAMP: int64 nanoseconds since 1970-01-01T00:00:00 UTC.
 * DATE:      int32 days since 1970-01-01.
 * INTERVAL:  wd_interval {months, days, nanos} (the Arrow month-day-nano
 *            layout); months and days are calendar units, nanos exact.
 */
#ifndef WD_TIMEUTIL_H
#define WD_TIMEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <pthread.h>
#include <stdint.h>

#define WD_NS_PER_US 1000LL
#define WD_NS_PER_MS 1000000LL
#define WD_NS_PER_SEC 1000000000LL
#define WD_NS_PER_DAY (86400LL * WD_NS_PER_SEC)

typedef struct wd_interval {
    int32_t months;
    int32_t days;
    int64_t nanos;
} wd_interval;

/* Wall clock now, ns since the epoch; and a monotonic clock in ns. */
int64_t wd_now_ns(void);
int64_t wd_mono_ns(void);

/* Initialise cv on the monotonic clock, as wd_cond_wait_ns needs. */
void wd_cond_init_mono(pthread_cond_t *cv);

/* pthread_cond_timedwait for at most ns from now; cv must use the
 * monotonic clock (wd_cond_init_mono). */
void wd_cond_wait_ns(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t ns);

/*
 * Parse an RFC 3339 / ISO 8601 timestamp: "2023-10-09T17:13:40Z",
 * "2023-10-09 17:13:40.123456", "…+02:00", "2023-10-09" (midnight).
 * Without a zone, UTC.  Returns 0 and *out, or -1 when s is not a timestamp.
 */
int wd_ts_parse(const char *s, size_t n, int64_t *out);

/*
 * Format as "2023-10-09T17:13:40", with ".200" / ".200123" / ".200123456"
 * (fractional seconds only when non-zero, in groups of three digits) and no
 * zone.  out needs 40 bytes; returns the length written.
 */
size_t wd_ts_format(int64_t ns, char *out);

/* Days since epoch ↔ civil date (proleptic Gregorian). */
int64_t wd_days_from_civil(int64_t y, unsigned m, unsigned d);
void wd_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

/* DATE text "2023-10-09" ↔ days.  Parse returns 0 or -1. */
int wd_date_parse(const char *s, size_t n, int32_t *out);
size_t wd_date_format(int32_t days, char *out);

/*
 * Parse an interval: "2 seconds", "1 hour 30 minutes", "5 s", "100ms",
 * "1 day", "3 months", "-2 days", "00:00:05" ; with unit (from
 * INTERVAL '5' SECOND) the text is a number of that unit.  unit may be NULL.
 * Returns 0, or -1 when the text is not an interval.
 */
int wd_interval_parse(const char *s, size_t n, const char *unit, wd_interval *out);

/* Format like PostgreSQL's: "1 day 02:00:00", "3 mons", "00:00:05.5". */
size_t wd_interval_format(wd_interval iv, char *out, size_t n);

/* Add an interval to a timestamp (calendar months/days in UTC). */
int64_t wd_ts_add_interval(int64_t ts, wd_interval iv, int sign);

/* True when the interval has only a fixed-length part (no months). */
static inline bool wd_interval_is_fixed(wd_interval iv) { return iv.months == 0; }

/* Fixed length in ns (days count as 24 h); months must be 0. */
static inline int64_t wd_interval_ns(wd_interval iv)
{
    return (int64_t)iv.days * WD_NS_PER_DAY + iv.nanos;
}

#endif
