/*
 * options.c — a table's WITH (…) options: lookups, typed getters, and the
 * check of a whole option list against a connector's definitions (unknown
 * keys with "did you mean", missing required ones, values of the wrong
 * kind).
 *
 * Exports: wd_opt_get, wd_opt_int, wd_opt_float, wd_opt_bool,
 * wd_opt_duration_ns, wd_opt_time_ns, wd_options_check.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/suggest.h"
#include "common/timeutil.h"
#include "connectors/connector.h"

/* Options every table accepts, whatever its connector.  A connector that
 * defines one of these names itself overrides the definition here. */
static const wd_opt_def common_opts[] = {
    {"connector", WD_OPT_STRING, NULL, false, NULL, "the connector"},
    {"type", WD_OPT_ENUM, NULL, false, "source|sink", "whether the table is a source or a sink"},
    {"format", WD_OPT_STRING, NULL, false, NULL, "the data format (json, debezium_json, raw_string, …)"},
    {"bad_data", WD_OPT_ENUM, "fail", false, "fail|drop", "what to do with rows that cannot be decoded"},
    {"event_time_field", WD_OPT_STRING, NULL, false, NULL, "the column that holds the event time"},
    {"watermark_field", WD_OPT_STRING, NULL, false, NULL, "the column that holds the watermark"},
    {"idle_micros", WD_OPT_DURATION, NULL, false, NULL, "after how long without data a source is idle"},
    {"json.unstructured", WD_OPT_BOOL, "false", false, NULL, "read each JSON record as one JSON value"},
    {"json.timestamp_format", WD_OPT_ENUM, "rfc3339", false, "rfc3339|unix_seconds|unix_millis|unix_micros|unix_nanos",
     "how timestamps are written in JSON"},
};
#define NCOMMON (sizeof common_opts / sizeof common_opts[0])

/* ---- lookups ----------------------------------------------------------- */

const wd_opt_def *wd_options_common(size_t *n)
{
    *n = NCOMMON;
    return common_opts;
}

static const wd_opt *find_opt(const wd_options *o, const char *key)
{
    if (!o || !key || !o->kv) return NULL;
    for (uint32_t i = 0; i < o->n; i++)
        if (o->kv[i].key && strcmp(o->kv[i].key, key) == 0) return &o->kv[i];
    return NULL;
}

/*
 * The value text of key (the first one when given twice), or NULL when the
 * table does not set it.  wd_options carries no connector, so defaults are
 * the caller's: `v = wd_opt_get(o, k); if (!v) v = default;` — the typed
 * getters below leave *out unchanged for the same purpose.
 */
const char *wd_opt_get(const wd_options *o, const char *key)
{
    const wd_opt *kv = find_opt(o, key);
    if (!kv) return NULL;
    return kv->val ? kv->val : "";
}

/* Trim leading/trailing white space: [*b, *e). */
static void trim(const char *s, const char **b, const char **e)
{
    const char *p = s, *q = s + strlen(s);
    while (p < q && isspace((unsigned char)*p)) p++;
    while (q > p && isspace((unsigned char)q[-1])) q--;
    *b = p;
    *e = q;
}

