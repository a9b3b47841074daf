/*
 * nexmark.c — the `nexmark` source: the Nexmark auction generator
 * (docs: NEXMARK.md) as one table of three nullable struct columns
 * person, auction, bid, exactly one non-null per row.
 *
 * Exports wd_conn_nexmark, wd_nexmark_event_json, wd_nexmark_event_time.
 *
 * Determinism.  Events are numbered globally, n = 0, 1, 2, …; event n is a
 * pure function of (seed, base_time, event_rate, n): its kind and ids come
 * from n (n % 50), its random draws from a counter-based PRNG (splitmix64
 * stream positions 8n+1 … 8n+8 under a key derived from the seed), and its
 * time is base_time + n * (1 s / event_rate).  Subtask i of p produces the
 * events n ≡ i (mod p) in increasing order, so the union over subtasks is
 * the same set of events for every parallelism, each subtask's events are
 * in time order, and a subtask can resume at any event number.  (The Flink
 * generator splits ids into contiguous ranges per generator; interleaving
 * is what keeps events independent of the parallelism.)
 *
 * Checkpoints.  A subtask records the progressions of event numbers it
 * has left (next, step, end) with the generator's base time, seed and
 * delay.  A restored subtask j of p takes, of every old progression, the
 * events ≡ j (mod p) — again progressions — so at any parallelism every
 * event not yet produced is produced once, with the recorded base time
 * (never the wall clock of the restart), and the exact watermark is just
 * before the earliest event any of its progressions still has.
 *
 * Speed.  Columns are written directly, strings are views into static
 * tables built once (channels, urls, names, filler text), and columns the
 * query does not read (spec->needed) are all-null views of one read-only
 * zero mapping, so a bid-only query pays for bids only.
 *
 * Deviations from the Flink generator (as NEXMARK.md allows): bidders and
 * sellers are always people already generated (no id "lead"; the hot bidder
 * (last / 100) * 100 + 1 falls back to the last person when that one does
 * not exist yet); prices are clamped below 1e8; expires is in ns.
 */
#include "connectors/nexmark.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/timeutil.h"
#include "connectors/connector.h"
#include "state/snapshot.h"

/* ---- constants ----------------------------------------------------------- */

#define NX_TOTAL 50           /* events per epoch: 1 person, 3 auctions, 46 bids */
#define NX_FIRST_ID 1000      /* first person / auction id */
#define NX_FP 20              /* fraction bits of the fixed-point event delay */
#define NX_ACTIVE_PEOPLE 1000 /* uniform bidders/sellers among the last 1000 */
#define NX_INFLIGHT_AUCTIONS 100
#define NX_AUCTION_LEAD 10
#define NX_HORIZON_EVENTS 1666 /* 100 in-flight auctions * 50 / 3 */
#define NX_CHANNELS 10000
#define NX_LETTERS_LEN (1u << 20) /* filler text: lowercase letters */
#define NX_WORDS_LEN (1u << 16)   /* item names, descriptions: letters and spaces */
#define NX_MAX_ROWS 65536u        /* batch rows cap (the zero mapping's size) */
#define NX_GAMMA 0x9e3779b97f4a7c15ULL
#define NX_DEFAULT_LINGER_NS (50 * WD_NS_PER_MS)

/* Children of the three struct columns, in schema order. */
enum { P_ID, P_NAME, P_EMAIL, P_CARD, P_CITY, P_STATE, P_DATETIME, P_EXTRA, P__N };
enum { A_ID, A_ITEM, A_DESC, A_INITIAL, A_RESERVE, A_DATETIME, A_EXPIRES, A_SELLER,
       A_CATEGORY, A_EXTRA, A__N };
enum { B_AUCTION, B_BIDDER, B_PRICE, B_CHANNEL, B_URL, B_DATETIME, B_EXTRA, B__N };

/* ---- the table ------------------------------------------------------------ */

static const wd_field nx_person_fields[P__N] = {
    {"id", &wd_type_int64_, false},          {"name", &wd_type_text_, false},
    {"email_address", &wd_type_text_, false}, {"credit_card", &wd_type_text_, false},
    {"city", &wd_type_text_, false},          {"state", &wd_type_text_, false},
    {"datetime", &wd_type_timestamp_, false}, {"extra", &wd_type_text_, false},
};
static const wd_field nx_auction_fields[A__N] = {
    {"id", &wd_type_int64_, false},          {"item_name", &wd_type_text_, false},
    {"description", &wd_type_text_, false},  {"initial_bid", &wd_type_int64_, false},
    {"reserve", &wd_type_int64_, false},     {"datetime", &wd_type_timestamp_, false},
    {"expires", &wd_type_timestamp_, false}, {"seller", &wd_type_int64_, false},
    {"category", &wd_type_int64_, false},    {"extra", &wd_type_text_, false},
};
static const wd_field nx_bid_fields[B__N] = {
    {"auction", &wd_type_int64_, false},     {"bidder", &wd_type_int64_, false},
    {"price", &wd_type_int64_, false},       {"channel", &wd_type_text_, false},
    {"url", &wd_type_text_, false},          {"datetime", &wd_type_timestamp_, false},
    {"extra", &wd_type_text_, false},
};
static const wd_type nx_person_t = {.id = WD_T_STRUCT, .nfields = P__N, .fields = nx_person_fields};
static const wd_type nx_auction_t = {.id = WD_T_STRUCT, .nfields = A__N,
                                     .fields = nx_auction_fields};
static const wd_type nx_bid_t = {.id = WD_T_STRUCT, .nfields = B__N, .fields = nx_bid_fields};
static const wd_field nx_table_fields[3] = {
    {"person", &nx_person_t, true},
    {"auction", &nx_auction_t, true},
    {"bid", &nx_bid_t, true},
};
static const wd_type nx_table_t = {.id = WD_T_STRUCT, .nfields = 3, .fields = nx_table_fields};

static const wd_type *nx_fixed_schema(wd_arena *a)
{
    (void)a;
    return &nx_table_t;
}

/* ---- static tables (built once) ------------------------------------------ */

static const char *const nx_first_names[] = {"Peter", "Paul",  "Luke",  "John",   "Saul",  "Vicky",
                                             "Kate",  "Julie", "Sarah", "Deiter", "Walter"};
static const char *const nx_last_names[] = {"Shultz", "Abrams", "Spencer", "White", "Bartels",
                                            "Walton", "Smith",  "Jones",   "Noris"};
#define NX_NFIRST (sizeof nx_first_names / sizeof nx_first_names[0])
#define NX_NLAST (sizeof nx_last_names / sizeof nx_last_names[0])
#define NX_NNAMES (NX_NFIRST * NX_NLAST)
#define NX_S(lit) {lit, sizeof(lit) - 1, 0}
static const wd_str nx_cities[10] = {
    NX_S("Phoenix"), NX_S("Los Angeles"), NX_S("San Francisco"), NX_S("Boise"),
    NX_S("Portland"), NX_S("Bend"),       NX_S("Redmond"),       NX_S("Seattle"),
    NX_S("Kent"),    NX_S("Cheyenne"),
};
static const wd_str nx_states[6] = {NX_S("AZ"), NX_S("CA"), NX_S("ID"),
                                    NX_S("OR"), NX_S("WA"), NX_S("WY")};
