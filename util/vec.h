/*
 * util/vec.h - a growable array of fixed-size elements.
 * Growth is overflow-checked; a failed push leaves the array as it was.
 */
#ifndef RS_UTIL_VEC_H
#define RS_UTIL_VEC_H

#include <stddef.h>

typedef struct rs_vec {
    void *items;
    size_t len;
    size_t cap;
    size_t elem_size;
} rs_vec;

#define RS_VEC_INIT(type) {NULL, 0, 0, sizeof(type)}

void rs_vec_init(rs_vec *v, size_t elem_size);
void rs_vec_free(rs_vec *v);
/* Ensure room for n more elements. 0 or RS_ENOMEM. */
int rs_vec_reserve(rs_vec *v, size_t n);
/* Copy *elem to the end. 0 or RS_ENOMEM. */
int rs_vec_push(rs_vec *v, const void *elem);
/* Append a zeroed element and return it, or NULL when out of memory. */
void *rs_vec_push_zero(rs_vec *v);
/* Pointer to element i; i must be < len. */
void *rs_vec_at(const rs_vec *v, size_t i);
/* Remove the last element, copying it to *out when out is not NULL. 0 or RS_ENOTFOUND if empty. */
int rs_vec_pop(rs_vec *v, void *out);

#define RS_VEC_AT(v, type, i) (((type *)(v)->items)[i])

#endif
