/*
 * runner/report_table.c - the compare report as a terminal table.
 *
 * Input is the JSON report (compare.c), so `compare` and `stats --experiment` print alike.
 * Colour is the caller's decision (a terminal, NO_COLOR unset): green for a significant
 * improvement, red for a significant regression, yellow for "no significant difference".
 */
#include "runner/compare.h"

#include "util/json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define BOLD "\033[1m"
#define DIM "\033[2m"
#define GREEN "\033[32m"
#define RED "\033[31m"
#define YELLOW "\033[33m"
#define RESET "\033[0m"

/* Append a cell padded to width w (UTF-8 aware enough for arm names: counts non-continuation
 * bytes). left: pad on the right. */
static void cell(rs_str *out, const char *text, int w, int left)
{
    int len = 0;
    for (const char *p = text; *p; p++)
        len += ((unsigned char)*p & 0xC0) != 0x80;
    if (!left)
        for (int i = len; i < w; i++)
            rs_str_putc(out, ' ');
    rs_str_puts(out, text);
    if (left)
        for (int i = len; i < w; i++)
            rs_str_putc(out, ' ');
}

static void fmt(char *buf, size_t n, const char *f, double v)
{
    if (isnan(v))
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, f, v);
}

static void fmt_p(char *buf, size_t n, double p)
{
    if (isnan(p))
        snprintf(buf, n, "-");
    else if (p < 0.001)
        snprintf(buf, n, "%.1e", p);
    else
        snprintf(buf, n, "%.3f", p);
}

