/*
 * tests/unit/test_runlog.c - the SQLite run log: schema and migrations, inserting runs with
 * their attempts, list/show/stats queries, feedback, secret scrubbing, --since parsing.
 * (8 processes writing at once: tests/unit/test_runlog_concurrency.c.)
 */
#include "test_helpers.h"

#include "runner/runlog.h"
#include "util/alloc.h"
#include "util/json.h"

#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rs_runlog_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void db_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s/.rosetta/runs.db", tmpdir, name);
}

static cJSON *parse_json(const char *s)
{
    cJSON *v = NULL;
    rs_error err = RS_ERROR_INIT;
    assert_rs_ok(rs_json_parse(&v, s, strlen(s), NULL, &err), &err);
    return v;
}

/* A complete run: two attempts (a 429 then success). */
static void full_record(rs_run_record *r, rs_attempt_record a[2])
{
    rs_run_record_init(r);
    memset(a, 0, 2 * sizeof *a);
    a[0].target = "anthropic/claude-sonnet-4-5";
    a[0].ok = 0;
    a[0].http_status = 429;
    a[0].error_class = "rate_limit";
    a[0].error = "HTTP 429 rate_limit_error: slow down";
    a[0].latency_ms = 120.5;
    a[0].retry_after_ms = 2000;
    a[1].target = "anthropic/claude-sonnet-4-5";
    a[1].ok = 1;
    a[1].http_status = 200;
    a[1].latency_ms = 850.25;
    a[1].retry_after_ms = -1;
    r->prompt = "triage";
    r->version = "v3";
    r->commit = "0123456789abcdef0123456789abcdef01234567";
    r->variant = "anthropic";
    r->provider = "anthropic";
    r->model = "claude-sonnet-4-5";
    r->route = "default";
    r->ok = 1;
    r->input_tokens = 1200;
    r->output_tokens = 80;
    r->cached_tokens = 1000;
    r->reasoning_tokens = 0;
    r->cost_known = 1;
    r->cost_usd = 0.00186;
    r->latency_ms = 2990.0;
    r->ttft_ms = 310.0;
    r->input_json = "{\"ticket\":\"printer on fire\"}";
    r->output = "Severity: high";
    r->tool_calls_json = "[{\"id\":\"t1\",\"name\":\"escalate\",\"arguments\":{\"team\":\"it\"}}]";
    r->finish = "stop";
    r->finish_raw = "end_turn";
    r->response_model = "claude-sonnet-4-5-20250929";
    r->request_hash = "9f86d081884c7d659a2feaa0c55ad015";
    r->attempts = a;
    r->n_attempts = 2;
}

