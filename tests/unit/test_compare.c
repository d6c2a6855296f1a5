/*
 * Unit tests for runner/compare: the engine with an in-process executor and an in-memory store.
 * The executor answers deterministically from (ref, vars), can fail chosen calls, and can be
 * "killed" after N calls; the store keeps records and scores like the run log does.
 */
#include "test_helpers.h"

#include "rosetta/compare.h"
#include "runner/compare.h"
#include "util/alloc.h"
#include "util/json.h"

#include <math.h>

/* ---------- in-memory store ---------- */

typedef struct mem_run {
    char *experiment, *arm, *case_id, *output, *error;
    int ok;
    double latency, cost;
    long long id;
    cJSON *feedback;
} mem_run;

typedef struct mem_store {
    mem_run runs[8192];
    size_t n;
    long long next_id;
} mem_store;

static int mem_load(void *self, const char *exp, rs_cmp_record **out, size_t *n, rs_error *err)
{
    mem_store *m = self;
    rs_cmp_record *r = rs_calloc(m->n + 1, sizeof *r);
    if (!r)
        return rs_error_set(err, RS_ENOMEM, "oom");
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++) {
        mem_run *x = &m->runs[i];
        if (strcmp(x->experiment, exp))
            continue;
        r[k].arm = rs_strdup(x->arm);
        r[k].case_id = rs_strdup(x->case_id);
        r[k].ok = x->ok;
        r[k].output = x->output ? rs_strdup(x->output) : NULL;
        r[k].error = x->error ? rs_strdup(x->error) : NULL;
        r[k].cost_known = 1;
        r[k].cost_usd = x->cost;
        r[k].latency_ms = x->latency;
        r[k].input_tokens = r[k].output_tokens = 3;
        r[k].run_id = x->id;
        r[k].feedback = x->feedback ? cJSON_Duplicate(x->feedback, 1) : NULL;
        k++;
    }
    *out = r;
    *n = k;
    return 0;
}

static int mem_save(void *self, long long id, const char *label, double v, rs_error *err)
{
    mem_store *m = self;
    for (size_t i = 0; i < m->n; i++) {
        if (m->runs[i].id != id)
            continue;
        if (!m->runs[i].feedback)
            m->runs[i].feedback = cJSON_CreateArray();
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "label", label);
        cJSON_AddNumberToObject(f, "score", v);
        cJSON_AddItemToArray(m->runs[i].feedback, f);
        return 0;
    }
    return rs_error_set(err, RS_ENOTFOUND, "no run %lld", id);
}

static void mem_free(mem_store *m)
{
    for (size_t i = 0; i < m->n; i++) {
        mem_run *x = &m->runs[i];
        rs_free(x->experiment);
        rs_free(x->arm);
        rs_free(x->case_id);
        rs_free(x->output);
        rs_free(x->error);
        cJSON_Delete(x->feedback);
        memset(x, 0, sizeof *x);
    }
    m->n = 0;
}

/* ---------- fake executor ---------- */

typedef struct fake_exec {
    mem_store *store;
    long kill_after; /* stop (as if killed) after this many calls; -1 never */
    long calls_made;
    const char *fail_case;    /* calls for this case id fail (as after exhausted retries) */
    const char *judge_answer; /* judge calls answer this */
} fake_exec;

/*
 * Answers: ref "good" echoes the expected label ("label" var), ref "half" does so for even case
 * numbers only, ref "same" is "good" under another name; judge rubric refs answer judge_answer.
 */
static char *answer_for(const fake_exec *f, const rs_cmp_call *c)
{
    const char *label = rs_json_string(c->vars, "label");
    const cJSON *num = cJSON_GetObjectItemCaseSensitive(c->vars, "n");
    if (strncmp(c->ref, "rubrics/", 8) == 0)
        return rs_strdup(f->judge_answer);
    if (strcmp(c->ref, "good") == 0 || strcmp(c->ref, "same") == 0)
        return rs_strdup(label);
    if (strcmp(c->ref, "half") == 0)
        return rs_strdup(num && num->valueint % 2 == 0 ? label : "unsure");
    return rs_strdup("?");
}

