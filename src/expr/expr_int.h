/*
 * expr_int.h — what the files of src/expr share beyond expr.h and func.h:
 * value formatting (casts, error messages), decimal arithmetic helpers,
 * generic row copy and comparison.  Not an interface for other modules.
 */
#ifndef WD_EXPR_INT_H
#define WD_EXPR_INT_H

#include "batch/batch.h"
#include "common/buf.h"
#include "expr/expr.h"
#include "expr/func.h"

/* 10^i as a 128-bit integer, i in 0..38. */
wd_i128 wd_x_pow10(int i);

/* Decimal digits needed for |v| (1 for 0). */
int wd_x_i128_digits(wd_i128 v);

/* Divide v by 10^k rounding half away from zero (k ≥ 0). */
wd_i128 wd_x_i128_round_div(wd_i128 v, int k);

/* Format a 128-bit integer / a decimal of scale s; returns length. out ≥ 48. */
size_t wd_x_i128_format(wd_i128 v, char *out);
size_t wd_x_dec_format(wd_i128 v, int scale, char *out);

/*
 * Parse decimal text ([sign] digits [. digits] [e [sign] digits], white
 * space around allowed) to its value times 10^scale, rounded half away from
 * zero.  Returns 0, 1 (not a number) or 2 (more than 38 digits).
 */
int wd_x_parse_dec(const char *s, size_t n, int scale, wd_i128 *out);

/* Shortest round-trip text of a double / float, PostgreSQL style. out ≥ 32. */
size_t wd_x_f64_format(double d, char *out);
size_t wd_x_f32_format(float f, char *out);

/*
 * Append the text form of row i of c (logical row; CONST honoured) to b:
 * the form CAST(… AS TEXT) produces; json = true quotes strings and
 * temporal values and writes NULL as null (for STRUCT/LIST as JSON).
 */
void wd_x_val_text(wd_buf *b, const wd_col *c, uint32_t i, bool json);

/* Text of row i for an error message, into out (n bytes); TEXT quoted. */
const char *wd_x_val_msg(const wd_col *c, uint32_t i, char *out, size_t n);

/*
 * Append logical row i of src (CONST honoured, null kept) to dst at row
 * dst->len, growing dst in arena a; dst->len is incremented.  src's type
 * must have dst's physical layout (same type id; NULL-typed src appends a
 * null).
 */
void wd_x_col_append(wd_col *dst, const wd_col *src, uint32_t i, wd_arena *a);

/*
 * Compare row i of a with row j of b (same type id, both valid): <0, 0,
 * >0.  DECIMALs of different scales compare by value; floats order NaN
 * above every number (PostgreSQL); STRUCT/LIST compare element-wise.
 */
int wd_x_val_cmp(const wd_col *a, uint32_t i, const wd_col *b, uint32_t j);

/* Whether values of type t can be compared with wd_x_val_cmp. */
bool wd_x_type_comparable(const wd_type *t);

/* Set every row of c (len rows from 0) null, allocating validity. */
void wd_x_col_all_null(wd_col *c, wd_arena *a);

/*
 * The kernel of "/" (mod = false) and "%" (mod = true) over two arguments of
 * out's type (DECIMAL: any scales); shared with mod() in func_math.c.
 */
int wd_x_divmod(wd_kctx *k, const wd_col *args, uint32_t n, wd_col *out, bool mod);

#endif
