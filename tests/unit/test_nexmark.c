/*
 * test_nexmark.c — the nexmark generator source: determinism, independence
 * from parallelism, the event mix and id formulas, field distributions and
 * shapes, event times and watermarks, bounded runs, pacing, and skipping
 * the columns a query does not read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "batch/batch.h"
#include "common/buf.h"
#include "common/timeutil.h"
#include "connectors/connector.h"
#include "connectors/nexmark.h"
#include "state/snapshot.h"

#define BASE_MS 1672531200000LL /* 2023-01-01T00:00:00Z */
#define BASE_NS (BASE_MS * WD_NS_PER_MS)

/* ---- helpers -------------------------------------------------------------- */

typedef struct src_cfg {
    const char *rate, *count, *runtime, *seed, *paced, *base;
    uint32_t subtask, par, rows;
    const bool *needed;
} src_cfg;

static wd_arena schema_arena;
static const wd_type *schema;

static int setup(void **state)
{
    (void)state;
    wd_arena_init(&schema_arena, 0);
    const wd_type *t = wd_conn_nexmark.fixed_schema(&schema_arena);
    schema = wd_schema_make(&schema_arena, t->nfields, t->fields);
    return schema ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    wd_arena_free(&schema_arena);
    return 0;
}

static wd_options make_opts(const src_cfg *c, wd_opt *kv)
{
    uint32_t n = 0;
    kv[n++] = (wd_opt){"event_rate", c->rate ? c->rate : "1000", {0, 0}, {0, 0}};
    kv[n++] = (wd_opt){"paced", c->paced ? c->paced : "false", {0, 0}, {0, 0}};
    kv[n++] = (wd_opt){"base_time", c->base ? c->base : "1672531200000", {0, 0}, {0, 0}};
    if (c->count) kv[n++] = (wd_opt){"event_count", c->count, {0, 0}, {0, 0}};
    if (c->runtime) kv[n++] = (wd_opt){"runtime", c->runtime, {0, 0}, {0, 0}};
    if (c->seed) kv[n++] = (wd_opt){"seed", c->seed, {0, 0}, {0, 0}};
    return (wd_options){n, kv};
}

