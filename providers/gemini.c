/*
 * providers/gemini.c - Gemini generateContent, v1beta (shared/providers.md §3).
 *
 * System text goes to systemInstruction; contents alternate user/model, so user and tool messages
 * (function responses travel in user contents, as the official SDK sends them) merge with their
 * neighbours. Field names are the proto JSON names (lowerCamelCase).
 */
#include "providers/encode.h"
#include "providers/neutral.h"

#include <string.h>

static int is_user_side(rs_nrole r)
{
    return r == RS_NROLE_USER || r == RS_NROLE_TOOL;
}

static int add_part(rs_jb *b, cJSON *parts, const rs_nmsg *m, const rs_npart *p, rs_error *err)
{
    cJSON *o;
    switch (p->kind) {
    case RS_NPART_TEXT:
        rs_jb_ref(b, rs_jb_obj(b, parts, NULL), "text", p->text);
        return 0;
    case RS_NPART_MEDIA:
        if (!p->mime[0])
            return rs_error_set(err, RS_EUNSUPPORTED,
                                "message %d: gemini needs the media's type: add contentType to "
                                "{{media url=... contentType=...}}",
                                m->index);
        o = rs_jb_obj(b, parts, NULL);
        if (p->b64) {
            cJSON *d = rs_jb_obj(b, o, "inlineData");
            rs_jb_str(b, d, "mimeType", p->mime);
            rs_jb_ref(b, d, "data", p->b64);
        } else {
            cJSON *d = rs_jb_obj(b, o, "fileData");
            rs_jb_str(b, d, "mimeType", p->mime);
            rs_jb_ref(b, d, "fileUri", p->url);
        }
        return 0;
    case RS_NPART_TOOL_CALL:
        if (p->value && !cJSON_IsNull(p->value) && !cJSON_IsObject(p->value))
            return rs_error_set(err, RS_EUNSUPPORTED,
                                "message %d: toolRequest '%s' has a non-object input; gemini's "
                                "functionCall args must be an object",
                                m->index, p->name);
        o = rs_jb_obj(b, rs_jb_obj(b, parts, NULL), "functionCall");
        rs_jb_ref(b, o, "name", p->name);
        if (p->value && cJSON_IsObject(p->value))
            rs_jb_tree(b, o, "args", p->value);
        else
            rs_jb_obj(b, o, "args");
        return 0;
    case RS_NPART_TOOL_RESULT:
        o = rs_jb_obj(b, rs_jb_obj(b, parts, NULL), "functionResponse");
        rs_jb_ref(b, o, "name", p->name);
        /* response must be an object: an object output as is, anything else as {"result": ..} */
        if (p->value && cJSON_IsObject(p->value)) {
            rs_jb_tree(b, o, "response", p->value);
        } else {
            cJSON *r = rs_jb_obj(b, o, "response");
            if (p->value)
                rs_jb_tree(b, r, "result", p->value);
            else
                rs_jb_null(b, r, "result");
        }
        return 0;
    }
    return 0;
}

