/*
 * rosetta runs - list recent runs from the run log, or show one in full.
 */
#include "cli/cli.h"

#include "rosetta/memory.h"
#include "rosetta/registry.h"
#include "rosetta/runlog.h"
#include "util/error.h"
#include "util/json.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage_text[] =
    "usage: rosetta runs [--prompt NAME] [--since T] [--experiment EXP] [--limit N] [--json]\n"
    "       rosetta runs show ID [--json]\n"
    "\n"
    "List the most recent runs in the run log (newest first), or show one run in full: its input,\n"
    "answer, tool calls, usage, cost, and every attempt (target, HTTP status, error class, wait).\n"
    "\n"
    "  --prompt NAME     only runs of this prompt\n"
    "  --since T         only runs since T: an age (30m, 24h, 7d, 2w) or a date (2026-11-01)\n"
    "  --experiment EXP  only runs of this compare experiment\n"
    "  --limit N         at most N runs (default 20; 0 = all)\n"
    "  --json            print JSON (an array of runs, or the run object)\n"
    "  --log FILE        the run log (default $ROSETTA_LOG or .rosetta/runs.db at the registry "
    "root)\n"
    "\n"
    "A cost shown as '?' is unknown (no price for the model): it is never counted as zero.\n";

/* Path of the run log: --log, $ROSETTA_LOG, or .rosetta/runs.db at the registry's root (the
 * same place `rosetta run` writes), else in the current directory. */
int cli_runlog_path(char **out, const char *explicit_path, rs_error *err);

int cli_runlog_path(char **out, const char *explicit_path, rs_error *err)
{
    rs_registry *reg = NULL;
    rs_error rerr = RS_ERROR_INIT;
    const char *root = NULL;
    if (!explicit_path && rs_registry_open(&reg, NULL, &rerr) == 0 && !rs_registry_is_bare(reg))
        root = rs_registry_root(reg);
    int rc = rs_runlog_path(out, explicit_path, root, err);
    rs_registry_free(reg);
    return rc;
}

/* Open an existing log; *log stays NULL (and 0 is returned) when there is none yet, so that a
 * read-only command never creates one. */
int cli_runlog_open_existing(rs_runlog **log, const char *path, rs_error *err);

int cli_runlog_open_existing(rs_runlog **log, const char *path, rs_error *err)
{
    struct stat sb;
    *log = NULL;
    if (stat(path, &sb) != 0) {
        if (errno == ENOENT)
            return 0;
        return rs_error_set(err, RS_EIO, "cannot read %s: %s", path, strerror(errno));
    }
    return rs_runlog_open(log, path, err);
}

static const char *str_of(const cJSON *o, const char *k)
{
    const char *s = rs_json_string(o, k);
    return s ? s : "";
}

static double num_of(const cJSON *o, const char *k, int *present)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    *present = cJSON_IsNumber(v);
    return *present ? v->valuedouble : 0;
}

static void fmt_cost(char *buf, size_t size, const cJSON *o, const char *k)
{
    int has;
    double c = num_of(o, k, &has);
    if (!has)
        snprintf(buf, size, "?");
    else if (c != 0 && c < 0.01)
        snprintf(buf, size, "$%.6f", c);
    else
        snprintf(buf, size, "$%.4f", c);
}

static void fmt_count(char *buf, size_t size, const cJSON *o, const char *k)
{
    int has;
    double v = num_of(o, k, &has);
    if (has)
        snprintf(buf, size, "%.0f", v);
    else
        snprintf(buf, size, "-");
}

