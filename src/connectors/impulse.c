/*
 * impulse.c — the `impulse` source: a counter per subtask at a steady rate,
 * as Arroyo's impulse connector.
 *
 * Exports wd_conn_impulse.
 *
 * Columns: counter BIGINT UNSIGNED (0, 1, 2, … per subtask) and
 * subtask_index BIGINT UNSIGNED.  Options:
 *   event_rate           messages per second over all subtasks (required);
 *                        each of p subtasks emits event_rate / p per second.
 *   event_time_interval  when set, message k of a subtask has event time
 *                        base_time + k * interval (deterministic); an integer
 *                        is microseconds (as Arroyo), else an interval text
 *                        ('1 second', '100ms').  When absent, event time is
 *                        the wall-clock time the message is scheduled for:
 *                        open time + k * p / event_rate.
 *   message_count        messages per subtask, then the source ends (as
 *                        Arroyo); unbounded when absent.
 *   base_time            event time of message 0 with event_time_interval
 *                        (RFC 3339 or epoch millis); default: wall clock at
 *                        open.
 * The source paces itself to event_rate in wall-clock time; the watermark
 * it reports is exact (the next message's time - 1 ns).
 *
 * Checkpoints: each subtask's message stream is recorded — its index, next
 * counter, end, pace and time base.  A restore at the same parallelism
 * continues each stream in its own subtask; at another one, new subtask j
 * continues the old streams with index ≡ j (mod the new parallelism), so
 * the messages are those of the uninterrupted run, each produced once,
 * with the same counters, subtask_index values and event times.  (Arroyo
 * instead starts new subtasks' counters at 0 and drops removed ones.)
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/timeutil.h"
#include "connectors/connector.h"
#include "state/snapshot.h"

#define IMP_FP 20 /* fraction bits of the fixed-point delay */
#define IMP_DEFAULT_LINGER_NS (50 * WD_NS_PER_MS)
#define IMP_MAX_ROWS 65536u
#define IMP_DELAY_MAX 9000000000000000000ULL /* the longest delay, ns << IMP_FP */

static const wd_field imp_fields[2] = {
    {"counter", &wd_type_uint64_, false},
    {"subtask_index", &wd_type_uint64_, false},
};
static const wd_type imp_table_t = {.id = WD_T_STRUCT, .nfields = 2, .fields = imp_fields};

static const wd_type *imp_fixed_schema(wd_arena *a)
{
    (void)a;
    return &imp_table_t;
}

/* ---- options -------------------------------------------------------------- */

typedef struct imp_cfg {
    double rate;
    int64_t interval; /* ns; < 0: wall-clock event time */
    int64_t count;    /* per subtask; < 0: unbounded */
    int64_t base;
    bool has_base;
} imp_cfg;

static const wd_options imp_no_opts = {0, NULL};

/* event_time_interval: an integer of microseconds, or a fixed interval text. */
static int imp_parse_interval(const wd_options *o, int64_t *out, wd_error *err)
{
    const char *v = wd_opt_get(o, "event_time_interval");
    if (!v) return 0;
    while (*v == ' ') v++;
    size_t n = strlen(v);
    while (n && v[n - 1] == ' ') n--;
    char *end;
    long long us = n ? strtoll(v, &end, 10) : 0;
    if (n && end == v + n) {
        if (us < 0 || us > INT64_MAX / WD_NS_PER_US)
            return wd_err(err, WD_EOPTION, "option 'event_time_interval': '%s' is out of range", v);
        *out = us * WD_NS_PER_US;
        return 0;
    }
    wd_interval iv;
    if (wd_interval_parse(v, n, NULL, &iv) != 0 || iv.months != 0) {
        wd_err(err, WD_EOPTION, "option 'event_time_interval': '%s' is not a duration", v);
        wd_err_hint(err, "write microseconds ('1000000') or an interval such as '1 second'");
        return WD_EOPTION;
    }
    __int128 ns = (__int128)iv.days * WD_NS_PER_DAY + iv.nanos;
    if (ns < 0 || ns > INT64_MAX)
        return wd_err(err, WD_EOPTION, "option 'event_time_interval': '%s' is out of range", v);
    *out = (int64_t)ns;
    return 0;
}

