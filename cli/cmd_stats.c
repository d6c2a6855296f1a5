/*
 * rosetta stats - runs from the run log grouped by version, variant, provider, model, ...:
 * count, error rate, latency p50/p95, time to first token, tokens and cost per group.
 */
#include "cli/cli.h"

#include "rosetta/compare.h"
#include "rosetta/memory.h"
#include "rosetta/runlog.h"
#include "util/error.h"
#include "util/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: rosetta stats [NAME] [--by COLS] [--since T] [--experiment EXP] [--json]\n"
    "\n"
    "Summarize the run log per group: runs, error rate, latency p50/p95, time to first token p50,\n"
    "tokens in/out, total and mean cost. Percentiles interpolate between ranks (type 7).\n"
    "\n"
    "  NAME              only runs of this prompt\n"
    "  --by COLS         group by these columns, comma-separated (default prompt,version; with\n"
    "                    --experiment: arm): version, variant, provider, model, prompt,\n"
    "                    experiment, arm, case_id, status, finish, route, and the UTC time\n"
    "                    buckets day and hour (versions sort numerically: v2 before v10)\n"
    "  --since T         only runs since T: an age (30m, 24h, 7d, 2w) or a date (2026-11-01)\n"
    "  --experiment EXP  only the runs of a compare experiment\n"
    "  --json            print JSON: an array of groups\n"
    "  --log FILE        the run log (default $ROSETTA_LOG or .rosetta/runs.db at the registry "
    "root)\n"
    "\n"
    "Costs count only runs whose price is known; 'priced' says how many of the group's runs that "
    "is.\n";

/* cli/cmd_runs.c */
int cli_runlog_path(char **out, const char *explicit_path, rs_error *err);
int cli_runlog_open_existing(rs_runlog **log, const char *path, rs_error *err);

static void fmt_ms(char *buf, size_t size, double v)
{
    if (v < 0)
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%.0fms", v);
}

static void fmt_usd(char *buf, size_t size, double v, int known)
{
    if (!known)
        snprintf(buf, size, "?");
    else if (v != 0 && v < 0.01)
        snprintf(buf, size, "$%.6f", v);
    else
        snprintf(buf, size, "$%.4f", v);
}

static void print_table(const rs_runstats *s)
{
    int w[RS_RUNSTATS_MAX_BY];
    for (size_t k = 0; k < s->n_by; k++) {
        w[k] = (int)strlen(s->by[k]);
        for (size_t g = 0; g < s->n_groups; g++) {
            int n = s->groups[g].key[k] ? (int)strlen(s->groups[g].key[k]) : 1;
            if (n > w[k])
                w[k] = n > 40 ? 40 : n;
        }
    }
    for (size_t k = 0; k < s->n_by; k++) {
        char up[64];
        size_t n = strlen(s->by[k]);
        for (size_t i = 0; i < n && i < sizeof up - 1; i++)
            up[i] =
                (char)(s->by[k][i] >= 'a' && s->by[k][i] <= 'z' ? s->by[k][i] - 32 : s->by[k][i]);
        up[n < sizeof up - 1 ? n : sizeof up - 1] = '\0';
        printf("%-*s  ", w[k], up);
    }
    printf("%6s %7s %8s %8s %8s %10s %10s %12s %12s %9s\n", "RUNS", "ERRORS", "P50", "P95",
           "TTFT50", "TOK IN", "TOK OUT", "COST", "COST/RUN", "PRICED");
    for (size_t g = 0; g < s->n_groups; g++) {
        const rs_runstats_group *gr = &s->groups[g];
        for (size_t k = 0; k < s->n_by; k++)
            printf("%-*.*s  ", w[k], w[k], gr->key[k] ? gr->key[k] : "-");
        char p50[24], p95[24], t50[24], tot[32], mean[32], err[24], priced[32];
        fmt_ms(p50, sizeof p50, gr->latency_p50);
        fmt_ms(p95, sizeof p95, gr->latency_p95);
        fmt_ms(t50, sizeof t50, gr->ttft_p50);
        fmt_usd(tot, sizeof tot, gr->cost_total, gr->cost_known > 0);
        fmt_usd(mean, sizeof mean, gr->cost_mean, gr->cost_known > 0);
        snprintf(err, sizeof err, "%.1f%%", 100.0 * gr->error_rate);
        snprintf(priced, sizeof priced, "%ld/%ld", gr->cost_known, gr->count);
        printf("%6ld %7s %8s %8s %8s %10lld %10lld %12s %12s %9s\n", gr->count, err, p50, p95, t50,
               gr->input_tokens, gr->output_tokens, tot, mean, priced);
    }
}

