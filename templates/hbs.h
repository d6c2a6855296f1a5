/*
 * templates/hbs.h - the Handlebars engine: compile a template into an immutable program, render it.
 *
 * Covers what Dotprompt uses (DESIGN.md, issue 2): {{path}} {{{raw}}} {{& raw}}, paths with this,
 * ., ../, @index @first @last @key @root and other @data variables, literals (strings, numbers,
 * true/false/null/undefined), hash arguments, subexpressions, comments, ~ whitespace control,
 * standalone-line rules, blocks with {{else}}/{{else if}}/{{^}}, inverted sections {{^x}}, the
 * built-in helpers if unless each with lookup (and log, which prints nothing), partials
 * {{> name}} with context and hash, inline partials {{#*inline "name"}}, partial blocks
 * {{#> name}}fallback{{/name}} with {{> @partial-block}}, block parameters (as |item index|).
 *
 * Semantics are Handlebars 4.x's as the Dotprompt reference compiles templates (knownHelpersOnly,
 * noEscape unless escape_html), down to its quirks: a program is one JavaScript `+` expression,
 * so adjacent numbers and booleans at its start add up ({{a}}{{b}} with 2 and 3 prints 5);
 * ../ counts contexts, not blocks ({{#if}} keeps the context); helpers see `this` as {} when
 * the context is null.
 *
 * Values are cJSON trees; a NULL `const cJSON *` means JavaScript `undefined`. Output follows
 * JavaScript's string conversion (numbers via rs_jsnum_format, arrays joined with ",", objects as
 * "[object Object]", null/undefined as "").
 *
 * Thread-safety: an rs_hbs_template is immutable after rs_hbs_compile; any number of threads may
 * render it at once.
 */
#ifndef RS_TEMPLATES_HBS_H
#define RS_TEMPLATES_HBS_H

#include "util/error.h"
#include "util/str.h"

#include <cjson/cJSON.h>
#include <stddef.h>

typedef struct rs_hbs_template rs_hbs_template;
typedef struct rs_hbs_call rs_hbs_call;

/*
 * A helper: called for {{name args... k=v}} and {{#name args...}}...{{/name}}.
 * It appends its output to `out` as-is (the engine does not escape helper output: a helper that
 * wants escaping calls rs_hbs_escape). Returns 0 or a negative RS_E* code with err set; the
 * engine adds the template location to err when the helper left it empty.
 */
typedef int (*rs_hbs_helper_fn)(rs_str *out, const rs_hbs_call *call, void *userdata,
                                rs_error *err);

typedef struct rs_hbs_helper {
    const char *name;
    rs_hbs_helper_fn fn;
    void *userdata;
} rs_hbs_helper;

/*
 * Partial sources, asked for by name at compile time (partials are compiled into the template so
 * rendering never resolves anything). On success *src is a buffer from rs_malloc that the engine
 * takes over. Return RS_ENOTFOUND when the partial does not exist; any other error is passed up.
 * As in the reference, a missing partial is an error only when rendering reaches its {{> name}}
 * (RS_ENOTFOUND, "partial 'x' could not be found"), names used only as partial blocks
 * ({{#> name}}) are not asked for, and "@partial-block" never is.
 */
typedef int (*rs_hbs_partial_resolver)(char **src, size_t *len, void *userdata, const char *name,
                                       rs_error *err);

typedef struct rs_hbs_options {
    int escape_html;                 /* 1: {{x}} HTML-escapes (Mustache); 0: never (Dotprompt) */
    const rs_hbs_helper *helpers;    /* extra helpers, beside the built-ins; may be NULL */
    size_t nhelpers;
    rs_hbs_partial_resolver resolve; /* may be NULL: then any {{> x}} is an error */
    void *resolve_userdata;
    const char *filename;            /* for error locations; may be NULL */
    int max_depth;                   /* nesting limit for blocks, subexpressions, partials; 0 = 64 */
    size_t max_output;               /* output size limit in bytes; 0 = 16 MiB */
    /* NULL, or an arena to build the compiled template in, which must outlive it (rs_hbs_free
     * then leaves the arena alone): a caller that keeps more per template, as a compiled prompt
     * does, then allocates one arena block where there were two or three */
    struct rs_arena *arena;
} rs_hbs_options;

