/*
 * runner/runlog.c - the SQLite run log (rosetta/runlog.h). The only includer of sqlite3.h.
 *
 * Concurrency: WAL lets readers run beside one writer; writers queue on the database lock.
 * Every write is one BEGIN IMMEDIATE transaction (taking the write lock up front, so two writers
 * never deadlock upgrading a read lock) under a busy timeout; SQLITE_BUSY that escapes the busy
 * handler (WAL recovery, a checkpoint in progress) is retried with a jittered sleep until an
 * overall deadline. A run and its attempts are inserted in the same transaction: a run is
 * never half-recorded.
 */
#include "runner/runlog.h"

#include "runner/stats.h"
#include "util/alloc.h"
#include "util/json.h"
#include "util/str.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Checkpoint the WAL into the database every this many pages (SQLite's default is 1000, 4 MB).
 * A batch's runs are written by a background thread (runner/run.c) that then also runs these
 * small checkpoints, off the network's path; with 1000 the WAL reached 4 MB and the checkpoint
 * left for the last close (copy and fsync of up to 4 MB) took 30-120 ms at the end of every
 * batch of 2,000 runs on a loaded 2-core machine, 10-30 ms with 128. Readers (runs, stats) also
 * scan a shorter WAL. */
#define WAL_CHECKPOINT_PAGES 128
#define RS_STRINGIFY_(x) #x
#define RS_STRINGIFY(x) RS_STRINGIFY_(x)
#define BUSY_TIMEOUT_MS 5000
#define BUSY_DEADLINE_MS 60000
#define MAX_SECRETS 64

struct rs_runlog {
    sqlite3 *db;
    char *path;
    int version;
    char *secrets[MAX_SECRETS]; /* values of key-like environment variables, to scrub */
    size_t n_secrets;
    sqlite3_stmt *ins_run, *ins_attempt;
};

/* ---------- migrations: append only; never edit a released one ---------- */

static const char *const migrations[] = {
    /* 1: the first schema */
    "CREATE TABLE runs ("
    " id INTEGER PRIMARY KEY,"
    " created_at TEXT NOT NULL,"
    " prompt TEXT, version TEXT, \"commit\" TEXT, variant TEXT,"
    " provider TEXT, model TEXT,"
    " status TEXT NOT NULL CHECK (status IN ('ok','error')),"
    " error TEXT,"
    " input_tokens INTEGER, output_tokens INTEGER,"
    " cost_usd REAL, latency_ms REAL, ttft_ms REAL, attempts INTEGER NOT NULL DEFAULT 1,"
    " experiment TEXT, arm TEXT, case_id TEXT,"
    " input TEXT, output TEXT);"
    "CREATE TABLE attempts ("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " n INTEGER NOT NULL, target TEXT, status TEXT NOT NULL, http_status INTEGER,"
    " error_class TEXT, latency_ms REAL, retry_after_ms INTEGER,"
    " PRIMARY KEY (run_id, n));"
    "CREATE INDEX runs_created ON runs(created_at);",

    /* 2: error classes, cache/reasoning tokens, finish, tool calls, routes, feedback */
    "ALTER TABLE runs ADD COLUMN error_class TEXT;"
    "ALTER TABLE runs ADD COLUMN cached_tokens INTEGER;"
    "ALTER TABLE runs ADD COLUMN reasoning_tokens INTEGER;"
    "ALTER TABLE runs ADD COLUMN route TEXT;"
    "ALTER TABLE runs ADD COLUMN tool_calls TEXT;"
    "ALTER TABLE runs ADD COLUMN finish TEXT;"
    "ALTER TABLE runs ADD COLUMN finish_raw TEXT;"
    "ALTER TABLE runs ADD COLUMN response_model TEXT;"
    "ALTER TABLE runs ADD COLUMN request_hash TEXT;"
    "ALTER TABLE attempts ADD COLUMN error TEXT;"
    "CREATE INDEX runs_prompt ON runs(prompt, created_at);"
    "CREATE INDEX runs_experiment ON runs(experiment, arm);"
    "CREATE TABLE feedback ("
    " id INTEGER PRIMARY KEY,"
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " score REAL, label TEXT, created_at TEXT NOT NULL);"
    "CREATE INDEX feedback_run ON feedback(run_id);",
};

#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

_Static_assert(N_MIGRATIONS == RS_RUNLOG_SCHEMA_VERSION, "one migration per schema version");

/* ---------- errors and small helpers ---------- */

static int db_fail(rs_runlog *log, sqlite3 *db, rs_error *err, const char *what)
{
    int code = db ? sqlite3_extended_errcode(db) : SQLITE_ERROR;
    rs_error_set(err, RS_EDB, "%s: %s: %s", log && log->path ? log->path : "run log", what,
                 db ? sqlite3_errmsg(db) : "no connection");
    rs_error_set_cause(err, code);
    return RS_EDB;
}

static long long now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* "2026-11-22T04:31:13.123Z" for a time in ms since the epoch. */
static void iso_time(char *buf, size_t size, long long ms)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    /* strftime and digits by hand: snprintf's %d on struct tm fields makes gcc -O2 warn that a
     * year beyond 9999 could be truncated (-Wformat-truncation). */
    size_t n = size ? strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm) : 0;
    if (n == 0 || size - n < sizeof ".123Z") {
        if (size)
            buf[0] = '\0';
        return;
    }
    int frac = (int)(ms % 1000);
    if (frac < 0)
        frac += 1000;
    buf[n++] = '.';
    buf[n++] = (char)('0' + frac / 100);
    buf[n++] = (char)('0' + frac / 10 % 10);
    buf[n++] = (char)('0' + frac % 10);
    buf[n++] = 'Z';
    buf[n] = '\0';
}

