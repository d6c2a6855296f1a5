/*
 * templates/hbs_parser.c - Handlebars source to AST, as Handlebars 4.x's grammar (handlebars.yy)
 * parses it, then its whitespace control (~ and the Mustache standalone-line rules, mirrored from
 * Handlebars' whitespace-control.js), then compaction into the arrays rendering walks.
 *
 * Helper calls are classified here, as Handlebars' compiler does with knownHelpersOnly: a tag
 * with arguments (or a subexpression) calls a helper and an unknown one is an error; a bare name
 * is a helper call only when such a helper exists, else a lookup.
 */
#include "templates/hbs_internal.h"

#include "util/alloc.h"
#include "util/jsnum.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct bp_scope {
    const hbs_seg *names;
    uint16_t n;
    const struct bp_scope *up;
} bp_scope;

#define SCRATCH_LOCAL 32

typedef struct parser {
    hbs_lexer lx;
    hbs_token tok;
    hbs_token peek;
    int have_peek;
    rs_hbs_template *tpl;
    hbs_unit *unit;
    rs_error *err;
    int depth;
    int max_depth;
    const bp_scope *bps;
    int32_t unit_index; /* -1 main template, else the partial's index */
    int in_tag;         /* between a tag's opener and its close, for "unclosed '{{'" */
    size_t tag_start;
    /* The nodes of the programs being parsed, innermost last: a program's nodes are copied to
     * the arena once, at its exact size, when it ends (lists doubling in the arena left most
     * of a template's arena as outgrown copies). The first SCRATCH_LOCAL are on the C stack. */
    hbs_node *scratch, *scratch_local;
    size_t scratch_len, scratch_cap;
} parser;

int hbs_error_at(rs_error *err, int code, const rs_hbs_template *tpl, const hbs_unit *unit,
                 size_t off, const char *fmt, ...)
{
    char msg[RS_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        msg[0] = '\0';
    int line, col;
    rs_location_of(unit->src, unit->len, off, &line, &col);
    const char *file = unit->name ? unit->name : (tpl->filename ? tpl->filename : "");
    rs_error_set_at(err, code, file, line, col, "%s", msg);
    rs_error_set_snippet(err, unit->src, unit->len, line);
    return code;
}

static void loc_of(const parser *P, size_t off, int *line, int *col)
{
    rs_location_of(P->unit->src, P->unit->len, off, line, col);
}

/* A short description of a token for "found ..." in messages. */
static void describe(const parser *P, const hbs_token *t, char *buf, size_t size)
{
    if (t->type == TK_EOF) {
        snprintf(buf, size, "end of input");
        return;
    }
    size_t n = t->end - t->start;
    const char *s = P->unit->src + t->start;
    int cut = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n') {
            n = i;
            cut = 1;
            break;
        }
    }
    if (n > 24) {
        n = 24;
        cut = 1;
    }
    snprintf(buf, size, "'%.*s%s'", (int)n, s, cut ? "..." : "");
}

