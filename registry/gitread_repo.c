/*
 * registry/gitread_repo.c - finding the repository as libgit2 does in the plain cases, the
 * checks that send every other case to libgit2, and refs: HEAD, loose refs and packed-refs.
 */
#include "registry/gitread_int.h"

#include "util/alloc.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_MAX ((size_t)1 << 20)
#define REFS_MAX ((size_t)64 << 20)

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 || errno != ENOENT;
}

/* libgit2's test for a git directory: objects/ and refs/ directories and a HEAD file. */
static int looks_like_gitdir(const char *dir)
{
    char p[PATH_MAX];
    struct stat st;
    int n = snprintf(p, sizeof p, "%s/HEAD", dir);
    if (n < 0 || (size_t)n >= sizeof p || stat(p, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    n = snprintf(p, sizeof p, "%s/objects", dir);
    if (n < 0 || (size_t)n >= sizeof p || !is_dir(p))
        return 0;
    n = snprintf(p, sizeof p, "%s/refs", dir);
    return n > 0 && (size_t)n < sizeof p && is_dir(p);
}

struct config_facts {
    int bare;        /* core.bare: -1 unset, 0, 1 */
    int format;      /* core.repositoryformatversion */
    int unsupported; /* something only libgit2 should interpret */
};

static int parse_bool(const char *v, size_t n)
{
    static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no",
                                                                                "off", "0", ""};
    for (size_t i = 0; i < 4; i++)
        if (strlen(yes[i]) == n && strncasecmp(v, yes[i], n) == 0)
            return 1;
    for (size_t i = 0; i < 5; i++)
        if (strlen(no[i]) == n && strncasecmp(v, no[i], n) == 0)
            return 0;
    return -1;
}

/*
 * The few config facts that change how a repository is opened or read. The reader is strict on
 * purpose: in the sections that matter ([core], [extensions], includes) anything it does not
 * understand - quoting, escapes, continuation lines, subsections - makes the repository
 * unsupported, and libgit2 reads the config instead.
 */
static void scan_config(struct config_facts *f, const char *src, size_t len, int repo_level)
{
    enum { OTHER, CORE, EXTENSIONS } section = OTHER;
    const char *p = src, *end = src + len;
    while (p < end && !f->unsupported) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        while (p < eol && (*p == ' ' || *p == '\t'))
            p++;
        const char *q = eol;
        while (q > p && (q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\r'))
            q--;
        if (q > p && q[-1] == '\\') {
            f->unsupported = 1; /* a continuation line */
        } else if (p == q || *p == '#' || *p == ';') {
            /* blank or comment */
        } else if (*p == '[') {
            const char *close = memchr(p, ']', (size_t)(q - p));
            if (!close) {
                f->unsupported = 1;
                break;
            }
            /* the section's name up to a subsection (' "x"' or the old '.x' form) */
            const char *name = p + 1;
            size_t n = (size_t)(close - name), base = 0;
            while (base < n && (isalnum((unsigned char)name[base]) || name[base] == '-'))
                base++;
            section = OTHER;
            if (base >= 7 && strncasecmp(name, "include", 7) == 0)
                f->unsupported = 1; /* include, includeIf */
            else if (base == 4 && strncasecmp(name, "core", 4) == 0)
                section = CORE;
            else if (base == 10 && strncasecmp(name, "extensions", 10) == 0)
                section = EXTENSIONS;
            if (section != OTHER && base != n)
                f->unsupported = 1; /* [core "x"], [core.x] */
            const char *rest = close + 1;
            while (rest < q && (*rest == ' ' || *rest == '\t'))
                rest++;
            if (rest < q && *rest != '#' && *rest != ';')
                f->unsupported = 1; /* "[core] bare = true" on one line */
        } else if (section == EXTENSIONS) {
            f->unsupported = 1;
        } else if (section == CORE) {
            const char *k = p;
            while (p < q && (isalnum((unsigned char)*p) || *p == '-'))
                p++;
            size_t kl = (size_t)(p - k);
            while (p < q && (*p == ' ' || *p == '\t'))
                p++;
            const char *v = p;
            size_t vl = 0;
            if (p < q) {
                if (*p != '=') {
                    f->unsupported = 1;
                    break;
                }
                v = p + 1;
                while (v < q && (*v == ' ' || *v == '\t'))
                    v++;
                const char *ve = v;
                while (ve < q && *ve != '#' && *ve != ';' && *ve != '"' && *ve != '\\')
                    ve++;
                if (ve < q && (*ve == '"' || *ve == '\\'))
                    ve = NULL;
                if (!ve) {
                    /* quoting or escapes in [core]: only the keys below would care */
                    if ((kl == 4 && strncasecmp(k, "bare", 4) == 0) ||
                        (kl == 8 && strncasecmp(k, "worktree", 8) == 0) ||
                        (kl == 23 && strncasecmp(k, "repositoryformatversion", 23) == 0))
                        f->unsupported = 1;
                    p = eol;
                    goto next;
                }
                while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
                    ve--;
                vl = (size_t)(ve - v);
            } else {
                v = "true";
                vl = 4; /* a key alone is true */
            }
            if (kl == 4 && strncasecmp(k, "bare", 4) == 0) {
                f->bare = parse_bool(v, vl);
                if (f->bare < 0)
                    f->unsupported = 1;
            } else if (kl == 8 && strncasecmp(k, "worktree", 8) == 0) {
                f->unsupported = 1;
            } else if (kl == 23 && strncasecmp(k, "repositoryformatversion", 23) == 0) {
                if (!repo_level || vl != 1 || (*v != '0' && *v != '1'))
                    f->unsupported = 1;
                else
                    f->format = *v - '0';
            }
        }
    next:
        p = nl ? nl + 1 : end;
    }
}

/* The config files libgit2 reads besides the repository's own, in the order it reads them. */
static int scan_other_configs(struct config_facts *f)
{
    const char *home = getenv("HOME"), *xdg = getenv("XDG_CONFIG_HOME");
    char paths[3][PATH_MAX];
    int np = 0;
    if (snprintf(paths[np], PATH_MAX, "/etc/gitconfig") > 0)
        np++;
    if (xdg && *xdg) {
        int n = snprintf(paths[np], PATH_MAX, "%s/git/config", xdg);
        if (n < 0 || n >= PATH_MAX)
            return GR_UNSUPPORTED;
        np++;
    } else if (home && *home) {
        int n = snprintf(paths[np], PATH_MAX, "%s/.config/git/config", home);
        if (n < 0 || n >= PATH_MAX)
            return GR_UNSUPPORTED;
        np++;
    }
    if (home && *home) {
        int n = snprintf(paths[np], PATH_MAX, "%s/.gitconfig", home);
        if (n < 0 || n >= PATH_MAX)
            return GR_UNSUPPORTED;
        np++;
    }
    for (int i = 0; i < np; i++) {
        char *src = NULL;
        size_t len = 0;
        int rc = gr_read_file(&src, &len, paths[i], CONFIG_MAX);
        if (rc == GR_NOTFOUND)
            continue;
        if (rc)
            return rc;
        scan_config(f, src, len, 0);
        rs_free(src);
    }
    return f->unsupported ? GR_UNSUPPORTED : GR_OK;
}

/* Files in a git directory that change what reading objects or history means. */
static int has_unsupported_files(const char *gitdir)
{
    static const char *const names[] = {"commondir", "objects/info/alternates", "info/grafts",
                                        "shallow", "gitdir"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char p[PATH_MAX];
        int n = snprintf(p, sizeof p, "%s%s", gitdir, names[i]);
        if (n < 0 || (size_t)n >= sizeof p || exists(p))
            return 1;
    }
    return 0;
}

static char *with_slash(const char *dir, size_t n)
{
    char *s = rs_malloc(n + 2);
    if (s) {
        memcpy(s, dir, n);
        s[n] = '/';
        s[n + 1] = '\0';
    }
    return s;
}

/* Walk up from dir as libgit2's find_repo does: DIR/.git, then DIR, then the parent. */
static int discover(char **gitdir, char **workdir, int *via_dotgit, const char *dir)
{
    char path[PATH_MAX], probe[PATH_MAX];
    struct stat st;
    if (!realpath(dir, path))
        return GR_UNSUPPORTED;
    dev_t dev = 0;
    int have_dev = 0;
    for (;;) {
        size_t n = strlen(path);
        if (n <= 1)
            return GR_UNSUPPORTED; /* not found below "/": libgit2 says so in its words */
        for (int dotgit = 1; dotgit >= 0; dotgit--) {
            int m = dotgit ? snprintf(probe, sizeof probe, "%s/.git", path)
                           : snprintf(probe, sizeof probe, "%s", path);
            if (m < 0 || (size_t)m >= sizeof probe)
                return GR_UNSUPPORTED;
            if (stat(probe, &st) != 0)
                continue;
            if (!have_dev) {
                dev = st.st_dev;
                have_dev = 1;
            } else if (st.st_dev != dev) {
                return GR_UNSUPPORTED; /* libgit2 stops at a file system boundary */
            }
            if (S_ISREG(st.st_mode) && dotgit)
                return GR_UNSUPPORTED; /* a gitlink file (worktree, submodule) */
            if (!S_ISDIR(st.st_mode) || !looks_like_gitdir(probe))
                continue;
            *gitdir = with_slash(probe, (size_t)m);
            /* the directory holding .git is the work tree; a git directory found as itself is
               bare (gr_open requires core.bare = true then and drops this) */
            *workdir = with_slash(path, n);
            *via_dotgit = dotgit;
            if (!*gitdir || !*workdir) {
                rs_free(*gitdir);
                rs_free(*workdir);
                return GR_NOMEM;
            }
            return GR_OK;
        }
        /* on to the parent directory */
        char *slash = strrchr(path, '/');
        if (!slash)
            return GR_UNSUPPORTED;
        if (slash == path)
            slash[1] = '\0';
        else
            *slash = '\0';
    }
}

int gr_open(gr_repo **out, const char *dir)
{
    static const char *const env[] = {"GIT_DIR",
                                      "GIT_WORK_TREE",
                                      "GIT_OBJECT_DIRECTORY",
                                      "GIT_ALTERNATE_OBJECT_DIRECTORIES",
                                      "GIT_COMMON_DIR",
                                      "GIT_NAMESPACE",
                                      "GIT_CEILING_DIRECTORIES"};
    char *gitdir = NULL, *workdir = NULL, *config = NULL;
    size_t clen = 0;
    int via_dotgit = 0, rc;
    *out = NULL;
    /* libgit2 ignores these when opening as the registry does; git would not: stay out of it */
    for (size_t i = 0; i < sizeof env / sizeof env[0]; i++)
        if (getenv(env[i]))
            return GR_UNSUPPORTED;
    if ((rc = discover(&gitdir, &workdir, &via_dotgit, dir)))
        return rc;
    struct config_facts f = {-1, 0, 0};
    char cpath[PATH_MAX];
    int n = snprintf(cpath, sizeof cpath, "%sconfig", gitdir);
    rc = GR_UNSUPPORTED;
    if (n < 0 || (size_t)n >= sizeof cpath || has_unsupported_files(gitdir))
        goto fail;
    if ((rc = scan_other_configs(&f)))
        goto fail;
    rc = gr_read_file(&config, &clen, cpath, CONFIG_MAX);
    if (rc == GR_OK)
        scan_config(&f, config, clen, 1);
    else if (rc != GR_NOTFOUND)
        goto fail;
    rc = GR_UNSUPPORTED;
    if (f.unsupported)
        goto fail;
    if (via_dotgit) {
        if (f.bare == 1)
            goto fail; /* a .git directory that says it is bare: rare, libgit2's call */
        /* workdir already the directory holding .git */
    } else {
        if (f.bare != 1)
            goto fail; /* a git directory opened directly that is not marked bare */
        rs_free(workdir);
        workdir = NULL;
    }
    /* libgit2 1.5 refuses repositories owned by someone else (safe.directory) */
    struct stat st;
    if (stat(gitdir, &st) != 0 || st.st_uid != geteuid() ||
        (workdir && (stat(workdir, &st) != 0 || st.st_uid != geteuid())))
        goto fail;
    gr_repo *r = rs_calloc(1, sizeof *r);
    if (!r) {
        rc = GR_NOMEM;
        goto fail;
    }
    r->gitdir = gitdir;
    r->workdir = workdir;
    rs_free(config);
    *out = r;
    return GR_OK;
fail:
    rs_free(config);
    rs_free(gitdir);
    rs_free(workdir);
    return rc;
}

void gr_free(gr_repo *r)
{
    if (!r)
        return;
    gr_odb_free(r);
    rs_free(r->gitdir);
    rs_free(r->workdir);
    rs_free(r);
}

const char *gr_gitdir(const gr_repo *r)
{
    return r->gitdir;
}

const char *gr_workdir(const gr_repo *r)
{
    return r->workdir;
}

/* ---- refs ---- */

/* A ref name this reader will look up: "refs/..." of plain components. */
static int plain_ref_name(const char *name, size_t n)
{
    if (n < 6 || n > 1000 || memcmp(name, "refs/", 5) != 0)
        return 0;
    size_t comp = 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (c == '/') {
            if (comp == 0)
                return 0;
            comp = 0;
            continue;
        }
        if (!(isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.'))
            return 0;
        if (comp == 0 && c == '.')
            return 0;
        if (c == '.' && i + 1 < n && name[i + 1] == '.')
            return 0;
        comp++;
    }
    return comp > 0 && !(n >= 5 && memcmp(name + n - 5, ".lock", 5) == 0) && name[n - 1] != '.';
}

/* "HEX" alone on the (only) line, as libgit2 accepts a loose ref. */
static int parse_direct(unsigned char oid[GR_OID_SIZE], const char *s, size_t n)
{
    if (n < GR_HEX_SIZE || gr_oid_from_hex(oid, s, GR_HEX_SIZE))
        return GR_CORRUPT;
    for (size_t i = GR_HEX_SIZE; i < n; i++)
        if (s[i] != '\n' || i + 1 != n)
            return GR_UNSUPPORTED;
    return GR_OK;
}

static int packed_lookup(unsigned char oid[GR_OID_SIZE], gr_repo *r, const char *name, size_t nlen)
{
    char path[PATH_MAX], *src = NULL;
    size_t len = 0;
    int n = snprintf(path, sizeof path, "%spacked-refs", r->gitdir);
    if (n < 0 || (size_t)n >= sizeof path)
        return GR_UNSUPPORTED;
    int rc = gr_read_file(&src, &len, path, REFS_MAX);
    if (rc)
        return rc;
    rc = GR_NOTFOUND;
    const char *p = src, *end = src + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        if (*p != '#' && *p != '^') {
            if ((size_t)(eol - p) < GR_HEX_SIZE + 2 || p[GR_HEX_SIZE] != ' ') {
                rc = GR_CORRUPT;
                break;
            }
            const char *rn = p + GR_HEX_SIZE + 1;
            if ((size_t)(eol - rn) == nlen && memcmp(rn, name, nlen) == 0) {
                rc = gr_oid_from_hex(oid, p, GR_HEX_SIZE);
                break;
            }
        }
        p = nl ? nl + 1 : end;
    }
    rs_free(src);
    return rc;
}

/* Resolve name to a commit id (loose file first, then packed-refs), following symbolic refs. */
static int resolve_ref(unsigned char oid[GR_OID_SIZE], char **final, gr_repo *r, const char *name,
                       size_t nlen, int depth)
{
    if (depth > 5 || !plain_ref_name(name, nlen))
        return GR_UNSUPPORTED;
    char path[PATH_MAX], *src = NULL;
    size_t len = 0;
    int n = snprintf(path, sizeof path, "%s%.*s", r->gitdir, (int)nlen, name);
    if (n < 0 || (size_t)n >= sizeof path)
        return GR_UNSUPPORTED;
    int rc = gr_read_file(&src, &len, path, 4096);
    if (rc == GR_UNSUPPORTED && is_dir(path))
        rc = GR_NOTFOUND;
    if (rc == GR_NOTFOUND) {
        rc = packed_lookup(oid, r, name, nlen);
    } else if (rc == GR_OK) {
        if (len > 5 && memcmp(src, "ref: ", 5) == 0) {
            size_t tl = len - 5;
            if (tl && src[5 + tl - 1] == '\n')
                tl--;
            rc = resolve_ref(oid, final, r, src + 5, tl, depth + 1);
            rs_free(src);
            return rc;
        }
        rc = parse_direct(oid, src, len);
    }
    rs_free(src);
    if (rc == GR_OK && !(* final = rs_strndup(name, nlen)))
        rc = GR_NOMEM;
    return rc;
}

int gr_head(unsigned char oid[GR_OID_SIZE], char **branch, gr_repo *r)
{
    char path[PATH_MAX], *src = NULL, *final = NULL;
    size_t len = 0;
    *branch = NULL;
    int n = snprintf(path, sizeof path, "%sHEAD", r->gitdir);
    if (n < 0 || (size_t)n >= sizeof path)
        return GR_UNSUPPORTED;
    int rc = gr_read_file(&src, &len, path, 4096);
    if (rc)
        return rc == GR_NOTFOUND ? GR_UNSUPPORTED : rc;
    if (len > 5 && memcmp(src, "ref: ", 5) == 0) {
        size_t tl = len - 5;
        if (tl && src[5 + tl - 1] == '\n')
            tl--;
        rc = resolve_ref(oid, &final, r, src + 5, tl, 1);
        if (rc == GR_OK && strncmp(final, "refs/heads/", 11) == 0) {
            *branch = final;
            final = NULL;
        }
    } else {
        rc = parse_direct(oid, src, len);
    }
    rs_free(final);
    rs_free(src);
    return rc;
}