/* Run sql (no results) retrying SQLITE_BUSY until the deadline. The clock and the jitter seed
 * are only read once the lock was found busy: the uncontended path costs nothing extra. */
static int exec_retry(rs_runlog *log, const char *sql, rs_error *err, const char *what)
{
    long long deadline = 0;
    unsigned seed = 0;
    for (;;) {
        int rc = sqlite3_exec(log->db, sql, NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            return 0;
        if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
            return db_fail(log, log->db, err, what);
        if (deadline == 0) {
            deadline = now_ms() + BUSY_DEADLINE_MS;
            seed = (unsigned)getpid() ^ (unsigned)deadline;
        } else if (now_ms() > deadline) {
            return db_fail(log, log->db, err, what);
        }
        seed = seed * 1103515245u + 12345u;
        sleep_ms(5 + (long)((seed >> 16) % 45));
    }
}

static int begin(rs_runlog *log, rs_error *err)
{
    return exec_retry(log, "BEGIN IMMEDIATE", err, "cannot start a write");
}

static void rollback(rs_runlog *log)
{
    sqlite3_exec(log->db, "ROLLBACK", NULL, NULL, NULL);
}

static int commit(rs_runlog *log, rs_error *err)
{
    int rc = exec_retry(log, "COMMIT", err, "cannot commit");
    if (rc)
        rollback(log);
    return rc;
}

static int read_version(rs_runlog *log, int *version, rs_error *err)
{
    sqlite3_stmt *st = NULL;
    *version = 0;
    int rc =
        sqlite3_prepare_v2(log->db, "SELECT version FROM schema_version LIMIT 1", -1, &st, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(st);
        return db_fail(log, log->db, err, "cannot read the schema version");
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *version = sqlite3_column_int(st, 0);
    else if (rc != SQLITE_DONE) {
        db_fail(log, log->db, err, "cannot read the schema version");
        sqlite3_finalize(st);
        return RS_EDB;
    }
    sqlite3_finalize(st);
    return 0;
}

/* Bring the schema to `target` inside one write transaction (re-reading the version there, so
 * concurrent openers migrate once). A log newer than this build is refused, not downgraded. */
static int migrate(rs_runlog *log, int target, rs_error *err)
{
    int rc = exec_retry(log, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
                        err, "cannot create the schema_version table");
    if (rc)
        return rc;
    int v = 0;
    if ((rc = read_version(log, &v, err)) != 0)
        return rc;
    if (v > RS_RUNLOG_SCHEMA_VERSION)
        return rs_error_set(err, RS_EDB,
                            "%s: the run log has schema version %d, newer than this rosetta "
                            "(%d): upgrade rosetta",
                            log->path, v, RS_RUNLOG_SCHEMA_VERSION);
    if (v >= target) {
        log->version = v;
        return 0;
    }
    if ((rc = begin(log, err)) != 0)
        return rc;
    if ((rc = read_version(log, &v, err)) != 0)
        goto fail;
    for (int m = v; m < target; m++) {
        if (sqlite3_exec(log->db, migrations[m], NULL, NULL, NULL) != SQLITE_OK) {
            char what[64];
            snprintf(what, sizeof what, "migration to schema version %d failed", m + 1);
            rc = db_fail(log, log->db, err, what);
            goto fail;
        }
    }
    if (v < target) {
        char sql[128];
        snprintf(sql, sizeof sql,
                 "DELETE FROM schema_version; INSERT INTO schema_version "
                 "VALUES (%d)",
                 target);
        if (sqlite3_exec(log->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
            rc = db_fail(log, log->db, err, "cannot record the schema version");
            goto fail;
        }
    }
    if ((rc = commit(log, err)) != 0)
        return rc;
    log->version = v > target ? v : target;
    return 0;
fail:
    rollback(log);
    return rc;
}

/* mkdir -p of path's directory. */
static int make_parent(const char *path, rs_error *err)
{
    char *dir = rs_strdup(path);
    if (!dir)
        return rs_error_set(err, RS_ENOMEM, "out of memory");
    int rc = 0;
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        for (char *p = dir + 1; *p; p++) {
            if (*p != '/')
                continue;
            *p = '\0';
            if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
                rc = rs_error_set(err, RS_EIO, "cannot create directory %s: %s", dir,
                                  strerror(errno));
                goto done;
            }
            *p = '/';
        }
        if (mkdir(dir, 0777) != 0 && errno != EEXIST)
            rc = rs_error_set(err, RS_EIO, "cannot create directory %s: %s", dir, strerror(errno));
    }
done:
    rs_free(dir);
    return rc;
}

/* Environment variables whose values must never be stored. */
static int secret_name(const char *name, size_t n)
{
    static const char *const suffixes[] = {"_API_KEY", "_KEY", "_TOKEN", "_SECRET", NULL};
    for (size_t i = 0; suffixes[i]; i++) {
        size_t k = strlen(suffixes[i]);
        if (n > k && memcmp(name + n - k, suffixes[i], k) == 0)
            return 1;
    }
    return 0;
}

static void collect_secrets(rs_runlog *log)
{
    /* leave room for rs_runlog_add_secret() */
    for (char **e = environ; e && *e && log->n_secrets < MAX_SECRETS - 16; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq || !secret_name(*e, (size_t)(eq - *e)) || strlen(eq + 1) < 8)
            continue;
        char *v = rs_strdup(eq + 1);
        if (v)
            log->secrets[log->n_secrets++] = v;
    }
}

