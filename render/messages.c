/*
 * render/messages.c - marker splitting into messages and parts (see messages.h).
 */
#include "render/messages.h"

#include "templates/frontmatter.h"
#include "util/alloc.h"
#include "util/str.h"
#include "util/json.h"
#include "util/json_build.h"

#include <string.h>

#define ROLE_PREFIX "<<<dotprompt:role:"
#define HISTORY_PREFIX "<<<dotprompt:history"
#define MEDIA_PREFIX "<<<dotprompt:media:"
#define SECTION_PREFIX "<<<dotprompt:section"
#define MARKER "<<<dotprompt:"

typedef struct piece {
    const char *s;
    size_t n;
} piece;

/*
 * A message being built: text (source) or given content (history), role, metadata. Its text is
 * one piece of the rendered text, pointed at, not copied (a marker always starts a new message
 * or renames an empty one, so pieces do not accumulate); `more` only holds a concatenation
 * should a second piece ever join. The role points into the text or at a literal.
 */
typedef struct msg_source {
    const char *role; /* NULL when the history message had none */
    size_t role_len;
    cJSON *role_value; /* a history message's role as given (any JSON value), or NULL */
    const char *text;  /* the text when it is one piece (NULL: see more) */
    size_t text_len;
    rs_str more;
    cJSON *content;        /* a history message's content, NULL otherwise */
    cJSON *history_source; /* a history message's "source" member */
    cJSON *metadata;       /* NULL when none */
} msg_source;

static int starts(const char *s, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && memcmp(s, prefix, k) == 0;
}

static int is_lower_run(const char *s, size_t n, size_t *len)
{
    size_t i = 0;
    while (i < n && s[i] >= 'a' && s[i] <= 'z')
        i++;
    *len = i;
    return i > 0;
}

/* /(<<<dotprompt:(?:role:[a-z]+|history))>>>/ at s: the match length and captured length. */
static int role_history_match(const char *s, size_t n, size_t *match, size_t *cap)
{
    static const size_t m = sizeof(MARKER) - 1;
    if (!starts(s, n, MARKER))
        return 0;
    if (starts(s + m, n - m, "role:")) {
        size_t l;
        if (is_lower_run(s + m + 5, n - m - 5, &l) && starts(s + m + 5 + l, n - m - 5 - l, ">>>")) {
            *cap = m + 5 + l;
            *match = *cap + 3;
            return 1;
        }
        return 0;
    }
    if (starts(s + m, n - m, "history>>>")) {
        *cap = m + 7;
        *match = *cap + 3;
        return 1;
    }
    return 0;
}

/* JavaScript's `.` does not match line terminators (\n \r U+2028 U+2029). */
static size_t line_term(const char *s, size_t n, size_t i)
{
    if (s[i] == '\n' || s[i] == '\r')
        return 1;
    if (i + 2 < n && (unsigned char)s[i] == 0xE2 && (unsigned char)s[i + 1] == 0x80 &&
        ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9))
        return 3;
    return 0;
}

/* /(<<<dotprompt:(?:media:url|section).*?)>>>/ at s. */
static int media_section_match(const char *s, size_t n, size_t *match, size_t *cap)
{
    static const size_t m = sizeof(MARKER) - 1;
    size_t k;
    if (!starts(s, n, MARKER))
        return 0;
    if (starts(s + m, n - m, "media:url"))
        k = m + 9;
    else if (starts(s + m, n - m, "section"))
        k = m + 7;
    else
        return 0;
    for (size_t i = k; i < n; i++) {
        if (line_term(s, n, i))
            return 0;
        if (starts(s + i, n - i, ">>>")) {
            *cap = i;
            *match = i + 3;
            return 1;
        }
    }
    return 0;
}

typedef int (*matcher)(const char *s, size_t n, size_t *match, size_t *cap);

/* A list growing in the render's scratch arena (outgrown storage stays there until the arena is
 * freed: these lists are short). The caller fills each new item in. */