static int fake_run(void *self, rs_cmp_call *calls, size_t n, int concurrency,
                    volatile sig_atomic_t *cancel, rs_cmp_progress_fn progress, void *pud,
                    rs_error *err)
{
    fake_exec *f = self;
    (void)concurrency;
    for (size_t i = 0; i < n; i++) {
        if ((cancel && *cancel) || (f->kill_after >= 0 && f->calls_made >= f->kill_after))
            return rs_error_set(err, RS_EINTERRUPTED, "interrupted");
        rs_cmp_call *c = &calls[i];
        f->calls_made++;
        int fail = f->fail_case && strcmp(c->case_id, f->fail_case) == 0;
        c->ok = !fail;
        c->output = fail ? NULL : answer_for(f, c);
        c->error = fail ? rs_strdup("server: 3 of 3 attempts failed") : NULL;
        c->cost_known = 1;
        c->cost_usd = 0.001;
        c->latency_ms = 100 + (double)(i % 7);
        c->input_tokens = c->output_tokens = 3;
        mem_run *r = &f->store->runs[f->store->n++];
        r->experiment = rs_strdup(c->experiment);
        r->arm = rs_strdup(c->arm);
        r->case_id = rs_strdup(c->case_id);
        r->output = c->output ? rs_strdup(c->output) : NULL;
        r->error = c->error ? rs_strdup(c->error) : NULL;
        r->ok = c->ok;
        r->latency = c->latency_ms;
        r->cost = c->cost_usd;
        r->id = ++f->store->next_id;
        c->run_id = r->id;
        c->done = 1;
        if (progress)
            progress(pud, c, i + 1, n);
    }
    return 0;
}

/* ---------- fixtures ---------- */

static rs_dataset *make_dataset(int n)
{
    rs_str t = RS_STR_INIT;
    const char *labels[] = {"billing", "bug", "account", "other"};
    for (int i = 0; i < n; i++)
        rs_str_appendf(
            &t, "{\"id\":\"c%d\",\"vars\":{\"n\":%d,\"label\":\"%s\"},\"expected\":\"%s\"}\n", i, i,
            labels[i % 4], labels[i % 4]);
    rs_dataset *ds = NULL;
    rs_error err = RS_ERROR_INIT;
    assert_rs_ok(rs_dataset_parse(&ds, t.ptr, t.len, "mem.jsonl", &err), &err);
    ds->name = rs_strdup("mem");
    ds->path = rs_strdup("mem.jsonl");
    rs_str_free(&t);
    return ds;
}

typedef struct fixture {
    rs_arm arms[3];
    rs_scorer *scorers[2];
    rs_dataset *ds;
    rs_compare_plan plan;
} fixture;

static void fixture_init(fixture *fx, const char *const *arms, size_t n_arms,
                         const char *const *scorers, size_t n_sc, int cases)
{
    rs_error err = RS_ERROR_INIT;
    memset(fx, 0, sizeof *fx);
    for (size_t i = 0; i < n_arms; i++)
        assert_rs_ok(rs_arm_parse(&fx->arms[i], arms[i], &err), &err);
    for (size_t i = 0; i < n_sc; i++)
        assert_rs_ok(rs_scorer_parse(&fx->scorers[i], scorers[i], &err), &err);
    fx->ds = make_dataset(cases);
    fx->plan.experiment = "exp-test";
    fx->plan.arms = fx->arms;
    fx->plan.n_arms = n_arms;
    fx->plan.dataset = fx->ds;
    fx->plan.scorers = fx->scorers;
    fx->plan.n_scorers = n_sc;
    fx->plan.repeat = 1;
    fx->plan.concurrency = 4;
    fx->plan.cache = 1;
}

static void fixture_free(fixture *fx)
{
    for (size_t i = 0; i < 3; i++)
        rs_arm_free(&fx->arms[i]);
    for (size_t i = 0; i < 2; i++)
        rs_scorer_free(fx->scorers[i]);
    rs_dataset_free(fx->ds);
}

static const cJSON *arm_at(const cJSON *report, int i)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItem(report, "arms"), i);
}

