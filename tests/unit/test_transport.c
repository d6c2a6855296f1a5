/*
 * Unit tests for providers/transport.c against the fake provider (tests/fakes/fake_provider.c):
 * every dialect streamed and not, each fault's error class and retry hint, connection reuse,
 * concurrency, and key redaction in --verbose traces.
 * argv[1] = the fake_provider binary.
 */
#include "test_helpers.h"

#include "fakes/fake_client.h"

#include "providers/provider.h"
#include "providers/transport.h"
#include "util/alloc.h"
#include "util/json.h"
#include "util/str.h"

#include <pthread.h>

static const char *fake_binary;
static fake_server fake;
static const char *const SECRET = "sk-test-SECRET-0123456789abcdef";

typedef struct ctx {
    rs_transport *t;
    rs_request req;
    rs_exchange x;
} ctx;

static int setup(void **state)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", fake.port);
    setenv("OPENAI_BASE_URL", url, 1);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", fake.port);
    setenv("ANTHROPIC_BASE_URL", url, 1);
    setenv("OLLAMA_HOST", url, 1);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1beta", fake.port);
    setenv("GEMINI_BASE_URL", url, 1);
    setenv("OPENAI_API_KEY", SECRET, 1);
    setenv("ANTHROPIC_API_KEY", SECRET, 1);
    setenv("GEMINI_API_KEY", SECRET, 1);
    /* libcurl initialises itself on first use; this binary is single-threaded. */
    *state = NULL;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fake_stop(&fake);
    return 0;
}

/* Build the request for provider with the prompt "Say hi." */
static void build(rs_request *req, const char *provider, const char *model, int stream)
{
    rs_error err = RS_ERROR_INIT;
    rs_service svc;
    cJSON *rendered = NULL;
    const char *doc = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Say hi.\"}]}]}";
    assert_rs_ok(rs_json_parse(&rendered, doc, strlen(doc), NULL, &err), &err);
    assert_rs_ok(rs_service_lookup(&svc, provider, NULL, &err), &err);
    rs_encode_opts eo = RS_ENCODE_OPTS_INIT;
    eo.stream = stream;
    rs_request_init(req);
    assert_rs_ok(rs_request_build(req, &svc, model, rendered, &eo, 1, &err), &err);
    req->stream = stream;
    cJSON_Delete(rendered);
}

static const rs_dialect *dialect_of(const char *provider)
{
    rs_service svc;
    rs_error err = RS_ERROR_INIT;
    assert_rs_ok(rs_service_lookup(&svc, provider, NULL, &err), &err);
    return svc.dialect;
}

typedef struct texts {
    rs_str s;
    int calls;
} texts;

static void collect(void *ud, const char *t, size_t n)
{
    texts *tx = ud;
    rs_str_append(&tx->s, t, n);
    tx->calls++;
}

/* One exchange with a scripted fault; returns rc; x is the caller's (reset afterwards). */
static int one(rs_transport *t, rs_exchange *x, rs_request *req, const char *provider,
               const char *model, int stream, const char *script, long timeout_ms, texts *tx)
{
    if (script)
        assert_int_equal(fake_script(&fake, script), 0);
    build(req, provider, model, stream);
    rs_exchange_init(x);
    x->req = req;
    x->dialect = dialect_of(provider);
    x->timeout_ms = timeout_ms;
    if (tx) {
        x->on_text = collect;
        x->text_ud = tx;
    }
    return rs_transport_perform(t, x, NULL);
}

