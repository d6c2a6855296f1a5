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
#include "util/file.h"
#include "util/vec.h"

#include <stdio.h>
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
    int grc = reg_git(reg, err);
    if (grc)
        return grc;
    grc = git_tree_lookup(t, reg->repo, id);
    if (grc < 0) {
        char hex[GIT_OID_HEXSZ + 1];
        git_oid_tostr(hex, sizeof hex, id);
        return reg_git_fail(err, grc, "tree %s is missing or corrupt in %s", hex, reg->root);
    }
    return 0;
}

static int diff_loaded(struct walk *w, git_tree *ta, git_tree *tb, rs_str *prefix);

/* Report every blob path that differs between trees a and b (either may be NULL). */
static int diff_trees(struct walk *w, const git_oid *a, const git_oid *b, rs_str *prefix)
{
    git_tree *ta = NULL, *tb = NULL;
    int rc = lookup_tree(&ta, w->reg, a, w->err);
    if (rc == 0)
        rc = lookup_tree(&tb, w->reg, b, w->err);
    if (rc == 0)
        rc = diff_loaded(w, ta, tb, prefix);
    git_tree_free(ta);
    git_tree_free(tb);
    return rc;
}

/* One side of a changed entry: a tree is walked (against the other side's tree when it is one),
   a blob path is reported. */
static int diff_entry(struct walk *w, const git_tree_entry *e, const git_tree_entry *other,
                      int e_is_new, rs_str *prefix)
{
    size_t plen = prefix->len;
    rs_str_puts(prefix, git_tree_entry_name(e));
    int rc = rs_str_report(prefix, w->err, "a path");
    if (rc)
        return rc;
    if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
        const git_oid *o = other && git_tree_entry_type(other) == GIT_OBJECT_TREE
                               ? git_tree_entry_id(other)
                               : NULL;
        rs_str_putc(prefix, '/');
        rc = e_is_new ? diff_trees(w, o, git_tree_entry_id(e), prefix)
                      : diff_trees(w, git_tree_entry_id(e), o, prefix);
    } else {
        rc = add_change(w, prefix->ptr);
    }
    prefix->len = plen;
    prefix->ptr[plen] = '\0';
    return rc;
}

/*
 * Both trees' entries are in git's tree order, so one merge pass pairs them up: a registry of
 * thousands of prompts costs one comparison per entry and commit, not a search.
 */