/* A whole decimal integer (surrounding white space allowed). */
static bool parse_i64(const char *s, int64_t *out)
{
    const char *p, *e;
    trim(s, &p, &e);
    bool neg = false;
    if (p < e && (*p == '+' || *p == '-')) neg = *p++ == '-';
    if (p == e) return false;
    uint64_t v = 0;
    for (; p < e; p++) {
        if (!isdigit((unsigned char)*p)) return false;
        if (v > (UINT64_MAX - 9) / 10) return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX) return false;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* A whole finite decimal number. */
static bool parse_f64(const char *s, double *out)
{
    const char *p, *e;
    trim(s, &p, &e);
    if (p == e) return false;
    size_t n = (size_t)(e - p);
    char tmp[128];
    if (n >= sizeof tmp) return false;
    memcpy(tmp, p, n);
    tmp[n] = 0;
    /* only plain decimal notation: no hex, inf or nan */
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789+-.eE", tmp[i])) return false;
    char *end;
    errno = 0;
    double d = strtod(tmp, &end);
    if (end != tmp + n || errno == ERANGE || !isfinite(d)) return false;
    *out = d;
    return true;
}

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* ---- typed getters ----------------------------------------------------- */

int wd_opt_int(const wd_options *o, const char *key, int64_t *out, wd_error *err)
{
    const wd_opt *kv = find_opt(o, key);
    if (!kv) return 0;
    const char *v = kv->val ? kv->val : "";
    int64_t x;
    if (!parse_i64(v, &x))
        return wd_err_at(err, WD_EOPTION, kv->pos, "option '%s': '%s' is not an integer", key, v);
    *out = x;
    return 0;
}

int wd_opt_float(const wd_options *o, const char *key, double *out, wd_error *err)
{
    const wd_opt *kv = find_opt(o, key);
    if (!kv) return 0;
    const char *v = kv->val ? kv->val : "";
    double x;
    if (!parse_f64(v, &x))
        return wd_err_at(err, WD_EOPTION, kv->pos, "option '%s': '%s' is not a number", key, v);
    *out = x;
    return 0;
}

int wd_opt_bool(const wd_options *o, const char *key, bool *out, wd_error *err)
{
    const wd_opt *kv = find_opt(o, key);
    if (!kv) return 0;
    const char *v = kv->val ? kv->val : "";
    const char *p, *e;
    trim(v, &p, &e);
    size_t n = (size_t)(e - p);
    if (n == 4 && strncasecmp(p, "true", 4) == 0) {
        *out = true;
        return 0;
    }
    if (n == 5 && strncasecmp(p, "false", 5) == 0) {
        *out = false;
        return 0;
    }
    wd_err_at(err, WD_EOPTION, kv->pos, "option '%s': '%s' is not a boolean", key, v);
    wd_err_hint(err, "use 'true' or 'false'");
    return WD_EOPTION;
}

/*
 * An interval text ("5 seconds", "100ms", "1 minute 30 s") of fixed length
 * (no months) and not negative.  A plain integer is accepted only when the
 * key names its unit: microseconds for *_micros, milliseconds for *_ms.
 */
int wd_opt_duration_ns(const wd_options *o, const char *key, int64_t *out, wd_error *err)
{
    const wd_opt *kv = find_opt(o, key);
    if (!kv) return 0;
    const char *v = kv->val ? kv->val : "";
    bool micros = ends_with(key, "_micros"), millis = ends_with(key, "_ms");
    int64_t x;
    double d;
    if (parse_f64(v, &d)) {
        /* a plain number: only with a unit in the key's name */
        if ((micros || millis) && parse_i64(v, &x)) {
            int64_t mult = micros ? WD_NS_PER_US : WD_NS_PER_MS;
            if (x < 0)
                return wd_err_at(err, WD_EOPTION, kv->pos, "option '%s': '%s' must not be negative",
                                 key, v);
            if (__builtin_mul_overflow(x, mult, &x))
                return wd_err_at(err, WD_EOPTION, kv->pos, "option '%s': '%s' is too large", key, v);
            *out = x;
            return 0;
        }
        if (micros || millis) {
            wd_err_at(err, WD_EOPTION, kv->pos, "option '%s': '%s' is not a whole number of %s", key,
                      v, micros ? "microseconds" : "milliseconds");
            return WD_EOPTION;
        }
        wd_err_at(err, WD_EOPTION, kv->pos, "option '%s': '%s' is not a duration (it has no unit)",
                  key, v);
        wd_err_hint(err, "write an interval such as '%s seconds' or '100ms'", v);
        return WD_EOPTION;
    }
    const char *p, *e;
    trim(v, &p, &e);
    wd_interval iv;
    if (wd_interval_parse(p, (size_t)(e - p), NULL, &iv) != 0 || iv.months != 0) {
        wd_err_at(err, WD_EOPTION, kv->pos, "option '%s': '%s' is not a duration", key, v);
        if (micros)
            wd_err_hint(err, "write a number of microseconds or an interval such as '5 seconds'");
        else if (millis)
            wd_err_hint(err, "write a number of milliseconds or an interval such as '5 seconds'");
        else
            wd_err_hint(err, "write an interval such as '5 seconds', '100ms' or '1 minute'");
        return WD_EOPTION;
    }
    __int128 ns = (__int128)iv.days * WD_NS_PER_DAY + iv.nanos;
    if (ns < 0)
        return wd_err_at(err, WD_EOPTION, kv->pos, "option '%s': '%s' must not be negative", key, v);
    if (ns > INT64_MAX)
        return wd_err_at(err, WD_EOPTION, kv->pos, "option '%s': '%s' is too large", key, v);
    *out = (int64_t)ns;
    return 0;
}

/* An RFC 3339 timestamp, or an integer number of milliseconds since the epoch. */
int wd_opt_time_ns(const wd_options *o, const char *key, int64_t *out, wd_error *err)
{
    const wd_opt *kv = find_opt(o, key);
    if (!kv) return 0;
    const char *v = kv->val ? kv->val : "";
    int64_t x;
    if (parse_i64(v, &x)) {
        if (__builtin_mul_overflow(x, WD_NS_PER_MS, &x))
            return wd_err_at(err, WD_EOPTION, kv->pos, "option '%s': '%s' is out of range", key, v);
        *out = x;
        return 0;
    }
    const char *p, *e;
    trim(v, &p, &e);
    if (wd_ts_parse(p, (size_t)(e - p), &x) == 0) {
        *out = x;
        return 0;
    }
    wd_err_at(err, WD_EOPTION, kv->pos, "option '%s': '%s' is not a timestamp", key, v);
    wd_err_hint(err, "write an RFC 3339 timestamp such as '2023-10-09T17:13:40Z' or "
                     "milliseconds since the epoch");
    return WD_EOPTION;
}

/* ---- checking a table's options ---------------------------------------- */

static const wd_opt_def *find_def(const wd_connector *c, const char *key)
{
    if (c && c->opts)
        for (uint32_t i = 0; i < c->nopts; i++)
            if (c->opts[i].name && strcmp(c->opts[i].name, key) == 0) return &c->opts[i];
    for (size_t i = 0; i < NCOMMON; i++)
        if (strcmp(common_opts[i].name, key) == 0) return &common_opts[i];
    return NULL;
}

/* Append "a, b, c" to b, stopping (with ", …") before it passes limit bytes. */
static void list_names(wd_buf *b, const char *const *names, size_t n, size_t limit)
{
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(names[i]);
        if (b->len + k + 8 > limit) {
            wd_buf_puts(b, ", …");
            return;
        }
        if (i) wd_buf_puts(b, ", ");
        wd_buf_puts(b, names[i]);
    }
}

