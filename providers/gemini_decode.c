/*
 * providers/gemini_decode.c - decoding Gemini generateContent answers, SSE streams
 * (streamGenerateContent?alt=sse) and errors (providers.md §3).
 *
 * A stream is a series of GenerateContentResponse chunks with no terminator: the chunk carrying a
 * finishReason (or a prompt blocked outright) is the terminal one. Function calls arrive whole
 * (args is an object), and a function call ends with STOP: the finish is made "tool" when the
 * answer holds calls. The wait of a 429 is in the body: RetryInfo.retryDelay ("1.5s").
 */
#include "providers/decode.h"

#include "util/alloc.h"
#include "util/json.h"

#include <stdio.h>
#include <string.h>

typedef struct chunk_state {
    int saw_call; /* a functionCall part was decoded */
    int finished; /* a finishReason or blockReason was seen */
} chunk_state;

static rs_finish map_finish(const char *r)
{
    static const char *const filter[] = {"SAFETY",
                                         "RECITATION",
                                         "BLOCKLIST",
                                         "LANGUAGE",
                                         "PROHIBITED_CONTENT",
                                         "SPII",
                                         "IMAGE_SAFETY",
                                         "IMAGE_PROHIBITED_CONTENT",
                                         "IMAGE_RECITATION",
                                         NULL};
    if (!r || !strcmp(r, "FINISH_REASON_UNSPECIFIED"))
        return RS_FINISH_UNKNOWN;
    if (!strcmp(r, "STOP"))
        return RS_FINISH_STOP;
    if (!strcmp(r, "MAX_TOKENS"))
        return RS_FINISH_LENGTH;
    for (size_t i = 0; filter[i]; i++)
        if (!strcmp(r, filter[i]))
            return RS_FINISH_FILTER;
    if (!strcmp(r, "MALFORMED_FUNCTION_CALL") || !strcmp(r, "UNEXPECTED_TOOL_CALL") ||
        !strcmp(r, "TOO_MANY_TOOL_CALLS"))
        return RS_FINISH_ERROR;
    return RS_FINISH_OTHER;
}

static void read_usage(rs_result *res, const cJSON *u)
{
    if (!cJSON_IsObject(u))
        return;
    long in = rs_decode_long(u, "promptTokenCount");
    long tool_in = rs_decode_long(u, "toolUsePromptTokenCount");
    long cand = rs_decode_long(u, "candidatesTokenCount");
    long thoughts = rs_decode_long(u, "thoughtsTokenCount");
    long cached = rs_decode_long(u, "cachedContentTokenCount");
    if (in >= 0)
        res->usage.input = in + (tool_in > 0 ? tool_in : 0);
    if (cand >= 0 || thoughts >= 0) /* thoughts are billed as output */
        res->usage.output = (cand > 0 ? cand : 0) + (thoughts > 0 ? thoughts : 0);
    if (thoughts >= 0)
        res->usage.reasoning = thoughts;
    if (cached >= 0)
        res->usage.cached = cached;
}

/* "1.5s" (proto Duration in JSON) -> ms, -1 when not one. */
static long duration_ms(const char *s)
{
    if (!s)
        return -1;
    double v = 0, f = 0;
    int any = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9'; p++, any = 1)
        v = v * 10 + (*p - '0');
    if (*p == '.')
        for (p++, f = 0.1; *p >= '0' && *p <= '9'; p++, f /= 10, any = 1)
            v += (*p - '0') * f;
    if (!any || p[0] != 's' || p[1] != '\0' || v > 86400.0)
        return -1;
    return (long)(v * 1000.0 + 0.5);
}

static rs_fail_class class_of(int status, const char *st)
{
    if (st) {
        if (!strcmp(st, "RESOURCE_EXHAUSTED"))
            return RS_FAIL_RATE_LIMIT;
        if (!strcmp(st, "UNAVAILABLE"))
            return RS_FAIL_OVERLOADED;
        if (!strcmp(st, "INTERNAL") || !strcmp(st, "UNKNOWN") || !strcmp(st, "ABORTED"))
            return RS_FAIL_SERVER;
        if (!strcmp(st, "DEADLINE_EXCEEDED"))
            return RS_FAIL_TIMEOUT;
        if (!strcmp(st, "PERMISSION_DENIED") || !strcmp(st, "UNAUTHENTICATED"))
            return status == 200 ? RS_FAIL_STREAM : RS_FAIL_AUTH;
        if (!strcmp(st, "INVALID_ARGUMENT") || !strcmp(st, "FAILED_PRECONDITION") ||
            !strcmp(st, "NOT_FOUND") || !strcmp(st, "OUT_OF_RANGE"))
            return status == 200 ? RS_FAIL_STREAM : RS_FAIL_BAD_REQUEST;
    }
    return status == 200 ? RS_FAIL_STREAM : rs_fail_class_for_status(status);
}

static void error_from_json(rs_provider_error *pe, int status, long retry_ms, const cJSON *e,
                            const char *body, size_t len)
{
    const char *st = rs_json_string(e, "status");
    const char *msg = rs_json_string(e, "message");
    if (status == 200) { /* an error chunk carries the status it would have had */
        long code = rs_decode_long(e, "code");
        if (!st && code >= 400 && code < 600) {
            rs_fail_class c = rs_fail_class_for_status((int)code);
            rs_provider_error_http(pe, rs_fail_class_retryable(c) ? c : RS_FAIL_STREAM, 200,
                                   retry_ms, NULL, msg, body, len);
            return;
        }
    }
    if (retry_ms < 0) { /* the header hint wins; else RetryInfo */
        const cJSON *d;
        cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(e, "details"))
        {
            const char *t = rs_json_string(d, "@type");
            if (t && strstr(t, "google.rpc.RetryInfo"))
                retry_ms = duration_ms(rs_json_string(d, "retryDelay"));
        }
    }
    rs_provider_error_http(pe, class_of(status, st), status, retry_ms, st, msg, body, len);
}

