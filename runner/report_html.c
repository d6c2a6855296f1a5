/*
 * runner/report_html.c - the compare report as one self-contained HTML page.
 *
 * No network: CSS inline, charts are inline SVG drawn here, no scripts. Three charts (the
 * primary metric per arm with its 95% interval, cost per call against the metric, the latency
 * distribution per arm as box plots) and the per-case table with every arm's answer side by
 * side. Every text that came from a prompt, a dataset or a model is HTML-escaped: answers are
 * untrusted input.
 */
#include "runner/compare.h"

#include "runner/stats.h"
#include "util/alloc.h"
#include "util/json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define W 720 /* chart width in px */
#define MAX_ARMS_COLOURS 8

static const char *const colours[MAX_ARMS_COLOURS] = {"#6b7280", "#2563eb", "#16a34a", "#d97706",
                                                      "#9333ea", "#dc2626", "#0891b2", "#db2777"};

static void esc(rs_str *out, const char *s)
{
    for (const char *p = s ? s : ""; *p; p++) {
        switch (*p) {
        case '&':
            rs_str_puts(out, "&amp;");
            break;
        case '<':
            rs_str_puts(out, "&lt;");
            break;
        case '>':
            rs_str_puts(out, "&gt;");
            break;
        case '"':
            rs_str_puts(out, "&quot;");
            break;
        case '\'':
            rs_str_puts(out, "&#39;");
            break;
        default:
            rs_str_putc(out, *p);
        }
    }
}

static const char *colour_of(int i)
{
    return colours[i % MAX_ARMS_COLOURS];
}

static const char *css =
    "body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;"
    "color:#111827;background:#fff}h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;"
    "margin:28px 0 8px}.meta{color:#6b7280}.summary{padding:10px 14px;border-radius:6px;"
    "margin:14px 0;background:#f3f4f6}.summary.win{background:#dcfce7}table{border-collapse:"
    "collapse;font-size:13px}th,td{border-bottom:1px solid #e5e7eb;padding:5px 8px;text-align:"
    "left;vertical-align:top}th{background:#f9fafb}td.n{text-align:right;font-variant-numeric:"
    "tabular-nums}.better{color:#15803d;font-weight:600}.worse{color:#b91c1c;font-weight:600}"
    ".ns{color:#a16207}.sw{display:inline-block;width:10px;height:10px;border-radius:2px;"
    "margin-right:6px}pre{white-space:pre-wrap;word-break:break-word;margin:0;max-height:12em;"
    "overflow:auto;tab-size:2;font:12px/1.4 "
    "ui-monospace,Menlo,Consolas,monospace}.pass{color:#15803d}"
    ".fail{color:#b91c1c}.err{color:#b91c1c;font-style:italic}svg text{font:12px system-ui,"
    "sans-serif;fill:#374151}.charts{display:flex;flex-wrap:wrap;gap:24px}";

/* The primary metric of an arm: pass rate or mean score, with its interval. */
static void metric(const cJSON *a, int by_pass, double *m, double *lo, double *hi)
{
    const char *k = by_pass ? "pass" : "score";
    *m = by_pass ? rs_report_num(a, "pass", "rate") : rs_report_num(a, "score", "mean");
    *lo = rs_report_ci(a, k, 0);
    *hi = rs_report_ci(a, k, 1);
}

