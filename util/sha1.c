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

static void block(rs_sha1 *s, const unsigned char *p)
{
    uint32_t w[16];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4];
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
    s->h[0] += a;
    s->h[1] += b;
    s->h[2] += c;
    s->h[3] += d;
    s->h[4] += e;
}

void rs_sha1_init(rs_sha1 *s)
{
    static const uint32_t iv[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
    memcpy(s->h, iv, sizeof iv);
    s->bytes = 0;
    s->used = 0;
}

void rs_sha1_update(rs_sha1 *s, const void *data, size_t len)
{
    const unsigned char *p = data;
    s->bytes += len;
    if (s->used) {
        size_t take = 64 - s->used < len ? 64 - s->used : len;
        memcpy(s->buf + s->used, p, take);
        s->used += take;
        p += take;
        len -= take;
        if (s->used < 64)
            return;
        block(s, s->buf);
        s->used = 0;
    }
    for (; len >= 64; p += 64, len -= 64)
        block(s, p);
    if (len) {
        memcpy(s->buf, p, len);
        s->used = len;
    }
}

void rs_sha1_final(rs_sha1 *s, unsigned char digest[RS_SHA1_SIZE])
{
    uint64_t bits = s->bytes * 8;
    unsigned char pad[72] = {0x80};
    size_t npad = (s->used < 56 ? 56 : 120) - s->used;
    rs_sha1_update(s, pad, npad);
    unsigned char len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (unsigned char)(bits >> (56 - 8 * i));
    rs_sha1_update(s, len, 8);
    for (int i = 0; i < 5; i++) {
        digest[4 * i] = (unsigned char)(s->h[i] >> 24);
        digest[4 * i + 1] = (unsigned char)(s->h[i] >> 16);
        digest[4 * i + 2] = (unsigned char)(s->h[i] >> 8);
        digest[4 * i + 3] = (unsigned char)s->h[i];
    }
}
