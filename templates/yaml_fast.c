/*
 * templates/yaml_fast.c - a fast path for the YAML that frontmatter usually is: block mappings
 * and sequences of plain or simply quoted scalars and one-line flow collections. It builds the
 * same values and locations as the libyaml path (yaml_json.c) and declines everything else
 * (tabs, CR line ends, anchors, tags, block scalars, multi-line scalars, escapes, complex keys,
 * repeated keys, anything that would be an error), which then goes to libyaml. Frontmatter is
 * parsed on every compile, and libyaml spends most of a compile's time on it.
 *
 * The values are built in an arena (the caller's, opts->arena, or the document's own): a
 * compiled prompt frees them with everything else it built, at once.
 *
 * The fuzz target fuzz_frontmatter checks that whenever this path accepts a text, libyaml's
 * result is the same.
 */
#include "templates/yaml_json.h"
#include "templates/yaml_internal.h"

#include "util/alloc.h"
#include "util/json_build.h"
#include "util/utf8.h"

#include <stdint.h>
#include <string.h>

#define FAST_MAX_DEPTH 64

typedef struct fline {
    const char *s; /* line start */
    size_t n;      /* bytes, without the newline */
    size_t indent; /* leading spaces */
    unsigned no;   /* 0-based line number in the text */
} fline;

typedef struct fast {
    fline *lines;
    size_t nlines, i;
    rs_yaml_loc *locs; /* in the arena, about one per line: grown by doubling (rarely) */
    size_t nlocs, locs_cap;
    size_t nodes, max_nodes;
    int depth;
    int ascii; /* the text is all ASCII: a column in characters is its byte offset */
    rs_jt jb;  /* the document's arena */
} fast;

enum { DECLINE = 1, NOMEM = 2 };

/* Column in characters of byte offset `off` in line l. */
static unsigned char_col(const fast *f, const fline *l, size_t off)
{
    if (f->ascii)
        return (unsigned)(off < l->n ? off : l->n);
    unsigned c = 0;
    for (size_t k = 0; k < off && k < l->n; k++)
        c += ((unsigned char)l->s[k] & 0xC0) != 0x80;
    return c;
}

static int add_loc(fast *f, const cJSON *v, const fline *l, size_t off, const fline *kl,
                   size_t koff)
{
    if (f->nlocs == f->locs_cap) {
        size_t cap = f->locs_cap * 2;
        rs_yaml_loc *grown = cap <= SIZE_MAX / sizeof *grown
                                 ? rs_arena_alloc(f->jb.arena, cap * sizeof *grown)
                                 : NULL;
        if (!grown)
            return NOMEM;
        memcpy(grown, f->locs, f->nlocs * sizeof *grown);
        f->locs = grown;
        f->locs_cap = cap;
    }
    rs_yaml_loc *loc = &f->locs[f->nlocs++];
    memset(loc, 0, sizeof(*loc));
    loc->node = v;
    loc->line = l->no;
    loc->col = char_col(f, l, off);
    if (kl) {
        loc->has_key = 1;
        loc->key_line = kl->no;
        loc->key_col = char_col(f, kl, koff);
    }
    return 0;
}

static int count(fast *f)
{
    return ++f->nodes > f->max_nodes ? DECLINE : 0;
}

/* , [ ] { }: what ends a scalar inside a flow collection (the text holds no NUL: printable) */
static int is_flow_indicator(char c)
{
    return c == ',' || c == '[' || c == ']' || c == '{' || c == '}';
}

/* Characters that cannot start a plain scalar (or that we leave to libyaml). */
static int bad_start(const char *s, size_t n)
{
    if (n == 0)
        return 1;
    switch (s[0]) {
    case '\0': /* as strchr on the list would match (the text holds none: printable) */
    case '&':
    case '*':
    case '!':
    case '|':
    case '>':
    case '%':
    case '@':
    case '`':
    case '\'':
    case '"':
    case '#':
    case ',':
    case '[':
    case ']':
    case '{':
    case '}':
        return 1;
    default:
        break;
    }
    if ((s[0] == '-' || s[0] == '?' || s[0] == ':') && (n == 1 || s[1] == ' '))
        return 1;
    return 0;
}

