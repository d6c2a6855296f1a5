/*
 * registry/gitread_delta.c - applying a git delta: two sizes (base, result) in little-endian
 * base-128, then instructions: 1xxxxxxx copies a range of the base (offset and size bytes
 * present per bit), 0nnnnnnn inserts the next n bytes (n = 0 is reserved). Every copy and insert
 * is checked against both buffers; the result must come out at exactly its declared size.
 */
#include "registry/gitread.h"

#include "util/alloc.h"

#include <stdlib.h>
#include <string.h>

static int varint(size_t *v, const unsigned char *p, size_t n, size_t *pos)
{
    uint64_t x = 0;
    unsigned shift = 0;
    unsigned char c;
    do {
        if (*pos >= n || shift > 63)
            return GR_CORRUPT;
        c = p[(*pos)++];
        x |= (uint64_t)(c & 0x7f) << shift;
        shift += 7;
    } while (c & 0x80);
    if (x > GR_MAX_OBJECT)
        return GR_UNSUPPORTED;
    *v = (size_t)x;
    return GR_OK;
}

int gr_delta_apply(unsigned char **out, size_t *out_len, const unsigned char *base, size_t base_len,
                   const unsigned char *delta, size_t delta_len)
{
    size_t pos = 0, want_base, size;
    int rc;
    *out = NULL;
    if ((rc = varint(&want_base, delta, delta_len, &pos)) ||
        (rc = varint(&size, delta, delta_len, &pos)))
        return rc;
    if (want_base != base_len)
        return GR_CORRUPT;
    unsigned char *res = rs_malloc(size + 1);
    if (!res)
        return GR_NOMEM;
    size_t at = 0;
    while (pos < delta_len) {
        unsigned char op = delta[pos++];
        if (op & 0x80) {
            size_t off = 0, len = 0;
            for (unsigned b = 0; b < 4; b++)
                if (op & (1u << b)) {
                    if (pos >= delta_len)
                        goto corrupt;
                    off |= (size_t)delta[pos++] << (8 * b);
                }
            for (unsigned b = 0; b < 3; b++)
                if (op & (0x10u << b)) {
                    if (pos >= delta_len)
                        goto corrupt;
                    len |= (size_t)delta[pos++] << (8 * b);
                }
            if (len == 0)
                len = 0x10000;
            if (off > base_len || len > base_len - off || len > size - at)
                goto corrupt;
            memcpy(res + at, base + off, len);
            at += len;
        } else if (op) {
            if (op > delta_len - pos || op > size - at)
                goto corrupt;
            memcpy(res + at, delta + pos, op);
            pos += op;
            at += op;
        } else {
            goto corrupt;
        }
    }
    if (at != size)
        goto corrupt;
    res[size] = '\0';
    *out = res;
    *out_len = size;
    return GR_OK;
corrupt:
    rs_free(res);
    return GR_CORRUPT;
}
