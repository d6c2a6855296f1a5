/*
 * util/arena.h - a bump allocator for one render: many small allocations, freed at once.
 * Blocks are chained; a request larger than the block size gets a block of its own.
 * Allocations are aligned for any scalar type.
 *
 * rs_arena_alloc is inline: compiling a prompt makes some 450 allocations, and a call per
 * allocation cost more than the bump itself. Only a full block goes out of line.
 */
#ifndef RS_UTIL_ARENA_H
#define RS_UTIL_ARENA_H

#include <stddef.h>
#include <string.h>

typedef struct rs_arena_block rs_arena_block;

typedef struct rs_arena {
    rs_arena_block *head;
    /* the head block's free space; end - cur is a multiple of RS_ARENA_ALIGN */
    unsigned char *cur, *end;
    size_t block_size;
    size_t total; /* bytes handed out, for limits and benchmarks */
} rs_arena;

#define RS_ARENA_INIT                                                                              \
    {                                                                                              \
        NULL, NULL, NULL, 0, 0                                                                     \
    }
#define RS_ARENA_ALIGN ((size_t) _Alignof(max_align_t))

void rs_arena_init(rs_arena *a, size_t block_size);
/* rs_arena_init with the first allocations made in the caller's buf (size bytes, e.g. on the
 * stack, outliving the arena's use), blocks only once it is full: a render whose result fits
 * allocates nothing. rs_arena_free never frees buf; rs_arena_reset does not make its space free
 * again (use such an arena once). */
void rs_arena_init_buffer(rs_arena *a, void *buf, size_t size, size_t block_size);
/* Free every block. NULL-safe; the arena may be used again afterwards. */
void rs_arena_free(rs_arena *a);
/* Keep the first block, drop the rest, and start over: cheap reuse across renders. */
void rs_arena_reset(rs_arena *a);
/* rs_arena_alloc when the head block has no room (or size is 0): a new block. */
void *rs_arena_alloc_slow(rs_arena *a, size_t size);
void *rs_arena_calloc(rs_arena *a, size_t count, size_t size);

static inline void *rs_arena_alloc(rs_arena *a, size_t size)
{
    size_t avail = (size_t)(a->end - a->cur);
    /* 1 <= size <= avail: the rounded size fits too, avail being a multiple of the alignment
     * (size 0 wraps around and takes the slow path, which rounds it up to one unit) */
    if (size - 1 < avail) {
        size_t rounded = (size + RS_ARENA_ALIGN - 1) & ~(RS_ARENA_ALIGN - 1);
        void *p = a->cur;
        a->cur += rounded;
        a->total += rounded;
        return p;
    }
    return rs_arena_alloc_slow(a, size);
}

/* (s, len) as a NUL-terminated copy; s need not be NUL-terminated. Inline: compiling a prompt
 * copies some hundred keys and names of a few bytes. */
static inline char *rs_arena_strndup(rs_arena *a, const char *s, size_t len)
{
    char *p = rs_arena_alloc(a, len + 1);
    if (!p)
        return NULL;
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

#endif