static void test_open_insert_show(void **state)
{
    (void)state;
    char path[512], wal[600];
    rs_error err = RS_ERROR_INIT;
    rs_runlog *log = NULL;
    db_path(path, sizeof path, "basic");
    assert_rs_ok(rs_runlog_open(&log, path, &err), &err); /* creates .rosetta/ */
    assert_int_equal(rs_runlog_schema_version(log), RS_RUNLOG_SCHEMA_VERSION);
    rs_run_record r;
    rs_attempt_record a[2];
    full_record(&r, a);
    long long id = 0;
    assert_rs_ok(rs_runlog_insert(log, &r, &id, &err), &err);
    assert_true(id > 0);
    snprintf(wal, sizeof wal, "%s-wal", path);
    struct stat sb;
    assert_int_equal(stat(wal, &sb), 0); /* WAL mode */

    char *json = NULL;
    assert_rs_ok(rs_runlog_show_json(log, id, &json, &err), &err);
    cJSON *run = parse_json(json);
    assert_string_equal(rs_json_string(run, "prompt"), "triage");
    assert_string_equal(rs_json_string(run, "version"), "v3");
    assert_string_equal(rs_json_string(run, "commit"), r.commit);
    assert_string_equal(rs_json_string(run, "status"), "ok");
    assert_string_equal(rs_json_string(run, "finish_raw"), "end_turn");
    assert_int_equal(cJSON_GetObjectItem(run, "input_tokens")->valuedouble, 1200);
    assert_int_equal(cJSON_GetObjectItem(run, "cached_tokens")->valuedouble, 1000);
    assert_true(cJSON_GetObjectItem(run, "cost_usd")->valuedouble == 0.00186);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(run, "error")));
    assert_string_equal(rs_json_string(cJSON_GetObjectItem(run, "input"), "ticket"),
                        "printer on fire");
    assert_true(cJSON_IsArray(cJSON_GetObjectItem(run, "tool_calls")));
    const char *created = rs_json_string(run, "created_at");
    assert_non_null(created);
    assert_int_equal(strlen(created), 24); /* 2026-11-22T04:31:13.123Z */
    assert_int_equal(created[23], 'Z');
    cJSON *atts = cJSON_GetObjectItem(run, "attempts");
    assert_int_equal(cJSON_GetArraySize(atts), 2);
    cJSON *a0 = cJSON_GetArrayItem(atts, 0);
    assert_int_equal(cJSON_GetObjectItem(a0, "http_status")->valuedouble, 429);
    assert_int_equal(cJSON_GetObjectItem(a0, "retry_after_ms")->valuedouble, 2000);
    assert_string_equal(rs_json_string(a0, "error_class"), "rate_limit");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(atts, 1), "retry_after_ms")));
    cJSON_Delete(run);
    rs_free(json);

    /* a failed run with unknown cost and no answer is recorded too */
    rs_run_record f;
    rs_run_record_init(&f);
    f.prompt = "triage";
    f.version = "v3";
    f.provider = "groq";
    f.model = "nope";
    f.ok = 0;
    f.error = "HTTP 401: invalid key";
    f.error_class = "auth";
    rs_attempt_record fa = {"groq/nope", 0, 401, "auth", "HTTP 401: invalid key", 30.0, -1};
    f.attempts = &fa;
    f.n_attempts = 1;
    long long fid = 0;
    assert_rs_ok(rs_runlog_insert(log, &f, &fid, &err), &err);
    assert_rs_ok(rs_runlog_show_json(log, fid, &json, &err), &err);
    run = parse_json(json);
    assert_string_equal(rs_json_string(run, "status"), "error");
    assert_string_equal(rs_json_string(run, "error_class"), "auth");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(run, "cost_usd")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(run, "input_tokens")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(run, "ttft_ms")));
    cJSON_Delete(run);
    rs_free(json);

    assert_int_equal(rs_runlog_show_json(log, 999, &json, &err), RS_ENOTFOUND);
    assert_null(json);

    /* feedback */
    assert_rs_ok(rs_runlog_feedback(log, id, 0.75, "good", &err), &err);
    assert_int_equal(rs_runlog_feedback(log, 12345, 1, NULL, &err), RS_ENOTFOUND);
    assert_rs_ok(rs_runlog_show_json(log, id, &json, &err), &err);
    run = parse_json(json);
    cJSON *fb = cJSON_GetObjectItem(run, "feedback");
    assert_int_equal(cJSON_GetArraySize(fb), 1);
    assert_string_equal(rs_json_string(cJSON_GetArrayItem(fb, 0), "label"), "good");
    cJSON_Delete(run);
    rs_free(json);

    /* list: newest first, filters, limit */
    rs_runlog_query q = RS_RUNLOG_QUERY_INIT;
    assert_rs_ok(rs_runlog_list_json(log, &q, &json, &err), &err);
    cJSON *list = parse_json(json);
    assert_int_equal(cJSON_GetArraySize(list), 2);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "id")->valuedouble, fid);
    cJSON_Delete(list);
    rs_free(json);
    q.prompt = "other";
    assert_rs_ok(rs_runlog_list_json(log, &q, &json, &err), &err);
    assert_string_equal(json, "[]");
    rs_free(json);
    q.prompt = "triage";
    q.limit = 1;
    assert_rs_ok(rs_runlog_list_json(log, &q, &json, &err), &err);
    list = parse_json(json);
    assert_int_equal(cJSON_GetArraySize(list), 1);
    cJSON_Delete(list);
    rs_free(json);
    q.limit = 0;
    q.since = "2999-01-01";
    assert_rs_ok(rs_runlog_list_json(log, &q, &json, &err), &err);
    assert_string_equal(json, "[]");
    rs_free(json);
    q.since = "1h";
    assert_rs_ok(rs_runlog_list_json(log, &q, &json, &err), &err);
    list = parse_json(json);
    assert_int_equal(cJSON_GetArraySize(list), 2);
    cJSON_Delete(list);
    rs_free(json);
    q.since = "yesterday";
    assert_int_equal(rs_runlog_list_json(log, &q, &json, &err), RS_EINVAL);
    rs_runlog_close(log);

    /* reopening keeps everything */
    assert_rs_ok(rs_runlog_open(&log, path, &err), &err);
    assert_rs_ok(rs_runlog_show_json(log, id, &json, &err), &err);
    rs_free(json);
    rs_runlog_close(log);
}

