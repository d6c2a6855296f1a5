/* Unit tests for runner/scorers: spec parsing, every scorer's value and pass, strict judge parsing.
 */
#include "test_helpers.h"

#include "runner/scorers.h"
#include "util/alloc.h"
#include "util/json.h"

#include <math.h>

static rs_scorer *parse_ok(const char *spec)
{
    rs_error err = RS_ERROR_INIT;
    rs_scorer *s = NULL;
    assert_rs_ok(rs_scorer_parse(&s, spec, &err), &err);
    return s;
}

static cJSON *json(const char *t)
{
    cJSON *v = NULL;
    rs_error err = RS_ERROR_INIT;
    assert_rs_ok(rs_json_parse(&v, t, strlen(t), NULL, &err), &err);
    return v;
}

/* Score `answer` (expected given as JSON text, or NULL); returns pass, value via *value. */
static int score(const char *spec, const char *answer, const char *expected_json, double *value)
{
    rs_scorer *s = parse_ok(spec);
    cJSON *ex = expected_json ? json(expected_json) : NULL;
    rs_score sc;
    rs_error err = RS_ERROR_INIT;
    rs_score_input in = {answer, ex, 1, 0.002, 1500, NULL};
    assert_rs_ok(rs_scorer_score(&sc, s, &in, &err), &err);
    if (value)
        *value = sc.value;
    cJSON_Delete(ex);
    rs_scorer_free(s);
    return sc.pass;
}

static void equals_text_and_json(void **state)
{
    (void)state;
    assert_true(score("equals", "  billing\n", "\"billing\"", NULL));
    assert_false(score("equals", "Billing", "\"billing\"", NULL));
    assert_true(score("equals:yes", "yes ", NULL, NULL));
    /* A non-string expected compares as JSON, key order ignored, Markdown fence tolerated. */
    assert_true(score("equals", "```json\n{\"b\":2,\"a\":1}\n```", "{\"a\":1,\"b\":2}", NULL));
    assert_false(score("equals", "{\"a\":1}", "{\"a\":2}", NULL));
    assert_false(score("equals", "not json", "[1]", NULL));
    /* No expected value: an error, not a silent fail. */
    rs_scorer *s = parse_ok("equals");
    rs_score sc;
    rs_error err = RS_ERROR_INIT;
    rs_score_input in = {"x", NULL, 0, 0, 0, NULL};
    assert_int_equal(rs_scorer_score(&sc, s, &in, &err), RS_EINVAL);
    assert_non_null(strstr(err.message, "no expected value"));
    rs_scorer_free(s);
}

static void contains_variants(void **state)
{
    (void)state;
    assert_true(score("contains:refund", "we will refund you", NULL, NULL));
    assert_false(score("contains:Refund", "we will refund you", NULL, NULL));
    assert_true(score("icontains:REFUND", "we will refund you", NULL, NULL));
    assert_false(score("contains:refund|sorry", "we will refund you", NULL, NULL));
    assert_true(score("contains-any:refund|sorry", "we will refund you", NULL, NULL));
    assert_true(score("icontains-any:NOPE|SORRY", "Sorry!", NULL, NULL));
    assert_true(score("contains:a\\|b", "x a|b y", NULL, NULL));
    assert_true(score("contains", "the billing team", "\"billing\"", NULL));
    assert_true(score("contains", "billing and urgent", "[\"billing\",\"urgent\"]", NULL));
    assert_false(score("contains", "billing only", "[\"billing\",\"urgent\"]", NULL));
    assert_true(score("contains-any", "billing only", "[\"billing\",\"urgent\"]", NULL));
    rs_error err = RS_ERROR_INIT;
    rs_scorer *s = NULL;
    assert_int_equal(rs_scorer_parse(&s, "contains:a||b", &err), RS_EINVAL);
    assert_null(s);
}

static void regex_and_json(void **state)
{
    (void)state;
    assert_true(score("regex:^[A-Z]{3}-[0-9]+$", "ABC-123", NULL, NULL));
    assert_false(score("regex:^[A-Z]{3}-[0-9]+$", "AB-123", NULL, NULL));
    assert_true(score("regex:(refund|return)", "a return", NULL, NULL));
    rs_error err = RS_ERROR_INIT;
    rs_scorer *s = NULL;
    assert_int_equal(rs_scorer_parse(&s, "regex:([a-", &err), RS_EINVAL);
    assert_non_null(strstr(err.message, "bad regular expression"));
    assert_true(score("json-valid", " {\"a\": [1, 2]} ", NULL, NULL));
    assert_false(score("json-valid", "{\"a\": }", NULL, NULL));
    assert_false(score("json-valid", "{} trailing", NULL, NULL));
}

