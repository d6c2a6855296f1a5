/*
 * runner/route.h - routes: named, ordered fallback chains of targets in rosetta.yaml.
 *
 *     routes:
 *       triage:                              # short form: the targets, tried in order
 *         - anthropic/claude-sonnet-4-5
 *         - openai/gpt-4o-mini
 *         - mock/echo
 *       careful:                             # long form ("fallback:" is a synonym of "targets:")
 *         targets:
 *           - anthropic/claude-sonnet-4-5
 *           - {target: openai/gpt-4o, variant: openai}   # pin the variant for this target
 *         max_attempts: 2                    # tries per target (default: the runner's, 3)
 *         timeout_ms: 30000                  # per attempt (default: the runner's)
 *
 * Model aliases (models: {fast: openai/gpt-4o-mini}) may be used for --target, and
 * defaults.target is used when a run names neither a target nor a route.
 *
 * A run along a route tries the first target (with retries, providers.md §7), then falls back to
 * the next one when the target gave up. Each target is rendered with ITS OWN variant (chosen for
 * that target, or pinned here), so a prompt tuned for Anthropic goes to Anthropic.
 */
#ifndef RS_RUNNER_ROUTE_H
#define RS_RUNNER_ROUTE_H

#include "util/error.h"

#include <cjson/cJSON.h>
#include <stddef.h>

#define RS_ROUTE_MAX_TARGETS 16

typedef struct rs_route_target {
    char target[320];  /* "provider/model" */
    char variant[128]; /* pinned variant, "" = choose for the target */
} rs_route_target;

typedef struct rs_route {
    char name[128]; /* "" for a single --target */
    rs_route_target targets[RS_ROUTE_MAX_TARGETS];
    size_t n;
    int max_attempts; /* 0 = the runner's default */
    long timeout_ms;  /* 0 = the runner's default */
} rs_route;

/* The route `name` from the rosetta.yaml document (cJSON, may be NULL). RS_ENOTFOUND naming
 * the routes that exist; RS_ECONFIG with the offending key for a malformed entry. */
int rs_route_lookup(rs_route *out, const cJSON *config, const char *name, rs_error *err);

/* A one-target route for --target. RS_EINVAL when target is not "provider/model". */
int rs_route_single(rs_route *out, const char *target, rs_error *err);

#endif
