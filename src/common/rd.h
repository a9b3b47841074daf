/*
 * rd.h — a bounds-checked read cursor over bytes (snapshot records, wire
 * frames).  Reading past the end sets `bad` and returns zeros / NULL, so a
 * decoder reads everything and checks once: malformed input is reported,
 * never read out of bounds.
 */
#ifndef WD_RD_H
#define WD_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct wd_rd {
    const uint8_t *p, *end;
    bool bad;
} wd_rd;

static inline void wd_rd_init(wd_rd *r, const void *p, size_t n)
{
    r->p = p;
    r->end = r->p + n;
    r->bad = false;
}
static inline const void *wd_rd_take(wd_rd *r, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = true;
        return NULL;
    }
    const void *q = r->p;
    r->p += n;
    return q;
}
#define WD_RD_FIXED(name, type)                              \
    static inline type wd_rd_##name(wd_rd *r)                \
    {                                                        \
        type v = 0;                                          \
        const void *q = wd_rd_take(r, sizeof v);             \
        if (q) memcpy(&v, q, sizeof v);                      \
        return v;                                            \
    }
WD_RD_FIXED(u8, uint8_t)
WD_RD_FIXED(u32, uint32_t)
WD_RD_FIXED(u64, uint64_t)
WD_RD_FIXED(i64, int64_t)
WD_RD_FIXED(f64, double)
#undef WD_RD_FIXED
/* Bytes written by wd_snap_put_bytes; *n gets the length. */
static inline const void *wd_rd_bytes(wd_rd *r, uint32_t *n)
{
    *n = wd_rd_u32(r);
    const void *q = wd_rd_take(r, *n);
    if (!q) *n = 0;
    return q;
}
/* True when every read was in bounds and the record was read to its end. */
static inline bool wd_rd_done(const wd_rd *r) { return !r->bad && r->p == r->end; }

#endif
