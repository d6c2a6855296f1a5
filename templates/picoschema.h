/*
 * templates/picoschema.h - Picoschema to JSON Schema, rule for rule as the reference
 * (dotprompt 1.1.2 picoschema.ts) converts it:
 *
 *   - a string "type, description": scalar types any boolean integer null number string (at the
 *     top level "any" stays {"type":"any"}, inside an object it becomes {}), else a named schema;
 *   - an object whose `type` is a JSON Schema type is JSON Schema already and is kept; one with
 *     `properties` gets "type":"object"; any other object is Picoschema:
 *       name: T             required property      name?: T   optional, scalar type -> [T,"null"]
 *       name(array): T      {"type":"array","items":T}         (optional: ["array","null"])
 *       name(object): {..}  nested object                       (optional: [type,"null"])
 *       name(enum): [..]    {"enum":[..]}                       (optional: null appended)
 *       name(type, desc)    description from the parenthesis; "T, desc" from the value
 *       (*): T              additionalProperties (else additionalProperties is false)
 *     `required` lists the non-optional names in JavaScript key order and is left out when empty.
 *
 * Unlike the reference, a named schema is copied into the result, never changed in place (the
 * reference mutates its registry when `name?(object): Named` is used; see
 * docs/dotprompt-differences.md).
 */
#ifndef RS_TEMPLATES_PICOSCHEMA_H
#define RS_TEMPLATES_PICOSCHEMA_H

#include "templates/yaml_json.h"
#include "util/error.h"
#include "util/json_build.h"

#include <cjson/cJSON.h>

typedef struct rs_pico_opts {
    const cJSON *named;     /* {"Name": JSON Schema}; may be NULL */
    const char *where;      /* "input.schema", for errors without a location; may be NULL */
    const rs_yaml_doc *doc; /* when schema is part of doc->root: errors get its locations */
} rs_pico_opts;

#define RS_PICO_OPTS_INIT                                                                          \
    {                                                                                              \
        NULL, NULL, NULL                                                                           \
    }

/*
 * Convert `schema` (Picoschema or JSON Schema). *out is NULL when the reference's result is null
 * (a falsy schema), else a new tree owned by the caller. Errors are RS_ESCHEMA ("Picoschema:
 * ..."), at the offending key or value when opts->doc knows where it is.
 */
int rs_picoschema(cJSON **out, const cJSON *schema, const rs_pico_opts *opts, rs_error *err);
/* The same, built with jb's allocator (in its arena when it has one: nothing to free then). */
int rs_picoschema_build(cJSON **out, const rs_jt *jb, const cJSON *schema, const rs_pico_opts *opts,
                        rs_error *err);

/* JavaScript truthiness of a JSON value (NULL = undefined is false). */
int rs_js_truthy(const cJSON *v);

/* `{...v}`: a new object with v's own enumerable properties (object members, array indices,
 * string characters; nothing for other values). NULL when out of memory. */
cJSON *rs_js_spread(const cJSON *v);
cJSON *rs_js_spread_build(const rs_jt *b, const cJSON *v);

#endif
