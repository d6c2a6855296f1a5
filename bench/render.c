/*
 * bench/render - renders/s of the Dotprompt pipeline in-process, in three modes:
 *   compile-once      rs_prompt_compile once, then rs_prompt_render_arena (+ free the result) per
 *                     render;
 *   source-to-result  rs_prompt_compile + rs_prompt_render_arena + free everything per render, which is
 *                     what a caller without a compiled-template cache pays;
 *   source-to-result (cached compile)  the same call sequence through rs_prompt_cache_get: the
 *                     source is hashed, the cached compiled prompt found and rendered; what a
 *                     caller that holds only the source text pays with the cache.
 * Same template and data as the reference's side (bench/render_ref.mjs); bench/run-render.sh runs
 * both and prints the ratios. Each mode warms up, then runs ROUNDS timed rounds; the best round
 * counts. Time is this process's CPU time (CLOCK_PROCESS_CPUTIME_ID), not wall time: on a shared
 * machine other processes' load changes wall-clock figures by 2x from run to run, while CPU time
 * measures the work itself. The reference's side measures the same way (process.cpuUsage()).
 *
 *   bench_render [--seconds S] [--json] [--print] [--only once|full|cached] [PROMPT DATA]
 *     --json    one JSON line {"compile_once": r, "source_to_result": r,
 *               "source_to_result_cached": r} instead of the table
 *     --only    run one mode (to profile it, e.g. under perf record)
 *     --print   print the rendered result once and exit (for checking it equals the reference's)
 */
#include "render/prompt.h"
#include "render/prompt_cache.h"
#include "rosetta/rosetta.h"
#include "util/alloc.h"
#include "util/file.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef RS_BENCH_DIR
#define RS_BENCH_DIR "bench"
#endif

#define ROUNDS 5

