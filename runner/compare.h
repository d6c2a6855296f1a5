/*
 * runner/compare.h - A/B comparison: arms x dataset cases x repeats, scored, with statistics.
 *
 * The engine is independent of how calls are made and where they are recorded: an executor runs
 * batches of calls concurrently (the runner's transport in `rosetta compare`, an in-process fake
 * in the tests) and logs each completed call; a store reads an experiment's past calls back and
 * records scores (the run log in `rosetta compare`). That is what makes resuming exact: a call
 * is either in the log, complete, or it is run again, and nothing else counts.
 *
 * The result is one JSON report (the `--json` output; docs/compare.md lists every field) that the
 * table and HTML renderers take, so `compare` and `stats --experiment` print the same figures.
 */
#ifndef RS_RUNNER_COMPARE_H
#define RS_RUNNER_COMPARE_H

#include "runner/dataset.h"
#include "runner/scorers.h"
#include "util/error.h"
#include "util/str.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

/* ---------- arms ---------- */

typedef struct rs_arm {
    char *name;   /* "REF@PROVIDER/MODEL" as shown in reports */
    char *ref;    /* prompt reference ("support/triage@v3") */
    char *target; /* "provider/model" */
} rs_arm;

/* Split "REF@PROVIDER/MODEL" (rs_ref_target_split). RS_EINVAL when there is no target. */
int rs_arm_parse(rs_arm *out, const char *spec, rs_error *err);
int rs_arm_make(rs_arm *out, const char *ref, const char *target, rs_error *err);
void rs_arm_free(rs_arm *a);

/* ---------- calls (what the executor runs) ---------- */

typedef struct rs_cmp_call {
    /* inputs, borrowed for the duration of the batch */
    const char *ref, *target;
    const cJSON *vars;                      /* the prompt's input */
    const char *experiment, *arm, *case_id; /* logged with the run */
    const char *cache_salt;                 /* mixed into the cache key ("" for repeat 1) */
    /* outputs, owned by the call (rs_cmp_call_clear) */
    int done; /* completed and logged; 0 = not run (interrupted) */
    int ok;
    char *output; /* answer text (NULL on error) */
    char *error;  /* message safe to show (NULL when ok) */
    int cost_known;
    double cost_usd, latency_ms;
    long input_tokens, output_tokens; /* -1 unknown */
    long long run_id;                 /* the run log id, 0 when not logged */
    int cached;                       /* answered from the cache */
} rs_cmp_call;

void rs_cmp_call_clear(rs_cmp_call *c);

typedef void (*rs_cmp_progress_fn)(void *ud, const rs_cmp_call *finished, size_t done,
                                   size_t total);

typedef struct rs_cmp_executor {
    /*
     * Run calls[0..n) with at most `concurrency` in flight, filling each call's outputs and
     * logging it before marking it done, calling progress after each. When *cancel turns
     * non-zero, start nothing new, finish (or abandon, leaving done = 0) what is in flight, and
     * return RS_EINTERRUPTED. A failed call is an outcome (ok = 0), not a failure of run().
     */
    int (*run)(void *self, rs_cmp_call *calls, size_t n, int concurrency,
               volatile sig_atomic_t *cancel, rs_cmp_progress_fn progress, void *pud,
               rs_error *err);
    void *self;
} rs_cmp_executor;

/* ---------- the store (an experiment's past, read back) ---------- */

typedef struct rs_cmp_record {
    char *arm, *case_id;
    int ok;
    char *output, *error;
    int cost_known;
    double cost_usd, latency_ms;
    long input_tokens, output_tokens;
    long long run_id;
    char *input_json; /* the vars the run was rendered with (live traffic shows them) */
    cJSON *feedback;  /* [{"label": .., "score": ..}] or NULL */
} rs_cmp_record;

void rs_cmp_record_clear(rs_cmp_record *r);

typedef struct rs_cmp_store {
    /* Every recorded call of experiment (any order). *out: rs_malloc'd array of n records. */
    int (*load)(void *self, const char *experiment, rs_cmp_record **out, size_t *n, rs_error *err);
    /* Attach a score to a run (label "score:SPEC", or "score-error:SPEC" with the message). */
    int (*save_score)(void *self, long long run_id, const char *label, double value, rs_error *err);
    void *self;
} rs_cmp_store;

/* ---------- the plan ---------- */

typedef struct rs_compare_plan {
    const char *experiment; /* id; required (rs_compare_new_id makes one) */
    rs_arm *arms;           /* arms[0] is the baseline */
    size_t n_arms;
    const rs_dataset *dataset;
    rs_scorer **scorers; /* at least one */
    size_t n_scorers;
    int repeat;                  /* >= 1 */
    int concurrency;             /* >= 1 */
    int cache;                   /* 1: identical requests answered from the cache */
    int bootstrap_iters;         /* 0 = 2000 */
    uint64_t seed;               /* bootstrap seed; 0 = fixed default */
    rs_cmp_progress_fn progress; /* may be NULL */
    void *progress_ud;
    volatile sig_atomic_t *cancel; /* may be NULL */
} rs_compare_plan;

/* A fresh experiment id: "exp-YYYYMMDD-HHMMSS-xxxx" (UTC, 4 hex digits from the clock and pid). */
int rs_compare_new_id(char *buf, size_t size, rs_error *err);

/* The plan's description as JSON (arms, dataset name and hash, scorers, repeat): written to the
 * experiment file at the start so --resume and `stats --experiment` know what was asked. */
cJSON *rs_compare_plan_json(const rs_compare_plan *plan);

/*
 * Run what the store does not have yet, score everything, and build the report. On interruption
 * the calls that completed are logged and RS_EINTERRUPTED is returned (no report). Judge calls
 * go through the same executor under experiment "<id>#judge". *report: cJSON_Delete.
 */
int rs_compare_run(cJSON **report, const rs_compare_plan *plan, const rs_cmp_executor *exec,
                   const rs_cmp_store *store, rs_error *err);

/*
 * Re-report an experiment from the store alone: arms, order and scorers from `meta` (the plan
 * JSON written at the start; may be NULL for live traffic: arms are then the recorded ones in
 * name order, and the score of a run is its feedback). Paired statistics when every arm saw the
 * same case ids (a compare), unpaired otherwise (live traffic split).
 */
int rs_compare_report_from_store(cJSON **report, const char *experiment, const cJSON *meta,
                                 const rs_cmp_store *store, rs_error *err);

/* ---------- renderers ---------- */

/* report-member o[a] (or o[a][b] when b is not NULL) as a number; NAN when absent or not one. */
double rs_report_num(const cJSON *o, const char *a, const char *b);
/* Bound i (0 low, 1 high) of o[a].ci; NAN when absent. */
double rs_report_ci(const cJSON *o, const char *a, int i);

/* The terminal table. colour: 1 for ANSI colours (the caller checks isatty and NO_COLOR). */
int rs_report_table(rs_str *out, const cJSON *report, int colour, rs_error *err);

/* One self-contained HTML page (inline CSS and SVG, no network) with charts and the cases. */
int rs_report_html(rs_str *out, const cJSON *report, rs_error *err);

#endif
