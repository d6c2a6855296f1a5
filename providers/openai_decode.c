/*
 * providers/openai_decode.c - decoding OpenAI Chat Completions answers, streams and errors, for
 * OpenAI and every compatible service (Mistral, Groq, Together, DeepSeek, OpenRouter, vLLM,
 * llama.cpp, Ollama's /v1). providers.md §1 and §5 list the shapes; the service quirks handled
 * here: Mistral object arguments and `model_length`, Together `eos`, DeepSeek cache counters,
 * Groq `x_groq.usage` in the last chunk, OpenRouter errors inside a 200 stream.
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
    if (!strcmp(r, "stop") || !strcmp(r, "eos") || !strcmp(r, "end_turn"))
        return RS_FINISH_STOP;
    if (!strcmp(r, "length") || !strcmp(r, "model_length") || !strcmp(r, "max_tokens"))
        return RS_FINISH_LENGTH;
    if (!strcmp(r, "tool_calls") || !strcmp(r, "function_call") || !strcmp(r, "tool_use"))
        return RS_FINISH_TOOL;
    if (!strcmp(r, "content_filter"))
        return RS_FINISH_FILTER;
    if (!strcmp(r, "error"))
        return RS_FINISH_ERROR;
    return RS_FINISH_OTHER;
}

static void read_usage(rs_result *res, const cJSON *u)
{
    if (!cJSON_IsObject(u))
        return;
    long in = rs_decode_long(u, "prompt_tokens"), out = rs_decode_long(u, "completion_tokens");
    if (in >= 0)
        res->usage.input = in;
    if (out >= 0)
        res->usage.output = out;
    long cached = rs_decode_long(cJSON_GetObjectItemCaseSensitive(u, "prompt_tokens_details"),
                                 "cached_tokens");
    if (cached < 0)
        cached = rs_decode_long(u, "prompt_cache_hit_tokens"); /* DeepSeek */
    if (cached < 0)
        cached = rs_decode_long(u, "num_cached_tokens"); /* Mistral */
    if (cached >= 0)
        res->usage.cached = cached;
    long reasoning = rs_decode_long(
        cJSON_GetObjectItemCaseSensitive(u, "completion_tokens_details"), "reasoning_tokens");
    if (reasoning >= 0)
        res->usage.reasoning = reasoning;
}

/* Refine the status class with the body's code/type (OpenAI, Groq, Mistral, OpenRouter). */
static rs_fail_class class_of(int status, const char *code, const char *type)
{
    rs_fail_class cls = rs_fail_class_for_status(status);
    if (rs_is_quota_code(code) || rs_is_quota_code(type))
        return RS_FAIL_QUOTA;
    if (status == 200 || status == 0) { /* an error event in a stream: no status to go by */
        const char *k = code ? code : type;
        if (k && (strstr(k, "rate_limit") || !strcmp(k, "requests") || !strcmp(k, "tokens")))
            return RS_FAIL_RATE_LIMIT;
        if (k && (strstr(k, "overloaded") || strstr(k, "unavailable")))
            return RS_FAIL_OVERLOADED;
        if (k && (!strcmp(k, "server_error") || !strcmp(k, "api_error")))
            return RS_FAIL_SERVER;
        if (k && strstr(k, "timeout"))
            return RS_FAIL_TIMEOUT;
        return RS_FAIL_STREAM;
    }
    return cls;
}

/* An {"error": ...} object (or a Mistral top-level error) into pe. */
static void error_from_json(rs_provider_error *pe, int status, long retry_ms, const cJSON *root,
                            const char *body, size_t len)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    const char *msg = NULL, *type = NULL, *code = NULL;
    char codebuf[32];
    if (cJSON_IsObject(e)) {
        msg = rs_json_string(e, "message");
        type = rs_json_string(e, "type");
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "code");
        if (cJSON_IsString(c))
            code = c->valuestring;
        else if (cJSON_IsNumber(c) && status == 200) {
            /* OpenRouter mid-stream: code is the HTTP status the error would have had */
            int st = (int)c->valuedouble;
            snprintf(codebuf, sizeof codebuf, "%d", st);
            code = codebuf;
            rs_fail_class cls = rs_fail_class_for_status(st);
            if (!rs_fail_class_retryable(cls) && cls != RS_FAIL_AUTH && cls != RS_FAIL_QUOTA)
                cls = RS_FAIL_STREAM; /* the answer broke off: worth another try */
            rs_provider_error_http(pe, cls, status, retry_ms, code, msg, body, len);
            return;
        }
    } else if (cJSON_IsString(e)) {
        msg = e->valuestring;
    } else {
        msg = rs_json_string(root, "message"); /* Mistral {"object":"error",...} */
        type = rs_json_string(root, "type");
        code = rs_json_string(root, "code");
        const cJSON *detail = cJSON_GetObjectItemCaseSensitive(root, "detail");
        if (!msg && cJSON_IsArray(detail)) /* 422 {"detail":[{"loc":..,"msg":..}]} */
            msg = rs_json_string(cJSON_GetArrayItem(detail, 0), "msg");
        else if (!msg && cJSON_IsString(detail))
            msg = detail->valuestring;
    }
    rs_provider_error_http(pe, class_of(status, code, type), status, retry_ms, code ? code : type,
                           msg, body, len);
}

