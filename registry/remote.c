/*
 * registry/remote.c - push and pull through libgit2, to and from any git remote (a remote name,
 * a path or a URL). Pull only fast-forwards: a diverged history, or a fast-forward that would
 * overwrite an uncommitted edit, stops with nothing changed.
 */
#include "registry/internal.h"

#include "util/alloc.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Names of the configured remotes (remote.NAME.url), for the error message. */
static void list_remotes(rs_str *out, git_config *cfg)
{
    git_config_iterator *it = NULL;
    git_config_entry *e;
    size_t n = 0;
    if (git_config_iterator_new(&it, cfg) < 0)
        return;
    while (git_config_next(&e, it) == 0) {
        size_t len = strlen(e->name);
        if (len > 11 && strncmp(e->name, "remote.", 7) == 0 &&
            strcmp(e->name + len - 4, ".url") == 0)
            rs_str_appendf(out, "%s%.*s", n++ ? " " : " (remotes: ", (int)(len - 11), e->name + 7);
    }
    git_config_iterator_free(it);
    if (n)
        rs_str_putc(out, ')');
    else
        rs_str_puts(out, "; give a path or URL, or add one with git remote add");
}

/*
 * A remote by name (its remote.NAME.url), or a path or URL as given. *tracking: the remote's name
 * when it is a configured one (rs_free), for updating refs/remotes/NAME/BRANCH.
 *
 * Named remotes are opened as anonymous remotes on their URL, not with git_remote_lookup: in
 * libgit2 1.5 the lookup leaks a PCRE2 match block per call (its config regex matching), and the
 * registry keeps the tracking ref up to date itself.
 */
