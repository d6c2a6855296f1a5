/*
 * providers/result.c - the normalized result, failure classes, and the helpers every decoder
 * shares (tool calls with validated arguments, error filling, tolerant JSON parsing).
 */
#include "providers/decode.h"

#include "util/alloc.h"
#include "util/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void rs_result_init(rs_result *res)
{
    memset(res, 0, sizeof *res);
    rs_str_init(&res->text, RS_STR_DEFAULT_MAX);
    rs_vec_init(&res->tool_calls, sizeof(rs_tool_call));
    res->finish = RS_FINISH_UNKNOWN;
    res->usage.input = -1;
    res->usage.output = -1;
    res->usage.cached = -1;
    res->usage.reasoning = -1;
}

void rs_result_free(rs_result *res)
{
    if (!res)
        return;
    rs_str_free(&res->text);
    for (size_t i = 0; i < res->tool_calls.len; i++) {
        rs_tool_call *tc = &RS_VEC_AT(&res->tool_calls, rs_tool_call, i);
        rs_free(tc->id);
        rs_free(tc->name);
        rs_free(tc->args_json);
    }
    rs_vec_free(&res->tool_calls);
    rs_result_init(res);
}

const char *rs_finish_name(rs_finish f)
{
    switch (f) {
    case RS_FINISH_STOP:
        return "stop";
    case RS_FINISH_LENGTH:
        return "length";
    case RS_FINISH_TOOL:
        return "tool";
    case RS_FINISH_FILTER:
        return "filter";
    case RS_FINISH_ERROR:
        return "error";
    case RS_FINISH_OTHER:
        return "other";
    case RS_FINISH_UNKNOWN:
        break;
    }
    return "unknown";
}

const char *rs_fail_class_name(rs_fail_class c)
{
    switch (c) {
    case RS_FAIL_NONE:
        return "none";
    case RS_FAIL_RATE_LIMIT:
        return "rate_limit";
    case RS_FAIL_OVERLOADED:
        return "overloaded";
    case RS_FAIL_SERVER:
        return "server";
    case RS_FAIL_TIMEOUT:
        return "timeout";
    case RS_FAIL_NETWORK:
        return "network";
    case RS_FAIL_STREAM:
        return "stream";
    case RS_FAIL_DECODE:
        return "decode";
    case RS_FAIL_AUTH:
        return "auth";
    case RS_FAIL_QUOTA:
        return "quota";
    case RS_FAIL_BAD_REQUEST:
        return "bad_request";
    case RS_FAIL_OTHER:
        break;
    }
    return "other";
}

int rs_fail_class_retryable(rs_fail_class c)
{
    switch (c) {
    case RS_FAIL_RATE_LIMIT:
    case RS_FAIL_OVERLOADED:
    case RS_FAIL_SERVER:
    case RS_FAIL_TIMEOUT:
    case RS_FAIL_NETWORK:
    case RS_FAIL_STREAM:
        return 1;
    default:
        return 0;
    }
}

rs_fail_class rs_fail_class_for_status(int s)
{
    if (s >= 200 && s < 300)
        return RS_FAIL_NONE;
    switch (s) {
    case 401:
    case 403:
        return RS_FAIL_AUTH;
    case 402: /* DeepSeek insufficient balance, OpenRouter credits, Anthropic billing_error */
        return RS_FAIL_QUOTA;
    case 408:
        return RS_FAIL_TIMEOUT;
    case 409: /* Anthropic: a conflicting concurrent request; the SDKs retry it */
    case 500:
    case 502:
    case 504:
        return RS_FAIL_SERVER;
    case 429:
        return RS_FAIL_RATE_LIMIT;
    case 503:
    case 529:
        return RS_FAIL_OVERLOADED;
    default:
        break;
    }
    if (s >= 500 && s < 600)
        return RS_FAIL_SERVER;
    if (s >= 400 && s < 500)
        return RS_FAIL_BAD_REQUEST;
    return RS_FAIL_OTHER;
}

