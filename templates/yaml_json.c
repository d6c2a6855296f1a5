/*
 * templates/yaml_json.c - libyaml's event stream folded into a cJSON tree, typed as the npm
 * `yaml` package (YAML 1.2 core schema) types it; see yaml_json.h for the rules.
 */
#include "templates/yaml_json.h"
#include "templates/yaml_internal.h"

#include "util/alloc.h"
#include "util/jsnum.h"
#include "util/json_build.h"
#include "util/vec.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* How a mapping key was typed, for the reference's duplicate-key rule (equal scalar values). */
enum { KEY_STR = 's', KEY_NUM = 'n', KEY_NAN = 'N', KEY_BOOL = 'b', KEY_NULL = 'z' };

typedef struct member {
    char kind;        /* KEY_* */
    char *name;       /* the property name (rs_malloc) */
    yaml_mark_t mark; /* where the key is */
} member;

typedef struct frame {
    cJSON *node; /* the array or object being filled */
    int is_map;
    char *key; /* the pending key of a mapping (rs_malloc), NULL when a key is expected */
    char key_kind;
    yaml_mark_t key_mark;
    yaml_mark_t mark; /* where the collection starts */
    int flow;         /* written [..] or {..} */
    rs_vec members;   /* member: every key seen, in order (the YAML keys, not the JS ones) */
    char *anchor;     /* the collection's anchor, copied at its end */
} frame;

typedef struct anchor {
    char *name;
    cJSON *value; /* a private copy */
    size_t nodes; /* values in it, for the alias budget */
} anchor;

typedef struct builder {
    const rs_yaml_opts *opts;
    rs_error *err;
    rs_vec stack;   /* frame */
    rs_vec anchors; /* anchor */
    rs_vec locs;    /* rs_yaml_loc */
    cJSON *root;
    int have_root;
    int docs;
    size_t nodes, max_nodes;
    const char *text; /* the YAML text, for looking at the character an error points at */
    size_t len;
} builder;

/* ---- typing of plain scalars (the core schema's tests, in the schema's order) ---- */

static int all_in(const char *s, size_t n, const char *set)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!s[i] || !strchr(set, s[i]))
            return 0;
    }
    return 1;
}

static int eq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

static int is_null_text(const char *s, size_t n)
{
    return n == 0 || eq(s, n, "~") || eq(s, n, "null") || eq(s, n, "Null") || eq(s, n, "NULL");
}

static int bool_text(const char *s, size_t n, int *v)
{
    if (eq(s, n, "true") || eq(s, n, "True") || eq(s, n, "TRUE"))
        return *v = 1, 1;
    if (eq(s, n, "false") || eq(s, n, "False") || eq(s, n, "FALSE"))
        return *v = 0, 1;
    return 0;
}

#define DIGITS "0123456789"

