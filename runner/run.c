/*
 * runner/run.c - runs: resolve, choose the variant per target, render, encode, send, decode,
 * retry, fall back, price, log (include/rosetta/runner.h).
 *
 * Every run is a small state machine driven by one loop (run_loop) over the transport:
 *     target_begin -> attempt_start -> (HTTP exchange | in-process mock) -> attempt_done
 *         ok                      -> run_finish
 *         retryable, within caps  -> wait (a timer; no thread sleeps) -> attempt_start
 *         otherwise               -> next target of the route -> target_begin
 *         no target left          -> run_finish (failed)
 * rs_run is a batch of one. The log write is one transaction per run, after its last attempt,
 * so an interrupted process never leaves half a run; on cancel, runs in flight are finished as
 * "interrupted" and logged.
 */
#include "rosetta/runner.h"
#include "runner/run.h"

#include "providers/transport.h"
#include "render/prompt.h"
#include "render/variant.h"
#include "templates/yaml_json.h"
#include "rosetta/registry.h"
#include "runner/mock_provider.h"
#include "runner/pricing.h"
#include "runner/retry.h"
#include "runner/route.h"
#include "runner/runlog.h"
#include "util/alloc.h"
#include "util/file.h"
#include "util/json.h"
#include "util/strcut.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sys/stat.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct rs_runner {
    rs_runner_opts o;
    rs_registry *reg; /* NULL when there is none (then --source only) */
    cJSON *config;    /* rosetta.yaml, NULL when none */
    cJSON *keys;      /* key_file entries {"NAME": "value"}, NULL when none */
    rs_pricing *pricing;
    rs_runlog *log;
    char *log_path;
    rs_transport *t;
    rs_retry_policy policy;
    rs_rng rng;
    long mock_latency_ms;
    rs_vec sources; /* compiled --source prompts (run_source.c) */
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* ---------- opening ---------- */

/* key_file (rosetta.yaml): lines NAME=value (# comments); it must live outside the registry,
 * which is committed and pushed. */