static void chart_ci(rs_str *o, const cJSON *arms, int by_pass)
{
    int n = cJSON_GetArraySize(arms), row = 34, left = 230, right = 70, top = 24;
    int h = top + n * row + 30, pw = W - left - right;
    rs_str_appendf(o,
                   "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
                   "role='img' aria-label='metric per arm'>",
                   W, h);
    for (int t = 0; t <= 10; t += 2) {
        double x = left + pw * t / 10.0;
        rs_str_appendf(o,
                       "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#e5e7eb'/>"
                       "<text x='%.1f' y='%d' text-anchor='middle'>%s%g%s</text>",
                       x, top - 6, x, top + n * row, x, top + n * row + 16, "",
                       by_pass ? t * 10.0 : t / 10.0, by_pass ? "%" : "");
    }
    int i = 0;
    for (const cJSON *a = arms->child; a; a = a->next, i++) {
        double m, lo, hi;
        metric(a, by_pass, &m, &lo, &hi);
        double y = top + i * row + row / 2.0;
        rs_str_appendf(o, "<text x='%d' y='%.1f' text-anchor='end' dominant-baseline='middle'>",
                       left - 10, y);
        const char *name = rs_json_string(a, "name");
        char shortname[48];
        size_t nl = name ? strlen(name) : 0;
        if (nl > 34)
            snprintf(shortname, sizeof shortname, "...%s", name + nl - 31);
        else
            snprintf(shortname, sizeof shortname, "%s", name ? name : "");
        esc(o, shortname);
        rs_str_puts(o, "</text>");
        if (isnan(m))
            continue;
        double xl = left + pw * (isnan(lo) ? m : lo), xh = left + pw * (isnan(hi) ? m : hi);
        double xm = left + pw * m;
        rs_str_appendf(o,
                       "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='%s' "
                       "stroke-width='2'/><line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' "
                       "stroke='%s' stroke-width='2'/><line x1='%.1f' y1='%.1f' x2='%.1f' "
                       "y2='%.1f' stroke='%s' stroke-width='2'/>"
                       "<circle cx='%.1f' cy='%.1f' r='6' fill='%s'/>"
                       "<text x='%.1f' y='%.1f' dominant-baseline='middle'>%.*f%s</text>",
                       xl, y, xh, y, colour_of(i), xl, y - 7, xl, y + 7, colour_of(i), xh, y - 7,
                       xh, y + 7, colour_of(i), xm, y, colour_of(i), W - right + 8.0, y,
                       by_pass ? 1 : 3, by_pass ? 100 * m : m, by_pass ? "%" : "");
    }
    rs_str_puts(o, "</svg>");
}

static void chart_cost(rs_str *o, const cJSON *arms, int by_pass)
{
    int left = 70, right = 50, top = 16, bottom = 44, h = 300;
    int pw = W - left - right, ph = h - top - bottom;
    double maxc = 0;
    for (const cJSON *a = arms->child; a; a = a->next) {
        double c = rs_report_num(a, "cost_usd", "per_call");
        if (!isnan(c) && c > maxc)
            maxc = c;
    }
    int free_calls = maxc <= 0;
    maxc = free_calls ? 1 : maxc * 1.15;
    rs_str_appendf(o,
                   "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
                   "role='img' aria-label='cost against metric'>",
                   W, h);
    for (int t = 0; t <= 4; t++) {
        double y = top + ph - ph * t / 4.0, x = left + pw * t / 4.0;
        rs_str_appendf(o,
                       "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#e5e7eb'/>"
                       "<text x='%d' y='%.1f' text-anchor='end' dominant-baseline='middle'>"
                       "%.2f</text>",
                       left, y, W - right, y, left - 6, y, t / 4.0);
        if (!free_calls || t == 0)
            rs_str_appendf(o, "<text x='%.1f' y='%d' text-anchor='middle'>$%.3g</text>", x,
                           top + ph + 18, maxc * t / 4.0);
    }
    if (free_calls)
        rs_str_appendf(o,
                       "<text x='%d' y='%d' text-anchor='middle'>every call cost $0 (or its "
                       "price is unknown)</text>",
                       left + pw / 2, top + ph / 2);
    rs_str_appendf(o, "<text x='%d' y='%d' text-anchor='middle'>cost per call (USD)</text>",
                   left + pw / 2, h - 6);
    rs_str_appendf(o,
                   "<text x='14' y='%d' transform='rotate(-90 14 %d)' text-anchor='middle'>"
                   "%s</text>",
                   top + ph / 2, top + ph / 2, by_pass ? "pass rate" : "score");
    int i = 0;
    for (const cJSON *a = arms->child; a; a = a->next, i++) {
        double m, lo, hi, c = rs_report_num(a, "cost_usd", "per_call");
        metric(a, by_pass, &m, &lo, &hi);
        if (isnan(m) || isnan(c))
            continue;
        double x = left + pw * (free_calls ? 0 : c / maxc), y = top + ph - ph * m;
        rs_str_appendf(o,
                       "<circle cx='%.1f' cy='%.1f' r='7' fill='%s' fill-opacity='.85'>"
                       "<title>",
                       x, y, colour_of(i));
        esc(o, rs_json_string(a, "name"));
        rs_str_appendf(o, "</title></circle>");
    }
    rs_str_puts(o, "</svg>");
}

