/*
 * tests/conformance/dotprompt_runner.c - the Dotprompt spec suite (shared/conformance/dotprompt/
 * json, converted one-to-one from the reference repository's spec YAML files), run the way the
 * reference's own spec runner (js/test/spec.test.ts) runs it:
 *
 *   env = new Dotprompt({schemas: s.schemas, partialResolver: n => s.resolverPartials?.[n]})
 *   for each s.partials: env.definePartial(name, source)
 *   result = render(s.template, {...s.data, ...tc.data}, tc.options)
 *   result minus raw == {...expect minus raw and input, ext/config/metadata defaulting to {}}
 *   if expect.raw: result.raw == expect.raw
 *   renderMetadata(s.template, tc.options) minus raw ==
 *       {...expect minus messages and raw, ext/config/metadata defaulting to {}}
 *
 * Rendering uses the reference's behaviour (frontmatter input.default not applied). Comparison
 * is deep equality ignoring key order. Prints each failure and "N passed, N failed".
 *
 *   dotprompt_runner [DIR]   (default: $RS_SHARED_DIR/conformance/dotprompt/json)
 */
#include "render/prompt.h"
#include "util/alloc.h"
#include "util/file.h"
#include "util/json.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct suite_env {
    const cJSON *partials;
    const cJSON *resolver_partials;
} suite_env;

static int resolve(char **src, size_t *len, void *ud, const char *name, rs_error *err)
{
    const suite_env *env = ud;
    const char *s = rs_json_string(env->partials, name);
    if (!s)
        s = rs_json_string(env->resolver_partials, name);
    (void)err;
    if (!s || !*s) /* `|| null`: an empty partial counts as none */
        return RS_ENOTFOUND;
    *src = rs_strdup(s);
    if (!*src)
        return RS_ENOMEM;
    *len = strlen(s);
    return 0;
}

/* {...expect minus the given keys, ext/config/metadata: expect's or {}} */
static cJSON *expected_view(const cJSON *expect, const char *drop1, const char *drop2)
{
    cJSON *e = cJSON_Duplicate(expect, 1);
    if (!e)
        return NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(e, drop1);
    cJSON_DeleteItemFromObjectCaseSensitive(e, drop2);
    const char *defaults[] = {"ext", "config", "metadata"};
    for (size_t i = 0; i < 3; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, defaults[i]);
        if (!v || cJSON_IsNull(v)) {
            cJSON_DeleteItemFromObjectCaseSensitive(e, defaults[i]);
            cJSON_AddObjectToObject(e, defaults[i]);
        }
    }
    return e;
}

static void show_diff(const char *what, const cJSON *want, const cJSON *got)
{
    char *w = rs_json_print(want, 0), *g = rs_json_print(got, 0);
    printf("    %s\n      expected: %s\n      got:      %s\n", what, w ? w : "?", g ? g : "?");
    rs_free(w);
    rs_free(g);
}