static int load_key_file(rs_runner *r, rs_error *err)
{
    const char *path = rs_json_string(r->config, "key_file");
    char *text = NULL, *expanded = NULL;
    size_t len = 0;
    int rc = 0;
    if (!path)
        return 0;
    if (path[0] == '~' && path[1] == '/' && getenv("HOME")) {
        rs_str s = RS_STR_INIT;
        rs_str_appendf(&s, "%s%s", getenv("HOME"), path + 1);
        expanded = rs_str_detach(&s, NULL);
        if (!expanded)
            return rs_error_set(err, RS_ENOMEM, "out of memory");
        path = expanded;
    }
    if (r->reg && path[0] != '/') {
        rc = rs_error_set(err, RS_ECONFIG,
                          "rosetta.yaml: key_file '%s' must be an absolute path outside the "
                          "registry (the registry is committed; keys must never be)",
                          path);
        goto done;
    }
    if (r->reg && !rs_registry_is_bare(r->reg) &&
        strncmp(path, rs_registry_root(r->reg), strlen(rs_registry_root(r->reg))) == 0) {
        rc = rs_error_set(
            err, RS_ECONFIG,
            "rosetta.yaml: key_file '%s' is inside the registry; keep keys outside it", path);
        goto done;
    }
    rc = rs_file_read(&text, &len, path, err);
    if (rc)
        goto done;
    r->keys = cJSON_CreateObject();
    if (!r->keys) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        char *eq = strchr(line, '=');
        if (line[0] != '#' && eq && eq > line) {
            *eq = '\0';
            char *v = eq + 1;
            size_t vl = strlen(v);
            while (vl && (v[vl - 1] == '\r' || v[vl - 1] == ' '))
                v[--vl] = '\0';
            if (!cJSON_AddStringToObject(r->keys, line, v)) {
                rc = rs_error_set(err, RS_ENOMEM, "out of memory");
                break;
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    /* The text held keys: wipe it before freeing. */
    memset(text, 0, len);
done:
    rs_free(text);
    rs_free(expanded);
    return rc;
}

int rs_runner_register_secrets(const rs_runner *r, rs_runlog *log, rs_error *err)
{
    int rc = 0;
    for (const cJSON *k = r->keys ? r->keys->child : NULL; rc == 0 && k; k = k->next)
        if (cJSON_IsString(k))
            rc = rs_runlog_add_secret(log, k->valuestring, err);
    return rc;
}

/* Outside a registry, ./rosetta.yaml (when there is one) still gives routes, providers,
 * pricing overrides and the key_file. */
static int load_local_config(rs_runner *r, rs_error *err)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = fopen("rosetta.yaml", "r");
    if (!f)
        return 0;
    fclose(f);
    int rc = rs_file_read(&text, &len, "rosetta.yaml", err);
    if (rc == 0) {
        rs_yaml_opts yo = RS_YAML_OPTS_INIT;
        yo.filename = "rosetta.yaml";
        yo.file_src = text;
        yo.file_len = len;
        rc = rs_yaml_to_json(&r->config, text, len, &yo, err);
    }
    if (rc == 0 && r->config && !cJSON_IsObject(r->config)) {
        cJSON_Delete(r->config);
        r->config = NULL;
    }
    rs_free(text);
    return rc;
}

int rs_runner_open(rs_runner **out, const rs_runner_opts *opts, rs_error *err)
{
    int rc = 0;
    char *cfg = NULL;
    rs_runner *r = rs_calloc(1, sizeof *r);
    *out = NULL;
    if (!r)
        return rs_error_set(err, RS_ENOMEM, "out of memory opening the runner");
    if (opts)
        r->o = *opts;
    rs_source_cache_init(&r->sources);
    if (r->o.timeout_ms <= 0)
        r->o.timeout_ms = 120000;
    rs_retry_policy dp = RS_RETRY_POLICY_INIT;
    r->policy = dp;
    if (r->o.max_attempts > 0)
        r->policy.max_attempts = r->o.max_attempts;
    if (r->o.budget_ms > 0)
        r->policy.max_total_ms = r->o.budget_ms;
    if (r->o.backoff_ms > 0) {
        r->policy.base_ms = r->o.backoff_ms;
        if (r->policy.max_backoff_ms < r->o.backoff_ms)
            r->policy.max_backoff_ms = r->o.backoff_ms;
    }
    if (r->o.max_attempts > 0 || r->o.budget_ms > 0) {
        /* hints longer than the whole budget are not waited for anyway */
        if (r->policy.max_hint_ms > r->policy.max_total_ms)
            r->policy.max_hint_ms = r->policy.max_total_ms;
    }
    rs_rng_seed(&r->rng, r->o.seed
                             ? r->o.seed
                             : (unsigned long long)time(NULL) ^ (unsigned long long)(size_t)r);
    r->mock_latency_ms = r->o.mock_latency_ms;
    if (r->mock_latency_ms < 0) {
        const char *e = getenv("ROSETTA_MOCK_LATENCY_MS");
        r->mock_latency_ms = e ? strtol(e, NULL, 10) : 0;
        if (r->mock_latency_ms < 0)
            r->mock_latency_ms = 0;
    }

    /* The registry is optional: --source runs need none. */
    rs_error rerr = RS_ERROR_INIT;
    if (rs_registry_open(&r->reg, r->o.registry_dir, &rerr) != 0) {
        if (rerr.code != RS_ENOTFOUND || r->o.registry_dir) {
            *err = rerr;
            rc = rerr.code;
            goto done;
        }
        r->reg = NULL;
    }
    if (r->reg) {
        rc = rs_registry_config(&cfg, r->reg, err);
        if (rc)
            goto done;
        rc = rs_json_parse(&r->config, cfg, strlen(cfg), "rosetta.yaml", err);
        if (rc)
            goto done;
        if (cJSON_IsNull(r->config)) {
            cJSON_Delete(r->config);
            r->config = NULL;
        }
    }
    if (!r->reg && (rc = load_local_config(r, err)) != 0)
        goto done;
    if ((rc = load_key_file(r, err)) != 0)
        goto done;
    rc = rs_pricing_load(&r->pricing, cJSON_GetObjectItemCaseSensitive(r->config, "pricing"), err);
    if (rc)
        goto done;
    if (!r->o.no_log) {
        const char *root = r->reg && !rs_registry_is_bare(r->reg) ? rs_registry_root(r->reg) : NULL;
        rc = rs_runlog_path(&r->log_path, r->o.log_path, root, err);
        if (rc == 0)
            rc = rs_runlog_open(&r->log, r->log_path, err);
        /* The log scrubs the environment's keys by itself; the key_file's it cannot see. A key
         * it could not be told about fails the open rather than risk being written. */
        if (rc == 0)
            rc = rs_runner_register_secrets(r, r->log, err);
        if (rc)
            goto done;
    }
    rs_transport_opts to = RS_TRANSPORT_OPTS_INIT;
    to.trace = r->o.trace;
    rc = rs_transport_new(&r->t, &to, err);
    if (rc)
        goto done;
    *out = r;
    r = NULL;
done:
    rs_free(cfg);
    rs_runner_free(r);
    return rc;
}

void rs_runner_free(rs_runner *r)
{
    if (!r)
        return;
    rs_source_cache_free(&r->sources);
    rs_transport_free(r->t);
    rs_runlog_close(r->log);
    rs_free(r->log_path);
    rs_pricing_free(r->pricing);
    cJSON_Delete(r->config);
    cJSON_Delete(r->keys);
    rs_registry_free(r->reg);
    rs_free(r);
}

void rs_runner_set_cancel(rs_runner *r, volatile const sig_atomic_t *cancel)
{
    r->o.cancel = cancel;
}

const char *rs_runner_log_path(const rs_runner *r)
{
    return r->log_path ? r->log_path : "";
}

/* ---------- one run ---------- */

typedef struct attempt_row {
    char target[320];
    int ok;
    int http_status;
    rs_fail_class cls;
    char cls_name[24];
    char error[600];
    double latency_ms;
    long retry_after_ms;
} attempt_row;

enum phase { P_NEW, P_HTTP, P_MOCK, P_WAIT, P_LOGGING, P_DONE };

typedef struct run_state {
    rs_runner *r;
    const rs_run_request *req;
    size_t index;
    enum phase phase;
    double t0, next_at;
    rs_route route;
    size_t ti;   /* current target */
    int attempt; /* tries of the current target */
    /* the prompt */
    char *name, *commit, *source_text;
    char version[24];
    rs_registry_ref *ref;
    cJSON *data; /* {"input": vars} */
    /* the current target */
    rs_target tgt;
    rs_service svc;
    char *variant; /* chosen for the current target, NULL = base */
    rs_request http;
    int have_req;
    rs_exchange x;
    /* a mock answer waiting for its simulated latency */
    rs_result mres;
    rs_provider_error mpe;
    int mrc;
    rs_error merr;
    /* history and result */
    rs_vec attempts; /* of attempt_row */
    rs_result final;
    int ok;
    int rc;
    rs_error err; /* the last failure */
    char err_class[24];
    double ttft_ms;
    int input_error; /* failed before anything was sent */
    /* the outcome and its log record, alive until delivered */
    rs_run_outcome out;
    rs_run_record rec;
    rs_attempt_record *ar;
    char *tools, *input;
    char hash[20];
    char warning[256];
    rs_target last;
    long long run_id;
    int logged_rc;
    rs_error log_err;
    struct run_state *log_next;
    int queued; /* handed to the logger thread: counted in batch.logging, not batch.active */
} run_state;

static void state_init(run_state *st, rs_runner *r, const rs_run_request *req, size_t index)
{
    memset(st, 0, sizeof *st);
    st->r = r;
    st->req = req;
    st->index = index;
    st->t0 = now_ms();
    st->ttft_ms = -1;
    rs_vec_init(&st->attempts, sizeof(attempt_row));
    rs_result_init(&st->final);
    rs_result_init(&st->mres);
    rs_exchange_init(&st->x);
    rs_request_init(&st->http);
}

static void target_clear(run_state *st)
{
    rs_request_free(&st->http);
    rs_request_init(&st->http);
    st->have_req = 0;
    rs_free(st->variant);
    st->variant = NULL;
}

static void state_free(run_state *st)
{
    rs_free(st->tools);
    rs_free(st->input);
    rs_free(st->ar);
    target_clear(st);
    rs_exchange_reset(&st->x);
    rs_result_free(&st->x.result);
    rs_result_free(&st->mres);
    rs_result_free(&st->final);
    rs_vec_free(&st->attempts);
    rs_registry_ref_free(st->ref);
    cJSON_Delete(st->data);
    rs_free(st->name);
    rs_free(st->commit);
    rs_free(st->source_text);
}

static char *dup_or_null(const char *s)
{
    return s ? rs_strdup(s) : NULL;
}

/* The base prompt's own `model:` (frontmatter), rs_malloc'd; NULL when it names none. */
static int prompt_model(char **out, run_state *st, rs_error *err)
{
    int rc;
    char *src = NULL;
    size_t len = 0;
    rs_prompt *p = NULL;
    rs_prompt_compile_opts co = RS_PROMPT_COMPILE_OPTS_INIT;
    char dir[4096] = ".";
    *out = NULL;
    if (st->req->source) {
        const char *slash = strrchr(st->req->source, '/');
        if (slash)
            snprintf(dir, sizeof dir, "%.*s", (int)(slash - st->req->source), st->req->source);
        co.filename = st->req->source;
        co.partials_dir = dir;
        rc = rs_file_read(&src, &len, st->req->source, err);
    } else {
        co.resolve = rs_registry_partial_resolver;
        co.resolve_userdata = st->ref;
        rc = rs_registry_read(&src, &len, st->r->reg, st->ref, NULL, err);
    }
    if (rc == 0)
        rc = rs_prompt_compile(&p, src, len, &co, err);
    if (rc == 0) {
        const char *m = rs_json_string(rs_prompt_metadata(p), "model");
        if (m && *m && !(*out = rs_strdup(m)))
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
    }
    rs_prompt_free(p);
    rs_free(src);
    return rc;
}

/* The targets: --route, else --target, else the prompt's model:, else defaults.target;
 * a target without '/' is a model alias (models: {fast: openai/gpt-4o-mini}). */
static int choose_route(run_state *st, rs_error *err)
{
    int rc = 0;
    const rs_run_request *q = st->req;
    rs_runner *r = st->r;
    char *own = NULL;
    if (q->route)
        return rs_route_lookup(&st->route, r->config, q->route, err);
    const char *target = q->target;
    if (!target) {
        if ((rc = prompt_model(&own, st, err)) != 0)
            return rc;
        target = own;
    }
    if (!target)
        target = rs_json_string(cJSON_GetObjectItemCaseSensitive(r->config, "defaults"), "target");
    if (target && !strchr(target, '/')) {
        const char *alias =
            rs_json_string(cJSON_GetObjectItemCaseSensitive(r->config, "models"), target);
        if (alias)
            target = alias;
    }
    if (target)
        rc = rs_route_single(&st->route, target, err);
    else
        rc = rs_error_set(err, RS_EINVAL,
                          "no target: give --target PROVIDER/MODEL or --route NAME, or name a "
                          "model: in the prompt or defaults.target in rosetta.yaml");
    rs_free(own);
    return rc;
}

/* Resolve the prompt once per run: name, commit, version, the input data, the route. */
static int run_resolve(run_state *st, rs_error *err)
{
    int rc = 0;
    const rs_run_request *q = st->req;
    rs_runner *r = st->r;
    cJSON *vars = NULL;
    if (q->target && q->route)
        return rs_error_set(err, RS_EINVAL, "give a target or a route, not both");
    if (q->vars_json) {
        rc = rs_json_parse(&vars, q->vars_json, strlen(q->vars_json), "input variables", err);
        if (rc)
            return rc;
        if (!cJSON_IsObject(vars)) {
            cJSON_Delete(vars);
            return rs_error_set(err, RS_EINVAL, "the input variables must be a JSON object");
        }
    } else {
        vars = cJSON_CreateObject();
    }
    st->data = cJSON_CreateObject();
    if (!vars || !st->data || !cJSON_AddItemToObject(st->data, "input", vars)) {
        cJSON_Delete(vars);
        return rs_error_set(err, RS_ENOMEM, "out of memory");
    }
    if (q->source) {
        struct stat sb;
        if (stat(q->source, &sb) != 0 || !S_ISREG(sb.st_mode))
            return rs_error_set(err, RS_ENOTFOUND, "%s: no such prompt file", q->source);
        const char *base = strrchr(q->source, '/');
        base = base ? base + 1 : q->source;
        size_t n = strlen(base);
        if (n > 7 && strcmp(base + n - 7, ".prompt") == 0)
            n -= 7;
        st->name = rs_strndup(base, n);
        if (!st->name)
            return rs_error_set(err, RS_ENOMEM, "out of memory");
        return choose_route(st, err);
    }
    if (!q->ref)
        return rs_error_set(err, RS_EINVAL,
                            "no prompt: give a registry reference or --source FILE");
    if (!r->reg)
        return rs_error_set(err, RS_ENOTFOUND,
                            "no registry here (run inside one, set ROSETTA_REGISTRY, or use "
                            "--source FILE)");
    if ((rc = rs_registry_resolve(&st->ref, r->reg, q->ref, err)) != 0)
        return rc;
    int v = 0;
    if ((rc = rs_registry_ref_version(&v, r->reg, st->ref, err)) != 0)
        return rc;
    snprintf(st->version, sizeof st->version, "v%d", v);
    st->name = dup_or_null(rs_registry_ref_name(st->ref));
    st->commit = dup_or_null(rs_registry_ref_commit(st->ref));
    if (!st->name || !st->commit)
        return rs_error_set(err, RS_ENOMEM, "out of memory");
    return choose_route(st, err);
}

/* Choose the variant of st's source for the current target, and render it (run_source.c). */
static int render_source(cJSON **rendered, run_state *st, const char *forced, rs_error *err)
{
    char spec[400];
    snprintf(spec, sizeof spec, "%s/%s", st->tgt.provider, st->tgt.model);
    return rs_source_render(rendered, &st->variant, &st->r->sources, st->req->source, st->name,
                            spec, forced, st->data, err);
}

static int render_registry(cJSON **rendered, run_state *st, const char *forced, rs_error *err)
{
    int rc;
    char *json = NULL, *reason = NULL, *data = NULL;
    char spec[400], ref[512];
    snprintf(spec, sizeof spec, "%s/%s", st->tgt.provider, st->tgt.model);
    /* Pin the commit resolved once for the run: a label moving mid-run changes nothing. */
    snprintf(ref, sizeof ref, "%s@%s", st->name, st->commit);
    rc = rs_registry_choose(&st->variant, &reason, st->r->reg, st->ref, spec, forced, err);
    if (rc)
        goto done;
    data = rs_json_print(st->data, 0);
    if (!data) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    rs_registry_render_opts ro = RS_REGISTRY_RENDER_OPTS_INIT;
    ro.target = spec;
    ro.variant = st->variant ? st->variant : NULL;
    ro.data = data;
    rc = rs_registry_render(&json, NULL, st->r->reg, ref, &ro, err);
    if (rc == 0)
        rc = rs_json_parse(rendered, json, strlen(json), "rendered prompt", err);
done:
    rs_free(json);
    rs_free(reason);
    rs_free(data);
    return rc;
}

/* A key: the environment first, then the key_file. Borrowed; NULL when none. */
static const char *key_value(const rs_runner *r, const char *name)
{
    if (!name || !*name)
        return NULL;
    const char *v = getenv(name);
    if (v && *v)
        return v;
    return rs_json_string(r->keys, name);
}

static int has_header(const rs_vec *h, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < h->len; i++) {
        const char *s = RS_VEC_AT(h, char *, i);
        if (strncasecmp(s, name, n) == 0 && s[n] == ':')
            return 1;
    }
    return 0;
}

