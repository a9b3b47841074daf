/*
 * alloc.c — the counting allocator, the failure injector, and arenas.
 *
 * Every wd_malloc block carries a 16-byte header holding its size, so that
 * wd_free can subtract it from the live-byte count and the user pointer
 * keeps malloc's 16-byte alignment.
 *
 * Arenas bump-allocate from chunks.  Chunks of the default size (64 KiB,
 * what batch arenas use) are recycled through a small mutex-protected
 * global free list, so that batches made and freed at a high rate do not
 * go to malloc every time.  Under AddressSanitizer, unused arena space and
 * recycled chunks are poisoned so that overflows and use-after-free of
 * arena memory are still caught.
 *
 * Exports: wd_malloc, wd_calloc, wd_realloc, wd_free, wd_strdup,
 * wd_strndup, wd_alloc_live_bytes, wd_alloc_fail_after, wd_alloc_prefault,
 * wd_arena_*.
 */
#include "common/alloc.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/error.h"

#if defined(__SANITIZE_ADDRESS__)
#define WD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WD_ASAN 1
#endif
#endif

#ifdef WD_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* ---- counting allocator ------------------------------------------------ */

#define HDR_MAGIC 0x5744414c4c4f43ULL /* "WDALLOC" */
#define HDR_DEAD 0x5744444541440000ULL

typedef struct hdr {
    size_t size;
    uint64_t magic;
} hdr;

_Static_assert(sizeof(hdr) == 16, "allocation header must keep 16-byte alignment");

static _Atomic int64_t live_bytes;
static _Atomic long fail_countdown;

/*
 * True when the failure injector says this allocation must fail.  The
 * injector is single-shot: the n-th allocation after wd_alloc_fail_after(n)
 * fails, then the injector is off again.
 */
static bool inject_fail(void)
{
    long c = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
    while (WD_UNLIKELY(c > 0)) {
        if (atomic_compare_exchange_weak(&fail_countdown, &c, c - 1)) return c == 1;
    }
    return false;
}

void wd_alloc_fail_after(long n) { atomic_store(&fail_countdown, n > 0 ? n : 0); }

int64_t wd_alloc_live_bytes(void) { return atomic_load_explicit(&live_bytes, memory_order_relaxed); }

static void *finish(hdr *h, size_t n)
{
    if (WD_UNLIKELY(!h)) wd_panic("out of memory allocating %zu bytes", n);
    h->size = n;
    h->magic = HDR_MAGIC;
    atomic_fetch_add_explicit(&live_bytes, (int64_t)n, memory_order_relaxed);
    return h + 1;
}

static hdr *header_of(void *p)
{
    hdr *h = (hdr *)p - 1;
    if (WD_UNLIKELY(h->magic != HDR_MAGIC))
        wd_panic("wd_free/wd_realloc of a pointer not from wd_malloc (or freed twice): %p", p);
    return h;
}

/* n bytes (16-byte aligned), or NULL only when the injector fails it. */
/*
 * Batches allocate and free buffers of a few hundred KiB at a high rate.
 * With glibc's defaults such blocks are mmapped or make the heap shrink and
 * grow on every batch (a page fault storm); keep them on the heap instead.
 */
