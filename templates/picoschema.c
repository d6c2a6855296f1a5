/*
 * templates/picoschema.c - Picoschema -> JSON Schema (see picoschema.h for the rules).
 * The code follows the reference's structure (parse, parsePico, extractDescription) so that a
 * reader can check it against the spec line by line.
 */
#include "templates/picoschema.h"

#include "templates/yaml_json.h"
#include "util/alloc.h"
#include "util/json.h"
#include "util/json_build.h"
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
    const rs_jt *jb;  /* where the result is built */
    rs_arena *tmp;    /* names and types cut from keys: the result's arena (so that its keys may
                         point there: rs_jt_*_kept), or own_tmp for heap results */
    rs_arena own_tmp; /* for heap results: freed when the conversion ends */
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

cJSON *rs_js_spread_build(const rs_jt *b, const cJSON *v)
{
    cJSON *o = rs_jt_node(b, cJSON_Object);
    if (!o)
        return NULL;
    if (cJSON_IsObject(v)) {
        for (const cJSON *c = v->child; c; c = c->next) {
            if (rs_jt_add(b, o, c->string, rs_jt_dup(b, c)) != 0)
                goto fail;
        }
    } else if (cJSON_IsArray(v)) {
        size_t i = 0;
        for (const cJSON *c = v->child; c; c = c->next, i++) {
            char key[32];
            snprintf(key, sizeof(key), "%zu", i);
            if (rs_jt_add(b, o, key, rs_jt_dup(b, c)) != 0)
                goto fail;
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
                if (rs_jt_add(b, o, key, rs_jt_string(b, (const char *)units[j], ulen[j])) != 0)
                    goto fail;
            }
            i += w;
        }
    }
    return o;
fail:
    rs_jt_drop(b, o);
    return NULL;
}

