/*
 * templates/picoschema.c - Picoschema -> JSON Schema (see picoschema.h for the rules).
 * The code follows the reference's structure (parse, parsePico, extractDescription) so that a
 * reader can check it against the spec line by line.
 */
#include "templates/picoschema.h"

#include "templates/yaml_json.h"
#include "util/alloc.h"
#include "util/json.h"
#include "util/str.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const scalar_types[] = {"any", "boolean", "integer", "null", "number", "string"};

typedef struct ctx {
    const cJSON *named;
    const char *where;
    const rs_yaml_doc *doc;
    rs_error *err;
    int depth;
} ctx;

#define MAX_DEPTH 200

int rs_js_truthy(const cJSON *v)
{
    if (!v || cJSON_IsNull(v) || cJSON_IsFalse(v))
        return 0;
    if (cJSON_IsNumber(v))
        return !(v->valuedouble == 0 || isnan(v->valuedouble));
    if (cJSON_IsString(v))
        return v->valuestring && v->valuestring[0] != '\0';
    return 1;
}

cJSON *rs_js_spread(const cJSON *v)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    if (cJSON_IsObject(v)) {
        for (const cJSON *c = v->child; c; c = c->next) {
            cJSON *d = cJSON_Duplicate(c, 1);
            if (!d || !cJSON_AddItemToObject(o, c->string, d)) {
                cJSON_Delete(d);
                goto fail;
            }
        }
    } else if (cJSON_IsArray(v)) {
        size_t i = 0;
        for (const cJSON *c = v->child; c; c = c->next, i++) {
            char key[32];
            snprintf(key, sizeof(key), "%zu", i);
            cJSON *d = cJSON_Duplicate(c, 1);
            if (!d || !cJSON_AddItemToObject(o, key, d)) {
                cJSON_Delete(d);
                goto fail;
            }
        }
    } else if (cJSON_IsString(v)) {
        /* one property per UTF-16 code unit, as JavaScript spreads a string: a character
         * outside the BMP gives two lone surrogates, kept as WTF-8 (ED A0..BF xx), which the
         * JSON printer writes as \udXXX escapes, as JSON.stringify does */
        const unsigned char *s = (const unsigned char *)v->valuestring;
        size_t i = 0, k = 0, n = strlen(v->valuestring);
        while (i < n) {
            size_t w = s[i] < 0x80 ? 1 : s[i] < 0xE0 ? 2 : s[i] < 0xF0 ? 3 : 4;
            if (i + w > n)
                w = n - i;
            unsigned char units[2][4];
            size_t ulen[2], nunits = 1;
            if (w == 4) {
                unsigned long cp = ((unsigned long)(s[i] & 0x07) << 18) |
                                   ((unsigned long)(s[i + 1] & 0x3F) << 12) |
                                   ((unsigned long)(s[i + 2] & 0x3F) << 6) | (s[i + 3] & 0x3F);
                unsigned long u[2] = {0xD800 + ((cp - 0x10000) >> 10),
                                      0xDC00 + ((cp - 0x10000) & 0x3FF)};
                for (int j = 0; j < 2; j++) {
                    units[j][0] = (unsigned char)(0xE0 | (u[j] >> 12));
                    units[j][1] = (unsigned char)(0x80 | ((u[j] >> 6) & 0x3F));
                    units[j][2] = (unsigned char)(0x80 | (u[j] & 0x3F));
                    ulen[j] = 3;
                }
                nunits = 2;
            } else {
                memcpy(units[0], s + i, w);
                ulen[0] = w;
            }
            for (size_t j = 0; j < nunits; j++) {
                char key[32];
                snprintf(key, sizeof(key), "%zu", k++);
                char *ch = rs_strndup((const char *)units[j], ulen[j]);
                cJSON *d = ch ? cJSON_CreateString(ch) : NULL;
                rs_free(ch);
                if (!d || !cJSON_AddItemToObject(o, key, d)) {
                    cJSON_Delete(d);
                    goto fail;
                }
            }
            i += w;
        }
    }
    return o;
fail:
    cJSON_Delete(o);
    return NULL;
}

