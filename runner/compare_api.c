/*
 * runner/compare_api.c - the public compare API (rosetta/compare.h): options and eval specs in,
 * the engine (compare.c) on the runner backend (compare_runner.c), JSON report out.
 */
#include "rosetta/compare.h"

#include "runner/compare_runner.h"
#include "templates/yaml_json.h"
#include "util/alloc.h"
#include "util/file.h"
#include "util/json.h"
#include "util/str.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_LIST 256

/* A list of borrowed strings. */
typedef struct strlist {
    const char *v[MAX_LIST];
    size_t n;
} strlist;

static int list_add(strlist *l, const char *s, const char *what, rs_error *err)
{
    if (l->n == MAX_LIST)
        return rs_error_set(err, RS_ELIMIT, "more than %d %s", MAX_LIST, what);
    l->v[l->n++] = s;
    return 0;
}

/* Strings of a JSON array (or one string) from the spec into l; RS_ECONFIG otherwise. */
static int list_from_json(strlist *l, const cJSON *v, const char *key, const char *file,
                          rs_error *err)
{
    if (!v)
        return 0;
    if (cJSON_IsString(v))
        return list_add(l, v->valuestring, key, err);
    if (!cJSON_IsArray(v))
        return rs_error_set_at(err, RS_ECONFIG, file, 0, 0, "'%s' must be a list of strings", key);
    for (const cJSON *x = v->child; x; x = x->next) {
        if (!cJSON_IsString(x))
            return rs_error_set_at(err, RS_ECONFIG, file, 0, 0, "'%s' must be a list of strings",
                                   key);
        int rc = list_add(l, x->valuestring, key, err);
        if (rc)
            return rc;
    }
    return 0;
}

typedef struct progress_state {
    const rs_compare_opts *o;
    const char *phase;
    size_t errors, cached;
} progress_state;

static void on_progress(void *ud, const rs_cmp_call *c, size_t done, size_t total)
{
    progress_state *p = ud;
    if (done == 1) {
        p->errors = p->cached = 0;
        p->phase = strstr(c->experiment, "#judge") ? "judge" : "answers";
    }
    p->errors += !c->ok;
    p->cached += c->cached;
    if (p->o->progress)
        p->o->progress(p->o->progress_ud, p->phase, done, total, p->errors, p->cached);
}