/* Keep provider messages on one line: a message goes into one log column and one stderr line. */
static void one_line(char *s)
{
    for (; *s; s++)
        if (*s == '\n' || *s == '\r' || *s == '\t')
            *s = ' ';
}

int rs_provider_fail(rs_provider_error *pe, rs_error *err, rs_fail_class cls, int http_status,
                     long retry_after_ms, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        msg[0] = '\0';
    else if ((size_t)n >= sizeof msg) /* say that it was cut rather than cutting silently */
        memcpy(msg + sizeof msg - 4, "...", 4);
    one_line(msg);
    if (pe) {
        pe->cls = cls;
        pe->http_status = http_status;
        pe->retry_after_ms = retry_after_ms;
        memcpy(pe->message, msg, sizeof msg);
    }
    if (err)
        rs_error_set(err, RS_EPROVIDER, "%s", msg);
    return RS_EPROVIDER;
}

void rs_result_set_finish(rs_result *res, rs_finish f, const char *raw)
{
    res->finish = f;
    res->finish_raw[0] = '\0';
    if (raw) {
        size_t n = strlen(raw);
        if (n >= sizeof res->finish_raw)
            n = sizeof res->finish_raw - 1;
        memcpy(res->finish_raw, raw, n);
        res->finish_raw[n] = '\0';
    }
}

int rs_decode_json(cJSON **out, rs_provider_error *pe, const char *body, size_t len,
                   const char *what, rs_error *err)
{
    *out = NULL;
    size_t off = 0;
    while (off < len &&
           (body[off] == ' ' || body[off] == '\t' || body[off] == '\n' || body[off] == '\r'))
        off++;
    if (off == len)
        return rs_provider_fail(pe, err, RS_FAIL_DECODE, 0, -1, "%s is empty", what);
    rs_error perr = RS_ERROR_INIT;
    if (rs_json_parse(out, body + off, len - off, NULL, &perr) != 0)
        return rs_provider_fail(pe, err, RS_FAIL_DECODE, 0, -1, "%s is not valid JSON (%d:%d: %s)",
                                what, perr.line, perr.column, perr.message);
    return 0;
}

void rs_decode_model(rs_result *res, const cJSON *obj, const char *key)
{
    const char *m = rs_json_string(obj, key);
    if (!m)
        return;
    size_t n = strlen(m);
    if (n >= sizeof res->response_model)
        n = sizeof res->response_model - 1;
    memcpy(res->response_model, m, n);
    res->response_model[n] = '\0';
}

long rs_decode_long(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d >= 0 && d < 9.0e15)
            return (long)d;
        return -1;
    }
    if (cJSON_IsString(v) && v->valuestring[0]) { /* proto JSON may print int64 as a string */
        long n = 0;
        for (const char *p = v->valuestring; *p; p++) {
            if (*p < '0' || *p > '9' || n > 100000000000000L)
                return -1;
            n = n * 10 + (*p - '0');
        }
        return n;
    }
    return -1;
}

