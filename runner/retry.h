/*
 * runner/retry.h - when to try a target again, and how long to wait (providers.md §7).
 *
 * Decision, in order:
 *   1. `x-should-retry: false` from the provider: never; `true`: retry (still within the caps).
 *   2. otherwise only retryable classes (rs_fail_class_retryable: rate limit, overloaded, server,
 *      timeout, network, stream). Quota, auth, bad request and undecodable answers are not
 *      retried on the same target (a route may still fall back).
 *   3. the caps: at most max_attempts tries of one target, and no wait that would end after
 *      the time budget (max_total_ms from the run's start, or the caller's deadline).
 * Wait: the provider's hint when it gave one (retry-after-ms, then Retry-After seconds or HTTP
 * date, then Gemini RetryInfo.retryDelay: the dialects and the transport put it in
 * pe->retry_after_ms), else exponential backoff base_ms * 2^(n-1) capped at max_backoff_ms,
 * minus up to `jitter` of itself ("equal jitter" in [1-jitter, 1] of the delay), so many clients
 * that failed together do not retry together. A hint longer than max_hint_ms is not waited for:
 * the target gives up and the route falls back.
 *
 * The jitter comes from a seeded generator (rs_rng), so tests get the same waits every time.
 */
#ifndef RS_RUNNER_RETRY_H
#define RS_RUNNER_RETRY_H

#include "providers/provider.h"

#include <stdint.h>

typedef struct rs_retry_policy {
    int max_attempts;    /* tries per target, >= 1 */
    long base_ms;        /* first backoff */
    long max_backoff_ms; /* cap of one computed backoff */
    long max_hint_ms;    /* longest provider-requested wait honoured */
    long max_total_ms;   /* budget for the whole run (all targets, waits included); 0 = none */
    double jitter;       /* 0..1 */
} rs_retry_policy;

/* 3 tries, 500 ms doubling to 8 s, 25 % jitter, hints up to 60 s, 10 minutes in all. */
#define RS_RETRY_POLICY_INIT                                                                       \
    {                                                                                              \
        3, 500, 8000, 60000, 600000, 0.25                                                          \
    }

/* A small deterministic generator (splitmix64). */
typedef struct rs_rng {
    uint64_t state;
} rs_rng;

void rs_rng_seed(rs_rng *r, uint64_t seed);
uint64_t rs_rng_next(rs_rng *r);
/* Uniform in [0, 1). */
double rs_rng_unit(rs_rng *r);

/* The computed backoff before try attempt+1 after `attempt` failed tries (1-based), jittered. */
long rs_retry_backoff_ms(const rs_retry_policy *p, int attempt, rs_rng *rng);

/*
 * Should the target be tried again after its attempt-th try failed with pe (and the provider's
 * x-should-retry, 1/0/-1)? elapsed_ms: time since the run started. Returns the wait in ms
 * (>= 0) or -1 for "no" with the reason in why (may be NULL; "not retryable: auth", "3 of 3
 * attempts used", "wait of 21000 ms would pass the 10000 ms budget", ...).
 */
long rs_retry_decide(const rs_retry_policy *p, const rs_provider_error *pe, int should_retry,
                     int attempt, long elapsed_ms, rs_rng *rng, char *why, size_t why_size);

#endif
