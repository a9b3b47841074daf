/*
 * ast.h — the syntax tree of wadi's SQL dialect.
 *
 * The parser builds it in an arena; every node carries the position of its
 * first token so that later stages can point at it.  Names are kept as
 * written; unquoted identifiers are folded to lower case by the lexer,
 * quoted ones ("Foo") are kept exactly.  Lists are arrays with a count.
 */
#ifndef WD_AST_H
#define WD_AST_H

#include <stdbool.h>
#include <stdint.h>

#include "common/alloc.h"
#include "common/error.h"

typedef struct wd_ast_expr wd_ast_expr;
typedef struct wd_ast_query wd_ast_query;
typedef struct wd_ast_type wd_ast_type;

/* ---- types as written ------------------------------------------------- */

typedef struct wd_ast_type_field {
    const char *name;
    wd_ast_type *type;
} wd_ast_type_field;

struct wd_ast_type {
    wd_pos pos;
    const char *name;        /* base name lower-cased: "bigint", "varchar",
                                "decimal", "timestamp", "int unsigned" → "bigint unsigned"
                                style normalised by the parser: see parser.c */
    int nparams;             /* DECIMAL(p,s), VARCHAR(n) … */
    int params[2];
    int array_dims;          /* BIGINT[] → 1 */
    uint32_t nfields;        /* STRUCT<a INT, b TEXT> */
    wd_ast_type_field *fields;
};

/* ---- expressions ------------------------------------------------------- */

typedef enum wd_ast_expr_kind {
    WD_AX_NAME,      /* a, t.a, t.a.b: parts[0..nparts) (struct access is resolved
                        by the analyzer, which knows what is a table) */
    WD_AX_STAR,      /* * or t.* : parts (0 or 1 qualifier) */
    WD_AX_INT,       /* integer literal: text (may exceed int64: the analyzer decides) */
    WD_AX_NUM,       /* decimal / float literal: text */
    WD_AX_STRING,    /* 'text': str/len (escapes resolved) */
    WD_AX_BOOL,      /* TRUE / FALSE: ival */
    WD_AX_NULL,
    WD_AX_INTERVAL,  /* INTERVAL 'text' [unit]: str, unit (lower case or NULL) */
    WD_AX_TYPED_LIT, /* TIMESTAMP '…', DATE '…': type + str */
    WD_AX_UNARY,     /* op: "-", "+", "not" ; args[0] */
    WD_AX_BINARY,    /* op: "+","-","*","/","%","=","<>","<","<=",">",">=","and","or",
                        "||","->","->>","like","ilike","not like","not ilike",
                        "is distinct from","is not distinct from" ; args[0], args[1]
                        ("==" and "!=" are spelled "=" and "<>") */
    WD_AX_IS,        /* args[0] IS [NOT] NULL/TRUE/FALSE: op "null","true","false"; neg */
    WD_AX_BETWEEN,   /* args[0] [NOT] BETWEEN args[1] AND args[2]; neg */
    WD_AX_IN_LIST,   /* args[0] [NOT] IN (args[1..]); neg */
    WD_AX_IN_QUERY,  /* args[0] [NOT] IN (query); neg */
    WD_AX_CASE,      /* CASE [operand] WHEN … THEN … [ELSE …] END:
                        args = [operand?] when1 then1 …  [else?];
                        has_operand, has_else */
    WD_AX_CAST,      /* CAST(args[0] AS type), args[0]::type; try for TRY_CAST */
    WD_AX_CALL,      /* name(args…) [FILTER (WHERE filter)] [OVER (…)]:
                        name (lower case unless quoted), distinct, star (count(*)),
                        filter, over */
    WD_AX_EXTRACT,   /* EXTRACT(unit FROM args[0]): unit */
    WD_AX_SUBSCRIPT, /* args[0][args[1]] */
    WD_AX_FIELD,     /* (expr).name — field access on a non-name expression: args[0], name */
    WD_AX_ARRAY,     /* ARRAY[a, b] or [a, b]: args */
    WD_AX_ROW,       /* ROW(a, b) / STRUCT(...) constructor: args */
    WD_AX_SUBQUERY,  /* (SELECT …) scalar subquery: query */
    WD_AX_EXISTS,    /* EXISTS (query) */
} wd_ast_expr_kind;

