/*
 * rosetta/error.h - the error model shared by every Rosetta function.
 *
 * Fallible functions return int: 0 on success, a negative RS_E* code on failure, and fill a
 * caller-owned rs_error with the code, the underlying library's own code (cause), the place
 * (file, line, column; 0 when they do not apply) and a one-line message. There is no global
 * error state: each call reports into the rs_error it was given.
 */
#ifndef ROSETTA_ERROR_H
#define ROSETTA_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* X(NAME, value, description): one list generates the codes, their names and their messages. */
#define RS_ERROR_MAP(X)                                                                            \
    X(OK, 0, "success")                                                                            \
    X(EINVAL, -1, "invalid argument")                                                              \
    X(ENOMEM, -2, "out of memory")                                                                 \
    X(ESYNTAX, -3, "syntax error")                                                                 \
    X(ERENDER, -4, "render error")                                                                 \
    X(ENOTFOUND, -5, "not found")                                                                  \
    X(EIO, -6, "input/output error")                                                               \
    X(ELIMIT, -7, "limit exceeded")                                                                \
    X(ESCHEMA, -8, "input does not match the schema")                                              \
    X(EGIT, -9, "git error")                                                                       \
    X(EHTTP, -10, "HTTP error")                                                                    \
    X(EDB, -11, "run log error")                                                                   \
    X(ECONFLICT, -12, "conflicting update")                                                        \
    X(EUNSUPPORTED, -13, "not supported")                                                          \
    X(ETIMEOUT, -14, "timed out")                                                                  \
    X(EPROVIDER, -15, "provider error")                                                            \
    X(EEXISTS, -16, "already exists")                                                              \
    X(ECONFIG, -17, "configuration error")                                                         \
    X(EINTERRUPTED, -18, "interrupted")                                                            \
    X(EINTERNAL, -19, "internal error")

typedef enum {
#define RS_ERROR_ENUM(name, value, text) RS_##name = value,
    RS_ERROR_MAP(RS_ERROR_ENUM)
#undef RS_ERROR_ENUM
} rs_error_code;

#define RS_ERROR_MESSAGE_MAX 1024
#define RS_ERROR_FILE_MAX 512
#define RS_ERROR_SNIPPET_MAX 256

typedef struct rs_error {
    int code;                            /* RS_OK or a negative RS_E* value */
    int cause;                           /* the failing library's own code (errno, CURLcode, ...) or 0 */
    char file[RS_ERROR_FILE_MAX];        /* where the bad input is, "" when not about a file */
    int line;                            /* 1-based line in file, 0 when unknown */
    int column;                          /* 1-based column (in bytes), 0 when unknown */
    char snippet[RS_ERROR_SNIPPET_MAX];  /* the source line at line/column, "" when unknown */
    char message[RS_ERROR_MESSAGE_MAX];  /* what was wrong and with what, without the location */
} rs_error;

#define RS_ERROR_INIT {0, 0, "", 0, 0, "", ""}

/* The symbolic name of a code ("RS_ESYNTAX"); never NULL. */
const char *rs_error_name(int code);

/* The generic description of a code ("syntax error"); never NULL. */
const char *rs_error_describe(int code);

/* Reset err to RS_OK with empty fields. NULL-safe. */
void rs_error_clear(rs_error *err);

/*
 * Write "FILE:LINE:COL: message" (the location parts present only when known) into buf, always
 * NUL-terminated, truncated with "..." when buf is too small. Returns buf.
 */
char *rs_error_format(const rs_error *err, char *buf, size_t size);

/*
 * Write the location line, the message, the source line and a caret under the column, as the CLI
 * prints them. Same buffer rules as rs_error_format. Returns buf.
 */
char *rs_error_format_long(const rs_error *err, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
