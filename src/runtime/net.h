/*
 * net.h — TCP helpers shared by the data plane and the control plane:
 * listening, connecting and accepting with timeouts, reading and writing
 * whole buffers with timeouts.  Every call that can wait takes a timeout
 * (or a stop flag it checks at least every 50 ms); nothing blocks forever.
 * Errors are WD_ENET with a message naming the peer.
 */
#ifndef WD_NET_H
#define WD_NET_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Split "host:port" (host may be empty or "[v6]"); false when malformed. */
bool wd_net_split(const char *addr, char *host, size_t hostcap, uint16_t *port);

/* Listen on host:port (port 0: any); *fd and the port bound. */
int wd_net_listen(const char *host, uint16_t port, int *fd, uint16_t *bound, wd_error *err);

/* Connect to "host:port", retrying refused connections until timeout_ns. */
int wd_net_connect(const char *addr, int64_t timeout_ns, int *fd, wd_error *err);

/* Accept one connection within timeout_ns: 1 with *fd, 0 on timeout. */
int wd_net_accept(int lfd, int64_t timeout_ns, int *fd, wd_error *err);

/* The local address of connected socket fd, as "host" (for peers to reach us). */
int wd_net_local_host(int fd, char *host, size_t cap);

/* The remote address of fd as "host:port" (for messages). */
void wd_net_peer_name(int fd, char *out, size_t cap);

/* Write all n bytes (blocking, each wait at most timeout_ns). */
int wd_net_write(int fd, const void *p, size_t n, int64_t timeout_ns, wd_error *err);

/*
 * Read exactly n bytes.  Waits at most timeout_ns in all (0: no limit)
 * and returns early with WD_ESTOPPED when *stop becomes true (stop may be
 * NULL).  A connection closed before n bytes is WD_ENET "connection
 * closed"; with n bytes read, 0.
 */
int wd_net_read(int fd, void *p, size_t n, int64_t timeout_ns, const _Atomic bool *stop,
                wd_error *err);

void wd_net_close(int *fd);

#endif