int rs_result_add_tool_call(rs_result *res, rs_provider_error *pe, const char *id, const char *name,
                            const char *args, size_t args_len, rs_error *err)
{
    int rc = 0;
    cJSON *parsed = NULL;
    char *printed = NULL, *id_copy = NULL, *name_copy = NULL;
    char made_id[32];

    if (!name || !*name) {
        rc = rs_provider_fail(pe, err, RS_FAIL_DECODE, 0, -1, "a tool call has no function name");
        goto done;
    }
    size_t start = 0;
    while (
        args && start < args_len &&
        (args[start] == ' ' || args[start] == '\n' || args[start] == '\t' || args[start] == '\r'))
        start++;
    if (!args || start == args_len) {
        parsed = cJSON_CreateObject();
    } else {
        rs_error perr = RS_ERROR_INIT;
        if (rs_json_parse(&parsed, args + start, args_len - start, NULL, &perr) != 0) {
            rc = rs_provider_fail(pe, err, RS_FAIL_DECODE, 0, -1,
                                  "the arguments of tool call '%s' are not valid JSON (%d:%d)",
                                  name, perr.line, perr.column);
            goto done;
        }
    }
    if (!parsed) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory decoding a tool call");
        goto done;
    }
    if (!cJSON_IsObject(parsed)) {
        rc = rs_provider_fail(pe, err, RS_FAIL_DECODE, 0, -1,
                              "the arguments of tool call '%s' are not a JSON object", name);
        goto done;
    }
    printed = rs_json_print(parsed, 0);
    if (!id || !*id) {
        snprintf(made_id, sizeof made_id, "call_%zu", res->tool_calls.len);
        id = made_id;
    }
    id_copy = rs_strdup(id);
    name_copy = rs_strdup(name);
    if (!printed || !id_copy || !name_copy) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory decoding a tool call");
        goto done;
    }
    rs_tool_call tc = {id_copy, name_copy, printed};
    if (rs_vec_push(&res->tool_calls, &tc) != 0) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory decoding a tool call");
        goto done;
    }
    id_copy = name_copy = printed = NULL;
done:
    cJSON_Delete(parsed);
    if (printed)
        cJSON_free(printed);
    rs_free(id_copy);
    rs_free(name_copy);
    return rc;
}

int rs_is_quota_code(const char *code)
{
    static const char *const quota[] = {"insufficient_quota",
                                        "billing_error",
                                        "enforced_spend_limit_reached",
                                        "billing_hard_limit_reached",
                                        "insufficient_balance",
                                        "insufficient_credits",
                                        "payment_required",
                                        NULL};
    if (!code)
        return 0;
    for (size_t i = 0; quota[i]; i++)
        if (strcmp(code, quota[i]) == 0)
            return 1;
    return 0;
}

void rs_classify_json_error(rs_provider_error *pe, int http_status, const char *body, size_t len,
                            long retry_after_ms, const char *key, rs_error_reader read)
{
    cJSON *root = NULL;
    const cJSON *e = NULL;
    if (body && len && rs_decode_json(&root, NULL, body, len, "error body", NULL) == 0)
        e = key ? cJSON_GetObjectItemCaseSensitive(root, key) : root;
    if (cJSON_IsObject(e))
        read(pe, http_status, retry_after_ms, e, body, len);
    else
        rs_provider_error_http(pe, rs_fail_class_for_status(http_status), http_status,
                               retry_after_ms, NULL, NULL, body ? body : "", body ? len : 0);
    cJSON_Delete(root);
}

void rs_provider_error_http(rs_provider_error *pe, rs_fail_class cls, int http_status,
                            long retry_after_ms, const char *kind, const char *message,
                            const char *body, size_t len)
{
    char quoted[201];
    if (!message || !*message) {
        size_t n = 0, a = 0;
        while (a < len && (body[a] == ' ' || body[a] == '\n' || body[a] == '\r' || body[a] == '\t'))
            a++;
        while (a + n < len && n < sizeof quoted - 1 && body[a + n] != '\n' && body[a + n] != '\r')
            n++;
        for (size_t i = 0; i < n; i++) { /* keep the log printable */
            unsigned char c = (unsigned char)body[a + i];
            quoted[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
        }
        quoted[n] = '\0';
        message = quoted;
    }
    if (cls == RS_FAIL_NONE) /* an error is never "no failure", whatever a body claims */
        cls = http_status == 200 ? RS_FAIL_STREAM : RS_FAIL_OTHER;
    const char *where = http_status == 200 ? "error in the stream" : "HTTP";
    char status[16] = "";
    if (http_status != 200 && http_status > 0)
        snprintf(status, sizeof status, " %d", http_status);
    rs_provider_fail(pe, NULL, cls, http_status, retry_after_ms, "%s%s%s%s%s%s", where, status,
                     kind && *kind ? " " : "", kind ? kind : "", *message ? ": " : "", message);
}
