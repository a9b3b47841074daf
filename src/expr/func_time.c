/*
 * func_time.c — date and time functions and the arithmetic operators on
 * TIMESTAMP, DATE and INTERVAL (PostgreSQL / DataFusion semantics).
 *
 * All times are UTC.  Units (date_trunc, date_part) are case-insensitive
 * text; singular, plural and the usual abbreviations are accepted, and an
 * unknown unit is an error listing the accepted ones.  Arithmetic that
 * leaves the representable range is a WD_EOVERFLOW error, never a wrapped
 * value.  Comparisons of timestamps and intervals live in func_core.c.
 *
 * Exports: wd_funcs_time, wd_funcs_time_n.
 */
#include <math.h>
#include <string.h>
#include <strings.h>

#include "expr/func.h"

/* ---- helpers ------------------------------------------------------------------ */

static inline int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
static inline int64_t floormod(int64_t a, int64_t b) { return a - floordiv(a, b) * b; }

static int overflow(wd_kctx *k, const char *what)
{
    return wd_err_at(k->err, WD_EOVERFLOW, k->pos, "%s: result out of range", what);
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

#define ROWS(n) for (uint32_t i = 0; i < (n); i++) if (wd_col_valid(out, i))

/* ---- units -------------------------------------------------------------------- */

typedef enum {
    U_NANO, U_MICRO, U_MILLI, U_SECOND, U_MINUTE, U_HOUR, U_DAY, U_WEEK, U_MONTH,
    U_QUARTER, U_YEAR, U_DECADE, U_CENTURY, U_MILLENNIUM, U_DOW, U_ISODOW, U_DOY,
    U_EPOCH, U_ISOYEAR,
} time_unit;

static const struct {
    const char *name;
    time_unit u;
} unit_names[] = {
    {"nanosecond", U_NANO},   {"nanoseconds", U_NANO},   {"ns", U_NANO},
    {"microsecond", U_MICRO}, {"microseconds", U_MICRO}, {"us", U_MICRO},
    {"usec", U_MICRO},        {"usecs", U_MICRO},        {"millisecond", U_MILLI},
    {"milliseconds", U_MILLI}, {"ms", U_MILLI},          {"msec", U_MILLI},
    {"msecs", U_MILLI},       {"second", U_SECOND},      {"seconds", U_SECOND},
    {"sec", U_SECOND},        {"secs", U_SECOND},        {"s", U_SECOND},
    {"minute", U_MINUTE},     {"minutes", U_MINUTE},     {"min", U_MINUTE},
    {"mins", U_MINUTE},       {"m", U_MINUTE},           {"hour", U_HOUR},
    {"hours", U_HOUR},        {"h", U_HOUR},             {"hr", U_HOUR},
    {"hrs", U_HOUR},          {"day", U_DAY},            {"days", U_DAY},
    {"d", U_DAY},             {"week", U_WEEK},          {"weeks", U_WEEK},
    {"w", U_WEEK},            {"month", U_MONTH},        {"months", U_MONTH},
    {"mon", U_MONTH},         {"mons", U_MONTH},         {"quarter", U_QUARTER},
    {"quarters", U_QUARTER},  {"year", U_YEAR},          {"years", U_YEAR},
    {"y", U_YEAR},            {"yr", U_YEAR},            {"yrs", U_YEAR},
    {"decade", U_DECADE},     {"decades", U_DECADE},     {"century", U_CENTURY},
    {"centuries", U_CENTURY}, {"millennium", U_MILLENNIUM}, {"millennia", U_MILLENNIUM},
    {"millenniums", U_MILLENNIUM}, {"dow", U_DOW},       {"isodow", U_ISODOW},
    {"doy", U_DOY},           {"epoch", U_EPOCH},        {"isoyear", U_ISOYEAR},
};

#define TRUNC_UNITS \
    "microsecond, millisecond, second, minute, hour, day, week, month, quarter, year"
#define PART_UNITS                                                                      \
    "year, quarter, month, week, day, hour, minute, second, millisecond, microsecond, " \
    "nanosecond, dow, isodow, doy, epoch, isoyear, decade, century, millennium"

/* The unit named s, or -1. */
static int unit_lookup(wd_str s)
{
    for (size_t i = 0; i < sizeof unit_names / sizeof unit_names[0]; i++) {
        size_t l = strlen(unit_names[i].name);
        if (l == s.len && strncasecmp(unit_names[i].name, s.ptr, l) == 0) return unit_names[i].u;
    }
    return -1;
}

static int bad_unit(wd_kctx *k, const char *fn, wd_str s, const char *accepted)
{
    int rc = wd_err_at(k->err, WD_EINVALID, k->pos, "%s: unknown unit '%.*s'", fn,
                       (int)(s.len > 64 ? 64 : s.len), s.ptr ? s.ptr : "");
    wd_err_hint(k->err, "accepted units: %s", accepted);
    return rc;
}

/* ---- now ------------------------------------------------------------------------ */

static int k_now(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    for (uint32_t i = 0; i < n; i++) WD_COL_VALS(out, int64_t)[i] = k->now_ns;
    return 0;
}

static int k_current_date(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    for (uint32_t i = 0; i < n; i++)
        WD_COL_VALS(out, int32_t)[i] = (int32_t)floordiv(k->now_ns, WD_NS_PER_DAY);
    return 0;
}

/* ---- arithmetic ---------------------------------------------------------------------- */

/* ts ± interval, with range checking (the helper saturates). */
static int ts_add(wd_kctx *k, int64_t ts, wd_interval iv, int sign, int64_t *out)
{
    int64_t r = wd_ts_add_interval(ts, iv, sign);
    if (r == INT64_MAX || r == INT64_MIN) return overflow(k, "timestamp arithmetic");
    *out = r;
    return 0;
}

/*
 * ts ± interval over a column.  The common case — a constant interval
 * without months, as in `_timestamp - INTERVAL '1 second'` — is a plain
 * checked addition per row; calendar intervals go through the calendar.
 */
static int ts_add_col(wd_kctx *k, const wd_col *ts, const wd_col *iv, int sign, uint32_t n,
                      wd_col *out)
{
    int64_t *o = WD_COL_VALS(out, int64_t);
    if ((iv->flags & WD_COL_CONST) && !(ts->flags & WD_COL_CONST) && wd_col_valid(iv, 0) &&
        WD_COL_GET(iv, wd_interval, 0).months == 0) {
        wd_interval v = WD_COL_GET(iv, wd_interval, 0);
        int64_t d;
        if (__builtin_mul_overflow((int64_t)v.days, WD_NS_PER_DAY, &d) ||
            __builtin_add_overflow(d, v.nanos, &d) || (sign < 0 && d == INT64_MIN))
            return overflow(k, "timestamp arithmetic");
        if (sign < 0) d = -d;
        const int64_t *t = ts->data;
        bool bad = false;
        for (uint32_t i = 0; i < n; i++) bad |= __builtin_add_overflow(t[i], d, &o[i]);
        if (!bad) return 0;
        for (uint32_t i = 0; i < n; i++) {
            int64_t r;
            if (wd_col_valid(out, i) && __builtin_add_overflow(t[i], d, &r))
                return overflow(k, "timestamp arithmetic");
        }
        return 0;
    }
    ROWS(n) {
        int rc = ts_add(k, WD_COL_GET(ts, int64_t, i), WD_COL_GET(iv, wd_interval, i), sign, &o[i]);
        if (rc) return rc;
    }
    return 0;
}

static int k_ts_add_iv(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return ts_add_col(k, &a[0], &a[1], 1, n, out);
}

static int k_iv_add_ts(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return ts_add_col(k, &a[1], &a[0], 1, n, out);
}

static int k_ts_sub_iv(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return ts_add_col(k, &a[0], &a[1], -1, n, out);
}

/* timestamp - timestamp: an interval of exact nanoseconds. */
static int k_ts_sub_ts(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    ROWS(n) {
        int64_t d;
        if (__builtin_sub_overflow(WD_COL_GET(&a[0], int64_t, i), WD_COL_GET(&a[1], int64_t, i), &d))
            return overflow(k, "timestamp - timestamp");
        WD_COL_VALS(out, wd_interval)[i] = (wd_interval){0, 0, d};
    }
    return 0;
}

static int date_add_days(wd_kctx *k, int32_t d, int64_t days, int32_t *out)
{
    int64_t r;
    if (__builtin_add_overflow((int64_t)d, days, &r) || r > INT32_MAX || r < INT32_MIN)
        return overflow(k, "date arithmetic");
    *out = (int32_t)r;
    return 0;
}

static int k_date_add_int(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    ROWS(n) {
        int rc = date_add_days(k, WD_COL_GET(&a[0], int32_t, i), WD_COL_GET(&a[1], int64_t, i),
                               &WD_COL_VALS(out, int32_t)[i]);
        if (rc) return rc;
    }
    return 0;
}

static int k_int_add_date(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    ROWS(n) {
        int rc = date_add_days(k, WD_COL_GET(&a[1], int32_t, i), WD_COL_GET(&a[0], int64_t, i),
                               &WD_COL_VALS(out, int32_t)[i]);
        if (rc) return rc;
    }
    return 0;
}

static int k_date_sub_int(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    ROWS(n) {
        int64_t d = WD_COL_GET(&a[1], int64_t, i);
        if (d == INT64_MIN) return overflow(k, "date arithmetic");
        int rc = date_add_days(k, WD_COL_GET(&a[0], int32_t, i), -d, &WD_COL_VALS(out, int32_t)[i]);
        if (rc) return rc;
    }
    return 0;
}

static int k_date_sub_date(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    ROWS(n) WD_COL_VALS(out, int64_t)[i] =
        (int64_t)WD_COL_GET(&a[0], int32_t, i) - WD_COL_GET(&a[1], int32_t, i);
    return 0;
}

/* date ± interval → timestamp (the date at midnight UTC). */
static int date_iv(wd_kctx *k, const wd_col *d, const wd_col *iv, int sign, uint32_t n,
                   wd_col *out)
{
    ROWS(n) {
        int64_t ts = (int64_t)WD_COL_GET(d, int32_t, i) * WD_NS_PER_DAY;
        int rc = ts_add(k, ts, WD_COL_GET(iv, wd_interval, i), sign, &WD_COL_VALS(out, int64_t)[i]);
        if (rc) return rc;
    }
    return 0;
}

static int k_date_add_iv(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return date_iv(k, &a[0], &a[1], 1, n, out);
}
static int k_iv_add_date(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return date_iv(k, &a[1], &a[0], 1, n, out);
}
static int k_date_sub_iv(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return date_iv(k, &a[0], &a[1], -1, n, out);
}

static int iv_addsub(wd_kctx *k, const wd_col *a, uint32_t n, wd_col *out, int sign)
{
    ROWS(n) {
        wd_interval x = WD_COL_GET(&a[0], wd_interval, i), y = WD_COL_GET(&a[1], wd_interval, i), r;
        bool ov = sign > 0 ? __builtin_add_overflow(x.months, y.months, &r.months) ||
                                 __builtin_add_overflow(x.days, y.days, &r.days) ||
                                 __builtin_add_overflow(x.nanos, y.nanos, &r.nanos)
                           : __builtin_sub_overflow(x.months, y.months, &r.months) ||
                                 __builtin_sub_overflow(x.days, y.days, &r.days) ||
                                 __builtin_sub_overflow(x.nanos, y.nanos, &r.nanos);
        if (ov) return overflow(k, "interval arithmetic");
        WD_COL_VALS(out, wd_interval)[i] = r;
    }
    return 0;
}

static int k_iv_add_iv(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return iv_addsub(k, a, n, out, 1);
}
static int k_iv_sub_iv(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return iv_addsub(k, a, n, out, -1);
}

static int k_iv_neg(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    ROWS(n) {
        wd_interval x = WD_COL_GET(&a[0], wd_interval, i);
        if (x.months == INT32_MIN || x.days == INT32_MIN || x.nanos == INT64_MIN)
            return overflow(k, "-interval");
        WD_COL_VALS(out, wd_interval)[i] = (wd_interval){-x.months, -x.days, -x.nanos};
    }
    return 0;
}

/* interval × integer, component-wise. */
static int iv_mul_int(wd_kctx *k, wd_interval x, int64_t f, wd_interval *r)
{
    int64_t m, d;
    if (__builtin_mul_overflow((int64_t)x.months, f, &m) || m > INT32_MAX || m < INT32_MIN ||
        __builtin_mul_overflow((int64_t)x.days, f, &d) || d > INT32_MAX || d < INT32_MIN ||
        __builtin_mul_overflow(x.nanos, f, &r->nanos))
        return overflow(k, "interval * number");
    r->months = (int32_t)m;
    r->days = (int32_t)d;
    return 0;
}

/* interval × double, PostgreSQL style: a fraction of a month spills into
 * days (30 per month), a fraction of a day into nanoseconds (24 h per day). */
static int iv_mul_f64(wd_kctx *k, wd_interval x, double f, wd_interval *r)
{
    if (!isfinite(f)) return overflow(k, "interval * number");
    double mf = x.months * f;
    double mi = trunc(mf);
    double df = x.days * f + (mf - mi) * 30.0;
    double di = trunc(df);
    double nf = (double)x.nanos * f + (df - di) * (double)WD_NS_PER_DAY;
    if (mi > INT32_MAX || mi < INT32_MIN || di > INT32_MAX || di < INT32_MIN ||
        !(nf < 9.2e18 && nf > -9.2e18))
        return overflow(k, "interval * number");
    r->months = (int32_t)mi;
    r->days = (int32_t)di;
    r->nanos = (int64_t)llround(nf);
    return 0;
}

static int k_iv_mul_i(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    ROWS(n) {
        int rc = iv_mul_int(k, WD_COL_GET(&a[0], wd_interval, i), WD_COL_GET(&a[1], int64_t, i),
                            &WD_COL_VALS(out, wd_interval)[i]);
        if (rc) return rc;
    }
    return 0;
}
static int k_i_mul_iv(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    ROWS(n) {
        int rc = iv_mul_int(k, WD_COL_GET(&a[1], wd_interval, i), WD_COL_GET(&a[0], int64_t, i),
                            &WD_COL_VALS(out, wd_interval)[i]);
        if (rc) return rc;
    }
    return 0;
}
static int k_iv_mul_f(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    ROWS(n) {
        int rc = iv_mul_f64(k, WD_COL_GET(&a[0], wd_interval, i), WD_COL_GET(&a[1], double, i),
                            &WD_COL_VALS(out, wd_interval)[i]);
        if (rc) return rc;
    }
    return 0;
}
static int k_f_mul_iv(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    ROWS(n) {
        int rc = iv_mul_f64(k, WD_COL_GET(&a[1], wd_interval, i), WD_COL_GET(&a[0], double, i),
                            &WD_COL_VALS(out, wd_interval)[i]);
        if (rc) return rc;
    }
    return 0;
}
static int k_iv_div_f(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    ROWS(n) {
        double d = WD_COL_GET(&a[1], double, i);
        if (d == 0) return wd_err_at(k->err, WD_EDIVZERO, k->pos, "division by zero");
        int rc = iv_mul_f64(k, WD_COL_GET(&a[0], wd_interval, i), 1.0 / d,
                            &WD_COL_VALS(out, wd_interval)[i]);
        if (rc) return rc;
    }
    return 0;
}

/* ---- date_trunc ---------------------------------------------------------------------- */

static int trunc_ts(int u, int64_t ts, int64_t *out)
{
    int64_t days = floordiv(ts, WD_NS_PER_DAY);
    int64_t y;
    unsigned m, d;
    switch (u) {
    case U_MICRO: *out = floordiv(ts, WD_NS_PER_US) * WD_NS_PER_US; return 0;
    case U_MILLI: *out = floordiv(ts, WD_NS_PER_MS) * WD_NS_PER_MS; return 0;
    case U_SECOND: *out = floordiv(ts, WD_NS_PER_SEC) * WD_NS_PER_SEC; return 0;
    case U_MINUTE: *out = floordiv(ts, 60 * WD_NS_PER_SEC) * 60 * WD_NS_PER_SEC; return 0;
    case U_HOUR: *out = floordiv(ts, 3600 * WD_NS_PER_SEC) * 3600 * WD_NS_PER_SEC; return 0;
    case U_DAY: *out = days * WD_NS_PER_DAY; return 0;
    case U_WEEK: *out = (days - floormod(days + 3, 7)) * WD_NS_PER_DAY; return 0; /* Monday */
    case U_MONTH:
    case U_QUARTER:
    case U_YEAR:
        wd_civil_from_days(days, &y, &m, &d);
        if (u == U_QUARTER) m = (m - 1) / 3 * 3 + 1;
        if (u == U_YEAR) m = 1;
        *out = wd_days_from_civil(y, m, 1) * WD_NS_PER_DAY;
        return 0;
    default: return -1;
    }
}

static int trunc_rows(wd_kctx *k, const wd_col *a, uint32_t n, wd_col *out, bool date)
{
    int cu = -1; /* unit parsed once when constant */
    if ((a[0].flags & WD_COL_CONST) && wd_col_valid(&a[0], 0))
        cu = unit_lookup(WD_COL_GET(&a[0], wd_str, 0));
    ROWS(n) {
        wd_str us = WD_COL_GET(&a[0], wd_str, i);
        int u = (a[0].flags & WD_COL_CONST) ? cu : unit_lookup(us);
        int64_t ts = date ? (int64_t)WD_COL_GET(&a[1], int32_t, i) * WD_NS_PER_DAY
                          : WD_COL_GET(&a[1], int64_t, i);
        if (u < 0 || trunc_ts(u, ts, &WD_COL_VALS(out, int64_t)[i]) < 0)
            return bad_unit(k, "date_trunc", us, TRUNC_UNITS);
    }
    return 0;
}

static int k_date_trunc(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return trunc_rows(k, a, n, out, false);
}
static int k_date_trunc_date(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return trunc_rows(k, a, n, out, true);
}

/* ---- date_part ----------------------------------------------------------------------- */

static int64_t pg_century(int64_t y) { return y > 0 ? (y + 99) / 100 : -((99 - (y - 1)) / 100); }
static int64_t pg_millennium(int64_t y)
{
    return y > 0 ? (y + 999) / 1000 : -((999 - (y - 1)) / 1000);
}

/* Field u of timestamp ts; -1 for a unit timestamps do not have. */
static int part_ts(int u, int64_t ts, double *out)
{
    int64_t days = floordiv(ts, WD_NS_PER_DAY), rem = ts - days * WD_NS_PER_DAY;
    int64_t y;
    unsigned m, d;
    wd_civil_from_days(days, &y, &m, &d);
    int64_t sec_ns = rem % (60 * WD_NS_PER_SEC);
    int dow = (int)floormod(days + 4, 7); /* 1970-01-01 was a Thursday; 0 = Sunday */
    int isodow = dow == 0 ? 7 : dow;
    switch (u) {
    case U_NANO: *out = (double)sec_ns; return 0;
    case U_MICRO: *out = (double)sec_ns / 1e3; return 0;
    case U_MILLI: *out = (double)sec_ns / 1e6; return 0;
    case U_SECOND: *out = (double)sec_ns / 1e9; return 0;
    case U_MINUTE: *out = (double)(rem / (60 * WD_NS_PER_SEC) % 60); return 0;
    case U_HOUR: *out = (double)(rem / (3600 * WD_NS_PER_SEC)); return 0;
    case U_DAY: *out = d; return 0;
    case U_MONTH: *out = m; return 0;
    case U_QUARTER: *out = (m - 1) / 3 + 1; return 0;
    case U_YEAR: *out = (double)y; return 0;
    case U_DECADE: *out = (double)floordiv(y, 10); return 0;
    case U_CENTURY: *out = (double)pg_century(y); return 0;
    case U_MILLENNIUM: *out = (double)pg_millennium(y); return 0;
    case U_DOW: *out = dow; return 0;
    case U_ISODOW: *out = isodow; return 0;
    case U_DOY: *out = (double)(days - wd_days_from_civil(y, 1, 1) + 1); return 0;
    case U_EPOCH:
        *out = (double)floordiv(ts, WD_NS_PER_SEC) + (double)floormod(ts, WD_NS_PER_SEC) / 1e9;
        return 0;
    case U_WEEK:
    case U_ISOYEAR: {
        int64_t thu = days - (isodow - 1) + 3; /* the Thursday of this ISO week */
        int64_t ty;
        unsigned tm, td;
        wd_civil_from_days(thu, &ty, &tm, &td);
        if (u == U_ISOYEAR) *out = (double)ty;
        else *out = (double)((thu - wd_days_from_civil(ty, 1, 1)) / 7 + 1);
        return 0;
    }
    default: return -1;
    }
}

/* Field u of an interval (PostgreSQL: epoch counts a year as 365.25 days and a
 * month as 30); -1 for units intervals do not have (dow, doy, week …). */
static int part_iv(int u, wd_interval v, double *out)
{
    int64_t sec_ns = v.nanos % (60 * WD_NS_PER_SEC);
    switch (u) {
    case U_NANO: *out = (double)sec_ns; return 0;
    case U_MICRO: *out = (double)sec_ns / 1e3; return 0;
    case U_MILLI: *out = (double)sec_ns / 1e6; return 0;
    case U_SECOND: *out = (double)sec_ns / 1e9; return 0;
    case U_MINUTE: *out = (double)(v.nanos / (60 * WD_NS_PER_SEC) % 60); return 0;
    case U_HOUR: *out = (double)(v.nanos / (3600 * WD_NS_PER_SEC)); return 0;
    case U_DAY: *out = v.days; return 0;
    case U_MONTH: *out = v.months % 12; return 0;
    case U_QUARTER: *out = (v.months % 12) / 3 + 1; return 0;
    case U_YEAR: *out = v.months / 12; return 0;
    case U_DECADE: *out = v.months / 120; return 0;
    case U_CENTURY: *out = v.months / 1200; return 0;
    case U_MILLENNIUM: *out = v.months / 12000; return 0;
    case U_EPOCH:
        *out = (double)(v.months / 12) * 365.25 * 86400.0 + (double)(v.months % 12) * 30 * 86400.0 +
               (double)v.days * 86400.0 + (double)(v.nanos / WD_NS_PER_SEC) +
               (double)(v.nanos % WD_NS_PER_SEC) / 1e9;
        return 0;
    default: return -1;
    }
}

typedef enum { P_TS, P_DATE, P_IV } part_kind;

static int part_rows(wd_kctx *k, const wd_col *a, uint32_t n, wd_col *out, part_kind pk)
{
    int cu = -1;
    if ((a[0].flags & WD_COL_CONST) && wd_col_valid(&a[0], 0))
        cu = unit_lookup(WD_COL_GET(&a[0], wd_str, 0));
    ROWS(n) {
        wd_str us = WD_COL_GET(&a[0], wd_str, i);
        int u = (a[0].flags & WD_COL_CONST) ? cu : unit_lookup(us);
        if (u < 0) return bad_unit(k, "date_part", us, PART_UNITS);
        double *o = &WD_COL_VALS(out, double)[i];
        int r;
        if (pk == P_IV) r = part_iv(u, WD_COL_GET(&a[1], wd_interval, i), o);
        else if (pk == P_DATE) r = part_ts(u, (int64_t)WD_COL_GET(&a[1], int32_t, i) * WD_NS_PER_DAY, o);
        else r = part_ts(u, WD_COL_GET(&a[1], int64_t, i), o);
        if (r < 0) {
            int rc = wd_err_at(k->err, WD_EINVALID, k->pos,
                               "date_part: unit '%.*s' is not supported for INTERVAL",
                               (int)(us.len > 64 ? 64 : us.len), us.ptr);
            wd_err_hint(k->err, "accepted units for INTERVAL: year, quarter, month, day, hour, "
                                "minute, second, millisecond, microsecond, nanosecond, epoch, "
                                "decade, century, millennium");
            return rc;
        }
    }
    return 0;
}

static int k_part_ts(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return part_rows(k, a, n, out, P_TS);
}
static int k_part_date(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return part_rows(k, a, n, out, P_DATE);
}
static int k_part_iv(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return part_rows(k, a, n, out, P_IV);
}

/* ---- conversions ------------------------------------------------------------------------ */

/* to_timestamp(double seconds): rounded to the nanosecond. */
static int k_to_ts_f64(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    ROWS(n) {
        double s = WD_COL_GET(&a[0], double, i);
        double ns = s * 1e9;
        if (!(ns > -9.2e18 && ns < 9.2e18))
            return wd_err_at(k->err, WD_EOVERFLOW, k->pos,
                             "to_timestamp: %g seconds is out of the timestamp range", s);
        WD_COL_VALS(out, int64_t)[i] = (int64_t)llround(ns);
    }
    return 0;
}

/* Epoch integers in a unit of mul nanoseconds. */
static int epoch_rows(wd_kctx *k, const wd_col *a, uint32_t n, wd_col *out, int64_t mul,
                      const char *fn)
{
    ROWS(n) {
        int64_t v = WD_COL_GET(&a[0], int64_t, i), r;
        if (__builtin_mul_overflow(v, mul, &r))
            return wd_err_at(k->err, WD_EOVERFLOW, k->pos,
                             "%s: %lld is out of the timestamp range", fn, (long long)v);
        WD_COL_VALS(out, int64_t)[i] = r;
    }
    return 0;
}

static int k_to_ts_i64(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return epoch_rows(k, a, n, out, WD_NS_PER_SEC, "to_timestamp");
}
static int k_ts_seconds(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return epoch_rows(k, a, n, out, WD_NS_PER_SEC, "to_timestamp_seconds");
}
static int k_from_unixtime(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return epoch_rows(k, a, n, out, WD_NS_PER_SEC, "from_unixtime");
}
static int k_ts_millis(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return epoch_rows(k, a, n, out, WD_NS_PER_MS, "to_timestamp_millis");
}
static int k_ts_micros(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return epoch_rows(k, a, n, out, WD_NS_PER_US, "to_timestamp_micros");
}
static int k_ts_nanos(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return epoch_rows(k, a, n, out, 1, "to_timestamp_nanos");
}

/* Parse RFC 3339 text, truncated to a multiple of unit nanoseconds. */
static int parse_rows(wd_kctx *k, const wd_col *a, uint32_t n, wd_col *out, int64_t unit,
                      const char *fn)
{
    ROWS(n) {
        wd_str s = WD_COL_GET(&a[0], wd_str, i);
        int64_t ts;
        if (wd_ts_parse(s.ptr ? s.ptr : "", s.len, &ts) < 0) {
            int rc = wd_err_at(k->err, WD_EINVALID, k->pos, "%s: cannot parse '%.*s' as a timestamp",
                               fn, (int)(s.len > 100 ? 100 : s.len), s.ptr ? s.ptr : "");
            wd_err_hint(k->err, "expected RFC 3339, e.g. '2023-10-09T17:13:40Z'");
            return rc;
        }
        WD_COL_VALS(out, int64_t)[i] = floordiv(ts, unit) * unit;
    }
    return 0;
}

static int k_to_ts_text(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return parse_rows(k, a, n, out, 1, "to_timestamp");
}
static int k_ts_seconds_text(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return parse_rows(k, a, n, out, WD_NS_PER_SEC, "to_timestamp_seconds");
}
static int k_ts_millis_text(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return parse_rows(k, a, n, out, WD_NS_PER_MS, "to_timestamp_millis");
}
static int k_ts_micros_text(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return parse_rows(k, a, n, out, WD_NS_PER_US, "to_timestamp_micros");
}
static int k_ts_nanos_text(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return parse_rows(k, a, n, out, 1, "to_timestamp_nanos");
}

static int k_to_date(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    ROWS(n) {
        wd_str s = WD_COL_GET(&a[0], wd_str, i);
        if (wd_date_parse(s.ptr ? s.ptr : "", s.len, &WD_COL_VALS(out, int32_t)[i]) < 0)
            return wd_err_at(k->err, WD_EINVALID, k->pos, "to_date: cannot parse '%.*s' as a date",
                             (int)(s.len > 100 ? 100 : s.len), s.ptr ? s.ptr : "");
    }
    return 0;
}

/* make_date(year, month, day); an impossible date is an error. */
static int k_make_date(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    ROWS(n) {
        int64_t y = WD_COL_GET(&a[0], int64_t, i), m = WD_COL_GET(&a[1], int64_t, i),
                d = WD_COL_GET(&a[2], int64_t, i);
        if (y < -5000000 || y > 5000000 || m < 1 || m > 12 || d < 1 ||
            d > days_in_month(y, (unsigned)m))
            return wd_err_at(k->err, WD_EINVALID, k->pos,
                             "make_date: date field value out of range: %lld-%lld-%lld",
                             (long long)y, (long long)m, (long long)d);
        WD_COL_VALS(out, int32_t)[i] = (int32_t)wd_days_from_civil(y, (unsigned)m, (unsigned)d);
    }
    return 0;
}

/* date_bin(stride, ts [, origin]): the start of the stride-wide bin holding ts,
 * bins aligned on origin (default 1970-01-01T00:00:00). */
static int k_date_bin(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    ROWS(n) {
        wd_interval iv = WD_COL_GET(&a[0], wd_interval, i);
        int64_t ts = WD_COL_GET(&a[1], int64_t, i);
        int64_t origin = na > 2 ? WD_COL_GET(&a[2], int64_t, i) : 0;
        if (iv.months != 0)
            return wd_err_at(k->err, WD_EINVALID, k->pos,
                             "date_bin: the stride must not contain months or years");
        __int128 stride = (__int128)iv.days * WD_NS_PER_DAY + iv.nanos;
        if (stride <= 0)
            return wd_err_at(k->err, WD_EINVALID, k->pos, "date_bin: the stride must be positive");
        if (stride > INT64_MAX) stride = INT64_MAX;
        int64_t st = (int64_t)stride;
        __int128 diff = (__int128)ts - origin;
        __int128 q = diff / st;
        if (diff % st != 0 && diff < 0) q--;
        __int128 r = (__int128)origin + q * st;
        if (r > INT64_MAX || r < INT64_MIN) return overflow(k, "date_bin");
        WD_COL_VALS(out, int64_t)[i] = (int64_t)r;
    }
    return 0;
}

/* ---- table ------------------------------------------------------------------------------ */

#define TS WD_T_TIMESTAMP
#define DT WD_T_DATE
#define IV WD_T_INTERVAL
#define I WD_T_INT64
#define F WD_T_FLOAT64
#define T WD_T_TEXT
#define S WD_FN_STRICT
#define F0(nm, r, fn, doc) {nm, 0, 0, {0}, r, NULL, fn, NULL, WD_FN_VOLATILE, doc}
#define F1(nm, p0, r, fn, doc) {nm, 1, 1, {p0}, r, NULL, fn, NULL, S, doc}
#define F2(nm, p0, p1, r, fn, doc) {nm, 2, 2, {p0, p1}, r, NULL, fn, NULL, S, doc}
#define F3(nm, p0, p1, p2, r, fn, doc) {nm, 3, 3, {p0, p1, p2}, r, NULL, fn, NULL, S, doc}

const wd_func wd_funcs_time[] = {
    F0("now", TS, k_now, "now(): the current time (the same for every row of a batch)"),
    F0("current_timestamp", TS, k_now, "current_timestamp(): the current time"),
    F0("current_date", DT, k_current_date, "current_date(): today's date (UTC)"),
    F2("+", TS, IV, TS, k_ts_add_iv, "timestamp + interval"),
    F2("+", IV, TS, TS, k_iv_add_ts, "interval + timestamp"),
    F2("-", TS, IV, TS, k_ts_sub_iv, "timestamp - interval"),
    F2("-", TS, TS, IV, k_ts_sub_ts, "timestamp - timestamp: the exact difference"),
    F2("+", DT, I, DT, k_date_add_int, "date + integer days"),
    F2("+", I, DT, DT, k_int_add_date, "integer days + date"),
    F2("-", DT, I, DT, k_date_sub_int, "date - integer days"),
    F2("-", DT, DT, I, k_date_sub_date, "date - date: days between"),
    F2("+", DT, IV, TS, k_date_add_iv, "date + interval: a timestamp"),
    F2("+", IV, DT, TS, k_iv_add_date, "interval + date: a timestamp"),
    F2("-", DT, IV, TS, k_date_sub_iv, "date - interval: a timestamp"),
    F2("+", IV, IV, IV, k_iv_add_iv, "interval + interval"),
    F2("-", IV, IV, IV, k_iv_sub_iv, "interval - interval"),
    F1("neg", IV, IV, k_iv_neg, "-interval"),
    F2("*", IV, I, IV, k_iv_mul_i, "interval * integer"),
    F2("*", I, IV, IV, k_i_mul_iv, "integer * interval"),
    F2("*", IV, F, IV, k_iv_mul_f, "interval * double (fractions spill into days and time)"),
    F2("*", F, IV, IV, k_f_mul_iv, "double * interval"),
    F2("/", IV, F, IV, k_iv_div_f, "interval / number"),
    F2("date_trunc", T, TS, TS, k_date_trunc,
       "date_trunc(unit, timestamp): truncate to " TRUNC_UNITS " (week: Monday)"),
    F2("date_trunc", T, DT, TS, k_date_trunc_date, "date_trunc(unit, date): truncate a date"),
    F2("date_part", T, TS, F, k_part_ts, "date_part(unit, timestamp): field as double"),
    F2("date_part", T, DT, F, k_part_date, "date_part(unit, date): field as double"),
    F2("date_part", T, IV, F, k_part_iv, "date_part(unit, interval): field as double"),
    F1("to_timestamp", F, TS, k_to_ts_f64, "to_timestamp(seconds double): epoch seconds to timestamp"),
    F1("to_timestamp", I, TS, k_to_ts_i64, "to_timestamp(seconds bigint): epoch seconds to timestamp"),
    F1("to_timestamp", T, TS, k_to_ts_text, "to_timestamp(text): parse RFC 3339"),
    F1("to_timestamp_seconds", I, TS, k_ts_seconds, "to_timestamp_seconds(bigint): epoch seconds"),
    F1("to_timestamp_seconds", T, TS, k_ts_seconds_text, "to_timestamp_seconds(text): parse, truncate to seconds"),
    F1("to_timestamp_millis", I, TS, k_ts_millis, "to_timestamp_millis(bigint): epoch milliseconds"),
    F1("to_timestamp_millis", T, TS, k_ts_millis_text, "to_timestamp_millis(text): parse, truncate to ms"),
    F1("to_timestamp_micros", I, TS, k_ts_micros, "to_timestamp_micros(bigint): epoch microseconds"),
    F1("to_timestamp_micros", T, TS, k_ts_micros_text, "to_timestamp_micros(text): parse, truncate to µs"),
    F1("to_timestamp_nanos", I, TS, k_ts_nanos, "to_timestamp_nanos(bigint): epoch nanoseconds"),
    F1("to_timestamp_nanos", T, TS, k_ts_nanos_text, "to_timestamp_nanos(text): parse RFC 3339"),
    F1("from_unixtime", I, TS, k_from_unixtime, "from_unixtime(bigint): epoch seconds to timestamp"),
    F1("to_date", T, DT, k_to_date, "to_date(text): parse 'YYYY-MM-DD'"),
    F3("make_date", I, I, I, DT, k_make_date, "make_date(year, month, day)"),
    F2("date_bin", IV, TS, TS, k_date_bin,
       "date_bin(stride, ts): start of the stride-wide bin holding ts (bins from the epoch)"),
    F3("date_bin", IV, TS, TS, TS, k_date_bin,
       "date_bin(stride, ts, origin): start of the bin holding ts, bins aligned on origin"),
};

const size_t wd_funcs_time_n = sizeof wd_funcs_time / sizeof wd_funcs_time[0];
