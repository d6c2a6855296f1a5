/*
 * registry/diff.c - unified diff of one prompt's files (base, variants, the partials either side
 * uses) between two versions, or from a version to the work tree.
 */
#include "registry/internal.h"

#include "util/alloc.h"
#include "util/file.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

static int add_spec(cJSON *specs, const char *s)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, specs)
    {
        if (strcmp(it->valuestring, s) == 0)
            return 0;
    }
    cJSON *v = cJSON_CreateString(s);
    if (!v)
        return RS_ENOMEM;
    cJSON_AddItemToArray(specs, v);
    return 0;
}

/* Partials the work-tree files of name use (base and variants, one level down through partials). */
static int worktree_partials(cJSON *arr, rs_registry *reg, const char *name)
{
    const char *slash = strrchr(name, '/');
    const char *base = slash ? slash + 1 : name;
    size_t blen = strlen(base);
    char dir[PATH_MAX];
    int n = snprintf(dir, sizeof dir, "%s" PROMPTS_DIR "%.*s", reg->root,
                     slash ? (int)(slash - name) : 0, name);
    if (n < 0 || (size_t)n >= sizeof dir)
        return 0;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        size_t el = strlen(e->d_name);
        if (el < blen + 7 || strncmp(e->d_name, base, blen) != 0 || (e->d_name[blen] != '.') ||
            strcmp(e->d_name + el - 7, ".prompt") != 0)
            continue;
        char full[PATH_MAX];
        n = snprintf(full, sizeof full, "%s/%s", dir, e->d_name);
        if (n < 0 || (size_t)n >= sizeof full)
            continue;
        char *src = NULL;
        size_t len = 0;
        if (rs_file_read(&src, &len, full, NULL) == 0)
            rc = reg_scan_partials(arr, src, len);
        rs_free(src);
    }
    closedir(d);
    for (int i = 0; rc == 0 && i < cJSON_GetArraySize(arr) && i < 256; i++) {
        rs_str path = RS_STR_INIT;
        rs_str_puts(&path, reg->root);
        reg_partial_path(&path, cJSON_GetArrayItem(arr, i)->valuestring);
        char *src = NULL;
        size_t len = 0;
        if (!rs_str_error(&path) && rs_file_read(&src, &len, path.ptr, NULL) == 0)
            rc = reg_scan_partials(arr, src, len);
        rs_free(src);
        rs_str_free(&path);
    }
    return rc;
}

static int commit_tree(git_tree **t, rs_registry *reg, const git_oid *id, rs_error *err)
{
    git_commit *c = NULL;
    int grc = git_commit_lookup(&c, reg->repo, id);
    if (grc == 0)
        grc = git_commit_tree(t, c);
    git_commit_free(c);
    if (grc < 0) {
        char hex[GIT_OID_HEXSZ + 1];
        git_oid_tostr(hex, sizeof hex, id);
        return reg_git_fail(err, grc, "commit %s is missing or corrupt in %s", hex, reg->root);
    }
    return 0;
}