static double num_at(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItem(o, a);
    if (b)
        x = cJSON_GetObjectItem(x, b);
    assert_non_null(x);
    return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

/* ---------- tests ---------- */

static void arm_parsing(void **state)
{
    (void)state;
    rs_arm a;
    rs_error err = RS_ERROR_INIT;
    assert_rs_ok(rs_arm_parse(&a, "support/triage@v3@openai/gpt-4o-mini", &err), &err);
    assert_string_equal(a.ref, "support/triage@v3");
    assert_string_equal(a.target, "openai/gpt-4o-mini");
    assert_string_equal(a.name, "support/triage@v3@openai/gpt-4o-mini");
    rs_arm_free(&a);
    assert_int_equal(rs_arm_parse(&a, "support/triage@v3", &err), RS_EINVAL);
    assert_non_null(strstr(err.message, "REF@PROVIDER/MODEL"));
}

static void better_arm_wins(void **state)
{
    (void)state;
    mem_store *m = rs_calloc(1, sizeof *m);
    fake_exec f = {m, -1, 0, NULL, NULL};
    rs_cmp_executor ex = {fake_run, &f};
    rs_cmp_store st = {mem_load, mem_save, m};
    const char *arms[] = {"half@mock/echo", "good@mock/echo"};
    const char *sc[] = {"equals"};
    fixture fx;
    fixture_init(&fx, arms, 2, sc, 1, 60);
    cJSON *rep = NULL;
    rs_error err = RS_ERROR_INIT;
    assert_rs_ok(rs_compare_run(&rep, &fx.plan, &ex, &st, &err), &err);
    assert_int_equal(f.calls_made, 120);
    assert_string_equal(rs_json_string(rep, "winner"), "good@mock/echo");
    assert_string_equal(rs_json_string(rep, "primary"), "pass");
    const cJSON *b = arm_at(rep, 0), *g = arm_at(rep, 1);
    assert_true(fabs(num_at(b, "pass", "rate") - 0.5) < 1e-9);
    assert_true(num_at(g, "pass", "rate") == 1);
    const cJSON *vb = cJSON_GetObjectItem(g, "vs_baseline");
    assert_string_equal(rs_json_string(vb, "test"), "mcnemar-exact");
    assert_string_equal(rs_json_string(vb, "verdict"), "better");
    /* 30 discordant pairs all one way: p = 2 / 2^30 */
    assert_true(fabs(num_at(vb, "p", NULL) - 2.0 / 1073741824.0) < 1e-15);
    assert_true(fabs(num_at(vb, "diff", NULL) - 0.5) < 1e-9);
    assert_true(num_at(g, "cost_usd", "total") > 0.0599 && num_at(g, "cost_usd", "total") < 0.0601);
    assert_true(num_at(g, "latency_ms", "p50") >= 100);
    /* every call has its score stored in the log */
    for (size_t i = 0; i < m->n; i++)
        assert_non_null(m->runs[i].feedback);
    /* the per-case table has every arm's output */
    const cJSON *res = cJSON_GetObjectItem(rep, "results");
    assert_int_equal(cJSON_GetArraySize(res), 60);
    const cJSON *c1 = cJSON_GetArrayItem(res, 1);
    assert_string_equal(
        rs_json_string(cJSON_GetArrayItem(cJSON_GetObjectItem(c1, "arms"), 0), "output"), "unsure");
    cJSON_Delete(rep);
    fixture_free(&fx);
    mem_free(m);
    rs_free(m);
}

static void identical_arms_no_winner(void **state)
{
    (void)state;
    mem_store *m = rs_calloc(1, sizeof *m);
    fake_exec f = {m, -1, 0, NULL, NULL};
    rs_cmp_executor ex = {fake_run, &f};
    rs_cmp_store st = {mem_load, mem_save, m};
    const char *arms[] = {"half@mock/echo", "half@mock/upper"};
    const char *sc[] = {"equals", "similarity:f1>=0.5"};
    fixture fx;
    fixture_init(&fx, arms, 2, sc, 2, 40);
    cJSON *rep = NULL;
    rs_error err = RS_ERROR_INIT;
    assert_rs_ok(rs_compare_run(&rep, &fx.plan, &ex, &st, &err), &err);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(rep, "winner")));
    assert_string_equal(rs_json_string(rep, "primary"), "score"); /* similarity is continuous */
    const cJSON *vb = cJSON_GetObjectItem(arm_at(rep, 1), "vs_baseline");
    assert_string_equal(rs_json_string(vb, "verdict"), "no significant difference");
    assert_true(num_at(vb, "p", NULL) == 1);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(vb, "cases_needed")));
    assert_non_null(strstr(rs_json_string(rep, "summary"), "No significant difference"));
    cJSON_Delete(rep);
    fixture_free(&fx);
    mem_free(m);
    rs_free(m);
}

