/*
 * json.h — the JSON-lines format: a schema-directed decoder that scans one
 * line straight into a batch's columns (plain rows, or Debezium change
 * records with retraction flags), and encoders for rows (plain JSON and
 * Debezium change events).
 *
 * Decoding rules (one JSON object per line):
 *   - keys match schema fields case-sensitively first, then ignoring ASCII
 *     case; unknown keys are skipped (but must be well-formed JSON);
 *     the hidden `_timestamp` field is never read from JSON;
 *   - a missing key or a JSON null gives SQL NULL; either is an error for a
 *     NOT NULL field;
 *   - integers: JSON numbers that are integral ("7", "7.0", "7e2") or
 *     strings holding one ("\"7\""), with range checks for the column type;
 *   - FLOAT32/64: numbers, or strings holding a number, "NaN", "Infinity",
 *     "-Infinity";
 *   - DECIMAL(p,s): numbers or numeric strings, converted exactly from the
 *     text (no binary floating point), rounded half away from zero to s
 *     digits, error when more than p digits remain;
 *   - BOOL: true / false (or the strings "true" / "false");
 *   - TEXT: strings (escapes decoded, \uXXXX surrogate pairs joined, UTF-8
 *     validated); numbers and booleans are taken as their JSON text;
 *   - BYTES: base64 text (standard or URL-safe alphabet, padding optional)
 *     or an array of integers 0..255;
 *   - TIMESTAMP: RFC 3339 strings (wd_ts_parse) or epoch numbers, whose
 *     unit is the option json.timestamp_format: 'rfc3339' (the default:
 *     numbers are epoch milliseconds), 'unix_millis', 'unix_seconds',
 *     'unix_micros', 'unix_nanos';
 *   - DATE: "YYYY-MM-DD", or an integer number of days since 1970-01-01;
 *   - INTERVAL: interval text ("5 seconds", "1 day 02:00:00");
 *   - JSON: the raw text of any JSON value (null gives SQL NULL);
 *   - STRUCT: nested objects (missing fields NULL); LIST: arrays.
 * Every error is WD_EDATA and names the field and the problem:
 *   "field 'price': expected an integer, found \"abc\"".
 *
 * Encoding: every non-hidden field, in schema order; NULL → null;
 * TIMESTAMP "2023-10-09T17:13:40[.200]" (or an epoch number when
 * json.timestamp_format is a unix_* unit); DATE "2023-10-09"; INTERVAL as
 * its text; DECIMAL as a number with all its scale digits; floats as the
 * shortest text that reads back to the same value, with ".0" kept for
 * integral values (3.0), NaN/±Inf → null; BYTES as base64 text; JSON
 * columns embedded as JSON; STRUCT as an object; LIST as an array.
 */
#ifndef WD_JSON_H
#define WD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch/batch.h"
#include "common/buf.h"
#include "common/error.h"

struct wd_options;

/* How timestamps are read from JSON numbers and written. */
typedef enum wd_json_ts_format {
    WD_JSON_TS_RFC3339 = 0,  /* write text; numbers read as epoch ms */
    WD_JSON_TS_UNIX_MILLIS,  /* numbers are epoch ms; write numbers */
    WD_JSON_TS_UNIX_SECONDS, /* numbers are epoch seconds (may have a fraction) */
    WD_JSON_TS_UNIX_MICROS,
    WD_JSON_TS_UNIX_NANOS,
} wd_json_ts_format;

typedef struct wd_json_opts {
    bool unstructured;           /* the whole line is the one JSON column */
    wd_json_ts_format ts_format;
} wd_json_opts;

#define WD_JSON_OPTS_INIT {false, WD_JSON_TS_RFC3339}

/*
 * Read json.unstructured and json.timestamp_format from table options into
 * *out (defaults for absent ones).  Returns 0 or WD_EOPTION naming the
 * option and the accepted values.
 */
int wd_json_opts_from(const struct wd_options *o, wd_json_opts *out, wd_error *err);

/* ---- decoding ---------------------------------------------------------- */

typedef struct wd_json_decoder wd_json_decoder;

/*
 * Check that schema suits opts: with opts->unstructured it must be exactly
 * one JSON field (besides _timestamp).  Returns 0 or WD_ETYPE with a
 * message.  opts may be NULL.
 */
