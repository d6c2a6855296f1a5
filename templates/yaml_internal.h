/*
 * templates/yaml_internal.h - what the two YAML paths (libyaml in yaml_json.c, the fast path in
 * yaml_fast.c) share, so that both type values and name keys the same way.
 */
#ifndef RS_TEMPLATES_YAML_INTERNAL_H
#define RS_TEMPLATES_YAML_INTERNAL_H

#include "templates/yaml_json.h"
#include "util/json_build.h"

#include <cjson/cJSON.h>
#include <stddef.h>

/* The core-schema value of a plain scalar (s, n) on the heap, or with b's allocator. NULL when
 * out of memory. */
cJSON *rs_yaml_plain_value(const char *s, size_t n);
cJSON *rs_yaml_plain_build(const rs_jt *b, const char *s, size_t n);

/* 1 when the plain scalar (s, n) is certainly a string (its key is then its text): it starts
 * with a letter, '_' or a non-ASCII character and is not a null or boolean word. */
int rs_yaml_plain_is_string(const char *s, size_t n);

/* The JavaScript property name of a scalar key value (rs_malloc), its kind in *kind. */
char *rs_yaml_key_string(const cJSON *v, char *kind);

/*
 * The fast path: 1 when it parsed (text, len) into doc (then exactly what libyaml's path would
 * give), 0 when the text is outside its subset (doc untouched), RS_ENOMEM.
 */
int rs_yaml_parse_fast(rs_yaml_doc *doc, const char *text, size_t len, const rs_yaml_opts *opts);

/* The libyaml path alone (for tests that compare the two). */
int rs_yaml_parse_libyaml(rs_yaml_doc *doc, const char *text, size_t len,
                          const rs_yaml_opts *opts, rs_error *err);

#endif
