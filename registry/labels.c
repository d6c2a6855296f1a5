/*
 * registry/labels.c - labels: moves, deletions, their log, rollback.
 *
 * labels.yaml maps prompt -> label -> commit. A move is a commit that changes only labels.yaml,
 * made on the branch tip with a compare-and-swap of the branch ref: when another writer moved the
 * branch in between, the move is recomputed on the new tip (its labels.yaml included) and tried
 * again, so concurrent moves and saves all land and none is lost. The log of a label is read back
 * from the history of labels.yaml, so moves made by hand with plain git show up too.
 */
#include "registry/internal.h"

#include "util/alloc.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_ATTEMPTS 400

static int needs_quotes(const char *s)
{
    static const char *const words[] = {"true", "false", "null", "yes", "no",
                                        "on",   "off",   "y",    "n"};
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return 1;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t n = strlen(words[i]);
        if (strlen(s) == n) {
            size_t k = 0;
            while (k < n && (s[k] | 0x20) == words[i][k])
                k++;
            if (k == n)
                return 1;
        }
    }
    return 0;
}

static void put_key(rs_str *out, const char *k)
{
    if (needs_quotes(k))
        rs_str_appendf(out, "\"%s\"", k); /* names and labels never hold '"' or '\\' */
    else
        rs_str_puts(out, k);
}

static int cmp_item_names(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(x->string, y->string);
}

