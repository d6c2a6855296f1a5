/*
 * registry/yaml.c - libyaml events to cJSON, with locations in every error.
 */
#include "registry/reg_yaml.h"

#include "util/alloc.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_DEPTH 128
#define MAX_NODES 1000000 /* aliases are copied: bound the total so a "billion laughs" fails */

struct anchor {
    char *name;
    cJSON *node; /* a private copy, duplicated at each alias */
};

struct keymark {
    const char *key; /* the member's name, owned by the mapping node */
    yaml_mark_t mark;
};

static int cmp_keymark(const void *a, const void *b)
{
    const struct keymark *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    return x->mark.index < y->mark.index ? -1 : x->mark.index > y->mark.index;
}

struct reader {
    yaml_parser_t parser;
    const char *text;
    size_t len;
    const char *file;
    int flags;
    struct anchor *anchors;
    size_t nanchors, capanchors;
    size_t nodes;
    rs_error *err;
};

static int fail_at(struct reader *r, int code, yaml_mark_t mark, const char *fmt, const char *what)
{
    int line = (int)mark.line + 1, col = (int)mark.column + 1;
    rs_error_set_at(r->err, code, r->file, line, col, fmt, what);
    rs_error_set_snippet(r->err, r->text, r->len, line);
    return code;
}

static int parser_error(struct reader *r)
{
    yaml_mark_t m = r->parser.problem_mark;
    if (r->parser.error == YAML_MEMORY_ERROR)
        return rs_error_set(r->err, RS_ENOMEM, "out of memory reading YAML");
    char msg[512];
    int n;
    if (r->parser.context)
        n = snprintf(msg, sizeof msg, "invalid YAML: %s %s", r->parser.problem, r->parser.context);
    else
        n = snprintf(msg, sizeof msg, "invalid YAML: %s",
                     r->parser.problem ? r->parser.problem : "unknown problem");
    if (n < 0)
        msg[0] = '\0';
    return fail_at(r, RS_ESYNTAX, m, "%s", msg);
}

static int next_event(struct reader *r, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&r->parser, ev))
        return parser_error(r);
    return 0;
}

/* YAML 1.2 core schema for a plain scalar; anything else stays a string. */
static cJSON *typed_scalar(const char *s, size_t n)
{
    if (n == 0 || (n == 1 && s[0] == '~') || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
        strcmp(s, "NULL") == 0)
        return cJSON_CreateNull();
    if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "TRUE") == 0)
        return cJSON_CreateTrue();
    if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 || strcmp(s, "FALSE") == 0)
        return cJSON_CreateFalse();
    const char *p = s;
    if (*p == '-' || *p == '+')
        p++;
    int digits = 0, dot = 0, exp = 0, ok = *p != '\0';
    for (; *p && ok; p++) {
        if (*p >= '0' && *p <= '9')
            digits++;
        else if (*p == '.' && !dot && !exp)
            dot = 1;
        else if ((*p == 'e' || *p == 'E') && digits && !exp) {
            exp = 1;
            if (p[1] == '-' || p[1] == '+')
                p++;
        } else
            ok = 0;
    }
    if (ok && digits) {
        errno = 0;
        char *end = NULL;
        double d = strtod(s, &end);
        if (end == s + n && errno == 0 && isfinite(d))
            return cJSON_CreateNumber(d);
    }
    return cJSON_CreateString(s);
}

static int remember_anchor(struct reader *r, const char *name, const cJSON *node)
{
    if (r->nanchors == r->capanchors) {
        size_t cap = r->capanchors ? r->capanchors * 2 : 8;
        struct anchor *a = rs_realloc(r->anchors, cap * sizeof *a);
        if (!a)
            return rs_error_set(r->err, RS_ENOMEM, "out of memory reading YAML");
        r->anchors = a;
        r->capanchors = cap;
    }
    char *copy = rs_strdup(name);
    cJSON *dup = cJSON_Duplicate(node, 1);
    if (!copy || !dup) {
        rs_free(copy);
        cJSON_Delete(dup);
        return rs_error_set(r->err, RS_ENOMEM, "out of memory reading YAML");
    }
    r->anchors[r->nanchors].name = copy;
    r->anchors[r->nanchors].node = dup;
    r->nanchors++;
    return 0;
}

