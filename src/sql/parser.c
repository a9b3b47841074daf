/*
 * parser.c — recursive-descent parser for wadi's SQL dialect (Arroyo's,
 * PostgreSQL flavoured), building the tree of ast.h in an arena.
 *
 * Exports wd_sql_parse (see sql.h).  Statements by recursive descent,
 * expressions by precedence climbing.  Keywords are recognised from the
 * lower-cased text of unquoted identifiers, so words that are not reserved
 * (count, window, timestamp, key, …) stay usable as names.  Every parse
 * function returns NULL (or 0) once an error is recorded; the first error
 * wins and carries the position of the token where it was detected.
 * Nesting is bounded by WD_SQL_MAX_DEPTH so hostile input cannot exhaust
 * the stack.
 */
#include "sql/sql.h"
#include "sql/sql_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
    const char *src;
    wd_tok *t;
    uint32_t n, i;
    wd_arena *a;
    wd_error *err;
    int depth;
    int code;       /* 0 until the first error */
} parser;

/* ---- tokens, errors, allocation ------------------------------------------ */

static const wd_tok *cur(const parser *p) { return &p->t[p->i]; }

static const wd_tok *peek(const parser *p, uint32_t k)
{
    uint32_t j = p->i + k;
    return &p->t[j < p->n ? j : p->n - 1];
}

static void next(parser *p)
{
    if (p->i + 1 < p->n) p->i++;
}

static void fail_v(parser *p, int code, wd_pos pos, const char *fmt, va_list ap)
{
    if (p->code) return;
    p->code = code;
    wd_verr(p->err, code, pos, fmt, ap);
}

static void *fail_at(parser *p, const wd_tok *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void *fail_at(parser *p, const wd_tok *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_v(p, WD_ESYNTAX, t->pos, fmt, ap);
    va_end(ap);
    return NULL;
}

static void *nomem(parser *p)
{
    if (!p->code) {
        p->code = WD_ENOMEM;
        wd_err_at(p->err, WD_ENOMEM, cur(p)->pos, "out of memory while parsing SQL");
    }
    return NULL;
}

/* "'FROM'" (source text, shortened) or "end of input". */
static const char *tokdesc(const parser *p, const wd_tok *t, char *buf, size_t n)
{
    if (t->kind == WD_TK_EOF) return "end of input";
    uint32_t len = t->end - t->start;
    if (len > 40) {
        snprintf(buf, n, "'%.*s...'", 37, p->src + t->start);
    } else {
        snprintf(buf, n, "'%.*s'", (int)len, p->src + t->start);
    }
    return buf;
}

/* Record "expected <what> but found <token>" at the current token. */
static void *expected(parser *p, const char *what)
{
    const wd_tok *t = cur(p);
    if (t->kind == WD_TK_EOF)
        return fail_at(p, t, "unexpected end of input, expected %s", what);
    char b[64];
    fail_at(p, t, "expected %s but found %s", what, tokdesc(p, t, b, sizeof b));
    if (t->kind == WD_TK_QIDENT && p->err && p->code == WD_ESYNTAX &&
        strstr(what, "string"))
        wd_err_hint(p->err, "string literals use single quotes: '%s'", t->text);
    return NULL;
}

static void *alloc(parser *p, size_t n)
{
    void *q = wd_arena_calloc(p->a, n);
    return q ? q : nomem(p);
}

static char *dup_str(parser *p, const char *s, size_t n)
{
    char *q = wd_arena_strndup(p->a, s, n);
    return q ? q : nomem(p);
}

static void *vgrow(parser *p, void *arr, uint32_t *cap, size_t el)
{
    uint32_t nc = *cap ? *cap * 2 : 4;
    void *na = wd_arena_realloc(p->a, arr, (size_t)*cap * el, (size_t)nc * el);
    if (!na) return nomem(p);
    *cap = nc;
    return na;
}

/* Append val to the arena array arr[n] of capacity cap; false on OOM. */
#define VPUSH(p, arr, n, cap, val)                                           \
    (((n) < (cap) || ((arr) = vgrow((p), (arr), &(cap), sizeof *(arr))) != NULL) \
         ? ((arr)[(n)++] = (val), 1)                                        \
         : 0)

static int enter(parser *p)
{
    if (++p->depth > WD_SQL_MAX_DEPTH) {
        fail_at(p, cur(p), "expression nested too deeply (more than %d levels)",
                WD_SQL_MAX_DEPTH);
        return 0;
    }
    return 1;
}

/* One more link in a left-deep chain (a + b + c, x::t[1], joins, unions):
 * the tree gets deeper without the parser recursing, so it counts against
 * the same limit; the caller gives the links back with p->depth -= n. */
static int chain(parser *p, int *n)
{
    (*n)++;
    return enter(p);
}

/* ---- keywords ------------------------------------------------------------- */

static int is_kw(const wd_tok *t, const char *kw)
{
    return t->kind == WD_TK_IDENT && strcmp(t->text, kw) == 0;
}

static int accept_kw(parser *p, const char *kw)
{
    if (!is_kw(cur(p), kw)) return 0;
    next(p);
    return 1;
}

static int accept(parser *p, wd_tok_kind k)
{
    if (cur(p)->kind != k) return 0;
    next(p);
    return 1;
}

static int expect_kw(parser *p, const char *kw)
{
    if (accept_kw(p, kw)) return 1;
    char up[32];
    size_t i = 0;
    for (; kw[i] && i < sizeof up - 1; i++)
        up[i] = (kw[i] >= 'a' && kw[i] <= 'z') ? (char)(kw[i] - 'a' + 'A') : kw[i];
    up[i] = 0;
    expected(p, up);
    return 0;
}

static int expect(parser *p, wd_tok_kind k, const char *what)
{
    if (accept(p, k)) return 1;
    expected(p, what);
    return 0;
}

/* Words that cannot be bare names or aliases (quote them to use them). */
static const char *const reserved[] = {
    "all",    "and",       "as",       "asc",     "between", "by",     "case",
    "cast",   "cross",     "desc",     "distinct", "else",   "end",    "except",
    "false",  "fetch",     "for",      "from",    "full",    "group",  "having",
    "ilike",  "in",        "inner",    "intersect", "into",  "is",     "join",
    "lateral", "left",     "like",     "limit",   "natural", "not",    "null",
    "offset", "on",        "or",       "order",   "outer",   "right",  "select",
    "then",   "true",      "union",    "using",   "when",    "where",  "with",
};

static int is_reserved(const wd_tok *t)
{
    if (t->kind != WD_TK_IDENT) return 0;
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcmp(t->text, reserved[i]) == 0) return 1;
    return 0;
}

/* Clause words that may not follow AS as an alias (other reserved words may). */
static int is_clause_kw(const wd_tok *t)
{
    static const char *const w[] = {"from",  "where",  "group",  "having",    "order",
                                    "limit", "offset", "union",  "except",    "intersect",
                                    "select", "join",  "on",     "using",     "and",
                                    "or",    "when",   "then",   "else"};
    if (t->kind != WD_TK_IDENT) return 0;
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
        if (strcmp(t->text, w[i]) == 0) return 1;
    return 0;
}

/* A name: "quoted", or an unquoted word that is not reserved. */
static const char *ident(parser *p, const char *what, wd_pos *pos)
{
    const wd_tok *t = cur(p);
    if (t->kind == WD_TK_QIDENT || (t->kind == WD_TK_IDENT && !is_reserved(t))) {
        if (pos) *pos = t->pos;
        next(p);
        return t->text;
    }
    expected(p, what);
    if (is_reserved(t) && p->err && p->code == WD_ESYNTAX)
        wd_err_hint(p->err, "'%s' is a reserved word; quote it to use it as a name: \"%s\"",
                    t->text, t->text);
    return NULL;
}

/* Any word (after '.' or AS every word is a name). */
static const char *any_word(parser *p, const char *what, wd_pos *pos)
{
    const wd_tok *t = cur(p);
    if (t->kind == WD_TK_QIDENT || t->kind == WD_TK_IDENT) {
        if (pos) *pos = t->pos;
        next(p);
        return t->text;
    }
    return expected(p, what);
}