static void every_dialect_answers(void **state)
{
    (void)state;
    static const struct {
        const char *provider, *model, *text;
    } cases[] = {
        {"openai", "gpt-4o-mini", "Hello from the fake openai."},
        {"openai-responses", "gpt-4o-mini", "Hello from the fake responses."},
        {"anthropic", "claude-sonnet-4-5", "Hello from the fake anthropic."},
        {"gemini", "gemini-2.5-flash", "Hello from the fake gemini."},
        {"ollama", "llama3.2", "Hello from the fake ollama."},
    };
    rs_error err = RS_ERROR_INIT;
    rs_transport *t = NULL;
    assert_rs_ok(rs_transport_new(&t, NULL, &err), &err);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int stream = 0; stream <= 1; stream++) {
            rs_exchange x;
            rs_request req;
            texts tx = {RS_STR_INIT, 0};
            int rc = one(t, &x, &req, cases[i].provider, cases[i].model, stream, NULL, 5000, &tx);
            if (rc != 0)
                print_error("%s stream=%d: %s\n", cases[i].provider, stream, x.err.message);
            assert_int_equal(rc, 0);
            assert_int_equal(x.http_status, 200);
            assert_string_equal(rs_str_cstr(&x.result.text), cases[i].text);
            assert_string_equal(rs_str_cstr(&tx.s), cases[i].text); /* on_text saw it all */
            if (stream)
                assert_true(tx.calls >= 3); /* pieces, as they arrived */
            assert_int_equal(x.result.usage.input, 12);
            assert_int_equal(x.result.usage.output, 5);
            assert_int_equal(x.result.finish, RS_FINISH_STOP);
            assert_true(x.ttft_ms >= 0 && x.ttft_ms <= x.latency_ms);
            rs_str_free(&tx.s);
            rs_exchange_reset(&x);
            rs_request_free(&req);
        }
    }
    rs_transport_free(t);
}

typedef struct fault_case {
    const char *provider, *model;
    int stream;
    const char *script;
    long timeout_ms;
    rs_fail_class cls;
    int http;
    long hint_min, hint_max; /* pe.retry_after_ms range; -1,-1 = none */
    int should_retry;
} fault_case;

static void faults_are_classified(void **state)
{
    (void)state;
    static const fault_case cases[] = {
        {"openai", "m", 0, "status:429,retry-after:2", 5000, RS_FAIL_RATE_LIMIT, 429, 2000, 2000,
         -1},
        {"openai", "m", 0, "status:429,retry-after-ms:150", 5000, RS_FAIL_RATE_LIMIT, 429, 150, 150,
         -1},
        {"anthropic", "m", 0, "status:429,retry-after-date:3", 5000, RS_FAIL_RATE_LIMIT, 429, 1000,
         3000, -1},
        {"gemini", "m", 0, "status:429,retryinfo:7", 5000, RS_FAIL_RATE_LIMIT, 429, 7000, 7000, -1},
        {"openai", "m", 0, "quota", 5000, RS_FAIL_QUOTA, 429, -1, -1, -1},
        {"openai", "m", 0, "status:500", 5000, RS_FAIL_SERVER, 500, -1, -1, -1},
        {"openai", "m", 0, "status:502", 5000, RS_FAIL_SERVER, 502, -1, -1, -1},
        {"openai", "m", 0, "status:503", 5000, RS_FAIL_OVERLOADED, 503, -1, -1, -1},
        {"openai", "m", 0, "status:504", 5000, RS_FAIL_SERVER, 504, -1, -1, -1},
        {"anthropic", "m", 0, "status:529,should-retry:true", 5000, RS_FAIL_OVERLOADED, 529, -1, -1,
         1},
        {"anthropic", "m", 0, "status:400", 5000, RS_FAIL_BAD_REQUEST, 400, -1, -1, -1},
        {"openai", "m", 0, "status:401", 5000, RS_FAIL_AUTH, 401, -1, -1, -1},
        {"openai", "m", 0, "malformed", 5000, RS_FAIL_DECODE, 200, -1, -1, -1},
        {"openai", "m", 1, "cut", 5000, RS_FAIL_STREAM, 200, -1, -1, -1},
        {"anthropic", "m", 1, "cut", 5000, RS_FAIL_STREAM, 200, -1, -1, -1},
        {"anthropic", "m", 1, "error-event", 5000, RS_FAIL_OVERLOADED, 200, -1, -1, -1},
        {"ollama", "m", 1, "error-event", 5000, RS_FAIL_STREAM, 200, -1, -1, -1},
        {"openai", "m", 0, "slow:3000", 300, RS_FAIL_TIMEOUT, 0, -1, -1, -1},
        {"openai", "m", 0, "reset", 5000, RS_FAIL_NETWORK, 0, -1, -1, -1},
        {"openai", "m", 0, "status:503,should-retry:false", 5000, RS_FAIL_OVERLOADED, 503, -1, -1,
         0},
    };
    rs_error err = RS_ERROR_INIT;
    rs_transport *t = NULL;
    assert_rs_ok(rs_transport_new(&t, NULL, &err), &err);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const fault_case *c = &cases[i];
        rs_exchange x;
        rs_request req;
        int rc = one(t, &x, &req, c->provider, c->model, c->stream, c->script, c->timeout_ms, NULL);
        print_message("%s %s -> rc %d class %s http %d hint %ld: %s\n", c->provider, c->script, rc,
                      rs_fail_class_name(x.pe.cls), x.http_status, x.pe.retry_after_ms,
                      x.err.message);
        assert_int_equal(rc, RS_EPROVIDER);
        if (x.pe.cls != c->cls)
            fail_msg("%s '%s': class %s, expected %s", c->provider, c->script,
                     rs_fail_class_name(x.pe.cls), rs_fail_class_name(c->cls));
        assert_int_equal(x.http_status, c->http);
        if (c->hint_min < 0)
            assert_true(x.pe.retry_after_ms < 0 || c->cls == RS_FAIL_OVERLOADED);
        else
            assert_true(x.pe.retry_after_ms >= c->hint_min && x.pe.retry_after_ms <= c->hint_max);
        assert_int_equal(x.should_retry, c->should_retry);
        assert_null(strstr(x.err.message, SECRET));
        assert_null(strstr(x.pe.message, SECRET));
        rs_exchange_reset(&x);
        rs_request_free(&req);
    }
    rs_transport_free(t);
}