static char *scrub_with(char *const *secrets, size_t n, const char *text)
{
    rs_str out = RS_STR_INIT;
    const char *p = text;
    for (;;) {
        const char *best = NULL;
        size_t best_len = 0;
        for (size_t i = 0; i < n; i++) {
            const char *hit = strstr(p, secrets[i]);
            if (hit && (!best || hit < best || (hit == best && strlen(secrets[i]) > best_len))) {
                best = hit;
                best_len = strlen(secrets[i]);
            }
        }
        if (!best)
            break;
        rs_str_append(&out, p, (size_t)(best - p));
        rs_str_puts(&out, "[REDACTED]");
        p = best + best_len;
    }
    rs_str_puts(&out, p);
    if (rs_str_error(&out)) {
        rs_str_free(&out);
        return NULL;
    }
    char *s = rs_str_detach(&out, NULL);
    return s ? s : rs_strdup("");
}

int rs_runlog_add_secret(rs_runlog *log, const char *value, rs_error *err)
{
    if (!value || strlen(value) < 8)
        return 0;
    for (size_t i = 0; i < log->n_secrets; i++)
        if (strcmp(log->secrets[i], value) == 0)
            return 0;
    if (log->n_secrets == MAX_SECRETS)
        return rs_error_set(err, RS_ELIMIT, "more than %d secrets to scrub", MAX_SECRETS);
    char *v = rs_strdup(value);
    if (!v)
        return rs_error_set(err, RS_ENOMEM, "out of memory");
    log->secrets[log->n_secrets++] = v;
    return 0;
}

char *rs_scrub_secrets(const char *text)
{
    rs_runlog tmp;
    memset(&tmp, 0, sizeof tmp);
    collect_secrets(&tmp);
    char *s = scrub_with(tmp.secrets, tmp.n_secrets, text ? text : "");
    for (size_t i = 0; i < tmp.n_secrets; i++)
        rs_free(tmp.secrets[i]);
    return s;
}

int rs_runlog_path(char **out, const char *explicit_path, const char *root, rs_error *err)
{
    *out = NULL;
    const char *env = getenv("ROSETTA_LOG");
    const char *p = explicit_path && *explicit_path ? explicit_path : env && *env ? env : NULL;
    rs_str s = RS_STR_INIT;
    if (p)
        rs_str_puts(&s, p);
    else
        rs_str_appendf(&s, "%s%s.rosetta/runs.db", root ? root : "",
                       root && *root && root[strlen(root) - 1] != '/' ? "/" : "");
    if (rs_str_error(&s)) {
        rs_str_free(&s);
        return rs_error_set(err, RS_ENOMEM, "out of memory");
    }
    *out = rs_str_detach(&s, NULL);
    return 0;
}

void rs_run_record_init(rs_run_record *r)
{
    memset(r, 0, sizeof *r);
    r->input_tokens = r->output_tokens = r->cached_tokens = r->reasoning_tokens = -1;
    r->latency_ms = r->ttft_ms = -1.0;
}

void rs_runlog_close(rs_runlog *log)
{
    if (!log)
        return;
    sqlite3_finalize(log->ins_run);
    sqlite3_finalize(log->ins_attempt);
    if (log->db)
        sqlite3_close_v2(log->db);
    for (size_t i = 0; i < log->n_secrets; i++)
        rs_free(log->secrets[i]);
    rs_free(log->path);
    rs_free(log);
}

