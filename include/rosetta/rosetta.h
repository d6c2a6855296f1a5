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
 * Initialise the dependencies that need process-wide set-up (libgit2, libcurl, cJSON's
 * allocator hooks). Reference-counted: call once per user, pair with rs_global_shutdown.
 * Not thread-safe against itself: call it before starting threads.
 */
int rs_global_init(rs_error *err);
void rs_global_shutdown(void);

#ifdef __cplusplus
}
#endif
#endif