static int perr(parser *P, int code, size_t off, const char *fmt, ...) RS_PRINTF(4, 5);
static int perr(parser *P, int code, size_t off, const char *fmt, ...)
{
    char msg[RS_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        msg[0] = '\0';
    return hbs_error_at(P->err, code, P->tpl, P->unit, off, "%s", msg);
}

static int oom(parser *P)
{
    return rs_error_set(P->err, RS_ENOMEM, "out of memory compiling a template");
}

static int is_opener(hbs_tok_type t)
{
    return t == TK_OPEN || t == TK_OPEN_UNESCAPED || t == TK_OPEN_BLOCK || t == TK_OPEN_ENDBLOCK ||
           t == TK_OPEN_INVERSE || t == TK_OPEN_INVERSE_CHAIN || t == TK_OPEN_PARTIAL ||
           t == TK_OPEN_PARTIAL_BLOCK;
}

static int advance(parser *P)
{
    if (is_opener(P->tok.type)) {
        P->in_tag = 1;
        P->tag_start = P->tok.start;
    } else if (P->tok.type == TK_CLOSE || P->tok.type == TK_CLOSE_UNESCAPED) {
        P->in_tag = 0;
    }
    if (P->have_peek) {
        P->tok = P->peek;
        P->have_peek = 0;
        return 0;
    }
    int rc = hbs_lexer_next(&P->lx, &P->tok);
    return rc ? oom(P) : 0;
}

static int peek(parser *P, const hbs_token **out)
{
    if (!P->have_peek) {
        if (hbs_lexer_next(&P->lx, &P->peek))
            return oom(P);
        P->have_peek = 1;
    }
    *out = &P->peek;
    return 0;
}

/* "found X" error for the current token, with lexical errors explained. */
static int unexpected(parser *P, const char *expected)
{
    char what[64];
    if (P->tok.type == TK_INVALID && P->tok.error == 1)
        return perr(P, RS_ESYNTAX, P->tok.start, "unclosed comment: expected '}}'%s",
                    P->unit->src[P->tok.start + 3] == '-' ||
                            (P->tok.end - P->tok.start > 4 && P->unit->src[P->tok.start + 4] == '-')
                        ? " after '--'"
                        : "");
    if (P->tok.type == TK_INVALID && P->tok.error == 2)
        return perr(P, RS_ESYNTAX, P->tok.start, "unterminated string literal");
    if (P->tok.type == TK_INVALID && P->unit->src[P->tok.start] == '[')
        return perr(P, RS_ESYNTAX, P->tok.start, "unclosed '[' in path");
    if (P->tok.type == TK_EOF && P->in_tag) {
        int line, col;
        rs_location_of(P->unit->src, P->unit->len, P->tag_start, &line, &col);
        return perr(P, RS_ESYNTAX, P->tok.start, "unclosed '{{' opened at %d:%d", line, col);
    }
    describe(P, &P->tok, what, sizeof what);
    return perr(P, RS_ESYNTAX, P->tok.start, "expected %s, found %s", expected, what);
}

static void *arena_dup(parser *P, const void *p, size_t n)
{
    void *q = rs_arena_alloc(P->tpl->arena, n ? n : 1);
    if (q && n)
        memcpy(q, p, n);
    return q;
}

/*
 * A list built straight in the template's arena, doubling as it grows (an outgrown copy stays in
 * the arena until the template is freed). The parser's lists (a program's nodes, a call's
 * arguments, a path's segments) are short and all kept: this spares each a heap buffer, its
 * reallocations and the final copy into the arena. Items move only when alist_push grows the
 * list, as with rs_vec.
 */
typedef struct alist {
    void *items; /* NULL while empty */
    size_t len, cap;
} alist;

/* A new zeroed item at the end of l, or NULL when out of memory. */
static void *alist_push(parser *P, alist *l, size_t size)
{
    if (l->len == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        if (cap > SIZE_MAX / size)
            return NULL;
        void *grown = rs_arena_alloc(P->tpl->arena, cap * size);
        if (!grown)
            return NULL;
        if (l->len)
            memcpy(grown, l->items, l->len * size);
        l->items = grown;
        l->cap = cap;
    }
    void *slot = (char *)l->items + l->len++ * size;
    memset(slot, 0, size);
    return slot;
}

static hbs_strip strip_flags(const parser *P, const hbs_token *open, const hbs_token *close)
{
    hbs_strip s;
    const char *src = P->unit->src;
    s.open = open->end - open->start > 2 && src[open->start + 2] == '~';
    s.close = close->end - close->start >= 3 && src[close->end - 3] == '~';
    return s;
}

/* ---- expressions ---- */

static int parse_param(parser *P, hbs_expr *out);
static int parse_call_body(parser *P, hbs_expr *head, hbs_call *call, int *has_hash);

static int bp_find(const parser *P, const char *s, size_t n, int16_t *up, int16_t *idx)
{
    int16_t u = 0;
    for (const bp_scope *b = P->bps; b; b = b->up, u++) {
        for (uint16_t i = 0; i < b->n; i++) {
            if (b->names[i].len == n && memcmp(b->names[i].s, s, n) == 0) {
                *up = u;
                *idx = (int16_t)i;
                return 1;
            }
        }
    }
    return 0;
}

/* pathSegments: ID (SEP ID)*, prepared as Handlebars' preparePath does. */
/*
 * A path: segments and its original text (Handlebars' `original`, for messages and helpers).
 * Nearly every path is plain names and separators written without gaps, so its original is a
 * span of the source: it is copied once at the end, and built piece by piece (orig) only from
 * the first token that differs from its source bytes ([literal] segments). Compiling pays this
 * for every {{...}}.
 */

/* Switch to building the original in orig: the source span so far goes in first. */
static void orig_begin(rs_str *orig, int *spanning, const char *src, size_t start, size_t pos)
{
    if (*spanning) {
        *spanning = 0;
        rs_str_append(orig, src + start, pos - start);
    }
}

static int parse_path(parser *P, int data, size_t start, hbs_path *path)
{
    /* the segments in local until there are more: most paths have one or two */
    hbs_seg local[8];
    alist segs = {local, 0, sizeof local / sizeof local[0]};
    rs_str orig = RS_STR_INIT;
    const char *src = P->unit->src;
    int spanning = !data || src[start] == '@';
    size_t pos = start + (data ? 1 : 0); /* end of the original's source span so far */
    int rc = 0;
    memset(path, 0, sizeof *path);
    path->bp_up = -1;
    path->data = (uint8_t)data;
    if (data && !spanning)
        rs_str_putc(&orig, '@');
    for (;;) {
        char first = spanning ? src[start] : orig.len ? orig.ptr[0] : 0; /* the original's first */
        if (P->tok.type == TK_NUMBER && segs.len + path->depth > 0 &&
            ((first >= '0' && first <= '9') || first == '-')) {
            /* 1.2.3 lexes as the name 1, a separator and the number 2.3 */
            rc = perr(P, RS_ESYNTAX, start, "invalid number literal '%.*s'",
                      (int)(P->tok.end - start), src + start);
            goto done;
        }
        if (P->tok.type != TK_ID) {
            rc = unexpected(P, "a name");
            goto done;
        }
        const hbs_token *t = &P->tok;
        if (spanning && (t->literal || t->start != pos || t->text != src + t->start))
            orig_begin(&orig, &spanning, src, start, pos);
        if (!spanning)
            rs_str_append(&orig, t->text, t->len);
        pos = t->end;
        int special = !t->literal && ((t->len == 2 && memcmp(t->text, "..", 2) == 0) ||
                                      (t->len == 1 && t->text[0] == '.') ||
                                      (t->len == 4 && memcmp(t->text, "this", 4) == 0));
        if (special) {
            if (segs.len > 0) {
                orig_begin(&orig, &spanning, src, start, pos);
                rc = perr(P, RS_ESYNTAX, start, "invalid path '%s': '%.*s' may only start a path",
                          rs_str_cstr(&orig), (int)t->len, t->text);
                goto done;
            }
            if (t->len == 2)
                path->depth++;
        } else {
            hbs_seg seg = {t->text, (uint32_t)t->len};
            hbs_seg *slot = segs.len < segs.cap ? (hbs_seg *)segs.items + segs.len++
                                                : alist_push(P, &segs, sizeof seg);
            if (!slot) {
                rc = oom(P);
                goto done;
            }
            *slot = seg;
        }
        if ((rc = advance(P)))
            goto done;
        if (P->tok.type != TK_SEP)
            break;
        if (spanning && P->tok.start != pos)
            orig_begin(&orig, &spanning, src, start, pos);
        if (!spanning)
            rs_str_append(&orig, src + P->tok.start, 1);
        pos = P->tok.start + 1;
        if ((rc = advance(P)))
            goto done;
    }
    if (rs_str_error(&orig) || segs.len > UINT16_MAX) {
        rc = oom(P);
        goto done;
    }
    path->nparts = (uint16_t)segs.len;
    path->parts = segs.len ? segs.items : NULL;
    if (segs.items == local && segs.len &&
        !(path->parts = arena_dup(P, local, segs.len * sizeof local[0]))) {
        rc = oom(P);
        goto done;
    }
    const char *o = spanning ? src + start : rs_str_cstr(&orig);
    size_t olen = spanning ? pos - start : orig.len;
    char *copy = rs_arena_alloc(P->tpl->arena, olen + 1);
    if (copy) {
        memcpy(copy, o, olen);
        copy[olen] = '\0';
    }
    path->orig = copy;
    path->orig_len = (uint32_t)olen;
    if (!path->orig) {
        rc = oom(P);
        goto done;
    }
    /* Handlebars' scopedId: an original starting with '.' or "this" is never a block param */
    int scoped = olen > 0 && (o[0] == '.' || (olen >= 4 && !memcmp(o, "this", 4)));
    if (!data && !scoped && path->depth == 0 && path->nparts >= 1)
        bp_find(P, path->parts[0].s, path->parts[0].len, &path->bp_up, &path->bp_index);
done:
    if (orig.ptr) /* only paths with [literal] segments build it */
        rs_str_free(&orig);
    return rc;
}

static int make_literal(parser *P, hbs_expr *e)
{
    const hbs_token *t = &P->tok;
    rs_arena *a = P->tpl->arena;
    e->kind = EX_LITERAL;
    e->u.lit = NULL;
    switch (t->type) {
    case TK_STRING:
        e->u.lit = hbs_new_string(a, t->text, t->len);
        break;
    case TK_NUMBER: {
        char buf[64];
        size_t n = t->len < sizeof buf - 1 ? t->len : sizeof buf - 1;
        memcpy(buf, t->text, n);
        buf[n] = '\0';
        e->u.lit = hbs_new_number(a, strtod(buf, NULL));
        break;
    }
    case TK_BOOLEAN:
        e->u.lit = hbs_new_bool(a, t->text[0] == 't');
        break;
    case TK_NULL: {
        cJSON *v = rs_arena_calloc(a, 1, sizeof(cJSON));
        if (v)
            v->type = cJSON_NULL;
        e->u.lit = v;
        break;
    }
    case TK_UNDEFINED:
        return advance(P);
    default:
        return unexpected(P, "an expression");
    }
    if (!e->u.lit)
        return oom(P);
    return advance(P);
}

/* helperName: path | @path | literal */
static int parse_helper_name(parser *P, hbs_expr *e)
{
    memset(e, 0, sizeof *e);
    switch (P->tok.type) {
    case TK_ID:
        e->kind = EX_PATH;
        return parse_path(P, 0, P->tok.start, &e->u.path);
    case TK_DATA: {
        size_t start = P->tok.start;
        int rc = advance(P);
        if (rc)
            return rc;
        e->kind = EX_PATH;
        return parse_path(P, 1, start, &e->u.path);
    }
    case TK_STRING:
    case TK_NUMBER:
    case TK_BOOLEAN:
    case TK_NULL:
    case TK_UNDEFINED:
        return make_literal(P, e);
    default:
        return unexpected(P, "a name or a literal");
    }
}

static int parse_sexpr(parser *P, hbs_expr *out)
{
    size_t open = P->tok.start;
    int rc;
    if (++P->depth > P->max_depth) {
        rc = perr(P, RS_ELIMIT, open, "subexpressions nested deeper than %d levels", P->max_depth);
        goto done;
    }
    if ((rc = advance(P)))
        goto done;
    hbs_call *call = rs_arena_calloc(P->tpl->arena, 1, sizeof *call);
    if (!call) {
        rc = oom(P);
        goto done;
    }
    hbs_expr head;
    int has_hash = 0;
    if ((rc = parse_call_body(P, &head, call, &has_hash)))
        goto done;
    if (P->tok.type != TK_CLOSE_SEXPR) {
        rc = unexpected(P, "')'");
        goto done;
    }
    if ((rc = advance(P)))
        goto done;
    out->kind = EX_SUB;
    out->u.sub = call;
done:
    P->depth--;
    return rc;
}

static int parse_param(parser *P, hbs_expr *out)
{
    if (P->tok.type == TK_OPEN_SEXPR)
        return parse_sexpr(P, out);
    return parse_helper_name(P, out);
}

static int is_param_start(hbs_tok_type t)
{
    return t == TK_ID || t == TK_DATA || t == TK_STRING || t == TK_NUMBER || t == TK_BOOLEAN ||
           t == TK_NULL || t == TK_UNDEFINED || t == TK_OPEN_SEXPR;
}

/* param* hash? after the head; fills call->params/hash (in the arena). */
static int parse_args(parser *P, hbs_call *call, int *has_hash)
{
    alist params = {0}, keys = {0}, vals = {0};
    int rc = 0;
    *has_hash = 0;
    while (is_param_start(P->tok.type)) {
        if (P->tok.type == TK_ID) {
            const hbs_token *nx = NULL;
            if ((rc = peek(P, &nx)))
                goto done;
            if (nx->type == TK_EQUALS) {
                hbs_seg key = {P->tok.text, (uint32_t)P->tok.len};
                if ((rc = advance(P)) || (rc = advance(P)))
                    goto done;
                hbs_expr v;
                if (!is_param_start(P->tok.type)) {
                    rc = unexpected(P, "a value after '='");
                    goto done;
                }
                if ((rc = parse_param(P, &v)))
                    goto done;
                hbs_seg *ks = alist_push(P, &keys, sizeof key);
                hbs_expr *vs = ks ? alist_push(P, &vals, sizeof v) : NULL;
                if (!vs) {
                    rc = oom(P);
                    goto done;
                }
                *ks = key;
                *vs = v;
                *has_hash = 1;
                continue;
            }
        }
        if (*has_hash)
            break; /* a positional argument after the hash: the caller reports what it expected */
        hbs_expr e;
        if ((rc = parse_param(P, &e)))
            goto done;
        hbs_expr *slot = alist_push(P, &params, sizeof e);
        if (!slot) {
            rc = oom(P);
            goto done;
        }
        *slot = e;
    }
    call->nparams = (uint32_t)params.len;
    call->params = params.items;
    call->nhash = (uint32_t)keys.len;
    call->hash_keys = keys.items;
    call->hash_vals = vals.items;
done:
    return rc;
}

/* The name a literal head stands for (Handlebars turns {{"a b"}} into the path "a b"). */
static int literal_to_path(parser *P, hbs_expr *e, const char *text, size_t len)
{
    char buf[RS_JSNUM_MAX];
    const cJSON *v = e->u.lit;
    const char *s;
    size_t n;
    if (!v) {
        s = "undefined";
        n = 9;
    } else if (cJSON_IsString(v)) {
        s = v->valuestring;
        n = strlen(s);
    } else if (cJSON_IsNumber(v)) {
        n = rs_jsnum_format(v->valuedouble, buf);
        s = buf;
    } else if (cJSON_IsBool(v)) {
        s = cJSON_IsTrue(v) ? "true" : "false";
        n = strlen(s);
    } else {
        s = "null";
        n = 4;
    }
    (void)text;
    (void)len;
    hbs_seg *seg = rs_arena_alloc(P->tpl->arena, sizeof *seg);
    char *copy = arena_dup(P, s, n + 1);
    if (!seg || !copy)
        return oom(P);
    copy[n] = '\0';
    seg->s = copy;
    seg->len = (uint32_t)n;
    memset(e, 0, sizeof *e);
    e->kind = EX_PATH;
    e->u.path.parts = seg;
    e->u.path.nparts = 1;
    e->u.path.bp_up = -1;
    e->u.path.orig = copy;
    e->u.path.orig_len = (uint32_t)n;
    return 0;
}

/* helperName param* hash? ; the head is turned into a path when it is a literal. */
static int parse_call_body(parser *P, hbs_expr *head, hbs_call *call, int *has_hash)
{
    size_t head_off = P->tok.start;
    int rc = parse_helper_name(P, head);
    if (rc)
        return rc;
    if (head->kind == EX_LITERAL && (rc = literal_to_path(P, head, NULL, 0)))
        return rc;
    call->off = (uint32_t)head_off;
    call->name = head->u.path.orig;
    return parse_args(P, call, has_hash);
}

/* ---- helpers ---- */

static const struct {
    const char *name;
    hbs_builtin id;
} builtins[] = {{"if", BI_IF},     {"unless", BI_UNLESS}, {"each", BI_EACH},
                {"with", BI_WITH}, {"lookup", BI_LOOKUP}, {"log", BI_LOG}};

/* Is `name` a known helper? Sets call->builtin/helper. Registered helpers shadow built-ins. */
/* 1 when the NUL-terminated s is (name, n) (which may hold any byte): compared byte by byte,
 * most names differ at the first, without measuring s. */
static int same_name(const char *s, const char *name, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\0' || s[i] != name[i])
            return 0;
    }
    return s[n] == '\0';
}

