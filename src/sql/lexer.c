/*
 * lexer.c — turns SQL text into the token array the parser reads.
 *
 * Exports wd_sql_lex (see sql_int.h).  Handles unquoted identifiers (folded
 * to lower case), "quoted" identifiers ("" escape), 'strings' ('' escape),
 * E'strings' (backslash escapes), integers and decimals (1, 1.5, .5, 1e6,
 * 1.5E-3), the operators of the dialect, -- line comments and nested
 * block comments.  Positions are 1-based line:column, the column counting
 * UTF-8 code points.
 */
#include "sql/sql_int.h"

#include <string.h>

typedef struct lexer {
    const char *s;
    size_t n;
    size_t i;       /* current byte offset */
    int line, col;  /* position of s[i] */
    wd_arena *a;
    wd_error *err;
    wd_tok *toks;
    uint32_t ntoks, cap;
} lexer;

static void adv(lexer *L)
{
    unsigned char c = (unsigned char)L->s[L->i++];
    if (c == '\n') {
        L->line++;
        L->col = 1;
    } else if ((c & 0xC0) != 0x80) {
        L->col++; /* continuation bytes belong to the code point counted */
    }
}

static int peekc(const lexer *L, size_t k)
{
    return L->i + k < L->n ? (unsigned char)L->s[L->i + k] : -1;
}

static int is_ident_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static int is_ident_char(int c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}

static int is_digit(int c) { return c >= '0' && c <= '9'; }

static int push(lexer *L, wd_tok_kind k, const char *text, uint32_t len, wd_pos pos,
                size_t start)
{
    if (L->ntoks == L->cap) {
        uint32_t nc = L->cap ? L->cap * 2 : 64;
        wd_tok *nt = L->toks ? wd_arena_realloc(L->a, L->toks, L->cap * sizeof *nt,
                                                nc * sizeof *nt)
                             : wd_arena_alloc(L->a, nc * sizeof *nt);
        if (!nt) return wd_err(L->err, WD_ENOMEM, "out of memory while reading SQL");
        L->toks = nt;
        L->cap = nc;
    }
    wd_tok *t = &L->toks[L->ntoks++];
    t->kind = k;
    t->text = text;
    t->len = len;
    t->pos = pos;
    t->start = (uint32_t)start;
    t->end = (uint32_t)L->i;
    return 0;
}

static int nomem(lexer *L)
{
    return wd_err(L->err, WD_ENOMEM, "out of memory while reading SQL");
}

/* A quoted run ending in q, doubled q escaping itself; E-strings also take
 * backslash escapes.  Called with L->i on the opening quote. */
static int lex_quoted(lexer *L, char q, int backslash, wd_pos pos, size_t start,
                      wd_tok_kind kind)
{
    adv(L); /* opening quote */
    size_t body = L->i;
    char *out = wd_arena_alloc(L->a, L->n - body + 1);
    if (!out) return nomem(L);
    uint32_t o = 0;
    for (;;) {
        if (L->i >= L->n) {
            if (kind == WD_TK_STRING)
                return wd_err_at(L->err, WD_ESYNTAX, pos, "unterminated string literal");
            return wd_err_at(L->err, WD_ESYNTAX, pos, "unterminated quoted identifier");
        }
        char c = L->s[L->i];
        if (c == q) {
            if (peekc(L, 1) == q) {
                out[o++] = q;
                adv(L);
                adv(L);
                continue;
            }
            adv(L);
            break;
        }
        if (backslash && c == '\\' && L->i + 1 < L->n) {
            adv(L);
            char e = L->s[L->i];
            adv(L);
            switch (e) {
            case 'n': out[o++] = '\n'; break;
            case 't': out[o++] = '\t'; break;
            case 'r': out[o++] = '\r'; break;
            case 'b': out[o++] = '\b'; break;
            case 'f': out[o++] = '\f'; break;
            case 'x': {
                int v = 0, nd = 0;
                while (nd < 2 && L->i < L->n) {
                    char h = L->s[L->i];
                    int d = (h >= '0' && h <= '9')   ? h - '0'
                            : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                            : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                                     : -1;
                    if (d < 0) break;
                    v = v * 16 + d;
                    nd++;
                    adv(L);
                }
                out[o++] = nd ? (char)v : 'x';
                break;
            }
            default: out[o++] = e; break; /* \\ \' and anything else: itself */
            }
            continue;
        }
        out[o++] = c;
        adv(L);
    }
    out[o] = 0;
    if (kind == WD_TK_QIDENT && o == 0)
        return wd_err_at(L->err, WD_ESYNTAX, pos, "zero-length quoted identifier");
    return push(L, kind, out, o, pos, start);
}