/* name or a.b.c (joined with '.'), for tables, views, settings, functions. */
static const char *dotted_name(parser *p, const char *what, wd_pos *pos)
{
    const char *n = ident(p, what, pos);
    while (n && cur(p)->kind == WD_TK_DOT) {
        next(p);
        const char *m = any_word(p, "a name after '.'", NULL);
        if (!m) return NULL;
        n = wd_arena_printf(p->a, "%s.%s", n, m);
        if (!n) return nomem(p);
    }
    return n;
}

/* Is there a query (SELECT / WITH / VALUES) after k tokens, maybe behind '('s? */
static int query_at(const parser *p, uint32_t k)
{
    while (peek(p, k)->kind == WD_TK_LPAREN) k++;
    const wd_tok *t = peek(p, k);
    return is_kw(t, "select") || is_kw(t, "with") ||
           (is_kw(t, "values") && peek(p, k + 1)->kind == WD_TK_LPAREN);
}

/* Query keyword directly at offset k (no parentheses). */
static int query_kw_at(const parser *p, uint32_t k)
{
    const wd_tok *t = peek(p, k);
    return is_kw(t, "select") || is_kw(t, "with") ||
           (is_kw(t, "values") && peek(p, k + 1)->kind == WD_TK_LPAREN);
}

/* ---- forward declarations --------------------------------------------------- */

static wd_ast_expr *expr_bp(parser *p, int minp);
static wd_ast_query *query(parser *p);
static wd_ast_type *type_name(parser *p);

static wd_ast_expr *expr(parser *p) { return expr_bp(p, 0); }

/* ---- expressions -------------------------------------------------------------- */

enum { P_OR = 1, P_AND, P_NOT, P_IS, P_CMP, P_OTHER, P_ADD, P_MUL, P_UNARY };

static wd_ast_expr *new_expr(parser *p, wd_ast_expr_kind k, wd_pos pos)
{
    wd_ast_expr *e = alloc(p, sizeof *e);
    if (!e) return NULL;
    e->kind = k;
    e->pos = pos;
    return e;
}

static int set_args(parser *p, wd_ast_expr *e, uint32_t n, wd_ast_expr *a0,
                    wd_ast_expr *a1, wd_ast_expr *a2)
{
    e->args = alloc(p, 3 * sizeof *e->args);
    if (!e->args) return 0;
    e->args[0] = a0;
    e->args[1] = a1;
    e->args[2] = a2;
    e->nargs = n;
    return 1;
}

static wd_ast_expr *mk_op(parser *p, wd_ast_expr_kind k, const char *op, wd_pos pos,
                          uint32_t n, wd_ast_expr *a0, wd_ast_expr *a1, wd_ast_expr *a2)
{
    wd_ast_expr *e = new_expr(p, k, pos);
    if (!e || !set_args(p, e, n, a0, a1, a2)) return NULL;
    e->op = op;
    return e;
}

static wd_ast_expr *mk_call(parser *p, const char *name, wd_pos pos)
{
    wd_ast_expr *e = new_expr(p, WD_AX_CALL, pos);
    if (e) e->name = name;
    return e;
}

/* e (, e)* appended to *arr / *n. */
static int expr_list(parser *p, wd_ast_expr ***arr, uint32_t *n)
{
    uint32_t cap = *n;
    do {
        wd_ast_expr *e = expr(p);
        if (!e || !VPUSH(p, *arr, *n, cap, e)) return 0;
    } while (accept(p, WD_TK_COMMA));
    return 1;
}

static int order_list(parser *p, wd_ast_order **arr, uint32_t *n)
{
    uint32_t cap = 0;
    do {
        wd_ast_order o = {0};
        o.expr = expr(p);
        if (!o.expr) return 0;
        if (accept_kw(p, "desc")) o.desc = true;
        else accept_kw(p, "asc");
        if (accept_kw(p, "nulls")) {
            if (accept_kw(p, "first")) o.nulls = 1;
            else if (accept_kw(p, "last")) o.nulls = 2;
            else return expected(p, "FIRST or LAST"), 0;
        }
        if (!VPUSH(p, *arr, *n, cap, o)) return 0;
    } while (accept(p, WD_TK_COMMA));
    return 1;
}

/* Interval unit words → singular canonical form, or NULL. */
static const char *interval_unit(const wd_tok *t)
{
    static const char *const units[] = {"second",      "minute",      "hour",
                                        "day",         "week",        "month",
                                        "year",        "millisecond", "microsecond",
                                        "nanosecond"};
    if (t->kind != WD_TK_IDENT) return NULL;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t l = strlen(units[i]);
        if (strncmp(t->text, units[i], l) == 0 &&
            (t->text[l] == 0 || (t->text[l] == 's' && t->text[l + 1] == 0)))
            return units[i];
    }
    return NULL;
}

static int frame_bound(parser *p, int *kind, wd_ast_expr **e)
{
    if (accept_kw(p, "unbounded")) {
        if (accept_kw(p, "preceding")) *kind = 0;
        else if (accept_kw(p, "following")) *kind = 4;
        else return expected(p, "PRECEDING or FOLLOWING"), 0;
        return 1;
    }
    if (is_kw(cur(p), "current") && is_kw(peek(p, 1), "row")) {
        next(p);
        next(p);
        *kind = 2;
        return 1;
    }
    *e = expr_bp(p, P_AND + 1);
    if (!*e) return 0;
    if (accept_kw(p, "preceding")) *kind = 1;
    else if (accept_kw(p, "following")) *kind = 3;
    else return expected(p, "PRECEDING or FOLLOWING"), 0;
    return 1;
}

/* OVER ( [PARTITION BY …] [ORDER BY …] [ROWS|RANGE …] ), at the '('. */
static wd_ast_window *window_spec(parser *p)
{
    wd_ast_window *w = alloc(p, sizeof *w);
    if (!w) return NULL;
    w->pos = cur(p)->pos;
    if (!expect(p, WD_TK_LPAREN, "'('")) return NULL;
    if (accept_kw(p, "partition")) {
        if (!expect_kw(p, "by") || !expr_list(p, &w->partition, &w->npartition)) return NULL;
    }
    if (accept_kw(p, "order")) {
        if (!expect_kw(p, "by") || !order_list(p, &w->order, &w->norder)) return NULL;
    }
    if (is_kw(cur(p), "rows") || is_kw(cur(p), "range")) {
        w->frame.present = true;
        w->frame.rows = is_kw(cur(p), "rows");
        next(p);
        if (accept_kw(p, "between")) {
            if (!frame_bound(p, &w->frame.start_kind, &w->frame.start) ||
                !expect_kw(p, "and") ||
                !frame_bound(p, &w->frame.end_kind, &w->frame.end))
                return NULL;
        } else {
            if (!frame_bound(p, &w->frame.start_kind, &w->frame.start)) return NULL;
            w->frame.end_kind = 2;
        }
    }
    if (!expect(p, WD_TK_RPAREN, "')'")) return NULL;
    return w;
}

/* name( … ) with the name already read; at the '('. */
static wd_ast_expr *call_rest(parser *p, const char *name, wd_pos pos)
{
    wd_ast_expr *e = mk_call(p, name, pos);
    if (!e) return NULL;
    next(p); /* ( */
    if (cur(p)->kind == WD_TK_STAR) {
        next(p);
        e->star = true;
    } else if (cur(p)->kind != WD_TK_RPAREN) {
        if (accept_kw(p, "distinct")) e->distinct = true;
        else accept_kw(p, "all");
        if (!expr_list(p, &e->args, &e->nargs)) return NULL;
    }
    if (!expect(p, WD_TK_RPAREN, "')'")) return NULL;
    if (is_kw(cur(p), "filter") && peek(p, 1)->kind == WD_TK_LPAREN) {
        next(p);
        next(p);
        if (!expect_kw(p, "where")) return NULL;
        e->filter = expr(p);
        if (!e->filter || !expect(p, WD_TK_RPAREN, "')'")) return NULL;
    }
    if (is_kw(cur(p), "over") && peek(p, 1)->kind == WD_TK_LPAREN) {
        next(p);
        e->over = window_spec(p);
        if (!e->over) return NULL;
    }
    return e;
}

