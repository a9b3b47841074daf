/*
 * sql.h — the SQL front end: text → syntax tree (ast.h), and a printable
 * form of the tree for tests and debugging.
 *
 * Conventions of the tree the parser builds (what later stages rely on):
 *
 *  Names.  Unquoted identifiers are lower-cased, "quoted" ones kept exactly.
 *   Keywords that are not reserved work as identifiers (count, window,
 *   timestamp, start, key, value, type, …); after a '.' any word is a name
 *   (window.end).  a, t.a, t.a.b are one WD_AX_NAME with parts[]; t.* is a
 *   WD_AX_STAR with one part.  Dotted table/view/function names in
 *   statements and FROM are joined with '.' into one string.
 *  Literals.  WD_AX_INT / WD_AX_NUM keep the source text; a leading minus is
 *   a WD_AX_UNARY "-" (the analyzer folds it).  INTERVAL '2 seconds' is
 *   WD_AX_INTERVAL with str = "2 seconds", unit NULL; INTERVAL '5' SECOND
 *   has unit "second" (always singular: second minute hour day week month
 *   year millisecond microsecond nanosecond).  TIMESTAMP '…', DATE '…',
 *   TIME '…' are WD_AX_TYPED_LIT with type->name "timestamp"/"date"/"time".
 *  Operators.  Precedence, lowest first: OR; AND; NOT; IS …; comparison
 *   (= <> < <= > >=), [NOT] LIKE/ILIKE, [NOT] BETWEEN, [NOT] IN (all one
 *   level, left-associative); || -> ->> (one level); + -; * / %; unary + -;
 *   postfix :: [] and .field.  "==" is "=", "!=" is "<>".
 *  Special syntaxes are rewritten to calls: substring(x FROM a [FOR b]) →
 *   substr(x, a[, b]); position(a IN b) → strpos(b, a);
 *   trim([BOTH|LEADING|TRAILING] [c] FROM s) → btrim|ltrim|rtrim(s[, c]);
 *   trim(s) → btrim(s).  EXTRACT(field FROM e) is WD_AX_EXTRACT with the
 *   lower-cased field in text.  (a, b) is a WD_AX_ROW.
 *  Queries.  INTERSECT binds tighter than UNION / EXCEPT (both
 *   left-associative).  A parenthesised query is the inner query node
 *   itself.  GROUP BY 2 is a WD_AX_INT item.  FROM (subquery) may have no
 *   alias (alias NULL).
 *  Types.  wd_ast_type.name is one of the canonical lower-case names:
 *   "boolean" (BOOLEAN, BOOL), "smallint" (SMALLINT, INT2, TINYINT),
 *   "int" (INT, INTEGER, INT4), "bigint" (BIGINT, INT8),
 *   "smallint unsigned", "int unsigned", "bigint unsigned" (… UNSIGNED),
 *   "real" (REAL, FLOAT4, FLOAT), "double" (DOUBLE [PRECISION], FLOAT8),
 *   "decimal" (DECIMAL, NUMERIC; params p[, s]), "text" (TEXT, VARCHAR[(n)],
 *   CHAR[ACTER] VARYING, CHAR, STRING; param n kept), "bytea" (BYTEA),
 *   "timestamp" (TIMESTAMP [(p)] [WITH[OUT] TIME ZONE]), "date", "time",
 *   "interval", "json" (JSON, JSONB), "struct" (STRUCT<a INT, b: TEXT>,
 *   fields).  array_dims counts T[] and ARRAY<T> wrappers on the element.
 *  Options.  WITH (k = v): key as written (dotted keys joined, quotes
 *   stripped); value is the string contents, the number text, the
 *   identifier, or "true"/"false".
 *  Statements.  wd_ast_stmt.text/text_len is the statement's own source
 *   text, without the terminating ';'.
 */
#ifndef WD_SQL_H
#define WD_SQL_H

#include <stddef.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "sql/ast.h"

/*
 * Deepest nesting the parser accepts, counting parentheses, subqueries,
 * nested types and also the links of left-deep chains (a + b + c …,
 * x::t[1], joins, unions).  The height of any tree it returns is below
 * this, so later stages may walk the tree recursively.
 */
#define WD_SQL_MAX_DEPTH 1000

/*
 * Parse a script: all its statements, separated by ';' (empty statements
 * are skipped, the last ';' is optional).  Every node is allocated in a; the
 * tree lives as long as the arena and points into no other memory
 * (stmt->text is a copy).
 * Returns 0 and sets *out, or a negative code with err filled:
 * WD_ESYNTAX with the line:col of the offending token and a message naming
 * what was expected and what was found; WD_ENOMEM when an allocation fails.
 */
int wd_sql_parse(const char *text, size_t len, wd_arena *a, wd_ast_script **out,
                 wd_error *err);

/*
 * Append a compact, deterministic S-expression form of a node to out, e.g.
 * (binary + (name a) (int 1)).  Statements of a script are separated by
 * '\n'.  NULL nodes print as "nil".
 */
void wd_ast_dump_script(const wd_ast_script *s, wd_buf *out);
void wd_ast_dump_stmt(const wd_ast_stmt *s, wd_buf *out);
void wd_ast_dump_query(const wd_ast_query *q, wd_buf *out);
void wd_ast_dump_expr(const wd_ast_expr *e, wd_buf *out);
void wd_ast_dump_type(const wd_ast_type *t, wd_buf *out);

#endif
