/*
 * registry/save.c - rosetta save: validate every changed prompt, then commit them together.
 *
 * A save holds the registry's work-tree lock from reading the work tree to updating the index,
 * so it sees the tree as the previous writer left it; the commit itself is a compare-and-swap on
 * the branch ref, rebuilt on the new tip when a plain-git commit slipped in. Only the changed
 * paths are written into the tip's tree (never the index's tree), so a concurrent writer's files
 * are never reverted.
 */
#include "registry/internal.h"
#include "templates/yaml_json.h"

#include "util/alloc.h"
#include "util/file.h"
#include "util/json.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ATTEMPTS 400

struct change {
    char *path; /* relative to the work tree */
    int deleted;
    git_oid blob; /* the new content (stored in the odb before committing) */
    char *src;    /* the new content, for validation */
    size_t len;
};

struct state {
    rs_registry *reg;
    git_oid tip;
    struct change *ch;
    size_t n;
};

static void changes_free(struct change *ch, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        rs_free(ch[i].path);
        rs_free(ch[i].src);
    }
    rs_free(ch);
}

static const struct change *find_change(const struct state *st, const char *path)
{
    for (size_t i = 0; i < st->n; i++)
        if (strcmp(st->ch[i].path, path) == 0)
            return &st->ch[i];
    return NULL;
}

/* Read path as it will be after the save: the changed content, else the tip's. */
static int read_new(char **src, size_t *len, const struct state *st, const char *path,
                    rs_error *err)
{
    const struct change *c = find_change(st, path);
    if (c) {
        if (c->deleted)
            return rs_error_set(err, RS_ENOTFOUND, "%s is deleted by this save", path);
        *src = rs_strndup(c->src, c->len);
        *len = c->len;
        return *src ? 0 : rs_error_set(err, RS_ENOMEM, "out of memory");
    }
    return reg_read_at(src, len, st->reg, &st->tip, path, err);
}

static int resolve_new(char **src, size_t *len, void *userdata, const char *name, rs_error *err)
{
    const struct state *st = userdata;
    rs_str path = RS_STR_INIT;
    int rc = rs_registry_check_name(name, err);
    if (rc)
        return rc;
    reg_partial_path(&path, name);
    if ((rc = rs_str_report(&path, err, "a partial path")) == 0) {
        rs_error local = RS_ERROR_INIT;
        rc = read_new(src, len, st, path.ptr, &local);
        if (rc == RS_ENOTFOUND)
            rc =
                rs_error_set(err, RS_ENOTFOUND, "partial '%s' (%s) does not exist", name, path.ptr);
        else if (rc && err)
            *err = local;
    }
    rs_str_free(&path);
    return rc;
}

static int validate_jsonl(const char *path, const char *src, size_t len, rs_error *err)
{
    size_t start = 0;
    int line = 1;
    while (start < len) {
        size_t end = start;
        while (end < len && src[end] != '\n')
            end++;
        size_t s = start;
        while (s < end && (src[s] == ' ' || src[s] == '\t' || src[s] == '\r'))
            s++;
        if (s < end) {
            cJSON *v = NULL;
            int rc = rs_json_parse(&v, src + start, end - start, path, err);
            if (rc == 0 && !cJSON_IsObject(v))
                rc = rs_error_set_at(err, RS_ESYNTAX, path, line, 1,
                                     "a dataset line must be a JSON object {\"vars\": {...}}");
            cJSON_Delete(v);
            if (rc) {
                if (err) {
                    err->line = line;
                    rs_error_set_snippet(err, src, len, line);
                }
                return rc;
            }
        }
        start = end + 1;
        line++;
    }
    return 0;
}

static int validate_prompt_file(const struct state *st, const char *path, const char *src,
                                size_t len, rs_error *err)
{
    return reg_validate_source(path, src, len, resolve_new, (void *)st, err);
}