static const wd_str nx_hot_channels[4] = {NX_S("Google"), NX_S("Facebook"), NX_S("Baidu"),
                                          NX_S("Apple")};

static char nx_letters[NX_LETTERS_LEN];
static char nx_words[NX_WORDS_LEN];
static char nx_url_pool[(NX_CHANNELS + 4) * 96];
static char nx_chan_pool[NX_CHANNELS * 16];
static char nx_name_pool[NX_NNAMES * 24];
static wd_str nx_chan_name[NX_CHANNELS], nx_chan_url[NX_CHANNELS];
static wd_str nx_hot_urls[4];
static wd_str nx_names[NX_NNAMES];
static double nx_price_tab[1024];
static const char *nx_zero; /* NX_MAX_ROWS * 16 read-only zero bytes, or NULL */
static pthread_once_t nx_once = PTHREAD_ONCE_INIT;

static inline uint64_t nx_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Sequential splitmix64 for building the tables (fixed, seed-independent). */
static uint64_t nx_init_state;
static uint64_t nx_init_next(void) { return nx_mix(nx_init_state += NX_GAMMA); }
static uint32_t nx_init_below(uint32_t k) { return (uint32_t)(((nx_init_next() >> 32) * k) >> 32); }

/* Flink's nextString(random, 5, '_'): 3–4 characters, '_' with odds 1/13. */
static size_t nx_url_part(char *p)
{
    size_t len = 3 + nx_init_below(2);
    for (size_t i = 0; i < len; i++)
        p[i] = nx_init_below(13) == 0 ? '_' : (char)('a' + nx_init_below(26));
    return len;
}

static size_t nx_base_url(char *p)
{
    size_t n = 0;
    memcpy(p, "https://www.nexmark.com/", 24);
    n = 24;
    for (int i = 0; i < 3; i++) {
        n += nx_url_part(p + n);
        p[n++] = '/';
    }
    memcpy(p + n, "item.htm?query=1", 16);
    return n + 16;
}

static uint32_t nx_reverse32(uint32_t x)
{
    x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
    x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
    x = ((x >> 4) & 0x0f0f0f0fu) | ((x & 0x0f0f0f0fu) << 4);
    x = ((x >> 8) & 0x00ff00ffu) | ((x & 0x00ff00ffu) << 8);
    return (x >> 16) | (x << 16);
}

static void nx_init(void)
{
    nx_init_state = 0x6e65786d61726bULL; /* "nexmark" */
    for (size_t i = 0; i < NX_LETTERS_LEN; i++)
        nx_letters[i] = (char)('a' + nx_init_below(26));
    /* Letters with a space at odds 1/13, never two spaces in a row, so that
     * a trimmed slice of 3+ characters is never empty. */
    char prev = 'a';
    for (size_t i = 0; i < NX_WORDS_LEN; i++) {
        char c = (prev != ' ' && nx_init_below(13) == 0) ? ' ' : (char)('a' + nx_init_below(26));
        nx_words[i] = prev = c;
    }
    char *u = nx_url_pool;
    for (int i = 0; i < 4; i++) {
        size_t n = nx_base_url(u);
        nx_hot_urls[i] = wd_str_make(u, (uint32_t)n);
        u += 96;
    }
    for (uint32_t i = 0; i < NX_CHANNELS; i++) {
        char *c = nx_chan_pool + (size_t)i * 16;
        int cn = snprintf(c, 16, "channel-%u", i);
        nx_chan_name[i] = wd_str_make(c, (uint32_t)cn);
        size_t n = nx_base_url(u);
        if (nx_init_below(10) > 0) {
            /* Java's Math.abs(Integer.reverse(i)), without its overflow at 1 */
            int64_t id = (int32_t)nx_reverse32(i);
            n += (size_t)snprintf(u + n, 96 - n, "&channel_id=%lld",
                                  (long long)(id < 0 ? -id : id));
        }
        nx_chan_url[i] = wd_str_make(u, (uint32_t)n);
        u += 96;
    }
    for (size_t f = 0; f < NX_NFIRST; f++)
        for (size_t l = 0; l < NX_NLAST; l++) {
            size_t k = f * NX_NLAST + l;
            char *p = nx_name_pool + k * 24;
            int n = snprintf(p, 24, "%s %s", nx_first_names[f], nx_last_names[l]);
            nx_names[k] = wd_str_make(p, (uint32_t)n);
        }
    for (int i = 0; i < 1024; i++)
        nx_price_tab[i] = 100.0 * pow(10.0, 6.0 * i / 1024.0);
    void *z = mmap(NULL, (size_t)NX_MAX_ROWS * 16, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    nx_zero = z == MAP_FAILED ? NULL : (const char *)z;
}

/* ---- the generator -------------------------------------------------------- */

typedef struct nx_gen {
    uint64_t key;      /* PRNG key derived from the seed */
    int64_t base;      /* base_time, ns */
    uint64_t delay_fp; /* inter-event delay (all generators), ns << NX_FP */
    uint64_t horizon2; /* 2 * event-time span of NX_HORIZON_EVENTS events, ns, ≥ 1 */
} nx_gen;

/* Event-time offset of event n from base_time, ns. */
static inline uint64_t nx_off(const nx_gen *g, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)n * g->delay_fp) >> NX_FP);
}
static inline int64_t nx_time(const nx_gen *g, uint64_t n)
{
    return g->base + (int64_t)nx_off(g, n);
}

/* Number of events n ≥ 0 whose offset is ≤ e (e ≥ 0), capped at UINT64_MAX. */
static uint64_t nx_count_le(uint64_t delay_fp, unsigned __int128 e)
{
    unsigned __int128 c = ((((e + 1) << NX_FP) - 1) / delay_fp) + 1;
    return c > UINT64_MAX ? UINT64_MAX : (uint64_t)c;
}

static uint64_t nx_time_limit(const nx_gen *g);

/* The generator of (seed, base, delay_fp): what a checkpoint records. */
static void nx_gen_init_fp(nx_gen *g, uint64_t seed, int64_t base, uint64_t delay_fp)
{
    g->key = nx_mix(seed ^ 0x243f6a8885a308d3ULL);
    g->base = base;
    g->delay_fp = delay_fp ? delay_fp : 1;
    uint64_t h2 = 2 * nx_off(g, NX_HORIZON_EVENTS);
    g->horizon2 = h2 ? h2 : 1;
}

static int nx_gen_init(nx_gen *g, uint64_t seed, int64_t base, double rate, wd_error *err)
{
    if (!(rate >= 1e-4 && rate <= 1e15))
        return wd_err(err, WD_EINVALID, "nexmark: event_rate %g is out of range (0.0001 … 1e15)",
                      rate);
    double d = 1e9 / rate * (double)(1u << NX_FP);
    nx_gen_init_fp(g, seed, base, d < 1.0 ? 1 : (uint64_t)llround(d));
    return 0;
}

/* Random word j (< 8) of event n. */
static inline uint64_t nx_rnd(const nx_gen *g, uint64_t n, unsigned j)
{
    return nx_mix(g->key + (n * 8 + j + 1) * NX_GAMMA);
}
/* Uniform in [0, k) from the 32 bits r (k ≤ 2^32). */
static inline uint64_t nx_below(uint32_t r, uint64_t k) { return ((uint64_t)r * k) >> 32; }
static inline uint64_t nx_below64(uint64_t r, uint64_t k)
{
    return (uint64_t)(((unsigned __int128)r * k) >> 64);
}
static inline uint32_t nx_lo(uint64_t w) { return (uint32_t)w; }
static inline uint32_t nx_hi(uint64_t w) { return (uint32_t)(w >> 32); }