int rs_report_table(rs_str *out, const cJSON *report, int colour, rs_error *err)
{
    const char *bold = colour ? BOLD : "", *dim = colour ? DIM : "", *reset = colour ? RESET : "";
    const cJSON *arms = cJSON_GetObjectItemCaseSensitive(report, "arms");
    const char *primary = rs_json_string(report, "primary");
    int by_pass = primary && strcmp(primary, "pass") == 0;
    int namew = 4;
    for (const cJSON *a = arms ? arms->child : NULL; a; a = a->next) {
        const char *n = rs_json_string(a, "name");
        int l = n ? (int)strlen(n) : 0;
        if (l > namew)
            namew = l;
    }
    if (namew > 60)
        namew = 60;

    /* heading */
    rs_str_appendf(out, "%sExperiment %s%s", bold, rs_json_string(report, "experiment"), reset);
    const cJSON *ds = cJSON_GetObjectItemCaseSensitive(report, "dataset");
    if (ds)
        rs_str_appendf(out, "  dataset %s (%g cases)", rs_json_string(ds, "name"),
                       rs_report_num(ds, "cases", NULL));
    if (rs_report_num(report, "repeat", NULL) > 1)
        rs_str_appendf(out, "  x%g repeats", rs_report_num(report, "repeat", NULL));
    const cJSON *scs = cJSON_GetObjectItemCaseSensitive(report, "scorers");
    if (cJSON_GetArraySize(scs) > 0) {
        rs_str_puts(out, "  scorers:");
        for (const cJSON *s = scs->child; s; s = s->next)
            rs_str_appendf(out, " %s", cJSON_IsString(s) ? s->valuestring : "?");
    }
    rs_str_puts(out, "\n\n");

    /* per arm */
    rs_str_appendf(out, "%s", bold);
    cell(out, "arm", namew + 2, 1);
    cell(out, "pass rate [95% CI]", 24, 1);
    cell(out, "score [95% CI]", 24, 1);
    cell(out, "n", 6, 0);
    cell(out, "errors", 8, 0);
    cell(out, "cost/call", 12, 0);
    cell(out, "total", 11, 0);
    cell(out, "p50 ms", 9, 0);
    cell(out, "p95 ms", 9, 0);
    cell(out, "tokens in/out", 16, 0);
    rs_str_appendf(out, "%s\n", reset);
    for (const cJSON *a = arms ? arms->child : NULL; a; a = a->next) {
        char name[80], b1[64], b2[64], b3[32], b4[32], b5[32], b6[32], b7[32], b8[32], b9[48];
        snprintf(name, sizeof name, "%s%s",
                 cJSON_IsTrue(cJSON_GetObjectItem(a, "baseline")) ? "*" : " ",
                 rs_json_string(a, "name"));
        double pr = rs_report_num(a, "pass", "rate");
        if (isnan(pr))
            snprintf(b1, sizeof b1, "-");
        else
            snprintf(b1, sizeof b1, "%5.1f%% [%.1f, %.1f]", 100 * pr, 100 * rs_report_ci(a, "pass", 0),
                     100 * rs_report_ci(a, "pass", 1));
        double sm = rs_report_num(a, "score", "mean");
        if (isnan(sm))
            snprintf(b2, sizeof b2, "-");
        else
            snprintf(b2, sizeof b2, "%.3f [%.3f, %.3f]", sm, rs_report_ci(a, "score", 0), rs_report_ci(a, "score", 1));
        fmt(b3, sizeof b3, "%.0f", rs_report_num(a, "scored", NULL));
        double e = rs_report_num(a, "errors", NULL) + rs_report_num(a, "score_errors", NULL);
        fmt(b4, sizeof b4, "%.0f", e);
        fmt(b5, sizeof b5, "$%.6f", rs_report_num(a, "cost_usd", "per_call"));
        fmt(b6, sizeof b6, "$%.4f", rs_report_num(a, "cost_usd", "total"));
        fmt(b7, sizeof b7, "%.0f", rs_report_num(a, "latency_ms", "p50"));
        fmt(b8, sizeof b8, "%.0f", rs_report_num(a, "latency_ms", "p95"));
        snprintf(b9, sizeof b9, "%.0f/%.0f", rs_report_num(a, "tokens", "input"), rs_report_num(a, "tokens", "output"));
        cell(out, name, namew + 2, 1);
        cell(out, b1, 24, 1);
        cell(out, b2, 24, 1);
        cell(out, b3, 6, 0);
        if (e > 0 && colour)
            rs_str_puts(out, RED);
        cell(out, b4, 8, 0);
        if (e > 0 && colour)
            rs_str_puts(out, RESET);
        cell(out, b5, 12, 0);
        cell(out, b6, 11, 0);
        cell(out, b7, 9, 0);
        cell(out, b8, 9, 0);
        cell(out, b9, 16, 0);
        rs_str_putc(out, '\n');
    }
    rs_str_appendf(out, "%s* baseline%s\n", dim, reset);

    /* against the baseline */
    if (cJSON_GetArraySize(arms) > 1) {
        rs_str_appendf(out, "\n%s", bold);
        cell(out, "vs baseline", namew + 2, 1);
        cell(out, by_pass ? "diff (pp)" : "diff", 11, 0);
        cell(out, "  95% CI", 20, 1);
        cell(out, "test", 22, 1);
        cell(out, "p", 9, 0);
        cell(out, "p (Holm)", 10, 0);
        rs_str_appendf(out, "  verdict%s\n", reset);
        for (const cJSON *a = arms->child ? arms->child->next : NULL; a; a = a->next) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(a, "vs_baseline");
            char name[80], d[32], c[48], p[24], ph[24];
            double scale = by_pass ? 100 : 1;
            snprintf(name, sizeof name, " %s", rs_json_string(a, "name"));
            fmt(d, sizeof d, by_pass ? "%+.1f" : "%+.3f", scale * rs_report_num(v, "diff", NULL));
            if (isnan(rs_report_ci(a, "vs_baseline", 0)))
                snprintf(c, sizeof c, "  -");
            else
                snprintf(c, sizeof c, by_pass ? "  [%+.1f, %+.1f]" : "  [%+.3f, %+.3f]",
                         scale * rs_report_ci(a, "vs_baseline", 0), scale * rs_report_ci(a, "vs_baseline", 1));
            fmt_p(p, sizeof p, rs_report_num(v, "p", NULL));
            fmt_p(ph, sizeof ph, rs_report_num(v, "p_holm", NULL));
            const char *verdict = rs_json_string(v, "verdict");
            const char *col = "";
            if (colour && verdict)
                col = strcmp(verdict, "better") == 0  ? GREEN
                      : strcmp(verdict, "worse") == 0 ? RED
                                                      : YELLOW;
            cell(out, name, namew + 2, 1);
            cell(out, d, 11, 0);
            cell(out, c, 20, 1);
            cell(out, rs_json_string(v, "test") ? rs_json_string(v, "test") : "-", 22, 1);
            cell(out, p, 9, 0);
            cell(out, ph, 10, 0);
            rs_str_appendf(out, "  %s%s%s", col, verdict ? verdict : "-", colour ? RESET : "");
            double more = rs_report_num(v, "more_cases_needed", NULL);
            if (!isnan(more))
                rs_str_appendf(out, " (~%.0f more cases needed)", more);
            rs_str_putc(out, '\n');
        }
    }
    const char *winner = rs_json_string(report, "winner");
    rs_str_appendf(out, "\n%sWinner:%s %s\n", bold, reset,
                   winner ? winner : "none (no significant difference)");
    const char *summary = rs_json_string(report, "summary");
    if (summary)
        rs_str_appendf(out, "%s\n", summary);
    return rs_str_report(out, err, "the report table");
}
