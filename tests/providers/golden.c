/*
 * tests/providers/golden.c - golden request bodies: every RenderedPrompt in RENDERED_DIR encoded
 * for every built-in service, compared with GOLDEN_DIR/<prompt>.<service>.json (the body, pretty
 * printed) or GOLDEN_DIR/<prompt>.<service>.error (the expected error: code and message, for a
 * prompt the dialect cannot express). With --regen the files are (re)written instead.
 *
 *   golden [--regen] RENDERED_DIR GOLDEN_DIR
 *   golden --prompts PROMPTS_DIR RENDERED_DIR GOLDEN_DIR
 *
 * With --prompts, each RenderedPrompt is made by our own renderer from PROMPTS_DIR/<name>.prompt
 * (+ <name>.data.json) instead of being read, checked equal to the reference's rendering in
 * RENDERED_DIR, and then encoded and compared like the files: render + encode end to end.
 *
 * The model for a service is a fixed typical one, unless the prompt's own `model:` names that
 * service (then its model is used, e.g. openai/o3-mini to exercise the reasoning-model rules).
 */
#ifdef RS_GOLDEN_RENDER
#include "rosetta/memory.h"
#include "rosetta/prompt.h"
#endif

#include "providers/provider.h"
#include "providers/service.h"
#include "util/alloc.h"
#include "util/file.h"
#include "util/json.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
    const char *service;
    const char *model;
} targets[] = {
    {"openai", "gpt-4o-mini"},
    {"openai-responses", "gpt-4.1-mini"},
    {"anthropic", "claude-sonnet-4-5"},
    {"gemini", "gemini-2.5-flash"},
    {"ollama", "llama3.2"},
    {"mistral", "mistral-small-latest"},
    {"groq", "llama-3.3-70b-versatile"},
    {"together", "meta-llama/Llama-3.3-70B-Instruct-Turbo"},
    {"deepseek", "deepseek-chat"},
    {"openrouter", "anthropic/claude-sonnet-4.5"},
    {"vllm", "Qwen/Qwen2.5-7B-Instruct"},
    {"llamacpp", "local-model"},
    {"mock", "echo"},
};

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_text(const char *path, char **out, size_t *len)
{
    rs_error err = RS_ERROR_INIT;
    return rs_file_read(out, len, path, &err);
}

/* Compare want (file) with got; print the first differing line. 0 when equal. */
static int compare(const char *path, const char *got)
{
    char *want = NULL;
    size_t wlen = 0;
    if (read_text(path, &want, &wlen) != 0) {
        fprintf(stderr, "MISSING %s\n", path);
        return 1;
    }
    int rc = strcmp(want, got) != 0;
    if (rc) {
        int line = 1;
        size_t i = 0;
        while (want[i] && want[i] == got[i]) {
            if (want[i] == '\n')
                line++;
            i++;
        }
        fprintf(stderr, "DIFF %s (line %d)\n", path, line);
        const char *w = want + i, *g = got + i;
        while (w > want && w[-1] != '\n')
            w--, g--;
        fprintf(stderr, "  want: %.*s\n  got:  %.*s\n", (int)strcspn(w, "\n"), w,
                (int)strcspn(g, "\n"), g);
    }
    rs_free(want);
    return rc;
}

static int write_text(const char *path, const char *text)
{
    rs_error err = RS_ERROR_INIT;
    int rc = rs_file_write_atomic(path, text, strlen(text), &err);
    if (rc) {
        char buf[1024];
        fprintf(stderr, "%s\n", rs_error_format(&err, buf, sizeof buf));
    }
    return rc;
}

#ifdef RS_GOLDEN_RENDER
/* Our renderer's RenderedPrompt for dir/name.prompt with dir/name.data.json (when present), in
 * reference mode (the frontmatter's input.default not applied, as the reference does). */
static int render_prompt(cJSON **out, const char *dir, const char *name)
{
    char path[1024], dpath[1024];
    char *src = NULL, *data = NULL, *json = NULL;
    size_t len = 0, dlen = 0, jlen = 0;
    rs_prompt *p = NULL;
    rs_error err = RS_ERROR_INIT;
    int rc;
    snprintf(path, sizeof path, "%s/%s.prompt", dir, name);
    snprintf(dpath, sizeof dpath, "%s/%s.data.json", dir, name);
    rs_prompt_options po = RS_PROMPT_OPTIONS_INIT;
    po.filename = path;
    rs_prompt_render_options ro = RS_PROMPT_RENDER_OPTIONS_INIT;
    ro.reference = 1;
    ro.indent = 0;
    if ((rc = rs_file_read(&src, &len, path, &err)) != 0)
        goto done;
    if (access(dpath, F_OK) == 0 && (rc = rs_file_read(&data, &dlen, dpath, &err)) != 0)
        goto done;
    if ((rc = rs_prompt_open(&p, src, len, &po, &err)) != 0)
        goto done;
    if ((rc = rs_prompt_render_json(&json, &jlen, p, data, NULL, &ro, &err)) != 0)
        goto done;
    rc = rs_json_parse(out, json, jlen, path, &err);
done:
    if (rc) {
        char buf[1024];
        fprintf(stderr, "render %s: %s\n", path, rs_error_format(&err, buf, sizeof buf));
    }
    rs_free(src);
    rs_free(data);
    rs_free(json);
    rs_prompt_free(p);
    return rc;
}
#else
static int render_prompt(cJSON **out, const char *dir, const char *name)
{
    (void)out;
    fprintf(stderr, "render %s/%s: this build of golden has no renderer (RS_GOLDEN_RENDER)\n", dir,
            name);
    return -1;
}
#endif

