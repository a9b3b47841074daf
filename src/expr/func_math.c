/*
 * func_math.c — mathematical functions.  Table: wd_funcs_math (func.h).
 *
 * PostgreSQL semantics: log(x) is base 10 and ln(x) natural; log(b, x) is
 * base b; round(DOUBLE) rounds half to even (rint) while round(DECIMAL) and
 * round(x, digits) round half away from zero; trunc rounds toward zero.
 * Domain errors (sqrt of a negative, log of zero, asin(2) …) are
 * WD_EINVALID; results that overflow are WD_EOVERFLOW; abs(INT64 min) is
 * an overflow.  Integer arguments of the DOUBLE-only functions are cast to
 * DOUBLE by the catalog.  round/trunc/ceil/floor of a DECIMAL keep its
 * type.
 */
#include <math.h>
#include <string.h>

#include "expr/expr_int.h"

#define VALID_AT(out, i) (!(out)->valid || (out)->valid[i])

static int dom_err(wd_kctx *k, const char *msg) { return wd_err_at(k->err, WD_EINVALID, k->pos, "%s", msg); }

static int range_err(wd_kctx *k, const wd_col *x, uint32_t i, const char *fn)
{
    char v[64];
    wd_x_val_msg(x, i, v, sizeof v);
    return wd_err_at(k->err, WD_EOVERFLOW, k->pos, "value out of range: %s(%s)", fn, v);
}

/* ---- abs ----------------------------------------------------------------- */

static int k_abs(wd_kctx *k, const wd_col *args, uint32_t nargs, uint32_t n, wd_col *out)
{
    const wd_col *x = &args[0];
    switch (out->type->id) {
#define ABS_INT(ID, T, MINV)                                                                \
    case ID:                                                                                \
        for (uint32_t i = 0; i < n; i++) {                                                  \
            T v = WD_COL_GET(x, T, i);                                                      \
            if (v == (T)(MINV) && VALID_AT(out, i)) {                                       \
                char s[48];                                                                 \
                wd_x_val_msg(x, i, s, sizeof s);                                            \
                return wd_err_at(k->err, WD_EOVERFLOW, k->pos, "integer overflow: abs(%s)", \
                                 s);                                                        \
            }                                                                               \
            ((T *)out->data)[i] = v < 0 && v != (T)(MINV) ? (T)-v : v;                      \
        }                                                                                   \
        return 0;
        ABS_INT(WD_T_INT16, int16_t, INT16_MIN)
        ABS_INT(WD_T_INT32, int32_t, INT32_MIN)
        ABS_INT(WD_T_INT64, int64_t, INT64_MIN)
#undef ABS_INT
    case WD_T_UINT16:
    case WD_T_UINT32:
    case WD_T_UINT64:
        for (uint32_t i = 0; i < n; i++) {
            size_t w = wd_type_width(out->type->id);
            memcpy((char *)out->data + i * w, (const char *)x->data + wd_col_idx(x, i) * w, w);
        }
        return 0;
    case WD_T_FLOAT64:
        for (uint32_t i = 0; i < n; i++) ((double *)out->data)[i] = fabs(WD_COL_GET(x, double, i));
        return 0;
    case WD_T_FLOAT32:
        for (uint32_t i = 0; i < n; i++) ((float *)out->data)[i] = fabsf(WD_COL_GET(x, float, i));
        return 0;
    case WD_T_DECIMAL:
        for (uint32_t i = 0; i < n; i++) {
            wd_i128 v = WD_COL_GET(x, wd_i128, i);
            ((wd_i128 *)out->data)[i] = v < 0 ? -v : v;
        }
        return 0;
    default: return wd_err_at(k->err, WD_ETYPE, k->pos, "abs of %s", wd_type_name(out->type));
    }
}

static int k_mod(wd_kctx *k, const wd_col *args, uint32_t nargs, uint32_t n, wd_col *out)
{
    return wd_x_divmod(k, args, n, out, true);
}

/* ---- rounding ------------------------------------------------------------ */

enum { R_CEIL, R_FLOOR, R_ROUND, R_TRUNC };

static double f_round(double v, int mode)
{
    switch (mode) {
    case R_CEIL: return ceil(v);
    case R_FLOOR: return floor(v);
    case R_ROUND: return rint(v); /* half to even, as PostgreSQL's float8 round */
    default: return trunc(v);
    }
}

