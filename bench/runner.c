/*
 * bench/runner.c - provider calls per second through Rosetta, against the fake provider.
 *
 * usage: bench_runner FAKE_PROVIDER [--calls N] [--concurrency C] [--latency MS,...]
 *                     [--mode transport|runner|curl-cli|both]
 *
 * For each latency L the fake server answers every request after L ms (OpenAI dialect, not
 * streamed). Two layers are measured:
 *   transport  prebuilt requests through the curl multi engine (send, receive, decode)
 *   runner     whole runs through rs_run_batch: render a .prompt, encode, send, decode, price,
 *              and the run log (a fresh one; runs written in group commits by the logger thread)
 * Printed per line: calls/s, CPU microseconds per call (this process: user+system from
 * getrusage; the fake server runs in its own process and is not counted), the requests the fake
 * answered, peak RSS (ru_maxrss), and the
 * efficiency against the ideal wall time calls x latency / concurrency (L > 0 only).
 * The peer beside ours: curl's command line in parallel mode (curl -Z --parallel-max C) sending
 * the same requests to the same fake (--mode curl-cli, included in "both").
 * Targets (issue 5): >= 2,000 calls/s at 0 ms on 2 cores, >= 95 % of ideal at 50 ms, < 50 MB.
 * Under each runner line, its wall time split in three: rs_runner_open (a fresh run log is
 * created), rs_run_batch, rs_runner_free (the run log's last checkpoint), with the batch's own
 * efficiency, so a slow open or close on a loaded machine is told apart from the network loop.
 */
#include "providers/provider.h"
#include "providers/transport.h"
#include "rosetta/rosetta.h"
#include "rosetta/runner.h"
#include "util/alloc.h"
#include "util/json.h"