static int exists(const char *path)
{
    return access(path, F_OK) == 0;
}

int main(int argc, char **argv)
{
    int regen = 0, argi = 1;
    const char *prompts = NULL;
    if (argc > 1 && strcmp(argv[1], "--regen") == 0) {
        regen = 1;
        argi++;
    } else if (argc > 2 && strcmp(argv[1], "--prompts") == 0) {
        prompts = argv[2];
        argi += 2;
    }
    if (argc - argi != 2) {
        fprintf(stderr, "usage: golden [--regen] RENDERED_DIR GOLDEN_DIR\n");
        return 2;
    }
    const char *rdir = argv[argi], *gdir = argv[argi + 1];
    DIR *d = opendir(rdir);
    if (!d) {
        perror(rdir);
        return 2;
    }
    char *names[512];
    size_t nnames = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && nnames < 512) {
        size_t l = strlen(e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0)
            names[nnames++] = rs_strndup(e->d_name, l - 5);
    }
    closedir(d);
    qsort(names, nnames, sizeof names[0], cmp_names);

    int failures = 0, bodies = 0, errors = 0;
    for (size_t i = 0; i < nnames; i++) {
        char path[1024];
        rs_error err = RS_ERROR_INIT;
        cJSON *rendered = NULL;
        snprintf(path, sizeof path, "%s/%s.json", rdir, names[i]);
        if (rs_json_parse_file(&rendered, path, &err) != 0) {
            char buf[1024];
            fprintf(stderr, "%s\n", rs_error_format(&err, buf, sizeof buf));
            failures++;
            continue;
        }
        if (prompts) {
            cJSON *ours = NULL;
            if (render_prompt(&ours, prompts, names[i]) != 0) {
                failures++;
                cJSON_Delete(rendered);
                continue;
            }
            if (!rs_json_equal(ours, rendered)) {
                fprintf(stderr, "RENDER DIFF %s: our rendering differs from the reference's\n",
                        names[i]);
                failures++;
            }
            cJSON_Delete(rendered);
            rendered = ours;
        }
        const char *pmodel = rs_json_string(rendered, "model");
        for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++) {
            rs_service svc;
            rs_str body = RS_STR_INIT;
            rs_encode_opts o = RS_ENCODE_OPTS_INIT;
            char jpath[1024], epath[1024], out[4096];
            const char *model = targets[t].model;
            size_t sl = strlen(targets[t].service);
            if (pmodel && strncmp(pmodel, targets[t].service, sl) == 0 && pmodel[sl] == '/')
                model = pmodel + sl + 1;
            snprintf(jpath, sizeof jpath, "%s/%s.%s.json", gdir, names[i], targets[t].service);
            snprintf(epath, sizeof epath, "%s/%s.%s.error", gdir, names[i], targets[t].service);
            rs_error_clear(&err);
            int rc = rs_service_lookup(&svc, targets[t].service, NULL, &err);
            if (!rc)
                rc = svc.dialect->encode(&body, &svc, model, rendered, &o, &err);
            if (rc == RS_ENOMEM || rc == RS_EINTERNAL) {
                fprintf(stderr, "%s x %s: %s\n", names[i], targets[t].service, err.message);
                failures++;
            } else if (rc) {
                errors++;
                snprintf(out, sizeof out, "%s: %s\n", rs_error_name(rc), err.message);
                if (regen) {
                    failures += write_text(epath, out) != 0;
                    unlink(jpath);
                } else {
                    failures += compare(epath, out);
                    if (exists(jpath)) {
                        fprintf(stderr, "UNEXPECTED ERROR for %s: %s", jpath, out);
                        failures++;
                    }
                }
            } else {
                cJSON *parsed = NULL;
                char *pretty = NULL;
                bodies++;
                if (rs_json_parse(&parsed, body.ptr, body.len, "body", &err) != 0 ||
                    !(pretty = cJSON_Print(parsed))) {
                    fprintf(stderr, "%s x %s: the body is not JSON: %s\n", names[i],
                            targets[t].service, err.message);
                    failures++;
                } else {
                    /* our printer writes exactly what cJSON's compact printer would */
                    char *compact = cJSON_PrintUnformatted(parsed);
                    if (!compact || strcmp(compact, body.ptr) != 0) {
                        fprintf(stderr, "%s x %s: the body is not canonical compact JSON\n",
                                names[i], targets[t].service);
                        failures++;
                    }
                    cJSON_free(compact);
                    rs_str text = RS_STR_INIT;
                    rs_str_puts(&text, pretty);
                    rs_str_putc(&text, '\n');
                    if (regen) {
                        failures += write_text(jpath, rs_str_cstr(&text)) != 0;
                        unlink(epath);
                    } else {
                        failures += compare(jpath, rs_str_cstr(&text));
                        if (exists(epath)) {
                            fprintf(stderr, "UNEXPECTED BODY for %s (an error was expected)\n",
                                    epath);
                            failures++;
                        }
                    }
                    rs_str_free(&text);
                }
                cJSON_free(pretty);
                cJSON_Delete(parsed);
            }
            rs_str_free(&body);
        }
        cJSON_Delete(rendered);
    }
    printf("%zu prompts x %zu services: %d bodies, %d expected errors, %d failures%s\n", nnames,
           sizeof targets / sizeof targets[0], bodies, errors, failures,
           regen ? " (regenerated)" : "");
    for (size_t i = 0; i < nnames; i++)
        rs_free(names[i]);
    return failures ? 1 : 0;
}
