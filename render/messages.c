/*
 * render/messages.c - marker splitting into messages and parts (see messages.h).
 */
#include "render/messages.h"

#include "templates/frontmatter.h"
#include "util/alloc.h"
#include "util/str.h"
#include "util/vec.h"

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

/* source.split(regex).filter(s => s.trim() !== ""): text between matches and the captures. */
static int split_pieces(rs_vec *out, const char *s, size_t n, matcher match)
{
    size_t last = 0, i = 0;
    while (i < n) {
        size_t mlen, clen;
        const char *lt = memchr(s + i, '<', n - i);
        if (!lt)
            break;
        i = (size_t)(lt - s);
        if (match(s + i, n - i, &mlen, &clen)) {
            piece before = {s + last, i - last}, cap = {s + i, clen};
            if (!rs_js_is_blank(before.s, before.n) && rs_vec_push(out, &before) != 0)
                return RS_ENOMEM;
            if (!rs_js_is_blank(cap.s, cap.n) && rs_vec_push(out, &cap) != 0)
                return RS_ENOMEM;
            i += mlen;
            last = i;
            continue;
        }
        i++;
    }
    piece rest = {s + last, n - last};
    if (!rs_js_is_blank(rest.s, rest.n) && rs_vec_push(out, &rest) != 0)
        return RS_ENOMEM;
    return 0;
}

/* piece.split(" ")[k] as a new string, or NULL (with *absent = 1) when there is no such field. */
static char *field(const char *s, size_t n, int k, int *absent)
{
    size_t start = 0;
    int idx = 0;
    *absent = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == ' ') {
            if (idx == k)
                return rs_strndup(s + start, i - start);
            idx++;
            start = i + 1;
        }
    }
    *absent = 1;
    return NULL;
}

/* object[key] = item with key a string literal (not copied: cJSON_StringIsConst). Takes item
 * over, also on failure. 0 or RS_ENOMEM. */
static int add_cs(cJSON *object, const char *key, cJSON *item)
{
    if (!item || !cJSON_AddItemToObjectCS(object, key, item)) {
        cJSON_Delete(item);
        return RS_ENOMEM;
    }
    return 0;
}

/* A JSON string node holding a copy of (s, n), made in one allocation for the text. */
static cJSON *string_n(const char *s, size_t n)
{
    cJSON *item = cJSON_CreateNull();
    char *copy = item ? cJSON_malloc(n + 1) : NULL;
    if (!copy) {
        cJSON_Delete(item);
        return NULL;
    }
    memcpy(copy, s, n);
    copy[n] = '\0';
    item->type = cJSON_String;
    item->valuestring = copy;
    return item;
}

static cJSON *parse_part(const char *s, size_t n)
{
    cJSON *part = cJSON_CreateObject();
    char *a = NULL, *b = NULL;
    int absent_a = 0, absent_b = 0;
    if (!part)
        return NULL;
    if (starts(s, n, MEDIA_PREFIX)) {
        cJSON *media = cJSON_CreateObject();
        if (add_cs(part, "media", media) != 0)
            goto fail;
        a = field(s, n, 1, &absent_a);
        b = field(s, n, 2, &absent_b);
        if ((!absent_a && !a) || (!absent_b && !b))
            goto fail;
        if (a && add_cs(media, "url", cJSON_CreateString(a)) != 0)
            goto fail;
        if (b && *b && add_cs(media, "contentType", cJSON_CreateString(b)) != 0)
            goto fail;
    } else if (starts(s, n, SECTION_PREFIX)) {
        cJSON *meta = cJSON_CreateObject();
        if (add_cs(part, "metadata", meta) != 0)
            goto fail;
        a = field(s, n, 1, &absent_a);
        if (!absent_a && !a)
            goto fail;
        if (a && add_cs(meta, "purpose", cJSON_CreateString(a)) != 0)
            goto fail;
        if (add_cs(meta, "pending", cJSON_CreateTrue()) != 0)
            goto fail;
    } else if (add_cs(part, "text", string_n(s, n)) != 0) {
        goto fail;
    }
    rs_free(a);
    rs_free(b);
    return part;
fail:
    rs_free(a);
    rs_free(b);
    cJSON_Delete(part);
    return NULL;
}

/* toParts(source) */
static cJSON *to_parts(const char *s, size_t n)
{
    rs_vec pieces = RS_VEC_INIT(piece);
    cJSON *parts = cJSON_CreateArray();
    if (!parts || split_pieces(&pieces, s, n, media_section_match) != 0)
        goto fail;
    for (size_t i = 0; i < pieces.len; i++) {
        piece *p = &RS_VEC_AT(&pieces, piece, i);
        cJSON *part = parse_part(p->s, p->n);
        if (!part || !cJSON_AddItemToArray(parts, part)) {
            cJSON_Delete(part);
            goto fail;
        }
    }
    rs_vec_free(&pieces);
    return parts;
fail:
    rs_vec_free(&pieces);
    cJSON_Delete(parts);
    return NULL;
}