/* A small real difference: not significant at 16 cases, and the report says how many more. */
static void small_difference_needs_more_cases(void **state)
{
    (void)state;
    mem_store *m = rs_calloc(1, sizeof *m);
    fake_exec f = {m, -1, 0, NULL, NULL};
    rs_cmp_executor ex = {fake_run, &f};
    rs_cmp_store st = {mem_load, mem_save, m};
    const char *arms[] = {"half@mock/echo", "good@mock/echo"};
    const char *sc[] = {"equals"};
    fixture fx;
    fixture_init(&fx, arms, 2, sc, 1, 8); /* 4 discordant pairs: p = 0.125 */
    cJSON *rep = NULL;
    rs_error err = RS_ERROR_INIT;
    assert_rs_ok(rs_compare_run(&rep, &fx.plan, &ex, &st, &err), &err);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(rep, "winner")));
    const cJSON *vb = cJSON_GetObjectItem(arm_at(rep, 1), "vs_baseline");
    assert_true(fabs(num_at(vb, "p", NULL) - 0.125) < 1e-12);
    /* Connor: pd = 0.5, delta = 0.5 -> (1.96*0.7071 + 0.8416*0.5)^2/0.25 = 13.06 -> 14 */
    assert_int_equal((int)num_at(vb, "cases_needed", NULL), 14);
    assert_int_equal((int)num_at(vb, "more_cases_needed", NULL), 6);
    assert_non_null(strstr(rs_json_string(rep, "summary"), "about 14 cases"));
    cJSON_Delete(rep);
    fixture_free(&fx);
    mem_free(m);
    rs_free(m);
}

static void faults_are_recorded_not_lost(void **state)
{
    (void)state;
    mem_store *m = rs_calloc(1, sizeof *m);
    fake_exec f = {m, -1, 0, "c3", NULL};
    rs_cmp_executor ex = {fake_run, &f};
    rs_cmp_store st = {mem_load, mem_save, m};
    const char *arms[] = {"half@mock/echo", "good@mock/echo"};
    const char *sc[] = {"equals"};
    fixture fx;
    fixture_init(&fx, arms, 2, sc, 1, 20);
    cJSON *rep = NULL;
    rs_error err = RS_ERROR_INIT;
    assert_rs_ok(rs_compare_run(&rep, &fx.plan, &ex, &st, &err), &err);
    assert_int_equal(m->n, 40); /* every call is in the log, failed ones too */
    for (int a = 0; a < 2; a++) {
        assert_int_equal((int)num_at(arm_at(rep, a), "errors", NULL), 1);
        assert_int_equal((int)num_at(arm_at(rep, a), "done", NULL), 20);
        assert_int_equal((int)num_at(arm_at(rep, a), "scored", NULL), 19);
    }
    /* a rerun (resume of a finished experiment) makes no call */
    cJSON *rep2 = NULL;
    long before = f.calls_made;
    assert_rs_ok(rs_compare_run(&rep2, &fx.plan, &ex, &st, &err), &err);
    assert_int_equal(f.calls_made, before);
    cJSON_Delete(rep);
    cJSON_Delete(rep2);
    fixture_free(&fx);
    mem_free(m);
    rs_free(m);
}