/* Latency quantiles per arm from the per-case results (or p50/p95 alone when there are none). */
static void chart_latency(rs_str *o, const cJSON *report, const cJSON *arms)
{
    int n = cJSON_GetArraySize(arms), row = 34, left = 230, right = 30, top = 10;
    int h = top + n * row + 40, pw = W - left - right;
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(report, "results");
    int nres = cJSON_GetArraySize(res);
    double *lat = rs_malloc(((size_t)nres + 1) * sizeof *lat);
    double q[MAX_ARMS_COLOURS * 4][5];
    int have[MAX_ARMS_COLOURS * 4];
    double maxl = 0;
    int i = 0;
    for (const cJSON *a = arms->child; a && i < MAX_ARMS_COLOURS * 4; a = a->next, i++) {
        size_t k = 0;
        for (const cJSON *c = res ? res->child : NULL; c && lat; c = c->next) {
            const cJSON *ao = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c, "arms"), i);
            double v = rs_report_num(ao, "latency_ms", NULL);
            const char *st = rs_json_string(ao, "status");
            if (!isnan(v) && st && strcmp(st, "ok") == 0)
                lat[k++] = v;
        }
        int ok = 1;
        have[i] = k > 0 ? 2 : !isnan(rs_report_num(a, "latency_ms", "p50"));
        const double qs[5] = {0, 0.25, 0.5, 0.75, 0.95};
        for (int j = 0; j < 5; j++)
            q[i][j] = k ? rs_stats_percentile(lat, k, qs[j], &ok) : NAN;
        if (!k) {
            q[i][2] = rs_report_num(a, "latency_ms", "p50");
            q[i][4] = rs_report_num(a, "latency_ms", "p95");
        }
        for (int j = 0; j < 5; j++)
            if (!isnan(q[i][j]) && q[i][j] > maxl)
                maxl = q[i][j];
    }
    rs_free(lat);
    if (maxl <= 0)
        maxl = 1;
    maxl *= 1.1;
    rs_str_appendf(o,
                   "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
                   "role='img' aria-label='latency per arm'>",
                   W, h);
    /* Enough decimals that sub-millisecond ticks stay distinct (0.2, 0.4, ... not 0, 0, ...). */
    double step = maxl / 5.0;
    int decimals = step >= 1 ? 0 : step >= 0.1 ? 1 : 2;
    for (int t = 0; t <= 5; t++) {
        double x = left + pw * t / 5.0;
        rs_str_appendf(o,
                       "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#e5e7eb'/>"
                       "<text x='%.1f' y='%d' text-anchor='middle'>%.*f</text>",
                       x, top, x, top + n * row, x, top + n * row + 16, decimals, step * t);
    }
    rs_str_appendf(o,
                   "<text x='%d' y='%d' text-anchor='middle'>latency (ms): box = p25-p75, "
                   "line = p50, whiskers = min to p95</text>",
                   left + pw / 2, h - 4);
    i = 0;
    for (const cJSON *a = arms->child; a && i < MAX_ARMS_COLOURS * 4; a = a->next, i++) {
        double y = top + i * row + row / 2.0;
        rs_str_appendf(o, "<text x='%d' y='%.1f' text-anchor='end' dominant-baseline='middle'>",
                       left - 10, y);
        const char *name = rs_json_string(a, "name");
        char shortname[48];
        size_t nl = name ? strlen(name) : 0;
        snprintf(shortname, sizeof shortname, nl > 34 ? "...%s" : "%s",
                 nl > 34 ? name + nl - 31 : (name ? name : ""));
        esc(o, shortname);
        rs_str_puts(o, "</text>");
        if (!have[i])
            continue;
#define X(v) (left + pw * (v) / maxl)
        if (have[i] == 2)
            rs_str_appendf(o,
                           "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='%s'/>"
                           "<rect x='%.1f' y='%.1f' width='%.1f' height='16' fill='%s' "
                           "fill-opacity='.3' stroke='%s'/>",
                           X(q[i][0]), y, X(q[i][4]), y, colour_of(i), X(q[i][1]), y - 8,
                           X(q[i][3]) - X(q[i][1]) + 0.5, colour_of(i), colour_of(i));
        else
            rs_str_appendf(o, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='%s'/>",
                           X(q[i][2]), y, X(q[i][4]), y, colour_of(i));
        rs_str_appendf(o,
                       "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='%s' "
                       "stroke-width='3'/>",
                       X(q[i][2]), y - 9, X(q[i][2]), y + 9, colour_of(i));
#undef X
    }
    rs_str_puts(o, "</svg>");
}

