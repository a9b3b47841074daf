/*
 * types.h — SQL types and how their values are stored in columns.
 *
 * A wd_type is immutable.  Primitive types are static singletons
 * (WD_TYPE_INT64 …); DECIMAL, STRUCT and LIST types are made in an arena
 * that outlives every batch using them (the plan's arena).
 *
 * Physical value layout in a column's data buffer, per type id:
 *   BOOL      uint8_t (0 or 1)
 *   INT16/32/64, UINT16/32/64   int16_t … uint64_t
 *   FLOAT32 / FLOAT64           float / double
 *   DECIMAL   wd_i128, the value times 10^scale (precision ≤ 38)
 *   TEXT, BYTES, JSON           wd_str (a view: pointer + length)
 *   TIMESTAMP int64_t ns since the epoch, UTC
 *   DATE      int32_t days since the epoch
 *   INTERVAL  wd_interval
 *   STRUCT    no data buffer; one child column per field
 *   LIST      uint32_t offsets[len + 1] into one child column
 */
#ifndef WD_TYPES_H
#define WD_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/alloc.h"
#include "common/timeutil.h"

typedef __int128 wd_i128;

typedef enum wd_type_id {
    WD_T_NULL = 0, /* the type of a bare NULL literal */
    WD_T_BOOL,
    WD_T_INT16,
    WD_T_INT32,
    WD_T_INT64,
    WD_T_UINT16,
    WD_T_UINT32,
    WD_T_UINT64,
    WD_T_FLOAT32,
    WD_T_FLOAT64,
    WD_T_DECIMAL,
    WD_T_TEXT,
    WD_T_BYTES,
    WD_T_TIMESTAMP,
    WD_T_DATE,
    WD_T_INTERVAL,
    WD_T_JSON,
    WD_T_STRUCT,
    WD_T_LIST,
    WD_T__COUNT
} wd_type_id;

/* A string or byte-string value: a view of len bytes at ptr (not NUL-ended). */
typedef struct wd_str {
    const char *ptr;
    uint32_t len;
    uint32_t _pad;
} wd_str;

typedef struct wd_type wd_type;

typedef struct wd_field {
    const char *name;
    const wd_type *type;
    bool nullable;
} wd_field;

struct wd_type {
    wd_type_id id;
    uint8_t precision;      /* DECIMAL */
    uint8_t scale;          /* DECIMAL */
    const wd_type *elem;    /* LIST element type */
    uint32_t nfields;       /* STRUCT */
    const wd_field *fields; /* STRUCT */
};

extern const wd_type wd_type_null_, wd_type_bool_, wd_type_int16_, wd_type_int32_,
    wd_type_int64_, wd_type_uint16_, wd_type_uint32_, wd_type_uint64_, wd_type_float32_,
    wd_type_float64_, wd_type_text_, wd_type_bytes_, wd_type_timestamp_, wd_type_date_,
    wd_type_interval_, wd_type_json_;

#define WD_TYPE_NULL (&wd_type_null_)
#define WD_TYPE_BOOL (&wd_type_bool_)
#define WD_TYPE_INT16 (&wd_type_int16_)
#define WD_TYPE_INT32 (&wd_type_int32_)
#define WD_TYPE_INT64 (&wd_type_int64_)
#define WD_TYPE_UINT16 (&wd_type_uint16_)
#define WD_TYPE_UINT32 (&wd_type_uint32_)
#define WD_TYPE_UINT64 (&wd_type_uint64_)
#define WD_TYPE_FLOAT32 (&wd_type_float32_)
#define WD_TYPE_FLOAT64 (&wd_type_float64_)
#define WD_TYPE_TEXT (&wd_type_text_)
#define WD_TYPE_BYTES (&wd_type_bytes_)
#define WD_TYPE_TIMESTAMP (&wd_type_timestamp_)
#define WD_TYPE_DATE (&wd_type_date_)
#define WD_TYPE_INTERVAL (&wd_type_interval_)
#define WD_TYPE_JSON (&wd_type_json_)

/* The primitive singleton for id (NULL for DECIMAL, STRUCT, LIST). */
const wd_type *wd_type_of(wd_type_id id);

/* Composite types, allocated in arena a. fields are copied. */
const wd_type *wd_type_decimal(wd_arena *a, int precision, int scale);
const wd_type *wd_type_list(wd_arena *a, const wd_type *elem);
const wd_type *wd_type_struct(wd_arena *a, uint32_t nfields, const wd_field *fields);

/* Structural equality (field names included, nullability ignored). */
bool wd_type_eq(const wd_type *a, const wd_type *b);

/* Bytes per value in the data buffer (LIST: 4, the offset; STRUCT: 0). */
size_t wd_type_width(wd_type_id id);

/* Classes. */
bool wd_type_is_int(wd_type_id id);      /* signed or unsigned integer */
bool wd_type_is_signed(wd_type_id id);
bool wd_type_is_float(wd_type_id id);
bool wd_type_is_numeric(wd_type_id id);  /* int, float or decimal */
bool wd_type_is_stringy(wd_type_id id);  /* TEXT, BYTES, JSON: wd_str values */

/* SQL spelling: "BIGINT", "DECIMAL(10,2)", "TEXT[]", "STRUCT<a BIGINT, …>". */
size_t wd_type_format(const wd_type *t, char *out, size_t n);
/* Same, into a static thread-local buffer: for error messages. */
const char *wd_type_name(const wd_type *t);

/* Index of field name in a STRUCT type (case-insensitive), or -1. */
int wd_type_field_index(const wd_type *t, const char *name);

#endif
