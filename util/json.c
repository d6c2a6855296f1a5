#include "util/json.h"

#include "util/alloc.h"
#include "util/file.h"
#include "util/json_locate.h"

#include <string.h>

int rs_json_parse(cJSON **out, const char *text, size_t len, const char *file, rs_error *err)
{
    *out = NULL;
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!v) {
        int line, col;
        const char *why = NULL;
        size_t off = rs_json_locate_error(text, len, &why);
        if (!why) /* a parser limit, not a syntax error: keep the parser's position */
            off = end && end >= text ? (size_t)(end - text) : 0;
        rs_location_of(text, len, off, &line, &col);
        rs_error_set_at(err, RS_ESYNTAX, file, line, col, "invalid JSON%s%s", why ? ": " : "",
                        why ? why : "");
        rs_error_set_snippet(err, text, len, line);
        return RS_ESYNTAX;
    }
    size_t off = (size_t)(end - text);
    while (off < len && (text[off] == ' ' || text[off] == '\t' || text[off] == '\n' ||
                         text[off] == '\r'))
        off++;
    if (off < len && text[off] != '\0') {
        int line, col;
        rs_location_of(text, len, off, &line, &col);
        cJSON_Delete(v);
        rs_error_set_at(err, RS_ESYNTAX, file, line, col, "unexpected text after the JSON value");
        rs_error_set_snippet(err, text, len, line);
        return RS_ESYNTAX;
    }
    *out = v;
    return 0;
}

int rs_json_parse_file(cJSON **out, const char *path, rs_error *err)
{
    *out = NULL;
    char *text = NULL;
    size_t len = 0;
    int rc = rs_file_read(&text, &len, path, err);
    if (rc)
        return rc;
    rc = rs_json_parse(out, text, len, strcmp(path, "-") ? path : "<stdin>", err);
    rs_free(text);
    return rc;
}

const char *rs_json_string(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

void rs_json_members(const cJSON *obj, size_t n, const char *const keys[], const cJSON *found[])
{
    for (size_t i = 0; i < n; i++)
        found[i] = NULL;
    if (!cJSON_IsObject(obj))
        return;
    for (const cJSON *m = obj->child; m; m = m->next) {
        const char *k = m->string;
        if (!k)
            continue;
        for (size_t i = 0; i < n; i++) {
            if (!found[i] && k[0] == keys[i][0] && strcmp(k, keys[i]) == 0) {
                found[i] = m;
                break;
            }
        }
    }
}

char *rs_json_print(const cJSON *v, int pretty)
{
    char *s = pretty ? cJSON_Print(v) : cJSON_PrintUnformatted(v);
    return s; /* cJSON allocates through rs_malloc once rs_global_init ran */
}

int rs_json_append_string(rs_str *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    rs_str_putc(out, '"');
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char ubuf[7];
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        default:
            if (c < 0x20) {
                memcpy(ubuf, "\\u00", 4);
                ubuf[4] = hex[c >> 4];
                ubuf[5] = hex[c & 15];
                ubuf[6] = '\0';
                esc = ubuf;
            }
        }
        if (esc) {
            rs_str_append(out, s + start, i - start);
            rs_str_puts(out, esc);
            start = i + 1;
        }
    }
    rs_str_append(out, s + start, n - start);
    return rs_str_putc(out, '"');
}

int rs_json_equal(const cJSON *a, const cJSON *b)
{
    if (!a || !b)
        return a == b;
    if ((a->type & 0xFF) != (b->type & 0xFF))
        return 0;
    switch (a->type & 0xFF) {
    case cJSON_False:
    case cJSON_True:
    case cJSON_NULL:
        return 1;
    case cJSON_Number:
        return a->valuedouble == b->valuedouble;
    case cJSON_String:
    case cJSON_Raw:
        return strcmp(a->valuestring ? a->valuestring : "", b->valuestring ? b->valuestring : "") == 0;
    case cJSON_Array: {
        const cJSON *x = a->child, *y = b->child;
        for (; x && y; x = x->next, y = y->next)
            if (!rs_json_equal(x, y))
                return 0;
        return x == NULL && y == NULL;
    }
    case cJSON_Object: {
        int na = cJSON_GetArraySize(a), nb = cJSON_GetArraySize(b);
        if (na != nb)
            return 0;
        for (const cJSON *x = a->child; x; x = x->next) {
            const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
            if (!y || !rs_json_equal(x, y))
                return 0;
        }
        return 1;
    }
    }
    return 0;
}
