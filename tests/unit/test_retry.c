/* Unit tests for runner/retry.c and runner/route.c: which failures retry, how long the waits
 * are (hints first, then jittered exponential backoff), the caps, determinism of the seed, and
 * the routes' shapes in rosetta.yaml. */
#include "test_helpers.h"

#include "runner/retry.h"
#include "runner/route.h"
#include "util/json.h"

static rs_provider_error pe_of(rs_fail_class c, long hint)
{
    rs_provider_error pe;
    memset(&pe, 0, sizeof pe);
    pe.cls = c;
    pe.retry_after_ms = hint;
    return pe;
}

static void backoff_doubles_with_bounded_jitter(void **state)
{
    (void)state;
    rs_retry_policy p = RS_RETRY_POLICY_INIT;
    rs_rng rng;
    rs_rng_seed(&rng, 42);
    for (int n = 1; n <= 8; n++) {
        long full = 500L << (n - 1);
        if (full > 8000)
            full = 8000;
        for (int k = 0; k < 200; k++) {
            long d = rs_retry_backoff_ms(&p, n, &rng);
            assert_true(d <= full);
            assert_true(d >= (long)(full * 0.75) - 1);
        }
    }
    p.jitter = 0;
    assert_int_equal(rs_retry_backoff_ms(&p, 1, &rng), 500);
    assert_int_equal(rs_retry_backoff_ms(&p, 2, &rng), 1000);
    assert_int_equal(rs_retry_backoff_ms(&p, 3, &rng), 2000);
    assert_int_equal(rs_retry_backoff_ms(&p, 10, &rng), 8000);
}

static void same_seed_same_waits(void **state)
{
    (void)state;
    rs_retry_policy p = RS_RETRY_POLICY_INIT;
    rs_rng a, b, c;
    rs_rng_seed(&a, 7);
    rs_rng_seed(&b, 7);
    rs_rng_seed(&c, 8);
    int differs = 0;
    for (int i = 1; i < 20; i++) {
        long x = rs_retry_backoff_ms(&p, i % 4 + 1, &a);
        assert_int_equal(x, rs_retry_backoff_ms(&p, i % 4 + 1, &b));
        differs |= x != rs_retry_backoff_ms(&p, i % 4 + 1, &c);
    }
    assert_true(differs);
}

static void only_retryable_classes_retry(void **state)
{
    (void)state;
    rs_retry_policy p = RS_RETRY_POLICY_INIT;
    rs_rng rng;
    rs_rng_seed(&rng, 1);
    char why[160];
    static const rs_fail_class yes[] = {RS_FAIL_RATE_LIMIT, RS_FAIL_OVERLOADED, RS_FAIL_SERVER,
                                        RS_FAIL_TIMEOUT,    RS_FAIL_NETWORK,    RS_FAIL_STREAM};
    static const rs_fail_class no[] = {RS_FAIL_AUTH, RS_FAIL_QUOTA, RS_FAIL_BAD_REQUEST,
                                       RS_FAIL_DECODE};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        rs_provider_error pe = pe_of(yes[i], -1);
        assert_true(rs_retry_decide(&p, &pe, -1, 1, 0, &rng, why, sizeof why) >= 0);
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        rs_provider_error pe = pe_of(no[i], -1);
        assert_int_equal(rs_retry_decide(&p, &pe, -1, 1, 0, &rng, why, sizeof why), -1);
        assert_non_null(strstr(why, "not retryable"));
    }
    /* x-should-retry overrides the class both ways. */
    rs_provider_error pe = pe_of(RS_FAIL_BAD_REQUEST, -1);
    assert_true(rs_retry_decide(&p, &pe, 1, 1, 0, &rng, why, sizeof why) >= 0);
    pe = pe_of(RS_FAIL_RATE_LIMIT, 100);
    assert_int_equal(rs_retry_decide(&p, &pe, 0, 1, 0, &rng, why, sizeof why), -1);
    assert_non_null(strstr(why, "x-should-retry"));
}

static void hints_win_and_caps_hold(void **state)
{
    (void)state;
    rs_retry_policy p = RS_RETRY_POLICY_INIT;
    rs_rng rng;
    rs_rng_seed(&rng, 3);
    char why[160];
    rs_provider_error pe = pe_of(RS_FAIL_RATE_LIMIT, 2000);
    assert_int_equal(rs_retry_decide(&p, &pe, -1, 1, 0, &rng, why, sizeof why), 2000);
    pe.retry_after_ms = 0;
    assert_int_equal(rs_retry_decide(&p, &pe, -1, 1, 0, &rng, why, sizeof why), 0);
    /* attempts cap */
    assert_int_equal(rs_retry_decide(&p, &pe, -1, 3, 0, &rng, why, sizeof why), -1);
    assert_non_null(strstr(why, "3 of 3"));
    /* a hint beyond what we honour: give up this target (a route falls back) */
    pe.retry_after_ms = 120000;
    assert_int_equal(rs_retry_decide(&p, &pe, -1, 1, 0, &rng, why, sizeof why), -1);
    /* the total budget */
    p.max_total_ms = 5000;
    pe.retry_after_ms = 2000;
    assert_int_equal(rs_retry_decide(&p, &pe, -1, 1, 2000, &rng, why, sizeof why), 2000);
    assert_int_equal(rs_retry_decide(&p, &pe, -1, 1, 3500, &rng, why, sizeof why), -1);
    assert_non_null(strstr(why, "budget"));
}

static void routes_from_config(void **state)
{
    (void)state;
    rs_error err = RS_ERROR_INIT;
    cJSON *cfg = NULL;
    const char *doc =
        "{\"routes\":{\"fast\":[\"openai/gpt-4o-mini\",\"mock/echo\"],"
        "\"careful\":{\"targets\":[\"anthropic/claude\",{\"target\":\"openai/gpt-4o\","
        "\"variant\":\"openai\"}],\"max_attempts\":2,\"timeout_ms\":3000},"
        "\"bad\":[\"nomodel\"],\"worse\":{\"targets\":[],\"retries\":1}}}";
    assert_rs_ok(rs_json_parse(&cfg, doc, strlen(doc), NULL, &err), &err);
    rs_route r;
    assert_rs_ok(rs_route_lookup(&r, cfg, "fast", &err), &err);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.targets[1].target, "mock/echo");
    assert_string_equal(r.targets[1].variant, "");
    assert_rs_ok(rs_route_lookup(&r, cfg, "careful", &err), &err);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.targets[1].variant, "openai");
    assert_int_equal(r.max_attempts, 2);
    assert_int_equal(r.timeout_ms, 3000);
    assert_int_equal(rs_route_lookup(&r, cfg, "nope", &err), RS_ENOTFOUND);
    assert_non_null(strstr(err.message, "fast"));
    assert_int_equal(rs_route_lookup(&r, cfg, "bad", &err), RS_ECONFIG);
    assert_non_null(strstr(err.message, "nomodel"));
    assert_int_equal(rs_route_lookup(&r, cfg, "worse", &err), RS_ECONFIG);
    assert_int_equal(rs_route_single(&r, "openrouter/anthropic/claude", &err), 0);
    assert_int_equal(rs_route_single(&r, "justone", &err), RS_EINVAL);
    cJSON_Delete(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(backoff_doubles_with_bounded_jitter),
        cmocka_unit_test(same_seed_same_waits),
        cmocka_unit_test(only_retryable_classes_retry),
        cmocka_unit_test(hints_win_and_caps_hold),
        cmocka_unit_test(routes_from_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
