/*
 * providers/ollama.c - Ollama's native /api/chat (shared/providers.md §4).
 *
 * Like Chat Completions, but content is one string per message, images are base64 strings in
 * images[] (no URLs), tool-call arguments are objects, tool results name their tool, sampling
 * lives in options, and the API streams unless told "stream": false.
 */
#include "providers/encode.h"
#include "providers/neutral.h"

#include <string.h>

static const char *role_name(rs_nrole r)
{
    switch (r) {
    case RS_NROLE_SYSTEM:
        return "system";
    case RS_NROLE_USER:
        return "user";
    case RS_NROLE_ASSISTANT:
        return "assistant";
    case RS_NROLE_TOOL:
        return "tool";
    }
    return "user";
}

static int add_message(rs_jb *b, cJSON *msgs, const rs_neutral *n, const rs_nmsg *m, rs_str *s,
                       rs_error *err)
{
    cJSON *images = NULL, *calls = NULL, *msg;
    int texts = 0, nimages = 0, ncalls = 0;
    rs_str_reset(s);
    /* first what cannot be sent, and what the message holds */
    for (size_t k = 0; k < m->count; k++) {
        const rs_npart *p = rs_neutral_part(n, m->first + k);
        if (p->kind == RS_NPART_TEXT) {
            rs_str_puts(s, p->text);
            texts++;
        } else if (p->kind == RS_NPART_MEDIA) {
            if (!rs_npart_is_image(p))
                return rs_error_set(err, RS_EUNSUPPORTED,
                                    "message %d: ollama takes images only; media of type '%s' "
                                    "cannot be sent",
                                    m->index, p->mime[0] ? p->mime : "(unknown)");
            if (!p->b64)
                return rs_error_set(err, RS_EUNSUPPORTED,
                                    "message %d: ollama takes images only as base64 data "
                                    "(images[]) and cannot fetch the URL %.200s; inline the "
                                    "image as a data: URL",
                                    m->index, p->url);
            nimages++;
        } else if (p->kind == RS_NPART_TOOL_CALL) {
            if (p->value && !cJSON_IsNull(p->value) && !cJSON_IsObject(p->value))
                return rs_error_set(err, RS_EUNSUPPORTED,
                                    "message %d: toolRequest '%s' has a non-object input; "
                                    "ollama's tool-call arguments must be an object",
                                    m->index, p->name);
            ncalls++;
        }
    }
    if (rs_str_error(s))
        return rs_str_report(s, err, "message text");
    /* tool results become one tool message each, named by their tool */
    for (size_t k = 0; k < m->count; k++) {
        const rs_npart *p = rs_neutral_part(n, m->first + k);
        if (p->kind != RS_NPART_TOOL_RESULT)
            continue;
        char *owned = NULL;
        cJSON *t = rs_jb_obj(b, msgs, NULL);
        rs_jb_ref(b, t, "role", "tool");
        rs_jb_str(b, t, "content", rs_npart_result_text(p, &owned));
        rs_jb_ref(b, t, "tool_name", p->name);
        if (owned)
            cJSON_free(owned);
        else if (p->value && !cJSON_IsString(p->value) && !cJSON_IsNull(p->value))
            b->oom = 1;
    }
    if (texts == 0 && nimages == 0 && ncalls == 0)
        return 0; /* a message of tool results only */
    msg = rs_jb_obj(b, msgs, NULL);
    rs_jb_ref(b, msg, "role", role_name(m->role));
    rs_jb_strn(b, msg, "content", s->ptr ? s->ptr : "", s->len);
    if (nimages)
        images = rs_jb_arr(b, msg, "images");
    if (ncalls)
        calls = rs_jb_arr(b, msg, "tool_calls");
    for (size_t k = 0; k < m->count; k++) {
        const rs_npart *p = rs_neutral_part(n, m->first + k);
        if (p->kind == RS_NPART_MEDIA) {
            rs_jb_ref(b, images, NULL, p->b64); /* base64 without the data: prefix */
        } else if (p->kind == RS_NPART_TOOL_CALL) {
            cJSON *f = rs_jb_obj(b, rs_jb_obj(b, calls, NULL), "function");
            rs_jb_ref(b, f, "name", p->name);
            if (p->value && cJSON_IsObject(p->value))
                rs_jb_tree(b, f, "arguments", p->value);
            else
                rs_jb_obj(b, f, "arguments");
        }
    }
    return 0;
}