/* End (exclusive) of the text before a comment (" #") or the end; trailing spaces dropped. */
/* The first '#' after a space in s[from, to) (from >= 1), or to. The scans of this file look for
 * a few bytes in short lines: memchr finds them without testing every byte. */
static size_t comment_at(const char *s, size_t from, size_t to)
{
    for (size_t k = from; k < to; k++) {
        const char *h = memchr(s + k, '#', to - k);
        if (!h)
            break;
        k = (size_t)(h - s);
        if (s[k - 1] == ' ')
            return k;
    }
    return to;
}

/* The first ':' in s[from, to) that is followed by a space or is last, or to. */
static size_t indicator_colon(const char *s, size_t from, size_t to)
{
    for (size_t k = from; k < to; k++) {
        const char *c = memchr(s + k, ':', to - k);
        if (!c)
            break;
        k = (size_t)(c - s);
        if (k + 1 == to || s[k + 1] == ' ')
            return k;
    }
    return to;
}

static size_t content_end(const char *s, size_t n)
{
    size_t e = n > 1 ? comment_at(s, 1, n) : n;
    while (e > 0 && s[e - 1] == ' ')
        e--;
    return e;
}

/* A one-line quoted scalar at s[0] (' or "); *used = bytes including the quotes. */
static int quoted(fast *f, cJSON **out, const char *s, size_t n, size_t *used)
{
    char q = s[0];
    size_t k = 1, doubled = 0;
    for (;;) {
        if (k >= n)
            return DECLINE; /* continues on the next line, or unterminated */
        char c = s[k];
        if (q == '"' && c == '\\')
            return DECLINE; /* escapes: libyaml */
        if (c == q) {
            if (q == '\'' && k + 1 < n && s[k + 1] == '\'') {
                doubled++;
                k += 2;
                continue;
            }
            break;
        }
        if ((unsigned char)c < 0x20)
            return DECLINE;
        k++;
    }
    *used = k + 1;
    if (!doubled) {
        *out = rs_jt_string(&f->jb, s + 1, k - 1);
        return *out ? 0 : NOMEM;
    }
    /* 'it''s': one quote for each pair */
    *out = rs_jt_string(&f->jb, s + 1, k - 1 - doubled);
    if (!*out)
        return NOMEM;
    char *w = (*out)->valuestring;
    for (size_t i = 1; i < k; i++) {
        *w++ = s[i];
        if (s[i] == '\'')
            i++;
    }
    return 0;
}

/* A plain scalar (s, n), already trimmed, as a typed value. */
static int plain(fast *f, cJSON **out, const char *s, size_t n)
{
    *out = rs_yaml_plain_build(&f->jb, s, n);
    return *out ? 0 : NOMEM;
}

/*
 * The JavaScript property name of the plain key (s, n), in the document's arena (where the key
 * of the member ends up: it is added with rs_jt_add_kept). Most keys are words whose name is
 * their text; others (1.0, null, true) are typed first, as libyaml's path does.
 */
static int key_name(fast *f, const char *s, size_t n, const char **out)
{
    if (rs_yaml_plain_is_string(s, n)) {
        *out = rs_arena_strndup(f->jb.arena, s, n);
        return *out ? 0 : NOMEM;
    }
    rs_jt tmp = {NULL};
    cJSON *kv = rs_yaml_plain_build(&tmp, s, n);
    char kind;
    char *heap = kv ? rs_yaml_key_string(kv, &kind) : NULL;
    cJSON_Delete(kv);
    *out = heap ? rs_arena_strndup(f->jb.arena, heap, strlen(heap)) : NULL;
    rs_free(heap);
    return *out ? 0 : NOMEM;
}

static int flow_value(fast *f, cJSON **out, const fline *l, size_t *pos, const fline *kl,
                      size_t koff);

