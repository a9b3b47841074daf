/*
 * agg_basic.c — count, sum, avg (alias mean), bool_and, bool_or, bit_and,
 * bit_or.
 *
 * Result types:
 *   count(*), count(x)   BIGINT (x of any type)
 *   sum(x)               BIGINT for integers, DOUBLE for REAL/DOUBLE,
 *                        DECIMAL(38,s) for DECIMAL(p,s), INTERVAL for INTERVAL
 *   avg(x), mean(x)      DOUBLE for integers and floats, DECIMAL(38,min(s+4,38))
 *                        for DECIMAL(p,s)
 *   bool_and, bool_or    BOOLEAN of BOOLEAN
 *   bit_and, bit_or      the integer argument's type
 *
 * Overflow: integer sums accumulate in __int128 (no realistic stream
 * overflows it); a sum outside BIGINT's range finalizes to NULL.  DECIMAL
 * sums that leave __int128 or 38 digits, and INTERVAL sums whose months or
 * days leave INT or nanoseconds leave BIGINT, finalize to NULL as well (an
 * aggregate has no error channel).  Float sums use Neumaier-compensated
 * summation, so that retracting values gives back the earlier sum closely.
 *
 * count, sum, avg, bool_and and bool_or are retractable; bit_and and
 * bit_or are not (their updates ignore sign -1).
 *
 * Exports (to agg.c): wd_agg__basic.
 */
#include "agg/agg_int.h"

#include <math.h>

/* ---- count ------------------------------------------------------------------------ */

static const wd_type *count_resolve(wd_arena *a, const wd_type *arg, wd_error *err)
{
    return WD_TYPE_INT64;
}

static uint32_t size8(const wd_type *arg) { return 8; }

static void count_update(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *base, uint32_t stride,
                         const uint32_t *slots, const wd_col *arg, const uint32_t *rows,
                         uint32_t n, int sign)
{
    const uint32_t off = s->offset;
    int64_t d = sign < 0 ? -1 : 1;
    if (arg && arg->type->id == WD_T_NULL) return;
    if (!arg || !arg->valid) {
        for (uint32_t i = 0; i < n; i++)
            wd_agg__add64((int64_t *)WD_AGG_ST(base, stride, slots[i], off), d);
        return;
    }
    const uint32_t cm = wd_agg__cmask(arg);
    const uint8_t *va = arg->valid;
    for (uint32_t i = 0; i < n; i++)
        wd_agg__add64((int64_t *)WD_AGG_ST(base, stride, slots[i], off), va[rows[i] & cm] ? d : 0);
}

static void count_merge(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *dst, const uint8_t *src)
{
    wd_agg__add64((int64_t *)dst, *(const int64_t *)src);
}

static void count_finalize(const wd_agg_spec *s, const uint8_t *st, wd_col *out, uint32_t row,
                           wd_arena *a)
{
    wd_agg__out_row(out, row, a);
    ((int64_t *)out->data)[row] = *(const int64_t *)st;
}

static const wd_agg_def count_def =
    WD_AGG_DEF("count", 0, WD_AGG_RETRACT,
               "count(*): number of rows; count(x): number of non-NULL values of x. BIGINT.",
               count_resolve, size8, count_update, count_finalize, count_merge, false, NULL,
               NULL);

/* ---- sum / avg ------------------------------------------------------------------------ */

/*
 * States by argument kind:
 *   integer  { __int128 sum @0; int64 n @16 }
 *   float    { double sum @0; double comp @8; int64 n @16 }
 *   decimal  { __int128 sum @0; int64 n @16; int64 overflowed @24 }
 *   interval { int64 months @0; int64 days @8; __int128 nanos @16; int64 n @32 }
 */
enum { K_INT, K_FLT, K_DEC, K_IVL, K_BAD };

static int sum_kind(const wd_type *t)
{
    if (!t) return K_BAD;
    if (wd_type_is_int(t->id)) return K_INT;
    if (wd_type_is_float(t->id)) return K_FLT;
    if (t->id == WD_T_DECIMAL) return K_DEC;
    if (t->id == WD_T_INTERVAL) return K_IVL;
    return K_BAD;
}

