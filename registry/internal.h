/*
 * registry/internal.h - what the registry's files share. Only registry/ includes git2.h.
 */
#ifndef RS_REGISTRY_INTERNAL_H
#define RS_REGISTRY_INTERNAL_H

#include "registry/gitread.h"
#include "rosetta/registry.h"
#include "util/error.h"
#include "util/str.h"

#include <cjson/cJSON.h>
#include <git2.h>
#include <stddef.h>

#define PROMPTS_DIR "prompts/"
#define LABELS_FILE "labels.yaml"
#define CONFIG_FILE "rosetta.yaml"
#define MAX_NAME 200
#define SHA_HEX 41

/* One file of a prompt at a commit: the base (variant NULL) or a variant. */
struct pfile {
    char *variant; /* NULL for the base */
    char *path;    /* "prompts/NAME[.VARIANT].prompt" */
    git_oid blob;
    cJSON *targets; /* rosetta.targets from the frontmatter (array of strings) or NULL */
    int targets_read;
};

/* The files of one prompt at one commit; cached per registry (immutable once built). */
struct pfiles {
    git_oid commit;
    char *name;
    struct pfile *files; /* files[0] is the base when has_base */
    size_t nfiles;
    int has_base;
};

/* The first-parent history from one tip, with the commits that changed each prompt. */
struct hist_change {
    const char *name; /* into names[] storage */
    size_t idx;       /* index into commits[] */
};

struct history {
    git_oid tip;
    git_oid *commits; /* oldest first */
    size_t ncommits;
    size_t *order;               /* indices of commits sorted by oid, for lookup */
    struct hist_change *changes; /* sorted by name, then idx */
    size_t nchanges;
    char **names; /* owned names, one per distinct prompt */
    size_t nnames;
};

struct compiled; /* render/prompt cache entry, registry/render_ref.c */

#define PFILES_CACHE 64
#define COMPILED_CACHE 64

struct rs_registry {
    /* Read-only paths use the native reader (gr) when it could open the repository; libgit2
       (repo) is opened on first need through reg_git(), which costs ~5 ms of process start. */
    gr_repo *gr;          /* NULL when the native reader does not handle this repository */
    git_repository *repo; /* NULL until reg_git() */
    int git_ref;          /* this handle holds a git_libgit2_init reference */
    char *gitdir;         /* the git directory with '/' */
    char *root;           /* work tree with '/', or git dir */
    int bare;
    struct history *hist; /* for the last tip asked for */
    git_oid labels_blob;  /* cache of labels.yaml, keyed by blob */
    cJSON *labels;
    const cJSON **lindex; /* labels' members sorted by name, for lookups in big registries */
    size_t nlindex;
    int have_labels;
    git_oid labels_scanned; /* labels.yaml blob read once by reg_label_lookup's scan: a second
                               lookup in it builds (and caches) the document instead */
    struct pfiles *pcache[PFILES_CACHE];
    size_t pcache_next;
    struct compiled *ccache[COMPILED_CACHE];
    size_t ccache_next;
};

struct rs_registry_ref {
    rs_registry *reg;
    char *name;
    char *label;
    git_oid commit;
    char hex[SHA_HEX];
};

/* ---- repo.c ---- */

/* Make reg->repo usable (open libgit2 on first call). Every libgit2 use goes after it. */
int reg_git(rs_registry *reg, rs_error *err);

/* Report the last libgit2 error: "<what>: <libgit2 message>", code RS_EGIT (RS_ENOTFOUND for
   GIT_ENOTFOUND, RS_ECONFLICT for GIT_ELOCKED/GIT_EMODIFIED). Returns the code. */
int reg_git_fail(rs_error *err, int gitrc, const char *fmt, ...) RS_PRINTF(3, 4);

/* The branch tip. *branch (may be NULL): "refs/heads/X" (rs_free) or NULL when detached.
   Unborn HEAD (an empty repository) is RS_ENOTFOUND naming the registry. */
int reg_tip(rs_registry *reg, git_oid *tip, char **branch, rs_error *err);

