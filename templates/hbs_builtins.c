/*
 * templates/hbs_builtins.c - Handlebars' built-in helpers (if, unless, each, with, lookup, log)
 * and the Mustache section semantics a {{#path}} block without a helper gets
 * (Handlebars' blockHelperMissing), with the exact rules of Handlebars 4.x.
 */
#include "templates/hbs_internal.h"

#include "util/jsnum.h"

#include <math.h>
#include <string.h>

/* The value of {{#if}} & co. used as expressions: their fn/inverse are no-ops, so "". */
static const cJSON empty_string = {NULL, NULL, NULL, cJSON_String, "", 0, 0, NULL};

/* JavaScript ToBoolean (unlike rs_hbs_truthy, an empty array is true). */
static int js_bool(const cJSON *v)
{
    if (v && (v->type & 0xFF) == cJSON_Array)
        return 1;
    return hbs_truthy(v);
}

/* Handlebars calls helpers with `this` = the context, or an empty object (container.nullContext)
 * when the context is null or undefined; {{#path}} sections get the context as it is. */
const cJSON hbs_null_context = {NULL, NULL, NULL, cJSON_Object, NULL, 0, 0, NULL};

static const cJSON *raw_this(const rs_hbs_call *c)
{
    return c->scope->ctx ? c->scope->ctx->v : NULL;
}

const cJSON *hbs_helper_this(const rs_hbs_call *c)
{
    const cJSON *v = raw_this(c);
    return v && (v->type & 0xFF) != cJSON_NULL ? v : &hbs_null_context;
}

static const cJSON *this_of(const rs_hbs_call *c)
{
    return c->node && c->node->kind == ND_SECTION ? raw_this(c) : hbs_helper_this(c);
}

/* The frame's value nodes start zeroed; only these fields change per iteration. */
static void set_number(cJSON *n, double v)
{
    n->type = cJSON_Number;
    n->valuestring = NULL;
    n->valuedouble = v;
    n->valueint = (int)v;
}

static void set_bool(cJSON *n, int b)
{
    n->type = b ? cJSON_True : cJSON_False;
}

/* The each helper over arrays and objects (object keys in JavaScript order); {{else}} when
 * nothing was iterated. */
static int iterate(rs_str *out, rs_hbs_call *c, const cJSON *v, hbs_val *res)
{
    hbs_data_frame fr;
    memset(&fr, 0, sizeof fr);
    fr.parent = c->scope->data;
    fr.has_iter = 1;
    long count = 0;
    int rc = 0;
    if (v && (v->type & 0xFF) == cJSON_Array) {
        for (const cJSON *ch = v->child; ch; ch = ch->next)
            count++;
        long i = 0;
        for (const cJSON *ch = v->child; ch && !rc; ch = ch->next, i++) {
            set_number(&fr.index, (double)i);
            set_number(&fr.key, (double)i);
            set_bool(&fr.first, i == 0);
            set_bool(&fr.last, i == count - 1);
            rc = hbs_call_run_fn(out, c, ch, &fr, ch, &fr.key, NULL);
        }
    } else if (v && cJSON_IsObject(v)) {
        const cJSON **keys = NULL;
        count = hbs_object_keys(v, &c->st->arena, &keys);
        if (count < 0)
            return rs_error_set(c->st->err, RS_ENOMEM, "out of memory rendering a template");
        const cJSON *ch = v->child;
        for (long i = 0; i < count && !rc; i++) {
            const cJSON *item = keys ? keys[i] : ch;
            if (!keys)
                ch = ch->next;
            set_number(&fr.index, (double)i);
            fr.key.type = cJSON_String;
            fr.key.valuestring = item->string ? item->string : (char *)empty_string.valuestring;
            set_bool(&fr.first, i == 0);
            set_bool(&fr.last, i == count - 1);
            /* a key set to undefined by a partial's hash has no value */
            const cJSON *val = (item->type & 0xFF) == cJSON_Invalid ? NULL : item;
            rc = hbs_call_run_fn(out, c, val, &fr, val, &fr.key, NULL);
        }
    }
    /* ret = '' + fn(...) for each item: a string; with no item, ret = inverse(this) as is */
    res->kind = HV_STR;
    if (!rc && count == 0)
        rc = hbs_call_run_inverse(out, c, this_of(c), res);
    return rc;
}

