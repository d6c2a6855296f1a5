/*
 * rosetta log - a prompt's versions, newest first.
 */
#include "cli/cli.h"

#include "rosetta/memory.h"
#include "rosetta/registry.h"
#include "util/json.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

static const char usage_text[] =
    "usage: rosetta log NAME [-C DIR] [--json]\n"
    "\n"
    "The versions of prompt NAME, newest first: vN, commit, date, author, message, and the labels\n"
    "pointing there now. vN is the Nth first-parent commit that changed NAME's base or variant\n"
    "files (commits made with plain git count too).\n"
    "\n"
    "  -C DIR   the registry at or above DIR\n"
    "  --json   [{\"version\", \"commit\", \"date\", \"time\", \"author\", \"email\", "
    "\"message\",\n"
    "           \"labels\"}]\n"
    "\n"
    "Exit: 0 ok, 2 usage, 4 unknown prompt or not a registry.\n";

int cmd_log(int argc, char **argv)
{
    const char *dir = NULL, *name = NULL;
    int json = 0, rc = RS_EXIT_OK;
    for (int i = 1; i < argc; i++) {
        int shared = cli_registry_option(argc, argv, &i, "log", usage_text, &dir, &json, &rc);
        if (shared < 0)
            return rc;
        if (shared > 0)
            continue;
        if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error("log", "unknown option '%s'", argv[i]);
        } else if (name) {
            return cli_usage_error("log", "one prompt name only");
        } else {
            name = argv[i];
        }
    }
    if (!name)
        return cli_usage_error("log", "which prompt? rosetta log NAME");
    rs_error err = RS_ERROR_INIT;
    rs_registry *reg = NULL;
    char *out = NULL;
    cJSON *arr = NULL;
    if (rs_registry_open(&reg, dir, &err) != 0 || rs_registry_history(&out, reg, name, &err) != 0) {
        rc = cli_fail(&err);
        goto done;
    }
    if ((rc = cli_registry_answer(out, json, &arr, &err)) != 0 || !arr)
        goto done;
    const cJSON *v;
    cJSON_ArrayForEach(v, arr)
    {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(v, "version");
        printf("v%-4d %.7s  %.19s  %-16s %s", cJSON_IsNumber(n) ? n->valueint : 0,
               rs_json_string(v, "commit"), rs_json_string(v, "date"), rs_json_string(v, "author"),
               rs_json_string(v, "message"));
        const cJSON *labels = cJSON_GetObjectItemCaseSensitive(v, "labels");
        if (cJSON_GetArraySize(labels) > 0) {
            printf("  [");
            const cJSON *l;
            int first = 1;
            cJSON_ArrayForEach(l, labels)
            {
                printf("%s%s", first ? "" : ", ", l->valuestring);
                first = 0;
            }
            printf("]");
        }
        printf("\n");
    }
done:
    cJSON_Delete(arr);
    rs_free(out);
    rs_registry_free(reg);
    return rc;
}