cJSON *rs_js_spread(const cJSON *v)
{
    rs_jt heap = {NULL};
    return rs_js_spread_build(&heap, v);
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

/* strcmp(s, word) == 0, deciding most calls by the first byte */
static int is_word(const char *s, const char *word)
{
    return s[0] == word[0] && strcmp(s, word) == 0;
}

static int is_scalar_type(const char *t)
{
    for (size_t i = 0; i < sizeof(scalar_types) / sizeof(*scalar_types); i++) {
        if (t[0] == scalar_types[i][0] && strcmp(t, scalar_types[i]) == 0)
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
 * line; it needs a comma there. type/desc are new strings in c->tmp (desc NULL when empty or
 * absent).
 */
static int extract_description(ctx *c, const char *in, char **type, char **desc)
{
    size_t n = strlen(in);
    *type = NULL;
    *desc = NULL;
    size_t line = 0;
    /* most descriptions are one line of ASCII: look for a terminator's bytes first */
    for (size_t i = strcspn(in, "\n\r\xE2"); i < n; i++) {
        size_t w = line_term(in, n, i);
        if (w) {
            line = i + w;
            i += w - 1;
        }
    }
    const char *comma = memchr(in + line, ',', n - line);
    if (!comma) {
        *type = rs_arena_strndup(c->tmp, in, n);
        return *type ? 0 : RS_ENOMEM;
    }
    *type = rs_arena_strndup(c->tmp, in + line, (size_t)(comma - (in + line)));
    const char *d = comma + 1;
    while (*d == ' ')
        d++;
    if (*d)
        *desc = rs_arena_strndup(c->tmp, d, strlen(d));
    return !*type || (*d && !*desc) ? RS_ENOMEM : 0;
}

/* A string node of s in the result. Every s here is a literal or text cut into c->tmp, which
 * is the result's arena when there is one: an arena result points at it. */
static cJSON *str(ctx *c, const char *s)
{
    return rs_jt_cstring_kept(c->jb, s);
}

/* [first, "null"]: takes first over (NULL when out of memory). */
static cJSON *or_null(ctx *c, cJSON *first)
{
    cJSON *arr = first ? rs_jt_node(c->jb, cJSON_Array) : NULL;
    cJSON *null = arr ? str(c, "null") : NULL;
    if (!null) {
        rs_jt_drop(c->jb, arr);
        rs_jt_drop(c->jb, first);
        return NULL;
    }
    rs_jt_push(arr, first);
    rs_jt_push(arr, null);
    return arr;
}

/* A named schema, copied (with the description set when there is one). `at` is the string
 * naming it, for errors. */
static int resolve_named(cJSON **out, ctx *c, const cJSON *at, const char *name, const char *desc)
{
    const cJSON *v = c->named ? rs_jt_get(c->named, name) : NULL;
    *out = NULL;
    if (!rs_js_truthy(v)) {
        /* Capitalised names read as schema names (Person), others as mistyped types (strng) */
        if (name[0] >= 'A' && name[0] <= 'Z')
            return fail(c, at, 0, "no schema named '%s'", name);
        return fail(c, at, 0, "unknown type '%s' (not a scalar type or a named schema)", name);
    }
    cJSON *r = desc ? rs_js_spread_build(c->jb, v) : rs_jt_dup(c->jb, v);
    if (!r)
        return oom(c);
    if (desc && rs_jt_set_kept(c->jb, r, "description", str(c, desc)) != 0) {
        rs_jt_drop(c->jb, r);
        return oom(c);
    }
    *out = r;
    return 0;
}

static int type_schema(cJSON **out, ctx *c, const char *type, const char *desc, int keep_any)
{
    cJSON *o = rs_jt_node(c->jb, cJSON_Object);
    *out = NULL;
    if (!o)
        return oom(c);
    if ((keep_any || !is_word(type, "any")) && rs_jt_add_kept(c->jb, o, "type", str(c, type)) != 0)
        goto nomem;
    if (desc && rs_jt_add_kept(c->jb, o, "description", str(c, desc)) != 0)
        goto nomem;
    *out = o;
    return 0;
nomem:
    rs_jt_drop(c->jb, o);
    return oom(c);
}

static int parse_pico(cJSON **out, ctx *c, const cJSON *obj);

/* One `key: value` of a Picoschema object into schema (whose properties and required members
 * the caller passes: it made them). */
static int parse_property(ctx *c, cJSON *schema, cJSON *props, cJSON *required, const char *key,
                          const cJSON *value)
{
    int rc = 0;
    char *name = NULL, *type_info = NULL, *type = NULL, *desc = NULL;
    cJSON *prop = NULL;

    if (is_word(key, "(*)")) {
        rc = parse_pico(&prop, c, value);
        if (rc == 0) {
            rc = rs_jt_set_kept(c->jb, schema, "additionalProperties", prop) ? oom(c) : 0;
            prop = NULL;
        }
        goto done;
    }
    /* const [name, typeInfo] = key.split("(") */
    const char *p1 = strchr(key, '(');
    name = rs_arena_strndup(c->tmp, key, p1 ? (size_t)(p1 - key) : strlen(key));
    if (p1) {
        const char *p2 = strchr(p1 + 1, '(');
        type_info = rs_arena_strndup(c->tmp, p1 + 1, p2 ? (size_t)(p2 - p1 - 1) : strlen(p1 + 1));
    }
    if (!name || (p1 && !type_info)) {
        rc = oom(c);
        goto done;
    }
    size_t nl = strlen(name);
    int optional = nl > 0 && name[nl - 1] == '?';
    if (optional)
        name[nl - 1] = '\0';
    if (!optional) {
        cJSON *r = str(c, name);
        if (!r) {
            rc = oom(c);
            goto done;
        }
        rs_jt_push(required, r);
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
            prop = rs_js_spread_build(c->jb, r);
            rs_jt_drop(c->jb, r);
        }
        if (!prop) {
            rc = oom(c);
            goto done;
        }
        cJSON *t = rs_jt_get(prop, "type");
        if (optional && cJSON_IsString(t) &&
            rs_jt_set_kept(c->jb, prop, "type", or_null(c, str(c, t->valuestring))) != 0) {
            rc = oom(c);
            goto done;
        }
        rc = rs_jt_set_kept(c->jb, props, name, prop) ? oom(c) : 0;
        prop = NULL;
        goto done;
    }
    /* typeInfo.substring(0, typeInfo.length - 1): drop the last character (the ")") */
    size_t tl = strlen(type_info);
    size_t cut = tl - 1;
    while (cut > 0 && ((unsigned char)type_info[cut] & 0xC0) == 0x80)
        cut--;
    type_info[cut] = '\0';
    if (extract_description(c, type_info, &type, &desc) != 0) {
        rc = oom(c);
        goto done;
    }
    if (is_word(type, "array")) {
        cJSON *items = NULL;
        rc = parse_pico(&items, c, value);
        if (rc)
            goto done;
        prop = rs_jt_node(c->jb, cJSON_Object);
        cJSON *t = optional ? or_null(c, str(c, "array")) : str(c, "array");
        if (!prop || rs_jt_add_kept(c->jb, prop, "type", t) != 0) {
            if (!prop)
                rs_jt_drop(c->jb, t);
            rs_jt_drop(c->jb, items);
            rc = oom(c);
            goto done;
        }
        if (rs_jt_add_kept(c->jb, prop, "items", items) != 0) {
            rc = oom(c);
            goto done;
        }
    } else if (is_word(type, "object")) {
        rc = parse_pico(&prop, c, value);
        if (rc)
            goto done;
        if (optional) {
            /* prop.type = [prop.type, "null"]; an absent type is undefined -> null in JSON */
            cJSON *t = rs_jt_get(prop, "type");
            cJSON *first = t ? rs_jt_dup(c->jb, t) : rs_jt_node(c->jb, cJSON_NULL);
            if (rs_jt_set_kept(c->jb, prop, "type", or_null(c, first)) != 0) {
                rc = oom(c);
                goto done;
            }
        }
    } else if (is_word(type, "enum")) {
        /* the reference accepts any value here and builds a schema no validator reads as
         * intended (or throws a TypeError when the field is optional): an error is clearer */
        if (!cJSON_IsArray(value)) {
            rc = fail(c, value, 0, "the values of an enum must be a list%s", "");
            goto done;
        }
        cJSON *values = rs_jt_dup(c->jb, value);
        prop = rs_jt_node(c->jb, cJSON_Object);
        if (!prop || !values) {
            rs_jt_drop(c->jb, values);
            rc = oom(c);
            goto done;
        }
        if (optional) {
            int has_null = 0;
            for (cJSON *v = values->child; v; v = v->next)
                has_null |= cJSON_IsNull(v);
            cJSON *null = has_null ? NULL : rs_jt_node(c->jb, cJSON_NULL);
            if (!has_null && !null) {
                rs_jt_drop(c->jb, values);
                rc = oom(c);
                goto done;
            }
            if (null)
                rs_jt_push(values, null);
        }
        if (rs_jt_add_kept(c->jb, prop, "enum", values) != 0) {
            rc = oom(c);
            goto done;
        }
    } else {
        rc = fail(c, value, 1, "parenthetical type must be 'array', 'object' or 'enum', got '%s'",
                  type);
        goto done;
    }
    if (desc && rs_jt_set_kept(c->jb, prop, "description", str(c, desc)) != 0) {
        rc = oom(c);
        goto done;
    }
    rc = rs_jt_set_kept(c->jb, props, name, prop) ? oom(c) : 0;
    prop = NULL;

done:
    rs_jt_drop(c->jb, prop);
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
        if (extract_description(c, obj->valuestring, &type, &desc) != 0) {
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
    schema = rs_jt_node(c->jb, cJSON_Object);
    cJSON *props = NULL, *required = NULL; /* made as they are added (dropped if that fails) */
    if (!schema || rs_jt_add_kept(c->jb, schema, "type", str(c, "object")) != 0 ||
        rs_jt_add_kept(c->jb, schema, "properties", props = rs_jt_node(c->jb, cJSON_Object)) != 0 ||
        rs_jt_add_kept(c->jb, schema, "required", required = rs_jt_node(c->jb, cJSON_Array)) != 0 ||
        rs_jt_add_kept(c->jb, schema, "additionalProperties", rs_jt_node(c->jb, cJSON_False)) !=
            0) {
        rc = oom(c);
        goto done;
    }
    /* for (key in obj): JavaScript key order (array-index keys first); an array's indices */
    if (cJSON_IsArray(obj)) {
        size_t i = 0;
        for (const cJSON *m = obj->child; m; m = m->next, i++) {
            char key[32];
            snprintf(key, sizeof(key), "%zu", i);
            rc = parse_property(c, schema, props, required, key, m);
            if (rc)
                goto done;
        }
    } else if (cJSON_IsObject(obj)) {
        /* index keys ascending (selection by increasing value: such keys are few), then the
         * others in insertion order */
        unsigned long last = 0;
        int have_last = 0, index_keys = 0; /* an index key starts with a digit: usually none */
        for (const cJSON *m = obj->child; m; m = m->next)
            index_keys |= m->string[0] >= '0' && m->string[0] <= '9';
        for (; index_keys;) {
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
            if ((rc = parse_property(c, schema, props, required, next->string, next)) != 0)
                goto done;
            last = best;
            have_last = 1;
        }
        for (const cJSON *m = obj->child; m; m = m->next) {
            unsigned long idx;
            if (index_keys && rs_js_array_index(m->string, &idx))
                continue;
            if ((rc = parse_property(c, schema, props, required, m->string, m)) != 0)
                goto done;
        }
    }
    if (!required->child)
        rs_jt_remove(c->jb, schema, "required");
    *out = schema;
    schema = NULL;
done:
    c->depth--;
    rs_jt_drop(c->jb, schema);
    return rc;
}

int rs_picoschema_build(cJSON **out, const rs_jt *jb, const cJSON *schema, const rs_pico_opts *opts,
                        rs_error *err)
{
    rs_pico_opts defaults = RS_PICO_OPTS_INIT;
    if (!opts)
        opts = &defaults;
    ctx c = {opts->named, opts->where, opts->doc, err, 0, jb, NULL, RS_ARENA_INIT};
    int rc = 0;
    char *type = NULL, *desc = NULL;
    *out = NULL;
    if (jb->arena) {
        c.tmp = jb->arena;
    } else {
        rs_arena_init(&c.own_tmp, 1024);
        c.tmp = &c.own_tmp;
    }
    if (!rs_js_truthy(schema))
        goto done;
    if (cJSON_IsString(schema)) {
        if (extract_description(&c, schema->valuestring, &type, &desc) != 0)
            rc = oom(&c);
        else if (is_scalar_type(type))
            rc = type_schema(out, &c, type, desc, 1);
        else
            rc = resolve_named(out, &c, schema, type, desc);
        goto done;
    }
    if (cJSON_IsObject(schema)) {
        const cJSON *t = rs_jt_get(schema, "type");
        if (cJSON_IsString(t) &&
            (is_scalar_type(t->valuestring) || is_word(t->valuestring, "object") ||
             is_word(t->valuestring, "array"))) {
            *out = rs_jt_dup(jb, schema);
            rc = *out ? 0 : oom(&c);
            goto done;
        }
        const cJSON *p = rs_jt_get(schema, "properties");
        if (cJSON_IsObject(p) || cJSON_IsArray(p) || cJSON_IsNull(p)) {
            cJSON *o = rs_jt_dup(jb, schema);
            if (!o || rs_jt_set_kept(jb, o, "type", str(&c, "object")) != 0) {
                rs_jt_drop(jb, o);
                rc = oom(&c);
                goto done;
            }
            *out = o;
            goto done;
        }
    }
    rc = parse_pico(out, &c, schema);
done:
    rs_arena_free(&c.own_tmp);
    return rc;
}

int rs_picoschema(cJSON **out, const cJSON *schema, const rs_pico_opts *opts, rs_error *err)
{
    rs_jt heap = {NULL};
    return rs_picoschema_build(out, &heap, schema, opts, err);
}
