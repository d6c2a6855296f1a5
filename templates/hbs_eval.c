/*
 * templates/hbs_eval.c - rendering a compiled template.
 *
 * The AST is walked directly. Contexts, @data frames and block parameters live in small structs
 * on the C stack, linked to their parents, so rendering allocates nothing for text, lookups or
 * iteration; the per-render arena only holds synthesized values (a string's length, a helper's
 * output used as an argument, a partial's merged context). The output limit is enforced by the
 * string builder itself (its max is lowered for the render and restored after).
 */
#include "templates/hbs_internal.h"

#include "util/alloc.h"
#include "util/jsnum.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int run_program(rs_str *out, hbs_state *st, const hbs_program *p, const hbs_scope *sc,
                       hbs_val *res);

/* Put the location of byte `off` of the scope's unit on err, unless it already has one. */
static void locate(hbs_state *st, const hbs_unit *unit, size_t off)
{
    rs_error *err = st->err;
    if (!err || err->line)
        return;
    int line, col;
    rs_location_of(unit->src, unit->len, off, &line, &col);
    err->line = line;
    err->column = col;
    rs_error_set_file(err, unit->name ? unit->name : (st->tpl->filename ? st->tpl->filename : ""));
    rs_error_set_snippet(err, unit->src, unit->len, line);
}

static int fail_at(hbs_state *st, const hbs_unit *unit, size_t off, int code, const char *fmt, ...)
    RS_PRINTF(5, 6);