static int is_int_text(const char *s, size_t n)
{
    size_t i = (n > 0 && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    return all_in(s + i, n - i, DIGITS);
}

static int is_oct_text(const char *s, size_t n)
{
    return n > 2 && s[0] == '0' && s[1] == 'o' && all_in(s + 2, n - 2, "01234567");
}

static int is_hex_text(const char *s, size_t n)
{
    return n > 2 && s[0] == '0' && s[1] == 'x' && all_in(s + 2, n - 2, DIGITS "abcdefABCDEF");
}

static int nan_inf_text(const char *s, size_t n, double *v)
{
    size_t i = (n > 0 && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    if (eq(s + i, n - i, ".inf") || eq(s + i, n - i, ".Inf") || eq(s + i, n - i, ".INF")) {
        *v = s[0] == '-' ? -INFINITY : INFINITY;
        return 1;
    }
    if (eq(s, n, ".nan") || eq(s, n, ".NaN") || eq(s, n, ".NAN")) {
        *v = NAN;
        return 1;
    }
    return 0;
}

/* [-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?) then, when exp, [eE][-+]?[0-9]+; else must have a dot */
static int is_float_text(const char *s, size_t n, int exp)
{
    size_t i = (n > 0 && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    size_t int_digits = 0, frac_digits = 0;
    int dot = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++, int_digits++;
    if (i < n && s[i] == '.') {
        dot = 1;
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++, frac_digits++;
    }
    if (int_digits == 0 && frac_digits == 0)
        return 0;
    if (!exp)
        return dot && i == n;
    if (i >= n || (s[i] != 'e' && s[i] != 'E'))
        return 0;
    i++;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    return all_in(s + i, n - i, DIGITS);
}

static double parse_number(const char *s, size_t n, int radix_prefix_oct)
{
    char buf[512];
    if (n >= sizeof(buf)) {
        /* longer than any double needs: keep the leading characters strtod reads exactly
         * enough of (the value saturates the same way for such digit strings) */
        n = sizeof(buf) - 1;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (radix_prefix_oct) {
        double v = 0;
        for (size_t i = 2; i < n; i++)
            v = v * 8 + (buf[i] - '0');
        return v;
    }
    return strtod(buf, NULL);
}

/* Build the JSON value of a plain scalar (s, n), with b's allocator. */
cJSON *rs_yaml_plain_build(const rs_jt *b, const char *s, size_t n)
{
    int v;
    double d;
    if (rs_yaml_plain_is_string(s, n)) /* most values: no other test can match */
        return rs_jt_string(b, s, n);
    if (is_null_text(s, n))
        return rs_jt_node(b, cJSON_NULL);
    if (bool_text(s, n, &v))
        return rs_jt_bool(b, v);
    if (is_oct_text(s, n))
        return rs_jt_number(b, parse_number(s, n, 1));
    if (is_int_text(s, n) || is_hex_text(s, n))
        return rs_jt_number(b, parse_number(s, n, 0));
    if (nan_inf_text(s, n, &d))
        return rs_jt_number(b, d);
    if (is_float_text(s, n, 1) || is_float_text(s, n, 0))
        return rs_jt_number(b, parse_number(s, n, 0));
    return rs_jt_string(b, s, n);
}

cJSON *rs_yaml_plain_value(const char *s, size_t n)
{
    rs_jt heap = {NULL};
    return rs_yaml_plain_build(&heap, s, n);
}

int rs_yaml_plain_is_string(const char *s, size_t n)
{
    int v;
    /* the core schema's other types start with a digit, a sign, '.', '~' or are null/bool words */
    unsigned char c = n ? (unsigned char)s[0] : 0;
    int letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
    if (!letter)
        return 0;
    if (c != 'n' && c != 'N' && c != 't' && c != 'T' && c != 'f' && c != 'F')
        return 1; /* no null or boolean word starts otherwise */
    return !is_null_text(s, n) && !bool_text(s, n, &v);
}

/* An explicitly tagged scalar: the tag's own tests, else a string (the reference warns). */
static cJSON *tagged_value(const char *tag, const char *s, size_t n)
{
    int b;
    double d;
    if (strcmp(tag, "tag:yaml.org,2002:null") == 0 && is_null_text(s, n))
        return cJSON_CreateNull();
    if (strcmp(tag, "tag:yaml.org,2002:bool") == 0 && bool_text(s, n, &b))
        return cJSON_CreateBool(b);
    if (strcmp(tag, "tag:yaml.org,2002:int") == 0) {
        if (is_oct_text(s, n))
            return cJSON_CreateNumber(parse_number(s, n, 1));
        if (is_int_text(s, n) || is_hex_text(s, n))
            return cJSON_CreateNumber(parse_number(s, n, 0));
    }
    if (strcmp(tag, "tag:yaml.org,2002:float") == 0) {
        if (nan_inf_text(s, n, &d))
            return cJSON_CreateNumber(d);
        if (is_float_text(s, n, 1) || is_float_text(s, n, 0))
            return cJSON_CreateNumber(parse_number(s, n, 0));
    }
    return cJSON_CreateString(s);
}

/* ---- JavaScript object key order ---- */

int rs_js_array_index(const char *key, unsigned long *idx)
{
    if (key[0] < '0' || key[0] > '9')
        return 0; /* most keys: decided without measuring them */
    size_t n = strlen(key);
    if (n == 0 || n > 10 || !all_in(key, n, DIGITS) || (n > 1 && key[0] == '0'))
        return 0;
    unsigned long long v = strtoull(key, NULL, 10);
    if (v >= 4294967295ULL)
        return 0;
    *idx = (unsigned long)v;
    return 1;
}

void rs_js_order_keys(cJSON *obj)
{
    if (!obj || !cJSON_IsObject(obj) || !obj->child)
        return;
    /* stable: pull index keys out into a sorted list (insertion sort, usually tiny), keep the
     * others in order, then splice index keys first */
    cJSON *idx_head = NULL, *rest_head = NULL, *rest_tail = NULL;
    int any = 0;
    for (cJSON *c = obj->child; c; c = c->next) {
        unsigned long i;
        if (c->string && rs_js_array_index(c->string, &i)) {
            any = 1;
            break;
        }
    }
    if (!any)
        return;
    cJSON *c = obj->child;
    while (c) {
        cJSON *next = c->next;
        c->next = c->prev = NULL;
        unsigned long i;
        if (c->string && rs_js_array_index(c->string, &i)) {
            cJSON **pp = &idx_head;
            while (*pp) {
                unsigned long j;
                rs_js_array_index((*pp)->string, &j);
                if (j > i)
                    break;
                pp = &(*pp)->next;
            }
            c->next = *pp;
            *pp = c;
        } else {
            if (rest_tail)
                rest_tail->next = c;
            else
                rest_head = c;
            rest_tail = c;
        }
        c = next;
    }
    cJSON *head = idx_head;
    cJSON *tail = idx_head;
    while (tail && tail->next)
        tail = tail->next;
    if (tail)
        tail->next = rest_head;
    else
        head = rest_head;
    /* rebuild prev links; cJSON keeps head->prev pointing at the tail */
    cJSON *prev = NULL;
    for (cJSON *p = head; p; p = p->next) {
        p->prev = prev;
        prev = p;
    }
    if (head)
        head->prev = prev;
    obj->child = head;
}

int rs_js_set(cJSON *target, const char *key, cJSON *v)
{
    rs_jt heap = {NULL};
    return rs_jt_set(&heap, target, key, v);
}

/* ---- errors ---- */

/* The file location (1-based line, byte column) of a libyaml mark. */
static void file_location(const rs_yaml_opts *o, unsigned mline, unsigned mcol, int *line, int *col)
{
    *line = (int)mline + 1 + o->line_offset;
    *col = (int)mcol + 1;
    if (!o->file_src)
        return;
    /* libyaml counts characters; rs_error columns are bytes */
    const char *src = o->file_src;
    size_t off = 0, len = o->file_len;
    for (int l = 1; l < *line && off < len; off++) {
        if (src[off] == '\n' || (src[off] == '\r' && !(off + 1 < len && src[off + 1] == '\n')))
            l++;
    }
    size_t i = off;
    for (unsigned chars = 0; chars < mcol && i < len && src[i] != '\n' && src[i] != '\r'; chars++) {
        i++;
        while (i < len && ((unsigned char)src[i] & 0xC0) == 0x80)
            i++;
    }
    *col = (int)(i - off) + 1;
}

static int verror_at(const rs_yaml_opts *o, rs_error *err, int code, unsigned mline, unsigned mcol,
                     const char *fmt, va_list ap)
{
    char msg[RS_ERROR_MESSAGE_MAX];
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    if (n < 0)
        msg[0] = '\0';
    int line, col;
    file_location(o, mline, mcol, &line, &col);
    rs_error_set_at(err, code, o->filename, line, col, "%s", msg);
    if (o->file_src)
        rs_error_set_snippet(err, o->file_src, o->file_len, line);
    return code;
}

static int set_error_at(builder *b, int code, yaml_mark_t mark, const char *fmt, ...)
    RS_PRINTF(4, 5);
static int set_error_at(builder *b, int code, yaml_mark_t mark, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = verror_at(b->opts, b->err, code, (unsigned)mark.line, (unsigned)mark.column, fmt, ap);
    va_end(ap);
    return rc;
}

int rs_yaml_error_at(const rs_yaml_doc *doc, const cJSON *node, int key, rs_error *err, int code,
                     const char *fmt, ...)
{
    va_list ap;
    int rc = code;
    va_start(ap, fmt);
    const rs_yaml_loc *loc = NULL;
    for (size_t i = 0; doc && node && i < doc->nlocs; i++) {
        if (doc->locs[i].node == node) {
            loc = &doc->locs[i];
            break;
        }
    }
    if (loc) {
        int use_key = key && loc->has_key;
        rc = verror_at(&doc->opts, err, code, use_key ? loc->key_line : loc->line,
                       use_key ? loc->key_col : loc->col, fmt, ap);
    } else {
        char msg[RS_ERROR_MESSAGE_MAX];
        if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
            msg[0] = '\0';
        rs_error_set_at(err, code, doc ? doc->opts.filename : NULL, 0, 0, "%s", msg);
    }
    va_end(ap);
    return rc;
}

static int oom(builder *b)
{
    return rs_error_set(b->err, RS_ENOMEM, "out of memory while reading the frontmatter");
}

/* ---- building ---- */

static size_t count_nodes(const cJSON *v)
{
    size_t n = 1;
    for (const cJSON *c = v ? v->child : NULL; c; c = c->next)
        n += count_nodes(c);
    return n;
}

static int charge(builder *b, size_t n, yaml_mark_t mark)
{
    if (n > b->max_nodes || b->nodes > b->max_nodes - n)
        return set_error_at(b, RS_ELIMIT, mark,
                            "invalid frontmatter: it expands to more than %zu values (aliases?)",
                            b->max_nodes);
    b->nodes += n;
    return 0;
}

static int remember_anchor(builder *b, const char *name, const cJSON *v)
{
    anchor a = {NULL, NULL, 0};
    a.name = rs_strdup(name);
    a.value = cJSON_Duplicate(v, 1);
    if (!a.name || !a.value) {
        rs_free(a.name);
        cJSON_Delete(a.value);
        return oom(b);
    }
    a.nodes = count_nodes(a.value);
    if (rs_vec_push(&b->anchors, &a) != 0) {
        rs_free(a.name);
        cJSON_Delete(a.value);
        return oom(b);
    }
    return 0;
}

static const anchor *find_anchor(const builder *b, const char *name)
{
    for (size_t i = b->anchors.len; i-- > 0;) {
        const anchor *a = &RS_VEC_AT(&b->anchors, anchor, i);
        if (strcmp(a->name, name) == 0)
            return a;
    }
    return NULL;
}

/* The JavaScript property name for a scalar key value. */
char *rs_yaml_key_string(const cJSON *v, char *kind)
{
    char num[RS_JSNUM_MAX];
    if (cJSON_IsString(v)) {
        *kind = KEY_STR;
        return rs_strdup(v->valuestring);
    }
    if (cJSON_IsNull(v)) {
        *kind = KEY_NULL;
        return rs_strdup("");
    }
    if (cJSON_IsBool(v)) {
        *kind = KEY_BOOL;
        return rs_strdup(cJSON_IsTrue(v) ? "true" : "false");
    }
    *kind = isnan(v->valuedouble) ? KEY_NAN : KEY_NUM;
    size_t n = rs_jsnum_format(v->valuedouble, num);
    return rs_strndup(num, n);
}

static frame *top(builder *b)
{
    return b->stack.len ? &RS_VEC_AT(&b->stack, frame, b->stack.len - 1) : NULL;
}

static int add_loc(builder *b, const cJSON *v, yaml_mark_t mark, const frame *parent)
{
    rs_yaml_loc loc;
    memset(&loc, 0, sizeof(loc));
    loc.node = v;
    loc.line = (unsigned)mark.line;
    loc.col = (unsigned)mark.column;
    if (parent && parent->is_map) {
        loc.has_key = 1;
        loc.key_line = (unsigned)parent->key_mark.line;
        loc.key_col = (unsigned)parent->key_mark.column;
    }
    return rs_vec_push(&b->locs, &loc) == 0 ? 0 : oom(b);
}

/* Hand a finished value to its parent (or make it the document). Takes v over. */
static int deliver(builder *b, cJSON *v, yaml_mark_t mark)
{
    frame *f = top(b);
    int rc = 0;
    if (!f) {
        b->root = v;
        b->have_root = 1;
        return add_loc(b, v, mark, NULL);
    }
    if (!f->is_map) {
        cJSON_AddItemToArray(f->node, v);
        return add_loc(b, v, mark, NULL);
    }
    if (!f->key) {
        if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
            cJSON_Delete(v);
            return set_error_at(b, RS_EUNSUPPORTED, mark,
                                "invalid frontmatter: a mapping key must be a scalar");
        }
        f->key = rs_yaml_key_string(v, &f->key_kind);
        f->key_mark = mark;
        cJSON_Delete(v);
        return f->key ? 0 : oom(b);
    }
    rc = add_loc(b, v, mark, f);
    if (rc) {
        cJSON_Delete(v);
        goto done;
    }
    /* a key seen before: equal scalar values are an error (the reference compares each key
     * with every earlier one); the same name from a different value (1 and "1") replaces the
     * earlier member in place, as a JavaScript object does */
    for (size_t i = 0; i < f->members.len; i++) {
        member *m = &RS_VEC_AT(&f->members, member, i);
        if (m->kind == f->key_kind && m->kind != KEY_NAN && strcmp(m->name, f->key) == 0) {
            int line, col;
            file_location(b->opts, (unsigned)m->mark.line, (unsigned)m->mark.column, &line, &col);
            rc = set_error_at(b, RS_ESYNTAX, f->key_mark,
                              "invalid frontmatter: duplicate key '%s' (first at %d:%d)", f->key,
                              line, col);
            cJSON_Delete(v);
            goto done;
        }
    }
    member m = {f->key_kind, f->key, f->key_mark};
    if (rs_vec_push(&f->members, &m) != 0) {
        cJSON_Delete(v);
        rc = oom(b);
        goto done;
    }
    if (rs_js_set(f->node, f->key, v) != 0)
        rc = oom(b);
    f->key = NULL; /* owned by the member now */
done:
    rs_free(f->key);
    f->key = NULL;
    return rc;
}

static int on_scalar(builder *b, const yaml_event_t *ev)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    cJSON *v;
    int rc = charge(b, 1, ev->start_mark);
    if (rc)
        return rc;
    if (strlen(s) != n)
        return set_error_at(b, RS_ESYNTAX, ev->start_mark,
                            "invalid frontmatter: a NUL character inside a scalar");
    if (tag && strcmp(tag, "!") != 0)
        v = tagged_value(tag, s, n);
    else if (!tag && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
        v = rs_yaml_plain_value(s, n);
    else
        v = cJSON_CreateString(s);
    if (!v)
        return oom(b);
    if (ev->data.scalar.anchor) {
        rc = remember_anchor(b, (const char *)ev->data.scalar.anchor, v);
        if (rc) {
            cJSON_Delete(v);
            return rc;
        }
    }
    return deliver(b, v, ev->start_mark);
}

static int on_alias(builder *b, const yaml_event_t *ev)
{
    const anchor *a = find_anchor(b, (const char *)ev->data.alias.anchor);
    if (!a)
        return set_error_at(b, RS_ESYNTAX, ev->start_mark,
                            "invalid frontmatter: unknown alias '%s'",
                            (const char *)ev->data.alias.anchor);
    int rc = charge(b, a->nodes, ev->start_mark);
    if (rc)
        return rc;
    cJSON *v = cJSON_Duplicate(a->value, 1);
    if (!v)
        return oom(b);
    return deliver(b, v, ev->start_mark);
}

static int on_start(builder *b, const yaml_event_t *ev, int is_map)
{
    frame f;
    memset(&f, 0, sizeof(f));
    rs_vec_init(&f.members, sizeof(member));
    f.is_map = is_map;
    f.mark = ev->start_mark;
    f.flow = is_map ? ev->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
                    : ev->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
    const yaml_char_t *anchor_name =
        is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    frame *t = top(b);
    if (t && t->is_map && !t->key)
        return set_error_at(b, RS_EUNSUPPORTED, ev->start_mark,
                            "invalid frontmatter: a mapping key must be a scalar");
    /* cJSON frees and copies trees recursively: bound the depth as its own parser does */
    if (b->stack.len >= RS_YAML_MAX_DEPTH)
        return set_error_at(b, RS_ELIMIT, ev->start_mark,
                            "invalid frontmatter: nested deeper than %d levels", RS_YAML_MAX_DEPTH);
    int rc = charge(b, 1, ev->start_mark);
    if (rc)
        return rc;
    f.node = is_map ? cJSON_CreateObject() : cJSON_CreateArray();
    if (anchor_name)
        f.anchor = rs_strdup((const char *)anchor_name);
    if (!f.node || (anchor_name && !f.anchor) || rs_vec_push(&b->stack, &f) != 0) {
        cJSON_Delete(f.node);
        rs_free(f.anchor);
        return oom(b);
    }
    return 0;
}

static void frame_free(frame *f)
{
    cJSON_Delete(f->node);
    rs_free(f->key);
    rs_free(f->anchor);
    for (size_t i = 0; i < f->members.len; i++)
        rs_free(RS_VEC_AT(&f->members, member, i).name);
    rs_vec_free(&f->members);
}

static int on_end(builder *b)
{
    frame f;
    if (rs_vec_pop(&b->stack, &f) != 0)
        return rs_error_set(b->err, RS_EINTERNAL, "YAML collection end without a start");
    if (f.is_map)
        rs_js_order_keys(f.node);
    int rc = 0;
    if (f.anchor)
        rc = remember_anchor(b, f.anchor, f.node);
    cJSON *v = f.node;
    f.node = NULL;
    yaml_mark_t start = f.mark;
    frame_free(&f);
    if (rc) {
        cJSON_Delete(v);
        return rc;
    }
    return deliver(b, v, start);
}

/* libyaml's problem and context, worded for a .prompt author. */
static int parse_error(builder *b, const yaml_parser_t *parser)
{
    const char *problem = parser->problem ? parser->problem : "syntax error";
    const char *context = parser->context;
    yaml_mark_t pm = parser->problem_mark, cm = parser->context_mark;
    int line, col;
    file_location(b->opts, (unsigned)cm.line, (unsigned)cm.column, &line, &col);
    if (strcmp(problem, "found character that cannot start any token") == 0 && pm.index < b->len &&
        b->text[pm.index] == '\t')
        return set_error_at(b, RS_ESYNTAX, pm,
                            "invalid frontmatter: tabs are not allowed for indentation in YAML");
    if (context && strcmp(context, "while scanning for the next token") == 0)
        context = NULL; /* says nothing the problem does not */
    if (context && strcmp(context, "while parsing a flow node") == 0) {
        /* the node is not there yet: name the flow collection it was to be part of */
        const frame *t = b->stack.len ? &RS_VEC_AT(&b->stack, frame, b->stack.len - 1) : NULL;
        if (t && t->flow) {
            file_location(b->opts, (unsigned)t->mark.line, (unsigned)t->mark.column, &line, &col);
            return set_error_at(b, RS_ESYNTAX, pm, "invalid frontmatter: %s (%s opened at %d:%d)",
                                problem, t->is_map ? "flow mapping" : "flow sequence", line, col);
        }
        context = NULL;
    }
    if (context && strncmp(context, "while scanning ", 15) == 0)
        return set_error_at(b, RS_ESYNTAX, pm, "invalid frontmatter: %s %s opened at %d:%d",
                            problem, context, line, col);
    if (context && strncmp(context, "while parsing a flow ", 21) == 0)
        return set_error_at(b, RS_ESYNTAX, pm, "invalid frontmatter: %s (%s opened at %d:%d)",
                            problem, context + 16, line, col);
    return set_error_at(b, RS_ESYNTAX, pm, "invalid frontmatter: %s", problem);
}

void rs_yaml_doc_free(rs_yaml_doc *doc)
{
    if (!doc)
        return;
    if (!doc->in_arena)
        cJSON_Delete(doc->root);
    if (!doc->in_arena)
        rs_free(doc->locs);
    rs_arena_free(&doc->own);
    memset(doc, 0, sizeof(*doc));
}

int rs_yaml_parse(rs_yaml_doc *doc, const char *text, size_t len, const rs_yaml_opts *opts,
                  rs_error *err)
{
    int fast = rs_yaml_parse_fast(doc, text, len, opts);
    if (fast == 1)
        return 0;
    if (fast < 0)
        return rs_error_set(err, RS_ENOMEM, "out of memory while reading the frontmatter");
    return rs_yaml_parse_libyaml(doc, text, len, opts, err);
}

int rs_yaml_parse_libyaml(rs_yaml_doc *doc, const char *text, size_t len, const rs_yaml_opts *opts,
                          rs_error *err)
{
    rs_yaml_opts defaults = RS_YAML_OPTS_INIT;
    builder b;
    yaml_parser_t parser;
    yaml_event_t ev;
    int rc = 0, parser_ready = 0, done = 0;

    memset(doc, 0, sizeof(*doc));
    memset(&b, 0, sizeof(b));
    b.opts = opts ? opts : &defaults;
    b.err = err;
    b.text = text;
    b.len = len;
    b.max_nodes = b.opts->max_nodes ? b.opts->max_nodes : 1000000;
    rs_vec_init(&b.stack, sizeof(frame));
    rs_vec_init(&b.anchors, sizeof(anchor));
    rs_vec_init(&b.locs, sizeof(rs_yaml_loc));

    if (!yaml_parser_initialize(&parser)) {
        rc = oom(&b);
        goto cleanup;
    }
    parser_ready = 1;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);

    while (!done) {
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = parser.error == YAML_MEMORY_ERROR ? oom(&b) : parse_error(&b, &parser);
            goto cleanup;
        }
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++b.docs > 1)
                rc = set_error_at(&b, RS_ESYNTAX, ev.start_mark,
                                  "invalid frontmatter: more than one YAML document");
            break;
        case YAML_SCALAR_EVENT:
            rc = on_scalar(&b, &ev);
            break;
        case YAML_ALIAS_EVENT:
            rc = on_alias(&b, &ev);
            break;
        case YAML_SEQUENCE_START_EVENT:
            rc = on_start(&b, &ev, 0);
            break;
        case YAML_MAPPING_START_EVENT:
            rc = on_start(&b, &ev, 1);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            rc = on_end(&b);
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
        if (rc)
            goto cleanup;
    }
    if (!b.have_root) {
        b.root = cJSON_CreateNull();
        if (!b.root) {
            rc = oom(&b);
            goto cleanup;
        }
    }
    doc->root = b.root;
    b.root = NULL;
    doc->locs = b.locs.items;
    doc->nlocs = b.locs.len;
    rs_vec_init(&b.locs, sizeof(rs_yaml_loc));
    doc->opts = *b.opts;

cleanup:
    if (parser_ready)
        yaml_parser_delete(&parser);
    for (size_t i = 0; i < b.stack.len; i++)
        frame_free(&RS_VEC_AT(&b.stack, frame, i));
    rs_vec_free(&b.stack);
    for (size_t i = 0; i < b.anchors.len; i++) {
        anchor *a = &RS_VEC_AT(&b.anchors, anchor, i);
        rs_free(a->name);
        cJSON_Delete(a->value);
    }
    rs_vec_free(&b.anchors);
    rs_vec_free(&b.locs);
    cJSON_Delete(b.root);
    return rc;
}

int rs_yaml_to_json(cJSON **out, const char *text, size_t len, const rs_yaml_opts *opts,
                    rs_error *err)
{
    rs_yaml_doc doc;
    *out = NULL;
    int rc = rs_yaml_parse(&doc, text, len, opts, err);
    if (rc == 0 && doc.in_arena) {
        /* the fast path's nodes live in the document's arena: the caller gets a heap copy */
        if (!(*out = cJSON_Duplicate(doc.root, 1)))
            rc = rs_error_set(err, RS_ENOMEM, "out of memory while reading the frontmatter");
    } else if (rc == 0) {
        *out = doc.root;
        doc.root = NULL;
    }
    rs_yaml_doc_free(&doc);
    return rc;
}