/* Remaining ", arg" items of a call whose first argument is already in e. */
static wd_ast_expr *plain_args_rest(parser *p, wd_ast_expr *e)
{
    uint32_t cap = e->nargs;
    while (accept(p, WD_TK_COMMA)) {
        wd_ast_expr *a = expr(p);
        if (!a || !VPUSH(p, e->args, e->nargs, cap, a)) return NULL;
    }
    if (!expect(p, WD_TK_RPAREN, "')'")) return NULL;
    return e;
}

static wd_ast_expr *int_lit(parser *p, const char *text, wd_pos pos)
{
    wd_ast_expr *e = new_expr(p, WD_AX_INT, pos);
    if (e) e->text = text;
    return e;
}

/* substring(x FROM a [FOR b]) | substring(x FOR b) | substring(x, …) */
static wd_ast_expr *substring_expr(parser *p)
{
    wd_pos pos = cur(p)->pos;
    next(p);
    next(p);
    wd_ast_expr *x = expr(p), *a = NULL, *b = NULL;
    if (!x) return NULL;
    if (accept_kw(p, "from")) {
        if (!(a = expr(p))) return NULL;
        if (accept_kw(p, "for") && !(b = expr(p))) return NULL;
    } else if (accept_kw(p, "for")) {
        if (!(b = expr(p)) || !(a = int_lit(p, "1", pos))) return NULL;
    } else {
        wd_ast_expr *e = mk_call(p, "substring", pos);
        if (!e || !set_args(p, e, 1, x, NULL, NULL)) return NULL;
        return plain_args_rest(p, e);
    }
    if (!expect(p, WD_TK_RPAREN, "')'")) return NULL;
    wd_ast_expr *e = mk_call(p, "substr", pos);
    if (!e || !set_args(p, e, b ? 3 : 2, x, a, b)) return NULL;
    return e;
}

/* position(a IN b) → strpos(b, a) */
static wd_ast_expr *position_expr(parser *p)
{
    wd_pos pos = cur(p)->pos;
    next(p);
    next(p);
    wd_ast_expr *a = expr_bp(p, P_CMP + 1), *b;
    if (!a) return NULL;
    if (!accept_kw(p, "in")) {
        wd_ast_expr *e = mk_call(p, "position", pos);
        if (!e || !set_args(p, e, 1, a, NULL, NULL)) return NULL;
        return plain_args_rest(p, e);
    }
    if (!(b = expr(p)) || !expect(p, WD_TK_RPAREN, "')'")) return NULL;
    wd_ast_expr *e = mk_call(p, "strpos", pos);
    if (!e || !set_args(p, e, 2, b, a, NULL)) return NULL;
    return e;
}

/* trim([BOTH|LEADING|TRAILING] [chars] FROM s) | trim(s [, chars]) */
static wd_ast_expr *trim_expr(parser *p)
{
    wd_pos pos = cur(p)->pos;
    next(p);
    next(p);
    const char *fn = "btrim";
    if (accept_kw(p, "leading")) fn = "ltrim";
    else if (accept_kw(p, "trailing")) fn = "rtrim";
    else accept_kw(p, "both");
    wd_ast_expr *s, *chars = NULL;
    if (accept_kw(p, "from")) {
        if (!(s = expr(p))) return NULL;
    } else {
        wd_ast_expr *x = expr(p);
        if (!x) return NULL;
        if (accept_kw(p, "from")) {
            chars = x;
            if (!(s = expr(p))) return NULL;
        } else {
            wd_ast_expr *e = mk_call(p, fn, pos);
            if (!e || !set_args(p, e, 1, x, NULL, NULL)) return NULL;
            return plain_args_rest(p, e);
        }
    }
    if (!expect(p, WD_TK_RPAREN, "')'")) return NULL;
    wd_ast_expr *e = mk_call(p, fn, pos);
    if (!e || !set_args(p, e, chars ? 2 : 1, s, chars, NULL)) return NULL;
    return e;
}

static wd_ast_expr *case_expr(parser *p)
{
    wd_ast_expr *e = new_expr(p, WD_AX_CASE, cur(p)->pos);
    if (!e) return NULL;
    next(p);
    uint32_t cap = 0;
    if (!is_kw(cur(p), "when")) {
        wd_ast_expr *op = expr(p);
        if (!op || !VPUSH(p, e->args, e->nargs, cap, op)) return NULL;
        e->has_operand = true;
    }
    int nwhen = 0;
    while (accept_kw(p, "when")) {
        wd_ast_expr *c = expr(p);
        if (!c || !VPUSH(p, e->args, e->nargs, cap, c) || !expect_kw(p, "then")) return NULL;
        wd_ast_expr *r = expr(p);
        if (!r || !VPUSH(p, e->args, e->nargs, cap, r)) return NULL;
        nwhen++;
    }
    if (!nwhen) return expected(p, "WHEN");
    if (accept_kw(p, "else")) {
        wd_ast_expr *r = expr(p);
        if (!r || !VPUSH(p, e->args, e->nargs, cap, r)) return NULL;
        e->has_else = true;
    }
    if (!expect_kw(p, "end")) return NULL;
    return e;
}

/* name, a.b.c, t.*, or a call name(…); at the first word. */
static wd_ast_expr *name_or_call(parser *p)
{
    const wd_tok *t = cur(p);
    wd_pos pos = t->pos;
    const char **parts = NULL;
    wd_pos *pp = NULL;
    uint32_t n = 0, cap = 0, pcap = 0, pn = 0;
    if (!VPUSH(p, parts, n, cap, t->text) || !VPUSH(p, pp, pn, pcap, t->pos)) return NULL;
    next(p);
    while (cur(p)->kind == WD_TK_DOT) {
        const wd_tok *d = peek(p, 1);
        if (d->kind == WD_TK_STAR) {
            next(p);
            next(p);
            wd_ast_expr *e = new_expr(p, WD_AX_STAR, pos);
            if (!e) return NULL;
            e->parts = parts;
            e->part_pos = pp;
            e->nparts = n;
            return e;
        }
        if (d->kind != WD_TK_IDENT && d->kind != WD_TK_QIDENT) {
            next(p);
            return expected(p, "a name after '.'");
        }
        next(p);
        if (!VPUSH(p, parts, n, cap, d->text) || !VPUSH(p, pp, pn, pcap, d->pos)) return NULL;
        next(p);
    }
    if (cur(p)->kind == WD_TK_LPAREN) {
        const char *name = parts[0];
        for (uint32_t i = 1; i < n && name; i++)
            name = wd_arena_printf(p->a, "%s.%s", name, parts[i]);
        if (!name) return nomem(p);
        return call_rest(p, name, pos);
    }
    wd_ast_expr *e = new_expr(p, WD_AX_NAME, pos);
    if (!e) return NULL;
    e->parts = parts;
    e->part_pos = pp;
    e->nparts = n;
    return e;
}