/* Emit labels.yaml from {"name": {"label": "sha"}}, sorted, so diffs stay small and stable. */
static int emit_labels(rs_str *out, const cJSON *doc, rs_error *err)
{
    const cJSON **names = NULL, **labels = NULL;
    int rc = 0;
    rs_str_puts(out,
                "# labels.yaml - label -> commit, per prompt. Written by `rosetta label`; each "
                "move is a\n# commit, so promotions are reviewed, pushed and audited like "
                "code (`rosetta label log`).\n");
    int n = cJSON_GetArraySize(doc), k = 0;
    if (n == 0) {
        rs_str_puts(out, "{}\n");
        return rs_str_report(out, err, "labels.yaml");
    }
    if (!(names = rs_calloc((size_t)n, sizeof *names)))
        return rs_error_set(err, RS_ENOMEM, "out of memory");
    const cJSON *it;
    cJSON_ArrayForEach(it, doc) names[k++] = it;
    qsort(names, (size_t)n, sizeof *names, cmp_item_names);
    for (int i = 0; i < n; i++) {
        int m = cJSON_GetArraySize(names[i]);
        if (m == 0)
            continue;
        rs_free(labels);
        if (!(labels = rs_calloc((size_t)m, sizeof *labels))) {
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
        int j = 0;
        cJSON_ArrayForEach(it, names[i]) labels[j++] = it;
        qsort(labels, (size_t)m, sizeof *labels, cmp_item_names);
        put_key(out, names[i]->string);
        rs_str_puts(out, ":\n");
        for (j = 0; j < m; j++) {
            rs_str_puts(out, "  ");
            put_key(out, labels[j]->string);
            rs_str_appendf(out, ": \"%s\"\n", labels[j]->valuestring);
        }
    }
    rc = rs_str_report(out, err, "labels.yaml");
done:
    rs_free(names);
    rs_free(labels);
    return rc;
}

/* Refuse when labels.yaml has edits the index does not know: a move would silently drop them. */
static int check_labels_clean(rs_registry *reg, rs_error *err)
{
    git_index *idx = NULL;
    int rc = 0;
    int grc = git_repository_index(&idx, reg->repo);
    if (grc == 0)
        grc = git_index_read(idx, 1);
    if (grc < 0) {
        rc = reg_git_fail(err, grc, "cannot read the index of %s", reg->root);
        goto done;
    }
    char full[4096];
    int n = snprintf(full, sizeof full, "%s" LABELS_FILE, reg->root);
    if (n < 0 || (size_t)n >= sizeof full) {
        rc = rs_error_set(err, RS_ELIMIT, "path too long");
        goto done;
    }
    git_oid work;
    int in_work = access(full, F_OK) == 0;
    int hashed = in_work && git_odb_hashfile(&work, full, GIT_OBJECT_BLOB) == 0;
    const git_index_entry *ie = git_index_get_bypath(idx, LABELS_FILE, 0);
    int dirty =
        (in_work != (ie != NULL)) || (in_work && (!hashed || !git_oid_equal(&work, &ie->id)));
    if (dirty)
        rc = rs_error_set(
            err, RS_ECONFLICT,
            "%s" LABELS_FILE " has uncommitted changes; save them (rosetta save " LABELS_FILE
            " -m ...) or discard them (git checkout " LABELS_FILE ") before moving labels",
            reg->root);
done:
    git_index_free(idx);
    return rc;
}

static void backoff(unsigned attempt)
{
    /* grow to ~20 ms, jittered by the clock so colliding processes spread out */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    unsigned cap = attempt < 10 ? 1000u * (attempt + 1) : 20000u;
    unsigned us = 200 + (unsigned)((unsigned long)now.tv_nsec / 1000 % cap);
    usleep(us);
}

/*
 * Move (to != NULL) or delete (to == NULL) label of name on the branch, retrying on the new tip
 * when the branch moved. *from_out: what the label pointed at before (zero when absent).
 */
static int label_update(git_oid *from_out, int *changed, git_oid *commit_out, rs_registry *reg,
                        const char *branch, const char *name, const char *label, const git_oid *to,
                        const char *verb, rs_error *err)
{
    int rc = 0;
    rs_str text = RS_STR_INIT, msg = RS_STR_INIT;
    cJSON *doc = NULL;
    git_commit *tc = NULL;
    git_tree *tt = NULL;
    *changed = 0;
    for (unsigned attempt = 0;; attempt++) {
        git_oid tip, blob, tree;
        const cJSON *cur = NULL;
        cJSON_Delete(doc);
        doc = NULL;
        git_tree_free(tt);
        tt = NULL;
        git_commit_free(tc);
        tc = NULL;
        rs_str_reset(&text);
        rs_str_reset(&msg);
        int grc = git_reference_name_to_id(&tip, reg->repo, branch);
        if (grc < 0) {
            rc = reg_git_fail(err, grc, "cannot read %s in %s", branch, reg->root);
            goto done;
        }
        if ((rc = reg_labels_at(&cur, reg, &tip, err)))
            goto done;
        if (!(doc = cJSON_Duplicate(cur, 1))) {
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
        cJSON *mine = cJSON_GetObjectItemCaseSensitive(doc, name);
        const cJSON *old = cJSON_GetObjectItemCaseSensitive(mine, label);
        memset(from_out, 0, sizeof *from_out);
        if (cJSON_IsString(old))
            git_oid_fromstr(from_out, old->valuestring);
        if (!to && !old) {
            rc = rs_error_set(err, RS_ENOTFOUND, "'%s' has no label '%s'", name, label);
            goto done;
        }
        if (to && old && git_oid_equal(from_out, to)) {
            git_oid_cpy(commit_out, &tip);
            goto done; /* already there: nothing to commit */
        }
        char hex[GIT_OID_HEXSZ + 1], s_to[8], s_from[8];
        if (to) {
            git_oid_tostr(hex, sizeof hex, to);
            if (!mine && !(mine = cJSON_AddObjectToObject(doc, name))) {
                rc = rs_error_set(err, RS_ENOMEM, "out of memory");
                goto done;
            }
            cJSON *v = cJSON_CreateString(hex);
            if (!v || (old ? !cJSON_ReplaceItemInObjectCaseSensitive(mine, label, v)
                           : !cJSON_AddItemToObject(mine, label, v))) {
                cJSON_Delete(v);
                rc = rs_error_set(err, RS_ENOMEM, "out of memory");
                goto done;
            }
            reg_short(s_to, to);
        } else {
            cJSON_DeleteItemFromObjectCaseSensitive(mine, label);
            if (cJSON_GetArraySize(mine) == 0)
                cJSON_DeleteItemFromObjectCaseSensitive(doc, name);
        }
        if ((rc = emit_labels(&text, doc, err)))
            goto done;
        if (old)
            reg_short(s_from, from_out);
        if (to)
            rs_str_appendf(&msg, "%s: %s %s -> %s%s%s\n", verb, name, label, s_to,
                           old ? ", was " : " (new)", old ? s_from : "");
        else
            rs_str_appendf(&msg, "%s: %s %s deleted (was %s)\n", verb, name, label, s_from);
        if ((rc = rs_str_report(&msg, err, "a commit message")))
            goto done;
        if ((grc = git_blob_create_from_buffer(&blob, reg->repo, text.ptr, text.len)) < 0 ||
            (grc = git_commit_lookup(&tc, reg->repo, &tip)) < 0 ||
            (grc = git_commit_tree(&tt, tc)) < 0) {
            rc = reg_git_fail(err, grc, "cannot prepare the label commit in %s", reg->root);
            goto done;
        }
        git_tree_update up;
        memset(&up, 0, sizeof up);
        up.action = GIT_TREE_UPDATE_UPSERT;
        git_oid_cpy(&up.id, &blob);
        up.filemode = GIT_FILEMODE_BLOB;
        up.path = LABELS_FILE;
        if ((grc = git_tree_create_updated(&tree, reg->repo, tt, 1, &up)) < 0) {
            rc = reg_git_fail(err, grc, "cannot build the label commit's tree");
            goto done;
        }
        rc = reg_commit_cas(commit_out, reg, branch, &tip, &tree, msg.ptr, err);
        if (rc == RS_ECONFLICT && attempt + 1 < MAX_ATTEMPTS) {
            backoff(attempt);
            continue;
        }
        if (rc == 0)
            *changed = 1;
        goto done;
    }
done:
    cJSON_Delete(doc);
    git_tree_free(tt);
    git_commit_free(tc);
    rs_str_free(&text);
    rs_str_free(&msg);
    return rc;
}

/*
 * The write half of a move, deletion or rollback, under the work-tree lock: refuse a labels.yaml
 * with uncommitted edits, commit (CAS, retried on a moved branch), bring labels.yaml in the work
 * tree and index up to the tip.
 */
static int locked_update(git_oid *from, int *changed, git_oid *commit, rs_registry *reg,
                         const char *branch, const char *name, const char *label, const git_oid *to,
                         const char *verb, rs_error *err)
{
    const char *paths[1] = {LABELS_FILE};
    int fd = -1, rc = reg_lock(&fd, reg, err);
    if (rc)
        return rc;
    rc = check_labels_clean(reg, err);
    if (rc == 0)
        rc = label_update(from, changed, commit, reg, branch, name, label, to, verb, err);
    if (rc == 0 && *changed)
        rc = reg_sync_paths(reg, paths, 1, err);
    reg_unlock(fd, reg);
    reg_invalidate(reg);
    return rc;
}

static int move_result(char **json, rs_registry *reg, const char *name, const char *label,
                       const git_oid *from, const git_oid *to, const git_oid *commit, int changed,
                       rs_error *err)
{
    if (!json)
        return 0;
    cJSON *o = cJSON_CreateObject();
    char hex[GIT_OID_HEXSZ + 1];
    if (!o)
        return rs_error_set(err, RS_ENOMEM, "out of memory");
    cJSON_AddStringToObject(o, "name", name);
    cJSON_AddStringToObject(o, "label", label);
    if (git_oid_is_zero(from))
        cJSON_AddNullToObject(o, "from");
    else
        cJSON_AddStringToObject(o, "from", git_oid_tostr(hex, sizeof hex, from));
    if (to)
        cJSON_AddStringToObject(o, "to", git_oid_tostr(hex, sizeof hex, to));
    else
        cJSON_AddNullToObject(o, "to");
    int v = 0;
    if (to && reg_version_at(&v, reg, name, to, NULL) == 0)
        cJSON_AddNumberToObject(o, "version", v);
    if (!git_oid_is_zero(from) && reg_version_at(&v, reg, name, from, NULL) == 0)
        cJSON_AddNumberToObject(o, "from_version", v);
    cJSON_AddStringToObject(o, "commit", git_oid_tostr(hex, sizeof hex, commit));
    cJSON_AddBoolToObject(o, "changed", changed);
    return reg_json_out(json, o, err);
}

int rs_registry_label_set(char **json, rs_registry *reg, const char *ref, const char *label,
                          rs_error *err)
{
    /* libgit2 from the start: this command writes, walks history or lists trees */
    int git_rc = reg_git(reg, err);
    if (git_rc) {
        *json = NULL;
        return git_rc;
    }
    char *branch = NULL;
    rs_registry_ref *r = NULL;
    git_oid from, commit;
    int changed = 0;
    if (json)
        *json = NULL;
    int rc = reg_check_label(label, err);
    if (rc || (rc = reg_need_branch(reg, &branch, err)) || (rc = reg_resolve(&r, reg, ref, err)))
        goto done;
    rc = locked_update(&from, &changed, &commit, reg, branch, r->name, label, &r->commit, "label",
                       err);
    if (rc == 0)
        rc = move_result(json, reg, r->name, label, &from, &r->commit, &commit, changed, err);
done:
    rs_registry_ref_free(r);
    rs_free(branch);
    return rc;
}

int rs_registry_label_delete(char **json, rs_registry *reg, const char *name, const char *label,
                             rs_error *err)
{
    /* libgit2 from the start: this command writes, walks history or lists trees */
    int git_rc = reg_git(reg, err);
    if (git_rc) {
        *json = NULL;
        return git_rc;
    }
    char *branch = NULL;
    git_oid from, commit;
    int changed = 0;
    if (json)
        *json = NULL;
    int rc = rs_registry_check_name(name, err);
    if (rc || (rc = reg_check_label(label, err)) || (rc = reg_need_branch(reg, &branch, err)))
        goto done;
    rc = locked_update(&from, &changed, &commit, reg, branch, name, label, NULL, "label", err);
    if (rc == 0)
        rc = move_result(json, reg, name, label, &from, NULL, &commit, changed, err);
done:
    rs_free(branch);
    return rc;
}

/* ---- the log ---- */

static int labels_blob(git_oid *out, rs_registry *reg, git_commit *c)
{
    git_tree *t = NULL;
    memset(out, 0, sizeof *out);
    int grc = git_commit_tree(&t, c);
    if (grc < 0)
        return grc;
    const git_tree_entry *e = git_tree_entry_byname(t, LABELS_FILE);
    if (e)
        git_oid_cpy(out, git_tree_entry_id(e));
    git_tree_free(t);
    (void)reg;
    return 0;
}

/* Parse the labels of name in blob (zero blob or invalid YAML: NULL, as if absent). */
static cJSON *labels_of(rs_registry *reg, const git_oid *blob, const char *name)
{
    char *src = NULL;
    size_t len = 0;
    cJSON *doc = NULL, *mine = NULL;
    if (git_oid_is_zero(blob) || reg_read_blob(&src, &len, reg, blob, LABELS_FILE, NULL) != 0)
        return NULL;
    if (reg_labels_parse(&doc, src, len, LABELS_FILE, NULL) == 0) {
        mine = cJSON_DetachItemFromObjectCaseSensitive(doc, name);
    }
    cJSON_Delete(doc);
    rs_free(src);
    return mine;
}

static int add_moves(cJSON *out, rs_registry *reg, const git_oid *commit, const cJSON *before,
                     const cJSON *after, const char *only_label, rs_error *err)
{
    for (int side = 0; side < 2; side++) {
        const cJSON *l, *self = side == 0 ? after : before;
        cJSON_ArrayForEach(l, self)
        {
            const cJSON *other =
                cJSON_GetObjectItemCaseSensitive(side == 0 ? before : after, l->string);
            if (side == 1 && other)
                continue;
            const char *to = side == 0 ? l->valuestring : NULL;
            const char *from =
                side == 0 ? (cJSON_IsString(other) ? other->valuestring : NULL) : l->valuestring;
            if (to && from && strcmp(to, from) == 0)
                continue;
            if (only_label && strcmp(only_label, l->string) != 0)
                continue;
            cJSON *o = cJSON_CreateObject();
            if (!o || !cJSON_AddItemToArray(out, o)) {
                cJSON_Delete(o);
                return rs_error_set(err, RS_ENOMEM, "out of memory");
            }
            cJSON_AddStringToObject(o, "label", l->string);
            if (from)
                cJSON_AddStringToObject(o, "from", from);
            else
                cJSON_AddNullToObject(o, "from");
            if (to)
                cJSON_AddStringToObject(o, "to", to);
            else
                cJSON_AddNullToObject(o, "to");
            int rc = reg_add_commit_facts(o, reg, commit, err);
            if (rc)
                return rc;
        }
    }
    return 0;
}

static int label_log(cJSON **out, rs_registry *reg, const char *name, const char *only_label,
                     size_t max_entries, rs_error *err)
{
    git_oid cur, tip;
    git_commit *c = NULL;
    cJSON *arr = cJSON_CreateArray(), *after = NULL;
    int rc = 0;
    *out = NULL;
    if (!arr)
        return rs_error_set(err, RS_ENOMEM, "out of memory");
    if ((rc = reg_tip(reg, &tip, NULL, err)))
        goto done;
    git_oid after_blob;
    int have_after = 0;
    git_oid_cpy(&cur, &tip);
    for (;;) {
        int grc = git_commit_lookup(&c, reg->repo, &cur);
        if (grc < 0) {
            rc = reg_git_fail(err, grc, "a commit is missing or corrupt in %s", reg->root);
            goto done;
        }
        git_oid blob;
        if ((grc = labels_blob(&blob, reg, c)) < 0) {
            rc = reg_git_fail(err, grc, "cannot read a tree in %s", reg->root);
            goto done;
        }
        if (!have_after) {
            after = labels_of(reg, &blob, name);
            git_oid_cpy(&after_blob, &blob);
            have_after = 1;
        }
        int has_parent = git_commit_parentcount(c) > 0;
        git_oid pblob;
        memset(&pblob, 0, sizeof pblob);
        git_commit *p = NULL;
        if (has_parent) {
            if ((grc = git_commit_parent(&p, c, 0)) < 0 ||
                (grc = labels_blob(&pblob, reg, p)) < 0) {
                git_commit_free(p);
                rc = reg_git_fail(err, grc, "a parent commit is missing or corrupt in %s",
                                  reg->root);
                goto done;
            }
        }
        if (!git_oid_equal(&pblob, &after_blob)) {
            cJSON *before = labels_of(reg, &pblob, name);
            rc = add_moves(arr, reg, &cur, before, after, only_label, err);
            cJSON_Delete(after);
            after = before;
            git_oid_cpy(&after_blob, &pblob);
            if (rc) {
                git_commit_free(p);
                goto done;
            }
        }
        git_commit_free(c);
        c = NULL;
        if (!p || (max_entries && (size_t)cJSON_GetArraySize(arr) >= max_entries)) {
            git_commit_free(p);
            break;
        }
        git_oid_cpy(&cur, git_commit_id(p));
        git_commit_free(p);
    }
    *out = arr;
    arr = NULL;
done:
    git_commit_free(c);
    cJSON_Delete(after);
    cJSON_Delete(arr);
    return rc;
}

int rs_registry_label_log(char **json, rs_registry *reg, const char *name, rs_error *err)
{
    /* libgit2 from the start: this command writes, walks history or lists trees */
    int git_rc = reg_git(reg, err);
    if (git_rc) {
        *json = NULL;
        return git_rc;
    }
    cJSON *arr = NULL;
    *json = NULL;
    int rc = rs_registry_check_name(name, err);
    if (rc == 0)
        rc = label_log(&arr, reg, name, NULL, 0, err);
    if (rc == 0)
        rc = reg_json_out(json, arr, err);
    return rc;
}

int rs_registry_rollback(char **json, rs_registry *reg, const char *name, const char *label,
                         rs_error *err)
{
    /* libgit2 from the start: this command writes, walks history or lists trees */
    int git_rc = reg_git(reg, err);
    if (git_rc) {
        *json = NULL;
        return git_rc;
    }
    cJSON *log = NULL;
    char *branch = NULL;
    git_oid from, to, commit;
    int changed = 0;
    if (json)
        *json = NULL;
    int rc = rs_registry_check_name(name, err);
    if (rc || (rc = reg_check_label(label, err)) || (rc = reg_need_branch(reg, &branch, err)) ||
        (rc = label_log(&log, reg, name, label, 1, err)))
        goto done;
    const cJSON *last = cJSON_GetArrayItem(log, 0);
    if (!last) {
        rc = rs_error_set(err, RS_ENOTFOUND, "'%s' has no label '%s' to roll back", name, label);
        goto done;
    }
    const char *prev = rs_json_string(last, "from");
    if (!prev) {
        rc = rs_error_set(
            err, RS_ENOTFOUND,
            "label '%s' of '%s' has no previous target: it was %s in commit %.7s", label, name,
            cJSON_IsString(cJSON_GetObjectItemCaseSensitive(last, "to")) ? "created" : "deleted",
            cJSON_GetObjectItemCaseSensitive(last, "commit")->valuestring);
        goto done;
    }
    git_oid_fromstr(&to, prev);
    char how[300];
    int n = snprintf(how, sizeof how, "the previous target of label '%s' of '%s'", label, name);
    if (n < 0 || (size_t)n >= sizeof how)
        how[0] = '\0';
    if ((rc = reg_need_base_at(reg, &to, name, how, err)))
        goto done;
    rc = locked_update(&from, &changed, &commit, reg, branch, name, label, &to, "rollback", err);
    if (rc == 0)
        rc = move_result(json, reg, name, label, &from, &to, &commit, changed, err);
done:
    cJSON_Delete(log);
    rs_free(branch);
    return rc;
}
