/*
 * rosetta rollback - move a label back to its previous target.
 */
#include "cli/cli.h"

#include "rosetta/memory.h"
#include "rosetta/registry.h"
#include "util/json.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

static const char usage_text[] =
    "usage: rosetta rollback NAME LABEL [-C DIR] [--json]\n"
    "\n"
    "Move LABEL of prompt NAME back to where it pointed before its latest move (as `rosetta label\n"
    "log NAME` shows). The rollback is itself a label move: a commit to labels.yaml, logged, and\n"
    "undone by another rollback.\n"
    "\n"
    "Exit: 0 ok, 2 usage, 4 unknown prompt or label, or no previous target, 5 detached HEAD or\n"
    "uncommitted edits to labels.yaml.\n";

int cmd_rollback(int argc, char **argv)
{
    const char *dir = NULL, *name = NULL, *label = NULL;
    int json = 0, rc = RS_EXIT_OK;
    for (int i = 1; i < argc; i++) {
        int shared = cli_registry_option(argc, argv, &i, "rollback", usage_text, &dir, &json, &rc);
        if (shared < 0)
            return rc;
        if (shared > 0)
            continue;
        if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error("rollback", "unknown option '%s'", argv[i]);
        } else if (!name) {
            name = argv[i];
        } else if (!label) {
            label = argv[i];
        } else {
            return cli_usage_error("rollback", "expected NAME LABEL");
        }
    }
    if (!label)
        return cli_usage_error("rollback", "expected NAME LABEL");
    rs_error err = RS_ERROR_INIT;
    rs_registry *reg = NULL;
    char *out = NULL;
    cJSON *o = NULL;
    if (rs_registry_open(&reg, dir, &err) != 0 ||
        rs_registry_rollback(&out, reg, name, label, &err) != 0) {
        rc = cli_fail(&err);
        goto done;
    }
    if ((rc = cli_registry_answer(out, json, &o, &err)) != 0 || !o)
        goto done;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "version");
    const cJSON *fv = cJSON_GetObjectItemCaseSensitive(o, "from_version");
    printf("%s %s rolled back to v%d (%.7s), was v%d (%.7s)\n", name, label,
           cJSON_IsNumber(v) ? v->valueint : 0, rs_json_string(o, "to"),
           cJSON_IsNumber(fv) ? fv->valueint : 0,
           rs_json_string(o, "from") ? rs_json_string(o, "from") : "none");
done:
    cJSON_Delete(o);
    rs_free(out);
    rs_registry_free(reg);
    return rc;
}
