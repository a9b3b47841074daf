/*
 * stdout.h — the `stdout` sink's entry point for the implicit sink of a
 * bare SELECT.
 */
#ifndef WD_STDOUT_H
#define WD_STDOUT_H

#include "connectors/connector.h"

/*
 * Open a sink that prints each row as one JSON line on standard output
 * (Debezium JSON when spec->updating).  spec->opts may be NULL.  Lines of
 * concurrent subtasks never interleave: each batch goes out in one locked
 * fwrite, followed by a flush.  Returns 0 and *out, or a WD_E* code.
 */
int wd_stdout_sink_open(const wd_sink_spec *spec, wd_sink **out, wd_error *err);

#endif