static wd_ast_expr *primary(parser *p)
{
    const wd_tok *t = cur(p), *t1 = peek(p, 1);
    wd_ast_expr *e;
    switch (t->kind) {
    case WD_TK_INT:
    case WD_TK_NUM:
        e = new_expr(p, t->kind == WD_TK_INT ? WD_AX_INT : WD_AX_NUM, t->pos);
        if (!e) return NULL;
        e->text = t->text;
        next(p);
        return e;
    case WD_TK_STRING:
        e = new_expr(p, WD_AX_STRING, t->pos);
        if (!e) return NULL;
        e->str = t->text;
        e->len = t->len;
        next(p);
        return e;
    case WD_TK_LPAREN:
        if (query_kw_at(p, 1)) {
            next(p);
            e = new_expr(p, WD_AX_SUBQUERY, t->pos);
            if (!e || !(e->query = query(p)) || !expect(p, WD_TK_RPAREN, "')'")) return NULL;
            return e;
        }
        next(p);
        e = expr(p);
        if (!e) return NULL;
        if (cur(p)->kind == WD_TK_COMMA) {
            wd_ast_expr *r = new_expr(p, WD_AX_ROW, t->pos);
            if (!r || !set_args(p, r, 1, e, NULL, NULL)) return NULL;
            uint32_t cap = 3;
            while (accept(p, WD_TK_COMMA)) {
                wd_ast_expr *a = expr(p);
                if (!a || !VPUSH(p, r->args, r->nargs, cap, a)) return NULL;
            }
            e = r;
        }
        if (!expect(p, WD_TK_RPAREN, "')'")) return NULL;
        return e;
    case WD_TK_LBRACKET:
        e = new_expr(p, WD_AX_ARRAY, t->pos);
        if (!e) return NULL;
        next(p);
        if (cur(p)->kind != WD_TK_RBRACKET && !expr_list(p, &e->args, &e->nargs)) return NULL;
        if (!expect(p, WD_TK_RBRACKET, "']'")) return NULL;
        return e;
    case WD_TK_QIDENT:
        return name_or_call(p);
    case WD_TK_IDENT:
        break;
    default:
        return expected(p, "an expression");
    }

    /* an unquoted word: keyword-led syntax first, then names */
    const char *w = t->text;
    if (!strcmp(w, "null")) {
        next(p);
        return new_expr(p, WD_AX_NULL, t->pos);
    }
    if (!strcmp(w, "true") || !strcmp(w, "false")) {
        e = new_expr(p, WD_AX_BOOL, t->pos);
        if (!e) return NULL;
        e->ival = w[0] == 't';
        next(p);
        return e;
    }
    if (!strcmp(w, "case")) return case_expr(p);
    int paren = t1->kind == WD_TK_LPAREN;
    if (paren && (!strcmp(w, "cast") || !strcmp(w, "try_cast"))) {
        e = new_expr(p, WD_AX_CAST, t->pos);
        if (!e) return NULL;
        e->try_ = w[0] == 't';
        next(p);
        next(p);
        wd_ast_expr *x = expr(p);
        if (!x || !set_args(p, e, 1, x, NULL, NULL) || !expect_kw(p, "as")) return NULL;
        if (!(e->type = type_name(p)) || !expect(p, WD_TK_RPAREN, "')'")) return NULL;
        return e;
    }
    if (paren && !strcmp(w, "extract")) {
        e = new_expr(p, WD_AX_EXTRACT, t->pos);
        if (!e) return NULL;
        next(p);
        next(p);
        const wd_tok *f = cur(p);
        if (f->kind == WD_TK_IDENT || f->kind == WD_TK_QIDENT || f->kind == WD_TK_STRING) {
            char *u = dup_str(p, f->text, f->len);
            if (!u) return NULL;
            for (char *c = u; *c; c++)
                if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
            e->text = u;
            next(p);
        } else {
            return expected(p, "a field name (YEAR, MONTH, DAY, HOUR, …)");
        }
        if (!expect_kw(p, "from")) return NULL;
        wd_ast_expr *x = expr(p);
        if (!x || !set_args(p, e, 1, x, NULL, NULL) || !expect(p, WD_TK_RPAREN, "')'"))
            return NULL;
        return e;
    }
    if (paren && !strcmp(w, "exists")) {
        e = new_expr(p, WD_AX_EXISTS, t->pos);
        if (!e) return NULL;
        next(p);
        next(p);
        if (!(e->query = query(p)) || !expect(p, WD_TK_RPAREN, "')'")) return NULL;
        return e;
    }
    if (t1->kind == WD_TK_STRING && !strcmp(w, "interval")) {
        e = new_expr(p, WD_AX_INTERVAL, t->pos);
        if (!e) return NULL;
        e->str = t1->text;
        e->len = t1->len;
        next(p);
        next(p);
        const char *u = interval_unit(cur(p));
        if (u) {
            e->unit = u;
            next(p);
        }
        return e;
    }
    if (t1->kind == WD_TK_STRING &&
        (!strcmp(w, "timestamp") || !strcmp(w, "date") || !strcmp(w, "time"))) {
        e = new_expr(p, WD_AX_TYPED_LIT, t->pos);
        wd_ast_type *ty = alloc(p, sizeof *ty);
        if (!e || !ty) return NULL;
        ty->pos = t->pos;
        ty->name = w[1] == 'i' && w[4] == 's' ? "timestamp" : w[1] == 'a' ? "date" : "time";
        e->type = ty;
        e->str = t1->text;
        e->len = t1->len;
        next(p);
        next(p);
        return e;
    }
    if (t1->kind == WD_TK_LBRACKET && !strcmp(w, "array")) {
        next(p);
        e = primary(p);
        if (e) e->pos = t->pos;
        return e;
    }
    if (paren && !strcmp(w, "row")) {
        e = new_expr(p, WD_AX_ROW, t->pos);
        if (!e) return NULL;
        next(p);
        next(p);
        if (cur(p)->kind != WD_TK_RPAREN && !expr_list(p, &e->args, &e->nargs)) return NULL;
        if (!expect(p, WD_TK_RPAREN, "')'")) return NULL;
        return e;
    }
    if (paren && !strcmp(w, "substring")) return substring_expr(p);
    if (paren && !strcmp(w, "position")) return position_expr(p);
    if (paren && !strcmp(w, "trim")) return trim_expr(p);
    if (is_reserved(t) && !(paren && (!strcmp(w, "left") || !strcmp(w, "right")))) {
        expected(p, "an expression");
        if (p->err && p->code == WD_ESYNTAX && !is_kw(t, "from") && !is_kw(t, "end") &&
            !is_kw(t, "then") && !is_kw(t, "else") && !is_kw(t, "when"))
            wd_err_hint(p->err, "'%s' is a reserved word; quote it to use it as a name: \"%s\"",
                        w, w);
        return NULL;
    }
    return name_or_call(p);
}

/* :: type, [index], .field after a primary. */
static wd_ast_expr *postfix(parser *p, wd_ast_expr *e)
{
    int links = 0;
    while (e) {
        const wd_tok *t = cur(p);
        if ((t->kind == WD_TK_DCOLON || t->kind == WD_TK_LBRACKET || t->kind == WD_TK_DOT) &&
            !chain(p, &links)) {
            e = NULL;
            break;
        }
        if (t->kind == WD_TK_DCOLON) {
            next(p);
            wd_ast_expr *c = mk_op(p, WD_AX_CAST, NULL, e->pos, 1, e, NULL, NULL);
            if (!c || !(c->type = type_name(p))) return NULL;
            e = c;
        } else if (t->kind == WD_TK_LBRACKET) {
            next(p);
            wd_ast_expr *i = expr(p);
            if (!i || !expect(p, WD_TK_RBRACKET, "']'")) return NULL;
            e = mk_op(p, WD_AX_SUBSCRIPT, NULL, e->pos, 2, e, i, NULL);
        } else if (t->kind == WD_TK_DOT) {
            next(p);
            const char *f = any_word(p, "a field name after '.'", NULL);
            if (!f) return NULL;
            wd_ast_expr *x = mk_op(p, WD_AX_FIELD, NULL, e->pos, 1, e, NULL, NULL);
            if (!x) return NULL;
            x->text = f;
            e = x;
        } else {
            break;
        }
    }
    p->depth -= links;
    return e;
}

/* Precedence of the infix operator at the current token, 0 if none. */
static int infix_prec(const parser *p)
{
    const wd_tok *t = cur(p);
    switch (t->kind) {
    case WD_TK_EQ: case WD_TK_NE: case WD_TK_LT: case WD_TK_LE: case WD_TK_GT: case WD_TK_GE:
    case WD_TK_MATCH: case WD_TK_IMATCH: case WD_TK_NMATCH: case WD_TK_NIMATCH:
        return P_CMP;
    case WD_TK_CONCAT: case WD_TK_ARROW: case WD_TK_LARROW:
        return P_OTHER;
    case WD_TK_PLUS: case WD_TK_MINUS:
        return P_ADD;
    case WD_TK_STAR: case WD_TK_SLASH: case WD_TK_PERCENT:
        return P_MUL;
    case WD_TK_IDENT:
        if (is_kw(t, "or")) return P_OR;
        if (is_kw(t, "and")) return P_AND;
        if (is_kw(t, "is")) return P_IS;
        if (is_kw(t, "like") || is_kw(t, "ilike") || is_kw(t, "between") || is_kw(t, "in"))
            return P_CMP;
        if (is_kw(t, "not")) {
            const wd_tok *u = peek(p, 1);
            if (is_kw(u, "like") || is_kw(u, "ilike") || is_kw(u, "between") || is_kw(u, "in"))
                return P_CMP;
        }
        return 0;
    default:
        return 0;
    }
}

