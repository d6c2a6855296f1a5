/*
 * registry/names.c - prompt, variant and label names; paths under prompts/; "did you mean".
 */
#include "registry/internal.h"

#include "util/alloc.h"
#include "util/edit_distance.h"

#include <string.h>

static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

int rs_registry_check_name(const char *name, rs_error *err)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0)
        return rs_error_set(err, RS_EINVAL, "empty prompt name");
    if (n > MAX_NAME)
        return rs_error_set(err, RS_EINVAL, "prompt name longer than %d bytes", MAX_NAME);
    if (name[0] == '/')
        return rs_error_set(err, RS_EINVAL,
                            "invalid prompt name '%s': absolute paths are not names", name);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c == 0x7f)
            return rs_error_set(err, RS_EINVAL,
                                "invalid prompt name: control character 0x%02x at byte %zu", c,
                                i + 1);
    }
    if (strstr(name, ".."))
        return rs_error_set(err, RS_EINVAL, "invalid prompt name '%s': '..' is not allowed", name);
    const char *seg = name;
    for (size_t i = 0; i <= n; i++) {
        if (name[i] != '/' && name[i] != '\0') {
            if (!name_char(name[i]))
                return rs_error_set(err, RS_EINVAL,
                                    "invalid prompt name '%s': '%c' is not allowed (use letters, "
                                    "digits, '_', '-' and '/' between folders)",
                                    name, name[i]);
            continue;
        }
        size_t sl = (size_t)(name + i - seg);
        if (sl == 0)
            return rs_error_set(err, RS_EINVAL, "invalid prompt name '%s': empty folder name",
                                name);
        if (seg[0] == '_' || seg[0] == '-')
            return rs_error_set(err, RS_EINVAL,
                                "invalid prompt name '%s': a name may not start with '%c' (files "
                                "starting with '_' are partials)",
                                name, seg[0]);
        seg = name + i + 1;
    }
    return 0;
}

static int simple_word(const char *s, const char *what, int allow_dot, rs_error *err)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0)
        return rs_error_set(err, RS_EINVAL, "empty %s name", what);
    if (n > 100)
        return rs_error_set(err, RS_EINVAL, "%s name longer than 100 bytes", what);
    if (s[0] == '-' || s[0] == '.')
        return rs_error_set(err, RS_EINVAL, "invalid %s name '%s': may not start with '%c'", what,
                            s, s[0]);
    for (size_t i = 0; i < n; i++) {
        if (!name_char(s[i]) && !(allow_dot && s[i] == '.')) {
            unsigned char c = (unsigned char)s[i];
            if (c < 0x20 || c == 0x7f)
                return rs_error_set(err, RS_EINVAL, "invalid %s name: control character 0x%02x",
                                    what, c);
            return rs_error_set(err, RS_EINVAL,
                                "invalid %s name '%s': '%c' is not allowed (letters, digits, '_', "
                                "'-'%s)",
                                what, s, s[i], allow_dot ? ", '.'" : "");
        }
    }
    return 0;
}

int reg_check_label(const char *label, rs_error *err)
{
    int rc = simple_word(label, "label", 1, err);
    if (rc)
        return rc;
    /* "v12" would read as a version in NAME@v12 */
    if (label[0] == 'v' && label[1]) {
        size_t i = 1;
        while (label[i] >= '0' && label[i] <= '9')
            i++;
        if (!label[i])
            return rs_error_set(err, RS_EINVAL,
                                "invalid label name '%s': vN names a version, not a label", label);
    }
    return 0;
}

int reg_check_variant(const char *variant, rs_error *err)
{
    return simple_word(variant, "variant", 0, err);
}

int reg_classify(const char *rel, char *name, char *variant)
{
    size_t n = strlen(rel);
    if (n < 8 || strcmp(rel + n - 7, ".prompt") != 0 || n - 7 > MAX_NAME)
        return 0;
    size_t stem = n - 7;
    const char *slash = NULL;
    for (size_t i = 0; i < stem; i++)
        if (rel[i] == '/')
            slash = rel + i;
    const char *base = slash ? slash + 1 : rel;
    size_t dlen = (size_t)(base - rel);
    size_t blen = stem - dlen;
    variant[0] = '\0';
    if (base[0] == '_') {
        /* partial: dir/_x.prompt -> "dir/x" */
        memcpy(name, rel, dlen);
        memcpy(name + dlen, base + 1, blen - 1);
        name[dlen + blen - 1] = '\0';
        return 2;
    }
    const char *dot = memchr(base, '.', blen);
    size_t nlen = dot ? (size_t)(dot - rel) : stem;
    memcpy(name, rel, nlen);
    name[nlen] = '\0';
    if (dot) {
        size_t vlen = stem - nlen - 1;
        if (vlen == 0 || memchr(dot + 1, '.', vlen))
            return 0;
        memcpy(variant, dot + 1, vlen);
        variant[vlen] = '\0';
    }
    if (rs_registry_check_name(name, NULL) != 0)
        return 0;
    if (variant[0] && reg_check_variant(variant, NULL) != 0)
        return 0;
    return 1;
}

