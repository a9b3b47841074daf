/*
 * alloc.h — the one allocation entry point, and arenas.
 *
 * wd_malloc & co. count live bytes (memory limits and metrics read the
 * count) and can be made to fail on purpose in tests.  On real exhaustion
 * they panic: library code never sees a NULL from them unless a test armed
 * the failure injector, so callers check the result only where a test
 * exercises that path (the SQL front end and batch builders do).
 *
 * An arena is a bump allocator over chunks: many small allocations, one
 * free.  Arenas hold a plan's AST and types, a batch's buffers, an
 * operator's scratch space.
 */
#ifndef WD_ALLOC_H
#define WD_ALLOC_H

#include <stddef.h>
#include <stdint.h>

void *wd_malloc(size_t n);
void *wd_calloc(size_t count, size_t size);
void *wd_realloc(void *p, size_t n);
void wd_free(void *p);
char *wd_strdup(const char *s);
char *wd_strndup(const char *s, size_t n);

/* Live bytes allocated through wd_malloc & co. (approximate, all threads). */
int64_t wd_alloc_live_bytes(void);

/* Make the pages of a fresh block p[0..n) resident in one step, before it
 * is filled (a hint: a no-op where the system cannot). */
void wd_alloc_prefault(void *p, size_t n);

/* Tests: make the n-th following allocation fail (return NULL); 0 = off. */
void wd_alloc_fail_after(long n);

typedef struct wd_arena_chunk wd_arena_chunk;

typedef struct wd_arena {
    wd_arena_chunk *head;  /* current chunk; older chunks follow */
    char *cur;             /* bump pointer in head */
    char *end;             /* end of head's usable space */
    size_t chunk_size;     /* default size of new chunks */
    size_t total;          /* bytes held in chunks */
} wd_arena;

/* Initialise an empty arena whose chunks are chunk_size bytes (0: 64 KiB). */
void wd_arena_init(wd_arena *a, size_t chunk_size);

/* Allocate n bytes aligned to 16.  Never NULL unless the injector fails it. */
void *wd_arena_alloc(wd_arena *a, size_t n);
void *wd_arena_calloc(wd_arena *a, size_t n);
char *wd_arena_strdup(wd_arena *a, const char *s);
char *wd_arena_strndup(wd_arena *a, const char *s, size_t n);
char *wd_arena_printf(wd_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Grow an allocation made from this arena from old_n to new_n bytes.  When
 * p is the last allocation it grows in place; otherwise it is copied and the
 * old space is wasted until the arena is reset.
 */
void *wd_arena_realloc(wd_arena *a, void *p, size_t old_n, size_t new_n);

/* Free everything but keep the first chunk for reuse. */
void wd_arena_reset(wd_arena *a);

/* Free everything. */
void wd_arena_free(wd_arena *a);

#endif