static int fail_at(hbs_state *st, const hbs_unit *unit, size_t off, int code, const char *fmt, ...)
{
    char msg[RS_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        msg[0] = '\0';
    return hbs_error_at(st->err, code, st->tpl, unit, off, "%s", msg);
}

static int oom(hbs_state *st)
{
    return rs_error_set(st->err, RS_ENOMEM, "out of memory rendering a template");
}

int hbs_call_error(const rs_hbs_call *c, int code, const char *fmt, ...)
{
    char msg[RS_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        msg[0] = '\0';
    return hbs_error_at(c->st->err, code, c->st->tpl, c->scope->unit, c->call->off, "%s", msg);
}

/* cJSON_IsNull without the call into the library: these run for every lookup and block. */
static inline int is_null(const cJSON *v)
{
    return (v->type & 0xFF) == cJSON_NULL;
}

/* ---- lookups ---- */

/* hbs_lookup with an object's member, the common case, found without the call. */
static inline const cJSON *lookup_seg(hbs_state *st, const cJSON *v, const hbs_seg *seg,
                                      int *oom_flag)
{
    if (v && (v->type & 0xFF) == cJSON_Object)
        return hbs_member(v, seg->s, seg->len);
    return hbs_lookup(v, seg->s, seg->len, &st->arena, oom_flag);
}

/* An iteration variable (@index @key @first @last) of an each's frame f, or NULL. */
static inline const cJSON *iter_var(const hbs_data_frame *f, const char *key, size_t n)
{
    switch (n) {
    case 5:
        return !memcmp(key, "index", 5) ? &f->index : !memcmp(key, "first", 5) ? &f->first : NULL;
    case 3:
        return !memcmp(key, "key", 3) ? &f->key : NULL;
    case 4:
        return !memcmp(key, "last", 4) ? &f->last : NULL;
    default:
        return NULL;
    }
}

/* A @data variable: iteration variables from the nearest each, then the render's data, then root.
 */
static const cJSON *data_lookup(const hbs_data_frame *f, const char *key, size_t n, hbs_state *st,
                                int *oom_flag)
{
    for (; f; f = f->parent) {
        const cJSON *v;
        if (f->has_iter && (v = iter_var(f, key, n)) != NULL)
            return v;
        if (!f->parent) {
            v = hbs_lookup(f->user, key, n, &st->arena, oom_flag);
            if (!v && n == 4 && !memcmp(key, "root", 4))
                v = f->root;
            return v;
        }
    }
    return NULL;
}

static const cJSON *resolve_any(hbs_state *st, const hbs_path *p, const hbs_scope *sc,
                                int *oom_flag);

/* A path's value. Inline for the common cases, a plain path from `this` (name, name.sub) and an
 * each's @index/@first/...: most of a render's lookups, where a call would cost as much as the
 * lookup. */
static inline const cJSON *resolve(hbs_state *st, const hbs_path *p, const hbs_scope *sc,
                                   int *oom_flag)
{
    if (p->data && !p->depth && p->nparts == 1 && sc->data && sc->data->has_iter) {
        const cJSON *v = iter_var(sc->data, p->parts[0].s, p->parts[0].len);
        if (v)
            return v;
    }
    if (p->data || p->bp_up >= 0 || p->depth || !sc->ctx)
        return resolve_any(st, p, sc, oom_flag);
    const cJSON *v = sc->ctx->v;
    for (uint16_t i = 0; i < p->nparts; i++) {
        if (i && (!v || is_null(v)))
            return v;
        v = lookup_seg(st, v, &p->parts[i], oom_flag);
    }
    return v;
}

static const cJSON *resolve_any(hbs_state *st, const hbs_path *p, const hbs_scope *sc,
                                int *oom_flag)
{
    const cJSON *v;
    uint16_t i = 0;
    if (p->data) {
        const hbs_data_frame *f = sc->data;
        uint16_t d = 0;
        for (; d < p->depth && f && f->parent; d++)
            f = f->parent;
        if (!f || p->nparts == 0)
            return NULL;
        if (d < p->depth) {
            /* Handlebars' root frame is createFrame(data): one step above it is the render's
             * data object itself (without @root); further up there is nothing. */
            if (p->depth - d > 1)
                return NULL;
            v = hbs_lookup(f->user, p->parts[0].s, p->parts[0].len, &st->arena, oom_flag);
        } else {
            v = data_lookup(f, p->parts[0].s, p->parts[0].len, st, oom_flag);
        }
        i = 1;
    } else if (p->bp_up >= 0) {
        const hbs_bp_frame *b = sc->bp;
        for (int16_t d = 0; d < p->bp_up && b; d++)
            b = b->up;
        v = b && p->bp_index < (int16_t)b->n ? b->vals[p->bp_index] : NULL;
        i = 1;
    } else {
        const hbs_ctx_frame *f = sc->ctx;
        if (p->depth && f && f->transparent)
            f = f->up;
        for (uint16_t d = 0; d < p->depth && f; d++)
            f = f->up;
        v = f ? f->v : NULL;
        if (p->nparts == 0)
            return v;
        v = lookup_seg(st, v, &p->parts[0], oom_flag);
        i = 1;
    }
    for (; i < p->nparts; i++) {
        if (!v || is_null(v))
            return v;
        v = lookup_seg(st, v, &p->parts[i], oom_flag);
    }
    return v;
}

/* ---- calls ---- */

static int eval_expr(rs_str *out, hbs_state *st, const hbs_expr *e, const hbs_scope *sc,
                     const cJSON **val);

#define INLINE_ARGS 8

typedef struct call_frame {
    rs_hbs_call c;
    const cJSON *args_buf[INLINE_ARGS];
    const cJSON *hash_buf[INLINE_ARGS];
} call_frame;

static inline int setup_call(call_frame *cf, rs_str *out, hbs_state *st, const hbs_call *call,
                             const hbs_scope *sc, const hbs_node *node)
{
    rs_hbs_call *c = &cf->c;
    c->fn = c->inverse = NULL;
    c->is_block = 0;
    c->st = st;
    c->call = call;
    c->scope = sc;
    c->node = node;
    c->args = cf->args_buf;
    c->hash = cf->hash_buf;
    if (call->nparams > INLINE_ARGS &&
        !(c->args = rs_arena_alloc(&st->arena, call->nparams * sizeof(cJSON *))))
        return oom(st);
    if (call->nhash > INLINE_ARGS &&
        !(c->hash = rs_arena_alloc(&st->arena, call->nhash * sizeof(cJSON *))))
        return oom(st);
    for (uint32_t i = 0; i < call->nparams; i++) {
        int rc = eval_expr(out, st, &call->params[i], sc, &c->args[i]);
        if (rc)
            return rc;
    }
    for (uint32_t i = 0; i < call->nhash; i++) {
        int rc = eval_expr(out, st, &call->hash_vals[i], sc, &c->hash[i]);
        if (rc)
            return rc;
    }
    return 0;
}

/* Call a registered helper; its error gets the call's location when it has none. */
static int call_helper(rs_str *out, rs_hbs_call *c)
{
    hbs_state *st = c->st;
    int rc = c->call->helper->fn(out, c, c->call->helper->userdata, st->err);
    if (rc) {
        if (st->err && st->err->code == 0)
            rs_error_set(st->err, rc, "helper '%s' failed", c->call->name);
        locate(st, c->scope->unit, c->call->off);
    }
    return rc;
}

/* A subexpression's value: built-ins give values, registered helpers give their output as a string.
 */
static int eval_sub(rs_str *out, hbs_state *st, const hbs_call *call, const hbs_scope *sc,
                    const cJSON **val)
{
    call_frame cf;
    int rc;
    if (++st->depth > st->tpl->max_depth) {
        rc = fail_at(st, sc->unit, call->off, RS_ELIMIT,
                     "subexpressions nested deeper than %d levels", st->tpl->max_depth);
        goto done;
    }
    if ((rc = setup_call(&cf, out, st, call, sc, NULL)))
        goto done;
    if (call->builtin != BI_NONE) {
        rc = hbs_builtin_value(val, &cf.c, out);
        goto done;
    }
    size_t start = out->len;
    if ((rc = call_helper(out, &cf.c)))
        goto done;
    if ((rc = rs_str_error(out))) {
        rc = rs_str_report(out, st->err, "the rendered output");
        goto done;
    }
    cJSON *s = hbs_new_string(&st->arena, out->ptr ? out->ptr + start : "", out->len - start);
    out->len = start;
    if (out->ptr)
        out->ptr[start] = '\0';
    if (!s) {
        rc = oom(st);
        goto done;
    }
    *val = s;
done:
    st->depth--;
    return rc;
}

static int eval_expr(rs_str *out, hbs_state *st, const hbs_expr *e, const hbs_scope *sc,
                     const cJSON **val)
{
    int oom_flag = 0;
    switch (e->kind) {
    case EX_LITERAL:
        *val = e->u.lit;
        return 0;
    case EX_PATH:
        *val = resolve(st, &e->u.path, sc, &oom_flag);
        return oom_flag ? oom(st) : 0;
    default:
        return eval_sub(out, st, e->u.sub, sc, val);
    }
}

/* JavaScript's `context != depths[0]` for the values a template can hold. */
static int same_value(const cJSON *a, const cJSON *b)
{
    if (a == b)
        return 1;
    int an = !a || is_null(a), bn = !b || is_null(b);
    if (an || bn)
        return an && bn;
    if ((a->type & 0xFF) != (b->type & 0xFF))
        return 0;
    switch (a->type & 0xFF) {
    case cJSON_Number:
        return a->valuedouble == b->valuedouble;
    case cJSON_String:
        return strcmp(a->valuestring, b->valuestring) == 0;
    case cJSON_True:
    case cJSON_False:
        return 1;
    default:
        return 0;
    }
}

/* How a program ended: an output failure (over the limit, out of memory) is named on the error. */
static int program_result(hbs_state *st, const rs_str *out, int rc)
{
    if (!rc && out->error)
        rc = out->error;
    if (rc && rc == out->error && st->err && st->err->code == 0) {
        if (rc == RS_ELIMIT)
            rs_error_set(st->err, rc, "the rendered output exceeds the limit of %zu bytes",
                         st->tpl->max_output);
        else
            rs_error_set(st->err, rc, "out of memory rendering a template");
    }
    return rc;
}

int hbs_run_with(rs_str *out, hbs_state *st, const hbs_program *p, const hbs_scope *sc,
                 const cJSON *ctx, const hbs_data_frame *data, const hbs_bp_frame *bp, hbs_val *res)
{
    if (res)
        res->kind = HV_STR;
    if (!p || p->n == 0)
        return 0;
    if (st->depth + 1 > st->tpl->max_depth)
        return rs_error_set(st->err, RS_ELIMIT, "blocks nested deeper than %d levels",
                            st->tpl->max_depth);
    if (p->n == 1 && p->nodes[0].kind == ND_CONTENT) {
        /* one piece of text (a block's ", " or a sentence): no context to set up for it */
        return program_result(st, out, hbs_put(out, p->nodes[0].text, p->nodes[0].olen));
    }
    st->depth++;
    hbs_ctx_frame f;
    hbs_scope s = *sc;
    /* wrapProgram: a new depth when the context differs from depths[0]; nullContext standing
     * in for a null depths[0] becomes `this` without being a depth */
    const hbs_ctx_frame *d0 = sc->ctx && sc->ctx->transparent ? sc->ctx->up : sc->ctx;
    if (!d0 ||
        (!same_value(ctx, d0->v) && !(ctx == &hbs_null_context && d0->v && is_null(d0->v)))) {
        f.v = ctx;
        f.up = d0;
        f.transparent = 0;
        s.ctx = &f;
    } else if (ctx == &hbs_null_context && !same_value(ctx, d0->v)) {
        f.v = ctx;
        f.up = d0;
        f.transparent = 1;
        s.ctx = &f;
    } else {
        s.ctx = d0;
    }
    s.data = data;
    s.bp = bp;
    int rc = run_program(out, st, p, &s, res);
    st->depth--;
    return rc;
}


/* ---- partials ---- */

/* Append a copy of `v` under `key` (a new node in the arena) to the list ending at *last. */
static cJSON *append_member(hbs_state *st, cJSON *obj, cJSON **last, const cJSON *v, char *key)
{
    cJSON *copy = rs_arena_alloc(&st->arena, sizeof(cJSON));
    if (!copy)
        return NULL;
    if (v) {
        *copy = *v;
    } else {
        memset(copy, 0, sizeof *copy);
        copy->type = cJSON_Invalid; /* a key whose value is undefined */
    }
    copy->type &= ~cJSON_StringIsConst;
    copy->string = key;
    copy->next = NULL;
    copy->prev = *last;
    if (*last)
        (*last)->next = copy;
    else
        obj->child = copy;
    *last = copy;
    return copy;
}

/*
 * extend({}, context, hash): a new object with the context's own enumerable properties (an
 * array's or a string's indexes too), then the hash's, a hash key replacing the context's value
 * in place. Undefined hash values still create their key, as in JavaScript.
 */
static int merge_context(hbs_state *st, rs_hbs_call *c, const cJSON *ctx, const cJSON **out)
{
    cJSON *obj = rs_arena_calloc(&st->arena, 1, sizeof(cJSON));
    cJSON *last = NULL;
    if (!obj)
        return oom(st);
    obj->type = cJSON_Object;
    int t = ctx ? ctx->type & 0xFF : cJSON_Invalid;
    if (t == cJSON_Object || t == cJSON_Array) {
        size_t i = 0;
        for (const cJSON *ch = ctx->child; ch; ch = ch->next, i++) {
            char *key = ch->string;
            if (t == cJSON_Array) {
                char num[24];
                int n = snprintf(num, sizeof num, "%zu", i);
                if (n < 0 || !(key = rs_arena_strndup(&st->arena, num, (size_t)n)))
                    return oom(st);
            }
            if (!append_member(st, obj, &last, (ch->type & 0xFF) == cJSON_Invalid ? NULL : ch, key))
                return oom(st);
        }
    } else if (t == cJSON_String && ctx->valuestring) {
        /* a string's indexes: one key per UTF-16 code unit */
        int oom_flag = 0;
        const cJSON *len = hbs_lookup(ctx, "length", 6, &st->arena, &oom_flag);
        size_t n = len ? (size_t)len->valuedouble : 0;
        for (size_t i = 0; i < n && !oom_flag; i++) {
            char num[24];
            int k = snprintf(num, sizeof num, "%zu", i);
            char *key = k > 0 ? rs_arena_strndup(&st->arena, num, (size_t)k) : NULL;
            const cJSON *ch = key ? hbs_lookup(ctx, key, (size_t)k, &st->arena, &oom_flag) : NULL;
            if (!key || oom_flag || !append_member(st, obj, &last, ch, key))
                return oom(st);
        }
    }
    for (uint32_t h = 0; h < c->call->nhash; h++) {
        const hbs_seg *k = &c->call->hash_keys[h];
        const cJSON *v = c->hash[h];
        cJSON *slot = NULL;
        const hbs_expr *e = &c->call->hash_vals[h];
        if (e->kind == EX_LITERAL && !e->u.lit)
            continue; /* Handlebars leaves k=undefined out of the hash object */
        for (cJSON *ch = obj->child; ch; ch = ch->next) {
            if (ch->string && hbs_key_eq(ch->string, k->s, k->len)) {
                slot = ch;
                break;
            }
        }
        char *key = rs_arena_strndup(&st->arena, k->s, k->len);
        if (!key)
            return oom(st);
        if (!slot) {
            if (!append_member(st, obj, &last, v, key))
                return oom(st);
            continue;
        }
        cJSON *next = slot->next, *prev = slot->prev;
        if (v) {
            *slot = *v;
            slot->type &= ~cJSON_StringIsConst;
        } else {
            memset(slot, 0, sizeof *slot);
            slot->type = cJSON_Invalid;
        }
        slot->string = key;
        slot->next = next;
        slot->prev = prev;
    }
    if (obj->child)
        obj->child->prev = last;
    *out = obj;
    return 0;
}

/* Prefix every line of out[start..] with indent, except an empty last line (Handlebars). */
static int indent_output(rs_str *out, hbs_state *st, size_t start, const char *indent, size_t ilen)
{
    size_t n = out->len - start;
    if (n == 0)
        return 0;
    char *copy = rs_arena_alloc(&st->arena, n);
    if (!copy)
        return oom(st);
    memcpy(copy, out->ptr + start, n);
    out->len = start;
    out->ptr[start] = '\0';
    size_t line = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || copy[i] == '\n') {
            if (i == n && line == n)
                break; /* the empty text after a final newline */
            rs_str_append(out, indent, ilen);
            rs_str_append(out, copy + line, i - line + (i < n));
            line = i + 1;
        }
    }
    return 0;
}

