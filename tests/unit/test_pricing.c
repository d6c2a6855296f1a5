/*
 * tests/unit/test_pricing.c - the embedded pricing table, rosetta.yaml overrides, and costs.
 */
#include "test_helpers.h"

#include "runner/pricing.h"
#include "util/alloc.h"
#include "util/file.h"
#include "util/json.h"

#include <math.h>

static void assert_close(double a, double b)
{
    if (fabs(a - b) > 1e-12 * (fabs(b) + 1e-9)) {
        print_error("%.12g != %.12g\n", a, b);
        fail();
    }
}

static void test_embedded_table(void **state)
{
    (void)state;
    rs_pricing *p = NULL;
    rs_error err = RS_ERROR_INIT;
    assert_rs_ok(rs_pricing_load(&p, NULL, &err), &err);
    assert_true(rs_pricing_count(p) >= 600);

    /* the embedded bytes are exactly the shipped file */
    char path[1024];
    char *text = NULL;
    size_t len = 0;
    RS_SOURCE_PATH(path, "data/model_prices.json");
    assert_rs_ok(rs_file_read(&text, &len, path, &err), &err);
    assert_int_equal(len, rs_prices_embedded_len);
    assert_memory_equal(text, rs_prices_embedded, len);
    rs_free(text);

    const rs_price *gpt = rs_pricing_find(p, "openai", "gpt-4o");
    assert_non_null(gpt);
    assert_close(gpt->input, 2.5e-6);
    assert_close(gpt->output, 1e-5);
    assert_close(gpt->cached_input, 1.25e-6);
    /* the Responses API bills as Chat Completions */
    assert_ptr_equal(rs_pricing_find(p, "openai-responses", "gpt-4o"), gpt);
    const rs_price *claude = rs_pricing_find(p, "anthropic", "claude-sonnet-4-5");
    assert_non_null(claude);
    assert_close(claude->input, 3e-6);
    assert_close(claude->cached_input, 3e-7);
    assert_non_null(rs_pricing_find(p, "gemini", "gemini-2.5-flash"));
    assert_non_null(rs_pricing_find(p, "openrouter", "anthropic/claude-3.5-sonnet"));
    assert_non_null(rs_pricing_find(p, "together", "meta-llama/Llama-3.3-70B-Instruct-Turbo"));
    /* a model without a cache price bills cached tokens as input */
    const rs_price *groq = rs_pricing_find(p, "groq", "llama-3.3-70b-versatile");
    assert_non_null(groq);
    assert_close(groq->cached_input, groq->input);
    /* the mock is free; an unknown model is unknown */
    const rs_price *mock = rs_pricing_find(p, "mock", "echo");
    assert_non_null(mock);
    assert_close(mock->output, 0);
    assert_null(rs_pricing_find(p, "groq", "no-such-model"));
    assert_null(rs_pricing_find(p, "vllm", "my-model"));
    assert_null(rs_pricing_find(p, "openai", NULL));
    rs_pricing_free(p);
}

static void test_cost(void **state)
{
    (void)state;
    rs_pricing *p = NULL;
    rs_error err = RS_ERROR_INIT;
    char warn[256];
    double cost = -1;
    assert_rs_ok(rs_pricing_load(&p, NULL, &err), &err);

    /* 1000 in of which 400 cached, 200 out, gpt-4o: 600*2.5e-6 + 400*1.25e-6 + 200*1e-5 */
    rs_usage u = {1000, 200, 400, 50};
    assert_int_equal(rs_pricing_cost(p, "openai", "gpt-4o", &u, &cost, warn, sizeof warn), 1);
    assert_close(cost, 0.004);
    assert_string_equal(warn, "");
    /* cached not reported: all input at the input price */
    rs_usage u2 = {1000, 200, -1, -1};
    assert_int_equal(rs_pricing_cost(p, "openai", "gpt-4o", &u2, &cost, NULL, 0), 1);
    assert_close(cost, 0.0045);
    /* free mock: a known zero */
    assert_int_equal(rs_pricing_cost(p, "mock", "echo", &u, &cost, warn, sizeof warn), 1);
    assert_close(cost, 0);

    /* unknown model: unknown cost, with a warning, and cost untouched */
    cost = 123;
    assert_int_equal(rs_pricing_cost(p, "vllm", "my-model", &u, &cost, warn, sizeof warn), 0);
    assert_close(cost, 123);
    assert_non_null(strstr(warn, "no price for vllm/my-model"));
    /* counts not reported: unknown too, never zero */
    rs_usage none = {-1, -1, -1, -1};
    assert_int_equal(rs_pricing_cost(p, "openai", "gpt-4o", &none, &cost, warn, sizeof warn), 0);
    assert_non_null(strstr(warn, "no token counts"));
    assert_int_equal(rs_pricing_cost(p, "openai", "gpt-4o", NULL, &cost, NULL, 0), 0);
    rs_pricing_free(p);
}

static cJSON *parse(const char *s)
{
    cJSON *v = NULL;
    rs_error err = RS_ERROR_INIT;
    assert_rs_ok(rs_json_parse(&v, s, strlen(s), NULL, &err), &err);
    return v;
}

