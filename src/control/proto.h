/*
 * proto.h — control-plane messages (proto/wadi.proto) over TCP.
 *
 * A frame is a 12-byte header — magic "WDC1", the protocol version, the
 * payload length (at most 64 MiB) — and one packed Envelope.  A frame with
 * another magic, version or an oversized length is refused with a clear
 * error and the connection is dropped; a payload that does not unpack is
 * the same.  Sends on one connection from several threads are serialised
 * by the caller's mutex.
 */
#ifndef WD_CONTROL_PROTO_H
#define WD_CONTROL_PROTO_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "wadi.pb-c.h"

#define WD_CTL_VERSION 1u

typedef Wadi__V1__Envelope wd_env;

/* Pack e and write it as one frame (each wait at most timeout_ns). */
int wd_ctl_send(int fd, const wd_env *e, int64_t timeout_ns, wd_error *err);

/*
 * Read one frame within timeout_ns (0: no limit; *stop, if given, is
 * checked every 50 ms).  *out is freed with wd_env_free.
 */
int wd_ctl_recv(int fd, int64_t timeout_ns, const _Atomic bool *stop, wd_env **out,
                wd_error *err);
void wd_env_free(wd_env *e);

/* A unary call: connect to addr, send req, read the reply, close. */
int wd_ctl_call(const char *addr, const wd_env *req, int64_t timeout_ns, wd_env **reply,
                wd_error *err);

/* Initialise an envelope carrying one message (its case and pointer). */
#define WD_ENV(var, field, CASE, msgp)                          \
    wd_env var = WADI__V1__ENVELOPE__INIT;                      \
    var.msg_case = WADI__V1__ENVELOPE__MSG_##CASE;              \
    var.field = (msgp)

#endif
