/*
 * rosetta/memory.h - the allocator behind every buffer Rosetta hands out or takes over.
 * A char * documented as "free with rs_free" must be released with rs_free, never free();
 * a buffer a callback hands to Rosetta (a partial's source, say) must come from rs_malloc.
 */
#ifndef ROSETTA_MEMORY_H
#define ROSETTA_MEMORY_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void *rs_malloc(size_t size);
void rs_free(void *ptr);

#ifdef __cplusplus
}
#endif
#endif
