/*
 * rosetta list - every prompt with its latest version, labels, variants, partials, last change.
 */
#include "cli/cli.h"

#include "rosetta/memory.h"
#include "rosetta/registry.h"
#include "util/json.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

static const char usage_text[] =
    "usage: rosetta list [-C DIR] [--json]\n"
    "\n"
    "Every prompt at the branch tip: its latest version vN, the labels pointing at it (with the\n"
    "version each one is at), its variants, the partials it uses, and its last change.\n"
    "\n"
    "  -C DIR   the registry at or above DIR (default: $ROSETTA_REGISTRY, else the enclosing one)\n"
    "  --json   print [{\"name\", \"version\", \"commit\", \"date\", \"author\", \"labels\",\n"
    "           \"variants\", \"partials\", ...}]\n"
    "\n"
    "Exit: 0 ok, 2 usage, 4 not a registry or an empty one.\n";

static void join(char *buf, size_t size, const cJSON *arr, int keys)
{
    size_t used = 0;
    buf[0] = '\0';
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        const char *s = keys ? it->string : it->valuestring;
        int n = snprintf(buf + used, size - used, "%s%s", used ? "," : "", s);
        if (n < 0 || (size_t)n >= size - used) {
            if (size > 4)
                memcpy(buf + size - 4, "...", 4);
            return;
        }
        used += (size_t)n;
    }
    if (!used && size > 1)
        memcpy(buf, "-", 2);
}

int cmd_list(int argc, char **argv)
{
    const char *dir = NULL;
    int json = 0, rc = RS_EXIT_OK;
    for (int i = 1; i < argc; i++) {
        int shared = cli_registry_option(argc, argv, &i, "list", usage_text, &dir, &json, &rc);
        if (shared < 0)
            return rc;
        if (shared > 0)
            continue;
        return cli_usage_error("list", "unexpected argument '%s'", argv[i]);
    }
    rs_error err = RS_ERROR_INIT;
    rs_registry *reg = NULL;
    char *out = NULL;
    cJSON *arr = NULL;
    if (rs_registry_open(&reg, dir, &err) != 0 || rs_registry_list(&out, reg, &err) != 0) {
        rc = cli_fail(&err);
        goto done;
    }
    if ((rc = cli_registry_answer(out, json, &arr, &err)) != 0 || !arr)
        goto done;
    if (cJSON_GetArraySize(arr) == 0) {
        fprintf(stderr, "no prompts yet: add prompts/NAME.prompt and run 'rosetta save -m ...'\n");
        goto done;
    }
    printf("%-24s %-5s %-24s %-18s %-18s %s\n", "NAME", "VER", "LABELS", "VARIANTS", "PARTIALS",
           "LAST CHANGE");
    const cJSON *p;
    cJSON_ArrayForEach(p, arr)
    {
        char labels[256], variants[128], partials[128];
        join(labels, sizeof labels, cJSON_GetObjectItemCaseSensitive(p, "labels"), 1);
        join(variants, sizeof variants, cJSON_GetObjectItemCaseSensitive(p, "variants"), 0);
        join(partials, sizeof partials, cJSON_GetObjectItemCaseSensitive(p, "partials"), 0);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, "version");
        const char *date = rs_json_string(p, "date");
        const char *author = rs_json_string(p, "author");
        printf("%-24s v%-4d %-24s %-18s %-18s %.10s %s\n", rs_json_string(p, "name"),
               cJSON_IsNumber(v) ? v->valueint : 0, labels, variants, partials, date ? date : "",
               author ? author : "");
    }
done:
    cJSON_Delete(arr);
    rs_free(out);
    rs_registry_free(reg);
    return rc;
}