static void skip_spaces(const fline *l, size_t *pos)
{
    while (*pos < l->n && l->s[*pos] == ' ')
        (*pos)++;
}

/* A key of a flow mapping or a plain flow scalar: up to , [ ] { } or ": "; no ':' or '#'. */
static int flow_plain(const fline *l, size_t *pos, size_t *start, size_t *end)
{
    size_t k = *pos;
    if (bad_start(l->s + k, l->n - k))
        return DECLINE;
    /* in a flow collection, "?", "-", ":" before a flow indicator are indicators too */
    if (strchr("?-:", l->s[k]))
        return DECLINE; /* "?a" in a flow is a key; leave these to libyaml */
    *start = k;
    while (k < l->n && !is_flow_indicator(l->s[k])) {
        if (l->s[k] == ':' || l->s[k] == '#' || l->s[k] == '\t')
            return DECLINE;
        k++;
    }
    size_t e = k;
    while (e > *start && l->s[e - 1] == ' ')
        e--;
    if (e == *start)
        return DECLINE;
    *end = e;
    *pos = k;
    return 0;
}

static int flow_collection(fast *f, cJSON **out, const fline *l, size_t *pos)
{
    char open = l->s[*pos], close = open == '[' ? ']' : '}';
    int is_map = open == '{', index_keys = 0;
    cJSON *c = rs_jt_node(&f->jb, is_map ? cJSON_Object : cJSON_Array);
    int rc = 0;
    if (!c)
        return NOMEM;
    if (++f->depth > FAST_MAX_DEPTH) {
        rc = DECLINE;
        goto done;
    }
    (*pos)++;
    skip_spaces(l, pos);
    if (*pos < l->n && l->s[*pos] == close) {
        (*pos)++;
        goto done;
    }
    for (;;) {
        cJSON *v = NULL;
        skip_spaces(l, pos);
        if (*pos >= l->n) {
            rc = DECLINE; /* continues on the next line */
            goto done;
        }
        if (is_map) {
            /* key: a plain scalar up to ": " (no quotes, no , [ ] { } # inside) */
            size_t ks = *pos, k = *pos;
            if (bad_start(l->s + k, l->n - k) || strchr("?-:", l->s[k])) {
                rc = DECLINE;
                goto done;
            }
            while (k < l->n && !is_flow_indicator(l->s[k]) && l->s[k] != ':' && l->s[k] != '#' &&
                   l->s[k] != '\t')
                k++;
            if (k + 1 >= l->n || l->s[k] != ':' || l->s[k + 1] != ' ') {
                rc = DECLINE;
                goto done;
            }
            size_t ke = k;
            while (ke > ks && l->s[ke - 1] == ' ')
                ke--;
            const char *key = NULL;
            if ((rc = key_name(f, l->s + ks, ke - ks, &key)) != 0)
                goto done;
            if (rs_jt_get(c, key)) {
                rc = DECLINE;
                goto done;
            }
            index_keys |= key[0] >= '0' && key[0] <= '9';
            *pos = k + 2;
            skip_spaces(l, pos);
            if (*pos >= l->n) {
                rc = DECLINE;
                goto done;
            }
            rc = flow_value(f, &v, l, pos, l, ks);
            if (rc == 0 && rs_jt_add_kept(&f->jb, c, key, v) != 0)
                rc = NOMEM;
            if (rc)
                goto done;
        } else {
            if ((rc = flow_value(f, &v, l, pos, NULL, 0)) != 0)
                goto done;
            rs_jt_push(c, v);
        }
        skip_spaces(l, pos);
        if (*pos < l->n && l->s[*pos] == ',') {
            (*pos)++;
            skip_spaces(l, pos);
            if (*pos < l->n && l->s[*pos] == close) {
                rc = DECLINE; /* a trailing comma: leave it to libyaml */
                goto done;
            }
            continue;
        }
        if (*pos < l->n && l->s[*pos] == close) {
            (*pos)++;
            break;
        }
        rc = DECLINE;
        goto done;
    }
done:
    f->depth--;
    if (rc) {
        rs_jt_drop(&f->jb, c);
        return rc;
    }
    if (index_keys)
        rs_js_order_keys(c);
    *out = c;
    return 0;
}