static const char *op_name(wd_tok_kind k)
{
    switch (k) {
    case WD_TK_EQ: return "=";
    case WD_TK_NE: return "<>";
    case WD_TK_LT: return "<";
    case WD_TK_LE: return "<=";
    case WD_TK_GT: return ">";
    case WD_TK_GE: return ">=";
    case WD_TK_CONCAT: return "||";
    case WD_TK_ARROW: return "->";
    case WD_TK_LARROW: return "->>";
    case WD_TK_MATCH: return "~";
    case WD_TK_IMATCH: return "~*";
    case WD_TK_NMATCH: return "!~";
    case WD_TK_NIMATCH: return "!~*";
    case WD_TK_PLUS: return "+";
    case WD_TK_MINUS: return "-";
    case WD_TK_STAR: return "*";
    case WD_TK_SLASH: return "/";
    case WD_TK_PERCENT: return "%";
    default: return "?";
    }
}

static wd_ast_expr *infix(parser *p, wd_ast_expr *l, int prec)
{
    const wd_tok *t = cur(p);
    if (t->kind != WD_TK_IDENT) {
        const char *op = op_name(t->kind);
        next(p);
        wd_ast_expr *r = expr_bp(p, prec + 1);
        return r ? mk_op(p, WD_AX_BINARY, op, l->pos, 2, l, r, NULL) : NULL;
    }
    if (is_kw(t, "or") || is_kw(t, "and")) {
        const char *op = t->text;
        next(p);
        wd_ast_expr *r = expr_bp(p, prec + 1);
        return r ? mk_op(p, WD_AX_BINARY, op, l->pos, 2, l, r, NULL) : NULL;
    }
    if (accept_kw(p, "is")) {
        bool neg = accept_kw(p, "not");
        const wd_tok *w = cur(p);
        if (is_kw(w, "null") || is_kw(w, "true") || is_kw(w, "false")) {
            next(p);
            wd_ast_expr *e = mk_op(p, WD_AX_IS, w->text, l->pos, 1, l, NULL, NULL);
            if (e) e->neg = neg;
            return e;
        }
        if (accept_kw(p, "distinct")) {
            if (!expect_kw(p, "from")) return NULL;
            wd_ast_expr *r = expr_bp(p, P_IS + 1);
            return r ? mk_op(p, WD_AX_BINARY, neg ? "is not distinct from" : "is distinct from",
                             l->pos, 2, l, r, NULL)
                     : NULL;
        }
        return expected(p, "NULL, TRUE, FALSE or DISTINCT FROM after IS");
    }
    bool neg = accept_kw(p, "not");
    t = cur(p);
    if (is_kw(t, "like") || is_kw(t, "ilike")) {
        const char *op = is_kw(t, "like") ? (neg ? "not like" : "like")
                                          : (neg ? "not ilike" : "ilike");
        next(p);
        wd_ast_expr *r = expr_bp(p, P_CMP + 1);
        return r ? mk_op(p, WD_AX_BINARY, op, l->pos, 2, l, r, NULL) : NULL;
    }
    if (accept_kw(p, "between")) {
        wd_ast_expr *lo = expr_bp(p, P_CMP + 1), *hi;
        if (!lo || !expect_kw(p, "and") || !(hi = expr_bp(p, P_CMP + 1))) return NULL;
        wd_ast_expr *e = mk_op(p, WD_AX_BETWEEN, NULL, l->pos, 3, l, lo, hi);
        if (e) e->neg = neg;
        return e;
    }
    if (accept_kw(p, "in")) {
        if (!expect(p, WD_TK_LPAREN, "'(' after IN")) return NULL;
        wd_ast_expr *e;
        if (query_kw_at(p, 0)) {
            e = mk_op(p, WD_AX_IN_QUERY, NULL, l->pos, 1, l, NULL, NULL);
            if (!e || !(e->query = query(p))) return NULL;
        } else {
            e = mk_op(p, WD_AX_IN_LIST, NULL, l->pos, 1, l, NULL, NULL);
            if (!e || !expr_list(p, &e->args, &e->nargs)) return NULL;
        }
        if (!expect(p, WD_TK_RPAREN, "')'")) return NULL;
        e->neg = neg;
        return e;
    }
    return expected(p, "LIKE, ILIKE, BETWEEN or IN after NOT");
}

static wd_ast_expr *expr_inner(parser *p, int minp)
{
    const wd_tok *t = cur(p);
    wd_ast_expr *l;
    if (is_kw(t, "not")) {
        next(p);
        wd_ast_expr *x = expr_bp(p, P_NOT);
        l = x ? mk_op(p, WD_AX_UNARY, "not", t->pos, 1, x, NULL, NULL) : NULL;
    } else if (t->kind == WD_TK_MINUS || t->kind == WD_TK_PLUS) {
        next(p);
        wd_ast_expr *x = expr_bp(p, P_UNARY);
        l = x ? mk_op(p, WD_AX_UNARY, t->kind == WD_TK_MINUS ? "-" : "+", t->pos, 1, x, NULL,
                      NULL)
              : NULL;
    } else {
        l = postfix(p, primary(p));
    }
    int links = 0;
    while (l) {
        int prec = infix_prec(p);
        if (!prec || prec < minp) break;
        l = chain(p, &links) ? infix(p, l, prec) : NULL;
    }
    p->depth -= links;
    return l;
}

/* An expression whose operators all bind at least as tightly as minp. */
static wd_ast_expr *expr_bp(parser *p, int minp)
{
    if (!enter(p)) return NULL;
    wd_ast_expr *e = expr_inner(p, minp);
    p->depth--;
    return e;
}

/* ---- types ---------------------------------------------------------------------- */

static int type_param(parser *p, int *out)
{
    const wd_tok *t = cur(p);
    if (t->kind != WD_TK_INT) return expected(p, "an integer"), 0;
    long v = strtol(t->text, NULL, 10);
    if (t->len > 9 || v > 1000000000) {
        fail_at(p, t, "type parameter %s is too large", t->text);
        return 0;
    }
    *out = (int)v;
    next(p);
    return 1;
}

/* ( n [, m] ) when present; max params allowed. */
static int type_params(parser *p, wd_ast_type *ty, int max)
{
    if (cur(p)->kind != WD_TK_LPAREN) return 1;
    next(p);
    do {
        if (ty->nparams >= max) return expected(p, "')'"), 0;
        if (!type_param(p, &ty->params[ty->nparams])) return 0;
        ty->nparams++;
    } while (accept(p, WD_TK_COMMA));
    return expect(p, WD_TK_RPAREN, "')'");
}

static const char *int_type(parser *p, const char *base)
{
    if (!accept_kw(p, "unsigned")) return base;
    return !strcmp(base, "smallint") ? "smallint unsigned"
           : !strcmp(base, "int")    ? "int unsigned"
                                     : "bigint unsigned";
}

static int struct_fields(parser *p, wd_ast_type *ty)
{
    if (!expect(p, WD_TK_LT, "'<' after STRUCT")) return 0;
    uint32_t cap = 0;
    do {
        wd_ast_type_field f;
        f.name = any_word(p, "a field name", NULL);
        if (!f.name) return 0;
        accept(p, WD_TK_COLON);
        if (!(f.type = type_name(p)) || !VPUSH(p, ty->fields, ty->nfields, cap, f)) return 0;
    } while (accept(p, WD_TK_COMMA));
    return expect(p, WD_TK_GT, "',' or '>'");
}

