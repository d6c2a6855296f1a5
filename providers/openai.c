/*
 * providers/openai.c - OpenAI Chat Completions, and through quirk flags every OpenAI-compatible
 * service (Mistral, Groq, Together, DeepSeek, OpenRouter, vLLM, llama.cpp, rosetta.yaml ones).
 * Wire facts: shared/providers.md §1 and §5.
 */
#include "providers/encode.h"
#include "providers/neutral.h"
#include "providers/openai_common.h"

#include "util/alloc.h"

#include <stdio.h>
#include <string.h>

int rs_openai_is_reasoning_model(const char *model)
{
    /* o1, o3, o4 (o1-mini, o3-pro, o4-mini ...) and the gpt-5 family */
    if (model[0] == 'o' && (model[1] == '1' || model[1] == '3' || model[1] == '4') &&
        (model[2] == '\0' || model[2] == '-'))
        return 1;
    return strncmp(model, "gpt-5", 5) == 0;
}

/* Mistral rejects tool-call ids that are not exactly 9 characters of [a-zA-Z0-9]: map any other id
 * to one deterministically (FNV-1a, base 62), so a call and its result still pair up. */
static void mistral_id(char out[10], const char *id)
{
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    size_t n = strlen(id), i;
    int ok = n == 9;
    for (i = 0; ok && i < 9; i++) {
        char c = id[i];
        ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }
    if (ok) {
        memcpy(out, id, 10);
        return;
    }
    unsigned long long h = 1469598103934665603ULL;
    for (i = 0; i < n; i++) {
        h ^= (unsigned char)id[i];
        h *= 1099511628211ULL;
    }
    for (i = 0; i < 9; i++) {
        out[i] = digits[h % 62];
        h /= 62;
    }
    out[9] = '\0';
}

static void add_id(rs_jb *b, cJSON *parent, const char *key, const rs_service *svc, const char *id)
{
    if (svc->quirks & RS_QUIRK_TOOL_ID_9) {
        char m[10];
        mistral_id(m, id);
        rs_jb_str(b, parent, key, m);
    } else {
        rs_jb_str(b, parent, key, id);
    }
}

int rs_openai_media_check(const rs_neutral *n, const rs_nmsg *m, const rs_npart *p, rs_error *err)
{
    const rs_service *svc = n->svc;
    if (svc->quirks & RS_QUIRK_NO_IMAGES)
        return rs_error_set(err, RS_EUNSUPPORTED,
                            "message %d: %s takes no images or other media (text only)", m->index,
                            svc->name);
    /* a URL without a known type may well be an image: the provider fetches and decides */
    if (!rs_npart_is_image(p) && (p->mime[0] || p->b64))
        return rs_error_set(err, RS_EUNSUPPORTED,
                            "message %d: %s takes images only; media of type '%s' cannot be sent",
                            m->index, svc->name, p->mime[0] ? p->mime : "(unknown)");
    if (!p->b64 && (svc->quirks & RS_QUIRK_NO_IMAGE_URL))
        return rs_error_set(err, RS_EUNSUPPORTED,
                            "message %d: %s cannot fetch image URLs; inline the image as a "
                            "data:%s;base64,... URL",
                            m->index, svc->name, p->mime);
    if (m->role != RS_NROLE_USER)
        return rs_error_set(err, RS_EUNSUPPORTED,
                            "message %d: %s takes images only in user messages, not in %s "
                            "messages",
                            m->index, svc->name, rs_nrole_name(m->role));
    return 0;
}

/* Concatenated text of a message's text parts, for roles whose content is a plain string. */
static int join_text(rs_str *s, const rs_neutral *n, const rs_nmsg *m)
{
    rs_str_reset(s);
    for (size_t i = 0; i < m->count; i++) {
        const rs_npart *p = rs_neutral_part(n, m->first + i);
        if (p->kind == RS_NPART_TEXT)
            rs_str_puts(s, p->text);
    }
    return rs_str_error(s);
}

static int count_kind(const rs_neutral *n, const rs_nmsg *m, rs_npart_kind k)
{
    int c = 0;
    for (size_t i = 0; i < m->count; i++)
        c += rs_neutral_part(n, m->first + i)->kind == k;
    return c;
}

