/*
 * util/sha1.h - SHA-1 (FIPS 180-4), for git object ids only: the native git reader checks that
 * every object it returns hashes to the id it was asked for, as libgit2 does. Not for security.
 */
#ifndef RS_UTIL_SHA1_H
#define RS_UTIL_SHA1_H

#include "util/md_block.h"

#include <stddef.h>
#include <stdint.h>

#define RS_SHA1_SIZE 20

typedef struct rs_sha1 {
    uint32_t h[5];
    rs_md_block m;
} rs_sha1;

void rs_sha1_init(rs_sha1 *s);
void rs_sha1_update(rs_sha1 *s, const void *data, size_t len);
void rs_sha1_final(rs_sha1 *s, unsigned char digest[RS_SHA1_SIZE]);

#endif
