/*
 * suggest.h — "did you mean …?" suggestions: edit distance between names
 * and the closest candidate to a misspelt one.
 */
#ifndef WD_SUGGEST_H
#define WD_SUGGEST_H

#include <stddef.h>

/*
 * Edit distance between a and b, case-insensitive (ASCII): insertions,
 * deletions, substitutions and transpositions of adjacent characters each
 * cost 1.  NULL counts as "".  Returns INT_MAX when scratch memory cannot be
 * had (only under the test allocation-failure injector).
 */
int wd_edit_distance(const char *a, const char *b);

/*
 * The candidate closest to name by wd_edit_distance, when that distance is
 * at most max(1, strlen(name) / 3); the first one on ties; NULL when none
 * is that close.  NULL entries of cands are skipped.  The result is one of
 * cands (not a copy).
 */
const char *wd_suggest(const char *name, const char *const *cands, size_t n);

#endif
