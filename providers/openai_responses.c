/*
 * providers/openai_responses.c - the OpenAI Responses API (shared/providers.md §1b).
 *
 * Leading system messages become `instructions`; the rest of the conversation is `input` items:
 * messages, function_call items for tool calls and function_call_output items for results.
 */
#include "providers/encode.h"
#include "providers/neutral.h"
#include "providers/openai_common.h"

#include <string.h>

static int add_message_content(rs_jb *b, cJSON *item, const rs_neutral *n, const rs_nmsg *m,
                               rs_error *err)
{
    int assistant = m->role == RS_NROLE_ASSISTANT, media = 0;
    for (size_t k = 0; k < m->count; k++)
        media |= rs_neutral_part(n, m->first + k)->kind == RS_NPART_MEDIA;
    if (!media) {
        /* text only: the plain-string form (one unambiguous input item shape) */
        rs_str s = RS_STR_INIT;
        for (size_t k = 0; k < m->count; k++) {
            const rs_npart *p = rs_neutral_part(n, m->first + k);
            if (p->kind == RS_NPART_TEXT)
                rs_str_puts(&s, p->text);
        }
        int rc = rs_str_report(&s, err, "message text");
        if (!rc)
            rs_jb_strn(b, item, "content", s.ptr ? s.ptr : "", s.len);
        rs_str_free(&s);
        return rc;
    }
    cJSON *arr = rs_jb_arr(b, item, "content");
    for (size_t k = 0; k < m->count; k++) {
        const rs_npart *p = rs_neutral_part(n, m->first + k);
        if (p->kind == RS_NPART_TEXT) {
            cJSON *t = rs_jb_obj(b, arr, NULL);
            rs_jb_ref(b, t, "type", assistant ? "output_text" : "input_text");
            rs_jb_ref(b, t, "text", p->text);
        } else if (p->kind == RS_NPART_MEDIA) {
            int rc = rs_openai_media_check(n, m, p, err);
            if (rc)
                return rc;
            cJSON *t = rs_jb_obj(b, arr, NULL);
            rs_jb_ref(b, t, "type", "input_image");
            rs_jb_ref(b, t, "image_url", p->url);
            rs_jb_ref(b, t, "detail", "auto");
        }
    }
    return 0;
}

static int add_input(rs_jb *b, cJSON *root, const rs_neutral *n, rs_error *err)
{
    rs_str ins = RS_STR_INIT;
    const char *sys_role = rs_openai_is_reasoning_model(n->model) ? "developer" : "system";
    int rc = 0;
    size_t i = 0;
    /* the leading run of system messages is the instructions */
    for (; i < n->msgs.len && rs_neutral_msg(n, i)->role == RS_NROLE_SYSTEM; i++) {
        const rs_nmsg *m = rs_neutral_msg(n, i);
        for (size_t k = 0; k < m->count; k++) {
            const rs_npart *p = rs_neutral_part(n, m->first + k);
            if (p->kind != RS_NPART_TEXT) {
                rc = rs_error_set(err, RS_EUNSUPPORTED,
                                  "message %d: %s takes only text in instructions, and this "
                                  "system message has media",
                                  m->index, n->svc->name);
                goto done;
            }
            if (ins.len > 0 && k == 0)
                rs_str_puts(&ins, "\n\n");
            rs_str_puts(&ins, p->text);
        }
    }
    if (rs_str_error(&ins)) {
        rc = rs_str_report(&ins, err, "the instructions");
        goto done;
    }
    if (ins.len > 0)
        rs_jb_strn(b, root, "instructions", ins.ptr, ins.len);
    cJSON *input = rs_jb_arr(b, root, "input");
    for (; i < n->msgs.len && !rc; i++) {
        const rs_nmsg *m = rs_neutral_msg(n, i);
        int has_content = 0;
        for (size_t k = 0; k < m->count; k++) {
            const rs_npart *p = rs_neutral_part(n, m->first + k);
            if (p->kind == RS_NPART_TOOL_RESULT) {
                char *owned = NULL;
                cJSON *it = rs_jb_obj(b, input, NULL);
                rs_jb_ref(b, it, "type", "function_call_output");
                rs_jb_str(b, it, "call_id", p->id);
                rs_jb_str(b, it, "output", rs_npart_result_text(p, &owned));
                if (owned)
                    cJSON_free(owned);
                else if (p->value && !cJSON_IsString(p->value) && !cJSON_IsNull(p->value))
                    b->oom = 1;
            } else if (p->kind == RS_NPART_TEXT || p->kind == RS_NPART_MEDIA) {
                has_content = 1;
            }
        }
        if (has_content) {
            if (m->role == RS_NROLE_SYSTEM) {
                for (size_t k = 0; k < m->count; k++)
                    if (rs_neutral_part(n, m->first + k)->kind == RS_NPART_MEDIA) {
                        rc = rs_error_set(err, RS_EUNSUPPORTED,
                                          "message %d: %s takes only text in system messages",
                                          m->index, n->svc->name);
                        goto done;
                    }
            }
            cJSON *it = rs_jb_obj(b, input, NULL);
            rs_jb_ref(b, it, "role",
                      m->role == RS_NROLE_SYSTEM      ? sys_role
                      : m->role == RS_NROLE_ASSISTANT ? "assistant"
                                                      : "user");
            if ((rc = add_message_content(b, it, n, m, err)) != 0)
                goto done;
        }
        for (size_t k = 0; k < m->count; k++) {
            const rs_npart *p = rs_neutral_part(n, m->first + k);
            if (p->kind != RS_NPART_TOOL_CALL)
                continue;
            cJSON *it = rs_jb_obj(b, input, NULL);
            rs_jb_ref(b, it, "type", "function_call");
            rs_jb_str(b, it, "call_id", p->id);
            rs_jb_ref(b, it, "name", p->name);
            if (p->value && !cJSON_IsNull(p->value)) {
                char *args = cJSON_PrintUnformatted(p->value);
                if (!args) {
                    b->oom = 1;
                    goto done;
                }
                rs_jb_str(b, it, "arguments", args);
                cJSON_free(args);
            } else {
                rs_jb_ref(b, it, "arguments", "{}");
            }
        }
    }
done:
    rs_str_free(&ins);
    return rc;
}

