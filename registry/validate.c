/*
 * registry/validate.c - what save checks before it commits: the frontmatter parses, and the whole
 * prompt compiles with its partials resolved at the state being saved.
 */
#include "registry/internal.h"
#include "templates/yaml_json.h"

#include "rosetta/prompt.h"

#include "util/alloc.h"

#include <string.h>

/* Length of the line break at p ("\r\n", "\n", "\r"), 0 when none. */
static size_t eol(const char *p, const char *end)
{
    if (p < end && *p == '\r')
        return p + 1 < end && p[1] == '\n' ? 2 : 1;
    return p < end && *p == '\n' ? 1 : 0;
}

static int skip_spaces(const char **p, const char *end)
{
    while (*p < end && (**p == ' ' || **p == '\t'))
        (*p)++;
    return 0;
}

int reg_frontmatter(cJSON **out, const char *src, size_t len, const char *file, rs_error *err)
{
    *out = NULL;
    const char *end = src + len, *p = src;
    if (len < 3 || memcmp(src, "---", 3) != 0)
        return 0;
    p += 3;
    skip_spaces(&p, end);
    size_t nl = eol(p, end);
    if (!nl)
        return 0; /* "---x": not a frontmatter opener (Dotprompt's rule) */
    p += nl;
    const char *yaml = p;
    int line = 2;
    while (p < end) {
        const char *ls = p;
        if (end - p >= 3 && memcmp(p, "---", 3) == 0) {
            const char *q = p + 3;
            skip_spaces(&q, end);
            if (q == end || eol(q, end)) {
                /* the frontmatter's YAML typed as Dotprompt types it (templates/yaml_json.h) */
                rs_yaml_opts yo = RS_YAML_OPTS_INIT;
                yo.filename = file;
                yo.file_src = src;
                yo.file_len = len;
                yo.line_offset = 1; /* the YAML starts on line 2 */
                return rs_yaml_to_json(out, yaml, (size_t)(ls - yaml), &yo, err);
            }
        }
        while (p < end && !eol(p, end))
            p++;
        p += eol(p, end);
        line++;
    }
    (void)line;
    rs_error_set_at(err, RS_ESYNTAX, file, 1, 1,
                    "the frontmatter opened by '---' on line 1 is never closed (a line '---')");
    rs_error_set_snippet(err, src, len, 1);
    return RS_ESYNTAX;
}

int reg_validate_source(const char *file, const char *src, size_t len, reg_partial_fn resolve,
                        void *userdata, rs_error *err)
{
    cJSON *fm = NULL;
    int rc = reg_frontmatter(&fm, src, len, file, err);
    if (rc == 0 && fm && !cJSON_IsObject(fm) && !cJSON_IsNull(fm))
        rc = rs_error_set_at(err, RS_ESYNTAX, file, 2, 1,
                             "the frontmatter must be a YAML mapping (key: value lines)");
    cJSON_Delete(fm);
    if (rc)
        return rc;
    rs_prompt *p = NULL;
    rs_prompt_options o = RS_PROMPT_OPTIONS_INIT;
    o.filename = file;
    o.partials = resolve;
    o.partials_userdata = userdata;
    rc = rs_prompt_open(&p, src, len, &o, err);
    if (rc)
        rs_error_set_file(err, file);
    rs_prompt_free(p);
    /* The template engine resolves a partial it cannot find at render time, as Handlebars does;
       a save must not let a prompt through whose partial is missing at the saved state. */
    size_t pos = 0, at;
    char name[MAX_NAME + 1];
    while (rc == 0 && resolve && reg_next_partial(src, len, &pos, name, &at)) {
        char *psrc = NULL;
        size_t plen = 0;
        rs_error local = RS_ERROR_INIT;
        int prc = resolve(&psrc, &plen, userdata, name, &local);
        rs_free(psrc);
        if (prc == 0)
            continue;
        int line, col;
        rs_location_of(src, len, at, &line, &col);
        if (prc == RS_ENOTFOUND || prc == RS_EINVAL)
            rc = rs_error_set_at(err, prc, file, line, col, "%s", local.message);
        else if (err)
            *err = local, rc = prc;
        else
            rc = prc;
        rs_error_set_snippet(err, src, len, line);
    }
    return rc;
}
