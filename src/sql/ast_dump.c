/*
 * ast_dump.c — prints the syntax tree as compact S-expressions, for tests
 * and debugging.  The form is deterministic: the same tree always prints
 * the same text.
 *
 * Exports wd_ast_dump_script, wd_ast_dump_stmt, wd_ast_dump_query,
 * wd_ast_dump_expr, wd_ast_dump_type (see sql.h).  Shapes:
 *   (name t a) (star) (star t) (int 1) (num 1.5) (str 'it''s') (bool true)
 *   (null) (interval '5' second) (typed timestamp '…') (unary - x)
 *   (binary + a b) (is not null x) (between x lo hi) (not between …)
 *   (in x a b) (in x QUERY) (case [operand] (when c r)… (else e))
 *   (cast x type) (try_cast x type) (call f [distinct] args… | *
 *   [(filter e)] [(over (partition …) (order …) (frame …))])
 *   (extract year x) (subscript a i) (field x f) (array …) (row …)
 *   (subquery Q) (exists Q)
 *   Q: (select [distinct] (items e (as e alias)…) [(from …)] [(where e)]
 *      [(group …)] [(having e)]) | (union [all] L R) | (values (row …)…);
 *      with CTEs / ORDER BY / LIMIT / OFFSET wrapped as
 *      (query [(with (cte n Q)…)] BODY [(order-by (asc e)…)] [(limit e)] [(offset e)])
 *   FROM: (table n [alias]) (derived Q [alias]) (func n args… [(alias a)])
 *      (join inner|left|right|full|cross L R [(on e)] [(using a…)])
 */
#include "sql/sql.h"

#include <string.h>

static void put_quoted(wd_buf *b, const char *s, size_t n)
{
    wd_buf_putc(b, '\'');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\'') wd_buf_puts(b, "''");
        else if (c < 0x20 || c == 0x7f) wd_buf_printf(b, "\\x%02x", c);
        else wd_buf_putc(b, (char)c);
    }
    wd_buf_putc(b, '\'');
}

static void put_name(wd_buf *b, const char *s)
{
    wd_buf_puts(b, s ? s : "nil");
}

static void dump_window(const wd_ast_window *w, wd_buf *b);

/* contract: see sql.h */
void wd_ast_dump_type(const wd_ast_type *t, wd_buf *b)
{
    if (!t) {
        wd_buf_puts(b, "nil");
        return;
    }
    put_name(b, t->name);
    if (t->nparams == 1) wd_buf_printf(b, "(%d)", t->params[0]);
    if (t->nparams == 2) wd_buf_printf(b, "(%d,%d)", t->params[0], t->params[1]);
    if (t->nfields || (t->name && !strcmp(t->name, "struct"))) {
        wd_buf_putc(b, '<');
        for (uint32_t i = 0; i < t->nfields; i++) {
            if (i) wd_buf_puts(b, ", ");
            put_name(b, t->fields[i].name);
            wd_buf_putc(b, ' ');
            wd_ast_dump_type(t->fields[i].type, b);
        }
        wd_buf_putc(b, '>');
    }
    for (int i = 0; i < t->array_dims; i++) wd_buf_puts(b, "[]");
}

static void dump_args(const wd_ast_expr *e, uint32_t from, wd_buf *b)
{
    for (uint32_t i = from; i < e->nargs; i++) {
        wd_buf_putc(b, ' ');
        wd_ast_dump_expr(e->args[i], b);
    }
}

static void dump_parts(const wd_ast_expr *e, wd_buf *b)
{
    for (uint32_t i = 0; i < e->nparts; i++) {
        wd_buf_putc(b, ' ');
        put_name(b, e->parts[i]);
    }
}

static wd_ast_expr *arg(const wd_ast_expr *e, uint32_t i)
{
    return i < e->nargs ? e->args[i] : NULL;
}

