/*
 * rosetta label - move, create, list and delete labels; `label log` shows who moved what when.
 */
#include "cli/cli.h"

#include "rosetta/memory.h"
#include "rosetta/registry.h"
#include "util/json.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

static const char usage_text[] =
    "usage: rosetta label REF LABEL [-C DIR] [--json]      point LABEL of the prompt at REF\n"
    "       rosetta label NAME [-C DIR] [--json]           list NAME's labels\n"
    "       rosetta label NAME LABEL --delete [-C DIR]     remove a label\n"
    "       rosetta label log NAME [-C DIR] [--json]       who moved which label, from what to\n"
    "                                                      what, when\n"
    "\n"
    "REF is NAME, NAME@vN, NAME@LABEL (promote: label checkout@staging production) or\n"
    "NAME@<sha|tag|branch>. Labels live in labels.yaml; every move is a commit, made with a\n"
    "compare-and-swap on the branch so concurrent moves and saves never lose an update, and the\n"
    "label log is read back from the history of labels.yaml. Label names: letters, digits, '_',\n"
    "'-', '.'; 'vN' is reserved for versions. `rosetta rollback NAME LABEL` undoes a move.\n"
    "\n"
    "Exit: 0 ok, 2 usage, 3 invalid name, 4 unknown prompt, ref or label, 5 detached HEAD,\n"
    "uncommitted edits to labels.yaml.\n";

static void print_move(const cJSON *o)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "version");
    const cJSON *fv = cJSON_GetObjectItemCaseSensitive(o, "from_version");
    const char *from = rs_json_string(o, "from"), *to = rs_json_string(o, "to");
    printf("%s %s", rs_json_string(o, "name"), rs_json_string(o, "label"));
    if (to)
        printf(" -> v%d (%.7s)", cJSON_IsNumber(v) ? v->valueint : 0, to);
    else
        printf(" deleted");
    if (from)
        printf(", was v%d (%.7s)", cJSON_IsNumber(fv) ? fv->valueint : 0, from);
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "changed")))
        printf(" (unchanged)");
    printf("\n");
}

static int print_result(const char *out, int json, rs_error *err)
{
    cJSON *o = NULL;
    if (json) {
        printf("%s\n", out);
        return 0;
    }
    int rc = rs_json_parse(&o, out, strlen(out), NULL, err);
    if (rc == 0)
        print_move(o);
    cJSON_Delete(o);
    return rc;
}

static int list_labels(rs_registry *reg, const char *name, int json, rs_error *err)
{
    char *out = NULL;
    cJSON *o = NULL;
    int rc = rs_registry_labels(&out, reg, name, err);
    if (rc == 0 && json)
        printf("%s\n", out);
    else if (rc == 0 && (rc = rs_json_parse(&o, out, strlen(out), NULL, err)) == 0) {
        const cJSON *l;
        if (cJSON_GetArraySize(o) == 0)
            fprintf(stderr, "'%s' has no labels yet (rosetta label %s production)\n", name, name);
        cJSON_ArrayForEach(l, o)
        {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(l, "version");
            if (cJSON_IsNumber(v))
                printf("%-16s v%-4d %s\n", l->string, v->valueint, rs_json_string(l, "commit"));
            else
                printf("%-16s ?     %s (commit not in this clone)\n", l->string,
                       rs_json_string(l, "commit"));
        }
    }
    cJSON_Delete(o);
    rs_free(out);
    return rc;
}

static int label_log(rs_registry *reg, const char *name, int json, rs_error *err)
{
    char *out = NULL;
    cJSON *arr = NULL;
    int rc = rs_registry_label_log(&out, reg, name, err);
    if (rc == 0 && json)
        printf("%s\n", out);
    else if (rc == 0 && (rc = rs_json_parse(&arr, out, strlen(out), NULL, err)) == 0) {
        const cJSON *e;
        cJSON_ArrayForEach(e, arr)
        {
            const char *from = rs_json_string(e, "from"), *to = rs_json_string(e, "to");
            printf("%.19s  %.7s  %-16s %-12s %-7.7s -> %-7.7s  %s\n", rs_json_string(e, "date"),
                   rs_json_string(e, "commit"), rs_json_string(e, "author"),
                   rs_json_string(e, "label"), from ? from : "(none)", to ? to : "(deleted)",
                   rs_json_string(e, "message"));
        }
    }
    cJSON_Delete(arr);
    rs_free(out);
    return rc;
}

int cmd_label(int argc, char **argv)
{
    const char *dir = NULL, *pos[3] = {NULL, NULL, NULL};
    int json = 0, del = 0, npos = 0, rc = RS_EXIT_OK;
    for (int i = 1; i < argc; i++) {
        int shared = cli_registry_option(argc, argv, &i, "label", usage_text, &dir, &json, &rc);
        if (shared < 0)
            return rc;
        if (shared > 0)
            continue;
        if (strcmp(argv[i], "--delete") == 0 || strcmp(argv[i], "-d") == 0) {
            del = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error("label", "unknown option '%s'", argv[i]);
        } else if (npos < 3) {
            pos[npos++] = argv[i];
        } else {
            return cli_usage_error("label", "too many arguments");
        }
    }
    int is_log = npos == 2 && strcmp(pos[0], "log") == 0 && !del;
    if (npos == 0 || npos == 3 || (del && npos != 2))
        return cli_usage_error("label",
                               "expected REF LABEL, NAME, NAME LABEL --delete or log NAME");
    rs_error err = RS_ERROR_INIT;
    rs_registry *reg = NULL;
    char *out = NULL;
    if (rs_registry_open(&reg, dir, &err) != 0) {
        rc = cli_fail(&err);
        goto done;
    }
    int frc;
    if (is_log)
        frc = label_log(reg, pos[1], json, &err);
    else if (npos == 1)
        frc = list_labels(reg, pos[0], json, &err);
    else if (del)
        frc = rs_registry_label_delete(&out, reg, pos[0], pos[1], &err);
    else
        frc = rs_registry_label_set(&out, reg, pos[0], pos[1], &err);
    if (frc == 0 && out)
        frc = print_result(out, json, &err);
    if (frc != 0)
        rc = cli_fail(&err);
done:
    rs_free(out);
    rs_registry_free(reg);
    return rc;
}
