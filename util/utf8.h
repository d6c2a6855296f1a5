/*
 * util/utf8.h - decoding text as the WHATWG UTF-8 decoder (and so Node's readFileSync(f,
 * 'utf-8')) does: every maximal ill-formed subsequence becomes U+FFFD. The Dotprompt reference
 * reads files that way, so Rosetta does the same before parsing them.
 */
#ifndef RS_UTIL_UTF8_H
#define RS_UTIL_UTF8_H

#include <stddef.h>

/* 1 when (s, len) is well-formed UTF-8. */
int rs_utf8_valid(const char *s, size_t len);

/*
 * A copy of (s, len) with each ill-formed subsequence replaced by U+FFFD (EF BF BD),
 * NUL-terminated, *out_len bytes, freed with rs_free. NULL when out of memory.
 */
char *rs_utf8_sanitize(const char *s, size_t len, size_t *out_len);

#endif
