/*
 * End-to-end tests of the runner through its C API (include/rosetta/runner.h): a .prompt with a
 * provider variant, the fake provider scripted per request, and the run log read back. Each
 * fault must cost the right retry or fallback, end with the right class, and leave the right
 * rows. argv[1] = the fake_provider binary.
 */
#define _XOPEN_SOURCE 700 /* nftw, to remove the test folder */
#include "test_helpers.h"

#include "fakes/fake_client.h"

#include "rosetta/rosetta.h"
#include "rosetta/runlog.h"
#include "rosetta/runner.h"
#include "runner/runlog.h" /* rs_runlog_exec: a trigger that makes the log refuse one run */
#include "util/alloc.h"
#include "util/json.h"
#include "util/str.h"

#include <ftw.h>
#include <pthread.h>
#include <sys/stat.h>

static const char *fake_binary;
static fake_server fake;
static char dir[64];
static char prompt_path[128];
static char log_path[128];
static const char *const SECRET = "sk-run-SECRET-abcdef0123456789";

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    rs_error err = RS_ERROR_INIT;
    if (rs_global_init(&err) != 0)
        return -1;
    snprintf(dir, sizeof dir, "/tmp/rs_test_run_XXXXXX");
    if (!mkdtemp(dir) || chdir(dir) != 0)
        return -1;
    snprintf(prompt_path, sizeof prompt_path, "%s/triage.prompt", dir);
    snprintf(log_path, sizeof log_path, "%s/runs.db", dir);
    write_file(prompt_path,
               "---\nconfig: {temperature: 0.2}\ninput:\n  schema: {ticket: string}\n"
               "---\n{{role \"system\"}}You triage tickets.\n{{role \"user\"}}{{ticket}}\n");
    write_file(
        "triage.anthropic.prompt",
        "---\nrosetta.targets: [\"anthropic/*\"]\ninput:\n  schema: {ticket: string}\n---\n"
        "{{role \"system\"}}<instructions>Triage.</instructions>\n{{role \"user\"}}{{ticket}}\n");
    write_file("rosetta.yaml",
               "routes:\n  resilient: [openai/gpt-4o-mini, anthropic/claude-sonnet-4-5]\n"
               "  offline: [mock/fail:overloaded, mock/upper]\n"
               "  careful:\n    targets: [openai/gpt-4o-mini]\n    max_attempts: 2\n");
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", fake.port);
    setenv("OPENAI_BASE_URL", url, 1);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", fake.port);
    setenv("ANTHROPIC_BASE_URL", url, 1);
    setenv("OPENAI_API_KEY", SECRET, 1);
    setenv("ANTHROPIC_API_KEY", SECRET, 1);
    setenv("ROSETTA_REGISTRY", dir, 1); /* a plain folder: --source runs, no registry */
    return 0;
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    (void)state;
    if (chdir("/") == 0 && dir[0])
        nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS); /* the test's own temporary folder */
    rs_global_shutdown();
    return 0;
}

static rs_runner *open_runner(long timeout_ms, int attempts, volatile sig_atomic_t *cancel)
{
    rs_error err = RS_ERROR_INIT;
    rs_runner *r = NULL;
    rs_runner_opts o = RS_RUNNER_OPTS_INIT;
    o.log_path = log_path;
    o.seed = 1234;
    o.timeout_ms = timeout_ms;
    o.max_attempts = attempts;
    o.backoff_ms = 20; /* short waits: the tests check the decisions, not the clock */
    o.cancel = cancel;
    o.warnings = stderr;
    assert_rs_ok(rs_runner_open(&r, &o, &err), &err);
    return r;
}

/* The run's row with its attempts from the log (cJSON, caller deletes). */
static cJSON *logged(long long id)
{
    rs_error err = RS_ERROR_INIT;
    rs_runlog *log = NULL;
    char *json = NULL;
    cJSON *doc = NULL;
    assert_rs_ok(rs_runlog_open(&log, log_path, &err), &err);
    assert_rs_ok(rs_runlog_show_json(log, id, &json, &err), &err);
    assert_rs_ok(rs_json_parse(&doc, json, strlen(json), NULL, &err), &err);
    assert_null(strstr(json, SECRET)); /* never a key in the log */
    rs_free(json);
    rs_runlog_close(log);
    return doc;
}