void rs_openai_classify_error(rs_provider_error *pe, int http_status, const char *body, size_t len,
                              long retry_after_ms)
{
    rs_classify_json_error(pe, http_status, body, len, retry_after_ms, NULL, error_from_json);
}

/* message.content: a string, null, or (some compatible servers) an array of text parts. */
static int append_content(rs_result *res, const cJSON *content)
{
    if (cJSON_IsString(content))
        return rs_str_puts(&res->text, content->valuestring);
    if (cJSON_IsArray(content)) {
        const cJSON *part;
        cJSON_ArrayForEach(part, content)
        {
            const char *t = rs_json_string(part, "text");
            if (t && rs_str_puts(&res->text, t) != 0)
                return rs_str_error(&res->text);
        }
    }
    return 0;
}

/* function.arguments: a string of JSON (OpenAI) or an object (Mistral). */
static int add_call(rs_result *res, rs_provider_error *pe, const cJSON *tc, rs_error *err)
{
    const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tc, "function");
    const char *name = rs_json_string(fn, "name");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(fn, "arguments");
    if (cJSON_IsString(args))
        return rs_result_add_tool_call(res, pe, rs_json_string(tc, "id"), name, args->valuestring,
                                       strlen(args->valuestring), err);
    char *printed = cJSON_IsObject(args) ? cJSON_PrintUnformatted(args) : NULL;
    if (cJSON_IsObject(args) && !printed)
        return rs_error_set(err, RS_ENOMEM, "out of memory decoding a tool call");
    int rc = rs_result_add_tool_call(res, pe, rs_json_string(tc, "id"), name, printed,
                                     printed ? strlen(printed) : 0, err);
    cJSON_free(printed);
    return rc;
}

int rs_openai_decode(rs_result *res, rs_provider_error *pe, const char *body, size_t len,
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
    if (cJSON_GetObjectItemCaseSensitive(root, "error")) { /* an error with a 200 status */
        error_from_json(pe, 200, -1, root, body, len);
        rc = rs_error_set(err, RS_EPROVIDER, "%s", pe ? pe->message : "provider error");
        goto done;
    }
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
    const cJSON *choice = cJSON_GetArrayItem(choices, 0);
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(choice, "message");
    if (!cJSON_IsObject(msg)) {
        rc = rs_provider_fail(pe, err, RS_FAIL_DECODE, 0, -1,
                              "the response has no choices[0].message");
        goto done;
    }
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
    if (append_content(res, content) != 0) {
        rc = rs_str_report(&res->text, err, "the answer text");
        goto done;
    }
    const char *refusal = rs_json_string(msg, "refusal");
    if (refusal && res->text.len == 0 && rs_str_puts(&res->text, refusal) != 0) {
        rc = rs_str_report(&res->text, err, "the answer text");
        goto done;
    }
    const cJSON *tc;
    cJSON_ArrayForEach(tc, cJSON_GetObjectItemCaseSensitive(msg, "tool_calls"))
    {
        if ((rc = add_call(res, pe, tc, err)) != 0)
            goto done;
    }
    const char *fr = rs_json_string(choice, "finish_reason");
    rs_result_set_finish(res, map_finish(fr), fr);
    if (refusal && !cJSON_IsString(content))
        res->finish = RS_FINISH_FILTER;
    read_usage(res, cJSON_GetObjectItemCaseSensitive(root, "usage"));
    rs_decode_model(res, root, "model");
done:
    cJSON_Delete(root);
    return rc;
}

/* ---------- streams ---------- */

typedef struct pending_call {
    long index;
    rs_str id, name, args;
} pending_call;

typedef struct stream_state {
    rs_vec calls; /* of pending_call, in order of first appearance */
    int finished; /* finish_reason seen: tool calls were moved into the result */
} stream_state;

static void state_free(stream_state *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->calls.len; i++) {
        pending_call *c = &RS_VEC_AT(&s->calls, pending_call, i);
        rs_str_free(&c->id);
        rs_str_free(&c->name);
        rs_str_free(&c->args);
    }
    rs_vec_free(&s->calls);
    rs_free(s);
}

void rs_openai_stream_free(rs_stream *st)
{
    state_free(st->state);
    st->state = NULL;
}

static stream_state *state_of(rs_stream *st)
{
    if (!st->state) {
        stream_state *s = rs_calloc(1, sizeof *s);
        if (!s)
            return NULL;
        rs_vec_init(&s->calls, sizeof(pending_call));
        st->state = s;
    }
    return st->state;
}

