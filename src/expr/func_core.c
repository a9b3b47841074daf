/*
 * func_core.c — operators: arithmetic (+ - * / % and unary "neg"),
 * comparisons (= <> != < <= > >=, IS [NOT] DISTINCT FROM), text || text,
 * LIKE / ILIKE / NOT LIKE / NOT ILIKE, nullif, greatest, least.
 * Table: wd_funcs_core (func.h).
 *
 * Arithmetic takes NUMERIC arguments, so the catalog unifies both sides to
 * their common type first (INT32 + INT64 → INT64 + INT64).  Integer
 * overflow is an error (WD_EOVERFLOW), never wraparound; division and
 * modulo by zero are WD_EDIVZERO for every type, floats included (as
 * PostgreSQL); a float result that overflows to infinity is an error.
 * Integer division truncates toward zero.  DECIMAL results: + and - widen
 * the precision by one; * adds precisions and scales; / gives scale
 * max(6, s) (half away from zero); % keeps the type.
 *
 * ILIKE folds ASCII letters only.  LIKE's `_` matches one UTF-8 character,
 * `\` escapes the next pattern character.
 */
#include <math.h>
#include <string.h>

#include "expr/expr_int.h"

#define ISC(c) (((c)->flags & WD_COL_CONST) != 0)
#define VALID_AT(out, i) (!(out)->valid || (out)->valid[i])

/* ---- errors ------------------------------------------------------------ */

static int ovf_err(wd_kctx *k, const wd_col *x, const wd_col *y, uint32_t i, const char *op,
                   const char *what)
{
    char a[64], b[64];
    wd_x_val_msg(x, i, a, sizeof a);
    if (y) {
        wd_x_val_msg(y, i, b, sizeof b);
        return wd_err_at(k->err, WD_EOVERFLOW, k->pos, "%s: %s %s %s", what, a, op, b);
    }
    return wd_err_at(k->err, WD_EOVERFLOW, k->pos, "%s: %s(%s)", what, op, a);
}

static int divzero(wd_kctx *k) { return wd_err_at(k->err, WD_EDIVZERO, k->pos, "division by zero"); }

/* ---- integer + - * ----------------------------------------------------- */

#define DEF_CHECKED(NAME, T, BUILTIN)                                                        \
    static bool NAME(const wd_col *x, const wd_col *y, uint32_t n, T *o)                     \
    {                                                                                        \
        const T *a = x->data, *b = y->data;                                                  \
        bool ovf = false;                                                                    \
        if (!ISC(x) && !ISC(y)) {                                                            \
            for (uint32_t i = 0; i < n; i++) ovf |= BUILTIN(a[i], b[i], &o[i]);              \
        } else if (!ISC(x)) {                                                                \
            T bv = b[0];                                                                     \
            for (uint32_t i = 0; i < n; i++) ovf |= BUILTIN(a[i], bv, &o[i]);                \
        } else if (!ISC(y)) {                                                                \
            T av = a[0];                                                                     \
            for (uint32_t i = 0; i < n; i++) ovf |= BUILTIN(av, b[i], &o[i]);                \
        } else {                                                                             \
            for (uint32_t i = 0; i < n; i++) ovf |= BUILTIN(a[0], b[0], &o[i]);              \
        }                                                                                    \
        return ovf;                                                                          \
    }                                                                                        \
    static int64_t NAME##_row(const wd_col *x, const wd_col *y, uint32_t n, const wd_col *out) \
    {                                                                                        \
        for (uint32_t i = 0; i < n; i++) {                                                   \
            T r;                                                                             \
            if (VALID_AT(out, i) && BUILTIN(WD_COL_GET(x, T, i), WD_COL_GET(y, T, i), &r))   \
                return i;                                                                    \
        }                                                                                    \
        return -1;                                                                           \
    }