static int add_contents(rs_jb *b, cJSON *root, const rs_neutral *n, rs_error *err)
{
    cJSON *sys = NULL, *contents;
    int rc = 0;
    size_t i, emitted = 0; /* counted, not read back from the tree: it may be cut by OOM */
    for (i = 0; i < n->msgs.len; i++) {
        const rs_nmsg *m = rs_neutral_msg(n, i);
        if (m->role != RS_NROLE_SYSTEM)
            continue;
        if (!sys)
            sys = rs_jb_arr(b, rs_jb_obj(b, root, "systemInstruction"), "parts");
        for (size_t k = 0; k < m->count; k++) {
            const rs_npart *p = rs_neutral_part(n, m->first + k);
            if (p->kind != RS_NPART_TEXT)
                return rs_error_set(err, RS_EUNSUPPORTED,
                                    "message %d: gemini's systemInstruction takes only text, and "
                                    "this system message has media",
                                    m->index);
            rs_jb_ref(b, rs_jb_obj(b, sys, NULL), "text", p->text);
        }
    }
    contents = rs_jb_arr(b, root, "contents");
    i = 0;
    while (i < n->msgs.len && !rc) {
        const rs_nmsg *m = rs_neutral_msg(n, i);
        if (m->role == RS_NROLE_SYSTEM) {
            i++;
            continue;
        }
        int user = is_user_side(m->role);
        if (emitted == 0 && !user)
            return rs_error_set(err, RS_EUNSUPPORTED,
                                "message %d: gemini needs the conversation to start with a user "
                                "turn, and this one starts with a model message",
                                m->index);
        cJSON *c = rs_jb_obj(b, contents, NULL);
        emitted++;
        rs_jb_ref(b, c, "role", user ? "user" : "model");
        cJSON *parts = rs_jb_arr(b, c, "parts");
        for (; i < n->msgs.len && !rc; i++) {
            const rs_nmsg *g = rs_neutral_msg(n, i);
            if (g->role == RS_NROLE_SYSTEM)
                continue;
            if (is_user_side(g->role) != user)
                break;
            for (size_t k = 0; k < g->count && !rc; k++)
                rc = add_part(b, parts, g, rs_neutral_part(n, g->first + k), err);
        }
    }
    if (!rc && emitted == 0)
        rc = rs_error_set(err, RS_EUNSUPPORTED,
                          "gemini needs at least one user turn, and the prompt has only a system "
                          "instruction");
    return rc;
}