/* evals/NAME.yaml of the registry's work tree, as JSON. */
static int load_spec(cJSON **out, char **path_out, rs_registry *reg, const char *name,
                     rs_error *err)
{
    int rc = 0;
    char *text = NULL;
    size_t len = 0;
    rs_str path = RS_STR_INIT;
    *out = NULL;
    if (!reg)
        return rs_error_set(err, RS_ENOTFOUND, "--spec %s needs a registry (none found)", name);
    if (strstr(name, "..") || name[0] == '/')
        return rs_error_set(err, RS_EINVAL, "spec name '%s' may not contain '..'", name);
    size_t nl = strlen(name);
    int ext = nl > 5 && strcmp(name + nl - 5, ".yaml") == 0;
    rs_str_appendf(&path, "%sevals/%s%s", rs_registry_root(reg), name, ext ? "" : ".yaml");
    if ((rc = rs_str_report(&path, err, "a path")) != 0)
        goto done;
    struct stat st;
    if (stat(path.ptr, &st) != 0) {
        rc = rs_error_set(err, RS_ENOTFOUND, "no eval spec %s", path.ptr);
        goto done;
    }
    if ((rc = rs_file_read(&text, &len, path.ptr, err)) != 0)
        goto done;
    rs_yaml_opts yo = RS_YAML_OPTS_INIT;
    yo.filename = path.ptr;
    yo.file_src = text;
    yo.file_len = len;
    if ((rc = rs_yaml_to_json(out, text, len, &yo, err)) != 0)
        goto done;
    if (!cJSON_IsObject(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        rc = rs_error_set_at(err, RS_ECONFIG, path.ptr, 1, 1,
                             "an eval spec is a mapping (arms, dataset, scorers, ...)");
        goto done;
    }
    for (const cJSON *k = (*out)->child; k; k = k->next) {
        static const char *const known[] = {"arms",    "prompts",     "targets",
                                            "dataset", "scorers",     "concurrency",
                                            "repeat",  "description", NULL};
        int ok = 0;
        for (size_t i = 0; known[i] && !ok; i++)
            ok = strcmp(k->string, known[i]) == 0;
        if (!ok) {
            rc = rs_error_set_at(err, RS_ECONFIG, path.ptr, 0, 0,
                                 "unknown key '%s' (arms, prompts, targets, dataset, scorers, "
                                 "concurrency, repeat, description)",
                                 k->string);
            cJSON_Delete(*out);
            *out = NULL;
            goto done;
        }
    }
    *path_out = rs_str_detach(&path, NULL);
    if (!*path_out) {
        cJSON_Delete(*out);
        *out = NULL;
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
    }
done:
    rs_free(text);
    rs_str_free(&path);
    return rc;
}

/* The prompt's output.schema for json-schema scorers without a file (rendered for the baseline
 * arm with the first case). Missing schema: the scorer reports it per case. */
static void default_schema(rs_scorer **scorers, size_t n, rs_registry *reg, const rs_arm *arm,
                           const rs_case *first)
{
    cJSON *rendered = NULL;
    rs_error err = RS_ERROR_INIT;
    int need = 0;
    for (size_t i = 0; i < n; i++)
        need |= rs_scorer_kind_of(scorers[i]) == RS_SCORER_JSON_SCHEMA;
    if (!need || !reg ||
        rs_compare_render_case(&rendered, reg, arm->ref, arm->target, first->vars, &err) != 0)
        goto done;
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(rendered, "output"), "schema");
    for (size_t i = 0; i < n && schema; i++)
        rs_scorer_set_default_schema(scorers[i], schema);
done:
    cJSON_Delete(rendered);
}