/* Every .prompt file under prompts/ at the tip, for re-validating after a partial changed. */
static int tip_prompt_paths(cJSON *out, rs_registry *reg, git_tree *t, const char *prefix,
                            int depth, rs_error *err)
{
    size_t n = git_tree_entrycount(t);
    for (size_t i = 0; i < n; i++) {
        const git_tree_entry *e = git_tree_entry_byindex(t, i);
        rs_str p = RS_STR_INIT;
        rs_str_appendf(&p, "%s%s", prefix, git_tree_entry_name(e));
        int rc = rs_str_report(&p, err, "a path");
        if (rc == 0 && git_tree_entry_type(e) == GIT_OBJECT_TREE && depth < 32) {
            git_tree *sub = NULL;
            int grc = git_tree_lookup(&sub, reg->repo, git_tree_entry_id(e));
            if (grc < 0) {
                rc = reg_git_fail(err, grc, "cannot read %s", p.ptr);
            } else {
                rs_str_putc(&p, '/');
                rc = tip_prompt_paths(out, reg, sub, p.ptr, depth + 1, err);
            }
            git_tree_free(sub);
        } else if (rc == 0 && p.len > 7 && strcmp(p.ptr + p.len - 7, ".prompt") == 0) {
            cJSON_AddItemToArray(out, cJSON_CreateString(p.ptr));
        }
        rs_str_free(&p);
        if (rc)
            return rc;
    }
    return 0;
}

static int validate_all(const struct state *st, rs_error *err)
{
    int partial_changed = 0, rc = 0;
    char name[MAX_NAME + 1], variant[MAX_NAME + 1];
    for (size_t i = 0; i < st->n && rc == 0; i++) {
        const struct change *c = &st->ch[i];
        const char *p = c->path;
        size_t pl = strlen(p);
        if (strncmp(p, PROMPTS_DIR, strlen(PROMPTS_DIR)) == 0 && pl > 7 &&
            strcmp(p + pl - 7, ".prompt") == 0) {
            int kind = reg_classify(p + strlen(PROMPTS_DIR), name, variant);
            if (kind == 0 && !c->deleted)
                rc = rs_error_set_at(err, RS_EINVAL, p, 0, 0,
                                     "not a valid prompt file name: use NAME.prompt, "
                                     "NAME.VARIANT.prompt or _PARTIAL.prompt with letters, digits, "
                                     "'_' and '-'");
            else if (kind == 2)
                partial_changed = 1;
            if (rc == 0 && !c->deleted)
                rc = validate_prompt_file(st, p, c->src, c->len, err);
        } else if (!c->deleted && strcmp(p, LABELS_FILE) == 0) {
            cJSON *doc = NULL;
            rc = reg_labels_parse(&doc, c->src, c->len, LABELS_FILE, err);
            cJSON_Delete(doc);
        } else if (!c->deleted && strcmp(p, CONFIG_FILE) == 0) {
            cJSON *doc = NULL;
            rs_yaml_opts yo = RS_YAML_OPTS_INIT;
            yo.filename = CONFIG_FILE;
            yo.file_src = c->src;
            yo.file_len = c->len;
            rc = rs_yaml_to_json(&doc, c->src, c->len, &yo, err);
            if (rc == 0 && !cJSON_IsObject(doc) && !cJSON_IsNull(doc))
                rc = rs_error_set_at(err, RS_ECONFIG, CONFIG_FILE, 1, 1,
                                     CONFIG_FILE " must be a YAML mapping");
            cJSON_Delete(doc);
        } else if (!c->deleted && pl > 6 && strcmp(p + pl - 6, ".jsonl") == 0) {
            rc = validate_jsonl(p, c->src, c->len, err);
        }
    }
    if (rc || !partial_changed)
        return rc;
    /* A partial changed: every prompt that might use it must still compile. */
    git_commit *c = NULL;
    git_tree *root = NULL, *pt = NULL;
    git_tree_entry *e = NULL;
    cJSON *paths = cJSON_CreateArray();
    if (!paths)
        return rs_error_set(err, RS_ENOMEM, "out of memory");
    int grc = git_commit_lookup(&c, st->reg->repo, &st->tip);
    if (grc == 0)
        grc = git_commit_tree(&root, c);
    if (grc < 0) {
        rc = reg_git_fail(err, grc, "cannot read the branch tip");
        goto done;
    }
    if (git_tree_entry_bypath(&e, root, "prompts") == 0 &&
        git_tree_entry_type(e) == GIT_OBJECT_TREE) {
        if ((grc = git_tree_lookup(&pt, st->reg->repo, git_tree_entry_id(e))) < 0) {
            rc = reg_git_fail(err, grc, "cannot read prompts/");
            goto done;
        }
        if ((rc = tip_prompt_paths(paths, st->reg, pt, PROMPTS_DIR, 0, err)))
            goto done;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, paths)
    {
        const char *p = it->valuestring;
        if (find_change(st, p) || reg_classify(p + strlen(PROMPTS_DIR), name, variant) != 1)
            continue; /* changed ones were checked above; partials are checked through users */
        char *src = NULL;
        size_t len = 0;
        if ((rc = read_new(&src, &len, st, p, err)) == 0)
            rc = validate_prompt_file(st, p, src, len, err);
        rs_free(src);
        if (rc)
            goto done;
    }
done:
    cJSON_Delete(paths);
    git_tree_entry_free(e);
    git_tree_free(pt);
    git_tree_free(root);
    git_commit_free(c);
    return rc;
}

