/*
 * render/prompt.c - a Dotprompt .prompt file compiled once and rendered many times, with the
 * reference's semantics (dotprompt 1.1.2: parseDocument, Dotprompt.compile/render,
 * renderMetadata/resolveMetadata, resolveTools, renderPicoschema).
 *
 * Compile does everything that does not depend on the data: split, YAML, the metadata without
 * options (what render prints besides the messages), the Handlebars program with its partials.
 * The result is immutable; rendering only reads it, so one rs_prompt serves many threads.
 */
#include "render/prompt.h"

#include "render/dotprompt_helpers.h"
#include "render/messages.h"
#include "templates/frontmatter.h"
#include "templates/jsonschema_validate.h"
#include "templates/picoschema.h"
#include "templates/yaml_json.h"
#include "util/alloc.h"
#include "util/file.h"
#include "util/json.h"
#include "util/json_build.h"
#include "util/lazy.h"
#include "util/sha256.h"
#include "util/str.h"
#include "util/utf8.h"
#include "util/vec.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/*
 * Everything compile builds (the source copy, the frontmatter's values when the YAML fast path
 * read it, parsed, metadata, render_base, the converted schemas, partial_files) lives in one
 * arena, freed at once: a few hundred small nodes that cost a cJSON_Delete walk and two
 * allocations each before. These trees are never changed after compile, never passed to
 * cJSON_Delete (see util/json_build.h); callers get heap copies (cJSON_Duplicate) when they own
 * a result.
 */
struct rs_prompt {
    rs_arena arena;
    rs_jt jb;  /* builds in arena */
    char *src; /* the source, copied */
    size_t len;
    char *filename; /* NULL when none was given */
    rs_frontmatter fm;
    rs_yaml_doc doc;           /* the frontmatter; doc.root NULL without one */
    cJSON *parsed;             /* parseDocument(source) without `template` */
    cJSON *schemas;            /* named schemas, copied; may be NULL */
    cJSON *metadata;           /* renderMetadata(source): options not applied */
    cJSON *render_base;        /* metadata without `input`: what render prints beside messages */
    const cJSON *fm_default;   /* frontmatter input.default (in parsed), NULL when none */
    const cJSON *input_schema; /* converted input.schema (in metadata), NULL when none */
    rs_hbs_template *tpl;
    cJSON *partial_files;               /* partial name -> file it was read from (partials_dir) */
    const rs_prompt_compile_opts *opts; /* during compile only */
    char hash[RS_SHA256_HEX_SIZE];      /* computed on first rs_prompt_hash */
    rs_lazy hash_once;
    atomic_long refs; /* 1 + rs_prompt_retain calls; rs_prompt_free drops one */
    rs_vec deps;      /* prompt_dep: each partial asked for while compiling, for a cache to
                         revalidate the prompt against the resolver */
};

/* A partial the compile asked for and what it got: found (with its content hash) or not. */
typedef struct prompt_dep {
    char *name;
    int found;
    unsigned char hash[RS_SHA256_SIZE];
} prompt_dep;

static const char *const reserved_keys[] = {"config",   "description", "ext",     "input",
                                            "model",    "name",        "output",  "raw",
                                            "toolDefs", "tools",       "variant", "version"};

/* Members of Object.prototype: the reference looks tool names up in a plain object, so these
 * names find a function (printed as null) or, for __proto__, the prototype itself ({}). */
static const char *const proto_functions[] = {
    "constructor",      "hasOwnProperty",   "isPrototypeOf",   "propertyIsEnumerable",
    "toLocaleString",   "toString",         "valueOf",         "__defineGetter__",
    "__defineSetter__", "__lookupGetter__", "__lookupSetter__"};

static int oom(rs_error *err)
{
    return rs_error_set(err, RS_ENOMEM, "out of memory");
}

static int is_reserved(const char *k)
{
    for (size_t i = 0; i < sizeof(reserved_keys) / sizeof(*reserved_keys); i++) {
        if (k[0] == reserved_keys[i][0] && strcmp(k, reserved_keys[i]) == 0)
            return 1;
    }
    return 0;
}

/* Compile builds in the prompt's arena (p->jb), render and render_metadata with options on
 * the heap (HEAP): the same helpers serve both. Keys are kept, not copied, in the arena
 * (rs_jt_*_kept) when they are literals or keys of trees the prompt frees with its arena (the
 * frontmatter's, parsed's); heap trees copy them as always. */
static const rs_jt HEAP = {NULL};

/* target[key] = v (JavaScript assignment: in place when present). Takes v over; 0 or ENOMEM. */
static int js_set(cJSON *target, const char *key, cJSON *v)
{
    return rs_js_set(target, key, v);
}

/* Object.assign(target, {...src}): every own property of src copied over target's. */
static int b_assign(const rs_jt *b, cJSON *target, const cJSON *src)
{
    cJSON *spread = rs_js_spread_build(b, src);
    if (!spread)
        return RS_ENOMEM;
    int rc = 0;
    while (rc == 0 && spread->child) {
        cJSON *m = cJSON_DetachItemViaPointer(spread, spread->child);
        char *key = m->string;
        m->string = NULL;
        rc = rs_jt_set_kept(b, target, key, m);
        if (!b->arena)
            cJSON_free(key);
    }
    rs_jt_drop(b, spread);
    return rc;
}

static int js_assign(cJSON *target, const cJSON *src)
{
    return b_assign(&HEAP, target, src);
}

/* A reference to item's members (objects, arrays), to its text (strings) or a copy (other
 * scalars): for trees that only live while item does. NULL when out of memory. */
static cJSON *make_ref(const cJSON *item)
{
    return cJSON_IsObject(item)   ? cJSON_CreateObjectReference(item->child)
           : cJSON_IsArray(item)  ? cJSON_CreateArrayReference(item->child)
           : cJSON_IsString(item) ? cJSON_CreateStringReference(item->valuestring)
                                  : cJSON_Duplicate(item, 1);
}

