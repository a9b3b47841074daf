/*
 * func_regex.c — regular expression functions on PCRE2 (JIT when the
 * platform has it).
 *
 * Patterns are compiled in UTF mode with Unicode properties (\w, \d match
 * non-ASCII letters and digits, like Rust's regex in DataFusion) and with
 * PCRE2_MATCH_INVALID_UTF, so subjects holding invalid UTF-8 are matched
 * safely (invalid bytes never match) instead of failing.
 *
 * Compiled patterns are cached per call site in *k->state: a small cache
 * keyed by pattern text and options, so a constant pattern compiles once
 * and a pattern that varies by row compiles once per distinct value while
 * it stays among the last few.  PCRE2 allocates through wd_malloc.
 *
 * Flags (the optional last text argument): i case-insensitive, c case-
 * sensitive, m multi-line (^ $ at line breaks), s dot matches newline,
 * x extended (whitespace and # comments ignored), g global (regexp_replace
 * only: replace every match; without it only the first, as in PostgreSQL
 * and DataFusion).  Any other flag is an error.
 *
 * Exports: wd_funcs_regex, wd_funcs_regex_n.
 */
#include <pcre2.h>
#include <string.h>

#include "common/buf.h"
#include "expr/expr_int.h"
#include "expr/func.h"

#define RX_CACHE 8 /* compiled patterns kept per call site */

typedef struct rx_entry {
    char *pat; /* NULL: empty slot */
    uint32_t plen;
    uint32_t opts;
    pcre2_code *code;
    pcre2_match_data *md;
    uint32_t ngroups; /* capture groups, not counting group 0 */
} rx_entry;

typedef struct rx_cache {
    pcre2_general_context *gctx;
    pcre2_compile_context *cctx;
    pcre2_match_context *mctx;
    rx_entry e[RX_CACHE];
    uint32_t next; /* slot to evict next (round robin) */
} rx_cache;

static void *rx_malloc(size_t n, void *data) { return wd_malloc(n); }
static void rx_free(void *p, void *data) { wd_free(p); }

static void rx_cache_free(void *state)
{
    rx_cache *c = state;
    if (!c) return;
    for (int i = 0; i < RX_CACHE; i++) {
        if (!c->e[i].pat) continue;
        pcre2_match_data_free(c->e[i].md);
        pcre2_code_free(c->e[i].code);
        wd_free(c->e[i].pat);
    }
    pcre2_match_context_free(c->mctx);
    pcre2_compile_context_free(c->cctx);
    pcre2_general_context_free(c->gctx);
    wd_free(c);
}

static rx_cache *rx_cache_new(void)
{
    rx_cache *c = wd_calloc(1, sizeof *c);
    c->gctx = pcre2_general_context_create(rx_malloc, rx_free, NULL);
    c->cctx = pcre2_compile_context_create(c->gctx);
    c->mctx = pcre2_match_context_create(c->gctx);
    return c;
}

/* The cache of this call site (created on first use).  When the caller gave
 * no state slot, *tmp receives a cache the caller must free. */
static rx_cache *rx_get_cache(wd_kctx *k, rx_cache **tmp)
{
    *tmp = NULL;
    if (k->state) {
        if (!*k->state) *k->state = rx_cache_new();
        return *k->state;
    }
    return *tmp = rx_cache_new();
}

/* Parse flags into compile options; *global receives 'g' when allowed. */
static int rx_flags(wd_kctx *k, const char *fn, wd_str f, uint32_t *opts, bool *global)
{
    for (uint32_t i = 0; i < f.len; i++) {
        switch (f.ptr[i]) {
        case 'i': *opts |= PCRE2_CASELESS; break;
        case 'c': *opts &= ~(uint32_t)PCRE2_CASELESS; break;
        case 'm': *opts |= PCRE2_MULTILINE; break;
        case 's': *opts |= PCRE2_DOTALL; break;
        case 'x': *opts |= PCRE2_EXTENDED; break;
        case 'g':
            if (global) {
                *global = true;
                break;
            }
            /* fallthrough */
        default: {
            unsigned char ch = (unsigned char)f.ptr[i];
            int rc = wd_err_at(k->err, WD_EINVALID, k->pos,
                               ch >= 0x20 && ch < 0x7f
                                   ? "%s: invalid regular expression flag '%c'"
                                   : "%s: invalid regular expression flag (byte 0x%02x)",
                               fn, ch);
            wd_err_hint(k->err, "accepted flags: i, c, m, s, x%s", global ? ", g" : "");
            return rc;
        }
        }
    }
    return 0;
}

