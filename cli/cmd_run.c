/*
 * rosetta run - send a prompt to a provider (or along a route), print the answer, log the run.
 */
#include "cli/cli.h"

#include "rosetta/compare.h"
#include "rosetta/memory.h"
#include "rosetta/registry.h"
#include "rosetta/runner.h"
#include "util/error.h"
#include "util/json.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: rosetta run [REF] (--target PROVIDER/MODEL | --route NAME) [options]\n"
    "\n"
    "Render the prompt REF (NAME, NAME@vN, NAME@LABEL, NAME@REV) for the target with the variant\n"
    "chosen for it, send it, print the answer and log the run (with every attempt) in the run "
    "log.\n"
    "Retryable failures (429, 5xx, 529, timeouts, cut streams) are retried with backoff, "
    "honouring\n"
    "the provider's Retry-After; along a route the next target is tried, rendered with its own "
    "variant.\n"
    "\n"
    "  --target P/M      provider/model, e.g. openai/gpt-4o-mini, mock/echo (offline, no key), or\n"
    "                    an alias from rosetta.yaml models:; default: defaults.target\n"
    "  --route NAME      a fallback chain from rosetta.yaml (routes: NAME: [target, ...])\n"
    "  --source FILE     run a .prompt file instead of a registry prompt (variants: FILE's "
    "siblings)\n"
    "  --variant V       use variant V for every target\n"
    "  --data FILE       input variables: a JSON object ('-' = standard input)\n"
    "  --var K=V         one variable as a string (repeatable); K:=JSON for a JSON value\n"
    "  --stream          stream the answer as it arrives\n"
    "  --json            print the outcome as JSON (answer, tokens, cost, latency, attempts, run "
    "id)\n"
    "  --log FILE        the run log (default $ROSETTA_LOG or .rosetta/runs.db); --no-log: none\n"
    "  --timeout MS      per attempt (default 120000)    --attempts N   tries per target (default "
    "3)\n"
    "  --deadline MS     the whole run, retries and fallbacks included (default 600000)\n"
    "  --seed N          seed of the backoff jitter (reproducible waits)\n"
    "  --verbose         trace HTTP to stderr (keys redacted) and print a summary\n"
    "  --split ARMS      live traffic split, e.g. \"v3=50,v4=50\": REF@ARM is run for an arm "
    "chosen\n"
    "                    by a sticky hash of --key (the same key always gets the same arm), "
    "logged\n"
    "                    with --experiment (default split-NAME) and the arm; compare the arms "
    "with\n"
    "                    `rosetta feedback RUN_ID --score X` and `rosetta stats --experiment EXP`\n"
    "  --key K           the unit of assignment (a user id, a session id) for --split; without\n"
    "                    --split, the split of rosetta.yaml's experiments: entry for the prompt\n"
    "  --experiment EXP  the experiment id of a --split\n"
    "\n"
    "Keys come from the environment (OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY, ...) or\n"
    "the key_file named in rosetta.yaml; they are never printed or logged.\n"
    "Exit: 0 answered, 6 every attempt failed, 3 bad input, 4 not found, 130 interrupted.\n";

/* The only mutable global of the command: what a signal handler may touch. */
static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

typedef struct stream_out {
    int any;
} stream_out;

static void print_text(void *ud, size_t index, const char *text, size_t len)
{
    (void)index;
    stream_out *so = ud;
    if (!text) {
        /* The attempt that streamed this much failed: the next one starts over. */
        fflush(stdout);
        fputs("\n", stdout);
        fflush(stdout);
        fputs("rosetta: the stream failed; retrying from the start\n", stderr);
        so->any = 0;
        return;
    }
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    so->any = 1;
}

