#include "util/arena.h"

#include "util/alloc.h"

#include <stdalign.h>
#include <stdint.h>
#include <string.h>

struct rs_arena_block {
    rs_arena_block *next;
    size_t size;
    alignas(max_align_t) unsigned char data[];
};

#define ALIGN RS_ARENA_ALIGN

/* Make b the block allocations bump in. */
static void use_block(rs_arena *a, rs_arena_block *b, size_t used)
{
    a->cur = b->data + used;
    a->end = b->data + (b->size & ~(ALIGN - 1));
}

void rs_arena_init(rs_arena *a, size_t block_size)
{
    a->head = NULL;
    a->cur = a->end = NULL;
    a->block_size = block_size ? block_size : 8192;
    a->total = 0;
}

void rs_arena_init_buffer(rs_arena *a, void *buf, size_t size, size_t block_size)
{
    rs_arena_init(a, block_size);
    uintptr_t start = ((uintptr_t)buf + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1);
    size_t skip = (size_t)(start - (uintptr_t)buf);
    if (buf && size > skip) {
        /* no block yet: the first full request makes one (see rs_arena_alloc_slow) */
        a->cur = (unsigned char *)start;
        a->end = a->cur + ((size - skip) & ~(ALIGN - 1));
    }
}

void rs_arena_free(rs_arena *a)
{
    if (!a)
        return;
    rs_arena_block *b = a->head;
    while (b) {
        rs_arena_block *next = b->next;
        rs_free(b);
        b = next;
    }
    a->head = NULL;
    a->cur = a->end = NULL;
    a->total = 0;
}

void rs_arena_reset(rs_arena *a)
{
    if (!a->head)
        return;
    /* The oldest block is the last in the chain; keep it. */
    rs_arena_block *b = a->head, *keep = NULL;
    while (b) {
        rs_arena_block *next = b->next;
        if (!next)
            keep = b;
        else
            rs_free(b);
        b = next;
    }
    keep->next = NULL;
    a->head = keep;
    use_block(a, keep, 0);
    a->total = 0;
}

void *rs_arena_alloc_slow(rs_arena *a, size_t size)
{
    if (size > SIZE_MAX - ALIGN)
        return NULL;
    size_t rounded = (size + ALIGN - 1) & ~(ALIGN - 1);
    if (rounded == 0)
        rounded = ALIGN;
    rs_arena_block *b = a->head;
    if ((size_t)(a->end - a->cur) >= rounded) {
        void *p = a->cur; /* size 0 with room left */
        a->cur += rounded;
        a->total += rounded;
        return p;
    }
    size_t bsize = rounded > a->block_size ? rounded : a->block_size;
    if (bsize > SIZE_MAX - sizeof(rs_arena_block))
        return NULL;
    rs_arena_block *nb = rs_malloc(sizeof(rs_arena_block) + bsize);
    if (!nb)
        return NULL;
    nb->size = bsize;
    a->total += rounded;
    /* An oversized block goes behind the head so the head's free space is not wasted. */
    if (b && rounded > a->block_size) {
        nb->next = b->next;
        b->next = nb;
        return nb->data;
    }
    nb->next = b;
    a->head = nb;
    use_block(a, nb, rounded);
    return nb->data;
}

void *rs_arena_calloc(rs_arena *a, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = rs_arena_alloc(a, count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}