int wd_json_check_schema(const wd_type *schema, const wd_json_opts *opts, wd_error *err);

/*
 * A decoder for rows of schema (a batch schema from wd_schema_make: the
 * trailing _timestamp field is not read).  opts may be NULL (defaults).
 * The schema must outlive the decoder.  Returns NULL when
 * wd_json_check_schema fails (call it first for the message).
 */
wd_json_decoder *wd_json_decoder_new(const wd_type *schema, const wd_json_opts *opts);
void wd_json_decoder_free(wd_json_decoder *d);

/*
 * Decode one line (n bytes, need not be NUL-terminated; surrounding white
 * space allowed, nothing else after the object) into row b->nrows of b,
 * whose schema must be the decoder's.  Columns are grown with
 * wd_col_reserve when full, so the caller need not guarantee room.  On
 * success the row is complete, b->nrows is incremented and 0 returned; the
 * caller then sets wd_batch_ts(b)[b->nrows - 1] (the decoder leaves
 * _timestamp alone) and calls wd_batch_seal before handing the batch on.
 * On failure b->nrows is unchanged (the partly written slot is invisible
 * and overwritten by the next line; arena bytes may be wasted) and err
 * holds a WD_EDATA message naming the field.  When b->retract is set (see
 * wd_json_decode_debezium) the row is flagged as an insert.
 */
int wd_json_decode(wd_json_decoder *d, const char *line, size_t n, wd_batch *b,
                   wd_error *err);

/*
 * Decode one Debezium change record (a JSON object on one line) into the
 * next rows of b, with retraction flags:
 *   {"before": {…} | null, "after": {…} | null, "op": "c"|"r"|"u"|"d", …}
 * or the same keys inside a "payload" object ({"schema": …, "payload":
 * {…}}, as Kafka Connect writes with schemas enabled).  Other keys
 * ("source", "ts_ms", "transaction", …) are skipped; before and after are
 * decoded by the rules above (errors name "after.price" etc.).
 *   - "c" (create) and "r" (snapshot read): one insert of after;
 *   - "u": a retraction of before, then an insert of after; when before
 *     is null or absent (a table with REPLICA IDENTITY DEFAULT sends no
 *     old row) only the insert of after;
 *   - "d": one retraction of before (after is ignored).
 * So 1 or 2 rows are appended; b->nrows grows by that many.  b->retract is
 * allocated (in b's arena) when the first retraction reaches a batch that
 * has none, earlier rows flagged 0; once present, every row appended by
 * either decode function gets its flag.  A b->retract set by someone else
 * must hold at least b->nrows flags (it is copied).  The caller sets the
 * _timestamp of each appended row, as for wd_json_decode.
 * Errors (WD_EDATA; b->nrows and the flags of earlier rows unchanged):
 * malformed JSON, no "op", an op other than c/r/u/d, c/r/u without
 * "after", d without "before", before/after not an object or null, and
 * any decoding error of before/after.
 */
int wd_json_decode_debezium(wd_json_decoder *d, const char *line, size_t n, wd_batch *b,
                            wd_error *err);

/* True when s[0..n) is exactly one JSON value (white space around allowed). */
bool wd_json_valid(const char *s, size_t n);

/* ---- encoding ---------------------------------------------------------- */

/*
 * Append row `row` of b as one JSON object (no newline) with every
 * non-hidden field.  wd_json_encode_row_opts takes the timestamp format
 * from opts (NULL: defaults).
 */
void wd_json_encode_row(const wd_batch *b, uint32_t row, wd_buf *out);
void wd_json_encode_row_opts(const wd_batch *b, uint32_t row, const wd_json_opts *opts,
                             wd_buf *out);

/* Append the JSON form of one value (logical row `row` of column c). */
void wd_json_encode_value(const wd_col *c, uint32_t row, wd_buf *out);

/*
 * Append row `row` as a Debezium change event:
 *   {"before":null,"after":{…},"op":"c"}   for an insert,
 *   {"before":{…},"after":null,"op":"d"}   for a retraction (b->retract).
 */
void wd_json_encode_debezium(const wd_batch *b, uint32_t row, wd_buf *out);

#endif