static const wd_type *sum_resolve(wd_arena *a, const wd_type *arg, wd_error *err)
{
    switch (sum_kind(arg)) {
    case K_INT: return WD_TYPE_INT64;
    case K_FLT: return WD_TYPE_FLOAT64;
    case K_DEC: return wd_type_decimal(a, 38, arg->scale);
    case K_IVL: return WD_TYPE_INTERVAL;
    default: return wd_agg__type_error(err, "sum", arg, "a numeric or interval argument");
    }
}

static const wd_type *avg_resolve_named(wd_arena *a, const wd_type *arg, wd_error *err,
                                        const char *name)
{
    switch (sum_kind(arg)) {
    case K_INT:
    case K_FLT: return WD_TYPE_FLOAT64;
    case K_DEC: return wd_type_decimal(a, 38, arg->scale + 4 > 38 ? 38 : arg->scale + 4);
    default: return wd_agg__type_error(err, name, arg, "a numeric argument");
    }
}

static const wd_type *avg_resolve(wd_arena *a, const wd_type *arg, wd_error *err)
{
    return avg_resolve_named(a, arg, err, "avg");
}

static const wd_type *mean_resolve(wd_arena *a, const wd_type *arg, wd_error *err)
{
    return avg_resolve_named(a, arg, err, "mean");
}

static uint32_t sum_size(const wd_type *arg)
{
    switch (sum_kind(arg)) {
    case K_DEC: return 32;
    case K_IVL: return 40;
    default: return 24;
    }
}

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

#define ROWS_LOOP(...)                                                                        \
    do {                                                                                      \
        if (!va) {                                                                            \
            for (uint32_t i = 0; i < n; i++) {                                                \
                uint32_t r = rows[i] & cm;                                                    \
                uint8_t *p = WD_AGG_ST(base, stride, slots[i], off);                          \
                __VA_ARGS__                                                                   \
            }                                                                                 \
        } else {                                                                              \
            for (uint32_t i = 0; i < n; i++) {                                                \
                uint32_t r = rows[i] & cm;                                                    \
                if (!va[r]) continue;                                                         \
                uint8_t *p = WD_AGG_ST(base, stride, slots[i], off);                          \
                __VA_ARGS__                                                                   \
            }                                                                                 \
        }                                                                                     \
    } while (0)

#define SUM_INT(T)                                                                            \
    do {                                                                                      \
        const T *v = arg->data;                                                               \
        if (sign > 0)                                                                         \
            ROWS_LOOP({                                                                       \
                wd_agg__st128(p, wd_agg__add128(wd_agg__ld128(p), (wd_i128)v[r]));            \
                wd_agg__add64((int64_t *)(p + 16), 1);                                        \
            });                                                                               \
        else                                                                                  \
            ROWS_LOOP({                                                                       \
                wd_agg__st128(p, wd_agg__add128(wd_agg__ld128(p), -(wd_i128)v[r]));           \
                wd_agg__add64((int64_t *)(p + 16), -1);                                       \
            });                                                                               \
    } while (0)

#define SUM_FLT(T)                                                                            \
    do {                                                                                      \
        const T *v = arg->data;                                                               \
        double sg = sign > 0 ? 1.0 : -1.0;                                                    \
        ROWS_LOOP({                                                                           \
            kadd((double *)p, (double *)(p + 8), sg * (double)v[r]);                          \
            wd_agg__add64((int64_t *)(p + 16), sign);                                         \
        });                                                                                   \
    } while (0)