void rs_gemini_classify_error(rs_provider_error *pe, int http_status, const char *body, size_t len,
                              long retry_after_ms)
{
    cJSON *root = NULL;
    if (body && len && rs_decode_json(&root, NULL, body, len, "error body", NULL) == 0) {
        const cJSON *obj = cJSON_IsArray(root) ? cJSON_GetArrayItem(root, 0) : root;
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(obj, "error");
        if (cJSON_IsObject(e)) {
            error_from_json(pe, http_status, retry_after_ms, e, body, len);
            goto done;
        }
    }
    rs_provider_error_http(pe, rs_fail_class_for_status(http_status), http_status, retry_after_ms,
                           NULL, NULL, body ? body : "", body ? len : 0);
done:
    cJSON_Delete(root);
}

/* One GenerateContentResponse (a whole answer or a stream chunk) into res. */
static int decode_chunk(rs_result *res, rs_provider_error *pe, chunk_state *cs, int *first_token,
                        const cJSON *root, const char *body, size_t len, rs_error *err)
{
    if (!cJSON_IsObject(root))
        return rs_provider_fail(pe, err, RS_FAIL_DECODE, 0, -1,
                                "the response is not a JSON object");
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (e) {
        error_from_json(pe, 200, -1, e, body, len);
        return rs_error_set(err, RS_EPROVIDER, "%s", pe ? pe->message : "provider error");
    }
    const cJSON *cand = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "candidates"), 0);
    const cJSON *part;
    cJSON_ArrayForEach(part, cJSON_GetObjectItemCaseSensitive(
                                 cJSON_GetObjectItemCaseSensitive(cand, "content"), "parts"))
    {
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(part, "thought")))
            continue; /* thinking summaries are not the answer */
        const char *t = rs_json_string(part, "text");
        if (t) {
            if (*t)
                *first_token = 1;
            if (rs_str_puts(&res->text, t) != 0)
                return rs_str_report(&res->text, err, "the answer text");
        }
        const cJSON *fc = cJSON_GetObjectItemCaseSensitive(part, "functionCall");
        if (cJSON_IsObject(fc)) {
            const cJSON *args = cJSON_GetObjectItemCaseSensitive(fc, "args");
            char *printed = args ? cJSON_PrintUnformatted(args) : NULL;
            if (args && !printed)
                return rs_error_set(err, RS_ENOMEM, "out of memory decoding a tool call");
            int rc = rs_result_add_tool_call(res, pe, rs_json_string(fc, "id"),
                                             rs_json_string(fc, "name"), printed,
                                             printed ? strlen(printed) : 0, err);
            cJSON_free(printed);
            if (rc)
                return rc;
            cs->saw_call = 1;
            *first_token = 1;
        }
    }
    const char *fr = rs_json_string(cand, "finishReason");
    if (fr) {
        rs_finish f = map_finish(fr);
        if (f == RS_FINISH_STOP && cs->saw_call)
            f = RS_FINISH_TOOL;
        rs_result_set_finish(res, f, fr);
        cs->finished = 1;
    }
    const char *block =
        rs_json_string(cJSON_GetObjectItemCaseSensitive(root, "promptFeedback"), "blockReason");
    if (block && !cand) { /* the prompt itself was refused: no candidates at all */
        rs_result_set_finish(res, RS_FINISH_FILTER, block);
        cs->finished = 1;
    }
    read_usage(res, cJSON_GetObjectItemCaseSensitive(root, "usageMetadata"));
    rs_decode_model(res, root, "modelVersion");
    return 0;
}

int rs_gemini_decode(rs_result *res, rs_provider_error *pe, const char *body, size_t len,
                     rs_error *err)
{
    cJSON *root = NULL;
    chunk_state cs = {0, 0};
    int first = 0;
    int rc = rs_decode_json(&root, pe, body, len, "the response", err);
    if (rc)
        goto done;
    if (cJSON_IsArray(root)) { /* streamGenerateContent without alt=sse: an array of chunks */
        const cJSON *c;
        cJSON_ArrayForEach(c, root)
        {
            if ((rc = decode_chunk(res, pe, &cs, &first, c, body, len, err)) != 0)
                goto done;
        }
    } else {
        rc = decode_chunk(res, pe, &cs, &first, root, body, len, err);
        if (rc)
            goto done;
        if (!cJSON_GetObjectItemCaseSensitive(root, "candidates") && !cs.finished) {
            rc = rs_provider_fail(pe, err, RS_FAIL_DECODE, 0, -1,
                                  "the response has neither candidates nor promptFeedback");
            goto done;
        }
    }
done:
    cJSON_Delete(root);
    return rc;
}

int rs_gemini_stream_event(rs_stream *st, rs_result *res, rs_provider_error *pe, const char *event,
                           const char *data, size_t len, rs_error *err)
{
    (void)event;
    cJSON *root = NULL;
    if (!st->state) {
        st->state = rs_calloc(1, sizeof(chunk_state));
        if (!st->state)
            return rs_error_set(err, RS_ENOMEM, "out of memory decoding a stream");
    }
    chunk_state *cs = st->state;
    int rc = rs_decode_json(&root, pe, data, len, "a stream event", err);
    if (rc == 0)
        rc = decode_chunk(res, pe, cs, &st->got_first_token, root, data, len, err);
    if (rc == 0 && cs->finished)
        st->done = 1;
    cJSON_Delete(root);
    return rc;
}

void rs_gemini_stream_free(rs_stream *st)
{
    rs_free(st->state);
    st->state = NULL;
}
