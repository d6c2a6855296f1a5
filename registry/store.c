/*
 * registry/store.c - reading objects at a commit (with the per-handle caches that make a warm
 * resolve cheap), and the two halves of every write: a commit made with a
 * compare-and-swap on the branch ref, then the work tree and index brought up to the tip.
 */
#include "registry/internal.h"
#include "registry/reg_yaml.h"

#include "util/alloc.h"
#include "util/file.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int missing_object(rs_error *err, int grc, rs_registry *reg, const git_oid *id,
                          const char *what)
{
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, id);
    return reg_git_fail(err, grc == GIT_ENOTFOUND ? GIT_ERROR : grc,
                        "object %s (%s) is missing or corrupt in %s", hex, what, reg->root);
}

static int commit_tree(git_tree **tree, rs_registry *reg, const git_oid *commit, rs_error *err)
{
    git_commit *c = NULL;
    int rc = reg_git(reg, err);
    if (rc)
        return rc;
    int grc = git_commit_lookup(&c, reg->repo, commit);
    if (grc < 0)
        return missing_object(err, grc, reg, commit, "commit");
    grc = git_commit_tree(tree, c);
    if (grc < 0) {
        rc = missing_object(err, grc, reg, git_commit_tree_id(c), "tree");
        git_commit_free(c);
        return rc;
    }
    git_commit_free(c);
    return 0;
}

int reg_blob_oid_at(git_oid *blob_oid, rs_registry *reg, const git_oid *commit, const char *path,
                    rs_error *err)
{
    git_tree *tree = NULL;
    git_tree_entry *e = NULL;
    if (reg->gr) {
        unsigned char id[GR_OID_SIZE];
        int type = 0, nrc = gr_path_at(id, &type, reg->gr, commit->id, path);
        if (nrc == GR_OK && type == GR_BLOB) {
            if (blob_oid)
                memcpy(blob_oid->id, id, GR_OID_SIZE);
            return 0;
        }
        if (nrc == GR_OK || nrc == GR_NOPATH) {
            char s[8];
            reg_short(s, commit);
            return rs_error_set(err, RS_ENOTFOUND, "%s does not exist at commit %s", path, s);
        }
        if (nrc == GR_NOMEM)
            return rs_error_set(err, RS_ENOMEM, "out of memory reading %s", path);
    }
    int rc = commit_tree(&tree, reg, commit, err);
    if (rc)
        return rc;
    int grc = git_tree_entry_bypath(&e, tree, path);
    if (grc == GIT_ENOTFOUND || (grc == 0 && git_tree_entry_type(e) != GIT_OBJECT_BLOB)) {
        char s[8];
        reg_short(s, commit);
        rc = rs_error_set(err, RS_ENOTFOUND, "%s does not exist at commit %s", path, s);
    } else if (grc < 0) {
        rc = reg_git_fail(err, grc, "cannot read %s", path);
    } else if (blob_oid) {
        git_oid_cpy(blob_oid, git_tree_entry_id(e));
    }
    git_tree_entry_free(e);
    git_tree_free(tree);
    return rc;
}

int reg_read_blob(char **src, size_t *len, rs_registry *reg, const git_oid *blob, const char *what,
                  rs_error *err)
{
    git_blob *b = NULL;
    *src = NULL;
    if (reg->gr) {
        unsigned char *data = NULL;
        size_t n = 0;
        int nrc = gr_read(&data, &n, NULL, reg->gr, blob->id, GR_BLOB);
        if (nrc == GR_OK) {
            *src = (char *)data;
            if (len)
                *len = n;
            return 0;
        }
        if (nrc == GR_NOMEM)
            return rs_error_set(err, RS_ENOMEM, "out of memory reading %s", what);
    }
    int grc = reg_git(reg, err);
    if (grc)
        return grc;
    grc = git_blob_lookup(&b, reg->repo, blob);
    if (grc < 0)
        return missing_object(err, grc, reg, blob, what);
    size_t n = (size_t)git_blob_rawsize(b);
    char *copy = rs_strndup(git_blob_rawcontent(b), n);
    git_blob_free(b);
    if (!copy)
        return rs_error_set(err, RS_ENOMEM, "out of memory reading %s", what);
    *src = copy;
    if (len)
        *len = n;
    return 0;
}

