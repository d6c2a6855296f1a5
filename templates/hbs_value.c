/*
 * templates/hbs_value.c - values as JavaScript and Handlebars see them: String(v), truthiness,
 * isEmpty, HTML escaping, property lookup (own properties only, with length and indexes on
 * arrays and strings) and Object.keys order.
 */
#include "templates/hbs_internal.h"

#include "util/alloc.h"
#include "util/jsnum.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

cJSON *hbs_new_number(rs_arena *a, double v)
{
    cJSON *n = rs_arena_calloc(a, 1, sizeof(cJSON));
    if (!n)
        return NULL;
    n->type = cJSON_Number;
    n->valuedouble = v;
    n->valueint = v >= (double)INT32_MAX ? INT32_MAX : v <= (double)INT32_MIN ? INT32_MIN : (int)v;
    return n;
}

cJSON *hbs_new_string(rs_arena *a, const char *s, size_t len)
{
    cJSON *n = rs_arena_calloc(a, 1, sizeof(cJSON));
    char *copy = n ? rs_arena_strndup(a, s, len) : NULL;
    if (!copy)
        return NULL;
    n->type = cJSON_String;
    n->valuestring = copy;
    return n;
}

cJSON *hbs_new_bool(rs_arena *a, int b)
{
    cJSON *n = rs_arena_calloc(a, 1, sizeof(cJSON));
    if (n)
        n->type = b ? cJSON_True : cJSON_False;
    return n;
}

/* ---- String(v) ---- */

/* Digits of n (n < 10^17) into buf, returning the count. */
static size_t put_digits(unsigned long long n, char *buf)
{
    char tmp[24];
    size_t k = 0, o = 0;
    do {
        tmp[k++] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    while (k)
        buf[o++] = tmp[--k];
    return o;
}

/*
 * A number with at most 15 significant digits and a magnitude in [1e-6, 1e15): prices, scores,
 * ratios. JavaScript prints the shortest decimal that reads back as the same double; with at
 * most 15 digits that decimal is unique (DBL_DIG), and n / 10^k (both exact doubles, so the
 * division is correctly rounded) == v is exactly that read-back test. Trying k = 1, 2, ... finds
 * the shortest. Returns 0 when the number is not of that kind.
 */
static size_t short_decimal(double v, char *buf)
{
    double a = v < 0 ? -v : v;
    if (!(a >= 1e-6 && a < 1e15))
        return 0;
    double p = 1;
    for (int k = 1; k <= 21; k++) {
        p *= 10;
        double x = a * p;
        if (x >= 1e15)
            return 0;
        unsigned long long n = (unsigned long long)(x + 0.5);
        if ((double)n / p != a)
            continue;
        char digits[24];
        size_t len = put_digits(n, digits), o = 0;
        if (v < 0)
            buf[o++] = '-';
        if (len <= (size_t)k) {
            buf[o++] = '0';
            buf[o++] = '.';
            for (size_t z = len; z < (size_t)k; z++)
                buf[o++] = '0';
            memcpy(buf + o, digits, len);
            o += len;
        } else {
            memcpy(buf + o, digits, len - (size_t)k);
            o += len - (size_t)k;
            buf[o++] = '.';
            memcpy(buf + o, digits + len - (size_t)k, (size_t)k);
            o += (size_t)k;
        }
        buf[o] = '\0';
        return o;
    }
    return 0;
}

/* Number to string as JavaScript prints it. Integers below 2^53 (indexes, counts, ids) and short
 * decimals (prices) are printed directly; the rest go through rs_jsnum_format. */
size_t hbs_format_number(double v, char *buf)
{
    if (v > -9007199254740992.0 && v < 9007199254740992.0 && v == (double)(long long)v) {
        unsigned long long u = v < 0 ? (unsigned long long)-(long long)v : (unsigned long long)v;
        char tmp[24];
        size_t n = 0, o = 0;
        do {
            tmp[n++] = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        if (v < 0)
            buf[o++] = '-';
        while (n)
            buf[o++] = tmp[--n];
        buf[o] = '\0';
        return o;
    }
    size_t n = short_decimal(v, buf);
    return n ? n : rs_jsnum_format(v, buf);
}

static int append_array(rs_str *out, const cJSON *arr);

int rs_hbs_append_value(rs_str *out, const cJSON *v)
{
    if (!v)
        return rs_str_error(out);
    switch (v->type & 0xFF) {
    case cJSON_False:
        return rs_str_put(out, "false", 5);
    case cJSON_True:
        return rs_str_put(out, "true", 4);
    case cJSON_Number: {
        char buf[RS_JSNUM_MAX];
        size_t n = hbs_format_number(v->valuedouble, buf);
        return rs_str_put(out, buf, n);
    }
    case cJSON_String:
    case cJSON_Raw:
        return v->valuestring ? hbs_put(out, v->valuestring, strlen(v->valuestring))
                              : rs_str_error(out);
    case cJSON_Array:
        return append_array(out, v);
    case cJSON_Object:
        return rs_str_append(out, "[object Object]", 15);
    default: /* null, invalid */
        return rs_str_error(out);
    }
}

/* Array.prototype.join(","): null and undefined elements are empty. */
static int append_array(rs_str *out, const cJSON *arr)
{
    int first = 1;
    for (const cJSON *c = arr->child; c; c = c->next) {
        if (!first)
            rs_str_putc(out, ',');
        first = 0;
        rs_hbs_append_value(out, c);
    }
    return rs_str_error(out);
}

/* ---- escaping ---- */

int rs_hbs_escape(rs_str *out, const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep;
        size_t rlen;
        switch (s[i]) {
        case '&':
            rep = "&amp;";
            rlen = 5;
            break;
        case '<':
            rep = "&lt;";
            rlen = 4;
            break;
        case '>':
            rep = "&gt;";
            rlen = 4;
            break;
        case '"':
            rep = "&quot;";
            rlen = 6;
            break;
        case '\'':
            rep = "&#x27;";
            rlen = 6;
            break;
        case '`':
            rep = "&#x60;";
            rlen = 6;
            break;
        case '=':
            rep = "&#x3D;";
            rlen = 6;
            break;
        default:
            continue;
        }
        if (i > run)
            rs_str_append(out, s + run, i - run);
        rs_str_append(out, rep, rlen);
        run = i + 1;
    }
    if (n > run)
        rs_str_append(out, s + run, n - run);
    return rs_str_error(out);
}

/* ---- truthiness ---- */

int rs_hbs_truthy(const cJSON *v)
{
    return hbs_truthy(v);
}


/* ---- lookups ---- */

int hbs_array_index(const char *s, size_t n, size_t *idx)
{
    if (n == 0 || n > 10 || (n > 1 && s[0] == '0'))
        return 0;
    unsigned long long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (unsigned long long)(s[i] - '0');
    }
    if (v >= 4294967295ULL) /* array indexes stop at 2^32 - 2 */
        return 0;
    *idx = (size_t)v;
    return 1;
}