static void fmt(rs_str *o, const char *f, double v)
{
    if (isnan(v))
        rs_str_puts(o, "-");
    else
        rs_str_appendf(o, f, v);
}

static void arm_table(rs_str *o, const cJSON *arms)
{
    rs_str_puts(o, "<table><tr><th>arm</th><th>pass rate [95% CI]</th><th>score [95% CI]</th>"
                   "<th>scored</th><th>errors</th><th>cost/call</th><th>total cost</th>"
                   "<th>p50 ms</th><th>p95 ms</th><th>tokens in/out</th></tr>");
    int i = 0;
    for (const cJSON *a = arms->child; a; a = a->next, i++) {
        rs_str_appendf(o, "<tr><td><span class='sw' style='background:%s'></span>", colour_of(i));
        esc(o, rs_json_string(a, "name"));
        if (cJSON_IsTrue(cJSON_GetObjectItem(a, "baseline")))
            rs_str_puts(o, " <span class='meta'>(baseline)</span>");
        rs_str_puts(o, "</td><td class='n'>");
        double pr = rs_report_num(a, "pass", "rate");
        if (isnan(pr))
            rs_str_puts(o, "-");
        else
            rs_str_appendf(o, "%.1f%% [%.1f, %.1f]", 100 * pr, 100 * rs_report_ci(a, "pass", 0),
                           100 * rs_report_ci(a, "pass", 1));
        rs_str_puts(o, "</td><td class='n'>");
        double sm = rs_report_num(a, "score", "mean");
        if (isnan(sm))
            rs_str_puts(o, "-");
        else
            rs_str_appendf(o, "%.3f [%.3f, %.3f]", sm, rs_report_ci(a, "score", 0), rs_report_ci(a, "score", 1));
        rs_str_puts(o, "</td><td class='n'>");
        fmt(o, "%.0f", rs_report_num(a, "scored", NULL));
        rs_str_puts(o, "</td><td class='n'>");
        fmt(o, "%.0f", rs_report_num(a, "errors", NULL) + rs_report_num(a, "score_errors", NULL));
        rs_str_puts(o, "</td><td class='n'>");
        fmt(o, "$%.6f", rs_report_num(a, "cost_usd", "per_call"));
        rs_str_puts(o, "</td><td class='n'>");
        fmt(o, "$%.4f", rs_report_num(a, "cost_usd", "total"));
        rs_str_puts(o, "</td><td class='n'>");
        fmt(o, "%.0f", rs_report_num(a, "latency_ms", "p50"));
        rs_str_puts(o, "</td><td class='n'>");
        fmt(o, "%.0f", rs_report_num(a, "latency_ms", "p95"));
        rs_str_puts(o, "</td><td class='n'>");
        rs_str_appendf(o, "%.0f / %.0f</td></tr>", rs_report_num(a, "tokens", "input"),
                       rs_report_num(a, "tokens", "output"));
    }
    rs_str_puts(o, "</table>");
}

