/*
 * runner/runlog.h - the run log inside the library: the public API (rosetta/runlog.h) plus what
 * the runner and the tests need beyond it. runner/runlog.c is the only includer of sqlite3.h.
 */
#ifndef RS_RUNNER_RUNLOG_H
#define RS_RUNNER_RUNLOG_H

#include "rosetta/runlog.h"

/* The schema version this build writes (migrations 1..RS_RUNLOG_SCHEMA_VERSION). */
#define RS_RUNLOG_SCHEMA_VERSION 2

/* Open without migrating past `version` (tests build an old log, then reopen to migrate it). */
int rs_runlog_open_at_version(rs_runlog **out, const char *path, int version, rs_error *err);

/* Run SQL on the log (tests: seed an old-schema log; tools: maintenance). */
int rs_runlog_exec(rs_runlog *log, const char *sql, rs_error *err);

/* Also scrub this value from every text written through log (a key read from rosetta.yaml's
 * key_file rather than the environment). Values shorter than 8 bytes are ignored (they would
 * redact ordinary words). 0, or RS_ENOMEM / RS_ELIMIT (more than 64 secrets). */
int rs_runlog_add_secret(rs_runlog *log, const char *value, rs_error *err);

/* Replace the values of *_API_KEY / *_TOKEN / *_SECRET environment variables (8+ characters)
 * found in text with "[REDACTED]". Returns a new string (rs_free) or NULL when out of memory.
 * Exposed for tests and for the transport's --verbose traces. */
char *rs_scrub_secrets(const char *text);

/* Parse a `--since` value into an ISO-8601 UTC bound (buf >= 32 bytes). now = local clock. */
int rs_runlog_since(char *buf, size_t size, const char *since, long long now, rs_error *err);

#endif
