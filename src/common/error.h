/*
 * error.h — error values shared by every module.
 *
 * Functions return 0 or a negative WD_E* code and, when the caller passes a
 * wd_error, fill it with a message, an optional position in the SQL text and
 * an optional hint.  One table (WD_ERRORS below) generates codes and names.
 */
#ifndef WD_ERROR_H
#define WD_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#define WD_ERRORS(X)                                                          \
    X(OK, 0, "ok")                                                            \
    X(NOMEM, -1, "out of memory")                                             \
    X(SYNTAX, -2, "syntax error")                                             \
    X(NAME, -3, "unknown name")                                               \
    X(TYPE, -4, "type error")                                                 \
    X(UNSUPPORTED, -5, "not supported")                                       \
    X(OPTION, -6, "bad option")                                               \
    X(IO, -7, "i/o error")                                                    \
    X(DATA, -8, "bad data")                                                   \
    X(OVERFLOW, -9, "numeric overflow")                                       \
    X(CAST, -10, "invalid cast")                                              \
    X(DIVZERO, -11, "division by zero")                                       \
    X(INVALID, -12, "invalid argument")                                       \
    X(PLAN, -13, "planning error")                                            \
    X(STOPPED, -14, "stopped")                                                \
    X(INTERNAL, -15, "internal error")                                        \
    X(CORRUPT, -16, "corrupt state")                                          \
    X(NET, -17, "network error")

enum {
#define WD_ERR_ENUM(name, code, text) WD_E##name = (code),
    WD_ERRORS(WD_ERR_ENUM)
#undef WD_ERR_ENUM
};

/* A position in a source text: 1-based line and column; 0 = unknown. */
typedef struct wd_pos {
    int line;
    int col;
} wd_pos;

typedef struct wd_error {
    int code;          /* WD_E* (0 when no error recorded) */
    char msg[512];     /* what is wrong, without position */
    char hint[256];    /* optional: what would be accepted */
    wd_pos pos;        /* optional: where in the SQL text */
} wd_error;

/* Name of an error code ("WD_ESYNTAX" → "syntax error"). */
const char *wd_strerror(int code);

/*
 * Record an error in err (which may be NULL) and return code.  The first
 * error recorded wins: later calls on an already-set err keep the first
 * message, so low-level detail is not overwritten by generic context.
 */
int wd_err(wd_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int wd_err_at(wd_error *err, int code, wd_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int wd_verr(wd_error *err, int code, wd_pos pos, const char *fmt, va_list ap);

/* Set the hint of an already-recorded error (no-op when err is NULL). */
void wd_err_hint(wd_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Clear err to "no error". */
void wd_err_clear(wd_error *err);

/*
 * Format err for a person: "file:line:col: message", then the source line
 * and a caret under the column when text is given, then "hint: …".
 * file may be NULL.  Writes at most n bytes (NUL-terminated); returns the
 * length it wanted.
 */
size_t wd_err_format(const wd_error *err, const char *file, const char *text,
                     char *out, size_t n);

/* Print message + backtrace to stderr and abort: for the impossible. */
_Noreturn void wd_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define WD_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define WD_LIKELY(x) __builtin_expect(!!(x), 1)

#endif
