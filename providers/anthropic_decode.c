/*
 * providers/anthropic_decode.c - decoding Anthropic Messages answers, streams and errors
 * (providers.md §2). Streams are named SSE events: message_start, content_block_start/delta/stop,
 * message_delta, message_stop, ping, error. Tool-call input arrives as input_json_delta fragments
 * that only form JSON once the block stops.
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
    if (!strcmp(r, "end_turn") || !strcmp(r, "stop_sequence"))
        return RS_FINISH_STOP;
    if (!strcmp(r, "max_tokens") || !strcmp(r, "model_context_window_exceeded"))
        return RS_FINISH_LENGTH;
    if (!strcmp(r, "tool_use"))
        return RS_FINISH_TOOL;
    if (!strcmp(r, "refusal"))
        return RS_FINISH_FILTER;
    return RS_FINISH_OTHER; /* pause_turn and whatever comes next */
}

/* Input usage: every prompt token, cached or not, counts as input (decode.h conventions). */
static void read_usage(rs_result *res, const cJSON *u)
{
    if (!cJSON_IsObject(u))
        return;
    long in = rs_decode_long(u, "input_tokens");
    long cw = rs_decode_long(u, "cache_creation_input_tokens");
    long cr = rs_decode_long(u, "cache_read_input_tokens");
    if (in >= 0)
        res->usage.input = in + (cw > 0 ? cw : 0) + (cr > 0 ? cr : 0);
    if (cr >= 0)
        res->usage.cached = cr;
    long out = rs_decode_long(u, "output_tokens");
    if (out >= 0)
        res->usage.output = out;
    long th = rs_decode_long(cJSON_GetObjectItemCaseSensitive(u, "output_tokens_details"),
                             "thinking_tokens");
    if (th >= 0)
        res->usage.reasoning = th;
}

static rs_fail_class class_of(int status, const char *type, const char *code)
{
    if (rs_is_quota_code(code) || rs_is_quota_code(type))
        return RS_FAIL_QUOTA;
    if (type) {
        if (!strcmp(type, "overloaded_error"))
            return RS_FAIL_OVERLOADED;
        if (!strcmp(type, "rate_limit_error"))
            return RS_FAIL_RATE_LIMIT;
        if (!strcmp(type, "api_error"))
            return RS_FAIL_SERVER;
        if (!strcmp(type, "timeout_error"))
            return RS_FAIL_TIMEOUT;
        if (!strcmp(type, "authentication_error") || !strcmp(type, "permission_error"))
            return status == 200 ? RS_FAIL_STREAM : RS_FAIL_AUTH;
        if (!strcmp(type, "invalid_request_error") || !strcmp(type, "not_found_error") ||
            !strcmp(type, "request_too_large"))
            return status == 200 ? RS_FAIL_STREAM : RS_FAIL_BAD_REQUEST;
    }
    if (status == 200)
        return RS_FAIL_STREAM;
    return rs_fail_class_for_status(status);
}

static void error_from_json(rs_provider_error *pe, int status, long retry_ms, const cJSON *root,
                            const char *body, size_t len)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    const char *type = rs_json_string(e, "type");
    const char *msg = rs_json_string(e, "message");
    const char *code = rs_json_string(cJSON_GetObjectItemCaseSensitive(e, "details"), "error_code");
    rs_fail_class cls = class_of(status, type, code);
    if (status != 200 && type == NULL)
        cls = rs_fail_class_for_status(status);
    rs_provider_error_http(pe, cls, status, retry_ms, code ? code : type, msg, body, len);
}

void rs_anthropic_classify_error(rs_provider_error *pe, int http_status, const char *body,
                                 size_t len, long retry_after_ms)
{
    rs_classify_json_error(pe, http_status, body, len, retry_after_ms, NULL, error_from_json);
}

/* A tool_use block's input object into a tool call. */
static int add_tool_use(rs_result *res, rs_provider_error *pe, const cJSON *block, rs_error *err)
{
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(block, "input");
    char *printed = input ? cJSON_PrintUnformatted(input) : NULL;
    if (input && !printed)
        return rs_error_set(err, RS_ENOMEM, "out of memory decoding a tool call");
    int rc =
        rs_result_add_tool_call(res, pe, rs_json_string(block, "id"), rs_json_string(block, "name"),
                                printed, printed ? strlen(printed) : 0, err);
    cJSON_free(printed);
    return rc;
}

