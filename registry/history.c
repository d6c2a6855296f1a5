/*
 * registry/history.c - versions: vN is the Nth first-parent commit (oldest first) that changed
 * the prompt's base or variant files.
 *
 * One walk of the first-parent chain from the branch tip records, for every commit, which prompts
 * its tree changed against its first parent. Trees are compared by id and only the subtrees that
 * differ are opened, so a commit touching one file costs a few tree reads whatever the registry's
 * size. The walk is cached per handle for one tip.
 */
#include "registry/internal.h"

#include "util/alloc.h"
#include "util/vec.h"

#include <stdlib.h>
#include <string.h>

struct walk {
    rs_registry *reg;
    rs_vec changes; /* struct hist_change, name owned */
    size_t idx;
    size_t first_of_commit; /* changes[first_of_commit..] belong to the current commit */
    rs_error *err;
};

static int add_change(struct walk *w, const char *rel)
{
    char name[MAX_NAME + 1], variant[MAX_NAME + 1];
    if (reg_classify(rel, name, variant) != 1)
        return 0;
    for (size_t i = w->first_of_commit; i < w->changes.len; i++)
        if (strcmp(RS_VEC_AT(&w->changes, struct hist_change, i).name, name) == 0)
            return 0;
    struct hist_change c;
    c.idx = w->idx;
    c.name = rs_strdup(name);
    if (!c.name || rs_vec_push(&w->changes, &c)) {
        rs_free((char *)c.name);
        return rs_error_set(w->err, RS_ENOMEM, "out of memory walking the history");
    }
    return 0;
}

static int lookup_tree(git_tree **t, rs_registry *reg, const git_oid *id, rs_error *err)
{
    *t = NULL;
    if (!id)
        return 0;
    int grc = git_tree_lookup(t, reg->repo, id);
    if (grc < 0) {
        char hex[GIT_OID_HEXSZ + 1];
        git_oid_tostr(hex, sizeof hex, id);
        return reg_git_fail(err, grc, "tree %s is missing or corrupt in %s", hex, reg->root);
    }
    return 0;
}

/* Report every blob path that differs between trees a and b (either may be NULL). */
static int diff_trees(struct walk *w, const git_oid *a, const git_oid *b, rs_str *prefix)
{
    git_tree *ta = NULL, *tb = NULL;
    size_t plen = prefix->len;
    int rc = lookup_tree(&ta, w->reg, a, w->err);
    if (rc == 0)
        rc = lookup_tree(&tb, w->reg, b, w->err);
    if (rc)
        goto done;
    for (int side = 0; side < 2 && rc == 0; side++) {
        git_tree *self = side == 0 ? tb : ta, *other = side == 0 ? ta : tb;
        size_t n = self ? git_tree_entrycount(self) : 0;
        for (size_t i = 0; i < n && rc == 0; i++) {
            const git_tree_entry *e = git_tree_entry_byindex(self, i);
            const char *nm = git_tree_entry_name(e);
            const git_tree_entry *o = other ? git_tree_entry_byname(other, nm) : NULL;
            if (side == 1 && o)
                continue; /* seen from the new side */
            if (o && git_oid_equal(git_tree_entry_id(e), git_tree_entry_id(o)) &&
                git_tree_entry_filemode(e) == git_tree_entry_filemode(o))
                continue;
            prefix->len = plen;
            rs_str_puts(prefix, nm);
            if ((rc = rs_str_report(prefix, w->err, "a path")))
                break;
            int e_tree = git_tree_entry_type(e) == GIT_OBJECT_TREE;
            int o_tree = o && git_tree_entry_type(o) == GIT_OBJECT_TREE;
            if (e_tree) {
                rs_str_putc(prefix, '/');
                const git_oid *eid = git_tree_entry_id(e), *oid = o_tree ? git_tree_entry_id(o) : NULL;
                rc = side == 0 ? diff_trees(w, oid, eid, prefix) : diff_trees(w, eid, NULL, prefix);
                prefix->len = plen;
                rs_str_puts(prefix, nm);
            } else {
                rc = add_change(w, prefix->ptr);
            }
            if (rc == 0 && o && o_tree != e_tree) {
                if (o_tree) {
                    rs_str_putc(prefix, '/');
                    rc = diff_trees(w, git_tree_entry_id(o), NULL, prefix);
                } else {
                    rc = add_change(w, prefix->ptr);
                }
            }
        }
    }
done:
    prefix->len = plen;
    if (prefix->ptr)
        prefix->ptr[plen] = '\0';
    git_tree_free(ta);
    git_tree_free(tb);
    return rc;
}

/* The id of prompts/ in a commit's root tree, or zero when it has none. */
static int prompts_tree(git_oid *out, rs_registry *reg, const git_oid *root, rs_error *err)
{
    git_tree *t = NULL;
    memset(out, 0, sizeof *out);
    int rc = lookup_tree(&t, reg, root, err);
    if (rc)
        return rc;
    const git_tree_entry *e = git_tree_entry_byname(t, "prompts");
    if (e && git_tree_entry_type(e) == GIT_OBJECT_TREE)
        git_oid_cpy(out, git_tree_entry_id(e));
    git_tree_free(t);
    return 0;
}

