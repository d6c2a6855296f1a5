/*
 * runner/stats.h - the statistics behind `compare` and `stats --experiment`.
 *
 * Everything here is pure computation on caller-owned arrays: no allocation except where noted
 * (bootstrap and percentile copy their input), no global state, deterministic (the bootstrap uses
 * its own seeded PRNG, so the same data and seed give the same interval on every machine).
 *
 * Definitions used everywhere in Rosetta (docs/compare.md repeats them):
 *  - Percentiles: linear interpolation between closest ranks (Hyndman & Fan type 7, the default of
 *    R, NumPy and spreadsheets): for sorted x[0..n-1] and q in [0,1], h = (n-1)q,
 *    P = x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h]). p50 of {1,2,3,4} is 2.5.
 *  - Confidence level: 95%, z = 1.959963984540054.
 *  - Two-sided tests at alpha = 0.05; power 0.8 for the "cases needed" estimates.
 */
#ifndef RS_RUNNER_STATS_H
#define RS_RUNNER_STATS_H

#include <stddef.h>
#include <stdint.h>

#define RS_STATS_Z95 1.959963984540054
#define RS_STATS_Z80 0.8416212335729143 /* z for power 0.8 (one-sided quantile 0.8) */
#define RS_STATS_ALPHA 0.05

/* ---------- a small deterministic PRNG (xoshiro256**, seeded by splitmix64) ---------- */
typedef struct rs_stats_rng {
    uint64_t s[4];
} rs_stats_rng;

void rs_stats_rng_seed(rs_stats_rng *r, uint64_t seed);
uint64_t rs_stats_rng_next(rs_stats_rng *r);
/* Uniform integer in [0, n) without modulo bias; n > 0. */
uint64_t rs_stats_rng_below(rs_stats_rng *r, uint64_t n);

/* ---------- descriptive ---------- */

double rs_stats_mean(const double *x, size_t n); /* 0 when n == 0 */
double rs_stats_sd(const double *x, size_t n);   /* sample SD (n-1), 0 when n < 2 */
/* Type-7 percentile of x (need not be sorted; not modified), q in [0,1]. 0 on empty input or
 * out of memory (the copy for sorting): callers with n > 0 check *ok when given. */
double rs_stats_percentile(const double *x, size_t n, double q, int *ok);

/* ---------- intervals ---------- */

/* Wilson score interval for k successes in n trials at normal quantile z. n == 0 gives [0, 1]. */
void rs_stats_wilson(double *lo, double *hi, long k, long n, double z);

/*
 * Percentile bootstrap CI of the mean of x: `iters` resamples with replacement, interval at
 * [alpha/2, 1-alpha/2]. 0, or RS_ENOMEM. n == 0 gives [0, 0].
 */
int rs_stats_bootstrap_mean(double *lo, double *hi, const double *x, size_t n, int iters,
                            double alpha, uint64_t seed);

/* ---------- tests (two-sided p-values) ---------- */

/* P(X <= k) for X ~ Binomial(n, 1/2). */
double rs_stats_binom_cdf_half(long k, long n);

/* Exact two-sided binomial test of k successes in n trials against p = 1/2:
 * min(1, 2 * P(X <= min(k, n-k))). 1 when n == 0. */
double rs_stats_binom_test_half(long k, long n);

/* Exact McNemar test on the discordant pairs: b = baseline passed and the arm failed, c = the
 * reverse. Equals rs_stats_binom_test_half(min(b,c), b+c). */
double rs_stats_mcnemar_exact(long b, long c);

/* Sign test on paired differences d (zeros dropped). *pos / *neg receive the counts (may be NULL).
 */
double rs_stats_sign_test(const double *d, size_t n, long *pos, long *neg);

/*
 * Paired bootstrap on differences d[i] = arm[i] - baseline[i]: the percentile CI of the mean
 * difference, and a two-sided p-value by resampling the centred differences (d - mean d, the null
 * of no mean difference): p = (1 + #{|mean*| >= |mean d|}) / (1 + iters). 0 or RS_ENOMEM.
 * With n == 0 or all d equal to 0 the p-value is 1 and the interval [0, 0].
 */
int rs_stats_paired_bootstrap(double *lo, double *hi, double *p, const double *d, size_t n,
                              int iters, double alpha, uint64_t seed);

/*
 * Paired sign-flip permutation test of mean(d) = 0 (two-sided): under the null each difference
 * is as likely positive as negative. Exact (all 2^n sign patterns) for n <= 20, otherwise
 * `iters` random patterns from the seeded generator with p = (1 + #extreme) / (1 + iters).
 * Unlike a bootstrap p-value it stays honest with a handful of cases (d = 1,1,1,0 gives 0.25).
 * Zeros count (they never change the mean). 1 when n == 0 or every d is 0. 0 or RS_EINVAL.
 */
double rs_stats_paired_permutation(const double *d, size_t n, int iters, uint64_t seed);

/*
 * Two-sample permutation test of mean(y) - mean(x) (two-sided): the pooled values are shuffled
 * `iters` times (seeded), p = (1 + #{|diff*| >= |diff|}) / (1 + iters). 1 when either group is
 * empty. *p = 1 and RS_ENOMEM when out of memory.
 */
int rs_stats_unpaired_permutation(double *p, const double *x, size_t nx, const double *y, size_t ny,
                                  int iters, uint64_t seed);

/*
 * Unpaired bootstrap for mean(y) - mean(x) (live traffic: different users in each arm): each
 * resample draws x and y independently with replacement. CI by percentiles; two-sided p-value
 * by resampling both groups centred on their own means (the null of equal means):
 * p = (1 + #{|diff*| >= |diff|}) / (1 + iters). 0 or RS_ENOMEM; p = 1 when either is empty.
 */
int rs_stats_unpaired_bootstrap(double *lo, double *hi, double *p, const double *x, size_t nx,
                                const double *y, size_t ny, int iters, double alpha, uint64_t seed);

/* Holm-Bonferroni step-down adjustment of m p-values: adj receives the adjusted values in the
 * input order (adj may equal p). 0 or RS_ENOMEM. */
int rs_stats_holm(double *adj, const double *p, size_t m);

/* ---------- sample size ("how many cases would be needed") ---------- */

/*
 * Paired proportions (McNemar), Connor (1987): with n cases, b and c discordant counts,
 * pd = (b + c)/n, delta = (c - b)/n:
 *     N = (z_a * sqrt(pd) + z_b * sqrt(pd - delta^2))^2 / delta^2
 * at alpha 0.05 (two-sided) and power 0.8. Returns N rounded up, or -1 when delta == 0 (no
 * observed difference: no finite number of cases would show one).
 */
long rs_stats_cases_needed_paired_prop(long b, long c, long n);

/*
 * Paired means: N = ((z_a + z_b) * sd_d / mean_d)^2 (normal approximation, alpha 0.05 two-sided,
 * power 0.8), rounded up; -1 when mean_d == 0.
 */
long rs_stats_cases_needed_paired_mean(double mean_d, double sd_d);

/*
 * Two independent groups: N per group = (z_a + z_b)^2 (sd_x^2 + sd_y^2) / delta^2 (alpha 0.05
 * two-sided, power 0.8), rounded up; -1 when delta == 0. For pass rates sd^2 = p(1-p).
 */
long rs_stats_cases_needed_unpaired(double delta, double sd_x, double sd_y);

#endif