static void print_table(const cJSON *runs)
{
    printf("%-6s %-19s %-24s %-28s %-16s %13s %10s %8s\n", "ID", "WHEN (UTC)", "PROMPT", "TARGET",
           "STATUS", "TOKENS IN/OUT", "COST", "LATENCY");
    const cJSON *r;
    cJSON_ArrayForEach(r, runs)
    {
        int has;
        char when[20], prompt[64], target[96], status[48], in[16], out[16], toks[40], cost[24],
            lat[24];
        snprintf(when, sizeof when, "%.10s %.8s", str_of(r, "created_at"),
                 strlen(str_of(r, "created_at")) > 11 ? str_of(r, "created_at") + 11 : "");
        const char *version = rs_json_string(r, "version");
        snprintf(prompt, sizeof prompt, "%s%s%s", str_of(r, "prompt"), version ? "@" : "",
                 version ? version : "");
        snprintf(target, sizeof target, "%s/%s", str_of(r, "provider"), str_of(r, "model"));
        if (!strcmp(str_of(r, "status"), "ok"))
            snprintf(status, sizeof status, "ok %s", str_of(r, "finish"));
        else
            snprintf(status, sizeof status, "error %s", str_of(r, "error_class"));
        fmt_count(in, sizeof in, r, "input_tokens");
        fmt_count(out, sizeof out, r, "output_tokens");
        snprintf(toks, sizeof toks, "%s/%s", in, out);
        fmt_cost(cost, sizeof cost, r, "cost_usd");
        double l = num_of(r, "latency_ms", &has);
        if (has)
            snprintf(lat, sizeof lat, "%.0fms", l);
        else
            snprintf(lat, sizeof lat, "-");
        printf("%-6.0f %-19s %-24.24s %-28.28s %-16.16s %13s %10s %8s\n", num_of(r, "id", &has),
               when, prompt, target, status, toks, cost, lat);
    }
}

static void print_field(const char *label, const char *value)
{
    if (value && *value)
        printf("%-15s %s\n", label, value);
}

static void print_run(const cJSON *r)
{
    int has;
    char buf[640], a[24], b[24];
    printf("run %.0f\n", num_of(r, "id", &has));
    print_field("created", str_of(r, "created_at"));
    const char *version = rs_json_string(r, "version");
    snprintf(buf, sizeof buf, "%s%s%s", str_of(r, "prompt"), version ? "@" : "",
             version ? version : "");
    print_field("prompt", buf);
    print_field("commit", str_of(r, "commit"));
    print_field("variant", str_of(r, "variant"));
    snprintf(buf, sizeof buf, "%s/%s", str_of(r, "provider"), str_of(r, "model"));
    print_field("target", buf);
    print_field("route", str_of(r, "route"));
    print_field("answered by", str_of(r, "response_model"));
    print_field("experiment", str_of(r, "experiment"));
    print_field("arm", str_of(r, "arm"));
    print_field("case", str_of(r, "case_id"));
    print_field("status", str_of(r, "status"));
    print_field("error class", str_of(r, "error_class"));
    print_field("error", str_of(r, "error"));
    if (rs_json_string(r, "finish")) {
        snprintf(buf, sizeof buf, "%s (%s)", str_of(r, "finish"), str_of(r, "finish_raw"));
        print_field("finish", buf);
    }
    fmt_count(a, sizeof a, r, "input_tokens");
    fmt_count(b, sizeof b, r, "output_tokens");
    char c[24], d[24];
    fmt_count(c, sizeof c, r, "cached_tokens");
    fmt_count(d, sizeof d, r, "reasoning_tokens");
    snprintf(buf, sizeof buf, "in %s (cached %s), out %s (reasoning %s)", a, c, b, d);
    print_field("tokens", buf);
    fmt_cost(buf, sizeof buf, r, "cost_usd");
    print_field("cost", !strcmp(buf, "?") ? "unknown (no price for this model)" : buf);
    double lat = num_of(r, "latency_ms", &has);
    if (has) {
        int has_t;
        double t = num_of(r, "ttft_ms", &has_t);
        if (has_t)
            snprintf(buf, sizeof buf, "%.1f ms (first token %.1f ms)", lat, t);
        else
            snprintf(buf, sizeof buf, "%.1f ms", lat);
        print_field("latency", buf);
    }
    print_field("request hash", str_of(r, "request_hash"));
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(r, "input");
    if (input && !cJSON_IsNull(input)) {
        char *s = rs_json_print(input, 0);
        print_field("input", s);
        cJSON_free(s);
    }
    const cJSON *att;
    const cJSON *atts = cJSON_GetObjectItemCaseSensitive(r, "attempts");
    if (cJSON_GetArraySize(atts) > 0) {
        printf("attempts\n");
        cJSON_ArrayForEach(att, atts)
        {
            int hs, hr, hl;
            double http = num_of(att, "http_status", &hs);
            double wait = num_of(att, "retry_after_ms", &hr);
            double l = num_of(att, "latency_ms", &hl);
            printf("  %.0f. %-32s %-5s", num_of(att, "n", &has), str_of(att, "target"),
                   str_of(att, "status"));
            if (hs)
                printf(" HTTP %.0f", http);
            if (rs_json_string(att, "error_class"))
                printf(" %s", str_of(att, "error_class"));
            if (hl)
                printf(" %.1f ms", l);
            if (hr)
                printf(" (asked to wait %.0f ms)", wait);
            printf("\n");
            if (rs_json_string(att, "error"))
                printf("     %s\n", str_of(att, "error"));
        }
    }
    const cJSON *fb;
    cJSON_ArrayForEach(fb, cJSON_GetObjectItemCaseSensitive(r, "feedback"))
    {
        printf("feedback        score %g %s\n", num_of(fb, "score", &has), str_of(fb, "label"));
    }
    const cJSON *tc = cJSON_GetObjectItemCaseSensitive(r, "tool_calls");
    if (tc && !cJSON_IsNull(tc)) {
        char *s = rs_json_print(tc, 1);
        printf("tool calls\n%s\n", s ? s : "");
        cJSON_free(s);
    }
    const char *output = rs_json_string(r, "output");
    if (output) {
        printf("output\n%s", output);
        if (*output && output[strlen(output) - 1] != '\n')
            printf("\n");
    }
}

