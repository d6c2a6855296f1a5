/*
 * runner/run_source.c - running a .prompt file outside the registry (--source): the file and its
 * sibling variants (NAME.VARIANT.prompt), compiled once per runner and reused by every run of a
 * batch; partials are the sibling _NAME.prompt files, as `rosetta render --source`.
 */
#include "runner/run.h"

#include "render/prompt.h"
#include "render/variant.h"
#include "util/alloc.h"
#include "util/file.h"
#include "util/str.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* The rosetta.targets globs of a compiled variant (frontmatter "rosetta.targets"). */
static const cJSON *variant_targets(const rs_prompt *p)
{
    const cJSON *md = rs_prompt_metadata(p);
    const cJSON *raw = cJSON_GetObjectItemCaseSensitive(md, "raw");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(raw, "rosetta.targets");
    if (!t) {
        const cJSON *ext = cJSON_GetObjectItemCaseSensitive(md, "ext");
        t = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ext, "rosetta"),
                                             "targets");
    }
    return cJSON_IsArray(t) ? t : NULL;
}

/*
 * --source FILE: the variants are the sibling files NAME.VARIANT.prompt. They are compiled once
 * per runner and kept (a batch renders the same prompt thousands of times); an entry is rebuilt
 * when the base file's size or modification time changed.
 */
typedef struct source_entry {
    char *path;
    struct timespec mtime;
    off_t size;
    rs_vec progs; /* of rs_prompt *: [0] the base, then one per variant */
    rs_vec names; /* of char *: [0] NULL */
    rs_vec globs; /* of const char **: rosetta.targets per candidate (borrowed from progs) */
    rs_vec cands; /* of rs_variant_candidate */
} source_entry;

static void source_entry_free(source_entry *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->progs.len; i++)
        rs_prompt_free(RS_VEC_AT(&e->progs, rs_prompt *, i));
    for (size_t i = 0; i < e->names.len; i++)
        rs_free(RS_VEC_AT(&e->names, char *, i));
    for (size_t i = 0; i < e->globs.len; i++)
        rs_free((void *)RS_VEC_AT(&e->globs, const char **, i));
    rs_vec_free(&e->progs);
    rs_vec_free(&e->names);
    rs_vec_free(&e->globs);
    rs_vec_free(&e->cands);
    rs_free(e->path);
    rs_free(e);
}

/* Compile one file and add it as a candidate (variant NULL = the base). Takes vname. */
static int add_candidate(source_entry *e, const char *file, const char *dir, char *vname,
                         rs_error *err)
{
    int rc = 0;
    char *src = NULL;
    size_t len = 0;
    rs_prompt *p = NULL;
    const char **g = NULL;
    rs_prompt_compile_opts co = RS_PROMPT_COMPILE_OPTS_INIT;
    co.filename = file;
    co.partials_dir = dir; /* {{> name}} is the sibling _name.prompt, as `render --source` */
    if ((rc = rs_file_read(&src, &len, file, err)) != 0 ||
        (rc = rs_prompt_compile(&p, src, len, &co, err)) != 0)
        goto done;
    const cJSON *t = vname ? variant_targets(p) : NULL;
    size_t nt = t ? (size_t)cJSON_GetArraySize(t) : 0, k = 0;
    if (nt && !(g = rs_calloc(nt, sizeof *g)))
        goto oom;
    const cJSON *it;
    cJSON_ArrayForEach(it, t)
    {
        if (cJSON_IsString(it))
            g[k++] = it->valuestring;
    }
    if (rs_vec_reserve(&e->progs, 1) || rs_vec_reserve(&e->names, 1) ||
        rs_vec_reserve(&e->globs, 1) || rs_vec_reserve(&e->cands, 1))
        goto oom;
    rs_variant_candidate c = {vname, g, k};
    rs_vec_push(&e->progs, &p);
    rs_vec_push(&e->names, &vname);
    rs_vec_push(&e->globs, &g);
    rs_vec_push(&e->cands, &c);
    p = NULL;
    g = NULL;
    vname = NULL;
    goto done;
oom:
    rc = rs_error_set(err, RS_ENOMEM, "out of memory compiling %s", file);
done:
    rs_prompt_free(p);
    rs_free((void *)g);
    rs_free(vname);
    rs_free(src);
    return rc;
}

