/*
 * bench/decode.c - what decoding costs per provider answer: each recorded stream transcript
 * (tests/transcripts) decoded through the SSE/NDJSON framing and its dialect, fed in 64-byte
 * chunks as curl would, and each non-streamed response decoded whole; plus one run-log insert.
 * Prints microseconds per answer and MB/s. The peer figure to hold it against is the provider's
 * own latency (hundreds of ms): decoding must be a rounding error.
 * usage: bench_decode [TRANSCRIPTS_DIR] [ITERATIONS]     (use a build without sanitizers)
 */
#include "providers/sse.h"
#include "rosetta/rosetta.h"
#include "runner/runlog.h"
#include "util/alloc.h"
#include "util/file.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static const rs_dialect *dialect_for(const char *file)
{
    static const char *const map[][2] = {
        {"openai-", "openai"},       {"responses-", "openai-responses"},
        {"anthropic-", "anthropic"}, {"gemini-", "gemini"},
        {"ollama-", "ollama"},       {"mock-", "mock"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strncmp(file, map[i][0], strlen(map[i][0])))
            return rs_dialect_find(map[i][1]);
    return NULL;
}

static int ends_with(const char *s, const char *x)
{
    size_t n = strlen(s), k = strlen(x);
    return n >= k && !strcmp(s + n - k, x);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : RS_TRANSCRIPTS_DIR;
    int iters = argc > 2 ? atoi(argv[2]) : 2000;
    rs_error err = RS_ERROR_INIT;
    if (rs_global_init(&err) != 0)
        return 1;
    DIR *dp = opendir(dir);
    if (!dp) {
        fprintf(stderr, "bench_decode: cannot open %s\n", dir);
        return 1;
    }
    struct dirent *de;
    printf("%-34s %8s %10s %8s\n", "answer", "bytes", "us/answer", "MB/s");
    double all_us = 0;
    long answers = 0;
    while ((de = readdir(dp)) != NULL) {
        if (de->d_name[0] == '.' || ends_with(de->d_name, ".expect.json"))
            continue;
        const rs_dialect *d = dialect_for(de->d_name);
        char path[1024];
        char *body = NULL;
        size_t len = 0;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (!d || rs_file_read(&body, &len, path, &err) != 0)
            continue;
        int stream = !ends_with(de->d_name, ".json");
        double t0 = now_us();
        for (int i = 0; i < iters; i++) {
            rs_result res;
            rs_provider_error pe;
            rs_result_init(&res);
            if (stream) {
                rs_stream_decoder dec;
                rs_stream_decoder_init(&dec, d, &res, &pe);
                int rc = 0;
                for (size_t off = 0; off < len && rc == 0; off += 64)
                    rc = rs_stream_decoder_feed(&dec, body + off, len - off < 64 ? len - off : 64,
                                                &err);
                if (rc == 0)
                    rs_stream_decoder_finish(&dec, &err);
                rs_stream_decoder_free(&dec);
            } else {
                d->decode(&res, &pe, body, len, &err);
            }
            rs_result_free(&res);
        }
        double us = (now_us() - t0) / iters;
        all_us += us;
        answers++;
        printf("%-34s %8zu %10.2f %8.1f\n", de->d_name, len, us, (double)len / us);
        rs_free(body);
    }
    closedir(dp);
    printf("mean over %ld answers: %.2f us per answer\n", answers, answers ? all_us / answers : 0);

    /* one run-log insert (WAL, synchronous=NORMAL), the other per-call cost of the runner */
    char tmpl[] = "/tmp/rs_bench_decode_XXXXXX";
    if (!mkdtemp(tmpl))
        return 1;
    char dbp[256];
    snprintf(dbp, sizeof dbp, "%s/runs.db", tmpl);
    rs_runlog *log = NULL;
    if (rs_runlog_open(&log, dbp, &err) != 0) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    rs_attempt_record a = {"openai/gpt-4o-mini", 1, 200, NULL, NULL, 350.0, -1};
    rs_run_record r;
    rs_run_record_init(&r);
    r.prompt = "bench";
    r.version = "v1";
    r.provider = "openai";
    r.model = "gpt-4o-mini";
    r.ok = 1;
    r.input_json = "{\"ticket\":\"printer on fire\"}";
    r.output = "Severity: high. Route to facilities.";
    r.input_tokens = 120;
    r.output_tokens = 9;
    r.attempts = &a;
    r.n_attempts = 1;
    int n = iters;
    double t0 = now_us();
    for (int i = 0; i < n; i++)
        if (rs_runlog_insert(log, &r, NULL, &err) != 0)
            return 1;
    double single = (now_us() - t0) / n;
    rs_run_record batch[64];
    for (int i = 0; i < 64; i++)
        batch[i] = r;
    t0 = now_us();
    for (int i = 0; i < n / 64 + 1; i++)
        if (rs_runlog_insert_batch(log, batch, 64, NULL, &err) != 0)
            return 1;
    double batched = (now_us() - t0) / ((n / 64 + 1) * 64);
    printf("run log insert: %.1f us per run alone, %.1f us per run in batches of 64\n", single,
           batched);
    rs_runlog_close(log);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
    if (system(cmd) != 0)
        return 1;
    rs_global_shutdown();
    return 0;
}
