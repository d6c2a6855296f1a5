/*
 * render/variant.h - which file of a prompt renders for a target (DESIGN.md "Variants per
 * provider"), and why.
 *
 * A target is "provider/model", split at the first '/' ("ollama/llama3.2:1b",
 * "openrouter/anthropic/claude-sonnet-4.5"). The choice, in order:
 *   1. an explicit variant (a missing one is an error);
 *   2. the variant whose rosetta.targets globs match the target, the most specific glob winning;
 *   3. the variant named exactly as the provider;
 *   4. the base.
 *
 * Globs: '*' matches any run of characters ('/' included, so "openrouter/<anything>" matches
 * "openrouter/anthropic/claude"), '?' one character, "[abc]", "[a-z]", "[!abc]" one character of
 * (not of) a set, '\' escapes the next character. Matching is case-sensitive.
 *
 * "Most specific" is decided by, in order: fewer wildcards ('*', '?', one per [set]); then the
 * longer literal prefix (characters before the first wildcard); then the longer glob; then the
 * variant name in byte order - so the choice is always the same for the same files.
 *
 * Nothing here reads files: the caller (the registry, or render --source) supplies the variants
 * and their rosetta.targets.
 */
#ifndef RS_RENDER_VARIANT_H
#define RS_RENDER_VARIANT_H

#include "util/error.h"

#include <stddef.h>

typedef struct rs_variant_candidate {
    const char *variant;        /* the variant name; NULL for the base file */
    const char *const *targets; /* its rosetta.targets globs; may be NULL */
    size_t ntargets;
} rs_variant_candidate;

/*
 * Choose among cands[0..n) for target (may be NULL) and explicit (may be NULL).
 * *index: the chosen candidate. *reason: one sentence saying why, without the file name
 * ("its rosetta.targets glob 'anthropic/<any>' matches anthropic/claude-3-5"), rs_free.
 * Errors: RS_ENOTFOUND (explicit variant missing, listing the existing ones; or no base and
 * nothing matches), RS_EINVAL (a malformed glob), RS_ENOMEM.
 */
int rs_variant_choose(size_t *index, char **reason, const rs_variant_candidate *cands, size_t n,
                      const char *target, const char *explicit_variant, rs_error *err);

/* 1 when glob matches s entirely, 0 when not, RS_EINVAL when the glob is malformed ("[a-"). */
int rs_variant_glob_match(const char *glob, const char *s);

#endif