static int cmp_change(const void *a, const void *b)
{
    const struct hist_change *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Sort commit indices by commit id: a merge sort, because qsort has no context argument in C11
   and the comparison needs the commits array. */
static void sort_order(size_t *order, size_t *tmp, size_t n, const git_oid *commits)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    sort_order(order, tmp, h, commits);
    sort_order(order + h, tmp, n - h, commits);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = git_oid_cmp(&commits[order[i]], &commits[order[j]]) <= 0 ? order[i++]
                                                                             : order[j++];
    while (i < h)
        tmp[k++] = order[i++];
    while (j < n)
        tmp[k++] = order[j++];
    memcpy(order, tmp, n * sizeof *order);
}

void reg_history_free(struct history *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->nchanges; i++)
        rs_free((char *)h->changes[i].name);
    rs_free(h->changes);
    rs_free(h->commits);
    rs_free(h->order);
    rs_free(h);
}

static int build(struct history **out, rs_registry *reg, const git_oid *tip, rs_error *err)
{
    struct walk w;
    memset(&w, 0, sizeof w);
    w.reg = reg;
    w.err = err;
    rs_vec_init(&w.changes, sizeof(struct hist_change));
    rs_vec commits = RS_VEC_INIT(git_oid), trees = RS_VEC_INIT(git_oid);
    rs_str prefix = RS_STR_INIT;
    struct history *h = NULL;
    size_t *tmp = NULL;
    int rc = 0;
    git_oid cur;
    git_oid_cpy(&cur, tip);
    for (;;) {
        git_commit *c = NULL;
        int grc = git_commit_lookup(&c, reg->repo, &cur);
        if (grc < 0) {
            char hex[GIT_OID_HEXSZ + 1];
            git_oid_tostr(hex, sizeof hex, &cur);
            rc = reg_git_fail(err, grc, "commit %s is missing or corrupt in %s", hex, reg->root);
            goto done;
        }
        if (rs_vec_push(&commits, &cur) || rs_vec_push(&trees, git_commit_tree_id(c))) {
            git_commit_free(c);
            rc = rs_error_set(err, RS_ENOMEM, "out of memory walking the history");
            goto done;
        }
        const git_oid *p = git_commit_parentcount(c) ? git_commit_parent_id(c, 0) : NULL;
        if (p)
            git_oid_cpy(&cur, p);
        git_commit_free(c);
        if (!p)
            break;
    }
    size_t n = commits.len;
    git_oid *cs = commits.items, *ts = trees.items;
    for (size_t i = 0; i < n / 2; i++) {
        git_oid t = cs[i];
        cs[i] = cs[n - 1 - i];
        cs[n - 1 - i] = t;
        t = ts[i];
        ts[i] = ts[n - 1 - i];
        ts[n - 1 - i] = t;
    }
    git_oid prev;
    memset(&prev, 0, sizeof prev);
    for (size_t i = 0; i < n; i++) {
        git_oid pt;
        if ((rc = prompts_tree(&pt, reg, &ts[i], err)))
            goto done;
        if (!git_oid_equal(&pt, &prev)) {
            w.idx = i;
            w.first_of_commit = w.changes.len;
            rs_str_reset(&prefix);
            rs_str_puts(&prefix, "");
            rc = diff_trees(&w, git_oid_is_zero(&prev) ? NULL : &prev,
                            git_oid_is_zero(&pt) ? NULL : &pt, &prefix);
            if (rc)
                goto done;
        }
        prev = pt;
    }
    h = rs_calloc(1, sizeof *h);
    tmp = rs_malloc((n ? n : 1) * sizeof *tmp);
    if (!h || !tmp || !(h->order = rs_malloc((n ? n : 1) * sizeof *h->order))) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory walking the history");
        goto done;
    }
    git_oid_cpy(&h->tip, tip);
    h->commits = cs;
    h->ncommits = n;
    commits.items = NULL;
    for (size_t i = 0; i < n; i++)
        h->order[i] = i;
    sort_order(h->order, tmp, n, h->commits);
    h->changes = w.changes.items;
    h->nchanges = w.changes.len;
    w.changes.items = NULL;
    w.changes.len = 0;
    qsort(h->changes, h->nchanges, sizeof *h->changes, cmp_change);
    *out = h;
    h = NULL;
done:
    for (size_t i = 0; i < w.changes.len; i++)
        rs_free((char *)RS_VEC_AT(&w.changes, struct hist_change, i).name);
    rs_vec_free(&w.changes);
    rs_vec_free(&commits);
    rs_vec_free(&trees);
    rs_str_free(&prefix);
    rs_free(tmp);
    reg_history_free(h);
    return rc;
}

