/*
 * providers/mock_decode.c - decoding the offline `mock` provider's answers.
 *
 * The mock speaks the normalized result itself, so whoever produces mock answers (the transport's
 * in-process mock) writes exactly what a test expects to read back:
 *   answer:  {"model":"echo","text":"..","tool_calls":[{"id":"..","name":"..","arguments":{..}}],
 *             "finish":"stop|length|tool|filter|error|other","finish_raw":"..",
 *             "usage":{"input":N,"output":N,"cached":N,"reasoning":N}}
 *   stream:  SSE or NDJSON events, each a JSON object with a "type" (the SSE event name, when
 *            given, must agree):
 *              {"type":"delta","text":"Hel"}
 *              {"type":"tool_call","id":"..","name":"..","arguments":{..}}
 *              {"type":"done", <the answer fields above except text/tool_calls>}   (terminal)
 *              {"type":"error","error":{"class":"rate_limit","message":".."}}
 *   errors:  {"error":{"class":"<rs_fail_class_name>","message":".."}} with any status; the
 *            class, when given, wins over the status.
 */
#include "providers/decode.h"

#include "util/json.h"

#include <stdio.h>
#include <string.h>

static rs_finish finish_of(const char *s)
{
    static const rs_finish all[] = {RS_FINISH_STOP,   RS_FINISH_LENGTH, RS_FINISH_TOOL,
                                    RS_FINISH_FILTER, RS_FINISH_ERROR,  RS_FINISH_OTHER};
    if (!s)
        return RS_FINISH_UNKNOWN;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (!strcmp(s, rs_finish_name(all[i])))
            return all[i];
    return RS_FINISH_OTHER;
}

static rs_fail_class class_named(const char *s)
{
    for (int c = RS_FAIL_NONE + 1; c <= RS_FAIL_OTHER; c++)
        if (s && !strcmp(s, rs_fail_class_name((rs_fail_class)c)))
            return (rs_fail_class)c;
    return RS_FAIL_OTHER;
}

static void error_obj(rs_provider_error *pe, int status, long retry_ms, const cJSON *e,
                      const char *body, size_t len)
{
    const char *cls = rs_json_string(e, "class");
    rs_fail_class c = cls             ? class_named(cls)
                      : status == 200 ? RS_FAIL_STREAM
                                      : rs_fail_class_for_status(status);
    long hint = rs_decode_long(e, "retry_after_ms");
    rs_provider_error_http(pe, c, status, retry_ms >= 0 ? retry_ms : hint, cls,
                           rs_json_string(e, "message"), body, len);
}

void rs_mock_classify_error(rs_provider_error *pe, int http_status, const char *body, size_t len,
                            long retry_after_ms)
{
    rs_classify_json_error(pe, http_status, body, len, retry_after_ms, "error", error_obj);
}

static int add_call(rs_result *res, rs_provider_error *pe, const cJSON *tc, rs_error *err)
{
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(tc, "arguments");
    char *printed = NULL;
    const char *a = NULL;
    if (cJSON_IsString(args)) {
        a = args->valuestring;
    } else if (args) {
        printed = cJSON_PrintUnformatted(args);
        if (!printed)
            return rs_error_set(err, RS_ENOMEM, "out of memory decoding a tool call");
        a = printed;
    }
    int rc = rs_result_add_tool_call(res, pe, rs_json_string(tc, "id"), rs_json_string(tc, "name"),
                                     a, a ? strlen(a) : 0, err);
    cJSON_free(printed);
    return rc;
}

/* finish, usage and model of an answer or a done event. */
static void read_tail(rs_result *res, const cJSON *root)
{
    const char *f = rs_json_string(root, "finish");
    const char *raw = rs_json_string(root, "finish_raw");
    if (f)
        rs_result_set_finish(res, finish_of(f), raw ? raw : f);
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(root, "usage");
    if (cJSON_IsObject(u)) {
        res->usage.input = rs_decode_long(u, "input");
        res->usage.output = rs_decode_long(u, "output");
        res->usage.cached = rs_decode_long(u, "cached");
        res->usage.reasoning = rs_decode_long(u, "reasoning");
    }
    rs_decode_model(res, root, "model");
}

int rs_mock_decode(rs_result *res, rs_provider_error *pe, const char *body, size_t len,
                   rs_error *err)
{
    cJSON *root = NULL;
    int rc = rs_decode_json(&root, pe, body, len, "the response", err);
    if (rc)
        goto done;
    if (!cJSON_IsObject(root)) {
        rc = rs_provider_fail(pe, err, RS_FAIL_DECODE, 0, -1, "the response is not a JSON object");
        goto done;
    }
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (cJSON_IsObject(e)) {
        error_obj(pe, 200, -1, e, body, len);
        rc = rs_error_set(err, RS_EPROVIDER, "%s", pe ? pe->message : "provider error");
        goto done;
    }
    const char *t = rs_json_string(root, "text");
    if (t && rs_str_puts(&res->text, t) != 0) {
        rc = rs_str_report(&res->text, err, "the answer text");
        goto done;
    }
    const cJSON *tc;
    cJSON_ArrayForEach(tc, cJSON_GetObjectItemCaseSensitive(root, "tool_calls"))
    {
        if ((rc = add_call(res, pe, tc, err)) != 0)
            goto done;
    }
    read_tail(res, root);
done:
    cJSON_Delete(root);
    return rc;
}

int rs_mock_stream_event(rs_stream *st, rs_result *res, rs_provider_error *pe, const char *event,
                         const char *data, size_t len, rs_error *err)
{
    cJSON *root = NULL;
    int rc = rs_decode_json(&root, pe, data, len, "a stream event", err);
    if (rc)
        goto done;
    const char *type = rs_json_string(root, "type");
    if (!type)
        type = event;
    if (!type) {
        rc = rs_provider_fail(pe, err, RS_FAIL_DECODE, 200, -1, "a mock stream event has no type");
        goto done;
    }
    if (!strcmp(type, "delta")) {
        const char *t = rs_json_string(root, "text");
        if (t && *t) {
            st->got_first_token = 1;
            if (rs_str_puts(&res->text, t) != 0)
                rc = rs_str_report(&res->text, err, "the answer text");
        }
    } else if (!strcmp(type, "tool_call")) {
        st->got_first_token = 1;
        rc = add_call(res, pe, root, err);
    } else if (!strcmp(type, "done")) {
        read_tail(res, root);
        st->done = 1;
    } else if (!strcmp(type, "error")) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
        error_obj(pe, 200, -1, e, data, len);
        rc = rs_error_set(err, RS_EPROVIDER, "%s", pe ? pe->message : "error event in the stream");
    }
done:
    cJSON_Delete(root);
    return rc;
}

void rs_mock_stream_free(rs_stream *st)
{
    st->state = NULL; /* no state */
}