static int oom(ctx *c)
{
    return rs_error_set(c->err, RS_ENOMEM, "out of memory converting Picoschema");
}

/* An error at node (its key when key is 1), or naming c->where when its place is unknown. */
static int fail(ctx *c, const cJSON *node, int key, const char *fmt, const char *arg)
{
    char msg[RS_ERROR_MESSAGE_MAX];
    snprintf(msg, sizeof(msg), fmt, arg);
    int located = 0;
    for (size_t i = 0; c->doc && node && i < c->doc->nlocs; i++)
        located |= c->doc->locs[i].node == node;
    if (located)
        return rs_yaml_error_at(c->doc, node, key, c->err, RS_ESCHEMA, "Picoschema: %s", msg);
    if (c->where)
        return rs_error_set(c->err, RS_ESCHEMA, "%s: Picoschema: %s", c->where, msg);
    return rs_error_set(c->err, RS_ESCHEMA, "Picoschema: %s", msg);
}

static int is_scalar_type(const char *t)
{
    for (size_t i = 0; i < sizeof(scalar_types) / sizeof(*scalar_types); i++) {
        if (strcmp(t, scalar_types[i]) == 0)
            return 1;
    }
    return 0;
}

/* Byte length of a JavaScript line terminator at s[i] (\n \r U+2028 U+2029), else 0. */
static size_t line_term(const char *s, size_t n, size_t i)
{
    if (s[i] == '\n' || s[i] == '\r')
        return 1;
    if (i + 2 < n && (unsigned char)s[i] == 0xE2 && (unsigned char)s[i + 1] == 0x80 &&
        ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9))
        return 3;
    return 0;
}

/*
 * extractDescription: without a comma, (input, none). Otherwise input.match(/(.*?), *(.*)$/):
 * `.` stops at line terminators and `$` is the end of the input, so the match is on the last
 * line; it needs a comma there. type/desc are new strings (desc NULL when empty or absent).
 */
static int extract_description(const char *in, char **type, char **desc)
{
    size_t n = strlen(in);
    *type = NULL;
    *desc = NULL;
    size_t line = 0;
    for (size_t i = 0; i < n; i++) {
        size_t w = line_term(in, n, i);
        if (w) {
            line = i + w;
            i += w - 1;
        }
    }
    const char *comma = strchr(in, ',') ? memchr(in + line, ',', n - line) : NULL;
    if (!comma) {
        *type = rs_strdup(in);
        return *type ? 0 : RS_ENOMEM;
    }
    *type = rs_strndup(in + line, (size_t)(comma - (in + line)));
    const char *d = comma + 1;
    while (*d == ' ')
        d++;
    if (*d)
        *desc = rs_strdup(d);
    if (!*type || (*d && !*desc)) {
        rs_free(*type);
        rs_free(*desc);
        *type = *desc = NULL;
        return RS_ENOMEM;
    }
    return 0;
}

/* obj[key] = v, in place when the key exists (a JavaScript assignment). Takes v over. */
static int js_set(cJSON *target, const char *key, cJSON *v)
{
    return rs_js_set(target, key, v);
}

/* A named schema, copied (with the description set when there is one). `at` is the string
 * naming it, for errors. */
static int resolve_named(cJSON **out, ctx *c, const cJSON *at, const char *name, const char *desc)
{
    const cJSON *v = c->named ? cJSON_GetObjectItemCaseSensitive(c->named, name) : NULL;
    *out = NULL;
    if (!rs_js_truthy(v)) {
        /* Capitalised names read as schema names (Person), others as mistyped types (strng) */
        if (name[0] >= 'A' && name[0] <= 'Z')
            return fail(c, at, 0, "no schema named '%s'", name);
        return fail(c, at, 0, "unknown type '%s' (not a scalar type or a named schema)", name);
    }
    cJSON *r = desc ? rs_js_spread(v) : cJSON_Duplicate(v, 1);
    if (!r)
        return oom(c);
    if (desc && js_set(r, "description", cJSON_CreateString(desc)) != 0) {
        cJSON_Delete(r);
        return oom(c);
    }
    *out = r;
    return 0;
}