static void add_run(rs_runlog *log, const char *version, const char *provider, int ok,
                    double latency, double ttft, double cost, int cost_known, long in, long out)
{
    rs_error err = RS_ERROR_INIT;
    rs_run_record r;
    rs_run_record_init(&r);
    r.prompt = "summarize";
    r.version = version;
    r.provider = provider;
    r.model = "m";
    r.ok = ok;
    r.error_class = ok ? NULL : "server";
    r.latency_ms = latency;
    r.ttft_ms = ttft;
    r.cost_usd = cost;
    r.cost_known = cost_known;
    r.input_tokens = in;
    r.output_tokens = out;
    assert_rs_ok(rs_runlog_insert(log, &r, NULL, &err), &err);
}

static void test_stats(void **state)
{
    (void)state;
    char path[512];
    rs_error err = RS_ERROR_INIT;
    rs_runlog *log = NULL;
    db_path(path, sizeof path, "stats");
    assert_rs_ok(rs_runlog_open(&log, path, &err), &err);
    /* v1: latencies 100..500, one error, one unknown cost */
    add_run(log, "v1", "openai", 1, 100, 10, 0.01, 1, 100, 10);
    add_run(log, "v1", "openai", 1, 200, 20, 0.02, 1, 100, 10);
    add_run(log, "v1", "openai", 0, 300, -1, 0, 0, -1, -1);
    add_run(log, "v1", "anthropic", 1, 400, 40, 0.03, 1, 100, 10);
    add_run(log, "v1", "anthropic", 1, 500, 50, 0, 0, 100, 10);
    add_run(log, "v2", "openai", 1, 50, 5, 0.001, 1, 10, 1);

    rs_runlog_query q = RS_RUNLOG_QUERY_INIT;
    rs_runstats *s = NULL;
    q.by = "version";
    assert_rs_ok(rs_runlog_stats(log, &q, &s, &err), &err);
    assert_int_equal(s->n_by, 1);
    assert_int_equal(s->n_groups, 2);
    rs_runstats_group *g = &s->groups[0];
    assert_string_equal(g->key[0], "v1");
    assert_int_equal(g->count, 5);
    assert_int_equal(g->errors, 1);
    assert_true(g->error_rate == 0.2);
    assert_true(g->latency_p50 == 300);             /* type 7 over 100..500 */
    assert_true(fabs(g->latency_p95 - 480) < 1e-9); /* 400 + 0.8 * 100 */
    assert_true(g->ttft_p50 == 30);                 /* over 10,20,40,50 */
    assert_int_equal(g->input_tokens, 400);
    assert_int_equal(g->output_tokens, 40);
    assert_int_equal(g->cost_known, 3);
    assert_true(fabs(g->cost_total - 0.06) < 1e-12);
    assert_true(fabs(g->cost_mean - 0.02) < 1e-12);
    assert_string_equal(s->groups[1].key[0], "v2");
    assert_int_equal(s->groups[1].count, 1);
    char *json = NULL;
    assert_rs_ok(rs_runstats_to_json(s, &json, &err), &err);
    cJSON *arr = parse_json(json);
    assert_int_equal(cJSON_GetArraySize(arr), 2);
    cJSON *g0 = cJSON_GetArrayItem(arr, 0);
    assert_string_equal(rs_json_string(g0, "version"), "v1");
    assert_int_equal(cJSON_GetObjectItem(g0, "count")->valuedouble, 5);
    assert_non_null(cJSON_GetObjectItem(g0, "latency_p95_ms"));
    cJSON_Delete(arr);
    rs_free(json);
    rs_runstats_free(s);

    q.by = "version, provider";
    assert_rs_ok(rs_runlog_stats(log, &q, &s, &err), &err);
    assert_int_equal(s->n_by, 2);
    assert_int_equal(s->n_groups, 3);
    assert_string_equal(s->groups[0].key[1], "anthropic");
    assert_int_equal(s->groups[0].count, 2);
    assert_int_equal(s->groups[0].cost_known, 1);
    rs_runstats_free(s);

    q.by = NULL; /* default: prompt,version */
    q.prompt = "summarize";
    assert_rs_ok(rs_runlog_stats(log, &q, &s, &err), &err);
    assert_int_equal(s->n_by, 2);
    assert_string_equal(s->by[0], "prompt");
    rs_runstats_free(s);

    /* time buckets; versions in numeric order */
    add_run(log, "v10", "openai", 1, 10, 1, 0, 1, 1, 1);
    q.by = "version";
    q.prompt = NULL;
    assert_rs_ok(rs_runlog_stats(log, &q, &s, &err), &err);
    assert_int_equal(s->n_groups, 3);
    assert_string_equal(s->groups[1].key[0], "v2");
    assert_string_equal(s->groups[2].key[0], "v10");
    rs_runstats_free(s);
    q.by = "day,hour";
    assert_rs_ok(rs_runlog_stats(log, &q, &s, &err), &err);
    assert_true(s->n_groups >= 1 && s->n_groups <= 2); /* unless the test straddles an hour */
    assert_int_equal(strlen(s->groups[0].key[0]), 10);
    assert_int_equal(strlen(s->groups[0].key[1]), 16); /* 2026-11-22T05:00 */
    assert_string_equal(s->groups[0].key[1] + 13, ":00");
    assert_true(!strncmp(s->groups[0].key[0], s->groups[0].key[1], 10));
    rs_runstats_free(s);

    q.by = "provider; DROP TABLE runs";
    assert_int_equal(rs_runlog_stats(log, &q, &s, &err), RS_EINVAL);
    assert_null(s);
    assert_non_null(strstr(err.message, "unknown column"));
    q.by = "experiment";
    q.experiment = "exp-1"; /* none: no groups */
    assert_rs_ok(rs_runlog_stats(log, &q, &s, &err), &err);
    assert_int_equal(s->n_groups, 0);
    rs_runstats_free(s);
    rs_runlog_close(log);
}