/* The unit a compiled piece of template belongs to (-1: the main template). */
static const hbs_unit *unit_at(const rs_hbs_template *tpl, int32_t index)
{
    return index < 0 ? &tpl->main : &RS_VEC_AT(&tpl->partials, hbs_unit, index);
}

/* A partial by name: inline partials in effect first (the innermost, the last defined), then the
 * template's partials. NULL when neither has it. */
static const hbs_program *find_partial(hbs_state *st, int32_t index, const hbs_unit **unit,
                                       const hbs_scope **defined_in)
{
    const hbs_unit *u = &RS_VEC_AT(&st->tpl->partials, hbs_unit, index);
    for (const hbs_inline_scope *is = st->inlines; is; is = is->up) {
        for (uint32_t i = is->program->ninlines; i-- > 0;) {
            const hbs_inline *in = &is->program->inlines[i];
            if (strcmp(in->name, u->name) == 0) {
                *unit = unit_at(st->tpl, in->unit);
                *defined_in = is->scope;
                return in->program;
            }
        }
    }
    *unit = u;
    *defined_in = NULL;
    return u->found ? u->program : NULL;
}

/* Run a partial's program with ctx: a template partial starts a new ../ chain; an inline
 * partial continues the chain of the program that defined it (it is that program's block). */
