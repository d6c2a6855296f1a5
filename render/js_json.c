/*
 * render/js_json.c - JSON.stringify semantics over cJSON trees (see js_json.h).
 */
#include "render/js_json.h"

#include "templates/yaml_json.h"
#include "util/alloc.h"
#include "util/jsnum.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int rs_js_quote(rs_str *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    rs_str_putc(out, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[7];
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        default:
            /* a lone surrogate kept as WTF-8 (ED A0..BF xx): JSON.stringify escapes it */
            if (c == 0xED && i + 2 < n && ((unsigned char)s[i + 1] & 0xE0) == 0xA0 &&
                ((unsigned char)s[i + 2] & 0xC0) == 0x80) {
                unsigned u16 = 0xD000 | (((unsigned char)s[i + 1] & 0x3F) << 6) |
                               ((unsigned char)s[i + 2] & 0x3F);
                rs_str_append(out, s + run, i - run);
                u[0] = '\\', u[1] = 'u', u[2] = hex[(u16 >> 12) & 15], u[3] = hex[(u16 >> 8) & 15];
                u[4] = hex[(u16 >> 4) & 15], u[5] = hex[u16 & 15], u[6] = '\0';
                rs_str_puts(out, u);
                i += 2;
                run = i + 1;
                continue;
            }
            if (c < 0x20) {
                u[0] = '\\', u[1] = 'u', u[2] = '0', u[3] = '0';
                u[4] = hex[c >> 4], u[5] = hex[c & 15], u[6] = '\0';
                esc = u;
            }
        }
        if (esc) {
            rs_str_append(out, s + run, i - run);
            rs_str_puts(out, esc);
            run = i + 1;
        }
    }
    rs_str_append(out, s + run, n - run);
    return rs_str_putc(out, '"');
}

/*
 * "s" followed by suffix (may be "") in one append when s needs no escaping and is short (keys
 * and most values): JSON.stringify of a small object is dominated by the calls per piece
 * otherwise. Falls back to rs_js_quote.
 */
static int quote_fast(rs_str *out, const char *s, size_t n, const char *suffix)
{
    char buf[128];
    size_t sl = strlen(suffix);
    if (n + 2 + sl <= sizeof(buf)) {
        size_t i = 0;
        for (; i < n; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c < 0x20 || c == '"' || c == '\\' || c == 0xED)
                break;
        }
        if (i == n) {
            buf[0] = '"';
            memcpy(buf + 1, s, n);
            buf[n + 1] = '"';
            memcpy(buf + n + 2, suffix, sl);
            return rs_str_append(out, buf, n + 2 + sl);
        }
    }
    rs_js_quote(out, s, n);
    return rs_str_puts(out, suffix);
}

typedef struct keyed {
    const cJSON *item;
    unsigned long idx;
    size_t pos;
} keyed;

static int by_index(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->idx != y->idx)
        return x->idx < y->idx ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static void newline(rs_str *out, const char *gap, int depth)
{
    rs_str_putc(out, '\n');
    for (int i = 0; i < depth; i++)
        rs_str_puts(out, gap);
}

static int stringify(rs_str *out, const cJSON *v, const char *gap, int depth)
{
    int pretty = gap && *gap;
    if (cJSON_IsNull(v) || cJSON_IsInvalid(v))
        return rs_str_puts(out, "null");
    if (cJSON_IsTrue(v))
        return rs_str_puts(out, "true");
    if (cJSON_IsFalse(v))
        return rs_str_puts(out, "false");
    if (cJSON_IsNumber(v)) {
        if (!isfinite(v->valuedouble))
            return rs_str_puts(out, "null");
        char buf[RS_JSNUM_MAX];
        return rs_str_append(out, buf, rs_jsnum_format(v->valuedouble, buf));
    }
    if (cJSON_IsString(v) || cJSON_IsRaw(v)) {
        const char *s = v->valuestring ? v->valuestring : "";
        return quote_fast(out, s, strlen(s), "");
    }
    if (cJSON_IsArray(v)) {
        if (!v->child)
            return rs_str_puts(out, "[]");
        rs_str_putc(out, '[');
        for (const cJSON *c = v->child; c; c = c->next) {
            if (pretty)
                newline(out, gap, depth + 1);
            stringify(out, c, gap, depth + 1);
            if (c->next)
                rs_str_putc(out, ',');
        }
        if (pretty)
            newline(out, gap, depth);
        return rs_str_putc(out, ']');
    }
    /* an object: array-index keys first in ascending order, then the rest as inserted */
    if (!v->child)
        return rs_str_puts(out, "{}");
    size_t n = 0, nidx = 0;
    for (const cJSON *c = v->child; c; c = c->next) {
        unsigned long idx;
        n++;
        nidx += c->string && rs_js_array_index(c->string, &idx);
    }
    keyed *order = NULL;
    if (nidx) {
        order = rs_malloc(n * sizeof(*order));
        if (!order) {
            out->error = out->error ? out->error : RS_ENOMEM;
            return out->error;
        }
        size_t i = 0, j = nidx;
        size_t pos = 0;
        for (const cJSON *c = v->child; c; c = c->next, pos++) {
            unsigned long idx;
            if (c->string && rs_js_array_index(c->string, &idx))
                order[i++] = (keyed){c, idx, pos};
            else
                order[j++] = (keyed){c, 0, pos};
        }
        qsort(order, nidx, sizeof(*order), by_index);
    }
    rs_str_putc(out, '{');
    const cJSON *c = v->child;
    for (size_t i = 0; i < n; i++) {
        const cJSON *m = order ? order[i].item : c;
        if (pretty)
            newline(out, gap, depth + 1);
        const char *k = m->string ? m->string : "";
        quote_fast(out, k, strlen(k), pretty ? ": " : ":");
        stringify(out, m, gap, depth + 1);
        if (i + 1 < n)
            rs_str_putc(out, ',');
        if (!order)
            c = c->next;
    }
    rs_free(order);
    if (pretty)
        newline(out, gap, depth);
    return rs_str_putc(out, '}');
}

int rs_js_stringify(rs_str *out, const cJSON *v, const char *gap)
{
    if (!v)
        return rs_str_error(out);
    stringify(out, v, gap, 0);
    return rs_str_error(out);
}
