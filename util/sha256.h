/*
 * util/sha256.h - SHA-256 (FIPS 180-4), for content hashes used as cache keys.
 * Incremental: init, update any number of times, final.
 */
#ifndef RS_UTIL_SHA256_H
#define RS_UTIL_SHA256_H

#include "util/md_block.h"

#include <stddef.h>
#include <stdint.h>

#define RS_SHA256_SIZE 32
#define RS_SHA256_HEX_SIZE 65 /* 64 hex digits and a NUL */

typedef struct rs_sha256 {
    uint32_t h[8];
    rs_md_block m;
} rs_sha256;

void rs_sha256_init(rs_sha256 *s);
void rs_sha256_update(rs_sha256 *s, const void *data, size_t len);
void rs_sha256_final(rs_sha256 *s, unsigned char digest[RS_SHA256_SIZE]);
/* Lower-case hex of the digest into hex (RS_SHA256_HEX_SIZE bytes). */
void rs_sha256_final_hex(rs_sha256 *s, char hex[RS_SHA256_HEX_SIZE]);
/* One-shot hex digest of (data, len). */
void rs_sha256_hex(const void *data, size_t len, char hex[RS_SHA256_HEX_SIZE]);

#endif