/* An old log (schema 1) is migrated in place; its rows survive. */
static void test_migration(void **state)
{
    (void)state;
    char path[512];
    rs_error err = RS_ERROR_INIT;
    rs_runlog *log = NULL;
    db_path(path, sizeof path, "migrate");
    assert_rs_ok(rs_runlog_open_at_version(&log, path, 1, &err), &err);
    assert_int_equal(rs_runlog_schema_version(log), 1);
    assert_rs_ok(rs_runlog_exec(log,
                                "INSERT INTO runs (created_at, prompt, version, provider, model,"
                                " status, input_tokens, output_tokens, cost_usd, latency_ms,"
                                " attempts, output) VALUES ('2026-01-02T03:04:05.000Z', 'old',"
                                " 'v1', 'openai', 'gpt-4o', 'ok', 10, 2, 0.0001, 123, 1, 'hi');"
                                "INSERT INTO attempts (run_id, n, target, status, http_status)"
                                " VALUES (1, 1, 'openai/gpt-4o', 'ok', 200);",
                                &err),
                 &err);
    rs_runlog_close(log);

    assert_rs_ok(rs_runlog_open(&log, path, &err), &err);
    assert_int_equal(rs_runlog_schema_version(log), RS_RUNLOG_SCHEMA_VERSION);
    char *json = NULL;
    assert_rs_ok(rs_runlog_show_json(log, 1, &json, &err), &err);
    cJSON *run = parse_json(json);
    assert_string_equal(rs_json_string(run, "prompt"), "old");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(run, "cached_tokens"))); /* new column */
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(run, "attempts")), 1);
    cJSON_Delete(run);
    rs_free(json);
    rs_run_record r;
    rs_attempt_record a[2];
    full_record(&r, a);
    assert_rs_ok(rs_runlog_insert(log, &r, NULL, &err), &err);
    assert_rs_ok(rs_runlog_feedback(log, 1, 1.0, "migrated", &err), &err);
    /* a log written by a newer rosetta is refused, not damaged */
    assert_rs_ok(rs_runlog_exec(log, "UPDATE schema_version SET version = 99", &err), &err);
    rs_runlog_close(log);
    assert_int_equal(rs_runlog_open(&log, path, &err), RS_EDB);
    assert_null(log);
    assert_non_null(strstr(err.message, "newer"));
}

