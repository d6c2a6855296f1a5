/*
 * tests/unit/test_runlog_concurrency.c - 8 processes each log 200 runs (with 2 attempts each)
 * into one fresh database at the same moment: afterwards there must be exactly 1,600 runs and
 * 3,200 attempts, and no process may have failed ("database is locked" or anything else).
 *
 * usage: test_runlog_concurrency [PROCS] [RUNS_PER_PROC]     (defaults 8 and 200)
 * Prints the wall time and the insert rate.
 */
#include "runner/runlog.h"
#include "util/alloc.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static double now_s(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

/* One writer process: waits for the start signal, then logs n runs. Exit 0 on success. */
static int child(const char *path, int proc, int n, int start_fd)
{
    char go;
    if (read(start_fd, &go, 1) != 1)
        return 10;
    rs_error err = RS_ERROR_INIT;
    rs_runlog *log = NULL;
    /* every process opens (and possibly creates/migrates) the log at the same moment */
    if (rs_runlog_open(&log, path, &err) != 0) {
        fprintf(stderr, "proc %d: open: %s\n", proc, err.message);
        return 11;
    }
    char arm[16], case_id[32], output[64];
    snprintf(arm, sizeof arm, "p%d", proc);
    for (int i = 0; i < n; i++) {
        rs_run_record r;
        rs_run_record_init(&r);
        rs_attempt_record a[2] = {
            {"mock/echo", 0, 503, "overloaded", "HTTP 503", 1.5, 10},
            {"mock/echo", 1, 200, NULL, NULL, 2.5, -1},
        };
        snprintf(case_id, sizeof case_id, "%d", i);
        snprintf(output, sizeof output, "answer %d from %d", i, proc);
        r.prompt = "concurrency";
        r.version = "v1";
        r.provider = "mock";
        r.model = "echo";
        r.ok = 1;
        r.arm = arm;
        r.case_id = case_id;
        r.output = output;
        r.input_tokens = 3;
        r.output_tokens = 4;
        r.cost_known = 1;
        r.cost_usd = 0;
        r.latency_ms = 4.0;
        r.attempts = a;
        r.n_attempts = 2;
        if (rs_runlog_insert(log, &r, NULL, &err) != 0) {
            fprintf(stderr, "proc %d run %d: %s\n", proc, i, err.message);
            rs_runlog_close(log);
            return 12;
        }
    }
    rs_runlog_close(log);
    return 0;
}

int main(int argc, char **argv)
{
    int procs = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 8;
    int per = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 200;
    if (procs < 1 || procs > 64 || per < 1) {
        fprintf(stderr, "usage: %s [PROCS 1..64] [RUNS_PER_PROC]\n", argv[0]);
        return 2;
    }
    char dir[] = "/tmp/rs_runlog_conc_XXXXXX";
    if (!mkdtemp(dir))
        return 2;
    char path[256];
    snprintf(path, sizeof path, "%s/.rosetta/runs.db", dir);
    int fds[2];
    if (pipe(fds) != 0)
        return 2;
    pid_t pids[64];
    for (int p = 0; p < procs; p++) {
        pids[p] = fork();
        if (pids[p] < 0)
            return 2;
        if (pids[p] == 0) {
            close(fds[1]);
            _exit(child(path, p, per, fds[0]));
        }
    }
    close(fds[0]);
    double t0 = now_s();
    char go[64];
    memset(go, 'g', sizeof go);
    if (write(fds[1], go, (size_t)procs) != procs) /* release them all at once */
        return 2;
    close(fds[1]);
    int failed = 0;
    for (int p = 0; p < procs; p++) {
        int status = 0;
        waitpid(pids[p], &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "writer %d failed (status %d)\n", p, status);
            failed++;
        }
    }
    double secs = now_s() - t0;

    /* count what landed: per arm and in total, runs and attempts */
    rs_error err = RS_ERROR_INIT;
    rs_runlog *log = NULL;
    rs_runstats *s = NULL;
    long total = 0, groups_ok = 0;
    if (rs_runlog_open(&log, path, &err) != 0) {
        fprintf(stderr, "reopen: %s\n", err.message);
        return 1;
    }
    rs_runlog_query q = RS_RUNLOG_QUERY_INIT;
    q.by = "arm";
    if (rs_runlog_stats(log, &q, &s, &err) != 0) {
        fprintf(stderr, "stats: %s\n", err.message);
        return 1;
    }
    for (size_t g = 0; g < s->n_groups; g++) {
        total += s->groups[g].count;
        groups_ok += s->groups[g].count == per;
    }
    rs_runstats_free(s);
    /* attempts: every run has exactly its two (read back through `runs show`'s query) */
    long long attempts = 0;
    for (long long id = 1; id <= total; id++) {
        char *json = NULL;
        cJSON *run = NULL;
        if (rs_runlog_show_json(log, id, &json, &err) != 0 || !(run = cJSON_Parse(json))) {
            fprintf(stderr, "run %lld: %s\n", id, err.message);
            rs_free(json);
            return 1;
        }
        attempts += cJSON_GetArraySize(cJSON_GetObjectItem(run, "attempts"));
        cJSON_Delete(run);
        rs_free(json);
    }
    rs_runlog_close(log);
    printf("%d processes x %d runs: %ld runs in %zu arms (%ld complete), %lld attempts, "
           "%.2f s, %.0f runs/s, %d writer failures\n",
           procs, per, total, (size_t)groups_ok, groups_ok, attempts, secs, (double)total / secs,
           failed);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    if (failed || total != (long)procs * per || groups_ok != procs || attempts != 2LL * procs * per)
        return 1;
    return 0;
}
