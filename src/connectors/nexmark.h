/*
 * nexmark.h — helpers of the generated sources beyond the connector
 * structs (wd_conn_nexmark, wd_conn_impulse are declared in connector.h).
 *
 * The nexmark generator is a pure function of (seed, base_time, event_rate,
 * event number n): event n is the same, byte for byte, whatever the source
 * parallelism.  These entry points expose that function for golden tests,
 * debugging and benchmarks.
 */
#ifndef WD_NEXMARK_H
#define WD_NEXMARK_H

#include <stdint.h>

#include "common/buf.h"

/*
 * Append event n of the generator (seed, base_time_ns, event_rate) to out
 * as one JSON object {"person":…,"auction":…,"bid":…} (two of the three
 * null), timestamps as "YYYY-MM-DDTHH:MM:SS[.fff]".  Returns 0, or
 * WD_EINVALID when event_rate is out of range (0.0001 … 1e15 events/s).
 */
int wd_nexmark_event_json(uint64_t seed, int64_t base_time_ns, double event_rate, uint64_t n,
                          wd_buf *out);

/* Event time of event n: base_time_ns + n * (1 s / event_rate), in ns. */
int64_t wd_nexmark_event_time(int64_t base_time_ns, double event_rate, uint64_t n);

#endif
