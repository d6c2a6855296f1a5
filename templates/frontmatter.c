/*
 * templates/frontmatter.c - the reference's FRONTMATTER_AND_BODY_REGEX, matched by hand.
 *
 * The expression backtracks: `---\s*` is greedy and the frontmatter group is lazy, so the match
 * the reference finds is "the longest opening white-space run that still allows a closing
 * delimiter after it, then the first closing delimiter". Closing delimiters do not depend on
 * where the group starts, so they are collected once and the whole match is linear.
 */
#include "templates/frontmatter.h"

#include <string.h>

size_t rs_js_space_at(const char *s, size_t len, size_t i)
{
    if (i >= len)
        return 0;
    const unsigned char *u = (const unsigned char *)s + i;
    size_t left = len - i;
    switch (u[0]) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
        return 1;
    case 0xC2:
        return left >= 2 && u[1] == 0xA0 ? 2 : 0;
    case 0xE1:
        return left >= 3 && u[1] == 0x9A && u[2] == 0x80 ? 3 : 0;
    case 0xE2:
        if (left < 3)
            return 0;
        if (u[1] == 0x80 &&
            ((u[2] >= 0x80 && u[2] <= 0x8A) || u[2] == 0xA8 || u[2] == 0xA9 || u[2] == 0xAF))
            return 3;
        return u[1] == 0x81 && u[2] == 0x9F ? 3 : 0;
    case 0xE3:
        return left >= 3 && u[1] == 0x80 && u[2] == 0x80 ? 3 : 0;
    case 0xEF:
        return left >= 3 && u[1] == 0xBB && u[2] == 0xBF ? 3 : 0;
    default:
        return 0;
    }
}

/* Length of the white-space character that ends right before s[end], 0 when there is none. */
static size_t space_before(const char *s, size_t end)
{
    for (size_t w = 1; w <= 3 && w <= end; w++) {
        if (rs_js_space_at(s, end, end - w) == w)
            return w;
    }
    return 0;
}

void rs_js_trim(const char *s, size_t len, size_t *off, size_t *out_len)
{
    size_t b = 0, e = len, w;
    while (b < e && (w = rs_js_space_at(s, e, b)) > 0)
        b += w;
    while (e > b && (w = space_before(s, e)) > 0 && e - w >= b)
        e -= w;
    *off = b;
    *out_len = e - b;
}

int rs_js_is_blank(const char *s, size_t len)
{
    /* forward only: stops at the first character that is not white space (a full trim also
     * walks back from the end, which the marker splitting paid for every piece) */
    size_t i = 0, w;
    while (i < len && (w = rs_js_space_at(s, len, i)) > 0)
        i += w;
    return i == len;
}

static int is_nl(char c)
{
    return c == '\n' || c == '\r';
}

/*
 * A closing delimiter `(?:\r\n|\r|\n)---\s*(?:\r\n|\r|\n)` starting at p: the white space after
 * the dashes must contain a \r or \n. Returns 1 and, in *body, the offset after the greedy
 * `\s*` and its newline.
 */
static int closing_at(const char *s, size_t len, size_t p, size_t *body)
{
    size_t d;
    if (p + 1 < len && s[p] == '\r' && s[p + 1] == '\n' && p + 5 <= len &&
        memcmp(s + p + 2, "---", 3) == 0)
        d = p + 5;
    else if (is_nl(s[p]) && p + 4 <= len && memcmp(s + p + 1, "---", 3) == 0)
        d = p + 4;
    else
        return 0;
    /* greedy \s*: the last newline inside the white-space run wins */
    size_t i = d, last = (size_t)-1, w;
    while ((w = rs_js_space_at(s, len, i)) > 0) {
        if (is_nl(s[i]))
            last = i;
        i += w;
    }
    if (last == (size_t)-1)
        return 0;
    *body = last + ((s[last] == '\r' && last + 1 < len && s[last + 1] == '\n') ? 2 : 1);
    return 1;
}

/*
 * The first position p >= from where a closing delimiter starts (closing_at, *body set), or
 * (size_t)-1. A delimiter is a newline followed by "---": memchr skips to dashes, which are
 * far fewer than the bytes (or the newlines) of a file. A byte loop over the whole file was a
 * noticeable part of compiling a prompt.
 */
static size_t next_close(const char *s, size_t len, size_t from, size_t *body)
{
    for (size_t q = from + 1; q + 3 <= len;) {
        const char *d = memchr(s + q, '-', len - q);
        if (!d)
            break;
        size_t at = (size_t)(d - s);
        if (at + 3 <= len && s[at + 1] == '-' && s[at + 2] == '-') {
            /* the newline before the dashes: \r\n starts a byte earlier than \n or \r alone */
            if (at >= from + 2 && s[at - 2] == '\r' && s[at - 1] == '\n' &&
                closing_at(s, len, at - 2, body))
                return at - 2;
            if (is_nl(s[at - 1]) && closing_at(s, len, at - 1, body))
                return at - 1;
        }
        q = at + 1;
    }
    return (size_t)-1;
}

void rs_frontmatter_split(rs_frontmatter *out, const char *src, size_t len)
{
    memset(out, 0, sizeof(*out));
    out->body_off = 0;
    out->body_len = len;
    if (len < 4 || memcmp(src, "---", 3) != 0)
        return;

    /* The last closing delimiter: any group start at or before it can match. */
    size_t last_close = (size_t)-1, first_close_from = 0, body = 0, b;
    for (size_t p = next_close(src, len, 3, &b); p != (size_t)-1;
         p = next_close(src, len, p + 1, &b))
        last_close = p;
    if (last_close == (size_t)-1)
        return;

    /* Opening candidates in the order the regex tries them: positions k after "---" where
     * [3, k) is white space and a newline starts at k, longest first; at a \r\n, the two-byte
     * newline before the one-byte one. */
    size_t run_end = 3, w;
    while ((w = rs_js_space_at(src, len, run_end)) > 0)
        run_end += w;
    size_t g = (size_t)-1;
    for (size_t k = run_end; k-- > 3;) {
        if (!is_nl(src[k]))
            continue;
        /* k must be a character boundary inside the run: newlines are single bytes, and a
         * byte of value \r or \n is never part of a multi-byte character */
        size_t starts[2];
        size_t n = 0;
        if (src[k] == '\r' && k + 1 < len && src[k + 1] == '\n')
            starts[n++] = k + 2;
        starts[n++] = k + 1;
        for (size_t j = 0; j < n; j++) {
            if (starts[j] <= last_close) {
                g = starts[j];
                break;
            }
        }
        if (g != (size_t)-1)
            break;
    }
    if (g == (size_t)-1)
        return;
    /* The lazy group ends at the first closing delimiter at or after g (there is one: the last
     * is at or after g). */
    first_close_from = next_close(src, len, g, &body);
    if (first_close_from == g)
        return; /* empty frontmatter: the reference treats the file as having none */
    out->has_frontmatter = 1;
    out->yaml_off = g;
    out->yaml_len = first_close_from - g;
    size_t off, n;
    rs_js_trim(src + body, len - body, &off, &n);
    out->body_off = body + off;
    out->body_len = n;
}
