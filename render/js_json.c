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

/* A byte JSON.stringify copies as it is (0xED may start a lone surrogate: rs_js_quote decides). */
static inline int plain_byte(unsigned char c)
{
    return c >= 0x20 && c != '"' && c != '\\' && c != 0xED;
}

/*
 * "s" followed by suffix (sl bytes), written straight into out's buffer when s needs no escaping
 * (keys and most values): JSON.stringify of a small object is dominated by the calls per piece
 * otherwise. Falls back to rs_js_quote.
 */
static int quote_fast(rs_str *out, const char *s, size_t n, const char *suffix, size_t sl)
{
    if (n < ((size_t)-1 - sl) / 2 && rs_str_reserve(out, n + 2 + sl) == 0) {
        char *d = out->ptr + out->len + 1;
        size_t i = 0;
        for (; i < n && plain_byte((unsigned char)s[i]); i++)
            d[i] = s[i];
        if (i == n) {
            d[-1] = '"';
            d[n] = '"';
            memcpy(d + n + 1, suffix, sl);
            out->len += n + 2 + sl;
            out->ptr[out->len] = '\0';
            return 0;
        }
    }
    rs_js_quote(out, s, n);
    return rs_str_put(out, suffix, sl);
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
    switch (v->type & 0xFF) {
    case cJSON_True:
        return rs_str_put(out, "true", 4);
    case cJSON_False:
        return rs_str_put(out, "false", 5);
    case cJSON_Number: {
        if (!isfinite(v->valuedouble))
            return rs_str_put(out, "null", 4);
        char buf[RS_JSNUM_MAX];
        return rs_str_put(out, buf, rs_jsnum_format(v->valuedouble, buf));
    }
    case cJSON_String:
    case cJSON_Raw: {
        const char *s = v->valuestring ? v->valuestring : "";
        return quote_fast(out, s, strlen(s), "", 0);
    }
    case cJSON_Array:
    case cJSON_Object:
        break;
    default: /* null, invalid */
        return rs_str_put(out, "null", 4);
    }
    if ((v->type & 0xFF) == cJSON_Array) {
        if (!v->child)
            return rs_str_puts(out, "[]");
        rs_str_put1(out, '[');
        for (const cJSON *c = v->child; c; c = c->next) {
            if (pretty)
                newline(out, gap, depth + 1);
            stringify(out, c, gap, depth + 1);
            if (c->next)
                rs_str_put1(out, ',');
        }
        if (pretty)
            newline(out, gap, depth);
        return rs_str_put1(out, ']');
    }
    /* an object: array-index keys first in ascending order, then the rest as inserted */
    if (!v->child)
        return rs_str_puts(out, "{}");
    size_t n = 0, nidx = 0;
    for (const cJSON *c = v->child; c; c = c->next) {
        unsigned long idx;
        n++;
        /* most keys start with a letter: decided without a call */
        nidx += c->string && c->string[0] >= '0' && c->string[0] <= '9' &&
                rs_js_array_index(c->string, &idx);
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
    rs_str_put1(out, '{');
    const cJSON *c = v->child;
    for (size_t i = 0; i < n; i++) {
        const cJSON *m = order ? order[i].item : c;
        if (pretty)
            newline(out, gap, depth + 1);
        const char *k = m->string ? m->string : "";
        quote_fast(out, k, strlen(k), pretty ? ": " : ":", pretty ? 2 : 1);
        stringify(out, m, gap, depth + 1);
        if (i + 1 < n)
            rs_str_put1(out, ',');
        if (!order)
            c = c->next;
    }
    rs_free(order);
    if (pretty)
        newline(out, gap, depth);
    return rs_str_put1(out, '}');
}

int rs_js_stringify(rs_str *out, const cJSON *v, const char *gap)
{
    if (!v)
        return rs_str_error(out);
    stringify(out, v, gap, 0);
    return rs_str_error(out);
}