/* Round v (scale s) to `digits` decimals (digits ≤ s) in mode; same scale. */
static wd_i128 d_round(wd_i128 v, int s, int64_t digits, int mode)
{
    if (digits >= s) return v;
    int64_t drop64 = s - digits;
    if (drop64 > 38) return 0;
    int drop = (int)drop64;
    wd_i128 p = wd_x_pow10(drop);
    wd_i128 q = v / p, r = v % p;
    switch (mode) {
    case R_CEIL:
        if (r > 0) q++;
        break;
    case R_FLOOR:
        if (r < 0) q--;
        break;
    case R_ROUND:
        if ((r < 0 ? -r : r) * 2 >= p) q += v < 0 ? -1 : 1;
        break;
    default: break;
    }
    wd_i128 res;
    if (__builtin_mul_overflow(q, p, &res)) return v;
    return res;
}

static int rounding(wd_kctx *k, const wd_col *args, uint32_t nargs, uint32_t n, wd_col *out, int mode)
{
    const wd_col *x = &args[0];
    const wd_col *d = nargs > 1 ? &args[1] : NULL;
    if (out->type->id == WD_T_DECIMAL) {
        int s = x->type->scale;
        int p = out->type->precision;
        for (uint32_t i = 0; i < n; i++) {
            wd_i128 v = WD_COL_GET(x, wd_i128, i);
            int64_t dg = d ? WD_COL_GET(d, int64_t, i) : 0;
            wd_i128 r = VALID_AT(out, i) ? d_round(v, s, dg, mode) : 0;
            if (VALID_AT(out, i) && r != 0 && wd_x_i128_digits(r) > p) return range_err(k, x, i, "round");
            ((wd_i128 *)out->data)[i] = r;
        }
        return 0;
    }
    double *o = out->data;
    for (uint32_t i = 0; i < n; i++) {
        double v = WD_COL_GET(x, double, i);
        if (!d) {
            o[i] = f_round(v, mode);
            continue;
        }
        int64_t dg = WD_COL_GET(d, int64_t, i);
        if (dg > 300) dg = 300;
        if (dg < -300) dg = -300;
        double p = pow(10.0, (double)dg);
        double sv = v * p;
        if (!isfinite(sv) || !isfinite(p) || p == 0) {
            o[i] = dg > 0 ? v : 0.0 * v;
            continue;
        }
        double r = mode == R_ROUND ? round(sv) : mode == R_TRUNC ? trunc(sv) : f_round(sv, mode);
        o[i] = r / p;
    }
    return 0;
}

static int k_ceil(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *o) { return rounding(k, a, na, n, o, R_CEIL); }
static int k_floor(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *o) { return rounding(k, a, na, n, o, R_FLOOR); }
static int k_round(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *o) { return rounding(k, a, na, n, o, R_ROUND); }
static int k_trunc(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *o) { return rounding(k, a, na, n, o, R_TRUNC); }

/* ---- DOUBLE functions ---------------------------------------------------- */

/* One-argument DOUBLE function with a domain check. */
#define DEF_F1(NAME, SQL, FN, BAD, MSG)                                                            \
    static int NAME(wd_kctx *k, const wd_col *args, uint32_t nargs, uint32_t n, wd_col *out) \
    {                                                                                         \
        const wd_col *x = &args[0];                                                           \
        double *o = out->data;                                                                \
        for (uint32_t i = 0; i < n; i++) {                                                    \
            double v = WD_COL_GET(x, double, i);                                              \
            if (!VALID_AT(out, i)) {                                                          \
                o[i] = 0;                                                                     \
                continue;                                                                     \
            }                                                                                 \
            if (BAD) return dom_err(k, MSG);                                                  \
            o[i] = FN;                                                                        \
            if (isinf(o[i]) && isfinite(v)) return range_err(k, x, i, SQL);               \
        }                                                                                     \
        return 0;                                                                             \
    }

DEF_F1(k_sqrt, "sqrt", sqrt(v), v < 0, "cannot take square root of a negative number")
DEF_F1(k_cbrt, "cbrt", cbrt(v), 0, "")
DEF_F1(k_exp, "exp", exp(v), 0, "")
DEF_F1(k_ln, "ln", log(v), v <= 0,
       v == 0 ? "cannot take logarithm of zero" : "cannot take logarithm of a negative number")
