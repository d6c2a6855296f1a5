/*
 * templates/hbs_internal.h - the Handlebars engine's private types: tokens, the AST (which is also
 * the compiled form: programs are arrays of nodes walked directly at render time), and the
 * functions the engine's files share.
 *
 * Everything an AST points to lives in the template's arena or in the template's own copies of
 * the sources, so a compiled template is one arena plus a few buffers, freed at once.
 */
#ifndef RS_TEMPLATES_HBS_INTERNAL_H
#define RS_TEMPLATES_HBS_INTERNAL_H

#include "templates/hbs.h"
#include "util/arena.h"
#include "util/lazy.h"
#include "util/vec.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- lexer ---- */

typedef enum hbs_tok_type {
    TK_EOF,
    TK_CONTENT,
    TK_COMMENT,
    TK_OPEN,               /* {{  {{&  {{*  */
    TK_OPEN_UNESCAPED,     /* {{{ */
    TK_OPEN_BLOCK,         /* {{# */
    TK_OPEN_ENDBLOCK,      /* {{/ */
    TK_OPEN_INVERSE,       /* {{^ */
    TK_OPEN_INVERSE_CHAIN, /* {{else */
    TK_INVERSE,            /* {{else}} {{^}} */
    TK_OPEN_PARTIAL,       /* {{> */
    TK_OPEN_PARTIAL_BLOCK, /* {{#> */
    TK_OPEN_RAW_BLOCK,     /* {{{{ */
    TK_CLOSE_RAW_BLOCK,    /* }}}} */
    TK_OPEN_SEXPR,
    TK_CLOSE_SEXPR,
    TK_CLOSE,           /* }} */
    TK_CLOSE_UNESCAPED, /* }}} */
    TK_EQUALS,
    TK_ID,
    TK_SEP,
    TK_STRING,
    TK_NUMBER,
    TK_BOOLEAN,
    TK_UNDEFINED,
    TK_NULL,
    TK_DATA,
    TK_OPEN_BLOCK_PARAMS,
    TK_CLOSE_BLOCK_PARAMS,
    TK_INVALID
} hbs_tok_type;

typedef struct hbs_token {
    hbs_tok_type type;
    size_t start, end; /* the token's bytes in the source */
    const char *text;  /* processed text: ID without brackets, string contents unescaped */
    size_t len;
    int literal; /* ID written as [segment] */
    int error;   /* TK_INVALID: 1 unterminated comment, 2 unterminated string, 0 other */
} hbs_token;

typedef struct hbs_lexer {
    const char *src;
    size_t len;
    size_t pos;
    int state;       /* LX_* in hbs_lexer.c */
    rs_arena *arena; /* for unescaped token texts */
} hbs_lexer;

void hbs_lexer_init(hbs_lexer *lx, const char *src, size_t len, rs_arena *arena);
/* Next token. Returns 0, or RS_ENOMEM. Lexical errors come back as TK_INVALID tokens. */
int hbs_lexer_next(hbs_lexer *lx, hbs_token *tok);

/* JavaScript's \s on UTF-8: returns the byte length of the white-space character at p, or 0. */
size_t hbs_js_space(const char *p, const char *end);
/* Length of the white-space character ending at end (exclusive), or 0. */
size_t hbs_js_space_before(const char *start, const char *end);

/* ---- AST ---- */

typedef struct hbs_seg {
    const char *s;
    uint32_t len;
} hbs_seg;

typedef struct hbs_path {
    const hbs_seg *parts;
    uint16_t nparts;
    uint16_t depth; /* number of leading ../ */
    uint8_t data;   /* @path */
    int16_t bp_up;  /* block parameter: how many block-param scopes up, -1 when not one */
    int16_t bp_index;
    const char *orig; /* as written, for names and messages */
    uint32_t orig_len;
} hbs_path;

typedef enum hbs_expr_kind { EX_PATH, EX_LITERAL, EX_SUB } hbs_expr_kind;

struct hbs_call;

typedef struct hbs_expr {
    uint8_t kind;
    union {
        hbs_path path;
        const cJSON *lit; /* NULL for the literal undefined */
        struct hbs_call *sub;
    } u;
} hbs_expr;

typedef enum hbs_builtin {
    BI_NONE,
    BI_IF,
    BI_UNLESS,
    BI_EACH,
    BI_WITH,
    BI_LOOKUP,
    BI_LOG
} hbs_builtin;

