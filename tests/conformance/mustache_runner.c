/*
 * tests/conformance/mustache_runner.c - runs the Mustache spec files a Handlebars engine passes
 * (comments, interpolation, inverted, partials, sections) with HTML escaping on and each test's
 * partials, comparing the output to "expected" byte for byte.
 *
 * Skipped, because Handlebars (and so Dotprompt) deliberately differs from Mustache there:
 *   partials/Standalone Indentation  Handlebars indents the partial's rendered output, including
 *                                    lines that come from data, where Mustache indents only the
 *                                    partial's own lines.
 *   partials/Failed Lookup           a missing partial is an error in Handlebars, "" in Mustache.
 *   sections/Parent contexts, Variable test, List Contexts, Deeply Nested Contexts
 *                                    these resolve a name through enclosing contexts (implicit
 *                                    parent lookup); Handlebars without compat mode looks only in
 *                                    the current context (use ../name).
 * Prints "N passed, N failed, N skipped" and exits non-zero on any failure.
 */
#include "templates/hbs.h"
#include "util/alloc.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *file, *name, *why;
} skipped[] = {
    {"partials", "Standalone Indentation", "Handlebars indents data lines of a partial too"},
    {"partials", "Failed Lookup", "a missing partial is an error in Handlebars"},
    {"sections", "Parent contexts", "needs implicit parent-context lookup"},
    {"sections", "Variable test", "needs implicit parent-context lookup"},
    {"sections", "List Contexts", "needs implicit parent-context lookup"},
    {"sections", "Deeply Nested Contexts", "needs implicit parent-context lookup"},
};

static const char *skip_reason(const char *file, const char *name)
{
    for (size_t i = 0; i < sizeof skipped / sizeof skipped[0]; i++) {
        if (!strcmp(skipped[i].file, file) && !strcmp(skipped[i].name, name))
            return skipped[i].why;
    }
    return NULL;
}

/* Partials come from the test's "partials" object. */
static int resolve(char **src, size_t *len, void *userdata, const char *name, rs_error *err)
{
    const cJSON *partials = userdata;
    const cJSON *p = partials ? cJSON_GetObjectItemCaseSensitive(partials, name) : NULL;
    (void)err;
    if (!cJSON_IsString(p))
        return RS_ENOTFOUND;
    *len = strlen(p->valuestring);
    *src = rs_strndup(p->valuestring, *len);
    return *src ? 0 : rs_error_set(err, RS_ENOMEM, "out of memory");
}

/* Run one test; 1 passed, 0 failed (with the reason printed). */
static int run_test(const char *file, const cJSON *t)
{
    const char *name = rs_json_string(t, "name");
    const char *tmpl = rs_json_string(t, "template");
    const char *expected = rs_json_string(t, "expected");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(t, "data");
    rs_hbs_options o = RS_HBS_OPTIONS_INIT;
    rs_hbs_template *tpl = NULL;
    rs_error err = RS_ERROR_INIT;
    rs_str out = RS_STR_INIT;
    char buf[2048];
    int ok = 0;
    if (!name || !tmpl || !expected) {
        printf("FAIL %s: malformed test\n", file);
        return 0;
    }
    o.escape_html = 1;
    o.resolve = resolve;
    o.resolve_userdata = cJSON_GetObjectItemCaseSensitive(t, "partials");
    o.filename = name;
    if (rs_hbs_compile(&tpl, tmpl, strlen(tmpl), &o, &err)) {
        printf("FAIL %s / %s: %s\n", file, name, rs_error_format(&err, buf, sizeof buf));
        goto done;
    }
    if (rs_hbs_render(&out, tpl, data, NULL, &err)) {
        printf("FAIL %s / %s: %s\n", file, name, rs_error_format(&err, buf, sizeof buf));
        goto done;
    }
    ok = strcmp(rs_str_cstr(&out), expected) == 0;
    if (!ok) {
        rs_str a = RS_STR_INIT, b = RS_STR_INIT;
        rs_json_append_string(&a, rs_str_cstr(&out), out.len);
        rs_json_append_string(&b, expected, strlen(expected));
        printf("FAIL %s / %s:\n  got      %s\n  expected %s\n", file, name, rs_str_cstr(&a),
               rs_str_cstr(&b));
        rs_str_free(&a);
        rs_str_free(&b);
    }
done:
    rs_str_free(&out);
    rs_hbs_free(tpl);
    return ok;
}

int main(void)
{
    static const char *files[] = {"comments", "interpolation", "inverted", "partials", "sections"};
    const char *shared = getenv("RS_SHARED_DIR");
    int passed = 0, failed = 0, skipped_n = 0, verbose = getenv("RS_VERBOSE") != NULL;
    if (!shared) {
        fprintf(stderr, "mustache_runner: RS_SHARED_DIR is not set\n");
        return 2;
    }
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char path[4096];
        int n = snprintf(path, sizeof path, "%s/conformance/mustache/%s.json", shared, files[f]);
        if (n < 0 || (size_t)n >= sizeof path)
            return 2;
        cJSON *doc = NULL;
        rs_error err = RS_ERROR_INIT;
        char buf[2048];
        if (rs_json_parse_file(&doc, path, &err)) {
            fprintf(stderr, "mustache_runner: %s\n", rs_error_format(&err, buf, sizeof buf));
            return 2;
        }
        const cJSON *tests = cJSON_GetObjectItemCaseSensitive(doc, "tests");
        const cJSON *t;
        cJSON_ArrayForEach(t, tests)
        {
            const char *name = rs_json_string(t, "name");
            const char *why = name ? skip_reason(files[f], name) : NULL;
            if (why) {
                skipped_n++;
                printf("SKIP %s / %s: %s\n", files[f], name, why);
                continue;
            }
            if (run_test(files[f], t)) {
                passed++;
                if (verbose)
                    printf("ok   %s / %s\n", files[f], name);
            } else {
                failed++;
            }
        }
        cJSON_Delete(doc);
    }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped_n);
    return failed || passed == 0 ? 1 : 0;
}