/* The fake can also be scripted by a request header (x-fake-script), for a client that cannot
 * reach its control endpoint. */
static void header_scripts_the_fake(void **state)
{
    (void)state;
    rs_error err = RS_ERROR_INIT;
    rs_transport *t = NULL;
    assert_rs_ok(rs_transport_new(&t, NULL, &err), &err);
    rs_request req;
    build(&req, "openai", "m", 0);
    char *h = rs_strdup("x-fake-script: status:503,retry-after:4");
    assert_non_null(h);
    assert_int_equal(rs_vec_push(&req.headers, &h), 0);
    rs_exchange x;
    rs_exchange_init(&x);
    x.req = &req;
    x.dialect = dialect_of("openai");
    x.timeout_ms = 5000;
    assert_int_equal(rs_transport_perform(t, &x, NULL), RS_EPROVIDER);
    assert_int_equal(x.http_status, 503);
    assert_int_equal(x.pe.cls, RS_FAIL_OVERLOADED);
    assert_int_equal(x.pe.retry_after_ms, 4000);
    rs_exchange_reset(&x);
    rs_request_free(&req);
    rs_transport_free(t);
}

static void connections_are_reused(void **state)
{
    (void)state;
    rs_error err = RS_ERROR_INIT;
    rs_transport *t = NULL;
    assert_rs_ok(rs_transport_new(&t, NULL, &err), &err);
    for (int i = 0; i < 3; i++) {
        rs_exchange x;
        rs_request req;
        assert_int_equal(one(t, &x, &req, "openai", "m", i == 1, NULL, 5000, NULL), 0);
        assert_int_equal(x.reused_conn, i > 0); /* keep-alive: one connection for all three */
        assert_string_equal(x.http_version, "1.1");
        rs_exchange_reset(&x);
        rs_request_free(&req);
    }
    rs_transport_free(t);
}

typedef struct counter {
    int done, ok;
} counter;

static void count_done(rs_exchange *x, void *ud)
{
    counter *c = ud;
    c->done++;
    c->ok += x->rc == 0;
}