static int lex_number(lexer *L, wd_pos pos, size_t start)
{
    int is_num = 0;
    while (is_digit(peekc(L, 0))) adv(L);
    if (peekc(L, 0) == '.' && peekc(L, 1) != '.') {
        is_num = 1;
        adv(L);
        while (is_digit(peekc(L, 0))) adv(L);
    }
    int c = peekc(L, 0);
    if (c == 'e' || c == 'E') {
        int k = 1;
        if (peekc(L, 1) == '+' || peekc(L, 1) == '-') k = 2;
        if (is_digit(peekc(L, (size_t)k))) {
            is_num = 1;
            while (k--) adv(L);
            while (is_digit(peekc(L, 0))) adv(L);
        }
    }
    if (is_ident_char(peekc(L, 0)))
        return wd_err_at(L->err, WD_ESYNTAX, pos, "invalid number: trailing '%c' after '%.*s'",
                         L->s[L->i], (int)(L->i - start), L->s + start);
    char *t = wd_arena_strndup(L->a, L->s + start, L->i - start);
    if (!t) return nomem(L);
    return push(L, is_num ? WD_TK_NUM : WD_TK_INT, t, (uint32_t)(L->i - start), pos, start);
}

static int lex_comment(lexer *L, wd_pos pos)
{
    /* on the '/' of the opening slash-star; comments nest */
    int depth = 0;
    do {
        if (L->i + 1 >= L->n)
            return wd_err_at(L->err, WD_ESYNTAX, pos, "unterminated /* comment");
        if (L->s[L->i] == '/' && L->s[L->i + 1] == '*') {
            depth++;
            adv(L);
            adv(L);
        } else if (L->s[L->i] == '*' && L->s[L->i + 1] == '/') {
            depth--;
            adv(L);
            adv(L);
        } else {
            adv(L);
        }
    } while (depth > 0);
    return 0;
}

