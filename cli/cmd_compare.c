/*
 * rosetta compare - A/B compare prompt versions and providers on a dataset.
 */
#include "cli/cli.h"

#include "rosetta/compare.h"
#include "rosetta/memory.h"
#include "util/error.h"
#include "util/file.h"
#include "util/json.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 256

static const char usage_text[] =
    "usage: rosetta compare ARM... [--dataset NAME|FILE] [--scorer SPEC ...] [options]\n"
    "       rosetta compare --prompt REF... --target P/M... --dataset NAME|FILE ...\n"
    "       rosetta compare --spec NAME          (evals/NAME.yaml in the registry)\n"
    "       rosetta compare --resume EXP\n"
    "\n"
    "Run every arm over every case of the dataset, score the answers and compare the arms with\n"
    "paired statistics. An ARM is REF@PROVIDER/MODEL (the REF may carry its own @vN or @label:\n"
    "support/triage@v3@openai/gpt-4o-mini); the first arm is the baseline. Every call is logged\n"
    "in the run log under an experiment id; Ctrl-C stops cleanly and --resume EXP runs only the\n"
    "cases still missing.\n"
    "\n"
    "  --prompt REF        with --target (both repeatable): arms = prompts x targets\n"
    "  --target P/M\n"
    "  --dataset NAME|FILE JSONL {\"id\",\"vars\",\"expected\"} a line; NAME = "
    "datasets/NAME.jsonl\n"
    "  --scorer SPEC       repeatable; default equals. SPECs: equals[:TEXT], contains[:A|B],\n"
    "                      contains-any, icontains[-any], regex:ERE, json-valid, "
    "json-schema[:FILE],\n"
    "                      similarity[:f1|edit][>=T], max-cost:USD, max-latency:MS|Ns,\n"
    "                      judge:RUBRIC@P/M[>=T]   (docs/compare.md)\n"
    "  --spec NAME         take arms, dataset, scorers, concurrency from evals/NAME.yaml\n"
    "  -j, --concurrency N calls in flight (default 8)\n"
    "  --repeat K          run each case K times (default 1)\n"
    "  --no-cache          always call the provider (default: identical requests answered from\n"
    "                      .rosetta/cache)\n"
    "  --resume EXP        complete an interrupted experiment\n"
    "  --experiment ID     name a new experiment (default exp-DATE-TIME-XXXX)\n"
    "  --json              print the report as JSON (every figure)\n"
    "  --html FILE         also write a self-contained HTML report\n"
    "  --log FILE          the run log (default $ROSETTA_LOG or .rosetta/runs.db)\n"
    "  --timeout MS        per attempt    --attempts N   tries per call    --seed N   seed\n"
    "\n"
    "Exit: 0 done, 1 a scorer or provider problem prevented every comparison, 2 usage,\n"
    "3 bad input (dataset, scorer, spec), 4 not found, 130 interrupted (resume it).\n";

/* The only mutable global of the command: what a signal handler may touch. */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

typedef struct bar {
    int tty;
    struct timespec start;
    const char *phase;
    int drawn;
} bar;

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The progress bar: only on a terminal, redrawn in place on stderr. */
static void progress(void *ud, const char *phase, size_t done, size_t total, size_t errors,
                     size_t cached)
{
    bar *b = ud;
    if (!b->tty || total == 0)
        return;
    if (!b->phase || strcmp(b->phase, phase) != 0) {
        if (b->drawn)
            fputc('\n', stderr);
        b->phase = phase;
        clock_gettime(CLOCK_MONOTONIC, &b->start);
    }
    double el = since(&b->start);
    int width = 30, fill = (int)((double)width * (double)done / (double)total);
    char line[160];
    int n = snprintf(line, sizeof line, "\r%-7s [", phase);
    for (int i = 0; i < width && n > 0 && (size_t)n < sizeof line - 1; i++)
        line[n++] = i < fill ? '#' : '.';
    line[n] = '\0';
    double eta = done ? el / (double)done * (double)(total - done) : 0;
    fprintf(stderr, "%s] %zu/%zu  errors %zu  cached %zu  ETA %.0fs\033[K", line, done, total,
            errors, cached, eta);
    fflush(stderr);
    b->drawn = 1;
}

