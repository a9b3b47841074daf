/*
 * error.c — error values: codes and names from the WD_ERRORS table, the
 * first-error-wins recording functions, the caret formatter for people, and
 * wd_panic for the impossible.
 *
 * Exports: wd_strerror, wd_err, wd_err_at, wd_verr, wd_err_hint,
 * wd_err_clear, wd_err_format, wd_panic.
 */
#include "common/error.h"

#include <execinfo.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The text of an error code; "unknown error" for codes not in the table. */
const char *wd_strerror(int code)
{
    switch (code) {
#define WD_ERR_CASE(name, num, text)                                                     \
    case num:                                                                            \
        return text;
        WD_ERRORS(WD_ERR_CASE)
#undef WD_ERR_CASE
    default:
        return "unknown error";
    }
}

/* Record code + message in err unless an error is already recorded there. */
int wd_verr(wd_error *err, int code, wd_pos pos, const char *fmt, va_list ap)
{
    if (!err || err->code != 0 || code == 0) return code;
    err->code = code;
    err->pos = pos;
    err->hint[0] = 0;
    if (fmt) {
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    } else {
        snprintf(err->msg, sizeof err->msg, "%s", wd_strerror(code));
    }
    return code;
}

int wd_err(wd_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    wd_pos nopos = {0, 0};
    va_start(ap, fmt);
    wd_verr(err, code, nopos, fmt, ap);
    va_end(ap);
    return code;
}

int wd_err_at(wd_error *err, int code, wd_pos pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wd_verr(err, code, pos, fmt, ap);
    va_end(ap);
    return code;
}

/* Set the hint of a recorded error.  A later call replaces an earlier hint
 * (the hint belongs to the recorded error, which is the first one). */
void wd_err_hint(wd_error *err, const char *fmt, ...)
{
    va_list ap;
    if (!err || !fmt) return;
    va_start(ap, fmt);
    vsnprintf(err->hint, sizeof err->hint, fmt, ap);
    va_end(ap);
}

void wd_err_clear(wd_error *err)
{
    if (!err) return;
    err->code = 0;
    err->msg[0] = 0;
    err->hint[0] = 0;
    err->pos.line = 0;
    err->pos.col = 0;
}

/* A bounded writer that keeps counting what it would have written. */
typedef struct fmt_out {
    char *out;
    size_t n;
    size_t len;
} fmt_out;

static void fo_putc(fmt_out *o, char c)
{
    if (o->n && o->len + 1 < o->n) o->out[o->len] = c;
    o->len++;
}

static void fo_put(fmt_out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) fo_putc(o, s[i]);
}

static void fo_puts(fmt_out *o, const char *s) { fo_put(o, s, strlen(s)); }

static void fo_printf(fmt_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fo_printf(fmt_out *o, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k > 0) fo_put(o, tmp, (size_t)k < sizeof tmp ? (size_t)k : sizeof tmp - 1);
}

/* Find line number `line` (1-based) in text; sets *len (without newline). */
static const char *find_line(const char *text, int line, size_t *len)
{
    const char *p = text;
    for (int l = 1; l < line; l++) {
        const char *nl = strchr(p, '\n');
        if (!nl) return NULL;
        p = nl + 1;
    }
    size_t k = strcspn(p, "\n");
    if (k && p[k - 1] == '\r') k--;
    *len = k;
    return p;
}

/*
 * "file:line:col: message", then (when text holds that line) the line
 * indented by two spaces and a caret under column col (a byte column;
 * tabs in the line are repeated under it so the caret lines up, UTF-8
 * continuation bytes take no width), then "hint: …".  No trailing newline.
 */
size_t wd_err_format(const wd_error *err, const char *file, const char *text, char *out,
                     size_t n)
{
    fmt_out o = {out, n, 0};
    if (!err) {
        if (out && n) out[0] = 0;
        return 0;
    }
    const char *msg = err->msg[0] ? err->msg : wd_strerror(err->code);
    int has_pos = err->pos.line > 0;
    if (file && has_pos) {
        fo_printf(&o, "%s:%d:%d: ", file, err->pos.line, err->pos.col > 0 ? err->pos.col : 1);
    } else if (file) {
        fo_puts(&o, file);
        fo_puts(&o, ": ");
    } else if (has_pos) {
        fo_printf(&o, "%d:%d: ", err->pos.line, err->pos.col > 0 ? err->pos.col : 1);
    }
    fo_puts(&o, msg);
    if (text && has_pos) {
        size_t llen = 0;
        const char *line = find_line(text, err->pos.line, &llen);
        if (line) {
            fo_puts(&o, "\n  ");
            fo_put(&o, line, llen);
            fo_puts(&o, "\n  ");
            size_t col = err->pos.col > 0 ? (size_t)err->pos.col : 1;
            if (col > llen + 1) col = llen + 1; /* at most just past the line's end */
            for (size_t i = 0; i + 1 < col; i++) {
                unsigned char c = i < llen ? (unsigned char)line[i] : ' ';
                if (c == '\t') fo_putc(&o, '\t');
                else if ((c & 0xC0) == 0x80) continue;
                else fo_putc(&o, ' ');
            }
            fo_putc(&o, '^');
        }
    }
    if (err->hint[0]) {
        fo_puts(&o, "\nhint: ");
        fo_puts(&o, err->hint);
    }
    if (out && n) out[o.len < n ? o.len : n - 1] = 0;
    return o.len;
}

_Noreturn void wd_panic(const char *fmt, ...)
{
    va_list ap;
    fputs("wadi: panic: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    void *frames[64];
    int nf = backtrace(frames, 64);
    backtrace_symbols_fd(frames, nf, STDERR_FILENO);
    abort();
}
