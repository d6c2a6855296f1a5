/*
 * render/dotprompt_helpers.c - Dotprompt's helpers (see the header). Each follows the
 * reference's JavaScript: a value placed in a marker is converted as a template literal converts
 * it (`${v}`: undefined -> "undefined", null -> "null"), and a helper called without its
 * argument receives Handlebars' options object ("[object Object]").
 */
#include "render/dotprompt_helpers.h"

#include "render/js_json.h"

#include <math.h>
#include <string.h>

/* Append a string literal (its length known at compile time, no strlen). */
#define PUT_LIT(out, lit) rs_str_put((out), (lit), sizeof(lit) - 1)

/* `${v}` */
static int append_template_literal(rs_str *out, const cJSON *v)
{
    if (!v)
        return PUT_LIT(out, "undefined");
    if ((v->type & 0xFF) == cJSON_NULL)
        return PUT_LIT(out, "null");
    return rs_hbs_append_value(out, v);
}

/* The first positional argument as the helper sees it: with none, the options object. */
static int append_arg0(rs_str *out, const rs_hbs_call *call)
{
    if (rs_hbs_call_argc(call) == 0)
        return PUT_LIT(out, "[object Object]");
    return append_template_literal(out, rs_hbs_call_arg(call, 0));
}

static int report(rs_str *out, rs_error *err)
{
    return rs_str_error(out) ? rs_str_report(out, err, "the rendered prompt") : 0;
}

static int role(rs_str *out, const rs_hbs_call *call, void *ud, rs_error *err)
{
    PUT_LIT(out, "<<<dotprompt:role:");
    append_arg0(out, call);
    PUT_LIT(out, ">>>");
    return report(out, err);
}

static int history(rs_str *out, const rs_hbs_call *call, void *ud, rs_error *err)
{
    PUT_LIT(out, "<<<dotprompt:history>>>");
    return report(out, err);
}

static int section(rs_str *out, const rs_hbs_call *call, void *ud, rs_error *err)
{
    PUT_LIT(out, "<<<dotprompt:section ");
    append_arg0(out, call);
    PUT_LIT(out, ">>>");
    return report(out, err);
}

static int media(rs_str *out, const rs_hbs_call *call, void *ud, rs_error *err)
{
    /* media(options): a positional argument takes the options' place and the reference throws
     * a TypeError reading its .hash */
    if (rs_hbs_call_argc(call) > 0)
        return rs_error_set(err, RS_ERENDER,
                            "{{media}} takes hash arguments (url=..., contentType=...), not "
                            "positional ones");
    const cJSON *ct = rs_hbs_call_hash(call, "contentType");
    PUT_LIT(out, "<<<dotprompt:media:url ");
    append_template_literal(out, rs_hbs_call_hash(call, "url"));
    if (ct && !cJSON_IsNull(ct) && !cJSON_IsFalse(ct) &&
        !(cJSON_IsNumber(ct) && (ct->valuedouble == 0 || isnan(ct->valuedouble))) &&
        !(cJSON_IsString(ct) && ct->valuestring[0] == '\0')) {
        rs_str_put1(out, ' ');
        append_template_literal(out, ct);
    }
    PUT_LIT(out, ">>>");
    return report(out, err);
}

/*
 * JSON.stringify(value, null, options.hash.indent || 0). The space argument: a number gives
 * min(10, n) spaces, a string its first 10 characters, anything else no indentation.
 * JSON.stringify(undefined) is undefined, which Handlebars prints as "undefined".
 */
static int json(rs_str *out, const rs_hbs_call *call, void *ud, rs_error *err)
{
    char gap[41] = "";
    if (rs_hbs_call_argc(call) != 1)
        return rs_error_set(err, RS_ERENDER, "{{json}} needs exactly one argument");
    const cJSON *v = rs_hbs_call_arg(call, 0);
    const cJSON *indent = rs_hbs_call_hash(call, "indent");
    if (cJSON_IsNumber(indent) && indent->valuedouble >= 1) {
        int n = indent->valuedouble >= 10 ? 10 : (int)indent->valuedouble;
        memset(gap, ' ', (size_t)n);
        gap[n] = '\0';
    } else if (cJSON_IsString(indent)) {
        /* the first 10 UTF-16 units; count characters, close enough for indentation text */
        const char *s = indent->valuestring;
        size_t i = 0, chars = 0;
        while (s[i] && chars < 10 && i < sizeof(gap) - 4) {
            i++;
            while (s[i] && ((unsigned char)s[i] & 0xC0) == 0x80)
                i++;
            chars++;
        }
        memcpy(gap, s, i);
        gap[i] = '\0';
    }
    if (!v) {
        PUT_LIT(out, "undefined");
        return report(out, err);
    }
    rs_js_stringify(out, v, gap);
    return report(out, err);
}

/* JavaScript's ===: values by value, arrays and objects by identity. */
static int strict_equal(const cJSON *a, const cJSON *b)
{
    if (!a || !b)
        return a == b;
    int ta = a->type & 0xFF, tb = b->type & 0xFF;
    int bool_a = ta == cJSON_True || ta == cJSON_False, bool_b = tb == cJSON_True || tb == cJSON_False;
    if (bool_a || bool_b)
        return ta == tb; /* true === true, false === false */
    if (ta != tb)
        return 0;
    switch (ta) {
    case cJSON_Number:
        return a->valuedouble == b->valuedouble;
    case cJSON_String:
        return strcmp(a->valuestring, b->valuestring) == 0;
    case cJSON_NULL:
        return 1;
    case cJSON_Array:
    case cJSON_Object:
        return a == b || (a->child && a->child == b->child); /* b may be a reference to a */
    default:
        return 0;
    }
}

static int equals_block(rs_str *out, const rs_hbs_call *call, rs_error *err, int want_equal)
{
    const char *name = rs_hbs_call_name(call);
    if (!rs_hbs_call_is_block(call))
        return rs_error_set(err, RS_ERENDER, "{{%s}} is a block helper: use {{#%s}}...{{/%s}}",
                            name, name, name);
    if (rs_hbs_call_argc(call) != 2)
        return rs_error_set(err, RS_ERENDER, "{{#%s}} needs exactly two arguments", name);
    int eq = strict_equal(rs_hbs_call_arg(call, 0), rs_hbs_call_arg(call, 1));
    const cJSON *self = rs_hbs_call_context(call);
    if (eq == want_equal)
        return rs_hbs_call_fn(out, call, self, err);
    return rs_hbs_call_inverse(out, call, self, err);
}

static int if_equals(rs_str *out, const rs_hbs_call *call, void *ud, rs_error *err)
{
    return equals_block(out, call, err, 1);
}

static int unless_equals(rs_str *out, const rs_hbs_call *call, void *ud, rs_error *err)
{
    return equals_block(out, call, err, 0);
}

static const rs_hbs_helper helpers[] = {
    {"json", json, NULL},
    {"role", role, NULL},
    {"history", history, NULL},
    {"section", section, NULL},
    {"media", media, NULL},
    {"ifEquals", if_equals, NULL},
    {"unlessEquals", unless_equals, NULL},
};

const rs_hbs_helper *rs_dotprompt_helpers(size_t *count)
{
    *count = sizeof(helpers) / sizeof(*helpers);
    return helpers;
}