__attribute__((constructor)) static void alloc_tune(void)
{
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

void *wd_malloc(size_t n)
{
    if (inject_fail()) return NULL;
    if (WD_UNLIKELY(n > SIZE_MAX - sizeof(hdr))) wd_panic("allocation of %zu bytes", n);
    return finish(malloc(sizeof(hdr) + n), n);
}

/* count*size zeroed bytes; panics on overflow of the product. */
void *wd_calloc(size_t count, size_t size)
{
    size_t n;
    if (inject_fail()) return NULL;
    if (WD_UNLIKELY(__builtin_mul_overflow(count, size, &n) || n > SIZE_MAX - sizeof(hdr)))
        wd_panic("allocation of %zu x %zu bytes", count, size);
    return finish(calloc(1, sizeof(hdr) + n), n);
}

/* Resize p (NULL: allocate).  On injected failure p is left untouched. */
void *wd_realloc(void *p, size_t n)
{
    if (!p) return wd_malloc(n);
    if (inject_fail()) return NULL;
    if (WD_UNLIKELY(n > SIZE_MAX - sizeof(hdr))) wd_panic("allocation of %zu bytes", n);
    hdr *h = header_of(p);
    size_t old = h->size;
    hdr *nh = realloc(h, sizeof(hdr) + n);
    if (WD_UNLIKELY(!nh)) wd_panic("out of memory reallocating %zu bytes", n);
    nh->size = n;
    atomic_fetch_add_explicit(&live_bytes, (int64_t)n - (int64_t)old, memory_order_relaxed);
    return nh + 1;
}

void wd_free(void *p)
{
    if (!p) return;
    hdr *h = header_of(p);
    atomic_fetch_sub_explicit(&live_bytes, (int64_t)h->size, memory_order_relaxed);
    h->magic = HDR_DEAD;
    free(h);
}

char *wd_strdup(const char *s)
{
    if (!s) return NULL;
    return wd_strndup(s, strlen(s));
}

/* At most n bytes of s, NUL-terminated. */
char *wd_strndup(const char *s, size_t n)
{
    if (!s) return NULL;
    size_t k = strnlen(s, n);
    char *d = wd_malloc(k + 1);
    if (!d) return NULL;
    memcpy(d, s, k);
    d[k] = 0;
    return d;
}

/*
 * Fault in the whole pages of p[0..n) (a fresh block about to be filled)
 * in one system call: filling a large store page by page otherwise takes
 * a page fault every 4 KiB, which costs more than writing the bytes.
 * Linux's MADV_POPULATE_WRITE; nothing happens where it is unknown or
 * refused (the pages then fault in as they are written).
 */
void wd_alloc_prefault(void *p, size_t n)
{
#ifdef MADV_POPULATE_WRITE
    static long page;
    if (!page) page = sysconf(_SC_PAGESIZE) > 0 ? sysconf(_SC_PAGESIZE) : 4096;
    uintptr_t a = ((uintptr_t)p + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
    uintptr_t e = ((uintptr_t)p + n) & ~((uintptr_t)page - 1);
    if (e > a) (void)madvise((void *)a, e - a, MADV_POPULATE_WRITE);
#else
    (void)p;
    (void)n;
#endif
}

/* ---- arenas ------------------------------------------------------------ */

#define ARENA_DEFAULT (64u * 1024u)
#define FREE_CHUNKS_MAX 64

struct wd_arena_chunk {
    wd_arena_chunk *next;
    size_t size; /* usable bytes after this header */
};

_Static_assert(sizeof(wd_arena_chunk) == 16, "chunk header must keep 16-byte alignment");

static pthread_mutex_t free_mu = PTHREAD_MUTEX_INITIALIZER;
static wd_arena_chunk *free_chunks;
static int nfree_chunks;

static inline size_t round16(size_t n) { return n == 0 ? 16 : (n + 15) & ~(size_t)15; }
static inline char *chunk_data(wd_arena_chunk *c) { return (char *)(c + 1); }

static wd_arena_chunk *chunk_new(size_t size)
{
    wd_arena_chunk *c = NULL;
    if (size == ARENA_DEFAULT) {
        pthread_mutex_lock(&free_mu);
        c = free_chunks;
        if (c) {
            free_chunks = c->next;
            nfree_chunks--;
        }
        pthread_mutex_unlock(&free_mu);
        if (c) {
            if (inject_fail()) {
                /* keep the injector's contract even for recycled chunks */
                pthread_mutex_lock(&free_mu);
                c->next = free_chunks;
                free_chunks = c;
                nfree_chunks++;
                pthread_mutex_unlock(&free_mu);
                return NULL;
            }
            c->next = NULL;
            c->size = size;
            return c;
        }
    }
    if (WD_UNLIKELY(size > SIZE_MAX - sizeof(wd_arena_chunk) - 64))
        wd_panic("arena chunk of %zu bytes", size);
    c = wd_malloc(sizeof(wd_arena_chunk) + size);
    if (!c) return NULL;
    c->next = NULL;
    c->size = size;
    POISON(chunk_data(c), size);
    return c;
}

static void chunk_release(wd_arena_chunk *c)
{
    if (c->size == ARENA_DEFAULT) {
        pthread_mutex_lock(&free_mu);
        if (nfree_chunks < FREE_CHUNKS_MAX) {
            c->next = free_chunks;
            free_chunks = c;
            nfree_chunks++;
            POISON(chunk_data(c), c->size); /* header stays visible to leak checks */
            pthread_mutex_unlock(&free_mu);
            return;
        }
        pthread_mutex_unlock(&free_mu);
    }
    UNPOISON(chunk_data(c), c->size);
    wd_free(c);
}

void wd_arena_init(wd_arena *a, size_t chunk_size)
{
    a->head = NULL;
    a->cur = NULL;
    a->end = NULL;
    a->chunk_size = chunk_size ? round16(chunk_size) : ARENA_DEFAULT;
    a->total = 0;
}

/* Allocate from a new chunk: a dedicated one for big requests (kept behind
 * the current chunk so its free space stays usable), else a fresh default
 * chunk that becomes the current one. */
static void *arena_slow(wd_arena *a, size_t need)
{
    if (need > a->chunk_size / 4 || need > a->chunk_size) {
        wd_arena_chunk *c = chunk_new(need);
        if (!c) return NULL;
        a->total += need;
        if (a->head) {
            c->next = a->head->next;
            a->head->next = c;
        } else {
            a->head = c;
            a->cur = a->end = chunk_data(c) + need;
        }
        return chunk_data(c);
    }
    wd_arena_chunk *c = chunk_new(a->chunk_size);
    if (!c) return NULL;
    a->total += a->chunk_size;
    c->next = a->head;
    a->head = c;
    a->cur = chunk_data(c) + need;
    a->end = chunk_data(c) + a->chunk_size;
    return chunk_data(c);
}

/* n bytes aligned to 16 from arena a; NULL only under the failure injector. */
void *wd_arena_alloc(wd_arena *a, size_t n)
{
    if (WD_UNLIKELY(n > SIZE_MAX / 2)) wd_panic("arena allocation of %zu bytes", n);
    size_t need = round16(n);
    void *p;
    if (WD_LIKELY((size_t)(a->end - a->cur) >= need && a->cur)) {
        if (inject_fail()) return NULL;
        p = a->cur;
        a->cur += need;
    } else {
        p = arena_slow(a, need);
        if (!p) return NULL;
    }
    UNPOISON(p, n ? n : 1);
    return p;
}

void *wd_arena_calloc(wd_arena *a, size_t n)
{
    void *p = wd_arena_alloc(a, n);
    if (p) memset(p, 0, n);
    return p;
}

char *wd_arena_strndup(wd_arena *a, const char *s, size_t n)
{
    if (!s) return NULL;
    size_t k = strnlen(s, n);
    char *d = wd_arena_alloc(a, k + 1);
    if (!d) return NULL;
    memcpy(d, s, k);
    d[k] = 0;
    return d;
}

char *wd_arena_strdup(wd_arena *a, const char *s)
{
    if (!s) return NULL;
    return wd_arena_strndup(a, s, strlen(s));
}

char *wd_arena_printf(wd_arena *a, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0) {
        va_end(ap2);
        return NULL;
    }
    char *d = wd_arena_alloc(a, (size_t)k + 1);
    if (d) vsnprintf(d, (size_t)k + 1, fmt, ap2);
    va_end(ap2);
    return d;
}

/*
 * Grow (or shrink) p from old_n to new_n bytes.  In place when p is the
 * last allocation of the current chunk and the chunk has room; otherwise a
 * copy (the old space is wasted until reset).  p == NULL allocates.
 */
void *wd_arena_realloc(wd_arena *a, void *p, size_t old_n, size_t new_n)
{
    if (!p) return wd_arena_alloc(a, new_n);
    if (WD_UNLIKELY(new_n > SIZE_MAX / 2)) wd_panic("arena allocation of %zu bytes", new_n);
    char *cp = p;
    size_t old_need = round16(old_n), new_need = round16(new_n);
    if (a->cur && cp + old_need == a->cur && cp >= chunk_data(a->head) &&
        (size_t)(a->end - cp) >= new_need) {
        if (new_n > old_n && inject_fail()) return NULL;
        a->cur = cp + new_need;
        if (new_need < old_need) POISON(a->cur, old_need - new_need);
        UNPOISON(cp, new_n ? new_n : 1);
        return p;
    }
    if (new_n <= old_n) return p;
    void *d = wd_arena_alloc(a, new_n);
    if (!d) return NULL;
    memcpy(d, p, old_n);
    return d;
}

/* Free every chunk but one default-size chunk, which becomes empty. */
void wd_arena_reset(wd_arena *a)
{
    wd_arena_chunk *keep = NULL, *c = a->head;
    while (c) {
        wd_arena_chunk *next = c->next;
        if (!keep && c->size == a->chunk_size) {
            keep = c;
        } else {
            chunk_release(c);
        }
        c = next;
    }
    a->head = keep;
    a->total = 0;
    if (keep) {
        keep->next = NULL;
        a->cur = chunk_data(keep);
        a->end = a->cur + keep->size;
        a->total = keep->size;
        POISON(a->cur, keep->size);
    } else {
        a->cur = a->end = NULL;
    }
}

void wd_arena_free(wd_arena *a)
{
    wd_arena_chunk *c = a->head;
    while (c) {
        wd_arena_chunk *next = c->next;
        chunk_release(c);
        c = next;
    }
    a->head = NULL;
    a->cur = a->end = NULL;
    a->total = 0;
}
