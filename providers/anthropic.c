/*
 * providers/anthropic.c - Anthropic Messages (shared/providers.md §2).
 *
 * System text goes to the top-level `system`; messages alternate user/assistant, so neighbours
 * that map to the same wire role (user and tool messages both become `user`) merge into one
 * message; tool results lead their user message, as the API requires after a tool_use turn.
 */
#include "providers/encode.h"
#include "providers/neutral.h"

#include <string.h>

/* Anthropic requires max_tokens; prompts that set no maxOutputTokens get this (documented). */
#define ANTHROPIC_DEFAULT_MAX_TOKENS 4096

static int is_user_side(rs_nrole r)
{
    return r == RS_NROLE_USER || r == RS_NROLE_TOOL;
}

/* Ids must match ^[a-zA-Z0-9_-]+$: other characters become '_' (on both the call and result). */
static void add_id(rs_jb *b, cJSON *parent, const char *key, const char *id)
{
    char buf[RS_NID_MAX];
    size_t i;
    for (i = 0; id[i] && i + 1 < sizeof buf; i++) {
        char c = id[i];
        int ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 c == '_' || c == '-';
        buf[i] = ok ? c : '_';
    }
    buf[i] = '\0';
    rs_jb_str(b, parent, key, buf);
}

static int add_media(rs_jb *b, cJSON *content, const rs_neutral *n, const rs_nmsg *m,
                     const rs_npart *p, rs_error *err)
{
    static const char *const images[] = {"image/jpeg", "image/png", "image/gif", "image/webp"};
    int is_image = 0;
    for (size_t i = 0; i < 4; i++)
        is_image |= strcmp(p->mime, images[i]) == 0;
    int is_pdf = strcmp(p->mime, "application/pdf") == 0;
    if (!p->mime[0] && !p->b64)
        is_image = 1; /* a URL without a known type: Anthropic fetches it and decides */
    if (m->role == RS_NROLE_ASSISTANT)
        return rs_error_set(err, RS_EUNSUPPORTED,
                            "message %d: anthropic takes images and documents only in user "
                            "messages, not in model messages",
                            m->index);
    if (!is_image && !is_pdf)
        return rs_error_set(err, RS_EUNSUPPORTED,
                            "message %d: anthropic takes images (jpeg, png, gif, webp) and PDF "
                            "documents; media of type '%s' cannot be sent",
                            m->index, p->mime[0] ? p->mime : "(unknown; set contentType)");
    cJSON *blk = rs_jb_obj(b, content, NULL);
    rs_jb_ref(b, blk, "type", is_image ? "image" : "document");
    cJSON *src = rs_jb_obj(b, blk, "source");
    if (p->b64) {
        rs_jb_ref(b, src, "type", "base64");
        rs_jb_str(b, src, "media_type", p->mime);
        rs_jb_ref(b, src, "data", p->b64);
    } else {
        rs_jb_ref(b, src, "type", "url");
        rs_jb_ref(b, src, "url", p->url);
    }
    (void)n;
    return 0;
}

static int add_part(rs_jb *b, cJSON *content, const rs_neutral *n, const rs_nmsg *m,
                    const rs_npart *p, rs_error *err)
{
    cJSON *blk;
    switch (p->kind) {
    case RS_NPART_TEXT:
        blk = rs_jb_obj(b, content, NULL);
        rs_jb_ref(b, blk, "type", "text");
        rs_jb_ref(b, blk, "text", p->text);
        return 0;
    case RS_NPART_MEDIA:
        return add_media(b, content, n, m, p, err);
    case RS_NPART_TOOL_CALL:
        if (p->value && !cJSON_IsNull(p->value) && !cJSON_IsObject(p->value))
            return rs_error_set(err, RS_EUNSUPPORTED,
                                "message %d: toolRequest '%s' has a non-object input; anthropic's "
                                "tool_use input must be an object",
                                m->index, p->name);
        blk = rs_jb_obj(b, content, NULL);
        rs_jb_ref(b, blk, "type", "tool_use");
        add_id(b, blk, "id", p->id);
        rs_jb_ref(b, blk, "name", p->name);
        if (p->value && cJSON_IsObject(p->value))
            rs_jb_tree(b, blk, "input", p->value);
        else
            rs_jb_obj(b, blk, "input");
        return 0;
    case RS_NPART_TOOL_RESULT: {
        char *owned = NULL;
        blk = rs_jb_obj(b, content, NULL);
        rs_jb_ref(b, blk, "type", "tool_result");
        add_id(b, blk, "tool_use_id", p->id);
        rs_jb_str(b, blk, "content", rs_npart_result_text(p, &owned));
        if (owned)
            cJSON_free(owned);
        else if (p->value && !cJSON_IsString(p->value) && !cJSON_IsNull(p->value))
            b->oom = 1;
        return 0;
    }
    }
    return 0;
}