/* contract: see sql.h */
void wd_ast_dump_expr(const wd_ast_expr *e, wd_buf *b)
{
    if (!e) {
        wd_buf_puts(b, "nil");
        return;
    }
    switch (e->kind) {
    case WD_AX_NAME:
        wd_buf_puts(b, "(name");
        dump_parts(e, b);
        wd_buf_putc(b, ')');
        break;
    case WD_AX_STAR:
        wd_buf_puts(b, "(star");
        dump_parts(e, b);
        wd_buf_putc(b, ')');
        break;
    case WD_AX_INT:
        wd_buf_printf(b, "(int %s)", e->text ? e->text : "nil");
        break;
    case WD_AX_NUM:
        wd_buf_printf(b, "(num %s)", e->text ? e->text : "nil");
        break;
    case WD_AX_STRING:
        wd_buf_puts(b, "(str ");
        put_quoted(b, e->str, e->len);
        wd_buf_putc(b, ')');
        break;
    case WD_AX_BOOL:
        wd_buf_puts(b, e->ival ? "(bool true)" : "(bool false)");
        break;
    case WD_AX_NULL:
        wd_buf_puts(b, "(null)");
        break;
    case WD_AX_INTERVAL:
        wd_buf_puts(b, "(interval ");
        put_quoted(b, e->str, e->len);
        if (e->unit) wd_buf_printf(b, " %s", e->unit);
        wd_buf_putc(b, ')');
        break;
    case WD_AX_TYPED_LIT:
        wd_buf_puts(b, "(typed ");
        wd_ast_dump_type(e->type, b);
        wd_buf_putc(b, ' ');
        put_quoted(b, e->str, e->len);
        wd_buf_putc(b, ')');
        break;
    case WD_AX_UNARY:
    case WD_AX_BINARY:
        wd_buf_printf(b, "(%s %s", e->kind == WD_AX_UNARY ? "unary" : "binary",
                      e->op ? e->op : "nil");
        dump_args(e, 0, b);
        wd_buf_putc(b, ')');
        break;
    case WD_AX_IS:
        wd_buf_printf(b, "(is %s%s ", e->neg ? "not " : "", e->op ? e->op : "nil");
        wd_ast_dump_expr(arg(e, 0), b);
        wd_buf_putc(b, ')');
        break;
    case WD_AX_BETWEEN:
        wd_buf_puts(b, e->neg ? "(not between" : "(between");
        dump_args(e, 0, b);
        wd_buf_putc(b, ')');
        break;
    case WD_AX_IN_LIST:
        wd_buf_puts(b, e->neg ? "(not in" : "(in");
        dump_args(e, 0, b);
        wd_buf_putc(b, ')');
        break;
    case WD_AX_IN_QUERY:
        wd_buf_puts(b, e->neg ? "(not in " : "(in ");
        wd_ast_dump_expr(arg(e, 0), b);
        wd_buf_putc(b, ' ');
        wd_ast_dump_query(e->query, b);
        wd_buf_putc(b, ')');
        break;
    case WD_AX_CASE: {
        wd_buf_puts(b, "(case");
        uint32_t i = 0, end = e->nargs - (e->has_else && e->nargs ? 1 : 0);
        if (e->has_operand && e->nargs) {
            wd_buf_putc(b, ' ');
            wd_ast_dump_expr(e->args[0], b);
            i = 1;
        }
        for (; i + 1 < end; i += 2) {
            wd_buf_puts(b, " (when ");
            wd_ast_dump_expr(e->args[i], b);
            wd_buf_putc(b, ' ');
            wd_ast_dump_expr(e->args[i + 1], b);
            wd_buf_putc(b, ')');
        }
        if (e->has_else && e->nargs) {
            wd_buf_puts(b, " (else ");
            wd_ast_dump_expr(e->args[e->nargs - 1], b);
            wd_buf_putc(b, ')');
        }
        wd_buf_putc(b, ')');
        break;
    }
    case WD_AX_CAST:
        wd_buf_puts(b, e->try_ ? "(try_cast " : "(cast ");
        wd_ast_dump_expr(arg(e, 0), b);
        wd_buf_putc(b, ' ');
        wd_ast_dump_type(e->type, b);
        wd_buf_putc(b, ')');
        break;
    case WD_AX_CALL:
        wd_buf_printf(b, "(call %s", e->name ? e->name : "nil");
        if (e->distinct) wd_buf_puts(b, " distinct");
        if (e->star) wd_buf_puts(b, " *");
        dump_args(e, 0, b);
        if (e->filter) {
            wd_buf_puts(b, " (filter ");
            wd_ast_dump_expr(e->filter, b);
            wd_buf_putc(b, ')');
        }
        if (e->over) {
            wd_buf_putc(b, ' ');
            dump_window(e->over, b);
        }
        wd_buf_putc(b, ')');
        break;
    case WD_AX_EXTRACT:
        wd_buf_printf(b, "(extract %s ", e->text ? e->text : "nil");
        wd_ast_dump_expr(arg(e, 0), b);
        wd_buf_putc(b, ')');
        break;
    case WD_AX_SUBSCRIPT:
        wd_buf_puts(b, "(subscript");
        dump_args(e, 0, b);
        wd_buf_putc(b, ')');
        break;
    case WD_AX_FIELD:
        wd_buf_puts(b, "(field ");
        wd_ast_dump_expr(arg(e, 0), b);
        wd_buf_printf(b, " %s)", e->text ? e->text : "nil");
        break;
    case WD_AX_ARRAY:
        wd_buf_puts(b, "(array");
        dump_args(e, 0, b);
        wd_buf_putc(b, ')');
        break;
    case WD_AX_ROW:
        wd_buf_puts(b, "(row");
        dump_args(e, 0, b);
        wd_buf_putc(b, ')');
        break;
    case WD_AX_SUBQUERY:
    case WD_AX_EXISTS:
        wd_buf_puts(b, e->kind == WD_AX_SUBQUERY ? "(subquery " : "(exists ");
        wd_ast_dump_query(e->query, b);
        wd_buf_putc(b, ')');
        break;
    default:
        wd_buf_printf(b, "(?kind %d)", (int)e->kind);
        break;
    }
}