static void source_free(msg_source *m)
{
    rs_str_free(&m->more);
    cJSON_Delete(m->role_value);
    cJSON_Delete(m->content);
    cJSON_Delete(m->history_source);
    cJSON_Delete(m->metadata);
}

static msg_source *new_source(rs_vec *sources, const char *role, size_t n)
{
    msg_source *m = rs_vec_push_zero(sources);
    if (!m)
        return NULL;
    rs_str_init(&m->more, RS_STR_DEFAULT_MAX);
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

/* A reference to v's members (objects, arrays), to its string (strings) or a copy (other
 * scalars): for results that do not outlive the caller's data. */
static cJSON *make_ref(const cJSON *v)
{
    if (cJSON_IsObject(v))
        return cJSON_CreateObjectReference(v->child);
    if (cJSON_IsArray(v))
        return cJSON_CreateArrayReference(v->child);
    if (cJSON_IsString(v))
        return cJSON_CreateStringReference(v->valuestring);
    return cJSON_Duplicate(v, 1);
}

static cJSON *copy_or_ref(const cJSON *v, int share)
{
    return share ? make_ref(v) : cJSON_Duplicate(v, 1);
}

/* {...meta, purpose: "history"} referring to meta's members (share) or copying them. */
static cJSON *history_metadata(const cJSON *meta, int share)
{
    cJSON *out = cJSON_CreateObject();
    for (const cJSON *m = cJSON_IsObject(meta) ? meta->child : NULL; out && m; m = m->next) {
        if (strcmp(m->string, "purpose") == 0)
            continue;
        cJSON *v = copy_or_ref(m, share);
        /* share: the key lives as long as the data, as the value does */
        if (!v || !(share ? cJSON_AddItemToObjectCS(out, m->string, v)
                          : cJSON_AddItemToObject(out, m->string, v))) {
            cJSON_Delete(v);
            cJSON_Delete(out);
            return NULL;
        }
    }
    if (!out)
        return NULL;
    cJSON *purpose = share ? cJSON_CreateStringReference("history") : cJSON_CreateString("history");
    if (add_cs(out, "purpose", purpose) != 0) {
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}

/* {...m, metadata: {...m.metadata, purpose: "history"}} for each history message. */
static int push_history(rs_vec *sources, const cJSON *history, int share)
{
    for (const cJSON *h = history ? history->child : NULL; h; h = h->next) {
        msg_source *m = rs_vec_push_zero(sources);
        if (!m)
            return RS_ENOMEM;
        rs_str_init(&m->more, RS_STR_DEFAULT_MAX);
        const cJSON *role = cJSON_IsObject(h) ? cJSON_GetObjectItemCaseSensitive(h, "role") : NULL;
        const cJSON *content =
            cJSON_IsObject(h) ? cJSON_GetObjectItemCaseSensitive(h, "content") : NULL;
        const cJSON *src = cJSON_IsObject(h) ? cJSON_GetObjectItemCaseSensitive(h, "source") : NULL;
        const cJSON *meta =
            cJSON_IsObject(h) ? cJSON_GetObjectItemCaseSensitive(h, "metadata") : NULL;
        m->role_value = role ? copy_or_ref(role, share) : NULL;
        m->content = content ? copy_or_ref(content, share) : NULL;
        m->history_source = src ? copy_or_ref(src, share) : NULL;
        m->metadata = history_metadata(meta, share);
        if ((role && !m->role_value) || (content && !m->content) || (src && !m->history_source) ||
            !m->metadata)
            return RS_ENOMEM;
    }
    return 0;
}

static int truthy(const cJSON *v)
{
    if (!v || cJSON_IsNull(v) || cJSON_IsFalse(v))
        return 0;
    if (cJSON_IsNumber(v))
        return v->valuedouble == v->valuedouble && v->valuedouble != 0;
    if (cJSON_IsString(v))
        return v->valuestring[0] != '\0';
    return 1;
}

/* messageSourcesToMessages */
static int build_messages(cJSON *out, rs_vec *sources)
{
    for (size_t i = 0; i < sources->len; i++) {
        msg_source *m = &RS_VEC_AT(sources, msg_source, i);
        int is_history = m->metadata != NULL;
        const cJSON *src_value = m->history_source;
        size_t text_len;
        const char *text = source_text(m, &text_len);
        int has_source = is_history ? truthy(src_value) : text_len > 0;
        if (!truthy(m->content) && !has_source)
            continue;
        cJSON *msg = cJSON_CreateObject();
        if (!msg || !cJSON_AddItemToArray(out, msg)) {
            cJSON_Delete(msg);
            return RS_ENOMEM;
        }
        if (m->role_value) {
            if (!cJSON_AddItemToObjectCS(msg, "role", m->role_value))
                return RS_ENOMEM; /* still owned by m: freed with the sources */
            m->role_value = NULL;
        } else if (m->role && add_cs(msg, "role", string_n(m->role, m->role_len)) != 0) {
            return RS_ENOMEM;
        }
        cJSON *content;
        if (truthy(m->content)) {
            content = m->content;
            m->content = NULL;
        } else if (is_history) {
            const char *t = cJSON_IsString(src_value) ? src_value->valuestring : "";
            content = to_parts(t, strlen(t));
        } else {
            content = to_parts(text, text_len);
        }
        if (add_cs(msg, "content", content) != 0)
            return RS_ENOMEM;
        if (m->metadata) {
            if (!cJSON_AddItemToObjectCS(msg, "metadata", m->metadata))
                return RS_ENOMEM;
            m->metadata = NULL;
        }
    }
    return 0;
}

static int has_history(const cJSON *messages)
{
    for (const cJSON *m = messages->child; m; m = m->next) {
        const cJSON *meta = cJSON_GetObjectItemCaseSensitive(m, "metadata");
        const cJSON *p =
            cJSON_IsObject(meta) ? cJSON_GetObjectItemCaseSensitive(meta, "purpose") : NULL;
        if (cJSON_IsString(p) && strcmp(p->valuestring, "history") == 0)
            return 1;
    }
    return 0;
}

/* insertHistory(messages, history): takes messages over, returns the result or NULL (OOM). */
static cJSON *insert_history(cJSON *messages, const cJSON *history, int share)
{
    if (!history || cJSON_IsNull(history) || has_history(messages))
        return messages;
    if (!messages->child) {
        cJSON_Delete(messages);
        return copy_or_ref(history, share);
    }
    cJSON *last = messages->child->prev; /* cJSON keeps the tail in head->prev */
    const cJSON *role = cJSON_GetObjectItemCaseSensitive(last, "role");
    int before_last = cJSON_IsString(role) && strcmp(role->valuestring, "user") == 0;
    if (before_last)
        cJSON_DetachItemViaPointer(messages, last);
    for (const cJSON *h = history->child; h; h = h->next) {
        cJSON *d = copy_or_ref(h, share);
        if (!d || !cJSON_AddItemToArray(messages, d)) {
            cJSON_Delete(d);
            if (before_last)
                cJSON_Delete(last);
            cJSON_Delete(messages);
            return NULL;
        }
    }
    if (before_last)
        cJSON_AddItemToArray(messages, last);
    return messages;
}

int rs_dotprompt_messages(cJSON **out, const char *text, size_t len, const cJSON *history,
                          rs_error *err)
{
    return rs_dotprompt_messages_shared(out, text, len, history, 0, err);
}

int rs_dotprompt_messages_shared(cJSON **out, const char *text, size_t len, const cJSON *history,
                                 int share_history, rs_error *err)
{
    rs_vec pieces = RS_VEC_INIT(piece);
    rs_vec sources = RS_VEC_INIT(msg_source);
    cJSON *messages = NULL;
    int rc = 0;
    size_t cur;

    *out = NULL;
    if (history && !cJSON_IsNull(history) && !cJSON_IsArray(history))
        return rs_error_set(err, RS_EINVAL, "data.messages must be an array of messages");
    if (!new_source(&sources, "user", 4) ||
        split_pieces(&pieces, text, len, role_history_match) != 0)
        goto nomem;
    cur = 0;
    for (size_t i = 0; i < pieces.len; i++) {
        piece *p = &RS_VEC_AT(&pieces, piece, i);
        if (starts(p->s, p->n, ROLE_PREFIX)) {
            size_t k = sizeof(ROLE_PREFIX) - 1;
            msg_source *c = &RS_VEC_AT(&sources, msg_source, cur);
            size_t n;
            const char *t = source_text(c, &n);
            if (!rs_js_is_blank(t, n)) {
                if (!new_source(&sources, p->s + k, p->n - k))
                    goto nomem;
                cur = sources.len - 1;
            } else {
                c->role = p->s + k;
                c->role_len = p->n - k;
            }
        } else if (starts(p->s, p->n, HISTORY_PREFIX)) {
            if (push_history(&sources, cJSON_IsArray(history) ? history : NULL, share_history) !=
                    0 ||
                !new_source(&sources, "model", 5))
                goto nomem;
            cur = sources.len - 1;
        } else {
            msg_source *c = &RS_VEC_AT(&sources, msg_source, cur);
            if (source_append(c, p->s, p->n) != 0) {
                rc = rs_str_report(&c->more, err, "a message");
                goto done;
            }
        }
    }
    messages = cJSON_CreateArray();
    if (!messages || build_messages(messages, &sources) != 0)
        goto nomem;
    /* data?.messages: undefined is [] here (the reference's default parameter) */
    cJSON *empty = NULL;
    if (!history) {
        empty = cJSON_CreateArray();
        if (!empty)
            goto nomem;
    }
    messages = insert_history(messages, history ? history : empty, share_history);
    cJSON_Delete(empty);
    if (!messages)
        goto nomem;
    *out = messages;
    messages = NULL;
    goto done;
nomem:
    rc = rs_error_set(err, RS_ENOMEM, "out of memory splitting the rendered prompt into messages");
done:
    for (size_t i = 0; i < sources.len; i++)
        source_free(&RS_VEC_AT(&sources, msg_source, i));
    rs_vec_free(&sources);
    rs_vec_free(&pieces);
    cJSON_Delete(messages);
    return rc;
}
