/*
 * tests/unit/test_decode.c - the decoding half: recorded transcripts of every dialect decoded
 * whole, byte by byte and in random chunks; SSE/NDJSON framing; error classification of each
 * provider's error bodies; retry hints; allocation failures.
 *
 * Transcripts live in tests/transcripts/<dialect>-<case>.{sse,ndjson,json} with the expected
 * result in <dialect>-<case>.expect.json:
 *   {"text", "tool_calls":[{"id","name","arguments"}], "finish", "finish_raw",
 *    "usage":{"input","output","cached","reasoning"}, "model"}   or   {"error":"<class>", "text"}
 * Every key is optional; what is given must match exactly.
 */
#include "test_helpers.h"

#include "providers/decode.h"
#include "providers/retry_hint.h"
#include "providers/sse.h"
#include "util/alloc.h"
#include "util/file.h"
#include "util/json.h"

#include <dirent.h>

/* ---------- the dialects under test (the tables in dialects.c point at the same functions) */

#define DIALECT(n, prefix, nd)                                                                     \
    {                                                                                              \
        .name = n, .stream_ndjson = nd, .decode = prefix##_decode,                                 \
        .stream_event = prefix##_stream_event, .stream_free = prefix##_stream_free,                \
        .classify_error = prefix##_classify_error                                                  \
    }

static const rs_dialect d_openai = DIALECT("openai", rs_openai, 0);
static const rs_dialect d_responses = DIALECT("openai-responses", rs_openai_responses, 0);
static const rs_dialect d_anthropic = DIALECT("anthropic", rs_anthropic, 0);
static const rs_dialect d_gemini = DIALECT("gemini", rs_gemini, 0);
static const rs_dialect d_ollama = DIALECT("ollama", rs_ollama, 1);
static const rs_dialect d_mock = DIALECT("mock", rs_mock, 0);

static const rs_dialect *dialect_for(const char *file)
{
    static const struct {
        const char *prefix;
        const rs_dialect *d;
    } map[] = {{"openai-", &d_openai}, {"responses-", &d_responses}, {"anthropic-", &d_anthropic},
               {"gemini-", &d_gemini}, {"ollama-", &d_ollama},       {"mock-", &d_mock}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strncmp(file, map[i].prefix, strlen(map[i].prefix)) == 0)
            return map[i].d;
    return NULL;
}

static unsigned long long rng_state = 0x9E3779B97F4A7C15ull;

static unsigned rng_next(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state >> 32);
}

/* ---------- decoding one transcript ---------- */

typedef struct outcome {
    int rc;
    rs_provider_error pe;
    int first_token;
} outcome;

/* chunk: 0 = whole body at once, 1 = one byte at a time, -1 = random sizes (1..64, some large) */
static void decode_stream(const rs_dialect *d, const char *body, size_t len, int chunk,
                          rs_result *res, outcome *o)
{
    rs_error err = RS_ERROR_INIT;
    rs_stream_decoder dec;
    rs_stream_decoder_init(&dec, d, res, &o->pe);
    size_t off = 0;
    o->rc = 0;
    while (off < len && o->rc == 0) {
        size_t n = chunk == 0 ? len : chunk == 1 ? 1 : 1 + rng_next() % (rng_next() % 8 ? 16 : 700);
        if (n > len - off)
            n = len - off;
        o->rc = rs_stream_decoder_feed(&dec, body + off, n, &err);
        off += n;
    }
    if (o->rc == 0)
        o->rc = rs_stream_decoder_finish(&dec, &err);
    o->first_token = dec.st.got_first_token;
    if (o->rc)
        assert_true(err.message[0] != '\0');
    rs_stream_decoder_free(&dec);
}

static void check_usage(const rs_result *res, const cJSON *u, const char *what)
{
    const char *names[] = {"input", "output", "cached", "reasoning"};
    long got[] = {res->usage.input, res->usage.output, res->usage.cached, res->usage.reasoning};
    for (int i = 0; i < 4; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(u, names[i]);
        if (!v)
            continue;
        if ((long)v->valuedouble != got[i]) {
            print_error("%s: usage.%s = %ld, expected %ld\n", what, names[i], got[i],
                        (long)v->valuedouble);
            fail();
        }
    }
}

