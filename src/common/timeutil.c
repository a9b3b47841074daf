/*
 * timeutil.c — clocks, civil dates, timestamp / date / interval parsing and
 * formatting, and calendar arithmetic on timestamps.
 *
 * Timestamps are int64 ns since the epoch (so 1677-09-21 … 2262-04-11);
 * civil-date conversions use the proleptic Gregorian calendar (Howard
 * Hinnant's days_from_civil / civil_from_days).  Interval text follows
 * PostgreSQL: "1 day 02:00:00", "1 hour 30 minutes", "100ms", "3 mons".
 *
 * Exports: wd_now_ns, wd_mono_ns, wd_cond_init_mono, wd_cond_wait_ns, wd_ts_parse, wd_ts_format,
 * wd_days_from_civil, wd_civil_from_days, wd_date_parse, wd_date_format,
 * wd_interval_parse, wd_interval_format, wd_ts_add_interval.
 */
#include "common/timeutil.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- clocks ------------------------------------------------------------ */

int64_t wd_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * WD_NS_PER_SEC + ts.tv_nsec;
}

int64_t wd_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * WD_NS_PER_SEC + ts.tv_nsec;
}

void wd_cond_init_mono(pthread_cond_t *cv)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &ca);
    pthread_condattr_destroy(&ca);
}

void wd_cond_wait_ns(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t ns)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t t = (int64_t)ts.tv_sec * WD_NS_PER_SEC + ts.tv_nsec + (ns > 0 ? ns : 0);
    ts.tv_sec = t / WD_NS_PER_SEC;
    ts.tv_nsec = t % WD_NS_PER_SEC;
    pthread_cond_timedwait(cv, mu, &ts);
}

/* ---- civil dates ------------------------------------------------------- */

/* Years beyond ±2^40 are clamped: no int64 overflow for any input. */
#define YEAR_LIMIT (1LL << 40)
#define DAYS_LIMIT (1LL << 48)

int64_t wd_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    if (y > YEAR_LIMIT) y = YEAR_LIMIT;
    if (y < -YEAR_LIMIT) y = -YEAR_LIMIT;
    if (m < 1) m = 1;
    if (m > 12) m = 12;
    if (d > 31) d = 31;
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void wd_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    if (z > DAYS_LIMIT) z = DAYS_LIMIT;
    if (z < -DAYS_LIMIT) z = -DAYS_LIMIT;
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned dd = doy - (153 * mp + 2) / 5 + 1;
    unsigned mm = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (mm <= 2);
    *m = mm;
    *d = dd;
}

static bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && is_leap(y)) return 29;
    return dim[(m - 1) % 12];
}

/* ---- parsing helpers --------------------------------------------------- */

typedef struct cur {
    const char *p, *e;
} cur;

static bool at_end(const cur *c) { return c->p >= c->e; }
static int peek(const cur *c) { return c->p < c->e ? (unsigned char)*c->p : -1; }

static bool eat(cur *c, char ch)
{
    if (peek(c) == (unsigned char)ch) {
        c->p++;
        return true;
    }
    return false;
}

/* Exactly k decimal digits. */
static bool digits_n(cur *c, int k, int64_t *out)
{
    int64_t v = 0;
    for (int i = 0; i < k; i++) {
        int ch = peek(c);
        if (ch < '0' || ch > '9') return false;
        v = v * 10 + (ch - '0');
        c->p++;
    }
    *out = v;
    return true;
}

/* 1..max decimal digits. */
static bool digits_upto(cur *c, int max, int64_t *out)
{
    int64_t v = 0;
    int k = 0;
    while (isdigit(peek(c))) {
        if (k == max) return false;
        v = v * 10 + (peek(c) - '0');
        c->p++;
        k++;
    }
    if (k == 0) return false;
    *out = v;
    return true;
}

/* Fractional digits after '.', as nanoseconds (digits past 9 are dropped). */
static bool frac_ns(cur *c, int64_t *out)
{
    int64_t v = 0;
    int k = 0;
    while (isdigit(peek(c))) {
        if (k < 9) v = v * 10 + (peek(c) - '0');
        k++;
        c->p++;
    }
    if (k == 0) return false;
    for (int i = k; i < 9; i++) v *= 10;
    *out = v;
    return true;
}

