#include "util/alloc.h"

#include <stdlib.h>
#include <string.h>

/* Thread-local test hook: -1 means never fail. Not a shared global: each thread has its own. */
static _Thread_local long fail_after = -1;
static _Thread_local long alloc_count;

static int should_fail(void)
{
    alloc_count++;
    if (fail_after < 0)
        return 0;
    if (fail_after == 0)
        return 1;
    fail_after--;
    return 0;
}

void rs_alloc_fail_after(long n)
{
    fail_after = n;
}

long rs_alloc_count(void)
{
    return alloc_count;
}

void *rs_malloc(size_t size)
{
    if (should_fail())
        return NULL;
    return malloc(size ? size : 1);
}

void *rs_calloc(size_t count, size_t size)
{
    if (should_fail())
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *rs_realloc(void *ptr, size_t size)
{
    if (should_fail())
        return NULL;
    return realloc(ptr, size ? size : 1);
}

void rs_free(void *ptr)
{
    free(ptr);
}

char *rs_strndup(const char *s, size_t len)
{
    char *copy = rs_malloc(len + 1);
    if (!copy)
        return NULL;
    if (len)
        memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

char *rs_strdup(const char *s)
{
    return rs_strndup(s, strlen(s));
}
