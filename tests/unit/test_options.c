/*
 * test_options.c — unit tests for src/connectors/options.c: lookups, the
 * typed getters and the check of a table's WITH options against a
 * connector's definitions (unknown keys with suggestions, required options,
 * values of the wrong kind, common options).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "connectors/connector.h"

static const wd_opt_def test_defs[] = {
    {"event_rate", WD_OPT_INT, "10", false, NULL, "events per second"},
    {"runtime", WD_OPT_DURATION, NULL, false, NULL, "how long to run"},
    {"first_event_rate", WD_OPT_FLOAT, NULL, false, NULL, "initial rate"},
    {"path", WD_OPT_STRING, NULL, true, NULL, "the file to read"},
    {"verbose", WD_OPT_BOOL, "false", false, NULL, "log more"},
    {"start_time", WD_OPT_TIME, NULL, false, NULL, "first event time"},
    {"mode", WD_OPT_ENUM, "append", false, "append|overwrite|ignore", "write mode"},
    {"interval_micros", WD_OPT_DURATION, NULL, false, NULL, "tick"},
    {"timeout_ms", WD_OPT_DURATION, NULL, false, NULL, "timeout"},
    {"type", WD_OPT_ENUM, NULL, false, "source|sink|both", "overrides the common type"},
};

static const wd_connector test_conn = {
    .name = "testconn",
    .doc = "a connector for tests",
    .opts = test_defs,
    .nopts = sizeof test_defs / sizeof test_defs[0],
    .source = true,
    .sink = true,
};

#define OPTS(arr) {sizeof(arr) / sizeof(arr)[0], arr}

static void test_get(void **state)
{
    (void)state;
    wd_opt kv[] = {{"a", "1", {1, 10}, {0, 0}}, {"b", "x", {2, 5}, {0, 0}}, {"a", "2", {3, 1}, {0, 0}}, {"e", NULL, {0, 0}, {0, 0}}};
    wd_options o = OPTS(kv);
    assert_string_equal(wd_opt_get(&o, "a"), "1");
    assert_string_equal(wd_opt_get(&o, "b"), "x");
    assert_string_equal(wd_opt_get(&o, "e"), "");
    assert_null(wd_opt_get(&o, "c"));
    assert_null(wd_opt_get(&o, "A")); /* keys are case-sensitive */
    assert_null(wd_opt_get(NULL, "a"));
    assert_null(wd_opt_get(&o, NULL));
    wd_options empty = {0, NULL};
    assert_null(wd_opt_get(&empty, "a"));
}

