/*
 * func_json.c — JSON path functions over JSON text (the JSON type, or TEXT
 * holding JSON).
 *
 * A path is a list of steps: a text step is an object key, an integer step
 * an array index (0-based; negative counts from the end, as PostgreSQL's
 * -> does).  A text step on an array, or an integer step on an object, finds
 * nothing.  Duplicate keys: the first one wins.
 *
 * Documents are never parsed into trees: a small scanner walks the text,
 * skipping values it does not need, and stops at the value the path names.
 * Rows do not allocate, except that a string result containing escapes is
 * decoded into k->arena (\uXXXX with surrogate pairs; a lone surrogate
 * becomes U+FFFD).  JSON results are views of the input text.
 *
 * Malformed JSON gives NULL, never an error: the scanner checks the grammar
 * of everything it walks over (strings, escapes, numbers, literals, nesting
 * up to 512 levels) and of the value it returns, but — like DataFusion's
 * json functions — not of text after the value it found.
 *
 * Exports: wd_funcs_json, wd_funcs_json_n.
 */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "expr/func.h"

#define JSON_MAX_DEPTH 512

/* ---- scanner ---------------------------------------------------------------- */

static const char *ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool hex4(const char *p, const char *e, uint32_t *out)
{
    if (e - p < 4) return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0) return false;
        v = v << 4 | (uint32_t)h;
    }
    *out = v;
    return true;
}

/*
 * Decode one escape sequence at p (just after the backslash).  Returns the
 * code point and sets *next, or returns -1 when malformed.
 */
static int32_t decode_escape(const char *p, const char *e, const char **next)
{
    if (p >= e) return -1;
    char c = *p++;
    uint32_t cp;
    switch (c) {
    case '"': cp = '"'; break;
    case '\\': cp = '\\'; break;
    case '/': cp = '/'; break;
    case 'b': cp = '\b'; break;
    case 'f': cp = '\f'; break;
    case 'n': cp = '\n'; break;
    case 'r': cp = '\r'; break;
    case 't': cp = '\t'; break;
    case 'u':
        if (!hex4(p, e, &cp)) return -1;
        p += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo;
            if (e - p >= 6 && p[0] == '\\' && p[1] == 'u' && hex4(p + 2, e, &lo) &&
                lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            } else {
                cp = 0xFFFD; /* lone high surrogate */
            }
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            cp = 0xFFFD; /* lone low surrogate */
        }
        break;
    default: return -1;
    }
    *next = p;
    return (int32_t)cp;
}

/* p at '"': the position after the closing quote, or NULL.  *has_esc tells
 * whether the string holds escapes. */
static const char *skip_string(const char *p, const char *e, bool *has_esc)
{
    bool esc = false;
    for (p++; p < e; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') {
            if (has_esc) *has_esc = esc;
            return p + 1;
        }
        if (c < 0x20) return NULL;
        if (c == '\\') {
            const char *nx;
            if (decode_escape(p + 1, e, &nx) < 0) return NULL;
            esc = true;
            p = nx - 1;
        }
    }
    return NULL;
}

/* p at a number's first character: the position after it, or NULL.
 * *integral is set when it has neither fraction nor exponent. */
static const char *skip_number(const char *p, const char *e, bool *integral)
{
    bool in = true;
    if (p < e && *p == '-') p++;
    if (p >= e) return NULL;
    if (*p == '0') p++;
    else if (*p >= '1' && *p <= '9')
        while (p < e && *p >= '0' && *p <= '9') p++;
    else return NULL;
    if (p < e && *p == '.') {
        in = false;
        p++;
        if (p >= e || *p < '0' || *p > '9') return NULL;
        while (p < e && *p >= '0' && *p <= '9') p++;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        in = false;
        p++;
        if (p < e && (*p == '+' || *p == '-')) p++;
        if (p >= e || *p < '0' || *p > '9') return NULL;
        while (p < e && *p >= '0' && *p <= '9') p++;
    }
    if (integral) *integral = in;
    return p;
}

static const char *skip_lit(const char *p, const char *e, const char *lit, size_t n)
{
    return (size_t)(e - p) >= n && memcmp(p, lit, n) == 0 ? p + n : NULL;
}