static int add_tools_and_format(rs_jb *b, cJSON *root, const rs_neutral *n, rs_error *err)
{
    int rc;
    if (n->tools.len > 0) {
        cJSON *tools = rs_jb_arr(b, root, "tools");
        for (size_t i = 0; i < n->tools.len; i++) {
            cJSON *t = rs_jb_obj(b, tools, NULL);
            rs_jb_ref(b, t, "type", "function");
            rs_openai_tool_def(b, t, rs_neutral_tool(n, i));
            /* Responses makes function tools strict unless told; Dotprompt schemas are not */
            rs_jb_bool(b, t, "strict", 0);
        }
        if (n->cfg.has & RS_NCFG_TOOL_CHOICE) {
            static const char *const modes[] = {"auto", "none", "required"};
            if (n->cfg.tool_choice == RS_TC_NAMED) {
                cJSON *tc = rs_jb_obj(b, root, "tool_choice");
                rs_jb_ref(b, tc, "type", "function");
                rs_jb_ref(b, tc, "name", n->cfg.tool_choice_name);
            } else {
                rs_jb_ref(b, root, "tool_choice", modes[n->cfg.tool_choice]);
            }
        }
    }
    if (!n->json_output)
        return 0;
    cJSON *fmt = rs_jb_obj(b, rs_jb_obj(b, root, "text"), "format");
    if (n->schema) {
        char name[65];
        if ((rc = rs_openai_schema_is_object(n, n->svc->name, err)) != 0)
            return rc;
        rs_openai_schema_name(name, n);
        rs_jb_ref(b, fmt, "type", "json_schema");
        rs_jb_str(b, fmt, "name", name);
        rs_jb_tree(b, fmt, "schema", n->schema);
    } else {
        if (!rs_openai_mentions_json(n))
            return rs_error_set(err, RS_EUNSUPPORTED,
                                "output.format json without a schema is %s's JSON mode, which "
                                "requires the word \"JSON\" in the input; say it in the prompt "
                                "or add output.schema",
                                n->svc->name);
        rs_jb_ref(b, fmt, "type", "json_object");
    }
    return 0;
}

static int add_sampling(rs_jb *b, cJSON *root, const rs_neutral *n, rs_error *err)
{
    const rs_nconfig *c = &n->cfg;
    int reasoning = rs_openai_is_reasoning_model(n->model);
    int rc = rs_openai_temperature_top_p(b, root, n, reasoning, err);
    if (rc != 0)
        return rc;
    if (c->has & RS_NCFG_MAX_TOKENS) {
        if (c->max_tokens < 16)
            return rs_error_set(err, RS_EUNSUPPORTED,
                                "config.maxOutputTokens = %ld is out of range for %s (accepted: "
                                "16 or more)",
                                c->max_tokens, n->svc->name);
        rs_jb_num(b, root, "max_output_tokens", (double)c->max_tokens);
    }
    if (c->has & RS_NCFG_TOP_K)
        return rs_neutral_unsupported(n, "topK", "the Responses API has no top_k", err);
    if (c->has & RS_NCFG_STOP)
        return rs_neutral_unsupported(n, "stopSequences", "the Responses API has no stop sequences",
                                      err);
    if (c->has & RS_NCFG_SEED)
        return rs_neutral_unsupported(n, "seed", "the Responses API has no seed", err);
    if (c->has & RS_NCFG_PRESENCE)
        return rs_neutral_unsupported(n, "presencePenalty", "the Responses API has no penalties",
                                      err);
    if (c->has & RS_NCFG_FREQUENCY)
        return rs_neutral_unsupported(n, "frequencyPenalty", "the Responses API has no penalties",
                                      err);
    return 0;
}

static int build_body(rs_jb *b, cJSON *root, const rs_neutral *n, const rs_service *svc,
                      const char *model, const rs_encode_opts *o, rs_error *err)
{
    int rc;
    rs_jb_ref(b, root, "model", model);
    if ((rc = add_input(b, root, n, err)) != 0 ||
        (rc = add_tools_and_format(b, root, n, err)) != 0 ||
        (rc = add_sampling(b, root, n, err)) != 0)
        return rc;
    if (o && o->stream)
        rs_jb_bool(b, root, "stream", 1);
    return 0;
}

int rs_openai_responses_encode(rs_str *body, const rs_service *svc, const char *model,
                               const cJSON *rendered, const rs_encode_opts *o, rs_error *err)
{
    return rs_neutral_encode(body, svc, model, rendered, o, build_body, err);
}

int rs_openai_responses_endpoint(rs_str *url, const rs_service *svc, const char *model, int stream,
                                 rs_error *err)
{
    rs_str_reset(url);
    rs_str_appendf(url, "%s/responses", svc->base_url);
    return rs_str_report(url, err, "the endpoint URL");
}

int rs_openai_responses_headers(rs_vec *headers, const rs_service *svc, const char *key_value,
                                rs_error *err)
{
    int rc = 0;
    if (key_value && (rc = rs_header_add(headers, "Authorization", "Bearer ", key_value, err)))
        return rc;
    return rs_header_add(headers, "Content-Type", "", "application/json", err);
}