/* "YYYY-MM-DD" → days since the epoch. */
static bool parse_date(cur *c, int64_t *days)
{
    int64_t y, m, d;
    if (!digits_n(c, 4, &y) || !eat(c, '-') || !digits_n(c, 2, &m) || !eat(c, '-') ||
        !digits_n(c, 2, &d))
        return false;
    if (m < 1 || m > 12 || d < 1 || d > (int64_t)days_in_month(y, (unsigned)m)) return false;
    *days = wd_days_from_civil(y, (unsigned)m, (unsigned)d);
    return true;
}

/* ---- timestamps -------------------------------------------------------- */

int wd_ts_parse(const char *s, size_t n, int64_t *out)
{
    if (!s) return -1;
    cur c = {s, s + n};
    int64_t days, h = 0, mi = 0, sec = 0, frac = 0, off = 0;
    if (!parse_date(&c, &days)) return -1;
    if (!at_end(&c)) {
        int sep = peek(&c);
        if (sep != 'T' && sep != 't' && sep != ' ') return -1;
        c.p++;
        if (!digits_n(&c, 2, &h) || !eat(&c, ':') || !digits_n(&c, 2, &mi)) return -1;
        if (eat(&c, ':')) {
            if (!digits_n(&c, 2, &sec)) return -1;
            if ((eat(&c, '.') || eat(&c, ',')) && !frac_ns(&c, &frac)) return -1;
        }
        if (h > 23 || mi > 59 || sec > 59) return -1;
        int z = peek(&c);
        if (z == 'Z' || z == 'z') {
            c.p++;
        } else if (z == '+' || z == '-') {
            c.p++;
            int64_t oh, om = 0;
            if (!digits_n(&c, 2, &oh)) return -1;
            if (eat(&c, ':')) {
                if (!digits_n(&c, 2, &om)) return -1;
            } else if (isdigit(peek(&c))) {
                if (!digits_n(&c, 2, &om)) return -1;
            }
            if (oh > 23 || om > 59) return -1;
            off = (oh * 3600 + om * 60) * (z == '-' ? -1 : 1);
        }
        if (!at_end(&c)) return -1;
    }
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - off; /* |days| is small */
    __int128 ns = (__int128)secs * WD_NS_PER_SEC + frac;
    if (ns < INT64_MIN || ns > INT64_MAX) return -1;
    *out = (int64_t)ns;
    return 0;
}

static int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

size_t wd_ts_format(int64_t ns, char *out)
{
    int64_t secs = ns / WD_NS_PER_SEC, frac = ns % WD_NS_PER_SEC;
    if (frac < 0) {
        frac += WD_NS_PER_SEC;
        secs--;
    }
    int64_t days = floordiv(secs, 86400);
    int64_t sod = secs - days * 86400;
    int64_t y;
    unsigned m, d;
    wd_civil_from_days(days, &y, &m, &d);
    int k = snprintf(out, 40, "%04lld-%02u-%02uT%02d:%02d:%02d", (long long)y, m, d,
                     (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60));
    if (frac) {
        if (frac % 1000000 == 0)
            k += snprintf(out + k, 40 - (size_t)k, ".%03d", (int)(frac / 1000000));
        else if (frac % 1000 == 0)
            k += snprintf(out + k, 40 - (size_t)k, ".%06d", (int)(frac / 1000));
        else
            k += snprintf(out + k, 40 - (size_t)k, ".%09d", (int)frac);
    }
    return (size_t)k;
}

/* ---- dates ------------------------------------------------------------- */

int wd_date_parse(const char *s, size_t n, int32_t *out)
{
    if (!s) return -1;
    cur c = {s, s + n};
    int64_t days;
    if (!parse_date(&c, &days) || !at_end(&c)) return -1;
    if (days < INT32_MIN || days > INT32_MAX) return -1;
    *out = (int32_t)days;
    return 0;
}