/* The compiled form of pattern p with options opts, compiling it on a miss. */
static int rx_lookup(wd_kctx *k, rx_cache *c, const char *fn, wd_str p, uint32_t opts,
                     rx_entry **out)
{
    for (int i = 0; i < RX_CACHE; i++) {
        rx_entry *e = &c->e[i];
        if (e->pat && e->plen == p.len && e->opts == opts &&
            (p.len == 0 || memcmp(e->pat, p.ptr, p.len) == 0)) {
            *out = e;
            return 0;
        }
    }
    int ecode;
    PCRE2_SIZE eoff;
    uint32_t copts = opts | PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)(p.ptr ? p.ptr : ""), p.len, copts, &ecode,
                                     &eoff, c->cctx);
    if (!code) {
        char msg[256];
        pcre2_get_error_message(ecode, (PCRE2_UCHAR *)msg, sizeof msg);
        return wd_err_at(k->err, WD_EINVALID, k->pos,
                         "%s: invalid regular expression '%.*s': %s at offset %zu", fn,
                         (int)(p.len > 200 ? 200 : p.len), p.ptr ? p.ptr : "", msg,
                         (size_t)eoff);
    }
    (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* interpreter if no JIT */
    rx_entry *e = &c->e[c->next];
    c->next = (c->next + 1) % RX_CACHE;
    if (e->pat) {
        pcre2_match_data_free(e->md);
        pcre2_code_free(e->code);
        wd_free(e->pat);
    }
    e->pat = wd_malloc(p.len + 1);
    if (p.len) memcpy(e->pat, p.ptr, p.len);
    e->plen = p.len;
    e->opts = opts;
    e->code = code;
    e->md = pcre2_match_data_create_from_pattern(code, c->gctx);
    uint32_t cap = 0;
    pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &cap);
    e->ngroups = cap;
    *out = e;
    return 0;
}

/* Match e against s from byte start.  Returns 1 (match, ovector in e->md),
 * 0 (no match) or a negative WD_E* code. */
static int rx_match(wd_kctx *k, rx_cache *c, rx_entry *e, const char *fn, wd_str s,
                    size_t start, uint32_t mopts)
{
    int rc = pcre2_match(e->code, (PCRE2_SPTR)(s.ptr ? s.ptr : ""), s.len, start, mopts, e->md,
                         c->mctx);
    if (rc >= 0) return 1;
    if (rc == PCRE2_ERROR_NOMATCH) return 0;
    char msg[256];
    pcre2_get_error_message(rc, (PCRE2_UCHAR *)msg, sizeof msg);
    return wd_err_at(k->err, WD_EINVALID, k->pos, "%s: matching '%.*s' failed: %s", fn,
                     (int)(e->plen > 200 ? 200 : e->plen), e->pat, msg);
}

/* Resolve the pattern of row i (with the flags argument fl, or NULL). */
static int rx_row(wd_kctx *k, rx_cache *c, const char *fn, const wd_col *pat,
                  const wd_col *fl, uint32_t base_opts, uint32_t i, bool *global,
                  rx_entry **e)
{
    uint32_t opts = base_opts;
    if (fl) {
        int rc = rx_flags(k, fn, WD_COL_GET(fl, wd_str, i), &opts, global);
        if (rc) return rc;
    }
    return rx_lookup(k, c, fn, WD_COL_GET(pat, wd_str, i), opts, e);
}

/* ---- regexp_like and the ~ operators ---------------------------------------- */

