/*
 * runner/compare_runner.c - compare on the runner, the run log and the request cache
 * (see compare_runner.h).
 */
#include "runner/compare_runner.h"

#include "providers/provider.h"
#include "runner/run.h"
#include "util/alloc.h"
#include "util/file.h"
#include "util/json.h"
#include "util/sha256.h"
#include "util/str.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

struct rs_compare_backend {
    rs_runner *runner;
    rs_registry *registry;
    rs_runlog *log;
    char *cache_dir;
    cJSON *config; /* rosetta.yaml as JSON (services for encoding), may be NULL */
    size_t cache_hits;
};

/* mkdir -p for the directories of state files. */
static int make_dirs(const char *path, rs_error *err)
{
    char buf[4096];
    int n = snprintf(buf, sizeof buf, "%s", path);
    if (n < 0 || (size_t)n >= sizeof buf)
        return rs_error_set(err, RS_ELIMIT, "path too long: %s", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
                rs_error_set(err, RS_EIO, "cannot create directory %s: %s", buf, strerror(errno));
                rs_error_set_cause(err, errno);
                return RS_EIO;
            }
            *p = c;
            if (c == '\0')
                break;
        }
    }
    return 0;
}

int rs_compare_state_dir(char **out, const char *log_path, rs_error *err)
{
    const char *slash = strrchr(log_path, '/');
    *out = slash ? rs_strndup(log_path, (size_t)(slash - log_path)) : rs_strdup(".");
    return *out ? 0 : rs_error_set(err, RS_ENOMEM, "out of memory");
}

static int meta_path(rs_str *p, const char *dir, const char *experiment, rs_error *err)
{
    for (const char *c = experiment; *c; c++)
        if (*c == '/' || *c == '\\' || (c == experiment && *c == '.'))
            return rs_error_set(err, RS_EINVAL, "bad experiment id '%s'", experiment);
    rs_str_appendf(p, "%s/experiments/%s.json", dir, experiment);
    return rs_str_report(p, err, "an experiment path");
}

int rs_compare_meta_write(const char *dir, const char *experiment, const cJSON *meta, rs_error *err)
{
    rs_str p = RS_STR_INIT, d = RS_STR_INIT;
    char *text = NULL;
    int rc = meta_path(&p, dir, experiment, err);
    if (rc)
        goto done;
    rs_str_appendf(&d, "%s/experiments", dir);
    if ((rc = rs_str_report(&d, err, "a path")) != 0 || (rc = make_dirs(d.ptr, err)) != 0)
        goto done;
    text = rs_json_print(meta, 1);
    if (!text) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    rc = rs_file_write_atomic(p.ptr, text, strlen(text), err);
done:
    rs_free(text);
    rs_str_free(&p);
    rs_str_free(&d);
    return rc;
}

int rs_compare_meta_read(cJSON **out, const char *dir, const char *experiment, rs_error *err)
{
    rs_str p = RS_STR_INIT;
    *out = NULL;
    int rc = meta_path(&p, dir, experiment, err);
    if (rc == 0) {
        struct stat st;
        if (stat(p.ptr, &st) != 0)
            rc = rs_error_set(err, RS_ENOTFOUND, "no experiment file %s", p.ptr);
        else
            rc = rs_json_parse_file(out, p.ptr, err);
    }
    rs_str_free(&p);
    return rc;
}

