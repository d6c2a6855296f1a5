/*
 * providers/neutral.c - RenderedPrompt -> neutral messages, tools and config (the mechanism the
 * dialect encoders share), plus the sticky cJSON builder they write with.
 */
#include "providers/neutral.h"

#include "util/alloc.h"
#include "util/arena.h"
#include "util/jsnum.h"
#include "util/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *rs_nrole_name(rs_nrole r)
{
    switch (r) {
    case RS_NROLE_SYSTEM:
        return "system";
    case RS_NROLE_USER:
        return "user";
    case RS_NROLE_ASSISTANT:
        return "model";
    case RS_NROLE_TOOL:
        return "tool";
    }
    return "?";
}

/* ---------- messages and parts ---------- */

static int parse_role(rs_nrole *out, const char *s)
{
    if (!s)
        return -1;
    if (strcmp(s, "system") == 0)
        *out = RS_NROLE_SYSTEM;
    else if (strcmp(s, "user") == 0)
        *out = RS_NROLE_USER;
    else if (strcmp(s, "model") == 0 || strcmp(s, "assistant") == 0)
        *out = RS_NROLE_ASSISTANT;
    else if (strcmp(s, "tool") == 0)
        *out = RS_NROLE_TOOL;
    else
        return -1;
    return 0;
}

static int copy_field(char *dst, size_t size, const char *src, size_t n)
{
    if (n >= size)
        return -1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return 0;
}

/* The media type a URL's file extension implies, "" when the extension is not a known one. */
static const char *mime_from_extension(const char *url)
{
    static const struct {
        const char *ext;
        const char *mime;
    } table[] = {{".png", "image/png"},  {".jpg", "image/jpeg"},  {".jpeg", "image/jpeg"},
                 {".gif", "image/gif"},  {".webp", "image/webp"}, {".pdf", "application/pdf"},
                 {".mp3", "audio/mpeg"}, {".wav", "audio/wav"},   {".mp4", "video/mp4"},
                 {".txt", "text/plain"}};
    size_t end = strcspn(url, "?#");
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        size_t el = strlen(table[i].ext);
        if (end >= el) {
            const char *tail = url + end - el;
            size_t k = 0;
            while (k < el && (tail[k] | 0x20) == table[i].ext[k])
                k++;
            if (k == el)
                return table[i].mime;
        }
    }
    return "";
}

static int parse_media(rs_npart *p, const cJSON *media, int msg_index, rs_error *err)
{
    const char *url = rs_json_string(media, "url");
    const char *ctype = rs_json_string(media, "contentType");
    if (!url || !*url)
        return rs_error_set(err, RS_EINVAL, "message %d: a media part needs a non-empty url",
                            msg_index);
    p->kind = RS_NPART_MEDIA;
    p->url = url;
    if (strncmp(url, "data:", 5) == 0) {
        const char *comma = strchr(url, ',');
        if (!comma)
            return rs_error_set(err, RS_EINVAL, "message %d: malformed data: URL (no ',')",
                                msg_index);
        const char *hdr = url + 5;
        size_t hlen = (size_t)(comma - hdr);
        if (hlen < 7 || memcmp(comma - 7, ";base64", 7) != 0)
            return rs_error_set(err, RS_EUNSUPPORTED,
                                "message %d: only base64 data: URLs can be sent to a provider "
                                "(data:TYPE;base64,...)",
                                msg_index);
        size_t mlen = strcspn(hdr, ";,");
        if (!ctype && copy_field(p->mime, sizeof p->mime, hdr, mlen) != 0)
            return rs_error_set(err, RS_EINVAL, "message %d: data: URL media type is too long",
                                msg_index);
        p->b64 = comma + 1;
    } else {
        if (!ctype)
            ctype = mime_from_extension(url);
    }
    if (ctype && copy_field(p->mime, sizeof p->mime, ctype, strlen(ctype)) != 0)
        return rs_error_set(err, RS_EINVAL, "message %d: media contentType is too long", msg_index);
    return 0;
}

static int set_id(rs_npart *p, const char *ref, int msg_index, rs_error *err)
{
    if (copy_field(p->id, sizeof p->id, ref, strlen(ref)) != 0)
        return rs_error_set(err, RS_ELIMIT, "message %d: tool ref is longer than %d bytes",
                            msg_index, RS_NID_MAX - 1);
    return 0;
}