int rs_registry_diff(char **patch, rs_registry *reg, const char *ref_a, const char *ref_b,
                     rs_error *err)
{
    /* libgit2 from the start: this command writes, walks history or lists trees */
    int git_rc = reg_git(reg, err);
    if (git_rc) {
        *patch = NULL;
        return git_rc;
    }
    rs_registry_ref *ra = NULL, *rb = NULL;
    cJSON *partials = cJSON_CreateArray(), *specs = cJSON_CreateArray();
    char **strs = NULL;
    git_tree *ta = NULL, *tb = NULL;
    git_diff *diff = NULL;
    git_buf buf = GIT_BUF_INIT;
    rs_str full_b = RS_STR_INIT, s = RS_STR_INIT;
    int rc = 0, grc;
    *patch = NULL;
    if (!partials || !specs) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = reg_resolve(&ra, reg, ref_a, err)))
        goto done;
    if (ref_b) {
        /* "v2", "production", "abc1234" alone mean the same prompt at that reference */
        if (!strchr(ref_b, '@'))
            rs_str_appendf(&full_b, "%s@%s", ra->name, ref_b);
        else
            rs_str_puts(&full_b, ref_b);
        if ((rc = rs_str_report(&full_b, err, "a reference")) ||
            (rc = reg_resolve(&rb, reg, full_b.ptr, err)))
            goto done;
        if (strcmp(ra->name, rb->name) != 0) {
            rc = rs_error_set(err, RS_EINVAL, "diff compares one prompt: '%s' and '%s' differ",
                              ra->name, rb->name);
            goto done;
        }
    } else if (reg->bare) {
        rc = rs_error_set(err, RS_EUNSUPPORTED,
                          "the registry %s is bare: there is no work tree to diff against; give "
                          "two references",
                          reg->root);
        goto done;
    }
    const struct pfiles *pf = NULL;
    if ((rc = reg_pfiles(&pf, reg, &ra->commit, ra->name, err)) ||
        (rc = reg_partials_used(partials, reg, pf, err)))
        goto done;
    if (rb) {
        if ((rc = reg_pfiles(&pf, reg, &rb->commit, rb->name, err)) ||
            (rc = reg_partials_used(partials, reg, pf, err)))
            goto done;
    } else if (worktree_partials(partials, reg, ra->name)) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    rs_str_reset(&s);
    reg_prompt_path(&s, ra->name, NULL);
    add_spec(specs, rs_str_cstr(&s));
    rs_str_reset(&s);
    reg_prompt_path(&s, ra->name, "*");
    add_spec(specs, rs_str_cstr(&s));
    const cJSON *it;
    cJSON_ArrayForEach(it, partials)
    {
        rs_str_reset(&s);
        reg_partial_path(&s, it->valuestring);
        if (add_spec(specs, rs_str_cstr(&s))) {
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
    }
    if ((rc = rs_str_report(&s, err, "a path")))
        goto done;
    int ns = cJSON_GetArraySize(specs);
    if (!(strs = rs_calloc((size_t)ns, sizeof *strs))) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    int k = 0;
    cJSON_ArrayForEach(it, specs) strs[k++] = it->valuestring;
    git_diff_options o;
    git_diff_options_init(&o, GIT_DIFF_OPTIONS_VERSION);
    o.pathspec.strings = strs;
    o.pathspec.count = (size_t)ns;
    o.flags = GIT_DIFF_INCLUDE_UNTRACKED | GIT_DIFF_SHOW_UNTRACKED_CONTENT |
              GIT_DIFF_RECURSE_UNTRACKED_DIRS;
    if ((rc = commit_tree(&ta, reg, &ra->commit, err)))
        goto done;
    if (rb) {
        if ((rc = commit_tree(&tb, reg, &rb->commit, err)))
            goto done;
        grc = git_diff_tree_to_tree(&diff, reg->repo, ta, tb, &o);
    } else {
        grc = git_diff_tree_to_workdir(&diff, reg->repo, ta, &o);
    }
    if (grc < 0 || (grc = git_diff_to_buf(&buf, diff, GIT_DIFF_FORMAT_PATCH)) < 0) {
        rc = reg_git_fail(err, grc, "cannot diff '%s' in %s", ref_a, reg->root);
        goto done;
    }
    if (!(*patch = rs_strndup(buf.ptr ? buf.ptr : "", buf.size)))
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
done:
    git_buf_dispose(&buf);
    git_diff_free(diff);
    git_tree_free(ta);
    git_tree_free(tb);
    rs_free(strs);
    cJSON_Delete(partials);
    cJSON_Delete(specs);
    rs_str_free(&full_b);
    rs_str_free(&s);
    rs_registry_ref_free(ra);
    rs_registry_ref_free(rb);
    return rc;
}
