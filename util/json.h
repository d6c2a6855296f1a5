/*
 * util/json.h - small helpers over cJSON.
 * Parsing never uses cJSON_GetErrorPtr (a hidden global): errors carry a line and column.
 */
#ifndef RS_UTIL_JSON_H
#define RS_UTIL_JSON_H

#include "util/error.h"
#include "util/str.h"

#include <cjson/cJSON.h>
#include <stddef.h>

/*
 * Parse (text, len) as one JSON document. On failure *out is NULL and err names file (may be
 * NULL), line and column of the first bad byte. Trailing non-space text is an error.
 */
int rs_json_parse(cJSON **out, const char *text, size_t len, const char *file, rs_error *err);

/* Read a whole file and parse it. "-" reads standard input. */
int rs_json_parse_file(cJSON **out, const char *path, rs_error *err);

/* Borrowed string value of obj[key], or NULL when absent or not a string. */
const char *rs_json_string(const cJSON *obj, const char *key);

/*
 * The first member named keys[i] of obj into found[i], for n keys, in one pass over obj's members
 * (a lookup per key would walk the object n times: the renderer reads several members of every
 * data object and history message). found[i] is NULL when absent, all are when obj is no object.
 */
void rs_json_members(const cJSON *obj, size_t n, const char *const keys[], const cJSON *found[]);

/* Print v compactly (or indented) into a new string owned by the caller (rs_free). */
char *rs_json_print(const cJSON *v, int pretty);

/* Append the JSON string literal for (s, n) to out, escaping as JSON requires. */
int rs_json_append_string(rs_str *out, const char *s, size_t n);

/* Deep equality ignoring object key order (numbers compared exactly). */
int rs_json_equal(const cJSON *a, const cJSON *b);

#endif