/* One part of message msg_index into n->parts (or nothing for empty text and pending sections). */
static int add_part(rs_neutral *n, rs_nrole role, const cJSON *part, int msg_index, int *calls,
                    rs_error *err)
{
    rs_npart p;
    memset(&p, 0, sizeof p);
    const cJSON *v;
    if (!cJSON_IsObject(part))
        return rs_error_set(err, RS_EINVAL, "message %d: a content part must be an object",
                            msg_index);
    if ((v = cJSON_GetObjectItemCaseSensitive(part, "text")) != NULL) {
        if (!cJSON_IsString(v))
            return rs_error_set(err, RS_EINVAL, "message %d: a text part's text must be a string",
                                msg_index);
        if (v->valuestring[0] == '\0')
            return 0;
        p.kind = RS_NPART_TEXT;
        p.text = v->valuestring;
    } else if ((v = cJSON_GetObjectItemCaseSensitive(part, "media")) != NULL) {
        if (!cJSON_IsObject(v))
            return rs_error_set(err, RS_EINVAL, "message %d: media must be an object", msg_index);
        int rc = parse_media(&p, v, msg_index, err);
        if (rc)
            return rc;
    } else if ((v = cJSON_GetObjectItemCaseSensitive(part, "toolRequest")) != NULL) {
        const char *name = rs_json_string(v, "name");
        const char *ref = rs_json_string(v, "ref");
        if (!name || !*name)
            return rs_error_set(err, RS_EINVAL, "message %d: a toolRequest needs a name",
                                msg_index);
        if (role != RS_NROLE_ASSISTANT)
            return rs_error_set(err, RS_EINVAL,
                                "message %d: toolRequest '%s' is in a %s message; tool requests "
                                "belong in model messages",
                                msg_index, name, rs_nrole_name(role));
        p.kind = RS_NPART_TOOL_CALL;
        p.name = name;
        p.value = cJSON_GetObjectItemCaseSensitive(v, "input");
        (*calls)++;
        if (ref && *ref) {
            int rc = set_id(&p, ref, msg_index, err);
            if (rc)
                return rc;
        } else {
            snprintf(p.id, sizeof p.id, "call_%d", *calls);
        }
    } else if ((v = cJSON_GetObjectItemCaseSensitive(part, "toolResponse")) != NULL) {
        const char *name = rs_json_string(v, "name");
        const char *ref = rs_json_string(v, "ref");
        if (!name || !*name)
            return rs_error_set(err, RS_EINVAL, "message %d: a toolResponse needs a name",
                                msg_index);
        if (role != RS_NROLE_TOOL && role != RS_NROLE_USER)
            return rs_error_set(err, RS_EINVAL,
                                "message %d: toolResponse '%s' is in a %s message; tool responses "
                                "belong in tool messages",
                                msg_index, name, rs_nrole_name(role));
        p.kind = RS_NPART_TOOL_RESULT;
        p.name = name;
        p.value = cJSON_GetObjectItemCaseSensitive(v, "output");
        if (ref && *ref) {
            int rc = set_id(&p, ref, msg_index, err);
            if (rc)
                return rc;
        }
        /* without a ref the id is found by pair_results() once all parts are known */
    } else if (cJSON_GetObjectItemCaseSensitive(part, "data")) {
        return rs_error_set(err, RS_EUNSUPPORTED,
                            "message %d: a data part has no provider encoding; render it as text "
                            "(e.g. {{json value}})",
                            msg_index);
    } else if (cJSON_GetObjectItemCaseSensitive(part, "metadata")) {
        return 0; /* a pending {{section}} placeholder: nothing to send */
    } else {
        return rs_error_set(err, RS_EUNSUPPORTED,
                            "message %d: unknown content part (expected text, media, toolRequest "
                            "or toolResponse)",
                            msg_index);
    }
    if (role == RS_NROLE_TOOL && p.kind != RS_NPART_TOOL_RESULT)
        return rs_error_set(err, RS_EINVAL,
                            "message %d: a tool message may carry only toolResponse parts",
                            msg_index);
    if (rs_vec_push(&n->parts, &p) != 0)
        return rs_error_set(err, RS_ENOMEM, "out of memory");
    return 0;
}

/*
 * A toolResponse without a ref answers the earliest earlier toolRequest of the same name that no
 * response has answered yet (Genkit's refs are optional; every wire format needs the pairing).
 */
static int pair_results(rs_neutral *n, rs_error *err)
{
    size_t np = n->parts.len;
    int rc = 0;
    unsigned char *answered = np ? rs_calloc(np, 1) : NULL;
    if (np && !answered)
        return rs_error_set(err, RS_ENOMEM, "out of memory");
    for (size_t i = 0; i < np; i++) {
        rs_npart *r = &RS_VEC_AT(&n->parts, rs_npart, i);
        if (r->kind != RS_NPART_TOOL_RESULT)
            continue;
        size_t match = np;
        for (size_t j = 0; j < i; j++) {
            rs_npart *c = &RS_VEC_AT(&n->parts, rs_npart, j);
            if (c->kind != RS_NPART_TOOL_CALL || answered[j])
                continue;
            if (r->id[0] ? strcmp(c->id, r->id) == 0 : strcmp(c->name, r->name) == 0) {
                match = j;
                break;
            }
        }
        if (match == np) {
            if (r->id[0])
                continue; /* answers a call outside this history; the id is all we need */
            rc = rs_error_set(err, RS_EINVAL,
                              "toolResponse '%s' has no ref and answers no earlier toolRequest "
                              "named '%s'",
                              r->name, r->name);
            goto done;
        }
        answered[match] = 1;
        if (!r->id[0])
            memcpy(r->id, RS_VEC_AT(&n->parts, rs_npart, match).id, RS_NID_MAX);
    }
done:
    rs_free(answered);
    return rc;
}