static int type_schema(cJSON **out, ctx *c, const char *type, const char *desc, int keep_any)
{
    cJSON *o = cJSON_CreateObject();
    *out = NULL;
    if (!o)
        return oom(c);
    if ((keep_any || strcmp(type, "any") != 0) && !cJSON_AddStringToObject(o, "type", type))
        goto nomem;
    if (desc && !cJSON_AddStringToObject(o, "description", desc))
        goto nomem;
    *out = o;
    return 0;
nomem:
    cJSON_Delete(o);
    return oom(c);
}

static int parse_pico(cJSON **out, ctx *c, const cJSON *obj);

/* One `key: value` of a Picoschema object into schema. */
static int parse_property(ctx *c, cJSON *schema, const char *key, const cJSON *value)
{
    int rc = 0;
    char *name = NULL, *type_info = NULL, *type = NULL, *desc = NULL;
    cJSON *prop = NULL;
    cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
    cJSON *required = cJSON_GetObjectItemCaseSensitive(schema, "required");

    if (strcmp(key, "(*)") == 0) {
        rc = parse_pico(&prop, c, value);
        if (rc == 0) {
            rc = js_set(schema, "additionalProperties", prop);
            prop = NULL;
        }
        goto done;
    }
    /* const [name, typeInfo] = key.split("(") */
    const char *p1 = strchr(key, '(');
    name = p1 ? rs_strndup(key, (size_t)(p1 - key)) : rs_strdup(key);
    if (p1) {
        const char *p2 = strchr(p1 + 1, '(');
        type_info = p2 ? rs_strndup(p1 + 1, (size_t)(p2 - p1 - 1)) : rs_strdup(p1 + 1);
    }
    if (!name || (p1 && !type_info)) {
        rc = oom(c);
        goto done;
    }
    size_t nl = strlen(name);
    int optional = nl > 0 && name[nl - 1] == '?';
    if (optional)
        name[nl - 1] = '\0';
    if (!optional && !cJSON_AddItemToArray(required, cJSON_CreateString(name))) {
        rc = oom(c);
        goto done;
    }
    if (!type_info || !*type_info) {
        cJSON *r = NULL;
        rc = parse_pico(&r, c, value);
        if (rc)
            goto done;
        /* {...r}: r is a fresh object (or a copy of a named schema), so it can be used as is */
        if (cJSON_IsObject(r)) {
            prop = r;
        } else {
            prop = rs_js_spread(r);
            cJSON_Delete(r);
        }
        if (!prop) {
            rc = oom(c);
            goto done;
        }
        cJSON *t = cJSON_GetObjectItemCaseSensitive(prop, "type");
        if (optional && cJSON_IsString(t)) {
            cJSON *arr = cJSON_CreateArray();
            if (!arr || !cJSON_AddItemToArray(arr, cJSON_CreateString(t->valuestring)) ||
                !cJSON_AddItemToArray(arr, cJSON_CreateString("null"))) {
                cJSON_Delete(arr);
                rc = oom(c);
                goto done;
            }
            if (js_set(prop, "type", arr) != 0) {
                rc = oom(c);
                goto done;
            }
        }
        rc = js_set(props, name, prop) ? oom(c) : 0;
        prop = NULL;
        goto done;
    }
    /* typeInfo.substring(0, typeInfo.length - 1): drop the last character (the ")") */
    size_t tl = strlen(type_info);
    size_t cut = tl - 1;
    while (cut > 0 && ((unsigned char)type_info[cut] & 0xC0) == 0x80)
        cut--;
    type_info[cut] = '\0';
    if (extract_description(type_info, &type, &desc) != 0) {
        rc = oom(c);
        goto done;
    }
    if (strcmp(type, "array") == 0) {
        cJSON *items = NULL;
        rc = parse_pico(&items, c, value);
        if (rc)
            goto done;
        prop = cJSON_CreateObject();
        cJSON *t = optional ? cJSON_CreateArray() : cJSON_CreateString("array");
        if (optional && t &&
            (!cJSON_AddItemToArray(t, cJSON_CreateString("array")) ||
             !cJSON_AddItemToArray(t, cJSON_CreateString("null")))) {
            cJSON_Delete(t);
            t = NULL;
        }
        if (!prop || !t || !cJSON_AddItemToObject(prop, "type", t)) {
            cJSON_Delete(t);
            cJSON_Delete(items);
            rc = oom(c);
            goto done;
        }
        if (!cJSON_AddItemToObject(prop, "items", items)) {
            cJSON_Delete(items);
            rc = oom(c);
            goto done;
        }
    } else if (strcmp(type, "object") == 0) {
        rc = parse_pico(&prop, c, value);
        if (rc)
            goto done;
        if (optional) {
            /* prop.type = [prop.type, "null"]; an absent type is undefined -> null in JSON */
            cJSON *t = cJSON_GetObjectItemCaseSensitive(prop, "type");
            cJSON *arr = cJSON_CreateArray();
            cJSON *first = t ? cJSON_Duplicate(t, 1) : cJSON_CreateNull();
            if (!arr || !first || !cJSON_AddItemToArray(arr, first)) {
                cJSON_Delete(arr);
                cJSON_Delete(first);
                rc = oom(c);
                goto done;
            }
            if (!cJSON_AddItemToArray(arr, cJSON_CreateString("null"))) {
                cJSON_Delete(arr);
                rc = oom(c);
                goto done;
            }
            if (js_set(prop, "type", arr) != 0) {
                rc = oom(c);
                goto done;
            }
        }
    } else if (strcmp(type, "enum") == 0) {
        cJSON *values = cJSON_Duplicate(value, 1);
        prop = cJSON_CreateObject();
        if (!prop || (value && !values)) {
            cJSON_Delete(values);
            rc = oom(c);
            goto done;
        }
        /* the reference accepts any value here and builds a schema no validator reads as
         * intended (or throws a TypeError when the field is optional): an error is clearer */
        if (!cJSON_IsArray(values)) {
            cJSON_Delete(values);
            rc = fail(c, value, 0, "the values of an enum must be a list%s", "");
            goto done;
        }
        if (optional) {
            int has_null = 0;
            for (cJSON *v = values->child; v; v = v->next)
                has_null |= cJSON_IsNull(v);
            if (!has_null && !cJSON_AddItemToArray(values, cJSON_CreateNull())) {
                cJSON_Delete(values);
                rc = oom(c);
                goto done;
            }
        }
        if (!values)
            values = cJSON_CreateNull();
        if (!values || !cJSON_AddItemToObject(prop, "enum", values)) {
            cJSON_Delete(values);
            rc = oom(c);
            goto done;
        }
    } else {
        rc = fail(c, value, 1, "parenthetical type must be 'array', 'object' or 'enum', got '%s'",
                  type);
        goto done;
    }
    if (desc && js_set(prop, "description", cJSON_CreateString(desc)) != 0) {
        rc = oom(c);
        goto done;
    }
    rc = js_set(props, name, prop) ? oom(c) : 0;
    prop = NULL;

done:
    cJSON_Delete(prop);
    rs_free(name);
    rs_free(type_info);
    rs_free(type);
    rs_free(desc);
    return rc;
}