static int find_helper(const rs_hbs_template *tpl, const char *name, size_t n, hbs_call *call)
{
    /* helper names are never empty (rs_hbs_compile checks), and most names looked up are no
     * helper's: their first byte begins none */
    if (n == 0)
        return 0;
    unsigned char c0 = (unsigned char)name[0];
    for (size_t i = 0; (tpl->helper_initials[c0 >> 6] >> (c0 & 63)) & 1 && i < tpl->nhelpers; i++) {
        if (tpl->helpers[i].name[0] == name[0] && same_name(tpl->helpers[i].name, name, n)) {
            call->helper = &tpl->helpers[i];
            call->builtin = BI_NONE;
            return 1;
        }
    }
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++) {
        if (builtins[i].name[0] == name[0] && same_name(builtins[i].name, name, n)) {
            call->builtin = (uint8_t)builtins[i].id;
            call->helper = NULL;
            return 1;
        }
    }
    return 0;
}

/* Check a built-in's argument count at compile time (Handlebars throws at render time). */
static int check_builtin(parser *P, const hbs_call *call, int block)
{
    const char *pre = block ? "#" : "";
    switch (call->builtin) {
    case BI_IF:
    case BI_UNLESS:
    case BI_WITH:
        if (call->nparams != 1)
            return perr(P, RS_ESYNTAX, call->off,
                        "{{%s%s}} requires exactly one argument, found %u", pre, call->name,
                        call->nparams);
        break;
    case BI_EACH:
        /* Handlebars takes a second argument as the options object and fails on it */
        if (call->nparams < 1)
            return perr(P, RS_ESYNTAX, call->off, "{{%seach}} requires an argument to iterate over",
                        pre);
        if (call->nparams > 1)
            return perr(P, RS_ESYNTAX, call->off,
                        "{{%seach}} requires exactly one argument, found %u", pre, call->nparams);
        break;
    case BI_LOOKUP:
        if (call->nparams != 2)
            return perr(P, RS_ESYNTAX, call->off, "lookup requires two arguments, found %u",
                        call->nparams);
        break;
    default:
        break;
    }
    return 0;
}