/* "YYYY-MM-DD"; out needs 16 bytes. */
size_t wd_date_format(int32_t days, char *out)
{
    int64_t y;
    unsigned m, d;
    wd_civil_from_days(days, &y, &m, &d);
    int k = snprintf(out, 16, "%04lld-%02u-%02u", (long long)y, m, d);
    return (size_t)k;
}

/* ---- intervals --------------------------------------------------------- */

enum { U_NS, U_DAY, U_MONTH };

typedef struct unit_def {
    const char *name;
    int kind;
    int64_t mult; /* ns, days or months per unit */
} unit_def;

static const unit_def units[] = {
    {"nanosecond", U_NS, 1},
    {"nanoseconds", U_NS, 1},
    {"ns", U_NS, 1},
    {"nsec", U_NS, 1},
    {"nsecs", U_NS, 1},
    {"microsecond", U_NS, WD_NS_PER_US},
    {"microseconds", U_NS, WD_NS_PER_US},
    {"us", U_NS, WD_NS_PER_US},
    {"usec", U_NS, WD_NS_PER_US},
    {"usecs", U_NS, WD_NS_PER_US},
    {"millisecond", U_NS, WD_NS_PER_MS},
    {"milliseconds", U_NS, WD_NS_PER_MS},
    {"ms", U_NS, WD_NS_PER_MS},
    {"msec", U_NS, WD_NS_PER_MS},
    {"msecs", U_NS, WD_NS_PER_MS},
    {"second", U_NS, WD_NS_PER_SEC},
    {"seconds", U_NS, WD_NS_PER_SEC},
    {"sec", U_NS, WD_NS_PER_SEC},
    {"secs", U_NS, WD_NS_PER_SEC},
    {"s", U_NS, WD_NS_PER_SEC},
    {"minute", U_NS, 60 * WD_NS_PER_SEC},
    {"minutes", U_NS, 60 * WD_NS_PER_SEC},
    {"min", U_NS, 60 * WD_NS_PER_SEC},
    {"mins", U_NS, 60 * WD_NS_PER_SEC},
    {"m", U_NS, 60 * WD_NS_PER_SEC},
    {"hour", U_NS, 3600 * WD_NS_PER_SEC},
    {"hours", U_NS, 3600 * WD_NS_PER_SEC},
    {"hr", U_NS, 3600 * WD_NS_PER_SEC},
    {"hrs", U_NS, 3600 * WD_NS_PER_SEC},
    {"h", U_NS, 3600 * WD_NS_PER_SEC},
    {"day", U_DAY, 1},
    {"days", U_DAY, 1},
    {"d", U_DAY, 1},
    {"week", U_DAY, 7},
    {"weeks", U_DAY, 7},
    {"w", U_DAY, 7},
    {"month", U_MONTH, 1},
    {"months", U_MONTH, 1},
    {"mon", U_MONTH, 1},
    {"mons", U_MONTH, 1},
    {"year", U_MONTH, 12},
    {"years", U_MONTH, 12},
    {"yr", U_MONTH, 12},
    {"yrs", U_MONTH, 12},
    {"y", U_MONTH, 12},
    {"decade", U_MONTH, 120},
    {"decades", U_MONTH, 120},
};

static const unit_def *find_unit(const char *p, size_t n)
{
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strlen(units[i].name) == n && strncasecmp(units[i].name, p, n) == 0) return &units[i];
    }
    return NULL;
}

/* Interval being accumulated, wide enough that no sum can overflow. */
typedef struct acc {
    __int128 months, days, nanos;
} acc;

#define BILLION 1000000000LL
#define ACC_LIMIT ((__int128)1 << 100)

/* Add sign * (whole + frac9 / 1e9) units of u; fractions cascade down to
 * days (a month is 30 days) and ns. */
static void acc_add(acc *a, const unit_def *u, int sign, int64_t whole, int64_t frac9)
{
    __int128 w = whole, f = frac9;
    switch (u->kind) {
    case U_NS:
        a->nanos += sign * (w * u->mult + f * u->mult / BILLION);
        break;
    case U_DAY: {
        __int128 fd = f * u->mult; /* 1e-9 days */
        a->days += sign * (w * u->mult + fd / BILLION);
        a->nanos += sign * ((fd % BILLION) * WD_NS_PER_DAY / BILLION);
        break;
    }
    case U_MONTH: {
        __int128 fm = f * u->mult; /* 1e-9 months */
        __int128 fd = (fm % BILLION) * 30; /* 1e-9 days */
        a->months += sign * (w * u->mult + fm / BILLION);
        a->days += sign * (fd / BILLION);
        a->nanos += sign * ((fd % BILLION) * WD_NS_PER_DAY / BILLION);
        break;
    }
    }
}