static int run_as_partial(rs_str *out, hbs_state *st, const hbs_program *prog, const hbs_unit *unit,
                          const hbs_scope *defined_in, const cJSON *ctx, const hbs_data_frame *data)
{
    if (defined_in)
        return hbs_run_with(out, st, prog, defined_in, ctx, data, NULL, NULL);
    hbs_ctx_frame f = {ctx, NULL, 0};
    hbs_scope ps = {&f, data, NULL, unit};
    return run_program(out, st, prog, &ps, NULL);
}

/* The @partial-block in effect at data frame f (NULL when none). */
static const hbs_pblock *find_pblock(const hbs_data_frame *f)
{
    for (; f; f = f->parent) {
        if (f->has_pblock)
            return f->pblock;
    }
    return NULL;
}

/* The context a partial gets: its argument or the current context, merged with its hash. */
static int partial_context(rs_str *out, hbs_state *st, const hbs_node *n, const hbs_scope *sc,
                           const cJSON **ctx)
{
    call_frame cf;
    int rc = setup_call(&cf, out, st, &n->call, sc, NULL);
    if (rc)
        return rc;
    *ctx = n->call.nparams ? cf.c.args[0] : sc->ctx->v;
    if (n->call.nhash)
        rc = merge_context(st, &cf.c, *ctx, ctx);
    return rc;
}

