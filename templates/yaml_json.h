/*
 * templates/yaml_json.h - YAML (libyaml events) to JSON values (cJSON), typed as the reference's
 * parser (the npm `yaml` package 2.x, YAML 1.2 core schema, its defaults) types them:
 *
 *   plain scalars:  ~ null Null NULL and empty -> null; true True TRUE false False FALSE -> bool;
 *                   [-+]?[0-9]+, 0x[0-9a-fA-F]+, 0o[0-7]+ -> integer; [-+]?.inf .nan, decimals and
 *                   exponents (1.0, .5, 5., 1e3) -> number; anything else (yes, no, on, 0b11,
 *                   1_000, 2001-12-14) -> string
 *   quoted and block scalars -> string; explicit tags !!str !!int !!float !!bool !!null resolve
 *   only when the text matches the tag's pattern (else string, as the reference does); ! -> string
 *   anchors and aliases -> copies; `<<` is an ordinary key (no merge keys in YAML 1.2)
 *   mapping keys -> JavaScript property names (String(value), null -> ""), integer-like keys
 *   first as in a JavaScript object; a repeated key is an error ("Map keys must be unique")
 *   more than one document is an error
 *
 * Errors carry file:line:col; line_offset/col_offset place the YAML text inside its file.
 */
#ifndef RS_TEMPLATES_YAML_JSON_H
#define RS_TEMPLATES_YAML_JSON_H

#include "util/arena.h"
#include "util/error.h"

#include <cjson/cJSON.h>
#include <stddef.h>

typedef struct rs_yaml_opts {
    const char *filename; /* for error locations; may be NULL */
    const char *file_src; /* the whole file, for the error's source line; may be NULL */
    size_t file_len;
    int line_offset;  /* lines before the YAML text in the file */
    size_t max_nodes; /* limit on values built (aliases count each copy); 0 = 1,000,000 */
    rs_arena *arena;  /* where the fast path builds the values (see rs_yaml_doc); may be NULL */
} rs_yaml_opts;

#define RS_YAML_OPTS_INIT                                                                          \
    {                                                                                              \
        NULL, NULL, 0, 0, 0, NULL                                                                  \
    }

/* Collections nested deeper than this are an error (RS_ELIMIT), as in cJSON's own parser. */
#define RS_YAML_MAX_DEPTH 512

/* Where a value (and, for a mapping member, its key) starts: libyaml marks, 0-based, in
 * characters, relative to the YAML text. */
typedef struct rs_yaml_loc {
    const cJSON *node;
    unsigned line, col;
    unsigned key_line, key_col; /* valid when has_key */
    int has_key;
} rs_yaml_loc;

/*
 * A parsed document: the value and where each of its values came from. The value and locs are
 * on the heap (in_arena 0: libyaml's path) or live in an arena (in_arena 1: the fast path, in
 * opts->arena when one was given, else in `own`); either way rs_yaml_doc_free frees what the
 * document owns,
 * and the tree must not be passed to cJSON_Delete or changed (see util/json_build.h).
 */
typedef struct rs_yaml_doc {
    cJSON *root;
    rs_yaml_loc *locs;
    size_t nlocs;
    rs_yaml_opts opts; /* copied: the file and offsets the marks are relative to */
    int in_arena;
    rs_arena own;
} rs_yaml_doc;

/*
 * Parse (text, len) as one YAML document into doc (doc->root is a JSON null for an empty
 * document). Free with rs_yaml_doc_free. RS_ESYNTAX with a location on bad YAML, RS_ELIMIT when
 * aliases expand past max_nodes, RS_ENOMEM. The strings in opts must outlive doc.
 */
int rs_yaml_parse(rs_yaml_doc *doc, const char *text, size_t len, const rs_yaml_opts *opts,
                  rs_error *err);
void rs_yaml_doc_free(rs_yaml_doc *doc);

/* Parse and keep only the value (owned by the caller). */
int rs_yaml_to_json(cJSON **out, const char *text, size_t len, const rs_yaml_opts *opts,
                    rs_error *err);

/*
 * Set err (code, message) at the file location of node (its key when key is 1 and it has one;
 * otherwise the value), with the source line. Without a known location, only the file name.
 * Returns code.
 */
int rs_yaml_error_at(const rs_yaml_doc *doc, const cJSON *node, int key, rs_error *err, int code,
                     const char *fmt, ...) RS_PRINTF(6, 7);

/* Reorder obj's members as a JavaScript object orders its keys: array-index keys ("0", "17";
 * canonical, below 2^32-1) first in ascending numeric order, then the others as inserted. */
void rs_js_order_keys(cJSON *obj);

/* target[key] = v as a JavaScript assignment: in place when the key exists, else appended.
 * Takes v over (freed on failure). 0 or RS_ENOMEM (also when v is NULL). */
int rs_js_set(cJSON *target, const char *key, cJSON *v);

/* 1 when key is a canonical array index, with its value in *idx. */
int rs_js_array_index(const char *key, unsigned long *idx);

#endif