DEF_F1(k_log10, "log10", log10(v), v <= 0,
       v == 0 ? "cannot take logarithm of zero" : "cannot take logarithm of a negative number")
DEF_F1(k_log2, "log2", log2(v), v <= 0,
       v == 0 ? "cannot take logarithm of zero" : "cannot take logarithm of a negative number")
DEF_F1(k_sin, "sin", sin(v), isinf(v), "input is out of range")
DEF_F1(k_cos, "cos", cos(v), isinf(v), "input is out of range")
DEF_F1(k_tan, "tan", tan(v), isinf(v), "input is out of range")
DEF_F1(k_asin, "asin", asin(v), v < -1 || v > 1, "input is out of range")
DEF_F1(k_acos, "acos", acos(v), v < -1 || v > 1, "input is out of range")
DEF_F1(k_atan, "atan", atan(v), 0, "")
DEF_F1(k_degrees, "degrees", v * (180.0 / M_PI), 0, "")
DEF_F1(k_radians, "radians", v * (M_PI / 180.0), 0, "")
DEF_F1(k_sign, "sign", (double)((v > 0) - (v < 0)), 0, "")

static int k_power(wd_kctx *k, const wd_col *args, uint32_t nargs, uint32_t n, wd_col *out)
{
    const wd_col *x = &args[0], *y = &args[1];
    double *o = out->data;
    for (uint32_t i = 0; i < n; i++) {
        o[i] = 0;
        if (!VALID_AT(out, i)) continue;
        double a = WD_COL_GET(x, double, i), b = WD_COL_GET(y, double, i);
        if (a == 0 && b < 0) return dom_err(k, "zero raised to a negative power is undefined");
        if (a < 0 && isfinite(b) && floor(b) != b)
            return dom_err(k, "a negative number raised to a non-integer power yields a complex result");
        o[i] = pow(a, b);
        if (isinf(o[i]) && isfinite(a) && isfinite(b)) return range_err(k, x, i, "power");
    }
    return 0;
}

static int k_logb(wd_kctx *k, const wd_col *args, uint32_t nargs, uint32_t n, wd_col *out)
{
    const wd_col *x = &args[0], *y = &args[1];
    double *o = out->data;
    for (uint32_t i = 0; i < n; i++) {
        o[i] = 0;
        if (!VALID_AT(out, i)) continue;
        double b = WD_COL_GET(x, double, i), v = WD_COL_GET(y, double, i);
        if (b <= 0 || v <= 0)
            return dom_err(k, (b == 0 || v == 0) ? "cannot take logarithm of zero"
                                                 : "cannot take logarithm of a negative number");
        double lb = log2(b);
        if (lb == 0) return wd_err_at(k->err, WD_EDIVZERO, k->pos, "division by zero");
        o[i] = log2(v) / lb;
    }
    return 0;
}

static int k_atan2(wd_kctx *k, const wd_col *args, uint32_t nargs, uint32_t n, wd_col *out)
{
    double *o = out->data;
    for (uint32_t i = 0; i < n; i++)
        o[i] = atan2(WD_COL_GET(&args[0], double, i), WD_COL_GET(&args[1], double, i));
    return 0;
}

static int k_pi(wd_kctx *k, const wd_col *args, uint32_t nargs, uint32_t n, wd_col *out)
{
    for (uint32_t i = 0; i < n; i++) ((double *)out->data)[i] = M_PI;
    return 0;
}

/* random(): xorshift64* per call site, seeded from the clock and the site. */
static int k_random(wd_kctx *k, const wd_col *args, uint32_t nargs, uint32_t n, wd_col *out)
{
    uint64_t *st = *k->state;
    if (!st) {
        st = wd_malloc(sizeof *st);
        if (!st) return wd_err_at(k->err, WD_ENOMEM, k->pos, "out of memory");
        *st = (uint64_t)k->now_ns ^ (uint64_t)(uintptr_t)st ^ 0x9E3779B97F4A7C15ull;
        if (!*st) *st = 1;
        *k->state = st;
    }
    uint64_t s = *st;
    for (uint32_t i = 0; i < n; i++) {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        uint64_t r = s * 2685821657736338717ull;
        ((double *)out->data)[i] = (double)(r >> 11) * (1.0 / 9007199254740992.0);
    }
    *st = s;
    return 0;
}

