/*
 * providers/provider_api.c - the public encoding API (include/rosetta/provider.h) over
 * targets, services and rs_request_build.
 */
#include "rosetta/provider.h"

#include "providers/provider.h"
#include "util/alloc.h"
#include "util/json.h"

#include <string.h>

struct rs_provider_request {
    rs_request req;
    const rs_dialect *dialect;
};

int rs_provider_encode(rs_provider_request **out, const char *target, const char *rendered_json,
                       size_t len, const rs_provider_options *opts, rs_error *err)
{
    rs_provider_options defaults = RS_PROVIDER_OPTIONS_INIT;
    rs_provider_request *r = NULL;
    cJSON *rendered = NULL, *config = NULL;
    rs_target t;
    rs_service svc;
    int rc;
    *out = NULL;
    if (!opts)
        opts = &defaults;
    if ((rc = rs_target_parse(&t, target, err)) != 0)
        goto done;
    if (opts->config_json &&
        (rc = rs_json_parse(&config, opts->config_json, strlen(opts->config_json), "rosetta.yaml",
                            err)) != 0)
        goto done;
    if ((rc = rs_service_lookup(&svc, t.provider, config, err)) != 0)
        goto done;
    if ((rc = rs_json_parse(&rendered, rendered_json, len, "rendered prompt", err)) != 0)
        goto done;
    r = rs_calloc(1, sizeof *r);
    if (!r) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    rs_request_init(&r->req);
    r->dialect = svc.dialect;
    rs_encode_opts eo = RS_ENCODE_OPTS_INIT;
    eo.stream = opts->stream;
    if ((rc = rs_request_build(&r->req, &svc, t.model, rendered, &eo, opts->with_key, err)) != 0)
        goto done;
    *out = r;
    r = NULL;
done:
    rs_provider_request_free(r);
    cJSON_Delete(rendered);
    cJSON_Delete(config);
    return rc;
}

const char *rs_provider_request_url(const rs_provider_request *r)
{
    return rs_str_cstr(&r->req.url);
}

const char *rs_provider_request_body(const rs_provider_request *r, size_t *len)
{
    if (len)
        *len = r->req.body.len;
    return rs_str_cstr(&r->req.body);
}

size_t rs_provider_request_header_count(const rs_provider_request *r)
{
    return r->req.headers.len;
}

const char *rs_provider_request_header(const rs_provider_request *r, size_t i)
{
    return i < r->req.headers.len ? RS_VEC_AT(&r->req.headers, char *, i) : NULL;
}

const char *rs_provider_request_dialect(const rs_provider_request *r)
{
    return r->dialect->name;
}

int rs_provider_request_curl(char **out, const rs_provider_request *r, rs_error *err)
{
    rs_str s = RS_STR_INIT;
    int rc = rs_request_curl(&s, &r->req, err);
    *out = NULL;
    if (rc == 0) {
        *out = rs_str_detach(&s, NULL);
        if (!*out)
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
    }
    rs_str_free(&s);
    return rc;
}

void rs_provider_request_free(rs_provider_request *r)
{
    if (!r)
        return;
    rs_request_free(&r->req);
    rs_free(r);
}
