/*
 * sql_int.h — private to the SQL front end: the token stream the lexer
 * hands to the parser.
 *
 * Keywords are not token kinds: an unquoted word is a WD_TK_IDENT whose text
 * is folded to lower case, and the parser decides from context whether it is
 * a keyword.  That is what lets `count`, `window`, `timestamp` … be plain
 * column names.  A quoted "Word" is a WD_TK_QIDENT and is never a keyword.
 */
#ifndef WD_SQL_INT_H
#define WD_SQL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "common/alloc.h"
#include "common/error.h"

typedef enum wd_tok_kind {
    WD_TK_EOF,
    WD_TK_IDENT,    /* unquoted word, lower-cased */
    WD_TK_QIDENT,   /* "quoted" identifier, kept exactly */
    WD_TK_STRING,   /* 'text' or E'text': escapes resolved, may hold NULs */
    WD_TK_INT,      /* 123 */
    WD_TK_NUM,      /* 1.5, .5, 1e6 */
    WD_TK_LPAREN,   /* ( */
    WD_TK_RPAREN,   /* ) */
    WD_TK_LBRACKET, /* [ */
    WD_TK_RBRACKET, /* ] */
    WD_TK_COMMA,    /* , */
    WD_TK_SEMI,     /* ; */
    WD_TK_DOT,      /* . */
    WD_TK_COLON,    /* : */
    WD_TK_DCOLON,   /* :: */
    WD_TK_PLUS,     /* + */
    WD_TK_MINUS,    /* - */
    WD_TK_STAR,     /* * */
    WD_TK_SLASH,    /* / */
    WD_TK_PERCENT,  /* % */
    WD_TK_EQ,       /* = or == */
    WD_TK_NE,       /* <> or != */
    WD_TK_LT,       /* < */
    WD_TK_LE,       /* <= */
    WD_TK_GT,       /* > */
    WD_TK_GE,       /* >= */
    WD_TK_CONCAT,   /* || */
    WD_TK_ARROW,    /* -> */
    WD_TK_LARROW,   /* ->> */
    WD_TK_MATCH,    /* ~   (regex match) */
    WD_TK_IMATCH,   /* ~*  */
    WD_TK_NMATCH,   /* !~  */
    WD_TK_NIMATCH,  /* !~* */
} wd_tok_kind;

typedef struct wd_tok {
    wd_tok_kind kind;
    const char *text;   /* IDENT/QIDENT: name; STRING: contents; others: source text */
    uint32_t len;       /* length of text */
    wd_pos pos;         /* line:col of the first character (col counts code points) */
    uint32_t start;     /* byte offsets of the token in the source: [start, end) */
    uint32_t end;
} wd_tok;

/*
 * Split src[0..len) into tokens, allocated in a.  On success *out holds
 * *ntoks tokens, the last of which is WD_TK_EOF (positioned at the end of
 * the input), and 0 is returned.  On error returns WD_ESYNTAX (or
 * WD_ENOMEM) with err filled at the position of the offending character
 * (for an unterminated string, identifier or comment: at its start).
 */
int wd_sql_lex(const char *src, size_t len, wd_arena *a, wd_tok **out,
               uint32_t *ntoks, wd_error *err);

#endif