static void test_secrets_scrubbed(void **state)
{
    (void)state;
    char path[512];
    rs_error err = RS_ERROR_INIT;
    rs_runlog *log = NULL;
    const char *key = "sk-test-0123456789abcdefSECRET";
    setenv("ROSETTA_TEST_API_KEY", key, 1);
    db_path(path, sizeof path, "secrets");
    assert_rs_ok(rs_runlog_open(&log, path, &err), &err);
    rs_run_record r;
    rs_run_record_init(&r);
    char out[200], msg[200];
    snprintf(out, sizeof out, "the key is %s, twice: %s.", key, key);
    snprintf(msg, sizeof msg, "HTTP 401: Incorrect API key provided: %s", key);
    r.prompt = "p";
    r.provider = "openai";
    r.model = "gpt-4o";
    r.ok = 0;
    r.error = msg;
    r.error_class = "auth";
    r.output = out;
    rs_attempt_record a = {"openai/gpt-4o", 0, 401, "auth", msg, 10, -1};
    r.attempts = &a;
    r.n_attempts = 1;
    long long id;
    assert_rs_ok(rs_runlog_insert(log, &r, &id, &err), &err);
    char *json = NULL;
    assert_rs_ok(rs_runlog_show_json(log, id, &json, &err), &err);
    assert_null(strstr(json, key));
    assert_non_null(strstr(json, "the key is [REDACTED], twice: [REDACTED]."));
    assert_non_null(strstr(json, "Incorrect API key provided: [REDACTED]"));
    rs_free(json);
    rs_runlog_close(log);
    /* and nowhere in the database file or its WAL */
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cat '%s'* | grep -c '%s' >/dev/null", path, key);
    assert_int_not_equal(system(cmd), 0);
    /* a key that never was in the environment (rosetta.yaml key_file) */
    assert_rs_ok(rs_runlog_open(&log, path, &err), &err);
    assert_rs_ok(rs_runlog_add_secret(log, "kf-secret-from-a-key-file", &err), &err);
    assert_rs_ok(rs_runlog_add_secret(log, "short", &err), &err); /* ignored */
    r.output = "leak kf-secret-from-a-key-file? no, and short stays";
    assert_rs_ok(rs_runlog_insert(log, &r, &id, &err), &err);
    assert_rs_ok(rs_runlog_show_json(log, id, &json, &err), &err);
    assert_non_null(strstr(json, "leak [REDACTED]? no, and short stays"));
    rs_free(json);
    rs_runlog_close(log);
    char *s = rs_scrub_secrets("x sk-test-0123456789abcdefSECRET y");
    assert_string_equal(s, "x [REDACTED] y");
    rs_free(s);
    unsetenv("ROSETTA_TEST_API_KEY");
}

