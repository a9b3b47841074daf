/*
 * agg_stats.c — stddev (= stddev_samp), stddev_pop, variance (= var_samp),
 * var_samp, var_pop over numeric arguments; all DOUBLE.
 *
 * State: count plus compensated sums of (x - k) and (x - k)² around a
 * shift k (the first value), see wstate.  Welford's running mean was the
 * first choice, but run backwards for retraction it loses everything
 * next to a large value (insert 1e15 then retract it: the variance of the
 * rest is gone); compensated shifted sums give back the earlier result.
 * merge re-shifts one state onto the other's k.  The sample forms are NULL
 * for fewer than 2 values, the population forms for none; m2 is clamped
 * at 0.
 *
 * Exports (to agg.c): wd_agg__stats.
 */
#include "agg/agg_int.h"

#include <math.h>

static bool stats_arg_ok(const wd_type *t) { return t && wd_type_is_numeric(t->id); }

#define RESOLVER(fn, NAME)                                                                    \
    static const wd_type *fn(wd_arena *a, const wd_type *arg, wd_error *err)                  \
    {                                                                                         \
        if (stats_arg_ok(arg)) return WD_TYPE_FLOAT64;                                        \
        return wd_agg__type_error(err, NAME, arg, "a numeric argument");                      \
    }

RESOLVER(stddev_resolve, "stddev")
RESOLVER(stddev_samp_resolve, "stddev_samp")
RESOLVER(stddev_pop_resolve, "stddev_pop")
RESOLVER(variance_resolve, "variance")
RESOLVER(var_samp_resolve, "var_samp")
RESOLVER(var_pop_resolve, "var_pop")

static uint32_t stats_size(const wd_type *arg) { return 48; }

/*
 * Shifted sums: k is the first value seen (the shift), s1 = Σ(x - k) and
 * s2 = Σ(x - k)², each a Neumaier-compensated pair (value, compensation).
 * Shifting keeps Σx² - (Σx)²/n from cancelling catastrophically for data
 * far from 0; compensation lets a retraction remove exactly what its
 * insert added, even next to much larger values.  (x - k)² is split
 * exactly into a product and its rounding error with fma.
 */
typedef struct wstate {
    int64_t n;
    double k;
    double s1, c1;
    double s2, c2;
} wstate;

/* Neumaier: add x to (*s, *c). */
static inline void kadd(double *s, double *c, double x)
{
    double t = *s + x;
    if (fabs(*s) >= fabs(x))
        *c += (*s - t) + x;
    else
        *c += (x - t) + *s;
    *s = t;
}

static inline void w_acc(wstate *w, double x, double sg)
{
    double d = x - w->k;
    double p = d * d;
    double e = fma(d, d, -p);
    kadd(&w->s1, &w->c1, sg * d);
    kadd(&w->s2, &w->c2, sg * p);
    w->c2 += sg * e;
}

static inline void w_add(wstate *w, double x)
{
    if (w->n <= 0) {
        memset(w, 0, sizeof *w);
        w->k = isfinite(x) ? x : 0;
    }
    wd_agg__add64(&w->n, 1);
    w_acc(w, x, 1.0);
}

static inline void w_remove(wstate *w, double x)
{
    if (w->n <= 1) {
        memset(w, 0, sizeof *w);
        return;
    }
    wd_agg__add64(&w->n, -1);
    w_acc(w, x, -1.0);
}

#define W_LOOP(T, CONV)                                                                       \
    do {                                                                                      \
        const T *v = arg->data;                                                               \
        if (sign > 0) {                                                                       \
            for (uint32_t i = 0; i < n; i++) {                                                \
                uint32_t r = rows[i] & cm;                                                    \
                if (va && !va[r]) continue;                                                   \
                w_add((wstate *)WD_AGG_ST(base, stride, slots[i], off), CONV(v[r]));          \
            }                                                                                 \
        } else {                                                                              \
            for (uint32_t i = 0; i < n; i++) {                                                \
                uint32_t r = rows[i] & cm;                                                    \
                if (va && !va[r]) continue;                                                   \
                w_remove((wstate *)WD_AGG_ST(base, stride, slots[i], off), CONV(v[r]));       \
            }                                                                                 \
        }                                                                                     \
    } while (0)

#define TO_D(x) ((double)(x))

static void stats_update(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *base, uint32_t stride,
                         const uint32_t *slots, const wd_col *arg, const uint32_t *rows,
                         uint32_t n, int sign)
{
    if (!arg) return;
    const uint32_t off = s->offset;
    const uint32_t cm = wd_agg__cmask(arg);
    const uint8_t *va = arg->valid;
    switch (arg->type->id) {
    case WD_T_INT16: W_LOOP(int16_t, TO_D); break;
    case WD_T_INT32: W_LOOP(int32_t, TO_D); break;
    case WD_T_INT64: W_LOOP(int64_t, TO_D); break;
    case WD_T_UINT16: W_LOOP(uint16_t, TO_D); break;
    case WD_T_UINT32: W_LOOP(uint32_t, TO_D); break;
    case WD_T_UINT64: W_LOOP(uint64_t, TO_D); break;
    case WD_T_FLOAT32: W_LOOP(float, TO_D); break;
    case WD_T_FLOAT64: W_LOOP(double, TO_D); break;
    case WD_T_DECIMAL: {
        const char *v = arg->data;
        int scale = arg->type->scale;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t r = rows[i] & cm;
            if (va && !va[r]) continue;
            double x = wd_agg__dec_to_double(wd_agg__ld128(v + (size_t)r * 16), scale);
            wstate *w = (wstate *)WD_AGG_ST(base, stride, slots[i], off);
            if (sign > 0)
                w_add(w, x);
            else
                w_remove(w, x);
        }
        break;
    }
    default: break;
    }
}