int reg_read_at(char **src, size_t *len, rs_registry *reg, const git_oid *commit, const char *path,
                rs_error *err)
{
    git_oid blob;
    int rc = reg_blob_oid_at(&blob, reg, commit, path, err);
    if (rc == 0)
        rc = reg_read_blob(src, len, reg, &blob, path, err);
    return rc;
}

/* ---- the files of a prompt at a commit ---- */

void reg_pfiles_free(struct pfiles *pf)
{
    if (!pf)
        return;
    for (size_t j = 0; j < pf->nfiles; j++) {
        rs_free(pf->files[j].variant);
        rs_free(pf->files[j].path);
        cJSON_Delete(pf->files[j].targets);
    }
    rs_free(pf->files);
    rs_free(pf->name);
    rs_free(pf);
}

static int cmp_pfile(const void *a, const void *b)
{
    const struct pfile *x = a, *y = b;
    if (!x->variant || !y->variant)
        return x->variant ? 1 : (y->variant ? -1 : 0);
    return strcmp(x->variant, y->variant);
}

static int add_pfile(struct pfiles *pf, size_t *cap, const char *dir, const char *entry,
                     const char *variant, size_t vlen, const git_oid *id)
{
    if (pf->nfiles == *cap) {
        size_t ncap = *cap ? *cap * 2 : 4;
        struct pfile *f = rs_realloc(pf->files, ncap * sizeof *f);
        if (!f)
            return RS_ENOMEM;
        pf->files = f;
        *cap = ncap;
    }
    struct pfile *f = &pf->files[pf->nfiles];
    memset(f, 0, sizeof *f);
    rs_str path = RS_STR_INIT;
    rs_str_appendf(&path, "%s%s", dir, entry);
    f->path = rs_str_detach(&path, NULL);
    rs_str_free(&path);
    if (variant && !(f->variant = rs_strndup(variant, vlen))) {
        rs_free(f->path);
        return RS_ENOMEM;
    }
    if (!f->path) {
        rs_free(f->variant);
        return RS_ENOMEM;
    }
    git_oid_cpy(&f->blob, id);
    pf->nfiles++;
    return 0;
}

/* One entry of a directory listing: borrowed from the tree that was read. */
struct dent {
    const char *name; /* NUL-terminated in both trees (git trees end names with NUL) */
    const unsigned char *id;
    int is_blob;
};

/* The entries of the tree at dpath ("prompts" or "prompts/dir") in commit, read natively when
   possible: *ents (rs_free), *n; *keep_native / *keep_git own what the entries point into. A
   missing or non-tree dpath is no entries. */
