/* Unit tests for runner/stats: against textbook values, and reproducibility of the bootstrap. */
#include "test_helpers.h"

#include "runner/stats.h"
#include "util/alloc.h"

#include <math.h>

#define NEAR(a, b, eps) assert_true(fabs((a) - (b)) <= (eps))

/* Newcombe (1998), Statistics in Medicine 17:857, table I: 81/263 -> 0.2553 to 0.3662;
 * 8/10 (Agresti & Coull 1998 style example) -> 0.4902 to 0.9433; 0/10 -> 0 to 0.2775. */
static void wilson_textbook(void **state)
{
    (void)state;
    double lo, hi;
    rs_stats_wilson(&lo, &hi, 8, 10, RS_STATS_Z95);
    NEAR(lo, 0.4902, 1e-4);
    NEAR(hi, 0.9433, 1e-4);
    rs_stats_wilson(&lo, &hi, 81, 263, RS_STATS_Z95);
    NEAR(lo, 0.2553, 1e-4);
    NEAR(hi, 0.3662, 1e-4);
    rs_stats_wilson(&lo, &hi, 0, 10, RS_STATS_Z95);
    assert_true(lo == 0);
    NEAR(hi, 0.2775, 1e-4);
    rs_stats_wilson(&lo, &hi, 10, 10, RS_STATS_Z95);
    NEAR(lo, 0.7225, 1e-4);
    assert_true(hi == 1);
    rs_stats_wilson(&lo, &hi, 0, 0, RS_STATS_Z95);
    assert_true(lo == 0 && hi == 1);
}

/* Binomial(n, 1/2): P(X <= 2 | n = 10) = (1 + 10 + 45) / 1024. */
static void binomial_exact(void **state)
{
    (void)state;
    NEAR(rs_stats_binom_cdf_half(2, 10), 56.0 / 1024, 1e-12);
    NEAR(rs_stats_binom_cdf_half(0, 20), 1.0 / 1048576, 1e-15);
    NEAR(rs_stats_binom_cdf_half(10, 10), 1, 0);
    NEAR(rs_stats_binom_cdf_half(-1, 10), 0, 0);
    NEAR(rs_stats_binom_test_half(2, 10), 112.0 / 1024, 1e-12);
    NEAR(rs_stats_binom_test_half(8, 10), 112.0 / 1024, 1e-12);
    NEAR(rs_stats_binom_test_half(5, 10), 1, 0); /* capped */
    /* A large n stays accurate: P(X <= 450 | 1000) two-sided = 0.001730 (R: binom.test). */
    NEAR(rs_stats_binom_test_half(450, 1000), 0.0017305, 2e-6);
}

/* Exact McNemar: b = 1, c = 9 -> 2 * 11/1024 = 0.021484375; b = 0, c = 5 -> 0.0625 (the smallest
 * n at which nothing can be significant at 0.05); b = c -> 1. */
static void mcnemar_exact(void **state)
{
    (void)state;
    NEAR(rs_stats_mcnemar_exact(1, 9), 0.021484375, 1e-12);
    NEAR(rs_stats_mcnemar_exact(9, 1), 0.021484375, 1e-12);
    NEAR(rs_stats_mcnemar_exact(0, 5), 0.0625, 1e-12);
    NEAR(rs_stats_mcnemar_exact(0, 6), 0.03125, 1e-12);
    NEAR(rs_stats_mcnemar_exact(3, 3), 1, 0);
    NEAR(rs_stats_mcnemar_exact(0, 0), 1, 0);
}

static void sign_test_counts(void **state)
{
    (void)state;
    double d[] = {0.5, 1, 0, 2, -1, 0.1, 0.2, 0.3, 0.4, 0.6, 0.7};
    long pos, neg;
    double p = rs_stats_sign_test(d, sizeof d / sizeof *d, &pos, &neg);
    assert_int_equal(pos, 9);
    assert_int_equal(neg, 1);
    NEAR(p, 0.021484375, 1e-12);
}