/* Is the head a helper call? 1 helper, 0 plain lookup, or an error. */
static int classify(parser *P, const hbs_expr *head, hbs_call *call, int has_args, int block,
                    int *is_helper)
{
    const hbs_path *p = &head->u.path;
    int scoped =
        p->orig_len > 0 && (p->orig[0] == '.' || (p->orig_len >= 4 && !memcmp(p->orig, "this", 4)));
    int simple = p->nparts == 1 && !scoped && p->depth == 0 && !p->data;
    int is_bp = simple && p->bp_up >= 0;
    *is_helper = 0;
    if (is_bp && !has_args)
        return 0;
    if (has_args) {
        const char *name = p->nparts ? p->parts[0].s : p->orig;
        size_t n = p->nparts ? p->parts[0].len : p->orig_len;
        if (p->data || p->depth || !find_helper(P->tpl, name, n, call))
            return perr(P, RS_ESYNTAX, call->off, "unknown helper '%s'", p->orig);
        *is_helper = 1;
    } else if (simple && find_helper(P->tpl, p->parts[0].s, p->parts[0].len, call)) {
        *is_helper = 1;
    }
    if (*is_helper)
        return check_builtin(P, call, block);
    return 0;
}

/* Subexpressions are always helper calls; check them all, depth first. */
static int check_exprs(parser *P, hbs_expr *es, uint32_t n);

