/*
 * runner/retry.c - retry decisions and backoff (see retry.h).
 */
#include "runner/retry.h"

#include <stdio.h>

void rs_rng_seed(rs_rng *r, uint64_t seed)
{
    r->state = seed;
}

/* splitmix64 (Steele, Lea, Flood 2014): tiny, full period, good enough for jitter. */
uint64_t rs_rng_next(rs_rng *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

double rs_rng_unit(rs_rng *r)
{
    return (double)(rs_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

long rs_retry_backoff_ms(const rs_retry_policy *p, int attempt, rs_rng *rng)
{
    double d = (double)p->base_ms;
    for (int i = 1; i < attempt && d < (double)p->max_backoff_ms; i++)
        d *= 2.0;
    if (d > (double)p->max_backoff_ms)
        d = (double)p->max_backoff_ms;
    double j = p->jitter < 0 ? 0 : p->jitter > 1 ? 1 : p->jitter;
    d -= d * j * rs_rng_unit(rng);
    return (long)(d + 0.5);
}

static void say(char *why, size_t n, const char *fmt, long a, long b)
{
    if (why && n)
        snprintf(why, n, fmt, a, b);
}

long rs_retry_decide(const rs_retry_policy *p, const rs_provider_error *pe, int should_retry,
                     int attempt, long elapsed_ms, rs_rng *rng, char *why, size_t why_size)
{
    if (why && why_size)
        why[0] = '\0';
    if (should_retry == 0) {
        say(why, why_size, "the provider said x-should-retry: false%.0ld%.0ld", 0, 0);
        return -1;
    }
    if (should_retry != 1 && !rs_fail_class_retryable(pe->cls)) {
        if (why && why_size)
            snprintf(why, why_size, "not retryable: %s", rs_fail_class_name(pe->cls));
        return -1;
    }
    if (attempt >= p->max_attempts) {
        say(why, why_size, "%ld of %ld attempts used", attempt, p->max_attempts);
        return -1;
    }
    long wait;
    if (pe->retry_after_ms >= 0) {
        if (pe->retry_after_ms > p->max_hint_ms) {
            say(why, why_size, "the provider asked to wait %ld ms, more than the %ld ms honoured",
                pe->retry_after_ms, p->max_hint_ms);
            return -1;
        }
        wait = pe->retry_after_ms;
    } else {
        wait = rs_retry_backoff_ms(p, attempt, rng);
    }
    if (p->max_total_ms > 0 && elapsed_ms + wait >= p->max_total_ms) {
        say(why, why_size, "a wait of %ld ms would pass the %ld ms budget", wait, p->max_total_ms);
        return -1;
    }
    return wait;
}
