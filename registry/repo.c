/*
 * registry/repo.c - opening and creating registries; the branch tip, signatures, the lock that
 * serialises work-tree updates, and libgit2 error translation.
 */
#include "registry/internal.h"

#include "util/alloc.h"
#include "util/file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int reg_git_fail(rs_error *err, int gitrc, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (n < 0)
        what[0] = '\0';
    /* git_error_last() may be NULL in libgit2 1.5 (STYLE.md §3). */
    const git_error *ge = git_error_last();
    const char *gm = ge && ge->message ? ge->message : "unknown libgit2 error";
    int code = RS_EGIT;
    if (gitrc == GIT_ENOTFOUND)
        code = RS_ENOTFOUND;
    else if (gitrc == GIT_ELOCKED || gitrc == GIT_EMODIFIED || gitrc == GIT_ECONFLICT ||
             gitrc == GIT_ENONFASTFORWARD)
        code = RS_ECONFLICT;
    rs_error_set(err, code, "%s: %s", what, gm);
    rs_error_set_cause(err, gitrc);
    return code;
}

void reg_short(char out[8], const git_oid *oid)
{
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, oid);
    memcpy(out, hex, 7);
    out[7] = '\0';
}

static int is_registry_repo(git_repository *repo)
{
    if (!git_repository_is_bare(repo)) {
        const char *wd = git_repository_workdir(repo);
        char path[PATH_MAX];
        int n = snprintf(path, sizeof path, "%s%s", wd, CONFIG_FILE);
        struct stat st;
        if (n > 0 && (size_t)n < sizeof path && stat(path, &st) == 0 && S_ISREG(st.st_mode))
            return 1;
    }
    git_object *obj = NULL;
    int found = git_revparse_single(&obj, repo, "HEAD:" CONFIG_FILE) == 0;
    git_object_free(obj);
    return found;
}

static int wrap(rs_registry **out, git_repository *repo, rs_error *err)
{
    rs_registry *reg = rs_calloc(1, sizeof *reg);
    const char *root =
        git_repository_is_bare(repo) ? git_repository_path(repo) : git_repository_workdir(repo);
    if (!reg || !(reg->root = rs_strdup(root)) ||
        !(reg->gitdir = rs_strdup(git_repository_path(repo)))) {
        if (reg)
            rs_free(reg->root);
        rs_free(reg);
        git_repository_free(repo);
        git_libgit2_shutdown();
        return rs_error_set(err, RS_ENOMEM, "out of memory opening the registry");
    }
    reg->repo = repo;
    reg->git_ref = 1;
    reg->bare = git_repository_is_bare(repo);
    *out = reg;
    return 0;
}

/* Whether the natively opened repository is a registry: 1 yes, 0 no, -1 the reader cannot tell
   (libgit2 decides, and words the refusal). */
static int native_is_registry(gr_repo *gr)
{
    const char *wd = gr_workdir(gr);
    if (wd) {
        char path[PATH_MAX];
        int n = snprintf(path, sizeof path, "%s%s", wd, CONFIG_FILE);
        struct stat st;
        if (n > 0 && (size_t)n < sizeof path && stat(path, &st) == 0 && S_ISREG(st.st_mode))
            return 1;
    }
    unsigned char head[GR_OID_SIZE], found[GR_OID_SIZE];
    char *branch = NULL;
    int type = 0, rc = gr_head(head, &branch, gr);
    rs_free(branch);
    if (rc == GR_OK)
        rc = gr_path_at(found, &type, gr, head, CONFIG_FILE);
    return rc == GR_OK ? 1 : rc == GR_NOPATH ? 0 : -1;
}

/* A handle on the native reader; libgit2 is opened later if a path needs it. Frees gr on
   failure. */
static int wrap_native(rs_registry **out, gr_repo *gr, rs_error *err)
{
    rs_registry *reg = rs_calloc(1, sizeof *reg);
    const char *root = gr_workdir(gr) ? gr_workdir(gr) : gr_gitdir(gr);
    if (!reg || !(reg->root = rs_strdup(root)) || !(reg->gitdir = rs_strdup(gr_gitdir(gr)))) {
        if (reg)
            rs_free(reg->root);
        rs_free(reg);
        gr_free(gr);
        return rs_error_set(err, RS_ENOMEM, "out of memory opening the registry");
    }
    reg->gr = gr;
    reg->bare = gr_workdir(gr) == NULL;
    *out = reg;
    return 0;
}

