/*
 * runner/mock_provider.c - the offline `mock` provider (see mock_provider.h).
 */
#include "runner/mock_provider.h"

#include "providers/decode.h"
#include "util/alloc.h"
#include "util/json.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    rs_fail_class cls;
    int status;
} fail_classes[] = {
    {"rate_limit", RS_FAIL_RATE_LIMIT, 429}, {"overloaded", RS_FAIL_OVERLOADED, 529},
    {"server", RS_FAIL_SERVER, 500},         {"timeout", RS_FAIL_TIMEOUT, 0},
    {"network", RS_FAIL_NETWORK, 0},         {"stream", RS_FAIL_STREAM, 200},
    {"decode", RS_FAIL_DECODE, 200},         {"auth", RS_FAIL_AUTH, 401},
    {"quota", RS_FAIL_QUOTA, 429},           {"bad_request", RS_FAIL_BAD_REQUEST, 400},
};

int rs_mock_model_known(const char *m)
{
    if (strcmp(m, "echo") == 0 || strcmp(m, "upper") == 0 || strcmp(m, "json") == 0 ||
        strncmp(m, "fixed:", 6) == 0)
        return 1;
    if (strncmp(m, "fail:", 5) == 0) {
        for (size_t i = 0; i < sizeof fail_classes / sizeof fail_classes[0]; i++)
            if (strcmp(m + 5, fail_classes[i].name) == 0)
                return 1;
    }
    return 0;
}

static long count_words(const char *s, size_t n)
{
    long w = 0;
    int in = 0;
    for (size_t i = 0; i < n; i++) {
        int sp = s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r';
        if (!sp && !in)
            w++;
        in = !sp;
    }
    return w;
}

/* Append the text of a message's content (a string or an array of {"text"} parts). */
static int content_text(rs_str *out, const cJSON *content)
{
    if (cJSON_IsString(content))
        return rs_str_puts(out, content->valuestring);
    const cJSON *part;
    cJSON_ArrayForEach(part, content)
    {
        const char *t = rs_json_string(part, "text");
        if (t && rs_str_puts(out, t) != 0)
            return RS_ENOMEM;
    }
    return rs_str_error(out);
}

/* A value satisfying schema (a practical subset of JSON Schema), deterministic. */
static cJSON *value_for(const cJSON *schema, const char *text, int *used_text, int depth)
{
    if (depth > 16 || !cJSON_IsObject(schema))
        return cJSON_CreateNull();
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(schema, "enum");
    if (cJSON_IsArray(en) && cJSON_GetArraySize(en) > 0)
        return cJSON_Duplicate(cJSON_GetArrayItem(en, 0), 1);
    const cJSON *cst = cJSON_GetObjectItemCaseSensitive(schema, "const");
    if (cst)
        return cJSON_Duplicate(cst, 1);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(schema, "type");
    const char *ty = cJSON_IsString(type) ? type->valuestring
                     : cJSON_IsArray(type) && cJSON_IsString(cJSON_GetArrayItem(type, 0))
                         ? cJSON_GetArrayItem(type, 0)->valuestring
                     : cJSON_GetObjectItemCaseSensitive(schema, "properties") ? "object"
                                                                              : "string";
    if (strcmp(ty, "object") == 0) {
        cJSON *o = cJSON_CreateObject();
        const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
        const cJSON *p;
        cJSON_ArrayForEach(p, props)
        {
            cJSON *v = value_for(p, text, used_text, depth + 1);
            if (!o || !v || !cJSON_AddItemToObject(o, p->string, v)) {
                cJSON_Delete(v);
                cJSON_Delete(o);
                return NULL;
            }
        }
        return o;
    }
    if (strcmp(ty, "array") == 0) {
        cJSON *a = cJSON_CreateArray();
        cJSON *v = value_for(cJSON_GetObjectItemCaseSensitive(schema, "items"), text, used_text,
                             depth + 1);
        if (!a || !v || !cJSON_AddItemToArray(a, v)) {
            cJSON_Delete(v);
            cJSON_Delete(a);
            return NULL;
        }
        return a;
    }
    if (strcmp(ty, "integer") == 0 || strcmp(ty, "number") == 0) {
        const cJSON *min = cJSON_GetObjectItemCaseSensitive(schema, "minimum");
        return cJSON_CreateNumber(cJSON_IsNumber(min) ? min->valuedouble : 0);
    }
    if (strcmp(ty, "boolean") == 0)
        return cJSON_CreateFalse();
    if (strcmp(ty, "null") == 0)
        return cJSON_CreateNull();
    /* The first string carries the input, so an echo is visible in structured output too. */
    const char *s = *used_text ? "" : text;
    *used_text = 1;
    return cJSON_CreateString(s);
}