typedef struct alist {
    char *items;
    size_t len, cap, size;
    rs_arena *arena;
} alist;

static void *alist_push(alist *l)
{
    if (l->len == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        char *items = cap <= (size_t)-1 / l->size ? rs_arena_alloc(l->arena, cap * l->size) : NULL;
        if (!items)
            return NULL;
        if (l->len)
            memcpy(items, l->items, l->len * l->size);
        l->items = items;
        l->cap = cap;
    }
    return l->items + l->len++ * l->size;
}

#define ALIST_AT(l, type, i) (((type *)(l)->items)[i])

/* rs_js_is_blank with ASCII decided here: pieces are mostly ASCII text after a newline. */
static int is_blank(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))) /* \t \n \v \f \r */
        i++;
    if (i == n)
        return 1;
    if ((unsigned char)s[i] < 0x80)
        return 0;
    return rs_js_is_blank(s + i, n - i);
}

static int push_piece(alist *out, const char *s, size_t n)
{
    if (is_blank(s, n))
        return 0;
    piece *p = alist_push(out);
    if (!p)
        return RS_ENOMEM;
    p->s = s;
    p->n = n;
    return 0;
}

/* source.split(regex).filter(s => s.trim() !== ""): text between matches and the captures. */
static int split_pieces(alist *out, const char *s, size_t n, matcher match)
{
    size_t last = 0, i = 0;
    while (i < n) {
        size_t mlen, clen;
        const char *lt = memchr(s + i, '<', n - i);
        if (!lt)
            break;
        i = (size_t)(lt - s);
        if (match(s + i, n - i, &mlen, &clen)) {
            if (push_piece(out, s + last, i - last) != 0 || push_piece(out, s + i, clen) != 0)
                return RS_ENOMEM;
            i += mlen;
            last = i;
            continue;
        }
        i++;
    }
    return push_piece(out, s + last, n - last);
}

/* piece.split(" ")[k]: 1 and its span, or 0 when there is no such field. */
static int field(const char *s, size_t n, int k, piece *out)
{
    size_t start = 0;
    int idx = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == ' ') {
            if (idx == k) {
                out->s = s + start;
                out->n = i - start;
                return 1;
            }
            idx++;
            start = i + 1;
        }
    }
    return 0;
}

static int add_string(const rs_jt *b, cJSON *obj, const char *key, const char *s, size_t n)
{
    return rs_jt_add_kept(b, obj, key, rs_jt_string(b, s, n));
}

static cJSON *parse_part(const rs_jt *b, const char *s, size_t n)
{
    cJSON *part = rs_jt_node(b, cJSON_Object);
    piece a, t;
    if (!part)
        return NULL;
    if (starts(s, n, MEDIA_PREFIX)) {
        cJSON *media = rs_jt_node(b, cJSON_Object);
        if (rs_jt_add_kept(b, part, "media", media) != 0 ||
            (field(s, n, 1, &a) && add_string(b, media, "url", a.s, a.n) != 0) ||
            (field(s, n, 2, &t) && t.n && add_string(b, media, "contentType", t.s, t.n) != 0))
            goto fail;
    } else if (starts(s, n, SECTION_PREFIX)) {
        cJSON *meta = rs_jt_node(b, cJSON_Object);
        if (rs_jt_add_kept(b, part, "metadata", meta) != 0 ||
            (field(s, n, 1, &a) && add_string(b, meta, "purpose", a.s, a.n) != 0) ||
            rs_jt_add_kept(b, meta, "pending", rs_jt_bool(b, 1)) != 0)
            goto fail;
    } else if (add_string(b, part, "text", s, n) != 0) {
        goto fail;
    }
    return part;
fail:
    rs_jt_drop(b, part);
    return NULL;
}