static void many_in_flight(void **state)
{
    (void)state;
    enum { N = 64 };
    rs_error err = RS_ERROR_INIT;
    rs_transport *t = NULL;
    assert_rs_ok(rs_transport_new(&t, NULL, &err), &err);
    rs_exchange *xs = rs_calloc(N, sizeof *xs);
    rs_request *reqs = rs_calloc(N, sizeof *reqs);
    assert_non_null(xs);
    assert_non_null(reqs);
    counter c = {0, 0};
    assert_int_equal(fake_control(&fake, "POST", "/_fake/reset", "", NULL, 0), 0);
    for (int i = 0; i < N; i++) {
        build(&reqs[i], i % 2 ? "anthropic" : "openai", "m", i % 3 == 0);
        rs_exchange_init(&xs[i]);
        xs[i].req = &reqs[i];
        xs[i].dialect = dialect_of(i % 2 ? "anthropic" : "openai");
        xs[i].timeout_ms = 10000;
        xs[i].done = count_done;
        xs[i].done_ud = &c;
        assert_rs_ok(rs_transport_add(t, &xs[i], &err), &err);
    }
    assert_int_equal((int)rs_transport_pending(t), N);
    while (rs_transport_pending(t) > 0)
        assert_true(rs_transport_step(t, 100, &err) >= 0);
    assert_int_equal(c.done, N);
    assert_int_equal(c.ok, N);
    assert_int_equal(fake_requests(&fake), N);
    for (int i = 0; i < N; i++) {
        rs_exchange_reset(&xs[i]);
        rs_request_free(&reqs[i]);
    }
    rs_free(xs);
    rs_free(reqs);
    rs_transport_free(t);
}

/* rs_transport_add sends at once over a kept-alive connection: the fake has the request before
 * anyone stepped the engine (a request started from a `done` callback must not wait for the
 * rest of a wave of answers to be handled). */
static void added_request_leaves_at_once(void **state)
{
    (void)state;
    rs_error err = RS_ERROR_INIT;
    rs_transport *t = NULL;
    assert_rs_ok(rs_transport_new(&t, NULL, &err), &err);
    rs_exchange x;
    rs_request req;
    assert_int_equal(one(t, &x, &req, "openai", "m", 0, NULL, 5000, NULL), 0);
    rs_exchange_reset(&x);
    rs_request_free(&req);
    assert_int_equal(fake_control(&fake, "POST", "/_fake/reset", "", NULL, 0), 0);
    build(&req, "openai", "m", 0);
    x.req = &req;
    x.dialect = dialect_of("openai");
    x.timeout_ms = 5000;
    assert_rs_ok(rs_transport_add(t, &x, &err), &err);
    assert_int_equal(fake_requests(&fake), 1); /* no step yet */
    while (rs_transport_pending(t) > 0)
        assert_true(rs_transport_step(t, 100, &err) >= 0);
    assert_int_equal(x.rc, 0);
    assert_int_equal(x.reused_conn, 1);
    rs_exchange_reset(&x);
    rs_request_free(&req);
    rs_transport_free(t);
}

typedef struct chain {
    rs_transport *t;
    rs_request *req;
    const rs_dialect *d;
    int left, done, ok, add_failed;
} chain;

static void chain_done(rs_exchange *x, void *ud)
{
    chain *c = ud;
    c->done++;
    c->ok += x->rc == 0;
    if (c->left == 0)
        return;
    c->left--;
    rs_exchange_reset(x);
    x->req = c->req;
    x->dialect = c->d;
    x->timeout_ms = 10000;
    x->done = chain_done;
    x->done_ud = c;
    rs_error err = RS_ERROR_INIT;
    if (rs_transport_add(c->t, x, &err) != 0)
        c->add_failed++;
}

/* `done` callbacks start the next exchange on their own slot (as a batch does): 8 slots, 40
 * exchanges, each answered after 5 ms; every one completes once, none is lost or doubled. */
