/*
 * examples/render_production.c - render a prompt's production version from a registry, as an
 * application does in its request path: open the registry once (a work tree or a bare mirror),
 * then resolve NAME@production and render it with the request's data.
 *
 *   render_production [REGISTRY [NAME [DATA_JSON [TARGET]]]]
 *       REGISTRY   a registry directory (default: $ROSETTA_REGISTRY, else the enclosing one)
 *       NAME       the prompt (default: triage)
 *       DATA_JSON  {"input": {...}} (default: a sample ticket)
 *       TARGET     provider/model for the variant choice (default: none, the base file)
 *
 * Build: make (links through `pkg-config --cflags --libs rosetta`).
 */
#include <rosetta/memory.h>
#include <rosetta/registry.h>
#include <rosetta/rosetta.h>

#include <stdio.h>

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : NULL;
    const char *name = argc > 2 ? argv[2] : "triage";
    const char *data = argc > 3 ? argv[3] : "{\"input\": {\"ticket\": \"My invoice is wrong\"}}";
    const char *target = argc > 4 ? argv[4] : NULL;
    rs_error err = RS_ERROR_INIT;
    rs_registry *reg = NULL;
    char ref[256], msg[2048], *json = NULL, *explain = NULL;
    int rc = 1;

    if (snprintf(ref, sizeof ref, "%s@production", name) >= (int)sizeof ref) {
        fprintf(stderr, "render_production: name too long\n");
        return 2;
    }
    if (rs_global_init(&err) != 0)
        goto fail;
    if (rs_registry_open(&reg, dir, &err) != 0)
        goto fail;

    rs_registry_render_opts opts = RS_REGISTRY_RENDER_OPTS_INIT;
    opts.data = data;
    opts.target = target;
    opts.indent = 2;
    if (rs_registry_render(&json, &explain, reg, ref, &opts, &err) != 0)
        goto fail;
    fputs(explain, stderr); /* which commit, version and file, and why */
    printf("%s\n", json);
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "render_production: %s\n", rs_error_format(&err, msg, sizeof msg));
done:
    rs_free(json);
    rs_free(explain);
    rs_registry_free(reg);
    rs_global_shutdown();
    return rc;
}
