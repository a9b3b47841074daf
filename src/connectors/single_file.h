/*
 * single_file.h — the `single_file` connector's extras beyond connector.h.
 */
#ifndef WD_SINGLE_FILE_H
#define WD_SINGLE_FILE_H

#include <stdint.h>

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

#endif