int rs_runlog_open_at_version(rs_runlog **out, const char *path, int version, rs_error *err)
{
    int rc = 0;
    *out = NULL;
    rs_runlog *log = rs_calloc(1, sizeof *log);
    if (!log)
        return rs_error_set(err, RS_ENOMEM, "out of memory opening the run log");
    if (version < 1 || version > RS_RUNLOG_SCHEMA_VERSION) {
        rc = rs_error_set(err, RS_EINVAL, "no run log schema version %d", version);
        goto fail;
    }
    log->path = rs_strdup(path);
    if (!log->path) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory opening the run log");
        goto fail;
    }
    if ((rc = make_parent(path, err)) != 0)
        goto fail;
    /* A log that does not exist yet is created without fsyncs: switching a new, empty database
     * to WAL goes through a rollback journal (four fsyncs, ~15 ms on a loaded machine) that
     * would only protect an empty file. What is at stake is an OS crash in the first
     * milliseconds of a new log (an unusable empty file); runs are written afterwards with
     * synchronous=NORMAL as always. */
    struct stat sb;
    int fresh = stat(path, &sb) != 0 || sb.st_size == 0;
    if (sqlite3_open_v2(path, &log->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        rc = db_fail(log, log->db, err, "cannot open");
        goto fail;
    }
    sqlite3_busy_timeout(log->db, BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(log->db, 1);
    /* journal_mode=WAL is persistent; switching needs a moment of exclusivity: retry on busy */
    if ((fresh &&
         (rc = exec_retry(log, "PRAGMA synchronous=OFF", err, "cannot set pragmas")) != 0) ||
        (rc = exec_retry(log, "PRAGMA journal_mode=WAL", err, "cannot enable WAL")) != 0 ||
        (rc = exec_retry(log,
                         "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                         "PRAGMA wal_autocheckpoint=" RS_STRINGIFY(WAL_CHECKPOINT_PAGES),
                         err, "cannot set pragmas")) != 0)
        goto fail;
    if ((rc = migrate(log, version, err)) != 0)
        goto fail;
    collect_secrets(log);
    *out = log;
    return 0;
fail:
    rs_runlog_close(log);
    return rc;
}

int rs_runlog_open(rs_runlog **out, const char *path, rs_error *err)
{
    return rs_runlog_open_at_version(out, path, RS_RUNLOG_SCHEMA_VERSION, err);
}

int rs_runlog_schema_version(rs_runlog *log)
{
    return log ? log->version : 0;
}

int rs_runlog_exec(rs_runlog *log, const char *sql, rs_error *err)
{
    return exec_retry(log, sql, err, "statement failed");
}

/* ---------- inserting ---------- */

/* Bind text after scrubbing secrets; NULL stays NULL. */
static int bind_text(rs_runlog *log, sqlite3_stmt *st, int i, const char *s)
{
    if (!s)
        return sqlite3_bind_null(st, i);
    for (size_t k = 0; k < log->n_secrets; k++) {
        if (strstr(s, log->secrets[k])) {
            char *clean = scrub_with(log->secrets, log->n_secrets, s);
            if (!clean)
                return SQLITE_NOMEM;
            return sqlite3_bind_text(st, i, clean, -1, rs_free);
        }
    }
    return sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

static int bind_count(sqlite3_stmt *st, int i, long long v)
{
    return v < 0 ? sqlite3_bind_null(st, i) : sqlite3_bind_int64(st, i, v);
}

static int bind_ms(sqlite3_stmt *st, int i, double v)
{
    return v < 0 || !isfinite(v) ? sqlite3_bind_null(st, i) : sqlite3_bind_double(st, i, v);
}

static const char *const ins_run_sql =
    "INSERT INTO runs (created_at, prompt, version, \"commit\", variant, provider, model, route,"
    " status, error, error_class, input_tokens, output_tokens, cached_tokens, reasoning_tokens,"
    " cost_usd, latency_ms, ttft_ms, attempts, experiment, arm, case_id, input, output,"
    " tool_calls, finish, finish_raw, response_model, request_hash)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

static const char *const ins_attempt_sql =
    "INSERT INTO attempts (run_id, n, target, status, http_status, error_class, error,"
    " latency_ms, retry_after_ms) VALUES (?,?,?,?,?,?,?,?,?)";

static int insert_rows(rs_runlog *log, const rs_run_record *r, long long *id, rs_error *err)
{
    char now[40];
    sqlite3_stmt *st = log->ins_run;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (!r->created_at)
        iso_time(now, sizeof now, now_ms());
    int b = 0, i = 1;
    b |= bind_text(log, st, i++, r->created_at ? r->created_at : now);
    b |= bind_text(log, st, i++, r->prompt);
    b |= bind_text(log, st, i++, r->version);
    b |= bind_text(log, st, i++, r->commit);
    b |= bind_text(log, st, i++, r->variant);
    b |= bind_text(log, st, i++, r->provider);
    b |= bind_text(log, st, i++, r->model);
    b |= bind_text(log, st, i++, r->route);
    b |= bind_text(log, st, i++, r->ok ? "ok" : "error");
    b |= bind_text(log, st, i++, r->ok ? NULL : r->error);
    b |= bind_text(log, st, i++, r->ok ? NULL : r->error_class);
    b |= bind_count(st, i++, r->input_tokens);
    b |= bind_count(st, i++, r->output_tokens);
    b |= bind_count(st, i++, r->cached_tokens);
    b |= bind_count(st, i++, r->reasoning_tokens);
    if (r->cost_known && isfinite(r->cost_usd))
        b |= sqlite3_bind_double(st, i++, r->cost_usd);
    else
        b |= sqlite3_bind_null(st, i++);
    b |= bind_ms(st, i++, r->latency_ms);
    b |= bind_ms(st, i++, r->ttft_ms);
    b |= sqlite3_bind_int64(st, i++, (long long)(r->n_attempts ? r->n_attempts : 1));
    b |= bind_text(log, st, i++, r->experiment);
    b |= bind_text(log, st, i++, r->arm);
    b |= bind_text(log, st, i++, r->case_id);
    b |= bind_text(log, st, i++, r->input_json);
    b |= bind_text(log, st, i++, r->output);
    b |= bind_text(log, st, i++, r->tool_calls_json);
    b |= bind_text(log, st, i++, r->finish);
    b |= bind_text(log, st, i++, r->finish_raw);
    b |= bind_text(log, st, i++, r->response_model);
    b |= bind_text(log, st, i++, r->request_hash);
    if (b != SQLITE_OK)
        return rs_error_set(err, b & SQLITE_NOMEM ? RS_ENOMEM : RS_EDB,
                            "cannot bind the run's values");
    if (sqlite3_step(st) != SQLITE_DONE)
        return db_fail(log, log->db, err, "cannot insert the run");
    long long run_id = sqlite3_last_insert_rowid(log->db);
    for (size_t k = 0; k < r->n_attempts; k++) {
        const rs_attempt_record *a = &r->attempts[k];
        sqlite3_stmt *as = log->ins_attempt;
        sqlite3_reset(as);
        sqlite3_clear_bindings(as);
        b = sqlite3_bind_int64(as, 1, run_id);
        b |= sqlite3_bind_int64(as, 2, (long long)k + 1);
        b |= bind_text(log, as, 3, a->target);
        b |= bind_text(log, as, 4, a->ok ? "ok" : "error");
        b |=
            a->http_status > 0 ? sqlite3_bind_int(as, 5, a->http_status) : sqlite3_bind_null(as, 5);
        b |= bind_text(log, as, 6, a->ok ? NULL : a->error_class);
        b |= bind_text(log, as, 7, a->ok ? NULL : a->error);
        b |= bind_ms(as, 8, a->latency_ms);
        b |= bind_count(as, 9, a->retry_after_ms);
        if (b != SQLITE_OK)
            return rs_error_set(err, RS_EDB, "cannot bind an attempt's values");
        if (sqlite3_step(as) != SQLITE_DONE)
            return db_fail(log, log->db, err, "cannot insert an attempt");
    }
    if (id)
        *id = run_id;
    return 0;
}

int rs_runlog_insert_batch(rs_runlog *log, const rs_run_record *runs, size_t n, long long *ids,
                           rs_error *err)
{
    if (!log->ins_run &&
        (sqlite3_prepare_v2(log->db, ins_run_sql, -1, &log->ins_run, NULL) != SQLITE_OK ||
         sqlite3_prepare_v2(log->db, ins_attempt_sql, -1, &log->ins_attempt, NULL) != SQLITE_OK))
        return db_fail(log, log->db, err, "cannot prepare the insert");
    int rc = begin(log, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = insert_rows(log, &runs[i], ids ? &ids[i] : NULL, err);
    sqlite3_reset(log->ins_run);
    sqlite3_reset(log->ins_attempt);
    if (rc) {
        rollback(log);
        return rc;
    }
    return commit(log, err);
}

int rs_runlog_insert(rs_runlog *log, const rs_run_record *r, long long *id, rs_error *err)
{
    return rs_runlog_insert_batch(log, r, 1, id, err);
}

int rs_runlog_feedback(rs_runlog *log, long long run_id, double score, const char *label,
                       rs_error *err)
{
    sqlite3_stmt *st = NULL;
    char now[40];
    iso_time(now, sizeof now, now_ms());
    int rc = begin(log, err);
    if (rc)
        return rc;
    if (sqlite3_prepare_v2(log->db,
                           "INSERT INTO feedback (run_id, score, label, created_at) "
                           "SELECT id, ?, ?, ? FROM runs WHERE id = ?",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(log, log->db, err, "cannot prepare the feedback insert");
        goto fail;
    }
    int b = isfinite(score) ? sqlite3_bind_double(st, 1, score) : sqlite3_bind_null(st, 1);
    b |= bind_text(log, st, 2, label);
    b |= sqlite3_bind_text(st, 3, now, -1, SQLITE_TRANSIENT);
    b |= sqlite3_bind_int64(st, 4, run_id);
    if (b != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
        rc = db_fail(log, log->db, err, "cannot insert feedback");
        goto fail;
    }
    if (sqlite3_changes(log->db) == 0) {
        rc = rs_error_set(err, RS_ENOTFOUND, "no run %lld in %s", run_id, log->path);
        goto fail;
    }
    sqlite3_finalize(st);
    return commit(log, err);
fail:
    sqlite3_finalize(st);
    rollback(log);
    return rc;
}

/* ---------- queries ---------- */

/* Parse a --since value: an age ("30m", "24h", "7d", "2w", "90s") or an ISO date/time, into an
 * ISO-8601 UTC lower bound comparable with created_at. */
int rs_runlog_since(char *buf, size_t size, const char *since, long long now, rs_error *err)
{
    size_t n = strlen(since);
    if (n >= 2 && since[0] >= '0' && since[0] <= '9') {
        char unit = since[n - 1];
        long long mult = unit == 's'   ? 1
                         : unit == 'm' ? 60
                         : unit == 'h' ? 3600
                         : unit == 'd' ? 86400
                         : unit == 'w' ? 604800
                                       : 0;
        long long v = 0;
        size_t i = 0;
        for (; i + 1 < n && since[i] >= '0' && since[i] <= '9' && v < 100000000; i++)
            v = v * 10 + (since[i] - '0');
        if (mult && i + 1 == n) {
            iso_time(buf, size, now - v * mult * 1000);
            return 0;
        }
    }
    /* YYYY-MM-DD[THH:MM[:SS[.fff]]][Z]: compared as text, so check the shape */
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    size_t k = 0;
    for (; k < n && k < sizeof shape - 1; k++) {
        char c = since[k], s = shape[k];
        if (s == 'd' ? !(c >= '0' && c <= '9') : (s == 'T' ? (c != 'T' && c != ' ') : c != s))
            break;
    }
    /* after the matched part only a UTC marker or fractional seconds may follow: an offset
     * like +02:00 would silently be read as UTC, so it is refused */
    size_t rest = k;
    if (k == 19 && rest < n && since[rest] == '.')
        for (rest++; rest < n && since[rest] >= '0' && since[rest] <= '9'; rest++)
            ;
    if (k > 10 && rest < n && since[rest] == 'Z')
        rest++;
    if (!(k == 10 || k == 16 || k == 19) || rest != n || size < 32)
        return rs_error_set(err, RS_EINVAL,
                            "--since '%s': expected an age (30m, 24h, 7d, 2w) or a UTC date "
                            "(2026-11-01 or 2026-11-01T10:00:00Z)",
                            since);
    size_t keep = rest > k && since[rest - 1] == 'Z' ? rest - 1 : rest; /* fraction kept */
    if (keep >= size)
        return rs_error_set(err, RS_EINVAL, "--since '%s': too long", since);
    memcpy(buf, since, keep);
    buf[keep] = '\0';
    if (k > 10)
        buf[10] = 'T';
    return 0;
}

static int bind_filters(sqlite3_stmt *st, const rs_runlog_query *q, const char *since)
{
    int b = 0;
    b |= q && q->prompt ? sqlite3_bind_text(st, 1, q->prompt, -1, SQLITE_TRANSIENT)
                        : sqlite3_bind_null(st, 1);
    b |= since ? sqlite3_bind_text(st, 2, since, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, 2);
    b |= q && q->experiment ? sqlite3_bind_text(st, 3, q->experiment, -1, SQLITE_TRANSIENT)
                            : sqlite3_bind_null(st, 3);
    b |= q && q->arm ? sqlite3_bind_text(st, 4, q->arm, -1, SQLITE_TRANSIENT)
                     : sqlite3_bind_null(st, 4);
    return b;
}

#define FILTER_SQL                                                                                 \
    " WHERE (?1 IS NULL OR prompt = ?1) AND (?2 IS NULL OR created_at >= ?2)"                      \
    " AND (?3 IS NULL OR experiment = ?3) AND (?4 IS NULL OR arm = ?4)"

/* The current row's columns into a JSON object; JSON-text columns are embedded as JSON. */
static cJSON *row_object(sqlite3_stmt *st)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int n = sqlite3_column_count(st);
    for (int i = 0; i < n; i++) {
        const char *name = sqlite3_column_name(st, i);
        cJSON *v = NULL;
        switch (sqlite3_column_type(st, i)) {
        case SQLITE_INTEGER:
            v = cJSON_CreateNumber((double)sqlite3_column_int64(st, i));
            break;
        case SQLITE_FLOAT:
            v = cJSON_CreateNumber(sqlite3_column_double(st, i));
            break;
        case SQLITE_NULL:
            v = cJSON_CreateNull();
            break;
        default: {
            const char *t = (const char *)sqlite3_column_text(st, i);
            int len = sqlite3_column_bytes(st, i);
            if (t && (!strcmp(name, "input") || !strcmp(name, "tool_calls")))
                rs_json_parse(&v, t, (size_t)len, NULL, NULL);
            if (!v)
                v = cJSON_CreateString(t ? t : "");
        }
        }
        if (!v || !cJSON_AddItemToObject(o, name, v)) {
            cJSON_Delete(v);
            cJSON_Delete(o);
            return NULL;
        }
    }
    return o;
}

/* Run a query and collect each row as an object into arr. */
static int rows_into(rs_runlog *log, sqlite3_stmt *st, cJSON *arr, rs_error *err)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *o = row_object(st);
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            return rs_error_set(err, RS_ENOMEM, "out of memory reading the run log");
        }
    }
    if (rc != SQLITE_DONE)
        return db_fail(log, log->db, err, "query failed");
    return 0;
}

