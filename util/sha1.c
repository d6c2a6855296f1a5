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

static void block(rs_sha1 *s, const unsigned char *p)
{
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    for (int i = 16; i < 80; i++)
        w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4], t;
    /* four groups of twenty rounds, one loop each: no per-round test of which group */
#define STEP(f, k)                                                                                 \
    do {                                                                                           \
        t = rotl(a, 5) + (f) + e + (k) + w[i];                                                     \
        e = d;                                                                                     \
        d = c;                                                                                     \
        c = rotl(b, 30);                                                                           \
        b = a;                                                                                     \
        a = t;                                                                                     \
    } while (0)
    int i = 0;
    for (; i < 20; i++)
        STEP((b & c) | (~b & d), 0x5a827999u);
    for (; i < 40; i++)
        STEP(b ^ c ^ d, 0x6ed9eba1u);
    for (; i < 60; i++)
        STEP((b & c) | (b & d) | (c & d), 0x8f1bbcdcu);
    for (; i < 80; i++)
        STEP(b ^ c ^ d, 0xca62c1d6u);
#undef STEP
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