/* A scalar token must end at a delimiter ("01", "truex" are not values). */
static const char *delim(const char *p, const char *e)
{
    if (!p || p >= e) return p;
    switch (*p) {
    case ' ': case '\t': case '\n': case '\r': case ',': case ']': case '}': case ':':
        return p;
    default: return NULL;
    }
}

/* p at a value (no leading whitespace): the position after it, or NULL. */
static const char *skip_value(const char *p, const char *e, int depth)
{
    if (p >= e) return NULL;
    switch (*p) {
    case '"': return skip_string(p, e, NULL);
    case 't': return delim(skip_lit(p, e, "true", 4), e);
    case 'f': return delim(skip_lit(p, e, "false", 5), e);
    case 'n': return delim(skip_lit(p, e, "null", 4), e);
    case '[':
    case '{': {
        if (depth >= JSON_MAX_DEPTH) return NULL;
        bool obj = *p == '{';
        char close = obj ? '}' : ']';
        p = ws(p + 1, e);
        if (p < e && *p == close) return p + 1;
        for (;;) {
            if (obj) {
                if (p >= e || *p != '"') return NULL;
                p = skip_string(p, e, NULL);
                if (!p) return NULL;
                p = ws(p, e);
                if (p >= e || *p != ':') return NULL;
                p = ws(p + 1, e);
            }
            p = skip_value(p, e, depth + 1);
            if (!p) return NULL;
            p = ws(p, e);
            if (p >= e) return NULL;
            if (*p == close) return p + 1;
            if (*p != ',') return NULL;
            p = ws(p + 1, e);
        }
    }
    default: return delim(skip_number(p, e, NULL), e);
    }
}

/* Whether the string at p (at '"') equals key k; *next gets its end (NULL
 * when malformed). */
static bool key_eq(const char *p, const char *e, wd_str k, const char **next)
{
    const char *s = p + 1, *q = s;
    while (q < e && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20) q++;
    if (q < e && *q == '"') { /* no escapes: compare the bytes */
        *next = q + 1;
        return (size_t)(q - s) == k.len && (k.len == 0 || memcmp(s, k.ptr, k.len) == 0);
    }
    /* escapes: decode as we compare */
    *next = skip_string(p, e, NULL);
    if (!*next) return false;
    uint32_t ki = 0;
    for (q = s; *q != '"';) {
        char buf[4];
        uint32_t bl;
        if (*q == '\\') {
            const char *nx;
            int32_t cp = decode_escape(q + 1, e, &nx);
            bl = wd_utf8_put((uint32_t)cp, buf);
            q = nx;
        } else {
            buf[0] = *q++;
            bl = 1;
        }
        if (ki + bl > k.len || memcmp(k.ptr + ki, buf, bl) != 0) return false;
        ki += bl;
    }
    return ki == k.len;
}

/* Results of a lookup. */
enum { JS_BAD = -1, JS_MISSING = 0, JS_FOUND = 1 };

/* The value of key k in the object at p; *v set to its first character. */
static int obj_find(const char *p, const char *e, wd_str k, const char **v)
{
    p = ws(p + 1, e);
    if (p < e && *p == '}') return JS_MISSING;
    for (;;) {
        if (p >= e || *p != '"') return JS_BAD;
        const char *nx;
        bool eq = key_eq(p, e, k, &nx);
        if (!nx) return JS_BAD;
        p = ws(nx, e);
        if (p >= e || *p != ':') return JS_BAD;
        p = ws(p + 1, e);
        if (eq) {
            *v = p;
            return JS_FOUND;
        }
        p = skip_value(p, e, 1);
        if (!p) return JS_BAD;
        p = ws(p, e);
        if (p >= e) return JS_BAD;
        if (*p == '}') return JS_MISSING;
        if (*p != ',') return JS_BAD;
        p = ws(p + 1, e);
    }
}

/* Number of elements of the array / members of the object at p, or -1. */
static int64_t container_len(const char *p, const char *e)
{
    bool obj = *p == '{';
    char close = obj ? '}' : ']';
    int64_t n = 0;
    p = ws(p + 1, e);
    if (p < e && *p == close) return 0;
    for (;;) {
        if (obj) {
            if (p >= e || *p != '"') return -1;
            p = skip_string(p, e, NULL);
            if (!p) return -1;
            p = ws(p, e);
            if (p >= e || *p != ':') return -1;
            p = ws(p + 1, e);
        }
        p = skip_value(p, e, 1);
        if (!p) return -1;
        n++;
        p = ws(p, e);
        if (p >= e) return -1;
        if (*p == close) return n;
        if (*p != ',') return -1;
        p = ws(p + 1, e);
    }
}