static void skip_space(cur *c)
{
    while (!at_end(c) && isspace((unsigned char)*c->p)) c->p++;
}

/* The unit named by the last word of unit ("second", "day to second"). */
static const unit_def *unit_param(const char *unit)
{
    size_t n = strlen(unit);
    while (n && isspace((unsigned char)unit[n - 1])) n--;
    size_t b = n;
    while (b && !isspace((unsigned char)unit[b - 1])) b--;
    return find_unit(unit + b, n - b);
}

int wd_interval_parse(const char *s, size_t n, const char *unit, wd_interval *out)
{
    if (!s) return -1;
    cur c = {s, s + n};
    acc a = {0, 0, 0};
    int items = 0;
    bool bare = false; /* the text was one number without a unit */
    const unit_def *pu = NULL;
    if (unit) {
        pu = unit_param(unit);
        if (!pu) return -1;
    }
    skip_space(&c);
    while (!at_end(&c)) {
        int sign = 1;
        if (eat(&c, '-')) sign = -1;
        else eat(&c, '+');
        int64_t whole = 0, frac = 0;
        bool have_whole = false, have_frac = false;
        if (isdigit(peek(&c))) {
            if (!digits_upto(&c, 18, &whole)) return -1;
            have_whole = true;
        }
        if (peek(&c) == ':') {
            /* H:M or H:M:S[.frac] */
            int64_t mi, sec = 0, fr = 0;
            if (!have_whole) return -1;
            c.p++;
            if (!digits_upto(&c, 2, &mi) || mi > 59) return -1;
            if (eat(&c, ':')) {
                if (!digits_upto(&c, 2, &sec) || sec > 59) return -1;
                if (eat(&c, '.') && !frac_ns(&c, &fr)) return -1;
            }
            a.nanos += sign * (((__int128)whole * 3600 + mi * 60 + sec) * WD_NS_PER_SEC + fr);
            items++;
            if (a.nanos > ACC_LIMIT || a.nanos < -ACC_LIMIT) return -1;
            skip_space(&c);
            continue;
        }
        if (eat(&c, '.')) {
            if (isdigit(peek(&c))) {
                frac_ns(&c, &frac);
                have_frac = true;
            }
        }
        if (!have_whole && !have_frac) return -1;
        skip_space(&c);
        const char *w = c.p;
        while (!at_end(&c) && isalpha((unsigned char)*c.p)) c.p++;
        size_t wl = (size_t)(c.p - w);
        if (wl == 0) {
            /* a bare number: only as the whole text */
            if (items != 0) return -1;
            skip_space(&c);
            if (!at_end(&c)) return -1;
            acc_add(&a, pu ? pu : find_unit("second", 6), sign, whole, frac);
            bare = true;
            items++;
            break;
        }
        const unit_def *u = find_unit(w, wl);
        if (!u) return -1;
        acc_add(&a, u, sign, whole, frac);
        items++;
        /* keep the 128-bit sums far from overflow on absurdly long input */
        if (a.months > ACC_LIMIT || a.months < -ACC_LIMIT || a.days > ACC_LIMIT ||
            a.days < -ACC_LIMIT || a.nanos > ACC_LIMIT || a.nanos < -ACC_LIMIT)
            return -1;
        skip_space(&c);
        /* PostgreSQL's trailing "ago" negates everything */
        if (c.e - c.p >= 3 && strncasecmp(c.p, "ago", 3) == 0) {
            cur t = {c.p + 3, c.e};
            skip_space(&t);
            if (at_end(&t)) {
                a.months = -a.months;
                a.days = -a.days;
                a.nanos = -a.nanos;
                c = t;
            }
        }
    }
    (void)bare;
    if (items == 0) return -1;
    if (a.months < INT32_MIN || a.months > INT32_MAX || a.days < INT32_MIN ||
        a.days > INT32_MAX || a.nanos < INT64_MIN || a.nanos > INT64_MAX)
        return -1;
    out->months = (int32_t)a.months;
    out->days = (int32_t)a.days;
    out->nanos = (int64_t)a.nanos;
    return 0;
}