static int walk_messages(rs_neutral *n, const cJSON *messages, rs_error *err)
{
    int calls = 0, i = 0;
    size_t nparts = 0, nmsgs = 0;
    const cJSON *m;
    /* one allocation per vector, not a growth series */
    cJSON_ArrayForEach(m, messages)
    {
        nmsgs++;
        nparts += (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(m, "content"));
    }
    if ((nmsgs && rs_vec_reserve(&n->msgs, nmsgs) != 0) ||
        (nparts && rs_vec_reserve(&n->parts, nparts) != 0))
        return rs_error_set(err, RS_ENOMEM, "out of memory");
    cJSON_ArrayForEach(m, messages)
    {
        i++;
        rs_nrole role;
        const char *rname = rs_json_string(m, "role");
        if (parse_role(&role, rname) != 0)
            return rs_error_set(err, RS_EINVAL,
                                "message %d: role '%s' is not one of system, user, model, tool", i,
                                rname ? rname : "(missing)");
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
        if (!cJSON_IsArray(content))
            return rs_error_set(err, RS_EINVAL, "message %d: content must be an array of parts", i);
        rs_nmsg msg = {role, n->parts.len, 0, i};
        const cJSON *part;
        cJSON_ArrayForEach(part, content)
        {
            int rc = add_part(n, role, part, i, &calls, err);
            if (rc)
                return rc;
        }
        msg.count = n->parts.len - msg.first;
        if (msg.count == 0)
            continue;
        if (rs_vec_push(&n->msgs, &msg) != 0)
            return rs_error_set(err, RS_ENOMEM, "out of memory");
    }
    return pair_results(n, err);
}

/* ---------- tools ---------- */

static int find_tool(const rs_neutral *n, const char *name)
{
    for (size_t i = 0; i < n->tools.len; i++)
        if (strcmp(rs_neutral_tool(n, i)->name, name) == 0)
            return (int)i;
    return -1;
}

static int walk_tools(rs_neutral *n, const cJSON *rendered, rs_error *err)
{
    const cJSON *defs = cJSON_GetObjectItemCaseSensitive(rendered, "toolDefs");
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(rendered, "tools");
    const cJSON *d;
    if (defs && !cJSON_IsArray(defs))
        return rs_error_set(err, RS_EINVAL, "toolDefs must be an array");
    if (names && !cJSON_IsArray(names))
        return rs_error_set(err, RS_EINVAL, "tools must be an array of tool names");
    cJSON_ArrayForEach(d, defs)
    {
        rs_ntool t = {rs_json_string(d, "name"), rs_json_string(d, "description"),
                      cJSON_GetObjectItemCaseSensitive(d, "inputSchema")};
        if (!t.name || !*t.name)
            return rs_error_set(err, RS_EINVAL, "a toolDefs entry has no name");
        if (t.schema && !cJSON_IsObject(t.schema))
            return rs_error_set(err, RS_EINVAL, "tool '%s': inputSchema must be an object", t.name);
        if (find_tool(n, t.name) >= 0)
            return rs_error_set(err, RS_EINVAL, "tool '%s' is defined twice in toolDefs", t.name);
        if (rs_vec_push(&n->tools, &t) != 0)
            return rs_error_set(err, RS_ENOMEM, "out of memory");
    }
    cJSON_ArrayForEach(d, names)
    {
        if (!cJSON_IsString(d))
            return rs_error_set(err, RS_EINVAL, "tools must be an array of tool names");
        if (find_tool(n, d->valuestring) < 0)
            return rs_error_set(err, RS_EUNSUPPORTED,
                                "tool '%s' is named in tools but has no definition: add it to "
                                "toolDefs with a name, description and inputSchema",
                                d->valuestring);
    }
    return 0;
}

/* ---------- config ---------- */

static int want_number(const cJSON *v, const char *key, double *out, rs_error *err)
{
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return rs_error_set(err, RS_EINVAL, "config.%s must be a number", key);
    *out = v->valuedouble;
    return 0;
}

static int want_integer(const cJSON *v, const char *key, double lo, double *out, rs_error *err)
{
    double d = 0;
    int rc = want_number(v, key, &d, err);
    if (rc)
        return rc;
    if (d != floor(d) || d < lo || d > 9007199254740991.0)
        return rs_error_set(err, RS_EINVAL, "config.%s must be an integer >= %.0f, got %g", key, lo,
                            d);
    *out = d;
    return 0;
}