static const cJSON *attempt(const cJSON *run, int i)
{
    const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(run, "attempts"), i);
    assert_non_null(a);
    return a;
}

static const char *str(const cJSON *o, const char *k)
{
    const char *s = rs_json_string(o, k);
    return s ? s : "(null)";
}

static long num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? (long)v->valuedouble : -999;
}

static rs_run_request request(const char *target, const char *route)
{
    rs_run_request q = RS_RUN_REQUEST_INIT;
    q.source = prompt_path;
    q.target = target;
    q.route = route;
    q.vars_json = "{\"ticket\":\"my invoice is wrong\"}";
    return q;
}

static void mock_is_deterministic_and_logged(void **state)
{
    (void)state;
    rs_runner *r = open_runner(0, 0, NULL);
    rs_error err = RS_ERROR_INIT;
    rs_run_outcome *a = NULL, *b = NULL;
    rs_run_request q = request("mock/echo", NULL);
    assert_rs_ok(rs_run(r, &q, &a, &err), &err);
    assert_rs_ok(rs_run(r, &q, &b, &err), &err);
    assert_string_equal(a->text, "my invoice is wrong");
    assert_string_equal(a->text, b->text);
    assert_int_equal(a->input_tokens, b->input_tokens);
    assert_int_equal(a->output_tokens, 4);
    assert_true(a->input_tokens >= 7);  /* "You triage tickets." + the ticket */
    assert_int_equal(a->cost_known, 1); /* mock is free, not unknown */
    assert_true(a->run_id > 0 && b->run_id == a->run_id + 1);
    cJSON *row = logged(a->run_id);
    assert_string_equal(str(row, "status"), "ok");
    assert_string_equal(str(row, "provider"), "mock");
    assert_string_equal(str(row, "prompt"), "triage");
    assert_string_equal(str(row, "output"), "my invoice is wrong");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(row, "attempts")), 1);
    cJSON_Delete(row);
    rs_run_outcome_free(a);
    rs_run_outcome_free(b);
    rs_runner_free(r);
}

static void retries_honour_hints_then_succeed(void **state)
{
    (void)state;
    rs_runner *r = open_runner(5000, 3, NULL);
    rs_error err = RS_ERROR_INIT;
    rs_run_outcome *o = NULL;
    fake_reset(&fake);
    assert_int_equal(fake_script(&fake, "status:429,retry-after-ms:120\nstatus:503\n"), 0);
    rs_run_request q = request("openai/gpt-4o-mini", NULL);
    assert_rs_ok(rs_run(r, &q, &o, &err), &err);
    assert_string_equal(o->text, "Hello from the fake openai.");
    assert_int_equal(o->attempts, 3);
    assert_true(o->latency_ms >= 120); /* the hint was waited for */
    assert_int_equal(fake_requests(&fake), 3);
    cJSON *row = logged(o->run_id);
    assert_string_equal(str(attempt(row, 0), "error_class"), "rate_limit");
    assert_int_equal(num(attempt(row, 0), "http_status"), 429);
    assert_int_equal(num(attempt(row, 0), "retry_after_ms"), 120);
    assert_string_equal(str(attempt(row, 1), "error_class"), "overloaded");
    assert_int_equal(num(attempt(row, 1), "http_status"), 503);
    assert_int_equal(num(attempt(row, 2), "http_status"), 200);
    assert_int_equal(num(row, "input_tokens"), 12);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(row, "attempts")), 3);
    cJSON_Delete(row);
    rs_run_outcome_free(o);
    rs_runner_free(r);
}