static void done_callbacks_start_the_next(void **state)
{
    (void)state;
    enum { SLOTS = 8, TOTAL = 40 };
    rs_error err = RS_ERROR_INIT;
    chain c = {0};
    rs_request req;
    rs_exchange xs[SLOTS];
    assert_rs_ok(rs_transport_new(&c.t, NULL, &err), &err);
    assert_int_equal(fake_control(&fake, "POST", "/_fake/reset", "", NULL, 0), 0);
    for (int i = 0; i < TOTAL; i++)
        assert_int_equal(fake_script(&fake, "latency:5"), 0);
    build(&req, "openai", "m", 0);
    c.req = &req;
    c.d = dialect_of("openai");
    c.left = TOTAL - SLOTS;
    for (int i = 0; i < SLOTS; i++) {
        rs_exchange_init(&xs[i]);
        xs[i].req = &req;
        xs[i].dialect = c.d;
        xs[i].timeout_ms = 10000;
        xs[i].done = chain_done;
        xs[i].done_ud = &c;
        assert_rs_ok(rs_transport_add(c.t, &xs[i], &err), &err);
    }
    while (rs_transport_pending(c.t) > 0)
        assert_true(rs_transport_step(c.t, 100, &err) >= 0);
    assert_int_equal(c.add_failed, 0);
    assert_int_equal(c.done, TOTAL);
    assert_int_equal(c.ok, TOTAL);
    assert_int_equal(fake_requests(&fake), TOTAL);
    for (int i = 0; i < SLOTS; i++)
        rs_exchange_reset(&xs[i]);
    rs_request_free(&req);
    rs_transport_free(c.t);
}

static void *wake_later(void *arg)
{
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    rs_transport_wakeup(arg);
    return NULL;
}

/* rs_transport_wakeup from another thread ends a step waiting with nothing in flight (the
 * runner's logger wakes the network loop this way). */
static void wakeup_ends_a_wait(void **state)
{
    (void)state;
    rs_error err = RS_ERROR_INIT;
    rs_transport *t = NULL;
    assert_rs_ok(rs_transport_new(&t, NULL, &err), &err);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, wake_later, t), 0);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    assert_int_equal(rs_transport_step(t, 60000, &err), 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    pthread_join(th, NULL);
    assert_true(b.tv_sec - a.tv_sec < 30); /* woken, not timed out after 60 s */
    rs_transport_free(t);
}

static void trace_redacts_keys(void **state)
{
    (void)state;
    static const char *const providers[] = {"openai", "anthropic", "gemini"};
    for (size_t p = 0; p < 3; p++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *tr = open_memstream(&buf, &len);
        assert_non_null(tr);
        rs_error err = RS_ERROR_INIT;
        rs_transport *t = NULL;
        rs_transport_opts o = RS_TRANSPORT_OPTS_INIT;
        o.trace = tr;
        assert_rs_ok(rs_transport_new(&t, &o, &err), &err);
        rs_exchange x;
        rs_request req;
        assert_int_equal(one(t, &x, &req, providers[p], "m", 1, NULL, 5000, NULL), 0);
        rs_exchange_reset(&x);
        rs_request_free(&req);
        rs_transport_free(t);
        fclose(tr);
        assert_non_null(strstr(buf, "[REDACTED]"));
        assert_non_null(strstr(buf, "Hello")); /* the trace does show the answer */
        if (strstr(buf, SECRET) || strstr(buf, "SECRET-0123"))
            fail_msg("%s: the key leaked into the trace:\n%s", providers[p], buf);
        free(buf);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_transport FAKE_PROVIDER_BINARY\n");
        return 2;
    }
    fake_binary = argv[1];
    if (fake_start(&fake, fake_binary, NULL) != 0) {
        fprintf(stderr, "test_transport: cannot start the fake provider %s\n", fake_binary);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_dialect_answers),
        cmocka_unit_test(faults_are_classified),
        cmocka_unit_test(header_scripts_the_fake),
        cmocka_unit_test(connections_are_reused),
        cmocka_unit_test(many_in_flight),
        cmocka_unit_test(trace_redacts_keys),
        cmocka_unit_test(added_request_leaves_at_once),
        cmocka_unit_test(done_callbacks_start_the_next),
        cmocka_unit_test(wakeup_ends_a_wait),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
