/*
 * templates/hbs_whitespace.c - Handlebars' whitespace control, as whitespace-control.js does it:
 * ~ strips all white space on that side of a tag; a block, else, comment or partial tag alone on
 * its line (the Mustache "standalone" rule) takes the line's indentation and newline with it;
 * a standalone partial remembers the indentation to apply to its output.
 *
 * Text nodes keep their original text (the standalone tests look at it) and trim a window
 * [vstart, vend) of it, exactly as the JavaScript trims `value` and tests `original`.
 */
#include "templates/hbs_internal.h"

typedef struct ws_info {
    int has;
    int open, close;
    int open_standalone, close_standalone, inline_standalone;
} ws_info;

/* The original text's trailing white space contains a newline (or, at the root's first node,
 * the text is all white space). */
static int prev_ws(const hbs_program *p, long i, int is_root)
{
    if (i < 0)
        i = (long)p->n;
    if (i - 1 < 0)
        return is_root;
    const hbs_node *prev = &p->nodes[i - 1];
    int has_sibling = i - 2 >= 0;
    if (prev->kind != ND_CONTENT)
        return 0;
    const char *s = prev->text, *e = prev->text + prev->olen;
    int nl = 0;
    size_t k;
    while (e > s && (k = hbs_js_space_before(s, e)) > 0) {
        if (k == 1 && e[-1] == '\n')
            nl = 1;
        e -= k;
    }
    if (nl)
        return 1;
    return !has_sibling && is_root && e == s;
}

/* The original text's leading white space contains a newline (or, at the root's last node, the
 * text is all white space). */
static int next_ws(const hbs_program *p, long i, int is_root)
{
    long j = i + 1;
    if (j >= (long)p->n)
        return is_root;
    const hbs_node *next = &p->nodes[j];
    int has_sibling = j + 1 < (long)p->n;
    if (next->kind != ND_CONTENT)
        return 0;
    const char *s = next->text, *e = next->text + next->olen;
    size_t k;
    while (s < e && (k = hbs_js_space(s, e)) > 0) {
        if (k == 1 && *s == '\n')
            return 1;
        s += k;
    }
    return !has_sibling && is_root && s == e;
}

/* Trim the start of body[i+1] (or body[0] when i < 0). */
static void omit_right(hbs_program *p, long i, int multiple)
{
    long j = i < 0 ? 0 : i + 1;
    if (!p || j >= (long)p->n)
        return;
    hbs_node *c = &p->nodes[j];
    if (c->kind != ND_CONTENT || (!multiple && c->rstripped))
        return;
    size_t before = c->vstart;
    const char *e = c->text + c->vend;
    const char *s = c->text + c->vstart;
    if (multiple) {
        size_t k;
        while (s < e && (k = hbs_js_space(s, e)) > 0)
            s += k;
    } else {
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        if (s < e && *s == '\r')
            s++;
        if (s < e && *s == '\n')
            s++;
    }
    c->vstart = (size_t)(s - c->text);
    c->rstripped = c->vstart != before;
}

/* Trim the end of body[i-1] (or the last node when i < 0). Returns whether it changed. */
static int omit_left(hbs_program *p, long i, int multiple)
{
    if (!p)
        return 0;
    long j = i < 0 ? (long)p->n - 1 : i - 1;
    if (j < 0 || j >= (long)p->n)
        return 0;
    hbs_node *c = &p->nodes[j];
    if (c->kind != ND_CONTENT || (!multiple && c->lstripped))
        return 0;
    size_t before = c->vend;
    const char *s = c->text + c->vstart;
    const char *e = c->text + c->vend;
    if (multiple) {
        size_t k;
        while (e > s && (k = hbs_js_space_before(s, e)) > 0)
            e -= k;
    } else {
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
    }
    c->vend = (size_t)(e - c->text);
    c->lstripped = c->vend != before;
    return c->lstripped;
}

static ws_info ws_node(hbs_node *n);

