/*
 * net.c — TCP helpers (net.h): getaddrinfo, non-blocking connect with
 * poll, poll-sliced reads and writes.  TCP_NODELAY everywhere: the data
 * plane batches its own writes.
 *
 * Exports: wd_net_split, wd_net_listen, wd_net_connect, wd_net_accept,
 * wd_net_local_host, wd_net_peer_name, wd_net_write, wd_net_read,
 * wd_net_close.
 */
#include "runtime/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/timeutil.h"

#define SLICE_MS 50


bool wd_net_split(const char *addr, char *host, size_t hostcap, uint16_t *port)
{
    const char *colon = strrchr(addr, ':');
    if (!colon) return false;
    const char *h = addr;
    size_t hl = (size_t)(colon - addr);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (hl >= hostcap) return false;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || p < 0 || p > 65535) return false;
    memcpy(host, h, hl);
    host[hl] = 0;
    *port = (uint16_t)p;
    return true;
}

static void tune(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    int buf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
}

int wd_net_listen(const char *host, uint16_t port, int *fd, uint16_t *bound, wd_error *err)
{
    *fd = -1;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    char ps[8];
    snprintf(ps, sizeof ps, "%u", port);
    struct addrinfo *res;
    int g = getaddrinfo(host && *host ? host : NULL, ps, &hints, &res);
    if (g != 0)
        return wd_err(err, WD_ENET, "cannot listen on %s:%u: %s", host ? host : "", port,
                      gai_strerror(g));
    int e = 0;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        int s = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
        if (s < 0) {
            e = errno;
            continue;
        }
        int one = 1;
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(s, a->ai_addr, a->ai_addrlen) == 0 && listen(s, 128) == 0) {
            struct sockaddr_storage ss;
            socklen_t sl = sizeof ss;
            getsockname(s, (struct sockaddr *)&ss, &sl);
            *bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                    : ((struct sockaddr_in *)&ss)->sin_port);
            *fd = s;
            freeaddrinfo(res);
            return 0;
        }
        e = errno;
        close(s);
    }
    freeaddrinfo(res);
    return wd_err(err, WD_ENET, "cannot listen on %s:%u: %s", host && *host ? host : "*", port,
                  strerror(e));
}

/* One connect attempt within ms; 0, or an errno. */
static int try_connect(const struct addrinfo *a, int ms, int *fd)
{
    int s = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0) return errno;
    int rc = connect(s, a->ai_addr, a->ai_addrlen);
    if (rc < 0 && errno == EINPROGRESS) {
        struct pollfd p = {.fd = s, .events = POLLOUT};
        int pr = poll(&p, 1, ms);
        if (pr <= 0) {
            close(s);
            return pr == 0 ? ETIMEDOUT : errno;
        }
        int so = 0;
        socklen_t sl = sizeof so;
        getsockopt(s, SOL_SOCKET, SO_ERROR, &so, &sl);
        if (so) {
            close(s);
            return so;
        }
    } else if (rc < 0) {
        int e = errno;
        close(s);
        return e;
    }
    fcntl(s, F_SETFL, fcntl(s, F_GETFL) & ~O_NONBLOCK);
    tune(s);
    *fd = s;
    return 0;
}

int wd_net_connect(const char *addr, int64_t timeout_ns, int *fd, wd_error *err)
{
    *fd = -1;
    char host[256];
    uint16_t port;
    if (!wd_net_split(addr, host, sizeof host, &port) || port == 0)
        return wd_err(err, WD_EINVALID, "'%s' is not an address (host:port)", addr);
    int64_t deadline = wd_mono_ns() + timeout_ns;
    int e = 0;
    for (;;) {
        struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                                 .ai_flags = AI_NUMERICSERV};
        char ps[8];
        snprintf(ps, sizeof ps, "%u", port);
        struct addrinfo *res;
        int g = getaddrinfo(host[0] ? host : "127.0.0.1", ps, &hints, &res);
        if (g == 0) {
            for (struct addrinfo *a = res; a; a = a->ai_next) {
                int64_t left = deadline - wd_mono_ns();
                int ms = left > 0 ? (int)(left / WD_NS_PER_MS) + 1 : 1;
                e = try_connect(a, ms > 2000 ? 2000 : ms, fd);
                if (e == 0) break;
            }
            freeaddrinfo(res);
            if (e == 0) return 0;
        }
        if (wd_mono_ns() >= deadline)
            return wd_err(err, WD_ENET, "cannot connect to %s: %s", addr,
                          g ? gai_strerror(g) : strerror(e));
        struct timespec ts = {0, 100 * WD_NS_PER_MS};
        nanosleep(&ts, NULL);
    }
}