/* Kill after 37 calls, resume: the same final report as an uninterrupted run, no call twice. */
static void killed_then_resumed_equals_uninterrupted(void **state)
{
    (void)state;
    const char *arms[] = {"half@mock/echo", "good@mock/echo", "same@mock/echo"};
    const char *sc[] = {"equals", "max-cost:0.01"};
    rs_error err = RS_ERROR_INIT;

    mem_store *m1 = rs_calloc(1, sizeof *m1);
    fake_exec f1 = {m1, -1, 0, NULL, NULL};
    rs_cmp_executor ex1 = {fake_run, &f1};
    rs_cmp_store st1 = {mem_load, mem_save, m1};
    fixture fx;
    fixture_init(&fx, arms, 3, sc, 2, 30);
    cJSON *full = NULL;
    assert_rs_ok(rs_compare_run(&full, &fx.plan, &ex1, &st1, &err), &err);

    mem_store *m2 = rs_calloc(1, sizeof *m2);
    fake_exec f2 = {m2, 37, 0, NULL, NULL};
    rs_cmp_executor ex2 = {fake_run, &f2};
    rs_cmp_store st2 = {mem_load, mem_save, m2};
    cJSON *partial = NULL;
    assert_int_equal(rs_compare_run(&partial, &fx.plan, &ex2, &st2, &err), RS_EINTERRUPTED);
    assert_null(partial);
    assert_int_equal(m2->n, 37);
    f2.kill_after = -1;
    assert_rs_ok(rs_compare_run(&partial, &fx.plan, &ex2, &st2, &err), &err);
    assert_int_equal(f2.calls_made, 90); /* 37 + 53: none twice, none lost */
    assert_int_equal(m2->n, 90);
    /* the case table differs only in run ids and latencies (call order); the arms' figures and
     * the verdicts must be identical */
    char *a = rs_json_print(cJSON_GetObjectItem(full, "arms"), 0);
    char *b = rs_json_print(cJSON_GetObjectItem(partial, "arms"), 0);
    (void)a;
    const cJSON *fa = cJSON_GetObjectItem(full, "arms"), *pa = cJSON_GetObjectItem(partial, "arms");
    for (int i = 0; i < 3; i++) {
        const cJSON *x = cJSON_GetArrayItem(fa, i), *y = cJSON_GetArrayItem(pa, i);
        const char *keys[] = {"pass",   "score",       "scorers", "cost_usd",
                              "tokens", "vs_baseline", "errors",  "done"};
        for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
            assert_true(
                rs_json_equal(cJSON_GetObjectItem(x, keys[k]), cJSON_GetObjectItem(y, keys[k])));
    }
    assert_string_equal(rs_json_string(full, "summary"), rs_json_string(partial, "summary"));
    assert_string_equal(rs_json_string(full, "winner"), rs_json_string(partial, "winner"));
    rs_free(a);
    rs_free(b);
    /* and re-reporting from the store alone gives the same figures */
    cJSON *meta = rs_compare_plan_json(&fx.plan);
    cJSON *again = NULL;
    assert_rs_ok(rs_compare_report_from_store(&again, "exp-test", meta, &st2, &err), &err);
    const cJSON *ga = cJSON_GetObjectItem(again, "arms");
    for (int i = 0; i < 3; i++) {
        const cJSON *x = cJSON_GetArrayItem(pa, i), *y = cJSON_GetArrayItem(ga, i);
        const char *keys[] = {"pass", "score", "vs_baseline", "errors"};
        for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
            assert_true(
                rs_json_equal(cJSON_GetObjectItem(x, keys[k]), cJSON_GetObjectItem(y, keys[k])));
    }
    cJSON_Delete(meta);
    cJSON_Delete(again);
    cJSON_Delete(full);
    cJSON_Delete(partial);
    fixture_free(&fx);
    mem_free(m1);
    mem_free(m2);
    rs_free(m1);
    rs_free(m2);
}