static void dump_order(const wd_ast_order *o, uint32_t n, wd_buf *b)
{
    for (uint32_t i = 0; i < n; i++) {
        wd_buf_printf(b, " (%s ", o[i].desc ? "desc" : "asc");
        wd_ast_dump_expr(o[i].expr, b);
        if (o[i].nulls == 1) wd_buf_puts(b, " nulls-first");
        if (o[i].nulls == 2) wd_buf_puts(b, " nulls-last");
        wd_buf_putc(b, ')');
    }
}

static void dump_bound(int kind, const wd_ast_expr *e, wd_buf *b)
{
    switch (kind) {
    case 0: wd_buf_puts(b, "unbounded-preceding"); break;
    case 1: wd_buf_puts(b, "(preceding "); wd_ast_dump_expr(e, b); wd_buf_putc(b, ')'); break;
    case 2: wd_buf_puts(b, "current-row"); break;
    case 3: wd_buf_puts(b, "(following "); wd_ast_dump_expr(e, b); wd_buf_putc(b, ')'); break;
    default: wd_buf_puts(b, "unbounded-following"); break;
    }
}

static void dump_window(const wd_ast_window *w, wd_buf *b)
{
    wd_buf_puts(b, "(over");
    if (w->npartition) {
        wd_buf_puts(b, " (partition");
        for (uint32_t i = 0; i < w->npartition; i++) {
            wd_buf_putc(b, ' ');
            wd_ast_dump_expr(w->partition[i], b);
        }
        wd_buf_putc(b, ')');
    }
    if (w->norder) {
        wd_buf_puts(b, " (order-by");
        dump_order(w->order, w->norder, b);
        wd_buf_putc(b, ')');
    }
    if (w->frame.present) {
        wd_buf_printf(b, " (%s ", w->frame.rows ? "rows" : "range");
        dump_bound(w->frame.start_kind, w->frame.start, b);
        wd_buf_putc(b, ' ');
        dump_bound(w->frame.end_kind, w->frame.end, b);
        wd_buf_putc(b, ')');
    }
    wd_buf_putc(b, ')');
}

static void dump_from(const wd_ast_from *f, wd_buf *b)
{
    static const char *const jn[] = {"inner", "left", "right", "full", "cross"};
    if (!f) {
        wd_buf_puts(b, "nil");
        return;
    }
    switch (f->kind) {
    case WD_AF_TABLE:
        wd_buf_printf(b, "(table %s", f->name ? f->name : "nil");
        if (f->alias) wd_buf_printf(b, " %s", f->alias);
        wd_buf_putc(b, ')');
        break;
    case WD_AF_SUBQUERY:
        wd_buf_puts(b, "(derived ");
        wd_ast_dump_query(f->query, b);
        if (f->alias) wd_buf_printf(b, " %s", f->alias);
        wd_buf_putc(b, ')');
        break;
    case WD_AF_FUNC:
        wd_buf_printf(b, "(func %s", f->name ? f->name : "nil");
        for (uint32_t i = 0; i < f->nargs; i++) {
            wd_buf_putc(b, ' ');
            wd_ast_dump_expr(f->args[i], b);
        }
        if (f->alias) wd_buf_printf(b, " (alias %s)", f->alias);
        wd_buf_putc(b, ')');
        break;
    case WD_AF_JOIN:
        wd_buf_printf(b, "(join %s ", (unsigned)f->join < 5 ? jn[f->join] : "?");
        dump_from(f->left, b);
        wd_buf_putc(b, ' ');
        dump_from(f->right, b);
        if (f->on) {
            wd_buf_puts(b, " (on ");
            wd_ast_dump_expr(f->on, b);
            wd_buf_putc(b, ')');
        }
        if (f->nusing) {
            wd_buf_puts(b, " (using");
            for (uint32_t i = 0; i < f->nusing; i++) wd_buf_printf(b, " %s", f->using_cols[i]);
            wd_buf_putc(b, ')');
        }
        wd_buf_putc(b, ')');
        break;
    }
}