/* Holm's worked example: p = (0.01, 0.04, 0.03, 0.005) -> (0.03, 0.06, 0.06, 0.02). */
static void holm_example(void **state)
{
    (void)state;
    double p[] = {0.01, 0.04, 0.03, 0.005}, adj[4];
    assert_int_equal(rs_stats_holm(adj, p, 4), 0);
    NEAR(adj[0], 0.03, 1e-12);
    NEAR(adj[1], 0.06, 1e-12);
    NEAR(adj[2], 0.06, 1e-12);
    NEAR(adj[3], 0.02, 1e-12);
    /* In place, and capped at 1. */
    double q[] = {0.6, 0.5};
    assert_int_equal(rs_stats_holm(q, q, 2), 0);
    NEAR(q[0], 1, 0);
    NEAR(q[1], 1, 0);
    double one[] = {0.04};
    assert_int_equal(rs_stats_holm(one, one, 1), 0);
    NEAR(one[0], 0.04, 0);
}

/* Type-7 percentiles (R's default): p50 {1,2,3,4} = 2.5, p95 = 3.85; p95 of 1..100 = 95.05. */
static void percentiles_type7(void **state)
{
    (void)state;
    double x[] = {4, 1, 3, 2};
    int ok;
    NEAR(rs_stats_percentile(x, 4, 0.5, &ok), 2.5, 1e-12);
    assert_true(ok);
    NEAR(rs_stats_percentile(x, 4, 0.95, &ok), 3.85, 1e-12);
    NEAR(rs_stats_percentile(x, 4, 0, &ok), 1, 0);
    NEAR(rs_stats_percentile(x, 4, 1, &ok), 4, 0);
    assert_true(x[0] == 4); /* input untouched */
    double h[100];
    for (int i = 0; i < 100; i++)
        h[i] = i + 1;
    NEAR(rs_stats_percentile(h, 100, 0.95, &ok), 95.05, 1e-9);
    double single = 7;
    NEAR(rs_stats_percentile(&single, 1, 0.95, &ok), 7, 0);
    rs_alloc_fail_after(0);
    rs_stats_percentile(x, 4, 0.5, &ok);
    rs_alloc_fail_after(-1);
    assert_false(ok);
}

static void descriptive(void **state)
{
    (void)state;
    double x[] = {2, 4, 4, 4, 5, 5, 7, 9};
    NEAR(rs_stats_mean(x, 8), 5, 1e-12);
    NEAR(rs_stats_sd(x, 8), 2.138089935, 1e-9);
    NEAR(rs_stats_sd(x, 1), 0, 0);
}

/* splitmix64 from state 0 first yields 0xe220a8397b1dcdaf (Vigna's reference). */
static void rng_reference_and_range(void **state)
{
    (void)state;
    rs_stats_rng r;
    rs_stats_rng_seed(&r, 0);
    assert_true(r.s[0] == 0xe220a8397b1dcdafULL);
    rs_stats_rng a, b;
    rs_stats_rng_seed(&a, 42);
    rs_stats_rng_seed(&b, 42);
    long counts[3] = {0, 0, 0};
    for (int i = 0; i < 30000; i++) {
        uint64_t v = rs_stats_rng_below(&a, 3);
        assert_true(v < 3);
        assert_true(v == rs_stats_rng_below(&b, 3));
        counts[v]++;
    }
    for (int i = 0; i < 3; i++)
        assert_true(counts[i] > 9500 && counts[i] < 10500);
}