static void json_schema_default_and_checks(void **state)
{
    (void)state;
    cJSON *schema = json("{\"type\":\"object\",\"required\":[\"category\",\"urgency\"],"
                         "\"additionalProperties\":false,\"properties\":{"
                         "\"category\":{\"type\":\"string\",\"enum\":[\"billing\",\"bug\"]},"
                         "\"urgency\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":5},"
                         "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}}}");
    rs_scorer *s = parse_ok("json-schema");
    rs_score sc;
    rs_error err = RS_ERROR_INIT;
    rs_score_input in = {"{\"category\":\"bug\",\"urgency\":3}", NULL, 0, 0, 0, NULL};
    assert_int_equal(rs_scorer_score(&sc, s, &in, &err), RS_EINVAL); /* no schema yet */
    assert_rs_ok(rs_scorer_set_default_schema(s, schema), &err);
    assert_rs_ok(rs_scorer_score(&sc, s, &in, &err), &err);
    assert_true(sc.pass);
    const char *bad[] = {"{\"category\":\"other\",\"urgency\":3}",
                         "{\"category\":\"bug\"}",
                         "{\"category\":\"bug\",\"urgency\":2.5}",
                         "{\"category\":\"bug\",\"urgency\":9}",
                         "{\"category\":\"bug\",\"urgency\":1,\"x\":1}",
                         "{\"category\":\"bug\",\"urgency\":1,\"tags\":[1]}",
                         "nope"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        in.output = bad[i];
        assert_rs_ok(rs_scorer_score(&sc, s, &in, &err), &err);
        assert_false(sc.pass);
    }
    cJSON *v = json("{\"category\":\"bug\",\"urgency\":1,\"tags\":[\"a\",2]}");
    assert_int_equal(rs_scorer_schema_check(schema, v, &err), RS_ESCHEMA);
    assert_non_null(strstr(err.message, "tags"));
    cJSON_Delete(v);
    cJSON_Delete(schema);
    rs_scorer_free(s);
}

static void similarity_f1_and_edit(void **state)
{
    (void)state;
    /* SQuAD-style F1: "the cat sat" vs "the cat" -> P = 2/3, R = 1 -> 0.8. */
    assert_true(fabs(rs_similarity_f1("the cat sat", "The cat") - 0.8) < 1e-12);
    assert_true(rs_similarity_f1("", "") == 1);
    assert_true(rs_similarity_f1("a", "") == 0);
    double v;
    /* kitten -> sitting: distance 3, max length 7. */
    assert_int_equal(rs_similarity_edit(&v, "kitten", "sitting"), 0);
    assert_true(fabs(v - (1 - 3.0 / 7)) < 1e-12);
    assert_true(score("similarity", "the cat sat", "\"the cat\"", &v));
    assert_true(fabs(v - 0.8) < 1e-12);
    assert_false(score("similarity:f1>=0.9", "the cat sat", "\"the cat\"", &v));
    assert_false(score("similarity:edit>=0.6", "kitten", "\"sitting\"", &v));
    assert_true(score("similarity:edit>=0.5", "kitten", "\"sitting\"", &v));
    rs_error err = RS_ERROR_INIT;
    rs_scorer *s = NULL;
    assert_int_equal(rs_scorer_parse(&s, "similarity:cosine", &err), RS_EINVAL);
    assert_int_equal(rs_scorer_parse(&s, "similarity:f1>=x", &err), RS_EINVAL);
}

static void bounds(void **state)
{
    (void)state;
    double v;
    assert_true(score("max-cost:0.01", "x", NULL, &v)); /* cost 0.002 */
    assert_true(fabs(v - 0.002) < 1e-15);
    assert_false(score("max-cost:$0.001", "x", NULL, NULL));
    assert_true(score("max-latency:2s", "x", NULL, &v)); /* latency 1500 */
    assert_true(v == 1500);
    assert_false(score("max-latency:1000ms", "x", NULL, NULL));
    assert_true(score("max-latency:1500", "x", NULL, NULL));
    /* an unknown cost never passes a cost bound */
    rs_scorer *s = parse_ok("max-cost:1");
    rs_score sc;
    rs_error err = RS_ERROR_INIT;
    rs_score_input in = {"x", NULL, 0, 0, 10, NULL};
    assert_rs_ok(rs_scorer_score(&sc, s, &in, &err), &err);
    assert_false(sc.pass);
    rs_scorer_free(s);
    assert_int_equal(rs_scorer_parse(&s, "max-cost", &err), RS_EINVAL);
    assert_int_equal(rs_scorer_parse(&s, "max-latency:fast", &err), RS_EINVAL);
}