/* object[key] = a reference to item (no copy; cJSON_AddItemReferenceToObject leaks the
 * reference when the key cannot be copied). Scalars are copied. */

static int add_ref(const rs_jt *b, cJSON *object, const char *key, const cJSON *item)
{
    return rs_jt_add_kept(b, object, key, rs_jt_ref(b, item));
}

/* add_ref without copying the key either: for objects that do not outlive the key (a literal,
 * or a key of the tree item belongs to). A render builds several such objects per call. */
static int add_ref_cs(cJSON *object, const char *key, const cJSON *item)
{
    cJSON *r = make_ref(item);
    if (!r || !cJSON_AddItemToObjectCS(object, key, r)) {
        cJSON_Delete(r);
        return RS_ENOMEM;
    }
    return 0;
}

static const char *kind_with_article(const cJSON *v)
{
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsObject(v))
        return "an object";
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsBool(v))
        return "a boolean";
    return "null";
}

/* ---- parseDocument ---- */

/* ext[ns][field] = value for a dotted key, split at its last dot. */
static int add_ext(const rs_jt *b, cJSON *ext, const char *key, const cJSON *value)
{
    const char *dot = strrchr(key, '.');
    char *ns = rs_arena_strndup(b->arena, key, (size_t)(dot - key));
    if (!ns)
        return RS_ENOMEM;
    cJSON *obj = rs_jt_get(ext, ns);
    if (!obj) {
        if (rs_jt_add_kept(b, ext, ns, rs_jt_node(b, cJSON_Object)) != 0)
            return RS_ENOMEM;
        obj = rs_jt_get(ext, ns);
    }
    return rs_jt_set_kept(b, obj, dot + 1,
                          rs_jt_ref(b, value)); /* parsed holds raw, which holds value */
}

/* parseDocument(source) into p->parsed, in the prompt's arena. */
static int parse_document(rs_prompt *p, rs_error *err)
{
    const rs_jt *b = &p->jb;
    cJSON *parsed = rs_jt_node(b, cJSON_Object);
    int rc = 0;
    p->parsed = parsed;
    if (!parsed || rs_jt_add_kept(b, parsed, "ext", rs_jt_node(b, cJSON_Object)) != 0 ||
        rs_jt_add_kept(b, parsed, "metadata", rs_jt_node(b, cJSON_Object)) != 0 ||
        rs_jt_add_kept(b, parsed, "config", rs_jt_node(b, cJSON_Object)) != 0)
        return oom(err);
    if (!p->fm.has_frontmatter)
        return 0;

    /* The reference's parser ends the last line of the text with a line break when it has
     * none ("a: |\n  x" is "x\n"; "a: |+\n  x\n" stays "x\n"): give libyaml the newline that
     * follows the text in the file only then. Errors at the end then point at the closing line. */
    size_t end = p->fm.yaml_off + p->fm.yaml_len;
    char last = p->src[end - 1];
    size_t nl = (last == '\n' || last == '\r')                                         ? 0
                : (p->src[end] == '\r' && end + 1 < p->len && p->src[end + 1] == '\n') ? 2
                                                                                       : 1;
    int line, col;
    rs_location_of(p->src, p->len, p->fm.yaml_off, &line, &col); /* a few bytes in */
    rs_yaml_opts yo = RS_YAML_OPTS_INIT;
    yo.filename = p->filename;
    yo.file_src = p->src;
    yo.file_len = p->len;
    yo.line_offset = line - 1;
    yo.arena = &p->arena;
    rc = rs_yaml_parse(&p->doc, p->src + p->fm.yaml_off, p->fm.yaml_len + nl, &yo, err);
    if (rc)
        return rc;
    const cJSON *root = p->doc.root;
    if (!cJSON_IsObject(root) && !cJSON_IsNull(root))
        return rs_yaml_error_at(&p->doc, root, 0, err, RS_ESYNTAX,
                                "invalid frontmatter: expected a mapping of keys, got %s",
                                cJSON_IsArray(root) ? "a sequence" : "a scalar");

    /* raw = {...root}: the root's members, shared (they keep their locations in p->doc) */
    cJSON *raw = cJSON_IsObject(root) ? rs_jt_ref(b, root) : rs_jt_node(b, cJSON_Object);
    cJSON *ext = rs_jt_node(b, cJSON_Object);
    if (!raw || !ext)
        return oom(err);
    for (const cJSON *m = raw->child; m && rc == 0; m = m->next) {
        if (is_reserved(m->string))
            rc = rs_jt_set_kept(b, parsed, m->string,
                                rs_jt_ref(b, m)); /* raw ends up in parsed too */
        else if (strchr(m->string, '.'))
            rc = add_ext(b, ext, m->string, m);
    }
    if (rc == 0)
        rc = rs_jt_set_kept(b, parsed, "raw", raw);
    if (rc == 0)
        rc = rs_jt_set_kept(b, parsed, "ext", ext);
    return rc ? oom(err) : 0;
}

/* ---- resolveMetadata ---- */

/* resolveTools: tools names become toolDefs when registered (never, here, except for the names
 * an empty JavaScript object already answers to), the rest stay in tools. */