static wd_ast_type *type_inner(parser *p)
{
    const wd_tok *t = cur(p);
    if (t->kind != WD_TK_IDENT) return expected(p, "a type name");
    const char *w = t->text;
    wd_ast_type *ty;
    if (!strcmp(w, "array") && peek(p, 1)->kind == WD_TK_LT) {
        next(p);
        next(p);
        ty = type_name(p);
        if (!ty || !expect(p, WD_TK_GT, "'>'")) return NULL;
        ty->array_dims++;
        ty->pos = t->pos;
        goto suffix;
    }
    ty = alloc(p, sizeof *ty);
    if (!ty) return NULL;
    ty->pos = t->pos;
    next(p);
    if (!strcmp(w, "boolean") || !strcmp(w, "bool")) {
        ty->name = "boolean";
    } else if (!strcmp(w, "tinyint") || !strcmp(w, "smallint") || !strcmp(w, "int2")) {
        ty->name = int_type(p, "smallint");
    } else if (!strcmp(w, "int") || !strcmp(w, "integer") || !strcmp(w, "int4")) {
        ty->name = int_type(p, "int");
    } else if (!strcmp(w, "bigint") || !strcmp(w, "int8")) {
        ty->name = int_type(p, "bigint");
    } else if (!strcmp(w, "real") || !strcmp(w, "float4") || !strcmp(w, "float")) {
        ty->name = "real";
    } else if (!strcmp(w, "double")) {
        accept_kw(p, "precision");
        ty->name = "double";
    } else if (!strcmp(w, "float8")) {
        ty->name = "double";
    } else if (!strcmp(w, "decimal") || !strcmp(w, "numeric") || !strcmp(w, "dec")) {
        ty->name = "decimal";
        if (!type_params(p, ty, 2)) return NULL;
    } else if (!strcmp(w, "text") || !strcmp(w, "string")) {
        ty->name = "text";
    } else if (!strcmp(w, "varchar")) {
        ty->name = "text";
        if (!type_params(p, ty, 1)) return NULL;
    } else if (!strcmp(w, "char") || !strcmp(w, "character")) {
        accept_kw(p, "varying");
        ty->name = "text";
        if (!type_params(p, ty, 1)) return NULL;
    } else if (!strcmp(w, "bytea") || !strcmp(w, "varbinary") || !strcmp(w, "binary")) {
        ty->name = "bytea";
    } else if (!strcmp(w, "timestamp") || !strcmp(w, "time")) {
        ty->name = w[4] ? "timestamp" : "time";
        if (!type_params(p, ty, 1)) return NULL;
        if (is_kw(cur(p), "with") || is_kw(cur(p), "without")) {
            next(p);
            if (!expect_kw(p, "time") || !expect_kw(p, "zone")) return NULL;
        }
    } else if (!strcmp(w, "date")) {
        ty->name = "date";
    } else if (!strcmp(w, "interval")) {
        ty->name = "interval";
    } else if (!strcmp(w, "json") || !strcmp(w, "jsonb")) {
        ty->name = "json";
    } else if (!strcmp(w, "struct")) {
        ty->name = "struct";
        if (!struct_fields(p, ty)) return NULL;
    } else {
        fail_at(p, t, "unknown type '%s'", w);
        if (p->err && p->code == WD_ESYNTAX)
            wd_err_hint(p->err, "types: BOOLEAN, INT, BIGINT, [INT|BIGINT] UNSIGNED, REAL, "
                                "DOUBLE, DECIMAL(p,s), TEXT, BYTEA, TIMESTAMP, DATE, "
                                "INTERVAL, JSON, STRUCT<…>, T[]");
        return NULL;
    }
suffix:
    while (cur(p)->kind == WD_TK_LBRACKET) {
        next(p);
        if (cur(p)->kind == WD_TK_INT) next(p);
        if (!expect(p, WD_TK_RBRACKET, "']'")) return NULL;
        ty->array_dims++;
    }
    return ty;
}

static wd_ast_type *type_name(parser *p)
{
    if (!enter(p)) return NULL;
    wd_ast_type *ty = type_inner(p);
    p->depth--;
    return ty;
}

/* ---- queries ---------------------------------------------------------------------- */

static wd_ast_query *new_query(parser *p, wd_ast_query_kind k, wd_pos pos)
{
    wd_ast_query *q = alloc(p, sizeof *q);
    if (!q) return NULL;
    q->kind = k;
    q->pos = pos;
    return q;
}

/* [AS] alias after a FROM item, or NULL when there is none (check p->code). */
static const char *from_alias(parser *p)
{
    if (accept_kw(p, "as")) return ident(p, "an alias", NULL);
    const wd_tok *t = cur(p);
    if (t->kind == WD_TK_QIDENT || (t->kind == WD_TK_IDENT && !is_reserved(t))) {
        next(p);
        return t->text;
    }
    return NULL;
}

static wd_ast_from *from_item(parser *p);

static wd_ast_from *from_primary(parser *p)
{
    const wd_tok *t = cur(p);
    wd_ast_from *f;
    if (t->kind == WD_TK_LPAREN) {
        if (query_at(p, 1)) {
            next(p);
            if (!(f = alloc(p, sizeof *f))) return NULL;
            f->kind = WD_AF_SUBQUERY;
            f->pos = t->pos;
            if (!(f->query = query(p)) || !expect(p, WD_TK_RPAREN, "')'")) return NULL;
        } else {
            next(p);
            if (!(f = from_item(p)) || !expect(p, WD_TK_RPAREN, "')'")) return NULL;
            return f;
        }
    } else {
        if (!(f = alloc(p, sizeof *f))) return NULL;
        f->pos = t->pos;
        f->kind = WD_AF_TABLE;
        if (!(f->name = dotted_name(p, "a table name or '('", NULL))) return NULL;
        if (cur(p)->kind == WD_TK_LPAREN) {
            f->kind = WD_AF_FUNC;
            next(p);
            if (cur(p)->kind != WD_TK_RPAREN && !expr_list(p, &f->args, &f->nargs)) return NULL;
            if (!expect(p, WD_TK_RPAREN, "')'")) return NULL;
        }
    }
    f->alias = from_alias(p);
    if (p->code) return NULL;
    return f;
}

static wd_ast_from *from_item_inner(parser *p)
{
    wd_ast_from *l = from_primary(p);
    int links = 0;
    while (l && chain(p, &links)) {
        wd_ast_join_kind jk;
        const wd_tok *t = cur(p);
        if (accept_kw(p, "join")) {
            jk = WD_JOIN_INNER;
        } else if (is_kw(t, "inner") || is_kw(t, "cross")) {
            next(p);
            jk = t->text[0] == 'i' ? WD_JOIN_INNER : WD_JOIN_CROSS;
            if (!expect_kw(p, "join")) return NULL;
        } else if (is_kw(t, "left") || is_kw(t, "right") || is_kw(t, "full")) {
            next(p);
            jk = t->text[0] == 'l' ? WD_JOIN_LEFT : t->text[0] == 'r' ? WD_JOIN_RIGHT
                                                                      : WD_JOIN_FULL;
            accept_kw(p, "outer");
            if (!expect_kw(p, "join")) return NULL;
        } else {
            break;
        }
        wd_ast_from *j = alloc(p, sizeof *j);
        if (!j) return NULL;
        j->kind = WD_AF_JOIN;
        j->pos = l->pos;
        j->join = jk;
        j->left = l;
        if (!(j->right = from_primary(p))) return NULL;
        if (jk != WD_JOIN_CROSS) {
            if (accept_kw(p, "on")) {
                if (!(j->on = expr(p))) return NULL;
            } else if (accept_kw(p, "using")) {
                if (!expect(p, WD_TK_LPAREN, "'(' after USING")) return NULL;
                uint32_t cap = 0;
                do {
                    const char *c = ident(p, "a column name", NULL);
                    if (!c || !VPUSH(p, j->using_cols, j->nusing, cap, c)) return NULL;
                } while (accept(p, WD_TK_COMMA));
                if (!expect(p, WD_TK_RPAREN, "')'")) return NULL;
            } else {
                return expected(p, "ON or USING");
            }
        }
        l = j;
    }
    p->depth -= links;
    return p->code ? NULL : l;
}

static wd_ast_from *from_item(parser *p)
{
    if (!enter(p)) return NULL;
    wd_ast_from *f = from_item_inner(p);
    p->depth--;
    return f;
}

