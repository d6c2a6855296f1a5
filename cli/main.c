/*
 * rosetta - the command line. A thin layer over librosetta: main() finds the verb and hands the
 * remaining arguments to cmd_<verb>() (cli/cmd_<verb>.c).
 */
#include "cli/cli.h"

#include "rosetta/rosetta.h"

#include <stdio.h>
#include <string.h>

struct command {
    const char *verb;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
#define X(verb, fn, summary) {#verb, fn, summary},
#include "cli/commands.def"
#undef X
    {NULL, NULL, NULL},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: rosetta [--version] [--help] <command> [<args>]\n\n"
                 "Prompts as versioned assets, rendered for every LLM provider.\n\ncommands:\n");
    for (size_t i = 0; commands[i].verb; i++)
        fprintf(out, "  %-10s %s\n", commands[i].verb, commands[i].summary);
    fprintf(out, "\n'rosetta <command> --help' describes a command.\n\n"
                 "exit codes: 0 ok, 1 failed, 2 usage, 3 bad input, 4 not found, 5 conflict,\n"
                 "            6 provider/network failure, 70 internal error, 130 interrupted\n");
}

/*
 * The verbs that send no HTTP request and keep at most one registry handle: they set up neither
 * libcurl nor a process-wide libgit2 reference (a registry handle starts libgit2 itself when a
 * path needs it; rendering from the registry usually does not). Starting both costs more than
 * the whole of `rosetta render NAME@LABEL` otherwise. Any other verb gets everything.
 */
static const char *const offline_verbs[] = {"init",   "save",  "list",     "show",     "log",
                                            "diff",   "label", "rollback", "push",     "pull",
                                            "render", "runs",  "stats",    "feedback", NULL};

static unsigned global_parts(const char *verb)
{
    for (size_t i = 0; offline_verbs[i]; i++)
        if (strcmp(verb, offline_verbs[i]) == 0)
            return 0;
    return RS_GLOBAL_ALL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return RS_EXIT_USAGE;
    }
    if (cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return RS_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("rosetta %s\n", rs_version());
        return RS_EXIT_OK;
    }
    for (size_t i = 0; commands[i].verb; i++) {
        if (strcmp(argv[1], commands[i].verb) == 0) {
            rs_error err = RS_ERROR_INIT;
            if (rs_global_init_for(global_parts(argv[1]), &err) != 0)
                return cli_fail(&err);
            int rc = commands[i].run(argc - 1, argv + 1);
            rs_global_shutdown();
            return rc;
        }
    }
    fprintf(stderr, "rosetta: '%s' is not a command (see 'rosetta --help')\n", argv[1]);
    return RS_EXIT_USAGE;
}
