/*
 * cli/cli.h - what the subcommands share: exit codes, error printing, small option helpers.
 * The CLI uses only the public API in include/rosetta/ plus util/.
 */
#ifndef RS_CLI_H
#define RS_CLI_H

#include "rosetta/error.h"

#include <stdio.h>

struct cJSON;

/* Exit codes: stable, documented in `rosetta --help`. */
enum {
    RS_EXIT_OK = 0,
    RS_EXIT_FAILURE = 1,  /* the operation ran and failed (a run failed, a check did not pass) */
    RS_EXIT_USAGE = 2,    /* bad command line */
    RS_EXIT_INPUT = 3,    /* bad input: template, frontmatter, data, dataset, config */
    RS_EXIT_NOTFOUND = 4, /* prompt, ref, label, file not found */
    RS_EXIT_CONFLICT = 5, /* divergence, dirty tree, concurrent update that could not be applied */
    RS_EXIT_PROVIDER = 6, /* provider or network failure after retries and fallbacks */
    RS_EXIT_INTERNAL = 70
};

/* Print err to stderr as "rosetta: FILE:LINE:COL: message" plus the source line and a caret. */
void cli_print_error(const rs_error *err);

/* Map an RS_E* code to the exit code above. */
int cli_exit_code(int rs_code);

/* Print the error and return its exit code. */
int cli_fail(const rs_error *err);

/* Print "rosetta VERB: message" to stderr and return RS_EXIT_USAGE. */
int cli_usage_error(const char *verb, const char *fmt, ...);

/* True when argv[i] is -h or --help. */
int cli_is_help(const char *arg);

/*
 * The options the registry commands share: -h/--help (prints usage), --json, -C DIR.
 * Returns 1 when argv[*i] was one of them (*i moved past -C's directory), 0 when it is something
 * else for the command to read, -1 when the command must return *exit_code now (help printed, or
 * -C without a directory).
 */
int cli_registry_option(int argc, char **argv, int *i, const char *verb, const char *usage,
                        const char **dir, int *json, int *exit_code);

/*
 * The answer of a registry call, which is JSON text (out): with --json it is printed as it is and
 * *human stays NULL (the command is done); otherwise it is parsed into *human for the command's
 * own lines. Returns 0, or the exit code after printing the error when out does not parse.
 */
int cli_registry_answer(const char *out, int json, struct cJSON **human, rs_error *err);

#define X(verb, fn, summary) int fn(int argc, char **argv);
#include "cli/commands.def"
#undef X

#endif
