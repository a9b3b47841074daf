/*
 * types.c — SQL types: the primitive singletons, composite constructors,
 * equality, physical widths, classes and SQL spelling.
 *
 * Exports: wd_type_*_ singletons, wd_type_of, wd_type_decimal,
 * wd_type_list, wd_type_struct, wd_type_eq, wd_type_width, wd_type_is_*,
 * wd_type_format, wd_type_name, wd_type_field_index.
 */
#include "batch/types.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>


#define PRIM(var, tid) const wd_type var = {.id = tid}
PRIM(wd_type_null_, WD_T_NULL);
PRIM(wd_type_bool_, WD_T_BOOL);
PRIM(wd_type_int16_, WD_T_INT16);
PRIM(wd_type_int32_, WD_T_INT32);
PRIM(wd_type_int64_, WD_T_INT64);
PRIM(wd_type_uint16_, WD_T_UINT16);
PRIM(wd_type_uint32_, WD_T_UINT32);
PRIM(wd_type_uint64_, WD_T_UINT64);
PRIM(wd_type_float32_, WD_T_FLOAT32);
PRIM(wd_type_float64_, WD_T_FLOAT64);
PRIM(wd_type_text_, WD_T_TEXT);
PRIM(wd_type_bytes_, WD_T_BYTES);
PRIM(wd_type_timestamp_, WD_T_TIMESTAMP);
PRIM(wd_type_date_, WD_T_DATE);
PRIM(wd_type_interval_, WD_T_INTERVAL);
PRIM(wd_type_json_, WD_T_JSON);
#undef PRIM

const wd_type *wd_type_of(wd_type_id id)
{
    switch (id) {
    case WD_T_NULL: return WD_TYPE_NULL;
    case WD_T_BOOL: return WD_TYPE_BOOL;
    case WD_T_INT16: return WD_TYPE_INT16;
    case WD_T_INT32: return WD_TYPE_INT32;
    case WD_T_INT64: return WD_TYPE_INT64;
    case WD_T_UINT16: return WD_TYPE_UINT16;
    case WD_T_UINT32: return WD_TYPE_UINT32;
    case WD_T_UINT64: return WD_TYPE_UINT64;
    case WD_T_FLOAT32: return WD_TYPE_FLOAT32;
    case WD_T_FLOAT64: return WD_TYPE_FLOAT64;
    case WD_T_TEXT: return WD_TYPE_TEXT;
    case WD_T_BYTES: return WD_TYPE_BYTES;
    case WD_T_TIMESTAMP: return WD_TYPE_TIMESTAMP;
    case WD_T_DATE: return WD_TYPE_DATE;
    case WD_T_INTERVAL: return WD_TYPE_INTERVAL;
    case WD_T_JSON: return WD_TYPE_JSON;
    default: return NULL;
    }
}

/* DECIMAL(precision, scale); precision clamped to 1..38, scale to 0..precision.
 * NULL only under the allocation-failure injector. */
const wd_type *wd_type_decimal(wd_arena *a, int precision, int scale)
{
    if (precision < 1) precision = 1;
    if (precision > 38) precision = 38;
    if (scale < 0) scale = 0;
    if (scale > precision) scale = precision;
    wd_type *t = wd_arena_calloc(a, sizeof *t);
    if (!t) return NULL;
    t->id = WD_T_DECIMAL;
    t->precision = (uint8_t)precision;
    t->scale = (uint8_t)scale;
    return t;
}

/* elem[]; NULL only under the allocation-failure injector. */
const wd_type *wd_type_list(wd_arena *a, const wd_type *elem)
{
    wd_type *t = wd_arena_calloc(a, sizeof *t);
    if (!t) return NULL;
    t->id = WD_T_LIST;
    t->elem = elem ? elem : WD_TYPE_NULL;
    return t;
}

/* STRUCT of fields, which (and their names) are copied into a. */
const wd_type *wd_type_struct(wd_arena *a, uint32_t nfields, const wd_field *fields)
{
    wd_type *t = wd_arena_calloc(a, sizeof *t);
    if (!t) return NULL;
    t->id = WD_T_STRUCT;
    t->nfields = nfields;
    if (nfields) {
        wd_field *f = wd_arena_alloc(a, (size_t)nfields * sizeof *f);
        if (!f) return NULL;
        for (uint32_t i = 0; i < nfields; i++) {
            f[i] = fields[i];
            f[i].name = wd_arena_strdup(a, fields[i].name ? fields[i].name : "");
            if (!f[i].name) return NULL;
            if (!f[i].type) f[i].type = WD_TYPE_NULL;
        }
        t->fields = f;
    }
    return t;
}

bool wd_type_eq(const wd_type *a, const wd_type *b)
{
    if (a == b) return true;
    if (!a || !b || a->id != b->id) return false;
    switch (a->id) {
    case WD_T_DECIMAL: return a->precision == b->precision && a->scale == b->scale;
    case WD_T_LIST: return wd_type_eq(a->elem, b->elem);
    case WD_T_STRUCT:
        if (a->nfields != b->nfields) return false;
        for (uint32_t i = 0; i < a->nfields; i++) {
            const char *na = a->fields[i].name ? a->fields[i].name : "";
            const char *nb = b->fields[i].name ? b->fields[i].name : "";
            if (strcmp(na, nb) != 0 || !wd_type_eq(a->fields[i].type, b->fields[i].type))
                return false;
        }
        return true;
    default: return true;
    }
}

