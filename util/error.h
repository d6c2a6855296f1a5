/*
 * util/error.h - setting an rs_error where a failure is seen.
 * Every setter returns the code it stored, so a failure is reported and returned in one line:
 *     return rs_error_set(err, RS_EINVAL, "unknown helper '%.*s'", (int)n, name);
 */
#ifndef RS_UTIL_ERROR_H
#define RS_UTIL_ERROR_H

#include "rosetta/error.h"

#include <stddef.h>

#if defined(__GNUC__)
#define RS_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define RS_PRINTF(fmt, args)
#endif

/* Set code and message; keeps no location. err may be NULL (the code is still returned). */
int rs_error_set(rs_error *err, int code, const char *fmt, ...) RS_PRINTF(3, 4);

/* Set code, message and a location in file (file may be NULL or ""). */
int rs_error_set_at(rs_error *err, int code, const char *file, int line, int column,
                    const char *fmt, ...) RS_PRINTF(6, 7);

/* Set the underlying library's own code on an error already set. */
void rs_error_set_cause(rs_error *err, int cause);

/*
 * Fill err->snippet with line `line` (1-based) of (src, len) so the caller can print it with a
 * caret. Does nothing when line is out of range.
 */
void rs_error_set_snippet(rs_error *err, const char *src, size_t len, int line);

/* Set err->file when it is still empty (a lower layer knew the line but not the file name). */
void rs_error_set_file(rs_error *err, const char *file);

/* Compute the 1-based line and column of byte offset `off` in (src, len). */
void rs_location_of(const char *src, size_t len, size_t off, int *line, int *column);

#endif