/* snprintf-like appender. */
typedef struct sout {
    char *out;
    size_t n, len;
} sout;

static void so_printf(sout *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void so_printf(sout *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->len < o->n ? o->n - o->len : 0;
    int k = vsnprintf(room ? o->out + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (k > 0) o->len += (size_t)k;
}

/*
 * PostgreSQL's style: "1 year 2 mons 3 days 04:05:06.5", "-1 days",
 * "00:00:00" for zero; a positive field after a negative one is marked
 * with '+' ("-1 days +01:00:00").  Returns the length wanted (as snprintf).
 */
size_t wd_interval_format(wd_interval iv, char *out, size_t n)
{
    sout o = {out, n, 0};
    if (out && n) out[0] = 0;
    int32_t years = iv.months / 12, mons = iv.months % 12;
    const char *sep = "";
    bool before = false; /* the last field printed was negative */
    if (years) {
        so_printf(&o, "%d year%s", years, years == 1 ? "" : "s");
        sep = " ";
        before = years < 0;
    }
    if (mons) {
        so_printf(&o, "%s%s%d mon%s", sep, before && mons > 0 ? "+" : "", mons,
                  mons == 1 ? "" : "s");
        sep = " ";
        before = mons < 0;
    }
    if (iv.days) {
        so_printf(&o, "%s%s%d day%s", sep, before && iv.days > 0 ? "+" : "", iv.days,
                  iv.days == 1 ? "" : "s");
        sep = " ";
        before = iv.days < 0;
    }
    if (iv.nanos || !*sep) {
        uint64_t abs = iv.nanos < 0 ? (uint64_t)0 - (uint64_t)iv.nanos : (uint64_t)iv.nanos;
        uint64_t secs = abs / BILLION, frac = abs % BILLION;
        so_printf(&o, "%s%s%02llu:%02u:%02u", sep, iv.nanos < 0 ? "-" : before ? "+" : "",
                  (unsigned long long)(secs / 3600), (unsigned)(secs / 60 % 60),
                  (unsigned)(secs % 60));
        if (frac) {
            char f[16];
            snprintf(f, sizeof f, "%09llu", (unsigned long long)frac);
            size_t k = 9;
            while (k > 1 && f[k - 1] == '0') k--;
            f[k] = 0;
            so_printf(&o, ".%s", f);
        }
    }
    return o.len;
}

static int64_t sat(__int128 v)
{
    if (v > INT64_MAX) return INT64_MAX;
    if (v < INT64_MIN) return INT64_MIN;
    return (int64_t)v;
}

/*
 * ts + sign * iv: months first (the day of month clamped to the length of
 * the target month: Jan 31 + 1 month = Feb 28/29), then days and ns.  The
 * result saturates at the int64 range.
 */
int64_t wd_ts_add_interval(int64_t ts, wd_interval iv, int sign)
{
    sign = sign < 0 ? -1 : 1;
    __int128 r = ts;
    if (iv.months) {
        int64_t days = floordiv(ts, WD_NS_PER_DAY);
        int64_t rem = (int64_t)((__int128)ts - (__int128)days * WD_NS_PER_DAY);
        int64_t y;
        unsigned m, d;
        wd_civil_from_days(days, &y, &m, &d);
        int64_t total = y * 12 + (int64_t)(m - 1) + (int64_t)sign * iv.months;
        int64_t ny = floordiv(total, 12);
        unsigned nm = (unsigned)(total - ny * 12) + 1;
        unsigned dim = days_in_month(ny, nm);
        if (d > dim) d = dim;
        r = (__int128)wd_days_from_civil(ny, nm, d) * WD_NS_PER_DAY + rem;
    }
    r += (__int128)sign * ((__int128)iv.days * WD_NS_PER_DAY + iv.nanos);
    return sat(r);
}