static void auth_failure_falls_back_with_the_targets_variant(void **state)
{
    (void)state;
    rs_runner *r = open_runner(5000, 3, NULL);
    rs_error err = RS_ERROR_INIT;
    rs_run_outcome *o = NULL;
    fake_reset(&fake);
    assert_int_equal(fake_script(&fake, "status:401\n"), 0);
    rs_run_request q = request(NULL, "resilient");
    assert_rs_ok(rs_run(r, &q, &o, &err), &err);
    assert_string_equal(o->text, "Hello from the fake anthropic.");
    assert_string_equal(o->provider, "anthropic");
    assert_string_equal(o->variant, "anthropic"); /* rendered with ITS variant */
    assert_string_equal(o->route, "resilient");
    assert_int_equal(fake_requests(&fake), 2); /* 401 is not retried on the same target */
    cJSON *row = logged(o->run_id);
    assert_string_equal(str(attempt(row, 0), "target"), "openai/gpt-4o-mini");
    assert_string_equal(str(attempt(row, 0), "error_class"), "auth");
    assert_string_equal(str(attempt(row, 1), "target"), "anthropic/claude-sonnet-4-5");
    assert_string_equal(str(row, "variant"), "anthropic");
    assert_string_equal(str(row, "route"), "resilient");
    cJSON_Delete(row);
    rs_run_outcome_free(o);
    rs_runner_free(r);
}

static void every_attempt_failing_is_still_logged(void **state)
{
    (void)state;
    rs_runner *r = open_runner(5000, 0, NULL);
    rs_error err = RS_ERROR_INIT;
    rs_run_outcome *o = NULL;
    fake_reset(&fake);
    assert_int_equal(fake_script(&fake, "status:500,retry-after-ms:1\nstatus:502,retry-after-ms:1\n"
                                        "status:504,retry-after-ms:1\nok\n"),
                     0);
    rs_run_request q = request(NULL, "careful"); /* max_attempts: 2 from rosetta.yaml */
    assert_int_equal(rs_run(r, &q, &o, &err), RS_EPROVIDER);
    assert_non_null(o);
    assert_false(o->ok);
    assert_string_equal(o->error_class, "server");
    assert_null(strstr(err.message, SECRET));
    assert_int_equal(o->attempts, 2);
    assert_int_equal(fake_requests(&fake), 2);
    cJSON *row = logged(o->run_id);
    assert_string_equal(str(row, "status"), "error");
    assert_string_equal(str(row, "error_class"), "server");
    assert_int_equal(num(attempt(row, 1), "http_status"), 502);
    cJSON_Delete(row);
    rs_run_outcome_free(o);
    fake_reset(&fake);
    rs_runner_free(r);
}

static void timeouts_cut_streams_and_resets_are_retried(void **state)
{
    (void)state;
    rs_runner *r = open_runner(400, 5, NULL);
    rs_error err = RS_ERROR_INIT;
    rs_run_outcome *o = NULL;
    rs_str seen = RS_STR_INIT;
    fake_reset(&fake);
    assert_int_equal(fake_script(&fake, "slow:3000\ncut\nreset\nerror-event\n"), 0);
    rs_run_request q = request("anthropic/claude-sonnet-4-5", NULL);
    q.stream = 1;
    assert_rs_ok(rs_run(r, &q, &o, &err), &err);
    assert_string_equal(o->text, "Hello from the fake anthropic.");
    assert_int_equal(o->attempts, 5);
    assert_true(o->ttft_ms >= 0);
    cJSON *row = logged(o->run_id);
    assert_string_equal(str(attempt(row, 0), "error_class"), "timeout");
    assert_string_equal(str(attempt(row, 1), "error_class"), "stream");
    assert_string_equal(str(attempt(row, 2), "error_class"), "network");
    assert_string_equal(str(attempt(row, 3), "error_class"), "overloaded"); /* error event */
    assert_int_equal(num(attempt(row, 3), "http_status"), 200);
    cJSON_Delete(row);
    rs_str_free(&seen);
    rs_run_outcome_free(o);
    rs_runner_free(r);
}

static void non_retryable_classes_give_up(void **state)
{
    (void)state;
    static const char *const scripts[] = {"quota", "status:400", "malformed"};
    static const char *const classes[] = {"quota", "bad_request", "decode"};
    rs_runner *r = open_runner(5000, 3, NULL);
    for (size_t i = 0; i < 3; i++) {
        rs_error err = RS_ERROR_INIT;
        rs_run_outcome *o = NULL;
        fake_reset(&fake);
        assert_int_equal(fake_script(&fake, scripts[i]), 0);
        rs_run_request q = request("openai/gpt-4o-mini", NULL);
        assert_int_equal(rs_run(r, &q, &o, &err), RS_EPROVIDER);
        assert_string_equal(o->error_class, classes[i]);
        assert_int_equal(o->attempts, 1);
        assert_int_equal(fake_requests(&fake), 1);
        rs_run_outcome_free(o);
    }
    rs_runner_free(r);
}