/* Known snake_case spellings, to point at the Dotprompt name instead of a bare "unknown". */
static const char *hint_for(const char *key)
{
    static const char *const pairs[][2] = {{"max_tokens", "maxOutputTokens"},
                                           {"maxTokens", "maxOutputTokens"},
                                           {"max_output_tokens", "maxOutputTokens"},
                                           {"max_completion_tokens", "maxOutputTokens"},
                                           {"top_p", "topP"},
                                           {"top_k", "topK"},
                                           {"stop", "stopSequences"},
                                           {"stop_sequences", "stopSequences"},
                                           {"presence_penalty", "presencePenalty"},
                                           {"frequency_penalty", "frequencyPenalty"},
                                           {"tool_choice", "toolChoice"},
                                           {"random_seed", "seed"}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        if (strcmp(pairs[i][0], key) == 0)
            return pairs[i][1];
    return NULL;
}

static int parse_stop(rs_nconfig *c, const cJSON *v, rs_error *err)
{
    const cJSON *s;
    if (cJSON_IsString(v)) {
        c->stop_owned = cJSON_CreateArray();
        cJSON *one = cJSON_CreateStringReference(v->valuestring);
        if (!c->stop_owned || !one || !cJSON_AddItemToArray(c->stop_owned, one)) {
            cJSON_Delete(one);
            return rs_error_set(err, RS_ENOMEM, "out of memory");
        }
        c->stop = c->stop_owned;
        c->nstop = 1;
        return 0;
    }
    if (!cJSON_IsArray(v))
        return rs_error_set(err, RS_EINVAL,
                            "config.stopSequences must be a string or an array "
                            "of strings");
    cJSON_ArrayForEach(s, v)
    {
        if (!cJSON_IsString(s) || !s->valuestring[0])
            return rs_error_set(err, RS_EINVAL,
                                "config.stopSequences must contain only non-empty strings");
        c->nstop++;
    }
    c->stop = v;
    return 0;
}

static int parse_tool_choice(rs_neutral *n, const cJSON *v, rs_error *err)
{
    rs_nconfig *c = &n->cfg;
    if (!cJSON_IsString(v))
        return rs_error_set(err, RS_EINVAL,
                            "config.toolChoice must be \"auto\", \"none\", \"required\" or a tool "
                            "name");
    const char *s = v->valuestring;
    if (strcmp(s, "auto") == 0)
        c->tool_choice = RS_TC_AUTO;
    else if (strcmp(s, "none") == 0)
        c->tool_choice = RS_TC_NONE;
    else if (strcmp(s, "required") == 0 || strcmp(s, "any") == 0)
        c->tool_choice = RS_TC_REQUIRED;
    else if (find_tool(n, s) >= 0) {
        c->tool_choice = RS_TC_NAMED;
        c->tool_choice_name = s;
    } else
        return rs_error_set(err, RS_EINVAL,
                            "config.toolChoice '%s' is neither auto, none, required nor the name "
                            "of a tool in toolDefs",
                            s);
    if (n->tools.len == 0)
        return rs_error_set(err, RS_EINVAL, "config.toolChoice is set but the prompt has no tools");
    c->has |= RS_NCFG_TOOL_CHOICE;
    return 0;
}

/*
 * The Dotprompt/Genkit config keys every dialect maps (temperature, maxOutputTokens, topP, topK,
 * stopSequences, seed, presencePenalty, frequencyPenalty, toolChoice). An object-valued key is a
 * provider's passthrough block: config.<service> is kept for that service only, the others are
 * left for the services they name. Any other scalar key is an error, never silently dropped.
 */
static int walk_config(rs_neutral *n, const cJSON *config, rs_error *err)
{
    rs_nconfig *c = &n->cfg;
    const cJSON *v;
    int rc = 0;
    double d = 0;
    if (!config || cJSON_IsNull(config))
        return 0;
    if (!cJSON_IsObject(config))
        return rs_error_set(err, RS_EINVAL, "config must be an object");
    cJSON_ArrayForEach(v, config)
    {
        const char *k = v->string;
        if (cJSON_IsNull(v))
            continue; /* YAML `key:` with no value: unset */
        if (strcmp(k, "temperature") == 0) {
            rc = want_number(v, k, &c->temperature, err);
            if (!rc && c->temperature < 0)
                rc = rs_error_set(err, RS_EINVAL, "config.temperature must be >= 0, got %g",
                                  c->temperature);
            c->has |= RS_NCFG_TEMPERATURE;
        } else if (strcmp(k, "topP") == 0) {
            rc = want_number(v, k, &c->top_p, err);
            if (!rc && (c->top_p < 0 || c->top_p > 1))
                rc = rs_error_set(err, RS_EINVAL, "config.topP must be between 0 and 1, got %g",
                                  c->top_p);
            c->has |= RS_NCFG_TOP_P;
        } else if (strcmp(k, "topK") == 0) {
            rc = want_integer(v, k, 1, &d, err);
            c->top_k = (long)d;
            c->has |= RS_NCFG_TOP_K;
        } else if (strcmp(k, "maxOutputTokens") == 0) {
            rc = want_integer(v, k, 1, &d, err);
            c->max_tokens = (long)d;
            c->has |= RS_NCFG_MAX_TOKENS;
        } else if (strcmp(k, "seed") == 0) {
            rc = want_number(v, k, &c->seed, err);
            if (!rc && (c->seed != floor(c->seed) || fabs(c->seed) > 9007199254740991.0))
                rc =
                    rs_error_set(err, RS_EINVAL, "config.seed must be an integer, got %g", c->seed);
            c->has |= RS_NCFG_SEED;
        } else if (strcmp(k, "stopSequences") == 0) {
            rc = parse_stop(c, v, err);
            if (!rc && c->nstop > 0)
                c->has |= RS_NCFG_STOP;
        } else if (strcmp(k, "presencePenalty") == 0) {
            rc = want_number(v, k, &c->presence_penalty, err);
            c->has |= RS_NCFG_PRESENCE;
        } else if (strcmp(k, "frequencyPenalty") == 0) {
            rc = want_number(v, k, &c->frequency_penalty, err);
            c->has |= RS_NCFG_FREQUENCY;
        } else if (strcmp(k, "toolChoice") == 0) {
            rc = parse_tool_choice(n, v, err);
        } else if (cJSON_IsObject(v)) {
            if (strcmp(k, n->svc->name) == 0)
                n->passthrough = v;
        } else {
            const char *hint = hint_for(k);
            rc = rs_error_set(err, RS_EUNSUPPORTED,
                              "config.%s is not a known setting%s%s%s; provider-specific settings "
                              "go under config.<provider> (e.g. config.%s.%s)",
                              k, hint ? " (did you mean config." : "", hint ? hint : "",
                              hint ? "?)" : "", n->svc->name, k);
        }
        if (rc)
            return rc;
    }
    return 0;
}

static int walk_output(rs_neutral *n, const cJSON *rendered, rs_error *err)
{
    const cJSON *out = cJSON_GetObjectItemCaseSensitive(rendered, "output");
    if (!out || cJSON_IsNull(out))
        return 0;
    if (!cJSON_IsObject(out))
        return rs_error_set(err, RS_EINVAL, "output must be an object");
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(out, "format");
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(out, "schema");
    if (schema && !cJSON_IsNull(schema)) {
        if (!cJSON_IsObject(schema))
            return rs_error_set(err, RS_EINVAL, "output.schema must be a JSON Schema object");
        n->schema = schema;
    }
    if (fmt && !cJSON_IsNull(fmt)) {
        if (!cJSON_IsString(fmt))
            return rs_error_set(err, RS_EINVAL, "output.format must be a string");
        if (strcmp(fmt->valuestring, "json") == 0)
            n->json_output = 1;
        else if (strcmp(fmt->valuestring, "text") == 0) {
            if (n->schema)
                return rs_error_set(err, RS_EINVAL,
                                    "output.format is text but output.schema is set; use format "
                                    "json for structured output");
        } else
            return rs_error_set(err, RS_EUNSUPPORTED,
                                "output.format '%s' has no provider encoding (use json or text)",
                                fmt->valuestring);
    } else if (n->schema) {
        n->json_output = 1; /* as Genkit: a schema without a format means json */
    }
    return 0;
}

void rs_neutral_free(rs_neutral *n)
{
    if (!n)
        return;
    rs_vec_free(&n->msgs);
    rs_vec_free(&n->parts);
    rs_vec_free(&n->tools);
    cJSON_Delete(n->cfg.stop_owned);
    memset(n, 0, sizeof *n);
}

int rs_neutral_build(rs_neutral *n, const rs_service *svc, const char *model, const cJSON *rendered,
                     rs_error *err)
{
    int rc;
    memset(n, 0, sizeof *n);
    rs_vec_init(&n->msgs, sizeof(rs_nmsg));
    rs_vec_init(&n->parts, sizeof(rs_npart));
    rs_vec_init(&n->tools, sizeof(rs_ntool));
    n->svc = svc;
    n->model = model;
    if (!model || !*model) {
        rc = rs_error_set(err, RS_EINVAL, "no model given for %s", svc->name);
        goto done;
    }
    if (!cJSON_IsObject(rendered)) {
        rc = rs_error_set(err, RS_EINVAL, "the rendered prompt must be a JSON object");
        goto done;
    }
    n->prompt_name = rs_json_string(rendered, "name");
    const cJSON *messages = cJSON_GetObjectItemCaseSensitive(rendered, "messages");
    if (!cJSON_IsArray(messages)) {
        rc = rs_error_set(err, RS_EINVAL, "the rendered prompt has no messages array");
        goto done;
    }
    if ((rc = walk_messages(n, messages, err)) != 0)
        goto done;
    if ((rc = walk_tools(n, rendered, err)) != 0)
        goto done;
    if ((rc = walk_config(n, cJSON_GetObjectItemCaseSensitive(rendered, "config"), err)) != 0)
        goto done;
    if ((rc = walk_output(n, rendered, err)) != 0)
        goto done;
    if (n->msgs.len == 0)
        rc = rs_error_set(err, RS_EINVAL, "the rendered prompt has no message with content");
done:
    if (rc)
        rs_neutral_free(n);
    return rc;
}

/* ---------- shared checks ---------- */

int rs_neutral_check_range(const rs_neutral *n, const char *key, double v, double lo, double hi,
                           rs_error *err)
{
    if (v < lo || v > hi)
        return rs_error_set(err, RS_EUNSUPPORTED,
                            "config.%s = %g is out of range for %s (accepted: %g to %g)", key, v,
                            n->svc->name, lo, hi);
    return 0;
}

int rs_neutral_unsupported(const rs_neutral *n, const char *key, const char *why, rs_error *err)
{
    return rs_error_set(err, RS_EUNSUPPORTED, "config.%s is not supported by %s (%s)", key,
                        n->svc->name, why);
}

int rs_npart_is_image(const rs_npart *p)
{
    return strncmp(p->mime, "image/", 6) == 0;
}

const char *rs_npart_result_text(const rs_npart *p, char **owned)
{
    *owned = NULL;
    if (!p->value || cJSON_IsNull(p->value))
        return "";
    if (cJSON_IsString(p->value))
        return p->value->valuestring;
    *owned = cJSON_PrintUnformatted(p->value);
    return *owned;
}

int rs_header_add(rs_vec *headers, const char *name, const char *prefix, const char *value,
                  rs_error *err)
{
    rs_str s = RS_STR_INIT;
    char *line = NULL;
    if (strpbrk(value, "\r\n"))
        return rs_error_set(err, RS_EINVAL,
                            "the value for header %s contains a line break (check the variable "
                            "it comes from)",
                            name);
    rs_str_appendf(&s, "%s: %s%s", name, prefix, value);
    line = rs_str_detach(&s, NULL);
    if (!line || rs_vec_push(headers, &line) != 0) {
        rs_free(line);
        rs_str_free(&s);
        return rs_error_set(err, RS_ENOMEM, "out of memory");
    }
    return 0;
}

/* ---------- the sticky builder ---------- */

/*
 * Nodes live in the builder's arena, not one malloc each: an encode makes a hundred or more nodes,
 * and allocating and freeing them one by one cost more than everything else it does. They are
 * ordinary cJSON nodes linked with cJSON's own (non-allocating) add functions, never given to
 * cJSON_Delete; rs_jb_free releases them all at once.
 */
void rs_jb_init(rs_jb *b)
{
    b->oom = 0;
    rs_arena_init(&b->arena, 8192);
}

void rs_jb_free(rs_jb *b)
{
    rs_arena_free(&b->arena);
}

static cJSON *node(rs_jb *b, int type)
{
    cJSON *n;
    if (b->oom)
        return NULL;
    n = rs_arena_calloc(&b->arena, 1, sizeof *n);
    if (!n) {
        b->oom = 1;
        return NULL;
    }
    n->type = type;
    return n;
}

cJSON *rs_jb_root(rs_jb *b)
{
    return node(b, cJSON_Object);
}

/* Link item under parent (by key when parent is an object; keys are never copied or freed). */
static cJSON *attach(rs_jb *b, cJSON *parent, const char *key, cJSON *item)
{
    if (!item || !parent || b->oom) {
        b->oom = 1;
        return NULL;
    }
    int ok = cJSON_IsArray(parent) ? cJSON_AddItemToArray(parent, item)
                                   : cJSON_AddItemToObjectCS(parent, key, item);
    if (!ok) {
        b->oom = 1;
        return NULL;
    }
    return item;
}

cJSON *rs_jb_obj(rs_jb *b, cJSON *parent, const char *key)
{
    return attach(b, parent, key, node(b, cJSON_Object));
}

cJSON *rs_jb_arr(rs_jb *b, cJSON *parent, const char *key)
{
    return attach(b, parent, key, node(b, cJSON_Array));
}

void rs_jb_strn(rs_jb *b, cJSON *parent, const char *key, const char *s, size_t n)
{
    cJSON *v = node(b, cJSON_String);
    if (!v)
        return;
    v->valuestring = rs_arena_strndup(&b->arena, s, n);
    if (!v->valuestring) {
        b->oom = 1;
        return;
    }
    attach(b, parent, key, v);
}

void rs_jb_str(rs_jb *b, cJSON *parent, const char *key, const char *s)
{
    rs_jb_strn(b, parent, key, s, strlen(s));
}

void rs_jb_ref(rs_jb *b, cJSON *parent, const char *key, const char *s)
{
    cJSON *v = node(b, cJSON_String | cJSON_IsReference);
    if (!v)
        return;
    v->valuestring = (char *)s; /* borrowed: the RenderedPrompt outlives the tree */
    attach(b, parent, key, v);
}

void rs_jb_num(rs_jb *b, cJSON *parent, const char *key, double d)
{
    cJSON *v = node(b, cJSON_Number);
    if (!v)
        return;
    v->valuedouble = d;
    v->valueint = d >= 2147483647.0 ? 2147483647 : d <= -2147483648.0 ? -2147483647 - 1 : (int)d;
    attach(b, parent, key, v);
}

void rs_jb_bool(rs_jb *b, cJSON *parent, const char *key, int t)
{
    attach(b, parent, key, node(b, t ? cJSON_True : cJSON_False));
}

void rs_jb_null(rs_jb *b, cJSON *parent, const char *key)
{
    attach(b, parent, key, node(b, cJSON_NULL));
}

/* A reference to a borrowed value: objects and arrays share their children (printed in place,
 * copied before a merge changes them); scalars are small and copied. */
void rs_jb_tree(rs_jb *b, cJSON *parent, const char *key, const cJSON *v)
{
    cJSON *r;
    if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        r = node(b, (v->type & 0xFF) | cJSON_IsReference);
        if (r)
            r->child = v->child;
        attach(b, parent, key, r);
    } else {
        rs_jb_copy(b, parent, key, v);
    }
}