/* Element idx of the array at p (negative: from the end). */
static int arr_find(const char *p, const char *e, int64_t idx, const char **v)
{
    if (idx < 0) {
        int64_t n = container_len(p, e);
        if (n < 0) return JS_BAD;
        if (idx < -n) return JS_MISSING;
        idx += n;
    }
    p = ws(p + 1, e);
    if (p < e && *p == ']') return JS_MISSING;
    for (int64_t i = 0;; i++) {
        if (i == idx) {
            if (p >= e) return JS_BAD;
            *v = p;
            return JS_FOUND;
        }
        p = skip_value(p, e, 1);
        if (!p) return JS_BAD;
        p = ws(p, e);
        if (p >= e) return JS_BAD;
        if (*p == ']') return JS_MISSING;
        if (*p != ',') return JS_BAD;
        p = ws(p + 1, e);
    }
}

/* ---- path arguments ---------------------------------------------------------- */

/* Integer value of row i of an integer-typed column. */
static int64_t int_arg(const wd_col *c, uint32_t i)
{
    switch (c->type->id) {
    case WD_T_INT16: return WD_COL_GET(c, int16_t, i);
    case WD_T_INT32: return WD_COL_GET(c, int32_t, i);
    case WD_T_INT64: return WD_COL_GET(c, int64_t, i);
    case WD_T_UINT16: return WD_COL_GET(c, uint16_t, i);
    case WD_T_UINT32: return WD_COL_GET(c, uint32_t, i);
    case WD_T_UINT64: {
        uint64_t v = WD_COL_GET(c, uint64_t, i);
        return v > INT64_MAX ? INT64_MAX : (int64_t)v;
    }
    default: return 0;
    }
}

/*
 * Follow path args[0..np) (row i) from the document doc.  On JS_FOUND,
 * [*vs, *ve) is the value's text (validated).
 */
static int follow(wd_str doc, const wd_col *path, uint32_t np, uint32_t i, const char **vs,
                  const char **ve)
{
    const char *p = doc.ptr, *e = doc.ptr + doc.len;
    if (!p) return JS_BAD;
    p = ws(p, e);
    if (np == 0) { /* the whole document must be one value */
        const char *end = skip_value(p, e, 0);
        if (!end || ws(end, e) != e) return JS_BAD;
        *vs = p, *ve = end;
        return JS_FOUND;
    }
    for (uint32_t s = 0; s < np; s++) {
        const wd_col *c = &path[s];
        if (p >= e) return JS_BAD;
        int r;
        if (c->type->id == WD_T_TEXT || c->type->id == WD_T_JSON) {
            if (*p == '{') r = obj_find(p, e, WD_COL_GET(c, wd_str, i), &p);
            else r = skip_value(p, e, 0) ? JS_MISSING : JS_BAD;
        } else {
            if (*p == '[') r = arr_find(p, e, int_arg(c, i), &p);
            else r = skip_value(p, e, 0) ? JS_MISSING : JS_BAD;
        }
        if (r != JS_FOUND) return r;
    }
    const char *end = skip_value(p, e, 0);
    if (!end) return JS_BAD;
    *vs = p, *ve = end;
    return JS_FOUND;
}

/* The decoded content of the JSON string [vs, ve) (quotes included). */
static wd_str decode_string(wd_kctx *k, const char *vs, const char *ve)
{
    bool esc = false;
    skip_string(vs, ve, &esc);
    if (!esc) return wd_str_make(vs + 1, (uint32_t)(ve - vs - 2));
    char *d = wd_arena_alloc(k->arena, (size_t)(ve - vs));
    uint32_t w = 0;
    for (const char *q = vs + 1; q < ve - 1;) {
        if (*q == '\\') {
            const char *nx;
            int32_t cp = decode_escape(q + 1, ve, &nx);
            if (cp < 0) break; /* cannot happen: validated */
            w += wd_utf8_put((uint32_t)cp, d + w);
            q = nx;
        } else {
            d[w++] = *q++;
        }
    }
    return wd_str_make(d, w);
}

/* ---- kernels ---------------------------------------------------------------------- */

