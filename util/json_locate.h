/*
 * util/json_locate.h - locate the first error in a JSON text that a parser refused.
 */
#ifndef RS_UTIL_JSON_LOCATE_H
#define RS_UTIL_JSON_LOCATE_H

#include <stddef.h>

/* Byte offset of the first byte of (text, len) that cannot continue a valid JSON document, and
 * in *why (static text) what was expected there. When the text is valid JSON after all (the
 * parser refused it for a limit of its own), *why is NULL and the offset meaningless. */
size_t rs_json_locate_error(const char *text, size_t len, const char **why);

#endif