int rs_compare(char **report_json, char *experiment, size_t experiment_size,
               const rs_compare_opts *o, rs_error *err)
{
    int rc = 0;
    rs_registry *reg = NULL;
    rs_runner *runner = NULL;
    rs_compare_backend *be = NULL;
    rs_dataset *ds = NULL;
    cJSON *spec = NULL, *meta = NULL, *report = NULL;
    char *spec_path = NULL, *log_path = NULL, *state = NULL, *cache = NULL;
    rs_arm arms[MAX_LIST];
    rs_scorer *scorers[MAX_LIST];
    size_t n_arms = 0, n_sc = 0;
    strlist arm_specs = {{0}, 0}, prompts = {{0}, 0}, targets = {{0}, 0}, sc_specs = {{0}, 0};
    const char *dataset = o->dataset;
    int repeat = o->repeat, conc = o->concurrency;
    char expid[128];
    memset(arms, 0, sizeof arms);
    memset(scorers, 0, sizeof scorers);
    *report_json = NULL;
    if (experiment && experiment_size)
        experiment[0] = '\0';

    rs_error rerr = RS_ERROR_INIT;
    if (rs_registry_open(&reg, o->registry_dir, &rerr) != 0) {
        if (rerr.code != RS_ENOTFOUND || o->registry_dir) {
            *err = rerr;
            rc = rerr.code;
            goto done;
        }
        reg = NULL; /* files only: datasets and prompts by path */
    }
    if ((rc = rs_runlog_path(&log_path, o->log_path, reg ? rs_registry_root(reg) : NULL, err)))
        goto done;
    if ((rc = rs_compare_state_dir(&state, log_path, err)) != 0)
        goto done;

    /* 1. what to compare: the experiment file (resume), else the command line over the spec */
    if (o->resume) {
        if ((rc = rs_compare_meta_read(&meta, state, o->resume, err)) != 0) {
            if (rc == RS_ENOTFOUND)
                rs_error_set(err, RS_ENOTFOUND,
                             "no experiment '%s' to resume (no %s/experiments/%s.json)", o->resume,
                             state, o->resume);
            goto done;
        }
        if (o->n_arms || o->n_prompts || o->n_scorers || o->dataset || o->spec) {
            rc = rs_error_set(err, RS_EINVAL,
                              "--resume takes the arms, dataset and scorers from the experiment; "
                              "give no others");
            goto done;
        }
        const cJSON *ma = cJSON_GetObjectItemCaseSensitive(meta, "arms");
        for (const cJSON *a = ma ? ma->child : NULL; a; a = a->next)
            if ((rc = list_add(&arm_specs, rs_json_string(a, "name"), "arms", err)) != 0)
                goto done;
        if ((rc = list_from_json(&sc_specs, cJSON_GetObjectItemCaseSensitive(meta, "scorers"),
                                 "scorers", "experiment", err)) != 0)
            goto done;
        const cJSON *md = cJSON_GetObjectItemCaseSensitive(meta, "dataset");
        dataset = rs_json_string(md, "path");
        const cJSON *rp = cJSON_GetObjectItemCaseSensitive(meta, "repeat");
        repeat = cJSON_IsNumber(rp) ? rp->valueint : 1;
    } else {
        if (o->spec) {
            if ((rc = load_spec(&spec, &spec_path, reg, o->spec, err)) != 0)
                goto done;
            if (!o->n_arms && !o->n_prompts &&
                ((rc = list_from_json(&arm_specs, cJSON_GetObjectItemCaseSensitive(spec, "arms"),
                                      "arms", spec_path, err)) ||
                 (rc = list_from_json(&prompts, cJSON_GetObjectItemCaseSensitive(spec, "prompts"),
                                      "prompts", spec_path, err)) ||
                 (rc = list_from_json(&targets, cJSON_GetObjectItemCaseSensitive(spec, "targets"),
                                      "targets", spec_path, err))))
                goto done;
            if (!o->n_scorers &&
                (rc = list_from_json(&sc_specs, cJSON_GetObjectItemCaseSensitive(spec, "scorers"),
                                     "scorers", spec_path, err)))
                goto done;
            if (!dataset)
                dataset = rs_json_string(spec, "dataset");
            const cJSON *c = cJSON_GetObjectItemCaseSensitive(spec, "concurrency");
            const cJSON *r = cJSON_GetObjectItemCaseSensitive(spec, "repeat");
            if (!conc && cJSON_IsNumber(c))
                conc = c->valueint;
            if (!repeat && cJSON_IsNumber(r))
                repeat = r->valueint;
        }
        for (size_t i = 0; i < o->n_arms; i++)
            if ((rc = list_add(&arm_specs, o->arms[i], "arms", err)) != 0)
                goto done;
        for (size_t i = 0; i < o->n_prompts; i++)
            if ((rc = list_add(&prompts, o->prompts[i], "prompts", err)) != 0)
                goto done;
        for (size_t i = 0; i < o->n_targets; i++)
            if ((rc = list_add(&targets, o->targets[i], "targets", err)) != 0)
                goto done;
        for (size_t i = 0; i < o->n_scorers; i++)
            if ((rc = list_add(&sc_specs, o->scorers[i], "scorers", err)) != 0)
                goto done;
        if (sc_specs.n == 0 && (rc = list_add(&sc_specs, "equals", "scorers", err)) != 0)
            goto done;
    }
    if (repeat <= 0)
        repeat = 1;
    if (conc <= 0)
        conc = 8;

    /* 2. arms */
    for (size_t i = 0; i < arm_specs.n; i++) {
        if (n_arms == MAX_LIST) {
            rc = rs_error_set(err, RS_ELIMIT, "more than %d arms", MAX_LIST);
            goto done;
        }
        if ((rc = rs_arm_parse(&arms[n_arms], arm_specs.v[i], err)) != 0)
            goto done;
        n_arms++;
    }
    if ((prompts.n > 0) != (targets.n > 0)) {
        rc = rs_error_set(err, RS_EINVAL,
                          "--prompt and --target go together (arms = prompts x "
                          "targets)");
        goto done;
    }
    for (size_t p = 0; p < prompts.n; p++) {
        for (size_t t = 0; t < targets.n; t++) {
            if (n_arms == MAX_LIST) {
                rc = rs_error_set(err, RS_ELIMIT, "more than %d arms", MAX_LIST);
                goto done;
            }
            if ((rc = rs_arm_make(&arms[n_arms], prompts.v[p], targets.v[t], err)) != 0)
                goto done;
            n_arms++;
        }
    }
    if (n_arms == 0) {
        rc = rs_error_set(err, RS_EINVAL,
                          "nothing to compare: give arms (REF@PROVIDER/MODEL ...), "
                          "--prompt/--target, or --spec NAME");
        goto done;
    }

    /* 3. dataset and scorers */
    if (!dataset) {
        rc = rs_error_set(err, RS_EINVAL, "no dataset: give --dataset NAME|FILE");
        goto done;
    }
    if ((rc = rs_dataset_open(&ds, reg ? rs_registry_root(reg) : NULL, dataset, err)) != 0)
        goto done;
    if (meta) {
        const char *h =
            rs_json_string(cJSON_GetObjectItemCaseSensitive(meta, "dataset"), "fnv1a64");
        char hex[20];
        snprintf(hex, sizeof hex, "%016llx", (unsigned long long)ds->hash);
        if (h && strcmp(h, hex) != 0) {
            rc = rs_error_set(err, RS_ECONFLICT,
                              "dataset %s changed since experiment %s started: resuming would "
                              "mix two datasets (start a new compare)",
                              ds->path, o->resume);
            goto done;
        }
    }
    for (size_t i = 0; i < sc_specs.n; i++) {
        if ((rc = rs_scorer_parse(&scorers[n_sc], sc_specs.v[i], err)) != 0)
            goto done;
        n_sc++;
    }
    default_schema(scorers, n_sc, reg, &arms[0], &ds->cases[0]);

    /* 4. the experiment */
    if (o->resume)
        snprintf(expid, sizeof expid, "%s", o->resume);
    else if (o->experiment)
        snprintf(expid, sizeof expid, "%s", o->experiment);
    else if ((rc = rs_compare_new_id(expid, sizeof expid, err)) != 0)
        goto done;
    if (experiment && experiment_size)
        snprintf(experiment, experiment_size, "%s", expid);

    rs_runner_opts ro = RS_RUNNER_OPTS_INIT;
    ro.registry_dir = o->registry_dir;
    ro.log_path = log_path;
    ro.timeout_ms = o->timeout_ms;
    ro.max_attempts = o->max_attempts;
    ro.seed = o->seed;
    ro.cancel = o->cancel;
    if ((rc = rs_runner_open(&runner, &ro, err)) != 0)
        goto done;
    if (!o->no_cache) {
        rs_str c = RS_STR_INIT;
        rs_str_appendf(&c, "%s/cache", state);
        cache = rs_str_detach(&c, NULL);
        rs_str_free(&c);
        if (!cache) {
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
    }
    rs_compare_backend_opts bo = {runner, reg, log_path, cache};
    if ((rc = rs_compare_backend_open(&be, &bo, err)) != 0)
        goto done;
    rs_cmp_executor ex;
    rs_cmp_store st;
    rs_compare_backend_executor(&ex, be);
    rs_compare_backend_store(&st, be);
    progress_state ps = {o, "answers", 0, 0};
    rs_compare_plan plan = {expid, arms,         n_arms, ds,      scorers,     n_sc, repeat,
                            conc,  !o->no_cache, 0,      o->seed, on_progress, &ps,  o->cancel};
    if (!o->resume) {
        cJSON *m = rs_compare_plan_json(&plan);
        if (!m) {
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
        if (spec_path)
            cJSON_AddStringToObject(m, "spec", spec_path);
        rc = rs_compare_meta_write(state, expid, m, err);
        cJSON_Delete(m);
        if (rc)
            goto done;
    }
    if ((rc = rs_compare_run(&report, &plan, &ex, &st, err)) != 0) {
        if (rc == RS_EINTERRUPTED)
            rs_error_set(err, RS_EINTERRUPTED,
                         "interrupted: the finished calls are logged; resume with "
                         "`rosetta compare --resume %s`",
                         expid);
        goto done;
    }
    if (!(*report_json = rs_json_print(report, 1)))
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
done:
    for (size_t i = 0; i < n_arms; i++)
        rs_arm_free(&arms[i]);
    for (size_t i = 0; i < n_sc; i++)
        rs_scorer_free(scorers[i]);
    rs_compare_backend_free(be);
    rs_runner_free(runner);
    rs_dataset_free(ds);
    rs_registry_free(reg);
    cJSON_Delete(spec);
    cJSON_Delete(meta);
    cJSON_Delete(report);
    rs_free(spec_path);
    rs_free(log_path);
    rs_free(state);
    rs_free(cache);
    return rc;
}

int rs_compare_experiment_report(char **report_json, const char *experiment,
                                 const char *registry_dir, const char *log_path, rs_error *err)
{
    int rc = 0;
    rs_registry *reg = NULL;
    char *path = NULL, *state = NULL;
    cJSON *meta = NULL, *report = NULL;
    rs_compare_backend *be = NULL;
    *report_json = NULL;
    rs_error rerr = RS_ERROR_INIT;
    if (rs_registry_open(&reg, registry_dir, &rerr) != 0)
        reg = NULL;
    if ((rc = rs_runlog_path(&path, log_path, reg ? rs_registry_root(reg) : NULL, err)) ||
        (rc = rs_compare_state_dir(&state, path, err)))
        goto done;
    struct stat sb;
    if (stat(path, &sb) != 0) {
        rc = rs_error_set(err, RS_ENOTFOUND, "no run log at %s", path);
        goto done;
    }
    rs_error merr = RS_ERROR_INIT;
    if (rs_compare_meta_read(&meta, state, experiment, &merr) != 0 && merr.code != RS_ENOTFOUND &&
        merr.code != RS_EINVAL) {
        *err = merr;
        rc = merr.code;
        goto done;
    }
    rs_compare_backend_opts bo = {NULL, NULL, path, NULL};
    if ((rc = rs_compare_backend_open(&be, &bo, err)) != 0)
        goto done;
    rs_cmp_store st;
    rs_compare_backend_store(&st, be);
    if ((rc = rs_compare_report_from_store(&report, experiment, meta, &st, err)) != 0)
        goto done;
    if (!(*report_json = rs_json_print(report, 1)))
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
done:
    rs_compare_backend_free(be);
    rs_registry_free(reg);
    cJSON_Delete(meta);
    cJSON_Delete(report);
    rs_free(path);
    rs_free(state);
    return rc;
}

static int format(char **out, const char *report_json, int html, int colour, rs_error *err)
{
    cJSON *r = NULL;
    rs_str s = RS_STR_INIT;
    *out = NULL;
    int rc = rs_json_parse(&r, report_json, strlen(report_json), "report", err);
    if (rc == 0)
        rc = html ? rs_report_html(&s, r, err) : rs_report_table(&s, r, colour, err);
    if (rc == 0 && !(*out = rs_str_detach(&s, NULL)))
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
    rs_str_free(&s);
    cJSON_Delete(r);
    return rc;
}

int rs_compare_format_table(char **out, const char *report_json, int colour, rs_error *err)
{
    return format(out, report_json, 0, colour, err);
}

int rs_compare_format_html(char **out, const char *report_json, rs_error *err)
{
    return format(out, report_json, 1, 0, err);
}