static void judge_scores_and_malformed_answers(void **state)
{
    (void)state;
    const char *arms[] = {"half@mock/echo", "good@mock/echo"};
    const char *sc[] = {"judge:rubrics/helpful@mock/json>=0.5"};
    rs_error err = RS_ERROR_INIT;
    mem_store *m = rs_calloc(1, sizeof *m);
    fake_exec f = {m, -1, 0, NULL, "{\"score\": 0.9, \"reason\": \"fine\"}"};
    rs_cmp_executor ex = {fake_run, &f};
    rs_cmp_store st = {mem_load, mem_save, m};
    fixture fx;
    fixture_init(&fx, arms, 2, sc, 1, 10);
    cJSON *rep = NULL;
    assert_rs_ok(rs_compare_run(&rep, &fx.plan, &ex, &st, &err), &err);
    assert_int_equal(f.calls_made, 40); /* 20 answers + 20 judge calls */
    assert_true(fabs(num_at(arm_at(rep, 0), "score", "mean") - 0.9) < 1e-9);
    cJSON_Delete(rep);
    fixture_free(&fx);
    mem_free(m);

    f.calls_made = 0;
    f.judge_answer = "I'd say 4 out of 5";
    fixture_init(&fx, arms, 2, sc, 1, 10);
    assert_rs_ok(rs_compare_run(&rep, &fx.plan, &ex, &st, &err), &err);
    const cJSON *a0 = arm_at(rep, 0);
    assert_int_equal((int)num_at(a0, "scored", NULL), 0);
    assert_int_equal((int)num_at(a0, "score_errors", NULL), 10); /* errors, not zeros */
    const cJSON *res = cJSON_GetArrayItem(cJSON_GetObjectItem(rep, "results"), 0);
    const cJSON *s0 = cJSON_GetArrayItem(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(res, "arms"), 0), "scores"), 0);
    assert_non_null(strstr(rs_json_string(s0, "error"), "malformed judge answer"));
    /* resuming does not ask the judge again */
    long before = f.calls_made;
    {
        /* killed while judging: the judged scores are kept, resume asks only the rest */
        mem_store *m2 = rs_calloc(1, sizeof *m2);
        fake_exec f2 = {m2, 28, 0, NULL, "{\"score\": 1}"};
        rs_cmp_executor ex2 = {fake_run, &f2};
        rs_cmp_store st2 = {mem_load, mem_save, m2};
        cJSON *r2 = NULL;
        assert_int_equal(rs_compare_run(&r2, &fx.plan, &ex2, &st2, &err), RS_EINTERRUPTED);
        f2.kill_after = -1;
        assert_rs_ok(rs_compare_run(&r2, &fx.plan, &ex2, &st2, &err), &err);
        assert_int_equal(f2.calls_made, 40); /* 20 answers + 20 judge calls, none twice */
        assert_true(num_at(arm_at(r2, 1), "score", "mean") == 1);
        cJSON_Delete(r2);
        mem_free(m2);
        rs_free(m2);
    }
    cJSON *rep2 = NULL;
    assert_rs_ok(rs_compare_run(&rep2, &fx.plan, &ex, &st, &err), &err);
    assert_int_equal(f.calls_made, before);
    cJSON_Delete(rep);
    cJSON_Delete(rep2);
    fixture_free(&fx);
    mem_free(m);
    rs_free(m);
}

static void repeats_use_case_means(void **state)
{
    (void)state;
    const char *arms[] = {"half@mock/echo", "good@mock/echo"};
    const char *sc[] = {"equals"};
    rs_error err = RS_ERROR_INIT;
    mem_store *m = rs_calloc(1, sizeof *m);
    fake_exec f = {m, -1, 0, NULL, NULL};
    rs_cmp_executor ex = {fake_run, &f};
    rs_cmp_store st = {mem_load, mem_save, m};
    fixture fx;
    fixture_init(&fx, arms, 2, sc, 1, 20);
    fx.plan.repeat = 3;
    cJSON *rep = NULL;
    assert_rs_ok(rs_compare_run(&rep, &fx.plan, &ex, &st, &err), &err);
    assert_int_equal(f.calls_made, 120);
    assert_string_equal(rs_json_string(rep, "primary"), "score");
    const cJSON *vb = cJSON_GetObjectItem(arm_at(rep, 1), "vs_baseline");
    assert_string_equal(rs_json_string(vb, "test"), "paired-permutation");
    assert_int_equal((int)num_at(vb, "pairs", NULL), 20);
    assert_string_equal(rs_json_string(rep, "winner"), "good@mock/echo");
    assert_string_equal(m->runs[0].case_id, "c0#1");
    cJSON_Delete(rep);
    fixture_free(&fx);
    mem_free(m);
    rs_free(m);
}

