/*
 * func_text.c — string functions (PostgreSQL semantics).
 *
 * Strings are UTF-8; functions that count or index characters count code
 * points, never bytes.  Invalid UTF-8 never crashes anything: a character
 * is a lead byte plus at most three continuation bytes that follow it, so
 * a stray continuation byte counts as one character of its own.
 *
 * Case mapping (lower, upper, initcap) is ASCII only: bytes outside A-Z /
 * a-z, including every byte of a multi-byte character, pass through as is.
 *
 * Results that are a piece of an argument (substr, trim, left, split_part
 * …) are views of the argument; new strings are built in k->arena.
 *
 * Exports: wd_funcs_text, wd_funcs_text_n.
 */
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "expr/expr_int.h"
#include "expr/func.h"

/* Longest string a function may build (lpad, repeat …): 256 MiB. */
#define TEXT_MAX_BYTES (256u << 20)

/* ---- helpers ------------------------------------------------------------ */

static inline wd_str arg_str(const wd_col *c, uint32_t i) { return WD_COL_GET(c, wd_str, i); }
static inline int64_t arg_i64(const wd_col *c, uint32_t i) { return WD_COL_GET(c, int64_t, i); }
static inline bool is_cont(unsigned char b) { return (b & 0xC0) == 0x80; }

/* Byte offset of the character after the one starting at i (i < n). */
static inline uint32_t next_char(const char *s, uint32_t n, uint32_t i)
{
    uint32_t j = i + 1, k = 0;
    while (j < n && k < 3 && is_cont((unsigned char)s[j])) j++, k++;
    return j;
}

/* Number of characters in s[0..n). */
static int64_t char_count(const char *s, uint32_t n)
{
    int64_t c = 0;
    for (uint32_t i = 0; i < n; i = next_char(s, n, i)) c++;
    return c;
}

/* Byte offset of character number c (0-based); n when the string is shorter. */
static uint32_t char_offset(const char *s, uint32_t n, int64_t c)
{
    uint32_t i = 0;
    while (c > 0 && i < n) i = next_char(s, n, i), c--;
    return i;
}

/* Allocate len bytes for an output string (len may be 0). */
static char *out_alloc(wd_kctx *k, size_t len) { return wd_arena_alloc(k->arena, len ? len : 1); }

static int too_long(wd_kctx *k, const char *fn)
{
    return wd_err_at(k->err, WD_EINVALID, k->pos, "%s: result would exceed %u bytes", fn,
                     TEXT_MAX_BYTES);
}

/* Whether character c (bytes cs[0..cn)) occurs in set (as a character). */
static bool char_in_set(const char *cs, uint32_t cn, wd_str set)
{
    for (uint32_t i = 0; i < set.len;) {
        uint32_t j = next_char(set.ptr, set.len, i);
        if (j - i == cn && memcmp(set.ptr + i, cs, cn) == 0) return true;
        i = j;
    }
    return false;
}

/* ---- case mapping --------------------------------------------------------- */

static int k_case(wd_kctx *k, const wd_col *a, uint32_t n, wd_col *out, bool up)
{
    wd_str *o = WD_COL_VALS(out, wd_str);
    for (uint32_t i = 0; i < n; i++) {
        if (!wd_col_valid(out, i)) continue;
        wd_str s = arg_str(&a[0], i);
        uint32_t j = 0;
        for (; j < s.len; j++) {
            char c = s.ptr[j];
            if (up ? (c >= 'a' && c <= 'z') : (c >= 'A' && c <= 'Z')) break;
        }
        if (j == s.len) { /* nothing to change: a view */
            o[i] = s;
            continue;
        }
        char *d = out_alloc(k, s.len);
        memcpy(d, s.ptr, s.len);
        for (; j < s.len; j++) {
            char c = d[j];
            if (up && c >= 'a' && c <= 'z') d[j] = (char)(c - 32);
            else if (!up && c >= 'A' && c <= 'Z') d[j] = (char)(c + 32);
        }
        o[i] = wd_str_make(d, s.len);
    }
    return 0;
}