static void versus_table(rs_str *o, const cJSON *arms, int by_pass)
{
    rs_str_appendf(o,
                   "<table><tr><th>arm</th><th>difference (%s)</th><th>95%% CI</th>"
                   "<th>test</th><th>p</th><th>p (Holm)</th><th>verdict</th></tr>",
                   by_pass ? "percentage points" : "score");
    double scale = by_pass ? 100 : 1;
    const char *f = by_pass ? "%+.1f" : "%+.3f";
    for (const cJSON *a = arms->child ? arms->child->next : NULL; a; a = a->next) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(a, "vs_baseline");
        const char *verdict = rs_json_string(v, "verdict");
        const char *cls = !verdict                         ? ""
                          : strcmp(verdict, "better") == 0 ? "better"
                          : strcmp(verdict, "worse") == 0  ? "worse"
                                                           : "ns";
        rs_str_puts(o, "<tr><td>");
        esc(o, rs_json_string(a, "name"));
        rs_str_puts(o, "</td><td class='n'>");
        fmt(o, f, scale * rs_report_num(v, "diff", NULL));
        rs_str_puts(o, "</td><td class='n'>[");
        fmt(o, f, scale * rs_report_ci(a, "vs_baseline", 0));
        rs_str_puts(o, ", ");
        fmt(o, f, scale * rs_report_ci(a, "vs_baseline", 1));
        rs_str_puts(o, "]</td><td>");
        esc(o, rs_json_string(v, "test"));
        rs_str_puts(o, "</td><td class='n'>");
        fmt(o, "%.3g", rs_report_num(v, "p", NULL));
        rs_str_puts(o, "</td><td class='n'>");
        fmt(o, "%.3g", rs_report_num(v, "p_holm", NULL));
        rs_str_appendf(o, "</td><td class='%s'>", cls);
        esc(o, verdict);
        double more = rs_report_num(v, "more_cases_needed", NULL);
        if (!isnan(more))
            rs_str_appendf(o, " <span class='meta'>(about %.0f more cases needed)</span>", more);
        rs_str_puts(o, "</td></tr>");
    }
    rs_str_puts(o, "</table>");
}

static void json_cell(rs_str *o, const cJSON *v)
{
    if (!v) {
        rs_str_puts(o, "<span class='meta'>-</span>");
        return;
    }
    char *t = cJSON_IsString(v) ? NULL : rs_json_print(v, 1);
    rs_str_puts(o, "<pre>");
    esc(o, cJSON_IsString(v) ? v->valuestring : t ? t : "");
    rs_str_puts(o, "</pre>");
    cJSON_free(t);
}

static void cases_table(rs_str *o, const cJSON *report, const cJSON *arms)
{
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(report, "results");
    const cJSON *scs = cJSON_GetObjectItemCaseSensitive(report, "scorers");
    if (!cJSON_IsArray(res) || !res->child)
        return;
    rs_str_appendf(o,
                   "<h2>Cases (%d)</h2><table><tr><th>case</th><th>input</th>"
                   "<th>expected</th>",
                   cJSON_GetArraySize(res));
    int i = 0;
    for (const cJSON *a = arms->child; a; a = a->next, i++) {
        rs_str_appendf(o, "<th><span class='sw' style='background:%s'></span>", colour_of(i));
        esc(o, rs_json_string(a, "name"));
        rs_str_puts(o, "</th>");
    }
    rs_str_puts(o, "</tr>");
    for (const cJSON *c = res->child; c; c = c->next) {
        rs_str_puts(o, "<tr><td>");
        esc(o, rs_json_string(c, "case"));
        if (rs_report_num(c, "repeat", NULL) > 0)
            rs_str_appendf(o, " #%.0f", rs_report_num(c, "repeat", NULL));
        rs_str_puts(o, "</td><td>");
        json_cell(o, cJSON_GetObjectItemCaseSensitive(c, "vars"));
        rs_str_puts(o, "</td><td>");
        json_cell(o, cJSON_GetObjectItemCaseSensitive(c, "expected"));
        rs_str_puts(o, "</td>");
        const cJSON *ca = cJSON_GetObjectItemCaseSensitive(c, "arms");
        for (const cJSON *x = ca ? ca->child : NULL; x; x = x->next) {
            const char *st = rs_json_string(x, "status");
            rs_str_puts(o, "<td>");
            if (st && strcmp(st, "ok") == 0) {
                const cJSON *pass = cJSON_GetObjectItemCaseSensitive(x, "pass");
                if (pass)
                    rs_str_appendf(o, "<div class='%s'>%s &middot; score %.3f</div>",
                                   cJSON_IsTrue(pass) ? "pass" : "fail",
                                   cJSON_IsTrue(pass) ? "&#10003; pass" : "&#10007; fail",
                                   rs_report_num(x, "score", NULL));
                const cJSON *ss = cJSON_GetObjectItemCaseSensitive(x, "scores");
                int k = 0;
                for (const cJSON *s = ss ? ss->child : NULL; s; s = s->next, k++) {
                    const cJSON *spec = cJSON_GetArrayItem(scs, k);
                    const char *e = rs_json_string(s, "error");
                    rs_str_puts(o, "<div class='meta'>");
                    esc(o, cJSON_IsString(spec) ? spec->valuestring : "?");
                    if (e) {
                        rs_str_puts(o, ": <span class='err'>");
                        esc(o, e);
                        rs_str_puts(o, "</span>");
                    } else {
                        rs_str_appendf(o, ": %.3g", rs_report_num(s, "value", NULL));
                    }
                    rs_str_puts(o, "</div>");
                }
                rs_str_puts(o, "<pre>");
                esc(o, rs_json_string(x, "output"));
                rs_str_puts(o, "</pre>");
            } else if (st && strcmp(st, "error") == 0) {
                rs_str_puts(o, "<div class='err'>error: ");
                esc(o, rs_json_string(x, "error"));
                rs_str_puts(o, "</div>");
            } else {
                rs_str_puts(o, "<span class='meta'>not run</span>");
            }
            rs_str_puts(o, "</td>");
        }
        rs_str_puts(o, "</tr>");
    }
    rs_str_puts(o, "</table>");
}