static int add_messages(rs_jb *b, cJSON *root, const rs_neutral *n, rs_error *err)
{
    rs_str sys = RS_STR_INIT;
    int rc = 0;
    cJSON *msgs = NULL;
    size_t i = 0, emitted = 0; /* counted, not read back from the tree: it may be cut by OOM */
    /* every system message's text, in order, into the top-level system string */
    for (i = 0; i < n->msgs.len; i++) {
        const rs_nmsg *m = rs_neutral_msg(n, i);
        if (m->role != RS_NROLE_SYSTEM)
            continue;
        for (size_t k = 0; k < m->count; k++) {
            const rs_npart *p = rs_neutral_part(n, m->first + k);
            if (p->kind != RS_NPART_TEXT) {
                rc = rs_error_set(err, RS_EUNSUPPORTED,
                                  "message %d: anthropic's system prompt takes only text, and "
                                  "this system message has media",
                                  m->index);
                goto done;
            }
            if (sys.len > 0 && k == 0)
                rs_str_puts(&sys, "\n\n");
            rs_str_puts(&sys, p->text);
        }
    }
    if (rs_str_error(&sys)) {
        rc = rs_str_report(&sys, err, "the system prompt");
        goto done;
    }
    if (sys.len > 0)
        rs_jb_strn(b, root, "system", sys.ptr, sys.len);
    msgs = rs_jb_arr(b, root, "messages");
    /* groups of neighbours with the same wire role become one message */
    i = 0;
    while (i < n->msgs.len) {
        const rs_nmsg *m = rs_neutral_msg(n, i);
        if (m->role == RS_NROLE_SYSTEM) {
            i++;
            continue;
        }
        int user = is_user_side(m->role);
        size_t end = i;
        while (end < n->msgs.len) {
            const rs_nmsg *e = rs_neutral_msg(n, end);
            if (e->role != RS_NROLE_SYSTEM && is_user_side(e->role) != user)
                break;
            end++;
        }
        if (emitted == 0 && !user) {
            rc = rs_error_set(err, RS_EUNSUPPORTED,
                              "message %d: anthropic needs the conversation to start with a user "
                              "message, and this one starts with a model message",
                              m->index);
            goto done;
        }
        cJSON *msg = rs_jb_obj(b, msgs, NULL);
        emitted++;
        rs_jb_ref(b, msg, "role", user ? "user" : "assistant");
        cJSON *content = rs_jb_arr(b, msg, "content");
        /* pass 0: tool results first; pass 1: everything else, in order */
        for (int pass = user ? 0 : 1; pass < 2 && !rc; pass++)
            for (size_t j = i; j < end && !rc; j++) {
                const rs_nmsg *g = rs_neutral_msg(n, j);
                if (g->role == RS_NROLE_SYSTEM)
                    continue;
                for (size_t k = 0; k < g->count && !rc; k++) {
                    const rs_npart *p = rs_neutral_part(n, g->first + k);
                    if ((p->kind == RS_NPART_TOOL_RESULT) == (pass == 0))
                        rc = add_part(b, content, n, g, p, err);
                }
            }
        if (rc)
            goto done;
        i = end;
    }
    if (emitted == 0)
        rc = rs_error_set(err, RS_EUNSUPPORTED,
                          "anthropic needs at least one user message, and the prompt has only a "
                          "system prompt");
done:
    rs_str_free(&sys);
    return rc;
}