typedef struct wd_ast_order {
    wd_ast_expr *expr;
    bool desc;
    int nulls;        /* 0 default, 1 NULLS FIRST, 2 NULLS LAST */
} wd_ast_order;

typedef struct wd_ast_frame {
    bool present;
    bool rows;          /* ROWS (true) or RANGE (false) */
    /* bounds: kind 0 UNBOUNDED PRECEDING, 1 n PRECEDING, 2 CURRENT ROW,
       3 n FOLLOWING, 4 UNBOUNDED FOLLOWING */
    int start_kind, end_kind;
    wd_ast_expr *start, *end;
} wd_ast_frame;

typedef struct wd_ast_window {
    wd_pos pos;
    uint32_t npartition;
    wd_ast_expr **partition;
    uint32_t norder;
    wd_ast_order *order;
    wd_ast_frame frame;
} wd_ast_window;

struct wd_ast_expr {
    wd_ast_expr_kind kind;
    wd_pos pos;
    const char *op;           /* UNARY, BINARY, IS */
    bool neg;                 /* NOT variants */
    bool has_operand, has_else;   /* CASE */
    bool distinct, star, try_;    /* CALL (distinct, count(*)), CAST (try_) */
    int64_t ival;             /* BOOL */
    const char *text;         /* INT / NUM literal text; FIELD name; EXTRACT unit */
    const char *str;          /* STRING, INTERVAL, TYPED_LIT contents */
    uint32_t len;             /* length of str */
    const char *unit;         /* INTERVAL unit ("second", …) or NULL */
    const char *name;         /* CALL function name */
    uint32_t nparts;          /* NAME, STAR */
    const char **parts;
    wd_pos *part_pos;         /* position of each part */
    uint32_t nargs;
    wd_ast_expr **args;
    wd_ast_type *type;        /* CAST, TYPED_LIT */
    wd_ast_expr *filter;      /* CALL: FILTER (WHERE …) */
    wd_ast_window *over;      /* CALL: OVER (…) */
    wd_ast_query *query;      /* IN_QUERY, SUBQUERY, EXISTS */
};

/* ---- queries ------------------------------------------------------------ */

typedef struct wd_ast_select_item {
    wd_ast_expr *expr;        /* may be WD_AX_STAR */
    const char *alias;        /* AS name, or NULL */
    wd_pos alias_pos;
} wd_ast_select_item;

typedef enum wd_ast_from_kind {
    WD_AF_TABLE,     /* name [AS alias] */
    WD_AF_SUBQUERY,  /* (query) [AS] alias */
    WD_AF_JOIN,      /* left JOIN right ON cond | USING (cols) */
    WD_AF_FUNC,      /* table function: name(args) — e.g. unnest(…) in FROM */
} wd_ast_from_kind;

typedef enum wd_ast_join_kind {
    WD_JOIN_INNER,
    WD_JOIN_LEFT,
    WD_JOIN_RIGHT,
    WD_JOIN_FULL,
    WD_JOIN_CROSS,
} wd_ast_join_kind;

typedef struct wd_ast_from wd_ast_from;
struct wd_ast_from {
    wd_ast_from_kind kind;
    wd_pos pos;
    const char *name;         /* TABLE: table name; FUNC: function name */
    const char *alias;        /* or NULL */
    wd_ast_query *query;      /* SUBQUERY */
    wd_ast_join_kind join;    /* JOIN */
    wd_ast_from *left, *right;
    wd_ast_expr *on;          /* JOIN … ON */
    uint32_t nusing;          /* JOIN … USING (a, b) */
    const char **using_cols;
    uint32_t nargs;           /* FUNC */
    wd_ast_expr **args;
};

