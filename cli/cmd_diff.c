/*
 * rosetta diff - unified diff of a prompt's files between two versions, or against the work tree.
 */
#include "cli/cli.h"

#include "rosetta/memory.h"
#include "rosetta/registry.h"

#include <stdio.h>
#include <string.h>

static const char usage_text[] =
    "usage: rosetta diff REF [REF2] [-C DIR] [--exit-code]\n"
    "\n"
    "Unified diff of the prompt's files - base, variants, and the partials either side uses -\n"
    "from REF to REF2, or from REF to the work tree when REF2 is absent. REF2 may be a full\n"
    "reference (NAME@v3) or only what follows the '@' (v3, production, a sha).\n"
    "\n"
    "  -C DIR       the registry at or above DIR\n"
    "  --exit-code  exit 1 when there are differences (as git diff --exit-code)\n"
    "\n"
    "Exit: 0 ok, 1 differences with --exit-code, 2 usage, 4 unknown prompt or ref.\n";

int cmd_diff(int argc, char **argv)
{
    const char *dir = NULL, *a = NULL, *b = NULL;
    int exit_code = 0, rc = RS_EXIT_OK;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(usage_text, stdout);
            return RS_EXIT_OK;
        } else if (strcmp(argv[i], "--exit-code") == 0) {
            exit_code = 1;
        } else if (strcmp(argv[i], "-C") == 0) {
            if (++i >= argc)
                return cli_usage_error("diff", "-C needs a directory");
            dir = argv[i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error("diff", "unknown option '%s'", argv[i]);
        } else if (!a) {
            a = argv[i];
        } else if (!b) {
            b = argv[i];
        } else {
            return cli_usage_error("diff", "at most two references");
        }
    }
    if (!a)
        return cli_usage_error("diff", "which prompt? rosetta diff NAME@REF [REF2]");
    rs_error err = RS_ERROR_INIT;
    rs_registry *reg = NULL;
    char *patch = NULL;
    if (rs_registry_open(&reg, dir, &err) != 0 || rs_registry_diff(&patch, reg, a, b, &err) != 0) {
        rc = cli_fail(&err);
        goto done;
    }
    fputs(patch, stdout);
    if (exit_code && *patch)
        rc = RS_EXIT_FAILURE;
done:
    rs_free(patch);
    rs_registry_free(reg);
    return rc;
}