static void offline_route_falls_back_in_process(void **state)
{
    (void)state;
    rs_runner *r = open_runner(0, 2, NULL);
    rs_error err = RS_ERROR_INIT;
    rs_run_outcome *o = NULL;
    rs_run_request q = request(NULL, "offline");
    assert_rs_ok(rs_run(r, &q, &o, &err), &err);
    assert_string_equal(o->text, "MY INVOICE IS WRONG");
    assert_int_equal(o->attempts, 3); /* overloaded twice (retryable), then the next target */
    rs_run_outcome_free(o);
    rs_runner_free(r);
}

static void unknown_model_cost_is_unknown(void **state)
{
    (void)state;
    rs_runner *r = open_runner(5000, 1, NULL);
    rs_error err = RS_ERROR_INIT;
    rs_run_outcome *o = NULL;
    fake_reset(&fake);
    rs_run_request q = request("openai/no-such-model-xyz", NULL);
    assert_rs_ok(rs_run(r, &q, &o, &err), &err);
    assert_int_equal(o->cost_known, 0);
    assert_non_null(o->warning);
    cJSON *row = logged(o->run_id);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(row, "cost_usd")));
    cJSON_Delete(row);
    rs_run_outcome_free(o);
    rs_runner_free(r);
}

typedef struct tally {
    int n, ok;
    size_t seen[256];
} tally;

static void count(void *ud, const rs_run_outcome *o)
{
    tally *t = ud;
    if (o->index < 256)
        t->seen[o->index]++;
    t->n++;
    t->ok += o->ok;
}

static void batch_runs_concurrently(void **state)
{
    (void)state;
    enum { N = 120 };
    rs_runner *r = open_runner(5000, 3, NULL);
    rs_error err = RS_ERROR_INIT;
    rs_run_request qs[N];
    for (int i = 0; i < N; i++)
        qs[i] = request(i % 3 == 0   ? "mock/echo"
                        : i % 3 == 1 ? "openai/gpt-4o-mini"
                                     : "anthropic/claude-sonnet-4-5",
                        NULL);
    qs[5].stream = 1;
    tally t;
    memset(&t, 0, sizeof t);
    fake_reset(&fake);
    assert_int_equal(fake_script(&fake, "status:429,retry-after-ms:10\n"), 0);
    assert_rs_ok(rs_run_batch(r, qs, N, 16, count, &t, &err), &err);
    assert_int_equal(t.n, N);
    assert_int_equal(t.ok, N);
    for (int i = 0; i < N; i++)
        assert_int_equal(t.seen[i], 1);
    assert_int_equal(fake_requests(&fake), N / 3 * 2 + 1);
    rs_runner_free(r);
}

typedef struct ids {
    long long id[256];
    int ok[256];
    int n;
} ids;

static void keep_id(void *ud, const rs_run_outcome *o)
{
    ids *t = ud;
    if (o->index < 256) {
        t->id[o->index] = o->run_id;
        t->ok[o->index] = o->ok;
    }
    t->n++;
}

/*
 * A batch's runs are written in groups (one transaction for all those finished meanwhile). A
 * row the log rejects (here a trigger refuses one input) fails its whole group; the others of
 * the group must still be written, and the rejected run reported as not logged, never dropped
 * in silence.
 */