static int parse_pico(cJSON **out, ctx *c, const cJSON *obj)
{
    int rc = 0;
    char *type = NULL, *desc = NULL;
    cJSON *schema = NULL;
    *out = NULL;
    if (++c->depth > MAX_DEPTH) {
        rc = rs_error_set(c->err, RS_ELIMIT, "%s: Picoschema nested deeper than %d levels",
                          c->where ? c->where : "schema", MAX_DEPTH);
        goto done;
    }
    if (cJSON_IsString(obj)) {
        if (extract_description(obj->valuestring, &type, &desc) != 0) {
            rc = oom(c);
            goto done;
        }
        if (!is_scalar_type(type))
            rc = resolve_named(out, c, obj, type, desc);
        else
            rc = type_schema(out, c, type, desc, 0);
        goto done;
    }
    if (obj && !cJSON_IsObject(obj) && !cJSON_IsArray(obj) && !cJSON_IsNull(obj)) {
        char *text = rs_json_print(obj, 0);
        rc = fail(c, obj, 0, "expected a type name or an object, got %s", text ? text : "?");
        rs_free(text);
        goto done;
    }
    if (!obj) {
        rc = fail(c, obj, 0, "expected a type name or an object, got %s", "undefined");
        goto done;
    }
    schema = cJSON_CreateObject();
    if (!schema || !cJSON_AddStringToObject(schema, "type", "object") ||
        !cJSON_AddObjectToObject(schema, "properties") ||
        !cJSON_AddArrayToObject(schema, "required") ||
        !cJSON_AddFalseToObject(schema, "additionalProperties")) {
        rc = oom(c);
        goto done;
    }
    /* for (key in obj): JavaScript key order (array-index keys first); an array's indices */
    if (cJSON_IsArray(obj)) {
        size_t i = 0;
        for (const cJSON *m = obj->child; m; m = m->next, i++) {
            char key[32];
            snprintf(key, sizeof(key), "%zu", i);
            rc = parse_property(c, schema, key, m);
            if (rc)
                goto done;
        }
    } else if (cJSON_IsObject(obj)) {
        /* index keys ascending (selection by increasing value: such keys are few), then the
         * others in insertion order */
        unsigned long last = 0;
        int have_last = 0;
        for (;;) {
            const cJSON *next = NULL;
            unsigned long best = 0, idx;
            for (const cJSON *m = obj->child; m; m = m->next) {
                if (rs_js_array_index(m->string, &idx) && (!have_last || idx > last) &&
                    (!next || idx < best)) {
                    next = m;
                    best = idx;
                }
            }
            if (!next)
                break;
            if ((rc = parse_property(c, schema, next->string, next)) != 0)
                goto done;
            last = best;
            have_last = 1;
        }
        for (const cJSON *m = obj->child; m; m = m->next) {
            unsigned long idx;
            if (rs_js_array_index(m->string, &idx))
                continue;
            if ((rc = parse_property(c, schema, m->string, m)) != 0)
                goto done;
        }
    }
    if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(schema, "required")) == 0)
        cJSON_DeleteItemFromObjectCaseSensitive(schema, "required");
    *out = schema;
    schema = NULL;