static void test_typed(void **state)
{
    (void)state;
    wd_opt kv[] = {
        {"n", "42", {1, 1}, {0, 0}},           {"neg", "-7", {1, 2}, {0, 0}},       {"sp", " 13 ", {1, 3}, {0, 0}},
        {"bad", "10x", {4, 9}, {0, 0}},        {"big", "99999999999999999999", {1, 4}, {0, 0}},
        {"f", "2.5", {1, 5}, {0, 0}},          {"fe", "1e3", {1, 6}, {0, 0}},       {"nan", "nan", {1, 7}, {0, 0}},
        {"t", "true", {1, 8}, {0, 0}},         {"T", "TRUE", {1, 9}, {0, 0}},       {"fa", "False", {1, 10}, {0, 0}},
        {"yes", "yes", {2, 11}, {0, 0}},       {"d", "5 seconds", {1, 12}, {0, 0}}, {"d2", "100ms", {1, 13}, {0, 0}},
        {"d3", "5", {3, 14}, {0, 0}},          {"x_micros", "1500", {1, 15}, {0, 0}}, {"y_ms", "250", {1, 16}, {0, 0}},
        {"dm", "1 month", {1, 17}, {0, 0}},    {"dneg", "-5 s", {1, 18}, {0, 0}},   {"z_micros", "2 seconds", {1, 19}, {0, 0}},
        {"w_micros", "1.5", {1, 20}, {0, 0}},  {"ts", "2023-10-09T17:13:40Z", {1, 21}, {0, 0}},
        {"tms", "1696871620000", {1, 22}, {0, 0}}, {"tbad", "yesterday", {5, 23}, {0, 0}}, {"empty", "", {1, 24}, {0, 0}},
    };
    wd_options o = OPTS(kv);
    wd_error e;
    int64_t i = -1;
    wd_err_clear(&e);
    assert_int_equal(wd_opt_int(&o, "n", &i, &e), 0);
    assert_int_equal(i, 42);
    assert_int_equal(wd_opt_int(&o, "neg", &i, &e), 0);
    assert_int_equal(i, -7);
    assert_int_equal(wd_opt_int(&o, "sp", &i, &e), 0);
    assert_int_equal(i, 13);
    i = 5;
    assert_int_equal(wd_opt_int(&o, "missing", &i, &e), 0);
    assert_int_equal(i, 5); /* unchanged */
    assert_int_equal(wd_opt_int(&o, "bad", &i, &e), WD_EOPTION);
    assert_int_equal(i, 5);
    assert_string_equal(e.msg, "option 'bad': '10x' is not an integer");
    assert_int_equal(e.pos.line, 4);
    assert_int_equal(e.pos.col, 9);
    wd_err_clear(&e);
    assert_int_equal(wd_opt_int(&o, "big", &i, &e), WD_EOPTION);
    assert_int_equal(wd_opt_int(&o, "empty", &i, NULL), WD_EOPTION);

    double f = 0;
    assert_int_equal(wd_opt_float(&o, "f", &f, NULL), 0);
    assert_true(f == 2.5);
    assert_int_equal(wd_opt_float(&o, "fe", &f, NULL), 0);
    assert_true(f == 1000.0);
    assert_int_equal(wd_opt_float(&o, "n", &f, NULL), 0);
    assert_true(f == 42.0);
    wd_err_clear(&e);
    assert_int_equal(wd_opt_float(&o, "nan", &f, &e), WD_EOPTION);
    assert_string_equal(e.msg, "option 'nan': 'nan' is not a number");
    assert_int_equal(wd_opt_float(&o, "bad", &f, NULL), WD_EOPTION);

    bool b = false;
    assert_int_equal(wd_opt_bool(&o, "t", &b, NULL), 0);
    assert_true(b);
    assert_int_equal(wd_opt_bool(&o, "fa", &b, NULL), 0);
    assert_false(b);
    assert_int_equal(wd_opt_bool(&o, "T", &b, NULL), 0);
    assert_true(b);
    wd_err_clear(&e);
    assert_int_equal(wd_opt_bool(&o, "yes", &b, &e), WD_EOPTION);
    assert_string_equal(e.msg, "option 'yes': 'yes' is not a boolean");
    assert_string_equal(e.hint, "use 'true' or 'false'");
    assert_int_equal(e.pos.line, 2);

    int64_t d = 0;
    assert_int_equal(wd_opt_duration_ns(&o, "d", &d, NULL), 0);
    assert_int_equal(d, 5 * WD_NS_PER_SEC);
    assert_int_equal(wd_opt_duration_ns(&o, "d2", &d, NULL), 0);
    assert_int_equal(d, 100 * WD_NS_PER_MS);
    assert_int_equal(wd_opt_duration_ns(&o, "x_micros", &d, NULL), 0);
    assert_int_equal(d, 1500 * WD_NS_PER_US);
    assert_int_equal(wd_opt_duration_ns(&o, "y_ms", &d, NULL), 0);
    assert_int_equal(d, 250 * WD_NS_PER_MS);
    assert_int_equal(wd_opt_duration_ns(&o, "z_micros", &d, NULL), 0);
    assert_int_equal(d, 2 * WD_NS_PER_SEC);
    wd_err_clear(&e);
    assert_int_equal(wd_opt_duration_ns(&o, "d3", &d, &e), WD_EOPTION);
    assert_string_equal(e.msg, "option 'd3': '5' is not a duration (it has no unit)");
    assert_string_equal(e.hint, "write an interval such as '5 seconds' or '100ms'");
    assert_int_equal(e.pos.line, 3);
    wd_err_clear(&e);
    assert_int_equal(wd_opt_duration_ns(&o, "dm", &d, &e), WD_EOPTION);
    assert_string_equal(e.msg, "option 'dm': '1 month' is not a duration");
    wd_err_clear(&e);
    assert_int_equal(wd_opt_duration_ns(&o, "dneg", &d, &e), WD_EOPTION);
    assert_string_equal(e.msg, "option 'dneg': '-5 s' must not be negative");
    wd_err_clear(&e);
    assert_int_equal(wd_opt_duration_ns(&o, "w_micros", &d, &e), WD_EOPTION);
    assert_string_equal(e.msg, "option 'w_micros': '1.5' is not a whole number of microseconds");
    assert_int_equal(wd_opt_duration_ns(&o, "bad", &d, NULL), WD_EOPTION);
    assert_int_equal(d, 2 * WD_NS_PER_SEC); /* unchanged by failures */

    int64_t t = 0;
    assert_int_equal(wd_opt_time_ns(&o, "ts", &t, NULL), 0);
    assert_int_equal(t, 1696871620LL * WD_NS_PER_SEC);
    assert_int_equal(wd_opt_time_ns(&o, "tms", &t, NULL), 0);
    assert_int_equal(t, 1696871620LL * WD_NS_PER_SEC);
    wd_err_clear(&e);
    assert_int_equal(wd_opt_time_ns(&o, "tbad", &t, &e), WD_EOPTION);
    assert_string_equal(e.msg, "option 'tbad': 'yesterday' is not a timestamp");
    assert_int_equal(e.pos.line, 5);
    assert_int_equal(wd_opt_time_ns(&o, "big", &t, NULL), WD_EOPTION);
}