/* toParts(source) */
static cJSON *to_parts(const rs_jt *b, rs_arena *scratch, const char *s, size_t n)
{
    alist pieces = {NULL, 0, 0, sizeof(piece), scratch};
    cJSON *parts = rs_jt_node(b, cJSON_Array);
    if (!parts || split_pieces(&pieces, s, n, media_section_match) != 0)
        goto fail;
    for (size_t i = 0; i < pieces.len; i++) {
        piece *p = &ALIST_AT(&pieces, piece, i);
        cJSON *part = parse_part(b, p->s, p->n);
        if (!part)
            goto fail;
        rs_jt_push(parts, part);
    }
    return parts;
fail:
    rs_jt_drop(b, parts);
    return NULL;
}

static void source_free(const rs_jt *b, msg_source *m)
{
    if (m->more.ptr)
        rs_str_free(&m->more);
    if (b->arena)
        return; /* the rest goes with the arena */
    rs_jt_drop(b, m->role_value);
    rs_jt_drop(b, m->content);
    rs_jt_drop(b, m->history_source);
    rs_jt_drop(b, m->metadata);
}

/* A new, empty message source. */
static msg_source *push_source(alist *sources)
{
    static const msg_source empty = {NULL, 0, NULL, NULL, 0, RS_STR_INIT, NULL, NULL, NULL};
    msg_source *m = alist_push(sources);
    if (m)
        *m = empty;
    return m;
}

static msg_source *new_source(alist *sources, const char *role, size_t n)
{
    msg_source *m = push_source(sources);
    if (!m)
        return NULL;
    m->role = role;
    m->role_len = n;
    return m;
}

/* The message's text so far. */
static const char *source_text(const msg_source *m, size_t *n)
{
    if (m->text) {
        *n = m->text_len;
        return m->text;
    }
    *n = m->more.len;
    return rs_str_cstr(&m->more);
}

/* Add a piece of the rendered text (which outlives the sources) to the message. */
static int source_append(msg_source *m, const char *s, size_t n)
{
    if (!m->text && m->more.len == 0) {
        m->text = s;
        m->text_len = n;
        return 0;
    }
    if (m->text) {
        if (rs_str_append(&m->more, m->text, m->text_len) != 0)
            return RS_ENOMEM;
        m->text = NULL;
    }
    return rs_str_append(&m->more, s, n);
}

/* share: a reference to v's members (objects, arrays), to its string (strings) or a copy (other
 * scalars), for results that do not outlive the caller's data; else a deep copy. */
static cJSON *copy_or_ref(const rs_jt *b, const cJSON *v, int share)
{
    return share ? rs_jt_ref(b, v) : rs_jt_dup(b, v);
}

/* "history", referred to rather than copied by every history message's metadata */
static const cJSON purpose_history = {NULL, NULL, NULL, cJSON_String, (char *)"history",
                                      0,    0,    NULL};

/* {...meta, purpose: "history"} referring to meta's members (share) or copying them. */
static cJSON *history_metadata(const rs_jt *b, const cJSON *meta, int share)
{
    cJSON *out = rs_jt_node(b, cJSON_Object);
    for (const cJSON *m = cJSON_IsObject(meta) ? meta->child : NULL; out && m; m = m->next) {
        if (strcmp(m->string, "purpose") == 0)
            continue;
        cJSON *v = copy_or_ref(b, m, share);
        /* share: the key lives as long as the data, as the value does */
        if ((share ? rs_jt_add_kept(b, out, m->string, v) : rs_jt_add(b, out, m->string, v)) != 0) {
            rs_jt_drop(b, out);
            return NULL;
        }
    }
    if (out && rs_jt_add_kept(b, out, "purpose", rs_jt_ref(b, &purpose_history)) != 0) {
        rs_jt_drop(b, out);
        return NULL;
    }
    return out;
}

/* The members of a history message that matter (the first of each name, as a lookup finds), in
 * one pass over its members; none when it is not an object. */
enum { H_ROLE, H_CONTENT, H_SOURCE, H_METADATA, H_KEYS };
static const char *const history_keys[H_KEYS] = {"role", "content", "source", "metadata"};

