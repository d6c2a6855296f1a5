/*
 * rosetta push - send the branch to a git remote.
 */
#include "cli/cli.h"

#include "rosetta/memory.h"
#include "rosetta/registry.h"
#include "util/json.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

static const char usage_text[] =
    "usage: rosetta push [REMOTE] [-C DIR] [--json]\n"
    "\n"
    "Push the current branch to REMOTE (a remote name, a path or a URL; default origin) through\n"
    "libgit2. A remote that refuses the update (not a fast-forward, no permission) is an error\n"
    "naming the remote and the reason; nothing changes locally.\n"
    "\n"
    "Exit: 0 pushed, 2 usage, 4 no such remote, 5 refused (not a fast-forward), 1 other failure.\n";

int cmd_push(int argc, char **argv)
{
    const char *dir = NULL, *remote = NULL;
    int json = 0, rc = RS_EXIT_OK;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(usage_text, stdout);
            return RS_EXIT_OK;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "-C") == 0) {
            if (++i >= argc)
                return cli_usage_error("push", "-C needs a directory");
            dir = argv[i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error("push", "unknown option '%s'", argv[i]);
        } else if (remote) {
            return cli_usage_error("push", "one remote only");
        } else {
            remote = argv[i];
        }
    }
    rs_error err = RS_ERROR_INIT;
    rs_registry *reg = NULL;
    char *out = NULL;
    cJSON *o = NULL;
    if (rs_registry_open(&reg, dir, &err) != 0 || rs_registry_push(&out, reg, remote, &err) != 0) {
        rc = cli_fail(&err);
        goto done;
    }
    if (json) {
        printf("%s\n", out);
        goto done;
    }
    if (rs_json_parse(&o, out, strlen(out), NULL, &err) != 0) {
        rc = cli_fail(&err);
        goto done;
    }
    printf("pushed %s (%.7s) to %s\n", rs_json_string(o, "branch"), rs_json_string(o, "commit"),
           rs_json_string(o, "remote"));
done:
    cJSON_Delete(o);
    rs_free(out);
    rs_registry_free(reg);
    return rc;
}
