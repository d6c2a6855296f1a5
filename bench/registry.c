/*
 * bench/registry - warm in-library resolve + render of NAME@REF through the public API
 * (rosetta/registry.h), as an application's request path does it: one registry handle, many
 * renders. Prints the median of ROUNDS timed rounds (microseconds per resolve+render) and, for
 * comparison, resolve alone.
 *
 *   bench_registry REGISTRY REF [DATA_JSON] [--seconds S]
 */
#include "rosetta/memory.h"
#include "rosetta/registry.h"
#include "rosetta/rosetta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUNDS 5

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median microseconds per call of fn over ROUNDS rounds of about secs/ROUNDS seconds each. */
static double measure(int (*fn)(rs_registry *, const char *, const char *, rs_error *),
                      rs_registry *reg, const char *ref, const char *data, double secs,
                      rs_error *err)
{
    double per[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        long n = 0;
        double t0 = now(), t;
        do {
            for (int k = 0; k < 64; k++, n++)
                if (fn(reg, ref, data, err) != 0)
                    return -1;
            t = now();
        } while (t - t0 < secs / ROUNDS);
        per[r] = (t - t0) / (double)n * 1e6;
    }
    qsort(per, ROUNDS, sizeof per[0], cmp_double);
    return per[ROUNDS / 2];
}

static int resolve_render(rs_registry *reg, const char *ref, const char *data, rs_error *err)
{
    rs_registry_render_opts ro = RS_REGISTRY_RENDER_OPTS_INIT;
    char *json = NULL;
    ro.data = data;
    int rc = rs_registry_render(&json, NULL, reg, ref, &ro, err);
    rs_free(json);
    return rc;
}

static int resolve_only(rs_registry *reg, const char *ref, const char *data, rs_error *err)
{
    (void)data;
    rs_registry_ref *r = NULL;
    int rc = rs_registry_resolve(&r, reg, ref, err);
    rs_registry_ref_free(r);
    return rc;
}

int main(int argc, char **argv)
{
    const char *path = NULL, *ref = NULL, *data = NULL;
    double secs = 2.0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            secs = strtod(argv[++i], NULL);
        else if (!path)
            path = argv[i];
        else if (!ref)
            ref = argv[i];
        else
            data = argv[i];
    }
    if (!path || !ref) {
        fprintf(stderr, "usage: bench_registry REGISTRY REF [DATA_JSON] [--seconds S]\n");
        return 2;
    }
    rs_error err = RS_ERROR_INIT;
    rs_registry *reg = NULL;
    char buf[2048];
    int rc = 1;
    if (rs_global_init(&err) != 0 || rs_registry_open(&reg, path, &err) != 0)
        goto fail;
    double t0 = now();
    if (resolve_render(reg, ref, data, &err) != 0)
        goto fail;
    double cold = (now() - t0) * 1e6;
    double warm = measure(resolve_render, reg, ref, data, secs, &err);
    double res = measure(resolve_only, reg, ref, data, secs / 2, &err);
    if (warm < 0 || res < 0)
        goto fail;
    printf("in-library %s: first render %.0f us; warm resolve+render %.2f us (target < 50 us); "
           "resolve alone %.2f us\n",
           ref, cold, warm, res);
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "bench_registry: %s\n", rs_error_format(&err, buf, sizeof buf));
done:
    rs_registry_free(reg);
    rs_global_shutdown();
    return rc;
}
