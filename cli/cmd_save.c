/*
 * rosetta save - validate every changed prompt, commit, print each as NAME vN sha7.
 */
#include "cli/cli.h"

#include "rosetta/memory.h"
#include "rosetta/registry.h"
#include "util/alloc.h"
#include "util/json.h"
#include "util/str.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: rosetta save [PATH...] -m MESSAGE [-C DIR] [--json]\n"
    "\n"
    "Commit the changed files of the registry - by default every change under prompts/ and\n"
    "datasets/, rosetta.yaml and labels.yaml; with PATHs, only those files or folders. Every\n"
    "changed prompt is validated first (frontmatter, template, partials resolvable); one broken\n"
    "prompt refuses the save with FILE:LINE:COL and nothing is committed. Prints each changed\n"
    "prompt as `NAME vN sha7`. Commits made with plain git count as versions just the same.\n"
    "\n"
    "  -m, --message MSG  the commit message (required)\n"
    "  -C DIR             the registry at or above DIR (default: $ROSETTA_REGISTRY, else the\n"
    "                     one enclosing the current directory); PATHs are then relative to DIR\n"
    "  --json             print {\"commit\", \"prompts\": [{\"name\", \"version\", \"commit\"}]}\n"
    "\n"
    "Exit: 0 saved (or nothing to save), 2 usage, 3 invalid prompt, 4 not a registry,\n"
    "5 detached HEAD or locked index.\n";

/* PATH (relative to `base`, the -C directory, else the current directory) as a path relative to
   the registry's root, as git -C reads paths. */
static int to_registry_path(rs_str *out, const char *root, const char *base, const char *path,
                            rs_error *err)
{
    char cwd[PATH_MAX], rroot[PATH_MAX];
    rs_str abs = RS_STR_INIT;
    int rc = 0;
    if (path[0] == '/') {
        rs_str_puts(&abs, path);
    } else if (base) {
        if (!realpath(base, cwd))
            return rs_error_set(err, RS_EIO, "cannot resolve %s: %s", base, strerror(errno));
        rs_str_appendf(&abs, "%s/%s", cwd, path);
    } else {
        if (!getcwd(cwd, sizeof cwd))
            return rs_error_set(err, RS_EIO, "cannot read the current directory: %s",
                                strerror(errno));
        rs_str_appendf(&abs, "%s/%s", cwd, path);
    }
    if (!realpath(root, rroot)) {
        rc = rs_error_set(err, RS_EIO, "cannot resolve %s: %s", root, strerror(errno));
        goto done;
    }
    /* Normalise "." and ".." segments lexically: the file may be deleted. */
    char *segs[512];
    size_t n = 0;
    char *copy = rs_str_detach(&abs, NULL);
    if (!copy) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    /* Resolve the longest existing prefix with realpath so symlinked folders agree with root. */
    char *p = copy;
    while (*p) {
        while (*p == '/')
            *p++ = '\0';
        if (!*p)
            break;
        char *s = p;
        while (*p && *p != '/')
            p++;
        if (strcmp(s, ".") == 0)
            continue;
        if (strcmp(s, "..") == 0) {
            if (n)
                n--;
            continue;
        }
        if (n < 512)
            segs[n++] = s;
    }
    rs_str norm = RS_STR_INIT;
    for (size_t i = 0; i < n; i++)
        rs_str_appendf(&norm, "/%s", segs[i]);
    /* realpath of the deepest existing ancestor */
    rs_str resolved = RS_STR_INIT;
    size_t keep = n;
    char buf[PATH_MAX];
    while (keep > 0) {
        rs_str probe = RS_STR_INIT;
        for (size_t i = 0; i < keep; i++)
            rs_str_appendf(&probe, "/%s", segs[i]);
        int ok = realpath(rs_str_cstr(&probe), buf) != NULL;
        rs_str_free(&probe);
        if (ok)
            break;
        keep--;
    }
    rs_str_puts(&resolved, keep ? buf : "");
    for (size_t i = keep; i < n; i++)
        rs_str_appendf(&resolved, "/%s", segs[i]);
    size_t rl = strlen(rroot);
    const char *r = rs_str_cstr(&resolved);
    if (strncmp(r, rroot, rl) != 0 || (r[rl] != '/' && r[rl] != '\0')) {
        rc = rs_error_set(err, RS_EINVAL, "%s is outside the registry %s", path, root);
    } else {
        rs_str_puts(out, r[rl] ? r + rl + 1 : ".");
        rc = rs_str_report(out, err, "a path");
    }
    rs_str_free(&norm);
    rs_str_free(&resolved);
    rs_free(copy);
done:
    rs_str_free(&abs);
    return rc;
}