/* {...m, metadata: {...m.metadata, purpose: "history"}} for each history message. */
static int push_history(const rs_jt *b, alist *sources, const cJSON *history, int share)
{
    for (const cJSON *h = history ? history->child : NULL; h; h = h->next) {
        msg_source *m = push_source(sources);
        if (!m)
            return RS_ENOMEM;
        const cJSON *hm[H_KEYS];
        rs_json_members(h, H_KEYS, history_keys, hm);
        const cJSON *role = hm[H_ROLE], *content = hm[H_CONTENT], *src = hm[H_SOURCE],
                    *meta = hm[H_METADATA];
        m->role_value = role ? copy_or_ref(b, role, share) : NULL;
        m->content = content ? copy_or_ref(b, content, share) : NULL;
        m->history_source = src ? copy_or_ref(b, src, share) : NULL;
        m->metadata = history_metadata(b, meta, share);
        if ((role && !m->role_value) || (content && !m->content) || (src && !m->history_source) ||
            !m->metadata)
            return RS_ENOMEM;
    }
    return 0;
}

static int truthy(const cJSON *v)
{
    if (!v)
        return 0;
    switch (v->type & 0xFF) {
    case cJSON_NULL:
    case cJSON_False:
        return 0;
    case cJSON_Number:
        return v->valuedouble == v->valuedouble && v->valuedouble != 0;
    case cJSON_String:
        return v->valuestring[0] != '\0';
    default:
        return 1;
    }
}

/* messageSourcesToMessages. *history_kept: a history message is among them (each has
 * metadata.purpose "history", which is what insertHistory looks for). */
static int build_messages(const rs_jt *b, rs_arena *scratch, cJSON *out, alist *sources,
                          int *history_kept)
{
    for (size_t i = 0; i < sources->len; i++) {
        msg_source *m = &ALIST_AT(sources, msg_source, i);
        int is_history = m->metadata != NULL;
        const cJSON *src_value = m->history_source;
        size_t text_len;
        const char *text = source_text(m, &text_len);
        int has_source = is_history ? truthy(src_value) : text_len > 0;
        if (!truthy(m->content) && !has_source)
            continue;
        cJSON *msg = rs_jt_node(b, cJSON_Object);
        if (!msg)
            return RS_ENOMEM;
        rs_jt_push(out, msg);
        if (m->role_value) {
            cJSON *role = m->role_value;
            m->role_value = NULL; /* taken over (dropped on failure) */
            if (rs_jt_add_kept(b, msg, "role", role) != 0)
                return RS_ENOMEM;
        } else if (m->role && add_string(b, msg, "role", m->role, m->role_len) != 0) {
            return RS_ENOMEM;
        }
        cJSON *content;
        if (truthy(m->content)) {
            content = m->content;
            m->content = NULL;
        } else if (is_history) {
            const char *t = cJSON_IsString(src_value) ? src_value->valuestring : "";
            content = to_parts(b, scratch, t, strlen(t));
        } else {
            content = to_parts(b, scratch, text, text_len);
        }
        if (rs_jt_add_kept(b, msg, "content", content) != 0)
            return RS_ENOMEM;
        if (m->metadata) {
            cJSON *meta = m->metadata;
            m->metadata = NULL;
            if (rs_jt_add_kept(b, msg, "metadata", meta) != 0)
                return RS_ENOMEM;
            *history_kept = 1;
        }
    }
    return 0;
}

