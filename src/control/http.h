/*
 * http.h — a small HTTP server for monitoring (Prometheus scrapes, status
 * pages), on libmicrohttpd.
 *
 * The server answers GET and HEAD by calling one handler with the URL's
 * path; other methods get 405.  One thread of its own serves every
 * connection, one request at a time: the handler is never called twice at
 * once, but it runs beside the caller's threads.  Idle connections
 * are closed after a timeout, and the number of connections is bounded.
 */
#ifndef WD_HTTP_H
#define WD_HTTP_H

#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

typedef struct wd_http wd_http;

/* What a handler answers: status 200 and text/plain unless it sets them. */
typedef struct wd_http_reply {
    int status;
    const char *content_type; /* a string that outlives the server (a literal) */
    wd_buf body;
} wd_http_reply;

/* Answer a GET (or HEAD) of path (without the query string) into *reply. */
typedef void (*wd_http_handler)(void *ctx, const char *path, wd_http_reply *reply);

/*
 * Listen on bind_addr (a numeric address or a host name; NULL: 127.0.0.1)
 * and port (0: any free port, see wd_http_port), answering with fn(ctx, …)
 * until wd_http_stop.  Returns the server, or NULL with err filled
 * ("cannot listen on ADDR:PORT: Address already in use", …).
 */
wd_http *wd_http_start(const char *bind_addr, uint16_t port, wd_http_handler fn, void *ctx,
                       wd_error *err);

/* The port the server listens on. */
uint16_t wd_http_port(const wd_http *h);

/* Close the listening socket and every connection, wait for the server's
 * thread and free h (NULL: nothing).  The handler is not called after. */
void wd_http_stop(wd_http *h);

#endif
