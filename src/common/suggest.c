/*
 * suggest.c — edit distance (optimal string alignment, case-insensitive)
 * and the closest-candidate search behind "did you mean …?" hints.
 *
 * Exports: wd_edit_distance, wd_suggest.
 */
#include "common/suggest.h"

#include <ctype.h>
#include <limits.h>
#include <string.h>

#include "common/alloc.h"

static inline int min3(int a, int b, int c)
{
    int m = a < b ? a : b;
    return m < c ? m : c;
}

static inline int lc(char c) { return tolower((unsigned char)c); }

int wd_edit_distance(const char *a, const char *b)
{
    if (!a) a = "";
    if (!b) b = "";
    size_t la = strlen(a), lb = strlen(b);
    if (la == 0) return lb > INT_MAX ? INT_MAX : (int)lb;
    if (lb == 0) return la > INT_MAX ? INT_MAX : (int)la;
    if (la > 100000 || lb > 100000) return INT_MAX;
    /* three rows: i-2, i-1, i */
    int stackbuf[3 * 65];
    int *mem = stackbuf;
    if (lb + 1 > 65) {
        mem = wd_malloc(3 * (lb + 1) * sizeof(int));
        if (!mem) return INT_MAX;
    }
    int *pp = mem, *prev = mem + (lb + 1), *cur = mem + 2 * (lb + 1);
    for (size_t j = 0; j <= lb; j++) prev[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int cost = lc(a[i - 1]) != lc(b[j - 1]);
            int d = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
            if (i > 1 && j > 1 && lc(a[i - 1]) == lc(b[j - 2]) && lc(a[i - 2]) == lc(b[j - 1]) &&
                pp[j - 2] + 1 < d)
                d = pp[j - 2] + 1;
            cur[j] = d;
        }
        int *t = pp;
        pp = prev;
        prev = cur;
        cur = t;
    }
    int r = prev[lb];
    if (mem != stackbuf) wd_free(mem);
    return r;
}

const char *wd_suggest(const char *name, const char *const *cands, size_t n)
{
    if (!name || !cands) return NULL;
    size_t len = strlen(name);
    int limit = (int)(len / 3 > 1 ? (len / 3 > 1000 ? 1000 : len / 3) : 1);
    const char *best = NULL;
    int bestd = INT_MAX;
    for (size_t i = 0; i < n; i++) {
        if (!cands[i]) continue;
        int d = wd_edit_distance(name, cands[i]);
        if (d <= limit && d < bestd) {
            best = cands[i];
            bestd = d;
        }
    }
    return best;
}