/* Build the request for the current target: service, variant, render, encode, endpoint, headers. */
static int target_prepare(run_state *st, rs_error *err)
{
    int rc = 0;
    cJSON *rendered = NULL;
    rs_runner *r = st->r;
    const rs_route_target *rt = &st->route.targets[st->ti];
    const char *forced = st->req->variant ? st->req->variant : rt->variant[0] ? rt->variant : NULL;
    if ((rc = rs_target_parse(&st->tgt, rt->target, err)) != 0)
        goto done;
    if ((rc = rs_service_lookup(&st->svc, st->tgt.provider, r->config, err)) != 0)
        goto done;
    rc = st->req->source ? render_source(&rendered, st, forced, err)
                         : render_registry(&rendered, st, forced, err);
    if (rc)
        goto done;
    const rs_dialect *d = st->svc.dialect;
    rs_encode_opts eo = RS_ENCODE_OPTS_INIT;
    eo.stream = st->req->stream && strcmp(d->name, "mock") != 0;
    const char *key = key_value(r, st->svc.key_env);
    if (!key && st->svc.key_env[0] && !(st->svc.quirks & RS_QUIRK_KEY_OPTIONAL)) {
        rc = rs_error_set(err, RS_ECONFIG,
                          "no key for %s: set %s in the environment (or name a "
                          "key_file in rosetta.yaml)",
                          st->svc.name, st->svc.key_env);
        goto done;
    }
    rc = d->encode(&st->http.body, &st->svc, st->tgt.model, rendered, &eo, err);
    if (rc == 0)
        rc = d->endpoint(&st->http.url, &st->svc, st->tgt.model, eo.stream, err);
    if (rc == 0)
        rc = d->headers(&st->http.headers, &st->svc, key, err);
    if (rc == 0 && !has_header(&st->http.headers, "Content-Type")) {
        char *h = rs_strdup("Content-Type: application/json");
        if (!h || rs_vec_push(&st->http.headers, &h) != 0) {
            rs_free(h);
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        }
    }
    st->http.stream = eo.stream;
    st->have_req = rc == 0;
done:
    cJSON_Delete(rendered);
    return rc;
}