static int source_entry_build(source_entry **out, const char *path, const char *name,
                              const struct stat *sb, rs_error *err)
{
    int rc = 0;
    source_entry *e = rs_calloc(1, sizeof *e);
    *out = NULL;
    if (!e || !(e->path = rs_strdup(path))) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    e->mtime = sb->st_mtim;
    e->size = sb->st_size;
    rs_vec_init(&e->progs, sizeof(rs_prompt *));
    rs_vec_init(&e->names, sizeof(char *));
    rs_vec_init(&e->globs, sizeof(const char **));
    rs_vec_init(&e->cands, sizeof(rs_variant_candidate));
    const char *slash = strrchr(path, '/');
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
    if ((rc = add_candidate(e, path, dir, NULL, err)) != 0)
        goto done;
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t nl = strlen(name);
    while (rc == 0 && d && (de = readdir(d)) != NULL) {
        const char *f = de->d_name;
        size_t fl = strlen(f);
        if (fl <= nl + 8 || strncmp(f, name, nl) != 0 || f[nl] != '.' ||
            strcmp(f + fl - 7, ".prompt") != 0 || memchr(f + nl + 1, '.', fl - nl - 8))
            continue;
        rs_str fp = RS_STR_INIT;
        rs_str_appendf(&fp, "%s/%s", dir, f);
        char *vname = rs_strndup(f + nl + 1, fl - nl - 8);
        if (!vname || rs_str_error(&fp))
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        else
            rc = add_candidate(e, rs_str_cstr(&fp), dir, vname, err);
        if (rc && vname && rs_str_error(&fp))
            rs_free(vname);
        rs_str_free(&fp);
    }
    if (d)
        closedir(d);
    if (rc == 0) {
        *out = e;
        e = NULL;
    }
done:
    source_entry_free(e);
    return rc;
}

int rs_source_render(cJSON **rendered, char **variant, rs_vec *cache, const char *path,
                     const char *name, const char *target, const char *forced, const cJSON *data,
                     rs_error *err)
{
    int rc = 0;
    char *reason = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return rs_error_set(err, RS_ENOTFOUND, "%s: cannot read the prompt file", path);
    source_entry *e = NULL;
    size_t at = 0;
    for (; at < cache->len; at++) {
        source_entry *c = RS_VEC_AT(cache, source_entry *, at);
        if (strcmp(c->path, path) == 0) {
            e = c;
            break;
        }
    }
    if (e && (e->size != sb.st_size || e->mtime.tv_sec != sb.st_mtim.tv_sec ||
              e->mtime.tv_nsec != sb.st_mtim.tv_nsec)) {
        source_entry_free(e); /* edited since: recompile */
        RS_VEC_AT(cache, source_entry *, at) = RS_VEC_AT(cache, source_entry *, cache->len - 1);
        cache->len--;
        e = NULL;
    }
    if (!e) {
        if ((rc = source_entry_build(&e, path, name, &sb, err)) != 0)
            return rc;
        if (rs_vec_push(cache, &e) != 0) {
            source_entry_free(e);
            return rs_error_set(err, RS_ENOMEM, "out of memory");
        }
    }
    size_t idx = 0;
    *variant = NULL;
    rc = rs_variant_choose(&idx, &reason, e->cands.items, e->cands.len, target, forced, err);
    if (rc == 0 && idx > 0) {
        *variant = rs_strdup(RS_VEC_AT(&e->cands, rs_variant_candidate, idx).variant);
        if (!*variant)
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
    }
    if (rc == 0) {
        rs_prompt_render_opts ro = RS_PROMPT_RENDER_OPTS_INIT;
        rc = rs_prompt_render(rendered, RS_VEC_AT(&e->progs, rs_prompt *, idx), data, NULL, &ro,
                              err);
    }
    rs_free(reason);
    return rc;
}

void rs_source_cache_init(rs_vec *cache)
{
    rs_vec_init(cache, sizeof(source_entry *));
}

void rs_source_cache_free(rs_vec *cache)
{
    for (size_t i = 0; i < cache->len; i++)
        source_entry_free(RS_VEC_AT(cache, source_entry *, i));
    rs_vec_free(cache);
}