#define DEF_INT3(T, SFX)                                    \
    DEF_CHECKED(add_##SFX, T, __builtin_add_overflow)       \
    DEF_CHECKED(sub_##SFX, T, __builtin_sub_overflow)       \
    DEF_CHECKED(mul_##SFX, T, __builtin_mul_overflow)

DEF_INT3(int16_t, i16)
DEF_INT3(int32_t, i32)
DEF_INT3(int64_t, i64)
DEF_INT3(uint16_t, u16)
DEF_INT3(uint32_t, u32)
DEF_INT3(uint64_t, u64)

/* ---- floats ------------------------------------------------------------ */

#define DEF_FLT(NAME, T, OP)                                                     \
    static void NAME(const wd_col *x, const wd_col *y, uint32_t n, T *o)         \
    {                                                                            \
        const T *a = x->data, *b = y->data;                                      \
        if (!ISC(x) && !ISC(y)) {                                                \
            for (uint32_t i = 0; i < n; i++) o[i] = a[i] OP b[i];                \
        } else if (!ISC(x)) {                                                    \
            T bv = b[0];                                                         \
            for (uint32_t i = 0; i < n; i++) o[i] = a[i] OP bv;                  \
        } else if (!ISC(y)) {                                                    \
            T av = a[0];                                                         \
            for (uint32_t i = 0; i < n; i++) o[i] = av OP b[i];                  \
        } else {                                                                 \
            for (uint32_t i = 0; i < n; i++) o[i] = a[0] OP b[0];                \
        }                                                                        \
    }

DEF_FLT(add_f64, double, +)
DEF_FLT(sub_f64, double, -)
DEF_FLT(mul_f64, double, *)
DEF_FLT(add_f32, float, +)
DEF_FLT(sub_f32, float, -)
DEF_FLT(mul_f32, float, *)

/* An infinite result from finite operands is an overflow (PostgreSQL). */
static int flt_check(wd_kctx *k, const wd_col *x, const wd_col *y, uint32_t n, const wd_col *out,
                     const char *op)
{
    bool f64 = out->type->id == WD_T_FLOAT64;
    int bad = 0;
    if (f64) {
        const double *o = out->data;
        for (uint32_t i = 0; i < n; i++) bad |= isinf(o[i]) != 0;
    } else {
        const float *o = out->data;
        for (uint32_t i = 0; i < n; i++) bad |= isinf(o[i]) != 0;
    }
    if (!bad) return 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!VALID_AT(out, i)) continue;
        double r = f64 ? ((const double *)out->data)[i] : ((const float *)out->data)[i];
        double a = f64 ? WD_COL_GET(x, double, i) : WD_COL_GET(x, float, i);
        double b = f64 ? WD_COL_GET(y, double, i) : WD_COL_GET(y, float, i);
        if (isinf(r) && isfinite(a) && isfinite(b))
            return ovf_err(k, x, y, i, op, "value out of range");
    }
    return 0;
}

/* ---- decimals ---------------------------------------------------------- */

static int dec_check(wd_kctx *k, wd_i128 v, const wd_col *x, const wd_col *y, uint32_t i,
                     const char *op)
{
    int p = k->ret->precision;
    if (v >= wd_x_pow10(p) || v <= -wd_x_pow10(p))
        return ovf_err(k, x, y, i, op, "numeric overflow");
    return 0;
}

static int dec_arith(wd_kctx *k, char op, const wd_col *x, const wd_col *y, uint32_t n,
                     wd_col *out)
{
    wd_i128 *o = out->data;
    int sx = x->type->scale, sy = y->type->scale, so = out->type->scale;
    char ops[2] = {op, 0};
    for (uint32_t i = 0; i < n; i++) {
        o[i] = 0;
        if (!VALID_AT(out, i)) continue;
        wd_i128 a = WD_COL_GET(x, wd_i128, i), b = WD_COL_GET(y, wd_i128, i), r = 0;
        bool ov = false;
        switch (op) {
        case '+':
        case '-':
        case '%': {
            /* bring both to the output scale (the common scale) */
            wd_i128 aa, bb;
            ov |= __builtin_mul_overflow(a, wd_x_pow10(so - sx), &aa);
            ov |= __builtin_mul_overflow(b, wd_x_pow10(so - sy), &bb);
            if (op == '+')
                ov |= __builtin_add_overflow(aa, bb, &r);
            else if (op == '-')
                ov |= __builtin_sub_overflow(aa, bb, &r);
            else {
                if (bb == 0) return divzero(k);
                r = aa % bb;
            }
            break;
        }
        case '*': {
            ov |= __builtin_mul_overflow(a, b, &r);
            int sr = sx + sy;
            if (!ov) r = sr > so ? wd_x_i128_round_div(r, sr - so) : r * wd_x_pow10(so - sr);
            break;
        }
        case '/': {
            if (b == 0) return divzero(k);
            /* a/10^sx / (b/10^sy) * 10^so = a * 10^(so - sx + sy) / b */
            int sh = so - sx + sy;
            wd_i128 num;
            if (sh >= 0) {
                ov |= __builtin_mul_overflow(a, wd_x_pow10(sh), &num);
                /* one extra digit for rounding */
                ov |= __builtin_mul_overflow(num, (wd_i128)10, &num);
            } else {
                num = wd_x_i128_round_div(a, -sh) * 10;
            }
            if (!ov) {
                wd_i128 q = num / b;
                r = wd_x_i128_round_div(q, 1);
            }
            break;
        }
        }
        if (ov) return ovf_err(k, x, y, i, ops, "numeric overflow");
        int rc = dec_check(k, r, x, y, i, ops);
        if (rc) return rc;
        o[i] = r;
    }
    return 0;
}

/* ---- arithmetic kernels ------------------------------------------------ */

#define INT_CASE(ID, T, SFX, FN)                                                          \
    case ID:                                                                              \
        if (FN##_##SFX(x, y, n, (T *)out->data)) {                                        \
            int64_t r = FN##_##SFX##_row(x, y, n, out);                                   \
            if (r >= 0) return ovf_err(k, x, y, (uint32_t)r, opname, "integer overflow"); \
        }                                                                                 \
        return 0;

#define ALL_INTS(FN)                                   \
    INT_CASE(WD_T_INT16, int16_t, i16, FN)             \
    INT_CASE(WD_T_INT32, int32_t, i32, FN)             \
    INT_CASE(WD_T_INT64, int64_t, i64, FN)             \
    INT_CASE(WD_T_UINT16, uint16_t, u16, FN)           \
    INT_CASE(WD_T_UINT32, uint32_t, u32, FN)           \
    INT_CASE(WD_T_UINT64, uint64_t, u64, FN)

#define DEF_ASM(KNAME, FN, OPC, OPS)                                                       \
    static int KNAME(wd_kctx *k, const wd_col *args, uint32_t nargs, uint32_t n, wd_col *out) \
    {                                                                                      \
        const wd_col *x = &args[0], *y = &args[1];                                         \
        const char *opname = OPS;                                                          \
        switch (out->type->id) {                                                           \
            ALL_INTS(FN)                                                                   \
        case WD_T_FLOAT64:                                                                 \
            FN##_f64(x, y, n, out->data);                                                  \
            return flt_check(k, x, y, n, out, opname);                                     \
        case WD_T_FLOAT32:                                                                 \
            FN##_f32(x, y, n, out->data);                                                  \
            return flt_check(k, x, y, n, out, opname);                                     \
        case WD_T_DECIMAL: return dec_arith(k, OPC, x, y, n, out);                         \
        default:                                                                           \
            return wd_err_at(k->err, WD_ETYPE, k->pos, "%s on %s", opname,                 \
                             wd_type_name(out->type));                                     \
        }                                                                                  \
    }

DEF_ASM(k_add, add, '+', "+")
DEF_ASM(k_sub, sub, '-', "-")
DEF_ASM(k_mul, mul, '*', "*")

/* Integer division / modulo: per row (zero and MIN / -1 checks). */
#define DEF_DIVMOD(NAME, T, MINV, SIGNED)                                                  \
    static int NAME(wd_kctx *k, const wd_col *x, const wd_col *y, uint32_t n, wd_col *out, \
                    bool mod)                                                              \
    {                                                                                      \
        T *o = out->data;                                                                  \
        for (uint32_t i = 0; i < n; i++) {                                                 \
            o[i] = 0;                                                                      \
            if (!VALID_AT(out, i)) continue;                                               \
            T a = WD_COL_GET(x, T, i), b = WD_COL_GET(y, T, i);                            \
            if (b == 0) return divzero(k);                                                 \
            if (SIGNED && a == (T)(MINV) && b == (T)-1) {                                  \
                if (mod) continue; /* MIN % -1 = 0 */                                      \
                return ovf_err(k, x, y, i, "/", "integer overflow");                       \
            }                                                                              \
            o[i] = mod ? (T)(a % b) : (T)(a / b);                                          \
        }                                                                                  \
        return 0;                                                                          \
    }

DEF_DIVMOD(dm_i16, int16_t, INT16_MIN, 1)
DEF_DIVMOD(dm_i32, int32_t, INT32_MIN, 1)
DEF_DIVMOD(dm_i64, int64_t, INT64_MIN, 1)
DEF_DIVMOD(dm_u16, uint16_t, 0, 0)
DEF_DIVMOD(dm_u32, uint32_t, 0, 0)
DEF_DIVMOD(dm_u64, uint64_t, 0, 0)

#define DEF_FDIVMOD(NAME, T)                                                               \
    static int NAME(wd_kctx *k, const wd_col *x, const wd_col *y, uint32_t n, wd_col *out, \
                    bool mod)                                                              \
    {                                                                                      \
        T *o = out->data;                                                                  \
        for (uint32_t i = 0; i < n; i++) {                                                 \
            o[i] = 0;                                                                      \
            if (!VALID_AT(out, i)) continue;                                               \
            T a = WD_COL_GET(x, T, i), b = WD_COL_GET(y, T, i);                            \
            if (b == 0) return divzero(k);                                                 \
            o[i] = mod ? (T)fmod(a, b) : a / b;                                            \
        }                                                                                  \
        return flt_check(k, x, y, n, out, mod ? "%" : "/");                                \
    }

DEF_FDIVMOD(dm_f64, double)
DEF_FDIVMOD(dm_f32, float)

int wd_x_divmod(wd_kctx *k, const wd_col *args, uint32_t n, wd_col *out, bool mod)
{
    const wd_col *x = &args[0], *y = &args[1];
    switch (out->type->id) {
    case WD_T_INT16: return dm_i16(k, x, y, n, out, mod);
    case WD_T_INT32: return dm_i32(k, x, y, n, out, mod);
    case WD_T_INT64: return dm_i64(k, x, y, n, out, mod);
    case WD_T_UINT16: return dm_u16(k, x, y, n, out, mod);
    case WD_T_UINT32: return dm_u32(k, x, y, n, out, mod);
    case WD_T_UINT64: return dm_u64(k, x, y, n, out, mod);
    case WD_T_FLOAT64: return dm_f64(k, x, y, n, out, mod);
    case WD_T_FLOAT32: return dm_f32(k, x, y, n, out, mod);
    case WD_T_DECIMAL: return dec_arith(k, mod ? '%' : '/', x, y, n, out);
    default:
        return wd_err_at(k->err, WD_ETYPE, k->pos, "%s on %s", mod ? "%" : "/",
                         wd_type_name(out->type));
    }
}

static int k_div(wd_kctx *k, const wd_col *args, uint32_t nargs, uint32_t n, wd_col *out)
{
    return wd_x_divmod(k, args, n, out, false);
}

static int k_mod(wd_kctx *k, const wd_col *args, uint32_t nargs, uint32_t n, wd_col *out)
{
    return wd_x_divmod(k, args, n, out, true);
}

static int k_neg(wd_kctx *k, const wd_col *args, uint32_t nargs, uint32_t n, wd_col *out)
{
    const wd_col *x = &args[0];
    switch (out->type->id) {
#define NEG_INT(ID, T)                                                                       \
    case ID:                                                                                 \
        for (uint32_t i = 0; i < n; i++) {                                                   \
            T r = 0;                                                                         \
            if (__builtin_sub_overflow((T)0, WD_COL_GET(x, T, i), &r) && VALID_AT(out, i))   \
                return ovf_err(k, x, NULL, i, "-", "integer overflow");                      \
            ((T *)out->data)[i] = r;                                                         \
        }                                                                                    \
        return 0;
        NEG_INT(WD_T_INT16, int16_t)
        NEG_INT(WD_T_INT32, int32_t)
        NEG_INT(WD_T_INT64, int64_t)
        NEG_INT(WD_T_UINT16, uint16_t)
        NEG_INT(WD_T_UINT32, uint32_t)
        NEG_INT(WD_T_UINT64, uint64_t)
#undef NEG_INT
    case WD_T_FLOAT64:
        for (uint32_t i = 0; i < n; i++) ((double *)out->data)[i] = -WD_COL_GET(x, double, i);
        return 0;
    case WD_T_FLOAT32:
        for (uint32_t i = 0; i < n; i++) ((float *)out->data)[i] = -WD_COL_GET(x, float, i);
        return 0;
    case WD_T_DECIMAL:
        for (uint32_t i = 0; i < n; i++) ((wd_i128 *)out->data)[i] = -WD_COL_GET(x, wd_i128, i);
        return 0;
    default: return wd_err_at(k->err, WD_ETYPE, k->pos, "- on %s", wd_type_name(out->type));
    }
}

/* Result type of arithmetic: the common type, DECIMALs widened. */
static const wd_type *arith_ret(wd_arena *a, const wd_type *const *t, uint32_t n, char op,
                                wd_error *err)
{
    const wd_type *x = t[0];
    if (x->id != WD_T_DECIMAL) return x;
    int p = x->precision, s = x->scale;
    switch (op) {
    case '+':
    case '-': p = p + 1; break;
    case '*':
        p = 2 * p + 1;
        s = 2 * s;
        break;
    case '/':
        s = s > 6 ? s : 6;
        p = (x->precision - x->scale) + x->scale + s + 1;
        break;
    default: break;
    }
    if (s > 38) s = 38;
    if (p > 38) p = 38;
    if (s > p) s = p;
    return wd_type_decimal(a, p, s);
}

static const wd_type *r_add(wd_arena *a, const wd_type *const *t, uint32_t n, wd_error *e)
{
    return arith_ret(a, t, n, '+', e);
}
static const wd_type *r_mul(wd_arena *a, const wd_type *const *t, uint32_t n, wd_error *e)
{
    return arith_ret(a, t, n, '*', e);
}
static const wd_type *r_div(wd_arena *a, const wd_type *const *t, uint32_t n, wd_error *e)
{
    return arith_ret(a, t, n, '/', e);
}

/* ---- comparisons ------------------------------------------------------- */

enum { C_EQ, C_NE, C_LT, C_LE, C_GT, C_GE };

static inline __attribute__((always_inline)) uint8_t apply(int op, int c)
{
    switch (op) {
    case C_EQ: return c == 0;
    case C_NE: return c != 0;
    case C_LT: return c < 0;
    case C_LE: return c <= 0;
    case C_GT: return c > 0;
    default: return c >= 0;
    }
}

#define ICMP(p, q) (((p) > (q)) - ((p) < (q)))
#define FCMP(p, q) ((isnan(p) || isnan(q)) ? (isnan(p) - isnan(q)) : ICMP(p, q))

#define DEF_CMPLOOP(NAME, T, CMPF)                                                         \
    static inline __attribute__((always_inline)) void NAME(const wd_col *x, const wd_col *y, \
                                                           uint32_t n, uint8_t *o, int op) \
    {                                                                                      \
        const T *a = x->data, *b = y->data;                                                \
        if (!ISC(x) && !ISC(y)) {                                                          \
            for (uint32_t i = 0; i < n; i++) o[i] = apply(op, CMPF(a[i], b[i]));           \
        } else if (!ISC(x)) {                                                              \
            T bv = b[0];                                                                   \
            for (uint32_t i = 0; i < n; i++) o[i] = apply(op, CMPF(a[i], bv));             \
        } else if (!ISC(y)) {                                                              \
            T av = a[0];                                                                   \
            for (uint32_t i = 0; i < n; i++) o[i] = apply(op, CMPF(av, b[i]));             \
        } else {                                                                           \
            for (uint32_t i = 0; i < n; i++) o[i] = apply(op, CMPF(a[0], b[0]));           \
        }                                                                                  \
    }

DEF_CMPLOOP(cmp_i64, int64_t, ICMP)
DEF_CMPLOOP(cmp_i32, int32_t, ICMP)
DEF_CMPLOOP(cmp_f64, double, FCMP)

static inline __attribute__((always_inline)) int compare(wd_kctx *k, const wd_col *args,
                                                         uint32_t n, wd_col *out, int op)
{
    const wd_col *x = &args[0], *y = &args[1];
    uint8_t *o = out->data;
    if (x->type->id == y->type->id) {
        switch (x->type->id) {
        case WD_T_INT64:
        case WD_T_TIMESTAMP: cmp_i64(x, y, n, o, op); return 0;
        case WD_T_INT32:
        case WD_T_DATE: cmp_i32(x, y, n, o, op); return 0;
        case WD_T_FLOAT64: cmp_f64(x, y, n, o, op); return 0;
        default: break;
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        o[i] = 0;
        if (VALID_AT(out, i)) o[i] = apply(op, wd_x_val_cmp(x, i, y, i));
    }
    return 0;
}

#define DEF_CMPK(NAME, OP)                                                                     \
    static int NAME(wd_kctx *k, const wd_col *args, uint32_t nargs, uint32_t n, wd_col *out) \
    {                                                                                          \
        return compare(k, args, n, out, OP);                                                   \
    }
DEF_CMPK(k_eq, C_EQ)
DEF_CMPK(k_ne, C_NE)
DEF_CMPK(k_lt, C_LT)
DEF_CMPK(k_le, C_LE)
DEF_CMPK(k_gt, C_GT)
DEF_CMPK(k_ge, C_GE)

static const wd_type *r_cmp(wd_arena *a, const wd_type *const *t, uint32_t n, wd_error *err)
{
    for (uint32_t i = 0; i < n; i++)
        if (!wd_x_type_comparable(t[i])) {
            wd_err(err, WD_ETYPE, "values of type %s cannot be compared", wd_type_name(t[i]));
            return NULL;
        }
    return WD_TYPE_BOOL;
}

static const wd_type *r_cmp_same(wd_arena *a, const wd_type *const *t, uint32_t n, wd_error *err)
{
    return r_cmp(a, t, n, err) ? (n ? t[0] : WD_TYPE_NULL) : NULL;
}

static int distinct(const wd_col *args, uint32_t n, wd_col *out, bool want_distinct)
{
    const wd_col *x = &args[0], *y = &args[1];
    uint8_t *o = out->data;
    for (uint32_t i = 0; i < n; i++) {
        bool vx = x->type->id != WD_T_NULL && wd_col_valid(x, i);
        bool vy = y->type->id != WD_T_NULL && wd_col_valid(y, i);
        bool d = (vx != vy) || (vx && wd_x_val_cmp(x, i, y, i) != 0);
        o[i] = d == want_distinct;
    }
    return 0;
}

static int k_distinct(wd_kctx *k, const wd_col *args, uint32_t nargs, uint32_t n, wd_col *out)
{
    return distinct(args, n, out, true);
}

static int k_notdistinct(wd_kctx *k, const wd_col *args, uint32_t nargs, uint32_t n, wd_col *out)
{
    return distinct(args, n, out, false);
}

/* ---- text ---------------------------------------------------------------- */

static int k_concat(wd_kctx *k, const wd_col *args, uint32_t nargs, uint32_t n, wd_col *out)
{
    const wd_col *x = &args[0], *y = &args[1];
    size_t total = 0;
    for (uint32_t i = 0; i < n; i++)
        if (VALID_AT(out, i)) total += (size_t)WD_COL_GET(x, wd_str, i).len + WD_COL_GET(y, wd_str, i).len;
    char *buf = total ? wd_arena_alloc(k->arena, total) : NULL;
    wd_str *o = out->data;
    size_t at = 0;
    for (uint32_t i = 0; i < n; i++) {
        o[i] = wd_str_make("", 0);
        if (!VALID_AT(out, i)) continue;
        wd_str a = WD_COL_GET(x, wd_str, i), b = WD_COL_GET(y, wd_str, i);
        if ((size_t)a.len + b.len > UINT32_MAX)
            return wd_err_at(k->err, WD_EOVERFLOW, k->pos, "string too long");
        char *d = buf + at;
        if (a.len) memcpy(d, a.ptr, a.len);
        if (b.len) memcpy(d + a.len, b.ptr, b.len);
        o[i] = wd_str_make(d, a.len + b.len);
        at += (size_t)a.len + b.len;
    }
    return 0;
}

static inline unsigned char fold(unsigned char c, bool ci)
{
    return (ci && c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static inline size_t u8len(unsigned char c)
{
    if (c < 0x80) return 1;
    if ((c & 0xE0) == 0xC0) return 2;
    if ((c & 0xF0) == 0xE0) return 3;
    if ((c & 0xF8) == 0xF0) return 4;
    return 1;
}

/* SQL LIKE: % any run, _ one character, \ escapes the next character. */
static bool like_match(const char *s, size_t n, const char *p, size_t m, bool ci)
{
    size_t si = 0, pi = 0, star_p = (size_t)-1, star_s = 0;
    while (si < n) {
        if (pi < m) {
            unsigned char c = (unsigned char)p[pi];
            if (c == '%') {
                while (pi < m && p[pi] == '%') pi++;
                if (pi == m) return true;
                star_p = pi;
                star_s = si;
                continue;
            }
            if (c == '_') {
                size_t l = u8len((unsigned char)s[si]);
                si += l < n - si ? l : n - si;
                pi++;
                continue;
            }
            size_t plen = 1;
            if (c == '\\' && pi + 1 < m) {
                c = (unsigned char)p[pi + 1];
                plen = 2;
            }
            if (fold((unsigned char)s[si], ci) == fold(c, ci)) {
                si++;
                pi += plen;
                continue;
            }
        }
        if (star_p == (size_t)-1) return false;
        size_t l = u8len((unsigned char)s[star_s]);
        star_s += l < n - star_s ? l : n - star_s;
        si = star_s;
        pi = star_p;
    }
    while (pi < m && p[pi] == '%') pi++;
    return pi == m;
}

static int like(const wd_col *args, uint32_t n, wd_col *out, bool ci, bool neg)
{
    const wd_col *x = &args[0], *y = &args[1];
    uint8_t *o = out->data;
    for (uint32_t i = 0; i < n; i++) {
        o[i] = 0;
        if (!VALID_AT(out, i)) continue;
        wd_str s = WD_COL_GET(x, wd_str, i), p = WD_COL_GET(y, wd_str, i);
        o[i] = like_match(s.ptr, s.len, p.ptr, p.len, ci) != neg;
    }
    return 0;
}

static int k_like(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *o) { return like(a, n, o, false, false); }
static int k_ilike(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *o) { return like(a, n, o, true, false); }
static int k_nlike(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *o) { return like(a, n, o, false, true); }
static int k_nilike(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *o) { return like(a, n, o, true, true); }

/* ---- nullif, greatest, least -------------------------------------------- */

static int k_nullif(wd_kctx *k, const wd_col *args, uint32_t nargs, uint32_t n, wd_col *out)
{
    const wd_col *x = &args[0], *y = &args[1];
    wd_col nul = {0};
    nul.type = WD_TYPE_NULL;
    nul.len = 1;
    out->len = 0;
    for (uint32_t i = 0; i < n; i++) {
        bool vx = x->type->id != WD_T_NULL && wd_col_valid(x, i);
        bool vy = y->type->id != WD_T_NULL && wd_col_valid(y, i);
        if (!vx || (vy && wd_x_val_cmp(x, i, y, i) == 0))
            wd_x_col_append(out, &nul, 0, k->arena);
        else
            wd_x_col_append(out, x, i, k->arena);
    }
    return 0;
}

static int extreme(wd_kctx *k, const wd_col *args, uint32_t nargs, uint32_t n, wd_col *out, int sign)
{
    wd_col nul = {0};
    nul.type = WD_TYPE_NULL;
    nul.len = 1;
    out->len = 0;
    for (uint32_t i = 0; i < n; i++) {
        int best = -1;
        for (uint32_t j = 0; j < nargs; j++) {
            const wd_col *c = &args[j];
            if (c->type->id == WD_T_NULL || !wd_col_valid(c, i)) continue;
            if (best < 0 || sign * wd_x_val_cmp(c, i, &args[best], i) > 0) best = (int)j;
        }
        if (best < 0)
            wd_x_col_append(out, &nul, 0, k->arena);
        else
            wd_x_col_append(out, &args[best], i, k->arena);
    }
    return 0;
}

static int k_greatest(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *o) { return extreme(k, a, na, n, o, 1); }
static int k_least(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *o) { return extreme(k, a, na, n, o, -1); }

/* ---- table ------------------------------------------------------------- */

#define NUM2 {WD_P_NUMERIC, WD_P_NUMERIC}
#define SAME2 {WD_P_SAME, WD_P_SAME}
#define TEXT2 {WD_T_TEXT, WD_T_TEXT}
#define S WD_FN_STRICT

const wd_func wd_funcs_core[] = {
    {"+", 2, 2, NUM2, WD_P_SAME, r_add, k_add, NULL, S, "addition"},
    {"-", 2, 2, NUM2, WD_P_SAME, r_add, k_sub, NULL, S, "subtraction"},
    {"*", 2, 2, NUM2, WD_P_SAME, r_mul, k_mul, NULL, S, "multiplication"},
    {"/", 2, 2, NUM2, WD_P_SAME, r_div, k_div, NULL, S, "division (integer division truncates)"},
    {"%", 2, 2, NUM2, WD_P_SAME, NULL, k_mod, NULL, S, "remainder"},
    {"neg", 1, 1, {WD_P_NUMERIC}, WD_P_SAME, NULL, k_neg, NULL, S, "unary minus"},
    {"=", 2, 2, SAME2, WD_T_BOOL, r_cmp, k_eq, NULL, S, "equal"},
    {"<>", 2, 2, SAME2, WD_T_BOOL, r_cmp, k_ne, NULL, S, "not equal"},
    {"!=", 2, 2, SAME2, WD_T_BOOL, r_cmp, k_ne, NULL, S, "not equal"},
    {"<", 2, 2, SAME2, WD_T_BOOL, r_cmp, k_lt, NULL, S, "less than"},
    {"<=", 2, 2, SAME2, WD_T_BOOL, r_cmp, k_le, NULL, S, "less than or equal"},
    {">", 2, 2, SAME2, WD_T_BOOL, r_cmp, k_gt, NULL, S, "greater than"},
    {">=", 2, 2, SAME2, WD_T_BOOL, r_cmp, k_ge, NULL, S, "greater than or equal"},
    {"is distinct from", 2, 2, SAME2, WD_T_BOOL, r_cmp, k_distinct, NULL, 0,
     "not equal, treating NULLs as equal values"},
    {"is not distinct from", 2, 2, SAME2, WD_T_BOOL, r_cmp, k_notdistinct, NULL, 0,
     "equal, treating NULLs as equal values"},
    {"||", 2, 2, TEXT2, WD_T_TEXT, NULL, k_concat, NULL, S, "text concatenation"},
    {"like", 2, 2, TEXT2, WD_T_BOOL, NULL, k_like, NULL, S, "pattern match (% and _)"},
    {"ilike", 2, 2, TEXT2, WD_T_BOOL, NULL, k_ilike, NULL, S,
     "case-insensitive pattern match (ASCII case folding)"},
    {"not like", 2, 2, TEXT2, WD_T_BOOL, NULL, k_nlike, NULL, S, "negated LIKE"},
    {"not ilike", 2, 2, TEXT2, WD_T_BOOL, NULL, k_nilike, NULL, S, "negated ILIKE"},
    {"nullif", 2, 2, SAME2, WD_P_SAME, NULL, k_nullif, NULL, 0,
     "NULL when both arguments are equal, else the first"},
    {"greatest", -1, 1, {WD_P_SAME}, WD_P_SAME, r_cmp_same, k_greatest, NULL, 0,
     "largest non-NULL argument"},
    {"least", -1, 1, {WD_P_SAME}, WD_P_SAME, r_cmp_same, k_least, NULL, 0,
     "smallest non-NULL argument"},
};
const size_t wd_funcs_core_n = sizeof wd_funcs_core / sizeof wd_funcs_core[0];