/* A user or system message: a string when it is one text part, else an array of parts. */
static int add_content(rs_jb *b, cJSON *msg, const rs_neutral *n, const rs_nmsg *m, rs_error *err)
{
    int texts = count_kind(n, m, RS_NPART_TEXT), media = count_kind(n, m, RS_NPART_MEDIA);
    if (media == 0 && texts == 1) {
        for (size_t i = 0; i < m->count; i++) {
            const rs_npart *p = rs_neutral_part(n, m->first + i);
            if (p->kind == RS_NPART_TEXT)
                rs_jb_ref(b, msg, "content", p->text);
        }
        return 0;
    }
    cJSON *arr = rs_jb_arr(b, msg, "content");
    for (size_t i = 0; i < m->count; i++) {
        const rs_npart *p = rs_neutral_part(n, m->first + i);
        if (p->kind == RS_NPART_TEXT) {
            cJSON *t = rs_jb_obj(b, arr, NULL);
            rs_jb_ref(b, t, "type", "text");
            rs_jb_ref(b, t, "text", p->text);
        } else if (p->kind == RS_NPART_MEDIA) {
            int rc = rs_openai_media_check(n, m, p, err);
            if (rc)
                return rc;
            cJSON *t = rs_jb_obj(b, arr, NULL);
            rs_jb_ref(b, t, "type", "image_url");
            rs_jb_ref(b, rs_jb_obj(b, t, "image_url"), "url", p->url);
        }
    }
    return 0;
}

static void add_tool_results(rs_jb *b, cJSON *msgs, const rs_neutral *n, const rs_nmsg *m)
{
    for (size_t i = 0; i < m->count; i++) {
        const rs_npart *p = rs_neutral_part(n, m->first + i);
        if (p->kind != RS_NPART_TOOL_RESULT)
            continue;
        cJSON *t = rs_jb_obj(b, msgs, NULL);
        char *owned = NULL;
        rs_jb_ref(b, t, "role", "tool");
        add_id(b, t, "tool_call_id", n->svc, p->id);
        rs_jb_str(b, t, "content", rs_npart_result_text(p, &owned));
        if (owned)
            cJSON_free(owned);
        else if (p->value && !cJSON_IsString(p->value) && !cJSON_IsNull(p->value))
            b->oom = 1; /* printing the output failed */
    }
}

static int add_assistant(rs_jb *b, cJSON *msgs, const rs_neutral *n, const rs_nmsg *m, rs_str *s,
                         rs_error *err)
{
    cJSON *t = rs_jb_obj(b, msgs, NULL);
    rs_jb_ref(b, t, "role", "assistant");
    if (count_kind(n, m, RS_NPART_MEDIA) > 0) {
        for (size_t i = 0; i < m->count; i++) {
            const rs_npart *p = rs_neutral_part(n, m->first + i);
            if (p->kind == RS_NPART_MEDIA)
                return rs_openai_media_check(n, m, p, err);
        }
    }
    if (count_kind(n, m, RS_NPART_TEXT) > 0) {
        if (join_text(s, n, m))
            return rs_str_report(s, err, "assistant text");
        rs_jb_strn(b, t, "content", s->ptr, s->len);
    }
    if (count_kind(n, m, RS_NPART_TOOL_CALL) == 0)
        return 0;
    cJSON *calls = rs_jb_arr(b, t, "tool_calls");
    for (size_t i = 0; i < m->count; i++) {
        const rs_npart *p = rs_neutral_part(n, m->first + i);
        if (p->kind != RS_NPART_TOOL_CALL)
            continue;
        cJSON *c = rs_jb_obj(b, calls, NULL);
        add_id(b, c, "id", n->svc, p->id);
        rs_jb_ref(b, c, "type", "function");
        cJSON *f = rs_jb_obj(b, c, "function");
        rs_jb_ref(b, f, "name", p->name);
        if (p->value && !cJSON_IsNull(p->value)) {
            char *args = cJSON_PrintUnformatted(p->value); /* arguments travel as a JSON string */
            if (!args) {
                b->oom = 1;
                return 0;
            }
            rs_jb_str(b, f, "arguments", args);
            cJSON_free(args);
        } else {
            rs_jb_ref(b, f, "arguments", "{}");
        }
    }
    return 0;
}

