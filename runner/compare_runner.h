/*
 * runner/compare_runner.h - the compare engine on the real runner: the executor is rs_run_batch
 * (one curl multi engine, calls overlapping on one thread), the store is the SQLite run log, and
 * identical requests are answered from a cache.
 *
 * Cache: key = SHA-256 of "provider/model", the exact request body the provider would receive
 * (rendered and encoded as the runner does, without the key) and, for repeat k > 1, "repeat-k"
 * (so repeats are real samples while a rerun of the same compare reuses them all). Entries are
 * files CACHE_DIR/ab/abcdef....json written atomically: {"output","input_tokens","output_tokens",
 * "cost_usd","latency_ms","target"}. Only successful answers are cached. A call answered from the
 * cache is still logged under the experiment (route "cache", the original tokens, cost and
 * latency, 0 attempts), so the log alone re-reports the experiment.
 *
 * Experiment files: DIR/experiments/EXP.json (DIR = the run log's directory, normally .rosetta/)
 * hold the plan (rs_compare_plan_json) so --resume and `stats --experiment` know the arms, their
 * order, the scorers and the dataset's hash.
 */
#ifndef RS_RUNNER_COMPARE_RUNNER_H
#define RS_RUNNER_COMPARE_RUNNER_H

#include "rosetta/registry.h"
#include "rosetta/runlog.h"
#include "rosetta/runner.h"
#include "runner/compare.h"

typedef struct rs_compare_backend rs_compare_backend;

typedef struct rs_compare_backend_opts {
    rs_runner *runner;     /* borrowed: runs the calls and logs them */
    rs_registry *registry; /* borrowed, may be NULL: renders for cache keys */
    const char *log_path;  /* the run log the runner writes (the store reads it) */
    const char *cache_dir; /* NULL = no cache */
} rs_compare_backend_opts;

int rs_compare_backend_open(rs_compare_backend **out, const rs_compare_backend_opts *o,
                            rs_error *err);
void rs_compare_backend_free(rs_compare_backend *b);
void rs_compare_backend_executor(rs_cmp_executor *out, rs_compare_backend *b);
void rs_compare_backend_store(rs_cmp_store *out, rs_compare_backend *b);
/* Calls answered from the cache so far. */
size_t rs_compare_backend_cache_hits(const rs_compare_backend *b);

/* ref rendered for target with the data {"input": vars}, as the runner renders a case.
 * *out: cJSON_Delete. */
int rs_compare_render_case(cJSON **out, rs_registry *reg, const char *ref, const char *target,
                           const cJSON *vars, rs_error *err);

/* The directory beside the log (".rosetta" for ".rosetta/runs.db"). *out: rs_free. */
int rs_compare_state_dir(char **out, const char *log_path, rs_error *err);

/* DIR/experiments/EXP.json: write (atomically) / read (RS_ENOTFOUND when absent). */
int rs_compare_meta_write(const char *dir, const char *experiment, const cJSON *meta,
                          rs_error *err);
int rs_compare_meta_read(cJSON **out, const char *dir, const char *experiment, rs_error *err);

#endif
