/*
 * runner/compare.c - the compare engine: plan the calls that are missing, run them through an
 * executor, score, and turn the grid of results into the report (see compare.h).
 *
 * Statistics (docs/compare.md explains them to users):
 *  - a cell is one call (arm, case, repeat). It is "scored" when the call succeeded and every
 *    scorer produced a value; failed calls and scoring errors are counted and shown but left out
 *    of means and tests: a provider outage is not evidence about a prompt.
 *  - a cell passes when every scorer passes; its score is the mean of the scorers' normalized
 *    values (scorers.h). Per arm: pass rate with a Wilson interval, mean score with a percentile
 *    bootstrap interval over cases.
 *  - against the baseline (arms[0]), on the cases both scored: exact McNemar on pass/fail when
 *    every scorer is binary and repeat is 1, else a sign-flip permutation test on the per-case
 *    mean score (exact up to 20 cases) with a paired bootstrap interval; the sign test is
 *    reported beside it. Live traffic (unpaired): a two-sample permutation test. Holm adjusts the
 * arms' p-values together. An arm "wins" only when its adjusted p < 0.05; otherwise the report
 * estimates how many cases would be needed to see the observed difference (stats.h has the
 * formulas).
 */
#include "runner/compare.h"

#include "runner/stats.h"
#include "util/alloc.h"
#include "util/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_ITERS 2000
#define DEFAULT_SEED 0x5EED5EEDULL
#define PERM_ITERS 10000 /* Monte Carlo permutations beyond 20 pairs (exact below) */

/* ---------- arms ---------- */

void rs_arm_free(rs_arm *a)
{
    if (!a)
        return;
    rs_free(a->name);
    rs_free(a->ref);
    rs_free(a->target);
    memset(a, 0, sizeof *a);
}

int rs_arm_make(rs_arm *out, const char *ref, const char *target, rs_error *err)
{
    memset(out, 0, sizeof *out);
    rs_str name = RS_STR_INIT;
    rs_str_appendf(&name, "%s@%s", ref, target);
    out->name = rs_str_detach(&name, NULL);
    out->ref = rs_strdup(ref);
    out->target = rs_strdup(target);
    rs_str_free(&name);
    if (!out->name || !out->ref || !out->target) {
        rs_arm_free(out);
        return rs_error_set(err, RS_ENOMEM, "out of memory");
    }
    return 0;
}

int rs_arm_parse(rs_arm *out, const char *spec, rs_error *err)
{
    memset(out, 0, sizeof *out);
    const char *at = rs_ref_target_split(spec);
    if (!at)
        return rs_error_set(err, RS_EINVAL,
                            "arm '%s' names no target: write REF@PROVIDER/MODEL "
                            "(e.g. support/triage@v3@openai/gpt-4o-mini)",
                            spec);
    char *ref = rs_strndup(spec, (size_t)(at - spec));
    if (!ref)
        return rs_error_set(err, RS_ENOMEM, "out of memory");
    int rc = rs_arm_make(out, ref, at + 1, err);
    rs_free(ref);
    return rc;
}

void rs_cmp_call_clear(rs_cmp_call *c)
{
    rs_free(c->output);
    rs_free(c->error);
    c->output = c->error = NULL;
    c->done = c->ok = c->cached = 0;
    c->run_id = 0;
}

void rs_cmp_record_clear(rs_cmp_record *r)
{
    rs_free(r->arm);
    rs_free(r->case_id);
    rs_free(r->output);
    rs_free(r->error);
    rs_free(r->input_json);
    cJSON_Delete(r->feedback);
    memset(r, 0, sizeof *r);
}

int rs_compare_new_id(char *buf, size_t size, rs_error *err)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    uint64_t h = rs_fnv1a64(RS_FNV64_OFFSET, &ts, sizeof ts);
    pid_t pid = getpid();
    h = rs_fnv1a64(h, &pid, sizeof pid);
    int n =
        snprintf(buf, size, "exp-%04d%02d%02d-%02d%02d%02d-%04x", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(h & 0xffff));
    if (n < 0 || (size_t)n >= size)
        return rs_error_set(err, RS_ELIMIT, "experiment id buffer too small");
    return 0;
}

/* ---------- the grid ---------- */

typedef struct cell {
    int have, ok, cached;
    char *output, *error;
    int cost_known;
    double cost, latency;
    long in_tok, out_tok;
    long long run_id;
    char *input_json;
    double *val; /* per scorer */
    int *pass;
    char **serr; /* per scorer: scoring error message or NULL */
    int *stored; /* per scorer: already in the store */
    int scored;  /* every scorer has a value */
    int cell_pass;
    double score;
    long case_idx; /* paired grids: the case; live: -1 */
} cell;

typedef struct grid {
    size_t n_arms, n_sc;
    const char **arm_names;
    const char **specs;        /* scorer specs (labels "score:SPEC") */
    const rs_scorer **scorers; /* NULL entries when re-reporting without scorer objects */
    int paired;
    size_t n_cases;
    int repeat;
    cell **cells;    /* per arm: array */
    size_t *n_cells; /* per arm */
} grid;

static void cell_free(cell *c, size_t n_sc)
{
    rs_free(c->output);
    rs_free(c->error);
    rs_free(c->input_json);
    if (c->serr)
        for (size_t i = 0; i < n_sc; i++)
            rs_free(c->serr[i]);
    rs_free(c->serr);
    rs_free(c->val);
    rs_free(c->pass);
    rs_free(c->stored);
}

static void grid_free(grid *g)
{
    for (size_t a = 0; a < g->n_arms && g->cells; a++) {
        for (size_t i = 0; g->cells[a] && i < g->n_cells[a]; i++)
            cell_free(&g->cells[a][i], g->n_sc);
        rs_free(g->cells[a]);
    }
    rs_free(g->cells);
    rs_free(g->n_cells);
}

static int cell_alloc_scores(cell *c, size_t n_sc)
{
    if (n_sc == 0)
        return 0;
    c->val = rs_calloc(n_sc, sizeof *c->val);
    c->pass = rs_calloc(n_sc, sizeof *c->pass);
    c->serr = rs_calloc(n_sc, sizeof *c->serr);
    c->stored = rs_calloc(n_sc, sizeof *c->stored);
    return c->val && c->pass && c->serr && c->stored ? 0 : RS_ENOMEM;
}

static int grid_alloc(grid *g, size_t per_arm)
{
    g->cells = rs_calloc(g->n_arms, sizeof *g->cells);
    g->n_cells = rs_calloc(g->n_arms, sizeof *g->n_cells);
    if (!g->cells || !g->n_cells)
        return RS_ENOMEM;
    for (size_t a = 0; a < g->n_arms && per_arm; a++) {
        g->cells[a] = rs_calloc(per_arm, sizeof *g->cells[a]);
        if (!g->cells[a])
            return RS_ENOMEM;
        g->n_cells[a] = per_arm;
        for (size_t i = 0; i < per_arm; i++) {
            g->cells[a][i].case_idx = g->repeat > 0 ? (long)(i / (size_t)g->repeat) : (long)i;
            if (cell_alloc_scores(&g->cells[a][i], g->n_sc))
                return RS_ENOMEM;
        }
    }
    return 0;
}