static void judge_spec_and_strict_answers(void **state)
{
    (void)state;
    rs_scorer *s = parse_ok("judge:rubrics/helpful@v2@openai/gpt-4o-mini>=0.7");
    assert_string_equal(rs_scorer_judge_rubric(s), "rubrics/helpful@v2");
    assert_string_equal(rs_scorer_judge_target(s), "openai/gpt-4o-mini");
    rs_score sc;
    rs_error err = RS_ERROR_INIT;
    rs_score_input in = {"answer", NULL, 0, 0, 0, "{\"score\": 0.75, \"reason\": \"ok\"}"};
    assert_rs_ok(rs_scorer_score(&sc, s, &in, &err), &err);
    assert_true(sc.value == 0.75 && sc.pass);
    in.judge_answer = "0.5";
    assert_rs_ok(rs_scorer_score(&sc, s, &in, &err), &err);
    assert_false(sc.pass);
    const char *bad[] = {"Score: 4/5", "{\"score\": \"high\"}", "{\"score\": 4}", "",
                         "{}",         "{\"score\": -0.1}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        in.judge_answer = bad[i];
        assert_int_equal(rs_scorer_score(&sc, s, &in, &err), RS_ESCHEMA);
        assert_non_null(strstr(err.message, "malformed judge answer"));
    }
    rs_scorer_free(s);
    s = parse_ok("judge:rubrics/helpful@ollama/llama3.2:1b");
    assert_string_equal(rs_scorer_judge_target(s), "ollama/llama3.2:1b");
    rs_scorer_free(s);
    assert_int_equal(rs_scorer_parse(&s, "judge:rubrics/helpful", &err), RS_EINVAL);
    cJSON *vars = json("{\"ticket\":\"hi\"}");
    cJSON *jv = rs_scorer_judge_vars(vars, "out", NULL);
    char *txt = rs_json_print(jv, 0);
    assert_string_equal(txt,
                        "{\"input\":{\"ticket\":\"hi\"},\"output\":\"out\",\"expected\":null}");
    rs_free(txt);
    cJSON_Delete(jv);
    cJSON_Delete(vars);
}

static void ref_target_split(void **state)
{
    (void)state;
    const char *a = "support/triage@v3@openai/gpt-4o-mini";
    assert_string_equal(rs_ref_target_split(a), "@openai/gpt-4o-mini");
    assert_string_equal(rs_ref_target_split("triage@openrouter/anthropic/claude-sonnet-4.5"),
                        "@openrouter/anthropic/claude-sonnet-4.5");
    assert_string_equal(rs_ref_target_split("p@v1@vertex/claude@2024"), "@vertex/claude@2024");
    assert_string_equal(rs_ref_target_split("p@feature/x@mock/echo"), "@mock/echo");
    assert_null(rs_ref_target_split("triage@v3"));
    assert_null(rs_ref_target_split("@openai/gpt"));
}

static void unknown_and_oom(void **state)
{
    (void)state;
    rs_error err = RS_ERROR_INIT;
    rs_scorer *s = NULL;
    assert_int_equal(rs_scorer_parse(&s, "bleu", &err), RS_EINVAL);
    assert_non_null(strstr(err.message, "unknown scorer 'bleu'"));
    const char *specs[] = {"contains:a|b|c", "judge:r@openai/x>=0.2", "similarity:edit>=0.5",
                           "regex:a+"};
    for (size_t k = 0; k < sizeof specs / sizeof *specs; k++) {
        for (long n = 0; n < 50; n++) {
            rs_alloc_fail_after(n);
            int rc = rs_scorer_parse(&s, specs[k], &err);
            rs_alloc_fail_after(-1);
            if (rc == 0) {
                rs_scorer_free(s);
                break;
            }
            assert_int_equal(rc, RS_ENOMEM);
            assert_null(s);
        }
    }
}

int main(void)
{
    cJSON_Hooks hooks = {rs_malloc, rs_free};
    cJSON_InitHooks(&hooks);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(equals_text_and_json),
        cmocka_unit_test(contains_variants),
        cmocka_unit_test(regex_and_json),
        cmocka_unit_test(json_schema_default_and_checks),
        cmocka_unit_test(similarity_f1_and_edit),
        cmocka_unit_test(bounds),
        cmocka_unit_test(judge_spec_and_strict_answers),
        cmocka_unit_test(ref_target_split),
        cmocka_unit_test(unknown_and_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