/* Parse a non-negative integer option value. */
static int parse_long(const char *s, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || !end || *end || end == s || v < 0)
        return -1;
    *out = v;
    return 0;
}

int cmd_runs(int argc, char **argv)
{
    rs_error err = RS_ERROR_INIT;
    rs_runlog_query q = RS_RUNLOG_QUERY_INIT;
    const char *log_opt = NULL, *show_id = NULL;
    int json = 0, show = 0, code = RS_EXIT_OK;
    char *path = NULL, *text = NULL;
    rs_runlog *log = NULL;
    cJSON *doc = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(usage_text, stdout);
            return RS_EXIT_OK;
        }
        int has_value = i + 1 < argc;
        if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--prompt") || !strcmp(a, "--since") || !strcmp(a, "--log") ||
                   !strcmp(a, "--limit") || !strcmp(a, "--experiment")) {
            if (!has_value)
                return cli_usage_error("runs", "%s needs a value", a);
            const char *v = argv[++i];
            if (!strcmp(a, "--prompt"))
                q.prompt = v;
            else if (!strcmp(a, "--since"))
                q.since = v;
            else if (!strcmp(a, "--log"))
                log_opt = v;
            else if (!strcmp(a, "--experiment"))
                q.experiment = v;
            else if (parse_long(v, &q.limit) != 0)
                return cli_usage_error("runs", "--limit: '%s' is not a number >= 0", v);
            else if (q.limit == 0)
                q.limit = -1; /* 0 = all */
        } else if (!strcmp(a, "show") && !show && i == 1) {
            show = 1;
        } else if (show && !show_id && a[0] != '-') {
            show_id = a;
        } else {
            return cli_usage_error("runs", "unexpected argument '%s'", a);
        }
    }
    long long id = 0;
    if (show) {
        long v;
        if (!show_id)
            return cli_usage_error("runs", "show needs a run ID");
        if (parse_long(show_id, &v) != 0)
            return cli_usage_error("runs", "'%s' is not a run ID", show_id);
        id = v;
    }
    if (cli_runlog_path(&path, log_opt, &err) != 0 ||
        cli_runlog_open_existing(&log, path, &err) != 0)
        goto fail;
    if (!log) { /* no log yet: nothing has run here */
        if (show) {
            rs_error_set(&err, RS_ENOTFOUND, "no run %lld: there is no run log at %s", id, path);
            goto fail;
        }
        if (json)
            printf("[]\n");
        else
            printf("no runs yet (no run log at %s)\n", path);
        goto done;
    }
    int rc = show ? rs_runlog_show_json(log, id, &text, &err)
                  : rs_runlog_list_json(log, &q, &text, &err);
    if (rc)
        goto fail;
    if (json) {
        printf("%s\n", text);
        goto done;
    }
    if (rs_json_parse(&doc, text, strlen(text), NULL, &err) != 0)
        goto fail;
    if (show)
        print_run(doc);
    else if (cJSON_GetArraySize(doc) == 0)
        printf("no runs%s%s\n", q.prompt ? " of " : "", q.prompt ? q.prompt : "");
    else
        print_table(doc);
    goto done;
fail:
    /* a bad --by / --since value is a bad command line, not bad input */
    code = err.code == RS_EINVAL ? (cli_print_error(&err), RS_EXIT_USAGE) : cli_fail(&err);
done:
    cJSON_Delete(doc);
    rs_free(text);
    rs_free(path);
    rs_runlog_close(log);
    return code;
}