static size_t count_nodes(const cJSON *n)
{
    size_t c = 1;
    for (const cJSON *k = n ? n->child : NULL; k; k = k->next)
        c += count_nodes(k);
    return c;
}

/* Read the node that starts with *ev (already parsed; this function deletes it). */
static int read_node(struct reader *r, yaml_event_t *ev, cJSON **out, int depth)
{
    int rc = 0;
    cJSON *node = NULL;
    const char *anchor = NULL;
    struct keymark *keys = NULL;
    size_t nkeys = 0, capkeys = 0;
    yaml_event_t child;
    memset(&child, 0, sizeof child);
    *out = NULL;
    if (depth > MAX_DEPTH) {
        rc = fail_at(r, RS_ELIMIT, ev->start_mark, "YAML nested deeper than %s levels", "128");
        goto done;
    }
    if (++r->nodes > MAX_NODES) {
        rc = fail_at(r, RS_ELIMIT, ev->start_mark, "YAML document too large (%s nodes)", "1e6");
        goto done;
    }
    switch (ev->type) {
    case YAML_ALIAS_EVENT: {
        const char *name = (const char *)ev->data.alias.anchor;
        for (size_t i = r->nanchors; i-- > 0;) {
            if (strcmp(r->anchors[i].name, name) == 0) {
                r->nodes += count_nodes(r->anchors[i].node);
                if (r->nodes > MAX_NODES) {
                    rc = fail_at(r, RS_ELIMIT, ev->start_mark,
                                 "YAML aliases expand beyond %s nodes", "1e6");
                    goto done;
                }
                node = cJSON_Duplicate(r->anchors[i].node, 1);
                if (!node)
                    rc = rs_error_set(r->err, RS_ENOMEM, "out of memory reading YAML");
                goto done;
            }
        }
        rc = fail_at(r, RS_ESYNTAX, ev->start_mark, "unknown YAML alias '*%s'", name);
        goto done;
    }
    case YAML_SCALAR_EVENT: {
        const char *s = (const char *)ev->data.scalar.value;
        size_t n = ev->data.scalar.length;
        anchor = (const char *)ev->data.scalar.anchor;
        if ((r->flags & REG_YAML_STRINGS) || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
            (ev->data.scalar.tag && strcmp((const char *)ev->data.scalar.tag, "!!str") == 0) ||
            strlen(s) != n)
            node = cJSON_CreateString(s);
        else
            node = typed_scalar(s, n);
        if (!node)
            rc = rs_error_set(r->err, RS_ENOMEM, "out of memory reading YAML");
        break;
    }
    case YAML_SEQUENCE_START_EVENT:
        anchor = (const char *)ev->data.sequence_start.anchor;
        node = cJSON_CreateArray();
        if (!node) {
            rc = rs_error_set(r->err, RS_ENOMEM, "out of memory reading YAML");
            break;
        }
        for (;;) {
            if ((rc = next_event(r, &child)))
                goto done;
            if (child.type == YAML_SEQUENCE_END_EVENT) {
                yaml_event_delete(&child);
                break;
            }
            cJSON *item = NULL;
            rc = read_node(r, &child, &item, depth + 1);
            if (rc)
                goto done;
            cJSON_AddItemToArray(node, item);
        }
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = (const char *)ev->data.mapping_start.anchor;
        node = cJSON_CreateObject();
        if (!node) {
            rc = rs_error_set(r->err, RS_ENOMEM, "out of memory reading YAML");
            break;
        }
        for (;;) {
            if ((rc = next_event(r, &child)))
                goto done;
            if (child.type == YAML_MAPPING_END_EVENT) {
                yaml_event_delete(&child);
                /* duplicate keys, found by sorting (a big labels.yaml has thousands) */
                if (nkeys > 1) {
                    qsort(keys, nkeys, sizeof *keys, cmp_keymark);
                    for (size_t i = 1; i < nkeys; i++) {
                        if (strcmp(keys[i - 1].key, keys[i].key) == 0) {
                            rc = fail_at(r, RS_ESYNTAX, keys[i].mark, "duplicate key '%s'",
                                         keys[i].key);
                            goto done;
                        }
                    }
                }
                break;
            }
            if (child.type != YAML_SCALAR_EVENT) {
                rc = fail_at(r, RS_ESYNTAX, child.start_mark, "%s",
                             "a mapping key must be a scalar");
                goto done;
            }
            yaml_mark_t key_mark = child.start_mark;
            char *key = rs_strdup((const char *)child.data.scalar.value);
            yaml_event_delete(&child);
            memset(&child, 0, sizeof child);
            if (!key) {
                rc = rs_error_set(r->err, RS_ENOMEM, "out of memory reading YAML");
                goto done;
            }
            cJSON *value = NULL;
            if ((rc = next_event(r, &child)) == 0)
                rc = read_node(r, &child, &value, depth + 1);
            if (rc) {
                rs_free(key);
                goto done;
            }
            if (!cJSON_AddItemToObject(node, key, value)) {
                cJSON_Delete(value);
                rs_free(key);
                rc = rs_error_set(r->err, RS_ENOMEM, "out of memory reading YAML");
                goto done;
            }
            rs_free(key);
            if (nkeys == capkeys) {
                size_t ncap = capkeys ? capkeys * 2 : 16;
                struct keymark *nk = rs_realloc(keys, ncap * sizeof *nk);
                if (!nk) {
                    rc = rs_error_set(r->err, RS_ENOMEM, "out of memory reading YAML");
                    goto done;
                }
                keys = nk;
                capkeys = ncap;
            }
            /* the last member added is the one just read */
            cJSON *last = node->child ? node->child->prev : NULL;
            keys[nkeys].key = last ? last->string : "";
            keys[nkeys].mark = key_mark;
            nkeys++;
        }
        break;
    default:
        rc = fail_at(r, RS_ESYNTAX, ev->start_mark, "%s", "unexpected YAML event");
        break;
    }
    if (rc == 0 && anchor)
        rc = remember_anchor(r, anchor, node);
done:
    /* child is either deleted already or zeroed, except after a failed read_node which deleted
       it itself; yaml_event_delete zeroes the event, so deleting twice is harmless. */
    rs_free(keys);
    yaml_event_delete(&child);
    yaml_event_delete(ev);
    if (rc) {
        cJSON_Delete(node);
        node = NULL;
    }
    *out = node;
    return rc;
}