static void group_commit_keeps_every_run(void **state)
{
    (void)state;
    enum { N = 200 };
    rs_error err = RS_ERROR_INIT;
    rs_runlog *log = NULL;
    assert_rs_ok(rs_runlog_open(&log, log_path, &err), &err);
    assert_rs_ok(rs_runlog_exec(log,
                                "CREATE TRIGGER test_reject BEFORE INSERT ON runs"
                                " WHEN NEW.input LIKE '%poison%'"
                                " BEGIN SELECT RAISE(ABORT, 'rejected by the test'); END",
                                &err),
                 &err);
    FILE *warn = tmpfile();
    assert_non_null(warn);
    rs_runner *r = NULL;
    rs_runner_opts ro = RS_RUNNER_OPTS_INIT;
    ro.log_path = log_path;
    ro.seed = 1234;
    ro.warnings = warn;
    assert_rs_ok(rs_runner_open(&r, &ro, &err), &err);
    rs_run_request qs[N];
    for (int i = 0; i < N; i++)
        qs[i] = request("mock/echo", NULL);
    qs[77].vars_json = "{\"ticket\":\"poison\"}";
    ids t;
    memset(&t, 0, sizeof t);
    assert_rs_ok(rs_run_batch(r, qs, N, 64, keep_id, &t, &err), &err);
    assert_int_equal(t.n, N);
    for (int i = 0; i < N; i++) {
        assert_true(t.ok[i]); /* the answers all arrived: only the log refused one */
        if (i == 77) {
            assert_true(t.id[i] < 0);
            continue;
        }
        assert_true(t.id[i] > 0);
        for (int j = 0; j < i; j++)
            assert_true(t.id[j] != t.id[i]);
    }
    cJSON *row = logged(t.id[N - 1]);
    assert_string_equal(str(row, "status"), "ok");
    assert_string_equal(str(row, "output"), "my invoice is wrong");
    cJSON_Delete(row);
    char buf[4096];
    size_t got = (rewind(warn), fread(buf, 1, sizeof buf - 1, warn));
    buf[got] = '\0';
    assert_non_null(strstr(buf, "could not be logged"));
    assert_non_null(strstr(buf, "rejected by the test"));
    fclose(warn);
    rs_runner_free(r);
    assert_rs_ok(rs_runlog_exec(log, "DROP TRIGGER test_reject", &err), &err);
    rs_runlog_close(log);
}

static volatile sig_atomic_t stop_flag;

static void *stop_soon(void *arg)
{
    (void)arg;
    struct timespec ts = {0, 300 * 1000 * 1000};
    nanosleep(&ts, NULL);
    stop_flag = 1;
    return NULL;
}

static void interruption_is_logged(void **state)
{
    (void)state;
    stop_flag = 0;
    rs_runner *r = open_runner(10000, 3, &stop_flag);
    rs_error err = RS_ERROR_INIT;
    rs_run_outcome *o = NULL;
    fake_reset(&fake);
    assert_int_equal(fake_script(&fake, "slow:5000\n"), 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, stop_soon, NULL), 0);
    rs_run_request q = request("openai/gpt-4o-mini", NULL);
    assert_int_equal(rs_run(r, &q, &o, &err), RS_EINTERRUPTED);
    pthread_join(th, NULL);
    assert_non_null(o);
    assert_string_equal(o->error_class, "interrupted");
    assert_true(o->latency_ms < 3000);
    cJSON *row = logged(o->run_id);
    assert_string_equal(str(row, "status"), "error");
    assert_string_equal(str(row, "error_class"), "interrupted");
    cJSON_Delete(row);
    rs_run_outcome_free(o);
    fake_reset(&fake);
    rs_runner_free(r);
}

static void *stop_batch_soon(void *arg)
{
    (void)arg;
    struct timespec ts = {0, 130 * 1000 * 1000};
    nanosleep(&ts, NULL);
    stop_flag = 1;
    return NULL;
}

/* Interrupting a batch (SIGINT sets the flag) still writes every run that finished or was in
 * flight, including those queued for the logger thread and not yet written. */
static void interrupted_batch_flushes_the_log(void **state)
{
    (void)state;
    enum { N = 200 };
    stop_flag = 0;
    rs_error err = RS_ERROR_INIT;
    rs_runner *r = NULL;
    rs_runner_opts ro = RS_RUNNER_OPTS_INIT;
    ro.log_path = log_path;
    ro.seed = 1234;
    ro.warnings = stderr;
    ro.cancel = &stop_flag;
    ro.mock_latency_ms = 50; /* rounds of 16 every 50 ms: the stop lands mid-batch */
    assert_rs_ok(rs_runner_open(&r, &ro, &err), &err);
    rs_run_request qs[N];
    for (int i = 0; i < N; i++)
        qs[i] = request("mock/echo", NULL);
    ids t;
    memset(&t, 0, sizeof t); /* id 0 = never delivered (not started before the stop) */
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, stop_batch_soon, NULL), 0);
    assert_int_equal(rs_run_batch(r, qs, N, 16, keep_id, &t, &err), RS_EINTERRUPTED);
    pthread_join(th, NULL);
    assert_true(t.n >= 16 && t.n < N); /* at least the 16 in flight, not all started */
    int interrupted = 0;
    for (int i = 0; i < N; i++) {
        if (t.id[i] == 0)
            continue;
        assert_true(t.id[i] > 0); /* every delivered run was written */
        cJSON *row = logged(t.id[i]);
        if (!t.ok[i]) {
            assert_string_equal(str(row, "error_class"), "interrupted");
            interrupted++;
        }
        cJSON_Delete(row);
    }
    assert_true(interrupted >= 1 && interrupted <= 16);
    stop_flag = 0;
    rs_runner_free(r);
}

