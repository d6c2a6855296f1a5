/*
 * util/edit_distance.h - the Levenshtein distance (insertions, deletions and substitutions of
 * bytes, each costing 1). Two users with different limits: the registry's "did you mean"
 * suggestions (short names, a stack row) and the `similarity` scorer (answers up to a few
 * thousand bytes, a heap row), so the caller owns the row and the function only fills it.
 */
#ifndef RS_UTIL_EDIT_DISTANCE_H
#define RS_UTIL_EDIT_DISTANCE_H

#include <stddef.h>

/* The distance between a[0..la) and b[0..lb), using row[0..lb] (lb + 1 entries) as scratch:
 * one row of the dynamic-programming table is enough, so memory is O(lb), time O(la * lb). */
size_t rs_edit_distance(const char *a, size_t la, const char *b, size_t lb, size_t *row);

#endif