static int add_var(cJSON *vars, const char *arg, rs_error *err)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        return RS_EINVAL;
    int json = eq > arg && eq[-1] == ':';
    size_t kl = (size_t)(eq - arg) - (json ? 1 : 0);
    char key[256];
    if (kl == 0 || kl >= sizeof key)
        return RS_EINVAL;
    memcpy(key, arg, kl);
    key[kl] = '\0';
    cJSON *v = json ? cJSON_Parse(eq + 1) : cJSON_CreateString(eq + 1);
    if (!v)
        return RS_EINVAL;
    cJSON_DeleteItemFromObjectCaseSensitive(vars, key);
    if (!cJSON_AddItemToObject(vars, key, v)) {
        cJSON_Delete(v);
        return rs_error_set(err, RS_ENOMEM, "out of memory");
    }
    return 0;
}

static void print_json(const rs_run_outcome *o)
{
    cJSON *j = cJSON_CreateObject();
    if (!j)
        return;
    cJSON_AddBoolToObject(j, "ok", o->ok);
    if (o->run_id >= 0)
        cJSON_AddNumberToObject(j, "run_id", (double)o->run_id);
    else
        cJSON_AddNullToObject(j, "run_id");
    const struct {
        const char *k, *v;
    } strs[] = {{"prompt", o->prompt},   {"version", o->version},          {"commit", o->commit},
                {"variant", o->variant}, {"provider", o->provider},        {"model", o->model},
                {"route", o->route},     {"text", o->ok ? o->text : NULL}, {"finish", o->finish},
                {"error", o->error},     {"error_class", o->error_class},  {"warning", o->warning}};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        if (strs[i].v)
            cJSON_AddStringToObject(j, strs[i].k, strs[i].v);
        else
            cJSON_AddNullToObject(j, strs[i].k);
    }
    cJSON *tc = o->tool_calls_json ? cJSON_Parse(o->tool_calls_json) : NULL;
    if (tc)
        cJSON_AddItemToObject(j, "tool_calls", tc);
    cJSON *u = cJSON_AddObjectToObject(j, "usage");
    const struct {
        const char *k;
        long v;
    } nums[] = {{"input", o->input_tokens},
                {"output", o->output_tokens},
                {"cached", o->cached_tokens},
                {"reasoning", o->reasoning_tokens}};
    for (size_t i = 0; u && i < sizeof nums / sizeof nums[0]; i++) {
        if (nums[i].v >= 0)
            cJSON_AddNumberToObject(u, nums[i].k, (double)nums[i].v);
        else
            cJSON_AddNullToObject(u, nums[i].k);
    }
    if (o->cost_known)
        cJSON_AddNumberToObject(j, "cost_usd", o->cost_usd);
    else
        cJSON_AddNullToObject(j, "cost_usd");
    cJSON_AddNumberToObject(j, "latency_ms", o->latency_ms);
    if (o->ttft_ms >= 0)
        cJSON_AddNumberToObject(j, "ttft_ms", o->ttft_ms);
    else
        cJSON_AddNullToObject(j, "ttft_ms");
    cJSON_AddNumberToObject(j, "attempts", o->attempts);
    char *s = cJSON_Print(j);
    if (s) {
        printf("%s\n", s);
        cJSON_free(s);
    }
    cJSON_Delete(j);
}

/*
 * A split declared in rosetta.yaml:
 *     experiments:
 *       triage-v4: {prompt: support/triage, split: "v3=50,v4=50"}
 * used by `run NAME --key K` (the experiment whose prompt is NAME) or `run NAME --key K
 * --experiment triage-v4`. Nothing found: *split stays NULL (the caller then asks for --split).
 */