static int resolve_since(char *buf, size_t size, const rs_runlog_query *q, const char **since,
                         rs_error *err)
{
    *since = NULL;
    if (!q || !q->since)
        return 0;
    int rc = rs_runlog_since(buf, size, q->since, now_ms(), err);
    if (rc == 0)
        *since = buf;
    return rc;
}

static int emit_json(cJSON *v, char **json, rs_error *err)
{
    char *s = rs_json_print(v, 1);
    if (!s)
        return rs_error_set(err, RS_ENOMEM, "out of memory printing JSON");
    *json = s;
    return 0;
}

int rs_runlog_list_json(rs_runlog *log, const rs_runlog_query *q, char **json, rs_error *err)
{
    sqlite3_stmt *st = NULL;
    cJSON *arr = NULL;
    char since_buf[40];
    const char *since;
    *json = NULL;
    int rc = resolve_since(since_buf, sizeof since_buf, q, &since, err);
    if (rc)
        return rc;
    if (sqlite3_prepare_v2(log->db,
                           "SELECT id, created_at, prompt, version, variant, provider, model,"
                           " status, error_class, error, input_tokens, output_tokens, cost_usd,"
                           " latency_ms, ttft_ms, attempts, experiment, arm, case_id, finish"
                           " FROM runs" FILTER_SQL " ORDER BY id DESC LIMIT ?5",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(log, log->db, err, "cannot list runs");
        goto done;
    }
    long limit = q && q->limit ? q->limit : 20;
    if (bind_filters(st, q, since) | sqlite3_bind_int64(st, 5, limit < 0 ? -1 : limit)) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    arr = cJSON_CreateArray();
    if (!arr) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = rows_into(log, st, arr, err)) == 0)
        rc = emit_json(arr, json, err);