#include "../tests/fakes/fake_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(int who)
{
    struct rusage ru;
    getrusage(who, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static long peak_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

typedef struct tstate {
    rs_transport *t;
    rs_exchange *xs;
    const rs_request *req;
    const rs_dialect *d;
    int n, next, done, ok;
} tstate;

static void t_done(rs_exchange *x, void *ud);

static void t_start(tstate *s, rs_exchange *x)
{
    rs_error err = RS_ERROR_INIT;
    rs_exchange_reset(x);
    x->req = s->req;
    x->dialect = s->d;
    x->timeout_ms = 30000;
    x->done = t_done;
    x->done_ud = s;
    s->next++;
    if (rs_transport_add(s->t, x, &err) != 0) {
        fprintf(stderr, "bench: %s\n", err.message);
        exit(1);
    }
}

static void t_done(rs_exchange *x, void *ud)
{
    tstate *s = ud;
    s->done++;
    s->ok += x->rc == 0;
    if (s->next < s->n)
        t_start(s, x);
}

static int bench_transport(int calls, int conc, int *ok)
{
    rs_error err = RS_ERROR_INIT;
    rs_service svc;
    rs_request req;
    cJSON *rendered = NULL;
    const char *doc =
        "{\"messages\":[{\"role\":\"system\",\"content\":[{\"text\":\"Be terse.\"}]},"
        "{\"role\":\"user\",\"content\":[{\"text\":\"Classify: my invoice is wrong\"}]}]}";
    if (rs_json_parse(&rendered, doc, strlen(doc), NULL, &err) != 0 ||
        rs_service_lookup(&svc, "openai", NULL, &err) != 0)
        goto fail;
    rs_request_init(&req);
    rs_encode_opts eo = RS_ENCODE_OPTS_INIT;
    if (rs_request_build(&req, &svc, "gpt-4o-mini", rendered, &eo, 1, &err) != 0)
        goto fail;
    tstate s;
    memset(&s, 0, sizeof s);
    if (rs_transport_new(&s.t, NULL, &err) != 0)
        goto fail;
    s.xs = rs_calloc((size_t)conc, sizeof *s.xs);
    s.req = &req;
    s.d = svc.dialect;
    s.n = calls;
    for (int i = 0; i < conc; i++)
        rs_exchange_init(&s.xs[i]);
    for (int i = 0; i < conc && s.next < calls; i++)
        t_start(&s, &s.xs[i]);
    while (rs_transport_pending(s.t) > 0)
        if (rs_transport_step(s.t, 1000, &err) < 0)
            goto fail;
    for (int i = 0; i < conc; i++)
        rs_exchange_reset(&s.xs[i]);
    rs_free(s.xs);
    rs_transport_free(s.t);
    rs_request_free(&req);
    cJSON_Delete(rendered);
    *ok = s.ok;
    return 0;
fail:
    fprintf(stderr, "bench: %s\n", err.message);
    return 1;
}

typedef struct rstate {
    int ok, failed;
    char first_error[512];
} rstate;

static void r_done(void *ud, const rs_run_outcome *o)
{
    rstate *s = ud;
    if (o->ok)
        s->ok++;
    else if (s->failed++ == 0)
        snprintf(s->first_error, sizeof s->first_error, "%s", o->error ? o->error : "?");
}

static int no_log;

/*
 * The peer: curl's own command line in parallel mode (-Z) sending the same requests to the
 * same fake: what a shell script or a thin wrapper around the curl tool would get. Measured
 * with wait4's rusage of the curl process.
 */
static int bench_curl_cli(int calls, int conc, int port, const char *dir, double *wall, double *cpu,
                          long *maxrss_kb)
{
    char cfg[512];
    snprintf(cfg, sizeof cfg, "%s/curl.cfg", dir);
    FILE *f = fopen(cfg, "w");
    if (!f)
        return 1;
    for (int i = 0; i < calls; i++)
        fprintf(f,
                "%surl = \"http://127.0.0.1:%d/v1/chat/completions\"\n"
                "data = \"{\\\"model\\\":\\\"gpt-4o-mini\\\",\\\"messages\\\":[{\\\"role\\\":"
                "\\\"user\\\",\\\"content\\\":\\\"my invoice is wrong\\\"}]}\"\n"
                "header = \"Content-Type: application/json\"\noutput = \"/dev/null\"\n",
                i ? "next\n" : "", port);
    fclose(f);
    char par[16];
    snprintf(par, sizeof par, "%d", conc);
    const char *argv[] = {"curl", "-s", "-Z", "--parallel-max", par, "-K", cfg, NULL};
    pid_t pid;
    double t0 = now_s();
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 01 /* O_WRONLY */, 0);
    int src = posix_spawnp(&pid, "curl", &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (src != 0)
        return 1;
    int st = 0;
    struct rusage ru;
    if (wait4(pid, &st, 0, &ru) < 0)
        return 1;
    *wall = now_s() - t0;
    *cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    *maxrss_kb = ru.ru_maxrss;
    unlink(cfg);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

typedef struct phases {
    double open_s, batch_s, free_s;
} phases;

static int bench_runner(int calls, int conc, const char *prompt_path, const char *log_path, int *ok,
                        phases *ph)
{
    rs_error err = RS_ERROR_INIT;
    rs_runner *r = NULL;
    rs_runner_opts o = RS_RUNNER_OPTS_INIT;
    o.log_path = log_path;
    o.no_log = no_log;
    o.registry_dir = NULL;
    o.seed = 1;
    rs_run_request *reqs = rs_calloc((size_t)calls, sizeof *reqs);
    char(*ids)[16] = rs_calloc((size_t)calls, sizeof *ids);
    if (!reqs || !ids)
        return 1;
    for (int i = 0; i < calls; i++) {
        rs_run_request q = RS_RUN_REQUEST_INIT;
        q.source = prompt_path;
        q.target = "openai/gpt-4o-mini";
        q.vars_json = "{\"ticket\":\"my invoice is wrong\"}";
        q.experiment = "bench";
        snprintf(ids[i], sizeof ids[i], "c%d", i);
        q.case_id = ids[i];
        reqs[i] = q;
    }
    rstate s;
    memset(&s, 0, sizeof s);
    double t0 = now_s();
    int rc = rs_runner_open(&r, &o, &err);
    double t1 = now_s();
    if (rc == 0)
        rc = rs_run_batch(r, reqs, (size_t)calls, conc, r_done, &s, &err);
    double t2 = now_s();
    if (rc != 0)
        fprintf(stderr, "bench: %s\n", err.message);
    if (s.failed)
        fprintf(stderr, "bench: %d runs failed, first: %s\n", s.failed, s.first_error);
    rs_runner_free(r);
    ph->open_s = t1 - t0;
    ph->batch_s = t2 - t1;
    ph->free_s = now_s() - t2;
    rs_free(reqs);
    rs_free(ids);
    *ok = s.ok;
    return rc != 0;
}

int main(int argc, char **argv)
{
    int calls = 2000, conc = 64;
    const char *mode = "both", *lat_list = "0,50";
    if (argc < 2) {
        fprintf(stderr, "usage: bench_runner FAKE_PROVIDER [--calls N] [--concurrency C] "
                        "[--latency MS,...] [--mode transport|runner|curl-cli|both]\n");
        return 2;
    }
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--calls") == 0)
            calls = (int)strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--concurrency") == 0)
            conc = (int)strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--latency") == 0)
            lat_list = argv[i + 1];
        else if (strcmp(argv[i], "--mode") == 0)
            mode = argv[i + 1];
        else if (strcmp(argv[i], "--no-log") == 0)
            no_log = (int)strtol(argv[i + 1], NULL, 10);
    }
    if (calls < 1 || conc < 1) {
        fprintf(stderr, "bench: --calls and --concurrency must be positive\n");
        return 2;
    }
    rs_error err = RS_ERROR_INIT;
    if (rs_global_init(&err) != 0) {
        fprintf(stderr, "bench: %s\n", err.message);
        return 1;
    }
    setenv("OPENAI_API_KEY", "sk-bench-not-a-real-key", 1);
    char dir[] = "/tmp/rs_bench_XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char prompt[512], logp[512];
    snprintf(prompt, sizeof prompt, "%s/triage.prompt", dir);
    snprintf(logp, sizeof logp, "%s/runs.db", dir);
    FILE *pf = fopen(prompt, "w");
    if (!pf)
        return 1;
    fputs("---\nmodel: openai/gpt-4o-mini\nconfig: {temperature: 0.2, maxOutputTokens: 64}\n"
          "input:\n  schema: {ticket: string}\n---\n{{role \"system\"}}You triage support tickets."
          "\n{{role \"user\"}}{{ticket}}\n",
          pf);
    fclose(pf);
    setenv("ROSETTA_REGISTRY", dir, 1); /* not a registry: runs use --source only */

    printf("%-9s %6s %4s %7s %9s %10s %12s %10s %9s %11s\n", "layer", "calls", "conc", "lat_ms",
           "wall_s", "calls/s", "cpu_us/call", "fake_reqs", "peak_MB", "efficiency");
    char lats[128];
    snprintf(lats, sizeof lats, "%s", lat_list);
    int status = 0;
    for (char *tok = lats; tok && *tok;) {
        char *comma = strchr(tok, ',');
        if (comma)
            *comma = '\0';
        long lat = strtol(tok, NULL, 10);
        char latarg[32];
        snprintf(latarg, sizeof latarg, "%ld", lat);
        const char *extra[] = {"--latency", latarg, NULL};
        fake_server f;
        if (fake_start(&f, argv[1], extra) != 0) {
            fprintf(stderr, "bench: cannot start %s\n", argv[1]);
            return 1;
        }
        char url[128];
        snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", f.port);
        setenv("OPENAI_BASE_URL", url, 1);
        if (strcmp(mode, "both") == 0 || strcmp(mode, "curl-cli") == 0) {
            double wall = 0, cpu = 0;
            long rss = 0;
            fake_reset(&f);
            if (bench_curl_cli(calls, conc, f.port, dir, &wall, &cpu, &rss) == 0) {
                char eff[32] = "n/a";
                if (lat > 0)
                    snprintf(eff, sizeof eff, "%.1f%%",
                             100.0 * ((double)calls * (double)lat / 1000.0 / conc) / wall);
                printf("%-9s %6d %4d %7ld %9.3f %10.0f %12.1f %10ld %9.1f %11s\n", "curl-cli",
                       calls, conc, lat, wall, calls / wall, cpu * 1e6 / calls, fake_requests(&f),
                       rss / 1024.0, eff);
            } else {
                printf("curl-cli  (the curl command is not available)\n");
            }
            fake_reset(&f);
        }
        for (int layer = 0; layer < 2; layer++) {
            const char *name = layer ? "runner" : "transport";
            if (strcmp(mode, "both") != 0 && strcmp(mode, name) != 0)
                continue;
            unlink(logp);
            double c0 = cpu_s(RUSAGE_SELF), t0 = now_s();
            int ok = 0;
            phases ph = {0, 0, 0};
            int rc = layer ? bench_runner(calls, conc, prompt, logp, &ok, &ph)
                           : bench_transport(calls, conc, &ok);
            double wall = now_s() - t0, cpu = cpu_s(RUSAGE_SELF) - c0;
            char fakecpu[32] = "n/a"; /* requests the fake answered */
            char stats[65536];
            if (fake_control(&f, "GET", "/_fake/stats", NULL, stats, sizeof stats) == 0)
                snprintf(fakecpu, sizeof fakecpu, "%ld",
                         strtol(strstr(stats, "\"requests\":") + 11, NULL, 10));
            fake_reset(&f);
            char eff[32] = "n/a";
            if (lat > 0)
                snprintf(eff, sizeof eff, "%.1f%%",
                         100.0 * ((double)calls * (double)lat / 1000.0 / conc) / wall);
            printf("%-9s %6d %4d %7ld %9.3f %10.0f %12.1f %10s %9.1f %11s\n", name, ok, conc, lat,
                   wall, ok / wall, cpu * 1e6 / calls, fakecpu, peak_kb() / 1024.0, eff);
            if (layer) {
                char beff[48] = "";
                if (lat > 0)
                    snprintf(beff, sizeof beff, " (%.1f%% of ideal)",
                             100.0 * ((double)calls * (double)lat / 1000.0 / conc) / ph.batch_s);
                printf("  runner phases: open %.1f ms, batch %.1f ms%s, free %.1f ms\n",
                       ph.open_s * 1e3, ph.batch_s * 1e3, beff, ph.free_s * 1e3);
            }
            fflush(stdout);
            if (rc || ok != calls)
                status = 1;
        }
        fake_stop(&f);
        tok = comma ? comma + 1 : NULL;
    }
    unlink(prompt);
    unlink(logp);
    char wal[600];
    snprintf(wal, sizeof wal, "%s-wal", logp);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", logp);
    unlink(wal);
    rmdir(dir);
    rs_global_shutdown();
    return status;
}