static int check(wd_opt *kv, uint32_t n, wd_error *e)
{
    wd_options o = {n, kv};
    wd_err_clear(e);
    return wd_options_check(&test_conn, &o, e);
}

static void test_check_ok(void **state)
{
    (void)state;
    wd_error e;
    wd_opt kv[] = {
        {"connector", "testconn", {1, 1}, {0, 0}},
        {"path", "/tmp/x", {1, 2}, {0, 0}},
        {"event_rate", "100", {1, 3}, {0, 0}},
        {"runtime", "10 seconds", {1, 4}, {0, 0}},
        {"first_event_rate", "0.5", {1, 5}, {0, 0}},
        {"verbose", "true", {1, 6}, {0, 0}},
        {"start_time", "2023-10-09T17:13:40Z", {1, 7}, {0, 0}},
        {"mode", "overwrite", {1, 8}, {0, 0}},
        {"interval_micros", "1000", {1, 9}, {0, 0}},
        {"timeout_ms", "1 second", {1, 10}, {0, 0}},
        {"type", "both", {1, 11}, {0, 0}}, /* the connector's own definition wins */
        {"format", "json", {1, 12}, {0, 0}},
        {"bad_data", "drop", {1, 13}, {0, 0}},
        {"event_time_field", "ts", {1, 14}, {0, 0}},
        {"watermark_field", "wm", {1, 15}, {0, 0}},
        {"idle_micros", "5000000", {1, 16}, {0, 0}},
        {"json.unstructured", "false", {1, 17}, {0, 0}},
        {"json.timestamp_format", "unix_millis", {1, 18}, {0, 0}},
    };
    assert_int_equal(check(kv, sizeof kv / sizeof kv[0], &e), 0);
    assert_int_equal(e.code, 0);
    /* only the required one */
    assert_int_equal(check(kv + 1, 1, &e), 0);
}

