/*
 * expr.c — expression constructors, printing for EXPLAIN, and constness
 * (the non-evaluating half of expr.h).
 */
#include <ctype.h>
#include <string.h>

#include "common/buf.h"
#include "expr/expr_int.h"

static wd_expr *node_new(wd_arena *a, wd_expr_kind k, const wd_type *t)
{
    wd_expr *e = wd_arena_calloc(a, sizeof *e);
    if (!e) return NULL;
    e->kind = k;
    e->type = t;
    e->col = -1;
    return e;
}

static bool set_args(wd_arena *a, wd_expr *e, uint32_t nargs, wd_expr *const *args)
{
    e->nargs = nargs;
    if (!nargs) return true;
    e->args = wd_arena_alloc(a, nargs * sizeof *e->args);
    if (!e->args) return false;
    memcpy(e->args, args, nargs * sizeof *e->args);
    return true;
}

wd_expr *wd_expr_col(wd_arena *a, int col, const wd_type *t)
{
    wd_expr *e = node_new(a, WD_EX_COL, t);
    if (e) e->col = col;
    return e;
}

wd_expr *wd_expr_lit(wd_arena *a, const wd_type *t)
{
    wd_expr *e = node_new(a, WD_EX_LIT, t);
    if (!e) return NULL;
    wd_col_init(&e->lit, t, 1, a);
    e->lit.len = 1;
    e->lit.flags |= WD_COL_CONST;
    size_t w = wd_type_width(t->id);
    if (e->lit.data && w) memset(e->lit.data, 0, w);
    if (t->id == WD_T_LIST && e->lit.data) memset(e->lit.data, 0, 8);
    return e;
}

wd_expr *wd_expr_lit_null(wd_arena *a, const wd_type *t)
{
    wd_expr *e = wd_expr_lit(a, t ? t : WD_TYPE_NULL);
    if (e) wd_col_set_null(&e->lit, 0, a);
    return e;
}

wd_expr *wd_expr_lit_i64(wd_arena *a, int64_t v)
{
    wd_expr *e = wd_expr_lit(a, WD_TYPE_INT64);
    if (e) WD_COL_VALS(&e->lit, int64_t)[0] = v;
    return e;
}

wd_expr *wd_expr_lit_f64(wd_arena *a, double v)
{
    wd_expr *e = wd_expr_lit(a, WD_TYPE_FLOAT64);
    if (e) WD_COL_VALS(&e->lit, double)[0] = v;
    return e;
}

wd_expr *wd_expr_lit_bool(wd_arena *a, bool v)
{
    wd_expr *e = wd_expr_lit(a, WD_TYPE_BOOL);
    if (e) WD_COL_VALS(&e->lit, uint8_t)[0] = v ? 1 : 0;
    return e;
}

wd_expr *wd_expr_lit_text(wd_arena *a, const char *s, size_t n)
{
    wd_expr *e = wd_expr_lit(a, WD_TYPE_TEXT);
    if (e) WD_COL_VALS(&e->lit, wd_str)[0] = wd_str_copy(a, s ? s : "", s ? n : 0);
    return e;
}

wd_expr *wd_expr_node(wd_arena *a, wd_expr_kind k, const wd_type *t, uint32_t nargs,
                      wd_expr *const *args)
{
    wd_expr *e = node_new(a, k, t);
    if (e && !set_args(a, e, nargs, args)) return NULL;
    return e;
}

wd_expr *wd_expr_call(wd_arena *a, const struct wd_func *fn, const wd_type *ret, uint32_t nargs,
                      wd_expr *const *args)
{
    wd_expr *e = wd_expr_node(a, WD_EX_CALL, ret, nargs, args);
    if (e) e->fn = fn;
    return e;
}

wd_expr *wd_expr_cast(wd_arena *a, wd_expr *x, const wd_type *to)
{
    wd_expr *e = wd_expr_node(a, WD_EX_CAST, to, 1, &x);
    if (e && x) e->pos = x->pos;
    return e;
}

/* ---- printing ---------------------------------------------------------- */

static bool is_infix(const char *name)
{
    static const char *const words[] = {"like", "ilike", "not like", "not ilike",
                                        "is distinct from", "is not distinct from"};
    if (!name[0]) return false;
    if (!isalpha((unsigned char)name[0]) && name[0] != '_' && strcmp(name, "[]")) return true;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (!strcmp(name, words[i])) return true;
    return false;
}