static int resolve_tools(const rs_jt *b, cJSON *out, rs_error *err)
{
    cJSON *tools = rs_jt_get(out, "tools");
    if (!rs_js_truthy(tools))
        return 0;
    if (!cJSON_IsArray(tools))
        return rs_error_set(err, RS_EINVAL, "tools must be a list of tool names, got %s",
                            kind_with_article(tools));
    cJSON *defs = rs_jt_get(out, "toolDefs");
    if (!rs_js_truthy(defs)) {
        if (rs_jt_set_kept(b, out, "toolDefs", rs_jt_node(b, cJSON_Array)) != 0)
            return oom(err);
        defs = rs_jt_get(out, "toolDefs");
    }
    cJSON *unregistered = rs_jt_node(b, cJSON_Array);
    if (!unregistered)
        return oom(err);
    for (const cJSON *t = tools->child; t; t = t->next) {
        cJSON *def = NULL;
        int found = 0;
        if (cJSON_IsString(t)) {
            for (size_t i = 0; i < sizeof(proto_functions) / sizeof(*proto_functions); i++)
                found |= strcmp(t->valuestring, proto_functions[i]) == 0;
            if (found) {
                def = rs_jt_node(b, cJSON_NULL);
            } else if (strcmp(t->valuestring, "__proto__") == 0) {
                found = 1;
                def = rs_jt_node(b, cJSON_Object);
            }
        }
        if (found && !def) {
            rs_jt_drop(b, unregistered);
            return oom(err);
        }
        if (def && (defs->type & cJSON_IsReference) && cJSON_IsArray(defs)) {
            /* shared with the parsed frontmatter: copy before adding to it */
            if (rs_jt_set_kept(b, out, "toolDefs", rs_jt_dup(b, defs)) != 0) {
                rs_jt_drop(b, def);
                rs_jt_drop(b, unregistered);
                return oom(err);
            }
            defs = rs_jt_get(out, "toolDefs");
        }
        if (def) {
            if (!cJSON_IsArray(defs)) {
                rs_jt_drop(b, def);
                rs_jt_drop(b, unregistered);
                return rs_error_set(err, RS_EINVAL, "toolDefs must be a list, got %s",
                                    kind_with_article(defs));
            }
            rs_jt_push(defs, def);
            continue;
        }
        cJSON *d = rs_jt_dup(b, t);
        if (!d) {
            rs_jt_drop(b, unregistered);
            return oom(err);
        }
        rs_jt_push(unregistered, d);
    }
    return rs_jt_set_kept(b, out, "tools", unregistered) ? oom(err) : 0;
}

/* renderPicoschema for one of input/output. `located` is the frontmatter's own value of
 * meta[key].schema when the metadata still holds it unchanged (errors then get a location). */
static int convert_schema(const rs_jt *b, cJSON *meta, const char *key, const char *where,
                          const rs_prompt *p, const cJSON *located, rs_error *err)
{
    cJSON *holder = rs_jt_get(meta, key);
    if (!cJSON_IsObject(holder))
        return 0;
    const cJSON *schema = rs_jt_get(holder, "schema");
    if (!rs_js_truthy(schema))
        return 0;
    if (holder->type & cJSON_IsReference) {
        /* shared with the parsed frontmatter: {...holder} before changing it */
        cJSON *own = rs_jt_node(b, cJSON_Object);
        for (const cJSON *m = holder->child; own && m; m = m->next) {
            if (add_ref(b, own, m->string, m) != 0) {
                rs_jt_drop(b, own);
                own = NULL;
            }
        }
        if (!own || rs_jt_set_kept(b, meta, key, own) != 0)
            return oom(err);
        holder = rs_jt_get(meta, key);
        schema = rs_jt_get(holder, "schema");
    }
    rs_pico_opts po = RS_PICO_OPTS_INIT;
    po.named = p->schemas;
    po.where = where;
    po.doc = located ? &p->doc : NULL;
    cJSON *converted = NULL;
    int rc = rs_picoschema_build(&converted, b, located ? located : schema, &po, err);
    if (rc)
        return rc;
    if (converted && rs_jt_set_kept(b, holder, "schema", converted) != 0)
        return oom(err);
    return 0;
}

/* The frontmatter's node for root[key].schema, or NULL. */
static const cJSON *frontmatter_schema(const rs_prompt *p, const char *key)
{
    const cJSON *raw = rs_jt_get(p->parsed, "raw");
    const cJSON *holder = raw ? rs_jt_get(raw, key) : NULL;
    return cJSON_IsObject(holder) ? rs_jt_get(holder, "schema") : NULL;
}

/* Object.assign(target, {...src}) with references to src's members (src must outlive target and
 * stay unchanged; target's users copy before changing a shared member). */
static int js_assign_shared(const rs_jt *b, cJSON *target, const cJSON *src)
{
    /* into an empty target, src's keys need no lookup: src is p->parsed, built by assignments,
     * so its keys are unique */
    int fresh = target->child == NULL;
    for (const cJSON *m = src->child; m; m = m->next) {
        if (fresh) {
            if (rs_jt_add_kept(b, target, m->string, rs_jt_ref(b, m)) != 0)
                return RS_ENOMEM;
            continue;
        }
        if (rs_jt_set_kept(b, target, m->string, rs_jt_ref(b, m)) != 0)
            return RS_ENOMEM;
    }
    return 0;
}

/*
 * resolveMetadata({}, parsed, options): options' keys replace the frontmatter's, config is merged
 * one level deep; then tools and Picoschema are resolved. Without options (compile) the result
 * is built in the prompt's arena and shares p->parsed's members; with options it goes to the
 * caller, on the heap, and owns everything.
 */