static void check(const char *what, const cJSON *exp, const rs_result *res, const outcome *o)
{
    const char *want_err = rs_json_string(exp, "error");
    const char *want_text = rs_json_string(exp, "text");
    if (want_err) {
        if (o->rc != RS_EPROVIDER || strcmp(rs_fail_class_name(o->pe.cls), want_err) != 0) {
            print_error("%s: expected failure '%s', got rc %d class %s (%s)\n", what, want_err,
                        o->rc, rs_fail_class_name(o->pe.cls), o->pe.message);
            fail();
        }
    } else if (o->rc != 0) {
        print_error("%s: failed: %d %s %s\n", what, o->rc, rs_fail_class_name(o->pe.cls),
                    o->pe.message);
        fail();
    }
    if (want_text && strcmp(want_text, rs_str_cstr(&res->text)) != 0) {
        print_error("%s: text '%s', expected '%s'\n", what, rs_str_cstr(&res->text), want_text);
        fail();
    }
    if (want_err)
        return;
    const char *finish = rs_json_string(exp, "finish");
    if (finish)
        assert_string_equal(rs_finish_name(res->finish), finish);
    const char *raw = rs_json_string(exp, "finish_raw");
    if (raw)
        assert_string_equal(res->finish_raw, raw);
    const char *model = rs_json_string(exp, "model");
    if (model)
        assert_string_equal(res->response_model, model);
    check_usage(res, cJSON_GetObjectItemCaseSensitive(exp, "usage"), what);
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(exp, "tool_calls");
    if (calls) {
        if ((size_t)cJSON_GetArraySize(calls) != res->tool_calls.len) {
            print_error("%s: %zu tool calls, expected %d\n", what, res->tool_calls.len,
                        cJSON_GetArraySize(calls));
            fail();
        }
        for (size_t i = 0; i < res->tool_calls.len; i++) {
            const rs_tool_call *tc = &RS_VEC_AT(&res->tool_calls, rs_tool_call, i);
            const cJSON *e = cJSON_GetArrayItem(calls, (int)i);
            assert_string_equal(tc->id, rs_json_string(e, "id"));
            assert_string_equal(tc->name, rs_json_string(e, "name"));
            cJSON *args = NULL;
            rs_error err = RS_ERROR_INIT;
            assert_rs_ok(rs_json_parse(&args, tc->args_json, strlen(tc->args_json), NULL, &err),
                         &err);
            if (!rs_json_equal(args, cJSON_GetObjectItemCaseSensitive(e, "arguments"))) {
                print_error("%s: call %zu arguments %s\n", what, i, tc->args_json);
                fail();
            }
            cJSON_Delete(args);
        }
    }
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static void run_transcript(const char *dir, const char *name, int *streams, int *responses)
{
    char path[2048], epath[2048], what[600];
    rs_error err = RS_ERROR_INIT;
    char *body = NULL;
    size_t len = 0;
    cJSON *exp = NULL;
    const rs_dialect *d = dialect_for(name);
    assert_non_null(d);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t base = strlen(name) - (ends_with(name, ".ndjson") ? 7 : ends_with(name, ".sse") ? 4 : 5);
    snprintf(epath, sizeof epath, "%s/%.*s.expect.json", dir, (int)base, name);
    assert_rs_ok(rs_file_read(&body, &len, path, &err), &err);
    assert_rs_ok(rs_json_parse_file(&exp, epath, &err), &err);
    int is_stream = !ends_with(name, ".json");
    int rounds = is_stream ? 40 : 1;
    for (int r = 0; r < rounds; r++) {
        rs_result res;
        outcome o;
        memset(&o, 0, sizeof o);
        rs_result_init(&res);
        if (is_stream) {
            int mode = r == 0 ? 0 : r == 1 ? 1 : -1;
            decode_stream(d, body, len, mode, &res, &o);
            snprintf(what, sizeof what, "%s (chunks: %s)", name,
                     mode == 0   ? "whole"
                     : mode == 1 ? "1 byte"
                                 : "random");
        } else {
            o.rc = d->decode(&res, &o.pe, body, len, &err);
            snprintf(what, sizeof what, "%s", name);
        }
        check(what, exp, &res, &o);
        if (is_stream && o.rc == 0 && (res.text.len || res.tool_calls.len))
            assert_true(o.first_token);
        rs_result_free(&res);
    }
    (*(is_stream ? streams : responses))++;
    cJSON_Delete(exp);
    rs_free(body);
}

static void test_transcripts(void **state)
{
    (void)state;
    char dir[1024];
    RS_SOURCE_PATH(dir, "tests/transcripts");
    DIR *dp = opendir(dir);
    assert_non_null(dp);
    struct dirent *de;
    int streams = 0, responses = 0;
    while ((de = readdir(dp)) != NULL) {
        if (de->d_name[0] == '.' || ends_with(de->d_name, ".expect.json"))
            continue;
        run_transcript(dir, de->d_name, &streams, &responses);
    }
    closedir(dp);
    print_message("decoded %d stream transcripts (x40 chunkings) and %d responses\n", streams,
                  responses);
    assert_true(streams >= 25);
    assert_true(responses >= 12);
}

/* ---------- SSE and NDJSON framing ---------- */

typedef struct collected {
    rs_str log;
    int n;
} collected;

static int collect(void *ud, const char *event, const char *data, size_t len, rs_error *err)
{
    (void)err;
    collected *c = ud;
    assert_int_equal(data[len], '\0');
    rs_str_appendf(&c->log, "[%s|%.*s]", event ? event : "-", (int)len, data);
    c->n++;
    return 0;
}

static void sse_case(const char *input, const char *want, int want_pending)
{
    /* the same input whole, and split at every position */
    for (size_t split = 0; split <= strlen(input); split++) {
        rs_sse_parser p;
        collected c = {RS_STR_INIT, 0};
        rs_error err = RS_ERROR_INIT;
        rs_sse_init(&p);
        assert_rs_ok(rs_sse_feed(&p, input, split, collect, &c, &err), &err);
        assert_rs_ok(rs_sse_feed(&p, input + split, strlen(input) - split, collect, &c, &err),
                     &err);
        assert_int_equal(rs_sse_finish(&p), want_pending);
        if (strcmp(rs_str_cstr(&c.log), want) != 0) {
            print_error("split %zu of \"%s\": got %s, want %s\n", split, input, rs_str_cstr(&c.log),
                        want);
            fail();
        }
        rs_str_free(&c.log);
        rs_sse_free(&p);
    }
}

static void test_sse_framing(void **state)
{
    (void)state;
    sse_case("data: a\n\n", "[-|a]", 0);
    sse_case("data:a\r\n\r\n", "[-|a]", 0);
    sse_case("data: a\r\rdata: b\r\r", "[-|a][-|b]", 0);
    sse_case(": comment\n\ndata: x\n: inner comment\ndata: y\n\n", "[-|x\ny]", 0);
    sse_case("event: message_start\ndata: {\"a\":1}\n\nevent: ping\ndata: {}\n\n",
             "[message_start|{\"a\":1}][ping|{}]", 0);
    sse_case("event: lonely\n\ndata: z\n\n", "[-|z]", 0); /* an event without data is dropped */
    sse_case("data\n\n", "[-|]", 0);                      /* a field with no colon: empty data */
    sse_case("data:  two spaces\n\n", "[-| two spaces]", 0);
    sse_case("id: 7\nretry: 100\ndata: d\n\n", "[-|d]", 0);
    sse_case("data: [DONE]\n\n", "[-|[DONE]]", 0);
    sse_case("data: complete\n\ndata: cut", "[-|complete]", 1);
    sse_case("data: no blank line\n", "", 1);
    sse_case("\n\n\r\n", "", 0);
}

static void test_sse_limit(void **state)
{
    (void)state;
    rs_sse_parser p;
    collected c = {RS_STR_INIT, 0};
    rs_error err = RS_ERROR_INIT;
    rs_sse_init(&p);
    p.data.max = 1000; /* a small limit for the test */
    char line[300];
    memset(line, 'x', sizeof line);
    memcpy(line, "data: ", 6);
    line[sizeof line - 1] = '\n';
    int rc = 0;
    for (int i = 0; i < 10 && rc == 0; i++)
        rc = rs_sse_feed(&p, line, sizeof line, collect, &c, &err);
    assert_int_equal(rc, RS_ELIMIT);
    assert_int_equal(rs_sse_feed(&p, "data: x\n\n", 9, collect, &c, &err), RS_ELIMIT);
    rs_str_free(&c.log);
    rs_sse_free(&p);
}

static void test_ndjson_framing(void **state)
{
    (void)state;
    const char *input = "{\"a\":1}\r\n\n  \n{\"b\":2}\n{\"c\":3}";
    for (size_t split = 0; split <= strlen(input); split++) {
        rs_ndjson_parser p;
        collected c = {RS_STR_INIT, 0};
        rs_error err = RS_ERROR_INIT;
        rs_ndjson_init(&p);
        assert_rs_ok(rs_ndjson_feed(&p, input, split, collect, &c, &err), &err);
        assert_rs_ok(rs_ndjson_feed(&p, input + split, strlen(input) - split, collect, &c, &err),
                     &err);
        assert_rs_ok(rs_ndjson_finish(&p, collect, &c, &err), &err);
        assert_string_equal(rs_str_cstr(&c.log), "[-|{\"a\":1}][-|{\"b\":2}][-|{\"c\":3}]");
        rs_str_free(&c.log);
        rs_ndjson_free(&p);
    }
}

/* Data after the terminal event is ignored; an error stops the decoder for good. */
static void test_stream_after_done(void **state)
{
    (void)state;
    rs_result res;
    rs_provider_error pe;
    rs_error err = RS_ERROR_INIT;
    rs_stream_decoder dec;
    rs_result_init(&res);
    rs_stream_decoder_init(&dec, &d_openai, &res, &pe);
    const char *s = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},"
                    "\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"
                    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"b\"}}]}\n\n";
    assert_rs_ok(rs_stream_decoder_feed(&dec, s, strlen(s), &err), &err);
    assert_rs_ok(rs_stream_decoder_finish(&dec, &err), &err);
    assert_string_equal(rs_str_cstr(&res.text), "a");
    rs_stream_decoder_free(&dec);
    rs_result_free(&res);

    rs_result_init(&res);
    rs_stream_decoder_init(&dec, &d_anthropic, &res, &pe);
    const char *bad = "event: message_start\ndata: {not json}\n\n";
    assert_int_equal(rs_stream_decoder_feed(&dec, bad, strlen(bad), &err), RS_EPROVIDER);
    assert_int_equal(pe.cls, RS_FAIL_DECODE);
    assert_int_equal(rs_stream_decoder_feed(&dec, "data: {}\n\n", 10, &err), RS_EPROVIDER);
    assert_int_equal(rs_stream_decoder_finish(&dec, &err), RS_EPROVIDER);
    rs_stream_decoder_free(&dec);
    rs_result_free(&res);
}

