/*
 * templates/hbs_compile.c - rs_hbs_compile: copy the options and the source, parse the template,
 * then ask the resolver for every partial it names (and the partials those name), compiling
 * each once; the content hash over all sources is computed when first asked for.
 *
 * A partial the resolver does not know (RS_ENOTFOUND) is not a compile error: as in Handlebars
 * and the Dotprompt reference, rendering fails only if that {{> name}} is actually reached.
 */
#include "templates/hbs_internal.h"

#include "util/alloc.h"
#include "util/sha256.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_DEPTH 64
#define DEFAULT_MAX_OUTPUT ((size_t)16 * 1024 * 1024)

static void free_unit(hbs_unit *u)
{
    rs_free(u->name);
    rs_free(u->src);
}

void rs_hbs_free(rs_hbs_template *tpl)
{
    if (!tpl)
        return;
    for (size_t i = 0; i < tpl->partials.len; i++)
        free_unit(&RS_VEC_AT(&tpl->partials, hbs_unit, i));
    rs_vec_free(&tpl->partials);
    rs_vec_free(&tpl->used);
    /* the template lives in the arena it owns (or in the caller's, left alone) */
    rs_arena own = tpl->own_arena;
    rs_arena_free(&own);
}

/* (s, n) as a NUL-terminated string in the template's arena. */
static char *arena_strndup(rs_hbs_template *tpl, const char *s, size_t n)
{
    return rs_arena_strndup(tpl->arena, s, n);
}

static int copy_options(rs_hbs_template *tpl, const rs_hbs_options *opts, rs_error *err)
{
    tpl->escape_html = opts->escape_html;
    tpl->max_depth = opts->max_depth > 0 ? opts->max_depth : DEFAULT_MAX_DEPTH;
    tpl->max_output = opts->max_output ? opts->max_output : DEFAULT_MAX_OUTPUT;
    if (opts->filename &&
        !(tpl->filename = arena_strndup(tpl, opts->filename, strlen(opts->filename))))
        return rs_error_set(err, RS_ENOMEM, "out of memory compiling a template");
    if (opts->nhelpers && opts->helpers) {
        tpl->helpers = rs_arena_calloc(tpl->arena, opts->nhelpers, sizeof *tpl->helpers);
        if (!tpl->helpers)
            return rs_error_set(err, RS_ENOMEM, "out of memory compiling a template");
        for (size_t i = 0; i < opts->nhelpers; i++) {
            const rs_hbs_helper *h = &opts->helpers[i];
            if (!h->name || !h->name[0] || !h->fn)
                return rs_error_set(err, RS_EINVAL, "helper %zu has no name or no function", i);
            unsigned char c0 = (unsigned char)h->name[0];
            tpl->helper_initials[c0 >> 6] |= (uint64_t)1 << (c0 & 63);
            tpl->helpers[i].fn = h->fn;
            tpl->helpers[i].userdata = h->userdata;
            if (!(tpl->helpers[i].name = arena_strndup(tpl, h->name, strlen(h->name))))
                return rs_error_set(err, RS_ENOMEM, "out of memory compiling a template");
            tpl->nhelpers = i + 1;
        }
    }
    return 0;
}

/* Ask the resolver for partial i and compile it. */
static int load_partial(rs_hbs_template *tpl, size_t i, const rs_hbs_options *opts, rs_error *err)
{
    hbs_unit u = RS_VEC_AT(&tpl->partials, hbs_unit, i);
    if (!opts->resolve || !u.requested)
        return 0; /* stays not found: an error (or a partial block's fallback) if reached */
    char *src = NULL;
    size_t len = 0;
    int rc = opts->resolve(&src, &len, opts->resolve_userdata, u.name, err);
    if (rc == RS_ENOTFOUND) {
        rs_free(src);
        rs_error_clear(err);
        return 0;
    }
    if (rc) {
        rs_free(src);
        if (err && !err->message[0])
            rs_error_set(err, rc, "could not load partial '%s'", u.name);
        return rc;
    }
    if (!src) {
        if (!(src = rs_strndup("", 0)))
            return rs_error_set(err, RS_ENOMEM, "out of memory compiling a template");
        len = 0;
    }
    u.src = src;
    u.len = len;
    u.found = 1;
    /* the vector may grow while the partial is parsed: work on a copy, store it back */
    RS_VEC_AT(&tpl->partials, hbs_unit, i) = u;
    rc = hbs_parse_unit(tpl, &u, (int32_t)i, opts, err);
    RS_VEC_AT(&tpl->partials, hbs_unit, i) = u;
    return rc;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void put_len(rs_sha256 *h, size_t n)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)((uint64_t)n >> (8 * i));
    rs_sha256_update(h, b, sizeof b);
}

