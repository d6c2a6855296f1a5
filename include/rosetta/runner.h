/*
 * rosetta/runner.h - running prompts against providers: one call, or many concurrently.
 *
 * A run = resolve the prompt (a registry reference NAME[@ref], or a .prompt file), choose the
 * variant for each target, render, encode for the provider, send (HTTP through one curl multi
 * engine, or in-process for the offline `mock` provider), decode, retry retryable failures
 * (backoff with jitter, honouring the provider's Retry-After hints), fall back along a route,
 * price the call and log the run with every attempt. A run is logged even when every attempt
 * failed, and when it was interrupted (error class "interrupted"). API keys are read from the
 * environment (or the key_file rosetta.yaml names) and never appear in results, errors, logs
 * or traces.
 *
 * Threads: an rs_runner belongs to one thread at a time (it owns a transport and a log
 * connection); use one per thread. Batches run concurrently on that one thread.
 */
#ifndef ROSETTA_RUNNER_H
#define ROSETTA_RUNNER_H

#include "rosetta/error.h"

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rs_runner rs_runner;

typedef struct rs_runner_opts {
    const char *registry_dir; /* where to look for the registry; NULL = $ROSETTA_REGISTRY or the
                                 current directory's (a missing registry is fine for --source) */
    const char *log_path;     /* NULL = $ROSETTA_LOG or <registry>/.rosetta/runs.db */
    int no_log;               /* 1: log nothing */
    FILE *trace;              /* --verbose: HTTP trace with keys redacted; NULL = off */
    long timeout_ms;          /* per attempt; 0 = 120000 */
    long budget_ms;           /* whole run including waits; 0 = 600000 */
    int max_attempts;         /* tries per target; 0 = 3 */
    long backoff_ms;          /* first backoff wait (doubling, capped at 8 s); 0 = 500 */
    unsigned long long seed;  /* backoff jitter seed; 0 = from the clock */
    volatile const sig_atomic_t *cancel; /* polled: non-zero interrupts (set by a SIGINT handler) */
    long mock_latency_ms; /* simulated latency of `mock`; < 0 = $ROSETTA_MOCK_LATENCY_MS or 0 */
    FILE *warnings;       /* where warnings go (unknown cost, ...); NULL = stderr */
} rs_runner_opts;

#define RS_RUNNER_OPTS_INIT                                                                        \
    {                                                                                              \
        NULL, NULL, 0, NULL, 0, 0, 0, 0, 0, NULL, -1, NULL                                         \
    }

int rs_runner_open(rs_runner **out, const rs_runner_opts *opts, rs_error *err);
void rs_runner_free(rs_runner *r);

/* Point the runner at another cancel flag (a batch driver with its own, e.g. compare);
 * NULL = none. Takes effect at once, also for a batch in progress on this thread. */
void rs_runner_set_cancel(rs_runner *r, volatile const sig_atomic_t *cancel);

/* The run log path in use ("" when logging is off). Borrowed. */
const char *rs_runner_log_path(const rs_runner *r);

/* Called with each piece of answer text as it arrives (streams), or the whole text at once.
 * text NULL (len 0): the attempt that streamed the text so far failed; a retry or fallback
 * starts over (a terminal shows a line break and a note). */
typedef void (*rs_run_text_fn)(void *ud, size_t index, const char *text, size_t len);

typedef struct rs_run_request {
    const char *ref;        /* NAME[@vN|@LABEL|@REV] in the registry, or NULL with source */
    const char *source;     /* a .prompt file to run instead of a registry prompt */
    const char *target;     /* "provider/model", or NULL with route */
    const char *route;      /* a route of rosetta.yaml */
    const char *variant;    /* force this variant for every target; NULL = choose */
    const char *vars_json;  /* the prompt's input variables, a JSON object; NULL = {} */
    int stream;             /* ask providers to stream (text arrives through on_text) */
    rs_run_text_fn on_text; /* may be NULL */
    void *text_ud;
    const char *experiment, *arm, *case_id; /* recorded with the run (compare); may be NULL */
} rs_run_request;

#define RS_RUN_REQUEST_INIT                                                                        \
    {                                                                                              \
        NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL                        \
    }

/* What a run produced. Strings are NULL when not applicable. */
typedef struct rs_run_outcome {
    size_t index; /* position in the batch (0 for rs_run) */
    int ok;
    int rc;                      /* 0, or the RS_E* code of the failure */
    long long run_id;            /* id in the run log; -1 when not logged */
    const char *text;            /* the answer ("" when none) */
    const char *tool_calls_json; /* [{"id","name","arguments":{..}}] or NULL */
    const char *error;           /* why it failed (safe to print) */
    const char *error_class;     /* "rate_limit", "timeout", "auth", "interrupted", ... */
    const char *prompt, *version, *commit, *variant;
    const char *provider, *model, *route; /* the target that answered, or the last tried */
    const char *finish;                   /* "stop", "length", "tool", ... */
    long input_tokens, output_tokens, cached_tokens, reasoning_tokens; /* -1 unknown */
    int cost_known;
    double cost_usd;
    double latency_ms; /* the whole run */
    double ttft_ms;    /* time to first token of the answering attempt; -1 unknown */
    int attempts;
    const char *warning; /* e.g. "no price for groq/foo: cost recorded as unknown" */
} rs_run_outcome;

/*
 * Run one request and wait for it. *out (may be NULL) receives the outcome, also on failure
 * (free with rs_run_outcome_free). Returns 0 when the run succeeded; RS_EPROVIDER / RS_ETIMEOUT
 * when every attempt failed (err says why); RS_EINTERRUPTED; input errors (RS_ENOTFOUND,
 * RS_ESYNTAX, RS_ERENDER, RS_ESCHEMA, RS_ECONFIG, RS_EINVAL) before anything was sent.
 */
int rs_run(rs_runner *r, const rs_run_request *req, rs_run_outcome **out, rs_error *err);
void rs_run_outcome_free(rs_run_outcome *o);

/* Called once per request of a batch, in completion order, on the calling thread, after the
 * run was written to the log (out->run_id is set); out is borrowed for the call. */
typedef void (*rs_run_done_fn)(void *ud, const rs_run_outcome *out);

/*
 * Run n requests with at most `concurrency` in flight (HTTP calls overlap on one thread; retry
 * waits do not hold a slot's thread). done (may be NULL) runs for each as it completes. Returns
 * 0 when all were processed (individual failures are in their outcomes), RS_EINTERRUPTED when
 * cancelled (runs in flight are logged as interrupted; requests not started get no callback),
 * or RS_ENOMEM / RS_EHTTP / RS_EDB for a failure of the engine itself.
 */
int rs_run_batch(rs_runner *r, const rs_run_request *reqs, size_t n, int concurrency,
                 rs_run_done_fn done, void *ud, rs_error *err);

#ifdef __cplusplus
}
#endif
#endif