struct bench {
    const char *src;
    size_t len;
    const char *filename;
    cJSON *data;
    rs_prompt *compiled;    /* for compile-once */
    rs_prompt_cache *cache; /* for source-to-result (cached compile) */
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Every render builds its result in an arena of its own (its first 4 KB on the stack), freed
 * once the result is dropped, as rs_prompt_render_json does (it prints the result, then frees it): the reference's result is
 * likewise a fresh object graph per render that its garbage collector reclaims.
 * Every mode renders with share_metadata and share_data: the result's metadata members refer to
 * the compiled prompt's and its history messages to the data's, as the reference's
 * `{...metadata, messages}` and `{...message}` share their objects; the result is freed before
 * the prompt and the data, which is what those options require (rs_prompt_render_json renders
 * so too). The rendered messages are always built fresh.
 */

/* Render p with the bench's data into a fresh arena, then free the result. */
static int render_once(const rs_prompt *p, struct bench *b, rs_error *err)
{
    const cJSON *out = NULL;
    unsigned char first[4096]; /* as rs_prompt_render_json: the result on the stack while it fits */
    rs_arena arena;
    rs_prompt_render_opts ro = RS_PROMPT_RENDER_OPTS_INIT;
    ro.share_metadata = 1;
    ro.share_data = 1;
    rs_arena_init_buffer(&arena, first, sizeof(first), 4096);
    int rc = rs_prompt_render_arena(&out, &arena, p, b->data, NULL, &ro, err);
    rs_arena_free(&arena);
    return rc;
}

/* One render of the compiled prompt; the result is built in full and freed. */
static int render_compiled(struct bench *b, rs_error *err)
{
    return render_once(b->compiled, b, err);
}

/* Source to result: split, parse YAML, Picoschema, compile Handlebars, render, free. */
static int render_from_source(struct bench *b, rs_error *err)
{
    rs_prompt *p = NULL;
    rs_prompt_compile_opts co = RS_PROMPT_COMPILE_OPTS_INIT;
    co.filename = b->filename;
    int rc = rs_prompt_compile(&p, b->src, b->len, &co, err);
    if (rc == 0)
        rc = render_once(p, b, err);
    rs_prompt_free(p);
    return rc;
}

/* Source to result through the compiled-prompt cache: hash the source, find, render, release. */
static int render_cached(struct bench *b, rs_error *err)
{
    rs_prompt *p = NULL;
    rs_prompt_compile_opts co = RS_PROMPT_COMPILE_OPTS_INIT;
    co.filename = b->filename;
    int rc = rs_prompt_cache_get(b->cache, &p, b->src, b->len, &co, err);
    if (rc == 0)
        rc = render_once(p, b, err);
    rs_prompt_free(p);
    return rc;
}

/* Run fn for about `secs` CPU seconds in batches; *rate is renders per CPU second. */
static int rate(double *rate_out, int (*fn)(struct bench *, rs_error *), struct bench *b,
                double secs, rs_error *err)
{
    long n = 0;
    double t0 = now(), elapsed = 0;
    do {
        for (int i = 0; i < 100; i++) {
            int rc = fn(b, err);
            if (rc != 0)
                return rc;
        }
        n += 100;
        elapsed = now() - t0;
    } while (elapsed < secs);
    *rate_out = (double)n / elapsed;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Warm up, then the best of ROUNDS rounds. */
static int measure(double *out, int (*fn)(struct bench *, rs_error *), struct bench *b,
                   double seconds, rs_error *err)
{
    double rates[ROUNDS], warm;
    int rc = rate(&warm, fn, b, seconds / 4 > 0.5 ? seconds / 4 : 0.5, err);
    for (int r = 0; rc == 0 && r < ROUNDS; r++)
        rc = rate(&rates[r], fn, b, seconds / ROUNDS, err);
    if (rc != 0)
        return rc;
    qsort(rates, ROUNDS, sizeof(rates[0]), cmp_double);
    *out = rates[ROUNDS - 1];
    return 0;
}

static void print_error(const rs_error *err)
{
    char buf[RS_ERROR_MESSAGE_MAX + RS_ERROR_FILE_MAX + 2 * RS_ERROR_SNIPPET_MAX + 64];
    rs_error_format_long(err, buf, sizeof(buf));
    fprintf(stderr, "bench_render: %s\n", buf);
}

int main(int argc, char **argv)
{
    int status = 1, json = 0, print = 0, inited = 0, run_once = 1, run_full = 1, run_cached = 1;
    double seconds = 2.0;
    const char *prompt_path = RS_BENCH_DIR "/render.prompt";
    const char *data_path = RS_BENCH_DIR "/render.data.json";
    char *src = NULL, *end = NULL;
    size_t len = 0;
    struct bench b = {0};
    rs_error err = RS_ERROR_INIT;
    int npos = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--print") == 0) {
            print = 1;
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            i++;
            run_once = strcmp(argv[i], "once") == 0;
            run_full = strcmp(argv[i], "full") == 0;
            run_cached = strcmp(argv[i], "cached") == 0;
            if (!run_once && !run_full && !run_cached) {
                fprintf(stderr, "bench_render: --only takes 'once', 'full' or 'cached'\n");
                goto done;
            }
        } else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            seconds = strtod(argv[++i], &end);
            if (*end || seconds <= 0) {
                fprintf(stderr, "bench_render: --seconds needs a positive number\n");
                goto done;
            }
        } else if (argv[i][0] != '-' && npos < 2) {
            *(npos++ == 0 ? &prompt_path : &data_path) = argv[i];
        } else {
            fprintf(stderr, "usage: bench_render [--seconds S] [--json] [--print] [--only once|full|cached]"
                            " [PROMPT DATA]\n");
            goto done;
        }
    }
    if (rs_global_init(&err) != 0)
        goto fail;
    inited = 1;
    if (rs_file_read(&src, &len, prompt_path, &err) != 0 ||
        rs_json_parse_file(&b.data, data_path, &err) != 0)
        goto fail;
    b.src = src;
    b.len = len;
    b.filename = prompt_path;

    rs_prompt_compile_opts co = RS_PROMPT_COMPILE_OPTS_INIT;
    co.filename = prompt_path;
    if (rs_prompt_compile(&b.compiled, src, len, &co, &err) != 0 ||
        rs_prompt_cache_new(&b.cache, 0, &err) != 0)
        goto fail;
    if (print) {
        cJSON *out = NULL;
        rs_prompt_render_opts ro = RS_PROMPT_RENDER_OPTS_INIT;
        if (rs_prompt_render(&out, b.compiled, b.data, NULL, &ro, &err) != 0)
            goto fail;
        char *text = rs_json_print(out, 1);
        cJSON_Delete(out);
        if (!text) {
            fprintf(stderr, "bench_render: out of memory\n");
            goto done;
        }
        printf("%s\n", text);
        rs_free(text);
        status = 0;
        goto done;
    }

    double once = 0, full = 0, cached = 0;
    if ((run_once && measure(&once, render_compiled, &b, seconds, &err) != 0) ||
        (run_full && measure(&full, render_from_source, &b, seconds, &err) != 0) ||
        (run_cached && measure(&cached, render_cached, &b, seconds, &err) != 0))
        goto fail;
    if (json) {
        printf("{\"impl\": \"rosetta %s\", \"compile_once\": %.1f, \"source_to_result\": %.1f, "
               "\"source_to_result_cached\": %.1f}\n",
               rs_version(), once, full, cached);
    } else {
        printf("bench_render: %s + %s (best of %d rounds, %.1f s per mode)\n", prompt_path,
               data_path, ROUNDS, seconds);
        if (run_once)
            printf("  compile-once      %12.0f renders/s  (%8.3f us/render)\n", once, 1e6 / once);
        if (run_full)
            printf("  source-to-result  %12.0f renders/s  (%8.3f us/render)\n", full, 1e6 / full);
        if (run_cached)
            printf("  source-to-result  %12.0f renders/s  (%8.3f us/render)  cached compile\n",
                   cached, 1e6 / cached);
    }
    status = 0;
    goto done;
fail:
    print_error(&err);
done:
    rs_prompt_free(b.compiled);
    rs_prompt_cache_free(b.cache);
    cJSON_Delete(b.data);
    rs_free(src);
    if (inited)
        rs_global_shutdown();
    return status;
}
