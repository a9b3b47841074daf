/*
 * wire.h — the columnar encoding of a batch for the network data plane.
 *
 * Both ends of a channel plan the same query, so the schema is not sent:
 * a batch is its row count, its retraction flags (when it has any) and
 * each column in schema order.  A column is a mode byte (plain, or one
 * constant value standing for every row), a bit-packed validity bitmap when
 * the column has nulls, then its values: fixed-width values as they are
 * in memory, strings as lengths followed by their bytes, struct fields in
 * order, lists as offsets followed by their element column.  Values are
 * little-endian as in memory (the hosts of one job share a byte order,
 * which the connection handshake checks).
 */
#ifndef WD_WIRE_H
#define WD_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "batch/batch.h"
#include "common/buf.h"
#include "common/error.h"

/*
 * Append rows idx[0..n) of b (or rows 0..n when idx is NULL, n =
 * b->nrows) to out: a shuffle encodes each target's rows straight from the
 * batch, without gathering them first.
 */
void wd_batch_wire_encode(const wd_batch *b, const uint32_t *idx, uint32_t n, wd_buf *out);

/*
 * Decode len bytes at p as a batch of schema.  Returns 0 with *out (one
 * reference), or WD_ECORRUPT with err saying what is malformed: every
 * length, offset and count is checked against the input, so no input can
 * make the decoder read out of bounds or allocate without limit.
 */
int wd_batch_wire_decode(const wd_type *schema, const void *p, size_t len, wd_batch **out,
                         wd_error *err);

#endif
