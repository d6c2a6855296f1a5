/*
 * registry/reg_yaml.h - labels.yaml read into cJSON.
 *
 * rosetta.yaml and frontmatter go through templates/yaml_json.h, typed as Dotprompt types them.
 * labels.yaml is read here with every scalar a string (REG_YAML_STRINGS): a commit id edited by
 * hand without quotes ("12345e7...") must never turn into a number. Errors are
 * "labels.yaml:LINE:COL: message" with the source line.
 */
#ifndef RS_REGISTRY_REG_YAML_H
#define RS_REGISTRY_REG_YAML_H

#include "util/error.h"

#include <cjson/cJSON.h>
#include <stddef.h>

enum {
    REG_YAML_TYPED = 0, /* plain scalars become null/bool/number as YAML 1.2's core schema says */
    REG_YAML_STRINGS = 1 << 0 /* every scalar is a string (labels.yaml: a sha is never a number) */
};

/*
 * Parse (text, len) as one YAML document into *out (owned by the caller, cJSON_Delete). An empty
 * document is JSON null. Anchors and aliases are expanded (bounded, to refuse "billion laughs").
 * Errors carry `file` (may be NULL), line and column, and the source line as snippet.
 */
int reg_yaml_parse(cJSON **out, const char *text, size_t len, const char *file, int flags,
                   rs_error *err);

#endif