static int resolve_metadata(cJSON **out, const rs_prompt *p, const cJSON *options, rs_error *err)
{
    int rc = 0;
    const rs_jt *b = options ? &HEAP : &p->jb;
    cJSON *meta = rs_jt_node(b, cJSON_Object);
    *out = NULL;
    if (!meta)
        return oom(err);
    const cJSON *merges[2] = {p->parsed, options};
    for (int i = 0; i < 2; i++) {
        if (!rs_js_truthy(merges[i]))
            continue;
        int shared = !options && merges[i] == p->parsed;
        cJSON *config = rs_js_spread_build(b, rs_jt_get(meta, "config"));
        if (!config ||
            (shared ? js_assign_shared(b, meta, merges[i]) : b_assign(b, meta, merges[i])) != 0) {
            rs_jt_drop(b, config);
            rc = oom(err);
            goto done;
        }
        const cJSON *mc = cJSON_IsObject(merges[i]) ? rs_jt_get(merges[i], "config") : NULL;
        if (rs_js_truthy(mc) && b_assign(b, config, mc) != 0) {
            rs_jt_drop(b, config);
            rc = oom(err);
            goto done;
        }
        if (rs_jt_set_kept(b, meta, "config", config) != 0) {
            rc = oom(err);
            goto done;
        }
    }
    if ((rc = resolve_tools(b, meta, err)) != 0)
        goto done;
    /* without options the schemas are the frontmatter's own values: convert those, so that a
     * mistake is reported where it was written */
    int own_input = !options || !rs_jt_get(options, "input");
    int own_output = !options || !rs_jt_get(options, "output");
    if ((rc = convert_schema(b, meta, "input", "input.schema", p,
                             own_input ? frontmatter_schema(p, "input") : NULL, err)) != 0 ||
        (rc = convert_schema(b, meta, "output", "output.schema", p,
                             own_output ? frontmatter_schema(p, "output") : NULL, err)) != 0)
        goto done;
    *out = meta;
    meta = NULL;
done:
    rs_jt_drop(b, meta);
    return rc;
}

/* ---- compile ---- */

/*
 * Partials: the caller's resolver first, then partials_dir (as the reference's command line:
 * join(DIR, dirname(name), "_" + basename(name) + ".prompt")). *path is the file read (from
 * rs_malloc) or NULL when the resolver answered.
 */
static int find_partial(char **src, size_t *len, char **path_out, const rs_prompt_compile_opts *o,
                        const char *name, rs_error *err)
{
    int rc = RS_ENOTFOUND;
    *src = NULL;
    *path_out = NULL;
    if (o->resolve) {
        rc = o->resolve(src, len, o->resolve_userdata, name, err);
        if (rc != RS_ENOTFOUND)
            return rc;
        rs_free(*src);
        *src = NULL;
    }
    if (!o->partials_dir)
        return RS_ENOTFOUND;
    rs_str path = RS_STR_INIT;
    const char *slash = strrchr(name, '/');
    rs_str_puts(&path, o->partials_dir);
    if (path.len && path.ptr[path.len - 1] != '/')
        rs_str_putc(&path, '/');
    if (slash) {
        rs_str_append(&path, name, (size_t)(slash - name));
        rs_str_putc(&path, '/');
    }
    rs_str_appendf(&path, "_%s.prompt", slash ? slash + 1 : name);
    if (rs_str_error(&path)) {
        rc = rs_str_report(&path, err, "a partial's path");
        goto done;
    }
    struct stat st;
    if (stat(rs_str_cstr(&path), &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = RS_ENOTFOUND;
        goto done;
    }
    rc = rs_file_read(src, len, rs_str_cstr(&path), err);
    if (rc == 0 && !(*path_out = rs_str_detach(&path, NULL))) {
        rs_free(*src);
        *src = NULL;
        rc = oom(err);
    }
done:
    rs_str_free(&path);
    return rc;
}

/* The engine's resolver: find_partial, remembering what was found (for rs_prompt_current) and
 * the file it came from (so that errors inside the partial name the file). */
static int resolve_partial(char **src, size_t *len, void *ud, const char *name, rs_error *err)
{
    rs_prompt *p = ud;
    char *path = NULL;
    int rc = find_partial(src, len, &path, p->opts, name, err);
    if (rc != 0 && rc != RS_ENOTFOUND)
        goto done;
    prompt_dep *d = rs_vec_push_zero(&p->deps);
    if (!d || !(d->name = rs_strdup(name))) {
        if (d)
            p->deps.len--;
        goto nomem;
    }
    d->found = rc == 0;
    if (d->found) {
        rs_sha256 h;
        rs_sha256_init(&h);
        rs_sha256_update(&h, *src ? *src : "", *src ? *len : 0);
        rs_sha256_final(&h, d->hash);
    }
    if (rc == 0 && path && !rs_jt_get(p->partial_files, name) &&
        rs_jt_add(&p->jb, p->partial_files, name, rs_jt_cstring(&p->jb, path)) != 0)
        goto nomem;
    goto done;
nomem:
    rs_free(*src);
    *src = NULL;
    rc = oom(err);
done:
    rs_free(path);
    return rc;
}

int rs_prompt_current(const rs_prompt *p, const rs_prompt_compile_opts *opts)
{
    rs_prompt_compile_opts defaults = RS_PROMPT_COMPILE_OPTS_INIT;
    if (!opts)
        opts = &defaults;
    for (size_t i = 0; i < p->deps.len; i++) {
        const prompt_dep *d = &RS_VEC_AT(&p->deps, prompt_dep, i);
        char *src = NULL, *path = NULL;
        size_t len = 0;
        rs_error local = RS_ERROR_INIT;
        int rc = find_partial(&src, &len, &path, opts, d->name, &local);
        int same = rc == RS_ENOTFOUND ? !d->found : 0;
        if (rc == 0 && d->found) {
            unsigned char digest[RS_SHA256_SIZE];
            rs_sha256 h;
            rs_sha256_init(&h);
            rs_sha256_update(&h, src ? src : "", src ? len : 0);
            rs_sha256_final(&h, digest);
            same = memcmp(digest, d->hash, sizeof(digest)) == 0;
        }
        rs_free(src);
        rs_free(path);
        if (!same)
            return 0;
    }
    return 1;
}

size_t rs_prompt_partials_used(const rs_prompt *p)
{
    return p->deps.len;
}

rs_prompt *rs_prompt_retain(rs_prompt *p)
{
    atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
    return p;
}

/* Move a location the engine reported in the template body to the file. */
static void locate_in_file(const rs_prompt *p, rs_error *err)
{
    if (!err || err->line <= 0)
        return;
    if (err->file[0] && (!p->filename || strcmp(err->file, p->filename) != 0)) {
        /* in a partial: the engine names it; say which file it came from */
        const char *path = rs_json_string(p->partial_files, err->file);
        if (path) {
            char *src = NULL;
            size_t len = 0;
            snprintf(err->file, sizeof(err->file), "%s", path);
            rs_error local = RS_ERROR_INIT;
            if (err->snippet[0] == '\0' && rs_file_read(&src, &len, path, &local) == 0)
                rs_error_set_snippet(err, src, len, err->line);
            rs_free(src);
        }
        return;
    }
    /* where the template starts in the file: only errors need it */
    int body_line, body_col;
    rs_location_of(p->src, p->len, p->fm.body_off, &body_line, &body_col);
    if (err->line == 1)
        err->column += body_col - 1;
    err->line += body_line - 1;
    /* locations inside the message ("opened at 1:7") are in the body too */
    char msg[RS_ERROR_MESSAGE_MAX];
    size_t o = 0;
    const char *m = err->message;
    while (*m && o + 32 < sizeof(msg)) {
        int l, c, used = 0;
        if (strncmp(m, " at ", 4) == 0 && sscanf(m + 4, "%d:%d%n", &l, &c, &used) == 2 &&
            used > 0 && l > 0) {
            if (l == 1)
                c += body_col - 1;
            l += body_line - 1;
            int w = snprintf(msg + o, sizeof(msg) - o, " at %d:%d", l, c);
            if (w < 0 || (size_t)w >= sizeof(msg) - o)
                break;
            o += (size_t)w;
            m += 4 + used;
            continue;
        }
        msg[o++] = *m++;
    }
    if (!*m) {
        msg[o] = '\0';
        snprintf(err->message, sizeof(err->message), "%s", msg);
    }
    rs_error_set_file(err, p->filename);
    rs_error_set_snippet(err, p->src, p->len, err->line);
}

static void compute_hash(rs_prompt *p)
{
    rs_sha256 h;
    rs_sha256_init(&h);
    rs_sha256_update(&h, "rosetta-prompt-1", 17);
    /* the frontmatter as written; the template and its partials are in the engine's hash */
    rs_sha256_update(&h, p->src, p->fm.body_off);
    const char *tpl_hash = rs_hbs_content_hash(p->tpl);
    if (tpl_hash)
        rs_sha256_update(&h, tpl_hash, strlen(tpl_hash) + 1);
    if (p->schemas) {
        char *s = rs_json_print(p->schemas, 0);
        if (s)
            rs_sha256_update(&h, s, strlen(s));
        rs_free(s);
    }
    rs_sha256_final_hex(&h, p->hash);
}

/* 1 when (s, n) is all ASCII, 8 bytes at a time: most prompts are, and then need no UTF-8
 * check (a byte-by-byte one cost more than splitting the frontmatter). */
static int all_ascii(const char *s, size_t n)
{
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        acc |= w;
    }
    for (; i < n; i++)
        acc |= (unsigned char)s[i];
    return (acc & 0x8080808080808080ull) == 0;
}