/* "ID" for repeat 1, "ID#k" (k from 1) otherwise: the case_id column of the run log. */
static char *unit_id(const char *case_id, int repeat, int k)
{
    rs_str s = RS_STR_INIT;
    if (repeat > 1)
        rs_str_appendf(&s, "%s#%d", case_id, k + 1);
    else
        rs_str_puts(&s, case_id);
    char *r = rs_str_detach(&s, NULL);
    rs_str_free(&s);
    return r;
}

/* Sorted case ids for lookups while loading the store. */
typedef struct idref {
    const char *id;
    size_t idx;
} idref;

static int cmp_idref(const void *a, const void *b)
{
    return strcmp(((const idref *)a)->id, ((const idref *)b)->id);
}

/* Map a logged case_id back to (case, repeat); -1 when it is not in this plan. */
static long find_unit(const idref *ids, size_t n, int repeat, const char *unit)
{
    char buf[1024];
    const char *id = unit;
    long k = 0;
    if (repeat > 1) {
        const char *hash = strrchr(unit, '#');
        if (!hash)
            return -1;
        char *end;
        k = strtol(hash + 1, &end, 10) - 1;
        if (*end || k < 0 || k >= repeat || (size_t)(hash - unit) >= sizeof buf)
            return -1;
        memcpy(buf, unit, (size_t)(hash - unit));
        buf[hash - unit] = '\0';
        id = buf;
    }
    idref key = {id, 0};
    const idref *hit = bsearch(&key, ids, n, sizeof *ids, cmp_idref);
    return hit ? (long)(hit->idx * (size_t)repeat + (size_t)k) : -1;
}

/* Move a record's call outcome into a cell (taking its strings). */
static void cell_take_record(cell *c, rs_cmp_record *r)
{
    c->have = 1;
    c->ok = r->ok;
    c->output = r->output;
    c->error = r->error;
    c->input_json = r->input_json;
    r->output = r->error = r->input_json = NULL;
    c->cost_known = r->cost_known;
    c->cost = r->cost_usd;
    c->latency = r->latency_ms;
    c->in_tok = r->input_tokens;
    c->out_tok = r->output_tokens;
    c->run_id = r->run_id;
}

/* Scores already recorded for a run: feedback labels "score:SPEC" / "score-error:SPEC: msg". */
static int cell_take_feedback(cell *c, const grid *g, const cJSON *fb)
{
    for (const cJSON *f = fb ? fb->child : NULL; f; f = f->next) {
        const char *label = rs_json_string(f, "label");
        const cJSON *sc = cJSON_GetObjectItemCaseSensitive(f, "score");
        if (!label)
            continue;
        for (size_t s = 0; s < g->n_sc; s++) {
            size_t sl = strlen(g->specs[s]);
            if (strncmp(label, "score:", 6) == 0 && strcmp(label + 6, g->specs[s]) == 0 &&
                cJSON_IsNumber(sc)) {
                c->val[s] = sc->valuedouble;
                c->stored[s] = 1;
            } else if (strncmp(label, "score-error:", 12) == 0 &&
                       strncmp(label + 12, g->specs[s], sl) == 0 && label[12 + sl] == ':') {
                rs_free(c->serr[s]);
                const char *m = label + 12 + sl + 1;
                while (*m == ' ')
                    m++;
                if (!(c->serr[s] = rs_strdup(m)))
                    return RS_ENOMEM;
                c->stored[s] = 1;
            }
        }
    }
    return 0;
}

/* Derive pass/score of a cell from its per-scorer values. */
static void cell_finish(cell *c, const grid *g)
{
    c->scored = c->have && c->ok && g->n_sc > 0;
    c->cell_pass = 1;
    double sum = 0;
    for (size_t s = 0; s < g->n_sc && c->scored; s++) {
        if (!c->stored[s] || c->serr[s]) {
            c->scored = 0;
            break;
        }
        const rs_scorer *sc = g->scorers ? g->scorers[s] : NULL;
        int p = sc ? rs_scorer_pass_of(sc, c->val[s]) : c->val[s] >= 0.5;
        c->pass[s] = p;
        c->cell_pass &= p;
        int bound = sc && (rs_scorer_kind_of(sc) == RS_SCORER_MAX_COST ||
                           rs_scorer_kind_of(sc) == RS_SCORER_MAX_LATENCY);
        sum += bound ? p : c->val[s];
    }
    c->score = c->scored ? sum / (double)g->n_sc : 0;
    if (!c->scored)
        c->cell_pass = 0;
}

/* ---------- JSON building with one sticky out-of-memory flag ---------- */

typedef struct jb {
    int oom;
} jb;

static cJSON *jadd(jb *b, cJSON *obj, const char *key, cJSON *v)
{
    if (!v || !obj) {
        b->oom = 1;
        cJSON_Delete(v);
        return NULL;
    }
    /* adding to an object copies the key: that allocation can fail too */
    if (!(key ? cJSON_AddItemToObject(obj, key, v) : cJSON_AddItemToArray(obj, v))) {
        b->oom = 1;
        cJSON_Delete(v);
        return NULL;
    }
    return v;
}

/* Numbers are rounded to 10 significant digits so reports are stable across libm versions. */
static cJSON *jnum(jb *b, cJSON *obj, const char *key, double v)
{
    if (!isfinite(v))
        return jadd(b, obj, key, cJSON_CreateNull());
    char buf[32];
    snprintf(buf, sizeof buf, "%.10g", v);
    double r = strtod(buf, NULL);
    return jadd(b, obj, key, cJSON_CreateNumber(r));
}

static cJSON *jstr(jb *b, cJSON *obj, const char *key, const char *s)
{
    return jadd(b, obj, key, s ? cJSON_CreateString(s) : cJSON_CreateNull());
}

static cJSON *jbool(jb *b, cJSON *obj, const char *key, int v)
{
    return jadd(b, obj, key, cJSON_CreateBool(v));
}

static cJSON *jpair(jb *b, cJSON *obj, const char *key, double lo, double hi)
{
    cJSON *a = jadd(b, obj, key, cJSON_CreateArray());
    jnum(b, a, NULL, lo);
    jnum(b, a, NULL, hi);
    return a;
}

/* ---------- statistics over the grid ---------- */

typedef struct arm_sum {
    long trials, done, errors, score_errors, scored, passed;
    double pass_lo, pass_hi;
    double score_mean, score_lo, score_hi;
    double cost_total;
    long cost_known;
    double lat_p50, lat_p95;
    long long in_tok, out_tok;
    double *case_score; /* paired: per case mean score (NAN when none); live: per scored run */
    double *case_pass;  /* paired: per case pass fraction */
    size_t n_case_vals;
} arm_sum;