static int add_messages(rs_jb *b, cJSON *root, const rs_neutral *n, rs_error *err)
{
    const rs_service *svc = n->svc;
    const char *sys_role =
        (!(svc->quirks & RS_QUIRK_NO_DEVELOPER_ROLE) && rs_openai_is_reasoning_model(n->model))
            ? "developer"
            : "system";
    cJSON *msgs = rs_jb_arr(b, root, "messages");
    rs_str s = RS_STR_INIT;
    int rc = 0;
    for (size_t i = 0; i < n->msgs.len && !rc; i++) {
        const rs_nmsg *m = rs_neutral_msg(n, i);
        switch (m->role) {
        case RS_NROLE_SYSTEM: {
            if (count_kind(n, m, RS_NPART_MEDIA) > 0) {
                rc = rs_error_set(err, RS_EUNSUPPORTED,
                                  "message %d: %s takes only text in system messages, and this "
                                  "one has media",
                                  m->index, svc->name);
                break;
            }
            cJSON *t = rs_jb_obj(b, msgs, NULL);
            rs_jb_ref(b, t, "role", sys_role);
            rc = add_content(b, t, n, m, err);
            break;
        }
        case RS_NROLE_USER: {
            /* tool results a user message carries go first, as the tool messages they are */
            add_tool_results(b, msgs, n, m);
            if (count_kind(n, m, RS_NPART_TEXT) + count_kind(n, m, RS_NPART_MEDIA) == 0)
                break;
            cJSON *t = rs_jb_obj(b, msgs, NULL);
            rs_jb_ref(b, t, "role", "user");
            rc = add_content(b, t, n, m, err);
            break;
        }
        case RS_NROLE_ASSISTANT:
            rc = add_assistant(b, msgs, n, m, &s, err);
            break;
        case RS_NROLE_TOOL:
            add_tool_results(b, msgs, n, m);
            break;
        }
    }
    rs_str_free(&s);
    return rc;
}

void rs_openai_tool_def(rs_jb *b, cJSON *fn, const rs_ntool *t)
{
    rs_jb_ref(b, fn, "name", t->name);
    if (t->description)
        rs_jb_ref(b, fn, "description", t->description);
    if (t->schema) {
        rs_jb_tree(b, fn, "parameters", t->schema);
    } else {
        cJSON *p = rs_jb_obj(b, fn, "parameters");
        rs_jb_ref(b, p, "type", "object");
        rs_jb_obj(b, p, "properties");
    }
}

int rs_openai_schema_is_object(const rs_neutral *n, const char *what, rs_error *err)
{
    const char *type = rs_json_string(n->schema, "type");
    if (type && strcmp(type, "object") != 0)
        return rs_error_set(err, RS_EUNSUPPORTED,
                            "%s needs an object schema at the root of output.schema, not '%s'; "
                            "wrap it in an object property",
                            what, type);
    return 0;
}

/* A json_schema name must match [a-zA-Z0-9_-]{1,64}: the prompt's name when it does, else "output".
 */
void rs_openai_schema_name(char out[65], const rs_neutral *n)
{
    const char *name = n->prompt_name;
    size_t len = name ? strlen(name) : 0, i;
    int ok = len > 0 && len <= 64;
    for (i = 0; ok && i < len; i++) {
        char c = name[i];
        ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
             c == '_' || c == '-';
    }
    if (ok)
        memcpy(out, name, len + 1);
    else
        memcpy(out, "output", sizeof "output");
}

/* OpenAI rejects JSON mode (json_object) unless a message mentions "json" somewhere. */
int rs_openai_mentions_json(const rs_neutral *n)
{
    for (size_t i = 0; i < n->parts.len; i++) {
        const rs_npart *p = rs_neutral_part(n, i);
        if (p->kind != RS_NPART_TEXT)
            continue;
        for (const char *c = p->text; *c; c++)
            if ((c[0] | 0x20) == 'j' && (c[1] | 0x20) == 's' && (c[2] | 0x20) == 'o' &&
                (c[3] | 0x20) == 'n')
                return 1;
    }
    return 0;
}