typedef enum {
    M_JSON,     /* the value's JSON text */
    M_TEXT,     /* ->>: strings decoded, null → NULL, others their JSON text */
    M_STR,      /* strings decoded, others NULL */
    M_INT,      /* integral numbers in BIGINT range */
    M_FLOAT,    /* any number */
    M_BOOL,     /* true / false */
    M_CONTAINS, /* whether the path exists */
    M_LENGTH,   /* array length / object member count */
} json_mode;

static int json_rows(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out,
                     json_mode m)
{
    for (uint32_t i = 0; i < n; i++) {
        if (!wd_col_valid(out, i)) continue;
        const char *vs = NULL, *ve = NULL;
        int r = follow(WD_COL_GET(&a[0], wd_str, i), a + 1, na - 1, i, &vs, &ve);
        bool null = r != JS_FOUND;
        if (m == M_CONTAINS && r != JS_BAD) {
            WD_COL_VALS(out, uint8_t)[i] = r == JS_FOUND;
            continue;
        }
        if (!null) {
            char c0 = *vs;
            switch (m) {
            case M_JSON: WD_COL_VALS(out, wd_str)[i] = wd_str_make(vs, (uint32_t)(ve - vs)); break;
            case M_TEXT:
                if (c0 == 'n') null = true;
                else if (c0 == '"') WD_COL_VALS(out, wd_str)[i] = decode_string(k, vs, ve);
                else WD_COL_VALS(out, wd_str)[i] = wd_str_make(vs, (uint32_t)(ve - vs));
                break;
            case M_STR:
                if (c0 == '"') WD_COL_VALS(out, wd_str)[i] = decode_string(k, vs, ve);
                else null = true;
                break;
            case M_INT: {
                bool integral = false;
                if (c0 != '-' && (c0 < '0' || c0 > '9')) {
                    null = true;
                    break;
                }
                skip_number(vs, ve, &integral);
                if (!integral) {
                    null = true;
                    break;
                }
                const char *q = vs;
                bool neg = *q == '-';
                if (neg) q++;
                int64_t v = 0;
                for (; q < ve && !null; q++) {
                    int dg = *q - '0';
                    if (__builtin_mul_overflow(v, 10, &v) ||
                        __builtin_add_overflow(v, neg ? -dg : dg, &v))
                        null = true;
                }
                if (!null) WD_COL_VALS(out, int64_t)[i] = v;
                break;
            }
            case M_FLOAT: {
                if (c0 != '-' && (c0 < '0' || c0 > '9')) {
                    null = true;
                    break;
                }
                size_t len = (size_t)(ve - vs);
                char tmp[64];
                char *buf = len < sizeof tmp ? tmp : wd_arena_alloc(k->arena, len + 1);
                memcpy(buf, vs, len);
                buf[len] = 0;
                WD_COL_VALS(out, double)[i] = strtod(buf, NULL);
                break;
            }
            case M_BOOL:
                if (c0 == 't' || c0 == 'f') WD_COL_VALS(out, uint8_t)[i] = c0 == 't';
                else null = true;
                break;
            case M_LENGTH:
                if (c0 == '[' || c0 == '{') WD_COL_VALS(out, int64_t)[i] = container_len(vs, ve);
                else null = true;
                break;
            case M_CONTAINS: break;
            }
        }
        if (null) wd_col_set_null(out, i, k->arena);
    }
    return 0;
}

#define JSON_KERNEL(name, mode)                                                           \
    static int name(wd_kctx *k, const wd_col *a, uint32_t na, uint32_t n, wd_col *out)   \
    {                                                                                     \
        return json_rows(k, a, na, n, out, mode);                                         \
    }
JSON_KERNEL(k_json_get, M_JSON)
JSON_KERNEL(k_json_text, M_TEXT)
JSON_KERNEL(k_json_get_str, M_STR)
JSON_KERNEL(k_json_get_int, M_INT)
JSON_KERNEL(k_json_get_float, M_FLOAT)
JSON_KERNEL(k_json_get_bool, M_BOOL)
JSON_KERNEL(k_json_contains, M_CONTAINS)
JSON_KERNEL(k_json_length, M_LENGTH)

/* ---- argument checking --------------------------------------------------------------- */