static int in_scope(const char *path)
{
    return strncmp(path, PROMPTS_DIR, strlen(PROMPTS_DIR)) == 0 ||
           strncmp(path, "datasets/", 9) == 0 || strcmp(path, CONFIG_FILE) == 0 ||
           strcmp(path, LABELS_FILE) == 0;
}

/* The paths whose work-tree content differs from the tip (new, modified, deleted). */
static int collect(struct state *st, const char *const *paths, size_t npaths, rs_error *err)
{
    rs_registry *reg = st->reg;
    git_status_list *sl = NULL;
    git_status_options so;
    static const char *const dflt[] = {"prompts", "datasets", CONFIG_FILE, LABELS_FILE};
    char **spec = NULL;
    size_t cap = 0;
    int rc = 0;
    git_status_options_init(&so, GIT_STATUS_OPTIONS_VERSION);
    so.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
    so.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS;
    size_t nspec = npaths ? npaths : sizeof dflt / sizeof dflt[0];
    if (!(spec = rs_calloc(nspec, sizeof *spec)))
        return rs_error_set(err, RS_ENOMEM, "out of memory");
    for (size_t i = 0; i < nspec; i++)
        spec[i] = (char *)(npaths ? paths[i] : dflt[i]);
    so.pathspec.strings = spec;
    so.pathspec.count = nspec;
    int grc = git_status_list_new(&sl, reg->repo, &so);
    if (grc < 0) {
        rc = reg_git_fail(err, grc, "cannot read the status of %s", reg->root);
        goto done;
    }
    size_t n = git_status_list_entrycount(sl);
    for (size_t i = 0; i < n; i++) {
        const git_status_entry *se = git_status_byindex(sl, i);
        const git_diff_delta *d = se->index_to_workdir ? se->index_to_workdir : se->head_to_index;
        if (!d || se->status == GIT_STATUS_CURRENT || (se->status & GIT_STATUS_IGNORED))
            continue;
        const char *path = d->new_file.path ? d->new_file.path : d->old_file.path;
        if (!npaths && !in_scope(path))
            continue;
        if (find_change(st, path))
            continue;
        char full[PATH_MAX];
        int fl = snprintf(full, sizeof full, "%s%s", reg->root, path);
        if (fl < 0 || (size_t)fl >= sizeof full) {
            rc = rs_error_set(err, RS_ELIMIT, "path too long: %s", path);
            goto done;
        }
        struct change c;
        memset(&c, 0, sizeof c);
        struct stat sb;
        int exists = lstat(full, &sb) == 0;
        if (exists && !S_ISREG(sb.st_mode))
            continue;
        git_oid tip_blob;
        int at_tip = reg_blob_oid_at(&tip_blob, reg, &st->tip, path, NULL) == 0;
        if (exists) {
            if ((rc = rs_file_read(&c.src, &c.len, full, err)))
                goto done;
            if ((grc = git_blob_create_from_buffer(&c.blob, reg->repo, c.src, c.len)) < 0) {
                rs_free(c.src);
                rc = reg_git_fail(err, grc, "cannot store %s", path);
                goto done;
            }
            if (at_tip && git_oid_equal(&c.blob, &tip_blob)) {
                rs_free(c.src);
                continue;
            }
        } else {
            if (!at_tip)
                continue;
            c.deleted = 1;
        }
        if (!(c.path = rs_strdup(path))) {
            rs_free(c.src);
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
        if (st->n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            struct change *nc = rs_realloc(st->ch, ncap * sizeof *nc);
            if (!nc) {
                rs_free(c.path);
                rs_free(c.src);
                rc = rs_error_set(err, RS_ENOMEM, "out of memory");
                goto done;
            }
            st->ch = nc;
            cap = ncap;
        }
        st->ch[st->n++] = c;
    }
done:
    git_status_list_free(sl);
    rs_free(spec);
    return rc;
}

static int index_locked(rs_registry *reg, rs_error *err)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%sindex.lock", git_repository_path(reg->repo));
    if (n < 0 || (size_t)n >= sizeof path)
        return rs_error_set(err, RS_ELIMIT, "path too long");
    if (access(path, F_OK) == 0)
        return rs_error_set(err, RS_ECONFLICT,
                            "the index is locked (%s exists): another git process is running in "
                            "%s; if none is, remove that file",
                            path, reg->root);
    return 0;
}