/* Summaries of arm a. Paired grids keep per-case values (NAN for a case with nothing scored). */
static int summarize(arm_sum *s, const grid *g, size_t a, int iters, uint64_t seed)
{
    int rc = 0;
    double *lat = NULL, *vals = NULL;
    memset(s, 0, sizeof *s);
    size_t n = g->n_cells[a];
    s->trials = (long)n;
    lat = rs_malloc((n ? n : 1) * sizeof *lat);
    size_t nv = g->paired ? g->n_cases : n;
    s->case_score = rs_malloc((nv ? nv : 1) * sizeof *s->case_score);
    s->case_pass = rs_malloc((nv ? nv : 1) * sizeof *s->case_pass);
    vals = rs_malloc((nv ? nv : 1) * sizeof *vals);
    if (!lat || !s->case_score || !s->case_pass || !vals) {
        rc = RS_ENOMEM;
        goto done;
    }
    s->n_case_vals = nv;
    double *cnt = NULL;
    if (g->paired) {
        cnt = vals; /* reuse: per-case counts while summing */
        for (size_t i = 0; i < nv; i++)
            s->case_score[i] = s->case_pass[i] = cnt[i] = 0;
    }
    size_t nl = 0, ns = 0;
    for (size_t i = 0; i < n; i++) {
        const cell *c = &g->cells[a][i];
        if (!c->have)
            continue;
        s->done++;
        if (!c->ok)
            s->errors++;
        else if (!c->scored && g->n_sc > 0)
            s->score_errors++;
        if (c->cost_known) {
            s->cost_total += c->cost;
            s->cost_known++;
        }
        if (c->ok && c->latency >= 0)
            lat[nl++] = c->latency;
        if (c->in_tok > 0)
            s->in_tok += c->in_tok;
        if (c->out_tok > 0)
            s->out_tok += c->out_tok;
        if (!c->scored)
            continue;
        s->scored++;
        s->passed += c->cell_pass;
        if (g->paired) {
            s->case_score[c->case_idx] += c->score;
            s->case_pass[c->case_idx] += c->cell_pass;
            cnt[c->case_idx] += 1;
        } else {
            s->case_score[ns] = c->score;
            s->case_pass[ns] = c->cell_pass;
            ns++;
        }
    }
    /* the per-case means, and a compact copy of the defined ones for the interval */
    size_t nd = 0;
    if (g->paired) {
        for (size_t i = 0; i < nv; i++) {
            if (cnt[i] > 0) {
                s->case_score[i] /= cnt[i];
                s->case_pass[i] /= cnt[i];
            } else {
                s->case_score[i] = s->case_pass[i] = NAN;
            }
        }
        for (size_t i = 0; i < nv; i++)
            if (!isnan(s->case_score[i]))
                vals[nd++] = s->case_score[i];
    } else {
        s->n_case_vals = ns;
        for (size_t i = 0; i < ns; i++)
            vals[nd++] = s->case_score[i];
    }
    rs_stats_wilson(&s->pass_lo, &s->pass_hi, s->passed, s->scored, RS_STATS_Z95);
    s->score_mean = rs_stats_mean(vals, nd);
    if ((rc = rs_stats_bootstrap_mean(&s->score_lo, &s->score_hi, vals, nd, iters, RS_STATS_ALPHA,
                                      seed + a)) != 0)
        goto done;
    int ok = 1;
    s->lat_p50 = nl ? rs_stats_percentile(lat, nl, 0.5, &ok) : NAN;
    if (!ok) {
        rc = RS_ENOMEM;
        goto done;
    }
    s->lat_p95 = nl ? rs_stats_percentile(lat, nl, 0.95, &ok) : NAN;
    if (!ok)
        rc = RS_ENOMEM;
done:
    rs_free(lat);
    rs_free(vals);
    return rc;
}

static void arm_sum_free(arm_sum *s)
{
    rs_free(s->case_score);
    rs_free(s->case_pass);
}

typedef struct versus {
    long n_pairs, b, c; /* b: baseline passed, arm failed; c: the reverse */
    double diff, lo, hi, p, p_sign, p_holm;
    const char *test;
    long needed; /* total cases for 80% power, -1 none */
} versus;

static int compare_to_baseline(versus *v, const grid *g, const arm_sum *base, const arm_sum *arm,
                               int binary_primary, int iters, uint64_t seed)
{
    int rc = 0;
    double *d = NULL;
    memset(v, 0, sizeof *v);
    v->needed = -1;
    if (g->paired) {
        size_t n = base->n_case_vals;
        /* (after the tests below) exact paired tests cannot reach p < 0.05 below 6 pairs */
        d = rs_malloc((n ? n : 1) * sizeof *d);
        if (!d)
            return RS_ENOMEM;
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (isnan(base->case_score[i]) || isnan(arm->case_score[i]))
                continue;
            d[k++] = binary_primary ? arm->case_pass[i] - base->case_pass[i]
                                    : arm->case_score[i] - base->case_score[i];
            if (binary_primary) {
                v->b += base->case_pass[i] > 0.5 && arm->case_pass[i] < 0.5;
                v->c += base->case_pass[i] < 0.5 && arm->case_pass[i] > 0.5;
            }
        }
        v->n_pairs = (long)k;
        v->diff = rs_stats_mean(d, k);
        v->p_sign = rs_stats_sign_test(d, k, NULL, NULL);
        double blo, bhi, bp;
        if ((rc = rs_stats_paired_bootstrap(&blo, &bhi, &bp, d, k, iters, RS_STATS_ALPHA, seed)))
            goto done;
        v->lo = blo;
        v->hi = bhi;
        if (binary_primary) {
            v->test = "mcnemar-exact";
            v->p = rs_stats_mcnemar_exact(v->b, v->c);
            long need = rs_stats_cases_needed_paired_prop(v->b, v->c, (long)k);
            v->needed = need;
        } else {
            /* the p-value by sign-flip permutation (exact up to 20 cases): a bootstrap p-value
             * is anti-conservative with few cases; bp stays unused */
            (void)bp;
            v->test = "paired-permutation";
            v->p = rs_stats_paired_permutation(d, k, PERM_ITERS, seed);
            v->needed = rs_stats_cases_needed_paired_mean(v->diff, rs_stats_sd(d, k));
        }
        if (v->needed > 0 && v->needed < 6)
            v->needed = 6; /* 2 / 2^5 > 0.05: no exact paired test is significant below 6 */
    } else {
        v->test = "permutation (unpaired)";
        size_t nx = base->n_case_vals, ny = arm->n_case_vals;
        const double *x = binary_primary ? base->case_pass : base->case_score;
        const double *y = binary_primary ? arm->case_pass : arm->case_score;
        v->n_pairs = (long)(nx < ny ? nx : ny);
        v->diff = rs_stats_mean(y, ny) - rs_stats_mean(x, nx);
        v->p_sign = NAN;
        double bp;
        if ((rc = rs_stats_unpaired_bootstrap(&v->lo, &v->hi, &bp, x, nx, y, ny, iters,
                                              RS_STATS_ALPHA, seed)) ||
            (rc = rs_stats_unpaired_permutation(&v->p, x, nx, y, ny, PERM_ITERS, seed)))
            goto done;
        long per = rs_stats_cases_needed_unpaired(v->diff, rs_stats_sd(x, nx), rs_stats_sd(y, ny));
        v->needed = per;
    }
done:
    rs_free(d);
    return rc;
}

/* ---------- the report ---------- */

