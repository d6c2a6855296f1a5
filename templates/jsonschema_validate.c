/*
 * templates/jsonschema_validate.c - a small JSON Schema validator (see the header for what it
 * covers). It stops at the first violation: the point is a message that names the field and the
 * rule, not a full report.
 */
#include "templates/jsonschema_validate.h"

#include "util/regex_guard.h"
#include "util/alloc.h"
#include "util/jsnum.h"
#include "util/json.h"
#include "util/str.h"

#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 128

typedef struct vctx {
    const cJSON *root_schema;
    rs_error *err;
    int depth;
} vctx;

static const char *type_of(const cJSON *v)
{
    if (!v)
        return "undefined";
    if (cJSON_IsNull(v))
        return "null";
    if (cJSON_IsBool(v))
        return "boolean";
    if (cJSON_IsNumber(v))
        return "number";
    if (cJSON_IsString(v))
        return "string";
    if (cJSON_IsArray(v))
        return "array";
    return "object";
}

static int is_integer(const cJSON *v)
{
    return cJSON_IsNumber(v) && isfinite(v->valuedouble) && floor(v->valuedouble) == v->valuedouble;
}

static int type_matches(const char *t, const cJSON *v)
{
    if (strcmp(t, "any") == 0)
        return 1;
    if (strcmp(t, "integer") == 0)
        return is_integer(v);
    return strcmp(t, type_of(v)) == 0;
}

/* Append v as JSON (numbers as JavaScript prints them) for messages. */
static void show(rs_str *s, const cJSON *v)
{
    char *text = rs_json_print(v, 0);
    if (cJSON_IsNumber(v)) {
        char num[RS_JSNUM_MAX];
        rs_str_append(s, num, rs_jsnum_format(v->valuedouble, num));
    } else if (text && strlen(text) > 60) {
        rs_str_append(s, text, 57);
        rs_str_puts(s, "...");
    } else {
        rs_str_puts(s, text ? text : "?");
    }
    rs_free(text);
}