static int imp_parse(const wd_options *o, imp_cfg *c, wd_error *err)
{
    int rc;
    if (!o) o = &imp_no_opts;
    c->rate = -1;
    c->interval = -1;
    c->count = -1;
    c->base = 0;
    c->has_base = false;
    if (!wd_opt_get(o, "event_rate"))
        return wd_err(err, WD_EOPTION, "connector 'impulse' needs option 'event_rate'");
    if ((rc = wd_opt_float(o, "event_rate", &c->rate, err))) return rc;
    if (!(c->rate >= 1e-4 && c->rate <= 1e15))
        return wd_err(err, WD_EOPTION,
                      "option 'event_rate': %g is out of range (0.0001 … 1e15 messages per second)",
                      c->rate);
    if ((rc = imp_parse_interval(o, &c->interval, err))) return rc;
    if ((rc = wd_opt_int(o, "message_count", &c->count, err))) return rc;
    if (wd_opt_get(o, "message_count") && c->count < 0)
        return wd_err(err, WD_EOPTION, "option 'message_count': must be ≥ 0");
    int64_t base = INT64_MIN;
    if ((rc = wd_opt_time_ns(o, "base_time", &base, err))) return rc;
    if (base != INT64_MIN) c->base = base, c->has_base = true;
    return 0;
}

static int imp_validate(const wd_options *o, bool as_source, wd_error *err)
{
    imp_cfg c;
    if (!as_source) return wd_err(err, WD_EOPTION, "connector 'impulse' is a source only");
    return imp_parse(o, &c, err);
}

/* ---- the source ----------------------------------------------------------- */

/*
 * One stream of messages: what a subtask of the run that started it
 * produces, identified by that subtask's index.  A fresh subtask has one
 * stream, its own; after a restore at another parallelism a subtask
 * continues every old stream whose index is ≡ its own (mod the new
 * parallelism), each at its own pace, time base and counter.
 */
typedef struct imp_stream {
    uint64_t index;      /* the subtask_index column */
    uint64_t next;       /* counter of the next message */
    uint64_t end;        /* the stream produces counters < end */
    uint64_t delay_fp;   /* between its messages, ns << IMP_FP */
    int64_t interval;    /* event-time step, ns; < 0: scheduled wall clock */
    int64_t ts_base;     /* event time of message 0 */
    int64_t start_mono;  /* when message 0 was (or would have been) due */
} imp_stream;

typedef struct imp_source {
    wd_source base;
    const wd_type *schema;
    int col_counter, col_subtask; /* schema indexes, -1 when absent */
    uint32_t subtask, rows;
    imp_stream one;      /* a fresh subtask's stream */
    imp_stream *st;      /* the streams: &one, or restored ones */
    uint32_t nst;
    int64_t linger;
    bool ended;
} imp_source;

/* Scheduled offset of message k of stream t from its start, ns. */
static inline uint64_t imp_off(const imp_stream *t, uint64_t k)
{
    return (uint64_t)(((unsigned __int128)k * t->delay_fp) >> IMP_FP);
}

/* Number of messages whose offset is ≤ e (e ≥ 0), capped at UINT64_MAX. */
static uint64_t imp_count_le(uint64_t delay_fp, unsigned __int128 e)
{
    unsigned __int128 c = ((((e + 1) << IMP_FP) - 1) / delay_fp) + 1;
    return c > UINT64_MAX ? UINT64_MAX : (uint64_t)c;
}

static inline int64_t imp_time(const imp_stream *t, uint64_t k)
{
    if (t->interval >= 0) return t->ts_base + (int64_t)((uint64_t)t->interval * k);
    return t->ts_base + (int64_t)imp_off(t, k);
}

/* Number of messages of stream t whose event times fit int64. */
static uint64_t imp_time_limit(const imp_stream *t)
{
    __int128 room = (__int128)INT64_MAX - t->ts_base;
    if (room < 0) return 0;
    if (t->interval > 0) {
        __int128 q = room / t->interval + 1;
        return q > (__int128)UINT64_MAX ? UINT64_MAX : (uint64_t)q;
    }
    if (t->interval < 0) return imp_count_le(t->delay_fp, (unsigned __int128)room);
    return UINT64_MAX;
}

