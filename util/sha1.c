/*
 * util/sha1.c - SHA-1 as FIPS 180-4 specifies it: 64-byte blocks, big-endian words, 80 rounds
 * in four groups of twenty, padding with 0x80, zeros and the 64-bit message length in bits.
 */
#include "util/sha1.h"

#include <string.h>

static uint32_t rotl(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32 - n));
}

/* The round functions of the three kinds of rounds (choose, parity, majority). */
#define F_CHOOSE(b, c, d) ((d) ^ ((b) & ((c) ^ (d))))
#define F_PARITY(b, c, d) ((b) ^ (c) ^ (d))
#define F_MAJORITY(b, c, d) (((b) & (c)) | ((d) & ((b) | (c))))
/* The message schedule kept as sixteen words, each replaced as it is used (rounds 16..79). */
#define W_IN(i) (w[(i)&15])
#define W_NEXT(i)                                                                                  \
    (w[(i)&15] = rotl(w[((i) + 13) & 15] ^ w[((i) + 8) & 15] ^ w[((i) + 2) & 15] ^ w[(i)&15], 1))
/* One round with the five variables passed in rotated order instead of moved: five rounds bring
   them back to their places, so the compiler keeps them in registers. */
#define STEP(a, b, c, d, e, f, k, x)                                                               \
    do {                                                                                           \
        e += rotl(a, 5) + f(b, c, d) + (k) + (x);                                                  \
        b = rotl(b, 30);                                                                           \
    } while (0)
#define FIVE(f, k, W, i)                                                                           \
    do {                                                                                           \
        STEP(a, b, c, d, e, f, k, W(i));                                                           \
        STEP(e, a, b, c, d, f, k, W((i) + 1));                                                     \
        STEP(d, e, a, b, c, f, k, W((i) + 2));                                                     \
        STEP(c, d, e, a, b, f, k, W((i) + 3));                                                     \
        STEP(b, c, d, e, a, f, k, W((i) + 4));                                                     \
    } while (0)

static void block(uint32_t *state, const unsigned char *p)
{
    uint32_t w[16];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3], e = state[4];
    const uint32_t k1 = 0x5a827999u, k2 = 0x6ed9eba1u, k3 = 0x8f1bbcdcu, k4 = 0xca62c1d6u;
    FIVE(F_CHOOSE, k1, W_IN, 0);
    FIVE(F_CHOOSE, k1, W_IN, 5);
    FIVE(F_CHOOSE, k1, W_IN, 10);
    STEP(a, b, c, d, e, F_CHOOSE, k1, W_IN(15));
    STEP(e, a, b, c, d, F_CHOOSE, k1, W_NEXT(16));
    STEP(d, e, a, b, c, F_CHOOSE, k1, W_NEXT(17));
    STEP(c, d, e, a, b, F_CHOOSE, k1, W_NEXT(18));
    STEP(b, c, d, e, a, F_CHOOSE, k1, W_NEXT(19));
    for (int i = 20; i < 40; i += 5)
        FIVE(F_PARITY, k2, W_NEXT, i);
    for (int i = 40; i < 60; i += 5)
        FIVE(F_MAJORITY, k3, W_NEXT, i);
    for (int i = 60; i < 80; i += 5)
        FIVE(F_PARITY, k4, W_NEXT, i);
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
}

void rs_sha1_init(rs_sha1 *s)
{
    static const uint32_t iv[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
    memcpy(s->h, iv, sizeof iv);
    rs_md_block_init(&s->m);
}

void rs_sha1_update(rs_sha1 *s, const void *data, size_t len)
{
    rs_md_block_update(&s->m, s->h, block, data, len);
}

void rs_sha1_final(rs_sha1 *s, unsigned char digest[RS_SHA1_SIZE])
{
    rs_md_block_final(&s->m, s->h, block, 5, digest);
}