int rs_report_html(rs_str *o, const cJSON *report, rs_error *err)
{
    const cJSON *arms = cJSON_GetObjectItemCaseSensitive(report, "arms");
    if (!cJSON_IsArray(arms))
        return rs_error_set(err, RS_EINVAL, "the report has no arms");
    const char *primary = rs_json_string(report, "primary");
    int by_pass = primary && strcmp(primary, "pass") == 0;
    const char *winner = rs_json_string(report, "winner");
    rs_str_puts(o, "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
                   "<meta name='viewport' content='width=device-width,initial-scale=1'>"
                   "<title>Rosetta compare ");
    esc(o, rs_json_string(report, "experiment"));
    rs_str_appendf(o, "</title><style>%s</style></head><body><h1>Compare ", css);
    esc(o, rs_json_string(report, "experiment"));
    rs_str_puts(o, "</h1><div class='meta'>");
    const cJSON *ds = cJSON_GetObjectItemCaseSensitive(report, "dataset");
    if (ds) {
        rs_str_puts(o, "dataset ");
        esc(o, rs_json_string(ds, "name"));
        rs_str_appendf(o, " (%.0f cases) &middot; ", rs_report_num(ds, "cases", NULL));
    }
    rs_str_appendf(o, "%s design &middot; repeat %.0f &middot; scorers:",
                   rs_json_string(report, "design") ? rs_json_string(report, "design") : "",
                   rs_report_num(report, "repeat", NULL));
    const cJSON *scs = cJSON_GetObjectItemCaseSensitive(report, "scorers");
    for (const cJSON *s = scs ? scs->child : NULL; s; s = s->next) {
        rs_str_puts(o, " <code>");
        esc(o, cJSON_IsString(s) ? s->valuestring : "?");
        rs_str_puts(o, "</code>");
    }
    rs_str_appendf(o, "</div><div class='summary%s'><b>Winner: ", winner ? " win" : "");
    esc(o, winner ? winner : "none");
    rs_str_puts(o, "</b><br>");
    esc(o, rs_json_string(report, "summary"));
    rs_str_puts(o, "</div><h2>Arms</h2>");
    arm_table(o, arms);
    if (cJSON_GetArraySize(arms) > 1) {
        rs_str_puts(o, "<h2>Against the baseline</h2>");
        versus_table(o, arms, by_pass);
    }
    rs_str_appendf(o, "<div class='charts'><div><h2>%s per arm (95%% CI)</h2>",
                   by_pass ? "Pass rate" : "Mean score");
    chart_ci(o, arms, by_pass);
    rs_str_appendf(o, "</div><div><h2>Cost per call vs %s</h2>", by_pass ? "pass rate" : "score");
    chart_cost(o, arms, by_pass);
    rs_str_puts(o, "</div><div><h2>Latency</h2>");
    chart_latency(o, report, arms);
    rs_str_puts(o, "</div></div>");
    cases_table(o, report, arms);
    rs_str_puts(o, "<p class='meta'>Intervals: Wilson for pass rates, percentile bootstrap for "
                   "scores; tests two-sided at 0.05 with Holm's correction across arms. Made by "
                   "rosetta compare.</p></body></html>\n");
    return rs_str_report(o, err, "the HTML report");
}