static int too_deep(hbs_state *st, const hbs_scope *sc, const hbs_node *n, const char *name)
{
    return fail_at(st, sc->unit, n->off, RS_ELIMIT,
                   "partial '%s' nested deeper than %d levels (does it include itself?)", name,
                   st->tpl->max_depth);
}

/* {{> @partial-block}}: the enclosing partial block's body, in the scope it was written in. */
static int run_partial_block_ref(rs_str *out, hbs_state *st, const hbs_node *n, const hbs_scope *sc,
                                 const cJSON *ctx)
{
    const hbs_pblock *pb = find_pblock(sc->data);
    if (!pb)
        return fail_at(st, sc->unit, n->off, RS_ENOTFOUND,
                       "partial '@partial-block' could not be found (not inside a partial block)");
    hbs_data_frame fr;
    memset(&fr, 0, sizeof fr);
    fr.parent = sc->data;
    fr.has_pblock = 1;
    fr.pblock = pb->outer;
    return hbs_run_with(out, st, pb->program, pb->scope, ctx, &fr, pb->scope->bp, NULL);
}

static int run_partial(rs_str *out, hbs_state *st, const hbs_node *n, const hbs_scope *sc)
{
    const hbs_unit *u = NULL;
    const hbs_scope *defined_in = NULL;
    const hbs_program *prog = NULL;
    const char *name = "@partial-block";
    if (n->partial != HBS_PARTIAL_BLOCK_REF) {
        prog = find_partial(st, n->partial, &u, &defined_in);
        name = RS_VEC_AT(&st->tpl->partials, hbs_unit, n->partial).name;
        if (!prog)
            return fail_at(st, sc->unit, n->off, RS_ENOTFOUND, "partial '%s' could not be found",
                           name);
    }
    if (st->depth + 1 > st->tpl->max_depth)
        return too_deep(st, sc, n, name);
    const cJSON *ctx = NULL;
    int rc = partial_context(out, st, n, sc, &ctx);
    if (rc)
        return rc;
    size_t start = out->len;
    st->depth++;
    if (!prog)
        rc = run_partial_block_ref(out, st, n, sc, ctx);
    else
        rc = run_as_partial(out, st, prog, u, defined_in, ctx, sc->data);
    st->depth--;
    if (!rc && n->indent_len)
        rc = indent_output(out, st, start, n->indent, n->indent_len);
    return rc;
}