int cmd_stats(int argc, char **argv)
{
    rs_error err = RS_ERROR_INIT;
    rs_runlog_query q = RS_RUNLOG_QUERY_INIT;
    const char *log_opt = NULL;
    int json = 0, code = RS_EXIT_OK;
    char *path = NULL, *text = NULL, *report = NULL;
    rs_runlog *log = NULL;
    rs_runstats *stats = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(usage_text, stdout);
            return RS_EXIT_OK;
        }
        if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--by") || !strcmp(a, "--since") || !strcmp(a, "--log") ||
                   !strcmp(a, "--experiment")) {
            if (i + 1 >= argc)
                return cli_usage_error("stats", "%s needs a value", a);
            const char *v = argv[++i];
            if (!strcmp(a, "--by"))
                q.by = v;
            else if (!strcmp(a, "--since"))
                q.since = v;
            else if (!strcmp(a, "--log"))
                log_opt = v;
            else
                q.experiment = v;
        } else if (a[0] != '-' && !q.prompt) {
            q.prompt = a;
        } else {
            return cli_usage_error("stats", "unexpected argument '%s'", a);
        }
    }
    /*
     * `stats --experiment EXP` re-reports a compare experiment (or a live traffic split): the
     * runs of EXP grouped by arm (cost, latency, errors per arm), then compare's report from the
     * log alone (scores, intervals, paired or unpaired tests, verdicts; rosetta/compare.h).
     */
    if (q.experiment && !q.by)
        q.by = "arm";
    if (cli_runlog_path(&path, log_opt, &err) != 0 ||
        cli_runlog_open_existing(&log, path, &err) != 0)
        goto fail;
    if (!log) {
        if (json)
            printf("[]\n");
        else
            printf("no runs yet (no run log at %s)\n", path);
        goto done;
    }
    if (rs_runlog_stats(log, &q, &stats, &err) != 0)
        goto fail;
    if (json) {
        if (rs_runstats_to_json(stats, &text, &err) != 0)
            goto fail;
        if (q.experiment && stats->n_groups > 0) {
            /* compare's report (scores, intervals, tests) beside the groups */
            if (rs_compare_experiment_report(&report, q.experiment, NULL, path, &err) != 0)
                goto fail;
            printf("{\"groups\": %s,\n\"compare\": %s}\n", text, report);
        } else {
            printf("%s\n", text);
        }
    } else if (stats->n_groups == 0) {
        printf("no runs%s%s%s\n", q.prompt ? " of " : "", q.prompt ? q.prompt : "",
               q.since ? " in that time" : "");
    } else {
        print_table(stats);
        if (q.experiment) {
            const char *nc = getenv("NO_COLOR");
            char *table = NULL;
            if (rs_compare_experiment_report(&report, q.experiment, NULL, path, &err) != 0 ||
                rs_compare_format_table(&table, report, isatty(1) && !(nc && *nc), &err) != 0)
                goto fail;
            printf("\n%s", table);
            rs_free(table);
        }
    }
    goto done;
fail:
    /* a bad --by / --since value is a bad command line, not bad input */
    code = err.code == RS_EINVAL ? (cli_print_error(&err), RS_EXIT_USAGE) : cli_fail(&err);
done:
    rs_free(text);
    rs_free(report);
    rs_free(path);
    rs_runstats_free(stats);
    rs_runlog_close(log);
    return code;
}