done:
    sqlite3_finalize(st);
    cJSON_Delete(arr);
    return rc;
}

int rs_runlog_show_json(rs_runlog *log, long long id, char **json, rs_error *err)
{
    sqlite3_stmt *st = NULL;
    cJSON *run = NULL, *arr = NULL;
    *json = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(log->db, "SELECT * FROM runs WHERE id = ?", -1, &st, NULL) !=
        SQLITE_OK) {
        rc = db_fail(log, log->db, err, "cannot read the run");
        goto done;
    }
    sqlite3_bind_int64(st, 1, id);
    int s = sqlite3_step(st);
    if (s == SQLITE_DONE) {
        rc = rs_error_set(err, RS_ENOTFOUND, "no run %lld in %s", id, log->path);
        goto done;
    }
    if (s != SQLITE_ROW) {
        rc = db_fail(log, log->db, err, "cannot read the run");
        goto done;
    }
    run = row_object(st);
    if (!run) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    static const char *const subs[][2] = {
        {"attempts", "SELECT n, target, status, http_status, error_class, error, latency_ms,"
                     " retry_after_ms FROM attempts WHERE run_id = ? ORDER BY n"},
        {"feedback", "SELECT score, label, created_at FROM feedback WHERE run_id = ? ORDER BY id"},
    };
    for (size_t k = 0; k < 2; k++) {
        sqlite3_finalize(st);
        st = NULL;
        if (sqlite3_prepare_v2(log->db, subs[k][1], -1, &st, NULL) != SQLITE_OK) {
            rc = db_fail(log, log->db, err, "cannot read the run");
            goto done;
        }
        sqlite3_bind_int64(st, 1, id);
        arr = cJSON_CreateArray();
        if (!arr) {
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
        if ((rc = rows_into(log, st, arr, err)) != 0)
            goto done;
        /* the run's own "attempts" column is the count; the list replaces it */
        cJSON_DeleteItemFromObjectCaseSensitive(run, subs[k][0]);
        if (!cJSON_AddItemToObject(run, subs[k][0], arr)) {
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
        arr = NULL;
    }
    rc = emit_json(run, json, err);
done:
    sqlite3_finalize(st);
    cJSON_Delete(run);
    cJSON_Delete(arr);
    return rc;
}

/* ---------- stats ---------- */

static const char *const groupable[] = {"version",    "variant", "provider", "model",  "prompt",
                                        "experiment", "arm",     "case_id",  "status", "finish",
                                        "route",      "day",     "hour",     NULL};

/* The SQL a `by` name selects (day and hour are UTC time buckets of created_at). */
static const char *by_select(const char *name)
{
    if (!strcmp(name, "day"))
        return "substr(created_at, 1, 10)";
    if (!strcmp(name, "hour"))
        return "substr(created_at, 1, 13) || ':00'";
    return name;
}

/* The ORDER BY of a `by` name: versions in numeric order (v2 before v10). */
static const char *by_order(const char *name)
{
    if (!strcmp(name, "version"))
        return "length(version), version";
    return by_select(name);
}

void rs_runstats_free(rs_runstats *s)
{
    if (!s)
        return;
    for (size_t g = 0; g < s->n_groups; g++)
        for (size_t k = 0; k < s->n_by; k++)
            rs_free(s->groups[g].key[k]);
    rs_free(s->groups);
    for (size_t k = 0; k < s->n_by; k++)
        rs_free(s->by[k]);
    rs_free(s);
}

/* Split and validate the `by` list into s->by. */
static int parse_by(rs_runstats *s, const char *by, rs_error *err)
{
    const char *p = by && *by ? by : "prompt,version";
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        while (n && *p == ' ')
            p++, n--;
        while (n && p[n - 1] == ' ')
            n--;
        int ok = 0;
        for (size_t i = 0; groupable[i] && n; i++)
            ok |= strlen(groupable[i]) == n && !strncmp(p, groupable[i], n);
        if (!ok)
            return rs_error_set(err, RS_EINVAL,
                                "--by: unknown column '%.*s' (one of version, variant, provider, "
                                "model, prompt, experiment, arm, case_id, status, finish, route, "
                                "day, hour)",
                                (int)n, p);
        for (size_t k = 0; k < s->n_by; k++)
            if (!strncmp(s->by[k], p, n) && s->by[k][n] == '\0')
                ok = 0;
        if (ok) {
            if (s->n_by == RS_RUNSTATS_MAX_BY)
                return rs_error_set(err, RS_EINVAL, "--by: at most %d columns", RS_RUNSTATS_MAX_BY);
            if (!(s->by[s->n_by] = rs_strndup(p, n)))
                return rs_error_set(err, RS_ENOMEM, "out of memory");
            s->n_by++;
        }
        p += n;
        while (*p == ' ')
            p++;
        if (*p == ',')
            p++;
    }
    return 0;
}