/* round(10^(6U) * 100), U = u / 2^32: log-uniform over [100, 1e8). */
static inline int64_t nx_price(uint32_t u)
{
    const double k = 6.0 * 2.302585092994045684 / 4294967296.0;
    double y = (double)(u & 0x3fffffu) * k; /* < 6 ln 10 / 1024 */
    double e = 1.0 + y * (1.0 + y * (0.5 + y * (1.0 / 6.0 + y * (1.0 / 24.0))));
    int64_t p = (int64_t)(nx_price_tab[u >> 22] * e + 0.5);
    return p > 99999999 ? 99999999 : p;
}

/* Active people [lo, last] for a uniform bidder/seller; last = newest person (base 0). */
static inline uint64_t nx_active_person(uint64_t last, uint32_t r)
{
    uint64_t num = last + 1;
    uint64_t active = num < NX_ACTIVE_PEOPLE ? num : NX_ACTIVE_PEOPLE;
    return num - active + nx_below(r, active);
}

static inline wd_str nx_slice(const char *text, uint32_t off, uint32_t len)
{
    return wd_str_make(text + off, len);
}

/* A slice of the words text of 3 … max-1 characters, trimmed (never empty). */
static inline wd_str nx_words_slice(uint32_t rlen, uint32_t roff, uint32_t max)
{
    uint32_t len = 3 + (uint32_t)nx_below(rlen, max - 3);
    const char *p = nx_words + nx_below(roff, NX_WORDS_LEN - 128);
    if (p[0] == ' ') p++, len--;
    if (p[len - 1] == ' ') len--;
    return wd_str_make(p, len);
}

/* Flink's nextExtra: filler so the event is about avg bytes; current already used. */
static inline wd_str nx_extra(uint32_t current, uint32_t avg, uint32_t rlen, uint32_t roff)
{
    if (current > avg) return wd_str_make(nx_letters, 0);
    uint32_t desired = avg - current;
    uint32_t delta = (2 * desired + 5) / 10; /* Math.round(desired * 0.2) */
    uint32_t len = desired - delta + (delta ? (uint32_t)nx_below(rlen, 2 * delta) : 0);
    return nx_slice(nx_letters, (uint32_t)nx_below(roff, NX_LETTERS_LEN - 1024), len);
}

typedef struct nx_bid {
    int64_t auction, bidder, price;
    wd_str channel, url, extra;
} nx_bid;

typedef struct nx_auction {
    int64_t id, initial_bid, reserve, expires, seller, category;
    wd_str item_name, description, extra;
} nx_auction;

#define NX_PERSON_SCRATCH 40 /* email ≤ 15 bytes at 0, card 19 bytes at 20 */

typedef struct nx_person {
    int64_t id;
    wd_str name, email, card, city, state, extra;
} nx_person;

/* Event n (n % 50 ≥ 4) as a bid. */
#define NX_INLINE static inline __attribute__((always_inline))

NX_INLINE void nx_gen_bid(const nx_gen *g, uint64_t n, nx_bid *b)
{
    uint64_t epoch = n / NX_TOTAL;
    uint64_t w0 = nx_rnd(g, n, 0), w1 = nx_rnd(g, n, 1), w2 = nx_rnd(g, n, 2);
    uint64_t last_a = epoch * 3 + 2;
    uint64_t auction;
    if (w2 & 1) {
        auction = last_a / 100 * 100;
    } else {
        uint64_t lo = last_a > NX_INFLIGHT_AUCTIONS ? last_a - NX_INFLIGHT_AUCTIONS : 0;
        auction = lo + nx_below(nx_hi(w0), last_a - lo + 1 + NX_AUCTION_LEAD);
    }
    uint64_t last_p = epoch, bidder;
    if (w2 & 6) {
        bidder = last_p / 100 * 100 + 1;
        if (bidder > last_p) bidder = last_p;
    } else {
        bidder = nx_active_person(last_p, nx_lo(w1));
    }
    b->auction = (int64_t)auction + NX_FIRST_ID;
    b->bidder = (int64_t)bidder + NX_FIRST_ID;
    b->price = nx_price(nx_lo(w0));
    if (w2 & 8) {
        unsigned i = (unsigned)(w2 >> 4) & 3;
        b->channel = nx_hot_channels[i];
        b->url = nx_hot_urls[i];
    } else {
        uint64_t c = nx_below(nx_hi(w1), NX_CHANNELS);
        b->channel = nx_chan_name[c];
        b->url = nx_chan_url[c];
    }
    /* 8 + 8 + 8 + 8 bytes so far, 100 on average: 54 … 81 characters */
    b->extra = nx_extra(32, 100, nx_hi(w2), nx_lo(w2) & 0xffffff00u);
}

/* Event n (n % 50 in 1..3) as an auction; t is its time. */
NX_INLINE void nx_gen_auction(const nx_gen *g, uint64_t n, int64_t t, nx_auction *a)
{
    uint64_t epoch = n / NX_TOTAL, off = n % NX_TOTAL;
    uint64_t w0 = nx_rnd(g, n, 0), w1 = nx_rnd(g, n, 1), w2 = nx_rnd(g, n, 2);
    uint64_t w3 = nx_rnd(g, n, 3), w4 = nx_rnd(g, n, 4), w5 = nx_rnd(g, n, 5);
    uint64_t w6 = nx_rnd(g, n, 6);
    a->id = (int64_t)(epoch * 3 + off - 1) + NX_FIRST_ID;
    uint64_t last_p = epoch;
    uint64_t seller = (w2 & 3) ? last_p / 100 * 100 : nx_active_person(last_p, nx_lo(w1));
    a->seller = (int64_t)seller + NX_FIRST_ID;
    a->category = 10 + (int64_t)nx_below(nx_hi(w1), 5);
    a->initial_bid = nx_price(nx_lo(w0));
    a->reserve = a->initial_bid + nx_price(nx_hi(w0));
    a->item_name = nx_words_slice(nx_hi(w2), nx_lo(w3), 20);
    a->description = nx_words_slice(nx_hi(w3), nx_lo(w4), 100);
    a->expires = t + 1 + (int64_t)nx_below64(w6, g->horizon2);
    uint32_t cur = 8 + a->item_name.len + a->description.len + 8 * 5;
    a->extra = nx_extra(cur, 500, nx_hi(w4), nx_lo(w5));
}

/* Event n (n % 50 == 0) as a person; email and card are written to
 * scratch (NX_PERSON_SCRATCH bytes), which the views then point into. */