/* The partials' names, sorted (rs_hbs_partial_name); the content hash waits until asked for. */
static int finish(rs_hbs_template *tpl, rs_error *err)
{
    for (size_t i = 0; i < tpl->partials.len; i++) {
        const char *name = RS_VEC_AT(&tpl->partials, hbs_unit, i).name;
        if (rs_vec_push(&tpl->used, &name))
            return rs_error_set(err, RS_ENOMEM, "out of memory compiling a template");
    }
    if (tpl->used.len > 1)
        qsort(tpl->used.items, tpl->used.len, sizeof(const char *), cmp_names);
    return 0;
}

/* SHA-256 over the main source and each partial (sorted by name), each length-prefixed. */
static void compute_hash(rs_hbs_template *tpl)
{
    rs_sha256 h;
    rs_sha256_init(&h);
    rs_sha256_update(&h, "rosetta-hbs-1", 13);
    put_len(&h, tpl->main.len);
    rs_sha256_update(&h, tpl->main.src, tpl->main.len);
    for (size_t i = 0; i < tpl->used.len; i++) {
        const char *name = RS_VEC_AT(&tpl->used, const char *, i);
        const hbs_unit *u = NULL;
        for (size_t j = 0; j < tpl->partials.len; j++) {
            if (RS_VEC_AT(&tpl->partials, hbs_unit, j).name == name)
                u = &RS_VEC_AT(&tpl->partials, hbs_unit, j);
        }
        put_len(&h, strlen(name));
        rs_sha256_update(&h, name, strlen(name));
        if (u && u->found) {
            put_len(&h, u->len);
            rs_sha256_update(&h, u->src, u->len);
        } else {
            put_len(&h, SIZE_MAX); /* missing: distinct from any source */
        }
    }
    rs_sha256_final_hex(&h, tpl->hash);
}

int rs_hbs_compile(rs_hbs_template **out, const char *src, size_t len, const rs_hbs_options *opts,
                   rs_error *err)
{
    rs_hbs_options defaults = RS_HBS_OPTIONS_INIT;
    rs_hbs_template *tpl = NULL;
    int rc;
    if (!out)
        return rs_error_set(err, RS_EINVAL, "rs_hbs_compile: no output pointer");
    *out = NULL;
    if (!src && len)
        return rs_error_set(err, RS_EINVAL, "rs_hbs_compile: no source");
    if (!opts)
        opts = &defaults;
    if (len > UINT32_MAX)
        return rs_error_set(err, RS_ELIMIT, "a template of %zu bytes is over the 4 GiB limit", len);
    /* the template in its arena: its own, moved in once the template exists, or the caller's */
    rs_arena own;
    rs_arena_init(&own, len < 4096 ? 8192 : len * 2);
    rs_arena *arena = opts->arena ? opts->arena : &own;
    tpl = rs_arena_calloc(arena, 1, sizeof *tpl);
    if (!tpl) {
        rs_arena_free(&own);
        return rs_error_set(err, RS_ENOMEM, "out of memory compiling a template");
    }
    tpl->own_arena = own;
    tpl->arena = opts->arena ? opts->arena : &tpl->own_arena;
    rs_lazy_init(&tpl->hash_once);
    rs_vec_init(&tpl->partials, sizeof(hbs_unit));
    rs_vec_init(&tpl->used, sizeof(const char *));
    if ((rc = copy_options(tpl, opts, err)))
        goto done;
    if (!(tpl->main.src = arena_strndup(tpl, src ? src : "", len))) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory compiling a template");
        goto done;
    }
    tpl->main.len = len;
    tpl->main.found = 1;
    if ((rc = hbs_parse_unit(tpl, &tpl->main, -1, opts, err)))
        goto done;
    for (size_t i = 0; i < tpl->partials.len; i++) {
        if ((rc = load_partial(tpl, i, opts, err)))
            goto done;
    }
    if ((rc = finish(tpl, err)))
        goto done;
    *out = tpl;
    tpl = NULL;
done:
    rs_hbs_free(tpl);
    return rc;
}

/* Computed on first use (most compiles never ask): the template is otherwise immutable, so the
 * one field written after compile is guarded by hash_once for concurrent readers. */
const char *rs_hbs_content_hash(const rs_hbs_template *tpl)
{
    rs_hbs_template *t = (rs_hbs_template *)tpl; /* allocated non-const by rs_hbs_compile */
    if (rs_lazy_begin(&t->hash_once)) {
        compute_hash(t);
        rs_lazy_end(&t->hash_once);
    }
    return tpl->hash;
}

size_t rs_hbs_partial_count(const rs_hbs_template *tpl)
{
    return tpl->used.len;
}

const char *rs_hbs_partial_name(const rs_hbs_template *tpl, size_t i)
{
    return i < tpl->used.len ? RS_VEC_AT(&tpl->used, const char *, i) : NULL;
}