static wd_ast_query *select_body(parser *p)
{
    wd_ast_query *q = new_query(p, WD_AQ_SELECT, cur(p)->pos);
    wd_ast_select *s = alloc(p, sizeof *s);
    if (!q || !s) return NULL;
    q->select = s;
    s->pos = cur(p)->pos;
    next(p); /* SELECT */
    if (accept_kw(p, "distinct")) s->distinct = true;
    else accept_kw(p, "all");
    uint32_t cap = 0;
    do {
        wd_ast_select_item it = {0};
        const wd_tok *t = cur(p);
        if (t->kind == WD_TK_STAR) {
            if (!(it.expr = new_expr(p, WD_AX_STAR, t->pos))) return NULL;
            next(p);
        } else {
            if (!(it.expr = expr(p))) return NULL;
            if (accept_kw(p, "as")) {
                const wd_tok *a = cur(p);
                if (a->kind == WD_TK_QIDENT || (a->kind == WD_TK_IDENT && !is_clause_kw(a))) {
                    it.alias = a->text;
                    it.alias_pos = a->pos;
                    next(p);
                } else {
                    return expected(p, "an alias after AS");
                }
            } else {
                const wd_tok *a = cur(p);
                if (a->kind == WD_TK_QIDENT || (a->kind == WD_TK_IDENT && !is_reserved(a))) {
                    it.alias = a->text;
                    it.alias_pos = a->pos;
                    next(p);
                }
            }
        }
        if (!VPUSH(p, s->items, s->nitems, cap, it)) return NULL;
    } while (accept(p, WD_TK_COMMA));
    if (accept_kw(p, "from")) {
        cap = 0;
        do {
            wd_ast_from *f = from_item(p);
            if (!f || !VPUSH(p, s->from, s->nfrom, cap, f)) return NULL;
        } while (accept(p, WD_TK_COMMA));
    }
    if (accept_kw(p, "where") && !(s->where = expr(p))) return NULL;
    if (is_kw(cur(p), "group")) {
        next(p);
        if (!expect_kw(p, "by") || !expr_list(p, &s->group, &s->ngroup)) return NULL;
    }
    if (accept_kw(p, "having") && !(s->having = expr(p))) return NULL;
    return q;
}

static wd_ast_query *values_body(parser *p)
{
    wd_ast_query *q = new_query(p, WD_AQ_VALUES, cur(p)->pos);
    if (!q) return NULL;
    next(p); /* VALUES */
    uint32_t cap = 0;
    do {
        const wd_tok *t = cur(p);
        wd_ast_expr **row = NULL;
        uint32_t n = 0;
        if (!expect(p, WD_TK_LPAREN, "'('") || !expr_list(p, &row, &n) ||
            !expect(p, WD_TK_RPAREN, "')'"))
            return NULL;
        if (q->nrows == 0) q->ncols = n;
        else if (n != q->ncols)
            return fail_at(p, t, "VALUES row has %u values but the first row has %u", n,
                           q->ncols);
        if (!VPUSH(p, q->rows, q->nrows, cap, row)) return NULL;
    } while (accept(p, WD_TK_COMMA));
    return q;
}

static wd_ast_query *set_primary(parser *p)
{
    const wd_tok *t = cur(p);
    if (is_kw(t, "select")) return select_body(p);
    if (is_kw(t, "values")) return values_body(p);
    if (t->kind == WD_TK_LPAREN) {
        next(p);
        wd_ast_query *q = query(p);
        if (!q || !expect(p, WD_TK_RPAREN, "')'")) return NULL;
        return q;
    }
    return expected(p, "SELECT, VALUES or '('");
}

static wd_ast_query *mk_setop(parser *p, wd_ast_query *l, const wd_tok *t)
{
    wd_ast_query *q = new_query(p, WD_AQ_SETOP, l->pos);
    if (!q) return NULL;
    q->setop = t->text;
    q->left = l;
    next(p);
    if (accept_kw(p, "all")) q->all = true;
    else accept_kw(p, "distinct");
    return q;
}

static wd_ast_query *set_term(parser *p)
{
    wd_ast_query *l = set_primary(p);
    int links = 0;
    while (l && is_kw(cur(p), "intersect")) {
        wd_ast_query *q = chain(p, &links) ? mk_setop(p, l, cur(p)) : NULL;
        if (!q || !(q->right = set_primary(p))) return NULL;
        l = q;
    }
    p->depth -= links;
    return l;
}

static wd_ast_query *query_inner(parser *p)
{
    const wd_tok *start = cur(p);
    wd_ast_cte *ctes = NULL;
    uint32_t nctes = 0, cap = 0;
    if (accept_kw(p, "with")) {
        accept_kw(p, "recursive");
        do {
            wd_ast_cte c = {0};
            if (!(c.name = ident(p, "a name for the WITH query", &c.pos))) return NULL;
            if (!expect_kw(p, "as") || !expect(p, WD_TK_LPAREN, "'('") || !(c.query = query(p)) ||
                !expect(p, WD_TK_RPAREN, "')'") || !VPUSH(p, ctes, nctes, cap, c))
                return NULL;
        } while (accept(p, WD_TK_COMMA));
    }
    wd_ast_query *l = set_term(p);
    int links = 0;
    while (l && (is_kw(cur(p), "union") || is_kw(cur(p), "except"))) {
        wd_ast_query *q = chain(p, &links) ? mk_setop(p, l, cur(p)) : NULL;
        if (!q || !(q->right = set_term(p))) return NULL;
        l = q;
    }
    p->depth -= links;
    if (!l) return NULL;
    if (nctes) {
        if (l->nctes) return fail_at(p, start, "a query can have only one WITH clause");
        l->ctes = ctes;
        l->nctes = nctes;
        l->pos = start->pos;
    }
    if (is_kw(cur(p), "order") && is_kw(peek(p, 1), "by")) {
        if (l->norder) return fail_at(p, cur(p), "ORDER BY given twice for the same query");
        next(p);
        next(p);
        if (!order_list(p, &l->order, &l->norder)) return NULL;
    }
    for (;;) {
        const wd_tok *t = cur(p);
        if (accept_kw(p, "limit")) {
            if (l->limit) return fail_at(p, t, "LIMIT given twice for the same query");
            if (accept_kw(p, "all")) continue;
            if (!(l->limit = expr(p))) return NULL;
        } else if (accept_kw(p, "offset")) {
            if (l->offset) return fail_at(p, t, "OFFSET given twice for the same query");
            if (!(l->offset = expr(p))) return NULL;
            if (!accept_kw(p, "rows")) accept_kw(p, "row");
        } else {
            break;
        }
    }
    return l;
}

static wd_ast_query *query(parser *p)
{
    if (!enter(p)) return NULL;
    wd_ast_query *q = query_inner(p);
    p->depth--;
    return q;
}

/* ---- statements -------------------------------------------------------------------- */

static int options(parser *p, wd_ast_stmt *s)
{
    if (!expect(p, WD_TK_LPAREN, "'(' after WITH")) return 0;
    if (accept(p, WD_TK_RPAREN)) return 1;
    uint32_t cap = 0;
    do {
        wd_ast_option o = {0};
        const wd_tok *t = cur(p);
        o.key_pos = t->pos;
        if (t->kind == WD_TK_STRING || t->kind == WD_TK_IDENT || t->kind == WD_TK_QIDENT) {
            o.key = t->text;
            next(p);
        } else {
            return expected(p, "an option name"), 0;
        }
        while (accept(p, WD_TK_DOT)) {
            const char *m = any_word(p, "a name after '.'", NULL);
            if (!m) return 0;
            if (!(o.key = wd_arena_printf(p->a, "%s.%s", o.key, m))) return nomem(p), 0;
        }
        if (!expect(p, WD_TK_EQ, "'='")) return 0;
        t = cur(p);
        o.value_pos = t->pos;
        if (t->kind == WD_TK_STRING || t->kind == WD_TK_IDENT || t->kind == WD_TK_INT ||
            t->kind == WD_TK_NUM) {
            o.value = t->text;
            next(p);
        } else if (t->kind == WD_TK_MINUS &&
                   (peek(p, 1)->kind == WD_TK_INT || peek(p, 1)->kind == WD_TK_NUM)) {
            next(p);
            if (!(o.value = wd_arena_printf(p->a, "-%s", cur(p)->text))) return nomem(p), 0;
            next(p);
        } else {
            return expected(p, "an option value (a 'string', a number or a word)"), 0;
        }
        if (!VPUSH(p, s->opts, s->nopts, cap, o)) return 0;
    } while (accept(p, WD_TK_COMMA));
    return expect(p, WD_TK_RPAREN, "',' or ')'");
}