static int like_rows(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out,
                     const char *fn, uint32_t base_opts, bool negate)
{
    uint8_t *o = WD_COL_VALS(out, uint8_t);
    rx_cache *tmp, *c = rx_get_cache(k, &tmp);
    int rc = 0;
    for (uint32_t i = 0; i < n && rc >= 0; i++) {
        if (!wd_col_valid(out, i)) continue;
        rx_entry *e;
        rc = rx_row(k, c, fn, &a[1], na > 2 ? &a[2] : NULL, base_opts, i, NULL, &e);
        if (rc) break;
        rc = rx_match(k, c, e, fn, WD_COL_GET(&a[0], wd_str, i), 0, 0);
        if (rc >= 0) o[i] = (uint8_t)((rc == 1) != negate);
    }
    rx_cache_free(tmp);
    return rc < 0 ? rc : 0;
}

static int k_regexp_like(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return like_rows(k, a, na, n, out, "regexp_like", 0, false);
}
static int k_tilde(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return like_rows(k, a, na, n, out, "~", 0, false);
}
static int k_tilde_ci(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return like_rows(k, a, na, n, out, "~*", PCRE2_CASELESS, false);
}
static int k_ntilde(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return like_rows(k, a, na, n, out, "!~", 0, true);
}
static int k_ntilde_ci(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    return like_rows(k, a, na, n, out, "!~*", PCRE2_CASELESS, true);
}

/* ---- regexp_replace ------------------------------------------------------------ */

static void put_group(wd_buf *b, wd_str s, const PCRE2_SIZE *ov, uint32_t ngroups, long g)
{
    if (g < 0 || (unsigned long)g > ngroups) return; /* no such group: empty */
    PCRE2_SIZE gs = ov[2 * g], ge = ov[2 * g + 1];
    if (gs == PCRE2_UNSET || ge < gs || ge > s.len) return;
    wd_buf_put(b, s.ptr + gs, ge - gs);
}

/* Append replacement r for the current match: \N, $N and ${N} insert group N,
 * ${name} a named group, \\ a backslash, $$ a dollar; the rest is literal. */
static void put_replacement(wd_buf *b, wd_str r, wd_str s, const rx_entry *e)
{
    const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(e->md);
    for (uint32_t i = 0; i < r.len;) {
        char ch = r.ptr[i];
        if ((ch == '\\' || ch == '$') && i + 1 < r.len) {
            char nx = r.ptr[i + 1];
            if (nx >= '0' && nx <= '9') {
                long g = 0;
                uint32_t j = i + 1;
                while (j < r.len && r.ptr[j] >= '0' && r.ptr[j] <= '9' && g < 100000)
                    g = g * 10 + (r.ptr[j++] - '0');
                put_group(b, s, ov, e->ngroups, g);
                i = j;
                continue;
            }
            if (nx == ch) { /* \\ or $$ */
                wd_buf_putc(b, ch);
                i += 2;
                continue;
            }
            if (ch == '$' && nx == '{') {
                const char *close = memchr(r.ptr + i + 2, '}', r.len - i - 2);
                if (close) {
                    const char *nm = r.ptr + i + 2;
                    size_t nl = (size_t)(close - nm);
                    long g = -1;
                    if (nl > 0 && nl < 64) {
                        char name[64];
                        memcpy(name, nm, nl);
                        name[nl] = 0;
                        bool digits = true;
                        for (size_t q = 0; q < nl; q++)
                            if (name[q] < '0' || name[q] > '9') digits = false;
                        if (digits && nl < 8) g = strtol(name, NULL, 10);
                        else if (!digits) {
                            int num = pcre2_substring_number_from_name(e->code,
                                                                       (PCRE2_SPTR)name);
                            if (num >= 0) g = num;
                        }
                    }
                    put_group(b, s, ov, e->ngroups, g);
                    i = (uint32_t)(close - r.ptr) + 1;
                    continue;
                }
            }
        }
        wd_buf_putc(b, ch);
        i++;
    }
}

static uint32_t utf8_char_len(wd_str s, size_t at)
{
    size_t j = at + 1;
    while (j < s.len && j < at + 4 && (s.ptr[j] & 0xC0) == 0x80) j++;
    return (uint32_t)(j - at);
}

