/*
 * tests/fuzz/fuzz_hbs.c - libFuzzer target for the Handlebars engine: compile arbitrary bytes as
 * a template (partials from a small table, one of which is the input itself, so recursion is
 * exercised) and render it against a fixed context with escaping on and off. Any crash,
 * sanitizer report or leak is a bug; errors are expected and must carry a message.
 *
 * Build and run: scripts/fuzz.sh (clang, -DRS_FUZZ=ON); seeds in tests/fuzz/corpus/hbs/.
 */
#include "templates/hbs.h"
#include "util/alloc.h"
#include "util/json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct fuzz_input {
    const char *src;
    size_t len;
} fuzz_input;

static const char *const partials[][2] = {
    {"p", "[{{a}}|{{#each xs}}{{@index}}{{/each}}]"},
    {"lines", "  A\n{{b}}\n"},
};

static int resolve(char **src, size_t *len, void *userdata, const char *name, rs_error *err)
{
    const fuzz_input *in = userdata;
    (void)err;
    if (!strcmp(name, "self")) {
        *src = rs_strndup(in->src, in->len);
        *len = in->len;
        return *src ? 0 : RS_ENOMEM;
    }
    for (size_t i = 0; i < sizeof partials / sizeof partials[0]; i++) {
        if (!strcmp(name, partials[i][0])) {
            *len = strlen(partials[i][1]);
            *src = rs_strndup(partials[i][1], *len);
            return *src ? 0 : RS_ENOMEM;
        }
    }
    return RS_ENOTFOUND;
}

static int echo(rs_str *out, const rs_hbs_call *call, void *userdata, rs_error *err)
{
    (void)userdata;
    for (size_t i = 0; i < rs_hbs_call_argc(call); i++)
        rs_hbs_append_value(out, rs_hbs_call_arg(call, i));
    if (rs_hbs_call_is_block(call)) {
        int rc = rs_hbs_call_fn(out, call, rs_hbs_call_context(call), err);
        if (!rc)
            rc = rs_hbs_call_inverse(out, call, rs_hbs_call_context(call), err);
        return rc;
    }
    return rs_str_error(out);
}

static const char context_json[] =
    "{\"a\":\"x<y\",\"b\":2,\"c\":[1,\"two\",null,{\"d\":true}],\"o\":{\"2\":\"i\",\"k\":\"v\","
    "\"n\":{\"m\":[[]]}},\"xs\":[0,1.5,-0,1e21],\"t\":true,\"f\":false,\"z\":0,\"s\":\"\","
    "\"u\":\"\\u00e9\\ud834\\udd1e\"}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input in = {(const char *)data, size};
    rs_hbs_helper helpers[] = {{"echo", echo, NULL}};
    cJSON *ctx = NULL, *vars = NULL;
    rs_error err = RS_ERROR_INIT;
    if (rs_json_parse(&ctx, context_json, sizeof context_json - 1, NULL, &err))
        abort();
    vars = cJSON_CreateObject();
    if (!vars)
        abort();
    cJSON_AddStringToObject(vars, "user", "u");
    for (int escape = 0; escape < 2; escape++) {
        rs_hbs_options o = RS_HBS_OPTIONS_INIT;
        o.escape_html = escape;
        o.helpers = helpers;
        o.nhelpers = 1;
        o.resolve = resolve;
        o.resolve_userdata = &in;
        o.max_depth = 24;
        o.max_output = 1 << 20;
        rs_hbs_template *tpl = NULL;
        rs_str out = RS_STR_INIT;
        int rc = rs_hbs_compile(&tpl, in.src, in.len, &o, &err);
        if (rc == 0) {
            if (strlen(rs_hbs_content_hash(tpl)) != 64)
                abort();
            rc = rs_hbs_render(&out, tpl, ctx, vars, &err);
            if (rc && out.len != 0)
                abort(); /* a failed render leaves nothing behind */
        }
        if (rc && err.message[0] == '\0')
            abort(); /* every failure says why */
        rs_str_free(&out);
        rs_hbs_free(tpl);
    }
    cJSON_Delete(ctx);
    cJSON_Delete(vars);
    return 0;
}