#define RS_HBS_OPTIONS_INIT {0, NULL, 0, NULL, NULL, NULL, 0, 0, NULL}

/*
 * Compile (src, len). Unknown helpers (a name used with arguments, or as a block, that is neither
 * built-in nor in opts->helpers), unbalanced blocks, bad syntax and wrong argument counts for
 * built-ins are errors (RS_ESYNTAX; RS_ELIMIT past max_depth; RS_EUNSUPPORTED for decorators
 * other than inline and dynamic partial names) with file:line:col and the source line
 * (err->snippet); an error inside a partial names the partial as the file. A resolver error is
 * passed up. The options (helpers included) are copied; the helper table's userdata must outlive
 * the template.
 */
int rs_hbs_compile(rs_hbs_template **out, const char *src, size_t len, const rs_hbs_options *opts,
                   rs_error *err);
void rs_hbs_free(rs_hbs_template *tpl);

/* SHA-256 (hex) of the source and the sources of every partial it uses, in a stable order. */
const char *rs_hbs_content_hash(const rs_hbs_template *tpl);

/* The names of partials the template uses (directly or through other partials, found or not),
 * sorted. Borrowed for the template's life. */
size_t rs_hbs_partial_count(const rs_hbs_template *tpl);
const char *rs_hbs_partial_name(const rs_hbs_template *tpl, size_t i);

/*
 * Render with `context` as the root context (`this`, @root) and `data` (may be NULL) as the
 * initial @data variables: data {"auth": {...}} makes {{@auth.uid}} work. On failure nothing is
 * appended to out (it is restored to its length at entry).
 */
int rs_hbs_render(rs_str *out, const rs_hbs_template *tpl, const cJSON *context, const cJSON *data,
                  rs_error *err);

/* ---- for helpers ---- */

/* Positional arguments; a NULL result is `undefined`. */
size_t rs_hbs_call_argc(const rs_hbs_call *call);
const cJSON *rs_hbs_call_arg(const rs_hbs_call *call, size_t i);
/* A hash argument by name, or NULL when absent or undefined. */
const cJSON *rs_hbs_call_hash(const rs_hbs_call *call, const char *key);
/* The current context (`this`): an empty object when the context is null or undefined. */
const cJSON *rs_hbs_call_context(const rs_hbs_call *call);
/* A @data variable by name ("root", "index", or one from the render's data), or NULL. */
const cJSON *rs_hbs_call_data(const rs_hbs_call *call, const char *name);
/* 1 when called as a block ({{#name}}...{{/name}}). */
int rs_hbs_call_is_block(const rs_hbs_call *call);
/* The helper's name as written in the template. */
const char *rs_hbs_call_name(const rs_hbs_call *call);
/* Render the block's main body (options.fn) or its {{else}} part (options.inverse) with `context`
 * as `this`, appending to out. Without such a part they append nothing and return 0. */
int rs_hbs_call_fn(rs_str *out, const rs_hbs_call *call, const cJSON *context, rs_error *err);
int rs_hbs_call_inverse(rs_str *out, const rs_hbs_call *call, const cJSON *context, rs_error *err);

/* Append (s, n) HTML-escaped as Handlebars does (& < > " ' ` =). */
int rs_hbs_escape(rs_str *out, const char *s, size_t n);

/* Append v converted to a string as JavaScript's String(v) does (undefined/null -> ""). */
int rs_hbs_append_value(rs_str *out, const cJSON *v);

/* JavaScript truthiness as Handlebars' if uses it: false for undefined, null, false, 0, NaN, "",
 * and (Handlebars' own rule) an empty array. */
int rs_hbs_truthy(const cJSON *v);

#endif
