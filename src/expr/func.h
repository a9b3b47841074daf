/*
 * func.h — the function catalog: one registration per function.
 *
 * A registration names the function, its parameter types, its return type
 * and its kernel.  Overloads are separate registrations with the same name.
 * Operators are functions too, under their symbol ("+", "=", "||", "like",
 * "[]" for subscripts, "neg" for unary minus).
 *
 * Each group of functions lives in its own file with its own table
 * (func_math.c → wd_funcs_math[] …); catalog.c lists the tables.  Adding a
 * function is one entry in one table.
 */
#ifndef WD_FUNC_H
#define WD_FUNC_H

#include "batch/batch.h"
#include "common/buf.h"
#include "common/error.h"

/* Parameter type classes beyond the concrete wd_type_id values. */
enum {
    WD_P_ANY = WD_T__COUNT + 1, /* any type */
    WD_P_NUMERIC,               /* any numeric; the kernel sees the common type */
    WD_P_INTEGER,               /* any integer type */
    WD_P_STRINGY,               /* TEXT or JSON */
    WD_P_LIST,                  /* any LIST */
    WD_P_ELEM,                  /* the element type of the first LIST argument */
    WD_P_SAME,                  /* same type as the first argument (after coercion) */
};

/* Kernel context: what a kernel may use besides its arguments. */
typedef struct wd_kctx {
    wd_arena *arena;    /* allocate output strings / lists here */
    wd_error *err;      /* runtime errors (overflow, bad cast …) */
    void **state;       /* per-call-site slot, NULL at first; freed by fn->free_state */
    const wd_type *ret; /* resolved return type */
    int64_t now_ns;     /* now() for this batch */
    wd_pos pos;         /* call site, for error messages */
} wd_kctx;

/*
 * A kernel computes n rows.  out was initialised by the evaluator with
 * type k->ret, len n, room for n rows; for WD_FN_STRICT functions its
 * validity is already the AND of the arguments' (NULL when none has nulls)
 * and the kernel must not raise errors for invalid rows.  A kernel may add
 * nulls with wd_col_set_null.  Arguments may be WD_COL_CONST: read them with
 * WD_COL_GET / wd_col_valid.  When every argument is constant the evaluator
 * calls the kernel with n = 1 and marks the result constant.
 */
typedef int (*wd_kernel_fn)(wd_kctx *k, const wd_col *args, uint32_t nargs, uint32_t n,
                            wd_col *out);

/* Flags. */
#define WD_FN_STRICT 1u   /* null in any argument ⇒ null out (validity done for you) */
#define WD_FN_VOLATILE 2u /* depends on more than its arguments (now(), random()) */

typedef struct wd_func {
    const char *name;       /* lower-case SQL name or operator symbol */
    int8_t nargs;           /* fixed count, or -1 for variadic */
    int8_t min_args;        /* variadic: at least this many */
    uint16_t params[4];     /* wd_type_id or WD_P_*; variadic: params[0] for all */
    uint16_t ret;           /* wd_type_id or WD_P_SAME / WD_P_ELEM, when resolve is NULL */
    /* Optional: compute the return type from the (coerced) argument types;
     * may reject them by returning NULL with err filled. */
    const wd_type *(*resolve)(wd_arena *a, const wd_type *const *args, uint32_t nargs,
                              wd_error *err);
    wd_kernel_fn kernel;
    void (*free_state)(void *state);
    uint32_t flags;         /* WD_FN_* */
    const char *doc;        /* one line for docs/sql.md and the console */
} wd_func;

/*
 * Pick the registration of name that accepts args (after implicit casts).
 * On success *fn, *ret and cast_to[i] (the type arg i must be cast to, or
 * NULL when it fits as is) are set and 0 returned.  Otherwise WD_ENAME
 * ("unknown function 'lowr' (did you mean 'lower'?)") or WD_ETYPE
 * ("no function abs(TEXT); accepted: abs(BIGINT), abs(DOUBLE), …").
 */
int wd_func_resolve(const char *name, const wd_type *const *args, uint32_t nargs,
                    wd_arena *a, const wd_func **fn, const wd_type **ret,
                    const wd_type **cast_to, wd_error *err);

/* True when some registration has this name. */
bool wd_func_exists(const char *name);

/* Append the signature of f, e.g. "substr(TEXT, BIGINT, BIGINT)". */
void wd_func_signature(const wd_func *f, struct wd_buf *out);

/* Visit every registration (docs, console catalog). */
void wd_func_foreach(void (*visit)(const wd_func *f, void *arg), void *arg);

/* ---- coercion and casts ------------------------------------------------ */

/* The type both a and b convert to implicitly (for =, +, CASE, UNION …), or NULL. */
const wd_type *wd_type_common(wd_arena *a, const wd_type *x, const wd_type *y);

/* Whether an implicit conversion from → to exists (int widening, int → float,
 * NULL → anything, TEXT literal → TIMESTAMP/DATE/INTERVAL is the analyzer's). */
bool wd_type_implicit(const wd_type *from, const wd_type *to);

/* Whether CAST(from AS to) is allowed at all. */
bool wd_cast_allowed(const wd_type *from, const wd_type *to);

/*
 * Cast column in (n rows; may be CONST) to type k->ret into out (initialised
 * by the caller like a kernel's).  A value that cannot be converted is an
 * error naming it ("cannot cast 'abc' to BIGINT"), or null when try is set.
 */
int wd_cast_col(wd_kctx *k, const wd_col *in, uint32_t n, wd_col *out, bool try_cast);

/* Kernel tables (one per file). */
#define WD_FUNC_TABLES(X) X(core) X(math) X(text) X(regex) X(time) X(hash) X(json) X(array)
#define WD_FUNC_DECL(g) extern const wd_func wd_funcs_##g[]; extern const size_t wd_funcs_##g##_n;
WD_FUNC_TABLES(WD_FUNC_DECL)
#undef WD_FUNC_DECL

#endif
