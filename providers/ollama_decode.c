/*
 * providers/ollama_decode.c - decoding Ollama /api/chat answers, NDJSON streams and errors
 * (providers.md §4). Every stream line is a whole object: done:false lines carry content deltas
 * (and, on newer servers, whole tool calls), the done:true line carries done_reason and counts.
 * Errors are {"error":"..."}, also as a line inside a 200 stream.
 */
#include "providers/decode.h"

#include "util/alloc.h"
#include "util/json.h"

#include <stdio.h>
#include <string.h>

static rs_finish map_finish(const char *r)
{
    if (!r)
        return RS_FINISH_UNKNOWN;
    if (!strcmp(r, "stop"))
        return RS_FINISH_STOP;
    if (!strcmp(r, "length"))
        return RS_FINISH_LENGTH;
    return RS_FINISH_OTHER; /* load, unload */
}

static rs_fail_class class_of(int status, const char *msg)
{
    rs_fail_class cls = rs_fail_class_for_status(status);
    if (status == 200) {
        /* Ollama's mid-stream errors are runner crashes and out-of-memory: worth a retry */
        cls = RS_FAIL_STREAM;
    }
    if (msg && strstr(msg, "not found") && (status == 404 || status == 200))
        cls = RS_FAIL_BAD_REQUEST; /* model not pulled: retrying cannot help */
    return cls;
}

void rs_ollama_classify_error(rs_provider_error *pe, int http_status, const char *body, size_t len,
                              long retry_after_ms)
{
    cJSON *root = NULL;
    const char *msg = NULL;
    if (body && len && rs_decode_json(&root, NULL, body, len, "error body", NULL) == 0) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
        if (cJSON_IsString(e))
            msg = e->valuestring;
        else if (cJSON_IsObject(e)) /* the OpenAI-style shape from ollama.com */
            msg = rs_json_string(e, "message");
    }
    rs_fail_class cls = rs_fail_class_for_status(http_status);
    if (msg && http_status == 404 && strstr(msg, "not found"))
        cls = RS_FAIL_BAD_REQUEST;
    rs_provider_error_http(pe, cls, http_status, retry_after_ms, NULL, msg, body ? body : "",
                           body ? len : 0);
    cJSON_Delete(root);
}

/* One /api/chat object (a whole answer or a stream line) into res; *done set on done:true. */
static int decode_obj(rs_result *res, rs_provider_error *pe, int *first, int *done,
                      const cJSON *root, const char *body, size_t len, rs_error *err)
{
    if (!cJSON_IsObject(root))
        return rs_provider_fail(pe, err, RS_FAIL_DECODE, 0, -1,
                                "the response is not a JSON object");
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (e) {
        const char *msg = cJSON_IsString(e) ? e->valuestring : rs_json_string(e, "message");
        rs_provider_error_http(pe, class_of(200, msg), 200, -1, NULL, msg, body, len);
        return rs_error_set(err, RS_EPROVIDER, "%s", pe ? pe->message : "provider error");
    }
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "message");
    const char *t = rs_json_string(msg, "content");
    if (t && *t) {
        *first = 1;
        if (rs_str_puts(&res->text, t) != 0)
            return rs_str_report(&res->text, err, "the answer text");
    }
    const cJSON *tc;
    cJSON_ArrayForEach(tc, cJSON_GetObjectItemCaseSensitive(msg, "tool_calls"))
    {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tc, "function");
        const cJSON *args = cJSON_GetObjectItemCaseSensitive(fn, "arguments");
        char *printed = NULL;
        const char *a = NULL;
        size_t alen = 0;
        if (cJSON_IsString(args)) { /* some model templates give a string */
            a = args->valuestring;
            alen = strlen(a);
        } else if (args) {
            printed = cJSON_PrintUnformatted(args);
            if (!printed)
                return rs_error_set(err, RS_ENOMEM, "out of memory decoding a tool call");
            a = printed;
            alen = strlen(printed);
        }
        int rc = rs_result_add_tool_call(res, pe, rs_json_string(tc, "id"),
                                         rs_json_string(fn, "name"), a, alen, err);
        cJSON_free(printed);
        if (rc)
            return rc;
        *first = 1;
    }
    if (!res->response_model[0]) /* every line names it; keep the first */
        rs_decode_model(res, root, "model");
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "done"))) {
        const char *dr = rs_json_string(root, "done_reason");
        rs_finish f = map_finish(dr);
        if (res->tool_calls.len > 0 && (f == RS_FINISH_STOP || f == RS_FINISH_UNKNOWN))
            f = RS_FINISH_TOOL;
        if (!dr && f == RS_FINISH_UNKNOWN)
            f = RS_FINISH_STOP; /* older servers send no done_reason */
        rs_result_set_finish(res, f, dr ? dr : "");
        long in = rs_decode_long(root, "prompt_eval_count");
        long out = rs_decode_long(root, "eval_count");
        /* a fully cached prompt omits prompt_eval_count: then no prompt token was evaluated */
        res->usage.input = in >= 0 ? in : 0;
        if (out >= 0)
            res->usage.output = out;
        *done = 1;
    }
    return 0;
}

int rs_ollama_decode(rs_result *res, rs_provider_error *pe, const char *body, size_t len,
                     rs_error *err)
{
    cJSON *root = NULL;
    int first = 0, done = 0;
    int rc = rs_decode_json(&root, pe, body, len, "the response", err);
    if (rc == 0)
        rc = decode_obj(res, pe, &first, &done, root, body, len, err);
    if (rc == 0 && !done)
        rc = rs_provider_fail(pe, err, RS_FAIL_DECODE, 0, -1,
                              "the response is not a finished answer (no \"done\":true)");
    cJSON_Delete(root);
    return rc;
}

int rs_ollama_stream_event(rs_stream *st, rs_result *res, rs_provider_error *pe, const char *event,
                           const char *data, size_t len, rs_error *err)
{
    (void)event;
    cJSON *root = NULL;
    int rc = rs_decode_json(&root, pe, data, len, "a stream line", err);
    if (rc == 0)
        rc = decode_obj(res, pe, &st->got_first_token, &st->done, root, data, len, err);
    cJSON_Delete(root);
    return rc;
}

void rs_ollama_stream_free(rs_stream *st)
{
    st->state = NULL; /* no state */
}