static void test_check_unknown(void **state)
{
    (void)state;
    wd_error e;
    wd_opt kv[] = {{"path", "p", {1, 1}, {0, 0}}, {"evnt_rate", "10", {3, 7}, {0, 0}}};
    assert_int_equal(check(kv, 2, &e), WD_EOPTION);
    assert_string_equal(e.msg, "unknown option 'evnt_rate' for connector 'testconn' "
                               "(did you mean 'event_rate'?)");
    assert_int_equal(e.pos.line, 3);
    assert_int_equal(e.pos.col, 7);
    assert_true(strncmp(e.hint, "accepted options: event_rate, runtime, first_event_rate, path",
                        strlen("accepted options: event_rate, runtime, first_event_rate, path")) == 0);
    assert_non_null(strstr(e.hint, "bad_data"));
    assert_true(strlen(e.hint) < sizeof e.hint - 1 || strstr(e.hint, "…"));

    wd_opt kv2[] = {{"path", "p", {1, 1}, {0, 0}}, {"rate", "10", {2, 2}, {0, 0}}};
    assert_int_equal(check(kv2, 2, &e), WD_EOPTION);
    assert_string_equal(e.msg, "unknown option 'rate' for connector 'testconn'");

    /* common options get suggestions too */
    wd_opt kv3[] = {{"path", "p", {1, 1}, {0, 0}}, {"bad_dat", "drop", {2, 2}, {0, 0}}};
    assert_int_equal(check(kv3, 2, &e), WD_EOPTION);
    assert_string_equal(e.msg, "unknown option 'bad_dat' for connector 'testconn' "
                               "(did you mean 'bad_data'?)");

    /* without a connector only the common options are known */
    wd_opt kv4[] = {{"format", "json", {1, 1}, {0, 0}}, {"path", "p", {1, 2}, {0, 0}}};
    wd_options o4 = {2, kv4};
    wd_err_clear(&e);
    assert_int_equal(wd_options_check(NULL, &o4, &e), WD_EOPTION);
    assert_string_equal(e.msg, "unknown option 'path'");
    wd_options none = {0, NULL};
    assert_int_equal(wd_options_check(NULL, &none, NULL), 0);

    /* duplicates */
    wd_opt kv5[] = {{"path", "p", {1, 1}, {0, 0}}, {"path", "q", {2, 9}, {0, 0}}};
    assert_int_equal(check(kv5, 2, &e), WD_EOPTION);
    assert_string_equal(e.msg, "option 'path' is given twice");
    assert_int_equal(e.pos.line, 2);

    wd_opt kv6[] = {{NULL, "p", {1, 1}, {0, 0}}};
    assert_int_equal(check(kv6, 1, &e), WD_EOPTION);
}

static void test_check_required(void **state)
{
    (void)state;
    wd_error e;
    wd_opt kv[] = {{"event_rate", "5", {1, 1}, {0, 0}}};
    assert_int_equal(check(kv, 1, &e), WD_EOPTION);
    assert_string_equal(e.msg, "missing required option 'path' for connector 'testconn'");
    assert_string_equal(e.hint, "path: the file to read");
    assert_int_equal(check(NULL, 0, &e), WD_EOPTION);
    assert_int_equal(wd_options_check(&test_conn, NULL, NULL), WD_EOPTION);
}