static int run_test(const char *file, const cJSON *suite, const cJSON *tc)
{
    const char *name = rs_json_string(suite, "name");
    const char *desc = rs_json_string(tc, "desc");
    const char *tpl = rs_json_string(suite, "template");
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(tc, "expect");
    const cJSON *options = cJSON_GetObjectItemCaseSensitive(tc, "options");
    suite_env env = {cJSON_GetObjectItemCaseSensitive(suite, "partials"),
                     cJSON_GetObjectItemCaseSensitive(suite, "resolverPartials")};
    rs_error err = RS_ERROR_INIT;
    rs_prompt *p = NULL;
    cJSON *data = NULL, *result = NULL, *meta = NULL, *want = NULL, *want_meta = NULL;
    int ok = 0;

    rs_prompt_compile_opts co = RS_PROMPT_COMPILE_OPTS_INIT;
    co.filename = name;
    co.resolve = resolve;
    co.resolve_userdata = &env;
    co.schemas = cJSON_GetObjectItemCaseSensitive(suite, "schemas");
    if (rs_prompt_compile(&p, tpl ? tpl : "", tpl ? strlen(tpl) : 0, &co, &err) != 0)
        goto fail_err;

    /* {...s.data, ...tc.data} */
    data = cJSON_CreateObject();
    const cJSON *layers[2] = {cJSON_GetObjectItemCaseSensitive(suite, "data"),
                              cJSON_GetObjectItemCaseSensitive(tc, "data")};
    for (int i = 0; i < 2; i++) {
        for (const cJSON *m = cJSON_IsObject(layers[i]) ? layers[i]->child : NULL; m; m = m->next) {
            cJSON_DeleteItemFromObjectCaseSensitive(data, m->string);
            cJSON_AddItemToObject(data, m->string, cJSON_Duplicate(m, 1));
        }
    }
    rs_prompt_render_opts ro = RS_PROMPT_RENDER_OPTS_INIT;
    ro.apply_input_default = 0;
    if (rs_prompt_render(&result, p, data, options, &ro, &err) != 0)
        goto fail_err;
    cJSON *raw = cJSON_DetachItemFromObjectCaseSensitive(result, "raw");
    want = expected_view(expect, "raw", "input");
    int render_ok = rs_json_equal(want, result);
    const cJSON *want_raw = cJSON_GetObjectItemCaseSensitive(expect, "raw");
    int raw_ok = !want_raw || cJSON_IsNull(want_raw) || cJSON_IsFalse(want_raw) ||
                 (raw && rs_json_equal(want_raw, raw));

    if (rs_prompt_render_metadata(&meta, p, options, &err) != 0) {
        cJSON_Delete(raw);
        goto fail_err;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "raw");
    want_meta = expected_view(expect, "messages", "raw");
    int meta_ok = rs_json_equal(want_meta, meta);
    ok = render_ok && raw_ok && meta_ok;
    if (!ok) {
        printf("FAIL %s: %s: %s\n", file, name, desc ? desc : "");
        if (!render_ok)
            show_diff("render", want, result);
        if (!raw_ok)
            show_diff("raw", want_raw, raw);
        if (!meta_ok)
            show_diff("renderMetadata", want_meta, meta);
    }
    cJSON_Delete(raw);
    goto done;
fail_err : {
    char buf[2048];
    printf("FAIL %s: %s: %s\n    error: %s\n", file, name, desc ? desc : "",
           rs_error_format(&err, buf, sizeof(buf)));
}
done:
    cJSON_Delete(data);
    cJSON_Delete(result);
    cJSON_Delete(meta);
    cJSON_Delete(want);
    cJSON_Delete(want_meta);
    rs_prompt_free(p);
    return ok;
}

static void run_file(const char *path, const char *label, int *passed, int *failed)
{
    cJSON *suites = NULL;
    rs_error err = RS_ERROR_INIT;
    if (rs_json_parse_file(&suites, path, &err) != 0) {
        char buf[2048];
        printf("FAIL %s: %s\n", label, rs_error_format(&err, buf, sizeof(buf)));
        (*failed)++;
        return;
    }
    for (const cJSON *s = suites->child; s; s = s->next) {
        const cJSON *tests = cJSON_GetObjectItemCaseSensitive(s, "tests");
        for (const cJSON *t = cJSON_IsArray(tests) ? tests->child : NULL; t; t = t->next) {
            if (run_test(label, s, t))
                (*passed)++;
            else
                (*failed)++;
        }
    }
    cJSON_Delete(suites);
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.json under dir (recursively), in name order so the output is stable. */
static void run_dir(const char *dir, const char *rel, int *passed, int *failed)
{
    DIR *d = opendir(dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    if (!d) {
        printf("FAIL cannot open %s\n", dir);
        (*failed)++;
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **grown = realloc(names, cap * sizeof(*names));
            if (!grown)
                break;
            names = grown;
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), cmp);
    for (size_t i = 0; i < n; i++) {
        char path[4096], label[4096];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        snprintf(label, sizeof(label), "%s%s%s", rel, *rel ? "/" : "", names[i]);
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            run_dir(path, label, passed, failed);
        else if (strlen(names[i]) > 5 && strcmp(names[i] + strlen(names[i]) - 5, ".json") == 0)
            run_file(path, label, passed, failed);
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv)
{
    char dir[4096];
    const char *shared = getenv("RS_SHARED_DIR");
    if (argc > 1)
        snprintf(dir, sizeof(dir), "%s", argv[1]);
    else
        snprintf(dir, sizeof(dir), "%s/conformance/dotprompt/json", shared ? shared : "../shared");
    int passed = 0, failed = 0;
    run_dir(dir, "", &passed, &failed);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}