static int violation(vctx *c, const rs_str *path, const char *fmt, ...) RS_PRINTF(3, 4);
static int violation(vctx *c, const rs_str *path, const char *fmt, ...)
{
    char msg[RS_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
        msg[0] = '\0';
    va_end(ap);
    return rs_error_set(c->err, RS_ESCHEMA, "%s: %s", rs_str_cstr(path), msg);
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static const cJSON *resolve_ref(vctx *c, const char *ref)
{
    if (ref[0] != '#')
        return NULL;
    const cJSON *cur = c->root_schema;
    const char *p = ref + 1;
    while (*p == '/' && cur) {
        p++;
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char key[256];
        size_t k = 0;
        for (size_t i = 0; i < n && k + 1 < sizeof(key); i++) {
            if (p[i] == '~' && i + 1 < n && (p[i + 1] == '0' || p[i + 1] == '1')) {
                key[k++] = p[i + 1] == '0' ? '~' : '/';
                i++;
            } else {
                key[k++] = p[i];
            }
        }
        key[k] = '\0';
        cur = cJSON_GetObjectItemCaseSensitive(cur, key);
        p += n;
    }
    return *p ? NULL : cur;
}

static int validate(vctx *c, const cJSON *schema, const cJSON *v, rs_str *path);

/* Validate a child: path gets ".key" or "[i]" appended while it runs. */
static int validate_child(vctx *c, const cJSON *schema, const cJSON *v, rs_str *path,
                          const char *key, long index)
{
    size_t mark = path->len;
    if (key)
        rs_str_appendf(path, ".%s", key);
    else
        rs_str_appendf(path, "[%ld]", index);
    int rc = rs_str_error(path) ? rs_str_report(path, c->err, "a schema path")
                                : validate(c, schema, v, path);
    path->len = mark;
    if (path->ptr)
        path->ptr[mark] = '\0';
    return rc;
}

static int check_type(vctx *c, const cJSON *t, const cJSON *v, const rs_str *path)
{
    int ok = 0;
    if (cJSON_IsString(t)) {
        ok = type_matches(t->valuestring, v);
    } else if (cJSON_IsArray(t)) {
        for (const cJSON *e = t->child; e; e = e->next)
            ok |= cJSON_IsString(e) && type_matches(e->valuestring, v);
    } else {
        return 0; /* not a usable type: ignore */
    }
    if (ok)
        return 0;
    rs_str want = RS_STR_INIT, got = RS_STR_INIT;
    if (cJSON_IsString(t)) {
        rs_str_puts(&want, t->valuestring);
    } else {
        for (const cJSON *e = t->child; e; e = e->next) {
            if (!cJSON_IsString(e))
                continue;
            if (want.len)
                rs_str_puts(&want, e->next ? ", " : " or ");
            rs_str_puts(&want, e->valuestring);
        }
    }
    /* "expected integer, got 1.5" says more than "got number" */
    if (cJSON_IsNumber(v))
        show(&got, v);
    else
        rs_str_puts(&got, type_of(v));
    int rc = violation(c, path, "expected %s, got %s", rs_str_cstr(&want), rs_str_cstr(&got));
    rs_str_free(&want);
    rs_str_free(&got);
    return rc;
}

static int check_enum(vctx *c, const cJSON *e, const cJSON *v, const rs_str *path)
{
    if (!cJSON_IsArray(e))
        return 0;
    for (const cJSON *x = e->child; x; x = x->next) {
        if (rs_json_equal(x, v))
            return 0;
    }
    rs_str s = RS_STR_INIT;
    show(&s, v);
    rs_str_puts(&s, " is not one of ");
    for (const cJSON *x = e->child; x; x = x->next) {
        show(&s, x);
        if (x->next)
            rs_str_puts(&s, ", ");
    }
    int rc = violation(c, path, "%s", rs_str_cstr(&s));
    rs_str_free(&s);
    return rc;
}

static double num(const cJSON *schema, const char *key, int *present)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(schema, key);
    *present = cJSON_IsNumber(n);
    return *present ? n->valuedouble : 0;
}

static int check_number(vctx *c, const cJSON *schema, const cJSON *v, const rs_str *path)
{
    int has;
    char buf[RS_JSNUM_MAX];
    double x = v->valuedouble, lim;
    lim = num(schema, "minimum", &has);
    if (has && x < lim)
        return rs_jsnum_format(lim, buf), violation(c, path, "must be >= %s", buf);
    lim = num(schema, "maximum", &has);
    if (has && x > lim)
        return rs_jsnum_format(lim, buf), violation(c, path, "must be <= %s", buf);
    lim = num(schema, "exclusiveMinimum", &has);
    if (has && x <= lim)
        return rs_jsnum_format(lim, buf), violation(c, path, "must be > %s", buf);
    lim = num(schema, "exclusiveMaximum", &has);
    if (has && x >= lim)
        return rs_jsnum_format(lim, buf), violation(c, path, "must be < %s", buf);
    lim = num(schema, "multipleOf", &has);
    if (has && lim > 0) {
        double q = x / lim;
        if (fabs(q - round(q)) > 1e-9)
            return rs_jsnum_format(lim, buf), violation(c, path, "must be a multiple of %s", buf);
    }
    return 0;
}

static int check_string(vctx *c, const cJSON *schema, const cJSON *v, const rs_str *path)
{
    int has;
    size_t n = utf8_chars(v->valuestring);
    double lim = num(schema, "minLength", &has);
    if (has && (double)n < lim)
        return violation(c, path, "must be at least %.0f characters long", lim);
    lim = num(schema, "maxLength", &has);
    if (has && (double)n > lim)
        return violation(c, path, "must be at most %.0f characters long", lim);
    const cJSON *pat = cJSON_GetObjectItemCaseSensitive(schema, "pattern");
    if (cJSON_IsString(pat)) {
        regex_t re;
        const char *why = NULL;
        if (rs_regex_check(pat->valuestring, &why) != 0)
            return rs_error_set(c->err, RS_ELIMIT, "%s: the schema's pattern /%s/ is refused: %s",
                                rs_str_cstr(path), pat->valuestring, why);
        int rrc = regcomp(&re, pat->valuestring, REG_EXTENDED | REG_NOSUB);
        if (rrc != 0)
            return rs_error_set(c->err, RS_EINVAL,
                                "%s: the schema's pattern /%s/ is not a regular expression "
                                "Rosetta can use (POSIX extended)",
                                rs_str_cstr(path), pat->valuestring);
        int m = regexec(&re, v->valuestring, 0, NULL, 0);
        regfree(&re);
        if (m != 0)
            return violation(c, path, "must match the pattern /%s/", pat->valuestring);
    }
    return 0;
}

static int check_array(vctx *c, const cJSON *schema, const cJSON *v, rs_str *path)
{
    int has, rc;
    double n = (double)cJSON_GetArraySize(v);
    double lim = num(schema, "minItems", &has);
    if (has && n < lim)
        return violation(c, path, "must have at least %.0f items", lim);
    lim = num(schema, "maxItems", &has);
    if (has && n > lim)
        return violation(c, path, "must have at most %.0f items", lim);
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(schema, "uniqueItems"))) {
        for (const cJSON *a = v->child; a; a = a->next) {
            for (const cJSON *b = a->next; b; b = b->next) {
                if (rs_json_equal(a, b))
                    return violation(c, path, "must not hold the same item twice");
            }
        }
    }
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(schema, "items");
    long i = 0;
    const cJSON *tuple = cJSON_IsArray(items) ? items->child : NULL;
    for (const cJSON *e = v->child; e; e = e->next, i++) {
        const cJSON *s = cJSON_IsObject(items) ? items : tuple;
        if (tuple)
            tuple = tuple->next;
        if (s && (rc = validate_child(c, s, e, path, NULL, i)) != 0)
            return rc;
    }
    return 0;
}