static int flow_value(fast *f, cJSON **out, const fline *l, size_t *pos, const fline *kl,
                      size_t koff)
{
    int rc;
    size_t start = *pos;
    *out = NULL;
    if ((rc = count(f)) != 0)
        return rc;
    char c = l->s[*pos];
    if (c == '[' || c == '{') {
        rc = flow_collection(f, out, l, pos);
    } else if (c == '"' || c == '\'') {
        size_t used;
        rc = quoted(f, out, l->s + *pos, l->n - *pos, &used);
        if (rc == 0)
            *pos += used;
    } else {
        size_t s, e;
        if ((rc = flow_plain(l, pos, &s, &e)) != 0)
            return rc;
        rc = plain(f, out, l->s + s, e - s);
    }
    if (rc == 0 && (rc = add_loc(f, *out, l, start, kl, koff)) != 0) {
        rs_jt_drop(&f->jb, *out);
        *out = NULL;
    }
    return rc;
}

static int block(fast *f, cJSON **out, size_t indent, const fline *kl, size_t koff);

/* The value after "key:" or "- " on line l at byte `at`; may continue on following lines. */
static int value_at(fast *f, cJSON **out, fline *l, size_t at, size_t empty_at,
                    size_t parent_indent, int in_map, const fline *kl, size_t koff)
{
    int rc;
    size_t e = content_end(l->s + at, l->n - at) + at;
    *out = NULL;
    if (at >= e) {
        /* nothing inline: a nested block, or null */
        f->i++;
        if (f->i < f->nlines) {
            fline *n = &f->lines[f->i];
            int seq_same = in_map && n->indent == parent_indent && n->n > n->indent &&
                           n->s[n->indent] == '-' &&
                           (n->n == n->indent + 1 || n->s[n->indent + 1] == ' ');
            if (n->indent > parent_indent || seq_same) {
                if ((rc = block(f, out, n->indent, kl, koff)) != 0)
                    return rc;
                /* a nested block's location: where it starts */
                return 0;
            }
        }
        if ((rc = count(f)) != 0)
            return rc;
        *out = rs_jt_node(&f->jb, cJSON_NULL);
        if (!*out)
            return NOMEM;
        /* libyaml places an empty value right after its indicator (":" or "-") */
        if ((rc = add_loc(f, *out, l, empty_at, kl, koff)) != 0) {
            rs_jt_drop(&f->jb, *out);
            *out = NULL;
        }
        return rc;
    }
    char c = l->s[at];
    size_t pos = at;
    if (c == '[' || c == '{' || c == '"' || c == '\'') {
        if ((rc = flow_value(f, out, l, &pos, kl, koff)) != 0)
            return rc;
        skip_spaces(l, &pos);
        if (pos != e) {
            rs_jt_drop(&f->jb, *out);
            *out = NULL;
            return DECLINE; /* text after the closing bracket or quote */
        }
    } else {
        if (bad_start(l->s + at, e - at))
            return DECLINE;
        if (indicator_colon(l->s, at, e) < e || memchr(l->s + at, '\t', e - at))
            return DECLINE; /* "a: b: c" is an error; leave it to libyaml */
        if ((rc = count(f)) != 0)
            return rc;
        if ((rc = plain(f, out, l->s + at, e - at)) != 0)
            return rc;
        if ((rc = add_loc(f, *out, l, at, kl, koff)) != 0) {
            rs_jt_drop(&f->jb, *out);
            *out = NULL;
            return rc;
        }
    }
    f->i++;
    /* a more indented line after a one-line value would continue it (or be an error) */
    if (f->i < f->nlines && f->lines[f->i].indent > parent_indent) {
        rs_jt_drop(&f->jb, *out);
        *out = NULL;
        return DECLINE;
    }
    return 0;
}

static int is_seq_line(const fline *l, size_t indent)
{
    return l->n > indent && l->s[indent] == '-' && (l->n == indent + 1 || l->s[indent + 1] == ' ');
}