done:
    c->depth--;
    cJSON_Delete(schema);
    rs_free(type);
    rs_free(desc);
    return rc;
}

int rs_picoschema(cJSON **out, const cJSON *schema, const rs_pico_opts *opts, rs_error *err)
{
    rs_pico_opts defaults = RS_PICO_OPTS_INIT;
    if (!opts)
        opts = &defaults;
    ctx c = {opts->named, opts->where, opts->doc, err, 0};
    int rc = 0;
    char *type = NULL, *desc = NULL;
    *out = NULL;
    if (!rs_js_truthy(schema))
        return 0;
    if (cJSON_IsString(schema)) {
        if (extract_description(schema->valuestring, &type, &desc) != 0)
            rc = oom(&c);
        else if (is_scalar_type(type))
            rc = type_schema(out, &c, type, desc, 1);
        else
            rc = resolve_named(out, &c, schema, type, desc);
        goto done;
    }
    if (cJSON_IsObject(schema)) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(schema, "type");
        if (cJSON_IsString(t) &&
            (is_scalar_type(t->valuestring) || strcmp(t->valuestring, "object") == 0 ||
             strcmp(t->valuestring, "array") == 0)) {
            *out = cJSON_Duplicate(schema, 1);
            rc = *out ? 0 : oom(&c);
            goto done;
        }
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(schema, "properties");
        if (cJSON_IsObject(p) || cJSON_IsArray(p) || cJSON_IsNull(p)) {
            cJSON *o = cJSON_Duplicate(schema, 1);
            if (!o || js_set(o, "type", cJSON_CreateString("object")) != 0) {
                cJSON_Delete(o);
                rc = oom(&c);
                goto done;
            }
            *out = o;
            goto done;
        }
    }
    rc = parse_pico(out, &c, schema);
done:
    rs_free(type);
    rs_free(desc);
    return rc;
}
