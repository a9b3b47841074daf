/*
 * buf.h — a growable byte buffer for building text (JSON output, messages,
 * EXPLAIN output).  Memory through wd_realloc; wd_buf_free releases it.
 */
#ifndef WD_BUF_H
#define WD_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wd_buf {
    char *data;   /* NUL-terminated when len > 0 */
    size_t len;
    size_t cap;
} wd_buf;

#define WD_BUF_INIT {NULL, 0, 0}

void wd_buf_reserve(wd_buf *b, size_t extra);
void wd_buf_put(wd_buf *b, const void *p, size_t n);
void wd_buf_puts(wd_buf *b, const char *s);
void wd_buf_putc(wd_buf *b, char c);
void wd_buf_printf(wd_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void wd_buf_vprintf(wd_buf *b, const char *fmt, va_list ap);
void wd_buf_reset(wd_buf *b);   /* len = 0, keep memory */
void wd_buf_free(wd_buf *b);

/* Write code point cp (≤ 0x10FFFF) as UTF-8 at d (room for 4 bytes);
 * returns the number of bytes written. */
static inline uint32_t wd_utf8_put(uint32_t cp, char *d)
{
    if (cp < 0x80) return d[0] = (char)cp, 1;
    if (cp < 0x800) {
        d[0] = (char)(0xC0 | (cp >> 6));
        d[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (char)(0xE0 | (cp >> 12));
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        d[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (char)(0xF0 | (cp >> 18));
    d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    d[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    d[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Append s (n bytes) as a JSON string literal, quotes included. */
void wd_buf_json_str(wd_buf *b, const char *s, size_t n);

/* Room for n more bytes at the end of b, to be written directly and then
 * made part of b with wd_buf_commit. */
static inline uint8_t *wd_buf_room(wd_buf *b, size_t n)
{
    if (b->cap - b->len < n + 1) wd_buf_reserve(b, n);
    return (uint8_t *)b->data + b->len;
}

/* The bytes written from wd_buf_room up to end become part of b. */
static inline void wd_buf_commit(wd_buf *b, const uint8_t *end)
{
    b->len = (size_t)(end - (const uint8_t *)b->data);
    b->data[b->len] = 0;
}

static inline void wd_buf_putc_fast(wd_buf *b, char c)
{
    if (b->len + 2 > b->cap) wd_buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = 0;
}

#endif