static int unknown_key(const wd_connector *c, const wd_opt *kv, wd_error *err)
{
    size_t nc = (c && c->opts ? c->nopts : 0);
    const char **names = wd_malloc((nc + NCOMMON) * sizeof *names);
    size_t n = 0;
    if (names) {
        for (size_t i = 0; i < nc; i++)
            if (c->opts[i].name) names[n++] = c->opts[i].name;
        for (size_t i = 0; i < NCOMMON; i++) {
            bool dup = false;
            for (size_t j = 0; j < nc; j++)
                if (c->opts[j].name && strcmp(c->opts[j].name, common_opts[i].name) == 0) dup = true;
            if (!dup) names[n++] = common_opts[i].name;
        }
    }
    const char *sugg = names ? wd_suggest(kv->key, names, n) : NULL;
    char tail[200] = "";
    if (sugg) snprintf(tail, sizeof tail, " (did you mean '%s'?)", sugg);
    wd_pos at = kv->key_pos.line ? kv->key_pos : kv->pos; /* point at the unknown key */
    if (c)
        wd_err_at(err, WD_EOPTION, at, "unknown option '%s' for connector '%s'%s", kv->key,
                  c->name ? c->name : "?", tail);
    else
        wd_err_at(err, WD_EOPTION, at, "unknown option '%s'%s", kv->key, tail);
    if (names && err) {
        wd_buf b = WD_BUF_INIT;
        wd_buf_puts(&b, "accepted options: ");
        list_names(&b, names, n, sizeof err->hint - 1);
        wd_err_hint(err, "%s", b.data);
        wd_buf_free(&b);
    }
    wd_free(names);
    return WD_EOPTION;
}

/* Is v one of the '|'-separated choices? */
static bool in_choices(const char *v, const char *choices)
{
    size_t n = strlen(v);
    const char *p = choices;
    while (p && *p) {
        const char *bar = strchr(p, '|');
        size_t k = bar ? (size_t)(bar - p) : strlen(p);
        if (k == n && strncmp(p, v, n) == 0) return true;
        p = bar ? bar + 1 : NULL;
    }
    return false;
}

