/*
 * runner/stats.c - intervals, paired tests, multiple-comparison correction and sample sizes.
 * See stats.h for the definitions; the formulas are cited where they are used.
 */
#include "runner/stats.h"

#include "rosetta/error.h"
#include "util/alloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------- PRNG ---------- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void rs_stats_rng_seed(rs_stats_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t rs_stats_rng_next(rs_stats_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Lemire's method would be faster; rejection keeps it obviously unbiased and n is small here. */
uint64_t rs_stats_rng_below(rs_stats_rng *r, uint64_t n)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t v;
    do
        v = rs_stats_rng_next(r);
    while (v >= limit);
    return v % n;
}

/* ---------- descriptive ---------- */

double rs_stats_mean(const double *x, size_t n)
{
    if (n == 0)
        return 0;
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    return s / (double)n;
}

double rs_stats_sd(const double *x, size_t n)
{
    if (n < 2)
        return 0;
    double m = rs_stats_mean(x, n), ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - m) * (x[i] - m);
    return sqrt(ss / (double)(n - 1));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double percentile_sorted(const double *s, size_t n, double q)
{
    if (q <= 0)
        return s[0];
    if (q >= 1)
        return s[n - 1];
    double h = (double)(n - 1) * q;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n)
        return s[n - 1];
    return s[lo] + (h - (double)lo) * (s[lo + 1] - s[lo]);
}