static int check_call_args(parser *P, hbs_call *call)
{
    int rc = check_exprs(P, call->params, call->nparams);
    if (!rc)
        rc = check_exprs(P, call->hash_vals, call->nhash);
    return rc;
}

static int check_exprs(parser *P, hbs_expr *es, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (es[i].kind != EX_SUB)
            continue;
        hbs_call *c = es[i].u.sub;
        /* the head was stored as the name; re-classify */
        const char *name = c->name;
        size_t len = strlen(name);
        /* only a simple name can be a helper */
        int ok = 0;
        if (len && !strchr(name, '.') && !strchr(name, '/') && name[0] != '@')
            ok = find_helper(P->tpl, name, len, c);
        else if (len) {
            /* a.b x: Handlebars calls the helper named by the first segment */
            size_t k = strcspn(name, "./");
            if (name[0] != '@' && k > 0 && strncmp(name, "this", 4) != 0)
                ok = find_helper(P->tpl, name, k, c);
        }
        if (!ok)
            return perr(P, RS_ESYNTAX, c->off, "unknown helper '%s'", name);
        int rc = check_builtin(P, c, 0);
        if (!rc)
            rc = check_call_args(P, c);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- statements ---- */

static int parse_program(parser *P, hbs_program **out);

/* Append a finished node to the scratch stack. */
static int push_node(parser *P, const hbs_node *n)
{
    if (P->scratch_len == P->scratch_cap) {
        size_t cap = P->scratch_cap * 2;
        hbs_node *grown = cap <= SIZE_MAX / sizeof *grown ? rs_malloc(cap * sizeof *grown) : NULL;
        if (!grown)
            return oom(P);
        memcpy(grown, P->scratch, P->scratch_len * sizeof *grown);
        if (P->scratch != P->scratch_local)
            rs_free(P->scratch);
        P->scratch = grown;
        P->scratch_cap = cap;
    }
    P->scratch[P->scratch_len++] = *n;
    return 0;
}

static int parse_mustache(parser *P, hbs_node *n)
{
    hbs_token open = P->tok;
    const char *src = P->unit->src;
    int triple = open.type == TK_OPEN_UNESCAPED;
    char flag = open.end - open.start > 3 ? src[open.start + 3] : src[open.start + 2];
    if (open.end - open.start == 3)
        flag = src[open.start + 2];
    if (src[open.end - 1] == '*')
        return perr(P, RS_EUNSUPPORTED, open.start, "decorators ({{* ...}}) are not supported");
    int escaped = !triple && flag != '&';
    int rc = advance(P);
    if (rc)
        return rc;
    hbs_expr head;
    int has_hash = 0;
    if ((rc = parse_call_body(P, &head, &n->call, &has_hash)))
        return rc;
    if (P->tok.type != (triple ? TK_CLOSE_UNESCAPED : TK_CLOSE))
        return unexpected(P, triple ? "'}}}'" : "'}}'");
    n->strip = strip_flags(P, &open, &P->tok);
    n->off = (uint32_t)open.start;
    n->escape = (uint8_t)(escaped && P->tpl->escape_html);
    int is_helper;
    if ((rc = classify(P, &head, &n->call, n->call.nparams || has_hash, 0, &is_helper)))
        return rc;
    if ((rc = check_call_args(P, &n->call)))
        return rc;
    if (is_helper) {
        n->kind = ND_CALL;
    } else {
        n->kind = ND_VALUE;
        n->path = head.u.path;
    }
    return advance(P);
}

static int partial_index(parser *P, const char *name_in, int requested, int32_t *out);

static int parse_partial(parser *P, hbs_node *n)
{
    hbs_token open = P->tok;
    int rc = advance(P);
    if (rc)
        return rc;
    if (P->tok.type == TK_OPEN_SEXPR)
        return perr(P, RS_EUNSUPPORTED, P->tok.start,
                    "dynamic partial names ({{> (expr)}}) are not supported");
    hbs_expr head;
    if ((rc = parse_helper_name(P, &head)))
        return rc;
    if (head.kind == EX_LITERAL && (rc = literal_to_path(P, &head, NULL, 0)))
        return rc;
    int has_hash;
    if ((rc = parse_args(P, &n->call, &has_hash)))
        return rc;
    if (P->tok.type != TK_CLOSE)
        return unexpected(P, "'}}'");
    if (n->call.nparams > 1)
        return perr(P, RS_ESYNTAX, open.start,
                    "a partial takes at most one context argument, found %u", n->call.nparams);
    if ((rc = check_call_args(P, &n->call)))
        return rc;
    n->kind = ND_PARTIAL;
    n->off = (uint32_t)open.start;
    n->strip = strip_flags(P, &open, &P->tok);
    n->call.name = head.u.path.orig;
    n->call.off = (uint32_t)open.start;
    if (head.u.path.data && strcmp(head.u.path.orig, "@partial-block") == 0) {
        n->partial = HBS_PARTIAL_BLOCK_REF;
        return advance(P);
    }
    int32_t idx;
    if ((rc = partial_index(P, head.u.path.orig, 1, &idx)))
        return rc;
    n->partial = idx;
    return advance(P);
}

/* The partial table entry for `name`, added when new; `requested` asks the resolver for it. */
static int partial_index(parser *P, const char *name_in, int requested, int32_t *out)
{
    rs_vec *ps = &P->tpl->partials;
    int32_t idx = -1;
    for (size_t i = 0; i < ps->len; i++) {
        if (strcmp(RS_VEC_AT(ps, hbs_unit, i).name, name_in) == 0) {
            idx = (int32_t)i;
            break;
        }
    }
    if (idx < 0) {
        if (ps->len >= INT32_MAX)
            return oom(P);
        char *name = rs_strdup(name_in);
        hbs_unit *u = name ? rs_vec_push_zero(ps) : NULL;
        if (!u) {
            rs_free(name);
            return oom(P);
        }
        u->name = name;
        idx = (int32_t)(ps->len - 1);
    }
    if (requested)
        RS_VEC_AT(ps, hbs_unit, idx).requested = 1;
    *out = idx;
    return 0;
}

/* The open tag's text for messages: {{#each}} or {{^x}}. */
static void block_label(const hbs_node *n, int inverted, char *buf, size_t size)
{
    const char *name = n->call.name ? n->call.name : "";
    if (n->kind == ND_PARTIAL_BLOCK)
        snprintf(buf, size, "{{#> %s}}", name);
    else if (n->kind == ND_INLINE)
        snprintf(buf, size, "{{#*inline}}");
    else
        snprintf(buf, size, "{{%c%s}}", inverted ? '^' : '#', name);
}

/* openBlock/openInverseChain: helperName param* hash? blockParams? CLOSE */
static int parse_open(parser *P, hbs_node *n, hbs_token *open, hbs_expr *head, int *has_hash)
{
    *open = P->tok;
    int decorator = P->unit->src[open->end - 1] == '*';
    int rc = advance(P);
    if (rc)
        return rc;
    if ((rc = parse_call_body(P, head, &n->call, has_hash)))
        return rc;
    if (decorator) {
        /* {{#*inline "name"}}: an inline partial; other decorators do not exist in Dotprompt */
        if (strcmp(head->u.path.orig, "inline") != 0)
            return perr(P, RS_EUNSUPPORTED, open->start,
                        "decorator '%s' is not supported (only {{#*inline \"name\"}})",
                        head->u.path.orig);
        if (n->call.nparams != 1 || *has_hash || n->call.params[0].kind != EX_LITERAL ||
            !n->call.params[0].u.lit || !cJSON_IsString(n->call.params[0].u.lit))
            return perr(
                P, RS_ESYNTAX, open->start,
                "{{#*inline}} takes the partial's name as one string, e.g. {{#*inline \"x\"}}");
        n->kind = ND_INLINE;
    }
    if (P->tok.type == TK_OPEN_BLOCK_PARAMS) {
        rs_vec names = RS_VEC_INIT(hbs_seg);
        if ((rc = advance(P)))
            return rc;
        while (P->tok.type == TK_ID) {
            hbs_seg s = {P->tok.text, (uint32_t)P->tok.len};
            if (rs_vec_push(&names, &s) || (rc = advance(P))) {
                rs_vec_free(&names);
                return rc ? rc : oom(P);
            }
        }
        if (P->tok.type != TK_CLOSE_BLOCK_PARAMS || names.len == 0 || names.len > 2) {
            rs_vec_free(&names);
            if (P->tok.type == TK_CLOSE_BLOCK_PARAMS)
                return perr(P, RS_ESYNTAX, P->tok.start,
                            "block parameters take one or two names (as |item index|)");
            return unexpected(P, "a block parameter name or '|'");
        }
        n->nbp = (uint16_t)names.len;
        n->bp = arena_dup(P, names.items, names.len * sizeof(hbs_seg));
        rs_vec_free(&names);
        if (!n->bp)
            return oom(P);
        if ((rc = advance(P)))
            return rc;
    }
    if (P->tok.type != TK_CLOSE)
        return unexpected(P, "'}}'");
    n->off = (uint32_t)open->start;
    return 0;
}

static int finish_head(parser *P, hbs_node *n, const hbs_expr *head, int has_hash)
{
    int is_helper, rc;
    if ((rc = classify(P, head, &n->call, n->call.nparams || has_hash, 1, &is_helper)))
        return rc;
    if ((rc = check_call_args(P, &n->call)))
        return rc;
    if (is_helper) {
        n->kind = ND_BLOCK;
    } else {
        n->kind = ND_SECTION;
        n->path = head->u.path;
    }
    return 0;
}

/* The body of a block, with its block parameters in scope. */
static int parse_body(parser *P, const hbs_node *n, hbs_program **out)
{
    bp_scope scope = {n->bp, n->nbp, P->bps};
    if (n->nbp)
        P->bps = &scope;
    int rc = parse_program(P, out);
    P->bps = scope.up;
    return rc;
}

static int parse_close(parser *P, hbs_node *n, int inverted, hbs_strip *strip)
{
    char label[300];
    int line, col;
    if (P->tok.type == TK_EOF) {
        block_label(n, inverted, label, sizeof label);
        loc_of(P, n->off, &line, &col);
        return perr(P, RS_ESYNTAX, P->unit->len, "unclosed %s opened at %d:%d", label, line, col);
    }
    if (P->tok.type != TK_OPEN_ENDBLOCK)
        return unexpected(P, "a closing tag");
    hbs_token open = P->tok;
    int rc = advance(P);
    if (rc)
        return rc;
    hbs_expr name;
    if ((rc = parse_helper_name(P, &name)))
        return rc;
    if (name.kind == EX_LITERAL && (rc = literal_to_path(P, &name, NULL, 0)))
        return rc;
    if (P->tok.type != TK_CLOSE)
        return unexpected(P, "'}}'");
    if (strcmp(name.u.path.orig, n->call.name) != 0) {
        block_label(n, inverted, label, sizeof label);
        loc_of(P, n->off, &line, &col);
        return perr(P, RS_ESYNTAX, open.start, "{{/%s}} does not match %s opened at %d:%d",
                    name.u.path.orig, label, line, col);
    }
    *strip = strip_flags(P, &open, &P->tok);
    return advance(P);
}

static int parse_block(parser *P, hbs_node *n, int inverted);

/*
 * inverseChain: {{else if x}} program inverseChain? | {{else}} program. For a chain link the
 * inverse is a program holding one block (chained = 1), as Handlebars builds it.
 * *chain_strip receives the strip flags the enclosing block's close uses for the link.
 */
static int parse_inverse_chain(parser *P, hbs_node *owner, hbs_program **inv, hbs_strip *istrip,
                               int *is_chain)
{
    int rc;
    *is_chain = 0;
    if (P->tok.type == TK_INVERSE) {
        *istrip = strip_flags(P, &P->tok, &P->tok);
        if ((rc = advance(P)))
            return rc;
        return parse_program(P, inv);
    }
    /* {{else helper args}} */
    hbs_program *prog = rs_arena_calloc(P->tpl->arena, 1, sizeof *prog);
    hbs_node *link = rs_arena_calloc(P->tpl->arena, 1, sizeof *link);
    if (!prog || !link)
        return oom(P);
    link->partial = -1;
    hbs_token open;
    hbs_expr head;
    int has_hash;
    if (++P->depth > P->max_depth) {
        P->depth--;
        return perr(P, RS_ELIMIT, P->tok.start, "blocks nested deeper than %d levels",
                    P->max_depth);
    }
    rc = parse_open(P, link, &open, &head, &has_hash);
    if (!rc)
        rc = finish_head(P, link, &head, has_hash);
    hbs_strip open_close = {0, 0};
    if (!rc) {
        open_close = strip_flags(P, &open, &P->tok);
        rc = advance(P);
    }
    if (!rc)
        rc = parse_body(P, link, &link->program);
    link->open_strip = open_close;
    *istrip = open_close;
    if (!rc && (P->tok.type == TK_INVERSE || P->tok.type == TK_OPEN_INVERSE_CHAIN)) {
        int sub_chain;
        rc = parse_inverse_chain(P, link, &link->inverse, &link->inverse_strip, &sub_chain);
        link->has_inverse_strip = 1;
        /* prepareBlock(open, program, inverseChain, inverseChain-as-close): the link's close
         * strip is the next chain element's strip, and a chained next link gets its own open
         * strip as close strip (the enclosing block overwrites the first link's). */
        link->close_strip = link->inverse_strip;
        link->has_close_strip = 1;
        if (!rc && sub_chain) {
            link->inverse->nodes[0].close_strip = link->inverse_strip;
            link->inverse->nodes[0].has_close_strip = 1;
        }
    }
    P->depth--;
    if (rc)
        return rc;
    (void)owner;
    prog->nodes = link;
    prog->n = 1;
    prog->chained = 1;
    *inv = prog;
    *is_chain = 1;
    return 0;
}

static int parse_block(parser *P, hbs_node *n, int inverted)
{
    int rc;
    if (++P->depth > P->max_depth) {
        rc = perr(P, RS_ELIMIT, P->tok.start, "blocks nested deeper than %d levels", P->max_depth);
        goto done;
    }
    hbs_token open;
    hbs_expr head;
    int has_hash;
    if ((rc = parse_open(P, n, &open, &head, &has_hash)))
        goto done;
    if (n->kind != ND_INLINE && (rc = finish_head(P, n, &head, has_hash)))
        goto done;
    n->open_strip = strip_flags(P, &open, &P->tok);
    if ((rc = advance(P)))
        goto done;
    hbs_program *body = NULL, *alt = NULL;
    if ((rc = parse_body(P, n, &body)))
        goto done;
    int is_chain = 0;
    if (n->kind == ND_INLINE &&
        (P->tok.type == TK_INVERSE || P->tok.type == TK_OPEN_INVERSE_CHAIN)) {
        rc = perr(P, RS_ESYNTAX, P->tok.start, "{{#*inline}} cannot have an {{else}}");
        goto done;
    }
    if (P->tok.type == TK_INVERSE || (!inverted && P->tok.type == TK_OPEN_INVERSE_CHAIN)) {
        if ((rc = parse_inverse_chain(P, n, &alt, &n->inverse_strip, &is_chain)))
            goto done;
        n->has_inverse_strip = 1;
    } else if (inverted && P->tok.type == TK_OPEN_INVERSE_CHAIN) {
        rc = perr(P, RS_ESYNTAX, P->tok.start,
                  "{{else ...}} chains are not allowed in an inverted section {{^%s}}",
                  n->call.name);
        goto done;
    }
    if ((rc = parse_close(P, n, inverted, &n->close_strip)))
        goto done;
    n->has_close_strip = 1;
    if (is_chain) {
        alt->nodes[0].close_strip = n->close_strip;
        alt->nodes[0].has_close_strip = 1;
    }
    if (inverted) {
        n->program = alt;
        n->inverse = body;
    } else {
        n->program = body;
        n->inverse = alt;
    }
done:
    P->depth--;
    return rc;
}

/* {{#> name ctx k=v}}fallback{{/name}}: the partial with @partial-block, or the fallback. As in
 * the reference, a name used only this way is not asked of the resolver. */
static int parse_partial_block(parser *P, hbs_node *n)
{
    hbs_token open = P->tok;
    int rc;
    if (++P->depth > P->max_depth) {
        rc = perr(P, RS_ELIMIT, open.start, "blocks nested deeper than %d levels", P->max_depth);
        goto done;
    }
    if ((rc = advance(P)))
        goto done;
    if (P->tok.type == TK_OPEN_SEXPR) {
        rc = perr(P, RS_EUNSUPPORTED, P->tok.start,
                  "dynamic partial names ({{#> (expr)}}) are not supported");
        goto done;
    }
    hbs_expr head;
    if ((rc = parse_helper_name(P, &head)))
        goto done;
    if (head.kind == EX_LITERAL && (rc = literal_to_path(P, &head, NULL, 0)))
        goto done;
    int has_hash;
    if ((rc = parse_args(P, &n->call, &has_hash)))
        goto done;
    if (P->tok.type != TK_CLOSE) {
        rc = unexpected(P, "'}}'");
        goto done;
    }
    if (n->call.nparams > 1) {
        rc = perr(P, RS_ESYNTAX, open.start,
                  "a partial takes at most one context argument, found %u", n->call.nparams);
        goto done;
    }
    if ((rc = check_call_args(P, &n->call)))
        goto done;
    n->kind = ND_PARTIAL_BLOCK;
    n->off = (uint32_t)open.start;
    n->call.name = head.u.path.orig;
    n->call.off = (uint32_t)open.start;
    n->open_strip = strip_flags(P, &open, &P->tok);
    int32_t idx;
    if ((rc = partial_index(P, head.u.path.orig, 0, &idx)))
        goto done;
    n->partial = idx;
    if ((rc = advance(P)) || (rc = parse_program(P, &n->program)))
        goto done;
    if (P->tok.type == TK_INVERSE || P->tok.type == TK_OPEN_INVERSE_CHAIN) {
        rc = perr(P, RS_ESYNTAX, P->tok.start, "a partial block cannot have an {{else}}");
        goto done;
    }
    if ((rc = parse_close(P, n, 0, &n->close_strip)))
        goto done;
    n->has_close_strip = 1;
done:
    P->depth--;
    return rc;
}

static int parse_program(parser *P, hbs_program **out)
{
    size_t base = P->scratch_len; /* this program's nodes are scratch[base..] */
    int rc = 0;
    for (;;) {
        hbs_tok_type t = P->tok.type;
        if (t == TK_EOF || t == TK_INVERSE || t == TK_OPEN_INVERSE_CHAIN || t == TK_OPEN_ENDBLOCK)
            break;
        /* built here, pushed when done: the nested programs it holds push nodes meanwhile */
        hbs_node node, *n = &node;
        memset(n, 0, sizeof *n);
        n->partial = -1;
        n->call.builtin = BI_NONE;
        switch (t) {
        case TK_CONTENT:
            n->kind = ND_CONTENT;
            n->off = (uint32_t)P->tok.start;
            n->text = P->tok.text;
            n->olen = P->tok.len;
            n->vstart = 0;
            n->vend = P->tok.len;
            rc = advance(P);
            break;
        case TK_COMMENT:
            n->kind = ND_COMMENT;
            n->off = (uint32_t)P->tok.start;
            n->strip = strip_flags(P, &P->tok, &P->tok);
            rc = advance(P);
            break;
        case TK_OPEN:
        case TK_OPEN_UNESCAPED:
            rc = parse_mustache(P, n);
            break;
        case TK_OPEN_BLOCK:
            rc = parse_block(P, n, 0);
            break;
        case TK_OPEN_INVERSE:
            rc = parse_block(P, n, 1);
            break;
        case TK_OPEN_PARTIAL:
            rc = parse_partial(P, n);
            break;
        case TK_OPEN_PARTIAL_BLOCK:
            rc = parse_partial_block(P, n);
            break;
        case TK_OPEN_RAW_BLOCK:
            rc = perr(P, RS_EUNSUPPORTED, P->tok.start,
                      "raw blocks ({{{{name}}}}) are not supported");
            break;
        default:
            rc = unexpected(P, "text or a tag");
            break;
        }
        if (rc || (rc = push_node(P, n)))
            goto done;
    }
    size_t count = P->scratch_len - base;
    hbs_program *p = rs_arena_alloc(P->tpl->arena, sizeof *p);
    hbs_node *nodes = count ? rs_arena_alloc(P->tpl->arena, count * sizeof *nodes) : NULL;
    if (!p || (count && !nodes)) {
        rc = oom(P);
        goto done;
    }
    memset(p, 0, sizeof *p);
    if (count)
        memcpy(nodes, P->scratch + base, count * sizeof *nodes);
    p->nodes = nodes;
    p->n = (uint32_t)count;
    *out = p;
done:
    P->scratch_len = base;
    return rc;
}

/* Drop comments and emptied text, move inline partials to the program's list; recurse. */
static int compact(parser *P, hbs_program *p)
{
    if (!p)
        return 0;
    uint32_t o = 0, ninl = 0;
    for (uint32_t i = 0; i < p->n; i++)
        ninl += p->nodes[i].kind == ND_INLINE;
    hbs_inline *inl = NULL;
    if (ninl && !(inl = rs_arena_calloc(P->tpl->arena, ninl, sizeof *inl)))
        return oom(P);
    p->inlines = inl;
    for (uint32_t i = 0; i < p->n; i++) {
        hbs_node *n = &p->nodes[i];
        if (n->kind == ND_COMMENT)
            continue;
        if (n->kind == ND_INLINE) {
            int rc = compact(P, n->program);
            if (rc)
                return rc;
            inl[p->ninlines].name = n->call.params[0].u.lit->valuestring;
            inl[p->ninlines].program = n->program;
            inl[p->ninlines].unit = P->unit_index;
            p->ninlines++;
            continue;
        }
        if (n->kind == ND_CONTENT) {
            if (n->vend <= n->vstart)
                continue;
            n->text += n->vstart;
            n->olen = n->vend - n->vstart;
            n->vstart = 0;
            n->vend = n->olen;
        }
        if (n->kind == ND_BLOCK || n->kind == ND_SECTION || n->kind == ND_PARTIAL_BLOCK) {
            int rc = compact(P, n->program);
            if (!rc)
                rc = compact(P, n->inverse);
            if (rc)
                return rc;
        }
        if (o != i)
            p->nodes[o] = *n;
        o++;
    }
    p->n = o;
    return 0;
}

int hbs_parse_unit(rs_hbs_template *tpl, hbs_unit *unit, int32_t unit_index,
                   const rs_hbs_options *opts, rs_error *err)
{
    parser P;
    memset(&P, 0, sizeof P);
    P.tpl = tpl;
    P.unit = unit;
    P.unit_index = unit_index;
    P.err = err;
    P.max_depth = tpl->max_depth;
    (void)opts;
    hbs_node local[SCRATCH_LOCAL];
    P.scratch = P.scratch_local = local;
    P.scratch_cap = SCRATCH_LOCAL;
    hbs_lexer_init(&P.lx, unit->src, unit->len, tpl->arena);
    int rc = advance(&P);
    hbs_program *prog = NULL;
    if (!rc)
        rc = parse_program(&P, &prog);
    if (P.scratch != P.scratch_local)
        rs_free(P.scratch);
    if (rc)
        return rc;
    if (P.tok.type != TK_EOF) {
        if (P.tok.type == TK_INVERSE || P.tok.type == TK_OPEN_INVERSE_CHAIN)
            return perr(&P, RS_ESYNTAX, P.tok.start, "{{else}} outside a block");
        /* a close without an open */
        size_t at = P.tok.start;
        if ((rc = advance(&P)))
            return rc;
        hbs_expr name;
        if (parse_helper_name(&P, &name) == 0 && name.kind == EX_PATH)
            return perr(&P, RS_ESYNTAX, at, "{{/%s}} closes a block that was never opened",
                        name.u.path.orig);
        return perr(&P, RS_ESYNTAX, at, "a closing tag without a block");
    }
    hbs_whitespace_control(prog);
    if ((rc = compact(&P, prog)))
        return rc;
    unit->program = prog;
    return 0;
}
