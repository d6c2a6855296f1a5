/*
 * util/str.h - the one string builder.
 *
 * Length-tracked, always NUL-terminated, with a hard maximum and a sticky error: once an append
 * fails (out of memory, or the maximum would be passed) every later append is a no-op and
 * rs_str_error() reports why, so a caller may append many times and check once. Growth is
 * overflow-checked. Never truncates silently.
 */
#ifndef RS_UTIL_STR_H
#define RS_UTIL_STR_H

#include "util/error.h"

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#define RS_STR_DEFAULT_MAX ((size_t)256 * 1024 * 1024)

typedef struct rs_str {
    char *ptr;   /* NUL-terminated when len > 0 or after any successful append; may be NULL if empty */
    size_t len;
    size_t cap;
    size_t max;  /* hard limit on len */
    int error;   /* 0, RS_ENOMEM or RS_ELIMIT: sticky */
} rs_str;

#define RS_STR_INIT {NULL, 0, 0, RS_STR_DEFAULT_MAX, 0}

void rs_str_init(rs_str *s, size_t max);
void rs_str_free(rs_str *s);
/* Forget the content, keep the buffer and clear the error. */
void rs_str_reset(rs_str *s);

/* Make room for n more bytes now (a size hint: appends up to that do not grow the buffer).
 * 0 or the sticky error (RS_ELIMIT when n passes the maximum). */
int rs_str_reserve(rs_str *s, size_t n);
int rs_str_append(rs_str *s, const char *p, size_t n);
int rs_str_puts(rs_str *s, const char *p);

/* rs_str_append and rs_str_putc with the common case (room left, no error) inline, for code that
 * appends many small pieces (rendering, JSON text): the call costs more than the copy there. */
static inline int rs_str_put(rs_str *s, const char *p, size_t n)
{
    if (!s->error && s->cap - s->len > n && n <= s->max - s->len) {
        memcpy(s->ptr + s->len, p, n);
        s->len += n;
        s->ptr[s->len] = '\0';
        return 0;
    }
    return rs_str_append(s, p, n);
}

static inline int rs_str_put1(rs_str *s, char c)
{
    if (!s->error && s->cap - s->len > 1 && s->len < s->max) {
        s->ptr[s->len++] = c;
        s->ptr[s->len] = '\0';
        return 0;
    }
    return rs_str_append(s, &c, 1);
}
int rs_str_putc(rs_str *s, char c);
int rs_str_appendf(rs_str *s, const char *fmt, ...) RS_PRINTF(2, 3);
int rs_str_vappendf(rs_str *s, const char *fmt, va_list ap);

/* The content as a C string; "" when empty. Borrowed until the next change to s. */
const char *rs_str_cstr(const rs_str *s);

/* Take ownership of the buffer (free with rs_free); s becomes empty. NULL on sticky error. */
char *rs_str_detach(rs_str *s, size_t *len);

/* The sticky error, 0 when none. */
int rs_str_error(const rs_str *s);

/* Report the sticky error into err with a message naming what was being built. */
int rs_str_report(const rs_str *s, rs_error *err, const char *what);

#endif