static void dump_select(const wd_ast_select *s, wd_buf *b)
{
    wd_buf_puts(b, s->distinct ? "(select distinct (items" : "(select (items");
    for (uint32_t i = 0; i < s->nitems; i++) {
        wd_buf_putc(b, ' ');
        if (s->items[i].alias) {
            wd_buf_puts(b, "(as ");
            wd_ast_dump_expr(s->items[i].expr, b);
            wd_buf_printf(b, " %s)", s->items[i].alias);
        } else {
            wd_ast_dump_expr(s->items[i].expr, b);
        }
    }
    wd_buf_putc(b, ')');
    if (s->nfrom) {
        wd_buf_puts(b, " (from");
        for (uint32_t i = 0; i < s->nfrom; i++) {
            wd_buf_putc(b, ' ');
            dump_from(s->from[i], b);
        }
        wd_buf_putc(b, ')');
    }
    if (s->where) {
        wd_buf_puts(b, " (where ");
        wd_ast_dump_expr(s->where, b);
        wd_buf_putc(b, ')');
    }
    if (s->ngroup) {
        wd_buf_puts(b, " (group");
        for (uint32_t i = 0; i < s->ngroup; i++) {
            wd_buf_putc(b, ' ');
            wd_ast_dump_expr(s->group[i], b);
        }
        wd_buf_putc(b, ')');
    }
    if (s->having) {
        wd_buf_puts(b, " (having ");
        wd_ast_dump_expr(s->having, b);
        wd_buf_putc(b, ')');
    }
    wd_buf_putc(b, ')');
}

static void dump_body(const wd_ast_query *q, wd_buf *b)
{
    switch (q->kind) {
    case WD_AQ_SELECT:
        if (q->select) dump_select(q->select, b);
        else wd_buf_puts(b, "nil");
        break;
    case WD_AQ_SETOP:
        wd_buf_printf(b, "(%s%s ", q->setop ? q->setop : "nil", q->all ? " all" : "");
        wd_ast_dump_query(q->left, b);
        wd_buf_putc(b, ' ');
        wd_ast_dump_query(q->right, b);
        wd_buf_putc(b, ')');
        break;
    case WD_AQ_VALUES:
        wd_buf_puts(b, "(values");
        for (uint32_t r = 0; r < q->nrows; r++) {
            wd_buf_puts(b, " (row");
            for (uint32_t c = 0; c < q->ncols; c++) {
                wd_buf_putc(b, ' ');
                wd_ast_dump_expr(q->rows[r][c], b);
            }
            wd_buf_putc(b, ')');
        }
        wd_buf_putc(b, ')');
        break;
    }
}

/* contract: see sql.h */
void wd_ast_dump_query(const wd_ast_query *q, wd_buf *b)
{
    if (!q) {
        wd_buf_puts(b, "nil");
        return;
    }
    int wrap = q->nctes || q->norder || q->limit || q->offset;
    if (!wrap) {
        dump_body(q, b);
        return;
    }
    wd_buf_puts(b, "(query ");
    if (q->nctes) {
        wd_buf_puts(b, "(with");
        for (uint32_t i = 0; i < q->nctes; i++) {
            wd_buf_printf(b, " (cte %s ", q->ctes[i].name ? q->ctes[i].name : "nil");
            wd_ast_dump_query(q->ctes[i].query, b);
            wd_buf_putc(b, ')');
        }
        wd_buf_puts(b, ") ");
    }
    dump_body(q, b);
    if (q->norder) {
        wd_buf_puts(b, " (order-by");
        dump_order(q->order, q->norder, b);
        wd_buf_putc(b, ')');
    }
    if (q->limit) {
        wd_buf_puts(b, " (limit ");
        wd_ast_dump_expr(q->limit, b);
        wd_buf_putc(b, ')');
    }
    if (q->offset) {
        wd_buf_puts(b, " (offset ");
        wd_ast_dump_expr(q->offset, b);
        wd_buf_putc(b, ')');
    }
    wd_buf_putc(b, ')');
}