typedef struct hbs_call {
    uint8_t builtin;             /* hbs_builtin */
    const rs_hbs_helper *helper; /* a registered helper (when builtin is BI_NONE) */
    const char *name;            /* NUL-terminated */
    hbs_expr *params;
    uint32_t nparams;
    uint32_t nhash;
    const hbs_seg *hash_keys;
    hbs_expr *hash_vals;
    uint32_t off; /* where the helper name is, for errors */
} hbs_call;

typedef enum hbs_node_kind {
    ND_CONTENT,
    ND_COMMENT,
    ND_VALUE,   /* {{path}}: a plain lookup */
    ND_CALL,    /* {{helper args}} */
    ND_BLOCK,   /* {{#helper args}}..{{/helper}} */
    ND_SECTION, /* {{#path}}..{{/path}} without a helper: Mustache section semantics */
    ND_PARTIAL,
    ND_PARTIAL_BLOCK, /* {{#> name}}fallback{{/name}} */
    ND_INLINE         /* {{#*inline "name"}}..{{/inline}}: moved to its program's inlines */
} hbs_node_kind;

/* ND_PARTIAL's partial index for {{> @partial-block}} */
#define HBS_PARTIAL_BLOCK_REF (-2)

struct hbs_program;

typedef struct hbs_strip {
    uint8_t open, close;
} hbs_strip;

typedef struct hbs_node {
    uint8_t kind;
    uint8_t escape;               /* ND_VALUE/ND_CALL: HTML-escape the result */
    uint8_t lstripped, rstripped; /* ND_CONTENT, whitespace control bookkeeping */
    uint32_t off;                 /* the tag's first byte */
    /* ND_CONTENT: the original text and the part of it that is kept */
    const char *text;
    size_t olen;
    size_t vstart, vend;
    hbs_strip strip;                                  /* mustache, comment, partial */
    hbs_strip open_strip, inverse_strip, close_strip; /* blocks */
    uint8_t has_inverse_strip, has_close_strip;
    hbs_path path; /* ND_VALUE, ND_SECTION */
    hbs_call call; /* ND_CALL, ND_BLOCK; ND_PARTIAL uses params/hash */
    struct hbs_program *program, *inverse;
    /* ND_PARTIAL */
    int32_t partial; /* index into the template's partial table */
    const char *indent;
    size_t indent_len;
    /* block parameters declared by this block (as |a b|) */
    uint16_t nbp;
    const hbs_seg *bp;
} hbs_node;

typedef struct hbs_inline {
    const char *name;
    const struct hbs_program *program;
    int32_t unit; /* where it is written: -1 main template, else a partial's index */
} hbs_inline;

typedef struct hbs_program {
    hbs_node *nodes;
    uint32_t n;
    uint8_t chained;   /* an {{else if}} chain link */
    uint32_t ninlines; /* inline partials defined in this program, in order */
    const hbs_inline *inlines;
} hbs_program;

/* One source: the main template or a partial. */
typedef struct hbs_unit {
    char *name; /* partial name; NULL for the main template */
    char *src;  /* owned copy (the main template's is in the template's arena) */
    size_t len;
    hbs_program *program; /* NULL for a partial the resolver did not find */
    int found;
    int requested; /* named by a {{> name}} (partial blocks alone do not resolve) */
} hbs_unit;

struct rs_hbs_template {
    /* everything compile builds, the template itself included: own_arena, or the caller's
     * (rs_hbs_options.arena) */
    rs_arena *arena;
    rs_arena own_arena;
    int escape_html;
    int max_depth;
    size_t max_output;
    char *filename;
    rs_hbs_helper *helpers;
    size_t nhelpers;
    uint64_t helper_initials[4]; /* bit c set: some helper's name starts with the byte c */
    hbs_unit main;
    rs_vec partials; /* hbs_unit */
    rs_vec used;     /* const char *: names of found partials, sorted */
    char hash[65];   /* computed on first rs_hbs_content_hash */
    rs_lazy hash_once;
};

/* Parse one unit into unit->program; partial names are added to tpl->partials. */
int hbs_parse_unit(rs_hbs_template *tpl, hbs_unit *unit, int32_t unit_index,
                   const rs_hbs_options *opts, rs_error *err);

/* Apply ~ and the standalone-line rules to a unit's root program (hbs_whitespace.c). */
void hbs_whitespace_control(hbs_program *root);

/* Error location helper: set err at byte `off` of unit's source, with snippet. */
int hbs_error_at(rs_error *err, int code, const rs_hbs_template *tpl, const hbs_unit *unit,
                 size_t off, const char *fmt, ...) RS_PRINTF(6, 7);