/* For writes: a work tree on a branch. *branch: rs_free. */
int reg_need_branch(rs_registry *reg, char **branch, rs_error *err);

/* Blob at path in commit's tree, or RS_ENOTFOUND. *blob_oid may be NULL. */
int reg_blob_oid_at(git_oid *blob_oid, rs_registry *reg, const git_oid *commit, const char *path,
                    rs_error *err);
int reg_read_blob(char **src, size_t *len, rs_registry *reg, const git_oid *blob, const char *what,
                  rs_error *err);
int reg_read_at(char **src, size_t *len, rs_registry *reg, const git_oid *commit, const char *path,
                rs_error *err);

/* The files of name at commit (cached; borrowed until reg is freed). RS_ENOTFOUND when the
   prompt has no file at all at that commit (*out NULL). */
int reg_pfiles(const struct pfiles **out, rs_registry *reg, const git_oid *commit, const char *name,
               rs_error *err);

/* rosetta.targets of one file (read lazily from its frontmatter). Borrowed. */
int reg_pfile_targets(const cJSON **out, rs_registry *reg, struct pfile *f, rs_error *err);

/* labels.yaml at commit as {"name": {"label": "sha"}} (cached by blob; borrowed until the next
   call). A missing file is {}. Invalid YAML or shape is RS_ESYNTAX with labels.yaml:LINE:COL. */
int reg_labels_at(const cJSON **out, rs_registry *reg, const git_oid *commit, rs_error *err);
void reg_pfiles_free(struct pfiles *pf);
/* The commit label of name points at in labels.yaml at commit: *found 1 and sha (40 hex digits),
   or *found 0. Reads one label without building the document when the file is in the canonical
   layout; otherwise as reg_labels_at (whose errors it returns). (labels_read.c) */
int reg_label_lookup(char sha[SHA_HEX], int *found, rs_registry *reg, const git_oid *commit,
                     const char *name, const char *label, rs_error *err);
/* The label of name in a labels.yaml text in the canonical layout, without building the
   document: 1 found (*sha: 40 hex digits inside src), 0 not there, -1 not canonical or out of
   memory (reg_labels_parse decides). Accepts only texts reg_labels_parse accepts, with the
   same meaning (tests/fuzz/fuzz_registry.c checks both). */
int reg_labels_lookup_text(const char **sha, const char *src, size_t len, const char *name,
                           const char *label);
/* The {label: sha} of name in labels (as returned by reg_labels_at), or NULL. */
const cJSON *reg_labels_for(rs_registry *reg, const cJSON *labels, const char *name);
int reg_labels_parse(cJSON **out, const char *src, size_t len, const char *file, rs_error *err);

/* The author's signature: $GIT_AUTHOR_NAME/EMAIL, else git config, else $USER@localhost. */
int reg_signature(git_signature **out, rs_registry *reg, rs_error *err);

/* Serialise work-tree/index updates of concurrent rosetta processes (a lock file in the git dir).
 */
int reg_lock(int *fd, rs_registry *reg, rs_error *err);
void reg_unlock(int fd, rs_registry *reg);

/*
 * Make the work tree and index agree with the branch tip for paths, leaving alone any path whose
 * work-tree file has edits the index does not know (a user's uncommitted change), unless its
 * content is `ours` (what this process just committed). Called with the lock held.
 */
int reg_sync_paths(rs_registry *reg, const char *const *paths, size_t npaths, rs_error *err);

/*
 * Commit `tree` on the branch with parent `parent` and CAS the branch ref from parent to the new
 * commit. RS_ECONFLICT (cause GIT_EMODIFIED) when the branch moved: the caller rebuilds on the
 * new tip and tries again.
 */
int reg_commit_cas(git_oid *out, rs_registry *reg, const char *branch, const git_oid *parent,
                   const git_oid *tree, const char *message, rs_error *err);

/* "sha7" */
void reg_short(char out[8], const git_oid *oid);

/* Drop caches that depend on the branch tip (after this process wrote). */
void reg_invalidate(rs_registry *reg);

