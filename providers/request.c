/*
 * providers/request.c - a whole HTTP request for a service: endpoint, headers, body; and the
 * ready-to-paste curl command `rosetta render --curl` prints.
 *
 * Keys: only here is a key's value read from the environment, and it goes into the header list
 * and nowhere else. Without with_key the header carries "$VARIABLE" literally, so printing the
 * request never shows a secret.
 */
#include "providers/neutral.h"

#include "util/alloc.h"

#include <stdlib.h>
#include <string.h>

void rs_request_init(rs_request *req)
{
    rs_str_init(&req->url, RS_STR_DEFAULT_MAX);
    rs_vec_init(&req->headers, sizeof(char *));
    rs_str_init(&req->body, RS_STR_DEFAULT_MAX);
    req->stream = 0;
}

void rs_request_free(rs_request *req)
{
    if (!req)
        return;
    for (size_t i = 0; i < req->headers.len; i++)
        rs_free(RS_VEC_AT(&req->headers, char *, i));
    rs_vec_free(&req->headers);
    rs_str_free(&req->url);
    rs_str_free(&req->body);
    req->stream = 0;
}

int rs_request_build(rs_request *req, const rs_service *svc, const char *model,
                     const cJSON *rendered, const rs_encode_opts *o, int with_key, rs_error *err)
{
    const rs_dialect *d = svc->dialect;
    const char *key = NULL;
    char placeholder[80];
    int stream = o && o->stream;
    int rc;
    if (!d)
        return rs_error_set(err, RS_EINTERNAL, "provider '%s' has no dialect", svc->name);
    if (svc->key_env[0]) {
        const char *v = getenv(svc->key_env);
        int have = v && *v;
        if (with_key && have) {
            key = v;
        } else if (with_key && !(svc->quirks & RS_QUIRK_KEY_OPTIONAL)) {
            return rs_error_set(err, RS_ECONFIG, "%s is not set: export it with your %s API key",
                                svc->key_env, svc->name);
        } else if (!with_key && (have || !(svc->quirks & RS_QUIRK_KEY_OPTIONAL))) {
            size_t n = strlen(svc->key_env);
            placeholder[0] = '$';
            memcpy(placeholder + 1, svc->key_env, n + 1);
            key = placeholder;
        }
    }
    if ((rc = d->endpoint(&req->url, svc, model, stream, err)) != 0)
        return rc;
    if ((rc = d->headers(&req->headers, svc, key, err)) != 0)
        return rc;
    if ((rc = d->encode(&req->body, svc, model, rendered, o, err)) != 0)
        return rc;
    req->stream = stream;
    return 0;
}

/* Append s single-quoted for a POSIX shell ('...' with ' written as '\''). */
static void shell_quote(rs_str *out, const char *s)
{
    rs_str_putc(out, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            rs_str_puts(out, "'\\''");
        else
            rs_str_putc(out, *s);
    }
    rs_str_putc(out, '\'');
}

/* A header holding a "$VARIABLE" placeholder goes in double quotes so the shell expands it; its
 * other characters are letters, digits, ':', ' ', '-', '_' and '$' by construction. */
static int expands_variable(const char *h)
{
    const char *d = strchr(h, '$');
    if (!d)
        return 0;
    return strcspn(h, "\"\\`") == strlen(h);
}

int rs_request_curl(rs_str *out, const rs_request *req, rs_error *err)
{
    rs_str_reset(out);
    rs_str_puts(out, "curl ");
    if (req->stream)
        rs_str_puts(out, "-N ");
    shell_quote(out, rs_str_cstr(&req->url));
    for (size_t i = 0; i < req->headers.len; i++) {
        const char *h = RS_VEC_AT(&req->headers, char *, i);
        rs_str_puts(out, " \\\n  -H ");
        if (expands_variable(h))
            rs_str_appendf(out, "\"%s\"", h);
        else
            shell_quote(out, h);
    }
    rs_str_puts(out, " \\\n  -d ");
    shell_quote(out, rs_str_cstr(&req->body));
    rs_str_putc(out, '\n');
    return rs_str_report(out, err, "the curl command");
}