NX_INLINE void nx_gen_person(const nx_gen *g, uint64_t n, char *scratch, nx_person *p)
{
    uint64_t w0 = nx_rnd(g, n, 0), w1 = nx_rnd(g, n, 1), w2 = nx_rnd(g, n, 2);
    uint64_t w3 = nx_rnd(g, n, 3), w4 = nx_rnd(g, n, 4), w5 = nx_rnd(g, n, 5);
    p->id = (int64_t)(n / NX_TOTAL) + NX_FIRST_ID;
    p->name = nx_names[nx_below(nx_lo(w0), NX_NNAMES)];
    p->city = nx_cities[nx_below(nx_hi(w0), 10)];
    p->state = nx_states[nx_below(nx_lo(w1), 6)];
    /* email: 3–6 letters @ 3–4 letters .com */
    uint32_t l1 = 3 + (uint32_t)nx_below(nx_hi(w1), 4);
    uint32_t l2 = 3 + (uint32_t)(nx_hi(w2) & 1);
    char *e = scratch;
    memcpy(e, nx_letters + nx_below(nx_lo(w2), NX_LETTERS_LEN - 16), l1);
    e[l1] = '@';
    memcpy(e + l1 + 1, nx_letters + nx_below(nx_lo(w4), NX_LETTERS_LEN - 16), l2);
    memcpy(e + l1 + 1 + l2, ".com", 4);
    p->email = wd_str_make(e, l1 + l2 + 5);
    /* card: four space-separated 4-digit groups */
    char *c = scratch + 20;
    for (int i = 0; i < 4; i++) {
        uint32_t v = (uint32_t)(((w3 >> (16 * i)) & 0xffff) * 10000 >> 16);
        c[5 * i + 0] = (char)('0' + v / 1000);
        c[5 * i + 1] = (char)('0' + v / 100 % 10);
        c[5 * i + 2] = (char)('0' + v / 10 % 10);
        c[5 * i + 3] = (char)('0' + v % 10);
        if (i < 3) c[5 * i + 4] = ' ';
    }
    p->card = wd_str_make(c, 19);
    uint32_t cur = 8 + p->name.len + p->email.len + p->card.len + p->city.len + p->state.len;
    p->extra = nx_extra(cur, 200, nx_hi(w4), nx_lo(w5));
}

/* ---- options -------------------------------------------------------------- */

typedef struct nx_cfg {
    double rate;
    double runtime; /* seconds; < 0: none */
    int64_t count;  /* events in total; < 0: none */
    int64_t seed;
    int64_t base;
    bool has_base;
    bool paced;
} nx_cfg;

static const wd_options nx_no_opts = {0, NULL};

static int nx_parse(const wd_options *o, nx_cfg *c, wd_error *err)
{
    int rc;
    if (!o) o = &nx_no_opts;
    c->rate = 100.0;
    c->runtime = -1.0;
    c->count = -1;
    c->seed = 0;
    c->base = 0;
    c->has_base = false;
    c->paced = true;
    if ((rc = wd_opt_float(o, "event_rate", &c->rate, err))) return rc;
    if ((rc = wd_opt_float(o, "runtime", &c->runtime, err))) return rc;
    if ((rc = wd_opt_int(o, "event_count", &c->count, err))) return rc;
    if ((rc = wd_opt_int(o, "seed", &c->seed, err))) return rc;
    if ((rc = wd_opt_bool(o, "paced", &c->paced, err))) return rc;
    int64_t base = INT64_MIN;
    if ((rc = wd_opt_time_ns(o, "base_time", &base, err))) return rc;
    if (base != INT64_MIN) c->base = base, c->has_base = true;
    if (!(c->rate >= 1e-4 && c->rate <= 1e15))
        return wd_err(err, WD_EOPTION,
                      "option 'event_rate': %g is out of range (0.0001 … 1e15 events per second)",
                      c->rate);
    if (wd_opt_get(o, "runtime") && !(c->runtime >= 0 && c->runtime <= 1e9))
        return wd_err(err, WD_EOPTION, "option 'runtime': %g is not a number of seconds ≥ 0",
                      c->runtime);
    if (wd_opt_get(o, "event_count") && c->count < 0)
        return wd_err(err, WD_EOPTION, "option 'event_count': must be ≥ 0");
    if (c->seed < 0) return wd_err(err, WD_EOPTION, "option 'seed': must be ≥ 0");
    return 0;
}

static int nx_validate(const wd_options *o, bool as_source, wd_error *err)
{
    nx_cfg c;
    if (!as_source) return wd_err(err, WD_EOPTION, "connector 'nexmark' is a source only");
    return nx_parse(o, &c, err);
}

/*
 * Default base_time: the wall clock at open (to the millisecond), shared by
 * the subtasks of one table.  Subtasks of one table get the same wd_options
 * pointer; the first to open records its base and the next parallelism-1
 * openings within 10 s reuse it.  Tests and benchmarks pin base_time.
 */
static pthread_mutex_t nx_base_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    const wd_options *opts;
    uint32_t parallelism, claimed;
    int64_t base, at;
} nx_base_slots[16];

static int64_t nx_default_base(const wd_options *opts, uint32_t parallelism)
{
    int64_t now = wd_now_ns(), mono = wd_mono_ns();
    int64_t base = now - now % WD_NS_PER_MS;
    if (parallelism <= 1) return base;
    pthread_mutex_lock(&nx_base_mu);
    size_t oldest = 0;
    for (size_t i = 0; i < sizeof nx_base_slots / sizeof nx_base_slots[0]; i++) {
        if (nx_base_slots[i].opts == opts && nx_base_slots[i].parallelism == parallelism &&
            nx_base_slots[i].claimed < parallelism &&
            mono - nx_base_slots[i].at < 10 * WD_NS_PER_SEC) {
            base = nx_base_slots[i].base;
            if (++nx_base_slots[i].claimed == parallelism) nx_base_slots[i].opts = NULL;
            pthread_mutex_unlock(&nx_base_mu);
            return base;
        }
        if (nx_base_slots[i].at < nx_base_slots[oldest].at) oldest = i;
    }
    nx_base_slots[oldest].opts = opts;
    nx_base_slots[oldest].parallelism = parallelism;
    nx_base_slots[oldest].claimed = 1;
    nx_base_slots[oldest].base = base;
    nx_base_slots[oldest].at = mono;
    pthread_mutex_unlock(&nx_base_mu);
    return base;
}

/* ---- the source ----------------------------------------------------------- */

/*
 * The events a subtask still has to produce: arithmetic progressions
 * next, next + step, … below end.  A fresh subtask i of p has one
 * (i, p, end), kept in next_n / par / end_n; after a restore at another
 * parallelism it has one per old progression it shares events with
 * (nx_restore), and each batch comes from the one furthest behind, so
 * event time advances evenly over them.
 */
typedef struct nx_phase {
    uint64_t next, step, end;
} nx_phase;

typedef struct nx_source {
    wd_source base;
    nx_gen g;
    nx_cfg cfg;
    const wd_type *schema;
    int col[3];       /* schema index of person, auction, bid; -1 when absent */
    bool need[3];     /* whether the query reads it */
    uint32_t subtask, rows;
    uint64_t par;     /* the step of the current phase (the parallelism when fresh) */
    uint64_t next_n;  /* global number of the next event this subtask produces */
    uint64_t end_n;   /* the current phase produces events n < end_n */
    nx_phase *ph;     /* restored: every phase (the current one is ph[cur]) */
    uint32_t nph, cur;
    bool paced, ended;
    int64_t start_mono, linger;
} nx_source;

/* Zero bytes for an all-null column: the read-only mapping, else the arena. */
static void *nx_zeros(wd_batch *b, size_t bytes)
{
    if (nx_zero && bytes <= (size_t)NX_MAX_ROWS * 16) return (void *)nx_zero;
    return wd_arena_calloc(&b->arena, bytes);
}