/* A deep copy of v in the arena, under key (copied too, as it comes from the input). */
static cJSON *copy_node(rs_jb *b, const cJSON *v)
{
    cJSON *c = node(b, v->type & 0xFF);
    const cJSON *k;
    if (!c)
        return NULL;
    c->valuedouble = v->valuedouble;
    c->valueint = v->valueint;
    if (v->valuestring &&
        !(c->valuestring = rs_arena_strndup(&b->arena, v->valuestring, strlen(v->valuestring)))) {
        b->oom = 1;
        return NULL;
    }
    for (k = v->child; k; k = k->next) {
        cJSON *ck = copy_node(b, k);
        if (!ck)
            return NULL;
        if (cJSON_IsObject(c)) {
            char *key = rs_arena_strndup(&b->arena, k->string ? k->string : "",
                                         k->string ? strlen(k->string) : 0);
            if (!key || !attach(b, c, key, ck))
                return NULL;
        } else if (!attach(b, c, NULL, ck)) {
            return NULL;
        }
    }
    return c;
}

void rs_jb_copy(rs_jb *b, cJSON *parent, const char *key, const cJSON *v)
{
    attach(b, parent, key, copy_node(b, v));
}

/* Put replacement where item is in parent, as cJSON_ReplaceItemViaPointer does, without freeing
 * item (arena nodes are never freed one by one). */