static void test_overrides(void **state)
{
    (void)state;
    rs_pricing *p = NULL;
    rs_error err = RS_ERROR_INIT;
    cJSON *o = parse("{\"openai/gpt-4o\": {\"input\": 5, \"output\": 20},"
                     " \"vllm\": {\"input\": 0, \"output\": 0},"
                     " \"acme/brand-new\": {\"input\": 1, \"output\": 2, \"cached_input\": 0.1}}");
    assert_rs_ok(rs_pricing_load(&p, o, &err), &err);
    const rs_price *gpt = rs_pricing_find(p, "openai", "gpt-4o");
    assert_close(gpt->input, 5e-6);
    assert_close(gpt->output, 2e-5);
    assert_close(gpt->cached_input, 5e-6); /* an override replaces the whole entry */
    double cost = -1;
    rs_usage u = {1000000, 1000000, 0, 0};
    assert_int_equal(rs_pricing_cost(p, "vllm", "anything", &u, &cost, NULL, 0), 1);
    assert_close(cost, 0);
    assert_int_equal(rs_pricing_cost(p, "acme", "brand-new", &u, &cost, NULL, 0), 1);
    assert_close(cost, 3.0);
    /* untouched entries keep the table's price */
    assert_close(rs_pricing_find(p, "anthropic", "claude-sonnet-4-5")->input, 3e-6);
    /* an override of a table entry replaces it: only the two new keys are added */
    rs_pricing *base = NULL;
    assert_rs_ok(rs_pricing_load(&base, NULL, &err), &err);
    assert_int_equal(rs_pricing_count(p), rs_pricing_count(base) + 2);
    rs_pricing_free(base);
    rs_pricing_free(p);
    cJSON_Delete(o);

    /* a key given twice in one map: the later one wins, and it is one entry */
    o = parse("{\"x/y\": {\"input\": 1, \"output\": 1}, \"x/z\": {\"input\": 3, \"output\": 3},"
              " \"x/y\": {\"input\": 2, \"output\": 2}}");
    assert_rs_ok(rs_pricing_load(&p, o, &err), &err);
    assert_close(rs_pricing_find(p, "x", "y")->input, 2e-6);
    assert_close(rs_pricing_find(p, "x", "z")->input, 3e-6);
    assert_rs_ok(rs_pricing_load(&base, NULL, &err), &err);
    assert_int_equal(rs_pricing_count(p), rs_pricing_count(base) + 2);
    rs_pricing_free(base);
    rs_pricing_free(p);
    cJSON_Delete(o);

    const char *bad[] = {
        "{\"x/y\": {\"input\": -1, \"output\": 1}}",
        "{\"x/y\": {\"input\": 1}}",
        "{\"x/y\": {\"input\": 1, \"output\": 1, \"outptu\": 2}}",
        "{\"x/y\": 3}",
        "[1, 2]",
        "{\"x/y\": {\"input\": \"1\", \"output\": 1}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cJSON *b = parse(bad[i]);
        rs_error e2 = RS_ERROR_INIT;
        p = NULL;
        assert_int_equal(rs_pricing_load(&p, b, &e2), RS_ECONFIG);
        assert_null(p);
        assert_true(strlen(e2.message) > 10);
        cJSON_Delete(b);
    }
}

static void test_bad_tables(void **state)
{
    (void)state;
    rs_pricing *p = NULL;
    rs_error err = RS_ERROR_INIT;
    assert_int_equal(rs_pricing_load_text(&p, "{\"models\": {", 12, "t.json", NULL, &err),
                     RS_ESYNTAX);
    assert_string_equal(err.file, "t.json");
    assert_int_equal(rs_pricing_load_text(&p, "{}", 2, "t.json", NULL, &err), RS_ECONFIG);
    const char *ok = "{\"models\": {\"a/b\": {\"input\": 1e-6, \"output\": 2e-6}}}";
    assert_rs_ok(rs_pricing_load_text(&p, ok, strlen(ok), "t.json", NULL, &err), &err);
    assert_int_equal(rs_pricing_count(p), 1);
    rs_pricing_free(p);
    rs_pricing_free(NULL);
    /* allocation failures: an error, never a crash or a leak */
    int done = 0;
    for (long n = 0; n < 200 && !done; n++) {
        p = NULL;
        rs_alloc_fail_after(n);
        int rc = rs_pricing_load_text(&p, ok, strlen(ok), "t.json", NULL, &err);
        rs_alloc_fail_after(-1);
        done = rc == 0;
        /* cJSON cannot tell an allocation failure from bad JSON: rs_json_parse says syntax */
        if (!done)
            assert_true(rc == RS_ENOMEM || rc == RS_ESYNTAX);
        rs_pricing_free(p);
    }
    assert_true(done);
}

int main(void)
{
    cJSON_Hooks hooks = {rs_malloc, rs_free};
    cJSON_InitHooks(&hooks);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_embedded_table),
        cmocka_unit_test(test_cost),
        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_bad_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