/* Column c of type t (a struct of primitives), all rows null, no writes. */
static int nx_null_struct(wd_batch *b, wd_col *c, const wd_type *t, uint32_t rows)
{
    memset(c, 0, sizeof *c);
    c->type = t;
    c->len = c->cap = rows;
    c->valid = nx_zeros(b, rows);
    c->child = wd_arena_calloc(&b->arena, t->nfields * sizeof(wd_col));
    if (!c->valid || !c->child) return WD_ENOMEM;
    for (uint32_t k = 0; k < t->nfields; k++) {
        wd_col *ch = &c->child[k];
        ch->type = t->fields[k].type;
        ch->len = ch->cap = rows;
        ch->data = nx_zeros(b, (size_t)rows * wd_type_width(ch->type->id));
        if (!ch->data) return WD_ENOMEM;
    }
    return 0;
}

/* Column c of type t with buffers for rows rows (validity included). */
static int nx_alloc_struct(wd_batch *b, wd_col *c, const wd_type *t, uint32_t rows)
{
    wd_col_init(c, t, rows, &b->arena);
    c->valid = wd_arena_alloc(&b->arena, c->cap ? c->cap : 1);
    if (!c->valid) return WD_ENOMEM;
    c->len = rows;
    for (uint32_t k = 0; k < t->nfields; k++) {
        if (!c->child[k].data) return WD_ENOMEM;
        c->child[k].len = rows;
    }
    return 0;
}

#define NX_COL(c, k, T) ((T *)(c)->child[k].data)

static const wd_str nx_empty = {"", 0, 0};

/* Every row of struct column c null: numbers 0, strings "" (a view that any
 * operator may copy or read without a null check). */
static void nx_null_rows(wd_col *c, uint32_t rows)
{
    memset(c->valid, 0, rows);
    for (uint32_t k = 0; k < c->type->nfields; k++) {
        if (c->child[k].type->id == WD_T_TEXT) {
            wd_str *v = c->child[k].data;
            for (uint32_t r = 0; r < rows; r++) v[r] = nx_empty;
        } else {
            memset(c->child[k].data, 0, (size_t)rows * wd_type_width(c->child[k].type->id));
        }
    }
}

/*
 * Fill rows [0, rows) with events next_n, next_n + par, …: one pass per
 * column.  The bid column is mostly valid and is written row by row; the
 * person and auction columns are mostly null, so they are zeroed in bulk
 * and only their own events' rows are written.  scratch has room for the
 * emails and card numbers of the batch's people (nx_person_bound).
 */
static void nx_fill(nx_source *s, wd_batch *b, uint32_t rows, char *scratch)
{
    const nx_gen *g = &s->g;
    int64_t *ts = (int64_t *)b->cols[b->schema->nfields - 1].data;
    wd_col *pc = s->col[0] >= 0 && s->need[0] ? &b->cols[s->col[0]] : NULL;
    wd_col *ac = s->col[1] >= 0 && s->need[1] ? &b->cols[s->col[1]] : NULL;
    wd_col *bc = s->col[2] >= 0 && s->need[2] ? &b->cols[s->col[2]] : NULL;
    const uint64_t n0 = s->next_n, step = s->par;
    const uint32_t off0 = (uint32_t)(n0 % NX_TOTAL), off_step = (uint32_t)(step % NX_TOTAL);

    for (uint32_t r = 0; r < rows; r++) ts[r] = nx_time(g, n0 + r * step);

    if (bc) {
        uint8_t *bv = bc->valid;
        int64_t *b_auction = NX_COL(bc, B_AUCTION, int64_t);
        int64_t *b_bidder = NX_COL(bc, B_BIDDER, int64_t);
        int64_t *b_price = NX_COL(bc, B_PRICE, int64_t);
        wd_str *b_channel = NX_COL(bc, B_CHANNEL, wd_str);
        wd_str *b_url = NX_COL(bc, B_URL, wd_str);
        int64_t *b_dt = NX_COL(bc, B_DATETIME, int64_t);
        wd_str *b_extra = NX_COL(bc, B_EXTRA, wd_str);
        uint64_t n = n0;
        uint32_t off = off0;
        for (uint32_t r = 0; r < rows; r++) {
            if (WD_LIKELY(off >= 4)) {
                nx_bid e;
                nx_gen_bid(g, n, &e);
                bv[r] = 1;
                b_auction[r] = e.auction;
                b_bidder[r] = e.bidder;
                b_price[r] = e.price;
                b_channel[r] = e.channel;
                b_url[r] = e.url;
                b_dt[r] = ts[r];
                b_extra[r] = e.extra;
            } else {
                bv[r] = 0;
                b_auction[r] = b_bidder[r] = b_price[r] = b_dt[r] = 0;
                b_channel[r] = b_url[r] = b_extra[r] = nx_empty;
            }
            n += step;
            off += off_step;
            if (off >= NX_TOTAL) off -= NX_TOTAL;
        }
    }

    if (ac) {
        nx_null_rows(ac, rows);
        uint64_t n = n0;
        uint32_t off = off0;
        for (uint32_t r = 0; r < rows; r++) {
            if (off - 1 < 3) {
                nx_auction e;
                nx_gen_auction(g, n, ts[r], &e);
                ac->valid[r] = 1;
                NX_COL(ac, A_ID, int64_t)[r] = e.id;
                NX_COL(ac, A_ITEM, wd_str)[r] = e.item_name;
                NX_COL(ac, A_DESC, wd_str)[r] = e.description;
                NX_COL(ac, A_INITIAL, int64_t)[r] = e.initial_bid;
                NX_COL(ac, A_RESERVE, int64_t)[r] = e.reserve;
                NX_COL(ac, A_DATETIME, int64_t)[r] = ts[r];
                NX_COL(ac, A_EXPIRES, int64_t)[r] = e.expires;
                NX_COL(ac, A_SELLER, int64_t)[r] = e.seller;
                NX_COL(ac, A_CATEGORY, int64_t)[r] = e.category;
                NX_COL(ac, A_EXTRA, wd_str)[r] = e.extra;
            }
            n += step;
            off += off_step;
            if (off >= NX_TOTAL) off -= NX_TOTAL;
        }
    }

    if (pc) {
        nx_null_rows(pc, rows);
        uint64_t n = n0;
        uint32_t off = off0;
        for (uint32_t r = 0; r < rows; r++) {
            if (off == 0) {
                nx_person e;
                nx_gen_person(g, n, scratch, &e);
                scratch += NX_PERSON_SCRATCH;
                pc->valid[r] = 1;
                NX_COL(pc, P_ID, int64_t)[r] = e.id;
                NX_COL(pc, P_NAME, wd_str)[r] = e.name;
                NX_COL(pc, P_EMAIL, wd_str)[r] = e.email;
                NX_COL(pc, P_CARD, wd_str)[r] = e.card;
                NX_COL(pc, P_CITY, wd_str)[r] = e.city;
                NX_COL(pc, P_STATE, wd_str)[r] = e.state;
                NX_COL(pc, P_DATETIME, int64_t)[r] = ts[r];
                NX_COL(pc, P_EXTRA, wd_str)[r] = e.extra;
            }
            n += step;
            off += off_step;
            if (off >= NX_TOTAL) off -= NX_TOTAL;
        }
    }
}