/* The first argument must be JSON or TEXT, the rest TEXT keys or integer indexes. */
static bool path_args_ok(const char *fn, const wd_type *const *args, uint32_t nargs,
                         wd_error *err)
{
    wd_type_id id = args[0]->id;
    if (id != WD_T_JSON && id != WD_T_TEXT && id != WD_T_NULL) {
        wd_err(err, WD_ETYPE, "%s: the first argument must be JSON or TEXT, not %s", fn,
               wd_type_name(args[0]));
        return false;
    }
    for (uint32_t i = 1; i < nargs; i++) {
        id = args[i]->id;
        if (id != WD_T_TEXT && id != WD_T_NULL && !wd_type_is_int(id)) {
            wd_err(err, WD_ETYPE,
                   "%s: path argument %u must be a TEXT key or an integer index, not %s", fn,
                   i + 1, wd_type_name(args[i]));
            return false;
        }
    }
    return true;
}

#define JSON_RESOLVE(name, fn, type)                                                      \
    static const wd_type *name(wd_arena *a, const wd_type *const *args, uint32_t nargs,  \
                               wd_error *err)                                             \
    {                                                                                     \
        return path_args_ok(fn, args, nargs, err) ? type : NULL;                          \
    }
JSON_RESOLVE(r_json_get, "json_get", WD_TYPE_JSON)
JSON_RESOLVE(r_json_get_json, "json_get_json", WD_TYPE_JSON)
JSON_RESOLVE(r_json_get_str, "json_get_str", WD_TYPE_TEXT)
JSON_RESOLVE(r_json_get_int, "json_get_int", WD_TYPE_INT64)
JSON_RESOLVE(r_json_get_float, "json_get_float", WD_TYPE_FLOAT64)
JSON_RESOLVE(r_json_get_bool, "json_get_bool", WD_TYPE_BOOL)
JSON_RESOLVE(r_json_contains, "json_contains", WD_TYPE_BOOL)
JSON_RESOLVE(r_json_length, "json_length", WD_TYPE_INT64)

/* ---- table ------------------------------------------------------------------------------ */

#define V(nm, ret, res, fn, doc) {nm, -1, 1, {WD_P_ANY}, ret, res, fn, NULL, WD_FN_STRICT, doc}
#define OP(nm, p1, ret, fn, doc) \
    {nm, 2, 2, {WD_P_STRINGY, p1}, ret, NULL, fn, NULL, WD_FN_STRICT, doc}

const wd_func wd_funcs_json[] = {
    V("json_get", WD_T_JSON, r_json_get, k_json_get,
      "json_get(json, key_or_index, …): the JSON value at the path, NULL if absent"),
    V("json_get_json", WD_T_JSON, r_json_get_json, k_json_get,
      "json_get_json(json, key_or_index, …): the JSON text of the value at the path"),
    V("json_get_str", WD_T_TEXT, r_json_get_str, k_json_get_str,
      "json_get_str(json, path…): the value when it is a JSON string, else NULL"),
    V("json_get_int", WD_T_INT64, r_json_get_int, k_json_get_int,
      "json_get_int(json, path…): the value when it is an integral JSON number in BIGINT range"),
    V("json_get_float", WD_T_FLOAT64, r_json_get_float, k_json_get_float,
      "json_get_float(json, path…): the value when it is a JSON number"),
    V("json_get_bool", WD_T_BOOL, r_json_get_bool, k_json_get_bool,
      "json_get_bool(json, path…): the value when it is true or false"),
    V("json_contains", WD_T_BOOL, r_json_contains, k_json_contains,
      "json_contains(json, path…): whether the path exists (NULL for malformed JSON)"),
    V("json_length", WD_T_INT64, r_json_length, k_json_length,
      "json_length(json [, path…]): array length or object member count, else NULL"),
    OP("->", WD_T_TEXT, WD_T_JSON, k_json_get, "json -> key: the member's JSON value"),
    OP("->", WD_T_INT64, WD_T_JSON, k_json_get,
       "json -> index: the array element's JSON value (0-based, negative from the end)"),
    OP("->>", WD_T_TEXT, WD_T_TEXT, k_json_text,
       "json ->> key: the member as text (strings unquoted, null → NULL)"),
    OP("->>", WD_T_INT64, WD_T_TEXT, k_json_text,
       "json ->> index: the array element as text (strings unquoted, null → NULL)"),
};

const size_t wd_funcs_json_n = sizeof wd_funcs_json / sizeof wd_funcs_json[0];