static void print_lit(const wd_col *c, wd_buf *out)
{
    if (!wd_col_valid(c, 0) || c->type->id == WD_T_NULL) {
        wd_buf_puts(out, "NULL");
        return;
    }
    wd_buf tmp = WD_BUF_INIT;
    wd_x_val_text(&tmp, c, 0, false);
    const char *s = tmp.data ? tmp.data : "";
    switch (c->type->id) {
    case WD_T_TEXT:
    case WD_T_JSON:
    case WD_T_BYTES:
    case WD_T_TIMESTAMP:
    case WD_T_DATE:
    case WD_T_INTERVAL:
        if (c->type->id != WD_T_TEXT) wd_buf_printf(out, "%s ", wd_type_name(c->type));
        wd_buf_putc(out, '\'');
        for (size_t i = 0; i < tmp.len; i++) {
            if (s[i] == '\'') wd_buf_putc(out, '\'');
            wd_buf_putc(out, s[i]);
        }
        wd_buf_putc(out, '\'');
        break;
    default: wd_buf_put(out, s, tmp.len); break;
    }
    wd_buf_free(&tmp);
}

static void print_args(const wd_expr *e, uint32_t from, const char *sep, wd_buf *out)
{
    for (uint32_t i = from; i < e->nargs; i++) {
        if (i > from) wd_buf_puts(out, sep);
        wd_expr_print(e->args[i], out);
    }
}

void wd_expr_print(const wd_expr *e, struct wd_buf *out)
{
    if (!e) {
        wd_buf_puts(out, "?");
        return;
    }
    switch (e->kind) {
    case WD_EX_COL: wd_buf_printf(out, "$%d", e->col); return;
    case WD_EX_LIT: print_lit(&e->lit, out); return;
    case WD_EX_CALL: {
        const char *nm = e->fn ? e->fn->name : "?";
        if (!strcmp(nm, "neg") && e->nargs == 1) {
            wd_buf_puts(out, "(- ");
            wd_expr_print(e->args[0], out);
            wd_buf_putc(out, ')');
        } else if (!strcmp(nm, "[]") && e->nargs == 2) {
            wd_expr_print(e->args[0], out);
            wd_buf_putc(out, '[');
            wd_expr_print(e->args[1], out);
            wd_buf_putc(out, ']');
        } else if (e->nargs == 2 && is_infix(nm)) {
            wd_buf_putc(out, '(');
            wd_expr_print(e->args[0], out);
            wd_buf_printf(out, " %s ", nm);
            wd_expr_print(e->args[1], out);
            wd_buf_putc(out, ')');
        } else {
            wd_buf_printf(out, "%s(", nm);
            print_args(e, 0, ", ", out);
            wd_buf_putc(out, ')');
        }
        return;
    }
    case WD_EX_CAST:
        wd_buf_puts(out, (e->flags & WD_EXF_TRY) ? "TRY_CAST(" : "CAST(");
        print_args(e, 0, ", ", out);
        wd_buf_printf(out, " AS %s)", wd_type_name(e->type));
        return;
    case WD_EX_AND:
    case WD_EX_OR:
        wd_buf_putc(out, '(');
        print_args(e, 0, e->kind == WD_EX_AND ? " AND " : " OR ", out);
        wd_buf_putc(out, ')');
        return;
    case WD_EX_NOT:
        wd_buf_puts(out, "(NOT ");
        print_args(e, 0, ", ", out);
        wd_buf_putc(out, ')');
        return;
    case WD_EX_IS_NULL:
    case WD_EX_IS_NOT_NULL:
    case WD_EX_IS_TRUE:
    case WD_EX_IS_FALSE:
    case WD_EX_IS_NOT_TRUE:
    case WD_EX_IS_NOT_FALSE: {
        static const char *const sfx[] = {"IS NULL", "IS NOT NULL", "IS TRUE",
                                          "IS FALSE", "IS NOT TRUE", "IS NOT FALSE"};
        wd_buf_putc(out, '(');
        print_args(e, 0, ", ", out);
        wd_buf_printf(out, " %s)", sfx[e->kind - WD_EX_IS_NULL]);
        return;
    }
    case WD_EX_CASE: {
        uint32_t pairs = e->nargs / 2;
        bool has_else = (e->flags & WD_EXF_ELSE) && e->nargs % 2 == 1;
        wd_buf_puts(out, "CASE");
        for (uint32_t i = 0; i < pairs; i++) {
            wd_buf_puts(out, " WHEN ");
            wd_expr_print(e->args[2 * i], out);
            wd_buf_puts(out, " THEN ");
            wd_expr_print(e->args[2 * i + 1], out);
        }
        if (has_else) {
            wd_buf_puts(out, " ELSE ");
            wd_expr_print(e->args[e->nargs - 1], out);
        }
        wd_buf_puts(out, " END");
        return;
    }
    case WD_EX_COALESCE:
        wd_buf_puts(out, "coalesce(");
        print_args(e, 0, ", ", out);
        wd_buf_putc(out, ')');
        return;
    case WD_EX_FIELD: {
        const wd_expr *s = e->nargs ? e->args[0] : NULL;
        wd_expr_print(s, out);
        if (s && s->type && s->type->id == WD_T_STRUCT && e->col >= 0 &&
            (uint32_t)e->col < s->type->nfields && s->type->fields[e->col].name)
            wd_buf_printf(out, ".%s", s->type->fields[e->col].name);
        else
            wd_buf_printf(out, ".%d", e->col);
        return;
    }
    case WD_EX_IN:
        wd_buf_putc(out, '(');
        if (e->nargs) wd_expr_print(e->args[0], out);
        wd_buf_puts(out, (e->flags & WD_EXF_NEG) ? " NOT IN (" : " IN (");
        print_args(e, 1, ", ", out);
        wd_buf_puts(out, "))");
        return;
    case WD_EX_ROW:
        wd_buf_puts(out, "ROW(");
        print_args(e, 0, ", ", out);
        wd_buf_putc(out, ')');
        return;
    case WD_EX_ARRAY:
        wd_buf_putc(out, '[');
        print_args(e, 0, ", ", out);
        wd_buf_putc(out, ']');
        return;
    }
    wd_buf_puts(out, "?");
}