static int k_lower(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return k_case(k, a, n, out, false);
}

static int k_upper(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return k_case(k, a, n, out, true);
}

static bool ascii_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           c >= 0x80;
}

/* initcap: first letter of each word upper, the rest lower; words are runs of
 * letters and digits (bytes ≥ 0x80 count as letters). */
static int k_initcap(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    wd_str *o = WD_COL_VALS(out, wd_str);
    for (uint32_t i = 0; i < n; i++) {
        if (!wd_col_valid(out, i)) continue;
        wd_str s = arg_str(&a[0], i);
        char *d = out_alloc(k, s.len);
        bool inword = false;
        for (uint32_t j = 0; j < s.len; j++) {
            unsigned char c = (unsigned char)s.ptr[j];
            if (!inword && c >= 'a' && c <= 'z') c = (unsigned char)(c - 32);
            else if (inword && c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
            d[j] = (char)c;
            inword = ascii_alnum(c);
        }
        o[i] = wd_str_make(d, s.len);
    }
    return 0;
}

/* ---- lengths ------------------------------------------------------------- */

static int k_length(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    int64_t *o = WD_COL_VALS(out, int64_t);
    for (uint32_t i = 0; i < n; i++) {
        if (!wd_col_valid(out, i)) continue;
        wd_str s = arg_str(&a[0], i);
        o[i] = char_count(s.ptr, s.len);
    }
    return 0;
}

static int k_octet_length(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    int64_t *o = WD_COL_VALS(out, int64_t);
    for (uint32_t i = 0; i < n; i++)
        if (wd_col_valid(out, i)) o[i] = arg_str(&a[0], i).len;
    return 0;
}

static int k_bit_length(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    int64_t *o = WD_COL_VALS(out, int64_t);
    for (uint32_t i = 0; i < n; i++)
        if (wd_col_valid(out, i)) o[i] = 8 * (int64_t)arg_str(&a[0], i).len;
    return 0;
}

/* ---- substrings ------------------------------------------------------------ */

/* Characters [from, to) of s (0-based, clamped) as a view. */
static wd_str char_slice(wd_str s, int64_t from, int64_t to)
{
    if (from < 0) from = 0;
    if (to <= from) return wd_str_make(s.ptr, 0);
    uint32_t b = char_offset(s.ptr, s.len, from);
    uint32_t e = b;
    int64_t c = to - from;
    while (c > 0 && e < s.len) e = next_char(s.ptr, s.len, e), c--;
    return wd_str_make(s.ptr + b, e - b);
}

/* substr(s, start [, count]): characters start .. start+count-1 (1-based),
 * intersected with the string; a negative count is an error. */
static int k_substr(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    wd_str *o = WD_COL_VALS(out, wd_str);
    for (uint32_t i = 0; i < n; i++) {
        if (!wd_col_valid(out, i)) continue;
        wd_str s = arg_str(&a[0], i);
        int64_t start = arg_i64(&a[1], i);
        int64_t to = INT64_MAX;
        if (na > 2) {
            int64_t cnt = arg_i64(&a[2], i);
            if (cnt < 0)
                return wd_err_at(k->err, WD_EINVALID, k->pos,
                                 "negative substring length not allowed (%lld)",
                                 (long long)cnt);
            if (__builtin_add_overflow(start, cnt, &to)) to = start > 0 ? INT64_MAX : INT64_MIN;
        }
        /* 1-based → 0-based; start may be ≤ 0 */
        int64_t from = start > INT64_MIN ? start - 1 : INT64_MIN;
        o[i] = char_slice(s, from, (to == INT64_MAX || to == INT64_MIN) ? to : to - 1);
    }
    return 0;
}

/* left(s, n): first n characters; negative n: all but the last |n|. */
static int k_left(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    wd_str *o = WD_COL_VALS(out, wd_str);
    for (uint32_t i = 0; i < n; i++) {
        if (!wd_col_valid(out, i)) continue;
        wd_str s = arg_str(&a[0], i);
        int64_t c = arg_i64(&a[1], i);
        if (c < 0) {
            int64_t len = char_count(s.ptr, s.len);
            c = c < -len ? 0 : len + c;
        }
        o[i] = char_slice(s, 0, c);
    }
    return 0;
}

/* right(s, n): last n characters; negative n: all but the first |n|. */
static int k_right(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    wd_str *o = WD_COL_VALS(out, wd_str);
    for (uint32_t i = 0; i < n; i++) {
        if (!wd_col_valid(out, i)) continue;
        wd_str s = arg_str(&a[0], i);
        int64_t c = arg_i64(&a[1], i);
        int64_t len = char_count(s.ptr, s.len);
        int64_t from;
        if (c >= 0) from = c >= len ? 0 : len - c;
        else from = c < -len ? len : -c;
        o[i] = char_slice(s, from, len);
    }
    return 0;
}

/* ---- concatenation ---------------------------------------------------------- */

/* concat / concat_ws share this: sep is NULL for concat.  Each row is
 * assembled in one scratch buffer (grown once per call, not per row), then
 * copied to the arena.  Non-string values take their CAST(… AS TEXT) form. */
static int concat_rows(wd_kctx *k, const wd_col *parts, uint32_t np, const wd_col *sep,
                       uint32_t n, wd_col *out, const char *fn)
{
    wd_str *o = WD_COL_VALS(out, wd_str);
    wd_buf b = WD_BUF_INIT;
    int rc = 0;
    for (uint32_t i = 0; i < n; i++) {
        wd_str sp = {0};
        if (sep) {
            if (!wd_col_valid(sep, i) || sep->type->id == WD_T_NULL) {
                wd_col_set_null(out, i, k->arena);
                continue;
            }
            sp = arg_str(sep, i);
        }
        wd_buf_reset(&b);
        bool first = true;
        for (uint32_t p = 0; p < np; p++) {
            const wd_col *c = &parts[p];
            if (c->type->id == WD_T_NULL || !wd_col_valid(c, i)) continue;
            if (!first && sp.len) wd_buf_put(&b, sp.ptr, sp.len);
            first = false;
            wd_type_id id = c->type->id;
            if (id == WD_T_TEXT || id == WD_T_JSON) {
                wd_str v = arg_str(c, i);
                if (v.len) wd_buf_put(&b, v.ptr, v.len);
            } else {
                wd_x_val_text(&b, c, i, false);
            }
            if (b.len > TEXT_MAX_BYTES) break;
        }
        if (b.len > TEXT_MAX_BYTES) {
            rc = too_long(k, fn);
            break;
        }
        o[i] = wd_str_copy(k->arena, b.len ? b.data : "", b.len);
    }
    wd_buf_free(&b);
    return rc;
}

static int k_concat(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return concat_rows(k, a, na, NULL, n, out, "concat");
}

static int k_concat_ws(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return concat_rows(k, a + 1, na - 1, &a[0], n, out, "concat_ws");
}

/* concat_ws's separator must be text; the values may be anything. */
static const wd_type *resolve_concat_ws(wd_arena *ar, const wd_type *const *args,
                                        uint32_t nargs, wd_error *err)
{
    wd_type_id id = args[0]->id;
    if (id != WD_T_TEXT && id != WD_T_JSON && id != WD_T_NULL) {
        wd_err(err, WD_ETYPE, "concat_ws: the separator must be TEXT, not %s",
               wd_type_name(args[0]));
        return NULL;
    }
    return WD_TYPE_TEXT;
}

/* ---- trimming -------------------------------------------------------------- */

/* mode bit 1: leading, bit 2: trailing. */
static int k_trim_mode(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out,
                       int mode)
{
    wd_str *o = WD_COL_VALS(out, wd_str);
    wd_str space = wd_str_make(" ", 1);
    for (uint32_t i = 0; i < n; i++) {
        if (!wd_col_valid(out, i)) continue;
        wd_str s = arg_str(&a[0], i);
        wd_str set = na > 1 ? arg_str(&a[1], i) : space;
        uint32_t b = 0, e = s.len;
        if (mode & 1) {
            while (b < e) {
                uint32_t j = next_char(s.ptr, e, b);
                if (!char_in_set(s.ptr + b, j - b, set)) break;
                b = j;
            }
        }
        if (mode & 2) {
            while (e > b) {
                uint32_t j = e - 1; /* start of the last character */
                while (j > b && is_cont((unsigned char)s.ptr[j]) && e - j < 4) j--;
                if (next_char(s.ptr, e, j) != e) j = e - 1; /* malformed tail */
                if (!char_in_set(s.ptr + j, e - j, set)) break;
                e = j;
            }
        }
        o[i] = wd_str_make(s.ptr + b, e - b);
    }
    return 0;
}

static int k_btrim(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return k_trim_mode(k, a, na, n, out, 3);
}
static int k_ltrim(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return k_trim_mode(k, a, na, n, out, 1);
}
static int k_rtrim(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return k_trim_mode(k, a, na, n, out, 2);
}

/* ---- search and replace ------------------------------------------------------ */

static const char *find_bytes(const char *h, size_t hn, const char *nd, size_t nn)
{
    if (nn == 0) return h;
    if (hn < nn) return NULL;
    if (nn == 1) {
        /* one-byte needle (url parts, csv fields): delimiters are usually
         * close, where a plain loop beats the call into libc */
        size_t near = hn < 32 ? hn : 32;
        for (size_t i = 0; i < near; i++)
            if (h[i] == nd[0]) return h + i;
        return hn > near ? memchr(h + near, nd[0], hn - near) : NULL;
    }
    return memmem(h, hn, nd, nn);
}

/* replace(s, from, to): every occurrence; an empty `from` leaves s as is. */
static int k_replace(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    wd_str *o = WD_COL_VALS(out, wd_str);
    for (uint32_t i = 0; i < n; i++) {
        if (!wd_col_valid(out, i)) continue;
        wd_str s = arg_str(&a[0], i), f = arg_str(&a[1], i), t = arg_str(&a[2], i);
        if (f.len == 0 || s.len < f.len) {
            o[i] = s;
            continue;
        }
        size_t cnt = 0;
        for (const char *p = s.ptr, *end = s.ptr + s.len;
             (p = find_bytes(p, (size_t)(end - p), f.ptr, f.len)); p += f.len)
            cnt++;
        if (cnt == 0) {
            o[i] = s;
            continue;
        }
        size_t total = s.len + cnt * t.len - cnt * f.len;
        if (total > TEXT_MAX_BYTES) return too_long(k, "replace");
        char *d = out_alloc(k, total), *w = d;
        const char *p = s.ptr, *end = s.ptr + s.len, *q;
        while ((q = find_bytes(p, (size_t)(end - p), f.ptr, f.len))) {
            memcpy(w, p, (size_t)(q - p)), w += q - p;
            if (t.len) memcpy(w, t.ptr, t.len), w += t.len;
            p = q + f.len;
        }
        memcpy(w, p, (size_t)(end - p)), w += end - p;
        o[i] = wd_str_make(d, (uint32_t)(w - d));
    }
    return 0;
}

/* strpos(s, sub): 1-based character position of the first occurrence, 0 if none. */
static int k_strpos(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    int64_t *o = WD_COL_VALS(out, int64_t);
    for (uint32_t i = 0; i < n; i++) {
        if (!wd_col_valid(out, i)) continue;
        wd_str s = arg_str(&a[0], i), f = arg_str(&a[1], i);
        const char *q = find_bytes(s.ptr, s.len, f.ptr, f.len);
        /* A match that starts inside a character is no match of characters;
         * continue searching after it. */
        while (q && q < s.ptr + s.len && is_cont((unsigned char)*q) && f.len) {
            size_t off = (size_t)(q - s.ptr) + 1;
            q = find_bytes(s.ptr + off, s.len - off, f.ptr, f.len);
        }
        o[i] = q ? char_count(s.ptr, (uint32_t)(q - s.ptr)) + 1 : 0;
    }
    return 0;
}

static int k_starts_with(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    uint8_t *o = WD_COL_VALS(out, uint8_t);
    for (uint32_t i = 0; i < n; i++) {
        if (!wd_col_valid(out, i)) continue;
        wd_str s = arg_str(&a[0], i), p = arg_str(&a[1], i);
        o[i] = p.len <= s.len && (p.len == 0 || memcmp(s.ptr, p.ptr, p.len) == 0);
    }
    return 0;
}

static int k_ends_with(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    uint8_t *o = WD_COL_VALS(out, uint8_t);
    for (uint32_t i = 0; i < n; i++) {
        if (!wd_col_valid(out, i)) continue;
        wd_str s = arg_str(&a[0], i), p = arg_str(&a[1], i);
        o[i] = p.len <= s.len && (p.len == 0 || memcmp(s.ptr + s.len - p.len, p.ptr, p.len) == 0);
    }
    return 0;
}

/* split_part(s, delim, n): field n (1-based; negative counts from the end);
 * out of range → ''; n = 0 is an error; an empty delimiter makes s the only field. */
static int k_split_part(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    wd_str *o = WD_COL_VALS(out, wd_str);
    for (uint32_t i = 0; i < n; i++) {
        if (!wd_col_valid(out, i)) continue;
        wd_str s = arg_str(&a[0], i), d = arg_str(&a[1], i);
        int64_t f = arg_i64(&a[2], i);
        if (f == 0)
            return wd_err_at(k->err, WD_EINVALID, k->pos,
                             "split_part: field position must not be zero");
        wd_str r = wd_str_make(s.ptr, 0);
        if (d.len == 0) {
            if (f == 1 || f == -1) r = s;
            o[i] = r;
            continue;
        }
        const char *end = s.ptr + s.len;
        if (f < 0) { /* count fields, then pick from the front */
            int64_t nf = 1;
            for (const char *p = s.ptr, *q; (q = find_bytes(p, (size_t)(end - p), d.ptr, d.len));
                 p = q + d.len)
                nf++;
            f = nf + f + 1;
            if (f <= 0) {
                o[i] = r;
                continue;
            }
        }
        const char *p = s.ptr;
        int64_t cur = 1;
        for (;;) {
            const char *q = find_bytes(p, (size_t)(end - p), d.ptr, d.len);
            if (cur == f) {
                r = wd_str_make(p, (uint32_t)((q ? q : end) - p));
                break;
            }
            if (!q) break;
            p = q + d.len;
            cur++;
        }
        o[i] = r;
    }
    return 0;
}

/* ---- padding and repetition -------------------------------------------------- */

static int pad_rows(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out,
                    bool left)
{
    wd_str *o = WD_COL_VALS(out, wd_str);
    wd_str space = wd_str_make(" ", 1);
    for (uint32_t i = 0; i < n; i++) {
        if (!wd_col_valid(out, i)) continue;
        wd_str s = arg_str(&a[0], i);
        int64_t len = arg_i64(&a[1], i);
        wd_str fill = na > 2 ? arg_str(&a[2], i) : space;
        if (len <= 0) {
            o[i] = wd_str_make(s.ptr, 0);
            continue;
        }
        int64_t sl = char_count(s.ptr, s.len);
        if (sl >= len || fill.len == 0) { /* truncate to len characters */
            o[i] = char_slice(s, 0, len);
            continue;
        }
        int64_t need = len - sl; /* characters of fill */
        int64_t fl = char_count(fill.ptr, fill.len);
        /* bytes: whole fills plus a partial one */
        int64_t whole = need / fl, part = need % fl;
        uint32_t part_bytes = char_offset(fill.ptr, fill.len, part);
        if ((double)whole * fill.len + part_bytes + s.len > TEXT_MAX_BYTES)
            return too_long(k, left ? "lpad" : "rpad");
        size_t total = (size_t)whole * fill.len + part_bytes + s.len;
        char *d = out_alloc(k, total), *w = d;
        if (!left) memcpy(w, s.ptr, s.len), w += s.len;
        for (int64_t r = 0; r < whole; r++) memcpy(w, fill.ptr, fill.len), w += fill.len;
        if (part_bytes) memcpy(w, fill.ptr, part_bytes), w += part_bytes;
        if (left && s.len) memcpy(w, s.ptr, s.len), w += s.len;
        o[i] = wd_str_make(d, (uint32_t)total);
    }
    return 0;
}

static int k_lpad(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return pad_rows(k, a, na, n, out, true);
}
static int k_rpad(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return pad_rows(k, a, na, n, out, false);
}

static int k_repeat(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    wd_str *o = WD_COL_VALS(out, wd_str);
    for (uint32_t i = 0; i < n; i++) {
        if (!wd_col_valid(out, i)) continue;
        wd_str s = arg_str(&a[0], i);
        int64_t c = arg_i64(&a[1], i);
        if (c <= 0 || s.len == 0) {
            o[i] = wd_str_make(s.ptr, 0);
            continue;
        }
        if ((double)c * s.len > TEXT_MAX_BYTES) return too_long(k, "repeat");
        size_t total = (size_t)c * s.len;
        char *d = out_alloc(k, total);
        for (int64_t r = 0; r < c; r++) memcpy(d + (size_t)r * s.len, s.ptr, s.len);
        o[i] = wd_str_make(d, (uint32_t)total);
    }
    return 0;
}

/* reverse(s): characters in reverse order (multi-byte characters kept whole). */
static int k_reverse(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    wd_str *o = WD_COL_VALS(out, wd_str);
    for (uint32_t i = 0; i < n; i++) {
        if (!wd_col_valid(out, i)) continue;
        wd_str s = arg_str(&a[0], i);
        char *d = out_alloc(k, s.len);
        uint32_t w = s.len;
        for (uint32_t j = 0; j < s.len;) {
            uint32_t e = next_char(s.ptr, s.len, j);
            w -= e - j;
            memcpy(d + w, s.ptr + j, e - j);
            j = e;
        }
        o[i] = wd_str_make(d, s.len);
    }
    return 0;
}

/* ---- characters and code points ------------------------------------------------ */

/* Decode the character at s[0..n): its code point, or the first byte's value
 * when the bytes are not well-formed UTF-8. */
static int64_t decode_cp(const unsigned char *s, uint32_t n)
{
    if (n == 0) return 0;
    unsigned c = s[0];
    if (c < 0x80) return c;
    int len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (len == 1 || (uint32_t)len > n || c > 0xF4) return c;
    uint32_t cp = c & (0x7F >> len);
    for (int j = 1; j < len; j++) {
        if (!is_cont(s[j])) return c;
        cp = (cp << 6) | (s[j] & 0x3F);
    }
    return cp;
}

static int k_ascii(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    int64_t *o = WD_COL_VALS(out, int64_t);
    for (uint32_t i = 0; i < n; i++) {
        if (!wd_col_valid(out, i)) continue;
        wd_str s = arg_str(&a[0], i);
        o[i] = decode_cp((const unsigned char *)s.ptr, s.len);
    }
    return 0;
}

/* chr(n): the character with code point n; 0, surrogates and values beyond
 * U+10FFFF are errors. */
static int k_chr(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    wd_str *o = WD_COL_VALS(out, wd_str);
    for (uint32_t i = 0; i < n; i++) {
        if (!wd_col_valid(out, i)) continue;
        int64_t cp = arg_i64(&a[0], i);
        if (cp == 0)
            return wd_err_at(k->err, WD_EINVALID, k->pos, "chr: null character not permitted");
        if (cp < 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return wd_err_at(k->err, WD_EINVALID, k->pos,
                             "chr: requested character %lld is not a valid code point",
                             (long long)cp);
        char *d = out_alloc(k, 4);
        o[i] = wd_str_make(d, wd_utf8_put((uint32_t)cp, d));
    }
    return 0;
}

/* translate(s, from, to): each character of s found at position p of `from`
 * becomes character p of `to`, or is removed when `to` is shorter. */
static int k_translate(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    wd_str *o = WD_COL_VALS(out, wd_str);
    for (uint32_t i = 0; i < n; i++) {
        if (!wd_col_valid(out, i)) continue;
        wd_str s = arg_str(&a[0], i), f = arg_str(&a[1], i), t = arg_str(&a[2], i);
        /* Each output character is at most 4 bytes … or one input character
         * (a malformed one can be up to 4 bytes too). */
        size_t cap = (size_t)s.len * 4;
        if (cap > TEXT_MAX_BYTES) return too_long(k, "translate");
        char *d = out_alloc(k, cap), *w = d;
        for (uint32_t j = 0; j < s.len;) {
            uint32_t e = next_char(s.ptr, s.len, j);
            int64_t pos = -1, p = 0;
            for (uint32_t x = 0; x < f.len; p++) {
                uint32_t y = next_char(f.ptr, f.len, x);
                if (y - x == e - j && memcmp(f.ptr + x, s.ptr + j, e - j) == 0) {
                    pos = p;
                    break;
                }
                x = y;
            }
            if (pos < 0) {
                memcpy(w, s.ptr + j, e - j), w += e - j;
            } else {
                uint32_t x = char_offset(t.ptr, t.len, pos);
                if (x < t.len) {
                    uint32_t y = next_char(t.ptr, t.len, x);
                    memcpy(w, t.ptr + x, y - x), w += y - x;
                }
            }
            j = e;
        }
        o[i] = wd_str_make(d, (uint32_t)(w - d));
    }
    return 0;
}

/* to_hex(n): lower-case hexadecimal; negative numbers as their 64-bit two's
 * complement (PostgreSQL's behaviour for bigint). */
static int k_to_hex(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    wd_str *o = WD_COL_VALS(out, wd_str);
    for (uint32_t i = 0; i < n; i++) {
        if (!wd_col_valid(out, i)) continue;
        char tmp[24];
        int len = snprintf(tmp, sizeof tmp, "%llx", (unsigned long long)arg_i64(&a[0], i));
        o[i] = wd_str_copy(k->arena, tmp, (size_t)len);
    }
    return 0;
}

/* ---- table ----------------------------------------------------------------- */

#define T WD_T_TEXT
#define I WD_T_INT64
#define S WD_FN_STRICT
#define F1(nm, p0, r, fn, doc) {nm, 1, 1, {p0}, r, NULL, fn, NULL, S, doc}
#define F2(nm, p0, p1, r, fn, doc) {nm, 2, 2, {p0, p1}, r, NULL, fn, NULL, S, doc}
#define F3(nm, p0, p1, p2, r, fn, doc) {nm, 3, 3, {p0, p1, p2}, r, NULL, fn, NULL, S, doc}

const wd_func wd_funcs_text[] = {
    F1("lower", T, T, k_lower, "lower(text): ASCII letters to lower case; other bytes unchanged"),
    F1("upper", T, T, k_upper, "upper(text): ASCII letters to upper case; other bytes unchanged"),
    F1("initcap", T, T, k_initcap, "initcap(text): first letter of each word upper, the rest lower (ASCII)"),
    F1("length", T, I, k_length, "length(text): number of characters"),
    F1("char_length", T, I, k_length, "char_length(text): number of characters"),
    F1("character_length", T, I, k_length, "character_length(text): number of characters"),
    F1("octet_length", T, I, k_octet_length, "octet_length(text): number of bytes"),
    F1("octet_length", WD_T_BYTES, I, k_octet_length, "octet_length(bytea): number of bytes"),
    F1("length", WD_T_BYTES, I, k_octet_length, "length(bytea): number of bytes"),
    F1("bit_length", T, I, k_bit_length, "bit_length(text): number of bits"),
    F2("substr", T, I, T, k_substr, "substr(text, start): characters from start (1-based)"),
    F3("substr", T, I, I, T, k_substr, "substr(text, start, count): count characters from start (1-based)"),
    F2("substring", T, I, T, k_substr, "substring(text, start): characters from start (1-based)"),
    F3("substring", T, I, I, T, k_substr, "substring(text, start, count): count characters from start"),
    F2("left", T, I, T, k_left, "left(text, n): first n characters (n < 0: all but the last |n|)"),
    F2("right", T, I, T, k_right, "right(text, n): last n characters (n < 0: all but the first |n|)"),
    {"concat", -1, 1, {WD_P_ANY}, T, NULL, k_concat, NULL, 0,
     "concat(any, …): the text of every non-null argument, concatenated"},
    {"concat_ws", -1, 1, {WD_P_ANY}, T, resolve_concat_ws, k_concat_ws, NULL, 0,
     "concat_ws(sep, any, …): non-null arguments' text joined by sep (null sep → null)"},
    F1("trim", T, T, k_btrim, "trim(text): remove leading and trailing spaces"),
    F2("trim", T, T, T, k_btrim, "trim(text, chars): remove leading and trailing characters in chars"),
    F1("btrim", T, T, k_btrim, "btrim(text): remove leading and trailing spaces"),
    F2("btrim", T, T, T, k_btrim, "btrim(text, chars): remove leading and trailing characters in chars"),
    F1("ltrim", T, T, k_ltrim, "ltrim(text): remove leading spaces"),
    F2("ltrim", T, T, T, k_ltrim, "ltrim(text, chars): remove leading characters in chars"),
    F1("rtrim", T, T, k_rtrim, "rtrim(text): remove trailing spaces"),
    F2("rtrim", T, T, T, k_rtrim, "rtrim(text, chars): remove trailing characters in chars"),
    F3("replace", T, T, T, T, k_replace, "replace(text, from, to): replace every occurrence of from"),
    F2("strpos", T, T, I, k_strpos, "strpos(text, sub): 1-based character position of sub, 0 if absent"),
    F2("starts_with", T, T, WD_T_BOOL, k_starts_with, "starts_with(text, prefix)"),
    F2("ends_with", T, T, WD_T_BOOL, k_ends_with, "ends_with(text, suffix)"),
    F3("split_part", T, T, I, T, k_split_part,
       "split_part(text, delim, n): field n (1-based; negative from the end; 0 is an error)"),
    F2("lpad", T, I, T, k_lpad, "lpad(text, len): pad on the left with spaces (or truncate) to len characters"),
    F3("lpad", T, I, T, T, k_lpad, "lpad(text, len, fill): pad on the left with fill (or truncate)"),
    F2("rpad", T, I, T, k_rpad, "rpad(text, len): pad on the right with spaces (or truncate)"),
    F3("rpad", T, I, T, T, k_rpad, "rpad(text, len, fill): pad on the right with fill (or truncate)"),
    F2("repeat", T, I, T, k_repeat, "repeat(text, n): text repeated n times"),
    F1("reverse", T, T, k_reverse, "reverse(text): characters in reverse order"),
    F1("ascii", T, I, k_ascii, "ascii(text): code point of the first character (0 for '')"),
    F1("chr", I, T, k_chr, "chr(n): the character with code point n"),
    F3("translate", T, T, T, T, k_translate,
       "translate(text, from, to): map characters of from to those of to (delete when to is shorter)"),
    F1("to_hex", I, T, k_to_hex, "to_hex(bigint): hexadecimal (two's complement for negatives)"),
};

const size_t wd_funcs_text_n = sizeof wd_funcs_text / sizeof wd_funcs_text[0];