static int add_tools(rs_jb *b, cJSON *root, const rs_neutral *n, rs_error *err)
{
    if (n->tools.len == 0)
        return 0;
    cJSON *tools = rs_jb_arr(b, root, "tools");
    for (size_t i = 0; i < n->tools.len; i++) {
        const rs_ntool *t = rs_neutral_tool(n, i);
        size_t len = strlen(t->name);
        if (len > 64 || strspn(t->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789_-") != len)
            return rs_error_set(err, RS_EUNSUPPORTED,
                                "tool '%s': anthropic tool names must match ^[a-zA-Z0-9_-]{1,64}$",
                                t->name);
        const char *type = t->schema ? rs_json_string(t->schema, "type") : NULL;
        if (t->schema && (!type || strcmp(type, "object") != 0))
            return rs_error_set(err, RS_EUNSUPPORTED,
                                "tool '%s': anthropic needs an inputSchema of type object",
                                t->name);
        cJSON *o = rs_jb_obj(b, tools, NULL);
        rs_jb_ref(b, o, "name", t->name);
        if (t->description)
            rs_jb_ref(b, o, "description", t->description);
        if (t->schema) {
            rs_jb_tree(b, o, "input_schema", t->schema);
        } else {
            cJSON *s = rs_jb_obj(b, o, "input_schema");
            rs_jb_ref(b, s, "type", "object");
            rs_jb_obj(b, s, "properties");
        }
    }
    if (n->cfg.has & RS_NCFG_TOOL_CHOICE) {
        cJSON *tc = rs_jb_obj(b, root, "tool_choice");
        static const char *const types[] = {"auto", "none", "any", "tool"};
        rs_jb_ref(b, tc, "type", types[n->cfg.tool_choice]);
        if (n->cfg.tool_choice == RS_TC_NAMED)
            rs_jb_ref(b, tc, "name", n->cfg.tool_choice_name);
    }
    return 0;
}

static int add_sampling(rs_jb *b, cJSON *root, const rs_neutral *n, rs_error *err)
{
    const rs_nconfig *c = &n->cfg;
    int rc;
    rs_jb_num(b, root, "max_tokens",
              (c->has & RS_NCFG_MAX_TOKENS) ? (double)c->max_tokens : ANTHROPIC_DEFAULT_MAX_TOKENS);
    if (c->has & RS_NCFG_TEMPERATURE) {
        if ((rc = rs_neutral_check_range(n, "temperature", c->temperature, 0, 1, err)) != 0)
            return rc;
        rs_jb_num(b, root, "temperature", c->temperature);
    }
    if (c->has & RS_NCFG_TOP_P)
        rs_jb_num(b, root, "top_p", c->top_p);
    if (c->has & RS_NCFG_TOP_K)
        rs_jb_num(b, root, "top_k", (double)c->top_k);
    if (c->has & RS_NCFG_STOP)
        rs_jb_tree(b, root, "stop_sequences", c->stop);
    if (c->has & RS_NCFG_SEED)
        return rs_neutral_unsupported(n, "seed", "the Messages API has no seed", err);
    if (c->has & RS_NCFG_PRESENCE)
        return rs_neutral_unsupported(n, "presencePenalty", "the Messages API has no penalties",
                                      err);
    if (c->has & RS_NCFG_FREQUENCY)
        return rs_neutral_unsupported(n, "frequencyPenalty", "the Messages API has no penalties",
                                      err);
    return 0;
}

static int add_output(rs_jb *b, cJSON *root, const rs_neutral *n, rs_error *err)
{
    if (!n->json_output)
        return 0;
    if (!n->schema)
        return rs_error_set(err, RS_EUNSUPPORTED,
                            "anthropic has no JSON mode without a schema: structured output "
                            "(output_config.format) needs output.schema");
    cJSON *fmt = rs_jb_obj(b, rs_jb_obj(b, root, "output_config"), "format");
    rs_jb_ref(b, fmt, "type", "json_schema");
    rs_jb_tree(b, fmt, "schema", n->schema);
    return 0;
}

static int build_body(rs_jb *b, cJSON *root, const rs_neutral *n, const rs_service *svc,
                      const char *model, const rs_encode_opts *o, rs_error *err)
{
    int rc;
    rs_jb_ref(b, root, "model", model);
    if ((rc = add_sampling(b, root, n, err)) != 0 || (rc = add_messages(b, root, n, err)) != 0 ||
        (rc = add_tools(b, root, n, err)) != 0 || (rc = add_output(b, root, n, err)) != 0)
        return rc;
    if (o && o->stream)
        rs_jb_bool(b, root, "stream", 1);
    return 0;
}

int rs_anthropic_encode(rs_str *body, const rs_service *svc, const char *model,
                        const cJSON *rendered, const rs_encode_opts *o, rs_error *err)
{
    return rs_neutral_encode(body, svc, model, rendered, o, build_body, err);
}

int rs_anthropic_endpoint(rs_str *url, const rs_service *svc, const char *model, int stream,
                          rs_error *err)
{
    rs_str_reset(url);
    rs_str_appendf(url, "%s/v1/messages", svc->base_url);
    return rs_str_report(url, err, "the endpoint URL");
}

int rs_anthropic_headers(rs_vec *headers, const rs_service *svc, const char *key_value,
                         rs_error *err)
{
    int rc = 0;
    if (key_value && (rc = rs_header_add(headers, "x-api-key", "", key_value, err)) != 0)
        return rc;
    if ((rc = rs_header_add(headers, "anthropic-version", "", "2023-06-01", err)) != 0)
        return rc;
    return rs_header_add(headers, "content-type", "", "application/json", err);
}