static int config_split(const char **split, char *split_buf, size_t split_size, const char **exp,
                        char *exp_buf, size_t exp_size, const char *name, const char *dir,
                        rs_error *err)
{
    int rc = 0;
    rs_registry *reg = NULL;
    char *cfg = NULL;
    cJSON *c = NULL;
    rs_error rerr = RS_ERROR_INIT;
    if (rs_registry_open(&reg, dir, &rerr) != 0)
        return 0; /* no registry: no rosetta.yaml experiments */
    if ((rc = rs_registry_config(&cfg, reg, err)) != 0 || !cfg)
        goto done;
    if ((rc = rs_json_parse(&c, cfg, strlen(cfg), "rosetta.yaml", err)) != 0)
        goto done;
    const cJSON *exps = cJSON_GetObjectItemCaseSensitive(c, "experiments");
    for (const cJSON *e = cJSON_IsObject(exps) ? exps->child : NULL; e; e = e->next) {
        const char *prompt = rs_json_string(e, "prompt"), *sp = rs_json_string(e, "split");
        if (*exp ? strcmp(e->string, *exp) != 0 : (!prompt || strcmp(prompt, name) != 0))
            continue;
        if (!sp || (prompt && strcmp(prompt, name) != 0)) {
            rc = rs_error_set(err, RS_ECONFIG,
                              "rosetta.yaml: experiment '%s' needs prompt: %s and split: "
                              "\"v3=50,v4=50\"", e->string, name);
            goto done;
        }
        int n1 = snprintf(split_buf, split_size, "%s", sp);
        int n2 = snprintf(exp_buf, exp_size, "%s", e->string);
        if (n1 < 0 || (size_t)n1 >= split_size || n2 < 0 || (size_t)n2 >= exp_size) {
            rc = rs_error_set(err, RS_ELIMIT, "rosetta.yaml: experiment '%s' too long", e->string);
            goto done;
        }
        *split = split_buf;
        *exp = exp_buf;
        break;
    }
done:
    cJSON_Delete(c);
    rs_free(cfg);
    rs_registry_free(reg);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    int rc = RS_EXIT_OK;
    rs_error err = RS_ERROR_INIT;
    rs_runner *runner = NULL;
    rs_run_outcome *o = NULL;
    cJSON *vars = NULL;
    char *vars_text = NULL;
    rs_run_request q = RS_RUN_REQUEST_INIT;
    rs_runner_opts ro = RS_RUNNER_OPTS_INIT;
    const char *data_file = NULL;
    int json = 0, verbose = 0;
    stream_out so = {0};
    struct sigaction sa, old_sa;
    int sa_set = 0;
    const char *split = NULL, *split_key = NULL, *split_exp = NULL;
    char split_arm[64], split_exp_buf[300], split_ref[600], split_buf[512], exp_buf[300];

    vars = cJSON_CreateObject();
    if (!vars) {
        rs_error_set(&err, RS_ENOMEM, "out of memory");
        rc = cli_fail(&err);
        goto done;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEEDS_VALUE                                                                                \
    if (!v) {                                                                                      \
        rc = cli_usage_error("run", "%s needs a value", a);                                        \
        goto done;                                                                                 \
    }                                                                                              \
    i++
        if (cli_is_help(a)) {
            fputs(usage_text, stdout);
            goto done;
        } else if (strcmp(a, "--target") == 0) {
            NEEDS_VALUE;
            q.target = v;
        } else if (strcmp(a, "--route") == 0) {
            NEEDS_VALUE;
            q.route = v;
        } else if (strcmp(a, "--source") == 0) {
            NEEDS_VALUE;
            q.source = v;
        } else if (strcmp(a, "--variant") == 0) {
            NEEDS_VALUE;
            q.variant = v;
        } else if (strcmp(a, "--data") == 0) {
            NEEDS_VALUE;
            data_file = v;
        } else if (strcmp(a, "--var") == 0) {
            NEEDS_VALUE;
            if (add_var(vars, v, &err) != 0) {
                rc = cli_usage_error("run", "--var %s: expected KEY=VALUE or KEY:=JSON", v);
                goto done;
            }
        } else if (strcmp(a, "--log") == 0) {
            NEEDS_VALUE;
            ro.log_path = v;
        } else if (strcmp(a, "--timeout") == 0 || strcmp(a, "--attempts") == 0 ||
                   strcmp(a, "--seed") == 0 || strcmp(a, "--deadline") == 0) {
            NEEDS_VALUE;
            char *end = NULL;
            errno = 0;
            unsigned long long n = strtoull(v, &end, 10);
            if (errno || !end || *end || end == v || n == 0 || n > 1000000000ULL) {
                rc = cli_usage_error("run", "%s: expected a positive number, got '%s'", a, v);
                goto done;
            }
            if (strcmp(a, "--timeout") == 0)
                ro.timeout_ms = (long)n;
            else if (strcmp(a, "--deadline") == 0)
                ro.budget_ms = (long)n;
            else if (strcmp(a, "--attempts") == 0)
                ro.max_attempts = n > 20 ? 20 : (int)n;
            else
                ro.seed = n;
        } else if (strcmp(a, "--split") == 0 || strcmp(a, "--key") == 0 ||
                   strcmp(a, "--experiment") == 0) {
            NEEDS_VALUE;
            if (a[2] == 's')
                split = v;
            else if (a[2] == 'k')
                split_key = v;
            else
                split_exp = v;
        } else if (strcmp(a, "--no-log") == 0) {
            ro.no_log = 1;
        } else if (strcmp(a, "--stream") == 0) {
            q.stream = 1;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
            verbose = 1;
        } else if (a[0] == '-' && a[1]) {
            rc = cli_usage_error("run", "unknown option '%s'", a);
            goto done;
        } else if (!q.ref) {
            q.ref = a;
        } else {
            rc = cli_usage_error("run", "one prompt reference only ('%s' and '%s')", q.ref, a);
            goto done;
        }
#undef NEEDS_VALUE
    }
    if (q.target && q.route) {
        rc = cli_usage_error("run", "--target and --route exclude each other");
        goto done;
    }
    if (split_key && !split && q.ref && !strchr(q.ref, '@') &&
        config_split(&split, split_buf, sizeof split_buf, &split_exp, exp_buf, sizeof exp_buf,
                     q.ref, ro.registry_dir, &err) != 0) {
        rc = cli_fail(&err);
        goto done;
    }
    if ((split || split_key) && (!split || !split_key || !q.ref || strchr(q.ref, '@'))) {
        rc = cli_usage_error("run", "a split needs --key, a prompt NAME without @ (the arms are "
                                    "its versions or labels) and --split \"v3=50,v4=50\" or an "
                                    "experiments: entry for NAME in rosetta.yaml");
        goto done;
    }
    if (split) {
        /* sticky assignment (rosetta/compare.h): the same key always gets the same arm */
        int n = split_exp ? snprintf(split_exp_buf, sizeof split_exp_buf, "%s", split_exp)
                          : snprintf(split_exp_buf, sizeof split_exp_buf, "split-%s", q.ref);
        if (n < 0 || (size_t)n >= sizeof split_exp_buf) {
            rc = cli_usage_error("run", "experiment id too long");
            goto done;
        }
        for (char *c = split_exp_buf; *c; c++)
            if (*c == '/')
                *c = '.';
        if (rs_split_choose(split_arm, sizeof split_arm, split, split_exp_buf, split_key, &err) !=
            0) {
            rc = cli_fail(&err);
            goto done;
        }
        n = snprintf(split_ref, sizeof split_ref, "%s@%s", q.ref, split_arm);
        if (n < 0 || (size_t)n >= sizeof split_ref) {
            rc = cli_usage_error("run", "prompt reference too long");
            goto done;
        }
        q.ref = split_ref;
        q.experiment = split_exp_buf;
        q.arm = split_arm;
        q.case_id = split_key;
        if (verbose)
            fprintf(stderr, "rosetta: split %s: key -> arm %s (experiment %s)\n", split, split_arm,
                    split_exp_buf);
    }
    if (!q.ref && !q.source) {
        rc = cli_usage_error("run", "give a prompt reference or --source FILE");
        goto done;
    }
    if (q.ref && q.source) {
        rc = cli_usage_error("run", "a prompt reference and --source exclude each other");
        goto done;
    }
    if (data_file) {
        cJSON *d = NULL;
        if (rs_json_parse_file(&d, data_file, &err) != 0) {
            rc = cli_fail(&err);
            goto done;
        }
        if (!cJSON_IsObject(d)) {
            cJSON_Delete(d);
            rs_error_set(&err, RS_EINVAL,
                         "--data: the file must hold a JSON object of "
                         "variables");
            rc = cli_fail(&err);
            goto done;
        }
        /* --var values win over the file's. */
        cJSON *it = vars->child;
        while (it) {
            cJSON *nx = it->next;
            cJSON *moved = cJSON_DetachItemViaPointer(vars, it);
            cJSON_DeleteItemFromObjectCaseSensitive(d, moved->string);
            cJSON_AddItemToObject(d, moved->string, moved);
            it = nx;
        }
        cJSON_Delete(vars);
        vars = d;
    }
    vars_text = cJSON_PrintUnformatted(vars);
    if (!vars_text) {
        rs_error_set(&err, RS_ENOMEM, "out of memory");
        rc = cli_fail(&err);
        goto done;
    }
    q.vars_json = vars_text;
    if (q.stream && !json) {
        q.on_text = print_text;
        q.text_ud = &so;
    }
    ro.trace = verbose ? stderr : NULL;
    ro.cancel = &interrupted;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESTART; /* file writes resume; the run loop polls the flag every 100 ms */
    sigemptyset(&sa.sa_mask);
    sa_set = sigaction(SIGINT, &sa, &old_sa) == 0;

    if (rs_runner_open(&runner, &ro, &err) != 0) {
        rc = cli_fail(&err);
        goto done;
    }
    int rrc = rs_run(runner, &q, &o, &err);
    if (so.any)
        fputc('\n', stdout);
    if (o && o->warning)
        fprintf(stderr, "rosetta: warning: %s\n", o->warning);
    if (json && o)
        print_json(o);
    else if (o && o->ok && !so.any)
        printf("%s\n", o->text ? o->text : "");
    if (verbose && o) {
        char ttft[32] = "n/a", cost[32] = "unknown";
        if (o->ttft_ms >= 0)
            snprintf(ttft, sizeof ttft, "%.0f ms", o->ttft_ms);
        if (o->cost_known)
            snprintf(cost, sizeof cost, "$%.6f", o->cost_usd);
        fprintf(stderr,
                "rosetta: run %lld: %s/%s%s%s, %d attempt%s, %.0f ms, ttft %s, tokens %ld in / "
                "%ld out, cost %s\n",
                o->run_id, o->provider ? o->provider : "?", o->model ? o->model : "?",
                o->variant ? " variant " : "", o->variant ? o->variant : "", o->attempts,
                o->attempts == 1 ? "" : "s", o->latency_ms, ttft, o->input_tokens, o->output_tokens,
                cost);
    }
    if (rrc != 0) {
        if (rrc == RS_EINTERRUPTED) {
            fprintf(stderr, "rosetta: interrupted; the run was logged as interrupted\n");
            rc = 130;
        } else if (o && !json && o->attempts > 0) {
            fprintf(stderr, "rosetta: run failed after %d attempt%s (%s): %s\n", o->attempts,
                    o->attempts == 1 ? "" : "s", o->error_class ? o->error_class : "error",
                    err.message);
            /* provider failures exit 6; a target that could not be used at all (no key,
             * unknown provider, unsupported feature) is a configuration/input error */
            rc = rrc == RS_EPROVIDER || rrc == RS_ETIMEOUT ? RS_EXIT_PROVIDER : cli_exit_code(rrc);
        } else if (json && o && o->attempts > 0) {
            rc = rrc == RS_EPROVIDER || rrc == RS_ETIMEOUT ? RS_EXIT_PROVIDER : cli_exit_code(rrc);
        } else {
            rc = cli_fail(&err);
        }
    }
done:
    if (sa_set)
        sigaction(SIGINT, &old_sa, NULL);
    rs_run_outcome_free(o);
    rs_runner_free(runner);
    cJSON_Delete(vars);
    if (vars_text)
        cJSON_free(vars_text);
    return rc;
}