/* {{#> name}}fallback{{/name}}: the partial with @partial-block set to the fallback, or, when
 * there is no such partial, the fallback itself (Handlebars' invokePartial). */
static int run_partial_block(rs_str *out, hbs_state *st, const hbs_node *n, const hbs_scope *sc)
{
    const hbs_unit *u = NULL;
    const hbs_scope *defined_in = NULL;
    const hbs_program *prog = find_partial(st, n->partial, &u, &defined_in);
    if (st->depth + 1 > st->tpl->max_depth)
        return too_deep(st, sc, n, n->call.name);
    const cJSON *ctx = NULL;
    int rc = partial_context(out, st, n, sc, &ctx);
    if (rc)
        return rc;
    hbs_pblock blk = {n->program, sc, find_pblock(sc->data)};
    hbs_data_frame fr;
    memset(&fr, 0, sizeof fr);
    fr.parent = sc->data;
    fr.has_pblock = 1;
    fr.pblock = &blk;
    st->depth++;
    if (prog) {
        rc = run_as_partial(out, st, prog, u, defined_in, ctx, &fr);
    } else {
        hbs_data_frame inner;
        memset(&inner, 0, sizeof inner);
        inner.parent = &fr;
        inner.has_pblock = 1;
        inner.pblock = blk.outer;
        rc = hbs_run_with(out, st, n->program, sc, ctx, &inner, sc->bp, NULL);
    }
    st->depth--;
    return rc;
}

/* ---- the walk ---- */

int hbs_val_print(rs_str *out, const hbs_val *v)
{
    if (v->kind == HV_BOOL)
        return v->b ? rs_str_put(out, "true", 4) : rs_str_put(out, "false", 5);
    if (v->kind == HV_NUM) {
        char buf[RS_JSNUM_MAX];
        size_t n = hbs_format_number(v->num, buf);
        return rs_str_put(out, buf, n);
    }
    return rs_str_error(out);
}

int hbs_emit_value(rs_str *out, const cJSON *v, int escape, hbs_val *res)
{
    res->kind = HV_STR;
    if (!v)
        return 0;
    int t = v->type & 0xFF;
    if (!escape && t == cJSON_Number) {
        res->kind = HV_NUM;
        res->num = v->valuedouble;
        return 0;
    }
    if (!escape && (t == cJSON_True || t == cJSON_False)) {
        res->kind = HV_BOOL;
        res->b = t == cJSON_True;
        return 0;
    }
    if (!escape || (t != cJSON_String && t != cJSON_Raw && t != cJSON_Array))
        return rs_hbs_append_value(out, v);
    if (t != cJSON_Array)
        return v->valuestring ? rs_hbs_escape(out, v->valuestring, strlen(v->valuestring)) : 0;
    rs_str tmp = RS_STR_INIT;
    rs_hbs_append_value(&tmp, v);
    int rc = rs_str_error(&tmp);
    if (rc)
        out->error = rc;
    else
        rc = rs_hbs_escape(out, rs_str_cstr(&tmp), tmp.len);
    rs_str_free(&tmp);
    return rc;
}

/* Put String(pending) in front of what was written from `mark` on. */
static void insert_pending(rs_str *out, size_t mark, const hbs_val *pend)
{
    size_t before = out->len;
    hbs_val_print(out, pend);
    if (out->error)
        return;
    size_t k = out->len - before;
    char tmp[RS_JSNUM_MAX + 8];
    memcpy(tmp, out->ptr + before, k);
    memmove(out->ptr + mark + k, out->ptr + mark, before - mark);
    memcpy(out->ptr + mark, tmp, k);
}