static wd_source *open_src(const src_cfg *c)
{
    wd_opt kv[8];
    wd_options o = make_opts(c, kv);
    wd_source_spec spec = {
        .schema = schema,
        .opts = &o,
        .subtask = c->subtask,
        .parallelism = c->par ? c->par : 1,
        .needed = c->needed,
        .batch_rows = c->rows,
        .linger_ns = 0,
    };
    wd_source *s = NULL;
    wd_error err = {0};
    int rc = wd_conn_nexmark.open_source(&spec, &s, &err);
    if (rc) fprintf(stderr, "open: %s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_non_null(s);
    return s;
}

static const wd_col *child(const wd_col *c, int k) { return &c->child[k]; }
static int64_t i64(const wd_col *c, int k, uint32_t r) { return ((const int64_t *)c->child[k].data)[r]; }
static wd_str str(const wd_col *c, int k, uint32_t r) { return ((const wd_str *)c->child[k].data)[r]; }

static void put_str(wd_buf *b, const char *key, wd_str v)
{
    wd_buf_printf(b, ",\"%s\":", key);
    wd_buf_json_str(b, v.ptr, v.len);
}

static void put_ts(wd_buf *b, const char *key, int64_t t)
{
    char tb[40];
    size_t n = wd_ts_format(t, tb);
    wd_buf_printf(b, ",\"%s\":", key);
    wd_buf_json_str(b, tb, n);
}

/* Row r of a nexmark batch in the format of wd_nexmark_event_json. */
static void row_json(const wd_batch *b, uint32_t r, wd_buf *out)
{
    const wd_col *p = &b->cols[0], *a = &b->cols[1], *d = &b->cols[2];
    int nonnull = wd_col_valid(p, r) + wd_col_valid(a, r) + wd_col_valid(d, r);
    assert_int_equal(nonnull, 1);
    if (wd_col_valid(p, r)) {
        wd_buf_printf(out, "{\"person\":{\"id\":%lld", (long long)i64(p, 0, r));
        put_str(out, "name", str(p, 1, r));
        put_str(out, "email_address", str(p, 2, r));
        put_str(out, "credit_card", str(p, 3, r));
        put_str(out, "city", str(p, 4, r));
        put_str(out, "state", str(p, 5, r));
        put_ts(out, "datetime", i64(p, 6, r));
        put_str(out, "extra", str(p, 7, r));
        wd_buf_puts(out, "},\"auction\":null,\"bid\":null}");
    } else if (wd_col_valid(a, r)) {
        wd_buf_printf(out, "{\"person\":null,\"auction\":{\"id\":%lld", (long long)i64(a, 0, r));
        put_str(out, "item_name", str(a, 1, r));
        put_str(out, "description", str(a, 2, r));
        wd_buf_printf(out, ",\"initial_bid\":%lld,\"reserve\":%lld", (long long)i64(a, 3, r),
                      (long long)i64(a, 4, r));
        put_ts(out, "datetime", i64(a, 5, r));
        put_ts(out, "expires", i64(a, 6, r));
        wd_buf_printf(out, ",\"seller\":%lld,\"category\":%lld", (long long)i64(a, 7, r),
                      (long long)i64(a, 8, r));
        put_str(out, "extra", str(a, 9, r));
        wd_buf_puts(out, "},\"bid\":null}");
    } else {
        wd_buf_printf(out,
                      "{\"person\":null,\"auction\":null,\"bid\":{\"auction\":%lld,\"bidder\":%lld,"
                      "\"price\":%lld",
                      (long long)i64(d, 0, r), (long long)i64(d, 1, r), (long long)i64(d, 2, r));
        put_str(out, "channel", str(d, 3, r));
        put_str(out, "url", str(d, 4, r));
        put_ts(out, "datetime", i64(d, 5, r));
        put_str(out, "extra", str(d, 6, r));
        wd_buf_puts(out, "}}");
    }
}

/* Rows of unpaced sources as JSON, indexed by event number n. */
typedef struct events {
    char **json; /* [n] or NULL */
    uint64_t cap, count;
} events;

static uint64_t n_of(int64_t ts, int64_t delay) { return (uint64_t)((ts - BASE_NS) / delay); }

/* Drain one subtask into ev, checking time order, watermarks and n ≡ subtask (mod p). */
static void drain(const src_cfg *c, events *ev, uint64_t cap, int64_t delay)
{
    wd_source *s = open_src(c);
    if (!ev->json) {
        ev->json = calloc(cap, sizeof(char *));
        ev->cap = cap;
    }
    int64_t prev = INT64_MIN;
    for (;;) {
        wd_batch *b = NULL;
        int64_t wait = 0;
        wd_error err = {0};
        int64_t wm = s->vt->watermark(s);
        int rc = s->vt->next(s, &b, &wait, &err);
        if (rc == WD_SRC_END) break;
        assert_int_equal(rc, WD_SRC_BATCH);
        const int64_t *ts = wd_batch_ts(b);
        assert_int_equal(wm, ts[0] - 1);
        for (uint32_t r = 0; r < b->nrows; r++) {
            assert_true(ts[r] > prev); /* time order within a subtask */
            prev = ts[r];
            uint64_t n = n_of(ts[r], delay);
            assert_int_equal((ts[r] - BASE_NS) % delay, 0);
            assert_int_equal(n % (c->par ? c->par : 1), c->subtask);
            assert_true(n < cap);
            assert_null(ev->json[n]);
            wd_buf jb = WD_BUF_INIT;
            row_json(b, r, &jb);
            ev->json[n] = jb.data;
            ev->count++;
        }
        wd_batch_release(b);
    }
    assert_int_equal(s->vt->watermark(s), INT64_MAX);
    s->vt->close(s);
}

static void events_free(events *ev)
{
    for (uint64_t i = 0; i < ev->cap; i++) wd_free(ev->json[i]);
    free(ev->json);
    memset(ev, 0, sizeof *ev);
}

/* Call fn on every row of an unpaced source (rate 1000: n from the time). */
typedef void (*row_fn)(const wd_batch *b, uint32_t r, uint64_t n, void *ctx);
static uint64_t each_row(const src_cfg *c, row_fn fn, void *ctx)
{
    wd_source *s = open_src(c);
    uint64_t rows = 0;
    for (;;) {
        wd_batch *b = NULL;
        int64_t wait = 0;
        wd_error err = {0};
        int rc = s->vt->next(s, &b, &wait, &err);
        if (rc == WD_SRC_END) break;
        assert_int_equal(rc, WD_SRC_BATCH);
        const int64_t *ts = wd_batch_ts(b);
        for (uint32_t r = 0; r < b->nrows; r++) fn(b, r, n_of(ts[r], WD_NS_PER_MS), ctx);
        rows += b->nrows;
        wd_batch_release(b);
    }
    s->vt->close(s);
    return rows;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_schema(void **state)
{
    (void)state;
    wd_arena a;
    wd_arena_init(&a, 0);
    const wd_type *t = wd_conn_nexmark.fixed_schema(&a);
    assert_int_equal(t->nfields, 3);
    assert_string_equal(t->fields[0].name, "person");
    assert_string_equal(t->fields[1].name, "auction");
    assert_string_equal(t->fields[2].name, "bid");
    assert_true(t->fields[0].nullable && t->fields[1].nullable && t->fields[2].nullable);
    assert_int_equal(t->fields[0].type->nfields, 8);
    assert_int_equal(t->fields[1].type->nfields, 10);
    assert_int_equal(t->fields[2].type->nfields, 7);
    assert_int_equal(wd_type_field_index(t->fields[2].type, "price"), 2);
    assert_int_equal(wd_type_field_index(t->fields[1].type, "expires"), 6);
    assert_int_equal(wd_type_field_index(t->fields[0].type, "email_address"), 2);
    char buf[1024];
    wd_type_format(t->fields[2].type, buf, sizeof buf);
    assert_non_null(strstr(buf, "price BIGINT"));
    assert_non_null(strstr(buf, "datetime TIMESTAMP"));
    wd_arena_free(&a);
}

static void test_determinism_and_json(void **state)
{
    (void)state;
    src_cfg c = {.count = "3000", .seed = "7"};
    events a = {0}, b = {0}, other = {0};
    drain(&c, &a, 3000, WD_NS_PER_MS);
    drain(&c, &b, 3000, WD_NS_PER_MS);
    assert_int_equal(a.count, 3000);
    for (uint64_t n = 0; n < 3000; n++) {
        assert_non_null(a.json[n]);
        assert_string_equal(a.json[n], b.json[n]);
        wd_buf j = WD_BUF_INIT;
        assert_int_equal(wd_nexmark_event_json(7, BASE_NS, 1000.0, n, &j), 0);
        assert_string_equal(a.json[n], j.data);
        wd_buf_free(&j);
    }
    /* another seed: same ids and times, other draws */
    src_cfg c2 = {.count = "3000", .seed = "8"};
    drain(&c2, &other, 3000, WD_NS_PER_MS);
    int differ = 0;
    for (uint64_t n = 0; n < 3000; n++) differ += strcmp(a.json[n], other.json[n]) != 0;
    assert_true(differ > 2900);
    events_free(&a);
    events_free(&b);
    events_free(&other);
}

static void test_parallelism_independent(void **state)
{
    (void)state;
    const uint64_t N = 5003;
    events one = {0}, many = {0};
    src_cfg c = {.count = "5003", .rows = 100};
    drain(&c, &one, N, WD_NS_PER_MS);
    assert_int_equal(one.count, N);
    for (uint32_t par = 2; par <= 53; par += 51) {
        for (uint32_t i = 0; i < par; i++) {
            src_cfg ci = {.count = "5003", .subtask = i, .par = par, .rows = 64};
            drain(&ci, &many, N, WD_NS_PER_MS);
        }
        assert_int_equal(many.count, N);
        for (uint64_t n = 0; n < N; n++) assert_string_equal(one.json[n], many.json[n]);
        events_free(&many);
    }
    events_free(&one);
}

typedef struct mix_ctx {
    uint64_t persons, auctions, bids, rows;
    uint64_t price_lo, price_mid, price_hi;
    uint64_t hot_channel, cached_with_id, cached;
    uint64_t hot_bidder, hot_auction;
} mix_ctx;

static bool is_lower(wd_str s)
{
    for (uint32_t i = 0; i < s.len; i++)
        if (s.ptr[i] < 'a' || s.ptr[i] > 'z') return false;
    return true;
}

/* https://www.nexmark.com/<a>/<b>/<c>/item.htm?query=1[&channel_id=<digits>] */
static bool url_ok(wd_str u, bool *has_id)
{
    const char *p = u.ptr, *e = u.ptr + u.len;
    const char *pre = "https://www.nexmark.com/";
    if (u.len < strlen(pre) || memcmp(p, pre, strlen(pre)) != 0) return false;
    p += strlen(pre);
    for (int part = 0; part < 3; part++) {
        const char *q = p;
        while (q < e && ((*q >= 'a' && *q <= 'z') || *q == '_')) q++;
        if (q - p < 3 || q - p > 4 || q == e || *q != '/') return false;
        p = q + 1;
    }
    const char *item = "item.htm?query=1";
    if ((size_t)(e - p) < strlen(item) || memcmp(p, item, strlen(item)) != 0) return false;
    p += strlen(item);
    *has_id = p < e;
    if (p == e) return true;
    const char *cid = "&channel_id=";
    if ((size_t)(e - p) <= strlen(cid) || memcmp(p, cid, strlen(cid)) != 0) return false;
    for (p += strlen(cid); p < e; p++)
        if (*p < '0' || *p > '9') return false;
    return true;
}

static void check_row(const wd_batch *b, uint32_t r, uint64_t n, void *vctx)
{
    mix_ctx *m = vctx;
    const wd_col *p = &b->cols[0], *a = &b->cols[1], *d = &b->cols[2];
    int64_t t = wd_batch_ts(b)[r];
    int64_t max_person = (int64_t)(n / 50) + 1000; /* the newest person so far */
    m->rows++;
    assert_int_equal(t, BASE_NS + (int64_t)n * WD_NS_PER_MS);
    assert_int_equal(t, wd_nexmark_event_time(BASE_NS, 1000.0, n));
    if (n % 50 == 0) {
        m->persons++;
        assert_true(wd_col_valid(p, r) && !wd_col_valid(a, r) && !wd_col_valid(d, r));
        assert_int_equal(i64(p, 0, r), max_person);
        assert_int_equal(i64(p, 6, r), t);
        wd_str name = str(p, 1, r), email = str(p, 2, r), card = str(p, 3, r);
        assert_non_null(memchr(name.ptr, ' ', name.len));
        const char *at = memchr(email.ptr, '@', email.len);
        assert_non_null(at);
        assert_true(at - email.ptr >= 3 && at - email.ptr <= 6);
        assert_true(email.len > 4 && memcmp(email.ptr + email.len - 4, ".com", 4) == 0);
        assert_int_equal(card.len, 19);
        for (int i = 0; i < 19; i++)
            assert_true(i % 5 == 4 ? card.ptr[i] == ' ' : (card.ptr[i] >= '0' && card.ptr[i] <= '9'));
        wd_str st = str(p, 5, r);
        assert_int_equal(st.len, 2);
        char stz[3] = {st.ptr[0], st.ptr[1], 0};
        assert_non_null(strstr("AZ CA ID OR WA WY", stz));
        assert_true(str(p, 4, r).len > 0);
        wd_str ex = str(p, 7, r);
        assert_true(ex.len >= 100 && ex.len <= 200);
        assert_true(is_lower(ex));
    } else if (n % 50 < 4) {
        m->auctions++;
        assert_true(!wd_col_valid(p, r) && wd_col_valid(a, r) && !wd_col_valid(d, r));
        assert_int_equal(i64(a, 0, r), (int64_t)((n / 50) * 3 + (n % 50 - 1) + 1000));
        wd_str item = str(a, 1, r), desc = str(a, 2, r);
        assert_true(item.len >= 1 && item.len < 20);
        assert_true(item.ptr[0] != ' ' && item.ptr[item.len - 1] != ' ');
        assert_true(desc.len >= 1 && desc.len < 100);
        int64_t init = i64(a, 3, r), res = i64(a, 4, r);
        assert_true(init >= 100 && init < 100000000 && res > init);
        assert_int_equal(i64(a, 5, r), t);
        int64_t horizon2 = 2 * 1666 * WD_NS_PER_MS;
        assert_true(i64(a, 6, r) > t && i64(a, 6, r) <= t + horizon2);
        int64_t seller = i64(a, 7, r);
        assert_true(seller >= 1000 && seller <= max_person);
        assert_true(i64(a, 8, r) >= 10 && i64(a, 8, r) <= 14);
        assert_true(is_lower(str(a, 9, r)) && str(a, 9, r).len > 250);
    } else {
        m->bids++;
        assert_true(!wd_col_valid(p, r) && !wd_col_valid(a, r) && wd_col_valid(d, r));
        int64_t auction = i64(d, 0, r), bidder = i64(d, 1, r), price = i64(d, 2, r);
        int64_t last_auction = (int64_t)(n / 50) * 3 + 2 + 1000;
        int64_t hot_auction = (last_auction - 1000) / 100 * 100 + 1000;
        assert_true(auction >= 1000 && auction <= last_auction + 10);
        assert_true(auction >= last_auction - 100 || auction == hot_auction);
        m->hot_auction += auction == hot_auction;
        assert_true(bidder >= 1000 && bidder <= max_person); /* bidders join people */
        m->hot_bidder += bidder == (max_person - 1000) / 100 * 100 + 1001;
        assert_true(price >= 100 && price < 100000000);
        if (price < 10000)
            m->price_lo++;
        else if (price < 1000000)
            m->price_mid++;
        else
            m->price_hi++;
        wd_str ch = str(d, 3, r), url = str(d, 4, r);
        bool has_id = false;
        assert_true(url_ok(url, &has_id));
        if (ch.len >= 8 && memcmp(ch.ptr, "channel-", 8) == 0) {
            m->cached++;
            m->cached_with_id += has_id;
        } else {
            m->hot_channel++;
            assert_false(has_id);
            char tmp[16] = {0};
            assert_true(ch.len < sizeof tmp);
            memcpy(tmp, ch.ptr, ch.len);
            assert_true(!strcmp(tmp, "Google") || !strcmp(tmp, "Facebook") ||
                        !strcmp(tmp, "Baidu") || !strcmp(tmp, "Apple"));
        }
        assert_int_equal(i64(d, 5, r), t);
        wd_str ex = str(d, 6, r);
        assert_true(ex.len >= 54 && ex.len <= 81);
        assert_true(is_lower(ex));
    }
}

static void test_mix_ids_fields(void **state)
{
    (void)state;
    mix_ctx m = {0};
    src_cfg c = {.count = "200000", .seed = "3"};
    assert_int_equal(each_row(&c, check_row, &m), 200000);
    /* exactly 1 : 3 : 46 per 50 */
    assert_int_equal(m.persons, 4000);
    assert_int_equal(m.auctions, 12000);
    assert_int_equal(m.bids, 184000);
    /* price: a third in each of <1e4, <1e6, ≥1e6 */
    double b = (double)m.bids;
    assert_true(m.price_lo / b > 0.31 && m.price_lo / b < 0.36);
    assert_true(m.price_mid / b > 0.31 && m.price_mid / b < 0.36);
    assert_true(m.price_hi / b > 0.31 && m.price_hi / b < 0.36);
    /* half hot channels, 90 % of cached urls with channel_id */
    assert_true(m.hot_channel / b > 0.48 && m.hot_channel / b < 0.52);
    double w = (double)m.cached_with_id / (double)m.cached;
    assert_true(w > 0.87 && w < 0.93);
    /* hot bidders 3/4, hot auctions 1/2 (plus a few uniform hits) */
    assert_true(m.hot_bidder / b > 0.72 && m.hot_bidder / b < 0.78);
    assert_true(m.hot_auction / b > 0.49 && m.hot_auction / b < 0.53);
}

static void test_event_count_and_runtime(void **state)
{
    (void)state;
    /* event_count is a total over subtasks */
    uint64_t total = 0;
    for (uint32_t i = 0; i < 3; i++) {
        src_cfg c = {.count = "1234", .subtask = i, .par = 3, .rows = 100};
        events ev = {0};
        drain(&c, &ev, 1234, WD_NS_PER_MS);
        total += ev.count;
        events_free(&ev);
    }
    assert_int_equal(total, 1234);
    /* runtime: the events with time < base + runtime */
    src_cfg c = {.rate = "1000", .runtime = "0.5"};
    events ev = {0};
    drain(&c, &ev, 1000, WD_NS_PER_MS);
    assert_int_equal(ev.count, 500);
    events_free(&ev);
    /* both: the smaller wins */
    src_cfg c2 = {.rate = "1000", .runtime = "0.5", .count = "100"};
    drain(&c2, &ev, 1000, WD_NS_PER_MS);
    assert_int_equal(ev.count, 100);
    events_free(&ev);
    /* event_count = 0 ends at once */
    src_cfg c3 = {.count = "0"};
    wd_source *s = open_src(&c3);
    wd_batch *b = NULL;
    int64_t wait = 0;
    assert_int_equal(s->vt->next(s, &b, &wait, NULL), WD_SRC_END);
    s->vt->close(s);
}

static void test_batch_rows_and_watermark(void **state)
{
    (void)state;
    /* 10 events/s: 100 ms apart; subtask 1 of 2 has n = 1, 3, 5, … */
    src_cfg c = {.count = "1000", .rows = 300, .subtask = 1, .par = 2, .rate = "10"};
    wd_source *s = open_src(&c);
    assert_int_equal(s->vt->watermark(s), BASE_NS + 100 * WD_NS_PER_MS - 1);
    uint32_t sizes[8], nb = 0;
    for (;;) {
        wd_batch *b = NULL;
        int64_t wait = 0;
        int rc = s->vt->next(s, &b, &wait, NULL);
        if (rc == WD_SRC_END) break;
        assert_int_equal(rc, WD_SRC_BATCH);
        sizes[nb++] = b->nrows;
        const int64_t *ts = wd_batch_ts(b);
        int64_t last = ts[b->nrows - 1];
        if (nb < 2) assert_int_equal(s->vt->watermark(s), last + 200 * WD_NS_PER_MS - 1);
        wd_batch_release(b);
    }
    assert_int_equal(nb, 2);
    assert_int_equal(sizes[0], 300);
    assert_int_equal(sizes[1], 200);
    assert_int_equal(s->vt->watermark(s), INT64_MAX);
    s->vt->close(s);
}

static void test_needed_skips_columns(void **state)
{
    (void)state;
    bool needed[4] = {false, false, true, false};
    src_cfg all = {.count = "2000", .seed = "5"};
    src_cfg bid = {.count = "2000", .seed = "5", .needed = needed};
    wd_source *sa = open_src(&all), *sb = open_src(&bid);
    uint64_t rows = 0;
    for (;;) {
        wd_batch *ba = NULL, *bb = NULL;
        int64_t wait = 0;
        int ra = sa->vt->next(sa, &ba, &wait, NULL), rb = sb->vt->next(sb, &bb, &wait, NULL);
        assert_int_equal(ra, rb);
        if (ra == WD_SRC_END) break;
        assert_int_equal(ba->nrows, bb->nrows);
        for (uint32_t r = 0; r < bb->nrows; r++) {
            const wd_col *p = &bb->cols[0], *a = &bb->cols[1], *d = &bb->cols[2];
            assert_false(wd_col_valid(p, r));
            assert_false(wd_col_valid(a, r));
            assert_int_equal(p->len, bb->nrows);
            assert_int_equal(child(p, 1)->len, bb->nrows);
            /* unread columns still hold readable, empty views */
            assert_int_equal(str(p, 1, r).len, 0);
            assert_int_equal(str(a, 9, r).len, 0);
            assert_int_equal(i64(a, 0, r), 0);
            assert_int_equal(wd_col_valid(d, r), wd_col_valid(&ba->cols[2], r));
            if (wd_col_valid(d, r)) {
                for (int k = 0; k < 7; k++) {
                    if (k == 3 || k == 4 || k == 6) {
                        wd_str x = str(d, k, r), y = str(&ba->cols[2], k, r);
                        assert_int_equal(x.len, y.len);
                        assert_memory_equal(x.ptr, y.ptr, x.len);
                    } else {
                        assert_int_equal(i64(d, k, r), i64(&ba->cols[2], k, r));
                    }
                }
            } else {
                /* a null bid row has empty views, never garbage pointers */
                assert_int_equal(str(d, 3, r).len, 0);
                assert_non_null(str(d, 3, r).ptr);
                assert_int_equal(str(d, 6, r).len, 0);
            }
            assert_int_equal(wd_batch_ts(ba)[r], wd_batch_ts(bb)[r]);
            rows++;
        }
        /* a gathered copy of the batch (what a filter does) is readable */
        uint32_t idx[3] = {0, bb->nrows / 2, bb->nrows - 1};
        wd_batch *g = wd_batch_gather(bb, idx, 3);
        assert_non_null(g);
        assert_false(wd_col_valid(&g->cols[0], 1));
        wd_batch_release(g);
        wd_batch_release(ba);
        wd_batch_release(bb);
    }
    assert_int_equal(rows, 2000);
    sa->vt->close(sa);
    sb->vt->close(sb);
}

static void test_paced(void **state)
{
    (void)state;
    /* 2000 events/s, 300 events: about 150 ms of wall clock */
    src_cfg c = {.rate = "2000", .count = "300", .paced = "true", .rows = 1024};
    int64_t t0 = wd_mono_ns();
    wd_source *s = open_src(&c);
    uint64_t rows = 0, idles = 0, batches = 0;
    for (;;) {
        wd_batch *b = NULL;
        int64_t wait = -1;
        int rc = s->vt->next(s, &b, &wait, NULL);
        if (rc == WD_SRC_END) break;
        if (rc == WD_SRC_IDLE) {
            assert_true(wait > 0 && wait <= 100 * WD_NS_PER_MS);
            struct timespec ts = {0, (long)wait};
            nanosleep(&ts, NULL);
            idles++;
            continue;
        }
        assert_int_equal(rc, WD_SRC_BATCH);
        /* nothing is emitted ahead of its schedule */
        int64_t el = wd_mono_ns() - t0;
        const int64_t *tsv = wd_batch_ts(b);
        assert_true(tsv[b->nrows - 1] - BASE_NS <= el);
        rows += b->nrows;
        batches++;
        wd_batch_release(b);
    }
    int64_t el = wd_mono_ns() - t0;
    assert_int_equal(rows, 300);
    assert_true(idles > 0);
    assert_true(batches >= 2); /* linger (50 ms) splits 150 ms into several batches */
    assert_true(el >= 140 * WD_NS_PER_MS);
    assert_true(el < 2000 * WD_NS_PER_MS);
    s->vt->close(s);
}

static void test_options(void **state)
{
    (void)state;
    wd_error err = {0};
    wd_opt bad_rate[] = {{"event_rate", "0", {0, 0}, {0, 0}}};
    wd_options o = {1, bad_rate};
    assert_int_equal(wd_conn_nexmark.validate(&o, true, &err), WD_EOPTION);
    wd_err_clear(&err);
    wd_opt bad_num[] = {{"event_rate", "10x", {0, 0}, {0, 0}}};
    o = (wd_options){1, bad_num};
    assert_int_equal(wd_conn_nexmark.validate(&o, true, &err), WD_EOPTION);
    wd_err_clear(&err);
    wd_opt bad_time[] = {{"base_time", "yesterday", {0, 0}, {0, 0}}};
    o = (wd_options){1, bad_time};
    assert_int_equal(wd_conn_nexmark.validate(&o, true, &err), WD_EOPTION);
    wd_err_clear(&err);
    wd_opt ok[] = {{"event_rate", "100", {0, 0}, {0, 0}},
                   {"runtime", "2.5", {0, 0}, {0, 0}},
                   {"event_count", "10", {0, 0}, {0, 0}},
                   {"seed", "42", {0, 0}, {0, 0}},
                   {"base_time", "2023-10-09T17:13:40Z", {0, 0}, {0, 0}},
                   {"paced", "false", {0, 0}, {0, 0}}};
    o = (wd_options){6, ok};
    assert_int_equal(wd_conn_nexmark.validate(&o, true, &err), 0);
    assert_int_equal(wd_options_check(&wd_conn_nexmark, &o, &err), 0);
    wd_opt unknown[] = {{"rate", "100", {0, 0}, {0, 0}}};
    o = (wd_options){1, unknown};
    assert_int_equal(wd_options_check(&wd_conn_nexmark, &o, &err), WD_EOPTION);
    wd_err_clear(&err);
    /* an RFC 3339 base_time pins event 0 */
    src_cfg c = {.count = "1", .base = "2023-01-01T00:00:00Z"};
    wd_source *s = open_src(&c);
    assert_int_equal(s->vt->watermark(s), BASE_NS - 1);
    s->vt->close(s);
}

static void test_default_base_shared(void **state)
{
    (void)state;
    /* without base_time, the subtasks of one table share the base */
    wd_opt kv[] = {{"event_rate", "1000", {0, 0}, {0, 0}}, {"paced", "false", {0, 0}, {0, 0}}};
    wd_options o = {2, kv};
    wd_source *s[3];
    int64_t before = wd_now_ns();
    for (uint32_t i = 0; i < 3; i++) {
        wd_source_spec spec = {.schema = schema, .opts = &o, .subtask = i, .parallelism = 3};
        assert_int_equal(wd_conn_nexmark.open_source(&spec, &s[i], NULL), 0);
    }
    int64_t w0 = s[0]->vt->watermark(s[0]) + 1;
    assert_true(w0 >= before - WD_NS_PER_MS && w0 <= wd_now_ns());
    assert_int_equal(s[1]->vt->watermark(s[1]) + 1, w0 + 1 * WD_NS_PER_MS);
    assert_int_equal(s[2]->vt->watermark(s[2]) + 1, w0 + 2 * WD_NS_PER_MS);
    for (int i = 0; i < 3; i++) s[i]->vt->close(s[i]);
}

static void test_event_time_fractional_rate(void **state)
{
    (void)state;
    /* 3 events/s: times within 1 ns of n * 333333333.3 ns, non-decreasing */
    int64_t prev = INT64_MIN;
    for (uint64_t n = 0; n < 100000; n += 7) {
        int64_t t = wd_nexmark_event_time(0, 3.0, n);
        assert_true(t >= prev);
        assert_true(llabs(t - (int64_t)((double)n * 1e9 / 3.0)) <= 1);
        prev = t;
    }
    wd_buf j = WD_BUF_INIT;
    assert_int_equal(wd_nexmark_event_json(0, 0, 0.0, 0, &j), WD_EINVALID);
    wd_buf_free(&j);
}

/* ---- checkpoints ------------------------------------------------------------ */

#define CK_EVENTS 5000

/* Take up to nb batches from s (all when nb < 0), marking each event (by its
 * time: rate 1000/s) in seen[]; every event is after the watermark the
 * source reported before it. */
static void drain_marking(wd_source *s, int nb, uint8_t *seen)
{
    for (int k = 0; nb < 0 || k < nb; k++) {
        int64_t wm = s->vt->watermark(s);
        wd_batch *b = NULL;
        int64_t wait = 0;
        wd_error err = {0};
        int r = s->vt->next(s, &b, &wait, &err);
        if (r == WD_SRC_END) break;
        assert_int_equal(r, WD_SRC_BATCH);
        const int64_t *ts = b->cols[3].data; /* person, auction, bid, _timestamp */
        for (uint32_t i = 0; i < b->nrows; i++) {
            assert_true(ts[i] > wm);
            int64_t n = (ts[i] - BASE_NS) / WD_NS_PER_MS;
            assert_true(n >= 0 && n < CK_EVENTS);
            seen[n]++;
        }
        wd_batch_release(b);
    }
}

/* Snapshot p sources, restore q from them; the old ones are closed. */
static void rescale(wd_source **old, uint32_t p, wd_source **neu, uint32_t q, uint64_t epoch)
{
    wd_snap_out w[8];
    wd_error err = {0};
    for (uint32_t i = 0; i < p; i++) {
        wd_snap_out_init(&w[i], epoch, i, p);
        assert_int_equal(old[i]->vt->snapshot(old[i], &w[i], &err), 0);
        old[i]->vt->close(old[i]);
    }
    for (uint32_t j = 0; j < q; j++) {
        src_cfg c = {.count = "5000", .subtask = j, .par = q, .rows = 64,
                     .base = "2000000000000"}; /* restore must use the recorded base */
        neu[j] = open_src(&c);
        wd_snap_in r;
        wd_snap_in_init(&r, epoch, j, q, p);
        for (uint32_t i = 0; i < p; i++) assert_int_equal(wd_snap_in_add_out(&r, &w[i]), 0);
        assert_int_equal(neu[j]->vt->restore(neu[j], &r, &err), 0);
        wd_snap_in_free(&r);
    }
    for (uint32_t i = 0; i < p; i++) wd_snap_out_free(&w[i]);
}

/* 2 subtasks → snapshot → 3 → snapshot → 2 (and 1): every event exactly once,
 * with the times of an uninterrupted run, never behind a watermark. */
static void test_checkpoint_rescale(void **state)
{
    (void)state;
    for (uint32_t mid = 1; mid <= 3; mid++) {
        uint8_t *seen = calloc(CK_EVENTS, 1);
        wd_source *a[2], *b[3], *c[2];
        for (uint32_t i = 0; i < 2; i++) {
            src_cfg cfg = {.count = "5000", .subtask = i, .par = 2, .rows = 64};
            a[i] = open_src(&cfg);
            drain_marking(a[i], 5 + 3 * (int)i, seen); /* uneven progress */
        }
        rescale(a, 2, b, mid, 1);
        for (uint32_t j = 0; j < mid; j++) drain_marking(b[j], 4 + (int)j, seen);
        rescale(b, mid, c, 2, 2);
        for (uint32_t j = 0; j < 2; j++) {
            drain_marking(c[j], -1, seen);
            c[j]->vt->close(c[j]);
        }
        for (uint32_t n = 0; n < CK_EVENTS; n++) {
            if (seen[n] != 1) fprintf(stderr, "mid %u: event %u seen %u times\n", mid, n, seen[n]);
            assert_int_equal(seen[n], 1);
        }
        free(seen);
    }
}

/* A record that does not decode is refused, not trusted. */
static void test_checkpoint_corrupt(void **state)
{
    (void)state;
    src_cfg cfg = {.count = "5000", .rows = 64};
    wd_source *s = open_src(&cfg);
    wd_snap_out w;
    wd_error err = {0};
    wd_snap_out_init(&w, 1, 0, 1);
    assert_int_equal(wd_snap_table_begin(&w, "nexmark", WD_SNAP_GLOBAL, &err), 0);
    uint32_t junk[3] = {1, 7, 99};
    wd_snap_put(&w, 0, junk, sizeof junk);
    wd_snap_in r;
    wd_snap_in_init(&r, 1, 0, 1, 1);
    assert_int_equal(wd_snap_in_add_out(&r, &w), 0);
    assert_int_equal(s->vt->restore(s, &r, &err), WD_ECORRUPT);
    wd_snap_in_free(&r);
    wd_snap_out_free(&w);
    s->vt->close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema),
        cmocka_unit_test(test_determinism_and_json),
        cmocka_unit_test(test_parallelism_independent),
        cmocka_unit_test(test_mix_ids_fields),
        cmocka_unit_test(test_event_count_and_runtime),
        cmocka_unit_test(test_batch_rows_and_watermark),
        cmocka_unit_test(test_needed_skips_columns),
        cmocka_unit_test(test_paced),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_default_base_shared),
        cmocka_unit_test(test_event_time_fractional_rate),
        cmocka_unit_test(test_checkpoint_rescale),
        cmocka_unit_test(test_checkpoint_corrupt),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