static int add_options(rs_jb *b, cJSON *root, const rs_neutral *n, rs_error *err)
{
    const rs_nconfig *c = &n->cfg;
    unsigned sampling = RS_NCFG_TEMPERATURE | RS_NCFG_TOP_P | RS_NCFG_TOP_K | RS_NCFG_MAX_TOKENS |
                        RS_NCFG_STOP | RS_NCFG_SEED | RS_NCFG_PRESENCE | RS_NCFG_FREQUENCY;
    if (!(c->has & sampling))
        return 0;
    cJSON *op = rs_jb_obj(b, root, "options");
    if (c->has & RS_NCFG_TEMPERATURE)
        rs_jb_num(b, op, "temperature", c->temperature);
    if (c->has & RS_NCFG_TOP_P)
        rs_jb_num(b, op, "top_p", c->top_p);
    if (c->has & RS_NCFG_TOP_K)
        rs_jb_num(b, op, "top_k", (double)c->top_k);
    if (c->has & RS_NCFG_MAX_TOKENS)
        rs_jb_num(b, op, "num_predict", (double)c->max_tokens);
    if (c->has & RS_NCFG_STOP)
        rs_jb_tree(b, op, "stop", c->stop);
    if (c->has & RS_NCFG_SEED)
        rs_jb_num(b, op, "seed", c->seed);
    if (c->has & RS_NCFG_PRESENCE)
        rs_jb_num(b, op, "presence_penalty", c->presence_penalty);
    if (c->has & RS_NCFG_FREQUENCY)
        rs_jb_num(b, op, "frequency_penalty", c->frequency_penalty);
    (void)err;
    return 0;
}

static int build_body(rs_jb *b, cJSON *root, const rs_neutral *n, const rs_service *svc,
                      const char *model, const rs_encode_opts *o, rs_error *err)
{
    rs_str s = RS_STR_INIT;
    int rc = 0;
    rs_jb_ref(b, root, "model", model);
    cJSON *msgs = rs_jb_arr(b, root, "messages");
    for (size_t i = 0; i < n->msgs.len; i++)
        if ((rc = add_message(b, msgs, n, rs_neutral_msg(n, i), &s, err)) != 0)
            goto done;
    if (n->tools.len > 0) {
        if ((n->cfg.has & RS_NCFG_TOOL_CHOICE) && n->cfg.tool_choice != RS_TC_AUTO) {
            rc = rs_neutral_unsupported(
                n, "toolChoice", "/api/chat has no tool_choice; only auto can be expressed", err);
            goto done;
        }
        cJSON *tools = rs_jb_arr(b, root, "tools");
        for (size_t i = 0; i < n->tools.len; i++) {
            const rs_ntool *t = rs_neutral_tool(n, i);
            cJSON *to = rs_jb_obj(b, tools, NULL);
            rs_jb_ref(b, to, "type", "function");
            cJSON *f = rs_jb_obj(b, to, "function");
            rs_jb_ref(b, f, "name", t->name);
            if (t->description)
                rs_jb_ref(b, f, "description", t->description);
            if (t->schema) {
                rs_jb_tree(b, f, "parameters", t->schema);
            } else {
                cJSON *p = rs_jb_obj(b, f, "parameters");
                rs_jb_ref(b, p, "type", "object");
                rs_jb_obj(b, p, "properties");
            }
        }
    }
    if (n->json_output) {
        if (n->schema)
            rs_jb_tree(b, root, "format", n->schema);
        else
            rs_jb_ref(b, root, "format", "json");
    }
    if ((rc = add_options(b, root, n, err)) != 0)
        goto done;
    rs_jb_bool(b, root, "stream", o && o->stream);
done:
    rs_str_free(&s);
    return rc;
}

int rs_ollama_encode(rs_str *body, const rs_service *svc, const char *model, const cJSON *rendered,
                     const rs_encode_opts *o, rs_error *err)
{
    return rs_neutral_encode(body, svc, model, rendered, o, build_body, err);
}

int rs_ollama_endpoint(rs_str *url, const rs_service *svc, const char *model, int stream,
                       rs_error *err)
{
    rs_str_reset(url);
    rs_str_appendf(url, "%s/api/chat", svc->base_url);
    return rs_str_report(url, err, "the endpoint URL");
}

int rs_ollama_headers(rs_vec *headers, const rs_service *svc, const char *key_value, rs_error *err)
{
    int rc = 0;
    if (key_value && (rc = rs_header_add(headers, "Authorization", "Bearer ", key_value, err)))
        return rc;
    return rs_header_add(headers, "Content-Type", "", "application/json", err);
}