int reg_yaml_parse(cJSON **out, const char *text, size_t len, const char *file, int flags,
                   rs_error *err)
{
    struct reader r;
    memset(&r, 0, sizeof r);
    r.text = text;
    r.len = len;
    r.file = file;
    r.flags = flags;
    r.err = err;
    cJSON *doc = NULL;
    yaml_event_t ev;
    int rc = 0;
    *out = NULL;
    if (!yaml_parser_initialize(&r.parser))
        return rs_error_set(err, RS_ENOMEM, "out of memory reading YAML");
    yaml_parser_set_input_string(&r.parser, (const unsigned char *)text, len);
    int in_doc = 0, done_doc = 0;
    for (;;) {
        if ((rc = next_event(&r, &ev)))
            goto done;
        yaml_event_type_t t = ev.type;
        if (t == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (t == YAML_STREAM_START_EVENT || t == YAML_DOCUMENT_END_EVENT) {
            if (t == YAML_DOCUMENT_END_EVENT)
                in_doc = 0;
            yaml_event_delete(&ev);
            continue;
        }
        if (t == YAML_DOCUMENT_START_EVENT) {
            if (done_doc) {
                rc = fail_at(&r, RS_ESYNTAX, ev.start_mark, "%s",
                             "more than one YAML document (a second '---')");
                yaml_event_delete(&ev);
                goto done;
            }
            in_doc = 1;
            yaml_event_delete(&ev);
            continue;
        }
        (void)in_doc;
        if ((rc = read_node(&r, &ev, &doc, 0)))
            goto done;
        done_doc = 1;
    }
    if (!doc && !(doc = cJSON_CreateNull())) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory reading YAML");
        goto done;
    }
    *out = doc;
    doc = NULL;
done:
    cJSON_Delete(doc);
    for (size_t i = 0; i < r.nanchors; i++) {
        rs_free(r.anchors[i].name);
        cJSON_Delete(r.anchors[i].node);
    }
    rs_free(r.anchors);
    yaml_parser_delete(&r.parser);
    return rc;
}