static int is_input_error(int rc)
{
    return rc == RS_ESYNTAX || rc == RS_ERENDER || rc == RS_ESCHEMA;
}

static void record_attempt(run_state *st, int ok, int http, rs_fail_class cls, const char *cls_name,
                           const char *msg, double latency, long retry_after)
{
    attempt_row *a = rs_vec_push_zero(&st->attempts);
    if (!a)
        return; /* the run still completes; the row is lost to memory pressure only */
    snprintf(a->target, sizeof a->target, "%s", st->route.targets[st->ti].target);
    a->ok = ok;
    a->http_status = http;
    a->cls = cls;
    snprintf(a->cls_name, sizeof a->cls_name, "%s", cls_name ? cls_name : "");
    rs_copy_cut(a->error, sizeof a->error, msg); /* a long provider error ends with "..." */
    a->latency_ms = latency;
    a->retry_after_ms = retry_after;
}

/* Runs per transaction at most: bounds the logger's buffers and how long a written run waits
 * for the rest of its group before it is handed back. */
enum { LOG_GROUP_MAX = 256 };
/* Runs that finish spread out (a wave of answers arriving over a few ms) would each get their
 * own transaction if the logger wrote as soon as one is queued; so with fewer than
 * LOG_GROUP_MIN queued it lingers up to LOG_LINGER_MS for more. The network does not wait for
 * this (a run's slot is released when it is queued); only the `done` callback is later. */
enum { LOG_GROUP_MIN = 32, LOG_LINGER_MS = 2 };

typedef struct logger {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    run_state *pending, *pending_tail; /* to write */
    run_state *done, *done_tail;       /* written, to deliver */
    size_t npending;                   /* length of the pending list */
    int stop, running;
    int flush; /* the batch's last run is queued: write without lingering */
    /* The logger thread's own buffers for one group commit (grown as needed, freed at stop). */
    rs_run_record *recs;
    long long *ids;
    size_t cap;
} logger;

typedef struct batch batch;
static void run_finish(batch *b, run_state *st);
static void refill(batch *b);
static void target_begin(batch *b, run_state *st);

struct batch {
    rs_runner *r;
    run_state **slots;
    size_t nslots;
    rs_run_done_fn done;
    void *ud;
    rs_error *err_out; /* rs_run: the failure with its location (file:line:col) */
    rs_error *err;     /* the batch's own failure */
    int rc;
    const rs_run_request *reqs;
    size_t n, next; /* requests, and the next one to start */
    size_t concurrency, active; /* active: runs on the network (what concurrency bounds) */
    size_t logging;             /* runs finished, queued for the logger, not yet delivered */
    int refilling;
    logger lg;
};

static void on_text(void *ud, const char *text, size_t len)
{
    run_state *st = ud;
    if (st->req->on_text)
        st->req->on_text(st->req->text_ud, st->index, text, len);
}

static void on_exchange_done(rs_exchange *x, void *ud);

static void attempt_start(batch *b, run_state *st)
{
    rs_runner *r = b->r;
    st->attempt++;
    if (strcmp(st->svc.dialect->name, "mock") == 0) {
        rs_result_free(&st->mres);
        memset(&st->mpe, 0, sizeof st->mpe);
        st->mpe.retry_after_ms = -1;
        rs_error_clear(&st->merr);
        st->mrc = rs_mock_answer(&st->mres, &st->mpe, st->tgt.model, rs_str_cstr(&st->http.body),
                                 st->http.body.len, &st->merr);
        st->phase = P_MOCK;
        st->next_at = now_ms() + (double)r->mock_latency_ms;
        return;
    }
    rs_exchange_reset(&st->x);
    st->x.req = &st->http;
    st->x.dialect = st->svc.dialect;
    st->x.timeout_ms = st->route.timeout_ms > 0 ? st->route.timeout_ms : r->o.timeout_ms;
    /* The run's overall deadline bounds every attempt too. */
    if (r->policy.max_total_ms > 0) {
        long left = r->policy.max_total_ms - (long)(now_ms() - st->t0);
        if (left < 1)
            left = 1;
        if (left < st->x.timeout_ms)
            st->x.timeout_ms = left;
    }
    st->x.done = on_exchange_done;
    st->x.done_ud = b;
    st->x.on_text = on_text;
    st->x.text_ud = st;
    st->phase = P_HTTP;
    st->next_at = now_ms();
    rs_error aerr = RS_ERROR_INIT;
    if (rs_transport_add(r->t, &st->x, &aerr) != 0) {
        st->x.rc = aerr.code;
        st->x.err = aerr;
        st->x.pe.cls = RS_FAIL_OTHER;
        on_exchange_done(&st->x, b);
    }
}

