/*
 * log.h — one-line messages on stderr about what a running job does
 * (checkpoints taken, state restored, recoveries), prefixed "wadi: ".
 * WD_LOG_INFO lines are shown by default; WD_LOG_DEBUG ones only after
 * wd_log_set_level(WD_LOG_DEBUG) (`wadi run -v`).  Thread-safe: one
 * write per line.
 */
#ifndef WD_LOG_H
#define WD_LOG_H

typedef enum wd_log_level { WD_LOG_ERROR, WD_LOG_WARN, WD_LOG_INFO, WD_LOG_DEBUG } wd_log_level;

void wd_log_set_level(wd_log_level l);
void wd_log(wd_log_level l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
