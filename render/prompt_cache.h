/*
 * render/prompt_cache.h - compiled prompts by content: compile once, render many, across callers
 * that only have the source text.
 *
 * The key is the source and the compile options that change the result (the
 * named schemas, the partials directory, the file name, which errors at render time name). An
 * entry also remembers every partial its compile asked for with its content hash; a hit is
 * checked against the resolver again (rs_prompt_current), so a changed, added or removed partial
 * is a miss and the prompt is compiled afresh. The resolver itself is not part of the key:
 * revalidation is what makes two resolvers giving different partials safe.
 *
 * Bounded: at most `capacity` prompts, the least recently used evicted first. Entries are
 * reference counted (rs_prompt_retain): a prompt evicted or replaced while a caller still renders
 * it lives until that caller's rs_prompt_free. Thread-safe: one mutex guards the table; compiling
 * and revalidating happen outside it.
 */
#ifndef RS_RENDER_PROMPT_CACHE_H
#define RS_RENDER_PROMPT_CACHE_H

#include "render/prompt.h"
#include "rosetta/prompt.h"

/* rs_prompt_cache, rs_prompt_cache_new/free/stats and the public rs_prompt_cache_open are in
 * include/rosetta/prompt.h; this is the entry point with the internal (cJSON) options. */
/*
 * The compiled prompt for (src, len) under opts, from the cache or compiled (and cached) now.
 * *out is the caller's reference: release it with rs_prompt_free. Compile errors are returned as
 * rs_prompt_compile returns them and are not cached.
 */
int rs_prompt_cache_get(rs_prompt_cache *c, rs_prompt **out, const char *src, size_t len,
                        const rs_prompt_compile_opts *opts, rs_error *err);

#endif
