/*
 * rosetta init - create a registry: a git repository with rosetta.yaml, prompts/, datasets/,
 * labels.yaml, a .gitignore for .rosetta/, and a first commit.
 */
#include "cli/cli.h"

#include "rosetta/registry.h"

#include <stdio.h>
#include <string.h>

static const char usage_text[] =
    "usage: rosetta init [DIR] [--force] [--branch NAME]\n"
    "\n"
    "Create a prompt registry in DIR (default: the current directory; created when missing):\n"
    "a git repository with a commented rosetta.yaml, prompts/, datasets/, labels.yaml, a\n"
    ".gitignore for .rosetta/, and a first commit. Plain git keeps working on it.\n"
    "\n"
    "  --force        also in a non-empty directory or an existing git repository (files\n"
    "                 already there are kept; the first commit adds only the registry's files)\n"
    "  --branch NAME  the first branch (default: main)\n"
    "\n"
    "Other commands find the registry as the nearest enclosing one of the current directory,\n"
    "or through -C DIR or $ROSETTA_REGISTRY.\n"
    "Exit: 0 created, 2 usage, 5 not empty or already a registry.\n";

int cmd_init(int argc, char **argv)
{
    rs_registry_init_opts opts = RS_REGISTRY_INIT_OPTS_INIT;
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(usage_text, stdout);
            return RS_EXIT_OK;
        } else if (strcmp(argv[i], "--force") == 0 || strcmp(argv[i], "-f") == 0) {
            opts.force = 1;
        } else if (strcmp(argv[i], "--branch") == 0 || strcmp(argv[i], "-b") == 0) {
            if (++i >= argc)
                return cli_usage_error("init", "--branch needs a branch name");
            opts.branch = argv[i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error("init", "unknown option '%s'", argv[i]);
        } else if (dir) {
            return cli_usage_error("init", "one directory at most ('%s' and '%s')", dir, argv[i]);
        } else {
            dir = argv[i];
        }
    }
    rs_error err = RS_ERROR_INIT;
    rs_registry *reg = NULL;
    if (rs_registry_init(&reg, dir ? dir : ".", &opts, &err) != 0)
        return cli_fail(&err);
    printf("created a rosetta registry in %s\n", rs_registry_root(reg));
    rs_registry_free(reg);
    return RS_EXIT_OK;
}
