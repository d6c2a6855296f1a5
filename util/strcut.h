/*
 * util/strcut.h - copying text into a fixed buffer, cut visibly when it does not fit: the copy
 * then ends with "..." so a reader never mistakes a shortened message for the whole one, and it
 * is never cut inside a UTF-8 sequence (a log column or a terminal gets no broken character).
 */
#ifndef RS_UTIL_STRCUT_H
#define RS_UTIL_STRCUT_H

#include <stddef.h>

/*
 * Copy src (NULL = "") into dst[size], NUL-terminated. When strlen(src) >= size the copy keeps
 * the longest prefix that ends on a character boundary and leaves room for "...", which it
 * appends. Returns 1 when cut, 0 when copied whole. size 0 writes nothing; sizes 1..3 (no room
 * for the mark) give "".
 */
int rs_copy_cut(char *dst, size_t size, const char *src);

#endif