static double to_number(const hbs_val *v)
{
    return v->kind == HV_BOOL ? (double)v->b : v->num;
}

static int exec_node(rs_str *out, hbs_state *st, const hbs_node *n, const hbs_scope *sc, hbs_val *r)
{
    int rc = 0;
    r->kind = HV_STR;
    switch (n->kind) {
    case ND_CONTENT:
        return hbs_put(out, n->text, n->olen);
    case ND_VALUE: {
        int oom_flag = 0;
        const cJSON *v = resolve(st, &n->path, sc, &oom_flag);
        if (oom_flag)
            return oom(st);
        return hbs_emit_value(out, v, n->escape, r);
    }
    case ND_CALL: {
        call_frame cf;
        if ((rc = setup_call(&cf, out, st, &n->call, sc, n)))
            return rc;
        if (n->call.builtin == BI_NONE)
            return call_helper(out, &cf.c);
        const cJSON *v = NULL;
        if ((rc = hbs_builtin_value(&v, &cf.c, out)))
            return rc;
        return hbs_emit_value(out, v, n->escape, r);
    }
    case ND_BLOCK: {
        call_frame cf;
        if ((rc = setup_call(&cf, out, st, &n->call, sc, n)))
            return rc;
        cf.c.fn = n->program;
        cf.c.inverse = n->inverse;
        cf.c.is_block = 1;
        return n->call.builtin == BI_NONE ? call_helper(out, &cf.c)
                                          : hbs_builtin_block(out, &cf.c, r);
    }
    case ND_SECTION: {
        int oom_flag = 0;
        const cJSON *v = resolve(st, &n->path, sc, &oom_flag);
        if (oom_flag)
            return oom(st);
        call_frame cf;
        memset(&cf.c, 0, sizeof cf.c);
        cf.c.st = st;
        cf.c.call = &n->call;
        cf.c.scope = sc;
        cf.c.node = n;
        cf.c.fn = n->program;
        cf.c.inverse = n->inverse;
        cf.c.is_block = 1;
        return hbs_section(out, &cf.c, v, r);
    }
    case ND_PARTIAL:
        return run_partial(out, st, n, sc);
    case ND_PARTIAL_BLOCK:
        return run_partial_block(out, st, n, sc);
    default:
        return 0;
    }
}

static int run_program(rs_str *out, hbs_state *st, const hbs_program *p, const hbs_scope *sc,
                       hbs_val *res)
{
    int rc = 0;
    enum { EMPTY, PENDING, STRING } mode = EMPTY;
    hbs_val pend = {HV_STR, 0, 0};
    const hbs_inline_scope *saved = st->inlines;
    hbs_inline_scope is = {p, sc, saved};
    if (p->ninlines)
        st->inlines = &is; /* this program's inline partials, while it runs */
    const hbs_node *end = p->n ? p->nodes + p->n : p->nodes; /* nodes is NULL when empty */
    for (const hbs_node *n = p->nodes; n != end && !rc; n++) {
        /* the common cases inline: text, and a plain {{path}} holding a string */
        if (n->kind == ND_CONTENT) {
            if (mode == PENDING)
                hbs_val_print(out, &pend);
            mode = STRING;
            if (hbs_put(out, n->text, n->olen))
                rc = out->error;
            continue;
        }
        size_t mark = out->len;
        hbs_val r;
        if (n->kind == ND_VALUE) {
            int oom_flag = 0;
            const cJSON *v = resolve(st, &n->path, sc, &oom_flag);
            if (oom_flag) {
                rc = oom(st);
                break;
            }
            if (v && (v->type & 0xFF) == cJSON_String && v->valuestring && !n->escape &&
                mode != PENDING) {
                mode = STRING;
                if (hbs_put(out, v->valuestring, strlen(v->valuestring)))
                    rc = out->error;
                continue;
            }
            rc = hbs_emit_value(out, v, n->escape, &r);
        } else {
            rc = exec_node(out, st, n, sc, &r);
        }
        if (!rc && out->error)
            rc = out->error;
        if (rc)
            break;
        if (r.kind != HV_STR) {
            if (mode == EMPTY) {
                mode = PENDING;
                pend = r;
            } else if (mode == PENDING) {
                pend.num = to_number(&pend) + to_number(&r);
                pend.kind = HV_NUM;
            } else {
                hbs_val_print(out, &r);
            }
        } else if (mode == PENDING) {
            insert_pending(out, mark, &pend);
            mode = STRING;
        } else {
            mode = STRING;
        }
    }
    if (!rc && mode == PENDING) {
        if (res)
            *res = pend;
        else
            hbs_val_print(out, &pend);
    } else if (res) {
        res->kind = HV_STR;
    }
    st->inlines = saved;
    return program_result(st, out, rc);
}