/* The key of a block mapping line at l->s[indent]: a plain scalar up to ": " or a final ':'. */
static int map_key(const fline *l, size_t indent, size_t *ke, size_t *vstart, size_t *colon)
{
    const char *s = l->s;
    size_t k = indent;
    if (bad_start(s + k, l->n - k))
        return DECLINE;
    /* the key ends at the first ": " (or final ':'); a comment (" #") or a tab before it
     * declines (a '#' cannot start the key: bad_start). One pass: keys are a few bytes. */
    for (; k < l->n; k++) {
        char c = s[k];
        if (c == ':' && (k + 1 == l->n || s[k + 1] == ' '))
            break;
        if (c == '\t' || (c == '#' && k > indent && s[k - 1] == ' '))
            return DECLINE;
    }
    if (k >= l->n || k - indent > 1000)
        return DECLINE;
    size_t e = k;
    while (e > indent && s[e - 1] == ' ')
        e--;
    if (e == indent || s[e - 1] == ':')
        return DECLINE;
    *ke = e;
    *colon = k;
    *vstart = k + 1;
    while (*vstart < l->n && s[*vstart] == ' ')
        (*vstart)++;
    return 0;
}

static int mapping(fast *f, cJSON **out, size_t indent, const fline *kl, size_t koff)
{
    cJSON *obj = rs_jt_node(&f->jb, cJSON_Object);
    int rc = 0;
    if (!obj)
        return NOMEM;
    if ((rc = count(f)) != 0)
        goto fail;
    const fline *first = &f->lines[f->i];
    int index_keys = 0; /* JavaScript puts keys like "0" and "17" first; most mappings have none */
    if ((rc = add_loc(f, obj, first, indent, kl, koff)) != 0)
        goto fail;
    while (f->i < f->nlines && f->lines[f->i].indent == indent) {
        fline *l = &f->lines[f->i];
        size_t ke, vs, colon;
        if (is_seq_line(l, indent) || (rc = map_key(l, indent, &ke, &vs, &colon)) != 0) {
            rc = DECLINE;
            goto fail;
        }
        const char *key = NULL;
        if ((rc = key_name(f, l->s + indent, ke - indent, &key)) != 0)
            goto fail;
        if (rs_jt_get(obj, key)) {
            rc = DECLINE; /* repeated: libyaml's path says so, with both places */
            goto fail;
        }
        index_keys |= key[0] >= '0' && key[0] <= '9';
        cJSON *v = NULL;
        rc = value_at(f, &v, l, vs, colon + 1, indent, 1, l, indent);
        if (rc == 0 && rs_jt_add_kept(&f->jb, obj, key, v) != 0)
            rc = NOMEM;
        if (rc)
            goto fail;
        /* nested block values are located where their key is when the block starts later */
    }
    if (f->i < f->nlines && f->lines[f->i].indent > indent) {
        rc = DECLINE;
        goto fail;
    }
    if (index_keys)
        rs_js_order_keys(obj);
    *out = obj;
    return 0;
fail:
    rs_jt_drop(&f->jb, obj);
    return rc;
}