/* The unfinished stream whose next message is due first, or NULL. */
static imp_stream *imp_first_due(imp_source *s)
{
    imp_stream *best = NULL;
    int64_t best_at = 0;
    for (uint32_t i = 0; i < s->nst; i++) {
        imp_stream *t = &s->st[i];
        if (t->next >= t->end) continue;
        int64_t at = t->start_mono + (int64_t)imp_off(t, t->next);
        if (!best || at < best_at) best = t, best_at = at;
    }
    return best;
}

static int imp_next(wd_source *src, wd_batch **out, int64_t *wait_ns, wd_error *err)
{
    imp_source *s = (imp_source *)src;
    imp_stream *t = imp_first_due(s);
    if (!t) {
        s->ended = true;
        return WD_SRC_END;
    }
    uint64_t left = t->end - t->next;
    uint64_t rows = left < s->rows ? left : s->rows;
    int64_t el = wd_mono_ns() - t->start_mono;
    if (el < 0) el = 0;
    uint64_t due_all = imp_count_le(t->delay_fp, (unsigned __int128)el);
    uint64_t due = due_all > t->next ? due_all - t->next : 0;
    int64_t first_due = (int64_t)imp_off(t, t->next);
    if (due == 0) {
        *wait_ns = first_due - el > 0 ? first_due - el : 1;
        return WD_SRC_IDLE;
    }
    if (due < rows) {
        int64_t full_at = (int64_t)imp_off(t, t->next + rows - 1);
        int64_t flush_at = first_due + s->linger;
        int64_t at = full_at < flush_at ? full_at : flush_at;
        if (el < at) {
            *wait_ns = at - el;
            return WD_SRC_IDLE;
        }
        rows = due;
    }
    wd_batch *b = wd_batch_new(s->schema, (uint32_t)rows);
    if (!b) return wd_err(err, WD_ENOMEM, "impulse: out of memory");
    int64_t *ts = wd_batch_ts(b);
    uint64_t *cnt = s->col_counter >= 0 ? (uint64_t *)b->cols[s->col_counter].data : NULL;
    uint64_t *sub = s->col_subtask >= 0 ? (uint64_t *)b->cols[s->col_subtask].data : NULL;
    for (uint32_t r = 0; r < (uint32_t)rows; r++) {
        uint64_t k = t->next + r;
        ts[r] = imp_time(t, k);
        if (cnt) cnt[r] = k;
        if (sub) sub[r] = t->index;
    }
    b->nrows = (uint32_t)rows;
    wd_batch_seal(b);
    t->next += rows;
    *out = b;
    return WD_SRC_BATCH;
}

/* Exact: just before the earliest message any stream still has. */
static int64_t imp_watermark(wd_source *src)
{
    imp_source *s = (imp_source *)src;
    if (s->ended) return INT64_MAX;
    int64_t wm = INT64_MAX;
    for (uint32_t i = 0; i < s->nst; i++) {
        const imp_stream *t = &s->st[i];
        if (t->next < t->end && imp_time(t, t->next) - 1 < wm) wm = imp_time(t, t->next) - 1;
    }
    return wm;
}

static uint64_t imp_dropped(wd_source *src)
{
    (void)src;
    return 0;
}

static void imp_close(wd_source *src)
{
    imp_source *s = (imp_source *)src;
    if (!s) return;
    if (s->st != &s->one) wd_free(s->st);
    wd_free(s);
}

/* ---- checkpoints ------------------------------------------------------------ */

#define IMP_TABLE "impulse"
#define IMP_SNAP_VERSION 2u
#define IMP_SNAP_V1_BYTES 16u /* the first format: next, time base */
#define IMP_STREAM_BYTES 48u

/*
 * One record per subtask: version, then its streams, each (index, next,
 * end, delay, interval, time base) — everything a message is a function of
 * besides its counter.
 */
static int imp_snapshot(wd_source *src, wd_snap_out *w, wd_error *err)
{
    imp_source *s = (imp_source *)src;
    int rc = wd_snap_table_begin(w, IMP_TABLE, WD_SNAP_GLOBAL, err);
    if (rc < 0) return rc;
    wd_buf *b = wd_snap_rec_begin(w, 0);
    wd_snap_put_u32(b, IMP_SNAP_VERSION);
    wd_snap_put_u32(b, s->nst);
    for (uint32_t i = 0; i < s->nst; i++) {
        const imp_stream *t = &s->st[i];
        wd_snap_put_u64(b, t->index);
        wd_snap_put_u64(b, t->next);
        wd_snap_put_u64(b, t->end);
        wd_snap_put_u64(b, t->delay_fp);
        wd_snap_put_i64(b, t->interval);
        wd_snap_put_i64(b, t->ts_base);
    }
    wd_snap_rec_end(w);
    return 0;
}

