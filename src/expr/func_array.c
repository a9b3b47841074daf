/*
 * func_array.c — functions on LIST values (SQL arrays).
 *
 * A LIST column holds uint32 offsets[len + 1] in data and the elements of
 * every row in child[0] (types.h).  SQL arrays are 1-based.  Results that
 * are lists are built in k->arena through wd_x_col_append, which copies
 * nested lists and structs element by element.
 *
 * Exports: wd_funcs_array, wd_funcs_array_n.
 */
#include <string.h>

#include "common/buf.h"
#include "expr/expr_int.h"
#include "expr/func.h"

static inline const uint32_t *offs(const wd_col *c) { return (const uint32_t *)c->data; }

/* Element range [*b, *e) of logical row i of list column c. */
static inline void list_range(const wd_col *c, uint32_t i, uint32_t *b, uint32_t *e)
{
    uint32_t r = wd_col_idx(c, i);
    *b = offs(c)[r];
    *e = offs(c)[r + 1];
}

static int64_t int_arg(const wd_col *c, uint32_t i) { return WD_COL_GET(c, int64_t, i); }

/* A 1-row null column used to append nulls. */
static const wd_col *null_col(void)
{
    static const uint8_t zero = 0;
    static wd_col nul = {&wd_type_null_, 1, WD_COL_CONST, (uint8_t *)&zero, NULL, NULL, 1};
    return &nul;
}

/* list[i]: element i (1-based) or NULL when out of range. */
static int k_subscript(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    const wd_col *l = &a[0];
    out->len = 0;
    for (uint32_t i = 0; i < n; i++) {
        bool ok = wd_col_valid(out, i); /* read before the append rewrites row i */
        if (ok) {
            uint32_t b, e;
            list_range(l, i, &b, &e);
            int64_t x = int_arg(&a[1], i);
            if (x >= 1 && x <= (int64_t)(e - b)) {
                wd_x_col_append(out, l->child, b + (uint32_t)(x - 1), k->arena);
                continue;
            }
        }
        wd_x_col_append(out, null_col(), 0, k->arena);
    }
    return 0;
}

/* array_length(list [, dim]): elements of dimension 1 (0 for an empty list);
 * other dimensions → NULL. */
static int k_array_length(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    int64_t *o = WD_COL_VALS(out, int64_t);
    for (uint32_t i = 0; i < n; i++) {
        if (!wd_col_valid(out, i)) continue;
        if (na > 1 && int_arg(&a[1], i) != 1) {
            wd_col_set_null(out, i, k->arena);
            continue;
        }
        uint32_t b, e;
        list_range(&a[0], i, &b, &e);
        o[i] = e - b;
    }
    return 0;
}

/* cardinality(list): total number of elements, counting through nested lists. */
static int k_cardinality(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    int64_t *o = WD_COL_VALS(out, int64_t);
    for (uint32_t i = 0; i < n; i++) {
        if (!wd_col_valid(out, i)) continue;
        uint32_t b, e;
        list_range(&a[0], i, &b, &e);
        const wd_col *c = a[0].child;
        while (c->type->id == WD_T_LIST && b < e) { /* map the range one level down */
            b = offs(c)[b];
            e = offs(c)[e];
            c = c->child;
        }
        o[i] = e - b;
    }
    return 0;
}

/* Search row i of list l for value v (row i of col v).  Returns the 0-based
 * position, -1 when absent, -2 when absent but the list holds nulls. */
static int64_t list_find(const wd_col *l, uint32_t i, const wd_col *v)
{
    uint32_t b, e;
    list_range(l, i, &b, &e);
    const wd_col *ch = l->child;
    bool saw_null = false;
    for (uint32_t j = b; j < e; j++) {
        if (!wd_col_valid(ch, j) || ch->type->id == WD_T_NULL) {
            saw_null = true;
            continue;
        }
        if (wd_x_val_cmp(ch, j, v, i) == 0) return j - b;
    }
    return saw_null ? -2 : -1;
}

/* array_contains / array_has(list, v): like v = ANY(list): true when found;
 * NULL when not found and the list holds a null; false otherwise. */