static void test_check_kinds(void **state)
{
    (void)state;
    wd_error e;
    struct {
        const char *key, *val, *msg;
    } cases[] = {
        {"event_rate", "10x", "option 'event_rate': '10x' is not an integer"},
        {"event_rate", "-1", "option 'event_rate': '-1' must not be negative"},
        {"first_event_rate", "fast", "option 'first_event_rate': 'fast' is not a number"},
        {"verbose", "1", "option 'verbose': '1' is not a boolean"},
        {"runtime", "forever", "option 'runtime': 'forever' is not a duration"},
        {"runtime", "10", "option 'runtime': '10' is not a duration (it has no unit)"},
        {"start_time", "2023-13-01", "option 'start_time': '2023-13-01' is not a timestamp"},
        {"mode", "overwrit",
         "option 'mode': 'overwrit' is not one of the accepted values (did you mean 'overwrite'?)"},
        {"mode", "zzz", "option 'mode': 'zzz' is not one of the accepted values"},
        {"bad_data", "skip", "option 'bad_data': 'skip' is not one of the accepted values"},
        {"json.unstructured", "yes", "option 'json.unstructured': 'yes' is not a boolean"},
        {"json.timestamp_format", "iso",
         "option 'json.timestamp_format': 'iso' is not one of the accepted values"},
        {"idle_micros", "5s5", "option 'idle_micros': '5s5' is not a duration"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wd_opt kv[] = {{"path", "p", {1, 1}, {0, 0}}, {cases[i].key, cases[i].val, {7, (int)i + 1}, {0, 0}}};
        assert_int_equal(check(kv, 2, &e), WD_EOPTION);
        if (strcmp(e.msg, cases[i].msg) != 0) fprintf(stderr, "got: %s\n", e.msg);
        assert_string_equal(e.msg, cases[i].msg);
        assert_int_equal(e.pos.line, 7);
        assert_int_equal(e.pos.col, (int)i + 1);
    }
    wd_opt kv[] = {{"path", "p", {1, 1}, {0, 0}}, {"mode", "zzz", {1, 2}, {0, 0}}};
    check(kv, 2, &e);
    assert_string_equal(e.hint, "accepted values: 'append', 'overwrite', 'ignore'");

    /* a connector with an option list but no 'type' gets the common check */
    static const wd_opt_def few[] = {{"x", WD_OPT_STRING, NULL, false, NULL, NULL}};
    wd_connector c2 = {.name = "few", .opts = few, .nopts = 1};
    wd_opt kt[] = {{"type", "sorce", {1, 1}, {0, 0}}};
    wd_options o = {1, kt};
    wd_err_clear(&e);
    assert_int_equal(wd_options_check(&c2, &o, &e), WD_EOPTION);
    assert_string_equal(e.msg,
                        "option 'type': 'sorce' is not one of the accepted values (did you mean "
                        "'source'?)");
    assert_string_equal(e.hint, "accepted values: 'source', 'sink'");

    /* the error reads well through wd_err_format */
    const char *sql = "CREATE TABLE t WITH (\n  connector = 'few',\n  type = 'sorce'\n);";
    wd_opt kt2[] = {{"type", "sorce", {3, 10}, {0, 0}}};
    wd_options o2 = {1, kt2};
    wd_err_clear(&e);
    wd_options_check(&c2, &o2, &e);
    char out[512];
    wd_err_format(&e, NULL, sql, out, sizeof out);
    assert_string_equal(out, "3:10: option 'type': 'sorce' is not one of the accepted values "
                             "(did you mean 'source'?)\n"
                             "    type = 'sorce'\n"
                             "           ^\n"
                             "hint: accepted values: 'source', 'sink'");
}

static void test_check_long_hint(void **state)
{
    (void)state;
    /* many options: the hint is cut with an ellipsis, not overflowed */
    static wd_opt_def many[60];
    static char names[60][32];
    for (int i = 0; i < 60; i++) {
        snprintf(names[i], sizeof names[i], "option_number_%02d", i);
        many[i].name = names[i];
        many[i].kind = WD_OPT_STRING;
    }
    wd_connector c = {.name = "many", .opts = many, .nopts = 60};
    wd_opt kv[] = {{"nothing_like_it", "1", {1, 1}, {0, 0}}};
    wd_options o = {1, kv};
    wd_error e;
    wd_err_clear(&e);
    assert_int_equal(wd_options_check(&c, &o, &e), WD_EOPTION);
    assert_true(strlen(e.hint) < sizeof e.hint);
    assert_non_null(strstr(e.hint, ", …"));
    assert_true(strncmp(e.hint, "accepted options: option_number_00, option_number_01", 50) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get),           cmocka_unit_test(test_typed),
        cmocka_unit_test(test_check_ok),      cmocka_unit_test(test_check_unknown),
        cmocka_unit_test(test_check_required), cmocka_unit_test(test_check_kinds),
        cmocka_unit_test(test_check_long_hint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