static int check_object(vctx *c, const cJSON *schema, const cJSON *v, rs_str *path)
{
    int has, rc;
    double n = (double)cJSON_GetArraySize(v);
    double lim = num(schema, "minProperties", &has);
    if (has && n < lim)
        return violation(c, path, "must have at least %.0f properties", lim);
    lim = num(schema, "maxProperties", &has);
    if (has && n > lim)
        return violation(c, path, "must have at most %.0f properties", lim);
    const cJSON *req = cJSON_GetObjectItemCaseSensitive(schema, "required");
    for (const cJSON *r = cJSON_IsArray(req) ? req->child : NULL; r; r = r->next) {
        if (cJSON_IsString(r) && !cJSON_GetObjectItemCaseSensitive(v, r->valuestring)) {
            size_t mark = path->len;
            rs_str_appendf(path, ".%s", r->valuestring);
            rc = violation(c, path, "required property missing");
            path->len = mark;
            path->ptr[mark] = '\0';
            return rc;
        }
    }
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
    const cJSON *extra = cJSON_GetObjectItemCaseSensitive(schema, "additionalProperties");
    for (const cJSON *m = v->child; m; m = m->next) {
        const cJSON *ps =
            cJSON_IsObject(props) ? cJSON_GetObjectItemCaseSensitive(props, m->string) : NULL;
        if (ps) {
            if ((rc = validate_child(c, ps, m, path, m->string, 0)) != 0)
                return rc;
        } else if (cJSON_IsFalse(extra)) {
            size_t mark = path->len;
            rs_str_appendf(path, ".%s", m->string);
            rc = violation(c, path, "property not allowed by the schema");
            path->len = mark;
            path->ptr[mark] = '\0';
            return rc;
        } else if (cJSON_IsObject(extra)) {
            if ((rc = validate_child(c, extra, m, path, m->string, 0)) != 0)
                return rc;
        }
    }
    return 0;
}

