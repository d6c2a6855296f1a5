/*
 * runner/dataset.h - evaluation datasets: JSONL, one case a line.
 *
 *     {"id": "refund-1", "vars": {"ticket": "I want my money back"}, "expected": "billing"}
 *
 * id: a string or an integer (optional: a case without one is named by its 1-based position among
 * the cases, "1", "2", ...; ids must be unique); vars: an object (optional, default {}), the
 * prompt's input; expected: any JSON value (optional) that scorers compare against; metadata: any
 * JSON value (optional, carried along, never sent). Any other key is an error (it is nearly always
 * a typo of "vars"). Blank lines are skipped; CRLF line ends and a UTF-8 byte order mark are
 * accepted.
 *
 * Loading is all or nothing: every line is checked, and if any is bad the load fails with the first
 * bad line's FILE:LINE:COL and a count and list of the other bad lines, and nothing is returned, so
 * nothing ever runs on a half-read dataset.
 */
#ifndef RS_RUNNER_DATASET_H
#define RS_RUNNER_DATASET_H

#include "util/error.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rs_case {
    char *id;        /* never NULL */
    cJSON *vars;     /* an object, never NULL */
    cJSON *expected; /* NULL when the case has none */
    cJSON *metadata; /* NULL when none */
    int line;        /* 1-based line in the file */
} rs_case;

typedef struct rs_dataset {
    char *name;    /* as given: a registry name or a path */
    char *path;    /* the file read */
    uint64_t hash; /* FNV-1a 64 of the file's bytes: an experiment records it to refuse resuming
                      on a changed dataset */
    rs_case *cases;
    size_t n;
} rs_dataset;

/* Parse (text, len); file names the source in errors (may be NULL). *out owned by the caller. */
int rs_dataset_parse(rs_dataset **out, const char *text, size_t len, const char *file,
                     rs_error *err);

/* Read and parse a file ("-" = standard input). */
int rs_dataset_load_file(rs_dataset **out, const char *path, rs_error *err);

/*
 * Resolve NAME|FILE: an existing file path is read as is; otherwise, when registry_root is not
 * NULL, REGISTRY_ROOT/datasets/NAME.jsonl (NAME may contain folders, no "..", and may already end
 * in .jsonl). RS_ENOTFOUND names both places tried.
 */
int rs_dataset_open(rs_dataset **out, const char *registry_root, const char *name_or_file,
                    rs_error *err);

/* The case with this id, or NULL. */
const rs_case *rs_dataset_find(const rs_dataset *ds, const char *id);

void rs_dataset_free(rs_dataset *ds);

/* FNV-1a 64 over bytes (continues from h; start with RS_FNV64_OFFSET). */
#define RS_FNV64_OFFSET 0xcbf29ce484222325ULL
uint64_t rs_fnv1a64(uint64_t h, const void *data, size_t len);

#endif