static void sum_update(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *base, uint32_t stride,
                       const uint32_t *slots, const wd_col *arg, const uint32_t *rows, uint32_t n,
                       int sign)
{
    if (!arg || arg->type->id == WD_T_NULL) return;
    sign = sign < 0 ? -1 : 1;
    const uint32_t off = s->offset;
    const uint32_t cm = wd_agg__cmask(arg);
    const uint8_t *va = arg->valid;
    switch (arg->type->id) {
    case WD_T_INT64:
        if (!va && cm && sign > 0) { /* fast path */
            const int64_t *v = arg->data;
            for (uint32_t i = 0; i < n; i++) {
                uint8_t *p = WD_AGG_ST(base, stride, slots[i], off);
                wd_agg__st128(p, wd_agg__add128(wd_agg__ld128(p), v[rows[i]]));
                wd_agg__add64((int64_t *)(p + 16), 1);
            }
            return;
        }
        SUM_INT(int64_t);
        return;
    case WD_T_INT16: SUM_INT(int16_t); return;
    case WD_T_INT32: SUM_INT(int32_t); return;
    case WD_T_UINT16: SUM_INT(uint16_t); return;
    case WD_T_UINT32: SUM_INT(uint32_t); return;
    case WD_T_UINT64: SUM_INT(uint64_t); return;
    case WD_T_FLOAT32: SUM_FLT(float); return;
    case WD_T_FLOAT64:
        if (!va && cm) { /* fast path */
            const double *v = arg->data;
            double sg = sign > 0 ? 1.0 : -1.0;
            for (uint32_t i = 0; i < n; i++) {
                uint8_t *p = WD_AGG_ST(base, stride, slots[i], off);
                kadd((double *)p, (double *)(p + 8), sg * v[rows[i]]);
                wd_agg__add64((int64_t *)(p + 16), sign);
            }
            return;
        }
        SUM_FLT(double);
        return;
    case WD_T_DECIMAL: {
        const char *v = arg->data;
        ROWS_LOOP({
            wd_i128 x = wd_agg__ld128(v + (size_t)r * 16), acc = wd_agg__ld128(p), res;
            bool o = sign > 0 ? __builtin_add_overflow(acc, x, &res)
                              : __builtin_sub_overflow(acc, x, &res);
            if (o) *(int64_t *)(p + 24) = 1;
            wd_agg__st128(p, res);
            wd_agg__add64((int64_t *)(p + 16), sign);
        });
        return;
    }
    case WD_T_INTERVAL: {
        const wd_interval *v = arg->data;
        ROWS_LOOP({
            wd_agg__add64((int64_t *)p, (int64_t)sign * v[r].months);
            wd_agg__add64((int64_t *)(p + 8), (int64_t)sign * v[r].days);
            wd_agg__st128(p + 16,
                          wd_agg__add128(wd_agg__ld128(p + 16), (wd_i128)sign * v[r].nanos));
            wd_agg__add64((int64_t *)(p + 32), sign);
        });
        return;
    }
    default: return;
    }
}

static void sum_merge(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *dst, const uint8_t *src)
{
    switch (sum_kind(s->arg_type)) {
    case K_INT:
        wd_agg__st128(dst, wd_agg__add128(wd_agg__ld128(dst), wd_agg__ld128(src)));
        wd_agg__add64((int64_t *)(dst + 16), *(const int64_t *)(src + 16));
        break;
    case K_FLT:
        kadd((double *)dst, (double *)(dst + 8), *(const double *)src);
        *(double *)(dst + 8) += *(const double *)(src + 8);
        wd_agg__add64((int64_t *)(dst + 16), *(const int64_t *)(src + 16));
        break;
    case K_DEC: {
        wd_i128 r;
        if (__builtin_add_overflow(wd_agg__ld128(dst), wd_agg__ld128(src), &r))
            *(int64_t *)(dst + 24) = 1;
        wd_agg__st128(dst, r);
        wd_agg__add64((int64_t *)(dst + 16), *(const int64_t *)(src + 16));
        *(int64_t *)(dst + 24) |= *(const int64_t *)(src + 24);
        break;
    }
    case K_IVL:
        wd_agg__add64((int64_t *)dst, *(const int64_t *)src);
        wd_agg__add64((int64_t *)(dst + 8), *(const int64_t *)(src + 8));
        wd_agg__st128(dst + 16, wd_agg__add128(wd_agg__ld128(dst + 16), wd_agg__ld128(src + 16)));
        wd_agg__add64((int64_t *)(dst + 32), *(const int64_t *)(src + 32));
        break;
    default: break;
    }
}

static inline double flt_total(const uint8_t *st)
{
    double sum = *(const double *)st, comp = *(const double *)(st + 8);
    return isfinite(sum) ? sum + comp : sum;
}

#define DEC_LIMIT (wd_agg__pow10(38))

