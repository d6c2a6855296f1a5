/*
 * registry/render_ref.c - rendering NAME@REF from the registry: resolve, choose the variant,
 * compile with partials taken at the same commit, render.
 *
 * Compiled prompts are cached per handle by (commit, blob): the same blob at another commit may
 * see other partials, so the commit is part of the key. A warm render of NAME@production costs a
 * ref read, a labels.yaml id check and a cache hit before the render itself.
 */
#include "registry/internal.h"

#include "util/alloc.h"

#include "rosetta/prompt.h"

#include <string.h>

struct compiled {
    git_oid commit;
    git_oid blob;
    rs_prompt *prompt;
};

static void compiled_free(struct compiled *c)
{
    if (!c)
        return;
    rs_prompt_free(c->prompt);
    rs_free(c);
}

void reg_compiled_free_all(rs_registry *reg)
{
    for (size_t i = 0; i < COMPILED_CACHE; i++) {
        compiled_free(reg->ccache[i]);
        reg->ccache[i] = NULL;
    }
}

static int explain_text(char **explain, rs_registry *reg, const rs_registry_ref *r,
                        const char *reason, rs_error *err)
{
    int version = 0;
    int rc = reg_version_at(&version, reg, r->name, &r->commit, err);
    if (rc)
        return rc;
    rs_str s = RS_STR_INIT;
    rs_str_appendf(&s, "prompt:  %s@v%d%s%s%s\n", r->name, version, r->label ? " (label " : "",
                   r->label ? r->label : "", r->label ? ")" : "");
    rs_str_appendf(&s, "commit:  %s\n", r->hex);
    rs_str_appendf(&s, "file:    %s\n", reason);
    if ((rc = rs_str_report(&s, err, "the explanation")) == 0)
        *explain = rs_str_detach(&s, NULL);
    rs_str_free(&s);
    return rc;
}

int rs_registry_render(char **json, char **explain, rs_registry *reg, const char *ref,
                       const rs_registry_render_opts *opts, rs_error *err)
{
    rs_registry_render_opts dflt = RS_REGISTRY_RENDER_OPTS_INIT;
    rs_registry_ref *r = NULL;
    const struct pfiles *pf = NULL;
    const struct pfile *f = NULL;
    char *reason = NULL;
    *json = NULL;
    if (explain)
        *explain = NULL;
    if (!opts)
        opts = &dflt;
    int rc = reg_resolve(&r, reg, ref, err);
    if (rc || (rc = reg_pfiles(&pf, reg, &r->commit, r->name, err)) ||
        (rc = reg_choose(&f, &reason, reg, pf, opts->target, opts->variant, err)))
        goto done;
    struct compiled *c = NULL;
    for (size_t i = 0; i < COMPILED_CACHE && !c; i++) {
        struct compiled *e = reg->ccache[i];
        if (e && git_oid_equal(&e->commit, &r->commit) && git_oid_equal(&e->blob, &f->blob))
            c = e;
    }
    if (!c) {
        char *src = NULL;
        size_t len = 0;
        if ((rc = reg_read_blob(&src, &len, reg, &f->blob, f->path, err)))
            goto done;
        if (!(c = rs_calloc(1, sizeof *c))) {
            rs_free(src);
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
        rs_prompt_options po = RS_PROMPT_OPTIONS_INIT;
        po.filename = f->path;
        po.partials = rs_registry_partial_resolver;
        po.partials_userdata = r;
        rc = rs_prompt_open(&c->prompt, src, len, &po, err);
        rs_free(src);
        if (rc) {
            rs_error_set_file(err, f->path);
            compiled_free(c);
            goto done;
        }
        git_oid_cpy(&c->commit, &r->commit);
        git_oid_cpy(&c->blob, &f->blob);
        size_t slot = reg->ccache_next++ % COMPILED_CACHE;
        compiled_free(reg->ccache[slot]);
        reg->ccache[slot] = c;
    }
    /* The same JSON text as `rosetta render --source` (numbers printed as JavaScript does). */
    rs_prompt_render_options ro = RS_PROMPT_RENDER_OPTIONS_INIT;
    ro.strict = opts->strict;
    ro.indent = opts->indent;
    ro.data_name = opts->data_name;
    if ((rc = rs_prompt_render_json(json, NULL, c->prompt, opts->data, NULL, &ro, err)))
        goto done;
    if (explain && (rc = explain_text(explain, reg, r, reason, err))) {
        rs_free(*json);
        *json = NULL;
    }
done:
    rs_free(reason);
    rs_registry_ref_free(r);
    return rc;
}