static int open_remote(git_remote **out, char **tracking, rs_registry *reg, const char *name,
                       rs_error *err)
{
    git_config *cfg = NULL;
    git_buf url = GIT_BUF_INIT;
    rs_str key = RS_STR_INIT;
    int rc = 0, grc;
    *out = NULL;
    *tracking = NULL;
    if (!name || !*name)
        name = "origin";
    if ((grc = git_repository_config_snapshot(&cfg, reg->repo)) < 0)
        return reg_git_fail(err, grc, "cannot read the git config of %s", reg->root);
    rs_str_appendf(&key, "remote.%s.url", name);
    if ((rc = rs_str_report(&key, err, "a config key")))
        goto done;
    grc = git_config_get_string_buf(&url, cfg, key.ptr);
    if (grc == 0) {
        if (!(*tracking = rs_strdup(name))) {
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
        name = url.ptr;
    } else {
        struct stat st;
        int looks_like_url = strchr(name, '/') || strchr(name, ':') || stat(name, &st) == 0;
        if (!looks_like_url) {
            rs_str msg = RS_STR_INIT;
            rs_str_appendf(&msg, "no remote '%s' in %s", name, reg->root);
            list_remotes(&msg, cfg);
            rc = rs_error_set(err, RS_ENOTFOUND, "%s", rs_str_cstr(&msg));
            rs_str_free(&msg);
            goto done;
        }
    }
    /* url.*.insteadOf rewriting is skipped: in libgit2 1.5 it leaks a PCRE2 block per remote */
    git_remote_create_options co;
    git_remote_create_options_init(&co, GIT_REMOTE_CREATE_OPTIONS_VERSION);
    co.repository = reg->repo;
    co.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
    if ((grc = git_remote_create_with_opts(out, name, &co)) < 0)
        rc = reg_git_fail(err, grc, "'%s' is not a usable remote", name);
done:
    if (rc) {
        rs_free(*tracking);
        *tracking = NULL;
    }
    rs_str_free(&key);
    git_buf_dispose(&url);
    git_config_free(cfg);
    return rc;
}

/* refs/remotes/NAME/BRANCH = oid, as git would leave it after a push or fetch. Best effort: a
   stale tracking ref is cosmetic, so a failure here does not fail the push or pull. */
static void update_tracking(rs_registry *reg, const char *remote, const char *branch,
                            const git_oid *oid)
{
    if (!remote)
        return;
    const char *shortb = strncmp(branch, "refs/heads/", 11) == 0 ? branch + 11 : branch;
    rs_str name = RS_STR_INIT;
    git_reference *ref = NULL;
    rs_str_appendf(&name, "refs/remotes/%s/%s", remote, shortb);
    if (!rs_str_error(&name))
        git_reference_create(&ref, reg->repo, name.ptr, oid, 1, "rosetta: update tracking ref");
    git_reference_free(ref);
    rs_str_free(&name);
}

struct push_status {
    char refname[256];
    char status[512];
    int refused;
};

static int on_push_update(const char *refname, const char *status, void *data)
{
    struct push_status *ps = data;
    if (status) {
        ps->refused = 1;
        snprintf(ps->refname, sizeof ps->refname, "%s", refname);
        snprintf(ps->status, sizeof ps->status, "%s", status);
    }
    return 0;
}

int rs_registry_push(char **json, rs_registry *reg, const char *remote, rs_error *err)
{
    /* libgit2 from the start: this command writes, walks history or lists trees */
    int git_rc = reg_git(reg, err);
    if (git_rc) {
        *json = NULL;
        return git_rc;
    }
    git_remote *rem = NULL;
    char *branch = NULL, *tracking = NULL;
    git_oid tip;
    struct push_status ps;
    memset(&ps, 0, sizeof ps);
    if (json)
        *json = NULL;
    int rc = reg_tip(reg, &tip, &branch, err);
    if (rc)
        return rc;
    if (!branch) {
        rc = rs_error_set(err, RS_ECONFLICT, "HEAD of %s is detached: check out a branch to push",
                          reg->root);
        goto done;
    }
    if ((rc = open_remote(&rem, &tracking, reg, remote, err)))
        goto done;
    rs_str spec = RS_STR_INIT;
    rs_str_appendf(&spec, "%s:%s", branch, branch);
    if ((rc = rs_str_report(&spec, err, "a refspec"))) {
        rs_str_free(&spec);
        goto done;
    }
    char *specs[1] = {spec.ptr};
    git_strarray refspecs = {specs, 1};
    git_push_options po;
    git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
    po.callbacks.push_update_reference = on_push_update;
    po.callbacks.payload = &ps;
    int grc = git_remote_push(rem, &refspecs, &po);
    rs_str_free(&spec);
    const char *url = git_remote_url(rem);
    if (grc < 0) {
        rc = reg_git_fail(err, grc, "the push of %s to %s was refused", branch, url);
        goto done;
    }
    if (ps.refused) {
        rc = rs_error_set(err, RS_ECONFLICT, "%s refused %s: %s", url, ps.refname, ps.status);
        goto done;
    }
    update_tracking(reg, tracking, branch, &tip);
    if (json) {
        cJSON *o = cJSON_CreateObject();
        char hex[GIT_OID_HEXSZ + 1];
        if (o) {
            cJSON_AddStringToObject(o, "remote", url);
            cJSON_AddStringToObject(o, "branch", branch);
            cJSON_AddStringToObject(o, "commit", git_oid_tostr(hex, sizeof hex, &tip));
        }
        rc = reg_json_out(json, o, err);
    }
done:
    git_remote_free(rem);
    rs_free(tracking);
    rs_free(branch);
    return rc;
}

struct fetched {
    const char *want; /* "refs/heads/main" */
    git_oid oid;
    int found;
};

static int on_fetchhead(const char *ref_name, const char *remote_url, const git_oid *oid,
                        unsigned int is_merge, void *payload)
{
    struct fetched *f = payload;
    (void)remote_url;
    (void)is_merge;
    if (!f->found && strcmp(ref_name, f->want) == 0) {
        git_oid_cpy(&f->oid, oid);
        f->found = 1;
    }
    return 0;
}

struct conflicts {
    rs_str paths;
    size_t n;
};

static int on_checkout_notify(git_checkout_notify_t why, const char *path,
                              const git_diff_file *baseline, const git_diff_file *target,
                              const git_diff_file *workdir, void *payload)
{
    struct conflicts *c = payload;
    (void)baseline;
    (void)target;
    (void)workdir;
    if (why == GIT_CHECKOUT_NOTIFY_CONFLICT) {
        if (c->n < 5)
            rs_str_appendf(&c->paths, "%s%s", c->n ? ", " : "", path);
        c->n++;
    }
    return 0;
}

static int fast_forward(rs_registry *reg, const char *branch, const git_oid *from,
                        const git_oid *to, rs_error *err)
{
    git_commit *fc = NULL, *tc = NULL;
    git_tree *ft = NULL;
    git_reference *ref = NULL;
    struct conflicts cf;
    memset(&cf, 0, sizeof cf);
    rs_str_init(&cf.paths, 4096);
    int rc = 0;
    int grc = git_commit_lookup(&fc, reg->repo, from);
    if (grc == 0)
        grc = git_commit_tree(&ft, fc);
    if (grc == 0)
        grc = git_commit_lookup(&tc, reg->repo, to);
    if (grc < 0) {
        rc = reg_git_fail(err, grc, "cannot read the commits to fast-forward");
        goto done;
    }
    git_checkout_options co;
    git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
    co.checkout_strategy = GIT_CHECKOUT_SAFE | GIT_CHECKOUT_DRY_RUN;
    co.baseline = ft;
    co.notify_flags = GIT_CHECKOUT_NOTIFY_CONFLICT;
    co.notify_cb = on_checkout_notify;
    co.notify_payload = &cf;
    /* First a dry run: a fast-forward that would overwrite an uncommitted edit changes nothing. */
    grc = git_checkout_tree(reg->repo, (const git_object *)tc, &co);
    if (grc == GIT_ECONFLICT || cf.n) {
        rc = rs_error_set(err, RS_ECONFLICT,
                          "pull would overwrite uncommitted changes in %s (%s%s); save or discard "
                          "them first - nothing was changed",
                          reg->root, rs_str_cstr(&cf.paths), cf.n > 5 ? ", ..." : "");
        goto done;
    }
    if (grc < 0) {
        rc = reg_git_fail(err, grc, "cannot check the work tree of %s", reg->root);
        goto done;
    }
    grc = git_reference_create_matching(&ref, reg->repo, branch, to, 1, from,
                                        "rosetta pull: fast-forward");
    if (grc == GIT_EMODIFIED) {
        rc = rs_error_set(err, RS_ECONFLICT,
                          "%s moved during the pull; nothing was changed; try "
                          "again",
                          branch);
        goto done;
    }
    if (grc < 0) {
        rc = reg_git_fail(err, grc, "cannot update %s", branch);
        goto done;
    }
    co.checkout_strategy = GIT_CHECKOUT_SAFE;
    if ((grc = git_checkout_tree(reg->repo, (const git_object *)tc, &co)) < 0)
        rc = reg_git_fail(err, grc,
                          "%s moved to the pulled commit but the work tree could not be "
                          "updated (run git checkout -- . to finish)",
                          branch);
done:
    rs_str_free(&cf.paths);
    git_reference_free(ref);
    git_tree_free(ft);
    git_commit_free(fc);
    git_commit_free(tc);
    return rc;
}

int rs_registry_pull(char **json, rs_registry *reg, const char *remote, rs_error *err)
{
    /* libgit2 from the start: this command writes, walks history or lists trees */
    int git_rc = reg_git(reg, err);
    if (git_rc) {
        *json = NULL;
        return git_rc;
    }
    git_remote *rem = NULL;
    char *branch = NULL, *tracking = NULL;
    git_oid local;
    struct fetched f;
    int fd = -1, updated = 0;
    memset(&f, 0, sizeof f);
    if (json)
        *json = NULL;
    int rc = reg_need_branch(reg, &branch, err);
    if (rc || (rc = open_remote(&rem, &tracking, reg, remote, err)))
        goto done;
    const char *url = git_remote_url(rem);
    char *specs[1] = {branch};
    git_strarray refspecs = {specs, 1};
    git_fetch_options fo;
    git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
    fo.update_fetchhead = 1;
    int grc = git_remote_fetch(rem, &refspecs, &fo, "rosetta pull");
    if (grc < 0) {
        rc = reg_git_fail(err, grc, "cannot fetch %s from %s", branch, url);
        goto done;
    }
    f.want = branch;
    grc = git_repository_fetchhead_foreach(reg->repo, on_fetchhead, &f);
    if ((grc < 0 && grc != GIT_ENOTFOUND) || !f.found) {
        rc = rs_error_set(err, RS_ENOTFOUND, "%s has no branch %s", url, branch);
        goto done;
    }
    update_tracking(reg, tracking, branch, &f.oid);
    if ((rc = reg_lock(&fd, reg, err)))
        goto done;
    if ((grc = git_reference_name_to_id(&local, reg->repo, branch)) < 0) {
        rc = reg_git_fail(err, grc, "cannot read %s", branch);
        goto done;
    }
    if (!git_oid_equal(&local, &f.oid)) {
        git_oid base;
        grc = git_merge_base(&base, reg->repo, &local, &f.oid);
        if (grc < 0 && grc != GIT_ENOTFOUND) {
            rc = reg_git_fail(err, grc, "cannot compare %s with %s", branch, url);
            goto done;
        }
        if (grc == 0 && git_oid_equal(&base, &f.oid)) {
            /* the remote is behind: nothing to take */
        } else if (grc == 0 && git_oid_equal(&base, &local)) {
            if ((rc = fast_forward(reg, branch, &local, &f.oid, err)))
                goto done;
            updated = 1;
        } else {
            char l7[8], r7[8];
            size_t ahead = 0, behind = 0;
            reg_short(l7, &local);
            reg_short(r7, &f.oid);
            git_graph_ahead_behind(&ahead, &behind, reg->repo, &local, &f.oid);
            rc = rs_error_set(err, RS_ECONFLICT,
                              "%s (%s) and %s at %s (%s) have diverged (%zu local, %zu remote "
                              "commits): pull only fast-forwards, so nothing was changed; merge "
                              "with git (git pull %s %s) and push",
                              branch, l7, branch + (strncmp(branch, "refs/heads/", 11) ? 0 : 11),
                              url, r7, ahead, behind, url, branch);
            goto done;
        }
    }
    reg_invalidate(reg);
    if (json) {
        cJSON *o = cJSON_CreateObject();
        char hex[GIT_OID_HEXSZ + 1];
        if (o) {
            cJSON_AddStringToObject(o, "remote", url);
            cJSON_AddStringToObject(o, "branch", branch);
            cJSON_AddStringToObject(o, "from", git_oid_tostr(hex, sizeof hex, &local));
            cJSON_AddStringToObject(o, "to",
                                    git_oid_tostr(hex, sizeof hex, updated ? &f.oid : &local));
            cJSON_AddBoolToObject(o, "updated", updated);
        }
        rc = reg_json_out(json, o, err);
    }
done:
    reg_unlock(fd, reg);
    git_remote_free(rem);
    rs_free(tracking);
    rs_free(branch);
    return rc;
}