int rs_anthropic_decode(rs_result *res, rs_provider_error *pe, const char *body, size_t len,
                        rs_error *err)
{
    cJSON *root = NULL;
    int rc = rs_decode_json(&root, pe, body, len, "the response", err);
    if (rc)
        goto done;
    const char *type = rs_json_string(root, "type");
    if (type && !strcmp(type, "error")) {
        error_from_json(pe, 200, -1, root, body, len);
        rc = rs_error_set(err, RS_EPROVIDER, "%s", pe ? pe->message : "provider error");
        goto done;
    }
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(root, "content");
    if (!cJSON_IsArray(content)) {
        rc = rs_provider_fail(pe, err, RS_FAIL_DECODE, 0, -1, "the response has no content array");
        goto done;
    }
    const cJSON *block;
    cJSON_ArrayForEach(block, content)
    {
        const char *bt = rs_json_string(block, "type");
        if (!bt)
            continue;
        if (!strcmp(bt, "text")) {
            const char *t = rs_json_string(block, "text");
            if (t && rs_str_puts(&res->text, t) != 0) {
                rc = rs_str_report(&res->text, err, "the answer text");
                goto done;
            }
        } else if (!strcmp(bt, "tool_use")) {
            if ((rc = add_tool_use(res, pe, block, err)) != 0)
                goto done;
        }
        /* thinking, redacted_thinking, server tool blocks: not part of the answer text */
    }
    const char *sr = rs_json_string(root, "stop_reason");
    rs_result_set_finish(res, map_finish(sr), sr);
    read_usage(res, cJSON_GetObjectItemCaseSensitive(root, "usage"));
    rs_decode_model(res, root, "model");
done:
    cJSON_Delete(root);
    return rc;
}

/* ---------- streams ---------- */

typedef struct block {
    long index;
    int is_tool;
    rs_str id, name, json;
} block;

typedef struct stream_state {
    rs_vec blocks; /* of block: open tool_use blocks */
} stream_state;

void rs_anthropic_stream_free(rs_stream *st)
{
    stream_state *s = st->state;
    if (!s)
        return;
    for (size_t i = 0; i < s->blocks.len; i++) {
        block *b = &RS_VEC_AT(&s->blocks, block, i);
        rs_str_free(&b->id);
        rs_str_free(&b->name);
        rs_str_free(&b->json);
    }
    rs_vec_free(&s->blocks);
    rs_free(s);
    st->state = NULL;
}

static block *find_block(stream_state *s, long index)
{
    for (size_t i = 0; i < s->blocks.len; i++)
        if (RS_VEC_AT(&s->blocks, block, i).index == index)
            return &RS_VEC_AT(&s->blocks, block, i);
    return NULL;
}

static int block_start(stream_state *s, const cJSON *root, rs_error *err)
{
    const cJSON *cb = cJSON_GetObjectItemCaseSensitive(root, "content_block");
    const char *bt = rs_json_string(cb, "type");
    if (!bt || strcmp(bt, "tool_use") != 0)
        return 0;
    if (s->blocks.len >= 4096)
        return rs_error_set(err, RS_ELIMIT, "more than 4096 tool calls in one answer");
    block *b = rs_vec_push_zero(&s->blocks);
    if (!b)
        return rs_error_set(err, RS_ENOMEM, "out of memory decoding a stream");
    b->index = rs_decode_long(root, "index");
    b->is_tool = 1;
    rs_str_init(&b->id, 4096);
    rs_str_init(&b->name, 4096);
    rs_str_init(&b->json, RS_STR_DEFAULT_MAX);
    const char *id = rs_json_string(cb, "id"), *name = rs_json_string(cb, "name");
    if (id)
        rs_str_puts(&b->id, id);
    if (name)
        rs_str_puts(&b->name, name);
    /* a non-empty input in the start block (not sent today, but legal) seeds the JSON */
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(cb, "input");
    if (cJSON_IsObject(input) && input->child) {
        char *p = cJSON_PrintUnformatted(input);
        if (!p)
            return rs_error_set(err, RS_ENOMEM, "out of memory decoding a stream");
        rs_str_puts(&b->json, p);
        cJSON_free(p);
    }
    if (rs_str_error(&b->id) || rs_str_error(&b->name) || rs_str_error(&b->json))
        return rs_error_set(err, RS_ENOMEM, "out of memory decoding a stream");
    return 0;
}