/* At most how many of rows consecutive events of a subtask (step par) are people. */
static size_t nx_person_bound(uint64_t par, uint32_t rows)
{
    uint32_t a = (uint32_t)(par % NX_TOTAL), m = NX_TOTAL;
    while (a) { /* gcd(par, 50) */
        uint32_t t = m % a;
        m = a;
        a = t;
    }
    uint32_t period = NX_TOTAL / m; /* a person every period rows */
    return rows / period + 1;
}

static int nx_make_batch(nx_source *s, uint32_t rows, wd_batch **out, wd_error *err)
{
    wd_batch *b = wd_batch_new_empty(s->schema);
    if (!b) return wd_err(err, WD_ENOMEM, "nexmark: out of memory");
    uint32_t tsi = s->schema->nfields - 1;
    int rc = 0;
    wd_col_init(&b->cols[tsi], s->schema->fields[tsi].type, rows, &b->arena);
    if (!b->cols[tsi].data) rc = WD_ENOMEM;
    b->cols[tsi].len = rows;
    for (int k = 0; k < 3 && !rc; k++) {
        if (s->col[k] < 0) continue;
        wd_col *c = &b->cols[s->col[k]];
        const wd_type *t = nx_table_fields[k].type;
        rc = s->need[k] ? nx_alloc_struct(b, c, t, rows) : nx_null_struct(b, c, t, rows);
    }
    char *scratch = NULL;
    if (!rc && s->col[0] >= 0 && s->need[0]) {
        scratch = wd_arena_alloc(&b->arena, NX_PERSON_SCRATCH * nx_person_bound(s->par, rows));
        if (!scratch) rc = WD_ENOMEM;
    }
    if (rc) {
        wd_batch_release(b);
        return wd_err(err, WD_ENOMEM, "nexmark: out of memory");
    }
    nx_fill(s, b, rows, scratch);
    b->nrows = rows;
    s->next_n += (uint64_t)rows * s->par;
    *out = b;
    return 0;
}

/* Events the current phase still has to produce. */
static uint64_t nx_remaining(const nx_source *s)
{
    if (s->next_n >= s->end_n) return 0;
    return (s->end_n - 1 - s->next_n) / s->par + 1;
}

/* Restored phases: continue with the one furthest behind. */
static uint64_t nx_advance(nx_source *s)
{
    if (s->nph == 0) return nx_remaining(s);
    s->ph[s->cur] = (nx_phase){s->next_n, s->par, s->end_n};
    uint32_t best = s->cur;
    for (uint32_t i = 0; i < s->nph; i++) {
        const nx_phase *p = &s->ph[i], *b = &s->ph[best];
        if (p->next < p->end && (b->next >= b->end || p->next < b->next)) best = i;
    }
    s->cur = best;
    s->next_n = s->ph[best].next;
    s->par = s->ph[best].step;
    s->end_n = s->ph[best].end;
    return nx_remaining(s);
}

static int nx_next(wd_source *src, wd_batch **out, int64_t *wait_ns, wd_error *err)
{
    nx_source *s = (nx_source *)src;
    uint64_t left = nx_advance(s);
    if (left == 0) {
        s->ended = true;
        return WD_SRC_END;
    }
    uint64_t rows = left < s->rows ? left : s->rows;
    if (s->paced) {
        int64_t el = wd_mono_ns() - s->start_mono;
        if (el < 0) el = 0;
        /* the events n < due_all are due */
        uint64_t due_all = nx_count_le(s->g.delay_fp, (unsigned __int128)el);
        uint64_t due = due_all > s->next_n ? (due_all - 1 - s->next_n) / s->par + 1 : 0;
        int64_t first_due = (int64_t)nx_off(&s->g, s->next_n);
        if (due == 0) {
            *wait_ns = first_due - el > 0 ? first_due - el : 1;
            return WD_SRC_IDLE;
        }
        if (due < rows) {
            /* A partial batch: wait for a full one unless the oldest pending
             * event would wait longer than linger. */
            int64_t full_at = (int64_t)nx_off(&s->g, s->next_n + (rows - 1) * s->par);
            int64_t flush_at = first_due + s->linger;
            int64_t at = full_at < flush_at ? full_at : flush_at;
            if (el < at) {
                *wait_ns = at - el;
                return WD_SRC_IDLE;
            }
            rows = due;
        }
    }
    int rc = nx_make_batch(s, (uint32_t)rows, out, err);
    return rc ? rc : WD_SRC_BATCH;
}

/* Exact: just before the earliest event any remaining phase will produce. */
static int64_t nx_watermark(wd_source *src)
{
    nx_source *s = (nx_source *)src;
    if (s->ended) return INT64_MAX;
    uint64_t first = s->next_n < s->end_n ? s->next_n : UINT64_MAX;
    for (uint32_t i = 0; i < s->nph; i++)
        if (i != s->cur && s->ph[i].next < s->ph[i].end && s->ph[i].next < first)
            first = s->ph[i].next;
    return first == UINT64_MAX ? INT64_MAX : nx_time(&s->g, first) - 1;
}

/* ---- checkpoints ------------------------------------------------------------ */

#define NX_TABLE "nexmark"
#define NX_SNAP_V1 1u /* version, base, phases (seed and rate: the options') */
#define NX_SNAP_VERSION 2u
#define NX_DELAY_MAX 10485760000000000000ULL /* the delay at the lowest event_rate */

/*
 * One record per subtask: version, base time, seed, inter-event delay
 * (everything an event is a function of besides its number), then the
 * progressions it has left: (next, step, end) each.
 */
static int nx_snapshot(wd_source *src, wd_snap_out *w, wd_error *err)
{
    nx_source *s = (nx_source *)src;
    int rc = wd_snap_table_begin(w, NX_TABLE, WD_SNAP_GLOBAL, err);
    if (rc < 0) return rc;
    wd_buf *b = wd_snap_rec_begin(w, 0);
    wd_snap_put_u32(b, NX_SNAP_VERSION);
    wd_snap_put_i64(b, s->g.base);
    wd_snap_put_u64(b, (uint64_t)s->cfg.seed);
    wd_snap_put_u64(b, s->g.delay_fp);
    if (s->nph) s->ph[s->cur] = (nx_phase){s->next_n, s->par, s->end_n};
    nx_phase one = {s->next_n, s->par, s->end_n};
    const nx_phase *ph = s->nph ? s->ph : &one;
    uint32_t n = s->nph ? s->nph : 1;
    wd_snap_put_u32(b, n);
    for (uint32_t i = 0; i < n; i++) {
        wd_snap_put_u64(b, ph[i].next);
        wd_snap_put_u64(b, ph[i].step);
        wd_snap_put_u64(b, ph[i].end);
    }
    wd_snap_rec_end(w);
    return 0;
}

/* x with a·x ≡ 1 (mod m), for gcd(a, m) = 1 (extended Euclid). */
static uint64_t nx_inverse(uint64_t a, uint64_t m)
{
    __int128 t = 0, nt = 1, r = (__int128)m, nr = (__int128)(a % m);
    while (nr) {
        __int128 q = r / nr, x;
        x = t - q * nt, t = nt, nt = x;
        x = r - q * nr, r = nr, nr = x;
    }
    return (uint64_t)(t < 0 ? t + (__int128)m : t);
}