static int sequence(fast *f, cJSON **out, size_t indent, const fline *kl, size_t koff)
{
    cJSON *arr = rs_jt_node(&f->jb, cJSON_Array);
    int rc = 0;
    if (!arr)
        return NOMEM;
    if ((rc = count(f)) != 0)
        goto fail;
    if ((rc = add_loc(f, arr, &f->lines[f->i], indent, kl, koff)) != 0)
        goto fail;
    while (f->i < f->nlines && f->lines[f->i].indent == indent &&
           is_seq_line(&f->lines[f->i], indent)) {
        fline *l = &f->lines[f->i];
        size_t at = indent + 1;
        while (at < l->n && l->s[at] == ' ')
            at++;
        cJSON *v = NULL;
        size_t ke, vs, colon;
        if (at < l->n && content_end(l->s + at, l->n - at) > 0 &&
            map_key(l, at, &ke, &vs, &colon) == 0 && !strchr("[{\"'", l->s[at])) {
            /* "- key: value": a mapping whose keys are at column `at` */
            size_t saved = l->indent;
            l->indent = at;
            rc = mapping(f, &v, at, NULL, 0);
            if (rc == 0 && f->i < f->nlines && f->lines[f->i].indent > indent)
                rc = DECLINE;
            (void)saved;
        } else if (at < l->n && is_seq_line(l, at)) {
            rc = DECLINE; /* "- - a": leave it to libyaml */
        } else {
            rc = value_at(f, &v, l, at, indent + 1, indent, 0, NULL, 0);
        }
        if (rc) {
            rs_jt_drop(&f->jb, v);
            goto fail;
        }
        rs_jt_push(arr, v);
    }
    if (f->i < f->nlines && f->lines[f->i].indent > indent) {
        rc = DECLINE;
        goto fail;
    }
    *out = arr;
    return 0;
fail:
    rs_jt_drop(&f->jb, arr);
    return rc;
}

static int block(fast *f, cJSON **out, size_t indent, const fline *kl, size_t koff)
{
    int rc;
    if (++f->depth > FAST_MAX_DEPTH) {
        f->depth--;
        return DECLINE;
    }
    const fline *l = &f->lines[f->i];
    rc = is_seq_line(l, indent) ? sequence(f, out, indent, kl, koff)
                                : mapping(f, out, indent, kl, koff);
    f->depth--;
    return rc;
}

/* 1 when the 8 bytes at u are all printable ASCII (0x20..0x7E) or line feeds, a word at a time.
 * Line feeds (one per line of any text) become '*' first: t has a zero byte exactly where w has
 * 0x0A, and a byte's high bit in (t & 0x7F..) + 0x7F.. | t says it is not zero, with no carry
 * into the next byte. Then a byte below 0x20 borrows into its high bit when 0x20 is subtracted,
 * 0x7F carries into it when 1 is added, and bytes from 0x80 have it already. (A borrow or carry
 * only spreads from a byte that is already caught, so the answer is exact.) */
static int printable8(const unsigned char *u)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t w;
    memcpy(&w, u, 8);
    uint64_t t = w ^ (ones * 0x0A);
    uint64_t not_lf = (((t & ~highs) + ones * 0x7F) | t) & highs;
    w |= ((~not_lf & highs) >> 7) * 0x2A;
    return (((w - ones * 0x20) | (w + ones) | w) & highs) == 0;
}

/* Only what libyaml reads without complaint and this path handles: well-formed UTF-8, no
 * control characters (tabs and CRs included), no C1 controls, no U+FFFE/U+FFFF. *ascii says
 * whether every byte is ASCII. Printable ASCII, most of any frontmatter, is checked first. */
static int printable(const char *text, size_t len, int *ascii)
{
    const unsigned char *u = (const unsigned char *)text;
    *ascii = 1;
    for (size_t i = 0, stop = 0; i < len; i++) {
        /* whole words of printable ASCII at once; a word with anything else, byte by byte */
        if (i >= stop) {
            while (i + 8 <= len && printable8(u + i))
                i += 8;
            if (i >= len)
                break;
            stop = i + 8;
        }
        if ((u[i] >= 0x20 && u[i] < 0x7F) || u[i] == '\n')
            continue;
        if (u[i] < 0x80)
            return 0;
        *ascii = 0;
        if (u[i] == 0xC2 && i + 1 < len && u[i + 1] < 0xA0 && u[i + 1] != 0x85)
            return 0;
        if (u[i] == 0xC2 && i + 1 < len && u[i + 1] == 0x85)
            return 0; /* NEL is a line break to libyaml */
        if (u[i] == 0xE2 && i + 2 < len && u[i + 1] == 0x80 &&
            (u[i + 2] == 0xA8 || u[i + 2] == 0xA9))
            return 0; /* LS, PS: line breaks too */
        if (u[i] == 0xEF && i + 2 < len && u[i + 1] == 0xBF && u[i + 2] >= 0xBE)
            return 0;
        if (u[i] == 0xEF && i + 2 < len && u[i + 1] == 0xBB && u[i + 2] == 0xBF)
            return 0; /* a byte order mark */
    }
    return *ascii || rs_utf8_valid(text, len);
}