static int bad_enum(const wd_opt *kv, const char *v, const char *choices, wd_error *err)
{
    /* split the choices for the suggestion and the hint */
    const char *cands[32];
    char buf[512];
    size_t nc = 0;
    snprintf(buf, sizeof buf, "%s", choices);
    for (char *p = buf; *p && nc < 32;) {
        cands[nc++] = p;
        char *bar = strchr(p, '|');
        if (!bar) break;
        *bar = 0;
        p = bar + 1;
    }
    const char *sugg = wd_suggest(v, cands, nc);
    char tail[200] = "";
    if (sugg) snprintf(tail, sizeof tail, " (did you mean '%s'?)", sugg);
    wd_err_at(err, WD_EOPTION, kv->pos, "option '%s': '%s' is not one of the accepted values%s",
              kv->key, v, tail);
    if (err) {
        wd_buf b = WD_BUF_INIT;
        wd_buf_puts(&b, "accepted values: ");
        for (size_t i = 0; i < nc; i++) wd_buf_printf(&b, "%s'%s'", i ? ", " : "", cands[i]);
        wd_err_hint(err, "%s", b.data);
        wd_buf_free(&b);
    }
    return WD_EOPTION;
}

static int check_value(const wd_opt_def *d, const wd_opt *kv, wd_error *err)
{
    const char *v = kv->val ? kv->val : "";
    wd_options one = {1, kv};
    switch (d->kind) {
    case WD_OPT_STRING: return 0;
    case WD_OPT_INT: {
        int64_t x;
        int rc = wd_opt_int(&one, kv->key, &x, err);
        if (rc) return rc;
        if (x < 0)
            return wd_err_at(err, WD_EOPTION, kv->pos, "option '%s': '%s' must not be negative",
                             kv->key, v);
        return 0;
    }
    case WD_OPT_FLOAT: {
        double x;
        return wd_opt_float(&one, kv->key, &x, err);
    }
    case WD_OPT_BOOL: {
        bool x;
        return wd_opt_bool(&one, kv->key, &x, err);
    }
    case WD_OPT_DURATION: {
        int64_t x;
        return wd_opt_duration_ns(&one, kv->key, &x, err);
    }
    case WD_OPT_TIME: {
        int64_t x;
        return wd_opt_time_ns(&one, kv->key, &x, err);
    }
    case WD_OPT_ENUM:
        if (d->choices && !in_choices(v, d->choices)) return bad_enum(kv, v, d->choices, err);
        return 0;
    }
    return 0;
}

/*
 * 0 when every option is known (the connector's own or a common one),
 * given once, of the right kind, and every required option is there;
 * otherwise WD_EOPTION with err naming the first problem, at the option's
 * position, and a hint listing what is accepted.  c may be NULL (only the
 * common options are known then).
 */
int wd_options_check(const wd_connector *c, const wd_options *o, wd_error *err)
{
    uint32_t n = o && o->kv ? o->n : 0;
    for (uint32_t i = 0; i < n; i++) {
        const wd_opt *kv = &o->kv[i];
        if (!kv->key) return wd_err_at(err, WD_EOPTION, kv->pos, "option without a name");
        for (uint32_t j = 0; j < i; j++)
            if (o->kv[j].key && strcmp(o->kv[j].key, kv->key) == 0)
                return wd_err_at(err, WD_EOPTION, kv->pos, "option '%s' is given twice", kv->key);
        const wd_opt_def *d = find_def(c, kv->key);
        if (!d) return unknown_key(c, kv, err);
        int rc = check_value(d, kv, err);
        if (rc) return rc;
    }
    if (c && c->opts) {
        for (uint32_t i = 0; i < c->nopts; i++) {
            const wd_opt_def *d = &c->opts[i];
            if (!d->required || !d->name || find_opt(o, d->name)) continue;
            wd_err(err, WD_EOPTION, "missing required option '%s' for connector '%s'", d->name,
                   c->name ? c->name : "?");
            if (d->doc) wd_err_hint(err, "%s: %s", d->name, d->doc);
            return WD_EOPTION;
        }
    }
    return 0;
}
