/*
 * process.h — worker processes, as both schedulers start them: the
 * controller's process scheduler and the node daemon.
 */
#ifndef WD_CONTROL_PROCESS_H
#define WD_CONTROL_PROCESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Start `exe worker --controller ADDR --run R --worker I`; 0 with *pid, or
 * an errno. */
int wd_spawn_worker(const char *exe, const char *controller, uint64_t run, uint32_t worker,
                    pid_t *pid);

/* A wait status in words: "exited with status 1", "was killed by signal 9". */
void wd_wait_status_text(int status, char *out, size_t cap);

#endif