typedef struct wd_ast_select {
    wd_pos pos;
    bool distinct;
    uint32_t nitems;
    wd_ast_select_item *items;
    uint32_t nfrom;           /* FROM a, b (comma = cross join) */
    wd_ast_from **from;
    wd_ast_expr *where;
    uint32_t ngroup;
    wd_ast_expr **group;      /* expressions, or WD_AX_INT positions (GROUP BY 2) */
    wd_ast_expr *having;
} wd_ast_select;

typedef struct wd_ast_cte {
    const char *name;
    wd_pos pos;
    wd_ast_query *query;
} wd_ast_cte;

typedef enum wd_ast_query_kind {
    WD_AQ_SELECT,    /* select */
    WD_AQ_SETOP,     /* left UNION [ALL] right (also EXCEPT / INTERSECT: op) */
    WD_AQ_VALUES,    /* VALUES (…), (…): rows */
} wd_ast_query_kind;

struct wd_ast_query {
    wd_ast_query_kind kind;
    wd_pos pos;
    uint32_t nctes;           /* WITH … */
    wd_ast_cte *ctes;
    wd_ast_select *select;    /* SELECT */
    const char *setop;        /* "union", "except", "intersect" */
    bool all;                 /* UNION ALL */
    wd_ast_query *left, *right;
    uint32_t nrows, ncols;    /* VALUES */
    wd_ast_expr ***rows;
    uint32_t norder;          /* ORDER BY (applies to the whole query) */
    wd_ast_order *order;
    wd_ast_expr *limit;       /* LIMIT n, or NULL */
    wd_ast_expr *offset;
};

/* ---- statements --------------------------------------------------------- */

typedef struct wd_ast_column {
    const char *name;
    wd_pos pos;
    wd_ast_type *type;        /* NULL only for GENERATED columns written without one */
    bool not_null;
    bool primary_key;         /* column-level PRIMARY KEY */
    wd_ast_expr *generated;   /* GENERATED ALWAYS AS (expr) [STORED], or NULL */
    bool metadata;            /* METADATA FROM 'key' (Arroyo); meta_key */
    const char *meta_key;
} wd_ast_column;

typedef struct wd_ast_option {
    const char *key;          /* 'k' or k or k.sub: as written, quotes stripped */
    wd_pos key_pos;
    const char *value;        /* value text (string, number or identifier) */
    wd_pos value_pos;
} wd_ast_option;

typedef enum wd_ast_stmt_kind {
    WD_AS_CREATE_TABLE,   /* CREATE TABLE [IF NOT EXISTS] name (cols, …) WITH (…) [AS query] */
    WD_AS_CREATE_VIEW,    /* CREATE VIEW name AS query */
    WD_AS_INSERT,         /* INSERT INTO name [(cols)] query */
    WD_AS_QUERY,          /* bare query */
    WD_AS_SET,            /* SET name = expr | TO expr */
    WD_AS_DROP,           /* DROP TABLE|VIEW [IF EXISTS] name */
} wd_ast_stmt_kind;

typedef struct wd_ast_stmt {
    wd_ast_stmt_kind kind;
    wd_pos pos;
    const char *name;          /* table/view/setting name */
    wd_pos name_pos;
    bool if_not_exists;        /* or IF EXISTS for DROP */
    bool is_view;              /* DROP VIEW (false: DROP TABLE) */
    uint32_t ncols;            /* CREATE TABLE */
    wd_ast_column *cols;
    uint32_t npk;              /* table-level PRIMARY KEY (a, b) */
    const char **pk;
    const char *wm_col;        /* WATERMARK FOR col [AS expr] */
    wd_pos wm_pos;
    wd_ast_expr *wm_expr;      /* NULL: default delay */
    uint32_t nopts;            /* WITH (…) */
    wd_ast_option *opts;
    uint32_t ninsert_cols;     /* INSERT INTO t (a, b) */
    const char **insert_cols;
    wd_ast_query *query;       /* VIEW, INSERT, QUERY, CREATE TABLE … AS */
    wd_ast_expr *value;        /* SET */
    const char *text;          /* this statement's source text (for errors, the API) */
    uint32_t text_len;
} wd_ast_stmt;

typedef struct wd_ast_script {
    uint32_t nstmts;
    wd_ast_stmt **stmts;
} wd_ast_script;

#endif