static void sum_finalize(const wd_agg_spec *s, const uint8_t *st, wd_col *out, uint32_t row,
                         wd_arena *a)
{
    int kind = sum_kind(s->arg_type);
    int64_t n = *(const int64_t *)(st + (kind == K_IVL ? 32 : 16));
    if (n <= 0 || kind == K_BAD) {
        wd_agg__out_null(out, row, a);
        return;
    }
    switch (kind) {
    case K_INT: {
        wd_i128 v = wd_agg__ld128(st);
        if (v < INT64_MIN || v > INT64_MAX) {
            wd_agg__out_null(out, row, a);
            return;
        }
        wd_agg__out_row(out, row, a);
        ((int64_t *)out->data)[row] = (int64_t)v;
        return;
    }
    case K_FLT:
        wd_agg__out_row(out, row, a);
        ((double *)out->data)[row] = flt_total(st);
        return;
    case K_DEC: {
        wd_i128 v = wd_agg__ld128(st), lim = DEC_LIMIT;
        if (*(const int64_t *)(st + 24) || v >= lim || v <= -lim) {
            wd_agg__out_null(out, row, a);
            return;
        }
        wd_agg__out_row(out, row, a);
        wd_agg__st128((char *)out->data + (size_t)row * 16, v);
        return;
    }
    case K_IVL: {
        int64_t mo = *(const int64_t *)st, d = *(const int64_t *)(st + 8);
        wd_i128 ns = wd_agg__ld128(st + 16);
        if (mo < INT32_MIN || mo > INT32_MAX || d < INT32_MIN || d > INT32_MAX ||
            ns < INT64_MIN || ns > INT64_MAX) {
            wd_agg__out_null(out, row, a);
            return;
        }
        wd_agg__out_row(out, row, a);
        wd_interval iv = {(int32_t)mo, (int32_t)d, (int64_t)ns};
        ((wd_interval *)out->data)[row] = iv;
        return;
    }
    default: return;
    }
}

static void avg_finalize(const wd_agg_spec *s, const uint8_t *st, wd_col *out, uint32_t row,
                         wd_arena *a)
{
    int kind = sum_kind(s->arg_type);
    int64_t n = *(const int64_t *)(st + 16);
    if (n <= 0 || (kind != K_INT && kind != K_FLT && kind != K_DEC)) {
        wd_agg__out_null(out, row, a);
        return;
    }
    if (kind == K_INT || kind == K_FLT) {
        double v = kind == K_INT ? (double)wd_agg__ld128(st) : flt_total(st);
        wd_agg__out_row(out, row, a);
        ((double *)out->data)[row] = v / (double)n;
        return;
    }
    /* DECIMAL: sum * 10^(rs - s) / n, rounded half away from zero */
    wd_i128 v = wd_agg__ld128(st), lim = DEC_LIMIT;
    int k = (int)(s->ret && s->ret->id == WD_T_DECIMAL ? s->ret->scale : 0) -
            (int)s->arg_type->scale;
    if (k < 0) k = 0;
    wd_i128 f = wd_agg__pow10(k);
    wd_i128 maxv = (((wd_i128)1 << 126) - 1) / f;
    if (*(const int64_t *)(st + 24) || v > maxv || v < -maxv) {
        wd_agg__out_null(out, row, a);
        return;
    }
    wd_i128 num = v * f, q = num / n, rem = num % n;
    if (rem < 0) rem = -rem;
    if (rem * 2 >= n) q += num < 0 ? -1 : 1;
    if (q >= lim || q <= -lim) {
        wd_agg__out_null(out, row, a);
        return;
    }
    wd_agg__out_row(out, row, a);
    wd_agg__st128((char *)out->data + (size_t)row * 16, q);
}

#define SUM_FN(NAME, RESOLVE, FINALIZE, DOC) \
    WD_AGG_DEF(NAME, 1, WD_AGG_RETRACT, DOC, RESOLVE, sum_size, sum_update, FINALIZE, \
               sum_merge, false, NULL, NULL)

static const wd_agg_def sum_def =
    SUM_FN("sum", sum_resolve, sum_finalize,
           "Sum of the non-NULL values (NULL when there are none): BIGINT for integers "
           "(NULL when the sum leaves BIGINT's range), DOUBLE for floats, DECIMAL(38,s) for "
           "DECIMAL(p,s), INTERVAL for intervals.");