/* contract: see sql_int.h */
int wd_sql_lex(const char *src, size_t len, wd_arena *a, wd_tok **out,
               uint32_t *ntoks, wd_error *err)
{
    lexer L = {.s = src, .n = len, .line = 1, .col = 1, .a = a, .err = err};
    *out = NULL;
    *ntoks = 0;
    if (len >= UINT32_MAX / 2)
        return wd_err(err, WD_ESYNTAX, "SQL text too long (%zu bytes)", len);
    if (!src && len) return wd_err(err, WD_EINVALID, "no SQL text");
    int rc = 0;
    while (rc == 0) {
        int c = peekc(&L, 0);
        if (c < 0) break;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            adv(&L);
            continue;
        }
        wd_pos pos = {L.line, L.col};
        size_t start = L.i;
        int c1 = peekc(&L, 1);
        if (c == '-' && c1 == '-') {
            while (L.i < L.n && L.s[L.i] != '\n') adv(&L);
            continue;
        }
        if (c == '/' && c1 == '*') {
            rc = lex_comment(&L, pos);
            continue;
        }
        if ((c == 'e' || c == 'E') && c1 == '\'') {
            adv(&L);
            rc = lex_quoted(&L, '\'', 1, pos, start, WD_TK_STRING);
            continue;
        }
        if (is_ident_start(c)) {
            while (is_ident_char(peekc(&L, 0))) adv(&L);
            size_t n = L.i - start;
            char *t = wd_arena_strndup(a, src + start, n);
            if (!t) return nomem(&L);
            for (size_t k = 0; k < n; k++)
                if (t[k] >= 'A' && t[k] <= 'Z') t[k] = (char)(t[k] - 'A' + 'a');
            rc = push(&L, WD_TK_IDENT, t, (uint32_t)n, pos, start);
            continue;
        }
        if (is_digit(c) || (c == '.' && is_digit(c1))) {
            rc = lex_number(&L, pos, start);
            continue;
        }
        if (c == '\'') {
            rc = lex_quoted(&L, '\'', 0, pos, start, WD_TK_STRING);
            continue;
        }
        if (c == '"') {
            rc = lex_quoted(&L, '"', 0, pos, start, WD_TK_QIDENT);
            continue;
        }
        wd_tok_kind k;
        int w = 1;
        switch (c) {
        case '(': k = WD_TK_LPAREN; break;
        case ')': k = WD_TK_RPAREN; break;
        case '[': k = WD_TK_LBRACKET; break;
        case ']': k = WD_TK_RBRACKET; break;
        case ',': k = WD_TK_COMMA; break;
        case ';': k = WD_TK_SEMI; break;
        case '.': k = WD_TK_DOT; break;
        case '+': k = WD_TK_PLUS; break;
        case '*': k = WD_TK_STAR; break;
        case '/': k = WD_TK_SLASH; break;
        case '%': k = WD_TK_PERCENT; break;
        case ':':
            if (c1 == ':') { k = WD_TK_DCOLON; w = 2; }
            else k = WD_TK_COLON;
            break;
        case '-':
            if (c1 == '>') {
                if (peekc(&L, 2) == '>') { k = WD_TK_LARROW; w = 3; }
                else { k = WD_TK_ARROW; w = 2; }
            } else {
                k = WD_TK_MINUS;
            }
            break;
        case '=':
            k = WD_TK_EQ;
            if (c1 == '=') w = 2;
            break;
        case '!':
            if (c1 == '~') {
                if (peekc(&L, 2) == '*') { k = WD_TK_NIMATCH; w = 3; }
                else { k = WD_TK_NMATCH; w = 2; }
                break;
            }
            if (c1 != '=') goto bad;
            k = WD_TK_NE;
            w = 2;
            break;
        case '~':
            if (c1 == '*') { k = WD_TK_IMATCH; w = 2; }
            else k = WD_TK_MATCH;
            break;
        case '<':
            if (c1 == '=') { k = WD_TK_LE; w = 2; }
            else if (c1 == '>') { k = WD_TK_NE; w = 2; }
            else k = WD_TK_LT;
            break;
        case '>':
            if (c1 == '=') { k = WD_TK_GE; w = 2; }
            else k = WD_TK_GT;
            break;
        case '|':
            if (c1 != '|') goto bad;
            k = WD_TK_CONCAT;
            w = 2;
            break;
        default:
        bad:
            if (c >= 0x20 && c < 0x7f)
                return wd_err_at(err, WD_ESYNTAX, pos, "unexpected character '%c'", c);
            return wd_err_at(err, WD_ESYNTAX, pos, "unexpected character (byte 0x%02x)", c);
        }
        for (int j = 0; j < w; j++) adv(&L);
        rc = push(&L, k, src + start, (uint32_t)w, pos, start);
    }
    if (rc) return rc;
    wd_pos epos = {L.line, L.col};
    rc = push(&L, WD_TK_EOF, "", 0, epos, L.i);
    if (rc) return rc;
    *out = L.toks;
    *ntoks = L.ntoks;
    return 0;
}