static int build_report(cJSON **out, const grid *g, const char *experiment, const cJSON *meta,
                        int iters, uint64_t seed, const rs_dataset *ds, rs_error *err)
{
    int rc = 0;
    jb b = {0};
    arm_sum *sums = NULL;
    versus *vs = NULL;
    double *praw = NULL;
    cJSON *r = cJSON_CreateObject();
    *out = NULL;
    sums = rs_calloc(g->n_arms, sizeof *sums);
    vs = rs_calloc(g->n_arms, sizeof *vs);
    praw = rs_calloc(g->n_arms, sizeof *praw);
    if (!r || !sums || !vs || !praw) {
        rc = RS_ENOMEM;
        goto done;
    }
    int all_binary = g->repeat <= 1;
    for (size_t s = 0; s < g->n_sc; s++)
        if (!g->scorers || !g->scorers[s] || !rs_scorer_is_binary(g->scorers[s]))
            all_binary = 0;
    if (!g->scorers && g->n_sc == 0)
        all_binary = 0;
    for (size_t a = 0; a < g->n_arms; a++)
        if ((rc = summarize(&sums[a], g, a, iters, seed)) != 0)
            goto done;
    for (size_t a = 1; a < g->n_arms; a++) {
        if ((rc = compare_to_baseline(&vs[a], g, &sums[0], &sums[a], all_binary, iters,
                                      seed + 1000 + a)) != 0)
            goto done;
        praw[a - 1] = vs[a].p;
    }
    if (g->n_arms > 1) {
        if ((rc = rs_stats_holm(praw, praw, g->n_arms - 1)) != 0)
            goto done;
        for (size_t a = 1; a < g->n_arms; a++)
            vs[a].p_holm = praw[a - 1];
    }

    jstr(&b, r, "experiment", experiment);
    jstr(&b, r, "design", g->paired ? "paired" : "unpaired");
    jstr(&b, r, "primary", all_binary ? "pass" : "score");
    jnum(&b, r, "alpha", RS_STATS_ALPHA);
    jnum(&b, r, "confidence", 0.95);
    jnum(&b, r, "bootstrap_iterations", iters);
    jnum(&b, r, "seed", (double)seed);
    jnum(&b, r, "repeat", g->repeat > 0 ? g->repeat : 1);
    if (g->paired)
        jnum(&b, r, "cases", (double)g->n_cases);
    const cJSON *mds = meta ? cJSON_GetObjectItemCaseSensitive(meta, "dataset") : NULL;
    if (mds)
        jadd(&b, r, "dataset", cJSON_Duplicate(mds, 1));
    cJSON *scs = jadd(&b, r, "scorers", cJSON_CreateArray());
    for (size_t s = 0; s < g->n_sc; s++)
        jstr(&b, scs, NULL, g->specs[s]);

    cJSON *arms = jadd(&b, r, "arms", cJSON_CreateArray());
    const char *winner = NULL;
    double best = -INFINITY;
    int any_better = 0, all_worse = g->n_arms > 1;
    for (size_t a = 0; a < g->n_arms; a++) {
        const arm_sum *s = &sums[a];
        cJSON *o = jadd(&b, arms, NULL, cJSON_CreateObject());
        jstr(&b, o, "name", g->arm_names[a]);
        const cJSON *marm = NULL;
        if (meta) {
            const cJSON *ma = cJSON_GetObjectItemCaseSensitive(meta, "arms");
            marm = cJSON_GetArrayItem(ma, (int)a);
        }
        jstr(&b, o, "ref", marm ? rs_json_string(marm, "ref") : NULL);
        jstr(&b, o, "target", marm ? rs_json_string(marm, "target") : NULL);
        jbool(&b, o, "baseline", a == 0);
        jnum(&b, o, "calls", (double)s->trials);
        jnum(&b, o, "done", (double)s->done);
        jnum(&b, o, "errors", (double)s->errors);
        jnum(&b, o, "score_errors", (double)s->score_errors);
        jnum(&b, o, "scored", (double)s->scored);
        cJSON *pass = jadd(&b, o, "pass", cJSON_CreateObject());
        jnum(&b, pass, "k", (double)s->passed);
        jnum(&b, pass, "n", (double)s->scored);
        jnum(&b, pass, "rate", s->scored ? (double)s->passed / (double)s->scored : NAN);
        jpair(&b, pass, "ci", s->pass_lo, s->pass_hi);
        jstr(&b, pass, "method", "wilson");
        cJSON *score = jadd(&b, o, "score", cJSON_CreateObject());
        jnum(&b, score, "mean", s->scored ? s->score_mean : NAN);
        jpair(&b, score, "ci", s->score_lo, s->score_hi);
        jstr(&b, score, "method", "bootstrap-percentile");
        cJSON *per = jadd(&b, o, "scorers", cJSON_CreateArray());
        for (size_t k = 0; k < g->n_sc; k++) {
            long np = 0, nn = 0, ne = 0;
            double sum = 0;
            for (size_t i = 0; i < g->n_cells[a]; i++) {
                const cell *c = &g->cells[a][i];
                if (!c->have || !c->ok)
                    continue;
                if (c->serr[k] || !c->stored[k]) {
                    ne++;
                    continue;
                }
                nn++;
                np += c->pass[k];
                sum += c->val[k];
            }
            cJSON *so = jadd(&b, per, NULL, cJSON_CreateObject());
            jstr(&b, so, "scorer", g->specs[k]);
            jnum(&b, so, "pass_rate", nn ? (double)np / (double)nn : NAN);
            jnum(&b, so, "mean", nn ? sum / (double)nn : NAN);
            jnum(&b, so, "n", (double)nn);
            jnum(&b, so, "errors", (double)ne);
        }
        cJSON *cost = jadd(&b, o, "cost_usd", cJSON_CreateObject());
        jnum(&b, cost, "total", s->cost_known ? s->cost_total : NAN);
        jnum(&b, cost, "per_call", s->cost_known ? s->cost_total / (double)s->cost_known : NAN);
        jnum(&b, cost, "known", (double)s->cost_known);
        cJSON *lat = jadd(&b, o, "latency_ms", cJSON_CreateObject());
        jnum(&b, lat, "p50", s->lat_p50);
        jnum(&b, lat, "p95", s->lat_p95);
        cJSON *tok = jadd(&b, o, "tokens", cJSON_CreateObject());
        jnum(&b, tok, "input", (double)s->in_tok);
        jnum(&b, tok, "output", (double)s->out_tok);
        if (a == 0)
            continue;
        const versus *v = &vs[a];
        int sig = v->n_pairs > 0 && v->p_holm < RS_STATS_ALPHA;
        const char *verdict = !sig          ? "no significant difference"
                              : v->diff > 0 ? "better"
                              : v->diff < 0 ? "worse"
                                            : "no difference";
        cJSON *vb = jadd(&b, o, "vs_baseline", cJSON_CreateObject());
        jnum(&b, vb, "pairs", (double)v->n_pairs);
        jstr(&b, vb, "metric", all_binary ? "pass rate" : "mean score");
        jnum(&b, vb, "diff", v->diff);
        jpair(&b, vb, "ci", v->lo, v->hi);
        jstr(&b, vb, "test", v->test);
        jnum(&b, vb, "p", v->p);
        jnum(&b, vb, "p_holm", v->p_holm);
        jnum(&b, vb, "p_sign_test", v->p_sign);
        if (all_binary && g->paired) {
            cJSON *dis = jadd(&b, vb, "discordant", cJSON_CreateObject());
            jnum(&b, dis, "baseline_only", (double)v->b);
            jnum(&b, dis, "arm_only", (double)v->c);
        }
        jbool(&b, vb, "significant", sig);
        jstr(&b, vb, "verdict", verdict);
        long have = v->n_pairs;
        if (!sig) {
            if (v->needed > 0) {
                long need = v->needed;
                jnum(&b, vb, g->paired ? "cases_needed" : "cases_needed_per_arm", (double)need);
                if (need > have)
                    jnum(&b, vb, "more_cases_needed", (double)(need - have));
                else /* the normal approximation says enough: the difference is not stable */
                    jadd(&b, vb, "more_cases_needed", cJSON_CreateNull());
            } else {
                jadd(&b, vb, g->paired ? "cases_needed" : "cases_needed_per_arm",
                     cJSON_CreateNull());
            }
        }
        double m =
            all_binary ? (s->scored ? (double)s->passed / (double)s->scored : 0) : s->score_mean;
        if (sig && v->diff > 0) {
            any_better = 1;
            if (m > best) {
                best = m;
                winner = g->arm_names[a];
            }
        }
        if (!(sig && v->diff < 0))
            all_worse = 0;
    }
    if (!any_better && all_worse)
        winner = g->arm_names[0];
    jstr(&b, r, "winner", winner);

    /* one sentence for humans */
    rs_str sum = RS_STR_INIT;
    if (winner && any_better)
        rs_str_appendf(&sum, "%s is significantly better than the baseline (Holm-adjusted p < %g).",
                       winner, RS_STATS_ALPHA);
    else if (winner)
        rs_str_appendf(&sum, "The baseline %s is significantly better than every other arm.",
                       winner);
    else if (g->n_arms < 2)
        rs_str_puts(&sum, "One arm: nothing to compare.");
    else {
        long more = -1, have = 0;
        for (size_t a = 1; a < g->n_arms; a++) {
            if (vs[a].needed > 0 && vs[a].needed > more) {
                more = vs[a].needed;
                have = vs[a].n_pairs;
            }
        }
        rs_str_puts(&sum, "No significant difference between the arms");
        if (more > have)
            rs_str_appendf(&sum,
                           "; about %ld %s would be needed to detect the observed "
                           "difference at 80%% power.",
                           more, g->paired ? "cases" : "runs per arm");
        else if (more > 0)
            rs_str_puts(&sum, "; the observed difference is not stable across cases: more "
                              "cases would tell.");
        else
            rs_str_puts(&sum, " (the observed difference is zero).");
    }
    if (rs_str_error(&sum))
        b.oom = 1;
    else
        jstr(&b, r, "summary", rs_str_cstr(&sum));
    rs_str_free(&sum);

    /* per-case results (paired grids only) */
    if (g->paired && ds) {
        cJSON *cases = jadd(&b, r, "results", cJSON_CreateArray());
        int rep = g->repeat > 0 ? g->repeat : 1;
        for (size_t ci = 0; ci < g->n_cases && !b.oom; ci++) {
            for (int k = 0; k < rep; k++) {
                cJSON *co = jadd(&b, cases, NULL, cJSON_CreateObject());
                jstr(&b, co, "case", ds->cases[ci].id);
                if (rep > 1)
                    jnum(&b, co, "repeat", k + 1);
                jadd(&b, co, "vars", cJSON_Duplicate(ds->cases[ci].vars, 1));
                if (ds->cases[ci].expected)
                    jadd(&b, co, "expected", cJSON_Duplicate(ds->cases[ci].expected, 1));
                cJSON *arr = jadd(&b, co, "arms", cJSON_CreateArray());
                for (size_t a = 0; a < g->n_arms; a++) {
                    const cell *c = &g->cells[a][ci * (size_t)rep + (size_t)k];
                    cJSON *ao = jadd(&b, arr, NULL, cJSON_CreateObject());
                    jstr(&b, ao, "status", !c->have ? "missing" : c->ok ? "ok" : "error");
                    if (c->have && c->ok)
                        jstr(&b, ao, "output", c->output ? c->output : "");
                    if (c->have && !c->ok)
                        jstr(&b, ao, "error", c->error ? c->error : "");
                    if (c->run_id)
                        jnum(&b, ao, "run_id", (double)c->run_id);
                    jnum(&b, ao, "latency_ms", c->have ? c->latency : NAN);
                    jnum(&b, ao, "cost_usd", c->cost_known ? c->cost : NAN);
                    if (c->cached)
                        jbool(&b, ao, "cached", 1);
                    if (c->scored) {
                        jbool(&b, ao, "pass", c->cell_pass);
                        jnum(&b, ao, "score", c->score);
                    }
                    cJSON *sa = jadd(&b, ao, "scores", cJSON_CreateArray());
                    for (size_t s = 0; s < g->n_sc && c->have && c->ok; s++) {
                        cJSON *so = jadd(&b, sa, NULL, cJSON_CreateObject());
                        if (c->serr[s]) {
                            jstr(&b, so, "error", c->serr[s]);
                        } else if (c->stored[s]) {
                            jnum(&b, so, "value", c->val[s]);
                            jbool(&b, so, "pass", c->pass[s]);
                        }
                    }
                }
            }
        }
    }
    if (b.oom) {
        rc = RS_ENOMEM;
        goto done;
    }
    *out = r;
    r = NULL;
done:
    if (rc == RS_ENOMEM)
        rs_error_set(err, RS_ENOMEM, "out of memory building the report");
    for (size_t a = 0; sums && a < g->n_arms; a++)
        arm_sum_free(&sums[a]);
    rs_free(sums);
    rs_free(vs);
    rs_free(praw);
    cJSON_Delete(r);
    return rc;
}