static void bootstrap_reproducible(void **state)
{
    (void)state;
    double x[40];
    for (int i = 0; i < 40; i++)
        x[i] = (i * 37 % 11) / 10.0;
    double lo1, hi1, lo2, hi2, lo3, hi3;
    assert_int_equal(rs_stats_bootstrap_mean(&lo1, &hi1, x, 40, 2000, 0.05, 7), 0);
    assert_int_equal(rs_stats_bootstrap_mean(&lo2, &hi2, x, 40, 2000, 0.05, 7), 0);
    assert_true(lo1 == lo2 && hi1 == hi2); /* same seed, same interval, bit for bit */
    assert_int_equal(rs_stats_bootstrap_mean(&lo3, &hi3, x, 40, 2000, 0.05, 8), 0);
    assert_true(lo1 != lo3 || hi1 != hi3);
    double m = rs_stats_mean(x, 40), se = rs_stats_sd(x, 40) / sqrt(40);
    assert_true(lo1 < m && m < hi1);
    /* The percentile interval is close to mean +- 1.96 SE for a sample this size. */
    NEAR(hi1 - lo1, 2 * RS_STATS_Z95 * se, 0.25 * 2 * RS_STATS_Z95 * se);
    double c[] = {3, 3, 3};
    assert_int_equal(rs_stats_bootstrap_mean(&lo1, &hi1, c, 3, 100, 0.05, 1), 0);
    assert_true(lo1 == 3 && hi1 == 3);
    rs_alloc_fail_after(0);
    int rc = rs_stats_bootstrap_mean(&lo1, &hi1, x, 40, 100, 0.05, 1);
    rs_alloc_fail_after(-1);
    assert_int_equal(rc, RS_ENOMEM);
}

static void paired_bootstrap_effect_and_null(void **state)
{
    (void)state;
    double d[60], z[60], lo, hi, p, p2, lo2, hi2;
    for (int i = 0; i < 60; i++) {
        d[i] = 0.3 + ((i * 7) % 5 - 2) * 0.1;            /* clearly positive: mean 0.3, sd ~0.14 */
        z[i] = (i % 2 ? 1 : -1) * ((i * 13) % 7) / 10.0; /* symmetric around 0 */
    }
    assert_int_equal(rs_stats_paired_bootstrap(&lo, &hi, &p, d, 60, 2000, 0.05, 3), 0);
    assert_true(lo > 0.2 && hi < 0.4);
    NEAR(p, 1.0 / 2001, 1e-12); /* no centred resample reaches 0.3 */
    assert_int_equal(rs_stats_paired_bootstrap(&lo2, &hi2, &p2, d, 60, 2000, 0.05, 3), 0);
    assert_true(lo == lo2 && hi == hi2 && p == p2);
    assert_int_equal(rs_stats_paired_bootstrap(&lo, &hi, &p, z, 60, 2000, 0.05, 3), 0);
    assert_true(lo < 0 && hi > 0);
    assert_true(p > 0.2);
    double zeros[5] = {0};
    assert_int_equal(rs_stats_paired_bootstrap(&lo, &hi, &p, zeros, 5, 2000, 0.05, 3), 0);
    assert_true(p == 1 && lo == 0 && hi == 0);
}

/* Connor (1987): b = 5, c = 10 of 100 -> 468.57 -> 469; paired means: d = 0.1, sd = 0.5 -> 196.2
 * -> 197 ((1.95996 + 0.84162) * 5)^2. */
static void cases_needed(void **state)
{
    (void)state;
    assert_int_equal(rs_stats_cases_needed_paired_prop(5, 10, 100), 469);
    assert_int_equal(rs_stats_cases_needed_paired_prop(10, 5, 100), 469);
    assert_int_equal(rs_stats_cases_needed_paired_prop(4, 4, 100), -1);
    assert_int_equal(rs_stats_cases_needed_paired_mean(0.1, 0.5), 197);
    assert_int_equal(rs_stats_cases_needed_paired_mean(-0.1, 0.5), 197);
    assert_int_equal(rs_stats_cases_needed_paired_mean(0, 0.5), -1);
}

/* Unpaired: 0.8 vs 0.5 pass rates over 100 each -> clearly different; equal groups -> p = 1.
 * Two proportions 0.5 vs 0.6: N = 7.849 * (0.25 + 0.24) / 0.01 = 384.6 -> 385 per group. */