static int k_regexp_replace(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    wd_str *o = WD_COL_VALS(out, wd_str);
    rx_cache *tmp, *c = rx_get_cache(k, &tmp);
    wd_buf b = WD_BUF_INIT;
    int rc = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!wd_col_valid(out, i)) continue;
        rx_entry *e;
        bool global = false;
        rc = rx_row(k, c, "regexp_replace", &a[1], na > 3 ? &a[3] : NULL, 0, i, &global, &e);
        if (rc) break;
        wd_str s = WD_COL_GET(&a[0], wd_str, i), r = WD_COL_GET(&a[2], wd_str, i);
        wd_buf_reset(&b);
        size_t pos = 0, copied = 0;
        uint32_t mopts = 0;
        bool any = false;
        while (pos <= s.len) {
            int m = rx_match(k, c, e, "regexp_replace", s, pos, mopts);
            if (m < 0) {
                rc = m;
                break;
            }
            if (m == 0) {
                if (mopts == 0 || pos >= s.len) break;
                /* no non-empty match here: step over one character */
                pos += utf8_char_len(s, pos);
                mopts = 0;
                continue;
            }
            const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(e->md);
            size_t ms = ov[0], me = ov[1];
            if (ms < copied || me < ms || me > s.len) break; /* \K oddities: stop */
            any = true;
            wd_buf_put(&b, s.ptr + copied, ms - copied);
            put_replacement(&b, r, s, e);
            copied = me;
            if (!global) break;
            pos = me;
            mopts = ms == me ? PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED : 0;
            if (b.len > (256u << 20)) {
                rc = wd_err_at(k->err, WD_EINVALID, k->pos,
                               "regexp_replace: result would exceed 256 MiB");
                break;
            }
        }
        if (rc) break;
        if (!any) {
            o[i] = s;
            continue;
        }
        wd_buf_put(&b, s.ptr + copied, s.len - copied);
        o[i] = wd_str_copy(k->arena, b.data, b.len);
    }
    wd_buf_free(&b);
    rx_cache_free(tmp);
    return rc;
}

/* ---- regexp_extract -------------------------------------------------------------- */

/* regexp_extract(s, pattern [, group = 1]): group `group` of the first match;
 * '' when that group did not take part, NULL when nothing matches; a group
 * number beyond the pattern's groups is an error. */
static int k_regexp_extract(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    wd_str *o = WD_COL_VALS(out, wd_str);
    rx_cache *tmp, *c = rx_get_cache(k, &tmp);
    int rc = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!wd_col_valid(out, i)) continue;
        rx_entry *e;
        rc = rx_row(k, c, "regexp_extract", &a[1], NULL, 0, i, NULL, &e);
        if (rc) break;
        int64_t g = na > 2 ? WD_COL_GET(&a[2], int64_t, i) : 1;
        if (g < 0 || g > (int64_t)e->ngroups) {
            rc = wd_err_at(k->err, WD_EINVALID, k->pos,
                           "regexp_extract: group %lld does not exist; the pattern has %u",
                           (long long)g, e->ngroups);
            break;
        }
        wd_str s = WD_COL_GET(&a[0], wd_str, i);
        int m = rx_match(k, c, e, "regexp_extract", s, 0, 0);
        if (m < 0) {
            rc = m;
            break;
        }
        if (m == 0) {
            wd_col_set_null(out, i, k->arena);
            continue;
        }
        const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(e->md);
        PCRE2_SIZE gs = ov[2 * g], ge = ov[2 * g + 1];
        if (gs == PCRE2_UNSET || ge < gs || ge > s.len) o[i] = wd_str_make(s.ptr, 0);
        else o[i] = wd_str_make(s.ptr + gs, (uint32_t)(ge - gs));
    }
    rx_cache_free(tmp);
    return rc;
}

/* ---- regexp_match ---------------------------------------------------------------- */

static const wd_type *resolve_text_list(wd_arena *ar, const wd_type *const *args,
                                        uint32_t nargs, wd_error *err)
{
    return wd_type_list(ar, WD_TYPE_TEXT);
}

/* regexp_match(s, pattern [, flags]): the capture groups of the first match
 * as TEXT[] (the whole match when the pattern has no groups; NULL elements
 * for groups that did not take part); NULL when nothing matches. */