/* Tool-call fragments: the first one of an index carries id and name, later ones arguments. */
static int merge_call_delta(stream_state *s, const cJSON *d, rs_error *err)
{
    long index = rs_decode_long(d, "index");
    if (index < 0)
        index = 0;
    pending_call *c = NULL;
    for (size_t i = 0; i < s->calls.len; i++)
        if (RS_VEC_AT(&s->calls, pending_call, i).index == index)
            c = &RS_VEC_AT(&s->calls, pending_call, i);
    if (!c) {
        if (s->calls.len >= 4096)
            return rs_error_set(err, RS_ELIMIT, "more than 4096 tool calls in one answer");
        c = rs_vec_push_zero(&s->calls);
        if (!c)
            return rs_error_set(err, RS_ENOMEM, "out of memory decoding a stream");
        c->index = index;
        rs_str_init(&c->id, 4096);
        rs_str_init(&c->name, 4096);
        rs_str_init(&c->args, RS_STR_DEFAULT_MAX);
    }
    const char *id = rs_json_string(d, "id");
    if (id && c->id.len == 0)
        rs_str_puts(&c->id, id);
    const cJSON *fn = cJSON_GetObjectItemCaseSensitive(d, "function");
    const char *name = rs_json_string(fn, "name");
    if (name && c->name.len == 0)
        rs_str_puts(&c->name, name);
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(fn, "arguments");
    if (cJSON_IsString(args)) {
        rs_str_puts(&c->args, args->valuestring);
    } else if (cJSON_IsObject(args)) { /* Mistral may send the whole object at once */
        char *p = cJSON_PrintUnformatted(args);
        if (!p)
            return rs_error_set(err, RS_ENOMEM, "out of memory decoding a stream");
        rs_str_puts(&c->args, p);
        cJSON_free(p);
    }
    if (rs_str_error(&c->id) || rs_str_error(&c->name) || rs_str_error(&c->args))
        return rs_error_set(err, RS_ENOMEM, "out of memory decoding a stream");
    return 0;
}

static int flush_calls(stream_state *s, rs_result *res, rs_provider_error *pe, rs_error *err)
{
    if (s->finished)
        return 0;
    s->finished = 1;
    for (size_t i = 0; i < s->calls.len; i++) {
        pending_call *c = &RS_VEC_AT(&s->calls, pending_call, i);
        int rc = rs_result_add_tool_call(res, pe, rs_str_cstr(&c->id), rs_str_cstr(&c->name),
                                         rs_str_cstr(&c->args), c->args.len, err);
        if (rc)
            return rc;
    }
    return 0;
}

int rs_openai_stream_event(rs_stream *st, rs_result *res, rs_provider_error *pe, const char *event,
                           const char *data, size_t len, rs_error *err)
{
    int rc = 0;
    cJSON *root = NULL;
    stream_state *s = state_of(st);
    if (!s)
        return rs_error_set(err, RS_ENOMEM, "out of memory decoding a stream");
    if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
        rc = flush_calls(s, res, pe, err);
        st->done = 1;
        return rc;
    }
    rc = rs_decode_json(&root, pe, data, len, "a stream event", err);
    if (rc)
        goto done;
    if ((event && strcmp(event, "error") == 0) || cJSON_GetObjectItemCaseSensitive(root, "error")) {
        error_from_json(pe, 200, -1, root, data, len);
        rc = rs_error_set(err, RS_EPROVIDER, "%s", pe ? pe->message : "error event in the stream");
        goto done;
    }
    const cJSON *choice;
    cJSON_ArrayForEach(choice, cJSON_GetObjectItemCaseSensitive(root, "choices"))
    {
        long idx = rs_decode_long(choice, "index");
        if (idx > 0)
            continue; /* n > 1: the result holds the first choice */
        const cJSON *delta = cJSON_GetObjectItemCaseSensitive(choice, "delta");
        const char *text = rs_json_string(delta, "content");
        if (text && *text) {
            st->got_first_token = 1;
            if (rs_str_puts(&res->text, text) != 0) {
                rc = rs_str_report(&res->text, err, "the answer text");
                goto done;
            }
        }
        const char *refusal = rs_json_string(delta, "refusal");
        if (refusal && *refusal) {
            st->got_first_token = 1;
            if (rs_str_puts(&res->text, refusal) != 0) {
                rc = rs_str_report(&res->text, err, "the answer text");
                goto done;
            }
        }
        const cJSON *tc;
        cJSON_ArrayForEach(tc, cJSON_GetObjectItemCaseSensitive(delta, "tool_calls"))
        {
            st->got_first_token = 1;
            if ((rc = merge_call_delta(s, tc, err)) != 0)
                goto done;
        }
        const char *fr = rs_json_string(choice, "finish_reason");
        if (fr) {
            rs_result_set_finish(res, map_finish(fr), fr);
            if ((rc = flush_calls(s, res, pe, err)) != 0)
                goto done;
            if (!strcmp(fr, "error")) { /* OpenRouter: the upstream failed mid-answer */
                rc = rs_provider_fail(pe, err, RS_FAIL_STREAM, 200, -1,
                                      "the stream ended with finish_reason \"error\"");
                goto done;
            }
        }
    }
    read_usage(res, cJSON_GetObjectItemCaseSensitive(root, "usage"));
    read_usage(res, cJSON_GetObjectItemCaseSensitive(
                        cJSON_GetObjectItemCaseSensitive(root, "x_groq"), "usage"));
    if (!res->response_model[0])
        rs_decode_model(res, root, "model");
done:
    cJSON_Delete(root);
    return rc;
}