int rs_yaml_parse_fast(rs_yaml_doc *doc, const char *text, size_t len, const rs_yaml_opts *opts)
{
    fast f;
    fline local_lines[64], *lines = local_lines; /* on the heap for longer texts */
    size_t nlines = 0;
    cJSON *root = NULL;
    int rc = 0;
    memset(&f, 0, sizeof(f));
    memset(doc, 0, sizeof(*doc));
    f.max_nodes = opts && opts->max_nodes ? opts->max_nodes : 1000000;
    if (!printable(text, len, &f.ascii) || (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0))
        return 0;
    /* the values go to the caller's arena, else the document's own; a declined text's values
     * stay in the caller's arena until it is freed (they are at most a few per input byte) */
    if (opts && opts->arena) {
        f.jb.arena = opts->arena;
    } else {
        rs_arena_init(&doc->own, len < 1024 ? 4096 : len * 4);
        f.jb.arena = &doc->own;
    }
    /* content lines (not blank, not only a comment), on the stack while they fit there; past
     * that the rest of the text's line breaks are counted once for a heap array */
    size_t lines_cap = sizeof local_lines / sizeof local_lines[0];
    unsigned no = 0;
    for (size_t p = 0; p < len; no++) {
        const char *nl = memchr(text + p, '\n', len - p);
        size_t n = nl ? (size_t)(nl - (text + p)) : len - p;
        fline l = {text + p, n, 0, no};
        while (l.indent < n && l.s[l.indent] == ' ')
            l.indent++;
        if (n >= 3 && (memcmp(l.s, "---", 3) == 0 || memcmp(l.s, "...", 3) == 0)) {
            rc = DECLINE;
            goto done;
        }
        if (n > 0 && l.s[0] == '%') {
            rc = DECLINE;
            goto done;
        }
        if (l.indent < n && l.s[l.indent] != '#') {
            if (nlines == lines_cap) {
                size_t more = 1; /* this line and every one after it */
                for (const char *q = text + p; (q = memchr(q, '\n', len - (size_t)(q - text))); q++)
                    more++;
                fline *grown = more <= SIZE_MAX / sizeof *lines - nlines
                                   ? rs_malloc((nlines + more) * sizeof *lines)
                                   : NULL;
                if (!grown) {
                    rc = NOMEM;
                    goto done;
                }
                memcpy(grown, lines, nlines * sizeof *lines);
                lines = grown; /* only ever grown from local_lines */
                lines_cap = nlines + more;
            }
            lines[nlines++] = l;
        }
        p += n + (nl ? 1 : 0);
    }
    /* the locations: about one per line */
    f.locs_cap = (size_t)no + 8;
    if (!(f.locs = rs_arena_alloc(f.jb.arena, f.locs_cap * sizeof *f.locs))) {
        rc = NOMEM;
        goto done;
    }
    f.lines = lines;
    f.nlines = nlines;
    if (f.nlines == 0 || f.lines[0].indent != 0 || is_seq_line(&f.lines[0], 0)) {
        rc = DECLINE;
        goto done;
    }
    if ((rc = mapping(&f, &root, 0, NULL, 0)) != 0)
        goto done;
    if (f.i != f.nlines) {
        rc = DECLINE;
        goto done;
    }
    doc->root = root;
    root = NULL;
    doc->locs = f.locs;
    doc->nlocs = f.nlocs;
    if (opts)
        doc->opts = *opts;
    doc->in_arena = 1;
done:
    if (rc)
        rs_arena_free(&doc->own); /* declined: the document stays empty */
    if (lines != local_lines)
        rs_free(lines);
    if (rc == NOMEM)
        return RS_ENOMEM;
    return rc == 0 ? 1 : 0;
}
