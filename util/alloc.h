/*
 * util/alloc.h - the one allocator every Rosetta module uses.
 *
 * All heap memory goes through rs_malloc/rs_calloc/rs_realloc/rs_free (and cJSON is hooked to
 * them by rs_global_init), so tests can make the Nth allocation fail and prove that every failure
 * path reports RS_ENOMEM and leaks nothing.
 */
#ifndef RS_UTIL_ALLOC_H
#define RS_UTIL_ALLOC_H

#include <stddef.h>

void *rs_malloc(size_t size);
void *rs_calloc(size_t count, size_t size);
/* Like realloc, but on failure the old block is left untouched and NULL returned. */
void *rs_realloc(void *ptr, size_t size);
void rs_free(void *ptr);
/* A NUL-terminated copy of (s, len); NULL when out of memory. */
char *rs_strndup(const char *s, size_t len);
char *rs_strdup(const char *s);

/*
 * Fault injection for tests: after rs_alloc_fail_after(n), the n+1-th allocation from now on
 * and all later ones fail until rs_alloc_fail_after(-1). Thread-local, so concurrent tests do
 * not interfere. rs_alloc_count() is the number of allocations made in this thread.
 */
void rs_alloc_fail_after(long n);
long rs_alloc_count(void);

#endif
