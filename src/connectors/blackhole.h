/*
 * blackhole.h — the `blackhole` sink's extras beyond connector.h.
 */
#ifndef WD_BLACKHOLE_H
#define WD_BLACKHOLE_H

#include <stdint.h>

#include "connectors/connector.h"

/* Rows a sink opened by wd_conn_blackhole has received (0 for other sinks). */
uint64_t wd_blackhole_rows(const wd_sink *s);

#endif