static int validate(vctx *c, const cJSON *schema, const cJSON *v, rs_str *path)
{
    int rc = 0;
    if (cJSON_IsFalse(schema))
        return violation(c, path, "not allowed by the schema");
    if (!cJSON_IsObject(schema) || !v)
        return 0;
    if (++c->depth > MAX_DEPTH) {
        rc = rs_error_set(c->err, RS_ELIMIT, "%s: the schema nests deeper than %d levels",
                          rs_str_cstr(path), MAX_DEPTH);
        goto done;
    }
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(schema, "$ref");
    if (cJSON_IsString(ref)) {
        const cJSON *target = resolve_ref(c, ref->valuestring);
        if (!target) {
            rc = rs_error_set(c->err, RS_EINVAL, "%s: the schema's $ref '%s' cannot be resolved",
                              rs_str_cstr(path), ref->valuestring);
            goto done;
        }
        if ((rc = validate(c, target, v, path)) != 0)
            goto done;
    }
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(schema, "type");
    if (t && (rc = check_type(c, t, v, path)) != 0)
        goto done;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(schema, "enum");
    if (e && (rc = check_enum(c, e, v, path)) != 0)
        goto done;
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(schema, "const");
    if (k && !rs_json_equal(k, v)) {
        rs_str s = RS_STR_INIT;
        show(&s, k);
        rc = violation(c, path, "must be %s", rs_str_cstr(&s));
        rs_str_free(&s);
        goto done;
    }
    if (cJSON_IsNumber(v))
        rc = check_number(c, schema, v, path);
    else if (cJSON_IsString(v))
        rc = check_string(c, schema, v, path);
    else if (cJSON_IsArray(v))
        rc = check_array(c, schema, v, path);
    else if (cJSON_IsObject(v))
        rc = check_object(c, schema, v, path);
    if (rc)
        goto done;

    const cJSON *all = cJSON_GetObjectItemCaseSensitive(schema, "allOf");
    for (const cJSON *s = cJSON_IsArray(all) ? all->child : NULL; s; s = s->next) {
        if ((rc = validate(c, s, v, path)) != 0)
            goto done;
    }
    const cJSON *any = cJSON_GetObjectItemCaseSensitive(schema, "anyOf");
    const cJSON *one = cJSON_GetObjectItemCaseSensitive(schema, "oneOf");
    for (int which = 0; which < 2; which++) {
        const cJSON *list = which ? one : any;
        if (!cJSON_IsArray(list))
            continue;
        int matched = 0;
        for (const cJSON *s = list->child; s; s = s->next) {
            rs_error scratch = RS_ERROR_INIT;
            vctx sub = {c->root_schema, &scratch, c->depth};
            int r = validate(&sub, s, v, path);
            if (r == 0)
                matched++;
            else if (r != RS_ESCHEMA) {
                *c->err = scratch;
                rc = r;
                goto done;
            }
        }
        if (which == 0 && matched == 0) {
            rc = violation(c, path, "does not match any of the schemas in anyOf");
            goto done;
        }
        if (which == 1 && matched != 1) {
            rc = violation(c, path, "must match exactly one of the schemas in oneOf (matches %d)",
                           matched);
            goto done;
        }
    }
    const cJSON *not_ = cJSON_GetObjectItemCaseSensitive(schema, "not");
    if (cJSON_IsObject(not_)) {
        rs_error scratch = RS_ERROR_INIT;
        vctx sub = {c->root_schema, &scratch, c->depth};
        if (validate(&sub, not_, v, path) == 0) {
            rc = violation(c, path, "must not match the schema in 'not'");
            goto done;
        }
    }
done:
    c->depth--;
    return rc;
}

int rs_jsonschema_validate(const cJSON *schema, const cJSON *value, const char *root, rs_error *err)
{
    vctx c = {schema, err, 0};
    rs_str path = RS_STR_INIT;
    rs_str_puts(&path, root ? root : "$");
    int rc = rs_str_error(&path) ? rs_str_report(&path, err, "a schema path")
                                 : validate(&c, schema, value, &path);
    rs_str_free(&path);
    return rc;
}
