/*
 * rosetta push / rosetta pull - the registry's branch to and from a git remote.
 * Both take the same command line and print the registry's JSON answer (--json) or a sentence;
 * they differ only in the operation and in that sentence.
 */
#include "cli/cli.h"

#include "rosetta/memory.h"
#include "rosetta/registry.h"
#include "util/json.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

static const char push_usage[] =
    "usage: rosetta push [REMOTE] [-C DIR] [--json]\n"
    "\n"
    "Push the current branch to REMOTE (a remote name, a path or a URL; default origin) through\n"
    "libgit2. A remote that refuses the update (not a fast-forward, no permission) is an error\n"
    "naming the remote and the reason; nothing changes locally.\n"
    "\n"
    "Exit: 0 pushed, 2 usage, 4 no such remote, 5 refused (not a fast-forward), 1 other failure.\n";

static const char pull_usage[] =
    "usage: rosetta pull [REMOTE] [-C DIR] [--json]\n"
    "\n"
    "Fetch the current branch from REMOTE (a remote name, a path or a URL; default origin) and\n"
    "fast-forward to it. When the histories have diverged, or the fast-forward would overwrite\n"
    "an uncommitted edit, it stops with a message and changes nothing.\n"
    "\n"
    "Exit: 0 pulled or up to date, 2 usage, 4 no such remote or branch, 5 diverged or dirty.\n";

typedef int (*remote_op)(char **out, rs_registry *reg, const char *remote, rs_error *err);
typedef void (*remote_say)(const cJSON *answer);

static void say_pushed(const cJSON *o)
{
    printf("pushed %s (%.7s) to %s\n", rs_json_string(o, "branch"), rs_json_string(o, "commit"),
           rs_json_string(o, "remote"));
}

static void say_pulled(const cJSON *o)
{
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "updated")))
        printf("fast-forwarded %s from %.7s to %.7s (%s)\n", rs_json_string(o, "branch"),
               rs_json_string(o, "from"), rs_json_string(o, "to"), rs_json_string(o, "remote"));
    else
        printf("already up to date with %s (%.7s)\n", rs_json_string(o, "remote"),
               rs_json_string(o, "to"));
}

static int run_remote(const char *verb, const char *usage, remote_op op, remote_say say, int argc,
                      char **argv)
{
    const char *dir = NULL, *remote = NULL;
    int json = 0, rc = RS_EXIT_OK;
    for (int i = 1; i < argc; i++) {
        int shared = cli_registry_option(argc, argv, &i, verb, usage, &dir, &json, &rc);
        if (shared < 0)
            return rc;
        if (shared > 0)
            continue;
        if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error(verb, "unknown option '%s'", argv[i]);
        } else if (remote) {
            return cli_usage_error(verb, "one remote only");
        } else {
            remote = argv[i];
        }
    }
    rs_error err = RS_ERROR_INIT;
    rs_registry *reg = NULL;
    char *out = NULL;
    cJSON *o = NULL;
    if (rs_registry_open(&reg, dir, &err) != 0 || op(&out, reg, remote, &err) != 0) {
        rc = cli_fail(&err);
        goto done;
    }
    if ((rc = cli_registry_answer(out, json, &o, &err)) != 0 || !o)
        goto done;
    say(o);
done:
    cJSON_Delete(o);
    rs_free(out);
    rs_registry_free(reg);
    return rc;
}

int cmd_push(int argc, char **argv)
{
    return run_remote("push", push_usage, rs_registry_push, say_pushed, argc, argv);
}

int cmd_pull(int argc, char **argv)
{
    return run_remote("pull", pull_usage, rs_registry_pull, say_pulled, argc, argv);
}
