/*
 * proto.c — framing of control-plane messages (proto.h).
 *
 * Exports: wd_ctl_send, wd_ctl_recv, wd_env_free, wd_ctl_call.
 */
#include "control/proto.h"

#include <string.h>

#include "common/alloc.h"
#include "common/timeutil.h"
#include "runtime/net.h"

#define MAGIC 0x31434457u /* "WDC1" */
#define MAX_PAYLOAD (64u << 20)

int wd_ctl_send(int fd, const wd_env *e, int64_t timeout_ns, wd_error *err)
{
    size_t n = wadi__v1__envelope__get_packed_size(e);
    uint8_t *buf = wd_malloc(12 + n);
    if (!buf) return wd_err(err, WD_ENOMEM, "out of memory");
    uint32_t h[3] = {MAGIC, WD_CTL_VERSION, (uint32_t)n};
    memcpy(buf, h, 12);
    wadi__v1__envelope__pack(e, buf + 12);
    int rc = wd_net_write(fd, buf, 12 + n, timeout_ns, err);
    wd_free(buf);
    return rc;
}

int wd_ctl_recv(int fd, int64_t timeout_ns, const _Atomic bool *stop, wd_env **out,
                wd_error *err)
{
    *out = NULL;
    uint32_t h[3];
    int rc = wd_net_read(fd, h, 12, timeout_ns, stop, err);
    if (rc < 0) return rc;
    if (h[0] != MAGIC) return wd_err(err, WD_ENET, "not a wadi control connection (bad magic)");
    if (h[1] != WD_CTL_VERSION)
        return wd_err(err, WD_ENET, "peer speaks control protocol version %u, this is version %u",
                      h[1], WD_CTL_VERSION);
    if (h[2] > MAX_PAYLOAD)
        return wd_err(err, WD_ENET, "control frame of %u bytes (at most %u)", h[2], MAX_PAYLOAD);
    uint8_t *buf = wd_malloc(h[2] ? h[2] : 1);
    if (!buf) return wd_err(err, WD_ENOMEM, "out of memory");
    rc = wd_net_read(fd, buf, h[2], timeout_ns ? timeout_ns : 30 * WD_NS_PER_SEC, stop, err);
    if (rc == 0) {
        *out = wadi__v1__envelope__unpack(NULL, h[2], buf);
        if (!*out) rc = wd_err(err, WD_ENET, "malformed control message (%u bytes)", h[2]);
    }
    wd_free(buf);
    return rc;
}

void wd_env_free(wd_env *e)
{
    if (e) wadi__v1__envelope__free_unpacked(e, NULL);
}

int wd_ctl_call(const char *addr, const wd_env *req, int64_t timeout_ns, wd_env **reply,
                wd_error *err)
{
    *reply = NULL;
    int fd;
    int rc = wd_net_connect(addr, timeout_ns, &fd, err);
    if (rc < 0) return rc;
    rc = wd_ctl_send(fd, req, timeout_ns, err);
    if (rc == 0) rc = wd_ctl_recv(fd, timeout_ns, NULL, reply, err);
    wd_net_close(&fd);
    return rc;
}
