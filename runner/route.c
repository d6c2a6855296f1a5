/*
 * runner/route.c - reading routes from rosetta.yaml (see route.h).
 */
#include "runner/route.h"

#include "util/str.h"

#include <stdio.h>
#include <string.h>

static int check_target(const char *t, const char *where, rs_error *err)
{
    const char *slash = strchr(t, '/');
    if (!slash || slash == t || !slash[1])
        return rs_error_set(err, RS_ECONFIG, "%s: '%s' is not a provider/model target", where, t);
    return 0;
}

static int add_target(rs_route *r, const cJSON *item, rs_error *err)
{
    const char *target = NULL, *variant = NULL;
    if (r->n == RS_ROUTE_MAX_TARGETS)
        return rs_error_set(err, RS_ECONFIG, "rosetta.yaml: routes.%s has more than %d targets",
                            r->name, RS_ROUTE_MAX_TARGETS);
    if (cJSON_IsString(item)) {
        target = item->valuestring;
    } else if (cJSON_IsObject(item)) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(item, "target");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, "variant");
        target = cJSON_IsString(t) ? t->valuestring : NULL;
        variant = cJSON_IsString(v) ? v->valuestring : NULL;
        if (v && !variant)
            return rs_error_set(err, RS_ECONFIG,
                                "rosetta.yaml: routes.%s: variant must be a string", r->name);
    }
    if (!target)
        return rs_error_set(err, RS_ECONFIG,
                            "rosetta.yaml: routes.%s: each target is \"provider/model\" or "
                            "{target: provider/model, variant: NAME}",
                            r->name);
    char where[200];
    snprintf(where, sizeof where, "rosetta.yaml: routes.%s", r->name);
    int rc = check_target(target, where, err);
    if (rc)
        return rc;
    rs_route_target *rt = &r->targets[r->n];
    if (strlen(target) >= sizeof rt->target || (variant && strlen(variant) >= sizeof rt->variant))
        return rs_error_set(err, RS_ECONFIG, "rosetta.yaml: routes.%s: target or variant too long",
                            r->name);
    snprintf(rt->target, sizeof rt->target, "%s", target);
    snprintf(rt->variant, sizeof rt->variant, "%s", variant ? variant : "");
    r->n++;
    return 0;
}

int rs_route_lookup(rs_route *out, const cJSON *config, const char *name, rs_error *err)
{
    int rc = 0;
    memset(out, 0, sizeof *out);
    const cJSON *routes = cJSON_GetObjectItemCaseSensitive(config, "routes");
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(routes, name);
    if (!r) {
        rs_str have = RS_STR_INIT;
        const cJSON *it;
        cJSON_ArrayForEach(it, routes)
            rs_str_appendf(&have, "%s%s", have.len ? ", " : "", it->string);
        rc = rs_error_set(err, RS_ENOTFOUND, "no route '%s' in rosetta.yaml (routes: %s)", name,
                          have.len ? rs_str_cstr(&have) : "none defined");
        rs_str_free(&have);
        return rc;
    }
    if (strlen(name) >= sizeof out->name)
        return rs_error_set(err, RS_ECONFIG, "route name too long");
    snprintf(out->name, sizeof out->name, "%s", name);
    const cJSON *targets = r;
    if (cJSON_IsObject(r)) {
        targets = cJSON_GetObjectItemCaseSensitive(r, "targets");
        if (!targets)
            targets = cJSON_GetObjectItemCaseSensitive(r, "fallback");
        const cJSON *it;
        cJSON_ArrayForEach(it, r)
        {
            if (strcmp(it->string, "targets") == 0 || strcmp(it->string, "fallback") == 0)
                continue;
            if (strcmp(it->string, "max_attempts") == 0 && cJSON_IsNumber(it) &&
                it->valuedouble >= 1 && it->valuedouble <= 20)
                out->max_attempts = (int)it->valuedouble;
            else if (strcmp(it->string, "timeout_ms") == 0 && cJSON_IsNumber(it) &&
                     it->valuedouble >= 1)
                out->timeout_ms = (long)it->valuedouble;
            else
                return rs_error_set(
                    err, RS_ECONFIG,
                    "rosetta.yaml: routes.%s.%s: expected targets (or fallback: a list), "
                    "max_attempts (1..20) or timeout_ms (> 0)",
                    name, it->string);
        }
    }
    if (!cJSON_IsArray(targets) || cJSON_GetArraySize(targets) == 0)
        return rs_error_set(err, RS_ECONFIG,
                            "rosetta.yaml: routes.%s must be a non-empty list of targets", name);
    const cJSON *t;
    cJSON_ArrayForEach(t, targets)
    {
        if ((rc = add_target(out, t, err)) != 0)
            return rc;
    }
    return 0;
}

int rs_route_single(rs_route *out, const char *target, rs_error *err)
{
    memset(out, 0, sizeof *out);
    const char *slash = strchr(target, '/');
    if (!slash || slash == target || !slash[1])
        return rs_error_set(err, RS_EINVAL, "target '%s' is not provider/model (e.g. mock/echo)",
                            target);
    if (strlen(target) >= sizeof out->targets[0].target)
        return rs_error_set(err, RS_EINVAL, "target too long");
    snprintf(out->targets[0].target, sizeof out->targets[0].target, "%s", target);
    out->n = 1;
    return 0;
}