int rs_hbs_render(rs_str *out, const rs_hbs_template *tpl, const cJSON *context, const cJSON *data,
                  rs_error *err)
{
    if (!out || !tpl)
        return rs_error_set(err, RS_EINVAL, "rs_hbs_render: no output or no template");
    if (out->error)
        return rs_error_set(err, out->error, "the output buffer already has an error");
    rs_error local; /* cleared only when used: a full clear costs more than a small render */
    if (!err) {
        rs_error init = RS_ERROR_INIT;
        local = init;
        err = &local;
    }
    /* every failure sets the error afresh; only what decides "already set" is reset here (a
     * full clear would cost more than a small render) */
    err->code = 0;
    err->line = 0;
    size_t entry_len = out->len, entry_max = out->max;
    if (tpl->max_output < entry_max && entry_len <= entry_max - tpl->max_output)
        out->max = entry_len + tpl->max_output;
    hbs_state st;
    st.tpl = tpl;
    st.depth = 0;
    st.err = err;
    st.inlines = NULL;
    rs_arena_init(&st.arena, 4096);
    hbs_data_frame root;
    memset(&root, 0, sizeof root);
    root.root = context;
    root.user = data;
    hbs_ctx_frame f = {context, NULL, 0};
    hbs_scope sc = {&f, &root, NULL, &tpl->main};
    int rc = run_program(out, &st, tpl->main.program, &sc, NULL);
    if (rc && out->error == RS_ELIMIT && rc != RS_ELIMIT && out->max < entry_max)
        rc = rs_error_set(err, RS_ELIMIT, "the rendered output exceeds the limit of %zu bytes",
                          tpl->max_output);
    out->max = entry_max;
    if (rc) {
        out->len = entry_len;
        if (out->ptr)
            out->ptr[entry_len] = '\0';
        out->error = 0;
    }
    rs_arena_free(&st.arena);
    return rc;
}

/* ---- the helper API ---- */

size_t rs_hbs_call_argc(const rs_hbs_call *call)
{
    return call->call->nparams;
}

const cJSON *rs_hbs_call_arg(const rs_hbs_call *call, size_t i)
{
    return i < call->call->nparams ? call->args[i] : NULL;
}

const cJSON *rs_hbs_call_hash(const rs_hbs_call *call, const char *key)
{
    if (call->call->nhash == 0)
        return NULL; /* most calls: no strlen */
    size_t n = strlen(key);
    for (uint32_t i = 0; i < call->call->nhash; i++) {
        const hbs_seg *k = &call->call->hash_keys[i];
        if (k->len == n && memcmp(k->s, key, n) == 0)
            return call->hash[i];
    }
    return NULL;
}

const cJSON *rs_hbs_call_context(const rs_hbs_call *call)
{
    return hbs_helper_this(call);
}

const cJSON *rs_hbs_call_data(const rs_hbs_call *call, const char *name)
{
    int oom_flag = 0;
    return data_lookup(call->scope->data, name, strlen(name), call->st, &oom_flag);
}

int rs_hbs_call_is_block(const rs_hbs_call *call)
{
    return call->is_block;
}

const char *rs_hbs_call_name(const rs_hbs_call *call)
{
    return call->call->name;
}

static int pass_error(rs_hbs_call *c, rs_error *err, int rc)
{
    if (rc && err && err != c->st->err)
        *err = *c->st->err;
    return rc;
}

int rs_hbs_call_fn(rs_str *out, const rs_hbs_call *call, const cJSON *context, rs_error *err)
{
    rs_hbs_call *c = (rs_hbs_call *)call;
    int rc = hbs_call_run_fn(out, c, context, c->scope->data, context, NULL, NULL);
    if (!rc && out->error)
        rc = rs_str_report(out, c->st->err, "the rendered output");
    return pass_error(c, err, rc);
}

int rs_hbs_call_inverse(rs_str *out, const rs_hbs_call *call, const cJSON *context, rs_error *err)
{
    rs_hbs_call *c = (rs_hbs_call *)call;
    int rc = hbs_call_run_inverse(out, c, context, NULL);
    if (!rc && out->error)
        rc = rs_str_report(out, c->st->err, "the rendered output");
    return pass_error(c, err, rc);
}