typedef struct acc {
    double *lat, *ttft;
    size_t n_lat, n_ttft, cap;
} acc;

static void finish_group(rs_runstats_group *g, acc *a)
{
    int ok;
    g->error_rate = g->count ? (double)g->errors / (double)g->count : 0;
    g->latency_p50 = a->n_lat ? rs_stats_percentile(a->lat, a->n_lat, 0.50, &ok) : -1;
    g->latency_p95 = a->n_lat ? rs_stats_percentile(a->lat, a->n_lat, 0.95, &ok) : -1;
    g->ttft_p50 = a->n_ttft ? rs_stats_percentile(a->ttft, a->n_ttft, 0.50, &ok) : -1;
    g->cost_mean = g->cost_known ? g->cost_total / (double)g->cost_known : -1;
    a->n_lat = a->n_ttft = 0;
}

static int same_key(const rs_runstats_group *g, sqlite3_stmt *st, size_t n_by)
{
    for (size_t k = 0; k < n_by; k++) {
        const char *t = (const char *)sqlite3_column_text(st, (int)k);
        if ((t == NULL) != (g->key[k] == NULL) || (t && strcmp(t, g->key[k]) != 0))
            return 0;
    }
    return 1;
}

static int push_value(double **arr, size_t *n, size_t *cap, double v)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 256;
        double *p = rs_realloc(*arr, c * sizeof *p);
        if (!p)
            return RS_ENOMEM;
        *arr = p;
        *cap = c;
    }
    (*arr)[(*n)++] = v;
    return 0;
}

