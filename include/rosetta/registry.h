/*
 * rosetta/registry.h - the git-backed prompt registry.
 *
 * A registry is an ordinary git repository (plain `git` keeps working on it):
 *     rosetta.yaml   configuration          prompts/NAME.prompt          the base prompt
 *     labels.yaml    label -> commit        prompts/NAME.VARIANT.prompt  a variant
 *     datasets/      NAME.jsonl             prompts/_PARTIAL.prompt      a partial
 *
 * References (rs_registry_resolve):
 *     NAME            the latest committed version
 *     NAME@vN         the Nth version: the Nth first-parent commit (oldest first) that changed the
 *                     prompt's base or variant files
 *     NAME@LABEL      the commit labels.yaml (at the branch tip) gives for that label of NAME
 *     NAME@REV        a sha prefix (4+ hex digits), a tag or a branch
 * A version is immutable: every read through a resolved reference (the base, a variant, the
 * partials) is taken at its commit.
 *
 * Reads work on bare repositories (apps deploy a bare mirror); writes (save, label, rollback,
 * pull) need a work tree on a branch. Label moves and saves are commits made with a
 * compare-and-swap on the branch ref: concurrent writers (processes or threads with their own
 * rs_registry) all succeed in some order and no update is lost.
 *
 * Results that are lists or records are JSON text (owned by the caller, free with rs_free), so
 * this header needs no third-party type. Every function returns 0 or a negative RS_E* code and
 * fills err. An rs_registry is not thread-safe: use one per thread.
 */
#ifndef ROSETTA_REGISTRY_H
#define ROSETTA_REGISTRY_H

#include "rosetta/error.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rs_registry rs_registry;
typedef struct rs_registry_ref rs_registry_ref;

/* ---- opening ---- */

/*
 * Open a registry. dir NULL: $ROSETTA_REGISTRY when set, else the nearest enclosing registry of
 * the current directory. dir given: the nearest registry enclosing dir (dir itself first). A
 * registry is a git repository (work tree or bare) whose HEAD or work tree has rosetta.yaml.
 * Errors: RS_ENOTFOUND (not a registry, naming the directory searched), RS_EGIT.
 */
int rs_registry_open(rs_registry **out, const char *dir, rs_error *err);

typedef struct rs_registry_init_opts {
    int force;          /* 1: also in a non-empty directory (an existing git repo is kept) */
    const char *branch; /* the first branch; NULL = "main" */
} rs_registry_init_opts;

#define RS_REGISTRY_INIT_OPTS_INIT                                                                 \
    {                                                                                              \
        0, NULL                                                                                    \
    }

/*
 * Create a registry in dir (created when missing): a git repository with a commented
 * rosetta.yaml, prompts/, datasets/, labels.yaml, a .gitignore with .rosetta/, and a first
 * commit. Refuses an existing registry (RS_EEXISTS) and a non-empty directory unless opts->force
 * (RS_ECONFLICT). *out may be NULL when the caller does not need the handle.
 */
int rs_registry_init(rs_registry **out, const char *dir, const rs_registry_init_opts *opts,
                     rs_error *err);

/* Close the registry and everything it caches. NULL-safe. */
void rs_registry_free(rs_registry *reg);

/* The work tree directory (with a trailing '/'), or the git directory of a bare registry.
   Borrowed for the life of reg. */
const char *rs_registry_root(const rs_registry *reg);

/* 1 when the registry has no work tree. */
int rs_registry_is_bare(const rs_registry *reg);

/* rosetta.yaml at the branch tip as JSON text (null when absent). *json: rs_free. */
int rs_registry_config(char **json, rs_registry *reg, rs_error *err);

/* ---- names and references ---- */

/*
 * 0 when name is a valid prompt name: segments of [A-Za-z0-9_-] separated by '/', each segment
 * not starting with '_' or '-' (files starting with '_' are partials), no '..', no absolute path,
 * no control characters, at most 200 bytes. Otherwise RS_EINVAL with the reason in err.
 */
int rs_registry_check_name(const char *name, rs_error *err);

/*
 * Resolve ref (see the top of this file) to a commit where the prompt's base file exists.
 * Unknown names, labels and revisions are RS_ENOTFOUND errors that suggest the closest existing
 * ones ("did you mean ...?"). *out borrows reg: free it before reg.
 */
int rs_registry_resolve(rs_registry_ref **out, rs_registry *reg, const char *ref, rs_error *err);
void rs_registry_ref_free(rs_registry_ref *ref);

/* The prompt name, the commit (40 hex digits), the label used (NULL when none). Borrowed. */
const char *rs_registry_ref_name(const rs_registry_ref *ref);
const char *rs_registry_ref_commit(const rs_registry_ref *ref);
const char *rs_registry_ref_label(const rs_registry_ref *ref);

/*
 * The version number N of the commit ref resolved to: the number of versions of the prompt at or
 * before that commit on the first-parent chain that contains it. Walks the history once per
 * registry handle and caches it.
 */
int rs_registry_ref_version(int *version, rs_registry *reg, const rs_registry_ref *ref,
                            rs_error *err);

/* ---- reading a version ---- */

/*
 * Choose the file for a target (DESIGN.md "Variants per provider"): an explicit variant (missing
 * file = RS_ENOTFOUND); else the variant whose rosetta.targets globs match "provider/model", the
 * most specific glob winning (fewest wildcards, then the longest literal prefix, then the longest
 * glob, then the variant name); else the variant named as the provider; else the base.
 * target and variant may be NULL. *variant_out: the variant name, NULL for the base.
 * *reason: one sentence saying why (for --explain and the run log). Both rs_free.
 */