static int add_tools(rs_jb *b, cJSON *root, const rs_neutral *n, rs_error *err)
{
    if (n->tools.len == 0)
        return 0;
    cJSON *decls =
        rs_jb_arr(b, rs_jb_obj(b, rs_jb_arr(b, root, "tools"), NULL), "functionDeclarations");
    for (size_t i = 0; i < n->tools.len; i++) {
        const rs_ntool *t = rs_neutral_tool(n, i);
        size_t len = strlen(t->name);
        if (len > 64 || strspn(t->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789_.-") != len)
            return rs_error_set(err, RS_EUNSUPPORTED,
                                "tool '%s': gemini function names may contain only a-z, A-Z, 0-9, "
                                "'_', '.', '-' (at most 64)",
                                t->name);
        cJSON *d = rs_jb_obj(b, decls, NULL);
        rs_jb_ref(b, d, "name", t->name);
        if (t->description)
            rs_jb_ref(b, d, "description", t->description);
        if (t->schema)
            rs_jb_tree(b, d, "parametersJsonSchema", t->schema);
    }
    if (n->cfg.has & RS_NCFG_TOOL_CHOICE) {
        static const char *const modes[] = {"AUTO", "NONE", "ANY", "ANY"};
        cJSON *fc = rs_jb_obj(b, rs_jb_obj(b, root, "toolConfig"), "functionCallingConfig");
        rs_jb_ref(b, fc, "mode", modes[n->cfg.tool_choice]);
        if (n->cfg.tool_choice == RS_TC_NAMED)
            rs_jb_ref(b, rs_jb_arr(b, fc, "allowedFunctionNames"), NULL, n->cfg.tool_choice_name);
    }
    return 0;
}

static int add_generation_config(rs_jb *b, cJSON *root, const rs_neutral *n, rs_error *err)
{
    const rs_nconfig *c = &n->cfg;
    int rc;
    unsigned sampling = RS_NCFG_TEMPERATURE | RS_NCFG_TOP_P | RS_NCFG_TOP_K | RS_NCFG_MAX_TOKENS |
                        RS_NCFG_STOP | RS_NCFG_SEED | RS_NCFG_PRESENCE | RS_NCFG_FREQUENCY;
    if (!(c->has & sampling) && !n->json_output)
        return 0;
    cJSON *g = rs_jb_obj(b, root, "generationConfig");
    if (c->has & RS_NCFG_TEMPERATURE) {
        if ((rc = rs_neutral_check_range(n, "temperature", c->temperature, 0, 2, err)) != 0)
            return rc;
        rs_jb_num(b, g, "temperature", c->temperature);
    }
    if (c->has & RS_NCFG_TOP_P)
        rs_jb_num(b, g, "topP", c->top_p);
    if (c->has & RS_NCFG_TOP_K)
        rs_jb_num(b, g, "topK", (double)c->top_k);
    if (c->has & RS_NCFG_MAX_TOKENS)
        rs_jb_num(b, g, "maxOutputTokens", (double)c->max_tokens);
    if (c->has & RS_NCFG_STOP) {
        if (c->nstop > 5)
            return rs_error_set(err, RS_EUNSUPPORTED,
                                "config.stopSequences has %zu entries; gemini accepts at most 5",
                                c->nstop);
        rs_jb_tree(b, g, "stopSequences", c->stop);
    }
    if (c->has & RS_NCFG_SEED)
        rs_jb_num(b, g, "seed", c->seed);
    if (c->has & RS_NCFG_PRESENCE) {
        if ((rc = rs_neutral_check_range(n, "presencePenalty", c->presence_penalty, -2, 2, err)))
            return rc;
        rs_jb_num(b, g, "presencePenalty", c->presence_penalty);
    }
    if (c->has & RS_NCFG_FREQUENCY) {
        if ((rc = rs_neutral_check_range(n, "frequencyPenalty", c->frequency_penalty, -2, 2, err)))
            return rc;
        rs_jb_num(b, g, "frequencyPenalty", c->frequency_penalty);
    }
    if (n->json_output) {
        rs_jb_ref(b, g, "responseMimeType", "application/json");
        if (n->schema)
            rs_jb_tree(b, g, "responseJsonSchema", n->schema);
    }
    return 0;
}

/* The model is in the endpoint, and so is streaming: the body carries neither. */
static int build_body(rs_jb *b, cJSON *root, const rs_neutral *n, const rs_service *svc,
                      const char *model, const rs_encode_opts *o, rs_error *err)
{
    int rc;
    if ((rc = add_contents(b, root, n, err)) != 0 || (rc = add_tools(b, root, n, err)) != 0 ||
        (rc = add_generation_config(b, root, n, err)) != 0)
        return rc;
    return 0;
}

int rs_gemini_encode(rs_str *body, const rs_service *svc, const char *model, const cJSON *rendered,
                     const rs_encode_opts *o, rs_error *err)
{
    return rs_neutral_encode(body, svc, model, rendered, o, build_body, err);
}

/* .../models/{model}:generateContent, or :streamGenerateContent?alt=sse (SSE framing). The model
 * may be given with its "models/" resource prefix; characters outside the URL-safe set are
 * percent-encoded. */
int rs_gemini_endpoint(rs_str *url, const rs_service *svc, const char *model, int stream,
                       rs_error *err)
{
    static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~";
    if (strncmp(model, "models/", 7) == 0)
        model += 7;
    rs_str_reset(url);
    rs_str_appendf(url, "%s/models/", svc->base_url);
    for (const char *c = model; *c; c++) {
        if (strchr(safe, *c))
            rs_str_putc(url, *c);
        else
            rs_str_appendf(url, "%%%02X", (unsigned char)*c);
    }
    rs_str_puts(url, stream ? ":streamGenerateContent?alt=sse" : ":generateContent");
    return rs_str_report(url, err, "the endpoint URL");
}

int rs_gemini_headers(rs_vec *headers, const rs_service *svc, const char *key_value, rs_error *err)
{
    int rc = 0;
    if (key_value && (rc = rs_header_add(headers, "x-goog-api-key", "", key_value, err)) != 0)
        return rc;
    return rs_header_add(headers, "Content-Type", "", "application/json", err);
}