/* rs_str_append with the common case (room left, no error) inline: rendering appends a lot. */
static inline int hbs_put(rs_str *out, const char *p, size_t n)
{
    return rs_str_put(out, p, n);
}

/* Is the C string cstr equal to (s, n)? Safe when s holds NUL bytes. */
static inline int hbs_key_eq(const char *cstr, const char *s, size_t n)
{
    if (n && cstr[0] != s[0])
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (cstr[i] == '\0' || cstr[i] != s[i])
            return 0;
    }
    return cstr[n] == '\0';
}

/* An object's own member (key, klen) as Handlebars' lookupProperty finds it: NULL (undefined)
 * when absent or set to undefined. Inline: most lookups of a render are this. */
static inline const cJSON *hbs_member(const cJSON *obj, const char *key, size_t klen)
{
    for (const cJSON *c = obj->child; c; c = c->next) {
        if (c->string && hbs_key_eq(c->string, key, klen))
            return (c->type & 0xFF) == cJSON_Invalid ? NULL : c; /* undefined */
    }
    return NULL;
}

/* rs_hbs_truthy, inline for the built-in helpers (every if, unless, with asks). */
static inline int hbs_truthy(const cJSON *v)
{
    if (!v)
        return 0;
    switch (v->type & 0xFF) {
    case cJSON_False:
    case cJSON_NULL:
    case cJSON_Invalid:
        return 0;
    case cJSON_Number:
        return !(v->valuedouble == 0 || v->valuedouble != v->valuedouble); /* 0 and NaN */
    case cJSON_String:
    case cJSON_Raw:
        return v->valuestring && v->valuestring[0] != '\0';
    case cJSON_Array:
        return v->child != NULL;
    default:
        return 1;
    }
}

/* Handlebars' isEmpty: undefined, null, false, "", 0 is NOT empty, NaN, [] */
static inline int hbs_is_empty(const cJSON *v)
{
    if (v && (v->type & 0xFF) == cJSON_Number)
        return v->valuedouble != v->valuedouble; /* NaN */
    return !hbs_truthy(v);
}

/* ---- values (hbs_value.c) ---- */

/* Look a property up as Handlebars' lookupProperty does (own properties only; arrays and strings
 * have length and indexes). Synthesized values (a length, a character) come from arena.
 * Returns NULL (undefined) when absent. *oom is set when the arena ran out. */
const cJSON *hbs_lookup(const cJSON *obj, const char *key, size_t klen, rs_arena *arena, int *oom);

/* JavaScript's String(number) into buf (RS_JSNUM_MAX bytes); returns the length. */
size_t hbs_format_number(double v, char *buf);



/* Object keys in JavaScript order (integer-like keys ascending, then insertion order).
 * Returns the children in *out (from arena, or NULL when the object needs no reordering,
 * in which case the caller walks the child list). Returns the count, or -1 on OOM. */
long hbs_object_keys(const cJSON *obj, rs_arena *arena, const cJSON ***out);

/* Is (s, n) a canonical array index ("0", "17", not "01"); sets *idx. */
int hbs_array_index(const char *s, size_t n, size_t *idx);

/* New value nodes in the arena (never freed individually). */
cJSON *hbs_new_number(rs_arena *a, double v);
cJSON *hbs_new_string(rs_arena *a, const char *s, size_t n);
cJSON *hbs_new_bool(rs_arena *a, int b);

/* ---- rendering (hbs_eval.c) and built-ins (hbs_builtins.c) ---- */

typedef struct hbs_ctx_frame {
    const cJSON *v;
    const struct hbs_ctx_frame *up;
    /* nullContext standing in for a null context: it is `this` but not a depth for ../ */
    int transparent;
} hbs_ctx_frame;

struct hbs_scope;

/* What {{> @partial-block}} renders: a partial block's body with the scope it was written in. */
typedef struct hbs_pblock {
    const struct hbs_program *program;
    const struct hbs_scope *scope;
    const struct hbs_pblock *outer; /* the partial-block around the call, for nesting */
} hbs_pblock;

typedef struct hbs_data_frame {
    const struct hbs_data_frame *parent;
    int has_pblock; /* this frame sets @partial-block (possibly to nothing) */
    const hbs_pblock *pblock;
    int has_iter;
    cJSON index, key, first, last;
    const cJSON *root; /* root frame only */
    const cJSON *user; /* root frame only: the render's data */
} hbs_data_frame;

typedef struct hbs_bp_frame {
    const cJSON *vals[2];
    uint16_t n;
    const hbs_node *decl;
    const struct hbs_bp_frame *up;
} hbs_bp_frame;