static void dump_names(const char *tag, const char *const *v, uint32_t n, wd_buf *b)
{
    wd_buf_printf(b, " (%s", tag);
    for (uint32_t i = 0; i < n; i++) wd_buf_printf(b, " %s", v[i]);
    wd_buf_putc(b, ')');
}

static void dump_create_table(const wd_ast_stmt *s, wd_buf *b)
{
    wd_buf_printf(b, "(create-table %s", s->name ? s->name : "nil");
    if (s->if_not_exists) wd_buf_puts(b, " if-not-exists");
    if (s->ncols) {
        wd_buf_puts(b, " (columns");
        for (uint32_t i = 0; i < s->ncols; i++) {
            const wd_ast_column *c = &s->cols[i];
            wd_buf_printf(b, " (col %s ", c->name ? c->name : "nil");
            wd_ast_dump_type(c->type, b);
            if (c->not_null) wd_buf_puts(b, " not-null");
            if (c->primary_key) wd_buf_puts(b, " primary-key");
            if (c->generated) {
                wd_buf_puts(b, " (generated ");
                wd_ast_dump_expr(c->generated, b);
                wd_buf_putc(b, ')');
            }
            if (c->metadata) {
                wd_buf_puts(b, " (metadata ");
                const char *k = c->meta_key ? c->meta_key : "";
                put_quoted(b, k, strlen(k));
                wd_buf_putc(b, ')');
            }
            wd_buf_putc(b, ')');
        }
        wd_buf_putc(b, ')');
    }
    if (s->npk) dump_names("primary-key", s->pk, s->npk, b);
    if (s->wm_col) {
        wd_buf_printf(b, " (watermark %s", s->wm_col);
        if (s->wm_expr) {
            wd_buf_putc(b, ' ');
            wd_ast_dump_expr(s->wm_expr, b);
        }
        wd_buf_putc(b, ')');
    }
    if (s->nopts) {
        wd_buf_puts(b, " (with");
        for (uint32_t i = 0; i < s->nopts; i++) {
            const char *v = s->opts[i].value ? s->opts[i].value : "";
            wd_buf_printf(b, " (%s ", s->opts[i].key ? s->opts[i].key : "nil");
            put_quoted(b, v, strlen(v));
            wd_buf_putc(b, ')');
        }
        wd_buf_putc(b, ')');
    }
    if (s->query) {
        wd_buf_puts(b, " (as ");
        wd_ast_dump_query(s->query, b);
        wd_buf_putc(b, ')');
    }
    wd_buf_putc(b, ')');
}

/* contract: see sql.h */
void wd_ast_dump_stmt(const wd_ast_stmt *s, wd_buf *b)
{
    if (!s) {
        wd_buf_puts(b, "nil");
        return;
    }
    const char *name = s->name ? s->name : "nil";
    switch (s->kind) {
    case WD_AS_CREATE_TABLE:
        dump_create_table(s, b);
        break;
    case WD_AS_CREATE_VIEW:
        wd_buf_printf(b, "(create-view %s%s ", name, s->if_not_exists ? " if-not-exists" : "");
        wd_ast_dump_query(s->query, b);
        wd_buf_putc(b, ')');
        break;
    case WD_AS_INSERT:
        wd_buf_printf(b, "(insert %s", name);
        if (s->ninsert_cols) dump_names("cols", s->insert_cols, s->ninsert_cols, b);
        wd_buf_putc(b, ' ');
        wd_ast_dump_query(s->query, b);
        wd_buf_putc(b, ')');
        break;
    case WD_AS_QUERY:
        wd_ast_dump_query(s->query, b);
        break;
    case WD_AS_SET:
        wd_buf_printf(b, "(set %s ", name);
        wd_ast_dump_expr(s->value, b);
        wd_buf_putc(b, ')');
        break;
    case WD_AS_DROP:
        wd_buf_printf(b, "(drop %s %s%s)", s->is_view ? "view" : "table", name,
                      s->if_not_exists ? " if-exists" : "");
        break;
    }
}

/* contract: see sql.h */
void wd_ast_dump_script(const wd_ast_script *s, wd_buf *b)
{
    if (!s) {
        wd_buf_puts(b, "nil");
        return;
    }
    for (uint32_t i = 0; i < s->nstmts; i++) {
        if (i) wd_buf_putc(b, '\n');
        wd_ast_dump_stmt(s->stmts[i], b);
    }
}
