/*
 * render/prompt.h - a Dotprompt .prompt file: frontmatter + Handlebars body, compiled once,
 * rendered many times into the reference's RenderedPrompt shape. The internal (cJSON) API; the
 * public wrapper is include/rosetta/prompt.h.
 *
 * RenderedPrompt (as the reference prints it): the resolved metadata (name, variant, model,
 * config, input, output, tools, toolDefs, ext, raw, metadata, ...) plus
 *   "messages": [{"role": "system"|"user"|"model"|"tool", "content": [part...], "metadata"?: {}}]
 * where a part is {"text": ".."} | {"media": {"url": "..", "contentType"?: ".."}} | {"metadata":
 * {..}} (history messages carry "metadata": {"purpose": "history"}).
 */
#ifndef RS_RENDER_PROMPT_H
#define RS_RENDER_PROMPT_H

#include "templates/hbs.h"
#include "util/arena.h"
#include "util/error.h"

#include <cjson/cJSON.h>
#include <stddef.h>

typedef struct rs_prompt rs_prompt;

typedef struct rs_prompt_compile_opts {
    const char *filename;            /* for error locations; may be NULL */
    rs_hbs_partial_resolver resolve; /* partials; may be NULL */
    void *resolve_userdata;
    const cJSON *schemas;     /* named types for Picoschema ({"Name": JSON Schema}); may be NULL */
    const char *partials_dir; /* when resolve is NULL or does not find a partial: partial
                                 "a/b" is DIR/a/_b.prompt (as the reference's command
                                 line); errors inside it name that file. May be NULL. */
} rs_prompt_compile_opts;

#define RS_PROMPT_COMPILE_OPTS_INIT                                                                \
    {                                                                                              \
        NULL, NULL, NULL, NULL, NULL                                                               \
    }

typedef struct rs_prompt_render_opts {
    int strict;              /* validate the input against input.schema; refuse invalid input */
    int apply_input_default; /* apply frontmatter input.default (1 by default; 0 = reference) */
    int share_metadata;      /* 1: the result's metadata members (config, output, raw, ...) refer
                                to p's instead of being copied, as the reference's shallow
                                `{...metadata, messages}` does: faster, but the result must
                                not outlive p and those members must not be modified.
                                cJSON_Delete on the result stays correct. 0 by default. */
    int share_data;          /* 1: history messages in the result refer to data's members, as
                                the reference's `{...message}` does: the result must not
                                outlive data. 0 by default. */
} rs_prompt_render_opts;

#define RS_PROMPT_RENDER_OPTS_INIT                                                                 \
    {                                                                                              \
        0, 1, 0, 0                                                                                 \
    }

/* Split, parse and compile a .prompt source. The result is immutable and thread-safe to render. */
int rs_prompt_compile(rs_prompt **out, const char *src, size_t len,
                      const rs_prompt_compile_opts *opts, rs_error *err);
void rs_prompt_free(rs_prompt *p);

/*
 * Reference counting, for caches (render/prompt_cache.h): rs_prompt_retain adds a reference,
 * rs_prompt_free drops one and frees with the last. Thread-safe. Returns p.
 */
rs_prompt *rs_prompt_retain(rs_prompt *p);

/*
 * 1 when every partial p's compile asked for still resolves (opts' resolver, then its
 * partials_dir) to the same content (SHA-256) or is still not found; 0 when one changed or
 * cannot be read now. rs_prompt_partials_used: how many partials that checks.
 */
int rs_prompt_current(const rs_prompt *p, const rs_prompt_compile_opts *opts);
size_t rs_prompt_partials_used(const rs_prompt *p);

/* The resolved metadata (what the reference's renderMetadata prints). Borrowed from p. */
const cJSON *rs_prompt_metadata(const rs_prompt *p);

/* The cache key: SHA-256 hex of the source and of every partial it uses. Borrowed from p.
 * Computed on the first call (compiling does not pay for it); safe from any number of threads. */
const char *rs_prompt_hash(const rs_prompt *p);

/*
 * Render with DATA = {"input":..,"context":..,"messages":..,"docs":..} (may be NULL) and
 * options (metadata merged over the frontmatter, as the reference's third argument; may be NULL).
 * *out is the RenderedPrompt, owned by the caller (cJSON_Delete).
 */
int rs_prompt_render(cJSON **out, const rs_prompt *p, const cJSON *data, const cJSON *options,
                     const rs_prompt_render_opts *ro, rs_error *err);

/*
 * rs_prompt_render with the result built in `arena`: *out lives until the arena is freed (or
 * reset), and no node of it may be given to cJSON_Delete or cJSON's other functions that free or
 * allocate (see util/json_build.h); read it, print it, or rs_jt_heap_copy it. With one arena per
 * render (or one reset between renders) nothing is allocated or freed per node: what a caller that
 * prints or encodes the result and then drops it should use. share_metadata and share_data apply
 * as in rs_prompt_render.
 */
int rs_prompt_render_arena(const cJSON **out, rs_arena *arena, const rs_prompt *p,
                           const cJSON *data, const cJSON *options,
                           const rs_prompt_render_opts *ro, rs_error *err);

/* renderMetadata: the metadata with options merged over it. *out owned by the caller. */
int rs_prompt_render_metadata(cJSON **out, const rs_prompt *p, const cJSON *options, rs_error *err);

#endif