static int add_response_format(rs_jb *b, cJSON *root, const rs_neutral *n, rs_error *err)
{
    const rs_service *svc = n->svc;
    int rc;
    if (!n->json_output)
        return 0;
    cJSON *rf = rs_jb_obj(b, root, "response_format");
    if (n->schema && (svc->quirks & RS_QUIRK_NO_JSON_SCHEMA))
        return rs_error_set(err, RS_EUNSUPPORTED,
                            "%s has JSON mode only (response_format json_object) and cannot "
                            "enforce output.schema; use a variant without output.schema for %s",
                            svc->name, svc->name);
    if (n->schema) {
        if ((rc = rs_openai_schema_is_object(n, svc->name, err)) != 0)
            return rc;
        char name[65];
        rs_openai_schema_name(name, n);
        rs_jb_ref(b, rf, "type", "json_schema");
        cJSON *js = rs_jb_obj(b, rf, "json_schema");
        rs_jb_str(b, js, "name", name);
        rs_jb_tree(b, js, "schema", n->schema);
        return 0;
    }
    if (!rs_openai_mentions_json(n))
        return rs_error_set(err, RS_EUNSUPPORTED,
                            "output.format json without a schema is %s's JSON mode, which "
                            "requires the word \"JSON\" in the messages; say it in the prompt or "
                            "add output.schema",
                            svc->name);
    rs_jb_ref(b, rf, "type", "json_object");
    return 0;
}

static int add_tools(rs_jb *b, cJSON *root, const rs_neutral *n)
{
    if (n->tools.len == 0)
        return 0;
    cJSON *tools = rs_jb_arr(b, root, "tools");
    for (size_t i = 0; i < n->tools.len; i++) {
        cJSON *t = rs_jb_obj(b, tools, NULL);
        rs_jb_ref(b, t, "type", "function");
        rs_openai_tool_def(b, rs_jb_obj(b, t, "function"), rs_neutral_tool(n, i));
    }
    if (n->cfg.has & RS_NCFG_TOOL_CHOICE) {
        switch (n->cfg.tool_choice) {
        case RS_TC_AUTO:
            rs_jb_ref(b, root, "tool_choice", "auto");
            break;
        case RS_TC_NONE:
            rs_jb_ref(b, root, "tool_choice", "none");
            break;
        case RS_TC_REQUIRED:
            rs_jb_ref(b, root, "tool_choice",
                      (n->svc->quirks & RS_QUIRK_TOOL_CHOICE_ANY) ? "any" : "required");
            break;
        case RS_TC_NAMED: {
            cJSON *tc = rs_jb_obj(b, root, "tool_choice");
            rs_jb_ref(b, tc, "type", "function");
            rs_jb_ref(b, rs_jb_obj(b, tc, "function"), "name", n->cfg.tool_choice_name);
            break;
        }
        }
    }
    return 0;
}

/* Sampling settings with each service's limits. */
int rs_openai_temperature_top_p(rs_jb *b, cJSON *root, const rs_neutral *n, int reasoning,
                                rs_error *err)
{
    const rs_nconfig *c = &n->cfg;
    const char *rwhy = RS_OPENAI_REASONING_WHY;
    int rc;
    if (c->has & RS_NCFG_TEMPERATURE) {
        if (reasoning)
            return rs_neutral_unsupported(n, "temperature", rwhy, err);
        if ((rc = rs_neutral_check_range(n, "temperature", c->temperature, 0, 2, err)) != 0)
            return rc;
        rs_jb_num(b, root, "temperature", c->temperature);
    }
    if (c->has & RS_NCFG_TOP_P) {
        if (reasoning)
            return rs_neutral_unsupported(n, "topP", rwhy, err);
        rs_jb_num(b, root, "top_p", c->top_p);
    }
    return 0;
}

