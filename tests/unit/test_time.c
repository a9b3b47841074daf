/*
 * test_time.c — unit tests for src/common/timeutil: timestamp and date
 * parsing/formatting (fractions, zones, before 1970), civil-date
 * conversion, interval parsing/formatting, and calendar arithmetic.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"

static int64_t ts(const char *s)
{
    int64_t v = 0;
    int rc = wd_ts_parse(s, strlen(s), &v);
    if (rc != 0) fprintf(stderr, "cannot parse timestamp '%s'\n", s);
    assert_int_equal(rc, 0);
    return v;
}

static void ts_bad(const char *s)
{
    int64_t v = 12345;
    if (wd_ts_parse(s, strlen(s), &v) == 0) fprintf(stderr, "accepted bad timestamp '%s'\n", s);
    assert_int_equal(wd_ts_parse(s, strlen(s), &v), -1);
    assert_int_equal(v, 12345);
}

static void fmt_is(int64_t ns, const char *want)
{
    char out[40];
    size_t n = wd_ts_format(ns, out);
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
}

static void test_ts_parse(void **state)
{
    (void)state;
    const int64_t base = 1696871620LL * WD_NS_PER_SEC; /* 2023-10-09T17:13:40Z */
    assert_int_equal(ts("2023-10-09T17:13:40Z"), base);
    assert_int_equal(ts("2023-10-09t17:13:40z"), base);
    assert_int_equal(ts("2023-10-09 17:13:40"), base);
    assert_int_equal(ts("2023-10-09T17:13:40.2Z"), base + 200000000);
    assert_int_equal(ts("2023-10-09 17:13:40.123456789"), base + 123456789);
    assert_int_equal(ts("2023-10-09 17:13:40.123456"), base + 123456000);
    assert_int_equal(ts("2023-10-09T17:13:40.1234567891Z"), base + 123456789);
    assert_int_equal(ts("2023-10-09T19:13:40+02:00"), base);
    assert_int_equal(ts("2023-10-09T12:13:40-05:00"), base);
    assert_int_equal(ts("2023-10-09T19:13:40+0200"), base);
    assert_int_equal(ts("2023-10-09T19:13:40+02"), base);
    assert_int_equal(ts("2023-10-09T17:13:40.5+00:00"), base + 500000000);
    assert_int_equal(ts("2023-10-09T17:13Z"), base - 40 * WD_NS_PER_SEC);
    assert_int_equal(ts("2023-10-09"), 1696809600LL * WD_NS_PER_SEC);
    assert_int_equal(ts("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(ts("1969-12-31T23:59:59.999Z"), -1000000);
    assert_int_equal(ts("1960-02-29T12:00:00Z"), -310478400LL * WD_NS_PER_SEC);
    assert_int_equal(ts("2000-02-29"), 951782400LL * WD_NS_PER_SEC);
    assert_int_equal(ts("2262-04-11T23:47:16.854775807Z"), INT64_MAX);
    assert_int_equal(ts("1677-09-21T00:12:43.145224192Z"), INT64_MIN);

    ts_bad("");
    ts_bad("2023");
    ts_bad("2023-10");
    ts_bad("2023-13-01");
    ts_bad("2023-00-01");
    ts_bad("2023-10-32");
    ts_bad("2023-02-29");
    ts_bad("2023-04-31");
    ts_bad("2023-10-00");
    ts_bad("2023-10-09T24:00:00Z");
    ts_bad("2023-10-09T17:60:00Z");
    ts_bad("2023-10-09T17:13:60Z");
    ts_bad("2023-10-09T17:13:40Zjunk");
    ts_bad("2023-10-09T17:13:40 ");
    ts_bad(" 2023-10-09T17:13:40");
    ts_bad("2023-10-09X17:13:40");
    ts_bad("2023-10-09T17:13:40.");
    ts_bad("2023-10-09T17:13:40+25:00");
    ts_bad("2023-10-09T17:13:40+02:61");
    ts_bad("2023-10-09T17:13:40+2");
    ts_bad("2023-10-09T");
    ts_bad("2023-10-09T17");
    ts_bad("2023-1-09");
    ts_bad("23-10-09");
    ts_bad("abcd-ef-gh");
    ts_bad("2262-04-11T23:47:16.854775808Z"); /* one past INT64_MAX */
    ts_bad("1500-01-01");
    ts_bad("9999-12-31");

    /* n is honoured: trailing bytes beyond n are ignored */
    int64_t v;
    assert_int_equal(wd_ts_parse("2023-10-09XYZ", 10, &v), 0);
    assert_int_equal(v, 1696809600LL * WD_NS_PER_SEC);
    assert_int_equal(wd_ts_parse(NULL, 0, &v), -1);
}

static void test_ts_format(void **state)
{
    (void)state;
    fmt_is(1696871620200000000LL, "2023-10-09T17:13:40.200");
    fmt_is(1696871620000000000LL, "2023-10-09T17:13:40");
    fmt_is(1696871620000123000LL, "2023-10-09T17:13:40.000123");
    fmt_is(1696871620000000001LL, "2023-10-09T17:13:40.000000001");
    fmt_is(1696871620123456789LL, "2023-10-09T17:13:40.123456789");
    fmt_is(0, "1970-01-01T00:00:00");
    fmt_is(-1, "1969-12-31T23:59:59.999999999");
    fmt_is(-1000000, "1969-12-31T23:59:59.999");
    fmt_is(-WD_NS_PER_DAY, "1969-12-31T00:00:00");
    fmt_is(-310478400LL * WD_NS_PER_SEC, "1960-02-29T12:00:00");
    fmt_is(INT64_MAX, "2262-04-11T23:47:16.854775807");
    fmt_is(INT64_MIN, "1677-09-21T00:12:43.145224192");
}

static void test_ts_roundtrip(void **state)
{
    (void)state;
    /* every ~prime step across the whole range, both directions */
    int64_t step = 7919LL * 1000003LL * 977LL + 123456789LL;
    char out[40];
    int64_t v;
    for (int64_t t = INT64_MIN + 1; t < INT64_MAX - step; t += step) {
        size_t n = wd_ts_format(t, out);
        assert_int_equal(wd_ts_parse(out, n, &v), 0);
        assert_int_equal(v, t);
    }
    const int64_t samples[] = {0, 1, -1, 999, -999, 1000, -1000, WD_NS_PER_SEC - 1,
                               -WD_NS_PER_SEC, 951782400123000000LL, -86400000000001LL};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        size_t n = wd_ts_format(samples[i], out);
        assert_int_equal(wd_ts_parse(out, n, &v), 0);
        assert_int_equal(v, samples[i]);
    }
}