static const wd_agg_def avg_def =
    SUM_FN("avg", avg_resolve, avg_finalize,
           "Mean of the non-NULL values: DOUBLE for integers and floats, DECIMAL(38,s+4) for "
           "DECIMAL(p,s).");
static const wd_agg_def mean_def =
    SUM_FN("mean", mean_resolve, avg_finalize, "Alias of avg.");

/* ---- bool_and / bool_or: { int64 ntrue; int64 nfalse } ---------------------------------- */

static const wd_type *bool_and_resolve(wd_arena *a, const wd_type *arg, wd_error *err)
{
    if (arg && arg->id == WD_T_BOOL) return WD_TYPE_BOOL;
    return wd_agg__type_error(err, "bool_and", arg, "a BOOLEAN argument");
}

static const wd_type *bool_or_resolve(wd_arena *a, const wd_type *arg, wd_error *err)
{
    if (arg && arg->id == WD_T_BOOL) return WD_TYPE_BOOL;
    return wd_agg__type_error(err, "bool_or", arg, "a BOOLEAN argument");
}

static uint32_t size16(const wd_type *arg) { return 16; }

static void bool_update(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *base, uint32_t stride,
                        const uint32_t *slots, const wd_col *arg, const uint32_t *rows, uint32_t n,
                        int sign)
{
    if (!arg || arg->type->id != WD_T_BOOL) return;
    const uint32_t off = s->offset;
    const uint32_t cm = wd_agg__cmask(arg);
    const uint8_t *va = arg->valid;
    const uint8_t *v = arg->data;
    int64_t d = sign < 0 ? -1 : 1;
    ROWS_LOOP({ wd_agg__add64((int64_t *)(p + (v[r] ? 0 : 8)), d); });
}

static void bool_merge(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *dst, const uint8_t *src)
{
    wd_agg__add64((int64_t *)dst, *(const int64_t *)src);
    wd_agg__add64((int64_t *)(dst + 8), *(const int64_t *)(src + 8));
}

static void bool_finalize(const wd_agg_spec *s, const uint8_t *st, wd_col *out, uint32_t row,
                          wd_arena *a, bool is_and)
{
    int64_t nt = *(const int64_t *)st, nf = *(const int64_t *)(st + 8);
    if (nt + nf <= 0) {
        wd_agg__out_null(out, row, a);
        return;
    }
    wd_agg__out_row(out, row, a);
    ((uint8_t *)out->data)[row] = is_and ? nf <= 0 : nt > 0;
}

static void bool_and_finalize(const wd_agg_spec *s, const uint8_t *st, wd_col *out, uint32_t row,
                              wd_arena *a)
{
    bool_finalize(s, st, out, row, a, true);
}

static void bool_or_finalize(const wd_agg_spec *s, const uint8_t *st, wd_col *out, uint32_t row,
                             wd_arena *a)
{
    bool_finalize(s, st, out, row, a, false);
}

static const wd_agg_def bool_and_def =
    WD_AGG_DEF("bool_and", 1, WD_AGG_RETRACT,
               "TRUE when every non-NULL value is TRUE (NULL when there are none).",
               bool_and_resolve, size16, bool_update, bool_and_finalize, bool_merge, false, NULL,
               NULL);

static const wd_agg_def bool_or_def =
    WD_AGG_DEF("bool_or", 1, WD_AGG_RETRACT,
               "TRUE when any non-NULL value is TRUE (NULL when there are none).",
               bool_or_resolve, size16, bool_update, bool_or_finalize, bool_merge, false, NULL,
               NULL);

/* ---- bit_and / bit_or: { uint64 acc; int64 n } ------------------------------------------ */

static const wd_type *bit_and_resolve(wd_arena *a, const wd_type *arg, wd_error *err)
{
    if (arg && wd_type_is_int(arg->id)) return arg;
    return wd_agg__type_error(err, "bit_and", arg, "an integer argument");
}

static const wd_type *bit_or_resolve(wd_arena *a, const wd_type *arg, wd_error *err)
{
    if (arg && wd_type_is_int(arg->id)) return arg;
    return wd_agg__type_error(err, "bit_or", arg, "an integer argument");
}

