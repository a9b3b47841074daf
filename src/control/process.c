/*
 * process.c — starting worker processes and describing how they ended
 * (process.h).
 *
 * Exports: wd_spawn_worker, wd_wait_status_text.
 */
#include "control/process.h"

#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>

extern char **environ;

int wd_spawn_worker(const char *exe, const char *controller, uint64_t run, uint32_t worker,
                    pid_t *pid)
{
    char r[24], w[12];
    snprintf(r, sizeof r, "%" PRIu64, run);
    snprintf(w, sizeof w, "%u", worker);
    char *argv[] = {(char *)exe, "worker", "--controller", (char *)controller, "--run", r,
                    "--worker", w, NULL};
    return posix_spawn(pid, exe, NULL, NULL, argv, environ);
}

void wd_wait_status_text(int status, char *out, size_t cap)
{
    if (WIFSIGNALED(status)) snprintf(out, cap, "was killed by signal %d", WTERMSIG(status));
    else snprintf(out, cap, "exited with status %d", WEXITSTATUS(status));
}