int cmd_save(int argc, char **argv)
{
    const char *message = NULL, *dir = NULL;
    int json = 0, rc = RS_EXIT_OK;
    const char **paths = rs_calloc((size_t)argc + 1, sizeof *paths);
    rs_str *conv = rs_calloc((size_t)argc + 1, sizeof *conv);
    size_t np = 0;
    rs_registry *reg = NULL;
    char *out = NULL;
    cJSON *res = NULL;
    rs_error err = RS_ERROR_INIT;
    if (!paths || !conv) {
        fprintf(stderr, "rosetta save: out of memory\n");
        rc = RS_EXIT_INTERNAL;
        goto done;
    }
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(usage_text, stdout);
            goto done;
        } else if (strcmp(argv[i], "-m") == 0 || strcmp(argv[i], "--message") == 0) {
            if (++i >= argc) {
                rc = cli_usage_error("save", "-m needs a message");
                goto done;
            }
            message = argv[i];
        } else if (strcmp(argv[i], "-C") == 0) {
            if (++i >= argc) {
                rc = cli_usage_error("save", "-C needs a directory");
                goto done;
            }
            dir = argv[i];
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            rc = cli_usage_error("save", "unknown option '%s'", argv[i]);
            goto done;
        } else {
            paths[np++] = argv[i];
        }
    }
    if (!message || !*message) {
        rc = cli_usage_error("save", "a save needs a message: -m MESSAGE");
        goto done;
    }
    if (rs_registry_open(&reg, dir, &err) != 0) {
        rc = cli_fail(&err);
        goto done;
    }
    for (size_t i = 0; i < np; i++) {
        rs_str_init(&conv[i], PATH_MAX);
        if (to_registry_path(&conv[i], rs_registry_root(reg), dir, paths[i], &err) != 0) {
            rc = cli_fail(&err);
            goto done;
        }
        paths[i] = rs_str_cstr(&conv[i]);
        if (strcmp(paths[i], ".") == 0)
            np = 0; /* the whole registry: the default set */
    }
    if (rs_registry_save(&out, reg, paths, np, message, &err) != 0) {
        rc = cli_fail(&err);
        goto done;
    }
    if (json) {
        printf("%s\n", out);
        goto done;
    }
    if (rs_json_parse(&res, out, strlen(out), NULL, &err) != 0) {
        rc = cli_fail(&err);
        goto done;
    }
    const cJSON *commit = cJSON_GetObjectItemCaseSensitive(res, "commit");
    if (!cJSON_IsString(commit)) {
        fprintf(stderr, "rosetta save: nothing to save (the work tree matches the last commit)\n");
        goto done;
    }
    const cJSON *p;
    int any = 0;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(res, "prompts"))
    {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, "version");
        printf("%s v%d %.7s%s\n", rs_json_string(p, "name"), cJSON_IsNumber(v) ? v->valueint : 0,
               rs_json_string(p, "commit"),
               cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "deleted")) ? " (deleted)" : "");
        any = 1;
    }
    if (!any)
        printf("saved %.7s (no prompt changed)\n", commit->valuestring);
done:
    cJSON_Delete(res);
    rs_free(out);
    for (int i = 0; conv && i <= argc; i++)
        rs_str_free(&conv[i]);
    rs_free(conv);
    rs_free(paths);
    rs_registry_free(reg);
    return rc;
}
