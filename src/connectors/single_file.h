/*
 * single_file.h — the `single_file` connector's extras beyond connector.h.
 */
#ifndef WD_SINGLE_FILE_H
#define WD_SINGLE_FILE_H

#include <stdint.h>

#include "batch/json.h"
#include "common/buf.h"
#include "connectors/connector.h"

/*
 * Byte offset in the file just after the last line that went into an
 * emitted batch (0 before the first batch) of a source opened by
 * wd_conn_single_file: the position a checkpoint records.
 */
uint64_t wd_single_file_offset(const wd_source *s);

/* The file a single_file sink subtask writes: `path` for subtask 0,
 * `path-N` for subtask N > 0.  Writes at most n bytes into out. */
void wd_single_file_sink_path(const char *path, uint32_t subtask, char *out, size_t n);

/*
 * How the file sinks (single_file, filesystem) write a row: one line of
 * JSON, Debezium JSON (format 'debezium_json', or any updating input) or
 * raw text, by the table's `format` and `json.*` options.
 */
typedef struct wd_line_enc {
    bool raw, debezium;
    wd_json_opts jo;
} wd_line_enc;

/* Check the format and json.* options at planning time (WD_EOPTION naming
 * connector conn). */
int wd_line_enc_check(const wd_options *o, const char *conn, wd_error *err);
/* Set up e for a sink subtask of connector conn (named in errors). */
int wd_line_enc_init(const wd_sink_spec *spec, const char *conn, wd_line_enc *e, wd_error *err);
/* Append row r of b and a newline to out. */
void wd_line_enc_row(const wd_line_enc *e, const wd_batch *b, uint32_t r, wd_buf *out);

#endif