static int list_dir(struct dent **ents, size_t *n, unsigned char **keep_native, git_tree **keep_git,
                    rs_registry *reg, const git_oid *commit, const char *dpath, rs_error *err)
{
    *ents = NULL;
    *n = 0;
    if (reg->gr) {
        unsigned char id[GR_OID_SIZE], *tree = NULL;
        size_t len = 0, pos = 0, count = 0;
        int type = 0, nrc = gr_path_at(id, &type, reg->gr, commit->id, dpath);
        if (nrc == GR_NOPATH || (nrc == GR_OK && type != GR_TREE))
            return 0;
        if (nrc == GR_OK)
            nrc = gr_read(&tree, &len, NULL, reg->gr, id, GR_TREE);
        gr_tree_entry e;
        if (nrc == GR_OK)
            while ((nrc = gr_tree_next(&e, tree, len, &pos)) == 1)
                count++;
        if (nrc == 0) {
            struct dent *d = rs_calloc(count ? count : 1, sizeof *d);
            if (!d) {
                rs_free(tree);
                return rs_error_set(err, RS_ENOMEM, "out of memory");
            }
            for (pos = 0; gr_tree_next(&e, tree, len, &pos) == 1; (*n)++) {
                d[*n].name = e.name;
                d[*n].id = e.oid;
                d[*n].is_blob = e.type == GR_BLOB;
            }
            *ents = d;
            *keep_native = tree;
            return 0;
        }
        rs_free(tree);
        if (nrc == GR_NOMEM)
            return rs_error_set(err, RS_ENOMEM, "out of memory");
    }
    git_tree *root = NULL, *sub = NULL;
    git_tree_entry *e = NULL;
    int rc = commit_tree(&root, reg, commit, err);
    if (rc)
        return rc;
    int grc = git_tree_entry_bypath(&e, root, dpath);
    if (grc == 0 && git_tree_entry_type(e) == GIT_OBJECT_TREE) {
        grc = git_tree_lookup(&sub, reg->repo, git_tree_entry_id(e));
        if (grc < 0) {
            rc = missing_object(err, grc, reg, git_tree_entry_id(e), "tree");
            goto done;
        }
        size_t count = git_tree_entrycount(sub);
        struct dent *d = rs_calloc(count ? count : 1, sizeof *d);
        if (!d) {
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < count; i++) {
            const git_tree_entry *te = git_tree_entry_byindex(sub, i);
            d[i].name = git_tree_entry_name(te);
            d[i].id = git_tree_entry_id(te)->id;
            d[i].is_blob = git_tree_entry_type(te) == GIT_OBJECT_BLOB;
        }
        *ents = d;
        *n = count;
        *keep_git = sub;
        sub = NULL;
    } else if (grc < 0 && grc != GIT_ENOTFOUND) {
        rc = reg_git_fail(err, grc, "cannot read %s", dpath);
    }
done:
    git_tree_entry_free(e);
    git_tree_free(sub);
    git_tree_free(root);
    return rc;
}