/* Length of a UTF-8 sequence starting with byte c (1 for invalid bytes, as a replacement). */
static size_t utf8_len(const unsigned char *p, size_t avail)
{
    size_t n = 1;
    if (p[0] >= 0xF0 && p[0] < 0xF5)
        n = 4;
    else if (p[0] >= 0xE0)
        n = p[0] < 0xF0 ? 3 : 1;
    else if (p[0] >= 0xC2)
        n = 2;
    if (n > avail)
        return 1;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 1;
    }
    return n;
}

/* JavaScript string properties: length in UTF-16 code units and single code units by index. */
static const cJSON *string_prop(const char *s, const char *key, size_t klen, rs_arena *arena,
                                int *oom)
{
    size_t want = 0;
    int is_len = klen == 6 && memcmp(key, "length", 6) == 0;
    if (!is_len && !hbs_array_index(key, klen, &want))
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), i = 0, units = 0;
    while (i < n) {
        size_t l = utf8_len(p + i, n - i);
        size_t u = l == 4 ? 2 : 1;
        if (!is_len && want >= units && want < units + u) {
            cJSON *v =
                u == 2 ? hbs_new_string(arena, "\xEF\xBF\xBD", 3) : hbs_new_string(arena, s + i, l);
            if (!v)
                *oom = 1;
            return v;
        }
        units += u;
        i += l;
    }
    if (!is_len)
        return NULL;
    cJSON *v = hbs_new_number(arena, (double)units);
    if (!v)
        *oom = 1;
    return v;
}

const cJSON *hbs_lookup(const cJSON *obj, const char *key, size_t klen, rs_arena *arena, int *oom)
{
    if (!obj)
        return NULL;
    switch (obj->type & 0xFF) {
    case cJSON_Object:
        return hbs_member(obj, key, klen);
    case cJSON_Array: {
        size_t idx;
        if (hbs_array_index(key, klen, &idx)) {
            const cJSON *c = obj->child;
            while (c && idx--)
                c = c->next;
            return c;
        }
        if (klen == 6 && memcmp(key, "length", 6) == 0) {
            size_t n = 0;
            for (const cJSON *c = obj->child; c; c = c->next)
                n++;
            cJSON *v = hbs_new_number(arena, (double)n);
            if (!v)
                *oom = 1;
            return v;
        }
        return NULL;
    }
    case cJSON_String:
        return obj->valuestring ? string_prop(obj->valuestring, key, klen, arena, oom) : NULL;
    default:
        return NULL;
    }
}

/* ---- Object.keys order ---- */

typedef struct keyed {
    size_t index;
    const cJSON *item;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    return x->index < y->index ? -1 : x->index > y->index ? 1 : 0;
}

long hbs_object_keys(const cJSON *obj, rs_arena *arena, const cJSON ***out)
{
    long n = 0, nint = 0;
    size_t idx;
    *out = NULL;
    for (const cJSON *c = obj->child; c; c = c->next) {
        n++;
        if (c->string && hbs_array_index(c->string, strlen(c->string), &idx))
            nint++;
    }
    if (nint == 0)
        return n;
    keyed small[32];
    keyed *ints = nint <= 32 ? small : rs_arena_alloc(arena, (size_t)nint * sizeof *ints);
    const cJSON **all = rs_arena_alloc(arena, (size_t)n * sizeof *all);
    if (!ints || !all)
        return -1;
    long k = 0, o = nint;
    for (const cJSON *c = obj->child; c; c = c->next) {
        if (c->string && hbs_array_index(c->string, strlen(c->string), &idx)) {
            ints[k].index = idx;
            ints[k].item = c;
            k++;
        } else {
            all[o++] = c;
        }
    }
    /* qsort is not stable, but equal indexes only come from duplicate keys */
    qsort(ints, (size_t)nint, sizeof *ints, cmp_keyed);
    for (long i = 0; i < nint; i++)
        all[i] = ints[i].item;
    *out = all;
    return n;
}
