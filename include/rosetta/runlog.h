/*
 * rosetta/runlog.h - the run log: every provider call recorded against the exact prompt version.
 *
 * A SQLite database (default `.rosetta/runs.db`, or --log FILE / $ROSETTA_LOG) in WAL mode with a
 * busy timeout, so many processes (a `compare` batch, an app, `rosetta runs`) can write and read
 * it at once. The schema carries a version and is migrated forward on open.
 *
 * Tables (stable column names, queried by users with sqlite3 too):
 *   runs(id, created_at, prompt, version, "commit" (quote it: a keyword), variant, provider,
 *        model, route, status 'ok'|'error', error, error_class, input_tokens, output_tokens,
 *        cached_tokens, reasoning_tokens, cost_usd (NULL = unknown), latency_ms, ttft_ms,
 *        attempts, experiment, arm, case_id, input (JSON), output, tool_calls (JSON), finish,
 *        finish_raw, response_model, request_hash)
 *   attempts(run_id, n, target, status, http_status, error_class, error, latency_ms,
 *            retry_after_ms)
 *   feedback(id, run_id, score, label, created_at)
 * Text columns are scrubbed of the values of *_API_KEY / *_TOKEN environment variables before
 * they are written, as a second line of defence: callers must not pass keys in the first place.
 *
 * Threads: one rs_runlog per thread (SQLite connections are not shared here). Processes: any.
 */
#ifndef ROSETTA_RUNLOG_H
#define ROSETTA_RUNLOG_H

#include "rosetta/error.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rs_runlog rs_runlog;

/* One attempt of a run (a try of one target). Strings may be NULL (stored as NULL). */
typedef struct rs_attempt_record {
    const char *target;      /* "provider/model" */
    int ok;                  /* 1 ok, 0 failed */
    int http_status;         /* 0 when no HTTP answer arrived (timeout, connection refused) */
    const char *error_class; /* rs_fail_class_name(), NULL when ok */
    const char *error;       /* message safe to log, NULL when ok */
    double latency_ms;
    long retry_after_ms; /* the wait the provider asked for, -1 none */
} rs_attempt_record;

/* One run. NULL strings, counts < 0 and latencies < 0 are stored as NULL (unknown). */
typedef struct rs_run_record {
    const char *created_at; /* ISO-8601 UTC "2026-11-22T04:31:13.123Z"; NULL = now */
    const char *prompt;     /* prompt name */
    const char *version;    /* "v3" */
    const char *commit;     /* registry commit id */
    const char *variant;    /* variant rendered, NULL = default */
    const char *provider;   /* the target that answered (or the last one tried) */
    const char *model;
    const char *route; /* route name when --route was used */
    int ok;
    const char *error;
    const char *error_class;
    long input_tokens, output_tokens, cached_tokens, reasoning_tokens;
    int cost_known; /* 0: cost_usd is ignored and NULL is stored */
    double cost_usd;
    double latency_ms; /* whole run, all attempts and waits */
    double ttft_ms;    /* time to first token of the answering attempt; < 0 unknown */
    const char *experiment, *arm, *case_id;
    const char *input_json;      /* the variables the prompt was rendered with (JSON text) */
    const char *output;          /* answer text */
    const char *tool_calls_json; /* [{"id","name","arguments":{..}}] or NULL */
    const char *finish;          /* rs_finish_name() */
    const char *finish_raw;
    const char *response_model;
    const char *request_hash; /* hex digest of the request body sent */
    const rs_attempt_record *attempts;
    size_t n_attempts;
} rs_run_record;

/* Unknown counts and latencies, everything else empty (designated initializers: C only). */
#define RS_RUN_RECORD_INIT                                                                         \
    {                                                                                              \
        .input_tokens = -1, .output_tokens = -1, .cached_tokens = -1, .reasoning_tokens = -1,      \
        .latency_ms = -1.0, .ttft_ms = -1.0                                                        \
    }

/* The same for C++ callers. */
void rs_run_record_init(rs_run_record *r);

