/*
 * rosetta show - a prompt's file at a version, with its commit, vN, author, date, and which
 * variant file was chosen and why.
 */
#include "cli/cli.h"

#include "rosetta/memory.h"
#include "rosetta/registry.h"
#include "util/json.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

static const char usage_text[] =
    "usage: rosetta show REF [--variant V | --target PROVIDER/MODEL] [--raw] [--json] [-C DIR]\n"
    "\n"
    "Print the prompt file at REF (NAME, NAME@vN, NAME@LABEL, NAME@<sha|tag|branch>) after a\n"
    "header with its version, commit, author, date, and the file chosen for the target and why.\n"
    "\n"
    "  --variant V        that variant's file (NAME.V.prompt)\n"
    "  --target P/M       the file chosen for provider/model: rosetta.targets globs, then the\n"
    "                     variant named as the provider, then the base\n"
    "  --raw              only the file content\n"
    "  --json             {\"name\", \"version\", \"commit\", \"author\", \"date\", \"file\",\n"
    "                     \"variant\", \"reason\", \"content\", ...}\n"
    "  -C DIR             the registry at or above DIR\n"
    "\n"
    "Exit: 0 ok, 2 usage, 4 unknown prompt, ref, label or variant.\n";

int cmd_show(int argc, char **argv)
{
    const char *dir = NULL, *ref = NULL, *variant = NULL, *target = NULL;
    int json = 0, raw = 0, rc = RS_EXIT_OK;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(usage_text, stdout);
            return RS_EXIT_OK;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--raw") == 0) {
            raw = 1;
        } else if (strcmp(argv[i], "-C") == 0 || strcmp(argv[i], "--variant") == 0 ||
                   strcmp(argv[i], "--target") == 0) {
            if (i + 1 >= argc)
                return cli_usage_error("show", "%s needs a value", argv[i]);
            const char **slot = argv[i][1] == 'C' ? &dir : argv[i][2] == 'v' ? &variant : &target;
            *slot = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error("show", "unknown option '%s'", argv[i]);
        } else if (ref) {
            return cli_usage_error("show", "one REF only ('%s' and '%s')", ref, argv[i]);
        } else {
            ref = argv[i];
        }
    }
    if (!ref)
        return cli_usage_error("show", "which prompt? rosetta show NAME[@REF]");
    if (variant && target)
        return cli_usage_error("show", "--variant and --target exclude each other");
    rs_error err = RS_ERROR_INIT;
    rs_registry *reg = NULL;
    char *out = NULL;
    cJSON *o = NULL;
    if (rs_registry_open(&reg, dir, &err) != 0 ||
        rs_registry_show(&out, reg, ref, target, variant, &err) != 0) {
        rc = cli_fail(&err);
        goto done;
    }
    if ((rc = cli_registry_answer(out, json, &o, &err)) != 0 || !o)
        goto done;
    const char *content = rs_json_string(o, "content");
    if (!raw) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "version");
        const char *label = rs_json_string(o, "label");
        printf("prompt:  %s v%d", rs_json_string(o, "name"), cJSON_IsNumber(v) ? v->valueint : 0);
        if (label)
            printf(" (label %s)", label);
        printf("\ncommit:  %s\nauthor:  %s <%s>\ndate:    %s\nmessage: %s\nfile:    %s\n\n",
               rs_json_string(o, "commit"), rs_json_string(o, "author"), rs_json_string(o, "email"),
               rs_json_string(o, "date"), rs_json_string(o, "message"),
               rs_json_string(o, "reason"));
    }
    fputs(content ? content : "", stdout);
done:
    cJSON_Delete(o);
    rs_free(out);
    rs_registry_free(reg);
    return rc;
}