/* ---------- running ---------- */

cJSON *rs_compare_plan_json(const rs_compare_plan *plan)
{
    jb b = {0};
    cJSON *o = cJSON_CreateObject();
    jstr(&b, o, "experiment", plan->experiment);
    cJSON *arms = jadd(&b, o, "arms", cJSON_CreateArray());
    for (size_t a = 0; a < plan->n_arms; a++) {
        cJSON *ao = jadd(&b, arms, NULL, cJSON_CreateObject());
        jstr(&b, ao, "name", plan->arms[a].name);
        jstr(&b, ao, "ref", plan->arms[a].ref);
        jstr(&b, ao, "target", plan->arms[a].target);
    }
    if (plan->dataset) {
        cJSON *d = jadd(&b, o, "dataset", cJSON_CreateObject());
        jstr(&b, d, "name", plan->dataset->name);
        jstr(&b, d, "path", plan->dataset->path);
        char hex[20];
        snprintf(hex, sizeof hex, "%016llx", (unsigned long long)plan->dataset->hash);
        jstr(&b, d, "fnv1a64", hex);
        jnum(&b, d, "cases", (double)plan->dataset->n);
    }
    cJSON *sc = jadd(&b, o, "scorers", cJSON_CreateArray());
    for (size_t s = 0; s < plan->n_scorers; s++)
        jstr(&b, sc, NULL, rs_scorer_spec(plan->scorers[s]));
    jnum(&b, o, "repeat", plan->repeat);
    jnum(&b, o, "seed", (double)(plan->seed ? plan->seed : DEFAULT_SEED));
    if (b.oom) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Load the store's records into the grid. Unknown arms/cases (another plan) are ignored. */
static int load_into_grid(grid *g, const rs_compare_plan *plan, const rs_cmp_store *store,
                          rs_error *err)
{
    int rc = 0;
    rs_cmp_record *recs = NULL;
    size_t nrec = 0;
    idref *ids = rs_malloc(plan->dataset->n * sizeof *ids);
    if (!ids)
        return rs_error_set(err, RS_ENOMEM, "out of memory");
    for (size_t i = 0; i < plan->dataset->n; i++) {
        ids[i].id = plan->dataset->cases[i].id;
        ids[i].idx = i;
    }
    qsort(ids, plan->dataset->n, sizeof *ids, cmp_idref);
    if (!store || !store->load)
        goto done;
    if ((rc = store->load(store->self, plan->experiment, &recs, &nrec, err)) != 0)
        goto done;
    for (size_t i = 0; i < nrec; i++) {
        rs_cmp_record *r = &recs[i];
        size_t a = 0;
        while (a < plan->n_arms && (!r->arm || strcmp(r->arm, plan->arms[a].name)))
            a++;
        if (a == plan->n_arms || !r->case_id)
            continue;
        long u = find_unit(ids, plan->dataset->n, g->repeat, r->case_id);
        if (u < 0 || g->cells[a][u].have)
            continue;
        cell *c = &g->cells[a][u];
        cell_take_record(c, r);
        if ((rc = cell_take_feedback(c, g, r->feedback)) != 0) {
            rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
    }
done:
    for (size_t i = 0; i < nrec; i++)
        rs_cmp_record_clear(&recs[i]);
    rs_free(recs);
    rs_free(ids);
    return rc;
}

/* Move a finished call into its cell. */
static void cell_take_call(cell *c, rs_cmp_call *k)
{
    c->have = 1;
    c->ok = k->ok;
    c->output = k->output;
    c->error = k->error;
    k->output = k->error = NULL;
    c->cost_known = k->cost_known;
    c->cost = k->cost_usd;
    c->latency = k->latency_ms;
    c->in_tok = k->input_tokens;
    c->out_tok = k->output_tokens;
    c->run_id = k->run_id;
    c->cached = k->cached;
}

typedef struct pending {
    size_t arm, unit, scorer;
} pending;

/* Run the calls for the cells that have none. Returns RS_EINTERRUPTED when cancelled. */
static int run_missing(grid *g, const rs_compare_plan *plan, const rs_cmp_executor *exec,
                       rs_error *err)
{
    int rc = 0;
    size_t per = plan->dataset->n * (size_t)g->repeat, n = 0;
    rs_cmp_call *calls = rs_calloc(per * plan->n_arms + 1, sizeof *calls);
    pending *where = rs_calloc(per * plan->n_arms + 1, sizeof *where);
    char **ids = rs_calloc(per * plan->n_arms + 1, sizeof *ids);
    char **salts = rs_calloc(per * plan->n_arms + 1, sizeof *salts);
    if (!calls || !where || !ids || !salts) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    /* Case-major order: every arm sees case 1 before any sees case 2, so an interrupted run
     * leaves comparable pairs behind. */
    for (size_t u = 0; u < per; u++) {
        for (size_t a = 0; a < plan->n_arms; a++) {
            if (g->cells[a][u].have)
                continue;
            const rs_case *cs = &plan->dataset->cases[u / (size_t)g->repeat];
            int k = (int)(u % (size_t)g->repeat);
            ids[n] = unit_id(cs->id, g->repeat, k);
            char salt[24];
            salt[0] = '\0';
            if (k)
                snprintf(salt, sizeof salt, "repeat-%d", k + 1);
            salts[n] = rs_strdup(salt);
            if (!ids[n] || !salts[n]) {
                rc = rs_error_set(err, RS_ENOMEM, "out of memory");
                n++;
                goto done;
            }
            rs_cmp_call *c = &calls[n];
            c->ref = plan->arms[a].ref;
            c->target = plan->arms[a].target;
            c->vars = cs->vars;
            c->experiment = plan->experiment;
            c->arm = plan->arms[a].name;
            c->case_id = ids[n];
            c->cache_salt = salts[n];
            where[n].arm = a;
            where[n].unit = u;
            n++;
        }
    }
    if (n > 0)
        rc = exec->run(exec->self, calls, n, plan->concurrency, plan->cancel, plan->progress,
                       plan->progress_ud, err);
    for (size_t i = 0; i < n; i++)
        if (calls[i].done)
            cell_take_call(&g->cells[where[i].arm][where[i].unit], &calls[i]);
done:
    for (size_t i = 0; calls && i < n; i++) {
        rs_cmp_call_clear(&calls[i]);
        rs_free(ids[i]);
        rs_free(salts[i]);
    }
    rs_free(calls);
    rs_free(where);
    rs_free(ids);
    rs_free(salts);
    return rc;
}

/* Judge scorers: one call per (cell, judge scorer) still without a stored score. */
static int run_judges(grid *g, const rs_compare_plan *plan, const rs_cmp_executor *exec,
                      char ***answers, rs_error *err)
{
    int rc = 0;
    size_t per = plan->dataset->n * (size_t)g->repeat, n = 0, cap = 0;
    rs_cmp_call *calls = NULL;
    pending *where = NULL;
    cJSON **vars = NULL;
    char **ids = NULL;
    rs_str jexp = RS_STR_INIT;
    for (size_t s = 0; s < g->n_sc; s++)
        if (rs_scorer_kind_of(plan->scorers[s]) == RS_SCORER_JUDGE)
            for (size_t a = 0; a < g->n_arms; a++)
                for (size_t u = 0; u < per; u++)
                    cap += g->cells[a][u].have && g->cells[a][u].ok && !g->cells[a][u].stored[s];
    if (cap == 0)
        return 0;
    rs_str_appendf(&jexp, "%s#judge", plan->experiment);
    calls = rs_calloc(cap, sizeof *calls);
    where = rs_calloc(cap, sizeof *where);
    vars = rs_calloc(cap, sizeof *vars);
    ids = rs_calloc(cap, sizeof *ids);
    if (!calls || !where || !vars || !ids || rs_str_error(&jexp)) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t s = 0; s < g->n_sc; s++) {
        const rs_scorer *sc = plan->scorers[s];
        if (rs_scorer_kind_of(sc) != RS_SCORER_JUDGE)
            continue;
        for (size_t a = 0; a < g->n_arms; a++) {
            for (size_t u = 0; u < per; u++) {
                cell *c = &g->cells[a][u];
                if (!c->have || !c->ok || c->stored[s])
                    continue;
                const rs_case *cs = &plan->dataset->cases[u / (size_t)g->repeat];
                rs_str id = RS_STR_INIT;
                rs_str_appendf(&id, "%s|%s", cs->id, rs_scorer_spec(sc));
                if (g->repeat > 1)
                    rs_str_appendf(&id, "#%zu", u % (size_t)g->repeat + 1);
                ids[n] = rs_str_detach(&id, NULL);
                rs_str_free(&id);
                vars[n] = rs_scorer_judge_vars(cs->vars, c->output, cs->expected);
                if (!ids[n] || !vars[n]) {
                    n++;
                    rc = rs_error_set(err, RS_ENOMEM, "out of memory");
                    goto done;
                }
                calls[n].ref = rs_scorer_judge_rubric(sc);
                calls[n].target = rs_scorer_judge_target(sc);
                calls[n].vars = vars[n];
                calls[n].experiment = rs_str_cstr(&jexp);
                calls[n].arm = plan->arms[a].name;
                calls[n].case_id = ids[n];
                calls[n].cache_salt = "";
                where[n].arm = a;
                where[n].unit = u;
                where[n].scorer = s;
                n++;
            }
        }
    }
    rc = exec->run(exec->self, calls, n, plan->concurrency, plan->cancel, plan->progress,
                   plan->progress_ud, err);
    for (size_t i = 0; i < n; i++) {
        if (!calls[i].done)
            continue;
        cell *c = &g->cells[where[i].arm][where[i].unit];
        size_t s = where[i].scorer;
        if (!calls[i].ok) {
            /* the judge call failed: a scoring error, never a zero */
            rs_str m = RS_STR_INIT;
            rs_str_appendf(&m, "judge call failed: %s", calls[i].error ? calls[i].error : "");
            rs_free(c->serr[s]);
            c->serr[s] = rs_str_detach(&m, NULL);
            rs_str_free(&m);
        } else {
            answers[where[i].arm][where[i].unit * g->n_sc + s] = calls[i].output;
            calls[i].output = NULL;
        }
    }
done:
    for (size_t i = 0; i < n; i++) {
        rs_cmp_call_clear(&calls[i]);
        rs_free(ids[i]);
        cJSON_Delete(vars[i]);
    }
    rs_free(calls);
    rs_free(where);
    rs_free(vars);
    rs_free(ids);
    rs_str_free(&jexp);
    return rc;
}

/* Score the cells whose scores are not stored yet and store them. */
static int score_cells(grid *g, const rs_compare_plan *plan, const rs_cmp_store *store,
                       char ***answers, rs_error *err)
{
    int rc = 0;
    size_t per = plan->dataset->n * (size_t)g->repeat;
    for (size_t a = 0; a < g->n_arms; a++) {
        for (size_t u = 0; u < per; u++) {
            cell *c = &g->cells[a][u];
            if (!c->have || !c->ok)
                continue;
            const rs_case *cs = &plan->dataset->cases[u / (size_t)g->repeat];
            for (size_t s = 0; s < g->n_sc; s++) {
                int judge = rs_scorer_kind_of(plan->scorers[s]) == RS_SCORER_JUDGE;
                const char *answer = answers[a][u * g->n_sc + s];
                if (judge && !answer && !c->serr[s] && !c->stored[s])
                    continue; /* the judge was not asked (interrupted): ask on resume */
                if (c->stored[s] || (judge && c->serr[s] && !answer))
                    goto store_it;
                rs_score_input in = {c->output, cs->expected, c->cost_known,
                                     c->cost,   c->latency,   answer};
                rs_score sc;
                rs_error serr = RS_ERROR_INIT;
                int src = rs_scorer_score(&sc, plan->scorers[s], &in, &serr);
                if (src == RS_ENOMEM) {
                    rc = rs_error_set(err, RS_ENOMEM, "out of memory scoring");
                    goto done;
                }
                if (src) {
                    rs_free(c->serr[s]);
                    if (!(c->serr[s] = rs_strdup(serr.message))) {
                        rc = rs_error_set(err, RS_ENOMEM, "out of memory scoring");
                        goto done;
                    }
                } else {
                    c->val[s] = sc.value;
                }
            store_it:
                if (c->stored[s])
                    continue;
                c->stored[s] = 1;
                if (!store || !store->save_score || !c->run_id)
                    continue;
                rs_str label = RS_STR_INIT;
                if (c->serr[s])
                    rs_str_appendf(&label, "score-error:%s: %s", g->specs[s], c->serr[s]);
                else
                    rs_str_appendf(&label, "score:%s", g->specs[s]);
                if ((rc = rs_str_report(&label, err, "a score label")) == 0)
                    rc = store->save_score(store->self, c->run_id, rs_str_cstr(&label),
                                           c->serr[s] ? 0 : c->val[s], err);
                rs_str_free(&label);
                if (rc)
                    goto done;
            }
        }
    }
done:
    return rc;
}

int rs_compare_run(cJSON **report, const rs_compare_plan *plan, const rs_cmp_executor *exec,
                   const rs_cmp_store *store, rs_error *err)
{
    int rc = 0;
    grid g;
    char ***answers = NULL;
    const char **names = NULL, **specs = NULL;
    memset(&g, 0, sizeof g);
    *report = NULL;
    if (!plan->experiment || plan->n_arms == 0 || !plan->dataset || plan->n_scorers == 0 ||
        plan->repeat < 1 || plan->concurrency < 1)
        return rs_error_set(err, RS_EINVAL,
                            "a compare needs an experiment id, arms, a dataset, a scorer, "
                            "repeat >= 1 and concurrency >= 1");
    for (size_t a = 0; a < plan->n_arms; a++)
        for (size_t b = a + 1; b < plan->n_arms; b++)
            if (strcmp(plan->arms[a].name, plan->arms[b].name) == 0)
                return rs_error_set(err, RS_EINVAL, "arm '%s' is given twice", plan->arms[a].name);
    names = rs_calloc(plan->n_arms, sizeof *names);
    specs = rs_calloc(plan->n_scorers, sizeof *specs);
    if (!names || !specs) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t a = 0; a < plan->n_arms; a++)
        names[a] = plan->arms[a].name;
    for (size_t s = 0; s < plan->n_scorers; s++)
        specs[s] = rs_scorer_spec(plan->scorers[s]);
    g.n_arms = plan->n_arms;
    g.n_sc = plan->n_scorers;
    g.arm_names = names;
    g.specs = specs;
    g.scorers = (const rs_scorer **)plan->scorers;
    g.paired = 1;
    g.n_cases = plan->dataset->n;
    g.repeat = plan->repeat;
    size_t per = plan->dataset->n * (size_t)plan->repeat;
    if (grid_alloc(&g, per)) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = load_into_grid(&g, plan, store, err)) != 0)
        goto done;
    if ((rc = run_missing(&g, plan, exec, err)) != 0)
        goto done;
    answers = rs_calloc(g.n_arms, sizeof *answers);
    if (!answers) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t a = 0; a < g.n_arms; a++)
        if (!(answers[a] = rs_calloc(per * g.n_sc + 1, sizeof **answers))) {
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
    rc = run_judges(&g, plan, exec, answers, err);
    if (rc != 0 && rc != RS_EINTERRUPTED)
        goto done;
    /* Interrupted while judging: store the scores there are, so resume asks no judge twice. */
    int jrc = rc;
    rs_error serr = RS_ERROR_INIT;
    if ((rc = score_cells(&g, plan, store, answers, jrc ? &serr : err)) != 0) {
        if (jrc)
            rc = jrc;
        goto done;
    }
    if ((rc = jrc) != 0)
        goto done;
    for (size_t a = 0; a < g.n_arms; a++)
        for (size_t u = 0; u < per; u++)
            cell_finish(&g.cells[a][u], &g);
    cJSON *meta = rs_compare_plan_json(plan);
    if (!meta) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    rc = build_report(report, &g, plan->experiment, meta,
                      plan->bootstrap_iters > 0 ? plan->bootstrap_iters : DEFAULT_ITERS,
                      plan->seed ? plan->seed : DEFAULT_SEED, plan->dataset, err);
    cJSON_Delete(meta);
done:
    for (size_t a = 0; answers && a < g.n_arms; a++) {
        for (size_t i = 0; answers[a] && i < per * g.n_sc; i++)
            rs_free(answers[a][i]);
        rs_free(answers[a]);
    }
    rs_free(answers);
    grid_free(&g);
    rs_free(names);
    rs_free(specs);
    return rc;
}