bool wd_expr_is_const(const wd_expr *e)
{
    if (!e) return true;
    if (e->kind == WD_EX_COL) return false;
    if (e->kind == WD_EX_CALL && e->fn && (e->fn->flags & WD_FN_VOLATILE)) return false;
    for (uint32_t i = 0; i < e->nargs; i++)
        if (!wd_expr_is_const(e->args[i])) return false;
    return true;
}

/* Literal values equal (both 1-row constant columns of equal type). */
static bool lit_equal(const wd_col *a, const wd_col *b)
{
    bool va = wd_col_valid(a, 0), vb = wd_col_valid(b, 0);
    if (va != vb) return false;
    if (!va) return true;
    wd_buf x = WD_BUF_INIT, y = WD_BUF_INIT;
    wd_expr ea = {.kind = WD_EX_LIT, .type = a->type, .lit = *a};
    wd_expr eb = {.kind = WD_EX_LIT, .type = b->type, .lit = *b};
    wd_expr_print(&ea, &x);
    wd_expr_print(&eb, &y);
    bool eq = x.len == y.len && (!x.len || !memcmp(x.data, y.data, x.len));
    wd_buf_free(&x);
    wd_buf_free(&y);
    return eq;
}

bool wd_expr_equal(const wd_expr *a, const wd_expr *b)
{
    if (a == b) return true;
    if (!a || !b) return false;
    if (a->kind != b->kind || a->flags != b->flags || a->nargs != b->nargs ||
        !wd_type_eq(a->type, b->type))
        return false;
    switch (a->kind) {
    case WD_EX_COL:
    case WD_EX_FIELD:
        if (a->col != b->col) return false;
        break;
    case WD_EX_LIT:
        if (!lit_equal(&a->lit, &b->lit)) return false;
        break;
    case WD_EX_CALL:
        if (a->fn != b->fn) return false;
        if (a->fn && (a->fn->flags & WD_FN_VOLATILE)) return false;
        break;
    default:
        break;
    }
    for (uint32_t i = 0; i < a->nargs; i++)
        if (!wd_expr_equal(a->args[i], b->args[i])) return false;
    return true;
}