/*
 * The log path: explicit (--log) if not NULL, else $ROSETTA_LOG, else "<root>/.rosetta/runs.db"
 * (root NULL = current directory). *out is rs_malloc'd (free with rs_free).
 */
int rs_runlog_path(char **out, const char *explicit_path, const char *root, rs_error *err);

/* Open (creating the file and its directory) and migrate to the current schema. */
int rs_runlog_open(rs_runlog **out, const char *path, rs_error *err);
void rs_runlog_close(rs_runlog *log);

/* Schema version of an open log. */
int rs_runlog_schema_version(rs_runlog *log);

/* Insert a run and its attempts in one transaction; *id (may be NULL) gets the run id.
 * Waits out concurrent writers (busy timeout + retried BEGIN IMMEDIATE); RS_EDB otherwise. */
int rs_runlog_insert(rs_runlog *log, const rs_run_record *run, long long *id, rs_error *err);

/* Insert n runs in one transaction (all or none): for batches (compare, concurrent runs) that
 * finish many calls at once; much cheaper per run than n single inserts. ids (may be NULL)
 * gets the n run ids. */
int rs_runlog_insert_batch(rs_runlog *log, const rs_run_record *runs, size_t n, long long *ids,
                           rs_error *err);

/* Attach a score/label to a run (issue 6: human or judge feedback). */
int rs_runlog_feedback(rs_runlog *log, long long run_id, double score, const char *label,
                       rs_error *err);

/* Filters for listing and stats. NULL/0 fields do not filter. */
typedef struct rs_runlog_query {
    const char *prompt;     /* prompt name */
    const char *since;      /* ISO-8601 time ("2026-11-01", "2026-11-01T10:00:00Z") or an age
                               ("30m", "24h", "7d", "2w") */
    const char *experiment; /* experiment id (compare) */
    const char *arm;
    const char *by; /* stats: comma list of version,variant,provider,model,prompt,
                       experiment,arm,case_id,status,finish,route, or the UTC time buckets
                       day,hour; NULL = "prompt,version" */
    long limit;     /* list: most recent N (0 = 20; < 0 = all) */
} rs_runlog_query;

#define RS_RUNLOG_QUERY_INIT                                                                       \
    {                                                                                              \
        NULL, NULL, NULL, NULL, NULL, 0                                                            \
    }

/* Recent runs, newest first, as a JSON array of objects (summary columns) in *json (rs_free). */
int rs_runlog_list_json(rs_runlog *log, const rs_runlog_query *q, char **json, rs_error *err);

/* One run in full with its attempts and feedback as a JSON object; RS_ENOTFOUND when absent. */
int rs_runlog_show_json(rs_runlog *log, long long id, char **json, rs_error *err);

#define RS_RUNSTATS_MAX_BY 8

/* One group of `stats`. Latencies in ms; -1 when the group has no value for them. */
typedef struct rs_runstats_group {
    char *key[RS_RUNSTATS_MAX_BY]; /* the group's values of the `by` columns; NULL = none */
    long count;
    long errors;
    double error_rate; /* errors / count */
    double latency_p50, latency_p95, ttft_p50;
    long long input_tokens, output_tokens, cached_tokens, reasoning_tokens; /* sums of known */
    long cost_known;   /* runs whose cost is known */
    double cost_total; /* sum over runs with a known cost */
    double cost_mean;  /* cost_total / cost_known, -1 when none known */
} rs_runstats_group;

typedef struct rs_runstats {
    size_t n_by;
    char *by[RS_RUNSTATS_MAX_BY]; /* the column names grouped by */
    rs_runstats_group *groups;
    size_t n_groups;
} rs_runstats;

/* Group the runs matching q by q->by. RS_EINVAL naming the column when `by` has an unknown one.
 * Percentiles are type 7 (linear interpolation, as compare reports them), computed in C. */
int rs_runlog_stats(rs_runlog *log, const rs_runlog_query *q, rs_runstats **out, rs_error *err);
void rs_runstats_free(rs_runstats *s);
/* The same as a JSON array of group objects (rs_free). */
int rs_runstats_to_json(const rs_runstats *s, char **json, rs_error *err);

#ifdef __cplusplus
}
#endif
#endif