int rs_prompt_compile(rs_prompt **out, const char *src, size_t len,
                      const rs_prompt_compile_opts *opts, rs_error *err)
{
    rs_prompt_compile_opts defaults = RS_PROMPT_COMPILE_OPTS_INIT;
    int rc = 0;
    *out = NULL;
    if (!opts)
        opts = &defaults;
    /* the prompt, its source, frontmatter values, metadata, schemas and Handlebars program in
     * one arena, whose first block holds a typical prompt's (a block is one large malloc: these
     * cost more than the bump allocations filling them) */
    rs_arena arena;
    rs_arena_init(&arena, 16384 + (src ? len : 0) * 32);
    rs_prompt *p = rs_arena_calloc(&arena, 1, sizeof(*p));
    if (!p) {
        rs_arena_free(&arena);
        return oom(err);
    }
    p->arena = arena;
    atomic_init(&p->refs, 1);
    rs_lazy_init(&p->hash_once);
    rs_vec_init(&p->deps, sizeof(prompt_dep));
    p->jb.arena = &p->arena;
    /* read as the reference reads files: ill-formed UTF-8 becomes U+FFFD */
    if (src && !all_ascii(src, len) && !rs_utf8_valid(src, len)) {
        size_t n = 0;
        char *fixed = rs_utf8_sanitize(src, len, &n);
        p->src = fixed ? rs_arena_strndup(&p->arena, fixed, n) : NULL;
        p->len = n;
        rs_free(fixed);
    } else {
        p->src = rs_arena_strndup(&p->arena, src ? src : "", src ? len : 0);
        p->len = src ? len : 0;
    }
    p->filename =
        opts->filename ? rs_arena_strndup(&p->arena, opts->filename, strlen(opts->filename)) : NULL;
    p->schemas = opts->schemas ? rs_jt_dup(&p->jb, opts->schemas) : NULL;
    p->partial_files = rs_jt_node(&p->jb, cJSON_Object);
    if (!p->src || (opts->filename && !p->filename) || (opts->schemas && !p->schemas) ||
        !p->partial_files) {
        rc = oom(err);
        goto done;
    }
    if (memchr(p->src, '\0', p->len)) {
        size_t off = (size_t)((const char *)memchr(p->src, '\0', p->len) - p->src);
        int line, col;
        rs_location_of(p->src, p->len, off, &line, &col);
        rc = rs_error_set_at(err, RS_ESYNTAX, p->filename, line, col,
                             "the template holds a NUL byte");
        goto done;
    }

    rs_frontmatter_split(&p->fm, p->src, p->len);
    if ((rc = parse_document(p, err)) != 0)
        goto done;
    if ((rc = resolve_metadata(&p->metadata, p, NULL, err)) != 0)
        goto done;
    /* the metadata without input, referring to p->metadata's members (never changed) */
    p->render_base = rs_jt_node(&p->jb, cJSON_Object);
    for (const cJSON *m = p->metadata->child; p->render_base && m; m = m->next) {
        if (strcmp(m->string, "input") != 0 && add_ref(&p->jb, p->render_base, m->string, m) != 0)
            p->render_base = NULL;
    }
    if (!p->render_base) {
        rc = oom(err);
        goto done;
    }
    const cJSON *in = rs_jt_get(p->parsed, "input");
    const cJSON *def = cJSON_IsObject(in) ? rs_jt_get(in, "default") : NULL;
    p->fm_default = rs_js_truthy(def) ? def : NULL;
    const cJSON *min = rs_jt_get(p->metadata, "input");
    const cJSON *sch = cJSON_IsObject(min) ? rs_jt_get(min, "schema") : NULL;
    p->input_schema = cJSON_IsObject(sch) ? sch : NULL;

    size_t nhelpers;
    rs_hbs_options ho = RS_HBS_OPTIONS_INIT;
    ho.escape_html = 0;
    ho.helpers = rs_dotprompt_helpers(&nhelpers);
    ho.nhelpers = nhelpers;
    ho.resolve = resolve_partial;
    ho.resolve_userdata = p;
    ho.filename = opts->filename;
    ho.arena = &p->arena;
    p->opts = opts;
    rc = rs_hbs_compile(&p->tpl, p->src + p->fm.body_off, p->fm.body_len, &ho, err);
    p->opts = NULL;
    if (rc) {
        locate_in_file(p, err);
        goto done;
    }
    *out = p;
    p = NULL;
done:
    if (rc && err && p && p->filename)
        rs_error_set_file(err, p->filename);
    rs_prompt_free(p);
    return rc;
}