static int add_sampling(rs_jb *b, cJSON *root, const rs_neutral *n, rs_error *err)
{
    const rs_nconfig *c = &n->cfg;
    const rs_service *svc = n->svc;
    int reasoning =
        !(svc->quirks & RS_QUIRK_NO_DEVELOPER_ROLE) && rs_openai_is_reasoning_model(n->model);
    const char *rwhy = RS_OPENAI_REASONING_WHY;
    int rc = rs_openai_temperature_top_p(b, root, n, reasoning, err);
    if (rc != 0)
        return rc;
    if (c->has & RS_NCFG_TOP_K) {
        if (!(svc->quirks & RS_QUIRK_TOP_K))
            return rs_neutral_unsupported(n, "topK", "the Chat Completions API has no top_k", err);
        rs_jb_num(b, root, "top_k", (double)c->top_k);
    }
    if (c->has & RS_NCFG_MAX_TOKENS)
        rs_jb_num(b, root,
                  (svc->quirks & RS_QUIRK_MAX_TOKENS_LEGACY) ? "max_tokens"
                                                             : "max_completion_tokens",
                  (double)c->max_tokens);
    if (c->has & RS_NCFG_STOP) {
        if (reasoning)
            return rs_neutral_unsupported(n, "stopSequences",
                                          "OpenAI reasoning models take no stop sequences", err);
        if (c->nstop > 4)
            return rs_error_set(err, RS_EUNSUPPORTED,
                                "config.stopSequences has %zu entries; %s accepts at most 4",
                                c->nstop, svc->name);
        rs_jb_tree(b, root, "stop", c->stop);
    }
    if (c->has & RS_NCFG_SEED) {
        if (svc->quirks & RS_QUIRK_NO_SEED)
            return rs_neutral_unsupported(n, "seed", "its API has no seed parameter", err);
        rs_jb_num(b, root, (svc->quirks & RS_QUIRK_RANDOM_SEED_NAME) ? "random_seed" : "seed",
                  c->seed);
    }
    if (c->has & RS_NCFG_PRESENCE) {
        if (reasoning)
            return rs_neutral_unsupported(n, "presencePenalty", rwhy, err);
        if ((rc = rs_neutral_check_range(n, "presencePenalty", c->presence_penalty, -2, 2, err)))
            return rc;
        rs_jb_num(b, root, "presence_penalty", c->presence_penalty);
    }
    if (c->has & RS_NCFG_FREQUENCY) {
        if (reasoning)
            return rs_neutral_unsupported(n, "frequencyPenalty", rwhy, err);
        if ((rc = rs_neutral_check_range(n, "frequencyPenalty", c->frequency_penalty, -2, 2, err)))
            return rc;
        rs_jb_num(b, root, "frequency_penalty", c->frequency_penalty);
    }
    return 0;
}

static int build_body(rs_jb *b, cJSON *root, const rs_neutral *n, const rs_service *svc,
                      const char *model, const rs_encode_opts *o, rs_error *err)
{
    int rc;
    rs_jb_ref(b, root, "model", model);
    if ((rc = add_messages(b, root, n, err)) != 0 || (rc = add_tools(b, root, n)) != 0 ||
        (rc = add_response_format(b, root, n, err)) != 0 ||
        (rc = add_sampling(b, root, n, err)) != 0)
        return rc;
    if (o && o->stream) {
        rs_jb_bool(b, root, "stream", 1);
        if (!(svc->quirks & RS_QUIRK_NO_STREAM_USAGE))
            rs_jb_bool(b, rs_jb_obj(b, root, "stream_options"), "include_usage", 1);
    }
    return 0;
}

int rs_openai_encode(rs_str *body, const rs_service *svc, const char *model, const cJSON *rendered,
                     const rs_encode_opts *o, rs_error *err)
{
    return rs_neutral_encode(body, svc, model, rendered, o, build_body, err);
}

int rs_openai_endpoint(rs_str *url, const rs_service *svc, const char *model, int stream,
                       rs_error *err)
{
    rs_str_reset(url);
    rs_str_appendf(url, "%s/chat/completions", svc->base_url);
    return rs_str_report(url, err, "the endpoint URL");
}

int rs_openai_headers(rs_vec *headers, const rs_service *svc, const char *key_value, rs_error *err)
{
    int rc = 0;
    if (key_value && (rc = rs_header_add(headers, "Authorization", "Bearer ", key_value, err)))
        return rc;
    return rs_header_add(headers, "Content-Type", "", "application/json", err);
}
