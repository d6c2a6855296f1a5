/*
 * registry/gitread_parse.c - the byte formats of git objects and pack entries, parsed from
 * untrusted (pointer, length) input: ids in hex, loose object headers, pack entry headers and
 * OFS_DELTA distances, a commit's tree, a tag's target, tree entries.
 */
#include "registry/gitread.h"

#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int gr_oid_from_hex(unsigned char oid[GR_OID_SIZE], const char *hex, size_t len)
{
    if (len < GR_HEX_SIZE)
        return GR_CORRUPT;
    for (size_t i = 0; i < GR_OID_SIZE; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return GR_CORRUPT;
        oid[i] = (unsigned char)(hi << 4 | lo);
    }
    return GR_OK;
}

void gr_oid_to_hex(char hex[GR_HEX_SIZE + 1], const unsigned char oid[GR_OID_SIZE])
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < GR_OID_SIZE; i++) {
        hex[2 * i] = digits[oid[i] >> 4];
        hex[2 * i + 1] = digits[oid[i] & 15];
    }
    hex[GR_HEX_SIZE] = '\0';
}

static int type_from_name(const unsigned char *p, size_t n)
{
    static const struct {
        const char *name;
        int type;
    } names[] = {{"commit", GR_COMMIT}, {"tree", GR_TREE}, {"blob", GR_BLOB}, {"tag", GR_TAG}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].name) == n && memcmp(names[i].name, p, n) == 0)
            return names[i].type;
    return 0;
}

int gr_loose_header(int *type, size_t *size, size_t *hdrlen, const unsigned char *p, size_t n)
{
    const unsigned char *sp = memchr(p, ' ', n < 8 ? n : 8);
    if (!sp || !(*type = type_from_name(p, (size_t)(sp - p))))
        return GR_CORRUPT;
    size_t i = (size_t)(sp - p) + 1, v = 0, digits = 0;
    /* decimal without leading zeros (git writes none), at most 20 digits before the NUL */
    while (i < n && p[i] >= '0' && p[i] <= '9') {
        if (digits++ == 0 && p[i] == '0' && i + 1 < n && p[i + 1] != '\0')
            return GR_CORRUPT;
        if (v > GR_MAX_OBJECT)
            return GR_UNSUPPORTED;
        v = v * 10 + (size_t)(p[i] - '0');
        i++;
    }
    if (digits == 0 || i >= n || p[i] != '\0')
        return GR_CORRUPT;
    if (v > GR_MAX_OBJECT)
        return GR_UNSUPPORTED;
    *size = v;
    *hdrlen = i + 1;
    return GR_OK;
}

int gr_pack_entry_header(int *type, size_t *size, size_t *hdrlen, const unsigned char *p, size_t n)
{
    if (n == 0)
        return GR_CORRUPT;
    size_t i = 0;
    unsigned char c = p[i++];
    uint64_t v = c & 15;
    unsigned shift = 4;
    *type = (c >> 4) & 7;
    while (c & 0x80) {
        if (i >= n || shift > 57)
            return GR_CORRUPT;
        c = p[i++];
        v |= (uint64_t)(c & 0x7f) << shift;
        shift += 7;
    }
    if (*type == 0 || *type == 5)
        return GR_CORRUPT;
    if (v > GR_MAX_OBJECT)
        return GR_UNSUPPORTED;
    *size = (size_t)v;
    *hdrlen = i;
    return GR_OK;
}

int gr_ofs_delta_distance(uint64_t *dist, size_t *used, const unsigned char *p, size_t n)
{
    if (n == 0)
        return GR_CORRUPT;
    size_t i = 0;
    unsigned char c = p[i++];
    uint64_t v = c & 0x7f;
    while (c & 0x80) {
        if (i >= n || v >= ((uint64_t)1 << 56))
            return GR_CORRUPT;
        c = p[i++];
        v = ((v + 1) << 7) | (c & 0x7f);
    }
    *dist = v;
    *used = i;
    return GR_OK;
}

/* "KEY HEX\n" at p (KEY includes its space): the id. */
static int header_oid(unsigned char oid[GR_OID_SIZE], const unsigned char *p, size_t n,
                      const char *key)
{
    size_t k = strlen(key);
    if (n < k + GR_HEX_SIZE + 1 || memcmp(p, key, k) != 0 || p[k + GR_HEX_SIZE] != '\n')
        return GR_CORRUPT;
    return gr_oid_from_hex(oid, (const char *)p + k, GR_HEX_SIZE);
}

int gr_commit_tree(unsigned char tree[GR_OID_SIZE], const unsigned char *p, size_t n)
{
    return header_oid(tree, p, n, "tree ");
}

int gr_tag_target(unsigned char oid[GR_OID_SIZE], int *type, const unsigned char *p, size_t n)
{
    if (header_oid(oid, p, n, "object ") != GR_OK)
        return GR_CORRUPT;
    size_t at = 7 + GR_HEX_SIZE + 1;
    if (n - at < 5 || memcmp(p + at, "type ", 5) != 0)
        return GR_CORRUPT;
    at += 5;
    const unsigned char *nl = memchr(p + at, '\n', n - at);
    if (!nl || !(*type = type_from_name(p + at, (size_t)(nl - (p + at)))))
        return GR_CORRUPT;
    return GR_OK;
}

int gr_tree_next(gr_tree_entry *e, const unsigned char *tree, size_t n, size_t *pos)
{
    size_t i = *pos;
    if (i >= n)
        return 0;
    /* "MODE NAME\0" + 20 bytes; the mode is 1..6 octal digits without a sign */
    unsigned mode = 0;
    size_t digits = 0;
    while (i < n && tree[i] >= '0' && tree[i] <= '7' && digits < 7) {
        mode = mode * 8 + (unsigned)(tree[i] - '0');
        i++;
        digits++;
    }
    if (digits == 0 || digits > 6 || i >= n || tree[i] != ' ')
        return GR_CORRUPT;
    i++;
    const unsigned char *nul = memchr(tree + i, '\0', n - i);
    if (!nul || nul == tree + i)
        return GR_CORRUPT;
    size_t name_end = (size_t)(nul - tree);
    if (n - name_end - 1 < GR_OID_SIZE)
        return GR_CORRUPT;
    e->mode = mode;
    e->type = (mode & 0170000) == 0040000   ? GR_TREE
              : (mode & 0170000) == 0160000 ? GR_COMMIT
                                            : GR_BLOB;
    e->name = (const char *)tree + i;
    e->name_len = name_end - i;
    e->oid = tree + name_end + 1;
    *pos = name_end + 1 + GR_OID_SIZE;
    return 1;
}

int gr_tree_find(gr_tree_entry *e, const unsigned char *tree, size_t n, const char *name,
                 size_t len)
{
    size_t pos = 0;
    int rc;
    while ((rc = gr_tree_next(e, tree, n, &pos)) == 1)
        if (e->name_len == len && memcmp(e->name, name, len) == 0)
            return GR_OK;
    return rc == 0 ? GR_NOTFOUND : rc;
}