int reg_git(rs_registry *reg, rs_error *err)
{
    if (reg->repo)
        return 0;
    if (git_libgit2_init() < 0)
        return rs_error_set(err, RS_EGIT, "libgit2 could not be initialised");
    int grc = git_repository_open_ext(&reg->repo, reg->root, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
    if (grc < 0) {
        int rc = reg_git_fail(err, grc, "cannot open the git repository at %s", reg->root);
        reg->repo = NULL;
        git_libgit2_shutdown();
        return rc;
    }
    reg->git_ref = 1;
    return 0;
}

int rs_registry_open(rs_registry **out, const char *dir, rs_error *err)
{
    *out = NULL;
    git_repository *repo = NULL;
    char cwd[PATH_MAX];
    int rc = 0;
    if (!dir || !*dir) {
        const char *env = getenv("ROSETTA_REGISTRY");
        if (env && *env) {
            dir = env;
        } else {
            if (!getcwd(cwd, sizeof cwd))
                return rs_error_set(err, RS_EIO, "cannot read the current directory: %s",
                                    strerror(errno));
            dir = cwd;
        }
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return rs_error_set(err, RS_ENOTFOUND, "not a rosetta registry: %s is not a directory",
                            dir);
    /* The native reader first: read-only commands then never start libgit2. Any case it does
       not handle, and every refusal, goes the libgit2 way below. */
    gr_repo *gr = NULL;
    int grc = gr_open(&gr, dir);
    if (grc == GR_NOMEM)
        return rs_error_set(err, RS_ENOMEM, "out of memory opening the registry");
    if (grc == GR_OK) {
        if (native_is_registry(gr) == 1)
            return wrap_native(out, gr, err);
        gr_free(gr);
    }
    /* Each handle holds a libgit2 reference so the library works without rs_global_init too. */
    if (git_libgit2_init() < 0)
        return rs_error_set(err, RS_EGIT, "libgit2 could not be initialised");
    grc = git_repository_open_ext(&repo, dir, 0, NULL);
    if (grc == GIT_ENOTFOUND) {
        rc = rs_error_set(err, RS_ENOTFOUND,
                          "not a rosetta registry (nor inside one): %s; create one with 'rosetta "
                          "init' or point ROSETTA_REGISTRY / -C at one",
                          dir);
        goto fail;
    }
    if (grc < 0) {
        rc = reg_git_fail(err, grc, "cannot open the git repository at %s", dir);
        goto fail;
    }
    if (!is_registry_repo(repo)) {
        const char *where =
            git_repository_workdir(repo) ? git_repository_workdir(repo) : git_repository_path(repo);
        rc = rs_error_set(err, RS_ENOTFOUND,
                          "not a rosetta registry: the git repository %s has no " CONFIG_FILE
                          "; create one with 'rosetta init --force %s'",
                          where, where);
        goto fail;
    }
    return wrap(out, repo, err);
fail:
    git_repository_free(repo);
    git_libgit2_shutdown();
    return rc;
}

void reg_invalidate(rs_registry *reg)
{
    reg_history_free(reg->hist);
    reg->hist = NULL;
}

void rs_registry_free(rs_registry *reg)
{
    if (!reg)
        return;
    reg_history_free(reg->hist);
    cJSON_Delete(reg->labels);
    rs_free(reg->lindex);
    for (size_t i = 0; i < PFILES_CACHE; i++)
        reg_pfiles_free(reg->pcache[i]);
    reg_compiled_free_all(reg);
    git_repository_free(reg->repo);
    gr_free(reg->gr);
    rs_free(reg->root);
    rs_free(reg->gitdir);
    int git_ref = reg->git_ref;
    rs_free(reg);
    if (git_ref)
        git_libgit2_shutdown();
}

const char *rs_registry_root(const rs_registry *reg)
{
    return reg->root;
}

int rs_registry_is_bare(const rs_registry *reg)
{
    return reg->bare;
}

int reg_tip(rs_registry *reg, git_oid *tip, char **branch, rs_error *err)
{
    git_reference *head = NULL;
    if (branch)
        *branch = NULL;
    if (reg->gr) {
        char *b = NULL;
        int nrc = gr_head(tip->id, &b, reg->gr);
        if (nrc == GR_OK) {
            if (branch)
                *branch = b;
            else
                rs_free(b);
            return 0;
        }
        if (nrc == GR_NOMEM)
            return rs_error_set(err, RS_ENOMEM, "out of memory");
    }
    int rc = reg_git(reg, err);
    if (rc)
        return rc;
    int grc = git_repository_head(&head, reg->repo);
    if (grc == GIT_EUNBORNBRANCH || grc == GIT_ENOTFOUND)
        return rs_error_set(err, RS_ENOTFOUND,
                            "the registry %s has no commits yet (an empty repository); save a "
                            "prompt first",
                            reg->root);
    if (grc < 0)
        return reg_git_fail(err, grc, "cannot read HEAD of %s", reg->root);
    const git_oid *id = git_reference_target(head);
    if (!id) {
        rc = rs_error_set(err, RS_EGIT, "HEAD of %s does not point at a commit", reg->root);
        goto done;
    }
    git_oid_cpy(tip, id);
    if (branch && git_reference_is_branch(head)) {
        *branch = rs_strdup(git_reference_name(head));
        if (!*branch)
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
    }
done:
    git_reference_free(head);
    return rc;
}

int reg_need_branch(rs_registry *reg, char **branch, rs_error *err)
{
    git_oid tip;
    *branch = NULL;
    if (reg->bare)
        return rs_error_set(err, RS_EUNSUPPORTED,
                            "the registry %s is a bare repository: it can be read, but changes "
                            "need a clone with a work tree",
                            reg->root);
    int rc = reg_tip(reg, &tip, branch, err);
    if (rc)
        return rc;
    if (!*branch) {
        char s[8];
        reg_short(s, &tip);
        return rs_error_set(err, RS_ECONFLICT,
                            "HEAD of %s is detached at %s: check out a branch (git switch main) "
                            "before changing the registry",
                            reg->root, s);
    }
    return 0;
}

int reg_signature(git_signature **out, rs_registry *reg, rs_error *err)
{
    const char *name = getenv("GIT_AUTHOR_NAME");
    const char *email = getenv("GIT_AUTHOR_EMAIL");
    int grc = reg_git(reg, err);
    if (grc)
        return grc;
    if (name && *name && email && *email) {
        grc = git_signature_now(out, name, email);
    } else {
        grc = git_signature_default(out, reg->repo);
        if (grc == GIT_ENOTFOUND) {
            const char *user = getenv("USER");
            char mail[256];
            if (!user || !*user)
                user = "rosetta";
            int n = snprintf(mail, sizeof mail, "%s@localhost", user);
            if (n < 0 || (size_t)n >= sizeof mail)
                return rs_error_set(err, RS_EINVAL, "user name too long for a signature");
            grc = git_signature_now(out, name && *name ? name : user, mail);
        }
    }
    if (grc < 0)
        return reg_git_fail(err, grc,
                            "cannot make a commit signature (set user.name and "
                            "user.email with git config)");
    return 0;
}

int reg_lock(int *fd, rs_registry *reg, rs_error *err)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%srosetta.lock", reg->gitdir);
    if (n < 0 || (size_t)n >= sizeof path)
        return rs_error_set(err, RS_ELIMIT, "git directory path too long");
    /* flock, not O_EXCL: the kernel releases it when a process dies, so a crash never leaves a
       stale lock behind. */
    *fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    if (*fd < 0)
        return rs_error_set(err, RS_EIO, "cannot open the lock %s: %s", path, strerror(errno));
    while (flock(*fd, LOCK_EX) != 0) {
        if (errno == EINTR)
            continue;
        int e = errno;
        close(*fd);
        *fd = -1;
        return rs_error_set(err, RS_EIO, "cannot lock %s: %s", path, strerror(e));
    }
    return 0;
}

void reg_unlock(int fd, rs_registry *reg)
{
    (void)reg;
    if (fd >= 0) {
        flock(fd, LOCK_UN);
        close(fd);
    }
}

/* ---- init ---- */

static const char config_text[] =
    "# rosetta.yaml - the registry's configuration (https://github.com/rosetta-prompts)\n"
    "#\n"
    "# providers: base URLs and options per provider; API keys come from the environment\n"
    "# (OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY, ...), never from this file.\n"
    "#   providers:\n"
    "#     ollama: {base_url: http://127.0.0.1:11434}\n"
    "#\n"
    "# models: aliases for provider/model targets.\n"
    "#   models:\n"
    "#     fast: openai/gpt-4o-mini\n"
    "#\n"
    "# routes: fallback chains and weighted splits.\n"
    "#   routes:\n"
    "#     triage: {fallback: [anthropic/claude-3-5-haiku-latest, openai/gpt-4o-mini]}\n"
    "#\n"
    "# defaults: the target and options used when a command does not name them.\n"
    "#   defaults:\n"
    "#     target: openai/gpt-4o-mini\n"
    "version: 1\n";

static const char labels_text[] =
    "# labels.yaml - label -> commit, per prompt. Written by `rosetta label`; each move is a\n"
    "# commit, so promotions are reviewed, pushed and audited like code (`rosetta label log`).\n"
    "{}\n";

static const char gitignore_text[] = ".rosetta/\n";

static const char prompts_readme[] =
    "Prompts live here: NAME.prompt (base), NAME.VARIANT.prompt (variants), _NAME.prompt "
    "(partials).\n";

static const char datasets_readme[] =
    "Datasets live here: NAME.jsonl, one case per line: {\"vars\": {...}, \"expected\": ..., "
    "\"id\": ...}\n";

struct seed {
    const char *path;
    const char *text;
};

static const struct seed seeds[] = {
    {CONFIG_FILE, config_text},
    {LABELS_FILE, labels_text},
    {".gitignore", gitignore_text},
    {"prompts/README.md", prompts_readme},
    {"datasets/README.md", datasets_readme},
};

static int dir_is_empty(const char *dir, int *empty, rs_error *err)
{
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT) {
            *empty = 1;
            return 0;
        }
        return rs_error_set(err, RS_EIO, "cannot read %s: %s", dir, strerror(errno));
    }
    *empty = 1;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            *empty = 0;
            break;
        }
    }
    closedir(d);
    return 0;
}

