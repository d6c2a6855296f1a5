/*
 * util/strcut.c - see strcut.h.
 */
#include "util/strcut.h"

#include <string.h>

int rs_copy_cut(char *dst, size_t size, const char *src)
{
    static const char more[] = "...";
    const char *s = src ? src : "";
    size_t len = strlen(s);
    if (size == 0)
        return len > 0;
    if (len < size) {
        memcpy(dst, s, len + 1);
        return 0;
    }
    if (size < sizeof more) {
        dst[0] = '\0';
        return 1;
    }
    size_t keep = size - sizeof more; /* room for "..." and the terminator */
    while (keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80)
        keep--; /* s[keep] continues a sequence: cut before the sequence begins */
    memcpy(dst, s, keep);
    memcpy(dst + keep, more, sizeof more);
    return 1;
}