/* insertHistory(messages, history): takes messages over, returns the result or NULL (OOM). */
static cJSON *insert_history(const rs_jt *b, cJSON *messages, const cJSON *history, int share,
                             int history_kept)
{
    if (!history || cJSON_IsNull(history) || history_kept)
        return messages;
    if (!messages->child) {
        rs_jt_drop(b, messages);
        return copy_or_ref(b, history, share);
    }
    cJSON *last = messages->child->prev; /* cJSON keeps the tail in head->prev */
    const cJSON *role = cJSON_GetObjectItemCaseSensitive(last, "role");
    int before_last = cJSON_IsString(role) && strcmp(role->valuestring, "user") == 0;
    if (before_last)
        cJSON_DetachItemViaPointer(messages, last);
    for (const cJSON *h = history->child; h; h = h->next) {
        cJSON *d = copy_or_ref(b, h, share);
        if (!d) {
            if (before_last)
                rs_jt_drop(b, last);
            rs_jt_drop(b, messages);
            return NULL;
        }
        rs_jt_push(messages, d);
    }
    if (before_last)
        rs_jt_push(messages, last);
    return messages;
}

int rs_dotprompt_messages(cJSON **out, const char *text, size_t len, const cJSON *history,
                          rs_error *err)
{
    static const rs_jt heap = {NULL};
    return rs_dotprompt_messages_build(out, &heap, text, len, history, 0, err);
}

int rs_dotprompt_messages_build(cJSON **out, const rs_jt *b, const char *text, size_t len,
                                const cJSON *history, int share_history, rs_error *err)
{
    /* the pieces and message sources: in the result's arena, or in one of their own */
    rs_arena local;
    rs_arena_init(&local, 2048);
    rs_arena *scratch = b->arena ? b->arena : &local;
    alist pieces = {NULL, 0, 0, sizeof(piece), scratch};
    alist sources = {NULL, 0, 0, sizeof(msg_source), scratch};
    cJSON *messages = NULL;
    int rc = 0, history_kept = 0;
    size_t cur;

    *out = NULL;
    if (history && !cJSON_IsNull(history) && !cJSON_IsArray(history))
        return rs_error_set(err, RS_EINVAL, "data.messages must be an array of messages");
    if (!new_source(&sources, "user", 4) ||
        split_pieces(&pieces, text, len, role_history_match) != 0)
        goto nomem;
    cur = 0;
    for (size_t i = 0; i < pieces.len; i++) {
        piece *p = &ALIST_AT(&pieces, piece, i);
        if (starts(p->s, p->n, ROLE_PREFIX)) {
            size_t k = sizeof(ROLE_PREFIX) - 1;
            msg_source *c = &ALIST_AT(&sources, msg_source, cur);
            size_t n;
            const char *t = source_text(c, &n);
            if (!is_blank(t, n)) {
                if (!new_source(&sources, p->s + k, p->n - k))
                    goto nomem;
                cur = sources.len - 1;
            } else {
                c->role = p->s + k;
                c->role_len = p->n - k;
            }
        } else if (starts(p->s, p->n, HISTORY_PREFIX)) {
            if (push_history(b, &sources, cJSON_IsArray(history) ? history : NULL,
                             share_history) != 0 ||
                !new_source(&sources, "model", 5))
                goto nomem;
            cur = sources.len - 1;
        } else {
            msg_source *c = &ALIST_AT(&sources, msg_source, cur);
            if (source_append(c, p->s, p->n) != 0) {
                rc = rs_str_report(&c->more, err, "a message");
                goto done;
            }
        }
    }
    messages = rs_jt_node(b, cJSON_Array);
    if (!messages || build_messages(b, scratch, messages, &sources, &history_kept) != 0)
        goto nomem;
    /* data?.messages: undefined is [] here (the reference's default parameter), which leaves
     * the messages as they are */
    messages = insert_history(b, messages, history, share_history, history_kept);
    if (!messages)
        goto nomem;
    *out = messages;
    messages = NULL;
    goto done;
nomem:
    rc = rs_error_set(err, RS_ENOMEM, "out of memory splitting the rendered prompt into messages");
done:
    for (size_t i = 0; i < sources.len; i++)
        source_free(b, &ALIST_AT(&sources, msg_source, i));
    rs_jt_drop(b, messages);
    rs_arena_free(&local);
    return rc;
}