int reg_pfiles(const struct pfiles **out, rs_registry *reg, const git_oid *commit, const char *name,
               rs_error *err)
{
    *out = NULL;
    for (size_t i = 0; i < PFILES_CACHE; i++) {
        struct pfiles *c = reg->pcache[i];
        if (c && git_oid_equal(&c->commit, commit) && strcmp(c->name, name) == 0) {
            *out = c;
            return 0;
        }
    }
    struct dent *ents = NULL;
    size_t nents = 0;
    unsigned char *native_tree = NULL;
    git_tree *sub = NULL;
    struct pfiles *pf = NULL;
    rs_str dir = RS_STR_INIT;
    size_t cap = 0;
    int rc = 0;
    const char *slash = strrchr(name, '/');
    const char *base = slash ? slash + 1 : name;
    size_t blen = strlen(base);
    rs_str_puts(&dir, PROMPTS_DIR);
    if (slash) {
        rs_str_append(&dir, name, (size_t)(slash - name));
        rs_str_putc(&dir, '/');
    }
    if ((rc = rs_str_report(&dir, err, "a path")))
        goto done;
    pf = rs_calloc(1, sizeof *pf);
    if (!pf || !(pf->name = rs_strdup(name))) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    git_oid_cpy(&pf->commit, commit);
    /* "prompts/dir" without the trailing slash names the subtree */
    char *dpath = rs_strndup(dir.ptr, dir.len - 1);
    if (!dpath) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    rc = list_dir(&ents, &nents, &native_tree, &sub, reg, commit, dpath, err);
    rs_free(dpath);
    if (rc)
        goto done;
    for (size_t i = 0; i < nents; i++) {
        const char *en = ents[i].name;
        size_t elen = strlen(en);
        if (!ents[i].is_blob || elen < blen + 7 || strncmp(en, base, blen) != 0 ||
            strcmp(en + elen - 7, ".prompt") != 0)
            continue;
        const char *rest = en + blen;
        size_t rlen = elen - blen - 7;
        git_oid id;
        memcpy(id.id, ents[i].id, GR_OID_SIZE);
        int ok = 0;
        if (rlen == 0) {
            pf->has_base = 1;
            ok = add_pfile(pf, &cap, dir.ptr, en, NULL, 0, &id);
        } else if (rest[0] == '.' && rlen > 1 && !memchr(rest + 1, '.', rlen - 1)) {
            ok = add_pfile(pf, &cap, dir.ptr, en, rest + 1, rlen - 1, &id);
        }
        if (ok) {
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
    }
    if (pf->nfiles == 0) {
        char s[8];
        reg_short(s, commit);
        rc = rs_error_set(err, RS_ENOTFOUND, "prompt '%s' does not exist at commit %s", name, s);
        goto done;
    }
    qsort(pf->files, pf->nfiles, sizeof *pf->files, cmp_pfile);
    size_t slot = reg->pcache_next++ % PFILES_CACHE;
    reg_pfiles_free(reg->pcache[slot]);
    reg->pcache[slot] = pf;
    *out = pf;
    pf = NULL;
done:
    reg_pfiles_free(pf);
    rs_str_free(&dir);
    rs_free(ents);
    rs_free(native_tree);
    git_tree_free(sub);
    return rc;
}

int reg_pfile_targets(const cJSON **out, rs_registry *reg, struct pfile *f, rs_error *err)
{
    *out = NULL;
    if (f->targets_read) {
        *out = f->targets;
        return 0;
    }
    char *src = NULL;
    size_t len = 0;
    cJSON *fm = NULL, *targets = NULL;
    int rc = reg_read_blob(&src, &len, reg, &f->blob, f->path, err);
    if (rc)
        goto done;
    if ((rc = reg_frontmatter(&fm, src, len, f->path, err)))
        goto done;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(fm, "rosetta.targets");
    if (!t) {
        const cJSON *ros = cJSON_GetObjectItemCaseSensitive(fm, "rosetta");
        t = cJSON_GetObjectItemCaseSensitive(ros, "targets");
    }
    if (t) {
        if (!(targets = cJSON_CreateArray())) {
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
        if (cJSON_IsString(t)) {
            cJSON_AddItemToArray(targets, cJSON_CreateString(t->valuestring));
        } else if (cJSON_IsArray(t)) {
            const cJSON *g;
            cJSON_ArrayForEach(g, t)
            {
                if (!cJSON_IsString(g)) {
                    rc = rs_error_set_at(err, RS_ESCHEMA, f->path, 0, 0,
                                         "rosetta.targets must be a list of \"provider/model\" "
                                         "globs");
                    goto done;
                }
                cJSON_AddItemToArray(targets, cJSON_CreateString(g->valuestring));
            }
        } else {
            rc = rs_error_set_at(err, RS_ESCHEMA, f->path, 0, 0,
                                 "rosetta.targets must be a list of \"provider/model\" globs");
            goto done;
        }
    }
    f->targets = targets;
    f->targets_read = 1;
    targets = NULL;
    *out = f->targets;
done:
    cJSON_Delete(targets);
    cJSON_Delete(fm);
    rs_free(src);
    return rc;
}

/* ---- writing ---- */

int reg_commit_cas(git_oid *out, rs_registry *reg, const char *branch, const git_oid *parent,
                   const git_oid *tree_oid, const char *message, rs_error *err)
{
    git_signature *sig = NULL;
    git_commit *pc = NULL;
    git_tree *tree = NULL;
    git_reference *ref = NULL;
    int rc = reg_git(reg, err);
    if (rc || (rc = reg_signature(&sig, reg, err)))
        return rc;
    int grc = git_commit_lookup(&pc, reg->repo, parent);
    if (grc < 0) {
        rc = missing_object(err, grc, reg, parent, "commit");
        goto done;
    }
    if ((grc = git_tree_lookup(&tree, reg->repo, tree_oid)) < 0) {
        rc = missing_object(err, grc, reg, tree_oid, "tree");
        goto done;
    }
    const git_commit *parents[1] = {pc};
    grc = git_commit_create(out, reg->repo, NULL, sig, sig, NULL, message, tree, 1, parents);
    if (grc < 0) {
        rc = reg_git_fail(err, grc, "cannot create a commit in %s", reg->root);
        goto done;
    }
    /* The compare-and-swap: the branch moves only if it still points at parent. */
    grc = git_reference_create_matching(&ref, reg->repo, branch, out, 1, parent, message);
    if (grc == GIT_EMODIFIED || grc == GIT_ELOCKED) {
        rc = rs_error_set(err, RS_ECONFLICT, "%s moved while committing", branch);
        rs_error_set_cause(err, GIT_EMODIFIED);
    } else if (grc < 0) {
        rc = reg_git_fail(err, grc, "cannot update %s in %s", branch, reg->root);
    }
done:
    git_reference_free(ref);
    git_tree_free(tree);
    git_commit_free(pc);
    git_signature_free(sig);
    return rc;
}

static int mkdirs_for(const char *file, rs_error *err)
{
    char buf[PATH_MAX];
    size_t n = strlen(file);
    if (n >= sizeof buf)
        return rs_error_set(err, RS_ELIMIT, "path too long: %s", file);
    memcpy(buf, file, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return rs_error_set(err, RS_EIO, "cannot create %s: %s", buf, strerror(errno));
        *p = '/';
    }
    return 0;
}

int reg_sync_paths(rs_registry *reg, const char *const *paths, size_t npaths, rs_error *err)
{
    git_index *idx = NULL;
    git_oid tip;
    int rc = 0, grc, changed = 0;
    if (reg->bare)
        return 0;
    if ((rc = reg_git(reg, err)) || (rc = reg_tip(reg, &tip, NULL, err)))
        return rc;
    if ((grc = git_repository_index(&idx, reg->repo)) < 0 || (grc = git_index_read(idx, 1)) < 0) {
        rc = reg_git_fail(err, grc, "cannot read the index of %s", reg->root);
        goto done;
    }
    for (size_t i = 0; i < npaths; i++) {
        const char *path = paths[i];
        char full[PATH_MAX];
        int n = snprintf(full, sizeof full, "%s%s", reg->root, path);
        if (n < 0 || (size_t)n >= sizeof full) {
            rc = rs_error_set(err, RS_ELIMIT, "path too long: %s", path);
            goto done;
        }
        git_oid tip_blob, work;
        int at_tip = reg_blob_oid_at(&tip_blob, reg, &tip, path, NULL) == 0;
        struct stat st;
        int in_work = lstat(full, &st) == 0 && S_ISREG(st.st_mode) &&
                      git_odb_hashfile(&work, full, GIT_OBJECT_BLOB) == 0;
        const git_index_entry *ie = git_index_get_bypath(idx, path, 0);
        if ((in_work && at_tip && git_oid_equal(&work, &tip_blob)) || (!in_work && !at_tip)) {
            /* the work tree already matches the tip (content, or absence): only the index may
               lag behind */
            grc = 0;
            if (at_tip && (!ie || !git_oid_equal(&ie->id, &tip_blob)))
                grc = git_index_add_bypath(idx, path);
            else if (!at_tip && ie)
                grc = git_index_remove_bypath(idx, path);
            else
                continue;
            if (grc < 0) {
                rc = reg_git_fail(err, grc, "cannot update the index entry of %s", path);
                goto done;
            }
            changed = 1;
            continue;
        }
        int clean = (!in_work && !ie) || (in_work && ie && git_oid_equal(&work, &ie->id));
        if (!clean)
            continue; /* the user's own uncommitted edit: never overwritten */
        if (at_tip) {
            char *src = NULL;
            size_t len = 0;
            if ((rc = reg_read_blob(&src, &len, reg, &tip_blob, path, err)))
                goto done;
            rc = mkdirs_for(full, err);
            if (rc == 0)
                rc = rs_file_write_atomic(full, src, len, err);
            rs_free(src);
            if (rc)
                goto done;
            grc = git_index_add_bypath(idx, path);
        } else {
            if (in_work && unlink(full) != 0) {
                rc = rs_error_set(err, RS_EIO, "cannot remove %s: %s", full, strerror(errno));
                goto done;
            }
            grc = ie ? git_index_remove_bypath(idx, path) : 0;
        }
        if (grc < 0) {
            rc = reg_git_fail(err, grc, "cannot update the index entry of %s", path);
            goto done;
        }
        changed = 1;
    }
    if (changed && (grc = git_index_write(idx)) < 0)
        rc = reg_git_fail(err, grc, "cannot write the index of %s (is another git running?)",
                          reg->root);
done:
    git_index_free(idx);
    return rc;
}