static int save_locked(cJSON **result, rs_registry *reg, const char *branch,
                       const char *const *paths, size_t npaths, const char *message, rs_error *err);

/* Versions are counted after the lock is released: the history walk is the slow part of a save
   and needs no exclusion (the commit is immutable). */
static int add_versions(cJSON *result, rs_registry *reg, rs_error *err)
{
    const char *hex = rs_json_string(result, "commit");
    git_oid commit;
    const cJSON *p;
    if (!hex || git_oid_fromstr(&commit, hex) < 0)
        return 0;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(result, "prompts"))
    {
        int v = 0;
        int rc = reg_version_at(&v, reg, rs_json_string(p, "name"), &commit, err);
        if (rc)
            return rc;
        cJSON_ReplaceItemInObjectCaseSensitive((cJSON *)p, "version", cJSON_CreateNumber(v));
    }
    return 0;
}

int rs_registry_save(char **json, rs_registry *reg, const char *const *paths, size_t npaths,
                     const char *message, rs_error *err)
{
    /* libgit2 from the start: this command writes, walks history or lists trees */
    int git_rc = reg_git(reg, err);
    if (git_rc) {
        *json = NULL;
        return git_rc;
    }
    char *branch = NULL;
    int fd = -1;
    if (json)
        *json = NULL;
    if (!message || !*message)
        return rs_error_set(err, RS_EINVAL, "a save needs a message (-m MESSAGE)");
    for (size_t i = 0; i < npaths; i++) {
        const char *p = paths[i];
        if (!p || !*p || p[0] == '/' || strstr(p, "..") || strncmp(p, ".git", 4) == 0)
            return rs_error_set(err, RS_EINVAL,
                                "'%s' is not a path inside the registry's work tree", p ? p : "");
    }
    cJSON *result = NULL;
    int rc = reg_need_branch(reg, &branch, err);
    if (rc == 0 && (rc = reg_lock(&fd, reg, err)) == 0) {
        rc = save_locked(&result, reg, branch, paths, npaths, message, err);
        reg_unlock(fd, reg);
    }
    reg_invalidate(reg);
    if (rc == 0)
        rc = add_versions(result, reg, err);
    if (rc == 0 && json) {
        rc = reg_json_out(json, result, err);
        result = NULL;
    }
    cJSON_Delete(result);
    rs_free(branch);
    return rc;
}