double rs_stats_percentile(const double *x, size_t n, double q, int *ok)
{
    double v = 0;
    if (ok)
        *ok = 1;
    if (n == 0)
        return 0;
    double *s = rs_malloc(n * sizeof *s);
    if (!s) {
        if (ok)
            *ok = 0;
        return 0;
    }
    memcpy(s, x, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    v = percentile_sorted(s, n, q);
    rs_free(s);
    return v;
}

/* ---------- intervals ---------- */

/* Wilson (1927): centre (p + z²/2n) / (1 + z²/n), half-width z/(1+z²/n) * sqrt(p(1-p)/n + z²/4n²).
 */
void rs_stats_wilson(double *lo, double *hi, long k, long n, double z)
{
    if (n <= 0) {
        *lo = 0;
        *hi = 1;
        return;
    }
    double nn = (double)n, p = (double)k / nn, z2 = z * z;
    double denom = 1 + z2 / nn;
    double centre = (p + z2 / (2 * nn)) / denom;
    double half = z / denom * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
    *lo = centre - half < 0 ? 0 : centre - half;
    *hi = centre + half > 1 ? 1 : centre + half;
    /* Exact ends: with k == 0 the lower bound is 0, with k == n the upper is 1 (rounding aside). */
    if (k == 0)
        *lo = 0;
    if (k == n)
        *hi = 1;
}

int rs_stats_bootstrap_mean(double *lo, double *hi, const double *x, size_t n, int iters,
                            double alpha, uint64_t seed)
{
    int rc = 0;
    double *means = NULL;
    *lo = *hi = 0;
    if (n == 0 || iters <= 0)
        goto done;
    means = rs_malloc((size_t)iters * sizeof *means);
    if (!means) {
        rc = RS_ENOMEM;
        goto done;
    }
    rs_stats_rng r;
    rs_stats_rng_seed(&r, seed);
    for (int b = 0; b < iters; b++) {
        double s = 0;
        for (size_t i = 0; i < n; i++)
            s += x[rs_stats_rng_below(&r, n)];
        means[b] = s / (double)n;
    }
    qsort(means, (size_t)iters, sizeof *means, cmp_double);
    *lo = percentile_sorted(means, (size_t)iters, alpha / 2);
    *hi = percentile_sorted(means, (size_t)iters, 1 - alpha / 2);
done:
    rs_free(means);
    return rc;
}

/* ---------- tests ---------- */

/* log C(n, k) via lgamma: exact enough (relative error ~1e-13) for the n we see (< 10^7). */
static double log_choose(long n, long k)
{
    return lgamma((double)n + 1) - lgamma((double)k + 1) - lgamma((double)(n - k) + 1);
}

double rs_stats_binom_cdf_half(long k, long n)
{
    if (k < 0)
        return 0;
    if (k >= n)
        return 1;
    double ln2n = (double)n * log(2.0), s = 0;
    for (long i = 0; i <= k; i++)
        s += exp(log_choose(n, i) - ln2n);
    return s > 1 ? 1 : s;
}

double rs_stats_binom_test_half(long k, long n)
{
    if (n <= 0)
        return 1;
    long m = k < n - k ? k : n - k;
    double p = 2 * rs_stats_binom_cdf_half(m, n);
    return p > 1 ? 1 : p;
}

double rs_stats_mcnemar_exact(long b, long c)
{
    return rs_stats_binom_test_half(b < c ? b : c, b + c);
}

double rs_stats_sign_test(const double *d, size_t n, long *pos, long *neg)
{
    long p = 0, q = 0;
    for (size_t i = 0; i < n; i++) {
        if (d[i] > 0)
            p++;
        else if (d[i] < 0)
            q++;
    }
    if (pos)
        *pos = p;
    if (neg)
        *neg = q;
    return rs_stats_binom_test_half(p < q ? p : q, p + q);
}

int rs_stats_paired_bootstrap(double *lo, double *hi, double *p, const double *d, size_t n,
                              int iters, double alpha, uint64_t seed)
{
    int rc = 0;
    double *means = NULL;
    *lo = *hi = 0;
    *p = 1;
    if (n == 0 || iters <= 0)
        goto done;
    double m = rs_stats_mean(d, n);
    int all_zero = 1;
    for (size_t i = 0; i < n && all_zero; i++)
        all_zero = d[i] == 0;
    if (all_zero)
        goto done;
    means = rs_malloc((size_t)iters * sizeof *means);
    if (!means) {
        rc = RS_ENOMEM;
        goto done;
    }
    rs_stats_rng r;
    rs_stats_rng_seed(&r, seed);
    long extreme = 0;
    /* One resample of indices serves both: the interval uses d, the null uses d - m; the centred
     * mean is the plain mean minus m. A tolerance keeps |m*| == |m| ties from rounding away. */
    double am = fabs(m), tol = 1e-12 * (am > 1 ? am : 1);
    for (int b = 0; b < iters; b++) {
        double s = 0;
        for (size_t i = 0; i < n; i++)
            s += d[rs_stats_rng_below(&r, n)];
        means[b] = s / (double)n;
        if (fabs(means[b] - m) >= am - tol)
            extreme++;
    }
    qsort(means, (size_t)iters, sizeof *means, cmp_double);
    *lo = percentile_sorted(means, (size_t)iters, alpha / 2);
    *hi = percentile_sorted(means, (size_t)iters, 1 - alpha / 2);
    *p = (double)(1 + extreme) / (double)(1 + iters);
done:
    rs_free(means);
    return rc;
}

int rs_stats_unpaired_bootstrap(double *lo, double *hi, double *p, const double *x, size_t nx,
                                const double *y, size_t ny, int iters, double alpha, uint64_t seed)
{
    int rc = 0;
    double *diffs = NULL;
    *lo = *hi = 0;
    *p = 1;
    if (nx == 0 || ny == 0 || iters <= 0)
        goto done;
    diffs = rs_malloc((size_t)iters * sizeof *diffs);
    if (!diffs) {
        rc = RS_ENOMEM;
        goto done;
    }
    double mx = rs_stats_mean(x, nx), my = rs_stats_mean(y, ny), obs = my - mx;
    double ao = fabs(obs), tol = 1e-12 * (ao > 1 ? ao : 1);
    rs_stats_rng r;
    rs_stats_rng_seed(&r, seed);
    long extreme = 0;
    for (int b = 0; b < iters; b++) {
        double sx = 0, sy = 0;
        for (size_t i = 0; i < nx; i++)
            sx += x[rs_stats_rng_below(&r, nx)];
        for (size_t i = 0; i < ny; i++)
            sy += y[rs_stats_rng_below(&r, ny)];
        diffs[b] = sy / (double)ny - sx / (double)nx;
        /* centred on each group's mean: the resampled difference minus the observed one */
        if (ao > 0 && fabs(diffs[b] - obs) >= ao - tol)
            extreme++;
    }
    qsort(diffs, (size_t)iters, sizeof *diffs, cmp_double);
    *lo = percentile_sorted(diffs, (size_t)iters, alpha / 2);
    *hi = percentile_sorted(diffs, (size_t)iters, 1 - alpha / 2);
    *p = ao > 0 ? (double)(1 + extreme) / (double)(1 + iters) : 1;
done:
    rs_free(diffs);
    return rc;
}

double rs_stats_paired_permutation(const double *d, size_t n, int iters, uint64_t seed)
{
    if (n == 0)
        return 1;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += d[i];
    double obs = fabs(sum), tol = 1e-9 * (obs > 1 ? obs : 1);
    if (obs == 0)
        return 1;
    long long extreme = 0, total = 0;
    if (n <= 20) {
        uint32_t patterns = (uint32_t)1 << n;
        for (uint32_t m = 0; m < patterns; m++) {
            double s = 0;
            for (size_t i = 0; i < n; i++)
                s += (m >> i) & 1 ? -d[i] : d[i];
            extreme += fabs(s) >= obs - tol;
        }
        total = patterns;
        return (double)extreme / (double)total;
    }
    rs_stats_rng r;
    rs_stats_rng_seed(&r, seed);
    for (int b = 0; b < iters; b++) {
        double s = 0;
        for (size_t i = 0; i < n; i += 64) {
            uint64_t bits = rs_stats_rng_next(&r);
            for (size_t j = i; j < n && j < i + 64; j++)
                s += (bits >> (j - i)) & 1 ? -d[j] : d[j];
        }
        extreme += fabs(s) >= obs - tol;
    }
    return (double)(1 + extreme) / (double)(1 + iters);
}

int rs_stats_unpaired_permutation(double *p, const double *x, size_t nx, const double *y, size_t ny,
                                  int iters, uint64_t seed)
{
    *p = 1;
    if (nx == 0 || ny == 0 || iters <= 0)
        return 0;
    size_t n = nx + ny;
    double *pool = rs_malloc(n * sizeof *pool);
    if (!pool)
        return RS_ENOMEM;
    memcpy(pool, x, nx * sizeof *pool);
    memcpy(pool + nx, y, ny * sizeof *pool);
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += pool[i];
    double obs = fabs(rs_stats_mean(y, ny) - rs_stats_mean(x, nx));
    double tol = 1e-12 * (obs > 1 ? obs : 1);
    if (obs == 0) {
        rs_free(pool);
        return 0;
    }
    rs_stats_rng r;
    rs_stats_rng_seed(&r, seed);
    long extreme = 0;
    for (int b = 0; b < iters; b++) {
        /* a partial Fisher-Yates shuffle draws the ny values of the second group */
        double sy = 0;
        for (size_t i = 0; i < ny; i++) {
            size_t j = i + (size_t)rs_stats_rng_below(&r, n - i);
            double t = pool[i];
            pool[i] = pool[j];
            pool[j] = t;
            sy += pool[i];
        }
        double diff = sy / (double)ny - (total - sy) / (double)nx;
        extreme += fabs(diff) >= obs - tol;
    }
    *p = (double)(1 + extreme) / (double)(1 + iters);
    rs_free(pool);
    return 0;
}

struct indexed {
    double p;
    size_t i;
};

static int cmp_indexed(const void *a, const void *b)
{
    const struct indexed *x = a, *y = b;
    if (x->p != y->p)
        return (x->p > y->p) - (x->p < y->p);
    return (x->i > y->i) - (x->i < y->i);
}

/* Holm (1979): sort ascending, adj(j) = max over i <= j of min(1, (m - i) p(i)) (0-based i). */
int rs_stats_holm(double *adj, const double *p, size_t m)
{
    if (m == 0)
        return 0;
    struct indexed *v = rs_malloc(m * sizeof *v);
    if (!v)
        return RS_ENOMEM;
    for (size_t i = 0; i < m; i++) {
        v[i].p = p[i];
        v[i].i = i;
    }
    qsort(v, m, sizeof *v, cmp_indexed);
    double run = 0;
    for (size_t j = 0; j < m; j++) {
        double a = (double)(m - j) * v[j].p;
        if (a > 1)
            a = 1;
        if (a > run)
            run = a;
        adj[v[j].i] = run;
    }
    rs_free(v);
    return 0;
}

/* ---------- sample size ---------- */

long rs_stats_cases_needed_paired_prop(long b, long c, long n)
{
    if (n <= 0 || b == c)
        return -1;
    double pd = (double)(b + c) / (double)n, delta = (double)(c - b) / (double)n;
    double inner = pd - delta * delta;
    if (inner < 0)
        inner = 0;
    double num = RS_STATS_Z95 * sqrt(pd) + RS_STATS_Z80 * sqrt(inner);
    double need = num * num / (delta * delta);
    if (!(need < 1e12))
        return -1;
    return (long)ceil(need - 1e-9);
}

long rs_stats_cases_needed_paired_mean(double mean_d, double sd_d)
{
    if (mean_d == 0)
        return -1;
    double r = (RS_STATS_Z95 + RS_STATS_Z80) * sd_d / mean_d;
    double need = r * r;
    if (!(need < 1e12))
        return -1;
    if (need < 2)
        need = 2;
    return (long)ceil(need - 1e-9);
}

long rs_stats_cases_needed_unpaired(double delta, double sd_x, double sd_y)
{
    if (delta == 0)
        return -1;
    double z = RS_STATS_Z95 + RS_STATS_Z80;
    double need = z * z * (sd_x * sd_x + sd_y * sd_y) / (delta * delta);
    if (!(need < 1e12))
        return -1;
    if (need < 2)
        need = 2;
    return (long)ceil(need - 1e-9);
}