static int k_array_has(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    uint8_t *o = WD_COL_VALS(out, uint8_t);
    for (uint32_t i = 0; i < n; i++) {
        if (!wd_col_valid(out, i)) continue;
        int64_t p = list_find(&a[0], i, &a[1]);
        if (p == -2) wd_col_set_null(out, i, k->arena);
        else o[i] = p >= 0;
    }
    return 0;
}

/* array_position(list, v): 1-based position of the first element equal to v, or NULL. */
static int k_array_position(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    int64_t *o = WD_COL_VALS(out, int64_t);
    for (uint32_t i = 0; i < n; i++) {
        if (!wd_col_valid(out, i)) continue;
        int64_t p = list_find(&a[0], i, &a[1]);
        if (p < 0) wd_col_set_null(out, i, k->arena);
        else o[i] = p + 1;
    }
    return 0;
}

/* Append the elements of row i of list l (nothing when null) to out's child. */
static void append_elems(wd_col *out, const wd_col *l, uint32_t i, wd_arena *a)
{
    if (!wd_col_valid(l, i) || l->type->id != WD_T_LIST) return;
    uint32_t b, e;
    list_range(l, i, &b, &e);
    for (uint32_t j = b; j < e; j++) wd_x_col_append(out->child, l->child, j, a);
}

/* array_append(list, v): list with v added at the end (a NULL list counts as empty). */
static int k_array_append(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    uint32_t *off = WD_COL_VALS(out, uint32_t);
    off[0] = out->child->len;
    for (uint32_t i = 0; i < n; i++) {
        append_elems(out, &a[0], i, k->arena);
        wd_x_col_append(out->child, &a[1], i, k->arena);
        off[i + 1] = out->child->len;
    }
    return 0;
}

/* array_prepend(v, list): list with v added at the front. */
static int k_array_prepend(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    uint32_t *off = WD_COL_VALS(out, uint32_t);
    off[0] = out->child->len;
    for (uint32_t i = 0; i < n; i++) {
        wd_x_col_append(out->child, &a[0], i, k->arena);
        append_elems(out, &a[1], i, k->arena);
        off[i + 1] = out->child->len;
    }
    return 0;
}

/* array_concat / array_cat(l1, l2): the elements of both; NULL only when both are. */
static int k_array_concat(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    uint32_t *off = WD_COL_VALS(out, uint32_t);
    off[0] = out->child->len;
    for (uint32_t i = 0; i < n; i++) {
        bool any = false;
        for (uint32_t x = 0; x < na; x++) {
            if (wd_col_valid(&a[x], i) && a[x].type->id == WD_T_LIST) any = true;
            append_elems(out, &a[x], i, k->arena);
        }
        off[i + 1] = out->child->len;
        if (!any) wd_col_set_null(out, i, k->arena);
    }
    return 0;
}

/* The LIST type of whichever argument is a list (array_prepend's second). */
static const wd_type *resolve_prepend(wd_arena *ar, const wd_type *const *args,
                                      uint32_t nargs, wd_error *err)
{
    if (args[1]->id != WD_T_LIST) {
        wd_err(err, WD_ETYPE, "array_prepend: the second argument must be an array, not %s",
               wd_type_name(args[1]));
        return NULL;
    }
    const wd_type *el = args[1]->elem;
    if (args[0]->id != WD_T_NULL && !wd_type_eq(args[0], el)) {
        wd_err(err, WD_ETYPE, "array_prepend: cannot add %s to %s", wd_type_name(args[0]),
               wd_type_name(args[1]));
        return NULL;
    }
    return args[1];
}

/* array_to_string(list, sep [, null_text]): the elements' text joined by sep;
 * NULL elements are skipped, or written as null_text when it is given. */