static void unpaired(void **state)
{
    (void)state;
    double x[100], y[100], lo, hi, p;
    for (int i = 0; i < 100; i++) {
        x[i] = i % 2;      /* 0.5 */
        y[i] = i % 5 != 0; /* 0.8 */
    }
    assert_int_equal(rs_stats_unpaired_bootstrap(&lo, &hi, &p, x, 100, y, 100, 2000, 0.05, 9), 0);
    assert_true(lo > 0.15 && hi < 0.45);
    assert_true(p < 0.01);
    assert_int_equal(rs_stats_unpaired_bootstrap(&lo, &hi, &p, x, 100, x, 100, 2000, 0.05, 9), 0);
    assert_true(p == 1);
    assert_true(lo < 0 && hi > 0);
    assert_int_equal(rs_stats_cases_needed_unpaired(0.1, sqrt(0.25), sqrt(0.24)), 385);
    assert_int_equal(rs_stats_cases_needed_unpaired(0, 1, 1), -1);
}

/* Sign-flip permutation: exact for small n. d = (1,1,1,0): 4 of 16 patterns reach |3| -> 0.25
 * (a bootstrap p-value would call this significant). d = 1 x 6 -> 2/64. */
static void permutation_tests(void **state)
{
    (void)state;
    double d[] = {1, 1, 1, 0};
    NEAR(rs_stats_paired_permutation(d, 4, 1000, 1), 0.25, 1e-12);
    double six[] = {1, 1, 1, 1, 1, 1};
    NEAR(rs_stats_paired_permutation(six, 6, 1000, 1), 2.0 / 64, 1e-12);
    double z[] = {0, 0, 0};
    NEAR(rs_stats_paired_permutation(z, 3, 1000, 1), 1, 0);
    /* large n: Monte Carlo, reproducible, agrees with the exact binomial for +-1 data */
    double big[40];
    for (int i = 0; i < 40; i++)
        big[i] = i < 28 ? 1 : -1; /* 28 vs 12: exact two-sided sign test p = 0.0166 */
    double p1 = rs_stats_paired_permutation(big, 40, 20000, 5);
    assert_true(p1 == rs_stats_paired_permutation(big, 40, 20000, 5));
    NEAR(p1, rs_stats_binom_test_half(12, 40), 0.004);
    /* two groups: identical -> 1; clearly different -> small */
    double x[50], y[50], p;
    for (int i = 0; i < 50; i++) {
        x[i] = i % 2;
        y[i] = i % 10 != 0;
    }
    assert_int_equal(rs_stats_unpaired_permutation(&p, x, 50, x, 50, 2000, 3), 0);
    NEAR(p, 1, 0);
    assert_int_equal(rs_stats_unpaired_permutation(&p, x, 50, y, 50, 2000, 3), 0);
    assert_true(p < 0.001);
    /* tiny groups stay honest: {0,0} vs {1,1}: 2 of 6 splits are as extreme -> p ~ 1/3 */
    double a[] = {0, 0}, b[] = {1, 1};
    assert_int_equal(rs_stats_unpaired_permutation(&p, a, 2, b, 2, 20000, 3), 0);
    NEAR(p, 1.0 / 3, 0.02);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wilson_textbook),
        cmocka_unit_test(binomial_exact),
        cmocka_unit_test(mcnemar_exact),
        cmocka_unit_test(sign_test_counts),
        cmocka_unit_test(holm_example),
        cmocka_unit_test(percentiles_type7),
        cmocka_unit_test(descriptive),
        cmocka_unit_test(rng_reference_and_range),
        cmocka_unit_test(bootstrap_reproducible),
        cmocka_unit_test(paired_bootstrap_effect_and_null),
        cmocka_unit_test(cases_needed),
        cmocka_unit_test(unpaired),
        cmocka_unit_test(permutation_tests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