/* Append *t to the growing array *v (*n used, *cap allocated). */
static int imp_push(imp_stream **v, uint32_t *n, uint32_t *cap, const imp_stream *t)
{
    if (*n == *cap) {
        uint32_t c = *cap ? *cap * 2 : 4;
        imp_stream *nv = wd_realloc(*v, c * sizeof *nv);
        if (!nv) return WD_ENOMEM;
        *v = nv;
        *cap = c;
    }
    (*v)[(*n)++] = *t;
    return 0;
}

/*
 * Continue the old streams whose index is ≡ this subtask (mod the new
 * parallelism): at any parallelism each old stream goes on in exactly one
 * subtask, from its next counter, with its own pace and time base; a
 * subtask left without streams ends at once.  Pacing resumes now, from
 * each stream's next message.
 */
static int imp_restore(wd_source *src, wd_snap_in *r, wd_error *err)
{
    imp_source *s = (imp_source *)src;
    imp_stream *v = NULL;
    uint32_t n = 0, cap = 0;
    bool have = false;
    wd_snap_rec rec;
    int rc;
    int64_t now = wd_mono_ns();
    wd_snap_in_open(r, IMP_TABLE);
    while ((rc = wd_snap_in_next(r, &rec, err)) == 1) {
        wd_rd d;
        wd_rd_init(&d, rec.data, rec.len);
        if (rec.len == IMP_SNAP_V1_BYTES) {
            /* the first format: (next, time base) of the old subtask's own
             * stream, whose pace and end were the options' */
            imp_stream t = s->one;
            t.index = rec.from_subtask;
            t.next = wd_rd_u64(&d);
            t.ts_base = wd_rd_i64(&d);
            have = true;
            if (t.ts_base == INT64_MIN) {
                rc = wd_snap_bad_record(r, err);
                break;
            }
            if (t.index != s->subtask) continue;
            uint64_t lim = imp_time_limit(&t);
            if (lim < t.end) t.end = lim;
            if (t.next > t.end) t.next = t.end;
            uint64_t off = imp_off(&t, t.next);
            t.start_mono = now - (int64_t)(off < INT64_MAX / 4 ? off : INT64_MAX / 4);
            if (imp_push(&v, &n, &cap, &t) < 0) {
                wd_free(v);
                return wd_err(err, WD_ENOMEM, "impulse: out of memory");
            }
            continue;
        }
        uint32_t ver = wd_rd_u32(&d), cnt = wd_rd_u32(&d);
        if (d.bad || ver != IMP_SNAP_VERSION || cnt > rec.len / IMP_STREAM_BYTES) {
            rc = wd_snap_bad_record(r, err);
            break;
        }
        have = true;
        for (uint32_t i = 0; i < cnt && !d.bad; i++) {
            imp_stream t; /* one field at a time: the reads are in order */
            t.index = wd_rd_u64(&d);
            t.next = wd_rd_u64(&d);
            t.end = wd_rd_u64(&d);
            t.delay_fp = wd_rd_u64(&d);
            t.interval = wd_rd_i64(&d);
            t.ts_base = wd_rd_i64(&d);
            /* what imp_open could have made, times inside int64, a pace
             * that resumes now */
            if (t.delay_fp == 0 || t.delay_fp > IMP_DELAY_MAX || t.ts_base == INT64_MIN ||
                t.next > t.end || t.end > imp_time_limit(&t) ||
                imp_off(&t, t.next) > (uint64_t)INT64_MAX / 4)
                d.bad = true;
            if (d.bad || t.index % r->parallelism != s->subtask) continue;
            for (uint32_t k = 0; k < n; k++)
                if (v[k].index == t.index) d.bad = true; /* a stream continued twice */
            if (d.bad) break;
            t.start_mono = now - (int64_t)imp_off(&t, t.next);
            if (imp_push(&v, &n, &cap, &t) < 0) {
                wd_free(v);
                return wd_err(err, WD_ENOMEM, "impulse: out of memory");
            }
        }
        if (!wd_rd_done(&d)) {
            rc = wd_snap_bad_record(r, err);
            break;
        }
    }
    if (rc < 0 || !have) {
        wd_free(v);
        return rc;
    }
    if (s->st != &s->one) wd_free(s->st);
    if (n == 1) {
        s->one = v[0];
        wd_free(v);
        s->st = &s->one;
    } else {
        s->st = v;
    }
    s->nst = n;
    s->ended = false;
    return 0;
}