int reg_history(const struct history **out, rs_registry *reg, const git_oid *tip, rs_error *err)
{
    *out = NULL;
    if (reg->hist && git_oid_equal(&reg->hist->tip, tip)) {
        *out = reg->hist;
        return 0;
    }
    struct history *h = NULL;
    int rc = build(&h, reg, tip, err);
    if (rc)
        return rc;
    reg_history_free(reg->hist);
    reg->hist = h;
    *out = h;
    return 0;
}

long reg_history_find(const struct history *h, const git_oid *commit)
{
    size_t lo = 0, hi = h->ncommits;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = git_oid_cmp(&h->commits[h->order[mid]], commit);
        if (c == 0)
            return (long)h->order[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

void reg_history_range(const struct history *h, const char *name, size_t *first, size_t *count)
{
    size_t lo = 0, hi = h->nchanges;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(h->changes[mid].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < h->nchanges && strcmp(h->changes[end].name, name) == 0)
        end++;
    *first = lo;
    *count = end - lo;
}

static int count_upto(const struct history *h, const char *name, size_t idx)
{
    size_t first, count, v = 0;
    reg_history_range(h, name, &first, &count);
    for (size_t i = 0; i < count; i++)
        if (h->changes[first + i].idx <= idx)
            v++;
    return (int)v;
}

int reg_version_at(int *version, rs_registry *reg, const char *name, const git_oid *commit,
                   rs_error *err)
{
    git_oid tip;
    const struct history *h = NULL;
    *version = 0;
    int rc = reg_tip(reg, &tip, NULL, err);
    if (rc == 0)
        rc = reg_history(&h, reg, &tip, err);
    if (rc)
        return rc;
    long idx = reg_history_find(h, commit);
    if (idx >= 0) {
        *version = count_upto(h, name, (size_t)idx);
        return 0;
    }
    /* A commit off the branch's first-parent chain (a tag, another branch): its own chain. */
    struct history *own = NULL;
    if ((rc = build(&own, reg, commit, err)))
        return rc;
    *version = count_upto(own, name, own->ncommits - 1);
    reg_history_free(own);
    return 0;
}

static int collect_names(cJSON *arr, rs_registry *reg, const git_oid *tree_id, rs_str *prefix,
                         int depth, rs_error *err)
{
    git_tree *t = NULL;
    size_t plen = prefix->len;
    int rc = lookup_tree(&t, reg, tree_id, err);
    if (rc)
        return rc;
    size_t n = git_tree_entrycount(t);
    for (size_t i = 0; i < n && rc == 0; i++) {
        const git_tree_entry *e = git_tree_entry_byindex(t, i);
        prefix->len = plen;
        rs_str_puts(prefix, git_tree_entry_name(e));
        if ((rc = rs_str_report(prefix, err, "a path")))
            break;
        if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
            if (depth < 32) {
                rs_str_putc(prefix, '/');
                rc = collect_names(arr, reg, git_tree_entry_id(e), prefix, depth + 1, err);
            }
            continue;
        }
        char name[MAX_NAME + 1], variant[MAX_NAME + 1];
        if (reg_classify(prefix->ptr, name, variant) == 1 && !variant[0]) {
            cJSON *s = cJSON_CreateString(name);
            if (!s) {
                rc = rs_error_set(err, RS_ENOMEM, "out of memory");
                break;
            }
            cJSON_AddItemToArray(arr, s);
        }
    }
    prefix->len = plen;
    if (prefix->ptr)
        prefix->ptr[plen] = '\0';
    git_tree_free(t);
    return rc;
}

static int cmp_json_str(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(x->valuestring, y->valuestring);
}

int reg_names_at(cJSON **out, rs_registry *reg, const git_oid *commit, rs_error *err)
{
    git_commit *c = NULL;
    git_oid pt;
    rs_str prefix = RS_STR_INIT;
    cJSON *arr = cJSON_CreateArray();
    cJSON **items = NULL;
    int rc = 0;
    *out = NULL;
    if (!arr)
        return rs_error_set(err, RS_ENOMEM, "out of memory");
    int grc = git_commit_lookup(&c, reg->repo, commit);
    if (grc < 0) {
        rc = reg_git_fail(err, grc, "cannot read a commit in %s", reg->root);
        goto done;
    }
    if ((rc = prompts_tree(&pt, reg, git_commit_tree_id(c), err)))
        goto done;
    if (!git_oid_is_zero(&pt) && (rc = collect_names(arr, reg, &pt, &prefix, 0, err)))
        goto done;
    /* tree order puts "a.prompt" and "a/" apart from plain byte order: sort by name */
    int n = cJSON_GetArraySize(arr);
    if (n > 1) {
        items = rs_malloc((size_t)n * sizeof *items);
        if (!items) {
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
        for (int i = n - 1; i >= 0; i--)
            items[i] = cJSON_DetachItemFromArray(arr, i);
        qsort(items, (size_t)n, sizeof *items, cmp_json_str);
        for (int i = 0; i < n; i++)
            cJSON_AddItemToArray(arr, items[i]);
    }
    *out = arr;
    arr = NULL;
done:
    rs_free(items);
    cJSON_Delete(arr);
    rs_str_free(&prefix);
    git_commit_free(c);
    return rc;
}
