/*
 * util/utf8.c - UTF-8 validation and replacement (WHATWG "maximal subpart" rule).
 */
#include "util/utf8.h"

#include "util/alloc.h"

#include <string.h>

/* Length of the well-formed sequence at s[i] (1-4), or 0 with *bad = bytes to replace by one
 * U+FFFD (the lead byte and the continuation bytes that were still acceptable). */
static size_t seq_len(const unsigned char *s, size_t len, size_t i, size_t *bad)
{
    unsigned char c = s[i];
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        need = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        *bad = 1;
        return 0;
    }
    for (size_t k = 1; k <= need; k++) {
        if (i + k >= len || s[i + k] < lo || s[i + k] > hi) {
            *bad = k;
            return 0;
        }
        lo = 0x80;
        hi = 0xBF;
    }
    return need + 1;
}

int rs_utf8_valid(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, bad;
    while (i < len) {
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = seq_len(u, len, i, &bad);
        if (!n)
            return 0;
        i += n;
    }
    return 1;
}

char *rs_utf8_sanitize(const char *s, size_t len, size_t *out_len)
{
    const unsigned char *u = (const unsigned char *)s;
    /* at most 3 output bytes per input byte */
    if (len > ((size_t)-1 - 1) / 3)
        return NULL;
    char *out = rs_malloc(len * 3 + 1);
    size_t o = 0, i = 0, bad = 0;
    if (!out)
        return NULL;
    while (i < len) {
        size_t n = seq_len(u, len, i, &bad);
        if (n) {
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i += bad;
        }
    }
    out[o] = '\0';
    if (out_len)
        *out_len = o;
    return out;
}