/* ---- names.c ---- */

/* Classify a path under prompts/ ("a/b.v.prompt"): 1 prompt file (name, variant), 2 partial
   (name = "a/_b" -> "a/b"), 0 other. name/variant: buffers of MAX_NAME + 1. */
int reg_classify(const char *rel, char *name, char *variant);
int reg_check_label(const char *label, rs_error *err);
int reg_check_variant(const char *variant, rs_error *err);
/* Levenshtein distance, capped. */
size_t reg_edit_distance(const char *a, const char *b);
/* Append " (did you mean 'x', 'y'?)" for the candidates closest to want; nothing when none is
   close. */
void reg_suggest(rs_str *out, const char *want, const char *const *cands, size_t n);
/* "prompts/NAME[.VARIANT].prompt" / "prompts/DIR/_P.prompt" (rs_str). */
int reg_prompt_path(rs_str *out, const char *name, const char *variant);
int reg_partial_path(rs_str *out, const char *partial);
/* The next partial reference ({{> name}}) at or after *pos: its name (MAX_NAME + 1 buffer) and
   the offset of its "{{" in *at; advances *pos. 0 when there is none. */
int reg_next_partial(const char *src, size_t len, size_t *pos, char *name, size_t *at);
/* The partial names a source uses ({{> name}}, {{#> name}}), deduplicated, as a JSON array. */
int reg_scan_partials(cJSON *into, const char *src, size_t len);

/* ---- history.c ---- */

int reg_history(const struct history **out, rs_registry *reg, const git_oid *tip, rs_error *err);
void reg_history_free(struct history *h);
/* Index of commit in h, or -1. */
long reg_history_find(const struct history *h, const git_oid *commit);
/* The changes of name: [*first, *first + *count) in h->changes. */
void reg_history_range(const struct history *h, const char *name, size_t *first, size_t *count);
/* The version of name at commit (walks from commit when it is not on h's chain). 0 = none. */
int reg_version_at(int *version, rs_registry *reg, const char *name, const git_oid *commit,
                   rs_error *err);
/* Every prompt name with a base file at commit, sorted (JSON array of strings). */
int reg_names_at(cJSON **out, rs_registry *reg, const git_oid *commit, rs_error *err);

/* ---- resolve.c ---- */
/* RS_ENOTFOUND "<how> points at commit X, where prompts/NAME.prompt does not exist" unless the
   base file of name exists at commit. */
int reg_need_base_at(rs_registry *reg, const git_oid *commit, const char *name, const char *how,
                     rs_error *err);
int reg_resolve(rs_registry_ref **out, rs_registry *reg, const char *ref, rs_error *err);
int reg_choose(const struct pfile **file, char **reason, rs_registry *reg, const struct pfiles *pf,
               const char *target, const char *variant, rs_error *err);

/* Append to arr (JSON strings) the partials the files of pf use, followed through partials at
   pf's commit. */
int reg_partials_used(cJSON *arr, rs_registry *reg, const struct pfiles *pf, rs_error *err);

/* ---- json helpers (resolve.c) ---- */
int reg_json_out(char **out, cJSON *v, rs_error *err); /* prints and deletes v */
int reg_add_commit_facts(cJSON *obj, rs_registry *reg, const git_oid *commit, rs_error *err);

/* ---- render_ref.c ---- */
void reg_compiled_free_all(rs_registry *reg);

/* ---- validate.c ---- */

/* Validate one prompt or partial source as save does (file names the location in errors).
   resolve/userdata: partials at the state being saved. */
typedef int (*reg_partial_fn)(char **src, size_t *len, void *userdata, const char *name,
                              rs_error *err);
int reg_validate_source(const char *file, const char *src, size_t len, reg_partial_fn resolve,
                        void *userdata, rs_error *err);

/* Frontmatter of a .prompt source as JSON (NULL when there is none). */
int reg_frontmatter(cJSON **out, const char *src, size_t len, const char *file, rs_error *err);

#endif