static uint64_t nx_gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/*
 * The events of phase ph (next < end, step ≥ 1) that are ≡ j (mod p):
 * again a progression (the Chinese remainder theorem).  Returns 1 with
 * *out, 0 when there are none, -1 when its step would not fit 64 bits.
 */
static int nx_split(const nx_phase *ph, uint64_t j, uint64_t p, nx_phase *out)
{
    uint64_t a = ph->next, st = ph->step, g = nx_gcd(st, p);
    uint64_t d = (j + p - a % p) % p; /* need st·k ≡ d (mod p) */
    if (d % g) return 0;
    uint64_t pg = p / g;
    uint64_t k = pg == 1 ? 0
                         : (uint64_t)((unsigned __int128)(d / g) * nx_inverse((st / g) % pg, pg) % pg);
    unsigned __int128 first = (unsigned __int128)a + (unsigned __int128)st * k;
    unsigned __int128 step = (unsigned __int128)(st / g) * p;
    if (first >= ph->end) return 0;
    if (step > UINT64_MAX) return -1;
    *out = (nx_phase){(uint64_t)first, (uint64_t)step, ph->end};
    return 1;
}

static int nx_phase_cmp(const void *x, const void *y)
{
    const nx_phase *a = x, *b = y;
    return a->next < b->next ? -1 : a->next > b->next;
}

/* Append ph to the growing array *v (*n used, *cap allocated). */
static int nx_phase_push(nx_phase **v, uint32_t *n, uint32_t *cap, nx_phase ph)
{
    if (*n == *cap) {
        uint32_t c = *cap ? *cap * 2 : 8;
        nx_phase *t = wd_realloc(*v, c * sizeof *t);
        if (!t) return WD_ENOMEM;
        *v = t;
        *cap = c;
    }
    (*v)[(*n)++] = ph;
    return 0;
}

/*
 * Resume from the old subtasks' records: this subtask (j of p) produces,
 * of every progression an old subtask had left, the events ≡ j (mod p) —
 * so over all new subtasks every event not yet produced is produced once,
 * and none produced before is produced again.  The generator is the one
 * the records describe (base time, seed, rate), not the wall clock's.
 */
static int nx_restore(wd_source *src, wd_snap_in *r, wd_error *err)
{
    nx_source *s = (nx_source *)src;
    nx_phase *ph = NULL;
    uint32_t nph = 0, cap = 0;
    int64_t base = 0;
    uint64_t seed = (uint64_t)s->cfg.seed, delay = s->g.delay_fp;
    bool have = false;
    wd_snap_rec rec;
    int rc;
    wd_snap_in_open(r, NX_TABLE);
    while ((rc = wd_snap_in_next(r, &rec, err)) == 1) {
        wd_rd d;
        wd_rd_init(&d, rec.data, rec.len);
        uint32_t ver = wd_rd_u32(&d);
        int64_t b = wd_rd_i64(&d);
        uint64_t sd = seed, dl = delay;
        if (ver == NX_SNAP_VERSION) {
            sd = wd_rd_u64(&d);
            dl = wd_rd_u64(&d);
        }
        uint32_t n = wd_rd_u32(&d);
        bool other = have && (b != base || sd != seed || dl != delay); /* another generator */
        if (d.bad || (ver != NX_SNAP_VERSION && ver != NX_SNAP_V1) || dl == 0 ||
            dl > NX_DELAY_MAX || b == INT64_MIN || n > (uint32_t)(rec.len / 24) || other) {
            rc = wd_snap_bad_record(r, err);
            break;
        }
        base = b, seed = sd, delay = dl;
        have = true;
        nx_gen g;
        nx_gen_init_fp(&g, seed, base, delay);
        uint64_t lim = nx_time_limit(&g);
        int bad = 0;
        for (uint32_t i = 0; i < n && bad == 0; i++) {
            nx_phase old, mine; /* one field at a time: the reads are in order */
            old.next = wd_rd_u64(&d);
            old.step = wd_rd_u64(&d);
            old.end = wd_rd_u64(&d);
            if (d.bad || old.step == 0 || (old.next < old.end && old.end > lim)) {
                d.bad = true; /* events whose times would not fit */
                break;
            }
            if (old.next >= old.end) continue; /* that progression was finished */
            int k = nx_split(&old, s->subtask, r->parallelism, &mine);
            if (k < 0)
                bad = wd_err(err, WD_EUNSUPPORTED,
                             "nexmark: cannot split the events left at parallelism %u",
                             r->parallelism);
            else if (k > 0 && nx_phase_push(&ph, &nph, &cap, mine) < 0)
                bad = wd_err(err, WD_ENOMEM, "nexmark: out of memory");
        }
        if (bad == 0 && !wd_rd_done(&d)) bad = wd_snap_bad_record(r, err);
        if (bad < 0) {
            rc = bad;
            break;
        }
    }
    if (rc < 0 || !have) {
        wd_free(ph);
        return rc;
    }
    nx_gen_init_fp(&s->g, seed, base, delay);
    s->cfg.seed = (int64_t)seed;
    if (nph > 1) qsort(ph, nph, sizeof *ph, nx_phase_cmp);
    wd_free(s->ph);
    s->ph = ph;
    s->nph = nph;
    s->cur = 0;
    s->ended = false;
    if (nph) {
        s->next_n = ph[0].next;
        s->par = ph[0].step;
        s->end_n = ph[0].end;
    } else {
        s->next_n = s->end_n = 0; /* nothing left */
        s->par = 1;
    }
    if (nph == 1) s->nph = 0; /* one progression: the plain path */
    /* pacing continues from the earliest event left, due now */
    uint64_t first = nph ? ph[0].next : 0, off = nx_off(&s->g, first);
    s->start_mono = wd_mono_ns() - (int64_t)(off < INT64_MAX / 4 ? off : INT64_MAX / 4);
    return 0;
}

static uint64_t nx_dropped(wd_source *src)
{
    (void)src;
    return 0;
}

static void nx_close(wd_source *src)
{
    wd_free(((nx_source *)src)->ph);
    wd_free(src);
}

static const wd_source_vt nx_vt = {.next = nx_next,
                                   .watermark = nx_watermark,
                                   .dropped = nx_dropped,
                                   .snapshot = nx_snapshot,
                                   .restore = nx_restore,
                                   .close = nx_close};

/* Number of events whose times (an auction's expiry too) fit int64. */
static uint64_t nx_time_limit(const nx_gen *g)
{
    __int128 room = (__int128)INT64_MAX - g->base - (__int128)g->horizon2 - 1;
    return room < 0 ? 0 : nx_count_le(g->delay_fp, (unsigned __int128)room);
}

/* Global event limit for cfg: event_count, runtime, and the int64 time range. */
static uint64_t nx_end(const nx_gen *g, const nx_cfg *c)
{
    uint64_t end = UINT64_MAX;
    if (c->count >= 0) end = (uint64_t)c->count;
    if (c->runtime >= 0) {
        /* events whose time is < base + runtime */
        unsigned __int128 r = (unsigned __int128)(c->runtime * 1e9 + 0.5);
        unsigned __int128 lim = ((r << NX_FP) + g->delay_fp - 1) / g->delay_fp;
        if (lim < end) end = (uint64_t)lim;
    }
    uint64_t lim = nx_time_limit(g);
    return lim < end ? lim : end;
}