static void relink(cJSON *parent, cJSON *item, cJSON *replacement)
{
    replacement->string = item->string;
    replacement->type |= item->type & cJSON_StringIsConst;
    replacement->next = item->next;
    replacement->prev = item->prev;
    if (replacement->next)
        replacement->next->prev = replacement;
    if (parent->child == item) {
        if (parent->child->prev == parent->child)
            replacement->prev = replacement;
        parent->child = replacement;
    } else {
        if (replacement->prev)
            replacement->prev->next = replacement;
        if (!replacement->next)
            parent->child->prev = replacement;
    }
    item->next = item->prev = NULL;
}

/* src's members over dst's: objects merge key by key, anything else replaces. A borrowed
 * (reference) object in dst is copied first, so the RenderedPrompt is never changed. */
static int merge(rs_jb *b, cJSON *dst, const cJSON *src)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, src)
    {
        cJSON *d = cJSON_GetObjectItemCaseSensitive(dst, s->string);
        if (d && cJSON_IsObject(d) && cJSON_IsObject(s)) {
            if (d->type & cJSON_IsReference) {
                cJSON tmp = *d;
                tmp.type &= ~cJSON_IsReference;
                cJSON *own = copy_node(b, &tmp);
                if (!own)
                    return RS_ENOMEM;
                relink(dst, d, own);
                d = own;
            }
            if (merge(b, d, s) != 0)
                return RS_ENOMEM;
            continue;
        }
        cJSON *copy = copy_node(b, s);
        if (!copy)
            return RS_ENOMEM;
        if (d) {
            relink(dst, d, copy);
        } else {
            char *key = rs_arena_strndup(&b->arena, s->string, strlen(s->string));
            if (!key || !attach(b, dst, key, copy))
                return RS_ENOMEM;
        }
    }
    return 0;
}

