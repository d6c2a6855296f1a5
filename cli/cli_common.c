#include "cli/cli.h"

#include "util/json.h"

#include <cjson/cJSON.h>

#include <stdarg.h>
#include <string.h>

void cli_print_error(const rs_error *err)
{
    char buf[RS_ERROR_MESSAGE_MAX + RS_ERROR_FILE_MAX + 2 * RS_ERROR_SNIPPET_MAX + 64];
    rs_error_format_long(err, buf, sizeof(buf));
    fprintf(stderr, "rosetta: %s\n", buf);
}

int cli_exit_code(int code)
{
    switch (code) {
    case RS_OK:
        return RS_EXIT_OK;
    case RS_EINVAL:
    case RS_ESYNTAX:
    case RS_ERENDER:
    case RS_ESCHEMA:
    case RS_ELIMIT:
    case RS_ECONFIG:
    case RS_EUNSUPPORTED:
        return RS_EXIT_INPUT;
    case RS_ENOTFOUND:
        return RS_EXIT_NOTFOUND;
    case RS_ECONFLICT:
    case RS_EEXISTS:
        return RS_EXIT_CONFLICT;
    case RS_EHTTP:
    case RS_EPROVIDER:
    case RS_ETIMEOUT:
        return RS_EXIT_PROVIDER;
    case RS_ENOMEM:
    case RS_EINTERNAL:
        return RS_EXIT_INTERNAL;
    default:
        return RS_EXIT_FAILURE;
    }
}

int cli_fail(const rs_error *err)
{
    cli_print_error(err);
    return cli_exit_code(err->code);
}

int cli_usage_error(const char *verb, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "rosetta %s: ", verb);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see 'rosetta %s --help')\n", verb);
    return RS_EXIT_USAGE;
}

int cli_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

int cli_registry_option(int argc, char **argv, int *i, const char *verb, const char *usage,
                        const char **dir, int *json, int *exit_code)
{
    const char *arg = argv[*i];
    if (cli_is_help(arg)) {
        fputs(usage, stdout);
        *exit_code = RS_EXIT_OK;
        return -1;
    }
    if (strcmp(arg, "--json") == 0) {
        *json = 1;
        return 1;
    }
    if (strcmp(arg, "-C") == 0) {
        if (++*i >= argc) {
            *exit_code = cli_usage_error(verb, "-C needs a directory");
            return -1;
        }
        *dir = argv[*i];
        return 1;
    }
    return 0;
}

int cli_registry_answer(const char *out, int json, cJSON **human, rs_error *err)
{
    *human = NULL;
    if (json) {
        printf("%s\n", out);
        return RS_EXIT_OK;
    }
    if (rs_json_parse(human, out, strlen(out), NULL, err) != 0)
        return cli_fail(err);
    return RS_EXIT_OK;
}
