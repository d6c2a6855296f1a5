#include "util/str.h"

#include "util/alloc.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

void rs_str_init(rs_str *s, size_t max)
{
    s->ptr = NULL;
    s->len = 0;
    s->cap = 0;
    s->max = max ? max : RS_STR_DEFAULT_MAX;
    s->error = 0;
}

void rs_str_free(rs_str *s)
{
    if (!s)
        return;
    rs_free(s->ptr);
    s->ptr = NULL;
    s->len = s->cap = 0;
    s->error = 0;
}

void rs_str_reset(rs_str *s)
{
    s->len = 0;
    s->error = 0;
    if (s->ptr)
        s->ptr[0] = '\0';
}

/* Make room for `extra` more bytes plus the NUL. Grows by doubling, checked for overflow. */
static int reserve(rs_str *s, size_t extra)
{
    if (s->error)
        return s->error;
    if (extra > s->max || s->len > s->max - extra) {
        s->error = RS_ELIMIT;
        return s->error;
    }
    size_t need = s->len + extra + 1;
    if (need <= s->cap)
        return 0;
    size_t cap = s->cap ? s->cap : 64;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    char *p = rs_realloc(s->ptr, cap);
    if (!p) {
        s->error = RS_ENOMEM;
        return s->error;
    }
    s->ptr = p;
    s->cap = cap;
    return 0;
}

int rs_str_reserve(rs_str *s, size_t n)
{
    return reserve(s, n);
}

int rs_str_append(rs_str *s, const char *p, size_t n)
{
    int rc = reserve(s, n);
    if (rc)
        return rc;
    if (n)
        memcpy(s->ptr + s->len, p, n);
    s->len += n;
    s->ptr[s->len] = '\0';
    return 0;
}

int rs_str_puts(rs_str *s, const char *p)
{
    return rs_str_append(s, p, strlen(p));
}

int rs_str_putc(rs_str *s, char c)
{
    return rs_str_append(s, &c, 1);
}

int rs_str_vappendf(rs_str *s, const char *fmt, va_list ap)
{
    if (s->error)
        return s->error;
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0) {
        s->error = RS_EINVAL;
        return s->error;
    }
    int rc = reserve(s, (size_t)n);
    if (rc)
        return rc;
    int m = vsnprintf(s->ptr + s->len, (size_t)n + 1, fmt, ap);
    if (m != n) {
        s->error = RS_EINTERNAL;
        return s->error;
    }
    s->len += (size_t)n;
    return 0;
}

int rs_str_appendf(rs_str *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = rs_str_vappendf(s, fmt, ap);
    va_end(ap);
    return rc;
}

const char *rs_str_cstr(const rs_str *s)
{
    return s->ptr && s->len ? s->ptr : (s->ptr ? s->ptr : "");
}

char *rs_str_detach(rs_str *s, size_t *len)
{
    if (s->error)
        return NULL;
    if (!s->ptr) {
        if (reserve(s, 0))
            return NULL;
        s->ptr[0] = '\0'; /* an empty builder detaches as "", not as uninitialised bytes */
    }
    char *p = s->ptr;
    if (len)
        *len = s->len;
    s->ptr = NULL;
    s->len = s->cap = 0;
    return p;
}

int rs_str_error(const rs_str *s)
{
    return s->error;
}

int rs_str_report(const rs_str *s, rs_error *err, const char *what)
{
    if (s->error == RS_ELIMIT)
        return rs_error_set(err, RS_ELIMIT, "%s is larger than the limit of %zu bytes", what,
                            s->max);
    if (s->error == RS_ENOMEM)
        return rs_error_set(err, RS_ENOMEM, "out of memory while building %s", what);
    if (s->error)
        return rs_error_set(err, s->error, "could not build %s", what);
    return 0;
}