/* An attempt ended: keep the answer, or retry, or fall back, or give up. */
static void attempt_done(batch *b, run_state *st, int rc, rs_result *res,
                         const rs_provider_error *pe, const rs_error *err, int http, double latency,
                         double ttft, int should_retry)
{
    rs_runner *r = b->r;
    if (rc == 0) {
        record_attempt(st, 1, http, RS_FAIL_NONE, NULL, NULL, latency, -1);
        rs_result_free(&st->final);
        st->final = *res;
        rs_result_init(res);
        st->ok = 1;
        st->rc = 0;
        st->ttft_ms = ttft;
        run_finish(b, st);
        return;
    }
    rs_fail_class cls = rc == RS_EPROVIDER ? pe->cls : RS_FAIL_OTHER;
    if (st->req->stream && st->req->on_text && res->text.len > 0)
        st->req->on_text(st->req->text_ud, st->index, NULL, 0); /* void what was streamed */
    record_attempt(st, 0, http, cls, rs_fail_class_name(cls), err->message, latency,
                   pe->retry_after_ms);
    st->err = *err;
    st->rc = rc == RS_EPROVIDER && cls == RS_FAIL_TIMEOUT ? RS_ETIMEOUT
             : rc == RS_ENOMEM                            ? RS_ENOMEM
                                                          : RS_EPROVIDER;
    snprintf(st->err_class, sizeof st->err_class, "%s", rs_fail_class_name(cls));
    rs_retry_policy p = r->policy;
    if (st->route.max_attempts > 0)
        p.max_attempts = st->route.max_attempts;
    char why[160];
    long wait = rc == RS_ENOMEM
                    ? -1
                    : rs_retry_decide(&p, pe, should_retry, st->attempt, (long)(now_ms() - st->t0),
                                      &r->rng, why, sizeof why);
    if (wait >= 0) {
        st->phase = P_WAIT;
        st->next_at = now_ms() + (double)wait;
        return;
    }
    st->ti++;
    target_begin(b, st);
}

static void on_exchange_done(rs_exchange *x, void *ud)
{
    batch *b = ud;
    run_state *st = (run_state *)((char *)x - offsetof(run_state, x));
    attempt_done(b, st, x->rc, &x->result, &x->pe, &x->err, x->http_status, x->latency_ms,
                 x->ttft_ms, x->should_retry);
}

static void mock_deliver(batch *b, run_state *st)
{
    double lat = (double)b->r->mock_latency_ms;
    if (st->mrc == 0 && st->req->on_text && st->mres.text.len) {
        /* Streamed: word by word, as a provider would send deltas. */
        const char *p = st->mres.text.ptr;
        size_t n = st->mres.text.len, i = 0;
        while (i < n) {
            size_t j = i;
            while (j < n && p[j] == ' ')
                j++;
            while (j < n && p[j] != ' ')
                j++;
            st->req->on_text(st->req->text_ud, st->index, p + i, j - i);
            i = j;
        }
    }
    int http = st->mrc == 0 ? 200 : st->mpe.http_status;
    attempt_done(b, st, st->mrc, &st->mres, &st->mpe, &st->merr, http, lat, st->mrc == 0 ? lat : -1,
                 -1);
}

/* Start the current target (or the next one that can be prepared), or finish as failed. */
static void target_begin(batch *b, run_state *st)
{
    for (; st->ti < st->route.n; st->ti++) {
        long budget = st->r->policy.max_total_ms;
        if (st->ti > 0 && budget > 0 && now_ms() - st->t0 >= (double)budget) {
            /* The run's deadline passed: no further fallback (the last failure stands). */
            st->ti = st->route.n - 1;
            break;
        }
        target_clear(st);
        st->attempt = 0;
        rs_error perr = RS_ERROR_INIT;
        int rc = target_prepare(st, &perr);
        if (rc == 0) {
            attempt_start(b, st);
            return;
        }
        if (is_input_error(rc) || rc == RS_ENOMEM) {
            /* The prompt itself does not render: no target can help. */
            st->err = perr;
            st->rc = rc;
            st->input_error = st->attempts.len == 0;
            snprintf(st->err_class, sizeof st->err_class, "%s",
                     rc == RS_ENOMEM ? "other" : "render");
            run_finish(b, st);
            return;
        }
        /* This target cannot take the prompt (unsupported feature, unknown provider, no key):
         * record why and fall back. */
        const char *cname = rc == RS_EUNSUPPORTED ? "unsupported"
                            : rc == RS_ECONFIG    ? "config"
                            : rc == RS_ENOTFOUND  ? "not_found"
                                                  : "bad_request";
        record_attempt(st, 0, 0, RS_FAIL_BAD_REQUEST, cname, perr.message, 0, -1);
        st->err = perr;
        st->rc = rc;
        snprintf(st->err_class, sizeof st->err_class, "%s", cname);
    }
    run_finish(b, st);
}

/* ---------- finishing: cost, log, callback ---------- */

static char *tool_calls_json(const rs_result *res)
{
    if (res->tool_calls.len == 0)
        return NULL;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < res->tool_calls.len; i++) {
        const rs_tool_call *tc = &RS_VEC_AT(&res->tool_calls, rs_tool_call, i);
        cJSON *o = cJSON_CreateObject();
        cJSON *args = NULL;
        if (tc->args_json)
            rs_json_parse(&args, tc->args_json, strlen(tc->args_json), NULL, NULL);
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            cJSON_Delete(args);
            break;
        }
        cJSON_AddStringToObject(o, "id", tc->id ? tc->id : "");
        cJSON_AddStringToObject(o, "name", tc->name ? tc->name : "");
        if (!args || !cJSON_AddItemToObject(o, "arguments", args))
            cJSON_Delete(args);
    }
    char *s = arr ? rs_json_print(arr, 0) : NULL;
    cJSON_Delete(arr);
    return s;
}