static const wd_source_vt imp_vt = {.next = imp_next,
                                    .watermark = imp_watermark,
                                    .dropped = imp_dropped,
                                    .snapshot = imp_snapshot,
                                    .restore = imp_restore,
                                    .close = imp_close};

static int imp_open(const wd_source_spec *spec, wd_source **out, wd_error *err)
{
    imp_cfg c;
    int rc = imp_parse(spec->opts, &c, err);
    if (rc) return rc;
    const wd_type *sch = spec->schema;
    if (!sch || sch->id != WD_T_STRUCT || sch->nfields < 1)
        return wd_err(err, WD_EINTERNAL, "impulse: bad schema");
    uint32_t par = spec->parallelism ? spec->parallelism : 1;
    if (spec->subtask >= par)
        return wd_err(err, WD_EINTERNAL, "impulse: subtask %u of %u", spec->subtask, par);
    imp_source *s = wd_calloc(1, sizeof *s);
    if (!s) return wd_err(err, WD_ENOMEM, "impulse: out of memory");
    s->base.vt = &imp_vt;
    s->schema = sch;
    s->col_counter = s->col_subtask = -1;
    for (uint32_t i = 0; i + 1 < sch->nfields; i++) {
        const char *name = sch->fields[i].name;
        int *slot = strcasecmp(name, "counter") == 0         ? &s->col_counter
                    : strcasecmp(name, "subtask_index") == 0 ? &s->col_subtask
                                                             : NULL;
        if (!slot || *slot >= 0 || sch->fields[i].type->id != WD_T_UINT64) {
            wd_free(s);
            return wd_err(err, WD_EINTERNAL, "impulse: unexpected column '%s' in the source schema",
                          name);
        }
        *slot = (int)i;
    }
    s->subtask = spec->subtask;
    s->rows = spec->batch_rows ? spec->batch_rows : WD_BATCH_ROWS;
    if (s->rows > IMP_MAX_ROWS) s->rows = IMP_MAX_ROWS;
    imp_stream *t = &s->one;
    s->st = t;
    s->nst = 1;
    t->index = spec->subtask;
    double d = 1e9 / c.rate * par * (double)(1u << IMP_FP);
    t->delay_fp = d < 1.0 ? 1 : d > (double)IMP_DELAY_MAX ? IMP_DELAY_MAX : (uint64_t)(d + 0.5);
    t->interval = c.interval;
    t->ts_base = c.interval >= 0 && c.has_base ? c.base : wd_now_ns();
    t->end = c.count >= 0 ? (uint64_t)c.count : UINT64_MAX;
    uint64_t lim = imp_time_limit(t);
    if (lim < t->end) t->end = lim;
    s->linger = spec->linger_ns > 0 ? spec->linger_ns : IMP_DEFAULT_LINGER_NS;
    t->start_mono = wd_mono_ns();
    *out = &s->base;
    return 0;
}

static const wd_opt_def imp_opts[] = {
    {"event_rate", WD_OPT_FLOAT, NULL, true, NULL,
     "messages per second over all subtasks"},
    {"event_time_interval", WD_OPT_STRING, NULL, false, NULL,
     "event time step between messages (microseconds, or an interval such as '1 second'); "
     "default: event time is the wall clock"},
    {"message_count", WD_OPT_INT, NULL, false, NULL,
     "messages per subtask, then the source ends; unbounded when absent"},
    {"base_time", WD_OPT_TIME, NULL, false, NULL,
     "event time of message 0 with event_time_interval (RFC 3339 or epoch millis)"},
};

const wd_connector wd_conn_impulse = {
    .name = "impulse",
    .doc = "a counter per subtask at a steady rate",
    .opts = imp_opts,
    .nopts = sizeof imp_opts / sizeof imp_opts[0],
    .source = true,
    .sink = false,
    .bounded = false,
    .fixed_schema = imp_fixed_schema,
    .validate = imp_validate,
    .open_source = imp_open,
    .open_sink = NULL,
};
