/*
 * util/md_block.h - the framing SHA-1 and SHA-256 share (FIPS 180-4 §5.1.1, §6): input gathered
 * into 64-byte blocks, each handed to the hash's compression function, and the end padded with
 * 0x80, zeros and the message length in bits as a 64-bit big-endian number. The hashes keep only
 * their state words and compression function; the buffering is written once, here.
 */
#ifndef RS_UTIL_MD_BLOCK_H
#define RS_UTIL_MD_BLOCK_H

#include <stddef.h>
#include <stdint.h>

/* A hash's compression function: mixes one 64-byte block into its state words. */
typedef void rs_md_compress_fn(uint32_t *state, const unsigned char *block);

typedef struct rs_md_block {
    uint64_t bytes;        /* total bytes hashed */
    unsigned char buf[64]; /* pending partial block */
    size_t used;
} rs_md_block;

void rs_md_block_init(rs_md_block *m);

/* Feed len bytes: whole blocks go straight to compress, the rest waits in m->buf. */
void rs_md_block_update(rs_md_block *m, uint32_t *state, rs_md_compress_fn *compress,
                        const void *data, size_t len);

/* Pad, compress the last block(s), and write the n_words state words big-endian to digest. */
void rs_md_block_final(rs_md_block *m, uint32_t *state, rs_md_compress_fn *compress, size_t n_words,
                       unsigned char *digest);

#endif