size_t reg_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 255 || lb > 255)
        return (size_t)-1;
    size_t row[256];
    return rs_edit_distance(a, la, b, lb, row);
}

void reg_suggest(rs_str *out, const char *want, const char *const *cands, size_t n)
{
    /* Close means: within a third of the longer name (at least 2 edits), or a prefix match. */
    size_t best[3] = {(size_t)-1, (size_t)-1, (size_t)-1};
    size_t bestd[3] = {(size_t)-1, (size_t)-1, (size_t)-1};
    size_t wl = strlen(want);
    for (size_t i = 0; i < n; i++) {
        size_t d = reg_edit_distance(want, cands[i]);
        size_t cl = strlen(cands[i]);
        size_t limit = (wl > cl ? wl : cl) / 3;
        if (limit < 2)
            limit = 2;
        int prefix = wl >= 3 && strncmp(cands[i], want, wl) == 0;
        if (prefix && d > 1)
            d = 1;
        if (d > limit)
            continue;
        for (size_t k = 0; k < 3; k++) {
            if (d < bestd[k]) {
                for (size_t m = 2; m > k; m--) {
                    best[m] = best[m - 1];
                    bestd[m] = bestd[m - 1];
                }
                best[k] = i;
                bestd[k] = d;
                break;
            }
        }
    }
    if (best[0] == (size_t)-1)
        return;
    rs_str_puts(out, " (did you mean ");
    for (size_t k = 0; k < 3 && best[k] != (size_t)-1; k++)
        rs_str_appendf(out, "%s'%s'", k ? ", " : "", cands[best[k]]);
    rs_str_puts(out, "?)");
}

int reg_prompt_path(rs_str *out, const char *name, const char *variant)
{
    rs_str_puts(out, PROMPTS_DIR);
    rs_str_puts(out, name);
    if (variant) {
        rs_str_putc(out, '.');
        rs_str_puts(out, variant);
    }
    return rs_str_puts(out, ".prompt");
}

int reg_partial_path(rs_str *out, const char *partial)
{
    const char *slash = strrchr(partial, '/');
    rs_str_puts(out, PROMPTS_DIR);
    if (slash)
        rs_str_append(out, partial, (size_t)(slash - partial) + 1);
    rs_str_putc(out, '_');
    rs_str_puts(out, slash ? slash + 1 : partial);
    return rs_str_puts(out, ".prompt");
}

static int partial_name_char(char c)
{
    return name_char(c) || c == '/' || c == '.';
}

int reg_next_partial(const char *src, size_t len, size_t *pos, char *name, size_t *at)
{
    for (size_t i = *pos; i + 2 < len; i++) {
        if (src[i] != '{' || src[i + 1] != '{')
            continue;
        size_t j = i + 2;
        if (j < len && src[j] == '~')
            j++;
        if (j < len && src[j] == '#')
            j++;
        if (j >= len || src[j] != '>')
            continue;
        j++;
        while (j < len && (src[j] == ' ' || src[j] == '\t' || src[j] == '\n'))
            j++;
        int quoted = j < len && (src[j] == '"' || src[j] == '\'');
        if (quoted)
            j++;
        size_t s0 = j;
        while (j < len && partial_name_char(src[j]))
            j++;
        if (j == s0 || j - s0 > MAX_NAME)
            continue;
        memcpy(name, src + s0, j - s0);
        name[j - s0] = '\0';
        *at = i;
        *pos = j;
        return 1;
    }
    *pos = len;
    return 0;
}

int reg_scan_partials(cJSON *into, const char *src, size_t len)
{
    size_t pos = 0, at;
    char name[MAX_NAME + 1];
    while (reg_next_partial(src, len, &pos, name, &at)) {
        int seen = 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, into)
        {
            if (strcmp(it->valuestring, name) == 0)
                seen = 1;
        }
        if (!seen) {
            cJSON *str = cJSON_CreateString(name);
            if (!str)
                return RS_ENOMEM;
            cJSON_AddItemToArray(into, str);
        }
    }
    return 0;
}
