/*
 * expr.h — typed expressions and their vectorised evaluation.
 *
 * The analyzer turns SQL expressions into wd_expr trees (allocated in the
 * plan's arena, immutable, shared by every subtask).  An operator instance
 * compiles the trees it evaluates into a wd_eval, which holds per-call-site
 * runtime state (compiled regexes …), then evaluates them batch by batch.
 *
 * Everything that is a function of its arguments (operators such as +, =,
 * LIKE, ||, subscripts, and named functions) is a WD_EX_CALL to a catalog
 * function (func.h).  The special forms below need lazy or three-valued
 * evaluation and are handled by the evaluator itself.
 */
#ifndef WD_EXPR_H
#define WD_EXPR_H

#include "batch/batch.h"
#include "common/buf.h"
#include "common/error.h"

struct wd_func;

typedef enum wd_expr_kind {
    WD_EX_COL,         /* input column `col` of the batch */
    WD_EX_LIT,         /* literal: `lit`, a 1-row WD_COL_CONST column */
    WD_EX_CALL,        /* fn(args…) */
    WD_EX_CAST,        /* args[0] cast to `type`; TRY_CAST when `flags & WD_EXF_TRY` */
    WD_EX_AND,         /* args[0] AND args[1] AND …   (SQL three-valued) */
    WD_EX_OR,          /* args[0] OR args[1] OR … */
    WD_EX_NOT,         /* NOT args[0] */
    WD_EX_IS_NULL,     /* args[0] IS NULL */
    WD_EX_IS_NOT_NULL, /* args[0] IS NOT NULL */
    WD_EX_IS_TRUE,     /* args[0] IS TRUE  (never null) */
    WD_EX_IS_FALSE,    /* args[0] IS FALSE */
    WD_EX_IS_NOT_TRUE,
    WD_EX_IS_NOT_FALSE,
    WD_EX_CASE,        /* searched CASE: args = when1, then1, when2, then2, …, [else]
                          (`flags & WD_EXF_ELSE` when the last arg is the else);
                          a simple CASE x WHEN v is rewritten to x = v by the analyzer */
    WD_EX_COALESCE,    /* first non-null of args */
    WD_EX_FIELD,       /* args[0] (a STRUCT) . field number `col` */
    WD_EX_IN,          /* args[0] IN (args[1…]); NOT IN when `flags & WD_EXF_NEG` */
    WD_EX_ROW,         /* struct constructor: args are the fields of `type` */
    WD_EX_ARRAY,       /* array literal [args…] of `type` (a LIST) */
} wd_expr_kind;

#define WD_EXF_ELSE 1u
#define WD_EXF_NEG 2u
#define WD_EXF_TRY 4u

typedef struct wd_expr {
    wd_expr_kind kind;
    uint32_t flags;            /* WD_EXF_* */
    const wd_type *type;       /* result type */
    int col;                   /* WD_EX_COL: input column; WD_EX_FIELD: field */
    wd_col lit;                /* WD_EX_LIT */
    const struct wd_func *fn;  /* WD_EX_CALL */
    uint32_t nargs;
    struct wd_expr **args;
    wd_pos pos;                /* where in the SQL text (for runtime errors) */
} wd_expr;

/* Constructors (arena a).  args are copied. */
wd_expr *wd_expr_col(wd_arena *a, int col, const wd_type *t);
wd_expr *wd_expr_lit(wd_arena *a, const wd_type *t);  /* lit column ready, value unset */
wd_expr *wd_expr_lit_null(wd_arena *a, const wd_type *t);
wd_expr *wd_expr_lit_i64(wd_arena *a, int64_t v);
wd_expr *wd_expr_lit_f64(wd_arena *a, double v);
wd_expr *wd_expr_lit_bool(wd_arena *a, bool v);
wd_expr *wd_expr_lit_text(wd_arena *a, const char *s, size_t n);
wd_expr *wd_expr_node(wd_arena *a, wd_expr_kind k, const wd_type *t, uint32_t nargs,
                      wd_expr *const *args);
wd_expr *wd_expr_call(wd_arena *a, const struct wd_func *fn, const wd_type *ret,
                      uint32_t nargs, wd_expr *const *args);
wd_expr *wd_expr_cast(wd_arena *a, wd_expr *e, const wd_type *to);

/* Print an expression for EXPLAIN ("($3 + 1)", "lower($1)"). */
void wd_expr_print(const wd_expr *e, struct wd_buf *out);

/* True when e reads no input column and calls no WD_FN_VOLATILE function
 * (a constant tree that may be folded). */
bool wd_expr_is_const(const wd_expr *e);

/* Structural equality: same operators, columns, functions and literal
 * values (volatile calls are never equal). */
bool wd_expr_equal(const wd_expr *a, const wd_expr *b);

/* ---- evaluation -------------------------------------------------------- */

typedef struct wd_eval wd_eval;

/* Compile n expressions for evaluation by one operator instance. */
wd_eval *wd_eval_new(const wd_expr *const *exprs, uint32_t n);
void wd_eval_free(wd_eval *ev);

/*
 * Evaluate expression i over batch in.  out is initialised here; its
 * buffers come from arena a (normally the output batch's arena, which must
 * borrow `in` since results may be views of in's columns).  The result may
 * be WD_COL_CONST.  Returns 0, or a negative WD_E* code with err filled
 * (e.g. "integer overflow in 9223372036854775807 + 1").
 */
int wd_eval_run(wd_eval *ev, uint32_t i, const wd_batch *in, wd_arena *a, wd_col *out,
                wd_error *err);

/*
 * Evaluate boolean expression i as a filter: writes the indexes of rows
 * where it is TRUE (not NULL, not FALSE) to sel (room for in->nrows) and
 * returns how many, or a negative WD_E* code.
 */
int wd_eval_filter(wd_eval *ev, uint32_t i, const wd_batch *in, wd_arena *scratch,
                   uint32_t *sel, wd_error *err);

/* Evaluate a constant expression to a 1-row column (for option values,
 * literals folded by the analyzer). */
int wd_expr_eval_const(const wd_expr *e, wd_arena *a, wd_col *out, wd_error *err);

#endif