int wd_net_accept(int lfd, int64_t timeout_ns, int *fd, wd_error *err)
{
    *fd = -1;
    struct pollfd p = {.fd = lfd, .events = POLLIN};
    int ms = (int)(timeout_ns / WD_NS_PER_MS);
    int pr = poll(&p, 1, ms < 0 ? 0 : ms);
    if (pr == 0) return 0;
    if (pr < 0) return errno == EINTR ? 0 : wd_err(err, WD_ENET, "poll: %s", strerror(errno));
    int s = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (s < 0) {
        if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED) return 0;
        return wd_err(err, WD_ENET, "accept: %s", strerror(errno));
    }
    tune(s);
    *fd = s;
    return 1;
}

int wd_net_local_host(int fd, char *host, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) return WD_ENET;
    return getnameinfo((struct sockaddr *)&ss, sl, host, (socklen_t)cap, NULL, 0, NI_NUMERICHOST)
               ? WD_ENET
               : 0;
}

void wd_net_peer_name(int fd, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char h[128], p[16];
    if (getpeername(fd, (struct sockaddr *)&ss, &sl) < 0 ||
        getnameinfo((struct sockaddr *)&ss, sl, h, sizeof h, p, sizeof p,
                    NI_NUMERICHOST | NI_NUMERICSERV)) {
        snprintf(out, cap, "?");
        return;
    }
    snprintf(out, cap, "%s:%s", h, p);
}

int wd_net_write(int fd, const void *buf, size_t n, int64_t timeout_ns, wd_error *err)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pf = {.fd = fd, .events = POLLOUT};
            int pr = poll(&pf, 1, (int)(timeout_ns / WD_NS_PER_MS));
            if (pr == 0) return wd_err(err, WD_ENET, "write timed out");
            if (pr < 0 && errno != EINTR) return wd_err(err, WD_ENET, "poll: %s", strerror(errno));
            continue;
        }
        return wd_err(err, WD_ENET, "write: %s", w < 0 ? strerror(errno) : "connection closed");
    }
    return 0;
}

int wd_net_read(int fd, void *buf, size_t n, int64_t timeout_ns, const _Atomic bool *stop,
                wd_error *err)
{
    char *p = buf;
    int64_t deadline = timeout_ns > 0 ? wd_mono_ns() + timeout_ns : INT64_MAX;
    while (n > 0) {
        ssize_t r = recv(fd, p, n, MSG_DONTWAIT);
        if (r > 0) {
            p += r;
            n -= (size_t)r;
            continue;
        }
        if (r == 0) return wd_err(err, WD_ENET, "connection closed");
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return wd_err(err, WD_ENET, "read: %s", strerror(errno));
        if (stop && atomic_load_explicit(stop, memory_order_acquire))
            return wd_err(err, WD_ESTOPPED, "stopped");
        int64_t left = deadline - wd_mono_ns();
        if (left <= 0) return wd_err(err, WD_ENET, "read timed out");
        int ms = left / WD_NS_PER_MS > SLICE_MS ? SLICE_MS : (int)(left / WD_NS_PER_MS) + 1;
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (poll(&pf, 1, ms) < 0 && errno != EINTR)
            return wd_err(err, WD_ENET, "poll: %s", strerror(errno));
    }
    return 0;
}

void wd_net_close(int *fd)
{
    if (*fd >= 0) close(*fd);
    *fd = -1;
}
