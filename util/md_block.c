/* util/md_block.c - see md_block.h. */
#include "util/md_block.h"

#include <string.h>

void rs_md_block_init(rs_md_block *m)
{
    m->bytes = 0;
    m->used = 0;
}

void rs_md_block_update(rs_md_block *m, uint32_t *state, rs_md_compress_fn *compress,
                        const void *data, size_t len)
{
    const unsigned char *p = data;
    m->bytes += len;
    if (m->used) {
        size_t take = 64 - m->used < len ? 64 - m->used : len;
        memcpy(m->buf + m->used, p, take);
        m->used += take;
        p += take;
        len -= take;
        if (m->used < 64)
            return;
        compress(state, m->buf);
        m->used = 0;
    }
    for (; len >= 64; p += 64, len -= 64)
        compress(state, p);
    if (len) {
        memcpy(m->buf, p, len);
        m->used = len;
    }
}

void rs_md_block_final(rs_md_block *m, uint32_t *state, rs_md_compress_fn *compress, size_t n_words,
                       unsigned char *digest)
{
    uint64_t bits = m->bytes * 8;
    m->buf[m->used++] = 0x80;
    if (m->used > 56) { /* no room for the length: it goes in one more block */
        memset(m->buf + m->used, 0, 64 - m->used);
        compress(state, m->buf);
        m->used = 0;
    }
    memset(m->buf + m->used, 0, 56 - m->used);
    for (int i = 0; i < 8; i++)
        m->buf[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
    compress(state, m->buf);
    for (size_t i = 0; i < n_words; i++) {
        digest[4 * i] = (unsigned char)(state[i] >> 24);
        digest[4 * i + 1] = (unsigned char)(state[i] >> 16);
        digest[4 * i + 2] = (unsigned char)(state[i] >> 8);
        digest[4 * i + 3] = (unsigned char)state[i];
    }
}