void rs_prompt_free(rs_prompt *p)
{
    if (!p)
        return;
    /* the last reference frees: acquire makes every other holder's reads happen before */
    if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) > 1)
        return;
    for (size_t i = 0; i < p->deps.len; i++)
        rs_free(RS_VEC_AT(&p->deps, prompt_dep, i).name);
    rs_vec_free(&p->deps);
    rs_hbs_free(p->tpl);
    rs_yaml_doc_free(&p->doc); /* libyaml's values; the fast path's are in the arena */
    rs_arena arena = p->arena; /* p is in it */
    rs_arena_free(&arena);
}

const cJSON *rs_prompt_metadata(const rs_prompt *p)
{
    return p->metadata;
}

/* Computed on first use: hashing the source on every compile cost a source-to-result render
 * a tenth of its time, and only a caller that keys prompts by content asks. The prompt is
 * otherwise immutable; hash_once guards the one late write for concurrent readers. */
const char *rs_prompt_hash(const rs_prompt *p)
{
    rs_prompt *w = (rs_prompt *)p; /* allocated non-const by rs_prompt_compile */
    if (rs_lazy_begin(&w->hash_once)) {
        compute_hash(w);
        rs_lazy_end(&w->hash_once);
    }
    return p->hash;
}

int rs_prompt_render_metadata(cJSON **out, const rs_prompt *p, const cJSON *options, rs_error *err)
{
    *out = NULL;
    if (!options) {
        *out = cJSON_Duplicate(p->metadata, 1);
        return *out ? 0 : oom(err);
    }
    return resolve_metadata(out, p, options, err);
}

/* ---- render ---- */

/* Object.assign(target, {...src}) without copying: target's members refer to src's (which must
 * outlive target). Non-objects are spread by copy (rare: data.input as a list or a string). */
static int js_assign_ref(cJSON *target, const cJSON *src)
{
    if (!cJSON_IsObject(src))
        return js_assign(target, src);
    for (const cJSON *m = src->child; m; m = m->next) {
        int rc = cJSON_GetObjectItemCaseSensitive(target, m->string)
                     ? js_set(target, m->string, make_ref(m))
                     : add_ref_cs(target, m->string, m); /* src outlives target: keys too */
        if (rc != 0)
            return RS_ENOMEM;
    }
    return 0;
}

/* The members of the render's data that rendering reads (the first of each name, as a lookup
 * finds it), found in one pass. */
typedef struct data_parts {
    const cJSON *input, *context, *messages, *docs;
} data_parts;

static void find_data_parts(const cJSON *data, data_parts *dp)
{
    static const char *const keys[] = {"input", "context", "messages", "docs"};
    const cJSON *found[4];
    rs_json_members(data, 4, keys, found);
    dp->input = found[0];
    dp->context = found[1];
    dp->messages = found[2];
    dp->docs = found[3];
}

/* @data for the template: {metadata: {prompt, docs, messages}, ...data.context}. Members refer
 * to the caller's trees (cJSON references), nothing is copied. */
static int build_data(cJSON **out, const rs_prompt *p, const data_parts *dp)
{
    cJSON *d = cJSON_CreateObject();
    cJSON *meta = d ? cJSON_CreateObject() : NULL;
    *out = d;
    if (!meta || !cJSON_AddItemToObjectCS(d, "metadata", meta)) {
        cJSON_Delete(meta);
        return RS_ENOMEM;
    }
    if (add_ref_cs(meta, "prompt", p->render_base) != 0)
        return RS_ENOMEM;
    const cJSON *docs = dp->docs, *msgs = dp->messages, *ctx = dp->context;
    if (docs && add_ref_cs(meta, "docs", docs) != 0)
        return RS_ENOMEM;
    if (msgs && add_ref_cs(meta, "messages", msgs) != 0)
        return RS_ENOMEM;
    if (cJSON_IsObject(ctx)) {
        for (const cJSON *m = ctx->child; m; m = m->next) {
            if (cJSON_GetObjectItemCaseSensitive(d, m->string))
                cJSON_DeleteItemFromObjectCaseSensitive(d, m->string);
            if (add_ref_cs(d, m->string, m) != 0) /* d lives only during the render */
                return RS_ENOMEM;
        }
    } else if (ctx && js_assign(d, ctx) != 0) {
        return RS_ENOMEM;
    }
    return 0;
}

