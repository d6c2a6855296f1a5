/*
 * runner/run.h - what runner/run.c shares with its helper files (not a public API).
 */
#ifndef RS_RUNNER_RUN_H
#define RS_RUNNER_RUN_H

#include "rosetta/runlog.h"
#include "rosetta/runner.h"
#include "util/error.h"
#include "util/vec.h"

#include <cjson/cJSON.h>

/* The compiled --source prompts of a runner (run_source.c). */
void rs_source_cache_init(rs_vec *cache);
void rs_source_cache_free(rs_vec *cache);

/*
 * Render the .prompt file `path` (prompt `name`, the file name without .prompt) for target
 * ("provider/model") with the variant chosen among its siblings (render/variant.h; forced may
 * be NULL), with data ({"input": ..}). *variant: the chosen variant (rs_free), NULL for the base.
 * *rendered: the RenderedPrompt (cJSON_Delete). A file edited since it was compiled is
 * recompiled.
 */
int rs_source_render(cJSON **rendered, char **variant, rs_vec *cache, const char *path,
                     const char *name, const char *target, const char *forced, const cJSON *data,
                     rs_error *err);

/*
 * Tell `log` every key the runner read from rosetta.yaml's key_file, so the log scrubs them like
 * the environment's keys. Every writer of a run log opened beside a runner calls this; a key the
 * log could not be told about is an error (better no log than a key in it).
 */
int rs_runner_register_secrets(const rs_runner *r, rs_runlog *log, rs_error *err);

#endif