static int nx_open(const wd_source_spec *spec, wd_source **out, wd_error *err)
{
    nx_cfg c;
    int rc = nx_parse(spec->opts, &c, err);
    if (rc) return rc;
    pthread_once(&nx_once, nx_init);
    const wd_type *sch = spec->schema;
    if (!sch || sch->id != WD_T_STRUCT || sch->nfields < 1)
        return wd_err(err, WD_EINTERNAL, "nexmark: bad schema");
    nx_source *s = wd_calloc(1, sizeof *s);
    if (!s) return wd_err(err, WD_ENOMEM, "nexmark: out of memory");
    s->base.vt = &nx_vt;
    s->schema = sch;
    s->col[0] = s->col[1] = s->col[2] = -1;
    for (uint32_t i = 0; i + 1 < sch->nfields; i++) {
        int k = -1;
        for (int j = 0; j < 3; j++)
            if (strcasecmp(sch->fields[i].name, nx_table_fields[j].name) == 0) k = j;
        if (k < 0 || s->col[k] >= 0 || !wd_type_eq(sch->fields[i].type, nx_table_fields[k].type)) {
            wd_free(s);
            return wd_err(err, WD_EINTERNAL, "nexmark: unexpected column '%s' in the source schema",
                          sch->fields[i].name);
        }
        s->col[k] = (int)i;
        s->need[k] = !spec->needed || spec->needed[i];
    }
    s->subtask = spec->subtask;
    uint32_t par = spec->parallelism ? spec->parallelism : 1;
    s->par = par;
    if (s->subtask >= par) {
        wd_free(s);
        return wd_err(err, WD_EINTERNAL, "nexmark: subtask %u of %u", spec->subtask, par);
    }
    s->rows = spec->batch_rows ? spec->batch_rows : WD_BATCH_ROWS;
    if (s->rows > NX_MAX_ROWS) s->rows = NX_MAX_ROWS;
    int64_t base = c.has_base ? c.base : nx_default_base(spec->opts, par);
    if ((rc = nx_gen_init(&s->g, (uint64_t)c.seed, base, c.rate, err))) {
        wd_free(s);
        return rc;
    }
    s->cfg = c;
    s->next_n = s->subtask;
    s->end_n = nx_end(&s->g, &c);
    s->paced = c.paced;
    s->linger = spec->linger_ns > 0 ? spec->linger_ns : NX_DEFAULT_LINGER_NS;
    s->start_mono = wd_mono_ns();
    *out = &s->base;
    return 0;
}

static const wd_opt_def nx_opts[] = {
    {"event_rate", WD_OPT_FLOAT, "100", false, NULL,
     "events per second over all subtasks: event n has time base_time + n / event_rate"},
    {"runtime", WD_OPT_FLOAT, NULL, false, NULL,
     "seconds of event time to generate: the events with time < base_time + runtime "
     "(paced, that is runtime seconds of wall clock); unbounded when absent"},
    {"event_count", WD_OPT_INT, NULL, false, NULL,
     "total events over all subtasks, then the source ends; unbounded when absent"},
    {"seed", WD_OPT_INT, "0", false, NULL, "PRNG seed: same seed, same events"},
    {"base_time", WD_OPT_TIME, NULL, false, NULL,
     "event time of event 0 (RFC 3339 or epoch millis); default: wall clock at start"},
    {"paced", WD_OPT_BOOL, "true", false, NULL,
     "'true': emit events at event_rate in wall-clock time; 'false': as fast as possible"},
};

const wd_connector wd_conn_nexmark = {
    .name = "nexmark",
    .doc = "Nexmark auction events: person, auction, bid struct columns",
    .opts = nx_opts,
    .nopts = sizeof nx_opts / sizeof nx_opts[0],
    .source = true,
    .sink = false,
    .bounded = false,
    .fixed_schema = nx_fixed_schema,
    .validate = nx_validate,
    .open_source = nx_open,
    .open_sink = NULL,
};

/* ---- one event as JSON ---------------------------------------------------- */

static void nx_json_ts(wd_buf *out, int64_t t)
{
    char tb[40];
    size_t n = wd_ts_format(t, tb);
    wd_buf_json_str(out, tb, n);
}

static void nx_json_str(wd_buf *out, const char *key, wd_str v)
{
    wd_buf_printf(out, ",\"%s\":", key);
    wd_buf_json_str(out, v.ptr, v.len);
}

int64_t wd_nexmark_event_time(int64_t base_time_ns, double event_rate, uint64_t n)
{
    nx_gen g = {0};
    if (nx_gen_init(&g, 0, base_time_ns, event_rate, NULL)) return INT64_MIN;
    return nx_time(&g, n);
}

int wd_nexmark_event_json(uint64_t seed, int64_t base_time_ns, double event_rate, uint64_t n,
                          wd_buf *out)
{
    nx_gen g = {0};
    int rc = nx_gen_init(&g, seed, base_time_ns, event_rate, NULL);
    if (rc) return rc;
    pthread_once(&nx_once, nx_init);
    int64_t t = nx_time(&g, n);
    uint32_t off = (uint32_t)(n % NX_TOTAL);
    if (off == 0) {
        nx_person p;
        char scratch[48];
        nx_gen_person(&g, n, scratch, &p);
        wd_buf_printf(out, "{\"person\":{\"id\":%lld", (long long)p.id);
        nx_json_str(out, "name", p.name);
        nx_json_str(out, "email_address", p.email);
        nx_json_str(out, "credit_card", p.card);
        nx_json_str(out, "city", p.city);
        nx_json_str(out, "state", p.state);
        wd_buf_puts(out, ",\"datetime\":");
        nx_json_ts(out, t);
        nx_json_str(out, "extra", p.extra);
        wd_buf_puts(out, "},\"auction\":null,\"bid\":null}");
    } else if (off < 4) {
        nx_auction a;
        nx_gen_auction(&g, n, t, &a);
        wd_buf_printf(out, "{\"person\":null,\"auction\":{\"id\":%lld", (long long)a.id);
        nx_json_str(out, "item_name", a.item_name);
        nx_json_str(out, "description", a.description);
        wd_buf_printf(out, ",\"initial_bid\":%lld,\"reserve\":%lld,\"datetime\":",
                      (long long)a.initial_bid, (long long)a.reserve);
        nx_json_ts(out, t);
        wd_buf_puts(out, ",\"expires\":");
        nx_json_ts(out, a.expires);
        wd_buf_printf(out, ",\"seller\":%lld,\"category\":%lld", (long long)a.seller,
                      (long long)a.category);
        nx_json_str(out, "extra", a.extra);
        wd_buf_puts(out, "},\"bid\":null}");
    } else {
        nx_bid b;
        nx_gen_bid(&g, n, &b);
        wd_buf_printf(out,
                      "{\"person\":null,\"auction\":null,\"bid\":{\"auction\":%lld,\"bidder\":%lld,"
                      "\"price\":%lld",
                      (long long)b.auction, (long long)b.bidder, (long long)b.price);
        nx_json_str(out, "channel", b.channel);
        nx_json_str(out, "url", b.url);
        wd_buf_puts(out, ",\"datetime\":");
        nx_json_ts(out, t);
        nx_json_str(out, "extra", b.extra);
        wd_buf_puts(out, "}}");
    }
    return 0;
}