static void input_errors_send_nothing(void **state)
{
    (void)state;
    rs_runner *r = open_runner(5000, 3, NULL);
    rs_error err = RS_ERROR_INIT;
    rs_run_outcome *o = NULL;
    write_file("broken.prompt", "---\nmodel: x\n---\n{{#each items}}never closed\n");
    rs_run_request q = RS_RUN_REQUEST_INIT;
    q.source = "broken.prompt";
    q.target = "openai/gpt-4o-mini";
    fake_reset(&fake);
    int rc = rs_run(r, &q, &o, &err);
    assert_true(rc == RS_ESYNTAX || rc == RS_ERENDER);
    assert_non_null(strstr(err.file, "broken.prompt"));
    assert_int_equal(fake_requests(&fake), 0);
    rs_run_outcome_free(o);
    q.source = "missing.prompt";
    assert_int_not_equal(rs_run(r, &q, NULL, &err), 0);
    q = request(NULL, "no-such-route");
    assert_int_equal(rs_run(r, &q, NULL, &err), RS_ENOTFOUND);
    assert_non_null(strstr(err.message, "resilient"));
    rs_runner_free(r);
}

/* Every allocation failure on the run path is reported as RS_ENOMEM (or absorbed), never a
 * crash or a leak (ASan checks the leaks). */
static void out_of_memory_is_reported(void **state)
{
    (void)state;
    rs_runner *r = open_runner(5000, 1, NULL);
    int saw_enomem = 0, saw_ok = 0;
    long n = 0;
    for (; n < 5000 && !saw_ok; n++) {
        rs_error err = RS_ERROR_INIT;
        rs_run_outcome *o = NULL;
        rs_run_request q = request("mock/json", NULL);
        rs_alloc_fail_after(n);
        int rc = rs_run(r, &q, &o, &err);
        rs_alloc_fail_after(-1);
        if (rc != 0 && rc != RS_ENOMEM)
            fail_msg("allocation %ld failing gave %s: %s", n, rs_error_name(rc), err.message);
        saw_enomem |= rc == RS_ENOMEM;
        saw_ok |= rc == 0;
        rs_run_outcome_free(o);
    }
    print_message("a run survived %ld failing allocation points\n", n - 1);
    assert_true(saw_enomem);
    assert_true(saw_ok);
    rs_runner_free(r);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_run FAKE_PROVIDER_BINARY\n");
        return 2;
    }
    fake_binary = argv[1];
    if (fake_start(&fake, fake_binary, NULL) != 0) {
        fprintf(stderr, "test_run: cannot start the fake provider %s\n", fake_binary);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mock_is_deterministic_and_logged),
        cmocka_unit_test(retries_honour_hints_then_succeed),
        cmocka_unit_test(auth_failure_falls_back_with_the_targets_variant),
        cmocka_unit_test(every_attempt_failing_is_still_logged),
        cmocka_unit_test(timeouts_cut_streams_and_resets_are_retried),
        cmocka_unit_test(non_retryable_classes_give_up),
        cmocka_unit_test(offline_route_falls_back_in_process),
        cmocka_unit_test(unknown_model_cost_is_unknown),
        cmocka_unit_test(batch_runs_concurrently),
        cmocka_unit_test(group_commit_keeps_every_run),
        cmocka_unit_test(interruption_is_logged),
        cmocka_unit_test(interrupted_batch_flushes_the_log),
        cmocka_unit_test(input_errors_send_nothing),
        cmocka_unit_test(out_of_memory_is_reported),
    };
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    fake_stop(&fake);
    return failed ? 1 : 0;
}
