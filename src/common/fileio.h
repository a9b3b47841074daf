/*
 * fileio.h — the two file operations every durable writer needs: write a
 * whole buffer (retrying short writes and EINTR) and fsync a directory
 * (so that a file created or renamed in it lasts).  Both return 0, or -1
 * with errno set; the caller words the error.
 */
#ifndef WD_FILEIO_H
#define WD_FILEIO_H

#include <stddef.h>

int wd_write_all(int fd, const void *p, size_t n);
int wd_fsync_dir(const char *dir);

#endif
