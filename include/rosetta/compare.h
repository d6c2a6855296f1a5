/*
 * rosetta/compare.h - A/B comparison of prompt versions and providers on datasets, and live
 * traffic splits, with honest statistics.
 *
 * rs_compare runs arms (REF@PROVIDER/MODEL; the first is the baseline) over a dataset (JSONL:
 * {"id", "vars", "expected"} a line), scores each answer with scorers (docs/compare.md lists the
 * SPEC syntax), and returns a JSON report with every figure: per arm the pass rate (Wilson 95%
 * interval) and mean score (bootstrap 95% interval), errors, cost, latency p50/p95, tokens; per
 * arm against the baseline the paired difference, its test (exact McNemar, or a paired
 * bootstrap), p-value, Holm-adjusted p-value, a verdict and, when not significant, the number of
 * cases that would be needed. Every call is logged in the run log under an experiment id with
 * its arm and case id; an interrupted compare resumes with opts.resume and runs only what is
 * missing.
 *
 * Reports are JSON text; rs_compare_format_table / rs_compare_format_html turn one into a
 * terminal table or a self-contained HTML page. All strings returned are rs_free'd by the caller.
 */
#ifndef ROSETTA_COMPARE_H
#define ROSETTA_COMPARE_H

#include "rosetta/error.h"

#include <signal.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Progress of the calls of one phase ("answers", then "judge" when a judge scorer is used). */
typedef void (*rs_compare_progress_fn)(void *ud, const char *phase, size_t done, size_t total,
                                       size_t errors, size_t cached);

typedef struct rs_compare_opts {
    const char *const *arms; /* "REF@PROVIDER/MODEL", in order; arms[0] is the baseline */
    size_t n_arms;
    const char *const *prompts; /* with targets: the arms are prompts x targets (prompt-major) */
    size_t n_prompts;
    const char *const *targets;
    size_t n_targets;
    const char *dataset;        /* a registry dataset name (datasets/NAME.jsonl) or a file */
    const char *const *scorers; /* SPECs; none = "equals" */
    size_t n_scorers;
    const char *spec;         /* evals/NAME.yaml in the registry: defaults for all of the above */
    int repeat;               /* 0 = 1 (or the spec's) */
    int concurrency;          /* 0 = 8 (or the spec's) */
    int no_cache;             /* 1: always call the provider */
    const char *resume;       /* an experiment id to complete; NULL = a new experiment */
    const char *experiment;   /* the id for a new experiment; NULL = generated */
    const char *registry_dir; /* NULL = $ROSETTA_REGISTRY or the current directory's */
    const char *log_path;     /* NULL = $ROSETTA_LOG or <registry>/.rosetta/runs.db */
    long timeout_ms;          /* per attempt; 0 = runner default */
    int max_attempts;         /* 0 = runner default */
    unsigned long long seed;  /* bootstrap and backoff seed; 0 = fixed default */
    volatile sig_atomic_t *cancel; /* set by a signal handler: stop, log, return RS_EINTERRUPTED */
    rs_compare_progress_fn progress;
    void *progress_ud;
} rs_compare_opts;

#define RS_COMPARE_OPTS_INIT                                                                       \
    {                                                                                              \
        NULL, 0, NULL, 0, NULL, 0, NULL, NULL, 0, NULL, 0, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0,  \
            NULL, NULL, NULL                                                                       \
    }

/*
 * Run a comparison. *report_json: the report (rs_free). experiment (size >= 64) receives the
 * experiment id as soon as it is known, also when the compare fails or is interrupted
 * (RS_EINTERRUPTED: resume with opts.resume = that id).
 */
int rs_compare(char **report_json, char *experiment, size_t experiment_size,
               const rs_compare_opts *opts, rs_error *err);

/*
 * Re-report an experiment from the run log alone (the experiment file beside the log gives the
 * arms' order and scorers when it exists; live traffic splits have none and are compared
 * unpaired on their feedback scores). log_path NULL = the default log.
 */
int rs_compare_experiment_report(char **report_json, const char *experiment,
                                 const char *registry_dir, const char *log_path, rs_error *err);

/* A report as a terminal table (colour: ANSI colours) or one self-contained HTML page. */
int rs_compare_format_table(char **out, const char *report_json, int colour, rs_error *err);
int rs_compare_format_html(char **out, const char *report_json, rs_error *err);

/*
 * Live traffic split: the arm for key under split "v3=50,v4=50" (names with positive weights).
 * Sticky and deterministic: FNV-1a 64 of experiment, a NUL and key, mixed by MurmurHash3's
 * fmix64, picks a point in [0, 1) (its top 53 bits) of the cumulative weights, so the same
 * user always gets the same arm, and a different experiment reshuffles users. arm (size >= 64)
 * receives the name. RS_EINVAL on a malformed split.
 */
int rs_split_choose(char *arm, size_t size, const char *split, const char *experiment,
                    const char *key, rs_error *err);

#ifdef __cplusplus
}
#endif
#endif
