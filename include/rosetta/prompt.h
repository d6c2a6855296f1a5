/*
 * rosetta/prompt.h - Dotprompt .prompt files: compile once, render many times.
 *
 * A .prompt file is YAML frontmatter between `---` lines and a Handlebars template. Rendering
 * gives what the Dotprompt reference (npm dotprompt 1.1.2) gives: a RenderedPrompt JSON document
 *
 *   {"model"?, "config", "ext", "metadata", "output"?, "tools"?, "toolDefs"?, "raw"?, ...,
 *    "messages": [{"role": "system"|"user"|"model"|"tool",
 *                  "content": [{"text"} | {"media": {"url", "contentType"?}} | {"metadata"}],
 *                  "metadata"?: {...}}]}
 *
 * with two additions: the frontmatter's input.default fills inputs the data lacks (the reference
 * ignores it), and `strict` checks the input against input.schema. JSON crosses this API as text.
 *
 * Thread-safety: an rs_prompt is immutable once opened; any number of threads may render it.
 */
#ifndef ROSETTA_PROMPT_H
#define ROSETTA_PROMPT_H

#include "rosetta/error.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rs_prompt rs_prompt;

/*
 * A partial's source by name ("a/b" for {{> a/b}}). On success *src is a buffer from rs_malloc
 * (rosetta/memory.h) that Rosetta takes over, *len its length. Return RS_ENOTFOUND when there is
 * no such partial; any other error is passed up with err filled.
 */
typedef int (*rs_prompt_partial_fn)(char **src, size_t *len, void *userdata, const char *name,
                                    rs_error *err);

typedef struct rs_prompt_options {
    const char *filename;          /* the source's name, for error locations; may be NULL */
    const char *partials_dir;      /* partial "a/b" is DIR/a/_b.prompt; may be NULL */
    rs_prompt_partial_fn partials; /* asked before partials_dir; may be NULL */
    void *partials_userdata;
    const char *schemas_json; /* {"Name": JSON Schema} for Picoschema types; may be NULL */
    const char *schemas_name; /* where schemas_json came from, for its errors; may be NULL */
} rs_prompt_options;

#define RS_PROMPT_OPTIONS_INIT                                                                     \
    {                                                                                              \
        NULL, NULL, NULL, NULL, NULL, NULL                                                         \
    }

/*
 * Parse and compile (src, len). Errors: RS_ESYNTAX (template, frontmatter YAML, schemas JSON),
 * RS_ESCHEMA (Picoschema), RS_ENOTFOUND (a partial), RS_ELIMIT, RS_ENOMEM; err carries
 * file:line:col and the source line. On failure *out is NULL.
 */
int rs_prompt_open(rs_prompt **out, const char *src, size_t len, const rs_prompt_options *opts,
                   rs_error *err);

/* NULL-safe. */
void rs_prompt_free(rs_prompt *p);

/* SHA-256 (hex) of the source, its partials and the named schemas: a cache key. Borrowed from
 * p, valid until rs_prompt_free. */
const char *rs_prompt_hash(const rs_prompt *p);

typedef struct rs_prompt_render_options {
    int strict;    /* refuse input that does not match input.schema (RS_ESCHEMA) */
    int reference; /* 1: behave exactly as the reference (frontmatter input.default ignored) */
    int indent;    /* spaces per level in the JSON text; 0 = compact */
    const char *data_name;    /* where data_json came from, for its errors; may be NULL */
    const char *options_name; /* where options_json came from, for its errors; may be NULL */
} rs_prompt_render_options;

#define RS_PROMPT_RENDER_OPTIONS_INIT                                                              \
    {                                                                                              \
        0, 0, 2, NULL, NULL                                                                        \
    }

/*
 * Render with data_json = {"input":..,"context":..,"messages":..,"docs":..} (NULL: none) and
 * options_json (the reference's third argument: only its input.default is used when rendering;
 * NULL: none). *out is the RenderedPrompt as JSON text (NUL-terminated, *out_len bytes when
 * out_len is not NULL), freed with rs_free. Errors: RS_ESYNTAX (bad JSON, with line:col),
 * RS_EINVAL (data of the wrong shape), RS_ESCHEMA (strict), RS_ERENDER, RS_ELIMIT, RS_ENOMEM.
 */
int rs_prompt_render_json(char **out, size_t *out_len, const rs_prompt *p, const char *data_json,
                          const char *options_json, const rs_prompt_render_options *ro,
                          rs_error *err);

/*
 * The resolved metadata (the reference's renderMetadata) with options_json merged over the
 * frontmatter (NULL: none), as JSON text freed with rs_free.
 */
int rs_prompt_metadata_json(char **out, size_t *out_len, const rs_prompt *p,
                            const char *options_json, const rs_prompt_render_options *ro,
                            rs_error *err);

/*
 * A cache of compiled prompts by content: compile once, render many, for callers that hold only
 * the source. The key is the exact bytes of the source and of the options that change the result
 * (filename, partials_dir, schemas_json); each entry remembers the partials its compile asked
 * for with their content hashes and is checked against the resolver on every hit, so a changed
 * partial is a miss. At most `capacity` prompts (0: 256), least recently used evicted first.
 * Thread-safe; prompts are reference counted, so one evicted while a caller renders it stays
 * valid until that caller's rs_prompt_free.
 */
typedef struct rs_prompt_cache rs_prompt_cache;

int rs_prompt_cache_new(rs_prompt_cache **out, size_t capacity, rs_error *err);
/* NULL-safe. Prompts callers still hold stay valid until their rs_prompt_free. */
void rs_prompt_cache_free(rs_prompt_cache *c);

/* rs_prompt_open through the cache. *out is the caller's reference: rs_prompt_free it. Errors as
 * rs_prompt_open's; failed compiles are not cached. */
int rs_prompt_cache_open(rs_prompt_cache *c, rs_prompt **out, const char *src, size_t len,
                         const rs_prompt_options *opts, rs_error *err);

typedef struct rs_prompt_cache_stats {
    unsigned long hits;      /* found and current */
    unsigned long misses;    /* compiled (including stale ones) */
    unsigned long stale;     /* found, but a partial had changed */
    unsigned long evictions; /* dropped for capacity */
    size_t size, capacity;
} rs_prompt_cache_stats;

void rs_prompt_cache_get_stats(rs_prompt_cache *c, rs_prompt_cache_stats *st);

#ifdef __cplusplus
}
#endif
#endif