/* Live traffic: different users per arm, feedback scores, unpaired statistics. */
static void live_split_unpaired(void **state)
{
    (void)state;
    mem_store *m = rs_calloc(1, sizeof *m);
    for (int i = 0; i < 200; i++) {
        mem_run *r = &m->runs[m->n++];
        r->experiment = rs_strdup("live");
        r->arm = rs_strdup(i % 2 ? "v4" : "v3");
        char id[16];
        snprintf(id, sizeof id, "u%d", i);
        r->case_id = rs_strdup(id);
        r->ok = 1;
        r->output = rs_strdup("x");
        r->latency = 10;
        r->id = ++m->next_id;
        r->feedback = cJSON_CreateArray();
        cJSON *fb = cJSON_CreateObject();
        /* v4 satisfied 80%, v3 50% */
        int good = i % 2 ? (i / 2) % 5 != 0 : (i / 2) % 2 == 0;
        cJSON_AddNumberToObject(fb, "score", good);
        cJSON_AddStringToObject(fb, "label", "thumbs");
        cJSON_AddItemToArray(r->feedback, fb);
    }
    rs_cmp_store st = {mem_load, mem_save, m};
    cJSON *rep = NULL;
    rs_error err = RS_ERROR_INIT;
    assert_rs_ok(rs_compare_report_from_store(&rep, "live", NULL, &st, &err), &err);
    assert_string_equal(rs_json_string(rep, "design"), "unpaired");
    assert_string_equal(rs_json_string(arm_at(rep, 0), "name"), "v3");
    assert_string_equal(rs_json_string(rep, "winner"), "v4");
    assert_true(fabs(num_at(arm_at(rep, 1), "pass", "rate") - 0.8) < 1e-9);
    cJSON_Delete(rep);
    assert_int_equal(rs_compare_report_from_store(&rep, "nope", NULL, &st, &err), RS_ENOTFOUND);
    mem_free(m);
    rs_free(m);
}

