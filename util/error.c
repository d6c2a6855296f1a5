#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void copy_bounded(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

const char *rs_error_name(int code)
{
    switch (code) {
#define RS_ERROR_NAME(name, value, text)                                                           \
    case value:                                                                                    \
        return "RS_" #name;
        RS_ERROR_MAP(RS_ERROR_NAME)
#undef RS_ERROR_NAME
    }
    return "RS_EUNKNOWN";
}

const char *rs_error_describe(int code)
{
    switch (code) {
#define RS_ERROR_TEXT(name, value, text)                                                           \
    case value:                                                                                    \
        return text;
        RS_ERROR_MAP(RS_ERROR_TEXT)
#undef RS_ERROR_TEXT
    }
    return "unknown error";
}

void rs_error_clear(rs_error *err)
{
    if (!err)
        return;
    memset(err, 0, sizeof(*err));
}

/* vsnprintf into a fixed buffer; mark truncation visibly instead of cutting silently. */
static void format_message(char *dst, size_t size, const char *fmt, va_list ap)
{
    int n = vsnprintf(dst, size, fmt, ap);
    if (n < 0) {
        copy_bounded(dst, size, "(unformattable error message)");
    } else if ((size_t)n >= size && size > 4) {
        memcpy(dst + size - 4, "...", 4);
    }
}

int rs_error_set(rs_error *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    rs_error_clear(err);
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    format_message(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return code;
}

int rs_error_set_at(rs_error *err, int code, const char *file, int line, int column,
                    const char *fmt, ...)
{
    if (!err)
        return code;
    rs_error_clear(err);
    err->code = code;
    if (file)
        copy_bounded(err->file, sizeof(err->file), file);
    err->line = line;
    err->column = column;
    va_list ap;
    va_start(ap, fmt);
    format_message(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return code;
}

void rs_error_set_cause(rs_error *err, int cause)
{
    if (err)
        err->cause = cause;
}

void rs_error_set_file(rs_error *err, const char *file)
{
    if (err && file && !err->file[0])
        copy_bounded(err->file, sizeof(err->file), file);
}

void rs_error_set_snippet(rs_error *err, const char *src, size_t len, int line)
{
    if (!err || !src || line < 1)
        return;
    size_t pos = 0;
    for (int l = 1; l < line; l++) {
        while (pos < len && src[pos] != '\n')
            pos++;
        if (pos >= len)
            return;
        pos++;
    }
    size_t end = pos;
    while (end < len && src[end] != '\n' && src[end] != '\r')
        end++;
    size_t n = end - pos;
    if (n >= sizeof(err->snippet))
        n = sizeof(err->snippet) - 1;
    memcpy(err->snippet, src + pos, n);
    err->snippet[n] = '\0';
}

void rs_location_of(const char *src, size_t len, size_t off, int *line, int *column)
{
    int l = 1, c = 1;
    if (off > len)
        off = len;
    for (size_t i = 0; i < off; i++) {
        if (src[i] == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
    *line = l;
    *column = c;
}

char *rs_error_format(const rs_error *err, char *buf, size_t size)
{
    if (!buf || size == 0)
        return buf;
    int n;
    const char *msg = err->message[0] ? err->message : rs_error_describe(err->code);
    if (err->file[0] && err->line > 0 && err->column > 0)
        n = snprintf(buf, size, "%s:%d:%d: %s", err->file, err->line, err->column, msg);
    else if (err->file[0] && err->line > 0)
        n = snprintf(buf, size, "%s:%d: %s", err->file, err->line, msg);
    else if (err->file[0])
        n = snprintf(buf, size, "%s: %s", err->file, msg);
    else if (err->line > 0)
        n = snprintf(buf, size, "%d:%d: %s", err->line, err->column, msg);
    else
        n = snprintf(buf, size, "%s", msg);
    if (n < 0)
        buf[0] = '\0';
    else if ((size_t)n >= size && size > 4)
        memcpy(buf + size - 4, "...", 4);
    return buf;
}

char *rs_error_format_long(const rs_error *err, char *buf, size_t size)
{
    rs_error_format(err, buf, size);
    if (!err->snippet[0] || err->column < 1)
        return buf;
    size_t used = strlen(buf);
    int col = err->column;
    if ((size_t)col > strlen(err->snippet) + 1)
        col = (int)strlen(err->snippet) + 1;
    int n = snprintf(buf + used, size - used, "\n    %s\n    %*s^", err->snippet, col - 1, "");
    if (n < 0 || (size_t)n >= size - used)
        buf[used] = '\0'; /* drop the snippet rather than print half of it */
    return buf;
}