static int parse_int(int *out, const char *s, int min)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end || errno || v < min || v > INT_MAX)
        return -1;
    *out = (int)v;
    return 0;
}

int cmd_compare(int argc, char **argv)
{
    int rc = RS_EXIT_OK;
    rs_error err = RS_ERROR_INIT;
    rs_compare_opts o = RS_COMPARE_OPTS_INIT;
    const char *arms[MAX_ARGS], *prompts[MAX_ARGS], *targets[MAX_ARGS], *scorers[MAX_ARGS];
    size_t na = 0, np = 0, nt = 0, ns = 0;
    const char *html = NULL;
    int json = 0;
    char *report = NULL, *text = NULL;
    char expid[128] = "";
    struct sigaction sa, old_int, old_term;
    int sa_set = 0;
    bar b = {isatty(2), {0, 0}, NULL, 0};

    if (argc < 2) {
        fputs(usage_text, stderr);
        return RS_EXIT_USAGE;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEEDS_VALUE                                                                                \
    if (!v) {                                                                                      \
        rc = cli_usage_error("compare", "%s needs a value", a);                                    \
        goto done;                                                                                 \
    }                                                                                              \
    i++
#define PUSH(list, n, what)                                                                        \
    if (n == MAX_ARGS) {                                                                           \
        rc = cli_usage_error("compare", "more than %d %s", MAX_ARGS, what);                        \
        goto done;                                                                                 \
    }                                                                                              \
    list[n++] = v
        if (cli_is_help(a)) {
            fputs(usage_text, stdout);
            goto done;
        } else if (strcmp(a, "--prompt") == 0) {
            NEEDS_VALUE;
            PUSH(prompts, np, "prompts");
        } else if (strcmp(a, "--target") == 0) {
            NEEDS_VALUE;
            PUSH(targets, nt, "targets");
        } else if (strcmp(a, "--scorer") == 0) {
            NEEDS_VALUE;
            PUSH(scorers, ns, "scorers");
        } else if (strcmp(a, "--dataset") == 0) {
            NEEDS_VALUE;
            o.dataset = v;
        } else if (strcmp(a, "--spec") == 0) {
            NEEDS_VALUE;
            o.spec = v;
        } else if (strcmp(a, "-j") == 0 || strcmp(a, "--concurrency") == 0) {
            NEEDS_VALUE;
            if (parse_int(&o.concurrency, v, 1)) {
                rc = cli_usage_error("compare", "%s wants a positive integer, not '%s'", a, v);
                goto done;
            }
        } else if (strncmp(a, "-j", 2) == 0 && a[2]) {
            if (parse_int(&o.concurrency, a + 2, 1)) {
                rc = cli_usage_error("compare", "-j wants a positive integer, not '%s'", a + 2);
                goto done;
            }
        } else if (strcmp(a, "--repeat") == 0) {
            NEEDS_VALUE;
            if (parse_int(&o.repeat, v, 1)) {
                rc = cli_usage_error("compare", "--repeat wants a positive integer, not '%s'", v);
                goto done;
            }
        } else if (strcmp(a, "--no-cache") == 0) {
            o.no_cache = 1;
        } else if (strcmp(a, "--resume") == 0) {
            NEEDS_VALUE;
            o.resume = v;
        } else if (strcmp(a, "--experiment") == 0) {
            NEEDS_VALUE;
            o.experiment = v;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (strcmp(a, "--html") == 0) {
            NEEDS_VALUE;
            html = v;
        } else if (strcmp(a, "--log") == 0) {
            NEEDS_VALUE;
            o.log_path = v;
        } else if (strcmp(a, "--timeout") == 0) {
            NEEDS_VALUE;
            int t;
            if (parse_int(&t, v, 1)) {
                rc = cli_usage_error("compare", "--timeout wants milliseconds, not '%s'", v);
                goto done;
            }
            o.timeout_ms = t;
        } else if (strcmp(a, "--attempts") == 0) {
            NEEDS_VALUE;
            if (parse_int(&o.max_attempts, v, 1)) {
                rc = cli_usage_error("compare", "--attempts wants a positive integer, not '%s'", v);
                goto done;
            }
        } else if (strcmp(a, "--seed") == 0) {
            NEEDS_VALUE;
            char *end;
            errno = 0;
            o.seed = strtoull(v, &end, 10);
            if (*end || errno) {
                rc = cli_usage_error("compare", "--seed wants an integer, not '%s'", v);
                goto done;
            }
        } else if (a[0] == '-' && a[1]) {
            rc = cli_usage_error("compare", "unknown option %s", a);
            goto done;
        } else {
            v = a;
            PUSH(arms, na, "arms");
        }
#undef NEEDS_VALUE
#undef PUSH
    }
    o.arms = arms;
    o.n_arms = na;
    o.prompts = prompts;
    o.n_prompts = np;
    o.targets = targets;
    o.n_targets = nt;
    o.scorers = scorers;
    o.n_scorers = ns;
    o.cancel = &interrupted;
    o.progress = progress;
    o.progress_ud = &b;

    /* The first Ctrl-C stops cleanly (calls in flight finish or are logged as interrupted); the
     * handler is reset after it, so a second one kills at once. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sa_set = sigaction(SIGINT, &sa, &old_int) == 0 && sigaction(SIGTERM, &sa, &old_term) == 0;

    int r = rs_compare(&report, expid, sizeof expid, &o, &err);
    if (b.drawn)
        fputs("\n", stderr);
    if (r != 0) {
        cli_print_error(&err);
        rc = r == RS_EINTERRUPTED ? 130 : cli_exit_code(r);
        goto done;
    }
    if (json) {
        fputs(report, stdout);
        fputc('\n', stdout);
    } else {
        const char *nc = getenv("NO_COLOR");
        int colour = isatty(1) && !(nc && *nc);
        if ((r = rs_compare_format_table(&text, report, colour, &err)) != 0) {
            rc = cli_fail(&err);
            goto done;
        }
        fputs(text, stdout);
        rs_free(text);
        text = NULL;
    }
    if (html) {
        if ((r = rs_compare_format_html(&text, report, &err)) != 0 ||
            (r = rs_file_write_atomic(html, text, strlen(text), &err)) != 0) {
            rc = cli_fail(&err);
            goto done;
        }
        fprintf(stderr, "rosetta: wrote %s\n", html);
    }
    fprintf(stderr, "rosetta: experiment %s (rosetta stats --experiment %s)\n", expid, expid);
    /* A compare where nothing could be scored compared nothing: say so in the exit code. */
    cJSON *rj = NULL;
    rs_error perr = RS_ERROR_INIT;
    double scored = 0;
    if (rs_json_parse(&rj, report, strlen(report), "report", &perr) != 0)
        rj = NULL;
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(rj, "arms");
    for (const cJSON *a = arr ? arr->child : NULL; a; a = a->next) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(a, "scored");
        scored += cJSON_IsNumber(n) ? n->valuedouble : 0;
    }
    if (rj && scored == 0) {
        fprintf(stderr, "rosetta: no answer could be scored: every call or every scorer failed "
                        "(see the errors above and `rosetta runs`)\n");
        rc = RS_EXIT_FAILURE;
    }
    cJSON_Delete(rj);
done:
    if (sa_set) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
    }
    rs_free(report);
    rs_free(text);
    return rc;
}