/* An event past the limit fails the stream as undecodable, with a class. */
static void test_stream_oversized(void **state)
{
    (void)state;
    rs_result res;
    rs_provider_error pe;
    rs_error err = RS_ERROR_INIT;
    rs_stream_decoder dec;
    rs_result_init(&res);
    rs_stream_decoder_init(&dec, &d_openai, &res, &pe);
    dec.sse.data.max = 64;
    const char *s = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"aaaaaaaaaaaaaaaaaaaa"
                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}}]}\n\n";
    assert_int_equal(rs_stream_decoder_feed(&dec, s, strlen(s), &err), RS_EPROVIDER);
    assert_int_equal(pe.cls, RS_FAIL_DECODE);
    assert_int_equal(err.code, RS_EPROVIDER);
    assert_non_null(strstr(pe.message, "larger than"));
    rs_stream_decoder_free(&dec);
    rs_result_free(&res);
}

/* ---------- classify_error ---------- */

typedef struct err_case {
    const rs_dialect *d;
    int status;
    const char *body;
    long hint;
    rs_fail_class cls;
    long want_ms;
    const char *msg_has;
} err_case;

static void test_classify_error(void **state)
{
    (void)state;
    const err_case cases[] = {
        /* OpenAI and compatible */
        {&d_openai, 429,
         "{\"error\":{\"message\":\"Rate limit reached for gpt-4o\",\"type\":\"requests\","
         "\"param\":null,\"code\":\"rate_limit_exceeded\"}}",
         2000, RS_FAIL_RATE_LIMIT, 2000, "rate_limit_exceeded: Rate limit reached"},
        {&d_openai, 429,
         "{\"error\":{\"message\":\"You exceeded your current quota\",\"type\":"
         "\"insufficient_quota\",\"param\":null,\"code\":\"insufficient_quota\"}}",
         -1, RS_FAIL_QUOTA, -1, "insufficient_quota"},
        {&d_openai, 401,
         "{\"error\":{\"message\":\"Incorrect API key provided: sk-abc***\","
         "\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}",
         -1, RS_FAIL_AUTH, -1, "HTTP 401"},
        {&d_openai, 400, "{\"error\":{\"message\":\"bad\",\"type\":\"invalid_request_error\"}}", -1,
         RS_FAIL_BAD_REQUEST, -1, "bad"},
        {&d_openai, 404, "{\"error\":{\"message\":\"model not found\"}}", -1, RS_FAIL_BAD_REQUEST,
         -1, "model not found"},
        {&d_openai, 500,
         "{\"error\":{\"message\":\"server had an error\",\"type\":\"server_error\"}}", -1,
         RS_FAIL_SERVER, -1, "server had an error"},
        {&d_openai, 502, "<html><body>502 Bad Gateway</body></html>\n<p>x</p>", -1, RS_FAIL_SERVER,
         -1, "HTTP 502: <html><body>502 Bad Gateway</body></html>"},
        {&d_openai, 503, "", 1000, RS_FAIL_OVERLOADED, 1000, "HTTP 503"},
        {&d_openai, 504, NULL, -1, RS_FAIL_SERVER, -1, "HTTP 504"},
        {&d_openai, 408, "{}", -1, RS_FAIL_TIMEOUT, -1, "HTTP 408"},
        {&d_openai, 413, "{}", -1, RS_FAIL_BAD_REQUEST, -1, "413"},
        /* Mistral */
        {&d_openai, 422,
         "{\"object\":\"error\",\"detail\":[{\"loc\":[\"body\",\"model\"],\"msg\":"
         "\"field required\",\"type\":\"missing\"}]}",
         -1, RS_FAIL_BAD_REQUEST, -1, "field required"},
        {&d_openai, 400,
         "{\"object\":\"error\",\"message\":\"Tool call id was abc but must be a-z, "
         "A-Z, 0-9, with a length of 9.\",\"type\":\"invalid_request_message_order\","
         "\"param\":null,\"code\":\"3230\"}",
         -1, RS_FAIL_BAD_REQUEST, -1, "length of 9"},
        /* DeepSeek, OpenRouter */
        {&d_openai, 402,
         "{\"error\":{\"message\":\"Insufficient Balance\",\"type\":"
         "\"unknown_error\"}}",
         -1, RS_FAIL_QUOTA, -1, "Insufficient Balance"},
        {&d_openai, 402, "{\"error\":{\"code\":402,\"message\":\"Insufficient credits\"}}", -1,
         RS_FAIL_QUOTA, -1, "Insufficient credits"},
        {&d_openai, 503, "{\"error\":{\"code\":503,\"message\":\"No instances available\"}}", 3000,
         RS_FAIL_OVERLOADED, 3000, "No instances"},
        /* Anthropic */
        {&d_anthropic, 529,
         "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
         "\"message\":\"Overloaded\"},\"request_id\":\"req_1\"}",
         -1, RS_FAIL_OVERLOADED, -1, "overloaded_error: Overloaded"},
        {&d_anthropic, 429,
         "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\","
         "\"message\":\"Number of request tokens has exceeded your per-minute "
         "rate limit\"}}",
         15000, RS_FAIL_RATE_LIMIT, 15000, "rate_limit_error"},
        {&d_anthropic, 429,
         "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\","
         "\"message\":\"spend limit\",\"details\":{\"error_code\":"
         "\"enforced_spend_limit_reached\"}}}",
         -1, RS_FAIL_QUOTA, -1, "enforced_spend_limit_reached"},
        {&d_anthropic, 400,
         "{\"type\":\"error\",\"error\":{\"type\":\"billing_error\","
         "\"message\":\"credit balance too low\"}}",
         -1, RS_FAIL_QUOTA, -1, "credit balance"},
        {&d_anthropic, 401,
         "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\","
         "\"message\":\"invalid x-api-key\"}}",
         -1, RS_FAIL_AUTH, -1, "authentication_error"},
        {&d_anthropic, 500,
         "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":"
         "\"Internal server error\"}}",
         -1, RS_FAIL_SERVER, -1, "api_error"},
        {&d_anthropic, 504,
         "{\"type\":\"error\",\"error\":{\"type\":\"timeout_error\",\"message\":"
         "\"Request timed out\"}}",
         -1, RS_FAIL_TIMEOUT, -1, "timeout_error"},
        {&d_anthropic, 409, "{}", -1, RS_FAIL_SERVER, -1, "409"},
        {&d_anthropic, 413,
         "{\"type\":\"error\",\"error\":{\"type\":\"request_too_large\","
         "\"message\":\"Request exceeds the maximum size\"}}",
         -1, RS_FAIL_BAD_REQUEST, -1, "request_too_large"},
        /* Gemini */
        {&d_gemini, 429,
         "{\"error\":{\"code\":429,\"message\":\"Resource has been exhausted\",\"status\":"
         "\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc."
         "QuotaFailure\",\"violations\":[]},{\"@type\":\"type.googleapis.com/"
         "google.rpc.RetryInfo\","
         "\"retryDelay\":\"1.5s\"}]}}",
         -1, RS_FAIL_RATE_LIMIT, 1500, "RESOURCE_EXHAUSTED: Resource has been exhausted"},
        {&d_gemini, 429,
         "{\"error\":{\"code\":429,\"message\":\"x\",\"status\":\"RESOURCE_EXHAUSTED\","
         "\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\","
         "\"retryDelay\":\"21s\"}]}}",
         4000, RS_FAIL_RATE_LIMIT, 4000, "x"}, /* a header hint wins over the body */
        {&d_gemini, 400,
         "{\"error\":{\"code\":400,\"message\":\"API key not valid. Please pass a "
         "valid API key.\",\"status\":\"INVALID_ARGUMENT\"}}",
         -1, RS_FAIL_BAD_REQUEST, -1, "API key not valid"},
        {&d_gemini, 403,
         "{\"error\":{\"code\":403,\"message\":\"denied\",\"status\":"
         "\"PERMISSION_DENIED\"}}",
         -1, RS_FAIL_AUTH, -1, "PERMISSION_DENIED"},
        {&d_gemini, 503,
         "{\"error\":{\"code\":503,\"message\":\"The model is overloaded.\","
         "\"status\":\"UNAVAILABLE\"}}",
         -1, RS_FAIL_OVERLOADED, -1, "overloaded"},
        {&d_gemini, 500,
         "[{\"error\":{\"code\":500,\"message\":\"internal\",\"status\":"
         "\"INTERNAL\"}}]",
         -1, RS_FAIL_SERVER, -1, "INTERNAL"},
        {&d_gemini, 504,
         "{\"error\":{\"code\":504,\"message\":\"deadline\",\"status\":"
         "\"DEADLINE_EXCEEDED\"}}",
         -1, RS_FAIL_TIMEOUT, -1, "deadline"},
        /* Ollama */
        {&d_ollama, 404, "{\"error\":\"model \\\"llama9\\\" not found, try pulling it first\"}", -1,
         RS_FAIL_BAD_REQUEST, -1, "not found, try pulling"},
        {&d_ollama, 500, "{\"error\":\"llama runner process has terminated\"}", -1, RS_FAIL_SERVER,
         -1, "runner process"},
        {&d_ollama, 502, "{\"error\":\"cloud model unreachable\"}", -1, RS_FAIL_SERVER, -1,
         "unreachable"},
        {&d_ollama, 429, "{\"error\":\"too many requests\"}", 500, RS_FAIL_RATE_LIMIT, 500,
         "too many"},
        /* Responses */
        {&d_responses, 429,
         "{\"error\":{\"message\":\"quota\",\"type\":\"insufficient_quota\","
         "\"code\":\"insufficient_quota\"}}",
         -1, RS_FAIL_QUOTA, -1, "quota"},
        {&d_responses, 500, "{\"error\":{\"message\":\"oops\",\"type\":\"server_error\"}}", -1,
         RS_FAIL_SERVER, -1, "oops"},
        /* mock */
        {&d_mock, 429, "{\"error\":{\"class\":\"quota\",\"message\":\"mock quota\"}}", -1,
         RS_FAIL_QUOTA, -1, "mock quota"},
        {&d_mock, 503, "not json", 250, RS_FAIL_OVERLOADED, 250, "not json"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const err_case *c = &cases[i];
        rs_provider_error pe;
        memset(&pe, 0x55, sizeof pe); /* classify_error must fill every field */
        c->d->classify_error(&pe, c->status, c->body, c->body ? strlen(c->body) : 0, c->hint);
        if (pe.cls != c->cls || pe.retry_after_ms != c->want_ms || pe.http_status != c->status ||
            !strstr(pe.message, c->msg_has)) {
            print_error("case %zu (%s %d): class %s retry %ld msg \"%s\"; want %s %ld \"%s\"\n", i,
                        c->d->name, c->status, rs_fail_class_name(pe.cls), pe.retry_after_ms,
                        pe.message, rs_fail_class_name(c->cls), c->want_ms, c->msg_has);
            fail();
        }
        assert_null(strchr(pe.message, '\n'));
    }
    print_message("%zu error bodies classified\n", sizeof cases / sizeof cases[0]);
}

static void test_fail_classes(void **state)
{
    (void)state;
    assert_true(rs_fail_class_retryable(RS_FAIL_RATE_LIMIT));
    assert_true(rs_fail_class_retryable(RS_FAIL_OVERLOADED));
    assert_true(rs_fail_class_retryable(RS_FAIL_SERVER));
    assert_true(rs_fail_class_retryable(RS_FAIL_TIMEOUT));
    assert_true(rs_fail_class_retryable(RS_FAIL_NETWORK));
    assert_true(rs_fail_class_retryable(RS_FAIL_STREAM));
    assert_false(rs_fail_class_retryable(RS_FAIL_DECODE));
    assert_false(rs_fail_class_retryable(RS_FAIL_AUTH));
    assert_false(rs_fail_class_retryable(RS_FAIL_QUOTA));
    assert_false(rs_fail_class_retryable(RS_FAIL_BAD_REQUEST));
    assert_false(rs_fail_class_retryable(RS_FAIL_NONE));
    assert_string_equal(rs_fail_class_name(RS_FAIL_BAD_REQUEST), "bad_request");
    assert_string_equal(rs_fail_class_name(RS_FAIL_RATE_LIMIT), "rate_limit");
    assert_string_equal(rs_finish_name(RS_FINISH_TOOL), "tool");
    assert_string_equal(rs_finish_name(RS_FINISH_UNKNOWN), "unknown");
    const int retry[] = {408, 409, 429, 500, 502, 503, 504, 529};
    const int never[] = {400, 401, 403, 404, 413, 422};
    for (size_t i = 0; i < sizeof retry / sizeof retry[0]; i++)
        assert_true(rs_fail_class_retryable(rs_fail_class_for_status(retry[i])));
    for (size_t i = 0; i < sizeof never / sizeof never[0]; i++)
        assert_false(rs_fail_class_retryable(rs_fail_class_for_status(never[i])));
}

/* ---------- retry hints ---------- */

static void test_retry_hints(void **state)
{
    (void)state;
    const time_t now = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */
    int sr;
    const char *a[] = {"HTTP/1.1 429 Too Many Requests\r\n", "Retry-After: 7\r\n"};
    assert_int_equal(rs_retry_hint_parse(a, 2, now, &sr), 7000);
    assert_int_equal(sr, -1);
    const char *b[] = {"retry-after: 120", "retry-after-ms: 1500.5"};
    assert_int_equal(rs_retry_hint_parse(b, 2, now, NULL), 1501); /* ms wins, rounded */
    const char *c[] = {"Retry-After: Sun, 06 Nov 1994 08:49:47 GMT"};
    assert_int_equal(rs_retry_hint_parse(c, 1, now, NULL), 10000);
    /* the response's own Date is the reference, not the local clock */
    const char *d[] = {"Date: Sun, 06 Nov 1994 08:49:40 GMT",
                       "Retry-After: Sun, 06 Nov 1994 08:49:47 GMT"};
    assert_int_equal(rs_retry_hint_parse(d, 2, now + 3600, NULL), 7000);
    const char *e[] = {"Retry-After: Sunday, 06-Nov-94 08:49:39 GMT"};
    assert_int_equal(rs_retry_hint_parse(e, 1, now, NULL), 2000);
    const char *f[] = {"Retry-After: Sun Nov  6 08:49:42 1994"};
    assert_int_equal(rs_retry_hint_parse(f, 1, now, NULL), 5000);
    const char *g[] = {"Retry-After: Sun, 06 Nov 1994 08:49:00 GMT"}; /* in the past: now */
    assert_int_equal(rs_retry_hint_parse(g, 1, now, NULL), 0);
    const char *h[] = {"Retry-After: soon", "retry-after-ms: -5", "x-should-retry: false"};
    assert_int_equal(rs_retry_hint_parse(h, 3, now, &sr), -1);
    assert_int_equal(sr, 0);
    const char *i[] = {"X-Should-Retry:true", "content-type: application/json"};
    assert_int_equal(rs_retry_hint_parse(i, 2, now, &sr), -1);
    assert_int_equal(sr, 1);
    const char *j[] = {"Retry-After: 99999999999"};
    assert_int_equal(rs_retry_hint_parse(j, 1, now, NULL), RS_RETRY_HINT_MAX_MS);
    /* a new status line (after a redirect or 100 Continue) starts over */
    const char *k[] = {"Retry-After: 5", "HTTP/2 200", "content-length: 3"};
    assert_int_equal(rs_retry_hint_parse(k, 3, now, NULL), -1);
    assert_int_equal(rs_http_date_parse("Thu, 01 Jan 1970 00:00:00 GMT", 29), 0);
    assert_int_equal(rs_http_date_parse("Sat, 29 Feb 2020 23:59:59 GMT", 29), 1583020799);
    assert_int_equal(rs_http_date_parse("Sun, 06 Nov 1994 08:49:37 UTC", 29), (time_t)-1);
    assert_int_equal(rs_http_date_parse("Sun, 06 Foo 1994 08:49:37 GMT", 29), (time_t)-1);
    assert_int_equal(rs_http_date_parse("", 0), (time_t)-1);
}

/* ---------- tool-call validation and allocation failures ---------- */

static void test_tool_call_args(void **state)
{
    (void)state;
    rs_result res;
    rs_provider_error pe;
    rs_error err = RS_ERROR_INIT;
    rs_result_init(&res);
    assert_rs_ok(rs_result_add_tool_call(&res, &pe, NULL, "f", "  {\"b\": [1, 2]} ", 16, &err),
                 &err);
    assert_rs_ok(rs_result_add_tool_call(&res, &pe, "", "g", NULL, 0, &err), &err);
    assert_int_equal(rs_result_add_tool_call(&res, &pe, "x", "h", "[1]", 3, &err), RS_EPROVIDER);
    assert_int_equal(pe.cls, RS_FAIL_DECODE);
    assert_int_equal(rs_result_add_tool_call(&res, &pe, "x", "h", "{\"a\":", 5, &err),
                     RS_EPROVIDER);
    assert_int_equal(rs_result_add_tool_call(&res, &pe, "x", NULL, "{}", 2, &err), RS_EPROVIDER);
    assert_int_equal(res.tool_calls.len, 2);
    assert_string_equal(RS_VEC_AT(&res.tool_calls, rs_tool_call, 0).id, "call_0");
    assert_string_equal(RS_VEC_AT(&res.tool_calls, rs_tool_call, 0).args_json, "{\"b\":[1,2]}");
    assert_string_equal(RS_VEC_AT(&res.tool_calls, rs_tool_call, 1).id, "call_1");
    assert_string_equal(RS_VEC_AT(&res.tool_calls, rs_tool_call, 1).args_json, "{}");
    rs_result_free(&res);
}

/* Every allocation of a stream decode, failed in turn: an error, never a crash or a leak. */
static void test_alloc_failures(void **state)
{
    (void)state;
    const char *files[] = {"anthropic-tools.sse", "openai-tools.sse",    "gemini-text.sse",
                           "responses-tools.sse", "ollama-tools.ndjson", "mock-text.sse"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char path[1024], rel[256];
        char *body = NULL;
        size_t len = 0;
        rs_error err = RS_ERROR_INIT;
        snprintf(rel, sizeof rel, "tests/transcripts/%s", files[f]);
        RS_SOURCE_PATH(path, rel);
        assert_rs_ok(rs_file_read(&body, &len, path, &err), &err);
        const rs_dialect *d = dialect_for(files[f]);
        int ok = 0;
        for (long n = 0; n < 5000 && !ok; n++) {
            rs_result res;
            outcome o;
            memset(&o, 0, sizeof o);
            rs_result_init(&res);
            rs_alloc_fail_after(n);
            decode_stream(d, body, len, 0, &res, &o);
            rs_alloc_fail_after(-1);
            ok = o.rc == 0;
            if (!ok)
                assert_true(o.rc == RS_ENOMEM || o.rc == RS_EPROVIDER);
            rs_result_free(&res);
        }
        assert_true(ok);
        rs_free(body);
    }
}

int main(void)
{
    cJSON_Hooks hooks = {rs_malloc, rs_free}; /* so allocation failures reach cJSON too */
    cJSON_InitHooks(&hooks);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transcripts),       cmocka_unit_test(test_sse_framing),
        cmocka_unit_test(test_sse_limit),         cmocka_unit_test(test_ndjson_framing),
        cmocka_unit_test(test_stream_after_done), cmocka_unit_test(test_classify_error),
        cmocka_unit_test(test_stream_oversized),  cmocka_unit_test(test_fail_classes),
        cmocka_unit_test(test_retry_hints),       cmocka_unit_test(test_tool_call_args),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
