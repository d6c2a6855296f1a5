/*
 * providers/openai_responses_decode.c - decoding OpenAI Responses answers, streams and errors
 * (providers.md §1b). A stream is named SSE events equal to the JSON type; it ends with
 * response.completed, response.incomplete or response.failed (no [DONE]); `error` events may
 * come at any point. Text comes from response.output_text.delta, function calls whole from
 * response.output_item.done.
 */
#include "providers/decode.h"

#include "util/alloc.h"
#include "util/json.h"

#include <stdio.h>
#include <string.h>

static void read_usage(rs_result *res, const cJSON *u)
{
    if (!cJSON_IsObject(u))
        return;
    long in = rs_decode_long(u, "input_tokens"), out = rs_decode_long(u, "output_tokens");
    if (in >= 0)
        res->usage.input = in;
    if (out >= 0)
        res->usage.output = out;
    long cached = rs_decode_long(cJSON_GetObjectItemCaseSensitive(u, "input_tokens_details"),
                                 "cached_tokens");
    if (cached >= 0)
        res->usage.cached = cached;
    long r = rs_decode_long(cJSON_GetObjectItemCaseSensitive(u, "output_tokens_details"),
                            "reasoning_tokens");
    if (r >= 0)
        res->usage.reasoning = r;
}

static rs_fail_class class_of(int status, const char *code, const char *type)
{
    if (rs_is_quota_code(code) || rs_is_quota_code(type))
        return RS_FAIL_QUOTA;
    if (status != 200)
        return rs_fail_class_for_status(status);
    const char *k = code ? code : type;
    if (k && strstr(k, "rate_limit"))
        return RS_FAIL_RATE_LIMIT;
    if (k && (strstr(k, "overloaded") || strstr(k, "unavailable")))
        return RS_FAIL_OVERLOADED;
    if (k && !strcmp(k, "server_error"))
        return RS_FAIL_SERVER;
    return RS_FAIL_STREAM;
}

/* e: an error object {code, message, type} (or an `error` event itself). */
static void error_obj(rs_provider_error *pe, int status, long retry_ms, const cJSON *e,
                      const char *body, size_t len)
{
    const char *code = rs_json_string(e, "code");
    const char *type = rs_json_string(e, "type");
    if (type && !strcmp(type, "error"))
        type = NULL; /* the event's own type, not an error type */
    rs_provider_error_http(pe, class_of(status, code, type), status, retry_ms, code ? code : type,
                           rs_json_string(e, "message"), body, len);
}

void rs_openai_responses_classify_error(rs_provider_error *pe, int http_status, const char *body,
                                        size_t len, long retry_after_ms)
{
    rs_classify_json_error(pe, http_status, body, len, retry_after_ms, "error", error_obj);
}

static int add_function_call(rs_result *res, rs_provider_error *pe, const cJSON *item,
                             rs_error *err)
{
    const char *args = rs_json_string(item, "arguments");
    const char *id = rs_json_string(item, "call_id");
    if (!id)
        id = rs_json_string(item, "id");
    return rs_result_add_tool_call(res, pe, id, rs_json_string(item, "name"), args,
                                   args ? strlen(args) : 0, err);
}

/* A response object's status, incomplete_details and usage into res (text/calls excluded). */
static int finish_response(rs_result *res, rs_provider_error *pe, const cJSON *resp,
                           const char *body, size_t len, rs_error *err)
{
    const char *status = rs_json_string(resp, "status");
    const char *model = rs_json_string(resp, "model");
    if (model) {
        size_t n = strlen(model);
        if (n >= sizeof res->response_model)
            n = sizeof res->response_model - 1;
        memcpy(res->response_model, model, n);
        res->response_model[n] = '\0';
    }
    read_usage(res, cJSON_GetObjectItemCaseSensitive(resp, "usage"));
    if (status && !strcmp(status, "failed")) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(resp, "error");
        error_obj(pe, 200, -1, e, body, len);
        rs_result_set_finish(res, RS_FINISH_ERROR, status);
        return rs_error_set(err, RS_EPROVIDER, "%s", pe ? pe->message : "the response failed");
    }
    if (status && !strcmp(status, "incomplete")) {
        const char *why =
            rs_json_string(cJSON_GetObjectItemCaseSensitive(resp, "incomplete_details"), "reason");
        rs_finish f = !why                                ? RS_FINISH_OTHER
                      : !strcmp(why, "max_output_tokens") ? RS_FINISH_LENGTH
                      : !strcmp(why, "content_filter")    ? RS_FINISH_FILTER
                                                          : RS_FINISH_OTHER;
        rs_result_set_finish(res, f, why ? why : status);
        return 0;
    }
    if (status && !strcmp(status, "completed")) {
        rs_result_set_finish(res, res->tool_calls.len ? RS_FINISH_TOOL : RS_FINISH_STOP, status);
        return 0;
    }
    rs_result_set_finish(res, RS_FINISH_OTHER, status ? status : "");
    return 0;
}