/* The output buffer of print_json: grown by doubling, one copy into the body at the end. */
typedef struct jbuf {
    char *p;
    size_t len, cap;
    int oom;
} jbuf;

static int jb_grow(jbuf *b, size_t more)
{
    size_t cap = b->cap ? b->cap : 1024;
    if (b->oom)
        return -1;
    while (cap - b->len < more) {
        if (cap > ((size_t)-1) / 2) {
            b->oom = 1;
            return -1;
        }
        cap *= 2;
    }
    char *np = rs_realloc(b->p, cap);
    if (!np) {
        b->oom = 1;
        return -1;
    }
    b->p = np;
    b->cap = cap;
    return 0;
}

static void jb_put(jbuf *b, const char *s, size_t n)
{
    if (n == 0)
        return;
    if (b->cap - b->len < n && jb_grow(b, n) != 0)
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void jb_putc(jbuf *b, char c)
{
    if (b->cap == b->len && jb_grow(b, 1) != 0)
        return;
    b->p[b->len++] = c;
}

/* A JSON string literal, escaped as cJSON escapes (", \, the C escapes, other controls as \u00XX;
 * UTF-8 passes through). Safe runs are copied whole. */
/* 1 for the bytes a JSON string cannot hold as they are (controls, '"', '\\'; and NUL ends). */
static const unsigned char needs_escape[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};

static void jb_string(jbuf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    size_t run = 0, i = 0;
    jb_putc(b, '"');
    for (;; i++) {
        unsigned char c = u[i];
        if (!needs_escape[c])
            continue;
        jb_put(b, s + run, i - run);
        if (c == '\0')
            break;
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t n = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        jb_put(b, esc, n);
        run = i + 1;
    }
    jb_putc(b, '"');
}

/* A number as cJSON prints it (so bodies read the same either way), without a printf for the
 * common case: integers below 1e15 print as integers ("%1.15g" gives the same digits). */
static void jb_number(jbuf *b, double d)
{
    char buf[RS_JSNUM_MAX];
    size_t n;
    if (d != d || d - d != 0) { /* NaN or infinite: cJSON prints null */
        jb_put(b, "null", 4);
    } else if (d > -1e15 && d < 1e15 && d == (double)(long long)d) {
        long long v = (long long)d;
        unsigned long long m = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
        n = sizeof buf;
        do {
            buf[--n] = (char)('0' + m % 10);
            m /= 10;
        } while (m);
        if (v < 0)
            buf[--n] = '-';
        jb_put(b, buf + n, sizeof buf - n);
    } else if ((n = rs_jsnum_short_decimal(d, buf)) != 0) {
        jb_put(b, buf, n); /* 0.2, 12.75: the same digits "%1.15g" gives, without printf */
    } else {
        int len = snprintf(buf, sizeof buf, "%1.15g", d);
        if (strtod(buf, NULL) != d)
            len = snprintf(buf, sizeof buf, "%1.17g", d);
        jb_put(b, buf, (size_t)len);
    }
}

/*
 * Compact JSON for the tree, byte for byte what cJSON_PrintUnformatted gives (the golden test
 * checks it): cJSON's printer measures its whole buffer (strlen) after every token and printf's
 * every number, which made printing the larger half of an encode.
 */
static void print_json(jbuf *b, const cJSON *v)
{
    const cJSON *c;
    switch (v->type & 0xFF) {
    case cJSON_False:
        jb_put(b, "false", 5);
        break;
    case cJSON_True:
        jb_put(b, "true", 4);
        break;
    case cJSON_NULL:
        jb_put(b, "null", 4);
        break;
    case cJSON_Number:
        jb_number(b, v->valuedouble);
        break;
    case cJSON_Raw:
        if (v->valuestring)
            jb_put(b, v->valuestring, strlen(v->valuestring));
        break;
    case cJSON_String:
        jb_string(b, v->valuestring ? v->valuestring : "");
        break;
    case cJSON_Array:
        jb_putc(b, '[');
        for (c = v->child; c; c = c->next) {
            print_json(b, c);
            if (c->next)
                jb_putc(b, ',');
        }
        jb_putc(b, ']');
        break;
    case cJSON_Object:
        jb_putc(b, '{');
        for (c = v->child; c; c = c->next) {
            jb_string(b, c->string ? c->string : "");
            jb_putc(b, ':');
            print_json(b, c);
            if (c->next)
                jb_putc(b, ',');
        }
        jb_putc(b, '}');
        break;
    default:
        jb_put(b, "null", 4);
        break;
    }
}

int rs_jb_finish(rs_str *body, cJSON *root, rs_jb *b, const rs_neutral *n, rs_error *err)
{
    if (b->oom || !root)
        return rs_error_set(err, RS_ENOMEM, "out of memory while encoding the request body");
    if (n && n->passthrough && merge(b, root, n->passthrough) != 0)
        return rs_error_set(err, RS_ENOMEM, "out of memory while merging config.%s", n->svc->name);
    /* print straight into the body's own buffer (both grow with rs_realloc): a caller that
     * reuses its rs_str encodes without allocating for the text at all */
    jbuf out = {body->ptr, 0, body->cap, 0};
    body->ptr = NULL;
    body->len = body->cap = 0;
    body->error = 0;
    print_json(&out, root);
    jb_putc(&out, '\0');
    if (out.oom) {
        rs_free(out.p);
        return rs_error_set(err, RS_ENOMEM, "out of memory while printing the request body");
    }
    if (out.len - 1 > body->max) {
        rs_free(out.p);
        return rs_error_set(err, RS_ELIMIT, "the request body would exceed %zu bytes", body->max);
    }
    body->ptr = out.p;
    body->len = out.len - 1;
    body->cap = out.cap;
    return 0;
}

int rs_neutral_encode(rs_str *body, const rs_service *svc, const char *model,
                      const cJSON *rendered, const rs_encode_opts *o, rs_body_fn build,
                      rs_error *err)
{
    rs_neutral n;
    rs_jb b;
    int rc = rs_neutral_build(&n, svc, model, rendered, err);
    if (rc)
        return rc;
    rs_jb_init(&b);
    cJSON *root = rs_jb_root(&b);
    rc = build(&b, root, &n, svc, model, o, err);
    if (rc == 0)
        rc = rs_jb_finish(body, root, &b, &n, err);
    rs_jb_free(&b);
    rs_neutral_free(&n);
    return rc;
}