int rs_compare_backend_open(rs_compare_backend **out, const rs_compare_backend_opts *o,
                            rs_error *err)
{
    int rc = 0;
    char *cfg = NULL;
    *out = NULL;
    rs_compare_backend *b = rs_calloc(1, sizeof *b);
    if (!b)
        return rs_error_set(err, RS_ENOMEM, "out of memory");
    b->runner = o->runner;
    b->registry = o->registry;
    if (o->log_path && *o->log_path && (rc = rs_runlog_open(&b->log, o->log_path, err)) != 0)
        goto done;
    /* This log is written beside the runner's: it must scrub the key_file's keys too. */
    if (b->log && b->runner && (rc = rs_runner_register_secrets(b->runner, b->log, err)) != 0)
        goto done;
    if (o->cache_dir) {
        if (!(b->cache_dir = rs_strdup(o->cache_dir))) {
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
        if ((rc = make_dirs(b->cache_dir, err)) != 0)
            goto done;
    }
    if (b->registry && rs_registry_config(&cfg, b->registry, err) == 0 && cfg) {
        rs_error perr = RS_ERROR_INIT;
        if (rs_json_parse(&b->config, cfg, strlen(cfg), "rosetta.yaml", &perr) != 0)
            b->config = NULL; /* the runner reports a bad configuration itself */
        if (cJSON_IsNull(b->config)) {
            cJSON_Delete(b->config);
            b->config = NULL;
        }
    }
    rs_error_clear(err);
    *out = b;
    b = NULL;
done:
    rs_free(cfg);
    rs_compare_backend_free(b);
    return rc;
}

void rs_compare_backend_free(rs_compare_backend *b)
{
    if (!b)
        return;
    rs_runlog_close(b->log);
    rs_free(b->cache_dir);
    cJSON_Delete(b->config);
    rs_free(b);
}

size_t rs_compare_backend_cache_hits(const rs_compare_backend *b)
{
    return b->cache_hits;
}

int rs_compare_render_case(cJSON **out, rs_registry *reg, const char *ref, const char *target,
                           const cJSON *vars, rs_error *err)
{
    int rc;
    char *json = NULL, *data = NULL;
    cJSON *d = cJSON_CreateObject();
    cJSON *in = !d ? NULL : vars ? cJSON_Duplicate(vars, 1) : cJSON_CreateObject();
    *out = NULL;
    if (!in || !cJSON_AddItemToObject(d, "input", in)) {
        cJSON_Delete(in); /* not attached: still ours */
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    if (!(data = rs_json_print(d, 0))) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    rs_registry_render_opts ro = RS_REGISTRY_RENDER_OPTS_INIT;
    ro.target = target;
    ro.data = data;
    if ((rc = rs_registry_render(&json, NULL, reg, ref, &ro, err)) == 0)
        rc = rs_json_parse(out, json, strlen(json), NULL, err);
done:
    rs_free(json);
    rs_free(data);
    cJSON_Delete(d);
    return rc;
}

/* ---------- cache ---------- */

/* The request body the provider would get, hashed with the target and the salt. 0 when there is
 * no key (no registry, a render error: the runner reports those on the call itself). */
static int cache_key(char hex[RS_SHA256_HEX_SIZE], rs_compare_backend *b, const rs_cmp_call *c)
{
    int ok = 0;
    cJSON *rendered = NULL;
    rs_str body = RS_STR_INIT;
    rs_error err = RS_ERROR_INIT;
    rs_target tgt;
    rs_service svc;
    if (!b->cache_dir || !b->registry)
        return 0;
    if (rs_target_parse(&tgt, c->target, &err) ||
        rs_service_lookup(&svc, tgt.provider, b->config, &err) ||
        rs_compare_render_case(&rendered, b->registry, c->ref, c->target, c->vars, &err))
        goto done;
    rs_encode_opts eo = RS_ENCODE_OPTS_INIT;
    if (svc.dialect->encode(&body, &svc, tgt.model, rendered, &eo, &err) || rs_str_error(&body))
        goto done;
    rs_sha256 h;
    rs_sha256_init(&h);
    rs_sha256_update(&h, c->target, strlen(c->target));
    rs_sha256_update(&h, "\n", 1);
    rs_sha256_update(&h, body.ptr ? body.ptr : "", body.len);
    rs_sha256_update(&h, "\n", 1);
    if (c->cache_salt)
        rs_sha256_update(&h, c->cache_salt, strlen(c->cache_salt));
    rs_sha256_final_hex(&h, hex);
    ok = 1;
done:
    cJSON_Delete(rendered);
    rs_str_free(&body);
    return ok;
}

static int cache_path(rs_str *p, const rs_compare_backend *b, const char *hex)
{
    rs_str_appendf(p, "%s/%.2s/%s.json", b->cache_dir, hex, hex);
    return rs_str_error(p);
}

/* A hit fills the call and logs it under the experiment. 1 hit, 0 miss. */
static int cache_lookup(rs_compare_backend *b, rs_cmp_call *c, const char *hex)
{
    int hit = 0;
    rs_str p = RS_STR_INIT;
    cJSON *e = NULL;
    char *vars = NULL;
    rs_error err = RS_ERROR_INIT;
    struct stat st;
    if (cache_path(&p, b, hex) || stat(p.ptr, &st) != 0)
        goto done;
    if (rs_json_parse_file(&e, p.ptr, &err) != 0)
        goto done; /* a damaged entry is a miss: the call is made again and rewrites it */
    const char *out = rs_json_string(e, "output");
    if (!out)
        goto done;
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(e, "input_tokens");
    const cJSON *ot = cJSON_GetObjectItemCaseSensitive(e, "output_tokens");
    const cJSON *cost = cJSON_GetObjectItemCaseSensitive(e, "cost_usd");
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(e, "latency_ms");
    if (!(c->output = rs_strdup(out)))
        goto done;
    c->ok = 1;
    c->input_tokens = cJSON_IsNumber(it) ? (long)it->valuedouble : -1;
    c->output_tokens = cJSON_IsNumber(ot) ? (long)ot->valuedouble : -1;
    c->cost_known = cJSON_IsNumber(cost);
    c->cost_usd = c->cost_known ? cost->valuedouble : 0;
    c->latency_ms = cJSON_IsNumber(lat) ? lat->valuedouble : 0;
    c->cached = 1;
    c->run_id = 0;
    if (b->log) {
        rs_run_record rec = RS_RUN_RECORD_INIT;
        rs_target tgt;
        if (rs_target_parse(&tgt, c->target, &err) == 0) {
            rec.provider = tgt.provider;
            rec.model = tgt.model;
        }
        vars = rs_json_print(c->vars, 0);
        const char *name = rs_json_string(e, "prompt");
        rec.prompt = name ? name : c->ref;
        rec.version = rs_json_string(e, "version");
        rec.commit = rs_json_string(e, "commit");
        rec.variant = rs_json_string(e, "variant");
        rec.route = "cache";
        rec.ok = 1;
        rec.input_tokens = c->input_tokens;
        rec.output_tokens = c->output_tokens;
        rec.cost_known = c->cost_known;
        rec.cost_usd = c->cost_usd;
        rec.latency_ms = c->latency_ms;
        rec.experiment = c->experiment;
        rec.arm = c->arm;
        rec.case_id = c->case_id;
        rec.input_json = vars;
        rec.output = c->output;
        rec.finish = rs_json_string(e, "finish") ? rs_json_string(e, "finish") : "stop";
        rec.request_hash = hex;
        long long id = 0;
        if (rs_runlog_insert(b->log, &rec, &id, &err) != 0) {
            /* not logged = not done: the call is made for real instead */
            rs_free(c->output);
            c->output = NULL;
            c->ok = c->cached = 0;
            goto done;
        }
        c->run_id = id;
    }
    c->done = 1;
    hit = 1;
    b->cache_hits++;
done:
    rs_free(vars);
    cJSON_Delete(e);
    rs_str_free(&p);
    return hit;
}

static void cache_store(rs_compare_backend *b, const rs_cmp_call *c, const char *hex,
                        const rs_run_outcome *o)
{
    rs_str p = RS_STR_INIT, d = RS_STR_INIT;
    cJSON *e = cJSON_CreateObject();
    char *text = NULL;
    rs_error err = RS_ERROR_INIT;
    if (!e || cache_path(&p, b, hex))
        goto done;
    rs_str_appendf(&d, "%s/%.2s", b->cache_dir, hex);
    if (rs_str_error(&d) || make_dirs(d.ptr, &err))
        goto done;
    cJSON_AddStringToObject(e, "target", c->target);
    cJSON_AddStringToObject(e, "output", c->output ? c->output : "");
    if (c->input_tokens >= 0)
        cJSON_AddNumberToObject(e, "input_tokens", (double)c->input_tokens);
    if (c->output_tokens >= 0)
        cJSON_AddNumberToObject(e, "output_tokens", (double)c->output_tokens);
    if (c->cost_known)
        cJSON_AddNumberToObject(e, "cost_usd", c->cost_usd);
    cJSON_AddNumberToObject(e, "latency_ms", c->latency_ms);
    /* what the log records about the version that answered, for the runs the cache answers */
    const char *const facts[][2] = {{"prompt", o->prompt},
                                    {"version", o->version},
                                    {"commit", o->commit},
                                    {"variant", o->variant},
                                    {"finish", o->finish}};
    for (size_t i = 0; i < sizeof facts / sizeof *facts; i++)
        if (facts[i][1])
            cJSON_AddStringToObject(e, facts[i][0], facts[i][1]);
    if ((text = rs_json_print(e, 0)) != NULL)
        rs_file_write_atomic(p.ptr, text, strlen(text), &err); /* a cache that cannot be written
                                                                  only costs a later call */
done:
    rs_free(text);
    cJSON_Delete(e);
    rs_str_free(&p);
    rs_str_free(&d);
}

/* ---------- executor ---------- */

typedef struct batch_ctx {
    rs_compare_backend *b;
    rs_cmp_call *calls;
    size_t *index; /* batch position -> call */
    char (*keys)[RS_SHA256_HEX_SIZE];
    size_t done, total;
    rs_cmp_progress_fn progress;
    void *pud;
} batch_ctx;

static char *dup_or_null(const char *s)
{
    return s ? rs_strdup(s) : NULL;
}

static void on_done(void *ud, const rs_run_outcome *o)
{
    batch_ctx *x = ud;
    size_t ci = x->index[o->index];
    rs_cmp_call *c = &x->calls[ci];
    /* an interrupted run is logged as such by the runner but is not an outcome: resume runs it */
    if (!o->ok && o->error_class && strcmp(o->error_class, "interrupted") == 0)
        return;
    c->ok = o->ok;
    c->output = o->ok ? dup_or_null(o->text ? o->text : "") : NULL;
    c->error = o->ok ? NULL : dup_or_null(o->error ? o->error : "failed");
    c->cost_known = o->cost_known;
    c->cost_usd = o->cost_usd;
    c->latency_ms = o->latency_ms;
    c->input_tokens = o->input_tokens;
    c->output_tokens = o->output_tokens;
    c->run_id = o->run_id > 0 ? o->run_id : 0;
    if ((o->ok && !c->output) || (!o->ok && !c->error))
        return; /* out of memory: treat as not done, it is run again on resume */
    c->done = 1;
    if (o->ok && x->keys[ci][0])
        cache_store(x->b, c, x->keys[ci], o);
    x->done++;
    if (x->progress)
        x->progress(x->pud, c, x->done, x->total);
}

static int exec_run(void *self, rs_cmp_call *calls, size_t n, int concurrency,
                    volatile sig_atomic_t *cancel, rs_cmp_progress_fn progress, void *pud,
                    rs_error *err)
{
    rs_compare_backend *b = self;
    int rc = 0;
    rs_run_request *reqs = rs_calloc(n + 1, sizeof *reqs);
    char **vars = rs_calloc(n + 1, sizeof *vars);
    batch_ctx x = {b,
                   calls,
                   rs_calloc(n + 1, sizeof(size_t)),
                   rs_calloc(n + 1, RS_SHA256_HEX_SIZE),
                   0,
                   n,
                   progress,
                   pud};
    size_t m = 0;
    if (!reqs || !vars || !x.index || !x.keys) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        if (cancel && *cancel) {
            rc = rs_error_set(err, RS_EINTERRUPTED, "interrupted");
            goto done;
        }
        rs_cmp_call *c = &calls[i];
        if (cache_key(x.keys[i], b, c) && cache_lookup(b, c, x.keys[i])) {
            x.done++;
            if (progress)
                progress(pud, c, x.done, n);
            continue;
        }
        if (!(vars[m] = rs_json_print(c->vars, 0))) {
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
        rs_run_request *r = &reqs[m];
        r->ref = c->ref;
        r->target = c->target;
        r->vars_json = vars[m];
        r->experiment = c->experiment;
        r->arm = c->arm;
        r->case_id = c->case_id;
        x.index[m] = i;
        m++;
    }
    if (m > 0)
        rc = rs_run_batch(b->runner, reqs, m, concurrency, on_done, &x, err);
    if (rc == 0 && cancel && *cancel)
        rc = rs_error_set(err, RS_EINTERRUPTED, "interrupted");
done:
    for (size_t i = 0; vars && i < m; i++)
        rs_free(vars[i]);
    rs_free(vars);
    rs_free(reqs);
    rs_free(x.index);
    rs_free(x.keys);
    return rc;
}

void rs_compare_backend_executor(rs_cmp_executor *out, rs_compare_backend *b)
{
    out->run = exec_run;
    out->self = b;
}

/* ---------- store ---------- */

static int store_load(void *self, const char *experiment, rs_cmp_record **out, size_t *n,
                      rs_error *err)
{
    rs_compare_backend *b = self;
    int rc = 0;
    char *list = NULL;
    cJSON *arr = NULL;
    rs_cmp_record *recs = NULL;
    const cJSON **items = NULL;
    size_t k = 0;
    *out = NULL;
    *n = 0;
    if (!b->log)
        return 0;
    rs_runlog_query q = RS_RUNLOG_QUERY_INIT;
    q.experiment = experiment;
    q.limit = -1;
    if ((rc = rs_runlog_list_json(b->log, &q, &list, err)) != 0)
        goto done;
    if ((rc = rs_json_parse(&arr, list, strlen(list), "run log", err)) != 0)
        goto done;
    int total = cJSON_GetArraySize(arr);
    recs = rs_calloc((size_t)total + 1, sizeof *recs);
    items = rs_calloc((size_t)total + 1, sizeof *items);
    if (!recs || !items) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    int ni = 0;
    for (const cJSON *it = arr->child; it; it = it->next)
        items[ni++] = it;
    /* oldest first (the list is newest first), so the first record of a call is the one kept */
    for (int ii = ni - 1; ii >= 0; ii--) {
        const cJSON *it = items[ii];
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
        const char *cls = rs_json_string(it, "error_class");
        if (!cJSON_IsNumber(id) || (cls && strcmp(cls, "interrupted") == 0))
            continue;
        char *full = NULL;
        cJSON *run = NULL;
        if ((rc = rs_runlog_show_json(b->log, (long long)id->valuedouble, &full, err)) != 0)
            goto done;
        rc = rs_json_parse(&run, full, strlen(full), "run log", err);
        rs_free(full);
        if (rc)
            goto done;
        rs_cmp_record *r = &recs[k++];
        const char *status = rs_json_string(run, "status");
        r->arm = dup_or_null(rs_json_string(run, "arm"));
        r->case_id = dup_or_null(rs_json_string(run, "case_id"));
        r->ok = status && strcmp(status, "ok") == 0;
        r->output = dup_or_null(rs_json_string(run, "output"));
        r->error = dup_or_null(rs_json_string(run, "error"));
        /* `runs show` gives the input as a JSON value, not as text: print it back. */
        const cJSON *input = cJSON_GetObjectItemCaseSensitive(run, "input");
        if (cJSON_IsString(input)) {
            r->input_json = dup_or_null(input->valuestring);
        } else if (input && !cJSON_IsNull(input)) {
            r->input_json = rs_json_print(input, 0);
            if (!r->input_json) {
                cJSON_Delete(run);
                rc = rs_error_set(err, RS_ENOMEM, "out of memory");
                goto done;
            }
        }
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(run, "cost_usd");
        r->cost_known = cJSON_IsNumber(c);
        r->cost_usd = r->cost_known ? c->valuedouble : 0;
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(run, "latency_ms");
        r->latency_ms = cJSON_IsNumber(l) ? l->valuedouble : -1;
        const cJSON *ti = cJSON_GetObjectItemCaseSensitive(run, "input_tokens");
        const cJSON *to = cJSON_GetObjectItemCaseSensitive(run, "output_tokens");
        r->input_tokens = cJSON_IsNumber(ti) ? (long)ti->valuedouble : -1;
        r->output_tokens = cJSON_IsNumber(to) ? (long)to->valuedouble : -1;
        r->run_id = (long long)id->valuedouble;
        r->feedback = cJSON_DetachItemFromObjectCaseSensitive(run, "feedback");
        cJSON_Delete(run);
        if (!r->arm && rs_json_string(it, "arm")) {
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
    }
    *out = recs;
    *n = k;
    recs = NULL;
done:
    for (size_t i = 0; recs && i < k; i++)
        rs_cmp_record_clear(&recs[i]);
    rs_free(recs);
    rs_free(items);
    rs_free(list);
    cJSON_Delete(arr);
    return rc;
}

static int store_save(void *self, long long run_id, const char *label, double value, rs_error *err)
{
    rs_compare_backend *b = self;
    if (!b->log)
        return 0;
    return rs_runlog_feedback(b->log, run_id, value, label, err);
}

void rs_compare_backend_store(rs_cmp_store *out, rs_compare_backend *b)
{
    out->load = store_load;
    out->save_score = store_save;
    out->self = b;
}