static int diff_loaded(struct walk *w, git_tree *ta, git_tree *tb, rs_str *prefix)
{
    size_t na = ta ? git_tree_entrycount(ta) : 0, nb = tb ? git_tree_entrycount(tb) : 0;
    size_t i = 0, j = 0;
    int rc = 0;
    while (rc == 0 && (i < na || j < nb)) {
        const git_tree_entry *ea = i < na ? git_tree_entry_byindex(ta, i) : NULL;
        const git_tree_entry *eb = j < nb ? git_tree_entry_byindex(tb, j) : NULL;
        int c = !ea ? 1 : !eb ? -1 : git_tree_entry_cmp(ea, eb);
        if (c == 0) {
            i++;
            j++;
            if (git_oid_equal(git_tree_entry_id(ea), git_tree_entry_id(eb)) &&
                git_tree_entry_filemode(ea) == git_tree_entry_filemode(eb))
                continue;
            if (git_tree_entry_type(ea) == git_tree_entry_type(eb)) {
                rc = diff_entry(w, eb, ea, 1, prefix);
            } else { /* a file became a folder or back: both sides changed */
                rc = diff_entry(w, eb, NULL, 1, prefix);
                if (rc == 0)
                    rc = diff_entry(w, ea, NULL, 0, prefix);
            }
        } else if (c < 0) {
            i++;
            rc = diff_entry(w, ea, NULL, 0, prefix);
        } else {
            j++;
            rc = diff_entry(w, eb, NULL, 1, prefix);
        }
    }
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
        tmp[k++] =
            git_oid_cmp(&commits[order[i]], &commits[order[j]]) <= 0 ? order[i++] : order[j++];
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

/*
 * The versions cache: <git dir>/rosetta-versions, the first-parent commits (oldest first) and the
 * prompt changes of each, for one tip. A later tip whose first-parent chain contains it only
 * walks the new commits, so `log`, `list` and `show` stay fast on a long history. The file is a
 * cache: unreadable, stale or foreign contents are ignored and rebuilt, and a registry that
 * cannot be written (a read-only mirror) works without it. Its lines:
 *     rosetta-versions 1 <tip> <ncommits> <nchanges>
 *     <commit>                      (ncommits lines)
 *     <index> <name>                (nchanges lines)
 */
#define CACHE_FILE "rosetta-versions"

static void cache_path(rs_str *p, rs_registry *reg)
{
    rs_str_appendf(p, "%s%s", reg->gitdir, CACHE_FILE);
}

/* Load the cache into commits/changes; 0 commits when there is none (or it is unusable). */
static void load_cache(rs_vec *commits, rs_vec *changes, git_oid *tip, rs_registry *reg)
{
    rs_str p = RS_STR_INIT;
    char *text = NULL;
    size_t len = 0;
    cache_path(&p, reg);
    if (rs_str_error(&p) || rs_file_read(&text, &len, p.ptr, NULL) != 0)
        goto done;
    char *line = text, *end = text + len;
    char tiphex[GIT_OID_HEXSZ + 1];
    unsigned long nc = 0, nch = 0;
    int used = 0;
    if (sscanf(line, "rosetta-versions 1 %40s %lu %lu%n", tiphex, &nc, &nch, &used) != 3 ||
        git_oid_fromstr(tip, tiphex) < 0 || nc > 100000000ul || nch > 100000000ul)
        goto done;
    line = memchr(line, '\n', (size_t)(end - line));
    for (unsigned long i = 0; line && i < nc; i++) {
        git_oid c;
        line++;
        if (end - line < GIT_OID_HEXSZ || git_oid_fromstrn(&c, line, GIT_OID_HEXSZ) < 0 ||
            rs_vec_push(commits, &c))
            goto bad;
        line = memchr(line, '\n', (size_t)(end - line));
    }
    for (unsigned long i = 0; line && i < nch; i++) {
        line++;
        char *nl = memchr(line, '\n', (size_t)(end - line));
        char *sp = nl ? memchr(line, ' ', (size_t)(nl - line)) : NULL;
        if (!sp)
            goto bad;
        unsigned long idx = strtoul(line, NULL, 10);
        struct hist_change ch;
        ch.idx = idx;
        ch.name = rs_strndup(sp + 1, (size_t)(nl - sp - 1));
        if (idx >= nc || !ch.name || rs_vec_push(changes, &ch)) {
            rs_free((char *)ch.name);
            goto bad;
        }
        line = nl;
    }
    if (commits->len == nc && changes->len == nch)
        goto done;
bad:
    for (size_t i = 0; i < changes->len; i++)
        rs_free((char *)RS_VEC_AT(changes, struct hist_change, i).name);
    changes->len = 0;
    commits->len = 0;
done:
    rs_free(text);
    rs_str_free(&p);
}

static void save_cache(rs_registry *reg, const struct history *h)
{
    rs_str t = RS_STR_INIT, p = RS_STR_INIT;
    char hex[GIT_OID_HEXSZ + 1];
    rs_str_appendf(&t, "rosetta-versions 1 %s %zu %zu\n", git_oid_tostr(hex, sizeof hex, &h->tip),
                   h->ncommits, h->nchanges);
    for (size_t i = 0; i < h->ncommits; i++)
        rs_str_appendf(&t, "%s\n", git_oid_tostr(hex, sizeof hex, &h->commits[i]));
    for (size_t i = 0; i < h->nchanges; i++)
        rs_str_appendf(&t, "%zu %s\n", h->changes[i].idx, h->changes[i].name);
    cache_path(&p, reg);
    if (!rs_str_error(&t) && !rs_str_error(&p))
        (void)rs_file_write_atomic(p.ptr, t.ptr, t.len, NULL); /* best effort: a cache */
    rs_str_free(&t);
    rs_str_free(&p);
}

static int build(struct history **out, rs_registry *reg, const git_oid *tip, int use_cache,
                 rs_error *err)
{
    struct walk w;
    memset(&w, 0, sizeof w);
    w.reg = reg;
    w.err = err;
    rs_vec_init(&w.changes, sizeof(struct hist_change));
    rs_vec commits = RS_VEC_INIT(git_oid), fresh = RS_VEC_INIT(git_oid);
    rs_str prefix = RS_STR_INIT;
    struct history *h = NULL;
    git_tree *prev_t = NULL, *cur_t = NULL;
    size_t *tmp = NULL;
    git_oid cached_tip;
    int rc = 0;
    memset(&cached_tip, 0, sizeof cached_tip);
    if (use_cache)
        load_cache(&commits, &w.changes, &cached_tip, reg);
    /* Walk back from the tip to the cached tip (or the root): these commits are new. */
    git_oid cur;
    git_oid_cpy(&cur, tip);
    int found = 0;
    for (;;) {
        if (commits.len && git_oid_equal(&cur, &cached_tip)) {
            found = 1;
            break;
        }
        git_commit *c = NULL;
        /* libgit2 only for commits the cache does not cover */
        if ((rc = reg_git(reg, err)))
            goto done;
        int grc = git_commit_lookup(&c, reg->repo, &cur);
        if (grc < 0) {
            char hex[GIT_OID_HEXSZ + 1];
            git_oid_tostr(hex, sizeof hex, &cur);
            rc = reg_git_fail(err, grc, "commit %s is missing or corrupt in %s", hex, reg->root);
            goto done;
        }
        if (rs_vec_push(&fresh, &cur)) {
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
    if (!found) { /* no usable cache: everything is new */
        for (size_t i = 0; i < w.changes.len; i++)
            rs_free((char *)RS_VEC_AT(&w.changes, struct hist_change, i).name);
        w.changes.len = 0;
        commits.len = 0;
    }
    size_t base = commits.len, nf = fresh.len;
    if (rs_vec_reserve(&commits, nf)) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory walking the history");
        goto done;
    }
    for (size_t i = nf; i-- > 0;)
        rs_vec_push(&commits, &RS_VEC_AT(&fresh, git_oid, i));
    size_t n = commits.len;
    git_oid *cs = commits.items;
    git_oid prev;
    memset(&prev, 0, sizeof prev);
    for (size_t i = base ? base - 1 : 0; nf && i < n; i++) {
        git_commit *c = NULL;
        git_oid pt;
        if ((rc = reg_git(reg, err)))
            goto done;
        int grc = git_commit_lookup(&c, reg->repo, &cs[i]);
        if (grc < 0) {
            rc = reg_git_fail(err, grc, "a commit is missing or corrupt in %s", reg->root);
            goto done;
        }
        rc = prompts_tree(&pt, reg, git_commit_tree_id(c), err);
        git_commit_free(c);
        if (rc)
            goto done;
        if (base && i == base - 1) { /* the cached tip: only the starting point */
            prev = pt;
            if (!git_oid_is_zero(&pt) && (rc = lookup_tree(&prev_t, reg, &pt, err)))
                goto done;
            continue;
        }
        if (git_oid_equal(&pt, &prev))
            continue;
        /* keep the previous prompts/ tree loaded: each tree is parsed once, not twice */
        if (!git_oid_is_zero(&pt) && (rc = lookup_tree(&cur_t, reg, &pt, err)))
            goto done;
        w.idx = i;
        w.first_of_commit = w.changes.len;
        rs_str_reset(&prefix);
        rs_str_puts(&prefix, "");
        rc = diff_loaded(&w, prev_t, cur_t, &prefix);
        git_tree_free(prev_t);
        prev_t = cur_t;
        cur_t = NULL;
        prev = pt;
        if (rc)
            goto done;
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
    if (use_cache && nf)
        save_cache(reg, h);
    *out = h;
    h = NULL;
done:
    git_tree_free(prev_t);
    git_tree_free(cur_t);
    for (size_t i = 0; i < w.changes.len; i++)
        rs_free((char *)RS_VEC_AT(&w.changes, struct hist_change, i).name);
    rs_vec_free(&w.changes);
    rs_vec_free(&commits);
    rs_vec_free(&fresh);
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
    int rc = build(&h, reg, tip, 1, err);
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
    if ((rc = build(&own, reg, commit, 0, err)))
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
    if ((rc = reg_git(reg, err))) {
        cJSON_Delete(arr);
        return rc;
    }
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