/*
 * The root context and @data without the heap: cJSON nodes in a caller's (stack) array that refer
 * to the data's and the prompt's trees, never cJSON_Delete'd. The template only reads them. When
 * a value would need copying (a non-object spread, as `...data.input` of a list) or the array is
 * full, the caller builds them on the heap instead (build_context / build_data).
 */
typedef struct tmp_nodes {
    cJSON *items;
    size_t len, cap;
} tmp_nodes;

#define TMP_NODES 48

/* n = a reference to item's value (its string, members or number), keeping n's key. */
static void tmp_ref(cJSON *n, const cJSON *item)
{
    int type = item->type & 0xFF;
    n->type = type | (n->type & cJSON_StringIsConst);
    n->child = NULL;
    n->valuestring = NULL;
    if (type == cJSON_Object || type == cJSON_Array) {
        n->child = item->child;
        n->type |= cJSON_IsReference;
    } else if (type == cJSON_String || type == cJSON_Raw) {
        n->valuestring = item->valuestring;
        n->type |= cJSON_IsReference;
    }
    n->valueint = item->valueint;
    n->valuedouble = item->valuedouble;
}

static cJSON *tmp_new(tmp_nodes *t, int type)
{
    if (t->len == t->cap)
        return NULL;
    cJSON *n = &t->items[t->len++];
    memset(n, 0, sizeof(*n));
    n->type = type;
    return n;
}

static void tmp_unlink(cJSON *obj, cJSON *n)
{
    if (n == obj->child)
        obj->child = n->next;
    else
        n->prev->next = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else if (obj->child)
        obj->child->prev = n->prev;
    n->prev = n->next = NULL;
}

static void tmp_link(cJSON *obj, cJSON *n)
{
    if (!obj->child) {
        obj->child = n;
        n->prev = n;
        return;
    }
    cJSON *tail = obj->child->prev;
    tail->next = n;
    n->prev = tail;
    obj->child->prev = n;
}

/* obj[key] = a reference to item: in place when present (JavaScript assignment), or removed and
 * added at the end (to_end: delete-then-add). 0, or -1 when the array is full. */
static int tmp_set(tmp_nodes *t, cJSON *obj, const char *key, const cJSON *item, int to_end)
{
    cJSON *n = rs_jt_get(obj, key);
    if (n && !to_end) {
        tmp_ref(n, item);
        return 0;
    }
    if (n)
        tmp_unlink(obj, n);
    if (!(n = tmp_new(t, 0)))
        return -1;
    n->string = (char *)key; /* the key's tree outlives the render; never freed */
    n->type = cJSON_StringIsConst;
    tmp_ref(n, item);
    tmp_link(obj, n);
    return 0;
}

static int tmp_assign(tmp_nodes *t, cJSON *obj, const cJSON *src)
{
    for (const cJSON *m = src->child; m; m = m->next) {
        if (tmp_set(t, obj, m->string, m, 0) != 0)
            return -1;
    }
    return 0;
}

/* The root context and @data in t, or -1 (then build them on the heap). */
static int tmp_build(tmp_nodes *t, cJSON **context, cJSON **hdata, const rs_prompt *p,
                     const cJSON *fm_default, const cJSON *odef, const data_parts *dp)
{
    const cJSON *input = dp->input, *ctx = dp->context;
    if ((fm_default && !cJSON_IsObject(fm_default)) || (odef && !cJSON_IsObject(odef)) ||
        (input && !cJSON_IsObject(input)) || (ctx && !cJSON_IsObject(ctx)))
        return -1;
    cJSON *c = tmp_new(t, cJSON_Object), *d = tmp_new(t, cJSON_Object);
    cJSON *meta = tmp_new(t, cJSON_Object);
    if (!c || !d || !meta)
        return -1;
    if ((fm_default && tmp_assign(t, c, fm_default) != 0) ||
        (odef && tmp_assign(t, c, odef) != 0) || (input && tmp_assign(t, c, input) != 0))
        return -1;
    meta->string = (char *)"metadata";
    meta->type |= cJSON_StringIsConst;
    tmp_link(d, meta);
    const cJSON *docs = dp->docs, *msgs = dp->messages;
    if (tmp_set(t, meta, "prompt", p->render_base, 0) != 0 ||
        (docs && tmp_set(t, meta, "docs", docs, 0) != 0) ||
        (msgs && tmp_set(t, meta, "messages", msgs, 0) != 0))
        return -1;
    for (const cJSON *m = ctx ? ctx->child : NULL; m; m = m->next) {
        if (tmp_set(t, d, m->string, m, 1) != 0)
            return -1;
    }
    *context = c;
    *hdata = d;
    return 0;
}

/* The result object in b: render_base's members (shared with p or copied) and the messages, which
 * take the place of a "messages" member as a JavaScript assignment would. */