static void test_paths_and_since(void **state)
{
    (void)state;
    rs_error err = RS_ERROR_INIT;
    char *p = NULL;
    unsetenv("ROSETTA_LOG");
    assert_rs_ok(rs_runlog_path(&p, NULL, NULL, &err), &err);
    assert_string_equal(p, ".rosetta/runs.db");
    rs_free(p);
    assert_rs_ok(rs_runlog_path(&p, NULL, "/repo", &err), &err);
    assert_string_equal(p, "/repo/.rosetta/runs.db");
    rs_free(p);
    assert_rs_ok(rs_runlog_path(&p, NULL, "/repo/", &err), &err);
    assert_string_equal(p, "/repo/.rosetta/runs.db");
    rs_free(p);
    setenv("ROSETTA_LOG", "/env/log.db", 1);
    assert_rs_ok(rs_runlog_path(&p, NULL, "/repo", &err), &err);
    assert_string_equal(p, "/env/log.db");
    rs_free(p);
    assert_rs_ok(rs_runlog_path(&p, "/cli/x.db", "/repo", &err), &err);
    assert_string_equal(p, "/cli/x.db");
    rs_free(p);
    unsetenv("ROSETTA_LOG");

    char buf[40];
    const long long now = 1763785873123LL; /* 2025-11-22T04:31:13.123Z */
    assert_rs_ok(rs_runlog_since(buf, sizeof buf, "24h", now, &err), &err);
    assert_string_equal(buf, "2025-11-21T04:31:13.123Z");
    assert_rs_ok(rs_runlog_since(buf, sizeof buf, "30m", now, &err), &err);
    assert_string_equal(buf, "2025-11-22T04:01:13.123Z");
    assert_rs_ok(rs_runlog_since(buf, sizeof buf, "2w", now, &err), &err);
    assert_string_equal(buf, "2025-11-08T04:31:13.123Z");
    assert_rs_ok(rs_runlog_since(buf, sizeof buf, "2026-11-01", now, &err), &err);
    assert_string_equal(buf, "2026-11-01");
    assert_rs_ok(rs_runlog_since(buf, sizeof buf, "2026-11-01 10:00", now, &err), &err);
    assert_string_equal(buf, "2026-11-01T10:00");
    assert_rs_ok(rs_runlog_since(buf, sizeof buf, "2026-11-01T10:00:00Z", now, &err), &err);
    assert_string_equal(buf, "2026-11-01T10:00:00");
    assert_rs_ok(rs_runlog_since(buf, sizeof buf, "2026-11-01T10:00:00.5Z", now, &err), &err);
    assert_string_equal(buf, "2026-11-01T10:00:00.5");
    const char *bad[] = {"",           "h",   "24x",          "2026-1-1",
                         "11/01/2026", "7 d", "2026-11-01T1", "2026-11-01T10:00:00+02:00",
                         "2026-11-01x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(rs_runlog_since(buf, sizeof buf, bad[i], now, &err), RS_EINVAL);
}

/* A batch is one transaction: all its runs land, or none (a failing row rolls back the rest). */
static void test_batch(void **state)
{
    (void)state;
    char path[512];
    rs_error err = RS_ERROR_INIT;
    rs_runlog *log = NULL;
    db_path(path, sizeof path, "batch");
    assert_rs_ok(rs_runlog_open(&log, path, &err), &err);
    rs_run_record runs[50];
    long long ids[50];
    for (int i = 0; i < 50; i++) {
        rs_run_record_init(&runs[i]);
        runs[i].prompt = "batch";
        runs[i].ok = 1;
    }
    assert_rs_ok(rs_runlog_insert_batch(log, runs, 50, ids, &err), &err);
    for (int i = 1; i < 50; i++)
        assert_true(ids[i] == ids[i - 1] + 1);
    /* two attempts with the same n cannot both be stored: the whole batch is refused */
    rs_attempt_record a = {"x/y", 1, 200, NULL, NULL, 1, -1};
    runs[10].attempts = &a;
    runs[10].n_attempts = 1;
    assert_rs_ok(rs_runlog_exec(log,
                                "CREATE TRIGGER no_x BEFORE INSERT ON attempts"
                                " BEGIN SELECT RAISE(ABORT, 'refused'); END",
                                &err),
                 &err);
    assert_int_equal(rs_runlog_insert_batch(log, runs, 50, NULL, &err), RS_EDB);
    assert_non_null(strstr(err.message, "refused"));
    rs_runlog_query q = RS_RUNLOG_QUERY_INIT;
    rs_runstats *s = NULL;
    q.prompt = "batch";
    assert_rs_ok(rs_runlog_stats(log, &q, &s, &err), &err);
    assert_int_equal(s->groups[0].count, 50); /* not 60 or 100 */
    rs_runstats_free(s);
    rs_runlog_close(log);
}

/* The WAL stays bounded while runs are written (wal_autocheckpoint): 600 runs one transaction
 * each leave a WAL file well under SQLite's default 1,000 pages (4 MB), and every run is there. */
static void test_wal_bounded(void **state)
{
    (void)state;
    char path[512], wal[600];
    rs_error err = RS_ERROR_INIT;
    rs_runlog *log = NULL;
    db_path(path, sizeof path, "wal");
    snprintf(wal, sizeof wal, "%s-wal", path);
    assert_rs_ok(rs_runlog_open(&log, path, &err), &err);
    rs_run_record r;
    rs_attempt_record a[2];
    full_record(&r, a);
    r.prompt = "walcheck";
    for (int i = 0; i < 600; i++)
        assert_rs_ok(rs_runlog_insert(log, &r, NULL, &err), &err);
    struct stat sb;
    assert_int_equal(stat(wal, &sb), 0);
    assert_true(sb.st_size < 1024 * 1024);
    rs_runlog_query q = RS_RUNLOG_QUERY_INIT;
    rs_runstats *s = NULL;
    q.prompt = "walcheck";
    assert_rs_ok(rs_runlog_stats(log, &q, &s, &err), &err);
    assert_int_equal(s->groups[0].count, 600);
    rs_runstats_free(s);
    rs_runlog_close(log);
}

static void test_open_errors(void **state)
{
    (void)state;
    rs_error err = RS_ERROR_INIT;
    rs_runlog *log = NULL;
    char path[512];
    snprintf(path, sizeof path, "%s/notadb", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("this is not a sqlite database, just text that is long enough to be checked...\n", f);
    fclose(f);
    assert_int_equal(rs_runlog_open(&log, path, &err), RS_EDB);
    assert_null(log);
    assert_non_null(strstr(err.message, "notadb"));
    snprintf(path, sizeof path, "%s/notadb/below/runs.db", tmpdir); /* a file as a directory */
    assert_int_equal(rs_runlog_open(&log, path, &err), RS_EIO);
    rs_runlog_close(NULL);
}

int main(void)
{
    cJSON_Hooks hooks = {rs_malloc, rs_free};
    cJSON_InitHooks(&hooks);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_insert_show),
        cmocka_unit_test(test_stats),
        cmocka_unit_test(test_migration),
        cmocka_unit_test(test_secrets_scrubbed),
        cmocka_unit_test(test_paths_and_since),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_wal_bounded),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