int rs_runlog_stats(rs_runlog *log, const rs_runlog_query *q, rs_runstats **out, rs_error *err)
{
    int rc = 0;
    sqlite3_stmt *st = NULL;
    acc a = {NULL, NULL, 0, 0, 0};
    size_t cap_ttft = 0, groups_cap = 0;
    rs_str sql = RS_STR_INIT;
    char since_buf[40];
    const char *since;
    *out = NULL;
    rs_runstats *s = rs_calloc(1, sizeof *s);
    if (!s)
        return rs_error_set(err, RS_ENOMEM, "out of memory");
    if ((rc = parse_by(s, q ? q->by : NULL, err)) != 0 ||
        (rc = resolve_since(since_buf, sizeof since_buf, q, &since, err)) != 0)
        goto done;
    /* the by columns were validated against a fixed list: safe to splice into the SQL */
    rs_str_puts(&sql, "SELECT ");
    for (size_t k = 0; k < s->n_by; k++)
        rs_str_appendf(&sql, "CAST(%s AS TEXT), ", by_select(s->by[k]));
    rs_str_puts(&sql, "status, latency_ms, ttft_ms, input_tokens, output_tokens, cached_tokens,"
                      " reasoning_tokens, cost_usd FROM runs" FILTER_SQL " ORDER BY ");
    for (size_t k = 0; k < s->n_by; k++)
        rs_str_appendf(&sql, "%s%s", k ? ", " : "", by_order(s->by[k]));
    if (rs_str_error(&sql)) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    if (sqlite3_prepare_v2(log->db, rs_str_cstr(&sql), -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(log, log->db, err, "cannot compute stats");
        goto done;
    }
    if (bind_filters(st, q, since) != SQLITE_OK) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    rs_runstats_group *g = NULL;
    int step;
    const int c0 = (int)s->n_by;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (!g || !same_key(g, st, s->n_by)) {
            if (g)
                finish_group(g, &a);
            if (s->n_groups == groups_cap) {
                size_t c = groups_cap ? groups_cap * 2 : 16;
                rs_runstats_group *ng = rs_realloc(s->groups, c * sizeof *ng);
                if (!ng) {
                    rc = rs_error_set(err, RS_ENOMEM, "out of memory");
                    goto done;
                }
                s->groups = ng;
                groups_cap = c;
            }
            g = &s->groups[s->n_groups++];
            memset(g, 0, sizeof *g);
            for (size_t k = 0; k < s->n_by; k++) {
                const char *t = (const char *)sqlite3_column_text(st, (int)k);
                if (t && !(g->key[k] = rs_strdup(t))) {
                    rc = rs_error_set(err, RS_ENOMEM, "out of memory");
                    goto done;
                }
            }
        }
        g->count++;
        const char *status = (const char *)sqlite3_column_text(st, c0);
        if (!status || strcmp(status, "ok") != 0)
            g->errors++;
        if (sqlite3_column_type(st, c0 + 1) != SQLITE_NULL &&
            push_value(&a.lat, &a.n_lat, &a.cap, sqlite3_column_double(st, c0 + 1))) {
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
        if (sqlite3_column_type(st, c0 + 2) != SQLITE_NULL &&
            push_value(&a.ttft, &a.n_ttft, &cap_ttft, sqlite3_column_double(st, c0 + 2))) {
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
        long long *sums[] = {&g->input_tokens, &g->output_tokens, &g->cached_tokens,
                             &g->reasoning_tokens};
        for (int k = 0; k < 4; k++)
            if (sqlite3_column_type(st, c0 + 3 + k) != SQLITE_NULL)
                *sums[k] += sqlite3_column_int64(st, c0 + 3 + k);
        if (sqlite3_column_type(st, c0 + 7) != SQLITE_NULL) {
            g->cost_known++;
            g->cost_total += sqlite3_column_double(st, c0 + 7);
        }
    }
    if (step != SQLITE_DONE) {
        rc = db_fail(log, log->db, err, "cannot compute stats");
        goto done;
    }
    if (g)
        finish_group(g, &a);
    *out = s;
    s = NULL;
done:
    sqlite3_finalize(st);
    rs_str_free(&sql);
    rs_free(a.lat);
    rs_free(a.ttft);
    rs_runstats_free(s);
    return rc;
}

static cJSON *num_or_null(double v)
{
    return v < 0 ? cJSON_CreateNull() : cJSON_CreateNumber(v);
}

int rs_runstats_to_json(const rs_runstats *s, char **json, rs_error *err)
{
    *json = NULL;
    cJSON *arr = cJSON_CreateArray();
    int rc = 0;
    if (!arr)
        return rs_error_set(err, RS_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->n_groups; i++) {
        const rs_runstats_group *g = &s->groups[i];
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
        int ok = 1;
        for (size_t k = 0; k < s->n_by; k++)
            ok &= cJSON_AddItemToObject(
                o, s->by[k], g->key[k] ? cJSON_CreateString(g->key[k]) : cJSON_CreateNull());
        ok &= cJSON_AddNumberToObject(o, "count", (double)g->count) != NULL;
        ok &= cJSON_AddNumberToObject(o, "errors", (double)g->errors) != NULL;
        ok &= cJSON_AddNumberToObject(o, "error_rate", g->error_rate) != NULL;
        ok &= cJSON_AddItemToObject(o, "latency_p50_ms", num_or_null(g->latency_p50));
        ok &= cJSON_AddItemToObject(o, "latency_p95_ms", num_or_null(g->latency_p95));
        ok &= cJSON_AddItemToObject(o, "ttft_p50_ms", num_or_null(g->ttft_p50));
        ok &= cJSON_AddNumberToObject(o, "input_tokens", (double)g->input_tokens) != NULL;
        ok &= cJSON_AddNumberToObject(o, "output_tokens", (double)g->output_tokens) != NULL;
        ok &= cJSON_AddNumberToObject(o, "cached_tokens", (double)g->cached_tokens) != NULL;
        ok &= cJSON_AddNumberToObject(o, "reasoning_tokens", (double)g->reasoning_tokens) != NULL;
        ok &= cJSON_AddNumberToObject(o, "cost_known", (double)g->cost_known) != NULL;
        ok &= cJSON_AddItemToObject(o, "cost_total_usd",
                                    g->cost_known ? cJSON_CreateNumber(g->cost_total)
                                                  : cJSON_CreateNull());
        ok &= cJSON_AddItemToObject(o, "cost_mean_usd", num_or_null(g->cost_mean));
        if (!ok) {
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
    }
    rc = emit_json(arr, json, err);
done:
    cJSON_Delete(arr);
    return rc;
}
