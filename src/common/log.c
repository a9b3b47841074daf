/*
 * log.c — one-line messages on stderr (log.h).
 *
 * Exports: wd_log_set_level, wd_log.
 */
#include "common/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

static _Atomic int log_level = WD_LOG_INFO;

void wd_log_set_level(wd_log_level l) { atomic_store(&log_level, (int)l); }

void wd_log(wd_log_level l, const char *fmt, ...)
{
    if ((int)l > atomic_load(&log_level)) return;
    char line[1024];
    static const char *const tag[] = {"error: ", "warning: ", "", ""};
    int n = snprintf(line, sizeof line, "wadi: %s", tag[l]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2) len = sizeof line - 2;
    line[len++] = '\n';
    ssize_t w = write(2, line, len);
    (void)w;
}