int hbs_section(rs_str *out, rs_hbs_call *c, const cJSON *v, hbs_val *res)
{
    if (v && cJSON_IsTrue(v))
        return hbs_call_run_fn(out, c, this_of(c), c->scope->data, NULL, NULL, res);
    if (!v || cJSON_IsFalse(v) || cJSON_IsNull(v) || (v->type & 0xFF) == cJSON_Invalid)
        return hbs_call_run_inverse(out, c, this_of(c), res);
    if (cJSON_IsArray(v)) {
        if (v->child)
            return iterate(out, c, v, res);
        return hbs_call_run_inverse(out, c, this_of(c), res);
    }
    return hbs_call_run_fn(out, c, v, c->scope->data, NULL, NULL, res);
}

/* lookup obj field: a falsy obj is the result itself; else obj[String(field)], own properties. */
static int lookup(const cJSON **val, rs_hbs_call *c)
{
    const cJSON *obj = c->args[0], *field = c->args[1];
    if (!js_bool(obj)) {
        *val = obj;
        return 0;
    }
    char num[RS_JSNUM_MAX];
    const char *key;
    size_t klen;
    rs_str tmp = RS_STR_INIT;
    int t = field ? field->type & 0xFF : cJSON_Invalid;
    if (!field) {
        key = "undefined";
        klen = 9;
    } else if (t == cJSON_String || t == cJSON_Raw) {
        key = field->valuestring ? field->valuestring : "";
        klen = strlen(key);
    } else if (t == cJSON_Number) {
        klen = rs_jsnum_format(field->valuedouble, num);
        key = num;
    } else if (t == cJSON_NULL) {
        key = "null";
        klen = 4;
    } else {
        rs_hbs_append_value(&tmp, field);
        if (rs_str_error(&tmp)) {
            rs_str_free(&tmp);
            return rs_error_set(c->st->err, RS_ENOMEM, "out of memory rendering a template");
        }
        key = rs_str_cstr(&tmp);
        klen = tmp.len;
    }
    int oom = 0;
    *val = hbs_lookup(obj, key, klen, &c->st->arena, &oom);
    rs_str_free(&tmp);
    if (oom)
        return rs_error_set(c->st->err, RS_ENOMEM, "out of memory rendering a template");
    return 0;
}

int hbs_builtin_value(const cJSON **val, rs_hbs_call *c, rs_str *scratch)
{
    (void)scratch;
    *val = NULL;
    switch (c->call->builtin) {
    case BI_LOOKUP:
        return lookup(val, c);
    case BI_LOG:
        return 0;
    default:
        *val = &empty_string;
        return 0;
    }
}

/* if / unless: Handlebars renders the else part when the value is falsy or empty ([]), with
 * includeZero=true making 0 count as true. */
static int cond_false(const rs_hbs_call *c)
{
    const cJSON *v = c->args[0];
    const cJSON *iz = c->call->nhash ? rs_hbs_call_hash(c, "includeZero") : NULL;
    return (!js_bool(iz) && !js_bool(v)) || hbs_is_empty(v);
}

int hbs_builtin_block(rs_str *out, rs_hbs_call *c, hbs_val *res)
{
    res->kind = HV_STR;
    switch (c->call->builtin) {
    case BI_IF:
        if (cond_false(c))
            return hbs_call_run_inverse(out, c, this_of(c), res);
        return hbs_call_run_fn(out, c, this_of(c), c->scope->data, NULL, NULL, res);
    case BI_UNLESS:
        if (cond_false(c))
            return hbs_call_run_fn(out, c, this_of(c), c->scope->data, NULL, NULL, res);
        return hbs_call_run_inverse(out, c, this_of(c), res);
    case BI_EACH:
        return iterate(out, c, c->args[0], res);
    case BI_WITH:
        if (hbs_is_empty(c->args[0]))
            return hbs_call_run_inverse(out, c, this_of(c), res);
        return hbs_call_run_fn(out, c, c->args[0], c->scope->data, c->args[0], NULL, res);
    case BI_LOOKUP: {
        const cJSON *v = NULL;
        int rc = lookup(&v, c);
        if (!rc)
            rc = hbs_emit_value(out, v, 0, res);
        return rc;
    }
    default:
        return 0;
    }
}
