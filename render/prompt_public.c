/*
 * render/prompt_public.c - include/rosetta/prompt.h over the internal (cJSON) API in
 * render/prompt.h: JSON text in, JSON text out.
 */
#include "rosetta/prompt.h"

#include "render/js_json.h"
#include "render/prompt.h"
#include "render/prompt_cache.h"
#include "util/alloc.h"
#include "util/json.h"
#include "util/str.h"
#include "util/utf8.h"

#include <string.h>

/* Parse JSON text as the reference reads its files: ill-formed UTF-8 becomes U+FFFD. */
static int parse_json(cJSON **out, const char *text, const char *name, rs_error *err)
{
    *out = NULL;
    if (!text)
        return 0;
    size_t len = strlen(text);
    if (rs_utf8_valid(text, len))
        return rs_json_parse(out, text, len, name, err);
    char *clean = rs_utf8_sanitize(text, len, &len);
    if (!clean)
        return rs_error_set(err, RS_ENOMEM, "out of memory");
    int rc = rs_json_parse(out, clean, len, name, err);
    rs_free(clean);
    return rc;
}

/* rs_prompt_open and rs_prompt_cache_open: the public options to the internal ones, then
 * compile directly (c NULL) or through the cache. */
static int open_prompt(rs_prompt_cache *c, rs_prompt **out, const char *src, size_t len,
                       const rs_prompt_options *opts, rs_error *err)
{
    rs_prompt_options defaults = RS_PROMPT_OPTIONS_INIT;
    rs_prompt_compile_opts co = RS_PROMPT_COMPILE_OPTS_INIT;
    cJSON *schemas = NULL;
    *out = NULL;
    if (!opts)
        opts = &defaults;
    int rc = parse_json(&schemas, opts->schemas_json, opts->schemas_name, err);
    if (rc)
        return rc;
    if (schemas && !cJSON_IsObject(schemas)) {
        cJSON_Delete(schemas);
        return rs_error_set_at(err, RS_EINVAL, opts->schemas_name, 0, 0,
                               "the named schemas must be a JSON object {\"Name\": schema}");
    }
    co.filename = opts->filename;
    co.resolve = (rs_hbs_partial_resolver)opts->partials;
    co.resolve_userdata = opts->partials_userdata;
    co.schemas = schemas;
    co.partials_dir = opts->partials_dir;
    rc = c ? rs_prompt_cache_get(c, out, src, len, &co, err)
           : rs_prompt_compile(out, src, len, &co, err);
    cJSON_Delete(schemas);
    return rc;
}

int rs_prompt_open(rs_prompt **out, const char *src, size_t len, const rs_prompt_options *opts,
                   rs_error *err)
{
    return open_prompt(NULL, out, src, len, opts, err);
}

int rs_prompt_cache_open(rs_prompt_cache *c, rs_prompt **out, const char *src, size_t len,
                         const rs_prompt_options *opts, rs_error *err)
{
    *out = NULL;
    if (!c)
        return rs_error_set(err, RS_EINVAL, "no prompt cache");
    return open_prompt(c, out, src, len, opts, err);
}

/* Print v as the reference prints its results (JSON.stringify with `indent` spaces). */
static int emit(char **out, size_t *out_len, const cJSON *v, int indent, rs_error *err)
{
    char gap[11];
    rs_str s = RS_STR_INIT;
    int n = indent < 0 ? 0 : indent > 10 ? 10 : indent;
    memset(gap, ' ', (size_t)n);
    gap[n] = '\0';
    if (rs_js_stringify(&s, v, gap) != 0) {
        int rc = rs_str_report(&s, err, "the JSON output");
        rs_str_free(&s);
        return rc;
    }
    size_t len = 0;
    *out = rs_str_detach(&s, &len);
    if (!*out) {
        rs_str_free(&s);
        return rs_error_set(err, RS_ENOMEM, "out of memory");
    }
    if (out_len)
        *out_len = len;
    return 0;
}

int rs_prompt_render_json(char **out, size_t *out_len, const rs_prompt *p, const char *data_json,
                          const char *options_json, const rs_prompt_render_options *ro,
                          rs_error *err)
{
    rs_prompt_render_options defaults = RS_PROMPT_RENDER_OPTIONS_INIT;
    rs_prompt_render_opts io = RS_PROMPT_RENDER_OPTS_INIT;
    cJSON *data = NULL, *options = NULL;
    const cJSON *result = NULL;
    unsigned char first[4096]; /* where the result is built while it fits */
    rs_arena arena;            /* the result: printed, then freed at once */
    int rc;
    *out = NULL;
    rs_arena_init_buffer(&arena, first, sizeof(first), 4096);
    if (!ro)
        ro = &defaults;
    if ((rc = parse_json(&data, data_json, ro->data_name, err)) != 0 ||
        (rc = parse_json(&options, options_json, ro->options_name, err)) != 0)
        goto done;
    io.strict = ro->strict;
    io.apply_input_default = !ro->reference;
    io.share_metadata = 1; /* printed before p can go away */
    io.share_data = 1;     /* and before data is freed */
    rc = rs_prompt_render_arena(&result, &arena, p, data, options, &io, err);
    if (rc) {
        /* data problems (shape, strict) are about the data file */
        if ((rc == RS_EINVAL || rc == RS_ESCHEMA) && err && err->line == 0)
            rs_error_set_file(err, ro->data_name);
        goto done;
    }
    rc = emit(out, out_len, result, ro->indent, err);
done:
    cJSON_Delete(data);
    cJSON_Delete(options);
    rs_arena_free(&arena);
    return rc;
}

int rs_prompt_metadata_json(char **out, size_t *out_len, const rs_prompt *p,
                            const char *options_json, const rs_prompt_render_options *ro,
                            rs_error *err)
{
    rs_prompt_render_options defaults = RS_PROMPT_RENDER_OPTIONS_INIT;
    cJSON *options = NULL, *meta = NULL;
    int rc;
    *out = NULL;
    if (!ro)
        ro = &defaults;
    if ((rc = parse_json(&options, options_json, ro->options_name, err)) != 0)
        goto done;
    if ((rc = rs_prompt_render_metadata(&meta, p, options, err)) != 0) {
        if (err && err->line == 0 && options)
            rs_error_set_file(err, ro->options_name);
        goto done;
    }
    rc = emit(out, out_len, meta, ro->indent, err);
done:
    cJSON_Delete(options);
    cJSON_Delete(meta);
    return rc;
}