typedef struct hbs_scope {
    const hbs_ctx_frame *ctx;
    const hbs_data_frame *data;
    const hbs_bp_frame *bp;
    const hbs_unit *unit;
} hbs_scope;

/* Inline partials in effect: one link per running program that defines some (dynamic scope,
 * as Handlebars' container.partials). */
typedef struct hbs_inline_scope {
    const hbs_program *program;
    const struct hbs_scope *scope; /* where the program runs: an inline partial keeps its ../ */
    const struct hbs_inline_scope *up;
} hbs_inline_scope;

typedef struct hbs_state {
    const rs_hbs_template *tpl;
    rs_arena arena;
    int depth;
    rs_error *err;
    const hbs_inline_scope *inlines;
} hbs_state;

struct rs_hbs_call {
    hbs_state *st;
    const hbs_call *call;
    const hbs_scope *scope;
    const hbs_node *node; /* the block or mustache, NULL for a subexpression */
    const cJSON **args;
    const cJSON **hash;
    const hbs_program *fn, *inverse;
    int is_block;
};

/*
 * The value a program or statement produces. Handlebars compiles a program to one JavaScript
 * expression `v1 + v2 + ...`, so leading numbers and booleans are added (2 + 3 is 5) until a
 * string appears; only then is the sum printed. HV_STR means the value was a string and has been
 * written to the output; HV_NUM/HV_BOOL are still pending and nothing was written.
 */
enum { HV_STR, HV_NUM, HV_BOOL };
typedef struct hbs_val {
    uint8_t kind;
    uint8_t b;
    double num;
} hbs_val;

/* Append String(v) of a pending value. */
int hbs_val_print(rs_str *out, const hbs_val *v);

/* Run a program with `ctx` as this (pushing a context frame when it differs from the current). */
int hbs_run_with(rs_str *out, hbs_state *st, const hbs_program *p, const hbs_scope *sc,
                 const cJSON *ctx, const hbs_data_frame *data, const hbs_bp_frame *bp,
                 hbs_val *res);
/* Run a block's main program (declaring its block params bp0, bp1 when it has any) or its
 * inverse, as options.fn / options.inverse do. res NULL: a pending value is printed. Inline: each
 * iteration and every if/unless goes through them. */
static inline int hbs_call_run_fn(rs_str *out, rs_hbs_call *c, const cJSON *ctx,
                                  const hbs_data_frame *data, const cJSON *bp0, const cJSON *bp1,
                                  hbs_val *res)
{
    const hbs_scope *sc = c->scope;
    if (res)
        res->kind = HV_STR;
    if (!c->fn)
        return 0;
    if (c->node && c->node->nbp) {
        hbs_bp_frame b = {{bp0, bp1}, c->node->nbp, c->node, sc->bp};
        return hbs_run_with(out, c->st, c->fn, sc, ctx, data, &b, res);
    }
    return hbs_run_with(out, c->st, c->fn, sc, ctx, data, sc->bp, res);
}

static inline int hbs_call_run_inverse(rs_str *out, rs_hbs_call *c, const cJSON *ctx,
                                       hbs_val *res)
{
    return hbs_run_with(out, c->st, c->inverse, c->scope, ctx, c->scope->data, c->scope->bp, res);
}
/* Report an error raised at a call's location (when the error has none yet). */
int hbs_call_error(const rs_hbs_call *c, int code, const char *fmt, ...) RS_PRINTF(3, 4);

/* Handlebars' container.nullContext: the empty object helpers get as `this` for a null context. */
extern const cJSON hbs_null_context;

/* `this` inside a helper: the context, or {} when it is null or undefined (Handlebars). */
const cJSON *hbs_helper_this(const rs_hbs_call *c);

/* Built-in helpers: append the output (block or inline use) or produce a value (lookup). */
int hbs_builtin_block(rs_str *out, rs_hbs_call *c, hbs_val *res);
/* The value of a built-in used in an expression ({{lookup a b}}, (lookup a b)). */
int hbs_builtin_value(const cJSON **val, rs_hbs_call *c, rs_str *scratch);
/* Mustache section semantics (blockHelperMissing) for {{#path}} with value v. */
int hbs_section(rs_str *out, rs_hbs_call *c, const cJSON *v, hbs_val *res);
/* A value as a statement result: numbers and booleans stay pending unless `escape` (escaping
 * always makes a string), anything else is written. */
int hbs_emit_value(rs_str *out, const cJSON *v, int escape, hbs_val *res);

#endif
