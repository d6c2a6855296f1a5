/*
 * tests/providers/gemini_fields.c - every key of every golden Gemini body must be a field of the
 * proto message it sits in, per the official v1beta protos (shared/specs/gemini-protos-v1beta/
 * protos.json, lowerCamelCase JSON names). The walk starts at GenerateContentRequest and follows
 * each field's message type; free-form values (google.protobuf.Struct/Value: args, response,
 * JSON schemas) end the walk. Two built-in bad bodies must be rejected, so the check bites.
 *
 *   gemini_fields PROTOS_JSON GOLDEN_DIR
 */
#include "util/alloc.h"
#include "util/file.h"
#include "util/json.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>

typedef struct walker {
    const cJSON *pkg; /* the google.ai.generativelanguage.v1beta namespace */
    const char *file;
    int bad;
    int keys;
} walker;

/* A message type by name, looked up in the enclosing message's nested types, then the package. */
static const cJSON *find_type(const walker *w, const cJSON *scope, const char *name)
{
    const cJSON *t = NULL;
    if (scope)
        t = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(scope, "nested"),
                                             name);
    if (!t)
        t = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(w->pkg, "nested"),
                                             name);
    return t;
}

static void walk(walker *w, const cJSON *value, const cJSON *msg, const char *path);

static void walk_field(walker *w, const cJSON *v, const cJSON *msg, const cJSON *field,
                       const char *path)
{
    const char *type = rs_json_string(field, "type");
    const cJSON *sub;
    if (!type || strncmp(type, "google.protobuf.", 16) == 0)
        return; /* scalar or free-form */
    sub = find_type(w, msg, type);
    if (!sub || !cJSON_GetObjectItemCaseSensitive(sub, "fields"))
        return; /* enum or scalar */
    if (cJSON_IsArray(v)) {
        const cJSON *e;
        cJSON_ArrayForEach(e, v) walk(w, e, sub, path);
    } else {
        walk(w, v, sub, path);
    }
}

static void walk(walker *w, const cJSON *value, const cJSON *msg, const char *path)
{
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(msg, "fields");
    const cJSON *v;
    if (!cJSON_IsObject(value))
        return;
    cJSON_ArrayForEach(v, value)
    {
        char sub[512];
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(fields, v->string);
        snprintf(sub, sizeof sub, "%s.%s", path, v->string);
        w->keys++;
        if (!f) {
            fprintf(stderr, "%s: %s is not a field of the proto message\n", w->file, sub);
            w->bad++;
            continue;
        }
        walk_field(w, v, msg, f, sub);
    }
}

static int check_text(walker *w, const char *text, const char *name)
{
    cJSON *body = NULL;
    rs_error err = RS_ERROR_INIT;
    w->file = name;
    w->bad = 0;
    if (rs_json_parse(&body, text, strlen(text), name, &err) != 0) {
        fprintf(stderr, "%s: %s\n", name, err.message);
        return -1;
    }
    walk(w, body, find_type(w, NULL, "GenerateContentRequest"), "$");
    cJSON_Delete(body);
    return w->bad;
}

int main(int argc, char **argv)
{
    cJSON *protos = NULL;
    rs_error err = RS_ERROR_INIT;
    int failures = 0, files = 0;
    if (argc != 3) {
        fprintf(stderr, "usage: gemini_fields PROTOS_JSON GOLDEN_DIR\n");
        return 2;
    }
    if (rs_json_parse_file(&protos, argv[1], &err) != 0) {
        fprintf(stderr, "%s: %s\n", argv[1], err.message);
        return 2;
    }
    walker w = {0};
    const cJSON *ns = protos;
    const char *path[] = {"google", "ai", "generativelanguage", "v1beta"};
    for (size_t i = 0; i < 4 && ns; i++)
        ns = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ns, "nested"),
                                              path[i]);
    w.pkg = ns;
    if (!ns || !find_type(&w, NULL, "GenerateContentRequest")) {
        fprintf(stderr, "%s: no v1beta GenerateContentRequest\n", argv[1]);
        cJSON_Delete(protos);
        return 2;
    }

    /* the check must bite: snake_case inside generationConfig, and an invented part field */
    static const char *const bad[] = {
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}],"
        "\"generationConfig\":{\"max_tokens\":5}}",
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"image\":{\"url\":\"x\"}}]}]}"};
    for (size_t i = 0; i < 2; i++)
        if (check_text(&w, bad[i], "built-in bad body") <= 0) {
            fprintf(stderr, "FAIL: bad body %zu was not rejected\n", i);
            failures++;
        }

    DIR *d = opendir(argv[2]);
    struct dirent *e;
    int keys = 0;
    while (d && (e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 12 || strcmp(e->d_name + l - 12, ".gemini.json") != 0)
            continue;
        char full[1024];
        char *text = NULL;
        size_t len = 0;
        snprintf(full, sizeof full, "%s/%s", argv[2], e->d_name);
        if (rs_file_read(&text, &len, full, &err) != 0) {
            fprintf(stderr, "%s: %s\n", full, err.message);
            failures++;
            continue;
        }
        w.keys = 0;
        if (check_text(&w, text, e->d_name) != 0)
            failures++;
        keys += w.keys;
        files++;
        rs_free(text);
    }
    if (d)
        closedir(d);
    printf("gemini_fields: %d golden bodies, %d keys checked against v1beta protos, %d failures\n",
           files, keys, failures);
    cJSON_Delete(protos);
    return failures || files == 0 ? 1 : 0;
}
