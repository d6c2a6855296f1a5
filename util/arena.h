/*
 * util/arena.h - a bump allocator for one render: many small allocations, freed at once.
 * Blocks are chained; a request larger than the block size gets a block of its own.
 * Allocations are aligned for any scalar type.
 */
#ifndef RS_UTIL_ARENA_H
#define RS_UTIL_ARENA_H

#include <stddef.h>

typedef struct rs_arena_block rs_arena_block;

typedef struct rs_arena {
    rs_arena_block *head;
    size_t block_size;
    size_t total;  /* bytes handed out, for limits and benchmarks */
} rs_arena;

#define RS_ARENA_INIT {NULL, 0, 0}

void rs_arena_init(rs_arena *a, size_t block_size);
/* Free every block. NULL-safe; the arena may be used again afterwards. */
void rs_arena_free(rs_arena *a);
/* Keep the first block, drop the rest, and start over: cheap reuse across renders. */
void rs_arena_reset(rs_arena *a);
void *rs_arena_alloc(rs_arena *a, size_t size);
void *rs_arena_calloc(rs_arena *a, size_t count, size_t size);
char *rs_arena_strndup(rs_arena *a, const char *s, size_t len);

#endif