static void free_random(void *p) { wd_free(p); }

/* ---- table ------------------------------------------------------------- */

#define F64 WD_T_FLOAT64
#define DEC WD_T_DECIMAL
#define S WD_FN_STRICT
#define F1(name, kern, doc) {name, 1, 1, {F64}, F64, NULL, kern, NULL, S, doc}

const wd_func wd_funcs_math[] = {
    {"abs", 1, 1, {WD_P_NUMERIC}, WD_P_SAME, NULL, k_abs, NULL, S, "absolute value"},
    {"mod", 2, 2, {WD_P_NUMERIC, WD_P_NUMERIC}, WD_P_SAME, NULL, k_mod, NULL, S, "remainder of a / b"},
    F1("ceil", k_ceil, "smallest integer not less than x"),
    {"ceil", 1, 1, {DEC}, DEC, NULL, k_ceil, NULL, S, "smallest integer not less than x"},
    F1("ceiling", k_ceil, "smallest integer not less than x"),
    {"ceiling", 1, 1, {DEC}, DEC, NULL, k_ceil, NULL, S, "smallest integer not less than x"},
    F1("floor", k_floor, "largest integer not greater than x"),
    {"floor", 1, 1, {DEC}, DEC, NULL, k_floor, NULL, S, "largest integer not greater than x"},
    F1("round", k_round, "nearest integer (half to even for DOUBLE)"),
    {"round", 1, 1, {DEC}, DEC, NULL, k_round, NULL, S, "nearest integer (half away from zero)"},
    {"round", 2, 2, {F64, WD_T_INT64}, F64, NULL, k_round, NULL, S, "round to d decimal places"},
    {"round", 2, 2, {DEC, WD_T_INT64}, DEC, NULL, k_round, NULL, S, "round to d decimal places"},
    F1("trunc", k_trunc, "integer part (toward zero)"),
    {"trunc", 1, 1, {DEC}, DEC, NULL, k_trunc, NULL, S, "integer part (toward zero)"},
    {"trunc", 2, 2, {F64, WD_T_INT64}, F64, NULL, k_trunc, NULL, S, "truncate to d decimal places"},
    {"trunc", 2, 2, {DEC, WD_T_INT64}, DEC, NULL, k_trunc, NULL, S, "truncate to d decimal places"},
    {"power", 2, 2, {F64, F64}, F64, NULL, k_power, NULL, S, "a raised to the power b"},
    {"pow", 2, 2, {F64, F64}, F64, NULL, k_power, NULL, S, "a raised to the power b"},
    F1("sqrt", k_sqrt, "square root"),
    F1("cbrt", k_cbrt, "cube root"),
    F1("exp", k_exp, "e raised to the power x"),
    F1("ln", k_ln, "natural logarithm"),
    F1("log", k_log10, "base 10 logarithm"),
    {"log", 2, 2, {F64, F64}, F64, NULL, k_logb, NULL, S, "logarithm of x to base b: log(b, x)"},
    F1("log10", k_log10, "base 10 logarithm"),
    F1("log2", k_log2, "base 2 logarithm"),
    F1("sin", k_sin, "sine (radians)"),
    F1("cos", k_cos, "cosine (radians)"),
    F1("tan", k_tan, "tangent (radians)"),
    F1("asin", k_asin, "inverse sine"),
    F1("acos", k_acos, "inverse cosine"),
    F1("atan", k_atan, "inverse tangent"),
    {"atan2", 2, 2, {F64, F64}, F64, NULL, k_atan2, NULL, S, "inverse tangent of y / x"},
    F1("degrees", k_degrees, "radians to degrees"),
    F1("radians", k_radians, "degrees to radians"),
    F1("sign", k_sign, "-1, 0 or 1"),
    {"pi", 0, 0, {0}, F64, NULL, k_pi, NULL, 0, "the constant pi"},
    {"random", 0, 0, {0}, F64, NULL, k_random, free_random, WD_FN_VOLATILE,
     "random value in [0, 1)"},
};
const size_t wd_funcs_math_n = sizeof wd_funcs_math / sizeof wd_funcs_math[0];