size_t wd_type_width(wd_type_id id)
{
    switch (id) {
    case WD_T_NULL: return 0;
    case WD_T_BOOL: return 1;
    case WD_T_INT16:
    case WD_T_UINT16: return 2;
    case WD_T_INT32:
    case WD_T_UINT32:
    case WD_T_FLOAT32:
    case WD_T_DATE: return 4;
    case WD_T_INT64:
    case WD_T_UINT64:
    case WD_T_FLOAT64:
    case WD_T_TIMESTAMP: return 8;
    case WD_T_DECIMAL: return sizeof(wd_i128);
    case WD_T_TEXT:
    case WD_T_BYTES:
    case WD_T_JSON: return sizeof(wd_str);
    case WD_T_INTERVAL: return sizeof(wd_interval);
    case WD_T_STRUCT: return 0;
    case WD_T_LIST: return sizeof(uint32_t);
    default: return 0;
    }
}

bool wd_type_is_int(wd_type_id id) { return id >= WD_T_INT16 && id <= WD_T_UINT64; }
bool wd_type_is_signed(wd_type_id id) { return id >= WD_T_INT16 && id <= WD_T_INT64; }
bool wd_type_is_float(wd_type_id id) { return id == WD_T_FLOAT32 || id == WD_T_FLOAT64; }
bool wd_type_is_numeric(wd_type_id id)
{
    return wd_type_is_int(id) || wd_type_is_float(id) || id == WD_T_DECIMAL;
}
bool wd_type_is_stringy(wd_type_id id)
{
    return id == WD_T_TEXT || id == WD_T_BYTES || id == WD_T_JSON;
}

/* snprintf-like appender */
typedef struct tout {
    char *out;
    size_t n, len;
} tout;

static void to_puts(tout *o, const char *s)
{
    size_t k = strlen(s);
    if (o->len < o->n) {
        size_t room = o->n - o->len - 1;
        memcpy(o->out + o->len, s, k < room ? k : room);
    }
    o->len += k;
}

static void fmt_type(tout *o, const wd_type *t, int depth)
{
    static const char *const names[WD_T__COUNT] = {
        [WD_T_NULL] = "NULL",
        [WD_T_BOOL] = "BOOLEAN",
        [WD_T_INT16] = "SMALLINT",
        [WD_T_INT32] = "INT",
        [WD_T_INT64] = "BIGINT",
        [WD_T_UINT16] = "SMALLINT UNSIGNED",
        [WD_T_UINT32] = "INT UNSIGNED",
        [WD_T_UINT64] = "BIGINT UNSIGNED",
        [WD_T_FLOAT32] = "REAL",
        [WD_T_FLOAT64] = "DOUBLE",
        [WD_T_DECIMAL] = "DECIMAL",
        [WD_T_TEXT] = "TEXT",
        [WD_T_BYTES] = "BYTEA",
        [WD_T_TIMESTAMP] = "TIMESTAMP",
        [WD_T_DATE] = "DATE",
        [WD_T_INTERVAL] = "INTERVAL",
        [WD_T_JSON] = "JSON",
        [WD_T_STRUCT] = "STRUCT",
        [WD_T_LIST] = "LIST",
    };
    if (!t) {
        to_puts(o, "?");
        return;
    }
    if (depth > 64) {
        to_puts(o, "…");
        return;
    }
    switch (t->id) {
    case WD_T_DECIMAL: {
        char tmp[32];
        snprintf(tmp, sizeof tmp, "DECIMAL(%u,%u)", t->precision, t->scale);
        to_puts(o, tmp);
        break;
    }
    case WD_T_LIST:
        fmt_type(o, t->elem, depth + 1);
        to_puts(o, "[]");
        break;
    case WD_T_STRUCT:
        to_puts(o, "STRUCT<");
        for (uint32_t i = 0; i < t->nfields; i++) {
            if (i) to_puts(o, ", ");
            to_puts(o, t->fields[i].name ? t->fields[i].name : "");
            to_puts(o, " ");
            fmt_type(o, t->fields[i].type, depth + 1);
        }
        to_puts(o, ">");
        break;
    default:
        if ((unsigned)t->id < WD_T__COUNT && names[t->id]) to_puts(o, names[t->id]);
        else to_puts(o, "?");
        break;
    }
}

/* Returns the length wanted; out is NUL-terminated when n > 0. */
size_t wd_type_format(const wd_type *t, char *out, size_t n)
{
    tout o = {out, n, 0};
    fmt_type(&o, t, 0);
    if (out && n) out[o.len < n ? o.len : n - 1] = 0;
    return o.len;
}

/* A ring of four thread-local buffers: up to four names stay valid at once
 * (e.g. both operand types in one message). */
const char *wd_type_name(const wd_type *t)
{
    static _Thread_local char ring[4][256];
    static _Thread_local unsigned next;
    char *b = ring[next++ % 4];
    wd_type_format(t, b, sizeof ring[0]);
    return b;
}

int wd_type_field_index(const wd_type *t, const char *name)
{
    if (!t || !name || t->id != WD_T_STRUCT) return -1;
    for (uint32_t i = 0; i < t->nfields; i++) {
        if (t->fields[i].name && strcasecmp(t->fields[i].name, name) == 0) return (int)i;
    }
    return -1;
}
