/*
 * buf.c — growable byte buffers for building text, and JSON string escaping.
 *
 * Exports: wd_buf_reserve, wd_buf_put, wd_buf_puts, wd_buf_putc,
 * wd_buf_printf, wd_buf_vprintf, wd_buf_reset, wd_buf_free, wd_buf_json_str.
 */
#include "common/buf.h"

#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

/*
 * Make room for extra more bytes plus the terminating NUL.  Buffers have no
 * way to report failure, so an allocation failed by the test injector is
 * retried once (the injector is single-shot); a buffer never ends up
 * without the room it was asked for.
 */
void wd_buf_reserve(wd_buf *b, size_t extra)
{
    if (WD_UNLIKELY(extra > SIZE_MAX / 2 - b->len)) wd_panic("buffer of %zu bytes", extra);
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap *= 2;
    char *d = wd_realloc(b->data, cap);
    if (!d) d = wd_realloc(b->data, cap);
    if (!d) wd_panic("out of memory growing a buffer to %zu bytes", cap);
    if (!b->data) d[0] = 0;
    b->data = d;
    b->cap = cap;
}

void wd_buf_put(wd_buf *b, const void *p, size_t n)
{
    wd_buf_reserve(b, n);
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
}

void wd_buf_puts(wd_buf *b, const char *s) { wd_buf_put(b, s, strlen(s)); }

void wd_buf_putc(wd_buf *b, char c) { wd_buf_putc_fast(b, c); }

void wd_buf_vprintf(wd_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    size_t room = b->cap > b->len ? b->cap - b->len : 0;
    int k = vsnprintf(room ? b->data + b->len : NULL, room, fmt, ap);
    if (k < 0) {
        va_end(ap2);
        if (b->data && b->cap) b->data[b->len] = 0;
        return;
    }
    if ((size_t)k >= room) {
        wd_buf_reserve(b, (size_t)k);
        vsnprintf(b->data + b->len, (size_t)k + 1, fmt, ap2);
    }
    va_end(ap2);
    b->len += (size_t)k;
}

void wd_buf_printf(wd_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wd_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void wd_buf_reset(wd_buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = 0;
}

void wd_buf_free(wd_buf *b)
{
    wd_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/*
 * Quote s as a JSON string: '"' and '\\' escaped, control characters as
 * \n \t \r \b \f or \u00XX; every other byte (UTF-8 included, and invalid
 * UTF-8 as is) passes through.
 */
void wd_buf_json_str(wd_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    wd_buf_reserve(b, n + 2);
    char *d = b->data + b->len;
    *d++ = '"';
    size_t i = 0;
    for (;;) {
        /* copy the run of bytes that need no escaping */
        size_t start = i;
        while (i < n) {
            unsigned char c = (unsigned char)s[i];
            if (c < 0x20 || c == '"' || c == '\\') break;
            i++;
        }
        if (i > start) {
            memcpy(d, s + start, i - start);
            d += i - start;
        }
        if (i >= n) break;
        unsigned char c = (unsigned char)s[i++];
        /* worst case 6 bytes for this one plus the rest unescaped and '"' */
        b->len = (size_t)(d - b->data);
        wd_buf_reserve(b, 6 + (n - i) + 1);
        d = b->data + b->len;
        *d++ = '\\';
        switch (c) {
        case '"': *d++ = '"'; break;
        case '\\': *d++ = '\\'; break;
        case '\n': *d++ = 'n'; break;
        case '\t': *d++ = 't'; break;
        case '\r': *d++ = 'r'; break;
        case '\b': *d++ = 'b'; break;
        case '\f': *d++ = 'f'; break;
        default:
            *d++ = 'u';
            *d++ = '0';
            *d++ = '0';
            *d++ = hex[c >> 4];
            *d++ = hex[c & 15];
            break;
        }
    }
    *d++ = '"';
    b->len = (size_t)(d - b->data);
    b->data[b->len] = 0;
}
