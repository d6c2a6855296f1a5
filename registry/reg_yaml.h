/*
 * registry/reg_yaml.h - YAML documents (rosetta.yaml, labels.yaml, frontmatter) read into cJSON.
 *
 * A small libyaml event reader of the registry's own: the registry reads configuration and label
 * files before any template is compiled, and must report "FILE:LINE:COL: message" for a file
 * edited by hand into invalid YAML.
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