static uint64_t fnv1a(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* Hand the outcome to the caller, free what the record borrowed, free the slot. */
static void deliver(batch *b, run_state *st)
{
    rs_runner *r = b->r;
    if (st->logged_rc != 0) {
        FILE *w = r->o.warnings ? r->o.warnings : stderr;
        fprintf(w, "rosetta: warning: the run could not be logged: %s\n", st->log_err.message);
    }
    st->out.run_id = st->logged_rc == 0 ? st->run_id : -1;
    if (b->err_out && !st->ok)
        *b->err_out = st->err;
    if (b->done)
        b->done(b->ud, &st->out);
    rs_free(st->tools);
    rs_free(st->input);
    rs_free(st->ar);
    st->tools = st->input = NULL;
    st->ar = NULL;
    st->phase = P_DONE;
    if (st->queued)
        b->logging--; /* its network slot was released when it was queued */
    else
        b->active--;
    refill(b);
}

/*
 * The run is over: compute its outcome and its log record (both kept in st, which stays alive
 * until delivered), then log it - on the logger thread when there is one, so the network loop
 * never waits for the disk - and deliver it.
 */
static void run_finish(batch *b, run_state *st)
{
    rs_runner *r = b->r;
    rs_run_outcome *o = &st->out;
    memset(o, 0, sizeof *o);
    st->phase = P_LOGGING;
    st->tools = tool_calls_json(&st->final);
    st->input = rs_json_print(cJSON_GetObjectItemCaseSensitive(st->data, "input"), 0);
    if (st->have_req)
        snprintf(st->hash, sizeof st->hash, "%016llx",
                 (unsigned long long)fnv1a(st->http.body.ptr ? st->http.body.ptr : "",
                                           st->http.body.len));
    double cost = 0;
    int cost_known = 0;
    if (st->ok)
        cost_known = rs_pricing_cost(r->pricing, st->tgt.provider, st->tgt.model, &st->final.usage,
                                     &cost, st->warning, sizeof st->warning);
    o->index = st->index;
    o->ok = st->ok;
    o->rc = st->ok ? 0 : st->rc ? st->rc : RS_EPROVIDER;
    o->run_id = -1;
    o->text = rs_str_cstr(&st->final.text);
    o->tool_calls_json = st->tools;
    o->error = st->ok ? NULL : st->err.message;
    o->error_class = st->ok ? NULL : st->err_class;
    o->prompt = st->name;
    o->version = st->version[0] ? st->version : NULL;
    o->commit = st->commit;
    o->variant = st->variant;
    memset(&st->last, 0, sizeof st->last);
    if (st->route.n) {
        size_t last = st->ti < st->route.n ? st->ti : st->route.n - 1;
        rs_target_parse(&st->last, st->route.targets[last].target, NULL);
    }
    o->provider = st->last.provider[0] ? st->last.provider : NULL;
    o->model = st->last.model[0] ? st->last.model : NULL;
    o->route = st->route.name[0] ? st->route.name : NULL;
    o->finish = st->ok ? rs_finish_name(st->final.finish) : NULL;
    o->input_tokens = st->final.usage.input;
    o->output_tokens = st->final.usage.output;
    o->cached_tokens = st->final.usage.cached;
    o->reasoning_tokens = st->final.usage.reasoning;
    o->cost_known = cost_known;
    o->cost_usd = cost;
    o->latency_ms = now_ms() - st->t0;
    o->ttft_ms = st->ttft_ms;
    o->attempts = (int)st->attempts.len;
    o->warning = st->warning[0] ? st->warning : NULL;
    st->logged_rc = -1; /* not logged unless the insert below succeeds */
    rs_error_set(&st->log_err, RS_EDB, "not logged");
    if (!r->log || st->input_error) {
        st->logged_rc = 0;
        st->run_id = -1;
        deliver(b, st);
        return;
    }
    st->ar = st->attempts.len ? rs_calloc(st->attempts.len, sizeof *st->ar) : NULL;
    for (size_t i = 0; st->ar && i < st->attempts.len; i++) {
        const attempt_row *a = &RS_VEC_AT(&st->attempts, attempt_row, i);
        st->ar[i].target = a->target;
        st->ar[i].ok = a->ok;
        st->ar[i].http_status = a->http_status;
        st->ar[i].error_class = a->ok ? NULL : a->cls_name;
        st->ar[i].error = a->ok ? NULL : a->error;
        st->ar[i].latency_ms = a->latency_ms;
        st->ar[i].retry_after_ms = a->retry_after_ms;
    }
    rs_run_record *rec = &st->rec;
    rs_run_record_init(rec);
    rec->prompt = st->name;
    rec->version = o->version;
    rec->commit = st->commit;
    rec->variant = st->variant;
    rec->provider = o->provider;
    rec->model = o->model;
    rec->route = o->route;
    rec->ok = st->ok;
    rec->error = o->error;
    rec->error_class = o->error_class;
    rec->input_tokens = o->input_tokens;
    rec->output_tokens = o->output_tokens;
    rec->cached_tokens = o->cached_tokens;
    rec->reasoning_tokens = o->reasoning_tokens;
    rec->cost_known = cost_known;
    rec->cost_usd = cost;
    rec->latency_ms = o->latency_ms;
    rec->ttft_ms = o->ttft_ms;
    rec->experiment = st->req->experiment;
    rec->arm = st->req->arm;
    rec->case_id = st->req->case_id;
    rec->input_json = st->input;
    rec->output = st->ok ? o->text : NULL;
    rec->tool_calls_json = st->tools;
    rec->finish = o->finish;
    rec->finish_raw = st->ok ? st->final.finish_raw : NULL;
    rec->response_model = st->final.response_model[0] ? st->final.response_model : NULL;
    rec->request_hash = st->hash[0] ? st->hash : NULL;
    rec->attempts = st->ar;
    rec->n_attempts = st->ar ? st->attempts.len : 0;
    if (b->lg.running) {
        /* The batch's last run: no more will come to fill a group, so no linger. */
        int last = b->active == 1 && b->next >= b->n;
        pthread_mutex_lock(&b->lg.mu);
        st->log_next = NULL;
        if (b->lg.pending_tail)
            b->lg.pending_tail->log_next = st;
        else
            b->lg.pending = st;
        b->lg.pending_tail = st;
        /* Wake the logger for the first run of a group and once the group is worth writing;
         * not for every run in between (it lingers for them, see logger_main). */
        if (last)
            b->lg.flush = 1;
        if (++b->lg.npending == 1 || b->lg.npending == LOG_GROUP_MIN || last)
            pthread_cond_signal(&b->lg.cv);
        pthread_mutex_unlock(&b->lg.mu);
        /* Its network work is over: the next request leaves now rather than after the write.
         * The slot table (2 x concurrency) bounds how far the log may fall behind. */
        st->queued = 1;
        b->active--;
        b->logging++;
        refill(b);
        return; /* delivered by collect_logged once written */
    }
    st->logged_rc = rs_runlog_insert(r->log, rec, &st->run_id, &st->log_err);
    deliver(b, st);
}

/* ---------- the logger thread ---------- */

/* Write runs [first, first + n) of a chain one transaction each: the fallback when their group
 * commit failed, so one bad row (or a transient failure) costs only its own record, and every
 * run that still cannot be written carries its own error to deliver(), which reports it. */
static void log_each(batch *b, run_state *first, size_t n)
{
    run_state *st = first;
    for (size_t i = 0; i < n && st; i++, st = st->log_next)
        st->logged_rc = rs_runlog_insert(b->r->log, &st->rec, &st->run_id, &st->log_err);
}

/* Write n runs of a chain in ONE transaction (group commit): a transaction's fixed cost (the
 * WAL append and its lock) is paid once for the group instead of once per run. */
static void log_group(batch *b, run_state *first, size_t n)
{
    logger *lg = &b->lg;
    rs_error err = RS_ERROR_INIT;
    if (n > lg->cap) {
        size_t cap = n < 64 ? 64 : n;
        rs_run_record *recs = rs_realloc(lg->recs, cap * sizeof *recs);
        if (recs)
            lg->recs = recs;
        long long *ids = recs ? rs_realloc(lg->ids, cap * sizeof *ids) : NULL;
        if (ids)
            lg->ids = ids;
        if (!recs || !ids) {
            log_each(b, first, n); /* no memory for a group: still write every run */
            return;
        }
        lg->cap = cap;
    }
    run_state *st = first;
    for (size_t i = 0; i < n; i++, st = st->log_next)
        lg->recs[i] = st->rec;
    if (rs_runlog_insert_batch(b->r->log, lg->recs, n, lg->ids, &err) != 0) {
        log_each(b, first, n); /* all or none was written: retry them one by one */
        return;
    }
    st = first;
    for (size_t i = 0; i < n; i++, st = st->log_next) {
        st->logged_rc = 0;
        st->run_id = lg->ids[i];
    }
}

/*
 * One thread per batch owns the log connection while the batch runs: each time it wakes it
 * takes every finished run queued so far and writes them in one transaction (up to
 * LOG_GROUP_MAX), then hands them back in completion order; the network loop delivers them. The
 * network never waits for the disk, the disk never for the network, and the busier the batch,
 * the larger the groups. Asked to stop, it first writes whatever is still queued.
 */
static void *logger_main(void *arg)
{
    batch *b = arg;
    logger *lg = &b->lg;
    pthread_mutex_lock(&lg->mu);
    for (;;) {
        while (!lg->pending && !lg->stop)
            pthread_cond_wait(&lg->cv, &lg->mu);
        if (!lg->pending && lg->stop)
            break;
        if (!lg->stop && !lg->flush && lg->npending < LOG_GROUP_MIN) {
            struct timespec dl;
            clock_gettime(CLOCK_MONOTONIC, &dl);
            dl.tv_nsec += LOG_LINGER_MS * 1000000L;
            if (dl.tv_nsec >= 1000000000L) {
                dl.tv_sec++;
                dl.tv_nsec -= 1000000000L;
            }
            while (!lg->stop && !lg->flush && lg->npending < LOG_GROUP_MIN)
                if (pthread_cond_timedwait(&lg->cv, &lg->mu, &dl) == ETIMEDOUT)
                    break;
        }
        run_state *head = lg->pending, *tail = head;
        size_t n = 1;
        while (tail->log_next && n < LOG_GROUP_MAX) {
            tail = tail->log_next;
            n++;
        }
        lg->pending = tail->log_next;
        lg->npending -= n;
        if (!lg->pending)
            lg->pending_tail = NULL;
        tail->log_next = NULL;
        pthread_mutex_unlock(&lg->mu);
        if (n == 1)
            log_each(b, head, 1);
        else
            log_group(b, head, n);
        pthread_mutex_lock(&lg->mu);
        if (lg->done_tail)
            lg->done_tail->log_next = head;
        else
            lg->done = head;
        lg->done_tail = tail;
        rs_transport_wakeup(b->r->t);
    }
    pthread_mutex_unlock(&lg->mu);
    return NULL;
}

/* Deliver the runs the logger has written. */
static void collect_logged(batch *b)
{
    if (!b->lg.running)
        return;
    pthread_mutex_lock(&b->lg.mu);
    run_state *list = b->lg.done;
    b->lg.done = b->lg.done_tail = NULL;
    pthread_mutex_unlock(&b->lg.mu);
    while (list) {
        run_state *next = list->log_next;
        deliver(b, list);
        list = next;
    }
}

static void logger_start(batch *b)
{
    logger *lg = &b->lg;
    if (!b->r->log || b->n < 2)
        return; /* a single run is logged inline: no thread for `rosetta run` */
    if (pthread_mutex_init(&lg->mu, NULL) != 0)
        return;
    /* The linger's deadline is on the monotonic clock (a clock change must not stall it). */
    pthread_condattr_t ca;
    int cv_rc = pthread_condattr_init(&ca);
    if (cv_rc == 0) {
        cv_rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        if (cv_rc == 0)
            cv_rc = pthread_cond_init(&lg->cv, &ca);
        pthread_condattr_destroy(&ca);
    }
    if (cv_rc != 0) {
        pthread_mutex_destroy(&lg->mu);
        return;
    }
    if (pthread_create(&lg->th, NULL, logger_main, b) != 0) {
        pthread_cond_destroy(&lg->cv);
        pthread_mutex_destroy(&lg->mu);
        return; /* log inline instead */
    }
    lg->running = 1;
}

static void logger_stop(batch *b)
{
    logger *lg = &b->lg;
    if (!lg->running)
        return;
    pthread_mutex_lock(&lg->mu);
    lg->stop = 1;
    pthread_cond_signal(&lg->cv);
    pthread_mutex_unlock(&lg->mu);
    pthread_join(lg->th, NULL);
    collect_logged(b);
    lg->running = 0;
    pthread_cond_destroy(&lg->cv);
    pthread_mutex_destroy(&lg->mu);
    rs_free(lg->recs);
    rs_free(lg->ids);
    lg->recs = NULL;
    lg->ids = NULL;
    lg->cap = 0;
}

/* ---------- the loop ---------- */

static int start_run(batch *b, run_state *st)
{
    rs_error err = RS_ERROR_INIT;
    int rc = run_resolve(st, &err);
    if (rc != 0) {
        st->err = err;
        st->rc = rc;
        st->input_error = 1;
        snprintf(st->err_class, sizeof st->err_class, "%s", rc == RS_ENOMEM ? "other" : "input");
        run_finish(b, st);
        return 0;
    }
    target_begin(b, st);
    return 0;
}

static void interrupt_all(batch *b)
{
    for (size_t i = 0; i < b->nslots; i++) {
        run_state *st = b->slots[i];
        if (!st || st->phase == P_DONE || st->phase == P_LOGGING)
            continue;
        if (st->phase == P_HTTP)
            rs_transport_remove(b->r->t, &st->x);
        double lat = st->phase == P_HTTP ? now_ms() - st->next_at : 0;
        record_attempt(st, 0, 0, RS_FAIL_OTHER, "interrupted", "interrupted", lat, -1);
        rs_error_set(&st->err, RS_EINTERRUPTED, "interrupted before an answer arrived");
        st->rc = RS_EINTERRUPTED;
        snprintf(st->err_class, sizeof st->err_class, "interrupted");
        run_finish(b, st);
    }
}

/*
 * Start new runs while fewer than `concurrency` are active. Called from the loop and right
 * after a run finished (so the next request leaves at once instead of after the whole round
 * was processed). Not re-entered: a run that finishes while being started (an input error) is
 * replaced by the loop below. Finished states are freed only by the main loop (their frames
 * may still be on the stack here), so the slot table holds 2 x concurrency.
 */
static void refill(batch *b)
{
    if (b->refilling || b->rc)
        return;
    b->refilling = 1;
    for (size_t i = 0; i < b->nslots && b->active < b->concurrency && b->next < b->n; i++) {
        if (b->slots[i])
            continue;
        run_state *st = rs_malloc(sizeof *st);
        if (!st) {
            b->rc = rs_error_set(b->err, RS_ENOMEM, "out of memory starting a run");
            break;
        }
        b->slots[i] = st;
        state_init(st, b->r, &b->reqs[b->next], b->next);
        b->next++;
        b->active++;
        start_run(b, st);
    }
    b->refilling = 0;
}

static int batch_run(rs_runner *r, const rs_run_request *reqs, size_t n, int concurrency,
                     rs_run_done_fn done, void *ud, rs_error *err, rs_error *err_out)
{
    batch b;
    memset(&b, 0, sizeof b);
    b.r = r;
    b.err_out = err_out;
    b.err = err;
    b.done = done;
    b.ud = ud;
    b.reqs = reqs;
    b.n = n;
    b.concurrency = concurrency < 1 ? 1 : (size_t)concurrency;
    b.nslots = 2 * (b.concurrency < n ? b.concurrency : n);
    b.slots = b.nslots ? rs_calloc(b.nslots, sizeof *b.slots) : NULL;
    if (b.nslots && !b.slots)
        return rs_error_set(err, RS_ENOMEM, "out of memory starting a batch");
    logger_start(&b);
    for (;;) {
        if (r->o.cancel && *r->o.cancel) {
            b.rc = rs_error_set(err, RS_EINTERRUPTED, "interrupted"); /* first: no refill */
            interrupt_all(&b);
            break;
        }
        for (size_t i = 0; i < b.nslots; i++) {
            run_state *st = b.slots[i];
            if (st && st->phase == P_DONE) {
                state_free(st);
                rs_free(st);
                b.slots[i] = NULL;
            }
        }
        refill(&b);
        if (b.rc) {
            interrupt_all(&b);
            break;
        }
        if (b.active == 0 && b.logging == 0 && b.next >= n)
            break;
        if (b.active == 0 && b.logging == 0)
            continue; /* every run just started also finished (input errors): start more */
        /* Timers: retry waits and mock latencies. */
        double now = now_ms(), wake = now + 100;
        for (size_t i = 0; i < b.nslots; i++) {
            run_state *st = b.slots[i];
            if (!st || (st->phase != P_WAIT && st->phase != P_MOCK))
                continue;
            if (st->next_at <= now) {
                if (st->phase == P_WAIT)
                    attempt_start(&b, st);
                else
                    mock_deliver(&b, st);
                wake = now;
            } else if (st->next_at < wake) {
                wake = st->next_at;
            }
        }
        long wait = (long)(wake - now_ms() + 0.999);
        if (wait < 0)
            wait = 0;
        /* Network, timers and the logger all wake this one wait. */
        int s = rs_transport_step(r->t, wait, err);
        if (s < 0) {
            b.rc = s;
            interrupt_all(&b);
            break;
        }
        collect_logged(&b);
    }
    /* Runs still being written (after an interruption or a failure): wait for them. */
    while (b.lg.running && (b.active > 0 || b.logging > 0)) {
        if (rs_transport_step(r->t, 50, NULL) < 0)
            break;
        collect_logged(&b);
    }
    logger_stop(&b);
    for (size_t i = 0; i < b.nslots; i++) {
        if (b.slots[i]) {
            state_free(b.slots[i]);
            rs_free(b.slots[i]);
        }
    }
    rs_free(b.slots);
    return b.rc;
}

int rs_run_batch(rs_runner *r, const rs_run_request *reqs, size_t n, int concurrency,
                 rs_run_done_fn done, void *ud, rs_error *err)
{
    return batch_run(r, reqs, n, concurrency, done, ud, err, NULL);
}

/* ---------- the blocking call ---------- */

typedef struct one {
    rs_run_outcome *o;
    rs_error err;
    int got;
    int failed_alloc;
} one;

static char *cp(const char *s, int *bad)
{
    if (!s)
        return NULL;
    char *c = rs_strdup(s);
    if (!c)
        *bad = 1;
    return c;
}

static void keep_outcome(void *ud, const rs_run_outcome *o)
{
    one *w = ud;
    rs_run_outcome *c = rs_calloc(1, sizeof *c);
    int bad = !c;
    w->got = 1;
    if (c) {
        *c = *o;
        c->text = cp(o->text, &bad);
        c->tool_calls_json = cp(o->tool_calls_json, &bad);
        c->error = cp(o->error, &bad);
        c->error_class = cp(o->error_class, &bad);
        c->prompt = cp(o->prompt, &bad);
        c->version = cp(o->version, &bad);
        c->commit = cp(o->commit, &bad);
        c->variant = cp(o->variant, &bad);
        c->provider = cp(o->provider, &bad);
        c->model = cp(o->model, &bad);
        c->route = cp(o->route, &bad);
        c->finish = cp(o->finish, &bad);
        c->warning = cp(o->warning, &bad);
    }
    if (bad) {
        rs_run_outcome_free(c);
        c = NULL;
        w->failed_alloc = 1;
    }
    w->o = c;
}

void rs_run_outcome_free(rs_run_outcome *o)
{
    if (!o)
        return;
    const char *f[] = {o->text,    o->tool_calls_json, o->error,   o->error_class, o->prompt,
                       o->version, o->commit,          o->variant, o->provider,    o->model,
                       o->route,   o->finish,          o->warning};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        rs_free((void *)f[i]);
    rs_free(o);
}

int rs_run(rs_runner *r, const rs_run_request *req, rs_run_outcome **out, rs_error *err)
{
    one w;
    memset(&w, 0, sizeof w);
    if (out)
        *out = NULL;
    int rc = batch_run(r, req, 1, 1, keep_outcome, &w, err, &w.err);
    if (rc == 0 && w.failed_alloc)
        rc = rs_error_set(err, RS_ENOMEM, "out of memory keeping the outcome");
    if (rc == 0 && w.o && !w.o->ok) {
        *err = w.err;
        rc = w.o->rc ? w.o->rc : RS_EPROVIDER;
    }
    if (out)
        *out = w.o;
    else
        rs_run_outcome_free(w.o);
    return rc;
}