static int mkdir_p(const char *path, rs_error *err)
{
    char buf[PATH_MAX];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf)
        return rs_error_set(err, RS_EINVAL, "bad directory path '%s'", path);
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char c = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return rs_error_set(err, RS_EIO, "cannot create %s: %s", buf, strerror(errno));
            buf[i] = c;
        }
    }
    return 0;
}

/* Write the seed files that do not exist yet; collect their blobs as tree updates. */
static int write_seeds(rs_registry *reg, git_tree_update *ups, size_t *nups, rs_error *err)
{
    *nups = 0;
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        char path[PATH_MAX];
        int n = snprintf(path, sizeof path, "%s%s", reg->root, seeds[i].path);
        if (n < 0 || (size_t)n >= sizeof path)
            return rs_error_set(err, RS_ELIMIT, "path too long under %s", reg->root);
        struct stat st;
        if (stat(path, &st) == 0)
            continue; /* --force on an existing tree: keep what the user has */
        char *slash = strrchr(path, '/');
        *slash = '\0';
        int rc = mkdir_p(path, err);
        *slash = '/';
        if (rc)
            return rc;
        if ((rc = rs_file_write_atomic(path, seeds[i].text, strlen(seeds[i].text), err)))
            return rc;
        git_oid blob;
        int grc =
            git_blob_create_from_buffer(&blob, reg->repo, seeds[i].text, strlen(seeds[i].text));
        if (grc < 0)
            return reg_git_fail(err, grc, "cannot store %s", seeds[i].path);
        ups[*nups].action = GIT_TREE_UPDATE_UPSERT;
        git_oid_cpy(&ups[*nups].id, &blob);
        ups[*nups].filemode = GIT_FILEMODE_BLOB;
        ups[*nups].path = seeds[i].path;
        (*nups)++;
    }
    return 0;
}

