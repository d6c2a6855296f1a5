/*
 * bench/compare.c - the compare engine in-process: wall time, CPU time per call and peak memory
 * of one rs_compare (render, encode, send, decode, log, score, statistics, report), without the
 * process start-up a CLI run includes. Run from a registry directory with OPENAI_BASE_URL
 * pointing at a fake server (bench/compare.sh does).
 *
 * usage: bench_compare --dataset NAME [--concurrency N] [--scorer SPEC] ARM...
 * Prints one line: calls, wall seconds, calls/s, CPU microseconds per call, peak RSS.
 */
#include "rosetta/compare.h"
#include "rosetta/memory.h"
#include "rosetta/rosetta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    const char *arms[64], *scorers[1] = {"contains:Hello"};
    size_t na = 0;
    rs_compare_opts o = RS_COMPARE_OPTS_INIT;
    o.concurrency = 64;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dataset") == 0 && i + 1 < argc)
            o.dataset = argv[++i];
        else if (strcmp(argv[i], "--concurrency") == 0 && i + 1 < argc)
            o.concurrency = atoi(argv[++i]) > 0 ? atoi(argv[i]) : 64;
        else if (strcmp(argv[i], "--scorer") == 0 && i + 1 < argc)
            scorers[0] = argv[++i];
        else if (na < 64)
            arms[na++] = argv[i];
    }
    if (!o.dataset || na == 0) {
        fprintf(stderr, "usage: bench_compare --dataset NAME [--concurrency N] ARM...\n");
        return 2;
    }
    o.arms = arms;
    o.n_arms = na;
    o.scorers = scorers;
    o.n_scorers = 1;
    o.no_cache = 1;
    rs_error err = RS_ERROR_INIT;
    if (rs_global_init(&err) != 0)
        return 1;
    char *report = NULL, exp[128];
    double t0 = now_s(), c0 = cpu_s();
    int rc = rs_compare(&report, exp, sizeof exp, &o, &err);
    double wall = now_s() - t0, cpu = cpu_s() - c0;
    if (rc != 0) {
        char buf[2048];
        fprintf(stderr, "bench_compare: %s\n", rs_error_format(&err, buf, sizeof buf));
        rs_global_shutdown();
        return 1;
    }
    /* calls = dataset cases x arms; count from the report's "done" fields */
    long calls = 0;
    for (const char *p = report; (p = strstr(p, "\"done\":")) != NULL; p += 7)
        calls += strtol(p + 7, NULL, 10);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("in-process rs_compare, -j %d: %ld calls in %.3f s = %.0f calls/s, %.0f us CPU per call "
           "(render, encode, HTTP, decode, log, score, stats), peak RSS %.1f MB\n",
           o.concurrency, calls, wall, (double)calls / wall, calls ? cpu * 1e6 / (double)calls : 0,
           (double)ru.ru_maxrss / 1024.0);
    rs_free(report);
    rs_global_shutdown();
    return 0;
}