static int k_regexp_match(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)
{
    uint32_t *off = WD_COL_VALS(out, uint32_t);
    wd_col *ch = &out->child[0];
    rx_cache *tmp, *c = rx_get_cache(k, &tmp);
    int rc = 0;
    off[0] = ch->len;
    for (uint32_t i = 0; i < n; i++) {
        off[i + 1] = ch->len;
        if (!wd_col_valid(out, i)) continue;
        rx_entry *e;
        rc = rx_row(k, c, "regexp_match", &a[1], na > 2 ? &a[2] : NULL, 0, i, NULL, &e);
        if (rc) break;
        wd_str s = WD_COL_GET(&a[0], wd_str, i);
        int m = rx_match(k, c, e, "regexp_match", s, 0, 0);
        if (m < 0) {
            rc = m;
            break;
        }
        if (m == 0) {
            wd_col_set_null(out, i, k->arena);
            continue;
        }
        const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(e->md);
        uint32_t first = e->ngroups ? 1 : 0, last = e->ngroups;
        wd_col_reserve(ch, ch->len + (last - first + 1), k->arena);
        for (uint32_t g = first; g <= last; g++) {
            PCRE2_SIZE gs = ov[2 * g], ge = ov[2 * g + 1];
            uint32_t at = ch->len++;
            if (gs == PCRE2_UNSET || ge < gs || ge > s.len) {
                WD_COL_VALS(ch, wd_str)[at] = wd_str_make(s.ptr, 0);
                wd_col_set_null(ch, at, k->arena);
            } else {
                WD_COL_VALS(ch, wd_str)[at] = wd_str_make(s.ptr + gs, (uint32_t)(ge - gs));
                if (ch->valid) ch->valid[at] = 1;
            }
        }
        off[i + 1] = ch->len;
    }
    rx_cache_free(tmp);
    return rc;
}

/* ---- table ------------------------------------------------------------------------ */

#define T WD_T_TEXT
#define S WD_FN_STRICT
#define R(nm, na, p0, p1, p2, p3, r, res, fn, doc) \
    {nm, na, na, {p0, p1, p2, p3}, r, res, fn, rx_cache_free, S, doc}

const wd_func wd_funcs_regex[] = {
    R("regexp_like", 2, T, T, 0, 0, WD_T_BOOL, NULL, k_regexp_like,
      "regexp_like(text, pattern): whether pattern matches somewhere in text"),
    R("regexp_like", 3, T, T, T, 0, WD_T_BOOL, NULL, k_regexp_like,
      "regexp_like(text, pattern, flags): flags i, c, m, s, x"),
    R("~", 2, T, T, 0, 0, WD_T_BOOL, NULL, k_tilde, "text ~ pattern: regular expression match"),
    R("~*", 2, T, T, 0, 0, WD_T_BOOL, NULL, k_tilde_ci,
      "text ~* pattern: case-insensitive regular expression match"),
    R("!~", 2, T, T, 0, 0, WD_T_BOOL, NULL, k_ntilde, "text !~ pattern: no match"),
    R("!~*", 2, T, T, 0, 0, WD_T_BOOL, NULL, k_ntilde_ci,
      "text !~* pattern: no case-insensitive match"),
    R("regexp_replace", 3, T, T, T, 0, T, NULL, k_regexp_replace,
      "regexp_replace(text, pattern, replacement): replace the first match (\\1, $1, ${1}, ${name})"),
    R("regexp_replace", 4, T, T, T, T, T, NULL, k_regexp_replace,
      "regexp_replace(text, pattern, replacement, flags): g replaces every match; i, c, m, s, x"),
    R("regexp_extract", 2, T, T, 0, 0, T, NULL, k_regexp_extract,
      "regexp_extract(text, pattern): group 1 of the first match ('' if unset, NULL if no match)"),
    R("regexp_extract", 3, T, T, WD_T_INT64, 0, T, NULL, k_regexp_extract,
      "regexp_extract(text, pattern, group): that group of the first match (0: whole match)"),
    R("regexp_match", 2, T, T, 0, 0, WD_T_LIST, resolve_text_list, k_regexp_match,
      "regexp_match(text, pattern): TEXT[] of the first match's groups, NULL if no match"),
    R("regexp_match", 3, T, T, T, 0, WD_T_LIST, resolve_text_list, k_regexp_match,
      "regexp_match(text, pattern, flags): TEXT[] of the first match's groups"),
};

const size_t wd_funcs_regex_n = sizeof wd_funcs_regex / sizeof wd_funcs_regex[0];