int rs_openai_responses_decode(rs_result *res, rs_provider_error *pe, const char *body, size_t len,
                               rs_error *err)
{
    cJSON *root = NULL;
    int rc = rs_decode_json(&root, pe, body, len, "the response", err);
    if (rc)
        goto done;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    const cJSON *output = cJSON_GetObjectItemCaseSensitive(root, "output");
    if (cJSON_IsObject(e) && !output) {
        error_obj(pe, 200, -1, e, body, len);
        rc = rs_error_set(err, RS_EPROVIDER, "%s", pe ? pe->message : "provider error");
        goto done;
    }
    if (!cJSON_IsArray(output)) {
        rc = rs_provider_fail(pe, err, RS_FAIL_DECODE, 0, -1, "the response has no output array");
        goto done;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, output)
    {
        const char *type = rs_json_string(item, "type");
        if (!type)
            continue;
        if (!strcmp(type, "message")) {
            const cJSON *part;
            cJSON_ArrayForEach(part, cJSON_GetObjectItemCaseSensitive(item, "content"))
            {
                const char *pt = rs_json_string(part, "type");
                const char *t = NULL;
                if (pt && !strcmp(pt, "output_text"))
                    t = rs_json_string(part, "text");
                else if (pt && !strcmp(pt, "refusal"))
                    t = rs_json_string(part, "refusal");
                if (t && rs_str_puts(&res->text, t) != 0) {
                    rc = rs_str_report(&res->text, err, "the answer text");
                    goto done;
                }
            }
        } else if (!strcmp(type, "function_call")) {
            if ((rc = add_function_call(res, pe, item, err)) != 0)
                goto done;
        }
    }
    rc = finish_response(res, pe, root, body, len, err);
done:
    cJSON_Delete(root);
    return rc;
}

int rs_openai_responses_stream_event(rs_stream *st, rs_result *res, rs_provider_error *pe,
                                     const char *event, const char *data, size_t len, rs_error *err)
{
    cJSON *root = NULL;
    int rc = rs_decode_json(&root, pe, data, len, "a stream event", err);
    if (rc)
        goto done;
    const char *type = rs_json_string(root, "type");
    if (!type)
        type = event;
    if (!type)
        goto done;
    if (!strcmp(type, "response.output_text.delta") || !strcmp(type, "response.refusal.delta")) {
        const char *d = rs_json_string(root, "delta");
        if (d && *d) {
            st->got_first_token = 1;
            if (rs_str_puts(&res->text, d) != 0)
                rc = rs_str_report(&res->text, err, "the answer text");
        }
    } else if (!strcmp(type, "response.function_call_arguments.delta")) {
        st->got_first_token = 1;
    } else if (!strcmp(type, "response.output_item.done")) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, "item");
        const char *it = rs_json_string(item, "type");
        if (it && !strcmp(it, "function_call")) {
            st->got_first_token = 1;
            rc = add_function_call(res, pe, item, err);
        }
    } else if (!strcmp(type, "response.completed") || !strcmp(type, "response.incomplete") ||
               !strcmp(type, "response.failed")) {
        st->done = 1;
        rc = finish_response(res, pe, cJSON_GetObjectItemCaseSensitive(root, "response"), data, len,
                             err);
    } else if (!strcmp(type, "error")) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
        error_obj(pe, 200, -1, cJSON_IsObject(e) ? e : root, data, len);
        rc = rs_error_set(err, RS_EPROVIDER, "%s", pe ? pe->message : "error event in the stream");
    }
    /* response.created, .in_progress, .content_part.*, .output_text.done, reasoning events ... */
done:
    cJSON_Delete(root);
    return rc;
}

void rs_openai_responses_stream_free(rs_stream *st)
{
    st->state = NULL; /* no state */
}