int rs_mock_answer(rs_result *res, rs_provider_error *pe, const char *model, const char *body,
                   size_t len, rs_error *err)
{
    int rc = 0;
    cJSON *doc = NULL, *val = NULL;
    char *printed = NULL;
    rs_str all = RS_STR_INIT, last = RS_STR_INIT;
    if (!rs_mock_model_known(model)) {
        rc = rs_error_set(err, RS_EINVAL,
                          "unknown mock model '%s' (known: echo, upper, json, fixed:TEXT, "
                          "fail:CLASS)",
                          model);
        goto done;
    }
    if (strncmp(model, "fail:", 5) == 0) {
        for (size_t i = 0; i < sizeof fail_classes / sizeof fail_classes[0]; i++) {
            if (strcmp(model + 5, fail_classes[i].name) == 0) {
                rc = rs_provider_fail(pe, err, fail_classes[i].cls, fail_classes[i].status, -1,
                                      "mock/%s: simulated %s failure", model, fail_classes[i].name);
                break;
            }
        }
        goto done;
    }
    rc = rs_decode_json(&doc, pe, body, len, "mock request", err);
    if (rc != 0)
        goto done;
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(doc, "messages");
    const cJSON *m;
    cJSON_ArrayForEach(m, msgs)
    {
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
        if (!content)
            content = cJSON_GetObjectItemCaseSensitive(m, "parts");
        const char *role = rs_json_string(m, "role");
        if (all.len)
            rs_str_putc(&all, '\n');
        content_text(&all, content);
        if (role && strcmp(role, "user") == 0) {
            rs_str_reset(&last);
            content_text(&last, content);
        }
    }
    if (rs_str_error(&all) || rs_str_error(&last)) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory answering a mock request");
        goto done;
    }
    res->usage.input = count_words(rs_str_cstr(&all), all.len);
    if (strcmp(model, "echo") == 0) {
        rs_str_append(&res->text, rs_str_cstr(&last), last.len);
    } else if (strcmp(model, "upper") == 0) {
        for (size_t i = 0; i < last.len; i++) {
            char c = last.ptr[i];
            rs_str_putc(&res->text, c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c);
        }
    } else if (strncmp(model, "fixed:", 6) == 0) {
        rs_str_puts(&res->text, model + 6);
    } else { /* json */
        const cJSON *schema = cJSON_GetObjectItemCaseSensitive(doc, "output_schema");
        if (!schema)
            schema = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(doc, "output"), "schema");
        int used = 0;
        if (cJSON_IsObject(schema)) {
            val = value_for(schema, rs_str_cstr(&last), &used, 0);
        } else {
            val = cJSON_CreateObject();
            if (val && !cJSON_AddStringToObject(val, "echo", rs_str_cstr(&last))) {
                cJSON_Delete(val);
                val = NULL;
            }
        }
        printed = val ? cJSON_PrintUnformatted(val) : NULL;
        if (!printed) {
            rc = rs_error_set(err, RS_ENOMEM, "out of memory answering a mock request");
            goto done;
        }
        rs_str_puts(&res->text, printed);
    }
    if (rs_str_error(&res->text)) {
        rc = rs_str_report(&res->text, err, "the mock answer");
        goto done;
    }
    res->usage.output = count_words(rs_str_cstr(&res->text), res->text.len);
    res->usage.cached = 0;
    res->usage.reasoning = 0;
    rs_result_set_finish(res, RS_FINISH_STOP, "stop");
    snprintf(res->response_model, sizeof res->response_model, "%s", model);
done:
    if (printed)
        cJSON_free(printed);
    cJSON_Delete(val);
    cJSON_Delete(doc);
    rs_str_free(&all);
    rs_str_free(&last);
    return rc;
}