static void test_civil(void **state)
{
    (void)state;
    assert_int_equal(wd_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(wd_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(wd_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(wd_days_from_civil(1, 1, 1), -719162);
    for (int64_t d = -800000; d <= 800000; d += 17) {
        int64_t y;
        unsigned m, dd;
        wd_civil_from_days(d, &y, &m, &dd);
        assert_true(m >= 1 && m <= 12 && dd >= 1 && dd <= 31);
        assert_int_equal(wd_days_from_civil(y, m, dd), d);
    }
    /* extreme inputs do not overflow */
    int64_t y;
    unsigned m, d;
    wd_civil_from_days(INT64_MAX, &y, &m, &d);
    wd_civil_from_days(INT64_MIN, &y, &m, &d);
    (void)wd_days_from_civil(INT64_MAX, 12, 31);
    (void)wd_days_from_civil(INT64_MIN, 0, 99);
}

static void test_date(void **state)
{
    (void)state;
    int32_t d;
    char out[16];
    assert_int_equal(wd_date_parse("2023-10-09", 10, &d), 0);
    assert_int_equal(d, 19639);
    assert_int_equal(wd_date_format(d, out), 10);
    assert_string_equal(out, "2023-10-09");
    assert_int_equal(wd_date_parse("1969-12-31", 10, &d), 0);
    assert_int_equal(d, -1);
    wd_date_format(-1, out);
    assert_string_equal(out, "1969-12-31");
    assert_int_equal(wd_date_parse("0001-01-01", 10, &d), 0);
    assert_int_equal(d, -719162);
    wd_date_format(d, out);
    assert_string_equal(out, "0001-01-01");
    wd_date_format(0, out);
    assert_string_equal(out, "1970-01-01");
    assert_int_equal(wd_date_parse("2023-10-9", 9, &d), -1);
    assert_int_equal(wd_date_parse("2023-10-09T00:00", 16, &d), -1);
    assert_int_equal(wd_date_parse("2023-02-30", 10, &d), -1);
    assert_int_equal(wd_date_parse("", 0, &d), -1);
    assert_int_equal(wd_date_parse(NULL, 0, &d), -1);
    wd_date_format(INT32_MAX, out);
    wd_date_format(INT32_MIN, out);
}

/* ---- intervals --------------------------------------------------------- */

static wd_interval iv(const char *s, const char *unit)
{
    wd_interval v = {0, 0, 0};
    int rc = wd_interval_parse(s, strlen(s), unit, &v);
    if (rc != 0) fprintf(stderr, "cannot parse interval '%s'\n", s);
    assert_int_equal(rc, 0);
    return v;
}

static void iv_is(const char *s, const char *unit, int32_t months, int32_t days, int64_t nanos)
{
    wd_interval v = iv(s, unit);
    if (v.months != months || v.days != days || v.nanos != nanos)
        fprintf(stderr, "'%s': got %d mons %d days %lld ns\n", s, v.months, v.days,
                (long long)v.nanos);
    assert_int_equal(v.months, months);
    assert_int_equal(v.days, days);
    assert_int_equal(v.nanos, nanos);
}

static void iv_bad(const char *s, const char *unit)
{
    wd_interval v = {1, 2, 3};
    if (wd_interval_parse(s, strlen(s), unit, &v) == 0) fprintf(stderr, "accepted bad '%s'\n", s);
    assert_int_equal(wd_interval_parse(s, strlen(s), unit, &v), -1);
}

#define S WD_NS_PER_SEC
#define MS WD_NS_PER_MS

static void test_interval_parse(void **state)
{
    (void)state;
    iv_is("2 seconds", NULL, 0, 0, 2 * S);
    iv_is("1 second", NULL, 0, 0, S);
    iv_is("10s", NULL, 0, 0, 10 * S);
    iv_is("5 s", NULL, 0, 0, 5 * S);
    iv_is("100 ms", NULL, 0, 0, 100 * MS);
    iv_is("100ms", NULL, 0, 0, 100 * MS);
    iv_is("1 hour 30 minutes", NULL, 0, 0, 5400 * S);
    iv_is("1h30m", NULL, 0, 0, 5400 * S);
    iv_is("1.5 seconds", NULL, 0, 0, 1500 * MS);
    iv_is("0.5s", NULL, 0, 0, 500 * MS);
    iv_is(".25 s", NULL, 0, 0, 250 * MS);
    iv_is("3 days", NULL, 0, 3, 0);
    iv_is("1 day", NULL, 0, 1, 0);
    iv_is("1 week", NULL, 0, 7, 0);
    iv_is("2 weeks", NULL, 0, 14, 0);
    iv_is("2 months", NULL, 2, 0, 0);
    iv_is("3 mons", NULL, 3, 0, 0);
    iv_is("1 year", NULL, 12, 0, 0);
    iv_is("1 year 2 mons", NULL, 14, 0, 0);
    iv_is("-2 days", NULL, 0, -2, 0);
    iv_is("00:00:05", NULL, 0, 0, 5 * S);
    iv_is("1 day 02:00:00", NULL, 0, 1, 7200 * S);
    iv_is("-00:00:05", NULL, 0, 0, -5 * S);
    iv_is("00:00:05.5", NULL, 0, 0, 5500 * MS);
    iv_is("01:30", NULL, 0, 0, 5400 * S);
    iv_is("36:00:00", NULL, 0, 0, 36 * 3600 * S);
    iv_is("1 nanosecond", NULL, 0, 0, 1);
    iv_is("7 ns", NULL, 0, 0, 7);
    iv_is("3 microseconds", NULL, 0, 0, 3000);
    iv_is("3us", NULL, 0, 0, 3000);
    iv_is("2 milliseconds", NULL, 0, 0, 2 * MS);
    iv_is("2 sec", NULL, 0, 0, 2 * S);
    iv_is("2 secs", NULL, 0, 0, 2 * S);
    iv_is("2 min", NULL, 0, 0, 120 * S);
    iv_is("2 mins", NULL, 0, 0, 120 * S);
    iv_is("2 minute", NULL, 0, 0, 120 * S);
    iv_is("2 hr", NULL, 0, 0, 7200 * S);
    iv_is("2 hrs", NULL, 0, 0, 7200 * S);
    iv_is("2h", NULL, 0, 0, 7200 * S);
    iv_is("2 hours", NULL, 0, 0, 7200 * S);
    iv_is("2d", NULL, 0, 2, 0);
    iv_is("2w", NULL, 0, 14, 0);
    iv_is("2 mon", NULL, 2, 0, 0);
    iv_is("2 y", NULL, 24, 0, 0);
    iv_is("2 years", NULL, 24, 0, 0);
    iv_is("2 SECONDS", NULL, 0, 0, 2 * S);
    iv_is("1 Hour 1 Minute", NULL, 0, 0, 3660 * S);
    iv_is("  5 seconds  ", NULL, 0, 0, 5 * S);
    iv_is("+5 seconds", NULL, 0, 0, 5 * S);
    iv_is("1 day -1 hour", NULL, 0, 1, -3600 * S);
    iv_is("1.5 days", NULL, 0, 1, 12 * 3600 * S);
    iv_is("1.5 weeks", NULL, 0, 10, 12 * 3600 * S);
    iv_is("1.5 months", NULL, 1, 15, 0);
    iv_is("1.5 years", NULL, 18, 0, 0);
    iv_is("-1.5 seconds", NULL, 0, 0, -1500 * MS);
    iv_is("2 days ago", NULL, 0, -2, 0);
    iv_is("5", NULL, 0, 0, 5 * S); /* a bare number: seconds, as PostgreSQL */

    /* with a unit, as INTERVAL '5' SECOND */
    iv_is("5", "second", 0, 0, 5 * S);
    iv_is("5", "SECOND", 0, 0, 5 * S);
    iv_is("1.5", "minute", 0, 0, 90 * S);
    iv_is("2", "hour", 0, 0, 7200 * S);
    iv_is("3", "day", 0, 3, 0);
    iv_is("-3", "day", 0, -3, 0);
    iv_is("2", "month", 2, 0, 0);
    iv_is("1", "year", 12, 0, 0);
    iv_is("250", "millisecond", 0, 0, 250 * MS);
    iv_is("5", "day to second", 0, 0, 5 * S);
    iv_is("1 day", "second", 0, 1, 0); /* text with its own units */

    iv_bad("", NULL);
    iv_bad("   ", NULL);
    iv_bad("seconds", NULL);
    iv_bad("5 parsecs", NULL);
    iv_bad("5 seconds junk", NULL);
    iv_bad("5 seconds 3", NULL);
    iv_bad("- 5 seconds", NULL);
    iv_bad("5..5 s", NULL);
    iv_bad("00:60:00", NULL);
    iv_bad("00:00:60", NULL);
    iv_bad("00:", NULL);
    iv_bad(":05", NULL);
    iv_bad("1 second,", NULL);
    iv_bad("5", "fortnight");
    iv_bad("99999999999999999999 seconds", NULL);
    iv_bad("3000000000 days", NULL);
    iv_bad("300000000 years", NULL);
    iv_bad("10000000000000 hours", NULL);

    /* n is honoured */
    wd_interval v;
    assert_int_equal(wd_interval_parse("5 secondsXX", 9, NULL, &v), 0);
    assert_int_equal(v.nanos, 5 * S);
    assert_int_equal(wd_interval_parse(NULL, 0, NULL, &v), -1);
}

static void fmt_iv(int32_t months, int32_t days, int64_t nanos, const char *want)
{
    wd_interval v = {months, days, nanos};
    char out[128];
    size_t n = wd_interval_format(v, out, sizeof out);
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
}

static void test_interval_format(void **state)
{
    (void)state;
    fmt_iv(0, 0, 0, "00:00:00");
    fmt_iv(0, 1, 7200 * S, "1 day 02:00:00");
    fmt_iv(3, 0, 0, "3 mons");
    fmt_iv(1, 0, 0, "1 mon");
    fmt_iv(0, 0, 5500 * MS, "00:00:05.5");
    fmt_iv(14, 0, 0, "1 year 2 mons");
    fmt_iv(24, 0, 0, "2 years");
    fmt_iv(0, 2, 0, "2 days");
    fmt_iv(0, -2, 0, "-2 days");
    fmt_iv(0, 0, -5 * S, "-00:00:05");
    fmt_iv(0, 0, 1, "00:00:00.000000001");
    fmt_iv(0, 0, 123 * MS, "00:00:00.123");
    fmt_iv(0, 0, 36 * 3600 * S, "36:00:00");
    fmt_iv(0, 1, -3600 * S, "1 day -01:00:00");
    fmt_iv(13, 1, 1 * S, "1 year 1 mon 1 day 00:00:01");
    fmt_iv(-14, 0, 0, "-1 years -2 mons");
    fmt_iv(INT32_MIN, INT32_MIN, INT64_MIN, "-178956970 years -8 mons -2147483648 days "
                                            "-2562047:47:16.854775808");
    /* truncation: returns the wanted length, NUL-terminated */
    wd_interval v = {0, 1, 7200 * S};
    char small[6];
    assert_int_equal(wd_interval_format(v, small, sizeof small), strlen("1 day 02:00:00"));
    assert_string_equal(small, "1 day");
    assert_int_equal(wd_interval_format(v, NULL, 0), strlen("1 day 02:00:00"));

    /* parse(format(x)) == x */
    const wd_interval samples[] = {{0, 0, 5 * S}, {3, 0, 0}, {14, 3, 7261 * S + 5},
                                   {0, -2, -1},   {0, 0, 0}, {-14, 0, 0}};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        char out[128];
        wd_interval_format(samples[i], out, sizeof out);
        wd_interval back = iv(out, NULL);
        assert_int_equal(back.months, samples[i].months);
        assert_int_equal(back.days, samples[i].days);
        assert_int_equal(back.nanos, samples[i].nanos);
    }
}

static void test_add_interval(void **state)
{
    (void)state;
    char out[40];
    wd_interval m1 = {1, 0, 0};
    wd_ts_format(wd_ts_add_interval(ts("2023-01-31T10:00:00Z"), m1, 1), out);
    assert_string_equal(out, "2023-02-28T10:00:00");
    wd_ts_format(wd_ts_add_interval(ts("2024-01-31T10:00:00Z"), m1, 1), out);
    assert_string_equal(out, "2024-02-29T10:00:00");
    wd_ts_format(wd_ts_add_interval(ts("2024-03-31T00:00:00.5Z"), m1, -1), out);
    assert_string_equal(out, "2024-02-29T00:00:00.500");
    wd_interval y1 = {12, 0, 0};
    wd_ts_format(wd_ts_add_interval(ts("2024-02-29"), y1, 1), out);
    assert_string_equal(out, "2025-02-28T00:00:00");
    wd_interval m14 = {14, 0, 0};
    wd_ts_format(wd_ts_add_interval(ts("2023-11-15"), m14, 1), out);
    assert_string_equal(out, "2025-01-15T00:00:00");
    wd_ts_format(wd_ts_add_interval(ts("2023-01-15"), m14, -1), out);
    assert_string_equal(out, "2021-11-15T00:00:00");
    /* before 1970 */
    wd_ts_format(wd_ts_add_interval(ts("1969-12-31T23:00:00Z"), m1, 1), out);
    assert_string_equal(out, "1970-01-31T23:00:00");
    wd_interval mixed = {1, 1, 3600 * S};
    wd_ts_format(wd_ts_add_interval(ts("2023-01-30T00:00:00Z"), mixed, 1), out);
    assert_string_equal(out, "2023-03-01T01:00:00");
    wd_interval d1 = {0, 1, 0};
    assert_int_equal(wd_ts_add_interval(0, d1, 1), WD_NS_PER_DAY);
    assert_int_equal(wd_ts_add_interval(0, d1, -1), -WD_NS_PER_DAY);
    wd_interval n5 = {0, 0, 5};
    assert_int_equal(wd_ts_add_interval(10, n5, -1), 5);
    /* saturates instead of overflowing */
    wd_interval big = {0, INT32_MAX, INT64_MAX};
    assert_int_equal(wd_ts_add_interval(INT64_MAX, big, 1), INT64_MAX);
    assert_int_equal(wd_ts_add_interval(INT64_MIN, big, -1), INT64_MIN);
    wd_interval minn = {INT32_MIN, INT32_MIN, INT64_MIN};
    (void)wd_ts_add_interval(0, minn, -1);
    (void)wd_ts_add_interval(INT64_MIN, minn, 1);

    /* fixed-length helpers */
    wd_interval f = iv("1 day 1 second", NULL);
    assert_true(wd_interval_is_fixed(f));
    assert_int_equal(wd_interval_ns(f), WD_NS_PER_DAY + S);
    assert_false(wd_interval_is_fixed(m1));
}

static void test_clocks(void **state)
{
    (void)state;
    int64_t a = wd_mono_ns(), b = wd_mono_ns();
    assert_true(b >= a);
    int64_t now = wd_now_ns();
    assert_true(now > ts("2023-01-01"));
    assert_true(now < ts("2200-01-01"));
}


/* Random text over the characters the parsers care about: no crash, no
 * sanitizer report, and whatever parses as a timestamp round-trips. */
static void test_fuzz(void **state)
{
    (void)state;
    static const char alpha[] = "0123456789-:.+ TtZz,smhdwyonecuai:0123456789";
    static const char *const seeds[] = {"2023-10-09T17:13:40.123Z", "1 day 02:00:00.5",
                                        "1 hour 30 minutes", "-1.5 weeks ago", "1h30m10s"};
    uint64_t x = 88172645463325252ULL;
    char buf[64];
    for (int iter = 0; iter < 200000; iter++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t n;
        if (iter & 1) {
            /* mutate a seed */
            const char *sd = seeds[x % 5];
            n = strlen(sd);
            memcpy(buf, sd, n);
            buf[(x >> 8) % n] = alpha[(x >> 16) % (sizeof alpha - 1)];
            if ((x >> 24) & 1) n = (x >> 32) % (n + 1);
        } else {
            n = (x >> 8) % 32;
            for (size_t i = 0; i < n; i++) buf[i] = alpha[(x >> (i % 50)) % (sizeof alpha - 1)];
        }
        int64_t t;
        if (wd_ts_parse(buf, n, &t) == 0) {
            char out[40];
            int64_t back;
            size_t k = wd_ts_format(t, out);
            assert_int_equal(wd_ts_parse(out, k, &back), 0);
            assert_int_equal(back, t);
        }
        wd_interval v;
        if (wd_interval_parse(buf, n, NULL, &v) == 0) {
            char out[128];
            wd_interval_format(v, out, sizeof out);
        }
        int32_t d;
        (void)wd_date_parse(buf, n, &d);
        (void)wd_interval_parse(buf, n, "second", &v);
    }
    /* a very long interval text */
    size_t big = 1 << 20;
    char *long_iv = malloc(big);
    for (size_t i = 0; i + 24 <= big; i += 24) memcpy(long_iv + i, "999999999999999999 hrs  ", 24);
    wd_interval v;
    assert_int_equal(wd_interval_parse(long_iv, big, NULL, &v), -1);
    free(long_iv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ts_parse),       cmocka_unit_test(test_ts_format),
        cmocka_unit_test(test_ts_roundtrip),   cmocka_unit_test(test_civil),
        cmocka_unit_test(test_date),           cmocka_unit_test(test_interval_parse),
        cmocka_unit_test(test_interval_format), cmocka_unit_test(test_add_interval),
        cmocka_unit_test(test_clocks),         cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