static int k_array_to_string(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    wd_str *o = WD_COL_VALS(out, wd_str);
    wd_buf b = WD_BUF_INIT;
    const wd_col *ch = a[0].child;
    bool is_text = ch->type->id == WD_T_TEXT || ch->type->id == WD_T_JSON;
    for (uint32_t i = 0; i < n; i++) {
        if (!wd_col_valid(out, i)) continue;
        wd_str sep = WD_COL_GET(&a[1], wd_str, i);
        bool has_nt = na > 2 && wd_col_valid(&a[2], i) && a[2].type->id != WD_T_NULL;
        wd_str nt = has_nt ? WD_COL_GET(&a[2], wd_str, i) : wd_str_make("", 0);
        uint32_t lb, le;
        list_range(&a[0], i, &lb, &le);
        wd_buf_reset(&b);
        bool first = true;
        for (uint32_t j = lb; j < le; j++) {
            bool valid = wd_col_valid(ch, j) && ch->type->id != WD_T_NULL;
            if (!valid && !has_nt) continue;
            if (!first && sep.len) wd_buf_put(&b, sep.ptr, sep.len);
            first = false;
            if (!valid) {
                if (nt.len) wd_buf_put(&b, nt.ptr, nt.len);
            } else if (is_text) {
                wd_str v = WD_COL_GET(ch, wd_str, j);
                if (v.len) wd_buf_put(&b, v.ptr, v.len);
            } else {
                wd_x_val_text(&b, ch, j, false);
            }
        }
        if (b.len > UINT32_MAX / 2) {
            wd_buf_free(&b);
            return wd_err_at(k->err, WD_EINVALID, k->pos, "array_to_string: result too long");
        }
        o[i] = wd_str_copy(k->arena, b.len ? b.data : "", b.len);
    }
    wd_buf_free(&b);
    return 0;
}

/* ---- table ---------------------------------------------------------------------- */

#define L WD_P_LIST
#define E WD_P_ELEM
#define I WD_T_INT64
#define T WD_T_TEXT
#define S WD_FN_STRICT

const wd_func wd_funcs_array[] = {
    {"[]", 2, 2, {L, I}, E, NULL, k_subscript, NULL, S,
     "list[i]: element i (1-based), NULL when out of range"},
    {"array_length", 1, 1, {L}, I, NULL, k_array_length, NULL, S,
     "array_length(list): number of elements (0 when empty)"},
    {"array_length", 2, 2, {L, I}, I, NULL, k_array_length, NULL, S,
     "array_length(list, dim): number of elements of dimension dim (only 1; else NULL)"},
    {"cardinality", 1, 1, {L}, I, NULL, k_cardinality, NULL, S,
     "cardinality(list): total number of elements, nested lists included"},
    {"array_contains", 2, 2, {L, E}, WD_T_BOOL, NULL, k_array_has, NULL, S,
     "array_contains(list, v): whether v is an element (like v = ANY(list))"},
    {"array_has", 2, 2, {L, E}, WD_T_BOOL, NULL, k_array_has, NULL, S,
     "array_has(list, v): whether v is an element (like v = ANY(list))"},
    {"array_position", 2, 2, {L, E}, I, NULL, k_array_position, NULL, S,
     "array_position(list, v): 1-based position of the first v, NULL if absent"},
    {"array_append", 2, 2, {L, E}, WD_P_SAME, NULL, k_array_append, NULL, 0,
     "array_append(list, v): list with v at the end"},
    {"array_prepend", 2, 2, {WD_P_ANY, L}, WD_T_LIST, resolve_prepend, k_array_prepend, NULL, 0,
     "array_prepend(v, list): list with v at the front"},
    {"array_concat", 2, 2, {L, WD_P_SAME}, WD_P_SAME, NULL, k_array_concat, NULL, 0,
     "array_concat(list, list): the elements of both"},
    {"array_cat", 2, 2, {L, WD_P_SAME}, WD_P_SAME, NULL, k_array_concat, NULL, 0,
     "array_cat(list, list): the elements of both"},
    {"array_to_string", 2, 2, {L, T}, T, NULL, k_array_to_string, NULL, S,
     "array_to_string(list, sep): elements' text joined by sep, NULLs skipped"},
    {"array_to_string", 3, 3, {L, T, T}, T, NULL, k_array_to_string, NULL, S,
     "array_to_string(list, sep, null_text): elements joined, NULLs written as null_text"},
};

const size_t wd_funcs_array_n = sizeof wd_funcs_array / sizeof wd_funcs_array[0];
