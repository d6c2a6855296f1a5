/*
 * providers/mock.c - the offline mock provider's request: a plain JSON echo of the neutral request
 * (the runner answers it without a network; see the transport). It shows exactly what every
 * dialect starts from, so it is also how to debug an encoding:
 *   {"model", "messages":[{"role"
 * (system|user|assistant|tool),"parts":[{"text"}|{"media":{"url","contentType"}}|
 *     {"toolCall":{"id","name","input"}}|{"toolResult":{"id","name","output"}}]}],
 *    "tools":[{"name","description","inputSchema"}], "config":{...}, "output":{"format","schema"},
 *    "stream"}
 */
#include "providers/encode.h"
#include "providers/neutral.h"

static void add_part(rs_jb *b, cJSON *parts, const rs_npart *p)
{
    cJSON *o = rs_jb_obj(b, parts, NULL), *x;
    switch (p->kind) {
    case RS_NPART_TEXT:
        rs_jb_ref(b, o, "text", p->text);
        break;
    case RS_NPART_MEDIA:
        x = rs_jb_obj(b, o, "media");
        rs_jb_ref(b, x, "url", p->url);
        if (p->mime[0])
            rs_jb_str(b, x, "contentType", p->mime);
        break;
    case RS_NPART_TOOL_CALL:
    case RS_NPART_TOOL_RESULT:
        x = rs_jb_obj(b, o, p->kind == RS_NPART_TOOL_CALL ? "toolCall" : "toolResult");
        rs_jb_str(b, x, "id", p->id);
        rs_jb_ref(b, x, "name", p->name);
        if (p->value)
            rs_jb_tree(b, x, p->kind == RS_NPART_TOOL_CALL ? "input" : "output", p->value);
        break;
    }
}

static void add_config(rs_jb *b, cJSON *root, const rs_neutral *n)
{
    const rs_nconfig *c = &n->cfg;
    cJSON *cfg = rs_jb_obj(b, root, "config");
    if (c->has & RS_NCFG_TEMPERATURE)
        rs_jb_num(b, cfg, "temperature", c->temperature);
    if (c->has & RS_NCFG_TOP_P)
        rs_jb_num(b, cfg, "topP", c->top_p);
    if (c->has & RS_NCFG_TOP_K)
        rs_jb_num(b, cfg, "topK", (double)c->top_k);
    if (c->has & RS_NCFG_MAX_TOKENS)
        rs_jb_num(b, cfg, "maxOutputTokens", (double)c->max_tokens);
    if (c->has & RS_NCFG_STOP)
        rs_jb_tree(b, cfg, "stopSequences", c->stop);
    if (c->has & RS_NCFG_SEED)
        rs_jb_num(b, cfg, "seed", c->seed);
    if (c->has & RS_NCFG_PRESENCE)
        rs_jb_num(b, cfg, "presencePenalty", c->presence_penalty);
    if (c->has & RS_NCFG_FREQUENCY)
        rs_jb_num(b, cfg, "frequencyPenalty", c->frequency_penalty);
    if (c->has & RS_NCFG_TOOL_CHOICE) {
        static const char *const names[] = {"auto", "none", "required"};
        rs_jb_ref(b, cfg, "toolChoice",
                  c->tool_choice == RS_TC_NAMED ? c->tool_choice_name : names[c->tool_choice]);
    }
}

static int build_body(rs_jb *b, cJSON *root, const rs_neutral *n, const rs_service *svc,
                      const char *model, const rs_encode_opts *o, rs_error *err)
{
    rs_jb_ref(b, root, "model", model);
    cJSON *msgs = rs_jb_arr(b, root, "messages");
    for (size_t i = 0; i < n->msgs.len; i++) {
        const rs_nmsg *m = rs_neutral_msg(n, i);
        cJSON *mo = rs_jb_obj(b, msgs, NULL);
        rs_jb_ref(b, mo, "role",
                  m->role == RS_NROLE_ASSISTANT ? "assistant" : rs_nrole_name(m->role));
        cJSON *parts = rs_jb_arr(b, mo, "parts");
        for (size_t k = 0; k < m->count; k++)
            add_part(b, parts, rs_neutral_part(n, m->first + k));
    }
    if (n->tools.len > 0) {
        cJSON *tools = rs_jb_arr(b, root, "tools");
        for (size_t i = 0; i < n->tools.len; i++) {
            const rs_ntool *t = rs_neutral_tool(n, i);
            cJSON *to = rs_jb_obj(b, tools, NULL);
            rs_jb_ref(b, to, "name", t->name);
            if (t->description)
                rs_jb_ref(b, to, "description", t->description);
            if (t->schema)
                rs_jb_tree(b, to, "inputSchema", t->schema);
        }
    }
    add_config(b, root, n);
    if (n->json_output) {
        cJSON *out = rs_jb_obj(b, root, "output");
        rs_jb_ref(b, out, "format", "json");
        if (n->schema)
            rs_jb_tree(b, out, "schema", n->schema);
    }
    rs_jb_bool(b, root, "stream", o && o->stream);
    return 0;
}

int rs_mock_encode(rs_str *body, const rs_service *svc, const char *model, const cJSON *rendered,
                   const rs_encode_opts *o, rs_error *err)
{
    return rs_neutral_encode(body, svc, model, rendered, o, build_body, err);
}

int rs_mock_endpoint(rs_str *url, const rs_service *svc, const char *model, int stream,
                     rs_error *err)
{
    rs_str_reset(url);
    rs_str_appendf(url, "%s/v1/chat", svc->base_url);
    return rs_str_report(url, err, "the endpoint URL");
}

int rs_mock_headers(rs_vec *headers, const rs_service *svc, const char *key_value, rs_error *err)
{
    return rs_header_add(headers, "Content-Type", "", "application/json", err);
}
