#include "util/vec.h"

#include "rosetta/error.h"
#include "util/alloc.h"

#include <stdint.h>
#include <string.h>

void rs_vec_init(rs_vec *v, size_t elem_size)
{
    v->items = NULL;
    v->len = v->cap = 0;
    v->elem_size = elem_size;
}

void rs_vec_free(rs_vec *v)
{
    if (!v)
        return;
    rs_free(v->items);
    v->items = NULL;
    v->len = v->cap = 0;
}

int rs_vec_reserve(rs_vec *v, size_t n)
{
    if (n <= v->cap - v->len)
        return 0;
    if (n > SIZE_MAX - v->len)
        return RS_ENOMEM;
    size_t need = v->len + n;
    size_t cap = v->cap ? v->cap : 8;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    if (cap > SIZE_MAX / v->elem_size)
        return RS_ENOMEM;
    void *p = rs_realloc(v->items, cap * v->elem_size);
    if (!p)
        return RS_ENOMEM;
    v->items = p;
    v->cap = cap;
    return 0;
}

int rs_vec_push(rs_vec *v, const void *elem)
{
    if (rs_vec_reserve(v, 1))
        return RS_ENOMEM;
    memcpy((char *)v->items + v->len * v->elem_size, elem, v->elem_size);
    v->len++;
    return 0;
}

void *rs_vec_push_zero(rs_vec *v)
{
    if (rs_vec_reserve(v, 1))
        return NULL;
    void *slot = (char *)v->items + v->len * v->elem_size;
    memset(slot, 0, v->elem_size);
    v->len++;
    return slot;
}

void *rs_vec_at(const rs_vec *v, size_t i)
{
    return (char *)v->items + i * v->elem_size;
}

int rs_vec_pop(rs_vec *v, void *out)
{
    if (v->len == 0)
        return RS_ENOTFOUND;
    v->len--;
    if (out)
        memcpy(out, (char *)v->items + v->len * v->elem_size, v->elem_size);
    return 0;
}
