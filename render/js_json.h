/*
 * render/js_json.h - JSON text exactly as JavaScript's JSON.stringify(value, null, space) writes
 * it: object keys in JavaScript property order (array-index keys first, ascending), numbers as
 * Number.prototype.toString (non-finite -> null), strings escaped as JSON.stringify escapes them.
 * The reference prints its results and the {{json}} helper's output this way.
 */
#ifndef RS_RENDER_JS_JSON_H
#define RS_RENDER_JS_JSON_H

#include "util/str.h"

#include <cjson/cJSON.h>

/*
 * Append JSON.stringify(v, null, gap) to out; gap is the indentation unit ("" or NULL: compact).
 * v must not be NULL (undefined has no JSON text). Returns 0 or the builder's sticky error.
 */
int rs_js_stringify(rs_str *out, const cJSON *v, const char *gap);

/* Append the string literal JSON.stringify(s) writes for (s, n). */
int rs_js_quote(rs_str *out, const char *s, size_t n);

#endif
