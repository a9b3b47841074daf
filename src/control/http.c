/*
 * http.c — the monitoring HTTP server (http.h) on libmicrohttpd.
 *
 * The listening socket is made here rather than by libmicrohttpd, so that
 * a failure to bind says why (the address is in use, permission denied)
 * instead of just failing; libmicrohttpd then serves it from its internal
 * polling thread and closes it when stopped.
 *
 * Exports: wd_http_start, wd_http_port, wd_http_stop.
 */
#include "control/http.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "common/alloc.h"

#define CONNECTION_TIMEOUT_S 10u /* an idle connection is closed after this */
#define CONNECTION_LIMIT 64u
#define LISTEN_BACKLOG 16

struct wd_http {
    struct MHD_Daemon *d;
    wd_http_handler fn;
    void *ctx;
    uint16_t port;
};

static enum MHD_Result queue_text(struct MHD_Connection *conn, unsigned status,
                                  const char *type, const void *body, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED) MHD_add_response_header(r, "Allow", "GET, HEAD");
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

/* libmicrohttpd's request callback: answered at once (no request body is
 * read; GET and HEAD have none). */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    wd_http *h = cls;
    static const char text[] = "text/plain; charset=utf-8";
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return queue_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, text, "method not allowed\n", 19);
    wd_http_reply reply = {.status = MHD_HTTP_OK, .content_type = text, .body = WD_BUF_INIT};
    h->fn(h->ctx, url, &reply);
    enum MHD_Result rc = queue_text(conn, (unsigned)reply.status, reply.content_type,
                                    reply.body.data, reply.body.len);
    wd_buf_free(&reply.body);
    return rc;
}

/* A socket bound to addr:port and listening; -1 with err filled. */
static int listen_on(const char *addr, uint16_t port, wd_error *err)
{
    char service[8];
    snprintf(service, sizeof service, "%u", (unsigned)port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    int gai = getaddrinfo(addr, service, &hints, &ai);
    if (gai != 0) {
        wd_err(err, WD_EINVALID, "cannot listen on %s port %u: %s", addr, (unsigned)port,
               gai_strerror(gai));
        return -1;
    }
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    int one = 1;
    if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
        int e = errno;
        if (fd >= 0) close(fd);
        freeaddrinfo(ai);
        wd_err(err, WD_EIO, "cannot listen on %s port %u: %s", addr, (unsigned)port, strerror(e));
        return -1;
    }
    freeaddrinfo(ai);
    return fd;
}

/* Start serving (see http.h). */
wd_http *wd_http_start(const char *bind_addr, uint16_t port, wd_http_handler fn, void *ctx,
                       wd_error *err)
{
    const char *addr = bind_addr ? bind_addr : "127.0.0.1";
    int fd = listen_on(addr, port, err);
    if (fd < 0) return NULL;
    wd_http *h = wd_calloc(1, sizeof *h);
    if (!h) {
        close(fd);
        wd_err(err, WD_ENOMEM, "out of memory");
        return NULL;
    }
    h->fn = fn;
    h->ctx = ctx;
    /* from here on the daemon owns fd: it closes it when stopped */
    h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_request, h,
                            MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
                            MHD_OPTION_CONNECTION_TIMEOUT, CONNECTION_TIMEOUT_S,
                            MHD_OPTION_CONNECTION_LIMIT, CONNECTION_LIMIT, MHD_OPTION_END);
    if (!h->d) {
        wd_free(h);
        wd_err(err, WD_EIO, "cannot serve HTTP on %s port %u", addr, (unsigned)port);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info && info->port ? info->port : port;
    return h;
}

uint16_t wd_http_port(const wd_http *h) { return h->port; }

/* Stop serving and free h (see http.h). */
void wd_http_stop(wd_http *h)
{
    if (!h) return;
    MHD_stop_daemon(h->d);
    wd_free(h);
}
