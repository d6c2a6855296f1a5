/*
 * tests/fuzz/fuzz_retry_hint.c - libFuzzer target for the retry-hint header parser and the
 * HTTP-date parser: the input is split into header lines. The wait must stay within
 * [-1, RS_RETRY_HINT_MAX_MS] and x-should-retry within {-1, 0, 1}, whatever the bytes.
 * Seeds: tests/fuzz/corpus/retry_hint/.
 */
#include "providers/retry_hint.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rs_retry_hint h;
    rs_retry_hint_init(&h);
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        rs_retry_hint_header(&h, p, n);
        (void)rs_http_date_parse(p, n);
        p += n + (nl ? 1 : 0);
    }
    long ms = rs_retry_hint_ms(&h, (time_t)1763785873);
    if (ms < -1 || ms > RS_RETRY_HINT_MAX_MS)
        abort();
    if (h.should_retry < -1 || h.should_retry > 1)
        abort();
    return 0;
}