static void stats_merge(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *dst, const uint8_t *src)
{
    wstate *a = (wstate *)dst;
    const wstate *b = (const wstate *)src;
    if (b->n <= 0) return;
    if (a->n <= 0) {
        *a = *b;
        return;
    }
    /* b's sums re-shifted to a's k: Σ(x-ka) = Σ(x-kb) + n·δ,
     * Σ(x-ka)² = Σ(x-kb)² + 2δ·Σ(x-kb) + n·δ², δ = kb - ka */
    double delta = b->k - a->k, nb = (double)b->n;
    double b1 = b->s1 + b->c1, b2 = b->s2 + b->c2;
    kadd(&a->s1, &a->c1, b1);
    kadd(&a->s1, &a->c1, nb * delta);
    kadd(&a->s2, &a->c2, b2);
    kadd(&a->s2, &a->c2, 2 * delta * b1);
    kadd(&a->s2, &a->c2, nb * delta * delta);
    wd_agg__add64(&a->n, b->n);
}

static void stats_out(const uint8_t *st, wd_col *out, uint32_t row, wd_arena *a, bool samp,
                      bool root)
{
    const wstate *w = (const wstate *)st;
    if (w->n <= 0 || (samp && w->n < 2)) {
        wd_agg__out_null(out, row, a);
        return;
    }
    double n = (double)w->n, s1 = w->s1 + w->c1, s2 = w->s2 + w->c2;
    double m2 = s2 - s1 * s1 / n;
    if (!(m2 > 0)) m2 = isnan(m2) ? m2 : 0;
    double v = m2 / (samp ? n - 1 : n);
    wd_agg__out_row(out, row, a);
    ((double *)out->data)[row] = root ? sqrt(v) : v;
}

static void fin_stddev_samp(const wd_agg_spec *s, const uint8_t *st, wd_col *out, uint32_t row,
                            wd_arena *a)
{
    stats_out(st, out, row, a, true, true);
}

static void fin_stddev_pop(const wd_agg_spec *s, const uint8_t *st, wd_col *out, uint32_t row,
                           wd_arena *a)
{
    stats_out(st, out, row, a, false, true);
}

static void fin_var_samp(const wd_agg_spec *s, const uint8_t *st, wd_col *out, uint32_t row,
                         wd_arena *a)
{
    stats_out(st, out, row, a, true, false);
}

static void fin_var_pop(const wd_agg_spec *s, const uint8_t *st, wd_col *out, uint32_t row,
                        wd_arena *a)
{
    stats_out(st, out, row, a, false, false);
}

#define STATS_FN(NAME, RESOLVE, FINALIZE, DOC) \
    WD_AGG_DEF(NAME, 1, WD_AGG_RETRACT, DOC, RESOLVE, stats_size, stats_update, FINALIZE, \
               stats_merge, false, NULL, NULL)

static const wd_agg_def stddev_def = STATS_FN(
    "stddev", stddev_resolve, fin_stddev_samp,
    "Sample standard deviation of the non-NULL values (NULL for fewer than 2). DOUBLE.");
static const wd_agg_def stddev_samp_def = STATS_FN(
    "stddev_samp", stddev_samp_resolve, fin_stddev_samp,
    "Sample standard deviation of the non-NULL values (NULL for fewer than 2). DOUBLE.");
static const wd_agg_def stddev_pop_def =
    STATS_FN("stddev_pop", stddev_pop_resolve, fin_stddev_pop,
             "Population standard deviation of the non-NULL values. DOUBLE.");
static const wd_agg_def variance_def =
    STATS_FN("variance", variance_resolve, fin_var_samp,
             "Sample variance of the non-NULL values (NULL for fewer than 2). DOUBLE.");
static const wd_agg_def var_samp_def =
    STATS_FN("var_samp", var_samp_resolve, fin_var_samp,
             "Sample variance of the non-NULL values (NULL for fewer than 2). DOUBLE.");
static const wd_agg_def var_pop_def = STATS_FN("var_pop", var_pop_resolve, fin_var_pop,
                                               "Population variance of the non-NULL values. DOUBLE.");

const wd_agg_def *const wd_agg__stats[] = {&stddev_def,   &stddev_samp_def, &stddev_pop_def,
                                           &variance_def, &var_samp_def,    &var_pop_def,
                                           NULL};
