/*
 * util/file.h - whole-file reads and atomic writes, with errors naming the path.
 */
#ifndef RS_UTIL_FILE_H
#define RS_UTIL_FILE_H

#include "util/error.h"

#include <stddef.h>

/* Read the whole file ("-" = standard input) into a NUL-terminated buffer owned by the caller. */
int rs_file_read(char **out, size_t *len, const char *path, rs_error *err);

/* Write (data, len) to path atomically: a temporary file in the same directory, fsync, rename. */
int rs_file_write_atomic(const char *path, const char *data, size_t len, rs_error *err);

#endif