int rs_anthropic_stream_event(rs_stream *st, rs_result *res, rs_provider_error *pe,
                              const char *event, const char *data, size_t len, rs_error *err)
{
    int rc = 0;
    cJSON *root = NULL;
    if (!st->state) {
        stream_state *s = rs_calloc(1, sizeof *s);
        if (!s)
            return rs_error_set(err, RS_ENOMEM, "out of memory decoding a stream");
        rs_vec_init(&s->blocks, sizeof(block));
        st->state = s;
    }
    stream_state *s = st->state;
    rc = rs_decode_json(&root, pe, data, len, "a stream event", err);
    if (rc)
        goto done;
    const char *type = rs_json_string(root, "type");
    if (!type)
        type = event; /* the JSON type and the event name agree; either one will do */
    if (!type)
        goto done;
    if (!strcmp(type, "error") || (event && !strcmp(event, "error"))) {
        error_from_json(pe, 200, -1, root, data, len);
        rc = rs_error_set(err, RS_EPROVIDER, "%s", pe ? pe->message : "error event in the stream");
    } else if (!strcmp(type, "message_start")) {
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "message");
        read_usage(res, cJSON_GetObjectItemCaseSensitive(msg, "usage"));
        rs_decode_model(res, msg, "model");
    } else if (!strcmp(type, "content_block_start")) {
        rc = block_start(s, root, err);
    } else if (!strcmp(type, "content_block_delta")) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "delta");
        const char *dt = rs_json_string(d, "type");
        if (dt && !strcmp(dt, "text_delta")) {
            const char *t = rs_json_string(d, "text");
            if (t && *t) {
                st->got_first_token = 1;
                if (rs_str_puts(&res->text, t) != 0)
                    rc = rs_str_report(&res->text, err, "the answer text");
            }
        } else if (dt && !strcmp(dt, "input_json_delta")) {
            block *b = find_block(s, rs_decode_long(root, "index"));
            const char *pj = rs_json_string(d, "partial_json");
            st->got_first_token = 1;
            if (!b)
                rc = rs_provider_fail(pe, err, RS_FAIL_DECODE, 200, -1,
                                      "input_json_delta for a block that was not started");
            else if (pj && rs_str_puts(&b->json, pj) != 0)
                rc = rs_str_report(&b->json, err, "a tool call's arguments");
        }
        /* thinking_delta, signature_delta, citations_delta: not part of the answer */
    } else if (!strcmp(type, "content_block_stop")) {
        block *b = find_block(s, rs_decode_long(root, "index"));
        if (b && b->is_tool) {
            b->is_tool = 0; /* a repeated stop does not add the call twice */
            rc = rs_result_add_tool_call(res, pe, rs_str_cstr(&b->id), rs_str_cstr(&b->name),
                                         rs_str_cstr(&b->json), b->json.len, err);
        }
    } else if (!strcmp(type, "message_delta")) {
        const char *sr =
            rs_json_string(cJSON_GetObjectItemCaseSensitive(root, "delta"), "stop_reason");
        if (sr)
            rs_result_set_finish(res, map_finish(sr), sr);
        const cJSON *u = cJSON_GetObjectItemCaseSensitive(root, "usage");
        /* cumulative output; input counts appear here too on newer API versions */
        long keep_in = res->usage.input, keep_cached = res->usage.cached;
        read_usage(res, u);
        if (rs_decode_long(u, "input_tokens") < 0) {
            res->usage.input = keep_in;
            res->usage.cached = keep_cached;
        }
    } else if (!strcmp(type, "message_stop")) {
        st->done = 1;
    }
    /* ping and unknown future events are ignored */
done:
    cJSON_Delete(root);
    return rc;
}
