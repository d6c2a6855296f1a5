/*
 * providers/retry_hint.h - the retry hints a provider puts in response headers (providers.md §7).
 *
 * Precedence (the Anthropic/OpenAI SDK policy): `x-should-retry: true|false` decides whether to
 * retry at all; the wait is `retry-after-ms` (milliseconds, may be fractional), else
 * `Retry-After` as delay-seconds or as an HTTP-date. An HTTP-date is measured against the
 * response's own `Date` header when there is one (the server's clock, immune to local skew),
 * else against `now`. Gemini puts its hint in the body (RetryInfo.retryDelay): classify_error
 * reads that one.
 *
 * Feed every header line of the final response (curl's CURLOPT_HEADERFUNCTION lines, with or
 * without CRLF; the status line and lines of earlier 1xx/redirect responses may be fed too: a
 * status line "HTTP/..." resets the state).
 */
#ifndef RS_PROVIDERS_RETRY_HINT_H
#define RS_PROVIDERS_RETRY_HINT_H

#include <stddef.h>
#include <time.h>

/* Longest wait a hint may ask for; longer hints are clamped (a caller's deadline usually wins). */
#define RS_RETRY_HINT_MAX_MS (24L * 3600 * 1000)

typedef struct rs_retry_hint {
    long retry_after_ms; /* from retry-after-ms, -1 when absent/invalid */
    long retry_after_s;  /* Retry-After delay-seconds in ms, -1 when absent */
    time_t retry_date;   /* Retry-After HTTP-date, (time_t)-1 when absent */
    time_t date;         /* the response's Date header, (time_t)-1 when absent */
    int should_retry;    /* x-should-retry: 1 true, 0 false, -1 absent */
} rs_retry_hint;

void rs_retry_hint_init(rs_retry_hint *h);

/* Look at one header line ("Name: value", CRLF optional); unrelated headers are ignored. */
void rs_retry_hint_header(rs_retry_hint *h, const char *line, size_t len);

/* The wait the provider asked for in ms (0..RS_RETRY_HINT_MAX_MS), -1 when none.
 * now is the local time used when the response carried no Date header. */
long rs_retry_hint_ms(const rs_retry_hint *h, time_t now);

/* All in one: lines[0..n) -> wait in ms or -1; *should_retry (may be NULL) gets 1/0/-1. */
long rs_retry_hint_parse(const char *const *lines, size_t n, time_t now, int *should_retry);

/* Parse an HTTP-date (IMF-fixdate, RFC 850 or asctime form, RFC 9110 §5.6.7) as UTC.
 * (time_t)-1 when it is not one. */
time_t rs_http_date_parse(const char *s, size_t len);

#endif