int rs_registry_init(rs_registry **out, const char *dir, const rs_registry_init_opts *opts,
                     rs_error *err)
{
    rs_registry_init_opts dflt = RS_REGISTRY_INIT_OPTS_INIT;
    rs_registry *reg = NULL;
    git_repository *repo = NULL;
    git_signature *sig = NULL;
    git_tree *base = NULL;
    git_commit *parent = NULL;
    int rc = 0, grc;
    if (out)
        *out = NULL;
    if (!opts)
        opts = &dflt;
    if (!dir || !*dir)
        dir = ".";
    if (git_libgit2_init() < 0)
        return rs_error_set(err, RS_EGIT, "libgit2 could not be initialised");
    int existing = git_repository_open_ext(&repo, dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) == 0;
    if (existing && is_registry_repo(repo)) {
        rc = rs_error_set(err, RS_EEXISTS, "%s is already a rosetta registry", dir);
        goto done;
    }
    int empty = 1;
    if ((rc = dir_is_empty(dir, &empty, err)))
        goto done;
    if (!empty && !opts->force) {
        rc = rs_error_set(err, RS_ECONFLICT,
                          "%s is not empty and not a registry; use --force to make it one "
                          "(existing files are kept)",
                          dir);
        goto done;
    }
    if (!existing) {
        git_repository_init_options io;
        git_repository_init_options_init(&io, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
        io.flags = GIT_REPOSITORY_INIT_MKPATH;
        io.initial_head = opts->branch ? opts->branch : "main";
        if ((grc = git_repository_init_ext(&repo, dir, &io)) < 0) {
            rc = reg_git_fail(err, grc, "cannot create a git repository in %s", dir);
            goto done;
        }
    }
    if (git_repository_is_bare(repo)) {
        rc = rs_error_set(err, RS_EUNSUPPORTED, "%s is a bare repository; init needs a work tree",
                          dir);
        goto done;
    }
    rc = wrap(&reg, repo, err);
    repo = NULL;
    if (rc) {
        git_libgit2_init(); /* wrap released the handle's reference on failure */
        goto done;
    }
    git_tree_update ups[sizeof seeds / sizeof seeds[0]];
    size_t nups = 0;
    if ((rc = write_seeds(reg, ups, &nups, err)))
        goto done;
    git_oid head_oid, tree_oid, commit_oid;
    char *branch = NULL;
    int has_head = reg_tip(reg, &head_oid, &branch, NULL) == 0;
    rs_free(branch);
    if (has_head) {
        if ((grc = git_commit_lookup(&parent, reg->repo, &head_oid)) < 0 ||
            (grc = git_commit_tree(&base, parent)) < 0) {
            rc = reg_git_fail(err, grc, "cannot read HEAD of %s", reg->root);
            goto done;
        }
    } else {
        git_treebuilder *tb = NULL;
        git_oid empty_oid;
        if ((grc = git_treebuilder_new(&tb, reg->repo, NULL)) < 0 ||
            (grc = git_treebuilder_write(&empty_oid, tb)) < 0 ||
            (grc = git_tree_lookup(&base, reg->repo, &empty_oid)) < 0) {
            git_treebuilder_free(tb);
            rc = reg_git_fail(err, grc, "cannot build the first tree");
            goto done;
        }
        git_treebuilder_free(tb);
    }
    if ((grc = git_tree_create_updated(&tree_oid, reg->repo, base, nups, ups)) < 0) {
        rc = reg_git_fail(err, grc, "cannot build the registry's first tree");
        goto done;
    }
    if ((rc = reg_signature(&sig, reg, err)))
        goto done;
    git_tree *tree = NULL;
    if ((grc = git_tree_lookup(&tree, reg->repo, &tree_oid)) < 0) {
        rc = reg_git_fail(err, grc, "cannot read the new tree");
        goto done;
    }
    const git_commit *parents[1] = {parent};
    grc = git_commit_create(&commit_oid, reg->repo, "HEAD", sig, sig, NULL,
                            "rosetta init: a new prompt registry\n", tree, parent ? 1 : 0, parents);
    git_tree_free(tree);
    if (grc < 0) {
        rc = reg_git_fail(err, grc, "cannot make the first commit in %s", reg->root);
        goto done;
    }
    const char *paths[sizeof seeds / sizeof seeds[0]];
    for (size_t i = 0; i < nups; i++)
        paths[i] = ups[i].path;
    int fd = -1;
    if ((rc = reg_lock(&fd, reg, err)))
        goto done;
    rc = reg_sync_paths(reg, paths, nups, err);
    reg_unlock(fd, reg);
done:
    git_signature_free(sig);
    git_tree_free(base);
    git_commit_free(parent);
    git_repository_free(repo);
    if (rc == 0 && out) {
        *out = reg;
    } else if (reg) {
        rs_registry_free(reg);
    } else {
        git_libgit2_shutdown();
    }
    return rc;
}
