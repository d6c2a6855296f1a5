/*
 * bench/encode.c - encoding a rendered prompt into each dialect's request body, in microseconds,
 * beside the render of the same prompt (the target: encoding costs less than the render).
 *
 *   bench_encode [PROMPTS_DIR] [NAME...]     (default: tests/providers/prompts, basic tool_history
 *                                             agent_loop)
 *
 * Per prompt: compile once, then time rs_prompt_render (template + data -> RenderedPrompt tree),
 * and for each service the encoder alone (RenderedPrompt tree -> body text) and the whole
 * rs_request_build (URL + headers + body). Each figure is the median of 7 runs of >= 50 ms of
 * this thread's CPU time (so other load on the machine does not count).
 */
#include "providers/provider.h"
#include "render/prompt.h"
#include "util/alloc.h"
#include "util/file.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: fair on a busy machine */
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef int (*op_fn)(void *ctx);

/* Median microseconds per call of fn over 7 runs, each at least 50 ms. */
static double time_op(op_fn fn, void *ctx)
{
    double runs[7];
    long n = 1;
    for (;;) { /* calibrate */
        double t0 = now_us();
        for (long i = 0; i < n; i++)
            if (fn(ctx) != 0)
                return -1;
        if (now_us() - t0 >= 50000)
            break;
        n *= 2;
    }
    for (int r = 0; r < 7; r++) {
        double t0 = now_us();
        for (long i = 0; i < n; i++)
            fn(ctx);
        runs[r] = (now_us() - t0) / (double)n;
    }
    qsort(runs, 7, sizeof runs[0], cmp_double);
    return runs[3];
}

typedef struct render_ctx {
    rs_prompt *p;
    cJSON *data;
} render_ctx;

static int do_render(void *c)
{
    render_ctx *rc = c;
    cJSON *out = NULL;
    rs_error err = RS_ERROR_INIT;
    rs_prompt_render_opts ro = RS_PROMPT_RENDER_OPTS_INIT;
    int rc_ = rs_prompt_render(&out, rc->p, rc->data, NULL, &ro, &err);
    if (rc_)
        fprintf(stderr, "render: %s\n", err.message);
    cJSON_Delete(out);
    return rc_;
}

typedef struct encode_ctx {
    rs_service svc;
    const char *model;
    cJSON *rendered;
    rs_str body;
} encode_ctx;

static int do_encode(void *c)
{
    encode_ctx *e = c;
    rs_error err = RS_ERROR_INIT;
    rs_encode_opts o = RS_ENCODE_OPTS_INIT;
    int rc = e->svc.dialect->encode(&e->body, &e->svc, e->model, e->rendered, &o, &err);
    if (rc)
        fprintf(stderr, "encode %s: %s\n", e->svc.name, err.message);
    return rc;
}

static int do_request(void *c)
{
    encode_ctx *e = c;
    rs_error err = RS_ERROR_INIT;
    rs_encode_opts o = RS_ENCODE_OPTS_INIT;
    rs_request req;
    rs_request_init(&req);
    int rc = rs_request_build(&req, &e->svc, e->model, e->rendered, &o, 0, &err);
    rs_request_free(&req);
    return rc;
}

static const struct {
    const char *service, *model;
} services[] = {{"openai", "gpt-4o-mini"},
                {"openai-responses", "gpt-4.1-mini"},
                {"anthropic", "claude-sonnet-4-5"},
                {"gemini", "gemini-2.5-flash"},
                {"ollama", "llama3.2"},
                {"mistral", "mistral-small-latest"}};

static int bench_prompt(const char *dir, const char *name)
{
    char path[1024], dpath[1024];
    char *src = NULL, *dtext = NULL;
    size_t len = 0, dlen = 0;
    rs_error err = RS_ERROR_INIT;
    render_ctx r = {NULL, NULL};
    cJSON *rendered = NULL;
    int rc = 1;
    snprintf(path, sizeof path, "%s/%s.prompt", dir, name);
    snprintf(dpath, sizeof dpath, "%s/%s.data.json", dir, name);
    rs_prompt_compile_opts co = RS_PROMPT_COMPILE_OPTS_INIT;
    co.filename = path;
    rs_prompt_render_opts ro = RS_PROMPT_RENDER_OPTS_INIT;
    if (rs_file_read(&src, &len, path, &err) != 0 ||
        (rs_file_read(&dtext, &dlen, dpath, &err) == 0 &&
         rs_json_parse(&r.data, dtext, dlen, dpath, &err) != 0) ||
        rs_prompt_compile(&r.p, src, len, &co, &err) != 0 ||
        rs_prompt_render(&rendered, r.p, r.data, NULL, &ro, &err) != 0) {
        fprintf(stderr, "%s: %s\n", path, err.message);
        goto done;
    }
    double render_us = time_op(do_render, &r);
    printf("%-14s render %8.2f us\n", name, render_us);
    for (size_t i = 0; i < sizeof services / sizeof services[0]; i++) {
        encode_ctx e;
        memset(&e, 0, sizeof e);
        rs_str_init(&e.body, RS_STR_DEFAULT_MAX);
        e.model = services[i].model;
        e.rendered = rendered;
        if (rs_service_lookup(&e.svc, services[i].service, NULL, &err) != 0)
            goto done;
        double enc = time_op(do_encode, &e);
        double req = time_op(do_request, &e);
        printf("  %-18s encode %7.2f us  request %7.2f us  body %5zu B  encode/render %.2f\n",
               services[i].service, enc, req, e.body.len, render_us > 0 ? enc / render_us : 0);
        rs_str_free(&e.body);
        if (enc < 0)
            goto done;
    }
    rc = 0;
done:
    cJSON_Delete(rendered);
    cJSON_Delete(r.data);
    rs_prompt_free(r.p);
    rs_free(src);
    rs_free(dtext);
    return rc;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : RS_PROMPTS_DIR;
    static const char *const defaults[] = {"basic", "tool_history", "agent_loop"};
    int rc = 0;
    if (argc > 2) {
        for (int i = 2; i < argc; i++)
            rc |= bench_prompt(dir, argv[i]);
    } else {
        for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
            rc |= bench_prompt(dir, defaults[i]);
    }
    return rc;
}