static cJSON *build_result(const rs_jt *b, const rs_prompt *p, cJSON *messages, int share)
{
    cJSON *result = rs_jt_node(b, cJSON_Object);
    int placed = 0;
    for (const cJSON *m = p->render_base->child; result && m; m = m->next) {
        int rc;
        if (!placed && m->string[0] == 'm' && strcmp(m->string, "messages") == 0) {
            placed = 1;
            rc = rs_jt_add_kept(b, result, "messages", messages);
        } else if (share) {
            /* the result does not outlive p: neither values nor keys are copied */
            rc = rs_jt_add_kept(b, result, m->string, rs_jt_ref(b, m));
        } else {
            rc = rs_jt_add(b, result, m->string, rs_jt_dup(b, m));
        }
        if (rc != 0) {
            if (!placed)
                rs_jt_drop(b, messages);
            rs_jt_drop(b, result);
            return NULL;
        }
    }
    if (!result) {
        rs_jt_drop(b, messages);
        return NULL;
    }
    if (!placed && rs_jt_add_kept(b, result, "messages", messages) != 0) {
        rs_jt_drop(b, result);
        return NULL;
    }
    return result;
}

/* A size hint for the rendered text: about the template's size, within reason. */
static size_t text_hint(const rs_prompt *p)
{
    size_t n = p->len - p->fm.body_off;
    return n < 16384 ? n + 256 : 16384;
}

int rs_prompt_render_arena(const cJSON **out, rs_arena *arena, const rs_prompt *p,
                           const cJSON *data, const cJSON *options,
                           const rs_prompt_render_opts *ro, rs_error *err)
{
    cJSON tmp_items[TMP_NODES];
    tmp_nodes tmp = {tmp_items, 0, TMP_NODES};
    const cJSON *use_context = NULL, *use_hdata = NULL;
    rs_prompt_render_opts defaults = RS_PROMPT_RENDER_OPTS_INIT;
    const rs_jt b = {arena};
    cJSON *context = NULL, *hdata = NULL, *messages = NULL, *result = NULL;
    rs_str text = RS_STR_INIT;
    int rc = 0;
    *out = NULL;
    if (!ro)
        ro = &defaults;

    if (data && !cJSON_IsObject(data) && !cJSON_IsNull(data)) {
        rc = rs_error_set(err, RS_EINVAL, "data must be a JSON object, got %s",
                          kind_with_article(data));
        goto done;
    }
    if (cJSON_IsNull(data))
        data = NULL;
    data_parts dp;
    find_data_parts(data, &dp);
    const cJSON *history = dp.messages;
    if (history && !cJSON_IsArray(history) && !cJSON_IsNull(history)) {
        rc = rs_error_set(err, RS_EINVAL, "data.messages must be an array of messages, got %s",
                          kind_with_article(history));
        goto done;
    }

    const cJSON *oin = options ? cJSON_GetObjectItemCaseSensitive(options, "input") : NULL;
    const cJSON *odef =
        cJSON_IsObject(oin) ? cJSON_GetObjectItemCaseSensitive(oin, "default") : NULL;
    const cJSON *fm_default = ro->apply_input_default ? p->fm_default : NULL;
    cJSON *tc = NULL, *td = NULL;
    if (tmp_build(&tmp, &tc, &td, p, fm_default, rs_js_truthy(odef) ? odef : NULL, &dp) == 0) {
        use_context = tc;
        use_hdata = td;
        goto built;
    }

    /* the root context: {...frontmatter input.default (Rosetta), ...options.input.default,
     * ...data.input} */
    context = cJSON_CreateObject();
    if (!context)
        goto nomem;
    if (fm_default && js_assign_ref(context, fm_default) != 0)
        goto nomem;
    if (rs_js_truthy(odef) && js_assign_ref(context, odef) != 0)
        goto nomem;
    if (dp.input && js_assign_ref(context, dp.input) != 0)
        goto nomem;
    if (build_data(&hdata, p, &dp) != 0)
        goto nomem;
    use_context = context;
    use_hdata = hdata;
built:

    if (ro->strict && p->input_schema) {
        rc = rs_jsonschema_validate(p->input_schema, use_context, "input", err);
        if (rc == RS_ESCHEMA) {
            char msg[RS_ERROR_MESSAGE_MAX];
            snprintf(msg, sizeof(msg), "%s", err->message);
            rs_error_set(err, RS_ESCHEMA, "input does not match input.schema: %s", msg);
        }
        if (rc)
            goto done;
    }

    rs_str_reserve(&text, text_hint(p)); /* a failure here shows in the render */
    rc = rs_hbs_render(&text, p->tpl, use_context, use_hdata, err);
    if (rc) {
        locate_in_file(p, err);
        rs_error_set_file(err, p->filename);
        goto done;
    }
    rc = rs_dotprompt_messages_build(&messages, &b, rs_str_cstr(&text), text.len, history,
                                     ro->share_data, err);
    if (rc)
        goto done;
    result = build_result(&b, p, messages, ro->share_metadata);
    messages = NULL; /* taken over (or dropped) */
    if (!result)
        goto nomem;
    *out = result;
    result = NULL;
    goto done;
nomem:
    rc = oom(err);
done:
    rs_str_free(&text);
    cJSON_Delete(context);
    cJSON_Delete(hdata);
    rs_jt_drop(&b, messages);
    rs_jt_drop(&b, result);
    return rc;
}

int rs_prompt_render(cJSON **out, const rs_prompt *p, const cJSON *data, const cJSON *options,
                     const rs_prompt_render_opts *ro, rs_error *err)
{
    /* built in an arena (on the stack while it fits), then copied to the heap once: one way of
     * building the result */
    unsigned char first[4096];
    rs_arena arena;
    const cJSON *r = NULL;
    rs_arena_init_buffer(&arena, first, sizeof(first), 4096);
    *out = NULL;
    int rc = rs_prompt_render_arena(&r, &arena, p, data, options, ro, err);
    if (rc == 0 && !(*out = rs_jt_heap_copy(r)))
        rc = oom(err);
    rs_arena_free(&arena);
    return rc;
}
