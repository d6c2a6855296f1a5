/*
 * rosetta/rosetta.h - the umbrella header and the library's global set-up.
 */
#ifndef ROSETTA_H
#define ROSETTA_H

#include "rosetta/error.h"
#include "rosetta/prompt.h"
#include "rosetta/provider.h"
#include "rosetta/runlog.h"
#include "rosetta/runner.h"
#include "rosetta/compare.h"
#include "rosetta/registry.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The library version, "MAJOR.MINOR.PATCH". */
const char *rs_version(void);

/*
 * What rs_global_init_for sets up besides cJSON's allocator hooks (always):
 *   RS_GLOBAL_HTTP  libcurl and its TLS: anything that sends requests (runs, compare)
 *   RS_GLOBAL_GIT   a process-wide libgit2 reference, so libgit2's set-up (~5 ms: it loads the
 *                   system CA bundle) is paid once however many registry handles come and go;
 *                   each handle takes its own reference anyway, and only when it needs libgit2
 */
#define RS_GLOBAL_HTTP 1u
#define RS_GLOBAL_GIT 2u
#define RS_GLOBAL_ALL (RS_GLOBAL_HTTP | RS_GLOBAL_GIT)

/*
 * Initialise the dependencies that need process-wide set-up. rs_global_init is
 * rs_global_init_for(RS_GLOBAL_ALL); a program that knows it needs less (the CLI rendering from
 * the registry needs neither) names what it needs: a later call may add parts. Reference-counted
 * across both: call once per user, pair each call with rs_global_shutdown, which releases every
 * part when the count drops to zero. Not thread-safe against itself: call it before starting
 * threads (the parts themselves are initialised here, never lazily from other threads).
 */
int rs_global_init(rs_error *err);
int rs_global_init_for(unsigned what, rs_error *err);
void rs_global_shutdown(void);

#ifdef __cplusplus
}
#endif
#endif