static int save_locked(cJSON **result, rs_registry *reg, const char *branch,
                       const char *const *paths, size_t npaths, const char *message, rs_error *err)
{
    struct state st;
    memset(&st, 0, sizeof st);
    st.reg = reg;
    git_tree_update *ups = NULL;
    const char **sync = NULL;
    git_commit *tc = NULL;
    git_tree *tt = NULL;
    cJSON *out = NULL;
    git_oid commit;
    int rc = index_locked(reg, err);
    if (rc)
        goto done;
    int grc = git_reference_name_to_id(&st.tip, reg->repo, branch);
    if (grc < 0) {
        rc = reg_git_fail(err, grc, "cannot read %s", branch);
        goto done;
    }
    if ((rc = collect(&st, paths, npaths, err)))
        goto done;
    if (!(out = cJSON_CreateObject()) || !cJSON_AddArrayToObject(out, "prompts")) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    if (st.n == 0) {
        cJSON_AddNullToObject(out, "commit");
        goto emit;
    }
    if ((rc = validate_all(&st, err)))
        goto done;
    ups = rs_calloc(st.n, sizeof *ups);
    sync = rs_calloc(st.n, sizeof *sync);
    if (!ups || !sync) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < st.n; i++)
        sync[i] = st.ch[i].path;
    for (unsigned attempt = 0;; attempt++) {
        git_oid tree;
        git_tree_free(tt);
        tt = NULL;
        git_commit_free(tc);
        tc = NULL;
        if ((grc = git_reference_name_to_id(&st.tip, reg->repo, branch)) < 0 ||
            (grc = git_commit_lookup(&tc, reg->repo, &st.tip)) < 0 ||
            (grc = git_commit_tree(&tt, tc)) < 0) {
            rc = reg_git_fail(err, grc, "cannot read the tip of %s", branch);
            goto done;
        }
        /* a removal of a path the new tip no longer has would fail: leave it out */
        size_t nups = 0;
        for (size_t i = 0; i < st.n; i++) {
            if (st.ch[i].deleted) {
                git_tree_entry *e = NULL;
                int has = git_tree_entry_bypath(&e, tt, st.ch[i].path) == 0;
                git_tree_entry_free(e);
                if (!has)
                    continue;
            }
            ups[nups].action = st.ch[i].deleted ? GIT_TREE_UPDATE_REMOVE : GIT_TREE_UPDATE_UPSERT;
            git_oid_cpy(&ups[nups].id, &st.ch[i].blob);
            ups[nups].filemode = GIT_FILEMODE_BLOB;
            ups[nups].path = st.ch[i].path;
            nups++;
        }
        if ((grc = git_tree_create_updated(&tree, reg->repo, tt, nups, ups)) < 0) {
            rc = reg_git_fail(err, grc, "cannot build the tree to save");
            goto done;
        }
        rc = reg_commit_cas(&commit, reg, branch, &st.tip, &tree, message, err);
        if (rc == RS_ECONFLICT && attempt + 1 < MAX_ATTEMPTS) {
            usleep(500 + 500 * (attempt % 20));
            continue;
        }
        if (rc)
            goto done;
        break;
    }
    if ((rc = reg_sync_paths(reg, sync, st.n, err)))
        goto done;
    reg_invalidate(reg);
    char hex[GIT_OID_HEXSZ + 1];
    cJSON_AddStringToObject(out, "commit", git_oid_tostr(hex, sizeof hex, &commit));
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(out, "prompts");
    char name[MAX_NAME + 1], variant[MAX_NAME + 1];
    for (size_t i = 0; i < st.n; i++) {
        const char *p = st.ch[i].path;
        if (strncmp(p, PROMPTS_DIR, strlen(PROMPTS_DIR)) != 0 ||
            reg_classify(p + strlen(PROMPTS_DIR), name, variant) != 1)
            continue;
        int seen = 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, arr) seen |= strcmp(rs_json_string(it, "name"), name) == 0;
        if (seen)
            continue;
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
        cJSON_AddStringToObject(o, "name", name);
        cJSON_AddNumberToObject(o, "version", 0); /* counted by add_versions */
        cJSON_AddStringToObject(o, "commit", hex);
        const struct pfiles *pf = NULL;
        cJSON_AddBoolToObject(o, "deleted",
                              reg_pfiles(&pf, reg, &commit, name, NULL) != 0 || !pf->has_base);
    }
emit:
    *result = out;
    out = NULL;
done:
    cJSON_Delete(out);
    git_tree_free(tt);
    git_commit_free(tc);
    rs_free(ups);
    rs_free(sync);
    changes_free(st.ch, st.n);
    return rc;
}