#define BIT_LOOP(T, OP)                                                                       \
    do {                                                                                      \
        const T *v = arg->data;                                                               \
        ROWS_LOOP({                                                                           \
            uint64_t x = (uint64_t)(int64_t)v[r];                                             \
            uint64_t *acc = (uint64_t *)p;                                                    \
            *acc = *(int64_t *)(p + 8) ? (*acc OP x) : x;                                     \
            wd_agg__add64((int64_t *)(p + 8), 1);                                             \
        });                                                                                   \
    } while (0)

#define BIT_SWITCH(OP)                                                                        \
    switch (arg->type->id) {                                                                  \
    case WD_T_INT16: BIT_LOOP(int16_t, OP); break;                                            \
    case WD_T_INT32: BIT_LOOP(int32_t, OP); break;                                            \
    case WD_T_INT64: BIT_LOOP(int64_t, OP); break;                                            \
    case WD_T_UINT16: BIT_LOOP(uint16_t, OP); break;                                          \
    case WD_T_UINT32: BIT_LOOP(uint32_t, OP); break;                                          \
    case WD_T_UINT64: BIT_LOOP(uint64_t, OP); break;                                          \
    default: break;                                                                           \
    }

static void bit_and_update(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *base, uint32_t stride,
                           const uint32_t *slots, const wd_col *arg, const uint32_t *rows,
                           uint32_t n, int sign)
{
    if (!arg || sign < 0) return;
    const uint32_t off = s->offset;
    const uint32_t cm = wd_agg__cmask(arg);
    const uint8_t *va = arg->valid;
    BIT_SWITCH(&)
}

static void bit_or_update(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *base, uint32_t stride,
                          const uint32_t *slots, const wd_col *arg, const uint32_t *rows,
                          uint32_t n, int sign)
{
    if (!arg || sign < 0) return;
    const uint32_t off = s->offset;
    const uint32_t cm = wd_agg__cmask(arg);
    const uint8_t *va = arg->valid;
    BIT_SWITCH(|)
}

static void bit_and_merge(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *dst, const uint8_t *src)
{
    int64_t sn = *(const int64_t *)(src + 8);
    if (!sn) return;
    uint64_t *acc = (uint64_t *)dst;
    *acc = *(int64_t *)(dst + 8) ? (*acc & *(const uint64_t *)src) : *(const uint64_t *)src;
    wd_agg__add64((int64_t *)(dst + 8), sn);
}

static void bit_or_merge(const wd_agg_spec *s, wd_agg_ctx *c, uint8_t *dst, const uint8_t *src)
{
    *(uint64_t *)dst |= *(const uint64_t *)src;
    wd_agg__add64((int64_t *)(dst + 8), *(const int64_t *)(src + 8));
}

static void bit_finalize(const wd_agg_spec *s, const uint8_t *st, wd_col *out, uint32_t row,
                         wd_arena *a)
{
    if (*(const int64_t *)(st + 8) <= 0) {
        wd_agg__out_null(out, row, a);
        return;
    }
    uint64_t v = *(const uint64_t *)st;
    wd_agg__out_row(out, row, a);
    switch (out->type->id) {
    case WD_T_INT16:
    case WD_T_UINT16: ((uint16_t *)out->data)[row] = (uint16_t)v; break;
    case WD_T_INT32:
    case WD_T_UINT32: ((uint32_t *)out->data)[row] = (uint32_t)v; break;
    case WD_T_INT64:
    case WD_T_UINT64: ((uint64_t *)out->data)[row] = v; break;
    default: wd_col_set_null(out, row, a); break;
    }
}

static const wd_agg_def bit_and_def =
    WD_AGG_DEF("bit_and", 1, 0,
               "Bitwise AND of the non-NULL integer values (NULL when there are none).",
               bit_and_resolve, size16, bit_and_update, bit_finalize, bit_and_merge, false, NULL,
               NULL);

static const wd_agg_def bit_or_def =
    WD_AGG_DEF("bit_or", 1, 0,
               "Bitwise OR of the non-NULL integer values (NULL when there are none).",
               bit_or_resolve, size16, bit_or_update, bit_finalize, bit_or_merge, false, NULL,
               NULL);

const wd_agg_def *const wd_agg__basic[] = {&count_def,    &sum_def,     &avg_def,
                                           &mean_def,     &bool_and_def, &bool_or_def,
                                           &bit_and_def,  &bit_or_def,  NULL};