/* ---------- re-reporting from the store ---------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int rs_compare_report_from_store(cJSON **report, const char *experiment, const cJSON *meta,
                                 const rs_cmp_store *store, rs_error *err)
{
    int rc = 0;
    rs_cmp_record *recs = NULL;
    size_t nrec = 0, n_arms = 0, n_sc = 0;
    const char **names = NULL, **specs = NULL;
    rs_scorer **scorers = NULL;
    grid g;
    memset(&g, 0, sizeof g);
    *report = NULL;
    if ((rc = store->load(store->self, experiment, &recs, &nrec, err)) != 0)
        return rc;
    if (nrec == 0) {
        rc = rs_error_set(err, RS_ENOTFOUND, "no runs recorded for experiment '%s'", experiment);
        goto done;
    }
    names = rs_calloc(nrec, sizeof *names);
    specs = rs_calloc(nrec + 16, sizeof *specs);
    scorers = rs_calloc(nrec + 16, sizeof *scorers);
    if (!names || !specs || !scorers) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    const cJSON *marms = meta ? cJSON_GetObjectItemCaseSensitive(meta, "arms") : NULL;
    const cJSON *mscs = meta ? cJSON_GetObjectItemCaseSensitive(meta, "scorers") : NULL;
    if (cJSON_IsArray(marms)) {
        for (const cJSON *a = marms->child; a && n_arms < nrec; a = a->next)
            if (rs_json_string(a, "name"))
                names[n_arms++] = rs_json_string(a, "name");
    } else {
        for (size_t i = 0; i < nrec; i++) {
            int seen = 0;
            for (size_t a = 0; a < n_arms && !seen; a++)
                seen = recs[i].arm && strcmp(names[a], recs[i].arm) == 0;
            if (!seen && recs[i].arm)
                names[n_arms++] = recs[i].arm;
        }
        qsort(names, n_arms, sizeof *names, cmp_str);
    }
    if (cJSON_IsArray(mscs)) {
        for (const cJSON *s = mscs->child; s && n_sc < nrec + 16; s = s->next) {
            if (!cJSON_IsString(s))
                continue;
            rs_error perr = RS_ERROR_INIT;
            if (rs_scorer_parse(&scorers[n_sc], s->valuestring, &perr) == RS_ENOMEM) {
                rc = rs_error_set(err, RS_ENOMEM, "out of memory");
                goto done;
            }
            specs[n_sc++] = s->valuestring;
        }
    }
    if (n_arms == 0) {
        rc = rs_error_set(err, RS_ENOTFOUND, "experiment '%s' has no arms", experiment);
        goto done;
    }
    g.n_arms = n_arms;
    g.arm_names = names;
    g.n_sc = n_sc;
    g.specs = specs;
    g.scorers = (const rs_scorer **)scorers;
    const cJSON *mds = meta ? cJSON_GetObjectItemCaseSensitive(meta, "dataset") : NULL;
    g.paired = mds != NULL;
    g.repeat = 1;
    if (g.paired) {
        /* case ids in first-seen order of the baseline arm, then any others */
        const cJSON *rep = meta ? cJSON_GetObjectItemCaseSensitive(meta, "repeat") : NULL;
        g.repeat = cJSON_IsNumber(rep) && rep->valueint > 1 ? rep->valueint : 1;
    }
    g.cells = rs_calloc(n_arms, sizeof *g.cells);
    g.n_cells = rs_calloc(n_arms, sizeof *g.n_cells);
    if (!g.cells || !g.n_cells) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    /* Units: paired experiments share case ids across arms; give each distinct case id an index. */
    const char **units = rs_calloc(nrec, sizeof *units);
    if (!units) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    size_t n_units = 0;
    for (size_t a = 0; a < n_arms; a++) {
        g.cells[a] = rs_calloc(nrec, sizeof *g.cells[a]);
        if (!g.cells[a]) {
            rs_free(units);
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
    }
    for (size_t i = 0; i < nrec; i++) {
        rs_cmp_record *r = &recs[i];
        size_t a = 0;
        while (a < n_arms && (!r->arm || strcmp(r->arm, names[a])))
            a++;
        if (a == n_arms)
            continue;
        cell *c = &g.cells[a][g.n_cells[a]++];
        c->case_idx = -1;
        if (g.paired && r->case_id) {
            /* strip "#k" of repeats: the case is the unit */
            size_t l = strlen(r->case_id);
            const char *hash = g.repeat > 1 ? strrchr(r->case_id, '#') : NULL;
            if (hash)
                l = (size_t)(hash - r->case_id);
            size_t u = 0;
            while (u < n_units && (strlen(units[u]) != l || strncmp(units[u], r->case_id, l)))
                u++;
            if (u == n_units)
                units[n_units++] = r->case_id;
            c->case_idx = (long)u;
        }
        if (cell_alloc_scores(c, n_sc)) {
            rs_free(units);
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
        cell_take_record(c, r);
        if (n_sc) {
            if (cell_take_feedback(c, &g, r->feedback)) {
                rs_free(units);
                rc = rs_error_set(err, RS_ENOMEM, "out of memory");
                goto done;
            }
        } else if (cJSON_IsArray(r->feedback) && r->feedback->child) {
            /* live traffic: the mean of the run's feedback scores is its score */
            double s = 0;
            int k = 0;
            for (const cJSON *f = r->feedback->child; f; f = f->next) {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(f, "score");
                if (cJSON_IsNumber(v)) {
                    s += v->valuedouble;
                    k++;
                }
            }
            if (k && c->ok) {
                c->scored = 1;
                c->score = s / k;
                c->cell_pass = c->score >= 0.5;
            }
        }
    }
    rs_free(units);
    g.n_cases = n_units;
    for (size_t a = 0; a < n_arms; a++)
        for (size_t i = 0; i < g.n_cells[a] && n_sc; i++)
            cell_finish(&g.cells[a][i], &g);
    const cJSON *seed = meta ? cJSON_GetObjectItemCaseSensitive(meta, "seed") : NULL;
    rc = build_report(report, &g, experiment, meta, DEFAULT_ITERS,
                      cJSON_IsNumber(seed) ? (uint64_t)seed->valuedouble : DEFAULT_SEED, NULL, err);
done:
    grid_free(&g);
    for (size_t i = 0; i < nrec; i++)
        rs_cmp_record_clear(&recs[i]);
    rs_free(recs);
    for (size_t s = 0; scorers && s < n_sc; s++)
        rs_scorer_free(scorers[s]);
    rs_free(scorers);
    rs_free(names);
    rs_free(specs);
    return rc;
}