static int column_def(parser *p, wd_ast_stmt *s, uint32_t *cap)
{
    wd_ast_column c = {0};
    if (!(c.name = ident(p, "a column name", &c.pos))) return 0;
    if (!is_kw(cur(p), "generated") && !(c.type = type_name(p))) return 0;
    for (;;) {
        const wd_tok *t = cur(p);
        if (is_kw(t, "not") && is_kw(peek(p, 1), "null")) {
            next(p);
            next(p);
            c.not_null = true;
        } else if (accept_kw(p, "null")) {
            c.not_null = false;
        } else if (is_kw(t, "primary")) {
            next(p);
            if (!expect_kw(p, "key")) return 0;
            c.primary_key = true;
        } else if (accept_kw(p, "generated")) {
            accept_kw(p, "always");
            if (!expect_kw(p, "as") || !expect(p, WD_TK_LPAREN, "'('") ||
                !(c.generated = expr(p)) || !expect(p, WD_TK_RPAREN, "')'"))
                return 0;
            if (!accept_kw(p, "stored")) accept_kw(p, "virtual");
        } else if (accept_kw(p, "metadata")) {
            if (!expect_kw(p, "from")) return 0;
            if (cur(p)->kind != WD_TK_STRING)
                return expected(p, "a metadata key string"), 0;
            c.metadata = true;
            c.meta_key = cur(p)->text;
            next(p);
        } else {
            break;
        }
    }
    return VPUSH(p, s->cols, s->ncols, *cap, c);
}

static int create_table(parser *p, wd_ast_stmt *s)
{
    s->kind = WD_AS_CREATE_TABLE;
    next(p); /* TABLE */
    if (accept_kw(p, "if")) {
        if (!expect_kw(p, "not") || !expect_kw(p, "exists")) return 0;
        s->if_not_exists = true;
    }
    if (!(s->name = dotted_name(p, "a table name", &s->name_pos))) return 0;
    if (accept(p, WD_TK_LPAREN) && !accept(p, WD_TK_RPAREN)) {
        uint32_t ccap = 0, pkcap = 0;
        do {
            const wd_tok *t = cur(p);
            if (is_kw(t, "primary") && is_kw(peek(p, 1), "key")) {
                next(p);
                next(p);
                if (!expect(p, WD_TK_LPAREN, "'(' after PRIMARY KEY")) return 0;
                do {
                    const char *c = ident(p, "a column name", NULL);
                    if (!c || !VPUSH(p, s->pk, s->npk, pkcap, c)) return 0;
                } while (accept(p, WD_TK_COMMA));
                if (!expect(p, WD_TK_RPAREN, "')'")) return 0;
            } else if (is_kw(t, "watermark") && is_kw(peek(p, 1), "for")) {
                if (s->wm_col) return fail_at(p, t, "only one WATERMARK per table"), 0;
                next(p);
                next(p);
                if (!(s->wm_col = ident(p, "a column name", &s->wm_pos))) return 0;
                if (accept_kw(p, "as") && !(s->wm_expr = expr(p))) return 0;
            } else if (!column_def(p, s, &ccap)) {
                return 0;
            }
        } while (accept(p, WD_TK_COMMA));
        if (!expect(p, WD_TK_RPAREN, "',' or ')'")) return 0;
    }
    if (accept_kw(p, "with") && !options(p, s)) return 0;
    if (accept_kw(p, "as") && !(s->query = query(p))) return 0;
    return 1;
}

static wd_ast_stmt *statement(parser *p)
{
    const wd_tok *t = cur(p);
    wd_ast_stmt *s = alloc(p, sizeof *s);
    if (!s) return NULL;
    s->pos = t->pos;
    if (is_kw(t, "create")) {
        next(p);
        if (accept_kw(p, "or") && !expect_kw(p, "replace")) return NULL;
        if (is_kw(cur(p), "table")) {
            if (!create_table(p, s)) return NULL;
        } else if (accept_kw(p, "view")) {
            s->kind = WD_AS_CREATE_VIEW;
            if (accept_kw(p, "if")) {
                if (!expect_kw(p, "not") || !expect_kw(p, "exists")) return NULL;
                s->if_not_exists = true;
            }
            if (!(s->name = dotted_name(p, "a view name", &s->name_pos)) || !expect_kw(p, "as") ||
                !(s->query = query(p)))
                return NULL;
        } else {
            return expected(p, "TABLE or VIEW after CREATE");
        }
    } else if (accept_kw(p, "insert")) {
        s->kind = WD_AS_INSERT;
        if (!expect_kw(p, "into") || !(s->name = dotted_name(p, "a table name", &s->name_pos)))
            return NULL;
        if (cur(p)->kind == WD_TK_LPAREN && !query_at(p, 1)) {
            next(p);
            uint32_t cap = 0;
            do {
                const char *c = ident(p, "a column name", NULL);
                if (!c || !VPUSH(p, s->insert_cols, s->ninsert_cols, cap, c)) return NULL;
            } while (accept(p, WD_TK_COMMA));
            if (!expect(p, WD_TK_RPAREN, "')'")) return NULL;
        }
        if (!(s->query = query(p))) return NULL;
    } else if (accept_kw(p, "set")) {
        s->kind = WD_AS_SET;
        if (!(s->name = dotted_name(p, "a setting name", &s->name_pos))) return NULL;
        if (!accept(p, WD_TK_EQ) && !accept_kw(p, "to")) return expected(p, "'=' or TO");
        const wd_tok *v = cur(p), *v1 = peek(p, 1);
        if (v->kind == WD_TK_IDENT && (v1->kind == WD_TK_SEMI || v1->kind == WD_TK_EOF)) {
            /* SET x = on / off / default: any word is a value here */
            wd_ast_expr *e = new_expr(p, WD_AX_NAME, v->pos);
            const char **parts = alloc(p, sizeof *parts);
            wd_pos *pp = alloc(p, sizeof *pp);
            if (!e || !parts || !pp) return NULL;
            parts[0] = v->text;
            pp[0] = v->pos;
            e->parts = parts;
            e->part_pos = pp;
            e->nparts = 1;
            s->value = e;
            next(p);
        } else if (!(s->value = expr(p))) {
            return NULL;
        }
    } else if (accept_kw(p, "drop")) {
        s->kind = WD_AS_DROP;
        if (accept_kw(p, "view")) s->is_view = true;
        else if (!accept_kw(p, "table")) return expected(p, "TABLE or VIEW after DROP");
        if (accept_kw(p, "if")) {
            if (!expect_kw(p, "exists")) return NULL;
            s->if_not_exists = true;
        }
        if (!(s->name = dotted_name(p, s->is_view ? "a view name" : "a table name",
                                    &s->name_pos)))
            return NULL;
    } else if (query_at(p, 0)) {
        s->kind = WD_AS_QUERY;
        if (!(s->query = query(p))) return NULL;
    } else {
        return expected(p, "a statement (SELECT, WITH, VALUES, CREATE, INSERT, SET or DROP)");
    }
    return s;
}

/* contract: see sql.h */
int wd_sql_parse(const char *text, size_t len, wd_arena *a, wd_ast_script **out,
                 wd_error *err)
{
    parser P = {.src = text, .a = a, .err = err};
    parser *p = &P;
    if (out) *out = NULL;
    if (!a || !out) return wd_err(err, WD_EINVALID, "wd_sql_parse: no arena or output");
    int rc = wd_sql_lex(text, len, a, &P.t, &P.n, err);
    if (rc) return rc;
    wd_ast_script *s = alloc(p, sizeof *s);
    if (!s) return P.code;
    uint32_t cap = 0;
    for (;;) {
        while (accept(p, WD_TK_SEMI)) {}
        if (cur(p)->kind == WD_TK_EOF) break;
        uint32_t first = P.i;
        wd_ast_stmt *st = statement(p);
        if (!st) return P.code;
        if (cur(p)->kind != WD_TK_SEMI && cur(p)->kind != WD_TK_EOF) {
            expected(p, "';' or end of input");
            return P.code;
        }
        uint32_t b = P.t[first].start, e = P.t[P.i - 1].end;
        if (!(st->text = dup_str(p, text + b, e - b))) return P.code;
        st->text_len = e - b;
        if (!VPUSH(p, s->stmts, s->nstmts, cap, st)) return P.code;
    }
    *out = s;
    return 0;
}
