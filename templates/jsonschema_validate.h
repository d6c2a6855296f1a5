/*
 * templates/jsonschema_validate.h - validating a JSON value against a JSON Schema, for
 * `render --strict`. Covers what Picoschema produces and what prompt authors write by hand:
 * type (a name or a list; "integer" = a number without a fraction; "any" accepts everything),
 * enum, const, properties, required, additionalProperties (false or a schema), items (a schema or
 * a list of schemas), minItems/maxItems, uniqueItems, minimum/maximum/exclusiveMinimum/
 * exclusiveMaximum/multipleOf, minLength/maxLength (in characters), pattern (POSIX extended
 * regular expressions, a subset of ECMAScript's), minProperties/maxProperties, allOf/anyOf/oneOf/
 * not, and local $ref ("#/definitions/X", "#/$defs/X"). Unknown keywords are ignored, as JSON
 * Schema says.
 */
#ifndef RS_TEMPLATES_JSONSCHEMA_VALIDATE_H
#define RS_TEMPLATES_JSONSCHEMA_VALIDATE_H

#include "util/error.h"

#include <cjson/cJSON.h>

/*
 * Validate value (NULL = absent) against schema. 0 when valid; RS_ESCHEMA with the first
 * violation as "PATH: RULE" ("input.tier: \"gold\" is not one of \"free\", \"pro\"") where
 * PATH starts with `root` ("input"). RS_EINVAL when the schema itself is unusable (a bad pattern).
 */
int rs_jsonschema_validate(const cJSON *schema, const cJSON *value, const char *root,
                           rs_error *err);

#endif