/* The table and the HTML page carry the figures; model output is escaped in the page. */
static void reports_render(void **state)
{
    (void)state;
    mem_store *m = rs_calloc(1, sizeof *m);
    fake_exec f = {m, -1, 0, NULL, NULL};
    rs_cmp_executor ex = {fake_run, &f};
    rs_cmp_store st = {mem_load, mem_save, m};
    const char *arms[] = {"half@mock/echo", "good@mock/echo"};
    const char *sc[] = {"equals"};
    fixture fx;
    fixture_init(&fx, arms, 2, sc, 1, 40);
    /* an answer that would be markup if not escaped */
    cJSON_ReplaceItemInObject(fx.ds->cases[1].vars, "label",
                              cJSON_CreateString("<script>alert(1)</script>"));
    cJSON *rep = NULL;
    rs_error err = RS_ERROR_INIT;
    assert_rs_ok(rs_compare_run(&rep, &fx.plan, &ex, &st, &err), &err);
    rs_str t = RS_STR_INIT;
    assert_rs_ok(rs_report_table(&t, rep, 0, &err), &err);
    assert_non_null(strstr(t.ptr, "good@mock/echo"));
    assert_non_null(strstr(t.ptr, "mcnemar-exact"));
    assert_non_null(strstr(t.ptr, "better"));
    assert_non_null(strstr(t.ptr, "Winner: good@mock/echo"));
    assert_null(strstr(t.ptr, "\033"));
    assert_null(strchr(t.ptr, '\x1b'));
    rs_str_reset(&t);
    assert_rs_ok(rs_report_table(&t, rep, 1, &err), &err);
    assert_non_null(strstr(t.ptr, "\x1b[32mbetter"));
    rs_str_free(&t);
    rs_str h = RS_STR_INIT;
    assert_rs_ok(rs_report_html(&h, rep, &err), &err);
    assert_non_null(strstr(h.ptr, "<!DOCTYPE html>"));
    assert_null(strstr(h.ptr, "<script>"));
    assert_non_null(strstr(h.ptr, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_null(strstr(h.ptr, "http://") == NULL ? NULL : strstr(strstr(h.ptr, "http://"), "src="));
    assert_null(strstr(h.ptr, "<link"));
    assert_true(strstr(h.ptr, "<svg") != NULL);
    rs_str_free(&h);
    cJSON_Delete(rep);
    fixture_free(&fx);
    mem_free(m);
    rs_free(m);
}

/* An executor that allocates nothing it cannot lose: for the allocation-failure sweep. */
static int lean_run(void *self, rs_cmp_call *calls, size_t n, int concurrency,
                    volatile sig_atomic_t *cancel, rs_cmp_progress_fn progress, void *pud,
                    rs_error *err)
{
    (void)self;
    (void)concurrency;
    (void)cancel;
    (void)err;
    for (size_t i = 0; i < n; i++) {
        rs_cmp_call *c = &calls[i];
        const char *label = rs_json_string(c->vars, "label");
        c->output = strncmp(c->ref, "rubrics/", 8) == 0 ? rs_strdup("{\"score\": 0.5}")
                                                        : rs_strdup(label ? label : "");
        c->ok = c->output != NULL;
        c->latency_ms = 10;
        c->done = 1;
        if (progress)
            progress(pud, c, i + 1, n);
    }
    return 0;
}

/* Fail the Nth allocation for every N: an RS_ENOMEM (never a crash), nothing leaked (LSan). */
static void allocation_failures(void **state)
{
    (void)state;
    const char *arms[] = {"half@mock/echo", "good@mock/echo"};
    const char *sc[] = {"equals", "judge:rubrics/r@mock/json"};
    fixture fx;
    fixture_init(&fx, arms, 2, sc, 2, 4);
    rs_cmp_executor ex = {lean_run, NULL};
    int ok = 0;
    for (long n = 0; n < 20000 && !ok; n++) {
        cJSON *rep = NULL;
        rs_error err = RS_ERROR_INIT;
        rs_alloc_fail_after(n);
        int rc = rs_compare_run(&rep, &fx.plan, &ex, NULL, &err);
        rs_alloc_fail_after(-1);
        if (rc == 0) {
            ok = 1;
            rs_str t = RS_STR_INIT, h = RS_STR_INIT;
            assert_rs_ok(rs_report_table(&t, rep, 0, &err), &err);
            assert_rs_ok(rs_report_html(&h, rep, &err), &err);
            rs_str_free(&t);
            rs_str_free(&h);
        } else {
            assert_int_equal(rc, RS_ENOMEM);
            assert_null(rep);
        }
        cJSON_Delete(rep);
    }
    assert_true(ok);
    fixture_free(&fx);
}

/* Live split: sticky, close to the weights, different experiments reshuffle, bad splits refused. */
static void split_assignment(void **state)
{
    (void)state;
    char arm[64], again[64];
    rs_error err = RS_ERROR_INIT;
    int v4 = 0, heavy = 0, moved = 0;
    for (int i = 0; i < 10000; i++) {
        char key[32];
        snprintf(key, sizeof key, "user-%d", i);
        assert_rs_ok(rs_split_choose(arm, sizeof arm, "v3=50,v4=50", "exp", key, &err), &err);
        assert_rs_ok(rs_split_choose(again, sizeof again, "v3=50,v4=50", "exp", key, &err), &err);
        assert_string_equal(arm, again);
        v4 += strcmp(arm, "v4") == 0;
        assert_rs_ok(rs_split_choose(again, sizeof again, "v3=50,v4=50", "exp2", key, &err), &err);
        moved += strcmp(arm, again) != 0;
        assert_rs_ok(rs_split_choose(arm, sizeof arm, "a=1,b=9", "exp", key, &err), &err);
        heavy += strcmp(arm, "b") == 0;
    }
    assert_true(v4 > 4800 && v4 < 5200);       /* binomial sd = 50 */
    assert_true(heavy > 8880 && heavy < 9120); /* sd = 30 */
    assert_true(moved > 4800 && moved < 5200); /* another experiment: independent */
    const char *bad[] = {"", "v3", "v3=0,v4=1", "v3=x", "=5", "v3=5,v3=5", "v3=-1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(rs_split_choose(arm, sizeof arm, bad[i], "e", "k", &err), RS_EINVAL);
}

int main(void)
{
    cJSON_Hooks hooks = {rs_malloc, rs_free};
    cJSON_InitHooks(&hooks);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arm_parsing),
        cmocka_unit_test(better_arm_wins),
        cmocka_unit_test(identical_arms_no_winner),
        cmocka_unit_test(small_difference_needs_more_cases),
        cmocka_unit_test(faults_are_recorded_not_lost),
        cmocka_unit_test(killed_then_resumed_equals_uninterrupted),
        cmocka_unit_test(judge_scores_and_malformed_answers),
        cmocka_unit_test(repeats_use_case_means),
        cmocka_unit_test(live_split_unpaired),
        cmocka_unit_test(reports_render),
        cmocka_unit_test(split_assignment),
        cmocka_unit_test(allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