static void ws_program(hbs_program *p, int is_root)
{
    if (!p)
        return;
    for (long i = 0; i < (long)p->n; i++) {
        hbs_node *cur = &p->nodes[i];
        ws_info s = ws_node(cur);
        if (!s.has)
            continue;
        /* a mustache ({{x}}, {{helper x}}) is never standalone: only ~ applies to it, and
         * most tags are mustaches */
        int any_sa = s.open_standalone || s.close_standalone || s.inline_standalone;
        int pw = any_sa && prev_ws(p, i, is_root), nw = any_sa && next_ws(p, i, is_root);
        int open_sa = s.open_standalone && pw;
        int close_sa = s.close_standalone && nw;
        int inline_sa = s.inline_standalone && pw && nw;
        if (s.close)
            omit_right(p, i, 1);
        if (s.open)
            omit_left(p, i, 1);
        if (inline_sa) {
            omit_right(p, i, 0);
            if (omit_left(p, i, 0) && cur->kind == ND_PARTIAL) {
                /* the partial's indent: the trailing spaces/tabs of the previous original */
                const hbs_node *prev = &p->nodes[i - 1];
                const char *e = prev->text + prev->olen, *b = e;
                while (b > prev->text && (b[-1] == ' ' || b[-1] == '\t'))
                    b--;
                cur->indent = b;
                cur->indent_len = (size_t)(e - b);
            }
        }
        if (open_sa) {
            omit_right(cur->program ? cur->program : cur->inverse, -1, 0);
            omit_left(p, i, 0);
        }
        if (close_sa) {
            omit_right(p, i, 0);
            omit_left(cur->inverse ? cur->inverse : cur->program, -1, 0);
        }
    }
}

static int prog_prev_ws(const hbs_program *p)
{
    return p ? prev_ws(p, -1, 0) : 0;
}

static int prog_next_ws(const hbs_program *p)
{
    return p ? next_ws(p, -1, 0) : 0;
}

static ws_info ws_node(hbs_node *n)
{
    ws_info s = {0, 0, 0, 0, 0, 0};
    switch (n->kind) {
    case ND_VALUE:
    case ND_CALL:
        s.has = 1;
        s.open = n->strip.open;
        s.close = n->strip.close;
        return s;
    case ND_PARTIAL:
    case ND_COMMENT:
        s.has = 1;
        s.inline_standalone = 1;
        s.open = n->strip.open;
        s.close = n->strip.close;
        return s;
    case ND_BLOCK:
    case ND_SECTION:
    case ND_PARTIAL_BLOCK:
    case ND_INLINE:
        break;
    default:
        return s;
    }
    if (!n->program && !n->inverse)
        return s;
    ws_program(n->program, 0);
    ws_program(n->inverse, 0);
    hbs_program *program = n->program ? n->program : n->inverse;
    hbs_program *inverse = n->program ? n->inverse : NULL;
    hbs_program *first_inv = inverse, *last_inv = inverse;
    if (inverse && inverse->chained) {
        first_inv = inverse->nodes[0].program;
        while (last_inv->chained)
            last_inv = last_inv->nodes[last_inv->n - 1].program;
    }
    s.has = 1;
    s.open = n->open_strip.open;
    s.close = n->has_close_strip && n->close_strip.close;
    s.open_standalone = prog_next_ws(program);
    s.close_standalone = prog_prev_ws(first_inv ? first_inv : program);
    if (n->open_strip.close)
        omit_right(program, -1, 1);
    if (inverse) {
        hbs_strip is = n->inverse_strip;
        if (is.open)
            omit_left(program, -1, 1);
        if (is.close)
            omit_right(first_inv, -1, 1);
        if (n->has_close_strip && n->close_strip.open)
            omit_left(last_inv, -1, 1);
        if (prog_prev_ws(program) && prog_next_ws(first_inv)) {
            omit_left(program, -1, 0);
            omit_right(first_inv, -1, 0);
        }
    } else if (n->has_close_strip && n->close_strip.open) {
        omit_left(program, -1, 1);
    }
    return s;
}

void hbs_whitespace_control(hbs_program *root)
{
    ws_program(root, 1);
}