int rs_registry_choose(char **variant_out, char **reason, rs_registry *reg,
                       const rs_registry_ref *ref, const char *target, const char *variant,
                       rs_error *err);

/* The source of the base (variant NULL) or of a variant at ref's commit. *src: rs_free. */
int rs_registry_read(char **src, size_t *len, rs_registry *reg, const rs_registry_ref *ref,
                     const char *variant, rs_error *err);

/*
 * A partial resolver with the signature the template engine asks for: userdata is an
 * rs_registry_ref; partial "NAME" is prompts/_NAME.prompt ("dir/NAME": prompts/dir/_NAME.prompt)
 * at ref's commit. *src comes from rs_malloc. RS_ENOTFOUND when the partial does not exist.
 */
int rs_registry_partial_resolver(char **src, size_t *len, void *userdata, const char *name,
                                 rs_error *err);

/* ---- rendering ---- */

typedef struct rs_registry_render_opts {
    const char *target;  /* "provider/model" for variant choice; may be NULL */
    const char *variant; /* an explicit variant; may be NULL */
    const char *data;    /* JSON text {"input": {..}, "context", "messages", "docs"}; may be NULL */
    const char *data_name; /* where data came from, for its errors; may be NULL */
    int strict;            /* refuse input that does not match input.schema */
    int indent;            /* spaces per level in the JSON text; 0 = compact */
} rs_registry_render_opts;

#define RS_REGISTRY_RENDER_OPTS_INIT                                                               \
    {                                                                                              \
        NULL, NULL, NULL, NULL, 0, 0                                                               \
    }

/*
 * Resolve ref, choose the variant, compile it (partials at the same commit; compiled prompts
 * are cached per registry handle by blob) and render it. *json: the RenderedPrompt, the same JSON
 * as `rosetta render --source`. *explain (may be NULL): commit, version, file and why, one line
 * each. Both rs_free.
 */
int rs_registry_render(char **json, char **explain, rs_registry *reg, const char *ref,
                       const rs_registry_render_opts *opts, rs_error *err);

/* ---- listing and history (JSON text, rs_free) ---- */

/*
 * Every prompt at the branch tip: [{"name", "version", "commit", "date", "author",
 * "labels": {"LABEL": "sha"}, "variants": [..], "partials": [..]}] sorted by name.
 */
int rs_registry_list(char **json, rs_registry *reg, rs_error *err);

/*
 * The versions of name, newest first: [{"version", "commit", "date" (ISO 8601), "time" (unix),
 * "author", "email", "message", "labels": [..]}].
 */
int rs_registry_history(char **json, rs_registry *reg, const char *name, rs_error *err);

/* The file content at ref plus facts: {"name","version","commit","author","date","file",
   "variant","reason","content"}. target/variant as in rs_registry_choose. */
int rs_registry_show(char **json, rs_registry *reg, const char *ref, const char *target,
                     const char *variant, rs_error *err);

/*
 * Unified diff of the prompt's files (base, variants, and the partials either side uses) from
 * ref_a to ref_b, or to the work tree when ref_b is NULL. *patch: rs_free ("" when equal).
 */
int rs_registry_diff(char **patch, rs_registry *reg, const char *ref_a, const char *ref_b,
                     rs_error *err);

/* ---- labels ---- */

/* {"LABEL": {"commit", "version"}} for name at the branch tip. */
int rs_registry_labels(char **json, rs_registry *reg, const char *name, rs_error *err);

/*
 * Point label at the commit ref resolves to (creating it). A commit to labels.yaml.
 * *json (may be NULL): {"name","label","from","to","commit","version","changed"}.
 * Refuses a detached HEAD, a bare registry and uncommitted edits to labels.yaml (RS_ECONFLICT).
 */
int rs_registry_label_set(char **json, rs_registry *reg, const char *ref, const char *label,
                          rs_error *err);

/* Remove label from name (RS_ENOTFOUND when it is not there). */
int rs_registry_label_delete(char **json, rs_registry *reg, const char *name, const char *label,
                             rs_error *err);

/* Label moves of name, newest first: [{"label","from","to","commit","author","email","date",
   "time","message"}] ("from"/"to" null for a creation/deletion). */
int rs_registry_label_log(char **json, rs_registry *reg, const char *name, rs_error *err);

/* Move label back to its previous target (the "from" of its latest move). */
int rs_registry_rollback(char **json, rs_registry *reg, const char *name, const char *label,
                         rs_error *err);

/* ---- saving and sharing ---- */

/*
 * Commit the changed files among paths (relative to the work tree; NULL/0 = every change under
 * prompts/, datasets/, rosetta.yaml and labels.yaml). Every changed prompt is validated first
 * (parse, compile, partials resolvable at the new state); one invalid prompt refuses the whole
 * save with its FILE:LINE:COL and nothing is committed.
 * *json: {"commit": sha or null when nothing changed, "prompts": [{"name","version","commit"}]}.
 */
int rs_registry_save(char **json, rs_registry *reg, const char *const *paths, size_t npaths,
                     const char *message, rs_error *err);

/* Push the current branch to remote (a remote name, a path or a URL; NULL = "origin"). */
int rs_registry_push(char **json, rs_registry *reg, const char *remote, rs_error *err);

/*
 * Fetch the current branch from remote and fast-forward to it. On divergence, or when a changed
 * file has uncommitted edits, nothing changes and the error says so (RS_ECONFLICT).
 * *json: {"from","to","updated"}.
 */
int rs_registry_pull(char **json, rs_registry *reg, const char *remote, rs_error *err);

#ifdef __cplusplus
}
#endif
#endif
